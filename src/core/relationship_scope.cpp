#include "kea_ha/core/relationship_scope.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace kea_ha::core {
namespace {

constexpr char kSharedNetworks[] = "shared-networks";

std::string subnet_list_key(std::string_view service) { return service == "dhcp6" ? "subnet6" : "subnet4"; }

/// "{branch1+hub1, branch2+hub2}".
std::string describe_all(const std::vector<RelationshipScope>& relationships) {
    std::string text = "{";
    for (const auto& relationship : relationships) {
        if (text.size() > 1) text += ", ";
        text += describe(relationship);
    }
    return text + "}";
}

/// A subnet as operators name it: its prefix, else its id.
std::string subnet_label(const nlohmann::json& subnet) {
    if (subnet.is_object() && subnet.contains("subnet") && subnet["subnet"].is_string()) {
        return subnet["subnet"].get<std::string>();
    }
    if (subnet.is_object() && subnet.contains("id")) return "id " + subnet["id"].dump();
    return "without prefix or id";
}

std::string network_label(const nlohmann::json& network) {
    if (network.is_object() && network.contains("name") && network["name"].is_string()) {
        return network["name"].get<std::string>();
    }
    return "without a name";
}

/// Where a subnet or shared network belongs.
struct Binding {
    enum class Kind { Bound, None, Invalid };
    Kind kind = Kind::None;
    RelationshipScope relationship;  ///< when Bound
    std::string problem;             ///< when Invalid: why, without naming the subnet
};

std::string describe(const Binding& binding) {
    switch (binding.kind) {
        case Binding::Kind::Bound: return "relationship " + describe(binding.relationship);
        case Binding::Kind::None: return "no relationship";
        case Binding::Kind::Invalid: return "not placeable";
    }
    return "not placeable";
}

/// The relationships of one config, and how its subnets bind to them. `who` names the config
/// in messages ("the source of truth", "hub1").
class Placement {
public:
    Placement(const nlohmann::json& document, std::string_view service, std::string who)
        : relationships_(relationships_in(document, service)), who_(std::move(who)) {}

    const std::string& who() const { return who_; }
    const std::vector<RelationshipScope>& relationships() const { return relationships_; }
    bool takes_part_in(const RelationshipScope& relationship) const {
        return std::find(relationships_.begin(), relationships_.end(), relationship) != relationships_.end();
    }

    /// Kea's HA hook reads `ha-server-name` from the subnet's own user-context (subnet4_select).
    Binding of_subnet(const nlohmann::json& subnet) const {
        const nlohmann::json* context = subnet.is_object() && subnet.contains("user-context")
                                            ? &subnet["user-context"]
                                            : nullptr;
        if (!context || !context->is_object() || !context->contains("ha-server-name")) {
            if (relationships_.size() == 1) return {Binding::Kind::Bound, relationships_.front(), {}};
            if (relationships_.empty()) return {};
            return invalid("it has no user-context.ha-server-name, and " + who_ + " takes part in several HA " +
                           "relationships " + describe_all(relationships_) +
                           ": add \"user-context\": {\"ha-server-name\": NAME}, NAME a peer of the relationship "
                           "that serves it");
        }
        const auto& name = (*context)["ha-server-name"];
        if (!name.is_string()) return invalid("its user-context.ha-server-name must be a string (got " + name.dump() + ")");
        const auto text = name.get<std::string>();
        std::vector<RelationshipScope> matches;
        for (const auto& relationship : relationships_)
            if (relationship.peers.count(text)) matches.push_back(relationship);
        if (matches.empty()) {
            return invalid("it is bound to ha-server-name '" + text + "', a peer of no HA relationship of " + who_ +
                           " " + describe_all(relationships_));
        }
        if (matches.size() > 1) {
            return invalid("it is bound to ha-server-name '" + text + "', a peer of several HA relationships of " +
                           who_ + " " + describe_all(matches) + ": Kea cannot tell which one serves it");
        }
        return {Binding::Kind::Bound, matches.front(), {}};
    }

