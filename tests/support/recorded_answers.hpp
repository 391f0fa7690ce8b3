#pragma once
// Recorded answers of real Kea daemons (tests/data/kea-X.Y/*.json), for tests.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace kea_ha::testing {

/// The whole recorded answer (a JSON list, as Kea sends it) of tests/data/kea-VERSION/NAME.
/// Throws when the file is missing or not JSON: a test with a broken fixture fails loudly.
inline nlohmann::json recorded_answer(const std::string& name, const std::string& version = "2.2") {
    const std::string path = std::string(KEA_HA_TEST_DATA) + "/kea-" + version + "/" + name;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
}

/// Its first element's `arguments` (a config-get's document, a status-get's fields).
inline nlohmann::json recorded_arguments(const std::string& name, const std::string& version = "2.2") {
    return recorded_answer(name, version).at(0).at("arguments");
}

}  // namespace kea_ha::testing
