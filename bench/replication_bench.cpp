// Replication benchmark (issue 4) on a real Kea hot-standby pair (the lab's version: 2.2, or
// 2.6 / 3.0 with KEA_HA_LAB_KEA, issue 11) whose dhcp4 config holds
// K host reservations (default K = 100, 10 000, 50 000 in one 10.1.0.0/16 subnet). For each K
// and each repetition, three changes of valid-lifetime are timed in the same run:
//
//   raw     the controller's critical path made of bare Kea commands, sent by this bench
//           straight to the CAs (pre-serialised bodies, answers parsed outside the clock):
//           max(config-get SoT, config-get target; run in parallel) + max(config-test SoT,
//           config-test target; in parallel) + config-set SoT + max(config-write SoT,
//           config-set+config-write target; in parallel);
//   api     PATCH /v1/clusters/pair/config (application/merge-patch+json) through the
//           controller, from sending the request to the 200 answer (both peers "applied");
//   api2    a second PATCH right after the first (settled): on Kea 2.6+ the controller knows
//           both configs by the hash their config-set answered, so its read phase is one
//           config-hash-get per peer. Its baseline raw2 is raw with max(config-hash-get SoT,
//           target), timed in the raw round, in place of the config-gets (on 2.2, raw);
//   naive   bench/naive_sync.sh: per peer, sequentially, curl config-get / jq edit /
//           curl config-set / curl config-write.
//   careful bench/careful_sync.sh: both configs read at once, one jq run for both, then each
//           peer's config-set + config-write, the peers at once (issue 31 point 6).
//
// In each repetition the three baselines (raw, naive, careful) run in a shuffled order (seeded,
// printed: `--seed`), then the two API changes. The first API change follows the baselines'
// changes, made behind the controller's back: the configs it knew have moved, and it reads them
// again (config-get). The second is the usual case of changes made through the controller. The
// source-of-truth changes seen during the API changes are printed per repetition and per size.
//
// Figures: median api/raw and api2/raw2 (target <= 1.15), api/naive and api2/naive (target
// <= 0.7), and the
// controller's CPU time (utime+stime from /proc/PID/stat around the PATCH) as a share of Kea's
// config-set time in the same replication (target <= 0.25).
//
// Run on demand: bench/run.sh replication [--sizes 100,10000,50000] [--runs N] [--runs-large N];
// docs/performance-replication.md. Loopback only; every wait and request has a deadline.

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "kea_ha/lab/kea_lab.hpp"
#include "support/controller_process.hpp"
#include "support/http_probe.hpp"

#ifndef KEA_HA_BENCH_DIR
#error "KEA_HA_BENCH_DIR must point at bench/ (for naive_sync.sh)"
#endif

