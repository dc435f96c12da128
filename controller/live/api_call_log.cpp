#include "controller/live/api_call_log.h"

#include "controller/base/text.h"

namespace ebb::live {

std::optional<uint64_t> LogLimiter::Admit(const std::string& key, Timestamp now) {
  std::lock_guard lock(mu_);
  if (slots_.size() > 1024) slots_.clear();  // keys are verb x resource x code: never this many
  auto [it, fresh] = slots_.try_emplace(key);
  Slot& s = it->second;
  if (!fresh && now - s.last < period_) {
    ++s.suppressed;
    return std::nullopt;
  }
  const uint64_t suppressed = s.suppressed;
  s = Slot{now, 0};
  return suppressed;
}

std::string DescribeFailedCall(const kube::ApiCall& call) {
  const kube::ApiRequest& r = call.request;
  std::string out = r.verb + " " + SafeText(r.Label());
  if (!r.resource.empty())
    out += r.ns.empty() ? " at the cluster scope" : " in namespace " + SafeText(r.ns);
  out += call.code == 0 ? ": no answer" : ": HTTP " + std::to_string(call.code);
  if (!call.error.empty()) out += (call.code == 0 ? " (" : " ") + call.error;
  if (call.code == 0) out += ")";
  if (call.code == 403) out += "; missing permission: " + SafeText(r.Permission(), 512);
  return out;
}

bool RoutineFailure(const kube::ApiCall& call) {
  return call.code == 404 || call.code == 409;
}

void ApiCallReporter::Report(const kube::ApiCall& call, Timestamp now) {
  const std::string resource = call.request.Label();
  const std::string code = call.code == 0 ? "<error>" : std::to_string(call.code);
  metrics_.KubeRequest(call.request.verb, resource, code,
                       std::chrono::duration<double>(call.elapsed).count());
  if (!log_ || (call.code >= 200 && call.code < 300)) return;
  const auto level = RoutineFailure(call) ? spdlog::level::debug : spdlog::level::warn;
  if (!log_->should_log(level)) return;
  const auto admitted = limiter_.Admit(call.request.verb + " " + resource + " " + code, now);
  if (!admitted) return;
  std::string line = "API request failed: " + DescribeFailedCall(call);
  if (*admitted > 0) {
    line += " (" + std::to_string(*admitted) +
            " more like it not logged since the last such line, " + "at most one per " +
            std::to_string(period_.count() / 1000) + "s)";
  }
  log_->log(level, "{}", line);
}

}  // namespace ebb::live
