#pragma once
// One cluster at the edge: discovers its topology, polls every peer concurrently, feeds the
// observations to the core (core::evaluate), and acts on the decisions: logs and records
// each change once, keeps the view the API shows, persists what must survive a restart.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "kea_ha/core/cluster_health.hpp"
#include "kea_ha/core/preferences.hpp"
#include "kea_ha/core/replication.hpp"
#include "kea_ha/core/topology.hpp"
#include "kea_ha/daemon/peer_locks.hpp"
#include "kea_ha/kea/control_agent.hpp"
#include "kea_ha/kea/peer_link.hpp"

namespace kea_ha::daemon {

class StateWriter;

/// What a user registered (SPEC §2), or what preferences.cfg declared.
struct Registration {
    std::string name;
    std::string url;                                  ///< the primary's control URL
    std::string service = "dhcp4";
    std::map<std::string, std::string> control_urls;  ///< per-peer overrides
    /// SPEC §2: the registered primary's this-server-name in the relationship to manage (a
    /// server in several); empty: the one where it is primary.
    std::optional<std::string> relationship;
    bool declared = false;                            ///< from preferences.cfg: not removable via API
    /// The cluster's own credentials (SPEC §2 `auth`); without them keaAuthUser/keaAuthPasswordFile.
    std::optional<std::string> auth_user;
    std::optional<std::string> auth_password_file;
    /// SPEC §2: found out at registration (config-get without a service), then kept.
    std::optional<kea::Transport> transport;
};

/// The credentials a registration's peers are reached with: its own `auth` (the password
/// file read now), else `fallback` (keaAuthUser / keaAuthPasswordFile). Invalid when the
/// cluster's password file cannot be read, or has a user without a password file.
/// Issue 32: where credentials may go, and where secret files may be read from.
struct CredentialRules {
    std::vector<core::HostPattern> hosts;  ///< core::kea_credential_hosts(): for `fallback` only
    std::string secrets_directory;         ///< secretsDirectory
};
/// The credentials for `url` (one of the registration's peers): its own `auth` (read now), or
/// `fallback` when `url`'s host is in rules.hosts (else none: keaAuthUser's password is never
/// sent to a host the operator did not name).
core::Result<std::optional<kea::Credentials>> credentials_for(const Registration& registration,
                                                               const std::optional<kea::Credentials>& fallback,
                                                               std::string_view url, const CredentialRules& rules);

/// Shared by every monitor; outlives them.
struct MonitorContext {
    boost::asio::io_context& io;
    kea::ControlAgentClient& client;
    const core::Preferences* preferences;   ///< the daemon's current settings (changed by SIGHUP)
    StateWriter* store;                     ///< null: nothing persisted (tests)
    /// keaAuthUser + keaAuthPasswordFile (changed by SIGHUP); null or empty: none.
    const std::optional<kea::Credentials>* credentials = nullptr;
    std::function<void()> on_state_change;  ///< a cluster state changed (systemd STATUS, …)
    /// Issue 12: config operations on a peer serialize across the clusters that share it (a
    /// hub). Null: this monitor serializes only with itself (tests with one cluster).
    PeerLocks* peer_locks = nullptr;
};

/// Test seam (ClusterMonitor::set_fault): called before each step the monitor's tasks take
/// with a peer: "status-get" (a poll), "config-get", "config-test", "config-set",
/// "config-write". A test throws from it to stand for a bug at that step.
using FaultHook = std::function<void(std::string_view step, const std::string& peer)>;

/// What discovery learns from the registered primary.
struct Discovery {
    core::Topology topology;
    kea::Transport transport = kea::Transport::Agent;
    kea::KeaCapabilities capabilities;   ///< of the registered primary (version-get)
};

/// Finds out the transport when the registration does not know it yet (SPEC §2), asks the
/// primary's version (version-get), reads its config and learns the topology. Transport
/// failures keep their ErrorKind (the API answers 502); a config that is not a usable HA
/// primary is Invalid or Conflict (422). `credentials` by value: a coroutine would keep a
/// reference to a caller's temporary (`std::nullopt`) after it is gone.
boost::asio::awaitable<core::Result<Discovery>> discover_topology(
    kea::ControlAgentClient& client, const core::Preferences& preferences,
    const Registration& registration, std::optional<kea::Credentials> credentials);

/// Figures /metrics shows for one peer (SPEC §8).
struct PeerMetrics {
    std::string name;
    std::string role;
    std::string condition;                 ///< as shown ("unreachable" before the first poll)
    std::optional<double> poll_latency_s;  ///< last poll's round trip
    std::uint64_t polls = 0;               ///< polls since start
    std::uint64_t poll_errors = 0;         ///< polls that did not reach it
    std::optional<double> clock_skew_s;
    std::optional<bool> in_sync;
    std::optional<bool> partner_communication_interrupted;  ///< what it reports of its HA partner
    std::optional<std::int64_t> partner_unacked_clients;
};

/// Figures /metrics shows for one cluster.
struct ClusterMetrics {
    std::string name;
    core::ClusterState state = core::ClusterState::Unreachable;
    std::size_t warnings = 0;
    std::optional<std::string> cause;        ///< Down only (core::down_cause)
    bool split_brain = false;
    std::optional<double> clock_skew_s;      ///< largest difference between peer clocks
    std::optional<std::string> source_of_truth;  ///< none in Down / Unreachable
    std::uint64_t replications_done = 0;
    std::uint64_t replications_failed = 0;
    std::optional<double> last_replication_s;
    std::vector<PeerMetrics> peers;
};

/// The answer of a config operation (SPEC §6 config endpoints): an HTTP status, a JSON body
/// (document, per-peer outcomes or error) and, for reads, the SoT config's ETag.
struct ConfigOutcome {
    unsigned status = 200;
    nlohmann::json body;
    std::optional<std::string> etag;
};

/// What a write asks for (SPEC §6): a whole document (PUT), a patch (PATCH), or nothing (sync).
struct ConfigChange {
    enum class Kind { Replace, JsonPatch, MergePatch, Sync } kind = Kind::Sync;
    nlohmann::json body;                   ///< the document or the patch
    std::optional<std::string> if_match;   ///< If-Match header, verbatim
    /// ?dry_run=true (PUT, PATCH): config-test on every reachable peer and each peer's diff;
    /// nothing is set or written.
    bool dry_run = false;
    /// Who asked (the API client's name, issue 14 item 5): in the log line and the event.
    std::string who = "anonymous";
    std::string client{};  ///< the API client's address, in the log line (issue 32: every audit line has it)
    /// A rollback (issue 14 item 4): the generation whose kept config `body` is.
    std::optional<std::uint64_t> rollback_of{};
};

/// Replication bookkeeping kept in the state directory (SPEC §5 rule 3, §10).
struct ReplicationBook {
    std::uint64_t generation = 0;                   ///< last change accepted through the API
    std::map<std::string, std::uint64_t> carries;   ///< per peer: the generation its config carries
    std::optional<std::string> sot_etag;            ///< the SoT config as last seen (external changes)
    std::string sot_peer;                           ///< the peer sot_etag was read from
    /// A peer whose config-set passed but whose config-write did not: it runs a generation in
    /// memory that its config file lacks, and a restart (or a reload from that file) takes it
    /// back to `durable`. Kept until a config-write on it succeeds.
    struct Unpersisted {
        std::uint64_t durable = 0;            ///< the generation its config file carries
        /// Its config as read after the failed write ("hash:…" on Kea ≥ 2.4, "etag:…" before);
        /// none: not known, so it is not trusted to carry more than `durable`.
        std::optional<std::string> identity;
    };
    std::map<std::string, Unpersisted> unpersisted;
};

class ClusterMonitor : public std::enable_shared_from_this<ClusterMonitor> {
public:
    /// `stored` is the cluster's document from the state directory (topology cache, events).
    static std::shared_ptr<ClusterMonitor> create(MonitorContext context, Registration registration,
                                                  std::optional<core::Topology> topology,
                                                  const nlohmann::json& stored = nullptr);
    ~ClusterMonitor();

