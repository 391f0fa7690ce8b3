// SPEC §4 second table (cluster states), warnings, the §4 config grace and the §5 SoT over
// time, driven by a FakeClock: evaluate() is called the way the ClusterMonitor calls it.

#include "kea_ha/core/cluster_health.hpp"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

namespace kea_ha::core {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

SystemTime at(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
    return time_point_cast<SystemTime::duration>(sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} +
                                                 seconds{ss});
}

/// Time for the core, moved by hand.
struct FakeClock {
    SteadyTime steady = SteadyTime{} + 1000h;
    SystemTime wall = at(2026, 11, 24, 20, 0, 0) + 400ms;  // not on a whole second, like real life
    void advance(Duration d) {
        steady += d;
        wall += d;
    }
};

HaPeer peer(std::string name, PeerRole role) {
    const std::string url = "http://127.0.77." + std::string(1, name.back()) + ":8000/";
    return {name, url, role, true, url};
}

Topology hot_standby(bool with_backup = false, Duration heartbeat = 10s) {
    Topology topology;
    topology.service = "dhcp4";
    topology.mode = HaMode::HotStandby;
    topology.this_server_name = "server1";
    topology.registered_url = "http://127.0.77.1:8000/";
    topology.peers = {peer("server1", PeerRole::Primary), peer("server2", PeerRole::Standby)};
    if (with_backup) topology.peers.push_back(peer("server3", PeerRole::Backup));
    topology.timers.heartbeat_delay = heartbeat;
    topology.has_lease_cmds = true;
    return topology;
}

Topology standalone() {
    Topology topology;
    topology.service = "dhcp4";
    topology.mode = HaMode::Standalone;
    topology.this_server_name = "dhcp-a";
    topology.registered_url = "http://127.0.77.1:8000/";
    topology.peers = {{"dhcp-a", topology.registered_url, PeerRole::Primary, false, topology.registered_url}};
    topology.has_lease_cmds = true;
    return topology;
}

/// What a poll of one peer shows, in SPEC words.
enum class Seen { Active, Unreachable, Timeout, Disabled, Transitional, Maintenance, Terminated, Unknown, NotPolled };

std::string_view name_of(Seen seen) {
    switch (seen) {
        case Seen::Active: return "active";
        case Seen::Unreachable: return "unreachable";
        case Seen::Timeout: return "timeout";
        case Seen::Disabled: return "disabled";
        case Seen::Transitional: return "transitional";
        case Seen::Maintenance: return "maintenance";
        case Seen::Terminated: return "terminated";
        case Seen::Unknown: return "unknown-state";
        case Seen::NotPolled: return "not-polled";
    }
    return "?";
}

/// One cluster under test: a topology, the latest poll of each peer, the memory, a clock.
class Cluster {
public:
    explicit Cluster(Topology topology) : topology_(std::move(topology)), seen_(topology_.peers.size()) {
        settings.cluster = "dhcp-a";
    }

    /// Records a poll of `name` now; `clock_offset` is its clock minus ours.
    Cluster& poll(const std::string& name, Seen seen, Duration clock_offset = 0s) {
        const auto index = index_of(name);
        if (seen == Seen::NotPolled) {
            seen_[index].reset();
            return *this;
        }
        const auto role = topology_.peers[index].role;
        PeerObservation observation;
        observation.observed_at = clock.steady;
        observation.observed_wall = clock.wall;
        observation.latency = 3ms;
        const bool standalone = topology_.mode == HaMode::Standalone;
        const char* active = standalone ? nullptr : role == PeerRole::Backup ? "backup" : "hot-standby";
        switch (seen) {
            case Seen::Unreachable:
                observation.error = Error{ErrorKind::Refused, "connect: connection refused", name};
                break;
            case Seen::Timeout:
                observation.error = Error{ErrorKind::Timeout, "status-get: timed out after 5 s", name};
                break;
            default:
                observation.reached = true;
                break;
        }
        if (observation.reached) {
            // ha-heartbeat's date-time: whole seconds, truncated like Kea's HTTP date.
            observation.peer_time = floor<seconds>(clock.wall + clock_offset);
            if (!standalone) {
                switch (seen) {
                    case Seen::Active: observation.ha_state = active; break;
                    case Seen::Disabled:
                        observation.ha_state = active;
                        observation.dhcp_enabled = false;
                        break;
                    case Seen::Transitional: observation.ha_state = "waiting"; break;
                    case Seen::Maintenance: observation.ha_state = "in-maintenance"; break;
                    case Seen::Terminated: observation.ha_state = "terminated"; break;
                    case Seen::Unknown: observation.ha_state = "hyper-balancing"; break;
                    default: break;
                }
            } else if (seen == Seen::Disabled) {
                observation.dhcp_enabled = false;
            }
        }
        seen_[index] = observation;
        return *this;
    }

    Cluster& kea30_clock_skew(const std::string& name, double skew) {
        seen_[index_of(name)]->reported_clock_skew_s = skew;
        return *this;
    }

    /// Kea 3.0's status-get instead of ha-heartbeat: no date-time, a local `system-time`
    /// stamped `age` ago (at its last heartbeat) with the peer's clock `offset` from ours.
    Cluster& kea30_stamp(const std::string& name, Duration offset, Duration age) {
        auto& observation = *seen_[index_of(name)];
        observation.peer_time.reset();
        observation.stamped_time = floor<seconds>(clock.wall + offset - age);
        return *this;
    }

    /// The HA state the last poll of `name` read (partner-down, …).
    Cluster& ha_state(const std::string& name, std::string state) {
        seen_[index_of(name)]->ha_state = std::move(state);
        return *this;
    }

    /// What the last poll of `name` read of its partner (status-get `remote`).
    Cluster& partner(const std::string& name, bool interrupted, bool in_touch = true) {
        PartnerReport report;
        report.communication_interrupted = interrupted;
        report.in_touch = in_touch;
        report.unacked_clients = 0;
        seen_[index_of(name)]->partner = report;
        return *this;
    }

    ClusterView evaluate_now() {
        auto view = evaluate(&topology_, seen_, memory, clock.steady, clock.wall, settings);
        memory = view.next_memory;
        return view;
    }

