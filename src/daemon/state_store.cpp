#include "kea_ha/daemon/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <deque>
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

/// Writes `contents` to `fd`, syncs it (fdatasync when `data_only`) and closes it; the error
/// names `path` and the step that failed.
core::Status write_synced_and_close(int fd, const std::string& path, const std::string& contents, bool data_only) {
    const bool written = write_all(fd, contents);
    const bool synced = written && (data_only ? ::fdatasync(fd) : ::fsync(fd)) == 0;
    const int saved_errno = errno;
    ::close(fd);
    if (written && synced) return core::Done{};
    errno = saved_errno;
    return io_error(path, !written ? "write" : data_only ? "fdatasync" : "fsync");
}

/// A journal's text: each line followed by a line ending.
std::string joined_lines(const std::vector<std::string>& lines) {
    std::size_t size = 0;
    for (const auto& line : lines) size += line.size() + 1;
    std::string text;
    text.reserve(size);
    for (const auto& line : lines) {
        text += line;
        text += '\n';
    }
    return text;
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

/// The format of the cluster documents this controller writes (cluster_monitor.cpp
/// document_text(): "version": 1) and reads.
constexpr std::uint64_t kStateFormatVersion = 1;

/// Why a parsed cluster document cannot be used as it is ("" when it can). A missing key is
/// fine (an older or partial document); a key of the wrong type would throw where the daemon
/// reads it (daemon.cpp, ClusterMonitor::create) and stop the start, and a newer format would
/// be read as this one and its meaning lost: both are set aside instead (SPEC §10).
std::string document_problem(const nlohmann::json& document) {
    if (const auto v = document.find("version"); v != document.end()) {
        if (!v->is_number_unsigned()) return "format version is not a number (got " + v->dump() + ")";
        if (v->get<std::uint64_t>() > kStateFormatVersion) {
            return "format version " + v->dump() + " is newer than this controller reads (" +
                   std::to_string(kStateFormatVersion) + "): written by a newer kea-ha-controller";
        }
    }
    auto wrong = [&](const nlohmann::json& parent, const char* key, auto is_type, const char* type) -> std::string {
        const auto found = parent.find(key);
        if (found == parent.end() || ((*found).*is_type)()) return {};
        return std::string(key) + " is not " + type;
    };
    using J = nlohmann::json;
    if (auto bad = wrong(document, "registration", &J::is_object, "an object"); !bad.empty()) return bad;
    if (auto bad = wrong(document, "replication", &J::is_object, "an object"); !bad.empty()) return bad;
    if (auto bad = wrong(document, "events", &J::is_array, "a list"); !bad.empty()) return bad;
    if (const auto reg = document.find("registration"); reg != document.end()) {
        for (const char* key : {"name", "url", "service"}) {
            if (auto bad = wrong(*reg, key, &J::is_string, "a string"); !bad.empty()) return "registration " + bad;
        }
        if (auto bad = wrong(*reg, "declared", &J::is_boolean, "true or false"); !bad.empty()) return "registration " + bad;
        if (const auto urls = reg->find("control_urls"); urls != reg->end()) {
            if (!urls->is_object()) return "registration control_urls is not an object";
            for (const auto& url : *urls) {
                if (!url.is_string()) return "registration control_urls has a URL that is not a string";
            }
        }
    }
    if (const auto events = document.find("events"); events != document.end()) {
        for (const auto& event : *events) {
            if (!event.is_object()) continue;  // skipped where it is read
            for (const char* key : {"cluster", "kind", "from", "to", "reason", "when"}) {
                if (auto bad = wrong(event, key, &J::is_string, "a string"); !bad.empty()) return "an event's " + bad;
            }
        }
    }
    if (const auto book = document.find("replication"); book != document.end()) {
        if (auto bad = wrong(*book, "generation", &J::is_number_unsigned, "a generation number"); !bad.empty()) {
            return "replication " + bad;
        }
        if (auto bad = wrong(*book, "sot_peer", &J::is_string, "a string"); !bad.empty()) return "replication " + bad;
    }
    return {};
}

/// Renames a damaged file to <file>.corrupt-<UTC time>, never onto an earlier one set aside in
/// the same second (rename would replace it). Says how it went, for the problem's message.
std::string set_aside(const fs::path& file) {
    std::error_code ec;
    const std::string stamp = file.string() + ".corrupt-" + utc_stamp();
    std::string aside = stamp;
    for (int n = 1; fs::exists(aside, ec) && n < 1000; ++n) aside = stamp + "." + std::to_string(n);
    fs::rename(file, aside, ec);
    return ec ? "; could not set it aside: " + ec.message() : "; set aside as " + aside;
}

const char* journal_folder(Journal journal) { return journal == Journal::Events ? "events" : "history"; }

}  // namespace

core::Status write_file_atomically(const std::string& path, const std::string& contents) {
    const fs::path target(path);
    const std::string directory = target.parent_path().empty() ? "." : target.parent_path().string();
    std::string temp = path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(temp.data());
    if (fd < 0) return io_error(path, "create temporary file");
    ::fchmod(fd, 0640);
    if (auto written = write_synced_and_close(fd, path, contents, /*data_only=*/false); !written) {
        ::unlink(temp.c_str());
        return written;
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
            } else {
                reason = document_problem(document);
            }
        }
        if (!safe_name(name)) reason = "file name is not a valid cluster name";
        if (reason.empty()) {
            clusters.push_back({name, std::move(document)});
            continue;
        }
        // SPEC §10: report and set aside, never drop silently.
        problems.push_back({file.string(), reason + set_aside(file)});
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

