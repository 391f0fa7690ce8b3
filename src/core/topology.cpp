#include "kea_ha/core/topology.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <utility>

#include "kea_ha/core/ha_config_checks.hpp"

namespace kea_ha::core {
namespace {

using nlohmann::json;

constexpr std::string_view kHaLibrary = "libdhcp_ha.so";
constexpr std::string_view kLeaseCmdsLibrary = "libdhcp_lease_cmds.so";

// ---------------------------------------------------------------- small helpers

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

std::string quote(std::string_view text) { return "'" + std::string(text) + "'"; }

/// A JSON value as it would appear in a message (strings quoted by dump()).
std::string shown(const json& value) {
    auto text = value.dump();
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

/// The file name of a hooks-libraries `library` path: Kea accepts any path, and from 3.0
/// a bare name resolved in its hooks directory.
std::string_view file_name(std::string_view path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

struct UrlParts {
    std::string scheme;  ///< lower case: http or https
    std::string host;    ///< as written; IPv6 keeps its brackets
    std::optional<std::uint16_t> port;
    std::string path;    ///< from the first '/' on; may be empty
};

/// http(s)://HOST[:PORT][/…]. Kea requires an IP literal as HOST; we accept names too,
/// since the registered URL (a CA) may use one.
std::optional<UrlParts> split_url(std::string_view url) {
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) return std::nullopt;
    UrlParts parts;
    parts.scheme = lower(url.substr(0, sep));
    if (parts.scheme != "http" && parts.scheme != "https") return std::nullopt;
    auto rest = url.substr(sep + 3);
    const auto slash = rest.find('/');
    const auto authority = rest.substr(0, slash);
    parts.path = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    std::string_view port_text;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        parts.host = std::string(authority.substr(0, close + 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port_text = after.substr(1);
            if (port_text.empty()) return std::nullopt;
        }
    } else {
        const auto colon = authority.rfind(':');
        if (colon == std::string_view::npos) {
            parts.host = std::string(authority);
        } else {
            parts.host = std::string(authority.substr(0, colon));
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return std::nullopt;
        }
        if (parts.host.empty()) return std::nullopt;
    }
    if (!port_text.empty()) {
        unsigned value = 0;
        const auto* end = port_text.data() + port_text.size();
        const auto [ptr, ec] = std::from_chars(port_text.data(), end, value);
        if (ec != std::errc() || ptr != end || value == 0 || value > 65535) return std::nullopt;
        parts.port = static_cast<std::uint16_t>(value);
    }
    return parts;
}

std::uint16_t effective_port(const UrlParts& parts) {
    if (parts.port) return *parts.port;
    return parts.scheme == "https" ? 443 : 80;
}

/// For comparing two peers' spellings of one URL: case, default port and an empty path.
std::string normalized_url(std::string_view url) {
    const auto parts = split_url(url);
    if (!parts) return std::string(url);
    return parts->scheme + "://" + lower(parts->host) + ":" + std::to_string(effective_port(*parts)) +
           (parts->path.empty() ? "/" : parts->path);
}

/// Removes every member whose name mentions a password (HA basic-auth-password, CB
/// database passwords): the cached source_config is written to the state directory.
json without_passwords(const json& value) {
    if (value.is_object()) {
        json out = json::object();
        for (const auto& [key, member] : value.items()) {
            if (key.find("password") != std::string::npos) continue;
            out[key] = without_passwords(member);
        }
        return out;
    }
    if (value.is_array()) {
        json out = json::array();
        for (const auto& element : value) out.push_back(without_passwords(element));
        return out;
    }
    return value;
}

std::string section_key(std::string_view service) {
    if (service == "dhcp4") return "Dhcp4";
    if (service == "dhcp6") return "Dhcp6";
    return {};
}

/// The service config (the object under "Dhcp4"/"Dhcp6") of config-get `arguments`.
Result<const json*> service_config_of(const json& arguments, std::string_view service) {
    const auto key = section_key(service);
    if (key.empty()) {
        return make_error(ErrorKind::Invalid,
                          "unknown service " + quote(service) + ": expected dhcp4 or dhcp6");
    }
    if (!arguments.is_object()) {
        return make_error(ErrorKind::Invalid, "the config-get answer's arguments are not a JSON object (got " +
                                                  shown(arguments) + ")");
    }
    const auto found = arguments.find(key);
    if (found == arguments.end()) {
        std::string present;
        for (const auto& [name, value] : arguments.items()) {
            present += (present.empty() ? "" : ", ") + quote(name);
        }
        return make_error(ErrorKind::Invalid,
                          "the config-get answer has no " + quote(key) + " section" +
                              (present.empty() ? std::string() : " (it has " + present + ")") +
                              ": is " + quote(service) + " the right service for this server?");
    }
    if (!found->is_object()) {
        return make_error(ErrorKind::Invalid, "the config-get answer's " + quote(key) + " is not a JSON object");
    }
    return &*found;
}

/// The hooks-libraries entries whose library file is `library`.
std::vector<const json*> hook_entries(const json& service_config, std::string_view library) {
    std::vector<const json*> found;
    const auto hooks = service_config.find("hooks-libraries");
    if (hooks == service_config.end() || !hooks->is_array()) return found;
    for (const auto& entry : *hooks) {
        if (!entry.is_object()) continue;
        const auto path = entry.find("library");
        if (path == entry.end() || !path->is_string()) continue;
        if (file_name(path->get_ref<const std::string&>()) == library) found.push_back(&entry);
    }
    return found;
}

// ---------------------------------------------------------------- HA parameters

/// Reads one high-availability[] entry; `where` names it in errors.
class RelationshipParser {
public:
    RelationshipParser(const json& entry, std::string where, bool dhcp_multi_threading,
                       const ControlUrlRules& rules)
        : entry_(entry), where_(std::move(where)), dhcp_multi_threading_(dhcp_multi_threading), rules_(rules) {}

    Result<HaRelationship> parse() {
        if (!entry_.is_object()) return invalid("is not a JSON object (got " + shown(entry_) + ")");
        HaRelationship relationship;

        auto name = required_string("this-server-name");
        if (!name) return name.error();
        relationship.this_server_name = trim(*name);
        if (relationship.this_server_name.empty()) return invalid("'this-server-name' is empty");

        auto mode_text = required_string("mode");
        if (!mode_text) return mode_text.error();
        const auto mode = parse_ha_mode(*mode_text);
        if (!mode) {
            return invalid("unknown mode " + quote(*mode_text) +
                           " (expected load-balancing, hot-standby or passive-backup)");
        }
        relationship.mode = *mode;

        if (auto status = read_timers(relationship.timers); !status) return status.error();
        if (auto status = read_multi_threading(relationship); !status) return status.error();
        if (auto status = read_peers(relationship); !status) return status.error();
        if (auto status = validate(relationship); !status) return status.error();
        return relationship;
    }

private:
    Error invalid(std::string message) const { return make_error(ErrorKind::Invalid, std::move(message), where_); }

    Result<std::string> required_string(const char* key) const {
        const auto found = entry_.find(key);
        if (found == entry_.end()) return invalid(quote(key) + " is missing");
        if (!found->is_string()) return invalid(quote(key) + " must be a string (got " + shown(*found) + ")");
        return found->get<std::string>();
    }

    Result<std::optional<long long>> optional_count(const json& object, const char* key) const {
        const auto found = object.find(key);
        if (found == object.end() || found->is_null()) return std::optional<long long>();
        if (!found->is_number_integer() || found->get<long long>() < 0) {
            return invalid(quote(key) + " must be a non-negative integer (got " + shown(*found) + ")");
        }
        return std::optional<long long>(found->get<long long>());
    }

    Result<std::optional<bool>> optional_bool(const json& object, const char* key, const std::string& prefix) const {
        const auto found = object.find(key);
        if (found == object.end() || found->is_null()) return std::optional<bool>();
        if (!found->is_boolean()) return invalid(quote(prefix + key) + " must be true or false (got " + shown(*found) + ")");
        return std::optional<bool>(found->get<bool>());
    }

    Status read_timers(HaTimers& timers) const {
        // Kea ARM defaults (ha_config_parser.cc): 10000, 60000, 10000 ms and 10 clients.
        struct Field { const char* key; Duration* target; };
        for (const auto& field : {Field{"heartbeat-delay", &timers.heartbeat_delay},
                                  Field{"max-response-delay", &timers.max_response_delay},
                                  Field{"max-ack-delay", &timers.max_ack_delay}}) {
            auto value = optional_count(entry_, field.key);
            if (!value) return value.error();
            if (*value) *field.target = Duration(**value);
        }
        auto unacked = optional_count(entry_, "max-unacked-clients");
        if (!unacked) return unacked.error();
        if (*unacked) timers.max_unacked_clients = static_cast<int>(**unacked);
        return Done{};
    }

    Status read_multi_threading(HaRelationship& relationship) const {
        // Absent keys take the version default (rules_.multi_threading_default: off in 2.2,
        // on from 2.4). Kea turns HA+MT off when the server itself is not multi-threaded.
        bool enabled = rules_.multi_threading_default;
        bool listener = rules_.multi_threading_default;
        const auto found = entry_.find("multi-threading");
        if (found != entry_.end() && !found->is_null()) {
            if (!found->is_object()) return invalid("'multi-threading' must be a map (got " + shown(*found) + ")");
            auto enable = optional_bool(*found, "enable-multi-threading", "multi-threading.");
            if (!enable) return enable.error();
            auto dedicated = optional_bool(*found, "http-dedicated-listener", "multi-threading.");
            if (!dedicated) return dedicated.error();
            enabled = enable->value_or(enabled);
            listener = dedicated->value_or(listener);
        }
        relationship.multi_threading = enabled && dhcp_multi_threading_;
        relationship.http_dedicated_listener = listener;
        return Done{};
    }

    Status read_peers(HaRelationship& relationship) const {
        const auto found = entry_.find("peers");
        if (found == entry_.end()) return invalid("'peers' is missing");
        if (!found->is_array()) return invalid("'peers' must be a list (got " + shown(*found) + ")");
        if (found->empty()) return invalid("'peers' is empty: an HA relationship needs at least a primary");
        std::set<std::string> names;
        for (std::size_t i = 0; i < found->size(); ++i) {
            const auto& item = (*found)[i];
            const std::string at = "peers[" + std::to_string(i) + "]";
            if (!item.is_object()) return invalid(at + " is not a JSON object (got " + shown(item) + ")");
            HaPeer peer;
            const auto name = item.find("name");
            if (name == item.end() || !name->is_string() || trim(name->get<std::string>()).empty()) {
                return invalid(at + " has no 'name'");
            }
            peer.name = trim(name->get<std::string>());
            if (!names.insert(peer.name).second) {
                return invalid("peer name " + quote(peer.name) + " appears twice in 'peers'");
            }
            const auto url = item.find("url");
            if (url == item.end() || !url->is_string()) return invalid("peer " + quote(peer.name) + " has no 'url'");
            peer.url = url->get<std::string>();
            const auto role = item.find("role");
            if (role == item.end() || !role->is_string()) return invalid("peer " + quote(peer.name) + " has no 'role'");
            const auto parsed_role = parse_peer_role(role->get_ref<const std::string&>());
            if (!parsed_role) {
                return invalid("peer " + quote(peer.name) + " has unknown role " + quote(role->get<std::string>()) +
                               " (expected primary, secondary, standby or backup)");
            }
            peer.role = *parsed_role;
            auto failover = optional_bool(item, "auto-failover", at + ".");
            if (!failover) return failover.error();
            peer.auto_failover = failover->value_or(true);
            relationship.peers.push_back(std::move(peer));
        }
        for (auto& peer : relationship.peers) {
            auto control = control_url_for(peer.name, peer.url, relationship.dedicated_listener(), rules_);
            if (!control) {
                return invalid("peer " + quote(peer.name) + ": " + control.error().message);
            }
            peer.control_url = std::move(*control);
        }
        return Done{};
    }

    /// The checks Kea's HAConfig::validate() makes, worded for an operator.
    Status validate(const HaRelationship& relationship) const {
        std::map<PeerRole, std::vector<std::string>> by_role;
        for (const auto& peer : relationship.peers) by_role[peer.role].push_back(peer.name);
        const auto count = [&](PeerRole role) { return by_role.count(role) ? by_role[role].size() : 0u; };

        if (count(PeerRole::Primary) == 0) return invalid("no peer has the role primary");
        for (auto role : {PeerRole::Primary, PeerRole::Secondary, PeerRole::Standby}) {
            if (count(role) > 1) {
                return invalid("two peers have the role " + std::string(to_string(role)) + " (" +
                               quote(by_role[role][0]) + " and " + quote(by_role[role][1]) +
                               "): a relationship has at most one");
            }
        }
        if (!relationship.find_peer(relationship.this_server_name)) {
            std::string names;
            for (const auto& peer : relationship.peers) names += (names.empty() ? "" : ", ") + peer.name;
            return invalid("this-server-name " + quote(relationship.this_server_name) +
                           " is not one of the peers (" + names + ")");
        }
        const auto mode = std::string(to_string(relationship.mode));
        switch (relationship.mode) {
            case HaMode::LoadBalancing:
                if (count(PeerRole::Standby)) return invalid("mode load-balancing does not allow a standby peer");
                if (!count(PeerRole::Secondary)) return invalid("mode load-balancing needs a secondary peer");
                break;
            case HaMode::HotStandby:
                if (count(PeerRole::Secondary)) return invalid("mode hot-standby does not allow a secondary peer");
                if (!count(PeerRole::Standby)) return invalid("mode hot-standby needs a standby peer");
                break;
            case HaMode::PassiveBackup:
                if (count(PeerRole::Secondary) || count(PeerRole::Standby)) {
                    return invalid("mode passive-backup allows only a primary and backup peers");
                }
                break;
            case HaMode::Standalone:
                break;  // never parsed from Kea's config
        }
        return Done{};
    }

    const json& entry_;
    std::string where_;
    bool dhcp_multi_threading_;
    const ControlUrlRules& rules_;
};

/// The part of a service config learn_topology() reads, without passwords.
json source_config_of(const json& service_config, std::string_view service) {
    json section = json::object();
    for (const char* key : {"hooks-libraries", "multi-threading", "config-control"}) {
        const auto found = service_config.find(key);
        if (found != service_config.end()) section[key] = without_passwords(*found);
    }
    return json{{section_key(service), std::move(section)}};
}

bool has_config_backend(const json& service_config) {
    // SPEC §5: a config-control section means the Configuration Backend.
    const auto found = service_config.find("config-control");
    return found != service_config.end() && !found->is_null();
}

/// `rules` with `registered_url` when they name none (SPEC §2: the peers' scheme and port).
ControlUrlRules with_registered_url(ControlUrlRules rules, const std::string& registered_url) {
    if (rules.registered_url.empty()) rules.registered_url = registered_url;
    return rules;
}

/// Replaces the primary's computed control URL by `registered_url` (where the registered
/// server was just reached) unless an override names it.
void use_registered_url(HaRelationship& relationship, const std::string& primary_name,
                        const std::string& registered_url, const ControlUrlRules& rules) {
    if (rules.overrides.count(primary_name)) return;
    for (auto& peer : relationship.peers) {
        if (peer.name == primary_name) peer.control_url = registered_url;
    }
}

Topology topology_from(std::vector<HaRelationship> relationships, std::size_t chosen, const json& service_config,
                       std::string_view service, const std::string& registered_url,
                       const ControlUrlRules& rules) {
    Topology topology;
    topology.service = std::string(service);
    const auto& relationship = relationships[chosen];
    topology.mode = relationship.mode;
    topology.this_server_name = relationship.primary()->name;
    topology.registered_url = registered_url;
    topology.peers = relationship.peers;
    topology.timers = relationship.timers;
    topology.dedicated_listener = relationship.dedicated_listener();
    topology.relationships = std::move(relationships);
    topology.has_lease_cmds = !hook_entries(service_config, kLeaseCmdsLibrary).empty();
    topology.config_backend = has_config_backend(service_config);
    topology.source_config = source_config_of(service_config, service);
    topology.warnings = check_topology(topology, rules);
    return topology;
}

std::string peer_list(const std::vector<HaPeer>& peers) {
    std::string names;
    for (const auto& peer : peers) names += (names.empty() ? "" : ", ") + peer.name;
    return names;
}

}  // namespace

// ---------------------------------------------------------------- names

std::string_view to_string(PeerRole role) {
    switch (role) {
        case PeerRole::Primary: return "primary";
        case PeerRole::Secondary: return "secondary";
        case PeerRole::Standby: return "standby";
        case PeerRole::Backup: return "backup";
    }
    return "unknown";
}

std::string_view to_string(HaMode mode) {
    switch (mode) {
        case HaMode::LoadBalancing: return "load-balancing";
        case HaMode::HotStandby: return "hot-standby";
        case HaMode::PassiveBackup: return "passive-backup";
        case HaMode::Standalone: return "standalone";
    }
    return "unknown";
}

std::optional<PeerRole> parse_peer_role(std::string_view text) {
    for (auto role : {PeerRole::Primary, PeerRole::Secondary, PeerRole::Standby, PeerRole::Backup}) {
        if (text == to_string(role)) return role;
    }
    return std::nullopt;
}

std::optional<HaMode> parse_ha_mode(std::string_view text) {
    for (auto mode : {HaMode::LoadBalancing, HaMode::HotStandby, HaMode::PassiveBackup}) {
        if (text == to_string(mode)) return mode;
    }
    return std::nullopt;
}

bool is_main(PeerRole role) { return role != PeerRole::Backup; }

const HaPeer* HaRelationship::find_peer(std::string_view name) const {
    for (const auto& peer : peers) {
        if (peer.name == name) return &peer;
    }
    return nullptr;
}

const HaPeer* HaRelationship::primary() const {
    for (const auto& peer : peers) {
        if (peer.role == PeerRole::Primary) return &peer;
    }
    return nullptr;
}

const HaPeer* Topology::find_peer(std::string_view name) const {
    for (const auto& peer : peers) {
        if (peer.name == name) return &peer;
    }
    return nullptr;
}

const HaPeer* Topology::primary() const {
    for (const auto& peer : peers) {
        if (peer.role == PeerRole::Primary) return &peer;
    }
    return nullptr;
}

std::optional<UrlEndpoint> url_endpoint(std::string_view url) {
    const auto parts = split_url(url);
    if (!parts) return std::nullopt;
    return UrlEndpoint{lower(parts->host), effective_port(*parts)};
}

// ---------------------------------------------------------------- learning

Result<std::string> control_url_for(std::string_view peer_name, std::string_view ha_url, bool dedicated_listener,
                                    const ControlUrlRules& rules) {
    // SPEC §2: an override wins; with HA+MT's dedicated listener at `url` (which refuses
    // config commands from Kea 3.0), or on the direct transport, the HA url's host with the
    // scheme and port of the registered URL (a dhcp6 socket on 8010 at the primary means 8010
    // at its partners; keaControlAgentPort only when the registered URL names no port);
    // else the HA url.
    if (const auto found = rules.overrides.find(std::string(peer_name)); found != rules.overrides.end()) {
        return found->second;
    }
    const auto parts = split_url(ha_url);
    if (!parts) {
        return make_error(ErrorKind::Invalid, "url " + quote(ha_url) + " is not http(s)://HOST[:PORT]/");
    }
    if (!dedicated_listener && !rules.direct) return std::string(ha_url);
    const auto registered = split_url(rules.registered_url);
    const std::string scheme = registered ? registered->scheme : parts->scheme;
    const std::uint16_t port = registered && registered->port ? *registered->port : rules.control_agent_port;
    return scheme + "://" + parts->host + ":" + std::to_string(port) + "/";
}

Result<std::vector<HaRelationship>> parse_ha_relationships(const json& service_config, const ControlUrlRules& rules) {
    std::vector<HaRelationship> relationships;
    const auto entries = hook_entries(service_config, kHaLibrary);
    if (entries.empty()) return relationships;
    const std::string where = std::string(kHaLibrary);
    if (entries.size() > 1) {
        return make_error(ErrorKind::Invalid, "listed twice in hooks-libraries: keep one entry", where);
    }
    const auto& hook = *entries.front();
    const auto parameters = hook.find("parameters");
    if (parameters == hook.end() || !parameters->is_object()) {
        return make_error(ErrorKind::Invalid, "has no 'parameters' map", where);
    }
    const auto list = parameters->find("high-availability");
    if (list == parameters->end()) {
        return make_error(ErrorKind::Invalid, "parameters have no 'high-availability' list", where);
    }
    if (!list->is_array()) {
        return make_error(ErrorKind::Invalid, "'high-availability' must be a list (got " + shown(*list) + ")", where);
    }
    if (list->empty()) return make_error(ErrorKind::Invalid, "'high-availability' is empty", where);

    bool dhcp_multi_threading = rules.multi_threading_default;
    if (const auto mt = service_config.find("multi-threading"); mt != service_config.end() && mt->is_object()) {
        if (const auto enable = mt->find("enable-multi-threading"); enable != mt->end() && enable->is_boolean()) {
            dhcp_multi_threading = enable->get<bool>();
        }
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < list->size(); ++i) {
        RelationshipParser parser((*list)[i], where + " high-availability[" + std::to_string(i) + "]",
                                  dhcp_multi_threading, rules);
        auto relationship = parser.parse();
        if (!relationship) return relationship.error();
        if (!names.insert(relationship->this_server_name).second) {
            return make_error(ErrorKind::Invalid,
                              "this-server-name " + quote(relationship->this_server_name) +
                                  " is used by two relationships",
                              where + " high-availability[" + std::to_string(i) + "]");
        }
        relationships.push_back(std::move(*relationship));
    }
    return relationships;
}

Result<Topology> learn_topology(const json& config_get_arguments, std::string_view service,
                                const std::string& registered_url, const ControlUrlRules& given_rules,
                                std::string_view registration_name, std::string_view relationship) {
    auto section = service_config_of(config_get_arguments, service);
    if (!section) return section.error();
    const json& service_config = **section;
    const auto rules = with_registered_url(given_rules, registered_url);
    auto relationships = parse_ha_relationships(service_config, rules);
    if (!relationships) return relationships.error();

    if (relationships->empty()) {
        // SPEC §1: no HA hook → a one-peer cluster, the registered server itself.
        std::string name(registration_name);
        if (name.empty()) {
            const auto parts = split_url(registered_url);
            name = parts ? parts->host : registered_url;
        }
        Topology topology;
        topology.service = std::string(service);
        topology.mode = HaMode::Standalone;
        topology.this_server_name = name;
        topology.registered_url = registered_url;
        HaPeer peer{name, registered_url, PeerRole::Primary, false, registered_url};
        if (const auto found = rules.overrides.find(name); found != rules.overrides.end()) {
            peer.control_url = found->second;
        }
        topology.peers.push_back(std::move(peer));
        topology.has_lease_cmds = !hook_entries(service_config, kLeaseCmdsLibrary).empty();
        topology.config_backend = has_config_backend(service_config);
        topology.source_config = source_config_of(service_config, service);
        topology.warnings = check_topology(topology, rules);
        return topology;
    }

    auto self_of = [](const HaRelationship& r) { return r.find_peer(r.this_server_name); };
    auto use = [&](std::size_t i) {
        use_registered_url((*relationships)[i], self_of((*relationships)[i])->name, registered_url, rules);
        return topology_from(std::move(*relationships), i, service_config, service, registered_url, rules);
    };
    auto list = [&] {
        std::string out;
        for (const auto& r : *relationships)
            out += (out.empty() ? "" : ", ") + quote(r.this_server_name) + " (" +
                   std::string(to_string(self_of(r)->role)) + ")";
        return out;
    };
    // SPEC §2: a relationship named at registration must exist, with this server its primary.
    if (!relationship.empty()) {
        for (std::size_t i = 0; i < relationships->size(); ++i) {
            const auto& r = (*relationships)[i];
            if (r.this_server_name != relationship) continue;
            if (self_of(r)->role == PeerRole::Primary) return use(i);
            return make_error(ErrorKind::Conflict, "in the HA relationship " + quote(relationship) + " this server is " +
                                                       std::string(to_string(self_of(r)->role)) +
                                                       "; register its primary " + quote(r.primary()->name) + " at " +
                                                       r.primary()->control_url);
        }
        return make_error(ErrorKind::Invalid, "this server has no HA relationship where it is " + quote(relationship) +
                                                  "; its relationships: " + list());
    }
    // SPEC §2: only the primary can be registered. Hub and spoke: the relationship where
    // this server is the primary (a hub is standby in all of its relationships); primary
    // in several: the registration must say which.
    std::vector<std::size_t> primaries;
    for (std::size_t i = 0; i < relationships->size(); ++i)
        if (self_of((*relationships)[i])->role == PeerRole::Primary) primaries.push_back(i);
    if (primaries.size() == 1) return use(primaries.front());
    if (primaries.size() > 1) {
        std::string names;
        for (const auto i : primaries) names += (names.empty() ? "" : ", ") + quote((*relationships)[i].this_server_name);
        return make_error(ErrorKind::Conflict, "this server is the primary of " + std::to_string(primaries.size()) +
                                                   " HA relationships (" + names +
                                                   "); name the one to manage with \"relationship\"");
    }
    std::string message;
    if (relationships->size() == 1) {
        const auto* primary = relationships->front().primary();
        message = "this server is " + list() + "; register the primary " + quote(primary->name) + " at " +
                  primary->control_url;
    } else {
        std::string primaries;
        for (const auto& relationship : *relationships) {
            const auto* primary = relationship.primary();
            primaries += (primaries.empty() ? "" : ", ") + quote(primary->name) + " at " + primary->control_url;
        }
        message = "this server is " + list() + " in " + std::to_string(relationships->size()) +
                  " HA relationships and the primary of none; register a primary instead: " + primaries;
    }
    return make_error(ErrorKind::Conflict, message);
}

Result<Topology> learn_topology_from_peer(const json& config_get_arguments, std::string_view peer_name,
                                          const Topology& known, const ControlUrlRules& given_rules) {
    if (known.mode == HaMode::Standalone) {
        return learn_topology(config_get_arguments, known.service, known.registered_url, given_rules,
                              known.this_server_name);
    }
    const auto rules = with_registered_url(given_rules, known.registered_url);
    auto section = service_config_of(config_get_arguments, known.service);
    if (!section) return section.error();
    auto relationships = parse_ha_relationships(**section, rules);
    if (!relationships) return relationships.error();
    for (std::size_t i = 0; i < relationships->size(); ++i) {
        auto& relationship = (*relationships)[i];
        const auto* primary = relationship.primary();
        if (primary->name != known.this_server_name) continue;
        use_registered_url(relationship, primary->name, known.registered_url, rules);
        return topology_from(std::move(*relationships), i, **section, known.service, known.registered_url, rules);
    }
    return make_error(ErrorKind::Conflict,
                      "the config of " + quote(peer_name) + " has no HA relationship whose primary is " +
                          quote(known.this_server_name) + ": it left the cluster or the primary changed");
}

// ---------------------------------------------------------------- warnings

std::vector<Warning> check_topology(const Topology& topology, const ControlUrlRules& rules) {
    std::vector<Warning> warnings;
    const bool standalone = topology.mode == HaMode::Standalone;
    const auto key = section_key(topology.service);

    if (!standalone) {
        const auto heartbeat = topology.timers.heartbeat_delay.count();
        const auto response = topology.timers.max_response_delay.count();
        if (response <= heartbeat) {
            warnings.push_back({warning_code::kTimers,
                                "max-response-delay (" + std::to_string(response) +
                                    " ms) is not greater than heartbeat-delay (" + std::to_string(heartbeat) +
                                    " ms): a partner is judged unresponsive between two heartbeats; raise "
                                    "max-response-delay to at least " + std::to_string(3 * heartbeat) + " ms",
                                std::nullopt});
        } else if (response < 3 * heartbeat) {
            warnings.push_back({warning_code::kTimers,
                                "max-response-delay (" + std::to_string(response) + " ms) is under 3 heartbeats "
                                    "(heartbeat-delay " + std::to_string(heartbeat) +
                                    " ms): one or two late heartbeats start a failover; consider at least " +
                                    std::to_string(3 * heartbeat) + " ms",
                                std::nullopt});
        }
    }

    // Issue 27 point 6: max-ack-delay / max-unacked-clients advice (ha_config_checks.cpp).
    for (auto& warning : check_failover_timers(topology)) warnings.push_back(std::move(warning));

    if (!topology.has_lease_cmds) {
        warnings.push_back({warning_code::kLeaseCmdsMissing,
                            std::string(kLeaseCmdsLibrary) + " is not loaded on " + quote(topology.this_server_name) +
                                ": " + (standalone ? "Micetro needs it" : "HA and Micetro both need it") +
                                " for lease commands; add it to " + key + ".hooks-libraries",
                            std::nullopt});
    }

    if (topology.dedicated_listener) {
        const auto registered = split_url(topology.registered_url);
        for (const auto& peer : topology.peers) {
            const auto parts = split_url(peer.url);
            if (!parts) continue;
            const auto port = effective_port(*parts);
            const bool on_ca_port = port == rules.control_agent_port;
            // The registered URL is the primary's CA: its port is the CA's, whatever keaControlAgentPort says.
            const bool on_registered = peer.name == topology.this_server_name && registered &&
                                       lower(registered->host) == lower(parts->host) &&
                                       effective_port(*registered) == port;
            if (!on_ca_port && !on_registered) continue;
            warnings.push_back({warning_code::kListenerOnCaPort,
                                "the HA dedicated listener of " + quote(peer.name) + " (multi-threading with "
                                    "http-dedicated-listener) is at " + peer.url + ", on the Control Agent's port " +
                                    std::to_string(port) + ": they cannot share it and config commands would reach "
                                    "the HA listener; move the HA url to another port (the Kea ARM suggests 8001) or "
                                    "register a control_urls override",
                                peer.name});
        }
    }

    if (topology.config_backend) {
        warnings.push_back({warning_code::kConfigBackend,
                            key + " has a config-control section (Configuration Backend): the configuration is "
                                  "shared through its database, so the controller does not replicate it",
                            std::nullopt});
    }
    return warnings;
}

std::vector<Warning> compare_peer_topology(const Topology& primary, std::string_view peer_name,
                                           const json& peer_config_get_arguments) {
    std::vector<Warning> warnings;
    if (primary.mode == HaMode::Standalone) return warnings;
    const std::string peer(peer_name);
    const auto mismatch = [&](std::string message) {
        warnings.push_back({warning_code::kPeerConfigMismatch, quote(peer) + ": " + std::move(message), peer});
    };

    auto section = service_config_of(peer_config_get_arguments, primary.service);
    if (!section) {
        mismatch("cannot compare its HA config: " + section.error().describe());
        return warnings;
    }
    auto relationships = parse_ha_relationships(**section, ControlUrlRules{});
    if (!relationships) {
        mismatch("its HA config is malformed: " + relationships.error().describe());
        return warnings;
    }
    if (relationships->empty()) {
        mismatch("libdhcp_ha.so is not loaded: it takes no part in the HA relationship of " +
                 quote(primary.this_server_name));
        return warnings;
    }
    const HaRelationship* theirs = nullptr;
    for (const auto& relationship : *relationships) {
        if (relationship.find_peer(primary.this_server_name)) {
            theirs = &relationship;
            break;
        }
    }
    if (!theirs) {
        mismatch("its HA config has no peer " + quote(primary.this_server_name) + " (it knows " +
                 peer_list(relationships->front().peers) + ")");
        return warnings;
    }
    if (theirs->this_server_name != peer) {
        // Field research E.1: a copied config makes two servers claim the same name.
        mismatch("its this-server-name is " + quote(theirs->this_server_name) + ", not " + quote(peer) +
                 ": both servers would claim one name and HA fails; fix this-server-name on that server");
    }
    if (theirs->mode != primary.mode) {
        mismatch("its HA mode is " + std::string(to_string(theirs->mode)) + ", the primary's is " +
                 std::string(to_string(primary.mode)));
    }
    for (const auto& expected : primary.peers) {
        const auto* seen = theirs->find_peer(expected.name);
        if (!seen) {
            mismatch("its HA config lacks peer " + quote(expected.name));
            continue;
        }
        if (seen->role != expected.role) {
            mismatch("it gives " + quote(expected.name) + " the role " + std::string(to_string(seen->role)) +
                     ", the primary says " + std::string(to_string(expected.role)));
        }
        if (normalized_url(seen->url) != normalized_url(expected.url)) {
            mismatch("it gives " + quote(expected.name) + " the url " + seen->url + ", the primary says " +
                     expected.url);
        }
    }
    for (const auto& extra : theirs->peers) {
        if (!primary.find_peer(extra.name)) {
            mismatch("its HA config has peer " + quote(extra.name) + ", which the primary does not know");
        }
    }
    return warnings;
}

}  // namespace kea_ha::core
