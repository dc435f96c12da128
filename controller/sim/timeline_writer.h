// The per-tick CSV timeline, written as the run goes (memory does not grow with the run):
//   time,<m>_load,<m>,<m>_proposal,...,desired,ready,replicas,reason
// <m>_load is the model's input, <m> the value the core was given (utilization targets: percent
// of the request; empty when the reading failed), <m>_proposal the replicas that metric asked for
// (empty when it failed). `ready` is what the core saw, `replicas` the spec replicas after this
// tick's patch.
#pragma once

#include <ostream>
#include <string>

#include "controller/sim/simulator.h"

namespace ebb::sim {

class TimelineWriter final : public TickObserver {
 public:
  TimelineWriter(std::ostream& out, const SimulationInput& input);
  ~TimelineWriter() override;
  void OnTick(const TickRecord& tick) override;
  void Flush();

 private:
  std::ostream& out_;
  std::string buf_;
};

}  // namespace ebb::sim
