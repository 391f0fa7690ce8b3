// SPEC §5 replication against fake Control Agents, one per peer (Kea 2.6 answers: config-get
// with a top-level `hash`, config-hash-get): the parallel change protocol and its rollback,
// config-write refused, and replication scoped to the cluster's relationship onto a peer whose
// HA relationships differ (a hub): only the relationship's subnets replaced, everything else
// of the hub kept, and a config that cannot be placed refused (a change, a sync, a
// convergence, the primary's return).

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "kea_ha/core/replication.hpp"
#include "kea_ha/daemon/cluster_monitor.hpp"
#include "kea_ha/daemon/state_writer.hpp"
#include "support/controller_process.hpp"
#include "support/fake_control_agent.hpp"
#include "support/recorded_answers.hpp"
#include "support/run_awaitable.hpp"

namespace kea_ha {
namespace {

using namespace std::chrono_literals;
using testing::FakeControlAgent;
using testing::FakeReply;
using testing::RecordedRequest;

nlohmann::json recorded(const std::string& name) { return testing::recorded_arguments(name); }

nlohmann::json& relationships_of(nlohmann::json& document) {
    for (auto& hook : document["Dhcp4"]["hooks-libraries"]) {
        if (hook.value("library", "").find("libdhcp_ha.so") != std::string::npos) {
            return hook["parameters"]["high-availability"];
        }
    }
    throw std::runtime_error("no HA hook in the test config");
}

/// The HA relationships of a config read from a fake (a copy).
nlohmann::json relationships_of(nlohmann::json&& document) { return relationships_of(document); }

/// One Kea 2.6 server behind its own fake Control Agent. Its config is what config-set last
/// gave it; failures and delays are scripted per command.
class FakeKea {
public:
    FakeKea(std::string name, std::string role, std::string partner, nlohmann::json config)
        : name_(std::move(name)), role_(std::move(role)), partner_(std::move(partner)), config_(std::move(config)) {
        fake_.on("version-get", [this](const nlohmann::json&) { return dark(FakeReply::answer(0, "2.6.3")); });
        fake_.on("config-get", [this](const nlohmann::json& request) {
            if (!request.contains("service")) {
                return FakeReply::answer(0, "", {{"Control-agent", {{"http-port", 8000}}}});  // the transport probe
            }
            std::lock_guard lock(mutex_);
            auto arguments = config_;
            arguments["hash"] = hash_locked();  // Kea >= 2.4: two members
            return dark(FakeReply::answer(0, "", arguments));
        });
        fake_.on("config-hash-get", [this](const nlohmann::json&) {
            std::lock_guard lock(mutex_);
            if (hash_get_failures_ > 0) {
                --hash_get_failures_;
                return dark(FakeReply::answer(1, "out of memory"));
            }
            return dark(FakeReply::answer(0, "", {{"hash", hash_locked()}}));
        });
        fake_.on("config-test", [this](const nlohmann::json&) {
            return dark(FakeReply::answer(0, "Configuration seems sane."));
        });
        fake_.on("config-set", [this](const nlohmann::json& request) {
            std::lock_guard lock(mutex_);
            if (lfc_refusals_ > 0) {
                --lfc_refusals_;  // Kea 3.2's words; nothing changed
                return dark(FakeReply::answer(
                    1, "Can not update configuration while lease file cleanup process is running."));
            }
            const bool fail = !set_failure_.empty() && ++sets_ > sets_before_failing_;
            if (!fail || set_failure_result_ == 5) {
                // Result 5 (Kea 3.2): part of the new config was applied and not rolled back.
                config_ = request.at("arguments");
                if (fill_defaults_) fill_defaults_locked();
                if (fail) config_["Dhcp4"]["partly-applied"] = true;
            }
            // Kea >= 2.6: the answer carries the hash of the config it now runs.
            auto reply = fail               ? FakeReply::answer(set_failure_result_, set_failure_)
                         : hash_in_set_answer_ ? FakeReply::answer(0, "Configuration successful.", {{"hash", hash_locked()}})
                                             : FakeReply::answer(0, "Configuration successful.");
            reply.delay = set_delay_;
            return dark(reply);
        });
        fake_.on("config-write", [this](const nlohmann::json&) {
            std::lock_guard lock(mutex_);
            ++writes_;
            if (!write_failure_.empty() && stop_on_failed_write_) {
                dark_ = true;  // its Kea stopping: the write cut, nothing answers after it
                return dark(FakeReply::answer(0, ""));
            }
            if (write_failure_.empty()) file_ = config_;
            return dark(write_failure_.empty() ? FakeReply::answer(0, "Configuration written to /etc/kea/kea-dhcp4.conf successfully")
                                               : FakeReply::answer(1, write_failure_));
        });
        fake_.on("status-get", [this](const nlohmann::json&) {
            const std::string state = role_ == "backup" ? "backup" : "hot-standby";
            return dark(FakeReply::answer(
                0, "",
                {{"pid", 1},
                 {"uptime", 10},
                 {"high-availability",
                  nlohmann::json::array({{{"ha-mode", "hot-standby"},
                                          {"ha-servers",
                                           {{"local", {{"role", role_}, {"state", state}, {"server-name", name_}}},
                                            {"remote", {{"in-touch", true}, {"server-name", partner_}}}}}}})}}));
        });
        fake_.on("ha-heartbeat", [this](const nlohmann::json&) {
            return dark(FakeReply::answer(0, "HA peer status returned.",
                                          {{"state", role_ == "backup" ? "backup" : "hot-standby"},
                                           {"date-time", "Wed, 02 Dec 2026 10:00:00 GMT"},
                                           {"scopes", nlohmann::json::array()},
                                           {"unsent-update-count", 0}}));
        });
    }

    std::string url() const { return fake_.url(); }
    nlohmann::json config() const {
        std::lock_guard lock(mutex_);
        return config_;
    }
    void set_config(nlohmann::json config) {
        std::lock_guard lock(mutex_);
        config_ = std::move(config);
    }
    void fail_config_set(std::string text) { fail_config_set_after(0, std::move(text)); }
    /// The next `count` config-sets are refused as Kea 3.2 refuses them while kea-lfc runs.
    void refuse_config_set_during_lfc(int count) {
        std::lock_guard lock(mutex_);
        lfc_refusals_ = count;
    }
    /// Every config-set fails with Kea 3.2's result 5: the config is partly applied (marked
    /// "partly-applied" here) and Kea could not roll back.
    void partly_apply_config_set(std::string text) {
        fail_config_set(std::move(text));
        std::lock_guard lock(mutex_);
        set_failure_result_ = 5;
    }
    /// The next `passing` config-sets succeed, the ones after fail with `text`.
    void fail_config_set_after(std::size_t passing, std::string text) {
        std::lock_guard lock(mutex_);
        set_failure_ = std::move(text);
        sets_ = 0;
        sets_before_failing_ = passing;
    }
    void fail_config_write(std::string text) {
        std::lock_guard lock(mutex_);
        write_failure_ = std::move(text);
    }
    /// With fail_config_write(): the failing config-write is cut (connection reset) and the
    /// peer goes dark, as when its Kea is stopped while it writes.
    void stop_on_failed_write(bool stop) {
        std::lock_guard lock(mutex_);
        stop_on_failed_write_ = stop;
    }
    /// Kea restarted: it runs its config file again (what the last good config-write saved;
    /// its first config when there was none).
    void restart_from_file() {
        std::lock_guard lock(mutex_);
        if (file_.is_null()) file_ = first_config_;
        config_ = file_;
    }
    /// The hash of what it runs, as config-hash-get gives it.
    std::string config_hash() const {
        std::lock_guard lock(mutex_);
        return hash_locked();
    }
    std::size_t config_writes() const {
        std::lock_guard lock(mutex_);
        return writes_;
    }
    void delay_config_set(std::chrono::milliseconds delay) {
        std::lock_guard lock(mutex_);
        set_delay_ = delay;
    }
    /// As real Kea: a config set is run (and given back, and hashed) with defaults filled in
    /// (here: each subnet4 without "4o6-interface" gets "").
    void fill_defaults(bool fill) {
        std::lock_guard lock(mutex_);
        fill_defaults_ = fill;
    }
    /// Off: config-set answers without a hash (as Kea 2.4 may).
    void hash_in_set_answer(bool on) {
        std::lock_guard lock(mutex_);
        hash_in_set_answer_ = on;
    }
    /// The next `count` config-hash-gets fail (result 1).
    void fail_config_hash_get(int count) {
        std::lock_guard lock(mutex_);
        hash_get_failures_ = count;
    }
    /// Dark: every request gets its connection reset (the peer is unreachable).
    void set_dark(bool dark) { dark_ = dark; }

    std::vector<RecordedRequest> requests(const std::string& command) const {
        std::vector<RecordedRequest> out;
        for (auto& request : fake_.requests()) {
            if (request.command == command) out.push_back(std::move(request));
        }
        return out;
    }
    void clear_requests() { fake_.clear_requests(); }

private:
    FakeReply dark(FakeReply reply) const {
        if (!dark_) return reply;
        FakeReply reset;
        reset.reset = true;
        return reset;
    }
    void fill_defaults_locked() {
        for (auto& subnet : config_["Dhcp4"]["subnet4"]) {
            if (!subnet.contains("4o6-interface")) subnet["4o6-interface"] = "";
        }
    }
    std::string hash_locked() const {
        std::ostringstream text;
        text << std::hex << std::uppercase << std::hash<std::string>{}(config_.dump());
        return text.str();
    }

