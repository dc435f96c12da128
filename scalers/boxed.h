// A value kept on the heap only when set: an empty Boxed<T> reads as T{} and costs one pointer.
// For the rarely used blocks of a scaler's config that every bound scaler carries (a Redis
// endpoint's TLS, Sentinel and credentials: ~1.5 KB inline, per Autoscaler; BENCHMARKS.md).
// Copies are deep, as the value's would be.
#pragma once

#include <memory>
#include <utility>

namespace ebb::scalers {

template <class T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(T value) : p_(std::make_unique<T>(std::move(value))) {}  // NOLINT: a value's stand-in
  Boxed(const Boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Boxed& operator=(const Boxed& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(Boxed&&) noexcept = default;
  ~Boxed() = default;

  const T& operator*() const { return p_ ? *p_ : Empty(); }
  const T* operator->() const { return &**this; }
  // The value to change, allocated (as T{}) when empty.
  T& Mutable() {
    if (!p_) p_ = std::make_unique<T>();
    return *p_;
  }
  bool has_value() const { return p_ != nullptr; }

 private:
  static const T& Empty() {
    static const T kEmpty{};
    return kEmpty;
  }
  std::unique_ptr<T> p_;
};

}  // namespace ebb::scalers
