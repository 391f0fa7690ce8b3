// End-to-end: the real Control Agent client against real Kea daemons (every lab version) (KeaLab), over loopback.
// A deadline test is not here: the fake Control Agent covers it (tests/integration/ca_client_test.cpp).

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "kea_ha/kea/control_agent.hpp"
#include "kea_ha/lab/kea_lab.hpp"
#include "support/ca_client_helpers.hpp"
#include "support/run_awaitable.hpp"

namespace {

namespace kea = kea_ha::kea;
using kea_ha::core::ErrorKind;
using kea_ha::core::Result;
using kea_ha::lab::KeaLab;
using kea_ha::lab::LabOptions;
using kea_ha::lab::wait_until;
using kea_ha::testing::contains;
using kea_ha::testing::endpoint_of;
using kea_ha::testing::run_awaitable;
using kea_ha::testing::run_awaitables;
using nlohmann::json;
using namespace std::chrono_literals;

const std::optional<std::string> dhcp4 = std::string("dhcp4");

std::unique_ptr<KeaLab> start_lab(LabOptions options = {}) {
    auto lab = KeaLab::start(std::move(options));
    if (!lab) {
        ADD_FAILURE() << "lab did not start: " << lab.error().describe();
        return nullptr;
    }
    return std::move(*lab);
}

/// One real client per call, on the caller's io_context.
Result<kea::Answer> send(boost::asio::io_context& io, const std::string& url, const kea::Command& command,
                         kea::ClientOptions options = {}, std::chrono::milliseconds timeout = 5s) {
    auto client = kea::make_control_agent_client(io, std::move(options));
    return run_awaitable(io, client->send(endpoint_of(url), command, timeout), 30s);
}

/// The lab's credentials for the client (every Kea 3.2 lab has them: no socket without auth).
kea::ClientOptions credentials_of(const KeaLab& lab) {
    kea::ClientOptions options;
    options.auth_user = lab.options().auth_user;
    options.auth_password = lab.options().auth_password;
    return options;
}

/// Kea 3.2 has no Control Agent: a test of what only a CA does is skipped there.
bool has_control_agent() { return kea_ha::lab::lab_kea_has_control_agent(LabOptions{}.kea_version); }

std::string describe(const Result<kea::Answer>& answer) {
    return answer ? "ok: " + answer->text + " " + answer->arguments.dump() : answer.error().describe();
}

// ---------------------------------------------------------------- one shared, undisturbed lab

class CaClientE2eTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto started = KeaLab::start({});
        if (started) {
            lab_ = std::move(*started).release();
        } else {
            start_error_ = new std::string(started.error().describe());
        }
    }
    static void TearDownTestSuite() {
        delete lab_;
        lab_ = nullptr;
        delete start_error_;
        start_error_ = nullptr;
    }
    void SetUp() override {
        ASSERT_NE(lab_, nullptr) << "lab did not start: " << (start_error_ ? *start_error_ : "?");
    }
    Result<kea::Answer> send_to(const std::string& peer, const kea::Command& command) {
        return send(io, lab_->peer(peer).url, command, credentials_of(*lab_));
    }

    static KeaLab* lab_;
    static std::string* start_error_;
    boost::asio::io_context io;
};

KeaLab* CaClientE2eTest::lab_ = nullptr;
std::string* CaClientE2eTest::start_error_ = nullptr;

TEST_F(CaClientE2eTest, VersionGetOfDhcp4AndOfTheAgent) {
    for (const std::string peer : {"server1", "server2"}) {
        SCOPED_TRACE(peer);
        auto daemon = send_to(peer, kea::version_get(dhcp4));
        ASSERT_TRUE(daemon) << daemon.error().describe();
        EXPECT_EQ(daemon->result, kea::KeaResult::Success);
        EXPECT_EQ(daemon->text.rfind(lab_->options().kea_version, 0), 0u) << daemon->text;

        auto agent = send_to(peer, kea::version_get(std::nullopt));
        ASSERT_TRUE(agent) << agent.error().describe();
        EXPECT_EQ(agent->result, kea::KeaResult::Success);
        EXPECT_EQ(agent->text.rfind(lab_->options().kea_version, 0), 0u) << agent->text;
    }
}

