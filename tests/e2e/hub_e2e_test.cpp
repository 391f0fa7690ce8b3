// End-to-end: hub and spoke (Kea 2.6+) under the real controller, on real Kea daemons (SPEC §5,
// issue 12). The hub is hub1 (standby of branch1) and hub2 (standby of branch2); each branch
// is registered as its own cluster (b1, b2), and the two clusters share the hub. Replication
// between a branch and the hub is scoped to the cluster's relationship: only that
// relationship's subnets move, the hub keeps both relationships, the other branch's subnet and
// its own globals, and each branch has exactly its own subnet. Checked after every step. Once
// per service (DHCPv4, DHCPv6: the v6 lab's subnets and pools, support/service_config.hpp).
#include <future>
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
using namespace kea_ha::testing;  // LabController and relationship_checks.hpp
using kea_ha::lab::LabOptions;
using kea_ha::lab::LabShape;
using kea_ha::lab::wait_until;
using kea_ha::testing::lab_pool;
using kea_ha::testing::lab_subnet;
using kea_ha::testing::service_key;
using kea_ha::testing::subnet_list_key;

/// The outcome entry of `peer` in a 200 answer's `peers` (null when absent or not JSON).
nlohmann::json outcome_of(const std::string& body, const std::string& peer) {
    const auto answer = nlohmann::json::parse(body, nullptr, false);
    if (!answer.is_object() || !answer.contains("peers")) return nullptr;
    for (const auto& p : answer["peers"])
        if (p.value("name", "") == peer) return p;
    return nullptr;
}

class HubE2E : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (LabOptions{}.kea_version == "2.2") GTEST_SKIP() << "several HA relationships need Kea 2.6+";
        f_ = std::make_unique<LabController>("kea-ha-hub-spoke", kea_ha::testing::kRelationshipLabSettings,
                                             kea_ha::testing::shaped(LabShape::HubAndSpoke, GetParam()));
        ASSERT_TRUE(f_->lab);
        ASSERT_TRUE(f_->controller->start());
        for (const auto& [cluster, branch] : {std::pair{"b1", "branch1"}, std::pair{"b2", "branch2"}}) {
            auto added = f_->add(cluster, branch);
            ASSERT_TRUE(added);
            ASSERT_EQ(added->status, 201u) << added->body;
        }
        for (const std::string cluster : {"b1", "b2"}) {
            ASSERT_TRUE(wait_until([&] { return f_->detail(cluster).value("state", "") == "OK"; }, 40s))
                << f_->explain(cluster);
        }
        hub_lifetime_ = f_->kea_config("hub").value("valid-lifetime", -1);
        // Dhcp6: each server its own DUID (null on Dhcp4), which no replication may touch.
        for (const std::string peer : {"hub", "branch1", "branch2"})
            server_ids_[peer] = f_->kea_config(peer).value("server-id", nlohmann::json());
        if (GetParam() == "dhcp6") {
            ASSERT_TRUE(server_ids_["hub"].is_object()) << "the lab gives each v6 peer its own DUID";
            ASSERT_NE(server_ids_["hub"], server_ids_["branch1"]);
        }
    }

    /// PATCH /v1/clusters/CLUSTER/config (JSON Patch): the first pool of the subnet `prefix`
    /// of the cluster's source of truth becomes `pool`.
    kea_ha::core::Result<HttpReply> change_pool(const std::string& cluster, const std::string& prefix,
                                                                 const std::string& pool) {
        auto document = f_->controller->get_json("/v1/clusters/" + cluster + "/config");
        if (!document) return document.error();
        const std::string list = "/" + service_key(GetParam()) + "/" + subnet_list_key(GetParam());
        const auto& subnets = (*document)[nlohmann::json::json_pointer(list)];
        std::size_t index = 0;
        while (index < subnets.size() && subnets[index].value("subnet", "") != prefix) ++index;
        const nlohmann::json patch = nlohmann::json::array(
            {{{"op", "replace"}, {"path", list + "/" + std::to_string(index) + "/pools/0/pool"}, {"value", pool}}});
        return f_->controller->request("PATCH", "/v1/clusters/" + cluster + "/config", patch.dump(),
                                       {{"Content-Type", "application/json-patch+json"}});
    }

    /// The shape that must hold after every step: the hub runs both relationships with both
    /// branches' subnets and its own globals; each running branch has exactly its own subnet.
    /// `hub1_active`: branch1 is up, so hub1 must be back in hot-standby too.
    void check_shape(const std::string& step, bool hub1_active = true) {
        SCOPED_TRACE(step);
        const auto hub = f_->kea_config("hub");
        EXPECT_EQ(names_of(hub), (std::vector<std::string>{"hub1", "hub2"}));
        EXPECT_EQ(subnets_of(hub), (std::set<std::string>{subnet1(), subnet2()}));
        EXPECT_EQ(hub.value("valid-lifetime", -2), hub_lifetime_) << "the hub's globals are its own";
        EXPECT_EQ(hub.value("server-id", nlohmann::json()), server_ids_["hub"]) << "the hub's DUID is its own";
        if (hub1_active) {
            EXPECT_EQ(f_->kea_config("branch1").value("server-id", nlohmann::json()), server_ids_["branch1"]);
        }
        EXPECT_EQ(f_->kea_config("branch2").value("server-id", nlohmann::json()), server_ids_["branch2"]);
        if (hub1_active) {
            EXPECT_EQ(subnets_of(f_->kea_config("branch1")), (std::set<std::string>{subnet1()}));
            EXPECT_EQ(names_of(f_->kea_config("branch1")), (std::vector<std::string>{"branch1"}));
        }
        EXPECT_EQ(subnets_of(f_->kea_config("branch2")), (std::set<std::string>{subnet2()}));
        EXPECT_EQ(names_of(f_->kea_config("branch2")), (std::vector<std::string>{"branch2"}));
        // A config-set restarts the hub's HA service: both relationships come back.
        EXPECT_TRUE(wait_until(
            [&] {
                return ha_state(*f_->lab, "hub", "hub2") == "hot-standby" &&
                       (!hub1_active || ha_state(*f_->lab, "hub", "hub1") == "hot-standby");
            },
            30s, 100ms))
            << "hub1 " << ha_state(*f_->lab, "hub", "hub1") << ", hub2 " << ha_state(*f_->lab, "hub", "hub2");
    }

    std::size_t events_of(const std::string& cluster, const std::string& kind) const {
        std::size_t n = 0;
        if (const auto events = f_->controller->get_json("/v1/clusters/" + cluster + "/events"))
            for (const auto& e : *events) n += e.value("kind", "") == kind ? 1 : 0;
        return n;
    }

    /// branch1's and branch2's subnet, and a pool inside one (lab_pool()).
    std::string subnet1() const { return lab_subnet(GetParam(), 0); }
    std::string subnet2() const { return lab_subnet(GetParam(), 1); }
    std::string pool1(int first, int last) const { return lab_pool(GetParam(), 0, first, last); }
    std::string pool2(int first, int last) const { return lab_pool(GetParam(), 1, first, last); }

    std::unique_ptr<LabController> f_;
    int hub_lifetime_ = -1;
    std::map<std::string, nlohmann::json> server_ids_;  ///< each peer's own server-id (Dhcp6), from SetUp
};

