#pragma once
// Warnings (SPEC §4): problems an operator should know about that ride along with any
// cluster state. The core returns them; the edge logs, shows and counts them.

#include <optional>
#include <string>

namespace kea_ha::core {

/// Stable warning codes: the API, the status page and metrics use them as keys.
namespace warning_code {
inline constexpr char kClockSkew[] = "clock-skew";                   ///< peer clocks differ by ≥ keaClockSkewWarning
inline constexpr char kTimers[] = "timers";                          ///< max-response-delay vs heartbeat-delay
inline constexpr char kPeerConfigMismatch[] = "peer-config-mismatch";///< a peer's HA config disagrees with the primary's
inline constexpr char kUnknownHaState[] = "unknown-ha-state";        ///< a state this version does not know (or not for that role)
inline constexpr char kLeaseCmdsMissing[] = "lease-cmds-missing";    ///< libdhcp_lease_cmds.so not loaded
inline constexpr char kListenerOnCaPort[] = "listener-on-ca-port";   ///< HA+MT dedicated listener on keaControlAgentPort
inline constexpr char kHaTerminated[] = "ha-terminated";             ///< a peer is in HA state terminated
inline constexpr char kConfigBackend[] = "config-backend";           ///< config-control present: no replication
inline constexpr char kSplitBrain[] = "split-brain";                 ///< both main peers serve alone: their HA channel is cut
inline constexpr char kSubnetIdMismatch[] = "subnet-id-mismatch";    ///< a relationship's subnet has another id (or none) on a peer
inline constexpr char kFailoverTimers[] = "failover-timers";         ///< max-ack-delay / max-unacked-clients advice
inline constexpr char kPoolsNotSplit[] = "pools-not-split";          ///< load-balancing pools not split by HA_<server> classes
inline constexpr char kListenerConflict[] = "listener-conflict";     ///< an HA listener on another relationship's or a control socket's port
}  // namespace warning_code

/// One warning. `message` is complete text for people ("what, where, what to do").
struct Warning {
    std::string code;                 ///< one of warning_code
    std::string message;
    std::optional<std::string> peer;  ///< the peer it is about; none: the whole cluster

    bool operator==(const Warning&) const = default;
};

}  // namespace kea_ha::core
