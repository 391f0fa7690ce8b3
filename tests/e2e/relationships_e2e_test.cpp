// End-to-end: servers in several HA relationships (Kea 2.6+) under the real controller, on
// real Kea daemons (SPEC §5, issues 11 and 12). Replication between a hub and its branch is
// scoped to the cluster's relationship: a hub keeps both relationships, both branches'
// subnets and its own globals whatever is asked through its branch; a global change is out
// of scope for it, and a subnet it cannot place is refused naming it, nothing written anywhere
// (the whole hub-and-spoke flow: hub_e2e_test.cpp). A mutual pair (same relationships on both
// sides) replicates, each server keeping its own name in both relationships. Once per service
// (DHCPv4, DHCPv6: the v6 lab's subnets, support/service_config.hpp).
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"
#include "support/relationship_checks.hpp"
#include "support/service_config.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::lab::LabOptions;
using kea_ha::lab::LabShape;
using kea_ha::lab::wait_until;
using kea_ha::testing::ha_state;
using kea_ha::testing::lab_subnet;
using kea_ha::testing::LabController;
using kea_ha::testing::other_subnet;
using kea_ha::testing::names_of;
using kea_ha::testing::shaped;
using kea_ha::testing::subnets_of;

const auto& kSettings = kea_ha::testing::kRelationshipLabSettings;

kea_ha::core::Result<kea_ha::testing::HttpReply> patch(LabController& f, const std::string& cluster, int lifetime) {
    const nlohmann::json merge = kea_ha::testing::lifetime_patch(f.lab->options().service, lifetime);
    return f.controller->request("PATCH", "/v1/clusters/" + cluster + "/config", merge.dump(),
                                 {{"Content-Type", "application/merge-patch+json"}});
}

class RelationshipsE2E : public ::testing::TestWithParam<std::string> {};

