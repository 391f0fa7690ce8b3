// parse_preferences() (SPEC §3): defaults, every key, every error with FILE:LINE: KEY, warnings
// for unknown keys with a suggestion, cross-key rules, and the shipped config/preferences.cfg.

#include "kea_ha/core/preferences.hpp"
#include "kea_ha/core/api_tokens.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace kea_ha::core {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFile = "prefs.cfg";

/// A file whose line 1 is <preferences> and whose next lines are `body`.
std::string file_with(const std::string& body) { return "<preferences>\n" + body + "\n</preferences>\n"; }

Result<ParsedPreferences> parse(const std::string& body) { return parse_preferences(file_with(body), kFile); }

TEST(Preferences, EmptyFile_GivesSpecDefaults) {
    const auto parsed = parse_preferences("<preferences/>", kFile);
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_TRUE(parsed->warnings.empty());
    const Preferences& p = parsed->preferences;
    EXPECT_TRUE(p.replicate_config);
    EXPECT_EQ("127.0.0.1", p.control_agent_host);
    EXPECT_EQ(8000, p.control_agent_port);
    EXPECT_EQ(2000ms, p.poll_interval);
    EXPECT_EQ(5000ms, p.request_timeout);
    EXPECT_EQ(60000ms, p.config_timeout);
    EXPECT_EQ(900000ms, p.config_sync_interval);
    EXPECT_FALSE(p.propagate_external_changes);
    // Every per-server key of docs/replication.md's table (replication_keys_test checks the list).
    EXPECT_EQ(core::per_server_keys(), p.peer_local_parameters);
    EXPECT_EQ(30000ms, p.clock_skew_warning);
    EXPECT_FALSE(p.auth_user);
    EXPECT_FALSE(p.auth_password_file);
    EXPECT_FALSE(p.tls_ca_file);
    EXPECT_FALSE(p.tls_cert_file);
    EXPECT_FALSE(p.tls_key_file);
    EXPECT_TRUE(p.tls_verify);
    EXPECT_EQ(256ull * 1024 * 1024, p.max_response_size);
    EXPECT_EQ("127.0.0.1:8067", p.api_listen);
    EXPECT_FALSE(p.api_token_file);
    EXPECT_FALSE(p.api_tls_cert_file);
    EXPECT_FALSE(p.api_tls_key_file);
    EXPECT_EQ("/var/lib/kea-ha-controller", p.state_directory);
    EXPECT_EQ(LogLevel::Info, p.log_level);
    EXPECT_FALSE(p.log_file);
    EXPECT_EQ(10ull * 1024 * 1024, p.log_max_size);
    EXPECT_EQ(5u, p.log_max_files);
    EXPECT_TRUE(p.servers.empty());
}

