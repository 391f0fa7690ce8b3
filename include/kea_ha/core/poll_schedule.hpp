#pragma once
// When each peer's next poll starts. Polls start on a grid of the monotonic clock (multiples
// of poll_grid(interval)), so the polls of many peers fall on the same instants and share one
// wake-up of the controller instead of one each: at 1000 peers that halves the kernel's part
// of the polling cost (docs/performance.md). Each peer keeps an exact period of `interval`.

#include <optional>

#include "kea_ha/core/time.hpp"

namespace kea_ha::core {

/// The grid step: a tenth of the poll interval, at least 1 ms and at most 100 ms.
Duration poll_grid(Duration interval);

/// The first grid point at or after `t`.
SteadyTime align_to_grid(SteadyTime t, Duration grid);

/// When the next poll is due. `previous_due` is when the poll that just ended was due (none
/// for a peer's first poll, which starts at once: `started`). The next one is due one interval
/// after the previous due time (the first: after `started`, moved onto the grid); if that time
/// has already passed (the poll took longer than an interval), at the next grid point after `now`.
SteadyTime next_poll_due(std::optional<SteadyTime> previous_due, SteadyTime started, Duration interval,
                         SteadyTime now);

}  // namespace kea_ha::core
