// `ebb validate -f FILE...`: every problem of every Autoscaler document in one pass -- the spec's
// fields and the scaler blocks (prometheus:, redis:) together, so a fix never uncovers the next
// error. Nothing connects and no secret is read.
#include <cctype>
#include <ostream>
#include <set>

#include "controller/api/autoscaler.h"
#include "controller/api/documents.h"
#include "controller/cli/commands.h"
#include "controller/cli/flags.h"
#include "controller/net/curl_http_client.h"
#include "controller/sources/scaler_metrics.h"
#include "scalers/redis_pool.h"
#include "scalers/registry.h"

namespace ebb::cli {
namespace {

std::string Member(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

// The scaler blocks as written, whatever the rest of the document holds: the scalers' own
// parsers (the registry's ParseSource, the controller's path) judge them even when the spec has
// errors, so one run reports both.
std::string ScalerBlockProblems(const nlohmann::json& doc) {
  const nlohmann::json sp = doc.value("spec", nlohmann::json::object());
  const auto metrics = sp.is_object() ? sp.value("metrics", nlohmann::json()) : nlohmann::json();
  if (!metrics.is_array()) return "";
  std::vector<std::string> problems;
  for (size_t i = 0; i < metrics.size(); ++i) {
    const scalers::ScalerType* type = scalers::FindScalerType(Member(metrics[i], "type"));
    if (type == nullptr || !metrics[i].is_object()) continue;
    const auto block = metrics[i].value(std::string(type->block), nlohmann::json());
    if (!block.is_object()) continue;  // the spec's parser reports a missing or mistyped block
    (void)scalers::ParseSource(
        *type, block, "spec.metrics[" + std::to_string(i) + "]." + std::string(type->block),
        problems);
  }
  std::string out;
  for (const auto& p : problems) out += p + "\n";
  return out;
}

}  // namespace

int ValidateCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  FlagSet flags("ebb validate", {"ebb validate -f FILE [-f FILE...]"},
                "Checks every Autoscaler document of each file as the API server's CRD schema and\n"
                "the controller would, and reports every problem at once (field path first).\n"
                "Documents of other kinds are skipped. Exit 0 when all are valid, 2 otherwise.");
  flags.Texts("-f,--filename,--file", "FILE", "Autoscaler documents, YAML or JSON (- for stdin)",
              &files);
  if (int rc = HandleParse(flags, flags.Parse(args), out, err); rc >= 0) return rc;
  if (files.empty()) {
    err << "ebb validate: -f FILE is required\n(see ebb validate --help)\n";
    return kExitBadInput;
  }
  int rc = kExitOk;
  for (const auto& f : files) {
    auto docs = api::LoadDocuments(f);
    if (!docs) {
      err << docs.error().message << "\n";
      rc = kExitBadInput;
      continue;
    }
    std::vector<api::Autoscaler> valid;
    bool file_ok = true;
    for (size_t i = 0; i < docs->size(); ++i) {
      const nlohmann::json& d = (*docs)[i];
      if (Member(d, "kind") != api::kKind) continue;
      auto a = api::ParseAutoscaler(d);
      const std::string problems = a ? "" : a.error().message;
      const std::string blocks = ScalerBlockProblems(d);
      // A line both parsers report is shown once.
      std::set<std::string> seen;
      std::string all;
      for (const std::string* text : {&problems, &blocks}) {
        size_t start = 0;
        while (start < text->size()) {
          size_t end = text->find('\n', start);
          if (end == std::string::npos) end = text->size();
          std::string line = text->substr(start, end - start);
          // The spec's first line carries "Autoscaler ns/name: "; compare without it.
          std::string bare = line;
          if (bare.rfind("Autoscaler ", 0) == 0)
            if (auto colon = bare.find(": "); colon != std::string::npos)
              bare = bare.substr(colon + 2);
          if (!line.empty() && seen.insert(bare).second) all += line + "\n";
          start = end + 1;
        }
      }
      if (!all.empty()) {
        err << f << " (document " << i + 1 << "): " << all;
        file_ok = false;
      } else {
        valid.push_back(std::move(*a));
      }
    }
    if (!file_ok) {
      rc = kExitBadInput;
      continue;
    }
    if (valid.empty()) {
      err << f << ": no Autoscaler document found\n";
      rc = kExitBadInput;
      continue;
    }
    for (const auto& a : valid) {
      out << f << ": Autoscaler " << a.namespace_name << "/" << a.name << " is valid ("
          << a.spec.metrics.size() << " metric" << (a.spec.metrics.size() == 1 ? "" : "s") << ", "
          << a.spec.min_replicas << ".." << a.spec.max_replicas << " replicas)\n";
    }
  }
  return rc;
}

}  // namespace ebb::cli
