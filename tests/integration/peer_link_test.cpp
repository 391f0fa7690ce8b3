// The per-peer link against a fake Control Agent / fake Kea 3 daemon socket: what the
// daemon sends to each Kea version and transport (kea::PeerLink, ClusterMonitor polls).
// Real Kea shows the same in the e2e tests; here the requests themselves are counted.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <boost/asio/io_context.hpp>

#include "kea_ha/daemon/cluster_monitor.hpp"
#include "kea_ha/kea/peer_link.hpp"
#include "kea_ha/lab/kea_lab.hpp"
#include "support/fake_control_agent.hpp"
#include "support/recorded_answers.hpp"
#include "support/run_awaitable.hpp"

namespace kea_ha {
namespace {

using namespace std::chrono_literals;
using testing::FakeControlAgent;
using testing::FakeReply;

nlohmann::json status_of(const std::string& me, const std::string& role, const std::string& partner) {
    return {{"pid", 1},
            {"uptime", 10},
            {"high-availability",
             nlohmann::json::array({{{"ha-mode", "hot-standby"},
                                     {"ha-servers",
                                      {{"local", {{"role", role}, {"state", "hot-standby"}, {"server-name", me}}},
                                       {"remote", {{"in-touch", true}, {"server-name", partner}}}}}}})}};
}

/// One fake endpoint playing both peers of a hot-standby pair of Kea `version`; through a CA
/// (`direct` false) or a daemon's own socket. Both peers' control URLs point at it.
struct FakePair {
    FakeControlAgent fake;
    std::string version;
    bool direct = false;

    FakePair(std::string v, bool d) : version(std::move(v)), direct(d) {
        auto config = testing::recorded_arguments("config-get-hot-standby-primary.json");
        fake.on("version-get", FakeReply::answer(0, version));
        fake.on("config-get", [this, config](const nlohmann::json& request) {
            if (!request.contains("service")) {
                if (!direct) return FakeReply::answer(0, "", {{"Control-agent", {{"http-port", 8000}}}});
            }
            return FakeReply::answer(0, "", config);
        });
        fake.on("status-get", FakeReply::answer(0, "", status_of("server1", "primary", "server2")));
        fake.on("ha-heartbeat", FakeReply::answer(0, "HA peer status returned.",
                                                  {{"state", "hot-standby"},
                                                   {"date-time", "Wed, 02 Dec 2026 10:00:00 GMT"},
                                                   {"scopes", nlohmann::json::array()},
                                                   {"unsent-update-count", 0}}));
    }

    std::size_t count(const std::string& command) const {
        auto requests = fake.requests();
        return static_cast<std::size_t>(std::count_if(requests.begin(), requests.end(),
                                                      [&](const auto& r) { return r.command == command; }));
    }
};

class PeerLinkTest : public ::testing::Test {
protected:
    void SetUp() override {
        prefs_.poll_interval = 50ms;
        prefs_.request_timeout = 2s;
        prefs_.config_timeout = 5s;
        prefs_.config_sync_interval = 3600s;
        prefs_.replicate_config = false;  // both peers are one fake: nothing to replicate here
        prefs_.secrets_directory = ::testing::TempDir();  // issue 32: the password files live there
        client_ = kea::make_control_agent_client(io_, {});
    }

    daemon::Registration registration_for(const FakePair& pair) const {
        daemon::Registration registration;
        registration.name = "dhcp-a";
        registration.url = pair.fake.url();
        registration.control_urls = {{"server1", pair.fake.url()}, {"server2", pair.fake.url()}};
        return registration;
    }

    core::Result<daemon::Discovery> discover(const daemon::Registration& registration,
                                             const std::optional<kea::Credentials>& credentials = std::nullopt) {
        return testing::run_awaitables(
                   io_, [&] {
                       std::vector<boost::asio::awaitable<core::Result<daemon::Discovery>>> list;
                       list.push_back(daemon::discover_topology(*client_, prefs_, registration, credentials));
                       return list;
                   }())
            .front();
    }

    /// Runs the monitor until `done()` or 10 s.
    bool run_until(const std::function<bool()>& done) {
        io_.restart();
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (!done() && std::chrono::steady_clock::now() < until) io_.run_one_for(20ms);
        return done();
    }

    std::shared_ptr<daemon::ClusterMonitor> monitor_for(daemon::Registration registration, core::Topology topology) {
        daemon::MonitorContext context{io_, *client_, &prefs_, nullptr, &credentials_, {}};
        auto monitor = daemon::ClusterMonitor::create(context, std::move(registration), std::move(topology));
        monitor->start();
        return monitor;
    }

