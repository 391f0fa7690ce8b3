// End-to-end: GET /metrics of the real kea-ha-controller binary watching a real Kea
// hot-standby pair (SPEC §8). The exposition text is parsed strictly here (format 0.0.4) and
// its figures are checked against what the API says about the same cluster.
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::lab::wait_until;

const std::map<std::string, std::string> kFastPolling = {
    {"keaPollInterval", "0.5"}, {"keaRequestTimeout", "1"}, {"keaConfigTimeout", "10"}};

// ---------------------------------------------------------------------------------------------
// A small, strict parser of the Prometheus text exposition format 0.0.4.

using Labels = std::map<std::string, std::string>;

struct Sample {
    std::string name;
    Labels labels;
    double value = 0;
};

struct Family {
    std::string help;
    std::string type;
    int help_lines = 0;
    int type_lines = 0;
    std::vector<Sample> samples;
};

struct Exposition {
    std::map<std::string, Family> families;
    std::vector<std::string> problems;  ///< empty when the text is well formed

    /// The value of the one sample `name` whose labels include `match`; nullopt when none.
    std::optional<double> value(const std::string& name, const Labels& match) const {
        auto found = families.find(name);
        if (found == families.end()) return std::nullopt;
        std::optional<double> out;
        for (const auto& s : found->second.samples) {
            bool all = true;
            for (const auto& [k, v] : match) {
                auto l = s.labels.find(k);
                if (l == s.labels.end() || l->second != v) all = false;
            }
            if (all) {
                if (out) return std::nullopt;  // ambiguous match: treated as missing
                out = s.value;
            }
        }
        return out;
    }
    /// The label `label` of the samples of `name` matching `match` whose value is 1.
    std::vector<std::string> ones(const std::string& name, const Labels& match, const std::string& label) const {
        std::vector<std::string> out;
        auto found = families.find(name);
        if (found == families.end()) return out;
        for (const auto& s : found->second.samples) {
            bool all = s.value == 1;
            for (const auto& [k, v] : match) {
                auto l = s.labels.find(k);
                if (l == s.labels.end() || l->second != v) all = false;
            }
            if (all && s.labels.count(label)) out.push_back(s.labels.at(label));
        }
        return out;
    }
};

bool is_metric_name(const std::string& s) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool ok = std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
                        (i > 0 && std::isdigit(static_cast<unsigned char>(c)));
        if (!ok) return false;
    }
    return true;
}

bool is_label_name(const std::string& s) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool ok = std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
                        (i > 0 && std::isdigit(static_cast<unsigned char>(c)));
        if (!ok) return false;
    }
    return s.rfind("__", 0) != 0;
}

std::optional<double> parse_value(const std::string& text) {
    if (text == "NaN") return std::nan("");
    if (text == "+Inf") return INFINITY;
    if (text == "-Inf") return -INFINITY;
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return std::nullopt;
    // strtod also takes "nan", "inf", hex: the format does not.
    for (char c : text) {
        if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return std::nullopt;
    }
    return v;
}

