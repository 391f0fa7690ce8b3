#pragma once
// The top-level keys of Kea's `Dhcp4` and `Dhcp6` configs (Kea 2.2 to 3.2, from each
// release's parser), each with where replication takes it from: the source of truth
// (replicated) or the target itself (per-server: its identity, sockets, local paths,
// interfaces). docs/replication.md shows the same table; replication_keys_test checks that
// the two agree and that keaPeerLocalParameters' default is exactly the per-server keys.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kea_ha::core {

/// Where replication takes a top-level key of the service config from.
enum class KeyHome {
    Replicated,  ///< the source of truth's value, the same on every peer
    PerServer,   ///< the target's own value (removed when the target has none)
};

/// The services a key exists in.
enum class KeyServices { Both, Dhcp4, Dhcp6 };

/// One top-level key of a Kea service config.
struct ServiceConfigKey {
    std::string_view name;       ///< as Kea spells it: "server-id"
    KeyServices services;
    KeyHome home;
    std::string_view since;      ///< first Kea release that takes it ("2.2" for older ones)
    std::string_view reason;     ///< one line: why it lives there
};

/// Every top-level key of Dhcp4 and Dhcp6 that Kea 2.2 to 3.2 accept, in alphabetical order.
/// A key not listed (a later Kea's) is replicated: list it in keaPeerLocalParameters to keep
/// it per server.
std::span<const ServiceConfigKey> service_config_keys();

/// The per-server keys of service_config_keys(), in its order: keaPeerLocalParameters' default.
std::vector<std::string> per_server_keys();

/// Keys replication keeps from the target whatever keaPeerLocalParameters says: its control
/// sockets (the controller's own way in; the singular form up to 2.6, the list from 3.0) and
/// its DHCPv6 server identifier (two servers answering with one DUID break every client).
inline constexpr std::string_view kAlwaysPerServer[] = {"control-socket", "control-sockets", "server-id"};

}  // namespace kea_ha::core
