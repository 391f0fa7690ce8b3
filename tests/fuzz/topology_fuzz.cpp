// Fuzzes what reads a peer's whole config document (src/core/topology.cpp, SPEC §2, §4
// warnings; src/core/replication.cpp, SPEC §5): learn_topology() on an arbitrary config-get
// answer, then what the daemon does with a learned topology: check_topology(),
// compare_peer_topology(), learn_topology_from_peer(), and the replication readers
// (canonical_config, describe_relationships, relationship_mismatch, transform_for).
//
// Input: JSON, either a recorded config-get answer ([{"result": 0, "arguments": {"Dhcp4": …}}])
// or the document alone ({"Dhcp4": …}). The service is dhcp6 when it has "Dhcp6", else dhcp4.
// Contract checked: learn_topology(topology.source_config) gives the same topology (the state
// directory relies on it), a document has the same relationships as itself, errors have a
// message; nothing crashes or throws (discovery calls these untried).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "kea_ha/core/replication.hpp"
#include "kea_ha/core/topology.hpp"

namespace {

using kea_ha::fuzz::require;
using namespace kea_ha::core;
using nlohmann::json;

constexpr const char* kRegistered = "http://127.0.0.1:8000/";

template <typename T>
void check_error(const Result<T>& result, const char* what) {
    if (!result) require(!result.error().message.empty(), what);
}

void check_learned(const json& document, std::string_view service, const Topology& topology,
                   const ControlUrlRules& rules) {
    require(!topology.peers.empty(), "a topology has at least one peer");
    require(topology.primary() != nullptr, "a topology has a primary");

    // The state directory keeps source_config instead of the whole config (topology.hpp).
    auto again = learn_topology(topology.source_config, service, topology.registered_url, rules, "dhcp-a");
    require(again.ok(), "learn_topology(source_config) learns a topology again");
    require(*again == topology, "learn_topology(source_config) gives the same topology");

    (void)check_topology(topology, rules);
    for (const auto& peer : topology.peers) {
        for (const auto& warning : compare_peer_topology(topology, peer.name, document)) {
            require(!warning.message.empty(), "a peer-config-mismatch warning has a message");
        }
        auto from_peer = learn_topology_from_peer(document, peer.name, topology, rules);
        check_error(from_peer, "learn_topology_from_peer() errors have a message");
        auto transformed = transform_for(document, service, peer.name, document,
                                         {"interfaces-config", "control-socket", "lease-database", "loggers"});
        check_error(transformed, "transform_for() errors have a message");
        if (transformed) require(canonical_config(*transformed, service).ok(), "a transformed config is a document");
        auto url = control_url_for(peer.name, peer.url, topology.dedicated_listener, rules);
        check_error(url, "control_url_for() errors have a message");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const json input = json::parse(kea_ha::fuzz::text_of(data, size), nullptr, false);
    if (input.is_discarded()) return 0;
    // A recorded answer: the first element's "arguments", as discovery takes it after parse_answer().
    const bool answer = input.is_array() && !input.empty() && input.front().is_object() &&
                        input.front().contains("arguments");
    const json& document = answer ? input.front()["arguments"] : input;
    const std::string_view service = document.is_object() && document.contains("Dhcp6") ? "dhcp6" : "dhcp4";

    (void)describe_relationships(document, service);
    require(!relationship_mismatch(document, document, service, "a", "b"), "a document has its own relationships");
    check_error(canonical_config(document, service), "canonical_config() errors have a message");
    if (document.is_object()) {
        if (auto config = document.find(service_key(service)); config != document.end()) {
            check_error(parse_ha_relationships(*config, ControlUrlRules{}), "parse_ha_relationships() errors");
        }
    }

    ControlUrlRules overridden;
    overridden.overrides = {{"server2", "http://127.0.0.2:8000/"}, {"hub1", "https://[::1]:8443/"}};
    overridden.control_agent_port = 8080;
    overridden.multi_threading_default = true;
    for (const ControlUrlRules& rules : {ControlUrlRules{}, overridden}) {
        auto topology = learn_topology(document, service, kRegistered, rules, "dhcp-a");
        check_error(topology, "learn_topology() errors have a message");
        if (topology) check_learned(document, service, *topology, rules);
    }
    return 0;
}
