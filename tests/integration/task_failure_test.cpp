// Issue 13 item 1, no silent task death: an exception inside a task the daemon runs in the
// background (a peer's poll loop, the cluster's discovery loop, a replication fan-out task, an
// API request) is logged with the cluster and the peer, and the work goes on: the loop starts
// again with back-off, the change gets its answer and releases the cluster's lock. The bug is
// injected through ClusterMonitor::set_fault (the monitor's test seam) and the API handler.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <spdlog/sinks/base_sink.h>

#include "kea_ha/api/server.hpp"
#include "kea_ha/daemon/cluster_monitor.hpp"
#include "kea_ha/daemon/logging.hpp"
#include "support/fake_control_agent.hpp"
#include "support/http_probe.hpp"
#include "support/monitor_preferences.hpp"
#include "support/recorded_answers.hpp"
#include "support/run_awaitable.hpp"

namespace kea_ha {
namespace {

using namespace std::chrono_literals;
using testing::FakeControlAgent;
using testing::FakeReply;

/// Keeps every message of the loggers it is added to ("[health] poll loop failed, …").
class CapturedLog final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<std::string> lines_with(const std::string& words) {
        std::lock_guard lock(mutex_);
        std::vector<std::string> found;
        std::copy_if(lines_.begin(), lines_.end(), std::back_inserter(found),
                     [&](const std::string& line) { return line.find(words) != std::string::npos; });
        return found;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        lines_.push_back("[" + std::string(msg.logger_name.data(), msg.logger_name.size()) + "] " +
                         std::string(spdlog::level::to_string_view(msg.level).data()) + " " +
                         std::string(msg.payload.data(), msg.payload.size()));
    }
    void flush_() override {}

private:
    std::vector<std::string> lines_;  // guarded by base_sink's mutex_
};

/// One Kea 2.2 peer of a hot-standby pair behind its own fake Control Agent: its config is
/// what config-set last gave it.
class FakePeer {
public:
    FakePeer(std::string name, std::string role, std::string partner, nlohmann::json config)
        : name_(std::move(name)), role_(std::move(role)), partner_(std::move(partner)), config_(std::move(config)) {
        fake_.on("version-get", FakeReply::answer(0, "2.2.0"));
        fake_.on("config-get", [this](const nlohmann::json& request) {
            if (!request.contains("service")) return FakeReply::answer(0, "", {{"Control-agent", {{"http-port", 8000}}}});
            std::lock_guard lock(mutex_);
            return FakeReply::answer(0, "", config_);
        });
        fake_.on("config-test", FakeReply::answer(0, "Configuration seems sane."));
        fake_.on("config-set", [this](const nlohmann::json& request) {
            std::lock_guard lock(mutex_);
            config_ = request.at("arguments");
            return FakeReply::answer(0, "Configuration successful.");
        });
        fake_.on("config-write", FakeReply::answer(0, "Configuration written to /etc/kea/kea-dhcp4.conf successfully"));
        fake_.on("status-get", FakeReply::answer(
                                   0, "",
                                   {{"pid", 1},
                                    {"uptime", 10},
                                    {"high-availability",
                                     nlohmann::json::array(
                                         {{{"ha-mode", "hot-standby"},
                                           {"ha-servers",
                                            {{"local", {{"role", role_}, {"state", "hot-standby"}, {"server-name", name_}}},
                                             {"remote", {{"in-touch", true}, {"server-name", partner_}}}}}}})}}));
        fake_.on("ha-heartbeat", FakeReply::answer(0, "HA peer status returned.",
                                                   {{"state", "hot-standby"},
                                                    {"date-time", "Wed, 02 Dec 2026 10:00:00 GMT"},
                                                    {"scopes", nlohmann::json::array()},
                                                    {"unsent-update-count", 0}}));
    }