    std::string name_, role_, partner_;
    mutable std::mutex mutex_;
    nlohmann::json config_;
    nlohmann::json first_config_ = config_;
    nlohmann::json file_;  ///< what config-write saved (null: the first config)
    bool stop_on_failed_write_ = false;
    bool fill_defaults_ = false, hash_in_set_answer_ = true;
    int hash_get_failures_ = 0;
    std::size_t writes_ = 0;
    std::string set_failure_, write_failure_;
    std::chrono::milliseconds set_delay_{0};
    std::size_t sets_ = 0, sets_before_failing_ = 0;
    int set_failure_result_ = 1;
    int lfc_refusals_ = 0;
    std::atomic<bool> dark_{false};
    FakeControlAgent fake_;   // last: stopped (destroyed) before the state its handlers read
};

/// A second relationship on the standby: a hub (Kea 2.6 hub and spoke), standby of branch2 too.
nlohmann::json as_hub(nlohmann::json config) {
    auto second = relationships_of(config).at(0);
    second["this-server-name"] = "hub2";
    second["peers"] = nlohmann::json::array({{{"name", "branch2"}, {"role", "primary"}, {"url", "http://127.0.78.1:8001/"}},
                                             {{"name", "hub2"}, {"role", "standby"}, {"url", "http://127.0.77.2:8002/"}}});
    relationships_of(config).push_back(second);
    config["Dhcp4"]["subnet4"].push_back({{"id", 902}, {"subnet", "10.92.0.0/24"},
                                          {"user-context", {{"ha-server-name", "hub2"}}}});
    return config;
}

/// Every subnet of the config without a relationship bound to `name` (user-context
/// ha-server-name): what a hub needs, where an unbound subnet cannot be placed.
nlohmann::json bound_to(nlohmann::json config, const std::string& name) {
    for (auto& subnet : config["Dhcp4"]["subnet4"]) {
        if (!subnet.contains("user-context")) subnet["user-context"] = {{"ha-server-name", name}};
    }
    return config;
}

std::set<std::string> subnets_of(const nlohmann::json& config) {
    std::set<std::string> out;
    for (const auto& subnet : config["Dhcp4"]["subnet4"]) out.insert(subnet["subnet"].get<std::string>());
    return out;
}

/// The first pool of the subnet with `prefix` ("" when there is none).
std::string pool_of(const nlohmann::json& config, const std::string& prefix) {
    for (const auto& subnet : config["Dhcp4"]["subnet4"]) {
        if (subnet["subnet"] == prefix && !subnet["pools"].empty()) return subnet["pools"][0]["pool"];
    }
    return "";
}

/// A JSON Patch operation: the first pool of the `index`th subnet becomes `pool`.
nlohmann::json pool_change(int index, const std::string& pool) {
    return {{"op", "replace"}, {"path", "/Dhcp4/subnet4/" + std::to_string(index) + "/pools/0/pool"}, {"value", pool}};
}

/// A JSON Patch operation: the global valid-lifetime becomes `seconds`.
nlohmann::json lifetime_change(int seconds) {
    return {{"op", "replace"}, {"path", "/Dhcp4/valid-lifetime"}, {"value", seconds}};
}

class ReplicationProtocolTest : public ::testing::Test {
protected:
    void SetUp() override {
        prefs_.poll_interval = 50ms;
        prefs_.request_timeout = 2s;
        prefs_.config_timeout = 5s;
        prefs_.config_sync_interval = 3600s;
        client_ = kea::make_control_agent_client(io_, {});
    }
    void TearDown() override {
        if (monitor_) {
            monitor_->stop();
            run_until([&] { return monitor_->idle(); });
        }
        monitor_.reset();
        state_.reset();
        if (!state_dir_.empty()) std::filesystem::remove_all(state_dir_);
    }
    /// Before start(): the monitor keeps its state (document, journals, history) in a directory.
    void use_state_directory() {
        state_dir_ = testing::make_temp_directory("kea-ha-replication-state");
        auto store = daemon::StateStore::open(state_dir_);
        ASSERT_TRUE(store) << store.error().describe();
        state_ = std::make_unique<daemon::StateWriter>(std::move(*store), nullptr);
    }
    /// The cluster's document as it is on disk now.
    nlohmann::json state_document() {
        state_->flush();
        std::ifstream in(state_dir_ + "/clusters/dhcp-a.json");
        return nlohmann::json::parse(in, nullptr, false);
    }
    /// The controller restarted: a new monitor from what the state directory holds (`stored`,
    /// or the document on disk).
    void recreate_monitor(std::optional<nlohmann::json> stored = std::nullopt) {
        monitor_->stop();
        ASSERT_TRUE(run_until([&] { return monitor_->idle(); }));
        const auto document = stored ? *stored : state_document();
        monitor_ = daemon::ClusterMonitor::create(*context_, registration_, std::nullopt, document);
        monitor_->start();
        ASSERT_TRUE(run_until([&] { return sot() == "server1" && monitor_->state() == core::ClusterState::Ok; }))
            << monitor_->detail().dump(1);
    }

    /// server1 primary, server2 standby (and server3 backup with `backup`), configs as recorded
    /// from a real pair (the standby's is the primary's, transformed).
    void start(bool backup = false) {
        auto primary = recorded("config-get-hot-standby-primary.json");
        auto standby = recorded("config-get-hot-standby-standby.json");
        if (backup) {
            const nlohmann::json peer = {{"auto-failover", true}, {"name", "server3"}, {"role", "backup"},
                                         {"url", "http://127.0.77.3:8000/"}};
            relationships_of(primary)[0]["peers"].push_back(peer);
            relationships_of(standby)[0]["peers"].push_back(peer);
        }
        kea_.push_back(std::make_unique<FakeKea>("server1", "primary", "server2", primary));
        kea_.push_back(std::make_unique<FakeKea>("server2", "standby", "server1", standby));
        if (backup) {
            auto third = standby;
            relationships_of(third)[0]["this-server-name"] = "server3";
            kea_.push_back(std::make_unique<FakeKea>("server3", "backup", "server1", third));
        }
        daemon::Registration registration;
        registration.name = "dhcp-a";
        registration.url = kea_[0]->url();
        for (std::size_t i = 0; i < kea_.size(); ++i) {
            registration.control_urls["server" + std::to_string(i + 1)] = kea_[i]->url();
        }
        auto found = testing::run_awaitables(
                         io_, [&] {
                             std::vector<boost::asio::awaitable<core::Result<daemon::Discovery>>> list;
                             list.push_back(daemon::discover_topology(*client_, prefs_, registration, std::nullopt));
                             return list;
                         }())
                         .front();
        ASSERT_TRUE(found) << found.error().describe();
        registration.transport = found->transport;
        context_ = std::make_unique<daemon::MonitorContext>(
            daemon::MonitorContext{io_, *client_, &prefs_, state_.get(), &credentials_, {}});
        registration_ = registration;
        monitor_ = daemon::ClusterMonitor::create(*context_, registration, found->topology);
        monitor_->start();
        ASSERT_TRUE(run_until([&] { return sot() == "server1" && monitor_->state() == core::ClusterState::Ok; }))
            << monitor_->detail().dump(1);
        // The first look (check-sync) is done when every peer's in_sync is known.
        ASSERT_TRUE(run_until([&] {
            const auto detail = monitor_->detail();
            for (const auto& peer : detail["peers"]) {
                if (peer["in_sync"].is_null()) return false;
            }
            return true;
        })) << monitor_->detail().dump(1);
    }

    FakeKea& kea(int number) { return *kea_.at(static_cast<std::size_t>(number - 1)); }
    /// server2 becomes a hub (Kea 2.6 hub and spoke: standby of branch2 too, with branch2's
    /// subnet 10.92.0.0/24); every subnet of the pair is bound to the relationship by server1.
    void make_hub() {
        kea(1).set_config(bound_to(kea(1).config(), "server1"));
        kea(2).set_config(as_hub(bound_to(kea(2).config(), "server1")));
    }
    /// serverN is away (unreachable) while the JSON Patch `patch` is made (200, serverN
    /// pending), then it is back. Requests are cleared before it comes back.
    void change_while_away(int number, const nlohmann::json& patch) {
        const std::string name = "server" + std::to_string(number);
        kea(number).set_dark(true);
        ASSERT_TRUE(run_until([&] { return condition(name) == "unreachable"; })) << monitor_->detail().dump(1);
        auto out = change({daemon::ConfigChange::Kind::JsonPatch, patch, std::nullopt});
        ASSERT_EQ(out.status, 200u) << out.body.dump(1);
        EXPECT_EQ(outcome_of(out.body["peers"], name)["outcome"], "pending") << out.body.dump(1);
        clear_requests();
        kea(number).set_dark(false);
    }
    nlohmann::json peer_detail(const std::string& name) const {
        const auto detail = monitor_->detail();  // kept: the loop reads inside it
        for (const auto& peer : detail["peers"]) {
            if (peer["name"] == name) return peer;
        }
        return nullptr;
    }
    std::string sot() const {
        const auto detail = monitor_->detail();
        return detail["source_of_truth"].is_string() ? detail["source_of_truth"].get<std::string>() : "";
    }
    std::string condition(const std::string& peer) const {
        const auto detail = monitor_->detail();
        for (const auto& p : detail["peers"]) {
            if (p["name"] == peer) return p["condition"].get<std::string>();
        }
        return "";
    }
    bool has_event(const std::string& kind, const std::string& peer) const {
        const auto events = monitor_->events();
        for (const auto& event : events) {
            if (event["kind"] == kind && event["peer"] == peer) return true;
        }
        return false;
    }
    void clear_requests() {
        for (auto& k : kea_) k->clear_requests();
    }

    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
        io_.restart();
        const auto until = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < until) io_.run_one_for(20ms);
        return done();
    }

    daemon::ConfigOutcome change(daemon::ConfigChange change) {
        return testing::run_awaitables(
                   io_, [&] {
                       std::vector<boost::asio::awaitable<daemon::ConfigOutcome>> list;
                       list.push_back(monitor_->change_config(std::move(change)));
                       return list;
                   }())
            .front();
    }
    daemon::ConfigOutcome lifetime(int seconds) {
        return change({daemon::ConfigChange::Kind::MergePatch, {{"Dhcp4", {{"valid-lifetime", seconds}}}}, std::nullopt});
    }
    daemon::ConfigOutcome sync() { return change({daemon::ConfigChange::Kind::Sync, nullptr, std::nullopt}); }

