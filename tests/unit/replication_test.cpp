// SPEC §5 transform and canonical comparison, on configs recorded from real Kea 2.2.
#include "kea_ha/core/replication.hpp"

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using kea_ha::core::apply_patch;
using kea_ha::core::canonical_config;
using kea_ha::core::config_etag;
using kea_ha::core::ErrorKind;
using kea_ha::core::PatchKind;
using kea_ha::core::relationship_mismatch;
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

TEST(Transform, ControlSocketsAreKeptWhateverThePreferenceSays) {
    // Kea 3.x: the daemon's own HTTP socket is in `control-sockets`; copying the SoT's would
    // bind the target to the SoT's address (or make Kea refuse the config).
    auto primary = recorded("config-get-hot-standby-primary.json");
    auto standby = recorded("config-get-hot-standby-standby.json");
    primary["Dhcp4"]["control-sockets"] = {{{"socket-type", "http"}, {"socket-address", "127.0.0.10"}}};
    standby["Dhcp4"]["control-sockets"] = {{{"socket-type", "http"}, {"socket-address", "127.0.0.11"}}};
    auto out = transform_for(primary, "dhcp4", "server2", standby, {});
    ASSERT_TRUE(out) << out.error().describe();
    EXPECT_EQ((*out)["Dhcp4"]["control-sockets"], standby["Dhcp4"]["control-sockets"]);
    EXPECT_EQ((*out)["Dhcp4"]["control-socket"], standby["Dhcp4"]["control-socket"]);
    // A target without the list gets none of the SoT's.
    standby["Dhcp4"].erase("control-sockets");
    out = transform_for(primary, "dhcp4", "server2", standby, {"loggers"});
    ASSERT_TRUE(out);
    EXPECT_FALSE((*out)["Dhcp4"].contains("control-sockets"));
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

TEST(Transform, StandaloneServerGetsItsOwnChangeBack) {
    // A server without the HA hook is a one-peer cluster (SPEC §1): a change to it is its own
    // config transformed for itself, with its local keys kept.
    auto changed = recorded("config-get-no-ha.json");
    changed["Dhcp4"]["valid-lifetime"] = 7300;
    auto out = transform_for(changed, "dhcp4", "dhcp-a", recorded("config-get-no-ha.json"), kLocal);
    ASSERT_TRUE(out) << out.error().describe();
    EXPECT_EQ((*out)["Dhcp4"]["valid-lifetime"], 7300);
    EXPECT_EQ((*out)["Dhcp4"]["control-socket"], recorded("config-get-no-ha.json")["Dhcp4"]["control-socket"]);
    // …but an HA target never takes a config without HA, nor the other way round.
    EXPECT_FALSE(transform_for(changed, "dhcp4", "server2", recorded("config-get-hot-standby-standby.json"), kLocal));
    EXPECT_FALSE(transform_for(recorded("config-get-hot-standby-primary.json"), "dhcp4", "dhcp-a",
                               recorded("config-get-no-ha.json"), kLocal));
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
    // Kea >= 2.4's top-level hash does not matter either.
    EXPECT_TRUE(same_config(nlohmann::json::parse(R"({"Dhcp4": {"a": 1}, "hash": "Z"})"), base));
    EXPECT_TRUE(same_config(base, nlohmann::json::parse(R"({"hash": "Z", "Dhcp4": {"a": 1}})")));
    EXPECT_FALSE(same_config(nlohmann::json::parse(R"({"Dhcp4": {"a": 2}, "hash": "Z"})"), base));
}

TEST(Etag, StableAndChangesWithContent) {
    auto a = nlohmann::json::parse(R"({"Dhcp4": {"a": 1, "b": 2}})");
    auto b = nlohmann::json::parse(R"({"Dhcp4": {"b": 2, "a": 1}})");
    EXPECT_EQ(config_etag(a), config_etag(b));
    b["Dhcp4"]["a"] = 3;
    EXPECT_NE(config_etag(a), config_etag(b));
    EXPECT_EQ(config_etag(a).front(), '"');
}

TEST(Etag, FromKeasHashWhenKeaGivesOne_OneConfigOneEtagWhateverItsForm) {
    const auto as_sent = nlohmann::json::parse(R"({"Dhcp4": {"subnet4": [{"id": 1}]}})");
    const auto as_read = nlohmann::json::parse(R"({"Dhcp4": {"subnet4": [{"id": 1, "4o6-interface": ""}]}})");
    const std::string hash = "9B4F0C2AD1E7";
    EXPECT_EQ(config_etag(as_sent, hash), "\"kea-9B4F0C2AD1E7\"");
    EXPECT_EQ(config_etag(as_sent, hash), config_etag(as_read, hash));
    EXPECT_EQ(config_etag(as_sent, ""), config_etag(as_sent));  // Kea 2.2: no hash
    // A garbled hash could end the ETag header: the document's own ETag instead.
    EXPECT_EQ(config_etag(as_sent, "AB\r\nSet-Cookie: x"), config_etag(as_sent));
    EXPECT_EQ(config_etag(as_sent, "AB\"C"), config_etag(as_sent));
    EXPECT_EQ(config_etag(as_sent, std::string(129, 'A')), config_etag(as_sent));
}

TEST(Etag, ComparableOnlyWhenOfOneKind) {
    using kea_ha::core::comparable_etags;
    const auto document = nlohmann::json::parse(R"({"Dhcp4": {}})");
    EXPECT_TRUE(comparable_etags(config_etag(document, "AA"), config_etag(document, "BB")));
    EXPECT_TRUE(comparable_etags(config_etag(document), "\"0123456789abcdef\""));
    // A Kea upgraded from 2.2, or an ETag kept by an older controller: neither same nor changed.
    EXPECT_FALSE(comparable_etags(config_etag(document), config_etag(document, "AA")));
}

struct CanonicalRow {
    const char* name;
    const char* document;
    const char* expect;   ///< the canonical document, or nullptr: Invalid
    const char* expect_in_message;
};

TEST(Canonical, Table) {
    const CanonicalRow rows[] = {
        {"Kea 2.2 shape", R"({"Dhcp4": {"a": 1}})", R"({"Dhcp4": {"a": 1}})", ""},
        {"Kea 2.4+ shape: top-level hash dropped", R"({"Dhcp4": {"a": 1}, "hash": "5D1F"})", R"({"Dhcp4": {"a": 1}})", ""},
        {"hash inside the service config dropped", R"({"Dhcp4": {"a": 1, "hash": "X"}})", R"({"Dhcp4": {"a": 1}})", ""},
        {"both hashes dropped", R"({"hash": "Y", "Dhcp4": {"a": 1, "hash": "X"}})", R"({"Dhcp4": {"a": 1}})", ""},
        {"another member beside the service", R"({"Dhcp4": {"a": 1}, "Dhcp6": {}})", nullptr, "unexpected member \"Dhcp6\""},
        {"another member beside hash", R"({"Dhcp4": {}, "hash": "X", "Control-agent": {}})", nullptr, "unexpected member \"Control-agent\""},
        {"hash alone", R"({"hash": "X"})", nullptr, "{\"Dhcp4\": {…}}"},
        {"the other service", R"({"Dhcp6": {}})", nullptr, "{\"Dhcp4\": {…}}"},
        {"service not an object", R"({"Dhcp4": 3})", nullptr, "{\"Dhcp4\": {…}}"},
        {"not an object", R"([1])", nullptr, "{\"Dhcp4\": {…}}"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        auto out = canonical_config(nlohmann::json::parse(row.document), "dhcp4");
        if (row.expect) {
            ASSERT_TRUE(out) << out.error().describe();
            EXPECT_EQ(*out, nlohmann::json::parse(row.expect));
        } else {
            ASSERT_FALSE(out) << out->dump();
            EXPECT_EQ(out.error().kind, ErrorKind::Invalid);
            EXPECT_NE(out.error().message.find(row.expect_in_message), std::string::npos) << out.error().message;
        }
    }
}

// Hand-built HA shapes of Kea 2.6+ (kea-versions-facts.md "Multiple HA relationships").
struct Rel {
    std::string me;                  ///< this-server-name; empty: none
    std::vector<std::string> peers;  ///< the first is the primary, the second the standby
};

nlohmann::json ha_document(const std::vector<Rel>& relationships, const std::string& marker = "") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& rel : relationships) {
        nlohmann::json entry = {{"mode", "hot-standby"}, {"peers", nlohmann::json::array()}};
        if (!rel.me.empty()) entry["this-server-name"] = rel.me;
        for (std::size_t i = 0; i < rel.peers.size(); ++i) {
            entry["peers"].push_back({{"name", rel.peers[i]},
                                      {"url", "http://127.0.0." + std::to_string(10 + i) + ":8001/"},
                                      {"role", i == 0 ? "primary" : "standby"}});
        }
        list.push_back(entry);
    }
    return {{"Dhcp4",
             {{"valid-lifetime", 4000},
              {"user-context", {{"marker", marker}}},
              {"hooks-libraries",
               {{{"library", "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"}},
                {{"library", "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so"},
                 {"parameters", {{"high-availability", list}}}}}}}}};
}

