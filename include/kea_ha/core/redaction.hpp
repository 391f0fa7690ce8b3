#pragma once
// Secrets inside Kea configs (issue 32 point 5): database passwords, basic-auth passwords,
// TSIG secrets, RADIUS secrets. API clients with the `read` role see them redacted.

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"

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

/// Configs kept for rollback (keaHistoryDepth) hold no secret in clear (issue 32 point 5):
/// each secret value is replaced by "<sealed:sha256:SALT:DIGEST>", DIGEST = digest(SALT,
/// the value's JSON text). The edge gives the digest (SHA-256 of SALT and the text) and a
/// random SALT per kept config; the core stays free of crypto libraries.
inline constexpr std::string_view kSealedPrefix = "<sealed:sha256:";
using SecretDigest = std::function<std::string(std::string_view salt, std::string_view value)>;

/// Seals every member that names_a_secret() (at any depth) in a config. Returns how many.
std::size_t seal_secrets(nlohmann::json& config, std::string_view salt, const SecretDigest& digest);

/// A rollback: each sealed value of `config` takes the value at the same place in `current`
/// (the source of truth's config now) when its digest matches. A secret that changed or is
/// gone since cannot be restored from a digest: a Conflict naming its JSON Pointer. Returns
/// how many were restored.
Result<std::size_t> unseal_secrets(nlohmann::json& config, const nlohmann::json& current, const SecretDigest& digest);

}  // namespace kea_ha::core
