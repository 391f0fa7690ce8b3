// The docs match the code, both ways (issue 31 point 3): every preferences key, API route,
// error code, CLI command and option, daemon option, metric family and log message of the
// code is in the docs, and the docs name none the code lacks.
//
// What the code has is read from the code of the tree this test is built from: the parser's
// own key list (known_preference_keys()), the real router (api::handle() against a backend that
// answers everything), and, where the code keeps no list, its sources (the `family("…")` calls
// of the metrics, the literals of the log calls, the error helpers, the CLI's argument checks).
// A key, route or message added by a later change is found without touching this file.
#include "cli/grammar.hpp"
#include "kea_ha/api/routes.hpp"
#include "kea_ha/core/preferences.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;
using Names = std::set<std::string>;

const fs::path kRoot = fs::path(KEA_HA_TEST_DATA).parent_path().parent_path();

std::string read(const fs::path& relative) {
    std::ifstream in(kRoot / relative, std::ios::binary);
    if (!in) ADD_FAILURE() << "cannot read " << (kRoot / relative);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// A man page's text as a reader sees the option and command names: roff's "\-" is "-".
std::string read_man(const fs::path& relative) {
    std::string text = read(relative);
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '-') continue;
        out += text[i];
    }
    return out;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

/// The files of a folder of the tree (recursively) whose names end in one of `suffixes`.
std::vector<fs::path> files_under(const fs::path& folder, std::initializer_list<std::string_view> suffixes) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(kRoot / folder)) {
        if (!entry.is_regular_file()) continue;
        const std::string name = entry.path().filename().string();
        for (auto suffix : suffixes) {
            if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
                found.push_back(fs::relative(entry.path(), kRoot));
                break;
            }
        }
    }
    std::sort(found.begin(), found.end());
    return found;
}

/// Every docs page a reader is given: docs/*.md, the man pages, the README, the default file.
std::vector<fs::path> all_docs() {
    auto docs = files_under("docs", {".md", ".1", ".5", ".8"});
    docs.emplace_back("README.md");
    docs.emplace_back("config/preferences.cfg");
    return docs;
}

/// Group `group` of every match of `pattern`, line by line (std::regex recurses per character:
/// a whole source file at once could exhaust the stack).
Names matches(const std::string& text, const std::regex& pattern, int group = 1) {
    Names found;
    for (const auto& line : lines_of(text)) {
        for (auto it = std::sregex_iterator(line.begin(), line.end(), pattern); it != std::sregex_iterator(); ++it) {
            found.insert((*it)[group].str());
        }
    }
    return found;
}

// --- reading C++ sources without a regex over the whole file ---------------------------------

std::size_t skip_space(const std::string& text, std::size_t pos) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\t' || text[pos] == '\r')) ++pos;
    return pos;
}

/// The string literal(s) starting at `pos` (after spaces), adjacent literals joined, escapes kept.
std::optional<std::string> literal_at(const std::string& text, std::size_t pos) {
    std::optional<std::string> joined;
    for (pos = skip_space(text, pos); pos < text.size() && text[pos] == '"'; pos = skip_space(text, pos)) {
        std::string value;
        for (++pos; pos < text.size() && text[pos] != '"'; ++pos) {
            if (text[pos] == '\\' && pos + 1 < text.size()) value += text[pos++];
            value += text[pos];
        }
        ++pos;
        joined = joined.value_or("") + value;
    }
    return joined;
}

/// The text of the call argument starting at `pos`, up to its top-level ',' or the closing ')'.
std::string argument_at(const std::string& text, std::size_t pos, std::size_t* end = nullptr) {
    int depth = 0;
    std::size_t i = pos;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\') ++i;
            }
        } else if (c == '(' || c == '{' || c == '[') {
            ++depth;
        } else if (c == ')' || c == '}' || c == ']') {
            if (depth == 0) break;
            --depth;
        } else if (c == ',' && depth == 0) {
            break;
        }
    }
    if (end) *end = i;
    return text.substr(pos, i - pos);
}

/// The lower-case words in quotes inside `argument` ("not-found", the two sides of a ?:).
Names code_literals(const std::string& argument) {
    static const std::regex word(R"re("([a-z][a-z0-9-]*)")re");
    return matches(argument, word);
}

