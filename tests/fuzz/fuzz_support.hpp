#pragma once
// What every fuzz target shares: the input as text, and a check that stops the run.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace kea_ha::fuzz {

/// The fuzzer's bytes as text (not NUL-terminated: parsers must honour the size).
inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// A broken contract of the code under test: print it and abort, so libFuzzer keeps the input.
/// Only for what the product promises (a Result's error has a message, …), never for a
/// refusal of a bad input.
inline void require(bool condition, const char* what) {
    if (condition) return;
    std::fprintf(stderr, "fuzz contract broken: %s\n", what);
    std::abort();
}

}  // namespace kea_ha::fuzz
