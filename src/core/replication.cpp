#include "kea_ha/core/replication.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

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
    if (document.size() != 1) {
        return make_error(ErrorKind::Invalid, std::string(what) + " must have exactly one member, \"" + key + "\"");
    }
    return &document[key];
}

}  // namespace

std::string service_key(std::string_view service) { return service == "dhcp6" ? "Dhcp6" : "Dhcp4"; }

Result<nlohmann::json> canonical_config(nlohmann::json document, std::string_view service) {
    auto config = service_config_of(document, service, "the config");
    if (!config) return config.error();
    document[service_key(service)].erase("hash");
    return document;
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

    // SPEC §5: each peer keeps its own identity. Copying this-server-name makes the target
    // believe it is the SoT's peer, which breaks HA on both.
    bool listed = false;
    if (config.contains("hooks-libraries") && config["hooks-libraries"].is_array()) {
        for (auto& hook : config["hooks-libraries"]) {
            if (!is_ha_library(hook)) continue;
            auto* relationships = hook.contains("parameters") && hook["parameters"].is_object() &&
                                          hook["parameters"].contains("high-availability") &&
                                          hook["parameters"]["high-availability"].is_array()
                                      ? &hook["parameters"]["high-availability"]
                                      : nullptr;
            if (!relationships) continue;
            for (auto& relationship : *relationships) {
                if (!relationship.is_object() || !relationship.contains("peers") || !relationship["peers"].is_array()) {
                    continue;
                }
                const auto& peers = relationship["peers"];
                const bool has_target = std::any_of(peers.begin(), peers.end(), [&](const nlohmann::json& peer) {
                    return peer.is_object() && peer.value("name", "") == target;
                });
                if (has_target) {
                    relationship["this-server-name"] = std::string(target);
                    listed = true;
                }
            }
        }
    }
    if (!listed) {
        return make_error(ErrorKind::Conflict, "the source of truth's HA config does not list peer '" +
                                                   std::string(target) + "'; refusing to give it that config");
    }

    // SPEC §5 / kea-2.2-facts: a peer-local key copied from another peer kills the target
    // (its control socket, lease file, log file). Keep the target's own, or none.
    for (const auto& name : peer_local_parameters) {
        if ((*current)->contains(name)) {
            config[name] = (**current)[name];
        } else {
            config.erase(name);
        }
    }
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
    // ordered maps: equality ignores member order. `hash` is ignored one level down.
    if (!a.is_object() || !b.is_object()) return a == b;
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
        auto other = b.find(it.key());
        if (other == b.end() || !equal_ignoring_hash(*it, *other)) return false;
    }
    return true;
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

Result<nlohmann::json> apply_patch(const nlohmann::json& document, const nlohmann::json& patch, PatchKind kind,
                                   std::string_view service) {
    nlohmann::json out;
    if (kind == PatchKind::JsonPatch) {
        if (!patch.is_array()) {
            return make_error(ErrorKind::Invalid, "a JSON Patch (application/json-patch+json) must be an array of operations");
        }
        try {
            out = document.patch(patch);
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
    }
    auto checked = canonical_config(std::move(out), service);
    if (!checked) {
        return make_error(ErrorKind::Invalid, "the patched config is no longer a config document: " + checked.error().message);
    }
    return checked;
}

}  // namespace kea_ha::core
