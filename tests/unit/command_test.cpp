// Kea commands on the wire, answers as recorded from Kea 2.2 (shared notes), endpoints.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <random>

#include "kea_ha/core/json_depth.hpp"
#include "kea_ha/kea/command.hpp"
#include "kea_ha/kea/control_agent.hpp"

namespace {

using kea_ha::core::ErrorKind;
using nlohmann::json;
namespace kea = kea_ha::kea;

const std::optional<std::string> dhcp4 = std::string("dhcp4");
const std::optional<std::string> dhcp6 = std::string("dhcp6");

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// ---------------------------------------------------------------- to_wire

json wire(const kea::Command& command) { return json::parse(kea::to_wire(command)); }

TEST(ToWire, VersionGetWithService) {
    auto w = wire(kea::version_get(dhcp4));
    EXPECT_EQ(w["command"], "version-get");
    EXPECT_EQ(w["service"], json::array({"dhcp4"}));
    EXPECT_FALSE(w.contains("arguments"));
    EXPECT_EQ(w.size(), 2u);
}

TEST(ToWire, VersionGetWithoutServiceIsForTheCa) {
    auto w = wire(kea::version_get(std::nullopt));
    EXPECT_EQ(w["command"], "version-get");
    EXPECT_FALSE(w.contains("service"));
    EXPECT_FALSE(w.contains("arguments"));
    EXPECT_EQ(w.size(), 1u);
}

TEST(ToWire, StatusGet) {
    auto w = wire(kea::status_get(dhcp6));
    EXPECT_EQ(w["command"], "status-get");
    EXPECT_EQ(w["service"], json::array({"dhcp6"}));
    EXPECT_FALSE(w.contains("arguments"));
    auto bare = wire(kea::status_get(std::nullopt));
    EXPECT_EQ(bare, json({{"command", "status-get"}}));
}

TEST(ToWire, HaHeartbeat) {
    auto w = wire(kea::ha_heartbeat(dhcp4));
    EXPECT_EQ(w["command"], "ha-heartbeat");
    EXPECT_EQ(w["service"], json::array({"dhcp4"}));
    EXPECT_FALSE(w.contains("arguments"));
    EXPECT_EQ(wire(kea::ha_heartbeat(std::nullopt)), json({{"command", "ha-heartbeat"}}));
}

TEST(ToWire, ConfigGet) {
    auto w = wire(kea::config_get(dhcp4));
    EXPECT_EQ(w["command"], "config-get");
    EXPECT_EQ(w["service"], json::array({"dhcp4"}));
    EXPECT_FALSE(w.contains("arguments"));
    EXPECT_EQ(wire(kea::config_get(std::nullopt)), json({{"command", "config-get"}}));
}

TEST(ToWire, ConfigTestCarriesTheConfigAsArguments) {
    json config = {{"Dhcp4", {{"valid-lifetime", 4000}, {"subnet4", json::array()}}}};
    auto w = wire(kea::config_test(dhcp4, config));
    EXPECT_EQ(w["command"], "config-test");
    EXPECT_EQ(w["service"], json::array({"dhcp4"}));
    EXPECT_EQ(w["arguments"], config);
    EXPECT_EQ(w.size(), 3u);
    auto bare = wire(kea::config_test(std::nullopt, config));
    EXPECT_FALSE(bare.contains("service"));
    EXPECT_EQ(bare["arguments"], config);
}

TEST(ToWire, ConfigSetCarriesTheConfigAsArguments) {
    json config = {{"Dhcp6", {{"preferred-lifetime", 3000}}}};
    auto w = wire(kea::config_set(dhcp6, config));
    EXPECT_EQ(w["command"], "config-set");
    EXPECT_EQ(w["service"], json::array({"dhcp6"}));
    EXPECT_EQ(w["arguments"], config);
    auto bare = wire(kea::config_set(std::nullopt, config));
    EXPECT_FALSE(bare.contains("service"));
    EXPECT_EQ(bare["command"], "config-set");
    EXPECT_EQ(bare["arguments"], config);
}

TEST(ToWire, ConfigWrite) {
    auto w = wire(kea::config_write(dhcp4));
    EXPECT_EQ(w["command"], "config-write");
    EXPECT_EQ(w["service"], json::array({"dhcp4"}));
    EXPECT_FALSE(w.contains("arguments"));
    EXPECT_EQ(wire(kea::config_write(std::nullopt)), json({{"command", "config-write"}}));
}

TEST(ToWire, CustomCommandKeepsArgumentsVerbatimAndIsValidJson) {
    kea::Command command{"lease4-get", dhcp4, json{{"ip-address", "192.0.2.1"}, {"text", "quote \" and \\ and \n"}}};
    auto text = kea::to_wire(command);
    auto w = json::parse(text);
    EXPECT_EQ(w["arguments"]["ip-address"], "192.0.2.1");
    EXPECT_EQ(w["arguments"]["text"], "quote \" and \\ and \n");
    // An empty object is not "no arguments".
    auto empty_args = wire(kea::Command{"x", std::nullopt, json::object()});
    ASSERT_TRUE(empty_args.contains("arguments"));
    EXPECT_EQ(empty_args["arguments"], json::object());
}

// ---------------------------------------------------------------- parse_answer: Kea 2.2 recordings

TEST(ParseAnswer, VersionGet) {
    auto a = kea::parse_answer(200, R"([{"arguments":{"extended":"2.2.0\ntarball"},"result":0,"text":"2.2.0"}])", dhcp4);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->result, kea::KeaResult::Success);
    EXPECT_EQ(a->text, "2.2.0");
    EXPECT_EQ(a->arguments["extended"], "2.2.0\ntarball");
}

