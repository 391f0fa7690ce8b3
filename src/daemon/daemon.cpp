#include "kea_ha/daemon/daemon.hpp"

#include <sys/resource.h>
#include <systemd/sd-daemon.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "kea_ha/api/routes.hpp"
#include "kea_ha/api/server.hpp"
#include "kea_ha/daemon/cluster_monitor.hpp"
#include "kea_ha/daemon/logging.hpp"
#include "kea_ha/daemon/preferences_file.hpp"
#include "kea_ha/daemon/state_store.hpp"
#include "kea_ha/daemon/state_writer.hpp"

namespace kea_ha::daemon {
namespace {

/// apiTokenFile's token: at least this many characters (apiTokensFile's rule, core/api_tokens).
constexpr std::size_t kMinTokenLength = 16;
/// Refused API requests said in the log, at most this many lines a minute (issue 32).
constexpr unsigned kRefusalLinesPerMinute = 10;

namespace net = boost::asio;

/// Escapes a Prometheus label value: backslash, double quote and newline.
std::string prometheus_label(std::string_view raw) {
    std::string out;
    for (char c : raw) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string prometheus_number(double value) {
    // The exposition format spells the special values NaN, +Inf, -Inf (printf says nan/inf),
    // and casting them (or anything out of range) to long long is undefined: check first.
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char text[32];
    if (value < 1e15 && value > -1e15 && value == std::trunc(value)) {
        std::snprintf(text, sizeof text, "%lld", static_cast<long long>(value));
    } else {
        std::snprintf(text, sizeof text, "%.9g", value);
    }
    return text;
}

/// Everything the running daemon owns. Implements the API's view of it.
class Daemon final : public api::ApiBackend {
public:
    Daemon(net::io_context& io, DaemonOptions options)
        : io_(io), options_(std::move(options)), prefs_(options_.preferences) {}

    ~Daemon() override { shutdown(); }

    /// Builds the object graph. Returns false (after logging why) when it cannot start.
    bool start();
    void shutdown();
    void reload();
    /// Every cluster's coroutines have ended (after shutdown()).
    bool idle() const {
        if (api_server_ && api_server_->requests_in_flight() > 0) return false;
        for (const auto& [name, monitor] : clusters_) {
            if (!monitor->idle()) return false;
        }
        return true;
    }

    // api::ApiBackend
    nlohmann::json list_clusters() const override;
    /// Issue 32: warnings about how this cluster's Kea credentials travel (detail, list, metrics).
    nlohmann::json credential_warnings(const ClusterMonitor& monitor) const;
    std::optional<nlohmann::json> cluster_detail(const std::string& name) const override;
    std::optional<nlohmann::json> cluster_events(const std::string& name) const override;
    net::awaitable<std::optional<nlohmann::json>> wait_events(const std::string& name, std::uint64_t after,
                                                              unsigned wait_s) override;
    net::awaitable<api::Outcome> register_cluster(api::RegisterRequest request) override;
    api::Outcome remove_cluster(const std::string& name) override;
    net::awaitable<api::Outcome> config_operation(const std::string& name, api::ConfigRequest request) override;
    net::awaitable<api::Outcome> ha_action(const std::string& name, api::HaActionRequest request) override;
    std::string metrics() const override;
    std::string version() const override { return KEA_HA_VERSION; }
    std::vector<std::string> problems() const override {
        std::vector<std::string> out;
        if (store_)
            if (auto error = store_->last_error())
                out.push_back("the state directory " + store_->store().directory() +
                              " cannot be written: changes are refused until it can (" + *error + ")");
        return out;
    }
    std::vector<std::string> warnings() const override;
    core::Duration longest_operation() const { return std::max(prefs_.config_timeout, prefs_.request_timeout); }

private:
    MonitorContext monitor_context();
    void add_monitor(Registration registration, std::optional<core::Topology> topology,
                     const nlohmann::json& stored);
    void notify_status() const;
    kea::ClientOptions client_options(const core::Preferences& prefs, bool& ok) const;
    /// Issue 32: a request refused on its headers (401 failed authentication, 403, 421, 413,
    /// 415) is said with the client's address, at most kRefusalLinesPerMinute lines a minute;
    /// how many were left out is said with the next line.
    void report_refusal(const api::ApiRequest& head, const api::ApiResponse& refusal);
    std::chrono::steady_clock::time_point refusal_window_{};
    unsigned refusal_lines_ = 0;
    std::uint64_t refusals_left_out_ = 0;

    net::io_context& io_;
    DaemonOptions options_;
    core::Preferences prefs_;
    std::unique_ptr<lab::KeaLab> lab_;
    std::unique_ptr<kea::ControlAgentClient> client_;
    /// keaAuthUser + keaAuthPasswordFile, read at start and at SIGHUP (monitors hold a pointer).
    std::optional<kea::Credentials> kea_credentials_;
    std::unique_ptr<StateWriter> store_;  // before clusters_: outlives the monitors
    PeerLocks peer_locks_;                // issue 12: shared by the clusters; outlives the monitors
    std::map<std::string, std::shared_ptr<ClusterMonitor>> clusters_;
    std::unique_ptr<api::ApiServer> api_server_;
    api::ApiSettings api_settings_;
    bool stopped_ = false;
};

/// keaAuthUser with the contents of keaAuthPasswordFile (both or neither: preferences.cpp),
/// read now: at start and at every SIGHUP.
core::Result<std::optional<kea::Credentials>> kea_credentials_of(const core::Preferences& prefs) {
    if (!prefs.auth_user || !prefs.auth_password_file) return std::optional<kea::Credentials>();
    auto password = read_secret_file(*prefs.auth_password_file, "keaAuthPasswordFile", prefs.secrets_directory);
    if (!password) return password.error();
    return std::optional<kea::Credentials>(kea::Credentials{*prefs.auth_user, std::move(*password)});
}

/// apiTokenFile's token, read now: at start and at every SIGHUP. Issue 32: at least
/// kMinTokenLength characters (apiTokensFile's rule too, core/api_tokens).
core::Result<std::optional<std::string>> api_token_of(const core::Preferences& prefs) {
    if (!prefs.api_token_file) return std::optional<std::string>();
    auto token = read_secret_file(*prefs.api_token_file, "apiTokenFile", prefs.secrets_directory);
    if (!token) return token.error();
    if (token->size() < kMinTokenLength) {
        return core::make_error(core::ErrorKind::Invalid,
                                "apiTokenFile: the token has " + std::to_string(token->size()) + " characters, at least " +
                                    std::to_string(kMinTokenLength) +
                                    " are needed (make one: head -c 32 /dev/urandom | base64)",
                                *prefs.api_token_file);
    }
    return std::optional<std::string>(std::move(*token));
}

/// apiTokensFile's clients, read now: at start and at every SIGHUP.
core::Result<std::vector<core::ApiToken>> api_clients_of(const core::Preferences& prefs, bool with_token) {
    if (!prefs.api_tokens_file) return std::vector<core::ApiToken>();
    auto tokens = read_api_tokens_file(*prefs.api_tokens_file, prefs.secrets_directory);
    if (!tokens) return tokens.error();
    for (const auto& t : *tokens) {
        if (with_token && t.name == "admin") {
            return core::make_error(core::ErrorKind::Invalid,
                                    *prefs.api_tokens_file + ": the name 'admin' is apiTokenFile's; give that client another name");
        }
    }
    return tokens;
}

kea::ClientOptions Daemon::client_options(const core::Preferences& prefs, bool& ok) const {
    kea::ClientOptions client;
    ok = true;
    if (auto credentials = kea_credentials_of(prefs); !credentials) {
        logger("prefs")->error("cannot read secret {}", credentials.error().describe());
        ok = false;
    } else if (*credentials) {
        client.auth_user = (*credentials)->user;
        client.auth_password = (*credentials)->password;
    }
    client.tls_ca_file = prefs.tls_ca_file;
    client.tls_cert_file = prefs.tls_cert_file;
    client.tls_key_file = prefs.tls_key_file;
    client.tls_verify = prefs.tls_verify;
    client.allow_basic_auth_over_http = prefs.allow_basic_auth_over_http;
    client.auth_hosts = core::kea_credential_hosts(prefs);
    client.max_response_size = prefs.max_response_size;
    return client;
}

void Daemon::report_refusal(const api::ApiRequest& head, const api::ApiResponse& refusal) {
    const auto now = std::chrono::steady_clock::now();
    if (now - refusal_window_ >= std::chrono::minutes(1)) {
        refusal_window_ = now;
        refusal_lines_ = 0;
    }
    if (refusal_lines_ >= kRefusalLinesPerMinute) {
        ++refusals_left_out_;
        return;
    }
    ++refusal_lines_;
    auto error = nlohmann::json::parse(refusal.body, nullptr, false);
    const auto code = error.is_object() && error.contains("error") ? error["error"].value("code", "") : std::string();
    const auto message = error.is_object() && error.contains("error") ? error["error"].value("message", "") : std::string();
    // Two fixed texts (docs/logging.md, checked by docs_test), the same fields.
    auto log = logger("api");
    if (refusal.status == 401) {
        log->warn("api authentication failed client={} method={} target={} status={} code={} reason={} left_out={}",
                  head.client, quote_field(head.method), quote_field(head.target), refusal.status, code,
                  quote_field(message), refusals_left_out_);
    } else {
        log->warn("api request refused client={} method={} target={} status={} code={} reason={} left_out={}",
                  head.client, quote_field(head.method), quote_field(head.target), refusal.status, code,
                  quote_field(message), refusals_left_out_);
    }
    refusals_left_out_ = 0;
}

bool Daemon::start() {
    auto log = logger("daemon");
    log->info("starting version={} preferences={}", KEA_HA_VERSION,
              options_.preferences_path.empty() ? "(built-in defaults)" : options_.preferences_path);
    for (const auto& warning : options_.warnings) logger("prefs")->warn("{}", warning.message);

    if (options_.lab) {
        auto lab_log = logger("lab");
        lab_log->info("starting Kea lab kea={} transport={} service={} mode={} backup={}", options_.lab->kea_version,
                      options_.lab->transport == lab::LabTransport::Direct ? "direct" : "agent", options_.lab->service,
                      options_.lab->mode == lab::LabMode::HotStandby ? "hot-standby" : "load-balancing",
                      options_.lab->with_backup);
        auto started = lab::KeaLab::start(*options_.lab);
        if (!started) {
            lab_log->error("Kea lab did not start: {}", started.error().describe());
            return false;
        }
        lab_ = std::move(*started);
        for (const auto& peer : lab_->peers()) {
            lab_log->info("lab peer up peer={} role={} url={}", peer.name, peer.role, peer.url);
        }
        if (options_.preferences_path.empty()) {
            prefs_.state_directory = lab_->directory() + "/controller-state";
        }
        prefs_.servers.push_back({"lab", lab_->peers().front().url, options_.lab->service, 0});
        // Its peers live on loopback addresses of its own: credentials may go to them.
        if (!prefs_.kea_allowed_hosts) prefs_.kea_allowed_hosts = core::parse_host_patterns("127.0.0.0/8, ::1").value();
        if (lab_->options().auth_user) {
            // The lab's credentials reach the controller as keaAuthUser + keaAuthPasswordFile,
            // the way an operator gives them.
            prefs_.auth_user = lab_->options().auth_user;
            prefs_.auth_password_file = lab_->password_file();
            prefs_.secrets_directory = lab_->directory();
            // Its peers listen on loopback over http; the warning says so all the same.
            prefs_.allow_basic_auth_over_http = true;
        }
    }

    bool secrets_ok = true;
    auto client_opts = client_options(prefs_, secrets_ok);
    if (!secrets_ok) return false;
    if (client_opts.auth_user) kea_credentials_ = kea::Credentials{*client_opts.auth_user,
                                                                  client_opts.auth_password.value_or("")};
    try {
        client_ = kea::make_control_agent_client(io_, client_opts);
    } catch (const std::exception& e) {
        logger("kea")->error("cannot set up the Control Agent client: {}", e.what());
        return false;
    }

    auto store = StateStore::open(prefs_.state_directory);
    if (!store) {
        log->error("cannot use the state directory: {}", store.error().describe());
        return false;
    }
    store_ = std::make_unique<StateWriter>(std::move(*store), [](const std::string& name, const core::Error& error) {
        logger("daemon")->error("cannot save cluster state cluster={} error={}", name, quote_field(error.describe()));
    });

    // Declared servers first (they win over a stored registration of the same name).
    std::vector<StoreProblem> problems;
    auto stored = store_->store().load_all(problems);
    for (const auto& problem : problems) {
        log->error("state file set aside file={} problem={}", problem.file, quote_field(problem.message));
    }
    std::map<std::string, nlohmann::json> stored_by_name;
    for (auto& cluster : stored) stored_by_name[cluster.name] = std::move(cluster.document);

    for (const auto& server : prefs_.servers) {
        Registration registration;
        registration.name = server.name;
        registration.url = server.url;
        registration.service = server.service;
        registration.declared = true;
        auto found = stored_by_name.find(server.name);
        const nlohmann::json document = found == stored_by_name.end() ? nlohmann::json() : found->second;
        if (found != stored_by_name.end()) stored_by_name.erase(found);
        add_monitor(std::move(registration), std::nullopt, document);
    }
    for (const auto& [name, document] : stored_by_name) {
        const auto& reg = document.value("registration", nlohmann::json::object());
        if (reg.value("declared", false)) {
            log->info("cluster no longer declared in preferences, forgetting cluster={}", name);
            (void)store_->remove(name);
            continue;
        }
        Registration registration;
        registration.name = name;
        registration.url = reg.value("url", "");
        registration.service = reg.value("service", "dhcp4");
        registration.control_urls = reg.value("control_urls", std::map<std::string, std::string>{});
        if (reg.contains("auth_user") && reg["auth_user"].is_string()) {
            registration.auth_user = reg["auth_user"].get<std::string>();
        }
        if (reg.contains("auth_password_file") && reg["auth_password_file"].is_string()) {
            registration.auth_password_file = reg["auth_password_file"].get<std::string>();
        }
        if (reg.contains("relationship") && reg["relationship"].is_string()) {
            registration.relationship = reg["relationship"].get<std::string>();
        }
        if (reg.contains("transport") && reg["transport"].is_string()) {
            registration.transport = kea::parse_transport(reg["transport"].get<std::string>());
        }
        if (registration.url.empty()) {
            log->error("stored cluster has no URL, ignoring cluster={}", name);
            continue;
        }
        add_monitor(std::move(registration), std::nullopt, document);
    }

    // The API last: once it answers, the state it shows is loaded (systemd READY below).
    // Issue 32: no open API unless the operator said so (main.cpp refuses such a file first);
    // the lab opens its own on loopback, and says so in its banner.
    if (lab_ && !prefs_.api_token_file && !prefs_.api_tokens_file) prefs_.api_allow_no_token = true;
    if (auto problem = core::api_access_problem(prefs_)) {
        logger("api")->error("cannot start the management API error={}", quote_field(*problem));
        return false;
    }
    if (!api_settings_.token && prefs_.api_allow_no_token && !prefs_.api_token_file && !prefs_.api_tokens_file) {
        logger("api")->warn("management API without a token: every local user may act as an admin "
                            "(apiAllowNoToken{})", lab_ ? ", set by the lab" : "");
    }
    auto token = api_token_of(prefs_);
    if (!token) {
        logger("api")->error("cannot read secret {}", token.error().describe());
        return false;
    }
    api_settings_.token = std::move(*token);
    auto clients = api_clients_of(prefs_, api_settings_.token.has_value());
    if (!clients) {
        logger("api")->error("cannot read apiTokensFile error={}", quote_field(clients.error().describe()));
        return false;
    }
    api_settings_.tokens = std::move(*clients);
    if (prefs_.api_tokens_file) {
        logger("api")->info("api clients file={} clients={}", *prefs_.api_tokens_file, api_settings_.tokens.size());
    }
    api_settings_.listen_host = core::host_of_authority(prefs_.api_listen).value_or(prefs_.api_listen);
    api_settings_.allowed_hosts = prefs_.api_allowed_hosts;
    api::ServerSettings server_settings;
    server_settings.listen = prefs_.api_listen;
    server_settings.tls_cert_file = prefs_.api_tls_cert_file;
    server_settings.tls_key_file = prefs_.api_tls_key_file;
    // Issue 32: Host, Origin, token and media type are checked before a body is read, and
    // only config writes may send more than 64 KiB.
    server_settings.admit = [this](const api::ApiRequest& head) { return api::admit(head, api_settings_).refusal; };
    server_settings.body_limit = [limit = server_settings.max_body_size](const api::ApiRequest& head) {
        return api::body_limit_for(head, limit);
    };
    server_settings.report_refusal = [this](const api::ApiRequest& head, const api::ApiResponse& refusal) {
        report_refusal(head, refusal);
    };
    server_settings.report_failure = [](std::string_view what, std::string_view error) {
        logger("api")->error("{} error={}", what, quote_field(error));
    };
    auto server = api::start_api_server(
        io_, server_settings, [this](api::ApiRequest request) -> net::awaitable<api::ApiResponse> {
            auto answer = co_await api::handle(request, *this, api_settings_);
            // Issue 32: every request that may change something is said once, with the
            // client's address (the lines of the change itself name the client by its name).
            if (request.method != "GET" && request.method != "HEAD") {
                logger("api")->info("api request client={} by={} method={} target={} status={}", request.client,
                                    api::admit(request, api_settings_).who, request.method,
                                    quote_field(request.target), answer.status);
            }
            co_return answer;
        });
    if (!server) {
        logger("api")->error("cannot start the management API: {}", server.error().describe());
        return false;
    }
    api_server_ = std::move(*server);
    for (const auto& warning : warnings()) logger("daemon")->warn("insecure setting warning={}", quote_field(warning));
    logger("api")->info("management API listening address={} tls={}", prefs_.api_listen,
                        prefs_.api_tls_cert_file ? "on" : "off");
    for (auto& [name, monitor] : clusters_) monitor->start();
    if (lab_) {
        // README command (a): say where to look.
        const std::string base = std::string(prefs_.api_tls_cert_file ? "https" : "http") + "://" + prefs_.api_listen;
        logger("lab")->info("lab ready: status page {}/ , API {}/v1/clusters/lab , CLI: kea-ha-ctl --api {} status lab{}",
                            base, base, base,
                            prefs_.api_token_file || prefs_.api_tokens_file
                                ? ""
                                : " ; the lab's API has no token (apiAllowNoToken): loopback only, for trying it out");
    }
    sd_notify(0, "READY=1");
    notify_status();
    return true;
}

MonitorContext Daemon::monitor_context() {
    return MonitorContext{io_, *client_, &prefs_, store_.get(), &kea_credentials_,
                          [this] { notify_status(); }, &peer_locks_};
}

void Daemon::add_monitor(Registration registration, std::optional<core::Topology> topology,
                         const nlohmann::json& stored) {
    const std::string name = registration.name;
    clusters_[name] = ClusterMonitor::create(monitor_context(), std::move(registration),
                                             std::move(topology), stored);
}

void Daemon::notify_status() const {
    std::map<std::string, int> counts;
    for (const auto& [name, monitor] : clusters_) ++counts[std::string(core::to_string(monitor->state()))];
    std::string status = std::to_string(clusters_.size()) + " cluster" + (clusters_.size() == 1 ? "" : "s");
    const char* order[] = {"OK", "Impaired", "Down", "Unreachable"};
    bool first = true;
    for (const char* state : order) {
        auto found = counts.find(state);
        if (found == counts.end()) continue;
        status += (first ? ": " : ", ") + std::to_string(found->second) + " " + state;
        first = false;
    }
    sd_notify(0, ("STATUS=" + status).c_str());
}

void Daemon::shutdown() {
    if (stopped_) return;
    stopped_ = true;
    // The API stops taking requests but answers the ones in flight (a change being
    // replicated gets its 200 with each peer's outcome); idle() waits for them.
    if (api_server_) api_server_->drain();
    for (auto& [name, monitor] : clusters_) monitor->stop();
}

void Daemon::reload() {
    auto log = logger("daemon");
    if (options_.preferences_path.empty()) {
        log->info("SIGHUP: no preferences file (built-in defaults); reopening the log only");
        configure_logging(log_settings_from(prefs_));
        return;
    }
    auto loaded = load_preferences_file(options_.preferences_path);
    if (!loaded) {
        log->error("SIGHUP: preferences not reloaded, running settings stay error={}",
                   quote_field(loaded.error().describe()));
        return;
    }
    auto next = loaded->preferences;
    // What cannot change without a restart keeps its running value (docs/configuration.md).
    next.state_directory = prefs_.state_directory;
    next.api_listen = prefs_.api_listen;
    next.servers = prefs_.servers;
    try {
        configure_logging(log_settings_from(next));
    } catch (const std::exception& e) {
        log->error("SIGHUP: cannot open the new log destination, keeping the old one error={}",
                   quote_field(e.what()));
        return;
    }
    for (const auto& warning : loaded->warnings) logger("prefs")->warn("{}", warning.message);
    // The CA password may have been rotated: read it again (a bad file keeps the old one).
    auto credentials = kea_credentials_of(next);
    if (!credentials) {
        log->error("SIGHUP: preferences not reloaded, running settings stay error={}",
                   quote_field(credentials.error().describe()));
        return;
    }
    // Issue 32: the token files are read again (a revoked token stops working now); the
    // files named at start are the ones read (apiTokenFile and apiTokensFile need a restart).
    next.api_token_file = prefs_.api_token_file;
    next.api_tokens_file = prefs_.api_tokens_file;
    next.api_allow_no_token = prefs_.api_allow_no_token;
    next.api_allowed_hosts = prefs_.api_allowed_hosts;
    next.allow_basic_auth_over_http = prefs_.allow_basic_auth_over_http;  // the client is built at start
    auto token = api_token_of(next);
    auto clients = token ? api_clients_of(next, token->has_value()) : core::Result<std::vector<core::ApiToken>>(token.error());
    if (!clients) {
        log->error("SIGHUP: preferences not reloaded, running settings stay error={}",
                   quote_field(clients.error().describe()));
        return;
    }
    if (next.api_token_file || next.api_tokens_file) {
        api_settings_.token = std::move(*token);
        api_settings_.tokens = std::move(*clients);
        log->info("SIGHUP: api tokens reloaded token_file={} clients={}", next.api_token_file.value_or("none"),
                  api_settings_.tokens.size());
    }
    prefs_ = next;
    if (!lab_) kea_credentials_ = std::move(*credentials);
    for (auto& [name, monitor] : clusters_) monitor->reload_credentials();
    log->info("SIGHUP: preferences reloaded file={}", options_.preferences_path);
}

nlohmann::json Daemon::list_clusters() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [name, monitor] : clusters_) {
        auto summary = monitor->summary();
        // The same count as the detail's list (credential warnings included) and the metric.
        const auto extra = credential_warnings(*monitor).size();
        if (extra && summary["warnings"].is_number_unsigned()) {
            summary["warnings"] = summary["warnings"].get<std::size_t>() + extra;
        }
        list.push_back(std::move(summary));
    }
    return list;
}

nlohmann::json Daemon::credential_warnings(const ClusterMonitor& monitor) const {
    // Issue 32: say where this cluster's credentials are not safe.
    nlohmann::json warnings = nlohmann::json::array();
    const auto& registration = monitor.registration();
    const bool credentials = registration.auth_user.has_value() || kea_credentials_.has_value();
    auto urls = std::vector<std::string>{registration.url};
    for (const auto& [peer, url] : registration.control_urls) urls.push_back(url);
    for (auto& url : monitor.peer_urls()) urls.push_back(std::move(url));
    const bool plain = std::any_of(urls.begin(), urls.end(), [](const std::string& url) { return url.rfind("http://", 0) == 0; });
    const bool tls = std::any_of(urls.begin(), urls.end(), [](const std::string& url) { return url.rfind("https://", 0) == 0; });
    if (credentials && plain) {
        warnings.push_back(
            {{"code", "credentials-in-clear"},
             {"message", prefs_.allow_basic_auth_over_http
                             ? "Kea credentials go over plain http to this cluster's peers (keaAllowBasicAuthOverHttp=1)"
                             : "Kea credentials are not sent over plain http (keaAllowBasicAuthOverHttp=0): the "
                               "http peers are asked without them"}});
    }
    if (tls && !prefs_.tls_verify) {
        warnings.push_back({{"code", "tls-unverified"},
                            {"message", "keaTlsVerify=0: the certificates of this cluster's https peers "
                                        "are not checked"}});
    }
    return warnings;
}

std::optional<nlohmann::json> Daemon::cluster_detail(const std::string& name) const {
    auto found = clusters_.find(name);
    if (found == clusters_.end()) return std::nullopt;
    auto detail = found->second->detail();
    if (!detail.contains("warnings") || !detail["warnings"].is_array()) detail["warnings"] = nlohmann::json::array();
    for (auto& warning : credential_warnings(*found->second)) detail["warnings"].push_back(std::move(warning));
    return detail;
}

std::vector<std::string> Daemon::warnings() const {
    std::vector<std::string> out;
    if (!prefs_.tls_verify) {
        out.push_back("keaTlsVerify=0: Kea's certificates and host names are not checked; credentials and configs "
                      "may go to whoever answers");
    }
    if (prefs_.allow_basic_auth_over_http) {
        out.push_back("keaAllowBasicAuthOverHttp=1: Kea passwords may cross the network in clear (http)");
    }
    if (!api_settings_.token && api_settings_.tokens.empty()) {
        out.push_back("the management API has no token (apiAllowNoToken): every local user may act as an admin");
    }
    return out;
}

std::optional<nlohmann::json> Daemon::cluster_events(const std::string& name) const {
    auto found = clusters_.find(name);
    if (found == clusters_.end()) return std::nullopt;
    return found->second->events();
}

net::awaitable<std::optional<nlohmann::json>> Daemon::wait_events(const std::string& name, std::uint64_t after,
                                                                  unsigned wait_s) {
    auto found = clusters_.find(name);
    if (found == clusters_.end()) co_return std::nullopt;
    auto monitor = found->second;  // alive while it waits, even if the cluster is removed meanwhile
    co_return co_await monitor->wait_events(after, std::chrono::seconds(wait_s));
}

net::awaitable<api::Outcome> Daemon::register_cluster(api::RegisterRequest request) {
    auto error = [](unsigned status, std::string code, std::string message) {
        return api::Outcome{status, {{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}}, {}};
    };
    if (clusters_.count(request.name)) {
        co_return error(409, "name-taken", "a cluster named '" + request.name + "' is already registered");
    }
    Registration registration;
    registration.name = request.name;
    registration.service = request.service;
    registration.control_urls = request.control_urls;
    registration.auth_user = request.auth_user;
    registration.auth_password_file = request.auth_password_file;
    registration.relationship = request.relationship;
    if (request.url) {
        registration.url = *request.url;
    } else {
        // SPEC §2: by address → http://ADDRESS:keaControlAgentPort/; none → keaControlAgentHost.
        std::string host = request.address.value_or(prefs_.control_agent_host);
        if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
        registration.url = "http://" + host + ":" + std::to_string(prefs_.control_agent_port) + "/";
    }
    if (auto endpoint = kea::parse_endpoint(registration.url); !endpoint) {
        co_return error(400, "bad-request", endpoint.error().describe());
    }
    // Issue 32: Kea credentials go only to the hosts the operator named (keaAllowedHosts), and
    // a registration may name no other: a local user cannot have them sent to their own port.
    const auto allowed = core::kea_credential_hosts(prefs_);
    auto urls = std::vector<std::pair<std::string, std::string>>{{"url", registration.url}};
    for (const auto& [peer, url] : registration.control_urls) urls.emplace_back("control_urls." + peer, url);
    for (const auto& [field, url] : urls) {
        if (!core::url_matches_any(allowed, url)) {
            const auto host = core::host_of_url(url);
            const auto port = core::port_of_url(url);
            co_return error(422, "host-not-allowed",
                            "field '" + field + "': host '" + host.value_or(url) +
                                (port ? "' port " + std::to_string(*port) : std::string("'")) +
                                " is not in keaAllowedHosts (default: the hosts of the declared keaServer URLs and "
                                "keaControlAgentHost); the controller talks to, and sends Kea credentials to, those only");
        }
    }
    auto credentials = credentials_for(registration, kea_credentials_, registration.url,
                                       CredentialRules{allowed, prefs_.secrets_directory});
    if (!credentials) co_return error(422, "bad-credentials", credentials.error().describe());
    auto found = co_await discover_topology(*client_, prefs_, registration, *credentials);
    if (!found) {
        const auto& e = found.error();
        const bool config_problem = e.kind == core::ErrorKind::Invalid ||
                                    e.kind == core::ErrorKind::Conflict ||
                                    e.kind == core::ErrorKind::KeaError;
        co_return error(config_problem ? 422 : 502, config_problem ? "not-registrable" : "unreachable",
                        e.describe());
    }
    if (clusters_.count(request.name)) {  // registered meanwhile by another request
        co_return error(409, "name-taken", "a cluster named '" + request.name + "' is already registered");
    }
    registration.transport = found->transport;
    const auto& version = found->capabilities.version;
    logger("health")->info("cluster registered cluster={} url={} service={} transport={} kea={} mode={} peers={}",
                           registration.name, redact_url(registration.url), registration.service,
                           kea::to_string(found->transport), version ? kea::to_string(*version) : "unknown",
                           core::to_string(found->topology.mode), found->topology.peers.size());
    add_monitor(registration, std::move(found->topology), nullptr);
    auto& monitor = clusters_.at(request.name);
    monitor->start();
    notify_status();
    co_return api::Outcome{201, monitor->detail(), {{"Location", "/v1/clusters/" + request.name}}};
}

net::awaitable<api::Outcome> Daemon::config_operation(const std::string& name, api::ConfigRequest request) {
    auto found = clusters_.find(name);
    if (found == clusters_.end()) {
        co_return api::Outcome{404, {{"error", {{"code", "not-found"}, {"message", "no cluster named '" + name + "'"}}}}, {}};
    }
    auto monitor = found->second;  // stays alive even if the cluster is removed meanwhile
    ConfigOutcome outcome;
    if (request.kind == api::ConfigRequest::Kind::Read) {
        outcome = co_await monitor->read_config();
    } else if (request.kind == api::ConfigRequest::Kind::Diff) {
        outcome = co_await monitor->diff_config(std::move(request.peer), request.documents);
    } else if (request.kind == api::ConfigRequest::Kind::History) {
        if (request.generation) {
            outcome = monitor->history_entry(*request.generation);
        } else {
            outcome = ConfigOutcome{200, monitor->history(), std::nullopt};
        }
    } else if (request.kind == api::ConfigRequest::Kind::Rollback) {
        // A normal change (SPEC §5 rule 1, If-Match honoured) whose document is the kept config.
        auto kept = co_await monitor->rollback_document(*request.generation);
        if (kept.status != 200) {
            outcome = std::move(kept);
        } else {
            ConfigChange change;
            change.kind = ConfigChange::Kind::Replace;
            change.body = std::move(kept.body["config"]);
            change.if_match = std::move(request.if_match);
            change.who = request.who.empty() ? "anonymous" : request.who;
        change.client = request.client;
            change.client = request.client;
            change.rollback_of = request.generation;
            outcome = co_await monitor->change_config(std::move(change));
        }
    } else {
        ConfigChange change;
        switch (request.kind) {
            case api::ConfigRequest::Kind::Replace: change.kind = ConfigChange::Kind::Replace; break;
            case api::ConfigRequest::Kind::JsonPatch: change.kind = ConfigChange::Kind::JsonPatch; break;
            case api::ConfigRequest::Kind::MergePatch: change.kind = ConfigChange::Kind::MergePatch; break;
            default: change.kind = ConfigChange::Kind::Sync; break;
        }
        change.body = std::move(request.body);
        change.if_match = std::move(request.if_match);
        change.dry_run = request.dry_run;
        change.who = request.who.empty() ? "anonymous" : request.who;
        change.client = request.client;
        outcome = co_await monitor->change_config(std::move(change));
    }
    api::Outcome answer{outcome.status, std::move(outcome.body), {}};
    if (outcome.etag) answer.headers.emplace_back("ETag", *outcome.etag);
    co_return answer;
}

net::awaitable<api::Outcome> Daemon::ha_action(const std::string& name, api::HaActionRequest request) {
    auto found = clusters_.find(name);
    if (found == clusters_.end()) {
        co_return api::Outcome{404, {{"error", {{"code", "not-found"}, {"message", "no cluster named '" + name + "'"}}}}, {}};
    }
    auto monitor = found->second;
    auto outcome = co_await monitor->ha_action(std::move(request.action), std::move(request.peer), request.max_period_s,
                                               std::move(request.who), std::move(request.client));
    co_return api::Outcome{outcome.status, std::move(outcome.body), {}};
}

api::Outcome Daemon::remove_cluster(const std::string& name) {
    auto found = clusters_.find(name);
    if (found == clusters_.end()) {
        return {404, {{"error", {{"code", "not-found"}, {"message", "no cluster named '" + name + "'"}}}}, {}};
    }
    if (found->second->registration().declared) {
        return {409, {{"error", {{"code", "declared"}, {"message", "cluster '" + name +
                      "' is declared in preferences.cfg; remove it there and restart the controller "
                      "(keaServer declarations are read at start only)"}}}}, {}};
    }
    found->second->stop();
    clusters_.erase(found);
    if (store_) {
        if (auto removed = store_->remove(name); !removed) {
            logger("daemon")->error("cannot remove state file cluster={} error={}", name,
                                    quote_field(removed.error().describe()));
        }
    }
    logger("health")->info("cluster removed cluster={}", name);
    notify_status();
    return {204, nullptr, {}};
}

std::string Daemon::metrics() const {
    // Prometheus text exposition format 0.0.4 (SPEC §8): one HELP and TYPE per family, then
    // every sample of that family, labelled by cluster and peer.
    std::vector<ClusterMetrics> all;
    for (const auto& [name, monitor] : clusters_) {
        all.push_back(monitor->metrics());
        all.back().warnings += credential_warnings(*monitor).size();
    }
    std::string text;
    auto family = [&](const char* name, const char* type, const char* help) {
        text += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    };
    auto sample = [&](const char* name, const std::vector<std::pair<const char*, std::string>>& labels, double value) {
        text += name;
        if (!labels.empty()) {
            text += "{";
            bool first = true;
            for (const auto& [key, raw] : labels) {
                text += std::string(first ? "" : ",") + key + "=\"" + prometheus_label(raw) + "\"";
                first = false;
            }
            text += "}";
        }
        text += " " + prometheus_number(value) + "\n";
    };
    family("kea_ha_build_info", "gauge", "Version of the running controller (always 1).");
    sample("kea_ha_build_info", {{"version", KEA_HA_VERSION}}, 1);
    // GET /v1/health's "degraded" (issue 31 point 5): liveness stays up, this says what is not.
    family("kea_ha_health_degraded", "gauge", "1 when GET /v1/health answers degraded (its problems say why), else 0.");
    sample("kea_ha_health_degraded", {}, problems().empty() ? 0 : 1);
    family("kea_ha_clusters", "gauge", "Clusters managed by this controller.");
    sample("kea_ha_clusters", {}, static_cast<double>(all.size()));
    family("kea_ha_cluster_state", "gauge", "Cluster state: 1 for the current state, 0 for the others.");
    for (const auto& c : all) {
        for (auto state : {core::ClusterState::Ok, core::ClusterState::Impaired, core::ClusterState::Down,
                           core::ClusterState::Unreachable}) {
            sample("kea_ha_cluster_state", {{"cluster", c.name}, {"state", std::string(core::to_string(state))}},
                   c.state == state ? 1 : 0);
        }
    }
    family("kea_ha_cluster_down_cause", "gauge",
           "Why the cluster is Down: 1 for the current cause, 0 for the other (both 0 when not Down).");
    for (const auto& c : all) {
        for (const char* cause : {core::down_cause::kUnreachable, core::down_cause::kNotServing}) {
            sample("kea_ha_cluster_down_cause", {{"cluster", c.name}, {"cause", cause}}, c.cause == cause ? 1 : 0);
        }
    }
    family("kea_ha_cluster_split_brain", "gauge",
           "1 when both main peers serve alone, unable to reach each other over the HA channel.");
    for (const auto& c : all) sample("kea_ha_cluster_split_brain", {{"cluster", c.name}}, c.split_brain ? 1 : 0);
    family("kea_ha_cluster_clock_skew_seconds", "gauge",
           "Largest clock difference between the cluster's peers (Kea's own measure from 3.0; heartbeat dates before).");
    for (const auto& c : all) {
        if (c.clock_skew_s) sample("kea_ha_cluster_clock_skew_seconds", {{"cluster", c.name}}, *c.clock_skew_s);
    }
    family("kea_ha_cluster_source_of_truth", "gauge", "1 for the peer that is the cluster's source of truth; no sample when there is none (Down, Unreachable).");
    for (const auto& c : all) {
        if (c.source_of_truth) sample("kea_ha_cluster_source_of_truth", {{"cluster", c.name}, {"peer", *c.source_of_truth}}, 1);
    }
    family("kea_ha_cluster_warnings", "gauge", "Warnings currently raised on the cluster.");
    for (const auto& c : all) sample("kea_ha_cluster_warnings", {{"cluster", c.name}}, static_cast<double>(c.warnings));
    family("kea_ha_peer_condition", "gauge", "Peer condition: 1 for the current condition, 0 for the others.");
    for (const auto& c : all) {
        for (const auto& p : c.peers) {
            for (auto condition : {"active", "terminated", "maintenance", "transitional", "disabled", "unreachable"}) {
                sample("kea_ha_peer_condition",
                       {{"cluster", c.name}, {"peer", p.name}, {"role", p.role}, {"condition", condition}},
                       p.condition == condition ? 1 : 0);
            }
        }
    }
    family("kea_ha_peer_polls_total", "counter", "Polls of the peer since the controller started.");
    for (const auto& c : all) {
        for (const auto& p : c.peers) sample("kea_ha_peer_polls_total", {{"cluster", c.name}, {"peer", p.name}}, static_cast<double>(p.polls));
    }
    family("kea_ha_peer_poll_errors_total", "counter", "Polls that did not reach the peer (timeout, refused, daemon offline, ...).");
    for (const auto& c : all) {
        for (const auto& p : c.peers) sample("kea_ha_peer_poll_errors_total", {{"cluster", c.name}, {"peer", p.name}}, static_cast<double>(p.poll_errors));
    }
    // A per-peer gauge with a sample only where the peer has a value.
    const auto peer_family = [&](const char* metric, const char* help, auto value_of) {
        family(metric, "gauge", help);
        for (const auto& c : all) {
            for (const auto& p : c.peers) {
                if (const std::optional<double> value = value_of(p)) sample(metric, {{"cluster", c.name}, {"peer", p.name}}, *value);
            }
        }
    };
    peer_family("kea_ha_peer_poll_latency_seconds", "Round trip of the last status-get to the peer.",
               [](const PeerMetrics& p) { return p.poll_latency_s; });
    peer_family("kea_ha_peer_partner_communication_interrupted",
               "1 when the peer reports its HA partner communication-interrupted (status-get remote), 0 when in touch.",
               [](const PeerMetrics& p) {
                   return p.partner_communication_interrupted
                              ? std::optional<double>(*p.partner_communication_interrupted ? 1 : 0)
                              : std::nullopt;
               });
    peer_family("kea_ha_peer_partner_unacked_clients",
               "Clients the peer saw its HA partner leave unanswered (Kea's failure detection, status-get remote).",
               [](const PeerMetrics& p) {
                   return p.partner_unacked_clients ? std::optional<double>(static_cast<double>(*p.partner_unacked_clients))
                                                    : std::nullopt;
               });
    peer_family("kea_ha_peer_clock_skew_seconds",
               "The peer's clock minus the controller's, where meaningful (ha-heartbeat before Kea 3.0, +-0.5 s; from "
               "3.0 only beyond 3 s).",
               [](const PeerMetrics& p) { return p.clock_skew_s; });
    family("kea_ha_replications_total", "counter", "Config replications (API changes, syncs, automatic convergence) by outcome.");
    for (const auto& c : all) {
        sample("kea_ha_replications_total", {{"cluster", c.name}, {"outcome", "done"}}, static_cast<double>(c.replications_done));
        sample("kea_ha_replications_total", {{"cluster", c.name}, {"outcome", "failed"}}, static_cast<double>(c.replications_failed));
    }
    family("kea_ha_last_replication_duration_seconds", "gauge", "Duration of the cluster's last replication.");
    for (const auto& c : all) {
        if (c.last_replication_s) sample("kea_ha_last_replication_duration_seconds", {{"cluster", c.name}}, *c.last_replication_s);
    }
    family("kea_ha_peer_in_sync", "gauge", "1 when the peer's config equals the source of truth's (transformed), 0 when not; absent when unknown.");
    for (const auto& c : all) {
        for (const auto& p : c.peers) {
            if (p.in_sync) sample("kea_ha_peer_in_sync", {{"cluster", c.name}, {"peer", p.name}}, *p.in_sync ? 1 : 0);
        }
    }
    return text;
}

}  // namespace