Exposition parse_exposition(const std::string& text) {
    Exposition out;
    auto problem = [&](int line, const std::string& what, const std::string& content) {
        out.problems.push_back("line " + std::to_string(line) + ": " + what + ": " + content);
    };
    if (!text.empty() && text.back() != '\n') out.problems.push_back("the text does not end with a newline");

    std::set<std::string> closed;   // families whose samples are over (another family started)
    std::string current;            // family of the last line seen
    std::set<std::string> seen_series;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.empty()) continue;
        if (line[0] == '#') {
            std::istringstream words(line);
            std::string hash, keyword, name;
            words >> hash >> keyword >> name;
            if (keyword != "HELP" && keyword != "TYPE") continue;  // a plain comment
            if (!is_metric_name(name)) { problem(n, "bad metric name in " + keyword, line); continue; }
            if (closed.count(name)) problem(n, keyword + " after the family's samples ended", line);
            if (name != current && !current.empty()) closed.insert(current);
            current = name;
            auto& f = out.families[name];
            if (!f.samples.empty()) problem(n, keyword + " after samples of the family", line);
            std::string rest;
            std::getline(words, rest);
            if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
            if (keyword == "HELP") {
                ++f.help_lines;
                f.help = rest;
                if (rest.empty()) problem(n, "empty HELP", line);
            } else {
                ++f.type_lines;
                f.type = rest;
                static const std::set<std::string> types = {"counter", "gauge", "histogram", "summary", "untyped"};
                if (!types.count(rest)) problem(n, "unknown TYPE", line);
            }
            continue;
        }

        // name{label="value",...} value [timestamp]
        Sample s;
        std::size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
        if (!is_metric_name(s.name)) { problem(n, "bad metric name", line); continue; }
        std::string series = s.name;
        if (i < line.size() && line[i] == '{') {
            ++i;
            bool ok = true;
            while (ok && i < line.size() && line[i] != '}') {
                std::string key;
                while (i < line.size() && line[i] != '=' && line[i] != '}') key += line[i++];
                if (!is_label_name(key)) { problem(n, "bad label name '" + key + "'", line); ok = false; break; }
                if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
                    problem(n, "label value not quoted", line);
                    ok = false;
                    break;
                }
                i += 2;
                std::string value;
                bool closed_quote = false;
                while (i < line.size()) {
                    const char c = line[i++];
                    if (c == '"') { closed_quote = true; break; }
                    if (c == '\\') {
                        if (i >= line.size()) break;
                        const char e = line[i++];
                        if (e == 'n') value += '\n';
                        else if (e == '\\' || e == '"') value += e;
                        else { problem(n, "bad escape in label value", line); ok = false; break; }
                        continue;
                    }
                    value += c;
                }
                if (!ok) break;
                if (!closed_quote) { problem(n, "unterminated label value", line); ok = false; break; }
                if (s.labels.count(key)) problem(n, "label '" + key + "' repeated", line);
                s.labels[key] = value;
                if (i < line.size() && line[i] == ',') ++i;
                else if (i < line.size() && line[i] != '}') { problem(n, "junk after label value", line); ok = false; }
            }
            if (!ok) continue;
            if (i >= line.size() || line[i] != '}') { problem(n, "unterminated label set", line); continue; }
            ++i;
        }
        if (i >= line.size() || line[i] != ' ') { problem(n, "no space before the value", line); continue; }
        ++i;
        std::string value_text = line.substr(i);
        if (auto space = value_text.find(' '); space != std::string::npos) value_text.resize(space);  // timestamp
        auto value = parse_value(value_text);
        if (!value) { problem(n, "bad value '" + value_text + "'", line); continue; }
        s.value = *value;

        for (const auto& [k, v] : s.labels) series += "|" + k + "=" + v;
        if (!seen_series.insert(series).second) problem(n, "series repeated", line);

        auto found = out.families.find(s.name);
        if (found == out.families.end() || found->second.help_lines == 0 || found->second.type_lines == 0) {
            problem(n, "sample without HELP and TYPE before it", line);
            if (found == out.families.end()) found = out.families.emplace(s.name, Family{}).first;
        }
        if (s.name != current) {
            if (closed.count(s.name)) problem(n, "samples of the family are not together", line);
            if (!current.empty()) closed.insert(current);
            current = s.name;
        }
        found->second.samples.push_back(std::move(s));
    }
    for (const auto& [name, f] : out.families) {
        if (f.help_lines != 1) out.problems.push_back(name + ": " + std::to_string(f.help_lines) + " HELP lines");
        if (f.type_lines != 1) out.problems.push_back(name + ": " + std::to_string(f.type_lines) + " TYPE lines");
        if (f.type == "counter") {
            for (const auto& s : f.samples) {
                if (s.value < 0) out.problems.push_back(name + ": negative counter");
            }
        }
    }
    return out;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += s + "\n";
    return out;
}

