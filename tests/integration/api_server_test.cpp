// The management API (routes + Beast server) against a fake backend, over real sockets.
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <thread>
#include <tuple>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kea_ha/api/routes.hpp"
#include "kea_ha/api/server.hpp"
#include "kea_ha/lab/kea_lab.hpp"
#include "support/controller_process.hpp"
#include "support/http_probe.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using kea_ha::testing::http_request;
using nlohmann::json;
using namespace kea_ha::api;

class FakeBackend final : public ApiBackend {
public:
    std::map<std::string, json> clusters;
    std::vector<RegisterRequest> registered;

    FakeBackend() {
        clusters["dhcp-a"] = {{"name", "dhcp-a"}, {"service", "dhcp4"}, {"state", "Healthy"},
                              {"mode", "hot-standby"}, {"source_of_truth", "server1"}, {"peers", json::array()}};
    }
    json list_clusters() const override {
        json list = json::array();
        for (const auto& [name, detail] : clusters) list.push_back({{"name", name}, {"state", detail["state"]}});
        return list;
    }
    std::optional<json> cluster_detail(const std::string& name) const override {
        auto found = clusters.find(name);
        if (found == clusters.end()) return std::nullopt;
        return found->second;
    }
    std::optional<json> cluster_events(const std::string& name) const override {
        if (!clusters.count(name)) return std::nullopt;
        return json::array({{{"when", "2026-01-01T00:00:00Z"}, {"cluster", name}, {"peer", nullptr},
                             {"kind", "cluster-state"}, {"from", "Unknown"}, {"to", "Healthy"},
                             {"reason", "both peers answer"}}});
    }
    net::awaitable<std::optional<json>> wait_events(const std::string& name, std::uint64_t after,
                                                     unsigned wait_s) override {
        waits.emplace_back(after, wait_s);
        if (!clusters.count(name)) co_return std::nullopt;
        co_return json::array();
    }
    std::vector<std::pair<std::uint64_t, unsigned>> waits;
    net::awaitable<Outcome> register_cluster(RegisterRequest request) override {
        registered.push_back(request);
        if (clusters.count(request.name)) {
            co_return Outcome{409, {{"error", {{"code", "name-taken"}, {"message", "taken"}}}}, {}};
        }
        if (request.url && request.url->find("unreachable") != std::string::npos) {
            co_return Outcome{502, {{"error", {{"code", "unreachable"}, {"message", "connection refused"}}}}, {}};
        }
        json detail = {{"name", request.name}, {"service", request.service}, {"state", "Unknown"}};
        clusters[request.name] = detail;
        co_return Outcome{201, detail, {{"Location", "/v1/clusters/" + request.name}}};
    }
    Outcome remove_cluster(const std::string& name) override {
        if (!clusters.erase(name)) {
            return {404, {{"error", {{"code", "not-found"}, {"message", "no cluster named '" + name + "'"}}}}, {}};
        }
        return {204, nullptr, {}};
    }
    net::awaitable<Outcome> config_operation(const std::string& name, ConfigRequest request) override {
        config_requests.emplace_back(name, request);
        co_return Outcome{200,
                          {{"kind", static_cast<int>(request.kind)},
                           {"body", request.body},
                           // What a Kea config holds (issue 32: a read client must not see it).
                           {"config", {{"Dhcp4", {{"lease-database", {{"user", "kea"}, {"password", "db-pass"}}},
                                                  {"tsig-keys", {{{"name", "k"}, {"secret", "tsig-secret"}}}}}}}}},
                          {{"ETag", "\"abc\""}}};
    }
    std::string metrics() const override { return "kea_ha_clusters 1\n"; }
    std::string version() const override { return "9.9.9"; }

    std::vector<std::pair<std::string, ConfigRequest>> config_requests;
};

/// GET `target` with the test's token on a connected (plain or TLS) stream; the whole answer.
template <typename Stream>
http::response<http::string_body> get_on(Stream& stream, const std::string& target) {
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::authorization, "Bearer s3cret");
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> answer;
    http::read(stream, buffer, answer);
    return answer;
}

class ApiServerTest : public ::testing::Test {
protected:
    void start(ServerSettings settings = {}, std::optional<std::string> token = std::string("s3cret")) {
        settings.listen = "127.0.0.1:0";
        api_settings_.token = token;
        // As the daemon wires it (src/daemon/daemon.cpp): admission and body size before the body.
        settings.admit = [this](const ApiRequest& head) { return admit(head, api_settings_).refusal; };
        settings.body_limit = [limit = settings.max_body_size](const ApiRequest& head) {
            return body_limit_for(head, limit);
        };
        auto server = start_api_server(io_, settings, [this](ApiRequest request) -> net::awaitable<ApiResponse> {
            co_return co_await handle(request, backend_, api_settings_);
        });
        ASSERT_TRUE(server.ok()) << server.error().describe();
        server_ = std::move(*server);
        port_ = server_->port();
        thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        if (server_) server_->stop();
        if (thread_.joinable()) thread_.join();  // stop() must let io.run() return
        server_.reset();
    }
    kea_ha::core::Result<kea_ha::testing::HttpReply> call(const std::string& method, const std::string& target,
                                                           const std::string& body = {},
                                                           std::map<std::string, std::string> headers = {},
                                                           bool with_token = true) {
        if (with_token) headers.emplace("Authorization", "Bearer s3cret");
        return http_request("127.0.0.1", port_, method, target, body, headers, std::chrono::seconds(10));
    }
    static std::string code_of(const kea_ha::testing::HttpReply& reply) {
        return json::parse(reply.body).at("error").at("code").get<std::string>();
    }

    net::io_context io_;
    FakeBackend backend_;
    ApiSettings api_settings_;
    std::unique_ptr<ApiServer> server_;
    std::thread thread_;
    unsigned short port_ = 0;
};

TEST_F(ApiServerTest, HealthNeedsNoToken) {
    start();
    auto reply = call("GET", "/v1/health", {}, {}, false);
    ASSERT_TRUE(reply.ok()) << reply.error().describe();
    EXPECT_EQ(reply->status, 200u);
    EXPECT_EQ(reply->headers["content-type"], "application/json");
    auto body = json::parse(reply->body);
    EXPECT_EQ(body["status"], "ok");
    EXPECT_EQ(body["version"], "9.9.9");
}

