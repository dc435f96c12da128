// `ebb tune` on the bundled 14-day Celery recording (bench/sim/workloads/celery.yaml): the whole
// command, recording parsing, search, held-out check and comparison included, must finish in
// under 60 s on 2 cores. Prints the wall time and the command's output; exits 1 when too slow or
// when no policy met the SLO.
//   bench_tune [--threads N]
//   bench_tune tune ARGS...   runs `ebb tune ARGS...` without the rest of the controller
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "controller/tune/tune_command.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "tune") {
    const std::vector<std::string> args(argv + 2, argv + argc);
    return ebb::tune::TuneMain(args, std::cout, std::cerr);
  }
  std::string threads = "2";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--threads") threads = argv[i + 1];
  }
  const std::string root = EBB_SOURCE_DIR;
  const std::vector<std::string> args{
      "-f",        root + "/bench/sim/workloads/celery.yaml",
      "--metrics", root + "/examples/recordings/celery-arrivals.csv",
      "--threads", threads};
  std::ostringstream out, err;
  const auto t0 = std::chrono::steady_clock::now();
  const int code = ebb::tune::TuneMain(args, out, err);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << out.str() << err.str();
  std::printf("\nebb tune, celery 14 days, %s threads: %.1f s (limit 60 s), exit %d\n",
              threads.c_str(), seconds, code);
  return code == 0 && seconds < 60 ? 0 : 1;
}
