#pragma once
// preferences.cfg (SPEC §3): an XML root whose children are <KEY value="VALUE"/>,
// plus <keaServer name=… url=… service=…/> declarations.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kea_ha/core/config_keys.hpp"
#include "kea_ha/core/host_pattern.hpp"
#include "kea_ha/core/result.hpp"
#include "kea_ha/core/time.hpp"

namespace kea_ha::core {

enum class LogLevel { Trace, Debug, Info, Warn, Error };

/// A server declared in preferences.cfg; cannot be removed through the API.
struct DeclaredServer {
    std::string name;
    std::string url;                ///< the primary's CA URL
    std::string service = "dhcp4";  ///< "dhcp4" or "dhcp6"
    int line = 0;                   ///< where it was declared
};

/// Every setting, with SPEC §3 defaults.
struct Preferences {
    // Micetro's keys.
    bool replicate_config = true;                     ///< keaReplicateConfig
    std::string control_agent_host = "127.0.0.1";     ///< keaControlAgentHost
    std::uint16_t control_agent_port = 8000;          ///< keaControlAgentPort
    // The product's keys.
    Duration poll_interval = std::chrono::seconds(2);          ///< keaPollInterval
    Duration request_timeout = std::chrono::seconds(5);        ///< keaRequestTimeout
    Duration config_timeout = std::chrono::seconds(60);        ///< keaConfigTimeout
    Duration config_sync_interval = std::chrono::seconds(900); ///< keaConfigSyncInterval
    bool propagate_external_changes = false;                   ///< keaPropagateExternalChanges
    /// keaPeerLocalParameters: by default every per-server key of service_config_keys()
    /// (docs/replication.md); kAlwaysPerServer is kept whatever this says.
    std::vector<std::string> peer_local_parameters = per_server_keys();
    Duration clock_skew_warning = std::chrono::seconds(30);    ///< keaClockSkewWarning
    std::optional<std::string> auth_user;                      ///< keaAuthUser
    std::optional<std::string> auth_password_file;             ///< keaAuthPasswordFile
    std::optional<std::string> tls_ca_file;                    ///< keaTlsCaFile
    std::optional<std::string> tls_cert_file;                  ///< keaTlsCertFile
    std::optional<std::string> tls_key_file;                   ///< keaTlsKeyFile
    bool tls_verify = true;                                    ///< keaTlsVerify
    /// keaAllowBasicAuthOverHttp: send Kea credentials over plain http (issue 32: refused
    /// unless set; warned about when set).
    bool allow_basic_auth_over_http = false;
    /// keaAllowedHosts: where Kea credentials (keaAuthUser's) may be sent, and which hosts a
    /// registration may name. Unset: the hosts of the declared keaServer URLs and
    /// keaControlAgentHost (kea_credential_hosts()).
    std::optional<std::vector<HostPattern>> kea_allowed_hosts;
    /// secretsDirectory: every secret file (token, password) is read from below it.
    std::string secrets_directory = "/etc/kea-ha-controller";
    std::uint64_t max_response_size = 256ull << 20;            ///< keaMaxResponseSize (MiB in the file, bytes here)
    std::string api_listen = "127.0.0.1:8067";                 ///< apiListen
    /// apiAllowedHosts: names and addresses (besides apiListen's host and loopback) that a
    /// request's Host header may name (issue 32: DNS rebinding).
    std::vector<HostPattern> api_allowed_hosts;
    std::optional<std::string> api_token_file;                 ///< apiTokenFile
    /// keaHistoryDepth: SoT configs kept for rollback, per cluster (0: none; the list of changes
    /// is kept anyway, up to kHistoryEntries).
    unsigned history_depth = 20;
    std::optional<std::string> api_tokens_file;                ///< apiTokensFile (named tokens with roles)
    /// apiAllowNoToken: the operator's explicit choice to run the API without a token (on a
    /// loopback apiListen only). Without it and without a token file the daemon does not start.
    bool api_allow_no_token = false;
    std::optional<std::string> api_tls_cert_file;              ///< apiTlsCertFile
    std::optional<std::string> api_tls_key_file;               ///< apiTlsKeyFile
    std::string state_directory = "/var/lib/kea-ha-controller";///< stateDirectory
    LogLevel log_level = LogLevel::Info;                       ///< logLevel
    std::optional<std::string> log_file;                       ///< logFile (none: stderr)
    std::uint64_t log_max_size = 10ull << 20;                  ///< logMaxSize (MiB in the file, bytes here)
    unsigned log_max_files = 5;                                ///< logMaxFiles

    std::vector<DeclaredServer> servers;                       ///< <keaServer …/> elements
};

/// A problem that does not stop the file from loading (unknown key, …).
struct PreferencesWarning {
    int line = 0;
    std::string key;
    std::string message;  ///< full text: "FILE:LINE: unknown key 'x' (did you mean 'y'?)"
};

struct ParsedPreferences {
    Preferences preferences;
    std::vector<PreferencesWarning> warnings;
};

/// Parses the text of a preferences.cfg. `file_name` is used in messages only.
/// Errors name the file, the line and the key: "prefs.cfg:2: keaPollInterval must be > 0 (got -3)".
Result<ParsedPreferences> parse_preferences(std::string_view xml_text, std::string_view file_name);

/// Issue 32: keaAllowedHosts, or by default the hosts of the declared servers and
/// keaControlAgentHost: the only hosts Kea credentials go to, and registrations may name.
std::vector<HostPattern> kea_credential_hosts(const Preferences& preferences);

/// Issue 32: why the daemon must not start with these preferences (no API token and no
/// apiAllowNoToken), or nullopt. main() refuses with it, --check reports it.
std::optional<std::string> api_access_problem(const Preferences& preferences);

/// Every key the parser knows, in documentation order.
const std::vector<std::string_view>& known_preference_keys();

std::string_view to_string(LogLevel level);

}  // namespace kea_ha::core
