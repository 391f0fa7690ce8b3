#include "kea_ha/kea/peer_link.hpp"

#include "kea_ha/core/replication.hpp"

namespace kea_ha::kea {

namespace net = boost::asio;

std::string_view to_string(Transport transport) {
    switch (transport) {
        case Transport::Agent: return "agent";
        case Transport::Direct: return "direct";
    }
    return "agent";
}

std::optional<Transport> parse_transport(std::string_view text) {
    if (text == "agent") return Transport::Agent;
    if (text == "direct") return Transport::Direct;
    return std::nullopt;
}

core::Result<Transport> transport_from_config_get(const nlohmann::json& arguments, std::string_view service) {
    if (!arguments.is_object()) {
        return core::make_error(core::ErrorKind::BadAnswer, "config-get without a service answered no config");
    }
    if (arguments.contains("Control-agent")) return Transport::Agent;
    const std::string key = core::service_key(service);
    if (arguments.contains(key)) return Transport::Direct;
    for (const char* other : {"Dhcp4", "Dhcp6", "DhcpDdns", "Control-agent"}) {
        if (arguments.contains(other)) {
            return core::make_error(core::ErrorKind::Invalid,
                                    std::string("this URL is the control socket of a ") + other + " daemon, not of " +
                                        std::string(service) + ": register the " + key + " daemon's URL");
        }
    }
    return core::make_error(core::ErrorKind::BadAnswer,
                            "config-get without a service answered neither a Control Agent's nor a " + key + " config");
}

PeerLink::PeerLink(ControlAgentClient& client, Endpoint endpoint, Transport transport, std::string service,
                   std::optional<Credentials> credentials)
    : client_(&client),
      endpoint_(std::move(endpoint)),
      transport_(transport),
      service_(std::move(service)),
      credentials_(std::move(credentials)),
      capabilities_(capabilities_of(std::nullopt)) {}

std::optional<std::string> PeerLink::user() const {
    if (credentials_) return credentials_->user;
    return std::nullopt;
}

Command PeerLink::command(std::string name, nlohmann::json arguments) const {
    Command command;
    command.name = std::move(name);
    // SPEC §2: through a CA the command names the daemon; a daemon's own socket needs none.
    if (transport_ == Transport::Agent) command.service = service_;
    command.arguments = std::move(arguments);
    return command;
}

std::shared_ptr<const PreparedRequest> PeerLink::prepare(const Command& command) const {
    return client_->prepare(endpoint_, command, credentials_ ? &*credentials_ : nullptr);
}

net::awaitable<core::Result<Answer>> PeerLink::send_prepared(std::shared_ptr<const PreparedRequest> request,
                                                             core::Duration timeout) const {
    auto answer = co_await client_->send_prepared(std::move(request), timeout);
    if (!answer && answer.error().kind == core::ErrorKind::Auth) {
        // Issue 11: say whose credentials and where, not only "401".
        auto error = answer.error();
        error.message = credentials_ ? "Kea refused the credentials for " + credentials_->user + " at " +
                                           endpoint_.text + " (" + error.message + ")"
                                     : "Kea asks for credentials at " + endpoint_.text +
                                           " and none are set (the cluster's auth, or keaAuthUser and "
                                           "keaAuthPasswordFile) (" + error.message + ")";
        co_return error;
    }
    co_return answer;
}

net::awaitable<core::Result<Answer>> PeerLink::send(const Command& command, core::Duration timeout) const {
    return send_prepared(prepare(command), timeout);
}

net::awaitable<core::Status> PeerLink::learn_version(core::Duration timeout) {
    auto answer = require_success(co_await send(command("version-get"), timeout), "version-get");
    if (!answer) co_return answer.error();
    set_version(parse_kea_version(answer->text));
    co_return core::Done{};
}

}  // namespace kea_ha::kea
