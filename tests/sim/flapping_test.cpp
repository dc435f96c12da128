#include "controller/sim/flapping.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace ebb::sim {
namespace {

struct Event {
  double at;
  bool up;
};

// Up and down by turns, `count` events `every` seconds apart from `from`, the first one `up`.
std::vector<Event> Alternating(double from, double every, int count, bool up = true) {
  std::vector<Event> out;
  for (int k = 0; k < count; ++k) out.push_back({from + every * k, (k % 2 == 0) == up});
  return out;
}

std::vector<Event> Join(std::vector<Event> a, const std::vector<Event>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST_CASE("flapping: more than N direction changes within the window", "[sim][flapping]") {
  struct Case {
    std::string name;
    FlappingRule rule;
    std::vector<Event> events;
    int32_t reversals;
    int32_t regions;
    double seconds;
  };
  const FlappingRule rule{4, 1800};
  const std::vector<Case> cases = {
      {"no scale events", rule, {}, 0, 0, 0},
      {"one direction only", rule, {{0, true}, {60, true}, {120, true}, {900, true}}, 0, 0, 0},
      // Events at 0..300 s: reversals at 60..300 s, five within 240 s.
      {"five reversals in four minutes", rule, Alternating(0, 60, 6), 5, 1, 240},
      // Exactly four reversals is not more than four.
      {"four reversals are allowed", rule, Alternating(0, 60, 5), 4, 0, 0},
      // Five reversals 600 s apart span 2,400 s, longer than the window.
      {"slow alternation is not flapping", rule, Alternating(0, 600, 6), 5, 0, 0},
      // Eight reversals in a row: overlapping windows merge into one region, 60..480 s.
      {"a long burst is one region", rule, Alternating(0, 60, 9), 8, 1, 420},
      {"two bursts far apart are two regions", rule,
       Join(Alternating(0, 60, 6), Alternating(20000, 60, 6, false)), 10, 2, 480},
      {"a tighter rule", FlappingRule{2, 100}, Alternating(0, 40, 4), 3, 1, 80},
      {"a tighter rule, too slow", FlappingRule{2, 100}, Alternating(0, 60, 4), 3, 0, 0},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      FlappingDetector d(c.rule);
      for (const auto& e : c.events) d.OnScale(e.at, e.up);
      const FlappingResult r = d.Finish();
      CHECK(r.reversals == c.reversals);
      CHECK(r.regions == c.regions);
      CHECK(r.seconds == Approx(c.seconds));
      CHECK(r.listed.size() == static_cast<size_t>(c.regions));
    }
  }
}

TEST_CASE("flapping regions are listed with their bounds", "[sim][flapping]") {
  FlappingDetector d(FlappingRule{4, 1800});
  for (const auto& e : Join(Alternating(0, 60, 6), Alternating(20000, 60, 7, false))) {
    d.OnScale(e.at, e.up);
  }
  const FlappingResult r = d.Finish();
  REQUIRE(r.listed.size() == 2);
  CHECK(r.listed[0].start == 60);
  CHECK(r.listed[0].end == 300);
  CHECK(r.listed[0].reversals == 5);
  // The second burst starts down after the first one's last down: no reversal at 20,000 s.
  CHECK(r.listed[1].start == 20060);
  CHECK(r.listed[1].end == 20360);
  CHECK(r.listed[1].reversals == 6);
}

}  // namespace
}  // namespace ebb::sim
