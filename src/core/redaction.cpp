#include "kea_ha/core/redaction.hpp"

#include <cctype>
#include <string>
#include <vector>

namespace kea_ha::core {

bool names_a_secret(std::string_view member) {
    std::string name(member);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto ends_with = [&](std::string_view tail) {
        return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
    };
    return name.find("password") != std::string::npos || name.find("secret") != std::string::npos ||
           name.find("token") != std::string::npos || name == "key" || ends_with("-key") || ends_with("_key");
}

namespace {

/// A JSON Pointer ("/Dhcp4/lease-database/password") with a segment that names a secret.
bool path_names_a_secret(const std::string& pointer) {
    std::size_t start = 0;
    while (start < pointer.size()) {
        if (pointer[start] == '/') ++start;
        const auto end = pointer.find('/', start);
        std::string segment = pointer.substr(start, end == std::string::npos ? std::string::npos : end - start);
        // RFC 6901 escapes: "~1" is "/", "~0" is "~".
        for (std::size_t at = segment.find("~1"); at != std::string::npos; at = segment.find("~1", at + 1)) segment.replace(at, 2, "/");
        for (std::size_t at = segment.find("~0"); at != std::string::npos; at = segment.find("~0", at + 1)) segment.replace(at, 2, "~");
        if (names_a_secret(segment)) return true;
        if (end == std::string::npos) break;
        start = end;
    }
    return false;
}

}  // namespace

std::size_t redact_secrets(nlohmann::json& document) {
    std::size_t redacted = 0;
    std::vector<nlohmann::json*> todo{&document};
    while (!todo.empty()) {
        nlohmann::json* value = todo.back();
        todo.pop_back();
        if (value->is_object()) {
            // A JSON Patch operation: the secret's name is in its path, not a member name.
            const auto path = value->find("path");
            const auto placed = value->find("value");
            if (path != value->end() && path->is_string() && placed != value->end() &&
                path_names_a_secret(path->get_ref<const std::string&>()) &&
                !(placed->is_string() && placed->get_ref<const std::string&>() == kRedacted)) {
                *placed = std::string(kRedacted);
                ++redacted;
            }
            for (auto it = value->begin(); it != value->end(); ++it) {
                if (names_a_secret(it.key())) {
                    if (!(it->is_string() && it->get_ref<const std::string&>() == kRedacted)) {
                        *it = std::string(kRedacted);
                        ++redacted;
                    }
                } else if (it->is_structured()) {
                    todo.push_back(&*it);
                }
            }
        } else if (value->is_array()) {
            for (auto& element : *value) {
                if (element.is_structured()) todo.push_back(&element);
            }
        }
    }
    return redacted;
}

}  // namespace kea_ha::core
