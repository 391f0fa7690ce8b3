// The management API's HTTP(S) server: Beast sessions as C++20 coroutines on the daemon's
// io_context. One coroutine accepts; one coroutine per connection reads requests (keep-alive),
// calls the handler and writes the answers.
#include "kea_ha/api/server.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iostream>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "kea_ha/core/exception_text.hpp"

namespace kea_ha::api {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;

constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr auto kDrainTime = std::chrono::seconds(2);
constexpr std::size_t kDrainBytes = 4u << 20;
/// An accept loop ended by an exception (a bug) starts again after this pause.
constexpr auto kAcceptRestartPause = std::chrono::seconds(1);

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

/// "Address already in use" -> "address already in use" (messages continue a sentence).
std::string message_of(const error_code& ec) {
    std::string text = ec.message();
    if (!text.empty() && text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) &&
        std::islower(static_cast<unsigned char>(text[1]))) {
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    }
    return text;
}

core::Error listen_error(const std::string& listen, const std::string& step, const std::string& what) {
    return core::make_error(core::ErrorKind::Io, "apiListen " + listen + ": " + step + ": " + what);
}

/// "HOST:PORT" or "[V6]:PORT" -> endpoint (names are resolved once, the first address wins).
core::Result<tcp::endpoint> parse_listen(net::io_context& io, const std::string& listen) {
    std::string host;
    std::string port;
    if (!listen.empty() && listen.front() == '[') {
        const auto close = listen.find(']');
        if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
            return listen_error(listen, "parse", "expected [IPV6]:PORT");
        }
        host = listen.substr(1, close - 1);
        port = listen.substr(close + 2);
    } else {
        const auto colon = listen.rfind(':');
        if (colon == std::string::npos) return listen_error(listen, "parse", "expected HOST:PORT");
        host = listen.substr(0, colon);
        port = listen.substr(colon + 1);
        if (host.find(':') != std::string::npos) {
            return listen_error(listen, "parse", "an IPv6 address needs brackets: [V6]:PORT");
        }
    }
    if (host.empty()) return listen_error(listen, "parse", "no host");
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](unsigned char c) {
            return std::isdigit(c);
        }) || std::stoul(port) > 65535) {
        return listen_error(listen, "parse", "bad port '" + port + "'");
    }
    const auto port_number = static_cast<std::uint16_t>(std::stoul(port));
    error_code ec;
    auto address = net::ip::make_address(host, ec);
    if (!ec) return tcp::endpoint(address, port_number);
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, port, ec);
    if (ec || results.empty()) return listen_error(listen, "resolve", ec ? message_of(ec) : "no address");
    return results.begin()->endpoint();
}

/// Something stop() can close.
class Closable {
public:
    virtual ~Closable() = default;
    virtual void close() = 0;
    bool busy = false;  ///< a request is being handled or answered
};

template <typename Stream>
class Session final : public Closable {
public:
    explicit Session(Stream s) : stream(std::move(s)) {}
    void close() override {
        error_code ec;
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(stream).close();
    }
    Stream stream;
};

struct ServerState : std::enable_shared_from_this<ServerState> {
    ServerState(net::io_context& io_, ServerSettings settings_, Handler handler_)
        : io(io_), settings(std::move(settings_)), handler(std::move(handler_)), acceptor(io_) {}

    net::io_context& io;
    ServerSettings settings;
    Handler handler;
    tcp::acceptor acceptor;
    std::optional<ssl::context> tls;
    struct Entry {
        std::weak_ptr<Closable> session;
        std::string address;  ///< the client's address (per_address)
    };
    std::map<std::uint64_t, Entry> sessions;
    std::map<std::string, std::size_t> per_address;  ///< open connections by client address
    std::uint64_t next_id = 0;
    bool stopped = false;
    bool draining = false;

    void add(std::uint64_t id, std::weak_ptr<Closable> session, const std::string& address) {
        sessions.emplace(id, Entry{std::move(session), address});
        ++per_address[address];
    }

    /// A session ended: it no longer counts (towards either connection cap).
    void forget(std::uint64_t id) {
        const auto found = sessions.find(id);
        if (found == sessions.end()) return;
        if (auto count = per_address.find(found->second.address); count != per_address.end() && --count->second == 0) {
            per_address.erase(count);
        }
        sessions.erase(found);
    }

    void drain() {
        if (stopped || draining) return;
        draining = true;
        error_code ec;
        acceptor.close(ec);
        for (auto& [id, entry] : sessions) {
            if (auto session = entry.session.lock(); session && !session->busy) session->close();
        }
    }

    std::size_t in_flight() const {
        std::size_t busy = 0;
        for (const auto& [id, entry] : sessions) {
            if (auto session = entry.session.lock(); session && session->busy) ++busy;
        }
        return busy;
    }

