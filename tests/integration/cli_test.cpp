// kea-ha-ctl, the real binary, against an in-process API server with a fake backend.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kea_ha/api/routes.hpp"
#include "kea_ha/api/server.hpp"
#include "support/controller_process.hpp"
#include "support/http_probe.hpp"

namespace {

namespace net = boost::asio;
using nlohmann::json;
using namespace kea_ha::api;

class FakeBackend final : public ApiBackend {
public:
    std::map<std::string, json> clusters;
    std::vector<RegisterRequest> registered;

    FakeBackend() {
        clusters["dhcp-a"] = {
            {"name", "dhcp-a"}, {"service", "dhcp4"}, {"state", "Impaired"}, {"reason", "server1 unreachable"},
            {"mode", "hot-standby"}, {"source_of_truth", "server2"}, {"transport", "direct"}, {"auth_user", "ctl"},
            {"replication", {{"enabled", true}, {"reason", nullptr}, {"generation", 7}}},
            {"peers", json::array({{{"name", "server1"}, {"role", "primary"}, {"condition", "unreachable"},
                                    {"ha_state", nullptr}, {"last_seen", "2026-11-24T19:40:02Z"},
                                    {"reason", "http://127.0.0.1:8000/: connection refused"},
                                    {"last_error", "connection refused"}, {"in_sync", nullptr}},
                                   {{"name", "server2"}, {"role", "standby"}, {"condition", "active"},
                                    {"ha_state", "partner-down"}, {"last_seen", "2026-11-24T19:41:00Z"},
                                    {"kea_version", "3.0.4"}, {"clock_skew_s", 40.0},
                                    {"last_error", nullptr}, {"in_sync", true}}})},
            {"warnings", json::array({{{"code", "clock-skew"}, {"message", "server2 is 40 s ahead"}}})}};
    }
    json list_clusters() const override {
        json list = json::array();
        for (const auto& [name, d] : clusters) {
            list.push_back({{"name", name}, {"service", d["service"]}, {"state", d["state"]},
                            {"mode", d.value("mode", json())}, {"source_of_truth", d.value("source_of_truth", json())},
                            {"peers", d.value("peers", json::array()).size()},
                            {"warnings", d.value("warnings", json::array()).size()}});
        }
        return list;
    }
    std::optional<json> cluster_detail(const std::string& name) const override {
        auto found = clusters.find(name);
        if (found == clusters.end()) return std::nullopt;
        return found->second;
    }
    std::optional<json> cluster_events(const std::string& name) const override {
        if (!clusters.count(name)) return std::nullopt;
        return json::array({{{"when", "2026-11-24T19:40:02Z"}, {"cluster", name}, {"peer", "server1"},
                             {"kind", "peer-condition"}, {"from", "active"}, {"to", "unreachable"},
                             {"reason", "connection refused"}},
                            {{"when", "2026-11-24T19:40:03Z"}, {"cluster", name}, {"peer", nullptr},
                             {"kind", "cluster-state"}, {"from", "OK"}, {"to", "Impaired"},
                             {"reason", "server1 unreachable"}}});
    }
    net::awaitable<Outcome> register_cluster(RegisterRequest request) override {
        registered.push_back(request);
        if (clusters.count(request.name)) {
            co_return Outcome{409, {{"error", {{"code", "name-taken"},
                                               {"message", "a cluster named '" + request.name +
                                                               "' is already registered"}}}},
                              {}};
        }
        json detail = {{"name", request.name}, {"service", request.service}, {"state", "Unknown"},
                       {"mode", "hot-standby"}, {"source_of_truth", nullptr}, {"peers", json::array()}};
        clusters[request.name] = detail;
        co_return Outcome{201, detail, {}};
    }
    Outcome remove_cluster(const std::string& name) override {
        if (!clusters.erase(name)) {
            return {404, {{"error", {{"code", "not-found"}, {"message", "no cluster named '" + name + "'"}}}}, {}};
        }
        return {204, nullptr, {}};
    }
    // Config: the ETag is "e1"; a change with another If-Match is 412; a change leaves
    // server1 pending (it is unreachable in this fake), so the CLI must exit 4.
    net::awaitable<Outcome> config_operation(const std::string& name, ConfigRequest request) override {
        config_requests.push_back(request);
        if (request.kind == ConfigRequest::Kind::Read) {
            co_return Outcome{200, {{"Dhcp4", {{"valid-lifetime", 4000}}}}, {{"ETag", "\"e1\""}}};
        }
        if (request.kind == ConfigRequest::Kind::History) {
            co_return Outcome{200, {{"depth", 20}, {"entries", json::array({
                {{"generation", 7}, {"when", "2026-12-03T07:00:00Z"}, {"who", "alice"}, {"kind", "merge-patch"},
                 {"request", {{"Dhcp4", {{"valid-lifetime", 7200}}}}}, {"config_kept", true}},
                {{"generation", 8}, {"when", "2026-12-03T07:05:00Z"}, {"who", "admin"}, {"kind", "rollback"},
                 {"rollback_of", 6}, {"config_kept", true}}})}}, {}};
        }
        if (request.kind == ConfigRequest::Kind::Rollback) {
            if (request.if_match.value_or("") != "\"e1\"") {
                co_return Outcome{412, {{"error", {{"code", "precondition-failed"}, {"message", "changed"}}}}, {}};
            }
            co_return Outcome{200, {{"generation", 9}, {"source_of_truth", "server2"},
                                    {"peers", json::array({{{"name", "server2"}, {"outcome", "applied"}, {"persisted", true}}})}},
                              {}};
        }
        if (request.kind == ConfigRequest::Kind::Diff) {
            json running = {{"Dhcp4", {{"valid-lifetime", 4000}, {"renew-timer", 900}}}};
            json desired = {{"Dhcp4", {{"valid-lifetime", 7200}, {"renew-timer", 900}}}};
            json server1 = {{"name", "server1"}, {"error", "server1: connection refused"}};
            json server2 = {{"name", "server2"}, {"source_of_truth", true}, {"in_sync", true}, {"patch", json::array()}};
            json server3 = {{"name", "server3"}, {"in_sync", false},
                            {"patch", json::array({{{"op", "replace"}, {"path", "/Dhcp4/valid-lifetime"}, {"value", 7200}}})}};
            if (request.documents) {
                server3["current"] = running;
                server3["desired"] = desired;
            }
            json peers = json::array();
            if (!request.peer) peers = json::array({server1, server2, server3});
            else if (*request.peer == "server3") peers.push_back(server3);
            else if (*request.peer == "server2") peers.push_back(server2);
            co_return Outcome{200, {{"source_of_truth", "server2"}, {"peers", peers}}, {}};
        }
        if (request.dry_run) {
            co_return Outcome{200, {{"dry_run", true}, {"generation", 7}, {"source_of_truth", "server2"},
                                    {"peers", json::array({{{"name", "server2"}, {"outcome", "tested"},
                                                            {"patch", json::array({{{"op", "replace"}, {"path", "/Dhcp4/valid-lifetime"}, {"value", 7200}}})}},
                                                           {{"name", "server1"}, {"outcome", "pending"}, {"message", "unreachable"}}})}},
                              {}};
        }
        if (request.if_match && *request.if_match != "\"e1\"") {
            co_return Outcome{412, {{"error", {{"code", "precondition-failed"},
                                               {"message", "the config of '" + name + "' changed (ETag \"e1\")"}}}},
                              {{"ETag", "\"e1\""}}};
        }
        co_return Outcome{200, {{"generation", 8}, {"source_of_truth", "server2"},
                                {"peers", json::array({{{"name", "server2"}, {"outcome", "applied"},
                                                        {"persisted", true}, {"message", nullptr}},
                                                       {{"name", "server1"}, {"outcome", "pending"},
                                                        {"message", "unreachable: synced when it returns"}}})}},
                          {}};
    }
    net::awaitable<Outcome> ha_action(const std::string& name, HaActionRequest request) override {
        (void)name;
        actions.push_back(request);
        if (request.action == "maintenance-start" && request.peer == "server2") {
            co_return Outcome{409, {{"error", {{"code", "refused"},
                                               {"message", "refusing to leave no main peer in service: server2's partner "
                                                           "server1 is unreachable"}}}},
                              {}};
        }
        co_return Outcome{200, {{"action", request.action}, {"peer", request.peer}, {"sent_to", "server2"},
                                {"command", "ha-" + request.action}, {"message", "Server is in maintenance state."},
                                {"summary", "ha-maintenance-start sent to server2, which takes over " + request.peer}},
                          {}};
    }
    std::vector<HaActionRequest> actions;
    std::string metrics() const override { return ""; }
    std::string version() const override { return "0.0.0-test"; }

