#include "kea_ha/daemon/state_store.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "support/controller_process.hpp"

namespace fs = std::filesystem;
using kea_ha::daemon::StateStore;
using kea_ha::daemon::Journal;
using kea_ha::daemon::StoreProblem;

namespace {

class StateStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = kea_ha::testing::make_temp_directory("kea-ha-store");
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string dir_;
};

TEST_F(StateStoreTest, SavedClusterIsLoadedBackUnchanged) {
    auto store = StateStore::open(dir_);
    ASSERT_TRUE(store) << store.error().describe();
    nlohmann::json doc = {{"registration", {{"url", "http://127.0.0.41:8000/"}}}, {"generation", 7}};
    ASSERT_TRUE(store->save({"dhcp-a", doc}));
    std::vector<StoreProblem> problems;
    auto loaded = store->load_all(problems);
    EXPECT_TRUE(problems.empty());
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].name, "dhcp-a");
    EXPECT_EQ(loaded[0].document, doc);
}

TEST_F(StateStoreTest, SaveReplacesWithoutLeavingTemporaryFiles) {
    auto store = StateStore::open(dir_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->save({"dhcp-a", {{"v", 1}}}));
    ASSERT_TRUE(store->save({"dhcp-a", {{"v", 2}}}));
    int files = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "clusters")) {
        ++files;
        EXPECT_EQ(entry.path().filename(), "dhcp-a.json");
    }
    EXPECT_EQ(files, 1);
    std::vector<StoreProblem> problems;
    EXPECT_EQ(store->load_all(problems).at(0).document["v"], 2);
}

TEST_F(StateStoreTest, CorruptFileIsReportedAndSetAsideNotDropped) {
    auto store = StateStore::open(dir_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->save({"good", {{"ok", true}}}));
    {
        std::ofstream(fs::path(dir_) / "clusters" / "bad.json") << "{\"truncated\": ";
    }
    std::vector<StoreProblem> problems;
    auto loaded = store->load_all(problems);
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].name, "good");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].message.find("not valid JSON"), std::string::npos);
    EXPECT_NE(problems[0].message.find("set aside"), std::string::npos);
    bool aside_found = false;
    for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "clusters")) {
        if (entry.path().filename().string().rfind("bad.json.corrupt-", 0) == 0) aside_found = true;
    }
    EXPECT_TRUE(aside_found);
}

TEST_F(StateStoreTest, RemoveForgetsTheCluster) {
    auto store = StateStore::open(dir_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->save({"dhcp-a", {{"v", 1}}}));
    ASSERT_TRUE(store->remove("dhcp-a"));
    std::vector<StoreProblem> problems;
    EXPECT_TRUE(store->load_all(problems).empty());
    EXPECT_TRUE(store->remove("never-existed"));
}

TEST_F(StateStoreTest, UnsafeNameIsRefused) {
    auto store = StateStore::open(dir_);
    ASSERT_TRUE(store);
    auto saved = store->save({"../escape", {}});
    ASSERT_FALSE(saved);
    EXPECT_EQ(saved.error().kind, kea_ha::core::ErrorKind::Invalid);
}

TEST_F(StateStoreTest, UnwritableDirectoryIsAnError) {
    auto store = StateStore::open("/proc/kea-ha-no-such-place");
    ASSERT_FALSE(store);
    EXPECT_NE(store.error().describe().find("/proc/kea-ha-no-such-place"), std::string::npos);
}

// --- issue 13: the journals (events, history) --------------------------------------------------

std::vector<std::string> numbered(int from, int to) {
    std::vector<std::string> lines;
    for (int n = from; n <= to; ++n) lines.push_back(nlohmann::json{{"n", n}}.dump());
    return lines;
}

