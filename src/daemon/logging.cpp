#include "kea_ha/daemon/logging.hpp"

#include <algorithm>
#include <cassert>
#include <mutex>
#include <vector>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace kea_ha::daemon {
namespace {

spdlog::level::level_enum to_spdlog(core::LogLevel level) {
    switch (level) {
        case core::LogLevel::Trace: return spdlog::level::trace;
        case core::LogLevel::Debug: return spdlog::level::debug;
        case core::LogLevel::Info: return spdlog::level::info;
        case core::LogLevel::Warn: return spdlog::level::warn;
        case core::LogLevel::Error: return spdlog::level::err;
    }
    return spdlog::level::info;
}

[[maybe_unused]] bool known_name(std::string_view name) {
    for (auto known : kLoggerNames) {
        if (known == name) return true;
    }
    return false;
}

}  // namespace

LogSettings log_settings_from(const core::Preferences& preferences) {
    LogSettings settings;
    settings.level = preferences.log_level;
    settings.file = preferences.log_file.value_or("");
    settings.max_size = preferences.log_max_size;
    settings.max_files = preferences.log_max_files;
    return settings;
}

void configure_logging(const LogSettings& settings) {
    spdlog::sink_ptr sink;
    if (settings.file.empty()) {
        sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
        sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
            settings.file, settings.max_size, settings.max_files);
    }
    // ISO time, level, logger name, then "fixed words key=value…" (docs/logging.md).
    sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %-5l [%n] %v");
    for (auto name : kLoggerNames) {
        auto created = std::make_shared<spdlog::logger>(std::string(name), sink);
        created->set_level(to_spdlog(settings.level));
        created->flush_on(spdlog::level::info);
        spdlog::drop(std::string(name));
        spdlog::register_logger(created);
    }
}

std::shared_ptr<spdlog::logger> logger(std::string_view name) {
    assert(known_name(name));
    auto found = spdlog::get(std::string(name));
    if (!found) {
        // Before configure_logging (tests, early start-up): stderr at info.
        configure_logging(LogSettings{});
        found = spdlog::get(std::string(name));
    }
    return found;
}

std::string redact_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    const auto authority_start = scheme_end + 3;
    const auto authority_end = url.find('/', authority_start);
    const auto at = url.substr(0, authority_end).rfind('@');
    if (at == std::string_view::npos || at < authority_start) return std::string(url);
    return std::string(url.substr(0, authority_start)) + std::string(url.substr(at + 1));
}

std::string quote_field(std::string_view value) {
    // Issue 32: a value may come from Kea or a client; a control character (a carriage return,
    // an escape sequence) must not forge a line or repaint a terminal, so it is written as \xNN.
    const auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
    const bool plain = !value.empty() && value.find_first_of(" \"=\\") == std::string_view::npos &&
                       std::none_of(value.begin(), value.end(), control);
    if (plain) return std::string(value);
    std::string out = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') { out += "\\n"; continue; }
        if (control(c)) {
            static constexpr char kHex[] = "0123456789abcdef";
            const auto byte = static_cast<unsigned char>(c);
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
            continue;
        }
        out += c;
    }
    out += '"';
    return out;
}

}  // namespace kea_ha::daemon
