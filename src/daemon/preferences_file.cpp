#include "kea_ha/daemon/preferences_file.hpp"

#include "kea_ha/core/secret.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kea_ha::daemon {
namespace {

/// A secret file is one line: a token or a password (issue 32: a bigger file is refused).
constexpr std::size_t kMaxSecretFileSize = 4096;
/// apiTokensFile: one line per named client (a few hundred clients at most).
constexpr std::size_t kMaxTokensFileSize = 64 * 1024;

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

namespace {

/// The secret files' rule (issue 32), for any file holding secrets: only from below
/// `directory`, opened without following a link, a regular file of at most `max_size` bytes,
/// not readable or writable by others nor by a group other than the daemon's own. Its text.
core::Result<std::string> read_guarded_file(const std::string& path, std::string_view key, const std::string& directory,
                                            std::size_t max_size) {
    const auto refuse = [&](const std::string& why) {
        return core::make_error(core::ErrorKind::Invalid, std::string(key) + ": " + why, path);
    };
    // Issue 32: one directory for every secret; a path is compared as written, made lexically
    // normal ("a/../b"), so ".." cannot leave it.
    const auto normal = std::filesystem::path(path).lexically_normal();
    auto base = std::filesystem::path(directory).lexically_normal();
    if (!base.has_filename()) base = base.parent_path();  // "/etc/x/" is "/etc/x"
    const auto inside = normal.lexically_relative(base);
    if (!normal.is_absolute() || inside.empty() || inside.native().rfind("..", 0) == 0 || inside == ".") {
        return refuse("secret files are read only from below secretsDirectory " + directory);
    }
    // No link followed, no FIFO or device waited on (O_NONBLOCK), only a small regular file.
    const int fd = ::open(normal.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP) return refuse("is a symbolic link (secret files are opened without following links)");
        return core::make_error(core::ErrorKind::Io, std::string(key) + ": cannot read file: " + std::strerror(errno), path);
    }
    struct Closer { int fd; ~Closer() { ::close(fd); } } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0) return core::make_error(core::ErrorKind::Io, std::string(key) + ": stat failed", path);
    if (!S_ISREG(info.st_mode)) return refuse("is not a regular file");
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    if ((info.st_mode & (S_IROTH | S_IWOTH)) != 0 || (info.st_mode & S_IWGRP) != 0 ||
        ((info.st_mode & S_IRGRP) != 0 && info.st_gid != ::getegid())) {
        return refuse(std::string("mode ") + mode +
                      " lets others read or write it: chmod 0600 (or 0640 with the service's group)");
    }
    if (info.st_size > static_cast<off_t>(max_size)) {
        return refuse("is larger than " + std::to_string(max_size) + " bytes");
    }
    std::string text(max_size + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        const auto n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return core::make_error(core::ErrorKind::Io, std::string(key) + ": read failed: " + std::strerror(errno), path);
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got > max_size) return refuse("is larger than " + std::to_string(max_size) + " bytes");
    text.resize(got);
    return text;
}

}  // namespace

core::Result<std::string> read_secret_file(const std::string& path, std::string_view key, const std::string& directory) {
    // A secret is one line: a password or a token.
    auto text = read_guarded_file(path, key, directory, kMaxSecretFileSize);
    if (!text) return text.error();
    // One rule for every secret file, the CLI's --token-file included (core/secret.hpp).
    auto secret = core::secret_from_text(*text);
    if (!secret) return core::make_error(core::ErrorKind::Invalid, std::string(key) + ": " + secret.error().message, path);
    return secret;
}

core::Result<std::vector<core::ApiToken>> read_api_tokens_file(const std::string& path, const std::string& directory) {
    // It holds every client's token: the secret files' rule, with room for many clients.
    auto text = read_guarded_file(path, "apiTokensFile", directory, kMaxTokensFileSize);
    if (!text) return text.error();
    return core::parse_api_tokens(*text, path);
}

}  // namespace kea_ha::daemon
