// The real Control Agent client against the fake Control Agent, over loopback.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "kea_ha/kea/control_agent.hpp"
#include "support/ca_client_helpers.hpp"
#include "support/fake_control_agent.hpp"
#include "support/run_awaitable.hpp"

namespace {

namespace kea = kea_ha::kea;
using kea_ha::core::ErrorKind;
using kea_ha::core::Result;
using kea_ha::testing::FakeControlAgent;
using kea_ha::testing::FakeReply;
using kea_ha::testing::contains;
using kea_ha::testing::endpoint_of;
using kea_ha::testing::run_awaitable;
using kea_ha::testing::run_awaitables;
using nlohmann::json;
using namespace std::chrono_literals;

const std::optional<std::string> dhcp4 = std::string("dhcp4");

/// `n` status-gets to `url`, one after the other on the same client (keep-alive tests);
/// a fatal failure at the first that fails.
void status_gets(boost::asio::io_context& io, kea::ControlAgentClient& client, const std::string& url, int n) {
    const auto endpoint = endpoint_of(url);
    for (int i = 0; i < n; ++i) {
        auto answer = run_awaitable(io, client.send(endpoint, kea::status_get(dhcp4), 5s), 30s);
        ASSERT_TRUE(answer) << i << ": " << answer.error().describe();
    }
}

/// A port on 127.0.0.1 that was bound a moment ago and is free now (nothing listens there).
unsigned short closed_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

class CaClientTest : public ::testing::Test {
protected:
    Result<kea::Answer> send(const kea::Command& command, std::chrono::milliseconds timeout = 5s,
                             kea::ClientOptions options = {}, std::optional<std::string> url = std::nullopt) {
        auto client = kea::make_control_agent_client(io, std::move(options));
        return run_awaitable(io, client->send(endpoint_of(url.value_or(fake.url())), command, timeout), 30s);
    }

    boost::asio::io_context io;
    FakeControlAgent fake;
};

TEST_F(CaClientTest, RoundTripRecordsServiceAndCommand) {
    fake.on("version-get", FakeReply::answer(0, "2.2.0", {{"extended", "2.2.0\ntarball"}}));
    auto answer = send(kea::version_get(dhcp4));
    ASSERT_TRUE(answer) << answer.error().describe();
    EXPECT_EQ(answer->result, kea::KeaResult::Success);
    EXPECT_EQ(answer->text, "2.2.0");
    EXPECT_EQ(answer->arguments["extended"], "2.2.0\ntarball");

    auto requests = fake.requests();
    ASSERT_EQ(requests.size(), 1u);
    const auto& request = requests.front();
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/");
    EXPECT_EQ(request.command, "version-get");
    EXPECT_EQ(request.service, "dhcp4");
    EXPECT_EQ(request.json, json::parse(kea::to_wire(kea::version_get(dhcp4))));
    EXPECT_EQ(request.headers.at("content-type"), "application/json");
    EXPECT_EQ(request.headers.at("host"), "127.0.0.1:" + std::to_string(fake.port()));
    EXPECT_EQ(request.headers.count("authorization"), 0u);
}

TEST_F(CaClientTest, ArgumentsAndTargetReachTheCa) {
    json config = {{"Dhcp4", {{"valid-lifetime", 4000}}}};
    fake.on("config-test", FakeReply::answer(1, "subnet configuration failed: nope"));
    auto answer = send(kea::config_test(dhcp4, config), 5s, {},
                       "http://127.0.0.1:" + std::to_string(fake.port()) + "/kea");
    ASSERT_TRUE(answer) << answer.error().describe();
    EXPECT_EQ(answer->result, kea::KeaResult::Error);
    EXPECT_EQ(answer->text, "subnet configuration failed: nope");
    auto requests = fake.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].target, "/kea");
    EXPECT_EQ(requests[0].json["arguments"], config);
}