    /// Starts the discovery and polling coroutines.
    void start();
    /// Stops polling; in-flight requests end within their own deadline.
    void stop();
    /// SIGHUP: the credentials may have changed; links are rebuilt and the polls restart with them.
    void reload_credentials();
    /// No coroutine of this monitor is running (after stop(): safe to end the process).
    bool idle() const { return running_ == 0; }
    /// Tests only (tests/integration/task_failure_test.cpp): see FaultHook. Never set in production.
    void set_fault(FaultHook fault) { fault_ = std::move(fault); }

    const Registration& registration() const { return registration_; }
    /// Every peer's HA url and control URL as learned (none before the topology is known):
    /// cheap, for the daemon's credential warnings on every list and scrape.
    std::vector<std::string> peer_urls() const;
    core::ClusterState state() const;
    nlohmann::json summary() const;   ///< GET /v1/clusters element
    nlohmann::json detail() const;    ///< GET /v1/clusters/NAME (SPEC §6)
    nlohmann::json events() const;    ///< GET /v1/clusters/NAME/events, newest last
    /// GET …/events?after=SEQ&wait=S (issue 14 item 6, `events --follow`): the events with a
    /// `seq` above `after`; when there is none yet, waits up to `wait` for one (a long poll).
    boost::asio::awaitable<nlohmann::json> wait_events(std::uint64_t after, core::Duration wait);
    ClusterMetrics metrics() const;   ///< GET /metrics figures

