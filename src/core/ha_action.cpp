#include "kea_ha/core/ha_action.hpp"

#include <array>
#include <utility>

namespace kea_ha::core {
namespace {

constexpr std::array<std::pair<HaAction, std::string_view>, 6> kNames = {{
    {HaAction::MaintenanceStart, "maintenance-start"},
    {HaAction::MaintenanceCancel, "maintenance-cancel"},
    {HaAction::Reset, "ha-reset"},
    {HaAction::DhcpDisable, "dhcp-disable"},
    {HaAction::DhcpEnable, "dhcp-enable"},
    {HaAction::Sync, "ha-sync"},
}};

std::string condition_text(const HaActionPeer& peer) {
    if (!peer.condition) return "not polled yet";
    std::string text(to_string(*peer.condition));
    if (peer.ha_state) text += ", HA state '" + *peer.ha_state + "'";
    return text;
}

Error refused(std::string why) { return make_error(ErrorKind::Conflict, std::move(why)); }

}  // namespace

std::string_view to_string(HaAction action) {
    for (const auto& [a, name] : kNames)
        if (a == action) return name;
    return "?";
}

std::optional<HaAction> parse_ha_action(std::string_view text) {
    for (const auto& [a, name] : kNames)
        if (name == text) return a;
    return std::nullopt;
}

Result<HaActionPlan> plan_ha_action(HaAction action, std::string_view name, const std::vector<HaActionPeer>& peers,
                                    std::optional<long> max_period_s) {
    const HaActionPeer* peer = nullptr;
    const HaActionPeer* partner = nullptr;  // the other main peer
    for (const auto& p : peers) {
        if (p.name == name) peer = &p;
    }
    if (!peer) return make_error(ErrorKind::NotFound, "no peer named '" + std::string(name) + "' in this cluster");
    for (const auto& p : peers) {
        if (&p != peer && is_main(p.role) && is_main(peer->role)) partner = &p;
    }
    const std::string who(name);
    const bool takes_period = action == HaAction::DhcpDisable || action == HaAction::Sync;
    if (max_period_s && !takes_period) {
        return make_error(ErrorKind::Invalid, "max_period applies to dhcp-disable and ha-sync only");
    }
    if (max_period_s && (*max_period_s < 1 || *max_period_s > 86400)) {
        return make_error(ErrorKind::Invalid, "max_period must be 1 to 86400 seconds (got " + std::to_string(*max_period_s) + ")");
    }
    // Kea applies these to every relationship of the server that receives them (a hub notifies
    // all its partners): refused rather than taking another relationship's peers out.
    const auto several = [&](const HaActionPeer& p) -> std::optional<Error> {
        if (p.relationships <= 1) return std::nullopt;
        return refused(p.name + " takes part in " + std::to_string(p.relationships) + " HA relationships, and Kea applies " +
                       std::string(to_string(action)) + " to all of them: do it on Kea itself, knowing what else it stops");
    };
    const auto partner_serves = [&](const char* what) -> std::optional<Error> {
        if (!partner) return refused(who + " has no partner to serve while it is " + what);
        if (partner->condition != PeerCondition::Active) {
            return refused("refusing to leave no main peer in service: " + who + "'s partner " + partner->name + " is " +
                           condition_text(*partner) + ", so it cannot serve while " + who + " is " + what);
        }
        return std::nullopt;
    };
    HaActionPlan plan;
    switch (action) {
        case HaAction::MaintenanceStart: {
            if (!is_main(peer->role)) return refused(who + " is a backup: maintenance is for the main peers");
            if (peer->condition == PeerCondition::Maintenance) return refused(who + " is in maintenance already");
            if (auto e = partner_serves("in maintenance")) return *e;
            if (auto e = several(*partner)) return *e;
            plan = {partner->name, "ha-maintenance-start", nullptr,
                    "ha-maintenance-start sent to " + partner->name + ", which takes over " + who};
            break;
        }
        case HaAction::MaintenanceCancel: {
            if (!partner) return refused(who + " has no partner: it cannot be in maintenance");
            const bool in_maintenance = peer->condition == PeerCondition::Maintenance ||
                                        partner->ha_state.value_or("") == "partner-in-maintenance";
            if (!in_maintenance) return refused(who + " is not in maintenance (" + condition_text(*peer) + ")");
            // No relationship guard: cancelling gives service back (a hub cancels for all its partners).
            plan = {partner->name, "ha-maintenance-cancel", nullptr,
                    "ha-maintenance-cancel sent to " + partner->name + ", which gives " + who + " its part back"};
            break;
        }
        case HaAction::Reset: {
            if (!is_main(peer->role)) return refused(who + " is a backup: ha-reset is for the main peers");
            if (auto e = partner_serves("resynchronising (ha-reset puts it back in 'waiting')")) return *e;
            if (auto e = several(*peer)) return *e;
            plan = {who, "ha-reset", nullptr, "ha-reset sent to " + who + " (back to 'waiting', then a lease resync)"};
            break;
        }
        case HaAction::DhcpDisable: {
            if (is_main(peer->role)) {
                if (auto e = partner_serves("disabled")) return *e;
            }
            if (auto e = several(*peer)) return *e;
            nlohmann::json arguments = nlohmann::json::object();
            if (max_period_s) arguments["max-period"] = *max_period_s;
            plan = {who, "dhcp-disable", arguments.empty() ? nlohmann::json() : arguments,
                    "dhcp-disable sent to " + who +
                        (max_period_s ? " (Kea enables it again after " + std::to_string(*max_period_s) + " s)" : "")};
            break;
        }
        case HaAction::DhcpEnable:
            // Giving service back never takes anything out: no guard.
            plan = {who, "dhcp-enable", nullptr, "dhcp-enable sent to " + who};
            break;
        case HaAction::Sync: {
            if (!is_main(peer->role) || !partner) return refused(who + " has no partner to sync leases from");
            // Kea disables DHCP on the partner while it sends its leases: the peer must serve meanwhile.
            if (!peer->condition || !is_usable(*peer->condition)) {
                return refused("refusing to leave no main peer in service: ha-sync disables DHCP on " + partner->name +
                               " while " + who + " pulls its leases, and " + who + " is " + condition_text(*peer));
            }
            if (!partner->condition || partner->condition == PeerCondition::Unreachable) {
                return refused(partner->name + " is " + condition_text(*partner) + ": no leases to pull from it");
            }
            if (auto e = several(*peer)) return *e;
            nlohmann::json arguments = {{"server-name", partner->name}};
            if (max_period_s) arguments["max-period"] = *max_period_s;
            plan = {who, "ha-sync", arguments, "ha-sync sent to " + who + ": it pulls the leases of " + partner->name};
            break;
        }
    }
    return plan;
}

}  // namespace kea_ha::core
