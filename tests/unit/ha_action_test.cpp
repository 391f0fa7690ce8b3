// core/ha_action: where each HA action goes, and the guard rails (issue 14 item 1).
#include <gtest/gtest.h>

#include "kea_ha/core/ha_action.hpp"

namespace {

using namespace kea_ha::core;

std::vector<HaActionPeer> pair(PeerCondition one = PeerCondition::Active, PeerCondition two = PeerCondition::Active) {
    return {{"server1", PeerRole::Primary, one, "hot-standby", 1},
            {"server2", PeerRole::Standby, two, "hot-standby", 1},
            {"server3", PeerRole::Backup, PeerCondition::Active, "backup", 1}};
}

TEST(HaAction, NamesRoundTrip) {
    for (auto a : {HaAction::MaintenanceStart, HaAction::MaintenanceCancel, HaAction::Reset, HaAction::DhcpDisable,
                   HaAction::DhcpEnable, HaAction::Sync}) {
        EXPECT_EQ(parse_ha_action(to_string(a)), a);
    }
    EXPECT_FALSE(parse_ha_action("maintenance"));
}

TEST(HaAction, MaintenanceGoesToThePartnerThatTakesOver) {
    auto plan = plan_ha_action(HaAction::MaintenanceStart, "server1", pair(), std::nullopt);
    ASSERT_TRUE(plan) << plan.error().message;
    EXPECT_EQ(plan->send_to, "server2");
    EXPECT_EQ(plan->command, "ha-maintenance-start");
    EXPECT_TRUE(plan->arguments.is_null());
    auto peers = pair(PeerCondition::Maintenance);
    peers[1].ha_state = "partner-in-maintenance";
    auto cancel = plan_ha_action(HaAction::MaintenanceCancel, "server1", peers, std::nullopt);
    ASSERT_TRUE(cancel) << cancel.error().message;
    EXPECT_EQ(cancel->send_to, "server2");
    EXPECT_EQ(cancel->command, "ha-maintenance-cancel");
}

TEST(HaAction, NeverBothMainPeersOutOfService) {
    // The partner is not serving: maintenance, reset or disable of this one would leave none.
    for (auto action : {HaAction::MaintenanceStart, HaAction::Reset, HaAction::DhcpDisable}) {
        for (auto partner : {PeerCondition::Unreachable, PeerCondition::Disabled, PeerCondition::Maintenance,
                             PeerCondition::Transitional, PeerCondition::Terminated}) {
            auto plan = plan_ha_action(action, "server1", pair(PeerCondition::Active, partner), std::nullopt);
            ASSERT_FALSE(plan) << to_string(action) << " with the partner " << to_string(partner);
            EXPECT_EQ(plan.error().kind, ErrorKind::Conflict);
            EXPECT_NE(plan.error().message.find("refusing to leave no main peer in service"), std::string::npos)
                << plan.error().message;
            EXPECT_NE(plan.error().message.find("server2"), std::string::npos) << plan.error().message;
        }
    }
    // Giving service back is always allowed.
    EXPECT_TRUE(plan_ha_action(HaAction::DhcpEnable, "server1", pair(PeerCondition::Disabled, PeerCondition::Disabled),
                               std::nullopt));
}

TEST(HaAction, OtherRefusalsSayWhy) {
    auto twice = plan_ha_action(HaAction::MaintenanceStart, "server1", pair(PeerCondition::Maintenance), std::nullopt);
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message.find("in maintenance already"), std::string::npos);
    auto not_in = plan_ha_action(HaAction::MaintenanceCancel, "server1", pair(), std::nullopt);
    ASSERT_FALSE(not_in);
    EXPECT_NE(not_in.error().message.find("not in maintenance"), std::string::npos);
    auto backup = plan_ha_action(HaAction::MaintenanceStart, "server3", pair(), std::nullopt);
    ASSERT_FALSE(backup);
    EXPECT_NE(backup.error().message.find("backup"), std::string::npos);
    auto unknown = plan_ha_action(HaAction::Reset, "server9", pair(), std::nullopt);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().kind, ErrorKind::NotFound);
    auto period = plan_ha_action(HaAction::Reset, "server1", pair(), 60);
    ASSERT_FALSE(period);
    EXPECT_EQ(period.error().kind, ErrorKind::Invalid);
    EXPECT_FALSE(plan_ha_action(HaAction::DhcpDisable, "server1", pair(), 0));
}

TEST(HaAction, AHubIsRefusedBecauseKeaWouldStopItsOtherRelationshipsToo) {
    auto peers = pair();
    peers[1].relationships = 2;  // server2 is a hub (Kea 2.6+)
    auto start = plan_ha_action(HaAction::MaintenanceStart, "server1", peers, std::nullopt);
    ASSERT_FALSE(start);
    EXPECT_NE(start.error().message.find("server2 takes part in 2 HA relationships"), std::string::npos)
        << start.error().message;
    EXPECT_FALSE(plan_ha_action(HaAction::DhcpDisable, "server2", peers, std::nullopt));
    EXPECT_FALSE(plan_ha_action(HaAction::Reset, "server2", peers, std::nullopt));
}

TEST(HaAction, DisableAndSyncArguments) {
    auto disable = plan_ha_action(HaAction::DhcpDisable, "server2", pair(), 120);
    ASSERT_TRUE(disable) << disable.error().message;
    EXPECT_EQ(disable->send_to, "server2");
    EXPECT_EQ(disable->arguments, (nlohmann::json{{"max-period", 120}}));
    auto sync = plan_ha_action(HaAction::Sync, "server2", pair(PeerCondition::Active, PeerCondition::Terminated), std::nullopt);
    ASSERT_TRUE(sync) << sync.error().message;
    EXPECT_EQ(sync->send_to, "server2");
    EXPECT_EQ(sync->arguments, (nlohmann::json{{"server-name", "server1"}}));
    // The one pulling must serve while Kea disables the partner.
    EXPECT_FALSE(plan_ha_action(HaAction::Sync, "server2", pair(PeerCondition::Active, PeerCondition::Transitional),
                                std::nullopt));
}

}  // namespace
