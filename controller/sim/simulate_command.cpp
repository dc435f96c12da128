#include "controller/sim/simulate_command.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <tuple>
#include <type_traits>

#include "controller/api/autoscaler.h"
#include "controller/api/documents.h"
#include "controller/api/settings.h"
#include "controller/cli/flags.h"
#include "controller/sim/compare.h"
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

struct Policy {
  std::string label;
  std::string file;
  api::Autoscaler autoscaler;
  nlohmann::json doc;
};

struct LoadedSpec {
  std::vector<Policy> policies;
  SimulationConfig sim;
  nlohmann::json sim_doc;  // null when there is none
};

Result<void> AddPolicy(const nlohmann::json& doc, const std::string& file,
                       std::vector<Policy>& out) {
  auto a = api::ParseAutoscaler(doc);
  if (!a) return MakeError(ErrorCode::kInvalidConfig, file + ": " + a.error().message);
  out.push_back(Policy{"", file, std::move(*a), doc});
  return {};
}

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
  // The Simulation to use: the one naming the (first) chosen Autoscaler, else one naming none.
  std::vector<SimulationConfig> parsed;
  for (const auto& [doc, source] : sims) {
    auto s = ParseSimulation(doc, source);
    if (!s) return s.error();
    parsed.push_back(std::move(*s));
  }
  std::vector<std::string> names = o.autoscalers;
  const std::string first = names.empty() ? "" : names.front();
  int chosen_sim = -1;
  for (size_t i = 0; i < parsed.size(); ++i) {
    const bool matches =
        first.empty() || parsed[i].autoscaler.empty() || parsed[i].autoscaler == first;
    // A later file (--simulation) wins over the spec file.
    if (matches) chosen_sim = static_cast<int>(i);
  }
  if (chosen_sim >= 0) {
    out.sim = parsed[static_cast<size_t>(chosen_sim)];
    out.sim_doc = sims[static_cast<size_t>(chosen_sim)].first;
    if (names.empty() && !out.sim.autoscaler.empty()) names.push_back(out.sim.autoscaler);
  }

  if (autoscalers.empty()) {
    return MakeError(
        ErrorCode::kInvalidConfig,
        o.filename + ": no document of kind Autoscaler (apiVersion " + api::kApiVersion + ")");
  }
  std::string found;
  for (const auto& a : autoscalers) found += (found.empty() ? "" : ", ") + NameOf(a);
  if (names.empty()) {
    // No choice made: every Autoscaler of the file, compared.
    for (const auto& a : autoscalers) {
      if (auto ok = AddPolicy(a, o.filename, out.policies); !ok) return ok.error();
    }
  }
  for (const auto& name : names) {
    auto it = std::find_if(autoscalers.begin(), autoscalers.end(),
                           [&](const nlohmann::json& a) { return NameOf(a) == name; });
    if (it == autoscalers.end()) {
      return MakeError(ErrorCode::kInvalidConfig,
                       o.filename + ": no Autoscaler named " + name + " (found: " + found + ")");
    }
    if (auto ok = AddPolicy(*it, o.filename, out.policies); !ok) return ok.error();
  }
  for (const auto& file : o.compare) {
    auto more = api::LoadDocuments(file);
    if (!more) return more.error();
    size_t added = 0;
    for (const auto& d : *more) {
      if (KindOf(d) != api::kKind) continue;
      if (auto ok = AddPolicy(d, file, out.policies); !ok) return ok.error();
      ++added;
    }
    if (added == 0) {
      return MakeError(ErrorCode::kInvalidConfig,
                       file + ": no document of kind Autoscaler (--compare)");
    }
  }
  std::vector<std::pair<std::string, std::string>> name_and_file;
  for (const auto& p : out.policies) name_and_file.emplace_back(p.autoscaler.name, p.file);
  const auto labels = PolicyLabels(name_and_file);
  for (size_t i = 0; i < out.policies.size(); ++i) out.policies[i].label = labels[i];
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
      .Texts("--autoscaler", "NAME",
             "which Autoscaler when the file holds several; repeat to\ncompare several "
             "(default: the one the Simulation names, else all)",
             &o.autoscalers)
      .Texts("--compare", "FILE",
             "more Autoscaler files: each of their Autoscalers is replayed\non the same "
             "recording, models and seed and compared; repeatable",
             &o.compare)
      .Custom("--flap-reversals", "N",
              "flapping: more direction changes than N within --flap-window\n(default 4)",
              [&o](const std::string& v) -> Result<void> {
                int32_t n = 0;
                if (!ParseInt(v, n) || n < 1 || n > 1000) {
                  return MakeError(ErrorCode::kInvalidConfig,
                                   "must be an integer between 1 and 1000 (got \"" + v + "\")");
                }
                o.flap_reversals = n;
                return {};
              })
      .Custom("--flap-window", "S", "flapping: the window, in seconds (default 1800)",
              [&o](const std::string& v) -> Result<void> {
                int64_t n = 0;
                if (!ParseInt(v, n) || n < 1 || n > 86400 * 30) {
                  return MakeError(
                      ErrorCode::kInvalidConfig,
                      "must be whole seconds between 1 and 2592000 (got \"" + v + "\")");
                }
                o.flap_window_seconds = n;
                return {};
              })
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

