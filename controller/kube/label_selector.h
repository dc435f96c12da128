// Label selectors as the API server writes and reads them: a LabelSelector object (a workload's
// spec.selector) formatted as the string a Scale's status.selector carries, and that string
// parsed back to match the labels of cached pods (what the API server does for ?labelSelector=).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/base/result.h"

namespace ebb::kube {

using Labels = std::map<std::string, std::string>;

// {matchLabels, matchExpressions} (or a plain label map, as a ReplicationController's) as
// "app=web,tier in (a,b),!legacy". kParse naming the field when a member is mistyped or an
// operator unknown.
Result<std::string> FormatLabelSelector(const nlohmann::json& selector);

// The index term of one label, as EqualityTerms writes it.
inline std::string LabelTerm(const std::string& key, const std::string& value) {
  return key + "=" + value;
}

class LabelSelector {
 public:
  // "a=b,a==b,a!=b,a in (x,y),a notin (x),a,!a"; kParse naming the requirement on garbage.
  static Result<LabelSelector> Parse(const std::string& text);
  bool Matches(const Labels& labels) const;
  // "key=value" of each requirement only one value satisfies (a=b, a in (b)): a pod matching
  // the selector carries every one of them, so an index by label narrows the pods to test.
  std::vector<std::string> EqualityTerms() const;
  bool empty() const { return requirements_.empty(); }

 private:
  enum class Op { kIn, kNotIn, kExists, kNotExists };
  struct Requirement {
    std::string key;
    Op op = Op::kExists;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

}  // namespace ebb::kube
