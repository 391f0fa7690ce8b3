#pragma once
// SPEC §5: what is replicated, and when a peer is in sync. Pure: config documents in,
// config documents and decisions out.
//
// A config *document* is what Kea's config-get returns in `arguments`: {"Dhcp4": {…}} or
// {"Dhcp6": {…}} (Kea >= 2.4 adds a top-level "hash"). The API shows and takes the same
// shape, without `hash` (SPEC §6).
//
// An HA relationship is identified by the set of its peers' names (Kea >= 2.6: a server may
// take part in several, each with its own this-server-name).

#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"

namespace kea_ha::core {

/// "Dhcp4" for "dhcp4", "Dhcp6" for "dhcp6".
std::string service_key(std::string_view service);

/// The document without any `hash`: Kea ≥ 2.4's beside the service key, and one inside the
/// service config. Invalid when the document is not {"DhcpX": {…}} (plus an optional
/// top-level "hash") for `service`; the message names the unexpected member.
/// Takes the document by value: pass an rvalue to avoid copying a large config.
Result<nlohmann::json> canonical_config(nlohmann::json document, std::string_view service);

/// One HA relationship (one `high-availability` entry), named by its peers' names: what a
/// cluster is from Kea 2.6 (SPEC §1). "branch1+hub1" in messages (describe()).
struct RelationshipScope {
    std::set<std::string> peers;
    friend bool operator==(const RelationshipScope&, const RelationshipScope&) = default;
};

/// Its peer names joined by '+', sorted: "branch1+hub1".
std::string describe(const RelationshipScope& relationship);

/// Every HA relationship of a document, in config order; empty without an HA hook (or when the
/// document is not one for `service`). Entries without a peers list are skipped.
std::vector<RelationshipScope> relationships_in(const nlohmann::json& document, std::string_view service);

/// SPEC §5, a hub as source of truth (its branch away): the relationships of `sot_document`
/// other than `relationship` that reach a server outside the cluster, i.e. one of whose peers
/// has an HA `url` host none of `cluster_hosts` (the hosts of the cluster's peers' HA urls)
/// has: a hub's other branches. A mutual pair's second relationship joins the same two servers
/// and is none of them. A change through such a source of truth may touch only the cluster's
/// scope (out_of_scope_changes() empty); the rest would reach those relationships too.
std::vector<RelationshipScope> relationships_beyond(const nlohmann::json& sot_document, std::string_view service,
                                                    const RelationshipScope& relationship,
                                                    const std::set<std::string>& cluster_hosts);

/// The relationships of a document, each as its peer names joined by '+', sorted:
/// "{branch1+hub1, branch2+hub2}"; "{}" without an HA hook.
std::string describe_relationships(const nlohmann::json& document, std::string_view service);

/// SPEC §5: a whole config is never written onto a peer whose HA relationships (each a set of
/// peer names) differ from the SoT's. The reason, naming both sets, when they differ:
/// "refusing to write the whole config of SOT onto TARGET: its HA relationships {…} differ
/// from the source of truth's {…}; …"; nullopt when they are the same.
std::optional<std::string> relationship_mismatch(const nlohmann::json& sot_document,
                                                 const nlohmann::json& target_document, std::string_view service,
                                                 std::string_view sot_name, std::string_view target_name);

/// SPEC §5 transform of the SoT's document for `target`: in every HA relationship
/// `this-server-name` is the target's own, taken from the relationship of `target_current`
/// with the same peer names (`target` when that has none and lists `target`); each key of
/// `peer_local_parameters` and of kAlwaysPerServer (config_keys.hpp) is taken from `target_current` (removed
/// when the target has none); `hash` dropped. Conflict when the HA hook of the SoT's config does not list
/// `target` as a peer, or when relationship_mismatch() finds the relationships differ.
/// `sot_document` by value: move it in when the caller no longer needs it.
Result<nlohmann::json> transform_for(nlohmann::json sot_document, std::string_view service,
                                     std::string_view target, const nlohmann::json& target_current,
                                     const std::vector<std::string>& peer_local_parameters);

/// A peer is in sync when its document equals the transformed SoT document (canonical
/// JSON comparison: key order and `hash` do not matter).
bool same_config(const nlohmann::json& a, const nlohmann::json& b);

/// A strong ETag for a document: a quoted 64-bit FNV-1a of its canonical dump.
std::string config_etag(const nlohmann::json& canonical_document);

/// The ETag of a peer's config: from Kea's own `hash` of it where Kea gives one (2.4+:
/// `"kea-HASH"`, the same for one config whether the controller holds it as it sent it or as
/// Kea gives it back, and across controller restarts), else config_etag(document).
std::string config_etag(const nlohmann::json& canonical_document, std::string_view kea_hash);

/// The ETag `"kea-HASH"` of Kea's `hash`; none for a hash that cannot stand in a header as it
/// is (empty, over 128 characters, anything but letters and digits).
std::optional<std::string> kea_hash_etag(std::string_view kea_hash);

/// Whether two ETags can be compared to tell a changed config: both from Kea's hash, or both
/// from the document (a Kea upgraded from 2.2, or an ETag kept by an older controller, is
/// neither the same nor a change).
bool comparable_etags(std::string_view a, std::string_view b);

/// The RFC 6902 JSON Patch that turns `from` into `to` (empty when they are the same
/// config): what a replication would change on a peer (GET /v1/clusters/NAME/diff).
nlohmann::json config_diff(const nlohmann::json& from, const nlohmann::json& to);

/// A short text naming the paths a patch touches, for events and log lines:
/// "/Dhcp4/valid-lifetime, /Dhcp4/subnet4/0/pools/0/pool (+3 more)"; "" for an empty patch.
std::string summarize_patch(const nlohmann::json& patch, std::size_t shown = 5);

enum class PatchKind { JsonPatch, MergePatch };

/// Limits on what a patch may make of a document (issue 32: a patch bomb). A JSON Patch of
/// 30 `copy` operations doubles a document 30 times; each is checked before it is applied.
inline constexpr std::size_t kMaxPatchOperations = 10000;     ///< operations in one JSON Patch
inline constexpr std::size_t kMaxDocumentDepth = 100;         ///< nesting of the result (the API's body limit)
inline constexpr std::size_t kMaxDocumentValues = 4000000;    ///< values in the result (a 9 MB Kea config has ~0.5 M)

/// Depth (1 for a scalar) and number of values of a document, counted without recursion.
struct DocumentShape {
    std::size_t depth = 0;
    std::size_t values = 0;
};
DocumentShape document_shape(const nlohmann::json& document);

/// Applies an RFC 6902 JSON Patch or an RFC 7396 Merge Patch to a document. Invalid, with
/// what was wrong, when the patch is malformed or does not apply; the result must still
/// be a document for `service`. A patch that would make it nest deeper than kMaxDocumentDepth,
/// hold more than kMaxDocumentValues values, or that has more than kMaxPatchOperations
/// operations is refused (Invalid, saying which limit), before the document grows.
Result<nlohmann::json> apply_patch(const nlohmann::json& document, const nlohmann::json& patch, PatchKind kind,
                                   std::string_view service);

}  // namespace kea_ha::core
