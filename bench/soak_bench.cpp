// Soak (issue 13 item 5) on a real Kea hot-standby pair plus a backup (the lab's version: 2.2,
// or 2.6 / 3.0 with KEA_HA_LAB_KEA) and the real controller binary, for --minutes N (default 10;
// CI 2):
//
//   load    3 client threads, each once in every 3 s slot (at a seeded random moment): GET
//           /v1/clusters/pair/config (ETag), then PATCH (application/merge-patch+json)
//           {"Dhcp4": {"user-context": {"soak-C-N": N, "latest-soak-change": "soak-C-N"}}} with
//           If-Match (every change also rewrites one existing key, so a stale config set over a
//           newer one shows); each answer is recorded:
//           200 accepted, 412 stale ETag, 409/503 refused, other status, or unknown (connection
//           error / timeout: may or may not be applied).
//   chaos   every 5-15 s (seeded, printed): stop a random peer's kea-dhcp4 and start it 3-8 s
//           later, the same with its CA, or SIGKILL the controller and start it again at once
//           (same state directory). One action at a time, so both main peers are never down.
//   checks  after the chaos: the cluster OK and every peer in_sync (deadline), then PASS/FAIL:
//           every change answered 200 is in every peer's own config (config-get on each peer);
//           every peer holds the same set of soak keys; no key that was never attempted; no key
//           refused with 412/409/503 applied; latest-soak-change names the newest change answered
//           200 (or one whose answer was lost); most attempts (every outcome counted, GETs not
//           answered included) were answered 200; replication.generation >= number of 200s; the
//           controller's RSS grows < 5 % and its open fds do not rise (the fewest of the last
//           quarter <= the most of the first: the keep-alive pool moves a few) between the baseline
//           (minute 2, or half the run when it is shorter than 4 minutes) and the end, on the
//           incarnation alive at both, else on the longest-lived one (said so in the output;
//           FAIL when none lived 20 s past a 10 s warm-up: a soak that measured nothing passes
//           nothing).
//   durability  then the controller stops, every Kea daemon is restarted from its config file,
//           and the checks above run again on what each peer read back from its file.
//
// Run on demand: bench/run.sh soak [--minutes N] [--seed S] [--no-controller-kill];
// docs/performance.md "Soak".
// Loopback only; every loop is bounded in count and in time, every request has a deadline.
// Exit status 1 on any FAIL (the lab and controller directories are then kept).

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "kea_ha/lab/kea_lab.hpp"
#include "support/controller_process.hpp"
#include "support/http_probe.hpp"

namespace {

using kea_ha::bench::fail;
using kea_ha::bench::load_average;
using kea_ha::bench::median;

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using nlohmann::json;
using kea_ha::lab::KeaLab;

constexpr int kClients = 3;
constexpr auto kClientPeriod = 3s;        // each client: one attempt every 3 s, so ~1 change/s in all
constexpr auto kGetTimeout = 10s;
constexpr auto kPatchTimeout = 30s;       // above keaConfigTimeout (10 s) + the controller's own steps
constexpr auto kConvergeTimeout = 180s;   // after the chaos: OK and every peer in_sync
constexpr auto kSampleEvery = 2s;         // RSS / fd samples of the controller
constexpr double kWarmUpSeconds = 10;      // a restarted incarnation is measured from 10 s into its life
constexpr double kMinWindowSeconds = 20;   // the shortest RSS / fd window worth a figure
const std::vector<std::string> kPeers = {"server1", "server2", "server3"};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// A process's resident memory in KiB from /proc/PID/status: VmRSS (what the check reads)
/// and its anonymous part, RssAnon (heap, stacks, the allocator's cached pages; the file-backed
/// rest is the binary and its libraries, paged in once). nullopt when the process is gone.
struct Resident {
    long rss_kib = 0;
    long anon_kib = 0;
};
std::optional<Resident> resident_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    Resident r;
    bool rss = false, anon = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmRSS:", 0) == 0) {
            r.rss_kib = std::atol(line.c_str() + 6);
            rss = true;
        } else if (line.rfind("RssAnon:", 0) == 0) {
            r.anon_kib = std::atol(line.c_str() + 8);
            anon = true;
        }
    }
    if (!rss || !anon) return std::nullopt;
    return r;
}

