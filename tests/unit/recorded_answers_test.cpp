// Every recorded answer of real Kea 2.2, 2.6.3 and 3.0.4 (tests/data/kea-X.Y/, see
// tests/data/README.md) through the product's pure functions: answer parsing, the version
// table, config documents and their hash, transport, topology discovery, status-get
// interpretation and the replication transform. One table row per version; a version
// without a recording of some shape (2.2 has no hub, no status-get files) is left out of
// that suite's instantiation instead of being skipped at run time.

#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kea_ha/core/peer_condition.hpp"
#include "kea_ha/core/preferences.hpp"
#include "kea_ha/core/replication.hpp"
#include "kea_ha/core/topology.hpp"
#include "kea_ha/kea/command.hpp"
#include "kea_ha/kea/kea_version.hpp"
#include "kea_ha/kea/peer_link.hpp"

// Unit tests do not link kea_ha_test_support (and so do not get tests/ on the include path);
// the helper is header-only and needs only KEA_HA_TEST_DATA, which unit tests have.
#include "../support/recorded_answers.hpp"

namespace kea_ha {
namespace {

using core::ErrorKind;
using core::PeerCondition;
using core::PeerRole;
using core::SystemTime;
using kea::ClockSource;
using kea::KeaVersion;
using nlohmann::json;
using testing::recorded_answer;
using testing::recorded_arguments;

const std::optional<std::string> kDhcp4 = "dhcp4";

// ------------------------------------------------------------ what each lab was

/// One recorded lab (tests/data/kea-VERSION): the release it ran and its addresses.
/// Each shape was its own lab, on its own loopback addresses; CAs listen on :8000.
struct Recording {
    std::string version;      ///< the directory's suffix
    KeaVersion kea;           ///< what the daemons were
    std::string pair_host1;   ///< hot-standby pair: server1 (primary) and its CA
    std::string pair_host2;   ///< server2 (standby)
    int ha_port;              ///< the HA `url` port (2.4+: the HA hook's dedicated listener)
    bool dedicated_listener;  ///< HA+MT with http-dedicated-listener (the 2.4+ default)
    // Kea ≥ 2.6 shapes (empty on 2.2):
    std::string hub_host, branch1_host, branch2_host;  ///< hub and spoke
    std::string a_host, b_host;                        ///< mutual pair
    std::optional<SystemTime> status_time;     ///< server1's status-get `system-time` (3.0+)
    std::optional<SystemTime> heartbeat_time;  ///< server1's ha-heartbeat `date-time`
};

SystemTime utc(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
    using namespace std::chrono;
    return time_point_cast<SystemTime::duration>(sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} +
                                                 seconds{ss});
}

const Recording kKea22{"2.2", {2, 2, 0}, "127.0.77.1", "127.0.77.2", 8000, false, "", "", "", "", "", {}, {}};
const Recording kKea26{"2.6",
                       {2, 6, 3},
                       "127.214.187.10",
                       "127.214.187.11",
                       8001,
                       true,
                       "127.150.30.10",
                       "127.150.30.11",
                       "127.150.30.12",
                       "127.193.79.10",
                       "127.193.79.11",
                       std::nullopt,
                       utc(2026, 12, 2, 15, 16, 54)};
const Recording kKea30{"3.0",
                       {3, 0, 4},
                       "127.140.242.10",
                       "127.140.242.11",
                       8001,
                       true,
                       "127.242.174.10",
                       "127.242.174.11",
                       "127.242.174.12",
                       "127.158.213.10",
                       "127.158.213.11",
                       utc(2026, 12, 2, 15, 17, 6),
                       utc(2026, 12, 2, 15, 17, 6)};

// Kea 3.2.0 built from ISC's source (scripts/kea-roots.sh): no Control Agent, every peer on
// its daemon's own HTTP socket at :8000 (the lab's direct transport), with authentication.
const Recording kKea32{"3.2", {3, 2, 0}, "127.147.195.10", "127.147.195.11", 8001, true,
                       "127.124.169.10", "127.124.169.11", "127.124.169.12", "127.115.11.10", "127.115.11.11",
                       utc(2026, 12, 7, 18, 44, 35), utc(2026, 12, 7, 18, 44, 36)};

/// gtest prints a failing row's parameter with this instead of its bytes.
void PrintTo(const Recording& recording, std::ostream* out) { *out << "kea-" << recording.version; }

std::string ca_url(const std::string& host) { return "http://" + host + ":8000/"; }

std::string version_name(const ::testing::TestParamInfo<Recording>& info) {
    std::string name = "Kea" + info.param.version;
    for (auto& c : name) {
        if (c == '.') c = '_';
    }
    return name;
}

/// A peer as learn_topology() gives it: HA url on `ha_port`, control URL its host's CA.
core::HaPeer peer_at(const std::string& name, const std::string& host, int ha_port, PeerRole role) {
    return {name, "http://" + host + ":" + std::to_string(ha_port) + "/", role, true, ca_url(host)};
}

/// SPEC §2 rules as the daemon builds them for a peer of `recording`'s version.
core::ControlUrlRules rules_for(const Recording& recording) {
    core::ControlUrlRules rules;
    rules.control_agent_port = 8000;
    rules.multi_threading_default = kea::capabilities_of(recording.kea).ha_multi_threading_default;
    return rules;
}

std::vector<std::string> peer_local() { return core::Preferences{}.peer_local_parameters; }

std::vector<std::string> warning_codes(const std::vector<core::Warning>& warnings) {
    std::vector<std::string> codes;
    for (const auto& warning : warnings) codes.push_back(warning.code + ": " + warning.message);
    return codes;
}

std::set<std::string> member_names(const json& object) {
    std::set<std::string> names;
    for (const auto& [key, value] : object.items()) names.insert(key);
    return names;
}

/// The high-availability[] list of a config document's Dhcp4.
const json& ha_list(const json& document) {
    for (const auto& hook : document.at("Dhcp4").at("hooks-libraries")) {
        if (hook.at("library").get<std::string>().ends_with("/libdhcp_ha.so")) {
            return hook.at("parameters").at("high-availability");
        }
    }
    throw std::runtime_error("no libdhcp_ha.so in the recorded config");
}

/// `this-server-name` of the relationship whose peers are exactly `peers`; "" when none.
std::string name_in(const json& document, const std::set<std::string>& peers) {
    for (const auto& relationship : ha_list(document)) {
        std::set<std::string> names;
        for (const auto& peer : relationship.at("peers")) names.insert(peer.at("name").get<std::string>());
        if (names == peers) return relationship.at("this-server-name");
    }
    return {};
}

/// The control socket(s) of a document: the singular form up to 2.6, the list from 3.0.
json control_sockets(const json& document) {
    const auto& config = document.at("Dhcp4");
    return json{{"control-socket", config.value("control-socket", json())},
                {"control-sockets", config.value("control-sockets", json())}};
}

/// What one status-get poll of a recorded answer yields, as the poll builds it: the answer
/// parsed with the poll's key filter, then read for the peer `server_name` (partner `partner`).
core::PeerObservation poll_of(const std::string& file, const std::string& version, std::string_view server_name,
                              std::string_view partner = {}) {
    core::PeerObservation observation;
    const auto answer = kea::parse_answer(200, recorded_answer(file, version).dump(), kDhcp4, core::poll_answer_keys());
    if (!answer) {
        observation.error = answer.error();
        return observation;
    }
    observation.reached = true;
    core::read_status_get(answer->arguments, observation, server_name, partner);
    return observation;
}

// ============================================================ every version (2.2, 2.6, 3.0)

class EveryRecording : public ::testing::TestWithParam<Recording> {};

INSTANTIATE_TEST_SUITE_P(Recorded, EveryRecording, ::testing::Values(kKea22, kKea26, kKea30, kKea32), version_name);

TEST_P(EveryRecording, EachFileIsAListOfOneAnswerThatParseAnswerReads) {
    const auto& recording = GetParam();
    const auto dir = std::filesystem::path(KEA_HA_TEST_DATA) / ("kea-" + recording.version);
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".json") continue;
        ++files;
        const auto name = entry.path().filename().string();
        SCOPED_TRACE(recording.version + "/" + name);
        const auto recorded = recorded_answer(name, recording.version);
        ASSERT_TRUE(recorded.is_array() || recording.version == "3.2");

