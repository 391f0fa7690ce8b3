#pragma once
// KeaLab: real Kea daemons (kea-dhcp4/6 + kea-ctrl-agent per peer) on loopback, in a
// temporary directory, for end-to-end tests and for the README's demo (`--lab`).
// Every process it starts is stopped by PID in the destructor, and dies with the
// process that started it (PR_SET_PDEATHSIG), so a crashed or killed test leaves nothing.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"

namespace kea_ha::lab {

enum class LabMode { HotStandby, LoadBalancing };

struct LabOptions {
    std::string service = "dhcp4";            ///< "dhcp4" or "dhcp6"
    LabMode mode = LabMode::HotStandby;
    bool with_backup = false;                  ///< adds server3 with role backup
    std::optional<std::string> auth_user;      ///< basic auth on every CA (and the HA peers' credentials)
    std::optional<std::string> auth_password;
    std::string base_dir;                      ///< empty: a fresh mkdtemp under $TMPDIR or /tmp
    bool keep_dir = false;                     ///< leave the directory (logs) after the lab stops
    int heartbeat_delay_ms = 1000;
    int max_response_delay_ms = 3000;
    int max_ack_delay_ms = 1000;
    int max_unacked_clients = 0;
    std::chrono::milliseconds start_timeout{30000};  ///< for every peer to reach an active HA state
};

/// One lab peer: server1 (primary), server2 (standby or secondary), server3 (backup).
struct LabPeer {
    std::string name;
    std::string role;
    std::string address;       ///< 127.x.y.z, unique to this lab
    std::uint16_t port = 8000; ///< CA http-port
    std::string url;           ///< "http://ADDRESS:PORT/": CA URL and HA peer url
    std::string dhcp_config_path;
    std::string agent_config_path;
};

class KeaLab {
public:
    /// Writes the configs, starts every daemon and waits until each peer reports an active
    /// HA state (hot-standby / load-balancing / backup). On failure, stops what it started
    /// and returns an error that includes the tail of the failing daemon's log.
    static core::Result<std::unique_ptr<KeaLab>> start(LabOptions options);

    ~KeaLab();
    KeaLab(const KeaLab&) = delete;
    KeaLab& operator=(const KeaLab&) = delete;

    const std::vector<LabPeer>& peers() const;
    const LabPeer& peer(const std::string& name) const;
    const LabOptions& options() const;
    const std::string& directory() const;

    /// Stop (SIGTERM, then SIGKILL after 5 s) or start one peer's DHCP daemon or CA.
    core::Status stop_dhcp(const std::string& peer);
    core::Status start_dhcp(const std::string& peer);
    core::Status stop_agent(const std::string& peer);
    core::Status start_agent(const std::string& peer);

    /// Blocking command to a peer's CA, for tests (external changes, checks):
    /// returns the first element of Kea's answer list, or an error.
    core::Result<nlohmann::json> command(const std::string& peer, const std::string& name,
                                         const nlohmann::json& arguments = nullptr) const;

    /// The peer's HA state from status-get, or an error.
    core::Result<std::string> ha_state(const std::string& peer) const;

    /// Stops everything now (also done by the destructor).
    void stop_all();

private:
    struct Impl;
    explicit KeaLab(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// Polls `condition` every `step` until it is true or `timeout` passes; true if it became true.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(50));

/// Blocking HTTP POST of a JSON body to `url` (http only), with a deadline. For the lab and tests.
core::Result<nlohmann::json> post_json(const std::string& url, const nlohmann::json& body,
                                       std::chrono::milliseconds timeout,
                                       const std::optional<std::string>& auth_user = std::nullopt,
                                       const std::optional<std::string>& auth_password = std::nullopt);

}  // namespace kea_ha::lab