    const Topology& topology() const { return topology_; }
    Topology& topology() { return topology_; }

    FakeClock clock;
    HealthSettings settings;
    ClusterMemory memory;

private:
    std::size_t index_of(const std::string& name) const {
        for (std::size_t i = 0; i < topology_.peers.size(); ++i) {
            if (topology_.peers[i].name == name) return i;
        }
        ADD_FAILURE() << "no peer " << name;
        return 0;
    }

    Topology topology_;
    std::vector<std::optional<PeerObservation>> seen_;
};

const PeerView& peer_of(const ClusterView& view, const std::string& name) {
    for (const auto& peer : view.peers) {
        if (peer.name == name) return peer;
    }
    ADD_FAILURE() << "no peer " << name;
    return view.peers.front();
}

std::vector<std::string> codes(const std::vector<Warning>& warnings) {
    std::vector<std::string> out;
    for (const auto& warning : warnings) out.push_back(warning.code);
    return out;
}

/// "kind peer from>to" per event, for whole-sequence comparisons.
std::vector<std::string> changes(const ClusterView& view) {
    std::vector<std::string> out;
    for (const auto& event : view.events) {
        out.push_back(event.kind + (event.peer ? " " + *event.peer : std::string()) + " " + event.from + ">" +
                      event.to);
    }
    return out;
}

// ------------------------------------------------------------ SPEC §4 state table, typed rows

struct Cell {
    std::string name;
    Seen seen;
};
Cell Primary(Seen s) { return {"server1", s}; }
Cell Standby(Seen s) { return {"server2", s}; }
Cell Backup(Seen s) { return {"server3", s}; }
struct Expectation {
    ClusterState state;
    std::optional<std::string> sot;
    bool operator==(const Expectation&) const = default;
};
std::optional<std::string> Sot(std::string name) { return name; }
const std::optional<std::string> kNoSot;
Expectation Expect(ClusterState state, std::optional<std::string> sot) { return {state, std::move(sot)}; }

std::ostream& operator<<(std::ostream& out, const Expectation& e) {
    return out << to_string(e.state) << " sot=" << e.sot.value_or("none");
}

struct HealthRow {
    std::vector<Cell> cells;
    Expectation expect;
};

std::string describe(const HealthRow& row) {
    std::string text;
    for (const auto& cell : row.cells) text += cell.name + "=" + std::string(name_of(cell.seen)) + " ";
    return text;
}

Expectation run(const HealthRow& row, bool with_backup) {
    Cluster cluster(hot_standby(with_backup));
    for (const auto& cell : row.cells) cluster.poll(cell.name, cell.seen);
    const auto view = cluster.evaluate_now();
    EXPECT_FALSE(view.reason.empty());
    return {view.state, view.source_of_truth};
}

TEST(ClusterHealth, SpecStateTable_HotStandbyPair) {
    using S = Seen;
    using CS = ClusterState;
    const HealthRow rows[] = {
        // OK: every peer active
        {{Primary(S::Active), Standby(S::Active)}, Expect(CS::Ok, Sot("server1"))},
        // Impaired: a main peer usable, but some peer not active, or HA terminated
        {{Primary(S::Unreachable), Standby(S::Active)}, Expect(CS::Impaired, Sot("server2"))},
        {{Primary(S::Active), Standby(S::Unreachable)}, Expect(CS::Impaired, Sot("server1"))},
        {{Primary(S::Transitional), Standby(S::Active)}, Expect(CS::Impaired, Sot("server2"))},
        {{Primary(S::Active), Standby(S::Transitional)}, Expect(CS::Impaired, Sot("server1"))},
        {{Primary(S::Maintenance), Standby(S::Active)}, Expect(CS::Impaired, Sot("server2"))},
        {{Primary(S::Active), Standby(S::Disabled)}, Expect(CS::Impaired, Sot("server1"))},
        {{Primary(S::Terminated), Standby(S::Terminated)}, Expect(CS::Impaired, Sot("server1"))},
        {{Primary(S::Terminated), Standby(S::Unreachable)}, Expect(CS::Impaired, Sot("server1"))},
        {{Primary(S::Unreachable), Standby(S::Terminated)}, Expect(CS::Impaired, Sot("server2"))},
        {{Primary(S::Unknown), Standby(S::Active)}, Expect(CS::Impaired, Sot("server2"))},
        // Down: no main peer usable
        {{Primary(S::Unreachable), Standby(S::Unreachable)}, Expect(CS::Down, kNoSot)},
        {{Primary(S::Disabled), Standby(S::Disabled)}, Expect(CS::Down, kNoSot)},
        {{Primary(S::Transitional), Standby(S::Transitional)}, Expect(CS::Down, kNoSot)},
        {{Primary(S::Maintenance), Standby(S::Unreachable)}, Expect(CS::Down, kNoSot)},
        {{Primary(S::Unknown), Standby(S::Timeout)}, Expect(CS::Down, kNoSot)},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(describe(row));
        EXPECT_EQ(row.expect, run(row, false));
    }
}

TEST(ClusterHealth, SpecStateTable_WithBackup) {
    using S = Seen;
    using CS = ClusterState;
    const HealthRow rows[] = {
        {{Primary(S::Active), Standby(S::Active), Backup(S::Active)}, Expect(CS::Ok, Sot("server1"))},
        // backups included in "some peer is not active"
        {{Primary(S::Active), Standby(S::Active), Backup(S::Unreachable)}, Expect(CS::Impaired, Sot("server1"))},
        {{Primary(S::Active), Standby(S::Active), Backup(S::Transitional)}, Expect(CS::Impaired, Sot("server1"))},
        // a backup alone does not keep the cluster up, and is never SoT
        {{Primary(S::Unreachable), Standby(S::Unreachable), Backup(S::Active)}, Expect(CS::Down, kNoSot)},
        {{Primary(S::Maintenance), Standby(S::Disabled), Backup(S::Active)}, Expect(CS::Down, kNoSot)},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(describe(row));
        EXPECT_EQ(row.expect, run(row, true));
    }
}

