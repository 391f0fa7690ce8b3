// End-to-end: KeaLab itself against real Kea daemons on loopback, on every lab version
// ($KEA_HA_LAB_KEA: the suite is registered once per version). Tests named _Kea26Plus or
// _Kea30 need what older versions do not have and skip elsewhere.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
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
using kea_ha::lab::is_mount_point;
using kea_ha::lab::LabOptions;
using kea_ha::lab::LabShape;
using kea_ha::lab::LabTransport;
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

bool state_is(const KeaLab& lab, const std::string& peer, const std::string& state,
              const std::string& relationship = "") {
    auto s = lab.ha_state(peer, relationship);
    return s && *s == state;
}

std::string state_of(const KeaLab& lab, const std::string& peer, const std::string& relationship = "") {
    auto s = lab.ha_state(peer, relationship);
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
        if (lab.options().transport == LabTransport::Direct) continue;  // no CA (always so on 3.2)
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
    const bool agent = lab->options().transport == LabTransport::Agent;  // Direct on 3.2: no CA
    EXPECT_EQ(std::filesystem::exists(lab->peer("server2").agent_config_path), agent);

    auto version = lab->command("server1", "version-get");
    ASSERT_TRUE(version) << version.error().describe();
    EXPECT_EQ((*version)["result"], 0);
    const std::string kea = lab->options().kea_version;
    EXPECT_EQ((*version)["text"].get<std::string>().rfind(kea + ".", 0), 0u) << version->dump();
    // 2.2: the HA peers talk through the CA; 2.4+: through the HA hook's own listener.
    EXPECT_EQ(lab->peer("server1").ha_url, kea == "2.2" ? lab->peer("server1").url
                                                         : "http://" + lab->peer("server1").address + ":8001/");
    EXPECT_EQ(lab->root().empty(), kea == "2.2");

    // Primary's dhcp4 gone: its CA says offline (direct: nothing listens), the standby takes over.
    ASSERT_TRUE(lab->stop_dhcp("server1"));
    EXPECT_FALSE(lab->stop_dhcp("server1")) << "stopping a stopped daemon is an error";
    auto offline = lab->command("server1", "status-get");
    if (agent) {
        ASSERT_TRUE(offline) << offline.error().describe();
        EXPECT_EQ((*offline)["result"], 1);
        EXPECT_NE((*offline)["text"].get<std::string>().find("offline"), std::string::npos) << offline->dump();
    } else {
        ASSERT_FALSE(offline);
        EXPECT_EQ(offline.error().kind, ErrorKind::Refused) << offline.error().describe();
    }
    auto offline_state = lab->ha_state("server1");
    ASSERT_FALSE(offline_state);
    EXPECT_EQ(offline_state.error().kind, agent ? ErrorKind::DaemonOffline : ErrorKind::Refused);
    EXPECT_TRUE(wait_until([&] { return state_is(*lab, "server2", "partner-down"); }, 15s))
        << "server2: " << state_of(*lab, "server2");

    // Back again: both return to hot-standby.
    ASSERT_TRUE(lab->start_dhcp("server1"));
    EXPECT_FALSE(lab->start_dhcp("server1")) << "starting a running daemon is an error";
    EXPECT_TRUE(wait_until([&] { return state_is(*lab, "server1", "hot-standby") && state_is(*lab, "server2", "hot-standby"); },
                           30s))
        << "server1: " << state_of(*lab, "server1") << ", server2: " << state_of(*lab, "server2");

    // CA gone: connection refused; and back. (Direct: no CA to stop.)
    if (!agent) {
        EXPECT_FALSE(lab->stop_agent("server2"));
    } else {
        ASSERT_TRUE(lab->stop_agent("server2"));
        auto refused = post_json(lab->peer("server2").url, {{"command", "version-get"}}, 2s);
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().kind, ErrorKind::Refused) << refused.error().describe();
        EXPECT_NE(refused.error().describe().find("refused"), std::string::npos) << refused.error().describe();
        ASSERT_TRUE(lab->start_agent("server2"));
        EXPECT_TRUE(wait_until([&] { return lab->command("server2", "version-get").ok(); }, 10s));
    }

    // Destroyed: every daemon is gone and so is the directory.
    const auto pids = lab_pids(*lab);
    EXPECT_EQ(pids.size(), agent ? 4u : 2u);
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
    if (b.options().transport == LabTransport::Agent) {  // 3.2 has no CA
        auto no_dhcp4 = post_json(b.peer("server1").url, {{"command", "version-get"}, {"service", {"dhcp4"}}}, 5s);
        ASSERT_TRUE(no_dhcp4);
        EXPECT_EQ((*no_dhcp4)[0]["result"], 1) << no_dhcp4->dump();
    }

    // No collisions: distinct addresses, directories, daemons.
    std::set<std::string> addresses;
    for (const auto* lab : {&a, &b})
        for (const auto& p : lab->peers()) addresses.insert(p.address);
    EXPECT_EQ(addresses.size(), 4u);
    EXPECT_NE(a.directory(), b.directory());
    std::set<pid_t> pids;
    for (const auto* lab : {&a, &b})
        for (pid_t pid : lab_pids(*lab)) pids.insert(pid);
    // Two labs of two peers, each a DHCP daemon and (but on 3.2) a CA.
    EXPECT_EQ(pids.size(), a.options().transport == LabTransport::Agent ? 8u : 4u);
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
    const std::string marker = ", directory ";
    const auto at = message.find(marker);
    ASSERT_NE(at, std::string::npos) << message;
    const auto dir = message.substr(at + marker.size(), message.find(')', at) - at - marker.size());
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

