// End-to-end fault matrix (issue 13 item 4): the real kea-ha-controller binary against real Kea
// daemons (every lab version, DHCPv4 and DHCPv6: each test runs once per service) on loopback, with
// faults operators fear: a hung daemon, an unusable state file at start, credentials rotated under
// a running controller, a full state directory.
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"
#include "support/service_config.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using kea_ha::lab::LabOptions;
using kea_ha::lab::wait_until;
using kea_ha::testing::ControllerProcess;

// Fast timings: poll every 0.5 s, 1 s per request.
const std::map<std::string, std::string> kFastPolling = {
    {"keaPollInterval", "0.5"}, {"keaRequestTimeout", "1"}, {"keaConfigTimeout", "10"}};
constexpr auto kPoll = 500ms;
constexpr auto kRequestTimeout = 1000ms;
// Scheduling and the test's own 50 ms polling of the detail.
constexpr auto kMargin = 700ms;

LabOptions for_service(LabOptions options, const std::string& service) {
    options.service = service;
    return options;
}

/// The lab of `service` ("dhcp4" or "dhcp6") and the controller.
struct Fixture : kea_ha::testing::LabController {
    explicit Fixture(const std::string& service, LabOptions options = {},
                     std::map<std::string, std::string> settings = kFastPolling)
        : LabController("kea-ha-fault", std::move(settings), for_service(std::move(options), service)) {}

    nlohmann::json peer(const std::string& name) {
        for (const auto& p : detail().value("peers", nlohmann::json::array())) {
            if (p.value("name", "") == name) return p;
        }
        return nlohmann::json::object();
    }
    std::string condition(const std::string& name) { return peer(name).value("condition", ""); }
    std::string last_error(const std::string& name) {
        const auto p = peer(name);
        return p.contains("last_error") && p["last_error"].is_string() ? p["last_error"].get<std::string>() : "";
    }
    std::string cluster_file() const { return controller->settings().at("stateDirectory") + "/clusters/pair.json"; }
};

/// The PID a Control Agent reports: of the daemon behind it with `service`, its own without.
pid_t reported_pid(const kea_ha::lab::KeaLab& lab, const std::string& peer, bool daemon) {
    nlohmann::json body = {{"command", "status-get"}};
    if (daemon) body["service"] = nlohmann::json::array({lab.options().service});
    auto answer = kea_ha::lab::post_json(lab.peer(peer).url, body, 5s, lab.options().auth_user,
                                         lab.options().auth_password);
    if (!answer || !answer->is_array() || answer->empty()) return -1;
    const auto& arguments = (*answer)[0]["arguments"];
    return arguments.is_object() && arguments.contains("pid") ? arguments["pid"].get<pid_t>() : -1;
}

/// SIGCONT on scope exit: a failed assertion never leaves a Kea process stopped.
class StoppedProcess {
public:
    explicit StoppedProcess(pid_t pid) : pid_(pid) { stopped_ = pid_ > 0 && ::kill(pid_, SIGSTOP) == 0; }
    ~StoppedProcess() { resume(); }
    StoppedProcess(const StoppedProcess&) = delete;
    StoppedProcess& operator=(const StoppedProcess&) = delete;
    bool stopped() const { return stopped_; }
    void resume() {
        if (stopped_) ::kill(pid_, SIGCONT);
        stopped_ = false;
    }

private:
    pid_t pid_;
    bool stopped_ = false;
};

std::size_t open_fds(pid_t pid) {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
        ++n;
    }
    return n;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