TEST_F(ApiServerTest, StatusPageNeedsNoToken) {
    start();
    auto reply = call("GET", "/", {}, {}, false);
    ASSERT_TRUE(reply.ok()) << reply.error().describe();
    EXPECT_EQ(reply->status, 200u);
    EXPECT_EQ(reply->headers["content-type"].rfind("text/html", 0), 0u);
    auto post = call("POST", "/", {}, {}, false);
    ASSERT_TRUE(post.ok());
    EXPECT_EQ(post->status, 401u);
}

TEST_F(ApiServerTest, TokenIsRequiredAndChecked) {
    start();
    auto none = call("GET", "/v1/clusters", {}, {}, false);
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none->status, 401u);
    EXPECT_EQ(none->headers["www-authenticate"].rfind("Bearer", 0), 0u);
    EXPECT_EQ(code_of(*none), "unauthorized");

    auto wrong = call("GET", "/v1/clusters", {}, {{"Authorization", "Bearer s3cres"}}, false);
    ASSERT_TRUE(wrong.ok());
    EXPECT_EQ(wrong->status, 401u);
    auto longer = call("GET", "/v1/clusters", {}, {{"Authorization", "Bearer s3cret2"}}, false);
    ASSERT_TRUE(longer.ok());
    EXPECT_EQ(longer->status, 401u);
    auto basic = call("GET", "/v1/clusters", {}, {{"Authorization", "Basic czNjcmV0"}}, false);
    ASSERT_TRUE(basic.ok());
    EXPECT_EQ(basic->status, 401u);
    // Auth comes before routing: unknown paths do not leak without a token.
    auto unknown = call("GET", "/v1/nothing", {}, {}, false);
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->status, 401u);

    auto right = call("GET", "/v1/clusters");
    ASSERT_TRUE(right.ok());
    EXPECT_EQ(right->status, 200u);
    auto list = json::parse(right->body);
    ASSERT_TRUE(list.is_array());
    EXPECT_EQ(list.at(0)["name"], "dhcp-a");
}

TEST_F(ApiServerTest, NamedTokens_ReadMayOnlyGet_EachRequestCarriesItsClientsName) {
    api_settings_.tokens = {{"noc", kea_ha::core::ApiRole::Read, "read-token-0123456789"},
                            {"alice", kea_ha::core::ApiRole::Admin, "alice-token-0123456789"}};
    start();  // apiTokenFile's "s3cret" too: the client "admin"
    const auto as = [](const std::string& token) {
        return std::map<std::string, std::string>{{"Authorization", "Bearer " + token}};
    };
    auto read = call("GET", "/v1/clusters", {}, as("read-token-0123456789"), false);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->status, 200u);
    auto read_config = call("GET", "/v1/clusters/dhcp-a/config", {}, as("read-token-0123456789"), false);
    ASSERT_TRUE(read_config.ok());
    EXPECT_EQ(read_config->status, 200u);
    auto headers = as("read-token-0123456789");
    headers["Content-Type"] = "application/merge-patch+json";
    auto write = call("PATCH", "/v1/clusters/dhcp-a/config", R"({"Dhcp4": {}})", headers, false);
    ASSERT_TRUE(write.ok());
    EXPECT_EQ(write->status, 403u);
    EXPECT_EQ(code_of(*write), "forbidden");
    EXPECT_NE(write->body.find("client 'noc' has role read: it may only GET"), std::string::npos) << write->body;
    auto action = call("POST", "/v1/clusters/dhcp-a/peers/server1/ha-reset", {}, as("read-token-0123456789"), false);
    ASSERT_TRUE(action.ok());
    EXPECT_EQ(action->status, 403u);
    EXPECT_TRUE(backend_.config_requests.size() == 1u) << "only the read reached the backend";

    headers = as("alice-token-0123456789");
    headers["Content-Type"] = "application/merge-patch+json";
    auto by_alice = call("PATCH", "/v1/clusters/dhcp-a/config", R"({"Dhcp4": {}})", headers, false);
    ASSERT_TRUE(by_alice.ok());
    EXPECT_EQ(by_alice->status, 200u);
    ASSERT_EQ(backend_.config_requests.size(), 2u);
    EXPECT_EQ(backend_.config_requests.back().second.who, "alice");
    auto by_admin = call("POST", "/v1/clusters/dhcp-a/sync");
    ASSERT_TRUE(by_admin.ok());
    EXPECT_EQ(backend_.config_requests.back().second.who, "admin");
    auto unknown = call("GET", "/v1/clusters", {}, as("alice-token-012345678"), false);
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->status, 401u);
}

TEST_F(ApiServerTest, ReadClientSeesNoSecret_AdminDoes) {
    api_settings_.tokens = {{"noc", kea_ha::core::ApiRole::Read, "read-token-0123456789"}};
    start();
    for (const char* target : {"/v1/clusters/dhcp-a/config", "/v1/clusters/dhcp-a/history", "/v1/clusters/dhcp-a/history/3",
                               "/v1/clusters/dhcp-a/diff?documents=true"}) {
        SCOPED_TRACE(target);
        auto read = call("GET", target, {}, {{"Authorization", "Bearer read-token-0123456789"}}, false);
        ASSERT_TRUE(read.ok());
        EXPECT_EQ(read->status, 200u) << read->body;
        EXPECT_EQ(read->body.find("db-pass"), std::string::npos) << read->body;
        EXPECT_EQ(read->body.find("tsig-secret"), std::string::npos) << read->body;
        EXPECT_EQ(json::parse(read->body)["config"]["Dhcp4"]["lease-database"]["password"], "<redacted>");
        EXPECT_EQ(json::parse(read->body)["config"]["Dhcp4"]["lease-database"]["user"], "kea");
        auto admin = call("GET", target);
        ASSERT_TRUE(admin.ok());
        EXPECT_NE(admin->body.find("db-pass"), std::string::npos) << "an admin sees the config as it is";
    }
}

TEST_F(ApiServerTest, NoTokenConfiguredMeansOpen) {
    start({}, std::nullopt);
    auto reply = call("GET", "/v1/clusters", {}, {}, false);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->status, 200u);
}

