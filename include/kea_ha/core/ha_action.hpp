#pragma once
// HA actions an operator asks for through the API (issue 14 item 1): which Kea command goes to
// which peer, and the guard rails that refuse it (never both main peers out of service at once;
// never a command Kea would apply to another HA relationship too). Pure: the daemon sends it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kea_ha/core/peer_condition.hpp"
#include "kea_ha/core/result.hpp"
#include "kea_ha/core/topology.hpp"

namespace kea_ha::core {

enum class HaAction { MaintenanceStart, MaintenanceCancel, Reset, DhcpDisable, DhcpEnable, Sync };

/// "maintenance-start", "maintenance-cancel", "ha-reset", "dhcp-disable", "dhcp-enable", "ha-sync".
std::string_view to_string(HaAction action);
std::optional<HaAction> parse_ha_action(std::string_view text);

/// What the planner knows of one peer of the cluster.
struct HaActionPeer {
    std::string name;
    PeerRole role = PeerRole::Primary;
    std::optional<PeerCondition> condition;  ///< none: not polled yet
    std::optional<std::string> ha_state;
    std::size_t relationships = 1;            ///< HA relationships it takes part in (Kea 2.6+ hub: more)
};

/// The command to send and where.
struct HaActionPlan {
    std::string send_to;      ///< the peer that gets the command
    std::string command;      ///< Kea's command name
    nlohmann::json arguments; ///< null: none
    std::string summary;      ///< "ha-maintenance-start sent to server2, which takes over server1"
};

/// NotFound: no such peer. Conflict (409) with the reason: refused by a guard rail. Invalid:
/// max_period given to an action that takes none, or out of 1..86400 s.
Result<HaActionPlan> plan_ha_action(HaAction action, std::string_view peer, const std::vector<HaActionPeer>& peers,
                                    std::optional<long> max_period_s);

}  // namespace kea_ha::core