    /// A shared network is bound through its subnets, all to one relationship.
    Binding of_network(const nlohmann::json& network, const std::string& subnets_key) const {
        if (!network.is_object() || !network.contains(subnets_key) || !network[subnets_key].is_array()) return {};
        Binding found;
        std::string found_subnet;
        for (const auto& subnet : network[subnets_key]) {
            auto binding = of_subnet(subnet);
            if (binding.kind == Binding::Kind::Invalid) {
                binding.problem = "its subnet " + subnet_label(subnet) + ": " + binding.problem;
                return binding;
            }
            if (binding.kind != Binding::Kind::Bound) continue;
            if (found.kind == Binding::Kind::Bound && !(found.relationship == binding.relationship)) {
                return invalid("it mixes subnets of two HA relationships (" + found_subnet + ": " +
                               describe(found.relationship) + ", " + subnet_label(subnet) + ": " +
                               describe(binding.relationship) +
                               "); Kea serves a shared network from one relationship: split it");
            }
            if (found.kind != Binding::Kind::Bound) found_subnet = subnet_label(subnet);
            found = binding;
        }
        return found;
    }

private:
    static Binding invalid(std::string problem) { return {Binding::Kind::Invalid, {}, std::move(problem)}; }

    std::vector<RelationshipScope> relationships_;
    std::string who_;
};

/// One top-level subnet or shared network of a config, and where it belongs.
struct Entry {
    const nlohmann::json* value = nullptr;
    std::string key;  ///< subnet prefix or shared-network name: what entries are matched by
    Binding binding;

    bool in(const RelationshipScope& relationship) const {
        return binding.kind == Binding::Kind::Bound && binding.relationship == relationship;
    }
};

/// The subnets and shared networks of a config. Members that are not arrays count as empty:
/// Kea's config-test reports them.
struct Layout {
    std::vector<Entry> subnets;
    std::vector<Entry> networks;
    std::optional<std::string> problem;  ///< the first entry that cannot be placed, named
};

Layout layout_of(const nlohmann::json& config, const Placement& placement, const std::string& subnets_key) {
    Layout out;
    auto note = [&](const std::string& what, const Binding& binding) {
        if (binding.kind == Binding::Kind::Invalid && !out.problem) {
            out.problem = what + " of " + placement.who() + ": " + binding.problem;
        }
    };
    if (config.contains(subnets_key) && config[subnets_key].is_array()) {
        for (const auto& subnet : config[subnets_key]) {
            out.subnets.push_back({&subnet, subnet_label(subnet), placement.of_subnet(subnet)});
            note("subnet " + out.subnets.back().key, out.subnets.back().binding);
        }
    }
    if (config.contains(kSharedNetworks) && config[kSharedNetworks].is_array()) {
        for (const auto& network : config[kSharedNetworks]) {
            out.networks.push_back({&network, network_label(network), placement.of_network(network, subnets_key)});
            note("shared network '" + out.networks.back().key + "'", out.networks.back().binding);
        }
    }
    return out;
}

/// The subnets of the given entries: top-level ones as they are, a network's inside it.
template <class Visit>
void for_each_subnet(const std::vector<Entry>& subnets, const std::vector<Entry>& networks,
                     const std::string& subnets_key, Visit&& visit) {
    for (const auto& entry : subnets) visit(*entry.value, entry, false);
    for (const auto& entry : networks) {
        const auto& network = *entry.value;
        if (!network.contains(subnets_key) || !network[subnets_key].is_array()) continue;
        for (const auto& subnet : network[subnets_key]) visit(subnet, entry, true);
    }
}

const nlohmann::json* service_config(const nlohmann::json& document, std::string_view service) {
    const auto key = service_key(service);
    if (!document.is_object() || !document.contains(key) || !document[key].is_object()) return nullptr;
    return &document[key];
}

Error not_a_document(std::string_view service, std::string_view what) {
    return {ErrorKind::Invalid, std::string(what) + " must be a JSON object {\"" + service_key(service) + "\": {…}}", {}};
}

/// key -> entry of the entries in `relationship`'s scope.
std::map<std::string, const Entry*> in_scope(const std::vector<Entry>& entries, const RelationshipScope& relationship) {
    std::map<std::string, const Entry*> out;
    for (const auto& entry : entries)
        if (entry.in(relationship)) out.emplace(entry.key, &entry);
    return out;
}

/// The target's list with its in-scope entries replaced by the SoT's (same key: in place;
/// gone from the SoT: removed; new in the SoT: appended in the SoT's order).
nlohmann::json replaced_list(const std::vector<Entry>& target_entries, const std::vector<Entry>& sot_entries,
                             const RelationshipScope& relationship) {
    const auto sot_scope = in_scope(sot_entries, relationship);
    std::set<std::string> placed;
    auto out = nlohmann::json::array();
    for (const auto& entry : target_entries) {
        if (!entry.in(relationship)) {
            out.push_back(*entry.value);
        } else if (auto theirs = sot_scope.find(entry.key); theirs != sot_scope.end() && placed.insert(entry.key).second) {
            out.push_back(*theirs->second->value);
        }
    }
    for (const auto& entry : sot_entries)
        if (entry.in(relationship) && placed.insert(entry.key).second) out.push_back(*entry.value);
    return out;
}

/// Adds to `out` each entry (top-level subnet or shared network) the SoT's change touched
/// outside the scope: added, removed or changed, and in the scope neither before nor after.
void add_out_of_scope(const std::vector<Entry>& before, const std::vector<Entry>& after,
                      const RelationshipScope& relationship, const std::string& label_prefix,
                      const std::string& label_suffix, std::vector<std::string>& out) {
    std::map<std::string, const Entry*> old_entries;
    for (const auto& entry : before) old_entries.emplace(entry.key, &entry);
    std::set<std::string> seen;
    for (const auto& entry : after) {
        if (!seen.insert(entry.key).second) continue;
        const auto old = old_entries.find(entry.key);
        const bool changed = old == old_entries.end() || *old->second->value != *entry.value;
        const bool replicated = entry.in(relationship) || (old != old_entries.end() && old->second->in(relationship));
        if (changed && !replicated) {
            out.push_back(label_prefix + entry.key + label_suffix + " (" + describe(entry.binding) + ")");
        }
    }
    for (const auto& entry : before) {
        if (!seen.insert(entry.key).second || entry.in(relationship)) continue;
        out.push_back(label_prefix + entry.key + label_suffix + " (" + describe(entry.binding) + ", removed)");
    }
}

}  // namespace