// Issue 32 point 2: a plain HTML form on any web page can POST to a loopback API (no CORS
// preflight for a form's media types). The API refuses it before the backend sees it, even
// when it is open (no token).
TEST_F(ApiServerTest, BrowserFormPost_IsRefusedBeforeTheBackend) {
    start({}, std::nullopt);
    const std::map<std::string, std::string> form = {{"Content-Type", "application/x-www-form-urlencoded"}};
    for (const char* target : {"/v1/clusters/dhcp-a/sync", "/v1/clusters/dhcp-a/history/2/rollback",
                                     "/v1/clusters/dhcp-a/peers/server1/maintenance-start"}) {
        SCOPED_TRACE(target);
        auto post = call("POST", target, "x=1", form, false);
        ASSERT_TRUE(post.ok()) << post.error().describe();
        EXPECT_EQ(post->status, 415u) << post->body;
        EXPECT_EQ(code_of(*post), "unsupported-media-type");
        auto plain = call("POST", target, "", {{"Content-Type", "text/plain"}}, false);
        ASSERT_TRUE(plain.ok());
        EXPECT_EQ(plain->status, 415u);
    }
    EXPECT_TRUE(backend_.config_requests.empty()) << "no form post may reach the backend";
    // What a CLI sends: application/json and {} (or nothing) for an action without parameters.
    auto sync = call("POST", "/v1/clusters/dhcp-a/sync", "{}", {}, false);
    ASSERT_TRUE(sync.ok());
    EXPECT_EQ(sync->status, 200u) << sync->body;
    auto with_field = call("POST", "/v1/clusters/dhcp-a/sync", R"({"force": true})", {}, false);
    ASSERT_TRUE(with_field.ok());
    EXPECT_EQ(with_field->status, 400u);
    EXPECT_NE(with_field->body.find("unknown field 'force'"), std::string::npos) << with_field->body;
}

TEST_F(ApiServerTest, CrossSiteOriginOrFetchMetadata_IsRefused) {
    start({}, std::nullopt);
    const std::string own = "http://127.0.0.1:" + std::to_string(port_);
    auto cross = call("POST", "/v1/clusters/dhcp-a/sync", "{}", {{"Origin", "https://evil.example"}}, false);
    ASSERT_TRUE(cross.ok());
    EXPECT_EQ(cross->status, 403u) << cross->body;
    EXPECT_EQ(code_of(*cross), "cross-site");
    auto null_origin = call("GET", "/v1/clusters", {}, {{"Origin", "null"}}, false);
    ASSERT_TRUE(null_origin.ok());
    EXPECT_EQ(null_origin->status, 403u);
    auto other_port = call("GET", "/v1/clusters", {}, {{"Origin", "http://127.0.0.1:1"}}, false);
    ASSERT_TRUE(other_port.ok());
    EXPECT_EQ(other_port->status, 403u) << "another port is another origin";
    auto site = call("GET", "/v1/clusters", {}, {{"Sec-Fetch-Site", "cross-site"}}, false);
    ASSERT_TRUE(site.ok());
    EXPECT_EQ(site->status, 403u);
    auto same_site = call("GET", "/v1/clusters", {}, {{"Sec-Fetch-Site", "same-site"}}, false);
    ASSERT_TRUE(same_site.ok());
    EXPECT_EQ(same_site->status, 403u) << "same-site is another origin (another port on 127.0.0.1)";
    EXPECT_TRUE(backend_.config_requests.empty());
    // The status page's own calls: same origin.
    auto same = call("GET", "/v1/clusters", {}, {{"Origin", own}, {"Sec-Fetch-Site", "same-origin"}}, false);
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(same->status, 200u) << same->body;
    auto typed_in = call("GET", "/", {}, {{"Sec-Fetch-Site", "none"}}, false);
    ASSERT_TRUE(typed_in.ok());
    EXPECT_EQ(typed_in->status, 200u);
}

// DNS rebinding: a page at http://evil.example:PORT/ whose name now resolves to 127.0.0.1
// reaches the API with its own name in Host.
TEST_F(ApiServerTest, RebindingHost_IsRefused_AllowedHostsAndLoopbackNamesAreNot) {
    api_settings_.allowed_hosts = {*kea_ha::core::parse_host_pattern("ctl.example.net"),
                                   *kea_ha::core::parse_host_pattern("*.ops.example.net"),
                                   *kea_ha::core::parse_host_pattern("192.0.2.0/24")};
    start({}, std::nullopt);
    const auto port = ":" + std::to_string(port_);
    auto rebound = call("GET", "/v1/clusters", {}, {{"Host", "evil.example" + port}}, false);
    ASSERT_TRUE(rebound.ok());
    EXPECT_EQ(rebound->status, 421u) << rebound->body;
    EXPECT_EQ(code_of(*rebound), "misdirected");
    EXPECT_NE(rebound->body.find("apiAllowedHosts"), std::string::npos) << rebound->body;
    auto page = call("GET", "/", {}, {{"Host", "evil.example" + port}}, false);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->status, 421u) << "not even the page";
    auto suffix_itself = call("GET", "/v1/clusters", {}, {{"Host", "ops.example.net"}}, false);
    ASSERT_TRUE(suffix_itself.ok());
    EXPECT_EQ(suffix_itself->status, 421u) << "*.ops.example.net is the names below it";
    auto other_address = call("GET", "/v1/clusters", {}, {{"Host", "198.51.100.1" + port}}, false);
    ASSERT_TRUE(other_address.ok());
    EXPECT_EQ(other_address->status, 421u);
    auto malformed = call("GET", "/v1/clusters", {}, {{"Host", "a b"}}, false);
    ASSERT_TRUE(malformed.ok());
    EXPECT_EQ(malformed->status, 400u);
    for (const std::string& host : std::vector<std::string>{"localhost" + port, "LOCALHOST", "app.localhost" + port, "127.0.0.9" + port,
                                   "[::1]" + port, "ctl.example.net", "ctl.example.net.", "a.ops.example.net" + port,
                                   "192.0.2.77" + port}) {
        SCOPED_TRACE(host);
        auto ok = call("GET", "/v1/clusters", {}, {{"Host", host}}, false);
        ASSERT_TRUE(ok.ok());
        EXPECT_EQ(ok->status, 200u) << ok->body;
    }
}