TEST(ParseAnswer, StatusGet) {
    const char* body = R"([{"arguments":{"high-availability":[{"ha-mode":"hot-standby","ha-servers":{"local":{"role":"primary","scopes":["server1"],"state":"hot-standby"},"remote":{"age":0,"analyzed-packets":0,"communication-interrupted":false,"connecting-clients":0,"in-touch":true,"last-scopes":[],"last-state":"ready","role":"standby","unacked-clients":0,"unacked-clients-left":0}}}],"multi-threading-enabled":false,"pid":1234,"reload":4,"sockets":{"status":"ready"},"uptime":4},"result":0}])";
    auto a = kea::parse_answer(200, body, dhcp4);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->result, kea::KeaResult::Success);
    EXPECT_EQ(a->text, "");
    EXPECT_EQ(a->arguments["high-availability"][0]["ha-servers"]["local"]["state"], "hot-standby");
    EXPECT_EQ(a->arguments["pid"], 1234);
}

TEST(ParseAnswer, HaHeartbeat) {
    const char* body = R"([{"arguments":{"date-time":"Tue, 24 Nov 2026 20:06:05 GMT","scopes":["server1"],"state":"load-balancing","unsent-update-count":0},"result":0,"text":"HA peer status returned."}])";
    auto a = kea::parse_answer(200, body, dhcp4);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->text, "HA peer status returned.");
    EXPECT_EQ(a->arguments["state"], "load-balancing");
    EXPECT_EQ(a->arguments["date-time"], "Tue, 24 Nov 2026 20:06:05 GMT");
}

// ---------------------------------------------------------------- answer filter (AnswerKeys)

constexpr std::string_view kKeep[] = {"high-availability", "ha-servers", "local", "state", "list"};

TEST(ParseAnswerFiltered, OnlyTheNamedMembersOfArgumentsAreBuilt) {
    const char* body = R"([{"arguments":{"high-availability":[{"ha-mode":"hot-standby","ha-servers":{
        "local":{"role":"primary","scopes":["server1"],"state":"hot-standby"},
        "remote":{"age":0,"last-state":"ready","state":"ignored: remote is not kept"}}}],
        "pid":1234,"sockets":{"status":"ready","errors":[{"state":"x"}]},"list":[1,"two",[3],{"state":"s","pid":4}]},
        "result":0,"text":"HA peer status returned."}])";
    auto a = kea::parse_answer(200, body, dhcp4, kKeep);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->result, kea::KeaResult::Success);
    EXPECT_EQ(a->text, "HA peer status returned.");
    const json expected = json::parse(R"({"high-availability":[{"ha-servers":{"local":{"state":"hot-standby"}}}],
                                          "list":[1,"two",[3],{"state":"s"}]})");
    EXPECT_EQ(a->arguments, expected) << a->arguments.dump();
}

