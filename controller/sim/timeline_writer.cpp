#include "controller/sim/timeline_writer.h"

#include <charconv>
#include <cmath>

#include "controller/decision/explain.h"
#include "controller/sim/timestamp_text.h"

namespace ebb::sim {
namespace {

constexpr size_t kFlushBytes = 1 << 16;

void AppendNumber(std::string& s, double v) {
  if (!std::isfinite(v)) return;  // an empty cell: no value
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 7);
  if (ec == std::errc()) s.append(buf, static_cast<size_t>(p - buf));
}

void AppendInt(std::string& s, int64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec == std::errc()) s.append(buf, static_cast<size_t>(p - buf));
}

}  // namespace

TimelineWriter::TimelineWriter(std::ostream& out, const SimulationInput& input) : out_(out) {
  buf_ = "time";
  for (const auto& m : input.spec.metrics) {
    buf_ += "," + m.name + "_load," + m.name + "," + m.name + "_proposal";
  }
  buf_ += ",desired,ready,replicas,reason\n";
}

TimelineWriter::~TimelineWriter() {
  Flush();
}

void TimelineWriter::Flush() {
  out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  buf_.clear();
}

void TimelineWriter::OnTick(const TickRecord& tick) {
  AppendRfc3339(buf_, tick.at);
  for (const MetricTick& m : tick.metrics) {
    buf_ += ',';
    AppendNumber(buf_, m.load);
    buf_ += ',';
    AppendNumber(buf_, m.value);
    buf_ += ',';
    if (m.proposal >= 0) AppendInt(buf_, m.proposal);
  }
  buf_ += ',';
  AppendInt(buf_, tick.desired);
  buf_ += ',';
  AppendInt(buf_, tick.ready);
  buf_ += ',';
  AppendInt(buf_, tick.replicas_after);
  buf_ += ',';
  buf_ += decision::ToString(tick.reason);
  buf_ += '\n';
  if (buf_.size() > kFlushBytes) Flush();
}

}  // namespace ebb::sim
