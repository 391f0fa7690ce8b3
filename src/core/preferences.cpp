#include "kea_ha/core/preferences.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include <pugixml.hpp>

namespace kea_ha::core {
namespace {

// Documentation order (docs/configuration.md, config/preferences.cfg).
constexpr std::string_view kKeys[] = {
    "keaReplicateConfig",    "keaControlAgentHost", "keaControlAgentPort",
    "keaPollInterval",       "keaRequestTimeout",   "keaConfigTimeout",
    "keaConfigSyncInterval", "keaPropagateExternalChanges",
    "keaPeerLocalParameters", "keaClockSkewWarning", "keaAuthUser",
    "keaAuthPasswordFile",   "keaTlsCaFile",        "keaTlsCertFile",
    "keaTlsKeyFile",         "keaTlsVerify",        "keaAllowBasicAuthOverHttp", "keaAllowedHosts",
    "secretsDirectory",        "keaMaxResponseSize",   "keaHistoryDepth",
    "apiListen",             "apiAllowedHosts",     "apiTokenFile",         "apiAllowNoToken",        "apiTokensFile",        "apiTlsCertFile",
    "apiTlsKeyFile",         "stateDirectory",      "logLevel",
    "logFile",               "logMaxSize",          "logMaxFiles",
};

constexpr std::string_view kServerElement = "keaServer";

/// A failure while reading one value; the caller prefixes "FILE:LINE: ".
struct Failure {
    std::string message;
};

std::string trim(std::string_view text) {
    const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return std::string(text);
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

/// 1-based line of a byte offset; 0 when unknown.
int line_of(std::string_view text, std::ptrdiff_t offset) {
    if (offset < 0) return 0;
    const auto end = std::min<std::size_t>(static_cast<std::size_t>(offset), text.size());
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
}

/// Case-insensitive edit distance (suggestions for misspelt keys).
std::size_t edit_distance(std::string_view a_in, std::string_view b_in) {
    const std::string a = lower(a_in);
    const std::string b = lower(b_in);
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::optional<std::string_view> closest_key(std::string_view unknown) {
    std::optional<std::string_view> best;
    std::size_t best_distance = 0;
    const auto consider = [&](std::string_view candidate) {
        const auto distance = edit_distance(unknown, candidate);
        if (!best || distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    };
    for (const auto key : kKeys) consider(key);
    consider(kServerElement);
    const std::size_t limit = std::max<std::size_t>(2, unknown.size() / 3);
    if (best && best_distance <= limit) return best;
    return std::nullopt;
}

// ---- value readers: each returns a Failure message starting with the key ----

std::optional<Failure> read_bool(std::string_view key, const std::string& value, bool& out) {
    const std::string v = lower(value);
    if (v == "1" || v == "true" || v == "yes") {
        out = true;
    } else if (v == "0" || v == "false" || v == "no") {
        out = false;
    } else {
        return Failure{std::string(key) + " must be 0 or 1 (got " + quoted(value) + ")"};
    }
    return std::nullopt;
}

/// Plain decimal: [+-]digits[.digits] or [+-].digits. No exponents, no inf/nan, no hex.
bool is_decimal(const std::string& value) {
    std::size_t i = 0;
    if (i < value.size() && (value[i] == '+' || value[i] == '-')) ++i;
    std::size_t digits = 0;
    while (i < value.size() && std::isdigit(static_cast<unsigned char>(value[i]))) ++i, ++digits;
    if (i < value.size() && value[i] == '.') {
        ++i;
        while (i < value.size() && std::isdigit(static_cast<unsigned char>(value[i]))) ++i, ++digits;
    }
    return digits > 0 && i == value.size();
}

std::string format_number(double number) {
    std::ostringstream out;
    out << number;
    return out.str();
}

/// Seconds with decimals; `min` is inclusive and > 0, values <= 0 get "must be > 0".
std::optional<Failure> read_seconds(std::string_view key, const std::string& value, double min, double max,
                                    Duration& out) {
    if (!is_decimal(value)) {
        return Failure{std::string(key) + " must be a number of seconds (got " + quoted(value) + ")"};
    }
    const double seconds = std::strtod(value.c_str(), nullptr);
    if (seconds <= 0) return Failure{std::string(key) + " must be > 0 (got " + value + ")"};
    if (seconds < min) return Failure{std::string(key) + " must be >= " + format_number(min) + " (got " + value + ")"};
    if (seconds > max) return Failure{std::string(key) + " must be <= " + format_number(max) + " (got " + value + ")"};
    out = Duration(static_cast<Duration::rep>(std::llround(seconds * 1000.0)));
    return std::nullopt;
}

/// A whole number in [min, max]; "-3" or "99999999999999999999" are range errors, "1.5" a type error.
std::optional<Failure> read_integer(std::string_view key, const std::string& value, std::int64_t min,
                                    std::int64_t max, std::int64_t& out) {
    std::size_t start = (!value.empty() && (value[0] == '+' || value[0] == '-')) ? 1 : 0;
    const bool digits_only =
        value.size() > start && std::all_of(value.begin() + static_cast<std::ptrdiff_t>(start), value.end(),
                                            [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
    if (!digits_only) {
        return Failure{std::string(key) + " must be a whole number (got " + quoted(value) + ")"};
    }
    const std::string range = std::string(key) + " must be between " + std::to_string(min) + " and " +
                              std::to_string(max) + " (got " + value + ")";
    std::int64_t number = 0;
    const char* first = value.data() + (value[0] == '+' ? 1 : 0);
    const auto [ptr, ec] = std::from_chars(first, value.data() + value.size(), number);
    if (ec != std::errc() || ptr != value.data() + value.size()) return Failure{range};
    if (number < min || number > max) return Failure{range};
    out = number;
    return std::nullopt;
}

std::optional<Failure> read_nonempty(std::string_view key, const std::string& value, std::string& out) {
    if (value.empty()) return Failure{std::string(key) + " must not be empty"};
    out = value;
    return std::nullopt;
}

std::optional<Failure> read_nonempty(std::string_view key, const std::string& value,
                                     std::optional<std::string>& out) {
    std::string text;
    if (auto failure = read_nonempty(key, value, text)) return failure;
    out = std::move(text);
    return std::nullopt;
}

std::optional<Failure> read_log_level(std::string_view key, const std::string& value, LogLevel& out) {
    static const std::pair<std::string_view, LogLevel> levels[] = {
        {"trace", LogLevel::Trace}, {"debug", LogLevel::Debug}, {"info", LogLevel::Info},
        {"warn", LogLevel::Warn},   {"error", LogLevel::Error},
    };
    const std::string v = lower(value);
    for (const auto& [name, level] : levels) {
        if (v == name) {
            out = level;
            return std::nullopt;
        }
    }
    return Failure{std::string(key) + " must be one of trace, debug, info, warn, error (got " + quoted(value) + ")"};
}

/// Comma-separated; items trimmed, empty items skipped; "" means none.
std::vector<std::string> read_list(const std::string& value) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= value.size()) {
        const auto comma = value.find(',', start);
        const auto end = comma == std::string::npos ? value.size() : comma;
        auto item = trim(std::string_view(value).substr(start, end - start));
        if (!item.empty() && std::find(items.begin(), items.end(), item) == items.end()) {
            items.push_back(std::move(item));
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return items;
}

/// An allow-list of hosts (apiAllowedHosts, keaAllowedHosts): core/host_pattern.hpp. With
/// `ports` (keaAllowedHosts), an entry may end in ":PORT".
std::optional<Failure> read_hosts(std::string_view key, const std::string& value, std::vector<HostPattern>& out,
                                  bool ports = false) {
    auto hosts = parse_host_patterns(value, ports);
    if (!hosts) {
        return Failure{std::string(key) + " entry " + hosts.error().message +
                       (ports ? " (entries: names, *.suffix, addresses, CIDR networks, each with an optional :PORT "
                                "([IPv6]:PORT), comma-separated)"
                              : " (entries: names, *.suffix, addresses, CIDR networks, comma-separated)")};
    }
    out = std::move(*hosts);
    return std::nullopt;
}

struct ListenAddress {
    std::string host;
    bool ipv6 = false;
};

/// HOST:PORT or [IPV6]:PORT, port 0..65535.
std::optional<Failure> read_listen(std::string_view key, const std::string& value, ListenAddress& out) {
    const std::string shape = std::string(key) + " must be HOST:PORT or [IPV6]:PORT (got " + quoted(value) + ")";
    std::string host;
    std::string port;
    bool ipv6 = false;
    if (!value.empty() && value[0] == '[') {
        const auto close = value.find(']');
        if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':') return Failure{shape};
        host = value.substr(1, close - 1);
        port = value.substr(close + 2);
        ipv6 = true;
        in6_addr address{};
        if (inet_pton(AF_INET6, host.c_str(), &address) != 1) {
            return Failure{std::string(key) + " has an invalid IPv6 address (got " + quoted(value) + ")"};
        }
    } else {
        const auto colon = value.rfind(':');
        if (colon == std::string::npos) return Failure{shape};
        host = value.substr(0, colon);
        port = value.substr(colon + 1);
        if (host.find(':') != std::string::npos) {
            return Failure{std::string(key) + " needs brackets around an IPv6 address, as in [::1]:8067 (got " +
                           quoted(value) + ")"};
        }
    }
    if (host.empty() || port.empty() ||
        host.find_first_of(" \t[]/") != std::string::npos) {
        return Failure{shape};
    }
    if (!std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
        return Failure{shape};
    }
    if (port.size() > 5 || std::stoul(port) > 65535) {
        return Failure{std::string(key) + " port must be between 0 and 65535 (got " + quoted(value) + ")"};
    }
    out = ListenAddress{host, ipv6};
    return std::nullopt;
}

/// 127.0.0.0/8, ::1 (also ::ffff:127.x.y.z) and "localhost".
bool is_loopback(const ListenAddress& listen) {
    if (lower(listen.host) == "localhost") return true;
    if (listen.ipv6) {
        in6_addr address{};
        if (inet_pton(AF_INET6, listen.host.c_str(), &address) != 1) return false;
        if (IN6_IS_ADDR_LOOPBACK(&address)) return true;
        return IN6_IS_ADDR_V4MAPPED(&address) && address.s6_addr[12] == 127;
    }
    in_addr address{};
    if (inet_pton(AF_INET, listen.host.c_str(), &address) != 1) return false;
    return (ntohl(address.s_addr) >> 24) == 127;
}

/// The API's rule for cluster names (src/api/routes.cpp): 1 to 64 of A-Z a-z 0-9 . _ -.
bool valid_server_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    });
}

/// Parses one file; the first error ends it (errors come in document order).
class Parser {
public:
    Parser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

    Result<ParsedPreferences> run();

private:
    std::string at(int line) const { return std::string(file_) + ":" + std::to_string(line) + ": "; }
    Error error_at(int line, const std::string& message) const {
        return make_error(ErrorKind::Invalid, at(line) + message);
    }
    void warn(int line, std::string key, const std::string& message) {
        result_.warnings.push_back(PreferencesWarning{line, std::move(key), at(line) + message});
    }
    std::optional<Failure> apply(std::string_view key, const std::string& value);
    std::optional<Error> read_server(const pugi::xml_node& node, int line);
    std::optional<Error> cross_checks() const;
    int line_of_key(std::string_view key) const {
        const auto found = lines_.find(std::string(key));
        return found == lines_.end() ? 0 : found->second;
    }

    std::string_view text_;
    std::string_view file_;
    ParsedPreferences result_;
    std::map<std::string, int> lines_;  // key -> line where it was set
    std::optional<ListenAddress> listen_;
};

std::optional<Failure> Parser::apply(std::string_view key, const std::string& value) {
    Preferences& p = result_.preferences;
    std::int64_t number = 0;
    const auto integer = [&](std::int64_t min, std::int64_t max) { return read_integer(key, value, min, max, number); };

    if (key == "keaReplicateConfig") return read_bool(key, value, p.replicate_config);
    if (key == "keaControlAgentHost") return read_nonempty(key, value, p.control_agent_host);
    if (key == "keaControlAgentPort") {
        if (auto failure = integer(1, 65535)) return failure;
        p.control_agent_port = static_cast<std::uint16_t>(number);
        return std::nullopt;
    }
    if (key == "keaPollInterval") return read_seconds(key, value, 0.1, 3600, p.poll_interval);
    if (key == "keaRequestTimeout") return read_seconds(key, value, 0.001, 300, p.request_timeout);
    if (key == "keaConfigTimeout") return read_seconds(key, value, 0.001, 3600, p.config_timeout);
    // No "0 = never": the cluster monitor re-reads after this interval and would spin (docs).
    if (key == "keaConfigSyncInterval") return read_seconds(key, value, 10, 86400, p.config_sync_interval);
    if (key == "keaPropagateExternalChanges") return read_bool(key, value, p.propagate_external_changes);
    if (key == "keaPeerLocalParameters") {
        p.peer_local_parameters = read_list(value);
        return std::nullopt;
    }
    if (key == "keaClockSkewWarning") return read_seconds(key, value, 0.001, 3600, p.clock_skew_warning);
    if (key == "keaAuthUser") return read_nonempty(key, value, p.auth_user);
    if (key == "keaAuthPasswordFile") return read_nonempty(key, value, p.auth_password_file);
    if (key == "keaTlsCaFile") return read_nonempty(key, value, p.tls_ca_file);
    if (key == "keaTlsCertFile") return read_nonempty(key, value, p.tls_cert_file);
    if (key == "keaTlsKeyFile") return read_nonempty(key, value, p.tls_key_file);
    if (key == "keaTlsVerify") return read_bool(key, value, p.tls_verify);
    if (key == "keaAllowBasicAuthOverHttp") return read_bool(key, value, p.allow_basic_auth_over_http);
    if (key == "keaAllowedHosts") {
        std::vector<HostPattern> hosts;
        if (auto failure = read_hosts(key, value, hosts, true)) return failure;
        p.kea_allowed_hosts = std::move(hosts);
        return std::nullopt;
    }
    if (key == "secretsDirectory") {
        if (value.empty() || value.front() != '/') {
            return Failure{std::string(key) + " must be an absolute directory (got " + quoted(value) + ")"};
        }
        p.secrets_directory = value;
        return std::nullopt;
    }
    if (key == "keaMaxResponseSize") {
        if (auto failure = integer(1, 4096)) return failure;
        p.max_response_size = static_cast<std::uint64_t>(number) << 20;
        return std::nullopt;
    }
    if (key == "apiListen") {
        ListenAddress listen;
        if (auto failure = read_listen(key, value, listen)) return failure;
        p.api_listen = value;
        listen_ = listen;
        return std::nullopt;
    }
    if (key == "apiAllowedHosts") return read_hosts(key, value, p.api_allowed_hosts);
    if (key == "apiTokenFile") return read_nonempty(key, value, p.api_token_file);
    if (key == "apiTokensFile") return read_nonempty(key, value, p.api_tokens_file);
    if (key == "apiAllowNoToken") return read_bool(key, value, p.api_allow_no_token);
    if (key == "apiTlsCertFile") return read_nonempty(key, value, p.api_tls_cert_file);
    if (key == "apiTlsKeyFile") return read_nonempty(key, value, p.api_tls_key_file);
    if (key == "stateDirectory") return read_nonempty(key, value, p.state_directory);
    if (key == "logLevel") return read_log_level(key, value, p.log_level);
    if (key == "logFile") return read_nonempty(key, value, p.log_file);
    if (key == "logMaxSize") {
        if (auto failure = integer(1, 10240)) return failure;
        p.log_max_size = static_cast<std::uint64_t>(number) << 20;
        return std::nullopt;
    }
    if (key == "keaHistoryDepth") {
        if (auto failure = integer(0, 1000)) return failure;
        p.history_depth = static_cast<unsigned>(number);
        return std::nullopt;
    }
    if (key == "logMaxFiles") {
        if (auto failure = integer(1, 1000)) return failure;
        p.log_max_files = static_cast<unsigned>(number);
        return std::nullopt;
    }
    return Failure{"internal: no reader for " + std::string(key)};
}

std::optional<Error> Parser::read_server(const pugi::xml_node& node, int line) {
    DeclaredServer server;
    server.line = line;
    bool has_name = false;
    bool has_url = false;
    for (const auto& attribute : node.attributes()) {
        const std::string_view name = attribute.name();
        const std::string value = trim(attribute.value());
        if (name == "name") {
            server.name = value;
            has_name = true;
        } else if (name == "url") {
            server.url = value;
            has_url = true;
        } else if (name == "service") {
            server.service = lower(value);
        } else {
            warn(line, std::string(kServerElement),
                 "keaServer attribute '" + std::string(name) + "' unknown, ignored (known: name, url, service)");
        }
    }
    if (!has_name) return error_at(line, "keaServer needs a name attribute");
    if (!valid_server_name(server.name)) {
        return error_at(line, "keaServer name must be 1 to 64 characters of A-Z a-z 0-9 . _ - (got " +
                                  quoted(server.name) + ")");
    }
    const std::string label = "keaServer '" + server.name + "'";
    if (!has_url) return error_at(line, label + " needs a url attribute");
    const std::string url = lower(server.url);
    const bool http = url.rfind("http://", 0) == 0 && url.size() > 7;
    const bool https = url.rfind("https://", 0) == 0 && url.size() > 8;
    if (!http && !https) {
        return error_at(line, label + " url must start with http:// or https:// (got " + quoted(server.url) + ")");
    }
    if (server.service != "dhcp4" && server.service != "dhcp6") {
        return error_at(line, label + " service must be dhcp4 or dhcp6 (got " + quoted(server.service) + ")");
    }
    for (const auto& other : result_.preferences.servers) {
        if (other.name == server.name) {
            return error_at(line, label + " declared twice (first at line " + std::to_string(other.line) + ")");
        }
    }
    result_.preferences.servers.push_back(std::move(server));
    return std::nullopt;
}

std::optional<Error> Parser::cross_checks() const {
    const Preferences& p = result_.preferences;
    // "Both or neither": report at the line of the one that is present.
    const std::pair<std::string_view, std::string_view> pairs[] = {
        {"keaTlsCertFile", "keaTlsKeyFile"},
        {"apiTlsCertFile", "apiTlsKeyFile"},
        {"keaAuthUser", "keaAuthPasswordFile"},
    };
    std::optional<std::pair<int, std::string>> first;
    const auto note = [&](int line, std::string message) {
        if (!first || line < first->first) first = {line, std::move(message)};
    };
    for (const auto& [a, b] : pairs) {
        const int line_a = line_of_key(a);
        const int line_b = line_of_key(b);
        if (line_a != 0 && line_b == 0) {
            note(line_a, std::string(a) + " is set but " + std::string(b) + " is not (give both or neither)");
        } else if (line_b != 0 && line_a == 0) {
            note(line_b, std::string(b) + " is set but " + std::string(a) + " is not (give both or neither)");
        }
    }
    // SPEC §3: a bearer token is required when the API is reachable from other hosts
    // (apiAllowNoToken does not change that: it is for a loopback API only).
    if (listen_ && !is_loopback(*listen_) && !p.api_token_file && !p.api_tokens_file) {
        note(line_of_key("apiListen"), "apiListen " + p.api_listen +
                                           " is not a loopback address; apiTokenFile is required (or apiTokensFile)");
    }
    if (!first) return std::nullopt;
    return error_at(first->first, first->second);
}

Result<ParsedPreferences> Parser::run() {
    pugi::xml_document document;
    const auto parsed = document.load_buffer(text_.data(), text_.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!parsed) {
        return error_at(line_of(text_, parsed.offset), std::string("malformed XML: ") + parsed.description());
    }
    const auto root = document.document_element();
    const int root_line = line_of(text_, root.offset_debug());
    if (std::string_view(root.name()) != "preferences") {
        return error_at(root_line, "the root element must be <preferences> (got <" + std::string(root.name()) + ">)");
    }

    for (const auto& node : root.children()) {
        const int line = line_of(text_, node.offset_debug());
        if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) {
            warn(line, "", "text outside an element ignored");
            continue;
        }
        if (node.type() != pugi::node_element) continue;  // comments, processing instructions
        const std::string key = node.name();
        if (key == kServerElement) {
            if (auto error = read_server(node, line)) return *error;
            continue;
        }
        if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
            std::string message = "unknown key '" + key + "' ignored";
            if (const auto suggestion = closest_key(key)) {
                message += " (did you mean '" + std::string(*suggestion) + "'?)";
            }
            warn(line, key, message);
            continue;
        }
        if (const auto seen = lines_.find(key); seen != lines_.end()) {
            return error_at(line, key + " given twice (first at line " + std::to_string(seen->second) + ")");
        }
        const auto value = node.attribute("value");
        if (!value) return error_at(line, key + " has no value attribute (write <" + key + " value=\"...\"/>)");
        for (const auto& attribute : node.attributes()) {
            if (std::string_view(attribute.name()) != "value") {
                warn(line, key, key + " attribute '" + attribute.name() + "' unknown, ignored");
            }
        }
        if (node.first_child()) warn(line, key, key + " content ignored (only the value attribute counts)");
        lines_[key] = line;
        if (auto failure = apply(key, trim(value.value()))) return error_at(line, failure->message);
    }