        // Kea 3.2's refusals are bare maps with their HTTP status, and its config-set while
        // kea-lfc runs is refused: kea_version_test reads those (KeaVersionTest.Kea32…).
        if (name == "direct-unauthorized.json" || name == "ha-listener-forbidden.json" ||
            name == "config-set-lfc-running.json") {
            EXPECT_EQ("3.2", recording.version) << "a 3.2 shape elsewhere";
            continue;
        }
        ASSERT_TRUE(recorded.is_array());
        ASSERT_EQ(1u, recorded.size()) << "one command, one service: Kea answers a list of one";
        const auto answer = kea::parse_answer(200, recorded.dump(), kDhcp4);
        if (name == "status-get-daemon-offline.json") {
            // The CA's own answer when kea-dhcp4 is stopped: result 1, "…likely to be offline".
            ASSERT_FALSE(answer);
            EXPECT_EQ(ErrorKind::DaemonOffline, answer.error().kind) << answer.error().describe();
            EXPECT_NE(std::string::npos, answer.error().describe().find("dhcp4")) << answer.error().describe();
            continue;
        }
        ASSERT_TRUE(answer) << answer.error().describe();
        EXPECT_EQ(kea::KeaResult::Success, answer->result);
        EXPECT_EQ(recorded[0].value("text", ""), answer->text);
        EXPECT_EQ(recorded[0].at("arguments"), answer->arguments);
    }
    EXPECT_GE(files, 9) << "the recording of " << recording.version << " is incomplete";
}

