#include "kea_ha/core/ha_config_checks.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "kea_ha/core/relationship_scope.hpp"
#include "kea_ha/core/replication.hpp"

namespace kea_ha::core {
namespace {

using nlohmann::json;

constexpr std::string_view kLeaseCmdsLibrary = "libdhcp_lease_cmds.so";

std::string quote(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string section_key(std::string_view service) { return service == "dhcp6" ? "Dhcp6" : "Dhcp4"; }
std::string subnets_key(std::string_view service) { return service == "dhcp6" ? "subnet6" : "subnet4"; }

const json* service_config(const json& arguments, std::string_view service) {
    if (!arguments.is_object()) return nullptr;
    const auto found = arguments.find(section_key(service));
    return found != arguments.end() && found->is_object() ? &*found : nullptr;
}

/// host (lower case, IPv6 in brackets) and port of an HA url or control socket.
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;

    bool wildcard() const { return host == "0.0.0.0" || host == "[::]"; }
    /// Two sockets that cannot both be bound: the same port on the same address or a wildcard.
    bool clashes_with(const Endpoint& other) const {
        return port == other.port && (host == other.host || wildcard() || other.wildcard());
    }
    std::string text() const { return host + ":" + std::to_string(port); }
};

std::optional<Endpoint> endpoint_of_url(std::string_view url) {
    const auto endpoint = url_endpoint(url);
    if (!endpoint) return std::nullopt;
    return Endpoint{endpoint->host, endpoint->port};
}

bool is_loopback(const std::string& host) {
    return host.rfind("127.", 0) == 0 || host == "[::1]" || host == "localhost";
}

bool has_hook(const json& config, std::string_view library) {
    const auto hooks = config.find("hooks-libraries");
    if (hooks == config.end() || !hooks->is_array()) return false;
    for (const auto& hook : *hooks) {
        if (!hook.is_object() || !hook.contains("library") || !hook["library"].is_string()) continue;
        const auto path = hook["library"].get<std::string>();
        const auto slash = path.find_last_of('/');
        if ((slash == std::string::npos ? path : path.substr(slash + 1)) == library) return true;
    }
    return false;
}

std::string names_joined(const std::vector<std::string>& names, std::string_view separator = ", ") {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : std::string(separator)) + name;
    return out;
}

/// The document the cross-peer checks compare against: the primary's, else the first given.
const PeerConfigDocument* reference_of(const Topology& topology, std::span<const PeerConfigDocument> documents) {
    for (const auto& document : documents)
        if (document.peer == topology.this_server_name) return &document;
    return documents.empty() ? nullptr : &documents.front();
}

/// Every subnet of a service config (top level, then inside shared networks), by label
/// (the prefix, else "id N"; as relationship_scope names them).
std::vector<const json*> all_subnets(const json& config, std::string_view service) {
    std::vector<const json*> out;
    const auto key = subnets_key(service);
    if (config.contains(key) && config[key].is_array())
        for (const auto& subnet : config[key]) out.push_back(&subnet);
    if (config.contains("shared-networks") && config["shared-networks"].is_array()) {
        for (const auto& network : config["shared-networks"]) {
            if (!network.is_object() || !network.contains(key) || !network[key].is_array()) continue;
            for (const auto& subnet : network[key]) out.push_back(&subnet);
        }
    }
    return out;
}

std::string prefix_of(const json& subnet) {
    if (subnet.is_object() && subnet.contains("subnet") && subnet["subnet"].is_string()) {
        return lower(subnet["subnet"].get<std::string>());
    }
    return {};
}

/// The subnets of `arguments` bound to the cluster's relationship, by prefix; nullopt when the
/// document does not take part in it or its subnets cannot be placed (replication says why).
std::optional<std::map<std::string, const json*>> relationship_subnets(const Topology& topology, const json& arguments) {
    const auto* config = service_config(arguments, topology.service);
    if (!config) return std::nullopt;
    const auto relationship = relationship_of_peer(arguments, topology.service, topology.this_server_name);
    if (!relationship) return std::nullopt;
    const auto scope = scope_of(arguments, topology.service, *relationship);
    if (!scope) return std::nullopt;
    std::set<std::string> in_scope;
    for (const auto& label : scope->subnets) in_scope.insert(lower(label));
    std::map<std::string, const json*> out;
    for (const auto* subnet : all_subnets(*config, topology.service)) {
        const auto prefix = prefix_of(*subnet);
        if (!prefix.empty() && in_scope.count(prefix)) out.emplace(prefix, subnet);
    }
    return out;
}

std::optional<json> id_of(const json& subnet) {
    if (subnet.is_object() && subnet.contains("id") && subnet["id"].is_number_integer()) return subnet["id"];
    return std::nullopt;
}

// ---------------------------------------------------------------- subnet ids

void check_subnet_ids(const Topology& topology, std::span<const PeerConfigDocument> documents,
                      std::vector<Warning>& warnings) {
    const auto* reference = reference_of(topology, documents);
    if (!reference) return;
    const auto theirs_of_reference = relationship_subnets(topology, *reference->arguments);
    if (!theirs_of_reference) return;
    const auto& expected = *theirs_of_reference;
    std::set<std::pair<std::string, std::string>> without_id;  // (peer, prefix): said once
    auto missing_id = [&](const std::string& peer, const std::string& prefix) {
        if (!without_id.insert({peer, prefix}).second) return;
        warnings.push_back({warning_code::kSubnetIdMismatch,
                            "subnet " + prefix + " has no id on " + quote(peer) +
                                ": Kea numbers it itself, so the peers may number it differently and reject each "
                                "other's lease updates (Kea terminates HA after max-rejected-lease-updates); give "
                                "it an explicit \"id\", the same on every peer",
                            peer});
    };
    for (const auto& [prefix, subnet] : expected) {
        if (!id_of(*subnet)) missing_id(reference->peer, prefix);
    }
    for (const auto& document : documents) {
        if (&document == reference) continue;
        const auto subnets = relationship_subnets(topology, *document.arguments);
        if (!subnets) continue;
        for (const auto& [prefix, subnet] : *subnets) {
            const auto id = id_of(*subnet);
            if (!id) {
                missing_id(document.peer, prefix);
                continue;
            }
            const auto found = expected.find(prefix);
            if (found == expected.end()) continue;  // not on the reference: drift, replication's business
            const auto reference_id = id_of(*found->second);
            if (!reference_id || *reference_id == *id) continue;
            warnings.push_back({warning_code::kSubnetIdMismatch,
                                "subnet " + prefix + " has id " + id->dump() + " on " + quote(document.peer) +
                                    " but id " + reference_id->dump() + " on " + quote(reference->peer) +
                                    ": lease updates name the subnet by id, so the partner rejects them and Kea "
                                    "terminates HA after max-rejected-lease-updates; give " + prefix +
                                    " the same id on every peer (replicating the config from " +
                                    quote(reference->peer) + " does it)",
                                document.peer});
        }
    }
}

// ---------------------------------------------------------------- lease_cmds on every peer

void check_lease_cmds(const Topology& topology, std::span<const PeerConfigDocument> documents,
                      std::vector<Warning>& warnings) {
    for (const auto& document : documents) {
        // The primary's config: check_topology() (the config the topology was learned from).
        if (document.peer == topology.this_server_name) continue;
        const auto* config = service_config(*document.arguments, topology.service);
        if (!config || has_hook(*config, kLeaseCmdsLibrary)) continue;
        warnings.push_back({warning_code::kLeaseCmdsMissing,
                            std::string(kLeaseCmdsLibrary) + " is not loaded on " + quote(document.peer) +
                                ": HA and Micetro both need it for lease commands (lease updates from the partner "
                                "and lease syncs fail on that peer); add it to " + section_key(topology.service) +
                                ".hooks-libraries there",
                            document.peer});
    }
}

// ---------------------------------------------------------------- load-balancing pools

/// The HA_<server> classes a pool class stands for: the class itself, or (Kea ARM, "Load
/// Balancing With Advanced Classification") a global class whose test names member('HA_x').
std::set<std::string> ha_classes_of(const std::string& name, const json& config,
                                    const std::vector<std::string>& ha_classes) {
    std::set<std::string> out;
    for (const auto& ha : ha_classes)
        if (name == ha) out.insert(ha);
    if (!out.empty()) return out;
    const auto classes = config.find("client-classes");
    if (classes == config.end() || !classes->is_array()) return out;
    for (const auto& definition : *classes) {
        if (!definition.is_object() || definition.value("name", "") != name) continue;
        const auto test = definition.contains("test") && definition["test"].is_string()
                              ? definition["test"].get<std::string>()
                              : std::string();
        for (const auto& ha : ha_classes)
            if (test.find("'" + ha + "'") != std::string::npos) out.insert(ha);
    }
    return out;
}

/// The class names a pool is limited to: `client-class` (every version) and `client-classes` (3.0+).
std::vector<std::string> pool_classes(const json& pool) {
    std::vector<std::string> out;
    if (pool.contains("client-class") && pool["client-class"].is_string()) {
        const auto name = pool["client-class"].get<std::string>();
        if (!name.empty()) out.push_back(name);
    }
    if (pool.contains("client-classes") && pool["client-classes"].is_array()) {
        for (const auto& name : pool["client-classes"])
            if (name.is_string()) out.push_back(name.get<std::string>());
    }
    return out;
}

std::string pool_label(const json& pool, std::string_view kind) {
    if (pool.contains("pool") && pool["pool"].is_string()) return pool["pool"].get<std::string>();
    if (pool.contains("prefix") && pool["prefix"].is_string()) {
        return pool["prefix"].get<std::string>() + "/" + pool.value("prefix-len", json()).dump();
    }
    return std::string(kind) + " entry";
}

void check_pools(const Topology& topology, std::span<const PeerConfigDocument> documents,
                 std::vector<Warning>& warnings) {
    if (topology.mode != HaMode::LoadBalancing) return;
    const auto* reference = reference_of(topology, documents);
    if (!reference) return;
    const auto* config = service_config(*reference->arguments, topology.service);
    const auto subnets = relationship_subnets(topology, *reference->arguments);
    if (!config || !subnets) return;
    std::vector<std::string> ha_classes;
    for (const auto& peer : topology.peers)
        if (is_main(peer.role)) ha_classes.push_back("HA_" + peer.name);

    std::vector<std::string> kinds = {"pools"};
    if (topology.service == "dhcp6") kinds.push_back("pd-pools");
    for (const auto& [prefix, subnet] : *subnets) {
        for (const auto& kind : kinds) {
            if (!subnet->contains(kind) || !(*subnet)[kind].is_array() || (*subnet)[kind].empty()) continue;
            std::vector<std::string> unsplit;
            std::set<std::string> covered;
            for (const auto& pool : (*subnet)[kind]) {
                std::set<std::string> of_pool;
                for (const auto& name : pool_classes(pool))
                    for (const auto& ha : ha_classes_of(name, *config, ha_classes)) of_pool.insert(ha);
                if (of_pool.empty()) unsplit.push_back(pool_label(pool, kind));
                covered.insert(of_pool.begin(), of_pool.end());
            }
            std::vector<std::string> uncovered;
            for (const auto& ha : ha_classes)
                if (!covered.count(ha)) uncovered.push_back(ha);
            if (unsplit.empty() && uncovered.empty()) continue;
            std::string why;
            if (!unsplit.empty()) {
                why = (unsplit.size() == 1 ? kind.substr(0, kind.size() - 1) + " " : kind + " ") + names_joined(unsplit) +
                      (unsplit.size() == 1 ? " has" : " have") + " no " + names_joined(ha_classes, " / ") +
                      " client class, so both servers allocate from it and can give one address" +
                      (kind == "pd-pools" ? " (prefix)" : "") + " to two clients";
            }
            if (!uncovered.empty()) {
                why += std::string(why.empty() ? "" : "; ") + "no " + kind.substr(0, kind.size() - 1) + " is limited to " +
                       names_joined(uncovered, " / ") + ", so the clients of that server's half get nothing from " +
                       kind + " split for the other";
            }
            warnings.push_back({warning_code::kPoolsNotSplit,
                                "subnet " + prefix + " (load-balancing): " + why + "; split its " + kind +
                                    " between the servers with \"client-class\": \"HA_<server-name>\" (one part per "
                                    "server: " + names_joined(ha_classes) + ")",
                                std::nullopt});
        }
    }
}

// ---------------------------------------------------------------- HA listeners

/// The daemon's own HTTP control sockets (Kea 3.x `control-sockets`, or a `control-socket` of
/// socket-type http/https). Kea's defaults: 127.0.0.1, port 8000.
std::vector<Endpoint> http_control_sockets(const json& config) {
    std::vector<const json*> sockets;
    if (const auto one = config.find("control-socket"); one != config.end() && one->is_object()) sockets.push_back(&*one);
    if (const auto list = config.find("control-sockets"); list != config.end() && list->is_array())
        for (const auto& socket : *list)
            if (socket.is_object()) sockets.push_back(&socket);
    std::vector<Endpoint> out;
    for (const auto* socket : sockets) {
        const auto type = socket->value("socket-type", "");
        if (type != "http" && type != "https") continue;
        Endpoint endpoint;
        auto address = socket->contains("socket-address") && (*socket)["socket-address"].is_string()
                           ? lower((*socket)["socket-address"].get<std::string>())
                           : std::string("127.0.0.1");
        if (address.find(':') != std::string::npos && address.front() != '[') address = "[" + address + "]";
        endpoint.host = address;
        const auto port = socket->value("socket-port", 8000);
        if (port <= 0 || port > 65535) continue;
        endpoint.port = static_cast<std::uint16_t>(port);
        out.push_back(std::move(endpoint));
    }
    return out;
}

/// listener-on-ca-port already names it (check_topology): the cluster's relationship, seen from
/// the primary, with the HA url on keaControlAgentPort or on the registered URL.
bool said_by_check_topology(const Topology& topology, const ControlUrlRules& rules, const std::string& peer,
                            const Endpoint& listener) {
    if (!topology.dedicated_listener || !topology.find_peer(peer)) return false;
    if (listener.port == rules.control_agent_port) return true;
    const auto registered = endpoint_of_url(topology.registered_url);
    return peer == topology.this_server_name && registered && registered->port == listener.port &&
           registered->host == listener.host;
}

void check_listeners(const Topology& topology, std::span<const PeerConfigDocument> documents,
                     const ControlUrlRules& given_rules, std::vector<Warning>& warnings) {
    std::set<std::string> said;  // a conflict seen in two peers' configs is said once
    auto warn = [&](const std::string& peer, std::string message) {
        if (!said.insert(message).second) return;
        warnings.push_back({warning_code::kListenerConflict, std::move(message), peer});
    };
    ControlUrlRules rules;  // only the HA urls matter here, not the control URLs
    rules.multi_threading_default = given_rules.multi_threading_default;
    for (const auto& document : documents) {
        const auto* config = service_config(*document.arguments, topology.service);
        if (!config) continue;
        const auto relationships = parse_ha_relationships(*config, rules);
        if (!relationships) continue;  // compare_peer_topology() reports a malformed HA config

        // Every HA url of a relationship whose server runs a dedicated listener, by relationship.
        struct Claim {
            std::size_t relationship;
            std::string peer;
            Endpoint endpoint;
        };
        std::vector<Claim> claims;
        for (std::size_t i = 0; i < relationships->size(); ++i) {
            const auto& relationship = (*relationships)[i];
            if (!relationship.dedicated_listener()) continue;
            for (const auto& peer : relationship.peers)
                if (auto endpoint = endpoint_of_url(peer.url)) claims.push_back({i, peer.name, *endpoint});
        }
        for (std::size_t a = 0; a < claims.size(); ++a) {
            for (std::size_t b = a + 1; b < claims.size(); ++b) {
                if (claims[a].relationship == claims[b].relationship) continue;
                if (!claims[a].endpoint.clashes_with(claims[b].endpoint)) continue;
                const auto& first = (*relationships)[claims[a].relationship];
                const auto& second = (*relationships)[claims[b].relationship];
                warn(document.peer,
                     "the HA urls of " + quote(claims[a].peer) + " (relationship of " + quote(first.this_server_name) +
                         ") and " + quote(claims[b].peer) + " (relationship of " + quote(second.this_server_name) +
                         ") on " + quote(document.peer) + " share " + claims[b].endpoint.text() +
                         ": with multi-threading and http-dedicated-listener each relationship runs its own "
                         "listener, and the second cannot bind (Kea's config-test passes, its config-set fails "
                         "with 'Address already in use'), or one relationship receives the other's heartbeats and "
                         "lease updates; give every relationship of a server its own port (e.g. 8001, 8002)");
            }
        }
        const auto sockets = http_control_sockets(*config);
        for (const auto& relationship : *relationships) {
            if (!relationship.dedicated_listener()) continue;
            const auto* self = relationship.find_peer(relationship.this_server_name);
            if (!self) continue;
            const auto listener = endpoint_of_url(self->url);
            if (!listener) continue;
            for (const auto& socket : sockets) {
                if (!listener->clashes_with(socket)) continue;
                if (said_by_check_topology(topology, given_rules, document.peer, *listener)) continue;
                warn(document.peer,
                     "the HA dedicated listener of " + quote(self->name) + " on " + quote(document.peer) + " (" +
                         self->url + ") is on the daemon's own HTTP control socket " + socket.text() +
                         ": they cannot share it and config commands would reach the HA listener; move the HA url "
                         "to another port (the Kea ARM suggests 8001)");
            }
        }
    }
}

}  // namespace

