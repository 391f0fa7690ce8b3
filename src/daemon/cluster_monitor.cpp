#include "kea_ha/daemon/cluster_monitor.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "kea_ha/core/ha_config_checks.hpp"
#include "kea_ha/core/exception_text.hpp"
#include "kea_ha/core/replication.hpp"
#include "kea_ha/core/poll_schedule.hpp"
#include "kea_ha/daemon/logging.hpp"
#include "kea_ha/daemon/preferences_file.hpp"
#include "kea_ha/daemon/state_writer.hpp"
#include "daemon/monitor_support.hpp"

namespace kea_ha::daemon {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

/// GET /v1/clusters/NAME/events lists the last kMaxEvents (docs/api.md). With a state
/// directory they live in the cluster's events journal and only the last kEventsInMemory are
/// also held in memory (the long polls' fast path): 500 events cost ~200 KB per cluster, which
/// a fleet of a few hundred clusters cannot hold for each (docs/performance.md, "Soak").
/// Without one, the memory is all there is.
constexpr std::size_t kMaxEvents = 500;
constexpr std::size_t kEventsInMemory = 32;
/// SPEC §4 (owner's answer on fleet CPU): before Kea 3.0 the clock comes from ha-heartbeat,
/// asked at most this often per peer, not at every poll.
constexpr auto kHeartbeatClockPeriod = std::chrono::seconds(30);
/// STYLE (errors): a loop that ended with an exception starts again after a pause, 1 s at
/// first, doubled at each failure in a row up to 30 s: a bug that fails every round does not
/// spin, and one that happens once costs a second of polling.
constexpr core::Duration kFirstRestartPause = std::chrono::seconds(1);
constexpr core::Duration kMaxRestartPause = std::chrono::seconds(30);

long long whole_seconds(core::Duration pause) {
    return std::chrono::duration_cast<std::chrono::seconds>(pause).count();
}

nlohmann::json to_json(const core::Event& event) {
    return {{"when", iso8601(event.when)},
            {"cluster", event.cluster},
            {"peer", event.peer ? nlohmann::json(*event.peer) : nlohmann::json()},
            {"kind", event.kind},
            {"from", event.from},
            {"to", event.to},
            {"reason", event.reason}};
}

/// An event as the API and the journal show it: to_json() and its `seq`.
nlohmann::json event_line(const core::Event& event, std::uint64_t seq) {
    auto j = to_json(event);
    j["seq"] = seq;
    return j;
}

/// One error line per problem a journal read reported (docs/logging.md).
void log_journal_problems(const std::string& cluster, const std::vector<StoreProblem>& problems) {
    for (const auto& problem : problems) {
        logger("daemon")->error("state journal damaged cluster={} file={} problem={}", cluster, problem.file,
                                quote_field(problem.message));
    }
}

std::optional<core::Event> event_from_json(const nlohmann::json& j) {
    if (!j.is_object()) return std::nullopt;
    core::Event event;
    event.cluster = j.value("cluster", "");
    if (j.contains("peer") && j["peer"].is_string()) event.peer = j["peer"].get<std::string>();
    event.kind = j.value("kind", "");
    event.from = j.value("from", "");
    event.to = j.value("to", "");
    event.reason = j.value("reason", "");
    // Stored as ISO-8601 UTC; parse back without locale.
    std::tm tm{};
    const std::string when = j.value("when", "");
    if (std::sscanf(when.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        event.when = std::chrono::system_clock::from_time_t(timegm(&tm));
    }
    return event;
}

}  // namespace

/// Control URL rules for this registration and the current preferences.
static core::ControlUrlRules rules_for(const Registration& registration, const core::Preferences& prefs) {
    core::ControlUrlRules rules;
    rules.overrides = registration.control_urls;
    rules.control_agent_port = prefs.control_agent_port;
    rules.direct = registration.transport == kea::Transport::Direct;
    return rules;
}

core::Result<std::optional<kea::Credentials>> credentials_for(const Registration& registration,
                                                               const std::optional<kea::Credentials>& fallback,
                                                               std::string_view url, const CredentialRules& rules) {
    if (!registration.auth_user && !registration.auth_password_file) {
        if (!fallback || !core::url_matches_any(rules.hosts, url)) return std::optional<kea::Credentials>();
        return fallback;
    }
    if (!registration.auth_user || !registration.auth_password_file) {
        return core::make_error(core::ErrorKind::Invalid,
                                "auth needs both a user and a password_file (cluster " + registration.name + ")");
    }
    auto password = read_secret_file(*registration.auth_password_file, "the cluster's password_file",
                                     rules.secrets_directory);
    if (!password) return password.error();
    return std::optional<kea::Credentials>(kea::Credentials{*registration.auth_user, std::move(*password)});
}

net::awaitable<core::Result<Discovery>> discover_topology(kea::ControlAgentClient& client,
                                                          const core::Preferences& preferences,
                                                          const Registration& registration,
                                                          std::optional<kea::Credentials> credentials) {
    auto endpoint = kea::parse_endpoint(registration.url);
    if (!endpoint) co_return endpoint.error();
    Discovery found;
    std::optional<nlohmann::json> arguments;
    if (registration.transport) {
        found.transport = *registration.transport;
    } else {
        // SPEC §2: a CA answers a config-get without a service with its own config; a Kea 3
        // daemon's own socket with the service's config, which is what we read next anyway.
        kea::PeerLink probe(client, *endpoint, kea::Transport::Direct, registration.service, credentials);
        auto answer = kea::require_success(co_await probe.send(probe.command("config-get"), preferences.config_timeout),
                                           "config-get");
        if (!answer) co_return answer.error();
        auto transport = kea::transport_from_config_get(answer->arguments, registration.service);
        if (!transport) co_return transport.error();
        found.transport = *transport;
        if (found.transport == kea::Transport::Direct) arguments = std::move(answer->arguments);
    }
    kea::PeerLink link(client, *endpoint, found.transport, registration.service, credentials);
    if (auto learned = co_await link.learn_version(preferences.request_timeout); !learned) {
        // Not fatal: an unknown version is handled as the oldest supported (kea_version.hpp).
        logger("kea")->warn("cannot learn the Kea version cluster={} url={} error={}", registration.name,
                            redact_url(registration.url), quote_field(learned.error().describe()));
    }
    found.capabilities = link.capabilities();
    if (!arguments) {
        auto answer = kea::require_success(co_await link.send(link.command("config-get"), preferences.config_timeout),
                                           "config-get");
        if (!answer) co_return answer.error();
        arguments = std::move(answer->arguments);
    }
    auto rules = rules_for(registration, preferences);
    rules.multi_threading_default = found.capabilities.ha_multi_threading_default;
    rules.direct = found.transport == kea::Transport::Direct;
    auto topology = core::learn_topology(*arguments, registration.service, registration.url, rules,
                                         registration.name, registration.relationship.value_or(""));
    if (!topology) co_return topology.error();
    found.topology = std::move(*topology);
    co_return found;
}

ClusterMonitor::ClusterMonitor(MonitorContext context, Registration registration)
    : context_(std::move(context)), registration_(std::move(registration)) {}

ClusterMonitor::~ClusterMonitor() = default;

std::shared_ptr<ClusterMonitor> ClusterMonitor::create(MonitorContext context, Registration registration,
                                                       std::optional<core::Topology> topology,
                                                       const nlohmann::json& stored) {
    std::shared_ptr<ClusterMonitor> monitor(new ClusterMonitor(std::move(context), std::move(registration)));
    monitor->load_journals(stored);
    if (stored.is_object()) {
        if (const auto& book = stored.value("replication", nlohmann::json::object()); book.is_object()) {
            monitor->book_.generation = book.value("generation", std::uint64_t{0});
            if (book.contains("carries") && book["carries"].is_object()) {
                for (const auto& [peer, generation] : book["carries"].items()) {
                    if (generation.is_number_unsigned()) monitor->book_.carries[peer] = generation.get<std::uint64_t>();
                }
            }
            if (book.contains("unpersisted") && book["unpersisted"].is_object()) {
                for (const auto& [peer, entry] : book["unpersisted"].items()) {
                    if (!entry.is_object() || !entry.contains("durable") || !entry["durable"].is_number_unsigned()) {
                        continue;
                    }
                    ReplicationBook::Unpersisted kept;
                    kept.durable = entry["durable"].get<std::uint64_t>();
                    if (entry.contains("identity") && entry["identity"].is_string()) {
                        kept.identity = entry["identity"].get<std::string>();
                    }
                    monitor->book_.unpersisted[peer] = std::move(kept);
                    monitor->schedule_persist_retry(peer);  // config-write again once it is usable
                }
            }
            if (book.contains("sot_etag") && book["sot_etag"].is_string()) {
                monitor->book_.sot_etag = book["sot_etag"].get<std::string>();
                monitor->book_.sot_peer = book.value("sot_peer", "");
            }
        }
        // SPEC §10 / issue 3: a restart while the primary is down still knows the peers.
        if (!topology && stored.contains("topology_source")) {
            auto cached = core::learn_topology(stored["topology_source"], monitor->registration_.service,
                                               monitor->registration_.url,
                                               rules_for(monitor->registration_, *monitor->context_.preferences),
                                               monitor->registration_.name,
                                               monitor->registration_.relationship.value_or(""));
            if (cached) {
                monitor->adopt_topology(std::move(*cached), "cache");
            } else {
                logger("health")->warn("cached topology unusable cluster={} error={}",
                                       monitor->registration_.name, quote_field(cached.error().describe()));
            }
        }
    }
    if (topology) monitor->adopt_topology(std::move(*topology), "registration");
    monitor->evaluate_and_apply();
    monitor->persist();
    return monitor;
}

void ClusterMonitor::start() { spawn_discover_loop(core::Duration::zero()); }

void ClusterMonitor::spawn_discover_loop(core::Duration pause) {
    auto self = shared_from_this();
    after_pause(pause, [self] {
        net::co_spawn(self->context_.io, [self]() { return self->discover_loop(); }, [self](std::exception_ptr e) {
            if (!e) return;
            // STYLE: one cluster's bug never stops the others, nor this cluster's monitoring.
            auto log = logger("health");
            if (self->stopped_) {
                log->error("cluster loop failed, not restarted (stopped) cluster={} error={}", self->registration_.name,
                           quote_field(core::exception_text(e)));
                return;
            }
            const auto pause = self->next_restart_pause("");
            log->error("cluster loop failed, restarting in {} s cluster={} error={}", whole_seconds(pause),
                       self->registration_.name, quote_field(core::exception_text(e)));
            self->spawn_discover_loop(pause);
        });
    });
}

void ClusterMonitor::spawn_poll_loop(std::size_t peer_index, std::uint64_t epoch, core::Duration pause) {
    auto self = shared_from_this();
    after_pause(pause, [self, peer_index, epoch] {
        // A loop of an older epoch is not restarted: the discovery loop started its successors.
        if (epoch != self->topology_epoch_ || !self->topology_) return;
        const std::string peer = self->topology_->peers.at(peer_index).name;
        net::co_spawn(self->context_.io, self->poll_loop(peer_index, epoch),
                      [self, peer_index, epoch, peer](std::exception_ptr e) {
                          if (!e) return;
                          auto log = logger("health");
                          const auto& cluster = self->registration_.name;
                          if (self->stopped_ || epoch != self->topology_epoch_) {
                              log->error("poll loop failed, not restarted ({}) cluster={} peer={} error={}",
                                         self->stopped_ ? "stopped" : "peers changed", cluster, peer,
                                         quote_field(core::exception_text(e)));
                              return;
                          }
                          // Until it runs again the peer's observation stands still; the
                          // condition it shows is the last one polled.
                          const auto pause = self->next_restart_pause(peer);
                          log->error("poll loop failed, restarting in {} s cluster={} peer={} error={}",
                                     whole_seconds(pause), cluster, peer, quote_field(core::exception_text(e)));
                          self->spawn_poll_loop(peer_index, epoch, pause);
                      });
    });
}

core::Duration ClusterMonitor::next_restart_pause(const std::string& key) {
    auto [entry, fresh] = restart_backoff_.try_emplace(key, kFirstRestartPause);
    const auto pause = entry->second;
    entry->second = std::min(pause * 2, kMaxRestartPause);
    return pause;
}

void ClusterMonitor::after_pause(core::Duration pause, std::function<void()> then) {
    if (stopped_) return;  // never a restart after shutdown
    if (pause <= core::Duration::zero()) {
        then();
        return;
    }
    auto self = shared_from_this();
    auto timer = make_timer();  // stop() cancels it
    ++running_;                 // idle() waits for the restart to be decided
    timer->expires_after(pause);
    timer->async_wait([self, timer, then = std::move(then)](const boost::system::error_code& ec) {
        --self->running_;
        if (!ec && !self->stopped_) then();
    });
}

void ClusterMonitor::fault_point(std::string_view step, const std::string& peer) const {
    if (fault_) fault_(step, peer);
}

void ClusterMonitor::stop() {
    stopped_ = true;
    ++topology_epoch_;
    for (auto& weak : timers_) {
        if (auto timer = weak.lock()) timer->cancel();
    }
}

void ClusterMonitor::reload_credentials() {
    if (!topology_) return;
    build_links();
    ++topology_epoch_;  // the poll loops hold their prepared requests: new ones take the new links
}

std::shared_ptr<net::steady_timer> ClusterMonitor::make_timer() {
    std::erase_if(timers_, [](const auto& weak) { return weak.expired(); });
    auto timer = std::make_shared<net::steady_timer>(context_.io);
    timers_.push_back(timer);
    return timer;
}

core::ClusterState ClusterMonitor::state() const {
    return view_ ? view_->state : core::ClusterState::Unreachable;
}

void ClusterMonitor::adopt_topology(core::Topology topology, const char* how) {
    const bool same_peers = topology_ && topology_->peers == topology.peers;
    auto log = logger("health");
    if (!same_peers) {
        std::string peers;
        for (const auto& peer : topology.peers) {
            if (!peers.empty()) peers += ",";
            peers += peer.name + "(" + std::string(core::to_string(peer.role)) + ")";
        }
        log->info("topology learned cluster={} from={} mode={} peers={}", registration_.name, how,
                  core::to_string(topology.mode), peers);
        observations_.assign(topology.peers.size(), std::nullopt);
        ++topology_epoch_;
    }
    topology_ = std::move(topology);
    build_links();
}

core::Result<std::optional<kea::Credentials>> ClusterMonitor::cluster_credentials(std::string_view url) const {
    const auto& prefs = *context_.preferences;
    return credentials_for(registration_,
                           context_.credentials ? *context_.credentials : std::optional<kea::Credentials>(), url,
                           CredentialRules{core::kea_credential_hosts(prefs), prefs.secrets_directory});
}

void ClusterMonitor::build_links() {
    if (!topology_) return;
    const auto transport = registration_.transport.value_or(kea::Transport::Agent);
    bool transport_changed = false;
    std::map<std::string, std::shared_ptr<kea::PeerLink>> links;
    for (const auto& peer : topology_->peers) {
        auto endpoint = kea::parse_endpoint(peer.control_url);
        if (!endpoint) continue;  // prepare_polls() reports it
        auto old = links_.find(peer.name);
        // Issue 32: per peer, so keaAuthUser's password goes only to the allowed hosts.
        auto credentials = cluster_credentials(peer.control_url);
        if (!credentials) {
            logger("kea")->error("cannot read the cluster's credentials cluster={} error={}", registration_.name,
                                 quote_field(credentials.error().describe()));
            credentials = std::optional<kea::Credentials>();
        }
        auto link = std::make_shared<kea::PeerLink>(context_.client, std::move(*endpoint), transport,
                                                    registration_.service, *credentials);
        // The version is a fact of the peer, not of the link: keep it while the URL is the same.
        if (old != links_.end() && old->second->endpoint().text == link->endpoint().text) {
            link->set_version(old->second->capabilities().version);
        }
        // A transport found out after the polls started (a cluster declared in preferences.cfg):
        // the poll loops hold requests built for the old one, so they start again.
        if (old != links_.end() && old->second->transport() != transport) transport_changed = true;
        links.emplace(peer.name, std::move(link));
    }
    links_ = std::move(links);
    if (transport_changed) ++topology_epoch_;
}

std::shared_ptr<kea::PeerLink> ClusterMonitor::link_for(const core::HaPeer& peer) {
    if (auto found = links_.find(peer.name); found != links_.end()) return found->second;
    // Not in the topology (a URL that does not parse): a link whose every request fails with why.
    auto endpoint = kea::parse_endpoint(peer.control_url);
    kea::Endpoint unusable;
    unusable.text = peer.control_url;
    return std::make_shared<kea::PeerLink>(context_.client, endpoint ? *endpoint : unusable,
                                           registration_.transport.value_or(kea::Transport::Agent),
                                           registration_.service, std::nullopt);
}

net::awaitable<core::Result<core::Topology>> ClusterMonitor::read_topology() {
    const auto& prefs = *context_.preferences;
    const auto* sot = view_ && view_->source_of_truth && topology_ ? topology_->find_peer(*view_->source_of_truth)
                                                                   : nullptr;
    if ((!sot || sot->role == core::PeerRole::Primary) && topology_ && registration_.transport &&
        topology_->primary()) {
        // The periodic re-read of a known cluster: through fetch_config(), so that on Kea ≥ 2.4
        // an unchanged config is confirmed by its hash instead of read again.
        const core::HaPeer primary = *topology_->primary();
        auto document = co_await fetch_config(primary);
        if (!document) co_return document.error();
        auto rules = rules_for(registration_, prefs);
        rules.multi_threading_default = link_for(primary)->capabilities().ha_multi_threading_default;
        co_return core::learn_topology(*document, registration_.service, registration_.url, rules,
                                       registration_.name, registration_.relationship.value_or(""));
    }
    if (!sot || sot->role == core::PeerRole::Primary) {
        auto credentials = cluster_credentials(registration_.url);
        if (!credentials) co_return credentials.error();
        auto found = co_await discover_topology(context_.client, prefs, registration_, *credentials);
        if (!found) co_return found.error();
        if (!registration_.transport) registration_.transport = found->transport;
        co_return std::move(found->topology);
    }
    // The primary is away: learn the same relationship from the SoT's own config.
    const core::Topology known = *topology_;
    const core::HaPeer source = *sot;  // topology_ may change while we wait
    auto document = co_await fetch_config(source);
    if (!document) co_return document.error();
    auto rules = rules_for(registration_, prefs);
    rules.multi_threading_default = link_for(source)->capabilities().ha_multi_threading_default;
    co_return core::learn_topology_from_peer(*document, source.name, known, rules);
}

net::awaitable<void> ClusterMonitor::discover_loop() {
    auto self = shared_from_this();
    RunningGuard running(running_);
    auto timer = make_timer();
    auto next_config_read = core::SteadyClock::now();
    while (!stopped_) {
        const auto& prefs = *context_.preferences;
        if (core::SteadyClock::now() >= next_config_read) {
            // Read the config from the SoT when there is one, else from the registered primary.
            auto learned = co_await read_topology();
            if (stopped_) break;
            if (learned) {
                if (discovery_error_) {
                    logger("health")->info("config read again cluster={}", registration_.name);
                }
                discovery_error_.reset();
                adopt_topology(std::move(*learned), "config-get");
                next_config_read = core::SteadyClock::now() + prefs.config_sync_interval;
                persist_later();  // the periodic re-read: not worth a wait on the event loop
                co_await check_peer_configs();
                if (stopped_) break;
                schedule("check-sync", [self]() { return self->check_sync_locked(); });
            } else {
                if (!discovery_error_ || *discovery_error_ != learned.error().describe()) {
                    logger("health")->warn("cannot read config cluster={} error={}", registration_.name,
                                           quote_field(learned.error().describe()));
                }
                discovery_error_ = learned.error().describe();
                // Without any topology retry at the poll interval; with one, at the sync interval.
                next_config_read = core::SteadyClock::now() +
                                   (topology_ ? std::min<core::Duration>(prefs.config_sync_interval, 30s)
                                              : prefs.poll_interval);
            }
            evaluate_and_apply();
        }
        // A member, not a local: a discovery loop restarted after a failure must not start a
        // second set of pollers for the epoch whose pollers still run.
        if (topology_ && polling_epoch_ != topology_epoch_) {
            polling_epoch_ = topology_epoch_;
            for (std::size_t i = 0; i < topology_->peers.size(); ++i) {
                spawn_poll_loop(i, polling_epoch_, core::Duration::zero());
            }
        }
        restart_backoff_.erase("");  // a round done: the next failure pauses 1 s again
        timer->expires_after(std::min<core::Duration>(prefs.poll_interval, 1s));
        boost::system::error_code ec;
        co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
    }
}

net::awaitable<void> ClusterMonitor::check_peer_configs() {
    // SPEC §4: the HA config of a peer that disagrees with the primary's is a warning, and so are
    // the HA config checks across the peers (issue 27 point 6: subnet ids, lease_cmds on every
    // peer, load-balancing pools, HA listeners). Read each peer's config (at keaConfigSyncInterval
    // only: config-get is heavy on large configs; the primary's is usually confirmed by its hash)
    // and compare; a peer that cannot be read now is simply not compared.
    if (!topology_ || topology_->mode == core::HaMode::Standalone) co_return;
    const core::Topology known = *topology_;
    const auto epoch = topology_epoch_;
    std::vector<core::Warning> found;
    std::vector<std::pair<std::string, nlohmann::json>> documents;
    for (const auto& peer : known.peers) {
        auto document = co_await fetch_config(peer);
        if (stopped_) co_return;
        if (!document) {
            logger("health")->debug("peer config not compared cluster={} peer={} error={}", registration_.name,
                                    peer.name, quote_field(document.error().describe()));
            continue;
        }
        if (peer.name != known.this_server_name) {
            for (auto& warning : core::compare_peer_topology(known, peer.name, *document)) {
                found.push_back(std::move(warning));
            }
        }
        // Only what the checks read: a large config is mostly host reservations.
        documents.emplace_back(peer.name, core::ha_check_view(*document, known.service));
    }
    std::vector<core::PeerConfigDocument> views;
    for (const auto& [name, document] : documents) views.push_back({name, &document});
    auto rules = rules_for(registration_, *context_.preferences);
    if (const auto* primary = known.primary()) {
        rules.multi_threading_default = link_for(*primary)->capabilities().ha_multi_threading_default;
    }
    for (auto& warning : core::check_ha_configs(known, views, rules)) found.push_back(std::move(warning));
    if (!topology_ || epoch != topology_epoch_) co_return;  // the topology moved meanwhile
    auto& warnings = topology_->warnings;
    // Replace what the last round found; check_topology()'s own warnings (the primary's
    // lease-cmds-missing has no peer) stay.
    std::erase_if(warnings, [](const core::Warning& w) {
        namespace code = core::warning_code;
        return w.code == code::kPeerConfigMismatch || w.code == code::kSubnetIdMismatch ||
               w.code == code::kPoolsNotSplit || w.code == code::kListenerConflict ||
               (w.code == code::kLeaseCmdsMissing && w.peer.has_value());
    });
    warnings.insert(warnings.end(), found.begin(), found.end());
    evaluate_and_apply();
}

net::awaitable<void> ClusterMonitor::poll_loop(std::size_t peer_index, std::uint64_t epoch) {
    auto self = shared_from_this();
    RunningGuard running(running_);
    auto timer = make_timer();
    std::optional<core::SteadyTime> due;
    // The peer and its requests are fixed for this epoch: a change of peers bumps it.
    const core::HaPeer peer = topology_->peers.at(peer_index);
    const PollRequests requests = prepare_polls(peer);
    auto& counters = poll_counters_[peer.name];  // a std::map entry, never erased: stays valid
    HeartbeatClock clock;
    // SPEC §11: the version decides what a poll asks (the clock's source), so it is learned
    // before the first poll, and again after the peer was away (a restart may be an upgrade).
    // Until it is known the peer is handled as the oldest release.
    bool need_version = true;
    bool last_reached = true;
    while (!stopped_ && epoch == topology_epoch_) {
        if (requests.link && need_version && last_reached) {
            const auto before = requests.link->capabilities().version;
            auto learned = co_await requests.link->learn_version(context_.preferences->request_timeout);
            if (stopped_ || epoch != topology_epoch_) break;
            if (learned) {
                need_version = false;
                const auto& now_known = requests.link->capabilities().version;
                if (now_known != before) {
                    logger("kea")->info("kea version cluster={} peer={} version={}", registration_.name, peer.name,
                                        now_known ? kea::to_string(*now_known) : "unknown");
                    clock = HeartbeatClock{};  // where the clock comes from may have changed
                }
            } else {
                // Kea answered but would not tell: asking again at every poll would not help.
                if (learned.error().kind == core::ErrorKind::KeaError) need_version = false;
                logger("kea")->debug("version-get failed cluster={} peer={} error={}", registration_.name,
                                     peer.name, quote_field(learned.error().describe()));
            }
        }
        const auto started = core::SteadyClock::now();
        auto observation = co_await poll_peer(peer, requests, clock);
        if (stopped_ || epoch != topology_epoch_) break;
        if (!observation.reached) need_version = true;
        last_reached = observation.reached;
        ++counters.polls;
        if (!observation.reached) ++counters.errors;
        observations_.at(peer_index) = std::move(observation);
        evaluate_and_apply();
        if (!restart_backoff_.empty()) restart_backoff_.erase(peer.name);  // a round done
        // Re-armed after the poll: no overlap; a slow peer delays only itself. On the poll grid:
        // many peers' polls share one wake-up (core/poll_schedule.hpp).
        due = core::next_poll_due(due, started, context_.preferences->poll_interval, core::SteadyClock::now());
        timer->expires_at(*due);
        boost::system::error_code ec;
        co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
    }
}

ClusterMonitor::PollRequests ClusterMonitor::prepare_polls(const core::HaPeer& peer) const {
    PollRequests requests;
    auto endpoint = kea::parse_endpoint(peer.control_url);
    auto link = links_.find(peer.name);
    if (!endpoint || link == links_.end()) {
        requests.bad_url = endpoint ? core::make_error(core::ErrorKind::Internal, "no link", peer.control_url)
                                    : endpoint.error();
        return requests;
    }
    requests.link = link->second;
    // Only what the readers look at is built from the answers (core::poll_answer_keys()).
    auto status = requests.link->command("status-get");
    status.answer_keys = core::poll_answer_keys();
    auto heartbeat = requests.link->command("ha-heartbeat");
    heartbeat.answer_keys = core::poll_answer_keys();
    requests.status_get = requests.link->prepare(status);
    requests.ha_heartbeat = requests.link->prepare(heartbeat);
    return requests;
}

net::awaitable<core::PeerObservation> ClusterMonitor::poll_peer(const core::HaPeer& peer,
                                                                 const PollRequests& requests,
                                                                 HeartbeatClock& clock) {
    const auto& prefs = *context_.preferences;
    core::PeerObservation observation;
    observation.observed_at = core::SteadyClock::now();
    observation.observed_wall = core::SystemClock::now();
    if (requests.bad_url) {
        observation.error = *requests.bad_url;
        co_return observation;
    }
    fault_point("status-get", peer.name);
    auto status = co_await requests.link->send_prepared(requests.status_get, prefs.request_timeout);
    observation.latency = std::chrono::duration_cast<std::chrono::microseconds>(core::SteadyClock::now() -
                                                                     observation.observed_at);
    auto checked = kea::require_success(std::move(status), "status-get");
    if (!checked) {
        observation.error = checked.error();
        logger("health")->debug("poll failed cluster={} peer={} error={}", registration_.name, peer.name,
                                quote_field(checked.error().describe()));
        co_return observation;
    }
    observation.reached = true;
    // Hub and spoke (Kea ≥ 2.6): pick the relationship this cluster is about.
    const std::string partner = topology_ && peer.name != topology_->this_server_name ? topology_->this_server_name
                                                                                      : std::string();
    core::read_status_get(checked->arguments, observation, peer.name, partner);
    if (topology_ && topology_->mode != core::HaMode::Standalone &&
        requests.link->clock_source() == kea::ClockSource::HaHeartbeat) {
        // Before Kea 3.0 only ha-heartbeat carries the peer's clock: asked at most every
        // kHeartbeatClockPeriod; in between, the last reading stands (SPEC §4).
        const auto now = core::SteadyClock::now();
        if (!clock.asked_at || now - *clock.asked_at >= kHeartbeatClockPeriod) {
            const auto wall_before = core::SystemClock::now();
            auto heartbeat = kea::require_success(
                co_await requests.link->send_prepared(requests.ha_heartbeat, prefs.request_timeout),
                "ha-heartbeat");
            if (heartbeat) {
                clock.asked_at = now;
                core::PeerObservation read;
                core::read_ha_heartbeat(heartbeat->arguments, read);
                clock.peer_time = read.peer_time;
                // Kea stamped `date-time` while answering: the middle of the round trip.
                clock.observed_wall = wall_before + (core::SystemClock::now() - wall_before) / 2;
            }
        }
        if (clock.peer_time) {
            observation.peer_time = clock.peer_time;
            observation.observed_wall = clock.observed_wall;
        }
    }
    logger("health")->debug("poll cluster={} peer={} ha_state={} latency_ms={:.3f}", registration_.name, peer.name,
                            observation.ha_state.value_or("-"),
                            std::chrono::duration<double, std::milli>(observation.latency).count());
    co_return observation;
}

void ClusterMonitor::evaluate_and_apply() {
    const auto& prefs = *context_.preferences;
    core::HealthSettings settings;
    settings.clock_skew_warning = prefs.clock_skew_warning;
    settings.cluster = registration_.name;
    auto view = core::evaluate(topology_ ? &*topology_ : nullptr, observations_, memory_,
                               core::SteadyClock::now(), core::SystemClock::now(), settings);
    memory_ = view.next_memory;
    for (const auto& warning : view.new_warnings) {
        logger("health")->warn("warning raised cluster={} peer={} code={} message={}", registration_.name,
                               warning.peer.value_or("-"), warning.code, quote_field(warning.message));
    }
    bool state_changed = false;
    for (const auto& event : view.events) {
        record(event);
        if (event.kind == "cluster-state") state_changed = true;
    }
    view_ = std::move(view);
    // Off the event loop: a mass outage changes every cluster at once (state_writer.hpp).
    if (!view_->events.empty()) persist_later();
    // Also with nothing new when a failed write is due to be looked at again (retry_).
    if (!view_->events.empty() || !first_sot_seen_ || !retry_.empty() || !persist_retry_.empty()) {
        consider_replication(view_->events);
    }
    if (state_changed && context_.on_state_change) context_.on_state_change();
}

void ClusterMonitor::record(const core::Event& event) {
    auto log = logger("health");
    if (event.kind == "cluster-state") {
        const bool worse = event.to != "OK";
        log->log(worse ? spdlog::level::warn : spdlog::level::info,
                 "cluster state changed cluster={} from={} to={} reason={}", event.cluster, event.from, event.to,
                 quote_field(event.reason));
    } else if (event.kind == "source-of-truth") {
        log->info("source of truth changed cluster={} from={} to={} reason={}", event.cluster,
                  event.from.empty() ? "none" : event.from, event.to.empty() ? "none" : event.to,
                  quote_field(event.reason));
    } else if (event.kind == "peer-condition") {
        log->info("peer condition changed cluster={} peer={} from={} to={} reason={}", event.cluster,
                  event.peer.value_or("-"), event.from, event.to, quote_field(event.reason));
    } else {
        log->info("{} cluster={} peer={} from={} to={} reason={}", event.kind, event.cluster,
                  event.peer.value_or("-"), event.from, event.to, quote_field(event.reason));
    }
    keep_event(event);
}

void ClusterMonitor::load_journals(const nlohmann::json& stored) {
    if (!context_.store) return;
    const auto& store = context_.store->store();
    const auto& name = registration_.name;
    std::vector<StoreProblem> problems;
    // The events: the journal's last kMaxEvents, or (moved from an older document) its list.
    // Numbered from 1 at each start (docs/api.md); the journal is rewritten when the numbers
    // stored in it differ (it then holds what GET /events answers, `seq` included).
    auto events = store.load_journal(name, Journal::Events, kMaxEvents, problems);
    bool rewrite = false;
    if (events.in_file == 0 && stored.is_object() && stored.contains("events") && stored["events"].is_array()) {
        for (const auto& j : stored["events"]) events.lines.push_back(j.dump());
        if (events.lines.size() > kMaxEvents) events.lines.erase(events.lines.begin(), events.lines.end() - kMaxEvents);
        rewrite = !events.lines.empty();
    }
    rewrite = rewrite || events.in_file > events.lines.size();  // compacted to what is kept
    std::vector<std::string> numbered;
    numbered.reserve(events.lines.size());
    for (const auto& line : events.lines) {
        const auto parsed = nlohmann::json::parse(line, nullptr, false);
        auto event = event_from_json(parsed);
        if (!event) continue;
        const auto seq = event_seq_ + 1;
        if (!parsed.contains("seq") || parsed["seq"] != seq) rewrite = true;
        numbered.push_back(event_line(*event, seq).dump());
        keep_event(std::move(*event), /*journal=*/false);
    }
    events_in_journal_ = numbered.size();
    if (rewrite) context_.store->replace_events_later(name, std::move(numbered));
    // The history: counted here, read when asked for; moved likewise from an older document.
    history_in_journal_ = store.load_journal(name, Journal::History, kHistoryEntries, problems).in_file;
    if (history_in_journal_ == 0 && stored.is_object() && stored.contains("history") && stored["history"].is_array()) {
        std::vector<std::string> lines;
        for (const auto& entry : stored["history"]) {
            if (entry.is_object() && entry.value("generation", nlohmann::json()).is_number_unsigned()) {
                lines.push_back(entry.dump());
            }
        }
        if (lines.size() > kHistoryEntries) lines.erase(lines.begin(), lines.end() - kHistoryEntries);
        // Before the document is written without them (the end of create()).
        if (auto written = store.replace_journal(name, Journal::History, lines); written) {
            history_in_journal_ = lines.size();
        } else {
            problems.push_back({name, "cannot move the history out of the cluster's document: " +
                                          written.error().describe()});
        }
    }
    log_journal_problems(name, problems);
}

void ClusterMonitor::keep_event(core::Event event, bool journal) {
    const auto seq = ++event_seq_;
    if (journal && context_.store) {
        context_.store->append_event_later(registration_.name, event_line(event, seq).dump());
        // Compacted to what the API lists once it holds twice that.
        if (++events_in_journal_ > 2 * kMaxEvents) {
            context_.store->compact_events_later(registration_.name, kMaxEvents);
            events_in_journal_ = kMaxEvents;
        }
    }
    events_.push_back(std::move(event));
    event_seqs_.push_back(seq);
    const std::size_t in_memory = context_.store ? kEventsInMemory : kMaxEvents;
    while (events_.size() > in_memory) {
        events_.pop_front();
        event_seqs_.pop_front();
    }
    // Wake the long polls (their timers' cancel is their signal).
    for (auto& weak : event_waiters_) {
        if (auto timer = weak.lock()) timer->cancel();
    }
    event_waiters_.clear();
}

nlohmann::json ClusterMonitor::events_after(std::uint64_t after) const {
    nlohmann::json list = nlohmann::json::array();
    // The ones in memory are enough when they reach back past `after`.
    const bool from_memory = !context_.store || event_seqs_.empty() || event_seqs_.front() <= after + 1;
    std::uint64_t last = after;
    if (!from_memory) {
        std::vector<StoreProblem> problems;
        for (const auto& line : context_.store->read_events(registration_.name, kMaxEvents, problems)) {
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned()) continue;
            const auto seq = j["seq"].get<std::uint64_t>();
            // Stop where memory starts: it also holds what a failed append did not write. A
            // number this process has not given is a line of an earlier one (its renumbering
            // at start could not be written): not shown.
            if (seq <= last || seq >= event_seqs_.front() || seq > event_seq_) continue;
            last = seq;
            list.push_back(std::move(j));
        }
        log_journal_problems(registration_.name, problems);
    }
    for (std::size_t i = 0; i < events_.size(); ++i) {
        if (event_seqs_[i] <= last) continue;
        list.push_back(event_line(events_[i], event_seqs_[i]));
    }
    // The last kMaxEvents (the file can hold more until it is compacted).
    if (list.size() > kMaxEvents) list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(list.size() - kMaxEvents));
    return list;
}

