// Loopback sockets and shell commands for the tests that run real servers and binaries.
#pragma once

#include <string>

namespace ebb::testing {

// A listening loopback socket on a free port: returns the fd, sets *port.
int ListenLoopback(int* port);
// A port that was free a moment ago (for servers the test starts itself).
int FreePort();
// Runs a shell command; returns its stdout; throws (failing the test) on a non-zero exit, with
// the output so far.
std::string Shell(const std::string& command);

// Accepts TCP connections on a loopback port (the kernel's backlog) and never answers a byte.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace ebb::testing
