#include "kea_ha/daemon/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kea_ha::daemon {
namespace {

namespace fs = std::filesystem;

std::string errno_text() { return std::strerror(errno); }

core::Error io_error(const std::string& path, const std::string& step) {
    return core::make_error(core::ErrorKind::Io, step + ": " + errno_text(), path);
}

bool write_all(int fd, const std::string& contents) {
    std::size_t done = 0;
    while (done < contents.size()) {
        const auto n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

core::Status fsync_directory(const std::string& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error(directory, "open directory");
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return io_error(directory, "fsync directory");
    return core::Done{};
}

std::string utc_stamp() {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
    return text;
}

/// Cluster names are validated by the API ([A-Za-z0-9._-]); this guards the file system anyway.
bool safe_name(const std::string& name) {
    if (name.empty() || name == "." || name == "..") return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

core::Status write_file_atomically(const std::string& path, const std::string& contents) {
    const fs::path target(path);
    const std::string directory = target.parent_path().empty() ? "." : target.parent_path().string();
    std::string temp = path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(temp.data());
    if (fd < 0) return io_error(path, "create temporary file");
    ::fchmod(fd, 0640);
    const bool written = write_all(fd, contents);
    const bool synced = written && ::fsync(fd) == 0;
    const int saved_errno = errno;
    ::close(fd);
    if (!written || !synced) {
        errno = saved_errno;
        auto error = io_error(path, written ? "fsync" : "write");
        ::unlink(temp.c_str());
        return error;
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        auto error = io_error(path, "rename");
        ::unlink(temp.c_str());
        return error;
    }
    return fsync_directory(directory);
}

core::Result<StateStore> StateStore::open(const std::string& directory) {
    std::error_code ec;
    fs::create_directories(fs::path(directory) / "clusters", ec);
    if (ec) {
        return core::make_error(core::ErrorKind::Io, "cannot create state directory: " + ec.message(),
                                directory);
    }
    fs::permissions(directory, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec,
                    fs::perm_options::replace, ec);
    // Prove the directory is writable now rather than at the first state change.
    const std::string probe = (fs::path(directory) / ".write-test").string();
    if (auto written = write_file_atomically(probe, "ok\n"); !written) {
        return core::make_error(core::ErrorKind::Io,
                                "state directory is not writable: " + written.error().message,
                                directory);
    }
    fs::remove(probe, ec);
    return StateStore(directory);
}

std::vector<StoredCluster> StateStore::load_all(std::vector<StoreProblem>& problems) const {
    std::vector<StoredCluster> clusters;
    const fs::path dir = fs::path(directory_) / "clusters";
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    if (ec) {
        problems.push_back({dir.string(), "cannot list: " + ec.message()});
        return clusters;
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        const std::string name = file.stem().string();
        std::ifstream in(file, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        std::string reason;
        nlohmann::json document;
        if (!in) {
            reason = "unreadable: " + errno_text();
        } else {
            document = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
            if (document.is_discarded()) {
                reason = "not valid JSON";
            } else if (!document.is_object()) {
                reason = "not a JSON object";
            }
        }
        if (!safe_name(name)) reason = "file name is not a valid cluster name";
        if (reason.empty()) {
            clusters.push_back({name, std::move(document)});
            continue;
        }
        // SPEC §10: report and set aside, never drop silently.
        const std::string aside = file.string() + ".corrupt-" + utc_stamp();
        fs::rename(file, aside, ec);
        problems.push_back({file.string(), reason + (ec ? "; could not set it aside: " + ec.message()
                                                        : "; set aside as " + aside)});
    }
    return clusters;
}

core::Status StateStore::save(const StoredCluster& cluster) const {
    return save_text(cluster.name, cluster.document.dump(2) + "\n");
}

core::Status StateStore::save_text(const std::string& name, const std::string& text) const {
    if (!safe_name(name)) return core::make_error(core::ErrorKind::Invalid, "invalid cluster name", name);
    const auto path = (fs::path(directory_) / "clusters" / (name + ".json")).string();
    return write_file_atomically(path, text);
}

core::Status StateStore::remove(const std::string& name) const {
    if (!safe_name(name)) return core::make_error(core::ErrorKind::Invalid, "invalid cluster name", name);
    const auto path = fs::path(directory_) / "clusters" / (name + ".json");
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) return core::make_error(core::ErrorKind::Io, "remove: " + ec.message(), path.string());
    return fsync_directory((fs::path(directory_) / "clusters").string());
}

}  // namespace kea_ha::daemon