net::awaitable<nlohmann::json> ClusterMonitor::wait_events(std::uint64_t after, core::Duration wait) {
    RunningGuard running(running_);
    // A client that asks past the last seq (the controller restarted, numbering from 1): all.
    if (after > event_seq_) after = 0;
    auto list = events_after(after);
    if (!list.empty() || wait.count() <= 0 || stopped_) co_return list;
    auto timer = make_timer();  // stop() cancels it too
    // Issue 32: the polls that ended without an event (a quiet cluster) leave only expired
    // entries behind; they go here, so the list is as long as the polls waiting now.
    std::erase_if(event_waiters_, [](const auto& weak) { return weak.expired(); });
    event_waiters_.push_back(timer);
    timer->expires_after(wait);
    boost::system::error_code ec;
    co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
    co_return events_after(after);
}

void ClusterMonitor::persist() const { (void)persist_now(); }

core::Status ClusterMonitor::persist_now() const {
    if (!context_.store) return core::Done{};
    auto saved = context_.store->save_now(registration_.name, document_text());
    if (!saved) {
        logger("daemon")->error("cannot save cluster state cluster={} error={}", registration_.name,
                                quote_field(saved.error().describe()));
    }
    return saved;
}

void ClusterMonitor::persist_later() const {
    if (context_.store) context_.store->save_later(registration_.name, document_text());
}

