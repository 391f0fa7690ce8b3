// PeerLocks (issue 12 item 3): config operations on a peer shared by several clusters (a hub)
// serialize; locks are taken in sorted order, so overlapping sets never deadlock.

#include "kea_ha/daemon/peer_locks.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "support/run_awaitable.hpp"

namespace kea_ha {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;

/// Holds `keys` for `hold`, logging "+name" when it has them and "-name" when it lets go.
net::awaitable<int> hold(net::io_context& io, daemon::PeerLocks& locks, std::vector<std::string> keys,
                         std::string name, std::chrono::milliseconds hold_for, std::vector<std::string>& log) {
    auto held = co_await locks.acquire(io, std::move(keys));
    log.push_back("+" + name);
    net::steady_timer timer(io, hold_for);
    co_await timer.async_wait(net::use_awaitable);
    log.push_back("-" + name);
    co_return 0;
}

struct Holder {
    std::vector<std::string> keys;
    std::string name;
    std::chrono::milliseconds hold_for;
};

/// Runs every holder at once, one coroutine each, in the order given; the log of hold().
/// Throws when they do not all finish within 5 s (a deadlock).
std::vector<std::string> run_holders(daemon::PeerLocks& locks, const std::vector<Holder>& holders) {
    net::io_context io;
    std::vector<std::string> log;
    std::vector<net::awaitable<int>> list;
    for (const auto& h : holders) list.push_back(hold(io, locks, h.keys, h.name, h.hold_for, log));
    testing::run_awaitables(io, std::move(list), 5s);
    return log;
}

TEST(PeerLocksTest, SharedPeer_SecondWaitsUntilTheFirstLetsGo) {
    daemon::PeerLocks locks;
    const auto log = run_holders(locks, {{{"hub:8000", "branch1:8000"}, "b1", 50ms},
                                         {{"branch2:8000", "hub:8000"}, "b2", 10ms}});
    EXPECT_EQ(log, (std::vector<std::string>{"+b1", "-b1", "+b2", "-b2"}));
    EXPECT_FALSE(locks.held("hub:8000"));
}

TEST(PeerLocksTest, DisjointPeers_DoNotWait) {
    daemon::PeerLocks locks;
    const auto log = run_holders(locks, {{{"a:1"}, "a", 50ms}, {{"b:1"}, "b", 10ms}});
    EXPECT_EQ(log, (std::vector<std::string>{"+a", "+b", "-b", "-a"}));
}

TEST(PeerLocksTest, OverlappingSetsInEveryOrder_AllFinishOneAtATimeOnTheShared) {
    daemon::PeerLocks locks;
    // A cycle if each took its first key first; sorted order makes it a queue.
    const auto log = run_holders(locks, {{{"a:1", "b:1"}, "x", 20ms},
                                         {{"b:1", "c:1"}, "y", 20ms},
                                         {{"c:1", "a:1", "c:1"}, "z", 20ms}});
    ASSERT_EQ(log.size(), 6u);
    int inside = 0;
    for (const auto& entry : log) {
        inside += entry[0] == '+' ? 1 : -1;
        EXPECT_LE(inside, 1) << "two holders of a shared key at once";
    }
    for (const char* key : {"a:1", "b:1", "c:1"}) EXPECT_FALSE(locks.held(key)) << key;
}

/// Takes `keys` and hands the Held over to `taken` (a move).
net::awaitable<int> take(net::io_context& io, daemon::PeerLocks& locks, std::vector<std::string> keys,
                         std::vector<daemon::PeerLocks::Held>& taken) {
    auto held = co_await locks.acquire(io, std::move(keys));
    taken.push_back(std::move(held));
    co_return 0;
}

TEST(PeerLocksTest, HeldIsReleasedWhenMovedFromAndDestroyed) {
    net::io_context io;
    daemon::PeerLocks locks;
    std::vector<daemon::PeerLocks::Held> taken;
    std::vector<net::awaitable<int>> list;
    list.push_back(take(io, locks, {"hub:8000", "hub:8000"}, taken));
    testing::run_awaitables(io, std::move(list), 5s);
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_EQ(taken[0].keys(), (std::vector<std::string>{"hub:8000"})) << "a key once";
    EXPECT_TRUE(locks.held("hub:8000"));
    taken.clear();
    EXPECT_FALSE(locks.held("hub:8000"));
}

}  // namespace
}  // namespace kea_ha
