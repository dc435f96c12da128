// core/v1 Events on an object (served by every Kubernetes version; events.k8s.io/v1 only from
// 1.19). A repeat of the same reason and message on the same object within 10 minutes bumps the
// existing Event's count instead of creating a new one, as client-go's correlator does.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "controller/base/time.h"
#include "controller/kube/kube_client.h"

namespace ebb::kube {

struct ObjectRef {
  std::string api_version, kind, ns, name, uid;
};

class EventRecorder {
 public:
  EventRecorder(KubeClient& client, std::string component, std::string instance)
      : client_(client), component_(std::move(component)), instance_(std::move(instance)) {}

  // type: "Normal" or "Warning". Failures are returned for logging; events are best effort.
  Result<void> Record(const ObjectRef& obj, const std::string& type, const std::string& reason,
                      const std::string& message, Timestamp now);

 private:
  struct Seen {
    std::string name;
    int32_t count = 0;
    Timestamp first{};
    Timestamp last{};
  };
  KubeClient& client_;
  std::string component_, instance_;
  std::mutex mu_;
  std::map<std::string, Seen> seen_;
  uint64_t seq_ = 0;
};

}  // namespace ebb::kube
