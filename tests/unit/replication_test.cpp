// SPEC §5 transform and canonical comparison, on configs recorded from real Kea 2.2.
#include "kea_ha/core/replication.hpp"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace {

using kea_ha::core::apply_patch;
using kea_ha::core::canonical_config;
using kea_ha::core::config_etag;
using kea_ha::core::ErrorKind;
using kea_ha::core::PatchKind;
using kea_ha::core::same_config;
using kea_ha::core::transform_for;

const std::vector<std::string> kLocal = {"interfaces-config", "control-socket", "lease-database",
                                         "hosts-database", "hosts-databases", "loggers"};

nlohmann::json recorded(const std::string& name) {
    std::ifstream in(std::string(KEA_HA_TEST_DATA) + "/kea-2.2/" + name);
    return nlohmann::json::parse(in).at(0).at("arguments");
}

std::string this_server_name(const nlohmann::json& document) {
    for (const auto& hook : document.at("Dhcp4").at("hooks-libraries")) {
        if (hook.at("library").get<std::string>().find("libdhcp_ha.so") != std::string::npos) {
            return hook.at("parameters").at("high-availability").at(0).at("this-server-name");
        }
    }
    return {};
}

TEST(Transform, TargetKeepsItsNameAndLocalKeys) {
    const auto primary = recorded("config-get-hot-standby-primary.json");
    auto standby = recorded("config-get-hot-standby-standby.json");
    standby["Dhcp4"]["interfaces-config"] = {{"interfaces", {"eth1"}}};
    auto changed = primary;
    changed["Dhcp4"]["valid-lifetime"] = 7200;

    auto out = transform_for(changed, "dhcp4", "server2", standby, kLocal);
    ASSERT_TRUE(out) << out.error().describe();
    EXPECT_EQ(this_server_name(*out), "server2");
    EXPECT_EQ((*out)["Dhcp4"]["valid-lifetime"], 7200);
    EXPECT_EQ((*out)["Dhcp4"]["interfaces-config"], standby["Dhcp4"]["interfaces-config"]);
    EXPECT_EQ((*out)["Dhcp4"]["control-socket"], standby["Dhcp4"]["control-socket"]);
    EXPECT_EQ((*out)["Dhcp4"]["lease-database"], standby["Dhcp4"]["lease-database"]);
    EXPECT_EQ((*out)["Dhcp4"]["loggers"], standby["Dhcp4"]["loggers"]);
    // The SoT's own document is untouched.
    EXPECT_EQ(this_server_name(changed), "server1");
}

TEST(Transform, PrimaryConfigTransformedForStandbyEqualsStandbysOwn) {
    // Two peers of one real Kea 2.2 lab: the standby's config is the primary's, transformed.
    const auto primary = recorded("config-get-hot-standby-primary.json");
    const auto standby = recorded("config-get-hot-standby-standby.json");
    auto out = transform_for(primary, "dhcp4", "server2", standby, kLocal);
    ASSERT_TRUE(out) << out.error().describe();
    EXPECT_TRUE(same_config(*out, standby)) << nlohmann::json::diff(standby, *out).dump(1);
}

TEST(Transform, LocalKeyAbsentOnTargetIsRemoved) {
    auto primary = recorded("config-get-hot-standby-primary.json");
    primary["Dhcp4"]["hosts-database"] = {{"type", "mysql"}, {"name", "kea"}};
    const auto standby = recorded("config-get-hot-standby-standby.json");
    auto out = transform_for(primary, "dhcp4", "server2", standby, kLocal);
    ASSERT_TRUE(out);
    EXPECT_FALSE((*out)["Dhcp4"].contains("hosts-database"));
}

TEST(Transform, HashIsDropped) {
    auto primary = recorded("config-get-hot-standby-primary.json");
    primary["Dhcp4"]["hash"] = "ABCDEF";
    auto out = transform_for(primary, "dhcp4", "server2", recorded("config-get-hot-standby-standby.json"), kLocal);
    ASSERT_TRUE(out);
    EXPECT_FALSE((*out)["Dhcp4"].contains("hash"));
}

TEST(Transform, TargetNotAPeerIsRefused) {
    auto out = transform_for(recorded("config-get-hot-standby-primary.json"), "dhcp4", "server9",
                             recorded("config-get-hot-standby-standby.json"), kLocal);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().kind, ErrorKind::Conflict);
    EXPECT_NE(out.error().message.find("server9"), std::string::npos);
}

TEST(Transform, NotADocumentIsInvalid) {
    const auto standby = recorded("config-get-hot-standby-standby.json");
    for (const auto& bad : {nlohmann::json::array(), nlohmann::json{{"Dhcp6", nlohmann::json::object()}},
                            nlohmann::json{{"Dhcp4", 3}}}) {
        SCOPED_TRACE(bad.dump());
        auto out = transform_for(bad, "dhcp4", "server2", standby, kLocal);
        ASSERT_FALSE(out);
        EXPECT_EQ(out.error().kind, ErrorKind::Invalid);
    }
}