TEST_F(CaClientTest, UnknownCommandIsUnsupported) {
    auto answer = send(kea::Command{"no-such-cmd", dhcp4, nullptr});
    ASSERT_TRUE(answer) << answer.error().describe();
    EXPECT_EQ(answer->result, kea::KeaResult::Unsupported);
    EXPECT_EQ(answer->text, "'no-such-cmd' command not supported.");
}

TEST_F(CaClientTest, HostNameIsResolved) {
    fake.on("status-get", FakeReply::answer(0, "", {{"pid", 1}}));
    auto answer = send(kea::status_get(dhcp4), 5s, {}, "http://localhost:" + std::to_string(fake.port()) + "/");
    // localhost may resolve to ::1 first; the client must try the next address.
    ASSERT_TRUE(answer) << answer.error().describe();
    EXPECT_EQ(answer->arguments["pid"], 1);
}

TEST_F(CaClientTest, BasicAuthHeader) {
    fake.on("status-get", FakeReply::answer(0, "", json::object()));
    kea::ClientOptions options;
    options.auth_user = "kea";
    options.auth_password = "secret";
    auto answer = send(kea::status_get(dhcp4), 5s, options);
    ASSERT_TRUE(answer) << answer.error().describe();
    auto requests = fake.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].headers.at("authorization"), "Basic a2VhOnNlY3JldA==");  // kea:secret

    options.auth_password = "s3cret:x";
    ASSERT_TRUE(send(kea::status_get(dhcp4), 5s, options));
    EXPECT_EQ(fake.requests().at(1).headers.at("authorization"), "Basic a2VhOnMzY3JldDp4");  // kea:s3cret:x
}

TEST_F(CaClientTest, DeadlineHolds) {
    FakeReply slow = FakeReply::answer(0, "late");
    slow.delay = 5s;
    fake.on("status-get", slow);
    const auto start = std::chrono::steady_clock::now();
    auto answer = send(kea::status_get(dhcp4), 300ms);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::Timeout);
    EXPECT_EQ(answer.error().describe(), fake.url() + ": read: timed out after 0.3 s");
    EXPECT_LT(elapsed, 2s);
    EXPECT_GE(elapsed, 250ms);
}

TEST_F(CaClientTest, DeadlinesOfConcurrentRequestsOnReusedConnectionsHoldEachOnItsOwn) {
    // Every client request's deadline is watched by one periodic sweep: a late answer on a
    // kept-alive connection times out at its own deadline, others are not disturbed.
    int calls = 0;
    fake.on("status-get", [&calls](const json& command) {
        ++calls;
        FakeReply reply = FakeReply::answer(0, "ok", command.value("arguments", json()));
        if (command.contains("arguments") && command["arguments"].value("slow", false)) reply.delay = 5s;
        return reply;
    });
    auto client = kea::make_control_agent_client(io, {});
    const auto endpoint = endpoint_of(fake.url());
    ASSERT_NO_FATAL_FAILURE(status_gets(io, *client, fake.url(), 1));  // a connection to reuse
    std::vector<boost::asio::awaitable<Result<kea::Answer>>> calls_in_flight;
    calls_in_flight.push_back(client->send(endpoint, kea::Command{"status-get", dhcp4, json{{"slow", true}}}, 300ms));
    calls_in_flight.push_back(client->send(endpoint, kea::Command{"status-get", dhcp4, json{{"slow", true}}}, 900ms));
    calls_in_flight.push_back(client->send(endpoint, kea::Command{"status-get", dhcp4, json{{"slow", false}}}, 900ms));
    const auto start = std::chrono::steady_clock::now();
    auto answers = run_awaitables(io, std::move(calls_in_flight), 30s);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(answers.size(), 3u);
    ASSERT_FALSE(answers[0]);
    EXPECT_EQ(answers[0].error().describe(), fake.url() + ": read: timed out after 0.3 s");
    ASSERT_FALSE(answers[1]);
    EXPECT_EQ(answers[1].error().describe(), fake.url() + ": read: timed out after 0.9 s");
    ASSERT_TRUE(answers[2]) << answers[2].error().describe();
    EXPECT_GE(elapsed, 850ms);
    EXPECT_LT(elapsed, 3s);
    // The timed-out connections were closed, not pooled: the next request gets an answer.
    ASSERT_NO_FATAL_FAILURE(status_gets(io, *client, fake.url(), 2));
    EXPECT_EQ(calls, 6);
}

