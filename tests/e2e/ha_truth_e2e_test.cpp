// End-to-end, SPEC §4 (issue 27): the controller tells the truth about HA on real Kea pairs of
// every lab version, DHCPv4 and DHCPv6. Each test runs in a network namespace of its own, where
// iptables cuts the HA channel between the peers (split brain) or the controller from them (a
// Down that may still serve), never the machine's own network.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"
#include "support/network_namespace.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::lab::wait_until;
using kea_ha::testing::FilterRule;

const std::map<std::string, std::string> kSettings = {
    {"keaPollInterval", "0.5"}, {"keaRequestTimeout", "1"}, {"keaConfigTimeout", "10"}};

std::string service_key(const std::string& service) { return service == "dhcp6" ? "Dhcp6" : "Dhcp4"; }

/// The port of an http(s)://HOST:PORT/ URL.
std::string port_of(const std::string& url) {
    const auto slash = url.find('/', url.find("://") + 3);
    const auto authority = url.substr(0, slash);
    return authority.substr(authority.rfind(':') + 1);
}

/// Enters the test's own network namespace before anything starts (the member is built first).
struct OwnNetwork {
    OwnNetwork() {
        auto entered = kea_ha::testing::enter_own_network_namespace();
        if (!entered) ADD_FAILURE() << entered.error().describe();
    }
};

kea_ha::lab::LabOptions lab_options(const std::string& service) {
    kea_ha::lab::LabOptions options;
    options.service = service;
    return options;
}

/// A real pair and the real controller, in the test's own network namespace.
struct Pair {
    explicit Pair(const std::string& service, kea_ha::lab::LabOptions options)
        : harness("kea-ha-truth", kSettings, [&] {
              options.service = service;
              return options;
          }()) {}
    explicit Pair(const std::string& service) : Pair(service, lab_options(service)) {}

    OwnNetwork network;
    kea_ha::testing::LabController harness;

    bool up() { return harness.up(); }
    nlohmann::json detail() const { return harness.detail(); }
    std::string explain() const { return harness.explain(); }
    const kea_ha::lab::LabPeer& peer(const std::string& name) const { return harness.lab->peer(name); }

    /// Both peers in hot-standby, as Kea itself says.
    bool peers_hot_standby() const {
        for (const std::string name : {"server1", "server2"}) {
            auto state = harness.lab->ha_state(name);
            if (!state || *state != "hot-standby") return false;
        }
        return true;
    }

    /// The rule that cuts the HA channel between the two peers and nothing else: from Kea 2.4
    /// the HA hook's own listener (another port than the controller's); on 2.2 the peers talk
    /// through each other's Control Agent, where the HA hook's requests are told apart by Kea's
    /// own JSON spelling of their `service` list (`[ "dhcp4" ]`, with spaces; the controller and
    /// the lab send `["dhcp4"]`).
    std::vector<std::string> ha_channel_rule() const {
        const auto ha_port = port_of(peer("server1").ha_url);
        const auto control_port = std::to_string(peer("server1").port);
        if (ha_port != control_port) return {"INPUT", "-p", "tcp", "--dport", ha_port, "-j", "DROP"};
        return {"INPUT", "-p", "tcp", "--dport", ha_port, "-m", "string", "--algo", "bm", "--string",
                "[ \"dhcp", "-j", "DROP"};
    }

    /// The rule that cuts the controller from every peer, and nothing else: its requests carry
    /// its User-Agent (Kea's HA traffic and the lab's own checks do not).
    std::vector<std::string> controller_rule() const {
        return {"INPUT", "-p", "tcp", "--dport", std::to_string(peer("server1").port), "-m", "string", "--algo",
                "bm", "--string", "User-Agent: kea-ha-controller/", "-j", "DROP"};
    }
};

class HaTruthE2E : public ::testing::TestWithParam<std::string> {};