std::string ClusterMonitor::document_text() const {
    nlohmann::json doc = {
        {"version", 1},
        {"registration",
         {{"name", registration_.name},
          {"url", registration_.url},
          {"service", registration_.service},
          {"control_urls", registration_.control_urls},
          {"declared", registration_.declared}}}};
    auto& stored = doc["registration"];
    if (registration_.transport) stored["transport"] = std::string(kea::to_string(*registration_.transport));
    if (registration_.auth_user) stored["auth_user"] = *registration_.auth_user;
    if (registration_.auth_password_file) stored["auth_password_file"] = *registration_.auth_password_file;
    if (registration_.relationship) stored["relationship"] = *registration_.relationship;
    if (topology_) doc["topology_source"] = topology_->source_config;
    doc["replication"] = {{"generation", book_.generation},
                          {"carries", book_.carries},
                          {"sot_etag", book_.sot_etag ? nlohmann::json(*book_.sot_etag) : nlohmann::json()},
                          {"sot_peer", book_.sot_peer}};
    if (!book_.unpersisted.empty()) {
        auto& kept = doc["replication"]["unpersisted"];
        for (const auto& [peer, entry] : book_.unpersisted) {
            kept[peer] = {{"durable", entry.durable},
                          {"identity", entry.identity ? nlohmann::json(*entry.identity) : nlohmann::json()}};
        }
    }
    // The events and the history are in their journals (load_journals(), keep_event(),
    // record_history()): this document stays small, and is rewritten whole.
    return doc.dump(2) + "\n";
}