    if (auto error = cross_checks()) return *error;
    return std::move(result_);
}

}  // namespace

std::vector<HostPattern> kea_credential_hosts(const Preferences& preferences) {
    if (preferences.kea_allowed_hosts) return *preferences.kea_allowed_hosts;
    std::vector<HostPattern> hosts;
    const auto add = [&](const std::optional<std::string>& host) {
        if (!host) return;
        if (auto pattern = parse_host_pattern(*host)) hosts.push_back(std::move(*pattern));
    };
    for (const auto& server : preferences.servers) add(host_of_url(server.url));
    add(host_of_authority(preferences.control_agent_host));
    return hosts;
}

std::optional<std::string> api_access_problem(const Preferences& preferences) {
    if (preferences.api_token_file || preferences.api_tokens_file || preferences.api_allow_no_token) return std::nullopt;
    return "no apiTokenFile or apiTokensFile: the management API would let every local user act as an admin. "
           "Name a token file (the package creates /etc/kea-ha-controller/api-token: "
           "<apiTokenFile value=\"/etc/kea-ha-controller/api-token\"/>), or, to run it open on a loopback "
           "apiListen, set <apiAllowNoToken value=\"1\"/>";
}

Result<ParsedPreferences> parse_preferences(std::string_view xml_text, std::string_view file_name) {
    return Parser(xml_text, file_name).run();
}

const std::vector<std::string_view>& known_preference_keys() {
    static const std::vector<std::string_view> keys(std::begin(kKeys), std::end(kKeys));
    return keys;
}

std::string_view to_string(LogLevel level) {
    switch (level) {
        case LogLevel::Trace: return "trace";
        case LogLevel::Debug: return "debug";
        case LogLevel::Info: return "info";
        case LogLevel::Warn: return "warn";
        case LogLevel::Error: return "error";
    }
    return "info";
}

}  // namespace kea_ha::core