TEST_F(CaClientTest, AnAnswerCutShortTimesOutAtTheDeadline) {
    // Headers and part of the body, then silence: the read of the body ends at the deadline.
    boost::asio::io_context server_io;
    boost::asio::ip::tcp::acceptor acceptor(server_io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    std::thread server([&] {
        boost::asio::ip::tcp::socket socket(server_io);
        acceptor.accept(socket);
        char buffer[4096];
        boost::system::error_code ec;
        socket.read_some(boost::asio::buffer(buffer), ec);
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{\"result\":0,";
        boost::asio::write(socket, boost::asio::buffer(answer), ec);
        socket.read_some(boost::asio::buffer(buffer), ec);  // until the client gives up and closes
    });
    const std::string url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/";
    const auto start = std::chrono::steady_clock::now();
    auto answer = send(kea::status_get(dhcp4), 400ms, {}, url);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    server.join();
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().describe(), url + ": read: timed out after 0.4 s");
    EXPECT_GE(elapsed, 350ms);
    EXPECT_LT(elapsed, 2s);
}

TEST_F(CaClientTest, AWriteThatCannotFinishTimesOutAtTheDeadline) {
    // A peer that accepts but never reads: a large config-test fills the socket buffers.
    boost::asio::io_context server_io;
    boost::asio::ip::tcp::acceptor acceptor(server_io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    std::promise<void> client_done;
    std::thread server([&, done = client_done.get_future()] {
        boost::asio::ip::tcp::socket socket(server_io);
        acceptor.accept(socket);
        done.wait();  // holds the connection open, reading nothing
    });
    const std::string url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/";
    json config = {{"Dhcp4", {{"comment", std::string(32u << 20, 'x')}}}};  // far beyond loopback's buffers
    auto client = kea::make_control_agent_client(io, {});
    // Serialised before the clock starts (slow under the sanitizers); the deadline starts at send.
    auto request = client->prepare(endpoint_of(url), kea::config_test(dhcp4, std::move(config)));
    const auto start = std::chrono::steady_clock::now();
    auto answer = run_awaitable(io, client->send_prepared(request, 500ms), 30s);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    client_done.set_value();
    server.join();
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::Timeout);
    EXPECT_EQ(answer.error().describe(), url + ": write: timed out after 0.5 s");
    EXPECT_GE(elapsed, 450ms);
    EXPECT_LT(elapsed, 3s);
}

TEST_F(CaClientTest, WholeSecondTimeoutMessage) {
    FakeReply slow = FakeReply::answer(0, "late");
    slow.delay = 5s;
    fake.on("status-get", slow);
    auto answer = send(kea::status_get(dhcp4), 1s);
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::Timeout);
    EXPECT_TRUE(contains(answer.error().message, "timed out after 1 s")) << answer.error().message;
}

TEST_F(CaClientTest, ConnectionRefused) {
    const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
    auto answer = send(kea::status_get(dhcp4), 2s, {}, url);
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::Refused);
    EXPECT_EQ(answer.error().describe(), url + ": connect: connection refused");
}

TEST_F(CaClientTest, ResetWithoutAnswer) {
    FakeReply reset;
    reset.reset = true;
    fake.on("status-get", reset);
    auto answer = send(kea::status_get(dhcp4));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::Http);
    EXPECT_TRUE(contains(answer.error().describe(), fake.url() + ": read: ")) << answer.error().describe();
}