nlohmann::json ha_entries(const KeaLab& lab, const std::string& peer) {
    auto config = lab.command(peer, "config-get");
    EXPECT_TRUE(config) << config.error().describe();
    if (!config) return nlohmann::json::array();
    const auto& dhcp4 = (*config)["arguments"]["Dhcp4"];
    for (const auto& hook : dhcp4["hooks-libraries"])
        if (hook.contains("parameters")) return hook["parameters"]["high-availability"];
    return nlohmann::json::array();
}

std::set<std::string> bound_subnets(const KeaLab& lab, const std::string& peer) {
    std::set<std::string> out;
    auto config = lab.command(peer, "config-get");
    if (!config) return out;
    for (const auto& s : (*config)["arguments"]["Dhcp4"]["subnet4"])
        out.insert(s["subnet"].get<std::string>() + "@" + s["user-context"].value("ha-server-name", ""));
    return out;
}

TEST(KeaLab, HubAndSpoke_Kea26Plus) {
    LabOptions options;
    if (options.kea_version == "2.2") GTEST_SKIP() << "several HA relationships need Kea 2.6+";
    options.shape = LabShape::HubAndSpoke;
    auto lab = start_lab(options);
    ASSERT_TRUE(lab);
    ASSERT_EQ(lab->peers().size(), 3u);
    const auto& hub = lab->peer("hub");
    ASSERT_EQ(hub.relationships.size(), 2u);
    EXPECT_EQ(hub.relationships[0].server_name, "hub1");
    EXPECT_EQ(hub.relationships[0].primary, "branch1");
    EXPECT_EQ(hub.relationships[1].server_name, "hub2");
    EXPECT_EQ(hub.relationships[1].ha_url, "http://" + hub.address + ":8002/") << "one HA listener per relationship";
    EXPECT_EQ(lab->peer("branch2").role, "primary");

    const auto entries = ha_entries(*lab, "hub");
    ASSERT_EQ(entries.size(), 2u) << entries.dump();
    EXPECT_EQ(entries[0]["this-server-name"], "hub1");
    EXPECT_EQ(entries[1]["this-server-name"], "hub2");
    EXPECT_EQ(ha_entries(*lab, "branch1").size(), 1u);
    EXPECT_EQ(bound_subnets(*lab, "hub"), (std::set<std::string>{"192.0.2.0/24@branch1", "198.51.100.0/24@branch2"}));
    EXPECT_EQ(bound_subnets(*lab, "branch1"), (std::set<std::string>{"192.0.2.0/24@branch1"}));
    EXPECT_EQ(bound_subnets(*lab, "branch2"), (std::set<std::string>{"198.51.100.0/24@branch2"}));

    // One branch down: only the hub's relationship with it fails over.
    ASSERT_TRUE(lab->stop_dhcp("branch1"));
    EXPECT_TRUE(wait_until([&] { return state_is(*lab, "hub", "partner-down", "hub1"); }, 20s))
        << "hub1: " << state_of(*lab, "hub", "hub1");
    EXPECT_EQ(state_of(*lab, "hub", "hub2"), "hot-standby");
    ASSERT_TRUE(lab->start_dhcp("branch1"));
    EXPECT_TRUE(wait_until([&] { return state_is(*lab, "hub", "hot-standby", "hub1") && state_is(*lab, "branch1", "hot-standby"); },
                           30s))
        << "hub1: " << state_of(*lab, "hub", "hub1") << ", branch1: " << state_of(*lab, "branch1");
}