TEST_F(ApiServerTest, SecurityHeaders_OnEveryAnswer_PageAllowsOnlyItsOwnScript) {
    start();
    for (const auto& [method, target, token] : std::vector<std::tuple<std::string, std::string, bool>>{
             {"GET", "/v1/health", false}, {"GET", "/v1/clusters", false}, {"GET", "/v1/nothing", true},
             {"GET", "/v1/clusters", true}, {"GET", "/metrics", true}}) {
        SCOPED_TRACE(method + " " + target);
        auto reply = call(method, target, {}, {}, token);
        ASSERT_TRUE(reply.ok());
        EXPECT_EQ(reply->headers["x-content-type-options"], "nosniff");
        EXPECT_EQ(reply->headers["x-frame-options"], "DENY");
        EXPECT_EQ(reply->headers["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
        EXPECT_EQ(reply->headers["referrer-policy"], "no-referrer");
    }
    auto page = call("GET", "/", {}, {}, false);
    ASSERT_TRUE(page.ok());
    const auto policy = page->headers["content-security-policy"];
    EXPECT_NE(policy.find("script-src 'sha256-"), std::string::npos) << policy;
    EXPECT_NE(policy.find("connect-src 'self'"), std::string::npos) << policy;
    EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos) << policy;
    EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << policy;
}

TEST_F(ApiServerTest, ClusterDetailEventsAndNotFound) {
    start();
    auto detail = call("GET", "/v1/clusters/dhcp-a?verbose=1");
    ASSERT_TRUE(detail.ok());
    EXPECT_EQ(detail->status, 200u);
    EXPECT_EQ(json::parse(detail->body)["mode"], "hot-standby");

    auto encoded = call("GET", "/v1/clusters/dhcp%2Da/");
    ASSERT_TRUE(encoded.ok());
    EXPECT_EQ(encoded->status, 200u);

    auto events = call("GET", "/v1/clusters/dhcp-a/events");
    ASSERT_TRUE(events.ok());
    EXPECT_EQ(events->status, 200u);
    EXPECT_EQ(json::parse(events->body).at(0)["to"], "Healthy");

    auto missing = call("GET", "/v1/clusters/nope");
    ASSERT_TRUE(missing.ok());
    EXPECT_EQ(missing->status, 404u);
    EXPECT_EQ(code_of(*missing), "not-found");
    auto missing_events = call("GET", "/v1/clusters/nope/events");
    ASSERT_TRUE(missing_events.ok());
    EXPECT_EQ(missing_events->status, 404u);
    auto no_path = call("GET", "/v2/whatever");
    ASSERT_TRUE(no_path.ok());
    EXPECT_EQ(no_path->status, 404u);
    auto bad_escape = call("GET", "/v1/clusters/%zz");
    ASSERT_TRUE(bad_escape.ok());
    EXPECT_EQ(bad_escape->status, 400u);
}

TEST_F(ApiServerTest, WrongMethodIs405WithAllow) {
    start();
    auto reply = call("PUT", "/v1/clusters");
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->status, 405u);
    EXPECT_EQ(reply->headers["allow"], "GET, POST");
    auto health = call("POST", "/v1/health");
    ASSERT_TRUE(health.ok());
    EXPECT_EQ(health->status, 405u);
    EXPECT_EQ(health->headers["allow"], "GET");
    auto detail = call("POST", "/v1/clusters/dhcp-a");
    ASSERT_TRUE(detail.ok());
    EXPECT_EQ(detail->status, 405u);
    EXPECT_EQ(detail->headers["allow"], "GET, DELETE");
}

