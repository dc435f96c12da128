// RabbitMQ queues through the management plugin's HTTP API (GET /api/queues/<vhost>/<queue>):
// the backlog (ready, unacknowledged, or both) or the publish / deliver rate, summed over the
// listed queues of one vhost. Celery's other broker: a Celery queue is a RabbitMQ queue of the
// same name. The management API refreshes its figures every collect_statistics_interval (5 s by
// default), so a reading can be that old.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "scalers/config_util.h"
#include "scalers/http_scaler.h"
#include "scalers/registry.h"
#include "scalers/tls_sources.h"

namespace ebb::scalers {

struct RabbitMQConfig {
  enum class Mode {
    kQueueLength,  // messages: ready + unacknowledged (KEDA's QueueLength)
    kReady,        // messages_ready: waiting for a consumer
    kUnacked,      // messages_unacknowledged: delivered, not yet acknowledged
    kPublishRate,  // message_stats.publish_details.rate, messages/s (KEDA's MessageRate)
    kDeliverRate,  // message_stats.deliver_get_details.rate, messages/s
  };
  std::string server_address;  // management API base, "https://rabbit:15671" (no trailing /)
  std::string vhost = "/";
  std::vector<std::string> queues;
  Mode mode = Mode::kQueueLength;
  SecretRef username;  // inline, or from a Secret
  SecretRef password;
  HttpTlsConfig tls;  // tls: CA, client certificate + key (files or Secrets), insecureSkipVerify
  Duration timeout = Seconds(3);
  SecretScope secrets{};  // where Secret references are read (set when bound)
};

// Fields: serverAddress (required), vhost, queues (required), mode,
// username / usernameFromEnv / usernameFile / usernameSecretKeyRef,
// passwordFromEnv / passwordFile / passwordSecretKeyRef, authenticationRef,
// tls {caFile|caSecretKeyRef, certFile|certSecretKeyRef, keyFile|keySecretKeyRef,
// insecureSkipVerify}, timeout.
Result<RabbitMQConfig> ParseRabbitMQConfig(const nlohmann::json& block, std::string_view path);
Result<std::unique_ptr<Scaler>> MakeRabbitMQScaler(const RabbitMQConfig& config, ScalerDeps& deps);

class RabbitMQScaler final : public HttpScaler {
 public:
  RabbitMQScaler(RabbitMQConfig config, net::HttpClient& client);
  Result<std::vector<net::HttpRequest>> Requests(const ReadContext& ctx) const override;
  Result<double> Interpret(std::span<const Result<net::HttpResponse>> responses) const override;
  std::string Describe() const override;
  const RabbitMQConfig& config() const { return config_; }

 private:
  RabbitMQConfig config_;
};

}  // namespace ebb::scalers
