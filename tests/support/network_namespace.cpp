#include "support/network_namespace.hpp"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kea_ha::testing {

using core::ErrorKind;
using core::make_error;

core::Status enter_own_network_namespace() {
    // Once per process: the lab's spawner thread, started by the first lab, stays in the
    // namespace it was born in, so every later lab and controller must share it.
    static bool entered = false;
    if (entered) return core::Done{};
    if (::unshare(CLONE_NEWNET) != 0) {
        return make_error(ErrorKind::Io, std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno) +
                                             " (the HA-truth end-to-end tests need root)");
    }
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(ErrorKind::Io, std::string("socket: ") + std::strerror(errno));
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    int rc = ::ioctl(fd, SIOCGIFFLAGS, &request);
    if (rc == 0) {
        request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
        rc = ::ioctl(fd, SIOCSIFFLAGS, &request);
    }
    const int err = errno;
    ::close(fd);
    if (rc != 0) return make_error(ErrorKind::Io, std::string("bringing lo up: ") + std::strerror(err));
    entered = true;
    return core::Done{};
}

core::Status iptables(const std::vector<std::string>& args) {
    std::string command = "iptables -w";
    for (const auto& arg : args) {
        command += " '";
        for (char c : arg) command += c == '\'' ? std::string("'\\''") : std::string(1, c);
        command += "'";
    }
    command += " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return make_error(ErrorKind::Io, "cannot run " + command + ": " + std::strerror(errno));
    std::string output;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
    const int status = ::pclose(pipe);
    if (status != 0) {
        return make_error(ErrorKind::Io, command + " failed (status " + std::to_string(status) + "): " + output);
    }
    return core::Done{};
}

namespace {
std::vector<std::string> with_action(const char* action, const std::vector<std::string>& spec) {
    std::vector<std::string> args = {action};
    args.insert(args.end(), spec.begin(), spec.end());
    return args;
}
}  // namespace

FilterRule::FilterRule(std::vector<std::string> spec)
    : spec_(std::move(spec)), added_(iptables(with_action("-A", spec_))), present_(static_cast<bool>(added_)) {}

FilterRule::~FilterRule() { (void)remove(); }

core::Status FilterRule::remove() {
    if (!present_) return core::Done{};
    auto removed = iptables(with_action("-D", spec_));
    if (removed) present_ = false;
    return removed;
}

}  // namespace kea_ha::testing
