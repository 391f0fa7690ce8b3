// The Control Agent client over Boost.Beast: one deadline per request covering resolve,
// connect, TLS handshake, write and read. Connections are kept alive (HTTP/1.1) and reused
// per endpoint: at one poll per second per peer, a new connection per request was half of
// the controller's CPU (docs/performance.md). A connection idle for kUncheckedIdle or more
// is checked before reuse, and dropped after kIdleLimit; a request that finds its reused
// connection closed by the server before any answer byte is sent once more on a fresh one.

#include <openssl/ssl.h>

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/intrusive/list.hpp>

#include "kea_ha/kea/control_agent.hpp"

namespace kea_ha::kea {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using core::ErrorKind;

constexpr std::size_t kHeaderLimit = 64 * 1024;
/// Idle connections older than this are closed, well before Kea's CA drops them (its idle
/// timeout is tens of seconds), so a reused connection is rarely found closed.
constexpr auto kIdleLimit = std::chrono::seconds(10);
/// A connection idle for less than this is reused without looking at it first (a recv
/// system call per request at short poll intervals): if the agent closed it meanwhile, the
/// request finds it closed before any answer byte and is sent once more (run_on()).
constexpr auto kUncheckedIdle = std::chrono::seconds(2);
/// Idle connections kept per endpoint (a poll needs one; a config operation may add some).
constexpr std::size_t kIdlePerEndpoint = 4;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

/// Whether an idle connection can still carry a request: nothing to read (no EOF, no
/// stray bytes such as a TLS alert), no error.
bool still_usable(int fd) {
    char byte = 0;
    const auto n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/// A pool of idle keep-alive connections, keyed by scheme, host and port.
template <typename Stream>
class IdlePool {
public:
    std::unique_ptr<Stream> take(const std::string& key, core::SteadyTime now) {
        auto found = idle_.find(key);
        if (found == idle_.end()) return nullptr;
        auto& list = found->second;
        while (!list.empty()) {
            auto entry = std::move(list.back());
            list.pop_back();
            const auto idle = now - entry.since;
            if (idle < kIdleLimit &&
                (idle < kUncheckedIdle ||
                 still_usable(beast::get_lowest_layer(*entry.stream).socket().native_handle()))) {
                if (list.empty()) idle_.erase(found);
                return std::move(entry.stream);
            }
            close(*entry.stream);
        }
        idle_.erase(found);
        return nullptr;
    }
    void put(const std::string& key, std::unique_ptr<Stream> stream, core::SteadyTime now) {
        beast::get_lowest_layer(*stream).expires_never();
        auto& list = idle_[key];
        if (list.size() >= kIdlePerEndpoint) {
            close(*stream);
        } else {
            list.push_back({std::move(stream), now});
        }
        sweep(now);
    }
    static void close(Stream& stream) {
        error_code ec;
        auto& lowest = beast::get_lowest_layer(stream);
        lowest.socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest.close();
    }

private:
    struct Entry {
        std::unique_ptr<Stream> stream;
        core::SteadyTime since;
    };
    /// At most once per second: close what stayed idle too long (peers no longer polled).
    void sweep(core::SteadyTime now) {
        if (now - last_sweep_ < std::chrono::seconds(1)) return;
        last_sweep_ = now;
        for (auto it = idle_.begin(); it != idle_.end();) {
            auto& list = it->second;
            std::erase_if(list, [&](Entry& entry) {
                if (now - entry.since < kIdleLimit) return false;
                close(*entry.stream);
                return true;
            });
            it = list.empty() ? idle_.erase(it) : std::next(it);
        }
    }
    std::unordered_map<std::string, std::vector<Entry>> idle_;
    core::SteadyTime last_sweep_{};
};

/// How late a deadline of an exchange may be noticed (DeadlineSweeper).
constexpr auto kSweepPeriod = std::chrono::milliseconds(50);

/// Enforces the deadlines of the exchanges in flight (writing a request, reading its answer)
/// with one periodic sweep, instead of Beast's timer per read and write: those cost a timer-heap
/// insertion, a cancellation and a completion handler for every operation, about a tenth of the
/// controller's CPU at 1000 peers (docs/performance.md). A deadline is noticed at most
/// kSweepPeriod late; the exchange's socket is then closed, which ends its pending operation.
/// Connect, TLS handshake and resolve keep their own timers (they happen once per connection).
class DeadlineSweeper : public std::enable_shared_from_this<DeadlineSweeper> {
public:
    /// One exchange's deadline; it stops being watched when destroyed.
    struct Watch : boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
        Watch(core::SteadyTime at, tcp::socket& watched) : deadline(at), socket(&watched) {}
        Watch(const Watch&) = delete;
        Watch& operator=(const Watch&) = delete;
        core::SteadyTime deadline;
        tcp::socket* socket;
        bool expired = false;  ///< the sweep closed the socket: report a timeout
    };

    explicit DeadlineSweeper(net::io_context& io) : timer_(io) {}

    void watch(Watch& watch) {
        watches_.push_back(watch);
        if (!armed_) arm();
    }
    void stop() {
        stopped_ = true;
        timer_.cancel();
    }

private:
    void arm() {
        armed_ = true;
        timer_.expires_after(kSweepPeriod);
        timer_.async_wait([self = shared_from_this()](const error_code& ec) {
            self->armed_ = false;
            if (!ec && !self->stopped_) self->sweep();
        });
    }
    void sweep() {
        const auto now = core::SteadyClock::now();
        for (auto& watch : watches_) {
            if (watch.expired || watch.deadline > now) continue;
            watch.expired = true;
            error_code ignored;
            watch.socket->close(ignored);  // the pending read or write completes with an error, later
        }
        if (!watches_.empty()) arm();
    }

    net::steady_timer timer_;
    boost::intrusive::list<Watch, boost::intrusive::constant_time_size<false>> watches_;
    bool armed_ = false;
    bool stopped_ = false;
};

/// How an exchange ended, besides its answer: may the connection carry another request,
/// and did it fail before any answer byte came back (a stale keep-alive connection)?
struct ExchangeInfo {
    bool reusable = false;
    bool nothing_received = false;
};

std::string base64(std::string_view in) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (const auto rest = in.size() - i; rest > 0) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

/// "5 s", "0.3 s", "1.25 s".
std::string format_seconds(core::Duration duration) {
    const auto ms = duration.count();
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.3f", static_cast<double>(ms) / 1000.0);
    std::string text = buffer;
    while (!text.empty() && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text + " s";
}

/// "256 MiB", "64 KiB", "1.5 MiB", "1000 bytes".
std::string format_size(std::uint64_t bytes) {
    constexpr std::uint64_t kib = 1024;
    constexpr std::uint64_t mib = 1024 * kib;
    constexpr std::uint64_t gib = 1024 * mib;
    auto scaled = [&](std::uint64_t unit, const char* name) {
        if (bytes % unit == 0) return std::to_string(bytes / unit) + " " + name;
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%.1f %s", static_cast<double>(bytes) / static_cast<double>(unit), name);
        return std::string(buffer);
    };
    if (bytes >= gib) return scaled(gib, "GiB");
    if (bytes >= mib) return scaled(mib, "MiB");
    if (bytes >= kib) return scaled(kib, "KiB");
    return std::to_string(bytes) + " bytes";
}

/// ec.message() with a lower-case first letter ("connection refused").
std::string what(const error_code& ec) {
    std::string text = ec.message();
    if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z' &&
        (text.size() < 2 || !(text[1] >= 'A' && text[1] <= 'Z'))) {
        text[0] = static_cast<char>(text[0] - 'A' + 'a');
    }
    return text;
}

bool is_timeout(const error_code& ec) {
    return ec == beast::error::timeout || ec == net::error::timed_out;
}

bool is_tls_error(const error_code& ec) {
    return ec.category() == net::error::get_ssl_category() || ec.category() == ssl::error::get_stream_category();
}

/// One request in flight: what to send (shared, often reused by the polls) and its deadline.
/// No Authorization header (a host the global credentials may not go to).
const std::string kNoAuthorization;

struct Request {
    std::shared_ptr<const PreparedRequest> prepared;
    core::Duration timeout;
    core::SteadyTime deadline;