/// Files next to `file` set aside from it (FILE.corrupt-<UTC time>…).
std::vector<fs::path> set_aside(const std::string& file) {
    std::vector<fs::path> found;
    const fs::path path(file);
    const std::string prefix = path.filename().string() + ".corrupt-";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(path.parent_path(), ec)) {
        if (entry.path().filename().string().rfind(prefix, 0) == 0) found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

class FaultMatrixE2E : public ::testing::TestWithParam<std::string> {};

// ---------------------------------------------------------------------------------------------
// (a) A hung daemon: SIGSTOP keeps its socket open and answers nothing.

TEST_P(FaultMatrixE2E, HungDhcpDaemonOrAgentIsUnreachableInTimeWithoutPilingUpAndRecovers) {
    Fixture f(GetParam());
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.up()) << f.explain();
    const pid_t controller = f.controller->pid();
    // A few polls in, so the descriptors the controller keeps (sockets, logs, state) are open.
    ASSERT_TRUE(wait_until([&] { return f.condition("server2") == "active"; }, 5s)) << f.explain();
    const std::size_t baseline = open_fds(controller);
    ASSERT_GT(baseline, 0u);

    // The CA too where there is one (none on 3.2).
    const bool agent = f.lab->options().transport == kea_ha::lab::LabTransport::Agent;
    for (const bool daemon : {true, false}) {
        if (!daemon && !agent) continue;
        const std::string what = daemon ? "kea-" + f.lab->options().service : "kea-ctrl-agent";
        SCOPED_TRACE(what + " of server2 stopped with SIGSTOP");
        const pid_t pid = reported_pid(*f.lab, "server2", daemon);
        ASSERT_GT(pid, 0) << what;
        const auto start = std::chrono::steady_clock::now();
        StoppedProcess hung(pid);
        ASSERT_TRUE(hung.stopped()) << what << " pid " << pid;

        // SPEC §4: no answer in time is `unreachable`, within one request timeout after the next poll.
        ASSERT_TRUE(wait_until([&] { return f.condition("server2") == "unreachable"; }, 10s)) << f.explain();
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        EXPECT_LE(took, kRequestTimeout + kPoll + kMargin) << what << ": detection took " << took.count() << " ms";
        // The step that waited and for how long (ca_client.cpp: "STEP: timed out after 1 s").
        EXPECT_NE(f.last_error("server2").find("timed out after 1 s"), std::string::npos) << f.explain();
        EXPECT_EQ(f.detail().value("state", ""), "Impaired") << f.explain();
        EXPECT_EQ(f.detail().value("source_of_truth", ""), "server1") << f.explain();

        // No pile-up: each timed-out request gives its socket back. Watch 6 poll intervals.
        std::size_t most = 0;
        const auto watch_until = std::chrono::steady_clock::now() + 6 * kPoll;
        while (std::chrono::steady_clock::now() < watch_until) {
            most = std::max(most, open_fds(controller));
            std::this_thread::sleep_for(50ms);  // sampling period, not synchronisation
        }
        EXPECT_LE(most, baseline + 4) << what << ": open descriptors " << most << " (baseline " << baseline << ")";
        EXPECT_EQ(f.condition("server2"), "unreachable") << f.explain();
        std::fprintf(stderr, "[fault] kea %s %s: unreachable after %lld ms; fds baseline %zu, most %zu while hung\n",
                     f.lab->options().kea_version.c_str(), what.c_str(), static_cast<long long>(took.count()),
                     baseline, most);

        hung.resume();
        ASSERT_TRUE(f.wait_state("OK", "server1", 40s)) << what << " after SIGCONT\n" << f.explain();
        EXPECT_EQ(f.condition("server2"), "active") << f.explain();
    }
    EXPECT_LE(open_fds(controller), baseline + 4);
}

// ---------------------------------------------------------------------------------------------
// (b) An unusable state file at start: set aside with a log line naming it and why.

struct BadStateFile {
    const char* name;
    std::string (*make)(const std::string& good);
    const char* reason;  ///< words of the log line's problem
};

const BadStateFile kBadStateFiles[] = {
    {"corrupt", [](const std::string&) { return std::string("\x7f" "ELF\x01\x02\x00garbage\xff\xfe", 16); },
     "not valid JSON"},
    {"truncated", [](const std::string& good) { return good.substr(0, good.size() / 2); }, "not valid JSON"},
    {"future format",
     [](const std::string& good) {
         auto doc = nlohmann::json::parse(good);
         doc["version"] = 2;
         doc["registration"] = {{"endpoints", {{"primary", doc["registration"]["url"]}}}};
         return doc.dump(2);
     },
     "format version 2 is newer than this controller reads (1)"},
    {"wrong types",
     [](const std::string& good) {
         auto doc = nlohmann::json::parse(good);
         doc["replication"]["generation"] = "seven";
         return doc.dump(2);
     },
     "replication generation is not a generation number"},
};