TEST_P(HaTruthE2E, SplitBrain_HaChannelCut_IsImpairedWithSplitBrainWithinTwiceMaxResponseDelay_RestoredIsOk) {
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    auto okay = p.detail();
    EXPECT_TRUE(okay["split_brain"].is_null()) << okay.dump();
    // What each main peer reports of its partner, in touch.
    for (const auto& peer : okay["peers"]) {
        ASSERT_TRUE(peer["partner"].is_object()) << peer.dump();
        EXPECT_EQ(peer["partner"]["communication_interrupted"], false) << peer.dump();
        EXPECT_EQ(peer["partner"]["in_touch"], true) << peer.dump();
    }

    FilterRule cut(p.ha_channel_rule());
    ASSERT_TRUE(cut.added()) << cut.added().error().describe();
    const auto cut_at = std::chrono::steady_clock::now();
    const auto max_response_delay = std::chrono::milliseconds(p.harness.lab->options().max_response_delay_ms);
    const bool seen = wait_until(
        [&] {
            const auto d = p.detail();
            return d.value("state", "") == "Impaired" && d["split_brain"] == "server1+server2";
        },
        2 * max_response_delay + 2s, 100ms);
    const auto took = std::chrono::steady_clock::now() - cut_at;
    ASSERT_TRUE(seen) << p.explain();
    // SPEC §4 / the issue: within 2 x max-response-delay (the poll that sees it is due within one
    // keaPollInterval, and each takes up to keaRequestTimeout: allowed on top, but measured).
    EXPECT_LE(took, 2 * max_response_delay + 1500ms)
        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
    const auto split = p.detail();
    bool warned = false;
    for (const auto& w : split["warnings"]) warned = warned || w["code"] == "split-brain";
    EXPECT_TRUE(warned) << split.dump(1);
    EXPECT_NE(split["reason"].get<std::string>().find("cannot reach each other over the HA channel"),
              std::string::npos)
        << split.dump(1);
    bool reported = false;
    for (const auto& peer : split["peers"]) {
        reported = reported || (peer["partner"].is_object() && peer["partner"]["communication_interrupted"] == true);
    }
    EXPECT_TRUE(reported) << split.dump(1);
    // The metrics say it too.
    auto metrics = p.harness.controller->request("GET", "/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_NE(metrics->body.find("kea_ha_cluster_split_brain{cluster=\"pair\"} 1"), std::string::npos);

    ASSERT_TRUE(cut.remove()) << "cannot restore the HA channel";
    EXPECT_TRUE(p.harness.wait_state("OK", "server1", 60s)) << p.explain();
    EXPECT_TRUE(p.detail()["split_brain"].is_null());
}

TEST_P(HaTruthE2E, DownCause_ControllerCutOffFromBothPeers_IsUnreachableWhileThePeersStillServe) {
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    FilterRule cut(p.controller_rule());
    ASSERT_TRUE(cut.added()) << cut.added().error().describe();
    ASSERT_TRUE(wait_until([&] { return p.detail().value("state", "") == "Down"; }, 20s, 100ms)) << p.explain();
    const auto down = p.detail();
    EXPECT_EQ(down["cause"], "unreachable") << down.dump(1);
    EXPECT_NE(down["reason"].get<std::string>().find("DHCP may still be served"), std::string::npos) << down.dump(1);
    // The truth of it: both peers still serve, as Kea itself says (the lab is not cut off).
    EXPECT_TRUE(p.peers_hot_standby());
    ASSERT_TRUE(cut.remove());
    EXPECT_TRUE(p.harness.wait_state("OK", "server1", 30s)) << p.explain();
    EXPECT_TRUE(p.detail()["cause"].is_null());
}

TEST_P(HaTruthE2E, DownCause_BothDaemonsStopped_IsNotServing) {
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    ASSERT_TRUE(p.harness.lab->stop_dhcp("server2"));
    ASSERT_TRUE(p.harness.lab->stop_dhcp("server1"));
    ASSERT_TRUE(wait_until([&] { return p.detail().value("state", "") == "Down"; }, 20s, 100ms)) << p.explain();
    // Each answer of the Control Agent (daemon offline) or of the host (connection refused on
    // the direct transport) says the daemon is not there: the cause settles on not-serving.
    EXPECT_TRUE(wait_until([&] { return p.detail()["cause"] == "not-serving"; }, 5s, 100ms)) << p.explain();
    EXPECT_NE(p.detail()["reason"].get<std::string>().find("the peers report they do not serve"), std::string::npos)
        << p.explain();
}

TEST_P(HaTruthE2E, Clock_SyncedPairDiffersByLessThanASecond_NeverAControllerOffsetOfTwoSeconds) {
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    ASSERT_TRUE(wait_until([&] { return p.detail()["clock_skew_s"].is_number(); }, 10s, 100ms)) << p.explain();
    // Several polls: every reading of a synced pair on one clock.
    for (int i = 0; i < 6; ++i) {
        const auto d = p.detail();
        ASSERT_TRUE(d["clock_skew_s"].is_number()) << d.dump(1);
        EXPECT_LT(std::abs(d["clock_skew_s"].get<double>()), 1.0) << d.dump(1);
        for (const auto& peer : d["peers"]) {
            if (peer["clock_skew_s"].is_number()) {
                EXPECT_LT(std::abs(peer["clock_skew_s"].get<double>()), 1.0) << peer.dump();
            }
        }
        bool skew_warning = false;
        for (const auto& w : d["warnings"]) skew_warning = skew_warning || w["code"] == "clock-skew";
        EXPECT_FALSE(skew_warning) << d.dump(1);
        std::this_thread::sleep_for(500ms);  // one poll interval between readings, not a synchronisation
    }
}

