#pragma once
// The status page (SPEC §8): one self-contained HTML document served at GET /.

#include <string_view>

namespace kea_ha::api {

/// The page: HTML, CSS and JS inline, no external assets; it polls the API itself.
std::string_view status_page_html();

}  // namespace kea_ha::api