// Parser self-checks: the test would be worthless if the parser let bad text through.
TEST(MetricsParser, AcceptsWellFormedAndRejectsBrokenText) {
    auto good = parse_exposition(
        "# HELP a_total Things.\n# TYPE a_total counter\na_total{x=\"q\\\"uo\\\\te\\n\",y=\"\"} 3\na_total 1e3\n"
        "# HELP b Gauge.\n# TYPE b gauge\nb NaN\nb{z=\"1\"} -Inf\n");
    EXPECT_TRUE(good.problems.empty()) << join(good.problems);
    EXPECT_EQ(good.families["a_total"].samples.at(0).labels.at("x"), "q\"uo\\te\n");

    for (const char* bad : {
             "a 1\n",                                                   // no HELP/TYPE
             "# HELP a A.\na 1\n",                                      // no TYPE
             "# HELP a A.\n# TYPE a gauge\n# HELP a A.\na 1\n",        // two HELP
             "# HELP a A.\n# TYPE a gauge\na{x=q} 1\n",                // unquoted
             "# HELP a A.\n# TYPE a gauge\na{x=\"q} 1\n",              // unterminated
             "# HELP a A.\n# TYPE a gauge\na{x=\"\\q\"} 1\n",          // bad escape
             "# HELP a A.\n# TYPE a gauge\na nan\n",                   // bad value
             "# HELP a A.\n# TYPE a gauge\na 1\na 2\n",                // repeated series
             "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 1\na{x=\"1\"} 1\n",  // split
             "# HELP a A.\n# TYPE a gauge\na 1",                       // no final newline
         }) {
        EXPECT_FALSE(parse_exposition(bad).problems.empty()) << "accepted: " << bad;
    }
}

// ---------------------------------------------------------------------------------------------

/// The lab and the controller (support/lab_controller.hpp), plus a scrape of /metrics.
struct Fixture : kea_ha::testing::LabController {
    Fixture() : LabController("kea-ha-metrics-e2e", kFastPolling) {}

    struct Scrape {
        std::string content_type;
        std::string text;
        Exposition parsed;
    };
    std::optional<Scrape> scrape() {
        auto reply = controller->request("GET", "/metrics");
        if (!reply) {
            ADD_FAILURE() << "GET /metrics: " << reply.error().describe();
            return std::nullopt;
        }
        if (reply->status != 200u) {
            ADD_FAILURE() << "GET /metrics: HTTP " << reply->status << " " << reply->body;
            return std::nullopt;
        }
        Scrape out;
        out.content_type = reply->headers.count("content-type") ? reply->headers.at("content-type") : "";
        out.text = reply->body;
        out.parsed = parse_exposition(reply->body);
        return out;
    }
};

/// The families SPEC §8 asks for, with their types.
const std::map<std::string, std::string> kFamilies = {
    {"kea_ha_build_info", "gauge"},
    {"kea_ha_clusters", "gauge"},
    {"kea_ha_cluster_state", "gauge"},
    {"kea_ha_cluster_warnings", "gauge"},
    {"kea_ha_peer_condition", "gauge"},
    {"kea_ha_peer_polls_total", "counter"},
    {"kea_ha_peer_poll_errors_total", "counter"},
    {"kea_ha_peer_poll_latency_seconds", "gauge"},
    {"kea_ha_peer_clock_skew_seconds", "gauge"},
    {"kea_ha_replications_total", "counter"},
    {"kea_ha_last_replication_duration_seconds", "gauge"},
    {"kea_ha_peer_in_sync", "gauge"},
};

void expect_well_formed(const Fixture::Scrape& s) {
    EXPECT_EQ(s.content_type.rfind("text/plain; version=0.0.4", 0), 0u) << "Content-Type: " << s.content_type;
    EXPECT_TRUE(s.parsed.problems.empty()) << join(s.parsed.problems) << "\n--- text ---\n" << s.text;
    for (const auto& [name, type] : kFamilies) {
        auto f = s.parsed.families.find(name);
        if (f == s.parsed.families.end()) {
            ADD_FAILURE() << "family missing: " << name;
            continue;
        }
        EXPECT_EQ(f->second.type, type) << name;
    }
}

