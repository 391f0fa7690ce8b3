// ClusterMonitor, replication half (SPEC §5): config reads and writes through the SoT,
// automatic convergence, external change and drift detection. The decisions (transform,
// comparison, patching) are core::replication; this file does the I/O in order and keeps
// the bookkeeping that makes a change answered 200 impossible to lose.

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "daemon/monitor_support.hpp"
#include "kea_ha/core/exception_text.hpp"
#include "kea_ha/core/ha_action.hpp"
#include "kea_ha/core/host_pattern.hpp"
#include "kea_ha/core/relationship_scope.hpp"
#include "kea_ha/core/redaction.hpp"
#include "kea_ha/core/replication.hpp"
#include "kea_ha/daemon/cluster_monitor.hpp"
#include "kea_ha/daemon/logging.hpp"
#include "kea_ha/daemon/state_writer.hpp"

namespace kea_ha::daemon {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

nlohmann::json error_body(std::string code, std::string message) {
    return {{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}};
}

std::string hex_of(const unsigned char* bytes, std::size_t size) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (std::size_t i = 0; i < size; ++i) {
        text += kDigits[bytes[i] >> 4];
        text += kDigits[bytes[i] & 0xf];
    }
    return text;
}

/// core::SecretDigest: SHA-256 of the salt and the secret's JSON text, in hex.
std::string secret_digest(std::string_view salt, std::string_view value) {
    std::string input(salt);
    input += '\0';
    input += value;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr);
    return hex_of(digest, length);
}

/// A fresh salt per kept config: equal secrets of two configs give different digests.
std::string random_salt() {
    unsigned char bytes[12];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
    return hex_of(bytes, sizeof bytes);
}

/// What a fan-out task that threw (a bug) stands for: its result made from the exception's
/// text, `failed(index of the task, what)`.
template <class T>
using TaskFailed = std::function<T(std::size_t index, const std::string& what)>;

/// Runs every task concurrently on `io` and waits for all of them (Boost 1.74 has no
/// parallel_group): a shared countdown wakes the waiter through a timer's cancel(). The
/// countdown is in each task's completion handler, so a task that throws is counted too:
/// its result is `failed(i, what)` and the operation goes on (and ends, releasing the
/// cluster's lock) instead of waiting for it for ever.
template <class T>
net::awaitable<std::vector<T>> run_all(net::io_context& io, std::vector<std::function<net::awaitable<T>()>> tasks,
                                       TaskFailed<T> failed) {
    struct Shared {
        std::vector<std::optional<T>> results;
        std::size_t remaining = 0;
        TaskFailed<T> failed;
        net::steady_timer done;
        explicit Shared(net::io_context& io) : done(io, net::steady_timer::time_point::max()) {}
    };
    auto shared = std::make_shared<Shared>(io);
    shared->results.resize(tasks.size());
    shared->remaining = tasks.size();
    shared->failed = std::move(failed);
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        net::co_spawn(
            io,
            [shared, i, task = std::move(tasks[i])]() -> net::awaitable<void> { shared->results[i] = co_await task(); },
            [shared, i](std::exception_ptr e) {
                if (e) shared->results[i] = shared->failed(i, core::exception_text(e));
                if (--shared->remaining == 0) shared->done.cancel();
            });
    }
    if (shared->remaining > 0) {
        boost::system::error_code ec;
        co_await shared->done.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    std::vector<T> results;
    for (auto& result : shared->results) results.push_back(std::move(*result));
    co_return results;
}

/// Test hook for the kill -9 end-to-end test (issue 4): the targets' writes wait until the
/// SoT's config-set has answered, then this many ms more. Never set in production.
core::Duration test_hook_ms(const char* variable) {
    const char* text = std::getenv(variable);
    return core::Duration(text ? std::atoll(text) : 0);
}

core::Duration pause_after_sot_write() { return test_hook_ms("KEA_HA_TEST_PAUSE_AFTER_SOT_WRITE_MS"); }

/// Test hook (issue 13, kill -9 at each phase): with it, only this target's write waits in
/// the pause above; the others are written at once. Never set in production.
std::string held_write_target() {
    const char* text = std::getenv("KEA_HA_TEST_HOLD_WRITE_TO");
    return text ? text : "";
}

/// Test hook (issue 13): a pause after every config-test passed, before anything is recorded
/// or written. Never set in production.
core::Duration pause_after_test() { return test_hook_ms("KEA_HA_TEST_PAUSE_AFTER_TEST_MS"); }

/// Kea's own text of a failed command ("config-write failed: TEXT" → "TEXT"); other errors
/// (transport, timeout) described whole.
std::string kea_text(const core::Error& error, std::string_view command) {
    const std::string prefix = std::string(command) + " failed: ";
    if (error.kind == core::ErrorKind::KeaError && error.message.rfind(prefix, 0) == 0) {
        return error.message.substr(prefix.size());
    }
    return error.describe();
}

/// The log line of a fan-out task that threw; `phase`: read, test, write, rollback.
void log_task_failed(const std::string& cluster, const std::string& peer, std::string_view phase,
                     const std::string& what) {
    logger("replication")
        ->error("config task failed cluster={} peer={} phase={} error={}", cluster, peer, phase, quote_field(what));
}

/// The error that stands for a task that threw.
core::Error internal_error(std::string_view step, const std::string& what) {
    return core::make_error(core::ErrorKind::Internal, std::string(step) + ": internal error: " + what);
}

/// The API's error code for a peer that could not do a step: "internal" when a bug stopped it.
const char* failure_code(const core::Error& error) {
    return error.kind == core::ErrorKind::Internal ? "internal" : "unreachable";
}

/// SPEC §5 (Kea >= 2.6): a cluster is one relationship, named by its topology's peers.
core::RelationshipScope relationship_of(const core::Topology& topology) {
    core::RelationshipScope scope;
    for (const auto& peer : topology.peers) scope.peers.insert(peer.name);
    return scope;
}

/// What replication decides for one target (SPEC §5): the document it should run, and whether
/// it is scoped to the cluster's relationship (the SoT and the target take part in different
/// relationships: a hub and its branch). An error when it cannot be placed (`scoped`: the
/// core's refusal, naming the subnet; nothing may be written) or transformed.
struct Placed {
    core::Result<nlohmann::json> document;
    bool scoped = false;
};

Placed place_for(const nlohmann::json& sot_document, const std::string& service,
                 const core::RelationshipScope& relationship, const std::string& target,
                 const nlohmann::json& target_current, const std::vector<std::string>& peer_local) {
    const bool scoped = core::replication_is_scoped(sot_document, target_current, service);
    // Same relationships: exactly transform_for(); different: only the relationship's part.
    return Placed{core::scoped_transform_for(sot_document, service, relationship, target, target_current, peer_local),
                  scoped};
}

/// A peer is in sync when it runs what replication would give it: the whole transformed SoT
/// config, or (scoped) the same relationship's subnets and shared networks.
bool in_sync_with(const Placed& placed, const nlohmann::json& sot_document, const nlohmann::json& theirs,
                  const std::string& service, const core::RelationshipScope& relationship) {
    if (!placed.document) return false;
    if (placed.scoped) return core::same_scope(sot_document, theirs, service, relationship);
    return core::same_config(*placed.document, theirs);
}

}  // namespace

/// One peer's outcome of a write (docs/replication.md "Outcomes").
struct ClusterMonitor::PeerWrite {
    PeerWrite() = default;
    PeerWrite(std::string peer_name, std::string what, std::string text = {}, bool on_disk = true,
              std::vector<std::string> left_out = {})
        : peer(std::move(peer_name)), outcome(std::move(what)), message(std::move(text)), persisted(on_disk),
          out_of_scope(std::move(left_out)) {}

    std::string peer;
    /// "applied", "pending", "failed", "unchanged", "refused" (relationships differ and the
    /// relationship's part cannot be placed on it),
    /// "rolled-back", "rollback-failed" (a change that failed on the SoT)
    std::string outcome;
    std::string message;
    bool persisted = true;
    /// Scoped replication (SPEC §5, a hub and its branch): what the change touched outside the
    /// cluster's relationship, applied on the SoT only ("valid-lifetime (global)", …).
    std::vector<std::string> out_of_scope;

    bool persists() const { return outcome == "applied" || outcome == "rolled-back"; }
    /// "server2:applied", "server2:applied(not-persisted)": the log's and the event's words.
    std::string summary() const {
        return peer + ":" + outcome + (persists() && !persisted ? "(not-persisted)" : "") +
               (out_of_scope.empty() ? "" : "(out-of-scope)");
    }
    nlohmann::json to_json() const {
        nlohmann::json j = {{"name", peer}, {"outcome", outcome}};
        j["message"] = message.empty() ? nlohmann::json() : nlohmann::json(message);
        if (persists()) j["persisted"] = persisted;
        if (!out_of_scope.empty()) j["out_of_scope"] = out_of_scope;
        return j;
    }
};

net::awaitable<void> ClusterMonitor::lock_operations() {
    // One io_context thread: a flag and a queue of parked timers make an async mutex.
    if (!operation_running_) {
        operation_running_ = true;
        co_return;
    }
    auto waiter = std::make_shared<net::steady_timer>(context_.io, net::steady_timer::time_point::max());
    operation_waiters_.push_back(waiter);
    boost::system::error_code ec;
    co_await waiter->async_wait(net::redirect_error(net::use_awaitable, ec));
    // unlock_operations() handed the lock over (operation_running_ stayed true).
}

void ClusterMonitor::unlock_operations() {
    if (operation_waiters_.empty()) {
        operation_running_ = false;
        return;
    }
    auto next = operation_waiters_.front();
    operation_waiters_.pop_front();
    next->cancel();
}