bool identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

struct SourceFile {
    fs::path path;
    std::string text;
};

std::vector<SourceFile> product_sources() {
    std::vector<SourceFile> sources;
    for (const auto& path : files_under("src", {".cpp", ".hpp"})) sources.push_back({path, read(path)});
    return sources;
}

/// A log message's fixed words (docs/logging.md): its text before the first field, placeholder
/// or quoted value.
std::string fixed_words(std::string_view message) {
    // A field (key=), a placeholder ({} in the code; N, …, '…' in the docs) or a quoted value.
    static const std::regex field(R"re((?:^|\s)[A-Za-z_]+=|\{|…|'|"|\\"|\s[A-Z](?:\s|$))re");
    const std::string text(message);
    std::smatch m;
    std::string words = std::regex_search(text, m, field) ? text.substr(0, m.position(0)) : text;
    while (!words.empty() && (words.back() == ' ' || words.back() == ',' || words.back() == ':' || words.back() == '(')) {
        words.pop_back();
    }
    return words;
}

// --- the code -----------------------------------------------------------------------------

/// The fixed words of every message the daemon logs (src/, the CLI excluded: it prints).
std::map<std::string, fs::path> logged_messages() {
    std::map<std::string, fs::path> messages;
    for (const auto& source : product_sources()) {
        if (source.path.string().rfind("src/cli/", 0) == 0) continue;
        const std::string& text = source.text;
        // spdlog calls, and the API server's report(state, MESSAGE, …), which logs through its owner.
        for (std::string_view call : {"->trace(", "->debug(", "->info(", "->warn(", "->error(", "->critical(", "->log(",
                                      "report(*state, "}) {
            for (auto pos = text.find(call); pos != std::string::npos; pos = text.find(call, pos + 1)) {
                std::size_t start = pos + call.size();
                if (call == "->log(") {  // log(level, "…")
                    argument_at(text, start, &start);
                    ++start;
                }
                // Every literal of the message argument: both sides of a ?: are messages.
                const std::string argument = argument_at(text, start);
                for (auto quote = argument.find('"'); quote != std::string::npos;) {
                    auto message = literal_at(argument, quote);
                    std::size_t after = quote + 1;
                    while (after < argument.size() && argument[after] != '"') after += argument[after] == '\\' ? 2 : 1;
                    quote = argument.find('"', after + 1);
                    if (!message || quote == std::string::npos) {
                        if (message && !fixed_words(*message).empty()) messages.emplace(fixed_words(*message), source.path);
                        break;
                    }
                    // Skip literals joined to this one ("a" "b"): literal_at read them already.
                    while (quote != std::string::npos && argument.find_first_not_of(" \n\t", after + 1) == quote) {
                        after = quote + 1;
                        while (after < argument.size() && argument[after] != '"') after += argument[after] == '\\' ? 2 : 1;
                        quote = argument.find('"', after + 1);
                    }
                    const std::string words = fixed_words(*message);
                    // A message built elsewhere ("{}" of a warning's text) has no fixed words.
                    if (!words.empty()) messages.emplace(words, source.path);
                }
            }
        }
    }
    return messages;
}

/// Every `code` of an API error answer the code can give.
std::map<std::string, fs::path> error_codes() {
    std::map<std::string, fs::path> codes;
    const auto add = [&](const Names& found, const fs::path& where) {
        for (const auto& code : found) codes.emplace(code, where);
    };
    for (const auto& source : product_sources()) {
        const std::string& text = source.text;
        // error_response(STATUS, CODE, …) and the daemon's error(STATUS, CODE, …): the second argument.
        for (std::string_view call : {"error_response(", "error("}) {
            for (auto pos = text.find(call); pos != std::string::npos; pos = text.find(call, pos + 1)) {
                if (pos > 0 && (identifier_char(text[pos - 1]) || text[pos - 1] == '.' || text[pos - 1] == '>')) continue;
                std::size_t end = 0;
                const std::string status = argument_at(text, pos + call.size(), &end);
                if (status.find('"') != std::string::npos || end >= text.size() || text[end] != ',') continue;
                add(code_literals(argument_at(text, end + 1)), source.path);
            }
        }
        // error_body(CODE, …): the first argument.
        for (auto pos = text.find("error_body("); pos != std::string::npos; pos = text.find("error_body(", pos + 1)) {
            add(code_literals(argument_at(text, pos + std::string_view("error_body(").size())), source.path);
        }
        // {"error", {{"code", CODE}, …}}
        constexpr std::string_view kInline = R"({"error", {{"code", )";
        for (auto pos = text.find(kInline); pos != std::string::npos; pos = text.find(kInline, pos + 1)) {
            add(code_literals(argument_at(text, pos + kInline.size())), source.path);
        }
    }
    return codes;
}

