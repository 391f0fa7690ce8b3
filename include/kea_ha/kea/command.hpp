#pragma once
// Kea control commands and answers, as the core sees them. Pure: no I/O.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"

namespace kea_ha::kea {

/// Kea's result codes (Kea ARM "Control Agent Command Response Format").
/// 5 (Kea 3.2, CONTROL_RESULT_FATAL_ERROR): the command failed after changing part of the
/// running config, and Kea could not roll back.
enum class KeaResult { Success = 0, Error = 1, Unsupported = 2, Empty = 3, Conflict = 4, PartlyApplied = 5 };

/// The member names of an answer's "arguments" worth keeping, at any depth below it
/// (elements of a kept list are kept whole unless they are objects, whose members are
/// filtered the same way). Empty: keep everything. A poll reads a handful of members of
/// answers that carry dozens: building only those is most of the parsing cost saved.
using AnswerKeys = std::span<const std::string_view>;

/// One command: `{"command": name, "service": [service], "arguments": arguments}`.
/// `service` empty means the command is for the CA itself (or a Kea 3 daemon reached directly).
struct Command {
    std::string name;
    std::optional<std::string> service;   ///< "dhcp4" / "dhcp6"
    nlohmann::json arguments;             ///< null: no "arguments" member
    /// When set, sent instead of `arguments` without copying them (a config of many MB).
    /// It must stay alive until ControlAgentClient::send() returns its awaitable.
    const nlohmann::json* borrowed_arguments = nullptr;
    /// What of the answer's "arguments" to keep (see AnswerKeys); the rest is skipped while parsing.
    AnswerKeys answer_keys{};
};

/// The JSON text of a command, as POSTed to the CA.
std::string to_wire(const Command& command);

/// Common commands.
Command version_get(std::optional<std::string> service);
Command status_get(std::optional<std::string> service);
Command ha_heartbeat(std::optional<std::string> service);
Command config_get(std::optional<std::string> service);
Command config_test(std::optional<std::string> service, nlohmann::json config);
Command config_set(std::optional<std::string> service, nlohmann::json config);
Command config_write(std::optional<std::string> service);

/// A Kea answer for one service. Only result codes 0, 2, 3, 4, 5 and "plain" 1 reach here;
/// transport failures, auth maps and "daemon offline" become Errors.
struct Answer {
    KeaResult result = KeaResult::Success;
    std::string text;
    nlohmann::json arguments;   ///< null when absent
};

/// Parses an HTTP answer of a CA (or a Kea 3 HTTP control socket): the status, the body.
/// `service` is the service the command was sent to, used in messages ("CA says dhcp4 is offline: …").
/// - a JSON list: its first element is the answer;
/// - a bare map with result 400/401/403 (HTTP-level answers of Kea): Http/Auth error;
/// - result 1 saying the daemon cannot be reached: DaemonOffline error;
/// - anything else that is not a Kea answer: BadAnswer error.
/// `keep`: only these members of "arguments" are built (AnswerKeys); "result" and "text" always are.
core::Result<Answer> parse_answer(unsigned http_status, std::string_view body,
                                  const std::optional<std::string>& service, AnswerKeys keep = {});

/// Success, or a KeaError carrying Kea's text ("config-set failed: <text>").
core::Result<Answer> require_success(core::Result<Answer> answer, std::string_view command_name);

}  // namespace kea_ha::kea
