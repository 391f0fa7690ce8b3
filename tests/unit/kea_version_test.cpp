// What differs between Kea versions (kea/kea_version.hpp): the version text and the
// capabilities each release gets, as a table that reads like SPEC §11.

#include "kea_ha/kea/kea_version.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kea_ha/kea/peer_link.hpp"

namespace kea_ha::kea {
namespace {

TEST(KeaVersionTest, ParsesWhatVersionGetAndDashVPrint) {
    struct Row {
        const char* text;
        std::optional<KeaVersion> expect;
    };
    const Row rows[] = {
        {"2.2.0", KeaVersion{2, 2, 0}},
        {"2.6.3", KeaVersion{2, 6, 3}},
        {"3.0.4 (3.0.4 (tarball))", KeaVersion{3, 0, 4}},
        {"2.6.3 (tarball)", KeaVersion{2, 6, 3}},
        {" 2.4.1-git", KeaVersion{2, 4, 1}},
        {"3.2", KeaVersion{3, 2, 0}},
        {"", std::nullopt},
        {"kea", std::nullopt},
        {"2", std::nullopt},
        {"2.", std::nullopt},
        {"2.6x", std::nullopt},
        {"-1.2.3", std::nullopt},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.text);
        EXPECT_EQ(parse_kea_version(row.text), row.expect);
    }
    EXPECT_EQ(to_string(KeaVersion{3, 0, 4}), "3.0.4");
}

TEST(KeaVersionTest, CapabilitiesFollowSpecSection11) {
    struct Row {
        std::optional<KeaVersion> version;
        bool config_hash;
        bool mt_default;
        bool relationships;
        ClockSource clock;
        bool dhcp_state;
    };
    const Row rows[] = {
        {std::nullopt, false, false, false, ClockSource::HaHeartbeat, false},  // unknown: as the oldest
        {KeaVersion{2, 2, 0}, false, false, false, ClockSource::HaHeartbeat, false},
        {KeaVersion{2, 4, 0}, true, true, false, ClockSource::HaHeartbeat, false},
        {KeaVersion{2, 6, 3}, true, true, true, ClockSource::HaHeartbeat, true},  // recorded: dhcp-state
        {KeaVersion{3, 0, 4}, true, true, true, ClockSource::StatusGet, true},
        {KeaVersion{3, 2, 0}, true, true, true, ClockSource::StatusGet, true},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.version ? to_string(*row.version) : "unknown");
        const auto caps = capabilities_of(row.version);
        EXPECT_EQ(caps.version, row.version);
        EXPECT_EQ(caps.config_hash, row.config_hash);
        EXPECT_EQ(caps.ha_multi_threading_default, row.mt_default);
        EXPECT_EQ(caps.several_relationships, row.relationships);
        EXPECT_EQ(caps.clock_source, row.clock);
        EXPECT_EQ(caps.status_dhcp_state, row.dhcp_state);
    }
}

TEST(PeerLinkTransportTest, ConfigGetWithoutServiceTellsAgentFromDirect) {
    auto agent = transport_from_config_get(nlohmann::json::parse(R"({"Control-agent": {"http-port": 8000}})"), "dhcp4");
    ASSERT_TRUE(agent) << agent.error().describe();
    EXPECT_EQ(*agent, Transport::Agent);
    auto direct = transport_from_config_get(nlohmann::json::parse(R"({"Dhcp4": {}, "hash": "AB"})"), "dhcp4");
    ASSERT_TRUE(direct) << direct.error().describe();
    EXPECT_EQ(*direct, Transport::Direct);
    auto wrong = transport_from_config_get(nlohmann::json::parse(R"({"Dhcp6": {}})"), "dhcp4");
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().kind, core::ErrorKind::Invalid);
    EXPECT_NE(wrong.error().message.find("Dhcp6"), std::string::npos) << wrong.error().message;
    EXPECT_FALSE(transport_from_config_get(nlohmann::json::parse(R"({"foo": 1})"), "dhcp4"));
    EXPECT_FALSE(transport_from_config_get(nullptr, "dhcp4"));
    EXPECT_EQ(parse_transport("direct"), Transport::Direct);
    EXPECT_EQ(parse_transport("agent"), Transport::Agent);
    EXPECT_EQ(parse_transport("ca"), std::nullopt);
    EXPECT_EQ(to_string(Transport::Direct), "direct");
}

}  // namespace
}  // namespace kea_ha::kea
