// core/redaction: what a `read` API client may not see (issue 32 point 5).
#include <gtest/gtest.h>

#include "kea_ha/core/redaction.hpp"

namespace {

using namespace kea_ha::core;

TEST(Redaction, SecretMemberNames) {
    for (const char* name : {"password", "Password", "basic-auth-password", "password-file", "secret", "secret-file",
                             "client-secret", "token", "api_token", "key", "tsig-key", "private_key"}) {
        EXPECT_TRUE(names_a_secret(name)) << name;
    }
    for (const char* name : {"name", "user", "key-file", "cert-file", "keys", "monkey-business", "algorithm", "host"}) {
        EXPECT_FALSE(names_a_secret(name)) << name;
    }
}

TEST(Redaction, EverySecretValueAtAnyDepthWhateverItsType) {
    auto config = nlohmann::json::parse(R"({"Dhcp4": {
        "lease-database": {"type": "mysql", "user": "kea", "password": "db-pass"},
        "hosts-databases": [{"type": "postgresql", "password": "pg-pass"}],
        "control-socket": {"authentication": {"clients": [{"user": "admin", "password": "ca-pass"}]}},
        "hooks-libraries": [{"library": "libdhcp_ha.so", "parameters": {"high-availability": [{"peers": [
            {"name": "server1", "basic-auth-password": "ha-pass", "basic-auth-user": "ha"}]}]}}],
        "tsig-keys": [{"name": "k1", "algorithm": "HMAC-SHA256", "secret": {"nested": "still-secret"}}],
        "valid-lifetime": 4000}})");
    EXPECT_EQ(redact_secrets(config), 5u);
    const auto text = config.dump();
    for (const char* secret : {"db-pass", "pg-pass", "ca-pass", "ha-pass", "still-secret"}) {
        EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
    }
    EXPECT_EQ(config["Dhcp4"]["lease-database"]["user"], "kea");
    EXPECT_EQ(config["Dhcp4"]["tsig-keys"][0]["secret"], "<redacted>");
    EXPECT_EQ(config["Dhcp4"]["valid-lifetime"], 4000);
    EXPECT_EQ(redact_secrets(config), 0u) << "redacting twice changes nothing";

    nlohmann::json deep = {{"password", "x"}};
    for (int i = 0; i < 100000; ++i) {
        auto outer = nlohmann::json::array();
        outer.push_back(std::move(deep));
        deep = std::move(outer);
    }
    EXPECT_EQ(redact_secrets(deep), 1u) << "no recursion: a deep document does not overflow the stack";
}

TEST(Redaction, JsonPatchOperationsWhosePathNamesASecret) {
    auto patch = nlohmann::json::parse(R"([
        {"op": "replace", "path": "/Dhcp4/lease-database/password", "value": "new-db-pass"},
        {"op": "add", "path": "/Dhcp4/tsig-keys/0", "value": {"name": "k", "secret": "tsig"}},
        {"op": "add", "path": "/Dhcp4/hooks-libraries/0/parameters/basic-auth~1password", "value": "escaped"},
        {"op": "replace", "path": "/Dhcp4/valid-lifetime", "value": 7200}])");
    EXPECT_EQ(redact_secrets(patch), 3u);
    const auto text = patch.dump();
    for (const char* secret : {"new-db-pass", "tsig\"", "escaped"}) EXPECT_EQ(text.find(secret), std::string::npos) << text;
    EXPECT_EQ(patch[0]["value"], "<redacted>");
    EXPECT_EQ(patch[1]["value"]["secret"], "<redacted>");
    EXPECT_EQ(patch[1]["value"]["name"], "k");
    EXPECT_EQ(patch[3]["value"], 7200);
}

// A stand-in for the daemon's SHA-256: the tests check the sealing, not the hash.
std::string fake_digest(std::string_view salt, std::string_view value) {
    return std::to_string(std::hash<std::string>{}(std::string(salt) + '|' + std::string(value)));
}

nlohmann::json config_with_secrets() {
    return nlohmann::json::parse(R"({"Dhcp4": {
        "lease-database": {"type": "postgresql", "user": "kea", "password": "db-pass"},
        "tsig-keys": [{"name": "k/1", "secret": "tsig"}],
        "hooks-libraries": [{"library": "libdhcp_ha.so", "parameters": {"high-availability": [{"peers": [
            {"name": "server2", "basic-auth-password": "ha-pass", "url": "http://127.0.0.1:8001/"}]}]}}],
        "valid-lifetime": 4000}})");
}

TEST(Redaction, SealedConfigHoldsNoSecretInClear_RollbackRestoresEachFromTheCurrentConfig) {
    auto kept = config_with_secrets();
    EXPECT_EQ(seal_secrets(kept, "salt1", fake_digest), 3u);
    const auto text = kept.dump();
    for (const char* secret : {"db-pass", "tsig\"", "ha-pass"}) EXPECT_EQ(text.find(secret), std::string::npos) << text;
    EXPECT_TRUE(kept["Dhcp4"]["lease-database"]["password"].get<std::string>().starts_with("<sealed:sha256:salt1:"));
    EXPECT_EQ(kept["Dhcp4"]["valid-lifetime"], 4000);
    EXPECT_EQ(seal_secrets(kept, "salt2", fake_digest), 0u) << "sealing twice changes nothing";

    // The SoT now: another lifetime, the same secrets. The rollback gets the old lifetime, the secrets back.
    auto current = config_with_secrets();
    current["Dhcp4"]["valid-lifetime"] = 7200;
    auto restored = kept;
    auto count = unseal_secrets(restored, current, fake_digest);
    ASSERT_TRUE(count) << count.error().describe();
    EXPECT_EQ(*count, 3u);
    EXPECT_EQ(restored, config_with_secrets());
}

TEST(Redaction, UnsealRefusesASecretThatChangedOrIsGone_NamingWhere) {
    auto kept = config_with_secrets();
    seal_secrets(kept, "s", fake_digest);
    auto changed = config_with_secrets();
    changed["Dhcp4"]["tsig-keys"][0]["secret"] = "rotated";
    auto attempt = kept;
    auto result = unseal_secrets(attempt, changed, fake_digest);
    ASSERT_FALSE(result);
    EXPECT_EQ(ErrorKind::Conflict, result.error().kind);
    EXPECT_NE(result.error().message.find("/Dhcp4/tsig-keys/0/secret"), std::string::npos) << result.error().message;
    EXPECT_NE(result.error().message.find("differs"), std::string::npos) << result.error().message;

    auto gone = config_with_secrets();
    gone["Dhcp4"].erase("lease-database");
    attempt = kept;
    result = unseal_secrets(attempt, gone, fake_digest);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("/Dhcp4/lease-database/password"), std::string::npos)
        << result.error().message;
}

TEST(Redaction, UnsealLeavesAConfigKeptInClearByAnEarlierVersionAsItIs) {
    auto kept = config_with_secrets();
    auto result = unseal_secrets(kept, nlohmann::json::object(), fake_digest);
    ASSERT_TRUE(result);
    EXPECT_EQ(*result, 0u);
    EXPECT_EQ(kept, config_with_secrets());
}

}  // namespace