    const Endpoint& endpoint() const { return prepared->endpoint; }
    core::Error fail(ErrorKind kind, const std::string& step, const std::string& text) const {
        return core::make_error(kind, step + ": " + text, prepared->endpoint.text);
    }
    core::Error timed_out(const std::string& step) const {
        return fail(ErrorKind::Timeout, step, "timed out after " + format_seconds(timeout));
    }
};

/// Shared between a resolve completion handler and the coroutine waiting for it.
struct ResolveState {
    explicit ResolveState(const net::any_io_executor& ex) : signal(ex), resolver(ex) {}
    net::steady_timer signal;
    tcp::resolver resolver;
    bool done = false;
    error_code ec;
    std::vector<tcp::endpoint> endpoints;
};

class BeastClient final : public ControlAgentClient {
public:
    BeastClient(net::io_context& io, ClientOptions options)
        : io_(io), options_(std::move(options)), sweeper_(std::make_shared<DeadlineSweeper>(io)) {
        if (options_.auth_user) {
            authorization_ = "Basic " + base64(*options_.auth_user + ":" + options_.auth_password.value_or(""));
        }
        tls_ = make_tls_context();
    }

    ~BeastClient() override { sweeper_->stop(); }
    BeastClient(const BeastClient&) = delete;
    BeastClient& operator=(const BeastClient&) = delete;

