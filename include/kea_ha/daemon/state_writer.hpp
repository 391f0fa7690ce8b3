#pragma once
// Writes cluster documents to the state directory off the event loop. Each write of the
// store fsyncs twice (file and directory: ~1 ms here, 10 ms and more on slow or networked
// disks); a mass outage changes the condition of every peer of every cluster at once, and
// hundreds of such writes on the event loop would stall every poll and the API behind them.
//
// save_later(): the health events of a poll. The cluster's latest document wins over one not
// yet written; a background thread writes them in turn.
// save_now() / remove(): what must be on disk before the caller goes on (a registration
// answered 201, the replication generation before a config-set). Synchronous, and never
// overtaken by an older save_later() of the same cluster, queued or being written.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kea_ha/core/result.hpp"
#include "kea_ha/daemon/state_store.hpp"

namespace kea_ha::daemon {

class StateWriter {
public:
    /// Called on the writer's thread when a background write fails.
    using ErrorSink = std::function<void(const std::string& cluster, const core::Error& error)>;

    StateWriter(StateStore store, ErrorSink on_error);
    ~StateWriter();  ///< writes what is pending, then stops the thread
    StateWriter(const StateWriter&) = delete;
    StateWriter& operator=(const StateWriter&) = delete;

    /// Queues the cluster's document (JSON text), replacing one of the same cluster not yet written.
    void save_later(std::string name, std::string text);
    /// Queues a line for the cluster's events journal (appended in the order queued).
    void append_event_later(const std::string& name, std::string line);
    /// Queues a rewrite of the cluster's events journal with `lines` (its compaction): the
    /// lines queued before it are dropped (`lines` holds them), those queued after follow it.
    void replace_events_later(const std::string& name, std::vector<std::string> lines);
    /// Queues a compaction of the cluster's events journal to its last `keep` lines, done after
    /// the lines queued before it are written.
    void compact_events_later(const std::string& name, std::size_t keep);
    /// The cluster's events journal as it is once everything queued is written: the file's
    /// lines, then the queued ones, the last `keep` of them, oldest first. Waits for a write in
    /// progress (as save_now() does). `problems`: what load_journal() reports.
    std::vector<std::string> read_events(const std::string& name, std::size_t keep,
                                         std::vector<StoreProblem>& problems);
    /// Writes now; a queued older document of the cluster is dropped.
    core::Status save_now(const std::string& name, const std::string& text);
    /// Removes the cluster's files now; a queued or in-flight older document or event does not
    /// bring them back.
    core::Status remove(const std::string& name);
    /// Returns once every document queued before the call is written (or failed).
    void flush();
    /// Why the last write failed, while no write has succeeded since (GET /v1/health).
    std::optional<std::string> last_error() const;

    const StateStore& store() const { return store_; }

private:
    void run();
    /// What is queued for one cluster.
    struct Pending {
        std::optional<std::string> document;
        std::optional<std::vector<std::string>> events_rewrite;
        std::vector<std::string> event_lines;  ///< after the rewrite, when there is one
        std::optional<std::size_t> events_compact;  ///< then keep the journal's last N lines
    };
    /// Writes one cluster's pending records (the events first: a document never waits on them).
    void write(const std::string& name, Pending& pending);
    /// The events journal once `pending` is written: its rewrite (or the file's lines), then its
    /// queued lines; the last `keep` of them when given. Reads the file: under disk_mutex_.
    std::vector<std::string> journal_after(const std::string& name, const Pending& pending,
                                           std::optional<std::size_t> keep,
                                           std::vector<StoreProblem>& problems) const;
    void queue(const std::string& name, const std::function<void(Pending&)>& change);
    /// Drops the cluster's queued document (older than the caller's), and says so to flush().
    void drop_queued_locked(const std::string& name);

    const StateStore store_;
    const ErrorSink on_error_;

    // Lock order: disk_mutex_, then queue_mutex_. A write holds disk_mutex_ from taking its
    // document off the queue until it is on disk, so save_now() and remove() (which hold it
    // too) never run between the two: an older document cannot land after a newer one.
    std::mutex disk_mutex_;
    std::atomic<int> waiting_now_{0};  ///< save_now()/remove() waiting for disk_mutex_: they go first
    std::mutex queue_mutex_;  // queued_, busy_, stopping_
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::map<std::string, Pending> queued_;
    bool busy_ = false;
    bool stopping_ = false;

    void note(const core::Status& written);
    mutable std::mutex error_mutex_;
    std::optional<std::string> last_error_;

    std::thread thread_;  // last: started once everything above exists
};

}  // namespace kea_ha::daemon
