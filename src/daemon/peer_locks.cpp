// PeerLocks: async locks by peer key (issue 12 item 3), the same shape as the cluster's own
// operation lock (a flag and a queue of parked timers; one io_context thread).

#include "kea_ha/daemon/peer_locks.hpp"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kea_ha::daemon {

namespace net = boost::asio;

PeerLocks::Held& PeerLocks::Held::operator=(Held&& other) noexcept {
    if (this != &other) {
        release();
        owner_ = other.owner_;
        keys_ = std::move(other.keys_);
        other.owner_ = nullptr;
    }
    return *this;
}

void PeerLocks::Held::release() {
    if (!owner_) return;
    for (auto key = keys_.rbegin(); key != keys_.rend(); ++key) owner_->release(*key);
    owner_ = nullptr;
    keys_.clear();
}

net::awaitable<PeerLocks::Held> PeerLocks::acquire(net::io_context& io, std::vector<std::string> keys) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    // Taken one by one in sorted order: two callers wanting {a, b} and {b, c} can never each
    // hold one the other waits for. `held` owns what is taken so far, also if this frame dies.
    Held held(this, {});
    for (const auto& key : keys) {
        auto& lock = locks_[key];
        if (lock.held) {
            auto waiter = std::make_shared<net::steady_timer>(io, net::steady_timer::time_point::max());
            lock.waiters.push_back(waiter);
            boost::system::error_code ec;
            co_await waiter->async_wait(net::redirect_error(net::use_awaitable, ec));
            // release() handed the lock over: it stayed held.
        } else {
            lock.held = true;
        }
        held.keys_.push_back(key);
    }
    co_return held;
}

bool PeerLocks::held(const std::string& key) const {
    auto found = locks_.find(key);
    return found != locks_.end() && found->second.held;
}

void PeerLocks::release(const std::string& key) {
    auto found = locks_.find(key);
    if (found == locks_.end()) return;
    auto& lock = found->second;
    if (lock.waiters.empty()) {
        locks_.erase(found);
        return;
    }
    auto next = lock.waiters.front();
    lock.waiters.pop_front();
    next->cancel();
}

}  // namespace kea_ha::daemon
