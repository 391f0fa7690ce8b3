#pragma once
// Events (SPEC §4, §6): each change of a peer's condition, a cluster's state or its source
// of truth, reported once by the core. The edge logs it once, stores it (/events), counts it.

#include <optional>
#include <string>

#include "kea_ha/core/time.hpp"

namespace kea_ha::core {

/// Stable event kinds.
namespace event_kind {
inline constexpr char kPeerCondition[] = "peer-condition";    ///< from/to: "unknown", "active", "unreachable", …
inline constexpr char kClusterState[] = "cluster-state";      ///< from/to: "Unreachable", "Down", "Impaired", "OK"
inline constexpr char kSourceOfTruth[] = "source-of-truth";   ///< from/to: a peer name, or "" for none
}  // namespace event_kind

/// One change, named on both sides.
struct Event {
    SystemTime when;                  ///< wall clock of the evaluation that saw the change
    std::string cluster;              ///< the registered name
    std::optional<std::string> peer;  ///< set for peer-condition events
    std::string kind;                 ///< one of event_kind
    std::string from;
    std::string to;
    std::string reason;               ///< why it is now `to`

    bool operator==(const Event&) const = default;
};

}  // namespace kea_ha::core
