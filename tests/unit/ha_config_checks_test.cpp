// Issue 27 point 6, the HA config checks (SPEC §4), on recorded config-get answers of real Kea
// 2.2, 2.6, 3.0 and 3.2 (tests/data): the unmodified recordings give none of the new warnings;
// each check fires on a recording with the one thing changed, naming the subnet or the peer.

#include "kea_ha/core/ha_config_checks.hpp"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../support/recorded_answers.hpp"

namespace kea_ha::core {
namespace {

using nlohmann::json;
using kea_ha::testing::recorded_arguments;

const std::vector<std::string> kVersions = {"2.2", "2.6", "3.0", "3.2"};
const std::set<std::string> kNewCodes = {warning_code::kSubnetIdMismatch, warning_code::kFailoverTimers,
                                         warning_code::kPoolsNotSplit, warning_code::kListenerConflict,
                                         warning_code::kLeaseCmdsMissing};

std::string key_of(const std::string& service) { return service == "dhcp6" ? "Dhcp6" : "Dhcp4"; }
std::string subnets_of(const std::string& service) { return service == "dhcp6" ? "subnet6" : "subnet4"; }

/// One recorded cluster: its peers' config-get arguments, the first the registered primary.
struct Recorded {
    std::string version;
    std::string service;
    std::string primary;  ///< its this-server-name in the cluster's relationship
    std::vector<std::pair<std::string, json>> peers;  ///< peer name in that relationship -> arguments

