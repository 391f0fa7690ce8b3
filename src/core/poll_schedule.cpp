#include "kea_ha/core/poll_schedule.hpp"

#include <algorithm>

namespace kea_ha::core {

using namespace std::chrono_literals;

Duration poll_grid(Duration interval) { return std::clamp<Duration>(interval / 10, 1ms, 100ms); }

SteadyTime align_to_grid(SteadyTime t, Duration grid) {
    const auto step = std::chrono::duration_cast<SteadyClock::duration>(grid);
    if (step <= SteadyClock::duration::zero()) return t;
    const auto since = t.time_since_epoch();
    auto steps = since / step;
    if (since % step != SteadyClock::duration::zero()) ++steps;
    return SteadyTime(step * steps);
}

SteadyTime next_poll_due(std::optional<SteadyTime> previous_due, SteadyTime started, Duration interval,
                         SteadyTime now) {
    const Duration grid = poll_grid(interval);
    const SteadyTime due = previous_due ? *previous_due + interval : align_to_grid(started + interval, grid);
    if (due > now) return due;
    return align_to_grid(now, grid);
}

}  // namespace kea_ha::core
