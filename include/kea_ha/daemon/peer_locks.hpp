#pragma once
// Kea >= 2.6: one server can be a peer of several clusters (a hub is a peer of every branch's
// relationship). Each cluster replicates only its own relationship's part of the hub, built on
// the hub's config as read; two clusters writing the hub at once would each write what they
// read, and the second would undo the first's part. So config operations on a peer serialize
// across the clusters that share it (issue 12 item 3): a lock per peer, keyed by its control
// URL, shared by every monitor (MonitorContext::peer_locks).

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace kea_ha::daemon {

/// Async locks by peer key, for one io_context thread. Deadlock-free: a caller takes every
/// lock it needs in one acquire(), which takes them in sorted order, and holds no other
/// PeerLocks lock meanwhile. Must outlive every Held.
class PeerLocks {
public:
    /// The locks of one acquire(), released (in reverse order) when it is destroyed.
    class Held {
    public:
        Held() = default;
        Held(Held&& other) noexcept : owner_(other.owner_), keys_(std::move(other.keys_)) { other.owner_ = nullptr; }
        Held& operator=(Held&& other) noexcept;
        Held(const Held&) = delete;
        Held& operator=(const Held&) = delete;
        ~Held() { release(); }
        const std::vector<std::string>& keys() const { return keys_; }

    private:
        friend class PeerLocks;
        Held(PeerLocks* owner, std::vector<std::string> keys) : owner_(owner), keys_(std::move(keys)) {}
        void release();
        PeerLocks* owner_ = nullptr;
        std::vector<std::string> keys_;  ///< sorted, once each
    };

    /// Takes the lock of every key of `keys` (sorted, duplicates once), waiting in turn (first
    /// come, first served) while another holder has one.
    boost::asio::awaitable<Held> acquire(boost::asio::io_context& io, std::vector<std::string> keys);
    /// True while some Held has `key` (tests).
    bool held(const std::string& key) const;

private:
    struct Lock {
        bool held = false;
        std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters;
    };
    void release(const std::string& key);
    std::map<std::string, Lock> locks_;
};

}  // namespace kea_ha::daemon