Names metric_families() {
    Names families;
    for (const auto& source : product_sources()) {
        const std::string& text = source.text;
        for (auto pos = text.find("family(\""); pos != std::string::npos; pos = text.find("family(\"", pos + 1)) {
            if (auto name = literal_at(text, pos + 7); name && name->rfind("kea_ha_", 0) == 0) families.insert(*name);
        }
    }
    return families;
}

Names options_of(const fs::path& source) {
    static const std::regex option(R"re(arg == "(--?[a-zA-Z][a-z-]*)")re");
    return matches(read(source), option);
}

// --- the docs ------------------------------------------------------------------------------

/// The cells of one Markdown table row ("| a | `b|c` |"): '|' inside backticks does not split.
std::vector<std::string> cells_of(const std::string& line) {
    std::vector<std::string> cells;
    std::string cell;
    bool code = false;
    for (std::size_t i = 1; i < line.size(); ++i) {
        if (line[i] == '`') code = !code;
        if (line[i] == '|' && !code && line[i - 1] != '\\') {
            cells.push_back(cell);
            cell.clear();
        } else {
            cell += line[i];
        }
    }
    return cells;
}

/// The rows of the Markdown table that follows `heading` in `text` (the first table after it).
std::vector<std::vector<std::string>> table_after(const std::string& text, std::string_view heading) {
    std::vector<std::vector<std::string>> rows;
    bool in_section = false;
    bool in_table = false;
    for (const auto& line : lines_of(text)) {
        if (!in_section) {
            in_section = line == heading;
            continue;
        }
        if (line.rfind("|", 0) != 0) {
            if (in_table) break;
            continue;
        }
        in_table = true;
        if (line.rfind("|---", 0) != 0) rows.push_back(cells_of(line));
    }
    if (rows.empty()) ADD_FAILURE() << "no table after '" << heading << "'";
    return rows;
}

Names backticked(const std::string& text) {
    static const std::regex span("`([^`]+)`");
    return matches(text, span);
}

