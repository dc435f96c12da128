#include "controller/live/packed_text.h"

#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace ebb::live {
namespace {

// One byte says how the rest is stored: as is (short or incompressible text), or deflated with
// the dictionary below after the text's length (4 bytes, little-endian).
constexpr char kRaw = 'r';
constexpr char kDeflated = 'd';
constexpr std::size_t kMinDeflated = 64;  // below this the header outweighs the gain
// An 8 KB window holds the dictionary and most of an object; a small state keeps each call cheap.
constexpr int kWindowBits = 13;
constexpr int kMemLevel = 6;

// What Autoscaler objects share: the member names, the API's fixed values and the condition
// texts ebb writes. A 1.8 KB Redis Autoscaler with its status deflates to ~0.8 KB alone and to
// ~0.2 KB against this (measured on the 30,000 of bench/controller/run.sh). The most common
// parts go last, where matches are cheapest. Changing it is safe: nothing packed is stored.
// clang-format off
constexpr std::string_view kDictionary =
    R"j({"type":"Prometheus","prometheus":{"serverAddress":"http://prometheus:9090","query":"sum(rate(","type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":"memory","type":"AverageValue","averageValue":"type":"External","external":{"metric":{"selector":{"matchLabels":)j"
    R"j("behavior":{"scaleUp":{"stabilizationWindowSeconds":0,"selectPolicy":"Max","policies":[{"type":"Percent","value":100,"periodSeconds":15},{"type":"Pods","value":4,"periodSeconds":15}]},"scaleDown":{"stabilizationWindowSeconds":300,)j"
    R"j("fallback":{"failureThreshold":3,"replicas":"cooldownPeriod":300,"idleReplicaCount":0,"activation)j"
    R"j("message":"the desired replica count is less than the minimum replica count","reason":"TooFewReplicas","message":"the desired replica count is more than the maximum replica count","reason":"TooManyReplicas",)j"
    R"j("message":"the desired replica count is increasing faster than the maximum scale rate","reason":"ScaleUpLimit","message":"the desired replica count is decreasing faster than the maximum scale rate","reason":"ScaleDownLimit",)j"
    R"j("message":"the HPA controller was able to update the target scale to ","reason":"SucceededRescale","message":"the controller was able to get the target's current scale","reason":"SucceededGetScale",)j"
    R"j("message":"recommended size matches current size","reason":"ReadyForNewScale",)j"
    R"j({"apiVersion":"ebb.dev/v1alpha1","kind":"Autoscaler","metadata":{"annotations":{"ebb.dev/dry-run":"true"},"creationTimestamp":"2026-12-02T14:14:13Z","generation":1,"labels":{"app.kubernetes.io/name":"","name":"worker","namespace":"default","resourceVersion":"97376","uid":"e4041511-9780-4cc0-ab2a-846c561aab51"},)j"
    R"j("spec":{"maxReplicas":10,"metrics":[{"name":"backlog","redis":{"address":"redis:6379","lists":["celery"],"target":{"type":"Value","value":"10"}},"type":"Redis"}],"minReplicas":1,"pollingInterval":15,"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}},)j"
    R"j("status":{"conditions":[{"lastTransitionTime":"2026-12-02T14:36:21Z","message":"recent recommendations were higher than current one, applying the highest recent recommendation","observedGeneration":1,"reason":"ScaleDownStabilized","status":"True","type":"AbleToScale"},)j"
    R"j({"lastTransitionTime":"2026-12-02T14:36:21Z","message":"the controller was able to successfully calculate a replica count from redis metric backlog","observedGeneration":1,"reason":"ValidMetricFound","status":"True","type":"ScalingActive"},)j"
    R"j({"lastTransitionTime":"2026-12-02T14:36:21Z","message":"the desired count is within the acceptable range","observedGeneration":1,"reason":"DesiredWithinRange","status":"False","type":"ScalingLimited"},)j"
    R"j({"lastTransitionTime":"2026-12-02T14:36:21Z","message":"the target is being autoscaled","observedGeneration":1,"reason":"Reconciled","status":"True","type":"Ready"}],)j"
    R"j("currentMetrics":[{"active":true,"name":"backlog","proposal":0,"replicasCounted":0,"status":"Ok","target":{"type":"Value","value":"10"},"type":"Redis","usageRatio":1,"value":"10"}],"currentReplicas":2,)j"
    R"j("decisionState":{"consecutiveFailures":[0],"recommendations":[{"replicas":2,"time":"2026-12-02T14:56:20.129Z"},{"replicas":2,"time":"2026-12-02T14:56:34.514Z"}],"scaleDownEvents":[],"scaleUpEvents":[]},)j"
    R"j("desiredReplicas":2,"observedGeneration":1,"reference":"Deployment/web","targets":"backlog: 10/10"}})j";