TEST_F(CaClientE2eTest, StatusGetShowsRolesAndHotStandby) {
    const std::vector<std::pair<std::string, std::string>> expected = {{"server1", "primary"},
                                                                       {"server2", "standby"}};
    for (const auto& [peer, role] : expected) {
        SCOPED_TRACE(peer);
        auto answer = send_to(peer, kea::status_get(dhcp4));
        ASSERT_TRUE(answer) << answer.error().describe();
        EXPECT_EQ(answer->result, kea::KeaResult::Success);
        const json& ha = answer->arguments["high-availability"];
        ASSERT_TRUE(ha.is_array() && !ha.empty()) << answer->arguments.dump();
        const json& local = ha[0]["ha-servers"]["local"];
        EXPECT_EQ(local.value("role", ""), role) << local.dump();
        EXPECT_EQ(local.value("state", ""), "hot-standby") << local.dump();
    }
}

TEST_F(CaClientE2eTest, ConfigGetHasTheHaHook) {
    const std::vector<std::pair<std::string, std::string>> expected = {{"server1", "server1"},
                                                                       {"server2", "server2"}};
    for (const auto& [peer, name] : expected) {
        SCOPED_TRACE(peer);
        auto answer = send_to(peer, kea::config_get(dhcp4));
        ASSERT_TRUE(answer) << answer.error().describe();
        EXPECT_EQ(answer->result, kea::KeaResult::Success);
        ASSERT_TRUE(answer->arguments.contains("Dhcp4")) << answer->arguments.dump().substr(0, 500);
        const json& hooks = answer->arguments["Dhcp4"]["hooks-libraries"];
        ASSERT_TRUE(hooks.is_array()) << answer->arguments["Dhcp4"].dump().substr(0, 500);
        bool found = false;
        for (const auto& hook : hooks) {
            const std::string library = hook.value("library", "");
            if (!contains(library, "libdhcp_ha.so")) continue;
            found = true;
            const json& ha = hook["parameters"]["high-availability"];
            ASSERT_TRUE(ha.is_array() && !ha.empty()) << hook.dump();
            EXPECT_EQ(ha[0].value("this-server-name", ""), name) << ha[0].dump();
        }
        EXPECT_TRUE(found) << hooks.dump();
    }
}

TEST_F(CaClientE2eTest, FortyConcurrentStatusGetsOnOneThread) {
    auto client = kea::make_control_agent_client(io, credentials_of(*lab_));
    const auto one = endpoint_of(lab_->peer("server1").url);
    const auto two = endpoint_of(lab_->peer("server2").url);
    std::vector<boost::asio::awaitable<Result<kea::Answer>>> calls;
    for (int i = 0; i < 20; ++i) {
        calls.push_back(client->send(one, kea::status_get(dhcp4), 10s));
        calls.push_back(client->send(two, kea::status_get(dhcp4), 10s));
    }
    auto answers = run_awaitables(io, std::move(calls), 30s);
    ASSERT_EQ(answers.size(), 40u);
    for (std::size_t i = 0; i < answers.size(); ++i) {
        SCOPED_TRACE(i);
        ASSERT_TRUE(answers[i]) << answers[i].error().describe();
        EXPECT_EQ(answers[i]->result, kea::KeaResult::Success);
        const json& ha = answers[i]->arguments["high-availability"];
        ASSERT_TRUE(ha.is_array() && !ha.empty());
        EXPECT_EQ(ha[0]["ha-servers"]["local"].value("role", ""), i % 2 == 0 ? "primary" : "standby");
    }
}

/// ESTABLISHED TCP connections of this process to `address:port` (IPv4), from /proc/net/tcp
/// and the socket inodes among /proc/self/fd.
int established_connections_to(const std::string& address, std::uint16_t port) {
    std::set<std::string> inodes;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(entry.path(), ec).string();
        if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
    }
    in_addr parsed{};
    if (::inet_pton(AF_INET, address.c_str(), &parsed) != 1) return -1;
    char remote[32];
    std::snprintf(remote, sizeof remote, "%08X:%04X", parsed.s_addr, port);  // as the kernel prints it
    std::ifstream table("/proc/net/tcp");
    std::string line;
    std::getline(table, line);  // header
    int count = 0;
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, local, rem, state, queues, timer, retransmits, uid, timeout, inode;
        fields >> slot >> local >> rem >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
        if (rem == remote && state == "01" && inodes.count(inode)) ++count;
    }
    return count;
}

TEST_F(CaClientE2eTest, TheAgentKeepsOurConnectionAlive) {
    auto client = kea::make_control_agent_client(io, credentials_of(*lab_));
    const auto& peer = lab_->peer("server1");
    const auto endpoint = endpoint_of(peer.url);
    for (int i = 0; i < 10; ++i) {
        auto status = run_awaitable(io, client->send(endpoint, kea::status_get(dhcp4), 5s), 30s);
        ASSERT_TRUE(status) << i << ": " << status.error().describe();
        auto heartbeat = run_awaitable(io, client->send(endpoint, kea::ha_heartbeat("dhcp4"), 5s), 30s);
        ASSERT_TRUE(heartbeat) << i << ": " << heartbeat.error().describe();
        EXPECT_EQ(heartbeat->result, kea::KeaResult::Success);
    }
    // Twenty requests, one connection: the agent honours HTTP/1.1 keep-alive.
    EXPECT_EQ(established_connections_to(peer.address, peer.port), 1);
    client.reset();
    EXPECT_EQ(established_connections_to(peer.address, peer.port), 0);
}

