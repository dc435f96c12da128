// Typed results for boundaries (parse, validate, fetch). g++ 12 has no std::expected, so this is a
// small stand-in whose member names follow std::expected, making a later move mechanical.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace ebb {

enum class ErrorCode {
  kInvalidConfig,  // the user's spec or flags are wrong; retrying will not help
  kParse,          // a document or a reply could not be parsed
  kInvalidValue,   // a reading parsed but is unusable (NaN, Inf, negative, empty)
  kNotFound,
  kConflict,
  kUnavailable,  // connection refused, 5xx, 429: retryable
  kTimeout,
  kPermissionDenied,  // 401/403, wrong password
  kInternal,
};

const char* ToString(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  bool retryable() const {
    return code == ErrorCode::kUnavailable || code == ErrorCode::kTimeout ||
           code == ErrorCode::kConflict;
  }
};

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace ebb
