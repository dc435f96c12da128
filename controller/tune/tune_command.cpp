#include "controller/tune/tune_command.h"

#include <charconv>
#include <cmath>
#include <fstream>

#include "controller/api/autoscaler.h"
#include "controller/api/documents.h"
#include "controller/cli/flags.h"
#include "controller/convert/convert.h"
#include "controller/sim/number_text.h"
#include "controller/sim/timestamp_text.h"
#include "controller/tune/comparison.h"

namespace ebb::tune {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitOutput = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotFound = 3;

Error Usage(const std::string& what) {
  return MakeError(ErrorCode::kInvalidConfig, "ebb tune: " + what + " (see ebb tune --help)");
}

bool ParseDouble(const std::string& s, double& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty() && std::isfinite(out);
}

std::string KindOf(const nlohmann::json& d) {
  return d.is_object() && d.contains("kind") && d["kind"].is_string() ? d["kind"].get<std::string>()
                                                                      : "";
}

std::string NameOf(const nlohmann::json& d) {
  if (!d.is_object() || !d.contains("metadata") || !d["metadata"].is_object()) return "";
  const auto& md = d["metadata"];
  return md.contains("name") && md["name"].is_string() ? md["name"].get<std::string>() : "";
}

struct Loaded {
  nlohmann::json autoscaler;
  sim::SimulationConfig sim;
  nlohmann::json simulation_doc;  // as written, for --out
};

Result<Loaded> Load(const TuneCommandOptions& o) {
  auto docs = api::LoadDocuments(o.filename);
  if (!docs) return docs.error();
  std::vector<nlohmann::json> autoscalers;
  std::vector<std::pair<nlohmann::json, std::string>> sims;
  for (auto& d : *docs) {
    if (KindOf(d) == api::kKind) autoscalers.push_back(d);
    if (KindOf(d) == sim::kSimulationKind) sims.emplace_back(d, o.filename);
  }
  if (!o.simulation_file.empty()) {
    auto more = api::LoadDocuments(o.simulation_file);
    if (!more) return more.error();
    for (auto& d : *more) {
      if (KindOf(d) == sim::kSimulationKind) sims.emplace_back(d, o.simulation_file);
    }
  }
  std::string name = o.autoscaler;
  Loaded out;
  bool have_sim = false;
  for (const auto& [doc, source] : sims) {
    auto s = sim::ParseSimulation(doc, source);
    if (!s) return s.error();
    if (name.empty() || s->autoscaler.empty() || s->autoscaler == name) {
      out.sim = *s;  // a later one (--simulation) wins, as in ebb simulate
      out.simulation_doc = doc;
      have_sim = true;
    }
  }
  if (!have_sim) {
    return MakeError(ErrorCode::kInvalidConfig,
                     o.filename + ": no Simulation document (ebb tune needs its models and slo)");
  }
  if (name.empty()) name = out.sim.autoscaler;
  const nlohmann::json* chosen = nullptr;
  for (const auto& a : autoscalers) {
    if (name.empty() ? autoscalers.size() == 1 : NameOf(a) == name) chosen = &a;
  }
  if (chosen == nullptr) {
    return MakeError(ErrorCode::kInvalidConfig,
                     o.filename + (name.empty() ? ": needs exactly one Autoscaler (or --autoscaler)"
                                                : ": no Autoscaler named " + name));
  }
  out.autoscaler = *chosen;
  for (auto& [metric, model] : out.sim.models) {
    if (!model.service_time ||
        model.service_time->distribution != sim::ServiceDistribution::kRecorded) {
      continue;
    }
    auto d = sim::LoadDurations(model.service_time->file);
    if (!d) {
      return MakeError(d.error().code, out.sim.origin + ": spec.models." + metric +
                                           ".serviceTime.file: " + d.error().message);
    }
    model.service_time->recorded = std::make_shared<const std::vector<double>>(std::move(*d));
  }
  return out;
}

std::string Percentile(const sim::SimulationConfig& c) {
  return "p" + sim::FormatFixed(c.slo->percentile,
                                c.slo->percentile == std::floor(c.slo->percentile) ? 0 : 1);
}

std::string Line(const sim::Summary& s) {
  const std::string wait = s.slo ? sim::FormatFixed(s.slo_wait, 1) + " s" : "-";
  std::string o = sim::FormatFixed(s.replica_hours, 1) + " replica-hours, wait " + wait + " (" +
                  (s.slo_met ? "SLO met" : "SLO MISSED") + "), " +
                  sim::FormatFixed(sim::ScaleEventsPerHour(s), 2) + " scale events/h";
  if (s.ideal && s.ideal->replica_hours > 0) {
    o += ", " + sim::FormatFixed(s.replica_hours / s.ideal->replica_hours, 2) + "x the ideal " +
         sim::FormatFixed(s.ideal->replica_hours, 1);
  }
  return o;
}

}  // namespace