TEST(ClusterHealth, SpecStateTable_Standalone) {
    struct Row {
        Seen seen;
        Expectation expect;
    };
    const Row rows[] = {
        {Seen::Active, Expect(ClusterState::Ok, Sot("dhcp-a"))},
        {Seen::Disabled, Expect(ClusterState::Down, kNoSot)},
        {Seen::Unreachable, Expect(ClusterState::Down, kNoSot)},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(name_of(row.seen));
        Cluster cluster(standalone());
        const auto view = cluster.poll("dhcp-a", row.seen).evaluate_now();
        EXPECT_EQ(row.expect, (Expectation{view.state, view.source_of_truth}));
    }
}

TEST(ClusterHealth, NoTopology_IsUnreachableWithoutSot) {
    ClusterMemory memory;
    const auto view = evaluate(nullptr, {}, memory, SteadyTime{}, SystemTime{}, {});
    EXPECT_EQ(ClusterState::Unreachable, view.state);
    EXPECT_EQ("topology unknown: the primary has not been reached and nothing is cached", view.reason);
    EXPECT_FALSE(view.source_of_truth);
    EXPECT_TRUE(view.peers.empty());
    EXPECT_TRUE(view.events.empty());  // it starts Unreachable: no change
}

TEST(ClusterHealth, StateNames) {
    EXPECT_EQ("Unreachable", to_string(ClusterState::Unreachable));
    EXPECT_EQ("Down", to_string(ClusterState::Down));
    EXPECT_EQ("Impaired", to_string(ClusterState::Impaired));
    EXPECT_EQ("OK", to_string(ClusterState::Ok));
}

TEST(ClusterHealth, Reasons_NameThePeersAndWhy) {
    Cluster cluster(hot_standby());
    auto view = cluster.poll("server1", Seen::Unreachable).poll("server2", Seen::Transitional).evaluate_now();
    EXPECT_EQ("no main peer usable: server1 unreachable (server1: connect: connection refused); "
              "server2 transitional (HA state 'waiting'); the peers report they do not serve",
              view.reason);
    view = cluster.poll("server2", Seen::Active).evaluate_now();
    EXPECT_EQ("server1 unreachable (server1: connect: connection refused)", view.reason);
    view = cluster.poll("server1", Seen::Active).evaluate_now();
    EXPECT_EQ("every peer active, the main peers in touch", view.reason);
}

// ------------------------------------------------------------ over time

TEST(ClusterHealth, FirstPolls_HoldTheStateUntilEveryPeerWasSeen_ThenOneEvent) {
    Cluster cluster(hot_standby());
    auto view = cluster.poll("server1", Seen::Active).evaluate_now();
    EXPECT_EQ(ClusterState::Unreachable, view.state);
    EXPECT_EQ("topology known; waiting for the first poll of server2", view.reason);
    EXPECT_FALSE(view.source_of_truth);
    EXPECT_FALSE(peer_of(view, "server2").observed);
    EXPECT_EQ(std::vector<std::string>{"peer-condition server1 unknown>active"}, changes(view));

    cluster.clock.advance(40ms);
    view = cluster.poll("server2", Seen::Active).evaluate_now();
    EXPECT_EQ(ClusterState::Ok, view.state);
    EXPECT_EQ((std::vector<std::string>{"peer-condition server2 unknown>active", "cluster-state Unreachable>OK",
                                        "source-of-truth >server1"}),
              changes(view));
    for (const auto& event : view.events) {
        EXPECT_EQ("dhcp-a", event.cluster);
        EXPECT_EQ(cluster.clock.wall, event.when);
    }
}

TEST(ClusterHealth, FirstPollOfAnUnreachablePeer_GoesStraightToImpairedWithoutAFalseOk) {
    Cluster cluster(hot_standby());
    EXPECT_EQ(ClusterState::Unreachable, cluster.poll("server2", Seen::Active).evaluate_now().state);
    cluster.clock.advance(5s);  // the primary's poll times out
    const auto view = cluster.poll("server1", Seen::Timeout).evaluate_now();
    EXPECT_EQ(ClusterState::Impaired, view.state);
    EXPECT_EQ(Sot("server2"), view.source_of_truth);
}

TEST(ClusterHealth, EventsAreEmittedOnce_NotAtEachEvaluation) {
    Cluster cluster(hot_standby());
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active);
    EXPECT_EQ(4u, cluster.evaluate_now().events.size());
    for (int i = 0; i < 5; ++i) {
        cluster.clock.advance(2s);
        cluster.poll("server1", Seen::Active).poll("server2", Seen::Active);
        const auto view = cluster.evaluate_now();
        EXPECT_TRUE(view.events.empty()) << changes(view).front();
        EXPECT_EQ(ClusterState::Ok, view.state);
    }
}

TEST(ClusterHealth, PrimaryFlaps_EachChangeIsOneEventAndTheSotFollows) {
    Cluster cluster(hot_standby());
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now();

    cluster.clock.advance(2s);
    auto view = cluster.poll("server1", Seen::Unreachable).evaluate_now();
    EXPECT_EQ((std::vector<std::string>{"peer-condition server1 active>unreachable", "cluster-state OK>Impaired",
                                        "source-of-truth server1>server2"}),
              changes(view));
    EXPECT_EQ("server1: connect: connection refused", view.events[0].reason);
    cluster.clock.advance(2s);
    EXPECT_TRUE(cluster.poll("server1", Seen::Unreachable).evaluate_now().events.empty());

    cluster.clock.advance(2s);
    view = cluster.poll("server1", Seen::Active).evaluate_now();
    EXPECT_EQ((std::vector<std::string>{"peer-condition server1 unreachable>active", "cluster-state Impaired>OK",
                                        "source-of-truth server2>server1"}),
              changes(view));
    cluster.clock.advance(2s);
    view = cluster.poll("server1", Seen::Timeout).evaluate_now();
    EXPECT_EQ((std::vector<std::string>{"peer-condition server1 active>unreachable", "cluster-state OK>Impaired",
                                        "source-of-truth server1>server2"}),
              changes(view));
}

