// learn_topology() and friends (SPEC §2, §4 warnings) on recorded Kea 2.2 config-get answers.
// The fixtures were recorded from kea-dhcp4/6 2.2.0 + kea-ctrl-agent on loopback (peers at
// 127.0.77.x), paths then renamed to /run/kea, /var/lib/kea; config-get-config-control.json is
// the primary's answer with a config-control section added by hand (a live Configuration
// Backend needs a MySQL server).

#include "kea_ha/core/topology.hpp"

#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kea_ha::core {
namespace {

using nlohmann::json;

const std::string kRegistered = "http://127.0.77.1:8000/";

/// The `arguments` of a recorded config-get answer (the CA's list of one answer).
json arguments_of(const std::string& fixture) {
    const std::string path = std::string(KEA_HA_TEST_DATA) + "/kea-2.2/config-get-" + fixture + ".json";
    std::ifstream file(path);
    EXPECT_TRUE(file) << "cannot open " << path;
    const auto answer = json::parse(file);
    EXPECT_EQ(0, answer.at(0).at("result"));
    return answer.at(0).at("arguments");
}

/// The first high-availability[] entry of a Dhcp4 config.
json& ha_of(json& arguments, const char* key = "Dhcp4") {
    for (auto& hook : arguments[key]["hooks-libraries"]) {
        if (hook["library"].get<std::string>().ends_with("libdhcp_ha.so")) {
            return hook["parameters"]["high-availability"][0];
        }
    }
    ADD_FAILURE() << "no HA hook";
    static json none;
    return none;
}

Result<Topology> learn(const json& arguments, ControlUrlRules rules = {}, std::string_view service = "dhcp4") {
    return learn_topology(arguments, service, kRegistered, rules, "dhcp-a");
}

std::vector<std::string> codes(const std::vector<Warning>& warnings) {
    std::vector<std::string> out;
    for (const auto& warning : warnings) out.push_back(warning.code);
    return out;
}

// ------------------------------------------------------------ the shapes Kea 2.2 answers

TEST(LearnTopology, HotStandbyPrimary_LearnsPeersRolesUrlsAndTimers) {
    const auto topology = learn(arguments_of("hot-standby-primary"));
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_EQ("dhcp4", topology->service);
    EXPECT_EQ(HaMode::HotStandby, topology->mode);
    EXPECT_EQ("server1", topology->this_server_name);
    ASSERT_EQ(2u, topology->peers.size());
    EXPECT_EQ((HaPeer{"server1", "http://127.0.77.1:8000/", PeerRole::Primary, true, kRegistered}),
              topology->peers[0]);
    EXPECT_EQ((HaPeer{"server2", "http://127.0.77.2:8000/", PeerRole::Standby, true, "http://127.0.77.2:8000/"}),
              topology->peers[1]);
    EXPECT_EQ((HaTimers{Duration(10000), Duration(60000), Duration(5000), 5}), topology->timers);
    EXPECT_FALSE(topology->dedicated_listener);
    EXPECT_TRUE(topology->has_lease_cmds);
    EXPECT_FALSE(topology->config_backend);
    EXPECT_EQ(1u, topology->relationships.size());
    EXPECT_TRUE(topology->warnings.empty()) << topology->warnings.front().message;
}

TEST(LearnTopology, StandbyRegistered_IsRefusedNamingTheRealPrimaryAndItsUrl) {
    const auto topology = learn(arguments_of("hot-standby-standby"));
    ASSERT_FALSE(topology);
    EXPECT_EQ(ErrorKind::Conflict, topology.error().kind);
    EXPECT_EQ("this server is 'server2' (standby); register the primary 'server1' at http://127.0.77.1:8000/",
              topology.error().describe());
}

TEST(LearnTopology, StandbyRegistered_NamesThePrimaryAtItsControlUrlOverride) {
    ControlUrlRules rules;
    rules.overrides["server1"] = "https://kea1.example.org:8443/";
    const auto topology = learn(arguments_of("hot-standby-standby"), rules);
    ASSERT_FALSE(topology);
    EXPECT_EQ("this server is 'server2' (standby); register the primary 'server1' at https://kea1.example.org:8443/",
              topology.error().describe());
}

TEST(LearnTopology, LoadBalancing_HasPrimaryAndSecondary) {
    const auto topology = learn(arguments_of("load-balancing"));
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_EQ(HaMode::LoadBalancing, topology->mode);
    ASSERT_EQ(2u, topology->peers.size());
    EXPECT_EQ(PeerRole::Secondary, topology->peers[1].role);
    EXPECT_EQ("load-balancing", to_string(topology->mode));
}

TEST(LearnTopology, WithBackup_KeepsTheBackupAsAPeerThatIsNotMain) {
    const auto topology = learn(arguments_of("hot-standby-backup"));
    ASSERT_TRUE(topology) << topology.error().describe();
    ASSERT_EQ(3u, topology->peers.size());
    const auto& backup = topology->peers[2];
    EXPECT_EQ("server3", backup.name);
    EXPECT_EQ(PeerRole::Backup, backup.role);
    EXPECT_FALSE(backup.auto_failover);
    EXPECT_FALSE(is_main(backup.role));
    EXPECT_TRUE(is_main(topology->peers[1].role));
}

TEST(LearnTopology, Dhcp6_IsReadFromTheDhcp6Section) {
    const auto topology = learn(arguments_of("dhcp6"), {}, "dhcp6");
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_EQ("dhcp6", topology->service);
    EXPECT_EQ(2u, topology->peers.size());
    EXPECT_TRUE(topology->has_lease_cmds);
}

TEST(LearnTopology, NoHaHook_IsAStandaloneOnePeerClusterNamedFromTheRegistration) {
    const auto topology = learn(arguments_of("no-ha"));
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_EQ(HaMode::Standalone, topology->mode);
    ASSERT_EQ(1u, topology->peers.size());
    EXPECT_EQ((HaPeer{"dhcp-a", kRegistered, PeerRole::Primary, false, kRegistered}), topology->peers[0]);
    EXPECT_TRUE(topology->relationships.empty());
    EXPECT_TRUE(topology->warnings.empty());
}

TEST(LearnTopology, NoHaHookAndNoRegistrationName_NamesThePeerAfterTheUrlHost) {
    const auto topology = learn_topology(arguments_of("no-ha"), "dhcp4", kRegistered, {});
    ASSERT_TRUE(topology);
    EXPECT_EQ("127.0.77.1", topology->peers[0].name);
}

TEST(LearnTopology, Kea22FillsHaDefaultsIntoConfigGet_AndTheyAreRead) {
    // Recorded from a config without the timer keys: a running 2.2 returns the defaults.
    const auto arguments = arguments_of("ha-defaults");
    auto copy = arguments;
    EXPECT_EQ(10000, ha_of(copy)["heartbeat-delay"]);
    const auto topology = learn(arguments);
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_EQ(HaTimers{}, topology->timers);
}

TEST(LearnTopology, AbsentTimersAndMultiThreading_TakeTheArmAnd22Defaults) {
    auto arguments = arguments_of("hot-standby-primary");
    auto& ha = ha_of(arguments);
    for (const char* key : {"heartbeat-delay", "max-response-delay", "max-ack-delay", "max-unacked-clients",
                            "multi-threading"}) {
        ha.erase(key);
    }
    arguments["Dhcp4"].erase("multi-threading");
    const auto topology = learn(arguments);
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_EQ((HaTimers{Duration(10000), Duration(60000), Duration(10000), 10}), topology->timers);
    EXPECT_FALSE(topology->dedicated_listener);
    EXPECT_EQ("http://127.0.77.2:8000/", topology->peers[1].control_url);
}

TEST(LearnTopology, AbsentMultiThreadingWithKea24Defaults_UsesTheDedicatedListenerRule) {
    auto arguments = arguments_of("hot-standby-primary");
    ha_of(arguments).erase("multi-threading");
    arguments["Dhcp4"].erase("multi-threading");
    for (auto& peer : ha_of(arguments)["peers"]) {
        peer["url"] = peer["url"].get<std::string>().replace(peer["url"].get<std::string>().find(":8000"), 5, ":8001");
    }
    ControlUrlRules rules;
    rules.multi_threading_default = true;
    const auto topology = learn(arguments, rules);
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_TRUE(topology->dedicated_listener);
    EXPECT_EQ("http://127.0.77.2:8000/", topology->peers[1].control_url);
}

// ------------------------------------------------------------ SPEC §2 control URL rule

TEST(ControlUrl, MultiThreadingDedicatedListener_UsesTheHaHostWithTheCaPort) {
    const auto topology = learn(arguments_of("multi-threading"));
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_TRUE(topology->dedicated_listener);
    EXPECT_EQ("http://127.0.77.2:8001/", topology->peers[1].url);
    EXPECT_EQ("http://127.0.77.2:8000/", topology->peers[1].control_url);
    // The primary is commanded where it was registered (its CA), not at the HA listener.
    EXPECT_EQ(kRegistered, topology->peers[0].control_url);
}

TEST(ControlUrl, MultiThreadingDedicatedListener_TakesTheRegisteredUrlsSchemeAndPort) {
    // SPEC §2: peers of one relationship are set up alike; keaControlAgentPort does not win
    // over the port the primary was registered at.
    ControlUrlRules rules;
    rules.control_agent_port = 8080;
    auto topology = learn_topology(arguments_of("multi-threading"), "dhcp4", "https://127.0.77.1:8010/", rules);
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_EQ("https://127.0.77.2:8010/", topology->peers[1].control_url);
    EXPECT_EQ("https://127.0.77.1:8010/", topology->peers[0].control_url);
    // A registered URL without a port: keaControlAgentPort.
    topology = learn_topology(arguments_of("multi-threading"), "dhcp4", "http://127.0.77.1/", rules);
    ASSERT_TRUE(topology);
    EXPECT_EQ("http://127.0.77.2:8080/", topology->peers[1].control_url);
}

TEST(ControlUrl, DirectTransport_TakesTheRegisteredUrlsSchemeAndPortForBothServices) {
    // The case: a v6 pair on the daemons' own sockets at 8010, no dedicated listener
    // (Kea's HA over the control socket): the standby is commanded at 8010, not 8000.
    ControlUrlRules rules;
    rules.direct = true;
    for (const std::string service : {"dhcp4", "dhcp6"}) {
        SCOPED_TRACE(service);
        auto arguments = arguments_of("hot-standby-primary");
        if (service == "dhcp6") arguments = {{"Dhcp6", arguments["Dhcp4"]}};
        const auto topology = learn_topology(arguments, service, "http://127.0.77.1:8010/", rules);
        ASSERT_TRUE(topology) << topology.error().describe();
        ASSERT_FALSE(topology->dedicated_listener);
        EXPECT_EQ("http://127.0.77.2:8010/", topology->peers[1].control_url);
        // The same relationship learned again from the standby's side keeps the rule.
        const auto again = kea_ha::core::learn_topology_from_peer(arguments, "server2", *topology, rules);
        ASSERT_TRUE(again) << again.error().describe();
        EXPECT_EQ("http://127.0.77.2:8010/", again->peers[1].control_url);
    }
    // On a Control Agent without the dedicated listener the HA url stays the control URL.
    const auto agent = learn_topology(arguments_of("hot-standby-primary"), "dhcp4", "http://127.0.77.1:8010/", {});
    ASSERT_TRUE(agent);
    EXPECT_EQ(agent->peers[1].url, agent->peers[1].control_url);
}

TEST(ControlUrl, OverrideWins_ForEveryPeerIncludingThePrimary) {
    ControlUrlRules rules;
    rules.overrides = {{"server1", "https://kea1.example.org:8443/"}, {"server2", "https://kea2.example.org:8443/"}};
    const auto topology = learn(arguments_of("multi-threading"), rules);
    ASSERT_TRUE(topology);
    EXPECT_EQ("https://kea1.example.org:8443/", topology->peers[0].control_url);
    EXPECT_EQ("https://kea2.example.org:8443/", topology->peers[1].control_url);
}

TEST(ControlUrl, WithoutDedicatedListener_IsTheHaUrl) {
    const auto topology = learn(arguments_of("hot-standby-backup"));
    ASSERT_TRUE(topology);
    EXPECT_EQ("http://127.0.77.3:8000/", topology->peers[2].control_url);
}

TEST(ControlUrl, HaMultiThreadingWithoutServerMultiThreading_IsOffAsKeaTurnsItOff) {
    auto arguments = arguments_of("multi-threading");
    arguments["Dhcp4"]["multi-threading"]["enable-multi-threading"] = false;
    const auto topology = learn(arguments);
    ASSERT_TRUE(topology);
    EXPECT_FALSE(topology->dedicated_listener);
    EXPECT_EQ("http://127.0.77.2:8001/", topology->peers[1].control_url);
}

TEST(ControlUrl, Rows) {
    struct Row {
        std::string ha_url;
        bool dedicated;
        std::string expect;
    };
    const Row rows[] = {
        {"http://192.0.2.2:8001/", true, "http://192.0.2.2:8000/"},
        {"https://192.0.2.2:8001/", true, "https://192.0.2.2:8000/"},
        {"http://[2001:db8::2]:8001/", true, "http://[2001:db8::2]:8000/"},
        {"http://192.0.2.2/", true, "http://192.0.2.2:8000/"},
        {"http://192.0.2.2:8001/", false, "http://192.0.2.2:8001/"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.ha_url);
        const auto url = control_url_for("server2", row.ha_url, row.dedicated, {});
        ASSERT_TRUE(url) << url.error().describe();
        EXPECT_EQ(row.expect, *url);
    }
    for (const char* bad : {"192.0.2.2:8001", "ftp://192.0.2.2/", "http://:8000/", "http://192.0.2.2:99999/",
                            "http://[2001:db8::2/"}) {
        SCOPED_TRACE(bad);
        const auto url = control_url_for("server2", bad, true, {});
        ASSERT_FALSE(url);
        EXPECT_EQ(ErrorKind::Invalid, url.error().kind);
    }
}

// ------------------------------------------------------------ malformed input, each message

TEST(LearnTopology, MalformedInput_IsInvalidWithAMessageSayingWhatAndWhere) {
    struct Row {
        const char* name;
        std::function<void(json& arguments)> mutate;
        std::string service;
        std::string expect;
    };
    const std::string at = "libdhcp_ha.so high-availability[0]: ";
    const Row rows[] = {
        {"unknown service", [](json&) {}, "dhcp5", "unknown service 'dhcp5': expected dhcp4 or dhcp6"},
        {"wrong service", [](json&) {}, "dhcp6",
         "the config-get answer has no 'Dhcp6' section (it has 'Dhcp4'): is 'dhcp6' the right service for this "
         "server?"},
        {"arguments not an object", [](json& a) { a = json::array(); }, "dhcp4",
         "the config-get answer's arguments are not a JSON object (got [])"},
        {"Dhcp4 missing", [](json& a) { a = json::object(); }, "dhcp4",
         "the config-get answer has no 'Dhcp4' section: is 'dhcp4' the right service for this server?"},
        {"HA hook twice",
         [](json& a) { a["Dhcp4"]["hooks-libraries"].push_back(a["Dhcp4"]["hooks-libraries"][1]); }, "dhcp4",
         "libdhcp_ha.so: listed twice in hooks-libraries: keep one entry"},
        {"no parameters", [](json& a) { a["Dhcp4"]["hooks-libraries"][1].erase("parameters"); }, "dhcp4",
         "libdhcp_ha.so: has no 'parameters' map"},
        {"no high-availability",
         [](json& a) { a["Dhcp4"]["hooks-libraries"][1]["parameters"].erase("high-availability"); }, "dhcp4",
         "libdhcp_ha.so: parameters have no 'high-availability' list"},
        {"empty high-availability",
         [](json& a) { a["Dhcp4"]["hooks-libraries"][1]["parameters"]["high-availability"] = json::array(); },
         "dhcp4", "libdhcp_ha.so: 'high-availability' is empty"},
        {"no this-server-name", [](json& a) { ha_of(a).erase("this-server-name"); }, "dhcp4",
         at + "'this-server-name' is missing"},
        {"unknown mode", [](json& a) { ha_of(a)["mode"] = "active-active"; }, "dhcp4",
         at + "unknown mode 'active-active' (expected load-balancing, hot-standby or passive-backup)"},
        {"no peers", [](json& a) { ha_of(a)["peers"] = json::array(); }, "dhcp4",
         at + "'peers' is empty: an HA relationship needs at least a primary"},
        {"peers missing", [](json& a) { ha_of(a).erase("peers"); }, "dhcp4", at + "'peers' is missing"},
        {"duplicate names", [](json& a) { ha_of(a)["peers"][1]["name"] = "server1"; }, "dhcp4",
         at + "peer name 'server1' appears twice in 'peers'"},
        {"unknown role", [](json& a) { ha_of(a)["peers"][1]["role"] = "master"; }, "dhcp4",
         at + "peer 'server2' has unknown role 'master' (expected primary, secondary, standby or backup)"},
        {"no primary", [](json& a) { ha_of(a)["peers"][0]["role"] = "backup"; }, "dhcp4",
         at + "no peer has the role primary"},
        {"two primaries", [](json& a) { ha_of(a)["peers"][1]["role"] = "primary"; }, "dhcp4",
         at + "two peers have the role primary ('server1' and 'server2'): a relationship has at most one"},
        {"this-server-name not a peer", [](json& a) { ha_of(a)["this-server-name"] = "server9"; }, "dhcp4",
         at + "this-server-name 'server9' is not one of the peers (server1, server2)"},
        {"hot-standby with secondary", [](json& a) { ha_of(a)["peers"][1]["role"] = "secondary"; }, "dhcp4",
         at + "mode hot-standby does not allow a secondary peer"},
        {"bad url", [](json& a) { ha_of(a)["peers"][1]["url"] = "127.0.77.2:8000"; }, "dhcp4",
         at + "peer 'server2': url '127.0.77.2:8000' is not http(s)://HOST[:PORT]/"},
        {"timer not a number", [](json& a) { ha_of(a)["heartbeat-delay"] = "10s"; }, "dhcp4",
         at + "'heartbeat-delay' must be a non-negative integer (got \"10s\")"},
        {"auto-failover not a bool", [](json& a) { ha_of(a)["peers"][0]["auto-failover"] = "yes"; }, "dhcp4",
         at + "'peers[0].auto-failover' must be true or false (got \"yes\")"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        auto arguments = arguments_of("hot-standby-primary");
        row.mutate(arguments);
        const auto topology = learn(arguments, {}, row.service);
        ASSERT_FALSE(topology);
        EXPECT_EQ(ErrorKind::Invalid, topology.error().kind);
        EXPECT_EQ(row.expect, topology.error().describe());
    }
}

// ------------------------------------------------------------ hub and spoke (Kea ≥ 2.6)

json hub_and_spoke(const char* first_self, const char* second_self) {
    auto arguments = arguments_of("hot-standby-primary");
    auto& list = arguments["Dhcp4"]["hooks-libraries"][1]["parameters"]["high-availability"];
    auto first = list[0];
    first["this-server-name"] = first_self;
    first["peers"] = json::array({{{"name", "branch1"}, {"url", "http://127.0.77.11:8000/"}, {"role", "primary"}},
                                  {{"name", "hub1"}, {"url", "http://127.0.77.10:8000/"}, {"role", "standby"}}});
    auto second = list[0];
    second["this-server-name"] = second_self;
    second["peers"] = json::array({{{"name", "branch2"}, {"url", "http://127.0.77.12:8000/"}, {"role", "primary"}},
                                   {{"name", "hub2"}, {"url", "http://127.0.77.10:8000/"}, {"role", "standby"}}});
    list = json::array({first, second});
    return arguments;
}

TEST(LearnTopology, SeveralRelationships_ThePeersAreThoseWhereThisServerIsPrimary) {
    const auto topology = learn(hub_and_spoke("hub1", "branch2"));
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_EQ("branch2", topology->this_server_name);
    ASSERT_EQ(2u, topology->peers.size());
    EXPECT_EQ("hub2", topology->peers[1].name);
    EXPECT_EQ(2u, topology->relationships.size());
}

TEST(LearnTopology, HubRegistered_IsRefusedNamingEveryPrimary) {
    const auto topology = learn(hub_and_spoke("hub1", "hub2"));
    ASSERT_FALSE(topology);
    EXPECT_EQ(ErrorKind::Conflict, topology.error().kind);
    EXPECT_EQ("this server is 'hub1' (standby), 'hub2' (standby) in 2 HA relationships and the primary of none; "
              "register a primary instead: 'branch1' at http://127.0.77.11:8000/, 'branch2' at "
              "http://127.0.77.12:8000/",
              topology.error().describe());
}

// ------------------------------------------------------------ caching and re-learning

TEST(LearnTopology, SourceConfig_LearnsTheSameTopologyAndHoldsNoPassword) {
    auto arguments = arguments_of("config-control");
    ha_of(arguments)["peers"][1]["basic-auth-password"] = "ha-secret";
    const auto topology = learn(arguments);
    ASSERT_TRUE(topology) << topology.error().describe();
    const auto text = topology->source_config.dump();
    EXPECT_EQ(std::string::npos, text.find("secret")) << text;
    EXPECT_EQ(std::string::npos, text.find("subnet4"));
    const auto again = learn(topology->source_config);
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_EQ(*topology, *again);
}

TEST(LearnTopology, FromTheStandbysConfig_GivesThePrimarysTopology) {
    const auto known = learn(arguments_of("hot-standby-primary"));
    ASSERT_TRUE(known);
    const auto again = learn_topology_from_peer(arguments_of("hot-standby-standby"), "server2", *known, {});
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_EQ(known->peers, again->peers);
    EXPECT_EQ("server1", again->this_server_name);
    EXPECT_EQ(kRegistered, again->registered_url);
}

TEST(LearnTopology, FromAPeerThatLeftTheCluster_IsAConflict) {
    const auto known = learn(arguments_of("hot-standby-primary"));
    ASSERT_TRUE(known);
    const auto again = learn_topology_from_peer(hub_and_spoke("hub1", "hub2"), "server2", *known, {});
    ASSERT_FALSE(again);
    EXPECT_EQ(ErrorKind::Conflict, again.error().kind);
    EXPECT_EQ("the config of 'server2' has no HA relationship whose primary is 'server1': it left the cluster or "
              "the primary changed",
              again.error().describe());
}

// ------------------------------------------------------------ SPEC §4 configuration warnings

TEST(CheckTopology, Warnings) {
    struct Row {
        const char* name;
        const char* fixture;
        std::function<void(json& arguments)> mutate;
        std::vector<std::string> expect_codes;
        std::string expect_first;
    };
    const Row rows[] = {
        {"clean", "hot-standby-primary", [](json&) {}, {}, ""},
        {"response delay equals heartbeat", "hot-standby-primary",
         [](json& a) { ha_of(a)["max-response-delay"] = 10000; },
         {"timers"},
         "max-response-delay (10000 ms) is not greater than heartbeat-delay (10000 ms): a partner is judged "
         "unresponsive between two heartbeats; raise max-response-delay to at least 30000 ms"},
        {"response delay under three heartbeats", "hot-standby-primary",
         [](json& a) { ha_of(a)["max-response-delay"] = 25000; },
         {"timers"},
         "max-response-delay (25000 ms) is under 3 heartbeats (heartbeat-delay 10000 ms): one or two late "
         "heartbeats start a failover; consider at least 30000 ms"},
        {"three heartbeats is fine", "hot-standby-primary",
         [](json& a) { ha_of(a)["max-response-delay"] = 30000; }, {}, ""},
        {"lease_cmds missing", "hot-standby-primary",
         [](json& a) { a["Dhcp4"]["hooks-libraries"].erase(0); },
         {"lease-cmds-missing"},
         "libdhcp_lease_cmds.so is not loaded on 'server1': HA and Micetro both need it for lease commands; add it "
         "to Dhcp4.hooks-libraries"},
        {"lease_cmds missing, standalone", "no-ha",
         [](json& a) { a["Dhcp4"]["hooks-libraries"] = json::array(); },
         {"lease-cmds-missing"},
         "libdhcp_lease_cmds.so is not loaded on 'dhcp-a': Micetro needs it for lease commands; add it to "
         "Dhcp4.hooks-libraries"},
        {"dedicated listener on the CA port", "multi-threading",
         [](json& a) { ha_of(a)["peers"][1]["url"] = "http://127.0.77.2:8000/"; },
         {"listener-on-ca-port"},
         "the HA dedicated listener of 'server2' (multi-threading with http-dedicated-listener) is at "
         "http://127.0.77.2:8000/, on the Control Agent's port 8000: they cannot share it and config commands "
         "would reach the HA listener; move the HA url to another port (the Kea ARM suggests 8001) or register a "
         "control_urls override"},
        {"dedicated listener on 8001", "multi-threading", [](json&) {}, {}, ""},
        {"port 8000 without a dedicated listener is the CA itself", "hot-standby-primary", [](json&) {}, {}, ""},
        {"config backend", "config-control", [](json&) {},
         {"config-backend"},
         "Dhcp4 has a config-control section (Configuration Backend): the configuration is shared through its "
         "database, so the controller does not replicate it"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        auto arguments = arguments_of(row.fixture);
        row.mutate(arguments);
        const auto topology = learn(arguments);
        ASSERT_TRUE(topology) << topology.error().describe();
        EXPECT_EQ(row.expect_codes, codes(topology->warnings));
        if (!row.expect_first.empty() && !topology->warnings.empty()) {
            EXPECT_EQ(row.expect_first, topology->warnings.front().message);
        }
        EXPECT_EQ(check_topology(*topology, {}), topology->warnings);
    }
}

TEST(CheckTopology, ListenerOnTheRegisteredCaPort_IsFlaggedForThePrimary) {
    auto arguments = arguments_of("multi-threading");
    const auto topology = learn_topology(arguments, "dhcp4", "http://127.0.77.1:8001/", {}, "dhcp-a");
    ASSERT_TRUE(topology);
    ASSERT_EQ(1u, topology->warnings.size());
    EXPECT_EQ("listener-on-ca-port", topology->warnings[0].code);
    EXPECT_EQ("server1", topology->warnings[0].peer);
}

// ------------------------------------------------------------ a peer's own view

TEST(ComparePeerTopology, TheStandbysRecordedConfig_Agrees) {
    const auto topology = learn(arguments_of("hot-standby-primary"));
    ASSERT_TRUE(topology);
    EXPECT_EQ(std::vector<Warning>{}, compare_peer_topology(*topology, "server2", arguments_of("hot-standby-standby")));
}

TEST(ComparePeerTopology, Disagreements_AreEachAPeerConfigMismatch) {
    struct Row {
        const char* name;
        std::function<void(json& arguments)> mutate;
        std::vector<std::string> expect;
    };
    const Row rows[] = {
        {"copied this-server-name", [](json& a) { ha_of(a)["this-server-name"] = "server1"; },
         {"'server2': its this-server-name is 'server1', not 'server2': both servers would claim one name and HA "
          "fails; fix this-server-name on that server"}},
        {"other mode",
         [](json& a) {
             ha_of(a)["mode"] = "load-balancing";
             ha_of(a)["peers"][1]["role"] = "secondary";
         },
         {"'server2': its HA mode is load-balancing, the primary's is hot-standby",
          "'server2': it gives 'server2' the role secondary, the primary says standby"}},
        {"other url", [](json& a) { ha_of(a)["peers"][0]["url"] = "http://127.0.77.9:8000/"; },
         {"'server2': it gives 'server1' the url http://127.0.77.9:8000/, the primary says http://127.0.77.1:8000/"}},
        {"same url spelled differently", [](json& a) { ha_of(a)["peers"][0]["url"] = "HTTP://127.0.77.1:8000"; }, {}},
        {"extra peer",
         [](json& a) {
             ha_of(a)["peers"].push_back({{"name", "server3"}, {"url", "http://127.0.77.3:8000/"}, {"role", "backup"}});
         },
         {"'server2': its HA config has peer 'server3', which the primary does not know"}},
        {"no HA hook", [](json& a) { a["Dhcp4"]["hooks-libraries"].erase(1); },
         {"'server2': libdhcp_ha.so is not loaded: it takes no part in the HA relationship of 'server1'"}},
    };
    const auto topology = learn(arguments_of("hot-standby-primary"));
    ASSERT_TRUE(topology);
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        auto arguments = arguments_of("hot-standby-standby");
        row.mutate(arguments);
        std::vector<std::string> messages;
        for (const auto& warning : compare_peer_topology(*topology, "server2", arguments)) {
            EXPECT_EQ("peer-config-mismatch", warning.code);
            EXPECT_EQ("server2", warning.peer);
            messages.push_back(warning.message);
        }
        EXPECT_EQ(row.expect, messages);
    }
}

// ------------------------------------------------------------ several relationships (2.6+)

/// A recorded Kea 2.6 mutual pair: "a" is a1 (primary) with b1, and a2 (standby) of b2.
json mutual_a() {
    const std::string path = std::string(KEA_HA_TEST_DATA) + "/kea-2.6/config-get-mutual-a.json";
    std::ifstream file(path);
    EXPECT_TRUE(file) << "cannot open " << path;
    return json::parse(file).at(0).at("arguments");
}

json& relationship_of(json& arguments, std::size_t index) {
    for (auto& hook : arguments["Dhcp4"]["hooks-libraries"])
        if (hook["library"].get<std::string>().ends_with("libdhcp_ha.so"))
            return hook["parameters"]["high-availability"][index];
    ADD_FAILURE() << "no HA hook";
    static json none;
    return none;
}

Result<Topology> learn_relationship(const json& arguments, std::string_view relationship) {
    return learn_topology(arguments, "dhcp4", kRegistered, {}, "ab", relationship);
}

TEST(LearnTopology, SeveralRelationships_TheOneWhereTheServerIsPrimaryOrTheNamedOne) {
    const auto config = mutual_a();
    const auto plain = learn_relationship(config, "");
    ASSERT_TRUE(plain) << plain.error().describe();
    EXPECT_EQ(plain->this_server_name, "a1");
    const auto named = learn_relationship(config, "a1");
    ASSERT_TRUE(named) << named.error().describe();
    EXPECT_EQ(*named, *plain);

    // Named but standby there: refused, naming that relationship's primary.
    const auto standby = learn_relationship(config, "a2");
    ASSERT_FALSE(standby);
    EXPECT_EQ(standby.error().kind, ErrorKind::Conflict);
    EXPECT_NE(standby.error().message.find("in the HA relationship 'a2' this server is standby; register its primary 'b2'"),
              std::string::npos)
        << standby.error().message;

    // A name it does not have: Invalid, listing its relationships.
    const auto unknown = learn_relationship(config, "zz");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().kind, ErrorKind::Invalid);
    EXPECT_NE(unknown.error().message.find("'a1' (primary), 'a2' (standby)"), std::string::npos)
        << unknown.error().message;
}

TEST(LearnTopology, PrimaryOfSeveralRelationships_MustBeNamed) {
    auto config = mutual_a();
    // Make "a" the primary of its second relationship too (a2 primary, b2 standby).
    for (auto& peer : relationship_of(config, 1)["peers"]) peer["role"] = peer["name"] == "a2" ? "primary" : "standby";
    const auto unnamed = learn_relationship(config, "");
    ASSERT_FALSE(unnamed);
    EXPECT_EQ(unnamed.error().kind, ErrorKind::Conflict);
    EXPECT_NE(unnamed.error().message.find("primary of 2 HA relationships ('a1', 'a2')"), std::string::npos)
        << unnamed.error().message;
    const auto second = learn_relationship(config, "a2");
    ASSERT_TRUE(second) << second.error().describe();
    EXPECT_EQ(second->this_server_name, "a2");
    ASSERT_NE(second->find_peer("b2"), nullptr);
    EXPECT_EQ(second->find_peer("b2")->role, PeerRole::Standby);
    EXPECT_EQ(second->find_peer("b1"), nullptr) << "only the named relationship's peers";
}

}  // namespace
}  // namespace kea_ha::core