std::vector<std::string> names_of(const nlohmann::json& document) {
    std::vector<std::string> names;
    for (const auto& hook : document.at("Dhcp4").at("hooks-libraries")) {
        if (!hook.contains("parameters")) continue;
        for (const auto& rel : hook.at("parameters").at("high-availability")) names.push_back(rel.value("this-server-name", "?"));
    }
    return names;
}

const nlohmann::json kNoHa = {{"Dhcp4", {{"valid-lifetime", 4000}}}};

struct MismatchRow {
    const char* name;
    nlohmann::json sot;
    nlohmann::json target;
    const char* expect_in_reason;   ///< nullptr: the same relationships
};

TEST(RelationshipMismatch, Table) {
    const auto pair1 = ha_document({{"server1", {"server1", "server2"}}});
    const auto pair2 = ha_document({{"server2", {"server1", "server2"}}});
    const auto branch1 = ha_document({{"branch1", {"branch1", "hub1"}}});
    const auto hub = ha_document({{"hub1", {"branch1", "hub1"}}, {"hub2", {"branch2", "hub2"}}});
    const auto mutual_a = ha_document({{"a1", {"a1", "b1"}}, {"a2", {"b2", "a2"}}});
    const auto mutual_b = ha_document({{"b2", {"b2", "a2"}}, {"b1", {"a1", "b1"}}});
    const MismatchRow rows[] = {
        {"a plain pair", pair1, pair2, nullptr},
        {"a mutual pair (same peers, other names, other order)", mutual_a, mutual_b, nullptr},
        {"branch onto its hub", branch1, hub,
         "refusing to write the whole config of src onto dst: its HA relationships {branch1+hub1, branch2+hub2} "
         "differ from the source of truth's {branch1+hub1}; replicating only the shared relationship is not "
         "supported yet (SPEC §5)"},
        {"hub onto its branch", hub, branch1,
         "its HA relationships {branch1+hub1} differ from the source of truth's {branch1+hub1, branch2+hub2}"},
        {"a target without HA", pair1, kNoHa, "its HA relationships {} differ from the source of truth's {server1+server2}"},
        {"a relationship renamed", pair1, ha_document({{"server2", {"server1", "server3"}}}),
         "{server1+server3} differ from the source of truth's {server1+server2}"},
        {"neither has HA", kNoHa, kNoHa, nullptr},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        auto reason = relationship_mismatch(row.sot, row.target, "dhcp4", "src", "dst");
        if (!row.expect_in_reason) {
            EXPECT_FALSE(reason) << *reason;
        } else {
            ASSERT_TRUE(reason);
            EXPECT_NE(reason->find(row.expect_in_reason), std::string::npos) << *reason;
        }
    }
}