    std::vector<ConfigRequest> config_requests;
};

struct CtlRun {
    int status = -1;
    std::string out;
};

class CliTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = kea_ha::testing::make_temp_directory("cli-test");
        token_file_ = dir_ + "/token";
        std::ofstream(token_file_) << "t0ken\n";
        api_settings_.token = "t0ken";
        ServerSettings settings;
        settings.listen = "127.0.0.1:0";
        auto server = start_api_server(io_, settings, [this](ApiRequest request) -> net::awaitable<ApiResponse> {
            co_return co_await handle(request, backend_, api_settings_);
        });
        ASSERT_TRUE(server.ok()) << server.error().describe();
        server_ = std::move(*server);
        thread_ = std::thread([this] { io_.run(); });
        api_ = "http://127.0.0.1:" + std::to_string(server_->port());
    }
    void TearDown() override {
        if (server_) server_->stop();
        if (thread_.joinable()) thread_.join();
        std::filesystem::remove_all(dir_);
    }
    /// Runs kea-ha-ctl with the API and token prepended; `stderr_too` merges stderr.
    CtlRun ctl(const std::string& arguments, bool stderr_too = true, bool with_api = true) {
        std::string command = std::string(KEA_HA_BINARY_DIR) + "/kea-ha-ctl ";
        if (with_api) command += "--api " + api_ + " --token-file " + token_file_ + " ";
        // run_shell() merges stderr; without `stderr_too` it is dropped before that.
        command += arguments;
        if (!stderr_too) command = "(" + command + " 2>/dev/null)";  // run_shell merges the rest
        const auto run = kea_ha::testing::run_shell(command);
        return CtlRun{run.status, run.output};
    }

    net::io_context io_;
    FakeBackend backend_;
    ApiSettings api_settings_;
    std::unique_ptr<ApiServer> server_;
    std::thread thread_;
    std::string api_;
    std::string dir_;
    std::string token_file_;
};

