#include "controller/kube/event_recorder.h"

#include <cstdio>

#include "controller/api/timestamps.h"
#include "controller/base/text.h"

namespace ebb::kube {

Result<void> EventRecorder::Record(const ObjectRef& obj, const std::string& type,
                                   const std::string& reason, const std::string& message_in,
                                   Timestamp now) {
  // Messages quote sources' errors: valid UTF-8, and bounded as events.k8s.io bounds a note.
  const std::string message = SafeText(message_in, 1024);
  const std::string key =
      obj.uid + "\x1f" + obj.ns + "/" + obj.name + "\x1f" + reason + "\x1f" + message;
  Seen seen;
  bool repeat = false;
  {
    std::lock_guard lock(mu_);
    if (seen_.size() > 4096) seen_.clear();  // bounded: a lost correlation only costs an Event
    auto it = seen_.find(key);
    if (it != seen_.end() && now - it->second.last < Seconds(600)) {
      it->second.count += 1;
      it->second.last = now;
      seen = it->second;
      repeat = true;
    } else {
      char suffix[32];
      std::snprintf(
          suffix, sizeof suffix, ".%llx%04llx",
          static_cast<unsigned long long>(ToUnixMillis(now)),  // NOLINT(google-runtime-int)
          static_cast<unsigned long long>(++seq_ & 0xffff));   // NOLINT(google-runtime-int)
      seen = Seen{obj.name + suffix, 1, now, now};
      seen_[key] = seen;
    }
  }
  const std::string base = "/api/v1/namespaces/" + obj.ns + "/events";
  if (repeat) {
    auto r = client_.MergePatch(
        base + "/" + seen.name,
        {{"count", seen.count}, {"lastTimestamp", api::FormatRfc3339(now)}, {"message", message}});
    if (r || r.error().code != ErrorCode::kNotFound) {
      if (!r) return r.error();
      return {};
    }
    // The Event expired (1 h TTL) or was deleted: create it again below.
  }
  nlohmann::json ev = {{"apiVersion", "v1"},
                       {"kind", "Event"},
                       {"metadata", {{"name", seen.name}, {"namespace", obj.ns}}},
                       {"involvedObject",
                        {{"apiVersion", obj.api_version},
                         {"kind", obj.kind},
                         {"name", obj.name},
                         {"namespace", obj.ns},
                         {"uid", obj.uid}}},
                       {"reason", reason},
                       {"message", message},
                       {"type", type},
                       {"source", {{"component", component_}}},
                       {"reportingComponent", component_},
                       {"reportingInstance", instance_},
                       {"firstTimestamp", api::FormatRfc3339(seen.first)},
                       {"lastTimestamp", api::FormatRfc3339(now)},
                       {"count", seen.count}};
  auto r = client_.Post(base, ev);
  if (!r) return r.error();
  return {};
}

}  // namespace ebb::kube
