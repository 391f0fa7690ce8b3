#include "support/fake_control_agent.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
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

namespace kea_ha::testing {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

FakeReply unsupported(const nlohmann::json& request) {
    std::string name = "?";
    if (request.is_object()) {
        if (auto it = request.find("command"); it != request.end() && it->is_string()) name = it->get<std::string>();
    }
    return FakeReply::json(nlohmann::json::array({{{"result", 2}, {"text", "'" + name + "' command not supported."}}}));
}

}  // namespace

FakeReply FakeReply::json(const nlohmann::json& body, unsigned status) {
    FakeReply reply;
    reply.status = status;
    reply.body = body.dump();
    return reply;
}

FakeReply FakeReply::answer(int result, const std::string& text, const nlohmann::json& arguments) {
    nlohmann::json element = {{"result", result}, {"text", text}};
    if (!arguments.is_null()) element["arguments"] = arguments;
    return json(nlohmann::json::array({element}));
}

struct FakeControlAgent::Impl {
    // Declared first so it outlives the streams that the io_context's frames still hold.
    std::optional<ssl::context> tls;
    net::io_context io{1};
    tcp::acceptor acceptor{io};
    std::thread thread;
    unsigned short port = 0;

    mutable std::mutex mutex;
    std::map<std::string, Handler> handlers;
    Handler default_handler = unsupported;
    std::vector<RecordedRequest> requests;
    std::size_t connections = 0;
    bool stopped = false;

    net::awaitable<void> accept_loop() {
        for (;;) {
            error_code ec;
            tcp::socket socket = co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
            if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
            if (ec) continue;
            {
                std::lock_guard lock(mutex);
                ++connections;
            }
            net::co_spawn(io, session(std::move(socket)), net::detached);
        }
    }

    net::awaitable<void> session(tcp::socket socket) {
        if (!tls) {
            beast::tcp_stream stream(std::move(socket));
            co_await serve(stream);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
        error_code ec;
        co_await stream.async_handshake(ssl::stream_base::server, net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return;
        co_await serve(stream);
    }

    FakeReply handle(const RecordedRequest& request) {
        Handler handler;
        {
            std::lock_guard lock(mutex);
            requests.push_back(request);
            auto it = handlers.find(request.command);
            handler = it != handlers.end() ? it->second : default_handler;
        }
        return handler(request.json);
    }

    template <typename Stream>
    net::awaitable<void> serve(Stream& stream) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(std::uint64_t{1} << 30);
            error_code ec;
            co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
            if (ec) co_return;
            const auto& message = parser.get();

            RecordedRequest request;
            request.received = std::chrono::steady_clock::now();
            request.method = std::string(message.method_string());
            request.target = std::string(message.target());
            for (const auto& field : message) request.headers[lower(std::string(field.name_string()))] = std::string(field.value());
            request.body = message.body();
            request.json = nlohmann::json::parse(request.body, nullptr, false);
            if (request.json.is_discarded()) request.json = nullptr;
            if (request.json.is_object()) {
                if (auto it = request.json.find("command"); it != request.json.end() && it->is_string()) {
                    request.command = it->get<std::string>();
                }
                if (auto it = request.json.find("service");
                    it != request.json.end() && it->is_array() && !it->empty() && it->front().is_string()) {
                    request.service = it->front().get<std::string>();
                }
            }
            const bool keep_alive = message.keep_alive();

            FakeReply reply;
            try {
                reply = handle(request);
            } catch (const std::exception& e) {
                reply.status = 500;
                reply.content_type = "text/plain";
                reply.body = std::string("fake handler threw: ") + e.what();
            }

            if (reply.delay.count() > 0) {
                net::steady_timer timer(co_await net::this_coro::executor, reply.delay);
                co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
            }

            auto& socket = beast::get_lowest_layer(stream).socket();
            if (reply.reset) {
                socket.set_option(net::socket_base::linger(true, 0), ec);
                socket.close(ec);
                co_return;
            }
            const std::string reason(http::obsolete_reason(static_cast<http::status>(reply.status)));
            std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason + "\r\n";
            if (!reply.content_type.empty()) head += "Content-Type: " + reply.content_type + "\r\n";
            if (reply.close_mid_body) {
                head += "Content-Length: " + std::to_string(reply.body.size() + 1000) + "\r\nConnection: close\r\n\r\n";
                head += reply.body;
                co_await net::async_write(stream, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
                socket.shutdown(tcp::socket::shutdown_both, ec);
                socket.close(ec);
                co_return;
            }
            if (reply.chunked_huge > 0) {
                head += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
                co_await net::async_write(stream, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
                const std::size_t chunk_size = 64 * 1024;
                std::string chunk;
                std::uint64_t left = reply.chunked_huge;
                while (!ec && left > 0) {
                    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk_size));
                    char size_line[32];
                    std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
                    chunk = size_line;
                    chunk.append(n, 'x');
                    chunk += "\r\n";
                    co_await net::async_write(stream, net::buffer(chunk), net::redirect_error(net::use_awaitable, ec));
                    left -= n;
                }
                if (!ec) {
                    co_await net::async_write(stream, net::buffer(std::string_view("0\r\n\r\n")),
                                              net::redirect_error(net::use_awaitable, ec));
                }
                socket.shutdown(tcp::socket::shutdown_both, ec);
                socket.close(ec);
                co_return;
            }

            http::response<http::string_body> response;
            response.version(11);
            response.result(reply.status);
            if (!reply.content_type.empty()) response.set(http::field::content_type, reply.content_type);
            response.set(http::field::server, "fake-kea-ctrl-agent");
            response.body() = reply.body;
            response.keep_alive(keep_alive);
            response.prepare_payload();
            co_await http::async_write(stream, response, net::redirect_error(net::use_awaitable, ec));
            if (ec || !keep_alive || reply.close_after_answer) {
                socket.shutdown(tcp::socket::shutdown_both, ec);
                socket.close(ec);
                co_return;
            }
        }
    }
};

