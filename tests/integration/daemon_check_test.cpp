// `kea-ha-controller --check -p FILE` and `--version`, run as the real binary.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/controller_process.hpp"

namespace {

using kea_ha::testing::built_binary;
using kea_ha::testing::make_temp_directory;

struct Run {
    int status = -1;
    std::string output;  // stdout + stderr
};

Run run(const std::string& arguments) {
    const auto shell = kea_ha::testing::run_shell(built_binary("kea-ha-controller") + " " + arguments);
    return Run{shell.status, shell.output};
}

class CheckTest : public ::testing::Test {
protected:
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string write(const std::string& text) {
        const std::string path = dir_ + "/preferences.cfg";
        std::ofstream(path) << text;
        return path;
    }
    std::string dir_ = make_temp_directory("kea-ha-check");
};

TEST_F(CheckTest, ShippedDefaultFileIsValid) {
    const auto r = run("--check -p " + std::string(KEA_HA_TEST_DATA) + "/../../config/preferences.cfg");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("OK"), std::string::npos) << r.output;
}

TEST_F(CheckTest, ValidFileExitsZero) {
    const auto path = write("<preferences>\n  <keaPollInterval value=\"0.5\"/>\n  <apiAllowNoToken value=\"1\"/>\n</preferences>\n");
    const auto r = run("--check -p " + path);
    EXPECT_EQ(r.status, 0) << r.output;
}

TEST_F(CheckTest, BadValueExitsOneNamingFileLineAndKey) {
    const auto path = write("<preferences>\n  <keaPollInterval value=\"-3\"/>\n</preferences>\n");
    const auto r = run("--check -p " + path);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find(path + ":2"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("keaPollInterval"), std::string::npos) << r.output;
}

TEST_F(CheckTest, MalformedXmlExitsOne) {
    const auto path = write("<preferences>\n  <keaPollInterval value=\"2\">\n");
    const auto r = run("--check -p " + path);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find(path), std::string::npos) << r.output;
}

TEST_F(CheckTest, UnknownKeyWarnsWithSuggestionButIsValid) {
    const auto path = write("<preferences>\n  <keaPolInterval value=\"2\"/>\n  <apiAllowNoToken value=\"1\"/>\n</preferences>\n");
    const auto r = run("--check -p " + path);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("keaPollInterval"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("warning"), std::string::npos) << r.output;
}

// Issue 32 point 1: no open API by default. Without a token file the daemon does not start
// (and --check says why), unless apiAllowNoToken says the operator wants it open.
TEST_F(CheckTest, NoTokenFileIsRefusedUnlessApiAllowNoToken) {
    const auto open = write("<preferences>\n  <keaPollInterval value=\"2\"/>\n</preferences>\n");
    const auto refused = run("--check -p " + open);
    EXPECT_EQ(refused.status, 1) << refused.output;
    EXPECT_NE(refused.output.find("no apiTokenFile or apiTokensFile"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find("apiAllowNoToken"), std::string::npos) << refused.output;
    const auto started = run("-p " + open);
    EXPECT_EQ(started.status, 1) << started.output;
    EXPECT_NE(started.output.find("no apiTokenFile or apiTokensFile"), std::string::npos) << started.output;
    const auto with_token = write("<preferences>\n  <apiTokenFile value=\"/nonexistent/token\"/>\n</preferences>\n");
    EXPECT_EQ(run("--check -p " + with_token).status, 0) << "--check does not open the secret files";
}

TEST_F(CheckTest, MissingFileExitsOneNamingIt) {
    const auto r = run("--check -p " + dir_ + "/nope.cfg");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("nope.cfg"), std::string::npos) << r.output;
}

TEST(DaemonArguments, VersionPrintsTheVersion) {
    const auto r = run("--version");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.output.find(KEA_HA_VERSION), std::string::npos) << r.output;
}

TEST(DaemonArguments, UnknownArgumentIsAUsageError) {
    const auto r = run("--frobnicate");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.output.find("--frobnicate"), std::string::npos) << r.output;
}

}  // namespace
