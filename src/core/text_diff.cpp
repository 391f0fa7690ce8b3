#include "kea_ha/core/text_diff.hpp"

#include <algorithm>
#include <cstdint>

namespace kea_ha::core {
namespace {

enum class Op : std::uint8_t { Same, Removed, Added };

struct Edit {
    Op op;
    std::size_t line;  ///< index in `from` (Same, Removed) or in `to` (Added)
};

using Lines = std::vector<std::string_view>;

/// The shortest edit script from a[a0, a1) to b[b0, b1), Myers' greedy algorithm with the
/// frontier of every step kept for the way back (its size grows with D², not with N·D).
/// False when more than `max_edits` edits would be needed.
bool myers(const Lines& a, std::size_t a0, std::size_t a1, const Lines& b, std::size_t b0, std::size_t b1,
           std::size_t max_edits, std::vector<Edit>& out) {
    const auto n = static_cast<std::ptrdiff_t>(a1 - a0);
    const auto m = static_cast<std::ptrdiff_t>(b1 - b0);
    const auto limit = std::min<std::ptrdiff_t>(n + m, static_cast<std::ptrdiff_t>(max_edits));
    const std::ptrdiff_t offset = limit + 1;
    std::vector<std::ptrdiff_t> v(static_cast<std::size_t>(2 * limit + 3), 0);
    std::vector<std::vector<std::ptrdiff_t>> trace;  // trace[d][k + d]: the x reached on diagonal k after step d
    std::ptrdiff_t found = -1;
    for (std::ptrdiff_t d = 0; d <= limit && found < 0; ++d) {
        for (std::ptrdiff_t k = -d; k <= d; k += 2) {
            std::ptrdiff_t x = (k == -d || (k != d && v[static_cast<std::size_t>(offset + k - 1)] <
                                                          v[static_cast<std::size_t>(offset + k + 1)]))
                                   ? v[static_cast<std::size_t>(offset + k + 1)]
                                   : v[static_cast<std::size_t>(offset + k - 1)] + 1;
            std::ptrdiff_t y = x - k;
            while (x < n && y < m && a[a0 + static_cast<std::size_t>(x)] == b[b0 + static_cast<std::size_t>(y)]) {
                ++x;
                ++y;
            }
            v[static_cast<std::size_t>(offset + k)] = x;
            if (x >= n && y >= m) found = d;
        }
        trace.emplace_back(v.begin() + (offset - d), v.begin() + (offset + d + 1));
    }
    if (found < 0) return false;
    std::vector<Edit> reversed;
    std::ptrdiff_t x = n, y = m;
    for (std::ptrdiff_t d = found; d > 0; --d) {
        const auto& before = trace[static_cast<std::size_t>(d - 1)];  // k in [-(d-1), d-1]
        const auto at = [&](std::ptrdiff_t k) { return before[static_cast<std::size_t>(k + d - 1)]; };
        const std::ptrdiff_t k = x - y;
        const bool down = k == -d || (k != d && at(k - 1) < at(k + 1));
        const std::ptrdiff_t prev_k = down ? k + 1 : k - 1;
        const std::ptrdiff_t prev_x = at(prev_k);
        const std::ptrdiff_t prev_y = prev_x - prev_k;
        while (x > (down ? prev_x : prev_x + 1) && y > (down ? prev_y + 1 : prev_y)) {
            --x;
            --y;
            reversed.push_back({Op::Same, a0 + static_cast<std::size_t>(x)});
        }
        if (down) {
            reversed.push_back({Op::Added, b0 + static_cast<std::size_t>(prev_y)});
        } else {
            reversed.push_back({Op::Removed, a0 + static_cast<std::size_t>(prev_x)});
        }
        x = prev_x;
        y = prev_y;
    }
    while (x > 0 && y > 0) {
        --x;
        --y;
        reversed.push_back({Op::Same, a0 + static_cast<std::size_t>(x)});
    }
    out.insert(out.end(), reversed.rbegin(), reversed.rend());
    return true;
}

}  // namespace

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto end = text.find('\n');
        lines.push_back(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
    return lines;
}

std::string unified_diff(std::string_view from, std::string_view to, const std::string& from_label,
                         const std::string& to_label, std::size_t context, std::size_t max_edits) {
    const Lines a = split_lines(from);
    const Lines b = split_lines(to);
    std::size_t head = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
    if (head == a.size() && head == b.size()) return {};
    std::size_t tail = 0;
    while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;

    std::vector<Edit> script;
    for (std::size_t i = 0; i < head; ++i) script.push_back({Op::Same, i});
    if (!myers(a, head, a.size() - tail, b, head, b.size() - tail, max_edits, script)) {
        for (std::size_t i = head; i < a.size() - tail; ++i) script.push_back({Op::Removed, i});
        for (std::size_t j = head; j < b.size() - tail; ++j) script.push_back({Op::Added, j});
    }
    for (std::size_t i = a.size() - tail; i < a.size(); ++i) script.push_back({Op::Same, i});

    // Positions in both texts before each edit, for the hunk headers.
    std::vector<std::size_t> pos_a(script.size() + 1), pos_b(script.size() + 1);
    for (std::size_t i = 0; i < script.size(); ++i) {
        pos_a[i + 1] = pos_a[i] + (script[i].op != Op::Added ? 1 : 0);
        pos_b[i + 1] = pos_b[i] + (script[i].op != Op::Removed ? 1 : 0);
    }
    std::string out = "--- " + from_label + "\n+++ " + to_label + "\n";
    std::size_t i = 0;
    while (i < script.size()) {
        if (script[i].op == Op::Same) {
            ++i;
            continue;
        }
        // A hunk: from `context` lines before this change to `context` after the last change
        // that is no more than 2·context lines of sameness away from the previous one.
        const std::size_t start = i >= context ? i - context : 0;
        std::size_t end = i;
        std::size_t same_run = 0;
        for (std::size_t j = i; j < script.size(); ++j) {
            if (script[j].op == Op::Same) {
                if (++same_run > 2 * context) break;
            } else {
                same_run = 0;
                end = j + 1;
            }
        }
        const std::size_t stop = std::min(script.size(), end + context);
        const std::size_t a_len = pos_a[stop] - pos_a[start], b_len = pos_b[stop] - pos_b[start];
        const auto range = [](std::size_t first, std::size_t length) {
            // diff -u: "start,length", 1-based; an empty range names the line before it.
            return std::to_string(length == 0 ? first : first + 1) + (length == 1 ? "" : "," + std::to_string(length));
        };
        out += "@@ -" + range(pos_a[start], a_len) + " +" + range(pos_b[start], b_len) + " @@\n";
        for (std::size_t j = start; j < stop; ++j) {
            const auto& edit = script[j];
            const char mark = edit.op == Op::Same ? ' ' : edit.op == Op::Removed ? '-' : '+';
            const auto line = edit.op == Op::Added ? b[edit.line] : a[edit.line];
            out += mark;
            out.append(line);
            out += '\n';
        }
        i = stop;
    }
    return out;
}

}  // namespace kea_ha::core