// ---------------------------------------------------------------- labs of their own

TEST(CaClientE2eAuth, BasicAuth) {
    LabOptions options;
    options.auth_user = "admin";
    options.auth_password = "s3cret:x";
    auto lab = start_lab(options);
    ASSERT_TRUE(lab);
    boost::asio::io_context io;
    const std::string url = lab->peer("server1").url;

    kea::ClientOptions right;
    right.auth_user = options.auth_user;
    right.auth_password = options.auth_password;
    auto ok = send(io, url, kea::status_get(dhcp4), right);
    ASSERT_TRUE(ok) << ok.error().describe();
    EXPECT_EQ(ok->result, kea::KeaResult::Success);
    auto agent = send(io, url, kea::version_get(std::nullopt), right);
    ASSERT_TRUE(agent) << agent.error().describe();

    auto none = send(io, url, kea::status_get(dhcp4));
    ASSERT_FALSE(none) << describe(none);
    EXPECT_EQ(none.error().kind, ErrorKind::Auth) << none.error().describe();
    EXPECT_TRUE(contains(none.error().describe(), "401")) << none.error().describe();

    kea::ClientOptions wrong = right;
    wrong.auth_password = "s3cret:y";
    auto denied = send(io, url, kea::status_get(dhcp4), wrong);
    ASSERT_FALSE(denied) << describe(denied);
    EXPECT_EQ(denied.error().kind, ErrorKind::Auth) << denied.error().describe();

    kea::ClientOptions stranger = right;
    stranger.auth_user = "nobody";
    auto unknown = send(io, url, kea::status_get(dhcp4), stranger);
    ASSERT_FALSE(unknown) << describe(unknown);
    EXPECT_EQ(unknown.error().kind, ErrorKind::Auth) << unknown.error().describe();
}

// Stopping daemons disturbs HA (the peers talk through the CAs), so these get a lab of their own.
TEST(CaClientE2eOutage, DaemonOfflineThenRefusedThenBack) {
    if (!has_control_agent()) GTEST_SKIP() << "no CA on 3.2 (a stopped daemon on its own socket: DirectE2E)";
    auto lab = start_lab();
    ASSERT_TRUE(lab);
    boost::asio::io_context io;
    const std::string url = lab->peer("server1").url;

    // dhcp4 stopped behind a live CA.
    ASSERT_TRUE(lab->stop_dhcp("server1"));
    auto offline = send(io, url, kea::status_get(dhcp4));
    ASSERT_FALSE(offline) << describe(offline);
    EXPECT_EQ(offline.error().kind, ErrorKind::DaemonOffline) << offline.error().describe();
    EXPECT_TRUE(contains(offline.error().describe(), "CA says dhcp4 is offline")) << offline.error().describe();
    // The CA itself still answers.
    auto agent = send(io, url, kea::version_get(std::nullopt));
    ASSERT_TRUE(agent) << agent.error().describe();

    ASSERT_TRUE(lab->start_dhcp("server1"));
    EXPECT_TRUE(wait_until([&] { return bool(send(io, url, kea::status_get(dhcp4), {}, 2s)); }, 15s, 100ms))
        << describe(send(io, url, kea::status_get(dhcp4)));

    // The CA stopped: nothing listens.
    ASSERT_TRUE(lab->stop_agent("server1"));
    auto refused = send(io, url, kea::status_get(dhcp4));
    ASSERT_FALSE(refused) << describe(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::Refused) << refused.error().describe();
    EXPECT_TRUE(contains(refused.error().describe(), "connection refused")) << refused.error().describe();
    EXPECT_TRUE(contains(refused.error().describe(), url)) << refused.error().describe();

    ASSERT_TRUE(lab->start_agent("server1"));
    EXPECT_TRUE(wait_until([&] { return bool(send(io, url, kea::status_get(dhcp4), {}, 2s)); }, 15s, 100ms))
        << describe(send(io, url, kea::status_get(dhcp4)));
    auto version = send(io, url, kea::version_get(dhcp4));
    ASSERT_TRUE(version) << version.error().describe();
    EXPECT_EQ(version->text.rfind(lab->options().kea_version + ".", 0), 0u) << version->text;
}

}  // namespace
