// End-to-end: the status page (GET /, SPEC §8) rendered by a real headless Chromium against
// the real kea-ha-controller watching a real Kea hot-standby pair. Chromium's CLI dumps the
// DOM after the page's script ran (--dump-dom) and takes screenshots; no Playwright needed.
// Screenshots go to <build>/tests/artifacts/kea-X.Y/ for people to look at.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::testing::make_temp_directory;
namespace fs = std::filesystem;

const std::map<std::string, std::string> kFastPolling = {
    {"keaPollInterval", "0.5"}, {"keaRequestTimeout", "1"}, {"keaConfigTimeout", "10"}};

std::optional<std::string> find_chromium() {
    if (const char* env = std::getenv("KEA_HA_CHROMIUM"); env && *env && ::access(env, X_OK) == 0) return env;
    for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
        if (::access(path, X_OK) == 0) return std::string(path);
    }
    return std::nullopt;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

/// One directory per Kea version: the suite runs once per version, possibly at the same time
/// (ctest -j2), and a shared file was removed by one run while the other checked it.
fs::path artifacts_directory() {
    fs::path dir = fs::path(KEA_HA_BINARY_DIR) / "tests" / "artifacts" / ("kea-" + kea_ha::lab::lab_kea_version_from_env());
    fs::create_directories(dir);
    return dir;
}

/// Headless Chromium with a throw-away profile, no network but what the page asks for.
class Chromium {
public:
    explicit Chromium(std::string binary) : binary_(std::move(binary)), profile_(make_temp_directory("kea-ha-chromium")) {}
    ~Chromium() { std::error_code ec; fs::remove_all(profile_, ec); }

    /// The DOM after the page's scripts ran (virtual time budget: 5 s); nullopt on failure.
    std::optional<std::string> dump_dom(const std::string& url) {
        return run("--virtual-time-budget=5000 --window-size=1200,900 --dump-dom " + shell_quote(url));
    }
    /// A PNG of the page at `width`x`height`; true when Chromium exited 0.
    bool screenshot(const std::string& url, const fs::path& file, int width, int height) {
        std::error_code ec;
        fs::remove(file, ec);
        return run("--virtual-time-budget=5000 --hide-scrollbars --window-size=" + std::to_string(width) + "," +
                   std::to_string(height) + " --screenshot=" + shell_quote(file.string()) + " " + shell_quote(url))
            .has_value();
    }

private:
    std::optional<std::string> run(const std::string& args) {
        const std::string command =
            "timeout 90 " + shell_quote(binary_) +
            " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
            " --disable-component-update --disable-sync --disable-dev-shm-usage --disable-extensions"
            " --user-data-dir=" + shell_quote(profile_) + " " + args + " 2>" + shell_quote(profile_ + "/stderr.txt");
        FILE* pipe = ::popen(command.c_str(), "r");
        if (!pipe) return std::nullopt;
        std::string out;
        char buffer[8192];
        std::size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
        const int status = ::pclose(pipe);
        if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::ifstream err(profile_ + "/stderr.txt");
            std::string text((std::istreambuf_iterator<char>(err)), {});
            ADD_FAILURE() << "chromium failed (status " << status << "): " << command << "\n" << text;
            return std::nullopt;
        }
        return out;
    }

    std::string binary_;
    std::string profile_;
};

/// The <section> the page renders for cluster `name`: its opening tag, or "" when absent.
std::string cluster_section_tag(const std::string& dom, const std::string& name) {
    std::smatch m;
    const std::regex section("<section\\b[^>]*data-cluster=\"" + name + "\"[^>]*>");
    if (std::regex_search(dom, m, section)) return m.str();
    return {};
}

std::string attribute(const std::string& tag, const std::string& name) {
    std::smatch m;
    if (std::regex_search(tag, m, std::regex("\\b" + name + "=\"([^\"]*)\""))) return m[1].str();
    return {};
}

/// src/href attributes (and CSS url()/@import) pointing off the machine.
std::vector<std::string> external_references(const std::string& html) {
    std::vector<std::string> out;
    const std::regex reference("(?:\\b(?:src|href|action|srcset|poster|data)\\s*=\\s*[\"']?\\s*|url\\(\\s*[\"']?|@import\\s+[\"'])"
                               "((?:https?:)?//[^\"'\\s)>]*)",
                               std::regex::icase);
    for (auto it = std::sregex_iterator(html.begin(), html.end(), reference); it != std::sregex_iterator(); ++it) {
        out.push_back((*it)[0].str());
    }
    return out;
}

std::uintmax_t file_size_or_zero(const fs::path& file) {
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    return ec ? 0 : size;
}

TEST(StatusPageHelpers, ExternalReferencesAreFound) {
    EXPECT_TRUE(external_references("<script>fetch(\"/v1/health\")</script><a href=\"#x\">").empty());
    EXPECT_EQ(external_references("<script src=\"https://cdn.example/x.js\"></script>").size(), 1u);
    EXPECT_EQ(external_references("<link rel=stylesheet href='http://x/y.css'>").size(), 1u);
    EXPECT_EQ(external_references("<img src=//cdn/x.png>").size(), 1u);
    EXPECT_EQ(external_references("<style>body{background:url(https://x/y.png)}</style>").size(), 1u);
}

/// The lab and the controller (support/lab_controller.hpp), plus the status page's URL.
struct Fixture : kea_ha::testing::LabController {
    Fixture() : LabController("kea-ha-status-e2e", kFastPolling) {}
    std::string url() const { return "http://127.0.0.1:" + std::to_string(controller->port()) + "/"; }
};