// clang-format on

const Bytef* Dictionary() {
  return reinterpret_cast<const Bytef*>(kDictionary.data());
}

// One stream per thread, reset for each text: setting a stream up allocates and clears ~64 KB,
// which cost more than deflating a 2 KB object (a replica taking over a shard packs thousands).
struct Deflater {
  z_stream z{};
  bool ok = deflateInit2(&z, 1, Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) == Z_OK;
  Deflater() = default;
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  ~Deflater() {
    if (ok) deflateEnd(&z);
  }
};

struct Inflater {
  z_stream z{};
  bool ok = inflateInit2(&z, kWindowBits) == Z_OK;
  Inflater() = default;
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() {
    if (ok) inflateEnd(&z);
  }
};

std::string Deflate(const std::string& text) {
  thread_local Deflater d;
  z_stream& z = d.z;
  if (!d.ok || deflateReset(&z) != Z_OK) return "";
  std::string out;
  const uLong bound = deflateBound(&z, static_cast<uLong>(text.size()));
  out.resize(5 + bound);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(&out[5]);
  z.avail_out = static_cast<uInt>(bound);
  const bool ok =
      deflateSetDictionary(&z, Dictionary(), static_cast<uInt>(kDictionary.size())) == Z_OK &&
      deflate(&z, Z_FINISH) == Z_STREAM_END;
  if (!ok) return "";
  out.resize(5 + z.total_out);
  return out;
}

}  // namespace

std::string Pack(const std::string& text) {
  if (text.size() >= kMinDeflated && text.size() <= UINT32_MAX) {
    std::string out = Deflate(text);
    if (!out.empty() && out.size() < text.size()) {
      out[0] = kDeflated;
      const auto n = static_cast<uint32_t>(text.size());
      for (unsigned i = 0; i < 4; ++i) out[1 + i] = static_cast<char>((n >> (8 * i)) & 0xff);
      out.shrink_to_fit();
      return out;
    }
  }
  std::string out;
  out.reserve(text.size() + 1);
  out.push_back(kRaw);
  out += text;
  return out;
}

std::string Unpack(const std::string& packed) {
  if (packed.empty()) return "";
  if (packed[0] == kRaw) return packed.substr(1);
  if (packed[0] != kDeflated || packed.size() < 5)
    throw std::runtime_error("packed text: unknown header");
  uint32_t n = 0;
  for (unsigned i = 0; i < 4; ++i)
    n |= static_cast<uint32_t>(static_cast<unsigned char>(packed[1 + i])) << (8 * i);
  std::string out(n, '\0');
  thread_local Inflater inf;
  z_stream& z = inf.z;
  if (!inf.ok || inflateReset(&z) != Z_OK) throw std::runtime_error("packed text: no memory");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data() + 5));
  z.avail_in = static_cast<uInt>(packed.size() - 5);
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = n;
  int rc = inflate(&z, Z_FINISH);
  if (rc == Z_NEED_DICT &&
      inflateSetDictionary(&z, Dictionary(), static_cast<uInt>(kDictionary.size())) == Z_OK)
    rc = inflate(&z, Z_FINISH);
  const uLong size = z.total_out;
  if (rc != Z_STREAM_END || size != n) throw std::runtime_error("packed text: corrupt");
  return out;
}

}  // namespace ebb::live