TEST(ClusterHealth, StandbyFirstBackAfterDown_KeepsSotUntilThePrimaryIsUsable) {
    Cluster cluster(hot_standby());
    auto view = cluster.poll("server1", Seen::Unreachable).poll("server2", Seen::Unreachable).evaluate_now();
    EXPECT_EQ(Expect(ClusterState::Down, kNoSot), (Expectation{view.state, view.source_of_truth}));

    cluster.clock.advance(2s);
    view = cluster.poll("server2", Seen::Active).evaluate_now();  // partner-down in real life
    EXPECT_EQ(Expect(ClusterState::Impaired, Sot("server2")), (Expectation{view.state, view.source_of_truth}));
    EXPECT_EQ((std::vector<std::string>{"peer-condition server2 unreachable>active", "cluster-state Down>Impaired",
                                        "source-of-truth >server2"}),
              changes(view));

    // The primary answers but is still waiting/syncing: reachable is not usable.
    cluster.clock.advance(2s);
    view = cluster.poll("server1", Seen::Transitional).evaluate_now();
    EXPECT_EQ(Expect(ClusterState::Impaired, Sot("server2")), (Expectation{view.state, view.source_of_truth}));
    EXPECT_EQ(std::vector<std::string>{"peer-condition server1 unreachable>transitional"}, changes(view));

    cluster.clock.advance(2s);
    view = cluster.poll("server1", Seen::Active).evaluate_now();
    EXPECT_EQ(Expect(ClusterState::Ok, Sot("server1")), (Expectation{view.state, view.source_of_truth}));
}

TEST(ClusterHealth, BackupOnlyLeft_IsDown) {
    Cluster cluster(hot_standby(true));
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).poll("server3", Seen::Active).evaluate_now();
    cluster.clock.advance(2s);
    const auto view = cluster.poll("server1", Seen::Unreachable).poll("server2", Seen::Maintenance).evaluate_now();
    EXPECT_EQ(ClusterState::Down, view.state);
    EXPECT_FALSE(view.source_of_truth);
    EXPECT_TRUE(peer_of(view, "server3").usable);
    EXPECT_EQ((std::vector<std::string>{"peer-condition server1 active>unreachable",
                                        "peer-condition server2 active>maintenance", "cluster-state OK>Down",
                                        "source-of-truth server1>"}),
              changes(view));
}

TEST(ClusterHealth, Terminated_IsImpairedWithTheFixInAWarning) {
    Cluster cluster(hot_standby());
    const auto view = cluster.poll("server1", Seen::Terminated).poll("server2", Seen::Terminated).evaluate_now();
    EXPECT_EQ(ClusterState::Impaired, view.state);
    EXPECT_EQ(Sot("server1"), view.source_of_truth);  // terminated peers still serve: usable
    EXPECT_EQ((std::vector<std::string>{"ha-terminated", "ha-terminated"}), codes(view.warnings));
    EXPECT_EQ("server1 is in HA state terminated: it serves DHCP but HA is off (no lease updates, no failover); "
              "sync the peers' clocks (NTP), then restart both servers",
              view.warnings[0].message);
    EXPECT_EQ("server2", view.warnings[1].peer);
}

TEST(ClusterHealth, UnknownHaState_IsTransitionalWithAWarning) {
    Cluster cluster(hot_standby());
    const auto view = cluster.poll("server1", Seen::Active).poll("server2", Seen::Unknown).evaluate_now();
    EXPECT_EQ(ClusterState::Impaired, view.state);
    EXPECT_EQ(PeerCondition::Transitional, peer_of(view, "server2").condition);
    EXPECT_EQ(std::vector<std::string>{"unknown-ha-state"}, codes(view.warnings));
    EXPECT_EQ("server2: unknown HA state 'hyper-balancing'; treated as transitional", view.warnings[0].message);
}

// ------------------------------------------------------------ clocks

struct SkewRow {
    Duration standby_offset;
    ClusterState expect_state;
    bool expect_warning;
};

TEST(ClusterHealth, ClockSkew_WarnsAtKeaClockSkewWarningAndImpairsAt60s) {
    const SkewRow rows[] = {
        {0s, ClusterState::Ok, false},
        {29s, ClusterState::Ok, false},
        {30s, ClusterState::Ok, false},  // whole-second stamps: 30 measured may be 29.x real
        {31s, ClusterState::Ok, true},
        {-31s, ClusterState::Ok, true},
        {59s, ClusterState::Ok, true},
        {60s, ClusterState::Ok, true},   // may be 59.x real; Kea itself terminates only above 60
        {61s, ClusterState::Impaired, true},
        {-61s, ClusterState::Impaired, true},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(std::to_string(row.standby_offset.count()) + " ms");
        Cluster cluster(hot_standby());
        cluster.settings.clock_skew_warning = 30s;
        const auto view =
            cluster.poll("server1", Seen::Active).poll("server2", Seen::Active, row.standby_offset).evaluate_now();
        EXPECT_EQ(row.expect_state, view.state) << view.reason;
        const auto warnings = codes(view.warnings);
        EXPECT_EQ(row.expect_warning, std::count(warnings.begin(), warnings.end(), "clock-skew") == 1);
        ASSERT_TRUE(view.clock_skew_s);
        EXPECT_NEAR(std::abs(duration<double>(row.standby_offset).count()), *view.clock_skew_s, 1.0);
    }
}

TEST(ClusterHealth, ClockSkew_MessagesAndPerPeerOffsets) {
    Cluster cluster(hot_standby());
    const auto view = cluster.poll("server1", Seen::Active).poll("server2", Seen::Active, 61s).evaluate_now();
    // date-time is truncated to the second: the middle of that second (wall is at .400).
    EXPECT_NEAR(0.1, *peer_of(view, "server1").clock_skew_s, 1e-9);
    EXPECT_NEAR(61.1, *peer_of(view, "server2").clock_skew_s, 1e-9);
    EXPECT_EQ("peer clocks differ by 61 s (server1 0 s, server2 +61 s against the controller's clock): Kea "
              "terminates HA at 60 s",
              view.reason);
    EXPECT_EQ("peer clocks differ by 61 s (server1 0 s, server2 +61 s against the controller's clock); "
              "keaClockSkewWarning is 30 s and Kea terminates HA at 60 s: sync the clocks (NTP)",
              view.warnings.at(0).message);
}

