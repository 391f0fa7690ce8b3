// SPEC §3 keaPeerLocalParameters / §5: which top-level keys of Dhcp4 and Dhcp6 are per server.
// The code's table against docs/replication.md's, the default against the table, and the
// transform on configs recorded from real Kea pairs of every lab version, DHCPv4 and DHCPv6
// (each DHCPv6 peer with its own explicit server-id, as operators set them).
#include "kea_ha/core/config_keys.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kea_ha/core/preferences.hpp"
#include "kea_ha/core/replication.hpp"
#include "../support/recorded_answers.hpp"

namespace {

using kea_ha::core::KeyHome;
using kea_ha::core::KeyServices;
using kea_ha::core::per_server_keys;
using kea_ha::core::same_config;
using kea_ha::core::service_config_keys;
using kea_ha::core::transform_for;
using kea_ha::testing::recorded_arguments;

std::string docs_path() { return std::string(KEA_HA_TEST_DATA) + "/../../docs/replication.md"; }

std::string services_text(KeyServices services) {
    switch (services) {
        case KeyServices::Both: return "Dhcp4, Dhcp6";
        case KeyServices::Dhcp4: return "Dhcp4";
        case KeyServices::Dhcp6: return "Dhcp6";
    }
    return "?";
}

TEST(ServiceConfigKeys, SortedUniqueAndEachWithAReason) {
    std::string previous;
    for (const auto& key : service_config_keys()) {
        EXPECT_LT(previous, key.name) << "not sorted or repeated";
        EXPECT_FALSE(key.reason.empty()) << key.name;
        EXPECT_FALSE(key.since.empty()) << key.name;
        previous = std::string(key.name);
    }
    EXPECT_EQ(83u, service_config_keys().size());  // Kea 2.2 … 3.2, both services (docs/replication.md)
}

TEST(ServiceConfigKeys, DocsTableIsTheCodesTable) {
    std::ifstream in(docs_path());
    ASSERT_TRUE(in) << "cannot read " << docs_path();
    // | `key` | Dhcp4, Dhcp6 | 2.2 | **per server** | why |
    const std::regex row(R"(^\| `([a-z0-9-]+)` \| (Dhcp4, Dhcp6|Dhcp4|Dhcp6) \| ([0-9.]+) \| (\*\*per server\*\*|replicated) \| (.+) \|$)");
    std::vector<std::string> documented;
    std::string line;
    while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_match(line, m, row)) continue;
        documented.push_back(m[1]);
        const auto found = std::find_if(service_config_keys().begin(), service_config_keys().end(),
                                        [&](const auto& key) { return key.name == m[1].str(); });
        ASSERT_NE(found, service_config_keys().end()) << "docs name a key the code lacks: " << m[1];
        EXPECT_EQ(services_text(found->services), m[2].str()) << m[1];
        EXPECT_EQ(found->since, m[3].str()) << m[1];
        EXPECT_EQ(found->home == KeyHome::PerServer, m[4].str() == "**per server**") << m[1];
        EXPECT_EQ(found->reason, m[5].str()) << m[1];
    }
    std::vector<std::string> coded;
    for (const auto& key : service_config_keys()) coded.emplace_back(key.name);
    EXPECT_EQ(coded, documented) << "docs/replication.md's key table and src/core/config_keys.cpp differ";
}

TEST(ServiceConfigKeys, DefaultPeerLocalParametersAreEveryPerServerKey) {
    const std::vector<std::string> expected = {"config-control", "control-socket",  "control-sockets",
                                               "data-directory", "dhcp-ddns",       "dhcp4o6-port",
                                               "hosts-database", "hosts-databases", "interfaces-config",
                                               "lease-database", "loggers",         "server-id",
                                               "server-tag"};
    EXPECT_EQ(expected, per_server_keys());
    EXPECT_EQ(expected, kea_ha::core::Preferences{}.peer_local_parameters);
    for (const auto always : kea_ha::core::kAlwaysPerServer) {
        EXPECT_NE(std::find(expected.begin(), expected.end(), always), expected.end()) << always;
    }
}

/// One recorded hot-standby pair: server1 (primary) and server2 (standby), as real Kea gave them.
struct RecordedPair {
    std::string version;
    std::string service;
    std::string primary_file, standby_file;
};

std::string key_of(const RecordedPair& pair) { return pair.service == "dhcp6" ? "Dhcp6" : "Dhcp4"; }