TEST_F(ApiServerTest, RegisterValidatesTheBody) {
    start();
    auto bad_json = call("POST", "/v1/clusters", "{\"name\": ");
    ASSERT_TRUE(bad_json.ok());
    EXPECT_EQ(bad_json->status, 400u);
    EXPECT_EQ(code_of(*bad_json), "bad-json");
    EXPECT_NE(json::parse(bad_json->body)["error"]["message"].get<std::string>().find("parse error"),
              std::string::npos);

    auto not_object = call("POST", "/v1/clusters", "[1,2]");
    ASSERT_TRUE(not_object.ok());
    EXPECT_EQ(not_object->status, 400u);

    auto no_name = call("POST", "/v1/clusters", R"({"url": "http://127.0.0.1:8000/"})");
    ASSERT_TRUE(no_name.ok());
    EXPECT_EQ(no_name->status, 400u);
    EXPECT_EQ(code_of(*no_name), "bad-request");
    EXPECT_NE(no_name->body.find("'name'"), std::string::npos);

    auto name_type = call("POST", "/v1/clusters", R"({"name": 7})");
    ASSERT_TRUE(name_type.ok());
    EXPECT_EQ(name_type->status, 400u);
    EXPECT_NE(name_type->body.find("'name'"), std::string::npos);

    auto bad_name = call("POST", "/v1/clusters", R"({"name": "a b/c"})");
    ASSERT_TRUE(bad_name.ok());
    EXPECT_EQ(bad_name->status, 400u);

    auto both = call("POST", "/v1/clusters", R"({"name": "x", "url": "http://a/", "address": "10.0.0.1"})");
    ASSERT_TRUE(both.ok());
    EXPECT_EQ(both->status, 400u);

    auto service = call("POST", "/v1/clusters", R"({"name": "x", "service": "dhcp5"})");
    ASSERT_TRUE(service.ok());
    EXPECT_EQ(service->status, 400u);
    EXPECT_NE(service->body.find("'service'"), std::string::npos);

    auto control = call("POST", "/v1/clusters", R"({"name": "x", "control_urls": {"server1": 5}})");
    ASSERT_TRUE(control.ok());
    EXPECT_EQ(control->status, 400u);
    EXPECT_NE(control->body.find("control_urls.server1"), std::string::npos);

    auto unknown = call("POST", "/v1/clusters", R"({"name": "x", "adress": "10.0.0.1"})");
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->status, 400u);

    // SPEC §2 auth: a user and a password file, both; the password itself is never taken.
    for (const char* body : {R"({"name": "x", "auth": {"user": "u"}})",
                             R"({"name": "x", "auth": {"password_file": "/etc/pw"}})",
                             R"({"name": "x", "auth": {"user": "u", "password": "p", "password_file": "/f"}})",
                             R"({"name": "x", "auth": {"user": "u:v", "password_file": "/f"}})",
                             R"({"name": "x", "auth": {"user": "", "password_file": "/f"}})",
                             R"({"name": "x", "auth": "u:p"})"}) {
        SCOPED_TRACE(body);
        auto auth = call("POST", "/v1/clusters", body);
        ASSERT_TRUE(auth.ok());
        EXPECT_EQ(auth->status, 400u);
        EXPECT_EQ(code_of(*auth), "bad-request");
    }

    auto type = call("POST", "/v1/clusters", R"({"name": "x"})", {{"Content-Type", "text/plain"}});
    ASSERT_TRUE(type.ok());
    EXPECT_EQ(type->status, 415u);

    auto empty = call("POST", "/v1/clusters", "");
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(empty->status, 400u);
    EXPECT_TRUE(backend_.registered.empty());  // nothing reached the backend
}

TEST_F(ApiServerTest, RegisterAndRemove) {
    start();
    auto created = call("POST", "/v1/clusters",
                        R"({"name": "dhcp-b", "address": "10.0.0.1", "service": "dhcp6",
                            "control_urls": {"server2": "http://10.0.0.2:8000/"},
                            "auth": {"user": "ctl", "password_file": "/etc/kea/ctl.pw"}})",
                        {{"Content-Type", "application/json; charset=utf-8"}});
    ASSERT_TRUE(created.ok());
    EXPECT_EQ(created->status, 201u) << created->body;
    EXPECT_EQ(created->headers["location"], "/v1/clusters/dhcp-b");
    ASSERT_EQ(backend_.registered.size(), 1u);
    EXPECT_EQ(backend_.registered[0].address, "10.0.0.1");
    EXPECT_EQ(backend_.registered[0].auth_user, "ctl");
    EXPECT_EQ(backend_.registered[0].auth_password_file, "/etc/kea/ctl.pw");
    EXPECT_FALSE(backend_.registered[0].url);
    EXPECT_EQ(backend_.registered[0].service, "dhcp6");
    EXPECT_EQ(backend_.registered[0].control_urls.at("server2"), "http://10.0.0.2:8000/");

    auto taken = call("POST", "/v1/clusters", R"({"name": "dhcp-b"})");
    ASSERT_TRUE(taken.ok());
    EXPECT_EQ(taken->status, 409u);
    auto unreachable = call("POST", "/v1/clusters", R"({"name": "dhcp-c", "url": "http://unreachable/"})");
    ASSERT_TRUE(unreachable.ok());
    EXPECT_EQ(unreachable->status, 502u);

    auto removed = call("DELETE", "/v1/clusters/dhcp-b");
    ASSERT_TRUE(removed.ok());
    EXPECT_EQ(removed->status, 204u);
    EXPECT_TRUE(removed->body.empty());
    auto again = call("DELETE", "/v1/clusters/dhcp-b");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->status, 404u);
}

TEST_F(ApiServerTest, ConfigEndpointsRouteEachOperationToTheBackend) {
    start();
    using Kind = ConfigRequest::Kind;
    auto get = call("GET", "/v1/clusters/dhcp-a/config");
    ASSERT_TRUE(get.ok());
    EXPECT_EQ(get->status, 200u);
    EXPECT_EQ(get->headers["etag"], "\"abc\"");
    auto put = call("PUT", "/v1/clusters/dhcp-a/config", R"({"Dhcp4": {}})", {{"If-Match", " \"abc\" "}});
    ASSERT_TRUE(put.ok());
    EXPECT_EQ(put->status, 200u);
    auto merge = call("PATCH", "/v1/clusters/dhcp-a/config", R"({"Dhcp4": {"valid-lifetime": 600}})",
                      {{"Content-Type", "application/merge-patch+json; charset=utf-8"}});
    ASSERT_TRUE(merge.ok());
    EXPECT_EQ(merge->status, 200u);
    auto patch = call("PATCH", "/v1/clusters/dhcp-a/config",
                      R"([{"op": "replace", "path": "/Dhcp4/valid-lifetime", "value": 600}])",
                      {{"Content-Type", "application/json-patch+json"}});
    ASSERT_TRUE(patch.ok());
    EXPECT_EQ(patch->status, 200u);
    auto sync = call("POST", "/v1/clusters/dhcp-a/sync");
    ASSERT_TRUE(sync.ok());
    EXPECT_EQ(sync->status, 200u);

    const auto& seen = backend_.config_requests;
    ASSERT_EQ(seen.size(), 5u);
    EXPECT_EQ(seen[0].second.kind, Kind::Read);
    EXPECT_FALSE(seen[0].second.if_match);
    EXPECT_EQ(seen[1].second.kind, Kind::Replace);
    EXPECT_EQ(seen[1].second.body, json::parse(R"({"Dhcp4": {}})"));
    EXPECT_EQ(seen[1].second.if_match.value_or(""), "\"abc\"");
    EXPECT_EQ(seen[2].second.kind, Kind::MergePatch);
    EXPECT_EQ(seen[2].second.body["Dhcp4"]["valid-lifetime"], 600);
    EXPECT_EQ(seen[3].second.kind, Kind::JsonPatch);
    EXPECT_TRUE(seen[3].second.body.is_array());
    EXPECT_EQ(seen[4].second.kind, Kind::Sync);
    for (const auto& [name, request] : seen) EXPECT_EQ(name, "dhcp-a");
}

