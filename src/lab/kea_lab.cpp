// KeaLab: real Kea 2.2, 2.6 and 3.0 daemons on loopback (see kea_lab.hpp). Plain POSIX:
// fork/exec (through chroot for the Debian roots) for the daemons, bind mounts for the lab
// directory, blocking sockets with poll() deadlines for HTTP. Links only kea_ha_core.

#include "kea_ha/lab/kea_lab.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <condition_variable>
#include <future>
#include <mutex>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace kea_ha::lab {

using core::ErrorKind;
using core::make_error;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

/// What the lab does differently per Kea version (the lab's own table; the controller's is
/// include/kea_ha/kea/kea_version.hpp).
struct LabKea {
    const char* version;
    bool control_agent;        ///< kea-ctrl-agent exists (none from 3.2)
    bool own_http_socket;      ///< kea-dhcpX serves HTTP itself (`control-sockets` list, 3.0+)
    bool ha_user_file;         ///< HA peers' `basic-auth-user-file` (3.2; `basic-auth-password-file` is 2.2+)
    bool from_source;          ///< its root is built from ISC's source (KEA_HA_KEA_SOURCE), not Debian's
    const char* hooks_dir;     ///< the only directory Kea 2.6.3+ loads hooks from
};
// Debian's packages keep hooks in the multiarch directory; the 3.2 root's Kea, built from
// ISC's source with prefix /usr/local, in /usr/local/lib64/kea/hooks (`kea-dhcp4 -W`).
constexpr LabKea kLabKeas[] = {
    {"2.2", true, false, false, false, "/usr/lib/x86_64-linux-gnu/kea/hooks/"},
    {"2.6", true, false, false, false, "/usr/lib/x86_64-linux-gnu/kea/hooks/"},
    {"3.0", true, true, false, false, "/usr/lib/x86_64-linux-gnu/kea/hooks/"},
    {"3.2", false, true, true, true, "/usr/local/lib64/kea/hooks/"},
};

const LabKea* lab_kea(const std::string& version) {
    for (const auto& k : kLabKeas)
        if (version == k.version) return &k;
    return nullptr;
}

/// From 2.4 the HA hook serves its peers on its own listener at the HA `url`: one port per
/// relationship, after the CA's default 8000 (LabOptions::control_port).
constexpr std::uint16_t kHaPortBase = 8001;
constexpr std::uint16_t kHaPorts = 2;  // a peer takes part in at most two relationships
constexpr const char* kOwnerFile = ".kea-ha-lab-owner";
constexpr std::size_t kMaxAnswer = 256u * 1024u * 1024u;
constexpr auto kCommandTimeout = std::chrono::seconds(10);
constexpr auto kStopGrace = std::chrono::seconds(5);

std::string errno_text(int err) { return std::strerror(err); }

// ---------------------------------------------------------------------------------------------
// Small helpers: base64, files, log tails.

std::string base64(const std::string& in) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += tbl[v & 63];
    }
    const std::size_t rest = in.size() - i;
    if (rest == 1) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += "==";
    } else if (rest == 2) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

bool write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    return static_cast<bool>(out);
}

std::string tail_lines(const std::string& path, std::size_t lines) {
    std::ifstream in(path);
    if (!in) return {};
    std::deque<std::string> last;
    std::string line;
    while (std::getline(in, line)) {
        last.push_back(std::move(line));
        if (last.size() > lines) last.pop_front();
    }
    std::string out;
    for (const auto& l : last) out += "    " + l + "\n";
    return out;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// True if a listening socket could be bound on address:port right now (SO_REUSEADDR, like Kea's CA).
bool bindable(const std::string& address, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    bool ok = ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) == 1 &&
              ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 && ::listen(fd, 1) == 0;
    ::close(fd);
    return ok;
}

// ---------------------------------------------------------------------------------------------
// Processes.

struct Process {
    std::string what;          ///< "kea-dhcp4 of server1"
    std::vector<std::string> argv;
    std::string workdir;       ///< KEA_PIDFILE_DIR / KEA_LOCKFILE_DIR (and, in a root, every KEA_*_DIR)
    std::string root;          ///< "" for the system's Kea; else the Debian root to chroot into
    bool enabled = true;       ///< false: this lab has no such daemon (the CA on the direct transport)
    std::string output_path;   ///< stdout + stderr
    std::string log_path;      ///< the daemon's own log file (loggers)
    std::vector<std::string> extra_env;  ///< VAR=VALUE added to its environment (libfaketime)
    pid_t pid = -1;
    std::string last_exit;     ///< "exited with status 1" once reaped

    bool running() {
        if (pid <= 0) return false;
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == 0) return true;
        if (r == pid) record_exit(status);
        else pid = -1;  // not our child any more (ECHILD): nothing to wait for
        return false;
    }

    void record_exit(int status) {
        if (WIFEXITED(status)) last_exit = "exited with status " + std::to_string(WEXITSTATUS(status));
        else if (WIFSIGNALED(status)) last_exit = "killed by signal " + std::to_string(WTERMSIG(status));
        else last_exit = "ended";
        pid = -1;
    }

    std::string tail(std::size_t lines = 20) const {
        std::string out;
        const std::string log = tail_lines(log_path, lines);
        if (!log.empty()) out += "  last lines of " + log_path + ":\n" + log;
        const std::string o = tail_lines(output_path, lines);
        if (!o.empty()) out += "  last lines of " + output_path + ":\n" + o;
        if (out.empty()) out = "  (no output in " + log_path + " or " + output_path + ")\n";
        return out;
    }
};

/// PR_SET_PDEATHSIG fires when the parent *thread* ends, not the process: a lab started from a
/// short-lived thread (std::async, a worker) would lose its daemons with that thread. So every
/// fork happens on one helper thread that lives as long as the process. Its state is leaked on
/// purpose: nothing to destroy while it may still be waiting at exit.
pid_t run_on_spawner_thread(const std::function<pid_t()>& fork_child) {
    struct Spawner {
        std::mutex mutex;
        std::condition_variable cv;
        std::deque<std::packaged_task<pid_t()>> queue;
    };
    static Spawner* spawner = [] {
        auto* sp = new Spawner;
        std::thread([sp] {
            while (true) {
                std::packaged_task<pid_t()> task;
                {
                    std::unique_lock lock(sp->mutex);
                    sp->cv.wait(lock, [sp] { return !sp->queue.empty(); });
                    task = std::move(sp->queue.front());
                    sp->queue.pop_front();
                }
                task();
            }
        }).detach();
        return sp;
    }();
    std::packaged_task<pid_t()> task(fork_child);
    auto result = task.get_future();
    {
        std::lock_guard lock(spawner->mutex);
        spawner->queue.push_back(std::move(task));
    }
    spawner->cv.notify_one();
    return result.get();
}