    using ControlAgentClient::prepare;
    std::shared_ptr<const PreparedRequest> prepare(const Endpoint& endpoint, const Command& command,
                                                   const Credentials* credentials) const override {
        auto prepared = std::make_shared<PreparedRequest>();
        prepared->endpoint = endpoint;
        const std::string own = credentials ? "Basic " + base64(credentials->user + ":" + credentials->password)
                                            : std::string();
        // Issue 32: the global credentials only to the allowed hosts (keaAllowedHosts).
        const bool global_allowed =
            !options_.auth_hosts || core::host_port_matches_any(*options_.auth_hosts, endpoint.host, endpoint.port);
        const std::string& authorization = credentials ? own : global_allowed ? authorization_ : kNoAuthorization;
        if (!authorization.empty() && !endpoint.https && !options_.allow_basic_auth_over_http) {
            // Issue 32: the password would cross the network in clear; not sent at all.
            prepared->refused = "basic auth over http refused: use https (keaTlsCaFile) or set "
                                "keaAllowBasicAuthOverHttp=1";
            prepared->http = http_request(endpoint, to_wire(command), std::string());
        } else {
            prepared->http = http_request(endpoint, to_wire(command), authorization);
        }
        prepared->connection_key = pool_key(endpoint);
        prepared->service = command.service;
        prepared->answer_keys = command.answer_keys;
        prepared->max_answer_size = command.name == "config-get"
                                        ? options_.max_response_size
                                        : std::min(options_.max_response_size, kSmallAnswerLimit);
        return prepared;
    }

    net::awaitable<core::Result<Answer>> send_prepared(std::shared_ptr<const PreparedRequest> prepared,
                                                       core::Duration timeout) override {
        // Not a coroutine: the deadline starts now, when the caller asks.
        Request request{std::move(prepared), timeout, core::SteadyClock::now() + timeout};
        if (request.prepared->refused) return refuse(std::move(request));
        return run(std::move(request));
    }

private:
    std::unique_ptr<ssl::context> make_tls_context() const {
        auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
        ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        error_code ec;
        if (options_.tls_ca_file) {
            ctx->load_verify_file(*options_.tls_ca_file, ec);
            if (ec) throw std::runtime_error("cannot load TLS CA file " + *options_.tls_ca_file + ": " + what(ec));
        } else {
            ctx->set_default_verify_paths(ec);  // no system store: verification fails later, per request
        }
        if (options_.tls_cert_file.has_value() != options_.tls_key_file.has_value()) {
            throw std::runtime_error("a TLS client certificate needs both a certificate file and a key file");
        }
        if (options_.tls_cert_file) {
            ctx->use_certificate_chain_file(*options_.tls_cert_file, ec);
            if (ec) {
                throw std::runtime_error("cannot load TLS certificate file " + *options_.tls_cert_file + ": " +
                                         what(ec));
            }
            ctx->use_private_key_file(*options_.tls_key_file, ssl::context::pem, ec);
            if (ec) throw std::runtime_error("cannot load TLS key file " + *options_.tls_key_file + ": " + what(ec));
        }
        ctx->set_verify_mode(options_.tls_verify ? ssl::verify_peer : ssl::verify_none);
        return ctx;
    }

