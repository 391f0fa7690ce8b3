#include "kea_ha/daemon/state_writer.hpp"

#include <cstdint>
#include <thread>
#include <utility>

namespace kea_ha::daemon {

StateWriter::StateWriter(StateStore store, ErrorSink on_error)
    : store_(std::move(store)), on_error_(std::move(on_error)), thread_([this] { run(); }) {}

StateWriter::~StateWriter() {
    flush();
    {
        std::lock_guard lock(queue_mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void StateWriter::queue(const std::string& name, const std::function<void(Pending&)>& change) {
    {
        std::lock_guard lock(queue_mutex_);
        change(queued_[name]);
    }
    wake_.notify_one();
}

void StateWriter::save_later(std::string name, std::string text) {
    queue(name, [&](Pending& pending) { pending.document = std::move(text); });
}

void StateWriter::append_event_later(const std::string& name, std::string line) {
    queue(name, [&](Pending& pending) { pending.event_lines.push_back(std::move(line)); });
}

void StateWriter::replace_events_later(const std::string& name, std::vector<std::string> lines) {
    queue(name, [&](Pending& pending) {
        pending.events_rewrite = std::move(lines);
        pending.event_lines.clear();
    });
}

void StateWriter::compact_events_later(const std::string& name, std::size_t keep) {
    queue(name, [&](Pending& pending) { pending.events_compact = keep; });
}

std::vector<std::string> StateWriter::journal_after(const std::string& name, const Pending& pending,
                                                    std::optional<std::size_t> keep,
                                                    std::vector<StoreProblem>& problems) const {
    // A queued rewrite replaces the file's lines; the queued lines follow either.
    auto lines = pending.events_rewrite
                     ? *pending.events_rewrite
                     : store_.load_journal(name, Journal::Events, keep.value_or(SIZE_MAX), problems).lines;
    lines.insert(lines.end(), pending.event_lines.begin(), pending.event_lines.end());
    if (keep && lines.size() > *keep) lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(*keep));
    return lines;
}

std::vector<std::string> StateWriter::read_events(const std::string& name, std::size_t keep,
                                                  std::vector<StoreProblem>& problems) {
    ++waiting_now_;
    std::lock_guard disk(disk_mutex_);  // no write of the journal in progress
    --waiting_now_;
    Pending queued;
    {
        std::lock_guard lock(queue_mutex_);
        if (auto found = queued_.find(name); found != queued_.end()) {
            queued.events_rewrite = found->second.events_rewrite;
            queued.event_lines = found->second.event_lines;
        }
    }
    return journal_after(name, queued, keep, problems);
}

void StateWriter::write(const std::string& name, Pending& pending) {
    const auto done = [&](const core::Status& written) {
        note(written);
        if (!written && on_error_) on_error_(name, written.error());
    };
    if (pending.events_rewrite || pending.events_compact) {
        // One rewrite: the journal as it is once the queued lines are in, compacted when asked
        // (a damaged line is set aside by load_journal() itself).
        std::vector<StoreProblem> problems;
        done(store_.replace_journal(name, Journal::Events, journal_after(name, pending, pending.events_compact, problems)));
    } else if (!pending.event_lines.empty()) {
        done(store_.append_journal(name, Journal::Events, pending.event_lines));
    }
    if (pending.document) done(store_.save_text(name, *pending.document));
}

core::Status StateWriter::save_now(const std::string& name, const std::string& text) {
    ++waiting_now_;
    std::lock_guard disk(disk_mutex_);
    --waiting_now_;
    {
        std::lock_guard lock(queue_mutex_);
        if (auto found = queued_.find(name); found != queued_.end()) {
            found->second.document.reset();  // older than `text`; the queued events still go
            if (!found->second.events_rewrite && found->second.event_lines.empty() && !found->second.events_compact) {
                drop_queued_locked(name);
            }
        }
    }
    auto written = store_.save_text(name, text);
    note(written);
    return written;
}

void StateWriter::note(const core::Status& written) {
    std::lock_guard lock(error_mutex_);
    if (written) {
        last_error_.reset();
    } else {
        last_error_ = written.error().describe();
    }
}

std::optional<std::string> StateWriter::last_error() const {
    std::lock_guard lock(error_mutex_);
    return last_error_;
}

core::Status StateWriter::remove(const std::string& name) {
    ++waiting_now_;
    std::lock_guard disk(disk_mutex_);
    --waiting_now_;
    {
        std::lock_guard lock(queue_mutex_);
        drop_queued_locked(name);
    }
    return store_.remove(name);
}

void StateWriter::flush() {
    std::unique_lock lock(queue_mutex_);
    idle_.wait(lock, [this] { return queued_.empty() && !busy_; });
}

void StateWriter::drop_queued_locked(const std::string& name) {
    queued_.erase(name);
    if (queued_.empty() && !busy_) idle_.notify_all();
}

void StateWriter::run() {
    for (;;) {
        {
            std::unique_lock lock(queue_mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
            if (queued_.empty()) return;  // stopping, nothing left
        }
        // The event loop's own writes first (a mutex does not queue its waiters in order).
        while (waiting_now_.load() > 0) std::this_thread::yield();
        std::lock_guard disk(disk_mutex_);
        decltype(queued_)::node_type next;
        {
            std::lock_guard lock(queue_mutex_);
            if (queued_.empty()) continue;  // taken by save_now() or remove() meanwhile
            next = queued_.extract(queued_.begin());
            busy_ = true;
        }
        write(next.key(), next.mapped());
        std::lock_guard lock(queue_mutex_);
        busy_ = false;
        if (queued_.empty()) idle_.notify_all();
    }
}

}  // namespace kea_ha::daemon
