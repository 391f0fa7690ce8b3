// End-to-end: the real kea-ha-ctl binary against the real controller on a real Kea pair
// (SPEC §7, docs/cli.md): every command, its output and its exit status.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::lab::wait_until;
using kea_ha::testing::built_binary;
using kea_ha::testing::make_temp_directory;

struct CtlRun {
    int status = -1;  ///< exit status; -1 when killed or not started
    std::string out;
    std::string err;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Runs kea-ha-ctl with `args`, stdout and stderr captured; killed (by PID) after `timeout`.
CtlRun run_ctl(const std::string& directory, const std::vector<std::string>& args,
            std::chrono::milliseconds timeout = 60s, std::promise<std::string>* out_file = nullptr) {
    static std::atomic<int> counter = 0;
    const std::string base = directory + "/ctl-" + std::to_string(++counter);
    const std::string out_path = base + ".out";
    if (out_file) out_file->set_value(out_path);  // a test that reads the output while it runs
    const std::string err_path = base + ".err";
    const std::string binary = built_binary("kea-ha-ctl");
    std::vector<std::string> argv_text{binary};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    CtlRun run;
    const pid_t pid = ::fork();
    if (pid < 0) return run;
    if (pid == 0) {
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int in = ::open("/dev/null", O_RDONLY);
        if (out < 0 || err < 0 || in < 0) ::_exit(126);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        ::unsetenv("KEA_HA_API");
        ::execv(binary.c_str(), argv.data());
        ::_exit(127);
    }
    int status = 0;
    pid_t done = 0;
    wait_until([&] { return (done = ::waitpid(pid, &status, WNOHANG)) == pid; }, timeout, 10ms);
    if (done != pid) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        run.err = "kea-ha-ctl did not finish in time\n";
    }
    if (WIFEXITED(status)) run.status = WEXITSTATUS(status);
    run.out = slurp(out_path);
    run.err += slurp(err_path);
    return run;
}

std::string show(const CtlRun& r) { return "exit " + std::to_string(r.status) + "\n--- stdout ---\n" + r.out + "--- stderr ---\n" + r.err; }

/// The table row (a line) that starts with `first` (the PEER or NAME column).
std::string row_of(const std::string& text, const std::string& first) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(first + " ", 0) == 0) return line;
    }
    return {};
}

std::vector<std::string> words_of(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

/// The cell of the table row starting with `first` under the header word `column` (the
/// header row starts with "NAME"); empty when either is missing. By name, not by place, so
/// a column added to the table (KEA) moves nothing the tests read.
std::string cell_of(const std::string& text, const std::string& first, const std::string& column) {
    const auto header = words_of(row_of(text, "NAME"));
    const auto row = words_of(row_of(text, first));
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] == column) return i < row.size() ? row[i] : std::string();
    }
    return {};
}

/// The lab and the controller (support/lab_controller.hpp), plus kea-ha-ctl runs against it.
struct Fixture : kea_ha::testing::LabController {
    std::string api;

    Fixture()
        : LabController("kea-ha-cli", {{"keaPollInterval", "0.5"}, {"keaRequestTimeout", "1"}, {"keaConfigTimeout", "10"}}),
          api("http://127.0.0.1:" + std::to_string(controller->port())) {}

    CtlRun ctl(std::vector<std::string> args) {
        args.insert(args.begin(), {"--api", api});
        return run_ctl(directory, args);
    }

    std::string write(const std::string& name, const std::string& text) {
        const std::string path = directory + "/" + name;
        std::ofstream(path) << text;
        return path;
    }

    /// Re-runs `status` until the cluster's line shows `state` (SoT `sot`), with a deadline.
    bool wait_status(const std::string& name, const std::string& state, const std::string& sot, CtlRun& last,
                     std::chrono::milliseconds timeout = 30s) {
        return wait_until(
            [&] {
                last = ctl({"status"});
                const auto cells = words_of(row_of(last.out, name));
                return last.status == 0 && cells.size() >= 4 && cells[1] == state && cells[3] == sot;
            },
            timeout, 250ms);
    }
};

