#pragma once
// The status page (SPEC §8): one self-contained HTML document served at GET /.

#include <string_view>

namespace kea_ha::api {

/// The page: HTML, CSS and JS inline, no external assets; it polls the API itself.
std::string_view status_page_html();
/// The page's Content-Security-Policy: its inline script and style by their SHA-256 (no other
/// script runs), data only from the API itself, no frames, no forms sent anywhere.
std::string_view status_page_csp();

}  // namespace kea_ha::api