    void shutdown() {
        if (stopped) return;
        stopped = true;
        error_code ec;
        acceptor.close(ec);
        auto open = std::move(sessions);
        sessions.clear();
        per_address.clear();
        for (auto& [id, entry] : open) {
            if (auto session = entry.session.lock()) session->close();
        }
    }
};

/// A failure that is a bug, to the daemon's log (ServerSettings::report_failure) or stderr.
void report(const ServerState& state, const std::string& what, const std::string& error) {
    if (state.settings.report_failure) {
        state.settings.report_failure(what, error);
    } else {
        std::cerr << "kea-ha-controller api: " << what << " error=\"" << error << "\"\n";
    }
}

http::response<http::string_body> make_response(const ApiResponse& answer, unsigned version, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(answer.status), version};
    res.set(http::field::server, "kea-ha-controller/" KEA_HA_VERSION);
    if (!answer.content_type.empty()) res.set(http::field::content_type, answer.content_type);
    bool has_policy = false;
    for (const auto& [name, value] : answer.headers) {
        res.insert(name, value);
        has_policy = has_policy || beast::iequals(name, "Content-Security-Policy");
    }
    res.set(http::field::cache_control, "no-store");
    // Issue 32: every answer, errors included. An answer is data, never a page to run or frame
    // (the status page sets its own policy, which allows its inline script by hash).
    if (!has_policy) res.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    res.set("X-Content-Type-Options", "nosniff");
    res.set(http::field::x_frame_options, "DENY");
    res.set("Referrer-Policy", "no-referrer");
    res.set("Cross-Origin-Resource-Policy", "same-origin");
    res.body() = answer.body;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
}

template <typename Stream>
auto& lowest(Stream& stream) {
    return beast::get_lowest_layer(stream);
}

template <typename Stream>
constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

/// Closes the connection politely: TLS close_notify, or half-close and drain what the client
/// is still sending so that the kernel does not reset the connection under our last answer.
template <typename Stream>
net::awaitable<void> finish(Stream& stream) {
    error_code ec;
    if constexpr (is_tls<Stream>) {
        lowest(stream).expires_after(kDrainTime);
        co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
    } else {
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec) co_return;
        char scratch[16 * 1024];
        std::size_t drained = 0;
        stream.expires_after(kDrainTime);
        while (drained < kDrainBytes) {
            const std::size_t n =
                co_await stream.async_read_some(net::buffer(scratch), net::redirect_error(net::use_awaitable, ec));
            if (ec) break;
            drained += n;
        }
    }
    lowest(stream).close();
}

template <typename Stream>
net::awaitable<bool> send(Stream& stream, const ApiResponse& answer, unsigned version, bool keep_alive,
                          std::chrono::milliseconds timeout) {
    auto res = make_response(answer, version, keep_alive);
    error_code ec;
    lowest(stream).expires_after(timeout);
    co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
    co_return !ec;
}

ApiRequest to_api_request(const http::request<http::string_body>& req, const std::string& client) {
    ApiRequest request;
    request.client = client;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    for (const auto& field : req) {
        auto name = lower(std::string(field.name_string()));
        auto [it, inserted] = request.headers.emplace(name, std::string(field.value()));
        if (!inserted) it->second += ", " + std::string(field.value());
    }
    request.body = req.body();
    return request;
}

/// "127.0.0.1:40522" or "[::1]:40522"; "unknown" when the socket no longer knows.
std::string client_address(const tcp::socket& socket) {
    error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) return "unknown";
    const auto address = remote.address().to_string();
    return (remote.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(remote.port());
}

