// End-to-end: config replication (SPEC §5, issue 4) by the real controller on real Kea pairs
// (every lab version), DHCPv4 and DHCPv6 (issue 27 point 1): each test runs once per service,
// the v6 variant with the v6 spelling of what it changes (support/service_config.hpp).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"
#include "support/service_config.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::lab::wait_until;
using kea_ha::testing::lease_file;
using kea_ha::testing::other_pool;
using kea_ha::testing::other_subnet;
using kea_ha::testing::service_key;
using kea_ha::testing::subnet_list_key;

const std::map<std::string, std::string> kSettings = {
    {"keaPollInterval", "0.5"}, {"keaRequestTimeout", "1"}, {"keaConfigTimeout", "10"}};

kea_ha::lab::LabOptions lab_for(const std::string& service) {
    kea_ha::lab::LabOptions options;
    options.service = service;
    return options;
}

/// The lab (of the test's service) and the controller (support/lab_controller.hpp), plus a
/// merge patch of the config.
struct Pair : kea_ha::testing::LabController {
    explicit Pair(const std::string& service, std::map<std::string, std::string> settings = kSettings)
        : LabController("kea-ha-repl", std::move(settings), lab_for(service)), service(service), key(kea_ha::testing::service_key(service)) {}

    const std::string service;  ///< "dhcp4" or "dhcp6"
    const std::string key;      ///< "Dhcp4" or "Dhcp6"

    nlohmann::json lifetime_patch(int seconds) const { return kea_ha::testing::lifetime_patch(service, seconds); }

    kea_ha::core::Result<kea_ha::testing::HttpReply> patch(const nlohmann::json& merge,
                                                          std::map<std::string, std::string> headers = {}) {
        headers["Content-Type"] = "application/merge-patch+json";
        return controller->request("PATCH", "/v1/clusters/pair/config", merge.dump(), headers);
    }
};

std::string this_server_name(const nlohmann::json& config) {
    for (const auto& hook : config["hooks-libraries"]) {
        if (hook["library"].get<std::string>().find("libdhcp_ha.so") != std::string::npos) {
            return hook["parameters"]["high-availability"][0]["this-server-name"];
        }
    }
    return {};
}

std::string outcome_of(const nlohmann::json& answer, const std::string& peer) {
    for (const auto& p : answer["peers"]) {
        if (p["name"] == peer) return p["outcome"];
    }
    return "absent";
}

bool has_event(const nlohmann::json& events, const std::string& kind, const std::string& peer = {}) {
    for (const auto& e : events) {
        if (e.value("kind", "") == kind && (peer.empty() || (e["peer"].is_string() && e["peer"] == peer))) return true;
    }
    return false;
}

class ReplicationE2E : public ::testing::TestWithParam<std::string> {};