namespace {

// Declares every flag of `ebb tune` on the one argument parser (controller/cli/flags.h), so the
// parsing, `--help` and the usage cannot disagree.
cli::FlagSet TuneFlags(TuneCommandOptions& o) {
  cli::FlagSet flags(
      "ebb tune", {"ebb tune -f AUTOSCALER.yaml --metrics RECORDING [flags]"},
      "Searches the queue metric's target, the scale-up/scale-down windows and policies,\n"
      "minReplicas and a second (arrival-rate) metric for the fewest replica-hours that meet\n"
      "the Simulation's slo: with a bounded scale-event rate, in simulation on the first part\n"
      "of the recording; checks the result on the held-out rest; prints the comparison with\n"
      "the ideal schedule and the defaults, the cost-vs-latency front and the Autoscaler.\n"
      "Exit codes: 0 found, 3 no policy met the SLO (the closest is printed), 1 output, 2 input.");
  auto number = [](double* dst, double lo, double hi, bool lo_open, const std::string& what) {
    return [=](const std::string& v) -> Result<void> {
      double d = 0;
      if (!ParseDouble(v, d) || d > hi || (lo_open ? d <= lo : d < lo))
        return MakeError(ErrorCode::kInvalidConfig, what + ", not \"" + v + "\"");
      *dst = d;
      return {};
    };
  };
  auto integer = [](int* dst, int lo, int hi) {
    return [=](const std::string& v) -> Result<void> {
      double d = 0;
      if (!ParseDouble(v, d) || d < lo || d > hi || d != std::floor(d))
        return MakeError(ErrorCode::kInvalidConfig, "an integer between " + std::to_string(lo) +
                                                        " and " + std::to_string(hi) + ", not \"" +
                                                        v + "\"");
      *dst = static_cast<int>(d);
      return {};
    };
  };
  flags
      .Text("-f,--filename", "FILE", "the Autoscaler and its Simulation (models, slo, seed)",
            &o.filename)
      .Texts("--metrics", "FILE", "recording (as ebb simulate); repeat to merge several",
             &o.metrics)
      .Text("--simulation", "FILE", "Simulation documents kept in their own file",
            &o.simulation_file)
      .Text("--autoscaler", "NAME", "which Autoscaler when the file holds several", &o.autoscaler)
      .Custom("--holdout", "SHARE", "the last share of the span kept for the check (0.25)",
              number(&o.tune.holdout, 0, 0.9, false, "a share between 0 and 0.9"))
      .Custom("--max-events-per-hour", "N",
              "scale events per hour allowed (default: 90 % of the given policy's)",
              number(&o.tune.max_events_per_hour, 0, 1e9, true, "a number > 0"))
      .Custom("--margin", "SHARE",
              "the wait must stay within (1 - SHARE) x the SLO on the training part (0.1)",
              number(&o.tune.margin, 0, 0.9, false, "a share between 0 and 0.9"))
      .Custom(
          "--redraws", "N",
          "other draws of the training part's tasks the pick must stay within the margin on (2)",
          integer(&o.tune.redraws, 0, 16))
      .Custom("--search-draws", "N",
              "draws of the training part's tasks every candidate is judged on (default: 5 when "
              "under 1,000 tasks may wait past the objective there, else 1)",
              integer(&o.tune.search_draws, 1, 16))
      .Custom("--draw-rule", "pooled|worst",
              "over several draws, judge the wait percentile of their tasks together (and each "
              "draw's within the objective), or each draw's within the margin (pooled)",
              [&o](const std::string& v) -> Result<void> {
                if (v == "pooled") {
                  o.tune.draw_rule = DrawRule::kPooled;
                } else if (v == "worst") {
                  o.tune.draw_rule = DrawRule::kWorst;
                } else {
                  return MakeError(ErrorCode::kInvalidConfig, "pooled or worst, not \"" + v + "\"");
                }
                return {};
              })
      .Custom("--recent-days", "N",
              "scheduled floors of the training part's last N days too, when it spans 2N (7; 0: "
              "none)",
              integer(&o.tune.recent_days, 0, 366))
      .Switch("--recent-check",
              "a candidate must also meet the SLO on those last days (for a growing load)",
              &o.tune.recent_check)
      .Switch("--grow-recent",
              "grow those days' floors and check by the last week-over-week growth (at most 2x)",
              &o.tune.grow_recent)
      .Custom("--threads", "N", "simulations run at once (2)", integer(&o.tune.threads, 1, 64))
      .Text("--out", "FILE", "write the recommended Autoscaler and its Simulation (YAML) there",
            &o.out)
      .Switch("--json", "print the result as JSON", &o.json)
      .Text("--metric-name", "NAME", "as ebb simulate", &o.metric_name)
      .Custom("--format", "auto|csv|prometheus", "the recording's format, as ebb simulate (auto)",
              [&o](const std::string& v) -> Result<void> {
                if (v == "auto") {
                  o.format = sim::RecordingFormat::kAuto;
                } else if (v == "csv") {
                  o.format = sim::RecordingFormat::kCsv;
                } else if (v == "prometheus") {
                  o.format = sim::RecordingFormat::kPrometheus;
                } else {
                  return MakeError(ErrorCode::kInvalidConfig,
                                   "auto, csv or prometheus, not \"" + v + "\"");
                }
                return {};
              });
  return flags;
}

}  // namespace

