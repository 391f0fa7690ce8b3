// Fuzzes the readers of Kea answers (src/kea/command.cpp, src/core/peer_condition.cpp,
// src/kea/kea_version.cpp, src/kea/peer_link.cpp) on an arbitrary HTTP body:
// - parse_answer() both ways the daemon calls it: every member built (config-get, version-get,
//   config-hash-get, …) and only the poll's members kept (status-get, ha-heartbeat: the simdjson
//   path, with nlohmann's filtering SAX parser behind it); a list of one answer or a bare map;
// - what reads the answer then: read_status_get(), read_ha_heartbeat(), parse_kea_version()
//   on version-get's text, transport_from_config_get(), require_success().
// Contract checked: both ways agree (poll_answer_keys() promises the readers see the same),
// an error has a message, and nothing crashes or throws (ca_client.cpp calls these untried).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_support.hpp"
#include "kea_ha/core/peer_condition.hpp"
#include "kea_ha/kea/command.hpp"
#include "kea_ha/kea/kea_version.hpp"
#include "kea_ha/kea/peer_link.hpp"

namespace {

using kea_ha::fuzz::require;
using namespace kea_ha;

bool same_observation(const core::PeerObservation& a, const core::PeerObservation& b) {
    return a.ha_state == b.ha_state && a.dhcp_enabled == b.dhcp_enabled && a.peer_time == b.peer_time &&
           a.reported_clock_skew_s == b.reported_clock_skew_s;
}

core::PeerObservation status_of(const nlohmann::json& arguments, std::string_view server, std::string_view partner) {
    core::PeerObservation observation;
    core::read_status_get(arguments, observation, server, partner);
    return observation;
}

core::PeerObservation heartbeat_of(const nlohmann::json& arguments) {
    core::PeerObservation observation;
    core::read_ha_heartbeat(arguments, observation);
    return observation;
}

void check_error(const core::Error& error) { require(!error.message.empty(), "an answer error has a message"); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto body = kea_ha::fuzz::text_of(data, size);
    const std::optional<std::string> service = "dhcp4";

    auto full = kea::parse_answer(200, body, service);
    auto polled = kea::parse_answer(200, body, service, core::poll_answer_keys());
    require(full.ok() == polled.ok(), "a poll answer parses the same with and without the kept keys");
    if (!full) {
        check_error(full.error());
        check_error(polled.error());
        require(full.error().kind == polled.error().kind, "the same error kind with and without the kept keys");
    } else {
        require(full->result == polled->result && full->text == polled->text,
                "the same result and text with and without the kept keys");
        for (auto [server, partner] : {std::pair<std::string_view, std::string_view>{"", ""},
                                       {"server1", "server2"}, {"hub1", "branch1"}, {"", "server1"}}) {
            require(same_observation(status_of(full->arguments, server, partner),
                                     status_of(polled->arguments, server, partner)),
                    "read_status_get() sees the same with and without the kept keys");
        }
        require(same_observation(heartbeat_of(full->arguments), heartbeat_of(polled->arguments)),
                "read_ha_heartbeat() sees the same with and without the kept keys");

        // version-get: the version is read from the text.
        if (auto version = kea::parse_kea_version(full->text)) (void)kea::capabilities_of(version);
        // config-get without a service: which transport answered.
        for (const char* which : {"dhcp4", "dhcp6"}) {
            auto transport = kea::transport_from_config_get(full->arguments, which);
            if (!transport) check_error(transport.error());
        }
        auto checked = kea::require_success(std::move(full), "status-get");
        if (!checked) check_error(checked.error());
    }

    // Other HTTP statuses: 401/403 win over the body; a proxy's 5xx page is an Http error.
    for (unsigned status : {401u, 403u, 503u, 404u}) {
        auto answer = kea::parse_answer(status, body, std::nullopt);
        if (!answer) check_error(answer.error());
        if (status == 401 || status == 403) require(!answer && answer.error().kind == core::ErrorKind::Auth,
                                                    "HTTP 401/403 is an Auth error whatever the body");
    }
    return 0;
}
