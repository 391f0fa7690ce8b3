// Detection benchmark (issue 3) on real Kea (the lab's version, KEA_HA_LAB_KEA): the time from stopping the primary's dhcp4
// to the controller's API showing the cluster Impaired, as a ratio to keaPollInterval
// (target ≤ 1.2) and to the time Kea's own standby takes to report partner-down in the same
// run (target ≤ 1.0). Median over --runs runs (default 5) on one lab and one controller.
//
// Run on demand: bench/run.sh detection [--runs N] [--poll SECONDS]; docs/performance.md.
// Loopback only; every wait has a deadline.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "kea_ha/lab/kea_lab.hpp"
#include "support/controller_process.hpp"

namespace {

using kea_ha::bench::fail;
using kea_ha::bench::load_average;
using kea_ha::bench::median;

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

}  // namespace

int main(int argc, char** argv) {
    int runs = 5;
    double poll_seconds = 1.0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--runs" && i + 1 < argc) {
            runs = std::clamp(std::atoi(argv[++i]), 1, 50);
        } else if (arg == "--poll" && i + 1 < argc) {
            poll_seconds = std::clamp(std::atof(argv[++i]), 0.2, 10.0);
        } else {
            std::fprintf(stderr, "usage: detection_bench [--runs 1..50] [--poll SECONDS]\n");
            return 2;
        }
    }
    auto started = kea_ha::lab::KeaLab::start({});
    if (!started) fail("lab did not start: " + started.error().describe());
    auto& lab = **started;
    const std::string directory = kea_ha::testing::make_temp_directory("kea-ha-detect");
    char poll_text[32];
    std::snprintf(poll_text, sizeof poll_text, "%.3f", poll_seconds);
    kea_ha::testing::ControllerProcess controller(
        directory, {{"keaPollInterval", poll_text}, {"keaRequestTimeout", "1"}, {"logLevel", "info"}});
    if (auto up = controller.start(); !up) fail("controller did not start: " + up.error().describe());
    const nlohmann::json body = {{"name", "pair"}, {"url", lab.peer("server1").url}};
    auto added = controller.request("POST", "/v1/clusters", body.dump(), {{"Content-Type", "application/json"}});
    if (!added || added->status != 201) fail("registration failed: " + (added ? added->body : added.error().describe()));

    auto cluster_state = [&] {
        auto detail = controller.get_json("/v1/clusters/pair");
        return detail ? detail->value("state", "") : std::string();
    };
    std::vector<double> controller_s, kea_s;
    std::printf("detection benchmark: real Kea %s hot-standby pair, keaPollInterval %.3f s, heartbeat-delay 1 s,"
                " max-response-delay 3 s, %d runs\n", lab.options().kea_version.c_str(), poll_seconds, runs);
    std::printf("machine: load average %.2f at start\n", load_average());
    std::printf("%-4s %-14s %-16s %-14s %-14s %-6s\n", "run", "controller s", "kea partner-down", "ratio/poll", "ratio/kea",
                "load");
    for (int run = 1; run <= runs; ++run) {
        if (!kea_ha::lab::wait_until([&] { return cluster_state() == "OK"; }, 60s, 100ms)) fail("cluster not OK before run");
        // Stagger the stop against the poll phase so the median is not one lucky phase: the OK
        // above is seen just after a poll, so spread the stops evenly over one poll interval
        // (5 runs: 0.1, 0.3, 0.5, 0.7, 0.9 of it).
        std::this_thread::sleep_for(std::chrono::milliseconds(
            static_cast<long>(poll_seconds * 1000.0 * (2.0 * run - 1.0) / (2.0 * runs))));
        const auto t0 = Clock::now();
        if (auto stopped = lab.stop_dhcp("server1"); !stopped) fail(stopped.error().describe());
        std::atomic<double> kea_seconds{-1};
        std::thread kea_watch([&] {
            kea_ha::lab::wait_until(
                [&] {
                    auto state = lab.ha_state("server2");
                    if (state && *state == "partner-down") {
                        kea_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
                        return true;
                    }
                    return false;
                },
                30s, 20ms);
        });
        double seen = -1;
        kea_ha::lab::wait_until(
            [&] {
                if (cluster_state() == "Impaired") {
                    seen = std::chrono::duration<double>(Clock::now() - t0).count();
                    return true;
                }
                return false;
            },
            30s, 10ms);
        kea_watch.join();
        if (seen < 0 || kea_seconds < 0) fail("run " + std::to_string(run) + ": no detection within 30 s");
        controller_s.push_back(seen);
        kea_s.push_back(kea_seconds);
        std::printf("%-4d %-14.3f %-16.3f %-14.2f %-14.2f %-6.2f\n", run, seen, kea_seconds.load(), seen / poll_seconds,
                    seen / kea_seconds, load_average());
        std::fflush(stdout);
        if (auto restarted = lab.start_dhcp("server1"); !restarted) fail(restarted.error().describe());
    }
    const double c = median(controller_s), k = median(kea_s);
    std::printf("\nmedian: controller %.3f s, Kea partner-down %.3f s\n", c, k);
    std::printf("ratio to keaPollInterval: %.2f (target <= 1.2)\n", c / poll_seconds);
    std::printf("ratio to Kea's own partner-down: %.2f (target <= 1.0)\n", c / k);
    std::printf("load average %.2f at the end\n", load_average());
    controller.stop();
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
    return 0;
}