TEST_P(HubE2E, TwoBranchesShareTheHub_EachReplicatesOnlyItsRelationship_Kea26Plus) {
    check_shape("registered");

    // 1. branch1's subnet through b1: reaches the hub's copy of it, nothing else.
    auto changed = change_pool("b1", subnet1(), pool1(110, 190));
    ASSERT_TRUE(changed);
    ASSERT_EQ(changed->status, 200u) << changed->body << f_->explain("b1");
    EXPECT_EQ(outcome_of(changed->body, "branch1").value("outcome", ""), "applied") << changed->body;
    EXPECT_EQ(outcome_of(changed->body, "hub1").value("outcome", ""), "applied") << changed->body;
    EXPECT_FALSE(outcome_of(changed->body, "hub1").contains("out_of_scope")) << changed->body;
    EXPECT_EQ(pool_of(f_->kea_config("hub"), subnet1()), pool1(110, 190));
    EXPECT_EQ(pool_of(f_->kea_config("branch1"), subnet1()), pool1(110, 190));
    check_shape("after a change of branch1's subnet through b1");

    // 2. Each branch at the same moment: the clusters share the hub, neither undoes the other.
    auto first = std::async(std::launch::async, [&] { return change_pool("b1", subnet1(), pool1(111, 191)); });
    auto second = std::async(std::launch::async, [&] { return change_pool("b2", subnet2(), pool2(111, 191)); });
    for (auto* answer : {&first, &second}) {
        auto reply = answer->get();
        ASSERT_TRUE(reply);
        ASSERT_EQ(reply->status, 200u) << reply->body;
    }
    EXPECT_EQ(pool_of(f_->kea_config("hub"), subnet1()), pool1(111, 191));
    EXPECT_EQ(pool_of(f_->kea_config("hub"), subnet2()), pool2(111, 191));
    EXPECT_EQ(pool_of(f_->kea_config("branch2"), subnet2()), pool2(111, 191));
    check_shape("after both branches changed at once");

    // 3. A global through b1: applied on branch1 only; out of scope for the hub.
    const int lifetime = f_->kea_config("branch1").value("valid-lifetime", 0) + 17;
    const int branch2_lifetime = f_->kea_config("branch2").value("valid-lifetime", 0);
    const nlohmann::json merge = kea_ha::testing::lifetime_patch(GetParam(), lifetime);
    auto global = f_->controller->request("PATCH", "/v1/clusters/b1/config", merge.dump(),
                                          {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_TRUE(global);
    ASSERT_EQ(global->status, 200u) << global->body;
    EXPECT_EQ(outcome_of(global->body, "branch1").value("outcome", ""), "applied") << global->body;
    const auto hub_outcome = outcome_of(global->body, "hub1");
    EXPECT_EQ(hub_outcome.value("outcome", ""), "unchanged") << global->body;
    EXPECT_EQ(hub_outcome.value("out_of_scope", nlohmann::json()), nlohmann::json::array({"valid-lifetime (global)"}))
        << global->body;
    EXPECT_EQ(f_->kea_config("branch1").value("valid-lifetime", 0), lifetime);
    EXPECT_EQ(f_->kea_config("branch2").value("valid-lifetime", 0), branch2_lifetime);
    check_shape("after a global change through b1");

    // 4. branch1 away: the hub is b1's source of truth; a change through it reaches only the
    // hub's branch1 part (branch1 pending), branch2's subnet and branch2 untouched.
    ASSERT_TRUE(f_->lab->stop_dhcp("branch1"));
    ASSERT_TRUE(wait_until(
        [&] { return f_->detail("b1").value("source_of_truth", nlohmann::json()) == "hub1"; }, 30s))
        << f_->explain("b1");
    const auto hub_subnet2 = subnet_of(f_->kea_config("hub"), subnet2());
    const auto branch2_before = f_->kea_config("branch2");
    auto through_hub = change_pool("b1", subnet1(), pool1(120, 180));
    ASSERT_TRUE(through_hub);
    ASSERT_EQ(through_hub->status, 200u) << through_hub->body << f_->explain("b1");
    EXPECT_EQ(outcome_of(through_hub->body, "hub1").value("outcome", ""), "applied") << through_hub->body;
    EXPECT_EQ(outcome_of(through_hub->body, "branch1").value("outcome", ""), "pending") << through_hub->body;
    EXPECT_EQ(pool_of(f_->kea_config("hub"), subnet1()), pool1(120, 180));
    EXPECT_EQ(subnet_of(f_->kea_config("hub"), subnet2()), hub_subnet2);
    EXPECT_EQ(f_->kea_config("branch2"), branch2_before);
    check_shape("after a change through the hub, branch1 away", false);
    // A global change through the hub would reach branch2's relationship too (SPEC §5): 409
    // scope, naming the hub and that relationship; nothing written anywhere.
    const auto hub_before_global = f_->kea_config("hub");
    auto beyond = f_->controller->request("PATCH", "/v1/clusters/b1/config",
                                          kea_ha::testing::lifetime_patch(GetParam(), lifetime + 5).dump(),
                                          {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_TRUE(beyond);
    EXPECT_EQ(beyond->status, 409u) << beyond->body;
    EXPECT_NE(beyond->body.find("\"scope\""), std::string::npos) << beyond->body;
    EXPECT_NE(beyond->body.find("branch2+hub2"), std::string::npos) << beyond->body;
    EXPECT_EQ(f_->kea_config("hub"), hub_before_global);
    EXPECT_EQ(f_->kea_config("branch2"), branch2_before);

    // 5. branch1 back: it is SoT again, and first gets the change made meanwhile (rule 3),
    // scoped: its own subnet only, its own globals kept.
    ASSERT_TRUE(f_->lab->start_dhcp("branch1"));
    ASSERT_TRUE(f_->wait_state("OK", std::string("branch1"), 60s, "b1")) << f_->explain("b1");
    EXPECT_TRUE(wait_until([&] { return pool_of(f_->kea_config("branch1"), subnet1()) == pool1(120, 180); },
                           30s))
        << f_->explain("b1");
    EXPECT_EQ(f_->kea_config("branch1").value("valid-lifetime", 0), lifetime);
    EXPECT_GE(events_of("b1", "config-brought-to-sot"), 1u) << f_->explain("b1");
    EXPECT_EQ(events_of("b1", "config-refused"), 0u) << f_->explain("b1");
    check_shape("after branch1 came back");

    // 6. sync on both clusters: everyone in sync on its scope, nothing to write.
    for (const auto& [cluster, hub_name] : {std::pair{"b1", "hub1"}, std::pair{"b2", "hub2"}}) {
        auto synced = f_->controller->request("POST", std::string("/v1/clusters/") + cluster + "/sync", "");
        ASSERT_TRUE(synced);
        ASSERT_EQ(synced->status, 200u) << synced->body;
        EXPECT_EQ(outcome_of(synced->body, hub_name).value("outcome", ""), "unchanged") << cluster << " " << synced->body;
        for (const auto& peer : f_->detail(cluster)["peers"]) EXPECT_EQ(peer["in_sync"], true) << cluster << peer.dump();
    }
    check_shape("after sync");
}

INSTANTIATE_TEST_SUITE_P(Service, HubE2E, ::testing::Values("dhcp4", "dhcp6"), kea_ha::testing::service_name);

}  // namespace