TEST(ParseAnswerFiltered, ResultAndTextAreAlwaysReadAndABareMapIsFilteredToo) {
    auto a = kea::parse_answer(200, R"({"result":3,"text":"nothing","arguments":{"pid":1,"state":"ready"}})", dhcp4,
                               kKeep);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->result, kea::KeaResult::Empty);
    EXPECT_EQ(a->text, "nothing");
    EXPECT_EQ(a->arguments, json({{"state", "ready"}}));
    // Scalar or absent arguments pass as they are.
    auto scalar = kea::parse_answer(200, R"([{"result":0,"arguments":"text"}])", dhcp4, kKeep);
    ASSERT_TRUE(scalar);
    EXPECT_EQ(scalar->arguments, "text");
    auto none = kea::parse_answer(200, R"([{"result":0}])", dhcp4, kKeep);
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->arguments.is_null());
}

TEST(ParseAnswerFiltered, ErrorsAreTheSameAsWithoutTheFilter) {
    const char* bodies[] = {
        "", "not json", R"([{"result":0,"arguments":{"pid":1,)", R"([{"result":0,"arguments":{"pid":[1,{]}}])",
        "[]", R"([{"text":"no result"}])", R"([{"result":"0"}])", R"([{"result":1,"text":"unable to forward command to the dhcp4 service: No such file or directory. The server is likely to be offline"}])",
        R"({"result":401,"text":"Unauthorized"})", R"([{"result":0,"arguments":{"x":1}}] trailing)", "[5]",
        R"([{"result":0,"arguments":{"pid":tru}}])", R"([{"result":0,"arguments":{"state":"\ud800"}}])",
        "[{\"result\":0,\"text\":\"\xff\"}]"};
    for (const char* body : bodies) {
        SCOPED_TRACE(body);
        const auto whole = kea::parse_answer(200, body, dhcp4);
        const auto filtered = kea::parse_answer(200, body, dhcp4, kKeep);
        ASSERT_EQ(bool(whole), bool(filtered));
        if (!whole) {
            EXPECT_EQ(whole.error().kind, filtered.error().kind);
            EXPECT_EQ(whole.error().message, filtered.error().message);
        }
    }
}

TEST(ParseAnswerFiltered, OnlyTheFirstLevelArgumentsMemberStartsTheFilter) {
    // A member called "arguments" deeper inside is an ordinary member (filtered by name).
    auto a = kea::parse_answer(200, R"([{"result":0,"arguments":{"list":[{"arguments":{"state":1}}],"state":2},
                                          "extra":{"pid":7}}])",
                               dhcp4, kKeep);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->arguments, json::parse(R"({"list":[{}],"state":2})"));
}

/// Same values and the same JSON types (nlohmann's == calls 5 and 5u equal).
void expect_identical(const json& a, const json& b, const std::string& where = "") {
    ASSERT_EQ(a.type(), b.type()) << where << ": " << a.dump() << " vs " << b.dump();
    if (a.is_object()) {
        ASSERT_EQ(a.size(), b.size()) << where;
        for (auto it = a.begin(); it != a.end(); ++it) {
            ASSERT_TRUE(b.contains(it.key())) << where << "/" << it.key();
            expect_identical(it.value(), b.at(it.key()), where + "/" + it.key());
        }
    } else if (a.is_array()) {
        ASSERT_EQ(a.size(), b.size()) << where;
        for (std::size_t i = 0; i < a.size(); ++i) expect_identical(a[i], b[i], where + "/" + std::to_string(i));
    } else {
        EXPECT_EQ(a.dump(), b.dump()) << where;
    }
}