TEST(KeaLab, MutualPair_Kea26Plus) {
    LabOptions options;
    if (options.kea_version == "2.2") GTEST_SKIP() << "several HA relationships need Kea 2.6+";
    options.shape = LabShape::MutualPair;
    auto lab = start_lab(options);
    ASSERT_TRUE(lab);
    ASSERT_EQ(lab->peers().size(), 2u);
    for (const std::string peer : {"a", "b"}) {
        const auto entries = ha_entries(*lab, peer);
        ASSERT_EQ(entries.size(), 2u) << peer;
        EXPECT_EQ(entries[0]["this-server-name"], peer + "1");
        EXPECT_EQ(entries[1]["this-server-name"], peer + "2");
        EXPECT_EQ(state_of(*lab, peer, peer + "1"), "hot-standby");
        EXPECT_EQ(state_of(*lab, peer, peer + "2"), "hot-standby");
        EXPECT_EQ(bound_subnets(*lab, peer), (std::set<std::string>{"192.0.2.0/24@a1", "198.51.100.0/24@b2"}));
    }
    EXPECT_EQ(lab->peer("a").relationships[0].role, "primary");
    EXPECT_EQ(lab->peer("a").relationships[1].role, "standby");
    EXPECT_EQ(lab->peer("b").relationships[1].role, "primary");
}

TEST(KeaLab, DirectTransportWithBasicAuth_Kea30) {
    LabOptions options;
    if (options.kea_version == "2.2" || options.kea_version == "2.6")
        GTEST_SKIP() << "kea-dhcp4's own HTTP socket needs Kea 3.0 or later";
    options.transport = LabTransport::Direct;
    auto lab = start_lab(options);
    ASSERT_TRUE(lab);
    ASSERT_TRUE(lab->options().auth_user) << "the 3.2 shape: every socket has authentication";
    EXPECT_TRUE(lab->peer("server1").agent_config_path.empty());
    EXPECT_FALSE(lab->stop_agent("server1")) << "no CA to stop";
    std::ifstream pw(lab->password_file());
    std::string password;
    std::getline(pw, password);
    EXPECT_EQ(password, lab->options().auth_password.value_or("?"));

    const auto& url = lab->peer("server1").url;
    auto anonymous = post_json(url, {{"command", "version-get"}}, 5s);
    ASSERT_FALSE(anonymous);
    EXPECT_EQ(anonymous.error().kind, ErrorKind::Auth) << anonymous.error().describe();
    auto version = post_json(url, {{"command", "version-get"}}, 5s, lab->options().auth_user, password);
    ASSERT_TRUE(version) << version.error().describe();
    EXPECT_EQ((*version)[0]["text"].get<std::string>().rfind(options.kea_version + ".", 0), 0u) << version->dump();
    EXPECT_EQ(state_of(*lab, "server1"), "hot-standby");

    ASSERT_TRUE(lab->stop_dhcp("server1"));
    auto gone = lab->command("server1", "status-get");
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().kind, ErrorKind::Refused) << "no CA: the socket is gone with the daemon";
    EXPECT_TRUE(wait_until([&] { return state_is(*lab, "server2", "partner-down"); }, 20s))
        << "server2: " << state_of(*lab, "server2");
}

TEST(KeaLab, DirectTransportWithTls_Kea30) {
    LabOptions options;
    if (options.kea_version == "2.2" || options.kea_version == "2.6")
        GTEST_SKIP() << "kea-dhcp4's own HTTP socket needs Kea 3.0 or later";
    options.transport = LabTransport::Direct;
    options.tls = true;
    auto lab = start_lab(options);
    ASSERT_TRUE(lab);
    const auto& url = lab->peer("server1").url;
    EXPECT_EQ(url.rfind("https://", 0), 0u) << url;
    EXPECT_FALSE(lab->tls_ca_file().empty());
    // The daemon's own socket speaks TLS only: a plain HTTP request gets no answer.
    auto plain = post_json("http://" + url.substr(8), {{"command", "version-get"}}, 5s, lab->options().auth_user,
                           lab->options().auth_password);
    EXPECT_FALSE(plain) << plain->dump();
    EXPECT_EQ(state_of(*lab, "server1"), "hot-standby");
    EXPECT_TRUE(lab->set_certificate("server2", false)) << "the daemon restarted with an untrusted certificate";
    EXPECT_TRUE(wait_until([&] { return state_is(*lab, "server2", "hot-standby"); }, 30s))
        << "server2: " << state_of(*lab, "server2");
}

