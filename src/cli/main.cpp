// kea-ha-ctl: the command-line client of the management API (SPEC §7).
//
// Exit status: 0 success, 1 the API answered an error, 2 usage error (bad arguments, unreadable
// file), 3 the controller cannot be reached, 4 a config write or sync answered 200 but some peer
// is pending or failed. `check` follows the monitoring-plugin conventions instead (0 OK,
// 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/grammar.hpp"
#include "cli/http_client.hpp"
#include "kea_ha/core/replication.hpp"
#include "kea_ha/core/secret.hpp"
#include "kea_ha/core/text_diff.hpp"

namespace {

using nlohmann::json;
using namespace kea_ha::cli;

/// Where the Debian package puts the daemon's admin token (packaging/debian/postinst).
constexpr const char* kDefaultTokenFile = "/etc/kea-ha-controller/api-token";
constexpr int kOk = 0;
constexpr int kApiError = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;
constexpr int kIncomplete = 4;

// The usage text comes from the grammar table (cli/grammar.cpp), as do kea-ha-ctl(1) and docs/cli.md.

struct Options {
    std::string api = "http://127.0.0.1:8067";
    std::optional<std::string> token_file;
    bool json = false;
    ClientOptions client;
    std::string service;
    std::vector<std::string> control_urls;
    std::optional<std::string> auth_user;
    std::optional<std::string> auth_password_file;
    std::optional<std::string> relationship;
    std::optional<std::string> if_match;
    bool dry_run = false;
    std::optional<long> max_period;
    bool follow = false;
    bool watch = false;
    double interval_s = 2;
    std::vector<std::string> words;  // command and its arguments
    bool check_ran = false;          // `check` got as far as its own exit statuses
};

int usage_error(const std::string& message) {
    std::fprintf(stderr, "kea-ha-ctl: %s\n(see kea-ha-ctl --help)\n", message.c_str());
    return kUsage;
}

std::string trimmed(std::string text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

bool read_file(const std::string& path, std::string& out) {
    if (path == "-") {
        out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        return true;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream text;
    text << in.rdbuf();
    out = text.str();
    return !in.bad();
}

/// Percent-encodes a path segment (cluster names are restricted, but be safe).
std::string encode(const std::string& segment) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : segment) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string text_of(const json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>().empty() ? "-" : value.get<std::string>();
    if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
    if (value.is_array()) return std::to_string(value.size());
    return value.dump();
}

std::string field(const json& object, const char* name) {
    if (!object.is_object()) return "-";
    auto found = object.find(name);
    return found == object.end() ? "-" : text_of(*found);
}

void print_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(head.size());
    for (std::size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            out += cells[i];
            if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
        }
        std::printf("%s\n", out.c_str());
    };
    line(head);
    for (const auto& row : rows) line(row);
}

/// "ETag: …" on stderr (after what stdout has so far), for --if-match; nothing without one.
void print_etag(const Reply& reply) {
    if (auto etag = reply.headers.find("etag"); etag != reply.headers.end()) {
        std::fflush(stdout);
        std::fprintf(stderr, "ETag: %s\n", etag->second.c_str());
    }
}

/// With --json, an error is also a JSON document on stdout, with the API's code when it gave
/// one (the text on stderr stays, for people).
void print_json_error(const std::string& code, const std::string& message, unsigned http_status) {
    json error = {{"code", code}, {"message", message}};
    error["http_status"] = http_status ? json(http_status) : json();
    std::printf("%s\n", json{{"error", error}}.dump(2).c_str());
}

class Client {
public:
    Client(ApiUrl api, ClientOptions options, bool json_errors)
        : api_(std::move(api)), options_(std::move(options)), json_errors_(json_errors) {}

    /// Calls the API. Returns the exit status; on success `body` holds the parsed answer
    /// (null for an empty one).
    int call(const std::string& method, const std::string& path, json& body, const std::string& payload = {},
             const std::string& type = "application/json",
             const std::map<std::string, std::string>& headers = {}) {
        Reply& reply = last_reply_;
        reply = Reply{};
        Failure failure;
        if (!send_request(api_, options_, method, path, payload, type, headers, reply, failure)) {
            const bool timed_out = failure.message.find("timed out") != std::string::npos;
            if (timed_out && method != "GET") {
                // The request may have arrived: a change goes on in the controller without us.
                failure.message += "; the controller may still complete it: see 'kea-ha-ctl events NAME' and "
                                   "'kea-ha-ctl status NAME' before repeating it (a longer --timeout waits more)";
            }
            if (failure.unreachable) {
                std::fprintf(stderr, "kea-ha-ctl: cannot reach the controller at %s: %s\n", api_.text.c_str(),
                             failure.message.c_str());
                if (json_errors_) {
                    print_json_error(timed_out ? "timed-out" : "unreachable",
                                     "cannot reach the controller at " + api_.text + ": " + failure.message, 0);
                }
                return kUnreachable;
            }
            std::fprintf(stderr, "kea-ha-ctl: %s\n", failure.message.c_str());
            if (json_errors_) print_json_error("request-failed", failure.message, 0);
            return kApiError;
        }
        json parsed;
        bool is_json = false;
        if (!trimmed(reply.body).empty()) {
            try {
                parsed = json::parse(reply.body);
                is_json = true;
            } catch (const json::exception&) {
            }
        }
        if (reply.status >= 300) {
            std::string message;
            std::string code = "http-" + std::to_string(reply.status);
            if (is_json && parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
                const auto& error = parsed["error"];
                if (error.contains("code") && error["code"].is_string()) code = error["code"].get<std::string>();
                if (error.contains("message") && error["message"].is_string()) {
                    message = error["message"].get<std::string>();
                }
                if (message.empty()) message = code;
            }
            if (message.empty()) message = trimmed(reply.body);
            if (message.empty()) message = "the API answered without a message";
            std::fprintf(stderr, "kea-ha-ctl: %s (HTTP %u)\n", message.c_str(), reply.status);
            if (json_errors_) print_json_error(code, message, reply.status);
            // The write was conditional: say what the config is now, so the caller can re-read.
            if (reply.status == 412) print_etag(reply);
            return kApiError;
        }
        if (!trimmed(reply.body).empty() && !is_json) {
            std::fprintf(stderr, "kea-ha-ctl: the API answered something that is not JSON (HTTP %u)\n",
                         reply.status);
            if (json_errors_) print_json_error("bad-answer", "the API answered something that is not JSON", reply.status);
            return kApiError;
        }
        body = std::move(parsed);
        return kOk;
    }