std::string join(const Names& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

// --- preferences keys ----------------------------------------------------------------------

TEST(DocsMatchCode, EveryPreferencesKey_IsInTheReferenceTheManPageAndTheDefaultFile) {
    for (const fs::path doc : {"docs/configuration.md", "docs/man/kea-ha-controller-preferences.5", "config/preferences.cfg"}) {
        const std::string text = read(doc);
        Names missing;
        for (auto key : kea_ha::core::known_preference_keys()) {
            if (!std::regex_search(text, std::regex("\\b" + std::string(key) + "\\b"))) missing.insert(std::string(key));
        }
        EXPECT_TRUE(missing.empty()) << doc << " does not document: " << join(missing);
    }
    const std::string reference = read("docs/configuration.md");
    for (auto key : kea_ha::core::known_preference_keys()) {
        EXPECT_NE(reference.find("| `" + std::string(key) + "` |"), std::string::npos)
            << "docs/configuration.md has no table row for " << key;
    }
}

TEST(DocsMatchCode, DocsNameNoPreferencesKeyTheCodeLacks) {
    const auto& known = kea_ha::core::known_preference_keys();
    const auto is_key = [&](const std::string& word) { return std::find(known.begin(), known.end(), word) != known.end(); };
    // keaXxx, apiXxx, logXxx, stateXxx words; `keaTls*` stands for every key it begins.
    static const std::regex word(R"re(\b((?:kea|api|log|state)[A-Z][A-Za-z]*)(\*?))re");
    for (const auto& doc : all_docs()) {
        Names unknown;
        for (const auto& line : lines_of(read(doc))) {
            // The documented example of a misspelt key, which the daemon warns about.
            if (line.find("did you mean") != std::string::npos) continue;
            for (auto it = std::sregex_iterator(line.begin(), line.end(), word); it != std::sregex_iterator(); ++it) {
                const std::string name = (*it)[1].str();
                if (name == "keaServer") continue;  // the element declaring a relationship, not a key
                if ((*it)[2].matched && (*it)[2].length() > 0) {
                    const bool begins_one = std::any_of(known.begin(), known.end(), [&](std::string_view k) { return k.rfind(name, 0) == 0; });
                    if (!begins_one) unknown.insert(name + "*");
                } else if (!is_key(name)) {
                    unknown.insert(name);
                }
            }
        }
        EXPECT_TRUE(unknown.empty()) << doc << " names preferences keys the code does not know: " << join(unknown);
    }
}

// --- API routes ------------------------------------------------------------------------------

/// Answers every operation with success, so the router alone decides 404 and 405.
class AnsweringBackend final : public kea_ha::api::ApiBackend {
public:
    nlohmann::json list_clusters() const override { return nlohmann::json::array(); }
    std::optional<nlohmann::json> cluster_detail(const std::string&) const override { return nlohmann::json::object(); }
    std::optional<nlohmann::json> cluster_events(const std::string&) const override { return nlohmann::json::array(); }
    boost::asio::awaitable<kea_ha::api::Outcome> register_cluster(kea_ha::api::RegisterRequest) override {
        co_return kea_ha::api::Outcome{201, nlohmann::json::object(), {}};
    }
    kea_ha::api::Outcome remove_cluster(const std::string&) override { return {204, nullptr, {}}; }
    boost::asio::awaitable<kea_ha::api::Outcome> config_operation(const std::string&, kea_ha::api::ConfigRequest) override {
        co_return kea_ha::api::Outcome{200, nlohmann::json::object(), {}};
    }
    boost::asio::awaitable<kea_ha::api::Outcome> ha_action(const std::string&, kea_ha::api::HaActionRequest) override {
        co_return kea_ha::api::Outcome{200, nlohmann::json::object(), {}};
    }
    std::string metrics() const override { return ""; }
    std::string version() const override { return "test"; }
};

kea_ha::api::ApiResponse ask(const std::string& method, const std::string& target) {
    boost::asio::io_context io;
    AnsweringBackend backend;
    kea_ha::api::ApiRequest request{method, target, {{"content-type", "application/json"}}, "{}", "127.0.0.1:40000"};
    // handle() is a lazy coroutine holding references: the settings must outlive io.run().
    const kea_ha::api::ApiSettings settings;
    auto answer = boost::asio::co_spawn(io, kea_ha::api::handle(request, backend, settings),
                                        boost::asio::use_future);
    io.run();
    return answer.get();
}

struct DocumentedRoute {
    std::set<std::string> methods;
    std::string path;  ///< as documented: /v1/clusters/NAME/peers/PEER/ACTION
};

/// The rows of api.md's "Endpoints" table: "`PUT`, `PATCH /v1/clusters/NAME/config`".
std::vector<DocumentedRoute> documented_routes() {
    static const std::regex method(R"re(\b(GET|HEAD|POST|PUT|PATCH|DELETE)\b)re");
    static const std::regex path(R"re((/[A-Za-z0-9/_.-]*))re");
    std::vector<DocumentedRoute> routes;
    for (const auto& row : table_after(read("docs/api.md"), "## Endpoints")) {
        if (row.empty() || row[0].find("method") != std::string::npos) continue;
        DocumentedRoute route;
        route.methods = matches(row[0], method);
        std::smatch m;
        if (std::regex_search(row[0], m, path)) route.path = m[1].str();
        EXPECT_FALSE(route.methods.empty() || route.path.empty()) << "api.md: unreadable endpoint row: " << row[0];
        routes.push_back(route);
    }
    return routes;
}

/// A documented path with its placeholders filled in.
std::string concrete(std::string path) {
    for (const auto& [placeholder, value] : std::vector<std::pair<std::string, std::string>>{
             {"NAME", "dhcp-a"}, {"PEER", "server1"}, {"ACTION", "maintenance-start"}, {"G", "3"}}) {
        for (auto pos = path.find(placeholder); pos != std::string::npos; pos = path.find(placeholder)) {
            path.replace(pos, placeholder.size(), value);
        }
    }
    return path;
}

bool routed(const kea_ha::api::ApiResponse& answer) {
    return answer.status != 405 && !(answer.status == 404 && answer.body.find("no such path") != std::string::npos);
}

TEST(DocsMatchCode, EveryDocumentedRoute_IsAnsweredByTheRouter) {
    const auto routes = documented_routes();
    ASSERT_GE(routes.size(), 10u);
    for (const auto& route : routes) {
        for (const auto& method : route.methods) {
            const auto answer = ask(method, concrete(route.path));
            EXPECT_TRUE(routed(answer)) << "api.md documents " << method << " " << route.path << ", the router answers "
                                        << answer.status << " " << answer.body;
        }
    }
}

TEST(DocsMatchCode, EveryMethodTheRouterTakes_IsDocumented) {
    std::map<std::string, std::set<std::string>> methods_of;  // one path may have several rows
    for (const auto& route : documented_routes()) methods_of[route.path].insert(route.methods.begin(), route.methods.end());
    for (const auto& [path, methods] : methods_of) {
        for (const std::string method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
            if (methods.count(method)) continue;
            const auto answer = ask(method, concrete(path));
            EXPECT_FALSE(routed(answer)) << "the router takes " << method << " " << path << " (answers "
                                         << answer.status << "), api.md's Endpoints table does not say so";
        }
    }
}

TEST(DocsMatchCode, EveryPathSegmentTheRouterKnows_IsInADocumentedRoute) {
    static const std::regex segment(R"re(\bp\[\d\] [!=]= "([a-z_-]+)")re");
    const Names known = matches(read("src/api/routes.cpp"), segment);
    ASSERT_FALSE(known.empty());
    Names documented;
    for (const auto& route : documented_routes()) {
        std::istringstream parts(route.path);
        for (std::string part; std::getline(parts, part, '/');) documented.insert(part);
    }
    Names missing;
    for (const auto& word : known) {
        if (!documented.count(word)) missing.insert(word);
    }
    EXPECT_TRUE(missing.empty()) << "routes.cpp routes path segments api.md's Endpoints table lacks: " << join(missing);
}

// --- error codes ---------------------------------------------------------------------------------

Names documented_error_codes() {
    Names codes;
    for (const auto& row : table_after(read("docs/api.md"), "## Errors")) {
        if (row.size() < 2 || row[0].find("status") != std::string::npos) continue;
        for (const auto& code : backticked(row[1])) codes.insert(code);
    }
    return codes;
}

// --- warning codes ---------------------------------------------------------------------------

TEST(DocsMatchCode, EveryWarningCode_HasARowInOperationsMdWithItsFix) {
    // include/kea_ha/core/warning.hpp, namespace warning_code: `inline constexpr char kX[] = "code";`
    static const std::regex constant(R"re(inline constexpr char k[A-Za-z]+\[\] = "([a-z-]+)";)re");
    const Names codes = matches(read("include/kea_ha/core/warning.hpp"), constant);
    ASSERT_GE(codes.size(), 10u) << "warning.hpp's codes were not found: did their spelling change?";
    Names documented;
    for (const auto& row : table_after(read("docs/operations.md"), "## Warnings and what to do")) {
        if (row.size() < 3 || row[2].find_first_not_of(" -") == std::string::npos) continue;  // no fix given
        for (const auto& code : backticked(row[0])) documented.insert(code);
    }
    for (const auto& code : codes) {
        EXPECT_TRUE(documented.count(code)) << "warning code '" << code
                                            << "' has no row (with what to do) in docs/operations.md's warnings table";
    }
}

TEST(DocsMatchCode, EveryErrorCode_IsInTheApiErrorTable) {
    const auto codes = error_codes();
    ASSERT_GE(codes.size(), 20u) << "the error helpers were not found in src/: did their names change?";
    const auto documented = documented_error_codes();
    for (const auto& [code, where] : codes) {
        EXPECT_TRUE(documented.count(code)) << where << " answers error code '" << code
                                            << "', api.md's Errors table does not list it";
    }
}

TEST(DocsMatchCode, ApiErrorTable_ListsOnlyCodesTheCodeGives) {
    const auto codes = error_codes();
    for (const auto& code : documented_error_codes()) {
        EXPECT_TRUE(codes.count(code)) << "api.md's Errors table lists '" << code << "', no code in src/ answers it";
    }
}

// --- kea-ha-ctl and the daemon's options ---------------------------------------------------------

/// `--word` tokens of a page, except in shell lines about other programs (systemctl --now).
Names options_named(const std::string& text) {
    static const std::regex option(R"re((?:^|[^\w-])(--[a-z][a-z-]*))re");
    Names names;
    for (const auto& line : lines_of(text)) {
        if (line.find("systemctl") != std::string::npos || line.find("ctest") != std::string::npos) continue;
        for (const auto& name : matches(line, option)) names.insert(name);
    }
    return names;
}

void expect_options_match(const Names& code, const fs::path& doc, const std::string& text,
                          const Names& placeholders = {}) {
    Names missing;
    for (const auto& option : code) {
        if (option.rfind("--", 0) == 0 && text.find(option) == std::string::npos) missing.insert(option);
    }
    EXPECT_TRUE(missing.empty()) << doc << " does not document: " << join(missing);
    Names unknown;
    for (const auto& option : options_named(text)) {
        if (!code.count(option) && !placeholders.count(option)) unknown.insert(option);
    }
    EXPECT_TRUE(unknown.empty()) << doc << " names options the program does not take: " << join(unknown);
}

TEST(DocsMatchCode, CliOptions_MatchCliMdAndTheManPage) {
    const Names code = options_of("src/cli/main.cpp");
    ASSERT_GE(code.size(), 10u);
    // Every option the usage text names is one the CLI takes.
    static const std::regex usage_option(R"re((?:^|[^\w-])(--[a-z][a-z-]*))re");
    for (const auto& option : matches(kea_ha::cli::usage_text(), usage_option)) {
        EXPECT_TRUE(code.count(option)) << "the usage text names " << option << ", the CLI does not take it";
    }
    expect_options_match(code, "docs/cli.md", read("docs/cli.md"));
    // "--option VALUE" / "--option=VALUE" is the man page's own notation.
    expect_options_match(code, "docs/man/kea-ha-ctl.1", read_man("docs/man/kea-ha-ctl.1"), {"--option"});
}

TEST(DocsMatchCode, DaemonOptions_MatchTheManPage) {
    const Names code = options_of("src/main.cpp");
    ASSERT_GE(code.size(), 5u);
    expect_options_match(code, "docs/man/kea-ha-controller.8", read_man("docs/man/kea-ha-controller.8"));
}

/// The text of a man page line as a reader sees it: no requests (.BR), fonts (\\fB) or quotes.
std::string man_plain(std::string line) {
    if (line.rfind(".", 0) == 0) line = line.substr(std::min(line.find(' '), line.size()));
    static const std::regex font(R"re(\\f[BIRP])re");
    line = std::regex_replace(line, font, "");
    line.erase(std::remove(line.begin(), line.end(), '"'), line.end());
    line = std::regex_replace(line, std::regex(" +"), " ");
    const auto first = line.find_first_not_of(' ');
    return first == std::string::npos ? "" : line.substr(first);
}

std::string synopsis(const kea_ha::cli::CommandSpec& command) {
    return std::string(command.words) + " " + std::string(command.arguments);
}

TEST(DocsMatchCode, ManPageCommands_AreTheGrammarTableInOrder) {
    std::vector<std::string> documented;
    bool in_commands = false;
    bool entry = false;
    for (const auto& line : lines_of(read_man("docs/man/kea-ha-ctl.1"))) {
        if (line.rfind(".SH", 0) == 0) in_commands = line == ".SH COMMANDS";
        if (!in_commands) continue;
        if (entry) documented.push_back(man_plain(line));
        entry = line == ".TP";
    }
    std::vector<std::string> table;
    for (const auto& command : kea_ha::cli::commands()) table.push_back(synopsis(command));
    EXPECT_EQ(documented, table) << "kea-ha-ctl(1)'s COMMANDS differ from src/cli/grammar.cpp";
}

TEST(DocsMatchCode, CliMdUsageBlock_IsTheUsageText) {
    const auto lines = lines_of(read("docs/cli.md"));
    auto heading = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("### Usage", 0) == 0; });
    ASSERT_NE(heading, lines.end()) << "docs/cli.md has no '### Usage' section";
    auto open = std::find(heading, lines.end(), "```");
    ASSERT_NE(open, lines.end());
    auto close = std::find(open + 1, lines.end(), "```");
    ASSERT_NE(close, lines.end());
    std::string block;
    for (auto it = open + 1; it != close; ++it) block += *it + "\n";
    EXPECT_EQ(block, kea_ha::cli::usage_text()) << "docs/cli.md's usage block differs from `kea-ha-ctl --help`";
}