    /// A change of the valid-lifetime to `seconds` that server1 (the SoT) took and server2
    /// failed: server2's outcome.
    ::testing::AssertionResult target_failed(int seconds, nlohmann::json& target) {
        clear_requests();
        auto out = lifetime(seconds);
        if (out.status != 200u) return ::testing::AssertionFailure() << out.status << " " << out.body.dump(1);
        if (outcome_of(out.body["peers"], "server1")["outcome"] != "applied")
            return ::testing::AssertionFailure() << "server1 not applied: " << out.body.dump(1);
        target = outcome_of(out.body["peers"], "server2");
        if (target["outcome"] != "failed") return ::testing::AssertionFailure() << "server2 not failed: " << target.dump();
        return ::testing::AssertionSuccess();
    }

    static nlohmann::json outcome_of(const nlohmann::json& peers, const std::string& name) {
        for (const auto& peer : peers) {
            if (peer["name"] == name) return peer;
        }
        return nullptr;
    }

    boost::asio::io_context io_;
    core::Preferences prefs_;
    std::unique_ptr<kea::ControlAgentClient> client_;
    std::optional<kea::Credentials> credentials_;
    std::vector<std::unique_ptr<FakeKea>> kea_;
    std::shared_ptr<daemon::ClusterMonitor> monitor_;
    std::string state_dir_;
    std::unique_ptr<daemon::StateWriter> state_;
    std::unique_ptr<daemon::MonitorContext> context_;
    daemon::Registration registration_;
};

// --- SPEC §5 rule 1: the parallel protocol ----------------------------------------------------

TEST_F(ReplicationProtocolTest, AllPass_ConfigSetsOverlapInTimeAndTargetKeepsItsName) {
    start();
    const auto delay = 400ms;
    kea(1).delay_config_set(delay);
    kea(2).delay_config_set(delay);
    clear_requests();
    auto out = lifetime(7200);
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    EXPECT_EQ(outcome_of(out.body["peers"], "server1")["outcome"], "applied");
    EXPECT_EQ(outcome_of(out.body["peers"], "server2")["outcome"], "applied");
    EXPECT_EQ(outcome_of(out.body["peers"], "server2")["persisted"], true);
    const auto sot_set = kea(1).requests("config-set");
    const auto target_set = kea(2).requests("config-set");
    ASSERT_EQ(sot_set.size(), 1u);
    ASSERT_EQ(target_set.size(), 1u);
    // Each config-set arrived while the other was still unanswered (Kea took `delay` on each).
    EXPECT_LT(target_set[0].received, sot_set[0].received + delay);
    EXPECT_LT(sot_set[0].received, target_set[0].received + delay);
    // Kea 2.6's two-member config-get was accepted; no hash is sent back; the standby keeps its name.
    const auto& sent = target_set[0].json["arguments"];
    EXPECT_FALSE(sent.contains("hash"));
    EXPECT_EQ(sent["Dhcp4"]["valid-lifetime"], 7200);
    EXPECT_EQ(relationships_of(kea(2).config())[0]["this-server-name"], "server2");
    EXPECT_EQ(relationships_of(kea(1).config())[0]["this-server-name"], "server1");
    EXPECT_EQ(kea(1).requests("config-write").size(), 1u);
    EXPECT_EQ(kea(2).requests("config-write").size(), 1u);
    EXPECT_EQ(monitor_->detail()["replication"]["generation"], 1);
}

TEST_F(ReplicationProtocolTest, SotConfigSetFails_TargetGetsItsOldConfigBack) {
    start();
    const auto before = kea(2).config();
    kea(1).fail_config_set("Configuration parsing failed: mock refusal");
    clear_requests();
    auto out = lifetime(7201);
    ASSERT_EQ(out.status, 502u) << out.body.dump(1);
    EXPECT_EQ(out.body["error"]["code"], "sot-write-failed");
    EXPECT_NE(out.body["error"]["message"].get<std::string>().find("mock refusal"), std::string::npos)
        << out.body.dump(1);
    const auto peer = outcome_of(out.body["error"]["peers"], "server2");
    EXPECT_EQ(peer["outcome"], "rolled-back") << out.body.dump(1);
    EXPECT_EQ(peer["persisted"], true);
    // The requests: the change, then the config it had before, each followed by config-write.
    const auto sets = kea(2).requests("config-set");
    ASSERT_EQ(sets.size(), 2u);
    EXPECT_EQ(sets[0].json["arguments"]["Dhcp4"]["valid-lifetime"], 7201);
    EXPECT_TRUE(core::same_config(sets[1].json["arguments"], before))
        << nlohmann::json::diff(before, sets[1].json["arguments"]).dump(1);
    EXPECT_LT(sets[0].received, sets[1].received);
    EXPECT_EQ(kea(2).requests("config-write").size(), 2u);
    EXPECT_TRUE(core::same_config(kea(2).config(), before));
    EXPECT_TRUE(kea(1).requests("config-write").empty()) << "nothing to persist on the SoT";
    EXPECT_EQ(monitor_->detail()["replication"]["generation"], 0) << "the change was not accepted";
    EXPECT_TRUE(has_event("config-change-failed", "server1"));
}

TEST_F(ReplicationProtocolTest, SotConfigSetFails_RollbackRefusedIsReported) {
    start();
    kea(1).fail_config_set("mock SoT refusal");
    kea(2).fail_config_set_after(1, "mock rollback refusal");  // the change passes, its rollback not
    clear_requests();
    auto out = lifetime(7202);
    ASSERT_EQ(out.status, 502u) << out.body.dump(1);
    const auto peer = outcome_of(out.body["error"]["peers"], "server2");
    EXPECT_EQ(peer["outcome"], "rollback-failed") << out.body.dump(1);
    EXPECT_NE(peer["message"].get<std::string>().find("mock rollback refusal"), std::string::npos) << peer.dump();
    EXPECT_EQ(kea(2).requests("config-set").size(), 2u);
    EXPECT_EQ(monitor_->detail()["replication"]["generation"], 0);
}

TEST_F(ReplicationProtocolTest, TargetConfigSetFails_200WithThatPeerFailed) {
    start();
    kea(2).fail_config_set("mock standby refusal");
    clear_requests();
    auto out = lifetime(7203);
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    EXPECT_EQ(outcome_of(out.body["peers"], "server1")["outcome"], "applied");
    const auto peer = outcome_of(out.body["peers"], "server2");
    EXPECT_EQ(peer["outcome"], "failed");
    EXPECT_NE(peer["message"].get<std::string>().find("mock standby refusal"), std::string::npos) << peer.dump();
    EXPECT_EQ(kea(1).requests("config-set").size(), 1u) << "the SoT is not rolled back for a target";
    EXPECT_EQ(kea(1).config()["Dhcp4"]["valid-lifetime"], 7203);
    EXPECT_EQ(monitor_->detail()["replication"]["generation"], 1);
}

// Kea 3.2 refuses config-set while its lease file cleanup runs (the e2e test
// ConfigSetWaitsForTheLeaseFileCleanup_Kea32 shows it on a real 3.2); here the count of refusals
// is chosen, so the retries can be counted.
TEST_F(ReplicationProtocolTest, TargetConfigSetRefusedWhileLfcRuns_SentAgainAndApplied) {
    start();
    kea(2).refuse_config_set_during_lfc(2);
    clear_requests();
    auto out = lifetime(7205);
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    EXPECT_EQ(outcome_of(out.body["peers"], "server2")["outcome"], "applied") << out.body.dump(1);
    EXPECT_EQ(kea(2).requests("config-set").size(), 3u) << "refused twice, then applied";
    EXPECT_EQ(kea(1).requests("config-set").size(), 1u);
    EXPECT_EQ(kea(2).config()["Dhcp4"]["valid-lifetime"], 7205);
}

TEST_F(ReplicationProtocolTest, TargetConfigSetRefusedWhileLfcRunsPastTheTimeout_FailedInKeasWords) {
    prefs_.config_timeout = 1s;
    start();
    kea(2).refuse_config_set_during_lfc(1000);
    const auto began = std::chrono::steady_clock::now();
    nlohmann::json peer;
    ASSERT_TRUE(target_failed(7206, peer));
    const auto took = std::chrono::steady_clock::now() - began;
    EXPECT_NE(peer["message"].get<std::string>().find("lease file cleanup process is running"), std::string::npos)
        << peer.dump();
    EXPECT_GE(kea(2).requests("config-set").size(), 2u) << "sent again while the timeout allowed";
    EXPECT_LT(took, 5s) << "the retries stop at keaConfigTimeout";
}

// Kea 3.2's result 5 cannot be caused on a real Kea at will (a fatal error in the middle of
// applying a config, then a failed rollback): the fake gives it.
TEST_F(ReplicationProtocolTest, TargetConfigSetPartlyApplied_FailedAndItsConfigReadBack) {
    start();
    kea(2).partly_apply_config_set("Interface configuration update triggered a fatal error: shutting down.");
    nlohmann::json peer;
    ASSERT_TRUE(target_failed(7204, peer));
    const auto message = peer["message"].get<std::string>();
    EXPECT_NE(message.find("result 5"), std::string::npos) << message;
    EXPECT_NE(message.find("its running config was read back"), std::string::npos) << message;
    // Read back after the refused config-set: config-get (or its hash) reaches server2 after it.
    const auto set = kea(2).requests("config-set");
    ASSERT_EQ(set.size(), 1u);
    std::size_t reads_after = 0;
    for (const char* command : {"config-get", "config-hash-get"}) {
        for (const auto& request : kea(2).requests(command))
            if (request.received >= set[0].received) ++reads_after;
    }
    EXPECT_GE(reads_after, 1u) << "the partly applied peer's config is read back";
    EXPECT_TRUE(kea(2).requests("config-write").empty()) << "a failed peer's config is not written to its file";
}

