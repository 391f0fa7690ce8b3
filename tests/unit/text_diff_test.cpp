// core/text_diff: the unified diff behind `kea-ha-ctl config diff`.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kea_ha/core/text_diff.hpp"

namespace {

using kea_ha::core::split_lines;
using kea_ha::core::unified_diff;

std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
}

/// Applies a unified diff to `from` (the test's own reader of the format): the result must be `to`.
std::string apply_diff(const std::string& from, const std::string& diff) {
    const auto a = split_lines(from);
    const auto d = split_lines(diff);
    std::string out;
    std::size_t next = 0;  // the next line of `from` not yet copied
    for (std::size_t i = 2; i < d.size(); ++i) {
        const auto line = d[i];
        if (line.rfind("@@ -", 0) == 0) {
            const auto start = std::stoul(std::string(line.substr(4)));
            const auto comma = line.find(',');
            const auto space = line.find(' ', 4);
            const bool empty = comma != std::string_view::npos && comma < space && line.substr(comma + 1, space - comma - 1) == "0";
            const std::size_t first = empty ? start : start - 1;  // 0-based first line of the hunk
            while (next < first) out += std::string(a[next++]) + "\n";
            continue;
        }
        if (line.empty()) continue;
        if (line[0] == ' ' || line[0] == '-') {
            EXPECT_EQ(std::string(a.at(next).data(), a.at(next).size()), std::string(line.substr(1))) << "context or removal mismatch";
            if (line[0] == ' ') out += std::string(line.substr(1)) + "\n";
            ++next;
        } else if (line[0] == '+') {
            out += std::string(line.substr(1)) + "\n";
        }
    }
    while (next < a.size()) out += std::string(a[next++]) + "\n";
    return out;
}

TEST(UnifiedDiff, EqualTextsGiveNothing) {
    EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "x", "y"), "");
    EXPECT_EQ(unified_diff("", "", "x", "y"), "");
}

TEST(UnifiedDiff, OneChangedLineWithThreeLinesOfContext) {
    const std::string from = join({"1", "2", "3", "4", "5", "6", "7", "8", "9"});
    const std::string to = join({"1", "2", "3", "4", "five", "6", "7", "8", "9"});
    EXPECT_EQ(unified_diff(from, to, "server2 (running)", "server2 (after replication)"),
              "--- server2 (running)\n+++ server2 (after replication)\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(UnifiedDiff, FarApartChangesAreTwoHunksNearOnesOne) {
    std::vector<std::string> lines;
    for (int i = 1; i <= 30; ++i) lines.push_back(std::to_string(i));
    auto changed = lines;
    changed[1] = "two";
    changed[25] = "twenty-six";
    const auto diff = unified_diff(join(lines), join(changed), "a", "b");
    EXPECT_EQ(diff.find("@@ -1,5 +1,5 @@"), diff.find("@@")) << diff;
    EXPECT_NE(diff.find("@@ -23,7 +23,7 @@"), std::string::npos) << diff;
    changed = lines;
    changed[5] = "six";
    changed[10] = "eleven";  // 4 same lines apart: one hunk
    const auto near = unified_diff(join(lines), join(changed), "a", "b");
    EXPECT_EQ(near.find("@@", near.find("@@") + 2), near.rfind("@@")) << near;  // one header (two "@@" marks)
}

TEST(UnifiedDiff, AddedAtTheStartAndRemovedAtTheEndUseDiffsLineNumbers) {
    EXPECT_EQ(unified_diff("b\n", "a\nb\n", "x", "y"), "--- x\n+++ y\n@@ -1 +1,2 @@\n+a\n b\n");
    EXPECT_EQ(unified_diff("a\nb\n", "a\n", "x", "y"), "--- x\n+++ y\n@@ -1,2 +1 @@\n a\n-b\n");
    EXPECT_EQ(unified_diff("", "a\n", "x", "y"), "--- x\n+++ y\n@@ -0,0 +1 @@\n+a\n");
}

TEST(UnifiedDiff, RandomEditsAlwaysApplyBack) {
    std::mt19937 random(7);
    for (int round = 0; round < 200; ++round) {
        std::vector<std::string> from;
        const int size = static_cast<int>(random() % 40);
        for (int i = 0; i < size; ++i) from.push_back(std::to_string(random() % 8));
        auto to = from;
        const int edits = static_cast<int>(random() % 6);
        for (int e = 0; e < edits; ++e) {
            const auto where = to.empty() ? 0 : random() % (to.size() + 1);
            switch (random() % 3) {
                case 0: to.insert(to.begin() + static_cast<long>(where), std::to_string(random() % 8)); break;
                case 1: if (where < to.size()) to.erase(to.begin() + static_cast<long>(where)); break;
                default: if (where < to.size()) to[where] = "x" + std::to_string(random() % 8); break;
            }
        }
        for (std::size_t cap : {std::size_t{4000}, std::size_t{1}}) {  // 1: the whole-middle fallback
            const auto diff = unified_diff(join(from), join(to), "a", "b", 3, cap);
            if (from == to) {
                EXPECT_EQ(diff, "");
                continue;
            }
            EXPECT_EQ(apply_diff(join(from), diff), join(to)) << "round " << round << " cap " << cap << "\n" << diff;
        }
    }
}

TEST(UnifiedDiff, MinimalForAReplacedLine) {
    // Myers finds the shortest script: one removal and one addition, not a rewrite.
    const auto diff = unified_diff(join({"a", "b", "c", "d"}), join({"a", "x", "c", "d"}), "1", "2", 0);
    EXPECT_EQ(diff, "--- 1\n+++ 2\n@@ -2 +2 @@\n-b\n+x\n");
}

}  // namespace