TEST(DocsMatchCode, CliMdHeadings_NameEveryCommandAndNoOther) {
    std::vector<std::string> parts;  // "config set NAME FILE [--if-match ETAG]", one per "·"
    for (const auto& line : lines_of(read("docs/cli.md"))) {
        if (line.rfind("### ", 0) != 0 || line.rfind("### Usage", 0) == 0 || line == "### Old spellings") continue;
        std::string rest = line.substr(4);
        for (auto dot = rest.find(" · "); ; dot = rest.find(" · ")) {
            parts.push_back(rest.substr(0, dot));
            if (dot == std::string::npos) break;
            rest = rest.substr(dot + std::string(" · ").size());
        }
    }
    const auto starts_with_words = [](const std::string& part, std::string_view words) {
        return part.rfind(words, 0) == 0 &&
               (part.size() == words.size() || part[words.size()] == ' ' || part[words.size()] == '|');
    };
    for (const auto& command : kea_ha::cli::commands()) {
        const bool found = std::any_of(parts.begin(), parts.end(), [&](const std::string& part) {
            return starts_with_words(part, command.words) ||
                   // "config set|patch …": the second verb of a shared heading
                   part.find("|" + std::string(command.words.substr(command.words.rfind(' ') + 1))) != std::string::npos;
        });
        EXPECT_TRUE(found) << "docs/cli.md has no ### heading for '" << command.words << "'";
    }
    for (const auto& part : parts) {
        const auto commands = kea_ha::cli::commands();
        const bool known = std::any_of(commands.begin(), commands.end(),
                                       [&](const auto& command) { return starts_with_words(part, command.words); });
        EXPECT_TRUE(known) << "docs/cli.md has a ### heading '" << part << "', kea-ha-ctl has no such command";
    }
}

