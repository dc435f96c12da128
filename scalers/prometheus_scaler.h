// Prometheus instant query (/api/v1/query) as a metric source. The result must be one number:
// a scalar, or a vector with exactly one sample. Everything else is a typed error -- including an
// empty result, unless the user opted in with emptyAsZero (a silent 0 during a Prometheus or
// exporter outage has scaled production workloads to their minimum).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "controller/net/http_client.h"
#include "scalers/config_util.h"
#include "scalers/scaler.h"
#include "scalers/tls_sources.h"

namespace ebb::scalers {

struct PrometheusConfig {
  std::string server_address;  // "http(s)://host:port[/prefix]", no trailing slash
  std::string query;
  net::HttpMethod method = net::HttpMethod::kGet;
  std::string tenant;  // `namespace`: sent as X-Scope-OrgID (Cortex/Mimir/Thanos tenancy)
  std::map<std::string, std::string> custom_headers;
  std::map<std::string, SecretRef> secret_headers;  // customHeadersSecretKeyRef: header -> Secret
  SecretRef bearer_token;  // auth.bearerTokenFromEnv | auth.bearerTokenFile
  SecretRef username;      // auth.username, or from a Secret (basic auth)
  SecretRef password;      // auth.passwordFromEnv | auth.passwordFile | ...SecretKeyRef
  HttpTlsConfig tls;  // tls: CA, client certificate + key (files or Secrets), insecureSkipVerify
  Duration timeout = Seconds(3);
  bool empty_as_zero = false;
  bool evaluate_at_now = false;  // send time=<ctx.now> (simulation, backtests)
  SecretScope secrets{};         // where Secret references are read (set when bound)
};

// Parses a `prometheus:` block. Errors name `path` and list every problem (kInvalidConfig).
Result<PrometheusConfig> ParsePrometheusConfig(const nlohmann::json& block, std::string_view path);

// Interprets one /api/v1/query response (any HTTP status) under `config`'s rules. `where` prefixes
// messages. Pure: no I/O.
Result<double> ParsePrometheusResponse(long status,  // NOLINT(google-runtime-int)
                                       std::string_view body, const PrometheusConfig& config,
                                       std::string_view where);

class PrometheusScaler final : public Scaler {
 public:
  PrometheusScaler(PrometheusConfig config, net::HttpClient& client);

  // The HTTP request for one read (resolves secrets now, so rotated tokens are picked up).
  Result<net::HttpRequest> BuildRequest(const ReadContext& ctx) const;
  // The value from the transport outcome of BuildRequest's request.
  Result<double> Interpret(const Result<net::HttpResponse>& response) const;

  Result<double> Read(const ReadContext& ctx) override;
  std::string Describe() const override;

  net::HttpClient& client() const { return *client_; }
  const PrometheusConfig& config() const { return config_; }

 private:
  PrometheusConfig config_;
  net::HttpClient* client_;
};

}  // namespace ebb::scalers
