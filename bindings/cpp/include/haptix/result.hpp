// haptix/result.hpp: statuses, errors and the Result<T> every fallible call of the C++ binding
// returns. Nothing in the binding throws; a failure is a value.

#ifndef HAPTIX_RESULT_HPP
#define HAPTIX_RESULT_HPP

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "haptix.h"

namespace haptix {

/// The C library's status codes (`haptix_status` of include/haptix.h), used as they are.
using Status = haptix_status;

/// A timeout meaning "no limit of the caller's own" (UINT32_MAX, as in the C ABI).
constexpr std::uint32_t kNoTimeout = UINT32_MAX;

/// The C name of a status ("HAPTIX_STATUS_ERROR_TIMED_OUT"), or "HAPTIX_STATUS_UNKNOWN" for a
/// value this header does not know. The returned string is static.
inline const char *status_name(Status status) noexcept {
    switch (status) {
#define HAPTIX_CPP_STATUS(NAME) \
    case NAME:                  \
        return #NAME;
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_OK)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_TIMEOUT)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_CLOSED)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_BUFFER_TOO_SMALL)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_NULL_POINTER)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_INVALID_ARGUMENT)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_INVALID_HANDLE)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_INVALID_UTF8)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_INVALID_PROTOBUF)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_ABI_MISMATCH)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_INVALID_CONFIG)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_SHUT_DOWN)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_WOULD_DEADLOCK)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_POISONED)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_RUNTIME)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_CANCELLED)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_TIMED_OUT)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_NOT_CONNECTED)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_PROTOCOL)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_HANDSHAKE)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_PING)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_SERVER)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_DEVICE_NOT_FOUND)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_FEATURE_NOT_FOUND)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_NOT_SUPPORTED)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_OUT_OF_RANGE)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_DEVICE)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_DEVICE_DISCONNECTED)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_DEVICE_TIMEOUT)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_CONNECT)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_TRANSPORT)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_PANIC)
        HAPTIX_CPP_STATUS(HAPTIX_STATUS_ERROR_INTERNAL)
#undef HAPTIX_CPP_STATUS
    }
    return "HAPTIX_STATUS_UNKNOWN";
}

/// Why a call failed: the library's status and its readable message.
struct Error {
    /// Never HAPTIX_STATUS_OK.
    Status status = HAPTIX_STATUS_ERROR_INTERNAL;
    /// The library's message (haptix_last_error_message, or the Response's message for a
    /// request the server refused), or the binding's own for a failure it detected.
    std::string message;

    /// "HAPTIX_STATUS_ERROR_TIMED_OUT: <message>".
    std::string describe() const { return std::string(status_name(status)) + ": " + message; }
};

namespace detail {

/// The calling thread's last error message from the library, as an Error with `status`.
/// `what` names the call and is used when the library has no message.
inline Error last_error(Status status, const char *what) {
    Error error;
    error.status = status;
    std::size_t len = 0;
    char small[256];
    haptix_status s = haptix_last_error_message(small, sizeof small, &len);
    if (s == HAPTIX_STATUS_OK) {
        error.message.assign(small, len);
    } else if (s == HAPTIX_STATUS_BUFFER_TOO_SMALL) {
        error.message.resize(len + 1);
        if (haptix_last_error_message(&error.message[0], error.message.size(), &len) ==
            HAPTIX_STATUS_OK) {
            error.message.resize(len);
        } else {
            error.message.clear();
        }
    }
    if (error.message.empty()) {
        error.message = std::string(what) + " failed";
    }
    return error;
}

/// Ends the process with a message: using the value of a failed Result (or the error of a
/// successful one) is a programming error, and the binding must work without exceptions.
[[noreturn]] inline void misuse(const char *what, const Error *error) noexcept {
    if (error != nullptr) {
        std::fprintf(stderr, "haptix: %s (%s: %s)\n", what, status_name(error->status),
                     error->message.c_str());
    } else {
        std::fprintf(stderr, "haptix: %s\n", what);
    }
    std::abort();
}

}  // namespace detail

/// Either a value of type T or an Error. Check ok() (or the bool conversion) before value();
/// reading the value of a failure ends the process, so a caller built without exceptions can
/// rely on it. Move-only when T is.
template <typename T>
class [[nodiscard]] Result {
public:
    /// A success holding a copy of `value`.
    Result(const T &value) : value_(value) {}  // NOLINT(google-explicit-constructor)
    /// A success holding `value`, moved in.
    Result(T &&value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    /// A success holding a T constructed in place from `args`, without copying or moving it
    /// (for large values built or decoded where they end up).
    template <typename... Args>
    explicit Result(std::in_place_t, Args &&...args) : value_(std::in_place, std::forward<Args>(args)...) {}
    /// A failure.
    Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    /// True for a success.
    bool ok() const noexcept { return value_.has_value(); }
    explicit operator bool() const noexcept { return ok(); }

    /// The value; ends the process when this is a failure.
    T &value() & {
        check();
        return *value_;
    }
    const T &value() const & {
        check();
        return *value_;
    }
    T &&value() && {
        check();
        return std::move(*value_);
    }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }

    /// The value, or `fallback` for a failure.
    T value_or(T fallback) const & { return ok() ? *value_ : std::move(fallback); }

    /// The error; ends the process when this is a success.
    const Error &error() const & {
        if (ok()) {
            detail::misuse("Result::error() called on a success", nullptr);
        }
        return error_;
    }
    /// The status: HAPTIX_STATUS_OK for a success.
    Status status() const noexcept { return ok() ? HAPTIX_STATUS_OK : error_.status; }

private:
    void check() const {
        if (!ok()) {
            detail::misuse("Result::value() called on a failure", &error_);
        }
    }
    std::optional<T> value_;
    Error error_;
};

/// Success without a value, or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
    /// A success.
    Result() noexcept = default;
    /// A failure.
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    /// Ends the process when this is a failure (for code that cannot continue without it).
    void value() const {
        if (!ok_) {
            detail::misuse("Result::value() called on a failure", &error_);
        }
    }
    /// The error; ends the process when this is a success.
    const Error &error() const & {
        if (ok_) {
            detail::misuse("Result::error() called on a success", nullptr);
        }
        return error_;
    }
    Status status() const noexcept { return ok_ ? HAPTIX_STATUS_OK : error_.status; }

private:
    Error error_;
    bool ok_ = true;
};

}  // namespace haptix

#endif  // HAPTIX_RESULT_HPP