    /// GET /v1/clusters/NAME/config: the SoT's document and ETag (503 without a SoT).
    boost::asio::awaitable<ConfigOutcome> read_config();
    /// PUT / PATCH /v1/clusters/NAME/config and POST /v1/clusters/NAME/sync (SPEC §5 rule 1).
    /// Serialized with every other config operation of this cluster.
    boost::asio::awaitable<ConfigOutcome> change_config(ConfigChange change);
    /// GET /v1/clusters/NAME/diff: for each peer (or only `peer`), the RFC 6902 patch from its
    /// config to what replication would write on it; with `documents`, both documents too.
    boost::asio::awaitable<ConfigOutcome> diff_config(std::optional<std::string> peer, bool documents);
    /// POST /v1/clusters/NAME/peers/PEER/ACTION (issue 14 item 1): an HA action planned by
    /// core::plan_ha_action() (guard rails: 409 with the reason), sent to Kea, recorded as an
    /// event naming `who` asked.
    /// GET /v1/clusters/NAME/history: every accepted change kept (newest last, up to
    /// kHistoryEntries) and keaHistoryDepth.
    nlohmann::json history() const;
    /// GET /v1/clusters/NAME/history/G: that change and the SoT config it set (404 when the
    /// change is unknown or its config no longer kept).
    ConfigOutcome history_entry(std::uint64_t generation) const;
    /// POST /v1/clusters/NAME/history/G/rollback: the kept config of G with its sealed secrets
    /// (core::seal_secrets) restored from the SoT's config now (409 `secret-changed` when one
    /// differs); 200 with {"config": …} or history_entry()'s 404.
    boost::asio::awaitable<ConfigOutcome> rollback_document(std::uint64_t generation);
    static constexpr std::size_t kHistoryEntries = 1000;
    boost::asio::awaitable<ConfigOutcome> ha_action(std::string action, std::string peer, std::optional<long> max_period_s,
                                                    std::string who, std::string client = {});
    /// The document saved in the state directory (JSON text; one event per line). Built on
    /// every state change, so it costs a few copies: each event is serialised once, when recorded.
    std::string document_text() const;

private:
    /// Poll counters by peer name (kept across topology changes).
    struct PollCounters {
        std::uint64_t polls = 0;
        std::uint64_t errors = 0;
    };
    ClusterMonitor(MonitorContext context, Registration registration);

    boost::asio::awaitable<void> discover_loop();
    boost::asio::awaitable<core::Result<core::Topology>> read_topology();
    /// Reads the other peers' configs and sets the peer-config-mismatch warnings.
    boost::asio::awaitable<void> check_peer_configs();