TEST_P(EveryRecording, ConfigGetHasAHashExactlyWhenTheVersionTableSaysSo) {
    const auto& recording = GetParam();
    const auto caps = kea::capabilities_of(recording.kea);
    for (const char* file : {"config-get-hot-standby-primary.json", "config-get-hot-standby-standby.json"}) {
        SCOPED_TRACE(file);
        const std::set<std::string> expect =
            caps.config_hash ? std::set<std::string>{"Dhcp4", "hash"} : std::set<std::string>{"Dhcp4"};
        EXPECT_EQ(expect, member_names(recorded_arguments(file, recording.version)));
    }
}

TEST_P(EveryRecording, CanonicalConfig_DropsTheHashAndKeepsTheDhcp4Document) {
    const auto& recording = GetParam();
    const auto document = recorded_arguments("config-get-hot-standby-primary.json", recording.version);
    const auto canonical = core::canonical_config(document, "dhcp4");
    ASSERT_TRUE(canonical) << canonical.error().describe();
    EXPECT_EQ((json{{"Dhcp4", document.at("Dhcp4")}}), *canonical);
    EXPECT_TRUE(core::same_config(document, *canonical));
    // Through the CA with a service, and on a daemon's own socket, config-get answers this
    // shape: the transport probe (config-get without a service) would read it as direct.
    const auto transport = kea::transport_from_config_get(document, "dhcp4");
    ASSERT_TRUE(transport) << transport.error().describe();
    EXPECT_EQ(kea::Transport::Direct, *transport);
}

TEST_P(EveryRecording, Pair_PrimaryRegistersWithTheStandbyAtItsControlUrl) {
    const auto& recording = GetParam();
    const auto registered = ca_url(recording.pair_host1);
    const auto topology = core::learn_topology(recorded_arguments("config-get-hot-standby-primary.json",
                                                                  recording.version),
                                               "dhcp4", registered, rules_for(recording), "dhcp-a");
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_EQ(core::HaMode::HotStandby, topology->mode);
    EXPECT_EQ("server1", topology->this_server_name);
    EXPECT_EQ(recording.dedicated_listener, topology->dedicated_listener);
    // The primary's control URL is where it was registered; SPEC §2: with the dedicated HA
    // listener (:8001) the standby's is that host on keaControlAgentPort, where its CA
    // listens; without it (2.2, HA url on :8000), the HA url itself.
    const std::vector<core::HaPeer> peers = {
        peer_at("server1", recording.pair_host1, recording.ha_port, PeerRole::Primary),
        peer_at("server2", recording.pair_host2, recording.ha_port, PeerRole::Standby)};
    EXPECT_EQ(peers, topology->peers);
    // The rule gives the primary's own CA too: where it was registered.
    const auto primary_control = core::control_url_for("server1", peer_at("server1", recording.pair_host1,
                                                                          recording.ha_port, PeerRole::Primary).url,
                                                       recording.dedicated_listener, rules_for(recording));
    ASSERT_TRUE(primary_control);
    EXPECT_EQ(registered, *primary_control);
    EXPECT_TRUE(topology->has_lease_cmds);
    EXPECT_EQ(1u, topology->relationships.size());
    // The standby's own HA config agrees with the primary's.
    EXPECT_EQ(std::vector<std::string>{},
              warning_codes(core::compare_peer_topology(
                  *topology, "server2", recorded_arguments("config-get-hot-standby-standby.json", recording.version))));
}

TEST_P(EveryRecording, Pair_StandbyIsRefusedNamingThePrimaryAtItsControlUrl) {
    const auto& recording = GetParam();
    const auto topology = core::learn_topology(recorded_arguments("config-get-hot-standby-standby.json",
                                                                  recording.version),
                                               "dhcp4", ca_url(recording.pair_host2), rules_for(recording));
    ASSERT_FALSE(topology);
    EXPECT_EQ(ErrorKind::Conflict, topology.error().kind);
    // Never the HA listener's :8001, which refuses config commands from 3.0.
    EXPECT_EQ("this server is 'server2' (standby); register the primary 'server1' at " + ca_url(recording.pair_host1),
              topology.error().describe());
}