TEST_F(StateStoreTest, JournalKeepsAppendsInOrderAndLoadsTheLastOnes) {
    auto store = StateStore::open(dir_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->append_journal("dhcp-a", Journal::Events, numbered(1, 3)));
    ASSERT_TRUE(store->append_journal("dhcp-a", Journal::Events, numbered(4, 10)));
    ASSERT_TRUE(store->append_journal("dhcp-a", Journal::History, numbered(100, 100)));
    std::vector<StoreProblem> problems;
    auto events = store->load_journal("dhcp-a", Journal::Events, 4, problems);
    EXPECT_TRUE(problems.empty());
    EXPECT_EQ(events.in_file, 10u);
    EXPECT_EQ(events.lines, numbered(7, 10));
    EXPECT_EQ(store->load_journal("dhcp-a", Journal::History, 1000, problems).lines, numbered(100, 100));
    EXPECT_EQ(store->load_journal("other", Journal::Events, 10, problems).in_file, 0u) << "none: empty, not an error";
    EXPECT_TRUE(problems.empty());
    // The journals are not cluster documents.
    EXPECT_TRUE(store->load_all(problems).empty());
    // A compaction replaces the file.
    ASSERT_TRUE(store->replace_journal("dhcp-a", Journal::Events, numbered(9, 10)));
    ASSERT_TRUE(store->append_journal("dhcp-a", Journal::Events, numbered(11, 11)));
    EXPECT_EQ(store->load_journal("dhcp-a", Journal::Events, 100, problems).lines, numbered(9, 11));
    EXPECT_EQ(fs::status(fs::path(dir_) / "events" / "dhcp-a.jsonl").permissions() & fs::perms::others_all,
              fs::perms::none);
}

TEST_F(StateStoreTest, TornJournalLineIsSetAsideAndTheValidLinesKept) {
    auto store = StateStore::open(dir_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->append_journal("dhcp-a", Journal::History, numbered(1, 5)));
    const auto path = fs::path(dir_) / "history" / "dhcp-a.jsonl";
    {
        std::ofstream(path, std::ios::app) << "{\"n\": 6, \"when\": \"2026-";  // a crash in an append
    }
    std::vector<StoreProblem> problems;
    auto found = store->load_journal("dhcp-a", Journal::History, 100, problems);
    EXPECT_EQ(found.lines, numbered(1, 5));
    EXPECT_EQ(found.in_file, 5u);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].file, path.string());
    EXPECT_NE(problems[0].message.find("line 6 of 6 not a JSON object, skipped; set aside as "), std::string::npos)
        << problems[0].message;
    int aside = 0;
    for (const auto& entry : fs::directory_iterator(path.parent_path())) {
        aside += entry.path().filename().string().rfind("dhcp-a.jsonl.corrupt-", 0) == 0;
    }
    EXPECT_EQ(aside, 1) << "the damaged file is kept";
    // The rewritten journal takes the next append on a line of its own.
    ASSERT_TRUE(store->append_journal("dhcp-a", Journal::History, numbered(6, 6)));
    problems.clear();
    EXPECT_EQ(store->load_journal("dhcp-a", Journal::History, 100, problems).lines, numbered(1, 6));
    EXPECT_TRUE(problems.empty());
}

TEST_F(StateStoreTest, RemoveForgetsTheJournalsToo) {
    auto store = StateStore::open(dir_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->save({"dhcp-a", {{"v", 1}}}));
    ASSERT_TRUE(store->append_journal("dhcp-a", Journal::Events, numbered(1, 2)));
    ASSERT_TRUE(store->append_journal("dhcp-a", Journal::History, numbered(1, 2)));
    ASSERT_TRUE(store->save_history_config("dhcp-a", 2, "{}\n"));
    EXPECT_TRUE(store->has_history_config("dhcp-a", 2));
    EXPECT_FALSE(store->has_history_config("dhcp-a", 1));
    ASSERT_TRUE(store->remove("dhcp-a"));
    std::vector<StoreProblem> problems;
    EXPECT_EQ(store->load_journal("dhcp-a", Journal::Events, 10, problems).in_file, 0u);
    EXPECT_EQ(store->load_journal("dhcp-a", Journal::History, 10, problems).in_file, 0u);
    EXPECT_FALSE(store->has_history_config("dhcp-a", 2));
    EXPECT_FALSE(store->append_journal("../escape", Journal::Events, numbered(1, 1)));
}

}  // namespace
