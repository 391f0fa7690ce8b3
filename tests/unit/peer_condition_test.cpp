// SPEC §4 first table (classify) and the status-get / ha-heartbeat readers, Kea 2.2 … 3.x.

#include "kea_ha/core/peer_condition.hpp"

#include "kea_ha/kea/command.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kea_ha::core {
namespace {

using nlohmann::json;
using namespace std::chrono;

// ------------------------------------------------------------ typed rows

/// What a poll saw, built like the SPEC table's "when" column.
struct Seen {
    PeerObservation observation;
    std::string text;
};

Seen no_answer(ErrorKind kind, std::string message) {
    Seen seen;
    seen.observation.error = Error{kind, std::move(message), "server1 (http://127.0.77.1:8000/)"};
    seen.text = "no answer: " + std::string(to_string(kind));
    return seen;
}

Seen ha_state(std::string state) {
    Seen seen;
    seen.observation.reached = true;
    seen.observation.ha_state = state;
    seen.text = "state " + state;
    return seen;
}

Seen disabled(std::string state) {
    Seen seen = ha_state(std::move(state));
    seen.observation.dhcp_enabled = false;
    seen.text += ", dhcp disabled";
    return seen;
}

Seen answers_without_ha() {
    Seen seen;
    seen.observation.reached = true;
    seen.text = "answers, no HA state";
    return seen;
}

struct Expect {
    PeerCondition condition;
    bool unknown_state = false;
};

struct ClassifyRow {
    PeerRole role;
    Seen seen;
    Expect expect;
};

TEST(Classify, SpecTable_HaCluster) {
    const ClassifyRow rows[] = {
        // unreachable: no HTTP answer in time, refused, TLS/auth, daemon offline behind the CA
        {PeerRole::Primary, no_answer(ErrorKind::Timeout, "request: timed out after 5 s"), {PeerCondition::Unreachable}},
        {PeerRole::Primary, no_answer(ErrorKind::Refused, "connect: connection refused"), {PeerCondition::Unreachable}},
        {PeerRole::Standby, no_answer(ErrorKind::Tls, "handshake: certificate verify failed"), {PeerCondition::Unreachable}},
        {PeerRole::Standby, no_answer(ErrorKind::Auth, "HTTP 401"), {PeerCondition::Unreachable}},
        {PeerRole::Standby, no_answer(ErrorKind::DaemonOffline, "the server is likely to be offline"),
         {PeerCondition::Unreachable}},
        // disabled: the daemon reports its DHCP service disabled
        {PeerRole::Primary, disabled("hot-standby"), {PeerCondition::Disabled}},
        {PeerRole::Secondary, disabled("load-balancing"), {PeerCondition::Disabled}},
        // transitional: waiting, syncing, ready, or a state this version does not know
        {PeerRole::Primary, ha_state("waiting"), {PeerCondition::Transitional}},
        {PeerRole::Standby, ha_state("syncing"), {PeerCondition::Transitional}},
        {PeerRole::Secondary, ha_state("ready"), {PeerCondition::Transitional}},
        {PeerRole::Primary, ha_state("hyper-balancing"), {PeerCondition::Transitional, true}},
        {PeerRole::Primary, ha_state("unavailable"), {PeerCondition::Transitional, true}},
        {PeerRole::Primary, answers_without_ha(), {PeerCondition::Transitional, true}},
        // maintenance / terminated
        {PeerRole::Primary, ha_state("in-maintenance"), {PeerCondition::Maintenance}},
        {PeerRole::Standby, ha_state("terminated"), {PeerCondition::Terminated}},
        // active
        {PeerRole::Primary, ha_state("load-balancing"), {PeerCondition::Active}},
        {PeerRole::Primary, ha_state("hot-standby"), {PeerCondition::Active}},
        {PeerRole::Standby, ha_state("hot-standby"), {PeerCondition::Active}},
        {PeerRole::Standby, ha_state("partner-down"), {PeerCondition::Active}},
        {PeerRole::Secondary, ha_state("partner-in-maintenance"), {PeerCondition::Active}},
        {PeerRole::Primary, ha_state("passive-backup"), {PeerCondition::Active}},
        {PeerRole::Secondary, ha_state("communication-recovery"), {PeerCondition::Active}},
        // `backup` only for a backup peer
        {PeerRole::Backup, ha_state("backup"), {PeerCondition::Active}},
        {PeerRole::Primary, ha_state("backup"), {PeerCondition::Transitional, true}},
        {PeerRole::Backup, ha_state("waiting"), {PeerCondition::Transitional}},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(std::string(to_string(row.role)) + ", " + row.seen.text);
        const auto got = classify(row.role, false, row.seen.observation);
        EXPECT_EQ(to_string(row.expect.condition), to_string(got.condition)) << got.reason;
        EXPECT_EQ(row.expect.unknown_state, got.unknown_state);
        EXPECT_FALSE(got.reason.empty());
    }
}

TEST(Classify, SpecTable_Standalone_AnswersAndEnabledIsActive) {
    Seen kea22 = answers_without_ha();           // 2.2: no dhcp-state at all
    Seen kea30 = answers_without_ha();
    kea30.observation.dhcp_enabled = true;       // 3.0: dhcp-state says enabled
    Seen off = answers_without_ha();
    off.observation.dhcp_enabled = false;
    const ClassifyRow rows[] = {
        {PeerRole::Primary, kea22, {PeerCondition::Active}},
        {PeerRole::Primary, kea30, {PeerCondition::Active}},
        {PeerRole::Primary, off, {PeerCondition::Disabled}},
        {PeerRole::Primary, no_answer(ErrorKind::Refused, "connect: connection refused"), {PeerCondition::Unreachable}},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.seen.text);
        const auto got = classify(row.role, true, row.seen.observation);
        EXPECT_EQ(to_string(row.expect.condition), to_string(got.condition)) << got.reason;
        EXPECT_FALSE(got.unknown_state);
    }
}

