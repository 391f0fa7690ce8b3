#pragma once
// KeaLab: real Kea daemons (kea-dhcp4/6, and a kea-ctrl-agent per peer unless the transport
// is direct) on loopback, in a temporary directory, for end-to-end tests and for the README's
// demo (`--lab`). Kea 2.2 is the system's; Kea 2.6 and 3.0 run from the Debian roots that
// scripts/kea-roots.sh builds, through chroot, with the lab directory bind-mounted at the same
// path inside the root. Every process it starts is stopped by PID in the destructor, and dies
// with the process that started it (PR_SET_PDEATHSIG); a bind mount left by a killed test is
// removed by the next lab that uses the root (its owner's PID file names a dead process).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"

namespace kea_ha::lab {

enum class LabMode { HotStandby, LoadBalancing };

/// How the controller reaches a peer: through a kea-ctrl-agent (every version), or straight to
/// the DHCP daemon's own HTTP control socket (`control-sockets`, Kea 3.0 and 3.2; no CA at all).
/// Kea 3.2 has no Control Agent: its lab is always Direct.
enum class LabTransport { Agent, Direct };

/// Pair: server1 + server2 (+ server3 backup), one relationship (every version).
/// HubAndSpoke: "hub" standby in two relationships, "branch1" / "branch2" each primary of one.
/// MutualPair: "a" and "b", each primary of one relationship and standby of the other.
/// The last two need Kea 2.6 or later (several `high-availability` entries).
enum class LabShape { Pair, HubAndSpoke, MutualPair };

/// The Kea versions the lab runs, oldest first: "2.2" (the system's), "2.6", "3.0" (Debian
/// roots) and "3.2" (a root built from ISC's source, scripts/kea-roots.sh).
const std::vector<std::string>& lab_kea_versions();
/// "2.2, 2.6, 3.0 or 3.2", for error messages.
std::string lab_kea_versions_text();
/// False for a version without kea-ctrl-agent (3.2): its lab is direct only.
bool lab_kea_has_control_agent(const std::string& version);
/// True for a version whose root is built from ISC's source (3.2), which a machine without
/// that source lacks: its end-to-end tests are then skipped, not failed.
bool lab_kea_built_from_source(const std::string& version);

/// The Kea version the lab runs: $KEA_HA_LAB_KEA if set (one of lab_kea_versions()), else "2.2".
/// An invalid value throws std::invalid_argument naming it (a typo must not silently run 2.2).
std::string lab_kea_version_from_env();

struct LabOptions {
    std::string service = "dhcp4";            ///< "dhcp4" or "dhcp6"
    /// "2.2" (the system's Kea), "2.6" / "3.0" / "3.2" (roots under $KEA_HA_ROOTS). The default
    /// follows $KEA_HA_LAB_KEA (so the e2e suite, registered once per version, runs on each), 2.2 without it.
    std::string kea_version = lab_kea_version_from_env();
    /// Agent where the version has a Control Agent, else Direct (3.2).
    LabTransport transport = lab_kea_has_control_agent(kea_version) ? LabTransport::Agent : LabTransport::Direct;
    /// Port of every peer's control URL: its CA's http-port, or on the direct transport its
    /// daemon's own HTTP control socket (8010 for a v6 pair as operators set it, SPEC §2: the
    /// partners' control URLs take the registered URL's port). Not 8001 or 8002 (HA listeners).
    std::uint16_t control_port = 8000;
    LabShape shape = LabShape::Pair;
    LabMode mode = LabMode::HotStandby;
    bool with_backup = false;                  ///< adds server3 with role backup
    /// The CAs (on the direct transport: the daemons' own HTTP sockets) serve HTTPS with
    /// certificates of a CA the lab makes (tls_ca_file()); the lab itself then talks to each
    /// DHCP daemon over its unix socket.
    bool tls = false;
    /// Basic auth on every CA or daemon socket (and the HA peers' credentials); Kea reads the
    /// user and the password from files the lab writes (user_file(), password_file()).
    std::optional<std::string> auth_user;
    std::optional<std::string> auth_password;
    std::string base_dir;                      ///< empty: a fresh mkdtemp under $TMPDIR or /tmp
    bool keep_dir = false;                     ///< leave the directory (logs) after the lab stops
    int heartbeat_delay_ms = 1000;
    int max_response_delay_ms = 3000;
    int max_ack_delay_ms = 1000;
    int max_unacked_clients = 0;
    std::chrono::milliseconds start_timeout{30000};  ///< for every peer to reach an active HA state
    /// Peer name → libfaketime offset of its DHCP daemon's wall clock ("+40s"): a peer whose
    /// clock is off (SPEC §4 clock skew). Needs Debian's faketime package on the host.
    std::map<std::string, std::string> faketime;
};

/// One HA relationship a lab peer takes part in, as written in its `high-availability` entry.
struct LabRelationship {
    std::string server_name;   ///< the peer's `this-server-name` in it ("server1", "hub1", "a2")
    std::string role;          ///< its role there: primary, standby, secondary, backup
    std::string ha_url;        ///< its HA `url` there
    std::string primary;       ///< the relationship's primary (its `this-server-name`)
};

/// One lab peer. Pair: server1 (primary), server2 (standby or secondary), server3 (backup).
/// HubAndSpoke: hub (hub1 in branch1's relationship, hub2 in branch2's), branch1, branch2.
/// MutualPair: a (a1 primary, a2 standby), b (b1 standby, b2 primary).
struct LabPeer {
    std::string name;
    std::string role;          ///< role in its first relationship
    std::string address;       ///< 127.x.y.z, unique to this lab
    std::uint16_t port = 8000; ///< port of `url` (the CA's http-port, or the daemon's HTTP socket): LabOptions::control_port
    std::string url;           ///< control URL "http://ADDRESS:8000/" (https with `tls`): the CA's, or the daemon's own
                               ///< HTTP socket on Direct; the URL the controller is registered with
    std::string ha_url;        ///< this peer's HA `url` in the Kea config: the CA's URL on 2.2,
                               ///< "http://ADDRESS:8001/" (the HA hook's own listener) on 2.6 / 3.0;
                               ///< of its first relationship (8002 for the second)
    std::vector<LabRelationship> relationships;
    std::string dhcp_config_path;
    std::string agent_config_path;  ///< empty on the direct transport (no CA)
};

/// The root that holds Kea `version` ("2.6", "3.0", "3.2"): $KEA_HA_ROOTS/kea-VERSION (default
/// /var/cache/kea-ha-controller/roots), checked by its stamp; "" for 2.2 (the system's Kea).
/// An error says which root is missing and how to build it.
core::Result<std::string> lab_root(const std::string& version);

/// True when `path` is a mount point now (/proc/self/mountinfo): a lab's bind mount in a root.
bool is_mount_point(const std::string& path);

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
    /// The root the daemons run in ("" for the system's Kea 2.2).
    const std::string& root() const;
    /// The file holding the password of options().auth_user (every CA or daemon HTTP socket
    /// reads its client's password from it); "" when the lab has no auth.
    const std::string& password_file() const;
    /// The file holding options().auth_user (Kea's `user-file`); "" when the lab has no auth.
    const std::string& user_file() const;