// --- issue 13 item 4: a config-set that Kea answers only after keaConfigTimeout ------------------

TEST_F(ReplicationProtocolTest, TargetConfigSetAnsweredAfterTheTimeout_FailedThenRecheckedAndConverged) {
    prefs_.config_timeout = 1s;
    start();
    kea(2).delay_config_set(1500ms);  // Kea applies it, but answers too late
    auto out = lifetime(7207);
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    EXPECT_EQ(outcome_of(out.body["peers"], "server1")["outcome"], "applied");
    const auto peer = outcome_of(out.body["peers"], "server2");
    EXPECT_EQ(peer["outcome"], "failed") << peer.dump();
    EXPECT_NE(peer["message"].get<std::string>().find("timed out"), std::string::npos) << peer.dump();
    // The late answer is not trusted: the peer is looked at again and found (or made) equal.
    kea(2).delay_config_set(0ms);
    EXPECT_TRUE(run_until([&] {
        const auto detail = monitor_->detail();
        for (const auto& p : detail["peers"])
            if (p["name"] == "server2") return p["in_sync"] == true;
        return false;
    })) << monitor_->detail().dump(1);
    EXPECT_EQ(kea(2).config()["Dhcp4"]["valid-lifetime"], 7207);
    EXPECT_EQ(kea(2).config()["Dhcp4"]["valid-lifetime"], kea(1).config()["Dhcp4"]["valid-lifetime"]);
}

// --- issue item 6: config-write refused --------------------------------------------------------

TEST_F(ReplicationProtocolTest, ConfigWriteRefused_AppliedInMemoryNotPersistedInKeasWords) {
    start();
    const std::string refusal = "not allowed to write config into /tmp/elsewhere.json: path must be in /etc/kea";
    kea(2).fail_config_write(refusal);
    auto out = lifetime(7204);
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    const auto peer = outcome_of(out.body["peers"], "server2");
    EXPECT_EQ(peer["outcome"], "applied");
    EXPECT_EQ(peer["persisted"], false);
    EXPECT_EQ(peer["message"], "applied in memory, not persisted: " + refusal);
    EXPECT_EQ(outcome_of(out.body["peers"], "server1")["persisted"], true);
    EXPECT_EQ(monitor_->metrics().replications_failed, 1u) << "not a plain success";
}

// --- issue 13 (soak): a change applied in memory only, then its Kea restarted from its file -------

/// The valid-lifetime and decline-probation-period of a fake's running config.
std::pair<int, int> two_fields(const FakeKea& kea) {
    const auto config = kea.config();
    return {config["Dhcp4"]["valid-lifetime"].get<int>(), config["Dhcp4"]["decline-probation-period"].get<int>()};
}

TEST_F(ReplicationProtocolTest, SotRestartsWithoutItsUnpersistedChange_TheNextChangeKeepsIt) {
    start(true);
    kea(1).fail_config_write("Unable to write the configuration to /etc/kea/kea-dhcp4.conf");
    auto first = lifetime(7301);
    ASSERT_EQ(first.status, 200u) << first.body.dump(1);
    EXPECT_EQ(outcome_of(first.body["peers"], "server1")["persisted"], false) << first.body.dump(1);
    // Kept in the state directory: a controller restart still knows its file lacks generation 1.
    const auto kept = nlohmann::json::parse(monitor_->document_text())["replication"]["unpersisted"];
    EXPECT_EQ(kept["server1"]["durable"], 0) << kept.dump();
    EXPECT_TRUE(kept["server1"]["identity"].is_string()) << kept.dump();
    kea(1).fail_config_write("");
    kea(1).restart_from_file();  // the chaos loop: kea-dhcp4 restarted, back to its file
    ASSERT_NE(two_fields(kea(1)).first, 7301);
    auto second = change({daemon::ConfigChange::Kind::MergePatch, {{"Dhcp4", {{"decline-probation-period", 1234}}}},
                          std::nullopt});
    ASSERT_EQ(second.status, 200u) << second.body.dump(1);
    for (int n = 1; n <= 3; ++n) {
        EXPECT_EQ(two_fields(kea(n)), std::make_pair(7301, 1234)) << "server" << n << " lost generation 1";
    }
    EXPECT_TRUE(has_event("config-reverted", "server1")) << monitor_->events().dump(1);
    EXPECT_TRUE(has_event("config-brought-to-sot", "server1")) << monitor_->events().dump(1);
}

TEST_F(ReplicationProtocolTest, SotStoppedWhileWriting_NotTrustedWithTheChange_TheNextChangeKeepsIt) {
    start(true);
    kea(1).fail_config_write("cut");
    kea(1).stop_on_failed_write(true);  // not readable after the failed write: nothing learnt
    auto first = lifetime(7302);
    ASSERT_EQ(first.status, 200u) << first.body.dump(1);
    EXPECT_EQ(outcome_of(first.body["peers"], "server1")["persisted"], false) << first.body.dump(1);
    ASSERT_TRUE(run_until([&] { return condition("server1") == "unreachable"; })) << monitor_->detail().dump(1);
    kea(1).fail_config_write("");
    kea(1).stop_on_failed_write(false);
    kea(1).restart_from_file();
    kea(1).set_dark(false);
    // Back, and the SoT again: rule 3 brings generation 1 from the standby (it carries it).
    ASSERT_TRUE(run_until([&] {
        return sot() == "server1" && two_fields(kea(1)).first == 7302;
    })) << monitor_->events().dump(1);
    auto second = change({daemon::ConfigChange::Kind::MergePatch, {{"Dhcp4", {{"decline-probation-period", 1235}}}},
                          std::nullopt});
    ASSERT_EQ(second.status, 200u) << second.body.dump(1);
    for (int n = 1; n <= 3; ++n) {
        EXPECT_EQ(two_fields(kea(n)), std::make_pair(7302, 1235)) << "server" << n << " lost generation 1";
    }
}

TEST_F(ReplicationProtocolTest, TargetConfigWriteFailsOnce_TriedAgainUntilItsFileCarriesTheChange) {
    start();
    kea(2).fail_config_write("Unable to open file /etc/kea/kea-dhcp4.conf for writing");
    auto first = lifetime(7303);
    ASSERT_EQ(first.status, 200u) << first.body.dump(1);
    EXPECT_EQ(outcome_of(first.body["peers"], "server2")["persisted"], false) << first.body.dump(1);
    const auto writes = kea(2).config_writes();
    kea(2).fail_config_write("");
    ASSERT_TRUE(run_until([&] { return has_event("config-persisted", "server2"); }, 15s)) << monitor_->events().dump(1);
    EXPECT_GT(kea(2).config_writes(), writes);
    kea(2).restart_from_file();  // its file now has the change
    EXPECT_EQ(two_fields(kea(2)).first, 7303);
    EXPECT_FALSE(has_event("config-reverted", "server2"));
    EXPECT_FALSE(nlohmann::json::parse(monitor_->document_text())["replication"].contains("unpersisted"));
}

TEST_F(ReplicationProtocolTest, ConfigWriteRefusedForGood_EachChangeWrittenOnceNoCatchUpOnTheSot) {
    start();
    kea(1).fail_config_write("not allowed to write config into /tmp/x.json: path must be in /etc/kea");
    for (int seconds : {7311, 7312, 7313}) {
        auto out = lifetime(seconds);
        ASSERT_EQ(out.status, 200u) << out.body.dump(1);
        EXPECT_EQ(outcome_of(out.body["peers"], "server1")["persisted"], false);
    }
    EXPECT_EQ(kea(1).requests("config-set").size(), 3u) << "one config-set per change, none to catch up";
    EXPECT_EQ(kea(2).requests("config-set").size(), 3u);
    EXPECT_FALSE(has_event("config-reverted", "server1")) << monitor_->events().dump(1);
    EXPECT_FALSE(has_event("config-brought-to-sot", "server1")) << monitor_->events().dump(1);
    EXPECT_EQ(two_fields(kea(1)).first, 7313);
    EXPECT_EQ(two_fields(kea(2)).first, 7313);
    EXPECT_EQ(monitor_->detail()["replication"]["generation"], 3);
}

// --- issue 14 item 6: the events long poll (kea-ha-ctl events --follow) ------------------------------

TEST_F(ReplicationProtocolTest, WaitEvents_AnswersAtOnceWithNewerOnes_WakesOnTheNextOne_OrTimesOutEmpty) {
    start();
    const auto all = monitor_->events();
    ASSERT_FALSE(all.empty());
    const auto last = all.back()["seq"].get<std::uint64_t>();
    EXPECT_EQ(all.front()["seq"], 1);
    // Newer ones exist: at once.
    std::optional<nlohmann::json> got;
    boost::asio::co_spawn(io_, monitor_->wait_events(last - 1, 10s), [&](std::exception_ptr, nlohmann::json j) { got = std::move(j); });
    ASSERT_TRUE(run_until([&] { return got.has_value(); }, 2s));
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ((*got)[0]["seq"], last);
    // None yet: it waits, and a change wakes it well before its 10 s.
    got.reset();
    const auto started = std::chrono::steady_clock::now();
    boost::asio::co_spawn(io_, monitor_->wait_events(last, 10s), [&](std::exception_ptr, nlohmann::json j) { got = std::move(j); });
    run_until([&] { return false; }, 100ms);
    EXPECT_FALSE(got.has_value()) << "answered before any new event";
    auto out = lifetime(7405);
    ASSERT_EQ(out.status, 200u);
    ASSERT_TRUE(run_until([&] { return got.has_value(); }, 3s));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    ASSERT_FALSE(got->empty());
    EXPECT_GT((*got)[0]["seq"].get<std::uint64_t>(), last);
    // Nothing happens: empty after the wait.
    const auto newest = monitor_->events().back()["seq"].get<std::uint64_t>();
    got.reset();
    boost::asio::co_spawn(io_, monitor_->wait_events(newest, 200ms), [&](std::exception_ptr, nlohmann::json j) { got = std::move(j); });
    ASSERT_TRUE(run_until([&] { return got.has_value(); }, 3s));
    EXPECT_TRUE(got->empty()) << got->dump();

}