TEST_P(RelationshipsE2E, HubKeepsItsOwnThroughABranch_GlobalsOutOfScopeUnplaceableRefused_Kea26Plus) {
    if (LabOptions{}.kea_version == "2.2") GTEST_SKIP() << "several HA relationships need Kea 2.6+";
    const std::string service = GetParam();
    const std::string subnet1 = lab_subnet(service, 0);
    const std::string subnet2 = lab_subnet(service, 1);
    LabController f("kea-ha-hub", kSettings, shaped(LabShape::HubAndSpoke, service));
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start());
    auto added = f.add("b1", "branch1");
    ASSERT_TRUE(added);
    ASSERT_EQ(added->status, 201u) << added->body;
    ASSERT_TRUE(wait_until([&] { return f.detail("b1").value("state", "") == "OK"; }, 30s)) << f.explain("b1");
    // The detail lists every relationship each peer takes part in (from its own config).
    const auto relationships_in_detail = [&](const std::string& peer) {
        std::vector<std::string> out;
        const auto detail = f.detail("b1");
        for (const auto& p : detail.value("peers", nlohmann::json::array()))
            if (p.value("name", "") == peer && p["relationships"].is_array())
                for (const auto& r : p["relationships"])
                    out.push_back(r.value("this_server_name", "") + ":" + r.value("role", ""));
        return out;
    };
    EXPECT_TRUE(wait_until([&] { return relationships_in_detail("hub1").size() == 2; }, 20s)) << f.explain("b1");
    EXPECT_EQ(relationships_in_detail("hub1"), (std::vector<std::string>{"hub1:standby", "hub2:standby"}));
    EXPECT_EQ(relationships_in_detail("branch1"), (std::vector<std::string>{"branch1:primary"}));
    const auto hub_before = f.kea_config("hub");
    const auto branch_before = f.kea_config("branch1");
    ASSERT_EQ(names_of(hub_before), (std::vector<std::string>{"hub1", "hub2"}));
    const int lifetime = branch_before.value("valid-lifetime", 0) + 17;

    auto check_untouched = [&](const std::string& step) {
        const auto hub = f.kea_config("hub");
        EXPECT_EQ(names_of(hub), (std::vector<std::string>{"hub1", "hub2"})) << step;
        EXPECT_EQ(subnets_of(hub), (std::set<std::string>{subnet1, subnet2})) << step;
        EXPECT_EQ(hub.value("valid-lifetime", 0), hub_before.value("valid-lifetime", 0)) << step;
        EXPECT_EQ(subnets_of(f.kea_config("branch1")), (std::set<std::string>{subnet1})) << step;
        EXPECT_EQ(ha_state(*f.lab, "hub", "hub2"), "hot-standby") << step;
    };

    auto refusals = [&] {
        std::size_t n = 0;
        if (const auto events = f.controller->get_json("/v1/clusters/b1/events"))
            for (const auto& e : *events) n += e.value("kind", "") == "config-refused" ? 1 : 0;
        return n;
    };

    // A global change through the branch: applied on the branch only, out of scope for the hub
    // (nothing of its relationship changed: nothing sent to it).
    auto changed = patch(f, "b1", lifetime);
    ASSERT_TRUE(changed);
    ASSERT_EQ(changed->status, 200u) << changed->body;
    EXPECT_NE(changed->body.find(R"x("out_of_scope":["valid-lifetime (global)"])x"), std::string::npos) << changed->body;
    EXPECT_EQ(f.kea_config("branch1").value("valid-lifetime", 0), lifetime);
    check_untouched("after a global change");

    // A subnet the hub cannot place (bound to a name of none of its relationships): refused
    // naming it, before anything is written anywhere.
    const std::string unplaced = other_subnet(service, 9);
    const nlohmann::json unplaceable = nlohmann::json::array(
        {{{"op", "add"},
          {"path", "/" + f.service_key() + "/" + kea_ha::testing::subnet_list_key(service) + "/-"},
          {"value", {{"id", 77}, {"subnet", unplaced}, {"user-context", {{"ha-server-name", "branch9"}}}}}}});
    auto refused = f.controller->request("PATCH", "/v1/clusters/b1/config", unplaceable.dump(),
                                         {{"Content-Type", "application/json-patch+json"}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 422u) << refused->body;
    EXPECT_NE(refused->body.find("relationships-differ"), std::string::npos) << refused->body;
    EXPECT_NE(refused->body.find(unplaced), std::string::npos) << refused->body;
    EXPECT_NE(refused->body.find("'branch9'"), std::string::npos) << refused->body;
    EXPECT_EQ(subnets_of(f.kea_config("branch1")), (std::set<std::string>{subnet1}))
        << "nothing written on the source of truth either";
    check_untouched("after the refused change");

    // A sync: the hub is in sync on its relationship's part, nothing to write.
    auto synced = f.controller->request("POST", "/v1/clusters/b1/sync", "");
    ASSERT_TRUE(synced);
    EXPECT_EQ(synced->status, 200u) << synced->body;
    EXPECT_NE(synced->body.find(R"("outcome":"unchanged")"), std::string::npos) << synced->body;
    check_untouched("after sync");

    // An external change of a global on the branch, then a sync: still nothing for the hub.
    auto external = f.lab->command("branch1", "config-get");
    ASSERT_TRUE(external);
    auto document = (*external)["arguments"];
    document.erase("hash");
    document[f.service_key()]["valid-lifetime"] = lifetime + 1;
    auto set = f.lab->command("branch1", "config-set", document);
    ASSERT_TRUE(set) << set.error().describe();
    ASSERT_EQ((*set)["result"], 0) << set->dump();
    // Its HA restarts on the new config; once the branch is back as the source of truth, a sync.
    ASSERT_TRUE(f.wait_state("OK", std::string("branch1"), 30s, "b1")) << f.explain("b1");
    auto resynced = f.controller->request("POST", "/v1/clusters/b1/sync", "");
    ASSERT_TRUE(resynced);
    EXPECT_EQ(resynced->status, 200u) << resynced->body;
    EXPECT_NE(resynced->body.find(R"("outcome":"unchanged")"), std::string::npos) << resynced->body;
    EXPECT_EQ(refusals(), 0u) << f.explain("b1");
    EXPECT_EQ(f.kea_config("branch1").value("valid-lifetime", 0), lifetime + 1) << "the branch keeps its own change";
    check_untouched("after an external change on the branch");
}

