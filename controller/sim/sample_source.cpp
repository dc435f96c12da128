#include "controller/sim/sample_source.h"

namespace ebb::sim {

MergedSource::MergedSource(std::vector<std::unique_ptr<SampleSource>> sources)
    : sources_(std::move(sources)), heads_(sources_.size()) {
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (i > 0) name_ += ", ";
    name_ += sources_[i]->name();
  }
}

Result<bool> MergedSource::Next(RawSample& out) {
  // A head's metric view points into its source's buffer, so a source is advanced only after
  // the caller is done with the sample it produced.
  for (size_t i = 0; i < sources_.size(); ++i) {
    Head& h = heads_[i];
    if (h.primed && i != consumed_) continue;
    auto r = sources_[i]->Next(h.sample);
    if (!r) return r.error();
    h.valid = *r;
    h.primed = true;
  }
  size_t best = SIZE_MAX;
  for (size_t i = 0; i < heads_.size(); ++i) {
    if (heads_[i].valid && (best == SIZE_MAX || heads_[i].sample.at < heads_[best].sample.at)) {
      best = i;
    }
  }
  consumed_ = best;
  if (best == SIZE_MAX) return false;
  out = heads_[best].sample;
  return true;
}

std::string MergedSource::Position() const {
  // The source that produced the last sample has not been advanced since.
  return consumed_ < sources_.size() ? sources_[consumed_]->Position() : name_;
}

}  // namespace ebb::sim