TEST(Classify, Reasons_NameTheErrorOrTheState) {
    EXPECT_EQ("server1 (http://127.0.77.1:8000/): connect: connection refused",
              classify(PeerRole::Primary, false, no_answer(ErrorKind::Refused, "connect: connection refused").observation)
                  .reason);
    EXPECT_EQ("no answer", classify(PeerRole::Primary, false, PeerObservation{}).reason);
    EXPECT_EQ("HA state 'waiting'", classify(PeerRole::Primary, false, ha_state("waiting").observation).reason);
    EXPECT_EQ("unknown HA state 'hyper-balancing'",
              classify(PeerRole::Primary, false, ha_state("hyper-balancing").observation).reason);
    EXPECT_EQ("HA state 'terminated': serving, but HA is off",
              classify(PeerRole::Primary, false, ha_state("terminated").observation).reason);
}

TEST(PeerCondition, NamesAndUsability) {
    struct Row {
        PeerCondition condition;
        const char* name;
        bool usable;
    };
    const Row rows[] = {
        {PeerCondition::Unreachable, "unreachable", false}, {PeerCondition::Disabled, "disabled", false},
        {PeerCondition::Transitional, "transitional", false}, {PeerCondition::Maintenance, "maintenance", false},
        {PeerCondition::Terminated, "terminated", true},     {PeerCondition::Active, "active", true},
    };
    for (const auto& row : rows) {
        EXPECT_EQ(row.name, to_string(row.condition));
        EXPECT_EQ(row.usable, is_usable(row.condition)) << row.name;
    }
}

// ------------------------------------------------------------ status-get

// Kea 2.2.0 as recorded (kea-2.2-facts.md): no server-name, system-time, clock-skew, dhcp-state.
const char* kStatusGet22 = R"({"high-availability":[{"ha-mode":"hot-standby","ha-servers":{
  "local":{"role":"primary","scopes":["server1"],"state":"hot-standby"},
  "remote":{"age":0,"analyzed-packets":0,"communication-interrupted":false,"connecting-clients":0,"in-touch":true,
            "last-scopes":[],"last-state":"ready","role":"standby","unacked-clients":0,"unacked-clients-left":0}}}],
  "multi-threading-enabled":false,"pid":4242,"reload":4,"sockets":{"status":"ready"},"uptime":4})";

