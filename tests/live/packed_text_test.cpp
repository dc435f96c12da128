// Packed object text (controller/live/packed_text.h): what every replica keeps per Autoscaler.
#include "controller/live/packed_text.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

using namespace ebb::live;

TEST_CASE("packed text comes back exactly, and an Autoscaler's JSON packs to under a third",
          "[unit][memory]") {
  std::string autoscaler =
      R"({"apiVersion":"ebb.dev/v1alpha1","kind":"Autoscaler","metadata":{"name":"a1","namespace":"bench","uid":"0d6f1c1e-6a55-4d2c-9c1e-2f0c1a3b4c5d","resourceVersion":"123456","generation":1},"spec":{"scaleTargetRef":{"apiVersion":"test.ebb.dev/v1","kind":"WorkerPool","name":"p1"},"minReplicas":1,"maxReplicas":10,"pollingInterval":15,"metrics":[{"type":"Redis","name":"backlog","redis":{"address":"127.0.0.1:6379","lists":["q1"],"target":{"type":"Value","value":"10"}}}]},"status":{"currentReplicas":2,"desiredReplicas":2,"targets":"backlog: 10/10","conditions":[{"type":"AbleToScale","status":"True","reason":"ReadyForNewScale","message":"recommended size matches current size","lastTransitionTime":"2026-12-02T14:00:00Z"},{"type":"ScalingActive","status":"True","reason":"ValidMetricFound","message":"the Redis metric backlog is valid","lastTransitionTime":"2026-12-02T14:00:00Z"},{"type":"ScalingLimited","status":"False","reason":"DesiredWithinRange","message":"the desired count is within the acceptable range","lastTransitionTime":"2026-12-02T14:00:00Z"}]}})";
  const std::string packed = Pack(autoscaler);
  CHECK(Unpack(packed) == autoscaler);
  CHECK(packed.size() * 3 < autoscaler.size());  // 279 of 1,058 bytes with the dictionary
  CHECK(Pack(autoscaler) == packed);             // deterministic: equal texts compare equal packed

  std::mt19937 rng(1);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  for (const std::string& text : {std::string(), std::string("{}"), std::string(127, 'x'),
                                  std::string(128, 'x'), noise, std::string(1 << 20, 'y')}) {
    INFO(text.size());
    const std::string p = Pack(text);
    CHECK(Unpack(p) == text);
    CHECK(p.size() <= text.size() + 1);  // incompressible text costs one byte more, no more
  }
  CHECK_THROWS(Unpack("q{}"));
  std::string cut = packed.substr(0, packed.size() / 2);
  CHECK_THROWS(Unpack(cut));
}