TEST(ParseAnswerFiltered, LargeAnswersTakeTheOtherParserWithTheSameResult) {
    // Small answers are read by simdjson, large ones (and what simdjson refuses) by nlohmann:
    // trailing whitespace past 64 KiB makes the same answer take the second path.
    const char* bodies[] = {
        R"([{"result":0,"text":"t\u00e9\"\n","arguments":{"state":"café 😀 \ud83d\ude00 \/ \\","list":[
            0,-1,7,9223372036854775807,-9223372036854775808,9223372036854775808,18446744073709551615,
            18446744073709551616,-9223372036854775809,1.5,-2.5e-3,1E2,0.0,-0,-0.0,1e308,true,false,null,"",[],{},
            [[[]]],{"state":{"state":[{"list":1,"pid":2}]}}],"pid":5,"state":"second wins"}}])",
        R"({"result":2,"text":"unsupported","arguments":[{"state":1,"x":2},[{"list":3,"y":4}],"s"]})",
        R"([{"result":0,"arguments":null},{"result":1,"text":"second element","arguments":{"pid":1}}])",
        R"([5,{"result":0}])",
        R"({"result":0,"other":{"pid":1,"state":2},"arguments":7})",
    };
    for (const char* body : bodies) {
        SCOPED_TRACE(body);
        const auto fast = kea::parse_answer(200, body, dhcp4, kKeep);
        const auto slow = kea::parse_answer(200, std::string(body) + std::string(70 * 1024, ' '), dhcp4, kKeep);
        ASSERT_EQ(bool(fast), bool(slow));
        if (!fast) {
            EXPECT_EQ(fast.error().message, slow.error().message);
            continue;
        }
        EXPECT_EQ(fast->result, slow->result);
        EXPECT_EQ(fast->text, slow->text);
        expect_identical(fast->arguments, slow->arguments);
    }
}

/// The filter applied to a whole DOM, as the reference: members of objects at or below an
/// answer's "arguments" kept only when their name is in `keep`.
json filtered_reference(const json& value, bool filtered) {
    if (value.is_array()) {
        json out = json::array();
        for (const auto& element : value) out.push_back(filtered_reference(element, filtered));
        return out;
    }
    if (!value.is_object()) return value;
    json out = json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (filtered && std::find(std::begin(kKeep), std::end(kKeep), it.key()) == std::end(kKeep)) continue;
        out[it.key()] = filtered_reference(it.value(), filtered);
    }
    return out;
}

/// A random JSON value from `random` (deterministic for a seed), `depth` levels at most.
json random_value(std::mt19937& random, int depth) {
    static const char* names[] = {"state", "list", "local", "pid", "arguments", "ha-servers", "x", "caf\u00e9", ""};
    static const char* strings[] = {"", "hot-standby", "a\"b\\c", "tab\there", "\u00e9\u6f22", "\U0001F600", "\x01"};
    const int kind = std::uniform_int_distribution<int>(0, depth > 0 ? 9 : 6)(random);
    switch (kind) {
        case 0: return nullptr;
        case 1: return std::uniform_int_distribution<int>(0, 1)(random) == 1;
        case 2: return std::uniform_int_distribution<std::int64_t>(INT64_MIN, INT64_MAX)(random);
        case 3: return std::uniform_int_distribution<std::uint64_t>(0, UINT64_MAX)(random);
        case 4: return std::uniform_real_distribution<double>(-1e6, 1e6)(random);
        case 5: return std::uniform_int_distribution<int>(-3, 3)(random);
        case 6: return strings[std::uniform_int_distribution<std::size_t>(0, std::size(strings) - 1)(random)];
        case 7:
        case 8: {
            json object = json::object();
            const int n = std::uniform_int_distribution<int>(0, 4)(random);
            for (int i = 0; i < n; ++i) {
                object[names[std::uniform_int_distribution<std::size_t>(0, std::size(names) - 1)(random)]] =
                    random_value(random, depth - 1);
            }
            return object;
        }
        default: {
            json array = json::array();
            const int n = std::uniform_int_distribution<int>(0, 4)(random);
            for (int i = 0; i < n; ++i) array.push_back(random_value(random, depth - 1));
            return array;
        }
    }
}