// Issue 13: with a state directory only the last few events stay in memory; the list and the
// long poll read the older ones back from the journal, numbered as before, in order.
TEST_F(ReplicationProtocolTest, EventsPastTheOnesInMemoryAreReadBackFromTheJournalInOrder) {
    use_state_directory();
    start();
    for (int n = 1; n <= 40; ++n) ASSERT_EQ(lifetime(7700 + n).status, 200u);
    const auto all = monitor_->events();
    ASSERT_GT(all.size(), 40u) << "each change is an event, and the journal holds what memory no longer does";
    for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i]["seq"], i + 1) << all.dump(1);
    std::size_t changes = 0;
    for (const auto& event : all) changes += event["kind"] == "config-change";
    EXPECT_EQ(changes, 40u) << all.dump(1);
    // The long poll from an old seq: the same events, from the journal then memory.
    std::optional<nlohmann::json> got;
    boost::asio::co_spawn(io_, monitor_->wait_events(3, 10s), [&](std::exception_ptr, nlohmann::json j) { got = std::move(j); });
    ASSERT_TRUE(run_until([&] { return got.has_value(); }, 2s));
    ASSERT_GE(got->size(), all.size() - 3);  // (a poll may have added one since)
    for (std::size_t i = 0; i + 3 < all.size(); ++i) ASSERT_EQ((*got)[i], all[i + 3]) << i;
    // What the journal holds is what was listed (with its seq), once the writer is done.
    state_->flush();
    std::ifstream in(state_dir_ + "/events/dhcp-a.jsonl");
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    ASSERT_GE(lines.size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(lines[i], all[i]) << i;
    // After a restart: numbered from 1 again (docs/api.md), the same events in the same order.
    recreate_monitor();
    const auto again = monitor_->events();
    ASSERT_GE(again.size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        ASSERT_EQ(again[i]["seq"], i + 1);
        ASSERT_EQ(again[i]["reason"], all[i]["reason"]) << i;
    }
}

// --- issue 14 items 4 and 5: who made a change, in the event and the history ------------------------

TEST_F(ReplicationProtocolTest, TheClientsNameIsInTheEventAndTheHistoryEntry) {
    use_state_directory();
    start();
    daemon::ConfigChange change{daemon::ConfigChange::Kind::MergePatch, {{"Dhcp4", {{"valid-lifetime", 7501}}}}, std::nullopt};
    change.who = "alice";
    auto out = this->change(std::move(change));
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    bool named = false;
    for (const auto& event : monitor_->events()) {
        if (event["kind"] == "config-change") named = event["reason"].get<std::string>().find("by alice") != std::string::npos;
    }
    EXPECT_TRUE(named) << monitor_->events().dump(1);
    const auto history = monitor_->history();
    ASSERT_EQ(history["entries"].size(), 1u) << history.dump(1);
    EXPECT_EQ(history["entries"][0]["who"], "alice");
    EXPECT_EQ(history["entries"][0]["generation"], 1);
    EXPECT_EQ(history["entries"][0]["request"], (nlohmann::json{{"Dhcp4", {{"valid-lifetime", 7501}}}}));
    EXPECT_EQ(history["entries"][0]["config_kept"], true);
    EXPECT_EQ(monitor_->history_entry(1).status, 200u);
    EXPECT_EQ(monitor_->history_entry(2).status, 404u);
}

// Issue 32 point 5: a change that sets a password is applied, but its history entry keeps the
// request with the secret redacted (what the journal on disk holds).
TEST_F(ReplicationProtocolTest, TheHistoryNeverKeepsASecretInClear) {
    use_state_directory();
    start();
    daemon::ConfigChange change{daemon::ConfigChange::Kind::MergePatch,
                                {{"Dhcp4", {{"valid-lifetime", 7502}, {"user-context", {{"password", "hunter2-secret"}}}}}},
                                std::nullopt};
    change.who = "alice";
    auto out = this->change(std::move(change));
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    const auto history = monitor_->history();
    ASSERT_EQ(history["entries"].size(), 1u) << history.dump(1);
    EXPECT_EQ(history["entries"][0]["request"]["Dhcp4"]["user-context"]["password"], "<redacted>");
    EXPECT_EQ(history["entries"][0]["request"]["Dhcp4"]["valid-lifetime"], 7502);
    EXPECT_EQ(history.dump().find("hunter2-secret"), std::string::npos) << history.dump(1);
}

// --- issue 13: events and history in append-only journals, not in the cluster's document ------

TEST_F(ReplicationProtocolTest, EventsAndHistoryLiveInJournalsAndSurviveARestart) {
    use_state_directory();
    prefs_.history_depth = 2;
    start();
    for (int n = 1; n <= 3; ++n) ASSERT_EQ(lifetime(7600 + n).status, 200u);
    const auto events_before = monitor_->events();
    const auto document = state_document();
    ASSERT_TRUE(document.is_object());
    EXPECT_FALSE(document.contains("events")) << "the document stays small: events are in their journal";
    EXPECT_FALSE(document.contains("history"));
    EXPECT_EQ(document["replication"]["generation"], 3);
    recreate_monitor();
    const auto history = monitor_->history();
    ASSERT_EQ(history["entries"].size(), 3u) << history.dump(1);
    EXPECT_EQ(history["entries"][0]["config_kept"], false) << "pruned (keaHistoryDepth 2)";
    EXPECT_EQ(history["entries"][2]["config_kept"], true);
    EXPECT_EQ(history["entries"][2]["request"], (nlohmann::json{{"Dhcp4", {{"valid-lifetime", 7603}}}}));
    EXPECT_EQ(monitor_->history_entry(1).status, 404u);
    EXPECT_EQ(monitor_->history_entry(3).status, 200u);
    // Every event of before the restart is there again, in order, before the new ones.
    const auto events_after = monitor_->events();
    ASSERT_GE(events_after.size(), events_before.size());
    for (std::size_t i = 0; i < events_before.size(); ++i) {
        EXPECT_EQ(events_after[i]["reason"], events_before[i]["reason"]) << i;
    }
    // And a change after the restart goes on the same journal.
    ASSERT_EQ(lifetime(7604).status, 200u);
    EXPECT_EQ(monitor_->history()["entries"].size(), 4u);
}

TEST_F(ReplicationProtocolTest, EventsAndHistoryOfAnOlderDocumentMoveToTheJournals) {
    use_state_directory();
    start();
    // What an earlier version wrote: the events and the history inside the document.
    auto old = state_document();
    old["events"] = nlohmann::json::array({{{"cluster", "dhcp-a"}, {"kind", "cluster-state"}, {"from", "down"}, {"to", "ok"},
                                            {"reason", "kept by an earlier version"}, {"when", "2026-11-30T10:00:00Z"}}});
    old["history"] = nlohmann::json::array({{{"generation", 1}, {"when", "2026-11-30T10:01:00Z"}, {"who", "admin"},
                                             {"kind", "merge-patch"}, {"config_kept", false}},
                                            {{"generation", 2}, {"when", "2026-11-30T10:02:00Z"}, {"who", "bob"},
                                             {"kind", "replace"}, {"config_kept", false}}});
    old["replication"]["generation"] = 2;
    std::filesystem::remove(state_dir_ + "/events/dhcp-a.jsonl");
    recreate_monitor(nlohmann::json::parse(old.dump()));  // as read from its file
    const auto history = monitor_->history();
    ASSERT_EQ(history["entries"].size(), 2u) << history.dump(1);
    EXPECT_EQ(history["entries"][1]["who"], "bob");
    EXPECT_EQ(monitor_->events()[0]["reason"], "kept by an earlier version");
    const auto document = state_document();
    EXPECT_FALSE(document.contains("events"));
    EXPECT_FALSE(document.contains("history"));
    // Moved, not copied at each start: a second restart reads them from the journals once.
    recreate_monitor();
    EXPECT_EQ(monitor_->history()["entries"].size(), 2u);
    EXPECT_EQ(monitor_->events()[0]["reason"], "kept by an earlier version");
    ASSERT_EQ(lifetime(7700).status, 200u);
    const auto after = monitor_->history();
    ASSERT_EQ(after["entries"].size(), 3u);
    EXPECT_EQ(after["entries"][2]["generation"], 3);
}

// --- issue 14 items 2 and 3: config diff and dry run -----------------------------------------------

TEST_F(ReplicationProtocolTest, Diff_EmptyWhenInSync_ThePatchOfADriftedPeerTurnsItIntoWhatReplicationWrites) {
    start();
    auto diff = [&](std::optional<std::string> peer, bool documents) {
        return testing::run_awaitables(io_, [&] {
                   std::vector<boost::asio::awaitable<daemon::ConfigOutcome>> list;
                   list.push_back(monitor_->diff_config(peer, documents));
                   return list;
               }()).front();
    };
    auto clean = diff(std::nullopt, false);
    ASSERT_EQ(clean.status, 200u) << clean.body.dump(1);
    EXPECT_EQ(clean.body["source_of_truth"], "server1");
    EXPECT_EQ(outcome_of(clean.body["peers"], "server1")["patch"], nlohmann::json::array());
    EXPECT_EQ(outcome_of(clean.body["peers"], "server2")["patch"], nlohmann::json::array()) << clean.body.dump(1);
    EXPECT_EQ(outcome_of(clean.body["peers"], "server2")["in_sync"], true);

    auto drifted = kea(2).config();
    drifted["Dhcp4"]["valid-lifetime"] = 1111;
    kea(2).set_config(drifted);
    auto one = diff("server2", true);
    ASSERT_EQ(one.status, 200u) << one.body.dump(1);
    ASSERT_EQ(one.body["peers"].size(), 1u);
    const auto& peer = one.body["peers"][0];
    EXPECT_EQ(peer["in_sync"], false);
    ASSERT_EQ(peer["patch"].size(), 1u) << peer["patch"].dump();
    EXPECT_EQ(peer["patch"][0]["path"], "/Dhcp4/valid-lifetime");
    EXPECT_EQ(peer["patch"][0]["value"], kea(1).config()["Dhcp4"]["valid-lifetime"]);
    EXPECT_EQ(peer["current"].patch(peer["patch"]), peer["desired"]);
    EXPECT_EQ(relationships_of(nlohmann::json(peer["desired"]))[0]["this-server-name"], "server2") << "its own name kept";
    EXPECT_TRUE(kea(2).requests("config-set").empty()) << "a diff writes nothing";

    EXPECT_EQ(diff("server9", false).status, 404u);
}