nlohmann::json ClusterMonitor::summary() const {
    std::size_t warnings = view_ ? view_->warnings.size() : 0;
    return {{"name", registration_.name},
            {"service", registration_.service},
            {"state", std::string(core::to_string(state()))},
            {"mode", topology_ ? nlohmann::json(std::string(core::to_string(topology_->mode))) : nlohmann::json()},
            {"source_of_truth", view_ && view_->source_of_truth ? nlohmann::json(*view_->source_of_truth)
                                                                : nlohmann::json()},
            {"peers", topology_ ? topology_->peers.size() : 0},
            {"warnings", warnings},
            {"cause", view_ && view_->cause ? nlohmann::json(*view_->cause) : nlohmann::json()},
            {"split_brain", view_ && view_->split_brain ? nlohmann::json(*view_->split_brain) : nlohmann::json()}};
}

nlohmann::json ClusterMonitor::events() const { return events_after(0); }

nlohmann::json ClusterMonitor::relationships_of_peer(const std::string& peer) const {
    // SPEC §2 / issue 12: every HA relationship the peer takes part in, from its own config as
    // last read (Kea 2.4+ keep it, config_cache_); null until read (and always on 2.2, which
    // has one relationship: the cluster's).
    const auto cached = config_cache_.find(peer);
    if (cached == config_cache_.end()) return nullptr;
    const auto section = cached->second.document.find(core::service_key(registration_.service));
    if (section == cached->second.document.end()) return nullptr;
    auto parsed = core::parse_ha_relationships(*section, core::ControlUrlRules{});
    if (!parsed) return nullptr;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *parsed) {
        nlohmann::json names = nlohmann::json::array();
        for (const auto& member : r.peers) names.push_back(member.name);
        const auto* self = r.find_peer(r.this_server_name);  // parse_ha_relationships checked it is there
        out.push_back({{"this_server_name", r.this_server_name},
                       {"role", self ? std::string(core::to_string(self->role)) : ""},
                       {"peers", std::move(names)}});
    }
    return out;
}

