// End-to-end (issue 32 point 5): the configs kept for rollback hold no secret in clear, and a
// rollback on real Kea still gives each peer its secrets back, from the source of truth's
// config, or is refused when a secret changed since. Both services, every lab version.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"

namespace {

const std::map<std::string, std::string> kSettings = {
    {"keaPollInterval", "0.5"}, {"keaRequestTimeout", "1"}, {"keaConfigTimeout", "10"}, {"keaHistoryDepth", "5"}};

std::string service_key(const std::string& service) { return service == "dhcp6" ? "Dhcp6" : "Dhcp4"; }

kea_ha::lab::LabOptions lab_options(const std::string& service) {
    kea_ha::lab::LabOptions options;
    options.service = service;
    return options;
}

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class HistorySecretsE2E : public ::testing::TestWithParam<std::string> {
protected:
    HistorySecretsE2E() : p("kea-ha-secrets", kSettings, lab_options(GetParam())) {}

    /// A merge patch of the service's user-context (Kea keeps it as given) and valid-lifetime.
    kea_ha::core::Result<kea_ha::testing::HttpReply> patch(const std::string& vault_password, int lifetime) {
        const nlohmann::json merge = {
            {key, {{"valid-lifetime", lifetime}, {"user-context", {{"vault", {{"password", vault_password}}}}}}}};
        return p.controller->request("PATCH", "/v1/clusters/pair/config", merge.dump(),
                                     {{"Content-Type", "application/merge-patch+json"}});
    }

    kea_ha::core::Result<kea_ha::testing::HttpReply> rollback(int generation) {
        auto current = p.controller->request("GET", "/v1/clusters/pair/config");
        if (!current) return current;
        return p.controller->request("POST", "/v1/clusters/pair/history/" + std::to_string(generation) + "/rollback",
                                     {}, {{"If-Match", current->headers["etag"]}});
    }

    const std::string key = service_key(GetParam());
    kea_ha::testing::LabController p;
};

TEST_P(HistorySecretsE2E, KeptConfigsHoldNoSecretInClear_RollbackRestoresThem_OrRefusesOneChangedSince) {
    ASSERT_TRUE(p.up()) << p.explain();
    auto first = patch("first-vault-secret", 3001);
    ASSERT_TRUE(first && first->status == 200u) << (first ? first->body : "") << p.explain();
    auto second = patch("first-vault-secret", 3002);
    ASSERT_TRUE(second && second->status == 200u) << (second ? second->body : "") << p.explain();

    // On disk and in the history entry: sealed, not in clear.
    const auto kept_file = p.directory + "/state/history/pair/1.json";
    ASSERT_TRUE(std::filesystem::exists(kept_file));
    const auto kept_text = file_text(kept_file);
    EXPECT_EQ(kept_text.find("first-vault-secret"), std::string::npos) << kept_text.substr(0, 2000);
    EXPECT_NE(kept_text.find("<sealed:sha256:"), std::string::npos);
    auto entry = p.controller->get_json("/v1/clusters/pair/history/1");
    ASSERT_TRUE(entry) << entry.error().describe();
    EXPECT_EQ(entry->dump().find("first-vault-secret"), std::string::npos);

    // The rollback gives Kea the secret back, from the source of truth's config now.
    auto rolled = rollback(1);
    ASSERT_TRUE(rolled && rolled->status == 200u) << (rolled ? rolled->body : "") << p.explain();
    for (const std::string peer : {"server1", "server2"}) {
        const auto config = p.kea_config(peer, key);
        EXPECT_EQ(config["valid-lifetime"], 3001) << peer;
        EXPECT_EQ(config["user-context"]["vault"]["password"], "first-vault-secret") << peer;
    }

    // A secret changed since cannot come back from a digest: refused, nothing written.
    auto rotated = patch("rotated-vault-secret", 3003);
    ASSERT_TRUE(rotated && rotated->status == 200u) << (rotated ? rotated->body : "") << p.explain();
    auto refused = rollback(1);
    ASSERT_TRUE(refused) << refused.error().describe();
    EXPECT_EQ(refused->status, 409u) << refused->body;
    EXPECT_NE(refused->body.find("secret-changed"), std::string::npos) << refused->body;
    EXPECT_NE(refused->body.find("/" + key + "/user-context/vault/password"), std::string::npos) << refused->body;
    for (const std::string peer : {"server1", "server2"}) {
        const auto config = p.kea_config(peer, key);
        EXPECT_EQ(config["valid-lifetime"], 3003) << peer;
        EXPECT_EQ(config["user-context"]["vault"]["password"], "rotated-vault-secret") << peer;
    }
}

INSTANTIATE_TEST_SUITE_P(Service, HistorySecretsE2E, ::testing::Values("dhcp4", "dhcp6"),
                         [](const auto& info) { return info.param; });

}  // namespace
