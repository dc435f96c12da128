#include "tests/live/fake_access.h"

#include <stdexcept>

namespace ebb::testing {
namespace {

class FakeTarget final : public live::TargetAccess {
 public:
  FakeTarget(FakeKube::Scale& t, std::string describe) : t_(t), describe_(std::move(describe)) {}
  Result<runtime::ScaleInfo> GetScale(Timestamp) override {
    if (t_.get_error) return *t_.get_error;
    return runtime::ScaleInfo{t_.replicas, t_.replicas, t_.replicas};
  }
  Result<void> SetReplicas(int32_t replicas, Timestamp) override {
    if (t_.patch_error) return *t_.patch_error;
    t_.replicas = replicas;
    ++t_.patches;
    return {};
  }
  std::string Describe() const override { return describe_; }
  // The cluster serves nothing here: the polled readings pass through.
  runtime::MetricReader& ClusterMetrics() override { return none_; }

 private:
  class None final : public runtime::MetricReader {
   public:
    void Read(Timestamp, const runtime::ScaleInfo&, decision::Observation&) override {}
  };
  FakeKube::Scale& t_;
  std::string describe_;
  None none_;
};

struct KeyBinding final : live::SourceAccess::Binding {
  std::string key;
};

}  // namespace

std::vector<live::EventNote> FakeKube::EventsOf(const std::string& key,
                                                const std::string& reason) const {
  std::vector<live::EventNote> out;
  for (const auto& e : events)
    if (e.key == key && e.event.reason == reason) out.push_back(e.event);
  return out;
}

std::unique_ptr<live::TargetAccess> FakeKube::Target(const api::Autoscaler& a) {
  return std::make_unique<FakeTarget>(TargetOf(a.namespace_name, a.target.kind, a.target.name),
                                      a.target.kind + " " + a.namespace_name + "/" + a.target.name);
}

Result<void> FakeKube::PatchStatus(const std::string& ns, const std::string& name,
                                   const nlohmann::json& status_patch) {
  ++status_writes;
  if (status_error) return *status_error;
  status[ns + "/" + name].merge_patch(status_patch);
  return {};
}

Result<void> FakeKube::RecordEvent(const live::ObjectRef& object, const std::string& type,
                                   const std::string& reason, const std::string& message,
                                   Timestamp) {
  events.push_back({object.ns + "/" + object.name, {type, reason, message}});
  return {};
}

Result<std::unique_ptr<live::SourceAccess::Binding>> FakeSources::Bind(
    const api::Autoscaler& autoscaler) {
  auto b = std::make_unique<KeyBinding>();
  b->key = autoscaler.namespace_name + "/" + autoscaler.name;
  return std::unique_ptr<Binding>(std::move(b));
}

std::vector<std::vector<decision::MetricReading>> FakeSources::Poll(
    const std::vector<const api::Autoscaler*>& autoscalers, const std::vector<Binding*>& bindings,
    Timestamp, Timestamp) {
  std::vector<std::string> keys;
  std::vector<std::vector<decision::MetricReading>> out;
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    const std::string& key = static_cast<KeyBinding*>(bindings[i])->key;
    keys.push_back(key);
    if (key == throw_for) throw std::runtime_error("source exploded for " + key);
    auto it = readings.find(key);
    if (it != readings.end()) {
      out.push_back(it->second);
    } else {
      decision::MetricReading zero;
      zero.ok = true;
      out.emplace_back(autoscalers[i]->spec.metrics.size(), zero);
    }
  }
  rounds.push_back(std::move(keys));
  return out;
}

}  // namespace ebb::testing