TEST(Transform, Dhcp6) {
    const auto primary = recorded("config-get-dhcp6.json");
    ASSERT_TRUE(primary.contains("Dhcp6"));
    auto out = transform_for(primary, "dhcp6", "server2", primary, kLocal);
    ASSERT_TRUE(out) << out.error().describe();
}

TEST(SameConfig, IgnoresOrderAndHashButNotValues) {
    auto a = nlohmann::json::parse(R"({"Dhcp4": {"a": 1, "b": [1, 2], "hash": "X"}})");
    auto b = nlohmann::json::parse(R"({"Dhcp4": {"b": [1, 2], "a": 1}})");
    EXPECT_TRUE(same_config(a, b));
    b["Dhcp4"]["b"] = {2, 1};  // list order matters to Kea (subnets, pools, classes)
    EXPECT_FALSE(same_config(a, b));
}

TEST(SameConfig, MembersMissingOnEitherSideDiffer) {
    const auto base = nlohmann::json::parse(R"({"Dhcp4": {"a": 1, "hash": "X"}})");
    auto extra = base;
    extra["Dhcp4"]["b"] = 2;
    EXPECT_FALSE(same_config(base, extra));
    EXPECT_FALSE(same_config(extra, base));
    auto both_hashed = base;
    both_hashed["Dhcp4"]["hash"] = "Y";
    EXPECT_TRUE(same_config(base, both_hashed));
    // A hash on one side, a real member of the same count on the other: not equal.
    auto swapped = nlohmann::json::parse(R"({"Dhcp4": {"a": 1, "c": 3}})");
    EXPECT_FALSE(same_config(base, swapped));
    EXPECT_FALSE(same_config(swapped, base));
    EXPECT_FALSE(same_config(base, nlohmann::json::parse(R"({"Dhcp6": {"a": 1}})")));
    EXPECT_FALSE(same_config(base, nlohmann::json::parse(R"({"Dhcp4": {"a": 1}, "Dhcp6": {}})")));
    EXPECT_TRUE(same_config(nlohmann::json::parse(R"({"Dhcp4": {"a": 1}})"), base));
}

TEST(Etag, StableAndChangesWithContent) {
    auto a = nlohmann::json::parse(R"({"Dhcp4": {"a": 1, "b": 2}})");
    auto b = nlohmann::json::parse(R"({"Dhcp4": {"b": 2, "a": 1}})");
    EXPECT_EQ(config_etag(a), config_etag(b));
    b["Dhcp4"]["a"] = 3;
    EXPECT_NE(config_etag(a), config_etag(b));
    EXPECT_EQ(config_etag(a).front(), '"');
}

TEST(Canonical, DropsHash) {
    auto doc = nlohmann::json::parse(R"({"Dhcp4": {"a": 1, "hash": "X"}})");
    auto out = canonical_config(doc, "dhcp4");
    ASSERT_TRUE(out);
    EXPECT_FALSE((*out)["Dhcp4"].contains("hash"));
}

struct PatchRow {
    const char* name;
    PatchKind kind;
    const char* patch;
    bool ok;
    const char* expect_in_message;
};

TEST(Patch, Table) {
    const auto doc = nlohmann::json::parse(R"({"Dhcp4": {"valid-lifetime": 4000, "subnet4": []}})");
    const PatchRow rows[] = {
        {"merge sets a value", PatchKind::MergePatch, R"({"Dhcp4": {"valid-lifetime": 7200}})", true, ""},
        {"json patch replaces", PatchKind::JsonPatch, R"([{"op": "replace", "path": "/Dhcp4/valid-lifetime", "value": 7200}])", true, ""},
        {"json patch not an array", PatchKind::JsonPatch, R"({"op": "replace"})", false, "array"},
        {"json patch bad path", PatchKind::JsonPatch, R"([{"op": "replace", "path": "/Dhcp4/nope/x", "value": 1}])", false, "does not apply"},
        {"json patch failed test", PatchKind::JsonPatch, R"([{"op": "test", "path": "/Dhcp4/valid-lifetime", "value": 1}])", false, "does not apply"},
        {"json patch unknown op", PatchKind::JsonPatch, R"([{"op": "frobnicate", "path": "/Dhcp4"}])", false, "does not apply"},
        {"merge not an object", PatchKind::MergePatch, R"([1, 2])", false, "object"},
        {"merge removes the service", PatchKind::MergePatch, R"({"Dhcp4": null})", false, "no longer"},
        {"merge adds a second service", PatchKind::MergePatch, R"({"Dhcp6": {}})", false, "no longer"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        auto out = apply_patch(doc, nlohmann::json::parse(row.patch), row.kind, "dhcp4");
        ASSERT_EQ(static_cast<bool>(out), row.ok) << (out ? out->dump() : out.error().describe());
        if (row.ok) {
            EXPECT_EQ((*out)["Dhcp4"]["valid-lifetime"], 7200);
        } else {
            EXPECT_EQ(out.error().kind, ErrorKind::Invalid);
            EXPECT_NE(out.error().message.find(row.expect_in_message), std::string::npos) << out.error().message;
        }
    }
}

}  // namespace