    /// The last HTTP answer (headers: lower-case names).
    const Reply& last_reply() const { return last_reply_; }

private:
    ApiUrl api_;
    ClientOptions options_;
    bool json_errors_ = false;
    Reply last_reply_;
};

void print_json(const json& value) { std::printf("%s\n", value.dump(2).c_str()); }

void print_cluster_list(const json& list) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : list) {
        rows.push_back({field(c, "name"), field(c, "state"), field(c, "mode"), field(c, "source_of_truth"),
                        field(c, "peers"), field(c, "warnings")});
    }
    if (rows.empty()) {
        std::printf("no clusters registered (kea-ha-ctl add NAME URL)\n");
        return;
    }
    print_table({"NAME", "STATE", "MODE", "SOT", "PEERS", "WARNINGS"}, rows);
}

/// SPEC §4: what each peer reports of its HA partner (status-get `remote`), when any does.
void print_partners(const json& peers) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : peers) {
        if (!p.is_object() || !p.value("partner", json()).is_object()) continue;
        const auto& r = p["partner"];
        std::string scopes = "-";
        if (r.value("last_scopes", json()).is_array()) {
            scopes.clear();
            for (const auto& scope : r["last_scopes"]) scopes += (scopes.empty() ? "" : ",") + text_of(scope);
            if (scopes.empty()) scopes = "none";
        }
        rows.push_back({field(p, "name"), field(r, "name"), field(r, "in_touch"), field(r, "communication_interrupted"),
                        field(r, "age_s"), field(r, "unacked_clients"), field(r, "connecting_clients"),
                        field(r, "analyzed_packets"), field(r, "last_state"), scopes, field(r, "clock_skew_s")});
    }
    if (rows.empty()) return;
    std::printf("\nWhat each peer reports of its HA partner:\n");
    print_table({"PEER", "PARTNER", "IN-TOUCH", "INTERRUPTED", "AGE-S", "UNACKED", "CONNECTING", "ANALYZED",
                 "LAST-STATE", "LAST-SCOPES", "CLOCK-SKEW-S"},
                rows);
}

void print_cluster_detail(const json& c) {
    std::string state = field(c, "state");
    if (c.is_object() && c.value("reason", json()).is_string() && !c["reason"].get<std::string>().empty()) {
        state += " (" + c["reason"].get<std::string>() + ")";
    }
    std::printf("Cluster:          %s\n", field(c, "name").c_str());
    std::printf("Service:          %s\n", field(c, "service").c_str());
    std::printf("State:            %s\n", state.c_str());
    if (const std::string cause = field(c, "cause"); cause != "-") std::printf("Down cause:       %s\n", cause.c_str());
    if (const std::string split = field(c, "split_brain"); split != "-") {
        std::printf("Split brain:      %s (the main peers cannot reach each other; each may serve every client)\n",
                    split.c_str());
    }
    if (const std::string skew = field(c, "clock_skew_s"); skew != "-") {
        std::printf("Peer clocks:      differ by %s s\n", skew.c_str());
    }
    std::printf("Mode:             %s\n", field(c, "mode").c_str());
    std::printf("Source of truth:  %s\n", field(c, "source_of_truth").c_str());
    if (c.contains("url")) std::printf("URL:              %s\n", field(c, "url").c_str());
    if (c.contains("relationship") && c["relationship"].is_string() && !c["relationship"].get<std::string>().empty())
        std::printf("Relationship:     %s (the primary's this-server-name)\n", field(c, "relationship").c_str());
    if (c.contains("transport")) {
        std::string text = field(c, "transport");
        text += text == "direct" ? " (the daemons' own HTTP sockets)" : " (Control Agent)";
        if (c.contains("auth_user") && c["auth_user"].is_string()) text += ", user " + c["auth_user"].get<std::string>();
        std::printf("Transport:        %s\n", text.c_str());
    }
    if (c.contains("replication") && c["replication"].is_object()) {
        const auto& r = c["replication"];
        std::string text = r.value("enabled", false) ? "enabled" : "disabled";
        if (r.contains("reason") && r["reason"].is_string()) text += " (" + r["reason"].get<std::string>() + ")";
        std::printf("Replication:      %s\n", text.c_str());
    }
    std::printf("\n");
    std::vector<std::vector<std::string>> rows;
    if (c.contains("peers") && c["peers"].is_array()) {
        for (const auto& p : c["peers"]) {
            // Why it is in that condition ("HA state 'hot-standby'", the error that made it
            // unreachable, …); the last error when the controller gave no reason.
            std::string why = field(p, "reason");
            if (why == "-") why = field(p, "last_error");
            rows.push_back({field(p, "name"), field(p, "role"), field(p, "condition"), field(p, "ha_state"),
                            field(p, "last_seen"), field(p, "in_sync"), field(p, "kea_version"), why});
        }
    }
    if (rows.empty()) {
        std::printf("no peers known yet\n");
    } else {
        print_table({"NAME", "ROLE", "CONDITION", "HA-STATE", "LAST-SEEN", "IN-SYNC", "KEA", "REASON"}, rows);
        print_partners(c["peers"]);
    }
    if (c.contains("warnings") && c["warnings"].is_array() && !c["warnings"].empty()) {
        std::printf("\nWarnings:\n");
        for (const auto& w : c["warnings"]) {
            if (w.is_object()) {
                std::printf("  %s: %s\n", field(w, "code").c_str(), field(w, "message").c_str());
            } else {
                std::printf("  %s\n", text_of(w).c_str());
            }
        }
    }
}

