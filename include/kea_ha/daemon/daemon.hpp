#pragma once
// The daemon's outermost edge: builds the object graph from preferences and runs the
// io_context until SIGTERM/SIGINT. SIGHUP reloads preferences and reopens the log.

#include <optional>
#include <string>
#include <vector>

#include "kea_ha/core/preferences.hpp"
#include "kea_ha/lab/kea_lab.hpp"

namespace kea_ha::daemon {

struct DaemonOptions {
    std::string preferences_path;                       ///< empty: built-in defaults (lab demo)
    core::Preferences preferences;
    std::vector<core::PreferencesWarning> warnings;     ///< from loading, logged at start
    std::optional<lab::LabOptions> lab;                 ///< --lab: start a Kea HA lab and manage it
};

/// Runs until stopped; returns the process exit status (0 clean stop, 1 failed to start).
int run_daemon(DaemonOptions options);

}  // namespace kea_ha::daemon
