#include "kea_ha/core/host_pattern.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace kea_ha::core {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return text;
}

/// Letters, digits, '-', '_' and '.' (RFC 1123 names; '_' as found in the wild).
bool is_name(std::string_view text) {
    return !text.empty() && text.size() <= 253 && text.front() != '.' && text.front() != '-' &&
           std::all_of(text.begin(), text.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
           }) &&
           text.find("..") == std::string_view::npos;
}

/// Parses an address literal into 16 bytes (IPv4 in the first 4); false when it is not one.
bool parse_address(std::string_view text, std::array<std::uint8_t, 16>& out, bool& ipv6) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
    const std::string copy(text);
    out.fill(0);
    in_addr v4{};
    if (inet_pton(AF_INET, copy.c_str(), &v4) == 1) {
        std::memcpy(out.data(), &v4, 4);
        ipv6 = false;
        return true;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, copy.c_str(), &v6) == 1) {
        std::memcpy(out.data(), &v6, 16);
        ipv6 = true;
        return true;
    }
    return false;
}

/// A port written in a URL or an allow-list entry: 1-65535 in decimal digits.
std::optional<std::uint16_t> port_number(std::string_view text) {
    if (text.empty() || text.size() > 5 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        return std::nullopt;
    }
    const auto number = std::stoul(std::string(text));
    if (number == 0 || number > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(number);
}

bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, unsigned bits) {
    const unsigned bytes = bits / 8;
    if (!std::equal(a.begin(), a.begin() + bytes, b.begin())) return false;
    const unsigned rest = bits % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - rest));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

}  // namespace

Result<HostPattern> parse_host_pattern(std::string_view text_in) {
    const auto text = trim(text_in);
    HostPattern pattern;
    pattern.text = std::string(text);
    const auto bad = [&](const std::string& why) {
        return make_error(ErrorKind::Invalid, "'" + pattern.text + "': " + why);
    };
    if (text.empty()) return bad("empty entry");
    if (text.rfind("*.", 0) == 0) {
        const auto rest = lower(text.substr(2));
        if (!is_name(rest) || rest.find('.') == std::string::npos) {
            return bad("a wildcard is '*.' then a name with at least two labels, as in *.example.net");
        }
        pattern.kind = HostPattern::Kind::Suffix;
        pattern.name = "." + rest;
        return pattern;
    }
    if (text.find('*') != std::string_view::npos) return bad("'*' is allowed only as the first label (*.example.net)");
    const auto slash = text.find('/');
    const auto address = text.substr(0, slash);
    if (parse_address(address, pattern.address, pattern.ipv6)) {
        pattern.kind = HostPattern::Kind::Network;
        const unsigned max = pattern.ipv6 ? 128 : 32;
        pattern.prefix = max;
        if (slash != std::string_view::npos) {
            const auto bits = text.substr(slash + 1);
            if (bits.empty() || bits.size() > 3 ||
                !std::all_of(bits.begin(), bits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
                return bad("the prefix length after '/' must be a whole number");
            }
            pattern.prefix = static_cast<unsigned>(std::stoul(std::string(bits)));
            if (pattern.prefix > max) return bad("prefix above " + std::to_string(max));
        }
        return pattern;
    }
    if (slash != std::string_view::npos) return bad("a network is an IPv4 or IPv6 address, '/', a prefix length");
    if (!is_name(text)) return bad("not a host name, an address or a network");
    pattern.kind = HostPattern::Kind::Name;
    pattern.name = lower(text);
    if (pattern.name.back() == '.') pattern.name.pop_back();
    return pattern;
}

namespace {

/// "ENTRY:PORT" or "[V6 ENTRY]:PORT" → the entry and its port; an entry without a port as it is.
Result<HostPattern> parse_host_port_pattern(std::string_view text_in) {
    const auto text = trim(text_in);
    std::string_view entry = text;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return make_error(ErrorKind::Invalid, "'" + std::string(text) + "': no ']'");
        entry = text.substr(1, close - 1);
        const auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return make_error(ErrorKind::Invalid, "'" + std::string(text) + "': after ']' only ':PORT' may follow");
            }
            port = rest.substr(1);
            if (port.empty()) return make_error(ErrorKind::Invalid, "'" + std::string(text) + "': empty port after ':'");
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        const auto colon = text.find(':');
        entry = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (port.empty()) return make_error(ErrorKind::Invalid, "'" + std::string(text) + "': empty port after ':'");
    }
    auto pattern = parse_host_pattern(entry);
    if (!pattern) return pattern;
    pattern->text = std::string(text);
    if (!port.empty()) {
        pattern->port = port_number(port);
        if (!pattern->port) return make_error(ErrorKind::Invalid, "'" + std::string(text) + "': the port must be 1-65535");
    }
    return pattern;
}

}  // namespace