Result<RelationshipScope> relationship_of_peer(const nlohmann::json& document, std::string_view service,
                                               std::string_view peer_name) {
    const auto relationships = relationships_in(document, service);
    std::vector<RelationshipScope> matches;
    for (const auto& relationship : relationships)
        if (relationship.peers.count(std::string(peer_name))) matches.push_back(relationship);
    if (matches.empty()) {
        return make_error(ErrorKind::NotFound, "'" + std::string(peer_name) +
                                                   "' is a peer of no HA relationship of the config; its relationships: " +
                                                   describe_all(relationships));
    }
    if (matches.size() > 1) {
        return make_error(ErrorKind::Conflict, "'" + std::string(peer_name) + "' is a peer of several HA relationships " +
                                                   describe_all(matches) + "; a peer name must name one relationship");
    }
    return matches.front();
}

Result<ConfigScope> scope_of(const nlohmann::json& document, std::string_view service,
                             const RelationshipScope& relationship) {
    const auto* config = service_config(document, service);
    if (!config) return not_a_document(service, "the config");
    const Placement placement(document, service, "the config");
    if (!placement.takes_part_in(relationship)) {
        return make_error(ErrorKind::NotFound, "the config takes part in no HA relationship " + describe(relationship) +
                                                   "; its relationships: " + describe_all(placement.relationships()));
    }
    const auto subnets_key = subnet_list_key(service);
    const auto layout = layout_of(*config, placement, subnets_key);
    if (layout.problem) return make_error(ErrorKind::Conflict, *layout.problem);
    ConfigScope out;
    for (const auto& entry : layout.subnets)
        if (entry.in(relationship)) out.subnets.push_back(entry.key);
    for (const auto& entry : layout.networks) {
        if (!entry.in(relationship)) continue;
        out.shared_networks.push_back(entry.key);
        for (const auto& subnet : (*entry.value)[subnets_key]) out.subnets.push_back(subnet_label(subnet));
    }
    return out;
}