TEST(Preferences, EveryKeySet_ParsesToTheGivenValues) {
    const auto parsed = parse_preferences(R"(<?xml version="1.0"?>
<preferences>
  <!-- a comment is fine -->
  <keaReplicateConfig value="0"/>
  <keaControlAgentHost value="ca.example.net"/>
  <keaControlAgentPort value="8080"/>
  <keaPollInterval value="0.5"/>
  <keaRequestTimeout value="2.25"/>
  <keaConfigTimeout value="120"/>
  <keaConfigSyncInterval value="60"/>
  <keaPropagateExternalChanges value="1"/>
  <keaPeerLocalParameters value=" loggers ,interfaces-config,, "/>
  <keaClockSkewWarning value="10"/>
  <keaAuthUser value="admin"/>
  <keaAuthPasswordFile value="/etc/k/pw"/>
  <keaTlsCaFile value="/etc/k/ca.pem"/>
  <keaTlsCertFile value="/etc/k/c.pem"/>
  <keaTlsKeyFile value="/etc/k/c.key"/>
  <keaTlsVerify value="0"/>
  <keaMaxResponseSize value="16"/>
  <apiListen value="[2001:db8::1]:9000"/>
  <apiTokenFile value="/etc/k/token"/>
  <apiTlsCertFile value="/etc/k/api.pem"/>
  <apiTlsKeyFile value="/etc/k/api.key"/>
  <stateDirectory value="/srv/state"/>
  <logLevel value="debug"/>
  <logFile value="/var/log/k.log"/>
  <logMaxSize value="100"/>
  <logMaxFiles value="7"/>
  <keaServer name="dhcp-a" url="http://192.0.2.10:8000/"/>
  <keaServer name="dhcp_b.6" url="https://192.0.2.20:8000/" service="dhcp6"/>
</preferences>
)",
                                          kFile);
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_TRUE(parsed->warnings.empty());
    const Preferences& p = parsed->preferences;
    EXPECT_FALSE(p.replicate_config);
    EXPECT_EQ("ca.example.net", p.control_agent_host);
    EXPECT_EQ(8080, p.control_agent_port);
    EXPECT_EQ(500ms, p.poll_interval);
    EXPECT_EQ(2250ms, p.request_timeout);
    EXPECT_EQ(120s, p.config_timeout);
    EXPECT_EQ(60s, p.config_sync_interval);
    EXPECT_TRUE(p.propagate_external_changes);
    EXPECT_EQ((std::vector<std::string>{"loggers", "interfaces-config"}), p.peer_local_parameters);
    EXPECT_EQ(10s, p.clock_skew_warning);
    EXPECT_EQ("admin", p.auth_user.value_or(""));
    EXPECT_EQ("/etc/k/pw", p.auth_password_file.value_or(""));
    EXPECT_EQ("/etc/k/ca.pem", p.tls_ca_file.value_or(""));
    EXPECT_EQ("/etc/k/c.pem", p.tls_cert_file.value_or(""));
    EXPECT_EQ("/etc/k/c.key", p.tls_key_file.value_or(""));
    EXPECT_FALSE(p.tls_verify);
    EXPECT_EQ(16ull << 20, p.max_response_size);
    EXPECT_EQ("[2001:db8::1]:9000", p.api_listen);
    EXPECT_EQ("/etc/k/token", p.api_token_file.value_or(""));
    EXPECT_EQ("/etc/k/api.pem", p.api_tls_cert_file.value_or(""));
    EXPECT_EQ("/etc/k/api.key", p.api_tls_key_file.value_or(""));
    EXPECT_EQ("/srv/state", p.state_directory);
    EXPECT_EQ(LogLevel::Debug, p.log_level);
    EXPECT_EQ("/var/log/k.log", p.log_file.value_or(""));
    EXPECT_EQ(100ull << 20, p.log_max_size);
    EXPECT_EQ(7u, p.log_max_files);
    ASSERT_EQ(2u, p.servers.size());
    EXPECT_EQ("dhcp-a", p.servers[0].name);
    EXPECT_EQ("http://192.0.2.10:8000/", p.servers[0].url);
    EXPECT_EQ("dhcp4", p.servers[0].service);
    EXPECT_EQ(30, p.servers[0].line);
    EXPECT_EQ("dhcp_b.6", p.servers[1].name);
    EXPECT_EQ("dhcp6", p.servers[1].service);
    EXPECT_EQ(31, p.servers[1].line);
}

TEST(Preferences, EmptyPeerLocalParameters_MeansNone) {
    const auto parsed = parse(R"(<keaPeerLocalParameters value=""/>)");
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_TRUE(parsed->preferences.peer_local_parameters.empty());
}

struct ValueRow {
    std::string key;
    std::string value;
    std::function<bool(const Preferences&)> check;
};