/// Every recorded pair of `service` ("": both services), every version that has one.
std::vector<RecordedPair> recorded_pairs(const std::string& service = "") {
    std::vector<RecordedPair> out;
    for (const std::string version : {"2.2", "2.6", "3.0", "3.2"}) {
        const auto dir = std::string(KEA_HA_TEST_DATA) + "/kea-" + version + "/";
        if (!std::filesystem::exists(dir)) continue;
        if (service != "dhcp6") {
            out.push_back({version, "dhcp4", "config-get-hot-standby-primary.json",
                           "config-get-hot-standby-standby.json"});
        }
        if (service != "dhcp4" && std::filesystem::exists(dir + "config-get-dhcp6-hot-standby-primary.json")) {
            out.push_back({version, "dhcp6", "config-get-dhcp6-hot-standby-primary.json",
                           "config-get-dhcp6-hot-standby-standby.json"});
        }
    }
    return out;
}

class EveryRecordedPair : public ::testing::TestWithParam<RecordedPair> {};

TEST_P(EveryRecordedPair, EachPerServerKeyStaysTheTargetsOwn_EveryOtherKeyIsTheSots) {
    const auto& pair = GetParam();
    const auto key = key_of(pair);
    auto primary = recorded_arguments(pair.primary_file, pair.version);
    const auto standby = recorded_arguments(pair.standby_file, pair.version);
    // A change on the SoT: every replicated key it has gets a value the standby does not have.
    primary[key]["valid-lifetime"] = 7321;
    for (const std::string direction : {"server2", "server1"}) {
        const auto& sot = direction == "server2" ? primary : standby;
        const auto& target = direction == "server2" ? standby : primary;
        const auto out = transform_for(sot, pair.service, direction, target, per_server_keys());
        ASSERT_TRUE(out) << out.error().describe();
        for (const auto& entry : service_config_keys()) {
            const std::string name(entry.name);
            const auto& theirs = target[key];
            const auto& ours = (*out)[key];
            if (entry.home == KeyHome::PerServer) {
                EXPECT_EQ(theirs.contains(name), ours.contains(name)) << name << " to " << direction;
                if (theirs.contains(name)) {
                    EXPECT_EQ(theirs[name], ours[name]) << name << " to " << direction;
                }
            } else if (sot[key].contains(name) && name != "hooks-libraries") {
                EXPECT_EQ(sot[key][name], ours[name]) << name << " to " << direction;
            }
        }
    }
    // The standby's config, given back to it, is its own (nothing per server moved).
    const auto back = transform_for(standby, pair.service, "server2", standby, per_server_keys());
    ASSERT_TRUE(back);
    EXPECT_TRUE(same_config(*back, standby));
}

class EveryRecordedDhcp6Pair : public ::testing::TestWithParam<RecordedPair> {};

TEST_P(EveryRecordedDhcp6Pair, ServerIdIsKeptEvenWhenPeerLocalParametersLeaveItOut) {
    const auto& pair = GetParam();
    const auto primary = recorded_arguments(pair.primary_file, pair.version);
    const auto standby = recorded_arguments(pair.standby_file, pair.version);
    ASSERT_TRUE(primary["Dhcp6"].contains("server-id")) << "the recording has each peer's own DUID";
    ASSERT_NE(primary["Dhcp6"]["server-id"], standby["Dhcp6"]["server-id"]);
    // The issue's case: an operator's keaPeerLocalParameters without server-id.
    const auto out = transform_for(primary, "dhcp6", "server2", standby, {"loggers"});
    ASSERT_TRUE(out) << out.error().describe();
    EXPECT_EQ(standby["Dhcp6"]["server-id"], (*out)["Dhcp6"]["server-id"]);
    // A target that has no server-id of its own (a generated DUID in its data directory) gets
    // none: never the SoT's.
    auto generated = standby;
    generated["Dhcp6"].erase("server-id");
    const auto bare = transform_for(primary, "dhcp6", "server2", generated, {});
    ASSERT_TRUE(bare) << bare.error().describe();
    EXPECT_FALSE((*bare)["Dhcp6"].contains("server-id"));
}

std::string pair_name(const ::testing::TestParamInfo<RecordedPair>& info) {
    std::string name = "kea_" + info.param.version + "_" + info.param.service;
    std::replace(name.begin(), name.end(), '.', '_');
    return name;
}

INSTANTIATE_TEST_SUITE_P(Kea, EveryRecordedPair, ::testing::ValuesIn(recorded_pairs()), pair_name);
INSTANTIATE_TEST_SUITE_P(Kea, EveryRecordedDhcp6Pair, ::testing::ValuesIn(recorded_pairs("dhcp6")), pair_name);

TEST(ServiceConfigKeys, EveryLabVersionHasARecordedDhcp6Pair) {
    std::set<std::string> versions;
    for (const auto& pair : recorded_pairs("dhcp6")) versions.insert(pair.version);
    for (const std::string version : {"2.2", "2.6", "3.0", "3.2"}) EXPECT_TRUE(versions.count(version)) << version;
}

}  // namespace