TEST_P(RelationshipsE2E, MutualPairReplicatesKeepingBothNames_Kea26Plus) {
    if (LabOptions{}.kea_version == "2.2") GTEST_SKIP() << "several HA relationships need Kea 2.6+";
    const std::string service = GetParam();
    LabController f("kea-ha-mutual", kSettings, shaped(LabShape::MutualPair, service));
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start());
    auto added = f.add("ab", "a");
    ASSERT_TRUE(added);
    ASSERT_EQ(added->status, 201u) << added->body;
    ASSERT_TRUE(wait_until([&] { return f.detail("ab").value("state", "") == "OK"; }, 30s)) << f.explain("ab");

    // The other server, named by its relationship: standby in b1 (refused, naming a1), primary in b2.
    const auto register_b = [&](const std::string& name, const std::string& relationship) {
        const nlohmann::json body = {
            {"name", name}, {"url", f.lab->peer("b").url}, {"service", service}, {"relationship", relationship}};
        return f.controller->request("POST", "/v1/clusters", body.dump(), {{"Content-Type", "application/json"}});
    };
    auto as_standby = register_b("ba", "b1");
    ASSERT_TRUE(as_standby);
    EXPECT_EQ(as_standby->status, 422u) << as_standby->body;
    EXPECT_NE(as_standby->body.find("register its primary 'a1'"), std::string::npos) << as_standby->body;
    auto as_primary = register_b("ba", "b2");
    ASSERT_TRUE(as_primary);
    ASSERT_EQ(as_primary->status, 201u) << as_primary->body;
    EXPECT_EQ(nlohmann::json::parse(as_primary->body).value("relationship", ""), "b2") << as_primary->body;
    ASSERT_TRUE(wait_until([&] { return f.detail("ba").value("state", "") == "OK"; }, 30s)) << f.explain("ba");
    EXPECT_EQ(f.detail("ab").value("relationship", ""), "a1");
    // One cluster per server for the change below (two clusters sharing a peer: issue 12).
    auto removed = f.controller->request("DELETE", "/v1/clusters/ba", "");
    ASSERT_TRUE(removed);
    ASSERT_LT(removed->status, 300u) << removed->body;

    // Dhcp6: each server its own DUID (null on Dhcp4), kept through the change.
    const auto server_id_a = f.kea_config("a").value("server-id", nlohmann::json());
    const auto server_id_b = f.kea_config("b").value("server-id", nlohmann::json());
    if (service == "dhcp6") {
        ASSERT_NE(server_id_a, server_id_b) << "the lab gives each v6 peer its own DUID";
    }
    auto changed = patch(f, "ab", 7411);
    ASSERT_TRUE(changed);
    ASSERT_EQ(changed->status, 200u) << changed->body << f.explain("ab");
    for (const std::string peer : {"a", "b"}) {
        const auto config = f.kea_config(peer);
        EXPECT_EQ(config.value("valid-lifetime", 0), 7411) << peer;
        EXPECT_EQ(names_of(config), (std::vector<std::string>{peer + "1", peer + "2"})) << peer;
        EXPECT_EQ(subnets_of(config), (std::set<std::string>{lab_subnet(service, 0), lab_subnet(service, 1)})) << peer;
        EXPECT_EQ(config.value("server-id", nlohmann::json()), peer == "a" ? server_id_a : server_id_b) << peer;
    }
    // Both relationships stay in hot-standby on both servers (they would not with one name twice).
    EXPECT_TRUE(wait_until(
        [&] {
            for (const std::string peer : {"a", "b"})
                for (const std::string n : {"1", "2"})
                    if (ha_state(*f.lab, peer, peer + n) != "hot-standby") return false;
            return true;
        },
        20s))
        << "a1 " << ha_state(*f.lab, "a", "a1") << ", b2 " << ha_state(*f.lab, "b", "b2");
    EXPECT_TRUE(wait_until([&] { return f.detail("ab").value("state", "") == "OK"; }, 20s)) << f.explain("ab");
}

INSTANTIATE_TEST_SUITE_P(Service, RelationshipsE2E, ::testing::Values("dhcp4", "dhcp6"), kea_ha::testing::service_name);

}  // namespace
