#pragma once
// Result<T>: a value or an Error. C++20 has no std::expected; this is the core's
// only error channel (exceptions are for refusing to start and for bugs).

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace kea_ha::core {

/// What went wrong, coarse enough for callers to branch on.
enum class ErrorKind {
    Invalid,      ///< bad input: a file, a request body, a value out of range
    NotFound,     ///< a named thing does not exist
    Conflict,     ///< the request collides with current state
    Timeout,      ///< a deadline passed (connect, request or response)
    Refused,      ///< connection refused: the host answered, nothing listens on that port
    NoRoute,      ///< host or network unreachable, or the name did not resolve: the host is not reached
    Tls,          ///< TLS handshake or certificate failure
    Auth,         ///< HTTP 401/403 from the peer
    Http,         ///< other HTTP-level failure (status, framing, truncated body)
    TooLarge,     ///< an answer or body larger than the configured limit
    BadAnswer,    ///< the peer answered something that is not a Kea answer
    DaemonOffline,///< the CA answered, but the daemon behind it does not respond
    KeaError,     ///< Kea answered with a non-zero result code
    Io,           ///< a local file or socket operation failed
    Internal,     ///< a bug: should not happen
};

/// Stable lower-case name of an ErrorKind ("timeout", "refused", …) for logs and APIs.
constexpr const char* to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Invalid: return "invalid";
        case ErrorKind::NotFound: return "not-found";
        case ErrorKind::Conflict: return "conflict";
        case ErrorKind::Timeout: return "timeout";
        case ErrorKind::Refused: return "refused";
        case ErrorKind::NoRoute: return "no-route";
        case ErrorKind::Tls: return "tls";
        case ErrorKind::Auth: return "auth";
        case ErrorKind::Http: return "http";
        case ErrorKind::TooLarge: return "too-large";
        case ErrorKind::BadAnswer: return "bad-answer";
        case ErrorKind::DaemonOffline: return "daemon-offline";
        case ErrorKind::KeaError: return "kea-error";
        case ErrorKind::Io: return "io";
        case ErrorKind::Internal: return "internal";
    }
    return "unknown";
}

/// An error: what kind, a message an operator can act on, and where (file:line, peer, step).
struct Error {
    ErrorKind kind = ErrorKind::Internal;
    std::string message;
    std::string where;

    /// "where: message" when where is set, else the message.
    std::string describe() const { return where.empty() ? message : where + ": " + message; }
};

/// A T or an Error.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit on purpose
    Result(Error error) : value_(std::move(error)) {}      // NOLINT: implicit on purpose

    bool ok() const { return std::holds_alternative<T>(value_); }
    explicit operator bool() const { return ok(); }

    const T& value() const& { assert(ok()); return std::get<T>(value_); }
    T& value() & { assert(ok()); return std::get<T>(value_); }
    T&& value() && { assert(ok()); return std::get<T>(std::move(value_)); }
    const T& operator*() const& { return value(); }
    T& operator*() & { return value(); }
    const T* operator->() const { return &value(); }
    T* operator->() { return &value(); }

    const Error& error() const { assert(!ok()); return std::get<Error>(value_); }

private:
    std::variant<T, Error> value_;
};

/// Success with nothing to return.
struct Done {};
using Status = Result<Done>;

inline Error make_error(ErrorKind kind, std::string message, std::string where = {}) {
    return Error{kind, std::move(message), std::move(where)};
}

}  // namespace kea_ha::core