FakeControlAgent::FakeControlAgent() : FakeControlAgent(std::nullopt) {}

FakeControlAgent::FakeControlAgent(std::optional<FakeTls> tls) : impl_(std::make_unique<Impl>()) {
    if (tls) {
        impl_->tls.emplace(ssl::context::tls_server);
        impl_->tls->use_certificate_chain_file(tls->cert_file);
        impl_->tls->use_private_key_file(tls->key_file, ssl::context::pem);
    }
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(net::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(net::socket_base::max_listen_connections);
    impl_->port = impl_->acceptor.local_endpoint().port();
    net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
    impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

FakeControlAgent::~FakeControlAgent() { stop(); }

void FakeControlAgent::stop() {
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopped) return;
        impl_->stopped = true;
    }
    impl_->io.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
    error_code ec;
    impl_->acceptor.close(ec);
}

std::size_t FakeControlAgent::connection_count() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->connections;
}

void FakeControlAgent::on(const std::string& command, Handler handler) {
    std::lock_guard lock(impl_->mutex);
    impl_->handlers[command] = std::move(handler);
}

void FakeControlAgent::on(const std::string& command, FakeReply reply) {
    on(command, [reply](const nlohmann::json&) { return reply; });
}

void FakeControlAgent::set_default(Handler handler) {
    std::lock_guard lock(impl_->mutex);
    impl_->default_handler = std::move(handler);
}

unsigned short FakeControlAgent::port() const { return impl_->port; }

std::string FakeControlAgent::url() const {
    return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port) + "/";
}

std::vector<RecordedRequest> FakeControlAgent::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->requests;
}

std::size_t FakeControlAgent::request_count() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->requests.size();
}

void FakeControlAgent::clear_requests() {
    std::lock_guard lock(impl_->mutex);
    impl_->requests.clear();
}

std::optional<FakeTls> make_self_signed_cert(const std::string& directory) {
    FakeTls tls{directory + "/fake-ca-cert.pem", directory + "/fake-ca-key.pem"};
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost"
        " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
        tls.key_file + "' -out '" + tls.cert_file + "' >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) return std::nullopt;
    return tls;
}

}  // namespace kea_ha::testing
