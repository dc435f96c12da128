#include <ostream>

#include "controller/cli/commands.h"
#include "controller/net/curl_http_client.h"
#include "controller/sources/scaler_metrics.h"
#include "controller/spec/autoscaler.h"
#include "scalers/redis_pool.h"

namespace ebb::cli {

int ValidateCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "-f" || args[i] == "--file") && i + 1 < args.size()) {
      files.push_back(args[++i]);
    } else {
      err << "ebb validate: unknown argument \"" << args[i]
          << "\"\nusage: ebb validate -f FILE...\n";
      return kExitBadInput;
    }
  }
  if (files.empty()) {
    err << "ebb validate: -f FILE is required\n";
    return kExitBadInput;
  }
  // The source blocks (prometheus:, redis:) are checked by the scalers' own parsers; nothing
  // connects and no secret is read here. One set of clients for every file.
  net::CurlHttpClient http;
  scalers::RedisPool redis;
  scalers::ScalerDeps deps{&http, &redis, false};
  int rc = kExitOk;
  for (const auto& f : files) {
    std::vector<nlohmann::json> others;
    auto list = spec::LoadAutoscalers(f, &others);
    if (!list) {
      err << list.error().message << "\n";
      rc = kExitBadInput;
      continue;
    }
    bool sources_ok = true;
    for (const auto& a : *list) {
      auto bound = sources::BindScalers(a, deps);
      if (!bound) {
        err << f << ": " << bound.error().message << "\n";
        sources_ok = false;
      }
    }
    if (!sources_ok) {
      rc = kExitBadInput;
      continue;
    }
    for (const auto& a : *list) {
      out << f << ": Autoscaler " << a.namespace_name << "/" << a.name << " is valid ("
          << a.spec.metrics.size() << " metric" << (a.spec.metrics.size() == 1 ? "" : "s") << ", "
          << a.spec.min_replicas << ".." << a.spec.max_replicas << " replicas)\n";
    }
  }
  return rc;
}

}  // namespace ebb::cli
