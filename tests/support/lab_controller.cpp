#include "support/lab_controller.hpp"

#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>

namespace kea_ha::testing {

using namespace std::chrono_literals;

void add_lab_credentials(const lab::KeaLab& lab, std::map<std::string, std::string>& settings) {
    if (!lab.options().auth_user || settings.count("keaAuthUser")) return;
    settings["keaAuthUser"] = *lab.options().auth_user;
    settings["keaAuthPasswordFile"] = lab.password_file();
}

LabController::LabController(const std::string& prefix, std::map<std::string, std::string> settings,
                             std::optional<lab::LabOptions> lab_options)
    : directory(make_temp_directory(prefix)) {
    if (lab_options) {
        auto started = lab::KeaLab::start(std::move(*lab_options));
        if (started) {
            lab = std::move(*started);
        } else {
            ADD_FAILURE() << "lab did not start: " << started.error().describe();
        }
    }
    if (lab) add_lab_credentials(*lab, settings);
    controller = std::make_unique<ControllerProcess>(directory, std::move(settings));
}

LabController::~LabController() {
    controller.reset();
    if (!::testing::Test::HasFailure()) {
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
    } else {
        std::fprintf(stderr, "controller directory kept: %s\n", directory.c_str());
    }
}

core::Result<HttpReply> LabController::add(const std::string& name, const std::string& peer,
                                           const std::string& service) {
    const nlohmann::json body = {
        {"name", name}, {"url", lab->peer(peer).url}, {"service", service.empty() ? lab->options().service : service}};
    return controller->request("POST", "/v1/clusters", body.dump(), {{"Content-Type", "application/json"}});
}

bool LabController::up(std::chrono::milliseconds timeout) {
    if (!lab || !controller->start()) return false;
    auto added = add("pair", "server1", lab->options().service);
    if (!added || added->status != 201) return false;
    return wait_state("OK", "server1", timeout);
}

nlohmann::json LabController::detail(const std::string& name) const {
    auto found = controller->get_json("/v1/clusters/" + name);
    return found && found->is_object() ? *found : nlohmann::json::object();
}

bool LabController::wait_state(const std::string& state, const std::optional<std::string>& sot,
                               std::chrono::milliseconds timeout, const std::string& name) const {
    return lab::wait_until(
        [&] {
            const auto d = detail(name);
            if (d.value("state", "") != state) return false;
            if (!sot) return true;
            return d.contains("source_of_truth") && d["source_of_truth"].is_string() && d["source_of_truth"] == *sot;
        },
        timeout, 50ms);
}

std::string LabController::service_key() const {
    return lab && lab->options().service == "dhcp6" ? "Dhcp6" : "Dhcp4";
}

nlohmann::json LabController::kea_config(const std::string& peer, const std::string& key) const {
    const std::string service_key = key.empty() ? this->service_key() : key;
    auto answer = lab->command(peer, "config-get");
    if (!answer || !answer->is_object() || answer->value("result", -1) != 0) return nlohmann::json::object();
    const auto& arguments = (*answer)["arguments"];
    if (!arguments.is_object() || !arguments.contains(service_key)) return nlohmann::json::object();
    return arguments[service_key];
}

std::string LabController::explain(const std::string& name) const {
    std::string log = controller ? controller->log() : std::string();
    if (log.size() > 6000) log = log.substr(log.size() - 6000);
    const std::string cluster = controller && controller->running() ? detail(name).dump(2) : "(controller not running)";
    return cluster + "\n--- controller log tail ---\n" + log;
}

}  // namespace kea_ha::testing
