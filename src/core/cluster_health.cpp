#include "kea_ha/core/cluster_health.hpp"

#include <algorithm>
#include <cmath>

#include "kea_ha/core/source_of_truth.hpp"

namespace kea_ha::core {
namespace {

using namespace std::chrono_literals;

constexpr char kUnknown[] = "unknown";                   // "from" of a peer's first condition event
constexpr char kApplyingConfig[] = "applying config";   // SPEC §4: the reason shown during the grace

double seconds_of(Duration duration) { return std::chrono::duration<double>(duration).count(); }

std::string whole_seconds(double seconds) {
    const auto rounded = std::lround(seconds);
    return (rounded > 0 ? "+" : "") + std::to_string(rounded) + " s";
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const auto& part : parts) {
        if (!out.empty()) out += separator;
        out += part;
    }
    return out;
}

/// A restart caused by our own config-set looks like this (SPEC §4 grace): HA back in
/// waiting/syncing/ready (or no HA state while the hook reloads), or a poll that timed out
/// or found the daemon busy behind its CA while it loads a large config. A refused
/// connection or an auth failure is not ours to excuse.
bool looks_like_config_restart(const ClassifiedPeer& classified, const PeerObservation& observation) {
    if (classified.condition == PeerCondition::Transitional) return true;
    if (classified.condition != PeerCondition::Unreachable) return false;
    if (!observation.error) return true;
    return observation.error->kind == ErrorKind::Timeout || observation.error->kind == ErrorKind::DaemonOffline;
}

/// One peer after this evaluation.
struct Assessed {
    PeerView view;
    PeerCondition rules_condition = PeerCondition::Unreachable;  ///< what the SPEC §4 rules see
    bool pending = false;                                        ///< never observed: hold the state
    std::optional<ErrorKind> unreachable_by;                     ///< why the last poll did not reach it
};

/// SPEC §4 Down causes: the controller knows this peer does not serve. It answered and is not
/// usable; or its Control Agent answered that the daemon behind it is offline; or its host
/// refused the connection (nothing listens: on the direct transport, a stopped daemon). A
/// timeout, a TLS or an auth failure leaves it unknown: it may be serving.
bool known_not_serving(const Assessed& a) {
    if (a.view.usable) return false;
    if (a.rules_condition != PeerCondition::Unreachable) return true;
    return a.unreachable_by == ErrorKind::DaemonOffline || a.unreachable_by == ErrorKind::Refused;
}

/// The facts the state table reads.
struct HealthFacts {
    std::vector<std::string> pending;          ///< peers not observed yet
    bool main_usable = false;
    /// Every main peer is known not to serve: it answered and is not usable, or its Control
    /// Agent says its daemon is offline, or its host refused the connection (nothing listens).
    bool mains_known_not_serving = true;
    std::vector<std::string> main_unusable;    ///< "server1 unreachable (…)"
    std::vector<std::string> not_active;       ///< "server2 transitional (…)", backups included
    std::optional<std::string> clock_problem;  ///< "peer clocks differ by 61 s …"
    std::optional<std::string> split_brain;    ///< "split brain: server1 and server2 …"
};

struct Transition {
    ClusterState to;
    std::string reason;
    std::optional<std::string> cause;  ///< Down only
};

/// SPEC §4 second table. The state is a function of the facts, not of the state before
/// (one rule per state, checked from the worst), so there is no per-state switch: the
/// only memory is in the facts themselves (grace, SoT stickiness) and in the hold below.
Transition next_state(const ClusterMemory& before, const HealthFacts& facts) {
    if (!facts.pending.empty()) {
        // The first poll of a peer is under way (each ends within keaRequestTimeout):
        // keep the state rather than raise a false alarm from a half-seen cluster.
        if (before.state == ClusterState::Unreachable) {
            return {before.state, "topology known; waiting for the first poll of " + join(facts.pending, ", "), std::nullopt};
        }
        return {before.state, before.reason, before.cause};
    }
    if (!facts.main_usable) {
        // SPEC §4: Down has two causes, said apart. While one main peer's state is unknown to
        // the controller (a timeout, TLS or auth failure), DHCP may still be served.
        if (!facts.mains_known_not_serving) {
            return {ClusterState::Down,
                    "no main peer usable: " + join(facts.main_unusable, "; ") +
                        "; no main peer answers the controller: DHCP may still be served, check the "
                        "controller's network to the peers first",
                    down_cause::kUnreachable};
        }
        return {ClusterState::Down,
                "no main peer usable: " + join(facts.main_unusable, "; ") + "; the peers report they do not serve",
                down_cause::kNotServing};
    }
    std::vector<std::string> problems;
    if (facts.split_brain) problems.push_back(*facts.split_brain);
    problems.insert(problems.end(), facts.not_active.begin(), facts.not_active.end());
    if (facts.clock_problem) problems.push_back(*facts.clock_problem);
    if (!problems.empty()) return {ClusterState::Impaired, join(problems, "; "), std::nullopt};
    return {ClusterState::Ok, "every peer active, the main peers in touch", std::nullopt};
}

/// The peer's clock minus the controller's, where it means something (SPEC §4): from
/// ha-heartbeat's `date-time`, truncated to the second, so the middle of that second (±0.5 s);
/// from Kea 3.0's stamped `system-time` only beyond kStampUncertainty.
std::optional<double> controller_offset(const PeerObservation& observation) {
    const double half_second = seconds_of(kPeerTimeResolution) / 2;
    if (observation.peer_time) {
        return seconds_of(std::chrono::duration_cast<Duration>(*observation.peer_time - observation.observed_wall)) +
               half_second;
    }
    if (observation.stamped_time) {
        const double offset =
            seconds_of(std::chrono::duration_cast<Duration>(*observation.stamped_time - observation.observed_wall)) +
            half_second;
        if (std::abs(offset) > seconds_of(kStampUncertainty)) return offset;
    }
    return std::nullopt;
}

/// What one main peer reports that shows it cannot reach its partner: "partner-down",
/// "partner communication-interrupted", "partner never in touch"; empty when none.
std::vector<std::string> lost_partner_signs(const PeerView& peer) {
    std::vector<std::string> signs;
    if (peer.ha_state == "partner-down") signs.emplace_back("partner-down");
    if (peer.partner && peer.partner->communication_interrupted == true) {
        signs.emplace_back("partner communication-interrupted");
    }
    if (peer.partner && peer.partner->in_touch == false) signs.emplace_back("partner never in touch");
    return signs;
}

/// SPEC §4 split brain: the controller reaches both main peers, both usable, none restarting
/// for our own config-set, and they report they cannot reach each other (both partner-down,
/// or one reports its partner communication-interrupted or never in touch). A partner the
/// controller cannot reach, or one restarting, is not a split brain: it is away.
std::optional<std::string> split_brain_of(const std::vector<Assessed>& assessed, std::string& peers) {
    std::vector<const PeerView*> mains;
    for (const auto& a : assessed)
        if (is_main(a.view.role)) mains.push_back(&a.view);
    if (mains.size() != 2) return std::nullopt;
    for (const auto* peer : mains) {
        if (!peer->observed || peer->condition == PeerCondition::Unreachable || peer->applying_config ||
            !peer->usable) {
            return std::nullopt;
        }
    }
    const auto first = lost_partner_signs(*mains[0]);
    const auto second = lost_partner_signs(*mains[1]);
    const auto down = [](const std::vector<std::string>& signs) {
        return std::find(signs.begin(), signs.end(), "partner-down") != signs.end();
    };
    const auto talks = [](const std::vector<std::string>& signs) {
        return std::any_of(signs.begin(), signs.end(), [](const auto& sign) { return sign != "partner-down"; });
    };
    if (!(down(first) && down(second)) && !talks(first) && !talks(second)) return std::nullopt;
    peers = mains[0]->name + "+" + mains[1]->name;
    std::vector<std::string> said;
    if (!first.empty()) said.push_back(mains[0]->name + ": " + join(first, ", "));
    if (!second.empty()) said.push_back(mains[1]->name + ": " + join(second, ", "));
    return "split brain: " + mains[0]->name + " and " + mains[1]->name +
           " cannot reach each other over the HA channel (" + join(said, "; ") +
           ") while the controller reaches both; each may serve every client";
}

std::string describe(const PeerView& peer) {
    return peer.name + " " + std::string(to_string(peer.condition)) + " (" + peer.reason + ")";
}

std::string warning_key(const Warning& warning) { return warning.code + "|" + warning.peer.value_or(""); }

}  // namespace

