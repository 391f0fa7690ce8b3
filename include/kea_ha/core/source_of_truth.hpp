#pragma once
// SPEC §5 "SoT choice": which peer's config is the truth replicated to the others.

#include <map>
#include <optional>
#include <string>

#include "kea_ha/core/peer_condition.hpp"
#include "kea_ha/core/topology.hpp"

namespace kea_ha::core {

struct SourceOfTruthChoice {
    std::optional<std::string> peer;  ///< none: no main peer usable (the cluster is Down)
    std::string reason;               ///< for the event and the status

    bool operator==(const SourceOfTruthChoice&) const = default;
};

/// The primary when usable. Otherwise the first secondary/standby to be usable, which
/// stays SoT until the primary is usable again (so `previous` is kept while it is usable).
/// Never a backup; none when no main peer is usable. `conditions` maps peer names to the
/// conditions the rules see; a missing name is not usable.
SourceOfTruthChoice choose_source_of_truth(const Topology& topology,
                                           const std::map<std::string, PeerCondition>& conditions,
                                           const std::optional<std::string>& previous);

}  // namespace kea_ha::core