TEST_P(EveryRecording, Pair_PrimaryTransformedForTheStandbyEqualsTheStandbysOwn) {
    const auto& recording = GetParam();
    const auto primary = recorded_arguments("config-get-hot-standby-primary.json", recording.version);
    const auto standby = recorded_arguments("config-get-hot-standby-standby.json", recording.version);
    ASSERT_FALSE(core::same_config(primary, standby));  // names and paths differ
    const auto out = core::transform_for(primary, "dhcp4", "server2", standby, peer_local());
    ASSERT_TRUE(out) << out.error().describe();
    EXPECT_TRUE(core::same_config(*out, standby)) << json::diff(standby, *out).dump(1);
    EXPECT_FALSE(out->contains("hash"));
    EXPECT_EQ("server2", name_in(*out, {"server1", "server2"}));
    EXPECT_EQ(control_sockets(standby), control_sockets(*out));
    // …and back: the standby as SoT (primary away) gives the primary its own config.
    const auto back = core::transform_for(standby, "dhcp4", "server1", primary, peer_local());
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_TRUE(core::same_config(*back, primary)) << json::diff(primary, *back).dump(1);
}

// ============================================================ Kea ≥ 2.4 (2.6.3, 3.0.4)

class RecordingSince24 : public ::testing::TestWithParam<Recording> {};

INSTANTIATE_TEST_SUITE_P(Recorded, RecordingSince24, ::testing::Values(kKea26, kKea30, kKea32), version_name);

TEST_P(RecordingSince24, VersionGet_GivesTheReleaseAndItsCapabilities) {
    const auto& recording = GetParam();
    const auto answer = kea::parse_answer(200, recorded_answer("version-get.json", recording.version).dump(), kDhcp4);
    ASSERT_TRUE(answer) << answer.error().describe();
    EXPECT_EQ(recording.kea, kea::parse_kea_version(answer->text));
    // `extended` starts with the same release ("2.6.3 (tarball)\npremium: no…").
    EXPECT_EQ(recording.kea, kea::parse_kea_version(answer->arguments.at("extended").get<std::string>()));

    const auto caps = kea::capabilities_of(kea::parse_kea_version(answer->text));
    const bool is30 = recording.kea >= KeaVersion{3, 0, 0};
    EXPECT_EQ(recording.kea, caps.version);
    EXPECT_TRUE(caps.config_hash);
    EXPECT_TRUE(caps.ha_multi_threading_default);
    EXPECT_TRUE(caps.several_relationships);
    EXPECT_EQ(is30 ? ClockSource::StatusGet : ClockSource::HaHeartbeat, caps.clock_source);
    EXPECT_TRUE(caps.status_dhcp_state);  // 2.6.3 and 3.0.4 both carry dhcp-state
}

TEST_P(RecordingSince24, ConfigHashGet_EqualsTheHashOfConfigGet) {
    // Recorded seconds apart from the same unchanged primary: the same SHA-256.
    const auto& recording = GetParam();
    const auto hash = recorded_arguments("config-hash-get.json", recording.version);
    ASSERT_EQ(1u, hash.size()) << hash.dump();
    const auto value = hash.at("hash").get<std::string>();
    EXPECT_EQ(64u, value.size());
    EXPECT_EQ(std::string::npos, value.find_first_not_of("0123456789ABCDEF")) << value;
    EXPECT_EQ(value, recorded_arguments("config-get-hot-standby-primary.json", recording.version).at("hash"));
    // Another daemon's config has another hash.
    EXPECT_NE(value, recorded_arguments("config-get-hot-standby-standby.json", recording.version).at("hash"));
}

TEST_P(RecordingSince24, StatusGetClockFields_FollowTheClockSourceOfTheVersion) {
    const auto& recording = GetParam();
    const auto caps = kea::capabilities_of(recording.kea);
    const auto arguments = recorded_arguments("status-get-hot-standby-primary.json", recording.version);
    const auto& servers = arguments.at("high-availability").at(0).at("ha-servers");
    EXPECT_EQ(caps.clock_source == ClockSource::StatusGet, servers.at("local").contains("system-time"));
    EXPECT_EQ(caps.clock_source == ClockSource::StatusGet, servers.at("remote").contains("clock-skew"));
    // 2.6+: server-name on both sides (the hub's entries are told apart by it).
    EXPECT_EQ("server1", servers.at("local").at("server-name"));
    EXPECT_EQ("server2", servers.at("remote").at("server-name"));
}

TEST_P(RecordingSince24, StatusGetDhcpState_IsThereExactlyWhenTheVersionTableSaysSo) {
    const auto& recording = GetParam();
    const auto caps = kea::capabilities_of(recording.kea);
    const bool carried =
        recorded_arguments("status-get-hot-standby-primary.json", recording.version).contains("dhcp-state");
    EXPECT_EQ(caps.status_dhcp_state, carried);
}

