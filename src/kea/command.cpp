// Kea commands and answers: building the wire text, reading what comes back. Pure.

#include "kea_ha/kea/command.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace kea_ha::kea {

namespace {

using core::ErrorKind;
using core::make_error;
using nlohmann::json;

Command make(std::string name, std::optional<std::string> service, json arguments = nullptr) {
    return Command{std::move(name), std::move(service), std::move(arguments)};
}

/// The reason phrase of the HTTP statuses a CA or a proxy in front of it may send.
const char* reason_phrase(unsigned status) {
    switch (status) {
        case 200: return "OK";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Payload Too Large";
        case 415: return "Unsupported Media Type";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "";
    }
}

std::string status_text(unsigned status) {
    std::string text = "HTTP " + std::to_string(status);
    if (const char* reason = reason_phrase(status); *reason != '\0') {
        text += ' ';
        text += reason;
    }
    return text;
}

/// The first `limit` bytes of `text`, printable ASCII only (others become '?', whitespace ' ').
std::string sanitize(std::string_view text, std::size_t limit = 80) {
    std::string out;
    const std::size_t n = std::min(limit, text.size());
    out.reserve(n + 3);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n' || c == '\r' || c == '\t') {
            out += ' ';
        } else if (c < 0x20 || c >= 0x7f) {
            out += '?';
        } else {
            out += static_cast<char>(c);
        }
    }
    if (text.size() > limit) out += "...";
    return out;
}

const char* json_type_name(const json& value) {
    switch (value.type()) {
        case json::value_t::null: return "null";
        case json::value_t::object: return "an object";
        case json::value_t::array: return "a list";
        case json::value_t::string: return "a string";
        case json::value_t::boolean: return "a boolean";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float: return "a number";
        case json::value_t::binary: return "binary";
        case json::value_t::discarded: return "nothing";
    }
    return "something else";
}

/// Kea's words when the CA cannot reach the daemon behind it.
bool says_daemon_offline(std::string_view text) {
    static constexpr std::array<std::string_view, 4> markers = {
        "unable to forward command to the",
        "is likely to be offline",
        "forwarding socket is not configured",
        "server is likely to be offline",
    };
    for (auto marker : markers) {
        if (text.find(marker) != std::string_view::npos) return true;
    }
    return false;
}

/// An element of a Kea answer: {"result": int, "text"?: string, "arguments"?: any}.
/// Returns nullopt-like error when the shape is wrong.
struct Element {
    long long result = 0;
    std::string text;
    json arguments;
};

/// Reads one answer element; its "arguments" are moved out (a config can be megabytes).
core::Result<Element> read_element(json& value) {
    if (!value.is_object()) {
        return make_error(ErrorKind::BadAnswer,
                          std::string("answer element is ") + json_type_name(value) + ", not an object");
    }
    auto result = value.find("result");
    if (result == value.end()) {
        return make_error(ErrorKind::BadAnswer, "answer has no \"result\": " + sanitize(value.dump()));
    }
    if (!result->is_number_integer()) {
        return make_error(ErrorKind::BadAnswer, std::string("answer \"result\" is ") + json_type_name(*result) +
                                                    ", not an integer: " + sanitize(result->dump()));
    }
    Element element;
    element.result = result->get<long long>();
    if (auto text = value.find("text"); text != value.end() && !text->is_null()) {
        if (!text->is_string()) {
            return make_error(ErrorKind::BadAnswer,
                              std::string("answer \"text\" is ") + json_type_name(*text) + ", not a string");
        }
        element.text = text->get<std::string>();
    }
    if (auto arguments = value.find("arguments"); arguments != value.end()) element.arguments = std::move(*arguments);
    return element;
}

/// A well-formed element with a Kea command result code (0..4) as an Answer or an error.
core::Result<Answer> element_to_answer(Element element, const std::optional<std::string>& service) {
    switch (element.result) {
        case 0:
        case 2:
        case 3:
        case 4:
            return Answer{static_cast<KeaResult>(element.result), std::move(element.text),
                          std::move(element.arguments)};
        case 1:
            if (says_daemon_offline(element.text)) {
                return make_error(ErrorKind::DaemonOffline,
                                  "CA says " + (service ? *service : std::string("the daemon")) +
                                      " is offline: " + element.text);
            }
            return Answer{KeaResult::Error, std::move(element.text), std::move(element.arguments)};
        default:
            break;
    }
    return make_error(ErrorKind::BadAnswer, "answer has unknown result code " + std::to_string(element.result) +
                                                (element.text.empty() ? "" : ": " + element.text));
}

