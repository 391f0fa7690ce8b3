#pragma once
// The end-to-end tests' common ground: a real Kea lab and the real controller binary, both
// started by the test on loopback, with what every end-to-end test asks of them (register the
// pair, read the cluster detail, wait for a state, read a peer's own config, explain a failure
// with the controller's log). Both are stopped by PID in the destructors; the controller's
// directory is kept (and printed) when the test failed.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"
#include "kea_ha/lab/kea_lab.hpp"
#include "support/controller_process.hpp"

namespace kea_ha::testing {

/// A lab with authentication (always on Kea 3.2): its credentials as an operator gives them to
/// the controller, keaAuthUser + keaAuthPasswordFile, added to `settings` unless they name a
/// keaAuthUser already.
void add_lab_credentials(const lab::KeaLab& lab, std::map<std::string, std::string>& settings);

class LabController {
public:
    /// Starts the lab (none when `lab_options` is empty; a failed start is a test failure and
    /// leaves `lab` null) and prepares the controller with `settings` and the lab's credentials
    /// (add_lab_credentials()); does not start it.
    LabController(const std::string& prefix, std::map<std::string, std::string> settings,
                  std::optional<lab::LabOptions> lab_options = lab::LabOptions{});
    ~LabController();
    LabController(const LabController&) = delete;
    LabController& operator=(const LabController&) = delete;

    std::unique_ptr<lab::KeaLab> lab;
    std::string directory;
    std::unique_ptr<ControllerProcess> controller;

    /// POST /v1/clusters registering `peer`'s Control Agent as cluster `name`, for `service`
    /// ("" : the lab's own, lab->options().service).
    core::Result<HttpReply> add(const std::string& name, const std::string& peer, const std::string& service = "");
    /// Starts the controller, registers server1 as "pair" and waits until it is OK with SoT server1.
    bool up(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    /// GET /v1/clusters/NAME; an empty object when it cannot be read.
    nlohmann::json detail(const std::string& name = "pair") const;
    /// Polls the detail until `state` (and the source of truth, when given) match, with a deadline.
    bool wait_state(const std::string& state, const std::optional<std::string>& sot = std::nullopt,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20),
                    const std::string& name = "pair") const;
    /// A peer's own config, the `service_key` part ("": the lab's service, "Dhcp4" or "Dhcp6"),
    /// straight from its Kea; an empty object when it cannot be read.
    nlohmann::json kea_config(const std::string& peer, const std::string& service_key = "") const;
    /// "Dhcp4" or "Dhcp6": the lab's service key.
    std::string service_key() const;
    /// The cluster detail and the tail of the controller's log, for failure messages.
    std::string explain(const std::string& name = "pair") const;
};

}  // namespace kea_ha::testing
