#pragma once
// A peer's condition from one poll (SPEC §4, first table), and the readers that turn
// status-get / ha-heartbeat answers (Kea 2.2 … 3.x) into observation fields.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"
#include "kea_ha/core/time.hpp"
#include "kea_ha/core/topology.hpp"

namespace kea_ha::core {

/// SPEC §4 peer conditions.
enum class PeerCondition {
    Unreachable,   ///< no answer in time, refused, TLS/auth failure, or the daemon behind the CA is offline
    Disabled,      ///< the daemon reports its DHCP service disabled
    Transitional,  ///< HA waiting / syncing / ready, or a state this version does not know
    Maintenance,   ///< HA in-maintenance
    Terminated,    ///< HA terminated: serving, but HA is off
    Active,        ///< HA in a normal serving state (or standalone: answers and enabled)
};

/// "unreachable", "disabled", "transitional", "maintenance", "terminated", "active".
std::string_view to_string(PeerCondition condition);
/// SPEC §4: a peer is usable when it is active or terminated.
bool is_usable(PeerCondition condition);

/// What a peer's status-get says of its HA partner (the relationship's `remote`; Kea 2.2+,
/// `server-name` from 2.6, `clock-skew` and `system-time` from 3.0). Absent in
/// passive-backup and for backups. Fields Kea does not send stay unset.
struct PartnerReport {
    std::optional<std::string> name;                     ///< `server-name` (2.6+)
    std::optional<bool> communication_interrupted;       ///< no answer from the partner for max-response-delay
    std::optional<bool> in_touch;                        ///< the partner's state is known (it was reached once)
    std::optional<std::int64_t> age_s;                   ///< seconds since the partner last answered
    std::optional<std::int64_t> unacked_clients;         ///< clients the partner failed to answer (failure detection)
    std::optional<std::int64_t> unacked_clients_left;    ///< how many more before partner-down
    std::optional<std::int64_t> connecting_clients;
    std::optional<std::int64_t> analyzed_packets;
    std::optional<std::string> last_state;               ///< the partner's state as last heard
    std::optional<std::vector<std::string>> last_scopes;
    std::optional<double> clock_skew_s;                  ///< 3.0+: the partner's clock minus this peer's

    bool operator==(const PartnerReport&) const = default;
};

/// What one poll of one peer saw. The edge fills it (status-get, then ha-heartbeat).
struct PeerObservation {
    bool reached = false;                    ///< the daemon answered (through its CA or directly)
    std::optional<Error> error;              ///< why not reached (kind Timeout, Refused, DaemonOffline, …)
    std::optional<std::string> ha_state;     ///< its local HA state, as Kea spells it
    std::optional<bool> dhcp_enabled;        ///< Kea ≥ 2.6 `dhcp-state`; absent in 2.2
    /// Its clock at the moment it answered: ha-heartbeat `date-time` (whole seconds, truncated).
    std::optional<SystemTime> peer_time;
    /// Kea ≥ 3.0 status-get local `system-time`: its clock when it last measured the skew to its
    /// partner (at an HA heartbeat), whole seconds: NOT now (SPEC §4). A controller-to-peer
    /// figure from it is shown only when it exceeds kStampUncertainty.
    std::optional<SystemTime> stamped_time;
    std::optional<double> reported_clock_skew_s;  ///< Kea ≥ 3.0 status-get remote `clock-skew` (vs its partner)
    std::optional<PartnerReport> partner;    ///< what it reports of its HA partner (status-get `remote`)
    SteadyTime observed_at{};                ///< when the poll started
    /// The controller's wall clock in the middle of the request that read peer_time (or, without
    /// one, when the poll started).
    SystemTime observed_wall{};
    std::chrono::microseconds latency{0};    ///< poll round trip (a loopback poll takes under 1 ms)
};

/// classify()'s verdict.
struct ClassifiedPeer {
    PeerCondition condition = PeerCondition::Unreachable;
    std::string reason;          ///< for people: "HA state 'waiting'", "server2: connect: connection refused"
    bool unknown_state = false;  ///< the HA state is unknown (or unexpected for the role): warn

    bool operator==(const ClassifiedPeer&) const = default;
};

/// SPEC §4 first table. `standalone`: the cluster has no HA (answers + enabled → active).
/// The HA state `backup` is active only for a backup peer. A peer that answers without
/// an HA state in an HA cluster is transitional with unknown_state (HA hook not running).
ClassifiedPeer classify(PeerRole role, bool standalone, const PeerObservation& observation);

/// The condition an HA state name maps to for a peer of `role`; nullopt: unknown to us.
std::optional<PeerCondition> condition_of_ha_state(std::string_view ha_state, PeerRole role);

/// Reads a status-get answer's `arguments` into `observation`: the local HA state
/// (high-availability[].ha-servers.local.state), Kea 3.0's local `system-time` (into
/// stamped_time), the `remote` report of the partner (PartnerReport, remote `clock-skew`)
/// and `dhcp-state`. With several relationships (hub and spoke, Kea ≥ 2.6)
/// it picks the entry whose local server-name is `server_name` (and remote is
/// `partner_name` when given), else whose remote is `partner_name`, else the first.
/// Missing or odd fields are left unset: this never fails.
/// dhcp_enabled is false only when disabled by the user or by a lost database
/// connection: HA's own disabling (local/remote command origins) belongs to its
/// waiting/syncing transitions and shows as their state.
void read_status_get(const nlohmann::json& arguments, PeerObservation& observation,
                     std::string_view server_name = {}, std::string_view partner_name = {});

/// Reads an ha-heartbeat answer's `arguments` ({"state", "date-time", …}) into `observation`.
/// Fields it cannot read are left as they were.
void read_ha_heartbeat(const nlohmann::json& arguments, PeerObservation& observation);

/// Every member name read_status_get() and read_ha_heartbeat() look at, at any depth of
/// `arguments`. The polls parse their answers keeping only these (kea::AnswerKeys): a reader
/// that starts looking at another member must add it here (peer_condition_test checks that
/// the readers see the same with and without the filter, for every sample answer).
std::span<const std::string_view> poll_answer_keys();

/// IMF-fixdate (RFC 9110), as Kea's ha-heartbeat sends it: "Tue, 24 Nov 2026 20:06:05 GMT".
/// No locale, no timegm. nullopt when malformed or not a real date.
std::optional<SystemTime> parse_http_date(std::string_view text);

/// Kea 3.0 status-get `system-time`: "2026-11-24 20:06:05" in UTC (fraction allowed, ignored).
std::optional<SystemTime> parse_kea_system_time(std::string_view text);

}  // namespace kea_ha::core
