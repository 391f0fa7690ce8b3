#pragma once
// The HA topology of a registered server (SPEC §2), learned from the primary's in-memory
// config: config-get → Dhcp4/Dhcp6 → hooks-libraries → the libdhcp_ha.so entry →
// parameters.high-availability. Pure: the caller fetches the config.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"
#include "kea_ha/core/time.hpp"
#include "kea_ha/core/warning.hpp"

namespace kea_ha::core {

/// A peer's role in its HA relationship, as Kea spells it ("primary", …).
enum class PeerRole { Primary, Secondary, Standby, Backup };

/// The HA mode of a relationship; Standalone: the server has no HA hook (a one-peer cluster).
enum class HaMode { LoadBalancing, HotStandby, PassiveBackup, Standalone };

/// "primary", "secondary", "standby", "backup".
std::string_view to_string(PeerRole role);
/// "load-balancing", "hot-standby", "passive-backup", "standalone".
std::string_view to_string(HaMode mode);
std::optional<PeerRole> parse_peer_role(std::string_view text);
/// Only Kea's three modes; "standalone" is ours and is not accepted.
std::optional<HaMode> parse_ha_mode(std::string_view text);
/// Main peers (SPEC §1): the primary and the secondary/standby. Backups are not.
bool is_main(PeerRole role);

/// One peer of an HA relationship.
struct HaPeer {
    std::string name;
    std::string url;          ///< the HA `url` (where partners send heartbeats and lease updates)
    PeerRole role = PeerRole::Primary;
    bool auto_failover = true;
    std::string control_url;  ///< where the controller sends commands (SPEC §2 rule)

    bool operator==(const HaPeer&) const = default;
};

/// HA timing parameters (Kea ARM defaults).
struct HaTimers {
    Duration heartbeat_delay{10000};
    Duration max_response_delay{60000};
    Duration max_ack_delay{10000};
    int max_unacked_clients = 10;

    bool operator==(const HaTimers&) const = default;
};

/// One entry of parameters.high-availability.
struct HaRelationship {
    HaMode mode = HaMode::HotStandby;
    std::string this_server_name;
    HaTimers timers;
    /// HA+MT in effect: the relationship's `multi-threading.enable-multi-threading` AND the
    /// server's own `multi-threading.enable-multi-threading` (Kea turns HA+MT off without it).
    bool multi_threading = false;
    bool http_dedicated_listener = false;  ///< as configured; matters only with multi_threading
    std::vector<HaPeer> peers;             ///< config order

    /// The HA hook runs its own HTTP listener at this server's `url`.
    bool dedicated_listener() const { return multi_threading && http_dedicated_listener; }
    const HaPeer* find_peer(std::string_view name) const;
    const HaPeer* primary() const;

    bool operator==(const HaRelationship&) const = default;
};

/// What learn_topology needs besides the config (registration + preferences).
struct ControlUrlRules {
    std::map<std::string, std::string> overrides;  ///< per-peer control URL given at registration
    std::uint16_t control_agent_port = 8000;       ///< keaControlAgentPort
    /// Value for `multi-threading` keys absent from the config (server and HA). Kea 2.2 defaults
    /// them to off (the default here); 2.4+ to on: set true when the peers run Kea ≥ 2.4.
    /// A running Kea 2.2 fills HA defaults into config-get, so this matters for hand-made
    /// or cached configs and for versions that do not.
    bool multi_threading_default = false;
    /// The URL the primary was registered with (learn_topology() fills it in when empty): with
    /// a dedicated HA listener or the direct transport, every peer's control URL takes its
    /// scheme and port (SPEC §2: peers of one relationship are set up alike).
    std::string registered_url;
    bool direct = false;  ///< the cluster is reached on the daemons' own HTTP sockets (no CA)
};

/// The cluster a registered server belongs to.
struct Topology {
    std::string service;           ///< "dhcp4" or "dhcp6"
    HaMode mode = HaMode::Standalone;
    std::string this_server_name;  ///< the registered primary's name
    std::string registered_url;    ///< the URL the primary was registered with
    /// Peers of the relationship where the registered server is primary, config order.
    /// Standalone: one peer, role Primary, url = control_url = registered_url.
    std::vector<HaPeer> peers;
    HaTimers timers;               ///< of that relationship (defaults when standalone)
    bool dedicated_listener = false;
    /// Every relationship in the primary's config (hub and spoke, Kea ≥ 2.6: several).
    std::vector<HaRelationship> relationships;
    bool has_lease_cmds = false;   ///< libdhcp_lease_cmds.so loaded
    bool config_backend = false;   ///< `config-control` present (SPEC §5: no replication)
    /// check_topology() results at learning time; the edge may append compare_peer_topology().
    std::vector<Warning> warnings;
    /// The parts of the config this was learned from ({"Dhcp4": {hooks-libraries,
    /// multi-threading, config-control}}, passwords removed): learn_topology(source_config, …)
    /// gives the same topology, so the state directory caches this instead of a ~9 MB config.
    nlohmann::json source_config;