void print_events(const json& events) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : events) {
        rows.push_back({field(e, "when"), field(e, "cluster"), field(e, "kind"), field(e, "peer"), field(e, "from"),
                        field(e, "to"), field(e, "reason")});
    }
    if (rows.empty()) {
        std::printf("no events\n");
        return;
    }
    print_table({"WHEN", "CLUSTER", "KIND", "PEER", "FROM", "TO", "REASON"}, rows);
}

/// The per-peer outcome of a config write or sync:
/// {"generation", "source_of_truth", "peers": [{"name", "outcome", "message", "persisted"?}]}.
/// Returns kOk when every peer is applied or unchanged, kIncomplete otherwise.
int write_outcome_status(const json& answer) {
    if (!answer.is_object() || !answer.contains("peers") || !answer["peers"].is_array()) return kOk;
    for (const auto& p : answer["peers"]) {
        const std::string outcome = p.is_object() ? p.value("outcome", "") : "";
        if (outcome != "applied" && outcome != "unchanged") return kIncomplete;
    }
    return kOk;
}

void print_write_outcome(const json& answer) {
    if (!answer.is_object()) {
        if (answer.is_null()) std::printf("done\n"); else print_json(answer);
        return;
    }
    std::vector<std::vector<std::string>> rows;
    bool unpersisted = false;
    if (answer.contains("peers") && answer["peers"].is_array()) {
        for (const auto& p : answer["peers"]) {
            std::string persisted = "-";
            if (p.is_object() && p.contains("persisted") && p["persisted"].is_boolean()) {
                persisted = p["persisted"].get<bool>() ? "yes" : "no";
                if (!p["persisted"].get<bool>()) unpersisted = true;
            }
            rows.push_back({field(p, "name"), field(p, "outcome"), persisted, field(p, "message")});
        }
    }
    if (rows.empty()) {
        std::printf("no peers\n");
    } else {
        print_table({"PEER", "OUTCOME", "PERSISTED", "MESSAGE"}, rows);
    }
    std::printf("\ngeneration %s, source of truth %s\n", field(answer, "generation").c_str(),
                field(answer, "source_of_truth").c_str());
    if (unpersisted) {
        std::fprintf(stderr, "kea-ha-ctl: warning: some peer runs the change but could not write it to its "
                             "config file (config-write failed): a restart of that Kea would lose it\n");
    }
    if (write_outcome_status(answer) != kOk) {
        std::fprintf(stderr, "kea-ha-ctl: not every peer has the change yet (pending peers are synced when "
                             "they are back; see the MESSAGE column)\n");
    }
}

/// `config diff`: per peer, "in sync" or a unified diff of its canonical config (dump(2): the
/// keys sorted) against what replication would write on it. Exit 0 when every peer compared
/// is in sync, kIncomplete when one differs or could not be compared.
int report_diff(const Options& o, const json& answer) {
    if (o.json) {
        print_json(answer);
    }
    int status = kOk;
    if (!answer.is_object() || !answer.contains("peers") || !answer["peers"].is_array()) {
        if (!o.json) print_json(answer);
        return status;
    }
    for (const auto& p : answer["peers"]) {
        const std::string name = field(p, "name");
        if (p.contains("error")) {
            status = kIncomplete;
            if (!o.json) std::printf("%s: cannot be compared: %s\n", name.c_str(), field(p, "error").c_str());
            continue;
        }
        const bool differs = p.contains("patch") && p["patch"].is_array() && !p["patch"].empty();
        if (differs) status = kIncomplete;
        if (o.json) continue;
        if (p.value("source_of_truth", false)) {
            std::printf("%s: the source of truth (what the others are compared with)\n", name.c_str());
            continue;
        }
        if (!differs) {
            std::printf("%s: in sync\n", name.c_str());
            continue;
        }
        std::printf("%s: %zu difference%s (%s)\n", name.c_str(), p["patch"].size(), p["patch"].size() == 1 ? "" : "s",
                    kea_ha::core::summarize_patch(p["patch"], 3).c_str());
        if (p.contains("current") && p.contains("desired")) {
            std::fputs(kea_ha::core::unified_diff(p["current"].dump(2), p["desired"].dump(2), name + " (running)",
                                                  name + " (after replication from " +
                                                      field(answer, "source_of_truth") + ")")
                           .c_str(),
                       stdout);
        }
    }
    return status;
}