template <typename Stream>
net::awaitable<void> run_session(std::shared_ptr<ServerState> state, std::shared_ptr<Session<Stream>> session,
                                 std::uint64_t id) {
    auto& stream = session->stream;
    const auto timeout = state->settings.request_timeout;
    error_code ec;
    const std::string client = client_address(lowest(stream).socket());
    beast::flat_buffer buffer;
    bool close_politely = true;

    if constexpr (is_tls<Stream>) {
        lowest(stream).expires_after(timeout);
        co_await stream.async_handshake(ssl::stream_base::server, net::redirect_error(net::use_awaitable, ec));
        if (ec) close_politely = false;
    }

    while (close_politely && !state->stopped && !state->draining) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(kHeaderLimit);
        parser.body_limit(state->settings.max_body_size);
        // Issue 32: the line and the headers (and the wait for them on a kept-alive connection)
        // get the short deadline; only an admitted request's body gets request_timeout.
        lowest(stream).expires_after(state->settings.header_timeout);
        co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
        if (!ec) {
            // Limits before authentication: a request that will be refused is answered before
            // its body is read, and the connection closed (the body is never parsed).
            const auto head = to_api_request(parser.get(), client);
            std::optional<ApiResponse> refusal;
            if (state->settings.admit) refusal = state->settings.admit(head);
            const std::size_t limit = state->settings.body_limit
                                          ? std::min(state->settings.body_limit(head), state->settings.max_body_size)
                                          : state->settings.max_body_size;
            if (!refusal && parser.content_length() && *parser.content_length() > limit) {
                refusal = error_response(413, "too-large", "request body larger than " + std::to_string(limit) +
                                                               " bytes (only config writes may be larger than " +
                                                               std::to_string(kSmallBodyLimit) + ")");
            }
            if (refusal) {
                if (state->settings.report_refusal) state->settings.report_refusal(head, *refusal);
                if (co_await send(stream, *refusal, parser.get().version(), false, timeout)) co_await finish(stream);
                close_politely = false;
                break;
            }
            parser.body_limit(limit);  // chunked bodies: counted as they come
            lowest(stream).expires_after(timeout);
        }
        if (!ec && !parser.is_done()) {
            const auto& head = parser.get();
            if (auto expect = head.find(http::field::expect);
                expect != head.end() && lower(std::string(expect->value())) == "100-continue") {
                http::response<http::empty_body> go_on{http::status::continue_, head.version()};
                co_await http::async_write(stream, go_on, net::redirect_error(net::use_awaitable, ec));
            }
            if (!ec) co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
        }
        if (ec) {
            std::optional<ApiResponse> answer;
            if (ec == http::error::body_limit) {
                answer = error_response(413, "too-large", "request body larger than " +
                                                              std::to_string(state->settings.max_body_size) +
                                                              " bytes");
            } else if (ec == http::error::header_limit) {
                answer = error_response(431, "headers-too-large",
                                        "request headers larger than " + std::to_string(kHeaderLimit) + " bytes");
            } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
                       ec != http::error::end_of_stream && ec != http::error::partial_message) {
                answer = error_response(400, "bad-http", "malformed HTTP request: " + ec.message());
            }
            if (answer && co_await send(stream, *answer, 11, false, timeout)) co_await finish(stream);
            close_politely = false;
            break;
        }
        if (state->draining) break;  // stopping: requests read after drain() are not started
        auto req = parser.release();
        session->busy = true;
        const unsigned version = req.version();
        ApiResponse answer;
        lowest(stream).expires_never();
        std::exception_ptr failure;
        try {
            answer = co_await state->handler(to_api_request(req, client));
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            // A bug in the handler: answered, and said (STYLE: exceptions are for bugs).
            const auto error = core::exception_text(failure);
            report(*state, "api request failed method=" + std::string(req.method_string()) + " target=" +
                               std::string(req.target()),
                   error);
            answer = error_response(500, "internal", "internal error: " + error);
        }
        if (state->stopped) break;
        const bool keep_alive = req.keep_alive() && !state->draining;
        const bool sent = co_await send(stream, answer, version, keep_alive, timeout);
        session->busy = false;
        if (!sent) {
            close_politely = false;
            break;
        }
        if (!keep_alive) break;
    }
    session->busy = false;
    if (close_politely && !state->stopped) co_await finish(stream);
    lowest(stream).close();
    state->forget(id);
}

/// Over max_connections (or max_connections_per_address): a short 503 (plain HTTP only) and close.
net::awaitable<void> reject(std::shared_ptr<ServerState> state, tcp::socket socket, bool address_full) {
    if (state->tls) co_return;  // no handshake for a connection we refuse
    beast::tcp_stream stream(std::move(socket));
    auto answer = error_response(
        503, "busy",
        address_full ? "too many connections from your address (" +
                           std::to_string(state->settings.max_connections_per_address) + "); try again"
                     : "too many connections (" + std::to_string(state->settings.max_connections) + "); try again");
    answer.headers.emplace_back("Retry-After", "1");
    if (co_await send(stream, answer, 11, false, std::chrono::seconds(2))) co_await finish(stream);
}

/// The completion handler of a session's coroutine: an exception that ends it (a bug) is
/// said, and the session is forgotten (its busy flag no longer counts as a request in flight).
auto on_session_end(std::shared_ptr<ServerState> state, std::optional<std::uint64_t> id) {
    return [state = std::move(state), id](std::exception_ptr e) {
        if (!e) return;
        report(*state, id ? "api session failed session=" + std::to_string(*id) : std::string("api reject failed"),
               core::exception_text(e));
        if (id) state->forget(*id);
    };
}