TEST(StatusPageE2E, ChromiumShowsTheClusterOkThenImpaired) {
    auto chromium_path = find_chromium();
    if (!chromium_path) GTEST_SKIP() << "chromium not found (/usr/bin/chromium; or set KEA_HA_CHROMIUM): "
                                        "the status page is not checked in a real browser";
    Fixture f;
    ASSERT_TRUE(f.lab);
    ASSERT_TRUE(f.controller->start()) << f.controller->log();

    // The served HTML itself: a page, with no external assets.
    auto page = f.controller->request("GET", "/");
    ASSERT_TRUE(page) << page.error().describe();
    ASSERT_EQ(page->status, 200u);
    EXPECT_EQ(page->headers["content-type"].rfind("text/html", 0), 0u) << page->headers["content-type"];
    auto external = external_references(page->body);
    EXPECT_TRUE(external.empty()) << "external asset: " << external.front();
    EXPECT_EQ(page->body.find("http://"), std::string::npos) << "the page names an http:// URL";
    EXPECT_EQ(page->body.find("https://"), std::string::npos) << "the page names an https:// URL";

    nlohmann::json body = {{"name", "pair"}, {"url", f.lab->peer("server1").url}, {"service", "dhcp4"}};
    auto added = f.controller->request("POST", "/v1/clusters", body.dump(), {{"Content-Type", "application/json"}});
    ASSERT_TRUE(added) << added.error().describe();
    ASSERT_EQ(added->status, 201u) << added->body;
    ASSERT_TRUE(f.wait_state("OK", std::nullopt, 10s)) << f.explain();

    Chromium chromium(*chromium_path);
    const auto artifacts = artifacts_directory();
    std::fprintf(stderr, "status page screenshots: %s\n", artifacts.c_str());

    // OK: the rendered DOM (after the script fetched the API) has the cluster section.
    auto dom = chromium.dump_dom(f.url());
    ASSERT_TRUE(dom);
    auto tag = cluster_section_tag(*dom, "pair");
    ASSERT_FALSE(tag.empty()) << "no <section data-cluster=\"pair\"> in the rendered DOM:\n" << dom->substr(0, 6000);
    EXPECT_EQ(attribute(tag, "data-state"), "OK") << tag;
    EXPECT_NE(dom->find("server1"), std::string::npos);
    EXPECT_NE(dom->find("server2"), std::string::npos);
    EXPECT_NE(dom->find("hot-standby"), std::string::npos);
    EXPECT_TRUE(std::regex_search(*dom, std::regex(R"re(<tr><td>server1</td><td>primary</td><td class="cond-active">active</td>)re")))
        << "server1's row:\n" << dom->substr(0, 6000);
    // The error box stays empty and hidden (its text is set only when a refresh fails).
    std::smatch error_box;
    ASSERT_TRUE(std::regex_search(*dom, error_box, std::regex("<div id=\"error\"[^>]*>([^<]*)</div>")));
    EXPECT_EQ(error_box[1].str(), "") << "the page shows an error: " << error_box.str();
    auto external_dom = external_references(*dom);
    EXPECT_TRUE(external_dom.empty()) << "external asset in the DOM: " << external_dom.front();

    const auto ok_png = artifacts / "status-page-ok.png";
    const auto phone_png = artifacts / "status-page-ok-phone.png";
    ASSERT_TRUE(chromium.screenshot(f.url(), ok_png, 1200, 900));
    ASSERT_TRUE(chromium.screenshot(f.url(), phone_png, 390, 844));

    // The primary's dhcp4 stops: the API says Impaired, and so does the page.
    ASSERT_TRUE(f.lab->stop_dhcp("server1"));
    ASSERT_TRUE(f.wait_state("Impaired", std::nullopt, 10s)) << f.explain();
    dom = chromium.dump_dom(f.url());
    ASSERT_TRUE(dom);
    tag = cluster_section_tag(*dom, "pair");
    ASSERT_FALSE(tag.empty()) << dom->substr(0, 6000);
    EXPECT_EQ(attribute(tag, "data-state"), "Impaired") << tag;
    // server1's own row says unreachable (the word alone is also in the page's CSS, issue 31 point 6).
    EXPECT_TRUE(std::regex_search(*dom, std::regex(R"re(<tr><td>server1</td><td>primary</td><td class="cond-unreachable">unreachable</td>)re")))
        << "server1's condition is not shown in its row:\n" << dom->substr(0, 6000);
    EXPECT_TRUE(std::regex_search(*dom, std::regex(R"re(<tr><td>server2</td><td>[a-z]+</td><td class="cond-active">active</td>)re")))
        << "server2's row:\n" << dom->substr(0, 6000);
    const auto impaired_png = artifacts / "status-page-impaired.png";
    const auto impaired_phone_png = artifacts / "status-page-impaired-phone.png";
    ASSERT_TRUE(chromium.screenshot(f.url(), impaired_png, 1200, 900));
    ASSERT_TRUE(chromium.screenshot(f.url(), impaired_phone_png, 390, 844));

    for (const auto& file : {ok_png, phone_png, impaired_png, impaired_phone_png}) {
        const auto size = file_size_or_zero(file);
        std::fprintf(stderr, "  %s (%ju bytes)\n", file.c_str(), size);
        EXPECT_GT(size, 10u * 1024u) << file;
        std::ifstream png(file, std::ios::binary);
        char magic[8] = {};
        png.read(magic, sizeof magic);
        EXPECT_EQ(std::string(magic + 1, 3), "PNG") << file;
    }
}

}  // namespace
