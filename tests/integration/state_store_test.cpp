#include "kea_ha/daemon/state_store.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "support/controller_process.hpp"

namespace fs = std::filesystem;
using kea_ha::daemon::StateStore;
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

}  // namespace