    // Replication (src/daemon/cluster_replication.cpp).
    struct PeerWrite;
    boost::asio::awaitable<void> lock_operations();
    void unlock_operations();
    /// Issue 12: the peer locks (MonitorContext::peer_locks) of every peer of the current
    /// topology, keyed by control endpoint ("host:port"); taken after the cluster's operation
    /// lock, for the whole operation (the reads its writes are built on, the tests, the writes).
    boost::asio::awaitable<PeerLocks::Held> lock_peers();
    std::vector<std::string> peer_lock_keys() const;
    boost::asio::awaitable<ConfigOutcome> change_config_locked(ConfigChange change);
    /// SPEC §5 rules 2 and 3: bring the SoT up to the latest accepted change, then every
    /// reachable peer to the SoT. `reason` goes to the log and the event.
    boost::asio::awaitable<ConfigOutcome> converge_locked(const std::string& reason, bool answer_per_peer);
    /// SPEC §5 rule 4 (keaConfigSyncInterval): external changes on the SoT, drift elsewhere.
    boost::asio::awaitable<void> check_sync_locked();
    /// Runs one config operation in the background, serialized with the others.
    void schedule(const char* what, std::function<boost::asio::awaitable<void>()> operation);
    /// After an evaluation: decide whether rules 2/3 call for a convergence.
    void consider_replication(const std::vector<core::Event>& events);
    /// A peer's config as the controller knows it: the document, Kea's hash of it (Kea ≥ 2.4;
    /// empty on 2.2) and its form (`as_sent`: the document the controller gave it with
    /// config-set, which Kea ran and hashed, without the defaults Kea fills in when it gives
    /// the config back; else as config-get gave it).
    struct PeerConfig {
        nlohmann::json document;  ///< canonical (no `hash`)
        std::string hash;
        bool as_sent = false;
    };
    /// The peer's config. Kea ≥ 2.4: config-hash-get first, and a config whose hash has not
    /// moved is not read again (config_cache_). `fresh`: read with config-get whatever the hash.
    /// SPEC §4 busy peers: while one lives, `peer` runs a config command of ours (Kea answers
    /// nothing else): its polls that time out show it "busy: applying config", not unreachable.
    class BusyWithConfig;
    boost::asio::awaitable<core::Result<PeerConfig>> fetch_peer_config(const core::HaPeer& peer, bool fresh = false);
    /// Right after a config-set on the SoT: book_.sot_etag is that config's (known from Kea's
    /// hash in the answer) or, without the hash, unknown until the next read.
    void note_sot_written(const std::string& sot);
    /// SPEC §5 rule 4: the SoT `sot`, whose config now has `etag`, was changed outside the
    /// controller since it last saw it (book_.sot_etag, when of the same kind).
    bool changed_outside(const std::string& sot, const std::string& etag) const;
    /// After a write of `document` (apply_config()): when Kea answered its config-set with the
    /// hash of what it now runs, `document` becomes `peer`'s known config (as sent), moved in.
    void keep_sent(const std::string& peer, nlohmann::json&& document);
    /// fetch_peer_config()'s document only.
    boost::asio::awaitable<core::Result<nlohmann::json>> fetch_config(const core::HaPeer& peer);
    /// Two configs compare only in one form (PeerConfig::as_sent): of a mixed pair, the one as
    /// sent is read again from Kea. False when that read fails (the pair stays mixed).
    boost::asio::awaitable<bool> same_form(const core::HaPeer& a, PeerConfig& of_a, const core::HaPeer& b,
                                           PeerConfig& of_b);
    /// The peer's link (kea::PeerLink), made by adopt_topology().
    std::shared_ptr<kea::PeerLink> link_for(const core::HaPeer& peer);
    /// (Re)builds links_ for the current topology, keeping what known links learned.
    void build_links();
    /// credentials_for() this registration, falling back to the daemon's keaAuthUser.
    core::Result<std::optional<kea::Credentials>> cluster_credentials(std::string_view url) const;
    /// config-set then config-write on one peer.
    boost::asio::awaitable<PeerWrite> write_config(const core::HaPeer& peer, const nlohmann::json& document);
    /// config-set only: `applied` (not yet persisted) or `failed`.
    boost::asio::awaitable<PeerWrite> apply_config(const core::HaPeer& peer, const nlohmann::json& document);
    /// config-write after an applied config-set: sets `persisted` (and the message when it failed).
    boost::asio::awaitable<void> persist_config(const core::HaPeer& peer, PeerWrite& applied);
    boost::asio::awaitable<core::Result<kea::Answer>> test_config(const core::HaPeer& peer,
                                                                  const nlohmann::json& document);
    std::optional<std::string> replication_blocked() const;
    bool reachable(const std::string& peer) const;
    bool usable(const std::string& peer) const;
    void persist_book() const;
    void record_replication_event(const std::string& kind, const std::string& peer, std::string from,
                                  std::string to, std::string reason);
    boost::asio::awaitable<void> poll_loop(std::size_t peer_index, std::uint64_t epoch);
    /// Starts poll_loop(peer_index, epoch) after `pause`, with a completion handler that logs
    /// a loop ended by an exception and starts it again with back-off (1 s doubling to 30 s),
    /// unless the monitor stopped or the epoch moved on meanwhile.
    void spawn_poll_loop(std::size_t peer_index, std::uint64_t epoch, core::Duration pause);
    /// Starts discover_loop() after `pause`; restarted the same way when it throws.
    void spawn_discover_loop(core::Duration pause);
    /// The pause before restarting the failed loop `key` (a peer name, "" for discovery);
    /// the one after it is twice as long, up to 30 s.
    core::Duration next_restart_pause(const std::string& key);
    /// Runs `then` after `pause` (now when zero), unless stop() came first. Counts as running.
    void after_pause(core::Duration pause, std::function<void()> then);
    /// Calls fault_ (the test seam) for `step` on `peer`.
    void fault_point(std::string_view step, const std::string& peer) const;
    /// A peer's two poll commands, built once per topology epoch (kea::PreparedRequest).
    struct PollRequests {
        std::shared_ptr<kea::PeerLink> link;
        std::shared_ptr<const kea::PreparedRequest> status_get;
        std::shared_ptr<const kea::PreparedRequest> ha_heartbeat;
        std::optional<core::Error> bad_url;  ///< the peer's control URL cannot be used
    };
    PollRequests prepare_polls(const core::HaPeer& peer) const;
    /// The clock from the last ha-heartbeat (Kea < 3.0), asked at most every kHeartbeatClockPeriod.
    struct HeartbeatClock {
        std::optional<core::SteadyTime> asked_at;
        std::optional<core::SystemTime> peer_time;
        core::SystemTime observed_wall{};
    };
    boost::asio::awaitable<core::PeerObservation> poll_peer(const core::HaPeer& peer,
                                                            const PollRequests& requests, HeartbeatClock& clock);
    void adopt_topology(core::Topology topology, const char* how);
    void evaluate_and_apply();
    void record(const core::Event& event);
    /// Numbers the event, adds it to events_ (the most recent kEventsInMemory with a state
    /// directory, kMaxEvents without) and (with `journal`) to the cluster's events journal,
    /// compacted once it holds twice kMaxEvents.
    void keep_event(core::Event event, bool journal = true);
    /// The events with a seq above `after`, oldest first, at most kMaxEvents: from the journal
    /// (StateWriter::read_events()) for those no longer in memory, then from memory.
    nlohmann::json events_after(std::uint64_t after) const;
    /// At creation: the events and history from their journals, or from `stored` (a document
    /// of a version that kept them in it), which then go to the journals.
    void load_journals(const nlohmann::json& stored);
    /// The cluster's document to the state directory now (durable when it returns).
    /// The HA relationships `peer` takes part in, from its cached config (null when not read).
    nlohmann::json relationships_of_peer(const std::string& peer) const;
    void persist() const;
    /// The same, saying whether the state file was written (a change must not go to Kea when
    /// its generation cannot be recorded, SPEC §10).
    core::Status persist_now() const;
    /// The same, written by the state writer's thread: for the events of a poll.
    void persist_later() const;

