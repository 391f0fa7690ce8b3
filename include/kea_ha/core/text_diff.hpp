#pragma once
// A unified diff of two texts, line by line (Myers' O((N+M)·D) algorithm after the common
// head and tail are set aside): `kea-ha-ctl config diff` shows what replication would change
// on a peer as a diff of the two canonical JSON documents.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kea_ha::core {

/// The lines of `text` (without their '\n'; a last line without one counts).
std::vector<std::string_view> split_lines(std::string_view text);

/// `diff -u` of `from` and `to` with `context` lines around each change, headed
/// "--- FROM_LABEL" / "+++ TO_LABEL"; "" when the texts are equal. When they differ in more
/// than `max_edits` lines (past the common head and tail), the middle is shown as one hunk
/// that removes all of it and adds all of the other: correct, only less precise.
std::string unified_diff(std::string_view from, std::string_view to, const std::string& from_label,
                         const std::string& to_label, std::size_t context = 3, std::size_t max_edits = 4000);

}  // namespace kea_ha::core
