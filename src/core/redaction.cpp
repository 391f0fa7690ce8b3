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

std::size_t redact_secrets(nlohmann::json& document) {
    std::size_t redacted = 0;
    std::vector<nlohmann::json*> todo{&document};
    while (!todo.empty()) {
        nlohmann::json* value = todo.back();
        todo.pop_back();
        if (value->is_object()) {
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
