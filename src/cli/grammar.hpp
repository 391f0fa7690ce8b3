#pragma once
// kea-ha-ctl's grammar (issue 31 point 4): a noun, then a verb (`config sync`, `ha reset`).
// This table is the one source of the usage text (`kea-ha-ctl --help`), of the COMMANDS of
// kea-ha-ctl(1) and of the command list in docs/cli.md: tests/unit/docs_test.cpp checks both
// pages against it. The spellings of the release before are kept for one release, each
// with a one-line notice on stderr.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kea_ha::cli {

/// One command line of the usage text: "config sync NAME", what it does in a few words.
struct CommandSpec {
    std::string_view words;      ///< the command words: "config sync"
    std::string_view arguments;  ///< its arguments and own options: "NAME [PEER]"
    std::string_view summary;    ///< one line, for the usage text
};

/// Every command, in the order of the usage text and the man page.
std::span<const CommandSpec> commands();

/// An old spelling and the new one that replaces it ("sync" -> "config sync").
struct OldSpelling {
    std::string_view old_words;
    std::string_view new_words;
};

/// The spellings kept for one release (docs/cli.md "Old spellings").
std::span<const OldSpelling> old_spellings();

/// `words` (the command and its arguments) with an old spelling at the front replaced by the new
/// one; `notice` is then the one line that says so (empty otherwise).
std::vector<std::string> canonical_words(std::vector<std::string> words, std::string& notice);

/// The usage text of `kea-ha-ctl --help`.
std::string usage_text();

}  // namespace kea_ha::cli