// Kea 3.0 (API status-get.json): dhcp-state, server-name, system-time, clock-skew.
const char* kStatusGet30 = R"({"dhcp-state":{"disabled-by-db-connection":[],"disabled-by-local-command":[],
  "disabled-by-remote-command":[],"disabled-by-user":false,"globally-disabled":false},
  "high-availability":[{"ha-mode":"hot-standby","ha-servers":{
    "local":{"role":"primary","scopes":["server1"],"server-name":"server1","state":"hot-standby",
             "system-time":"2026-11-24 20:06:05"},
    "remote":{"age":1,"analyzed-packets":0,"clock-skew":-3,"communication-interrupted":false,"connecting-clients":0,
              "in-touch":true,"last-scopes":[],"last-state":"hot-standby","role":"standby","server-name":"server2",
              "system-time":"2026-11-24 20:06:02","unacked-clients":0,"unacked-clients-left":0}}}],
  "multi-threading-enabled":true,"pid":4242,"reload":4,"sockets":{"status":"ready"},"uptime":4})";

// Kea 2.6 hub: one entry per relationship.
const char* kStatusGetHub = R"({"high-availability":[
  {"ha-mode":"hot-standby","ha-servers":{"local":{"role":"standby","server-name":"hub1","state":"hot-standby"},
                                         "remote":{"role":"primary","server-name":"branch1","last-state":"hot-standby"}}},
  {"ha-mode":"hot-standby","ha-servers":{"local":{"role":"standby","server-name":"hub2","state":"partner-down"},
                                         "remote":{"role":"primary","server-name":"branch2","last-state":"unavailable"}}}]})";

SystemTime at(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
    return time_point_cast<SystemTime::duration>(sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} +
                                                 seconds{ss});
}

TEST(ReadStatusGet, Kea22_GivesTheLocalStateAndNothingElse) {
    PeerObservation observation;
    read_status_get(json::parse(kStatusGet22), observation);
    EXPECT_EQ("hot-standby", observation.ha_state);
    EXPECT_FALSE(observation.dhcp_enabled);
    EXPECT_FALSE(observation.peer_time);
    EXPECT_FALSE(observation.reported_clock_skew_s);
}

TEST(ReadStatusGet, Kea30_AddsDhcpStateSystemTimeAndClockSkew) {
    PeerObservation observation;
    read_status_get(json::parse(kStatusGet30), observation, "server1");
    EXPECT_EQ("hot-standby", observation.ha_state);
    EXPECT_EQ(true, observation.dhcp_enabled);
    // `system-time` is the clock at the last skew measurement, not now (SPEC §4): a stamp.
    EXPECT_EQ(at(2026, 11, 24, 20, 6, 5), observation.stamped_time);
    EXPECT_FALSE(observation.peer_time);
    EXPECT_EQ(-3.0, observation.reported_clock_skew_s);
    ASSERT_TRUE(observation.partner);
    EXPECT_EQ(-3.0, observation.partner->clock_skew_s);
}

TEST(ReadStatusGet, HubAndSpoke_PicksTheRelationshipByServerName) {
    struct Row {
        std::string server, partner, expect;
    };
    const Row rows[] = {
        {"hub2", "", "partner-down"},        // local server-name
        {"hub1", "branch1", "hot-standby"},  // both
        {"", "branch2", "partner-down"},     // remote server-name
        {"hub9", "", "hot-standby"},         // no match: the first
        {"", "", "hot-standby"},             // Kea < 2.6 has one entry and no names
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.server + "/" + row.partner);
        PeerObservation observation;
        read_status_get(json::parse(kStatusGetHub), observation, row.server, row.partner);
        EXPECT_EQ(row.expect, observation.ha_state);
    }
}

TEST(ReadStatusGet, DhcpState_OnlyTheUserOrTheDatabaseDisableTheService) {
    struct Row {
        const char* name;
        json state;
        std::optional<bool> expect;
    };
    const Row rows[] = {
        {"enabled", json::parse(R"({"disabled-by-user":false,"disabled-by-db-connection":[],"globally-disabled":false})"), true},
        {"dhcp-disable by a user", json::parse(R"({"disabled-by-user":true,"globally-disabled":true})"), false},
        {"lost database", json::parse(R"({"disabled-by-user":false,"disabled-by-db-connection":["mysql"],"globally-disabled":true})"), false},
        {"HA syncing disabled it", json::parse(R"({"disabled-by-user":false,"disabled-by-db-connection":[],
            "disabled-by-local-command":["HA_LOCAL_COMMAND"],"disabled-by-remote-command":[],"globally-disabled":true})"), true},
        {"partner's sync disabled it", json::parse(R"({"disabled-by-user":false,"disabled-by-remote-command":[1],"globally-disabled":true})"), true},
        {"only the summary", json::parse(R"({"globally-disabled":true})"), false},
        {"not a map", json("disabled"), std::nullopt},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        PeerObservation observation;
        read_status_get(json{{"dhcp-state", row.state}}, observation);
        EXPECT_EQ(row.expect, observation.dhcp_enabled);
    }
}

