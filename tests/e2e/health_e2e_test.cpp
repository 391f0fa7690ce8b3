// End-to-end: the real kea-ha-controller binary managing real Kea HA pairs (every lab version,
// DHCPv4 and DHCPv6: each test runs once per service) on loopback: discovery and health.
#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"
#include "support/service_config.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::lab::LabMode;
using kea_ha::lab::LabOptions;
using kea_ha::lab::wait_until;

// Fast timings for tests: poll every 0.5 s, 1 s per request.
const std::map<std::string, std::string> kFastPolling = {
    {"keaPollInterval", "0.5"}, {"keaRequestTimeout", "1"}, {"keaConfigTimeout", "10"}};
constexpr auto kPoll = 500ms;
constexpr auto kRequestTimeout = 1000ms;

/// The lab and the controller (support/lab_controller.hpp), plus the time a state took.
LabOptions for_service(LabOptions options, const std::string& service) {
    options.service = service;
    return options;
}

struct Fixture : kea_ha::testing::LabController {
    /// A lab of `service` ("dhcp4" or "dhcp6"), registered for it by add().
    explicit Fixture(const std::string& service, LabOptions options = {},
                     std::map<std::string, std::string> settings = kFastPolling)
        : LabController("kea-ha-e2e", std::move(settings), for_service(std::move(options), service)) {}

    /// Polls the cluster detail until state (and SoT, when given) match; returns the time it took.
    std::optional<std::chrono::milliseconds> wait_for(const std::string& state,
                                                      std::optional<std::string> sot,
                                                      std::chrono::milliseconds timeout,
                                                      const std::string& name = "pair") {
        const auto start = std::chrono::steady_clock::now();
        if (!wait_state(state, sot, timeout, name)) return std::nullopt;
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    }
};

int count_events(const nlohmann::json& events, const std::string& kind, const std::string& from,
                 const std::string& to) {
    int n = 0;
    for (const auto& e : events) {
        if (e.value("kind", "") == kind && e.value("from", "") == from && e.value("to", "") == to) ++n;
    }
    return n;
}

class HealthE2E : public ::testing::TestWithParam<std::string> {};

TEST_P(HealthE2E, RegisteredPrimaryIsOkWithPrimaryAsSourceOfTruth) {
    Fixture f(GetParam());
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start()) << f.controller->log();

    auto added = f.add("pair", "server1");
    ASSERT_TRUE(added) << added.error().describe();
    ASSERT_EQ(added->status, 201u) << added->body;
    auto created = nlohmann::json::parse(added->body);
    EXPECT_EQ(created["name"], "pair");
    EXPECT_EQ(created["mode"], "hot-standby");
    ASSERT_EQ(created["peers"].size(), 2u);
    EXPECT_EQ(f.detail()["service"], GetParam());

    // SPEC/issue: OK with SoT server1 within 2 poll intervals (plus the HTTP round trips here).
    auto took = f.wait_for("OK", "server1", 2 * kPoll + 1s);
    ASSERT_TRUE(took) << f.explain();
    auto d = f.detail();
    for (const auto& peer : d["peers"]) {
        EXPECT_EQ(peer["condition"], "active") << peer.dump();
        EXPECT_TRUE(peer["ha_state"] == "hot-standby") << peer.dump();
        EXPECT_TRUE(peer["last_seen"].is_string()) << peer.dump();
    }
    EXPECT_EQ(d["peers"][0]["role"], "primary");
    EXPECT_EQ(d["peers"][1]["role"], "standby");

    // Registering the standby is refused, naming the primary and its URL.
    auto standby = f.add("standby", "server2");
    ASSERT_TRUE(standby);
    EXPECT_EQ(standby->status, 422u) << standby->body;
    EXPECT_NE(standby->body.find("server1"), std::string::npos) << standby->body;
    // Its control URL or its HA url (they differ on Kea 2.6 / 3.0: the HA hook's own port).
    EXPECT_TRUE(standby->body.find(f.lab->peer("server1").url) != std::string::npos ||
                standby->body.find(f.lab->peer("server1").ha_url) != std::string::npos)
        << standby->body;

    // The name is taken now.
    auto again = f.add("pair", "server1");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 409u);
}

TEST_P(HealthE2E, PrimaryAndStandbyOutagesMoveStateAndSourceOfTruth) {
    Fixture f(GetParam());
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start()) << f.controller->log();
    ASSERT_EQ(f.add("pair", "server1")->status, 201u);
    ASSERT_TRUE(f.wait_for("OK", "server1", 5s)) << f.explain();

    // Primary's dhcp4 stopped: Impaired with the standby as SoT within poll + request timeout.
    ASSERT_TRUE(f.lab->stop_dhcp("server1"));
    auto took = f.wait_for("Impaired", "server2", 10s);
    ASSERT_TRUE(took) << f.explain();
    EXPECT_LE(*took, kPoll + kRequestTimeout + 500ms) << "detection took " << took->count() << " ms";
    auto d = f.detail();
    EXPECT_EQ(d["peers"][0]["condition"], "unreachable");
    // Through a CA: the CA says the daemon is offline. Direct (3.2): nothing listens any more.
    const bool agent = f.lab->options().transport == kea_ha::lab::LabTransport::Agent;
    EXPECT_NE(d["peers"][0]["last_error"].get<std::string>().find(agent ? "offline" : "refused"), std::string::npos)
        << d.dump();

    // Primary back: OK again and the primary is SoT again.
    ASSERT_TRUE(f.lab->start_dhcp("server1"));
    ASSERT_TRUE(f.wait_for("OK", "server1", 30s)) << f.explain();

    // The primary's CA only: the same as its daemon (no CA on 3.2).
    if (agent) {
        ASSERT_TRUE(f.lab->stop_agent("server1"));
        ASSERT_TRUE(f.wait_for("Impaired", "server2", kPoll + kRequestTimeout + 5s)) << f.explain();
        EXPECT_NE(f.detail()["peers"][0]["last_error"].get<std::string>().find("refused"), std::string::npos);
        ASSERT_TRUE(f.lab->start_agent("server1"));
        ASSERT_TRUE(f.wait_for("OK", "server1", 30s)) << f.explain();
    }

    // The standby stopped: Impaired, the primary stays SoT.
    ASSERT_TRUE(f.lab->stop_dhcp("server2"));
    ASSERT_TRUE(f.wait_for("Impaired", "server1", 10s)) << f.explain();
    ASSERT_TRUE(f.lab->start_dhcp("server2"));
    ASSERT_TRUE(f.wait_for("OK", "server1", 30s)) << f.explain();

    // Each cluster transition is recorded once.
    auto events = f.controller->get_json("/v1/clusters/pair/events");
    ASSERT_TRUE(events);
    const int outages = agent ? 3 : 2;
    EXPECT_EQ(count_events(*events, "cluster-state", "OK", "Impaired"), outages) << events->dump(1);
    EXPECT_EQ(count_events(*events, "cluster-state", "Impaired", "OK"), outages) << events->dump(1);
    EXPECT_EQ(count_events(*events, "source-of-truth", "server1", "server2"), outages - 1) << events->dump(1);
}