struct NamesRow {
    const char* name;
    nlohmann::json sot;
    nlohmann::json target_current;
    const char* target;
    std::vector<std::string> expect_names;  ///< in the SoT's order; empty: Conflict
    const char* expect_in_message;
};

TEST(Transform, TargetKeepsItsOwnNameInEveryRelationship) {
    const auto hub = ha_document({{"hub1", {"branch1", "hub1"}}, {"hub2", {"branch2", "hub2"}}});
    const auto branch1 = ha_document({{"branch1", {"branch1", "hub1"}}});
    const NamesRow rows[] = {
        {"a plain pair", ha_document({{"server1", {"server1", "server2"}}}, "new"),
         ha_document({{"server2", {"server1", "server2"}}}), "server2", {"server2"}, ""},
        {"mutual pair: B keeps b1 and b2", ha_document({{"a1", {"a1", "b1"}}, {"a2", {"b2", "a2"}}}, "new"),
         ha_document({{"b1", {"a1", "b1"}}, {"b2", {"b2", "a2"}}}), "b1", {"b1", "b2"}, ""},
        {"mutual pair, target's relationships in the other order",
         ha_document({{"a1", {"a1", "b1"}}, {"a2", {"b2", "a2"}}}, "new"),
         ha_document({{"b2", {"b2", "a2"}}, {"b1", {"a1", "b1"}}}), "b1", {"b1", "b2"}, ""},
        {"target's relationship has no name: the target's own", ha_document({{"server1", {"server1", "server2"}}}, "new"),
         ha_document({{"", {"server1", "server2"}}}), "server2", {"server2"}, ""},
        {"branch onto its hub: refused", branch1, hub, "hub1", {},
         "refusing to write the whole config of branch1 onto hub1: its HA relationships {branch1+hub1, "
         "branch2+hub2} differ from the source of truth's {branch1+hub1}"},
        {"hub onto its branch: refused", hub, branch1, "branch1", {}, "differ from the source of truth's"},
        {"target without HA: refused", ha_document({{"server1", {"server1", "server2"}}}), kNoHa, "server2", {},
         "its HA relationships {} differ"},
        {"target not a peer", ha_document({{"server1", {"server1", "server2"}}}),
         ha_document({{"server9", {"server1", "server2"}}}), "server9", {}, "does not list peer 'server9'"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        auto out = transform_for(row.sot, "dhcp4", row.target, row.target_current, kLocal);
        if (row.expect_names.empty()) {
            ASSERT_FALSE(out) << out->dump();
            EXPECT_EQ(out.error().kind, ErrorKind::Conflict);
            EXPECT_NE(out.error().message.find(row.expect_in_message), std::string::npos) << out.error().message;
        } else {
            ASSERT_TRUE(out) << out.error().describe();
            EXPECT_EQ(names_of(*out), row.expect_names);
            EXPECT_EQ((*out)["Dhcp4"]["user-context"]["marker"], "new") << "everything else is the SoT's";
        }
    }
}

TEST(Transform, AcceptsKea24DocumentsWithTopLevelHash) {
    auto primary = recorded("config-get-hot-standby-primary.json");
    auto standby = recorded("config-get-hot-standby-standby.json");
    primary["hash"] = "4E0B";
    standby["hash"] = "77AC";
    auto out = transform_for(primary, "dhcp4", "server2", standby, kLocal);
    ASSERT_TRUE(out) << out.error().describe();
    EXPECT_FALSE(out->contains("hash"));
    EXPECT_TRUE(same_config(*out, standby)) << nlohmann::json::diff(standby, *out).dump(1);
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

// Issue 32: a patch bomb. Each copy doubles the list; 40 of them would ask for 2^40 values.
TEST(Patch, CopyBombIsRefusedBeforeTheDocumentGrows) {
    const auto doc = nlohmann::json::parse(R"({"Dhcp4": {"valid-lifetime": 4000, "subnet4": [], "user-context": {"a": [1, 2, 3, 4]}}})");
    nlohmann::json patch = nlohmann::json::array();
    for (int i = 0; i < 40; ++i) {
        patch.push_back({{"op", "copy"}, {"from", "/Dhcp4/user-context/a"}, {"path", "/Dhcp4/user-context/a/-"}});
    }
    // The first copies nest one level deeper each: the depth limit or the size limit stops it.
    auto out = apply_patch(doc, patch, PatchKind::JsonPatch, "dhcp4");
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.error().message.find("the patched document would"), std::string::npos) << out.error().message;

    // Side by side (no nesting): the value count stops it.
    nlohmann::json wide = nlohmann::json::array({{{"op", "add"}, {"path", "/Dhcp4/user-context/b"}, {"value", {{"x", nlohmann::json::array({1, 2, 3, 4, 5, 6, 7, 8})}}}}});
    for (int i = 0; i < 40; ++i) {
        wide.push_back({{"op", "copy"}, {"from", "/Dhcp4/user-context/b"}, {"path", "/Dhcp4/user-context/b/x" + std::to_string(i)}});
    }
    auto wide_out = apply_patch(doc, wide, PatchKind::JsonPatch, "dhcp4");
    ASSERT_FALSE(wide_out.ok());
    EXPECT_NE(wide_out.error().message.find("more than " + std::to_string(kea_ha::core::kMaxDocumentValues) + " values"),
              std::string::npos)
        << wide_out.error().message;
}

TEST(Patch, DeepAddOrMoveAndTooManyOperationsAreRefused) {
    const auto doc = nlohmann::json::parse(R"({"Dhcp4": {"valid-lifetime": 4000, "user-context": {}}})");
    nlohmann::json deep = 1;
    for (int i = 0; i < 99; ++i) deep = nlohmann::json::array({deep});
    auto added = apply_patch(doc, nlohmann::json::array({{{"op", "add"}, {"path", "/Dhcp4/user-context/d"}, {"value", deep}}}),
                             PatchKind::JsonPatch, "dhcp4");
    ASSERT_FALSE(added.ok());
    EXPECT_NE(added.error().message.find("deeper than 100 levels"), std::string::npos) << added.error().message;

    nlohmann::json ops = nlohmann::json::array();
    for (std::size_t i = 0; i <= kea_ha::core::kMaxPatchOperations; ++i) {
        ops.push_back({{"op", "test"}, {"path", "/Dhcp4/valid-lifetime"}, {"value", 4000}});
    }
    auto many = apply_patch(doc, ops, PatchKind::JsonPatch, "dhcp4");
    ASSERT_FALSE(many.ok());
    EXPECT_NE(many.error().message.find("at most 10000 operations"), std::string::npos) << many.error().message;
    ops.erase(ops.begin());
    EXPECT_TRUE(apply_patch(doc, ops, PatchKind::JsonPatch, "dhcp4").ok()) << "10000 is allowed";

    EXPECT_EQ(kea_ha::core::document_shape(deep).depth, 100u);
    EXPECT_EQ(kea_ha::core::document_shape(doc).values, 4u);
}

}  // namespace