TEST_P(FaultMatrixE2E, UnusableStateFileOfARegisteredClusterIsSetAsideAndRegisteringAgainWorks) {
    Fixture f(GetParam());
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.up()) << f.explain();
    ASSERT_EQ(f.controller->stop(), 0);
    const std::string file = f.cluster_file();
    const std::string good = read_file(file);
    ASSERT_FALSE(good.empty()) << file;
    ASSERT_TRUE(nlohmann::json::parse(good, nullptr, false).is_object()) << good;

    std::vector<std::string> written;
    for (const auto& bad : kBadStateFiles) {
        SCOPED_TRACE(std::string("state file ") + bad.name);
        written.push_back(bad.make(good));
        write_file(file, written.back());
        const std::size_t log_before = f.controller->log().size();
        ASSERT_TRUE(f.controller->start()) << f.controller->log();  // the daemon starts

        const std::string log = f.controller->log().substr(log_before);
        const auto line_at = log.find("state file set aside file=" + file);
        ASSERT_NE(line_at, std::string::npos) << log;
        const std::string line = log.substr(line_at, log.find('\n', line_at) - line_at);
        EXPECT_NE(line.find(bad.reason), std::string::npos) << line;
        EXPECT_NE(line.find("set aside as " + file + ".corrupt-"), std::string::npos) << line;
        EXPECT_FALSE(fs::exists(file)) << "not set aside";
        // Nothing lost: every file set aside so far is kept with the bytes it had.
        const auto aside = set_aside(file);
        ASSERT_EQ(aside.size(), written.size()) << "an earlier file set aside was overwritten";
        std::vector<std::string> kept;
        for (const auto& path : aside) kept.push_back(read_file(path.string()));
        for (const auto& text : written) {
            EXPECT_NE(std::find(kept.begin(), kept.end(), text), kept.end()) << "lost: " << text.substr(0, 80);
        }

        // A registered cluster's registration was in the file: gone, and the name is free again.
        auto missing = f.controller->request("GET", "/v1/clusters/pair");
        ASSERT_TRUE(missing);
        EXPECT_EQ(missing->status, 404u) << missing->body;
        auto added = f.add("pair", "server1", f.lab->options().service);
        ASSERT_TRUE(added);
        ASSERT_EQ(added->status, 201u) << added->body;
        ASSERT_TRUE(f.wait_state("OK", "server1", 20s)) << f.explain();
        ASSERT_EQ(f.controller->stop(), 0);
        ASSERT_TRUE(fs::exists(file));
    }
}

TEST_P(FaultMatrixE2E, UnusableStateFileOfADeclaredClusterIsSetAsideAndTheClusterRediscovered) {
    Fixture f(GetParam());
    ASSERT_TRUE(f.lab);
    // The cluster declared in preferences.cfg (SPEC §2), so the state file is not its only record.
    auto settings = f.controller->settings();
    settings.erase("apiListen");
    f.controller = std::make_unique<ControllerProcess>(
        f.directory, settings,
        "  <keaServer name=\"pair\" url=\"" + f.lab->peer("server1").url + "\" service=\"" +
            f.lab->options().service + "\"/>\n");
    ASSERT_TRUE(f.controller->start()) << f.controller->log();
    ASSERT_TRUE(f.wait_state("OK", "server1", 20s)) << f.explain();
    // A declared cluster cannot be removed through the API; the answer says a restart is needed
    // (SIGHUP keeps the keaServer declarations).
    auto removed = f.controller->request("DELETE", "/v1/clusters/pair");
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->status, 409u) << removed->body;
    EXPECT_NE(removed->body.find("\"declared\""), std::string::npos) << removed->body;
    EXPECT_NE(removed->body.find("restart the controller"), std::string::npos) << removed->body;
    ASSERT_EQ(f.controller->stop(), 0);
    const std::string file = f.cluster_file();
    const std::string good = read_file(file);
    ASSERT_FALSE(good.empty()) << file;

    for (const auto& bad : kBadStateFiles) {
        SCOPED_TRACE(std::string("state file ") + bad.name);
        write_file(file, bad.make(good));
        const std::size_t log_before = f.controller->log().size();
        ASSERT_TRUE(f.controller->start()) << f.controller->log();
        const std::string log = f.controller->log().substr(log_before);
        const auto line_at = log.find("state file set aside file=" + file);
        ASSERT_NE(line_at, std::string::npos) << log;
        EXPECT_NE(log.find(bad.reason, line_at), std::string::npos) << log.substr(line_at, 400);
        // Rediscovered from its primary, as at a first start.
        ASSERT_TRUE(f.wait_state("OK", "server1", 20s)) << f.explain();
        EXPECT_EQ(f.detail().value("declared", false), true) << f.explain();
        ASSERT_EQ(f.controller->stop(), 0);
        // Written again from what was rediscovered, in the format this controller reads.
        const auto rewritten = nlohmann::json::parse(read_file(file), nullptr, false);
        ASSERT_TRUE(rewritten.is_object()) << read_file(file);
        EXPECT_EQ(rewritten.value("version", 0), 1);
    }
    EXPECT_EQ(set_aside(file).size(), std::size(kBadStateFiles));
}