TEST(ParseAnswerFiltered, RandomAnswersMatchTheReferenceOnBothPaths) {
    std::mt19937 random(20261126);  // fixed: the same 300 documents every run
    for (int i = 0; i < 300; ++i) {
        const json arguments = random_value(random, 5);
        const bool listed = i % 2 == 0;  // a list of answers (CA) or a bare map (Kea 3)
        const json element = {{"result", 0}, {"text", "t"}, {"arguments", arguments}};
        const std::string body = listed ? json::array({element}).dump() : element.dump();
        SCOPED_TRACE(body);
        const auto fast = kea::parse_answer(200, body, dhcp4, kKeep);
        ASSERT_TRUE(fast) << fast.error().describe();
        // The reference is read by nlohmann's parser (it keeps 5 as unsigned, as both paths do).
        const json expected = filtered_reference(json::parse(arguments.dump()), true);
        ASSERT_NO_FATAL_FAILURE(expect_identical(expected, fast->arguments, "fast"));
        if (i % 3 != 0) continue;  // the large path reads 70 KiB more each time: a third is enough
        const auto slow = kea::parse_answer(200, body + std::string(70 * 1024, '\n'), dhcp4, kKeep);
        ASSERT_TRUE(slow) << slow.error().describe();
        ASSERT_NO_FATAL_FAILURE(expect_identical(expected, slow->arguments, "slow"));
    }
}

TEST(ParseAnswer, ConfigGetListTakesTheFirstElement) {
    const char* body = R"([{"arguments":{"Dhcp4":{"valid-lifetime":4000}},"result":0},{"result":1,"text":"second"}])";
    auto a = kea::parse_answer(200, body, dhcp4);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->arguments["Dhcp4"]["valid-lifetime"], 4000);
}

TEST(ParseAnswer, ConfigTestRejectIsAnAnswerWithError) {
    const std::string text =
        "subnet configuration failed: Invalid subnet syntax (prefix/len expected):nope (<wire>:0:62)";
    auto a = kea::parse_answer(200, json::array({{{"result", 1}, {"text", text}}}).dump(), dhcp4);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->result, kea::KeaResult::Error);
    EXPECT_EQ(a->text, text);
    EXPECT_TRUE(a->arguments.is_null());
}

TEST(ParseAnswer, ConfigWrite) {
    const char* body = R"([{"arguments":{"filename":"/tmp/dhcp4-1.json","size":5022},"result":0,"text":"Configuration written to /tmp/dhcp4-1.json successful"}])";
    auto a = kea::parse_answer(200, body, dhcp4);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->arguments["size"], 5022);
}

TEST(ParseAnswer, Unsupported) {
    auto a = kea::parse_answer(200, R"([{"result":2,"text":"'no-such-cmd' command not supported."}])", dhcp4);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->result, kea::KeaResult::Unsupported);
    EXPECT_EQ(a->text, "'no-such-cmd' command not supported.");
}

TEST(ParseAnswer, EmptyAndConflict) {
    auto empty = kea::parse_answer(200, R"([{"result":3,"text":"0 IPv4 lease(s) found."}])", dhcp4);
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->result, kea::KeaResult::Empty);
    auto conflict = kea::parse_answer(200, R"([{"result":4,"text":"conflict"}])", dhcp4);
    ASSERT_TRUE(conflict);
    EXPECT_EQ(conflict->result, kea::KeaResult::Conflict);
}

TEST(ParseAnswer, Dhcp4OfflineBehindALiveCa) {
    const std::string text =
        "unable to forward command to the dhcp4 service: No such file or directory. The server is likely to be offline";
    auto a = kea::parse_answer(200, json::array({{{"result", 1}, {"text", text}}}).dump(), dhcp4);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::DaemonOffline);
    EXPECT_EQ(a.error().message, "CA says dhcp4 is offline: " + text);
}

TEST(ParseAnswer, SocketNotConfiguredIsOffline) {
    auto a = kea::parse_answer(
        200, R"([{"result":1,"text":"forwarding socket is not configured for the server type dhcp6"}])", dhcp6);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::DaemonOffline);
    EXPECT_EQ(a.error().message, "CA says dhcp6 is offline: forwarding socket is not configured for the server type dhcp6");
}

