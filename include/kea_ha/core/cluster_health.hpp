#pragma once
// The cluster health state machine (SPEC §4, second table). The only place that decides
// when a cluster is OK, Impaired, Down or Unreachable. Pure: observations, memory and
// clocks come in; the view, the events and the next memory come out.

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kea_ha/core/event.hpp"
#include "kea_ha/core/peer_condition.hpp"
#include "kea_ha/core/time.hpp"
#include "kea_ha/core/topology.hpp"
#include "kea_ha/core/warning.hpp"

namespace kea_ha::core {

/// SPEC §4 cluster states.
enum class ClusterState {
    /// No topology known: the primary has never been reached and nothing is cached.
    /// Exits: a topology is learned (→ whatever the peers say).
    Unreachable,
    /// Topology known, no main peer usable. Changes refused (503), replication stops.
    /// Exits: a main peer becomes usable (→ Impaired or OK).
    Down,
    /// A main peer usable, but some peer is not active, or HA is terminated, or peer clocks
    /// differ by ≥ 60 s. Exits: every peer active and clocks close (→ OK); no main usable (→ Down).
    Impaired,
    /// Every peer active. Exits: a peer stops being active (→ Impaired or Down).
    Ok,
};

/// "Unreachable", "Down", "Impaired", "OK".
std::string_view to_string(ClusterState state);

/// Kea terminates HA when its partner's clock differs by more than this (TERM_CLOCK_SKEW).
inline constexpr Duration kClockSkewImpaired = std::chrono::seconds(60);
/// The ha-heartbeat `date-time` and 3.0 `system-time` have whole-second resolution.
inline constexpr Duration kPeerTimeResolution = std::chrono::seconds(1);

/// Settings evaluate() takes from the registration and preferences.
struct HealthSettings {
    std::string cluster;                                         ///< registered name (events)
    Duration clock_skew_warning = std::chrono::seconds(30);      ///< keaClockSkewWarning
    Duration warning_repeat = std::chrono::seconds(60);          ///< clock-skew re-raised at most this often
};

/// What the machine remembers between evaluations, per peer.
struct PeerMemory {
    std::optional<PeerCondition> condition;  ///< as last shown; none: never observed
    std::string reason;
    std::optional<SystemTime> last_seen;     ///< last poll that reached it
    /// SPEC §4 grace: the controller itself config-set this peer; until then a restart
    /// (transitional, or a poll timing out) shows as transitional "applying config".
    std::optional<SteadyTime> applying_config_until;
    /// The condition the rules keep seeing during that grace (what it was before the write).
    std::optional<PeerCondition> condition_before_config;

    bool operator==(const PeerMemory&) const = default;
};

/// Memory between evaluations. Start from a default one; keep `ClusterView::next_memory`.
struct ClusterMemory {
    ClusterState state = ClusterState::Unreachable;
    std::string reason;
    std::optional<std::string> source_of_truth;
    std::map<std::string, PeerMemory> peers;             ///< by peer name
    std::optional<SteadyTime> last_clock_skew_warning;   ///< gating: Kea's "once a minute"
    std::set<std::string> raised_warnings;               ///< keys of warnings already raised

    bool operator==(const ClusterMemory&) const = default;
};

/// SPEC §4 grace after our own config-set: max(10 s, 3 × heartbeat-delay).
Duration config_grace_period(const Topology& topology);

/// The edge calls this when it config-sets `peer` (before sending): the peer's coming HA
/// restart will not turn an OK cluster Impaired until now + config_grace_period().
void note_applying_config(ClusterMemory& memory, const Topology& topology, std::string_view peer,
                          SteadyTime now);

/// One peer as the cluster view shows it.
struct PeerView {
    std::string name;
    PeerRole role = PeerRole::Primary;
    PeerCondition condition = PeerCondition::Unreachable;
    std::string reason;
    bool observed = false;          ///< polled at least once since the topology was learned
    bool usable = false;            ///< as the rules see it (a peer in its grace keeps its previous)
    bool applying_config = false;   ///< shown as transitional "applying config" (grace)
    bool unknown_state = false;
    std::optional<std::string> ha_state;
    std::optional<SystemTime> last_seen;
    std::optional<double> clock_skew_s;  ///< its clock minus the controller's, seconds (±1 s)

    bool operator==(const PeerView&) const = default;
};

/// The decision of one evaluation.
struct ClusterView {
    ClusterState state = ClusterState::Unreachable;
    std::string reason;
    std::optional<std::string> source_of_truth;
    std::vector<PeerView> peers;           ///< topology order
    std::optional<double> clock_skew_s;    ///< largest difference between peer clocks, seconds
    std::vector<Warning> warnings;         ///< every current warning (topology ones first)
    /// Warnings to log now: those not present at the previous evaluation, and clock-skew
    /// again at most once per HealthSettings::warning_repeat while it lasts.
    std::vector<Warning> new_warnings;
    /// Changes since the previous evaluation, each exactly once: peer-condition (topology
    /// order), then cluster-state, then source-of-truth.
    std::vector<Event> events;
    ClusterMemory next_memory;
};

/// SPEC §4 state table. `topology` null: Unreachable. `seen[i]` is the latest poll of
/// `topology->peers[i]` (none yet: not observed). While some peer has not been observed,
/// the state and SoT stay as they were (no false alarm while the first polls run).
/// `now` drives the grace and the gating; `wall_now` stamps events.
ClusterView evaluate(const Topology* topology, std::span<const std::optional<PeerObservation>> seen,
                     const ClusterMemory& before, SteadyTime now, SystemTime wall_now,
                     const HealthSettings& settings);

}  // namespace kea_ha::core