    /// The whole HTTP/1.1 request, written in one go (keep-alive is HTTP/1.1's default).
    std::string http_request(const Endpoint& endpoint, const std::string& body,
                             const std::string& authorization) const {
        std::string text;
        text.reserve(256 + authorization.size() + body.size());
        text += "POST ";
        text += endpoint.target;
        text += " HTTP/1.1\r\nHost: ";
        text += host_header(endpoint);
        text += "\r\nUser-Agent: kea-ha-controller/" KEA_HA_VERSION "\r\nContent-Type: application/json\r\n"
                "Accept: application/json\r\n";
        if (!authorization.empty()) {
            text += "Authorization: ";
            text += authorization;
            text += "\r\n";
        }
        text += "Content-Length: ";
        text += std::to_string(body.size());
        text += "\r\n\r\n";
        text += body;
        return text;
    }

    std::string host_header(const Endpoint& endpoint) const {
        std::string host = endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host;
        const std::uint16_t default_port = endpoint.https ? 443 : 80;
        if (endpoint.port != default_port) host += ":" + std::to_string(endpoint.port);
        return host;
    }

    /// The endpoints to connect to: the IP literal itself, or what the resolver says (within the deadline).
    net::awaitable<core::Result<std::vector<tcp::endpoint>>> resolve(const Request& request) {
        const auto& endpoint = request.endpoint();
        error_code ec;
        auto address = net::ip::make_address(endpoint.host, ec);
        if (!ec) co_return std::vector<tcp::endpoint>{tcp::endpoint(address, endpoint.port)};

        auto ex = co_await net::this_coro::executor;
        auto state = std::make_shared<ResolveState>(ex);
        state->signal.expires_at(request.deadline);
        state->resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                                      [state](const error_code& error, const tcp::resolver::results_type& results) {
                                          state->done = true;
                                          state->ec = error;
                                          for (const auto& entry : results) state->endpoints.push_back(entry.endpoint());
                                          state->signal.cancel();
                                      });
        if (!state->done) {
            error_code wait_ec;
            co_await state->signal.async_wait(net::redirect_error(net::use_awaitable, wait_ec));
        }
        if (!state->done) {
            state->resolver.cancel();
            co_return request.timed_out("resolve");
        }
        if (state->ec) co_return request.fail(ErrorKind::NoRoute, "resolve", what(state->ec));
        if (state->endpoints.empty()) co_return request.fail(ErrorKind::NoRoute, "resolve", "no addresses");
        co_return std::move(state->endpoints);
    }

    core::Error connect_error(const Request& request, const error_code& ec) const {
        if (is_timeout(ec)) return request.timed_out("connect");
        // SPEC §4 Down causes: a refusal means the host answered and nothing listens (a stopped
        // daemon on its own socket); anything else means the host was not reached at all.
        if (ec == boost::asio::error::connection_refused) return request.fail(ErrorKind::Refused, "connect", what(ec));
        return request.fail(ErrorKind::NoRoute, "connect", what(ec));
    }

