// Errors as values: Result<T> holds either a T or an Error.
//
// Contract: an Error carries a kind (decides the HTTP status in api/problem.cpp), a stable
// machine-readable `code` (snake_case, never changes once published), a `message` that is safe to
// show to the user, and an optional `cause` that is only ever logged. Field errors list form
// problems for RFC 9457 `errors`. Result is not thread-safe; it is a plain value type.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace certseal {

enum class ErrorKind {
  kInvalidArgument,       // 400 (or 422 for well-formed but invalid content)
  kUnauthenticated,       // 401
  kPermissionDenied,      // 403
  kNotFound,              // 404
  kMethodNotAllowed,      // 405
  kConflict,              // 409
  kFailedPrecondition,    // 409/422: state does not allow the action
  kPayloadTooLarge,       // 413
  kUnsupportedMediaType,  // 415
  kResourceExhausted,     // 429
  kUnavailable,           // 503
  kTimeout,               // 504 / 408
  kInternal,              // 500
};

struct FieldError {
  std::string field;
  std::string code;
  std::string detail;
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;     // stable, e.g. "malformed_json"
  std::string message;  // for the user
  std::string cause;    // for the log only (may hold SQL, OpenSSL error text, ...)
  std::vector<FieldError> fields;

  Error() = default;
  Error(ErrorKind k, std::string c, std::string m, std::string why = {})
      : kind(k), code(std::move(c)), message(std::move(m)), cause(std::move(why)) {}

  Error&& with_cause(std::string why) && {
    cause = std::move(why);
    return std::move(*this);
  }
  Error&& with_field(std::string field, std::string fcode, std::string detail) && {
    fields.push_back({std::move(field), std::move(fcode), std::move(detail)});
    return std::move(*this);
  }
};

// Short constructors for the common kinds.
inline Error invalid_argument(std::string code, std::string msg) {
  return {ErrorKind::kInvalidArgument, std::move(code), std::move(msg)};
}
inline Error not_found(std::string code, std::string msg) {
  return {ErrorKind::kNotFound, std::move(code), std::move(msg)};
}
inline Error conflict(std::string code, std::string msg) {
  return {ErrorKind::kConflict, std::move(code), std::move(msg)};
}
inline Error failed_precondition(std::string code, std::string msg) {
  return {ErrorKind::kFailedPrecondition, std::move(code), std::move(msg)};
}
inline Error permission_denied(std::string code, std::string msg) {
  return {ErrorKind::kPermissionDenied, std::move(code), std::move(msg)};
}
inline Error internal_error(std::string cause) {
  return {ErrorKind::kInternal, "internal", "internal error", std::move(cause)};
}
inline Error unavailable(std::string code, std::string msg, std::string cause = {}) {
  return {ErrorKind::kUnavailable, std::move(code), std::move(msg), std::move(cause)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

  T value_or(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return err_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(err_);
  }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;
inline Status ok_status() { return {}; }

}  // namespace certseal

#define CS_CONCAT_INNER(a, b) a##b
#define CS_CONCAT(a, b) CS_CONCAT_INNER(a, b)

// CS_TRY(expr): evaluate a Result/Status; on error return the Error from the enclosing function.
// The temporary's name is unique per line so that CS_TRY inside a lambda inside CS_TRY does not
// shadow.
#define CS_TRY(expr) CS_TRY_IMPL(CS_CONCAT(cs_try_, __LINE__), expr)
#define CS_TRY_IMPL(tmp, expr)                        \
  do {                                                \
    auto&& tmp = (expr);                              \
    if (!tmp.ok()) return std::move(tmp).error();     \
  } while (0)

// CS_ASSIGN(lhs, expr): like CS_TRY but moves the value into lhs (which may be a declaration).
#define CS_ASSIGN(lhs, expr) CS_ASSIGN_IMPL(CS_CONCAT(cs_res_, __LINE__), lhs, expr)
#define CS_ASSIGN_IMPL(tmp, lhs, expr)                 \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return std::move(tmp).error();        \
  lhs = std::move(tmp).value()
