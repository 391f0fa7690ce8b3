// kea-ha-ctl: the command-line client of the management API (SPEC §7).
#include <cstdio>
#include <cstring>
#include <string_view>

namespace {

constexpr const char* kUsage =
    "usage: kea-ha-ctl [--api URL] [--token-file FILE] [--json] COMMAND\n"
    "\n"
    "commands:\n"
    "  status [NAME]                 clusters and their peers\n"
    "  add NAME [URL|ADDRESS] [--service dhcp6]\n"
    "                                register the primary of an HA pair\n"
    "  remove NAME                   forget a cluster (Kea is not touched)\n"
    "  events NAME                   recent events of a cluster\n"
    "  config get NAME | config set NAME FILE | config patch NAME FILE | sync NAME\n"
    "\n"
    "options:\n"
    "  --api URL         management API (default http://127.0.0.1:8067/)\n"
    "  --token-file F    bearer token file (apiTokenFile of the daemon)\n"
    "  --json            machine-readable output\n"
    "  --version         print the version and exit\n"
    "  --help            this text\n";

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--version") {
            std::printf("kea-ha-ctl %s\n", KEA_HA_VERSION);
            return 0;
        }
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        }
    }
    std::fputs(kUsage, stderr);
    return 2;
}
