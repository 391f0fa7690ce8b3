// main() of every end-to-end binary (tests/CMakeLists.txt). A Kea version whose root is
// built from ISC's source (3.2: in no Debian suite) may be missing on a machine without that
// source: then the binary runs no test, prints one line saying why and how to get the root,
// and exits 77, which ctest counts as skipped (SKIP_RETURN_CODE). A missing root of any other
// version is not skipped: the lab's start fails, and so do that version's tests.

#include <cstdio>
#include <stdexcept>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"

namespace {

constexpr int kSkipped = 77;

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (!GTEST_FLAG_GET(list_tests)) {
        std::string version;
        try {
            version = kea_ha::lab::lab_kea_version_from_env();
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "%s\n", e.what());
            return 2;
        }
        if (kea_ha::lab::lab_kea_built_from_source(version)) {
            if (auto root = kea_ha::lab::lab_root(version); !root) {
                std::printf("[  SKIPPED ] every test on Kea %s: %s\n", version.c_str(), root.error().message.c_str());
                return kSkipped;
            }
        }
    }
    return RUN_ALL_TESTS();
}