core::Status StateStore::save_history_config(const std::string& name, std::uint64_t generation,
                                             const std::string& text) const {
    if (!safe_name(name)) return core::make_error(core::ErrorKind::Invalid, "invalid cluster name", name);
    const auto dir = fs::path(directory_) / "history" / name;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return core::make_error(core::ErrorKind::Io, "mkdir: " + ec.message(), dir.string());
    return write_file_atomically((dir / (std::to_string(generation) + ".json")).string(), text);
}

core::Result<std::string> StateStore::load_history_config(const std::string& name, std::uint64_t generation) const {
    if (!safe_name(name)) return core::make_error(core::ErrorKind::Invalid, "invalid cluster name", name);
    const auto path = fs::path(directory_) / "history" / name / (std::to_string(generation) + ".json");
    std::ifstream in(path, std::ios::binary);
    if (!in) return core::make_error(core::ErrorKind::NotFound, "not kept", path.string());
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return core::make_error(core::ErrorKind::Io, "read failed", path.string());
    return text.str();
}

void StateStore::prune_history(const std::string& name, std::uint64_t first_kept) const {
    if (!safe_name(name)) return;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fs::path(directory_) / "history" / name, ec)) {
        const auto stem = entry.path().stem().string();
        if (entry.path().extension() != ".json" || stem.empty() ||
            stem.find_first_not_of("0123456789") != std::string::npos) {
            continue;  // not ours (a temporary file of an interrupted write is cleaned by its writer)
        }
        if (std::stoull(stem) < first_kept) fs::remove(entry.path(), ec);
    }
}

std::string StateStore::journal_path(const std::string& name, Journal journal) const {
    return (fs::path(directory_) / journal_folder(journal) / (name + ".jsonl")).string();
}

core::Status StateStore::append_journal(const std::string& name, Journal journal,
                                        const std::vector<std::string>& lines) const {
    if (!safe_name(name)) return core::make_error(core::ErrorKind::Invalid, "invalid cluster name", name);
    if (lines.empty()) return core::Done{};
    const auto path = journal_path(name, journal);
    const auto folder = fs::path(path).parent_path();
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) {
        fs::create_directories(folder, ec);
        if (ec) return core::make_error(core::ErrorKind::Io, "mkdir: " + ec.message(), folder.string());
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return io_error(path, "open for append");
    return write_synced_and_close(fd, path, joined_lines(lines), /*data_only=*/true);
}

core::Status StateStore::replace_journal(const std::string& name, Journal journal,
                                         const std::vector<std::string>& lines) const {
    if (!safe_name(name)) return core::make_error(core::ErrorKind::Invalid, "invalid cluster name", name);
    const auto path = journal_path(name, journal);
    const auto folder = fs::path(path).parent_path();
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) return core::make_error(core::ErrorKind::Io, "mkdir: " + ec.message(), folder.string());
    return write_file_atomically(path, joined_lines(lines));
}

JournalLines StateStore::load_journal(const std::string& name, Journal journal, std::size_t keep,
                                      std::vector<StoreProblem>& problems) const {
    JournalLines found;
    if (!safe_name(name)) return found;
    const auto path = journal_path(name, journal);
    std::ifstream in(path, std::ios::binary);
    if (!in) return found;  // none yet
    std::deque<std::string> last;
    std::string line;
    std::size_t number = 0;
    std::vector<std::size_t> bad;
    while (std::getline(in, line)) {
        ++number;
        const auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (parsed.is_discarded() || !parsed.is_object()) {
            bad.push_back(number);
            continue;
        }
        ++found.in_file;
        last.push_back(std::move(line));
        if (last.size() > keep) last.pop_front();
    }
    if (in.bad()) problems.push_back({path, "read failed: " + errno_text() + "; the lines before are used"});
    found.lines.assign(std::make_move_iterator(last.begin()), std::make_move_iterator(last.end()));
    if (bad.empty()) return found;
    // A torn last line (a crash in an append) or damage: the file is kept aside as it was, and
    // rewritten with its valid lines, so that the next append starts on a line of its own.
    std::string lines_text = "line " + std::to_string(bad.front());
    if (bad.size() > 1) lines_text = std::to_string(bad.size()) + " lines (first: " + std::to_string(bad.front()) + ")";
    in.close();
    std::string message = lines_text + " of " + std::to_string(number) + " not a JSON object, skipped";
    message += set_aside(path);
    if (auto rewritten = replace_journal(name, journal, found.lines); !rewritten) {
        message += "; could not rewrite it: " + rewritten.error().describe();
    }
    found.in_file = found.lines.size();
    problems.push_back({path, message});
    return found;
}

bool StateStore::has_history_config(const std::string& name, std::uint64_t generation) const {
    if (!safe_name(name)) return false;
    std::error_code ec;
    return fs::exists(fs::path(directory_) / "history" / name / (std::to_string(generation) + ".json"), ec);
}

core::Status StateStore::remove(const std::string& name) const {
    if (!safe_name(name)) return core::make_error(core::ErrorKind::Invalid, "invalid cluster name", name);
    {
        std::error_code ignored;
        fs::remove_all(fs::path(directory_) / "history" / name, ignored);
        fs::remove(journal_path(name, Journal::Events), ignored);
        fs::remove(journal_path(name, Journal::History), ignored);
    }
    const auto path = fs::path(directory_) / "clusters" / (name + ".json");
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) return core::make_error(core::ErrorKind::Io, "remove: " + ec.message(), path.string());
    return fsync_directory((fs::path(directory_) / "clusters").string());
}

}  // namespace kea_ha::daemon
