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

}  // namespace
