#pragma once
// Every named logger of the daemon is created here, in one list (Envoy's ALL_LOGGER_IDS).
// Modules ask for their logger; they never create one.

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "kea_ha/core/preferences.hpp"

namespace kea_ha::daemon {

/// The loggers, by name: prefs kea health replication api daemon lab.
inline constexpr std::string_view kLoggerNames[] = {"prefs", "kea", "health", "replication",
                                                    "api", "daemon", "lab"};

/// Where and how much to log.
struct LogSettings {
    core::LogLevel level = core::LogLevel::Info;
    std::string file;                          ///< empty: stderr
    std::uint64_t max_size = 10ull << 20;      ///< bytes before rotation
    unsigned max_files = 5;
};

LogSettings log_settings_from(const core::Preferences& preferences);

/// (Re)creates every logger on one sink. Called at start and on SIGHUP (which also
/// reopens the log file). Throws spdlog::spdlog_ex if the log file cannot be opened.
void configure_logging(const LogSettings& settings);

/// The named logger; `name` must be one of kLoggerNames (asserted).
std::shared_ptr<spdlog::logger> logger(std::string_view name);

/// A URL with any user:password@ part removed, safe to log.
std::string redact_url(std::string_view url);

/// A value quoted for key=value log fields: bare when it has no space, quote or '=';
/// otherwise in double quotes with '"' and '\' escaped.
std::string quote_field(std::string_view value);

}  // namespace kea_ha::daemon
