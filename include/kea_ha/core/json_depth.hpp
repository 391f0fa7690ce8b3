#pragma once
// How deeply a JSON text nests, counted on the text before any parser sees it. Every
// consumer of our JSON (copy, compare, dump, patch) recurses per level, so a body nested
// hundreds of thousands of levels deep (valid JSON, a few hundred KB) would overflow the
// stack. The API refuses bodies deeper than 100 levels, Kea answers deeper than 256: Kea's
// own configs nest about 10.

#include <cstddef>
#include <string_view>

namespace kea_ha::core {

/// The deepest nesting of '[' and '{' in `text` outside strings (0 for a scalar). Linear, no
/// allocation; garbage is counted as it comes (the parser reports it afterwards).
std::size_t json_nesting_depth(std::string_view text);

}  // namespace kea_ha::core