    /// With `tls`: the lab CA's certificate (what the controller trusts, keaTlsCaFile).
    const std::string& tls_ca_file() const;
    /// With `tls`: gives `peer`'s CA a new self-signed certificate that the lab CA did not sign
    /// (restarting the CA), or its own lab-signed one back (`trusted`).
    core::Status set_certificate(const std::string& peer, bool trusted);

    /// Stop (SIGTERM, then SIGKILL after 5 s) or start one peer's DHCP daemon or CA (an error on
    /// the direct transport, which has no CA).
    core::Status stop_dhcp(const std::string& peer);
    core::Status start_dhcp(const std::string& peer);
    core::Status stop_agent(const std::string& peer);
    core::Status start_agent(const std::string& peer);

    /// Blocking command to a peer's control URL (its CA with `service`, or the daemon's own socket
    /// without it; with `tls`, the daemon's unix socket), for tests (external changes, checks):
    /// the first element of Kea's answer list.
    core::Result<nlohmann::json> command(const std::string& peer, const std::string& name,
                                         const nlohmann::json& arguments = nullptr) const;

    /// The peer's HA state from status-get, or an error: in its first relationship, or in the one
    /// where its `this-server-name` is `server_name` (2.6+ name each entry's local server).
    core::Result<std::string> ha_state(const std::string& peer, const std::string& server_name = "") const;

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
