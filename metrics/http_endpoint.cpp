#include "metrics/http_endpoint.h"

#include <CivetServer.h>
#include <civetweb.h>
#include <prometheus/text_serializer.h>

#include <cstring>

#include "metrics/autoscaler_series.h"

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
  if (std::strcmp(ri->local_uri, "/metrics") == 0) return self->ServeMetrics(c);
  return 0;
}

int HttpEndpoint::ServeMetrics(mg_connection* c) const {
  // Written as it is made, not as one string: at 10,000 Autoscalers the text is ~30 MB and its
  // samples, built at once, were ~100 MB (AutoscalerSeries::WriteText). No Content-Length: the
  // body ends when the connection closes (HTTP/1.1 allows it, Prometheus reads it).
  mg_printf(c,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Connection: close\r\n\r\n");
  const prometheus::TextSerializer serializer;
  auto write = [c](const std::string& text) {
    if (!text.empty()) mg_write(c, text.data(), text.size());
  };
  for (const auto& collectable : collectables_) {
    if (const auto* series = dynamic_cast<const AutoscalerSeries*>(collectable.get()))
      series->WriteText(write);
    else
      write(serializer.Serialize(collectable->Collect()));
  }
  write(serializer.Serialize(process_->Collect()));
  return 200;
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