core::Status spawn(Process& p) {
    if (!p.enabled) return make_error(ErrorKind::Conflict, p.what + ": this lab has none (direct transport)");
    if (p.running()) return make_error(ErrorKind::Conflict, p.what + " is already running (pid " + std::to_string(p.pid) + ")");

    // Everything the child needs is prepared before fork(): the child only calls async-signal-safe functions.
    // Kea 2.6.3+ only accepts sockets, lease files and logs inside these directories.
    static const std::vector<std::string> kDirVars = {"KEA_PIDFILE_DIR", "KEA_LOCKFILE_DIR", "KEA_CONTROL_SOCKET_DIR",
                                                      "KEA_DHCP_DATA_DIR", "KEA_LOG_FILE_DIR"};
    std::vector<std::string> env_strings;
    for (char** e = environ; e && *e; ++e) {
        const std::string_view v(*e);
        const bool ours = std::any_of(kDirVars.begin(), kDirVars.end(),
                                      [&](const std::string& var) { return v.starts_with(var + "="); });
        if (ours || (!p.root.empty() && v.starts_with("PATH="))) continue;
        env_strings.emplace_back(v);
    }
    for (const auto& var : kDirVars) env_strings.push_back(var + "=" + p.workdir);
    env_strings.insert(env_strings.end(), p.extra_env.begin(), p.extra_env.end());
    if (!p.root.empty()) env_strings.push_back("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    // chroot(8) and the daemon both exec: the child's PID stays the daemon's.
    std::vector<std::string> args = p.argv;
    if (!p.root.empty()) args.insert(args.begin(), {"chroot", p.root});
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);

    const int out = ::open(p.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) return make_error(ErrorKind::Io, "cannot open " + p.output_path + ": " + errno_text(errno));
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = ::getpid();

    int fork_errno = 0;
    const pid_t pid = run_on_spawner_thread([&]() -> pid_t {
        const pid_t child = ::fork();
        if (child == 0) {
            ::setpgid(0, 0);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
            if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
            ::dup2(out, STDOUT_FILENO);
            ::dup2(out, STDERR_FILENO);
            // Do not leak the parent's descriptors (test sockets, other labs' files) into Kea.
            if (::close_range(3, ~0U, 0) != 0)
                for (int fd = 3; fd < 1024; ++fd) ::close(fd);
            ::execvpe(argv[0], argv.data(), envp.data());
            static const char msg[] = "exec failed\n";
            [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
            ::_exit(127);
        }
        if (child < 0) fork_errno = errno;
        return child;
    });
    if (pid < 0) {
        const int err = fork_errno;
        ::close(out);
        if (devnull >= 0) ::close(devnull);
        return make_error(ErrorKind::Io, "fork for " + p.what + " failed: " + errno_text(err));
    }
    ::setpgid(pid, pid);  // also from the parent, so it holds before we might signal the group
    ::close(out);
    if (devnull >= 0) ::close(devnull);
    p.pid = pid;
    p.last_exit.clear();
    return core::Done{};
}

/// SIGTERM every running process, wait up to kStopGrace for all, then SIGKILL the rest; reap.
void stop_processes(const std::vector<Process*>& procs) {
    std::vector<Process*> live;
    for (Process* p : procs)
        if (p->running()) live.push_back(p);
    for (Process* p : live) ::kill(p->pid, SIGTERM);
    const auto deadline = Clock::now() + kStopGrace;
    while (true) {
        std::erase_if(live, [](Process* p) { return !p->running(); });
        if (live.empty() || Clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (Process* p : live) {
        ::kill(p->pid, SIGKILL);
        int status = 0;
        while (::waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
        }
        p->record_exit(status);
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP.

struct Url {
    std::string host;
    std::string port = "80";
    std::string target = "/";
};

std::optional<Url> parse_url(const std::string& url) {
    const std::string scheme = "http://";
    if (url.rfind(scheme, 0) != 0) return std::nullopt;
    Url u;
    std::string rest = url.substr(scheme.size());
    const auto slash = rest.find('/');
    if (slash != std::string::npos) {
        u.target = rest.substr(slash);
        rest = rest.substr(0, slash);
    }
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string::npos) return std::nullopt;
        u.host = rest.substr(1, close - 1);
        if (close + 1 < rest.size()) {
            if (rest[close + 1] != ':') return std::nullopt;
            u.port = rest.substr(close + 2);
        }
    } else {
        const auto colon = rest.rfind(':');
        if (colon != std::string::npos) {
            u.host = rest.substr(0, colon);
            u.port = rest.substr(colon + 1);
        } else {
            u.host = rest;
        }
    }
    if (u.host.empty() || u.port.empty()) return std::nullopt;
    return u;
}

class FdGuard {
public:
    explicit FdGuard(int fd) : fd_(fd) {}
    ~FdGuard() {
        if (fd_ >= 0) ::close(fd_);
    }
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

/// Waits for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error (errno set).
int wait_fd(int fd, short events, Clock::time_point deadline) {
    while (true) {
        pollfd pfd{fd, events, 0};
        const int ms = remaining_ms(deadline);
        if (ms == 0) return 0;
        const int r = ::poll(&pfd, 1, ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) return 0;
        return 1;
    }
}

struct HttpResponse {
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
    std::string body;
};

std::optional<std::string> header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return std::nullopt;
}

/// Parses the head (status line + headers) of `raw` if complete; returns the body offset or npos.
std::size_t parse_head(const std::string& raw, HttpResponse& out, std::string& problem) {
    const auto end = raw.find("\r\n\r\n");
    if (end == std::string::npos) return std::string::npos;
    std::istringstream in(raw.substr(0, end));
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) {
        problem = "not an HTTP/1.x status line: '" + line.substr(0, 80) + "'";
        return std::string::npos;
    }
    try {
        out.status = std::stoi(line.substr(9, 3));
    } catch (const std::exception&) {
        problem = "bad HTTP status line: '" + line.substr(0, 80) + "'";
        return std::string::npos;
    }
    out.reason = line.size() > 13 ? line.substr(13) : "";
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        const auto first = value.find_first_not_of(" \t");
        value = first == std::string::npos ? "" : value.substr(first);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
        out.headers.emplace_back(lower(line.substr(0, colon)), value);
    }
    return end + 4;
}

/// Decodes a chunked body; nullopt while incomplete, sets problem on a framing error.
std::optional<std::string> dechunk(const std::string& data, std::string& problem) {
    std::string out;
    std::size_t pos = 0;
    while (true) {
        const auto eol = data.find("\r\n", pos);
        if (eol == std::string::npos) return std::nullopt;
        std::size_t size = 0;
        try {
            size = std::stoul(data.substr(pos, eol - pos), nullptr, 16);
        } catch (const std::exception&) {
            problem = "bad chunk size";
            return std::nullopt;
        }
        pos = eol + 2;
        if (size == 0) return out;
        if (data.size() < pos + size + 2) return std::nullopt;
        out.append(data, pos, size);
        pos += size + 2;
    }
}

core::Result<HttpResponse> http_post(const Url& u, const std::string& body, Clock::time_point deadline,
                                     const std::optional<std::string>& auth_user,
                                     const std::optional<std::string>& auth_password) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (const int rc = ::getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res); rc != 0 || !res)
        return make_error(ErrorKind::Refused, "cannot resolve " + u.host + ": " + ::gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);

    FdGuard fd(::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return make_error(ErrorKind::Io, "socket: " + errno_text(errno));
    if (::connect(fd.get(), res->ai_addr, res->ai_addrlen) < 0) {
        if (errno == ECONNREFUSED) return make_error(ErrorKind::Refused, "connect: connection refused");
        if (errno != EINPROGRESS) return make_error(ErrorKind::Refused, "connect: " + errno_text(errno));
        const int w = wait_fd(fd.get(), POLLOUT, deadline);
        if (w == 0) return make_error(ErrorKind::Timeout, "connect timed out");
        if (w < 0) return make_error(ErrorKind::Io, "poll: " + errno_text(errno));
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == ECONNREFUSED) return make_error(ErrorKind::Refused, "connect: connection refused");
        if (err != 0) return make_error(ErrorKind::Refused, "connect: " + errno_text(err));
    }

    std::string request = "POST " + u.target + " HTTP/1.1\r\n";
    request += "Host: " + (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) + ":" + u.port + "\r\n";
    request += "Content-Type: application/json\r\n";
    request += "Accept: application/json\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "Connection: close\r\n";
    if (auth_user)
        request += "Authorization: Basic " + base64(*auth_user + ":" + auth_password.value_or("")) + "\r\n";
    request += "\r\n";
    request += body;

    std::size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            const int w = wait_fd(fd.get(), POLLOUT, deadline);
            if (w == 0) return make_error(ErrorKind::Timeout, "timed out sending the request");
            if (w < 0) return make_error(ErrorKind::Io, "poll: " + errno_text(errno));
            continue;
        }
        if (n < 0 && errno == ECONNREFUSED) return make_error(ErrorKind::Refused, "send: connection refused");
        return make_error(ErrorKind::Http, "send: " + errno_text(errno));
    }

    std::string raw;
    HttpResponse resp;
    std::size_t body_at = std::string::npos;
    char buf[65536];
    while (true) {
        // Complete already?
        if (body_at == std::string::npos) {
            std::string problem;
            resp = HttpResponse{};
            body_at = parse_head(raw, resp, problem);
            if (!problem.empty()) return make_error(ErrorKind::Http, problem);
        }
        if (body_at != std::string::npos) {
            if (auto te = header(resp, "transfer-encoding"); te && lower(*te).find("chunked") != std::string::npos) {
                std::string problem;
                auto decoded = dechunk(raw.substr(body_at), problem);
                if (!problem.empty()) return make_error(ErrorKind::Http, problem);
                if (decoded) {
                    resp.body = std::move(*decoded);
                    return resp;
                }
            } else if (auto cl = header(resp, "content-length")) {
                std::size_t want = 0;
                try {
                    want = std::stoul(*cl);
                } catch (const std::exception&) {
                    return make_error(ErrorKind::Http, "bad Content-Length '" + *cl + "'");
                }
                if (want > kMaxAnswer) return make_error(ErrorKind::TooLarge, "answer of " + *cl + " bytes");
                if (raw.size() - body_at >= want) {
                    resp.body = raw.substr(body_at, want);
                    return resp;
                }
            }
        }
        if (raw.size() > kMaxAnswer) return make_error(ErrorKind::TooLarge, "answer larger than the limit");

        const int w = wait_fd(fd.get(), POLLIN, deadline);
        if (w == 0) return make_error(ErrorKind::Timeout, raw.empty() ? "timed out waiting for the answer"
                                                                      : "timed out reading the answer");
        if (w < 0) return make_error(ErrorKind::Io, "poll: " + errno_text(errno));
        const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
            if (errno == ECONNREFUSED) return make_error(ErrorKind::Refused, "recv: connection refused");
            if (errno == ECONNRESET && raw.empty()) return make_error(ErrorKind::Http, "connection reset before an answer");
            return make_error(ErrorKind::Http, "recv: " + errno_text(errno));
        }
        if (n == 0) {  // closed by the peer
            if (body_at == std::string::npos)
                return make_error(ErrorKind::Http, raw.empty() ? "connection closed without an answer"
                                                               : "connection closed inside the HTTP head");
            if (header(resp, "content-length") || header(resp, "transfer-encoding"))
                return make_error(ErrorKind::Http, "connection closed before the whole body arrived");
            resp.body = raw.substr(body_at);
            return resp;
        }
        raw.append(buf, static_cast<std::size_t>(n));
    }
}