/// Number of open file descriptors of a process, nullopt when /proc/PID/fd cannot be read.
std::optional<int> open_fds(pid_t pid) {
    DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
    if (!dir) return std::nullopt;
    int count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    return count;
}

enum class Outcome { Accepted, Stale, Conflict, Down, OtherStatus, Unknown };

const char* outcome_name(Outcome o) {
    switch (o) {
        case Outcome::Accepted: return "200";
        case Outcome::Stale: return "412";
        case Outcome::Conflict: return "409";
        case Outcome::Down: return "503";
        case Outcome::OtherStatus: return "other";
        case Outcome::Unknown: return "unknown";
    }
    return "?";
}

/// One PATCH sent: its key, what came back, how long it took, the 200 answer's generation.
struct Attempt {
    std::string key;
    Outcome outcome = Outcome::Unknown;
    unsigned status = 0;
    double seconds = 0;
    double at = 0;          // seconds since the start of the load
    long generation = -1;   // from a 200 answer
    std::string detail;     // error text or body (trimmed)
};

struct Sample {
    double at = 0;  // seconds since the start of the load
    int incarnation = 0;
    long rss_kib = 0;
    long anon_kib = 0;
    int fds = 0;
};

struct Shared {
    std::atomic<bool> stop{false};
    std::atomic<pid_t> controller_pid{-1};
    std::atomic<int> incarnation{0};
    std::mutex mutex;
    std::vector<Attempt> attempts;
    std::vector<Sample> samples;
    std::map<std::string, int> get_failures;  // GET of the config not answered 200 (no PATCH sent), by answer
    std::map<int, double> incarnation_start;  // incarnation -> seconds since the start
};

/// Sleeps until `until` or the stop flag, in steps of at most 100 ms (pacing, not synchronisation).
void pace_until(const Shared& shared, Clock::time_point until) {
    while (!shared.stop && Clock::now() < until) std::this_thread::sleep_for(std::min<Clock::duration>(100ms, until - Clock::now()));
}

void client_loop(int client, unsigned seed, unsigned short port, Clock::time_point t0, Clock::time_point end,
                 Shared& shared) {
    const long max_attempts = std::chrono::duration_cast<std::chrono::seconds>(end - t0).count() / 3 + 2;
    // Each attempt at a seeded random point of its 3 s slot, so clients sometimes race on one
    // ETag (the 412 path) instead of taking turns.
    std::mt19937 random(seed + 1000u * static_cast<unsigned>(client + 1));
    std::uniform_int_distribution<int> jitter_ms(0, 2900);
    auto slot = t0;
    for (long n = 1; n <= max_attempts && !shared.stop && Clock::now() < end; ++n) {
        pace_until(shared, slot + std::chrono::milliseconds(jitter_ms(random)));
        slot += kClientPeriod;
        if (shared.stop || Clock::now() >= end) break;
        auto read = kea_ha::testing::http_request("127.0.0.1", port, "GET", "/v1/clusters/pair/config", {}, {},
                                                  kGetTimeout);
        if (!read || read->status != 200 || !read->headers.count("etag")) {
            const std::string why = !read ? std::string("error") : std::to_string(read->status);
            std::lock_guard lock(shared.mutex);
            ++shared.get_failures[why];
            continue;
        }
        Attempt attempt;
        attempt.key = "soak-" + std::to_string(client) + "-" + std::to_string(n);
        const json patch = {{"Dhcp4", {{"user-context", {{attempt.key, n}, {"latest-soak-change", attempt.key}}}}}};
        const auto sent = Clock::now();
        attempt.at = std::chrono::duration<double>(sent - t0).count();
        auto reply = kea_ha::testing::http_request(
            "127.0.0.1", port, "PATCH", "/v1/clusters/pair/config", patch.dump(),
            {{"Content-Type", "application/merge-patch+json"}, {"If-Match", read->headers["etag"]}}, kPatchTimeout);
        attempt.seconds = seconds_since(sent);
        if (!reply) {
            attempt.outcome = Outcome::Unknown;
            attempt.detail = reply.error().describe();
        } else {
            attempt.status = reply->status;
            attempt.detail = reply->body.substr(0, 400);
            switch (reply->status) {
                case 200: attempt.outcome = Outcome::Accepted; break;
                case 412: attempt.outcome = Outcome::Stale; break;
                case 409: attempt.outcome = Outcome::Conflict; break;
                case 503: attempt.outcome = Outcome::Down; break;
                default: attempt.outcome = Outcome::OtherStatus; break;
            }
            if (reply->status == 200) {
                const auto answer = json::parse(reply->body, nullptr, false);
                if (answer.is_object() && answer.contains("generation") && answer["generation"].is_number_integer())
                    attempt.generation = answer["generation"].get<long>();
            }
        }
        std::lock_guard lock(shared.mutex);
        shared.attempts.push_back(std::move(attempt));
    }
}

