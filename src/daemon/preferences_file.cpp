#include "kea_ha/daemon/preferences_file.hpp"

#include "kea_ha/core/secret.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kea_ha::daemon {
namespace {

core::Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return core::make_error(core::ErrorKind::Io,
                                std::string("cannot read file: ") + std::strerror(errno), path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        return core::make_error(core::ErrorKind::Io, "read failed", path);
    }
    return text.str();
}

}  // namespace

core::Result<core::ParsedPreferences> load_preferences_file(const std::string& path) {
    auto text = read_file(path);
    if (!text) return text.error();
    return core::parse_preferences(*text, path);
}

core::Result<std::string> read_secret_file(const std::string& path, std::string_view key) {
    auto text = read_file(path);
    if (!text) {
        return core::make_error(core::ErrorKind::Io,
                                std::string(key) + ": " + text.error().message, path);
    }
    // One rule for every secret file, the CLI's --token-file included (core/secret.hpp).
    auto secret = core::secret_from_text(*text);
    if (!secret) return core::make_error(core::ErrorKind::Invalid, std::string(key) + ": " + secret.error().message, path);
    return secret;
}

core::Result<std::vector<core::ApiToken>> read_api_tokens_file(const std::string& path) {
    auto text = read_file(path);
    if (!text) return core::make_error(core::ErrorKind::Io, "apiTokensFile: " + text.error().message, path);
    return core::parse_api_tokens(*text, path);
}

}  // namespace kea_ha::daemon
