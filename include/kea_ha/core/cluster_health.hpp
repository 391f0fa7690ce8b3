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
    /// differ by ≥ 60 s, or the main peers cannot reach each other (split brain). Exits: every
    /// peer active, in touch, and clocks close (→ OK); no main usable (→ Down).
    Impaired,
    /// Every peer active and the main peers in touch. Exits: a peer stops being active, or the
    /// main peers lose each other (→ Impaired or Down).
    Ok,
};

/// "Unreachable", "Down", "Impaired", "OK".
std::string_view to_string(ClusterState state);

/// Kea terminates HA when its partner's clock differs by more than this (TERM_CLOCK_SKEW).
inline constexpr Duration kClockSkewImpaired = std::chrono::seconds(60);
/// The ha-heartbeat `date-time` and 3.0 `system-time` have whole-second resolution.
inline constexpr Duration kPeerTimeResolution = std::chrono::seconds(1);
/// Kea ≥ 3.0's local `system-time` is the peer's clock at its last skew measurement, whole
/// seconds, refreshed by the HA heartbeat: a controller-to-peer figure from it is shown only
/// beyond this (its resolution plus the heartbeat's age, SPEC §4), never as −2 s for a synced peer.
inline constexpr Duration kStampUncertainty = std::chrono::seconds(3);

/// SPEC §4: why a cluster is Down (ClusterView::cause), in the detail, metrics, logs, alerts.
namespace down_cause {
/// No main peer answers the controller: DHCP may still be served (check the controller's network first).
inline constexpr char kUnreachable[] = "unreachable";
/// The main peers that answer report they do not serve (disabled, maintenance, waiting, …).
inline constexpr char kNotServing[] = "not-serving";
}  // namespace down_cause

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
    /// SPEC §4 busy peers: the controller's own config commands running on it now (Kea answers
    /// nothing else meanwhile), and when its polls may still time out for that after the last
    /// one ended (its end + keaRequestTimeout).
    int config_commands = 0;
    std::optional<SteadyTime> busy_until;
    std::optional<PeerCondition> condition_before_busy;  ///< what the rules see while it is busy

    bool operator==(const PeerMemory&) const = default;
};

/// Memory between evaluations. Start from a default one; keep `ClusterView::next_memory`.
struct ClusterMemory {
    ClusterState state = ClusterState::Unreachable;
    std::string reason;
    std::optional<std::string> cause;                    ///< Down only (down_cause)
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

/// SPEC §4 busy peers: the edge calls this when it sends a config command (config-get, -test,
/// -set, -write, config-hash-get) to `peer`. Until note_config_command_done() plus `linger`,
/// a poll of it that times out shows it transitional "busy: applying config", not
/// unreachable, and the rules (state, source of truth) keep seeing what it was before.
void note_config_command(ClusterMemory& memory, std::string_view peer, SteadyTime now);
/// The edge calls this when that command ended (whatever its outcome) at `now`.
void note_config_command_done(ClusterMemory& memory, std::string_view peer, SteadyTime now, Duration linger);

/// The reason shown for a peer whose polls time out while our config command runs on it.
inline constexpr char kBusyApplyingConfig[] = "busy: applying config";

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
    /// Its clock minus the controller's, seconds: from ha-heartbeat (±0.5 s), or from Kea 3.0's
    /// stamped `system-time` only when beyond kStampUncertainty; none when not meaningful.
    std::optional<double> clock_skew_s;
    std::optional<PartnerReport> partner;  ///< what it reports of its HA partner (status-get `remote`)

    bool operator==(const PeerView&) const = default;
};

/// The decision of one evaluation.
struct ClusterView {
    ClusterState state = ClusterState::Unreachable;
    std::string reason;
    std::optional<std::string> source_of_truth;
    std::vector<PeerView> peers;           ///< topology order
    std::optional<double> clock_skew_s;    ///< largest difference between peer clocks, seconds
    /// Down only: down_cause::kUnreachable or down_cause::kNotServing.
    std::optional<std::string> cause;
    /// The main peers serve alone (SPEC §4 split brain): "server1+server2"; none otherwise.
    std::optional<std::string> split_brain;
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