TEST_F(ApiServerTest, DiffAndDryRunReachTheBackendWithTheirParameters) {
    start();
    using Kind = ConfigRequest::Kind;
    auto all = call("GET", "/v1/clusters/dhcp-a/diff");
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->status, 200u);
    auto one = call("GET", "/v1/clusters/dhcp-a/diff?peer=server%202&documents=true");
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one->status, 200u);
    auto dry = call("PATCH", "/v1/clusters/dhcp-a/config?dry_run=true", R"({"Dhcp4": {"valid-lifetime": 600}})",
                    {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_TRUE(dry.ok());
    EXPECT_EQ(dry->status, 200u);
    auto not_dry = call("PUT", "/v1/clusters/dhcp-a/config?dry_run=false", R"({"Dhcp4": {}})");
    ASSERT_TRUE(not_dry.ok());
    const auto& seen = backend_.config_requests;
    ASSERT_EQ(seen.size(), 4u);
    EXPECT_EQ(seen[0].second.kind, Kind::Diff);
    EXPECT_FALSE(seen[0].second.peer);
    EXPECT_FALSE(seen[0].second.documents);
    EXPECT_EQ(seen[1].second.kind, Kind::Diff);
    EXPECT_EQ(seen[1].second.peer.value_or(""), "server 2");
    EXPECT_TRUE(seen[1].second.documents);
    EXPECT_EQ(seen[2].second.kind, Kind::MergePatch);
    EXPECT_TRUE(seen[2].second.dry_run);
    EXPECT_EQ(seen[3].second.kind, Kind::Replace);
    EXPECT_FALSE(seen[3].second.dry_run);
}

TEST_F(ApiServerTest, EventsLongPollTakesAfterAndWait) {
    start();
    auto polled = call("GET", "/v1/clusters/dhcp-a/events?after=41&wait=25");
    ASSERT_TRUE(polled.ok());
    EXPECT_EQ(polled->status, 200u);
    EXPECT_EQ(polled->body, "[]");
    ASSERT_EQ(backend_.waits.size(), 1u);
    EXPECT_EQ(backend_.waits[0], (std::pair<std::uint64_t, unsigned>{41, 25}));
    auto plain = call("GET", "/v1/clusters/dhcp-a/events");
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(json::parse(plain->body).size(), 1u) << "no query: the whole list, no wait";
    EXPECT_EQ(backend_.waits.size(), 1u);
    for (const char* bad : {"?wait=31", "?after=x", "?after=-1", "?since=3"}) {
        auto refused = call("GET", std::string("/v1/clusters/dhcp-a/events") + bad);
        ASSERT_TRUE(refused.ok());
        EXPECT_EQ(refused->status, 400u) << bad << ": " << refused->body;
    }
    auto unknown = call("GET", "/v1/clusters/nope/events?after=1");
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->status, 404u);
}

TEST_F(ApiServerTest, AMistypedQueryParameterIsRefusedNeverIgnored) {
    start();
    // "dryrun" ignored would make a real change of what was meant as a preview.
    auto typo = call("PATCH", "/v1/clusters/dhcp-a/config?dryrun=true", R"({"Dhcp4": {"valid-lifetime": 600}})",
                     {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_TRUE(typo.ok());
    EXPECT_EQ(typo->status, 400u);
    EXPECT_NE(typo->body.find("unknown query parameter 'dryrun'"), std::string::npos) << typo->body;
    auto bad_flag = call("PUT", "/v1/clusters/dhcp-a/config?dry_run=maybe", R"({"Dhcp4": {}})");
    ASSERT_TRUE(bad_flag.ok());
    EXPECT_EQ(bad_flag->status, 400u);
    auto diff_typo = call("GET", "/v1/clusters/dhcp-a/diff?per=server2");
    ASSERT_TRUE(diff_typo.ok());
    EXPECT_EQ(diff_typo->status, 400u);
    auto no_peer = call("GET", "/v1/clusters/dhcp-a/diff?peer=");
    ASSERT_TRUE(no_peer.ok());
    EXPECT_EQ(no_peer->status, 400u);
    auto diff_post = call("POST", "/v1/clusters/dhcp-a/diff");
    ASSERT_TRUE(diff_post.ok());
    EXPECT_EQ(diff_post->status, 405u);
    auto sync_query = call("POST", "/v1/clusters/dhcp-a/sync?dry_run=true");
    ASSERT_TRUE(sync_query.ok());
    EXPECT_EQ(sync_query->status, 400u) << "a sync has no dry run";
    auto unknown = call("GET", "/v1/clusters/nope/diff");
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->status, 404u);
    EXPECT_TRUE(backend_.config_requests.empty());
}

TEST_F(ApiServerTest, ConfigEndpointsRefuseBadRequestsBeforeTheBackend) {
    start();
    auto unknown = call("GET", "/v1/clusters/nope/config");
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->status, 404u);
    auto wrong_type = call("PATCH", "/v1/clusters/dhcp-a/config", "{}", {{"Content-Type", "text/plain"}});
    ASSERT_TRUE(wrong_type.ok());
    EXPECT_EQ(wrong_type->status, 415u);
    EXPECT_NE(wrong_type->body.find("text/plain"), std::string::npos) << wrong_type->body;
    auto bad_json = call("PATCH", "/v1/clusters/dhcp-a/config", "{oops",
                         {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_TRUE(bad_json.ok());
    EXPECT_EQ(bad_json->status, 400u);
    EXPECT_EQ(code_of(*bad_json), "bad-json");
    auto empty = call("PATCH", "/v1/clusters/dhcp-a/config", "", {{"Content-Type", "application/json-patch+json"}});
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(empty->status, 400u);
    auto not_object = call("PUT", "/v1/clusters/dhcp-a/config", "[1, 2]");
    ASSERT_TRUE(not_object.ok());
    EXPECT_EQ(not_object->status, 400u);
    auto wrong_method = call("DELETE", "/v1/clusters/dhcp-a/config");
    ASSERT_TRUE(wrong_method.ok());
    EXPECT_EQ(wrong_method->status, 405u);
    auto sync_get = call("GET", "/v1/clusters/dhcp-a/sync");
    ASSERT_TRUE(sync_get.ok());
    EXPECT_EQ(sync_get->status, 405u);
    EXPECT_TRUE(backend_.config_requests.empty());
}

TEST_F(ApiServerTest, Metrics) {
    start();
    auto reply = call("GET", "/metrics");
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->status, 200u);
    EXPECT_EQ(reply->headers["content-type"].rfind("text/plain; version=0.0.4", 0), 0u);
    EXPECT_EQ(reply->body, "kea_ha_clusters 1\n");
}

TEST_F(ApiServerTest, OversizeBodyIs413) {
    ServerSettings settings;
    settings.max_body_size = 1024;
    start(settings);
    const std::string big = "{\"name\": \"" + std::string(8000, 'x') + "\"}";
    auto reply = call("POST", "/v1/clusters", big);
    ASSERT_TRUE(reply.ok()) << reply.error().describe();
    EXPECT_EQ(reply->status, 413u);
    EXPECT_EQ(code_of(*reply), "too-large");
    auto after = call("GET", "/v1/health");
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->status, 200u);
}

