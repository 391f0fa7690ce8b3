// issue 14 item 7: the Prometheus alerting rules and the Grafana dashboard in packaging/ are
// checked with Debian's promtool (scripts/promtool.sh puts it in place): the rules parse, their
// unit tests (packaging/prometheus/kea-ha-controller.rules.test.yml) pass, and every query of
// the dashboard is valid PromQL. That they name only metrics the daemon exports is checked
// against a real daemon's scrape (tests/e2e/metrics_e2e_test.cpp).

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <string>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/controller_process.hpp"

namespace {

const std::string kPackaging = std::string(KEA_HA_TEST_DATA) + "/../../packaging";

/// promtool: $KEA_HA_PROMTOOL, else where scripts/promtool.sh puts it; "" when absent.
std::string promtool() {
    if (const char* set = std::getenv("KEA_HA_PROMTOOL"); set && *set) return set;
    const std::string cached = "/var/cache/kea-ha-controller/promtool/promtool";
    return std::filesystem::exists(cached) ? cached : "";
}

using kea_ha::testing::run_shell;

class PackagingTest : public ::testing::Test {
protected:
    void SetUp() override {
        tool_ = promtool();
        if (tool_.empty()) {
            // CI installs it (scripts/install-deps.sh): there, its absence is a failure.
            if (std::getenv("CI")) FAIL() << "promtool missing: run scripts/promtool.sh";
            GTEST_SKIP() << "promtool missing (scripts/promtool.sh installs it)";
        }
    }
    std::string tool_;
};

TEST_F(PackagingTest, AlertingRulesParse) {
    const auto out = run_shell(tool_ + " check rules " + kPackaging + "/prometheus/kea-ha-controller.rules.yml");
    EXPECT_EQ(out.status, 0) << out.output;
    EXPECT_NE(out.output.find("SUCCESS: 14 rules found"), std::string::npos) << out.output;
}

TEST_F(PackagingTest, AlertingRulesFireWhenTheyShould) {
    // Impaired after 5 min not before, Down, Unreachable, clock skew, terminated, drift,
    // poll errors, a failed replication, the controller absent: each with its labels and text.
    const auto out = run_shell("cd " + kPackaging + "/prometheus && " + tool_ + " test rules kea-ha-controller.rules.test.yml");
    EXPECT_EQ(out.status, 0) << out.output;
    EXPECT_NE(out.output.find("SUCCESS"), std::string::npos) << out.output;
}

TEST_F(PackagingTest, EveryDashboardQueryIsValidPromql) {
    std::ifstream in(kPackaging + "/grafana/kea-ha-controller.json");
    ASSERT_TRUE(in) << "no dashboard";
    const auto dashboard = nlohmann::json::parse(in);
    EXPECT_EQ(dashboard["uid"], "kea-ha-controller");
    // Each panel's queries become recording rules: promtool then parses every expression.
    std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
    int queries = 0;
    for (const auto& panel : dashboard["panels"]) {
        ASSERT_TRUE(panel.contains("targets")) << panel.dump();
        for (const auto& target : panel["targets"]) {
            std::string expr = target.at("expr").get<std::string>();
            expr = std::regex_replace(expr, std::regex(R"(\$(cluster|job|instance))"), ".*");  // the template variables
            ASSERT_EQ(expr.find('$'), std::string::npos) << "an unknown variable in: " << expr;
            rules += "      - record: kea_ha_dashboard:query_" + std::to_string(++queries) + "\n        expr: " +
                     nlohmann::json(expr).dump() + "\n";
        }
    }
    EXPECT_GE(queries, 10);
    const auto dir = kea_ha::testing::make_temp_directory("packaging-test");
    const auto file = dir + "/dashboard.rules.yml";
    std::ofstream(file) << rules;
    const auto out = run_shell(tool_ + " check rules " + file);
    EXPECT_EQ(out.status, 0) << out.output << "\n" << rules;
    std::filesystem::remove_all(dir);
}

// issue 31 point 5: the dashboard as a Grafana user imports it, by hand or by file
// provisioning (which does not fill `__inputs`), with several controllers in one Prometheus.
TEST(DashboardTest, WorksAsImportedOrProvisionedWithSeveralControllers) {
    std::ifstream in(kPackaging + "/grafana/kea-ha-controller.json");
    ASSERT_TRUE(in) << "no dashboard";
    const auto dashboard = nlohmann::json::parse(in);
    const std::string text = dashboard.dump();
    EXPECT_FALSE(dashboard.contains("__inputs")) << "file provisioning leaves ${DS_…} unresolved";
    EXPECT_EQ(text.find("${DS_"), std::string::npos);
    std::map<std::string, nlohmann::json> variables;
    for (const auto& variable : dashboard["templating"]["list"]) variables[variable["name"]] = variable;
    ASSERT_TRUE(variables.count("datasource"));
    EXPECT_EQ(variables["datasource"]["type"], "datasource");
    EXPECT_EQ(variables["datasource"]["query"], "prometheus");
    for (const char* name : {"job", "instance", "cluster"}) {
        ASSERT_TRUE(variables.count(name)) << name;
        EXPECT_EQ(variables[name]["datasource"]["uid"], "${datasource}") << name;
    }
    const std::regex selector(R"re((kea_ha_[a-z_]+)(\{[^}]*\})?)re");
    for (const auto& panel : dashboard["panels"]) {
        SCOPED_TRACE(panel.value("title", ""));
        EXPECT_EQ(panel["datasource"]["uid"], "${datasource}");
        for (const auto& target : panel["targets"]) {
            EXPECT_EQ(target["datasource"]["uid"], "${datasource}");
            const std::string expr = target["expr"];
            for (std::sregex_iterator it(expr.begin(), expr.end(), selector), end; it != end; ++it) {
                const std::string matchers = (*it)[2];
                EXPECT_NE(matchers.find(R"(job=~"$job")"), std::string::npos) << expr;
                EXPECT_NE(matchers.find(R"(instance=~"$instance")"), std::string::npos) << expr;
            }
            if (panel["type"] == "table") {
                // A range query in a table shows one row per sample time: instant, table format.
                EXPECT_EQ(target.value("instant", false), true) << expr;
                EXPECT_EQ(target.value("format", ""), "table") << expr;
            }
        }
    }
}

// The suggested inhibitions as an operator pastes them into alertmanager.yml: Debian's amtool
// (scripts/promtool.sh puts it beside promtool) accepts the result.
TEST_F(PackagingTest, InhibitionsAreAValidAlertmanagerConfig) {
    const auto amtool = std::filesystem::path(tool_).parent_path() / "amtool";
    if (!std::filesystem::exists(amtool)) {
        if (std::getenv("CI")) FAIL() << "amtool missing: run scripts/promtool.sh";
        GTEST_SKIP() << "amtool missing (scripts/promtool.sh installs it)";
    }
    std::ifstream inhibit_in(kPackaging + "/prometheus/alertmanager-inhibit.yml");
    ASSERT_TRUE(inhibit_in);
    const std::string inhibit((std::istreambuf_iterator<char>(inhibit_in)), std::istreambuf_iterator<char>());
    const auto config = std::filesystem::temp_directory_path() / ("kea-ha-alertmanager-" + std::to_string(::getpid()) + ".yml");
    std::ofstream(config) << "route:\n  receiver: noc\nreceivers:\n  - name: noc\n" << inhibit;
    const auto out = run_shell(amtool.string() + " check-config " + config.string());
    std::filesystem::remove(config);
    EXPECT_EQ(out.status, 0) << out.output;
    EXPECT_NE(out.output.find("SUCCESS"), std::string::npos) << out.output;
    EXPECT_NE(out.output.find(" - 2 inhibit rules"), std::string::npos) << out.output;
}

// The suggested Alertmanager inhibitions name only alerts of the rules file.
TEST(DashboardTest, InhibitionsNameOnlyAlertsOfTheRules) {
    std::ifstream rules_in(kPackaging + "/prometheus/kea-ha-controller.rules.yml");
    std::ifstream inhibit_in(kPackaging + "/prometheus/alertmanager-inhibit.yml");
    ASSERT_TRUE(rules_in && inhibit_in);
    const std::string rules((std::istreambuf_iterator<char>(rules_in)), std::istreambuf_iterator<char>());
    const std::string inhibit((std::istreambuf_iterator<char>(inhibit_in)), std::istreambuf_iterator<char>());
    const std::regex alert(R"re(KeaHa[A-Za-z]+)re");
    int names = 0;
    for (std::sregex_iterator it(inhibit.begin(), inhibit.end(), alert), end; it != end; ++it) {
        ++names;
        EXPECT_NE(rules.find("- alert: " + it->str() + "\n"), std::string::npos)
            << "alertmanager-inhibit.yml names " << it->str() << ", the rules have no such alert";
    }
    EXPECT_GE(names, 6);
}

}  // namespace
