// Fuzzes what the management API decides before it reads a body (issue 32 point 4): Beast's
// parser on the request line and the headers, exactly as the session hands them over
// (api/server.cpp: names lower-cased, repeated headers joined by ", "), then api::admit()
// (Host, Origin, Sec-Fetch-Site, the bearer token and its role, the Content-Type of a write)
// and api::body_limit_for().
//
// Input: bytes as they come off the socket: a request line, header lines, an empty line (and
// whatever follows, which the header parse leaves unread).
// Contract checked: nothing throws; a refusal is one of 400 401 403 415 421 with a JSON error
// body naming a code; a request with a Host outside the API's names, a cross-site Origin or
// Sec-Fetch-Site, or no valid token is never admitted; a body larger than 64 KiB is allowed
// only on PUT/PATCH …/config.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/asio/buffer.hpp>
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "kea_ha/api/routes.hpp"

namespace {

namespace http = boost::beast::http;
using kea_ha::fuzz::require;
using namespace kea_ha;

constexpr const char* kToken = "s3cret-token-0123456789";
constexpr std::size_t kConfigLimit = 64ull << 20;

std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

void check(const api::ApiRequest& head, const api::ApiSettings& settings) {
    const auto admission = api::admit(head, settings);
    if (admission.refusal) {
        const auto status = admission.refusal->status;
        require(status == 400 || status == 401 || status == 403 || status == 415 || status == 421,
                "a refusal is 400, 401, 403, 415 or 421");
        const auto body = nlohmann::json::parse(admission.refusal->body, nullptr, false);
        require(body.is_object() && body.contains("error") && body["error"].contains("code") &&
                    body["error"]["code"].is_string() && !body["error"]["code"].get<std::string>().empty(),
                "a refusal has a JSON error with a code");
    } else {
        if (auto host = head.headers.find("host"); host != head.headers.end()) {
            const auto name = core::host_of_authority(host->second);
            require(name && (core::is_loopback_host(*name) || *name == settings.listen_host ||
                             core::host_matches_any(settings.allowed_hosts, *name)),
                    "only the API's own names are admitted");
        }
        if (auto site = head.headers.find("sec-fetch-site"); site != head.headers.end()) {
            require(lower(site->second).find("cross-site") == std::string::npos, "a cross-site request is admitted");
        }
        if (settings.token) {
            // Only GET /v1/health and GET / go without it (routes.cpp); a write never does.
            require(head.method == "GET" || admission.authenticated, "a request without the token is admitted");
        }
    }
    const auto limit = api::body_limit_for(head, kConfigLimit);
    require(limit == api::kSmallBodyLimit || ((head.method == "PUT" || head.method == "PATCH") && limit == kConfigLimit),
            "only config writes may send more than 64 KiB");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = kea_ha::fuzz::text_of(data, size);
    http::request_parser<http::empty_body> parser;
    parser.header_limit(64 * 1024);
    parser.eager(false);
    boost::beast::error_code ec;
    std::size_t used = 0;
    while (!ec && !parser.is_header_done() && used < text.size()) {
        const auto n = parser.put(boost::asio::buffer(text.data() + used, text.size() - used), ec);
        if (n == 0) break;
        used += n;
    }
    if (ec || !parser.is_header_done()) return 0;
    const auto& req = parser.get();
    api::ApiRequest head;
    head.method = std::string(req.method_string());
    head.target = std::string(req.target());
    head.client = "127.0.0.1:40000";
    for (const auto& field : req) {
        auto [it, inserted] = head.headers.emplace(lower(std::string(field.name_string())), std::string(field.value()));
        if (!inserted) it->second += ", " + std::string(field.value());
    }
    api::ApiSettings open;
    open.listen_host = "127.0.0.1";
    check(head, open);
    api::ApiSettings with_token = open;
    with_token.token = kToken;
    with_token.allowed_hosts = core::parse_host_patterns("ctl.example.net, 192.0.2.0/24").value();
    check(head, with_token);
    return 0;
}
