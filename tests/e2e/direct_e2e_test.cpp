// End-to-end: the Kea 3.2 shape on real Kea 3.0 daemons (SPEC §2, issue 11 item 5): no
// Control Agent, every kea-dhcp4 (kea-dhcp6: the test runs once per service) serves HTTP itself
// with basic auth whose password is read from a file. The controller registers the pair with per-cluster credentials, finds the
// direct transport, follows a primary outage with the standby as source of truth, accepts a
// change meanwhile, and keeps it on the primary when it is back.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"
#include "support/service_config.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::lab::LabOptions;
using kea_ha::lab::LabTransport;
using kea_ha::lab::wait_until;

const std::map<std::string, std::string> kSettings = {
    {"keaPollInterval", "0.5"}, {"keaRequestTimeout", "1"}, {"keaConfigTimeout", "10"}};

/// The daemons' own HTTP sockets on 8010, not the CA's usual 8000 (issue 27: a v6 pair on
/// 8010 got its standby commanded at 8000): every peer's control URL takes the registered
/// URL's port (SPEC §2).
LabOptions direct_lab(const std::string& service) {
    LabOptions options;
    options.transport = LabTransport::Direct;
    options.service = service;
    options.control_port = 8010;
    return options;
}

class DirectE2E : public ::testing::TestWithParam<std::string> {};

TEST_P(DirectE2E, NoControlAgentBasicAuthFromFiles_Kea30) {
    const std::string kea = LabOptions{}.kea_version;
    if (kea == "2.2" || kea == "2.6") GTEST_SKIP() << "the DHCP daemon's own HTTP socket needs Kea 3.0 or later";
    kea_ha::testing::LabController f("kea-ha-direct", kSettings, direct_lab(GetParam()));
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start()) << f.explain();
    const std::string user = f.lab->options().auth_user.value();
    const std::string url = f.lab->peer("server1").url;

    // A wrong password: Kea's 401 becomes a clear error naming the user and the URL.
    const std::string wrong = f.directory + "/wrong-password";
    std::ofstream(wrong) << "not-the-password\n";
    // A secret file is private (issue 32: one others may read is refused before Kea is asked).
    std::filesystem::permissions(wrong, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const nlohmann::json refused_body = {
        {"name", "pair"}, {"url", url}, {"service", GetParam()}, {"auth", {{"user", user}, {"password_file", wrong}}}};
    auto refused = f.controller->request("POST", "/v1/clusters", refused_body.dump(),
                                         {{"Content-Type", "application/json"}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 502u) << refused->body;
    EXPECT_NE(refused->body.find("Kea refused the credentials for " + user + " at " + url), std::string::npos)
        << refused->body;

    // The right password file: registered, direct, OK with the primary as source of truth.
    const nlohmann::json body = {{"name", "pair"},
                                 {"url", url},
                                 {"service", GetParam()},
                                 {"auth", {{"user", user}, {"password_file", f.lab->password_file()}}}};
    auto added = f.controller->request("POST", "/v1/clusters", body.dump(), {{"Content-Type", "application/json"}});
    ASSERT_TRUE(added);
    ASSERT_EQ(added->status, 201u) << added->body;
    ASSERT_TRUE(f.wait_state("OK", std::string("server1"))) << f.explain();
    const auto detail = f.detail();
    EXPECT_EQ(detail["transport"], "direct") << detail.dump();
    EXPECT_EQ(detail["service"], GetParam()) << detail.dump();
    ASSERT_EQ(detail["peers"].size(), 2u) << detail.dump();
    for (const auto& peer : detail["peers"]) {
        EXPECT_EQ(peer["kea_version"].get<std::string>().rfind(kea + ".", 0), 0u) << peer.dump();
        EXPECT_EQ(peer["control_url"], f.lab->peer(peer["name"]).url) << peer.dump();
    }

    // The primary's daemon gone (and with it its only socket): Impaired, the standby is SoT.
    ASSERT_TRUE(f.lab->stop_dhcp("server1"));
    ASSERT_TRUE(f.wait_state("Impaired", std::string("server2"), 30s)) << f.explain();

    // A change meanwhile is accepted and lands on the standby.
    const nlohmann::json merge = kea_ha::testing::lifetime_patch(GetParam(), 7321);
    auto changed = f.controller->request("PATCH", "/v1/clusters/pair/config", merge.dump(),
                                         {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_TRUE(changed);
    ASSERT_EQ(changed->status, 200u) << changed->body << f.explain();
    EXPECT_EQ(f.kea_config("server2").value("valid-lifetime", 0), 7321);

    // The primary back: OK again, SoT server1, and the change made meanwhile is on it.
    ASSERT_TRUE(f.lab->start_dhcp("server1"));
    ASSERT_TRUE(f.wait_state("OK", std::string("server1"), 60s)) << f.explain();
    EXPECT_TRUE(wait_until([&] { return f.kea_config("server1").value("valid-lifetime", 0) == 7321; }, 30s))
        << f.kea_config("server1").dump().substr(0, 400) << f.explain();
    EXPECT_EQ(f.kea_config("server2").value("valid-lifetime", 0), 7321);
}

INSTANTIATE_TEST_SUITE_P(Service, DirectE2E, ::testing::Values("dhcp4", "dhcp6"), kea_ha::testing::service_name);

}  // namespace