int run_daemon(DaemonOptions options) {
    try {
        configure_logging(log_settings_from(options.preferences));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: cannot open the log: %s\n", e.what());
        return 1;
    }
    // Every polled peer holds a socket while its request is in flight: a fleet of a few
    // hundred pairs needs more than the usual soft limit of 1024 descriptors.
    if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    net::io_context io(1);
    auto daemon = std::make_unique<Daemon>(io, std::move(options));

    net::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    int stop_requests = 0;
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signal) {
            if (ec) return;  // cancelled at shutdown
            if (signal == SIGHUP) {
                daemon->reload();
                signals.async_wait(on_signal);
                return;
            }
            ++stop_requests;
            logger("daemon")->info("stopping signal={}", signal == SIGINT ? "SIGINT" : "SIGTERM");
            sd_notify(0, "STOPPING=1");
            if (stop_requests > 1) {
                logger("daemon")->warn("second stop signal: stopping at once");
                io.stop();
                return;
            }
            daemon->shutdown();
            signals.async_wait(on_signal);
            // SPEC §9: stop after the operation in flight. Requests end within their own
            // deadline (keaConfigTimeout at most); check every 50 ms, stop when all are done.
            const auto deadline = std::chrono::steady_clock::now() + daemon->longest_operation() +
                                  std::chrono::seconds(1);
            auto check = std::make_shared<net::steady_timer>(io);
            auto wait_idle = std::make_shared<std::function<void()>>();
            // The pending timer handler owns the function; the function only refers back weakly.
            *wait_idle = [&io, &daemon, check, weak = std::weak_ptr(wait_idle), deadline] {
                if (daemon->idle() || std::chrono::steady_clock::now() >= deadline) {
                    io.stop();
                    return;
                }
                check->expires_after(std::chrono::milliseconds(50));
                check->async_wait([strong = weak.lock()](const boost::system::error_code& ec) {
                    if (!ec && strong) (*strong)();
                });
            };
            (*wait_idle)();
        };
    signals.async_wait(on_signal);

    // systemd watchdog: ping from the event loop at half the configured interval.
    std::uint64_t watchdog_usec = 0;
    std::shared_ptr<net::steady_timer> watchdog;
    std::function<void()> ping;
    if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
        watchdog = std::make_shared<net::steady_timer>(io);
        ping = [&] {
            sd_notify(0, "WATCHDOG=1");
            watchdog->expires_after(std::chrono::microseconds(watchdog_usec / 2));
            watchdog->async_wait([&](const boost::system::error_code& ec) { if (!ec) ping(); });
        };
        ping();
    }

    if (!daemon->start()) {
        daemon.reset();
        return 1;
    }
    io.run();
    logger("daemon")->info("stopped");
    daemon.reset();  // stops the lab, if any, by PID
    return 0;
}

}  // namespace kea_ha::daemon