TEST_P(RecordingSince24, ConfigGetOfTheCa_IsTheAgentTransportAndNotAConfigDocument) {
    const auto& recording = GetParam();
    if (!kea::capabilities_of(recording.kea).control_agent) {
        // 3.2 has no CA: config-get without a service reaches the daemon itself.
        const auto transport =
            kea::transport_from_config_get(recorded_arguments("config-get-hot-standby-primary.json", recording.version), "dhcp4");
        ASSERT_TRUE(transport) << transport.error().describe();
        EXPECT_EQ(kea::Transport::Direct, *transport);
        return;
    }
    const auto arguments = recorded_arguments("config-get-ca.json", recording.version);
    const auto transport = kea::transport_from_config_get(arguments, "dhcp4");
    ASSERT_TRUE(transport) << transport.error().describe();
    EXPECT_EQ(kea::Transport::Agent, *transport);
    // The CA the primary was registered at: the SPEC §2 control URL of server1.
    const auto& agent = arguments.at("Control-agent");
    const std::string listens = "http://" + agent.at("http-host").get<std::string>() + ":" +
                                std::to_string(agent.at("http-port").get<int>()) + "/";
    EXPECT_EQ(ca_url(recording.pair_host1), listens);
    // A CA's config is never taken for a DHCP config document.
    const auto canonical = core::canonical_config(arguments, "dhcp4");
    ASSERT_FALSE(canonical);
    EXPECT_EQ(ErrorKind::Invalid, canonical.error().kind);
    EXPECT_FALSE(core::learn_topology(arguments, "dhcp4", ca_url(recording.pair_host1), rules_for(recording)));
}

// ------------------------------------------------------------ status-get → condition

struct StatusRow {
    const char* file;
    PeerRole role;
    const char* server;  ///< the peer's this-server-name (read_status_get's server_name)
    const char* partner;
    PeerCondition expect;
    std::optional<std::string> ha_state;
};

TEST_P(RecordingSince24, StatusGet_GivesTheSpecCondition) {
    const auto& recording = GetParam();
    const StatusRow rows[] = {
        {"status-get-hot-standby-primary.json", PeerRole::Primary, "server1", "server2", PeerCondition::Active,
         "hot-standby"},
        {"status-get-hot-standby-standby.json", PeerRole::Standby, "server2", "server1", PeerCondition::Active,
         "hot-standby"},
        // The primary stopped: the standby took over.
        {"status-get-partner-down.json", PeerRole::Standby, "server2", "server1", PeerCondition::Active,
         "partner-down"},
        // dhcp-disable on the standby: its HA state stays hot-standby, the service is off.
        // Kea 2.6.3 reports dhcp-state too (recorded), so this holds on both.
        {"status-get-disabled-by-user.json", PeerRole::Standby, "server2", "server1", PeerCondition::Disabled,
         "hot-standby"},
        // kea-dhcp4 stopped behind its CA.
        {"status-get-daemon-offline.json", PeerRole::Standby, "server2", "server1", PeerCondition::Unreachable,
         std::nullopt},
        {"status-get-hub.json", PeerRole::Standby, "hub1", "branch1", PeerCondition::Active, "hot-standby"},
        {"status-get-mutual-a.json", PeerRole::Primary, "a1", "b1", PeerCondition::Active, "hot-standby"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.file);
        if (!kea::capabilities_of(recording.kea).control_agent && std::string(row.file) == "status-get-daemon-offline.json") {
            continue;  // no CA on 3.2 to answer for a stopped daemon: its socket refuses (KeaLab tests)
        }
        const auto observation = poll_of(row.file, recording.version, row.server, row.partner);
        EXPECT_EQ(row.ha_state, observation.ha_state);
        const auto classified = core::classify(row.role, false, observation);
        EXPECT_EQ(row.expect, classified.condition)
            << "expected " << core::to_string(row.expect) << ", got " << core::to_string(classified.condition) << ": "
            << classified.reason;
        EXPECT_FALSE(classified.unknown_state) << classified.reason;
        if (row.expect == PeerCondition::Unreachable) {
            ASSERT_TRUE(observation.error);
            EXPECT_EQ(ErrorKind::DaemonOffline, observation.error->kind);
            EXPECT_NE(std::string::npos, classified.reason.find("offline")) << classified.reason;
        }
    }
}