TEST(ClusterHealth, ClockSkew_SyncedPeersOnHeartbeatDatesDifferByLessThanASecondWhereverTheSecondFalls) {
    // The rule: a synced pair shows |skew| < 1 s. Whole-second dates, read at any
    // fraction of a second, each estimated at the middle of its second.
    for (int ms = 0; ms < 1000; ms += 50) {
        SCOPED_TRACE(std::to_string(ms) + " ms");
        Cluster cluster(hot_standby());
        cluster.clock.wall = at(2026, 12, 7, 12, 0, 0) + milliseconds(ms);
        cluster.poll("server1", Seen::Active);
        cluster.clock.advance(milliseconds(330));  // the standby is asked a little later
        const auto view = cluster.poll("server2", Seen::Active).evaluate_now();
        ASSERT_TRUE(view.clock_skew_s);
        EXPECT_LT(*view.clock_skew_s, 1.0);
        for (const auto& peer : view.peers) EXPECT_LE(std::abs(*peer.clock_skew_s), 0.5) << peer.name;
    }
}

TEST(ClusterHealth, ClockSkew_Kea30StampWithinItsAgeIsNoControllerOffset_KeasOwnSkewIsThePeersFigure) {
    // The case: on Kea 3.0 a synced pair showed -1.9 s on both peers, `system-time`
    // being the clock at the last heartbeat, not now.
    Cluster cluster(hot_standby());
    auto view = cluster.poll("server1", Seen::Active)
                    .poll("server2", Seen::Active)
                    .kea30_stamp("server1", 0s, 2300ms)
                    .kea30_stamp("server2", 0s, 1900ms)
                    .kea30_clock_skew("server1", 0)
                    .kea30_clock_skew("server2", 0)
                    .evaluate_now();
    EXPECT_FALSE(peer_of(view, "server1").clock_skew_s);
    EXPECT_FALSE(peer_of(view, "server2").clock_skew_s);
    ASSERT_TRUE(view.clock_skew_s);
    EXPECT_EQ(0.0, *view.clock_skew_s);
    EXPECT_EQ(ClusterState::Ok, view.state);
    // faketime +40 s on the standby: Kea says 40, the stamp is far beyond its age: about +38.
    view = cluster.poll("server1", Seen::Active)
               .poll("server2", Seen::Active)
               .kea30_stamp("server1", 0s, 2s)
               .kea30_stamp("server2", 40s, 2s)
               .kea30_clock_skew("server1", 40)
               .kea30_clock_skew("server2", -40)
               .evaluate_now();
    EXPECT_FALSE(peer_of(view, "server1").clock_skew_s);
    ASSERT_TRUE(peer_of(view, "server2").clock_skew_s);
    EXPECT_NEAR(38.0, *peer_of(view, "server2").clock_skew_s, 1.0);
    EXPECT_EQ(40.0, *view.clock_skew_s);
    EXPECT_EQ(std::vector<std::string>{"clock-skew"}, codes(view.warnings));
    EXPECT_EQ("peer clocks differ by 40 s (server2 +38 s against the controller's clock; Kea's own measure between "
              "the peers +40 s); keaClockSkewWarning is 30 s and Kea terminates HA at 60 s: sync the clocks (NTP)",
              view.warnings.at(0).message);
}

// ------------------------------------------------------------ busy peers (SPEC §4)

/// A Kea 3.0 pair on one machine's clock but for `offset` on the standby, each peer reporting
/// `skew` (whole seconds) of its partner.
ClusterView kea30_pair(Duration offset, double skew) {
    Cluster cluster(hot_standby());
    return cluster.poll("server1", Seen::Active)
        .poll("server2", Seen::Active)
        .kea30_stamp("server1", 0s, 500ms)
        .kea30_stamp("server2", offset, 500ms)
        .kea30_clock_skew("server1", skew)
        .kea30_clock_skew("server2", -skew)
        .evaluate_now();
}

TEST(ClusterHealth, ClockSkew_Kea30WholeSecondSkewOfOneForASyncedPairIsShownAsNone) {
    // Real Kea 3.0 on one machine: its whole-second `clock-skew` is -1 now and then for a
    // pair on one clock (system-time stamps straddle a second boundary).
    for (const double one : {-1.0, 1.0}) {
        const auto view = kea30_pair(0s, one);
        ASSERT_TRUE(view.clock_skew_s);
        EXPECT_EQ(0.0, *view.clock_skew_s);
        EXPECT_TRUE(view.warnings.empty());
    }
    // Two whole seconds are beyond the resolution: shown as they are.
    const auto view = kea30_pair(2s, 2);
    ASSERT_TRUE(view.clock_skew_s);
    EXPECT_EQ(2.0, *view.clock_skew_s);
}

TEST(ClusterHealth, BusyPeer_PollTimeoutsWhileOurConfigCommandRunsAreTransitional_TheSotStays) {
    Cluster cluster(hot_standby());
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now();
    note_config_command(cluster.memory, "server1", cluster.clock.steady);  // a config-set of 50 000 reservations
    cluster.clock.advance(5s);
    auto view = cluster.poll("server1", Seen::Timeout).poll("server2", Seen::Active).evaluate_now();
    EXPECT_EQ(PeerCondition::Transitional, peer_of(view, "server1").condition);
    EXPECT_EQ(kBusyApplyingConfig, peer_of(view, "server1").reason);
    EXPECT_EQ(ClusterState::Ok, view.state) << view.reason;
    EXPECT_EQ("server1", view.source_of_truth.value_or(""));
    for (const auto& event : view.events) EXPECT_NE("source-of-truth", event.kind);
    // The command ended; a poll sent just before may still time out, for keaRequestTimeout.
    note_config_command_done(cluster.memory, "server1", cluster.clock.steady, 5s);
    cluster.clock.advance(4s);
    view = cluster.poll("server1", Seen::Timeout).evaluate_now();
    EXPECT_EQ(kBusyApplyingConfig, peer_of(view, "server1").reason);
    EXPECT_EQ("server1", view.source_of_truth.value_or(""));
    // Past that, a timeout is a timeout.
    cluster.clock.advance(2s);
    view = cluster.poll("server1", Seen::Timeout).evaluate_now();
    EXPECT_EQ(PeerCondition::Unreachable, peer_of(view, "server1").condition);
    EXPECT_EQ(ClusterState::Impaired, view.state);
    EXPECT_EQ("server2", view.source_of_truth.value_or(""));
}

