// A scaler read with a few HTTP GETs. The poller sends the requests of every such scaler of a
// poll as one batch through the HTTP client (bounded concurrency), then lets each scaler turn its
// responses into a value; Read() does the same for one scaler alone.
#pragma once

#include <span>
#include <vector>

#include "controller/net/http_client.h"
#include "scalers/scaler.h"

namespace ebb::scalers {

class HttpScaler : public Scaler {
 public:
  explicit HttpScaler(net::HttpClient& client) : client_(&client) {}
  net::HttpClient& client() const { return *client_; }
  // The requests of one reading (a secret that cannot be resolved is an error here).
  virtual Result<std::vector<net::HttpRequest>> Requests(const ReadContext& ctx) const = 0;
  // One response (or transport error) per request, in request order.
  virtual Result<double> Interpret(std::span<const Result<net::HttpResponse>> responses) const = 0;

  Result<double> Read(const ReadContext& ctx) override {
    auto requests = Requests(ctx);
    if (!requests) return requests.error();
    return Interpret(client_->SendAll(*requests, requests->size()));
  }

 private:
  net::HttpClient* client_;
};

}  // namespace ebb::scalers
