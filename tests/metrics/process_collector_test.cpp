// process_* as the Go client computes them: from a crafted /proc/<pid> directory (exact values)
// and from this test process's own /proc/self (values that must move).
#include "metrics/process_collector.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace ebb::metrics {
namespace {

std::map<std::string, double> Values(const ProcessCollector& c) {
  std::map<std::string, double> out;
  for (const auto& f : c.Collect()) {
    REQUIRE(f.metric.size() == 1);
    out[f.name] = f.type == prometheus::MetricType::Counter ? f.metric[0].counter.value
                                                            : f.metric[0].gauge.value;
  }
  return out;
}

double BootTime() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("btime ", 0) == 0) return std::strtod(line.c_str() + 6, nullptr);
  return -1;
}

}  // namespace

TEST_CASE("process collector: fields counted from the last ')' of a crafted stat", "[metrics]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ebb-proc-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "fd");
  for (const char* fd : {"0", "1", "2", "7"}) std::ofstream(dir / "fd" / fd) << "";
  // comm "a) b (c" holds spaces and parentheses: a naive split would shift every field.
  // Fields 3..: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14)
  // stime(15) cutime cstime priority nice threads itrealvalue starttime(22) vsize(23) rss(24)
  std::ofstream(dir / "stat")
      << "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 9 0 5000 "
         "123456789 1000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
  std::ofstream(dir / "limits")
      << "Limit                     Soft Limit           Hard Limit           Units     \n"
         "Max cpu time              unlimited            unlimited            seconds   \n"
         "Max open files            1048576              1048576              files     \n"
         "Max address space         unlimited            unlimited            bytes     \n";
  const auto v = Values(ProcessCollector(dir.string()));
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  CHECK(v.at("process_cpu_seconds_total") == Approx(400 / ticks));
  CHECK(v.at("process_virtual_memory_bytes") == 123456789);
  CHECK(v.at("process_resident_memory_bytes") ==
        1000.0 * static_cast<double>(sysconf(_SC_PAGESIZE)));
  CHECK(v.at("process_start_time_seconds") == Approx(BootTime() + 5000 / ticks));
  CHECK(v.at("process_open_fds") == 4);
  CHECK(v.at("process_max_fds") == 1048576);
  CHECK(v.at("process_virtual_memory_max_bytes") == -1);  // unlimited, as the Go client says
  fs::remove_all(dir);
}

TEST_CASE("process collector on /proc/self: fds, cpu and memory move with the process",
          "[metrics]") {
  const ProcessCollector c;
  const auto before = Values(c);
  const int fd = open("/dev/null", O_RDONLY);
  REQUIRE(fd >= 0);
  // Burn some CPU (200 ms of it): the counter must move by about that.
  const auto cpu0 = std::clock();
  volatile double x = 0;
  while (std::clock() - cpu0 < CLOCKS_PER_SEC / 5) x = x + 1;
  const auto after = Values(c);
  close(fd);
  CHECK(after.at("process_open_fds") == before.at("process_open_fds") + 1);
  CHECK(after.at("process_cpu_seconds_total") >= before.at("process_cpu_seconds_total") + 0.15);
  CHECK(after.at("process_resident_memory_bytes") > 1024 * 1024);
  CHECK(after.at("process_virtual_memory_bytes") >= after.at("process_resident_memory_bytes"));
  rlimit nofile{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &nofile) == 0);
  CHECK(after.at("process_max_fds") == static_cast<double>(nofile.rlim_cur));
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(after.at("process_start_time_seconds") <= now + 1);
  CHECK(after.at("process_start_time_seconds") > now - 600);  // this test started just now
}

}  // namespace ebb::metrics
