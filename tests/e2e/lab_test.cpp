// End-to-end: KeaLab itself against real Kea 2.2 daemons on loopback.
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::core::ErrorKind;
using kea_ha::lab::KeaLab;
using kea_ha::lab::LabMode;
using kea_ha::lab::LabOptions;
using kea_ha::lab::post_json;
using kea_ha::lab::wait_until;

std::unique_ptr<KeaLab> start_lab(LabOptions options = {}) {
    auto lab = KeaLab::start(std::move(options));
    if (!lab) {
        ADD_FAILURE() << "lab did not start: " << lab.error().describe();
        return nullptr;
    }
    return std::move(*lab);
}

bool state_is(const KeaLab& lab, const std::string& peer, const std::string& state) {
    auto s = lab.ha_state(peer);
    return s && *s == state;
}

std::string state_of(const KeaLab& lab, const std::string& peer) {
    auto s = lab.ha_state(peer);
    return s ? *s : "error: " + s.error().describe();
}

/// PIDs of every daemon of the lab: the DHCP servers' (status-get with service) and the CAs'
/// (status-get answered by the CA itself).
std::vector<pid_t> lab_pids(const KeaLab& lab) {
    std::vector<pid_t> pids;
    for (const auto& p : lab.peers()) {
        auto dhcp = lab.command(p.name, "status-get");
        EXPECT_TRUE(dhcp) << p.name;
        if (dhcp && (*dhcp)["arguments"].contains("pid")) pids.push_back((*dhcp)["arguments"]["pid"].get<pid_t>());
        auto agent = post_json(p.url, {{"command", "status-get"}}, 5s, lab.options().auth_user, lab.options().auth_password);
        EXPECT_TRUE(agent) << p.name;
        if (agent && agent->is_array() && (*agent)[0]["arguments"].contains("pid"))
            pids.push_back((*agent)[0]["arguments"]["pid"].get<pid_t>());
    }
    return pids;
}

TEST(KeaLab, HotStandbyFailoverRecoveryAndCleanup) {
    auto lab = start_lab();
    ASSERT_TRUE(lab);
    ASSERT_EQ(lab->peers().size(), 2u);
    EXPECT_EQ(lab->peer("server1").role, "primary");
    EXPECT_EQ(lab->peer("server2").role, "standby");
    EXPECT_EQ(state_of(*lab, "server1"), "hot-standby");
    EXPECT_EQ(state_of(*lab, "server2"), "hot-standby");
    EXPECT_TRUE(std::filesystem::exists(lab->peer("server1").dhcp_config_path));
    EXPECT_TRUE(std::filesystem::exists(lab->peer("server2").agent_config_path));

    auto version = lab->command("server1", "version-get");
    ASSERT_TRUE(version) << version.error().describe();
    EXPECT_EQ((*version)["result"], 0);
    EXPECT_EQ((*version)["text"].get<std::string>().rfind("2.2", 0), 0u) << version->dump();

    // Primary's dhcp4 gone: its CA says offline, the standby takes over.
    ASSERT_TRUE(lab->stop_dhcp("server1"));
    EXPECT_FALSE(lab->stop_dhcp("server1")) << "stopping a stopped daemon is an error";
    auto offline = lab->command("server1", "status-get");
    ASSERT_TRUE(offline) << offline.error().describe();
    EXPECT_EQ((*offline)["result"], 1);
    EXPECT_NE((*offline)["text"].get<std::string>().find("offline"), std::string::npos) << offline->dump();
    auto offline_state = lab->ha_state("server1");
    ASSERT_FALSE(offline_state);
    EXPECT_EQ(offline_state.error().kind, ErrorKind::DaemonOffline);
    EXPECT_TRUE(wait_until([&] { return state_is(*lab, "server2", "partner-down"); }, 15s))
        << "server2: " << state_of(*lab, "server2");

    // Back again: both return to hot-standby.
    ASSERT_TRUE(lab->start_dhcp("server1"));
    EXPECT_FALSE(lab->start_dhcp("server1")) << "starting a running daemon is an error";
    EXPECT_TRUE(wait_until([&] { return state_is(*lab, "server1", "hot-standby") && state_is(*lab, "server2", "hot-standby"); },
                           30s))
        << "server1: " << state_of(*lab, "server1") << ", server2: " << state_of(*lab, "server2");

    // CA gone: connection refused; and back.
    ASSERT_TRUE(lab->stop_agent("server2"));
    auto refused = post_json(lab->peer("server2").url, {{"command", "version-get"}}, 2s);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::Refused) << refused.error().describe();
    EXPECT_NE(refused.error().describe().find("refused"), std::string::npos) << refused.error().describe();
    ASSERT_TRUE(lab->start_agent("server2"));
    EXPECT_TRUE(wait_until([&] { return lab->command("server2", "version-get").ok(); }, 10s));

    // Destroyed: every daemon is gone and so is the directory.
    const auto pids = lab_pids(*lab);
    EXPECT_EQ(pids.size(), 4u);
    const std::string dir = lab->directory();
    ASSERT_TRUE(std::filesystem::exists(dir));
    lab.reset();
    for (pid_t pid : pids) EXPECT_NE(::kill(pid, 0), 0) << "pid " << pid << " still exists";
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

