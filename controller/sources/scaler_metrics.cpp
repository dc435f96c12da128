#include "controller/sources/scaler_metrics.h"

#include "controller/base/quantity.h"
#include "scalers/poller.h"

namespace ebb::sources {

Result<ScalerBinding> BindScalers(const api::Autoscaler& a, scalers::ScalerDeps& shared) {
  // An Autoscaler's Secret references are read in its own namespace, never another's.
  scalers::ScalerDeps deps = shared;
  deps.secrets.ns = a.namespace_name.empty() ? "default" : a.namespace_name;
  ScalerBinding b;
  std::string errors;
  for (const api::MetricSource& src : a.sources) {
    if (!src.config) {  // not a scaler's metric (Resource, Pods, ...)
      b.by_metric.push_back(nullptr);
      continue;
    }
    auto s = src.config->Make(deps);
    if (!s) {
      errors += (errors.empty() ? "" : "\n") + ("Autoscaler " + a.namespace_name + "/" + a.name +
                                                ": " + src.field_path + ": " + s.error().message);
      b.by_metric.push_back(nullptr);
      continue;
    }
    b.by_metric.push_back(std::move(*s));
  }
  if (!errors.empty()) return MakeError(ErrorCode::kInvalidConfig, errors);
  return b;
}

std::vector<std::vector<decision::MetricReading>> PollAll(
    const std::vector<const api::Autoscaler*>& autoscalers,
    const std::vector<ScalerBinding*>& bindings, const scalers::ReadContext& ctx) {
  std::vector<scalers::Scaler*> flat;
  for (const ScalerBinding* b : bindings) {
    for (const auto& s : b->by_metric) {
      if (s) flat.push_back(s.get());
    }
  }
  std::vector<Result<double>> results = scalers::ReadAll(flat, ctx);
  std::vector<std::vector<decision::MetricReading>> out(autoscalers.size());
  size_t next = 0;
  for (size_t i = 0; i < autoscalers.size(); ++i) {
    const auto& metrics = autoscalers[i]->spec.metrics;
    out[i].resize(metrics.size());
    for (size_t m = 0; m < metrics.size(); ++m) {
      decision::MetricReading& r = out[i][m];
      if (!bindings[i]->by_metric[m]) {
        r.ok = false;
        r.error = "a " + autoscalers[i]->sources[m].type +
                  " metric is read from the Kubernetes metrics APIs, which this run has no "
                  "access to";
        continue;
      }
      const Result<double>& v = results[next++];
      // The one float-to-milli step of a scaler's sample (from its decimal, rounded up).
      const Result<int64_t> milli = v ? SampleToMilli(*v) : Result<int64_t>(v.error());
      if (milli) {
        r.ok = true;
        r.value_milli = *milli;
      } else {
        r.ok = false;
        r.error = std::string(ToString(milli.error().code)) + ": " + milli.error().message;
      }
    }
  }
  return out;
}

}  // namespace ebb::sources