// ---------------------------------------------------------------------------------------------
// Tools (openssl) run to completion, and commands over a daemon's unix socket.

/// Runs `argv` (searched in PATH) with its output appended to `output_path`, and waits.
core::Status run_tool(const std::vector<std::string>& argv, const std::string& output_path) {
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<std::string> args = argv;
    std::vector<char*> cargs;
    for (auto& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, cargs[0], &actions, nullptr, cargs.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return make_error(ErrorKind::Io, "cannot run " + argv[0] + ": " + errno_text(rc));
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return make_error(ErrorKind::Io, argv[0] + " failed (see " + output_path + ")\n" + tail_lines(output_path, 10));
    return core::Done{};
}

/// One command to a Kea daemon's unix control socket (raw JSON, no HTTP; Kea answers one map
/// and closes), with a deadline.
core::Result<nlohmann::json> unix_command(const std::string& path, const std::string& body, Clock::time_point deadline) {
    FdGuard fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return make_error(ErrorKind::Io, "socket: " + errno_text(errno));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) return make_error(ErrorKind::Invalid, "socket path too long: " + path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
        return make_error(errno == ENOENT || errno == ECONNREFUSED ? ErrorKind::Refused : ErrorKind::Io,
                          "connect " + path + ": " + errno_text(errno));
    std::size_t sent = 0;
    while (sent < body.size()) {
        const ssize_t n = ::send(fd.get(), body.data() + sent, body.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(ErrorKind::Io, "send " + path + ": " + errno_text(errno));
        sent += static_cast<std::size_t>(n);
    }
    std::string raw;
    char buf[65536];
    while (true) {
        // Kea may keep the connection open: stop as soon as what arrived is one JSON value.
        // Parsed only when it can be complete (it ends with '}'), not at every chunk of a large answer.
        const auto last = raw.find_last_not_of(" \t\r\n");
        if (last != std::string::npos && raw[last] == '}') {
            auto parsed = nlohmann::json::parse(raw, nullptr, false);
            if (!parsed.is_discarded()) return parsed;
        }
        const int w = wait_fd(fd.get(), POLLIN, deadline);
        if (w == 0) return make_error(ErrorKind::Timeout, "timed out waiting for " + path);
        if (w < 0) return make_error(ErrorKind::Io, "poll: " + errno_text(errno));
        const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(ErrorKind::Io, "recv " + path + ": " + errno_text(errno));
        if (n == 0) return make_error(ErrorKind::BadAnswer, "answer on " + path + " is not JSON: " + raw.substr(0, 200));
        raw.append(buf, static_cast<std::size_t>(n));
        if (raw.size() > kMaxAnswer) return make_error(ErrorKind::TooLarge, "answer larger than the limit");
    }
}

// ---------------------------------------------------------------------------------------------
// Bind mounts of lab directories into a root.

/// Mount points listed in /proc/self/mountinfo (field 5, with its octal escapes decoded).
std::vector<std::string> mount_points() {
    std::vector<std::string> out;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string field, point;
        for (int i = 0; i < 5 && fields >> field; ++i) point = field;
        std::string decoded;
        for (std::size_t i = 0; i < point.size(); ++i) {
            if (point[i] == '\\' && i + 3 < point.size() && std::isdigit(static_cast<unsigned char>(point[i + 1]))) {
                decoded += static_cast<char>(std::stoi(point.substr(i + 1, 3), nullptr, 8));
                i += 3;
            } else {
                decoded += point[i];
            }
        }
        out.push_back(std::move(decoded));
    }
    return out;
}

/// Unmounts `point` (lazily if busy) and removes the then empty mount point. Never deletes
/// anything inside it: while mounted it is the lab directory itself.
void unmount_lab(const std::string& point) {
    if (point.empty()) return;
    if (is_mount_point(point) && ::umount2(point.c_str(), 0) != 0) ::umount2(point.c_str(), MNT_DETACH);
    if (!is_mount_point(point)) ::rmdir(point.c_str());
}

/// True while the process named in the lab directory's owner file is alive.
bool owner_alive(const std::string& directory) {
    std::ifstream in(directory + "/" + kOwnerFile);
    long pid = 0;
    if (!(in >> pid) || pid <= 0) return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

/// Lab directories bind-mounted into `root` by a lab whose process is gone (a killed test).
void remove_stale_mounts(const std::string& root) {
    const std::string prefix = root + "/";
    for (const auto& point : mount_points()) {
        if (!point.starts_with(prefix)) continue;
        if (fs::path(point).filename().string().rfind("kea-ha-lab-", 0) != 0) continue;
        if (!owner_alive(point)) unmount_lab(point);
    }
}

const std::vector<std::string> kActiveStates = {"hot-standby", "load-balancing", "backup", "passive-backup"};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Free functions.

const std::vector<std::string>& lab_kea_versions() {
    static const std::vector<std::string> versions = [] {
        std::vector<std::string> out;
        for (const auto& k : kLabKeas) out.emplace_back(k.version);
        return out;
    }();
    return versions;
}

std::string lab_kea_versions_text() {
    const auto& versions = lab_kea_versions();
    std::string text;
    for (std::size_t i = 0; i < versions.size(); ++i)
        text += (i == 0 ? "" : i + 1 == versions.size() ? " or " : ", ") + versions[i];
    return text;
}

bool lab_kea_has_control_agent(const std::string& version) {
    const auto* k = lab_kea(version);
    return !k || k->control_agent;  // an unknown version is refused by KeaLab::start, not here
}

bool lab_kea_built_from_source(const std::string& version) {
    const auto* k = lab_kea(version);
    return k && k->from_source;
}

std::string lab_kea_version_from_env() {
    const char* v = std::getenv("KEA_HA_LAB_KEA");
    if (!v || !*v) return "2.2";
    const std::string version(v);
    if (!lab_kea(version))
        throw std::invalid_argument("KEA_HA_LAB_KEA must be " + lab_kea_versions_text() + " (got '" + version + "')");
    return version;
}

bool is_mount_point(const std::string& path) {
    const auto points = mount_points();
    return std::find(points.begin(), points.end(), path) != points.end();
}

core::Result<std::string> lab_root(const std::string& version) {
    if (version == "2.2") return std::string();
    const auto* kea = lab_kea(version);
    if (!kea)
        return make_error(ErrorKind::Invalid, "lab Kea must be " + lab_kea_versions_text() + ", not '" + version + "'");
    const char* env = std::getenv("KEA_HA_ROOTS");
    const std::string roots = (env && *env) ? env : "/var/cache/kea-ha-controller/roots";
    const std::string root = roots + "/kea-" + version;
    std::ifstream stamp(root + "/.kea-ha-root");
    std::string stamped;
    const bool good = stamp && std::getline(stamp, stamped) && stamped == version &&
                      fs::exists(root + "/usr/sbin/kea-dhcp4") &&
                      (!kea->control_agent || fs::exists(root + "/usr/sbin/kea-ctrl-agent"));
    if (!good && kea->from_source)
        return make_error(ErrorKind::NotFound,
                          "no ready Kea " + version + " root at " + root + " (Kea " + version +
                              " is in no Debian suite: build it from ISC's source with "
                              "KEA_HA_KEA_SOURCE=DIR scripts/kea-roots.sh, docs/kea-versions.md)");
    if (!good)
        return make_error(ErrorKind::NotFound, "no ready Kea " + version + " root at " + root +
                                                   " (build it with scripts/kea-roots.sh, which scripts/install-deps.sh runs)");
    return root;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        const auto now = Clock::now();
        if (now >= deadline) return false;
        std::this_thread::sleep_for(std::min<Clock::duration>(step, deadline - now));
    }
}

core::Result<nlohmann::json> post_json(const std::string& url, const nlohmann::json& body,
                                       std::chrono::milliseconds timeout,
                                       const std::optional<std::string>& auth_user,
                                       const std::optional<std::string>& auth_password) {
    const auto u = parse_url(url);
    if (!u) return make_error(ErrorKind::Invalid, "not an http:// URL: '" + url + "'", url);
    auto resp = http_post(*u, body.dump(), Clock::now() + timeout, auth_user, auth_password);
    if (!resp) {
        auto e = resp.error();
        e.where = url;
        return e;
    }
    const auto snippet = resp->body.substr(0, 300);
    if (resp->status == 401 || resp->status == 403)
        return make_error(ErrorKind::Auth, "HTTP " + std::to_string(resp->status) + " " + resp->reason + ": " + snippet, url);
    if (resp->status < 200 || resp->status > 299)
        return make_error(ErrorKind::Http, "HTTP " + std::to_string(resp->status) + " " + resp->reason + ": " + snippet, url);
    try {
        return nlohmann::json::parse(resp->body);
    } catch (const nlohmann::json::exception& e) {
        return make_error(ErrorKind::BadAnswer, std::string("answer is not JSON (") + e.what() + "): " + snippet, url);
    }
}

// ---------------------------------------------------------------------------------------------
// KeaLab.

struct KeaLab::Impl {
    /// One HA relationship of the lab: its members, in the order of its `peers` list.
    struct Member {
        std::size_t peer;      ///< index into peers
        std::string name;      ///< this-server-name
        std::string role;
        std::string ha_url;
    };
    struct Relation {
        std::vector<Member> members;
        std::string subnet4, pool4, subnet6, pool6;
    };

    LabOptions options;
    std::string directory;
    bool own_directory = false;
    std::string root;            ///< "" for the system's Kea
    std::string mount_point;     ///< root + directory while bind-mounted
    std::string password_file;
    std::string user_file;
    std::string tls_ca_file, tls_ca_key;  ///< with options.tls: the lab's own CA
    std::vector<LabPeer> peers;
    std::vector<Relation> relations;
    std::vector<Process> dhcp;   // parallel to peers
    std::vector<Process> agent;  // parallel to peers
    bool stopped = false;

    bool direct() const { return options.transport == LabTransport::Direct; }
    /// The version's row (KeaLab::start refuses a version without one).
    const LabKea& kea() const { return *lab_kea(options.kea_version); }

    std::size_t index(const std::string& name) const {
        for (std::size_t i = 0; i < peers.size(); ++i)
            if (peers[i].name == name) return i;
        return peers.size();
    }

    /// Peer names and the relationships between them for the lab's shape.
    void plan(const std::string& prefix) {
        struct Spec {
            std::string peer, name, role;
        };
        std::vector<std::string> names;
        std::vector<std::vector<Spec>> specs;
        switch (options.shape) {
        case LabShape::Pair: {
            names = {"server1", "server2"};
            if (options.with_backup) names.push_back("server3");
            const std::string second = options.mode == LabMode::HotStandby ? "standby" : "secondary";
            std::vector<Spec> one = {{"server1", "server1", "primary"}, {"server2", "server2", second}};
            if (options.with_backup) one.push_back({"server3", "server3", "backup"});
            specs = {one};
            break;
        }
        case LabShape::HubAndSpoke:
            names = {"hub", "branch1", "branch2"};
            specs = {{{"branch1", "branch1", "primary"}, {"hub", "hub1", "standby"}},
                     {{"branch2", "branch2", "primary"}, {"hub", "hub2", "standby"}}};
            break;
        case LabShape::MutualPair:
            names = {"a", "b"};
            specs = {{{"a", "a1", "primary"}, {"b", "b1", "standby"}}, {{"b", "b2", "primary"}, {"a", "a2", "standby"}}};
            break;
        }
        for (std::size_t i = 0; i < names.size(); ++i) {
            LabPeer p;
            p.name = names[i];
            p.address = prefix + std::to_string(10 + i);
            p.port = options.control_port;
            p.url = std::string(options.tls ? "https://" : "http://") + p.address + ":" + std::to_string(p.port) + "/";
            const std::string dir = directory + "/" + p.name;
            p.dhcp_config_path = dir + "/" + options.service + ".json";
            if (!direct()) p.agent_config_path = dir + "/agent.json";
            peers.push_back(std::move(p));
        }
        static const std::vector<std::array<const char*, 4>> kSubnets = {
            {"192.0.2.0/24", "192.0.2.100 - 192.0.2.200", "2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::200"},
            {"198.51.100.0/24", "198.51.100.100 - 198.51.100.200", "2001:db8:2::/64", "2001:db8:2::100 - 2001:db8:2::200"}};
        for (std::size_t r = 0; r < specs.size(); ++r) {
            Relation rel;
            rel.subnet4 = kSubnets[r][0];
            rel.pool4 = kSubnets[r][1];
            rel.subnet6 = kSubnets[r][2];
            rel.pool6 = kSubnets[r][3];
            for (const auto& spec : specs[r]) {
                const std::size_t i = index(spec.peer);
                LabPeer& p = peers[i];
                // 2.2: the HA peers talk through the CA. 2.4+: the HA hook's own listener, a port
                // per relationship the peer takes part in.
                const auto port = root.empty() ? options.control_port
                                               : static_cast<std::uint16_t>(kHaPortBase + p.relationships.size());
                const bool through_ca = root.empty();
                const std::string ha_url = std::string(through_ca && options.tls ? "https://" : "http://") + p.address +
                                           ":" + std::to_string(port) + "/";
                rel.members.push_back({i, spec.name, spec.role, ha_url});
                p.relationships.push_back({spec.name, spec.role, ha_url, specs[r].front().name});
                if (p.relationships.size() == 1) {
                    p.role = spec.role;
                    p.ha_url = ha_url;
                }
            }
            relations.push_back(std::move(rel));
        }
    }

    /// Every port a peer listens on: the CA's (or the daemon's HTTP socket) and its HA listeners.
    std::vector<std::uint16_t> ports(const LabPeer& p) const {
        std::vector<std::uint16_t> out = {options.control_port};
        for (const auto& r : p.relationships) {
            const auto u = parse_url(r.ha_url);
            const auto port = u ? static_cast<std::uint16_t>(std::stoi(u->port)) : options.control_port;
            if (std::find(out.begin(), out.end(), port) == out.end()) out.push_back(port);
        }
        return out;
    }

    nlohmann::json dhcp_config(std::size_t i) const {
        const bool v4 = options.service == "dhcp4";
        const std::string dir = directory + "/" + peers[i].name;
        const bool several = relations.size() > 1;
        nlohmann::json ha_entries = nlohmann::json::array();
        nlohmann::json subnets = nlohmann::json::array();
        for (std::size_t r = 0; r < relations.size(); ++r) {
            const auto& rel = relations[r];
            const auto me = std::find_if(rel.members.begin(), rel.members.end(), [&](const Member& m) { return m.peer == i; });
            if (me == rel.members.end()) continue;
            nlohmann::json ha_peers = nlohmann::json::array();
            for (const auto& m : rel.members) {
                nlohmann::json e = {{"name", m.name}, {"url", m.ha_url}, {"role", m.role}, {"auto-failover", true}};
                if (options.auth_user) {
                    if (kea().ha_user_file) {
                        e["basic-auth-user-file"] = user_file;
                    } else {
                        e["basic-auth-user"] = *options.auth_user;
                    }
                    e["basic-auth-password-file"] = password_file;
                }
                ha_peers.push_back(std::move(e));
            }
            nlohmann::json entry = {
                {"this-server-name", me->name},
                {"mode", options.mode == LabMode::HotStandby ? "hot-standby" : "load-balancing"},
                {"heartbeat-delay", options.heartbeat_delay_ms},
                {"max-response-delay", options.max_response_delay_ms},
                {"max-ack-delay", options.max_ack_delay_ms},
                {"max-unacked-clients", options.max_unacked_clients},
                {"peers", ha_peers},
            };
            if (options.tls && root.empty()) {
                // 2.2: the HA peers talk through each other's HTTPS CA.
                const std::string mine = directory + "/" + peers[i].name;
                entry["trust-anchor"] = tls_ca_file;
                entry["cert-file"] = mine + "/tls.pem";
                entry["key-file"] = mine + "/tls.key";
            }
            ha_entries.push_back(std::move(entry));
            nlohmann::json subnet = {{"id", r + 1},
                                     {"subnet", v4 ? rel.subnet4 : rel.subnet6},
                                     {"pools", nlohmann::json::array({{{"pool", v4 ? rel.pool4 : rel.pool6}}})}};
            // Several relationships: each subnet is served by the relationship of its primary.
            if (several) subnet["user-context"] = {{"ha-server-name", rel.members.front().name}};
            subnets.push_back(std::move(subnet));
        }
        nlohmann::json unix_socket = {{"socket-type", "unix"}, {"socket-name", dir + "/ctrl.sock"}};
        nlohmann::json cfg = {
            {"interfaces-config", {{"interfaces", nlohmann::json::array()}}},
            {"lease-database",
             {{"type", "memfile"}, {"persist", true}, {"lfc-interval", 0},
              {"name", dir + (v4 ? "/leases4.csv" : "/leases6.csv")}}},
            {"hooks-libraries",
             nlohmann::json::array({{{"library", std::string(kea().hooks_dir) + "libdhcp_lease_cmds.so"}},
                                    {{"library", std::string(kea().hooks_dir) + "libdhcp_ha.so"},
                                     {"parameters", {{"high-availability", ha_entries}}}}})},
            {"loggers",
             nlohmann::json::array({{{"name", v4 ? "kea-dhcp4" : "kea-dhcp6"},
                                     {"output_options", nlohmann::json::array({{{"output", dir + "/dhcp.log"}}})},
                                     {"severity", "INFO"}}})},
        };
        if (direct()) {
            // Kea 3.x without a CA: the daemon serves HTTP itself, with basic auth (3.2 requires it).
            nlohmann::json http = {{"socket-type", options.tls ? "https" : "http"},
                                   {"socket-address", peers[i].address},
                                   {"socket-port", options.control_port},
                                   {"authentication", authentication()}};
            if (options.tls) {
                // Kea 3.x: the daemon's own socket serves HTTPS, as a CA would (server authentication only).
                http["trust-anchor"] = tls_ca_file;
                http["cert-file"] = dir + "/tls.pem";
                http["key-file"] = dir + "/tls.key";
                http["cert-required"] = false;
            }
            cfg["control-sockets"] = nlohmann::json::array({unix_socket, http});
        } else {
            cfg["control-socket"] = unix_socket;
        }
        if (v4) {
            cfg["subnet4"] = subnets;
            return {{"Dhcp4", cfg}};
        }
        // kea-dhcp6 keeps its server DUID file in its data directory: 2.2 reads it from the
        // config, 2.6.3+ from KEA_DHCP_DATA_DIR (and rejects another one in the config).
        if (root.empty()) cfg["data-directory"] = dir;
        // Each server its own explicit DUID (DUID-EN, ISC's enterprise number), as operators
        // set them: replication must never give one peer another's (SPEC §3 server-id).
        char identifier[16];
        std::snprintf(identifier, sizeof identifier, "6b6561%02zx", i + 1);
        cfg["server-id"] = {{"type", "EN"}, {"enterprise-id", 2495}, {"identifier", identifier}};
        cfg["subnet6"] = subnets;
        return {{"Dhcp6", cfg}};
    }

    /// libfaketime (its thread-safe build: Kea runs threads), copied into the lab directory: the same path inside a Debian root (the
    /// directory is bind-mounted there) as outside. An error says which package provides it.
    core::Result<std::string> faketime_library() const {
        const std::string host = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
        const std::string copy = directory + "/libfaketimeMT.so.1";
        std::error_code ec;
        if (fs::exists(copy, ec)) return copy;
        if (!fs::exists(host, ec)) {
            return make_error(ErrorKind::NotFound, "a skewed clock needs libfaketime: " + host +
                                                       " is missing (apt-get install faketime)");
        }
        fs::copy_file(host, copy, ec);
        if (ec) return make_error(ErrorKind::Io, "cannot copy " + host + " to " + copy + ": " + ec.message());
        return copy;
    }

    nlohmann::json agent_config(std::size_t i) const {
        const std::string dir = directory + "/" + peers[i].name;
        nlohmann::json cfg = {
            {"http-host", peers[i].address},
            {"http-port", peers[i].port},
            {"control-sockets", {{options.service, {{"socket-type", "unix"}, {"socket-name", dir + "/ctrl.sock"}}}}},
            {"loggers",
             nlohmann::json::array({{{"name", "kea-ctrl-agent"},
                                     {"output_options", nlohmann::json::array({{{"output", dir + "/agent.log"}}})},
                                     {"severity", "INFO"}}})},
        };
        if (options.tls) {
            cfg["trust-anchor"] = tls_ca_file;
            cfg["cert-file"] = dir + "/tls.pem";
            cfg["key-file"] = dir + "/tls.key";
            cfg["cert-required"] = false;
        }
        if (options.auth_user) cfg["authentication"] = authentication();
        return {{"Control-agent", cfg}};
    }

    /// Basic auth with the user and the password from files (`user-file`, `password-file`: every
    /// version has them; 3.2 refuses a clear-text `user` or `password`).
    nlohmann::json authentication() const {
        return {{"type", "basic"},
                {"realm", "kea-ha-lab"},
                {"clients", nlohmann::json::array({{{"user-file", user_file}, {"password-file", password_file}}})}};
    }

    std::vector<Process*> all_processes() {
        std::vector<Process*> out;
        for (auto& p : agent)
            if (p.enabled) out.push_back(&p);
        for (auto& p : dhcp) out.push_back(&p);
        return out;
    }

    core::Status process_op(const std::string& peer, bool is_dhcp, bool start) {
        const auto i = index(peer);
        if (i >= peers.size()) return make_error(ErrorKind::NotFound, "no lab peer named '" + peer + "'");
        if (stopped) return make_error(ErrorKind::Conflict, "the lab has been stopped");
        Process& p = is_dhcp ? dhcp[i] : agent[i];
        if (!p.enabled) return make_error(ErrorKind::Conflict, p.what + ": a direct lab has no Control Agent");
        if (start) return spawn(p);
        if (!p.running()) return make_error(ErrorKind::Conflict, p.what + " is not running");
        stop_processes({&p});
        return core::Done{};
    }

    /// The lab's CA and a certificate per peer (IP subjectAltName), made with openssl.
    core::Status make_certificates() {
        tls_ca_file = directory + "/tls-ca.pem";
        tls_ca_key = directory + "/tls-ca.key";
        const std::string log = directory + "/openssl.out";
        const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
        std::vector<std::string> ca = {"openssl", "req", "-x509"};
        ca.insert(ca.end(), ec.begin(), ec.end());
        ca.insert(ca.end(), {"-keyout", tls_ca_key, "-out", tls_ca_file, "-days", "2", "-subj", "/CN=kea-ha-lab CA"});
        if (auto made = run_tool(ca, log); !made) return made;
        for (const auto& p : peers)
            if (auto made = certificate(p, true); !made) return made;
        return core::Done{};
    }

    /// `peer`'s certificate: signed by the lab CA, or self-signed (one nobody trusts).
    core::Status certificate(const LabPeer& p, bool trusted) const {
        const std::string dir = directory + "/" + p.name;
        const std::string log = directory + "/openssl.out";
        const std::string ext = dir + "/tls.ext";
        if (!write_file(ext, "subjectAltName=IP:" + p.address + "\n")) return make_error(ErrorKind::Io, "cannot write " + ext);
        std::vector<std::string> req = {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                        "-nodes", "-keyout", dir + "/tls.key", "-subj", "/CN=" + p.address};
        if (!trusted) {
            req.insert(req.begin() + 2, "-x509");
            req.insert(req.end(), {"-addext", "subjectAltName=IP:" + p.address, "-days", "2", "-out", dir + "/tls.pem"});
            return run_tool(req, log);
        }
        req.insert(req.end(), {"-out", dir + "/tls.csr"});
        if (auto made = run_tool(req, log); !made) return made;
        return run_tool({"openssl", "x509", "-req", "-in", dir + "/tls.csr", "-CA", tls_ca_file, "-CAkey", tls_ca_key,
                         "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", dir + "/tls.pem"},
                        log);
    }

    /// Makes the lab directory visible at the same path inside the root.
    core::Status mount_into_root() {
        remove_stale_mounts(root);
        if (!write_file(directory + "/" + kOwnerFile, std::to_string(::getpid()) + "\n"))
            return make_error(ErrorKind::Io, "cannot write " + directory + "/" + kOwnerFile);
        const std::string point = root + directory;
        std::error_code ec;
        fs::create_directories(point, ec);
        if (ec) return make_error(ErrorKind::Io, "cannot create the mount point " + point + ": " + ec.message());
        if (::mount(directory.c_str(), point.c_str(), nullptr, MS_BIND, nullptr) != 0) {
            const int err = errno;
            ::rmdir(point.c_str());
            return make_error(ErrorKind::Io, "cannot bind-mount " + directory + " at " + point + ": " + errno_text(err) +
                                                 (err == EPERM ? " (the Kea " + options.kea_version + " lab must run as root)" : ""));
        }
        mount_point = point;
        return core::Done{};
    }

    void stop_all() {
        stop_processes(all_processes());
        if (!mount_point.empty()) {
            unmount_lab(mount_point);
            mount_point.clear();
        }
        if (own_directory && !options.keep_dir && !directory.empty()) {
            std::error_code ec;
            fs::remove_all(directory, ec);
        }
        stopped = true;
    }
};

KeaLab::KeaLab(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KeaLab::~KeaLab() { stop_all(); }

const std::vector<LabPeer>& KeaLab::peers() const { return impl_->peers; }

const LabPeer& KeaLab::peer(const std::string& name) const {
    const auto i = impl_->index(name);
    if (i >= impl_->peers.size()) throw std::out_of_range("no lab peer named '" + name + "'");
    return impl_->peers[i];
}

const LabOptions& KeaLab::options() const { return impl_->options; }

const std::string& KeaLab::directory() const { return impl_->directory; }

const std::string& KeaLab::root() const { return impl_->root; }

const std::string& KeaLab::password_file() const { return impl_->password_file; }
const std::string& KeaLab::user_file() const { return impl_->user_file; }

const std::string& KeaLab::tls_ca_file() const { return impl_->tls_ca_file; }

core::Status KeaLab::set_certificate(const std::string& peer, bool trusted) {
    const auto i = impl_->index(peer);
    if (i >= impl_->peers.size()) return make_error(ErrorKind::NotFound, "no lab peer named '" + peer + "'");
    if (!impl_->options.tls) return make_error(ErrorKind::Conflict, "the lab has no TLS");
    // The socket that serves HTTPS: the CA's, or on the direct transport the daemon's own.
    auto& server = impl_->direct() ? impl_->dhcp[i] : impl_->agent[i];
    const bool was_running = server.running();
    if (was_running) stop_processes({&server});
    if (auto made = impl_->certificate(impl_->peers[i], trusted); !made) return made;
    if (was_running) return spawn(server);
    return core::Done{};
}

void KeaLab::stop_all() {
    if (impl_ && !impl_->stopped) impl_->stop_all();
}

core::Status KeaLab::stop_dhcp(const std::string& peer) { return impl_->process_op(peer, true, false); }
core::Status KeaLab::start_dhcp(const std::string& peer) { return impl_->process_op(peer, true, true); }
core::Status KeaLab::stop_agent(const std::string& peer) { return impl_->process_op(peer, false, false); }
core::Status KeaLab::start_agent(const std::string& peer) { return impl_->process_op(peer, false, true); }

core::Result<nlohmann::json> KeaLab::command(const std::string& peer, const std::string& name,
                                             const nlohmann::json& arguments) const {
    const auto i = impl_->index(peer);
    if (i >= impl_->peers.size()) return make_error(ErrorKind::NotFound, "no lab peer named '" + peer + "'");
    nlohmann::json body = {{"command", name}};
    if (impl_->options.tls) {
        // The lab speaks no TLS: straight to the daemon's unix socket (an answer map).
        if (!arguments.is_null()) body["arguments"] = arguments;
        auto answer = unix_command(impl_->directory + "/" + peer + "/ctrl.sock", body.dump(),
                                   Clock::now() + kCommandTimeout);
        if (!answer) {
            auto e = answer.error();
            e.where = peer + " " + name;
            return e;
        }
        return answer;
    }
    if (!impl_->direct()) body["service"] = nlohmann::json::array({impl_->options.service});
    if (!arguments.is_null()) body["arguments"] = arguments;
    auto answer = post_json(impl_->peers[i].url, body, kCommandTimeout, impl_->options.auth_user,
                            impl_->options.auth_password);
    if (!answer) {
        auto e = answer.error();
        e.where = peer + " " + name;
        return e;
    }
    if (answer->is_array()) {
        if (answer->empty()) return make_error(ErrorKind::BadAnswer, "empty answer list", peer + " " + name);
        return (*answer)[0];
    }
    if (answer->is_object()) return *answer;
    return make_error(ErrorKind::BadAnswer, "answer is neither a list nor a map: " + answer->dump().substr(0, 200),
                      peer + " " + name);
}

core::Result<std::string> KeaLab::ha_state(const std::string& peer, const std::string& server_name) const {
    auto answer = command(peer, "status-get");
    if (!answer) return answer.error();
    const auto& a = *answer;
    const std::string where = peer + " status-get";
    const int result = a.contains("result") && a["result"].is_number_integer() ? a["result"].get<int>() : -1;
    const std::string text = a.contains("text") && a["text"].is_string() ? a["text"].get<std::string>() : "";
    if (result != 0) {
        const bool offline = text.find("offline") != std::string::npos ||
                             text.find("unable to forward") != std::string::npos;
        return make_error(offline ? ErrorKind::DaemonOffline : ErrorKind::KeaError,
                          "result " + std::to_string(result) + ": " + text, where);
    }
    try {
        for (const auto& entry : a.at("arguments").at("high-availability")) {
            const auto& local = entry.at("ha-servers").at("local");
            if (server_name.empty() || local.value("server-name", "") == server_name)
                return local.at("state").get<std::string>();
        }
    } catch (const nlohmann::json::exception& e) {
        return make_error(ErrorKind::BadAnswer, std::string("no HA state in status-get: ") + e.what(), where);
    }
    return make_error(ErrorKind::BadAnswer,
                      "status-get has no HA relationship" + (server_name.empty() ? "" : " named " + server_name), where);
}

core::Result<std::unique_ptr<KeaLab>> KeaLab::start(LabOptions options) {
    if (options.service != "dhcp4" && options.service != "dhcp6")
        return make_error(ErrorKind::Invalid, "lab service must be dhcp4 or dhcp6, not '" + options.service + "'");
    if (options.auth_password && !options.auth_user)
        return make_error(ErrorKind::Invalid, "auth_password without auth_user");
    auto root = lab_root(options.kea_version);
    if (!root) return root.error();
    const auto& kea = *lab_kea(options.kea_version);  // lab_root() refused an unknown version
    if (options.transport == LabTransport::Direct && !kea.own_http_socket)
        return make_error(ErrorKind::Invalid,
                          "the direct transport (no Control Agent) needs Kea 3.0 or later, not " + options.kea_version);
    if (options.transport == LabTransport::Agent && !kea.control_agent)
        return make_error(ErrorKind::Invalid, "Kea " + options.kea_version +
                                                  " has no Control Agent: its lab runs on the direct transport only");
    if (options.shape != LabShape::Pair && options.kea_version == "2.2")
        return make_error(ErrorKind::Invalid, "hub-and-spoke and mutual-pair labs need Kea 2.6 or later (several HA relationships)");
    if (options.shape != LabShape::Pair && (options.mode != LabMode::HotStandby || options.with_backup))
        return make_error(ErrorKind::Invalid, "hub-and-spoke and mutual-pair labs are hot-standby without a backup (Kea's rule)");
    if (options.control_port == 0 ||
        (options.control_port >= kHaPortBase && options.control_port < kHaPortBase + kHaPorts))
        return make_error(ErrorKind::Invalid, "lab control port " + std::to_string(options.control_port) +
                                                  " is 0 or one of the HA listeners' (8001, 8002)");
    if (options.transport == LabTransport::Direct && !options.auth_user) {
        // The 3.2 shape: no daemon socket without authentication.
        options.auth_user = "kea-ha-lab";
        std::random_device rd;
        std::string password;
        for (int i = 0; i < 24; ++i) password += "0123456789abcdef"[rd() % 16];
        options.auth_password = password;
    }

    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->root = *root;

    // Directory.
    if (options.base_dir.empty()) {
        auto make_temp = [](std::string parent) -> std::string {
            while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
            std::string tmpl = parent + "/kea-ha-lab-XXXXXX";
            std::vector<char> buf(tmpl.begin(), tmpl.end());
            buf.push_back('\0');
            if (!::mkdtemp(buf.data())) return {};
            return std::string(buf.data());
        };
        const char* tmp = std::getenv("TMPDIR");
        std::string parent = (tmp && *tmp) ? tmp : "/tmp";
        // Unix socket paths are limited to 107 bytes: "<dir>/serverN/ctrl.sock" must fit.
        if (parent.size() + 40 > 100) parent = "/tmp";
        impl->directory = make_temp(parent);
        if (impl->directory.empty() && parent != "/tmp") impl->directory = make_temp("/tmp");
        if (impl->directory.empty())
            return make_error(ErrorKind::Io, "mkdtemp under " + parent + " failed: " + errno_text(errno));
        impl->own_directory = true;
    } else {
        std::error_code ec;
        fs::create_directories(options.base_dir, ec);
        if (ec) return make_error(ErrorKind::Io, "cannot create " + options.base_dir + ": " + ec.message());
        impl->directory = fs::absolute(options.base_dir).lexically_normal().string();
        while (impl->directory.size() > 1 && impl->directory.back() == '/') impl->directory.pop_back();
    }
    if (impl->directory.size() + std::string("/branch1/ctrl.sock").size() > 107) {
        auto dir = impl->directory;
        if (impl->own_directory) fs::remove_all(dir);
        return make_error(ErrorKind::Invalid, "lab directory path too long for a unix socket: " + dir);
    }

    // Addresses: a random 127.R1.R2.{10,11,12} block whose ports are free on every address.
    std::random_device rd;
    std::uniform_int_distribution<int> d1(100, 250), d2(1, 254);
    std::string prefix;
    for (int attempt = 0; attempt < 20 && prefix.empty(); ++attempt) {
        const std::string candidate = "127." + std::to_string(d1(rd)) + "." + std::to_string(d2(rd)) + ".";
        Impl trial;
        trial.options = options;
        trial.root = impl->root;
        trial.plan(candidate);
        bool ok = true;
        for (const auto& p : trial.peers)
            for (const auto port : trial.ports(p)) ok = ok && bindable(p.address, port);
        if (ok) prefix = candidate;
    }
    if (prefix.empty()) {
        if (impl->own_directory) fs::remove_all(impl->directory);
        return make_error(ErrorKind::Conflict, "no free 127.x.y.z block with ports " + std::to_string(options.control_port) +
                                                   ", 8001-8002 after 20 attempts");
    }
    impl->plan(prefix);
    const std::size_t count = impl->peers.size();

    auto fail = [&](core::Error e) -> core::Result<std::unique_ptr<KeaLab>> {
        impl->stop_all();
        return e;
    };

    if (!impl->root.empty()) {
        if (auto mounted = impl->mount_into_root(); !mounted) return fail(mounted.error());
    }
    if (options.auth_user) {
        // For every CA or daemon socket, the HA peers, and whoever reaches the lab (the controller
        // as keaAuthPasswordFile): the user and the password in files, the way an operator gives them.
        impl->password_file = impl->directory + "/api-password";
        impl->user_file = impl->directory + "/api-user";
        for (const auto& [file, text] : {std::pair{impl->password_file, options.auth_password.value_or("")},
                                         std::pair{impl->user_file, *options.auth_user}}) {
            if (!write_file(file, text)) return fail(make_error(ErrorKind::Io, "cannot write " + file));
            fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
        }
    }

    if (options.tls) {
        for (const auto& p : impl->peers) fs::create_directories(impl->directory + "/" + p.name);
        if (auto made = impl->make_certificates(); !made) return fail(made.error());
    }
    const std::string dhcp_binary = "kea-" + options.service;
    for (std::size_t i = 0; i < count; ++i) {
        const auto& p = impl->peers[i];
        const std::string dir = impl->directory + "/" + p.name;
        std::error_code ec;
        fs::create_directories(dir, ec);
        // 2.6.3+: the directory of control sockets must not be more open than 750.
        if (!ec) fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, ec);
        if (ec) return fail(make_error(ErrorKind::Io, "cannot create " + dir + ": " + ec.message()));
        if (!write_file(p.dhcp_config_path, impl->dhcp_config(i).dump(2) + "\n") ||
            (!impl->direct() && !write_file(p.agent_config_path, impl->agent_config(i).dump(2) + "\n")))
            return fail(make_error(ErrorKind::Io, "cannot write the configs in " + dir));

        Process d;
        d.what = dhcp_binary + " of " + p.name;
        d.argv = {dhcp_binary, "-c", p.dhcp_config_path};
        d.workdir = dir;
        d.root = impl->root;
        d.output_path = dir + "/dhcp.out";
        d.log_path = dir + "/dhcp.log";
        if (const auto skewed = options.faketime.find(p.name); skewed != options.faketime.end()) {
            auto preload = impl->faketime_library();
            if (!preload) return fail(preload.error());
            // The daemon alone runs on a shifted wall clock; its timers (monotonic) stay true.
            d.extra_env = {"LD_PRELOAD=" + *preload, "FAKETIME=" + skewed->second, "FAKETIME_DONT_FAKE_MONOTONIC=1",
                           "FAKETIME_DONT_RESET=1"};
        }
        impl->dhcp.push_back(std::move(d));

        Process a;
        a.what = "kea-ctrl-agent of " + p.name;
        a.argv = {"kea-ctrl-agent", "-c", p.agent_config_path};
        a.workdir = dir;
        a.root = impl->root;
        a.enabled = !impl->direct();
        a.output_path = dir + "/agent.out";
        a.log_path = dir + "/agent.log";
        impl->agent.push_back(std::move(a));
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (auto s = spawn(impl->dhcp[i]); !s) return fail(s.error());
        if (impl->agent[i].enabled)
            if (auto s = spawn(impl->agent[i]); !s) return fail(s.error());
    }

    // Wait until every peer reports an active HA state in each of its relationships.
    std::unique_ptr<KeaLab> lab(new KeaLab(std::move(impl)));
    Impl& im = *lab->impl_;
    const bool named = im.relations.size() > 1;  // 2.2 has no server-name in status-get
    const auto deadline = Clock::now() + options.start_timeout;
    std::vector<std::string> last(count);
    std::vector<bool> active(count, false);
    while (true) {
        for (std::size_t i = 0; i < count; ++i) {
            for (Process* p : {&im.dhcp[i], &im.agent[i]}) {
                if (p->enabled && !p->running()) {
                    auto e = make_error(ErrorKind::Internal,
                                        p->what + " " + (p->last_exit.empty() ? "is not running" : p->last_exit) +
                                            " during lab start (Kea " + options.kea_version + ", directory " +
                                            im.directory + ")\n" + p->tail(),
                                        "lab start");
                    lab->stop_all();
                    return e;
                }
            }
            if (active[i]) continue;
            bool all = true;
            for (const auto& rel : im.peers[i].relationships) {
                auto state = lab->ha_state(im.peers[i].name, named ? rel.server_name : "");
                if (!state || std::find(kActiveStates.begin(), kActiveStates.end(), *state) == kActiveStates.end()) {
                    last[i] = (named ? rel.server_name + ": " : "") +
                              (state ? "HA state " + *state : state.error().describe());
                    all = false;
                    break;
                }
            }
            active[i] = all;
        }
        if (std::all_of(active.begin(), active.end(), [](bool b) { return b; })) return lab;
        if (Clock::now() >= deadline) {
            std::string msg = "not every peer reached an active HA state within " +
                              std::to_string(options.start_timeout.count()) + " ms (Kea " + options.kea_version +
                              ", directory " + im.directory + ")";
            for (std::size_t i = 0; i < count; ++i) {
                if (active[i]) continue;
                msg += "\n" + im.peers[i].name + ": " + last[i] + "\n";
                const bool agent_problem = im.agent[i].enabled && (last[i].find("refused") != std::string::npos ||
                                                                   last[i].find("timed out") != std::string::npos);
                msg += (agent_problem ? im.agent[i] : im.dhcp[i]).tail();
            }
            lab->stop_all();
            return make_error(ErrorKind::Timeout, msg, "lab start");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

}  // namespace kea_ha::lab
