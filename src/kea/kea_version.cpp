#include "kea_ha/kea/kea_version.hpp"

#include <charconv>

namespace kea_ha::kea {
namespace {

/// Reads a non-negative decimal at `pos`; advances it. nullopt when there is none.
std::optional<int> read_number(std::string_view text, std::size_t& pos) {
    int value = 0;
    const auto* first = text.data() + pos;
    const auto [end, ec] = std::from_chars(first, text.data() + text.size(), value);
    if (ec != std::errc{} || end == first || value < 0) return std::nullopt;
    pos += static_cast<std::size_t>(end - first);
    return value;
}

}  // namespace

std::optional<KeaVersion> parse_kea_version(std::string_view text) {
    std::size_t pos = text.find_first_not_of(" \t");
    if (pos == std::string_view::npos) return std::nullopt;
    KeaVersion version;
    auto major = read_number(text, pos);
    if (!major || pos >= text.size() || text[pos] != '.') return std::nullopt;
    ++pos;
    auto minor = read_number(text, pos);
    if (!minor) return std::nullopt;
    version.major = *major;
    version.minor = *minor;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        auto patch = read_number(text, pos);
        if (!patch) return std::nullopt;
        version.patch = *patch;
    }
    // "2.6.3-beta", "3.0.4 (tarball)", "2.6.3" end here; "2.6x" does not.
    if (pos < text.size() && text[pos] != ' ' && text[pos] != '-' && text[pos] != '(' && text[pos] != '\n') {
        return std::nullopt;
    }
    return version;
}

std::string to_string(const KeaVersion& version) {
    return std::to_string(version.major) + "." + std::to_string(version.minor) + "." + std::to_string(version.patch);
}

KeaCapabilities capabilities_of(std::optional<KeaVersion> version) {
    KeaCapabilities caps;
    caps.version = version;
    if (!version) return caps;
    const KeaVersion v = *version;
    // Kea ARM 2.4 "config-hash-get"; HA "multi-threading" defaults changed in 2.4.
    caps.config_hash = v >= KeaVersion{2, 4, 0};
    caps.ha_multi_threading_default = v >= KeaVersion{2, 4, 0};
    // Kea ARM 2.6 "Hub and Spoke Configuration".
    caps.several_relationships = v >= KeaVersion{2, 6, 0};
    // Recorded (tests/data/kea-2.6, kea-3.0): status-get has dhcp-state from 2.6 (2.6.3 and
    // 3.0.4 both; 2.2 has none); local system-time and remote clock-skew only from 3.0.
    caps.status_dhcp_state = v >= KeaVersion{2, 6, 0};
    caps.clock_source = v >= KeaVersion{3, 0, 0} ? ClockSource::StatusGet : ClockSource::HaHeartbeat;
    // ChangeLog 2458 (3.1.8): the CA is removed; 2377 (3.1.0): HTTP sockets without
    // authentication and clear-text users/passwords are refused; 2418 (3.1.4): the LFC check
    // of config-set. The first stable release with all three is 3.2.0.
    caps.control_agent = v < KeaVersion{3, 1, 0};
    caps.auth_required = v >= KeaVersion{3, 1, 0};
    caps.config_set_waits_for_lfc = v >= KeaVersion{3, 1, 0};
    return caps;
}

ConfigSetRefusal config_set_refusal(const Answer& answer) {
    if (answer.result == KeaResult::PartlyApplied) return ConfigSetRefusal::PartlyApplied;
    // Kea 3.2's words (src/bin/dhcp4/ctrl_dhcp4_srv.cc, dhcp6 alike), recorded in
    // tests/data/kea-3.2/config-set-lfc-running.json.
    if (answer.result == KeaResult::Error &&
        answer.text.find("while lease file cleanup process is running") != std::string::npos)
        return ConfigSetRefusal::LfcRunning;
    return ConfigSetRefusal::Refused;
}

}  // namespace kea_ha::kea
