#include "metrics/process_collector.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ebb::metrics {
namespace {

prometheus::MetricFamily One(const char* name, const char* help, prometheus::MetricType type,
                             double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(std::move(m));
  return f;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The system's boot time (btime in /proc/stat), for the start time, as procfs computes it.
double BootTime() {
  std::istringstream in(ReadAll("/proc/stat"));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("btime ", 0) == 0) return std::strtod(line.c_str() + 6, nullptr);
  return 0;
}

// A soft limit from /proc/<pid>/limits ("Max open files  1024  4096  files"); -1: unlimited.
double Limit(const std::string& limits, const std::string& what) {
  std::istringstream in(limits);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(what, 0) != 0) continue;
    std::istringstream fields(line.substr(what.size()));
    std::string soft;
    fields >> soft;
    if (soft == "unlimited") return -1;
    return std::strtod(soft.c_str(), nullptr);
  }
  return -1;
}

}  // namespace

ProcessCollector::ProcessCollector(std::string proc) : proc_(std::move(proc)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  // /proc/<pid>/stat: the command (field 2) is in parentheses and may hold spaces or ')', so
  // fields are counted from the last ')'. After it: state (3) ... utime (14), stime (15),
  // starttime (22), vsize (23), rss (24, pages).
  const std::string stat = ReadAll(proc_ + "/stat");
  const auto close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream in(stat.substr(close + 1));
    std::vector<std::string> f;  // f[0] is field 3
    for (std::string x; in >> x;) f.push_back(x);
    if (f.size() >= 22) {
      const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      auto field = [&f](std::size_t n) { return std::strtod(f[n - 3].c_str(), nullptr); };
      out.push_back(One("process_cpu_seconds_total",
                        "Total user and system CPU time spent in seconds.", MetricType::Counter,
                        (field(14) + field(15)) / ticks));
      out.push_back(One("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                        MetricType::Gauge, field(23)));
      out.push_back(One("process_resident_memory_bytes", "Resident memory size in bytes.",
                        MetricType::Gauge, field(24) * page));
      out.push_back(One("process_start_time_seconds",
                        "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                        BootTime() + field(22) / ticks));
    }
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (std::filesystem::directory_iterator it(proc_ + "/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++fds;
  if (!ec)
    out.push_back(One("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                      static_cast<double>(fds)));
  const std::string limits = ReadAll(proc_ + "/limits");
  if (!limits.empty()) {
    out.push_back(One("process_max_fds", "Maximum number of open file descriptors.",
                      MetricType::Gauge, Limit(limits, "Max open files")));
    out.push_back(One("process_virtual_memory_max_bytes",
                      "Maximum amount of virtual memory available in bytes.", MetricType::Gauge,
                      Limit(limits, "Max address space")));
  }
  return out;
}

}  // namespace ebb::metrics