    std::string url() const { return fake_.url(); }
    int valid_lifetime() const {
        std::lock_guard lock(mutex_);
        return config_["Dhcp4"].value("valid-lifetime", 0);
    }
    /// The valid-lifetime of a recorded config (what a peer has before any change).
    static int recorded_lifetime(const std::string& file) {
        return testing::recorded_arguments(file)["Dhcp4"].value("valid-lifetime", 0);
    }
    /// The requests received for `command`, oldest first.
    std::vector<testing::RecordedRequest> requests(const std::string& command) const {
        auto all = fake_.requests();
        std::erase_if(all, [&](const auto& request) { return request.command != command; });
        return all;
    }

private:
    std::string name_, role_, partner_;
    mutable std::mutex mutex_;
    nlohmann::json config_;
    FakeControlAgent fake_;  // last: stopped before the state its handlers read
};

/// The exception the injected bug throws.
struct InjectedBug : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class TaskFailureTest : public ::testing::Test {
protected:
    void SetUp() override {
        client_ = kea::make_control_agent_client(io_, {});
        log_ = std::make_shared<CapturedLog>();
        for (const char* name : {"health", "replication"}) daemon::logger(name)->sinks().push_back(log_);
    }
    void TearDown() override {
        if (monitor_) {
            monitor_->stop();
            run_until([&] { return monitor_->idle(); });
        }
        for (const char* name : {"health", "replication"}) {
            auto& sinks = daemon::logger(name)->sinks();
            sinks.erase(std::remove(sinks.begin(), sinks.end(), log_), sinks.end());
        }
    }

    /// server1 primary, server2 standby; the monitor started with `fault` as its test seam and
    /// running until the cluster is OK.
    void start(daemon::FaultHook fault = {}) {
        peers_.push_back(std::make_unique<FakePeer>("server1", "primary", "server2",
                                                    testing::recorded_arguments("config-get-hot-standby-primary.json")));
        peers_.push_back(std::make_unique<FakePeer>("server2", "standby", "server1",
                                                    testing::recorded_arguments("config-get-hot-standby-standby.json")));
        daemon::Registration registration;
        registration.name = "dhcp-a";
        registration.url = peers_[0]->url();
        registration.control_urls = {{"server1", peers_[0]->url()}, {"server2", peers_[1]->url()}};
        auto found = testing::run_awaitable(io_, daemon::discover_topology(*client_, prefs_, registration, std::nullopt));
        ASSERT_TRUE(found) << found.error().describe();
        registration.transport = found->transport;
        daemon::MonitorContext context{io_, *client_, &prefs_, nullptr, &credentials_, {}};
        monitor_ = daemon::ClusterMonitor::create(context, registration, found->topology);
        monitor_->set_fault(std::move(fault));
        monitor_->start();
        ASSERT_TRUE(run_until([&] { return monitor_->state() == core::ClusterState::Ok; })) << monitor_->detail().dump(1);
    }

