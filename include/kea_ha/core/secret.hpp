#pragma once
// The one rule for secret files (apiTokenFile, keaAuthPasswordFile, a cluster's
// password_file, kea-ha-ctl --token-file): docs/configuration.md "Secret files".
#include <string>
#include <string_view>

#include "kea_ha/core/result.hpp"

namespace kea_ha::core {

/// The secret in a file's text: its first line without the line ending ("\n" or "\r\n"),
/// nothing else removed (a space is part of the secret). Refused, saying why: an empty first
/// line, a further line that is not empty (two secrets in one file, or a paste gone wrong),
/// a NUL byte.
Result<std::string> secret_from_text(std::string_view text);

}  // namespace kea_ha::core
