// End-to-end, issue 27 point 6 (SPEC §4): real Kea accepts each HA config the controller warns
// about. One hot-standby pair serves the checks that change one peer through Kea's own
// config-set (the config is set back afterwards); a load-balancing pair serves the pools check.
// Each check waits for the warning in the cluster's detail with a deadline: the controller reads
// the peers' configs every keaConfigSyncInterval (10 s, its minimum).
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::lab::LabMode;
using kea_ha::lab::LabOptions;
using kea_ha::lab::wait_until;
using nlohmann::json;

const std::map<std::string, std::string> kSettings = {{"keaPollInterval", "0.5"},
                                                      {"keaRequestTimeout", "1"},
                                                      {"keaConfigTimeout", "10"},
                                                      {"keaConfigSyncInterval", "10"}};
// Two config re-reads and the HA restart a config-set causes.
constexpr auto kWarningDeadline = 35s;

/// The warning with `code` in the cluster's detail whose message contains `text`, if any.
std::optional<json> warning_in(const json& detail, const std::string& code, const std::string& text) {
    if (!detail.contains("warnings")) return std::nullopt;
    for (const auto& w : detail["warnings"]) {
        if (w.value("code", "") == code && w.value("message", "").find(text) != std::string::npos) return w;
    }
    return std::nullopt;
}

/// A running lab and controller with the pair registered and OK; shared by a suite's tests.
class Lab {
public:
    explicit Lab(LabOptions options)
        : key_(options.service == "dhcp6" ? "Dhcp6" : "Dhcp4"), harness_("kea-ha-checks", kSettings, std::move(options)) {
        ready_ = harness_.up(30s);
    }
    const std::string& key() const { return key_; }
    bool ready() const { return ready_; }
    kea_ha::testing::LabController& harness() { return harness_; }

    /// config-set of `peer`'s own config changed by `change`; the config before, or an error text.
    template <class Change>
    ::testing::AssertionResult change(const std::string& peer, Change&& change, json& before) {
        before = harness_.kea_config(peer, key_);
        if (before.empty()) return ::testing::AssertionFailure() << peer << ": config-get failed";
        auto changed = before;
        change(changed);
        return set(peer, changed);
    }
    ::testing::AssertionResult set(const std::string& peer, const json& config) {
        auto answer = harness_.lab->command(peer, "config-set", {{key_, config}});
        if (!answer || answer->value("result", -1) != 0) {
            return ::testing::AssertionFailure()
                   << peer << ": Kea refused the config-set: " << (answer ? answer->dump() : answer.error().describe());
        }
        return ::testing::AssertionSuccess();
    }
    /// Waits for the warning; returns it (null when it did not come).
    json wait_warning(const std::string& code, const std::string& text) {
        std::optional<json> found;
        wait_until([&] { return (found = warning_in(harness_.detail(), code, text)).has_value(); }, kWarningDeadline,
                   200ms);
        return found ? *found : json();
    }
    /// Kea serves with the changed config: the peer is back in an active HA state.
    bool serving(const std::string& peer, const std::string& state) {
        return wait_until(
            [&] {
                auto seen = harness_.lab->ha_state(peer);
                return seen && *seen == state;
            },
            15s, 100ms);
    }

    /// Changes `peer`'s config with `change` through Kea's config-set, checks Kea serves with it
    /// (HA `state` again), waits for the warning, then sets the config back. The warning, or null.
    template <class Change>
    json provoke(const std::string& peer, Change&& change, const std::string& state, const std::string& code,
                 const std::string& text) {
        json before;
        const auto changed = this->change(peer, std::forward<Change>(change), before);
        EXPECT_TRUE(changed);
        if (!changed) return json();
        EXPECT_TRUE(serving(peer, state)) << peer << " is not back in " << state;
        auto warning = wait_warning(code, text);
        EXPECT_FALSE(warning.is_null()) << "no " << code << " warning with '" << text << "'\n" << harness_.explain();
        EXPECT_TRUE(set(peer, before));
        return warning;
    }

private:
    std::string key_;
    kea_ha::testing::LabController harness_;
    bool ready_ = false;
};