TEST(Preferences, AcceptedValues_AreConverted) {
    const ValueRow rows[] = {
        {"keaPollInterval", "0.5", [](const Preferences& p) { return p.poll_interval == 500ms; }},
        {"keaPollInterval", "0.1", [](const Preferences& p) { return p.poll_interval == 100ms; }},
        {"keaPollInterval", " 3 ", [](const Preferences& p) { return p.poll_interval == 3s; }},
        {"keaPollInterval", ".25", [](const Preferences& p) { return p.poll_interval == 250ms; }},
        {"keaRequestTimeout", "300", [](const Preferences& p) { return p.request_timeout == 300s; }},
        {"keaConfigSyncInterval", "10", [](const Preferences& p) { return p.config_sync_interval == 10s; }},
        {"keaReplicateConfig", "false", [](const Preferences& p) { return !p.replicate_config; }},
        {"keaReplicateConfig", "yes", [](const Preferences& p) { return p.replicate_config; }},
        {"keaControlAgentPort", "65535", [](const Preferences& p) { return p.control_agent_port == 65535; }},
        {"keaMaxResponseSize", "4096", [](const Preferences& p) { return p.max_response_size == 4096ull << 20; }},
        {"logLevel", "trace", [](const Preferences& p) { return p.log_level == LogLevel::Trace; }},
        {"logLevel", "WARN", [](const Preferences& p) { return p.log_level == LogLevel::Warn; }},
        {"logLevel", "error", [](const Preferences& p) { return p.log_level == LogLevel::Error; }},
        {"apiListen", "localhost:0", [](const Preferences& p) { return p.api_listen == "localhost:0"; }},
        {"apiListen", "127.3.4.5:8067", [](const Preferences& p) { return p.api_listen == "127.3.4.5:8067"; }},
        {"apiListen", "[::1]:8067", [](const Preferences& p) { return p.api_listen == "[::1]:8067"; }},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.key + "=" + row.value);
        const auto parsed = parse("<" + row.key + " value=\"" + row.value + "\"/>");
        ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
        EXPECT_TRUE(row.check(parsed->preferences));
    }
}

struct ErrorRow {
    std::string body;          ///< lines after "<preferences>" (line 1)
    std::string expected;      ///< a substring of the message
};