/// SPEC §4: what a peer's status-get reports of its HA partner, each field null when this Kea
/// does not send it (docs/api.md).
static nlohmann::json partner_json(const core::PartnerReport& report) {
    const auto or_null = [](const auto& value) { return value ? nlohmann::json(*value) : nlohmann::json(); };
    return {{"name", or_null(report.name)},
            {"communication_interrupted", or_null(report.communication_interrupted)},
            {"in_touch", or_null(report.in_touch)},
            {"age_s", or_null(report.age_s)},
            {"unacked_clients", or_null(report.unacked_clients)},
            {"unacked_clients_left", or_null(report.unacked_clients_left)},
            {"connecting_clients", or_null(report.connecting_clients)},
            {"analyzed_packets", or_null(report.analyzed_packets)},
            {"last_state", or_null(report.last_state)},
            {"last_scopes", or_null(report.last_scopes)},
            {"clock_skew_s", or_null(report.clock_skew_s)}};
}

std::vector<std::string> ClusterMonitor::peer_urls() const {
    std::vector<std::string> urls;
    if (!topology_) return urls;
    for (const auto& peer : topology_->peers) {
        urls.push_back(peer.url);
        urls.push_back(peer.control_url);
    }
    return urls;
}

nlohmann::json ClusterMonitor::detail() const {
    nlohmann::json detail = summary();
    detail.erase("warnings");
    detail["url"] = redact_url(registration_.url);
    detail["transport"] = std::string(kea::to_string(registration_.transport.value_or(kea::Transport::Agent)));
    if (registration_.auth_user) detail["auth_user"] = *registration_.auth_user;
    // SPEC §2: the relationship this cluster manages (the primary's this-server-name in it).
    detail["relationship"] = topology_ ? nlohmann::json(topology_->this_server_name)
                                       : nlohmann::json(registration_.relationship.value_or(""));
    detail["declared"] = registration_.declared;
    detail["reason"] = view_ ? view_->reason : "";
    // SPEC §4: the peers' clocks against each other (cause and split_brain come with the summary).
    detail["clock_skew_s"] = view_ && view_->clock_skew_s ? nlohmann::json(*view_->clock_skew_s) : nlohmann::json();
    const bool replicate = context_.preferences->replicate_config &&
                           !(topology_ && topology_->config_backend);
    detail["replication"] = {
        {"enabled", replicate},
        {"reason", replicate ? nlohmann::json()
                             : nlohmann::json(context_.preferences->replicate_config
                                                  ? "Configuration Backend (config-control) in use"
                                                  : "keaReplicateConfig=0")},
        {"generation", book_.generation},
        {"replications_done", replications_done_},
        {"replications_failed", replications_failed_},
        {"last_replication_s", last_replication_s_ ? nlohmann::json(*last_replication_s_) : nlohmann::json()}};
    nlohmann::json peers = nlohmann::json::array();
    if (topology_ && view_) {
        for (std::size_t i = 0; i < topology_->peers.size(); ++i) {
            const auto& peer = topology_->peers[i];
            const auto* seen = i < observations_.size() && observations_[i] ? &*observations_[i] : nullptr;
            const auto* pv = i < view_->peers.size() ? &view_->peers[i] : nullptr;
            nlohmann::json p = {{"name", peer.name},
                                {"role", std::string(core::to_string(peer.role))},
                                {"url", redact_url(peer.url)},
                                {"control_url", redact_url(peer.control_url)},
                                {"condition", pv ? std::string(core::to_string(pv->condition)) : "unreachable"},
                                {"reason", pv ? pv->reason : "not polled yet"},
                                {"ha_state", seen && seen->ha_state ? nlohmann::json(*seen->ha_state) : nlohmann::json()},
                                {"last_seen", pv && pv->last_seen ? nlohmann::json(iso8601(*pv->last_seen)) : nlohmann::json()},
                                {"last_error", seen && seen->error ? nlohmann::json(seen->error->describe()) : nlohmann::json()},
                                {"in_sync", in_sync_.count(peer.name) ? nlohmann::json(in_sync_.at(peer.name)) : nlohmann::json()},
                                {"clock_skew_s", pv && pv->clock_skew_s ? nlohmann::json(*pv->clock_skew_s) : nlohmann::json()},
                                {"poll_latency_ms",
                                 seen ? nlohmann::json(std::chrono::duration<double, std::milli>(seen->latency).count())
                                      : nlohmann::json()}};
            const auto link = links_.find(peer.name);
            p["kea_version"] = link != links_.end() && link->second->capabilities().version
                                   ? nlohmann::json(kea::to_string(*link->second->capabilities().version))
                                   : nlohmann::json();
            p["relationships"] = relationships_of_peer(peer.name);
            p["partner"] = pv && pv->partner ? partner_json(*pv->partner) : nlohmann::json();
            peers.push_back(std::move(p));
        }
    }
    detail["peers"] = std::move(peers);
    nlohmann::json warnings = nlohmann::json::array();
    if (view_) {
        for (const auto& w : view_->warnings) {
            nlohmann::json j = {{"code", w.code}, {"message", w.message}};
            if (w.peer) j["peer"] = *w.peer;
            warnings.push_back(std::move(j));
        }
    }
    if (discovery_error_) {
        warnings.push_back({{"code", "config-unreadable"}, {"message", "cannot read the config: " + *discovery_error_}});
    }
    detail["warnings"] = std::move(warnings);
    return detail;
}

}  // namespace kea_ha::daemon

