// SPEC §5 "SoT choice", as a table.

#include "kea_ha/core/source_of_truth.hpp"

#include <string>

#include <gtest/gtest.h>

namespace kea_ha::core {
namespace {

HaPeer peer(std::string name, PeerRole role) {
    const std::string url = "http://127.0.77." + std::string(1, name.back()) + ":8000/";
    return {name, url, role, true, url};
}

Topology topology_of(HaMode mode, std::vector<HaPeer> peers) {
    Topology topology;
    topology.service = "dhcp4";
    topology.mode = mode;
    topology.this_server_name = peers.front().name;
    topology.registered_url = peers.front().url;
    topology.peers = std::move(peers);
    return topology;
}

const Topology kHotStandby = topology_of(HaMode::HotStandby, {peer("server1", PeerRole::Primary),
                                                              peer("server2", PeerRole::Standby),
                                                              peer("server3", PeerRole::Backup)});
const Topology kLoadBalancing =
    topology_of(HaMode::LoadBalancing, {peer("server1", PeerRole::Primary), peer("server2", PeerRole::Secondary)});
const Topology kPassiveBackup = topology_of(HaMode::PassiveBackup, {peer("server1", PeerRole::Primary),
                                                                    peer("server2", PeerRole::Backup),
                                                                    peer("server3", PeerRole::Backup)});
const Topology kStandalone = topology_of(HaMode::Standalone, {peer("server1", PeerRole::Primary)});

using C = PeerCondition;
struct Cell {
    std::string name;
    C condition;
};
Cell Primary(C c) { return {"server1", c}; }
Cell Second(C c) { return {"server2", c}; }  // the standby or the secondary
Cell Third(C c) { return {"server3", c}; }   // a backup
struct Previous {
    std::optional<std::string> peer;
};
Previous Was(std::string name) { return {std::move(name)}; }
const Previous kNone{};
struct Expect {
    std::optional<std::string> peer;
};
Expect Sot(std::string name) { return {std::move(name)}; }
const Expect kNoSot{};

struct Row {
    const Topology* topology;
    std::vector<Cell> cells;
    Previous previous;
    Expect expect;
};

std::string describe(const Row& row) {
    std::string text = std::string(to_string(row.topology->mode)) + ":";
    for (const auto& cell : row.cells) text += " " + cell.name + "=" + std::string(to_string(cell.condition));
    return text + " previous=" + row.previous.peer.value_or("none");
}

TEST(ChooseSourceOfTruth, SpecRules) {
    const Row rows[] = {
        // the primary when usable (active or terminated)
        {&kHotStandby, {Primary(C::Active), Second(C::Active), Third(C::Active)}, kNone, Sot("server1")},
        {&kHotStandby, {Primary(C::Terminated), Second(C::Active)}, kNone, Sot("server1")},
        {&kHotStandby, {Primary(C::Active), Second(C::Active)}, Was("server2"), Sot("server1")},
        // otherwise the secondary/standby that is usable
        {&kHotStandby, {Primary(C::Unreachable), Second(C::Active)}, Was("server1"), Sot("server2")},
        {&kHotStandby, {Primary(C::Maintenance), Second(C::Active)}, kNone, Sot("server2")},
        {&kHotStandby, {Primary(C::Disabled), Second(C::Terminated)}, kNone, Sot("server2")},
        {&kLoadBalancing, {Primary(C::Unreachable), Second(C::Active)}, kNone, Sot("server2")},
        // it stays SoT until the primary is usable again, not merely reachable
        {&kHotStandby, {Primary(C::Transitional), Second(C::Active)}, Was("server2"), Sot("server2")},
        // never a backup
        {&kHotStandby, {Primary(C::Unreachable), Second(C::Unreachable), Third(C::Active)}, kNone, kNoSot},
        {&kHotStandby, {Primary(C::Unreachable), Second(C::Transitional), Third(C::Active)}, Was("server3"), kNoSot},
        {&kPassiveBackup, {Primary(C::Unreachable), Second(C::Active), Third(C::Active)}, kNone, kNoSot},
        {&kPassiveBackup, {Primary(C::Active), Second(C::Active), Third(C::Active)}, kNone, Sot("server1")},
        // none when no main peer is usable (Down)
        {&kHotStandby, {Primary(C::Unreachable), Second(C::Unreachable)}, Was("server2"), kNoSot},
        {&kHotStandby, {Primary(C::Maintenance), Second(C::Disabled)}, Was("server1"), kNoSot},
        {&kHotStandby, {}, kNone, kNoSot},  // nothing known about any peer
        // standalone
        {&kStandalone, {Primary(C::Active)}, kNone, Sot("server1")},
        {&kStandalone, {Primary(C::Disabled)}, Was("server1"), kNoSot},
        // a stale previous name is ignored
        {&kHotStandby, {Primary(C::Unreachable), Second(C::Active)}, Was("gone"), Sot("server2")},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(describe(row));
        std::map<std::string, PeerCondition> conditions;
        for (const auto& cell : row.cells) conditions[cell.name] = cell.condition;
        const auto choice = choose_source_of_truth(*row.topology, conditions, row.previous.peer);
        EXPECT_EQ(row.expect.peer, choice.peer) << choice.reason;
        EXPECT_FALSE(choice.reason.empty());
    }
}

TEST(ChooseSourceOfTruth, Reasons_SayWhy) {
    EXPECT_EQ("the primary server1 is usable",
              choose_source_of_truth(kHotStandby, {{"server1", C::Active}}, std::nullopt).reason);
    EXPECT_EQ("the primary server1 is not usable; server2 (standby) is usable",
              choose_source_of_truth(kHotStandby, {{"server2", C::Active}}, std::nullopt).reason);
    EXPECT_EQ("the primary server1 is not usable; server2 stays the source of truth until it is",
              choose_source_of_truth(kHotStandby, {{"server2", C::Active}}, "server2").reason);
    EXPECT_EQ("no main peer is usable", choose_source_of_truth(kHotStandby, {}, std::nullopt).reason);
}

}  // namespace
}  // namespace kea_ha::core