    const HaPeer* find_peer(std::string_view name) const;
    const HaPeer* primary() const;

    bool operator==(const Topology&) const = default;
};

/// Where an http(s)://HOST[:PORT][/…] URL points: HOST in lower case (IPv6 in brackets) and
/// PORT, else the scheme's default. Nullopt when the URL is not one.
struct UrlEndpoint {
    std::string host;
    std::uint16_t port = 0;
};
std::optional<UrlEndpoint> url_endpoint(std::string_view url);

/// SPEC §2 control URL of a peer: an override for `peer_name` wins; otherwise, with a
/// dedicated HA listener, the HA url's scheme and host with `rules.control_agent_port`;
/// otherwise the HA url. Invalid when `ha_url` is not http(s)://HOST[:PORT][/…].
Result<std::string> control_url_for(std::string_view peer_name, std::string_view ha_url,
                                    bool dedicated_listener, const ControlUrlRules& rules);

/// Parses every HA relationship of a service config (the object under "Dhcp4"/"Dhcp6").
/// Empty when libdhcp_ha.so is not loaded. Control URLs follow control_url_for().
/// Invalid, with the entry and the fix, when the HA parameters are malformed.
Result<std::vector<HaRelationship>> parse_ha_relationships(const nlohmann::json& service_config,
                                                           const ControlUrlRules& rules);

/// Learns the cluster from the registered server's config-get `arguments`
/// ({"Dhcp4": {…}}). The registered server must be the primary: otherwise Conflict, naming
/// the real primary and its URL. No HA hook: a standalone one-peer cluster whose peer is
/// named `registration_name` (or the URL's host when empty). Malformed input: Invalid.
/// The primary's control URL is its override, else `registered_url` (where it was reached).
/// Several relationships (Kea 2.6+, SPEC §2): `relationship` names the registered server's
/// this-server-name in the one to manage; without it, the one where it is primary, and
/// Conflict listing them when it is primary in several. A named relationship that does not
/// exist is Invalid; one where the server is not the primary is Conflict, naming the primary.
Result<Topology> learn_topology(const nlohmann::json& config_get_arguments, std::string_view service,
                                const std::string& registered_url, const ControlUrlRules& rules,
                                std::string_view registration_name = {}, std::string_view relationship = {});

/// Learns the same cluster again from another peer's config (e.g. the SoT standby while
/// the primary is away): the relationship is the one whose primary is `known`'s. The
/// result keeps `known`'s this_server_name and registered_url. Conflict when that peer's
/// config has no relationship with that primary; Invalid when malformed.
Result<Topology> learn_topology_from_peer(const nlohmann::json& config_get_arguments,
                                          std::string_view peer_name, const Topology& known,
                                          const ControlUrlRules& rules);

/// SPEC §4 configuration warnings: timers, lease-cmds-missing, listener-on-ca-port,
/// config-backend. learn_topology() stores them in Topology::warnings.
std::vector<Warning> check_topology(const Topology& topology, const ControlUrlRules& rules);

/// peer-config-mismatch warnings: `peer_name`'s own HA config (its config-get `arguments`)
/// against the primary's view: HA hook present, this-server-name, mode, peer names, roles,
/// URLs. Empty when they agree.
std::vector<Warning> compare_peer_topology(const Topology& primary, std::string_view peer_name,
                                           const nlohmann::json& peer_config_get_arguments);

}  // namespace kea_ha::core
