// Kea commands and answers: building the wire text, reading what comes back. Pure.

#include "kea_ha/kea/command.hpp"

#include "kea_ha/core/json_depth.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <simdjson.h>

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

/// A well-formed element with a Kea command result code (0..5) as an Answer or an error.
core::Result<Answer> element_to_answer(Element element, const std::optional<std::string>& service) {
    switch (element.result) {
        case 0:
        case 2:
        case 3:
        case 4:
        case 5:
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

/// Whether a member called `name` is kept: it is one of the AnswerKeys, or they are empty (all).
bool kept(AnswerKeys keep, std::string_view name) {
    return keep.empty() || std::find(keep.begin(), keep.end(), name) != keep.end();
}

/// nlohmann's SAX events → a DOM like json::parse builds, except that inside an answer's
/// "arguments" only the members named in `keep` are built (AnswerKeys). Skipped subtrees
/// are still read (the text must be valid JSON) but allocate nothing.
class FilteringBuilder {
public:
    FilteringBuilder(json& root, AnswerKeys keep) : root_(root), keep_(keep) {}

    bool null() { return scalar(nullptr); }
    bool boolean(bool value) { return scalar(value); }
    bool number_integer(json::number_integer_t value) { return scalar(value); }
    bool number_unsigned(json::number_unsigned_t value) { return scalar(value); }
    bool number_float(json::number_float_t value, const json::string_t& /*text*/) { return scalar(value); }
    bool string(json::string_t& value) { return scalar(std::move(value)); }
    bool binary(json::binary_t& value) { return scalar(json::binary(std::move(value))); }
    bool start_object(std::size_t /*elements*/) { return open(json::object()); }
    bool start_array(std::size_t /*elements*/) { return open(json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(json::string_t& name) {
        if (skipped_depth_ > 0) return true;
        const Frame& top = stack_.back();
        if (top.filtered && !kept(keep_, name)) {
            skip_value_ = true;
            return true;
        }
        next_is_arguments_ = top.answer && name == "arguments";
        slot_ = &(*top.value)[name];
        return true;
    }
    bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                     const nlohmann::detail::exception& /*error*/) {
        return false;
    }

private:
    struct Frame {
        json* value;
        bool filtered;  ///< object members are filtered by keep_
        bool answer;    ///< an answer element: {"result", "text", "arguments"}
    };

    /// Where a new value goes: the root, the end of the open list, or the member just named.
    json* place(json value) {
        if (stack_.empty()) {
            root_ = std::move(value);
            return &root_;
        }
        json& top = *stack_.back().value;
        if (top.is_array()) {
            top.push_back(std::move(value));
            return &top.back();
        }
        *slot_ = std::move(value);
        return slot_;
    }
    template <typename Value>
    bool scalar(Value&& value) {
        if (skipped_depth_ > 0) return true;
        if (skip_value_) {
            skip_value_ = false;
            return true;
        }
        place(json(std::forward<Value>(value)));
        return true;
    }
    bool open(json container) {
        if (skipped_depth_ > 0 || skip_value_) {
            skip_value_ = false;
            ++skipped_depth_;
            return true;
        }
        const bool is_object = container.is_object();
        // Answer elements: the top-level object, or the objects of a top-level list.
        const bool answer = is_object && (stack_.empty() || (stack_.size() == 1 && stack_.front().value->is_array()));
        // Inside "arguments" of an answer element, and everything below it, is filtered.
        const bool in_object = !stack_.empty() && stack_.back().value->is_object();
        const bool filtered = !stack_.empty() && (stack_.back().filtered || (in_object && next_is_arguments_));
        stack_.push_back({place(std::move(container)), filtered, answer});
        return true;
    }
    bool close() {
        if (skipped_depth_ > 0) {
            --skipped_depth_;
            return true;
        }
        stack_.pop_back();
        return true;
    }

    json& root_;
    AnswerKeys keep_;
    std::vector<Frame> stack_;
    json* slot_ = nullptr;
    bool skip_value_ = false;
    bool next_is_arguments_ = false;
    std::size_t skipped_depth_ = 0;
};

/// simdjson's element → json, as FilteringBuilder builds it (members of objects at or below
/// "arguments" filtered by `keep`). False for what json would read differently (a number
/// beyond 64 bits): the caller then lets nlohmann read the whole body.
bool convert(simdjson::dom::element element, AnswerKeys keep, bool filtered, json& out) {
    using simdjson::dom::element_type;
    switch (element.type()) {
        case element_type::ARRAY: {
            out = json::array();
            for (const simdjson::dom::element child : simdjson::dom::array(element)) {
                json value;
                if (!convert(child, keep, filtered, value)) return false;
                out.push_back(std::move(value));
            }
            return true;
        }
        case element_type::OBJECT: {
            out = json::object();
            for (const simdjson::dom::key_value_pair member : simdjson::dom::object(element)) {
                if (filtered && !kept(keep, member.key)) continue;
                if (!convert(member.value, keep, filtered, out[std::string(member.key)])) return false;
            }
            return true;
        }
        case element_type::INT64: {
            // nlohmann keeps non-negative integers as unsigned.
            const std::int64_t value = std::int64_t(element);
            if (value >= 0) {
                out = static_cast<std::uint64_t>(value);
            } else {
                out = value;
            }
            return true;
        }
        case element_type::UINT64: out = std::uint64_t(element); return true;
        case element_type::DOUBLE: out = double(element); return true;
        case element_type::STRING: out = std::string(std::string_view(element)); return true;
        case element_type::BOOL: out = bool(element); return true;
        case element_type::NULL_VALUE: out = nullptr; return true;
    }
    return false;
}

/// An answer (a Kea answer element, or a list of them) read by simdjson, about ten times
/// faster than nlohmann's lexer on a status-get answer. nullopt when simdjson cannot read
/// it or it is large (the parser keeps its buffers for the thread's life): nlohmann then
/// reads it, with its messages.
std::optional<json> fast_parse(std::string_view body, AnswerKeys keep) {
    constexpr std::size_t kFastLimit = 64 * 1024;
    if (body.size() > kFastLimit) return std::nullopt;
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
    // Answer elements: the top-level object, or the objects of a top-level list.
    const auto answer = [&](simdjson::dom::element element, json& out) {
        if (element.type() != simdjson::dom::element_type::OBJECT) return convert(element, keep, false, out);
        out = json::object();
        for (const simdjson::dom::key_value_pair member : simdjson::dom::object(element)) {
            if (!convert(member.value, keep, member.key == "arguments", out[std::string(member.key)])) return false;
        }
        return true;
    };
    json out;
    if (root.type() == simdjson::dom::element_type::ARRAY) {
        out = json::array();
        for (const simdjson::dom::element child : simdjson::dom::array(root)) {
            json value;
            if (!answer(child, value)) return std::nullopt;
            out.push_back(std::move(value));
        }
    } else if (!answer(root, out)) {
        return std::nullopt;
    }
    return out;
}

/// Kea's answers nest about 10 levels; a config document of an operator's a few more.
constexpr std::size_t kMaxAnswerDepth = 256;

/// json::parse(body, nullptr, false), building only what `keep` asks for inside "arguments".
json parse_body(std::string_view body, AnswerKeys keep) {
    if (keep.empty()) return json::parse(body, nullptr, false);
    if (auto fast = fast_parse(body, keep)) return std::move(*fast);
    json root;
    FilteringBuilder builder(root, keep);
    if (!json::sax_parse(body, &builder)) return json(json::value_t::discarded);
    return root;
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
                                  const std::optional<std::string>& service, AnswerKeys keep) {
    // Authentication failures win over whatever the body says (it is often empty).
    if (http_status == 401 || http_status == 403) {
        std::string text;
        auto parsed = core::json_nesting_depth(body) > kMaxAnswerDepth ? json(json::value_t::discarded)
                                                                        : json::parse(body, nullptr, false);
        if (parsed.is_object()) {
            if (auto t = parsed.find("text"); t != parsed.end() && t->is_string()) text = t->get<std::string>();
        }
        return http_level_error(http_status, text);
    }

    // Deeper than any Kea answer: refused before parsing (everything after recurses per level).
    if (const auto depth = core::json_nesting_depth(body); depth > kMaxAnswerDepth) {
        return make_error(ErrorKind::BadAnswer, "answer nests " + std::to_string(depth) + " levels deep (more than " +
                                                    std::to_string(kMaxAnswerDepth) + "): not a Kea answer");
    }
    auto parsed = parse_body(body, keep);
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
    if (answer->result == KeaResult::PartlyApplied)
        message += " (result 5: Kea changed part of its running config and could not roll back)";
    return make_error(ErrorKind::KeaError, std::move(message));
}

}  // namespace kea_ha::kea