/// Every peer of the API detail has exactly one condition at 1 in the metrics, the same one.
void expect_conditions_match(const Exposition& e, const nlohmann::json& detail) {
    ASSERT_TRUE(detail.is_object());
    for (const auto& peer : detail["peers"]) {
        const std::string name = peer["name"];
        auto ones = e.ones("kea_ha_peer_condition", {{"cluster", "pair"}, {"peer", name}}, "condition");
        ASSERT_EQ(ones.size(), 1u) << name << ": " << join(ones);
        EXPECT_EQ(ones[0], peer["condition"].get<std::string>()) << name;
        auto role = e.ones("kea_ha_peer_condition", {{"cluster", "pair"}, {"peer", name}}, "role");
        ASSERT_EQ(role.size(), 1u);
        EXPECT_EQ(role[0], peer["role"].get<std::string>()) << name;
    }
    auto states = e.ones("kea_ha_cluster_state", {{"cluster", "pair"}}, "state");
    ASSERT_EQ(states.size(), 1u) << join(states);
    EXPECT_EQ(states[0], detail["state"].get<std::string>());
}

/// issue 14 item 7: the alerting rules and the dashboard in packaging/ name only families this
/// daemon exports, and only labels its samples carry.
void expect_packaging_matches(const Exposition& e) {
    const std::string packaging = std::string(KEA_HA_TEST_DATA) + "/../../packaging";
    const std::regex selector(R"((kea_ha_[a-z_]+)(\{([^}]*)\})?)");
    const std::regex label_key(R"(([a-z_]+)\s*(=~|!~|!=|=))");
    int names = 0;
    for (const char* file : {"/prometheus/kea-ha-controller.rules.yml", "/prometheus/kea-ha-controller.rules.test.yml",
                             "/grafana/kea-ha-controller.json"}) {
        std::ifstream in(packaging + file);
        ASSERT_TRUE(in) << file;
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (std::sregex_iterator it(text.begin(), text.end(), selector), end; it != end; ++it) {
            const std::string name = (*it)[1];
            if (name.find(':') != std::string::npos) continue;
            ++names;
            auto family = e.families.find(name);
            if (family == e.families.end()) {
                ADD_FAILURE() << file << " names " << name << ", which the daemon does not export";
                continue;
            }
            if (family->second.samples.empty()) continue;  // nothing to compare the labels with
            const std::string labels = (*it)[3];
            for (std::sregex_iterator l(labels.begin(), labels.end(), label_key); l != end; ++l) {
                const std::string key = (*l)[1];
                // Prometheus adds the target's labels at scrape time (the dashboard's variables).
                if (key == "job" || key == "instance") continue;
                bool carried = false;
                for (const auto& sample : family->second.samples) carried = carried || sample.labels.count(key);
                EXPECT_TRUE(carried) << file << ": " << name << " has no label " << key;
            }
        }
    }
    EXPECT_GE(names, 20) << "the packaging files name too few metrics: is the regex right?";
}