TEST_P(HealthE2E, BothMainPeersDownIsDownAndStandbyFirstBackBecomesSourceOfTruth) {
    Fixture f(GetParam());
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start()) << f.controller->log();
    ASSERT_EQ(f.add("pair", "server1")->status, 201u);
    ASSERT_TRUE(f.wait_for("OK", "server1", 5s)) << f.explain();

    ASSERT_TRUE(f.lab->stop_dhcp("server1"));
    ASSERT_TRUE(f.lab->stop_dhcp("server2"));
    ASSERT_TRUE(f.wait_for("Down", std::nullopt, 10s)) << f.explain();
    EXPECT_TRUE(f.detail()["source_of_truth"].is_null());

    ASSERT_TRUE(f.lab->start_dhcp("server2"));
    ASSERT_TRUE(f.wait_for("Impaired", "server2", 30s)) << f.explain();

    ASSERT_TRUE(f.lab->start_dhcp("server1"));
    ASSERT_TRUE(f.wait_for("OK", "server1", 40s)) << f.explain();
}

TEST_P(HealthE2E, RestartWhilePrimaryDownShowsCachedTopologyAsImpaired) {
    Fixture f(GetParam());
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start()) << f.controller->log();
    ASSERT_EQ(f.add("pair", "server1")->status, 201u);
    ASSERT_TRUE(f.wait_for("OK", "server1", 5s)) << f.explain();

    ASSERT_EQ(f.controller->stop(), 0);
    ASSERT_TRUE(f.lab->stop_dhcp("server1"));
    if (f.lab->options().transport == kea_ha::lab::LabTransport::Agent) {
        ASSERT_TRUE(f.lab->stop_agent("server1"));
    }
    ASSERT_TRUE(f.controller->start()) << f.controller->log();

    // Micetro's controller can only wait for the primary; ours knows the peers from its cache.
    ASSERT_TRUE(f.wait_for("Impaired", "server2", 10s)) << f.explain();
    auto d = f.detail();
    ASSERT_EQ(d["peers"].size(), 2u);
    EXPECT_EQ(d["peers"][1]["condition"], "active");
    // The events of the first run came back from the state file, each once, before the new ones.
    auto events = f.controller->get_json("/v1/clusters/pair/events");
    ASSERT_TRUE(events);
    EXPECT_EQ(count_events(*events, "cluster-state", "Unreachable", "OK"), 1) << events->dump(1);
    EXPECT_EQ(count_events(*events, "source-of-truth", "", "server1"), 1) << events->dump(1);
    EXPECT_EQ(count_events(*events, "source-of-truth", "", "server2"), 1) << events->dump(1);
}

TEST_P(HealthE2E, PairWithBackupPeerIsOkAndBackupLossIsImpaired) {
    LabOptions options;
    options.with_backup = true;
    Fixture f(GetParam(), options);
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start()) << f.controller->log();
    ASSERT_EQ(f.add("pair", "server1")->status, 201u);
    ASSERT_TRUE(f.wait_for("OK", "server1", 5s)) << f.explain();
    auto d = f.detail();
    ASSERT_EQ(d["peers"].size(), 3u);
    EXPECT_EQ(d["peers"][2]["role"], "backup");
    EXPECT_EQ(d["peers"][2]["ha_state"], "backup");

    ASSERT_TRUE(f.lab->stop_dhcp("server3"));
    ASSERT_TRUE(f.wait_for("Impaired", "server1", 10s)) << f.explain();
}

TEST_P(HealthE2E, LoadBalancingPairIsOk) {
    LabOptions options;
    options.mode = LabMode::LoadBalancing;
    Fixture f(GetParam(), options);
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start()) << f.controller->log();
    ASSERT_EQ(f.add("pair", "server1")->status, 201u);
    ASSERT_TRUE(f.wait_for("OK", "server1", 5s)) << f.explain();
    auto d = f.detail();
    EXPECT_EQ(d["mode"], "load-balancing");
    EXPECT_EQ(d["peers"][1]["role"], "secondary");
    EXPECT_EQ(d["peers"][1]["ha_state"], "load-balancing");
}

INSTANTIATE_TEST_SUITE_P(Service, HealthE2E, ::testing::Values("dhcp4", "dhcp6"), kea_ha::testing::service_name);

}  // namespace
