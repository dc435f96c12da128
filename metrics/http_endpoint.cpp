#include "metrics/http_endpoint.h"

#include <CivetServer.h>
#include <civetweb.h>

#include <cstring>

namespace ebb::metrics {
namespace {
// civetweb's user data is the Exposer's own CivetServer, so the hook finds its endpoint here:
// one endpoint per process, as there is one controller per process.
std::atomic<HttpEndpoint*> g_endpoint{nullptr};
}  // namespace

int HttpEndpoint::BeginRequest(mg_connection* c) {
  const mg_request_info* ri = mg_get_request_info(c);
  HttpEndpoint* self = g_endpoint.load();
  if (!self || !ri->local_uri) return 0;
  auto reply = [&](bool ok, const char* yes, const char* no) {
    const char* body = ok ? yes : no;
    mg_printf(c,
              "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
              "Connection: close\r\n\r\n%s",
              ok ? 200 : 503, ok ? "OK" : "Service Unavailable",
              static_cast<int>(std::strlen(body)), body);
    return ok ? 200 : 503;
  };
  if (std::strcmp(ri->local_uri, "/healthz") == 0)
    return reply(true, "ok", "unhealthy");  // liveness: it answers, so it lives
  if (std::strcmp(ri->local_uri, "/readyz") == 0)
    return reply(self->ready_.load(), "ready", "not ready");
  return 0;  // /metrics: prometheus-cpp's handler
}

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(
    const std::string& bind, std::vector<std::shared_ptr<prometheus::Collectable>> collectables) {
  std::unique_ptr<HttpEndpoint> e(new HttpEndpoint());
  e->callbacks_ = std::make_unique<CivetCallbacks>();
  e->callbacks_->begin_request = &HttpEndpoint::BeginRequest;
  try {
    e->exposer_ = std::make_unique<prometheus::Exposer>(bind, 2, e->callbacks_.get());
  } catch (const std::exception& ex) {
    return MakeError(ErrorCode::kInvalidConfig,
                     "--metrics-bind-address " + bind + ": cannot listen: " + ex.what());
  }
  e->collectables_ = std::move(collectables);
  for (const auto& c : e->collectables_) e->exposer_->RegisterCollectable(c);
  e->process_ = std::make_shared<ProcessCollector>();
  e->exposer_->RegisterCollectable(e->process_);
  g_endpoint.store(e.get());
  return e;
}

HttpEndpoint::~HttpEndpoint() {
  exposer_.reset();  // stops civetweb's threads before the hook's target goes away
  HttpEndpoint* self = this;
  g_endpoint.compare_exchange_strong(self, nullptr);
}

}  // namespace ebb::metrics