TEST_P(RecordingSince24, StatusGetAndHeartbeat_GiveThePeerClockWhereTheVersionHasIt) {
    const auto& recording = GetParam();
    const auto primary = poll_of("status-get-hot-standby-primary.json", recording.version, "server1", "server2");
    EXPECT_EQ(recording.status_time, primary.stamped_time);
    EXPECT_FALSE(primary.peer_time);  // status-get's system-time is a stamp, never "now"
    // What the primary reports of its partner, in touch (every version from 2.6).
    ASSERT_TRUE(primary.partner);
    EXPECT_EQ(false, primary.partner->communication_interrupted);
    EXPECT_EQ(true, primary.partner->in_touch);
    EXPECT_EQ("server2", primary.partner->name);
    if (recording.status_time) {
        EXPECT_EQ(0.0, primary.reported_clock_skew_s);  // both peers on one machine
    } else {
        EXPECT_FALSE(primary.reported_clock_skew_s);
    }
    // Partner down (3.0: "system-time": null, "clock-skew": null): no clock, no skew, no failure.
    const auto alone = poll_of("status-get-partner-down.json", recording.version, "server2", "server1");
    EXPECT_EQ("partner-down", alone.ha_state);
    EXPECT_FALSE(alone.reported_clock_skew_s);
    EXPECT_FALSE(alone.peer_time);
    EXPECT_FALSE(alone.stamped_time);
    ASSERT_TRUE(alone.partner);
    EXPECT_EQ(true, alone.partner->communication_interrupted);
    EXPECT_EQ("unavailable", alone.partner->last_state);

    const auto heartbeat = kea::parse_answer(200, recorded_answer("ha-heartbeat.json", recording.version).dump(),
                                             kDhcp4, core::poll_answer_keys());
    ASSERT_TRUE(heartbeat) << heartbeat.error().describe();
    core::PeerObservation observation;
    core::read_ha_heartbeat(heartbeat->arguments, observation);
    EXPECT_EQ("hot-standby", observation.ha_state);
    EXPECT_EQ(recording.heartbeat_time, observation.peer_time);
}

/// The recorded answer with the local HA state of high-availability[entry] replaced: in the
/// recordings every relationship is in hot-standby, so the entry read cannot be told by its
/// state otherwise.
json with_state(json answer, std::size_t entry, const std::string& state) {
    answer.at(0).at("arguments").at("high-availability").at(entry).at("ha-servers").at("local")["state"] = state;
    return answer;
}