/// `config set|patch --dry-run`: each peer's outcome (tested, pending, unchanged) and what would change.
int report_dry_run(const Options& o, const json& answer) {
    if (o.json) {
        print_json(answer);
        return kOk;
    }
    std::vector<std::vector<std::string>> rows;
    if (answer.is_object() && answer.contains("peers") && answer["peers"].is_array()) {
        for (const auto& p : answer["peers"]) {
            std::string changes = "-";
            if (p.contains("patch") && p["patch"].is_array()) {
                changes = p["patch"].empty() ? "nothing" : kea_ha::core::summarize_patch(p["patch"], 3);
            } else if (p.contains("message")) {
                changes = field(p, "message");
            }
            rows.push_back({field(p, "name"), field(p, "outcome"), changes});
        }
    }
    print_table({"PEER", "OUTCOME", "WOULD CHANGE"}, rows);
    std::printf("\ndry run: config-test passed where tested; nothing was set or written (generation stays %s)\n",
                field(answer, "generation").c_str());
    return kOk;
}

/// Prints the answer of config set/patch or sync; the exit status says whether every peer has it.
int report_write(const Options& o, const json& answer) {
    if (o.json) print_json(answer); else print_write_outcome(answer);
    return write_outcome_status(answer);
}

// --- check: the monitoring-plugin conventions ---------------------------------------------------

constexpr int kCheckOk = 0;
constexpr int kCheckWarning = 1;
constexpr int kCheckCritical = 2;
constexpr int kCheckUnknown = 3;

int check_status_of(const std::string& state) {
    if (state == "OK") return kCheckOk;
    if (state == "Impaired") return kCheckWarning;
    if (state == "Down" || state == "Unreachable") return kCheckCritical;
    return kCheckUnknown;
}

/// A cluster's check status: its state's, and CRITICAL for a split brain (SPEC §4: both main
/// peers serve every client), whatever the state.
int check_status_of(const json& cluster) {
    const int status = check_status_of(field(cluster, "state"));
    const bool split = cluster.is_object() && cluster.value("split_brain", json()).is_string();
    return split && status != kCheckUnknown ? std::max(status, kCheckCritical) : status;
}

const char* check_word(int status) {
    switch (status) {
        case kCheckOk: return "OK";
        case kCheckWarning: return "WARNING";
        case kCheckCritical: return "CRITICAL";
        default: return "UNKNOWN";
    }
}

/// Perfdata labels are quoted when they hold anything but letters, digits, '_', '-' and '.'.
std::string perf_label(const std::string& label) {
    for (unsigned char c : label) {
        if (!std::isalnum(c) && c != '_' && c != '-' && c != '.') return "'" + label + "'";
    }
    return label;
}

/// "KEA-HA CRITICAL - …": one line, perfdata after '|'; exit status per the plugin conventions.
int print_check(int status, const std::string& text, const std::string& perfdata = {}) {
    std::printf("KEA-HA %s - %s%s%s\n", check_word(status), text.c_str(), perfdata.empty() ? "" : " | ",
                perfdata.c_str());
    return status;
}

int run_check(Options& o, Client& client, const std::vector<std::string>& args) {
    o.check_ran = true;
    if (args.size() > 1) return print_check(kCheckUnknown, "usage: kea-ha-ctl check [NAME]");
    if (o.json) return print_check(kCheckUnknown, "check prints a status line; --json belongs to the other commands");
    json answer;
    if (args.empty()) {
        // Every cluster: the worst state decides, and each one not OK is named.
        if (int rc = client.call("GET", "/v1/clusters", answer)) {
            return print_check(kCheckUnknown, rc == kUnreachable ? "the controller cannot be reached"
                                                                 : "the controller answered an error");
        }
        if (!answer.is_array()) return print_check(kCheckUnknown, "the controller's cluster list is not a list");
        if (answer.empty()) return print_check(kCheckUnknown, "no cluster registered", "clusters=0");
        int worst = kCheckOk;
        std::map<std::string, int> count{{"OK", 0}, {"Impaired", 0}, {"Down", 0}, {"Unreachable", 0}};
        std::string named;
        for (const auto& c : answer) {
            const std::string state = field(c, "state");
            const int status = check_status_of(c);
            worst = std::max(worst, status);
            if (count.count(state)) ++count[state];
            if (status != kCheckOk) {
                named += (named.empty() ? "" : ", ") + field(c, "name") + " " + state;
                if (c.value("split_brain", json()).is_string()) named += " (split brain)";
            }
        }
        std::string text = std::to_string(answer.size()) + " cluster" + (answer.size() == 1 ? "" : "s") + ": ";
        text += named.empty() ? "all OK" : named;
        const std::string perf = "clusters=" + std::to_string(answer.size()) + " ok=" + std::to_string(count["OK"]) +
                                 " impaired=" + std::to_string(count["Impaired"]) +
                                 " down=" + std::to_string(count["Down"]) +
                                 " unreachable=" + std::to_string(count["Unreachable"]);
        return print_check(worst, text, perf);
    }
    if (int rc = client.call("GET", "/v1/clusters/" + encode(args[0]), answer)) {
        return print_check(kCheckUnknown, rc == kUnreachable ? "the controller cannot be reached"
                                                             : "no answer about cluster " + args[0]);
    }
    if (!answer.is_object()) return print_check(kCheckUnknown, "the controller's answer is not a cluster");
    const std::string state = field(answer, "state");
    const int status = check_status_of(answer);
    std::string text = args[0] + " " + state;
    if (const std::string cause = field(answer, "cause"); cause != "-") text += " (" + cause + ")";
    if (const std::string reason = field(answer, "reason"); reason != "-") text += ": " + reason;
    if (const std::string sot = field(answer, "source_of_truth"); sot != "-") text += "; source of truth " + sot;
    int peers = 0, active = 0, in_sync = 0, out_of_sync = 0;
    std::string perf;
    if (answer.contains("peers") && answer["peers"].is_array()) {
        for (const auto& p : answer["peers"]) {
            ++peers;
            if (field(p, "condition") == "active") ++active;
            if (p.is_object() && p.value("in_sync", json()).is_boolean()) {
                p["in_sync"].get<bool>() ? ++in_sync : ++out_of_sync;
            }
            if (p.is_object() && p.value("clock_skew_s", json()).is_number()) {
                char skew[64];
                std::snprintf(skew, sizeof skew, "%.3fs", p["clock_skew_s"].get<double>());
                perf += " " + perf_label(field(p, "name") + "_clock_skew") + "=" + skew;
            }
        }
    }
    const std::size_t warnings = answer.contains("warnings") && answer["warnings"].is_array() ? answer["warnings"].size() : 0;
    if (warnings) text += "; " + std::to_string(warnings) + " warning" + (warnings == 1 ? "" : "s");
    if (out_of_sync) text += "; " + std::to_string(out_of_sync) + " peer" + (out_of_sync == 1 ? "" : "s") + " not in sync";
    if (answer.value("clock_skew_s", json()).is_number()) {
        char skew[64];
        std::snprintf(skew, sizeof skew, "%.3fs", answer["clock_skew_s"].get<double>());
        perf = std::string(" clock_skew=") + skew + perf;
    }
    perf = "peers=" + std::to_string(peers) + " active=" + std::to_string(active) + " in_sync=" +
           std::to_string(in_sync) + " warnings=" + std::to_string(warnings) + perf;
    return print_check(status, text, perf);
}