TEST_P(ReplicationE2E, MergePatchReachesEveryPeerEachKeepingItsIdentity) {
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    auto read = p.controller->request("GET", "/v1/clusters/pair/config");
    ASSERT_TRUE(read);
    ASSERT_EQ(read->status, 200u) << read->body;
    ASSERT_TRUE(read->headers.count("etag")) << "no ETag";
    auto document = nlohmann::json::parse(read->body);
    ASSERT_TRUE(document.contains(p.key));
    EXPECT_FALSE(document[p.key].contains("hash"));

    const auto standby_before = p.kea_config("server2");
    auto changed = p.patch(p.lifetime_patch(7201), {{"If-Match", read->headers["etag"]}});
    ASSERT_TRUE(changed);
    ASSERT_EQ(changed->status, 200u) << changed->body << p.explain();
    auto answer = nlohmann::json::parse(changed->body);
    EXPECT_EQ(outcome_of(answer, "server1"), "applied") << answer.dump();
    EXPECT_EQ(outcome_of(answer, "server2"), "applied") << answer.dump();
    EXPECT_EQ(answer["generation"], 1);

    for (const std::string peer : {"server1", "server2"}) {
        auto config = p.kea_config(peer);
        EXPECT_EQ(config["valid-lifetime"], 7201) << peer;
        EXPECT_EQ(this_server_name(config), peer);
    }
    // Peer-local parameters stayed the standby's own (on Dhcp6 its own DUID above all).
    const auto standby_after = p.kea_config("server2");
    if (p.service == "dhcp6") {
        ASSERT_TRUE(standby_after.contains("server-id")) << standby_after.dump();
        EXPECT_NE(standby_after["server-id"], p.kea_config("server1")["server-id"]) << "two servers with one DUID";
    }
    // (Kea 3.0 answers the singular control-socket as a control-sockets list.)
    for (const std::string key : {"control-socket", "control-sockets", "lease-database", "loggers", "server-id"}) {
        EXPECT_EQ(standby_after.value(key, nlohmann::json()).dump(), standby_before.value(key, nlohmann::json()).dump())
            << key;
    }
    EXPECT_TRUE(standby_after.contains("control-socket") || standby_after.contains("control-sockets"));

    // Both back in hot-standby, and the cluster never stopped being OK (SPEC §4 grace).
    auto hot_standby = [&](const std::string& peer) {
        auto state = p.lab->ha_state(peer);
        return state && *state == "hot-standby";
    };
    EXPECT_TRUE(wait_until([&] { return hot_standby("server1") && hot_standby("server2"); },
                           20s, 100ms));
    EXPECT_TRUE(p.wait_state("OK", "server1")) << p.explain();
    auto events = p.controller->get_json("/v1/clusters/pair/events");
    ASSERT_TRUE(events);
    for (const auto& e : *events) {
        EXPECT_FALSE(e["kind"] == "cluster-state" && e["to"] == "Impaired") << "false alarm: " << e.dump();
    }
    EXPECT_TRUE(has_event(*events, "config-change"));
    // The HA restart our own config-set caused started no second replication.
    EXPECT_FALSE(has_event(*events, "config-synced")) << events->dump(1);
    auto d = p.detail();
    for (const auto& peer : d["peers"]) EXPECT_EQ(peer["in_sync"], true) << peer.dump();
    // The log line names the outcome and each phase's time (docs/troubleshooting.md).
    const std::regex logged(R"(info  \[replication\] config changed cluster=pair generation=1 by=anonymous client=127\.0\.0\.1:\d+ source_of_truth=server1 )"
                            R"(peers=server1:applied,server2:applied seconds=\d+\.\d{3} read=\d+\.\d{3} )"
                            R"(test=\d+\.\d{3} sot_set=\d+\.\d{3} writes=\d+\.\d{3}\n)");
    EXPECT_TRUE(wait_until([&] { return std::regex_search(p.controller->log(), logged); }, 5s, 100ms))
        << p.controller->log();
}

// Kea 3.2 refuses config-set while its lease file cleanup (kea-lfc) runs: the controller sends
// it again within keaConfigTimeout. A live process named in the standby's LFC pid file is, for
// Kea, a running kea-lfc (Memfile_LeaseMgr::isLFCProcessRunning); the file goes once the
// controller has said it waits.
TEST_P(ReplicationE2E, ConfigSetWaitsForTheLeaseFileCleanup_Kea32) {
    const std::string kea = kea_ha::lab::LabOptions{}.kea_version;
    if (kea != "3.2") GTEST_SKIP() << "config-set waits for the lease file cleanup from Kea 3.2 on";
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    const std::string pid_file = p.lab->directory() + "/server2/" + lease_file(p.service) + ".pid";
    std::ofstream(pid_file) << ::getpid() << "\n";
    auto refused = p.lab->command("server2", "config-set", {{p.key, p.kea_config("server2")}});
    ASSERT_TRUE(refused) << refused.error().describe();
    ASSERT_NE((*refused)["text"].get<std::string>().find("lease file cleanup process is running"), std::string::npos)
        << refused->dump();

    std::thread cleanup_ends([&] {
        wait_until([&] { return p.controller->log().find("config-set waits for the lease file cleanup") !=
                                std::string::npos; },
                   20s);
        std::filesystem::remove(pid_file);
    });
    auto changed = p.patch(p.lifetime_patch(7209));
    cleanup_ends.join();
    ASSERT_TRUE(changed);
    ASSERT_EQ(changed->status, 200u) << changed->body << p.explain();
    const auto answer = nlohmann::json::parse(changed->body);
    EXPECT_EQ(outcome_of(answer, "server2"), "applied") << answer.dump();
    EXPECT_NE(p.controller->log().find("config-set waits for the lease file cleanup cluster=pair peer=server2"),
              std::string::npos)
        << p.explain();
    EXPECT_EQ(p.kea_config("server2")["valid-lifetime"], 7209);
}