    /// Writes the request and reads the answer on a connected (and handshaken) stream.
    template <typename Stream>
    net::awaitable<core::Result<Answer>> exchange(Stream& stream, const Request& request, ExchangeInfo& info) {
        const auto& endpoint = request.endpoint();
        // The stream's own timer is off here (run_on); the sweep closes the socket at the deadline.
        DeadlineSweeper::Watch deadline(request.deadline, beast::get_lowest_layer(stream).socket());
        sweeper_->watch(deadline);
        error_code ec;
        co_await net::async_write(stream, net::buffer(request.prepared->http),
                                  net::redirect_error(net::use_awaitable, ec));
        if (ec) {
            const bool timed_out = deadline.expired || is_timeout(ec);
            info.nothing_received = !timed_out;
            if (timed_out) co_return request.timed_out("write");
            if (is_tls_error(ec)) co_return request.fail(ErrorKind::Tls, "write", what(ec));
            co_return request.fail(ErrorKind::Http, "write", what(ec));
        }

        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        const std::uint64_t limit =
            request.prepared->max_answer_size ? request.prepared->max_answer_size : options_.max_response_size;
        parser.body_limit(limit);
        parser.header_limit(static_cast<std::uint32_t>(kHeaderLimit));
        // The header first: Boost 1.74's eager parse loses the body_limit error for a Content-Length
        // above the limit when header and body arrive together, so check that length here.
        co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
        if (!ec) {
            if (const auto length = parser.content_length(); length && *length > limit) {
                ec = http::error::body_limit;
            }
        }
        if (!ec && !parser.is_done()) {
            co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
        }
        if (ec) {
            if (deadline.expired) co_return request.timed_out("read");
            info.nothing_received = buffer.size() == 0 && !parser.got_some() &&
                                    (ec == http::error::end_of_stream || ec == net::error::connection_reset ||
                                     ec == net::error::broken_pipe || ec == net::error::eof ||
                                     ec == ssl::error::stream_truncated);
            if (is_timeout(ec)) co_return request.timed_out("read");
            if (ec == http::error::body_limit) {
                co_return request.fail(ErrorKind::TooLarge, "read",
                                       "answer larger than " + format_size(limit));
            }
            if (ec == http::error::header_limit) {
                co_return request.fail(ErrorKind::Http, "read",
                                       "answer headers larger than " + format_size(kHeaderLimit));
            }
            if (ec == http::error::end_of_stream) {
                co_return request.fail(ErrorKind::Http, "read", "connection closed without an answer");
            }
            if (ec == http::error::partial_message || ec == ssl::error::stream_truncated) {
                co_return request.fail(ErrorKind::Http, "read", "answer truncated: connection closed mid-answer");
            }
            if (is_tls_error(ec)) co_return request.fail(ErrorKind::Tls, "read", what(ec));
            if (ec.category() == error_code(http::error::bad_version).category()) {
                co_return request.fail(ErrorKind::BadAnswer, "read", "not an HTTP answer: " + what(ec));
            }
            co_return request.fail(ErrorKind::Http, "read", what(ec));
        }

        auto& response = parser.get();
        info.reusable = response.keep_alive() && parser.is_done();
        const std::string content_type(response[http::field::content_type]);
        auto answer = parse_answer(response.result_int(), response.body(), request.prepared->service,
                                   request.prepared->answer_keys);
        if (!answer) {
            core::Error error = answer.error();
            if (error.kind == ErrorKind::BadAnswer) {
                std::string lowered = content_type;
                std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                if (lowered.find("json") == std::string::npos) {
                    error.message += content_type.empty() ? " (no Content-Type)"
                                                          : " (Content-Type: " + content_type + ")";
                }
            }
            if (error.where.empty()) error.where = endpoint.text;
            co_return error;
        }
        co_return answer;
    }

    static std::string pool_key(const Endpoint& endpoint) {
        return (endpoint.https ? "https://[" : "http://[") + endpoint.host + "]:" + std::to_string(endpoint.port);
    }