// --- metrics ---------------------------------------------------------------------------------------

TEST(DocsMatchCode, EveryMetricFamily_HasARowInMetricsMd) {
    const Names families = metric_families();
    ASSERT_GE(families.size(), 8u);
    const std::string metrics = read("docs/metrics.md");
    for (const auto& family : families) {
        EXPECT_NE(metrics.find("| `" + family + "` |"), std::string::npos) << "docs/metrics.md has no row for " << family;
    }
}

TEST(DocsMatchCode, DocsDashboardsAndAlerts_NameOnlyExportedMetrics) {
    const Names families = metric_families();
    // CMake library names (kea_ha_core, …) in the development docs are not metrics.
    static const std::regex library(R"re((?:add_library|kea_ha_module)\((kea_ha_[a-z_]+))re");
    Names libraries = matches(read("CMakeLists.txt"), library);
    libraries.merge(matches(read("tests/CMakeLists.txt"), library));
    static const std::regex name(R"re(\b(kea_ha_[a-z0-9_]+))re");
    auto pages = all_docs();
    for (const auto& file : files_under("packaging", {".yml", ".json"})) pages.push_back(file);
    for (const auto& page : pages) {
        Names unknown;
        for (const auto& metric : matches(read(page), name)) {
            const std::string family = std::regex_replace(metric, std::regex("_(bucket|sum|count)$"), "");
            if (!families.count(metric) && !families.count(family) && !libraries.count(metric)) unknown.insert(metric);
        }
        EXPECT_TRUE(unknown.empty()) << page << " names metrics the controller does not export: " << join(unknown);
    }
}