TEST(ReadStatusGet, OddAnswers_LeaveTheObservationAlone) {
    for (const char* text : {R"(null)", R"([])", R"({"high-availability":[]})", R"({"high-availability":{}})",
                             R"({"high-availability":[{"ha-servers":{"local":{"state":7}}}]})",
                             R"({"high-availability":[{"ha-servers":{"local":{"state":""}}}]})",
                             R"({"high-availability":[{"ha-servers":{"local":{"system-time":"yesterday"}}}]})"}) {
        SCOPED_TRACE(text);
        PeerObservation observation;
        observation.ha_state = "hot-standby";
        read_status_get(json::parse(text), observation);
        EXPECT_EQ("hot-standby", observation.ha_state);
        EXPECT_FALSE(observation.peer_time);
    }
}

// ------------------------------------------------------------ ha-heartbeat

TEST(ReadHaHeartbeat, Kea22_GivesTheStateAndTheClock) {
    PeerObservation observation;
    read_ha_heartbeat(json::parse(R"({"date-time":"Tue, 24 Nov 2026 20:06:05 GMT","scopes":["server1"],
                                      "state":"load-balancing","unsent-update-count":0})"),
                      observation);
    EXPECT_EQ("load-balancing", observation.ha_state);
    EXPECT_EQ(at(2026, 11, 24, 20, 6, 5), observation.peer_time);
}

TEST(ReadHaHeartbeat, UnreadableDate_KeepsTheStatusGetTime) {
    PeerObservation observation;
    observation.peer_time = at(2026, 1, 1, 0, 0, 0);
    read_ha_heartbeat(json::parse(R"({"date-time":"24/11/2026 20:06","state":"hot-standby"})"), observation);
    EXPECT_EQ("hot-standby", observation.ha_state);
    EXPECT_EQ(at(2026, 1, 1, 0, 0, 0), observation.peer_time);
}

// ------------------------------------------------------------ the polls' answer filter

/// What the readers make of `arguments`, read from a whole answer parsed with `keep`.
PeerObservation read_answer(const json& arguments, kea::AnswerKeys keep, bool heartbeat,
                            std::string_view server = {}, std::string_view partner = {}) {
    const std::string body = json::array({{{"result", 0}, {"text", "ok"}, {"arguments", arguments}}}).dump();
    auto answer = kea::parse_answer(200, body, std::string("dhcp4"), keep);
    EXPECT_TRUE(answer) << answer.error().describe();
    PeerObservation observation;
    if (!answer) return observation;
    EXPECT_EQ("ok", answer->text);
    if (heartbeat) {
        read_ha_heartbeat(answer->arguments, observation);
    } else {
        read_status_get(answer->arguments, observation, server, partner);
    }
    return observation;
}

void expect_same(const PeerObservation& whole, const PeerObservation& filtered) {
    EXPECT_EQ(whole.ha_state, filtered.ha_state);
    EXPECT_EQ(whole.dhcp_enabled, filtered.dhcp_enabled);
    EXPECT_EQ(whole.peer_time, filtered.peer_time);
    EXPECT_EQ(whole.stamped_time, filtered.stamped_time);
    EXPECT_EQ(whole.reported_clock_skew_s, filtered.reported_clock_skew_s);
    EXPECT_EQ(whole.partner, filtered.partner);
}