std::string TuneUsage() {
  TuneCommandOptions o;
  return TuneFlags(o).Usage();
}

Result<TuneCommandOptions> ParseTuneArgs(std::span<const std::string> args) {
  TuneCommandOptions o;
  cli::FlagSet flags = TuneFlags(o);
  auto parsed = flags.Parse(args);
  if (!parsed)
    return MakeError(ErrorCode::kInvalidConfig, parsed.error().message + "\n(see ebb tune --help)");
  if (*parsed == cli::ParseOutcome::kHelp) {
    o.help = true;
    return o;
  }
  if (o.filename.empty()) return Usage("-f AUTOSCALER.yaml is required");
  if (o.metrics.empty()) return Usage("--metrics RECORDING is required");
  return o;
}

int RunTuneCommand(const TuneCommandOptions& o, std::ostream& out, std::ostream& err) {
  if (o.help) {
    out << TuneUsage();
    return kExitOk;
  }
  auto loaded = Load(o);
  if (!loaded) {
    err << loaded.error().message << "\n";
    return kExitUsage;
  }
  auto source = sim::OpenRecordings(o.metrics, o.format, o.metric_name);
  if (!source) {
    err << source.error().message << "\n";
    return kExitUsage;
  }
  auto rec = BufferedRecording::Read(**source);
  if (!rec) {
    err << rec.error().message << "\n";
    return kExitUsage;
  }
  auto result = Tune(loaded->autoscaler, loaded->sim, *rec, o.tune);
  if (!result) {
    err << result.error().message << "\n";
    return kExitUsage;
  }
  const TuneResult& r = *result;

  // The comparison on the whole recording: the tuned policy, the one given, and the defaults
  // HPA and KEDA users get when they write only the target.
  sim::SimulationConfig cfg = loaded->sim;
  sim::ModelConfig rate;
  rate.type = sim::ModelType::kArrivalRate;
  rate.window_seconds = r.best.rate_window;
  std::vector<std::pair<std::string, nlohmann::json>> policies;
  policies.emplace_back("tuned", r.recommended);
  policies.emplace_back("as given", loaded->autoscaler);
  nlohmann::json hpa = loaded->autoscaler;
  hpa["spec"].erase("behavior");
  policies.emplace_back("HPA default behavior", hpa);
  nlohmann::json keda = hpa;
  keda["spec"]["pollingInterval"] = 30;
  policies.emplace_back("KEDA default (30 s)", keda);
  std::vector<ComparedPolicy> rows;
  {
    auto a = api::ParseAutoscaler(loaded->autoscaler);
    if (a) {
      for (const auto& [name, model] : cfg.models) {
        if (model.type == sim::ModelType::kQueue && rate.of.empty()) {
          for (const auto& m : a->spec.metrics) {
            if (m.name == name) rate.of = name;
          }
        }
      }
    }
    cfg.models[RateMetricName(loaded->autoscaler)] = rate;
  }
  for (size_t i = 0; i < policies.size(); ++i) {
    BufferedRecording::Source src(*rec, rec->first_ms(), rec->last_ms() + 1);
    // The ideal within the bounds as given (the tuned floor would raise it), planned during the
    // search.
    RunOptions run;
    if (i == 1) {
      run.ideal = r.ideal;
      run.plan_ideal = !r.ideal.has_value();
    }
    auto s = RunPolicy(policies[i].second, cfg, src, run);
    if (!s) {
      err << policies[i].first << ": " << s.error().message << "\n";
      return kExitUsage;
    }
    rows.push_back({policies[i].first, std::move(*s)});
  }

  const std::string yaml = convert::ToYaml(nlohmann::ordered_json::parse(r.recommended.dump()));
  if (!o.out.empty()) {
    // With the Simulation it was tuned in (and the arrival-rate model of its rate metric), so
    // `ebb simulate -f OUT --metrics RECORDING` replays exactly what was tuned.
    nlohmann::json simulation = loaded->simulation_doc;
    if (r.best.rate_target > 0) {
      simulation["spec"]["models"][RateMetricName(loaded->autoscaler)] = {
          {"type", "arrivalRate"}, {"of", rate.of}, {"windowSeconds", rate.window_seconds}};
    }
    std::ofstream f(o.out, std::ios::binary | std::ios::trunc);
    f << yaml << "---\n" << convert::ToYaml(nlohmann::ordered_json::parse(simulation.dump()));
    f.close();
    if (!f) {
      err << o.out << ": cannot write the recommended Autoscaler\n";
      return kExitOutput;
    }
  }
  // The ideal held to the tuned policy's scale events per hour: how much of the distance from
  // the ideal is the price of scaling as seldom as the tuned policy does.
  std::optional<sim::IdealResult> held;
  double held_events_per_hour = 0;
  if (r.ideal && r.ideal_input && !rows.empty()) {
    held = sim::HoldIdeal(*r.ideal_input, *r.ideal, sim::ScaleEventsPerHour(rows[0].summary));
    const double hours = rows[0].summary.duration_seconds / 3600.0;
    held_events_per_hour = hours > 0 ? held->scale_events / hours : 0.0;
  }
  const auto& slo = *loaded->sim.slo;
  if (o.json) {
    nlohmann::json j;
    j["found"] = r.found;
    j["settings"] = r.best.Describe();
    j["runs"] = r.runs;
    j["seconds"] = r.seconds;
    j["slo"] = {{"waitSeconds", slo.wait_seconds}, {"percentile", slo.percentile}};
    j["maxEventsPerHour"] = r.events_bound;
    j["margin"] = o.tune.margin;
    j["keptGiven"] = r.kept_given;
    j["searchDraws"] = r.search_draws;
    j["drawRule"] = o.tune.draw_rule == DrawRule::kPooled ? "pooled" : "worst";
    j["holdout"] = {
        {"asked", r.holdout_asked}, {"used", r.holdout_share}, {"feasible", r.holdout_feasible}};
    j["recent"] = {{"days", o.tune.recent_days},
                   {"check", o.tune.recent_check},
                   {"fromMs", r.recent_from_ms},
                   {"growth", r.growth}};
    j["redraws"] = {{"draws", o.tune.redraws},
                    {"checked", r.redraw_checked},
                    {"worstWaitSeconds", r.redraw_wait},
                    {"judgedWaitSeconds", r.redraw_judged}};
    j["training"] = sim::SummaryToJson(r.train);
    if (r.holdout.ticks > 0) {
      j["heldOut"] = sim::SummaryToJson(r.holdout);
      j["heldOutInitialReplicas"] = r.holdout_initial_replicas;
    }
    j["comparison"] = ComparisonToJson(rows);
    if (r.busiest_window_seconds > 0) {
      j["busiestWindow"] = {{"seconds", r.busiest_window_seconds},
                            {"trainingTasks", r.train_busiest.tasks}};
      if (r.holdout.ticks > 0) j["busiestWindow"]["heldOutTasks"] = r.holdout_busiest.tasks;
    }
    if (held) {
      j["idealAtTunedEvents"] = {
          {"replicaHours", held->replica_hours},
          {"scaleEventsPerHour", held_events_per_hour},
          {"waitSeconds", held->wait_quantile},
          {"met", held->met},
          {"tunedOverIt",
           held->replica_hours > 0 ? rows[0].summary.replica_hours / held->replica_hours : 0.0}};
    }
    nlohmann::json front = nlohmann::json::array();
    for (const auto& e : r.front) {
      front.push_back({{"replicaHours", e.replica_hours},
                       {"waitSeconds", e.wait},
                       {"worstDrawWaitSeconds", e.worst_wait},
                       {"scaleEventsPerHour", e.events_per_hour},
                       {"sloMet", e.slo_met},
                       {"settings", e.candidate.Describe()}});
    }
    j["front"] = front;
    // The presets on the training part, as the search judged them.
    nlohmann::json presets = nlohmann::json::array();
    for (const auto& e : r.presets) {
      presets.push_back({{"settings", e.candidate.Describe()},
                         {"replicaHours", e.replica_hours},
                         {"waitSeconds", e.wait},
                         {"worstDrawWaitSeconds", e.worst_wait},
                         {"scaleEventsPerHour", e.events_per_hour},
                         {"sloMet", e.slo_met}});
    }
    j["presets"] = presets;
    j["recommended"] = r.recommended;
    out << j.dump(2) << "\n";
  } else {
    out << "Tuning " << r.train.autoscaler << " for " << Percentile(loaded->sim)
        << " wait <= " << sim::FormatFixed(slo.wait_seconds, 1) << " s (searched with a "
        << sim::FormatFixed(o.tune.margin * 100, 0)
        << " % margin) and <= " << sim::FormatFixed(r.events_bound, 1) << " scale events/h"
        << (o.tune.max_events_per_hour > 0 ? "" : " (90 % of the policy as given)") << "\n";
    out << "  " << r.runs << " policies simulated in " << sim::FormatFixed(r.seconds, 1) << " s on "
        << sim::FormatRfc3339(r.train.start) << " .. " << sim::FormatRfc3339(r.train.end);
    if (r.search_draws > 1) {
      out << ", each on " << r.search_draws << " draws of its tasks ("
          << (o.tune.draw_rule == DrawRule::kPooled
                  ? "the percentile of their tasks together within the margin, each draw's "
                    "within the objective"
                  : "each draw's percentile within the margin")
          << ")";
    }
    out << "\n";
    if (r.holdout_share != r.holdout_asked) {
      out << "  held out: the last " << sim::FormatFixed(r.holdout_share * 100, 0)
          << " % of the span, not " << sim::FormatFixed(r.holdout_asked * 100, 0)
          << " %: maxReplicas from its start misses the SLO on the last "
          << sim::FormatFixed(r.holdout_asked * 100, 0) << " % (no policy could meet it there)\n";
    } else if (!r.holdout_feasible) {
      out << "  held out: maxReplicas misses the SLO there too (no policy could meet it), and on "
             "every longer held-out part up to half the span\n";
    }
    out << (r.found ? "Recommended: " : "No policy met the SLO; the closest: ") << r.best.Describe()
        << "\n";
    if (r.kept_given) {
      out << "  (it meets the SLO on the training part, and no candidate meeting it with the margin"
             " and the event bound is cheaper)\n";
    }
    if (r.redraw_checked > 0) {
      out << "  on " << o.tune.redraws << " other draws of the training part's tasks: ";
      if (r.redraw_wait >= 0) {
        out << "worst wait " << sim::FormatFixed(r.redraw_wait, 1) << " s";
        if (o.tune.draw_rule == DrawRule::kPooled) {
          out << ", their tasks together " << sim::FormatFixed(r.redraw_judged, 1) << " s";
        }
        out << " (candidate " << r.redraw_checked << " by cost of those meeting the margin)\n";
      } else {
        out << "none of the " << r.redraw_checked
            << " cheapest candidates stayed within the margin on all; the search's pick is shown\n";
      }
    }
    out << "  training:  " << Line(r.train) << "\n";
    if (r.holdout.ticks > 0) {
      out << "  held out:  " << Line(r.holdout) << " (" << sim::FormatRfc3339(r.holdout.start)
          << " .. " << sim::FormatRfc3339(r.holdout.end) << ", not seen by the search; from "
          << r.holdout_initial_replicas << " replicas, where the training part left them)\n";
      if (!r.holdout.slo_met && r.busiest_window_seconds > 0) {
        out << "  held out: its busiest " << sim::FormatFixed(r.busiest_window_seconds, 0)
            << " s (a start-up plus the objective) brought "
            << sim::FormatFixed(r.holdout_busiest.tasks, 0) << " tasks from "
            << sim::FormatRfc3339(r.holdout.start + std::chrono::milliseconds(std::llround(
                                                        r.holdout_busiest.start * 1000.0)))
            << ", against " << sim::FormatFixed(r.train_busiest.tasks, 0)
            << " in the training part's busiest";
        if (r.holdout_busiest.tasks > 1.5 * r.train_busiest.tasks) {
          out << ": a burst the search never saw, which only capacity kept ready for it would "
                 "meet (a higher margin, floor or schedule; or a recording that holds such bursts)";
        }
        out << "\n";
      }
    }
    out << "\nOn the whole recording:\n" << FormatComparison(rows);
    if (held && held->replica_hours > 0) {
      out << "ideal held to the tuned policy's "
          << sim::FormatFixed(sim::ScaleEventsPerHour(rows[0].summary), 1)
          << " events/h (its levels merged where that costs least): "
          << sim::FormatFixed(held->replica_hours, 1) << " replica-h, "
          << sim::FormatFixed(held_events_per_hour, 1) << " events/h, SLO "
          << (held->met ? "met" : "MISSED") << "; the tuned policy is "
          << sim::FormatFixed(rows[0].summary.replica_hours / held->replica_hours, 2) << "x it\n";
    }
    out << "\nCost-vs-latency front (training part; " << Percentile(loaded->sim) << " wait):\n";
    for (const auto& e : r.front) {
      out << "  " << sim::FormatFixed(e.replica_hours, 1) << " replica-h  "
          << sim::FormatFixed(e.wait, 1) << " s  " << sim::FormatFixed(e.events_per_hour, 2)
          << " events/h  " << (e.feasible ? "ok    " : (e.slo_met ? "flaps " : "missed")) << "  "
          << e.candidate.Describe() << "\n";
    }
    out << "\nRecommended Autoscaler";
    if (r.best.rate_target > 0) {
      out << " (replace TASKS_RECEIVED_TOTAL with the counter of tasks published to the queue, "
             "and the serverAddress)";
    }
    out << ":\n---\n" << yaml;
  }
  return r.found ? kExitOk : kExitNotFound;
}

int TuneMain(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  auto o = ParseTuneArgs(args);
  if (!o) {
    err << o.error().message << "\n";
    return kExitUsage;
  }
  return RunTuneCommand(*o, out, err);
}

}  // namespace ebb::tune