TEST_F(CaClientTest, ClosedMidBodyIsTruncated) {
    FakeReply cut = FakeReply::answer(0, "half", {{"x", std::string(1000, 'y')}});
    cut.close_mid_body = true;
    fake.on("config-get", cut);
    auto answer = send(kea::config_get(dhcp4));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::Http);
    EXPECT_TRUE(contains(answer.error().message, "truncated")) << answer.error().message;
}

TEST_F(CaClientTest, GarbageBody) {
    FakeReply garbage;
    garbage.body = "this is {not json";
    fake.on("status-get", garbage);
    auto answer = send(kea::status_get(dhcp4));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::BadAnswer);
    EXPECT_EQ(answer.error().describe(), fake.url() + ": answer is not JSON: this is {not json");
}

TEST_F(CaClientTest, HtmlAnswerNamesTheContentType) {
    FakeReply html;
    html.content_type = "text/html; charset=utf-8";
    html.body = "<!DOCTYPE html><html><body><h1>It works!</h1></body></html>";
    fake.on("status-get", html);
    auto answer = send(kea::status_get(dhcp4));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::BadAnswer);
    EXPECT_TRUE(contains(answer.error().message, "text/html")) << answer.error().message;
    EXPECT_TRUE(contains(answer.error().message, "answer is not JSON: <!DOCTYPE html>")) << answer.error().message;
}

TEST_F(CaClientTest, JsonWithOddContentTypeIsStillRead) {
    FakeReply odd = FakeReply::answer(0, "fine");
    odd.content_type = "text/plain";
    fake.on("status-get", odd);
    auto answer = send(kea::status_get(dhcp4));
    ASSERT_TRUE(answer) << answer.error().describe();
    EXPECT_EQ(answer->text, "fine");
}

TEST_F(CaClientTest, Http500WithTextBody) {
    FakeReply failure;
    failure.status = 500;
    failure.content_type = "text/plain";
    failure.body = "internal error";
    fake.on("status-get", failure);
    auto answer = send(kea::status_get(dhcp4));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::Http);
    EXPECT_EQ(answer.error().describe(), fake.url() + ": HTTP 500 Internal Server Error");
}

TEST_F(CaClientTest, Unauthorized) {
    FakeReply denied = FakeReply::json({{"result", 401}, {"text", "Unauthorized"}}, 401);
    fake.on("status-get", denied);
    auto answer = send(kea::status_get(dhcp4));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::Auth);

    FakeReply empty;
    empty.status = 403;
    empty.content_type.clear();
    fake.on("status-get", empty);
    auto forbidden = send(kea::status_get(dhcp4));
    ASSERT_FALSE(forbidden);
    EXPECT_EQ(forbidden.error().kind, ErrorKind::Auth);
}

TEST_F(CaClientTest, BadRequestMap) {
    fake.on("status-get", FakeReply::json({{"result", 400}, {"text", "Bad Request"}}, 400));
    auto answer = send(kea::status_get(dhcp4));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::Http);
}

TEST_F(CaClientTest, DaemonOffline) {
    fake.on("status-get",
            FakeReply::answer(1, "unable to forward command to the dhcp4 service: No such file or directory. "
                                 "The server is likely to be offline"));
    auto answer = send(kea::status_get(dhcp4));
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::DaemonOffline);
    EXPECT_TRUE(contains(answer.error().describe(), fake.url() + ": CA says dhcp4 is offline: unable to forward"))
        << answer.error().describe();
}

TEST_F(CaClientTest, OversizeWithContentLength) {
    FakeReply huge;
    huge.body = "[{\"result\":0,\"text\":\"" + std::string(5u << 20, 'x') + "\"}]";
    fake.on("config-get", huge);
    kea::ClientOptions options;
    options.max_response_size = 1u << 20;
    auto answer = send(kea::config_get(dhcp4), 10s, options);
    ASSERT_FALSE(answer) << "read " << answer->text.size() << " bytes";
    EXPECT_EQ(answer.error().kind, ErrorKind::TooLarge);
    EXPECT_EQ(answer.error().describe(), fake.url() + ": read: answer larger than 1 MiB");
}

