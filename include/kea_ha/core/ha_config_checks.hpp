#pragma once
// SPEC §4 (issue 27 point 6): HA configuration checks that look at what Kea accepts but HA
// suffers from. Pure: config-get documents in, warnings out; the edge reads the peers' configs.
//
//  - subnet-id-mismatch: a subnet of the cluster's relationship (top level and in shared
//    networks; hub and spoke: only the subnets bound to it) with another id, or none, on a peer
//    than on the primary. Lease updates name the subnet by id: the partner rejects them, and Kea
//    terminates HA after max-rejected-lease-updates.
//  - lease-cmds-missing on every peer (check_topology() covers the config the topology came from).
//  - failover-timers: max-ack-delay / max-unacked-clients advice from the Kea ARM.
//  - pools-not-split: load-balancing pools (and pd-pools) not split by the HA_<server> classes.
//  - listener-conflict: an HA dedicated listener on the socket of another relationship's peer or
//    of the daemon's own HTTP control socket (Kea 3.x `control-socket(s)`, socket-type http(s)).

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kea_ha/core/topology.hpp"
#include "kea_ha/core/warning.hpp"

namespace kea_ha::core {

/// One peer's config as read: its config-get `arguments` ({"Dhcp4": {…}, "hash": …}).
struct PeerConfigDocument {
    std::string peer;                   ///< the peer's name in the cluster's relationship
    const nlohmann::json* arguments{};  ///< not owned; never null
};

/// The parts of config-get `arguments` the checks read ({"Dhcp4": {hooks-libraries,
/// multi-threading, control-socket(s), client-classes, subnets and shared networks}}), without
/// host reservations (most of a large config): what the edge keeps of each peer's config while
/// it reads the next. check_ha_configs() gives the same warnings on it as on the whole document.
nlohmann::json ha_check_view(const nlohmann::json& arguments, std::string_view service);

/// failover-timers advice for the cluster's relationship (load-balancing and hot-standby):
/// max-unacked-clients 0 with peers on different hosts (a cut HA channel alone sends a partner to
/// partner-down: split brain), and a max-ack-delay no client's secs / elapsed-time reaches while
/// max-unacked-clients waits for clients. check_topology() includes them.
std::vector<Warning> check_failover_timers(const Topology& topology);

/// The checks across the peers' own configs: subnet-id-mismatch (against the primary's document,
/// else the first one given), lease-cmds-missing for each peer other than the primary,
/// pools-not-split (load-balancing, on the primary's document, else the first) and
/// listener-conflict (each peer's own config). A document that is not a config of the cluster's
/// service, or whose subnets cannot be placed, is left out of the checks it cannot feed.
/// Empty for a standalone cluster.
std::vector<Warning> check_ha_configs(const Topology& topology, std::span<const PeerConfigDocument> documents,
                                      const ControlUrlRules& rules);

}  // namespace kea_ha::core