TEST_F(ReplicationProtocolTest, DryRun_TestedOnEveryPeerEachPeersPatchNothingSetOrWritten) {
    start(true);
    auto out = change({daemon::ConfigChange::Kind::MergePatch, {{"Dhcp4", {{"valid-lifetime", 7399}}}}, std::nullopt, true});
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    EXPECT_EQ(out.body["dry_run"], true);
    EXPECT_EQ(out.body["generation"], 0);
    ASSERT_EQ(out.body["peers"].size(), 3u);
    for (const auto& peer : out.body["peers"]) {
        EXPECT_EQ(peer["outcome"], "tested") << peer.dump();
        ASSERT_EQ(peer["patch"].size(), 1u) << peer.dump();
        EXPECT_EQ(peer["patch"][0], (nlohmann::json{{"op", "replace"}, {"path", "/Dhcp4/valid-lifetime"}, {"value", 7399}}));
    }
    for (int n = 1; n <= 3; ++n) {
        EXPECT_EQ(kea(n).requests("config-test").size(), 1u) << "server" << n;
        EXPECT_TRUE(kea(n).requests("config-set").empty()) << "server" << n;
        EXPECT_TRUE(kea(n).requests("config-write").empty()) << "server" << n;
        EXPECT_NE(two_fields(kea(n)).first, 7399);
    }
    EXPECT_EQ(monitor_->detail()["replication"]["generation"], 0);
    // The real change afterwards is generation 1: the dry run took none.
    auto real = lifetime(7399);
    ASSERT_EQ(real.status, 200u) << real.body.dump(1);
    EXPECT_EQ(real.body["generation"], 1);
}

// --- SPEC §5: scoped replication onto a peer whose relationships differ (a hub) ----------------

TEST_F(ReplicationProtocolTest, ScopedChange_GlobalChangeIsOutOfScopeForTheHubNothingSentToIt) {
    start();
    make_hub();
    const auto hub_before = kea(2).config();
    clear_requests();
    auto out = lifetime(7205);
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    EXPECT_EQ(outcome_of(out.body["peers"], "server1")["outcome"], "applied") << out.body.dump(1);
    const auto hub = outcome_of(out.body["peers"], "server2");
    EXPECT_EQ(hub["outcome"], "unchanged") << out.body.dump(1);
    EXPECT_EQ(hub["out_of_scope"], nlohmann::json::array({"valid-lifetime (global)"})) << out.body.dump(1);
    EXPECT_FALSE(outcome_of(out.body["peers"], "server1").contains("out_of_scope"));
    for (const char* command : {"config-test", "config-set", "config-write"}) {
        EXPECT_TRUE(kea(2).requests(command).empty()) << "the hub got " << command;
    }
    EXPECT_EQ(kea(2).config(), hub_before);
    EXPECT_EQ(kea(1).config()["Dhcp4"]["valid-lifetime"], 7205);
    EXPECT_EQ(peer_detail("server2")["in_sync"], true) << "in sync: its relationship's part is the SoT's";
    EXPECT_EQ(monitor_->detail()["replication"]["generation"], 1);
}

TEST_F(ReplicationProtocolTest, ScopedChange_SubnetReachesTheHubWhichKeepsItsOwnGlobalsAndRelationships) {
    start();
    make_hub();
    const auto hub_before = kea(2).config();
    clear_requests();
    const nlohmann::json patch = {pool_change(0, "192.0.2.110-192.0.2.190"), lifetime_change(7207)};
    auto out = change({daemon::ConfigChange::Kind::JsonPatch, patch, std::nullopt});
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    const auto hub = outcome_of(out.body["peers"], "server2");
    EXPECT_EQ(hub["outcome"], "applied") << out.body.dump(1);
    EXPECT_EQ(hub["persisted"], true);
    EXPECT_EQ(hub["out_of_scope"], nlohmann::json::array({"valid-lifetime (global)"})) << out.body.dump(1);
    const auto now = kea(2).config();
    EXPECT_EQ(pool_of(now, "192.0.2.0/24"), "192.0.2.110-192.0.2.190");
    EXPECT_EQ(now["Dhcp4"]["valid-lifetime"], hub_before["Dhcp4"]["valid-lifetime"]) << "a global is the hub's own";
    EXPECT_EQ(subnets_of(now), (std::set<std::string>{"192.0.2.0/24", "198.51.100.0/24", "10.92.0.0/24"}));
    ASSERT_EQ(relationships_of(nlohmann::json(now)).size(), 2u);
    EXPECT_EQ(relationships_of(nlohmann::json(now))[0]["this-server-name"], "server2");
    EXPECT_EQ(relationships_of(nlohmann::json(now))[1]["this-server-name"], "hub2");
    EXPECT_EQ(kea(2).requests("config-test").size(), 1u);
    EXPECT_EQ(kea(1).config()["Dhcp4"]["valid-lifetime"], 7207);
    EXPECT_EQ(pool_of(kea(1).config(), "192.0.2.0/24"), "192.0.2.110-192.0.2.190");
}

TEST_F(ReplicationProtocolTest, ScopedSync_HubDriftInScopeOverwrittenItsOtherPartsKept) {
    start();
    make_hub();
    auto hub = kea(2).config();
    hub["Dhcp4"]["valid-lifetime"] = 999;                                    // its own global
    hub["Dhcp4"]["subnet4"][0]["pools"][0]["pool"] = "192.0.2.150-192.0.2.160";  // drift in scope
    kea(2).set_config(hub);
    clear_requests();
    auto out = sync();
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    EXPECT_EQ(outcome_of(out.body["peers"], "server2")["outcome"], "applied") << out.body.dump(1);
    const auto now = kea(2).config();
    EXPECT_EQ(pool_of(now, "192.0.2.0/24"), pool_of(kea(1).config(), "192.0.2.0/24"));
    EXPECT_EQ(now["Dhcp4"]["valid-lifetime"], 999);
    EXPECT_EQ(subnets_of(now), (std::set<std::string>{"192.0.2.0/24", "198.51.100.0/24", "10.92.0.0/24"}));
    EXPECT_EQ(relationships_of(nlohmann::json(now)).size(), 2u);
    // In sync now: only its relationship's part is compared (its own lifetime still differs).
    clear_requests();
    auto again = sync();
    ASSERT_EQ(again.status, 200u) << again.body.dump(1);
    EXPECT_EQ(outcome_of(again.body["peers"], "server2")["outcome"], "unchanged") << again.body.dump(1);
    EXPECT_TRUE(kea(2).requests("config-set").empty());
    EXPECT_EQ(peer_detail("server2")["in_sync"], true);
}

TEST_F(ReplicationProtocolTest, ScopedPrimaryReturn_ChangeMadeOnTheHubReachesThePrimaryScoped) {
    start();
    make_hub();
    const auto primary_before = kea(1).config();
    change_while_away(1, nlohmann::json::array({pool_change(0, "192.0.2.120-192.0.2.130")}));  // through server2
    // SPEC §5 rule 3, scoped: the primary gets the hub's change of its relationship only.
    ASSERT_TRUE(run_until([&] { return has_event("config-brought-to-sot", "server1"); })) << monitor_->events().dump(1);
    const auto primary = kea(1).config();
    EXPECT_EQ(pool_of(primary, "192.0.2.0/24"), "192.0.2.120-192.0.2.130");
    EXPECT_EQ(subnets_of(primary), (std::set<std::string>{"192.0.2.0/24", "198.51.100.0/24"})) << "no branch2 subnet";
    EXPECT_EQ(relationships_of(nlohmann::json(primary)).size(), 1u);
    EXPECT_EQ(relationships_of(nlohmann::json(primary))[0]["this-server-name"], "server1");
    EXPECT_EQ(primary["Dhcp4"]["valid-lifetime"], primary_before["Dhcp4"]["valid-lifetime"]);
    EXPECT_EQ(relationships_of(kea(2).config()).size(), 2u);
    EXPECT_FALSE(has_event("config-refused", "server1"));
}

// SPEC §5: the hub as source of truth (the primary away) takes a change within the cluster's
// scope only; a global one would reach its other relationship (branch2): 409 scope, nothing
// tested or written anywhere.
TEST_F(ReplicationProtocolTest, HubAsSourceOfTruth_GlobalChangeIs409ScopeNothingSent_InScopeChangeGoesThrough) {
    start();
    make_hub();
    kea(1).set_dark(true);
    ASSERT_TRUE(run_until([&] { return sot() == "server2"; })) << monitor_->detail().dump(1);
    clear_requests();
    const auto hub_before = kea(2).config();
    auto refused = change({daemon::ConfigChange::Kind::JsonPatch, nlohmann::json::array({lifetime_change(7209)}),
                           std::nullopt});
    EXPECT_EQ(refused.status, 409u) << refused.body.dump(1);
    EXPECT_EQ(refused.body["error"]["code"], "scope") << refused.body.dump(1);
    EXPECT_EQ(refused.body["error"]["peer"], "server2");
    const auto message = refused.body["error"]["message"].get<std::string>();
    EXPECT_NE(message.find("branch2+hub2"), std::string::npos) << message;
    EXPECT_NE(message.find("valid-lifetime (global)"), std::string::npos) << message;
    EXPECT_TRUE(kea(2).requests("config-test").empty());
    EXPECT_TRUE(kea(2).requests("config-set").empty());
    EXPECT_EQ(kea(2).config(), hub_before);
    // The same through a dry run: the answer says so, nothing is tested.
    auto dry = change({daemon::ConfigChange::Kind::JsonPatch, nlohmann::json::array({lifetime_change(7209)}),
                       std::nullopt, true});
    EXPECT_EQ(dry.status, 409u) << dry.body.dump(1);
    // Within the scope (the pair's own subnet): accepted.
    auto scoped = change({daemon::ConfigChange::Kind::JsonPatch,
                          nlohmann::json::array({pool_change(0, "192.0.2.140-192.0.2.150")}), std::nullopt});
    EXPECT_EQ(scoped.status, 200u) << scoped.body.dump(1);
    EXPECT_EQ(pool_of(kea(2).config(), "192.0.2.0/24"), "192.0.2.140-192.0.2.150");
}

