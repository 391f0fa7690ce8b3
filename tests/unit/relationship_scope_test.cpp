// SPEC §5, several HA relationships: scoped replication between a hub and a branch, whole
// config in a mutual pair; on configs recorded from real Kea 2.6.3 and 3.0.4 (the hub "hub" is
// hub1, standby of branch1, and hub2, standby of branch2), with synthetic edits.
#include "kea_ha/core/relationship_scope.hpp"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kea_ha/core/replication.hpp"

// Unit tests do not link kea_ha_test_support (and so do not get tests/ on the include path);
// the header is self-contained.
#include "../support/recorded_answers.hpp"

namespace {

using nlohmann::json;
using kea_ha::core::canonical_config;
using kea_ha::core::ErrorKind;
using kea_ha::core::out_of_scope_changes;
using kea_ha::core::relationship_of_peer;
using kea_ha::core::relationships_beyond;
using kea_ha::core::RelationshipScope;
using kea_ha::core::replication_is_scoped;
using kea_ha::core::same_scope;
using kea_ha::core::scope_of;
using kea_ha::core::scoped_transform_for;
using kea_ha::core::transform_for;

const std::vector<std::string> kLocal = {"interfaces-config", "control-socket", "lease-database",
                                         "hosts-database", "hosts-databases", "loggers"};
const RelationshipScope kBranch1{{"branch1", "hub1"}};
const RelationshipScope kBranch2{{"branch2", "hub2"}};
constexpr char kSubnet1[] = "192.0.2.0/24";     // bound to branch1
constexpr char kSubnet2[] = "198.51.100.0/24";  // bound to branch2 (only on the hub)

using Edit = std::function<void(json& config)>;  // edits the object under "Dhcp4"

json recorded(const std::string& shape, const std::string& version) {
    return kea_ha::testing::recorded_arguments("config-get-" + shape + ".json", version);
}

json edited(json document, const Edit& edit) {
    if (edit) edit(document["Dhcp4"]);
    return document;
}

json bound_subnet(int id, const std::string& prefix, const std::string& ha_server_name) {
    json subnet = {{"id", id}, {"subnet", prefix}, {"pools", json::array()}};
    if (!ha_server_name.empty()) subnet["user-context"] = {{"ha-server-name", ha_server_name}};
    return subnet;
}

json* subnet_of(json& config, const std::string& prefix) {
    for (auto& subnet : config["subnet4"])
        if (subnet["subnet"] == prefix) return &subnet;
    return nullptr;
}

/// The first pool of a subnet; nullopt when the subnet is missing.
std::optional<std::string> pool_of(json& config, const std::string& prefix) {
    const auto* subnet = subnet_of(config, prefix);
    if (!subnet) return std::nullopt;
    return subnet->at("pools").at(0).at("pool").get<std::string>();
}

void set_pool(json& config, const std::string& prefix, const std::string& pool) {
    (*subnet_of(config, prefix))["pools"] = json::array({{{"pool", pool}}});
}

void remove_subnet(json& config, const std::string& prefix) {
    auto& list = config["subnet4"];
    for (auto it = list.begin(); it != list.end(); ++it) {
        if ((*it)["subnet"] == prefix) {
            list.erase(it);
            return;
        }
    }
}

/// Every prefix of a document: top level and inside shared networks.
std::set<std::string> prefixes(const json& document) {
    std::set<std::string> out;
    const auto& config = document.at("Dhcp4");
    for (const auto& subnet : config.at("subnet4")) out.insert(subnet.at("subnet"));
    for (const auto& network : config.at("shared-networks"))
        for (const auto& subnet : network.at("subnet4")) out.insert(subnet.at("subnet"));
    return out;
}

const json& ha_entries(const json& document) {
    for (const auto& hook : document.at("Dhcp4").at("hooks-libraries"))
        if (hook.at("library").get<std::string>().find("libdhcp_ha.so") != std::string::npos)
            return hook.at("parameters").at("high-availability");
    throw std::runtime_error("no HA hook");
}

/// The service config without the subnets and shared networks: what scoped replication keeps.
json outside_scope_parts(const json& document) {
    auto config = canonical_config(document, "dhcp4").value().at("Dhcp4");
    config.erase("subnet4");
    config.erase("shared-networks");
    return config;
}

class RelationshipScopeTest : public ::testing::TestWithParam<std::string> {
protected:
    json hub() const { return recorded("hub", GetParam()); }
    json branch1() const { return recorded("branch1", GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(RecordedKea, RelationshipScopeTest, ::testing::Values("2.6", "3.0", "3.2"),
                         [](const auto& info) {
                             std::string name = "kea_" + info.param;
                             std::replace(name.begin(), name.end(), '.', '_');
                             return name;
                         });

// ---------------------------------------------------------------------------------------------
// Naming a cluster's relationship

TEST_P(RelationshipScopeTest, RelationshipOfPeer_IsTheEntryListingIt) {
    struct Row {
        const char* shape;
        const char* peer;
        std::optional<RelationshipScope> expect;
        ErrorKind error;
    };
    const Row rows[] = {
        {"hub", "hub1", kBranch1, {}},
        {"hub", "branch1", kBranch1, {}},
        {"hub", "hub2", kBranch2, {}},
        {"hub", "branch2", kBranch2, {}},
        {"branch1", "branch1", kBranch1, {}},
        {"branch1", "branch2", std::nullopt, ErrorKind::NotFound},
        {"hub", "hub", std::nullopt, ErrorKind::NotFound},
        {"mutual-a", "a1", RelationshipScope{{"a1", "b1"}}, {}},
        {"mutual-b", "b2", RelationshipScope{{"a2", "b2"}}, {}},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(std::string(row.shape) + " / " + row.peer);
        const auto found = relationship_of_peer(recorded(row.shape, GetParam()), "dhcp4", row.peer);
        if (row.expect) {
            ASSERT_TRUE(found) << found.error().describe();
            EXPECT_EQ(*found, *row.expect);
        } else {
            ASSERT_FALSE(found);
            EXPECT_EQ(found.error().kind, row.error);
        }
    }
}

TEST_P(RelationshipScopeTest, RelationshipOfPeer_NameInTwoRelationships_IsAConflict) {
    // A hub whose second relationship also lists branch1: the name maps to two relationships.
    const auto doubled = edited(hub(), [](json& config) {
        for (auto& hook : config["hooks-libraries"])
            if (hook["library"].get<std::string>().find("libdhcp_ha.so") != std::string::npos)
                hook["parameters"]["high-availability"][1]["peers"].push_back(
                    {{"name", "branch1"}, {"url", "http://192.0.2.9:8001/"}, {"role", "backup"}});
    });
    const auto found = relationship_of_peer(doubled, "dhcp4", "branch1");
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().kind, ErrorKind::Conflict);
    EXPECT_NE(found.error().message.find("several HA relationships"), std::string::npos) << found.error().message;
}

// ---------------------------------------------------------------------------------------------
// scope_of

TEST_P(RelationshipScopeTest, ScopeOf_SubnetsAndSharedNetworksBoundToTheRelationship) {
    const json lab_network = {{"name", "lab"},
                              {"subnet4", json::array({bound_subnet(7, "203.0.113.0/24", "branch1")})}};
    const json empty_network = {{"name", "empty"}, {"subnet4", json::array()}};
    struct Row {
        const char* name;
        const char* shape;
        Edit edit;
        RelationshipScope relationship;
        std::vector<std::string> subnets;
        std::vector<std::string> networks;
    };
    const Row rows[] = {
        {"hub, branch1's part", "hub", {}, kBranch1, {kSubnet1}, {}},
        {"hub, branch2's part", "hub", {}, kBranch2, {kSubnet2}, {}},
        {"branch1, its only relationship", "branch1", {}, kBranch1, {kSubnet1}, {}},
        {"hub, shared network through its subnet", "hub",
         [&](json& c) { c["shared-networks"].push_back(lab_network); }, kBranch1, {kSubnet1, "203.0.113.0/24"}, {"lab"}},
        {"hub, the shared network is not branch2's", "hub",
         [&](json& c) { c["shared-networks"].push_back(lab_network); }, kBranch2, {kSubnet2}, {}},
        {"hub, a shared network without subnets is in no scope", "hub",
         [&](json& c) { c["shared-networks"].push_back(empty_network); }, kBranch1, {kSubnet1}, {}},
        {"branch1, an unbound subnet belongs to its only relationship", "branch1",
         [](json& c) { c["subnet4"].push_back(bound_subnet(5, "10.5.0.0/24", "")); }, kBranch1,
         {kSubnet1, "10.5.0.0/24"}, {}},
        {"hub, a subnet bound to the hub's own name hub2", "hub",
         [](json& c) { c["subnet4"].push_back(bound_subnet(5, "10.5.0.0/24", "hub2")); }, kBranch2,
         {kSubnet2, "10.5.0.0/24"}, {}},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        const auto scope = scope_of(edited(recorded(row.shape, GetParam()), row.edit), "dhcp4", row.relationship);
        ASSERT_TRUE(scope) << scope.error().describe();
        EXPECT_EQ(scope->subnets, row.subnets);
        EXPECT_EQ(scope->shared_networks, row.networks);
    }
}

TEST_P(RelationshipScopeTest, ScopeOf_RelationshipTheConfigLacks_IsNotFound) {
    const auto scope = scope_of(branch1(), "dhcp4", kBranch2);
    ASSERT_FALSE(scope);
    EXPECT_EQ(scope.error().kind, ErrorKind::NotFound);
}

// ---------------------------------------------------------------------------------------------
// Placement refusals: Conflict, naming the subnet or network; nothing to write.

TEST_P(RelationshipScopeTest, UnplaceableConfigs_AreRefusedNamingTheSubnet) {
    const json mixed = {{"name", "mixed"},
                        {"subnet4", json::array({bound_subnet(7, "203.0.113.0/24", "branch1"),
                                                 bound_subnet(8, "203.0.113.128/25", "branch2")})}};
    auto add_to_second_relationship = [](json& c) {  // branch1 becomes a peer of both relationships
        for (auto& hook : c["hooks-libraries"])
            if (hook["library"].get<std::string>().find("libdhcp_ha.so") != std::string::npos)
                hook["parameters"]["high-availability"][1]["peers"].push_back(
                    {{"name", "branch1"}, {"url", "http://192.0.2.9:8001/"}, {"role", "backup"}});
    };
    enum class Direction { BranchToHub, HubToBranch };
    struct Row {
        const char* name;
        Direction direction;
        Edit sot_edit;
        Edit target_edit;
        std::vector<std::string> message_has;
    };
    const Row rows[] = {
        {"SoT branch binds a subnet to a name of no relationship", Direction::BranchToHub,
         [](json& c) { c["subnet4"].push_back(bound_subnet(9, "10.9.0.0/24", "branch9")); }, {},
         {"10.9.0.0/24", "'branch9'", "no HA relationship"}},
        {"SoT hub binds a subnet to a name of no relationship", Direction::HubToBranch,
         [](json& c) { c["subnet4"].push_back(bound_subnet(9, "10.9.0.0/24", "branch9")); }, {},
         {"10.9.0.0/24", "'branch9'", "no HA relationship"}},
        {"target hub binds a subnet to a name of no relationship", Direction::BranchToHub, {},
         [](json& c) { c["subnet4"].push_back(bound_subnet(9, "10.9.0.0/24", "branch9")); },
         {"10.9.0.0/24", "'branch9'", "hub1"}},
        {"a name that maps to two relationships on the target hub", Direction::BranchToHub, {},
         add_to_second_relationship, {kSubnet1, "'branch1'", "several HA relationships"}},
        {"a name that maps to two relationships on the SoT hub", Direction::HubToBranch,
         add_to_second_relationship, {}, {kSubnet1, "'branch1'", "several HA relationships"}},
        {"an unbound subnet on the target hub", Direction::BranchToHub, {},
         [](json& c) { c["subnet4"].push_back(bound_subnet(9, "10.9.0.0/24", "")); },
         {"10.9.0.0/24", "no user-context.ha-server-name", "several"}},
        {"an unbound subnet on the SoT hub", Direction::HubToBranch,
         [](json& c) { c["subnet4"].push_back(bound_subnet(9, "10.9.0.0/24", "")); }, {},
         {"10.9.0.0/24", "no user-context.ha-server-name"}},
        {"an unbound subnet of the SoT branch would land unbound on the hub", Direction::BranchToHub,
         [](json& c) { c["subnet4"].push_back(bound_subnet(9, "10.9.0.0/24", "")); }, {},
         {"10.9.0.0/24", "cannot be placed on hub1", "no user-context.ha-server-name"}},
        {"a shared network mixing two relationships on the SoT hub", Direction::HubToBranch,
         [&](json& c) { c["shared-networks"].push_back(mixed); }, {},
         {"'mixed'", "203.0.113.0/24", "203.0.113.128/25", "two HA relationships"}},
        {"a shared network mixing two relationships on the target hub", Direction::BranchToHub, {},
         [&](json& c) { c["shared-networks"].push_back(mixed); }, {"'mixed'", "two HA relationships"}},
        {"the branch adds a prefix the hub has in branch2's relationship", Direction::BranchToHub,
         [](json& c) { c["subnet4"].push_back(bound_subnet(9, kSubnet2, "branch1")); }, {},
         {kSubnet2, "branch2+hub2", "move it"}},
        {"the branch adds a subnet with the id of branch2's subnet on the hub", Direction::BranchToHub,
         [](json& c) { c["subnet4"].push_back(bound_subnet(2, "10.2.0.0/24", "branch1")); }, {},
         {"10.2.0.0/24", "id 2", kSubnet2}},
        {"the branch adds a shared network named as one of branch2's on the hub", Direction::BranchToHub,
         [](json& c) {
             c["shared-networks"].push_back(
                 {{"name", "net2"}, {"subnet4", json::array({bound_subnet(9, "10.9.0.0/24", "branch1")})}});
         },
         [](json& c) {
             c["shared-networks"].push_back(
                 {{"name", "net2"}, {"subnet4", json::array({bound_subnet(8, "10.8.0.0/24", "branch2")})}});
         },
         {"'net2'", "rename"}},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        const bool to_hub = row.direction == Direction::BranchToHub;
        const auto sot = edited(to_hub ? branch1() : hub(), row.sot_edit);
        const auto target = edited(to_hub ? hub() : branch1(), row.target_edit);
        const auto out = scoped_transform_for(sot, "dhcp4", kBranch1, to_hub ? "hub1" : "branch1", target, kLocal);
        ASSERT_FALSE(out) << "written: " << out->dump().substr(0, 200);
        EXPECT_EQ(out.error().kind, ErrorKind::Conflict);
        for (const auto& part : row.message_has)
            EXPECT_NE(out.error().message.find(part), std::string::npos) << "'" << part << "' in: " << out.error().message;
        EXPECT_FALSE(same_scope(sot, target, "dhcp4", kBranch1));
    }
}

TEST_P(RelationshipScopeTest, ScopeOf_UnplaceableConfig_IsAConflict) {
    const auto unbound = edited(hub(), [](json& c) { c["subnet4"].push_back(bound_subnet(9, "10.9.0.0/24", "")); });
    const auto scope = scope_of(unbound, "dhcp4", kBranch2);  // even for the other relationship
    ASSERT_FALSE(scope);
    EXPECT_EQ(scope.error().kind, ErrorKind::Conflict);
    EXPECT_NE(scope.error().message.find("10.9.0.0/24"), std::string::npos) << scope.error().message;
}

TEST_P(RelationshipScopeTest, PeersOutsideTheRelationship_AreRefused) {
    struct Row {
        const char* name;
        bool sot_is_branch;
        RelationshipScope relationship;
        const char* target;
        const char* message_has;
    };
    const Row rows[] = {
        {"target is not a peer of the relationship", true, kBranch1, "hub2", "not one of its peers"},
        {"the SoT branch does not take part in branch2's relationship", true, kBranch2, "hub2",
         "the source of truth does not take part"},
        {"the target branch does not take part in branch2's relationship", false, kBranch2, "branch2",
         "branch2 does not take part"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        const auto out = scoped_transform_for(row.sot_is_branch ? branch1() : hub(), "dhcp4", row.relationship,
                                              row.target, row.sot_is_branch ? hub() : branch1(), kLocal);
        ASSERT_FALSE(out);
        EXPECT_EQ(out.error().kind, ErrorKind::Conflict);
        EXPECT_NE(out.error().message.find(row.message_has), std::string::npos) << out.error().message;
    }
}

// ---------------------------------------------------------------------------------------------
// Branch -> hub: only branch1's part of the hub is replaced.

TEST_P(RelationshipScopeTest, BranchToHub_ReplacesOnlyBranch1sPart) {
    const json branch1_network = {{"name", "branch1-net"},
                                  {"subnet4", json::array({bound_subnet(7, "203.0.113.0/24", "branch1")})}};
    struct Row {
        const char* name;
        Edit branch_edit;
        std::set<std::string> hub_prefixes;
        std::optional<std::string> pool_of_subnet1;  // nullopt: the hub's own
        std::vector<std::string> out_of_scope;
    };
    const Row rows[] = {
        {"no change: the hub's own config", {}, {kSubnet1, kSubnet2}, std::nullopt, {}},
        {"a changed pool of branch1's subnet reaches the hub",
         [](json& c) { set_pool(c, kSubnet1, "192.0.2.10-192.0.2.20"); }, {kSubnet1, kSubnet2},
         "192.0.2.10-192.0.2.20", {}},
        {"a global valid-lifetime change is out of scope", [](json& c) { c["valid-lifetime"] = 1234; },
         {kSubnet1, kSubnet2}, std::nullopt, {"valid-lifetime (global)"}},
        {"an added subnet in scope", [](json& c) { c["subnet4"].push_back(bound_subnet(3, "10.3.0.0/24", "branch1")); },
         {kSubnet1, kSubnet2, "10.3.0.0/24"}, std::nullopt, {}},
        {"an added subnet bound to the hub's name in the relationship",
         [](json& c) { c["subnet4"].push_back(bound_subnet(3, "10.3.0.0/24", "hub1")); },
         {kSubnet1, kSubnet2, "10.3.0.0/24"}, std::nullopt, {}},
        {"a removed subnet in scope", [](json& c) { remove_subnet(c, kSubnet1); }, {kSubnet2}, std::nullopt, {}},
        {"an added shared network in scope", [&](json& c) { c["shared-networks"].push_back(branch1_network); },
         {kSubnet1, kSubnet2, "203.0.113.0/24"}, std::nullopt, {}},
        {"a subnet moved into a shared network",
         [](json& c) {
             auto moved = *subnet_of(c, kSubnet1);
             remove_subnet(c, kSubnet1);
             c["shared-networks"].push_back({{"name", "moved"}, {"subnet4", json::array({moved})}});
         },
         {kSubnet1, kSubnet2}, std::nullopt, {}},
        {"global and HA changes together with a pool",
         [](json& c) {
             set_pool(c, kSubnet1, "192.0.2.30-192.0.2.40");
             c["valid-lifetime"] = 99;
             c["hooks-libraries"].push_back({{"library", "/usr/lib/kea/hooks/libdhcp_stat_cmds.so"}});
         },
         {kSubnet1, kSubnet2}, "192.0.2.30-192.0.2.40", {"hooks-libraries (global)", "valid-lifetime (global)"}},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        const auto before = branch1();
        const auto after = edited(before, row.branch_edit);
        auto target = hub();
        ASSERT_TRUE(replication_is_scoped(after, target, "dhcp4"));
        const auto out = scoped_transform_for(after, "dhcp4", kBranch1, "hub1", target, kLocal);
        ASSERT_TRUE(out) << out.error().describe();

        EXPECT_EQ(prefixes(*out), row.hub_prefixes);
        // branch2's subnet is the hub's, untouched; the hub keeps everything outside the scope:
        // both HA entries with hub1 and hub2, globals, control sockets, lease database.
        auto out_config = (*out)["Dhcp4"];
        const auto* kept = subnet_of(out_config, kSubnet2);
        ASSERT_NE(kept, nullptr);
        EXPECT_EQ(*kept, *subnet_of(target["Dhcp4"], kSubnet2));
        EXPECT_EQ(outside_scope_parts(*out), outside_scope_parts(target));
        ASSERT_EQ(ha_entries(*out).size(), 2u);
        EXPECT_EQ(ha_entries(*out)[0]["this-server-name"], "hub1");
        EXPECT_EQ(ha_entries(*out)[1]["this-server-name"], "hub2");
        EXPECT_FALSE(out->contains("hash"));
        if (row.pool_of_subnet1) {
            EXPECT_EQ(pool_of(out_config, kSubnet1), row.pool_of_subnet1);
        } else if (row.hub_prefixes.count(kSubnet1) && subnet_of(out_config, kSubnet1)) {
            EXPECT_EQ(*subnet_of(out_config, kSubnet1), *subnet_of(target["Dhcp4"], kSubnet1));
        }
        // in_sync for scoped peers: the scope of the result is the branch's.
        EXPECT_TRUE(same_scope(*out, after, "dhcp4", kBranch1));
        EXPECT_TRUE(same_scope(*out, target, "dhcp4", kBranch2));

        const auto left_out = out_of_scope_changes(before, after, "dhcp4", kBranch1);
        ASSERT_TRUE(left_out) << left_out.error().describe();
        EXPECT_EQ(*left_out, row.out_of_scope);
    }
}

TEST_P(RelationshipScopeTest, Unchanged_IsTheTargetsOwnConfigAndInSync) {
    // The recorded hub and branch1 agree on branch1's subnet: either way, nothing changes.
    struct Row {
        json sot;
        const char* target_name;
        json target;
    };
    const Row rows[] = {{branch1(), "hub1", hub()}, {hub(), "branch1", branch1()}};
    for (const auto& row : rows) {
        SCOPED_TRACE(row.target_name);
        const auto out = scoped_transform_for(row.sot, "dhcp4", kBranch1, row.target_name, row.target, kLocal);
        ASSERT_TRUE(out) << out.error().describe();
        EXPECT_EQ(*out, canonical_config(row.target, "dhcp4").value());
        EXPECT_TRUE(same_scope(row.sot, row.target, "dhcp4", kBranch1));
    }
}

// ---------------------------------------------------------------------------------------------
// Hub -> branch: only branch1's part reaches branch1; branch2's never lands there.

TEST_P(RelationshipScopeTest, HubToBranch_ReplacesOnlyBranch1sPart) {
    struct Row {
        const char* name;
        Edit hub_edit;
        std::set<std::string> branch_prefixes;
        std::optional<std::string> pool_of_subnet1;
        std::vector<std::string> out_of_scope;
    };
    const Row rows[] = {
        {"no change: the branch's own config", {}, {kSubnet1}, std::nullopt, {}},
        {"branch1's pool changed on the hub", [](json& c) { set_pool(c, kSubnet1, "192.0.2.50-192.0.2.60"); },
         {kSubnet1}, "192.0.2.50-192.0.2.60", {}},
        {"branch2's pool changed on the hub is out of scope",
         [](json& c) { set_pool(c, kSubnet2, "198.51.100.5-198.51.100.6"); }, {kSubnet1}, std::nullopt,
         {"subnet 198.51.100.0/24 (relationship branch2+hub2)"}},
        {"a subnet added to branch2's relationship is out of scope",
         [](json& c) { c["subnet4"].push_back(bound_subnet(4, "10.4.0.0/24", "branch2")); }, {kSubnet1},
         std::nullopt, {"subnet 10.4.0.0/24 (relationship branch2+hub2)"}},
        {"branch2's subnet removed on the hub is out of scope", [](json& c) { remove_subnet(c, kSubnet2); },
         {kSubnet1}, std::nullopt, {"subnet 198.51.100.0/24 (relationship branch2+hub2, removed)"}},
        {"a subnet added to branch1's relationship reaches branch1",
         [](json& c) { c["subnet4"].push_back(bound_subnet(4, "10.4.0.0/24", "hub1")); }, {kSubnet1, "10.4.0.0/24"},
         std::nullopt, {}},
        {"branch1's subnet removed on the hub", [](json& c) { remove_subnet(c, kSubnet1); }, {}, std::nullopt, {}},
        {"branch2's subnet moved to branch1's relationship reaches branch1",
         [](json& c) { (*subnet_of(c, kSubnet2))["user-context"]["ha-server-name"] = "branch1"; },
         {kSubnet1, kSubnet2}, std::nullopt, {}},
        {"shared networks: branch1's reaches branch1, branch2's is out of scope",
         [](json& c) {
             c["shared-networks"].push_back(
                 {{"name", "net1"}, {"subnet4", json::array({bound_subnet(5, "10.5.0.0/24", "branch1")})}});
             c["shared-networks"].push_back(
                 {{"name", "net2"}, {"subnet4", json::array({bound_subnet(6, "10.6.0.0/24", "branch2")})}});
         },
         {kSubnet1, "10.5.0.0/24"}, std::nullopt, {"shared network 'net2' (relationship branch2+hub2)"}},
        {"a global change on the hub is out of scope", [](json& c) { c["valid-lifetime"] = 4321; }, {kSubnet1},
         std::nullopt, {"valid-lifetime (global)"}},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        const auto before = hub();
        const auto after = edited(before, row.hub_edit);
        const auto target = branch1();
        const auto out = scoped_transform_for(after, "dhcp4", kBranch1, "branch1", target, kLocal);
        ASSERT_TRUE(out) << out.error().describe();

        EXPECT_EQ(prefixes(*out), row.branch_prefixes);
        EXPECT_EQ(outside_scope_parts(*out), outside_scope_parts(target));
        ASSERT_EQ(ha_entries(*out).size(), 1u);
        EXPECT_EQ(ha_entries(*out)[0]["this-server-name"], "branch1");
        auto out_config = (*out)["Dhcp4"];
        if (row.pool_of_subnet1) {
            EXPECT_EQ(pool_of(out_config, kSubnet1), row.pool_of_subnet1);
        }
        EXPECT_TRUE(same_scope(*out, after, "dhcp4", kBranch1));
        EXPECT_EQ(out_of_scope_changes(before, after, "dhcp4", kBranch1).value(), row.out_of_scope);
    }
}

TEST_P(RelationshipScopeTest, SameScope_ComparesOnlyTheScope) {
    const auto hub_doc = hub();
    struct Row {
        const char* name;
        Edit hub_edit;
        bool branch1_in_sync;
    };
    const Row rows[] = {
        {"recorded", {}, true},
        {"a global change on the hub", [](json& c) { c["valid-lifetime"] = 1; }, true},
        {"branch2's subnet changed", [](json& c) { set_pool(c, kSubnet2, "198.51.100.7-198.51.100.8"); }, true},
        {"subnets in another order", [](json& c) { std::swap(c["subnet4"][0], c["subnet4"][1]); }, true},
        {"branch1's subnet changed", [](json& c) { set_pool(c, kSubnet1, "192.0.2.7-192.0.2.8"); }, false},
        {"a subnet added to branch1's relationship",
         [](json& c) { c["subnet4"].push_back(bound_subnet(9, "10.9.0.0/24", "hub1")); }, false},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        EXPECT_EQ(same_scope(edited(hub_doc, row.hub_edit), branch1(), "dhcp4", kBranch1), row.branch1_in_sync);
    }
    EXPECT_FALSE(same_scope(hub_doc, branch1(), "dhcp4", kBranch2));  // branch1 has no branch2 relationship
}

TEST_P(RelationshipScopeTest, Dhcp6_ScopesSubnet6) {
    // The same shapes under Dhcp6 (subnet6): the core keys on the service, not on Dhcp4.
    auto as_dhcp6 = [](json document) {
        auto config = document["Dhcp4"];
        config["subnet6"] = config["subnet4"];
        config.erase("subnet4");
        return json{{"Dhcp6", config}};
    };
    auto branch = as_dhcp6(branch1());
    branch["Dhcp6"]["subnet6"][0]["pools"] = json::array({{{"pool", "2001:db8:1::10-2001:db8:1::20"}}});
    const auto hub6 = as_dhcp6(hub());
    const auto out = scoped_transform_for(branch, "dhcp6", kBranch1, "hub1", hub6, kLocal);
    ASSERT_TRUE(out) << out.error().describe();
    const auto& subnets = (*out)["Dhcp6"]["subnet6"];
    ASSERT_EQ(subnets.size(), 2u);
    EXPECT_EQ(subnets[0]["pools"][0]["pool"], "2001:db8:1::10-2001:db8:1::20");
    EXPECT_EQ(subnets[1], hub6["Dhcp6"]["subnet6"][1]);
    EXPECT_FALSE((*out)["Dhcp6"].contains("subnet4"));
    EXPECT_TRUE(same_scope(*out, branch, "dhcp6", kBranch1));
    EXPECT_EQ(scope_of(hub6, "dhcp6", kBranch2).value().subnets, std::vector<std::string>{kSubnet2});
}

// ---------------------------------------------------------------------------------------------
// Same relationships on both sides: the whole config, as transform_for.

TEST_P(RelationshipScopeTest, MutualPair_IsWholeConfigAsTransformFor) {
    const auto a = recorded("mutual-a", GetParam());
    const auto b = recorded("mutual-b", GetParam());
    const RelationshipScope a_primary{{"a1", "b1"}};
    const Edit edits[] = {
        {},
        [](json& c) { c["valid-lifetime"] = 5555; },
        [](json& c) { set_pool(c, "198.51.100.0/24", "198.51.100.9-198.51.100.19"); },
    };
    for (const auto& edit : edits) {
        const auto changed = edited(a, edit);
        ASSERT_FALSE(replication_is_scoped(changed, b, "dhcp4"));
        const auto scoped = scoped_transform_for(changed, "dhcp4", a_primary, "b1", b, kLocal);
        const auto whole = transform_for(changed, "dhcp4", "b1", b, kLocal);
        ASSERT_TRUE(scoped) << scoped.error().describe();
        ASSERT_TRUE(whole) << whole.error().describe();
        EXPECT_EQ(*scoped, *whole);
        EXPECT_EQ((*scoped)["Dhcp4"]["valid-lifetime"], changed["Dhcp4"]["valid-lifetime"]);
        ASSERT_EQ(ha_entries(*scoped).size(), 2u);
        EXPECT_EQ(ha_entries(*scoped)[0]["this-server-name"], "b1");
        EXPECT_EQ(ha_entries(*scoped)[1]["this-server-name"], "b2");
    }
    // Unchanged, the transformed config is b's own.
    EXPECT_EQ(*scoped_transform_for(a, "dhcp4", a_primary, "b1", b, kLocal), canonical_config(b, "dhcp4").value());
}

TEST_P(RelationshipScopeTest, PlainPair_IsWholeConfigAsTransformFor) {
    const auto primary = recorded("hot-standby-primary", GetParam());
    const auto standby = recorded("hot-standby-standby", GetParam());
    const auto relationship = relationship_of_peer(primary, "dhcp4", "server1");
    ASSERT_TRUE(relationship) << relationship.error().describe();
    const auto changed = edited(primary, [](json& c) { c["valid-lifetime"] = 777; });
    const auto scoped = scoped_transform_for(changed, "dhcp4", *relationship, "server2", standby, kLocal);
    ASSERT_TRUE(scoped) << scoped.error().describe();
    EXPECT_EQ(*scoped, *transform_for(changed, "dhcp4", "server2", standby, kLocal));
    EXPECT_EQ((*scoped)["Dhcp4"]["valid-lifetime"], 777);
}

// ---------------------------------------------------------------------------------------------
// SPEC §5: what a source of truth's change would reach beyond the cluster

/// The hosts of the HA urls of the peers of `document`'s relationship `scope`: the cluster's.
std::set<std::string> cluster_hosts(const json& document, const RelationshipScope& scope) {
    std::set<std::string> hosts;
    for (const auto& entry : ha_entries(document)) {
        for (const auto& peer : entry.at("peers")) {
            if (!scope.peers.count(peer.at("name").get<std::string>())) continue;
            const auto url = peer.at("url").get<std::string>();
            const auto start = url.find("://") + 3;
            hosts.insert(url.substr(start, url.find(':', start) - start));
        }
    }
    return hosts;
}

TEST_P(RelationshipScopeTest, RelationshipsBeyond_AHubsOtherBranchNotAMutualPairsSecondRelationship) {
    // The hub as branch1's source of truth: its relationship with branch2 reaches beyond.
    const auto beyond = relationships_beyond(hub(), "dhcp4", kBranch1, cluster_hosts(hub(), kBranch1));
    ASSERT_EQ(1u, beyond.size());
    EXPECT_EQ(kBranch2, beyond.front());
    // A branch serves one relationship: nothing beyond.
    EXPECT_TRUE(relationships_beyond(branch1(), "dhcp4", kBranch1, cluster_hosts(branch1(), kBranch1)).empty());
    // A mutual pair: the second relationship joins the same two servers.
    const auto mutual = recorded("mutual-a", GetParam());
    const RelationshipScope a1b1{{"a1", "b1"}};
    EXPECT_TRUE(relationships_beyond(mutual, "dhcp4", a1b1, cluster_hosts(mutual, a1b1)).empty());
    // And a global change through the hub is out of branch1's scope.
    auto changed = hub();
    changed["Dhcp4"]["valid-lifetime"] = 7777;
    const auto left_out = out_of_scope_changes(hub(), changed, "dhcp4", kBranch1);
    ASSERT_TRUE(left_out) << left_out.error().describe();
    EXPECT_EQ(std::vector<std::string>{"valid-lifetime (global)"}, *left_out);
}

}  // namespace
