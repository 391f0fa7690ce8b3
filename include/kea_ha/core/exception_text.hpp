#pragma once
// The text of an exception held in a std::exception_ptr: what a coroutine's completion
// handler logs when the coroutine ended with one (STYLE: every co_spawn gets a handler).

#include <exception>
#include <string>

namespace kea_ha::core {

/// e.what() of a std::exception, "unknown exception" for anything else. `error` is not null.
inline std::string exception_text(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace kea_ha::core