namespace {

using kea_ha::bench::fail;
using kea_ha::bench::load_average;
using kea_ha::bench::median;

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using nlohmann::json;
using kea_ha::lab::KeaLab;
using kea_ha::lab::LabPeer;

constexpr auto kKeaTimeout = 120s;      // one Kea command (50 000 reservations: a few seconds)
constexpr auto kChangeTimeout = 300s;   // one PATCH through the controller
constexpr auto kSettleTimeout = 120s;   // pair back to OK after a change

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// Now in the controller events' format ("2026-11-24T19:40:02Z"), whole seconds, UTC.
std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

/// The controller's CPU time; the bench cannot go on without it.
double cpu_seconds(pid_t pid) {
    auto seconds = kea_ha::bench::cpu_seconds(pid);
    if (!seconds) fail("cannot read /proc/" + std::to_string(pid) + "/stat");
    return *seconds;
}

/// One Kea command sent straight to a peer's CA; `seconds` is the HTTP exchange only (the body
/// is serialised before, the answer parsed after).
struct Timed {
    double seconds = 0;
    json answer;  // first element of Kea's list
};

Timed kea_call(const LabPeer& peer, const std::string& body, const std::string& what) {
    const auto t0 = Clock::now();
    auto reply = kea_ha::testing::http_request(peer.address, peer.port, "POST", "/", body,
                                               {{"Content-Type", "application/json"}}, kKeaTimeout);
    Timed timed;
    timed.seconds = seconds_since(t0);
    if (!reply) fail(peer.name + " " + what + ": " + reply.error().describe());
    if (reply->status != 200) fail(peer.name + " " + what + ": HTTP " + std::to_string(reply->status));
    try {
        auto list = json::parse(reply->body);
        timed.answer = list.is_array() && !list.empty() ? list[0] : list;
    } catch (const json::exception& e) {
        fail(peer.name + " " + what + ": answer is not JSON: " + e.what());
    }
    if (timed.answer.value("result", -1) != 0) fail(peer.name + " " + what + ": " + timed.answer.dump().substr(0, 300));
    return timed;
}

std::string command_body(const std::string& name, const json* arguments = nullptr) {
    json body = {{"command", name}, {"service", {"dhcp4"}}};
    if (arguments) body["arguments"] = *arguments;
    return body.dump();
}

/// The peer's config with one 10.1.0.0/16 subnet holding `count` reservations (hw-address +
/// ip-address in the subnet, outside the pool) instead of the lab's subnet.
json with_reservations(json config, int count) {
    json reservations = json::array();
    for (int i = 0; i < count; ++i) {
        char mac[32], ip[32];
        std::snprintf(mac, sizeof mac, "02:00:00:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
        std::snprintf(ip, sizeof ip, "10.1.%d.%d", i / 250, i % 250 + 1);
        reservations.push_back({{"hw-address", mac}, {"ip-address", ip}});
    }
    config["Dhcp4"]["subnet4"] = json::array({{{"id", 1},
                                               {"subnet", "10.1.0.0/16"},
                                               {"pools", json::array({{{"pool", "10.1.255.1 - 10.1.255.200"}}})},
                                               {"reservations", std::move(reservations)}}});
    config.erase("hash");
    return config;
}

struct Raw {
    double get_sot = 0, get_target = 0, test_sot = 0, test_target = 0, set_sot = 0, write_sot = 0, set_target = 0,
           write_target = 0;
    double hash_sot = 0, hash_target = 0;  ///< config-hash-get (Kea 2.4+; 0 on 2.2)
    double test() const { return std::max(test_sot, test_target); }
    double get() const { return std::max(get_sot, get_target); }
    /// The SoT's config-write runs alongside the target's config-set + config-write, as in the controller.
    double total() const { return get() + test() + set_sot + std::max(write_sot, set_target + write_target); }
    /// The same change with both configs confirmed by their hash instead of read (2.4+).
    double total_by_hash() const {
        return std::max(hash_sot, hash_target) + test() + set_sot + std::max(write_sot, set_target + write_target);
    }
    double sets() const { return set_sot + set_target; }
};

struct Row {
    int size = 0;
    double raw = 0, api = 0, naive = 0, careful = 0, cpu = 0, sets = 0, set_sot = 0, load = 0;
    double raw2 = 0, api2 = 0;  // the change after a change through the controller
    int sot_moves = 0;      // source-of-truth events from the PATCH until the pair is OK again
    bool sot_none = false;  // one of them left the cluster without a source of truth
};

}  // namespace

int main(int argc, char** argv) {
    std::vector<int> sizes = {100, 10000, 50000};
    int runs = 3;
    int runs_large = 3;  // for sizes >= 50 000
    unsigned seed = 31;  // the order of the baselines in each repetition
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--runs" && i + 1 < argc) {
            runs = std::clamp(std::atoi(argv[++i]), 1, 20);
        } else if (arg == "--runs-large" && i + 1 < argc) {
            runs_large = std::clamp(std::atoi(argv[++i]), 1, 20);
        } else if (arg == "--seed" && i + 1 < argc) {
            seed = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
        } else if (arg == "--sizes" && i + 1 < argc) {
            sizes.clear();
            std::stringstream list(argv[++i]);
            for (std::string item; std::getline(list, item, ',');) sizes.push_back(std::clamp(std::atoi(item.c_str()), 1, 60000));
        } else {
            std::fprintf(stderr, "usage: replication_bench [--sizes K,K,…] [--runs 1..20] [--runs-large 1..20] [--seed S]\n");
            return 2;
        }
    }

    // max-response-delay above the 50 000-reservation config-set (~5 s, during which kea-dhcp4
    // answers nothing): otherwise the standby declares partner-down in the middle of a change.
    kea_ha::lab::LabOptions options;
    options.max_response_delay_ms = 20000;
    auto started = KeaLab::start(options);
    if (!started) fail("lab did not start: " + started.error().describe());
    auto& lab = **started;
    const LabPeer& sot = lab.peer("server1");
    const LabPeer& target = lab.peer("server2");
    const bool has_hash = lab.options().kea_version != "2.2";  // config-hash-get from 2.4

    const std::string directory = kea_ha::testing::make_temp_directory("kea-ha-repl");
    kea_ha::testing::ControllerProcess controller(directory, {{"keaPollInterval", "1"},
                                                              {"keaConfigTimeout", "60"},
                                                              {"keaRequestTimeout", "15"},
                                                              {"logLevel", "info"}});
    if (auto up = controller.start(); !up) fail("controller did not start: " + up.error().describe());
    const json registration = {{"name", "pair"}, {"url", sot.url}};
    auto added = controller.request("POST", "/v1/clusters", registration.dump(), {{"Content-Type", "application/json"}});
    if (!added || added->status != 201) fail("registration failed: " + (added ? added->body : added.error().describe()));

    auto api = [&](const std::string& method, const std::string& path, const std::string& body,
                   const std::string& type) {
        return kea_ha::testing::http_request("127.0.0.1", controller.port(), method, path, body,
                                             {{"Content-Type", type}}, std::chrono::duration_cast<std::chrono::milliseconds>(kChangeTimeout));
    };
    // Before every timed change: the cluster OK with server1 as SoT, both peers back in hot-standby.
    // The 2 s first: the controller polls every second, so it must have seen the last config-set
    // (the peer passing through waiting) before its OK counts.
    auto settle = [&](const std::string& before) {
        std::this_thread::sleep_for(2s);
        const bool ok = kea_ha::lab::wait_until(
            [&] {
                auto detail = controller.get_json("/v1/clusters/pair");
                if (!detail || detail->value("state", "") != "OK" || detail->value("source_of_truth", "") != "server1")
                    return false;
                auto s1 = lab.ha_state("server1");
                auto s2 = lab.ha_state("server2");
                return s1 && s2 && *s1 == "hot-standby" && *s2 == "hot-standby";
            },
            kSettleTimeout, 200ms);
        if (!ok) fail("pair not OK with server1 as source of truth before " + before);
    };

    std::printf("replication benchmark: real Kea %s hot-standby pair, one change of valid-lifetime per measurement\n",
                lab.options().kea_version.c_str());
    std::printf("controller: keaPollInterval 1 s, keaConfigTimeout 60 s, keaRequestTimeout 15 s; Kea HA"
                " heartbeat-delay 1 s, max-response-delay 20 s\n");
    std::printf("machine: %u CPUs, load average %.2f at start\n", std::thread::hardware_concurrency(), load_average());
    int lifetime = 4000;
    std::vector<Row> rows;

    for (const int size : sizes) {
        const int repetitions = size >= 50000 ? runs_large : runs;
        // Set up: both peers get the reservations directly (each from its own config-get), then a
        // sync through the controller must find server2 already in sync ("unchanged").
        settle("set-up of " + std::to_string(size));
        std::size_t config_bytes = 0;
        for (const LabPeer* peer : {&sot, &target}) {
            auto got = kea_call(*peer, command_body("config-get"), "config-get");
            const json config = with_reservations(got.answer["arguments"], size);
            const std::string body = command_body("config-set", &config);
            config_bytes = body.size();
            kea_call(*peer, body, "config-set (set-up)");
            kea_call(*peer, command_body("config-write"), "config-write (set-up)");
        }
        kea_ha::core::Result<kea_ha::testing::HttpReply> synced = kea_ha::testing::HttpReply{};
        for (int attempt = 1; attempt <= 5; ++attempt) {
            settle("sync of " + std::to_string(size));
            synced = api("POST", "/v1/clusters/pair/sync", "", "application/json");
            if (!synced || synced->status != 200) fail("sync: " + (synced ? synced->body : synced.error().describe()));
            if (synced->body.find("pending") == std::string::npos && synced->body.find("failed") == std::string::npos) break;
            if (attempt == 5) fail("set-up sync never complete: " + synced->body);
        }
        std::printf("\n== %d reservations (config-set body %.1f MB), %d repetitions; set-up sync: %s\n", size,
                    static_cast<double>(config_bytes) / 1e6, repetitions, synced->body.c_str());
        std::printf("%-4s %-9s %-9s %-9s %-9s %-9s %-9s %-9s | %-8s %-8s %-8s %-8s %-8s %-5s | %-8s %-8s %-8s %-8s | %-9s %-8s %-8s\n",
                    "rep", "get-sot", "get-tgt", "test-max", "sw-sot", "sw-tgt", "RAW s", "API s", "NAIVE s", "api/raw",
                    "api/nai", "cpu s", "cpu/sets", "load", "RAW2 s", "API2 s", "a2/raw2", "a2/nai", "CAREFUL s",
                    "api/car", "a2/car");
        std::printf("     (sot: source-of-truth changes seen from the PATCH until the pair was OK again; * = a moment without one)\n");
        std::vector<Row> measured;
        std::mt19937 order_random(seed + static_cast<unsigned>(size));
        int size_sot_moves = 0;
        for (int rep = 1; rep <= repetitions; ++rep) {
            Row row;
            row.size = size;
            Raw raw;
            // (1) raw Kea commands on the critical path.
            const auto run_raw = [&] {
            settle("raw change");
            {
                const int value = ++lifetime;
                // The controller reads the SoT and the target at once; so does the baseline.
                Timed got_target;
                std::thread read_target([&] { got_target = kea_call(target, command_body("config-get"), "config-get"); });
                auto got_sot = kea_call(sot, command_body("config-get"), "config-get");
                read_target.join();
                raw.get_sot = got_sot.seconds;
                raw.get_target = got_target.seconds;
                if (has_hash) {
                    Timed hash_target;
                    std::thread hash_of_target(
                        [&] { hash_target = kea_call(target, command_body("config-hash-get"), "config-hash-get"); });
                    raw.hash_sot = kea_call(sot, command_body("config-hash-get"), "config-hash-get").seconds;
                    hash_of_target.join();
                    raw.hash_target = hash_target.seconds;
                }
                json config_sot = got_sot.answer["arguments"];
                json config_target = got_target.answer["arguments"];
                config_sot.erase("hash");  // 2.4+: config-get's hash is not part of the config
                config_target.erase("hash");
                config_sot["Dhcp4"]["valid-lifetime"] = value;
                config_target["Dhcp4"]["valid-lifetime"] = value;
                const std::string test_sot = command_body("config-test", &config_sot);
                const std::string test_target = command_body("config-test", &config_target);
                const std::string set_sot = command_body("config-set", &config_sot);
                const std::string set_target = command_body("config-set", &config_target);
                const std::string write = command_body("config-write");
                std::thread parallel([&] { raw.test_target = kea_call(target, test_target, "config-test").seconds; });
                raw.test_sot = kea_call(sot, test_sot, "config-test").seconds;
                parallel.join();
                raw.set_sot = kea_call(sot, set_sot, "config-set").seconds;
                std::thread persist_sot([&] { raw.write_sot = kea_call(sot, write, "config-write").seconds; });
                raw.set_target = kea_call(target, set_target, "config-set").seconds;
                raw.write_target = kea_call(target, write, "config-write").seconds;
                persist_sot.join();
            }
            row.raw = raw.total();
            row.raw2 = has_hash ? raw.total_by_hash() : raw.total();
            row.sets = raw.sets();
            row.set_sot = raw.set_sot;
            };
            // (3) the naive sequential script, and (4) the careful one.
            const auto run_script = [&](const char* script, double& seconds) {
                settle(std::string(script) + " change");
                const int value = ++lifetime;
                const std::string command = "timeout 600 " + std::string(KEA_HA_BENCH_DIR) + "/" + script + " " +
                                            std::to_string(value) + " dhcp4 " + sot.url + " " + target.url;
                const auto t0 = Clock::now();
                const int status = std::system(command.c_str());
                seconds = seconds_since(t0);
                if (status != 0) fail(std::string(script) + " failed (" + std::to_string(status) + "): " + command);
            };
            // The baselines in a shuffled order, so none always runs first (caches, Kea's own
            // state after the controller's change of the repetition before).
            std::vector<std::string> order = {"raw", "naive", "careful"};
            std::shuffle(order.begin(), order.end(), order_random);
            for (const auto& step : order) {
                if (step == "raw") run_raw();
                else if (step == "naive") run_script("naive_sync.sh", row.naive);
                else run_script("careful_sync.sh", row.careful);
            }
            // (2) the same kind of change through the controller's API, then (2b) another.
            settle("API change");
            std::string patch_started;
            const auto patch_through_api = [&](double& seconds, double* cpu) {
                const int value = ++lifetime;
                const std::string patch = json{{"Dhcp4", {{"valid-lifetime", value}}}}.dump();
                const double cpu0 = cpu_seconds(controller.pid());
                const auto t0 = Clock::now();
                auto reply = api("PATCH", "/v1/clusters/pair/config", patch, "application/merge-patch+json");
                seconds = seconds_since(t0);
                if (cpu) *cpu = cpu_seconds(controller.pid()) - cpu0;
                if (!reply || reply->status != 200) fail("PATCH: " + (reply ? reply->body : reply.error().describe()));
                const auto outcome = json::parse(reply->body, nullptr, false);
                for (const auto& peer : outcome.value("peers", json::array())) {
                    if (peer.value("outcome", "") != "applied" || !peer.value("persisted", false))
                        fail("PATCH: peer not applied+persisted: " + reply->body);
                }
            };
            patch_started = utc_now();
            patch_through_api(row.api, &row.cpu);
            settle("second API change");
            patch_through_api(row.api2, nullptr);
            settle("after the API changes");
            // What the API change did to the source of truth: its events from the PATCH until now.
            if (auto events = controller.get_json("/v1/clusters/pair/events")) {
                const std::string until = utc_now();
                const json& list = events->is_array() ? *events : events->value("events", json::array());
                for (const auto& event : list) {
                    const std::string when = event.value("when", "");
                    if (event.value("kind", "") != "source-of-truth" || when < patch_started || when > until) continue;
                    ++row.sot_moves;
                    if (event.value("to", "x").empty()) row.sot_none = true;
                }
            }
            size_sot_moves += row.sot_moves;
            row.load = load_average();
            std::printf("%-4d %-9.3f %-9.3f %-9.3f %-9.3f %-9.3f %-9.3f %-9.3f | %-8.3f %-8.2f %-8.2f %-8.3f %-8.3f %-5.2f"
                        " | %-8.3f %-8.3f %-8.2f %-8.2f | %-9.3f %-8.2f %-8.2f sot %d%s order %s,%s,%s,api,api2\n",
                        rep, raw.get_sot, raw.get_target, raw.test(), raw.set_sot + raw.write_sot,
                        raw.set_target + raw.write_target, row.raw, row.api, row.naive, row.api / row.raw,
                        row.api / row.naive, row.cpu, row.cpu / row.sets, row.load, row.raw2, row.api2,
                        row.api2 / row.raw2, row.api2 / row.naive, row.careful, row.api / row.careful,
                        row.api2 / row.careful, row.sot_moves, row.sot_none ? "*" : "", order[0].c_str(),
                        order[1].c_str(), order[2].c_str());
            std::fflush(stdout);
            measured.push_back(row);
        }
        Row summary;
        summary.size = size;
        std::vector<double> v;
        auto med = [&](auto field) {
            v.clear();
            for (const auto& r : measured) v.push_back(field(r));
            return median(v);
        };
        summary.raw = med([](const Row& r) { return r.raw; });
        summary.api = med([](const Row& r) { return r.api; });
        summary.naive = med([](const Row& r) { return r.naive; });
        summary.careful = med([](const Row& r) { return r.careful; });
        summary.raw2 = med([](const Row& r) { return r.raw2; });
        summary.api2 = med([](const Row& r) { return r.api2; });
        summary.cpu = med([](const Row& r) { return r.cpu; });
        summary.sets = med([](const Row& r) { return r.sets; });
        summary.set_sot = med([](const Row& r) { return r.set_sot; });
        summary.load = load_average();
        rows.push_back(summary);
        // Ratios are medians of the per-repetition ratios (same-run pairs).
        const double r_raw = med([](const Row& r) { return r.api / r.raw; });
        const double r_naive = med([](const Row& r) { return r.api / r.naive; });
        const double r_cpu = med([](const Row& r) { return r.cpu / r.sets; });
        const double r_cpu_one = med([](const Row& r) { return r.cpu / r.set_sot; });
        const double r_raw2 = med([](const Row& r) { return r.api2 / r.raw2; });
        const double r_naive2 = med([](const Row& r) { return r.api2 / r.naive; });
        const double r_careful = med([](const Row& r) { return r.api / r.careful; });
        const double r_careful2 = med([](const Row& r) { return r.api2 / r.careful; });
        std::printf("median %d: raw %.3f s, api %.3f s, naive %.3f s; api/raw %.2f (target <= 1.15), api/naive %.2f"
                    " (target <= 0.7); controller CPU %.3f s = %.3f of both config-sets (%.3f s), %.3f of one (target <= 0.25)\n",
                    size, summary.raw, summary.api, summary.naive, r_raw, r_naive, summary.cpu, r_cpu, summary.sets, r_cpu_one);
        std::printf("median %d, change after a change: raw2 %.3f s, api2 %.3f s; api2/raw2 %.2f (target <= 1.15),"
                    " api2/naive %.2f (target <= 0.7)\n",
                    size, summary.raw2, summary.api2, r_raw2, r_naive2);
        std::printf("median %d, against the careful script: careful %.3f s; api/careful %.2f, api2/careful %.2f;"
                    " source-of-truth changes during the API changes: %d in %d repetitions\n",
                    size, summary.careful, r_careful, r_careful2, size_sot_moves, repetitions);
        std::fflush(stdout);
    }

    std::printf("\nsummary (medians)\n%-8s %-9s %-9s %-9s %-8s %-8s %-9s %-9s %-5s | %-9s %-9s %-8s %-8s\n", "K", "raw s",
                "api s", "naive s", "api/raw", "api/nai", "cpu s", "cpu/sets", "load", "raw2 s", "api2 s", "a2/raw2",
                "a2/nai");
    for (const auto& r : rows) {
        std::printf("%-8d %-9.3f %-9.3f %-9.3f %-8.2f %-8.2f %-9.3f %-9.3f %-5.2f | %-9.3f %-9.3f %-8.2f %-8.2f\n", r.size,
                    r.raw, r.api, r.naive, r.api / r.raw, r.api / r.naive, r.cpu, r.cpu / r.sets, r.load, r.raw2,
                    r.api2, r.api2 / r.raw2, r.api2 / r.naive);
    }
    // Interference check: the controller must not have synced behind the raw/naive changes.
    if (auto events = controller.get_json("/v1/clusters/pair/events")) {
        std::map<std::string, int> kinds;
        const json& list = events->is_array() ? *events : events->value("events", json::array());
        for (const auto& event : list) {
            ++kinds[event.value("kind", "?")];
            if (event.value("kind", "") == "source-of-truth" || event.value("kind", "") == "config-synced")
                std::printf("  event %s\n", event.dump().c_str());
        }
        std::printf("controller events:");
        for (const auto& [kind, count] : kinds) std::printf(" %s=%d", kind.c_str(), count);
        std::printf("\n");
    }
    std::printf("load average %.2f at the end\n", load_average());
    controller.stop();
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
    return 0;
}