    json& doc(const std::string& peer) {
        for (auto& [name, arguments] : peers)
            if (name == peer) return arguments;
        ADD_FAILURE() << "no peer " << peer;
        static json none;
        return none;
    }
    json& config(const std::string& peer) { return doc(peer)[key_of(service)]; }
};

Recorded pair(const std::string& version, const std::string& service) {
    const std::string prefix = service == "dhcp6" ? "config-get-dhcp6-hot-standby-" : "config-get-hot-standby-";
    return {version, service, "server1",
            {{"server1", recorded_arguments(prefix + "primary.json", version)},
             {"server2", recorded_arguments(prefix + "standby.json", version)}}};
}

/// Hub and spoke (2.6+): the cluster of branch1, where the hub is hub1.
Recorded hub(const std::string& version) {
    return {version, "dhcp4", "branch1",
            {{"branch1", recorded_arguments("config-get-branch1.json", version)},
             {"hub1", recorded_arguments("config-get-hub.json", version)}}};
}

/// Mutual pair (2.6+): the cluster of a1, where b is b1.
Recorded mutual(const std::string& version) {
    return {version, "dhcp4", "a1",
            {{"a1", recorded_arguments("config-get-mutual-a.json", version)},
             {"b1", recorded_arguments("config-get-mutual-b.json", version)}}};
}

std::vector<Recorded> every_recorded_cluster() {
    std::vector<Recorded> out;
    for (const auto& version : kVersions) {
        out.push_back(pair(version, "dhcp4"));
        out.push_back(pair(version, "dhcp6"));
    }
    for (const std::string version : {"2.6", "3.0"}) {
        out.push_back(hub(version));
        out.push_back(mutual(version));
    }
    // 3.0 without a CA: server1 on its own HTTP control socket (control-sockets, socket-type http).
    Recorded direct = pair("3.0", "dhcp4");
    direct.peers[0].second = recorded_arguments("direct-config-get.json", "3.0");
    out.push_back(direct);
    return out;
}

/// The HA entry of `arguments` whose this-server-name is `self` (the first one without it).
json& ha_entry(json& config, const std::string& self = "") {
    for (auto& hook : config["hooks-libraries"]) {
        if (!hook["library"].get<std::string>().ends_with("libdhcp_ha.so")) continue;
        for (auto& entry : hook["parameters"]["high-availability"])
            if (self.empty() || entry["this-server-name"] == self) return entry;
    }
    ADD_FAILURE() << "no HA entry " << self;
    static json none;
    return none;
}

json& peer_entry(json& ha, const std::string& name) {
    for (auto& peer : ha["peers"])
        if (peer["name"] == name) return peer;
    ADD_FAILURE() << "no peer " << name;
    static json none;
    return none;
}

/// The recorded primary's HA url with the port the lab's CA (or HTTP socket) uses: 8000.
std::string registered_url(Recorded& cluster) {
    auto& ha = ha_entry(cluster.config(cluster.primary), cluster.primary);
    auto url = peer_entry(ha, cluster.primary)["url"].get<std::string>();
    const auto colon = url.rfind(':');
    return url.substr(0, colon) + ":8000/";
}

struct Checked {
    std::vector<Warning> topology;  ///< check_topology()'s, from learn_topology()
    std::vector<Warning> across;    ///< check_ha_configs()
    std::vector<Warning> all() const {
        auto out = topology;
        out.insert(out.end(), across.begin(), across.end());
        return out;
    }
};

Checked check(Recorded& cluster) {
    ControlUrlRules rules;
    rules.multi_threading_default = cluster.version != "2.2";
    const auto topology = learn_topology(cluster.doc(cluster.primary), cluster.service, registered_url(cluster), rules,
                                         "cluster", cluster.primary);
    EXPECT_TRUE(topology) << topology.error().describe();
    if (!topology) return {};
    std::vector<PeerConfigDocument> documents;
    for (const auto& [name, arguments] : cluster.peers) documents.push_back({name, &arguments});
    auto across = check_ha_configs(*topology, documents, rules);
    // The edge keeps only ha_check_view() of each peer's config: the same warnings.
    std::vector<json> views;
    for (const auto& [name, arguments] : cluster.peers) views.push_back(ha_check_view(arguments, cluster.service));
    std::vector<PeerConfigDocument> viewed;
    for (std::size_t i = 0; i < views.size(); ++i) viewed.push_back({cluster.peers[i].first, &views[i]});
    EXPECT_EQ(across, check_ha_configs(*topology, viewed, rules)) << "on ha_check_view()";
    return {topology->warnings, std::move(across)};
}

std::string describe(const Recorded& cluster) {
    return "Kea " + cluster.version + " " + cluster.service + " cluster of " + cluster.primary;
}

std::string dump(const std::vector<Warning>& warnings) {
    std::string out;
    for (const auto& w : warnings) out += "\n  " + w.code + " [" + w.peer.value_or("-") + "] " + w.message;
    return out;
}

std::vector<Warning> with_code(const std::vector<Warning>& warnings, const std::string& code) {
    std::vector<Warning> out;
    for (const auto& w : warnings)
        if (w.code == code) out.push_back(w);
    return out;
}

bool mentions(const Warning& warning, const std::string& text) {
    return warning.message.find(text) != std::string::npos;
}

/// Exactly one warning with `code` among `warnings`, about `peer` ("": the whole cluster), whose
/// message contains `text`.
::testing::AssertionResult one_warning(const std::vector<Warning>& warnings, const std::string& code,
                                       const std::string& peer, const std::string& text) {
    const auto found = with_code(warnings, code);
    if (found.size() != 1) return ::testing::AssertionFailure() << "not one " << code << ":" << dump(warnings);
    if (found[0].peer.value_or("") != peer) return ::testing::AssertionFailure() << "not about '" << peer << "':" << dump(found);
    if (!mentions(found[0], text)) return ::testing::AssertionFailure() << "no '" << text << "' in:" << dump(found);
    return ::testing::AssertionSuccess();
}

// ------------------------------------------------------------ the recordings as they are

TEST(HaConfigChecks, EveryRecordedCluster_GivesNoneOfTheNewWarnings) {
    for (auto cluster : every_recorded_cluster()) {
        SCOPED_TRACE(describe(cluster));
        const auto warnings = check(cluster).all();
        for (const auto& w : warnings) EXPECT_FALSE(kNewCodes.count(w.code)) << dump(warnings);
    }
}

// ------------------------------------------------------------ 1. subnet ids

TEST(HaConfigChecks, SubnetWithAnotherIdOnThePeer_WarnsNamingSubnetAndPeer) {
    for (const auto& version : kVersions) {
        for (const std::string service : {"dhcp4", "dhcp6"}) {
            auto cluster = pair(version, service);
            SCOPED_TRACE(describe(cluster));
            auto& subnet = cluster.config("server2")[subnets_of(service)][0];
            const auto prefix = subnet["subnet"].get<std::string>();
            subnet["id"] = 77;
            EXPECT_TRUE(one_warning(check(cluster).across, warning_code::kSubnetIdMismatch, "server2", "subnet " + prefix + " has id 77 on 'server2' but id 1 on 'server1'"));
        }
    }
}

TEST(HaConfigChecks, SubnetWithoutIdOrInsideASharedNetwork_IsCheckedToo) {
    auto cluster = pair("2.2", "dhcp4");  // the recording with two subnets
    auto& subnets = cluster.config("server2")["subnet4"];
    const auto second = subnets[1]["subnet"].get<std::string>();
    subnets[0].erase("id");
    // The second subnet moves into a shared network on both peers, with another id on server2.
    for (const std::string peer : {"server1", "server2"}) {
        auto& config = cluster.config(peer);
        auto moved = config["subnet4"][1];
        if (peer == "server2") moved["id"] = 9;
        config["subnet4"].erase(1);
        config["shared-networks"] = json::array({{{"name", "lan"}, {"subnet4", json::array({moved})}}});
    }
    const auto found = with_code(check(cluster).across, warning_code::kSubnetIdMismatch);
    ASSERT_EQ(2u, found.size()) << dump(found);
    EXPECT_TRUE(mentions(found[0], "has no id on 'server2'")) << found[0].message;
    EXPECT_TRUE(mentions(found[1], "subnet " + second + " has id 9 on 'server2' but id 2 on 'server1'"))
        << found[1].message;
}

TEST(HaConfigChecks, HubAndSpoke_ComparesOnlyTheClusterRelationshipsSubnets) {
    for (const std::string version : {"2.6", "3.0"}) {
        auto cluster = hub(version);
        SCOPED_TRACE(describe(cluster));
        for (auto& subnet : cluster.config("hub1")["subnet4"]) {
            // branch2's subnet is not this cluster's: another id there is not compared.
            subnet["id"] = subnet["user-context"]["ha-server-name"] == "branch1" ? 41 : 42;
        }
        EXPECT_TRUE(one_warning(check(cluster).across, warning_code::kSubnetIdMismatch, "hub1", "subnet 192.0.2.0/24 has id 41 on 'hub1' but id 1 on 'branch1'"));
    }
}

// ------------------------------------------------------------ 2. lease_cmds on every peer

TEST(HaConfigChecks, LeaseCmdsMissingOnTheStandby_WarnsNamingIt) {
    for (const auto& version : kVersions) {
        for (const std::string service : {"dhcp4", "dhcp6"}) {
            auto cluster = pair(version, service);
            SCOPED_TRACE(describe(cluster));
            auto& hooks = cluster.config("server2")["hooks-libraries"];
            for (std::size_t i = 0; i < hooks.size(); ++i) {
                if (hooks[i]["library"].get<std::string>().ends_with("libdhcp_lease_cmds.so")) {
                    hooks.erase(i);
                    break;
                }
            }
            const auto checked = check(cluster);
            EXPECT_TRUE(with_code(checked.topology, warning_code::kLeaseCmdsMissing).empty()) << dump(checked.topology);
            EXPECT_TRUE(one_warning(checked.across, warning_code::kLeaseCmdsMissing, "server2",
                                    "libdhcp_lease_cmds.so is not loaded on 'server2'"));
        }
    }
}

// ------------------------------------------------------------ 3. failover timers

TEST(HaConfigChecks, NoUnackedClientsWithPeersOnTwoHosts_AdvisesAgainstSplitBrain) {
    auto cluster = pair("3.0", "dhcp4");  // max-unacked-clients 0, peers on loopback: no advice
    auto& ha = ha_entry(cluster.config("server1"));
    ASSERT_EQ(0, ha["max-unacked-clients"]);
    peer_entry(ha, "server1")["url"] = "http://192.0.2.1:8001/";
    peer_entry(ha, "server2")["url"] = "http://192.0.2.2:8001/";
    const auto warnings = check(cluster).topology;
    EXPECT_TRUE(one_warning(warnings, warning_code::kFailoverTimers, "", "max-unacked-clients is 0"));
    EXPECT_TRUE(one_warning(warnings, warning_code::kFailoverTimers, "", "split brain"));
}

TEST(HaConfigChecks, MaxAckDelayNoClientReaches_IsAdvice) {
    for (const std::string service : {"dhcp4", "dhcp6"}) {
        auto cluster = pair("2.6", service);
        SCOPED_TRACE(service);
        auto& ha = ha_entry(cluster.config("server1"));
        ha["max-unacked-clients"] = 5;
        ha["max-ack-delay"] = 60000;
        if (service == "dhcp4") {
            EXPECT_TRUE(one_warning(check(cluster).topology, warning_code::kFailoverTimers, "",
                                    "max-ack-delay is 60000 ms with max-unacked-clients 5"));
        } else {
            // DHCPv6 clients' elapsed time goes to 655.35 s.
            EXPECT_TRUE(with_code(check(cluster).topology, warning_code::kFailoverTimers).empty());
            ha["max-ack-delay"] = 700000;
            EXPECT_TRUE(one_warning(check(cluster).topology, warning_code::kFailoverTimers, "", "elapsed-time"));
        }
    }
}

// ------------------------------------------------------------ 4. load-balancing pools

/// The recorded hot-standby pair turned load-balancing (server2 secondary) on both peers.
Recorded load_balancing(const std::string& version, const std::string& service) {
    auto cluster = pair(version, service);
    for (const std::string peer : {"server1", "server2"}) {
        auto& ha = ha_entry(cluster.config(peer));
        ha["mode"] = "load-balancing";
        peer_entry(ha, "server2")["role"] = "secondary";
    }
    return cluster;
}

TEST(HaConfigChecks, LoadBalancingPoolsWithoutHaClasses_WarnNamingTheSubnet) {
    for (const auto& version : kVersions) {
        for (const std::string service : {"dhcp4", "dhcp6"}) {
            auto cluster = load_balancing(version, service);
            SCOPED_TRACE(describe(cluster));
            const auto prefix = cluster.config("server1")[subnets_of(service)][0]["subnet"].get<std::string>();
            const auto found = with_code(check(cluster).across, warning_code::kPoolsNotSplit);
            ASSERT_FALSE(found.empty());
            EXPECT_FALSE(found[0].peer);
            EXPECT_TRUE(mentions(found[0], "subnet " + prefix + " (load-balancing)")) << found[0].message;
            EXPECT_TRUE(mentions(found[0], "HA_server1 / HA_server2")) << found[0].message;
        }
    }
}

TEST(HaConfigChecks, LoadBalancingPoolsSplitByHaClasses_AreFine_OneServersClassOnlyIsNot) {
    auto cluster = load_balancing("3.0", "dhcp4");
    auto& subnets = cluster.config("server1")["subnet4"];
    // server1's half by its class, server2's through a class whose test names HA_server2 (ARM).
    cluster.config("server1")["client-classes"] =
        json::array({{{"name", "phones_server2"}, {"test", "member('phones') and member('HA_server2')"}}});
    for (auto& subnet : subnets) {
        subnet["pools"] = json::array({{{"pool", "10.0.0.1-10.0.0.9"}, {"client-class", "HA_server1"}},
                                       {{"pool", "10.0.0.10-10.0.0.19"}, {"client-classes", {"phones_server2"}}}});
    }
    EXPECT_TRUE(with_code(check(cluster).across, warning_code::kPoolsNotSplit).empty());

    subnets[0]["pools"][1]["client-classes"] = json::array({"HA_server1"});
    const auto warnings = check(cluster).across;
    const auto prefix = subnets[0]["subnet"].get<std::string>();
    EXPECT_TRUE(one_warning(warnings, warning_code::kPoolsNotSplit, "", "subnet " + prefix));
    EXPECT_TRUE(one_warning(warnings, warning_code::kPoolsNotSplit, "", "no pool is limited to HA_server2"));
}

TEST(HaConfigChecks, LoadBalancingPdPoolsAreCheckedOnDhcp6) {
    auto cluster = load_balancing("3.0", "dhcp6");
    auto& subnet = cluster.config("server1")["subnet6"][0];
    subnet["pools"] = json::array({{{"pool", "2001:db8:1::100-2001:db8:1::1ff"}, {"client-class", "HA_server1"}},
                                   {{"pool", "2001:db8:1::200-2001:db8:1::2ff"}, {"client-class", "HA_server2"}}});
    subnet["pd-pools"] = json::array({{{"prefix", "2001:db8:8::"}, {"prefix-len", 48}, {"delegated-len", 64}}});
    EXPECT_TRUE(one_warning(check(cluster).across, warning_code::kPoolsNotSplit, "",
                            "pd-pool 2001:db8:8::/48 has no HA_server1 / HA_server2"));
}

TEST(HaConfigChecks, RecordedLoadBalancingLab_IsReportedUnsplit) {
    // Kea 2.2's recorded load-balancing pair has one pool per subnet, without classes: both
    // servers allocate from it (Kea ARM: load-balancing needs the pools split). A real finding.
    Recorded cluster{"2.2", "dhcp4", "server1",
                     {{"server1", recorded_arguments("config-get-load-balancing.json", "2.2")}}};
    const auto found = with_code(check(cluster).across, warning_code::kPoolsNotSplit);
    ASSERT_EQ(2u, found.size()) << dump(found);
    EXPECT_TRUE(mentions(found[0], "subnet 192.0.2.0/24")) << found[0].message;
    EXPECT_TRUE(mentions(found[1], "subnet 198.51.100.0/24")) << found[1].message;
}

TEST(HaConfigChecks, HotStandbyPoolsNeedNoSplit) {
    for (const auto& version : kVersions) {
        auto cluster = pair(version, "dhcp6");
        cluster.config("server1")["subnet6"][0]["pd-pools"] =
            json::array({{{"prefix", "2001:db8:8::"}, {"prefix-len", 48}, {"delegated-len", 64}}});
        EXPECT_TRUE(with_code(check(cluster).across, warning_code::kPoolsNotSplit).empty()) << version;
    }
}

// ------------------------------------------------------------ 5. HA listeners

TEST(HaConfigChecks, TwoRelationshipsOnOneListener_WarnNamingBoth) {
    for (const std::string version : {"2.6", "3.0"}) {
        auto cluster = hub(version);
        SCOPED_TRACE(describe(cluster));
        auto& config = cluster.config("hub1");
        const auto hub1_url = peer_entry(ha_entry(config, "hub1"), "hub1")["url"];
        peer_entry(ha_entry(config, "hub2"), "hub2")["url"] = hub1_url;
        EXPECT_TRUE(one_warning(check(cluster).across, warning_code::kListenerConflict, "hub1", "'hub1' (relationship of 'hub1') and 'hub2' (relationship of 'hub2')"));
    }
}

TEST(HaConfigChecks, ListenerOnTheDaemonsOwnHttpControlSocket_Warns) {
    for (const std::string version : {"3.0", "3.2"}) {
        auto cluster = pair(version, "dhcp4");
        SCOPED_TRACE(version);
        auto& config = cluster.config("server2");
        const auto url = peer_entry(ha_entry(config), "server2")["url"].get<std::string>();  // http://IP:8001/
        const auto host = url.substr(7, url.rfind(':') - 7);
        config.erase("control-socket");
        config["control-sockets"] = json::array({{{"socket-type", "http"}, {"socket-address", host}, {"socket-port", 8001}}});
        EXPECT_TRUE(one_warning(check(cluster).across, warning_code::kListenerConflict, "server2", "on the daemon's own HTTP control socket " + host + ":8001"));
    }
}

TEST(HaConfigChecks, CheckView_LeavesReservationsOut) {
    auto cluster = pair("2.2", "dhcp4");
    auto& config = cluster.config("server1");
    config["subnet4"][0]["reservations"] = json::array({{{"hw-address", "aa:bb:cc:dd:ee:ff"}, {"ip-address", "192.0.2.9"}}});
    config["shared-networks"] = json::array({{{"name", "lan"}, {"subnet4", json::array({config["subnet4"][0]})}}});
    config["reservations"] = json::array({{{"hw-address", "aa:bb:cc:dd:ee:01"}}});
    const auto view = ha_check_view(cluster.doc("server1"), "dhcp4");
    EXPECT_FALSE(view["Dhcp4"]["subnet4"][0].contains("reservations"));
    EXPECT_FALSE(view["Dhcp4"]["shared-networks"][0]["subnet4"][0].contains("reservations"));
    EXPECT_FALSE(view["Dhcp4"].contains("reservations"));
    EXPECT_EQ(view["Dhcp4"]["subnet4"][0]["id"], 1);
    EXPECT_EQ(view["Dhcp4"]["hooks-libraries"], config["hooks-libraries"]);
}

TEST(HaConfigChecks, StandaloneServer_HasNoCrossPeerChecks) {
    Topology standalone;
    standalone.mode = HaMode::Standalone;
    const auto arguments = recorded_arguments("config-get-no-ha.json", "2.2");
    const PeerConfigDocument documents[] = {{"server1", &arguments}};
    EXPECT_TRUE(check_ha_configs(standalone, documents, {}).empty());
}

}  // namespace
}  // namespace kea_ha::core