TEST(ParseAnswer, BareMap400IsHttp) {
    auto a = kea::parse_answer(400, R"({"result":400,"text":"Bad Request"})", dhcp4);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::Http);
    EXPECT_TRUE(contains(a.error().message, "400")) << a.error().message;
    EXPECT_TRUE(contains(a.error().message, "Bad Request")) << a.error().message;
}

TEST(ParseAnswer, BareMap401And403AreAuth) {
    auto unauthorized = kea::parse_answer(401, R"({"result":401,"text":"Unauthorized"})", dhcp4);
    ASSERT_FALSE(unauthorized);
    EXPECT_EQ(unauthorized.error().kind, ErrorKind::Auth);
    EXPECT_TRUE(contains(unauthorized.error().message, "401"));
    // Even when the HTTP status line says 200.
    auto in_body = kea::parse_answer(200, R"({"result":401,"text":"Unauthorized"})", dhcp4);
    ASSERT_FALSE(in_body);
    EXPECT_EQ(in_body.error().kind, ErrorKind::Auth);
    auto forbidden = kea::parse_answer(403, R"({"result":403,"text":"Forbidden"})", dhcp4);
    ASSERT_FALSE(forbidden);
    EXPECT_EQ(forbidden.error().kind, ErrorKind::Auth);
    EXPECT_TRUE(contains(forbidden.error().message, "403"));
}

TEST(ParseAnswer, Http401WithoutBodyIsAuth) {
    auto a = kea::parse_answer(401, "", dhcp4);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::Auth);
    EXPECT_TRUE(contains(a.error().message, "HTTP 401 Unauthorized")) << a.error().message;
    auto html = kea::parse_answer(403, "<html>nope</html>", dhcp4);
    ASSERT_FALSE(html);
    EXPECT_EQ(html.error().kind, ErrorKind::Auth);
}

TEST(ParseAnswer, AnswerNestedDeeperThanAnyKeaAnswerIsRefusedBeforeParsing) {
    // 200 000 levels (400 KB, valid JSON) would overflow the stack in copy / compare / dump.
    const std::string deep = std::string(200000, '[') + std::string(200000, ']');
    for (const unsigned status : {200u, 401u}) {
        auto answer = kea::parse_answer(status, deep, std::string("dhcp4"));
        ASSERT_FALSE(answer) << status;
    }
    auto answer = kea::parse_answer(200, deep, std::string("dhcp4"));
    EXPECT_EQ(answer.error().kind, ErrorKind::BadAnswer);
    EXPECT_NE(answer.error().message.find("nests 200000 levels deep"), std::string::npos) << answer.error().message;
    // 256 levels inside a valid answer are still read.
    const std::string ok = R"([{"result": 0, "arguments": {"x": )" + std::string(250, '[') + std::string(250, ']') + "}}]";
    EXPECT_TRUE(kea::parse_answer(200, ok, std::string("dhcp4")));
}

TEST(JsonNestingDepth, CountsBracketsOutsideStrings) {
    EXPECT_EQ(kea_ha::core::json_nesting_depth("1"), 0u);
    EXPECT_EQ(kea_ha::core::json_nesting_depth(R"({"a": [1, {"b": []}]})"), 4u);
    EXPECT_EQ(kea_ha::core::json_nesting_depth(R"({"a": "[[[{{{\"[["})"), 1u);
    EXPECT_EQ(kea_ha::core::json_nesting_depth("]]]["), 1u);
}

TEST(ParseAnswer, NonJsonBody) {
    auto a = kea::parse_answer(200, "<html><body>It works!</body></html>\n\x01", dhcp4);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::BadAnswer);
    EXPECT_EQ(a.error().message, "answer is not JSON: <html><body>It works!</body></html> ?");
}

TEST(ParseAnswer, NonJsonBodyIsCutAt80Characters) {
    const std::string body = "x" + std::string(200, 'y');
    auto a = kea::parse_answer(200, body, dhcp4);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::BadAnswer);
    EXPECT_EQ(a.error().message, "answer is not JSON: x" + std::string(79, 'y') + "...");
    auto empty = kea::parse_answer(200, "", dhcp4);
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().kind, ErrorKind::BadAnswer);
}

TEST(ParseAnswer, NonOkStatusWithNonKeaBodyIsHttp) {
    auto a = kea::parse_answer(503, "upstream down", dhcp4);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::Http);
    EXPECT_EQ(a.error().message, "HTTP 503 Service Unavailable");
    auto b = kea::parse_answer(500, R"({"error":"boom"})", dhcp4);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().kind, ErrorKind::Http);
    EXPECT_EQ(b.error().message, "HTTP 500 Internal Server Error");
    auto c = kea::parse_answer(502, "[]", dhcp4);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().kind, ErrorKind::Http);
    auto d = kea::parse_answer(599, "", dhcp4);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().message, "HTTP 599");
}

