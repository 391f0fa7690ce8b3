// Fuzzes the management API's request handling (src/api/routes.cpp, SPEC §6): method, target
// (path, percent escapes, query), headers (Authorization, Content-Type, If-Match) and body
// (POST /v1/clusters registrations, PUT configs, PATCH JSON Patch / Merge Patch) of an
// arbitrary request, against a backend that knows one cluster, "dhcp-a". Each request is
// handled twice: without an API token and with one.
//
// Input: an HTTP/1.1 request as text, parsed leniently as the Beast session would hand it over
// (api/server.cpp to_api_request: header names lower-cased, repeated headers joined by ", "):
//   METHOD SP TARGET [SP HTTP/1.1] LF
//   (NAME: VALUE LF)*
//   LF
//   BODY
// Contract checked: handle() never throws and never answers 500 (a bad request is a 4xx), a
// JSON answer is valid JSON, and what reaches the backend was validated as the routes say.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "fuzz_support.hpp"
#include "kea_ha/api/routes.hpp"

namespace {

using kea_ha::fuzz::require;
using namespace kea_ha;
using nlohmann::json;

constexpr const char* kToken = "s3cret-token";

/// Levels of '[' / '{' in a document (routes.cpp refuses bodies deeper than 100).
std::size_t depth_of(const json& value) {
    if (!value.is_structured()) return 0;
    std::size_t deepest = 0;
    for (const auto& child : value) deepest = std::max(deepest, depth_of(child));
    return deepest + 1;
}

class FuzzBackend final : public api::ApiBackend {
public:
    json list_clusters() const override { return json::array({{{"name", "dhcp-a"}, {"state", "OK"}}}); }
    std::optional<json> cluster_detail(const std::string& name) const override {
        if (name != "dhcp-a") return std::nullopt;
        return json{{"name", name}, {"state", "OK"}, {"peers", json::array()}};
    }
    std::optional<json> cluster_events(const std::string& name) const override {
        if (name != "dhcp-a") return std::nullopt;
        return json::array();
    }
    boost::asio::awaitable<api::Outcome> register_cluster(api::RegisterRequest request) override {
        // routes.cpp parse_register(): what it lets through.
        require(!request.name.empty() && request.name.size() <= 64, "a registered name has 1 to 64 characters");
        for (unsigned char c : request.name) {
            require(std::isalnum(c) || c == '.' || c == '_' || c == '-', "a registered name uses A-Z a-z 0-9 . _ -");
        }
        require(!(request.url && request.address), "never both url and address");
        require(request.service == "dhcp4" || request.service == "dhcp6", "service is dhcp4 or dhcp6");
        require(request.auth_user.has_value() == request.auth_password_file.has_value(),
                "auth has both user and password_file");
        if (request.auth_user) require(request.auth_user->find(':') == std::string::npos, "no ':' in auth.user");
        co_return api::Outcome{201, json{{"name", request.name}}, {}};
    }
    api::Outcome remove_cluster(const std::string& name) override {
        if (name != "dhcp-a") return api::Outcome{404, json{{"error", {{"code", "not-found"}}}}, {}};
        return api::Outcome{204, nullptr, {}};
    }
    boost::asio::awaitable<api::Outcome> config_operation(const std::string& name,
                                                          api::ConfigRequest request) override {
        require(name == "dhcp-a", "config operations reach only a known cluster");
        using Kind = api::ConfigRequest::Kind;
        require(depth_of(request.body) <= 100, "a body nested deeper than 100 levels is refused");
        if (request.kind == Kind::Replace) require(request.body.is_object(), "a PUT body is an object");
        if (request.kind == Kind::JsonPatch || request.kind == Kind::MergePatch) {
            require(!request.body.is_discarded(), "a PATCH body is parsed JSON");
        }
        co_return api::Outcome{200, json{{"generation", 1}}, {{"ETag", "\"1\""}}};
    }
    std::string metrics() const override { return "kea_ha_up 1\n"; }
    std::string version() const override { return "0.0.0-fuzz"; }
};

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

/// The next line of `text` (without its LF), `text` advanced past it.
std::string_view next_line(std::string_view& text) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

api::ApiRequest request_of(std::string_view text) {
    api::ApiRequest request;
    std::string_view start = next_line(text);
    const auto space = start.find(' ');
    request.method = std::string(start.substr(0, space));
    if (space != std::string_view::npos) {
        std::string_view target = start.substr(space + 1);
        if (auto version = target.rfind(" HTTP/"); version != std::string_view::npos) target = target.substr(0, version);
        request.target = std::string(target);
    }
    while (!text.empty()) {
        std::string_view line = next_line(text);
        if (line.empty()) break;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        auto [it, inserted] = request.headers.emplace(lower(trim(line.substr(0, colon))),
                                                      std::string(trim(line.substr(colon + 1))));
        if (!inserted) it->second += ", " + std::string(trim(line.substr(colon + 1)));
    }
    request.body = std::string(text);
    return request;
}

boost::asio::awaitable<void> store(const api::ApiRequest& request, api::ApiBackend& backend,
                                   const api::ApiSettings& settings, std::optional<api::ApiResponse>& out) {
    out = co_await api::handle(request, backend, settings);
}

api::ApiResponse handled(boost::asio::io_context& io, const api::ApiRequest& request, api::ApiBackend& backend,
                         const api::ApiSettings& settings) {
    std::optional<api::ApiResponse> response;
    std::exception_ptr thrown;
    boost::asio::co_spawn(io, store(request, backend, settings, response),
                          [&thrown](std::exception_ptr e) { thrown = e; });
    io.restart();
    io.run();
    require(!thrown, "api::handle() never throws");
    require(response.has_value(), "api::handle() answers without waiting on anything");
    return std::move(*response);
}

void check(const api::ApiResponse& response) {
    if (response.status == 500) std::fprintf(stderr, "answered 500: %s\n", response.body.c_str());
    require(response.status >= 200 && response.status <= 599, "an HTTP status in 200-599");
    require(response.status != 500, "a malformed request gets a 4xx, not 500 (an exception the routes did not expect)");
    if (response.content_type == "application/json" && !response.body.empty()) {
        require(json::accept(response.body), "a JSON answer is valid JSON");
    }
    if (response.status == 401) {
        bool challenge = false;
        for (const auto& [name, value] : response.headers) challenge = challenge || name == "WWW-Authenticate";
        require(challenge, "a 401 carries WWW-Authenticate");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static boost::asio::io_context io;
    static FuzzBackend backend;
    const auto request = request_of(kea_ha::fuzz::text_of(data, size));

    check(handled(io, request, backend, api::ApiSettings{}));
    // The single token, and named clients with both roles (apiTokensFile).
    static const api::ApiSettings tokens = [] {
        api::ApiSettings settings;
        settings.token = std::string(kToken);
        settings.tokens = {{"noc", kea_ha::core::ApiRole::Read, "read-token-0123456789"},
                           {"alice", kea_ha::core::ApiRole::Admin, "alice-token-0123456789"}};
        return settings;
    }();
    auto with_token = handled(io, request, backend, tokens);
    check(with_token);
    return 0;
}