net::awaitable<void> accept_loop(std::shared_ptr<ServerState> state) {
    net::steady_timer backoff(state->io);
    while (!state->stopped) {
        error_code ec;
        tcp::socket socket = co_await state->acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
        if (state->stopped) co_return;
        if (ec) {
            if (ec == net::error::operation_aborted || ec == net::error::bad_descriptor) co_return;
            // EMFILE and friends: wait a little instead of spinning.
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(net::redirect_error(net::use_awaitable, ec));
            continue;
        }
        const auto remote = socket.remote_endpoint(ec);
        const std::string address = ec ? std::string("unknown") : remote.address().to_string();
        const auto from_address = state->per_address.find(address);
        const bool address_full = from_address != state->per_address.end() &&
                                  from_address->second >= state->settings.max_connections_per_address;
        if (state->sessions.size() >= state->settings.max_connections || address_full) {
            net::co_spawn(state->io, reject(state, std::move(socket), address_full), on_session_end(state, std::nullopt));
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        const auto id = state->next_id++;
        if (state->tls) {
            using Stream = beast::ssl_stream<beast::tcp_stream>;
            auto session = std::make_shared<Session<Stream>>(Stream(beast::tcp_stream(std::move(socket)), *state->tls));
            state->add(id, session, address);
            net::co_spawn(state->io, run_session<Stream>(state, session, id), on_session_end(state, id));
        } else {
            using Stream = beast::tcp_stream;
            auto session = std::make_shared<Session<Stream>>(Stream(std::move(socket)));
            state->add(id, session, address);
            net::co_spawn(state->io, run_session<Stream>(state, session, id), on_session_end(state, id));
        }
    }
}

/// Starts the accept loop; one ended by an exception (a bug) is said and started again after
/// a pause, unless the server is stopping: an API that silently stops accepting is the worst.
void spawn_accept_loop(std::shared_ptr<ServerState> state) {
    net::co_spawn(state->io, accept_loop(state), [state](std::exception_ptr e) {
        if (!e) return;
        const bool again = !state->stopped && !state->draining;
        report(*state, again ? "api accept loop failed, restarting in 1 s" : "api accept loop failed, not restarted (stopping)",
               core::exception_text(e));
        if (!again) return;
        auto pause = std::make_shared<net::steady_timer>(state->io, kAcceptRestartPause);
        pause->async_wait([state, pause](const error_code& ec) {
            if (!ec && !state->stopped && !state->draining) spawn_accept_loop(state);
        });
    });
}

class ServerImpl final : public ApiServer {
public:
    ServerImpl(std::shared_ptr<ServerState> state, std::uint16_t port) : state_(std::move(state)), port_(port) {}
    ~ServerImpl() override { stop(); }
    std::uint16_t port() const override { return port_; }
    void stop() override {
        auto state = state_;
        if (!state) return;
        if (state->io.get_executor().running_in_this_thread() || state->io.stopped()) {
            state->shutdown();
        } else {
            net::post(state->io, [state] { state->shutdown(); });
        }
    }
    void drain() override {
        if (state_) state_->drain();
    }
    std::size_t requests_in_flight() const override { return state_ ? state_->in_flight() : 0; }

private:
    std::shared_ptr<ServerState> state_;
    std::uint16_t port_;
};

core::Result<ssl::context> make_tls(const ServerSettings& settings) {
    if (!settings.tls_cert_file || !settings.tls_key_file) {
        return core::make_error(core::ErrorKind::Invalid,
                                "apiTlsCertFile and apiTlsKeyFile must be set together");
    }
    ssl::context ctx(ssl::context::tls_server);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    error_code ec;
    ctx.use_certificate_chain_file(*settings.tls_cert_file, ec);
    if (ec) {
        return core::make_error(core::ErrorKind::Tls, "apiTlsCertFile " + *settings.tls_cert_file + ": " + message_of(ec));
    }
    ctx.use_private_key_file(*settings.tls_key_file, ssl::context::pem, ec);
    if (ec) {
        return core::make_error(core::ErrorKind::Tls, "apiTlsKeyFile " + *settings.tls_key_file + ": " + message_of(ec));
    }
    return ctx;
}

}  // namespace

core::Result<std::unique_ptr<ApiServer>> start_api_server(net::io_context& io, ServerSettings settings,
                                                          Handler handler) {
    auto endpoint = parse_listen(io, settings.listen);
    if (!endpoint) return endpoint.error();
    auto state = std::make_shared<ServerState>(io, settings, std::move(handler));
    if (settings.tls_cert_file || settings.tls_key_file) {
        auto tls = make_tls(settings);
        if (!tls) return tls.error();
        state->tls.emplace(std::move(*tls));
    }
    auto& acceptor = state->acceptor;
    error_code ec;
    acceptor.open(endpoint->protocol(), ec);
    if (ec) return listen_error(settings.listen, "socket", message_of(ec));
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    acceptor.bind(*endpoint, ec);
    if (ec) return listen_error(settings.listen, "bind", message_of(ec));
    acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return listen_error(settings.listen, "listen", message_of(ec));
    const auto port = acceptor.local_endpoint(ec).port();
    spawn_accept_loop(state);
    return std::unique_ptr<ApiServer>(std::make_unique<ServerImpl>(std::move(state), port));
}

}  // namespace kea_ha::api