TEST(CliE2E, EveryCommandAgainstARealPair) {
    Fixture f;
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start()) << f.explain();

    // add: the primary of the pair.
    auto added = f.ctl({"add", "pair", f.lab->peer("server1").url});
    ASSERT_EQ(added.status, 0) << show(added) << f.explain();
    EXPECT_NE(added.out.find("registered pair"), std::string::npos) << show(added);

    // status: one line per cluster, OK once both peers are polled.
    CtlRun status;
    ASSERT_TRUE(f.wait_status("pair", "OK", "server1", status)) << show(status) << f.explain();
    EXPECT_NE(status.out.find("NAME"), std::string::npos) << show(status);

    // status NAME: the detail with both peers.
    auto detail = f.ctl({"status", "pair"});
    ASSERT_EQ(detail.status, 0) << show(detail);
    EXPECT_NE(detail.out.find("Source of truth:  server1"), std::string::npos) << show(detail);
    EXPECT_EQ(cell_of(detail.out, "server1", "ROLE"), "primary") << show(detail);
    EXPECT_EQ(cell_of(detail.out, "server1", "CONDITION"), "active") << show(detail);
    EXPECT_EQ(cell_of(detail.out, "server2", "CONDITION"), "active") << show(detail);
    EXPECT_EQ(cell_of(detail.out, "server1", "REASON"), "HA") << show(detail);  // "HA state 'hot-standby'", first word

    // check: the monitoring-plugin line, exit 0 while OK.
    auto healthy = f.ctl({"check", "pair"});
    EXPECT_EQ(healthy.status, 0) << show(healthy);
    EXPECT_EQ(healthy.out.rfind("KEA-HA OK - pair OK", 0), 0u) << show(healthy);
    EXPECT_NE(healthy.out.find("| peers=2 active=2"), std::string::npos) << show(healthy);

    // --json status parses and names the cluster.
    auto json_status = f.ctl({"--json", "status"});
    ASSERT_EQ(json_status.status, 0) << show(json_status);
    auto list = nlohmann::json::parse(json_status.out, nullptr, false);
    ASSERT_TRUE(list.is_array()) << show(json_status);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["name"], "pair");
    EXPECT_EQ(list[0]["state"], "OK");

    // config get: the document on stdout, its ETag on stderr.
    auto got = f.ctl({"config", "get", "pair"});
    ASSERT_EQ(got.status, 0) << show(got);
    auto document = nlohmann::json::parse(got.out, nullptr, false);
    ASSERT_TRUE(document.is_object()) << show(got);
    ASSERT_TRUE(document.contains("Dhcp4")) << show(got);
    EXPECT_TRUE(document["Dhcp4"].is_object());
    ASSERT_EQ(got.err.rfind("ETag: \"", 0), 0u) << show(got);
    const std::string etag = got.err.substr(6, got.err.find('\n') - 6);

    // config patch (merge patch, conditional on that ETag): both peers applied.
    const auto patch_file = f.write("lifetime.json", R"({"Dhcp4": {"valid-lifetime": 6001}})");
    auto patched = f.ctl({"config", "patch", "pair", patch_file, "--if-match", etag});
    ASSERT_EQ(patched.status, 0) << show(patched) << f.explain();
    for (const std::string peer : {"server1", "server2"}) {
        const auto cells = words_of(row_of(patched.out, peer));
        ASSERT_GE(cells.size(), 3u) << peer << "\n" << show(patched);
        EXPECT_EQ(cells[1], "applied") << show(patched);
        EXPECT_EQ(cells[2], "yes") << show(patched);
    }
    EXPECT_NE(patched.out.find("PEER"), std::string::npos) << show(patched);
    EXPECT_NE(patched.out.find("generation 1, source of truth server1"), std::string::npos) << show(patched);
    EXPECT_EQ(f.kea_config("server2")["valid-lifetime"], 6001);
    EXPECT_EQ(f.kea_config("server1")["valid-lifetime"], 6001);

    // The same ETag again is stale now: 412, exit 1, and the current ETag on stderr.
    auto stale = f.ctl({"config", "patch", "pair", patch_file, "--if-match", etag});
    EXPECT_EQ(stale.status, 1) << show(stale);
    EXPECT_NE(stale.err.find("HTTP 412"), std::string::npos) << show(stale);
    EXPECT_NE(stale.err.find("ETag: \""), std::string::npos) << show(stale);

    // A JSON Patch (array) goes as application/json-patch+json; --json prints the raw answer.
    const auto json_patch_file =
        f.write("ops.json", R"([{"op": "replace", "path": "/Dhcp4/valid-lifetime", "value": 6002}])");
    auto json_patched = f.ctl({"--json", "config", "patch", "pair", json_patch_file});
    ASSERT_EQ(json_patched.status, 0) << show(json_patched) << f.explain();
    auto raw = nlohmann::json::parse(json_patched.out, nullptr, false);
    ASSERT_TRUE(raw.is_object()) << show(json_patched);
    EXPECT_EQ(raw["generation"], 2) << show(json_patched);
    EXPECT_EQ(raw["source_of_truth"], "server1");
    ASSERT_TRUE(raw["peers"].is_array());
    EXPECT_EQ(f.kea_config("server2")["valid-lifetime"], 6002);

    // config set: the document read back from config get, re-sent whole.
    got = f.ctl({"config", "get", "pair"});
    ASSERT_EQ(got.status, 0) << show(got);
    document = nlohmann::json::parse(got.out, nullptr, false);
    ASSERT_TRUE(document.is_object()) << show(got);
    document["Dhcp4"]["valid-lifetime"] = 6003;
    auto set = f.ctl({"config", "set", "pair", f.write("whole.json", document.dump(2))});
    ASSERT_EQ(set.status, 0) << show(set) << f.explain();
    EXPECT_EQ(f.kea_config("server2")["valid-lifetime"], 6003);

    // config sync (issue 31 point 4's spelling): nothing to do, every peer in sync already.
    auto synced = f.ctl({"config", "sync", "pair"});
    EXPECT_EQ(synced.status, 0) << show(synced) << f.explain();
    EXPECT_NE(synced.out.find("source of truth server1"), std::string::npos) << show(synced);
    const auto sync_row = words_of(row_of(synced.out, "server2"));
    ASSERT_GE(sync_row.size(), 2u) << show(synced);
    EXPECT_TRUE(sync_row[1] == "unchanged" || sync_row[1] == "applied") << show(synced);

    // Not JSON: a usage error before anything is sent.
    auto not_json = f.ctl({"config", "patch", "pair", f.write("broken.json", "{ nope")});
    EXPECT_EQ(not_json.status, 2) << show(not_json);
    // Kea refuses the config: exit 1 with Kea's text.
    auto rejected = f.ctl({"config", "patch", "pair",
                           f.write("bad.json", R"({"Dhcp4": {"subnet4": [{"id": 9, "subnet": "nope"}]}})")});
    EXPECT_EQ(rejected.status, 1) << show(rejected);
    EXPECT_NE(rejected.err.find("HTTP 422"), std::string::npos) << show(rejected);
    EXPECT_NE(rejected.err.find("nope"), std::string::npos) << show(rejected);

    // events: the transitions seen so far, and the config changes.
    auto events = f.ctl({"events", "pair"});
    ASSERT_EQ(events.status, 0) << show(events);
    EXPECT_NE(events.out.find("WHEN"), std::string::npos) << show(events);
    EXPECT_NE(events.out.find("OK"), std::string::npos) << show(events);
    EXPECT_NE(events.out.find("active"), std::string::npos) << show(events);
    EXPECT_NE(events.out.find("applied on server1"), std::string::npos) << show(events);

    // A change while the standby is away: answered 200, but server2 is pending: exit 4.
    ASSERT_TRUE(f.lab->stop_dhcp("server2"));
    ASSERT_TRUE(f.wait_status("pair", "Impaired", "server1", status)) << show(status) << f.explain();
    auto impaired = f.ctl({"check", "pair"});
    EXPECT_EQ(impaired.status, 1) << show(impaired);
    EXPECT_EQ(impaired.out.rfind("KEA-HA WARNING - pair Impaired", 0), 0u) << show(impaired);
    auto every = f.ctl({"check"});
    EXPECT_EQ(every.status, 1) << show(every);
    EXPECT_NE(every.out.find("clusters=1 ok=0 impaired=1"), std::string::npos) << show(every);
    auto partial = f.ctl({"config", "patch", "pair", f.write("partial.json", R"({"Dhcp4": {"valid-lifetime": 6004}})")});
    EXPECT_EQ(partial.status, 4) << show(partial) << f.explain();
    const auto pending = words_of(row_of(partial.out, "server2"));
    ASSERT_GE(pending.size(), 2u) << show(partial);
    EXPECT_EQ(pending[1], "pending") << show(partial);
    EXPECT_EQ(words_of(row_of(partial.out, "server1")).at(1), "applied") << show(partial);

    // events --follow: a long poll shows a change made while it runs (it ends when killed).
    {
        std::promise<std::string> out_path;
        auto out_future = out_path.get_future();
        CtlRun followed;
        std::thread follower([&] { followed = run_ctl(f.directory, {"--api", f.api, "events", "pair", "--follow"}, 8s, &out_path); });
        const auto out_file = out_future.get();
        const auto text = [&] {
            std::ifstream in(out_file);
            return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        };
        // The past events are printed first (the table), then it waits.
        EXPECT_TRUE(wait_until([&] { return text().find("WHEN") != std::string::npos; }, 5s, 50ms)) << text();
        auto live = f.ctl({"config", "patch", "pair", f.write("live.json", R"({"Dhcp4": {"valid-lifetime": 6006}})")});
        EXPECT_EQ(live.status, 4) << show(live);  // server2 is still away: pending
        EXPECT_TRUE(wait_until([&] { return text().find("config-change") != std::string::npos; }, 6s, 50ms)) << text();
        follower.join();
        EXPECT_NE(followed.out.find("change through the API by anonymous"), std::string::npos) << show(followed);
    }

    // remove, twice.
    auto removed = f.ctl({"remove", "pair"});
    EXPECT_EQ(removed.status, 0) << show(removed);
    EXPECT_NE(removed.out.find("removed pair"), std::string::npos) << show(removed);
    auto again = f.ctl({"remove", "pair"});
    EXPECT_EQ(again.status, 1) << show(again);
    EXPECT_NE(again.err.find("no cluster named 'pair'"), std::string::npos) << show(again);
    EXPECT_NE(again.err.find("HTTP 404"), std::string::npos) << show(again);
    auto empty = f.ctl({"--json", "status"});
    ASSERT_EQ(empty.status, 0) << show(empty);
    EXPECT_EQ(nlohmann::json::parse(empty.out, nullptr, false), nlohmann::json::array()) << show(empty);
}

TEST(CliE2E, ExitStatusForUsageAndUnreachableController) {
    const std::string directory = make_temp_directory("kea-ha-cli");
    const auto port = kea_ha::testing::free_port();  // nothing listens there
    auto unreachable = run_ctl(directory, {"--api", "http://127.0.0.1:" + std::to_string(port), "status"});
    EXPECT_EQ(unreachable.status, 3) << show(unreachable);
    EXPECT_NE(unreachable.err.find("cannot reach the controller"), std::string::npos) << show(unreachable);
    auto usage = run_ctl(directory, {"--api", "http://127.0.0.1:" + std::to_string(port), "sync"});
    EXPECT_EQ(usage.status, 2) << show(usage);
    auto stray = run_ctl(directory, {"--api", "http://127.0.0.1:" + std::to_string(port), "--if-match", "x", "status"});
    EXPECT_EQ(stray.status, 2) << show(stray);
    std::filesystem::remove_all(directory);
}

}  // namespace
