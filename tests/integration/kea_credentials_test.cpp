// Issue 32, Kea credentials only to Kea: the Control Agent client's rules (which hosts get the
// global credentials, none over plain http unless allowed, small answers capped), the secret
// files' rules, and a registration to a foreign host through the real daemon.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "kea_ha/core/host_pattern.hpp"
#include <nlohmann/json.hpp>
#include <boost/asio/io_context.hpp>

#include "kea_ha/daemon/preferences_file.hpp"
#include "kea_ha/kea/control_agent.hpp"
#include "support/ca_client_helpers.hpp"
#include "support/controller_process.hpp"
#include "support/fake_control_agent.hpp"
#include "support/run_awaitable.hpp"

namespace {

namespace kea = kea_ha::kea;
using kea_ha::testing::ControllerProcess;
using kea_ha::testing::endpoint_of;
using kea_ha::testing::FakeControlAgent;
using kea_ha::testing::FakeReply;
using kea_ha::testing::make_temp_directory;
using kea_ha::testing::run_awaitable;
using nlohmann::json;
using namespace std::chrono_literals;

const std::optional<std::string> dhcp4 = std::string("dhcp4");

class KeaCredentialsTest : public ::testing::Test {
protected:
    kea_ha::core::Result<kea::Answer> send(const kea::Command& command, kea::ClientOptions options) {
        auto client = kea::make_control_agent_client(io, std::move(options));
        return run_awaitable(io, client->send(endpoint_of(fake.url()), command, 5s), 30s);
    }
    boost::asio::io_context io;
    FakeControlAgent fake;
};

TEST_F(KeaCredentialsTest, GlobalCredentialsGoOnlyToTheAllowedHosts) {
    fake.on("status-get", FakeReply::answer(0, "", json::object()));
    kea::ClientOptions options;
    options.auth_user = "kea";
    options.auth_password = "secret";
    options.auth_hosts = kea_ha::core::parse_host_patterns("127.0.0.2, kea1.example.net").value();
    ASSERT_TRUE(send(kea::status_get(dhcp4), options));
    ASSERT_EQ(fake.requests().size(), 1u);
    EXPECT_EQ(fake.requests()[0].headers.count("authorization"), 0u) << "127.0.0.1 is not an allowed host";
    options.auth_hosts = kea_ha::core::parse_host_patterns("127.0.0.0/8").value();
    ASSERT_TRUE(send(kea::status_get(dhcp4), options));
    EXPECT_EQ(fake.requests().at(1).headers.at("authorization"), "Basic a2VhOnNlY3JldA==");
}

TEST_F(KeaCredentialsTest, BasicAuthOverHttpIsRefusedUnlessAllowed) {
    fake.on("status-get", FakeReply::answer(0, "", json::object()));
    kea::ClientOptions options;
    options.auth_user = "kea";
    options.auth_password = "secret";
    options.allow_basic_auth_over_http = false;
    auto refused = send(kea::status_get(dhcp4), options);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, kea_ha::core::ErrorKind::Auth);
    EXPECT_NE(refused.error().message.find("basic auth over http refused"), std::string::npos) << refused.error().message;
    EXPECT_TRUE(fake.requests().empty()) << "nothing was sent";
}

TEST_F(KeaCredentialsTest, PollAnswersAreCappedConfigGetIsNot) {
    const std::string big(5u << 20, 'x');
    fake.on("status-get", FakeReply::answer(0, big, json::object()));
    fake.on("config-get", FakeReply::answer(0, big, {{"Dhcp4", json::object()}}));
    auto status = send(kea::status_get(dhcp4), {});
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().kind, kea_ha::core::ErrorKind::TooLarge);
    EXPECT_NE(status.error().message.find("answer larger than"), std::string::npos) << status.error().message;
    auto config = send(kea::config_get(dhcp4), {});
    EXPECT_TRUE(config) << config.error().describe();
}

class SecretFileTest : public ::testing::Test {
protected:
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string write(const std::string& name, const std::string& text, mode_t mode) {
        const auto path = dir_ + "/" + name;
        std::ofstream(path) << text;
        ::chmod(path.c_str(), mode);
        return path;
    }
    kea_ha::core::Result<std::string> read(const std::string& path) {
        return kea_ha::daemon::read_secret_file(path, "keaAuthPasswordFile", dir_);
    }
    std::string dir_ = make_temp_directory("kea-ha-secret");
};

TEST_F(SecretFileTest, ARegularPrivateFileInTheDirectoryIsRead) {
    EXPECT_EQ(read(write("ok", "pass-word\n", 0600)).value(), "pass-word");
    EXPECT_EQ(read(write("group", "pass-word\n", 0640)).value(), "pass-word") << "the daemon's own group may read it";
}