// ---------------------------------------------------------------------------------------------
// (c) The CAs' password rotated under a running controller.

/// The lab's password rotated: its password file (which every CA and HA peer reads, as
/// `password-file` / `basic-auth-password-file`) gets `password`; then each peer's HA hook
/// reads it again (a config-set of its own config, through its CA on the old password: Kea
/// 2.2's HA peers talk through each other's CA), and each CA is restarted to read it. On the
/// direct transport (3.2) each daemon is restarted instead.
::testing::AssertionResult rotate_lab_password(kea_ha::lab::KeaLab& lab, const std::string& password) {
    write_file(lab.password_file(), password);
    // Each peer's DHCP daemon (`dhcp`) or CA stopped and started again.
    const auto restart_each = [&lab](bool dhcp) -> ::testing::AssertionResult {
        for (const auto& p : lab.peers()) {
            if (auto stopped = dhcp ? lab.stop_dhcp(p.name) : lab.stop_agent(p.name); !stopped)
                return ::testing::AssertionFailure() << stopped.error().describe();
            if (auto started = dhcp ? lab.start_dhcp(p.name) : lab.start_agent(p.name); !started)
                return ::testing::AssertionFailure() << started.error().describe();
        }
        return ::testing::AssertionSuccess();
    };
    // No CA (3.2): each daemon's own socket and HA peers read the file when it starts.
    if (lab.options().transport == kea_ha::lab::LabTransport::Direct) return restart_each(true);
    const std::string key = lab.options().service == "dhcp4" ? "Dhcp4" : "Dhcp6";
    for (const auto& p : lab.peers()) {
        auto read = lab.command(p.name, "config-get");
        if (!read || (*read).value("result", -1) != 0) return ::testing::AssertionFailure() << p.name << ": config-get";
        auto set = lab.command(p.name, "config-set", {{key, (*read)["arguments"][key]}});
        if (!set || (*set).value("result", -1) != 0) {
            return ::testing::AssertionFailure() << p.name << ": config-set " << (set ? set->dump() : set.error().describe());
        }
    }
    return restart_each(false);
}