TEST_F(ApiServerTest, ConcurrentClientsAreAllAnswered) {
    start();
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < 20; ++i) {
        clients.emplace_back([&] {
            auto reply = call("GET", "/v1/clusters");
            if (reply.ok() && reply->status == 200u) ++ok;
        });
    }
    for (auto& client : clients) client.join();
    EXPECT_EQ(ok.load(), 20);
}

std::string raw_exchange(unsigned short port, const std::string& bytes) {
    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), port});
    timeval tv{5, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    net::write(socket, net::buffer(bytes));
    std::string answer;
    char buffer[4096];
    boost::system::error_code ec;
    for (;;) {
        const auto n = socket.read_some(net::buffer(buffer), ec);
        if (ec) break;
        answer.append(buffer, n);
    }
    return answer;
}

TEST_F(ApiServerTest, MalformedHttpGets400AndServerKeepsServing) {
    start();
    const auto answer = raw_exchange(port_, "\x01\x02 garbage\r\n\r\n");
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("bad-http"), std::string::npos);
    auto after = call("GET", "/v1/health");
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->status, 200u);
}

TEST_F(ApiServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    start();
    const std::string get = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    const auto answer = raw_exchange(port_, get + get + "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    std::size_t count = 0;
    for (auto pos = answer.find("HTTP/1.1 200"); pos != std::string::npos; pos = answer.find("HTTP/1.1 200", pos + 1)) {
        ++count;
    }
    EXPECT_EQ(count, 3u) << answer;
}

TEST_F(ApiServerTest, MaxConnectionsAnswers503) {
    ServerSettings settings;
    settings.max_connections = 1;
    start(settings);
    net::io_context io;
    net::ip::tcp::socket holder(io);
    holder.connect({net::ip::make_address("127.0.0.1"), port_});
    // Once the server has accepted the holder, every other client is answered 503.
    const auto health_is = [this](unsigned status) {
        auto reply = call("GET", "/v1/health");
        return reply.ok() && reply->status == status;
    };
    EXPECT_TRUE(kea_ha::lab::wait_until([&] { return health_is(503); }, std::chrono::seconds(5)));
    // And when the holder leaves, its place is free again.
    holder.close();
    EXPECT_TRUE(kea_ha::lab::wait_until([&] { return health_is(200); }, std::chrono::seconds(5)));
}

// Issue 32 point 4: a client without the token cannot make the server read 60 MiB. The
// headers alone are answered 401 and the connection closed; the body is never sent here.
TEST_F(ApiServerTest, UnauthenticatedHugeBody_Is401BeforeItIsRead) {
    start();
    const auto answer = raw_exchange(port_,
                                     "PUT /v1/clusters/dhcp-a/config HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                     "Content-Type: application/json\r\nContent-Length: " +
                                         std::to_string(60u << 20) + "\r\n\r\n{\"Dhcp4\": ");
    EXPECT_EQ(answer.rfind("HTTP/1.1 401", 0), 0u) << answer;
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
    EXPECT_TRUE(backend_.config_requests.empty());
    // With Expect: 100-continue a client is told no before it sends a byte of the body.
    const auto expect = raw_exchange(port_,
                                     "PUT /v1/clusters/dhcp-a/config HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                     "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
                                         std::to_string(60u << 20) + "\r\n\r\n");
    EXPECT_EQ(expect.rfind("HTTP/1.1 401", 0), 0u) << expect;
}

TEST_F(ApiServerTest, LargeBodiesOnlyOnConfigWrites) {
    start();
    const std::string big(kSmallBodyLimit + 1, ' ');
    auto registration = call("POST", "/v1/clusters", "{\"name\": \"x\"}" + big);
    ASSERT_TRUE(registration.ok()) << registration.error().describe();
    EXPECT_EQ(registration->status, 413u) << registration->body;
    EXPECT_NE(registration->body.find("only config writes may be larger than 65536"), std::string::npos)
        << registration->body;
    EXPECT_TRUE(backend_.registered.empty());
    auto put = call("PUT", "/v1/clusters/dhcp-a/config", "{\"Dhcp4\": {}}" + big);
    ASSERT_TRUE(put.ok());
    EXPECT_EQ(put->status, 200u) << put->body;
}

TEST_F(ApiServerTest, PerAddressConnectionCap) {
    ServerSettings settings;
    settings.max_connections_per_address = 2;
    start(settings);
    net::io_context io;
    net::ip::tcp::socket first(io);
    net::ip::tcp::socket second(io);
    first.connect({net::ip::make_address("127.0.0.1"), port_});
    second.connect({net::ip::make_address("127.0.0.1"), port_});
    const auto health_is = [this](unsigned status, std::string* body = nullptr) {
        auto reply = call("GET", "/v1/health");
        if (reply.ok() && body) *body = reply->body;
        return reply.ok() && reply->status == status;
    };
    std::string body;
    EXPECT_TRUE(kea_ha::lab::wait_until([&] { return health_is(503, &body); }, std::chrono::seconds(5)));
    EXPECT_NE(body.find("too many connections from your address (2)"), std::string::npos) << body;
    first.close();
    EXPECT_TRUE(kea_ha::lab::wait_until([&] { return health_is(200); }, std::chrono::seconds(5)));
}

TEST_F(ApiServerTest, SilentClientIsClosedAfterTheHeaderTimeout) {
    ServerSettings settings;
    settings.header_timeout = std::chrono::milliseconds(300);
    start(settings);
    net::io_context io;
    net::ip::tcp::socket idle(io);
    idle.connect({net::ip::make_address("127.0.0.1"), port_});
    net::write(idle, net::buffer(std::string("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")));  // never ends
    timeval tv{5, 0};
    ::setsockopt(idle.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const auto started = std::chrono::steady_clock::now();
    char buffer[256];
    boost::system::error_code ec;
    while (!ec) idle.read_some(net::buffer(buffer), ec);
    EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4)) << "closed by the server, not our timeout";
}

