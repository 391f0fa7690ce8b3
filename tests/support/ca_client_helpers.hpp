#pragma once
// Small helpers of the Control Agent client's tests (integration and end-to-end).

#include <stdexcept>
#include <string>

#include "kea_ha/kea/control_agent.hpp"

namespace kea_ha::testing {

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The endpoint of `url`; throws (failing the test) when the URL is not one.
inline kea::Endpoint endpoint_of(const std::string& url) {
    auto endpoint = kea::parse_endpoint(url);
    if (!endpoint) throw std::runtime_error(endpoint.error().describe());
    return *endpoint;
}

}  // namespace kea_ha::testing
