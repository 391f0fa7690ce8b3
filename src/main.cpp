// kea-ha-controller: argv, load preferences, build the daemon, run it. Nothing else.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "kea_ha/daemon/daemon.hpp"
#include "kea_ha/daemon/preferences_file.hpp"
#include "kea_ha/lab/kea_lab.hpp"

namespace {

constexpr const char* kDefaultPreferences = "/etc/kea-ha-controller/preferences.cfg";

constexpr const char* kUsage =
    "usage: kea-ha-controller [-p FILE] [--check] [--version]\n"
    "       kea-ha-controller --lab [--lab-mode hot-standby|load-balancing]\n"
    "                         [--lab-service dhcp4|dhcp6] [--lab-backup] [-p FILE]\n"
    "                         [--lab-kea 2.2|2.6|3.0|3.2] [--lab-direct]\n"
    "\n"
    "  -p, --preferences FILE  preferences.cfg (default /etc/kea-ha-controller/preferences.cfg)\n"
    "  --check                 validate the preferences file and exit 0 (valid) or 1\n"
    "  --lab                   start a local Kea HA lab on loopback (real kea-dhcp4/6 and\n"
    "                          kea-ctrl-agent) and manage it; Ctrl-C stops everything\n"
    "  --lab-kea VERSION       the lab's Kea: 2.2 (the system's), 2.6, 3.0 or 3.2 (roots built\n"
    "                          by scripts/kea-roots.sh); 3.2 has no Control Agent: direct only\n"
    "  --lab-direct            no Control Agents: the daemons' own HTTP sockets (Kea 3.0+)\n"
    "  --version               print the version and exit\n";

struct Arguments {
    std::optional<std::string> preferences;
    bool check = false;
    bool lab = false;
    kea_ha::lab::LabOptions lab_options;
};

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "kea-ha-controller: %s\n%s", message.c_str(), kUsage);
    std::exit(2);
}

Arguments parse_arguments(int argc, char** argv) {
    Arguments args;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage_error(std::string(arg) + " needs a value");
            return argv[++i];
        };
        if (arg == "--version" || arg == "-V") {
            std::printf("kea-ha-controller %s\n", KEA_HA_VERSION);
            std::exit(0);
        } else if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (arg == "-p" || arg == "--preferences") {
            args.preferences = value();
        } else if (arg == "--check") {
            args.check = true;
        } else if (arg == "--lab") {
            args.lab = true;
        } else if (arg == "--lab-mode") {
            const auto mode = value();
            if (mode == "hot-standby") {
                args.lab_options.mode = kea_ha::lab::LabMode::HotStandby;
            } else if (mode == "load-balancing") {
                args.lab_options.mode = kea_ha::lab::LabMode::LoadBalancing;
            } else {
                usage_error("--lab-mode must be hot-standby or load-balancing (got '" + mode + "')");
            }
        } else if (arg == "--lab-service") {
            args.lab_options.service = value();
            if (args.lab_options.service != "dhcp4" && args.lab_options.service != "dhcp6") {
                usage_error("--lab-service must be dhcp4 or dhcp6");
            }
        } else if (arg == "--lab-backup") {
            args.lab_options.with_backup = true;
        } else if (arg == "--lab-kea") {
            const auto& versions = kea_ha::lab::lab_kea_versions();
            args.lab_options.kea_version = value();
            if (std::find(versions.begin(), versions.end(), args.lab_options.kea_version) == versions.end()) {
                usage_error("--lab-kea must be " + kea_ha::lab::lab_kea_versions_text() + " (got '" +
                            args.lab_options.kea_version + "')");
            }
            // Kea 3.2 has no Control Agent: its lab is direct (as --lab-direct).
            if (!kea_ha::lab::lab_kea_has_control_agent(args.lab_options.kea_version)) {
                args.lab_options.transport = kea_ha::lab::LabTransport::Direct;
            }
        } else if (arg == "--lab-direct") {
            args.lab_options.transport = kea_ha::lab::LabTransport::Direct;
        } else {
            usage_error("unknown argument '" + std::string(arg) + "'");
        }
    }
    return args;
}

}  // namespace

int main(int argc, char** argv) {
    Arguments args;
    try {
        args = parse_arguments(argc, argv);
    } catch (const std::invalid_argument& e) {  // $KEA_HA_LAB_KEA with a bad value
        usage_error(e.what());
    }

    // --lab without -p runs on the built-in defaults; otherwise the file must load.
    kea_ha::daemon::DaemonOptions options;
    if (args.preferences || !args.lab) {
        options.preferences_path = args.preferences.value_or(kDefaultPreferences);
        auto loaded = kea_ha::daemon::load_preferences_file(options.preferences_path);
        if (!loaded) {
            std::fprintf(stderr, "error: %s\n", loaded.error().describe().c_str());
            return 1;
        }
        for (const auto& warning : loaded->warnings) {
            std::fprintf(stderr, "warning: %s\n", warning.message.c_str());
        }
        // Issue 32: no open API by default (the lab opens its own and says so, daemon.cpp).
        if (!args.lab) {
            if (auto problem = kea_ha::core::api_access_problem(loaded->preferences)) {
                std::fprintf(stderr, "error: %s: %s\n", options.preferences_path.c_str(), problem->c_str());
                return 1;
            }
        }
        if (args.check) {
            std::printf("%s: OK (%zu warning%s)\n", options.preferences_path.c_str(),
                        loaded->warnings.size(), loaded->warnings.size() == 1 ? "" : "s");
            return 0;
        }
        options.preferences = loaded->preferences;
        options.warnings = loaded->warnings;
    } else if (args.check) {
        usage_error("--check needs -p FILE");
    }
    if (args.lab) options.lab = args.lab_options;
    return kea_ha::daemon::run_daemon(std::move(options));
}
