#include "controller/base/quantity.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace ebb {
namespace {

__extension__ typedef __int128 Int128;

struct Suffix {
  int base10_exp = 0;  // power of ten
  int base2_exp = 0;   // power of two
};

bool ParseSuffix(std::string_view s, Suffix& out) {
  if (s.empty()) return true;
  if (s == "n")
    out.base10_exp = -9;
  else if (s == "u")
    out.base10_exp = -6;
  else if (s == "m")
    out.base10_exp = -3;
  else if (s == "k")
    out.base10_exp = 3;
  else if (s == "M")
    out.base10_exp = 6;
  else if (s == "G")
    out.base10_exp = 9;
  else if (s == "T")
    out.base10_exp = 12;
  else if (s == "P")
    out.base10_exp = 15;
  else if (s == "E")
    out.base10_exp = 18;
  else if (s == "Ki")
    out.base2_exp = 10;
  else if (s == "Mi")
    out.base2_exp = 20;
  else if (s == "Gi")
    out.base2_exp = 30;
  else if (s == "Ti")
    out.base2_exp = 40;
  else if (s == "Pi")
    out.base2_exp = 50;
  else if (s == "Ei")
    out.base2_exp = 60;
  else if (s[0] == 'e' || s[0] == 'E') {
    std::string_view e = s.substr(1);
    bool neg = false;
    if (!e.empty() && (e[0] == '+' || e[0] == '-')) {
      neg = e[0] == '-';
      e.remove_prefix(1);
    }
    if (e.empty() || e.size() > 3) return false;
    int v = 0;
    for (char c : e) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    out.base10_exp = neg ? -v : v;
  } else {
    return false;
  }
  return true;
}

Error ParseError(std::string_view text, const char* why) {
  return MakeError(ErrorCode::kParse, "invalid quantity \"" + std::string(text) + "\": " + why);
}

}  // namespace

Result<int64_t> ParseQuantityMilli(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return ParseError(text, "empty");
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  Int128 mantissa = 0;
  int frac_digits = 0;
  int digits = 0;
  bool seen_point = false;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (seen_point) return ParseError(text, "two decimal points");
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (digits >= 30) return ParseError(text, "too many digits");
    if (mantissa != 0 || c != '0') ++digits;
    mantissa = mantissa * 10 + (c - '0');
    if (seen_point) ++frac_digits;
  }
  if (i == 0 || (i == 1 && seen_point)) return ParseError(text, "no digits");
  Suffix suffix;
  if (!ParseSuffix(s.substr(i), suffix)) return ParseError(text, "unknown suffix");

  // value = mantissa * 10^(exp10) * 2^(exp2), in milli-units: exp10 + 3.
  int exp10 = suffix.base10_exp - frac_digits + 3;
  Int128 num = mantissa;
  Int128 den = 1;
  constexpr Int128 kLimit = static_cast<Int128>(std::numeric_limits<int64_t>::max());
  auto too_large = [&] { return ParseError(text, "too large"); };
  for (int k = 0; k < suffix.base2_exp; ++k) {
    num *= 2;
    if (num > kLimit * 1000000000000LL) return too_large();
  }
  for (; exp10 > 0; --exp10) {
    num *= 10;
    if (num > kLimit * 1000000000000LL) return too_large();
  }
  for (; exp10 < 0; ++exp10) {
    den *= 10;
    if (den > kLimit) {  // far below one milli-unit: the rounded-up value is 1 (or 0)
      Int128 q = num == 0 ? 0 : 1;
      return static_cast<int64_t>(negative ? -q : q);
    }
  }
  Int128 q = num / den;
  if (num % den != 0) q += 1;  // MilliValue rounds up, like upstream
  if (q > kLimit) return too_large();
  int64_t v = static_cast<int64_t>(q);
  return negative ? -v : v;
}

Result<double> ParseQuantityDouble(std::string_view text) {
  auto milli = ParseQuantityMilli(text);
  if (!milli) return milli.error();
  return static_cast<double>(*milli) / 1000.0;
}

std::string FormatMilli(int64_t milli) {
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}

int64_t DoubleToMilli(double value) {
  const double scaled = value * 1000.0;
  constexpr double kMax = 9.2e18;
  if (!(scaled < kMax)) return std::numeric_limits<int64_t>::max();
  if (!(scaled > -kMax)) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(scaled);
}

Result<int64_t> SampleToMilli(double value) {
  if (std::isnan(value)) return MakeError(ErrorCode::kInvalidValue, "invalid value: NaN");
  if (std::isinf(value)) {
    return MakeError(ErrorCode::kInvalidValue,
                     value > 0 ? "invalid value: +Inf" : "invalid value: -Inf");
  }
  char buf[32];
  const std::string text(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);  // shortest form
  if (value < 0) {
    return MakeError(ErrorCode::kInvalidValue,
                     std::string("invalid value: negative (") + text + ")");
  }
  const double scaled = value * 1000.0;
  // 2^63 is exact in binary64; every double below it converts to int64 without overflow.
  if (!(scaled < 9223372036854775808.0)) {
    return MakeError(ErrorCode::kInvalidValue,
                     std::string("invalid value: ") + text +
                         " does not fit in int64 milli-units (the limit is 9223372036854775.807)");
  }
  // The shortest decimal that reads back as this double is the number the source printed
  // (Prometheus answers "1.011"): read it as a quantity, rounded up like MilliValue, instead of
  // truncating the binary64 product (1010.9999999999999 for 1.011).
  const Result<int64_t> milli = ParseQuantityMilli(text);
  if (!milli) {
    return MakeError(ErrorCode::kInvalidValue,
                     std::string("invalid value: ") + text +
                         " does not fit in int64 milli-units (the limit is 9223372036854775.807)");
  }
  return *milli;
}

}  // namespace ebb