TEST(ParseAnswer, EmptyList) {
    auto a = kea::parse_answer(200, "[]", dhcp4);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::BadAnswer);
}

TEST(ParseAnswer, ElementWithoutResult) {
    auto a = kea::parse_answer(200, R"([{"text":"hello"}])", dhcp4);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::BadAnswer);
    EXPECT_TRUE(contains(a.error().message, "result")) << a.error().message;
}

TEST(ParseAnswer, ResultNotInteger) {
    for (const char* body : {R"([{"result":"0"}])", R"([{"result":0.5}])", R"([{"result":null}])",
                             R"([{"result":true}])", R"([{"result":[0]}])"}) {
        auto a = kea::parse_answer(200, body, dhcp4);
        ASSERT_FALSE(a) << body;
        EXPECT_EQ(a.error().kind, ErrorKind::BadAnswer) << body;
    }
}

TEST(ParseAnswer, TextNotStringAndElementNotObject) {
    auto a = kea::parse_answer(200, R"([{"result":0,"text":42}])", dhcp4);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::BadAnswer);
    auto b = kea::parse_answer(200, R"([42])", dhcp4);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().kind, ErrorKind::BadAnswer);
    auto c = kea::parse_answer(200, R"("just a string")", dhcp4);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().kind, ErrorKind::BadAnswer);
    auto d = kea::parse_answer(200, R"([{"result":7,"text":"what"}])", dhcp4);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().kind, ErrorKind::BadAnswer);
}

TEST(ParseAnswer, Kea3BareMapIsAnAnswer) {
    auto a = kea::parse_answer(200, R"({"arguments":{"Dhcp4":{}},"result":0,"text":"ok"})", std::nullopt);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->result, kea::KeaResult::Success);
    EXPECT_EQ(a->text, "ok");
    EXPECT_TRUE(a->arguments.contains("Dhcp4"));
    auto rejected = kea::parse_answer(200, R"({"result":1,"text":"bad config"})", std::nullopt);
    ASSERT_TRUE(rejected);
    EXPECT_EQ(rejected->result, kea::KeaResult::Error);
    auto unsupported = kea::parse_answer(200, R"({"result":2,"text":"'x' command not supported."})", std::nullopt);
    ASSERT_TRUE(unsupported);
    EXPECT_EQ(unsupported->result, kea::KeaResult::Unsupported);
}

TEST(ParseAnswer, OfflineWithoutServiceNamesTheDaemon) {
    auto a = kea::parse_answer(
        200, R"([{"result":1,"text":"unable to forward command to the dhcp4 service: x. The server is likely to be offline"}])",
        std::nullopt);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().kind, ErrorKind::DaemonOffline);
    EXPECT_TRUE(contains(a.error().message, "is offline: unable to forward")) << a.error().message;
}

// ---------------------------------------------------------------- require_success

TEST(RequireSuccess, SuccessPassesThrough) {
    auto ok = kea::require_success(kea::Answer{kea::KeaResult::Success, "fine", json{{"a", 1}}}, "config-set");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->text, "fine");
    EXPECT_EQ(ok->arguments["a"], 1);
}

