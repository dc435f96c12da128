// `ebb convert -f hpa-or-scaledobject.yaml [-o autoscaler.yaml]`: HPA/KEDA -> Autoscaler.
#include <fstream>
#include <ostream>

#include "controller/api/autoscaler.h"
#include "controller/api/documents.h"
#include "controller/cli/commands.h"
#include "controller/cli/flags.h"
#include "controller/convert/convert.h"
#include "controller/net/curl_http_client.h"
#include "controller/sources/scaler_metrics.h"
#include "scalers/redis_pool.h"

namespace ebb::cli {

int ConvertCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  std::string output;
  FlagSet flags(
      "ebb convert", {"ebb convert -f FILE [-f FILE...] [-o OUT.yaml]"},
      "Turns each HorizontalPodAutoscaler (autoscaling/v1, v2beta1, v2beta2, v2) and KEDA\n"
      "ScaledObject (keda.sh/v1alpha1) of the input into an Autoscaler (ebb.dev/v1alpha1) and\n"
      "prints the YAML. A TriggerAuthentication in the input carries its Secret keys over as the\n"
      "metric's *FromEnv fields (env vars of the ebb controller). Warnings on stderr say what was\n"
      "not carried over. Other kinds are skipped with a note. Exit 0 when every HPA/ScaledObject\n"
      "converted, 2 otherwise.");
  flags.Texts("-f,--filename,--file", "FILE", "input documents, YAML or JSON (- for stdin)", &files)
      .Text("-o,--output", "FILE", "write the Autoscalers here instead of stdout", &output);
  if (int rc = HandleParse(flags, flags.Parse(args), out, err); rc >= 0) return rc;
  if (files.empty()) {
    err << "ebb convert: -f FILE is required (a HorizontalPodAutoscaler or KEDA ScaledObject)\n"
           "(see ebb convert --help)\n";
    return kExitBadInput;
  }
  std::vector<nlohmann::json> docs;
  int rc = kExitOk;
  for (const auto& f : files) {
    auto d = api::LoadDocuments(f);
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
  // The scalers' own parsers judge the converted blocks, as `ebb validate` does; nothing connects.
  net::CurlHttpClient http;
  scalers::RedisPool redis;
  scalers::ScalerDeps deps{&http, &redis, false};
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
    auto parsed = api::ParseAutoscaler(nlohmann::json(c->autoscaler));
    if (!parsed) {
      err << "error: the converted Autoscaler is invalid:\n" << parsed.error().message << "\n";
      rc = kExitBadInput;
      continue;
    }
    if (auto bound = sources::BindScalers(*parsed, deps); !bound) {
      err << "error: the converted Autoscaler is invalid:\n" << bound.error().message << "\n";
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
