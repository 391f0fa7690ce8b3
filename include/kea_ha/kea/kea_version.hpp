#pragma once
// What differs between Kea releases (SPEC §11), in one place. Pure: no I/O.
//
// A peer's version is learned with `version-get` (kea::PeerLink) and turned into
// KeaCapabilities here; code elsewhere asks the capabilities and never compares versions.
//
// | Kea  | what the controller does differently                                              |
// |------|-----------------------------------------------------------------------------------|
// | 2.2  | no `hash` in config-get, no config-hash-get; the clock only from ha-heartbeat       |
// | 2.4  | `hash` beside the service config; config-hash-get; HA multi-threading (and its     |
// |      | dedicated listener) on by default                                                  |
// | 2.6  | several HA relationships per server; `server-name` in status-get; path limits      |
// | 3.0  | status-get carries `dhcp-state`, `system-time`, `clock-skew`: no ha-heartbeat;     |
// |      | the daemon's own HTTP socket (transport `direct`); the CA is deprecated            |
// | 3.2  | no CA at all: direct only, authentication required                                 |
// An unknown version (version-get failed or unreadable) is treated as the oldest we support.

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace kea_ha::kea {

/// A Kea release number, as version-get's `text` starts ("2.6.3", "3.0.4 (3.0.4 (tarball))").
struct KeaVersion {
    int major = 0;
    int minor = 0;
    int patch = 0;

    auto operator<=>(const KeaVersion&) const = default;
};

/// Reads "MAJOR.MINOR[.PATCH]" at the start of `text` (leading spaces allowed); nullopt otherwise.
std::optional<KeaVersion> parse_kea_version(std::string_view text);

/// "2.6.3".
std::string to_string(const KeaVersion& version);

/// Where a peer's clock comes from (SPEC §4 clock skew).
enum class ClockSource {
    StatusGet,    ///< Kea ≥ 3.0: `system-time` / `clock-skew` in every status-get
    HaHeartbeat,  ///< Kea < 3.0: `date-time` of ha-heartbeat, asked at most every kHeartbeatClockPeriod
};

/// What one Kea version can do.
struct KeaCapabilities {
    std::optional<KeaVersion> version;   ///< nullopt: not known (treated as 2.2)
    bool config_hash = false;            ///< config-get's `hash` and config-hash-get (2.4+)
    bool ha_multi_threading_default = false;  ///< HA + MT and the dedicated listener default on (2.4+)
    bool several_relationships = false;  ///< several `high-availability` entries per server (2.6+)
    ClockSource clock_source = ClockSource::HaHeartbeat;
    bool status_dhcp_state = false;      ///< status-get `dhcp-state` (2.6+, recorded on 2.6.3 and 3.0.4)

    bool operator==(const KeaCapabilities&) const = default;
};

/// The capabilities of `version`; nullopt (unknown) gives the oldest supported release's.
KeaCapabilities capabilities_of(std::optional<KeaVersion> version);

}  // namespace kea_ha::kea
