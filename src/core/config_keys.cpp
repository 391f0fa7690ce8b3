#include "kea_ha/core/config_keys.hpp"

namespace kea_ha::core {
namespace {

using enum KeyHome;
using enum KeyServices;

// Read from each release's parser (src/bin/dhcp{4,6}/dhcp{4,6}_parser.yy, rule global_param) at
// the tags Kea-2.2.0, Kea-2.4.0, Kea-2.6.3, Kea-3.0.4 and Kea-3.2.0, and decided key by key.
// The rule: what identifies this server, what it binds or opens on its own host, and what
// names its own files or databases is per server; what clients are served with is replicated.
constexpr ServiceConfigKey kKeys[] = {
    {"adaptive-lease-time-threshold", Both, Replicated, "3.2", "lease policy: the same on every peer"},
    {"allocator", Both, Replicated, "2.4", "address allocation policy, shared so peers allocate alike"},
    {"allow-address-registration", Dhcp6, Replicated, "3.2", "client-facing policy"},
    {"authoritative", Dhcp4, Replicated, "2.2", "client-facing policy"},
    {"boot-file-name", Dhcp4, Replicated, "2.2", "sent to clients"},
    {"cache-max-age", Both, Replicated, "2.2", "lease caching policy"},
    {"cache-threshold", Both, Replicated, "2.2", "lease caching policy"},
    {"calculate-tee-times", Both, Replicated, "2.2", "lease timers sent to clients"},
    {"client-classes", Both, Replicated, "2.2", "classification must match for HA (HA_ classes, pools)"},
    {"comment", Both, Replicated, "2.2", "a note on the config"},
    {"compatibility", Both, Replicated, "2.2", "packet parsing leniency, the same on every peer"},
    {"config-control", Both, PerServer, "2.2",
     "this server's Configuration Backend connection (database, credentials); with one on the source "
     "of truth the controller never replicates"},
    {"control-socket", Both, PerServer, "2.2", "this server's own control socket (always kept: the controller's way in)"},
    {"control-sockets", Both, PerServer, "3.0",
     "this server's own unix and HTTP control sockets (always kept: the controller's way in)"},
    {"data-directory", Dhcp6, PerServer, "2.2", "a local path; holds this server's DUID file"},
    {"ddns-conflict-resolution-mode", Both, Replicated, "2.6", "DNS update policy"},
    {"ddns-generated-prefix", Both, Replicated, "2.2", "DNS update policy"},
    {"ddns-override-client-update", Both, Replicated, "2.2", "DNS update policy"},
    {"ddns-override-no-update", Both, Replicated, "2.2", "DNS update policy"},
    {"ddns-qualifying-suffix", Both, Replicated, "2.2", "DNS update policy"},
    {"ddns-replace-client-name", Both, Replicated, "2.2", "DNS update policy"},
    {"ddns-send-updates", Both, Replicated, "2.2", "DNS update policy"},
    {"ddns-ttl", Both, Replicated, "3.0", "DNS update policy"},
    {"ddns-ttl-max", Both, Replicated, "3.0", "DNS update policy"},
    {"ddns-ttl-min", Both, Replicated, "3.0", "DNS update policy"},
    {"ddns-ttl-percent", Both, Replicated, "2.4", "DNS update policy"},
    {"ddns-update-on-renew", Both, Replicated, "2.2", "DNS update policy"},
    {"ddns-use-conflict-resolution", Both, Replicated, "2.2", "DNS update policy"},
    {"decline-probation-period", Both, Replicated, "2.2", "lease policy"},
    {"dhcp-ddns", Both, PerServer, "2.2",
     "this server's link to its own kea-dhcp-ddns (server-ip, sender-ip and ports of this host)"},
    {"dhcp-queue-control", Both, Replicated, "2.2", "packet queue tuning, the same on every peer"},
    {"dhcp4o6-port", Both, PerServer, "2.2", "a UDP port on this host, paired with its own companion daemon"},
    {"early-global-reservations-lookup", Both, Replicated, "2.2", "reservation policy"},
    {"echo-client-id", Dhcp4, Replicated, "2.2", "client-facing policy"},
    {"expired-leases-processing", Both, Replicated, "2.2", "lease reclamation policy"},
    {"hooks-libraries", Both, Replicated, "2.2",
     "the HA hook and its peers must match; each relationship's this-server-name is kept from the target"},
    {"host-reservation-identifiers", Both, Replicated, "2.2", "reservation policy"},
    {"hostname-char-replacement", Both, Replicated, "2.2", "client-facing policy"},
    {"hostname-char-set", Both, Replicated, "2.2", "client-facing policy"},
    {"hosts-database", Both, PerServer, "2.2", "this server's host database connection and credentials"},
    {"hosts-databases", Both, PerServer, "2.2", "this server's host database connections and credentials"},
    {"interfaces-config", Both, PerServer, "2.2", "this host's network interfaces"},
    {"ip-reservations-unique", Both, Replicated, "2.2", "reservation policy"},
    {"lease-database", Both, PerServer, "2.2", "this server's own lease file or database (HA keeps one per peer)"},
    {"loggers", Both, PerServer, "2.2", "this server's log files and levels"},
    {"mac-sources", Dhcp6, Replicated, "2.2", "client identification policy"},
    {"match-client-id", Dhcp4, Replicated, "2.2", "client identification policy"},
    {"max-preferred-lifetime", Dhcp6, Replicated, "2.2", "lease policy"},
    {"max-valid-lifetime", Both, Replicated, "2.2", "lease policy"},
    {"min-preferred-lifetime", Dhcp6, Replicated, "2.2", "lease policy"},
    {"min-valid-lifetime", Both, Replicated, "2.2", "lease policy"},
    {"multi-threading", Both, Replicated, "2.2", "HA multi-threading needs the same setting on both peers"},
    {"next-server", Dhcp4, Replicated, "2.2", "sent to clients"},
    {"offer-lifetime", Dhcp4, Replicated, "2.4", "lease policy"},
    {"option-data", Both, Replicated, "2.2", "sent to clients"},
    {"option-def", Both, Replicated, "2.2", "option formats, needed by option-data"},
    {"parked-packet-limit", Both, Replicated, "2.2", "packet handling tuning"},
    {"pd-allocator", Dhcp6, Replicated, "2.4", "prefix allocation policy"},
    {"preferred-lifetime", Dhcp6, Replicated, "2.2", "lease policy"},
    {"rebind-timer", Both, Replicated, "2.2", "lease timers sent to clients"},
    {"relay-supplied-options", Dhcp6, Replicated, "2.2", "client-facing policy"},
    {"renew-timer", Both, Replicated, "2.2", "lease timers sent to clients"},
    {"reservation-mode", Both, Replicated, "2.2", "reservation policy (2.2 and 2.4; removed in 2.6)"},
    {"reservations", Both, Replicated, "2.2", "global host reservations"},
    {"reservations-global", Both, Replicated, "2.2", "reservation policy"},
    {"reservations-in-subnet", Both, Replicated, "2.2", "reservation policy"},
    {"reservations-lookup-first", Both, Replicated, "2.2", "reservation policy"},
    {"reservations-out-of-pool", Both, Replicated, "2.2", "reservation policy"},
    {"sanity-checks", Both, Replicated, "2.2", "lease checks, the same on every peer"},
    {"server-hostname", Dhcp4, Replicated, "2.2", "the sname sent to clients (a boot server, the same for both peers)"},
    {"server-id", Dhcp6, PerServer, "2.2",
     "this server's DUID (always kept: two servers answering with one DUID break every client)"},
    {"server-tag", Both, PerServer, "2.2", "this server's name in a Configuration Backend"},
    {"shared-networks", Both, Replicated, "2.2", "the networks served (a hub's scoped replication replaces only its relationship's)"},
    {"stash-agent-options", Dhcp4, Replicated, "2.6", "client-facing policy"},
    {"statistic-default-sample-age", Both, Replicated, "2.2", "statistics tuning"},
    {"statistic-default-sample-count", Both, Replicated, "2.2", "statistics tuning"},
    {"store-extended-info", Both, Replicated, "2.2", "lease information, needed alike for lease queries"},
    {"subnet4", Dhcp4, Replicated, "2.2", "the subnets served (a hub's scoped replication replaces only its relationship's)"},
    {"subnet6", Dhcp6, Replicated, "2.2", "the subnets served (a hub's scoped replication replaces only its relationship's)"},
    {"t1-percent", Both, Replicated, "2.2", "lease timers sent to clients"},
    {"t2-percent", Both, Replicated, "2.2", "lease timers sent to clients"},
    {"user-context", Both, Replicated, "2.2", "operator data attached to the config"},
    {"valid-lifetime", Both, Replicated, "2.2", "lease policy"},
};

}  // namespace

std::span<const ServiceConfigKey> service_config_keys() { return kKeys; }

std::vector<std::string> per_server_keys() {
    std::vector<std::string> out;
    for (const auto& key : kKeys)
        if (key.home == KeyHome::PerServer) out.emplace_back(key.name);
    return out;
}

}  // namespace kea_ha::core
