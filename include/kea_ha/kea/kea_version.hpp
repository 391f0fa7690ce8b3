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
// | 3.2  | no CA at all: direct only, authentication required (users and passwords from      |
// |      | files); 401/403 as a bare map (parse_answer); `service` may be left out or name   |
// |      | the daemon reached (direct: left out); config-set refused while the lease file    |
// |      | cleanup runs (retried within keaConfigTimeout); result 5: partly applied, rollback |
// |      | failed (the peer failed, its config read back); leading zeros in numbers refused  |
// |      | on the control channel (the controller writes none: nlohmann never does)          |
// An unknown version (version-get failed or unreadable) is treated as the oldest we support.
// Each 3.2 row has a unit test on a recorded 3.2 answer (tests/unit/kea_version_test.cpp,
// tests/data/kea-3.2).

#include <chrono>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "kea_ha/kea/command.hpp"

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
    bool control_agent = true;           ///< kea-ctrl-agent exists (removed in 3.2: direct only)
    bool auth_required = false;          ///< every HTTP socket must have authentication, from files (3.2)
    bool config_set_waits_for_lfc = false;  ///< config-set refused while kea-lfc runs (3.2; ChangeLog 2418)

    bool operator==(const KeaCapabilities&) const = default;
};

/// The capabilities of `version`; nullopt (unknown) gives the oldest supported release's.
KeaCapabilities capabilities_of(std::optional<KeaVersion> version);

/// What a config-set answer that is not a success means (read on every version: a 3.2 answer
/// may come from a peer whose version is not known yet).
enum class ConfigSetRefusal {
    Refused,        ///< Kea refused the config and runs the one it had
    LfcRunning,     ///< 3.2: "Can not update configuration while lease file cleanup process is
                    ///< running." Nothing changed; the same config-set may pass in a moment
    PartlyApplied,  ///< 3.2: result 5, the config was partly applied and Kea could not roll back:
                    ///< what the peer runs is unknown until it is read back
};
ConfigSetRefusal config_set_refusal(const Answer& answer);

/// How long to wait before sending a config-set again that the lease file cleanup refused.
inline constexpr std::chrono::milliseconds kLfcRetryDelay{250};

}  // namespace kea_ha::kea