TEST_P(FaultMatrixE2E, RotatedAgentPasswordIsAClearReasonAndSighupWithTheNewPasswordRecovers) {
    LabOptions options;
    options.auth_user = "kea-ha";
    options.auth_password = "before-rotation";
    auto settings = kFastPolling;
    settings["keaAuthUser"] = "kea-ha";
    Fixture f(GetParam(), options, settings);
    ASSERT_TRUE(f.lab);
    const std::string password_file = f.directory + "/kea-password";
    write_file(password_file, "before-rotation\n");
    // A private secret file (issue 32: one others may read is refused at start).
    std::filesystem::permissions(password_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    f.controller->settings()["keaAuthPasswordFile"] = password_file;
    ASSERT_TRUE(f.up()) << f.explain();

    ASSERT_TRUE(rotate_lab_password(*f.lab, "after-rotation"));

    // Issue 11: whose credentials and where, not only "401".
    for (const auto& p : f.lab->peers()) {
        const std::string expected = "Kea refused the credentials for kea-ha at " + p.url;
        EXPECT_TRUE(wait_until([&] { return f.condition(p.name) == "unreachable" &&
                                            f.last_error(p.name).find(expected) != std::string::npos; },
                               10s))
            << p.name << " expected \"" << expected << "\"\n" << f.explain();
    }
    EXPECT_NE(f.detail().value("state", ""), "OK") << f.explain();
    EXPECT_EQ(f.controller->log().find("after-rotation"), std::string::npos) << "a password in the log";

    write_file(password_file, "after-rotation\n");
    ASSERT_EQ(::kill(f.controller->pid(), SIGHUP), 0);
    ASSERT_TRUE(f.wait_state("OK", "server1", 40s)) << f.explain();
    for (const auto& p : f.lab->peers()) EXPECT_EQ(f.condition(p.name), "active") << f.explain();
}

// ---------------------------------------------------------------------------------------------
// (d) The state directory full or read-only: a change whose generation cannot be recorded is refused.

/// A small tmpfs on `directory`, unmounted (lazily) on scope exit.
class TmpfsMount {
public:
    TmpfsMount(const std::string& directory, const std::string& size) : directory_(directory) {
        fs::create_directories(directory_);
        const std::string data = "size=" + size + ",mode=0750";
        mounted_ = ::mount("tmpfs", directory_.c_str(), "tmpfs", 0, data.c_str()) == 0;
    }
    ~TmpfsMount() {
        if (mounted_) ::umount2(directory_.c_str(), MNT_DETACH);
    }
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;
    bool mounted() const { return mounted_; }
    /// Remounts it read-only (or back read-write); root writes fail with EROFS.
    bool set_read_only(bool read_only) {
        const unsigned long flags = read_only ? MS_REMOUNT | MS_RDONLY : MS_REMOUNT;
        return mounted_ && ::mount("tmpfs", directory_.c_str(), "tmpfs", flags, nullptr) == 0;
    }

private:
    std::string directory_;
    bool mounted_ = false;
};

/// Writes `path` until the file system is full; the bytes written.
std::size_t fill(const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    const std::string block(4096, 'x');
    std::size_t written = 0;
    while (out.write(block.data(), block.size()) && out.flush()) written += block.size();
    return written;
}

TEST_P(FaultMatrixE2E, FullOrReadOnlyStateDirectoryRefusesChangesBeforeWritingToKeaAndRecovers) {
    // SPEC §10: the new generation is recorded before any config-set; a change whose record
    // cannot be written is refused (503 state-not-recorded) with nothing sent to Kea.
    Fixture f(GetParam());
    ASSERT_TRUE(f.lab);
    const std::string state = f.controller->settings().at("stateDirectory");
    TmpfsMount tmpfs(state, "256k");  // destroyed before the fixture removes the directory
    ASSERT_TRUE(tmpfs.mounted()) << "mount tmpfs on " << state << ": " << std::strerror(errno);
    ASSERT_TRUE(f.up()) << f.explain();

    const std::string key = f.lab->options().service == "dhcp4" ? "Dhcp4" : "Dhcp6";
    const std::string filler = state + "/filler";
    auto patch = [&](int lifetime) {
        const nlohmann::json change = {{key, {{"valid-lifetime", lifetime}}}};
        return f.controller->request("PATCH", "/v1/clusters/pair/config", change.dump(),
                                     {{"Content-Type", "application/merge-patch+json"}});
    };
    struct Fault {
        const char* name;
        std::function<bool()> make;
        std::function<bool()> clear;
    };
    const Fault faults[] = {
        {"full", [&] { return fill(filler) > 0; }, [&] { return fs::remove(filler); }},
        {"read-only", [&] { return tmpfs.set_read_only(true); }, [&] { return tmpfs.set_read_only(false); }},
    };
    for (const auto& fault : faults) {
        SCOPED_TRACE(std::string("state directory ") + fault.name);
        const auto lifetime_before = f.kea_config("server1", key).value("valid-lifetime", 0);
        const std::size_t log_before = f.controller->log().size();
        ASSERT_TRUE(fault.make());

        auto refused = patch(lifetime_before + 17);
        ASSERT_TRUE(refused);
        EXPECT_EQ(refused->status, 503u) << refused->body;
        EXPECT_NE(refused->body.find("state-not-recorded"), std::string::npos) << refused->body;
        for (const auto& p : f.lab->peers()) {
            EXPECT_EQ(f.kea_config(p.name, key).value("valid-lifetime", 0), lifetime_before) << p.name << " written";
        }
        // Monitoring goes on, and the daemon says why.
        EXPECT_EQ(f.detail().value("state", ""), "OK") << f.explain();
        auto health = f.controller->get_json("/v1/health");
        ASSERT_TRUE(health);
        EXPECT_EQ(health->value("status", ""), "degraded") << health->dump();
        EXPECT_NE(health->dump().find(state), std::string::npos) << health->dump();
        EXPECT_NE(f.controller->log().find("cannot save cluster state cluster=pair", log_before), std::string::npos);

        // The directory usable again: the same change goes through.
        ASSERT_TRUE(fault.clear());
        auto accepted = patch(lifetime_before + 17);
        ASSERT_TRUE(accepted);
        EXPECT_EQ(accepted->status, 200u) << accepted->body;
        for (const auto& p : f.lab->peers()) {
            EXPECT_EQ(f.kea_config(p.name, key).value("valid-lifetime", 0), lifetime_before + 17) << p.name;
        }
        auto healthy = f.controller->get_json("/v1/health");
        ASSERT_TRUE(healthy);
        EXPECT_EQ(healthy->value("status", ""), "ok") << healthy->dump();
    }
}

// ---------------------------------------------------------------------------------------------
// (f) A CA's certificate replaced by one the controller does not trust: unreachable with the
// TLS reason, never a fallback to plain HTTP; the trusted certificate back: OK.

TEST_P(FaultMatrixE2E, UntrustedAgentCertificateIsUnreachableWithTheTlsReasonNeverPlainHttp) {
    // On 3.2 (no CA) the daemons' own sockets serve HTTPS, and a certificate change restarts them.
    LabOptions options;
    options.tls = true;
    Fixture f(GetParam(), options);
    ASSERT_TRUE(f.lab);
    f.controller->settings()["keaTlsCaFile"] = f.lab->tls_ca_file();
    ASSERT_TRUE(f.controller->start()) << f.explain();
    // SPEC §2: with a dedicated HA listener (2.4+) the control URL takes the HA url's scheme
    // (http); these CAs speak HTTPS only, so the standby's is given at registration.
    nlohmann::json body = {{"name", "pair"}, {"url", f.lab->peer("server1").url}, {"service", GetParam()}};
    if (f.lab->peer("server2").ha_url != f.lab->peer("server2").url)
        body["control_urls"] = {{"server2", f.lab->peer("server2").url}};
    auto added = f.controller->request("POST", "/v1/clusters", body.dump(), {{"Content-Type", "application/json"}});
    ASSERT_TRUE(added);
    ASSERT_EQ(added->status, 201u) << added->body;
    ASSERT_TRUE(f.wait_state("OK", std::string("server1"), 30s)) << f.explain();
    EXPECT_EQ(f.peer("server2").value("control_url", "").rfind("https://", 0), 0u) << f.peer("server2").dump();

    ASSERT_TRUE(f.lab->set_certificate("server2", false));
    EXPECT_TRUE(wait_until([&] { return f.condition("server2") == "unreachable"; }, 15s)) << f.explain();
    const std::string reason = f.last_error("server2");
    EXPECT_NE(reason.find("certificate verify failed"), std::string::npos) << reason;
    EXPECT_EQ(f.peer("server2").value("control_url", "").rfind("https://", 0), 0u) << "never downgraded to http";
    EXPECT_EQ(f.detail().value("state", ""), "Impaired") << f.explain();

    ASSERT_TRUE(f.lab->set_certificate("server2", true));
    EXPECT_TRUE(f.wait_state("OK", std::string("server1"), 30s)) << f.explain();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// (g) The controller SIGKILLed at each phase of a change (pair + backup): after the restart
// every peer converges to the newest accepted change, and nothing half-done is left.

TEST_P(FaultMatrixE2E, ControllerKilledAtEachPhaseOfAChangeConvergesOnRestart) {
    LabOptions options;
    options.with_backup = true;
    Fixture f(GetParam(), options);
    ASSERT_TRUE(f.lab);
    const std::string key = f.lab->options().service == "dhcp4" ? "Dhcp4" : "Dhcp6";
    const auto lifetime_of = [&](const std::string& peer) { return f.kea_config(peer, key).value("valid-lifetime", 0); };
    struct Phase {
        const char* name;
        std::vector<std::pair<const char*, const char*>> hooks;  // test hooks in the controller's environment
        const char* reached_peer;  // the phase is reached when this peer has the new value (none: the log line)
        bool accepted;             // the change counts as made (it reached the source of truth)
    };
    const Phase phases[] = {
        {"after config-test", {{"KEA_HA_TEST_PAUSE_AFTER_TEST_MS", "60000"}}, nullptr, false},
        {"after the source of truth's config-set", {{"KEA_HA_TEST_PAUSE_AFTER_SOT_WRITE_MS", "60000"}}, "server1", true},
        {"after one target's config-set",
         {{"KEA_HA_TEST_PAUSE_AFTER_SOT_WRITE_MS", "60000"}, {"KEA_HA_TEST_HOLD_WRITE_TO", "server3"}},
         "server2",
         true},
    };
    int newest = lifetime_of("server1");
    int lifetime = newest;
    for (const auto& phase : phases) {
        SCOPED_TRACE(phase.name);
        for (const auto& [name, value] : phase.hooks) ::setenv(name, value, 1);
        const bool up = f.controller->start().ok();
        for (const auto& [name, value] : phase.hooks) ::unsetenv(name);
        ASSERT_TRUE(up) << f.controller->log();
        if (&phase == &phases[0]) {  // registered once: the state file keeps it across the kills
            auto added = f.add("pair", "server1");
            ASSERT_TRUE(added);
            ASSERT_EQ(added->status, 201u) << added->body;
        }
        ASSERT_TRUE(f.wait_state("OK", std::string("server1"), 30s)) << f.explain();

        const int value = ++lifetime + 100;
        lifetime = value;
        const std::size_t log_before = f.controller->log().size();
        std::thread client([&] {
            const nlohmann::json change = {{key, {{"valid-lifetime", value}}}};
            (void)f.controller->request("PATCH", "/v1/clusters/pair/config", change.dump(),
                                        {{"Content-Type", "application/merge-patch+json"}});
        });
        const bool reached = wait_until(
            [&] {
                if (phase.reached_peer) return lifetime_of(phase.reached_peer) == value;
                return f.controller->log().find("test hook: paused after config-test", log_before) != std::string::npos;
            },
            20s, 100ms);
        f.controller->kill9();
        client.join();
        ASSERT_TRUE(reached) << f.explain();
        if (phase.accepted) newest = value;
        if (!phase.accepted) {
            for (const auto& p : f.lab->peers()) EXPECT_EQ(lifetime_of(p.name), newest) << p.name << ": written before the kill";
        } else {
            EXPECT_NE(lifetime_of("server3"), value) << "the backup must not have it before the restart";
        }

        // Restarted without hooks: every peer converges to the newest accepted change.
        ASSERT_TRUE(f.controller->start()) << f.controller->log();
        EXPECT_TRUE(wait_until(
            [&] {
                for (const auto& p : f.lab->peers())
                    if (lifetime_of(p.name) != newest) return false;
                return true;
            },
            40s, 200ms))
            << "server1 " << lifetime_of("server1") << ", server2 " << lifetime_of("server2") << ", server3 "
            << lifetime_of("server3") << ", newest " << newest << "\n" << f.explain();
        EXPECT_TRUE(f.wait_state("OK", std::string("server1"), 30s)) << f.explain();
        f.controller->kill9();  // the next phase starts it with its own hooks
    }
}

INSTANTIATE_TEST_SUITE_P(Service, FaultMatrixE2E, ::testing::Values("dhcp4", "dhcp6"), kea_ha::testing::service_name);
