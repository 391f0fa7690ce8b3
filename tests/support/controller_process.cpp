#include "support/controller_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "kea_ha/lab/kea_lab.hpp"

namespace kea_ha::testing {

std::string built_binary(const std::string& name) { return std::string(KEA_HA_BINARY_DIR) + "/" + name; }

std::string make_temp_directory(const std::string& prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return pattern;
}

ShellRun run_shell(const std::string& command) {
    ShellRun result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return result;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe)) result.output += buffer.data();
    const int raw = ::pclose(pipe);
    result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return result;
}

ControllerProcess::ControllerProcess(std::string directory, std::map<std::string, std::string> settings,
                                     std::string extra_xml)
    : directory_(std::move(directory)), settings_(std::move(settings)), extra_xml_(std::move(extra_xml)) {
    if (!settings_.count("apiListen")) {
        port_ = free_port();
        settings_["apiListen"] = "127.0.0.1:" + std::to_string(port_);
    } else {
        const auto& listen = settings_["apiListen"];
        port_ = static_cast<unsigned short>(std::stoi(listen.substr(listen.rfind(':') + 1)));
    }
    if (!settings_.count("stateDirectory")) settings_["stateDirectory"] = directory_ + "/state";
    if (!settings_.count("logLevel")) settings_["logLevel"] = "debug";
    // Issue 32: the daemon refuses to start without a token unless told; a test that sets no
    // token runs an open loopback API on purpose.
    if (!settings_.count("apiTokenFile") && !settings_.count("apiTokensFile") && !settings_.count("apiAllowNoToken")) {
        settings_["apiAllowNoToken"] = "1";
    }
    // The labs' peers (LabTransport::Direct, Kea 3.x) take basic auth over http on loopback.
    if (!settings_.count("keaAllowBasicAuthOverHttp")) settings_["keaAllowBasicAuthOverHttp"] = "1";
    // The labs' and fakes' peers are on loopback addresses; their secret files in /tmp.
    if (!settings_.count("keaAllowedHosts")) settings_["keaAllowedHosts"] = "127.0.0.0/8, ::1";
    if (!settings_.count("secretsDirectory")) settings_["secretsDirectory"] = "/";
}

ControllerProcess::~ControllerProcess() {
    if (pid_ > 0) stop(std::chrono::seconds(5));
}

void ControllerProcess::write_preferences() const {
    std::ofstream out(preferences_path());
    out << "<?xml version=\"1.0\"?>\n<preferences>\n";
    for (const auto& [key, value] : settings_) out << "  <" << key << " value=\"" << value << "\"/>\n";
    out << extra_xml_ << "</preferences>\n";
}

core::Status ControllerProcess::start(std::chrono::milliseconds timeout) {
    write_preferences();
    const std::string binary = built_binary("kea-ha-controller");
    const std::string log_path = directory_ + "/controller.log";
    const std::string prefs = preferences_path();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return core::make_error(core::ErrorKind::Io, "fork failed");
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        ::execl(binary.c_str(), binary.c_str(), "-p", prefs.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    pid_ = pid;
    const bool up = lab::wait_until(
        [&] {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return true;
            }
            auto reply = http_request("127.0.0.1", port_, "GET", "/v1/health", {}, {}, std::chrono::seconds(1));
            return reply && reply->status == 200;
        },
        timeout, std::chrono::milliseconds(50));
    if (!up || pid_ < 0) {
        if (pid_ > 0) kill9();
        return core::make_error(core::ErrorKind::Timeout, "controller did not come up; log:\n" + log());
    }
    return core::Done{};
}

int ControllerProcess::stop(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    pid_t done = 0;
    lab::wait_until([&] { done = ::waitpid(pid_, &status, WNOHANG); return done == pid_; }, timeout,
                    std::chrono::milliseconds(20));
    if (done != pid_) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return -1;
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void ControllerProcess::kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

std::string ControllerProcess::log() const {
    std::ifstream in(directory_ + "/controller.log");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

core::Result<HttpReply> ControllerProcess::request(const std::string& method, const std::string& target,
                                                   const std::string& body,
                                                   const std::map<std::string, std::string>& headers) const {
    return http_request("127.0.0.1", port_, method, target, body, headers);
}

core::Result<nlohmann::json> ControllerProcess::get_json(const std::string& target) const {
    auto reply = request("GET", target);
    if (!reply) return reply.error();
    if (reply->status != 200) {
        return core::make_error(core::ErrorKind::Http, "GET " + target + ": HTTP " + std::to_string(reply->status) +
                                                           " " + reply->body);
    }
    auto parsed = nlohmann::json::parse(reply->body, nullptr, false);
    if (parsed.is_discarded()) return core::make_error(core::ErrorKind::BadAnswer, "not JSON: " + reply->body);
    return parsed;
}

}  // namespace kea_ha::testing
