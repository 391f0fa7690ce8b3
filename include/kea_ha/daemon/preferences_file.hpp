#pragma once
// Reading preferences.cfg from disk (the core parses text; files are the edge's job).

#include <string>

#include "kea_ha/core/preferences.hpp"
#include "kea_ha/core/result.hpp"

namespace kea_ha::daemon {

/// Reads and parses `path`. An unreadable file is an Io error naming it and the reason.
core::Result<core::ParsedPreferences> load_preferences_file(const std::string& path);

/// Reads a secret (password or token) file: its contents without trailing newlines.
/// An unreadable or empty file is an error naming the file (never the contents).
core::Result<std::string> read_secret_file(const std::string& path, std::string_view key);

}  // namespace kea_ha::daemon