namespace {

Result<void> BuildInput(const Policy& p, const LoadedSpec& ls, const SimulateOptions& o,
                        SimulationInput& input) {
  auto models = ResolveModels(ls.sim, p.autoscaler.spec, p.autoscaler.name);
  if (!models) return models.error();
  if (auto ok = LoadServiceTimes(*models); !ok) {
    return MakeError(ErrorCode::kInvalidConfig, ls.sim.origin + ": " + ok.error().message);
  }
  input.autoscaler = p.autoscaler.name;
  input.spec = p.autoscaler.spec;
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
  return {};
}

}  // namespace

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
  const bool compare = ls.policies.size() > 1;
  // Several policies: each message names the one it is about.
  auto about = [&](const Policy& p) {
    return compare ? "policy " + p.label + ": " : std::string();
  };

  std::vector<std::unique_ptr<SimulationInput>> inputs;
  for (const Policy& p : ls.policies) {
    auto input = std::make_unique<SimulationInput>();
    if (auto ok = BuildInput(p, ls, o, *input); !ok) {
      err << about(p) << ok.error().message << "\n";
      return kExitUsage;
    }
    inputs.push_back(std::move(input));
  }
  const FlappingRule flap{o.flap_reversals, static_cast<double>(o.flap_window_seconds)};

  std::ofstream timeline_file;
  const bool timeline_to_stdout = o.out == "-";
  std::ostream* timeline_dst = nullptr;
  if (!o.out.empty()) {
    timeline_dst = &out;
    if (!timeline_to_stdout) {
      timeline_file.open(o.out, std::ios::binary | std::ios::trunc);
      if (!timeline_file) {
        err << o.out << ": cannot write the timeline\n";
        return kExitOutput;
      }
      timeline_dst = &timeline_file;
    }
  }
  // One policy: the timeline as it always was; several: one CSV with a policy column.
  std::unique_ptr<TimelineWriter> timeline;
  std::unique_ptr<PolicyTimelineWriter> policy_timeline;
  if (timeline_dst != nullptr && !compare) {
    timeline = std::make_unique<TimelineWriter>(*timeline_dst, *inputs.front());
  }
  if (timeline_dst != nullptr && compare) {
    std::vector<const SimulationInput*> all;
    for (const auto& in : inputs) all.push_back(in.get());
    policy_timeline = std::make_unique<PolicyTimelineWriter>(*timeline_dst, all);
  }

  // The ideal depends on the recording, models and seed (shared) and on the replica bounds and
  // polling interval (a policy's own): computed once per distinct bounds.
  std::map<std::tuple<int32_t, int32_t, int32_t>, std::optional<IdealResult>> ideals;
  std::vector<std::unique_ptr<ReportBuilder>> reports;
  std::vector<ComparedRun> runs;
  for (size_t k = 0; k < ls.policies.size(); ++k) {
    const Policy& p = ls.policies[k];
    const SimulationInput& input = *inputs[k];
    auto source = OpenRecordings(o.metrics, o.format, o.metric_name);
    if (!source) {
      err << source.error().message << "\n";
      return kExitUsage;
    }
    SummaryBuilder summary(input, flap);
    const auto key = std::make_tuple(input.spec.min_replicas, input.spec.max_replicas,
                                     input.spec.polling_interval_seconds);
    const auto cached = ideals.find(key);
    if (cached != ideals.end()) summary.UseIdeal(cached->second);
    std::vector<TickObserver*> observers{&summary};
    if (timeline) observers.push_back(timeline.get());
    if (policy_timeline) {
      policy_timeline->StartRun(p.label, input);
      observers.push_back(policy_timeline.get());
    }
    if (!o.report.empty()) {
      reports.push_back(std::make_unique<ReportBuilder>(input));
      observers.push_back(reports.back().get());
    }
    auto info = RunSimulation(input, **source, observers);
    if (!info) {
      err << about(p) << info.error().message << "\n";
      return kExitUsage;
    }
    runs.push_back(ComparedRun{p.label, p.file, summary.Finish(*info)});
    if (cached == ideals.end()) ideals.emplace(key, runs.back().summary.ideal);
  }
  if (timeline) timeline->Flush();
  if (policy_timeline) policy_timeline->Flush();
  if (timeline_file.is_open()) {
    timeline_file.close();
    if (!timeline_file) {
      err << o.out << ": writing the timeline failed\n";
      return kExitOutput;
    }
  }

  // With the timeline on stdout the summary moves to stderr so the CSV stays parseable.
  std::ostream& summary_out = timeline_to_stdout ? err : out;
  if (!compare) {
    const Summary& s = runs.front().summary;
    summary_out << (o.json ? SummaryToJson(s).dump(2) + "\n" : FormatSummaryText(s));
  } else {
    summary_out << (o.json ? ComparisonToJson(runs).dump(2) + "\n" : FormatComparison(runs));
  }

  if (!o.report.empty()) {
    ReportDocuments docs;
    docs.autoscaler = ls.policies.front().doc;
    docs.simulation = ls.sim_doc;
    docs.spec_file = o.filename;
    for (const auto& m : o.metrics) docs.recordings.push_back(m);
    std::vector<ReportRun> report_runs;
    for (size_t k = 0; k < runs.size(); ++k) {
      report_runs.push_back(ReportRun{runs[k].label, ls.policies[k].file, ls.policies[k].doc,
                                      reports[k].get(), &runs[k].summary});
    }
    std::ofstream html(o.report, std::ios::binary | std::ios::trunc);
    if (!html) {
      err << o.report << ": cannot write the report\n";
      return kExitOutput;
    }
    WriteReport(html, report_runs, docs);
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
