#include "cli/grammar.hpp"

#include <iterator>
#include <sstream>

namespace kea_ha::cli {
namespace {

constexpr CommandSpec kCommands[] = {
    {"status", "[NAME] [--watch [--interval SEC]]", "clusters, or one cluster with its peers"},
    {"check", "[NAME]", "monitoring plugin: exit 0-3 and perfdata"},
    {"add", "NAME [URL|ADDRESS] [--service dhcp4|dhcp6] [--control-url PEER=URL]... [--relationship NAME] "
            "[--user USER --password-file FILE]",
     "register the primary of an HA relationship"},
    {"remove", "NAME", "forget a cluster (Kea is not touched)"},
    {"events", "NAME [--follow]", "a cluster's events, oldest first"},
    {"config get", "NAME", "the source of truth's config (ETag on stderr)"},
    {"config set", "NAME FILE [--if-match ETAG] [--dry-run]", "replace the config (FILE, or - for stdin)"},
    {"config patch", "NAME FILE [--if-match ETAG] [--dry-run]", "JSON Patch (array) or Merge Patch (object)"},
    {"config diff", "NAME [PEER]", "what replication would change on each peer"},
    {"config sync", "NAME", "replicate the config to every peer now"},
    {"config history", "NAME", "the changes made through the API"},
    {"config rollback", "NAME GENERATION [--if-match ETAG]", "set that change's config again (a new change)"},
    {"ha maintenance start", "NAME PEER", "HA maintenance of PEER (partner takes over)"},
    {"ha maintenance cancel", "NAME PEER", "end the HA maintenance of PEER"},
    {"ha reset", "NAME PEER", "PEER back to HA 'waiting', then lease resync"},
    {"ha sync-leases", "NAME PEER [--max-period SEC]", "PEER pulls the leases of its partner"},
    {"dhcp disable", "NAME PEER [--max-period SEC]", "stop PEER's DHCP service"},
    {"dhcp enable", "NAME PEER", "resume PEER's DHCP service"},
};

// The spellings of the release before (kept until the next one).
constexpr OldSpelling kOldSpellings[] = {
    {"sync", "config sync"},
    {"history", "config history"},
    {"maintenance", "ha maintenance"},
    {"ha-reset", "ha reset"},
    {"ha-sync", "ha sync-leases"},
};

std::vector<std::string> split(std::string_view words) {
    std::istringstream in{std::string(words)};
    return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

}  // namespace

std::span<const CommandSpec> commands() { return kCommands; }

std::span<const OldSpelling> old_spellings() { return kOldSpellings; }

std::vector<std::string> canonical_words(std::vector<std::string> words, std::string& notice) {
    notice.clear();
    if (words.empty()) return words;
    for (const auto& spelling : kOldSpellings) {
        if (words[0] != spelling.old_words) continue;
        auto replaced = split(spelling.new_words);
        replaced.insert(replaced.end(), words.begin() + 1, words.end());
        notice = "'" + std::string(spelling.old_words) + "' is now '" + std::string(spelling.new_words) +
                 "'; the old spelling goes in the next release";
        return replaced;
    }
    return words;
}

std::string usage_text() {
    constexpr std::size_t kColumn = 34;
    std::string text = "usage: kea-ha-ctl [OPTIONS] COMMAND [ARGS]\n\ncommands:\n";
    constexpr std::size_t kWidth = 80;  // the summaries fit in kWidth - kColumn
    for (const auto& command : kCommands) {
        std::string line = "  " + std::string(command.words);
        // Arguments wrap before a '[' past the width, continued 6 columns in.
        std::string_view arguments = command.arguments;
        while (!arguments.empty()) {
            auto cut = arguments.size();
            if (line.size() + 1 + cut > kWidth) {
                const auto fits = arguments.substr(0, kWidth > line.size() + 1 ? kWidth - line.size() - 1 : 0);
                const auto bracket = fits.rfind(" [");
                if (bracket != std::string_view::npos && bracket > 0) cut = bracket;
            }
            line += " " + std::string(arguments.substr(0, cut));
            arguments.remove_prefix(cut);
            if (!arguments.empty()) {
                arguments.remove_prefix(1);  // the space before '['
                text += line + "\n";
                line = "     ";
            }
        }
        if (line.size() + 2 > kColumn) {
            text += line + "\n" + std::string(kColumn, ' ');
        } else {
            text += line + std::string(kColumn - line.size(), ' ');
        }
        text += std::string(command.summary) + "\n";
    }
    text +=
        "\n"
        "options:\n"
        "  --api URL         management API (default $KEA_HA_CTL_API, else\n"
        "                    http://127.0.0.1:8067)\n"
        "  --token-file F    bearer token file (default $KEA_HA_CTL_TOKEN_FILE, else\n"
        "                    /etc/kea-ha-controller/api-token when readable)\n"
        "  --json            machine-readable output (the API's JSON)\n"
        "  --timeout SEC     per-step timeout in seconds (default 30)\n"
        "  --ca-file F       https: trust this CA certificate\n"
        "  --insecure        https: do not verify the controller's certificate\n"
        "  --version         print the version and exit\n"
        "  --help            this text\n"
        "\n"
        "old spellings, kept for this release (with a notice on stderr):\n";
    for (const auto& spelling : kOldSpellings) {
        text += "  " + std::string(spelling.old_words) + " -> " + std::string(spelling.new_words) + "\n";
    }
    text +=
        "\n"
        "exit status: 0 ok, 1 API error, 2 usage error, 3 controller unreachable,\n"
        "             4 config set/patch/sync/rollback answered, but some peer is\n"
        "               pending or failed;\n"
        "               config diff: some peer differs or cannot be compared\n"
        "             (check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)\n"
        "with --json an error is JSON on stdout too:\n"
        "  {\"error\": {\"code\", \"message\", \"http_status\"}}\n";
    return text;
}

}  // namespace kea_ha::cli
