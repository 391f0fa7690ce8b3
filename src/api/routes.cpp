// The management API's routing (SPEC §6): ApiRequest -> ApiResponse, no sockets here.
#include "kea_ha/api/routes.hpp"

#include "kea_ha/core/json_depth.hpp"
#include "kea_ha/core/redaction.hpp"

#include "api/status_page.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <initializer_list>
#include <limits>
#include <map>
#include <regex>
#include <string_view>
#include <variant>

namespace kea_ha::api {
namespace {

using nlohmann::json;

constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
/// How deep a request body may nest. A Kea config nests about ten levels; what handles a
/// document (copy, compare, dump, patch) recurses once per level, and a body nested 200 000
/// levels deep (400 KB) overflowed the stack in apply_patch (tests/fuzz/patch_fuzz).
constexpr std::size_t kMaxBodyDepth = 100;

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Percent-decodes one path segment; nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view segment) {
    std::string out;
    out.reserve(segment.size());
    for (std::size_t i = 0; i < segment.size(); ++i) {
        if (segment[i] != '%') {
            out += segment[i];
            continue;
        }
        if (i + 2 >= segment.size()) return std::nullopt;
        const int hi = hex_value(segment[i + 1]);
        const int lo = hex_value(segment[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

/// The path of a target split at '/', decoded; query and fragment dropped. A single
/// trailing slash is ignored ("/v1/clusters/" is "/v1/clusters").
std::optional<std::vector<std::string>> split_path(std::string_view target) {
    if (auto cut = target.find_first_of("?#"); cut != std::string_view::npos) target = target.substr(0, cut);
    if (target.empty() || target.front() != '/') return std::nullopt;
    target.remove_prefix(1);
    if (!target.empty() && target.back() == '/') target.remove_suffix(1);
    std::vector<std::string> segments;
    if (target.empty()) return segments;
    std::size_t start = 0;
    while (true) {
        const auto end = target.find('/', start);
        auto decoded = url_decode(target.substr(start, end == std::string_view::npos ? end : end - start));
        if (!decoded) return std::nullopt;
        segments.push_back(std::move(*decoded));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return segments;
}

/// The query of a target ("?a=1&b=x") as decoded name -> value; nullopt when malformed.
std::optional<std::map<std::string, std::string>> query_of(std::string_view target) {
    std::map<std::string, std::string> out;
    const auto start = target.find('?');
    if (start == std::string_view::npos) return out;
    auto query = target.substr(start + 1);
    if (auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
    while (!query.empty()) {
        const auto end = query.find('&');
        const auto pair = query.substr(0, end);
        const auto eq = pair.find('=');
        auto name = url_decode(pair.substr(0, eq));
        auto value = url_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (!name || !value || name->empty()) return std::nullopt;
        out[*name] = *value;
        if (end == std::string_view::npos) break;
        query = query.substr(end + 1);
    }
    return out;
}

/// A whole decimal number of at most `limit` ("41"); none for anything else ("", "-1", "4x").
std::optional<std::uint64_t> whole_number(std::string_view text, std::uint64_t limit) {
    if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
    }
    const auto value = std::stoull(std::string(text));
    if (value > limit) return std::nullopt;
    return value;
}

/// A boolean query value: true/1/yes or false/0/no (an empty value, "?dry_run", is true).
std::optional<bool> query_flag(const std::string& value) {
    const auto v = lower(value);
    if (v.empty() || v == "true" || v == "1" || v == "yes") return true;
    if (v == "false" || v == "0" || v == "no") return false;
    return std::nullopt;
}

/// Only the parameters in `allowed` may appear: a typo ("dryrun") must not turn a dry run
/// into a real change.
std::optional<ApiResponse> check_query(const std::map<std::string, std::string>& query,
                                       std::initializer_list<const char*> allowed, const std::string& where) {
    for (const auto& [name, value] : query) {
        bool known = false;
        std::string names;
        for (const char* a : allowed) {
            known = known || name == a;
            names += (names.empty() ? "" : ", ") + std::string(a);
        }
        if (!known) {
            return error_response(400, "bad-request",
                                  "unknown query parameter '" + name + "' for " + where +
                                      (names.empty() ? " (it takes none)" : " (known: " + names + ")"));
        }
    }
    return std::nullopt;
}

/// Constant-time comparison: the time depends on the longer length only, never on where
/// the strings differ.
bool same_secret(std::string_view a, std::string_view b) {
    const std::size_t n = std::max(a.size(), b.size());
    volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff = diff | static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}

const std::string* header(const ApiRequest& request, const std::string& name) {
    auto found = request.headers.find(name);
    return found == request.headers.end() ? nullptr : &found->second;
}

/// The client a bearer token names: apiTokenFile's ("admin") or one of apiTokensFile's;
/// none when the header is not a bearer token or no token matches. Every token is compared
/// (constant time each): how long it takes does not tell which one came close.
std::optional<core::ApiToken> client_of(const ApiRequest& request, const ApiSettings& settings) {
    const std::string* value = header(request, "authorization");
    if (!value) return std::nullopt;
    std::string_view text = trim(*value);
    if (text.size() < 7 || lower(text.substr(0, 7)) != "bearer ") return std::nullopt;
    const auto given = trim(text.substr(7));
    std::optional<core::ApiToken> found;
    if (settings.token && same_secret(given, *settings.token)) found = core::ApiToken{"admin", core::ApiRole::Admin, {}};
    for (const auto& token : settings.tokens) {
        if (same_secret(given, token.secret) && !found) found = core::ApiToken{token.name, token.role, {}};
    }
    return found;
}

ApiResponse unauthorized(std::string message) {
    auto response = error_response(401, "unauthorized", std::move(message));
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"kea-ha-controller\"");
    return response;
}

ApiResponse method_not_allowed(const ApiRequest& request, std::string allow) {
    auto response = error_response(405, "method-not-allowed",
                                   "method " + request.method + " is not allowed here; allowed: " + allow);
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
}

ApiResponse from_outcome(Outcome outcome) {
    ApiResponse response;
    response.status = outcome.status;
    if (outcome.status == 204 || outcome.body.is_null()) {
        response.content_type.clear();
    } else {
        response.body = outcome.body.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    response.headers = std::move(outcome.headers);
    return response;
}

ApiResponse not_found_cluster(const std::string& name) {
    return error_response(404, "not-found", "no cluster named '" + name + "'");
}

/// The media type of a Content-Type header, lower case, parameters dropped ("" when absent).
std::string media_type(const ApiRequest& request) {
    const std::string* type = header(request, "content-type");
    return type ? lower(trim(std::string_view(*type).substr(0, type->find(';')))) : std::string();
}

/// "http://Name:80" -> "name" and "https://h:8443" -> "h:8443": an origin's authority with
/// its scheme's default port dropped, lower case; nullopt when it is not scheme://authority.
std::optional<std::string> origin_authority(std::string_view origin) {
    const auto scheme_end = origin.find("://");
    if (scheme_end == std::string_view::npos) return std::nullopt;
    const auto scheme = lower(origin.substr(0, scheme_end));
    auto authority = lower(origin.substr(scheme_end + 3));
    if (authority.empty() || authority.find_first_of("/?#@ ") != std::string::npos) return std::nullopt;
    const std::string default_port = scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
    if (!default_port.empty() && authority.size() > default_port.size() &&
        authority.compare(authority.size() - default_port.size(), default_port.size(), default_port) == 0) {
        authority.resize(authority.size() - default_port.size());
    }
    return authority;
}

/// Issue 32: the checks that keep a web browser from driving the API. Host must name this
/// API (a DNS rebinding page sends its own name); a browser's Origin, when sent, must be the
/// API's own; Sec-Fetch-Site must be same-origin or none (typed in). Clients that are not
/// browsers send neither Origin nor Sec-Fetch-Site; a request without Host is not a browser's.
std::optional<ApiResponse> browser_refusal(const ApiRequest& request, const ApiSettings& settings) {
    const std::string* host_header = header(request, "host");
    if (host_header) {
        const auto host = core::host_of_authority(trim(*host_header));
        if (!host) return error_response(400, "bad-request", "malformed Host header '" + *host_header + "'");
        const bool ours = core::is_loopback_host(*host) || *host == lower(settings.listen_host) ||
                          core::host_matches_any(settings.allowed_hosts, *host) ||
                          (core::is_wildcard_address(settings.listen_host) && core::is_ip_literal(*host));
        if (!ours) {
            return error_response(421, "misdirected",
                                  "Host '" + *host + "' is not a name of this API (apiListen's host, a loopback "
                                  "name, or apiAllowedHosts); if clients reach it by this name, add it to "
                                  "apiAllowedHosts");
        }
    }
    if (const std::string* site = header(request, "sec-fetch-site")) {
        const auto value = lower(trim(*site));
        if (value != "same-origin" && value != "none") {
            return error_response(403, "cross-site",
                                  "Sec-Fetch-Site '" + value + "': requests from other web sites are refused");
        }
    }
    if (const std::string* origin = header(request, "origin")) {
        const auto authority = origin_authority(trim(*origin));
        auto own = host_header ? lower(trim(*host_header)) : std::string();
        for (const char* port : {":80", ":443"}) {
            // Host carries the port as the client wrote it; an origin never names a default port.
            if (authority && own.size() > std::string_view(port).size() && own.ends_with(port) &&
                !authority->ends_with(port) && own.substr(0, own.size() - std::string_view(port).size()) == *authority) {
                own.resize(own.size() - std::string_view(port).size());
            }
        }
        if (!authority || !host_header || *authority != own) {
            return error_response(403, "cross-site",
                                  "Origin '" + *origin + "' is not this API's own: requests from other web sites "
                                  "are refused");
        }
    }
    return std::nullopt;
}

Admission admit_request(const ApiRequest& request, const ApiSettings& settings) {
    Admission admission;
    if (auto refusal = browser_refusal(request, settings)) {
        admission.refusal = std::move(refusal);
        return admission;
    }
    const auto path = split_path(request.target);
    const bool health = path && path->size() == 2 && (*path)[0] == "v1" && (*path)[1] == "health";
    // The status page (SPEC §8) holds no data; its own API calls carry the token.
    const bool page = path && path->empty();
    const std::string& method = request.method;
    if ((settings.token || !settings.tokens.empty()) && !((health || page) && method == "GET")) {
        if (!header(request, "authorization")) {
            admission.refusal = unauthorized("this API needs 'Authorization: Bearer TOKEN' (apiTokenFile, apiTokensFile)");
            return admission;
        }
        const auto client = client_of(request, settings);
        if (!client) {
            admission.refusal = unauthorized("invalid bearer token");
            return admission;
        }
        if (client->role == core::ApiRole::Read && method != "GET" && method != "HEAD") {
            admission.refusal =
                error_response(403, "forbidden", "client '" + client->name + "' has role read: it may only GET");
            return admission;
        }
        admission.who = client->name;
        admission.authenticated = true;
        admission.role = client->role;
    }
    // Issue 32: a write needs a JSON media type, which an HTML form cannot send and fetch()
    // sends cross-site only after a CORS preflight this API never grants. DELETE needs no
    // body: a browser sends it cross-site only after such a preflight too.
    if (method == "POST" || method == "PUT" || method == "PATCH") {
        const auto media = media_type(request);
        if (media != "application/json" && media != "application/json-patch+json" &&
            media != "application/merge-patch+json") {
            const std::string* type = header(request, "content-type");
            admission.refusal = error_response(
                415, "unsupported-media-type",
                method + " needs Content-Type application/json (a body-less action sends {}), not '" +
                    (type ? *type : std::string()) + "'");
        }
    }
    return admission;
}

/// Parses a JSON body: the error response (400 bad-json) when it is not JSON or nests too deep.
std::optional<ApiResponse> parse_json_body(const std::string& body, json& out) {
    if (core::json_nesting_depth(body) > kMaxBodyDepth) {
        return error_response(400, "bad-json",
                              "the body nests deeper than " + std::to_string(kMaxBodyDepth) + " levels");
    }
    try {
        out = json::parse(body);
    } catch (const json::exception& e) {
        // parse_error, and out_of_range for a number beyond a double ("1e400"; found by
        // tests/fuzz/api_request_fuzz): both are a bad body, never a 500.
        return error_response(400, "bad-json", e.what());
    }
    return std::nullopt;
}

/// Checks the body of a write: present, application/json, a JSON object. Sets `out` or
/// returns the error response.
std::optional<ApiResponse> json_object_body(const ApiRequest& request, json& out) {
    if (trim(request.body).empty()) {
        return error_response(400, "bad-request", "a JSON object body is required");
    }
    const std::string* type = header(request, "content-type");
    if (media_type(request) != "application/json") {
        return error_response(415, "unsupported-media-type",
                              "Content-Type must be application/json, not '" + (type ? *type : std::string()) + "'");
    }
    if (auto error = parse_json_body(request.body, out)) return error;
    if (!out.is_object()) {
        return error_response(400, "bad-request", std::string("the body must be a JSON object, not ") + out.type_name());
    }
    return std::nullopt;
}

/// The body of an action that takes no parameters (sync, rollback): none, or `{}`.
std::optional<ApiResponse> empty_object_body(const ApiRequest& request) {
    if (trim(request.body).empty()) return std::nullopt;
    json body;
    if (auto error = json_object_body(request, body)) return error;
    if (!body.empty()) {
        return error_response(400, "bad-request", "unknown field '" + body.begin().key() + "' (this takes none: send {})");
    }
    return std::nullopt;
}

/// Validates POST /v1/clusters. Errors are 400 "bad-request" naming the field, except
/// "auth" (per-cluster credentials), which is 422 "not-supported".
std::variant<RegisterRequest, ApiResponse> parse_register(const json& body) {
    static const std::regex kName("[A-Za-z0-9._-]{1,64}");
    auto bad = [](std::string message) { return error_response(400, "bad-request", std::move(message)); };
    auto string_field = [&](const char* field) -> std::variant<std::optional<std::string>, ApiResponse> {
        auto found = body.find(field);
        if (found == body.end() || found->is_null()) return std::optional<std::string>();
        if (!found->is_string()) {
            return bad(std::string("field '") + field + "' must be a string, not " + found->type_name());
        }
        auto value = found->get<std::string>();
        if (value.empty()) return bad(std::string("field '") + field + "' must not be empty");
        return std::optional<std::string>(std::move(value));
    };

    for (const auto& [key, value] : body.items()) {
        if (key != "name" && key != "url" && key != "address" && key != "service" && key != "control_urls" &&
            key != "auth" && key != "relationship") {
            return bad("unknown field '" + key +
                       "' (known: name, url, address, service, relationship, control_urls, auth)");
        }
    }
    RegisterRequest request;
    auto name = string_field("name");
    if (auto* e = std::get_if<ApiResponse>(&name)) return *e;
    if (!std::get<0>(name)) return bad("field 'name' is required");
    request.name = *std::get<0>(name);
    if (!std::regex_match(request.name, kName)) {
        return bad("field 'name' must be 1 to 64 characters of A-Z a-z 0-9 . _ -, not '" + request.name + "'");
    }
    auto url = string_field("url");
    if (auto* e = std::get_if<ApiResponse>(&url)) return *e;
    request.url = std::get<0>(url);
    auto address = string_field("address");
    if (auto* e = std::get_if<ApiResponse>(&address)) return *e;
    request.address = std::get<0>(address);
    if (request.url && request.address) return bad("give either 'url' or 'address', not both");
    auto service = string_field("service");
    if (auto* e = std::get_if<ApiResponse>(&service)) return *e;
    if (std::get<0>(service)) {
        request.service = *std::get<0>(service);
        if (request.service != "dhcp4" && request.service != "dhcp6") {
            return bad("field 'service' must be \"dhcp4\" or \"dhcp6\", not '" + request.service + "'");
        }
    }
    auto relationship = string_field("relationship");
    if (auto* e = std::get_if<ApiResponse>(&relationship)) return *e;
    request.relationship = std::get<0>(relationship);
    if (request.relationship && request.relationship->size() > 256) {
        return bad("field 'relationship' is longer than 256 characters (a this-server-name)");
    }
    if (auto found = body.find("control_urls"); found != body.end() && !found->is_null()) {
        if (!found->is_object()) {
            return bad(std::string("field 'control_urls' must be an object of peer name to URL, not ") +
                       found->type_name());
        }
        for (const auto& [peer, value] : found->items()) {
            if (!value.is_string() || value.get<std::string>().empty()) {
                return bad("field 'control_urls." + peer + "' must be a non-empty string (a URL)");
            }
            request.control_urls[peer] = value.get<std::string>();
        }
    }
    if (auto found = body.find("auth"); found != body.end() && !found->is_null()) {
        // SPEC §2: {"user": …, "password_file": …}; the password itself never travels in the API.
        if (!found->is_object()) return bad(std::string("field 'auth' must be an object, not ") + found->type_name());
        for (const auto& [key, value] : found->items()) {
            if (key != "user" && key != "password_file") {
                return bad("unknown field 'auth." + key + "' (known: user, password_file; the password is read "
                           "from password_file on the controller's machine)");
            }
            if (!value.is_string() || value.get<std::string>().empty()) {
                return bad("field 'auth." + key + "' must be a non-empty string");
            }
        }
        if (!found->contains("user") || !found->contains("password_file")) {
            return bad("field 'auth' needs both 'user' and 'password_file'");
        }
        request.auth_user = (*found)["user"].get<std::string>();
        request.auth_password_file = (*found)["password_file"].get<std::string>();
        if (request.auth_user->find(':') != std::string::npos) {
            return bad("field 'auth.user' must not contain ':' (HTTP basic auth)");
        }
    }
    return request;
}

boost::asio::awaitable<ApiResponse> route(const ApiRequest& request, ApiBackend& backend,
                                          const ApiSettings& settings) {
    const std::string& method = request.method;
    auto path = split_path(request.target);
    if (!path) co_return error_response(400, "bad-request", "malformed request target '" + request.target + "'");
    const auto& p = *path;

    const bool health = p.size() == 2 && p[0] == "v1" && p[1] == "health";
    const bool page = p.empty();
    auto admission = admit_request(request, settings);
    if (admission.refusal) co_return *admission.refusal;
    const std::string who = admission.who;
    // Issue 32 point 5: a `read` client sees Kea configs with their secrets redacted.
    const bool redact = admission.role == core::ApiRole::Read;
    const auto shown = [redact](ApiResponse response) {
        if (!redact || response.status != 200 || response.body.empty()) return response;
        auto document = json::parse(response.body, nullptr, false);
        if (document.is_discarded()) return response;
        core::redact_secrets(document);
        response.body = document.dump(-1, ' ', false, json::error_handler_t::replace);
        return response;
    };

    if (health) {
        if (method != "GET") co_return method_not_allowed(request, "GET");
        // Liveness stays 200; what does not work is said (the state directory, SPEC §10).
        const auto problems = backend.problems();
        json body = {{"status", problems.empty() ? "ok" : "degraded"}, {"version", backend.version()}};
        if (!problems.empty()) body["problems"] = problems;
        if (const auto warnings = backend.warnings(); !warnings.empty()) body["warnings"] = warnings;
        co_return json_response(200, body);
    }
    if (p.size() == 1 && p[0] == "metrics") {
        if (method != "GET") co_return method_not_allowed(request, "GET");
        ApiResponse response;
        response.content_type = kMetricsType;
        response.body = backend.metrics();
        co_return response;
    }
    if (page) {
        if (method != "GET") co_return method_not_allowed(request, "GET");
        ApiResponse response;
        response.content_type = "text/html; charset=utf-8";
        response.body = std::string(status_page_html());
        response.headers.emplace_back("Content-Security-Policy", std::string(status_page_csp()));
        co_return response;
    }
    if (p.size() >= 2 && p[0] == "v1" && p[1] == "clusters") {
        if (p.size() == 2) {
            if (method == "GET") co_return json_response(200, backend.list_clusters());
            if (method != "POST") co_return method_not_allowed(request, "GET, POST");
            json body;
            if (auto error = json_object_body(request, body)) co_return *error;
            auto parsed = parse_register(body);
            if (auto* e = std::get_if<ApiResponse>(&parsed)) co_return *e;
            auto outcome = co_await backend.register_cluster(std::get<RegisterRequest>(std::move(parsed)));
            co_return from_outcome(std::move(outcome));
        }
        const std::string& name = p[2];
        if (name.empty()) co_return error_response(404, "not-found", "no such path: " + request.target);
        if (p.size() == 3) {
            if (method == "GET") {
                auto detail = backend.cluster_detail(name);
                if (!detail) co_return not_found_cluster(name);
                co_return json_response(200, *detail);
            }
            if (method == "DELETE") co_return from_outcome(backend.remove_cluster(name));
            co_return method_not_allowed(request, "GET, DELETE");
        }
        if (p.size() == 4 && p[3] == "events") {
            if (method != "GET") co_return method_not_allowed(request, "GET");
            auto query = query_of(request.target);
            if (!query) co_return error_response(400, "bad-request", "malformed query in " + request.target);
            if (auto error = check_query(*query, {"after", "wait"}, "GET …/events")) co_return *error;
            const auto number = [&](const char* key, std::uint64_t limit) -> std::optional<std::uint64_t> {
                auto found = query->find(key);
                if (found == query->end()) return 0;
                return whole_number(found->second, limit);
            };
            const auto after = number("after", std::numeric_limits<std::int64_t>::max());
            const auto wait = number("wait", 30);
            if (!after) co_return error_response(400, "bad-request", "after= is an event's seq (a whole number)");
            if (!wait) co_return error_response(400, "bad-request", "wait= is 0 to 30 seconds");
            if (query->empty()) {
                auto events = backend.cluster_events(name);
                if (!events) co_return not_found_cluster(name);
                co_return json_response(200, *events);
            }
            auto events = co_await backend.wait_events(name, *after, static_cast<unsigned>(*wait));
            if (!events) co_return not_found_cluster(name);
            co_return json_response(200, *events);
        }
        if (p.size() == 6 && p[3] == "peers") {
            if (method != "POST") co_return method_not_allowed(request, "POST");
            if (!backend.cluster_events(name)) co_return not_found_cluster(name);
            HaActionRequest action;
            action.peer = p[4];
            action.action = p[5];
            action.who = who;
            action.client = request.client;
            if (!trim(request.body).empty()) {
                json body;
                if (auto error = json_object_body(request, body)) co_return *error;
                for (const auto& [key, value] : body.items()) {
                    if (key != "max_period") {
                        co_return error_response(400, "bad-request", "unknown field '" + key + "' (known: max_period)");
                    }
                    if (!value.is_number_integer()) {
                        co_return error_response(400, "bad-request", "field 'max_period' must be an integer number of seconds");
                    }
                    action.max_period_s = value.get<long>();
                }
            }
            co_return from_outcome(co_await backend.ha_action(name, std::move(action)));
        }
        if (p.size() >= 4 && p.size() <= 6 && p[3] == "history") {
            // GET …/history, GET …/history/G, POST …/history/G/rollback.
            const bool rollback = p.size() == 6;
            if (rollback && p[5] != "rollback") co_return error_response(404, "not-found", "no such path: " + request.target);
            if (rollback ? method != "POST" : method != "GET") co_return method_not_allowed(request, rollback ? "POST" : "GET");
            if (!backend.cluster_events(name)) co_return not_found_cluster(name);
            ConfigRequest operation;
            operation.kind = rollback ? ConfigRequest::Kind::Rollback : ConfigRequest::Kind::History;
            operation.who = who;
            operation.client = request.client;
            if (p.size() >= 5) {
                operation.generation = whole_number(p[4], std::numeric_limits<std::uint64_t>::max());
                if (!operation.generation) {
                    co_return error_response(400, "bad-request", "a generation is a positive whole number, not '" + p[4] + "'");
                }
            }
            if (const std::string* if_match = header(request, "if-match")) operation.if_match = std::string(trim(*if_match));
            if (rollback) {
                if (auto error = empty_object_body(request)) co_return *error;
            }
            co_return shown(from_outcome(co_await backend.config_operation(name, std::move(operation))));
        }
        if (p.size() == 4 && p[3] == "diff") {
            if (method != "GET") co_return method_not_allowed(request, "GET");
            if (!backend.cluster_events(name)) co_return not_found_cluster(name);
            auto query = query_of(request.target);
            if (!query) co_return error_response(400, "bad-request", "malformed query in " + request.target);
            if (auto error = check_query(*query, {"peer", "documents"}, "GET …/diff")) co_return *error;
            ConfigRequest operation;
            operation.kind = ConfigRequest::Kind::Diff;
            if (auto peer = query->find("peer"); peer != query->end()) {
                if (peer->second.empty()) co_return error_response(400, "bad-request", "peer= needs a peer name");
                operation.peer = peer->second;
            }
            if (auto documents = query->find("documents"); documents != query->end()) {
                auto flag = query_flag(documents->second);
                if (!flag) co_return error_response(400, "bad-request", "documents= is true or false, not '" + documents->second + "'");
                operation.documents = *flag;
            }
            co_return shown(from_outcome(co_await backend.config_operation(name, std::move(operation))));
        }
        if (p.size() == 4 && (p[3] == "config" || p[3] == "sync")) {
            const bool config = p[3] == "config";
            if (config ? (method != "GET" && method != "PUT" && method != "PATCH") : method != "POST") {
                co_return method_not_allowed(request, config ? "GET, PUT, PATCH" : "POST");
            }
            if (!backend.cluster_events(name)) co_return not_found_cluster(name);
            ConfigRequest operation;
            operation.who = who;
            operation.client = request.client;
            auto query = query_of(request.target);
            if (!query) co_return error_response(400, "bad-request", "malformed query in " + request.target);
            if (method == "PUT" || method == "PATCH") {
                if (auto error = check_query(*query, {"dry_run"}, method + " …/config")) co_return *error;
                if (auto dry = query->find("dry_run"); dry != query->end()) {
                    auto flag = query_flag(dry->second);
                    if (!flag) co_return error_response(400, "bad-request", "dry_run= is true or false, not '" + dry->second + "'");
                    operation.dry_run = *flag;
                }
            } else if (auto error = check_query(*query, {}, method + " " + request.target.substr(0, request.target.find('?')))) {
                co_return *error;
            }
            if (const std::string* if_match = header(request, "if-match")) operation.if_match = std::string(trim(*if_match));
            if (!config) {
                operation.kind = ConfigRequest::Kind::Sync;
                if (auto error = empty_object_body(request)) co_return *error;
            } else if (method == "GET") {
                operation.kind = ConfigRequest::Kind::Read;
            } else if (method == "PUT") {
                operation.kind = ConfigRequest::Kind::Replace;
                if (auto error = json_object_body(request, operation.body)) co_return *error;
            } else {
                // SPEC §6: RFC 6902 JSON Patch or RFC 7396 Merge Patch, told apart by Content-Type.
                const std::string* type = header(request, "content-type");
                const std::string media =
                    type ? lower(trim(std::string_view(*type).substr(0, type->find(';')))) : std::string();
                if (media == "application/json-patch+json") {
                    operation.kind = ConfigRequest::Kind::JsonPatch;
                } else if (media == "application/merge-patch+json") {
                    operation.kind = ConfigRequest::Kind::MergePatch;
                } else {
                    co_return error_response(415, "unsupported-media-type",
                                             "PATCH needs Content-Type application/json-patch+json or "
                                             "application/merge-patch+json, not '" +
                                                 (type ? *type : std::string()) + "'");
                }
                if (trim(request.body).empty()) co_return error_response(400, "bad-request", "a patch body is required");
                if (auto error = parse_json_body(request.body, operation.body)) co_return *error;
            }
            co_return shown(from_outcome(co_await backend.config_operation(name, std::move(operation))));
        }
    }
    co_return error_response(404, "not-found", "no such path: " + request.target);
}

}  // namespace

boost::asio::awaitable<std::optional<nlohmann::json>> ApiBackend::wait_events(const std::string& name, std::uint64_t after,
                                                                              unsigned wait_s) {
    (void)wait_s;
    auto all = cluster_events(name);
    if (!all) co_return all;
    nlohmann::json newer = nlohmann::json::array();
    for (const auto& event : *all) {
        if (event.value("seq", std::uint64_t{0}) > after) newer.push_back(event);
    }
    co_return newer;
}

boost::asio::awaitable<Outcome> ApiBackend::ha_action(const std::string& name, HaActionRequest request) {
    (void)request;
    co_return Outcome{501, {{"error", {{"code", "not-implemented"},
                                       {"message", "this controller does not act on the peers of '" + name + "'"}}}},
                      {}};
}

boost::asio::awaitable<Outcome> ApiBackend::config_operation(const std::string& name, ConfigRequest request) {
    (void)request;
    co_return Outcome{501, {{"error", {{"code", "not-implemented"},
                                       {"message", "this controller does not manage the config of '" + name + "'"}}}},
                      {}};
}

ApiResponse error_response(unsigned status, std::string code, std::string message) {
    return json_response(status, {{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}});
}

ApiResponse json_response(unsigned status, const nlohmann::json& body) {
    ApiResponse response;
    response.status = status;
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return response;
}

Admission admit(const ApiRequest& head, const ApiSettings& settings) { return admit_request(head, settings); }

std::size_t body_limit_for(const ApiRequest& head, std::size_t config_limit) {
    if (head.method != "PUT" && head.method != "PATCH") return kSmallBodyLimit;
    const auto path = split_path(head.target);
    const bool config = path && path->size() == 4 && (*path)[0] == "v1" && (*path)[1] == "clusters" &&
                        (*path)[3] == "config";
    return config ? config_limit : kSmallBodyLimit;
}

boost::asio::awaitable<ApiResponse> handle(const ApiRequest& request, ApiBackend& backend,
                                           const ApiSettings& settings) {
    try {
        co_return co_await route(request, backend, settings);
    } catch (const std::exception& e) {
        co_return error_response(500, "internal", std::string("internal error: ") + e.what());
    } catch (...) {
        co_return error_response(500, "internal", "internal error");
    }
}

}  // namespace kea_ha::api
