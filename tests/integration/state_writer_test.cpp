// The state writer (include/kea_ha/daemon/state_writer.hpp): background writes that coalesce,
// synchronous writes and removals that an older background write never overtakes.
#include "kea_ha/daemon/state_writer.hpp"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/controller_process.hpp"

namespace fs = std::filesystem;
using kea_ha::daemon::Journal;
using kea_ha::daemon::StateStore;
using kea_ha::daemon::StateWriter;

namespace {

class StateWriterTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = kea_ha::testing::make_temp_directory("kea-ha-writer");
        auto store = StateStore::open(dir_);
        ASSERT_TRUE(store) << store.error().describe();
        writer_ = std::make_unique<StateWriter>(std::move(*store), [this](const std::string& cluster,
                                                                          const kea_ha::core::Error& error) {
            std::lock_guard lock(errors_mutex_);
            errors_.push_back(cluster + ": " + error.describe());
        });
    }
    void TearDown() override {
        writer_.reset();
        fs::remove_all(dir_);
    }
    /// The "n" of the cluster's file on disk; nullopt when there is no file.
    std::optional<int> on_disk(const std::string& name) const {
        std::ifstream in(dir_ + "/clusters/" + name + ".json");
        if (!in) return std::nullopt;
        return nlohmann::json::parse(in).at("n").get<int>();
    }
    /// A document as the monitors write it: a JSON object, as text.
    static std::string doc(int n) { return nlohmann::json{{"n", n}}.dump() + "\n"; }

    std::string dir_;
    std::unique_ptr<StateWriter> writer_;
    std::mutex errors_mutex_;
    std::vector<std::string> errors_;
};

TEST_F(StateWriterTest, BackgroundWritesKeepTheLatestDocumentOfEachCluster) {
    for (int n = 1; n <= 50; ++n) {
        writer_->save_later("a", doc(n));
        writer_->save_later("b", doc(100 + n));
    }
    writer_->flush();
    EXPECT_EQ(on_disk("a"), 50);
    EXPECT_EQ(on_disk("b"), 150);
    EXPECT_TRUE(errors_.empty());
}

TEST_F(StateWriterTest, SaveNowIsNeverOvertakenByAnOlderBackgroundWrite) {
    // Each round queues an older document, then writes a newer one at once: whether the
    // writer's thread took the older one already or not, the newer one is what stays.
    for (int round = 0; round < 300; ++round) {
        writer_->save_later("a", doc(2 * round));
        ASSERT_TRUE(writer_->save_now("a", doc(2 * round + 1)));
        ASSERT_EQ(on_disk("a"), 2 * round + 1) << "round " << round;
    }
    writer_->flush();
    EXPECT_EQ(on_disk("a"), 599);
}

TEST_F(StateWriterTest, RemovalIsNotUndoneByAnOlderBackgroundWrite) {
    for (int round = 0; round < 200; ++round) {
        writer_->save_later("a", doc(round));
        ASSERT_TRUE(writer_->remove("a"));
        ASSERT_FALSE(on_disk("a").has_value()) << "round " << round;
    }
    writer_->flush();
    EXPECT_FALSE(on_disk("a").has_value());
    // A later document of the same name is written again (a new registration).
    writer_->save_later("a", doc(7));
    writer_->flush();
    EXPECT_EQ(on_disk("a"), 7);
}

TEST_F(StateWriterTest, BackgroundErrorsReachTheSinkWithTheClusterName) {
    writer_->save_later("../escape", doc(1));
    writer_->flush();
    std::lock_guard lock(errors_mutex_);
    ASSERT_EQ(errors_.size(), 1u);
    EXPECT_NE(errors_[0].find("../escape: "), std::string::npos) << errors_[0];
    EXPECT_NE(errors_[0].find("invalid cluster name"), std::string::npos) << errors_[0];
}

TEST_F(StateWriterTest, StoppingWritesWhatIsQueued) {
    for (int n = 1; n <= 20; ++n) writer_->save_later("c" + std::to_string(n), doc(n));
    writer_.reset();  // no flush(): the destructor must write them
    for (int n = 1; n <= 20; ++n) EXPECT_EQ(on_disk("c" + std::to_string(n)), n) << n;
}

// --- issue 13: the events journal -------------------------------------------------------------

std::vector<std::string> events_on_disk(const StateStore& store, const std::string& name) {
    std::vector<kea_ha::daemon::StoreProblem> problems;
    auto lines = store.load_journal(name, Journal::Events, 100000, problems).lines;
    EXPECT_TRUE(problems.empty());
    return lines;
}

