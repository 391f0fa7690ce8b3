#pragma once
// Time types. The core never reads a clock: callers pass `now` in.

#include <chrono>

namespace kea_ha::core {

using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;
/// A point on the monotonic clock: deadlines, grace periods, intervals.
using SteadyTime = SteadyClock::time_point;
/// A point on the wall clock: timestamps shown to people, peer clock skew.
using SystemTime = SystemClock::time_point;
/// Durations in milliseconds (preferences allow decimal seconds such as 0.5).
using Duration = std::chrono::milliseconds;

/// A clock the edges read and tests fake.
class Clock {
public:
    virtual ~Clock() = default;
    virtual SteadyTime steady_now() const = 0;
    virtual SystemTime system_now() const = 0;
};

/// The real clocks.
class RealClock final : public Clock {
public:
    SteadyTime steady_now() const override { return SteadyClock::now(); }
    SystemTime system_now() const override { return SystemClock::now(); }
};

}  // namespace kea_ha::core