    net::awaitable<core::Result<std::unique_ptr<PlainStream>>> open_plain(const Request& request) {
        auto endpoints = co_await resolve(request);
        if (!endpoints) co_return endpoints.error();
        auto stream = std::make_unique<PlainStream>(co_await net::this_coro::executor);
        stream->expires_at(request.deadline);
        error_code ec;
        co_await stream->async_connect(*endpoints, net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return connect_error(request, ec);
        stream->socket().set_option(tcp::no_delay(true), ec);
        co_return stream;
    }

    net::awaitable<core::Result<std::unique_ptr<TlsStream>>> open_tls(const Request& request) {
        auto endpoints = co_await resolve(request);
        if (!endpoints) co_return endpoints.error();
        auto stream = std::make_unique<TlsStream>(co_await net::this_coro::executor, *tls_);
        const auto& host = request.endpoint().host;
        error_code literal_ec;
        net::ip::make_address(host, literal_ec);
        if (literal_ec) {
            // SNI only for names (RFC 6066 forbids IP literals).
            if (!SSL_set_tlsext_host_name(stream->native_handle(), host.c_str())) {
                co_return request.fail(ErrorKind::Tls, "handshake", "cannot set SNI host name");
            }
        }
        if (options_.tls_verify) stream->set_verify_callback(ssl::host_name_verification(host));
        auto& lowest = beast::get_lowest_layer(*stream);
        lowest.expires_at(request.deadline);
        error_code ec;
        co_await lowest.async_connect(*endpoints, net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return connect_error(request, ec);
        lowest.socket().set_option(tcp::no_delay(true), ec);
        co_await stream->async_handshake(ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
        if (ec) {
            if (is_timeout(ec)) co_return request.timed_out("handshake");
            std::string text = what(ec);
            if (const long verify = SSL_get_verify_result(stream->native_handle()); verify != X509_V_OK) {
                text += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
            }
            co_return request.fail(ErrorKind::Tls, "handshake", text);
        }
        co_return stream;
    }

    /// One request on a pooled connection of `pool` (or a new one from `open`).
    template <typename Stream, typename Open>
    net::awaitable<core::Result<Answer>> run_on(IdlePool<Stream>& pool, Open open, const Request& request) {
        const std::string& key = request.prepared->connection_key;
        auto stream = pool.take(key, core::SteadyClock::now());
        bool reused = stream != nullptr;
        for (;;) {
            if (!stream) {
                auto opened = co_await open(request);
                if (!opened) co_return opened.error();
                stream = std::move(*opened);
            }
            beast::get_lowest_layer(*stream).expires_never();  // exchange() watches the deadline
            ExchangeInfo info;
            auto answer = co_await exchange(*stream, request, info);
            if (info.reusable) {
                pool.put(key, std::move(stream), core::SteadyClock::now());
            } else {
                IdlePool<Stream>::close(*stream);
                stream.reset();
            }
            // The server closed a kept-alive connection just as we reused it: the request
            // never reached Kea (nothing came back), so sending it again is safe.
            if (!answer && reused && info.nothing_received && core::SteadyClock::now() < request.deadline) {
                reused = false;
                continue;
            }
            co_return answer;
        }
    }

    static net::awaitable<core::Result<Answer>> refuse(Request request) {
        co_return request.fail(ErrorKind::Auth, "send", *request.prepared->refused);
    }

    net::awaitable<core::Result<Answer>> run(Request request) {
        if (!request.endpoint().https) {
            co_return co_await run_on(plain_pool_, [this](const Request& r) { return open_plain(r); }, request);
        }
        co_return co_await run_on(tls_pool_, [this](const Request& r) { return open_tls(r); }, request);
    }

    [[maybe_unused]] net::io_context& io_;
    ClientOptions options_;
    std::shared_ptr<DeadlineSweeper> sweeper_;
    std::string authorization_;
    std::unique_ptr<ssl::context> tls_;
    IdlePool<PlainStream> plain_pool_;
    IdlePool<TlsStream> tls_pool_;
};

}  // namespace

std::unique_ptr<ControlAgentClient> make_control_agent_client(boost::asio::io_context& io, ClientOptions options) {
    return std::make_unique<BeastClient>(io, std::move(options));
}

}  // namespace kea_ha::kea