bool replication_is_scoped(const nlohmann::json& sot_document, const nlohmann::json& target_current,
                           std::string_view service) {
    return relationship_mismatch(sot_document, target_current, service, {}, {}).has_value();
}

Result<nlohmann::json> scoped_transform_for(nlohmann::json sot_document, std::string_view service,
                                            const RelationshipScope& relationship, std::string_view target,
                                            const nlohmann::json& target_current,
                                            const std::vector<std::string>& peer_local_parameters) {
    if (!replication_is_scoped(sot_document, target_current, service)) {
        return transform_for(std::move(sot_document), service, target, target_current, peer_local_parameters);
    }
    const auto* sot_config = service_config(sot_document, service);
    if (!sot_config) return not_a_document(service, "the source of truth's config");
    const auto* target_config = service_config(target_current, service);
    if (!target_config) return not_a_document(service, "the target's current config");

    const std::string target_name(target);
    const std::string refusing = "refusing to replicate relationship " + describe(relationship) + " onto " +
                                 target_name + ": ";
    if (!relationship.peers.count(target_name)) {
        return make_error(ErrorKind::Conflict, refusing + target_name + " is not one of its peers");
    }
    const Placement sot(sot_document, service, "the source of truth");
    const Placement theirs(target_current, service, target_name);
    for (const auto* side : {&sot, &theirs}) {
        if (!side->takes_part_in(relationship)) {
            return make_error(ErrorKind::Conflict, refusing + side->who() + " does not take part in it (its "
                                                       "relationships: " + describe_all(side->relationships()) + ")");
        }
    }
    const auto subnets_key = subnet_list_key(service);
    const auto sot_layout = layout_of(*sot_config, sot, subnets_key);
    const auto target_layout = layout_of(*target_config, theirs, subnets_key);
    // SPEC §5: a config the controller cannot place safely is refused whole, naming the subnet.
    for (const auto* layout : {&sot_layout, &target_layout}) {
        if (layout->problem) return make_error(ErrorKind::Conflict, refusing + *layout->problem);
    }

    // What the target keeps: its subnets outside the scope (top level and in kept networks).
    std::map<std::string, std::string> kept_prefixes;      // prefix -> where it is kept
    std::map<std::string, std::string> kept_ids;           // id -> the subnet that has it
    std::set<std::string> kept_networks;
    for (const auto& entry : target_layout.networks)
        if (!entry.in(relationship)) kept_networks.insert(entry.key);
    for_each_subnet(target_layout.subnets, target_layout.networks, subnets_key,
                    [&](const nlohmann::json& subnet, const Entry& entry, bool in_network) {
                        if (entry.in(relationship)) return;
                        const auto label = subnet_label(subnet);
                        const auto where = describe(entry.binding) +
                                           (in_network ? ", in shared network '" + entry.key + "'" : "");
                        kept_prefixes.emplace(label, where);
                        if (subnet.contains("id")) kept_ids.emplace(subnet["id"].dump(), label + " (" + where + ")");
                    });

    // What the SoT places: each in-scope subnet must land on the target bound to this
    // relationship, and collide with nothing the target keeps (Kea wants unique prefixes and ids).
    std::optional<std::string> problem;
    for_each_subnet(sot_layout.subnets, sot_layout.networks, subnets_key,
                    [&](const nlohmann::json& subnet, const Entry& entry, bool) {
                        if (problem || !entry.in(relationship)) return;
                        const auto label = "subnet " + subnet_label(subnet) + " of the source of truth";
                        const auto there = theirs.of_subnet(subnet);
                        if (there.kind == Binding::Kind::Invalid) {
                            problem = label + " cannot be placed on " + target_name + ": " + there.problem;
                        } else if (there.kind != Binding::Kind::Bound || !(there.relationship == relationship)) {
                            problem = label + " would be in " + describe(there) + " on " + target_name;
                        } else if (auto kept = kept_prefixes.find(subnet_label(subnet)); kept != kept_prefixes.end()) {
                            problem = label + " (relationship " + describe(relationship) + ") is on " + target_name +
                                      " in " + kept->second + ": move it on one side first";
                        } else if (auto id = subnet.contains("id") ? kept_ids.find(subnet["id"].dump()) : kept_ids.end();
                                   id != kept_ids.end()) {
                            problem = label + " has id " + id->first + ", which " + target_name +
                                      " already uses for subnet " + id->second + ": give it an id unused on both";
                        }
                    });
    for (const auto& entry : sot_layout.networks) {
        if (problem) break;
        if (entry.in(relationship) && kept_networks.count(entry.key)) {
            problem = "shared network '" + entry.key + "' of the source of truth (relationship " +
                      describe(relationship) + ") has the name of a shared network " + target_name +
                      " keeps outside the relationship: rename one";
        }
    }
    if (problem) return make_error(ErrorKind::Conflict, refusing + *problem);

    // SPEC §5: the target's config, with only the relationship's part replaced. Built from the
    // target's own document, so its HA entries, names, globals and local keys stay as they are.
    auto subnets = replaced_list(target_layout.subnets, sot_layout.subnets, relationship);
    auto networks = replaced_list(target_layout.networks, sot_layout.networks, relationship);
    const std::string key = service_key(service);
    nlohmann::json out = nlohmann::json::object();
    out[key] = *target_config;
    auto& config = out[key];
    config.erase("hash");
    if (!subnets.empty() || config.contains(subnets_key)) config[subnets_key] = std::move(subnets);
    if (!networks.empty() || config.contains(kSharedNetworks)) config[kSharedNetworks] = std::move(networks);
    return out;
}