TEST_F(ApiServerTest, StopClosesIdleConnections) {
    start();
    net::io_context io;
    net::ip::tcp::socket idle(io);
    idle.connect({net::ip::make_address("127.0.0.1"), port_});
    // One answered request makes it a kept-alive connection the server holds, idle.
    const auto answer = get_on(idle, "/v1/health");
    ASSERT_EQ(answer.result_int(), 200u);
    ASSERT_TRUE(answer.keep_alive());
    server_->stop();
    thread_.join();  // io.run() returns although a client still holds a connection
    SUCCEED();
}

TEST_F(ApiServerTest, BindErrorsNameTheCause) {
    start();
    net::io_context other;
    ServerSettings settings;
    settings.listen = "127.0.0.1:" + std::to_string(port_);
    auto second = start_api_server(other, settings, [](ApiRequest) -> net::awaitable<ApiResponse> {
        co_return ApiResponse{};
    });
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().describe(), "apiListen " + settings.listen + ": bind: address already in use");

    settings.listen = "nonsense";
    auto bad = start_api_server(other, settings, [](ApiRequest) -> net::awaitable<ApiResponse> {
        co_return ApiResponse{};
    });
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().describe().find("apiListen nonsense"), std::string::npos);

    settings.listen = "[::1]:0";
    auto v6 = start_api_server(other, settings, [](ApiRequest) -> net::awaitable<ApiResponse> {
        co_return ApiResponse{};
    });
    if (v6.ok()) {
        EXPECT_NE((*v6)->port(), 0);
    }
}

TEST_F(ApiServerTest, HandlerExceptionsBecome500) {
    net::io_context io;
    ServerSettings settings;
    settings.listen = "127.0.0.1:0";
    auto server = start_api_server(io, settings, [](ApiRequest) -> net::awaitable<ApiResponse> {
        throw std::runtime_error("boom");
        co_return ApiResponse{};
    });
    ASSERT_TRUE(server.ok());
    std::thread runner([&] { io.run(); });
    auto reply = http_request("127.0.0.1", (*server)->port(), "GET", "/v1/health");
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->status, 500u);
    EXPECT_NE(reply->body.find("boom"), std::string::npos);
    (*server)->stop();
    runner.join();
}

TEST_F(ApiServerTest, Tls) {
    const auto dir = kea_ha::testing::make_temp_directory("api-tls");
    const std::string cert = dir + "/cert.pem";
    const std::string key = dir + "/key.pem";
    const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " +
                                key + " -out " + cert + " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) GTEST_SKIP() << "openssl CLI not available";
    ServerSettings settings;
    settings.tls_cert_file = cert;
    settings.tls_key_file = key;
    start(settings);

    net::io_context io;
    net::ssl::context ctx(net::ssl::context::tls_client);
    ctx.load_verify_file(cert);
    ctx.set_verify_mode(net::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    beast::get_lowest_layer(stream).connect({net::ip::make_address("127.0.0.1"), port_});
    stream.handshake(net::ssl::stream_base::client);
    const auto res = get_on(stream, "/v1/clusters");
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(json::parse(res.body()).at(0)["name"], "dhcp-a");
    boost::system::error_code ec;
    stream.shutdown(ec);

    // Plain HTTP against the TLS port is not answered in clear text.
    auto plain = http_request("127.0.0.1", port_, "GET", "/v1/health", {}, {}, std::chrono::seconds(5));
    EXPECT_TRUE(!plain.ok() || plain->status == 0u || plain->status >= 400u);

    ServerSettings broken;
    broken.listen = "127.0.0.1:0";
    broken.tls_cert_file = dir + "/missing.pem";
    broken.tls_key_file = key;
    net::io_context other;
    auto failed = start_api_server(other, broken, [](ApiRequest) -> net::awaitable<ApiResponse> {
        co_return ApiResponse{};
    });
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().describe().find("missing.pem"), std::string::npos);
    std::filesystem::remove_all(dir);
}

// SIGTERM path: drain() refuses new work but answers the request in flight, then the
// io_context runs out of work by itself.
TEST(ApiServerDrain, RequestInFlightIsAnsweredAndNewConnectionsAreRefused) {
    net::io_context io;
    std::atomic<bool> entered{false};
    ServerSettings settings;
    settings.listen = "127.0.0.1:0";
    auto server = start_api_server(io, settings, [&](ApiRequest) -> net::awaitable<ApiResponse> {
        entered = true;
        net::steady_timer slow(io, std::chrono::milliseconds(400));
        co_await slow.async_wait(net::use_awaitable);
        co_return json_response(200, {{"done", true}});
    });
    ASSERT_TRUE(server.ok()) << server.error().describe();
    const auto port = (*server)->port();
    std::thread runner([&] { io.run(); });

    kea_ha::core::Result<kea_ha::testing::HttpReply> reply = kea_ha::core::make_error(
        kea_ha::core::ErrorKind::Invalid, "no answer yet");
    std::thread client([&] { reply = kea_ha::testing::http_request("127.0.0.1", port, "POST", "/slow", "{}"); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!entered && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(entered);

    std::promise<std::size_t> in_flight;
    net::post(io, [&] {
        (*server)->drain();
        in_flight.set_value((*server)->requests_in_flight());
    });
    EXPECT_EQ(in_flight.get_future().get(), 1u);
    auto refused = kea_ha::testing::http_request("127.0.0.1", port, "GET", "/v1/health", {}, {},
                                                 std::chrono::seconds(2));
    EXPECT_FALSE(refused.ok()) << "a drained server must not take new connections";

    client.join();
    ASSERT_TRUE(reply.ok()) << reply.error().describe();
    EXPECT_EQ(reply->status, 200u);
    EXPECT_EQ(json::parse(reply->body)["done"], true);
    EXPECT_EQ(reply->headers["connection"], "close");
    runner.join();  // nothing left to do: run() returns without stop()
    EXPECT_EQ((*server)->requests_in_flight(), 0u);
}

}  // namespace