Result<std::vector<HostPattern>> parse_host_patterns(std::string_view list, bool ports) {
    std::vector<HostPattern> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        const auto comma = list.find(',', start);
        const auto item = trim(list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (!item.empty()) {
            auto pattern = ports ? parse_host_port_pattern(item) : parse_host_pattern(item);
            if (!pattern) return pattern.error();
            out.push_back(std::move(*pattern));
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

std::optional<std::string> host_of_authority(std::string_view authority) {
    // userinfo@ is never part of a Host header; in a URL it is dropped.
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    std::string_view host;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        const auto rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return std::nullopt;
        std::array<std::uint8_t, 16> bytes{};
        bool ipv6 = false;
        if (!parse_address(host, bytes, ipv6) || !ipv6) return std::nullopt;
        return lower(host);
    }
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
        const auto port = authority.substr(colon + 1);
        if (port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
            return std::nullopt;
        }
    }
    auto out = lower(host);
    if (!out.empty() && out.back() == '.') out.pop_back();
    if (!is_name(out)) return std::nullopt;
    return out;
}

namespace {

/// The authority of a URL ("https://user@h:8443/x" → "user@h:8443"); nullopt without "://".
std::optional<std::string_view> authority_of(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return std::nullopt;
    const auto rest = url.substr(scheme + 3);
    return rest.substr(0, rest.find_first_of("/?#"));
}

}  // namespace

std::optional<std::string> host_of_url(std::string_view url) {
    const auto authority = authority_of(url);
    if (!authority) return std::nullopt;
    return host_of_authority(*authority);
}

bool host_matches(const HostPattern& pattern, std::string_view host_in) {
    const auto host = lower(host_in);
    switch (pattern.kind) {
        case HostPattern::Kind::Name: return host == pattern.name;
        case HostPattern::Kind::Suffix:
            return host.size() > pattern.name.size() &&
                   host.compare(host.size() - pattern.name.size(), pattern.name.size(), pattern.name) == 0;
        case HostPattern::Kind::Network: {
            std::array<std::uint8_t, 16> address{};
            bool ipv6 = false;
            if (!parse_address(host, address, ipv6)) return false;
            if (ipv6 && !pattern.ipv6) {
                // ::ffff:192.0.2.7 is 192.0.2.7.
                static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
                if (!std::equal(address.begin(), address.begin() + 12, kMapped)) return false;
                std::rotate(address.begin(), address.begin() + 12, address.end());
                ipv6 = false;
            }
            return ipv6 == pattern.ipv6 && same_prefix(address, pattern.address, pattern.prefix);
        }
    }
    return false;
}

bool host_matches_any(const std::vector<HostPattern>& patterns, std::string_view host) {
    return std::any_of(patterns.begin(), patterns.end(), [&](const HostPattern& p) { return host_matches(p, host); });
}

std::optional<std::uint16_t> port_of_url(std::string_view url) {
    const auto found = authority_of(url);
    if (!found) return std::nullopt;
    const auto name = lower(url.substr(0, url.find("://")));
    auto authority = *found;
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(']', colon) != std::string_view::npos) colon = std::string_view::npos;
    if (colon == std::string_view::npos || colon + 1 == authority.size()) {
        if (name == "http") return 80;
        if (name == "https") return 443;
        return std::nullopt;
    }
    return port_number(authority.substr(colon + 1));
}

bool host_port_matches_any(const std::vector<HostPattern>& patterns, std::string_view host, std::uint16_t port) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const HostPattern& p) { return host_matches(p, host) && (!p.port || *p.port == port); });
}

bool url_matches_any(const std::vector<HostPattern>& patterns, std::string_view url) {
    const auto host = host_of_url(url);
    const auto port = port_of_url(url);
    return host && port && host_port_matches_any(patterns, *host, *port);
}

bool is_ip_literal(std::string_view host) {
    std::array<std::uint8_t, 16> address{};
    bool ipv6 = false;
    return parse_address(host, address, ipv6);
}

bool is_loopback_host(std::string_view host_in) {
    const auto host = lower(host_in);
    if (host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0)) return true;
    static const std::vector<HostPattern> kLoopback = [] {
        std::vector<HostPattern> list;
        for (const char* text : {"127.0.0.0/8", "::1"}) list.push_back(*parse_host_pattern(text));
        return list;
    }();
    return host_matches_any(kLoopback, host);
}

bool is_wildcard_address(std::string_view host) {
    std::array<std::uint8_t, 16> address{};
    bool ipv6 = false;
    if (!parse_address(host, address, ipv6)) return false;
    return std::all_of(address.begin(), address.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace kea_ha::core