TEST(ClusterHealth, BusyPeer_ARefusedConnectionIsNotExcused) {
    Cluster cluster(hot_standby());
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now();
    note_config_command(cluster.memory, "server2", cluster.clock.steady);
    cluster.clock.advance(1s);
    const auto view = cluster.poll("server2", Seen::Unreachable).evaluate_now();
    EXPECT_EQ(PeerCondition::Unreachable, peer_of(view, "server2").condition);
    EXPECT_EQ(ClusterState::Impaired, view.state);
}

// ------------------------------------------------------------ split brain (SPEC §4)

TEST(ClusterHealth, SplitBrain_BothMainPeersPartnerDown_IsImpairedWithAWarningNamingBoth) {
    Cluster cluster(hot_standby());
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now();
    const auto view = cluster.poll("server1", Seen::Active)
                          .poll("server2", Seen::Active)
                          .ha_state("server1", "partner-down")
                          .ha_state("server2", "partner-down")
                          .partner("server1", true)
                          .partner("server2", true)
                          .evaluate_now();
    EXPECT_EQ(ClusterState::Impaired, view.state);
    EXPECT_EQ("server1+server2", view.split_brain.value_or("none"));
    EXPECT_EQ("split brain: server1 and server2 cannot reach each other over the HA channel (server1: partner-down, "
              "partner communication-interrupted; server2: partner-down, partner communication-interrupted) while "
              "the controller reaches both; each may serve every client",
              view.reason);
    EXPECT_EQ(std::vector<std::string>{"split-brain"}, codes(view.new_warnings));
    EXPECT_EQ("server1", view.source_of_truth.value_or(""));  // the primary stays SoT
    // The channel back: OK again, and the warning gone.
    const auto back = cluster.poll("server1", Seen::Active)
                          .poll("server2", Seen::Active)
                          .partner("server1", false)
                          .partner("server2", false)
                          .evaluate_now();
    EXPECT_EQ(ClusterState::Ok, back.state);
    EXPECT_FALSE(back.split_brain);
    EXPECT_TRUE(codes(back.warnings).empty());
}

TEST(ClusterHealth, SplitBrain_OnePeerReportsItsPartnerInterruptedWhileBothLookHealthy) {
    // With max-unacked-clients > 0 and no traffic both stay in hot-standby: only the report tells.
    Cluster cluster(hot_standby());
    auto view = cluster.poll("server1", Seen::Active)
                    .poll("server2", Seen::Active)
                    .partner("server1", false)
                    .partner("server2", true)
                    .evaluate_now();
    EXPECT_EQ(ClusterState::Impaired, view.state);
    EXPECT_EQ("server1+server2", view.split_brain.value_or("none"));
    // Never in touch (a channel cut since the start) is the same story.
    view = cluster.poll("server1", Seen::Active)
               .poll("server2", Seen::Active)
               .partner("server1", false, false)
               .partner("server2", false)
               .evaluate_now();
    EXPECT_EQ(ClusterState::Impaired, view.state) << view.reason;
    EXPECT_TRUE(view.split_brain);
}

TEST(ClusterHealth, SplitBrain_NotWhenThePartnerIsAwayFromTheControllerTooOrRestarting) {
    struct Row {
        const char* what;
        Seen standby;
        bool applying_config;
    };
    const Row rows[] = {
        {"the standby is unreachable: it is away, not split", Seen::Unreachable, false},
        {"the standby restarts (waiting)", Seen::Transitional, false},
        {"the standby restarts for our own config-set", Seen::Active, true},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.what);
        Cluster cluster(hot_standby());
        cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now();
        if (row.applying_config) note_applying_config(cluster.memory, cluster.topology(), "server2", cluster.clock.steady);
        cluster.clock.advance(2s);
        cluster.poll("server1", Seen::Active).ha_state("server1", "partner-down").partner("server1", true);
        cluster.poll("server2", row.applying_config ? Seen::Transitional : row.standby);
        const auto view = cluster.evaluate_now();
        EXPECT_FALSE(view.split_brain) << view.reason;
        const auto raised = codes(view.warnings);
        EXPECT_EQ(0, std::count(raised.begin(), raised.end(), "split-brain"));
    }
}

// ------------------------------------------------------------ Down causes (SPEC §4)

TEST(ClusterHealth, DownCause_NoMainPeerAnswersTheController_VersusThePeersDoNotServe) {
    Cluster cluster(hot_standby(true));
    auto view = cluster.poll("server1", Seen::Timeout)
                    .poll("server2", Seen::Timeout)
                    .poll("server3", Seen::Active)  // a backup answering changes nothing
                    .evaluate_now();
    EXPECT_EQ(ClusterState::Down, view.state);
    EXPECT_EQ(std::string(down_cause::kUnreachable), view.cause.value_or("none"));
    EXPECT_NE(view.reason.find("no main peer answers the controller: DHCP may still be served"), std::string::npos)
        << view.reason;
    view = cluster.poll("server1", Seen::Disabled).poll("server2", Seen::Maintenance).evaluate_now();
    EXPECT_EQ(ClusterState::Down, view.state);
    EXPECT_EQ(std::string(down_cause::kNotServing), view.cause.value_or("none"));
    EXPECT_NE(view.reason.find("the peers report they do not serve"), std::string::npos) << view.reason;
    // Refused (nothing listens: a stopped daemon on its own socket) is known not serving…
    view = cluster.poll("server1", Seen::Unreachable).poll("server2", Seen::Disabled).evaluate_now();
    EXPECT_EQ(std::string(down_cause::kNotServing), view.cause.value_or("none"));
    // …a timeout is not: server2 may be serving, unseen.
    view = cluster.poll("server1", Seen::Disabled).poll("server2", Seen::Timeout).evaluate_now();
    EXPECT_EQ(std::string(down_cause::kUnreachable), view.cause.value_or("none"));
    // Not Down: no cause.
    view = cluster.poll("server1", Seen::Active).evaluate_now();
    EXPECT_EQ(ClusterState::Impaired, view.state);
    EXPECT_FALSE(view.cause);
}

