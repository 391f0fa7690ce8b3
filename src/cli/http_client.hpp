#pragma once
// kea-ha-ctl's HTTP(S) client: one synchronous request with an overall deadline.

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace kea_ha::cli {

struct ApiUrl {
    bool https = false;
    std::string host;          ///< IPv6 without brackets
    std::string port;          ///< "8067"
    std::string base;          ///< path prefix without a trailing slash ("" or "/kea-ha")
    std::string text;          ///< as given
};

/// Parses "http://HOST[:PORT][/PREFIX]" / "https://[V6]:PORT"; nullopt with `why` set when malformed.
std::optional<ApiUrl> parse_api_url(const std::string& url, std::string& why);

struct ClientOptions {
    std::optional<std::string> token;
    std::optional<std::string> ca_file;  ///< https: trust this CA (default: the system store)
    bool insecure = false;               ///< https: do not verify the certificate
    std::chrono::milliseconds timeout{30000};
};

struct Reply {
    unsigned status = 0;
    std::map<std::string, std::string> headers;  ///< lower-case names
    std::string body;
};

/// What went wrong before an HTTP answer arrived.
struct Failure {
    bool unreachable = false;  ///< resolve / connect / TLS / timeout: the controller is not reachable
    std::string message;       ///< "connection refused", "timed out after 30 s", …
};

/// Sends one request with extra header fields (If-Match for conditional config writes);
/// the answer or a Failure.
bool send_request(const ApiUrl& api, const ClientOptions& options, const std::string& method,
                  const std::string& path, const std::string& body, const std::string& content_type,
                  const std::map<std::string, std::string>& headers, Reply& reply, Failure& failure);

}  // namespace kea_ha::cli