TEST(RequireSuccess, KeaErrorCarriesTheText) {
    auto failed = kea::require_success(kea::Answer{kea::KeaResult::Error, "subnet configuration failed", nullptr},
                                       "config-set");
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().kind, ErrorKind::KeaError);
    EXPECT_EQ(failed.error().message, "config-set failed: subnet configuration failed");
}

TEST(RequireSuccess, OtherResultsAreErrorsToo) {
    for (auto result : {kea::KeaResult::Unsupported, kea::KeaResult::Empty, kea::KeaResult::Conflict}) {
        auto failed = kea::require_success(kea::Answer{result, "", nullptr}, "status-get");
        ASSERT_FALSE(failed);
        EXPECT_EQ(failed.error().kind, ErrorKind::KeaError);
        EXPECT_TRUE(contains(failed.error().message, "status-get failed: ")) << failed.error().message;
    }
}

TEST(RequireSuccess, ErrorsPassThrough) {
    auto failed = kea::require_success(kea_ha::core::make_error(ErrorKind::Timeout, "read: timed out after 5 s", "u"),
                                       "config-set");
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().kind, ErrorKind::Timeout);
    EXPECT_EQ(failed.error().message, "read: timed out after 5 s");
    EXPECT_EQ(failed.error().where, "u");
}

// ---------------------------------------------------------------- parse_endpoint

TEST(ParseEndpoint, HttpWithPort) {
    auto e = kea::parse_endpoint("http://127.0.0.41:8000/");
    ASSERT_TRUE(e) << e.error().describe();
    EXPECT_FALSE(e->https);
    EXPECT_EQ(e->host, "127.0.0.41");
    EXPECT_EQ(e->port, 8000);
    EXPECT_EQ(e->target, "/");
    EXPECT_EQ(e->text, "http://127.0.0.41:8000/");
}

TEST(ParseEndpoint, DefaultsPortAndTarget) {
    auto http = kea::parse_endpoint("http://kea1.example.net");
    ASSERT_TRUE(http);
    EXPECT_EQ(http->host, "kea1.example.net");
    EXPECT_EQ(http->port, 80);
    EXPECT_EQ(http->target, "/");
    auto https = kea::parse_endpoint("https://kea1.example.net");
    ASSERT_TRUE(https);
    EXPECT_TRUE(https->https);
    EXPECT_EQ(https->port, 443);
}

TEST(ParseEndpoint, Ipv6Literal) {
    auto e = kea::parse_endpoint("https://[::1]:8443/");
    ASSERT_TRUE(e) << e.error().describe();
    EXPECT_TRUE(e->https);
    EXPECT_EQ(e->host, "::1");
    EXPECT_EQ(e->port, 8443);
    auto no_port = kea::parse_endpoint("http://[2001:db8::1]/kea");
    ASSERT_TRUE(no_port);
    EXPECT_EQ(no_port->host, "2001:db8::1");
    EXPECT_EQ(no_port->port, 80);
    EXPECT_EQ(no_port->target, "/kea");
}

TEST(ParseEndpoint, TargetAndCaseInsensitiveScheme) {
    auto e = kea::parse_endpoint("HTTP://127.0.0.1:8000/kea/ctrl?x=1");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->target, "/kea/ctrl?x=1");
    EXPECT_EQ(e->port, 8000);
}

TEST(ParseEndpoint, Errors) {
    for (const char* url : {"ftp://127.0.0.1/", "127.0.0.1:8000", "", "http://", "http:///x", "http://:8000/",
                            "http://host:/", "http://host:0/", "http://host:65536/", "http://host:80x/",
                            "http://host:-1/", "http://[::1/", "http://[::1]x/", "http://::1:8000/",
                            "http://user:pw@host/", "http://[]:80/"}) {
        auto e = kea::parse_endpoint(url);
        EXPECT_FALSE(e) << url;
        if (!e) {
            EXPECT_EQ(e.error().kind, ErrorKind::Invalid) << url;
        }
    }
}

TEST(ParseEndpoint, MaxPort) {
    auto e = kea::parse_endpoint("http://h:65535");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->port, 65535);
}

}  // namespace
