#include "controller/sim/csv_recording.h"

#include <cerrno>
#include <charconv>
#include <cstring>

#include "controller/base/text.h"
#include "controller/sim/timestamp_text.h"

namespace ebb::sim {
namespace {

constexpr size_t kBufferSize = size_t{1} << 20;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

bool ParseValue(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  // Prometheus and spreadsheets spell infinities and NaN their own ways.
  if (s == "Inf" || s == "inf" || s == "Infinity") s = "inf";
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end && !s.empty();
}

}  // namespace

CsvRecording::CsvRecording(std::FILE* file, bool owns_file, std::string name, size_t buffer_size)
    : file_(file), owns_file_(owns_file), name_(std::move(name)), buf_(buffer_size) {}

CsvRecording::~CsvRecording() {
  if (owns_file_ && file_ != nullptr) std::fclose(file_);
}

Result<std::unique_ptr<CsvRecording>> CsvRecording::Open(const std::string& path) {
  if (path == "-") {
    return std::unique_ptr<CsvRecording>(new CsvRecording(stdin, false, "<stdin>", kBufferSize));
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return MakeError(ErrorCode::kNotFound,
                     path + ": cannot open recording: " + std::strerror(errno));
  }
  return std::unique_ptr<CsvRecording>(new CsvRecording(f, true, path, kBufferSize));
}

std::unique_ptr<CsvRecording> CsvRecording::FromText(std::string text, std::string name) {
  auto r = std::unique_ptr<CsvRecording>(new CsvRecording(nullptr, false, std::move(name), 0));
  r->buf_.assign(text.begin(), text.end());
  r->end_ = r->buf_.size();
  r->eof_ = true;
  return r;
}

bool CsvRecording::Refill() {
  if (eof_ || file_ == nullptr) return false;
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == buf_.size()) return false;  // a line longer than the buffer
  const size_t n = std::fread(buf_.data() + end_, 1, buf_.size() - end_, file_);
  end_ += n;
  if (n == 0) eof_ = true;
  return n > 0;
}

Error CsvRecording::LineError(const std::string& what) const {
  return MakeError(ErrorCode::kParse, name_ + ":" + std::to_string(line_) + ": " + what);
}

Result<bool> CsvRecording::Next(RawSample& out) {
  for (;;) {
    const char* base = buf_.data();
    // An empty recording's buffer has no storage: memchr(nullptr, ...) is undefined even for 0.
    const void* nl = end_ > pos_ ? std::memchr(base + pos_, '\n', end_ - pos_) : nullptr;
    size_t line_end = 0;
    if (nl != nullptr) {
      line_end = static_cast<size_t>(static_cast<const char*>(nl) - base);
    } else if (Refill()) {
      continue;
    } else if (!eof_ && file_ != nullptr) {
      ++line_;
      return LineError("line longer than " + std::to_string(buf_.size()) + " bytes");
    } else if (pos_ == end_) {
      return false;
    } else {
      line_end = end_;  // last line without a newline
    }
    ++line_;
    std::string_view line(buf_.data() + pos_, line_end - pos_);
    pos_ = line_end < end_ ? line_end + 1 : line_end;

    std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const size_t c1 = line.find(',');
    const size_t c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
    if (c2 == std::string_view::npos || line.find(',', c2 + 1) != std::string_view::npos) {
      return LineError("expected 3 fields `timestamp,metric,value`, got \"" +
                       SafeText(trimmed, 80) + "\"");
    }
    const std::string_view ts_text = Trim(line.substr(0, c1));
    const std::string_view metric = Trim(line.substr(c1 + 1, c2 - c1 - 1));
    const std::string_view value_text = Trim(line.substr(c2 + 1));
    const auto at = ParseTimestamp(ts_text);
    if (!at) {
      // A header is allowed only as the first row.
      if (line_ == 1) continue;
      return LineError("bad timestamp \"" + SafeText(ts_text, 40) +
                       "\" (want Unix seconds or RFC 3339)");
    }
    if (metric.empty()) return LineError("empty metric name");
    double value = 0;
    if (!ParseValue(value_text, value)) {
      return LineError("bad value \"" + SafeText(value_text, 40) + "\" for metric " +
                       SafeText(metric));
    }
    if (have_last_ && *at < last_) {
      return LineError("timestamp " + FormatRfc3339(*at) + " is before the previous row's " +
                       FormatRfc3339(last_) + " (rows must be sorted by time)");
    }
    have_last_ = true;
    last_ = *at;
    out.at = *at;
    out.metric = metric;
    out.value = value;
    return true;
  }
}

}  // namespace ebb::sim