TEST_F(ReplicationProtocolTest, ScopedConvergence_HubBackGetsTheChangeItMissedKeepingItsOwn) {
    start();
    make_hub();
    const auto hub_before = kea(2).config();
    change_while_away(2, {pool_change(1, "198.51.100.20-198.51.100.30"), lifetime_change(7208)});
    // SPEC §5 rule 2, scoped: back from being away, it gets its relationship's part only.
    ASSERT_TRUE(run_until([&] { return has_event("config-synced", "server2"); })) << monitor_->events().dump(1);
    ASSERT_TRUE(run_until([&] { return !kea(2).requests("config-write").empty(); }));
    const auto hub = kea(2).config();
    EXPECT_EQ(pool_of(hub, "198.51.100.0/24"), "198.51.100.20-198.51.100.30");
    EXPECT_EQ(hub["Dhcp4"]["valid-lifetime"], hub_before["Dhcp4"]["valid-lifetime"]);
    EXPECT_EQ(subnets_of(hub), (std::set<std::string>{"192.0.2.0/24", "198.51.100.0/24", "10.92.0.0/24"}));
    EXPECT_EQ(relationships_of(nlohmann::json(hub)).size(), 2u);
    EXPECT_EQ(peer_detail("server2")["in_sync"], true);
    EXPECT_FALSE(has_event("config-refused", "server2"));
}

TEST_F(ReplicationProtocolTest, ScopedDriftCheck_HubsOwnGlobalsAreNotDriftItsScopeIs) {
    prefs_.config_sync_interval = 300ms;  // rule 4 runs every 0.3 s
    start();
    make_hub();
    auto hub = kea(2).config();
    hub["Dhcp4"]["valid-lifetime"] = 999;  // its own global: not drift
    clear_requests();
    kea(2).set_config(hub);
    // Periodic checks that read it since (a changed hash: config-get once, then config-hash-get
    // by each check, the health check's and rule 4's, every round).
    ASSERT_TRUE(run_until([&] {
        return !kea(2).requests("config-get").empty() && kea(2).requests("config-hash-get").size() >= 4;
    }));
    EXPECT_EQ(peer_detail("server2")["in_sync"], true) << monitor_->detail().dump(1);
    EXPECT_FALSE(has_event("config-drift", "server2"));
    hub["Dhcp4"]["subnet4"][0]["pools"][0]["pool"] = "192.0.2.150-192.0.2.160";  // its scope: drift
    kea(2).set_config(hub);
    EXPECT_TRUE(run_until([&] { return has_event("config-drift", "server2"); })) << monitor_->events().dump(1);
    EXPECT_EQ(peer_detail("server2")["in_sync"], false);
}

// --- SPEC §5: a config that cannot be placed on the hub is refused, nothing written -----------

TEST_F(ReplicationProtocolTest, ChangeWithUnboundSubnetsOnTheHub_422NamingTheSubnetNothingSentAnywhere) {
    start();
    kea(2).set_config(as_hub(kea(2).config()));
    clear_requests();
    auto out = lifetime(7205);
    ASSERT_EQ(out.status, 422u) << out.body.dump(1);
    EXPECT_EQ(out.body["error"]["code"], "relationships-differ");
    EXPECT_EQ(out.body["error"]["peer"], "server2");
    EXPECT_EQ(out.body["error"]["message"],
              "refusing to replicate relationship server1+server2 onto server2: subnet 192.0.2.0/24 of server2: it "
              "has no user-context.ha-server-name, and server2 takes part in several HA relationships "
              "{server1+server2, branch2+hub2}: add \"user-context\": {\"ha-server-name\": NAME}, NAME a peer of "
              "the relationship that serves it");
    for (int k : {1, 2}) {
        for (const char* command : {"config-test", "config-set", "config-write"}) {
            EXPECT_TRUE(kea(k).requests(command).empty()) << "server" << k << " got " << command;
        }
    }
    EXPECT_EQ(relationships_of(kea(2).config()).size(), 2u);
    EXPECT_EQ(monitor_->detail()["replication"]["generation"], 0);
}

TEST_F(ReplicationProtocolTest, ChangeOfTheRelationshipsThemselves_422) {
    start();
    auto document = kea(1).config();
    relationships_of(document)[0]["peers"][1]["name"] = "server9";
    clear_requests();
    auto out = change({daemon::ConfigChange::Kind::Replace, document, std::nullopt});
    ASSERT_EQ(out.status, 422u) << out.body.dump(1);
    EXPECT_EQ(out.body["error"]["code"], "relationships-differ");
    EXPECT_NE(out.body["error"]["message"].get<std::string>().find("{server1+server2} into {server1+server9}"),
              std::string::npos)
        << out.body.dump(1);
    EXPECT_TRUE(kea(1).requests("config-set").empty());
}

TEST_F(ReplicationProtocolTest, SyncWithUnplaceableHub_ThatPeerRefusedTheOthersWritten) {
    start(true);
    kea(2).set_config(as_hub(kea(2).config()));
    auto drifted = kea(3).config();
    drifted["Dhcp4"]["valid-lifetime"] = 1234;
    kea(3).set_config(drifted);
    clear_requests();
    auto out = sync();
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    const auto hub = outcome_of(out.body["peers"], "server2");
    EXPECT_EQ(hub["outcome"], "refused") << out.body.dump(1);
    EXPECT_NE(hub["message"].get<std::string>().find("subnet 192.0.2.0/24 of server2: it has no user-context.ha-server-name"),
              std::string::npos)
        << hub.dump();
    EXPECT_EQ(outcome_of(out.body["peers"], "server3")["outcome"], "applied") << out.body.dump(1);
    EXPECT_TRUE(kea(2).requests("config-set").empty());
    EXPECT_EQ(kea(3).requests("config-set").size(), 1u);
    EXPECT_EQ(kea(3).config()["Dhcp4"]["valid-lifetime"], kea(1).config()["Dhcp4"]["valid-lifetime"]);
    EXPECT_EQ(relationships_of(kea(3).config())[0]["this-server-name"], "server3");
    EXPECT_EQ(relationships_of(kea(2).config()).size(), 2u);
    EXPECT_TRUE(has_event("config-refused", "server2"));
}

TEST_F(ReplicationProtocolTest, ConvergenceWhenPeersComeBack_UnplaceableHubRefusedTheOtherSynced) {
    start(true);
    kea(2).set_dark(true);
    kea(3).set_dark(true);
    ASSERT_TRUE(run_until([&] { return condition("server2") == "unreachable" && condition("server3") == "unreachable"; }))
        << monitor_->detail().dump(1);
    kea(2).set_config(as_hub(kea(2).config()));
    auto drifted = kea(3).config();
    drifted["Dhcp4"]["valid-lifetime"] = 1234;
    kea(3).set_config(drifted);
    clear_requests();
    kea(2).set_dark(false);
    kea(3).set_dark(false);
    // SPEC §5 rule 2: back from being away and not in sync: synced, unless it cannot be placed.
    ASSERT_TRUE(run_until([&] { return !kea(3).requests("config-set").empty() && has_event("config-refused", "server2"); }))
        << monitor_->events().dump(1);
    ASSERT_TRUE(run_until([&] { return !kea(3).requests("config-write").empty(); }));
    EXPECT_TRUE(kea(2).requests("config-set").empty());
    EXPECT_EQ(relationships_of(kea(2).config()).size(), 2u);
    EXPECT_EQ(kea(2).config()["Dhcp4"]["subnet4"].size(), kea(1).config()["Dhcp4"]["subnet4"].size() + 1);
    EXPECT_EQ(kea(3).config()["Dhcp4"]["valid-lifetime"], kea(1).config()["Dhcp4"]["valid-lifetime"]);
}

TEST_F(ReplicationProtocolTest, PrimaryReturn_LatestChangeOnAnUnplaceableHub_NobodyOverwritten) {
    start();
    kea(1).set_dark(true);
    ASSERT_TRUE(run_until([&] { return sot() == "server2"; })) << monitor_->detail().dump(1);
    auto out = lifetime(7206);  // made while the primary is away: generation 1 lives on server2
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    EXPECT_EQ(outcome_of(out.body["peers"], "server2")["outcome"], "applied");
    EXPECT_EQ(outcome_of(out.body["peers"], "server1")["outcome"], "pending");
    // Meanwhile server2 became a hub (a second relationship added on Kea directly), its subnets
    // unbound: they cannot be placed on the primary.
    kea(2).set_config(as_hub(kea(2).config()));
    const auto primary_before = kea(1).config();
    clear_requests();
    kea(1).set_dark(false);
    ASSERT_TRUE(run_until([&] { return sot() == "server1" && has_event("config-refused", "server1"); }))
        << monitor_->events().dump(1);
    // Rule 3 cannot bring the change to the primary, and overwriting server2 would lose it.
    // Leave a wrong write time to show (the convergence has answered by now: the event is recorded).
    run_until([&] { return !kea(1).requests("config-set").empty() || !kea(2).requests("config-set").empty(); }, 500ms);
    EXPECT_TRUE(kea(1).requests("config-set").empty());
    EXPECT_TRUE(kea(2).requests("config-set").empty());
    EXPECT_EQ(kea(1).config(), primary_before);
    EXPECT_EQ(kea(2).config()["Dhcp4"]["valid-lifetime"], 7206);
    EXPECT_EQ(relationships_of(kea(2).config()).size(), 2u);
    auto again = sync();
    EXPECT_EQ(again.status, 422u) << again.body.dump(1);
    EXPECT_EQ(again.body["error"]["code"], "relationships-differ");
    EXPECT_TRUE(kea(2).requests("config-set").empty());
}