TEST_P(ReplicationE2E, InvalidChangeIsRefusedWithKeasTextAndNothingChanges) {
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    const auto primary_before = p.kea_config("server1");
    const auto standby_before = p.kea_config("server2");
    auto bad = p.patch({{p.key, {{subnet_list_key(p.service), {{{"id", 9}, {"subnet", "nope"}}}}}}});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 422u) << bad->body;
    EXPECT_NE(bad->body.find("rejected"), std::string::npos) << bad->body;
    EXPECT_NE(bad->body.find("server"), std::string::npos) << bad->body;
    EXPECT_NE(bad->body.find("nope"), std::string::npos) << "Kea's own text expected: " << bad->body;
    EXPECT_EQ(p.kea_config("server1"), primary_before);
    EXPECT_EQ(p.kea_config("server2"), standby_before);

    // Malformed patches never reach Kea.
    auto not_json = p.controller->request("PATCH", "/v1/clusters/pair/config", "{",
                                          {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_TRUE(not_json);
    EXPECT_EQ(not_json->status, 400u);
    auto bad_op = p.controller->request("PATCH", "/v1/clusters/pair/config",
                                        R"([{"op":"replace","path":"/)" + p.key + R"(/nope/x","value":1}])",
                                        {{"Content-Type", "application/json-patch+json"}});
    ASSERT_TRUE(bad_op);
    EXPECT_EQ(bad_op->status, 400u) << bad_op->body;
}

TEST_P(ReplicationE2E, StaleIfMatchIs412AndExternalChangeWaitsForSync) {
    auto settings = kSettings;
    settings["keaConfigSyncInterval"] = "10";
    Pair p(GetParam(), settings);
    ASSERT_TRUE(p.up()) << p.explain();
    auto read = p.controller->request("GET", "/v1/clusters/pair/config");
    ASSERT_TRUE(read && read->status == 200u);
    const std::string etag = read->headers["etag"];

    // An external config-set on the primary, behind the controller's back.
    auto external = p.kea_config("server1");
    external["valid-lifetime"] = 5555;
    auto set = p.lab->command("server1", "config-set", {{p.key, external}});
    ASSERT_TRUE(set && set->value("result", -1) == 0) << (set ? set->dump() : set.error().describe());

    auto stale = p.patch(p.lifetime_patch(6000), {{"If-Match", etag}});
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->status, 412u) << stale->body;
    EXPECT_TRUE(stale->headers.count("etag"));
    EXPECT_NE(stale->headers["etag"], etag);

    // Detected at keaConfigSyncInterval, recorded, not propagated.
    EXPECT_TRUE(wait_until(
        [&] {
            auto events = p.controller->get_json("/v1/clusters/pair/events");
            return events && has_event(*events, "config-external-change");
        },
        30s, 250ms))
        << p.explain();
    EXPECT_NE(p.kea_config("server2")["valid-lifetime"], 5555);
    auto d = p.detail();
    EXPECT_EQ(d["peers"][1]["in_sync"], false) << d.dump(1);

    // Until sync.
    auto sync = p.controller->request("POST", "/v1/clusters/pair/sync");
    ASSERT_TRUE(sync);
    ASSERT_EQ(sync->status, 200u) << sync->body;
    EXPECT_EQ(outcome_of(nlohmann::json::parse(sync->body), "server2"), "applied") << sync->body;
    EXPECT_EQ(p.kea_config("server2")["valid-lifetime"], 5555);
    EXPECT_EQ(this_server_name(p.kea_config("server2")), "server2");
}

