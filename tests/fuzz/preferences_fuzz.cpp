// Fuzzes parse_preferences() (src/core/preferences.cpp, SPEC §3) on arbitrary text: it must
// return a Preferences or an Error naming the file, never crash or throw. The daemon calls it
// at start and on every SIGHUP (src/daemon/preferences_file.cpp), with no try around it.

#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "kea_ha/core/preferences.hpp"

using namespace std::chrono_literals;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using kea_ha::fuzz::require;
    auto parsed = kea_ha::core::parse_preferences(kea_ha::fuzz::text_of(data, size), "fuzz.cfg");
    if (!parsed) {
        require(!parsed.error().message.empty(), "a preferences error has a message");
        require(parsed.error().describe().find("fuzz.cfg") != std::string::npos, "a preferences error names the file");
        return 0;
    }
    const auto& prefs = parsed->preferences;
    // The ranges config/preferences.cfg documents: a value outside them must have been refused.
    require(prefs.poll_interval >= 100ms && prefs.poll_interval <= 3600s, "keaPollInterval in 0.1-3600 s");
    require(prefs.request_timeout >= 1ms && prefs.request_timeout <= 300s, "keaRequestTimeout in 0.001-300 s");
    require(prefs.config_timeout >= 1ms && prefs.config_timeout <= 3600s, "keaConfigTimeout in 0.001-3600 s");
    require(prefs.config_sync_interval >= 10s && prefs.config_sync_interval <= 86400s,
            "keaConfigSyncInterval in 10-86400 s");
    require(prefs.control_agent_port >= 1, "keaControlAgentPort in 1-65535");
    for (const auto& server : prefs.servers) {
        require(!server.name.empty(), "a keaServer has a name");
        require(server.service == "dhcp4" || server.service == "dhcp6", "a keaServer's service is dhcp4 or dhcp6");
    }
    for (const auto& warning : parsed->warnings) require(!warning.message.empty(), "a warning has a message");
    (void)kea_ha::core::to_string(prefs.log_level);
    return 0;
}
