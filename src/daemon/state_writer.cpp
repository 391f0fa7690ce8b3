#include "kea_ha/daemon/state_writer.hpp"

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

void StateWriter::save_later(std::string name, std::string text) {
    {
        std::lock_guard lock(queue_mutex_);
        queued_[std::move(name)] = std::move(text);
    }
    wake_.notify_one();
}

core::Status StateWriter::save_now(const std::string& name, const std::string& text) {
    ++waiting_now_;
    std::lock_guard disk(disk_mutex_);
    --waiting_now_;
    {
        std::lock_guard lock(queue_mutex_);
        drop_queued_locked(name);
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
        auto written = store_.save_text(next.key(), next.mapped());
        note(written);
        if (!written && on_error_) on_error_(next.key(), written.error());
        std::lock_guard lock(queue_mutex_);
        busy_ = false;
        if (queued_.empty()) idle_.notify_all();
    }
}

}  // namespace kea_ha::daemon
