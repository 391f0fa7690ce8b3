// End-to-end: what the controller tells systemd (SPEC §9, Type=notify), read from the
// NOTIFY_SOCKET a test creates, the way systemd's own socket works: READY=1 once the API
// listens, STATUS= with a one-line cluster summary updated on change, WATCHDOG=1 at half
// of WATCHDOG_USEC, STOPPING=1 at SIGTERM. The machine has no systemd as PID 1, so this is
// how the unit's notify protocol is checked here.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/controller_process.hpp"
#include "support/lab_controller.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::lab::KeaLab;
using kea_ha::lab::wait_until;
using kea_ha::testing::ControllerProcess;
using kea_ha::testing::make_temp_directory;

/// A datagram socket like systemd's notify socket; collects every message.
class NotifySocket {
public:
    explicit NotifySocket(const std::string& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
        bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    }
    ~NotifySocket() {
        if (fd_ >= 0) ::close(fd_);
        ::unlink(path_.c_str());
    }
    bool ok() const { return bound_; }
    /// Reads what arrived; every datagram's lines become messages.
    const std::vector<std::string>& drain() {
        char buffer[4096];
        for (;;) {
            const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) break;
            std::string datagram(buffer, static_cast<std::size_t>(n));
            std::size_t start = 0;
            while (start < datagram.size()) {
                auto end = datagram.find('\n', start);
                if (end == std::string::npos) end = datagram.size();
                if (end > start) messages_.push_back(datagram.substr(start, end - start));
                start = end + 1;
            }
        }
        return messages_;
    }
    std::size_t count(const std::string& message) {
        std::size_t n = 0;
        for (const auto& m : drain()) n += m == message ? 1 : 0;
        return n;
    }
    bool saw(const std::string& message) { return count(message) > 0; }
    std::string all() {
        std::string text;
        for (const auto& m : drain()) text += m + "\n";
        return text;
    }

private:
    std::string path_;
    int fd_ = -1;
    bool bound_ = false;
    std::vector<std::string> messages_;
};

TEST(SystemdNotifyE2E, ReadyStatusWatchdogAndStopping) {
    auto started = KeaLab::start({});
    ASSERT_TRUE(started) << started.error().describe();
    auto lab = std::move(*started);
    const std::string directory = make_temp_directory("kea-ha-notify");
    NotifySocket notify(directory + "/notify.sock");
    ASSERT_TRUE(notify.ok()) << std::strerror(errno);

    // The controller inherits the environment systemd would give it.
    ::setenv("NOTIFY_SOCKET", (directory + "/notify.sock").c_str(), 1);
    ::setenv("WATCHDOG_USEC", "400000", 1);  // 0.4 s: a ping every 0.2 s
    std::map<std::string, std::string> settings = {{"keaPollInterval", "0.5"}, {"keaRequestTimeout", "1"}};
    kea_ha::testing::add_lab_credentials(*lab, settings);
    auto controller = std::make_unique<ControllerProcess>(directory, std::move(settings));
    const auto up = controller->start();
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ASSERT_TRUE(up.ok()) << up.error().describe();

    ASSERT_TRUE(wait_until([&] { return notify.saw("READY=1"); }, 10s, 20ms)) << notify.all();
    EXPECT_TRUE(notify.saw("STATUS=0 clusters")) << notify.all();

    nlohmann::json body = {{"name", "pair"}, {"url", lab->peer("server1").url}};
    auto added = controller->request("POST", "/v1/clusters", body.dump(), {{"Content-Type", "application/json"}});
    ASSERT_TRUE(added && added->status == 201) << (added ? added->body : added.error().describe());
    EXPECT_TRUE(wait_until([&] { return notify.saw("STATUS=1 cluster: 1 OK"); }, 10s, 50ms)) << notify.all();

    // Pings from the event loop: at 0.2 s intervals, at least 5 in 2 s (polled, no sleep).
    const auto pings_before = notify.count("WATCHDOG=1");
    EXPECT_TRUE(wait_until([&] { return notify.count("WATCHDOG=1") >= pings_before + 5; }, 5s, 50ms))
        << notify.all();

    // A state change updates STATUS once, not at every poll.
    ASSERT_TRUE(lab->stop_dhcp("server1").ok());
    EXPECT_TRUE(wait_until([&] { return notify.saw("STATUS=1 cluster: 1 Impaired"); }, 10s, 50ms)) << notify.all();
    const auto impaired = notify.count("STATUS=1 cluster: 1 Impaired");
    EXPECT_TRUE(wait_until([&] { return notify.count("WATCHDOG=1") >= pings_before + 10; }, 5s, 50ms));
    EXPECT_EQ(notify.count("STATUS=1 cluster: 1 Impaired"), impaired) << notify.all();

    EXPECT_EQ(controller->stop(), 0);
    EXPECT_TRUE(notify.saw("STOPPING=1")) << notify.all();
    controller.reset();
    if (!::testing::Test::HasFailure()) std::filesystem::remove_all(directory);
}

}  // namespace