namespace kea_ha::daemon {

ClusterMetrics ClusterMonitor::metrics() const {
    ClusterMetrics out;
    out.name = registration_.name;
    out.state = state();
    out.warnings = view_ ? view_->warnings.size() : 0;
    if (view_) {
        out.cause = view_->cause;
        out.split_brain = view_->split_brain.has_value();
        out.clock_skew_s = view_->clock_skew_s;
        out.source_of_truth = view_->source_of_truth;
    }
    out.replications_done = replications_done_;
    out.replications_failed = replications_failed_;
    out.last_replication_s = last_replication_s_;
    if (!topology_) return out;
    for (std::size_t i = 0; i < topology_->peers.size(); ++i) {
        const auto& peer = topology_->peers[i];
        const auto* seen = i < observations_.size() && observations_[i] ? &*observations_[i] : nullptr;
        const auto* pv = view_ && i < view_->peers.size() ? &view_->peers[i] : nullptr;
        PeerMetrics p;
        p.name = peer.name;
        p.role = std::string(core::to_string(peer.role));
        p.condition = pv ? std::string(core::to_string(pv->condition)) : "unreachable";
        if (seen) p.poll_latency_s = std::chrono::duration<double>(seen->latency).count();
        if (auto found = poll_counters_.find(peer.name); found != poll_counters_.end()) {
            p.polls = found->second.polls;
            p.poll_errors = found->second.errors;
        }
        if (pv) p.clock_skew_s = pv->clock_skew_s;
        if (pv && pv->partner) {
            p.partner_communication_interrupted = pv->partner->communication_interrupted;
            p.partner_unacked_clients = pv->partner->unacked_clients;
        }
        if (auto found = in_sync_.find(peer.name); found != in_sync_.end()) p.in_sync = found->second;
        out.peers.push_back(std::move(p));
    }
    return out;
}

}  // namespace kea_ha::daemon
