#include "controller/sim/simulate_command.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <type_traits>

#include "controller/api/autoscaler.h"
#include "controller/api/documents.h"
#include "controller/api/settings.h"
#include "controller/cli/flags.h"
#include "controller/sim/html_report.h"
#include "controller/sim/simulation_config.h"
#include "controller/sim/simulator.h"
#include "controller/sim/summary.h"
#include "controller/sim/timeline_writer.h"

namespace ebb::sim {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitOutput = 1;
constexpr int kExitUsage = 2;

Error Usage(const std::string& what) {
  return MakeError(ErrorCode::kInvalidConfig,
                   "ebb simulate: " + what + " (see ebb simulate --help)");
}

template <typename T>
bool ParseInt(const std::string& s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

bool ParseDouble(const std::string& s, double& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty() && std::isfinite(out);
}

std::string KindOf(const nlohmann::json& doc) {
  if (!doc.is_object()) return "";
  auto it = doc.find("kind");
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string NameOf(const nlohmann::json& doc) {
  if (!doc.is_object()) return "";
  auto md = doc.find("metadata");
  if (md == doc.end() || !md->is_object()) return "";
  auto n = md->find("name");
  return n != md->end() && n->is_string() ? n->get<std::string>() : "";
}

struct LoadedSpec {
  api::Autoscaler autoscaler;
  nlohmann::json autoscaler_doc;
  SimulationConfig sim;
  nlohmann::json sim_doc;  // null when there is none
};

Result<LoadedSpec> LoadSpec(const SimulateOptions& o) {
  auto docs = api::LoadDocuments(o.filename);
  if (!docs) return docs.error();
  std::vector<nlohmann::json> autoscalers;
  std::vector<std::pair<nlohmann::json, std::string>> sims;  // doc, source file
  for (auto& d : *docs) {
    const std::string kind = KindOf(d);
    if (kind == api::kKind) autoscalers.push_back(d);
    if (kind == kSimulationKind) sims.emplace_back(d, o.filename);
  }
  if (!o.simulation_file.empty()) {
    auto more = api::LoadDocuments(o.simulation_file);
    if (!more) return more.error();
    size_t found = 0;
    for (auto& d : *more) {
      if (KindOf(d) == kSimulationKind) {
        sims.emplace_back(d, o.simulation_file);
        ++found;
      }
    }
    if (found == 0) {
      return MakeError(ErrorCode::kInvalidConfig,
                       o.simulation_file + ": no document of kind Simulation");
    }
  }

  LoadedSpec out;
  // The Simulation to use: the one naming the chosen Autoscaler, else one naming none.
  std::vector<SimulationConfig> parsed;
  for (const auto& [doc, source] : sims) {
    auto s = ParseSimulation(doc, source);
    if (!s) return s.error();
    parsed.push_back(std::move(*s));
  }
  std::string name = o.autoscaler;
  int chosen_sim = -1;
  for (size_t i = 0; i < parsed.size(); ++i) {
    const bool matches =
        name.empty() || parsed[i].autoscaler.empty() || parsed[i].autoscaler == name;
    // A later file (--simulation) wins over the spec file.
    if (matches) chosen_sim = static_cast<int>(i);
  }
  if (chosen_sim >= 0) {
    out.sim = parsed[static_cast<size_t>(chosen_sim)];
    out.sim_doc = sims[static_cast<size_t>(chosen_sim)].first;
    if (name.empty()) name = out.sim.autoscaler;
  }

  if (autoscalers.empty()) {
    return MakeError(
        ErrorCode::kInvalidConfig,
        o.filename + ": no document of kind Autoscaler (apiVersion " + api::kApiVersion + ")");
  }
  const nlohmann::json* doc = nullptr;
  std::string names;
  for (const auto& a : autoscalers) {
    names += (names.empty() ? "" : ", ") + NameOf(a);
    if (!name.empty() && NameOf(a) == name) doc = &a;
  }
  if (name.empty()) {
    if (autoscalers.size() > 1) {
      return MakeError(ErrorCode::kInvalidConfig,
                       o.filename + ": holds several Autoscalers (" + names +
                           "); choose one with --autoscaler or spec.autoscaler of a Simulation");
    }
    doc = &autoscalers.front();
  }
  if (doc == nullptr) {
    return MakeError(ErrorCode::kInvalidConfig,
                     o.filename + ": no Autoscaler named " + name + " (found: " + names + ")");
  }
  auto a = api::ParseAutoscaler(*doc);
  if (!a) {
    return MakeError(ErrorCode::kInvalidConfig, o.filename + ": " + a.error().message);
  }
  out.autoscaler = std::move(*a);
  out.autoscaler_doc = *doc;
  return out;
}

// The flags of `ebb simulate`, declared once for parsing and --help (controller/cli/flags.h).
cli::FlagSet SimulateFlags(SimulateOptions& o) {
  cli::FlagSet f(
      "ebb simulate", {"ebb simulate -f AUTOSCALER.yaml --metrics RECORDING [flags]"},
      "Replays a recording through the Autoscaler's decision core and reconcile loop with a\n"
      "simulated clock ticking at its pollingInterval. Exit 0 done, 1 an output could not be\n"
      "written, 2 bad flags, spec or recording.");
  // Whole numbers within [lo, hi] into an optional.
  auto whole = [](auto* dst, int64_t lo, int64_t hi, std::string what) {
    return [dst, lo, hi, what](const std::string& v) -> Result<void> {
      int64_t n = 0;
      if (!ParseInt(v, n) || n < lo || n > hi) {
        return MakeError(ErrorCode::kInvalidConfig,
                         "must be " + what + " between " + std::to_string(lo) + " and " +
                             std::to_string(hi) + " (got \"" + v + "\")");
      }
      *dst = static_cast<typename std::remove_reference_t<decltype(*dst)>::value_type>(n);
      return {};
    };
  };
  f.Text("-f,--filename", "FILE",
         "Autoscaler documents (YAML or JSON); may also hold a\nkind: Simulation document with "
         "the settings below",
         &o.filename)
      .Texts("--metrics", "FILE",
             "recording: CSV timestamp,metric,value or a Prometheus\nquery_range answer (JSON); "
             "repeat to merge several",
             &o.metrics)
      .Text("--simulation", "FILE", "Simulation documents kept in their own file",
            &o.simulation_file)
      .Text("--autoscaler", "NAME", "which Autoscaler when the file holds several", &o.autoscaler)
      .Text("--out", "FILE", "per-tick timeline CSV (- for stdout)", &o.out)
      .Text("--report", "FILE", "self-contained HTML report with charts", &o.report)
      .Switch("--json", "print the summary as JSON", &o.json)
      .Custom("--initial-replicas", "N", "replicas at the start (default: Simulation, else min)",
              whole(&o.initial_replicas, 0, 100000, "an integer"))
      .Custom("--startup-delay", "S", "seconds before a new replica is ready (default 30)",
              whole(&o.startup_delay_seconds, 0, 86400, "whole seconds"))
      .Custom("--staleness", "S", "a sample older than this is missing (default 300)",
              whole(&o.staleness_seconds, 1, 86400, "whole seconds"))
      .Custom("--cost-per-replica-hour", "X", "price used for the cost line",
              [&o](const std::string& v) -> Result<void> {
                double d = 0;
                if (!ParseDouble(v, d) || d < 0) {
                  return MakeError(ErrorCode::kInvalidConfig,
                                   "must be a number >= 0 (got \"" + v + "\")");
                }
                o.cost_per_replica_hour = d;
                return {};
              })
      .Text("--metric-name", "NAME", "name for query_range series without an ebb_metric label",
            &o.metric_name)
      .Custom("--max-span-days", "N", "refuse a recording spanning more days (default 400)",
              whole(&o.max_span_days, 1, 1'000'000, "whole days"))
      .Custom("--max-ticks", "N", "refuse a recording needing more ticks (default 10000000)",
              whole(&o.max_ticks, 1, 1'000'000'000'000, "an integer"))
      .Custom("--gap-warning", "S",
              "warn about a metric without samples this long (default\n21600)",
              whole(&o.gap_warning_seconds, 1, 1'000'000'000, "whole seconds"))
      .Custom("--format", "auto|csv|prometheus", "the recording's format (default auto)",
              [&o](const std::string& v) -> Result<void> {
                if (v == "auto") {
                  o.format = RecordingFormat::kAuto;
                } else if (v == "csv") {
                  o.format = RecordingFormat::kCsv;
                } else if (v == "prometheus") {
                  o.format = RecordingFormat::kPrometheus;
                } else {
                  return MakeError(ErrorCode::kInvalidConfig,
                                   "must be auto, csv or prometheus (got \"" + v + "\")");
                }
                return {};
              })
      .Family(
          api::IsSettingFlag,
          [&o](std::string_view flag, const std::string& v) -> Result<void> {
            decision::Settings scratch;  // checked now, applied over the Simulation's
            if (auto ok = api::ApplySettingFlag(flag, v, scratch); !ok) return ok.error();
            o.setting_flags.emplace_back(std::string(flag), v);
            return {};
          },
          "\nController-level settings (as ebb run takes them; over the Simulation's "
          "settings:):\n" +
              api::SettingFlagsUsage(/*with_env=*/false));
  return f;
}

}  // namespace

std::string SimulateUsage() {
  SimulateOptions scratch;
  return SimulateFlags(scratch).Usage();
}

Result<SimulateOptions> ParseSimulateArgs(std::span<const std::string> args) {
  SimulateOptions o;
  cli::FlagSet flags = SimulateFlags(o);
  auto parsed = flags.Parse(args);
  if (!parsed) {
    return MakeError(ErrorCode::kInvalidConfig,
                     parsed.error().message + "\n(see ebb simulate --help)");
  }
  if (*parsed == cli::ParseOutcome::kHelp) {
    o.help = true;
    return o;
  }
  if (o.filename.empty()) return Usage("-f AUTOSCALER.yaml is required");
  if (o.metrics.empty()) return Usage("--metrics RECORDING is required");
  return o;
}

int RunSimulateCommand(const SimulateOptions& o, std::ostream& out, std::ostream& err) {
  if (o.help) {
    out << SimulateUsage();
    return kExitOk;
  }
  auto loaded = LoadSpec(o);
  if (!loaded) {
    err << loaded.error().message << "\n";
    return kExitUsage;
  }
  const LoadedSpec& ls = *loaded;
  auto models = ResolveModels(ls.sim, ls.autoscaler.spec, ls.autoscaler.name);
  if (!models) {
    err << models.error().message << "\n";
    return kExitUsage;
  }
  if (auto ok = LoadServiceTimes(*models); !ok) {
    err << ls.sim.origin << ": " << ok.error().message << "\n";
    return kExitUsage;
  }

  SimulationInput input;
  input.autoscaler = ls.autoscaler.name;
  input.spec = ls.autoscaler.spec;
  input.models = std::move(*models);
  input.settings = ls.sim.settings;
  for (const auto& [flag, value] : o.setting_flags)
    (void)api::ApplySettingFlag(flag, value, input.settings);  // checked when parsed
  input.initial_replicas =
      o.initial_replicas.value_or(ls.sim.initial_replicas.value_or(input.spec.min_replicas));
  input.startup_delay = Seconds(o.startup_delay_seconds.value_or(ls.sim.startup_delay_seconds));
  input.staleness = Seconds(o.staleness_seconds.value_or(ls.sim.staleness_seconds));
  input.cost_per_replica_hour = o.cost_per_replica_hour.value_or(ls.sim.cost_per_replica_hour);
  if (o.max_span_days) input.max_span_days = *o.max_span_days;
  if (o.max_ticks) input.max_ticks = *o.max_ticks;
  if (o.gap_warning_seconds) input.gap_warning = Seconds(*o.gap_warning_seconds);
  input.seed = ls.sim.seed;
  input.slo = ls.sim.slo;
  input.keep_history = input.slo.has_value();

  auto source = OpenRecordings(o.metrics, o.format, o.metric_name);
  if (!source) {
    err << source.error().message << "\n";
    return kExitUsage;
  }

  SummaryBuilder summary(input);
  std::vector<TickObserver*> observers{&summary};
  std::ofstream timeline_file;
  std::unique_ptr<TimelineWriter> timeline;
  const bool timeline_to_stdout = o.out == "-";
  if (!o.out.empty()) {
    std::ostream* dst = &out;
    if (!timeline_to_stdout) {
      timeline_file.open(o.out, std::ios::binary | std::ios::trunc);
      if (!timeline_file) {
        err << o.out << ": cannot write the timeline\n";
        return kExitOutput;
      }
      dst = &timeline_file;
    }
    timeline = std::make_unique<TimelineWriter>(*dst, input);
    observers.push_back(timeline.get());
  }
  std::unique_ptr<ReportBuilder> report;
  if (!o.report.empty()) {
    report = std::make_unique<ReportBuilder>(input);
    observers.push_back(report.get());
  }

  auto info = RunSimulation(input, **source, observers);
  if (!info) {
    err << info.error().message << "\n";
    return kExitUsage;
  }
  if (timeline) timeline->Flush();
  if (timeline_file.is_open()) {
    timeline_file.close();
    if (!timeline_file) {
      err << o.out << ": writing the timeline failed\n";
      return kExitOutput;
    }
  }

  const Summary s = summary.Finish(*info);
  // With the timeline on stdout the summary moves to stderr so the CSV stays parseable.
  std::ostream& summary_out = timeline_to_stdout ? err : out;
  if (o.json) {
    summary_out << SummaryToJson(s).dump(2) << "\n";
  } else {
    summary_out << FormatSummaryText(s);
  }

  if (report) {
    ReportDocuments docs;
    docs.autoscaler = ls.autoscaler_doc;
    docs.simulation = ls.sim_doc;
    docs.spec_file = o.filename;
    for (const auto& m : o.metrics) docs.recordings.push_back(m);
    std::ofstream html(o.report, std::ios::binary | std::ios::trunc);
    if (!html) {
      err << o.report << ": cannot write the report\n";
      return kExitOutput;
    }
    report->Write(html, s, docs);
    html.close();
    if (!html) {
      err << o.report << ": writing the report failed\n";
      return kExitOutput;
    }
    if (!o.json && !timeline_to_stdout) out << "report written to " << o.report << "\n";
  }
  return kExitOk;
}

int SimulateMain(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  auto options = ParseSimulateArgs(args);
  if (!options) {
    err << options.error().message << "\n";
    return kExitUsage;
  }
  return RunSimulateCommand(*options, out, err);
}

}  // namespace ebb::sim