json ha_check_view(const json& arguments, std::string_view service) {
    const auto* config = service_config(arguments, service);
    if (!config) return json::object();
    const auto key = subnets_key(service);
    // A subnet without its reservations (copied member by member: never the whole subnet).
    auto subnet_view = [](const json& subnet) {
        if (!subnet.is_object()) return subnet;
        json out = json::object();
        for (const auto& [name, value] : subnet.items())
            if (name != "reservations") out[name] = value;
        return out;
    };
    json view = json::object();
    for (const char* name : {"hooks-libraries", "multi-threading", "control-socket", "control-sockets", "client-classes"}) {
        if (const auto found = config->find(name); found != config->end()) view[name] = *found;
    }
    if (const auto subnets = config->find(key); subnets != config->end() && subnets->is_array()) {
        json list = json::array();
        for (const auto& subnet : *subnets) list.push_back(subnet_view(subnet));
        view[key] = std::move(list);
    }
    if (const auto networks = config->find("shared-networks"); networks != config->end() && networks->is_array()) {
        json list = json::array();
        for (const auto& network : *networks) {
            if (!network.is_object()) continue;
            json copy = json::object();
            for (const auto& [name, value] : network.items()) {
                if (name == "reservations") continue;
                if (name != key || !value.is_array()) {
                    copy[name] = value;
                    continue;
                }
                json subnets = json::array();
                for (const auto& subnet : value) subnets.push_back(subnet_view(subnet));
                copy[name] = std::move(subnets);
            }
            list.push_back(std::move(copy));
        }
        view["shared-networks"] = std::move(list);
    }
    return json{{section_key(service), std::move(view)}};
}