class HaConfigChecksE2E : public ::testing::Test {
protected:
    static void SetUpTestSuite() { lab_ = std::make_unique<Lab>(LabOptions{}); }
    static void TearDownTestSuite() { lab_.reset(); }
    void SetUp() override { ASSERT_TRUE(lab_->ready()) << lab_->harness().explain(); }
    static std::unique_ptr<Lab> lab_;
};
std::unique_ptr<Lab> HaConfigChecksE2E::lab_;

/// Sets the first subnet's id to 77 on the standby; its prefix in `prefix`.
auto other_subnet_id(const std::string& subnets_key, std::string& prefix) {
    return [&prefix, subnets_key](json& config) {
        prefix = config[subnets_key][0]["subnet"].get<std::string>();
        config[subnets_key][0]["id"] = 77;
    };
}

TEST_F(HaConfigChecksE2E, SubnetIdDifferentOnTheStandby_KeaServesAndTheControllerWarns) {
    std::string prefix;
    const auto warning = lab_->provoke("server2", other_subnet_id("subnet4", prefix), "hot-standby",
                                       "subnet-id-mismatch", "has id 77 on 'server2' but id 1 on 'server1'");
    EXPECT_EQ(warning.value("peer", ""), "server2") << warning.dump();
    EXPECT_NE(warning.value("message", "").find("subnet " + prefix), std::string::npos) << warning.dump();
}

TEST(HaConfigChecksDhcp6E2E, SubnetIdDifferentOnTheStandby_KeaServesAndTheControllerWarns) {
    LabOptions options;
    options.service = "dhcp6";
    Lab lab(options);
    ASSERT_TRUE(lab.ready()) << lab.harness().explain();
    std::string prefix;
    const auto warning = lab.provoke("server2", other_subnet_id("subnet6", prefix), "hot-standby",
                                     "subnet-id-mismatch", "has id 77 on 'server2' but id 1 on 'server1'");
    EXPECT_NE(warning.value("message", "").find("subnet " + prefix), std::string::npos) << warning.dump();
}

TEST_F(HaConfigChecksE2E, LeaseCmdsMissingOnTheStandby_KeaServesAndTheControllerWarnsNamingIt) {
    const auto without_lease_cmds = [](json& config) {
        auto& hooks = config["hooks-libraries"];
        for (std::size_t i = 0; i < hooks.size(); ++i) {
            if (hooks[i]["library"].get<std::string>().ends_with("libdhcp_lease_cmds.so")) {
                hooks.erase(i);
                return;
            }
        }
    };
    const auto warning = lab_->provoke("server2", without_lease_cmds, "hot-standby", "lease-cmds-missing",
                                       "libdhcp_lease_cmds.so is not loaded on 'server2'");
    EXPECT_EQ(warning.value("peer", ""), "server2") << warning.dump();
}

TEST_F(HaConfigChecksE2E, MaxAckDelayNoClientReaches_KeaServesAndTheControllerAdvises) {
    const auto slow_ack = [](json& config) {
        for (auto& hook : config["hooks-libraries"]) {
            if (!hook["library"].get<std::string>().ends_with("libdhcp_ha.so")) continue;
            auto& ha = hook["parameters"]["high-availability"][0];
            ha["max-ack-delay"] = 60000;
            ha["max-unacked-clients"] = 5;
        }
    };
    const auto warning = lab_->provoke("server1", slow_ack, "hot-standby", "failover-timers",
                                       "max-ack-delay is 60000 ms with max-unacked-clients 5");
    EXPECT_FALSE(warning.is_null());
}

