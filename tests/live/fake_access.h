// In-memory fakes of the live reconcile's ports: targets with a scale (and injectable read and
// patch failures), status stored by merge patch, Events recorded, and metric sources that return
// table values and remember every batched round.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/live/kube_access.h"
#include "controller/live/status_report.h"

namespace ebb::testing {

class FakeKube final : public live::KubeAccess {
 public:
  struct Scale {
    int32_t replicas = 1;
    std::optional<Error> get_error, patch_error;
    int patches = 0;
  };
  // "ns/Kind/name"
  std::map<std::string, Scale> targets;
  // "ns/name" -> status as merged
  std::map<std::string, nlohmann::json> status;
  int status_writes = 0;
  std::optional<Error> status_error;
  struct Recorded {
    std::string key;
    live::EventNote event;
  };
  std::vector<Recorded> events;

  std::vector<live::EventNote> EventsOf(const std::string& key, const std::string& reason) const;
  Scale& TargetOf(const std::string& ns, const std::string& kind, const std::string& name) {
    return targets[ns + "/" + kind + "/" + name];
  }

  std::unique_ptr<live::TargetAccess> Target(const api::Autoscaler& autoscaler) override;
  Result<void> PatchStatus(const std::string& ns, const std::string& name,
                           const nlohmann::json& status_patch) override;
  Result<void> RecordEvent(const live::ObjectRef& object, const std::string& type,
                           const std::string& reason, const std::string& message,
                           Timestamp now) override;
};

class FakeSources final : public live::SourceAccess {
 public:
  // "ns/name" -> one reading per spec metric (absent: every metric reads 0).
  std::map<std::string, std::vector<decision::MetricReading>> readings;
  // Every Poll call: the keys polled together.
  std::vector<std::vector<std::string>> rounds;
  // Poll throws when it sees this key in a round (a source that throws).
  std::string throw_for;

  Result<std::unique_ptr<Binding>> Bind(const api::Autoscaler& autoscaler) override;
  std::vector<std::vector<decision::MetricReading>> Poll(
      const std::vector<const api::Autoscaler*>& autoscalers, const std::vector<Binding*>& bindings,
      Timestamp now, Timestamp deadline) override;
};

}  // namespace ebb::testing
