#include "kea_ha/core/secret.hpp"

namespace kea_ha::core {

Result<std::string> secret_from_text(std::string_view text) {
    if (text.find('\0') != std::string_view::npos) return make_error(ErrorKind::Invalid, "the file holds a NUL byte");
    const auto end = text.find('\n');
    std::string_view first = text.substr(0, end);
    if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
    if (end != std::string_view::npos) {
        std::string_view rest = text.substr(end + 1);
        if (rest.find_first_not_of("\r\n") != std::string_view::npos) {
            return make_error(ErrorKind::Invalid,
                              "the file has more than one line: the secret is the first line alone (remove the others)");
        }
    }
    if (first.empty()) return make_error(ErrorKind::Invalid, "the file is empty (the secret is its first line)");
    return std::string(first);
}

}  // namespace kea_ha::core