TEST_F(CliTest, StatusTable) {
    auto run = ctl("status");
    EXPECT_EQ(run.status, 0) << run.out;
    EXPECT_NE(run.out.find("NAME    STATE     MODE         SOT      PEERS  WARNINGS"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("dhcp-a  Impaired  hot-standby  server2  2      1"), std::string::npos) << run.out;
}

TEST_F(CliTest, StatusOfOneCluster) {
    auto run = ctl("status dhcp-a");
    EXPECT_EQ(run.status, 0) << run.out;
    EXPECT_NE(run.out.find("State:            Impaired (server1 unreachable)"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("Transport:        direct (the daemons' own HTTP sockets), user ctl"), std::string::npos)
        << run.out;
    EXPECT_NE(run.out.find("NAME     ROLE     CONDITION    HA-STATE      LAST-SEEN             IN-SYNC  KEA    REASON"),
              std::string::npos)
        << run.out;
    EXPECT_NE(run.out.find("server1  primary  unreachable  -"), std::string::npos) << run.out;
    // Each peer's reason, as the controller gives it (issue 14 item 6).
    EXPECT_NE(run.out.find("-      http://127.0.0.1:8000/: connection refused"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("2026-11-24T19:41:00Z  yes      3.0.4  -"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("partner-down"), std::string::npos);
    EXPECT_NE(run.out.find("clock-skew: server2 is 40 s ahead"), std::string::npos) << run.out;
}

TEST_F(CliTest, JsonOutputParses) {
    auto run = ctl("--json status", false);
    ASSERT_EQ(run.status, 0) << run.out;
    auto list = json::parse(run.out);
    ASSERT_TRUE(list.is_array());
    EXPECT_EQ(list.at(0)["name"], "dhcp-a");
    auto one = ctl("status dhcp-a --json", false);
    ASSERT_EQ(one.status, 0);
    EXPECT_EQ(json::parse(one.out)["source_of_truth"], "server2");
}

TEST_F(CliTest, Events) {
    auto run = ctl("events dhcp-a");
    EXPECT_EQ(run.status, 0) << run.out;
    // Issue 31 point 4: the KIND column says what each line is about.
    EXPECT_NE(run.out.find("WHEN                  CLUSTER  KIND            PEER     FROM    TO           REASON"),
              std::string::npos)
        << run.out;
    EXPECT_NE(run.out.find("2026-11-24T19:40:03Z  dhcp-a   cluster-state   -        OK      Impaired     server1 unreachable"),
              std::string::npos)
        << run.out;
}

TEST_F(CliTest, UnknownClusterIsApiErrorWithMessage) {
    auto run = ctl("status nope");
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.out.find("kea-ha-ctl: no cluster named 'nope' (HTTP 404)"), std::string::npos) << run.out;
}

TEST_F(CliTest, JsonErrorsAreJsonWithTheApisCode) {
    auto run = ctl("--json status nope", false);
    EXPECT_EQ(run.status, 1);
    const auto error = json::parse(run.out);
    EXPECT_EQ(error["error"]["code"], "not-found") << run.out;
    EXPECT_EQ(error["error"]["message"], "no cluster named 'nope'");
    EXPECT_EQ(error["error"]["http_status"], 404);
    const auto port = kea_ha::testing::free_port();
    auto away = ctl("--json --api http://127.0.0.1:" + std::to_string(port) + " status", false, false);
    EXPECT_EQ(away.status, 3);
    EXPECT_EQ(json::parse(away.out)["error"]["code"], "unreachable") << away.out;
}

// --- check: monitoring-plugin conventions (issue 14 item 6) -------------------------------------

TEST_F(CliTest, CheckOneClusterImpairedIsWarningWithPerfdata) {
    auto run = ctl("check dhcp-a", false);
    EXPECT_EQ(run.status, 1) << run.out;
    EXPECT_EQ(run.out,
              "KEA-HA WARNING - dhcp-a Impaired: server1 unreachable; source of truth server2; 1 warning"
              " | peers=2 active=1 in_sync=1 warnings=1 server2_clock_skew=40.000s\n");
}

TEST_F(CliTest, CheckExitStatusFollowsTheClusterState) {
    backend_.clusters["dhcp-a"]["state"] = "Down";
    auto down = ctl("check dhcp-a", false);
    EXPECT_EQ(down.status, 2) << down.out;
    EXPECT_EQ(down.out.rfind("KEA-HA CRITICAL - dhcp-a Down", 0), 0u) << down.out;
    backend_.clusters["dhcp-a"]["state"] = "Unreachable";
    EXPECT_EQ(ctl("check dhcp-a", false).status, 2);
    backend_.clusters["dhcp-a"]["state"] = "OK";
    backend_.clusters["dhcp-a"]["reason"] = "every peer active";
    auto ok = ctl("check dhcp-a", false);
    EXPECT_EQ(ok.status, 0) << ok.out;
    EXPECT_EQ(ok.out.rfind("KEA-HA OK - dhcp-a OK: every peer active", 0), 0u) << ok.out;
}

TEST_F(CliTest, CheckEveryClusterTheWorstDecidesAndEachOneNotOkIsNamed) {
    backend_.clusters["dhcp-b"] = {{"name", "dhcp-b"}, {"service", "dhcp4"}, {"state", "OK"}, {"peers", json::array()}};
    auto run = ctl("check", false);
    EXPECT_EQ(run.status, 1) << run.out;
    EXPECT_EQ(run.out, "KEA-HA WARNING - 2 clusters: dhcp-a Impaired | clusters=2 ok=1 impaired=1 down=0 unreachable=0\n");
    backend_.clusters["dhcp-b"]["state"] = "Down";
    auto worse = ctl("check", false);
    EXPECT_EQ(worse.status, 2) << worse.out;
    EXPECT_NE(worse.out.find("dhcp-a Impaired, dhcp-b Down"), std::string::npos) << worse.out;
}

TEST_F(CliTest, CheckThatCannotTellIsUnknown) {
    auto none = ctl("check nope", false);
    EXPECT_EQ(none.status, 3) << none.out;
    EXPECT_EQ(none.out, "KEA-HA UNKNOWN - no answer about cluster nope\n");
    const auto port = kea_ha::testing::free_port();
    auto away = ctl("--api http://127.0.0.1:" + std::to_string(port) + " check", false, false);
    EXPECT_EQ(away.status, 3);
    EXPECT_EQ(away.out, "KEA-HA UNKNOWN - the controller cannot be reached\n");
    EXPECT_EQ(ctl("check a b", false).status, 3);
    EXPECT_EQ(ctl("--token-file /nonexistent/token check", false, false).status, 3);
    backend_.clusters.clear();
    EXPECT_EQ(ctl("check", false).status, 3);
}

// --- config diff and --dry-run (issue 14 items 2 and 3) ---------------------------------------------

TEST_F(CliTest, ConfigDiffShowsEachPeerAsAUnifiedDiffAndExits4WhenOneDiffers) {
    auto run = ctl("config diff dhcp-a", false);
    EXPECT_EQ(run.status, 4) << run.out;
    EXPECT_NE(run.out.find("server1: cannot be compared: server1: connection refused"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("server2: the source of truth"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("server3: 1 difference (/Dhcp4/valid-lifetime)\n"
                           "--- server3 (running)\n+++ server3 (after replication from server2)\n"),
              std::string::npos)
        << run.out;
    EXPECT_NE(run.out.find("-    \"valid-lifetime\": 4000\n+    \"valid-lifetime\": 7200\n"), std::string::npos) << run.out;
    ASSERT_FALSE(backend_.config_requests.empty());
    EXPECT_TRUE(backend_.config_requests.back().documents) << "the diff needs both documents";
    auto in_sync = ctl("config diff dhcp-a server2", false);
    EXPECT_EQ(in_sync.status, 0) << in_sync.out;
    EXPECT_EQ(backend_.config_requests.back().peer.value_or(""), "server2");
    auto json_run = ctl("--json config diff dhcp-a server3", false);
    EXPECT_EQ(json_run.status, 4);
    EXPECT_EQ(json::parse(json_run.out)["peers"][0]["patch"][0]["path"], "/Dhcp4/valid-lifetime");
    EXPECT_FALSE(backend_.config_requests.back().documents) << "--json prints the patch, not the documents";
    EXPECT_EQ(ctl("config diff").status, 2);
}

TEST_F(CliTest, DryRunSendsTheFlagAndShowsWhatWouldChange) {
    const auto file = dir_ + "/lifetime.json";
    std::ofstream(file) << R"({"Dhcp4": {"valid-lifetime": 7200}})";
    auto run = ctl("config patch dhcp-a " + file + " --dry-run", false);
    EXPECT_EQ(run.status, 0) << run.out;
    ASSERT_FALSE(backend_.config_requests.empty());
    EXPECT_TRUE(backend_.config_requests.back().dry_run);
    EXPECT_NE(run.out.find("server2  tested   /Dhcp4/valid-lifetime"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("server1  pending  unreachable"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("nothing was set or written (generation stays 7)"), std::string::npos) << run.out;
    EXPECT_EQ(ctl("status --dry-run").status, 2) << "belongs to config set and patch";
}

// --- HA actions (issue 14 item 1) ----------------------------------------------------------------

TEST_F(CliTest, HaActionsReachTheirEndpointAndRefusalsSayWhy) {
    auto started = ctl("maintenance start dhcp-a server1", false);
    EXPECT_EQ(started.status, 0) << started.out;
    EXPECT_NE(started.out.find("maintenance-start: ha-maintenance-start sent to server2, which takes over server1 "
                               "(Kea: Server is in maintenance state.)"),
              std::string::npos)
        << started.out;
    ASSERT_EQ(backend_.actions.size(), 1u);
    EXPECT_EQ(backend_.actions[0].action, "maintenance-start");
    EXPECT_EQ(backend_.actions[0].peer, "server1");
    EXPECT_EQ(backend_.actions[0].who, "admin");
    auto refused = ctl("maintenance start dhcp-a server2");
    EXPECT_EQ(refused.status, 1) << refused.out;
    EXPECT_NE(refused.out.find("refusing to leave no main peer in service"), std::string::npos) << refused.out;
    EXPECT_EQ(ctl("dhcp disable dhcp-a server2 --max-period 120", false).status, 0);
    EXPECT_EQ(backend_.actions.back().action, "dhcp-disable");
    EXPECT_EQ(backend_.actions.back().max_period_s, 120);
    EXPECT_EQ(ctl("dhcp enable dhcp-a server2", false).status, 0);
    EXPECT_EQ(backend_.actions.back().action, "dhcp-enable");
    EXPECT_EQ(ctl("ha-reset dhcp-a server2", false).status, 0);
    EXPECT_EQ(backend_.actions.back().action, "ha-reset");
    EXPECT_EQ(ctl("ha-sync dhcp-a server2", false).status, 0);
    EXPECT_EQ(backend_.actions.back().action, "ha-sync");
    const auto sent = backend_.actions.size();
    EXPECT_EQ(ctl("maintenance begin dhcp-a server1").status, 2);
    EXPECT_EQ(ctl("maintenance start dhcp-a").status, 2);
    EXPECT_EQ(ctl("ha-reset dhcp-a server1 --max-period 5").status, 2) << "only dhcp disable and ha-sync take it";
    EXPECT_EQ(ctl("dhcp disable dhcp-a server1 --max-period 0").status, 2);
    EXPECT_EQ(backend_.actions.size(), sent) << "usage errors send nothing";
}

TEST_F(CliTest, HistoryTableAndRollbackWithTheCurrentEtag) {
    auto history = ctl("history dhcp-a", false);
    EXPECT_EQ(history.status, 0) << history.out;
    EXPECT_NE(history.out.find("GEN  WHEN                  WHO    KIND           ROLLBACK  REQUEST"), std::string::npos)
        << history.out;
    EXPECT_NE(history.out.find("7    2026-12-03T07:00:00Z  alice  merge-patch    yes       {\"Dhcp4\":{\"valid-lifetime\":7200}}"),
              std::string::npos)
        << history.out;
    EXPECT_NE(history.out.find("rollback of 6"), std::string::npos) << history.out;
    // Without --if-match the CLI sends the config's current ETag ("e1" in this fake).
    auto rolled = ctl("config rollback dhcp-a 7", false);
    EXPECT_EQ(rolled.status, 0) << rolled.out;
    ASSERT_FALSE(backend_.config_requests.empty());
    EXPECT_EQ(backend_.config_requests.back().kind, ConfigRequest::Kind::Rollback);
    EXPECT_EQ(backend_.config_requests.back().generation, 7u);
    EXPECT_EQ(backend_.config_requests.back().if_match.value_or(""), "\"e1\"");
    auto stale = ctl("config rollback dhcp-a 7 --if-match e0");
    EXPECT_EQ(stale.status, 1) << stale.out;
    EXPECT_EQ(ctl("config rollback dhcp-a seven").status, 2);
    EXPECT_EQ(ctl("history").status, 2);
}

TEST_F(CliTest, StatusWatchRedrawsUntilStopped) {
    // Until Ctrl-C: stopped here by timeout(1) after about 2 s at a 0.5 s interval.
    const auto run = kea_ha::testing::run_shell("timeout 2 " + std::string(KEA_HA_BINARY_DIR) + "/kea-ha-ctl --api " + api_ +
                                                " --token-file " + token_file_ + " status --watch --interval 0.5");
    EXPECT_EQ(run.status, 124) << run.output;  // killed by timeout: it did not end by itself
    std::size_t tables = 0;
    for (auto at = run.output.find("dhcp-a  Impaired"); at != std::string::npos; at = run.output.find("dhcp-a  Impaired", at + 1)) {
        ++tables;
    }
    EXPECT_GE(tables, 2u) << run.output;
    EXPECT_NE(run.output.find("(every 0.5 s; Ctrl-C ends)"), std::string::npos) << run.output;
    EXPECT_EQ(ctl("status --watch --interval 0.1").status, 2);
    EXPECT_EQ(ctl("events dhcp-a --watch").status, 2);
}

TEST_F(CliTest, MissingTokenIs401) {
    auto run = ctl("--api " + api_ + " status", true, false);
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.out.find("(HTTP 401)"), std::string::npos) << run.out;
}

TEST_F(CliTest, UnreachableControllerExits3) {
    const auto port = kea_ha::testing::free_port();
    auto run = ctl("--api http://127.0.0.1:" + std::to_string(port) + " status", true, false);
    EXPECT_EQ(run.status, 3) << run.out;
    EXPECT_NE(run.out.find("cannot reach the controller at http://127.0.0.1:" + std::to_string(port) +
                           ": connection refused"),
              std::string::npos)
        << run.out;
}

TEST_F(CliTest, UsageErrorsExit2) {
    EXPECT_EQ(ctl("").status, 2);
    EXPECT_EQ(ctl("frobnicate").status, 2);
    EXPECT_EQ(ctl("remove").status, 2);
    EXPECT_EQ(ctl("status a b").status, 2);
    EXPECT_EQ(ctl("--bogus status").status, 2);
    EXPECT_EQ(ctl("add x --control-url nonsense").status, 2);
    EXPECT_EQ(ctl("add x --user ctl").status, 2);                        // no --password-file
    EXPECT_EQ(ctl("add x --user ctl --password-file pw.txt").status, 2);  // relative: the controller reads it
    EXPECT_EQ(ctl("status --user ctl").status, 2);                       // belongs to add
    EXPECT_EQ(ctl("--api ftp://x status", true, false).status, 2);
    EXPECT_EQ(ctl("config set dhcp-a /nonexistent/file").status, 2);
    EXPECT_EQ(ctl("--token-file /nonexistent/token status", true, false).status, 2);
    auto help = ctl("--help", true, false);
    EXPECT_EQ(help.status, 0);
    EXPECT_NE(help.out.find("usage: kea-ha-ctl"), std::string::npos);
    auto version = ctl("--version", true, false);
    EXPECT_EQ(version.status, 0);
    EXPECT_EQ(version.out.rfind("kea-ha-ctl ", 0), 0u);
}

TEST_F(CliTest, AddAndRemove) {
    auto add = ctl("add dhcp-b 10.0.0.1 --service dhcp6 --control-url server2=http://10.0.0.2:8000/");
    EXPECT_EQ(add.status, 0) << add.out;
    EXPECT_NE(add.out.find("registered dhcp-b"), std::string::npos) << add.out;
    ASSERT_EQ(backend_.registered.size(), 1u);
    EXPECT_EQ(backend_.registered[0].address, "10.0.0.1");
    EXPECT_EQ(backend_.registered[0].service, "dhcp6");
    EXPECT_EQ(backend_.registered[0].control_urls.at("server2"), "http://10.0.0.2:8000/");

    EXPECT_FALSE(backend_.registered[0].auth_user);

    auto by_url = ctl("add dhcp-c http://10.0.0.3:8000/ --user ctl --password-file /etc/kea/ctl.pw");
    EXPECT_EQ(by_url.status, 0) << by_url.out;
    ASSERT_EQ(backend_.registered.size(), 2u);
    EXPECT_EQ(backend_.registered[1].url, "http://10.0.0.3:8000/");
    EXPECT_EQ(backend_.registered[1].auth_user, "ctl");
    EXPECT_EQ(backend_.registered[1].auth_password_file, "/etc/kea/ctl.pw");

    auto taken = ctl("add dhcp-b");
    EXPECT_EQ(taken.status, 1);
    EXPECT_NE(taken.out.find("already registered (HTTP 409)"), std::string::npos) << taken.out;

    auto bad_name = ctl("add 'bad name'");
    EXPECT_EQ(bad_name.status, 1);
    EXPECT_NE(bad_name.out.find("(HTTP 400)"), std::string::npos) << bad_name.out;

    auto removed = ctl("remove dhcp-b");
    EXPECT_EQ(removed.status, 0) << removed.out;
    EXPECT_NE(removed.out.find("removed dhcp-b"), std::string::npos);
    auto again = ctl("remove dhcp-b");
    EXPECT_EQ(again.status, 1);
    EXPECT_NE(again.out.find("(HTTP 404)"), std::string::npos);
}

TEST_F(CliTest, ConfigGetPrintsTheDocumentAndItsEtag) {
    auto get = ctl("config get dhcp-a", false);
    EXPECT_EQ(get.status, 0) << get.out;
    EXPECT_EQ(json::parse(get.out)["Dhcp4"]["valid-lifetime"], 4000);
    auto with_etag = ctl("config get dhcp-a");  // stderr too: the ETag line
    EXPECT_NE(with_etag.out.find("ETag: \"e1\""), std::string::npos) << with_etag.out;
}

TEST_F(CliTest, ConfigPatchWithAPendingPeerExits4AndShowsEachPeer) {
    const std::string file = dir_ + "/patch.json";
    std::ofstream(file) << R"({"Dhcp4": {"valid-lifetime": 600}})";
    auto patch = ctl("config patch dhcp-a " + file);
    EXPECT_EQ(patch.status, 4) << patch.out;
    EXPECT_NE(patch.out.find("pending"), std::string::npos) << patch.out;
    EXPECT_NE(patch.out.find("applied"), std::string::npos) << patch.out;
    EXPECT_NE(patch.out.find("server1"), std::string::npos) << patch.out;
    ASSERT_EQ(backend_.config_requests.size(), 1u);
    EXPECT_EQ(backend_.config_requests[0].kind, ConfigRequest::Kind::MergePatch);

    const std::string ops = dir_ + "/ops.json";
    std::ofstream(ops) << R"([{"op": "replace", "path": "/Dhcp4/valid-lifetime", "value": 700}])";
    auto json_patch = ctl("--json config patch dhcp-a " + ops, false);
    EXPECT_EQ(json_patch.status, 4);
    EXPECT_EQ(json::parse(json_patch.out)["peers"][1]["outcome"], "pending");
    ASSERT_EQ(backend_.config_requests.size(), 2u);
    EXPECT_EQ(backend_.config_requests[1].kind, ConfigRequest::Kind::JsonPatch);
}

TEST_F(CliTest, StaleIfMatchIsAnApiErrorWithTheMessage) {
    const std::string file = dir_ + "/config.json";
    std::ofstream(file) << R"({"Dhcp4": {"valid-lifetime": 600}})";
    auto set = ctl("config set dhcp-a " + file + " --if-match '\"old\"'");
    EXPECT_EQ(set.status, 1) << set.out;
    EXPECT_NE(set.out.find("changed"), std::string::npos) << set.out;
    ASSERT_EQ(backend_.config_requests.size(), 1u);
    EXPECT_EQ(backend_.config_requests[0].kind, ConfigRequest::Kind::Replace);
    EXPECT_EQ(backend_.config_requests[0].if_match.value_or(""), "\"old\"");
}

TEST_F(CliTest, ConfigFilesThatAreNotJsonAreUsageErrors) {
    const std::string file = dir_ + "/bad.json";
    std::ofstream(file) << "{not json";
    auto bad = ctl("config set dhcp-a " + file);
    EXPECT_EQ(bad.status, 2) << bad.out;
    EXPECT_NE(bad.out.find("is not JSON"), std::string::npos) << bad.out;
    auto missing = ctl("config patch dhcp-a " + dir_ + "/absent.json");
    EXPECT_EQ(missing.status, 2) << missing.out;
    EXPECT_TRUE(backend_.config_requests.empty());
}

TEST_F(CliTest, SyncShowsEachPeer) {
    auto sync = ctl("sync dhcp-a");
    EXPECT_EQ(sync.status, 4) << sync.out;
    EXPECT_NE(sync.out.find("server2"), std::string::npos) << sync.out;
    ASSERT_EQ(backend_.config_requests.size(), 1u);
    EXPECT_EQ(backend_.config_requests[0].kind, ConfigRequest::Kind::Sync);
}

// --- one grammar, noun then verb (issue 31 point 4) ----------------------------------------------

TEST_F(CliTest, NewSpellingsReachTheSameEndpoints) {
    // command line -> the API's action (POST …/peers/PEER/ACTION)
    const std::vector<std::pair<std::string, std::string>> spellings = {
        {"ha maintenance start dhcp-a server1", "maintenance-start"},
        {"ha maintenance cancel dhcp-a server1", "maintenance-cancel"},
        {"ha reset dhcp-a server2", "ha-reset"},
        {"ha sync-leases dhcp-a server2 --max-period 60", "ha-sync"},
    };
    for (const auto& [command, action] : spellings) {
        SCOPED_TRACE(command);
        EXPECT_EQ(ctl(command, false).status, 0);
        ASSERT_FALSE(backend_.actions.empty());
        EXPECT_EQ(backend_.actions.back().action, action);
    }
    EXPECT_EQ(backend_.actions.back().max_period_s, 60);
    const auto actions = backend_.actions.size();
    EXPECT_EQ(ctl("ha reset dhcp-a server2 --max-period 5").status, 2) << "only dhcp disable and ha sync-leases take it";
    EXPECT_EQ(ctl("ha maintenance dhcp-a server1").status, 2);
    EXPECT_EQ(ctl("ha frobnicate dhcp-a server1").status, 2);
    EXPECT_EQ(backend_.actions.size(), actions) << "usage errors send nothing";

    auto history = ctl("config history dhcp-a");
    EXPECT_EQ(history.status, 0) << history.out;
    EXPECT_NE(history.out.find("rollback of 6"), std::string::npos) << history.out;
    EXPECT_EQ(history.out.find("is now"), std::string::npos) << "no notice for the new spelling: " << history.out;
    auto synced = ctl("config sync dhcp-a");
    EXPECT_EQ(synced.status, 4) << synced.out;  // the fake leaves server2 pending
    ASSERT_FALSE(backend_.config_requests.empty());
    EXPECT_EQ(backend_.config_requests.back().kind, ConfigRequest::Kind::Sync);
}

TEST_F(CliTest, OldSpellingsWorkWithAOneLineNotice) {
    const std::vector<std::pair<std::string, std::string>> old_and_new = {
        {"sync dhcp-a", "'sync' is now 'config sync'"},
        {"history dhcp-a", "'history' is now 'config history'"},
        {"maintenance start dhcp-a server1", "'maintenance' is now 'ha maintenance'"},
        {"ha-reset dhcp-a server2", "'ha-reset' is now 'ha reset'"},
        {"ha-sync dhcp-a server2", "'ha-sync' is now 'ha sync-leases'"},
    };
    for (const auto& [command, notice] : old_and_new) {
        SCOPED_TRACE(command);
        const auto run = ctl(command);
        EXPECT_NE(run.status, 2) << run.out;
        EXPECT_NE(run.out.find("kea-ha-ctl: " + notice + "; the old spelling goes in the next release\n"),
                  std::string::npos)
            << run.out;
    }
    ASSERT_GE(backend_.actions.size(), 3u);
    EXPECT_EQ(backend_.actions.back().action, "ha-sync");
}

TEST_F(CliTest, ApiAndTokenFileFromTheirEnvironmentVariables) {
    const std::string ctl_binary = std::string(KEA_HA_BINARY_DIR) + "/kea-ha-ctl";
    auto run = kea_ha::testing::run_shell("KEA_HA_CTL_API=" + api_ + " KEA_HA_CTL_TOKEN_FILE=" + token_file_ + " " +
                                          ctl_binary + " status");
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("dhcp-a"), std::string::npos) << run.output;
    EXPECT_EQ(run.output.find("KEA_HA_API"), std::string::npos) << "no notice for the new names: " << run.output;
    // Without the token file the daemon answers 401: the variable was what carried it.
    run = kea_ha::testing::run_shell("KEA_HA_CTL_API=" + api_ + " " + ctl_binary + " status");
    EXPECT_EQ(run.status, 1) << run.output;
    // The old name still works, with a notice; the new one wins when both are set.
    run = kea_ha::testing::run_shell("KEA_HA_API=" + api_ + " " + ctl_binary + " --token-file " + token_file_ + " status");
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("KEA_HA_API is now KEA_HA_CTL_API"), std::string::npos) << run.output;
    run = kea_ha::testing::run_shell("KEA_HA_API=http://127.0.0.1:9 KEA_HA_CTL_API=" + api_ + " " + ctl_binary +
                                     " --token-file " + token_file_ + " status");
    EXPECT_EQ(run.status, 0) << run.output;
}

TEST_F(CliTest, ApiFromEnvironment) {
    const std::string command = "KEA_HA_API=" + api_ + " " + std::string(KEA_HA_BINARY_DIR) +
                                "/kea-ha-ctl --token-file " + token_file_ + " status >/dev/null 2>&1";
    const int raw = std::system(command.c_str());
    EXPECT_TRUE(WIFEXITED(raw));
    EXPECT_EQ(WEXITSTATUS(raw), 0);
}

}  // namespace
