// Parsing control endpoint URLs ("http://127.0.0.1:8000/", "https://[::1]:8443/path").

#include <charconv>
#include <string>
#include <string_view>

#include "kea_ha/kea/control_agent.hpp"

namespace kea_ha::kea {

namespace {

using core::ErrorKind;
using core::make_error;

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

}  // namespace

core::Result<Endpoint> parse_endpoint(const std::string& url) {
    auto invalid = [&](const std::string& why) {
        return make_error(ErrorKind::Invalid, "bad control URL \"" + url + "\": " + why);
    };
    Endpoint endpoint;
    endpoint.text = url;
    std::string_view rest = url;
    if (iequals_prefix(rest, "https://")) {
        endpoint.https = true;
        rest.remove_prefix(8);
    } else if (iequals_prefix(rest, "http://")) {
        rest.remove_prefix(7);
    } else {
        return invalid("scheme must be http:// or https://");
    }

    // authority [/target]; a query or fragment without a path still belongs to the target.
    const auto authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view target = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos) {
        return invalid("credentials in the URL are not supported (use keaAuthUser)");
    }

    std::string_view port_text;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return invalid("unterminated [IPv6] literal");
        endpoint.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return invalid("unexpected text after the [IPv6] literal");
            port_text = after.substr(1);
            has_port = true;
        }
        if (endpoint.host.find(':') == std::string::npos) return invalid("[...] must hold an IPv6 address");
    } else {
        const auto colon = authority.find(':');
        if (colon != std::string_view::npos) {
            if (authority.find(':', colon + 1) != std::string_view::npos) {
                return invalid("IPv6 addresses must be written in brackets: [::1]");
            }
            port_text = authority.substr(colon + 1);
            has_port = true;
            authority = authority.substr(0, colon);
        }
        endpoint.host = std::string(authority);
    }
    if (endpoint.host.empty()) return invalid("empty host");
    for (char c : endpoint.host) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return invalid("host contains whitespace or control characters");
    }

    if (has_port) {
        if (port_text.empty()) return invalid("empty port");
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || value == 0 || value > 65535) {
            return invalid("port must be a number from 1 to 65535");
        }
        endpoint.port = static_cast<std::uint16_t>(value);
    } else {
        endpoint.port = endpoint.https ? 443 : 80;
    }

    if (target.empty()) {
        endpoint.target = "/";
    } else {
        if (auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
        endpoint.target = target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
        for (char c : endpoint.target) {
            if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return invalid("path contains whitespace or control characters");
        }
    }
    return endpoint;
}

}  // namespace kea_ha::kea