std::string_view to_string(ClusterState state) {
    switch (state) {
        case ClusterState::Unreachable: return "Unreachable";
        case ClusterState::Down: return "Down";
        case ClusterState::Impaired: return "Impaired";
        case ClusterState::Ok: return "OK";
    }
    return "unknown";
}

Duration config_grace_period(const Topology& topology) {
    // SPEC §4: max(10 s, 3 × heartbeat-delay). A standalone server has no heartbeat.
    const Duration floor = 10s;
    if (topology.mode == HaMode::Standalone) return floor;
    return std::max<Duration>(floor, 3 * topology.timers.heartbeat_delay);
}

void note_applying_config(ClusterMemory& memory, const Topology& topology, std::string_view peer, SteadyTime now) {
    auto& remembered = memory.peers[std::string(peer)];
    const bool in_grace = remembered.applying_config_until && now < *remembered.applying_config_until;
    // A second write during the grace keeps what the peer was before the first one.
    if (!in_grace) remembered.condition_before_config = remembered.condition;
    remembered.applying_config_until = now + config_grace_period(topology);
}

void note_config_command(ClusterMemory& memory, std::string_view peer, SteadyTime now) {
    auto& remembered = memory.peers[std::string(peer)];
    const bool busy = remembered.config_commands > 0 || (remembered.busy_until && now < *remembered.busy_until);
    if (!busy) {
        const bool in_grace = remembered.applying_config_until && now < *remembered.applying_config_until;
        remembered.condition_before_busy = in_grace && remembered.condition_before_config
                                               ? remembered.condition_before_config
                                               : remembered.condition;
    }
    ++remembered.config_commands;
}

