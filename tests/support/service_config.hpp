#pragma once
// The end-to-end suites run once per service (TEST_P over "dhcp4" and "dhcp6", issue 27 point 1):
// what differs between a DHCPv4 and a DHCPv6 config for them, so a test names the v4 or v6
// spelling through these helpers instead of being copied. The lab's subnets are the ones
// src/lab/kea_lab.cpp writes (relationship 0: 192.0.2.0/24 or 2001:db8:1::/64, relationship 1:
// 198.51.100.0/24 or 2001:db8:2::/64).

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kea_ha::testing {

/// The name of a service parameter: the test name ends in "/dhcp4" or "/dhcp6" (what
/// .ci/e2e-counts and the CI matrix read). Suites instantiate with
/// INSTANTIATE_TEST_SUITE_P(Service, Suite, ::testing::Values("dhcp4", "dhcp6"), service_name).
inline std::string service_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

/// "Dhcp4" / "Dhcp6": the service's top-level key in Kea's config.
inline std::string service_key(const std::string& service) { return service == "dhcp6" ? "Dhcp6" : "Dhcp4"; }

/// "subnet4" / "subnet6": the service's list of subnets.
inline std::string subnet_list_key(const std::string& service) { return service == "dhcp6" ? "subnet6" : "subnet4"; }

/// "leases4.csv" / "leases6.csv": the lab's memfile lease file name.
inline std::string lease_file(const std::string& service) { return service == "dhcp6" ? "leases6.csv" : "leases4.csv"; }

/// The subnet of the lab's relationship `r` (0 or 1).
inline std::string lab_subnet(const std::string& service, int r) {
    if (service == "dhcp6") return r == 0 ? "2001:db8:1::/64" : "2001:db8:2::/64";
    return r == 0 ? "192.0.2.0/24" : "198.51.100.0/24";
}

/// A pool inside the lab's subnet `r`, from host `first` to host `last` (decimal digits, read as
/// the last IPv4 octet or the last IPv6 group), spelled as Kea gives it back with spaces removed:
/// lab_pool("dhcp4", 0, 110, 190) is "192.0.2.110-192.0.2.190", for dhcp6 "2001:db8:1::110-2001:db8:1::190".
inline std::string lab_pool(const std::string& service, int r, int first, int last) {
    const std::string base = service == "dhcp6" ? (r == 0 ? "2001:db8:1::" : "2001:db8:2::")
                                                : (r == 0 ? "192.0.2." : "198.51.100.");
    return base + std::to_string(first) + "-" + base + std::to_string(last);
}

/// A prefix outside the lab's subnets, numbered `n` (1..255): "10.N.0.0/24" or "2001:db8:N::/64".
inline std::string other_subnet(const std::string& service, int n) {
    return service == "dhcp6" ? "2001:db8:" + std::to_string(n) + "::/64" : "10." + std::to_string(n) + ".0.0/24";
}

/// A pool of other_subnet(service, n): hosts 10 to 20.
inline std::string other_pool(const std::string& service, int n) {
    return service == "dhcp6" ? "2001:db8:" + std::to_string(n) + "::10-2001:db8:" + std::to_string(n) + "::20"
                              : "10." + std::to_string(n) + ".0.10-10." + std::to_string(n) + ".0.20";
}

/// A merge patch of the service's global valid-lifetime.
inline nlohmann::json lifetime_patch(const std::string& service, int seconds) {
    return {{service_key(service), {{"valid-lifetime", seconds}}}};
}

}  // namespace kea_ha::testing