TEST_P(RecordingSince24, StatusGetOfAServerInTwoRelationships_IsReadForTheRelationshipAsked) {
    const auto& recording = GetParam();
    struct Row {
        const char* file;
        const char* server;
        const char* partner;
        const char* expect;  ///< entry 0 stays "hot-standby", entry 1 is made "partner-down"
    };
    const Row rows[] = {
        {"status-get-hub.json", "hub1", "branch1", "hot-standby"},
        {"status-get-hub.json", "hub2", "branch2", "partner-down"},
        {"status-get-hub.json", "hub2", "", "partner-down"},
        {"status-get-hub.json", "", "branch2", "partner-down"},
        {"status-get-mutual-a.json", "a1", "b1", "hot-standby"},
        {"status-get-mutual-a.json", "a2", "b2", "partner-down"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(std::string(row.file) + " " + row.server + "/" + row.partner);
        const auto answer = with_state(recorded_answer(row.file, recording.version), 1, "partner-down");
        const auto parsed = kea::parse_answer(200, answer.dump(), kDhcp4, core::poll_answer_keys());
        ASSERT_TRUE(parsed) << parsed.error().describe();
        core::PeerObservation observation;
        core::read_status_get(parsed->arguments, observation, row.server, row.partner);
        EXPECT_EQ(row.expect, observation.ha_state);
    }
}

// ------------------------------------------------------------ hub and spoke

TEST_P(RecordingSince24, Hub_IsRefusedNamingBothPrimariesAtTheirControlUrls) {
    const auto& recording = GetParam();
    const auto hub = recorded_arguments("config-get-hub.json", recording.version);
    const auto topology = core::learn_topology(hub, "dhcp4", ca_url(recording.hub_host), rules_for(recording));
    ASSERT_FALSE(topology);
    EXPECT_EQ(ErrorKind::Conflict, topology.error().kind);
    EXPECT_EQ("this server is 'hub1' (standby), 'hub2' (standby) in 2 HA relationships and the primary of none; "
              "register a primary instead: 'branch1' at " +
                  ca_url(recording.branch1_host) + ", 'branch2' at " + ca_url(recording.branch2_host),
              topology.error().describe());

    // One listener port per relationship on the hub; one CA (control URL) for both.
    const auto relationships = core::parse_ha_relationships(hub.at("Dhcp4"), rules_for(recording));
    ASSERT_TRUE(relationships) << relationships.error().describe();
    ASSERT_EQ(2u, relationships->size());
    const auto* hub1 = (*relationships)[0].find_peer("hub1");
    const auto* hub2 = (*relationships)[1].find_peer("hub2");
    ASSERT_TRUE(hub1 && hub2);
    EXPECT_EQ("http://" + recording.hub_host + ":8001/", hub1->url);
    EXPECT_EQ("http://" + recording.hub_host + ":8002/", hub2->url);
    EXPECT_EQ(ca_url(recording.hub_host), hub1->control_url);
    EXPECT_EQ(ca_url(recording.hub_host), hub2->control_url);
    EXPECT_EQ("branch1", (*relationships)[0].primary()->name);
    EXPECT_EQ("branch2", (*relationships)[1].primary()->name);
    EXPECT_EQ("{branch1+hub1, branch2+hub2}", core::describe_relationships(hub, "dhcp4"));
}

TEST_P(RecordingSince24, Branch_RegistersWithTheHubAsItsStandby) {
    const auto& recording = GetParam();
    const auto branch1 = recorded_arguments("config-get-branch1.json", recording.version);
    const auto hub = recorded_arguments("config-get-hub.json", recording.version);
    const auto rules = rules_for(recording);
    const auto topology = core::learn_topology(branch1, "dhcp4", ca_url(recording.branch1_host), rules);
    ASSERT_TRUE(topology) << topology.error().describe();
    EXPECT_EQ("branch1", topology->this_server_name);
    EXPECT_TRUE(topology->dedicated_listener);
    EXPECT_EQ((std::vector<core::HaPeer>{peer_at("branch1", recording.branch1_host, 8001, PeerRole::Primary),
                                         peer_at("hub1", recording.hub_host, 8001, PeerRole::Standby)}),
              topology->peers);
    EXPECT_EQ(1u, topology->relationships.size());
    // The hub's own config agrees with the branch's view of their relationship (its other
    // relationship is not a disagreement).
    EXPECT_EQ(std::vector<std::string>{}, warning_codes(core::compare_peer_topology(*topology, "hub1", hub)));
    // Learned again from the hub (the SoT while branch1 is away): the same cluster.
    const auto again = core::learn_topology_from_peer(hub, "hub1", *topology, rules);
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_EQ("branch1", again->this_server_name);
    EXPECT_EQ(topology->peers, again->peers);
    EXPECT_EQ(topology->registered_url, again->registered_url);
}

TEST_P(RecordingSince24, HubAndBranch_WholeConfigIsRefusedNamingBothSetsEitherWay) {
    const auto& recording = GetParam();
    const auto branch1 = recorded_arguments("config-get-branch1.json", recording.version);
    const auto hub = recorded_arguments("config-get-hub.json", recording.version);
    const auto onto_hub = core::relationship_mismatch(branch1, hub, "dhcp4", "branch1", "hub1");
    ASSERT_TRUE(onto_hub);
    EXPECT_EQ("refusing to write the whole config of branch1 onto hub1: its HA relationships "
              "{branch1+hub1, branch2+hub2} differ from the source of truth's {branch1+hub1}; replicating only the "
              "shared relationship is not supported yet (SPEC §5)",
              *onto_hub);
    const auto onto_branch = core::relationship_mismatch(hub, branch1, "dhcp4", "hub1", "branch1");
    ASSERT_TRUE(onto_branch);
    EXPECT_EQ("refusing to write the whole config of hub1 onto branch1: its HA relationships {branch1+hub1} differ "
              "from the source of truth's {branch1+hub1, branch2+hub2}; replicating only the shared relationship "
              "is not supported yet (SPEC §5)",
              *onto_branch);
    // The transform refuses both ways, whatever the config holds.
    for (const auto& [sot, target_name, target] :
         {std::tuple{branch1, "hub1", hub}, std::tuple{hub, "branch1", branch1}}) {
        SCOPED_TRACE(std::string("onto ") + target_name);
        const auto out = core::transform_for(sot, "dhcp4", target_name, target, peer_local());
        ASSERT_FALSE(out);
        EXPECT_EQ(ErrorKind::Conflict, out.error().kind);
        EXPECT_NE(std::string::npos, out.error().message.find("{branch1+hub1, branch2+hub2}")) << out.error().message;
    }
}

// ------------------------------------------------------------ mutual pair

TEST_P(RecordingSince24, MutualPair_EachRegistersWhereItIsPrimary) {
    const auto& recording = GetParam();
    struct Row {
        const char* file;
        const std::string& host;
        const char* primary;  ///< its name where it is primary
        const char* partner;  ///< the other server's name there
        const std::string& partner_host;
        const char* partner_file;
        int ha_port;          ///< the relationship's listener port
    };
    // b is standby b1 first and primary b2 second: the relationship where it is primary.
    const Row rows[] = {
        {"config-get-mutual-a.json", recording.a_host, "a1", "b1", recording.b_host, "config-get-mutual-b.json", 8001},
        {"config-get-mutual-b.json", recording.b_host, "b2", "a2", recording.a_host, "config-get-mutual-a.json", 8002},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.file);
        const auto topology = core::learn_topology(recorded_arguments(row.file, recording.version), "dhcp4",
                                                   ca_url(row.host), rules_for(recording));
        ASSERT_TRUE(topology) << topology.error().describe();
        EXPECT_EQ(row.primary, topology->this_server_name);
        EXPECT_EQ((std::vector<core::HaPeer>{peer_at(row.primary, row.host, row.ha_port, PeerRole::Primary),
                                             peer_at(row.partner, row.partner_host, row.ha_port, PeerRole::Standby)}),
                  topology->peers);
        EXPECT_EQ(2u, topology->relationships.size());
        EXPECT_EQ(std::vector<std::string>{},
                  warning_codes(core::compare_peer_topology(*topology, row.partner,
                                                            recorded_arguments(row.partner_file, recording.version))));
    }
}