void note_config_command_done(ClusterMemory& memory, std::string_view peer, SteadyTime now, Duration linger) {
    auto& remembered = memory.peers[std::string(peer)];
    if (remembered.config_commands > 0) --remembered.config_commands;
    const auto until = now + linger;
    if (!remembered.busy_until || *remembered.busy_until < until) remembered.busy_until = until;
}

ClusterView evaluate(const Topology* topology, std::span<const std::optional<PeerObservation>> seen,
                     const ClusterMemory& before, SteadyTime now, SystemTime wall_now,
                     const HealthSettings& settings) {
    ClusterView view;
    ClusterMemory next;
    next.last_clock_skew_warning = before.last_clock_skew_warning;
    const auto event = [&](const char* kind, std::optional<std::string> peer, std::string from, std::string to,
                           std::string reason) {
        view.events.push_back({wall_now, settings.cluster, std::move(peer), kind, std::move(from), std::move(to),
                               std::move(reason)});
    };

    std::vector<Assessed> assessed;
    HealthFacts facts;
    std::optional<SourceOfTruthChoice> choice;

    if (!topology) {
        view.state = ClusterState::Unreachable;
        view.reason = "topology unknown: the primary has not been reached and nothing is cached";
    } else {
        const bool standalone = topology->mode == HaMode::Standalone;
        // ---- each peer: condition, grace, events
        for (std::size_t i = 0; i < topology->peers.size(); ++i) {
            const auto& peer = topology->peers[i];
            const PeerObservation* observation = i < seen.size() && seen[i] ? &*seen[i] : nullptr;
            const auto found = before.peers.find(peer.name);
            PeerMemory remembered = found == before.peers.end() ? PeerMemory{} : found->second;
            const bool in_grace = remembered.applying_config_until && now < *remembered.applying_config_until;
            if (!in_grace) {
                remembered.applying_config_until.reset();
                remembered.condition_before_config.reset();
            }
            const bool busy =
                remembered.config_commands > 0 || (remembered.busy_until && now < *remembered.busy_until);
            if (!busy) {
                remembered.busy_until.reset();
                remembered.condition_before_busy.reset();
            }

            Assessed a;
            a.view.name = peer.name;
            a.view.role = peer.role;
            if (!observation) {
                if (remembered.condition) {
                    // Polled before (e.g. the topology was learned again): keep what we knew.
                    a.view.condition = *remembered.condition;
                    a.view.reason = remembered.reason;
                    a.view.applying_config = in_grace && a.view.reason == kApplyingConfig;
                    a.rules_condition = a.view.applying_config && remembered.condition_before_config
                                            ? *remembered.condition_before_config
                                            : a.view.condition;
                } else {
                    a.pending = true;
                    a.view.condition = PeerCondition::Unreachable;
                    a.view.reason = "not polled yet";
                    a.rules_condition = PeerCondition::Unreachable;
                }
            } else {
                a.view.observed = true;
                const auto classified = classify(peer.role, standalone, *observation);
                a.view.condition = classified.condition;
                a.view.reason = classified.reason;
                a.view.unknown_state = classified.unknown_state;
                a.view.ha_state = observation->ha_state;
                a.view.partner = observation->partner;
                if (!observation->reached && observation->error) a.unreachable_by = observation->error->kind;
                a.rules_condition = classified.condition;
                if (observation->reached) remembered.last_seen = observation->observed_wall;
                if (in_grace && looks_like_config_restart(classified, *observation)) {
                    // SPEC §4: our own config-set restarts HA; not an outage until the grace ends.
                    a.view.condition = PeerCondition::Transitional;
                    a.view.reason = kApplyingConfig;
                    a.view.applying_config = true;
                    a.view.unknown_state = false;
                    a.rules_condition = remembered.condition_before_config.value_or(classified.condition);
                } else if (busy && observation->error && observation->error->kind == ErrorKind::Timeout) {
                    // SPEC §4: Kea answers nothing else while our config command runs on it
                    // (2–3 s at 50 000 reservations): not unreachable, and the SoT stays.
                    a.view.condition = PeerCondition::Transitional;
                    a.view.reason = kBusyApplyingConfig;
                    a.view.applying_config = true;
                    a.rules_condition = remembered.condition_before_busy.value_or(PeerCondition::Unreachable);
                }
                if (remembered.condition != a.view.condition) {
                    event(event_kind::kPeerCondition, peer.name,
                          remembered.condition ? std::string(to_string(*remembered.condition)) : kUnknown,
                          std::string(to_string(a.view.condition)), a.view.reason);
                }
                remembered.condition = a.view.condition;
                remembered.reason = a.view.reason;
            }
            a.view.usable = is_usable(a.rules_condition);
            a.view.last_seen = remembered.last_seen;
            next.peers[peer.name] = std::move(remembered);
            assessed.push_back(std::move(a));
        }

        // ---- clocks (SPEC §4): peer against peer from Kea's own `clock-skew` (3.0+) or from
        // the ha-heartbeat dates (before 3.0); each peer against the controller where meaningful.
        struct Offsets {
            std::optional<double> low, high;
            void add(double value) {
                low = low ? std::min(*low, value) : value;
                high = high ? std::max(*high, value) : value;
            }
            double spread() const { return low ? *high - *low : 0.0; }
        } all, mains;
        double reported = 0.0;
        bool any_clock = false;
        std::vector<std::string> offsets_text;
        for (std::size_t i = 0; i < assessed.size(); ++i) {
            const PeerObservation* observation = i < seen.size() && seen[i] ? &*seen[i] : nullptr;
            if (!observation || !observation->reached) continue;
            const bool main_peer = is_main(topology->peers[i].role);
            if (const auto offset = controller_offset(*observation)) {
                assessed[i].view.clock_skew_s = *offset;
                offsets_text.push_back(topology->peers[i].name + " " + whole_seconds(*offset));
                any_clock = true;
                // Only the heartbeat's dates compare peer against peer; 3.0's stamps lag by the
                // heartbeat's age, and Kea's own clock-skew says it better.
                if (observation->peer_time) {
                    all.add(*offset);
                    if (main_peer) mains.add(*offset);
                }
            }
            // Kea ≥ 3.0 reports its own view of the skew to its partner (main peers only).
            if (main_peer && observation->reported_clock_skew_s) {
                reported = std::max(reported, std::abs(*observation->reported_clock_skew_s));
                any_clock = true;
            }
        }
        // Whole-second stamps: a measured spread may exceed the true one by up to a second,
        // so thresholds compare the spread minus that (no false alarm from rounding).
        const double tolerance = seconds_of(kPeerTimeResolution);
        const double skew_all = std::max(all.spread() - tolerance, reported);
        const double skew_main = std::max(mains.spread() - tolerance, reported);
        // Shown: a figure within the stamps' resolution (Kea 3.0's `clock-skew` of ±1 for a pair
        // synced on one clock, a spread of 1 across a second boundary) cannot be told from 0.
        const auto shown = [tolerance](double skew) { return skew <= tolerance ? 0.0 : skew; };
        if (any_clock) view.clock_skew_s = std::max(shown(all.spread()), shown(reported));

        // ---- warnings riding along (SPEC §4)
        view.warnings = topology->warnings;
        for (const auto& a : assessed) {
            if (a.view.condition == PeerCondition::Terminated) {
                view.warnings.push_back(
                    {warning_code::kHaTerminated,
                     a.view.name + " is in HA state terminated: it serves DHCP but HA is off (no lease updates, no "
                                   "failover); sync the peers' clocks (NTP), then restart both servers",
                     a.view.name});
            }
            if (a.view.unknown_state) {
                view.warnings.push_back({warning_code::kUnknownHaState,
                                         a.view.name + ": " + a.view.reason + "; treated as transitional",
                                         a.view.name});
            }
        }
        const auto clock_text = [&](double skew) {
            std::vector<std::string> sources;
            if (!offsets_text.empty()) sources.push_back(join(offsets_text, ", ") + " against the controller's clock");
            if (reported > 0) sources.push_back("Kea's own measure between the peers " + whole_seconds(reported));
            return "peer clocks differ by " + std::to_string(std::lround(skew)) + " s (" + join(sources, "; ") + ")";
        };
        if (skew_all >= seconds_of(settings.clock_skew_warning)) {
            view.warnings.push_back(
                {warning_code::kClockSkew,
                 clock_text(*view.clock_skew_s) + "; keaClockSkewWarning is " +
                     std::to_string(std::lround(seconds_of(settings.clock_skew_warning))) +
                     " s and Kea terminates HA at " + std::to_string(std::lround(seconds_of(kClockSkewImpaired))) +
                     " s: sync the clocks (NTP)",
                 std::nullopt});
        }

        // ---- the state
        for (const auto& a : assessed) {
            if (a.pending) facts.pending.push_back(a.view.name);
            if (is_main(a.view.role)) {
                if (!known_not_serving(a)) facts.mains_known_not_serving = false;
                if (a.view.usable) {
                    facts.main_usable = true;
                } else {
                    facts.main_unusable.push_back(describe(a.view));
                }
            }
            if (a.rules_condition != PeerCondition::Active) facts.not_active.push_back(describe(a.view));
        }
        if (skew_main >= seconds_of(kClockSkewImpaired)) {
            facts.clock_problem = clock_text(std::max(mains.spread(), reported)) + ": Kea terminates HA at " +
                                  std::to_string(std::lround(seconds_of(kClockSkewImpaired))) + " s";
        }
        std::string split_peers;
        facts.split_brain = split_brain_of(assessed, split_peers);
        if (facts.split_brain) {
            view.split_brain = split_peers;
            view.warnings.push_back(
                {warning_code::kSplitBrain,
                 *facts.split_brain +
                     ": check the HA channel between them (their HA urls, firewalls, the dedicated listener ports); "
                     "once in touch again they sync and go back to their normal state",
                 std::nullopt});
        }
        auto transition = next_state(before, facts);
        view.state = transition.to;
        view.reason = std::move(transition.reason);
        if (view.state == ClusterState::Down) view.cause = std::move(transition.cause);

        // ---- the source of truth
        if (facts.pending.empty()) {
            std::map<std::string, PeerCondition> conditions;
            for (const auto& a : assessed) conditions[a.view.name] = a.rules_condition;
            choice = choose_source_of_truth(*topology, conditions, before.source_of_truth);
            view.source_of_truth = choice->peer;
        } else {
            view.source_of_truth = before.source_of_truth;  // held with the state
        }
        for (auto& a : assessed) view.peers.push_back(std::move(a.view));
    }

    // ---- events for the cluster, each once
    if (view.state != before.state) {
        event(event_kind::kClusterState, std::nullopt, std::string(to_string(before.state)),
              std::string(to_string(view.state)), view.reason);
    } else if (view.state == ClusterState::Down && before.cause && view.cause && *before.cause != *view.cause) {
        // SPEC §4: the two Down causes are said apart; a move from one to the other is news
        // (the network to the peers back, the daemons still stopped; or the reverse).
        event(event_kind::kClusterState, std::nullopt, std::string(to_string(before.state)),
              std::string(to_string(view.state)),
              "cause " + *view.cause + " (was " + *before.cause + "): " + view.reason);
    }
    if (view.source_of_truth != before.source_of_truth) {
        event(event_kind::kSourceOfTruth, std::nullopt, before.source_of_truth.value_or(""),
              view.source_of_truth.value_or(""), choice ? choice->reason : view.reason);
    }

    // ---- which warnings to log now
    for (const auto& warning : view.warnings) {
        const auto key = warning_key(warning);
        if (warning.code == warning_code::kClockSkew) {
            // Like Kea's own clock-skew warning: at most once per warning_repeat while it lasts.
            if (!before.last_clock_skew_warning || now - *before.last_clock_skew_warning >= settings.warning_repeat) {
                view.new_warnings.push_back(warning);
                next.last_clock_skew_warning = now;
            }
        } else if (!before.raised_warnings.count(key)) {
            view.new_warnings.push_back(warning);
        }
        next.raised_warnings.insert(key);
    }

    next.state = view.state;
    next.reason = view.reason;
    next.cause = view.cause;
    next.source_of_truth = view.source_of_truth;
    view.next_memory = std::move(next);
    return view;
}

}  // namespace kea_ha::core