    void stop(const std::shared_ptr<daemon::ClusterMonitor>& monitor) {
        monitor->stop();
        run_until([&] { return monitor->idle(); });
    }

    boost::asio::io_context io_;
    core::Preferences prefs_;
    /// What the daemon passes (issue 32): the allowed hosts and the secrets directory of prefs_.
    daemon::CredentialRules rules() const {
        return {core::kea_credential_hosts(prefs_), prefs_.secrets_directory};
    }
    std::unique_ptr<kea::ControlAgentClient> client_;
    std::optional<kea::Credentials> credentials_;
};

TEST_F(PeerLinkTest, Kea22ThroughAgent_AsksTheClockAtMostEvery30sPerPeer) {
    FakePair pair("2.2.0", false);
    auto registration = registration_for(pair);
    auto found = discover(registration);
    ASSERT_TRUE(found) << found.error().describe();
    EXPECT_EQ(found->transport, kea::Transport::Agent);
    ASSERT_TRUE(found->capabilities.version);
    EXPECT_EQ(kea::to_string(*found->capabilities.version), "2.2.0");
    registration.transport = found->transport;
    auto monitor = monitor_for(registration, found->topology);
    ASSERT_TRUE(run_until([&] { return pair.count("status-get") >= 20; }));
    stop(monitor);
    // Both peers are this one fake: one ha-heartbeat each, not one per poll (SPEC §4).
    EXPECT_EQ(pair.count("ha-heartbeat"), 2u);
    for (const auto& request : pair.fake.requests()) {
        if (request.command == "config-get" && !request.service) continue;  // the transport probe
        EXPECT_EQ(request.service, "dhcp4") << request.command;              // through a CA: always
    }
    EXPECT_EQ(monitor->detail()["transport"], "agent");
    EXPECT_EQ(monitor->detail()["peers"][0]["kea_version"], "2.2.0");
}

TEST_F(PeerLinkTest, Kea30Direct_NoServiceNoHeartbeatAndItsOwnCredentials) {
    FakePair pair("3.0.4", true);
    auto registration = registration_for(pair);
    registration.auth_user = "ctl";
    const auto dir = ::testing::TempDir();
    registration.auth_password_file = dir + "/peer_link_test.pw";
    {
        std::ofstream pw(*registration.auth_password_file);
        pw << "s3cret\n";
    }
    std::filesystem::permissions(*registration.auth_password_file,
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    credentials_ = kea::Credentials{"global", "other"};  // keaAuthUser: the cluster's own win
    auto credentials = daemon::credentials_for(registration, credentials_, registration.url, rules());
    ASSERT_TRUE(credentials) << credentials.error().describe();
    ASSERT_TRUE(*credentials);
    EXPECT_EQ((*credentials)->user, "ctl");
    EXPECT_EQ((*credentials)->password, "s3cret");
    auto found = discover(registration, *credentials);
    ASSERT_TRUE(found) << found.error().describe();
    EXPECT_EQ(found->transport, kea::Transport::Direct);
    registration.transport = found->transport;
    auto monitor = monitor_for(registration, found->topology);
    ASSERT_TRUE(run_until([&] { return pair.count("status-get") >= 10; }));
    stop(monitor);
    EXPECT_EQ(pair.count("ha-heartbeat"), 0u);  // Kea 3.0: the clock is in status-get
    // "ctl:s3cret" in base64.
    for (const auto& request : pair.fake.requests()) {
        EXPECT_FALSE(request.service) << request.command << ": a daemon's own socket takes no service";
        EXPECT_EQ(request.headers.at("authorization"), "Basic Y3RsOnMzY3JldA==") << request.command;
    }
    const auto detail = monitor->detail();
    EXPECT_EQ(detail["transport"], "direct");
    EXPECT_EQ(detail["auth_user"], "ctl");
    EXPECT_EQ(detail["peers"][1]["kea_version"], "3.0.4");
}

TEST_F(PeerLinkTest, RefusedCredentialsNameTheUserAndTheUrl) {
    FakePair pair("3.0.4", true);
    pair.fake.set_default([](const nlohmann::json&) { return FakeReply::json({{"result", 401}, {"text", "Unauthorized"}}, 401); });
    for (const char* command : {"version-get", "config-get", "status-get", "ha-heartbeat"}) {
        pair.fake.on(command, FakeReply::json({{"result", 401}, {"text", "Unauthorized"}}, 401));
    }
    auto registration = registration_for(pair);
    auto refused = discover(registration, kea::Credentials{"ctl", "wrong"});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, core::ErrorKind::Auth);
    EXPECT_NE(refused.error().message.find("Kea refused the credentials for ctl at " + pair.fake.url()),
              std::string::npos)
        << refused.error().message;
    EXPECT_EQ(refused.error().message.find("wrong"), std::string::npos) << "the password is never shown";
    auto none = discover(registration);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("Kea asks for credentials at " + pair.fake.url()), std::string::npos)
        << none.error().message;
}

TEST_F(PeerLinkTest, ClusterPasswordFileMustBeReadable) {
    daemon::Registration registration;
    registration.name = "dhcp-a";
    registration.auth_user = "ctl";
    registration.auth_password_file = "/nonexistent/kea-ha-test.pw";
    auto credentials = daemon::credentials_for(registration, std::nullopt, "http://127.0.0.1:8000/", rules());
    ASSERT_FALSE(credentials);
    EXPECT_NE(credentials.error().describe().find("/nonexistent/kea-ha-test.pw"), std::string::npos)
        << credentials.error().describe();
    registration.auth_password_file.reset();
    // A user alone is not enough.
    EXPECT_FALSE(daemon::credentials_for(registration, std::nullopt, "http://127.0.0.1:8000/", rules()));
    daemon::Registration plain;
    auto fallback = daemon::credentials_for(plain, kea::Credentials{"global", "pw"}, "http://127.0.0.1:8000/", rules());
    ASSERT_TRUE(fallback);
    ASSERT_TRUE(*fallback);
    EXPECT_EQ((*fallback)->user, "global");
    // Issue 32: keaAuthUser's credentials only to the allowed hosts.
    auto foreign = daemon::credentials_for(plain, kea::Credentials{"global", "pw"}, "http://198.51.100.7:8000/", rules());
    ASSERT_TRUE(foreign);
    EXPECT_FALSE(*foreign) << "no credentials for a host outside keaAllowedHosts";
}

// Kea 3.2 as recorded from a real 3.2.0 (tests/data/kea-3.2), served by the fake on a daemon's
// own socket: what CI checks of 3.2 on a machine without ISC's source (issue 28 point 4).
TEST_F(PeerLinkTest, Kea32RecordedAnswers_DirectNoServiceNoHeartbeatActive_AndItsBareMap401) {
    FakeControlAgent fake;
    const auto answer = [](const std::string& file) {
        return FakeReply::json(testing::recorded_answer(file, "3.2"));
    };
    fake.on("version-get", answer("version-get.json"));
    fake.on("config-get", answer("config-get-hot-standby-primary.json"));
    fake.on("config-hash-get", answer("config-hash-get.json"));
    fake.on("status-get", answer("status-get-hot-standby-primary.json"));
    daemon::Registration registration;
    registration.name = "dhcp-a";
    registration.url = fake.url();
    registration.control_urls = {{"server1", fake.url()}, {"server2", fake.url()}};
    auto found = discover(registration, kea::Credentials{"ctl", "s3cret"});
    ASSERT_TRUE(found) << found.error().describe();
    EXPECT_EQ(found->transport, kea::Transport::Direct);
    ASSERT_TRUE(found->capabilities.version);
    EXPECT_EQ(kea::to_string(*found->capabilities.version), "3.2.0");
    EXPECT_FALSE(found->capabilities.control_agent);
    EXPECT_TRUE(found->capabilities.auth_required);
    EXPECT_TRUE(found->capabilities.config_set_waits_for_lfc);
    registration.transport = found->transport;
    credentials_ = kea::Credentials{"ctl", "s3cret"};
    prefs_.kea_allowed_hosts = core::parse_host_patterns("127.0.0.1").value();
    auto monitor = monitor_for(registration, found->topology);
    ASSERT_TRUE(run_until([&] {
        return fake.request_count() >= 12 && monitor->detail()["peers"][0]["condition"] == "active";
    })) << monitor->detail().dump(1);
    stop(monitor);
    for (const auto& request : fake.requests()) {
        EXPECT_FALSE(request.service) << request.command << ": a daemon's own socket takes no service";
        EXPECT_NE(request.command, "ha-heartbeat") << "3.x: the clock is in status-get";
    }
    EXPECT_EQ(monitor->detail()["peers"][0]["kea_version"], "3.2.0");

    // Kea 3.2's own 401: a bare map, as recorded.
    FakeControlAgent refusing;
    refusing.set_default([](const nlohmann::json&) {
        return FakeReply::json(testing::recorded_answer("direct-unauthorized.json", "3.2"), 401);
    });
    daemon::Registration other = registration;
    other.url = refusing.url();
    auto refused = discover(other, kea::Credentials{"ctl", "wrong"});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, core::ErrorKind::Auth) << refused.error().describe();
    EXPECT_NE(refused.error().message.find("Kea refused the credentials for ctl at " + refusing.url()),
              std::string::npos)
        << refused.error().message;
}

}  // namespace
}  // namespace kea_ha
