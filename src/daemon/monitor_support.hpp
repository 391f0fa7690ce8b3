#pragma once
// Small pieces shared by the ClusterMonitor's source files (private to src/daemon/).

#include <chrono>
#include <cstddef>
#include <ctime>
#include <string>

#include "kea_ha/core/time.hpp"

namespace kea_ha::daemon {

/// Counts a coroutine as running for its whole life (ClusterMonitor::idle()).
struct RunningGuard {
    explicit RunningGuard(std::size_t& count) : count_(count) { ++count_; }
    ~RunningGuard() { --count_; }
    RunningGuard(const RunningGuard&) = delete;
    RunningGuard& operator=(const RunningGuard&) = delete;
    std::size_t& count_;
};

/// "2026-11-24T19:40:02Z"
inline std::string iso8601(core::SystemTime when) {
    const auto seconds = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

}  // namespace kea_ha::daemon
