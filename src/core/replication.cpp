#include "kea_ha/core/replication.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <set>

#include "kea_ha/core/config_keys.hpp"
#include "kea_ha/core/host_pattern.hpp"

namespace kea_ha::core {
namespace {

constexpr char kHaLibrary[] = "libdhcp_ha.so";

bool is_ha_library(const nlohmann::json& hook) {
    if (!hook.is_object() || !hook.contains("library") || !hook["library"].is_string()) return false;
    const auto library = hook["library"].get<std::string>();
    const auto slash = library.rfind('/');
    return library.substr(slash == std::string::npos ? 0 : slash + 1) == kHaLibrary;
}

Result<const nlohmann::json*> service_config_of(const nlohmann::json& document, std::string_view service,
                                                std::string_view what) {
    const std::string key = service_key(service);
    if (!document.is_object() || !document.contains(key) || !document[key].is_object()) {
        return make_error(ErrorKind::Invalid, std::string(what) + " must be a JSON object {\"" + key + "\": {…}}");
    }
    // Kea >= 2.4: config-get answers {"Dhcp4": {…}, "hash": "…"} (kea-versions-facts.md).
    for (auto it = document.begin(); it != document.end(); ++it) {
        if (it.key() == key || it.key() == "hash") continue;
        return make_error(ErrorKind::Invalid, std::string(what) + " must have only the member \"" + key +
                                                  "\" (and Kea's \"hash\"); unexpected member \"" + it.key() + "\"");
    }
    return &document[key];
}

/// One HA relationship of a config: the names of its peers (sorted) and its entry.
template <class Json>
struct Relationship {
    std::set<std::string> peers;
    Json* entry = nullptr;
};

/// Every relationship of the HA hook(s) of `config` (the object under "Dhcp4"/"Dhcp6"), in
/// config order. Malformed entries (no peers list) are skipped: learn_topology reports them.
template <class Json>
std::vector<Relationship<Json>> relationships_of(Json& config) {
    std::vector<Relationship<Json>> out;
    if (!config.is_object() || !config.contains("hooks-libraries") || !config["hooks-libraries"].is_array()) {
        return out;
    }
    for (auto& hook : config["hooks-libraries"]) {
        if (!is_ha_library(hook) || !hook.contains("parameters") || !hook["parameters"].is_object()) continue;
        auto& parameters = hook["parameters"];
        if (!parameters.contains("high-availability") || !parameters["high-availability"].is_array()) continue;
        for (auto& relationship : parameters["high-availability"]) {
            if (!relationship.is_object() || !relationship.contains("peers") || !relationship["peers"].is_array()) {
                continue;
            }
            Relationship<Json> found;
            found.entry = &relationship;
            for (const auto& peer : relationship["peers"]) {
                if (peer.is_object() && peer.contains("name") && peer["name"].is_string()) {
                    found.peers.insert(peer["name"].template get<std::string>());
                }
            }
            out.push_back(std::move(found));
        }
    }
    return out;
}

/// The set of relationships, each its peer-name set: what identifies them (SPEC §5).
std::set<std::set<std::string>> relationship_set(const nlohmann::json& document, std::string_view service) {
    std::set<std::set<std::string>> out;
    const auto key = service_key(service);
    if (!document.is_object() || !document.contains(key)) return out;
    for (const auto& relationship : relationships_of(document[key])) out.insert(relationship.peers);
    return out;
}

/// "{branch1+hub1, branch2+hub2}"; "{}" without HA.
std::string describe(const std::set<std::set<std::string>>& relationships) {
    std::string text = "{";
    for (const auto& peers : relationships) {
        if (text.size() > 1) text += ", ";
        text += describe(RelationshipScope{peers});
    }
    return text + "}";
}

}  // namespace

std::string describe(const RelationshipScope& relationship) {
    std::string joined;
    for (const auto& name : relationship.peers) joined += (joined.empty() ? "" : "+") + name;
    return joined;
}

std::vector<RelationshipScope> relationships_in(const nlohmann::json& document, std::string_view service) {
    std::vector<RelationshipScope> out;
    const auto key = service_key(service);
    if (!document.is_object() || !document.contains(key)) return out;
    for (const auto& relationship : relationships_of(document[key])) out.push_back({relationship.peers});
    return out;
}

std::vector<RelationshipScope> relationships_beyond(const nlohmann::json& sot_document, std::string_view service,
                                                    const RelationshipScope& relationship,
                                                    const std::set<std::string>& cluster_hosts) {
    std::vector<RelationshipScope> out;
    const auto key = service_key(service);
    if (!sot_document.is_object() || !sot_document.contains(key)) return out;
    for (const auto& found : relationships_of(sot_document[key])) {
        if (found.peers == relationship.peers) continue;
        // The same reading of a URL's host as the daemon's of the cluster's peers (host_of_url).
        const auto outside = [&](const nlohmann::json& peer) {
            if (!peer.is_object() || !peer.contains("url") || !peer["url"].is_string()) return false;
            const auto host = host_of_url(peer["url"].get_ref<const std::string&>());
            return !host || !cluster_hosts.count(*host);
        };
        const auto& peers = (*found.entry)["peers"];
        if (std::any_of(peers.begin(), peers.end(), outside)) out.push_back({found.peers});
    }
    return out;
}

std::string service_key(std::string_view service) { return service == "dhcp6" ? "Dhcp6" : "Dhcp4"; }

Result<nlohmann::json> canonical_config(nlohmann::json document, std::string_view service) {
    auto config = service_config_of(document, service, "the config");
    if (!config) return config.error();
    document.erase("hash");
    document[service_key(service)].erase("hash");
    return document;
}

std::string describe_relationships(const nlohmann::json& document, std::string_view service) {
    return describe(relationship_set(document, service));
}

std::optional<std::string> relationship_mismatch(const nlohmann::json& sot_document,
                                                 const nlohmann::json& target_document, std::string_view service,
                                                 std::string_view sot_name, std::string_view target_name) {
    const auto sot = relationship_set(sot_document, service);
    const auto target = relationship_set(target_document, service);
    if (sot == target) return std::nullopt;
    return "refusing to write the whole config of " + std::string(sot_name) + " onto " + std::string(target_name) +
           ": its HA relationships " + describe(target) + " differ from the source of truth's " + describe(sot) +
           "; replicating only the shared relationship is not supported yet (SPEC §5)";
}

Result<nlohmann::json> transform_for(nlohmann::json sot_document, std::string_view service,
                                     std::string_view target, const nlohmann::json& target_current,
                                     const std::vector<std::string>& peer_local_parameters) {
    auto sot = canonical_config(std::move(sot_document), service);
    if (!sot) return sot.error();
    auto current = service_config_of(target_current, service, "the target's current config");
    if (!current) return current.error();
    const std::string key = service_key(service);
    nlohmann::json out = std::move(*sot);
    auto& config = out[key];

    auto relationships = relationships_of(config);
    const auto cluster = std::find_if(relationships.begin(), relationships.end(),
                                      [&](const auto& r) { return r.peers.count(std::string(target)) > 0; });
    // A standalone server (no HA hook on either side, SPEC §1): its own config back to itself,
    // with nothing of HA to keep. Any other config that does not list the target is refused.
    const bool standalone = relationships.empty() && relationships_of(**current).empty();
    if (cluster == relationships.end() && !standalone) {
        return make_error(ErrorKind::Conflict, "the source of truth's HA config does not list peer '" +
                                                   std::string(target) + "'; refusing to give it that config");
    }
    // SPEC §5: a whole config is never written onto a peer whose relationships differ (a hub
    // and its branch would lose the other relationships, measured on Kea 2.6).
    const auto* named = cluster != relationships.end() && cluster->entry->contains("this-server-name")
                            ? &(*cluster->entry)["this-server-name"]
                            : nullptr;
    const std::string sot_name = named && named->is_string() ? named->get<std::string>() : "the source of truth";
    if (auto mismatch = relationship_mismatch(out, target_current, service, sot_name, target)) {
        return make_error(ErrorKind::Conflict, std::move(*mismatch));
    }

    // SPEC §5: each peer keeps its own identity in EVERY relationship. Copying
    // this-server-name makes the target believe it is the SoT's peer, which breaks HA on
    // both (in a mutual pair the other relationship's name too, measured on Kea 2.6).
    // Same peer-name set = same relationship; the sets are equal (checked above).
    const auto theirs = relationships_of(**current);
    for (auto& relationship : relationships) {
        const auto same = std::find_if(theirs.begin(), theirs.end(),
                                       [&](const auto& r) { return r.peers == relationship.peers; });
        assert(same != theirs.end());  // the sets of relationships are equal
        const nlohmann::json* name = same->entry->contains("this-server-name") ? &(*same->entry)["this-server-name"]
                                                                              : nullptr;
        if (name && name->is_string()) {
            (*relationship.entry)["this-server-name"] = *name;
        } else if (relationship.peers.count(std::string(target))) {
            (*relationship.entry)["this-server-name"] = std::string(target);
        } else {
            return make_error(ErrorKind::Conflict, "the HA relationship {" + describe(RelationshipScope{relationship.peers}) +
                                                       "} of " + std::string(target) +
                                                       "'s current config has no this-server-name; refusing to "
                                                       "guess which of its peers it is");
        }
    }

    // SPEC §5 / kea-2.2-facts: a peer-local key copied from another peer kills the target
    // (its control socket, lease file, log file) or steals an identity (Dhcp6 server-id: two
    // servers answering with one DUID). Keep the target's own, or none. kAlwaysPerServer is
    // kept whatever keaPeerLocalParameters says: another server's HTTP socket address (Kea 3.x
    // `control-sockets`) would cut the controller off from the target (measured on Kea 3.0),
    // and a copied `server-id` made a DHCPv6 standby answer with the primary's DUID.
    auto keep_own = [&](std::string_view name) {
        const std::string key(name);
        if ((*current)->contains(key)) {
            config[key] = (**current)[key];
        } else {
            config.erase(key);
        }
    };
    for (const auto& name : peer_local_parameters) keep_own(name);
    for (const auto name : kAlwaysPerServer)
        if (std::find(peer_local_parameters.begin(), peer_local_parameters.end(), name) == peer_local_parameters.end())
            keep_own(name);
    return out;
}

namespace {
/// x == y, except that a member "hash" of either object is ignored.
bool equal_ignoring_hash(const nlohmann::json& x, const nlohmann::json& y) {
    if (!x.is_object() || !y.is_object()) return x == y;
    std::size_t x_members = 0;
    for (auto it = x.begin(); it != x.end(); ++it) {
        if (it.key() == "hash") continue;
        ++x_members;
        auto other = y.find(it.key());
        if (other == y.end() || !(*it == *other)) return false;
    }
    return x_members == y.size() - (y.contains("hash") ? 1 : 0);
}
}  // namespace

bool same_config(const nlohmann::json& a, const nlohmann::json& b) {
    // Without copying either document (configs reach ~9 MB). nlohmann::json objects are
    // ordered maps: equality ignores member order. `hash` is ignored at the top (Kea >= 2.4's
    // config-get) and one level down.
    if (!a.is_object() || !b.is_object()) return a == b;
    std::size_t a_members = 0;
    for (auto it = a.begin(); it != a.end(); ++it) {
        if (it.key() == "hash") continue;
        ++a_members;
        auto other = b.find(it.key());
        if (other == b.end() || !equal_ignoring_hash(*it, *other)) return false;
    }
    return a_members == b.size() - (b.contains("hash") ? 1 : 0);
}

nlohmann::json config_diff(const nlohmann::json& from, const nlohmann::json& to) {
    if (same_config(from, to)) return nlohmann::json::array();
    return nlohmann::json::diff(from, to);
}

std::string summarize_patch(const nlohmann::json& patch, std::size_t shown) {
    if (!patch.is_array() || patch.empty()) return {};
    std::string out;
    std::size_t listed = 0;
    for (const auto& operation : patch) {
        if (listed == shown) break;
        const auto path = operation.is_object() ? operation.value("path", nlohmann::json()) : nlohmann::json();
        if (!path.is_string()) continue;
        out += (out.empty() ? "" : ", ") + path.get<std::string>();
        ++listed;
    }
    if (patch.size() > listed) out += " (+" + std::to_string(patch.size() - listed) + " more)";
    return out;
}

std::string config_etag(const nlohmann::json& canonical_document) {
    std::uint64_t hash = 14695981039346656037ull;  // FNV-1a 64
    for (unsigned char c : canonical_document.dump()) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    char text[24];
    std::snprintf(text, sizeof text, "\"%016llx\"", static_cast<unsigned long long>(hash));
    return text;
}

std::optional<std::string> kea_hash_etag(std::string_view kea_hash) {
    // Only a hash that can stand in a header as it is (a garbled one could end the header).
    const bool usable = !kea_hash.empty() && kea_hash.size() <= 128 &&
                        std::all_of(kea_hash.begin(), kea_hash.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
    if (!usable) return std::nullopt;
    return "\"kea-" + std::string(kea_hash) + "\"";
}

std::string config_etag(const nlohmann::json& canonical_document, std::string_view kea_hash) {
    auto from_kea = kea_hash_etag(kea_hash);
    return from_kea ? std::move(*from_kea) : config_etag(canonical_document);
}

bool comparable_etags(std::string_view a, std::string_view b) {
    const auto from_kea = [](std::string_view etag) { return etag.substr(0, 5) == "\"kea-"; };
    return from_kea(a) == from_kea(b);
}

DocumentShape document_shape(const nlohmann::json& document) {
    DocumentShape shape;
    std::vector<std::pair<const nlohmann::json*, std::size_t>> todo{{&document, 1}};
    while (!todo.empty()) {
        const auto [value, depth] = todo.back();
        todo.pop_back();
        ++shape.values;
        shape.depth = std::max(shape.depth, depth);
        if (value->is_structured()) {
            for (const auto& child : *value) todo.emplace_back(&child, depth + 1);
        }
    }
    return shape;
}

namespace {

/// Issue 32: what one JSON Patch operation would add, checked before it runs: the value it
/// places (its own, or a copy of the one at "from") at the depth of "path". A malformed
/// operation passes here and is refused by the patch itself.
std::optional<std::string> grows_too_much(const nlohmann::json& out, const nlohmann::json& op, std::size_t& values) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string() || !op.contains("path") || !op["path"].is_string()) {
        return std::nullopt;
    }
    const auto name = op["op"].get<std::string>();
    const nlohmann::json* placed = nullptr;
    if (name == "add" || name == "replace") {
        if (op.contains("value")) placed = &op["value"];
    } else if (name == "copy" || name == "move") {
        if (!op.contains("from") || !op["from"].is_string()) return std::nullopt;
        try {
            placed = &out.at(nlohmann::json::json_pointer(op["from"].get<std::string>()));
        } catch (const nlohmann::json::exception&) {
            return std::nullopt;
        }
    }
    if (!placed) return std::nullopt;
    const auto path = op["path"].get<std::string>();
    const auto levels = static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
    const auto shape = document_shape(*placed);
    if (levels + shape.depth > kMaxDocumentDepth) {
        return "the patched document would nest deeper than " + std::to_string(kMaxDocumentDepth) + " levels (at " + path + ")";
    }
    if (name != "move") values += shape.values;
    if (values > kMaxDocumentValues) {
        return "the patched document would hold more than " + std::to_string(kMaxDocumentValues) + " values (at " + path + ")";
    }
    return std::nullopt;
}

}  // namespace