int run(Options& o) {
    std::string why;
    auto api = parse_api_url(o.api, why);
    if (!api) return usage_error("bad --api URL '" + o.api + "': " + why);
    // Issue 32: without --token-file, $KEA_HA_CTL_TOKEN_FILE, else the package's token file
    // when this user may read it (root, or a member of the kea-ha-controller group).
    if (!o.token_file) {
        if (const char* from_env = std::getenv("KEA_HA_CTL_TOKEN_FILE"); from_env && *from_env) {
            o.token_file = from_env;
        } else if (::access(kDefaultTokenFile, R_OK) == 0) {
            o.token_file = kDefaultTokenFile;
        }
    }
    if (o.token_file) {
        std::string token;
        if (!read_file(*o.token_file, token)) {
            return usage_error("cannot read --token-file " + *o.token_file + ": " + std::strerror(errno));
        }
        // The daemon's rule for apiTokenFile (core/secret.hpp): the same file works for both.
        auto secret = kea_ha::core::secret_from_text(token);
        if (!secret) return usage_error("--token-file " + *o.token_file + ": " + secret.error().message);
        o.client.token = std::move(*secret);
    }
    if (o.words.empty()) return usage_error("no command given");
    // The spellings of the release before still work, with a notice (cli/grammar.hpp).
    std::string notice;
    o.words = kea_ha::cli::canonical_words(std::move(o.words), notice);
    if (!notice.empty()) std::fprintf(stderr, "kea-ha-ctl: %s\n", notice.c_str());
    const std::string command = o.words[0];
    const std::vector<std::string> args(o.words.begin() + 1, o.words.end());
    if (command != "add" &&
        (!o.service.empty() || !o.control_urls.empty() || o.auth_user || o.auth_password_file || o.relationship)) {
        return usage_error("--service, --control-url, --relationship, --user and --password-file belong to 'add'");
    }
    const bool writes_config = command == "config" && o.words.size() > 1 && (o.words[1] == "set" || o.words[1] == "patch");
    const bool rolls_back = command == "config" && o.words.size() > 1 && o.words[1] == "rollback";
    if (o.if_match && !writes_config && !rolls_back) {
        return usage_error("--if-match belongs to 'config set', 'config patch' and 'config rollback'");
    }
    if (o.dry_run && !writes_config) return usage_error("--dry-run belongs to 'config set' and 'config patch'");
    Client client(*api, o.client, o.json);
    json answer;
    auto cluster_path = [](const std::string& name) { return "/v1/clusters/" + encode(name); };

    if (o.follow && command != "events") return usage_error("--follow belongs to 'events'");
    if (o.watch && command != "status") return usage_error("--watch belongs to 'status'");
    if (command == "status" && o.watch) {
        if (args.size() > 1) return usage_error("usage: status [NAME] --watch");
        // Until Ctrl-C, like watch(1); a failed read is shown and tried again at the next tick.
        while (true) {
            json now;
            std::printf("\033[H\033[2J");  // home, clear
            std::fflush(stdout);
            const int rc = args.empty() ? client.call("GET", "/v1/clusters", now)
                                        : client.call("GET", cluster_path(args[0]), now);
            if (rc == kOk) {
                if (o.json) print_json(now);
                else if (args.empty()) print_cluster_list(now);
                else print_cluster_detail(now);
            }
            std::printf("\n(every %g s; Ctrl-C ends)\n", o.interval_s);
            std::fflush(stdout);
            std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long long>(o.interval_s * 1000)));
        }
    }
    if (command == "status") {
        if (args.size() > 1) return usage_error("usage: status [NAME]");
        if (args.empty()) {
            if (int rc = client.call("GET", "/v1/clusters", answer)) return rc;
            if (o.json) print_json(answer); else print_cluster_list(answer);
        } else {
            if (int rc = client.call("GET", cluster_path(args[0]), answer)) return rc;
            if (o.json) print_json(answer); else print_cluster_detail(answer);
        }
        return kOk;
    }
    if (command == "check") return run_check(o, client, args);
    const bool takes_period = (command == "ha" && !args.empty() && args[0] == "sync-leases") ||
                              (command == "dhcp" && !args.empty() && args[0] == "disable");
    if (o.max_period && !takes_period) return usage_error("--max-period belongs to 'dhcp disable' and 'ha sync-leases'");
    if (command == "ha" || command == "dhcp") {
        // The API's action names (POST …/peers/PEER/ACTION, api.md).
        std::string action;
        std::vector<std::string> rest = args;
        const std::string verb = rest.empty() ? "" : rest[0];
        if (command == "ha" && verb == "maintenance") {
            const bool ok = rest.size() == 4 && (rest[1] == "start" || rest[1] == "cancel");
            if (!ok) return usage_error("usage: ha maintenance start|cancel NAME PEER");
            action = "maintenance-" + rest[1];
            rest.erase(rest.begin(), rest.begin() + 2);
        } else if (command == "ha" && (verb == "reset" || verb == "sync-leases")) {
            if (rest.size() != 3) return usage_error("usage: ha " + verb + " NAME PEER");
            action = verb == "reset" ? "ha-reset" : "ha-sync";
            rest.erase(rest.begin());
        } else if (command == "dhcp" && (verb == "disable" || verb == "enable")) {
            if (rest.size() != 3) return usage_error("usage: dhcp disable|enable NAME PEER [--max-period SEC]");
            action = "dhcp-" + verb;
            rest.erase(rest.begin());
        } else {
            return usage_error(command == "ha" ? "usage: ha maintenance start|cancel NAME PEER | ha reset NAME PEER | "
                                                 "ha sync-leases NAME PEER [--max-period SEC]"
                                               : "usage: dhcp disable|enable NAME PEER [--max-period SEC]");
        }
        json body = json::object();
        if (o.max_period) body["max_period"] = *o.max_period;
        if (int rc = client.call("POST", cluster_path(rest[0]) + "/peers/" + encode(rest[1]) + "/" + action, answer,
                                 body.empty() ? std::string() : body.dump())) {
            return rc;
        }
        if (o.json) {
            print_json(answer);
        } else {
            const std::string kea = field(answer, "message");
            std::printf("%s: %s%s\n", action.c_str(), field(answer, "summary").c_str(),
                        kea == "-" ? "" : (" (Kea: " + kea + ")").c_str());
            std::printf("follow it with: kea-ha-ctl status %s\n", rest[0].c_str());
        }
        return kOk;
    }
    if (command == "add") {
        if (args.empty() || args.size() > 2) return usage_error("usage: add NAME [URL|ADDRESS] [--service dhcp6] [--control-url PEER=URL]...");
        json body = {{"name", args[0]}};
        if (args.size() == 2) body[args[1].find("://") != std::string::npos ? "url" : "address"] = args[1];
        if (!o.service.empty()) {
            if (o.service != "dhcp4" && o.service != "dhcp6") return usage_error("--service is dhcp4 or dhcp6");
            body["service"] = o.service;
        }
        if (!o.control_urls.empty()) {
            json urls = json::object();
            for (const auto& pair : o.control_urls) {
                const auto eq = pair.find('=');
                if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
                    return usage_error("--control-url takes PEER=URL, not '" + pair + "'");
                }
                urls[pair.substr(0, eq)] = pair.substr(eq + 1);
            }
            body["control_urls"] = urls;
        }
        if (o.relationship) body["relationship"] = *o.relationship;
        if (o.auth_user.has_value() != o.auth_password_file.has_value()) {
            return usage_error("--user and --password-file go together");
        }
        if (o.auth_user) {
            // The controller reads the file: a path relative to here would mean nothing there.
            if (o.auth_password_file->front() != '/') {
                return usage_error("--password-file needs an absolute path (the controller reads it)");
            }
            body["auth"] = {{"user", *o.auth_user}, {"password_file", *o.auth_password_file}};
        }
        if (int rc = client.call("POST", "/v1/clusters", answer, body.dump())) return rc;
        if (o.json) {
            print_json(answer);
        } else {
            std::printf("registered %s\n\n", args[0].c_str());
            print_cluster_detail(answer);
        }
        return kOk;
    }
    if (command == "remove") {
        if (args.size() != 1) return usage_error("usage: remove NAME");
        if (int rc = client.call("DELETE", cluster_path(args[0]), answer)) return rc;
        if (o.json) print_json(json{{"removed", args[0]}}); else std::printf("removed %s\n", args[0].c_str());
        return kOk;
    }
    if (command == "events") {
        if (args.size() != 1) return usage_error("usage: events NAME");
        if (int rc = client.call("GET", cluster_path(args[0]) + "/events", answer)) return rc;
        if (o.json) print_json(answer); else print_events(answer);
        if (!o.follow) return kOk;
        // Long polls (GET …/events?after=SEQ&wait=25): each answers at the first new event or
        // after 25 s with none. Ends with Ctrl-C, or when the controller cannot be reached.
        std::uint64_t last = 0;
        for (const auto& e : answer) last = std::max<std::uint64_t>(last, e.value("seq", std::uint64_t{0}));
        std::fflush(stdout);
        while (true) {
            json newer;
            // Answered before our own --timeout runs out.
            const long wait = std::clamp<long>(static_cast<long>(o.client.timeout.count() / 1000) - 2, 1, 25);
            const int rc = client.call("GET", cluster_path(args[0]) + "/events?after=" + std::to_string(last) +
                                                  "&wait=" + std::to_string(wait),
                                       newer);
            if (rc != kOk) return rc;
            if (!newer.is_array()) continue;
            for (const auto& e : newer) {
                const auto seq = e.value("seq", std::uint64_t{0});
                if (seq < last) last = 0;  // the controller restarted: its numbering did too
                last = std::max(last, seq);
            }
            if (newer.empty()) continue;
            if (o.json) {
                for (const auto& e : newer) std::printf("%s\n", e.dump().c_str());  // one JSON per line
            } else {
                for (const auto& e : newer) {
                    std::printf("%s  %s  %s  %s  %s -> %s  %s\n", field(e, "when").c_str(), field(e, "cluster").c_str(),
                                field(e, "kind").c_str(), field(e, "peer").c_str(), field(e, "from").c_str(),
                                field(e, "to").c_str(), field(e, "reason").c_str());
                }
            }
            std::fflush(stdout);
        }
    }
    if (command == "config") {
        if (args.empty()) return usage_error("usage: config get|set|patch|diff|sync|history|rollback NAME …");
        const std::string& sub = args[0];
        if (sub == "sync") {
            if (args.size() != 2) return usage_error("usage: config sync NAME");
            if (int rc = client.call("POST", cluster_path(args[1]) + "/sync", answer)) return rc;
            return report_write(o, answer);
        }
        if (sub == "history") {
            if (args.size() != 2) return usage_error("usage: config history NAME");
            if (int rc = client.call("GET", cluster_path(args[1]) + "/history", answer)) return rc;
            if (o.json) {
                print_json(answer);
                return kOk;
            }
            std::vector<std::vector<std::string>> rows;
            for (const auto& e : answer.value("entries", json::array())) {
                std::string what = field(e, "kind");
                if (e.contains("rollback_of")) what += " of " + field(e, "rollback_of");
                std::string request = "-";
                if (e.contains("request")) {
                    request = e["request"].dump();
                    if (request.size() > 60) request = request.substr(0, 57) + "...";
                } else if (e.contains("request_bytes")) {
                    request = field(e, "request_bytes") + " bytes";
                }
                rows.push_back({field(e, "generation"), field(e, "when"), field(e, "who"), what,
                                e.value("config_kept", false) ? "yes" : "no", request});
            }
            if (rows.empty()) {
                std::printf("no change made through the API yet\n");
            } else {
                print_table({"GEN", "WHEN", "WHO", "KIND", "ROLLBACK", "REQUEST"}, rows);
                std::printf("\nconfigs kept for rollback: the last %s (keaHistoryDepth)\n", field(answer, "depth").c_str());
            }
            return kOk;
        }
        if (sub == "get") {
            if (args.size() != 2) return usage_error("usage: config get NAME");
            if (int rc = client.call("GET", cluster_path(args[1]) + "/config", answer)) return rc;
            // The document on stdout (ready for config set), its ETag on stderr (for --if-match).
            print_json(answer);
            print_etag(client.last_reply());
            return kOk;
        }
        if (sub == "rollback") {
            if (args.size() != 3) return usage_error("usage: config rollback NAME GENERATION [--if-match ETAG]");
            if (args[2].empty() || args[2].find_first_not_of("0123456789") != std::string::npos) {
                return usage_error("GENERATION is a whole number (kea-ha-ctl config history " + args[1] + "), not '" + args[2] + "'");
            }
            std::map<std::string, std::string> headers;
            if (o.if_match) {
                headers["If-Match"] = *o.if_match;
            } else {
                // The config the operator is looking at now: a change made meanwhile makes it 412.
                json current;
                if (int rc = client.call("GET", cluster_path(args[1]) + "/config", current)) return rc;
                if (auto etag = client.last_reply().headers.find("etag"); etag != client.last_reply().headers.end()) {
                    headers["If-Match"] = etag->second;
                }
            }
            if (int rc = client.call("POST", cluster_path(args[1]) + "/history/" + args[2] + "/rollback", answer, {},
                                     "application/json", headers)) {
                return rc;
            }
            return report_write(o, answer);
        }
        if (sub == "diff") {
            if (args.size() < 2 || args.size() > 3) return usage_error("usage: config diff NAME [PEER]");
            std::string path = cluster_path(args[1]) + "/diff";
            std::string query = o.json ? "" : "documents=true";  // the table needs both documents
            if (args.size() == 3) query += (query.empty() ? "" : "&") + std::string("peer=") + encode(args[2]);
            if (!query.empty()) path += "?" + query;
            if (int rc = client.call("GET", path, answer)) return rc;
            return report_diff(o, answer);
        }
        if (sub == "set" || sub == "patch") {
            if (args.size() != 3) return usage_error("usage: config " + sub + " NAME FILE");
            std::string text;
            if (!read_file(args[2], text)) return usage_error("cannot read " + args[2] + ": " + std::strerror(errno));
            json document;
            try {
                document = json::parse(text);
            } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e400
                return usage_error(args[2] + " is not JSON: " + e.what());
            }
            std::string type = "application/json";
            if (sub == "patch") {
                if (document.is_array()) {
                    type = "application/json-patch+json";
                } else if (document.is_object()) {
                    type = "application/merge-patch+json";
                } else {
                    return usage_error(args[2] + ": a patch is a JSON array (RFC 6902) or object (RFC 7396)");
                }
            } else if (!document.is_object()) {
                return usage_error(args[2] + ": the configuration must be a JSON object ({\"Dhcp4\": {...}})");
            }
            std::map<std::string, std::string> headers;
            if (o.if_match) headers["If-Match"] = *o.if_match;
            const std::string target = cluster_path(args[1]) + "/config" + (o.dry_run ? "?dry_run=true" : "");
            if (int rc = client.call(sub == "set" ? "PUT" : "PATCH", target, answer, text, type, headers)) return rc;
            if (o.dry_run) return report_dry_run(o, answer);
            return report_write(o, answer);
        }
        return usage_error("unknown config command '" + sub + "' (get, set, patch, diff, sync, history, rollback)");
    }
    return usage_error("unknown command '" + command + "'");
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    // KEA_HA_CTL_API and KEA_HA_CTL_TOKEN_FILE; KEA_HA_API is the old spelling (one release more).
    if (const char* env = std::getenv("KEA_HA_CTL_API"); env && *env) {
        o.api = env;
    } else if (const char* old = std::getenv("KEA_HA_API"); old && *old) {
        o.api = old;
        std::fprintf(stderr, "kea-ha-ctl: KEA_HA_API is now KEA_HA_CTL_API; the old name goes in the next release\n");
    }
    if (const char* env = std::getenv("KEA_HA_CTL_TOKEN_FILE"); env && *env) o.token_file = env;
    bool options_done = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (options_done || arg.size() < 2 || arg[0] != '-' || arg == "-") {
            o.words.push_back(arg);
            continue;
        }
        if (arg == "--") {
            options_done = true;
            continue;
        }
        std::optional<std::string> inline_value;
        if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            inline_value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        }
        auto value = [&](std::string& out) {
            if (inline_value) {
                out = *inline_value;
                return true;
            }
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        std::string v;
        if (arg == "--version") {
            std::printf("kea-ha-ctl %s\n", KEA_HA_VERSION);
            return kOk;
        } else if (arg == "--help" || arg == "-h") {
            std::fputs(kea_ha::cli::usage_text().c_str(), stdout);
            return kOk;
        } else if (arg == "--json") {
            o.json = true;
        } else if (arg == "--max-period") {
            if (!value(v)) return usage_error("--max-period needs seconds");
            char* end = nullptr;
            const long seconds = std::strtol(v.c_str(), &end, 10);
            if (end == v.c_str() || *end || seconds < 1 || seconds > 86400) {
                return usage_error("--max-period takes whole seconds from 1 to 86400, not '" + v + "'");
            }
            o.max_period = seconds;
        } else if (arg == "--follow" || arg == "-f") {
            o.follow = true;
        } else if (arg == "--watch" || arg == "-w") {
            o.watch = true;
        } else if (arg == "--interval") {
            if (!value(v)) return usage_error("--interval needs seconds");
            char* end = nullptr;
            const double seconds = std::strtod(v.c_str(), &end);
            if (end == v.c_str() || *end || !(seconds >= 0.5) || seconds > 3600) {
                return usage_error("--interval takes 0.5 to 3600 seconds, not '" + v + "'");
            }
            o.interval_s = seconds;
        } else if (arg == "--dry-run") {
            o.dry_run = true;
        } else if (arg == "--insecure") {
            o.client.insecure = true;
        } else if (arg == "--api") {
            if (!value(o.api)) return usage_error("--api needs a URL");
        } else if (arg == "--token-file") {
            if (!value(v)) return usage_error("--token-file needs a file");
            o.token_file = v;
        } else if (arg == "--ca-file") {
            if (!value(v)) return usage_error("--ca-file needs a file");
            o.client.ca_file = v;
        } else if (arg == "--timeout") {
            if (!value(v)) return usage_error("--timeout needs seconds");
            char* end = nullptr;
            const double seconds = std::strtod(v.c_str(), &end);
            if (end == v.c_str() || *end || !(seconds > 0) || seconds > 86400) {
                return usage_error("--timeout takes seconds > 0, not '" + v + "'");
            }
            o.client.timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
        } else if (arg == "--service") {
            if (!value(o.service)) return usage_error("--service needs dhcp4 or dhcp6");
        } else if (arg == "--if-match") {
            if (!value(v) || trimmed(v).empty()) return usage_error("--if-match needs an ETag (from config get)");
            o.if_match = trimmed(v);
            // ETags are quoted strings ("0123abcd…"); accept one copied without its quotes.
            if (*o.if_match != "*" && o.if_match->front() != '"' && o.if_match->rfind("W/", 0) != 0) {
                o.if_match = "\"" + *o.if_match + "\"";
            }
        } else if (arg == "--relationship") {
            if (!value(v) || v.empty()) return usage_error("--relationship needs a this-server-name");
            o.relationship = v;
        } else if (arg == "--user") {
            if (!value(v) || v.empty()) return usage_error("--user needs a user name");
            o.auth_user = v;
        } else if (arg == "--password-file") {
            if (!value(v) || v.empty()) return usage_error("--password-file needs a file");
            o.auth_password_file = v;
        } else if (arg == "--control-url") {
            if (!value(v)) return usage_error("--control-url needs PEER=URL");
            o.control_urls.push_back(v);
        } else {
            return usage_error("unknown option '" + arg + "'");
        }
    }
    try {
        const int status = run(o);
        // A monitoring system reads 2 as CRITICAL: a check that could not even run is UNKNOWN.
        if (!o.words.empty() && o.words[0] == "check" && !o.check_ran && status == kUsage) return kCheckUnknown;
        return status;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kea-ha-ctl: %s\n", e.what());
        return kApiError;
    }
}
