#pragma once
// The management API (SPEC §6) as plain request -> response handling. The Beast session
// lives in src/api/; the daemon implements ApiBackend.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "kea_ha/core/api_tokens.hpp"
#include "kea_ha/core/host_pattern.hpp"

namespace kea_ha::api {

struct ApiRequest {
    std::string method;                          ///< "GET", "POST", …
    std::string target;                          ///< path and query, e.g. "/v1/clusters/dhcp-a"
    std::map<std::string, std::string> headers;  ///< lower-case names
    std::string body;
    std::string client;                          ///< the peer's address, "127.0.0.1:40522" (logs)
};

struct ApiResponse {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers (ETag, …)
};

/// `{"error": {"code": code, "message": message}}` with `status`.
ApiResponse error_response(unsigned status, std::string code, std::string message);
/// A JSON body with `status`.
ApiResponse json_response(unsigned status, const nlohmann::json& body);

/// A registration request (POST /v1/clusters), validated by the routes.
struct RegisterRequest {
    std::string name;
    std::optional<std::string> url;       ///< the primary's CA URL
    std::optional<std::string> address;   ///< or an address: http://ADDRESS:keaControlAgentPort/
    std::string service = "dhcp4";
    std::map<std::string, std::string> control_urls;  ///< per-peer overrides (SPEC §2)
    /// SPEC §2 `relationship`: the registered primary's this-server-name in the one to manage.
    std::optional<std::string> relationship;
    /// SPEC §2 `auth`: the cluster's own credentials (a user and a file holding the password).
    std::optional<std::string> auth_user;
    std::optional<std::string> auth_password_file;
};

/// What a backend operation produced: an HTTP status and a JSON body (detail or error).
struct Outcome {
    unsigned status = 200;
    nlohmann::json body;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// A config operation (SPEC §6): GET/PUT/PATCH /v1/clusters/NAME/config, POST …/sync.
struct ConfigRequest {
    /// Diff: GET /v1/clusters/NAME/diff (issue 14 item 2).
    /// History: GET …/history[/G]; Rollback: POST …/history/G/rollback (issue 14 item 4).
    enum class Kind { Read, Replace, JsonPatch, MergePatch, Sync, Diff, History, Rollback } kind = Kind::Read;
    std::optional<std::uint64_t> generation;  ///< History (one entry), Rollback
    nlohmann::json body;                  ///< the document (Replace) or the patch
    std::optional<std::string> if_match;  ///< If-Match, verbatim
    std::string who;                      ///< the client's name (HaActionRequest::who)
    std::string client{};                 ///< the client's address (ApiRequest::client), for the audit lines
    bool dry_run = false;                 ///< ?dry_run=true on PUT / PATCH: test and diff only
    std::optional<std::string> peer;      ///< Diff: ?peer=P, one peer only
    bool documents = false;               ///< Diff: ?documents=true, both documents as well
};

/// POST /v1/clusters/NAME/peers/PEER/ACTION (issue 14 item 1).
struct HaActionRequest {
    std::string peer;
    std::string action;                 ///< "maintenance-start", … (core/ha_action.hpp)
    std::optional<long> max_period_s;   ///< body {"max_period": N}: dhcp-disable, ha-sync
    std::string who;                    ///< who asked: the token's name ("admin": apiTokenFile, "anonymous": no token)
    std::string client{};               ///< the client's address (ApiRequest::client), for the audit lines
};

/// What the routes need from the daemon. All calls run on the io_context thread.
class ApiBackend {
public:
    virtual ~ApiBackend() = default;
    /// GET /v1/clusters: a JSON array of cluster summaries.
    virtual nlohmann::json list_clusters() const = 0;
    /// GET /v1/clusters/NAME: the detail of SPEC §6, or nullopt when unknown.
    virtual std::optional<nlohmann::json> cluster_detail(const std::string& name) const = 0;
    /// GET /v1/clusters/NAME/events: events newest last, or nullopt when unknown.
    virtual std::optional<nlohmann::json> cluster_events(const std::string& name) const = 0;
    /// GET …/events?after=SEQ&wait=S: the events after SEQ, waiting up to S seconds for one
    /// when there is none (a long poll); nullopt when the cluster is unknown. The default
    /// answers at once with cluster_events().
    virtual boost::asio::awaitable<std::optional<nlohmann::json>> wait_events(const std::string& name,
                                                                               std::uint64_t after, unsigned wait_s);
    /// POST /v1/clusters: 201 + detail, 409 taken, 422 not a primary / bad HA config, 502 CA unreachable.
    virtual boost::asio::awaitable<Outcome> register_cluster(RegisterRequest request) = 0;
    /// DELETE /v1/clusters/NAME: 204, 404 unknown, 409 declared in preferences.cfg.
    virtual Outcome remove_cluster(const std::string& name) = 0;
    /// Config read / change / sync of a cluster: 200 (+ ETag on reads), 400, 404, 409, 412,
    /// 422, 502, 503 as SPEC §6 says. The default answers 501 (a backend without replication).
    virtual boost::asio::awaitable<Outcome> config_operation(const std::string& name, ConfigRequest request);
    /// An HA action on a peer: 200 with what was sent, 400, 404, 409 (a guard rail, with the
    /// reason), 502 (Kea refused or did not answer). The default answers 501.
    virtual boost::asio::awaitable<Outcome> ha_action(const std::string& name, HaActionRequest request);
    /// GET /metrics: Prometheus text.
    virtual std::string metrics() const = 0;
    /// Version string for GET /v1/health.
    virtual std::string version() const = 0;
    /// What keeps the daemon from working fully (GET /v1/health: status "degraded"); none: "ok".
    virtual std::vector<std::string> problems() const { return {}; }
    /// Settings that are not safe (issue 32: credentials in clear, unchecked certificates),
    /// shown in GET /v1/health as "warnings"; the status stays "ok".
    virtual std::vector<std::string> warnings() const { return {}; }
};

struct ApiSettings {
    std::optional<std::string> token;   ///< apiTokenFile: one admin token, named "admin"
    /// apiTokensFile: named clients with roles (a `read` one may only GET). No token at all:
    /// no auth (loopback only, preferences.cpp), and the client is "anonymous".
    std::vector<core::ApiToken> tokens;
    /// apiListen's host: a Host header naming it is this API (so are loopback names, and any
    /// address literal when apiListen is a wildcard address).
    std::string listen_host = "127.0.0.1";
    /// apiAllowedHosts: further names and addresses clients use to reach the API (Host).
    std::vector<core::HostPattern> allowed_hosts;
};

/// What the line and the headers of a request decide (issue 32), before its body is read:
/// Host (DNS rebinding), Origin and Sec-Fetch-Site (other web sites), the bearer token and the
/// role, the Content-Type of a write (an HTML form cannot send application/json).
struct Admission {
    std::optional<ApiResponse> refusal;  ///< set: answer this and close
    std::string who = "anonymous";       ///< the client's name when admitted
    bool authenticated = false;          ///< a token was checked and matched
    /// The client's role; Admin without any token configured (an open API, apiAllowNoToken).
    core::ApiRole role = core::ApiRole::Admin;
};
/// Admits or refuses `head` (its body is not looked at). The server calls it before reading
/// the body; handle() calls it again, so a request handled without the server is checked too.
Admission admit(const ApiRequest& head, const ApiSettings& settings);

/// Bodies above this are taken only on config writes (PUT and PATCH …/config).
inline constexpr std::size_t kSmallBodyLimit = 64 * 1024;
/// The largest body `head` may carry: `config_limit` on PUT/PATCH /v1/clusters/NAME/config,
/// kSmallBodyLimit otherwise.
std::size_t body_limit_for(const ApiRequest& head, std::size_t config_limit);

/// Routes one request. Never throws; a malformed request gets a 4xx with a message.
boost::asio::awaitable<ApiResponse> handle(const ApiRequest& request, ApiBackend& backend,
                                           const ApiSettings& settings);

}  // namespace kea_ha::api