TEST(MetricsE2E, MetricsFollowTheClusterThroughAPrimaryOutage) {
    Fixture f;
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start()) << f.controller->log();

    // Before any cluster: well formed, kea_ha_clusters 0.
    {
        auto s = f.scrape();
        ASSERT_TRUE(s);
        expect_well_formed(*s);
        EXPECT_EQ(s->parsed.value("kea_ha_clusters", {}), 0.0);
    }

    nlohmann::json body = {{"name", "pair"}, {"url", f.lab->peer("server1").url}, {"service", "dhcp4"}};
    auto added = f.controller->request("POST", "/v1/clusters", body.dump(), {{"Content-Type", "application/json"}});
    ASSERT_TRUE(added) << added.error().describe();
    ASSERT_EQ(added->status, 201u) << added->body;
    ASSERT_TRUE(f.wait_state("OK", std::nullopt, 10s)) << f.explain();
    // Every per-peer figure filled in: each peer polled and its latency known.
    const auto filled = [](const Exposition& e) {
        for (const char* peer : {"server1", "server2"}) {
            const auto polls = e.value("kea_ha_peer_polls_total", {{"cluster", "pair"}, {"peer", peer}});
            if (!polls || *polls <= 0) return false;
            if (!e.value("kea_ha_peer_poll_latency_seconds", {{"cluster", "pair"}, {"peer", peer}})) return false;
        }
        return true;
    };
    std::optional<Fixture::Scrape> first;
    EXPECT_TRUE(wait_until([&] { return (first = f.scrape()) && filled(first->parsed); }, 5s, 100ms))
        << (first ? first->text : "no scrape");
    ASSERT_TRUE(first);
    expect_well_formed(*first);
    const auto& e1 = first->parsed;
    auto detail = f.detail();
    ASSERT_EQ(detail.value("state", ""), "OK") << f.explain();

    auto health = f.controller->get_json("/v1/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(e1.value("kea_ha_build_info", {{"version", (*health)["version"].get<std::string>()}}), 1.0);
    EXPECT_EQ(e1.value("kea_ha_clusters", {}), 1.0);
    // issue 31 point 5: /v1/health's verdict and the source of truth, as metrics.
    EXPECT_EQ((*health)["status"], "ok");
    EXPECT_EQ(e1.value("kea_ha_health_degraded", {}), 0.0) << first->text;
    EXPECT_EQ(e1.ones("kea_ha_cluster_source_of_truth", {{"cluster", "pair"}}, "peer"),
              std::vector<std::string>{detail["source_of_truth"].get<std::string>()})
        << first->text;
    EXPECT_EQ(e1.value("kea_ha_cluster_state", {{"cluster", "pair"}, {"state", "OK"}}), 1.0) << first->text;
    for (const char* other : {"Impaired", "Down", "Unreachable"}) {
        EXPECT_EQ(e1.value("kea_ha_cluster_state", {{"cluster", "pair"}, {"state", other}}), 0.0) << other;
    }
    expect_conditions_match(e1, detail);
    for (const char* peer : {"server1", "server2"}) {
        SCOPED_TRACE(peer);
        EXPECT_EQ(e1.value("kea_ha_peer_condition", {{"cluster", "pair"}, {"peer", peer}, {"condition", "active"}}), 1.0);
        EXPECT_EQ(e1.value("kea_ha_peer_condition", {{"cluster", "pair"}, {"peer", peer}, {"condition", "unreachable"}}), 0.0);
        // 6 conditions per peer, no more, no less.
        int conditions = 0;
        for (const auto& s : e1.families.at("kea_ha_peer_condition").samples) {
            if (s.labels.at("peer") == peer) ++conditions;
        }
        EXPECT_EQ(conditions, 6);
        auto polls = e1.value("kea_ha_peer_polls_total", {{"cluster", "pair"}, {"peer", peer}});
        ASSERT_TRUE(polls);
        EXPECT_GT(*polls, 0);
        EXPECT_EQ(e1.value("kea_ha_peer_poll_errors_total", {{"cluster", "pair"}, {"peer", peer}}), 0.0);
        auto latency = e1.value("kea_ha_peer_poll_latency_seconds", {{"cluster", "pair"}, {"peer", peer}});
        ASSERT_TRUE(latency) << first->text;
        EXPECT_GT(*latency, 0);
        EXPECT_LT(*latency, 1.0);  // under keaRequestTimeout
    }
    // Clock skew: shown exactly for the peers the API shows it for (all on one machine: ~0 s).
    for (const auto& peer : detail["peers"]) {
        auto skew = e1.value("kea_ha_peer_clock_skew_seconds", {{"cluster", "pair"}, {"peer", peer["name"]}});
        if (peer["clock_skew_s"].is_number()) {
            ASSERT_TRUE(skew) << peer.dump();
            EXPECT_LE(std::abs(*skew), 2.0);
        }
    }
    EXPECT_EQ(e1.value("kea_ha_cluster_warnings", {{"cluster", "pair"}}),
              static_cast<double>(detail["warnings"].size()));
    EXPECT_EQ(e1.value("kea_ha_replications_total", {{"cluster", "pair"}, {"outcome", "failed"}}), 0.0);

    // Counters go up between scrapes (polling every 0.5 s): a later scrape shows more polls of
    // each peer, within a few poll intervals.
    const auto polled_more = [&](const Exposition& later) {
        for (const char* peer : {"server1", "server2"}) {
            auto before = e1.value("kea_ha_peer_polls_total", {{"cluster", "pair"}, {"peer", peer}});
            auto after = later.value("kea_ha_peer_polls_total", {{"cluster", "pair"}, {"peer", peer}});
            if (!before || !after || *after <= *before) return false;
        }
        return true;
    };
    std::optional<Fixture::Scrape> second;
    EXPECT_TRUE(wait_until([&] { return (second = f.scrape()) && polled_more(second->parsed); }, 5s, 100ms))
        << (second ? second->text : "no scrape");
    ASSERT_TRUE(second);
    expect_well_formed(*second);
    expect_packaging_matches(second->parsed);

    // The primary's dhcp4 stops: Impaired in the API, and in the metrics.
    ASSERT_TRUE(f.lab->stop_dhcp("server1"));
    ASSERT_TRUE(f.wait_state("Impaired", std::nullopt, 10s)) << f.explain();
    auto third = f.scrape();
    ASSERT_TRUE(third);
    expect_well_formed(*third);
    const auto& e3 = third->parsed;
    auto impaired = f.detail();
    ASSERT_EQ(impaired.value("state", ""), "Impaired") << f.explain();
    EXPECT_EQ(e3.value("kea_ha_cluster_state", {{"cluster", "pair"}, {"state", "Impaired"}}), 1.0) << third->text;
    EXPECT_EQ(e3.value("kea_ha_cluster_state", {{"cluster", "pair"}, {"state", "OK"}}), 0.0) << third->text;
    EXPECT_EQ(e3.value("kea_ha_peer_condition",
                       {{"cluster", "pair"}, {"peer", "server1"}, {"role", "primary"}, {"condition", "unreachable"}}),
              1.0) << third->text;
    EXPECT_EQ(e3.value("kea_ha_peer_condition", {{"cluster", "pair"}, {"peer", "server1"}, {"condition", "active"}}), 0.0);
    EXPECT_EQ(e3.value("kea_ha_peer_condition", {{"cluster", "pair"}, {"peer", "server2"}, {"condition", "unreachable"}}), 0.0);
    auto errors = e3.value("kea_ha_peer_poll_errors_total", {{"cluster", "pair"}, {"peer", "server1"}});
    ASSERT_TRUE(errors);
    EXPECT_GT(*errors, 0) << third->text;
    EXPECT_EQ(e3.value("kea_ha_peer_poll_errors_total", {{"cluster", "pair"}, {"peer", "server2"}}), 0.0);
    EXPECT_EQ(impaired["peers"][0]["name"], "server1");
    EXPECT_EQ(impaired["peers"][0]["condition"], "unreachable");
    ASSERT_TRUE(impaired["source_of_truth"].is_string()) << impaired.dump();
    EXPECT_EQ(impaired["source_of_truth"], "server2");
    EXPECT_EQ(e3.ones("kea_ha_cluster_source_of_truth", {{"cluster", "pair"}}, "peer"), std::vector<std::string>{"server2"})
        << third->text;
    expect_conditions_match(e3, impaired);
    // Polls keep counting for the unreachable peer too (errors are polls).
    auto polls3 = e3.value("kea_ha_peer_polls_total", {{"cluster", "pair"}, {"peer", "server1"}});
    ASSERT_TRUE(polls3);
    EXPECT_GE(*polls3, *errors);
}

}  // namespace