TEST(PollAnswerKeys, TheReadersSeeTheSameWithAndWithoutTheFilter) {
    std::vector<json> status_gets = {json::parse(kStatusGet22), json::parse(kStatusGet30),
                                     json::parse(kStatusGetHub), json(nullptr), json::array()};
    for (const char* text : {R"({"globally-disabled":true})", R"({"disabled-by-user":true,"globally-disabled":true})",
                             R"({"disabled-by-user":false,"disabled-by-db-connection":["mysql"]})",
                             R"({"disabled-by-user":false,"disabled-by-remote-command":[1],"globally-disabled":true})"}) {
        status_gets.push_back(json{{"dhcp-state", json::parse(text)}});
    }
    const std::pair<std::string, std::string> names[] = {{"", ""}, {"server1", ""}, {"hub2", ""}, {"", "branch1"}};
    for (const auto& arguments : status_gets) {
        for (const auto& [server, partner] : names) {
            SCOPED_TRACE(arguments.dump() + " as " + server + "/" + partner);
            const auto whole = read_answer(arguments, {}, false, server, partner);
            const auto filtered = read_answer(arguments, poll_answer_keys(), false, server, partner);
            expect_same(whole, filtered);
        }
    }
    // The samples do exercise every reader path: a state, a clock, a skew, the DHCP service.
    EXPECT_TRUE(read_answer(json::parse(kStatusGet30), poll_answer_keys(), false, "server1").reported_clock_skew_s);
    EXPECT_TRUE(read_answer(json::parse(kStatusGet30), poll_answer_keys(), false, "server1").stamped_time);
    EXPECT_TRUE(read_answer(json::parse(kStatusGet30), poll_answer_keys(), false, "server1").partner);
    EXPECT_EQ(true, read_answer(json::parse(kStatusGet30), poll_answer_keys(), false, "server1").dhcp_enabled);

    const json heartbeat = json::parse(R"({"date-time":"Tue, 24 Nov 2026 20:06:05 GMT","scopes":["server1"],
                                           "state":"load-balancing","unsent-update-count":0})");
    const auto filtered = read_answer(heartbeat, poll_answer_keys(), true);
    expect_same(read_answer(heartbeat, {}, true), filtered);
    EXPECT_EQ("load-balancing", filtered.ha_state);
    EXPECT_EQ(at(2026, 11, 24, 20, 6, 5), filtered.peer_time);
}

// ------------------------------------------------------------ dates, without locale

TEST(ParseHttpDate, Rows) {
    struct Row {
        const char* text;
        std::optional<SystemTime> expect;
    };
    const Row rows[] = {
        {"Tue, 24 Nov 2026 20:06:05 GMT", at(2026, 11, 24, 20, 6, 5)},
        {"Thu, 07 Nov 2019 08:49:37 GMT", at(2019, 11, 7, 8, 49, 37)},
        {"Thu, 01 Jan 1970 00:00:00 GMT", SystemTime{}},
        {"Thu, 29 Feb 2024 23:59:59 GMT", at(2024, 2, 29, 23, 59, 59)},
        {"Wed, 31 Dec 2036 23:59:59 GMT", at(2036, 12, 31, 23, 59, 59)},  // past 2038 is fine too
        {"Sun, 01 Jan 2040 00:00:00 GMT", at(2040, 1, 1, 0, 0, 0)},
        {"Sun, 29 Feb 2026 00:00:00 GMT", std::nullopt},  // not a leap year
        {"Tue, 31 Nov 2026 00:00:00 GMT", std::nullopt},
        {"Tue, 24 Nov 2026 24:00:00 GMT", std::nullopt},
        {"Tue, 24 Nov 2026 20:61:00 GMT", std::nullopt},
        {"Tue, 24 Abc 2026 20:06:05 GMT", std::nullopt},
        {"Tue, 24 nov 2026 20:06:05 GMT", std::nullopt},
        {"Tue, 24 Nov 2026 20:06:05 UTC", std::nullopt},
        {"Tuesday, 24-Nov-26 20:06:05 GMT", std::nullopt},  // RFC 850: Kea never sends it
        {"Tue Nov 24 20:06:05 2026", std::nullopt},         // asctime
        {"Tue, 24 Nov 2026 20:06:05 GMT ", std::nullopt},
        {"", std::nullopt},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.text);
        EXPECT_EQ(row.expect, parse_http_date(row.text));
    }
}

TEST(ParseKeaSystemTime, Rows) {
    struct Row {
        const char* text;
        std::optional<SystemTime> expect;
    };
    const Row rows[] = {
        {"2026-11-24 20:06:05", at(2026, 11, 24, 20, 6, 5)},
        {"2026-11-24 20:06:05.123456", at(2026, 11, 24, 20, 6, 5)},
        {"2026-11-24T20:06:05Z", at(2026, 11, 24, 20, 6, 5)},
        {"2026-13-01 00:00:00", std::nullopt},
        {"2026-11-24 20:06", std::nullopt},
        {"2026-11-24 20:06:05 +02", std::nullopt},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.text);
        EXPECT_EQ(row.expect, parse_kea_system_time(row.text));
    }
}

}  // namespace
}  // namespace kea_ha::core
