// Issue 32 against the real daemon (no Kea needed): the token's rules, SIGHUP re-reading the
// token files, refusals and writes said in the log with the client's address, warnings.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kea_ha/daemon/logging.hpp"
#include "kea_ha/lab/kea_lab.hpp"
#include "support/controller_process.hpp"

namespace {

using kea_ha::testing::ControllerProcess;
using kea_ha::testing::make_temp_directory;

std::map<std::string, std::string> bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

/// A secret file as an operator writes one: mode 0600 (issue 32 refuses others-readable files).
void write_secret(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t count = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++count;
    return count;
}

TEST(ApiSecurity, ShortTokenStopsTheStart) {
    const auto dir = make_temp_directory("kea-ha-security");
    write_secret(dir + "/token", "fifteen-chars-x\n");
    ControllerProcess controller(dir, {{"apiTokenFile", dir + "/token"}});
    EXPECT_FALSE(controller.start(std::chrono::seconds(5)));
    const auto log = controller.log();
    EXPECT_NE(log.find("apiTokenFile: the token has 15 characters, at least 16 are needed"), std::string::npos) << log;
    EXPECT_EQ(log.find("fifteen-chars-x"), std::string::npos) << "the token reached the log";
    controller.stop();
    std::filesystem::remove_all(dir);
}

TEST(ApiSecurity, SighupRereadsTheTokenFile_TheOldTokenStopsWorking) {
    const auto dir = make_temp_directory("kea-ha-security");
    write_secret(dir + "/token", "first-token-0123456789\n");
    ControllerProcess controller(dir, {{"apiTokenFile", dir + "/token"}});
    ASSERT_TRUE(controller.start()) << controller.log();
    auto before = controller.request("GET", "/v1/clusters", {}, bearer("first-token-0123456789"));
    ASSERT_TRUE(before);
    EXPECT_EQ(before->status, 200u);
    write_secret(dir + "/token", "second-token-0123456789\n");
    ASSERT_EQ(::kill(controller.pid(), SIGHUP), 0);
    const auto status_with = [&](const std::string& token) {
        auto reply = controller.request("GET", "/v1/clusters", {}, bearer(token));
        return reply ? reply->status : 0u;
    };
    EXPECT_TRUE(kea_ha::lab::wait_until([&] { return status_with("first-token-0123456789") == 401u; },
                                        std::chrono::seconds(5)))
        << controller.log();
    EXPECT_EQ(status_with("second-token-0123456789"), 200u);
    EXPECT_NE(controller.log().find("SIGHUP: api tokens reloaded token_file=" + dir + "/token"), std::string::npos);
    // A token file that became bad keeps the running tokens (and says why).
    write_secret(dir + "/token", "short\n");
    ASSERT_EQ(::kill(controller.pid(), SIGHUP), 0);
    EXPECT_TRUE(kea_ha::lab::wait_until([&] { return controller.log().find("at least 16 are needed") != std::string::npos; },
                                        std::chrono::seconds(5)));
    EXPECT_EQ(status_with("second-token-0123456789"), 200u);
    EXPECT_EQ(controller.stop(), 0);
    std::filesystem::remove_all(dir);
}

TEST(ApiSecurity, FailedAuthenticationIsLoggedWithTheClientAddress_AtMostTenLinesAMinute) {
    const auto dir = make_temp_directory("kea-ha-security");
    write_secret(dir + "/token", "right-token-0123456789\n");
    ControllerProcess controller(dir, {{"apiTokenFile", dir + "/token"}});
    ASSERT_TRUE(controller.start()) << controller.log();
    for (int i = 0; i < 15; ++i) {
        auto reply = controller.request("GET", "/v1/clusters", {}, bearer("wrong-token-0123456789"));
        ASSERT_TRUE(reply);
        EXPECT_EQ(reply->status, 401u);
    }
    // A write by an admin: one line with the client's address and name.
    auto sync = controller.request("POST", "/v1/clusters/nope/sync", "{}", bearer("right-token-0123456789"));
    ASSERT_TRUE(sync);
    EXPECT_EQ(sync->status, 404u);
    ASSERT_TRUE(kea_ha::lab::wait_until([&] { return controller.log().find("api request client=") != std::string::npos; },
                                        std::chrono::seconds(5)));
    const auto log = controller.log();
    EXPECT_EQ(count_of(log, "api authentication failed client=127.0.0.1:"), 10u) << log;
    EXPECT_NE(log.find("status=401 code=unauthorized reason=\"invalid bearer token\""), std::string::npos) << log;
    EXPECT_EQ(log.find("wrong-token"), std::string::npos) << "a token reached the log";
    EXPECT_NE(log.find("api request client=127.0.0.1:"), std::string::npos) << log;
    EXPECT_NE(log.find("by=admin method=POST target=/v1/clusters/nope/sync status=404"), std::string::npos) << log;
    EXPECT_EQ(controller.stop(), 0);
    std::filesystem::remove_all(dir);
}

TEST(ApiSecurity, UnsafeSettingsAreSaidAtStartAndInHealth) {
    const auto dir = make_temp_directory("kea-ha-security");
    ControllerProcess controller(dir, {{"keaTlsVerify", "0"}, {"keaAllowBasicAuthOverHttp", "1"}});
    ASSERT_TRUE(controller.start()) << controller.log();
    auto health = controller.get_json("/v1/health");
    ASSERT_TRUE(health) << health.error().describe();
    EXPECT_EQ((*health)["status"], "ok");
    const auto warnings = (*health)["warnings"].dump();
    EXPECT_NE(warnings.find("keaTlsVerify=0"), std::string::npos) << warnings;
    EXPECT_NE(warnings.find("keaAllowBasicAuthOverHttp=1"), std::string::npos) << warnings;
    EXPECT_NE(warnings.find("has no token (apiAllowNoToken)"), std::string::npos) << warnings;
    const auto log = controller.log();
    EXPECT_NE(log.find("insecure setting warning=\"keaTlsVerify=0"), std::string::npos) << log;
    EXPECT_NE(log.find("management API without a token"), std::string::npos) << log;
    EXPECT_EQ(controller.stop(), 0);
    std::filesystem::remove_all(dir);
}

// Issue 32: a log field from Kea or a client cannot forge a line or repaint a terminal.
TEST(ApiSecurity, LogFieldsEscapeControlCharacters) {
    using kea_ha::daemon::quote_field;
    EXPECT_EQ(quote_field("plain"), "plain");
    EXPECT_EQ(quote_field("a b"), "\"a b\"");
    EXPECT_EQ(quote_field("line\nforged=1"), "\"line\\nforged=1\"");
    EXPECT_EQ(quote_field("cr\rx"), "\"cr\\x0dx\"");
    EXPECT_EQ(quote_field("\x1b[31mred"), "\"\\x1b[31mred\"");
    EXPECT_EQ(quote_field("tab\there"), "\"tab\\x09here\"");
    EXPECT_EQ(quote_field("del\x7f"), "\"del\\x7f\"");
}

}  // namespace