// --- issue 14 item 2: config diff -----------------------------------------------------------

TEST(ConfigDiff, SameConfigIsAnEmptyPatchWhateverTheHash) {
    const nlohmann::json a = {{"Dhcp4", {{"valid-lifetime", 4000}}}};
    nlohmann::json b = a;
    b["hash"] = "ABC";
    EXPECT_EQ(kea_ha::core::config_diff(a, b), nlohmann::json::array());
    EXPECT_EQ(kea_ha::core::summarize_patch(kea_ha::core::config_diff(a, b)), "");
}

TEST(ConfigDiff, PatchTurnsTheFirstIntoTheSecond) {
    const nlohmann::json from = {{"Dhcp4", {{"valid-lifetime", 4000}, {"subnet4", {{{"id", 1}, {"subnet", "10.0.0.0/24"}}}}}}};
    nlohmann::json to = from;
    to["Dhcp4"]["valid-lifetime"] = 7200;
    to["Dhcp4"]["subnet4"][0]["subnet"] = "10.0.1.0/24";
    to["Dhcp4"]["renew-timer"] = 900;
    const auto patch = kea_ha::core::config_diff(from, to);
    EXPECT_EQ(patch.size(), 3u) << patch.dump();
    EXPECT_EQ(from.patch(patch), to);
    EXPECT_EQ(kea_ha::core::summarize_patch(patch), "/Dhcp4/subnet4/0/subnet, /Dhcp4/valid-lifetime, /Dhcp4/renew-timer");
    EXPECT_EQ(kea_ha::core::summarize_patch(patch, 1), "/Dhcp4/subnet4/0/subnet (+2 more)");
}
