#include "controller/kube/label_selector.h"

#include <algorithm>
#include <set>

#include "controller/base/text.h"

namespace ebb::kube {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// Splits on commas outside parentheses ("a in (x,y),b" is two requirements).
std::vector<std::string> SplitTop(const std::string& text) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(Trim(cur));
      cur.clear();
      continue;
    }
    cur.push_back(c);
  }
  out.push_back(Trim(cur));
  return out;
}

Result<std::vector<std::string>> SetValues(const std::string& rest, const std::string& whole) {
  const std::string t = Trim(rest);
  if (t.size() < 2 || t.front() != '(' || t.back() != ')')
    return MakeError(ErrorCode::kParse,
                     "label selector requirement \"" + SafeText(whole, 256) + "\": no (values)");
  std::vector<std::string> values;
  for (auto& v : SplitTop(t.substr(1, t.size() - 2)))
    if (!v.empty()) values.push_back(v);
  return values;
}

}  // namespace

Result<std::string> FormatLabelSelector(const nlohmann::json& selector) {
  if (selector.is_null()) return std::string();
  if (!selector.is_object()) return MakeError(ErrorCode::kParse, "selector: not an object");
  std::vector<std::string> parts;
  auto add_labels = [&](const nlohmann::json& labels, const std::string& field) -> Result<void> {
    if (labels.is_null()) return {};
    if (!labels.is_object()) return MakeError(ErrorCode::kParse, field + ": not an object");
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      if (!it->is_string())
        return MakeError(ErrorCode::kParse,
                         field + "." + SafeText(it.key(), 256) + ": not a string");
      parts.push_back(it.key() + "=" + it->get<std::string>());
    }
    return {};
  };
  const bool structured = selector.contains("matchLabels") || selector.contains("matchExpressions");
  if (!structured) {
    auto r = add_labels(selector, "selector");
    if (!r) return r.error();
  } else {
    if (auto it = selector.find("matchLabels"); it != selector.end()) {
      auto r = add_labels(*it, "selector.matchLabels");
      if (!r) return r.error();
    }
    if (auto it = selector.find("matchExpressions"); it != selector.end() && !it->is_null()) {
      if (!it->is_array())
        return MakeError(ErrorCode::kParse, "selector.matchExpressions: not an array");
      for (std::size_t i = 0; i < it->size(); ++i) {
        const auto& e = (*it)[i];
        const std::string field = "selector.matchExpressions[" + std::to_string(i) + "]";
        if (!e.is_object() || !e.contains("key") || !e["key"].is_string() ||
            !e.contains("operator") || !e["operator"].is_string())
          return MakeError(ErrorCode::kParse, field + ": needs a string key and operator");
        const std::string key = e["key"].get<std::string>();
        const std::string op = e["operator"].get<std::string>();
        std::set<std::string> values;  // sorted, as the API server writes them
        if (auto v = e.find("values"); v != e.end() && v->is_array())
          for (const auto& x : *v)
            if (x.is_string()) values.insert(x.get<std::string>());
        std::string list;
        for (const auto& x : values) list += (list.empty() ? "" : ",") + x;
        if (op == "In")
          parts.push_back(key + " in (" + list + ")");
        else if (op == "NotIn")
          parts.push_back(key + " notin (" + list + ")");
        else if (op == "Exists")
          parts.push_back(key);
        else if (op == "DoesNotExist")
          parts.push_back("!" + key);
        else
          return MakeError(ErrorCode::kParse,
                           field + ".operator: unknown operator \"" + SafeText(op, 64) + "\"");
      }
    }
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

Result<LabelSelector> LabelSelector::Parse(const std::string& text) {
  LabelSelector s;
  if (Trim(text).empty()) return s;
  for (const auto& part : SplitTop(text)) {
    if (part.empty())
      return MakeError(ErrorCode::kParse,
                       "label selector \"" + SafeText(text, 256) + "\": an empty requirement");
    Requirement r;
    if (part.front() == '!') {
      r.key = Trim(part.substr(1));
      r.op = Op::kNotExists;
    } else if (auto ne = part.find("!="); ne != std::string::npos) {
      r.key = Trim(part.substr(0, ne));
      r.op = Op::kNotIn;
      r.values = {Trim(part.substr(ne + 2))};
    } else if (auto eq = part.find('='); eq != std::string::npos) {
      r.key = Trim(part.substr(0, eq));
      const std::size_t skip = part.compare(eq, 2, "==") == 0 ? 2 : 1;
      r.op = Op::kIn;
      r.values = {Trim(part.substr(eq + skip))};
    } else if (auto in = part.find(" in "); in != std::string::npos) {
      r.key = Trim(part.substr(0, in));
      r.op = Op::kIn;
      auto v = SetValues(part.substr(in + 4), part);
      if (!v) return v.error();
      r.values = std::move(*v);
    } else if (auto nin = part.find(" notin "); nin != std::string::npos) {
      r.key = Trim(part.substr(0, nin));
      r.op = Op::kNotIn;
      auto v = SetValues(part.substr(nin + 7), part);
      if (!v) return v.error();
      r.values = std::move(*v);
    } else {
      r.key = part;
      r.op = Op::kExists;
    }
    if (r.key.empty() || r.key.find_first_of(" ()") != std::string::npos)
      return MakeError(ErrorCode::kParse,
                       "label selector requirement \"" + SafeText(part, 256) + "\": no valid key");
    s.requirements_.push_back(std::move(r));
  }
  return s;
}

std::vector<std::string> LabelSelector::EqualityTerms() const {
  std::vector<std::string> out;
  for (const auto& r : requirements_)
    if (r.op == Op::kIn && r.values.size() == 1) out.push_back(LabelTerm(r.key, r.values[0]));
  return out;
}

bool LabelSelector::Matches(const Labels& labels) const {
  for (const auto& r : requirements_) {
    const auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool listed =
        has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    switch (r.op) {
      case Op::kIn:
        if (!listed) return false;
        break;
      case Op::kNotIn:  // as the API server: a pod without the key matches "key!=v"
        if (listed) return false;
        break;
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kNotExists:
        if (has) return false;
        break;
    }
  }
  return true;
}

}  // namespace ebb::kube