TEST_F(CaClientTest, OversizeChunked) {
    FakeReply huge;
    huge.chunked_huge = 5u << 20;
    fake.on("config-get", huge);
    kea::ClientOptions options;
    options.max_response_size = 1u << 20;
    auto answer = send(kea::config_get(dhcp4), 10s, options);
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::TooLarge);
    EXPECT_TRUE(contains(answer.error().message, "answer larger than 1 MiB")) << answer.error().message;

    options.max_response_size = 1536 * 1024;
    auto odd = send(kea::config_get(dhcp4), 10s, options);
    ASSERT_FALSE(odd);
    EXPECT_TRUE(contains(odd.error().message, "answer larger than 1.5 MiB")) << odd.error().message;
}

TEST_F(CaClientTest, FiftyConcurrentRequestsOnOneThread) {
    fake.on("status-get", [](const json& request) {
        FakeReply reply = FakeReply::answer(0, "", {{"echo", request.value("arguments", json::object())}});
        reply.delay = 100ms;  // all of them overlap
        return reply;
    });
    auto client = kea::make_control_agent_client(io, {});
    const auto endpoint = endpoint_of(fake.url());
    std::vector<boost::asio::awaitable<Result<kea::Answer>>> calls;
    for (int i = 0; i < 50; ++i) {
        calls.push_back(client->send(endpoint, kea::Command{"status-get", dhcp4, json{{"i", i}}}, 10s));
    }
    const auto start = std::chrono::steady_clock::now();
    auto answers = run_awaitables(io, std::move(calls), 30s);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(answers.size(), 50u);
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(answers[i]) << answers[i].error().describe();
        EXPECT_EQ(answers[i]->arguments["echo"]["i"], i);
    }
    EXPECT_EQ(fake.request_count(), 50u);
    EXPECT_LT(elapsed, 4s);  // concurrent, not 50 x 100 ms
}

TEST_F(CaClientTest, TemporariesMayDieBeforeTheCallRuns) {
    fake.on("status-get", FakeReply::answer(0, "ok"));
    auto client = kea::make_control_agent_client(io, {});
    auto awaitable = client->send(endpoint_of(fake.url()), kea::status_get(dhcp4), 5s);
    auto answer = run_awaitable(io, std::move(awaitable), 30s);
    ASSERT_TRUE(answer) << answer.error().describe();
}

// ---------------------------------------------------------------- keep-alive

TEST_F(CaClientTest, SequentialRequestsShareOneConnection) {
    fake.on("status-get", FakeReply::answer(0, "ok"));
    auto client = kea::make_control_agent_client(io, {});
    ASSERT_NO_FATAL_FAILURE(status_gets(io, *client, fake.url(), 5));
    EXPECT_EQ(fake.request_count(), 5u);
    EXPECT_EQ(fake.connection_count(), 1u);
    EXPECT_EQ(fake.requests().back().headers["connection"], "");  // HTTP/1.1 default: keep-alive
}

TEST_F(CaClientTest, ConnectionClosedByTheServerIsNotReused) {
    FakeReply once = FakeReply::answer(0, "ok");
    once.close_after_answer = true;  // as a CA whose idle timeout expired
    fake.on("status-get", once);
    auto client = kea::make_control_agent_client(io, {});
    ASSERT_NO_FATAL_FAILURE(status_gets(io, *client, fake.url(), 3));
    EXPECT_EQ(fake.request_count(), 3u);
    EXPECT_EQ(fake.connection_count(), 3u);
}

TEST_F(CaClientTest, ResetOnAReusedConnectionIsSentOnceMoreOnANewOne) {
    int calls = 0;
    fake.on("status-get", [&calls](const json&) {
        FakeReply reply = FakeReply::answer(0, "ok");
        reply.reset = ++calls == 2;  // the second request finds its kept-alive connection dropped
        return reply;
    });
    auto client = kea::make_control_agent_client(io, {});
    ASSERT_NO_FATAL_FAILURE(status_gets(io, *client, fake.url(), 3));
    EXPECT_EQ(fake.request_count(), 4u);     // one was sent twice
    EXPECT_EQ(fake.connection_count(), 2u);  // and the retry opened the second connection
}

