#pragma once
// The management API's HTTP(S) server (Boost.Beast, in src/api/).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "kea_ha/api/routes.hpp"
#include "kea_ha/core/result.hpp"

namespace kea_ha::api {

struct ServerSettings {
    std::string listen = "127.0.0.1:8067";    ///< HOST:PORT or [V6]:PORT; port 0 picks one
    std::optional<std::string> tls_cert_file;
    std::optional<std::string> tls_key_file;
    std::size_t max_body_size = 64ull << 20;  ///< request bodies (configs reach ~9 MB)
    std::chrono::milliseconds request_timeout{30000};  ///< reading a body, writing an answer
    /// Reading a request's line and headers, and waiting for the next request on a kept-alive
    /// connection (issue 32: a slow client holds a slot this long at most before it is known).
    std::chrono::milliseconds header_timeout{10000};
    std::size_t max_connections = 256;
    std::size_t max_connections_per_address = 32;  ///< open connections from one client address
    /// Issue 32, limits before authentication: called with a request's line and headers (no
    /// body yet). A refusal is sent at once and the connection closed, the body unread.
    /// Unset: every request is read whole.
    std::function<std::optional<ApiResponse>(const ApiRequest& head)> admit;
    /// The largest body a request may carry, from its line and headers (at most
    /// max_body_size). Unset: max_body_size for all.
    std::function<std::size_t(const ApiRequest& head)> body_limit;
    /// Told of every refusal `admit` made (the daemon logs failed authentication with the
    /// client's address, issue 32). Unset: not told.
    std::function<void(const ApiRequest& head, const ApiResponse& refusal)> report_refusal;
    /// Told of a failure that is a bug: a request handler that threw (answered 500), a session
    /// or the accept loop ended by an exception. `what` is fixed words and key=value fields,
    /// `error` the exception's text. Unset: a line on stderr; never silence.
    std::function<void(std::string_view what, std::string_view error)> report_failure;
};

using Handler = std::function<boost::asio::awaitable<ApiResponse>(ApiRequest)>;

/// A running server; stops accepting and closes its connections when destroyed or stop()ped.
class ApiServer {
public:
    virtual ~ApiServer() = default;
    virtual std::uint16_t port() const = 0;     ///< the bound port (useful with port 0)
    virtual void stop() = 0;
    /// Graceful stop: no new connections or requests; a request being handled is still
    /// answered (with `Connection: close`), idle connections are closed now. Call on the
    /// io_context thread.
    virtual void drain() = 0;
    /// Requests whose handler is running or whose answer is being written.
    virtual std::size_t requests_in_flight() const = 0;
};

/// Binds and starts accepting on `io`. Errors (bad address, port in use, TLS files) name the cause.
core::Result<std::unique_ptr<ApiServer>> start_api_server(boost::asio::io_context& io,
                                                          ServerSettings settings, Handler handler);

}  // namespace kea_ha::api
