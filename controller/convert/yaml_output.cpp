#include "controller/convert/yaml_output.h"

#include <cctype>
#include <set>
#include <sstream>

namespace ebb::convert {
namespace {

using nlohmann::ordered_json;

bool PlainSafe(const std::string& s) {
  if (s.empty()) return false;
  static const std::set<std::string> kReserved = {"true", "false", "yes", "no", "on",
                                                  "off",  "null",  "y",   "n",  "~"};
  std::string lower;
  for (char ch : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (kReserved.count(lower) != 0) return false;
  // Anything number-like (ints, floats, 1e3, 0x1f, .5, 1_000, +1) would not stay a string.
  const char first = s.front();
  if (std::isdigit(static_cast<unsigned char>(first)) || first == '-' || first == '+' ||
      first == '.') {
    return false;
  }
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (!(std::isalnum(u) || ch == '-' || ch == '_' || ch == '.' || ch == '/' || ch == '(' ||
          ch == ')' || ch == ' ' || ch == '=')) {
      return false;
    }
  }
  return s.back() != ' ' && s.front() != ' ';
}

std::string Scalar(const ordered_json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    return PlainSafe(s) ? s : v.dump();  // JSON strings are valid double-quoted YAML
  }
  return v.dump();
}

void Emit(const ordered_json& v, int indent, std::ostringstream& out);

bool IsCollection(const ordered_json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

void EmitObjectBody(const ordered_json& v, int indent, std::ostringstream& out, bool first_inline) {
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!(first && first_inline)) out << std::string(static_cast<size_t>(indent), ' ');
    first = false;
    out << Scalar(ordered_json(it.key())) << ":";
    if (IsCollection(*it)) {
      out << "\n";
      Emit(*it, it->is_array() ? indent : indent + 2, out);
    } else {
      out << " " << (it->is_object() ? "{}" : it->is_array() ? "[]" : Scalar(*it)) << "\n";
    }
  }
}

void Emit(const ordered_json& v, int indent, std::ostringstream& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (v.is_object()) {
    EmitObjectBody(v, indent, out, false);
  } else if (v.is_array()) {
    for (const auto& e : v) {
      out << pad << "- ";
      if (e.is_object() && !e.empty()) {
        EmitObjectBody(e, indent + 2, out, true);
      } else if (e.is_array() && !e.empty()) {
        out << "\n";
        Emit(e, indent + 2, out);
      } else {
        out << (e.is_object() ? "{}" : e.is_array() ? "[]" : Scalar(e)) << "\n";
      }
    }
  } else {
    out << pad << Scalar(v) << "\n";
  }
}

}  // namespace

std::string ToYaml(const ordered_json& doc) {
  std::ostringstream out;
  Emit(doc, 0, out);
  return out.str();
}

}  // namespace ebb::convert