Result<nlohmann::json> apply_patch(const nlohmann::json& document, const nlohmann::json& patch, PatchKind kind,
                                   std::string_view service) {
    nlohmann::json out;
    if (kind == PatchKind::JsonPatch) {
        if (!patch.is_array()) {
            return make_error(ErrorKind::Invalid, "a JSON Patch (application/json-patch+json) must be an array of operations");
        }
        if (patch.size() > kMaxPatchOperations) {
            return make_error(ErrorKind::Invalid, "a JSON Patch may have at most " + std::to_string(kMaxPatchOperations) +
                                                      " operations (got " + std::to_string(patch.size()) + ")");
        }
        // One operation at a time, each checked before it runs: a copy bomb is refused before
        // the document grows (RFC 6902 applies the operations in order all the same).
        out = document;
        std::size_t values = document_shape(out).values;
        try {
            for (const auto& op : patch) {
                if (auto too_much = grows_too_much(out, op, values)) return make_error(ErrorKind::Invalid, *too_much);
                out.patch_inplace(nlohmann::json::array({op}));
            }
        } catch (const nlohmann::json::exception& e) {
            return make_error(ErrorKind::Invalid, std::string("JSON Patch does not apply: ") + e.what());
        }
    } else {
        if (!patch.is_object()) {
            return make_error(ErrorKind::Invalid,
                              "a Merge Patch (application/merge-patch+json) must be an object for a config document");
        }
        out = document;
        out.merge_patch(patch);
        // A merge patch adds at most its own values (bounded by the body's size and depth).
        const auto shape = document_shape(out);
        if (shape.depth > kMaxDocumentDepth || shape.values > kMaxDocumentValues) {
            return make_error(ErrorKind::Invalid, "the patched document would nest deeper than " +
                                                      std::to_string(kMaxDocumentDepth) + " levels or hold more than " +
                                                      std::to_string(kMaxDocumentValues) + " values");
        }
    }
    auto checked = canonical_config(std::move(out), service);
    if (!checked) {
        return make_error(ErrorKind::Invalid, "the patched config is no longer a config document: " + checked.error().message);
    }
    return checked;
}

}  // namespace kea_ha::core
