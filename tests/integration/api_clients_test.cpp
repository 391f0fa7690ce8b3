// issue 14 item 5 with the real daemon binary (no Kea needed): apiTokensFile read at start,
// a read client may only GET, an admin client may write, a bad file stops the start naming
// the file and line (never the token), and apiTokenFile keeps working beside it as "admin".
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "support/controller_process.hpp"

namespace {

using kea_ha::testing::ControllerProcess;
using kea_ha::testing::make_temp_directory;

std::map<std::string, std::string> bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

TEST(ApiClients, ReadClientsOnlyGetAdminsWriteAndTheSingleTokenIsAdmin) {
    const auto dir = make_temp_directory("kea-ha-clients");
    std::ofstream(dir + "/clients") << "# clients\nnoc read noc-token-0123456789\nalice admin alice-token-0123456789\n";
    std::ofstream(dir + "/token") << "single-token-0123456789\n";
    for (const char* file : {"/token", "/clients"}) {
        std::filesystem::permissions(dir + file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
    ControllerProcess controller(dir, {{"apiTokensFile", dir + "/clients"}, {"apiTokenFile", dir + "/token"}});
    ASSERT_TRUE(controller.start()) << controller.log();
    auto anonymous = controller.request("GET", "/v1/clusters");
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->status, 401u);
    auto read = controller.request("GET", "/v1/clusters", {}, bearer("noc-token-0123456789"));
    ASSERT_TRUE(read);
    EXPECT_EQ(read->status, 200u) << read->body;
    // A registration is a write: refused for the read client before anything is tried.
    const std::string body = R"({"name": "pair", "url": "http://127.0.0.1:9/"})";
    auto refused = controller.request("POST", "/v1/clusters", body,
                                      {{"Authorization", "Bearer noc-token-0123456789"}, {"Content-Type", "application/json"}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403u) << refused->body;
    EXPECT_NE(refused->body.find("client 'noc' has role read"), std::string::npos) << refused->body;
    // The admins reach the handler (here: 502, nothing listens on port 9).
    for (const char* token : {"alice-token-0123456789", "single-token-0123456789"}) {
        auto written = controller.request("POST", "/v1/clusters", body,
                                          {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}});
        ASSERT_TRUE(written);
        EXPECT_NE(written->status, 403u) << token << ": " << written->body;
        EXPECT_NE(written->status, 401u) << token << ": " << written->body;
    }
    EXPECT_NE(controller.log().find("api clients file=" + dir + "/clients clients=2"), std::string::npos) << controller.log();
    EXPECT_EQ(controller.stop(), 0);
    std::filesystem::remove_all(dir);
}

TEST(ApiClients, ABadClientsFileStopsTheStartNamingTheLineNeverTheToken) {
    const auto dir = make_temp_directory("kea-ha-clients");
    std::ofstream(dir + "/clients") << "noc read noc-token-0123456789\nbob root bob-token-0123456789\n";
    std::filesystem::permissions(dir + "/clients", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    ControllerProcess controller(dir, {{"apiTokensFile", dir + "/clients"}});
    EXPECT_FALSE(controller.start(std::chrono::seconds(5)));
    const auto log = controller.log();
    EXPECT_NE(log.find(dir + "/clients:2: role must be read or admin (got 'root')"), std::string::npos) << log;
    EXPECT_EQ(log.find("bob-token"), std::string::npos) << "a token reached the log";
    controller.stop();
    std::filesystem::remove_all(dir);
}

TEST(ApiClients, AClientsFileOthersCanReadStopsTheStartNamingItsMode) {
    // Issue 32: apiTokensFile holds every client's token: the secret files' rule applies.
    const auto dir = make_temp_directory("kea-ha-clients");
    std::ofstream(dir + "/clients") << "noc read noc-token-0123456789\n";
    std::filesystem::permissions(dir + "/clients", std::filesystem::perms::owner_read |
                                                       std::filesystem::perms::owner_write |
                                                       std::filesystem::perms::others_read);
    ControllerProcess controller(dir, {{"apiTokensFile", dir + "/clients"}});
    EXPECT_FALSE(controller.start(std::chrono::seconds(5)));
    const auto log = controller.log();
    EXPECT_NE(log.find("apiTokensFile: mode 0604 lets others read or write it"), std::string::npos) << log;
    EXPECT_EQ(log.find("noc-token"), std::string::npos) << "a token reached the log";
    controller.stop();
    std::filesystem::remove_all(dir);
}

}  // namespace