void sampler_loop(Clock::time_point t0, Clock::time_point end, Shared& shared) {
    const long max_samples = std::chrono::duration_cast<std::chrono::seconds>(end - t0).count() / 2 + 2;
    auto next = t0;
    for (long i = 0; i < max_samples && !shared.stop && Clock::now() < end + 1s; ++i) {
        pace_until(shared, next);
        next += kSampleEvery;
        const int incarnation = shared.incarnation;
        const pid_t pid = shared.controller_pid;
        if (pid <= 0) continue;
        const auto rss = resident_kib(pid);
        const auto fds = open_fds(pid);
        // A restart between the two reads: the sample would mix two processes.
        if (!rss || !fds || shared.incarnation != incarnation) continue;
        std::lock_guard lock(shared.mutex);
        shared.samples.push_back({seconds_since(t0), incarnation, rss->rss_kib, rss->anon_kib, *fds});
    }
}

/// What the soak wrote into a peer's own Dhcp4 user-context: its "soak-…" keys, and the
/// existing key every change rewrites.
struct PeerSoak {
    std::set<std::string> keys;
    std::string latest;  ///< latest-soak-change ("" when absent)
};

PeerSoak soak_of(const json& config_get_answer) {
    PeerSoak soak;
    const json& context = config_get_answer["arguments"]["Dhcp4"].value("user-context", json::object());
    for (const auto& [key, value] : context.items()) {
        if (key.rfind("soak-", 0) == 0) soak.keys.insert(key);
    }
    if (context.contains("latest-soak-change") && context["latest-soak-change"].is_string())
        soak.latest = context["latest-soak-change"].get<std::string>();
    return soak;
}

/// The soak's keys in a peer's own config (config-get on the peer), or an error text.
kea_ha::core::Result<PeerSoak> read_soak(const KeaLab& lab, const std::string& peer) {
    auto answer = lab.command(peer, "config-get");
    if (!answer) return answer.error();
    if (!answer->is_object() || answer->value("result", -1) != 0)
        return kea_ha::core::make_error(kea_ha::core::ErrorKind::BadAnswer, answer->dump().substr(0, 300));
    return soak_of(*answer);
}