TEST(HaConfigChecksLoadBalancingE2E, UnsplitPools_KeaServesAndTheControllerWarns_SplitByHaClassesItDoesNot) {
    LabOptions options;
    options.mode = LabMode::LoadBalancing;
    Lab lab(options);
    ASSERT_TRUE(lab.ready()) << lab.harness().explain();
    const auto config = lab.harness().kea_config("server1");
    const auto prefix = config["subnet4"][0]["subnet"].get<std::string>();
    // The lab's pools carry no client class: Kea serves in load-balancing all the same.
    EXPECT_TRUE(lab.serving("server1", "load-balancing"));
    const auto warning = lab.wait_warning("pools-not-split", "subnet " + prefix + " (load-balancing)");
    ASSERT_FALSE(warning.is_null()) << lab.harness().explain();

    // Split as the Kea ARM shows (a /24 lab subnet: .100-.149 for server1, .150-.199 for server2).
    for (const std::string peer : {"server1", "server2"}) {
        json before;
        ASSERT_TRUE(lab.change(
            peer,
            [&](json& c) {
                for (auto& subnet : c["subnet4"]) {
                    const auto own = subnet["subnet"].get<std::string>();
                    const auto b = own.substr(0, own.rfind('.') + 1);
                    subnet["pools"] = json::array({{{"pool", b + "100-" + b + "149"}, {"client-class", "HA_server1"}},
                                                   {{"pool", b + "150-" + b + "199"}, {"client-class", "HA_server2"}}});
                }
            },
            before));
    }
    EXPECT_TRUE(wait_until([&] { return !warning_in(lab.harness().detail(), "pools-not-split", "").has_value(); },
                           kWarningDeadline, 200ms))
        << lab.harness().explain();
}

}  // namespace

namespace {

/// The hub's config with hub2's HA url (its listener for branch2's relationship) set to hub1's.
json with_one_listener_for_both(json config, std::string& shared_url) {
    for (auto& hook : config["hooks-libraries"]) {
        if (!hook["library"].get<std::string>().ends_with("libdhcp_ha.so")) continue;
        for (auto& ha : hook["parameters"]["high-availability"])
            for (auto& peer : ha["peers"])
                if (peer["name"] == "hub1") shared_url = peer["url"];
        for (auto& ha : hook["parameters"]["high-availability"])
            for (auto& peer : ha["peers"])
                if (peer["name"] == "hub2") peer["url"] = shared_url;
    }
    return config;
}

TEST(HaConfigChecksListenerE2E, TwoRelationshipsOfTheHubOnOneListener_KeaTestsItSaneAndTheControllerWarns_Kea26Plus) {
    LabOptions options;
    if (options.kea_version == "2.2") GTEST_SKIP() << "several HA relationships need Kea 2.6+";
    options.shape = kea_ha::lab::LabShape::HubAndSpoke;
    kea_ha::testing::LabController f("kea-ha-checks", kSettings, options);
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start()) << f.controller->log();
    auto added = f.add("b1", "branch1");
    ASSERT_TRUE(added && added->status == 201u);
    ASSERT_TRUE(f.wait_state("OK", std::string("branch1"), 30s, "b1")) << f.explain("b1");

    const auto before = f.kea_config("hub");
    std::string shared_url;
    const auto config = with_one_listener_for_both(before, shared_url);
    ASSERT_FALSE(shared_url.empty());
    // Kea's own check passes: the listeners are only bound when the config is applied.
    auto tested = f.lab->command("hub", "config-test", {{"Dhcp4", config}});
    ASSERT_TRUE(tested) << tested.error().describe();
    EXPECT_EQ(tested->value("result", -1), 0) << tested->dump();
    // Applied, the second listener cannot bind (2.6, 3.0: "Address already in use"), yet the hub
    // reports that config from then on (config-get): the controller reads it and warns.
    auto applied = f.lab->command("hub", "config-set", {{"Dhcp4", config}});
    ASSERT_TRUE(applied) << applied.error().describe();
    std::optional<json> found;
    wait_until([&] { return (found = warning_in(f.detail("b1"), "listener-conflict", "'hub2'")).has_value(); },
               kWarningDeadline, 200ms);
    ASSERT_TRUE(found) << "config-set answered " << applied->dump() << "\n" << f.explain("b1");
    EXPECT_EQ(found->value("peer", ""), "hub1") << found->dump();
    const auto port = shared_url.substr(shared_url.rfind(':') + 1, 4);
    EXPECT_NE(found->value("message", "").find(":" + port), std::string::npos) << found->dump();

    // The hub's own config back: both relationships serve again.
    auto restored = f.lab->command("hub", "config-set", {{"Dhcp4", before}});
    ASSERT_TRUE(restored && restored->value("result", -1) == 0) << (restored ? restored->dump() : "");
    for (const std::string self : {"hub1", "hub2"}) {
        EXPECT_TRUE(wait_until(
            [&] {
                auto state = f.lab->ha_state("hub", self);
                return state && *state == "hot-standby";
            },
            15s, 100ms))
            << self;
    }
}

}  // namespace
