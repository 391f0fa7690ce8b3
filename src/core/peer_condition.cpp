#include "kea_ha/core/peer_condition.hpp"

#include <array>
#include <chrono>
#include <cmath>

namespace kea_ha::core {
namespace {

using nlohmann::json;

std::string quote(std::string_view text) { return "'" + std::string(text) + "'"; }

/// Reads exactly `width` digits at `text[at]`.
std::optional<int> digits(std::string_view text, std::size_t at, std::size_t width) {
    if (at + width > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = at; i < at + width; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

/// A UTC civil date and time → SystemTime, rejecting impossible dates (31 Feb, 25:00 …).
std::optional<SystemTime> utc(int year, int month, int day, int hour, int minute, int second) {
    using namespace std::chrono;
    const year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                              std::chrono::day{static_cast<unsigned>(day)}};
    if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    // A leap second (:60) is folded into the next second, as POSIX time does.
    const sys_seconds when = sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
    // SystemTime counts nanoseconds (years 1678 to 2262): a date outside is no clock reading,
    // and converting it would overflow (found by tests/fuzz/kea_answer_fuzz: "29 Feb 0472").
    if (when.time_since_epoch() > duration_cast<seconds>(SystemTime::duration::max()) ||
        when.time_since_epoch() < duration_cast<seconds>(SystemTime::duration::min())) {
        return std::nullopt;
    }
    return time_point_cast<SystemTime::duration>(when);
}

/// A JSON "disabled by" value: Kea writes a bool or a list of origins, by version.
bool says_disabled(const json& value) {
    if (value.is_boolean()) return value.get<bool>();
    if (value.is_array()) return !value.empty();
    return false;
}

/// Kea 3.0 `dhcp-state` → enabled or not (see read_status_get()'s contract).
std::optional<bool> dhcp_enabled_of(const json& state) {
    if (!state.is_object()) return std::nullopt;
    const auto user = state.find("disabled-by-user");
    const auto database = state.find("disabled-by-db-connection");
    if (user != state.end() || database != state.end()) {
        const bool disabled = (user != state.end() && says_disabled(*user)) ||
                              (database != state.end() && says_disabled(*database));
        return !disabled;
    }
    // Only the summary is there: trust it.
    if (const auto global = state.find("globally-disabled"); global != state.end() && global->is_boolean()) {
        return !global->get<bool>();
    }
    return std::nullopt;
}

const json* member(const json& object, const char* key) {
    if (!object.is_object()) return nullptr;
    const auto found = object.find(key);
    return found == object.end() ? nullptr : &*found;
}

std::optional<std::string> string_at(const json* object, const char* key) {
    if (!object) return std::nullopt;
    const auto* value = member(*object, key);
    if (!value || !value->is_string()) return std::nullopt;
    return value->get<std::string>();
}

/// Picks the high-availability[] entry about this peer's relationship (read_status_get()).
const json* pick_relationship(const json& list, std::string_view server_name, std::string_view partner_name) {
    if (!list.is_array() || list.empty()) return nullptr;
    const auto names = [](const json& entry) {
        const auto* servers = member(entry, "ha-servers");
        const auto local = servers ? string_at(member(*servers, "local"), "server-name") : std::nullopt;
        const auto remote = servers ? string_at(member(*servers, "remote"), "server-name") : std::nullopt;
        return std::pair{local, remote};
    };
    const json* local_match = nullptr;
    const json* remote_match = nullptr;
    for (const auto& entry : list) {
        const auto [local, remote] = names(entry);
        const bool local_ok = !server_name.empty() && local && *local == server_name;
        const bool remote_ok = !partner_name.empty() && remote && *remote == partner_name;
        if (local_ok && (partner_name.empty() || remote_ok)) return &entry;
        if (local_ok && !local_match) local_match = &entry;
        if (remote_ok && !remote_match) remote_match = &entry;
    }
    if (local_match) return local_match;
    if (remote_match) return remote_match;
    return &list.front();  // Kea < 2.6: one entry, no server-name
}

}  // namespace

std::string_view to_string(PeerCondition condition) {
    switch (condition) {
        case PeerCondition::Unreachable: return "unreachable";
        case PeerCondition::Disabled: return "disabled";
        case PeerCondition::Transitional: return "transitional";
        case PeerCondition::Maintenance: return "maintenance";
        case PeerCondition::Terminated: return "terminated";
        case PeerCondition::Active: return "active";
    }
    return "unknown";
}

bool is_usable(PeerCondition condition) {
    return condition == PeerCondition::Active || condition == PeerCondition::Terminated;
}

namespace {

std::optional<bool> bool_at(const json& object, const char* key) {
    const auto* value = member(object, key);
    return value && value->is_boolean() ? std::optional<bool>(value->get<bool>()) : std::nullopt;
}

std::optional<std::int64_t> count_at(const json& object, const char* key) {
    const auto* value = member(object, key);
    return value && value->is_number_integer() ? std::optional<std::int64_t>(value->get<std::int64_t>())
                                               : std::nullopt;
}

PartnerReport read_partner_report(const json& remote) {
    PartnerReport report;
    report.name = string_at(&remote, "server-name");
    report.communication_interrupted = bool_at(remote, "communication-interrupted");
    report.in_touch = bool_at(remote, "in-touch");
    report.age_s = count_at(remote, "age");
    report.unacked_clients = count_at(remote, "unacked-clients");
    report.unacked_clients_left = count_at(remote, "unacked-clients-left");
    report.connecting_clients = count_at(remote, "connecting-clients");
    report.analyzed_packets = count_at(remote, "analyzed-packets");
    report.last_state = string_at(&remote, "last-state");
    if (const auto* scopes = member(remote, "last-scopes"); scopes && scopes->is_array()) {
        report.last_scopes.emplace();
        for (const auto& scope : *scopes)
            if (scope.is_string()) report.last_scopes->push_back(scope.get<std::string>());
    }
    if (const auto* skew = member(remote, "clock-skew"); skew && skew->is_number()) {
        report.clock_skew_s = skew->get<double>();
    }
    return report;
}

}  // namespace

std::optional<PeerCondition> condition_of_ha_state(std::string_view ha_state, PeerRole role) {
    // SPEC §4 first table; state names from Kea's ha_service_states.cc (field research C.1).
    static constexpr std::array<std::string_view, 6> kActive = {
        "load-balancing", "hot-standby", "partner-down", "partner-in-maintenance", "passive-backup",
        "communication-recovery"};
    static constexpr std::array<std::string_view, 3> kTransitional = {"waiting", "syncing", "ready"};
    for (auto state : kActive) {
        if (ha_state == state) return PeerCondition::Active;
    }
    for (auto state : kTransitional) {
        if (ha_state == state) return PeerCondition::Transitional;
    }
    if (ha_state == "in-maintenance") return PeerCondition::Maintenance;
    if (ha_state == "terminated") return PeerCondition::Terminated;
    // `backup` is the normal state of a backup server and makes no sense for a main peer.
    if (ha_state == "backup" && role == PeerRole::Backup) return PeerCondition::Active;
    return std::nullopt;  // includes `unavailable`, which Kea uses only for a partner
}

ClassifiedPeer classify(PeerRole role, bool standalone, const PeerObservation& observation) {
    if (!observation.reached) {
        return {PeerCondition::Unreachable, observation.error ? observation.error->describe() : "no answer", false};
    }
    if (observation.dhcp_enabled == false) {
        return {PeerCondition::Disabled, "DHCP service disabled (dhcp-disable or lost database connection)", false};
    }
    if (standalone) {
        return {PeerCondition::Active,
                observation.dhcp_enabled ? "answers; DHCP service enabled" : "answers", false};
    }
    if (!observation.ha_state) {
        return {PeerCondition::Transitional, "answers but reports no HA state: is libdhcp_ha.so loaded?", true};
    }
    const auto& state = *observation.ha_state;
    const auto condition = condition_of_ha_state(state, role);
    if (!condition) {
        if (state == "backup") {
            return {PeerCondition::Transitional,
                    "HA state 'backup' is unexpected for a " + std::string(to_string(role)) + " peer", true};
        }
        return {PeerCondition::Transitional, "unknown HA state " + quote(state), true};
    }
    switch (*condition) {
        case PeerCondition::Terminated:
            return {*condition, "HA state 'terminated': serving, but HA is off", false};
        case PeerCondition::Maintenance:
            return {*condition, "HA state 'in-maintenance': its partner took over", false};
        default:
            return {*condition, "HA state " + quote(state), false};
    }
}

std::span<const std::string_view> poll_answer_keys() {
    static constexpr std::array<std::string_view, 22> kKeys = {
        // status-get
        "dhcp-state", "disabled-by-user", "disabled-by-db-connection", "globally-disabled", "high-availability",
        "ha-servers", "local", "remote", "server-name", "system-time", "clock-skew",
        // status-get remote: what a peer reports of its partner (PartnerReport)
        "communication-interrupted", "in-touch", "age", "unacked-clients", "unacked-clients-left",
        "connecting-clients", "analyzed-packets", "last-state", "last-scopes",
        // both
        "state",
        // ha-heartbeat
        "date-time"};
    return kKeys;
}

void read_status_get(const json& arguments, PeerObservation& observation, std::string_view server_name,
                     std::string_view partner_name) {
    if (!arguments.is_object()) return;
    if (const auto* state = member(arguments, "dhcp-state")) {
        if (auto enabled = dhcp_enabled_of(*state)) observation.dhcp_enabled = enabled;
    }
    const auto* list = member(arguments, "high-availability");
    if (!list) return;
    const auto* entry = pick_relationship(*list, server_name, partner_name);
    if (!entry) return;
    const auto* servers = member(*entry, "ha-servers");
    if (!servers) return;
    const auto* local = member(*servers, "local");
    if (auto state = string_at(local, "state"); state && !state->empty()) observation.ha_state = std::move(state);
    if (auto time = string_at(local, "system-time")) {
        if (auto parsed = parse_kea_system_time(*time)) observation.stamped_time = parsed;
    }
    if (const auto* remote = member(*servers, "remote"); remote && remote->is_object()) {
        observation.partner = read_partner_report(*remote);
        observation.reported_clock_skew_s = observation.partner->clock_skew_s;
    }
}

void read_ha_heartbeat(const json& arguments, PeerObservation& observation) {
    if (!arguments.is_object()) return;
    if (auto state = string_at(&arguments, "state"); state && !state->empty()) observation.ha_state = std::move(state);
    if (auto date = string_at(&arguments, "date-time")) {
        if (auto parsed = parse_http_date(*date)) observation.peer_time = parsed;
    }
}

std::optional<SystemTime> parse_http_date(std::string_view text) {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (29 characters). The weekday is not
    // checked against the date; the rest is parsed by position, without the C locale.
    static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT") return std::nullopt;
    if (text[7] != ' ' || text[11] != ' ' || text[16] != ' ' || text[19] != ':' || text[22] != ':') {
        return std::nullopt;
    }
    const auto day = digits(text, 5, 2);
    const auto year = digits(text, 12, 4);
    const auto hour = digits(text, 17, 2);
    const auto minute = digits(text, 20, 2);
    const auto second = digits(text, 23, 2);
    int month = 0;
    for (std::size_t i = 0; i < kMonths.size(); ++i) {
        if (text.substr(8, 3) == kMonths[i]) month = static_cast<int>(i) + 1;
    }
    if (!day || !year || !hour || !minute || !second || month == 0) return std::nullopt;
    return utc(*year, month, *day, *hour, *minute, *second);
}

std::optional<SystemTime> parse_kea_system_time(std::string_view text) {
    // "%Y-%m-%d %H:%M:%S" in UTC; a fraction after the seconds is tolerated and dropped.
    if (text.size() < 19 || text[4] != '-' || text[7] != '-' || (text[10] != ' ' && text[10] != 'T') ||
        text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    if (text.size() > 19 && text[19] != '.' && text.substr(19) != "Z") return std::nullopt;
    const auto year = digits(text, 0, 4);
    const auto month = digits(text, 5, 2);
    const auto day = digits(text, 8, 2);
    const auto hour = digits(text, 11, 2);
    const auto minute = digits(text, 14, 2);
    const auto second = digits(text, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
    return utc(*year, *month, *day, *hour, *minute, *second);
}

}  // namespace kea_ha::core
