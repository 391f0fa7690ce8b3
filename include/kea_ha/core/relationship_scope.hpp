#pragma once
// SPEC §5, several HA relationships (Kea >= 2.6): replication scoped to one relationship.
// Pure: config documents in, config documents and decisions out.
//
// A subnet is bound to a relationship by `"user-context": {"ha-server-name": NAME}`, NAME a
// peer of that relationship (Kea's HA hook reads the subnet's own user-context only). A
// config with one relationship binds its unbound subnets to it; in a config with several, an
// unbound subnet is a placement error. A shared network is bound through its subnets (all
// to one relationship, else a placement error); one with no subnets is bound to none and is
// never in a relationship's scope.
//
// Between two servers whose relationships differ (a hub and a branch), replication replaces
// on the target only the subnets and shared networks of the cluster's relationship (its
// *scope*) and keeps everything else of the target. Between servers with the same
// relationships (plain and mutual pairs) the whole config is replicated (transform_for).

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kea_ha/core/replication.hpp"
#include "kea_ha/core/result.hpp"

namespace kea_ha::core {

/// The relationship of `document` that lists `peer_name` among its peers (for a cluster: the
/// registered primary's this-server-name). NotFound, listing the document's relationships,
/// when none does; Conflict when several do (the name maps to two relationships).
Result<RelationshipScope> relationship_of_peer(const nlohmann::json& document, std::string_view service,
                                               std::string_view peer_name);

/// What of a config is bound to one relationship.
struct ConfigScope {
    std::vector<std::string> subnets;          ///< prefixes ("192.0.2.0/24"): top level, then in shared networks
    std::vector<std::string> shared_networks;  ///< names of the shared networks whose subnets are bound to it
};

/// The subnets (subnet4/subnet6 at the top level and inside shared-networks) and shared
/// networks of `document` bound to `relationship`. Conflict, naming the subnet or network,
/// when any of the document's subnets cannot be placed (bound to a name that is a peer of
/// none or of several of its relationships; unbound in a config with several relationships;
/// a shared network whose subnets are bound to different relationships); NotFound when the
/// document does not take part in `relationship`.
Result<ConfigScope> scope_of(const nlohmann::json& document, std::string_view service,
                             const RelationshipScope& relationship);

/// True when replication from the SoT to the target is scoped: their sets of relationships
/// differ (hub and branch, either direction). False for plain and mutual pairs.
bool replication_is_scoped(const nlohmann::json& sot_document, const nlohmann::json& target_current,
                           std::string_view service);

/// SPEC §5 transform of the SoT's document for `target` (its peer name in `relationship`).
/// Same relationships on both sides: exactly transform_for(). Otherwise the target's current
/// config (without `hash`) with its in-scope subnets and shared networks replaced by the SoT's
/// in-scope ones, matched by prefix and by name (changed in place, removed, added at the end);
/// everything else of the target is kept (other relationships' subnets, global parameters, HA
/// hook entries and their this-server-names, peer-local keys). Conflict, with a message naming
/// the subnet or network, when either config cannot be placed (see scope_of), when an in-scope
/// subnet would land on the target bound to a name that is a peer of none or several of the
/// target's relationships (or unbound on a target with several), when a placed subnet's prefix
/// or id, or a placed shared network's name, is already used on the target outside the scope,
/// or when the SoT, the target or `target` do not take part in `relationship`.
Result<nlohmann::json> scoped_transform_for(nlohmann::json sot_document, std::string_view service,
                                            const RelationshipScope& relationship, std::string_view target,
                                            const nlohmann::json& target_current,
                                            const std::vector<std::string>& peer_local_parameters);

/// What of a change of the SoT (`sot_before` → `sot_after`) lies outside `relationship`'s scope
/// and is therefore not replicated to a peer whose replication is scoped: one human-readable
/// item per changed global key ("valid-lifetime (global)"), top-level subnet outside the scope
/// ("subnet 198.51.100.0/24 (relationship branch2+hub2)") and shared network outside it
/// ("shared network 'lab' (relationship branch2+hub2)"; "(no relationship)" when it has no
/// subnets). Empty when all of the change is in scope. Conflict as scope_of() when
/// `sot_after` cannot be placed; an unplaceable entry of `sot_before` counts as out of scope.
Result<std::vector<std::string>> out_of_scope_changes(const nlohmann::json& sot_before,
                                                      const nlohmann::json& sot_after, std::string_view service,
                                                      const RelationshipScope& relationship);

/// A peer whose replication is scoped is in sync when its scope equals the SoT's: the same
/// in-scope subnets (by prefix) and shared networks (by name), compared as canonical JSON;
/// order and everything outside the scope do not matter. False when either document cannot
/// be placed or does not take part in `relationship`.
bool same_scope(const nlohmann::json& a, const nlohmann::json& b, std::string_view service,
                const RelationshipScope& relationship);

}  // namespace kea_ha::core
