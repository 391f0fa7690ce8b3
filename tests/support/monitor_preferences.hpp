#pragma once
// Preferences for a ClusterMonitor under test against fake Control Agents.

#include <chrono>

#include "kea_ha/core/preferences.hpp"

namespace kea_ha::testing {

/// Polls every 50 ms, 2 s per request, 5 s per config command, and no periodic config read
/// (keaConfigSyncInterval an hour) while a test runs.
inline core::Preferences fast_monitor_preferences() {
    using namespace std::chrono_literals;
    core::Preferences prefs;
    prefs.poll_interval = 50ms;
    prefs.request_timeout = 2s;
    prefs.config_timeout = 5s;
    prefs.config_sync_interval = 3600s;
    return prefs;
}

}  // namespace kea_ha::testing