TEST(Preferences, BadValues_NameFileLineAndKey) {
    const ErrorRow rows[] = {
        // Wrong type.
        {R"(<keaReplicateConfig value="maybe"/>)", R"(prefs.cfg:2: keaReplicateConfig must be 0 or 1 (got "maybe"))"},
        {R"(<keaTlsVerify value="2"/>)", R"(prefs.cfg:2: keaTlsVerify must be 0 or 1 (got "2"))"},
        {"\n<keaPollInterval value=\"fast\"/>", R"(prefs.cfg:3: keaPollInterval must be a number of seconds (got "fast"))"},
        {R"(<keaPollInterval value="1e3"/>)", "prefs.cfg:2: keaPollInterval must be a number of seconds"},
        {R"(<keaControlAgentPort value="80a"/>)", R"(prefs.cfg:2: keaControlAgentPort must be a whole number (got "80a"))"},
        {R"(<logMaxFiles value="1.5"/>)", "prefs.cfg:2: logMaxFiles must be a whole number"},
        {R"(<logLevel value="verbose"/>)", R"(prefs.cfg:2: logLevel must be one of trace, debug, info, warn, error (got "verbose"))"},
        // Out of range.
        {R"(<keaPollInterval value="-3"/>)", "prefs.cfg:2: keaPollInterval must be > 0 (got -3)"},
        {R"(<keaPollInterval value="0"/>)", "prefs.cfg:2: keaPollInterval must be > 0 (got 0)"},
        {R"(<keaPollInterval value="0.05"/>)", "prefs.cfg:2: keaPollInterval must be >= 0.1 (got 0.05)"},
        {R"(<keaPollInterval value="3601"/>)", "prefs.cfg:2: keaPollInterval must be <= 3600 (got 3601)"},
        {R"(<keaRequestTimeout value="301"/>)", "prefs.cfg:2: keaRequestTimeout must be <= 300 (got 301)"},
        {R"(<keaConfigTimeout value="0"/>)", "prefs.cfg:2: keaConfigTimeout must be > 0 (got 0)"},
        {R"(<keaConfigTimeout value="3601"/>)", "prefs.cfg:2: keaConfigTimeout must be <= 3600"},
        {R"(<keaConfigSyncInterval value="0"/>)", "prefs.cfg:2: keaConfigSyncInterval must be > 0 (got 0)"},
        {R"(<keaConfigSyncInterval value="9"/>)", "prefs.cfg:2: keaConfigSyncInterval must be >= 10 (got 9)"},
        {R"(<keaConfigSyncInterval value="86401"/>)", "prefs.cfg:2: keaConfigSyncInterval must be <= 86400"},
        {R"(<keaClockSkewWarning value="-1"/>)", "prefs.cfg:2: keaClockSkewWarning must be > 0 (got -1)"},
        {R"(<keaClockSkewWarning value="3601"/>)", "prefs.cfg:2: keaClockSkewWarning must be <= 3600"},
        {R"(<keaControlAgentPort value="0"/>)", "prefs.cfg:2: keaControlAgentPort must be between 1 and 65535 (got 0)"},
        {R"(<keaControlAgentPort value="65536"/>)", "prefs.cfg:2: keaControlAgentPort must be between 1 and 65535 (got 65536)"},
        {R"(<keaControlAgentPort value="99999999999999999999999"/>)", "prefs.cfg:2: keaControlAgentPort must be between 1 and 65535"},
        {R"(<keaMaxResponseSize value="0"/>)", "prefs.cfg:2: keaMaxResponseSize must be between 1 and 4096 (got 0)"},
        {R"(<keaMaxResponseSize value="4097"/>)", "prefs.cfg:2: keaMaxResponseSize must be between 1 and 4096"},
        {R"(<logMaxSize value="10241"/>)", "prefs.cfg:2: logMaxSize must be between 1 and 10240"},
        {R"(<logMaxFiles value="-3"/>)", "prefs.cfg:2: logMaxFiles must be between 1 and 1000 (got -3)"},
        {R"(<logMaxFiles value="1001"/>)", "prefs.cfg:2: logMaxFiles must be between 1 and 1000"},
        // Empty strings.
        {R"(<stateDirectory value=""/>)", "prefs.cfg:2: stateDirectory must not be empty"},
        {R"(<keaControlAgentHost value=" "/>)", "prefs.cfg:2: keaControlAgentHost must not be empty"},
        {R"(<logFile value=""/>)", "prefs.cfg:2: logFile must not be empty"},
        // Shape.
        {R"(<keaPollInterval/>)", "prefs.cfg:2: keaPollInterval has no value attribute"},
        {R"(<keaPollInterval value="1"/>)" "\n" R"(<keaPollInterval value="2"/>)",
         "prefs.cfg:3: keaPollInterval given twice (first at line 2)"},
        // apiListen.
        {R"(<apiListen value="8067"/>)", R"(prefs.cfg:2: apiListen must be HOST:PORT or [IPV6]:PORT (got "8067"))"},
        {R"(<apiListen value="127.0.0.1:"/>)", "prefs.cfg:2: apiListen must be HOST:PORT"},
        {R"(<apiListen value=":8067"/>)", "prefs.cfg:2: apiListen must be HOST:PORT"},
        {R"(<apiListen value="127.0.0.1:http"/>)", "prefs.cfg:2: apiListen must be HOST:PORT"},
        {R"(<apiListen value="127.0.0.1:65536"/>)", "prefs.cfg:2: apiListen port must be between 0 and 65535"},
        {R"(<apiListen value="::1:8067"/>)", "prefs.cfg:2: apiListen needs brackets around an IPv6 address"},
        {R"(<apiListen value="[::1:8067"/>)", "prefs.cfg:2: apiListen must be HOST:PORT"},
        {R"(<apiListen value="[nothost]:8067"/>)", "prefs.cfg:2: apiListen has an invalid IPv6 address"},
        // keaServer.
        {R"(<keaServer url="http://a:8000/"/>)", "prefs.cfg:2: keaServer needs a name attribute"},
        {R"(<keaServer name="" url="http://a:8000/"/>)", "prefs.cfg:2: keaServer name must be 1 to 64 characters"},
        {R"(<keaServer name="a b" url="http://a:8000/"/>)", R"(prefs.cfg:2: keaServer name must be 1 to 64 characters of A-Z a-z 0-9 . _ - (got "a b"))"},
        // The API's limit too: a declared name the API could not have registered is refused.
        {"<keaServer name=\"" + std::string(65, 'a') + "\" url=\"http://a:8000/\"/>", "prefs.cfg:2: keaServer name must be 1 to 64 characters"},
        {R"(<keaServer name="a"/>)", "prefs.cfg:2: keaServer 'a' needs a url attribute"},
        {R"(<keaServer name="a" url="ftp://a/"/>)", R"(prefs.cfg:2: keaServer 'a' url must start with http:// or https:// (got "ftp://a/"))"},
        {R"(<keaServer name="a" url="http://"/>)", "prefs.cfg:2: keaServer 'a' url must start with http:// or https://"},
        {R"(<keaServer name="a" url="http://a:8000/" service="dhcp5"/>)", R"(prefs.cfg:2: keaServer 'a' service must be dhcp4 or dhcp6 (got "dhcp5"))"},
        {R"(<keaServer name="a" url="http://a:8000/"/>)" "\n" R"(<keaServer name="a" url="http://b:8000/"/>)",
         "prefs.cfg:3: keaServer 'a' declared twice (first at line 2)"},
        // Cross-key rules.
        {R"(<apiListen value="0.0.0.0:8067"/>)", "prefs.cfg:2: apiListen 0.0.0.0:8067 is not a loopback address; apiTokenFile is required (or apiTokensFile)"},
        {R"(<apiListen value="[::]:8067"/>)", "prefs.cfg:2: apiListen [::]:8067 is not a loopback address"},
        {R"(<apiListen value="api.example.net:8067"/>)", "prefs.cfg:2: apiListen api.example.net:8067 is not a loopback address"},
        {R"(<keaTlsCertFile value="/c.pem"/>)", "prefs.cfg:2: keaTlsCertFile is set but keaTlsKeyFile is not"},
        {R"(<keaTlsKeyFile value="/c.key"/>)", "prefs.cfg:2: keaTlsKeyFile is set but keaTlsCertFile is not"},
        {R"(<apiTlsCertFile value="/a.pem"/>)", "prefs.cfg:2: apiTlsCertFile is set but apiTlsKeyFile is not"},
        {"\n" R"(<apiTlsKeyFile value="/a.key"/>)", "prefs.cfg:3: apiTlsKeyFile is set but apiTlsCertFile is not"},
        {R"(<keaAuthUser value="admin"/>)", "prefs.cfg:2: keaAuthUser is set but keaAuthPasswordFile is not"},
        {R"(<keaAuthPasswordFile value="/pw"/>)", "prefs.cfg:2: keaAuthPasswordFile is set but keaAuthUser is not"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.body);
        const auto parsed = parse(row.body);
        ASSERT_FALSE(parsed.ok());
        EXPECT_EQ(ErrorKind::Invalid, parsed.error().kind);
        EXPECT_NE(std::string::npos, parsed.error().describe().find(row.expected)) << parsed.error().describe();
    }
}

TEST(Preferences, ExactErrorText) {
    const auto parsed = parse(R"(<keaPollInterval value="-3"/>)");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ("prefs.cfg:2: keaPollInterval must be > 0 (got -3)", parsed.error().describe());
    EXPECT_EQ("prefs.cfg:2: keaPollInterval must be > 0 (got -3)", parsed.error().message);
}

TEST(Preferences, NonLoopbackApiWithToken_IsAccepted) {
    const auto parsed = parse(R"(<apiListen value="0.0.0.0:8067"/>)" "\n" R"(<apiTokenFile value="/t"/>)");
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ("0.0.0.0:8067", parsed->preferences.api_listen);
}

TEST(Preferences, MalformedXml_NamesFileAndLine) {
    const auto parsed = parse_preferences("<preferences>\n  <keaPollInterval value=\"1\"/>\n  <logLevel value=\"info\"\n</preferences>\n", kFile);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(ErrorKind::Invalid, parsed.error().kind);
    const auto message = parsed.error().describe();
    EXPECT_EQ(0u, message.rfind("prefs.cfg:", 0)) << message;
    EXPECT_NE(std::string::npos, message.find("malformed XML: ")) << message;
    // The error is on line 3 or 4 depending on where pugixml notices it.
    EXPECT_TRUE(message.find("prefs.cfg:3:") == 0 || message.find("prefs.cfg:4:") == 0) << message;

    const auto unclosed = parse_preferences("<preferences>\n\n\n<keaPollInterval value=\"1\">\n", kFile);
    ASSERT_FALSE(unclosed.ok());
    EXPECT_NE(std::string::npos, unclosed.error().describe().find("malformed XML")) << unclosed.error().describe();

    const auto empty = parse_preferences("", kFile);
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(0u, empty.error().describe().rfind("prefs.cfg:1: malformed XML: ", 0)) << empty.error().describe();
}

TEST(Preferences, WrongRoot_IsAnError) {
    const auto parsed = parse_preferences("<?xml version=\"1.0\"?>\n<settings>\n</settings>\n", kFile);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ("prefs.cfg:2: the root element must be <preferences> (got <settings>)", parsed.error().describe());
}

TEST(Preferences, UnknownKey_WarnsWithTheClosestKey) {
    struct Row {
        std::string key;
        std::string suggestion;  ///< empty: none expected
    };
    const Row rows[] = {
        {"keaPolInterval", "keaPollInterval"},
        {"keapollinterval", "keaPollInterval"},
        {"KeaReplicateConfig", "keaReplicateConfig"},
        {"logmaxfile", "logMaxFiles"},
        {"apiListn", "apiListen"},
        {"keaServers", "keaServer"},
        {"frobnicate", ""},
        {"x", ""},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.key);
        const auto parsed = parse("\n<" + row.key + " value=\"1\"/>");
        ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
        ASSERT_EQ(1u, parsed->warnings.size());
        const auto& warning = parsed->warnings.front();
        EXPECT_EQ(3, warning.line);
        EXPECT_EQ(row.key, warning.key);
        std::string expected = "prefs.cfg:3: unknown key '" + row.key + "' ignored";
        if (!row.suggestion.empty()) expected += " (did you mean '" + row.suggestion + "'?)";
        EXPECT_EQ(expected, warning.message);
    }
}

TEST(Preferences, UnknownKey_DoesNotCountAsDuplicate) {
    const auto parsed = parse(R"(<bogus value="1"/>)" "\n" R"(<bogus value="2"/>)");
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(2u, parsed->warnings.size());
}

TEST(Preferences, KnownKeys_CoverSpecSection3) {
    const char* spec_keys[] = {
        "keaReplicateConfig", "keaControlAgentHost", "keaControlAgentPort", "keaPollInterval",
        "keaRequestTimeout", "keaConfigTimeout", "keaConfigSyncInterval", "keaPropagateExternalChanges",
        "keaPeerLocalParameters", "keaClockSkewWarning", "keaAuthUser", "keaAuthPasswordFile",
        "keaTlsCaFile", "keaTlsCertFile", "keaTlsKeyFile", "keaTlsVerify", "keaAllowBasicAuthOverHttp" /* issue 32 */, "keaAllowedHosts" /* issue 32 */,
        "secretsDirectory" /* issue 32 */, "keaMaxResponseSize", "keaHistoryDepth" /* issue 14 */,
        "apiListen", "apiAllowedHosts" /* issue 32 */, "apiTokenFile", "apiAllowNoToken" /* issue 32 */, "apiTokensFile" /* issue 14 */, "apiTlsCertFile", "apiTlsKeyFile", "stateDirectory", "logLevel",
        "logFile", "logMaxSize", "logMaxFiles",
    };
    const auto& known = known_preference_keys();
    EXPECT_EQ(std::size(spec_keys), known.size());
    for (const auto* key : spec_keys) {
        EXPECT_NE(known.end(), std::find(known.begin(), known.end(), key)) << key;
    }
}

TEST(Preferences, ApiAllowedHosts_ListOfNamesSuffixesAndNetworks) {
    auto parsed = parse_preferences(
        "<preferences>\n  <apiAllowedHosts value=\"ctl.example.net, *.ops.example.net,192.0.2.0/24\"/>\n</preferences>\n",
        "prefs.cfg");
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    ASSERT_EQ(parsed->preferences.api_allowed_hosts.size(), 3u);
    EXPECT_EQ(parsed->preferences.api_allowed_hosts[1].name, ".ops.example.net");
    auto bad = parse_preferences("<preferences>\n  <apiAllowedHosts value=\"ok.example.net, 10.0.0.0/33\"/>\n</preferences>\n",
                                 "prefs.cfg");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().describe(),
              "prefs.cfg:2: apiAllowedHosts entry '10.0.0.0/33': prefix above 32 (entries: names, *.suffix, addresses, "
              "CIDR networks, comma-separated)");
}

TEST(Preferences, Issue32Keys_DefaultsAndErrors) {
    auto defaults = parse_preferences("<preferences/>", "prefs.cfg");
    ASSERT_TRUE(defaults.ok());
    EXPECT_FALSE(defaults->preferences.api_allow_no_token);
    EXPECT_FALSE(defaults->preferences.allow_basic_auth_over_http);
    EXPECT_FALSE(defaults->preferences.kea_allowed_hosts.has_value());
    EXPECT_EQ(defaults->preferences.secrets_directory, "/etc/kea-ha-controller");
    EXPECT_TRUE(kea_ha::core::api_access_problem(defaults->preferences).has_value()) << "no token: refused";
    auto set = parse_preferences(
        "<preferences>\n  <apiAllowNoToken value=\"1\"/>\n  <keaAllowBasicAuthOverHttp value=\"1\"/>\n"
        "  <keaAllowedHosts value=\"kea1.example.net, 10.0.0.0/8\"/>\n  <secretsDirectory value=\"/srv/secrets\"/>\n"
        "  <keaServer name=\"a\" url=\"http://192.0.2.7:8000/\"/>\n</preferences>\n",
        "prefs.cfg");
    ASSERT_TRUE(set.ok()) << set.error().describe();
    EXPECT_FALSE(kea_ha::core::api_access_problem(set->preferences).has_value());
    EXPECT_TRUE(set->preferences.allow_basic_auth_over_http);
    EXPECT_EQ(set->preferences.secrets_directory, "/srv/secrets");
    EXPECT_EQ(kea_ha::core::kea_credential_hosts(set->preferences).size(), 2u) << "the explicit list only";
    auto derived = parse_preferences(
        "<preferences>\n  <keaServer name=\"a\" url=\"http://192.0.2.7:8000/\"/>\n</preferences>\n", "prefs.cfg");
    ASSERT_TRUE(derived.ok());
    const auto hosts = kea_ha::core::kea_credential_hosts(derived->preferences);
    EXPECT_TRUE(kea_ha::core::host_matches_any(hosts, "192.0.2.7")) << "a declared server's host";
    EXPECT_TRUE(kea_ha::core::host_matches_any(hosts, "127.0.0.1")) << "keaControlAgentHost";
    EXPECT_FALSE(kea_ha::core::host_matches_any(hosts, "127.0.0.2"));
    auto relative = parse_preferences("<preferences>\n  <secretsDirectory value=\"secrets\"/>\n</preferences>\n", "prefs.cfg");
    ASSERT_FALSE(relative.ok());
    EXPECT_EQ(relative.error().describe(), "prefs.cfg:2: secretsDirectory must be an absolute directory (got \"secrets\")");
}

TEST(Preferences, LogLevelNames) {
    EXPECT_EQ("trace", to_string(LogLevel::Trace));
    EXPECT_EQ("debug", to_string(LogLevel::Debug));
    EXPECT_EQ("info", to_string(LogLevel::Info));
    EXPECT_EQ("warn", to_string(LogLevel::Warn));
    EXPECT_EQ("error", to_string(LogLevel::Error));
}

TEST(Preferences, ShippedConfigFile_ParsesWithoutErrorsOrWarnings) {
    const std::string path = std::string(KEA_HA_TEST_DATA) + "/../../config/preferences.cfg";
    std::ifstream file(path, std::ios::binary);
    ASSERT_TRUE(file) << "cannot open " << path;
    std::ostringstream text;
    text << file.rdbuf();
    const auto parsed = parse_preferences(text.str(), path);
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    for (const auto& warning : parsed->warnings) ADD_FAILURE() << warning.message;
    // The shipped file states the defaults.
    const Preferences defaults;
    const Preferences& p = parsed->preferences;
    EXPECT_EQ(defaults.poll_interval, p.poll_interval);
    EXPECT_EQ(defaults.peer_local_parameters, p.peer_local_parameters);
    EXPECT_EQ(defaults.max_response_size, p.max_response_size);
    EXPECT_EQ(defaults.api_listen, p.api_listen);
    EXPECT_EQ("/var/lib/kea-ha-controller", p.state_directory);
    EXPECT_TRUE(p.servers.empty());
}

}  // namespace
}  // namespace kea_ha::core

// --- apiTokensFile (issue 14 item 5) --------------------------------------------------------------

TEST(ApiTokens, NameRoleTokenPerLineCommentsAndBlankLinesSkipped) {
    auto tokens = kea_ha::core::parse_api_tokens(
        "# who may call the API\n\nnoc   read   0123456789abcdef0123\r\nalice\tadmin\tsecret-secret-secret-1\n", "tokens");
    ASSERT_TRUE(tokens) << tokens.error().message;
    ASSERT_EQ(tokens->size(), 2u);
    EXPECT_EQ((*tokens)[0].name, "noc");
    EXPECT_EQ((*tokens)[0].role, kea_ha::core::ApiRole::Read);
    EXPECT_EQ((*tokens)[0].secret, "0123456789abcdef0123");
    EXPECT_EQ((*tokens)[1].name, "alice");
    EXPECT_EQ((*tokens)[1].role, kea_ha::core::ApiRole::Admin);
}

TEST(ApiTokens, MistakesNameTheLineAndNeverTheToken) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"alice admin\n", "tokens:1: expected NAME ROLE TOKEN, found 2 fields"},
        {"alice admin 0123456789abcdef extra\n", "tokens:1: expected NAME ROLE TOKEN, found 4 fields"},
        {"# c\nalice root 0123456789abcdef\n", "tokens:2: role must be read or admin (got 'root')"},
        {"al/ice admin 0123456789abcdef\n", "tokens:1: the client name must be 1 to 64 characters"},
        {"alice admin short\n", "tokens:1: the token of 'alice' is shorter than 16 characters"},
        {"a admin 0123456789abcdef\na read 0123456789abcdeX\n", "tokens:2: the client name 'a' is given twice"},
        {"a admin 0123456789abcdef\nb read 0123456789abcdef\n", "tokens:2: the token of 'b' is another client's too"},
        {"# nobody\n", "tokens: no client"},
    };
    for (const auto& [text, expected] : cases) {
        auto tokens = kea_ha::core::parse_api_tokens(text, "tokens");
        ASSERT_FALSE(tokens) << text;
        EXPECT_EQ(tokens.error().message.rfind(expected, 0), 0u) << text << " -> " << tokens.error().message;
        EXPECT_EQ(tokens.error().message.find("0123456789abcdef"), std::string::npos) << "the token leaked";
    }
}
