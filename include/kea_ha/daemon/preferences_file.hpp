#pragma once
// Reading preferences.cfg from disk (the core parses text; files are the edge's job).

#include <string>
#include <vector>

#include "kea_ha/core/api_tokens.hpp"

#include "kea_ha/core/preferences.hpp"
#include "kea_ha/core/result.hpp"

namespace kea_ha::daemon {

/// Reads and parses `path`. An unreadable file is an Io error naming it and the reason.
core::Result<core::ParsedPreferences> load_preferences_file(const std::string& path);

/// Reads a secret (password or token) file by the one rule of core/secret.hpp (its first
/// line). An unreadable or refused file is an error naming the file (never the contents).
/// Issue 32: only from below `directory` (secretsDirectory), opened without following a link,
/// a regular file of at most 4 KiB, not readable or writable by others nor by a group other
/// than the daemon's own (a message names the file and its mode).
core::Result<std::string> read_secret_file(const std::string& path, std::string_view key, const std::string& directory);

/// apiTokensFile: the named clients (core/api_tokens.hpp); an error names the file and line.
/// The file is held to read_secret_file()'s rule (below `directory`, no link, regular, mode),
/// with a size cap of 64 KiB.
core::Result<std::vector<core::ApiToken>> read_api_tokens_file(const std::string& path, const std::string& directory);

}  // namespace kea_ha::daemon
