#pragma once
// PeerLink: the only way the daemon talks to one Kea peer. It holds what differs between
// peers and versions: the control endpoint, the transport (through a Control Agent, or the
// Kea 3.x daemon's own HTTP socket), the credentials, and the Kea version with what that
// version can do (kea_version.hpp), learned with version-get. Callers ask it
// (`link.has_config_hash()`, `link.clock_source()`) and never compare version strings.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"
#include "kea_ha/core/time.hpp"
#include "kea_ha/kea/command.hpp"
#include "kea_ha/kea/control_agent.hpp"
#include "kea_ha/kea/kea_version.hpp"

namespace kea_ha::kea {

/// SPEC §2: how commands reach a peer's daemon.
enum class Transport {
    Agent,   ///< a Control Agent: every command carries "service": ["dhcp4"]
    Direct,  ///< the daemon's own HTTP control socket (Kea ≥ 3.0; the only way on 3.2): no "service"
};

/// "agent", "direct".
std::string_view to_string(Transport transport);
std::optional<Transport> parse_transport(std::string_view text);

/// The transport an endpoint answered with, from its answer to a `config-get` sent without a
/// service: a Control Agent answers with its own config ({"Control-agent": …}), a daemon's
/// socket with the service's ({"Dhcp4": …}). Invalid when it is neither, or another service's.
core::Result<Transport> transport_from_config_get(const nlohmann::json& arguments, std::string_view service);

/// One peer's link. Cheap to copy (shared client reference, small strings).
class PeerLink {
public:
    PeerLink(ControlAgentClient& client, Endpoint endpoint, Transport transport, std::string service,
             std::optional<Credentials> credentials);

    const Endpoint& endpoint() const { return endpoint_; }
    Transport transport() const { return transport_; }
    const std::string& service() const { return service_; }
    /// The user the link authenticates as, if any (for messages; never the password).
    std::optional<std::string> user() const;

    const KeaCapabilities& capabilities() const { return capabilities_; }
    bool has_config_hash() const { return capabilities_.config_hash; }
    ClockSource clock_source() const { return capabilities_.clock_source; }
    void set_version(std::optional<KeaVersion> version) { capabilities_ = capabilities_of(version); }
    /// Whether version-get has been answered since the link was made (or last reset).
    bool version_known() const { return capabilities_.version.has_value(); }

    /// The command `name` for this peer: with "service" through a CA, without on a direct socket.
    Command command(std::string name, nlohmann::json arguments = nullptr) const;

    /// A request built once and sent many times (the polls).
    std::shared_ptr<const PreparedRequest> prepare(const Command& command) const;
    /// Sends a prepared request. A refusal of the credentials reads "Kea refused the
    /// credentials for USER at URL" (or that Kea asks for credentials and none are set).
    boost::asio::awaitable<core::Result<Answer>> send_prepared(std::shared_ptr<const PreparedRequest> request,
                                                               core::Duration timeout) const;
    /// prepare() and send_prepared(); `command` may go away once this returns the awaitable.
    boost::asio::awaitable<core::Result<Answer>> send(const Command& command, core::Duration timeout) const;

    /// version-get; on success the capabilities follow the answered version (an unreadable
    /// version counts as unknown). The error (transport or Kea's) otherwise; capabilities kept.
    boost::asio::awaitable<core::Status> learn_version(core::Duration timeout);

private:
    ControlAgentClient* client_;
    Endpoint endpoint_;
    Transport transport_;
    std::string service_;
    std::optional<Credentials> credentials_;
    KeaCapabilities capabilities_;
};

}  // namespace kea_ha::kea