std::vector<Warning> check_failover_timers(const Topology& topology) {
    std::vector<Warning> warnings;
    if (topology.mode != HaMode::LoadBalancing && topology.mode != HaMode::HotStandby) return warnings;
    const auto& timers = topology.timers;
    const auto ack = timers.max_ack_delay.count();
    if (timers.max_unacked_clients == 0) {
        // Kea ARM: 0 disables failure detection by client traffic; "useful if the servers are
        // located very close to each other and network partitioning is unlikely". Peers on one
        // host (loopback) qualify; peers on different hosts can lose their HA channel alone.
        std::set<std::string> hosts;
        bool all_loopback = true;
        for (const auto& peer : topology.peers) {
            if (!is_main(peer.role)) continue;
            const auto endpoint = endpoint_of_url(peer.url);
            if (!endpoint) continue;
            hosts.insert(endpoint->host);
            all_loopback = all_loopback && is_loopback(endpoint->host);
        }
        if (hosts.size() > 1 && !all_loopback) {
            warnings.push_back({warning_code::kFailoverTimers,
                                "max-unacked-clients is 0: a peer goes to partner-down as soon as its partner misses "
                                "heartbeats for max-response-delay (" +
                                    std::to_string(timers.max_response_delay.count()) +
                                    " ms), with no check that clients go unanswered, so a cut HA channel alone makes "
                                    "both peers serve every client (split brain). The Kea ARM keeps 0 for servers "
                                    "close to each other where a network partition is unlikely; otherwise set "
                                    "max-unacked-clients above 0 (Kea's default 10, the ARM's examples 5)",
                                std::nullopt});
        }
        return warnings;
    }
    // A client counts as unacked once its secs field (DHCPv4, seconds) or elapsed-time option
    // (DHCPv6, hundredths of a second, at most 655.35 s) passes max-ack-delay.
    const bool v6 = topology.service == "dhcp6";
    const std::int64_t ceiling = v6 ? 655350 : 60000;
    if (ack >= ceiling) {
        warnings.push_back({warning_code::kFailoverTimers,
                            "max-ack-delay is " + std::to_string(ack) + " ms with max-unacked-clients " +
                                std::to_string(timers.max_unacked_clients) + ": " +
                                (v6 ? std::string("a DHCPv6 client's elapsed-time option cannot exceed 655350 ms, so "
                                                  "no client ever counts as unacked")
                                    : std::string("common DHCPv4 clients start over (ISC dhclient after 60 s) before "
                                                  "their secs field passes it, so hardly any client counts as unacked")) +
                                " and a partner that stopped serving is never taken over (no partner-down); keep "
                                "max-ack-delay at a few seconds (Kea's default 10000 ms, the ARM's examples 5000 ms)",
                            std::nullopt});
    }
    return warnings;
}

std::vector<Warning> check_ha_configs(const Topology& topology, std::span<const PeerConfigDocument> documents,
                                      const ControlUrlRules& rules) {
    std::vector<Warning> warnings;
    if (topology.mode == HaMode::Standalone) return warnings;
    check_subnet_ids(topology, documents, warnings);
    check_lease_cmds(topology, documents, warnings);
    check_pools(topology, documents, warnings);
    check_listeners(topology, documents, rules, warnings);
    return warnings;
}

}  // namespace kea_ha::core
