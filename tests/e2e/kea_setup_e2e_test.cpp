// End-to-end: docs/kea-setup.md shows the configs the lab runs (issue 31 point 2). Each
// example there is marked `<!-- lab-config kea=VERSION transport=agent|direct file=dhcp4|agent -->`
// and followed by a ```json block. For the Kea version under test this starts the lab the way
// the page describes it (basic auth with the password in a file; TLS on the Control Agents),
// reads the config files the lab gave its Kea daemons, and compares each with its example
// (the lab's directory written LAB, the peers' addresses 192.0.2.1 and 192.0.2.2). Then the
// controller manages that lab with the preferences the page gives, up to OK: the examples
// are configs real Kea runs and the controller can manage, not text copied by hand.
//
// KEA_SETUP_PRINT=1 prints the lab's configs in the page's form (to update the page).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kea_ha/lab/kea_lab.hpp"
#include "support/lab_controller.hpp"

namespace {

using namespace std::chrono_literals;
using kea_ha::lab::LabOptions;
using kea_ha::lab::LabTransport;

const std::string kPage = std::string(KEA_HA_TEST_DATA) + "/../../docs/kea-setup.md";

struct Example {
    std::string kea;
    std::string transport;  ///< agent, direct
    std::string file;       ///< dhcp4 (server1's kea-dhcp4 config), agent (server1's kea-ctrl-agent config)
    std::string json;       ///< the block's text
    int line = 0;
};

std::vector<Example> examples_in_page() {
    std::ifstream in(kPage);
    EXPECT_TRUE(in) << "cannot read " << kPage;
    static const std::regex marker(R"re(<!-- lab-config kea=(\S+) transport=(agent|direct) file=(dhcp4|agent) -->)re");
    std::vector<Example> found;
    std::optional<Example> pending;
    bool in_block = false;
    int number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        std::smatch m;
        if (in_block) {
            if (line == "```") {
                found.push_back(*pending);
                pending.reset();
                in_block = false;
            } else {
                pending->json += line + "\n";
            }
        } else if (std::regex_match(line, m, marker)) {
            pending = Example{m[1], m[2], m[3], "", number};
        } else if (pending && line == "```json") {
            in_block = true;
        }
    }
    return found;
}

/// The lab's directory as LAB, each peer's address as 192.0.2.N (server1 is .1).
std::string normalized(const kea_ha::lab::KeaLab& lab, std::string text) {
    for (auto pos = text.find(lab.directory()); pos != std::string::npos; pos = text.find(lab.directory())) {
        text.replace(pos, lab.directory().size(), "LAB");
    }
    int n = 0;
    for (const auto& peer : lab.peers()) {
        text = std::regex_replace(text, std::regex(std::regex_replace(peer.address, std::regex("\\."), "\\.") + "(?![0-9])"),
                                  "192.0.2." + std::to_string(++n));
    }
    return text;
}

nlohmann::json file_json(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str(), nullptr, false);
}

LabOptions lab_options(const std::string& transport) {
    LabOptions options;
    options.auth_user = "kea-ha";
    options.auth_password = "lab-password";
    if (transport == "direct") {
        options.transport = LabTransport::Direct;
    } else {
        options.tls = true;
    }
    return options;
}

void check_examples(const std::string& transport) {
    const std::string kea = LabOptions{}.kea_version;
    std::vector<Example> mine;
    for (const auto& example : examples_in_page()) {
        if (example.kea == kea && example.transport == transport) mine.push_back(example);
    }
    ASSERT_FALSE(mine.empty()) << "docs/kea-setup.md has no example for Kea " << kea << " (" << transport << ")";

    kea_ha::testing::LabController f("kea-setup", {{"keaPollInterval", "0.5"}, {"keaRequestTimeout", "2"}},
                                     lab_options(transport));
    ASSERT_TRUE(f.lab);
    const auto& primary = f.lab->peer("server1");
    for (const auto& example : mine) {
        SCOPED_TRACE("docs/kea-setup.md:" + std::to_string(example.line));
        const std::string path = example.file == "agent" ? primary.agent_config_path : primary.dhcp_config_path;
        ASSERT_FALSE(path.empty()) << "the lab has no " << example.file << " config";
        const auto actual = nlohmann::json::parse(normalized(*f.lab, file_json(path).dump()));
        if (std::getenv("KEA_SETUP_PRINT")) {
            std::cout << "<!-- lab-config kea=" << kea << " transport=" << transport << " file=" << example.file
                      << " -->\n```json\n" << actual.dump(2) << "\n```\n";
        }
        const auto documented = nlohmann::json::parse(example.json, nullptr, false);
        ASSERT_FALSE(documented.is_discarded()) << "the example is not JSON";
        EXPECT_EQ(documented, actual) << "the lab runs (KEA_SETUP_PRINT=1 prints it):\n" << actual.dump(2);
    }

    // The controller manages these daemons with the preferences the page gives: the Kea
    // credentials from a file, and the lab's CA as keaTlsCaFile when the agents speak HTTPS.
    auto& settings = f.controller->settings();
    settings["keaAuthUser"] = *f.lab->options().auth_user;
    settings["keaAuthPasswordFile"] = f.lab->password_file();
    if (f.lab->options().tls) settings["keaTlsCaFile"] = f.lab->tls_ca_file();
    ASSERT_TRUE(f.controller->start()) << f.explain();
    nlohmann::json body = {{"name", "pair"}, {"url", primary.url}};
    // A dedicated HA listener (2.4+) speaks plain HTTP: the standby's HTTPS CA is named (page, "TLS").
    if (f.lab->peer("server2").ha_url.rfind("http://", 0) == 0 && f.lab->peer("server2").url.rfind("https://", 0) == 0) {
        body["control_urls"] = {{"server2", f.lab->peer("server2").url}};
    }
    auto added = f.controller->request("POST", "/v1/clusters", body.dump(), {{"Content-Type", "application/json"}});
    ASSERT_TRUE(added);
    ASSERT_EQ(added->status, 201u) << added->body;
    EXPECT_TRUE(f.wait_state("OK", std::string("server1"), 30s)) << f.explain();
    EXPECT_EQ(f.detail().value("transport", ""), transport) << f.explain();
}

TEST(KeaSetupE2E, AgentExamplesAreTheLabsConfigsAndTheControllerManagesThem) {
    if (LabOptions{}.kea_version == "3.2") GTEST_SKIP() << "no CA on 3.2: its example is the direct one";
    check_examples("agent");
}

TEST(KeaSetupE2E, DirectExamplesAreTheLabsConfigsAndTheControllerManagesThem_Kea30) {
    const auto kea = LabOptions{}.kea_version;
    if (kea != "3.0" && kea != "3.2") GTEST_SKIP() << "a Kea daemon's own HTTP socket needs Kea 3.0";
    check_examples("direct");
}

}  // namespace