/// Records the several-relationship shapes of this lab version into $KEA_HA_RECORD_DIR
/// (tests/data/README.md): run on demand, `KEA_HA_LAB_KEA=3.2 KEA_HA_RECORD_DIR=tests/data/kea-3.2
/// build/tests/lab_test --gtest_also_run_disabled_tests --gtest_filter='*RecordShapes*'`.
/// Each file is the whole body Kea sent (a list of one answer), as the other recordings.
TEST(KeaLab, DISABLED_RecordShapes) {
    const char* out = std::getenv("KEA_HA_RECORD_DIR");
    if (!out || !*out) GTEST_SKIP() << "set KEA_HA_RECORD_DIR";
    LabOptions options;
    if (options.kea_version == "2.2") GTEST_SKIP() << "several HA relationships need Kea 2.6+";
    const auto save = [&](const KeaLab& lab, const std::string& peer, const std::string& command,
                          const std::string& file) {
        auto body = post_json(lab.peer(peer).url, {{"command", command}}, 10s, lab.options().auth_user,
                              lab.options().auth_password);
        ASSERT_TRUE(body) << body.error().describe();
        if (lab.options().transport == LabTransport::Agent) {
            body = post_json(lab.peer(peer).url, {{"command", command}, {"service", {lab.options().service}}}, 10s,
                             lab.options().auth_user, lab.options().auth_password);
            ASSERT_TRUE(body) << body.error().describe();
        }
        std::ofstream(std::string(out) + "/" + file) << body->dump(2) << "\n";
        std::printf("recorded %s/%s\n", out, file.c_str());
    };
    struct Recording {
        LabShape shape;
        std::vector<std::array<const char*, 3>> answers;  // peer, command, file
    };
    const Recording recordings[] = {
        {LabShape::HubAndSpoke,
         {{"hub", "config-get", "config-get-hub.json"},
          {"hub", "status-get", "status-get-hub.json"},
          {"branch1", "config-get", "config-get-branch1.json"}}},
        {LabShape::MutualPair,
         {{"a", "config-get", "config-get-mutual-a.json"},
          {"b", "config-get", "config-get-mutual-b.json"},
          {"a", "status-get", "status-get-mutual-a.json"}}},
    };
    for (const auto& recording : recordings) {
        options.shape = recording.shape;
        auto lab = start_lab(options);
        ASSERT_TRUE(lab);
        for (const auto& [peer, command, file] : recording.answers) save(*lab, peer, command, file);
    }
}

/// The child half of StaleMountOfAKilledLabIsRemoved: starts a lab, writes its directory to
/// $KEA_HA_LAB_CHILD_OUT and dies without cleaning up.
TEST(KeaLab, ChildThatDiesWithItsLab) {
    const char* out = std::getenv("KEA_HA_LAB_CHILD_OUT");
    if (!out) GTEST_SKIP() << "run by StaleMountOfAKilledLabIsRemoved_Kea26Plus";
    auto lab = KeaLab::start({});
    if (!lab) ::_exit(3);
    std::ofstream(out) << (*lab)->directory() << "\n";
    ::_exit(0);
}

TEST(KeaLab, StaleMountOfAKilledLabIsRemoved_Kea26Plus) {
    if (LabOptions{}.kea_version == "2.2") GTEST_SKIP() << "2.2 runs without a root";
    const auto out = std::filesystem::temp_directory_path() / ("kea-ha-lab-child-" + std::to_string(::getpid()));
    const pid_t child = ::fork();
    if (child == 0) {
        ::setenv("KEA_HA_LAB_CHILD_OUT", out.c_str(), 1);
        ::execl("/proc/self/exe", "lab_test", "--gtest_filter=KeaLab.ChildThatDiesWithItsLab", nullptr);
        ::_exit(127);
    }
    ASSERT_GT(child, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    std::string dir;
    std::getline(std::ifstream(out), dir);
    std::filesystem::remove(out);
    ASSERT_FALSE(dir.empty());

    auto lab = start_lab();
    ASSERT_TRUE(lab);
    const std::string stale = lab->root() + dir;
    EXPECT_FALSE(is_mount_point(stale)) << stale << " is still mounted";
    EXPECT_FALSE(std::filesystem::exists(stale)) << "the mount point is removed";
    EXPECT_TRUE(is_mount_point(lab->root() + lab->directory())) << "the live lab's own mount stays";
    std::filesystem::remove_all(dir);  // the dead lab's directory on the host
    const std::string mine = lab->root() + lab->directory();
    lab.reset();
    EXPECT_FALSE(is_mount_point(mine));
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