TEST_P(HaTruthE2E, Clock_StandbyFortySecondsAhead_WarnsWithAboutForty) {
    auto options = lab_options(GetParam());
    options.faketime["server2"] = "+40s";
    Pair p(GetParam(), options);
    ASSERT_TRUE(p.up()) << p.explain();
    ASSERT_TRUE(wait_until(
        [&] {
            const auto d = p.detail();
            for (const auto& w : d["warnings"])
                if (w["code"] == "clock-skew") return true;
            return false;
        },
        40s, 200ms))
        << p.explain();
    const auto d = p.detail();
    ASSERT_TRUE(d["clock_skew_s"].is_number()) << d.dump(1);
    EXPECT_NEAR(40.0, d["clock_skew_s"].get<double>(), 2.0) << d.dump(1);
    EXPECT_EQ(d["state"], "OK") << "Kea terminates HA at 60 s, not 40: " << d.dump(1);
}

TEST_P(HaTruthE2E, Replication_EachPeerKeepsItsIdentityAndLocalKeys_Dhcp6ItsOwnServerId) {
    Pair p(GetParam());
    ASSERT_TRUE(p.up()) << p.explain();
    const auto key = service_key(GetParam());
    const auto primary_before = p.harness.kea_config("server1", key);
    const auto standby_before = p.harness.kea_config("server2", key);
    if (GetParam() == "dhcp6") {
        ASSERT_TRUE(standby_before.contains("server-id")) << "the lab gives each v6 peer its own DUID";
        ASSERT_NE(primary_before["server-id"], standby_before["server-id"]);
    }
    const nlohmann::json patch = {{key, {{"valid-lifetime", 7345}}}};
    auto changed = p.harness.controller->request("PATCH", "/v1/clusters/pair/config", patch.dump(),
                                                  {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_TRUE(changed);
    ASSERT_EQ(changed->status, 200u) << changed->body << p.explain();
    for (const std::string name : {"server1", "server2"}) {
        const auto after = p.harness.kea_config(name, key);
        const auto& before = name == "server1" ? primary_before : standby_before;
        EXPECT_EQ(after["valid-lifetime"], 7345) << name;
        // SPEC §3: every per-server key stays the peer's own (the DUID above all).
        for (const char* local : {"server-id", "interfaces-config", "control-socket", "control-sockets",
                                  "lease-database", "loggers", "data-directory"}) {
            EXPECT_EQ(before.value(local, nlohmann::json()), after.value(local, nlohmann::json()))
                << name << " " << local;
        }
    }
    EXPECT_TRUE(p.harness.wait_state("OK", "server1", 20s)) << p.explain();
}

// SPEC §2, the case: a pair registered at another control port than 8000 (a v6 pair
// on its daemons' own sockets at 8010 on Kea 3.x; the CAs at 8010 before): every peer's
// control URL takes the registered URL's scheme and port, and the cluster gets OK.
TEST_P(HaTruthE2E, ControlUrl_RegisteredAtPort8010_EveryPeerIsAskedThere) {
    auto options = lab_options(GetParam());
    options.control_port = 8010;
    const auto& version = options.kea_version;
    if (version != "2.2" && version != "2.6") options.transport = kea_ha::lab::LabTransport::Direct;
    Pair p(GetParam(), options);
    ASSERT_TRUE(p.harness.lab) << "the lab did not start";
    EXPECT_EQ(port_of(p.peer("server2").url), "8010");
    ASSERT_TRUE(p.up()) << p.explain();
    const auto d = p.detail();
    for (const auto& peer : d["peers"]) {
        EXPECT_EQ(port_of(peer["control_url"].get<std::string>()), "8010") << peer.dump();
        EXPECT_EQ(peer["condition"], "active") << peer.dump();
    }
}

INSTANTIATE_TEST_SUITE_P(Service, HaTruthE2E, ::testing::Values("dhcp4", "dhcp6"),
                         [](const auto& info) { return info.param; });

}  // namespace
