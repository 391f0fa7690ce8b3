#include "kea_ha/core/source_of_truth.hpp"

namespace kea_ha::core {
namespace {

bool usable(const std::map<std::string, PeerCondition>& conditions, const std::string& name) {
    const auto found = conditions.find(name);
    return found != conditions.end() && is_usable(found->second);
}

}  // namespace

SourceOfTruthChoice choose_source_of_truth(const Topology& topology,
                                           const std::map<std::string, PeerCondition>& conditions,
                                           const std::optional<std::string>& previous) {
    // SPEC §5. 1: the primary when usable.
    const auto* primary = topology.primary();
    if (primary && usable(conditions, primary->name)) {
        return {primary->name, "the primary " + primary->name + " is usable"};
    }
    const std::string primary_name = primary ? primary->name : std::string("(none)");
    // 2: a secondary/standby that already is SoT stays so until the primary is usable again.
    if (previous) {
        const auto* peer = topology.find_peer(*previous);
        if (peer && is_main(peer->role) && peer->role != PeerRole::Primary && usable(conditions, peer->name)) {
            return {peer->name, "the primary " + primary_name + " is not usable; " + peer->name +
                                    " stays the source of truth until it is"};
        }
    }
    // 3: otherwise the first secondary/standby (config order) that is usable. Never a backup.
    for (const auto& peer : topology.peers) {
        if (peer.role == PeerRole::Primary || !is_main(peer.role)) continue;
        if (usable(conditions, peer.name)) {
            return {peer.name, "the primary " + primary_name + " is not usable; " + peer.name +
                                   " (" + std::string(to_string(peer.role)) + ") is usable"};
        }
    }
    // 4: in Down there is none.
    return {std::nullopt, "no main peer is usable"};
}

}  // namespace kea_ha::core
