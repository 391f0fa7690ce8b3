#pragma once
// The end-to-end tests of several HA relationships (Kea 2.6+): the controller's settings and
// the lab's shape they start, and what they read from a peer's own config (the "Dhcp4" part,
// or "Dhcp6" part, as LabController::kea_config() gives it): each relationship's this-server-name, the
// subnets, a subnet's first pool; and a peer's HA state in one relationship as a string (an
// error's text otherwise), for assertions.

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kea_ha/lab/kea_lab.hpp"

namespace kea_ha::testing {

/// Polls every 0.5 s, short request deadlines: the lab is on loopback.
inline const std::map<std::string, std::string> kRelationshipLabSettings = {
    {"keaPollInterval", "0.5"}, {"keaRequestTimeout", "1"}, {"keaConfigTimeout", "10"}};

/// A lab of `shape` for `service` on the version $KEA_HA_LAB_KEA names.
inline lab::LabOptions shaped(lab::LabShape shape, const std::string& service = "dhcp4") {
    lab::LabOptions options;
    options.shape = shape;
    options.service = service;
    return options;
}

/// this-server-name of each HA relationship in a peer's own config, in order.
inline std::vector<std::string> names_of(const nlohmann::json& dhcp4) {
    std::vector<std::string> out;
    for (const auto& hook : dhcp4.value("hooks-libraries", nlohmann::json::array()))
        if (hook.contains("parameters"))
            for (const auto& r : hook["parameters"]["high-availability"]) out.push_back(r["this-server-name"]);
    return out;
}

/// The config's subnet list key: "subnet6" in a Dhcp6 config, else "subnet4".
inline std::string subnet_list_of(const nlohmann::json& config) {
    return config.contains("subnet6") ? "subnet6" : "subnet4";
}

/// The prefixes of the top-level subnet4 (or subnet6) list.
inline std::set<std::string> subnets_of(const nlohmann::json& dhcp4) {
    std::set<std::string> out;
    for (const auto& s : dhcp4.value(subnet_list_of(dhcp4), nlohmann::json::array()))
        out.insert(s["subnet"].get<std::string>());
    return out;
}

/// The subnet with `prefix` (null when there is none).
inline nlohmann::json subnet_of(const nlohmann::json& dhcp4, const std::string& prefix) {
    for (const auto& s : dhcp4.value(subnet_list_of(dhcp4), nlohmann::json::array()))
        if (s.value("subnet", "") == prefix) return s;
    return nullptr;
}

/// The first pool of the subnet with `prefix`, spaces removed ("" when there is none).
inline std::string pool_of(const nlohmann::json& dhcp4, const std::string& prefix) {
    const auto subnet = subnet_of(dhcp4, prefix);
    if (!subnet.is_object() || subnet.value("pools", nlohmann::json::array()).empty()) return "";
    std::string pool = subnet["pools"][0].value("pool", "");
    std::erase(pool, ' ');
    return pool;
}

/// The peer's HA state in the relationship where it is `server_name`, or "error: …".
inline std::string ha_state(const lab::KeaLab& lab, const std::string& peer, const std::string& server_name) {
    auto state = lab.ha_state(peer, server_name);
    return state ? *state : "error: " + state.error().describe();
}

}  // namespace kea_ha::testing
