#pragma once
// SPEC §5: what is replicated, and when a peer is in sync. Pure: config documents in,
// config documents and decisions out.
//
// A config *document* is what Kea's config-get returns in `arguments`: {"Dhcp4": {…}} or
// {"Dhcp6": {…}}. The API shows and takes the same shape (SPEC §6).

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"

namespace kea_ha::core {

/// "Dhcp4" for "dhcp4", "Dhcp6" for "dhcp6".
std::string service_key(std::string_view service);

/// The document without any `hash` (Kea ≥ 2.4 adds one at the top of the service config).
/// Invalid when the document is not {"DhcpX": {…}} for `service`.
/// Takes the document by value: pass an rvalue to avoid copying a large config.
Result<nlohmann::json> canonical_config(nlohmann::json document, std::string_view service);

/// SPEC §5 transform of the SoT's document for `target`: every HA relationship that lists
/// `target` gets `this-server-name` = target; each key of `peer_local_parameters` is taken
/// from `target_current` (removed when the target has none); `hash` dropped.
/// Conflict when the HA hook of the SoT's config does not list `target` as a peer.
/// `sot_document` by value: move it in when the caller no longer needs it.
Result<nlohmann::json> transform_for(nlohmann::json sot_document, std::string_view service,
                                     std::string_view target, const nlohmann::json& target_current,
                                     const std::vector<std::string>& peer_local_parameters);

/// A peer is in sync when its document equals the transformed SoT document (canonical
/// JSON comparison: key order and `hash` do not matter).
bool same_config(const nlohmann::json& a, const nlohmann::json& b);

/// A strong ETag for a document: a quoted 64-bit FNV-1a of its canonical dump.
std::string config_etag(const nlohmann::json& canonical_document);

enum class PatchKind { JsonPatch, MergePatch };

/// Applies an RFC 6902 JSON Patch or an RFC 7396 Merge Patch to a document. Invalid, with
/// what was wrong, when the patch is malformed or does not apply; the result must still
/// be a document for `service`.
Result<nlohmann::json> apply_patch(const nlohmann::json& document, const nlohmann::json& patch, PatchKind kind,
                                   std::string_view service);

}  // namespace kea_ha::core