TEST_P(ReplicationE2E, DriftOnStandbyIsReportedThenOverwrittenAndLocalKeysSurvive) {
    auto settings = kSettings;
    settings["keaConfigSyncInterval"] = "10";
    Pair p(GetParam(), settings);
    ASSERT_TRUE(p.up()) << p.explain();
    // Drift on the standby: its own lifetime, and a peer-specific interfaces-config.
    auto drifted = p.kea_config("server2");
    drifted["valid-lifetime"] = 4321;
    drifted["interfaces-config"]["re-detect"] = false;
    auto set = p.lab->command("server2", "config-set", {{p.key, drifted}});
    ASSERT_TRUE(set && set->value("result", -1) == 0);
    EXPECT_TRUE(wait_until([&] { return p.detail()["peers"][1]["in_sync"] == false; }, 30s, 250ms)) << p.explain();
    auto events = p.controller->get_json("/v1/clusters/pair/events");
    ASSERT_TRUE(events);
    EXPECT_TRUE(has_event(*events, "config-drift", "server2")) << events->dump(1);

    auto changed = p.patch(p.lifetime_patch(3600));
    ASSERT_TRUE(changed && changed->status == 200u) << (changed ? changed->body : "") << p.explain();
    const auto standby = p.kea_config("server2");
    EXPECT_EQ(standby["valid-lifetime"], 3600);
    EXPECT_EQ(standby["interfaces-config"]["re-detect"], false) << "peer-local interfaces-config lost";
    EXPECT_NE(p.kea_config("server1")["interfaces-config"]["re-detect"], false);
    EXPECT_EQ(p.detail()["peers"][1]["in_sync"], true);
}