std::string line(int n) { return nlohmann::json{{"n", n}}.dump(); }

TEST_F(StateWriterTest, EventLinesAreAppendedInOrderAndARewriteReplacesOnlyThoseBefore) {
    for (int n = 1; n <= 200; ++n) writer_->append_event_later("a", line(n));
    writer_->flush();
    auto lines = events_on_disk(writer_->store(), "a");
    ASSERT_EQ(lines.size(), 200u);
    for (int n = 1; n <= 200; ++n) ASSERT_EQ(lines[static_cast<std::size_t>(n - 1)], line(n));
    // A compaction queued between appends: the appends after it follow it, whatever the
    // writer's thread had already taken.
    for (int round = 0; round < 50; ++round) {
        writer_->append_event_later("a", line(1000 + round));
        writer_->replace_events_later("a", {line(-1), line(1000 + round)});
        writer_->append_event_later("a", line(2000 + round));
        writer_->save_later("a", doc(round));
    }
    writer_->flush();
    EXPECT_EQ(events_on_disk(writer_->store(), "a"), (std::vector<std::string>{line(-1), line(1049), line(2049)}));
    EXPECT_EQ(on_disk("a"), 49);
    EXPECT_TRUE(errors_.empty());
}

TEST_F(StateWriterTest, SaveNowKeepsTheQueuedEventsAndRemovalDropsThem) {
    writer_->append_event_later("a", line(1));
    ASSERT_TRUE(writer_->save_now("a", doc(1)));
    writer_->flush();
    EXPECT_EQ(events_on_disk(writer_->store(), "a"), std::vector<std::string>{line(1)});
    for (int round = 0; round < 100; ++round) {
        writer_->append_event_later("a", line(round));
        ASSERT_TRUE(writer_->remove("a"));
        ASSERT_TRUE(events_on_disk(writer_->store(), "a").empty()) << "round " << round;
    }
    writer_->flush();
    EXPECT_TRUE(events_on_disk(writer_->store(), "a").empty());
}

}  // namespace

namespace {

// Issue 13: the events live in their journal; what the API lists is read back from it, with
// what is still queued, and the journal is compacted by the writer from its own file.
TEST_F(StateWriterTest, ReadEventsSeesTheFileAndWhatIsQueuedInOrder) {
    std::vector<kea_ha::daemon::StoreProblem> problems;
    EXPECT_TRUE(writer_->read_events("a", 10, problems).empty());
    for (int n = 1; n <= 300; ++n) {
        writer_->append_event_later("a", line(n));
        // Whatever the writer's thread has taken so far, the last 10 are always 1..n's end.
        const auto seen = writer_->read_events("a", 10, problems);
        ASSERT_EQ(seen.size(), static_cast<std::size_t>(std::min(n, 10))) << n;
        ASSERT_EQ(seen.back(), line(n)) << n;
        ASSERT_EQ(seen.front(), line(std::max(1, n - 9))) << n;
    }
    // A queued rewrite replaces the file's lines in what is read, as it will on disk.
    writer_->replace_events_later("a", {line(-1), line(-2)});
    writer_->append_event_later("a", line(301));
    EXPECT_EQ(writer_->read_events("a", 10, problems), (std::vector<std::string>{line(-1), line(-2), line(301)}));
    writer_->flush();
    EXPECT_EQ(events_on_disk(writer_->store(), "a"), (std::vector<std::string>{line(-1), line(-2), line(301)}));
    EXPECT_TRUE(problems.empty());
    EXPECT_TRUE(errors_.empty());
}

TEST_F(StateWriterTest, CompactionKeepsTheLastLinesIncludingThoseQueuedBeforeIt) {
    for (int n = 1; n <= 120; ++n) writer_->append_event_later("a", line(n));
    writer_->compact_events_later("a", 50);
    writer_->append_event_later("a", line(121));
    writer_->flush();
    auto lines = events_on_disk(writer_->store(), "a");
    // 121 went in before the compaction (50 lines: 72..121) or after it (51: 71..121).
    ASSERT_GE(lines.size(), 50u);
    ASSERT_LE(lines.size(), 51u);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        EXPECT_EQ(lines[i], line(static_cast<int>(121 - (lines.size() - 1 - i)))) << i;
    }
    // Compacted again: exactly the last 50.
    writer_->compact_events_later("a", 50);
    writer_->flush();
    lines = events_on_disk(writer_->store(), "a");
    ASSERT_EQ(lines.size(), 50u);
    EXPECT_EQ(lines.front(), line(72));
    EXPECT_EQ(lines.back(), line(121));
    EXPECT_TRUE(errors_.empty());
}

}  // namespace
