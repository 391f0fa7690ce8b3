#pragma once
// The real kea-ha-controller binary as a child process, for end-to-end tests. It dies with
// the test process (PR_SET_PDEATHSIG) and is stopped by PID in the destructor.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"
#include "support/http_probe.hpp"

namespace kea_ha::testing {

class ControllerProcess {
public:
    /// `directory`: where preferences.cfg, the state directory and the log go (kept across restarts).
    /// `settings`: preferences keys → values (apiListen is chosen here unless given).
    ControllerProcess(std::string directory, std::map<std::string, std::string> settings = {},
                      std::string extra_xml = {});
    ~ControllerProcess();
    ControllerProcess(const ControllerProcess&) = delete;
    ControllerProcess& operator=(const ControllerProcess&) = delete;

    /// Starts the binary and waits for GET /v1/health; an error carries the log tail.
    core::Status start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    /// SIGTERM and wait (SIGKILL after `timeout`); returns the exit status or -1.
    int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// SIGKILL, no clean-up by the daemon.
    void kill9();
    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }
    unsigned short port() const { return port_; }
    const std::string& directory() const { return directory_; }
    std::string preferences_path() const { return directory_ + "/preferences.cfg"; }
    std::string log() const;

    core::Result<HttpReply> request(const std::string& method, const std::string& target,
                                    const std::string& body = {},
                                    const std::map<std::string, std::string>& headers = {}) const;
    /// GET target and parse the JSON body (error when not 200 or not JSON).
    core::Result<nlohmann::json> get_json(const std::string& target) const;

    /// Writes preferences.cfg from the settings (also done by start()).
    void write_preferences() const;
    std::map<std::string, std::string>& settings() { return settings_; }

private:
    std::string directory_;
    std::map<std::string, std::string> settings_;
    std::string extra_xml_;
    unsigned short port_ = 0;
    pid_t pid_ = -1;
};

/// Path of a binary built by this build tree (kea-ha-controller, kea-ha-ctl).
std::string built_binary(const std::string& name);

/// A fresh temporary directory (removed by the caller or left for inspection).
std::string make_temp_directory(const std::string& prefix);

/// What a shell command printed (stdout and stderr, merged) and its exit status (-1: killed).
struct ShellRun {
    int status = -1;
    std::string output;
};
/// Runs `command` with /bin/sh, stderr merged into stdout.
ShellRun run_shell(const std::string& command);

}  // namespace kea_ha::testing