    MonitorContext context_;
    FaultHook fault_;  ///< tests only
    Registration registration_;
    std::optional<core::Topology> topology_;
    /// Per peer name: how to reach it (endpoint, transport, credentials, version).
    std::map<std::string, std::shared_ptr<kea::PeerLink>> links_;
    /// Per peer name, Kea ≥ 2.4: its config as last read or set, under Kea's `hash` of it
    /// (fetch_peer_config(), apply_config()).
    std::map<std::string, PeerConfig> config_cache_;
    /// Per peer name: the document of its last successful config-set (only compared, never
    /// read through) and the hash Kea answered it with, until keep_sent() takes it over.
    struct Sent {
        const nlohmann::json* document = nullptr;
        std::string hash;
    };
    std::map<std::string, Sent> sent_;
    std::uint64_t topology_epoch_ = 0;        ///< bumps when the peers change: old pollers end
    std::uint64_t polling_epoch_ = 0;         ///< the epoch the running pollers were started for
    /// Back-off of the next restart after a failed loop, per peer name ("" for discovery);
    /// absent: 1 s. Reset once a restarted loop has done a round.
    std::map<std::string, core::Duration> restart_backoff_;
    std::vector<std::optional<core::PeerObservation>> observations_;
    core::ClusterMemory memory_;
    std::optional<core::ClusterView> view_;
    std::deque<core::Event> events_;
    std::size_t events_in_journal_ = 0;    ///< lines in the events journal (keep_event())
    std::deque<std::uint64_t> event_seqs_; ///< events_' sequence numbers (from 1 at each start)
                                           ///< (also in each journal line, as "seq")
    std::uint64_t event_seq_ = 0;
    /// Long polls waiting for the next event (wait_events()); cancelled by keep_event().
    std::vector<std::weak_ptr<boost::asio::steady_timer>> event_waiters_;
    std::map<std::string, PollCounters> poll_counters_;
    ReplicationBook book_;
    std::map<std::string, bool> in_sync_;          ///< per peer, from the last comparison
    bool operation_running_ = false;               ///< a config operation holds the lock
    std::deque<std::shared_ptr<boost::asio::steady_timer>> operation_waiters_;
    bool convergence_scheduled_ = false;
    bool first_sot_seen_ = false;
    std::set<std::string> away_;                   ///< peers seen unreachable/disabled, not yet back
    /// Peers whose config write failed (a time-out, a refusal): looked at again from `at` on,
    /// waiting twice as long after each failure (keaConfigTimeout first, at most 15 min).
    struct Retry {
        core::SteadyClock::time_point at;
        std::chrono::milliseconds wait;
    };
    std::map<std::string, Retry> retry_;
    void schedule_retry(const std::string& peer);
    /// The next try of `peer` in `retries`: keaConfigTimeout (at least 1 s) first, then twice
    /// the previous wait, at most 15 min.
    void back_off(std::map<std::string, Retry>& retries, const std::string& peer) const;
    /// Peers of book_.unpersisted: config-write tried again from `at` on (same back-off).
    std::map<std::string, Retry> persist_retry_;
    bool persist_retry_scheduled_ = false;
    std::uint64_t reverts_seen_ = 0;  ///< note_config_seen() found an unpersisted config gone
    void schedule_persist_retry(const std::string& peer);
    /// `peer` now runs `generation` (book_.carries); when its config-write failed it is
    /// note_not_persisted() with what it carried before (what its file holds).
    boost::asio::awaitable<void> carry(const core::HaPeer& peer, std::uint64_t generation, bool persisted);
    /// 503 no-source-of-truth, naming the cluster's state (reads and diffs without a SoT).
    ConfigOutcome no_source_of_truth() const;
    /// `peer` was applied in memory and its config-write failed: book_.unpersisted, with what
    /// its file carries (`durable_before`: its generation before this write) and its config's
    /// identity read now; when that cannot be read, it is trusted with `durable` only.
    boost::asio::awaitable<void> note_not_persisted(const core::HaPeer& peer, std::uint64_t durable_before);
    /// A config of `peer` was read (identity as in ReplicationBook::Unpersisted): an unpersisted
    /// peer whose config changed since went back to its file (a restart, a reload): it carries
    /// its durable generation again, and the convergence brings the later ones back.
    void note_config_seen(const std::string& peer, const std::string& identity);
    /// The identity of `peer`'s running config (config-hash-get on Kea ≥ 2.4, else config-get).
    boost::asio::awaitable<std::optional<std::string>> config_identity(const core::HaPeer& peer);
    /// config-write again on the unpersisted peers that are due (persist_retry_).
    boost::asio::awaitable<void> retry_persist_locked();
    /// The generation `peer` is known to run (book_.carries; 0 when none is recorded).
    std::uint64_t carried(const std::string& peer) const;
    /// SPEC §5 rule 3: the peer of `topology` carrying the latest generation, when it is later
    /// than what `sot` carries (a change made while the SoT was away); none otherwise.
    std::optional<std::string> holder_ahead_of(const core::Topology& topology, const std::string& sot) const;
    /// Peers this controller sent dhcp-disable (ha_action()), until dhcp-enable or the
    /// max-period Kea was given: Kea < 2.6 does not show a disabled service in status-get, and
    /// the guard rails must still see it.
    std::map<std::string, std::optional<core::SteadyTime>> disabled_by_us_;
    /// Accepted changes are in the history journal (issue 13: not in memory, nor rewritten at
    /// each change), the last kHistoryEntries read back when asked for.
    std::size_t history_in_journal_ = 0;  ///< lines in the history journal (record_history())
    /// The journal's entries, oldest first, `config_kept` as the state directory has it now.
    std::vector<nlohmann::json> history_entries() const;
    /// After a change answered 200: its entry, and the SoT config it set kept for rollback.
    void record_history(std::uint64_t generation, const ConfigChange& change, const std::string& sot,
                        const nlohmann::json& sot_document);
    std::uint64_t replications_done_ = 0;
    std::uint64_t replications_failed_ = 0;
    std::optional<double> last_replication_s_;
    std::optional<std::string> discovery_error_;
    bool stopped_ = false;
    std::size_t running_ = 0;                 ///< coroutines alive (discover + pollers)
    /// Timers of the running coroutines, cancelled by stop(); expired entries are pruned.
    std::vector<std::weak_ptr<boost::asio::steady_timer>> timers_;
    std::shared_ptr<boost::asio::steady_timer> make_timer();
};

}  // namespace kea_ha::daemon
