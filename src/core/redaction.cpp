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

namespace {

std::string escaped_segment(std::string key) {
    for (std::size_t at = key.find('~'); at != std::string::npos; at = key.find('~', at + 2)) key.replace(at, 1, "~0");
    for (std::size_t at = key.find('/'); at != std::string::npos; at = key.find('/', at + 2)) key.replace(at, 1, "~1");
    return key;
}

/// Visits every member that names a secret, with its JSON Pointer, without recursion.
template <typename Visit>
void for_each_secret(nlohmann::json& document, Visit&& visit) {
    std::vector<std::pair<nlohmann::json*, std::string>> todo{{&document, ""}};
    while (!todo.empty()) {
        auto [value, pointer] = std::move(todo.back());
        todo.pop_back();
        if (value->is_object()) {
            for (auto it = value->begin(); it != value->end(); ++it) {
                auto at = pointer + "/" + escaped_segment(it.key());
                if (names_a_secret(it.key())) {
                    visit(*it, at);
                } else if (it->is_structured()) {
                    todo.emplace_back(&*it, std::move(at));
                }
            }
        } else if (value->is_array()) {
            for (std::size_t i = 0; i < value->size(); ++i) {
                if ((*value)[i].is_structured()) todo.emplace_back(&(*value)[i], pointer + "/" + std::to_string(i));
            }
        }
    }
}

bool sealed(const nlohmann::json& value) {
    return value.is_string() && value.get_ref<const std::string&>().starts_with(kSealedPrefix);
}

}  // namespace

std::size_t seal_secrets(nlohmann::json& config, std::string_view salt, const SecretDigest& digest) {
    std::size_t count = 0;
    for_each_secret(config, [&](nlohmann::json& value, const std::string&) {
        if (sealed(value)) return;
        value = std::string(kSealedPrefix) + std::string(salt) + ":" + digest(salt, value.dump()) + ">";
        ++count;
    });
    return count;
}

Result<std::size_t> unseal_secrets(nlohmann::json& config, const nlohmann::json& current, const SecretDigest& digest) {
    std::size_t count = 0;
    std::string problem;
    for_each_secret(config, [&](nlohmann::json& value, const std::string& pointer) {
        if (!sealed(value) || !problem.empty()) return;
        const auto& text = value.get_ref<const std::string&>();
        const auto body = std::string_view(text).substr(kSealedPrefix.size());
        const auto colon = body.find(':');
        if (colon == std::string_view::npos || !body.ends_with('>')) {
            problem = "the kept secret at " + pointer + " is not a sealed value this version reads";
            return;
        }
        const auto salt = body.substr(0, colon);
        const auto kept = body.substr(colon + 1, body.size() - colon - 2);
        const nlohmann::json::json_pointer where(pointer);
        if (!current.contains(where)) {
            problem = "the secret at " + pointer + " is kept only as a digest, and the source of truth has none there now";
            return;
        }
        const auto& now = current.at(where);
        if (digest(salt, now.dump()) != kept) {
            problem = "the secret at " + pointer + " is kept only as a digest, and the source of truth's differs now";
            return;
        }
        value = now;
        ++count;
    });
    if (!problem.empty()) {
        return make_error(ErrorKind::Conflict, problem + ": roll back with a PUT of that config holding the secret");
    }
    return count;
}

}  // namespace kea_ha::core
