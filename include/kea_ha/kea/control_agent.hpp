#pragma once
// The client side of a Kea Control Agent (or Kea 3 HTTP control socket).
// Asio's awaitable shows here; Beast stays in src/kea/.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "kea_ha/core/host_pattern.hpp"
#include "kea_ha/core/result.hpp"
#include "kea_ha/core/time.hpp"
#include "kea_ha/kea/command.hpp"

namespace kea_ha::kea {

/// A parsed http(s) URL of a control endpoint.
struct Endpoint {
    bool https = false;
    std::string host;        ///< IP literal or name; IPv6 without brackets
    std::uint16_t port = 0;
    std::string target = "/";
    std::string text;        ///< the URL as given, for messages
};

/// Parses "http://127.0.0.1:8000/" or "https://[::1]:8443/". Port defaults to 80/443.
core::Result<Endpoint> parse_endpoint(const std::string& url);

/// HTTP basic-auth credentials for one Kea endpoint (a cluster's own, or keaAuthUser's).
struct Credentials {
    std::string user;
    std::string password;  ///< the password file's contents; never logged

    bool operator==(const Credentials&) const = default;
};

/// Settings shared by every request of one client (from preferences.cfg).
struct ClientOptions {
    std::optional<std::string> auth_user;
    std::optional<std::string> auth_password;   ///< the contents of keaAuthPasswordFile; never logged
    std::optional<std::string> tls_ca_file;
    std::optional<std::string> tls_cert_file;
    std::optional<std::string> tls_key_file;
    bool tls_verify = true;
    std::uint64_t max_response_size = 256ull << 20;
    /// Issue 32: false refuses to send basic-auth credentials over plain http (the request
    /// fails with ErrorKind::Auth, saying so). The daemon sets it from
    /// keaAllowBasicAuthOverHttp (default 0); other users of the client keep sending.
    bool allow_basic_auth_over_http = true;
    /// Issue 32: set, auth_user/auth_password go only to endpoints whose host matches one of
    /// these (a request to another host carries no Authorization). Unset: to every endpoint.
    std::optional<std::vector<core::HostPattern>> auth_hosts;
};

/// A request built once by ControlAgentClient::prepare() and sent any number of times (the
/// polls send the same two commands to each peer every keaPollInterval).
struct PreparedRequest {
    Endpoint endpoint;
    std::string http;                    ///< the whole HTTP/1.1 request: header and body
    std::string connection_key;          ///< which kept-alive connections may carry it
    std::optional<std::string> service;  ///< for messages about the answer
    AnswerKeys answer_keys{};            ///< Command::answer_keys
    /// The largest answer read for it (0: max_response_size). Issue 32: only config-get
    /// answers may be as large as keaMaxResponseSize; the rest (status-get, ha-heartbeat,
    /// version-get, config-set, …) are capped at kSmallAnswerLimit.
    std::uint64_t max_answer_size = 0;
    /// Set: the request is not sent, and fails with this (credentials over http refused).
    std::optional<std::string> refused;
};

/// The cap of every answer but config-get's (a status-get of a busy 3.0 hub is ~20 KB).
inline constexpr std::uint64_t kSmallAnswerLimit = 4ull << 20;

/// Sends commands to Kea endpoints. Many requests may be in flight at once on one
/// io_context thread. Every call has one deadline covering resolve, connect, TLS
/// handshake, write and read. Errors name the endpoint and the step:
/// "http://127.0.0.42:8000/: connect: connection refused".
class ControlAgentClient {
public:
    virtual ~ControlAgentClient() = default;
    /// Builds the request for `command` to `endpoint` (serialising its arguments now), with
    /// `credentials` when given, else the client's own (ClientOptions::auth_user).
    virtual std::shared_ptr<const PreparedRequest> prepare(const Endpoint& endpoint, const Command& command,
                                                           const Credentials* credentials) const = 0;
    std::shared_ptr<const PreparedRequest> prepare(const Endpoint& endpoint, const Command& command) const {
        return prepare(endpoint, command, nullptr);
    }
    /// Sends a prepared request; it is shared, so the caller may drop its copy at once.
    virtual boost::asio::awaitable<core::Result<Answer>> send_prepared(
        std::shared_ptr<const PreparedRequest> request, core::Duration timeout) = 0;
    /// prepare() and send_prepared(): `command` may go away once this returns the awaitable.
    boost::asio::awaitable<core::Result<Answer>> send(const Endpoint& endpoint, const Command& command,
                                                      core::Duration timeout) {
        return send_prepared(prepare(endpoint, command), timeout);
    }
};

/// The real client over Boost.Beast. Throws std::runtime_error if TLS files cannot be loaded
/// (refusing to start).
std::unique_ptr<ControlAgentClient> make_control_agent_client(boost::asio::io_context& io,
                                                              ClientOptions options);

}  // namespace kea_ha::kea
