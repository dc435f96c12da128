// The ebb executable: forwards argv to the command line, nothing else.
#include <iostream>
#include <string>
#include <vector>

#include "controller/cli/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return ebb::cli::Main(args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "ebb: fatal: " << e.what() << "\n";
    return ebb::cli::kExitFailure;
  }
}