    FakePeer& peer(int number) { return *peers_.at(static_cast<std::size_t>(number - 1)); }

    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
        io_.restart();
        const auto until = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < until) io_.run_one_for(20ms);
        return done();
    }

    /// Polls of `name` counted by the monitor (the /metrics figure).
    std::uint64_t polls_of(const std::string& name) const {
        for (const auto& p : monitor_->metrics().peers) {
            if (p.name == name) return p.polls;
        }
        return 0;
    }

    /// A merge patch of valid-lifetime through the operation the API calls; never waits more than 10 s.
    daemon::ConfigOutcome set_lifetime(int seconds) {
        return testing::run_awaitable(
            io_,
            monitor_->change_config(
                {daemon::ConfigChange::Kind::MergePatch, {{"Dhcp4", {{"valid-lifetime", seconds}}}}, std::nullopt}),
            10s);
    }

    /// Starts the cluster, then makes one change (valid-lifetime 7200) during which the first
    /// `step` on `peer` throws.
    daemon::ConfigOutcome change_with_bug_at(const std::string& step, const std::string& peer) {
        change_bug_.step = step;
        change_bug_.peer = peer;
        start(change_bug_.hook());
        change_bug_.armed = true;
        return set_lifetime(7200);
    }

    static nlohmann::json outcome_of(const daemon::ConfigOutcome& out, const std::string& name) {
        const auto& peers = out.body.contains("peers") ? out.body["peers"] : out.body["error"]["peers"];
        for (const auto& p : peers) {
            if (p["name"] == name) return p;
        }
        return nullptr;
    }

    /// A seam that throws once, at the first `step` on `peer` after it is armed.
    struct ThrowOnce {
        std::string step, peer;
        std::atomic<bool> armed{false};
        std::atomic<int> calls{0};  ///< `step` on `peer`, armed or not
        std::chrono::steady_clock::time_point thrown_at{};

        daemon::FaultHook hook() {
            return [this](std::string_view s, const std::string& p) {
                if (s != step || p != peer) return;
                ++calls;
                if (armed.exchange(false)) {
                    thrown_at = std::chrono::steady_clock::now();
                    throw InjectedBug("injected bug at " + step + " on " + peer);
                }
            };
        }
    };

    boost::asio::io_context io_;
    core::Preferences prefs_ = testing::fast_monitor_preferences();
    std::unique_ptr<kea::ControlAgentClient> client_;
    std::optional<kea::Credentials> credentials_;
    std::vector<std::unique_ptr<FakePeer>> peers_;
    std::shared_ptr<daemon::ClusterMonitor> monitor_;
    std::shared_ptr<CapturedLog> log_;
    ThrowOnce change_bug_;  ///< change_with_bug_at()
};

// --- poll loops ---------------------------------------------------------------------------------

TEST_F(TaskFailureTest, PollLoopThatThrows_IsLoggedWithClusterAndPeer_AndPollsAgainAfterAPause) {
    ThrowOnce bug{"status-get", "server2"};
    start(bug.hook());
    bug.armed = true;
    const std::string line =
        "[health] error poll loop failed, restarting in 1 s cluster=dhcp-a peer=server2 "
        "error=\"injected bug at status-get on server2\"";
    ASSERT_TRUE(run_until([&] { return !log_->lines_with(line).empty(); }));
    const auto polls_at_failure = polls_of("server2");
    const auto server1_polls = polls_of("server1");
    const auto requests_at_failure = peer(2).requests("status-get").size();
    // Polling resumes: the monitor counts server2's polls again, and the fake sees them.
    ASSERT_TRUE(run_until([&] { return polls_of("server2") >= polls_at_failure + 3; })) << monitor_->detail().dump(1);
    const auto after = peer(2).requests("status-get");
    ASSERT_GT(after.size(), requests_at_failure);
    // … after the back-off (a timer never fires early), not at once.
    EXPECT_GE(after[requests_at_failure].received - bug.thrown_at, 900ms);
    EXPECT_GT(polls_of("server1"), server1_polls);  // the other peer never stopped
    EXPECT_EQ(monitor_->state(), core::ClusterState::Ok);
    EXPECT_EQ(log_->lines_with("poll loop failed").size(), 1u);
}

TEST_F(TaskFailureTest, PollLoopThatKeepsThrowing_BacksOffDoubling_AndIsNotRestartedAfterStop) {
    std::atomic<bool> broken{false};
    start([&](std::string_view step, const std::string& peer) {
        if (broken && step == "status-get" && peer == "server2") throw InjectedBug("injected bug");
    });
    broken = true;
    ASSERT_TRUE(run_until([&] { return log_->lines_with("poll loop failed").size() >= 3; }, 15s));
    const auto lines = log_->lines_with("poll loop failed");
    EXPECT_NE(lines[0].find("restarting in 1 s cluster=dhcp-a peer=server2"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("restarting in 2 s cluster=dhcp-a peer=server2"), std::string::npos) << lines[1];
    EXPECT_NE(lines[2].find("restarting in 4 s cluster=dhcp-a peer=server2"), std::string::npos) << lines[2];
    // Stopped during the 4 s pause: idle at once (the pending restart is cancelled), and no
    // poll loop of this monitor runs again.
    const auto requests = peer(2).requests("version-get").size() + peer(2).requests("status-get").size();
    monitor_->stop();
    const auto stopped_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(run_until([&] { return monitor_->idle(); }));
    EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 2s);
    EXPECT_EQ(peer(2).requests("version-get").size() + peer(2).requests("status-get").size(), requests);
    EXPECT_EQ(log_->lines_with("poll loop failed").size(), 3u);
}

