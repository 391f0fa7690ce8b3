#pragma once
// Host names and addresses in allow-lists (issue 32): apiAllowedHosts (which Host headers the
// management API answers) and keaAllowedHosts (where Kea credentials may go).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kea_ha/core/result.hpp"

namespace kea_ha::core {

/// One entry of an allow-list: a host name ("kea1.example.net"), a name suffix
/// ("*.example.net": any name below it, not the name itself), an address ("192.0.2.7",
/// "2001:db8::7") or a network in CIDR notation ("192.0.2.0/24", "2001:db8::/64").
struct HostPattern {
    enum class Kind { Name, Suffix, Network } kind = Kind::Name;
    std::string name;                      ///< Name: lower case; Suffix: ".example.net"
    std::array<std::uint8_t, 16> address{};///< Network: the address (IPv4 in the first 4 bytes)
    bool ipv6 = false;
    unsigned prefix = 0;                   ///< Network: prefix length (32 / 128 for one address)
    /// keaAllowedHosts only: the one port allowed ("kea1.example.net:8000", "[2001:db8::7]:8000",
    /// "192.0.2.0/24:8000", "[2001:db8::/64]:8000"); none: every port.
    std::optional<std::uint16_t> port;
    std::string text;                      ///< as written, for messages
};

/// Parses one entry; the error says what is wrong with it ("'10.0.0.0/33': prefix above 32").
Result<HostPattern> parse_host_pattern(std::string_view text);
/// A comma-separated list ("" is none); the first bad entry is the error. With `ports`, an
/// entry may end in ":PORT" (an IPv6 address or network then in brackets).
Result<std::vector<HostPattern>> parse_host_patterns(std::string_view list, bool ports = false);

/// The host of an authority ("Host" header, URL): "name:port" -> "name", "[v6]:port" -> "v6",
/// lower case, a trailing dot dropped. nullopt when it is malformed (empty, unbalanced
/// brackets, characters a host cannot have).
std::optional<std::string> host_of_authority(std::string_view authority);
/// The host of an http(s) URL ("https://[::1]:8000/x" -> "::1"); nullopt when it has none.
std::optional<std::string> host_of_url(std::string_view url);

/// True when `host` (a name or an address without brackets) is allowed by `pattern`.
bool host_matches(const HostPattern& pattern, std::string_view host);
bool host_matches_any(const std::vector<HostPattern>& patterns, std::string_view host);
/// `host` matches an entry, and `port` that entry's port when it names one (keaAllowedHosts).
bool host_port_matches_any(const std::vector<HostPattern>& patterns, std::string_view host, std::uint16_t port);
/// The URL's host matches an entry, and its port (80 / 443 by the scheme when none is
/// written) that entry's port when it names one (keaAllowedHosts).
bool url_matches_any(const std::vector<HostPattern>& patterns, std::string_view url);
/// The port of an http(s) URL, 80 / 443 by its scheme when none is written; nullopt when malformed.
std::optional<std::uint16_t> port_of_url(std::string_view url);
/// An address literal (IPv4 or IPv6), not a name.
bool is_ip_literal(std::string_view host);
/// "localhost", a name below ".localhost", 127.0.0.0/8, ::1 and ::ffff:127.x.y.z.
bool is_loopback_host(std::string_view host);
/// 0.0.0.0 or :: (a listen address meaning every address of the machine).
bool is_wildcard_address(std::string_view host);

}  // namespace kea_ha::core