// Issue 14 items 2 and 3 on real Kea: a dry run is tested by each Kea and changes nothing; a
// drifted standby's diff names what replication would change, and it is empty after a sync.
TEST_P(ReplicationE2E, DryRunChangesNothingAndTheDiffShowsADriftedStandby) {
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    const auto primary_before = p.kea_config("server1");
    const auto standby_before = p.kea_config("server2");
    auto dry = p.controller->request("PATCH", "/v1/clusters/pair/config?dry_run=true", p.lifetime_patch(5151).dump(),
                                     {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_TRUE(dry && dry->status == 200u) << (dry ? dry->body : "") << p.explain();
    const auto answer = nlohmann::json::parse(dry->body);
    EXPECT_EQ(answer["dry_run"], true);
    for (const char* peer : {"server1", "server2"}) {
        EXPECT_EQ(outcome_of(answer, peer), "tested") << answer.dump(1);
    }
    for (const auto& peer : answer["peers"]) {
        ASSERT_EQ(peer["patch"].size(), 1u) << peer.dump();
        EXPECT_EQ(peer["patch"][0]["path"], "/" + p.key + "/valid-lifetime");
        EXPECT_EQ(peer["patch"][0]["value"], 5151);
    }
    EXPECT_EQ(p.kea_config("server1"), primary_before) << "a dry run changed the primary";
    EXPECT_EQ(p.kea_config("server2"), standby_before) << "a dry run changed the standby";
    EXPECT_EQ(p.detail()["replication"]["generation"], 0);
    // A bad change in a dry run: Kea's config-test refuses it, as for a real one.
    auto bad = p.controller->request("PATCH", "/v1/clusters/pair/config?dry_run=true",
                                     R"({")" + p.key + R"(": {"valid-lifetime": "not a number"}})",
                                     {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 422u) << bad->body;

    auto drifted = p.kea_config("server2");
    drifted["valid-lifetime"] = 4242;
    auto set = p.lab->command("server2", "config-set", {{p.key, drifted}});
    ASSERT_TRUE(set && set->value("result", -1) == 0);
    const int primary_lifetime = primary_before["valid-lifetime"];
    // The standby's HA service restarts after config-set: the diff reads it when it answers.
    std::optional<nlohmann::json> diff;
    EXPECT_TRUE(wait_until([&] {
        auto read = p.controller->get_json("/v1/clusters/pair/diff?peer=server2&documents=true");
        if (read) diff = *read;
        return diff && diff->contains("peers") && !(*diff)["peers"].empty() && (*diff)["peers"][0].contains("patch") &&
               !(*diff)["peers"][0]["patch"].empty();
    }, 20s, 250ms)) << (diff ? diff->dump(1) : "no answer") << p.explain();
    ASSERT_TRUE(diff);
    const auto& standby = (*diff)["peers"][0];
    ASSERT_EQ(standby["patch"].size(), 1u) << standby["patch"].dump();
    EXPECT_EQ(standby["patch"][0]["path"], "/" + p.key + "/valid-lifetime");
    EXPECT_EQ(standby["patch"][0]["value"], primary_lifetime);
    EXPECT_EQ(standby["current"][p.key]["valid-lifetime"], 4242);
    EXPECT_EQ(this_server_name(standby["desired"][p.key]), "server2");

    ASSERT_TRUE(wait_until([&] { return p.detail()["peers"][1]["condition"] == "active"; }, 20s, 250ms)) << p.explain();
    auto synced = p.controller->request("POST", "/v1/clusters/pair/sync");
    ASSERT_TRUE(synced && synced->status == 200u) << (synced ? synced->body : "") << p.explain();
    auto after = p.controller->get_json("/v1/clusters/pair/diff");
    ASSERT_TRUE(after);
    for (const auto& peer : (*after)["peers"]) {
        EXPECT_EQ(peer["patch"], nlohmann::json::array()) << after->dump(1);
    }
}

// Issue 14 item 4 on real Kea: every change is in the history with who made it; a rollback
// is a normal change (If-Match, every peer), kept configs are bounded by keaHistoryDepth, and
// the history survives a restart.
TEST_P(ReplicationE2E, HistoryKeepsEachChange_RollbackSetsAnOldConfigEverywhere_BoundedAndKeptAcrossRestart) {
    auto settings = kSettings;
    settings["keaHistoryDepth"] = "2";
    Pair p(GetParam(), settings);
    ASSERT_TRUE(p.up()) << p.explain();
    const int original = p.kea_config("server1")["valid-lifetime"];
    for (int seconds : {3001, 3002, 3003}) {
        auto changed = p.patch(p.lifetime_patch(seconds));
        ASSERT_TRUE(changed && changed->status == 200u) << (changed ? changed->body : "") << p.explain();
    }
    auto history = p.controller->get_json("/v1/clusters/pair/history");
    ASSERT_TRUE(history) << history.error().describe();
    EXPECT_EQ((*history)["depth"], 2);
    const auto& entries = (*history)["entries"];
    ASSERT_EQ(entries.size(), 3u) << history->dump(1);
    EXPECT_EQ(entries[0]["generation"], 1);
    EXPECT_EQ(entries[0]["kind"], "merge-patch");
    EXPECT_EQ(entries[0]["who"], "anonymous");
    EXPECT_EQ(entries[0]["request"], p.lifetime_patch(3001));
    EXPECT_EQ(entries[0]["config_kept"], false) << "only the last 2 are kept";
    EXPECT_EQ(entries[2]["config_kept"], true);
    auto gone = p.controller->request("GET", "/v1/clusters/pair/history/1");
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->status, 404u) << gone->body;
    auto kept = p.controller->get_json("/v1/clusters/pair/history/2");
    ASSERT_TRUE(kept) << kept.error().describe();
    EXPECT_EQ((*kept)["config"][p.key]["valid-lifetime"], 3002);

    // A stale If-Match is refused like any change.
    auto stale = p.controller->request("POST", "/v1/clusters/pair/history/2/rollback", {}, {{"If-Match", "\"0000\""}});
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->status, 412u) << stale->body;
    auto current = p.controller->request("GET", "/v1/clusters/pair/config");
    ASSERT_TRUE(current && current->status == 200u);
    auto rolled = p.controller->request("POST", "/v1/clusters/pair/history/2/rollback", {},
                                        {{"If-Match", current->headers.at("etag")}});
    ASSERT_TRUE(rolled && rolled->status == 200u) << (rolled ? rolled->body : "") << p.explain();
    EXPECT_EQ(outcome_of(nlohmann::json::parse(rolled->body), "server2"), "applied") << rolled->body;
    EXPECT_EQ(p.kea_config("server1")["valid-lifetime"], 3002);
    EXPECT_EQ(p.kea_config("server2")["valid-lifetime"], 3002);
    EXPECT_EQ(this_server_name(p.kea_config("server2")), "server2");
    EXPECT_NE(original, 3002);

    // The history survives a restart; the rollback is its own entry.
    ASSERT_EQ(p.controller->stop(), 0);
    ASSERT_TRUE(p.controller->start()) << p.controller->log();
    auto after = p.controller->get_json("/v1/clusters/pair/history");
    ASSERT_TRUE(after) << after.error().describe();
    ASSERT_EQ((*after)["entries"].size(), 4u) << after->dump(1);
    EXPECT_EQ((*after)["entries"][3]["kind"], "rollback");
    EXPECT_EQ((*after)["entries"][3]["rollback_of"], 2);
    auto fourth = p.controller->get_json("/v1/clusters/pair/history/4");
    ASSERT_TRUE(fourth) << fourth.error().describe();
    EXPECT_EQ((*fourth)["config"][p.key]["valid-lifetime"], 3002);
    const auto files = std::distance(std::filesystem::directory_iterator(p.directory + "/state/history/pair"),
                                     std::filesystem::directory_iterator());
    EXPECT_EQ(files, 2) << "bounded on disk by keaHistoryDepth";
}

TEST_P(ReplicationE2E, StandbyAwayDuringChangeIsSyncedWhenBack) {
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    ASSERT_TRUE(p.lab->stop_dhcp("server2"));
    ASSERT_TRUE(p.wait_state("Impaired", "server1")) << p.explain();
    auto changed = p.patch(p.lifetime_patch(4444));
    ASSERT_TRUE(changed);
    ASSERT_EQ(changed->status, 200u) << changed->body;
    EXPECT_EQ(outcome_of(nlohmann::json::parse(changed->body), "server2"), "pending") << changed->body;

    ASSERT_TRUE(p.lab->start_dhcp("server2"));
    EXPECT_TRUE(wait_until([&] { return p.kea_config("server2")["valid-lifetime"] == 4444; }, 30s, 200ms))
        << p.explain();
    EXPECT_EQ(this_server_name(p.kea_config("server2")), "server2");
    EXPECT_TRUE(p.wait_state("OK", "server1", 30s)) << p.explain();
}

TEST_P(ReplicationE2E, ChangeMadeWhilePrimaryAwayIsBroughtToThePrimary) {
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    ASSERT_TRUE(p.lab->stop_dhcp("server1"));
    ASSERT_TRUE(p.wait_state("Impaired", "server2")) << p.explain();
    auto changed = p.patch(p.lifetime_patch(9999));
    ASSERT_TRUE(changed);
    ASSERT_EQ(changed->status, 200u) << changed->body << p.explain();
    auto answer = nlohmann::json::parse(changed->body);
    EXPECT_EQ(answer["source_of_truth"], "server2");
    EXPECT_EQ(outcome_of(answer, "server1"), "pending");
    EXPECT_EQ(p.kea_config("server2")["valid-lifetime"], 9999);

    // The primary returns with its old config: it must not overwrite the change.
    ASSERT_TRUE(p.lab->start_dhcp("server1"));
    EXPECT_TRUE(p.wait_state("OK", "server1", 40s)) << p.explain();
    EXPECT_TRUE(wait_until([&] { return p.kea_config("server1")["valid-lifetime"] == 9999; }, 30s, 200ms))
        << p.explain();
    EXPECT_EQ(p.kea_config("server2")["valid-lifetime"], 9999);
    EXPECT_EQ(this_server_name(p.kea_config("server1")), "server1");
    auto events = p.controller->get_json("/v1/clusters/pair/events");
    ASSERT_TRUE(events);
    EXPECT_TRUE(has_event(*events, "config-brought-to-sot", "server1")) << events->dump(1);
}

TEST_P(ReplicationE2E, ReplicationOffIs409AndMonitoringGoesOn) {
    auto settings = kSettings;
    settings["keaReplicateConfig"] = "0";
    Pair p(GetParam(), settings);
    ASSERT_TRUE(p.up()) << p.explain();
    auto changed = p.patch(p.lifetime_patch(1234));
    ASSERT_TRUE(changed);
    EXPECT_EQ(changed->status, 409u) << changed->body;
    EXPECT_NE(changed->body.find("keaReplicateConfig"), std::string::npos);
    EXPECT_EQ(p.detail()["replication"]["enabled"], false);
    ASSERT_TRUE(p.lab->stop_dhcp("server2"));
    EXPECT_TRUE(p.wait_state("Impaired", "server1")) << p.explain();
}

TEST_P(ReplicationE2E, DownClusterRefusesChangesWith503) {
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    ASSERT_TRUE(p.lab->stop_dhcp("server1"));
    ASSERT_TRUE(p.lab->stop_dhcp("server2"));
    ASSERT_TRUE(wait_until([&] { return p.detail().value("state", "") == "Down"; }, 20s, 100ms)) << p.explain();
    auto changed = p.patch(p.lifetime_patch(1234));
    ASSERT_TRUE(changed);
    EXPECT_EQ(changed->status, 503u) << changed->body;
}

TEST_P(ReplicationE2E, KillMinusNineBetweenSotAndStandbyConvergesOnRestart) {
    Pair p(GetParam());
    ASSERT_TRUE(p.lab);
    // Test hook: the controller pauses after the SoT's config-set, before the rest of the writes.
    ::setenv("KEA_HA_TEST_PAUSE_AFTER_SOT_WRITE_MS", "60000", 1);
    const bool up = p.up();
    ::unsetenv("KEA_HA_TEST_PAUSE_AFTER_SOT_WRITE_MS");
    ASSERT_TRUE(up) << p.explain();

    // The PATCH blocks in the pause; send it from a thread and kill the controller meanwhile.
    std::thread client([&] { (void)p.patch(p.lifetime_patch(8888)); });
    const bool sot_written = wait_until([&] { return p.kea_config("server1")["valid-lifetime"] == 8888; }, 20s, 100ms);
    p.controller->kill9();
    client.join();
    ASSERT_TRUE(sot_written) << p.explain();
    EXPECT_NE(p.kea_config("server2")["valid-lifetime"], 8888) << "the standby must not have it yet";

    ASSERT_TRUE(p.controller->start()) << p.controller->log();
    EXPECT_TRUE(wait_until([&] { return p.kea_config("server2")["valid-lifetime"] == 8888; }, 30s, 200ms))
        << p.explain();
    EXPECT_EQ(this_server_name(p.kea_config("server2")), "server2");
    EXPECT_TRUE(p.wait_state("OK", "server1", 30s)) << p.explain();
}

/// How many times `command` reached `peer`'s DHCP daemon so far: its log's COMMAND_RECEIVED lines
/// (the lab's own reads, kea_config(), count too).
std::size_t commands_received(const Pair& p, const std::string& peer, const std::string& command) {
    std::ifstream log(p.lab->directory() + "/" + peer + "/dhcp.log");
    const std::string needle = "COMMAND_RECEIVED Received command '" + command + "'";
    std::size_t count = 0;
    for (std::string line; std::getline(log, line);) count += line.find(needle) != std::string::npos;
    return count;
}

/// Reads of `peer`'s config so far, by config-get or (Kea 2.4+) config-hash-get.
std::size_t config_reads(const Pair& p, const std::string& peer) {
    return commands_received(p, peer, "config-get") + commands_received(p, peer, "config-hash-get");
}

TEST_P(ReplicationE2E, ChangeAfterAChange_ReadsOnlyTheHashFrom2_6_NoDriftNoExternalChangeAlsoAfterARestart) {
    auto settings = kSettings;
    settings["keaConfigSyncInterval"] = "10";  // rule 4: a drift check every 10 s (the least)
    Pair p(GetParam(), settings);
    ASSERT_TRUE(p.up()) << p.explain();
    const bool has_hash = p.lab->options().kea_version != "2.2";
    // A subnet given with only its pool: Kea runs (and gives back) it with every parameter.
    const nlohmann::json add_subnet = nlohmann::json::array(
        {{{"op", "add"},
          {"path", "/" + p.key + "/" + subnet_list_key(p.service) + "/-"},
          {"value",
           {{"id", 77}, {"subnet", other_subnet(p.service, 77)}, {"pools", {{{"pool", other_pool(p.service, 77)}}}}}}}});
    auto added = p.controller->request("PATCH", "/v1/clusters/pair/config", add_subnet.dump(),
                                       {{"Content-Type", "application/json-patch+json"}});
    ASSERT_TRUE(added);
    ASSERT_EQ(added->status, 200u) << added->body << p.explain();
    const std::size_t gets1 = commands_received(p, "server1", "config-get");
    const std::size_t gets2 = commands_received(p, "server2", "config-get");
    auto changed = p.patch(p.lifetime_patch(7300));
    ASSERT_TRUE(changed);
    ASSERT_EQ(changed->status, 200u) << changed->body << p.explain();
    EXPECT_EQ(outcome_of(nlohmann::json::parse(changed->body), "server2"), "applied") << changed->body;
    if (has_hash) {
        // Known by the hash in their config-set answers: confirmed with config-hash-get only.
        EXPECT_EQ(commands_received(p, "server1", "config-get"), gets1) << p.explain();
        EXPECT_EQ(commands_received(p, "server2", "config-get"), gets2) << p.explain();
    }
    const auto etag = p.controller->request("GET", "/v1/clusters/pair/config");
    ASSERT_TRUE(etag && etag->status == 200u);

    // Drift checks since (two reads of the standby's config): in sync, nothing external.
    const auto checked = [&] {
        const auto reads = config_reads(p, "server2");
        return wait_until([&] { return config_reads(p, "server2") >= reads + 2; }, 40s, 200ms);
    };
    ASSERT_TRUE(checked()) << p.explain();
    auto events = p.controller->get_json("/v1/clusters/pair/events");
    ASSERT_TRUE(events);
    EXPECT_FALSE(has_event(*events, "config-drift")) << events->dump(1);
    EXPECT_FALSE(has_event(*events, "config-external-change")) << events->dump(1);
    EXPECT_EQ(p.detail()["peers"][1]["in_sync"], true) << p.explain();
    const auto standby = p.kea_config("server2");
    EXPECT_EQ(standby["valid-lifetime"], 7300);
    nlohmann::json subnet;
    for (const auto& s : standby[subnet_list_key(p.service)]) {
        if (s["subnet"] == other_subnet(p.service, 77)) subnet = s;
    }
    ASSERT_TRUE(subnet.is_object()) << standby.dump(1);
    EXPECT_GT(subnet.size(), 3u) << "Kea filled the subnet in: " << subnet.dump();

    // Restarted: the configs are read as Kea gives them back; the same ETag, still no event.
    ASSERT_EQ(p.controller->stop(), 0);
    ASSERT_TRUE(p.controller->start()) << p.explain();
    ASSERT_TRUE(p.wait_state("OK", "server1", 30s)) << p.explain();
    ASSERT_TRUE(checked()) << p.explain();
    events = p.controller->get_json("/v1/clusters/pair/events");
    ASSERT_TRUE(events);
    EXPECT_FALSE(has_event(*events, "config-drift")) << events->dump(1);
    EXPECT_FALSE(has_event(*events, "config-external-change")) << events->dump(1);
    EXPECT_EQ(p.detail()["peers"][1]["in_sync"], true) << p.explain();
    const auto again = p.controller->request("GET", "/v1/clusters/pair/config");
    ASSERT_TRUE(again && again->status == 200u);
    EXPECT_EQ(again->headers.at("etag"), etag->headers.at("etag"));
    if (has_hash) {
        EXPECT_EQ(etag->headers.at("etag").rfind("\"kea-", 0), 0u) << etag->headers.at("etag");
    }
}

INSTANTIATE_TEST_SUITE_P(Service, ReplicationE2E, ::testing::Values("dhcp4", "dhcp6"), kea_ha::testing::service_name);

}  // namespace