// --- the discovery loop -------------------------------------------------------------------------

TEST_F(TaskFailureTest, DiscoveryLoopThatThrows_IsLoggedAndRestarted_WithoutASecondSetOfPollers) {
    // One poll per peer (the first), then none for an hour: a second set of pollers would show
    // as a second version-get and status-get. The config is read again every second.
    prefs_.poll_interval = 3600s;
    prefs_.config_sync_interval = 1s;
    prefs_.replicate_config = false;  // only the discovery loop reads configs
    ThrowOnce bug{"config-get", "server1"};
    start(bug.hook());
    ASSERT_TRUE(run_until([&] { return peer(2).requests("status-get").size() == 1; }));
    bug.armed = true;
    const std::string line =
        "[health] error cluster loop failed, restarting in 1 s cluster=dhcp-a error=\"injected bug at config-get on server1\"";
    ASSERT_TRUE(run_until([&] { return !log_->lines_with(line).empty(); }));
    const int calls_at_failure = bug.calls;
    // Restarted: it reads the config again, twice (a round after the restart, then the next).
    ASSERT_TRUE(run_until([&] { return bug.calls >= calls_at_failure + 2; }));
    for (int number : {1, 2}) {
        EXPECT_EQ(peer(number).requests("version-get").size(), number == 1 ? 2u : 1u)  // server1: discovery's too
            << "server" << number;
        EXPECT_EQ(peer(number).requests("status-get").size(), 1u) << "server" << number;
    }
    EXPECT_EQ(monitor_->state(), core::ClusterState::Ok);
}

// --- replication fan-out ------------------------------------------------------------------------

TEST_F(TaskFailureTest, TargetWriteThatThrows_MarksThePeerFailed_TheChangeAnswers200_AndTheLockIsReleased) {
    const auto out = change_with_bug_at("config-set", "server2");
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    EXPECT_EQ(outcome_of(out, "server1")["outcome"], "applied");
    EXPECT_EQ(outcome_of(out, "server2")["outcome"], "failed");
    EXPECT_EQ(outcome_of(out, "server2")["message"], "internal error: injected bug at config-set on server2");
    EXPECT_EQ(log_->lines_with("[replication] error config task failed cluster=dhcp-a peer=server2 phase=write "
                               "error=\"injected bug at config-set on server2\"")
                  .size(),
              1u);
    EXPECT_EQ(peer(1).valid_lifetime(), 7200);
    // The lock was released: the next change goes through, on both.
    const auto next = set_lifetime(3600);
    ASSERT_EQ(next.status, 200u) << next.body.dump(1);
    EXPECT_EQ(outcome_of(next, "server1")["outcome"], "applied");
    EXPECT_EQ(outcome_of(next, "server2")["outcome"], "applied");
    EXPECT_EQ(peer(1).valid_lifetime(), 3600);
    EXPECT_EQ(peer(2).valid_lifetime(), 3600);
}

TEST_F(TaskFailureTest, TestThatThrows_RefusesTheChangeWith502BeforeAnyWrite_AndTheLockIsReleased) {
    const auto out = change_with_bug_at("config-test", "server2");
    ASSERT_EQ(out.status, 502u) << out.body.dump(1);
    EXPECT_EQ(out.body["error"]["code"], "internal");
    EXPECT_EQ(out.body["error"]["peer"], "server2");
    EXPECT_NE(out.body["error"]["message"].get<std::string>().find("internal error: injected bug"), std::string::npos);
    EXPECT_EQ(log_->lines_with("config task failed cluster=dhcp-a peer=server2 phase=test").size(), 1u);
    EXPECT_TRUE(peer(1).requests("config-set").empty());
    EXPECT_TRUE(peer(2).requests("config-set").empty());
    const auto next = set_lifetime(3600);
    ASSERT_EQ(next.status, 200u) << next.body.dump(1);
    EXPECT_EQ(peer(2).valid_lifetime(), 3600);
}