// --- issue 11: a change after a change reads only the hash (Kea 2.6+ answer config-set with it) --

/// A JSON Patch operation adding a subnet given with only its pool (Kea fills the rest in).
nlohmann::json minimal_subnet(int id) {
    const std::string prefix = "10." + std::to_string(id) + ".0";
    return {{"op", "add"},
            {"path", "/Dhcp4/subnet4/-"},
            {"value", {{"id", id}, {"subnet", prefix + ".0/24"}, {"pools", {{{"pool", prefix + ".10-" + prefix + ".20"}}}}}}};
}

/// The subnet `prefix` of a config (null when there is none).
nlohmann::json subnet_of(const nlohmann::json& config, const std::string& prefix) {
    for (const auto& subnet : config["Dhcp4"]["subnet4"]) {
        if (subnet["subnet"] == prefix) return subnet;
    }
    return nullptr;
}

TEST_F(ReplicationProtocolTest, ChangeAfterAChange_ReadPhaseIsConfigHashGetOnly_WithTheHashFromConfigSet) {
    start();
    kea(1).fill_defaults(true);
    kea(2).fill_defaults(true);
    auto out = change({daemon::ConfigChange::Kind::JsonPatch, nlohmann::json::array({minimal_subnet(77)}), std::nullopt});
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    clear_requests();
    out = lifetime(5400);
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    for (int n : {1, 2}) {
        EXPECT_TRUE(kea(n).requests("config-get").empty()) << "server" << n << " read again";
        EXPECT_FALSE(kea(n).requests("config-hash-get").empty()) << "server" << n;
    }
    // What Kea runs: the second change on top of the first, with what Kea filled in.
    const auto standby = kea(2).config();
    EXPECT_EQ(standby["Dhcp4"]["valid-lifetime"], 5400);
    EXPECT_EQ(subnet_of(standby, "10.77.0.0/24")["4o6-interface"], "");
    EXPECT_EQ(relationships_of(nlohmann::json(standby))[0]["this-server-name"], "server2");
    EXPECT_FALSE(has_event("config-external-change", "server1")) << monitor_->events().dump(1);
    // Kea's own hash is the ETag: the same whether the config is held as sent or as read.
    auto read = [&] {
        return testing::run_awaitables(io_, [&] {
                   std::vector<boost::asio::awaitable<daemon::ConfigOutcome>> list;
                   list.push_back(monitor_->read_config());
                   return list;
               }()).front();
    };
    const auto as_held = read();
    ASSERT_EQ(as_held.status, 200u);
    ASSERT_TRUE(as_held.etag);
    EXPECT_EQ(*as_held.etag, "\"kea-" + kea(1).config_hash() + "\"");
    // The config as the controller set it: without what Kea filled in.
    EXPECT_FALSE(subnet_of(as_held.body, "10.77.0.0/24").contains("4o6-interface")) << as_held.body.dump(1);
    // A config-hash-get that fails once: read with config-get, the known document kept.
    kea(1).fail_config_hash_get(1);
    clear_requests();
    const auto after_failure = read();
    ASSERT_EQ(after_failure.status, 200u);
    EXPECT_EQ(kea(1).requests("config-get").size(), 1u);
    EXPECT_EQ(after_failure.body, as_held.body);
    EXPECT_EQ(after_failure.etag, as_held.etag);
}

TEST_F(ReplicationProtocolTest, DriftCheck_AConfigAsSentAgainstOneAsRead_IsNotDrift_RealDriftIs) {
    prefs_.config_sync_interval = 300ms;  // rule 4 runs every 0.3 s
    start();
    kea(1).fill_defaults(true);
    kea(2).fill_defaults(true);
    kea(2).hash_in_set_answer(false);  // as Kea 2.4 may: server2 is then known as read
    auto out = change({daemon::ConfigChange::Kind::JsonPatch, nlohmann::json::array({minimal_subnet(78)}), std::nullopt});
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    clear_requests();
    // Checks since: the SoT's config as sent is read again once, as Kea gives it back.
    ASSERT_TRUE(run_until([&] { return kea(2).requests("config-hash-get").size() >= 6; }));
    EXPECT_FALSE(has_event("config-drift", "server2")) << monitor_->events().dump(1);
    EXPECT_EQ(peer_detail("server2")["in_sync"], true) << monitor_->detail().dump(1);
    EXPECT_LE(kea(1).requests("config-get").size(), 1u) << "read as Kea gives it once, then by its hash";
    const auto diff = testing::run_awaitables(io_, [&] {
                          std::vector<boost::asio::awaitable<daemon::ConfigOutcome>> list;
                          list.push_back(monitor_->diff_config(std::string("server2"), false));
                          return list;
                      }()).front();
    ASSERT_EQ(diff.status, 200u) << diff.body.dump(1);
    EXPECT_EQ(diff.body["peers"][0]["in_sync"], true) << diff.body.dump(1);
    auto drifted = kea(2).config();
    drifted["Dhcp4"]["subnet4"][0]["pools"][0]["pool"] = "192.0.2.150-192.0.2.160";
    kea(2).set_config(drifted);
    EXPECT_TRUE(run_until([&] { return has_event("config-drift", "server2"); })) << monitor_->events().dump(1);
}

TEST_F(ReplicationProtocolTest, ControllerRestartAfterAChange_NoFalseExternalChange_ARealOneIsSeen) {
    prefs_.config_sync_interval = 300ms;
    use_state_directory();
    start();
    kea(1).fill_defaults(true);
    kea(2).fill_defaults(true);
    auto out = change({daemon::ConfigChange::Kind::JsonPatch, nlohmann::json::array({minimal_subnet(79)}), std::nullopt});
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    ASSERT_TRUE(state_document()["replication"]["sot_etag"].is_string()) << state_document()["replication"].dump(1);
    // Restarted: nothing cached, every config read as Kea gives it back (with its defaults).
    recreate_monitor();
    clear_requests();
    ASSERT_TRUE(run_until([&] {
        return !kea(1).requests("config-get").empty() && kea(1).requests("config-hash-get").size() >= 3;
    }));
    EXPECT_FALSE(has_event("config-external-change", "server1")) << monitor_->events().dump(1);
    EXPECT_FALSE(has_event("config-drift", "server2")) << monitor_->events().dump(1);
    auto edited = kea(1).config();
    edited["Dhcp4"]["valid-lifetime"] = 1234;  // by hand, on Kea
    kea(1).set_config(edited);
    EXPECT_TRUE(run_until([&] { return has_event("config-external-change", "server1"); })) << monitor_->events().dump(1);
}

TEST_F(ReplicationProtocolTest, ScopedChange_HubReadAgainAfterAnotherClustersWrite_GlobalChangeStillSendsItNothing) {
    start();
    make_hub();
    kea(1).fill_defaults(true);
    kea(2).fill_defaults(true);
    // A subnet of the pair's relationship, given with only its pool: set on both (as sent).
    auto subnet = minimal_subnet(80);
    subnet["value"]["user-context"] = {{"ha-server-name", "server1"}};
    auto out = change({daemon::ConfigChange::Kind::JsonPatch, nlohmann::json::array({subnet}), std::nullopt});
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    ASSERT_EQ(outcome_of(out.body["peers"], "server2")["outcome"], "applied") << out.body.dump(1);
    // The branch2 cluster writes the hub (its own relationship's subnet): its hash moves, and
    // this cluster reads it again, as Kea gives it back (with what Kea filled in).
    auto hub = kea(2).config();
    for (auto& s : hub["Dhcp4"]["subnet4"]) {
        if (s["subnet"] == "10.92.0.0/24") s["pools"] = {{{"pool", "10.92.0.10-10.92.0.20"}}};
    }
    kea(2).set_config(hub);
    clear_requests();
    out = lifetime(7209);
    ASSERT_EQ(out.status, 200u) << out.body.dump(1);
    EXPECT_EQ(outcome_of(out.body["peers"], "server2")["outcome"], "unchanged") << out.body.dump(1);
    for (const char* command : {"config-test", "config-set", "config-write"}) {
        EXPECT_TRUE(kea(2).requests(command).empty()) << "the hub got " << command;
    }
    EXPECT_EQ(kea(2).config(), hub);
    EXPECT_EQ(kea(1).config()["Dhcp4"]["valid-lifetime"], 7209);
}

TEST_F(ReplicationProtocolTest, ControllerRestartAfterAChange_InSyncKnownAtOnce_AChangeMadeMeanwhileSeen) {
    use_state_directory();  // keaConfigSyncInterval stays 3600 s: only the first look reads
    start();
    ASSERT_EQ(lifetime(5401).status, 200u);
    ASSERT_TRUE(state_document()["replication"]["sot_etag"].is_string()) << state_document()["replication"].dump(1);
    auto edited = kea(1).config();
    edited["Dhcp4"]["valid-lifetime"] = 1235;  // by hand on Kea, as the controller restarts
    kea(1).set_config(edited);
    recreate_monitor();
    EXPECT_TRUE(run_until([&] { return peer_detail("server2")["in_sync"].is_boolean(); })) << monitor_->detail().dump(1);
    EXPECT_TRUE(run_until([&] { return has_event("config-external-change", "server1"); })) << monitor_->events().dump(1);
    EXPECT_EQ(peer_detail("server2")["in_sync"], false) << "it lacks the change made by hand";
}

}  // namespace
}  // namespace kea_ha