TEST_P(RecordingSince24, MutualPair_TransformKeepsTheTargetsNamesInBothRelationships) {
    const auto& recording = GetParam();
    const auto a = recorded_arguments("config-get-mutual-a.json", recording.version);
    const auto b = recorded_arguments("config-get-mutual-b.json", recording.version);
    EXPECT_EQ(std::nullopt, core::relationship_mismatch(a, b, "dhcp4", "a1", "b1"));
    struct Row {
        const char* name;
        const json& sot;
        const char* target_name;
        const json& target;
        const char* first;   ///< the target's name in {a1, b1}
        const char* second;  ///< the target's name in {a2, b2}
    };
    const Row rows[] = {
        {"a (a1 primary) onto b", a, "b1", b, "b1", "b2"},
        {"b (b2 primary) onto a", b, "a2", a, "a1", "a2"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        const auto out = core::transform_for(row.sot, "dhcp4", row.target_name, row.target, peer_local());
        ASSERT_TRUE(out) << out.error().describe();
        EXPECT_EQ(row.first, name_in(*out, {"a1", "b1"}));
        EXPECT_EQ(row.second, name_in(*out, {"a2", "b2"}));
        EXPECT_EQ(control_sockets(row.target), control_sockets(*out));
        EXPECT_TRUE(core::same_config(*out, row.target)) << json::diff(row.target, *out).dump(1);
    }
}

// ------------------------------------------------------------ Kea 3.0 without a CA

TEST(RecordedKea30Direct, DaemonsOwnSocket_IsTheDirectTransportWithTheSameShapes) {
    const auto config = recorded_arguments("direct-config-get.json", "3.0");
    const auto transport = kea::transport_from_config_get(config, "dhcp4");
    ASSERT_TRUE(transport) << transport.error().describe();
    EXPECT_EQ(kea::Transport::Direct, *transport);
    // The same members as a config-get through the CA with "service": ["dhcp4"].
    EXPECT_EQ(member_names(recorded_arguments("config-get-hot-standby-primary.json", "3.0")), member_names(config));
    const auto canonical = core::canonical_config(config, "dhcp4");
    ASSERT_TRUE(canonical) << canonical.error().describe();
    EXPECT_FALSE(canonical->contains("hash"));

    // The daemon's HTTP socket is in `control-sockets`, next to the unix one.
    const auto& sockets = config.at("Dhcp4").at("control-sockets");
    ASSERT_EQ(2u, sockets.size());
    const auto& http = sockets.at(1);
    EXPECT_EQ("http", http.at("socket-type"));
    EXPECT_EQ("basic", http.at("authentication").at("type"));
    const std::string registered = "http://" + http.at("socket-address").get<std::string>() + ":" +
                                   std::to_string(http.at("socket-port").get<int>()) + "/";
    EXPECT_EQ("http://127.148.211.10:8000/", registered);

    // Registered there: the standby's control URL follows the same rule (its socket on :8000).
    const auto topology = core::learn_topology(config, "dhcp4", registered, rules_for(kKea30));
    ASSERT_TRUE(topology) << topology.error().describe();
    ASSERT_EQ(2u, topology->peers.size());
    EXPECT_EQ(registered, topology->peers[0].control_url);
    EXPECT_EQ("http://127.148.211.11:8000/", topology->peers[1].control_url);

    const auto status = poll_of("direct-status-get.json", "3.0", "server1", "server2");
    EXPECT_EQ(PeerCondition::Active, core::classify(PeerRole::Primary, false, status).condition);
    EXPECT_EQ(utc(2026, 12, 2, 15, 17, 21), status.stamped_time);
    EXPECT_EQ(true, status.dhcp_enabled);
}

}  // namespace
}  // namespace kea_ha