TEST(KeaLab, LoadBalancingAndDhcp6LabsRunAtOnce) {
    LabOptions lb;
    lb.mode = LabMode::LoadBalancing;
    LabOptions v6;
    v6.service = "dhcp6";
    auto lb_future = std::async(std::launch::async, [&] { return KeaLab::start(lb); });
    auto v6_future = std::async(std::launch::async, [&] { return KeaLab::start(v6); });
    auto lb_lab = lb_future.get();
    auto v6_lab = v6_future.get();
    ASSERT_TRUE(lb_lab) << lb_lab.error().describe();
    ASSERT_TRUE(v6_lab) << v6_lab.error().describe();
    const KeaLab& a = **lb_lab;
    const KeaLab& b = **v6_lab;

    EXPECT_EQ(a.peer("server2").role, "secondary");
    EXPECT_EQ(state_of(a, "server1"), "load-balancing");
    EXPECT_EQ(state_of(a, "server2"), "load-balancing");
    EXPECT_EQ(state_of(b, "server1"), "hot-standby");
    EXPECT_EQ(state_of(b, "server2"), "hot-standby");

    // dhcp6 lab answers for dhcp6 (and its CA has no dhcp4 socket).
    auto v6_version = b.command("server1", "version-get");
    ASSERT_TRUE(v6_version);
    EXPECT_EQ((*v6_version)["result"], 0);
    auto v6_config = b.command("server1", "config-get");
    ASSERT_TRUE(v6_config);
    EXPECT_TRUE((*v6_config)["arguments"].contains("Dhcp6"));
    auto no_dhcp4 = post_json(b.peer("server1").url, {{"command", "version-get"}, {"service", {"dhcp4"}}}, 5s);
    ASSERT_TRUE(no_dhcp4);
    EXPECT_EQ((*no_dhcp4)[0]["result"], 1) << no_dhcp4->dump();

    // No collisions: distinct addresses, directories, daemons.
    std::set<std::string> addresses;
    for (const auto* lab : {&a, &b})
        for (const auto& p : lab->peers()) addresses.insert(p.address);
    EXPECT_EQ(addresses.size(), 4u);
    EXPECT_NE(a.directory(), b.directory());
    std::set<pid_t> pids;
    for (const auto* lab : {&a, &b})
        for (pid_t pid : lab_pids(*lab)) pids.insert(pid);
    EXPECT_EQ(pids.size(), 8u);
}

TEST(KeaLab, BackupServer) {
    LabOptions options;
    options.with_backup = true;
    auto lab = start_lab(options);
    ASSERT_TRUE(lab);
    ASSERT_EQ(lab->peers().size(), 3u);
    EXPECT_EQ(lab->peer("server3").role, "backup");
    EXPECT_EQ(state_of(*lab, "server1"), "hot-standby");
    EXPECT_EQ(state_of(*lab, "server2"), "hot-standby");
    EXPECT_EQ(state_of(*lab, "server3"), "backup");
}

TEST(KeaLab, BasicAuth) {
    LabOptions options;
    options.auth_user = "admin";
    options.auth_password = "s3cret:x";
    options.keep_dir = true;  // checked below, removed by hand
    auto lab = start_lab(options);
    ASSERT_TRUE(lab);
    // The HA peers authenticate to each other's CA, or they would not reach hot-standby.
    EXPECT_EQ(state_of(*lab, "server1"), "hot-standby");
    EXPECT_EQ(state_of(*lab, "server2"), "hot-standby");

    const auto& url = lab->peer("server1").url;
    const nlohmann::json body = {{"command", "version-get"}, {"service", {"dhcp4"}}};
    auto anonymous = post_json(url, body, 5s);
    ASSERT_FALSE(anonymous);
    EXPECT_EQ(anonymous.error().kind, ErrorKind::Auth);
    EXPECT_NE(anonymous.error().describe().find("401"), std::string::npos) << anonymous.error().describe();
    auto wrong = post_json(url, body, 5s, std::string("admin"), std::string("nope"));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().kind, ErrorKind::Auth);
    auto right = post_json(url, body, 5s, options.auth_user, options.auth_password);
    ASSERT_TRUE(right) << right.error().describe();
    EXPECT_EQ((*right)[0]["result"], 0);

    const std::string dir = lab->directory();
    lab.reset();
    EXPECT_TRUE(std::filesystem::exists(dir + "/server1/dhcp.log")) << "keep_dir keeps the logs";
    std::filesystem::remove_all(dir);
}

TEST(KeaLab, StartFailureReportsTheLog) {
    LabOptions options;
    options.service = "dhcp5";
    auto invalid = KeaLab::start(options);
    ASSERT_FALSE(invalid);
    EXPECT_EQ(invalid.error().kind, ErrorKind::Invalid);

    // A config Kea rejects: the DHCP daemon exits, start() says which and shows its log.
    options.service = "dhcp4";
    options.heartbeat_delay_ms = -1;
    options.start_timeout = 15s;
    const auto before = std::chrono::steady_clock::now();
    auto failed = KeaLab::start(options);
    ASSERT_FALSE(failed);
    const auto message = failed.error().describe();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 14s) << "a dead daemon is noticed before the timeout";
    EXPECT_NE(message.find("kea-dhcp4 of server"), std::string::npos) << message;
    EXPECT_NE(message.find("heartbeat-delay"), std::string::npos) << message;
    // The directory named in the message is gone.
    const auto at = message.find("(directory ");
    ASSERT_NE(at, std::string::npos) << message;
    const auto dir = message.substr(at + 11, message.find(')', at) - at - 11);
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

TEST(PostJson, RefusedAndInvalid) {
    auto refused = post_json("http://127.0.0.1:1/", {{"command", "version-get"}}, 2s);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::Refused);
    auto invalid = post_json("https://127.0.0.1:8000/", {{"command", "version-get"}}, 2s);
    ASSERT_FALSE(invalid);
    EXPECT_EQ(invalid.error().kind, ErrorKind::Invalid);
}

TEST(WaitUntil, TimesOutAndSucceeds) {
    int n = 0;
    EXPECT_TRUE(wait_until([&] { return ++n == 3; }, 1s, 1ms));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(wait_until([] { return false; }, 100ms, 10ms));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

}  // namespace
