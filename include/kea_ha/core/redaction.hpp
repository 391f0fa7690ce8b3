#pragma once
// Secrets inside Kea configs (issue 32 point 5): database passwords, basic-auth passwords,
// TSIG secrets, RADIUS secrets. API clients with the `read` role see them redacted.

#include <string_view>

#include <nlohmann/json.hpp>

namespace kea_ha::core {

/// What a redacted value is replaced with.
inline constexpr std::string_view kRedacted = "<redacted>";

/// True when a member of this name holds a secret: its name (lower case) contains
/// "password", "secret" or "token", or is "key" or ends in "-key" ("tsig-key"; not
/// "key-file", a path). docs/security.md lists it.
bool names_a_secret(std::string_view member);

/// Replaces the value of every member that names_a_secret() (at any depth, whatever its
/// type) with kRedacted, and the "value" of every JSON Patch operation (an object with a
/// string "path") whose path names a secret in any of its segments
/// ({"op": "replace", "path": "/Dhcp4/lease-database/password", "value": …}): configs,
/// diffs and patches alike. Without recursion (documents nest up to 100 levels, or deeper in
/// an answer from Kea). Returns how many values were redacted.
std::size_t redact_secrets(nlohmann::json& document);

}  // namespace kea_ha::core