/// Controller log lines that name `needle` (for the report of a lost change), at most `limit`.
std::string log_lines_with(const std::string& log, const std::string& needle, int limit) {
    std::istringstream in(log);
    std::string out;
    int count = 0;
    for (std::string line; std::getline(in, line) && count < limit;) {
        if (line.find(needle) != std::string::npos) {
            out += "    " + line + "\n";
            ++count;
        }
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    int minutes = 10;
    bool kill_controller = true;  // --no-controller-kill: one controller process lives the whole run
    unsigned seed = static_cast<unsigned>(std::chrono::system_clock::now().time_since_epoch().count() & 0x7fffffff);
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--minutes" && i + 1 < argc) {
            minutes = std::clamp(std::atoi(argv[++i]), 1, 180);
        } else if (arg == "--no-controller-kill") {
            kill_controller = false;
        } else if (arg == "--seed" && i + 1 < argc) {
            seed = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
        } else {
            std::fprintf(stderr, "usage: soak_bench [--minutes 1..180] [--seed S] [--no-controller-kill]\n");
            return 2;
        }
    }

    kea_ha::lab::LabOptions options;
    options.with_backup = true;
    options.keep_dir = true;  // removed at the end when every check passed
    auto started = KeaLab::start(options);
    if (!started) fail("lab did not start: " + started.error().describe());
    auto& lab = **started;

    const std::string directory = kea_ha::testing::make_temp_directory("kea-ha-soak");
    kea_ha::testing::ControllerProcess controller(directory, {{"keaPollInterval", "1"},
                                                              {"keaRequestTimeout", "2"},
                                                              {"keaConfigTimeout", "10"},
                                                              {"logLevel", "info"}});
    if (auto up = controller.start(); !up) fail("controller did not start: " + up.error().describe());
    const json registration = {{"name", "pair"}, {"url", lab.peer("server1").url}};
    auto added = controller.request("POST", "/v1/clusters", registration.dump(), {{"Content-Type", "application/json"}});
    if (!added || added->status != 201) fail("registration failed: " + (added ? added->body : added.error().describe()));
    auto cluster_ready = [&] {
        auto detail = controller.get_json("/v1/clusters/pair");
        if (!detail || detail->value("state", "") != "OK") return false;
        const auto& peers = detail->value("peers", json::array());
        if (peers.size() != kPeers.size()) return false;
        return std::all_of(peers.begin(), peers.end(),
                           [](const json& p) { return p.contains("in_sync") && p["in_sync"] == true; });
    };
    if (!kea_ha::lab::wait_until(cluster_ready, 60s, 200ms))
        fail("cluster not OK with every peer in_sync before the soak; controller log in " + directory);

    std::printf("soak: real Kea %s hot-standby pair + backup (server1 primary, server2 standby, server3 backup),"
                " %d minutes, seed %u\n",
                lab.options().kea_version.c_str(), minutes, seed);
    std::printf("controller: keaPollInterval 1 s, keaRequestTimeout 2 s, keaConfigTimeout 10 s; %d clients, one"
                " GET+PATCH (If-Match) each in every %lld s slot, at a seeded random moment; chaos every 5-15 s\n",
                kClients, static_cast<long long>(kClientPeriod.count()));
    std::printf("machine: %u CPUs, load average %.2f at start\nlab: %s\ncontroller: %s\n",
                std::thread::hardware_concurrency(), load_average(), lab.directory().c_str(), directory.c_str());
    std::fflush(stdout);

    Shared shared;
    shared.controller_pid = controller.pid();
    shared.incarnation_start[0] = 0;
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::minutes(minutes);
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) threads.emplace_back(client_loop, c, seed, controller.port(), t0, end, std::ref(shared));
    threads.emplace_back(sampler_loop, t0, end, std::ref(shared));

    // Chaos on the main thread: the controller is forked from here, and PR_SET_PDEATHSIG fires
    // when the forking thread ends (a chaos thread joined at the end would kill it).
    std::mt19937 random(seed);
    std::map<std::string, int> chaos_counts;
    int controller_restarts = 0;
    int chaos_errors = 0;
    const long max_actions = minutes * 60 / 5 + 1;
    auto sleep_until = [&](Clock::time_point until) {
        while (Clock::now() < until) std::this_thread::sleep_for(std::min<Clock::duration>(100ms, until - Clock::now()));
    };
    for (long action = 0; action < max_actions; ++action) {
        const auto wait = std::chrono::milliseconds(std::uniform_int_distribution<int>(5000, 15000)(random));
        if (Clock::now() + wait >= end) break;
        sleep_until(Clock::now() + wait);
        // Without controller kills the peers' chaos stays, and RSS and fds are measured on one
        // process from minute 2 to the end.
        const int kind = std::uniform_int_distribution<int>(0, kill_controller ? 2 : 1)(random);
        const std::string& peer = kPeers[std::uniform_int_distribution<std::size_t>(0, kPeers.size() - 1)(random)];
        const auto down = std::chrono::milliseconds(std::uniform_int_distribution<int>(3000, 8000)(random));
        const double at = seconds_since(t0);
        if (kind == 2) {
            shared.controller_pid = -1;
            controller.kill9();
            const auto restarted = controller.start(30s);
            ++controller_restarts;
            ++chaos_counts["controller SIGKILL"];
            if (!restarted) {
                ++chaos_errors;
                std::printf("  chaos %6.1f s: controller SIGKILL; restart FAILED: %s\n", at,
                            restarted.error().describe().substr(0, 2000).c_str());
                break;
            }
            {
                std::lock_guard lock(shared.mutex);
                shared.incarnation_start[shared.incarnation + 1] = seconds_since(t0);
            }
            shared.controller_pid = controller.pid();
            ++shared.incarnation;
            std::printf("  chaos %6.1f s: controller SIGKILL, up again in %.1f s (pid %d)\n", at, seconds_since(t0) - at,
                        static_cast<int>(controller.pid()));
        } else {
            const bool dhcp = kind == 0;
            const char* what = dhcp ? "kea-dhcp4" : "CA";
            auto stopped = dhcp ? lab.stop_dhcp(peer) : lab.stop_agent(peer);
            sleep_until(Clock::now() + down);
            auto again = dhcp ? lab.start_dhcp(peer) : lab.start_agent(peer);
            ++chaos_counts[std::string(what) + " stop/start"];
            if (!stopped || !again) ++chaos_errors;
            std::printf("  chaos %6.1f s: %s %s stopped for %.1f s%s%s\n", at, peer.c_str(), what,
                        std::chrono::duration<double>(down).count(), stopped ? "" : " (stop failed)",
                        again ? "" : (" (start FAILED: " + again.error().describe().substr(0, 500) + ")").c_str());
        }
        std::fflush(stdout);
    }
    sleep_until(end);
    shared.stop = true;
    for (auto& thread : threads) thread.join();
    const double load_seconds = seconds_since(t0);

    // Convergence after the chaos.
    const auto converge_t0 = Clock::now();
    const bool converged = controller.running() && kea_ha::lab::wait_until(cluster_ready, kConvergeTimeout, 500ms);
    const double converge_seconds = seconds_since(converge_t0);
    json detail = json::object();
    if (auto d = controller.get_json("/v1/clusters/pair")) detail = *d;

    // Figures.
    std::map<Outcome, int> counts;
    std::vector<double> accepted_seconds;
    std::set<std::string> attempted, accepted, refused, unknown;
    std::map<std::string, const Attempt*> by_key;
    for (const auto& a : shared.attempts) {
        ++counts[a.outcome];
        attempted.insert(a.key);
        by_key[a.key] = &a;
        if (a.outcome == Outcome::Accepted) {
            accepted.insert(a.key);
            accepted_seconds.push_back(a.seconds);
        } else if (a.outcome == Outcome::Unknown) {
            unknown.insert(a.key);
        } else if (a.outcome != Outcome::OtherStatus) {
            refused.insert(a.key);
        }
    }
    std::sort(accepted_seconds.begin(), accepted_seconds.end());
    const double p95 = accepted_seconds.empty() ? 0 : accepted_seconds[accepted_seconds.size() * 95 / 100];
    int get_failures = 0;
    std::string get_why;
    for (const auto& [why, count] : shared.get_failures) {
        get_failures += count;
        get_why += " " + why + "=" + std::to_string(count);
    }
    std::printf("\nload: %zu PATCH attempts in %.0f s (%.2f/s), %d GETs not answered 200 (no PATCH sent:%s)\n",
                shared.attempts.size(), load_seconds, static_cast<double>(shared.attempts.size()) / load_seconds,
                get_failures, get_why.empty() ? " none" : get_why.c_str());
    std::printf("answers:");
    for (auto o : {Outcome::Accepted, Outcome::Stale, Outcome::Conflict, Outcome::Down, Outcome::OtherStatus,
                   Outcome::Unknown})
        std::printf(" %s=%d", outcome_name(o), counts[o]);
    std::printf("; accepted %.2f/s, 200 latency median %.3f s, p95 %.3f s\n",
                static_cast<double>(accepted.size()) / load_seconds, median(accepted_seconds), p95);
    for (const auto& a : shared.attempts) {
        if (a.outcome == Outcome::OtherStatus || a.outcome == Outcome::Unknown)
            std::printf("  %s at %.1f s: %s %u after %.2f s: %s\n", a.key.c_str(), a.at, outcome_name(a.outcome),
                        a.status, a.seconds, a.detail.c_str());
    }
    // Every outcome counts, a GET not answered (no PATCH sent) too: a soak where the controller
    // mostly refused or lost changes must not pass on the few it took.
    const int tries = static_cast<int>(shared.attempts.size()) + get_failures;
    const double accepted_share = tries > 0 ? static_cast<double>(counts[Outcome::Accepted]) / tries : 0;
    std::printf("answered 200: %d of %d attempts (%.1f %%)\n", counts[Outcome::Accepted], tries, 100 * accepted_share);
    std::printf("chaos:");
    for (const auto& [kind, count] : chaos_counts) std::printf(" %s=%d", kind.c_str(), count);
    std::printf("; controller restarts %d; chaos errors %d\n", controller_restarts, chaos_errors);
    std::printf("convergence after the chaos: %s in %.1f s\n", converged ? "OK, every peer in_sync" : "NOT reached",
                converge_seconds);

    bool all_pass = chaos_errors == 0 && converged;
    auto check = [&](bool pass, const std::string& what, const std::string& why = {}) {
        std::printf("%s  %s%s%s\n", pass ? "PASS" : "FAIL", what.c_str(), why.empty() ? "" : ": ", why.c_str());
        all_pass = all_pass && pass;
    };
    check(chaos_errors == 0, "every chaos action done", std::to_string(chaos_errors) + " failed");
    check(converged, "cluster OK and every peer in_sync within " + std::to_string(kConvergeTimeout.count()) + " s",
          converged ? "" : detail.dump());
    check(accepted_share > 0.5, "most attempted changes answered 200 (every outcome counted)",
          std::to_string(counts[Outcome::Accepted]) + " of " + std::to_string(tries));

    // The newest change answered 200 (highest generation): latest-soak-change must name it on
    // every peer, or a change whose answer was lost (it may have come after). An older value
    // is a stale config set over a newer one.
    const Attempt* newest = nullptr;
    for (const auto& a : shared.attempts) {
        if (a.outcome == Outcome::Accepted && a.generation >= 0 && (!newest || a.generation > newest->generation))
            newest = &a;
    }
    const std::string log = controller.log();
    // The checks of what the peers hold, run on their running configs and again after every
    // Kea daemon was restarted from its config file (`when` says which).
    auto check_peers = [&](const std::string& when) {
        std::map<std::string, PeerSoak> held;
        for (const auto& peer : kPeers) {
            auto got = read_soak(lab, peer);
            if (!got) {
                check(false, when + ": config-get on " + peer, got.error().describe());
                continue;
            }
            held[peer] = *got;
            std::size_t from_unknown = 0;
            for (const auto& k : got->keys) from_unknown += unknown.count(k);
            std::printf("  %s: %zu soak keys (%zu of them from unknown answers), latest-soak-change %s\n", peer.c_str(),
                        got->keys.size(), from_unknown, got->latest.empty() ? "-" : got->latest.c_str());
        }
        std::string lost_report;
        int lost = 0;
        for (const auto& key : accepted) {
            std::string missing_on;
            for (const auto& [peer, soak] : held) {
                if (!soak.keys.count(key)) missing_on += (missing_on.empty() ? "" : ",") + peer;
            }
            if (missing_on.empty()) continue;
            ++lost;
            const Attempt& a = *by_key[key];
            char at[32];
            std::snprintf(at, sizeof at, "%.1f", a.at);
            lost_report += "  LOST " + key + " (200 at " + at + " s, generation " + std::to_string(a.generation) +
                           ") missing on " + missing_on + "; answer: " + a.detail + "\n";
            if (a.generation >= 0) lost_report += log_lines_with(log, "generation=" + std::to_string(a.generation) + " ", 4);
        }
        check(lost_report.empty() && held.size() == kPeers.size(), when + ": every change answered 200 is in every peer's config",
              lost_report.empty() ? "" : std::to_string(lost) + " of " + std::to_string(accepted.size()) + " lost\n" + lost_report);
        bool same = held.size() == kPeers.size();
        std::string differences;
        for (const auto& [peer, soak] : held) {
            const auto& reference = held.begin()->second.keys;
            if (soak.keys == reference) continue;
            same = false;
            std::vector<std::string> only_here, only_there;
            std::set_difference(soak.keys.begin(), soak.keys.end(), reference.begin(), reference.end(),
                                std::back_inserter(only_here));
            std::set_difference(reference.begin(), reference.end(), soak.keys.begin(), soak.keys.end(),
                                std::back_inserter(only_there));
            differences += peer + " has " + std::to_string(only_here.size()) + " keys " + held.begin()->first +
                           " lacks, lacks " + std::to_string(only_there.size()) + " (e.g. " +
                           (only_here.empty() ? std::string("-") : only_here.front()) + " / " +
                           (only_there.empty() ? std::string("-") : only_there.front()) + "); ";
        }
        check(same, when + ": every peer has the same set of soak keys", differences);
        std::string never, refused_applied, stale;
        for (const auto& [peer, soak] : held) {
            for (const auto& k : soak.keys) {
                if (!attempted.count(k)) never += peer + ":" + k + " ";
                if (refused.count(k))
                    refused_applied += peer + ":" + k + " (" + outcome_name(by_key[k]->outcome) + ") ";
            }
            if (newest && soak.latest != newest->key && !unknown.count(soak.latest))
                stale += peer + " has " + (soak.latest.empty() ? std::string("none") : soak.latest) + " ";
        }
        check(never.empty(), when + ": no key that was never attempted", never);
        check(refused_applied.empty(), when + ": no change answered 412/409/503 applied", refused_applied);
        check(newest != nullptr && stale.empty(),
              when + ": latest-soak-change is the newest change answered 200 (" +
                  (newest ? newest->key + ", generation " + std::to_string(newest->generation) : std::string("none")) +
                  ") or one whose answer was lost",
              stale);
    };
    check_peers("running");
    long generation = -1;
    if (detail.contains("replication") && detail["replication"].is_object() &&
        detail["replication"].value("generation", json()).is_number_integer())
        generation = detail["replication"]["generation"].get<long>();
    check(generation >= static_cast<long>(accepted.size()),
          "replication.generation " + std::to_string(generation) + " >= " + std::to_string(accepted.size()) +
              " changes answered 200");

    // Memory and descriptors.
    const double total = std::chrono::duration<double>(end - t0).count();
    const double baseline_at = minutes >= 4 ? 120.0 : total / 2;
    std::map<int, std::pair<double, double>> life;  // incarnation -> first, last sample time
    for (const auto& s : shared.samples) {
        auto [it, inserted] = life.try_emplace(s.incarnation, s.at, s.at);
        if (!inserted) it->second.second = s.at;
    }
    const int last = shared.incarnation;
    int measured = -1;
    double from_at = baseline_at;
    std::string which;
    if (life.count(last) && shared.incarnation_start[last] <= baseline_at) {
        measured = last;
        which = "the same controller process from " + std::to_string(static_cast<int>(baseline_at)) + " s to the end";
    } else {
        double longest = -1;
        for (const auto& [inc, span] : life) {
            const double length = span.second - std::max(span.first, shared.incarnation_start[inc] + kWarmUpSeconds);
            if (length > longest) {
                longest = length;
                measured = inc;
            }
        }
        if (measured >= 0) from_at = std::max(life[measured].first, shared.incarnation_start[measured] + kWarmUpSeconds);
        which = "the controller was SIGKILLed in between: measured on its longest-lived incarnation (#" +
                std::to_string(measured) + ", started at " + std::to_string(static_cast<int>(shared.incarnation_start[measured])) +
                " s), from " + std::to_string(static_cast<int>(from_at)) + " s (" +
                std::to_string(static_cast<int>(kWarmUpSeconds)) + " s into its life) to its last sample";
    }
    const Sample* first = nullptr;
    const Sample* last_sample = nullptr;
    for (const auto& s : shared.samples) {
        if (s.incarnation != measured) continue;
        if (!first && s.at + 1e-6 >= from_at) first = &s;
        last_sample = &s;
    }
    if (first && last_sample && last_sample->at - first->at >= kMinWindowSeconds) {
        const double growth = 100.0 * (static_cast<double>(last_sample->rss_kib) - first->rss_kib) / first->rss_kib;
        std::printf("controller memory (%s):\n  RSS %.1f MiB at %.0f s -> %.1f MiB at %.0f s (%+.2f %%; of it anonymous"
                    " %.2f -> %.2f MiB); fds %d -> %d; %zu samples in all\n",
                    which.c_str(), first->rss_kib / 1024.0, first->at, last_sample->rss_kib / 1024.0, last_sample->at, growth,
                    first->anon_kib / 1024.0, last_sample->anon_kib / 1024.0, first->fds, last_sample->fds,
                    shared.samples.size());
        int fd_min = last_sample->fds, fd_max = last_sample->fds;
        for (const auto& s : shared.samples) {
            if (s.incarnation != measured || s.at < first->at) continue;
            fd_min = std::min(fd_min, s.fds);
            fd_max = std::max(fd_max, s.fds);
        }
        // Sockets come and go with the keep-alive pool (up to 4 idle per endpoint, closed after
        // 10 s idle, src/kea/ca_client.cpp) and the config operation in flight, so two samples
        // can differ by a few without anything leaking. A leak raises the floor: the fewest fds
        // of the window's last quarter must not exceed the most of its first quarter.
        const double span = last_sample->at - first->at;
        int first_max = 0, last_min = std::numeric_limits<int>::max();
        for (const auto& s : shared.samples) {
            if (s.incarnation != measured || s.at < first->at) continue;
            if (s.at <= first->at + span / 4) first_max = std::max(first_max, s.fds);
            if (s.at >= last_sample->at - span / 4) last_min = std::min(last_min, s.fds);
        }
        std::printf("  fds over that window: min %d, max %d; most in the first quarter %d, fewest in the last %d\n",
                    fd_min, fd_max, first_max, last_min);
        // The curve, minute by minute: bounded buffers filling (events, history) level off; a
        // leak keeps climbing.
        std::string curve;
        double next_minute = std::ceil(first->at / 60.0) * 60.0;
        for (const auto& s : shared.samples) {
            if (s.incarnation != measured || s.at + 1e-6 < next_minute) continue;
            char text[64];
            std::snprintf(text, sizeof text, "%s%.0f min %.2f (anon %.2f)", curve.empty() ? "" : ", ", s.at / 60.0,
                          s.rss_kib / 1024.0, s.anon_kib / 1024.0);
            curve += text;
            next_minute += 60.0;
        }
        std::printf("  RSS (MiB) by minute: %s\n", curve.c_str());
        check(growth < 5.0, "RSS growth < 5 %", std::to_string(growth) + " %");
        check(last_min <= first_max, "open fds flat (the last quarter's floor not above the first quarter's peak)",
              std::to_string(first_max) + " -> " + std::to_string(last_min));
    } else {
        // Chaos decides how long a controller lives; a run where none lived long enough measured
        // nothing, and a soak that measured nothing does not pass (issue 31 point 6).
        check(false, "RSS growth and open fds measured",
              "no controller incarnation lived " + std::to_string(static_cast<int>(kMinWindowSeconds)) +
                  " s past its warm-up (" + which + "); run longer or with --no-controller-kill");
    }
    // Durability: what each peer reads back from its own config file (config-write), not only
    // what it runs. The controller is stopped first, so it cannot put anything back.
    controller.stop();
    std::string restart_errors;
    for (const auto& peer : kPeers) {
        auto stopped = lab.stop_dhcp(peer);
        auto again = stopped ? lab.start_dhcp(peer) : stopped;
        if (!again) restart_errors += peer + ": " + again.error().describe().substr(0, 300) + "; ";
    }
    const bool answering = restart_errors.empty() &&
                           kea_ha::lab::wait_until([&] {
                               return std::all_of(kPeers.begin(), kPeers.end(),
                                                  [&](const std::string& peer) { return bool(read_soak(lab, peer)); });
                           }, 60s, 500ms);
    check(answering, "every Kea daemon restarted from its config file and answering", restart_errors);
    if (answering) check_peers("after restart from the config files");
    std::printf("load average %.2f at the end\n", load_average());
    std::printf("%s\n", all_pass ? "SOAK PASS" : "SOAK FAIL");
    std::fflush(stdout);
    if (all_pass && !std::getenv("KEA_HA_SOAK_KEEP")) {  // KEA_HA_SOAK_KEEP=1 keeps the logs of a passing run
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
        const std::string lab_directory = lab.directory();
        lab.stop_all();
        std::filesystem::remove_all(lab_directory, ignored);
    } else {
        std::printf("kept: controller directory %s, lab directory %s\n", directory.c_str(), lab.directory().c_str());
    }
    return all_pass ? 0 : 1;
}