core::Error http_level_error(long long code, const std::string& text) {
    const auto kind = (code == 401 || code == 403) ? ErrorKind::Auth : ErrorKind::Http;
    std::string message = status_text(static_cast<unsigned>(code));
    if (!text.empty() && text != reason_phrase(static_cast<unsigned>(code))) message += ": " + text;
    if (code == 401) message += " (check keaAuthUser / keaAuthPasswordFile)";
    return make_error(kind, std::move(message));
}

}  // namespace

std::string to_wire(const Command& command) {
    // Written piece by piece: copying `arguments` into a wrapper object first would
    // duplicate a config of many megabytes on every config-test / config-set.
    std::string wire = "{\"command\": " + json(command.name).dump();
    if (command.service) wire += ", \"service\": [" + json(*command.service).dump() + "]";
    const json& arguments = command.borrowed_arguments ? *command.borrowed_arguments : command.arguments;
    if (!arguments.is_null()) {
        wire += ", \"arguments\": ";
        wire += arguments.dump();
    }
    wire += "}";
    return wire;
}

Command version_get(std::optional<std::string> service) { return make("version-get", std::move(service)); }
Command status_get(std::optional<std::string> service) { return make("status-get", std::move(service)); }
Command ha_heartbeat(std::optional<std::string> service) { return make("ha-heartbeat", std::move(service)); }
Command config_get(std::optional<std::string> service) { return make("config-get", std::move(service)); }
Command config_test(std::optional<std::string> service, nlohmann::json config) {
    return make("config-test", std::move(service), std::move(config));
}
Command config_set(std::optional<std::string> service, nlohmann::json config) {
    return make("config-set", std::move(service), std::move(config));
}
Command config_write(std::optional<std::string> service) { return make("config-write", std::move(service)); }

core::Result<Answer> parse_answer(unsigned http_status, std::string_view body,
                                  const std::optional<std::string>& service) {
    // Authentication failures win over whatever the body says (it is often empty).
    if (http_status == 401 || http_status == 403) {
        std::string text;
        auto parsed = json::parse(body, nullptr, false);
        if (parsed.is_object()) {
            if (auto t = parsed.find("text"); t != parsed.end() && t->is_string()) text = t->get<std::string>();
        }
        return http_level_error(http_status, text);
    }

    auto parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
        if (http_status != 200) return make_error(ErrorKind::Http, status_text(http_status));
        if (body.empty()) return make_error(ErrorKind::BadAnswer, "answer is not JSON: empty body");
        return make_error(ErrorKind::BadAnswer, "answer is not JSON: " + sanitize(body));
    }

    if (parsed.is_array()) {
        if (parsed.empty()) {
            if (http_status != 200) return make_error(ErrorKind::Http, status_text(http_status));
            return make_error(ErrorKind::BadAnswer, "answer is an empty list");
        }
        auto element = read_element(parsed.front());
        if (!element) {
            if (http_status != 200) return make_error(ErrorKind::Http, status_text(http_status));
            return element.error();
        }
        const auto code = element->result;
        if (code == 400 || code == 401 || code == 403) return http_level_error(code, element->text);
        auto answer = element_to_answer(std::move(element).value(), service);
        if (!answer && answer.error().kind == ErrorKind::BadAnswer && http_status != 200) {
            return make_error(ErrorKind::Http, status_text(http_status));
        }
        return answer;
    }

    if (parsed.is_object()) {
        auto element = read_element(parsed);
        if (!element) {
            if (http_status != 200) return make_error(ErrorKind::Http, status_text(http_status));
            return element.error();
        }
        const auto code = element->result;
        if (code >= 400 && code < 600) return http_level_error(code, element->text);
        // Kea 3 HTTP control sockets answer a bare map.
        auto answer = element_to_answer(std::move(element).value(), service);
        if (!answer && answer.error().kind == ErrorKind::BadAnswer && http_status != 200) {
            return make_error(ErrorKind::Http, status_text(http_status));
        }
        return answer;
    }

    if (http_status != 200) return make_error(ErrorKind::Http, status_text(http_status));
    return make_error(ErrorKind::BadAnswer, std::string("answer is ") + json_type_name(parsed) +
                                                ", not a Kea answer: " + sanitize(body));
}

core::Result<Answer> require_success(core::Result<Answer> answer, std::string_view command_name) {
    if (!answer) return answer;
    if (answer->result == KeaResult::Success) return answer;
    std::string message = std::string(command_name) + " failed: ";
    if (answer->text.empty()) {
        message += "result " + std::to_string(static_cast<int>(answer->result));
    } else {
        message += answer->text;
    }
    return make_error(ErrorKind::KeaError, std::move(message));
}

}  // namespace kea_ha::kea