Result<std::vector<std::string>> out_of_scope_changes(const nlohmann::json& sot_before,
                                                      const nlohmann::json& sot_after, std::string_view service,
                                                      const RelationshipScope& relationship) {
    const auto* before = service_config(sot_before, service);
    if (!before) return not_a_document(service, "the config before the change");
    const auto* after = service_config(sot_after, service);
    if (!after) return not_a_document(service, "the changed config");
    const Placement placed_after(sot_after, service, "the changed config");
    if (!placed_after.takes_part_in(relationship)) {
        return make_error(ErrorKind::NotFound, "the changed config takes part in no HA relationship " +
                                                   describe(relationship));
    }
    const auto subnets_key = subnet_list_key(service);
    const auto new_layout = layout_of(*after, placed_after, subnets_key);
    if (new_layout.problem) return make_error(ErrorKind::Conflict, *new_layout.problem);
    // An entry of the old config that could not be placed was never replicated: out of scope.
    const auto old_layout = layout_of(*before, Placement(sot_before, service, "the config before the change"),
                                      subnets_key);

    std::vector<std::string> out;
    std::set<std::string> globals;
    for (const auto* config : {before, after})
        for (auto it = config->begin(); it != config->end(); ++it) globals.insert(it.key());
    for (const auto& name : globals) {
        if (name == subnets_key || name == kSharedNetworks || name == "hash") continue;
        const auto old = before->find(name);
        const auto now = after->find(name);
        const bool same = old != before->end() && now != after->end() && *old == *now;
        if (!same) out.push_back(name + " (global)");
    }
    add_out_of_scope(old_layout.subnets, new_layout.subnets, relationship, "subnet ", "", out);
    add_out_of_scope(old_layout.networks, new_layout.networks, relationship, "shared network '", "'", out);
    return out;
}

bool same_scope(const nlohmann::json& a, const nlohmann::json& b, std::string_view service,
                const RelationshipScope& relationship) {
    const auto subnets_key = subnet_list_key(service);
    std::vector<Layout> layouts;
    for (const auto* document : {&a, &b}) {
        const auto* config = service_config(*document, service);
        if (!config) return false;
        const Placement placement(*document, service, "the config");
        if (!placement.takes_part_in(relationship)) return false;
        layouts.push_back(layout_of(*config, placement, subnets_key));
        if (layouts.back().problem) return false;
    }
    auto equal = [&](const std::vector<Entry>& x, const std::vector<Entry>& y) {
        const auto xs = in_scope(x, relationship);
        const auto ys = in_scope(y, relationship);
        return std::equal(xs.begin(), xs.end(), ys.begin(), ys.end(), [](const auto& p, const auto& q) {
            return p.first == q.first && *p.second->value == *q.second->value;
        });
    };
    return equal(layouts[0].subnets, layouts[1].subnets) && equal(layouts[0].networks, layouts[1].networks);
}

}  // namespace kea_ha::core
