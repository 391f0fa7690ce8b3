#include "kea_ha/core/poll_schedule.hpp"

#include <gtest/gtest.h>

namespace kea_ha::core {
namespace {

using namespace std::chrono_literals;

SteadyTime at(std::chrono::milliseconds ms) { return SteadyTime(std::chrono::duration_cast<SteadyClock::duration>(ms)); }

TEST(PollScheduleTest, GridIsATenthOfTheIntervalWithinBounds) {
    EXPECT_EQ(poll_grid(1000ms), 100ms);
    EXPECT_EQ(poll_grid(5000ms), 100ms);
    EXPECT_EQ(poll_grid(500ms), 50ms);
    EXPECT_EQ(poll_grid(100ms), 10ms);
    EXPECT_EQ(poll_grid(5ms), 1ms);
}

TEST(PollScheduleTest, AlignsUpToTheNextGridPoint) {
    EXPECT_EQ(align_to_grid(at(1000ms), 100ms), at(1000ms));
    EXPECT_EQ(align_to_grid(at(1001ms), 100ms), at(1100ms));
    EXPECT_EQ(align_to_grid(at(1099ms), 100ms), at(1100ms));
    EXPECT_EQ(align_to_grid(at(1000ms) + 1ns, 100ms), at(1100ms));
}

TEST(PollScheduleTest, FirstPollIsFollowedByOneOnTheGrid) {
    // Started at 12.345 s, interval 1 s: due at 13.4 s (13.345 moved up to the grid).
    EXPECT_EQ(next_poll_due(std::nullopt, at(12345ms), 1000ms, at(12350ms)), at(13400ms));
}

TEST(PollScheduleTest, KeepsAnExactPeriodWhatEverTheWakeUpDelay) {
    // The poll due at 13.4 s woke 7 ms late and took 3 ms: the next is still due at 14.4 s.
    const SteadyTime due = at(13400ms);
    EXPECT_EQ(next_poll_due(due, at(13407ms), 1000ms, at(13410ms)), at(14400ms));
    // An interval that is not a multiple of the grid keeps its period too.
    EXPECT_EQ(next_poll_due(due, at(13401ms), 1050ms, at(13402ms)), at(14450ms));
}

TEST(PollScheduleTest, APollLongerThanTheIntervalIsFollowedAtTheNextGridPoint) {
    // A peer that timed out after 2 s: due at 13.4, ended at 15.43 → next at 15.5, not 14.4.
    const SteadyTime due = at(13400ms);
    EXPECT_EQ(next_poll_due(due, at(13400ms), 1000ms, at(15430ms)), at(15500ms));
    // Exactly at the due time counts as passed: the next grid point from now (itself).
    EXPECT_EQ(next_poll_due(due, at(13400ms), 1000ms, at(14400ms)), at(14400ms));
}

TEST(PollScheduleTest, PeersStartedApartShareGridPoints) {
    // Two peers whose first polls started 37 ms apart inside one grid step share every later wake-up.
    const auto a = next_poll_due(std::nullopt, at(10010ms), 1000ms, at(10020ms));
    const auto b = next_poll_due(std::nullopt, at(10047ms), 1000ms, at(10060ms));
    EXPECT_EQ(a, b);
    EXPECT_EQ(next_poll_due(a, a, 1000ms, a + 5ms), next_poll_due(b, b + 2ms, 1000ms, b + 9ms));
}

}  // namespace
}  // namespace kea_ha::core
