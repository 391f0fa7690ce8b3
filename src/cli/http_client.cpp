// kea-ha-ctl's HTTP(S) client (Boost.Beast): a coroutine on a private io_context, with a
// deadline on every step and on the whole exchange.
#include "cli/http_client.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace kea_ha::cli {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;

std::string message_of(const error_code& ec) {
    if (ec == beast::error::timeout || ec == net::error::timed_out) return "timed out";
    std::string text = ec.message();
    if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) &&
        std::islower(static_cast<unsigned char>(text[1]))) {
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    }
    return text;
}

struct Exchange {
    const ApiUrl& api;
    const ClientOptions& options;
    http::request<http::string_body> request;
    Reply& reply;
    Failure& failure;
    bool done = false;
    bool ok = false;

    void fail(bool unreachable, std::string message) {
        failure.unreachable = unreachable;
        failure.message = std::move(message);
        done = true;
    }
};

template <typename Stream>
net::awaitable<void> talk(Stream& stream, Exchange& x) {
    error_code ec;
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(x.options.timeout);
    co_await http::async_write(stream, x.request, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return x.fail(true, "sending the request: " + message_of(ec));
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(512ull << 20);
    lowest.expires_after(x.options.timeout);
    co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return x.fail(ec == beast::error::timeout, "reading the answer: " + message_of(ec));
    const auto& res = parser.get();
    x.reply.status = res.result_int();
    for (const auto& field : res) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        x.reply.headers[name] = std::string(field.value());
    }
    x.reply.body = res.body();
    x.ok = true;
    x.done = true;
}

net::awaitable<void> run(net::io_context& io, Exchange& x, ssl::context* tls) {
    error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = co_await resolver.async_resolve(x.api.host, x.api.port, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return x.fail(true, "cannot resolve " + x.api.host + ": " + message_of(ec));
    beast::tcp_stream tcp_stream(io);
    tcp_stream.expires_after(x.options.timeout);
    co_await tcp_stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return x.fail(true, message_of(ec));
    if (!tls) {
        co_await talk(tcp_stream, x);
        tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls);
    if (!x.options.insecure) {
        stream.set_verify_callback(ssl::host_name_verification(x.api.host));
    }
    if (!SSL_set_tlsext_host_name(stream.native_handle(), x.api.host.c_str())) {
        co_return x.fail(true, "TLS: cannot set the server name");
    }
    beast::get_lowest_layer(stream).expires_after(x.options.timeout);
    co_await stream.async_handshake(ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return x.fail(true, "TLS handshake: " + message_of(ec));
    co_await talk(stream, x);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
    co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
}

}  // namespace

std::optional<ApiUrl> parse_api_url(const std::string& url, std::string& why) {
    ApiUrl api;
    api.text = url;
    std::string rest;
    auto starts = [&](const std::string& prefix) {
        return url.size() >= prefix.size() &&
               std::equal(prefix.begin(), prefix.end(), url.begin(),
                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
    };
    if (starts("https://")) {
        api.https = true;
        rest = url.substr(8);
    } else if (starts("http://")) {
        rest = url.substr(7);
    } else {
        why = "the URL must start with http:// or https://";
        return std::nullopt;
    }
    const auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    api.base = slash == std::string::npos ? std::string() : rest.substr(slash);
    while (!api.base.empty() && api.base.back() == '/') api.base.pop_back();
    if (api.base.find_first_of("?#") != std::string::npos) {
        why = "no query or fragment, please";
        return std::nullopt;
    }
    if (authority.find('@') != std::string::npos) {
        why = "credentials in the URL are not supported (use --token-file)";
        return std::nullopt;
    }
    std::string port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string::npos) {
            why = "unterminated [IPv6] literal";
            return std::nullopt;
        }
        api.host = authority.substr(1, close - 1);
        const std::string after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                why = "unexpected text after the [IPv6] literal";
                return std::nullopt;
            }
            port = after.substr(1);
        }
    } else {
        const auto colon = authority.find(':');
        if (colon != std::string::npos && authority.find(':', colon + 1) != std::string::npos) {
            why = "IPv6 addresses must be written in brackets: http://[::1]:8067";
            return std::nullopt;
        }
        api.host = authority.substr(0, colon);
        if (colon != std::string::npos) port = authority.substr(colon + 1);
    }
    if (api.host.empty()) {
        why = "no host";
        return std::nullopt;
    }
    if (port.empty()) port = api.https ? "443" : "80";
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        std::stoul(port) == 0 || std::stoul(port) > 65535) {
        why = "bad port '" + port + "'";
        return std::nullopt;
    }
    api.port = port;
    return api;
}

bool send_request(const ApiUrl& api, const ClientOptions& options, const std::string& method,
                  const std::string& path, const std::string& body, const std::string& content_type,
                  const std::map<std::string, std::string>& headers, Reply& reply, Failure& failure) {
    net::io_context io;
    Exchange x{api, options, {}, reply, failure};
    x.request.method_string(method);
    x.request.target(api.base + path);
    x.request.version(11);
    const bool v6 = api.host.find(':') != std::string::npos;
    x.request.set(http::field::host, (v6 ? "[" + api.host + "]" : api.host) + ":" + api.port);
    x.request.set(http::field::user_agent, "kea-ha-ctl/" KEA_HA_VERSION);
    x.request.set(http::field::accept, "application/json");
    x.request.set(http::field::connection, "close");
    if (options.token) x.request.set(http::field::authorization, "Bearer " + *options.token);
    for (const auto& [name, value] : headers) x.request.set(name, value);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        // The API takes a write only with a JSON media type (an HTML form cannot send one,
        // issue 32): an action without parameters sends {}.
        x.request.set(http::field::content_type, body.empty() ? std::string("application/json") : content_type);
        x.request.body() = body.empty() ? std::string("{}") : body;
        x.request.prepare_payload();
    }

    std::optional<ssl::context> tls;
    if (api.https) {
        tls.emplace(ssl::context::tls_client);
        error_code ec;
        if (options.insecure) {
            tls->set_verify_mode(ssl::verify_none);
        } else {
            tls->set_verify_mode(ssl::verify_peer);
            if (options.ca_file) {
                tls->load_verify_file(*options.ca_file, ec);
                if (ec) {
                    failure = {false, "--ca-file " + *options.ca_file + ": " + message_of(ec)};
                    return false;
                }
            } else {
                tls->set_default_verify_paths(ec);
            }
        }
    }

    std::exception_ptr crashed;
    net::co_spawn(io, run(io, x, tls ? &*tls : nullptr), [&](std::exception_ptr e) { crashed = e; });
    // The overall deadline: a little more than one step's, for resolve + connect + exchange.
    io.run_for(options.timeout + std::chrono::seconds(1));
    if (crashed) {
        try {
            std::rethrow_exception(crashed);
        } catch (const std::exception& e) {
            failure = {true, e.what()};
        }
        return false;
    }
    if (!x.done) {
        failure = {true, "timed out"};
        return false;
    }
    return x.ok;
}

}  // namespace kea_ha::cli
