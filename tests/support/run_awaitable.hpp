#pragma once
// Running Asio coroutines from blocking tests.

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kea_ha::testing {

namespace detail {

// Boost 1.74's co_spawn wants a default-constructible result; store it ourselves instead.
template <typename T>
boost::asio::awaitable<void> store_into(boost::asio::awaitable<T> awaitable, std::shared_ptr<std::optional<T>> out) {
    out->emplace(co_await std::move(awaitable));
}

}  // namespace detail

/// Runs `awaitables` concurrently on `io` (on this thread) until all finish or `deadline` passes.
/// Throws what a coroutine threw, or std::runtime_error when the deadline passed first.
template <typename T>
std::vector<T> run_awaitables(boost::asio::io_context& io, std::vector<boost::asio::awaitable<T>> awaitables,
                              std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    std::vector<std::shared_ptr<std::optional<T>>> slots;
    auto error = std::make_shared<std::exception_ptr>();
    for (auto& awaitable : awaitables) {
        auto slot = std::make_shared<std::optional<T>>();
        slots.push_back(slot);
        boost::asio::co_spawn(io, detail::store_into<T>(std::move(awaitable), slot), [error](std::exception_ptr e) {
            if (e && !*error) *error = e;
        });
    }
    io.restart();
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        bool all = true;
        for (const auto& slot : slots) all = all && slot->has_value();
        if (all || *error) break;
        if (std::chrono::steady_clock::now() >= until) break;
        if (io.run_one_until(until) == 0 && io.stopped()) {
            // Out of work without every result: only an error or a bug leads here.
            break;
        }
    }
    if (*error) std::rethrow_exception(*error);
    std::vector<T> results;
    for (auto& slot : slots) {
        if (!slot->has_value()) throw std::runtime_error("run_awaitable: the deadline passed before the coroutine finished");
        results.push_back(std::move(**slot));
    }
    return results;
}

/// Runs one coroutine on `io` until it finishes or `deadline` passes.
template <typename T>
T run_awaitable(boost::asio::io_context& io, boost::asio::awaitable<T> awaitable,
                std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    std::vector<boost::asio::awaitable<T>> one;
    one.push_back(std::move(awaitable));
    return std::move(run_awaitables(io, std::move(one), deadline).front());
}

}  // namespace kea_ha::testing
