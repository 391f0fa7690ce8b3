// What differs between Kea versions (kea/kea_version.hpp): the version text and the
// capabilities each release gets, as a table that reads like SPEC §11.

#include "kea_ha/kea/kea_version.hpp"

#include <regex>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kea_ha/kea/peer_link.hpp"

// Unit tests do not link kea_ha_test_support; the helper is header-only (KEA_HA_TEST_DATA).
#include "../support/recorded_answers.hpp"

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
        bool control_agent;   // 3.2: none
        bool auth_required;   // 3.2: every socket, from files
        bool waits_for_lfc;   // 3.2: config-set refused while kea-lfc runs
    };
    const Row rows[] = {
        {std::nullopt, false, false, false, ClockSource::HaHeartbeat, false, true, false, false},  // as the oldest
        {KeaVersion{2, 2, 0}, false, false, false, ClockSource::HaHeartbeat, false, true, false, false},
        {KeaVersion{2, 4, 0}, true, true, false, ClockSource::HaHeartbeat, false, true, false, false},
        {KeaVersion{2, 6, 3}, true, true, true, ClockSource::HaHeartbeat, true, true, false, false},  // recorded
        {KeaVersion{3, 0, 4}, true, true, true, ClockSource::StatusGet, true, true, false, false},
        {KeaVersion{3, 2, 0}, true, true, true, ClockSource::StatusGet, true, false, true, true},
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
        EXPECT_EQ(caps.control_agent, row.control_agent);
        EXPECT_EQ(caps.auth_required, row.auth_required);
        EXPECT_EQ(caps.config_set_waits_for_lfc, row.waits_for_lfc);
    }
}

// Kea 3.2.0's answers for what the controller meets, recorded from a real 3.2
// (tests/data/kea-3.2, tests/data/README.md).

/// A recorded 3.2 body as the product reads it, with the HTTP status Kea sent it with.
core::Result<Answer> recorded_32(const std::string& name, unsigned http_status = 200) {
    return parse_answer(http_status, kea_ha::testing::recorded_answer(name, "3.2").dump(), std::nullopt);
}

TEST(KeaVersionTest, Kea32RefusedCredentialsAndCommandsAreBareMaps) {
    // 401: no credentials on the daemon's own socket; 403: config-get on the HA hook's own
    // listener, which takes only HA commands. Both a map, not a list.
    for (const auto& [name, status] : {std::pair{"direct-unauthorized.json", 401u}, {"ha-listener-forbidden.json", 403u}}) {
        SCOPED_TRACE(name);
        const auto body = kea_ha::testing::recorded_answer(name, "3.2");
        ASSERT_TRUE(body.is_object()) << body.dump();
        EXPECT_EQ(body["result"], status);
        const auto answer = recorded_32(name, status);
        ASSERT_FALSE(answer);
        EXPECT_EQ(answer.error().kind, core::ErrorKind::Auth) << answer.error().describe();
    }
}

TEST(KeaVersionTest, Kea32ConfigSetRefusedWhileTheLeaseFileCleanupRuns_IsToBeSentAgain) {
    const auto answer = recorded_32("config-set-lfc-running.json");
    ASSERT_TRUE(answer) << answer.error().describe();
    EXPECT_EQ(answer->result, KeaResult::Error);
    EXPECT_EQ(config_set_refusal(*answer), ConfigSetRefusal::LfcRunning);
    // Any other refusal stays a refusal; the same config-set once kea-lfc is done passes.
    EXPECT_EQ(config_set_refusal(Answer{KeaResult::Error, "Configuration parsing failed", nullptr}),
              ConfigSetRefusal::Refused);
    const auto passed = require_success(recorded_32("config-set.json"), "config-set");
    ASSERT_TRUE(passed) << passed.error().describe();
    EXPECT_TRUE(passed->arguments.contains("hash"));
}

TEST(KeaVersionTest, Kea32ResultFiveIsAPartlyAppliedConfig) {
    // Kea 3.2's CONTROL_RESULT_FATAL_ERROR (src/lib/cc/command_interpreter.h, the text of
    // src/bin/dhcp4/ctrl_dhcp4_srv.cc); it cannot be caused at will on a real Kea.
    const auto answer = parse_answer(
        200, R"([{"result": 5, "text": "Interface configuration update triggered a fatal error: shutting down."}])",
        std::nullopt);
    ASSERT_TRUE(answer) << answer.error().describe();
    EXPECT_EQ(answer->result, KeaResult::PartlyApplied);
    EXPECT_EQ(config_set_refusal(*answer), ConfigSetRefusal::PartlyApplied);
    const auto failed = require_success(answer, "config-set");
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().kind, core::ErrorKind::KeaError);
    EXPECT_NE(failed.error().message.find("could not roll back"), std::string::npos) << failed.error().message;
}

TEST(KeaVersionTest, Kea32DirectCommandsCarryNoServiceAndNoLeadingZeros) {
    // 3.2 takes a command without `service` (the direct transport sends none) and refuses a
    // number with leading zeros on its control channel ("Illegal leading zeros"): the
    // controller's JSON never has any, whatever the config it carries.
    const auto command =
        config_set(std::nullopt, {{"Dhcp4", {{"valid-lifetime", 7}, {"renew-timer", 0}, {"t", {-0.5, 10, 0.07}}}}});
    const auto text = to_wire(command);
    EXPECT_FALSE(nlohmann::json::parse(text).contains("service")) << text;
    EXPECT_FALSE(std::regex_search(text, std::regex(R"([:\[,]-?0[0-9])"))) << text;
    // Recorded: 3.2 answers the same with or without `service` naming the daemon reached.
    const auto without = recorded_32("version-get.json");
    const auto with = recorded_32("version-get-service-dhcp4.json");
    ASSERT_TRUE(without && with);
    EXPECT_EQ(without->text, with->text);
    EXPECT_EQ(parse_kea_version(without->text), (KeaVersion{3, 2, 0}));
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