TEST(ClusterHealth, DownCause_AMoveFromOneCauseToTheOtherIsAnEventOnce) {
    Cluster cluster(hot_standby());
    auto view = cluster.poll("server1", Seen::Timeout).poll("server2", Seen::Timeout).evaluate_now();
    ASSERT_EQ(ClusterState::Down, view.state);
    // The controller's network back, the daemons still stopped: still Down, another cause.
    view = cluster.poll("server1", Seen::Unreachable).poll("server2", Seen::Unreachable).evaluate_now();
    ASSERT_EQ(ClusterState::Down, view.state);
    ASSERT_EQ(std::string(down_cause::kNotServing), view.cause.value_or("none"));
    std::size_t state_events = 0;
    for (const auto& event : view.events) {
        if (event.kind != "cluster-state") continue;
        ++state_events;
        EXPECT_EQ("Down", event.from);
        EXPECT_EQ("Down", event.to);
        EXPECT_EQ(0u, event.reason.find("cause not-serving (was unreachable): no main peer usable"))
            << event.reason;
    }
    EXPECT_EQ(1u, state_events);
    // The same cause again: nothing new.
    view = cluster.poll("server1", Seen::Unreachable).poll("server2", Seen::Unreachable).evaluate_now();
    for (const auto& event : view.events) EXPECT_NE("cluster-state", event.kind) << event.reason;
}

TEST(ClusterHealth, ClockSkew_Kea30ReportedSkewCountsAsIs) {
    Cluster cluster(hot_standby());
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).kea30_clock_skew("server1", -61);
    EXPECT_EQ(ClusterState::Impaired, cluster.evaluate_now().state);
}

TEST(ClusterHealth, ClockSkew_OfABackupWarnsButDoesNotImpair) {
    // Kea checks skew between active servers only.
    Cluster cluster(hot_standby(true));
    const auto view = cluster.poll("server1", Seen::Active)
                          .poll("server2", Seen::Active)
                          .poll("server3", Seen::Active, 90s)
                          .evaluate_now();
    EXPECT_EQ(ClusterState::Ok, view.state);
    EXPECT_EQ(std::vector<std::string>{"clock-skew"}, codes(view.warnings));
}

TEST(ClusterHealth, ClockSkewWarning_IsRaisedAtMostOncePerMinuteWhileItLasts) {
    Cluster cluster(hot_standby());
    const auto step = [&](Duration after) {
        cluster.clock.advance(after);
        return codes(cluster.poll("server1", Seen::Active).poll("server2", Seen::Active, 40s).evaluate_now().new_warnings);
    };
    const std::vector<std::string> raised{"clock-skew"};
    const std::vector<std::string> quiet{};
    EXPECT_EQ(raised, step(0s));
    EXPECT_EQ(quiet, step(2s));
    EXPECT_EQ(quiet, step(50s));
    EXPECT_EQ(raised, step(8s));   // 60 s after the first
    EXPECT_EQ(quiet, step(30s));
    // Still shown at every evaluation, only the logging is gated.
    EXPECT_EQ(raised, codes(cluster.poll("server2", Seen::Active, 40s).evaluate_now().warnings));
}

TEST(ClusterHealth, OtherWarnings_AreRaisedWhenTheyAppearAndAgainAfterTheyCleared) {
    Cluster cluster(hot_standby());
    cluster.topology().warnings.push_back({warning_code::kLeaseCmdsMissing, "lease_cmds missing", std::nullopt});
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Terminated);
    auto view = cluster.evaluate_now();
    EXPECT_EQ((std::vector<std::string>{"lease-cmds-missing", "ha-terminated"}), codes(view.warnings));
    EXPECT_EQ(codes(view.warnings), codes(view.new_warnings));
    EXPECT_TRUE(cluster.evaluate_now().new_warnings.empty());
    cluster.poll("server2", Seen::Active);
    EXPECT_TRUE(cluster.evaluate_now().new_warnings.empty());
    cluster.poll("server2", Seen::Terminated);
    EXPECT_EQ(std::vector<std::string>{"ha-terminated"}, codes(cluster.evaluate_now().new_warnings));
}

// ------------------------------------------------------------ SPEC §4 grace after our own config-set

TEST(ConfigGrace, PeriodIsTheLargerOf10sAndThreeHeartbeats) {
    EXPECT_EQ(Duration(10s), config_grace_period(hot_standby(false, 1s)));
    EXPECT_EQ(Duration(10s), config_grace_period(hot_standby(false, 3s)));
    EXPECT_EQ(Duration(30s), config_grace_period(hot_standby(false, 10s)));
    EXPECT_EQ(Duration(10s), config_grace_period(standalone()));
}

TEST(ConfigGrace, OurOwnConfigSet_ShowsApplyingConfigAndKeepsTheClusterOk) {
    Cluster cluster(hot_standby(false, 1s));  // grace 10 s
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now();

    note_applying_config(cluster.memory, cluster.topology(), "server2", cluster.clock.steady);
    cluster.clock.advance(2s);
    auto view = cluster.poll("server2", Seen::Transitional).evaluate_now();
    EXPECT_EQ(ClusterState::Ok, view.state);
    const auto& standby = peer_of(view, "server2");
    EXPECT_EQ(PeerCondition::Transitional, standby.condition);
    EXPECT_EQ("applying config", standby.reason);
    EXPECT_TRUE(standby.applying_config);
    EXPECT_EQ(std::vector<std::string>{"peer-condition server2 active>transitional"}, changes(view));

    cluster.clock.advance(2s);  // back within the grace: no cluster event at all
    view = cluster.poll("server2", Seen::Active).evaluate_now();
    EXPECT_EQ(ClusterState::Ok, view.state);
    EXPECT_EQ(std::vector<std::string>{"peer-condition server2 transitional>active"}, changes(view));
}