TEST_F(SecretFileTest, EverythingElseIsRefusedSayingWhy) {
    struct Row { std::string path; std::string why; };
    const auto other = write("other", "x\n", 0644);
    const auto writable = write("writable", "x\n", 0620);
    const auto big = write("big", std::string(5000, 'x'), 0600);
    const auto target = write("target", "x\n", 0600);
    const auto link = dir_ + "/link";
    std::filesystem::create_symlink(target, link);
    const auto fifo = dir_ + "/fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const auto outside_dir = make_temp_directory("kea-ha-secret-outside");
    const auto outside = outside_dir + "/p";
    std::ofstream(outside) << "x\n";
    ::chmod(outside.c_str(), 0600);
    const Row rows[] = {
        {other, "mode 0644 lets others read or write it"},
        {writable, "mode 0620"},
        {big, "larger than 4096 bytes"},
        {link, "symbolic link"},
        {fifo, "not a regular file"},
        {outside, "only from below secretsDirectory " + dir_},
        {dir_ + "/../" + std::filesystem::path(outside_dir).filename().string() + "/p", "only from below secretsDirectory"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.path);
        const auto started = std::chrono::steady_clock::now();
        auto secret = read(row.path);
        ASSERT_FALSE(secret);
        EXPECT_NE(secret.error().describe().find(row.why), std::string::npos) << secret.error().describe();
        EXPECT_NE(secret.error().describe().find(row.path), std::string::npos) << "names the file";
        EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << "a FIFO never blocks";
    }
    std::filesystem::remove_all(outside_dir);
}

/// A controller with keaAuthUser's credentials (a password file in `dir`), sent only to
/// `allowed_hosts` (keaAllowedHosts).
std::unique_ptr<ControllerProcess> credentialed_controller(const std::string& dir, const std::string& allowed_hosts) {
    std::ofstream(dir + "/password") << "kea-password\n";
    ::chmod((dir + "/password").c_str(), 0600);
    return std::make_unique<ControllerProcess>(dir, std::map<std::string, std::string>{
                                                        {"keaAuthUser", "kea"},
                                                        {"keaAuthPasswordFile", dir + "/password"},
                                                        {"secretsDirectory", dir},
                                                        {"keaAllowedHosts", allowed_hosts}});
}

/// Registering `body` is refused 422 host-not-allowed, the message naming `said`.
void expect_host_not_allowed(ControllerProcess& controller, const json& body, const std::string& said) {
    auto refused = controller.request("POST", "/v1/clusters", body.dump());
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 422u) << refused->body;
    EXPECT_NE(refused->body.find("host-not-allowed"), std::string::npos) << refused->body;
    EXPECT_NE(refused->body.find(said), std::string::npos) << refused->body;
}

// The review's case: a local user registers a cluster at their own port and waits for the
// controller's Authorization header. The registration is refused; their listener hears nothing.
TEST(KeaCredentialsDaemon, RegistrationToAForeignHost_Is422AndTheHostReceivesNothing) {
    FakeControlAgent foreign;
    const auto dir = make_temp_directory("kea-ha-foreign");
    auto controller_ptr = credentialed_controller(dir, "127.0.0.2, kea1.example.net");
    auto& controller = *controller_ptr;
    ASSERT_TRUE(controller.start()) << controller.log();
    expect_host_not_allowed(controller, {{"name", "mine"}, {"url", foreign.url()}}, "keaAllowedHosts");
    const json with_control = {{"name", "mine2"}, {"address", "127.0.0.2"}, {"control_urls", {{"server2", foreign.url()}}}};
    auto refused_control = controller.request("POST", "/v1/clusters", with_control.dump());
    ASSERT_TRUE(refused_control);
    EXPECT_EQ(refused_control->status, 422u) << refused_control->body;
    EXPECT_NE(refused_control->body.find("control_urls.server2"), std::string::npos) << refused_control->body;
    EXPECT_TRUE(foreign.requests().empty()) << "the foreign host heard from the controller";
    EXPECT_EQ(controller.stop(), 0);
    std::filesystem::remove_all(dir);
}

// An allowed host that runs other services too: its entry pins the Kea port, and a
// registration to another port of that host is refused like a foreign host.
TEST(KeaCredentialsDaemon, AllowedHostWithAPinnedPort_AnotherPortOfItIs422AndHearsNothing) {
    FakeControlAgent other_service;
    const auto dir = make_temp_directory("kea-ha-port");
    const auto port = kea_ha::core::port_of_url(other_service.url()).value();
    auto controller_ptr = credentialed_controller(dir, "127.0.0.1:" + std::to_string(port == 65535 ? 65534 : port + 1));
    auto& controller = *controller_ptr;
    ASSERT_TRUE(controller.start()) << controller.log();
    expect_host_not_allowed(controller, {{"name", "mine"}, {"url", other_service.url()}}, "port " + std::to_string(port));
    EXPECT_TRUE(other_service.requests().empty()) << "the other service heard from the controller";
    EXPECT_EQ(controller.stop(), 0);
    std::filesystem::remove_all(dir);
}

}  // namespace