TEST_F(TaskFailureTest, SotWriteThatThrows_FailsTheChangeAsAWhole_AndTheLockIsReleased) {
    const int before = FakePeer::recorded_lifetime("config-get-hot-standby-standby.json");
    const auto out = change_with_bug_at("config-set", "server1");
    ASSERT_EQ(out.status, 502u) << out.body.dump(1);
    EXPECT_EQ(out.body["error"]["code"], "sot-write-failed");
    EXPECT_EQ(out.body["error"]["message"], "server1: internal error: injected bug at config-set on server1");
    // The target, written in parallel, has its config back (or was never written).
    const auto target = outcome_of(out, "server2")["outcome"];
    EXPECT_TRUE(target == "rolled-back" || target == "unchanged") << out.body.dump(1);
    EXPECT_EQ(peer(2).valid_lifetime(), before);
    EXPECT_EQ(monitor_->detail()["replication"]["generation"], 0);
    EXPECT_EQ(log_->lines_with("config task failed cluster=dhcp-a peer=server1 phase=write").size(), 1u);
    const auto next = set_lifetime(3600);
    ASSERT_EQ(next.status, 200u) << next.body.dump(1);
    EXPECT_EQ(next.body["generation"], 1);
}

TEST_F(TaskFailureTest, SotConfigWriteThatThrows_KeepsTheChange_AppliedNotPersisted) {
    const auto out = change_with_bug_at("config-write", "server1");
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    EXPECT_EQ(outcome_of(out, "server1")["outcome"], "applied");
    EXPECT_EQ(outcome_of(out, "server1")["persisted"], false);
    EXPECT_EQ(outcome_of(out, "server1")["message"],
              "applied in memory, not persisted: internal error: injected bug at config-write on server1");
    EXPECT_EQ(outcome_of(out, "server2")["outcome"], "applied");
    EXPECT_EQ(out.body["generation"], 1);
    const auto next = set_lifetime(3600);
    ASSERT_EQ(next.status, 200u) << next.body.dump(1);
    EXPECT_EQ(next.body["generation"], 2);
}

// --- API sessions -------------------------------------------------------------------------------

TEST(ApiTaskFailureTest, HandlerThatThrows_IsReportedWithTheRequest_AndAnswered500) {
    boost::asio::io_context io;
    std::mutex mutex;
    std::vector<std::pair<std::string, std::string>> reported;
    api::ServerSettings settings;
    settings.listen = "127.0.0.1:0";
    settings.report_failure = [&](std::string_view what, std::string_view error) {
        std::lock_guard lock(mutex);
        reported.emplace_back(what, error);
    };
    auto server = api::start_api_server(io, settings, [](api::ApiRequest) -> boost::asio::awaitable<api::ApiResponse> {
        throw InjectedBug("injected bug in the handler");
        co_return api::ApiResponse{};
    });
    ASSERT_TRUE(server.ok()) << server.error().describe();
    std::thread runner([&] { io.run(); });
    auto reply = testing::http_request("127.0.0.1", (*server)->port(), "GET", "/v1/clusters/dhcp-a");
    (*server)->stop();
    runner.join();
    ASSERT_TRUE(reply.ok()) << reply.error().describe();
    EXPECT_EQ(reply->status, 500u);
    ASSERT_EQ(reported.size(), 1u);
    EXPECT_EQ(reported[0].first, "api request failed method=GET target=/v1/clusters/dhcp-a");
    EXPECT_EQ(reported[0].second, "injected bug in the handler");
}

}  // namespace
}  // namespace kea_ha