// --- log messages ------------------------------------------------------------------------------------

/// The fixed words of each message in docs/logging.md's table (every backticked message of the
/// message column: "`stopping signal=SIGTERM` / `stopped`").
Names documented_log_messages() {
    Names messages;
    for (const auto& line : lines_of(read("docs/logging.md"))) {
        if (line.rfind("| ", 0) != 0 || line.rfind("| level", 0) == 0) continue;
        const auto cells = cells_of(line);
        if (cells.size() < 3) continue;
        for (const auto& message : backticked(cells[2])) {
            const std::string words = fixed_words(message);
            if (!words.empty() && words.find("FILE") == std::string::npos) messages.insert(words);
        }
    }
    return messages;
}

TEST(DocsMatchCode, EveryLogMessage_IsInLoggingMd) {
    const auto messages = logged_messages();
    ASSERT_GE(messages.size(), 30u);
    const std::string catalogue = read("docs/logging.md");
    for (const auto& [words, where] : messages) {
        EXPECT_NE(catalogue.find("`" + words), std::string::npos)
            << where << " logs '" << words << " …', docs/logging.md does not list it";
    }
}

TEST(DocsMatchCode, LoggingMd_ListsOnlyMessagesTheCodeLogs) {
    const auto messages = logged_messages();
    for (const auto& words : documented_log_messages()) {
        const bool logged = std::any_of(messages.begin(), messages.end(), [&](const auto& m) {
            return m.first.rfind(words, 0) == 0;
        });
        EXPECT_TRUE(logged) << "docs/logging.md lists '" << words << " …', no log call in src/ begins so";
    }
}

