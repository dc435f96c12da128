#include "tests/scalers/support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace ebb::testing {
namespace {

// Servers started by this process when no ctest fixture provided them; stopped at exit.
struct OwnServers {
  Servers servers;
  bool owned = false;
  ~OwnServers() {
    if (owned) {
      const std::string cmd =
          FixturesDir() + "/servers.sh stop " + servers.dir + " >/dev/null 2>&1";
      [[maybe_unused]] int rc = std::system(cmd.c_str());
    }
  }
};

// A fixture's DIR/env: KEY=port lines.
std::map<std::string, int> ReadPorts(const std::string& dir) {
  std::ifstream in(dir + "/env");
  if (!in) throw std::runtime_error("no fixture env file in " + dir);
  std::map<std::string, int> kv;
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = std::stoi(line.substr(eq + 1));
  }
  return kv;
}

Servers ReadEnvFile(const std::string& dir) {
  const std::map<std::string, int> kv = ReadPorts(dir);
  Servers s;
  s.dir = dir;
  s.redis_port = kv.at("REDIS_PORT");
  s.redis_auth_port = kv.at("REDIS_AUTH_PORT");
  s.prom_port = kv.at("PROM_PORT");
  s.prom_tls_port = kv.at("PROM_TLS_PORT");
  return s;
}

}  // namespace

std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FixturesDir() {
  return EBB_SCALERS_FIXTURES;
}

FixtureServers::FixtureServers(const std::string& script, const std::string& args)
    : script_(script) {
  std::string tmpl = "/tmp/ebb-" + script + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  Shell(FixturesDir() + "/" + script_ + " start " + dir_ + (args.empty() ? "" : " " + args) +
        " >/dev/null");
  ports_ = ReadPorts(dir_);
}

FixtureServers::~FixtureServers() {
  const std::string cmd =
      FixturesDir() + "/" + script_ + " stop " + dir_ + " >/dev/null 2>&1 && rm -rf " + dir_;
  [[maybe_unused]] const int rc = std::system(cmd.c_str());
}

int FixtureServers::port(const std::string& key) const {
  return ports_.at(key);
}

const Servers& SharedServers() {
  static OwnServers own = [] {
    // Loopback only: never let an environment proxy see these requests.
    ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);
    OwnServers o;
    if (const char* dir = std::getenv("EBB_SCALERS_FIXTURE_DIR"); dir != nullptr && *dir != '\0') {
      o.servers = ReadEnvFile(dir);
      return o;
    }
    char tmpl[] = "/tmp/ebb-scalers-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    const std::string dir = tmpl;
    Shell(FixturesDir() + "/servers.sh start " + dir + " >/dev/null");
    o.servers = ReadEnvFile(dir);
    o.owned = true;
    return o;
  }();
  return own.servers;
}

std::string RedisCli(int port, int db, const std::vector<std::string>& lines,
                     const std::string& password) {
  char tmpl[] = "/tmp/ebb-redis-cmds-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  {
    std::ofstream f(tmpl);
    for (const auto& l : lines) f << l << "\n";
  }
  std::string cmd =
      "redis-cli -h 127.0.0.1 -p " + std::to_string(port) + " -n " + std::to_string(db);
  if (!password.empty()) cmd = "REDISCLI_AUTH=" + password + " " + cmd;
  cmd += std::string(" < ") + tmpl + " 2>&1";
  std::string out;
  try {
    out = Shell(cmd);
  } catch (...) {
    ::unlink(tmpl);
    throw;
  }
  ::unlink(tmpl);
  return out;
}

CannedHttpServer::CannedHttpServer(int status, std::string body)
    : status_(status), body_(std::move(body)) {
  fd_ = ListenLoopback(&port_);
  thread_ = std::thread([this] { Serve(); });
}

CannedHttpServer::~CannedHttpServer() {
  stop_ = true;
  ::shutdown(fd_, SHUT_RDWR);
  thread_.join();
  ::close(fd_);
}

std::vector<std::string> CannedHttpServer::requests() {
  std::lock_guard lock(mu_);
  return requests_;
}

void CannedHttpServer::Serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) continue;
    // Keep-alive: serve requests on this connection until the client closes it.
    std::string buf;
    while (!stop_) {
      pollfd pc{c, POLLIN, 0};
      if (::poll(&pc, 1, 50) <= 0) continue;
      char tmp[4096];
      const ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      buf.append(tmp, static_cast<std::size_t>(n));
      const auto end = buf.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      std::size_t body_len = 0;
      for (const char* h : {"Content-Length: ", "content-length: "}) {
        if (auto p2 = buf.find(h); p2 != std::string::npos && p2 < end) {
          body_len = std::stoul(buf.substr(p2 + std::string(h).size()));
        }
      }
      if (buf.size() < end + 4 + body_len) continue;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(buf.substr(0, end + 4 + body_len));
      }
      buf.erase(0, end + 4 + body_len);
      const std::string resp = "HTTP/1.1 " + std::to_string(status_) +
                               " X\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(body_.size()) + "\r\n\r\n" + body_;
      ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
    }
    ::close(c);
  }
}

DribbleProxy::DribbleProxy(int upstream_port, Duration interval)
    : upstream_port_(upstream_port), interval_(interval) {
  fd_ = ListenLoopback(&port_);
  acceptor_ = std::thread([this] { Accept(); });
}

DribbleProxy::~DribbleProxy() {
  stop_ = true;
  acceptor_.join();
  std::lock_guard lock(mu_);
  for (auto& t : connections_) t.join();
  ::close(fd_);
}

void DribbleProxy::Accept() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) continue;
    std::lock_guard lock(mu_);
    connections_.emplace_back([this, c] { Serve(c); });
  }
}

void DribbleProxy::Serve(int client) {
  const int up = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
  if (up < 0 || ::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (up >= 0) ::close(up);
    ::close(client);
    return;
  }
  std::string pending;  // answered by the server, not yet passed on
  auto next_byte = std::chrono::steady_clock::now();
  bool open = true;
  while (!stop_ && open) {
    std::array<pollfd, 2> p{pollfd{client, POLLIN, 0}, pollfd{up, POLLIN, 0}};
    ::poll(p.data(), p.size(), 10);
    char buf[4096];
    for (std::size_t i = 0; i < p.size() && open; ++i) {
      if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::recv(p[i].fd, buf, sizeof buf, 0);
      if (n <= 0) {
        open = false;
      } else if (i == 0) {
        ::send(up, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      } else {
        pending.append(buf, static_cast<std::size_t>(n));
      }
    }
    if (!pending.empty() && std::chrono::steady_clock::now() >= next_byte) {
      if (::send(client, pending.data(), 1, MSG_NOSIGNAL) != 1) open = false;
      pending.erase(0, 1);
      next_byte = std::chrono::steady_clock::now() + interval_;
    }
  }
  ::close(up);
  ::close(client);
}

}  // namespace ebb::testing
