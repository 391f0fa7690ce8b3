// Fuzzes core::apply_patch() (src/core/replication.cpp, SPEC §6 PATCH): an RFC 6902 JSON Patch
// or an RFC 7396 Merge Patch applied to a config document, as PATCH /v1/clusters/NAME/config
// does with the SoT's document (src/daemon/cluster_replication.cpp, no try around it).
//
// Input: a JSON object {"document": DOCUMENT, "patch": PATCH}; any other JSON value is the
// patch, applied to a small built-in Dhcp4 document. The kind follows the patch as the CLI
// tells them apart (a list: JSON Patch, else Merge Patch); the other kind is tried too.
// The service is dhcp6 when the document has "Dhcp6", else dhcp4.
// Contract checked: a patched config is still a canonical document for its service, a Merge
// Patch is idempotent (RFC 7396), an error has a message; nothing crashes or throws.

#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "kea_ha/core/replication.hpp"

namespace {

using kea_ha::fuzz::require;
using namespace kea_ha::core;
using nlohmann::json;

const json& builtin_document() {
    static const json document = json::parse(R"({"Dhcp4": {
        "interfaces-config": {"interfaces": ["eth0"]},
        "valid-lifetime": 4000,
        "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.200"}]}],
        "hooks-libraries": [{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so",
            "parameters": {"high-availability": [{"this-server-name": "server1", "mode": "hot-standby",
                "peers": [{"name": "server1", "url": "http://192.0.2.1:8001/", "role": "primary"},
                          {"name": "server2", "url": "http://192.0.2.2:8001/", "role": "standby"}]}]}}],
        "hash": "0123"}})");
    return document;
}

void check(const json& document, const json& patch, PatchKind kind, std::string_view service) {
    auto patched = apply_patch(document, patch, kind, service);
    if (!patched) {
        require(!patched.error().message.empty(), "a patch error has a message");
        return;
    }
    auto canonical = canonical_config(*patched, service);
    require(canonical.ok(), "a patched config is a document for its service");
    require(same_config(*canonical, *patched) && *canonical == *patched, "a patched config is canonical (no hash)");
    require(config_etag(*patched) == config_etag(*canonical), "the ETag of a canonical document is stable");
    if (kind == PatchKind::MergePatch) {
        auto again = apply_patch(*patched, patch, kind, service);
        require(again.ok() && *again == *patched, "a Merge Patch applied twice gives the same document");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = kea_ha::fuzz::text_of(data, size);
    // The routes parse the body the same way (routes.cpp catches json::parse_error: a 400).
    const json input = json::parse(text, nullptr, false);
    if (input.is_discarded()) return 0;
    const bool both = input.is_object() && input.contains("document") && input.contains("patch");
    const json& document = both ? input["document"] : builtin_document();
    const json& patch = both ? input["patch"] : input;
    const std::string_view service = document.is_object() && document.contains("Dhcp6") ? "dhcp6" : "dhcp4";

    const PatchKind kind = patch.is_array() ? PatchKind::JsonPatch : PatchKind::MergePatch;
    check(document, patch, kind, service);
    check(document, patch, kind == PatchKind::JsonPatch ? PatchKind::MergePatch : PatchKind::JsonPatch, service);
    return 0;
}