std::vector<std::string> ClusterMonitor::peer_lock_keys() const {
    std::vector<std::string> keys;
    if (!topology_) return keys;
    for (const auto& peer : topology_->peers) {
        // One server, one key, whatever path or scheme a cluster spells its URL with.
        auto endpoint = kea::parse_endpoint(peer.control_url);
        keys.push_back(endpoint ? endpoint->host + ":" + std::to_string(endpoint->port) : peer.control_url);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

net::awaitable<PeerLocks::Held> ClusterMonitor::lock_peers() {
    if (!context_.peer_locks) co_return PeerLocks::Held{};
    for (;;) {
        auto held = co_await context_.peer_locks->acquire(context_.io, peer_lock_keys());
        // The topology may have moved while waiting: the operation must hold all of its peers.
        if (held.keys() == peer_lock_keys()) co_return held;
    }
}

/// Holds the operation lock for a scope (released also when the coroutine throws).
class OperationGuard {
public:
    explicit OperationGuard(std::function<void()> release) : release_(std::move(release)) {}
    ~OperationGuard() { release_(); }
    OperationGuard(const OperationGuard&) = delete;
    OperationGuard& operator=(const OperationGuard&) = delete;

private:
    std::function<void()> release_;
};

std::optional<std::string> ClusterMonitor::replication_blocked() const {
    if (!context_.preferences->replicate_config) return "replication is off (keaReplicateConfig=0)";
    if (topology_ && topology_->config_backend) {
        return "the config uses a Configuration Backend (config-control): config is shared, the controller "
               "does not replicate it";
    }
    return std::nullopt;
}

bool ClusterMonitor::reachable(const std::string& peer) const {
    if (!view_ || !topology_) return false;
    for (std::size_t i = 0; i < topology_->peers.size() && i < view_->peers.size(); ++i) {
        if (topology_->peers[i].name != peer) continue;
        // A peer in its own HA restart still answers config commands; only "no answer" counts.
        return view_->peers[i].condition != core::PeerCondition::Unreachable;
    }
    return false;
}

bool ClusterMonitor::usable(const std::string& peer) const {
    if (!view_ || !topology_) return false;
    for (std::size_t i = 0; i < topology_->peers.size() && i < view_->peers.size(); ++i) {
        if (topology_->peers[i].name == peer) return core::is_usable(view_->peers[i].condition);
    }
    return false;
}

class ClusterMonitor::BusyWithConfig {
public:
    BusyWithConfig(ClusterMonitor& monitor, std::string peer) : monitor_(monitor), peer_(std::move(peer)) {
        core::note_config_command(monitor_.memory_, peer_, core::SteadyClock::now());
    }
    ~BusyWithConfig() {
        // Its polls may have been sent just before the command ended: they may still time out.
        core::note_config_command_done(monitor_.memory_, peer_, core::SteadyClock::now(),
                                       monitor_.context_.preferences->request_timeout);
    }
    BusyWithConfig(const BusyWithConfig&) = delete;
    BusyWithConfig& operator=(const BusyWithConfig&) = delete;

private:
    ClusterMonitor& monitor_;
    std::string peer_;
};

net::awaitable<core::Result<ClusterMonitor::PeerConfig>> ClusterMonitor::fetch_peer_config(const core::HaPeer& peer,
                                                                                            bool fresh) {
    auto endpoint = kea::parse_endpoint(peer.control_url);
    if (!endpoint) co_return endpoint.error();
    auto link = link_for(peer);
    BusyWithConfig busy(*this, peer.name);
    fault_point("config-get", peer.name);
    const auto timeout = context_.preferences->config_timeout;
    // Kea ≥ 2.4: config-hash-get is cheap (0.2 s against config-get's 1.9 s at 50 000
    // reservations); a config whose hash has not moved since it was read (or set) is not read
    // again.
    if (!fresh && link->has_config_hash() && config_cache_.count(peer.name)) {
        auto hash = kea::require_success(co_await link->send(link->command("config-hash-get"), timeout),
                                         "config-hash-get");
        auto cached = config_cache_.find(peer.name);  // the map may have changed meanwhile
        if (hash && hash->arguments.is_object() && cached != config_cache_.end() &&
            // value() as json: a "hash" that is not a string compares unequal instead of throwing.
            hash->arguments.value("hash", nlohmann::json()) == cached->second.hash) {
            note_config_seen(peer.name, "hash:" + cached->second.hash);
            co_return cached->second;
        }
    }
    auto answer = kea::require_success(co_await link->send(link->command("config-get"), timeout), "config-get");
    if (!answer) co_return answer.error();
    std::string hash;
    if (answer->arguments.is_object()) {
        if (auto found = answer->arguments.find("hash"); found != answer->arguments.end() && found->is_string()) {
            hash = found->get<std::string>();
        }
    }
    if (!link->has_config_hash()) hash.clear();
    if (!hash.empty() && book_.unpersisted.count(peer.name)) note_config_seen(peer.name, "hash:" + hash);
    if (!fresh && !hash.empty()) {
        // Its config-hash-get failed but the config is the one known: the known document stays,
        // so that a transient failure does not turn a config as sent into one as read.
        if (auto cached = config_cache_.find(peer.name); cached != config_cache_.end() && cached->second.hash == hash) {
            co_return cached->second;
        }
    }
    auto canonical = core::canonical_config(std::move(answer->arguments), registration_.service);
    if (!canonical) {
        co_return core::make_error(core::ErrorKind::BadAnswer,
                                   peer.name + ": config-get answer: " + canonical.error().message);
    }
    if (hash.empty() && book_.unpersisted.count(peer.name)) {
        note_config_seen(peer.name, "etag:" + core::config_etag(*canonical));
    }
    PeerConfig read{std::move(*canonical), std::move(hash), false};
    if (!read.hash.empty()) {
        config_cache_[peer.name] = read;
    } else {
        config_cache_.erase(peer.name);
    }
    co_return read;
}

net::awaitable<core::Result<nlohmann::json>> ClusterMonitor::fetch_config(const core::HaPeer& peer) {
    auto read = co_await fetch_peer_config(peer);
    if (!read) co_return read.error();
    co_return std::move(read->document);
}

net::awaitable<bool> ClusterMonitor::same_form(const core::HaPeer& a, PeerConfig& of_a, const core::HaPeer& b,
                                               PeerConfig& of_b) {
    // Kea fills defaults in (a subnet given with only its pools comes back with every
    // parameter): a config as sent and one as read differ where nothing differs.
    for (auto [peer, config] : {std::pair{&a, &of_a}, std::pair{&b, &of_b}}) {
        if (of_a.as_sent == of_b.as_sent) break;
        if (!config->as_sent) continue;
        auto read = co_await fetch_peer_config(*peer, true);
        if (!read) co_return false;
        *config = std::move(*read);
    }
    co_return of_a.as_sent == of_b.as_sent;
}

net::awaitable<std::optional<std::string>> ClusterMonitor::config_identity(const core::HaPeer& peer) {
    auto link = link_for(peer);
    if (!link->has_config_hash()) {
        auto config = co_await fetch_config(peer);
        if (!config) co_return std::nullopt;
        co_return "etag:" + core::config_etag(*config);
    }
    auto hash = kea::require_success(
        co_await link->send(link->command("config-hash-get"), context_.preferences->config_timeout), "config-hash-get");
    if (!hash || !hash->arguments.is_object()) co_return std::nullopt;
    const auto value = hash->arguments.value("hash", nlohmann::json());
    if (!value.is_string()) co_return std::nullopt;
    co_return "hash:" + value.get<std::string>();
}

void ClusterMonitor::note_config_seen(const std::string& peer, const std::string& identity) {
    auto found = book_.unpersisted.find(peer);
    if (found == book_.unpersisted.end()) return;
    auto& entry = found->second;
    // A first look (or a Kea upgraded from 2.2 to a hash-giving version meanwhile): learnt.
    if (!entry.identity || entry.identity->substr(0, 5) != identity.substr(0, 5)) {
        entry.identity = identity;
        return;
    }
    if (*entry.identity == identity) return;
    // Its config moved, and not by us (we reset the identity when we set it): Kea went back to
    // its config file (a restart, a reload) or somebody changed it. Either way it cannot be
    // trusted with the generations its file lacks (SPEC §5 rule 3: found by the soak bench).
    const auto durable = entry.durable;
    const auto was = carried(peer);
    book_.unpersisted.erase(found);
    persist_retry_.erase(peer);
    config_cache_.erase(peer);
    ++reverts_seen_;
    if (was > durable) book_.carries[peer] = durable;
    in_sync_.erase(peer);
    // Looked at again by the next evaluation (consider_replication): the peers that carry the
    // later generations bring them back.
    retry_[peer] = Retry{core::SteadyClock::now(), std::chrono::milliseconds(1000)};
    logger("replication")->warn("unpersisted config lost cluster={} peer={} generation={} durable={}",
                                registration_.name, peer, was, durable);
    record_replication_event("config-reverted", peer, std::to_string(was), std::to_string(durable),
                             "config of " + peer + " changed since generation " + std::to_string(was) +
                                 " was applied in memory only (its config-write had failed): Kea went back to its "
                                 "config file (a restart or a reload) or was changed by hand; it is taken to carry "
                                 "generation " +
                                 std::to_string(durable) + ", and the later changes are brought back to it");
}

net::awaitable<void> ClusterMonitor::note_not_persisted(const core::HaPeer& peer, std::uint64_t durable_before) {
    auto [entry, fresh] = book_.unpersisted.try_emplace(peer.name);
    if (fresh) entry->second.durable = durable_before;  // an earlier failed write keeps its file's
    entry->second.identity.reset();
    auto identity = co_await config_identity(peer);
    auto found = book_.unpersisted.find(peer.name);  // the map may have changed meanwhile
    if (found == book_.unpersisted.end()) co_return;
    if (identity) {
        found->second.identity = std::move(*identity);
    } else if (carried(peer.name) > found->second.durable) {
        // Not readable right after its config-write failed (its Kea stopping, say): what it runs
        // is not known, so it is not trusted with more than its file carries.
        logger("replication")->warn("unpersisted config not confirmed cluster={} peer={} generation={} durable={}",
                                    registration_.name, peer.name, carried(peer.name), found->second.durable);
        book_.carries[peer.name] = found->second.durable;
    }
    schedule_persist_retry(peer.name);
    persist_book();
}

void ClusterMonitor::schedule_persist_retry(const std::string& peer) { back_off(persist_retry_, peer); }

net::awaitable<void> ClusterMonitor::carry(const core::HaPeer& peer, std::uint64_t generation, bool persisted) {
    const auto before = carried(peer.name);  // what its file holds if this write did not reach it
    book_.carries[peer.name] = generation;
    if (!persisted) co_await note_not_persisted(peer, before);
}

net::awaitable<void> ClusterMonitor::retry_persist_locked() {
    if (!topology_) co_return;
    auto log = logger("replication");
    const core::Topology topology = *topology_;
    const auto now = core::SteadyClock::now();
    for (const auto& peer : topology.peers) {
        auto due = persist_retry_.find(peer.name);
        if (due == persist_retry_.end() || now < due->second.at || !usable(peer.name)) continue;
        if (!book_.unpersisted.count(peer.name)) {
            persist_retry_.erase(due);
            continue;
        }
        // Still the config it was given? A restart since is found here (note_config_seen()),
        // and then writing its file would record the old config as if it carried the new.
        auto config = co_await fetch_config(peer);
        if (!book_.unpersisted.count(peer.name)) continue;  // it went back: convergence's turn
        if (!config) {
            schedule_persist_retry(peer.name);
            continue;
        }
        PeerWrite written{peer.name, "applied", {}, true};
        co_await persist_config(peer, written);
        if (written.persisted) {
            log->info("config persisted on retry cluster={} peer={} generation={}", registration_.name, peer.name,
                      carried(peer.name));
            record_replication_event("config-persisted", peer.name, "", std::to_string(carried(peer.name)),
                                     "config-write of " + peer.name + " succeeded on a retry: its config file carries "
                                     "what it runs");
        } else {
            schedule_persist_retry(peer.name);
            log->warn("config still not persisted cluster={} peer={} next_retry_s={} error={}", registration_.name,
                      peer.name, persist_retry_[peer.name].wait.count() / 1000, quote_field(written.message));
        }
    }
    persist_book();
}

net::awaitable<core::Result<kea::Answer>> ClusterMonitor::test_config(const core::HaPeer& peer,
                                                                     const nlohmann::json& document) {
    auto endpoint = kea::parse_endpoint(peer.control_url);
    if (!endpoint) co_return endpoint.error();
    auto link = link_for(peer);
    BusyWithConfig busy(*this, peer.name);
    fault_point("config-test", peer.name);
    auto command = link->command("config-test");
    command.borrowed_arguments = &document;  // serialised by send() before it suspends: no copy
    co_return kea::require_success(co_await link->send(command, context_.preferences->config_timeout),
                                   "config-test");
}

net::awaitable<ClusterMonitor::PeerWrite> ClusterMonitor::write_config(const core::HaPeer& peer,
                                                                      const nlohmann::json& document) {
    auto result = co_await apply_config(peer, document);
    if (result.outcome == "applied") co_await persist_config(peer, result);
    co_return result;
}

void ClusterMonitor::note_sot_written(const std::string& sot) {
    // What the SoT runs now is ours, not an external change: with Kea's hash from its
    // config-set, its ETag is known already; else it is learnt at the next read (from the
    // document Kea gives back, with its defaults filled in).
    const auto sent = sent_.find(sot);
    if (sent != sent_.end()) {
        book_.sot_etag = core::kea_hash_etag(sent->second.hash);
        book_.sot_peer = sot;
    } else {
        book_.sot_etag.reset();
    }
}

bool ClusterMonitor::changed_outside(const std::string& sot, const std::string& etag) const {
    // A Kea upgraded from 2.2 (or an ETag kept by an older controller): learnt, not a change.
    return book_.sot_etag && book_.sot_peer == sot && core::comparable_etags(*book_.sot_etag, etag) &&
           *book_.sot_etag != etag;
}

void ClusterMonitor::keep_sent(const std::string& peer, nlohmann::json&& document) {
    const auto sent = sent_.find(peer);
    if (sent == sent_.end() || sent->second.document != &document) return;
    config_cache_[peer] = PeerConfig{std::move(document), std::move(sent->second.hash), true};
    sent_.erase(sent);
}

net::awaitable<ClusterMonitor::PeerWrite> ClusterMonitor::apply_config(const core::HaPeer& peer,
                                                                      const nlohmann::json& document) {
    PeerWrite result{peer.name, "failed", {}, false};
    auto endpoint = kea::parse_endpoint(peer.control_url);
    if (!endpoint) {
        result.message = endpoint.error().describe();
        co_return result;
    }
    // SPEC §4: config-set restarts the peer's HA service; not an outage of ours to report.
    if (topology_) core::note_applying_config(memory_, *topology_, peer.name, core::SteadyClock::now());
    auto link = link_for(peer);
    BusyWithConfig busy(*this, peer.name);
    fault_point("config-set", peer.name);
    auto command = link->command("config-set");
    command.borrowed_arguments = &document;
    config_cache_.erase(peer.name);  // whatever the answer, its config may have moved
    sent_.erase(peer.name);
    // … by us: not a sign of a restart (note_config_seen()); a failed config-write learns it anew.
    if (auto entry = book_.unpersisted.find(peer.name); entry != book_.unpersisted.end()) entry->second.identity.reset();
    // Kea 3.2 refuses a config-set while its lease file cleanup (kea-lfc) runs: nothing changed,
    // so the same config-set is sent again until keaConfigTimeout has passed since the first.
    const auto config_timeout = context_.preferences->config_timeout;
    const auto deadline = core::SteadyClock::now() + config_timeout;
    auto answer = co_await link->send(command, config_timeout);
    while (answer && kea::config_set_refusal(*answer) == kea::ConfigSetRefusal::LfcRunning &&
           core::SteadyClock::now() + kea::kLfcRetryDelay < deadline) {
        logger("replication")->info("config-set waits for the lease file cleanup cluster={} peer={} retry_in_ms={}",
                                    registration_.name, peer.name, kea::kLfcRetryDelay.count());
        net::steady_timer pause(context_.io);
        pause.expires_after(kea::kLfcRetryDelay);
        co_await pause.async_wait(net::use_awaitable);
        const auto left = std::chrono::duration_cast<core::Duration>(deadline - core::SteadyClock::now());
        answer = co_await link->send(command, std::max(left, core::Duration(kea::kLfcRetryDelay)));
    }
    const bool partly_applied = answer && kea::config_set_refusal(*answer) == kea::ConfigSetRefusal::PartlyApplied;
    auto set = kea::require_success(std::move(answer), "config-set");
    if (!set) {
        result.message = set.error().describe();
        if (partly_applied) {
            // What it runs now is neither the old config nor the new: read it back, so that the
            // drift check and the next change compare with what is really there.
            auto now_running = co_await fetch_config(peer);
            logger("replication")->error("config partly applied cluster={} peer={} read_back={} error={}",
                                         registration_.name, peer.name,
                                         now_running ? "ok" : quote_field(now_running.error().describe()),
                                         quote_field(result.message));
            result.message += now_running ? "; its running config was read back"
                                          : "; its running config could not be read back: " +
                                                now_running.error().describe();
        }
        co_return result;
    }
    // Kea restarts HA when config-set returns, not when it was sent: with a large config the
    // config-set alone takes seconds (5 s at 50 000 reservations), so the grace starts again now.
    if (topology_) core::note_applying_config(memory_, *topology_, peer.name, core::SteadyClock::now());
    // Kea ≥ 2.6 answer with the hash of the config they now run (2.4 may not; then the next
    // read learns it). With that hash, the document sent becomes the peer's known config once
    // the caller is done with it (keep_sent(): moved, no copy of many MB on the change's
    // path), and the next read of this peer is one config-hash-get instead of config-get
    // (issue 11: 1.9 s of every change at 50 000 reservations).
    if (link->has_config_hash() && set->arguments.is_object()) {
        if (const auto hash = set->arguments.value("hash", nlohmann::json());
            hash.is_string() && core::kea_hash_etag(hash.get<std::string>())) {
            sent_[peer.name] = Sent{&document, hash.get<std::string>()};
        }
    }
    result.outcome = "applied";
    co_return result;
}

net::awaitable<void> ClusterMonitor::persist_config(const core::HaPeer& peer, PeerWrite& applied) {
    auto endpoint = kea::parse_endpoint(peer.control_url);
    if (!endpoint) {
        applied.persisted = false;
        applied.message = "applied in memory, not persisted: " + endpoint.error().describe();
        co_return;
    }
    auto link = link_for(peer);
    BusyWithConfig busy(*this, peer.name);
    fault_point("config-write", peer.name);
    auto write = kea::require_success(
        co_await link->send(link->command("config-write"), context_.preferences->config_timeout), "config-write");
    applied.persisted = static_cast<bool>(write);
    if (write) {
        // Kea wrote the whole running config: its file carries what it runs.
        book_.unpersisted.erase(peer.name);
        persist_retry_.erase(peer.name);
    } else {
        // In memory, not on disk: a restart of that Kea would lose it. Say so, in Kea's words
        // (Kea 2.6.3+/3.x refuse a path outside their config directory).
        applied.message = "applied in memory, not persisted: " + kea_text(write.error(), "config-write");
    }
}

void ClusterMonitor::persist_book() const { persist(); }

void ClusterMonitor::record_replication_event(const std::string& kind, const std::string& peer, std::string from,
                                              std::string to, std::string reason) {
    core::Event event;
    event.when = core::SystemClock::now();
    event.cluster = registration_.name;
    if (!peer.empty()) event.peer = peer;
    event.kind = kind;
    event.from = std::move(from);
    event.to = std::move(to);
    event.reason = std::move(reason);
    record(event);
    persist();
}

ConfigOutcome ClusterMonitor::no_source_of_truth() const {
    return ConfigOutcome{503, error_body("no-source-of-truth", "cluster '" + registration_.name +
                                                                   "' has no source of truth (state " +
                                                                   std::string(core::to_string(state())) + ")"),
                         std::nullopt};
}

net::awaitable<ConfigOutcome> ClusterMonitor::read_config() {
    if (!topology_ || !view_ || !view_->source_of_truth) co_return no_source_of_truth();
    const core::HaPeer sot = *topology_->find_peer(*view_->source_of_truth);
    auto config = co_await fetch_peer_config(sot);
    if (!config) {
        co_return ConfigOutcome{502, error_body("unreachable", sot.name + ": " + config.error().describe()),
                                std::nullopt};
    }
    auto etag = core::config_etag(config->document, config->hash);
    co_return ConfigOutcome{200, std::move(config->document), etag};
}

net::awaitable<ConfigOutcome> ClusterMonitor::diff_config(std::optional<std::string> only, bool documents) {
    RunningGuard running(running_);
    if (auto blocked = replication_blocked()) co_return ConfigOutcome{409, error_body("replication-off", *blocked), std::nullopt};
    if (!topology_ || !view_ || !view_->source_of_truth) co_return no_source_of_truth();
    const core::Topology topology = *topology_;
    const core::HaPeer sot = *topology.find_peer(*view_->source_of_truth);
    if (only && !topology.find_peer(*only)) {
        co_return ConfigOutcome{404, error_body("not-found", "cluster '" + registration_.name + "' has no peer named '" +
                                                                 *only + "'"),
                                std::nullopt};
    }
    auto read = co_await fetch_peer_config(sot);
    if (!read) {
        co_return ConfigOutcome{502, error_body(failure_code(read.error()), sot.name + ": " + read.error().describe()),
                                std::nullopt};
    }
    PeerConfig source = std::move(*read);
    const auto relationship = relationship_of(topology);
    nlohmann::json peers = nlohmann::json::array();
    for (const auto& peer : topology.peers) {
        if (only && peer.name != *only) continue;
        nlohmann::json entry = {{"name", peer.name}};
        if (peer.name == sot.name) {
            // The reference: replication writes nothing on it.
            entry["source_of_truth"] = true;
            entry["in_sync"] = true;
            entry["patch"] = nlohmann::json::array();
            if (documents) entry["current"] = entry["desired"] = source.document;
            peers.push_back(std::move(entry));
            continue;
        }
        auto read_theirs = co_await fetch_peer_config(peer);
        if (!read_theirs) {
            entry["error"] = read_theirs.error().describe();
            peers.push_back(std::move(entry));
            continue;
        }
        (void)co_await same_form(sot, source, peer, read_theirs.value());
        auto& theirs = read_theirs->document;
        auto placed = place_for(source.document, registration_.service, relationship, peer.name, theirs,
                                context_.preferences->peer_local_parameters);
        if (!placed.document) {
            // Replication would refuse it (relationships differ and cannot be placed): nothing to diff.
            entry["error"] = placed.document.error().message;
            entry["refused"] = placed.scoped;
            peers.push_back(std::move(entry));
            continue;
        }
        entry["in_sync"] = in_sync_with(placed, source.document, theirs, registration_.service, relationship);
        entry["scoped"] = placed.scoped;
        entry["patch"] = core::config_diff(theirs, *placed.document);
        if (documents) {
            entry["current"] = std::move(theirs);
            entry["desired"] = std::move(*placed.document);
        }
        peers.push_back(std::move(entry));
    }
    co_return ConfigOutcome{200,
                            {{"source_of_truth", sot.name}, {"etag", core::config_etag(source.document, source.hash)}, {"peers", std::move(peers)}},
                            std::nullopt};
}

net::awaitable<ConfigOutcome> ClusterMonitor::ha_action(std::string action_name, std::string peer_name,
                                                       std::optional<long> max_period_s, std::string who,
                                                       std::string client) {
    RunningGuard running(running_);
    auto log = logger("health");
    const std::string client_field = client.empty() ? "-" : client;
    const auto action = core::parse_ha_action(action_name);
    if (!action) {
        co_return ConfigOutcome{404, error_body("not-found", "no HA action '" + action_name +
                                                                 "' (maintenance-start, maintenance-cancel, ha-reset, "
                                                                 "dhcp-disable, dhcp-enable, ha-sync)"),
                                std::nullopt};
    }
    if (!topology_ || !view_) {
        co_return ConfigOutcome{503, error_body("no-topology", "cluster '" + registration_.name + "' has no known peers yet"),
                                std::nullopt};
    }
    const core::Topology topology = *topology_;
    // What the guard rails look at: each peer's role, condition and HA state as last polled,
    // and how many HA relationships it takes part in (Kea 2.6+; read from its config).
    std::vector<core::HaActionPeer> peers;
    for (std::size_t i = 0; i < topology.peers.size(); ++i) {
        const auto& peer = topology.peers[i];
        core::HaActionPeer p{peer.name, peer.role, std::nullopt, std::nullopt, 1};
        if (i < view_->peers.size()) p.condition = view_->peers[i].condition;
        if (i < observations_.size() && observations_[i]) p.ha_state = observations_[i]->ha_state;
        if (auto ours = disabled_by_us_.find(peer.name); ours != disabled_by_us_.end()) {
            // Kea < 2.6 does not show it in status-get: what we disabled counts as disabled.
            if (ours->second && core::SteadyClock::now() >= *ours->second) {
                disabled_by_us_.erase(ours);
            } else if (p.condition == core::PeerCondition::Active) {
                p.condition = core::PeerCondition::Disabled;
            }
        }
        if (link_for(peer)->capabilities().several_relationships || !link_for(peer)->version_known()) {
            if (auto config = co_await fetch_config(peer); config) {
                if (auto parsed = core::parse_ha_relationships(config->value(core::service_key(registration_.service),
                                                                             nlohmann::json::object()),
                                                               core::ControlUrlRules{});
                    parsed) {
                    p.relationships = std::max<std::size_t>(1, parsed->size());
                }
            }
        }
        peers.push_back(std::move(p));
    }
    if (!topology_) co_return ConfigOutcome{503, error_body("no-topology", "the peers changed meanwhile"), std::nullopt};
    auto plan = core::plan_ha_action(*action, peer_name, peers, max_period_s);
    if (!plan) {
        const auto& e = plan.error();
        const unsigned status = e.kind == core::ErrorKind::NotFound ? 404u : e.kind == core::ErrorKind::Invalid ? 400u : 409u;
        if (status == 409u) {
            log->warn("ha action refused cluster={} peer={} action={} by={} client={} reason={}", registration_.name,
                      peer_name, action_name, who, client_field, quote_field(e.message));
        }
        co_return ConfigOutcome{status,
                                error_body(status == 404u ? "not-found" : status == 400u ? "bad-request" : "refused", e.message),
                                std::nullopt};
    }
    const auto* target = topology.find_peer(plan->send_to);
    auto link = link_for(*target);
    auto command = link->command(plan->command);
    command.arguments = plan->arguments;
    auto answer = kea::require_success(co_await link->send(command, context_.preferences->request_timeout), plan->command);
    core::Event event;
    event.when = core::SystemClock::now();
    event.cluster = registration_.name;
    event.peer = peer_name;
    event.kind = "ha-action";
    event.to = action_name;
    if (!answer) {
        const auto why = answer.error().describe();
        log->error("ha action failed cluster={} peer={} action={} sent_to={} by={} client={} error={}",
                   registration_.name, peer_name, action_name, plan->send_to, who, client_field, quote_field(why));
        event.from = "failed";
        event.reason = plan->summary + ", asked by " + who + ": failed: " + why;
        record(event);
        persist();
        const bool kea_said_no = answer.error().kind == core::ErrorKind::KeaError;
        co_return ConfigOutcome{502,
                                {{"error", {{"code", kea_said_no ? "rejected" : failure_code(answer.error())},
                                            {"message", plan->send_to + (kea_said_no ? " refused " : ": ") +
                                                            plan->command + ": " + why},
                                            {"peer", plan->send_to}}}},
                                std::nullopt};
    }
    if (*action == core::HaAction::DhcpDisable) {
        disabled_by_us_[peer_name] = max_period_s ? std::optional<core::SteadyTime>(core::SteadyClock::now() +
                                                                                   std::chrono::seconds(*max_period_s))
                                                  : std::nullopt;
    } else if (*action == core::HaAction::DhcpEnable) {
        disabled_by_us_.erase(peer_name);
    }
    log->info("ha action cluster={} peer={} action={} sent_to={} by={} client={} kea={}", registration_.name,
              peer_name, action_name, plan->send_to, who, client_field, quote_field(answer->text));
    event.reason = plan->summary + ", asked by " + who + (answer->text.empty() ? "" : ": " + answer->text);
    record(event);
    persist();
    co_return ConfigOutcome{200,
                            {{"action", action_name},
                             {"peer", peer_name},
                             {"sent_to", plan->send_to},
                             {"command", plan->command},
                             {"arguments", plan->arguments},
                             {"message", answer->text},
                             {"summary", plan->summary}},
                            std::nullopt};
}

void ClusterMonitor::record_history(std::uint64_t generation, const ConfigChange& change, const std::string& sot,
                                    const nlohmann::json& sot_document) {
    nlohmann::json entry = {{"generation", generation},
                            {"when", iso8601(core::SystemClock::now())},
                            {"who", change.who},
                            {"source_of_truth", sot},
                            {"config_etag", core::config_etag(sot_document)}};
    switch (change.kind) {
        case ConfigChange::Kind::Replace: entry["kind"] = change.rollback_of ? "rollback" : "replace"; break;
        case ConfigChange::Kind::JsonPatch: entry["kind"] = "json-patch"; break;
        case ConfigChange::Kind::MergePatch: entry["kind"] = "merge-patch"; break;
        case ConfigChange::Kind::Sync: entry["kind"] = "sync"; break;
    }
    if (change.rollback_of) entry["rollback_of"] = *change.rollback_of;
    if (change.kind == ConfigChange::Kind::JsonPatch || change.kind == ConfigChange::Kind::MergePatch) {
        // The request itself when it is small (a patch, usually); its size otherwise.
        const auto text = change.body.dump();
        if (text.size() <= 64 * 1024) {
            // Issue 32: the history never keeps a secret in clear (docs/security.md).
            auto request = change.body;
            core::redact_secrets(request);
            entry["request"] = std::move(request);
        } else {
            entry["request_bytes"] = text.size();
        }
    }
    const unsigned depth = context_.preferences->history_depth;
    bool kept = false;
    if (depth > 0 && context_.store) {
        const auto& store = context_.store->store();
        // Issue 32: no secret in clear on disk; a rollback restores each from the SoT's config.
        auto kept_document = sot_document;
        core::seal_secrets(kept_document, random_salt(), secret_digest);
        if (auto written = store.save_history_config(registration_.name, generation, kept_document.dump(1) + "\n"); written) {
            kept = true;
            if (generation > depth) store.prune_history(registration_.name, generation - depth + 1);
        } else {
            // The change is done and recorded; only its rollback copy is missing. Said, not fatal.
            logger("replication")->warn("config not kept for rollback cluster={} generation={} error={}",
                                        registration_.name, generation, quote_field(written.error().describe()));
        }
    }
    if (!context_.store) return;  // nothing persisted (tests): no history either
    entry["config_kept"] = kept;
    const auto& store = context_.store->store();
    if (auto appended = store.append_journal(registration_.name, Journal::History, {entry.dump()}); !appended) {
        // The change is done (answered 200 next); its history entry is what is missing.
        logger("replication")->error("history entry not recorded cluster={} generation={} error={}",
                                     registration_.name, generation, quote_field(appended.error().describe()));
        return;
    }
    // Compacted to the last kHistoryEntries once it holds twice that.
    if (++history_in_journal_ > 2 * kHistoryEntries) {
        std::vector<StoreProblem> problems;
        auto lines = store.load_journal(registration_.name, Journal::History, kHistoryEntries, problems).lines;
        if (auto compacted = store.replace_journal(registration_.name, Journal::History, lines); compacted) {
            history_in_journal_ = lines.size();
        } else {
            logger("replication")->warn("history not compacted cluster={} error={}", registration_.name,
                                        quote_field(compacted.error().describe()));
        }
    }
}

std::vector<nlohmann::json> ClusterMonitor::history_entries() const {
    std::vector<nlohmann::json> entries;
    if (!context_.store) return entries;
    const auto& store = context_.store->store();
    std::vector<StoreProblem> problems;  // a damaged journal is reported at start
    for (const auto& line : store.load_journal(registration_.name, Journal::History, kHistoryEntries, problems).lines) {
        auto entry = nlohmann::json::parse(line, nullptr, false);
        if (!entry.is_object() || !entry.value("generation", nlohmann::json()).is_number_unsigned()) continue;
        // Its config may have been pruned since (keaHistoryDepth), or set aside by hand.
        if (entry.value("config_kept", false)) {
            entry["config_kept"] = store.has_history_config(registration_.name, entry["generation"].get<std::uint64_t>());
        } else {
            entry["config_kept"] = false;
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

nlohmann::json ClusterMonitor::history() const {
    nlohmann::json entries = nlohmann::json::array();
    for (auto& entry : history_entries()) entries.push_back(std::move(entry));
    return {{"depth", context_.preferences->history_depth}, {"entries", std::move(entries)}};
}

ConfigOutcome ClusterMonitor::history_entry(std::uint64_t generation) const {
    std::optional<nlohmann::json> line;
    for (auto& entry : history_entries()) {
        if (entry["generation"].get<std::uint64_t>() == generation) line = std::move(entry);
    }
    if (!line) {
        return ConfigOutcome{404, error_body("not-found", "cluster '" + registration_.name + "' has no change " +
                                                              std::to_string(generation) + " in its history"),
                             std::nullopt};
    }
    const auto missing = [&](const std::string& why) {
        return ConfigOutcome{404, error_body("not-kept", "the config of generation " + std::to_string(generation) +
                                                             " is not kept: " + why),
                             std::nullopt};
    };
    if (!(*line)["config_kept"].get<bool>() || !context_.store) {
        return missing("only the last keaHistoryDepth (" + std::to_string(context_.preferences->history_depth) +
                       ") are kept");
    }
    auto text = context_.store->store().load_history_config(registration_.name, generation);
    if (!text) return missing(text.error().describe());
    auto config = nlohmann::json::parse(*text, nullptr, false);
    if (config.is_discarded() || !config.is_object()) return missing("its file is not a JSON document");
    return ConfigOutcome{200, {{"entry", std::move(*line)}, {"config", std::move(config)}},
                         std::nullopt};
}

net::awaitable<ConfigOutcome> ClusterMonitor::rollback_document(std::uint64_t generation) {
    auto kept = history_entry(generation);
    if (kept.status != 200) co_return kept;
    auto config = std::move(kept.body["config"]);
    auto now = co_await read_config();
    if (now.status != 200) co_return now;
    auto restored = core::unseal_secrets(config, now.body, secret_digest);
    if (!restored) {
        co_return ConfigOutcome{409, error_body("secret-changed", "generation " + std::to_string(generation) + ": " +
                                                                      restored.error().describe()),
                                std::nullopt};
    }
    co_return ConfigOutcome{200, {{"config", std::move(config)}}, std::nullopt};
}

net::awaitable<ConfigOutcome> ClusterMonitor::change_config(ConfigChange change) {
    auto self = shared_from_this();
    RunningGuard running(running_);
    co_await lock_operations();
    OperationGuard guard([this] { unlock_operations(); });
    // Issue 12: a peer shared with another cluster (a hub) is worked on by one at a time.
    auto peers_held = co_await lock_peers();
    try {
        co_return co_await change_config_locked(std::move(change));
    } catch (const std::exception& error) {
        // A bug on the way (the fan-out tasks' own failures are outcomes already): said, answered,
        // and the lock is released by the guard as the frame unwinds.
        logger("replication")->error("config operation failed cluster={} operation=change error={}",
                                     registration_.name, quote_field(error.what()));
        co_return ConfigOutcome{500, error_body("internal", std::string("internal error: ") + error.what()),
                                std::nullopt};
    }
}

net::awaitable<ConfigOutcome> ClusterMonitor::change_config_locked(ConfigChange change) {
    auto log = logger("replication");
    sent_.clear();  // only this operation's writes are taken over (keep_sent())
    const auto started = core::SteadyClock::now();
    if (auto blocked = replication_blocked()) co_return ConfigOutcome{409, error_body("replication-off", *blocked), std::nullopt};
    if (!topology_ || !view_ || !view_->source_of_truth || state() == core::ClusterState::Down) {
        co_return ConfigOutcome{503, error_body("cluster-down", "cluster '" + registration_.name + "' is " +
                                                                    std::string(core::to_string(state())) +
                                                                    ": no source of truth, changes are refused"),
                                std::nullopt};
    }
    if (change.kind == ConfigChange::Kind::Sync) co_return co_await converge_locked("sync requested by " + change.who, true);

    // SPEC §5 rule 3 before any change: a returning primary can be the SoT again before its
    // convergence ran (found by the soak bench: its CA back while the grace of our own
    // config-set hid the return, so it never turned "active"); a change built on its config
    // would overwrite, on every peer, the changes answered 200 while it was away.
    if (const auto* sot = topology_->find_peer(*view_->source_of_truth); sot && book_.unpersisted.count(sot->name)) {
        // Its last change lives in its memory only: still there, or did its Kea go back to its
        // file (note_config_seen())? Then the peers that carry that change bring it back first.
        const core::HaPeer peer = *sot;
        (void)co_await fetch_config(peer);
        if (!topology_ || !view_ || !view_->source_of_truth) {
            co_return ConfigOutcome{503, error_body("cluster-down", "no source of truth"), std::nullopt};
        }
    }
    const auto behind = [&]() -> std::optional<std::string> {
        if (!topology_ || !view_ || !view_->source_of_truth) return std::nullopt;
        return holder_ahead_of(*topology_, *view_->source_of_truth);
    };
    if (const auto holder = behind()) {
        log->warn("source of truth behind before a change cluster={} peer={} holder={} generation={}",
                  registration_.name, *view_->source_of_truth, *holder, carried(*holder));
        auto caught_up = co_await converge_locked("the source of truth " + *view_->source_of_truth +
                                                      " misses generation " + std::to_string(carried(*holder)) +
                                                      " of " + *holder + " (rule 3, before a change)",
                                                  false);
        if (caught_up.status >= 400) co_return caught_up;
        if (const auto still = behind()) {
            co_return ConfigOutcome{503,
                                    error_body("latest-change-unreachable",
                                               "generation " + std::to_string(carried(*still)) + " lives on " + *still +
                                                   " and could not be brought to the source of truth " +
                                                   *view_->source_of_truth + " yet; the change was not made"),
                                    std::nullopt};
        }
        if (!topology_ || !view_ || !view_->source_of_truth) {
            co_return ConfigOutcome{503, error_body("cluster-down", "no source of truth"), std::nullopt};
        }
    }

    const core::Topology topology = *topology_;  // the operation works on one picture
    const core::HaPeer sot = *topology.find_peer(*view_->source_of_truth);
    // Phase 0: read the SoT and every reachable target at once (configs of many MB take
    // seconds to read; the If-Match check below only needs the SoT's).
    struct Target {
        core::HaPeer peer;
        std::optional<nlohmann::json> document;  ///< none: pending
        std::string why_pending;
        std::size_t read = 0;  ///< index of its config-get in `reads` (0: not read, the SoT's is 0)
        std::optional<nlohmann::json> previous;  ///< its config before the change (rollback)
        /// Scoped (SPEC §5): what of the change lies outside the relationship (SoT only).
        std::vector<std::string> out_of_scope;
        /// Scoped, and nothing of the relationship changed for it: not tested, not written.
        bool untouched = false;
    };
    std::vector<Target> targets;
    using Read = core::Result<PeerConfig>;
    std::vector<std::function<net::awaitable<Read>()>> reads;
    std::vector<std::string> read_peers;  // parallel to reads
    reads.push_back([this, &sot]() -> net::awaitable<Read> { co_return co_await fetch_peer_config(sot); });
    read_peers.push_back(sot.name);
    for (const auto& peer : topology.peers) {
        if (peer.name == sot.name) continue;
        targets.push_back(Target{peer, std::nullopt, {}, 0, std::nullopt, {}, false});
        if (!reachable(peer.name)) {
            targets.back().why_pending = "unreachable";
            continue;
        }
        targets.back().read = reads.size();
        reads.push_back([this, &peer]() -> net::awaitable<Read> { co_return co_await fetch_peer_config(peer); });
        read_peers.push_back(peer.name);
    }
    const auto reverts = reverts_seen_;
    auto read_results = co_await run_all<Read>(context_.io, std::move(reads), [&](std::size_t i, const std::string& what) {
        log_task_failed(registration_.name, read_peers.at(i), "read", what);
        return Read(internal_error("config-get", what));
    });
    const auto read_done = core::SteadyClock::now();
    if (reverts_seen_ != reverts && holder_ahead_of(topology, sot.name)) {
        // The SoT went back to its file while it was read: built on that, the change would
        // drop what it lost. Again from the start, where rule 3 brings that back first.
        co_return co_await change_config_locked(std::move(change));
    }
    auto& current = read_results.front();
    if (!current) {
        co_return ConfigOutcome{502, error_body(failure_code(current.error()), sot.name + ": " + current.error().describe()),
                                std::nullopt};
    }
    const auto current_etag = core::config_etag(current->document, current->hash);
    if (change.if_match && *change.if_match != "*" && *change.if_match != current_etag) {
        co_return ConfigOutcome{412, error_body("precondition-failed",
                                                "the config of " + sot.name + " changed since " + *change.if_match +
                                                    "; read it again (current ETag " + current_etag + ")"),
                                current_etag};
    }
    if (!change.dry_run && changed_outside(sot.name, current_etag)) {
        // SPEC §5 rule 4: an external change on the SoT goes out with this change.
        record_replication_event("config-external-change", sot.name, "", "",
                                 "config of " + sot.name + " changed outside the controller; included in this change");
    }
    core::Result<nlohmann::json> desired = core::make_error(core::ErrorKind::Invalid, "no document");
    if (change.kind == ConfigChange::Kind::JsonPatch || change.kind == ConfigChange::Kind::MergePatch) {
        desired = core::apply_patch(current->document, change.body,
                                    change.kind == ConfigChange::Kind::JsonPatch ? core::PatchKind::JsonPatch
                                                                                 : core::PatchKind::MergePatch,
                                    registration_.service);
    } else {
        desired = core::canonical_config(std::move(change.body), registration_.service);
    }
    if (!desired) co_return ConfigOutcome{400, error_body("bad-config", desired.error().message), std::nullopt};
    // SPEC §5: the relationships (peer names) are what the whole-config copy relies on; a
    // change of them would be written onto peers whose relationships then differ.
    if (core::relationship_mismatch(*desired, current->document, registration_.service, sot.name, sot.name)) {
        const std::string reason =
            "refusing the change: it turns the HA relationships of " + sot.name + " from " +
            core::describe_relationships(current->document, registration_.service) + " into " +
            core::describe_relationships(*desired, registration_.service) +
            "; changing HA relationships through the controller is not supported (SPEC §5): change them on Kea";
        log->warn("config change refused cluster={} peer={} error={}", registration_.name, sot.name, quote_field(reason));
        co_return ConfigOutcome{422, error_body("relationships-differ", reason), std::nullopt};
    }
    // The SoT keeps its identity even when the document came from another peer.
    auto sot_document = core::transform_for(std::move(*desired), registration_.service, sot.name, current->document, {});
    if (!sot_document) co_return ConfigOutcome{422, error_body("bad-config", sot_document.error().message), std::nullopt};

    // Phase 1: check and transform for every target read, and config-test everywhere.
    const auto relationship = relationship_of(topology);
    // SPEC §5: a source of truth that also serves relationships beyond this cluster (a hub
    // while its branch is away) may only be changed within the cluster's scope; the rest
    // would reach its other relationships, whose peers this cluster does not replicate to.
    std::set<std::string> cluster_hosts;
    for (const auto& peer : topology.peers) {
        if (auto host = core::host_of_url(peer.url)) cluster_hosts.insert(*host);
    }
    if (const auto beyond = core::relationships_beyond(current->document, registration_.service, relationship,
                                                       cluster_hosts);
        !beyond.empty()) {
        auto left_out = core::out_of_scope_changes(current->document, *sot_document, registration_.service, relationship);
        if (!left_out || !left_out->empty()) {
            std::string reached;
            for (const auto& other : beyond) reached += (reached.empty() ? "" : ", ") + core::describe(other);
            std::string items;
            if (left_out) {
                for (const auto& item : *left_out) items += (items.empty() ? "" : ", ") + item;
            } else {
                items = left_out.error().describe();
            }
            const std::string reason =
                "the source of truth " + sot.name + " also serves the HA relationship(s) " + reached +
                ": this change reaches beyond relationship " + core::describe(relationship) + " (" +
                items +
                ") and would reach them too; change only this relationship's subnets and shared networks, or wait "
                "until a peer that takes part only in this relationship is the source of truth again (SPEC §5)";
            log->warn("config change refused cluster={} peer={} error={}", registration_.name, sot.name,
                      quote_field(reason));
            co_return ConfigOutcome{409,
                                    {{"error", {{"code", "scope"}, {"message", reason}, {"peer", sot.name}}}},
                                    std::nullopt};
        }
    }
    std::optional<core::Result<PeerConfig>> sot_as_read;  // read only for a scoped target, when needed
    for (auto& target : targets) {
        if (target.read == 0) continue;  // not read: pending already
        auto& theirs = read_results.at(target.read);
        if (!theirs) {
            target.why_pending = theirs.error().describe();
            continue;
        }
        // SPEC §5: a peer whose relationships differ from the SoT's (a hub and its branch) gets
        // only the cluster relationship's part; what cannot be placed safely is refused before
        // anything is tested or written anywhere.
        auto placed = place_for(*sot_document, registration_.service, relationship, target.peer.name, theirs->document,
                                context_.preferences->peer_local_parameters);
        if (!placed.document && placed.scoped) {
            log->warn("config change refused cluster={} peer={} error={}", registration_.name, target.peer.name,
                      quote_field(placed.document.error().message));
            co_return ConfigOutcome{422,
                                    {{"error", {{"code", "relationships-differ"},
                                                {"message", placed.document.error().message},
                                                {"peer", target.peer.name}}}},
                                    std::nullopt};
        }
        if (!placed.document) {
            co_return ConfigOutcome{422, error_body("bad-config", placed.document.error().message), std::nullopt};
        }
        if (placed.scoped) {
            auto left_out = core::out_of_scope_changes(current->document, *sot_document, registration_.service, relationship);
            if (left_out) target.out_of_scope = std::move(*left_out);
            // Nothing of the relationship changed for it (a global change through a branch):
            // a config-set would only restart its HA service, in every relationship.
            target.untouched = in_sync_with(placed, *sot_document, theirs->document, registration_.service, relationship);
            if (!target.untouched && current->as_sent != theirs->as_sent) {
                // One form on both sides (same_form()): the hub read again after another
                // cluster wrote it, against the SoT's config as this controller set it, differ
                // where Kea filled defaults in; a config-set would restart its HA for nothing.
                const auto& service = registration_.service;
                if (theirs->as_sent) {
                    auto fresh = co_await fetch_peer_config(target.peer, true);
                    target.untouched = fresh && core::same_scope(*sot_document, fresh->document, service, relationship);
                } else {
                    if (!sot_as_read) sot_as_read = co_await fetch_peer_config(sot, true);
                    const auto& read = *sot_as_read;
                    target.untouched = read && read->hash == current->hash &&
                                       core::same_scope(current->document, *sot_document, service, relationship) &&
                                       core::same_scope(read->document, theirs->document, service, relationship);
                }
            }
        }
        target.document = std::move(*placed.document);
        target.previous = std::move(theirs->document);  // kept for a rollback
    }
    // A dry run answers with the SoT's diff too (its config read is dropped just below).
    const auto sot_patch = change.dry_run ? core::config_diff(current->document, *sot_document) : nlohmann::json();
    read_results.clear();  // the documents read are not needed any more
    // The tasks borrow the documents: they live in this frame until run_all() returns.
    using Tested = std::pair<std::string, core::Result<kea::Answer>>;
    std::vector<std::function<net::awaitable<Tested>()>> tests;
    std::vector<std::string> test_peers;  // parallel to tests
    test_peers.push_back(sot.name);
    tests.push_back([this, &sot, &doc = *sot_document]() -> net::awaitable<std::pair<std::string, core::Result<kea::Answer>>> {
        co_return std::pair{sot.name, co_await test_config(sot, doc)};
    });
    for (const auto& target : targets) {
        if (!target.document || target.untouched) continue;
        test_peers.push_back(target.peer.name);
        tests.push_back([this, &peer = target.peer, &doc = *target.document]()
                            -> net::awaitable<std::pair<std::string, core::Result<kea::Answer>>> {
            co_return std::pair{peer.name, co_await test_config(peer, doc)};
        });
    }
    const auto test_started = core::SteadyClock::now();
    auto test_results = co_await run_all<Tested>(context_.io, std::move(tests), [&](std::size_t i, const std::string& what) {
        log_task_failed(registration_.name, test_peers.at(i), "test", what);
        return Tested{test_peers.at(i), internal_error("config-test", what)};
    });
    const auto test_done = core::SteadyClock::now();
    for (auto& [peer, tested] : test_results) {
        if (tested) continue;
        const bool rejected = tested.error().kind == core::ErrorKind::KeaError;
        log->warn("config change refused cluster={} peer={} error={}", registration_.name, peer,
                  quote_field(tested.error().describe()));
        co_return ConfigOutcome{rejected ? 422u : 502u,
                                {{"error", {{"code", rejected ? "rejected" : failure_code(tested.error())},
                                            {"message", peer + (rejected ? " rejected the config: " : ": ") +
                                                            tested.error().describe()},
                                            {"peer", peer}}}},
                                std::nullopt};
    }

    if (change.dry_run) {
        // Issue 14 item 3: every reachable peer tested the change; nothing is set or written.
        nlohmann::json peers = nlohmann::json::array();
        peers.push_back({{"name", sot.name}, {"outcome", "tested"}, {"source_of_truth", true},
                         {"patch", sot_patch}});
        for (const auto& target : targets) {
            nlohmann::json entry = {{"name", target.peer.name}};
            if (!target.document) {
                entry["outcome"] = "pending";
                entry["message"] = target.why_pending;
            } else {
                entry["outcome"] = target.untouched ? "unchanged" : "tested";
                entry["patch"] = core::config_diff(*target.previous, *target.document);
                if (!target.out_of_scope.empty()) entry["out_of_scope"] = target.out_of_scope;
            }
            peers.push_back(std::move(entry));
        }
        log->info("config change dry run cluster={} source_of_truth={} peers={}", registration_.name, sot.name,
                  peers.size());
        co_return ConfigOutcome{200,
                                {{"dry_run", true},
                                 {"generation", book_.generation},
                                 {"source_of_truth", sot.name},
                                 {"peers", std::move(peers)}},
                                std::nullopt};
    }
    if (const auto hold = pause_after_test(); hold.count() > 0) {
        log->warn("test hook: paused after config-test cluster={} ms={}", registration_.name, hold.count());
        boost::system::error_code ec;
        auto timer = make_timer();  // stop() (SIGTERM) ends the pause
        timer->expires_after(hold);
        co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    // Phase 2 (SPEC §5 rule 1): config-set + config-write on the SoT and every tested target
    // in parallel. The generation is stored before the writes, so a restart knows a change
    // may be half-way (SPEC §10); the SoT carries it once its config-set passed, a target once
    // every write answered (a change that fails on the SoT is rolled back and carried by nobody).
    const auto generation = book_.generation + 1;
    book_.generation = generation;
    if (auto recorded = persist_now(); !recorded) {
        // SPEC §10: a restart must know a change may be half-way; without the record, nothing
        // goes to Kea (a change the controller cannot account for would be lost or applied twice).
        book_.generation = generation - 1;
        const std::string why = "the change was not written to any peer: its generation " + std::to_string(generation) +
                                " cannot be recorded in the state directory (" + recorded.error().describe() + ")";
        log->error("config change refused cluster={} error={}", registration_.name, quote_field(why));
        co_return ConfigOutcome{503, error_body("state-not-recorded", why), std::nullopt};
    }
    struct SotProgress {
        bool answered = false;  ///< the SoT's config-set has answered
        bool failed = false;    ///< … and failed
        net::steady_timer wake;
        explicit SotProgress(net::io_context& io) : wake(io, net::steady_timer::time_point::max()) {}
    };
    auto progress = std::make_shared<SotProgress>(context_.io);
    auto sot_done = core::SteadyClock::now();
    const auto sot_carried_before = carried(sot.name);
    std::vector<std::function<net::awaitable<PeerWrite>()>> writes;
    writes.push_back([this, &sot, &doc = *sot_document, progress, generation, &sot_done]() -> net::awaitable<PeerWrite> {
        auto written = co_await apply_config(sot, doc);
        sot_done = core::SteadyClock::now();
        progress->answered = true;
        progress->failed = written.outcome != "applied";
        progress->wake.cancel();
        if (progress->failed) co_return written;
        book_.carries[sot.name] = generation;
        note_sot_written(sot.name);
        persist_book();
        co_await persist_config(sot, written);
        co_return written;
    });
    std::vector<PeerWrite> outcomes;
    std::vector<const Target*> written_targets;  // parallel to write_results[1…]
    const auto pause = pause_after_sot_write();
    const auto held = held_write_target();
    std::vector<const Target*> untouched_targets;  // scoped, nothing of theirs changed
    for (const auto& target : targets) {
        if (!target.document) {
            outcomes.push_back({target.peer.name, "pending", target.why_pending, false});
            in_sync_.erase(target.peer.name);
            continue;
        }
        if (target.untouched) {
            untouched_targets.push_back(&target);
            continue;
        }
        written_targets.push_back(&target);
        const auto wait = held.empty() || held == target.peer.name ? pause : core::Duration(0);
        writes.push_back([this, &peer = target.peer, &doc = *target.document, progress, pause = wait]() -> net::awaitable<PeerWrite> {
            if (pause.count() > 0) {
                // Test hook only: the targets wait for the SoT (the old order), then the pause.
                boost::system::error_code ec;
                if (!progress->answered) co_await progress->wake.async_wait(net::redirect_error(net::use_awaitable, ec));
                if (!progress->failed) {
                    auto timer = make_timer();  // stop() (SIGTERM) ends the pause
                    timer->expires_after(pause);
                    co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
                }
            }
            if (progress->failed) {
                co_return PeerWrite{peer.name, "unchanged", "not written: the change failed on the source of truth", false};
            }
            co_return co_await write_config(peer, doc);
        });
    }
    const auto writes_started = core::SteadyClock::now();
    // A write task that threw (a bug) is a failed write of its peer. The SoT's: failed while its
    // config-set had not answered (the change fails as a whole, the targets wait no longer);
    // applied but not persisted after (it carries the generation already).
    const auto write_failed = [&](std::size_t i, const std::string& what) {
        const std::string& peer = i == 0 ? sot.name : written_targets.at(i - 1)->peer.name;
        log_task_failed(registration_.name, peer, "write", what);
        if (i == 0 && progress->answered && !progress->failed) {
            return PeerWrite{peer, "applied", "applied in memory, not persisted: internal error: " + what, false};
        }
        if (i == 0) {
            sot_done = core::SteadyClock::now();
            progress->answered = true;
            progress->failed = true;
            progress->wake.cancel();
        }
        return PeerWrite{peer, "failed", "internal error: " + what, false};
    };
    auto write_results = co_await run_all<PeerWrite>(context_.io, std::move(writes), write_failed);
    const auto writes_done = core::SteadyClock::now();
    const PeerWrite sot_write = std::move(write_results.front());
    write_results.erase(write_results.begin());
    const auto seconds = [](core::SteadyClock::time_point from, core::SteadyClock::time_point to) {
        return std::chrono::duration<double>(to - from).count();
    };

    if (sot_write.outcome != "applied") {
        // SPEC §5 rule 1: the change fails as a whole. Every target already changed gets the
        // config it had before (config-set + config-write), in parallel.
        std::vector<std::function<net::awaitable<PeerWrite>()>> rollbacks;
        std::vector<std::size_t> rolled;  // indices into write_results
        for (std::size_t i = 0; i < write_results.size(); ++i) {
            if (write_results[i].outcome != "applied") continue;
            rolled.push_back(i);
            const Target& target = *written_targets[i];
            rollbacks.push_back([this, &peer = target.peer, &doc = *target.previous]() -> net::awaitable<PeerWrite> {
                co_return co_await write_config(peer, doc);
            });
        }
        auto rollback_results = co_await run_all<PeerWrite>(
            context_.io, std::move(rollbacks), [&](std::size_t k, const std::string& what) {
                const std::string& peer = written_targets.at(rolled.at(k))->peer.name;
                log_task_failed(registration_.name, peer, "rollback", what);
                return PeerWrite{peer, "failed", "internal error: " + what, false};
            });
        for (std::size_t k = 0; k < rolled.size(); ++k) {
            auto& outcome = write_results[rolled[k]];
            auto& back = rollback_results[k];
            if (back.outcome == "applied") {
                outcome = PeerWrite{outcome.peer, "rolled-back", back.message, back.persisted};
            } else {
                outcome = PeerWrite{outcome.peer, "rollback-failed",
                                    "the change was applied, and setting the previous config back failed: " +
                                        back.message,
                                    false};
                log->error("config rollback failed cluster={} peer={} error={}", registration_.name, outcome.peer,
                           quote_field(back.message));
            }
        }
        for (auto& target : targets) {  // what each runs now, where Kea's hash says it
            if (target.document) keep_sent(target.peer.name, std::move(*target.document));
            if (target.previous) keep_sent(target.peer.name, std::move(*target.previous));
        }
        for (auto& outcome : write_results) {
            in_sync_.erase(outcome.peer);  // whatever happened, the next comparison says
            outcomes.push_back(std::move(outcome));
        }
        for (const auto* target : untouched_targets) {
            outcomes.push_back({target->peer.name, "unchanged", "not written: the change failed on the source of truth",
                                false});
        }
        // Not accepted: the generation is given back, nobody carries it.
        book_.generation = generation - 1;
        persist_book();
        ++replications_failed_;
        last_replication_s_ = seconds(started, core::SteadyClock::now());
        nlohmann::json peers = nlohmann::json::array();
        std::string summary;
        for (const auto& outcome : outcomes) {
            peers.push_back(outcome.to_json());
            summary += (summary.empty() ? "" : ",") + outcome.summary();
        }
        log->error("config change failed on the source of truth cluster={} peer={} error={} peers={}",
                   registration_.name, sot.name, quote_field(sot_write.message), summary.empty() ? "-" : summary);
        record_replication_event("config-change-failed", sot.name, "", "",
                                 "change through the API failed on " + sot.name + ": " + sot_write.message +
                                     (summary.empty() ? "" : " (" + summary + ")"));
        co_return ConfigOutcome{502,
                                {{"error", {{"code", "sot-write-failed"},
                                            {"message", sot.name + ": " + sot_write.message},
                                            {"peer", sot.name},
                                            {"peers", std::move(peers)}}}},
                                std::nullopt};
    }

    outcomes.insert(outcomes.begin(), sot_write);  // the SoT's, first
    // In memory only (config-write failed): a restart of that Kea would go back to its file.
    if (!sot_write.persisted) co_await note_not_persisted(sot, sot_carried_before);
    for (std::size_t i = 0; i < write_results.size(); ++i) {
        auto& written = write_results[i];
        if (written.outcome == "applied") {
            co_await carry(written_targets.at(i)->peer, generation, written.persisted);
            in_sync_[written.peer] = true;
        } else {
            in_sync_.erase(written.peer);  // failed: pending, converged later (rule 2)
            schedule_retry(written.peer);
        }
        written.out_of_scope = written_targets.at(i)->out_of_scope;
        outcomes.push_back(std::move(written));
    }
    for (const auto* target : untouched_targets) {
        // SPEC §5: it runs all it should of this change (its relationship's part is unchanged).
        book_.carries[target->peer.name] = generation;
        in_sync_[target->peer.name] = true;
        PeerWrite untouched{target->peer.name, "unchanged", {}, true, target->out_of_scope};
        if (!untouched.out_of_scope.empty()) {
            untouched.message = "out of scope: applied on the source of truth only (relationship " +
                                core::describe(relationship) + ")";
        }
        outcomes.push_back(std::move(untouched));
    }
    in_sync_[sot.name] = true;
    record_history(generation, change, sot.name, *sot_document);
    keep_sent(sot.name, std::move(*sot_document));
    for (auto& target : targets) {
        if (target.document) keep_sent(target.peer.name, std::move(*target.document));
    }
    // persist_book() is folded into the config-change event's save below.
    const double took = seconds(started, core::SteadyClock::now());
    last_replication_s_ = took;
    nlohmann::json peers = nlohmann::json::array();
    std::string summary;
    bool all_applied = true;
    for (const auto& outcome : outcomes) {
        peers.push_back(outcome.to_json());
        summary += (summary.empty() ? "" : ",") + outcome.summary();
        if ((outcome.outcome != "applied" && outcome.outcome != "unchanged") || !outcome.persisted) all_applied = false;
    }
    all_applied ? ++replications_done_ : ++replications_failed_;
    // The phases' own times (Kea's commands, mostly) tell a slow peer from a slow controller.
    log->info("config changed cluster={} generation={} by={} client={} source_of_truth={} peers={} seconds={:.3f} "
              "read={:.3f} test={:.3f} sot_set={:.3f} writes={:.3f}",
              registration_.name, generation, change.who, change.client.empty() ? "-" : change.client, sot.name, summary, took, seconds(started, read_done),
              seconds(test_started, test_done), seconds(writes_started, sot_done), seconds(writes_started, writes_done));
    record_replication_event("config-change", "", "", std::to_string(generation),
                             "change through the API by " + change.who +
                                 (change.rollback_of ? " (rollback to generation " + std::to_string(*change.rollback_of) + ")" : "") +
                                 " applied on " + sot.name + " (" + summary + ")");
    co_return ConfigOutcome{200,
                            {{"generation", generation}, {"source_of_truth", sot.name}, {"peers", std::move(peers)}},
                            std::nullopt};
}

net::awaitable<ConfigOutcome> ClusterMonitor::converge_locked(const std::string& reason, bool answer_per_peer) {
    auto log = logger("replication");
    sent_.clear();  // only this operation's writes are taken over (keep_sent())
    if (auto blocked = replication_blocked()) co_return ConfigOutcome{409, error_body("replication-off", *blocked), std::nullopt};
    if (!topology_ || !view_ || !view_->source_of_truth) {
        co_return ConfigOutcome{503, error_body("cluster-down", "no source of truth"), std::nullopt};
    }
    const auto started = core::SteadyClock::now();
    const core::Topology topology = *topology_;
    const core::HaPeer sot = *topology.find_peer(*view_->source_of_truth);

    // SPEC §5 rule 3: never lose a change answered 200. If another peer carries a later
    // generation than the SoT (a change made while the primary was away), the SoT gets it
    // first; if that peer cannot be read now, nobody is overwritten.
    if (const auto ahead = holder_ahead_of(topology, sot.name)) {
        const core::HaPeer holder = *topology.find_peer(*ahead);
        // (No co_await inside a conditional expression: g++ 12 miscompiles that.)
        core::Result<PeerConfig> theirs = core::make_error(core::ErrorKind::Refused, "unreachable");
        const auto reverts = reverts_seen_;
        if (reachable(holder.name)) theirs = co_await fetch_peer_config(holder);
        if (reverts_seen_ != reverts) {
            // The holder itself went back to its file since (it had the change in memory only):
            // it carries less than it did; the latest holder is looked for again.
            co_return co_await converge_locked(reason, answer_per_peer);
        }
        if (!theirs) {
            log->warn("latest change not reachable, not overwriting cluster={} holder={} generation={} error={}",
                      registration_.name, holder.name, carried(holder.name), quote_field(theirs.error().describe()));
            co_return ConfigOutcome{503, error_body("latest-change-unreachable",
                                                    "generation " + std::to_string(carried(holder.name)) +
                                                        " lives on " + holder.name + ", which cannot be read now"),
                                    std::nullopt};
        }
        auto mine = co_await fetch_peer_config(sot);
        if (!mine) co_return ConfigOutcome{502, error_body("unreachable", sot.name + ": " + mine.error().describe()), std::nullopt};
        (void)co_await same_form(holder, theirs.value(), sot, mine.value());
        // SPEC §5: the latest change reaches the primary scoped to the relationship when their
        // relationships differ (a hub was SoT for its branch); when it cannot be placed, nobody
        // is overwritten either (overwriting the others would lose that change).
        auto for_sot = place_for(theirs->document, registration_.service, relationship_of(topology), sot.name, mine->document,
                                 context_.preferences->peer_local_parameters);
        if (!for_sot.document && for_sot.scoped) {
            const auto& why = for_sot.document.error().message;
            log->warn("config not replicated, relationships differ cluster={} peer={} reason={}", registration_.name,
                      sot.name, quote_field(why));
            record_replication_event("config-refused", sot.name, "", std::to_string(carried(holder.name)),
                                     "generation " + std::to_string(carried(holder.name)) + " on " + holder.name +
                                         " not brought to " + sot.name + ", nobody overwritten: " + why);
            ++replications_failed_;
            co_return ConfigOutcome{422,
                                    {{"error", {{"code", "relationships-differ"},
                                                {"message", why + "; nobody was overwritten, so that generation " +
                                                                std::to_string(carried(holder.name)) +
                                                                " made while " + sot.name + " was away is not lost"},
                                                {"peer", sot.name}}}},
                                    std::nullopt};
        }
        if (!for_sot.document) {
            co_return ConfigOutcome{422, error_body("bad-config", for_sot.document.error().message), std::nullopt};
        }
        bool sot_persisted = true;
        if (!in_sync_with(for_sot, theirs->document, mine->document, registration_.service, relationship_of(topology))) {
            auto written = co_await write_config(sot, *for_sot.document);
            keep_sent(sot.name, std::move(*for_sot.document));
            if (written.outcome != "applied") {
                ++replications_failed_;
                log->error("cannot bring the latest change to the source of truth cluster={} peer={} error={}",
                           registration_.name, sot.name, quote_field(written.message));
                co_return ConfigOutcome{502, error_body("sot-write-failed", sot.name + ": " + written.message), std::nullopt};
            }
            sot_persisted = written.persisted;
            record_replication_event("config-brought-to-sot", sot.name, std::to_string(carried(sot.name)),
                                     std::to_string(carried(holder.name)),
                                     "generation " + std::to_string(carried(holder.name)) + " made while " + sot.name +
                                         " was away, copied from " + holder.name);
        }
        co_await carry(sot, carried(holder.name), sot_persisted);
        book_.sot_etag.reset();
        persist_book();
    }

    const auto reverts = reverts_seen_;
    auto source = co_await fetch_peer_config(sot);
    if (reverts_seen_ != reverts && holder_ahead_of(topology, sot.name)) {
        // The SoT went back to its file since (a change it had in memory only): rule 3 first.
        co_return co_await converge_locked(reason, answer_per_peer);
    }
    if (!source) co_return ConfigOutcome{502, error_body("unreachable", sot.name + ": " + source.error().describe()), std::nullopt};
    book_.sot_etag = core::config_etag(source->document, source->hash);
    book_.sot_peer = sot.name;
    in_sync_[sot.name] = true;
    const auto relationship = relationship_of(topology);
    std::vector<PeerWrite> outcomes;
    for (const auto& peer : topology.peers) {
        if (peer.name == sot.name) continue;
        if (!reachable(peer.name)) {
            outcomes.push_back({peer.name, "pending", "unreachable", false});
            continue;
        }
        // A peer in its HA restart (after the config-set that synced it, say) still answers
        // config-get: if it already has the config, it is "unchanged", not pending.
        auto theirs = co_await fetch_peer_config(peer);
        if (!theirs) {
            outcomes.push_back({peer.name, "pending", theirs.error().describe(), false});
            continue;
        }
        // An unchanged peer is not written (a config-set restarts its HA service).
        (void)co_await same_form(sot, source.value(), peer, theirs.value());
        // SPEC §5: scoped to the relationship when the relationships differ; a peer it cannot be
        // placed on safely is refused, and the others go on.
        auto placed = place_for(source->document, registration_.service, relationship, peer.name, theirs->document,
                                context_.preferences->peer_local_parameters);
        if (!placed.document && placed.scoped) {
            const auto& why = placed.document.error().message;
            in_sync_[peer.name] = false;
            log->warn("config not replicated, relationships differ cluster={} peer={} reason={}", registration_.name,
                      peer.name, quote_field(why));
            record_replication_event("config-refused", peer.name, "", "", why + " (" + reason + ")");
            outcomes.push_back({peer.name, "refused", why, false});
            continue;
        }
        if (!placed.document) {
            outcomes.push_back({peer.name, "failed", placed.document.error().message, false});
            continue;
        }
        auto& transformed = placed.document;
        if (in_sync_with(placed, source->document, theirs->document, registration_.service, relationship)) {
            in_sync_[peer.name] = true;
            book_.carries[peer.name] = carried(sot.name);
            outcomes.push_back({peer.name, "unchanged", {}, true});
            continue;
        }
        if (!usable(peer.name)) {
            outcomes.push_back({peer.name, "pending", "not active yet", false});
            continue;
        }
        auto tested = co_await test_config(peer, *transformed);
        if (!tested) {
            in_sync_[peer.name] = false;
            schedule_retry(peer.name);
            outcomes.push_back({peer.name, "failed", "config-test: " + tested.error().describe(), false});
            continue;
        }
        auto written = co_await write_config(peer, *transformed);
        keep_sent(peer.name, std::move(*transformed));
        if (written.outcome == "applied") {
            in_sync_[peer.name] = true;
            co_await carry(peer, carried(sot.name), written.persisted);
            record_replication_event("config-synced", peer.name, "", std::to_string(carried(sot.name)),
                                     "config of " + sot.name + " replicated to " + peer.name + " (" + reason + ")");
        } else {
            in_sync_[peer.name] = false;
            schedule_retry(peer.name);
        }
        outcomes.push_back(std::move(written));
    }
    persist_book();
    nlohmann::json peers = nlohmann::json::array();
    std::string summary;
    bool failed = false;
    for (const auto& outcome : outcomes) {
        peers.push_back(outcome.to_json());
        summary += (summary.empty() ? "" : ",") + outcome.summary();
        if (outcome.outcome == "failed" || outcome.outcome == "refused" || (outcome.persists() && !outcome.persisted)) {
            failed = true;
        }
    }
    const double took = std::chrono::duration<double>(core::SteadyClock::now() - started).count();
    failed ? ++replications_failed_ : ++replications_done_;
    last_replication_s_ = took;
    log->info("config converged cluster={} source_of_truth={} reason={} peers={} seconds={:.3f}", registration_.name,
              sot.name, quote_field(reason), summary.empty() ? "-" : summary, took);
    if (!answer_per_peer) co_return ConfigOutcome{};
    co_return ConfigOutcome{200,
                            {{"generation", book_.generation}, {"source_of_truth", sot.name}, {"peers", std::move(peers)}},
                            std::nullopt};
}

net::awaitable<void> ClusterMonitor::check_sync_locked() {
    // SPEC §5 rule 4: read the SoT and every other peer; an external change on the SoT is an
    // event (propagated only with keaPropagateExternalChanges=1); a peer that differs is drift.
    if (!topology_ || !view_ || !view_->source_of_truth || replication_blocked()) co_return;
    auto log = logger("replication");
    const core::Topology topology = *topology_;
    const core::HaPeer sot = *topology.find_peer(*view_->source_of_truth);
    const auto reverts = reverts_seen_;
    auto source = co_await fetch_peer_config(sot);
    if (!source) co_return;
    if (reverts_seen_ != reverts) {
        // Not an external change: the SoT lost what it had in memory only (note_config_seen());
        // the next evaluation converges it from the peers that carry it.
        book_.sot_etag.reset();
        persist_book();
        co_return;
    }
    const auto etag = core::config_etag(source->document, source->hash);
    bool external = false;
    if (changed_outside(sot.name, etag)) {
        external = true;
        log->warn("external config change cluster={} peer={} propagate={}", registration_.name, sot.name,
                  context_.preferences->propagate_external_changes ? "now" : "on the next change or sync");
        record_replication_event("config-external-change", sot.name, *book_.sot_etag, etag,
                                 "config of " + sot.name + " changed outside the controller");
    }
    book_.sot_etag = etag;
    book_.sot_peer = sot.name;
    in_sync_[sot.name] = true;
    const auto relationship = relationship_of(topology);
    for (const auto& peer : topology.peers) {
        if (peer.name == sot.name) continue;
        auto theirs = co_await fetch_peer_config(peer);
        if (!theirs) {
            in_sync_.erase(peer.name);
            continue;
        }
        (void)co_await same_form(sot, source.value(), peer, theirs.value());
        auto before = in_sync_.find(peer.name);
        auto placed = place_for(source->document, registration_.service, relationship, peer.name, theirs->document,
                                context_.preferences->peer_local_parameters);
        if (!placed.document && placed.scoped) {
            // Not drift that the next replication overwrites: replication refuses this peer.
            if (before == in_sync_.end() || before->second) {
                log->warn("config not replicated, relationships differ cluster={} peer={} reason={}",
                          registration_.name, peer.name, quote_field(placed.document.error().message));
                record_replication_event("config-refused", peer.name, "", "", placed.document.error().message);
            }
            in_sync_[peer.name] = false;
            continue;
        }
        // Scoped peers (a hub and its branch) are compared on the relationship's part only.
        const bool same = in_sync_with(placed, source->document, theirs->document, registration_.service, relationship);
        if (!same && (before == in_sync_.end() || before->second)) {
            // What differs, in short (the whole patch: GET /v1/clusters/NAME/diff?peer=P).
            const auto paths = placed.document ? core::summarize_patch(core::config_diff(theirs->document, *placed.document))
                                               : placed.document.error().message;
            log->warn("config drift cluster={} peer={} source_of_truth={} paths={}", registration_.name, peer.name,
                      sot.name, quote_field(paths));
            record_replication_event("config-drift", peer.name, "in-sync", "drift",
                                     "config of " + peer.name + " differs from " + sot.name + "'s at " + paths +
                                         "; overwritten by the next replication");
        }
        in_sync_[peer.name] = same;
    }
    persist_book();
    if (external && context_.preferences->propagate_external_changes) {
        co_await converge_locked("external change on " + sot.name + " (keaPropagateExternalChanges=1)", false);
    }
}

void ClusterMonitor::schedule(const char* what, std::function<net::awaitable<void>()> operation) {
    auto self = shared_from_this();
    net::co_spawn(
        context_.io,
        [self, operation = std::move(operation)]() -> net::awaitable<void> {
            RunningGuard running(self->running_);
            co_await self->lock_operations();
            OperationGuard guard([self] { self->unlock_operations(); });
            if (self->stopped_) co_return;
            auto peers_held = co_await self->lock_peers();
            if (self->stopped_) co_return;
            co_await operation();
        },
        [self, what](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& error) {
                logger("replication")->error("config operation failed cluster={} operation={} error={}",
                                             self->registration_.name, what, quote_field(error.what()));
            }
        });
}

std::uint64_t ClusterMonitor::carried(const std::string& peer) const {
    const auto found = book_.carries.find(peer);
    return found == book_.carries.end() ? 0 : found->second;
}

std::optional<std::string> ClusterMonitor::holder_ahead_of(const core::Topology& topology, const std::string& sot) const {
    const core::HaPeer* latest = nullptr;
    for (const auto& peer : topology.peers)
        if (carried(peer.name) > (latest ? carried(latest->name) : carried(sot))) latest = &peer;
    if (!latest) return std::nullopt;
    return latest->name;
}

void ClusterMonitor::schedule_retry(const std::string& peer) { back_off(retry_, peer); }

void ClusterMonitor::back_off(std::map<std::string, Retry>& retries, const std::string& peer) const {
    const std::chrono::milliseconds first =
        std::chrono::duration_cast<std::chrono::milliseconds>(context_.preferences->config_timeout);
    auto found = retries.find(peer);
    const auto wait = found == retries.end() ? std::max(first, std::chrono::milliseconds(1000))
                                             : std::min(found->second.wait * 2, std::chrono::milliseconds(900000));
    retries[peer] = Retry{core::SteadyClock::now() + wait, wait};
}

void ClusterMonitor::consider_replication(const std::vector<core::Event>& events) {
    // "Away" means not answering (or DHCP disabled): a peer merely restarting its HA service
    // (transitional, e.g. after an external config-set) was never away, and must not have an
    // external change or drift silently overwritten (SPEC §5 rule 4).
    for (const auto& event : events) {
        if (event.kind == core::event_kind::kPeerCondition && event.peer &&
            (event.to == "unreachable" || event.to == "disabled")) {
            away_.insert(*event.peer);
        }
    }
    if (stopped_ || replication_blocked() || !topology_ || !view_ || !view_->source_of_truth) return;
    const bool first_look = !first_sot_seen_;
    first_sot_seen_ = true;
    if (first_look) {
        // Learn the SoT's config (ETag, in_sync) as soon as there is a SoT: in_sync lives in
        // memory only, and an ETag kept from before a restart (Kea 2.6+: known from config-set's
        // hash) is compared now, so that a change made while the controller was down is seen
        // at its start, not a keaConfigSyncInterval later (found by the CI soak: every peer's
        // in_sync stayed unknown after a SIGKILL once the changes had stopped).
        auto self = shared_from_this();
        schedule("check-sync", [self]() { return self->check_sync_locked(); });
    }
    std::string why;
    for (const auto& event : events) {
        // Rules 2 and 3: a peer back from being away (the primary included: it is SoT again
        // in the same evaluation, and converge_locked() brings it the latest change first).
        if (event.kind == core::event_kind::kPeerCondition && event.peer && event.to == "active" &&
            away_.count(*event.peer)) {
            away_.erase(*event.peer);
            why = *event.peer + " is back";
        }
    }
    // A write that failed (Kea answered after keaConfigTimeout, or refused it) is looked at
    // again once Kea had time to finish it, even when nothing else happens meanwhile.
    bool retry_due = false;
    const auto now = core::SteadyClock::now();
    for (auto it = retry_.begin(); it != retry_.end();) {
        if (auto synced = in_sync_.find(it->first); synced != in_sync_.end() && synced->second) {
            it = retry_.erase(it);
            continue;
        }
        if (now >= it->second.at && usable(it->first)) retry_due = true;
        ++it;
    }
    // A config-write that failed after its config-set passed is tried again (back-off).
    bool persist_due = false;
    for (auto it = persist_retry_.begin(); it != persist_retry_.end();) {
        if (!book_.unpersisted.count(it->first)) {
            it = persist_retry_.erase(it);
            continue;
        }
        if (now >= it->second.at && usable(it->first)) persist_due = true;
        ++it;
    }
    if (persist_due && !persist_retry_scheduled_) {
        persist_retry_scheduled_ = true;
        auto self = shared_from_this();
        schedule("persist-retry", [self]() -> net::awaitable<void> {
            self->persist_retry_scheduled_ = false;
            co_await self->retry_persist_locked();
        });
    }
    // Pending peers: a change they missed, or an operation cut short by a restart.
    if (why.empty() && (first_look || !events.empty() || retry_due)) {
        for (const auto& peer : topology_->peers) {
            if (carried(peer.name) < book_.generation && usable(peer.name) &&
                (first_look || in_sync_.count(peer.name) == 0)) {
                why = "pending change for " + peer.name;
            }
        }
    }
    if (why.empty() || convergence_scheduled_) return;
    convergence_scheduled_ = true;
    logger("replication")->info("convergence scheduled cluster={} reason={}", registration_.name, quote_field(why));
    auto self = shared_from_this();
    schedule("converge", [self, why]() -> net::awaitable<void> {
        self->convergence_scheduled_ = false;
        co_await self->converge_locked(why, false);
    });
}

}  // namespace kea_ha::daemon