TEST_F(CaClientTest, ResetOnAFreshConnectionIsNotRetried) {
    FakeReply reset;
    reset.reset = true;
    fake.on("status-get", reset);
    auto answer = send(kea::status_get(dhcp4));
    ASSERT_FALSE(answer);
    EXPECT_EQ(fake.request_count(), 1u);
}

// ---------------------------------------------------------------- TLS

class CaClientTlsTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/ca-client-tls-XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        directory = pattern;
        tls = kea_ha::testing::make_self_signed_cert(directory);
        if (!tls) GTEST_SKIP() << "openssl CLI could not make a certificate";
        fake.emplace(tls);
        fake->on("status-get", FakeReply::answer(0, "tls ok"));
    }
    void TearDown() override {
        fake.reset();
        std::error_code ec;
        if (!directory.empty()) std::filesystem::remove_all(directory, ec);
    }
    Result<kea::Answer> send(kea::ClientOptions options, std::optional<std::string> url = std::nullopt) {
        auto client = kea::make_control_agent_client(io, std::move(options));
        return run_awaitable(io, client->send(endpoint_of(url.value_or(fake->url())), kea::status_get(dhcp4), 5s),
                             30s);
    }

    std::string directory;
    std::optional<kea_ha::testing::FakeTls> tls;
    boost::asio::io_context io;
    std::optional<FakeControlAgent> fake;
};

TEST_F(CaClientTlsTest, VerifiedWithTheCaFile) {
    kea::ClientOptions options;
    options.tls_ca_file = tls->cert_file;
    auto answer = send(options);
    ASSERT_TRUE(answer) << answer.error().describe();
    EXPECT_EQ(answer->text, "tls ok");
    // One client, several requests: one TLS connection, kept alive.
    auto client = kea::make_control_agent_client(io, options);
    ASSERT_NO_FATAL_FAILURE(status_gets(io, *client, fake->url(), 3));
    EXPECT_EQ(fake->connection_count(), 2u);
    // By name too (SNI + host name check against DNS:localhost).
    auto by_name = send(options, "https://localhost:" + std::to_string(fake->port()) + "/");
    ASSERT_TRUE(by_name) << by_name.error().describe();
}

TEST_F(CaClientTlsTest, UnknownIssuerFails) {
    auto answer = send({});
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::Tls);
    EXPECT_TRUE(contains(answer.error().describe(), fake->url() + ": handshake: ")) << answer.error().describe();
}

TEST_F(CaClientTlsTest, NoVerification) {
    kea::ClientOptions options;
    options.tls_verify = false;
    auto answer = send(options);
    ASSERT_TRUE(answer) << answer.error().describe();
}

TEST_F(CaClientTlsTest, PlainHttpClientAgainstTlsServerFails) {
    auto answer = send({}, "http://127.0.0.1:" + std::to_string(fake->port()) + "/");
    ASSERT_FALSE(answer);
}

TEST(CaClientOptions, MissingTlsFilesRefuseToStart) {
    boost::asio::io_context io;
    kea::ClientOptions ca;
    ca.tls_ca_file = "/nonexistent/ca.pem";
    EXPECT_THROW(kea::make_control_agent_client(io, ca), std::runtime_error);
    kea::ClientOptions cert;
    cert.tls_cert_file = "/nonexistent/cert.pem";
    cert.tls_key_file = "/nonexistent/key.pem";
    EXPECT_THROW(kea::make_control_agent_client(io, cert), std::runtime_error);
    kea::ClientOptions half;
    half.tls_cert_file = "/nonexistent/cert.pem";
    EXPECT_THROW(kea::make_control_agent_client(io, half), std::runtime_error);
    EXPECT_NO_THROW(kea::make_control_agent_client(io, {}));
}

}  // namespace