TEST(ConfigGrace, PastTheGrace_TheNormalRulesApply) {
    Cluster cluster(hot_standby(false, 1s));
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now();
    note_applying_config(cluster.memory, cluster.topology(), "server2", cluster.clock.steady);

    cluster.clock.advance(9s);
    EXPECT_EQ(ClusterState::Ok, cluster.poll("server2", Seen::Transitional).evaluate_now().state);
    cluster.clock.advance(1s);  // 10 s: the grace is over
    const auto view = cluster.poll("server2", Seen::Transitional).evaluate_now();
    EXPECT_EQ(ClusterState::Impaired, view.state);
    EXPECT_EQ("HA state 'waiting'", peer_of(view, "server2").reason);
    EXPECT_FALSE(peer_of(view, "server2").applying_config);
    EXPECT_EQ(std::vector<std::string>{"cluster-state OK>Impaired"}, changes(view));
    EXPECT_FALSE(view.next_memory.peers.at("server2").applying_config_until);
}

TEST(ConfigGrace, CoversAPollTimingOutWhileALargeConfigLoads_ButNotARefusedConnection) {
    Cluster cluster(hot_standby());
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now();
    note_applying_config(cluster.memory, cluster.topology(), "server2", cluster.clock.steady);
    cluster.clock.advance(5s);
    EXPECT_EQ(ClusterState::Ok, cluster.poll("server2", Seen::Timeout).evaluate_now().state);
    cluster.clock.advance(2s);
    EXPECT_EQ(ClusterState::Impaired, cluster.poll("server2", Seen::Unreachable).evaluate_now().state);
}

TEST(ConfigGrace, DoesNotTurnAnImpairedClusterOk) {
    Cluster cluster(hot_standby());
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Transitional).evaluate_now();
    note_applying_config(cluster.memory, cluster.topology(), "server2", cluster.clock.steady);
    cluster.clock.advance(2s);
    const auto view = cluster.poll("server2", Seen::Transitional).evaluate_now();
    EXPECT_EQ(ClusterState::Impaired, view.state);
    EXPECT_EQ("applying config", peer_of(view, "server2").reason);
}

TEST(ConfigGrace, WritingToTheStandbySot_DoesNotTurnImpairedIntoDown) {
    Cluster cluster(hot_standby());
    cluster.poll("server1", Seen::Unreachable).poll("server2", Seen::Active).evaluate_now();
    note_applying_config(cluster.memory, cluster.topology(), "server2", cluster.clock.steady);
    cluster.clock.advance(2s);
    const auto view = cluster.poll("server2", Seen::Transitional).evaluate_now();
    EXPECT_EQ(ClusterState::Impaired, view.state);
    EXPECT_EQ(Sot("server2"), view.source_of_truth);
    EXPECT_EQ(std::vector<std::string>{"peer-condition server2 active>transitional"}, changes(view));
}

TEST(ConfigGrace, ASecondWriteExtendsTheGraceAndRemembersTheFirstCondition) {
    Cluster cluster(hot_standby(false, 1s));
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now();
    note_applying_config(cluster.memory, cluster.topology(), "server2", cluster.clock.steady);
    cluster.clock.advance(8s);
    cluster.poll("server2", Seen::Transitional).evaluate_now();
    note_applying_config(cluster.memory, cluster.topology(), "server2", cluster.clock.steady);
    EXPECT_EQ(PeerCondition::Active, cluster.memory.peers.at("server2").condition_before_config);
    cluster.clock.advance(8s);  // 16 s after the first write, 8 s after the second
    EXPECT_EQ(ClusterState::Ok, cluster.poll("server2", Seen::Transitional).evaluate_now().state);
}

TEST(ConfigGrace, MasksTheUnknownStateWhileTheHookReloads) {
    Cluster cluster(hot_standby());
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now();
    note_applying_config(cluster.memory, cluster.topology(), "server2", cluster.clock.steady);
    cluster.clock.advance(1s);
    const auto view = cluster.poll("server2", Seen::Unknown).evaluate_now();
    EXPECT_EQ(ClusterState::Ok, view.state);
    EXPECT_TRUE(view.warnings.empty());
}

// ------------------------------------------------------------ bookkeeping

TEST(ClusterHealth, LastSeen_IsTheLastPollThatReachedThePeer) {
    Cluster cluster(hot_standby());
    cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now();
    const auto reached = cluster.clock.wall;
    cluster.clock.advance(2s);
    const auto view = cluster.poll("server1", Seen::Unreachable).evaluate_now();
    EXPECT_EQ(reached, peer_of(view, "server1").last_seen);
    EXPECT_FALSE(peer_of(view, "server1").clock_skew_s);
}

TEST(ClusterHealth, TopologyLost_IsUnreachableOnceAndForgetsThePeers) {
    Cluster cluster(hot_standby());
    auto memory = cluster.poll("server1", Seen::Active).poll("server2", Seen::Active).evaluate_now().next_memory;
    const auto view = evaluate(nullptr, {}, memory, cluster.clock.steady, cluster.clock.wall, cluster.settings);
    EXPECT_EQ((std::vector<std::string>{"cluster-state OK>Unreachable", "source-of-truth server1>"}), changes(view));
    EXPECT_TRUE(view.next_memory.peers.empty());
}

TEST(ClusterHealth, ObservationsShorterThanThePeers_CountAsNotPolled) {
    auto topology = hot_standby();
    std::vector<std::optional<PeerObservation>> seen(1);
    seen[0] = PeerObservation{};
    seen[0]->reached = true;
    seen[0]->ha_state = "hot-standby";
    const auto view = evaluate(&topology, seen, {}, SteadyTime{}, SystemTime{}, {});
    EXPECT_EQ(ClusterState::Unreachable, view.state);
    EXPECT_EQ(2u, view.peers.size());
    EXPECT_FALSE(view.peers[1].observed);
}

}  // namespace
}  // namespace kea_ha::core
