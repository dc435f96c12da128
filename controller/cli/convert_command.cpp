// `ebb convert -f hpa-or-scaledobject.yaml [-o autoscaler.yaml]`: HPA/KEDA -> Autoscaler.
#include <fstream>
#include <ostream>

#include "controller/cli/commands.h"
#include "controller/convert/convert.h"
#include "controller/spec/autoscaler.h"
#include "controller/spec/documents.h"

namespace ebb::cli {

int ConvertCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  std::string output;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "-f" || args[i] == "--file") && i + 1 < args.size()) {
      files.push_back(args[++i]);
    } else if ((args[i] == "-o" || args[i] == "--output") && i + 1 < args.size()) {
      output = args[++i];
    } else {
      err << "ebb convert: unknown argument \"" << args[i]
          << "\"\nusage: ebb convert -f FILE... [-o OUT.yaml]   (FILE - is stdin)\n";
      return kExitBadInput;
    }
  }
  if (files.empty()) {
    err << "ebb convert: -f FILE is required (a HorizontalPodAutoscaler or KEDA ScaledObject)\n";
    return kExitBadInput;
  }
  std::vector<nlohmann::json> docs;
  int rc = kExitOk;
  for (const auto& f : files) {
    auto d = spec::LoadDocuments(f);
    if (!d) {
      err << d.error().message << "\n";
      rc = kExitBadInput;
      continue;
    }
    docs.insert(docs.end(), d->begin(), d->end());
  }
  std::vector<nlohmann::json> auths;
  for (const auto& d : docs) {
    const std::string kind = convert::KindOf(d);
    if (kind == "TriggerAuthentication" || kind == "ClusterTriggerAuthentication") {
      auths.push_back(d);
    }
  }
  std::string yaml;
  int converted = 0;
  for (const auto& d : docs) {
    if (!convert::IsConvertible(d)) {
      const std::string kind = convert::KindOf(d).empty() ? "?" : convert::KindOf(d);
      if (kind != "TriggerAuthentication" && kind != "ClusterTriggerAuthentication") {
        err << "note: skipped a " << kind << " (not an HPA or ScaledObject)\n";
      }
      continue;
    }
    auto c = convert::Convert(d, auths);
    if (!c) {
      err << "error: " << c.error().message << "\n";
      rc = kExitBadInput;
      continue;
    }
    for (const auto& w : c->warnings) err << "warning: " << w << "\n";
    // The output must pass `ebb validate`; a failure here is a bug in the conversion or an
    // invalid input (e.g. maxReplicas < minReplicas), reported the way `ebb validate` does.
    auto parsed = spec::ParseAutoscaler(nlohmann::json(c->autoscaler));
    if (!parsed) {
      err << "error: the converted Autoscaler is invalid:\n" << parsed.error().message << "\n";
      rc = kExitBadInput;
      continue;
    }
    yaml += (converted++ == 0 ? "" : "---\n") + convert::ToYaml(c->autoscaler);
  }
  if (converted == 0 && rc == kExitOk) {
    err << "ebb convert: no HorizontalPodAutoscaler or ScaledObject found\n";
    rc = kExitBadInput;
  }
  if (output.empty()) {
    out << yaml;
  } else if (converted > 0) {
    std::ofstream o(output, std::ios::binary);
    o << yaml;
    if (!o) {
      err << "ebb convert: cannot write " << output << "\n";
      return kExitFailure;
    }
  }
  return rc;
}

}  // namespace ebb::cli