// --- the Kea commands (docs/kea-setup.md) ------------------------------------------------------

/// Every Kea command the controller sends: its polls and config operations (kea/, daemon/) and
/// the HA actions an operator asks for (core/ha_action.cpp). The lab's own commands are not it.
std::map<std::string, fs::path> kea_commands() {
    static const std::regex sent(R"re(\b(?:command|make)\("([a-z0-9-]+)")re");
    static const std::regex action(R"re(plan = \{[^,{]+, "([a-z0-9-]+)")re");
    std::map<std::string, fs::path> commands;
    for (const auto& source : product_sources()) {
        const std::string path = source.path.string();
        if (path.rfind("src/lab/", 0) == 0 || path.rfind("src/cli/", 0) == 0) continue;
        for (const auto& name : matches(source.text, sent)) commands.emplace(name, source.path);
        for (const auto& name : matches(source.text, action)) commands.emplace(name, source.path);
    }
    return commands;
}

TEST(DocsMatchCode, KeaSetupMd_ListsExactlyTheCommandsTheControllerSends) {
    const auto commands = kea_commands();
    ASSERT_GE(commands.size(), 10u) << "the command builders were not found in src/: did their names change?";
    Names documented;
    for (const auto& row : table_after(read("docs/kea-setup.md"), "### The commands the controller sends")) {
        if (row.empty() || row[0].find("command") != std::string::npos) continue;
        documented.merge(backticked(row[0]));
    }
    for (const auto& [name, where] : commands) {
        EXPECT_TRUE(documented.count(name)) << where << " sends '" << name
                                            << "', docs/kea-setup.md's list of commands (for ACLs) lacks it";
    }
    for (const auto& name : documented) {
        EXPECT_TRUE(commands.count(name)) << "docs/kea-setup.md lists '" << name << "', the controller never sends it";
    }
}

// --- what the README links is installed -----------------------------------------------------------

TEST(DocsMatchCode, EveryDocsPageTheReadmeLinks_IsInstalled) {
    static const std::regex link(R"re(\]\((docs/[a-z-]+\.md)\))re");
    const Names linked = matches(read("README.md"), link);
    ASSERT_FALSE(linked.empty());
    const std::string cmake = read("CMakeLists.txt");
    for (const auto& page : linked) {
        EXPECT_TRUE(std::regex_search(cmake, std::regex("install\\(FILES[^)]*\\b" + page + "\\b")))
            << "README.md links " << page << ", CMakeLists.txt does not install it (the package's readers get a dead link)";
    }
}

}  // namespace
