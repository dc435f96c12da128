#include "controller/sim/simulation_config.h"

#include <cmath>

#include "controller/api/settings.h"
#include "controller/base/quantity.h"

namespace ebb::sim {
namespace {

class Problems {
 public:
  void Add(std::string path, std::string message) {
    lines_.push_back(std::move(path) + ": " + std::move(message));
  }
  bool empty() const { return lines_.empty(); }
  Error ToError(const std::string& origin) const {
    std::string text;
    for (const auto& l : lines_) {
      if (!text.empty()) text += '\n';
      text += origin + ": " + l;
    }
    return MakeError(ErrorCode::kInvalidConfig, text);
  }

 private:
  std::vector<std::string> lines_;
};

std::optional<double> Number(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  return std::nullopt;
}

std::optional<int64_t> Integer(const nlohmann::json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

// Quantities may be written as YAML numbers (2) or strings ("500m", "1Gi").
std::optional<int64_t> QuantityMilli(const nlohmann::json& j) {
  if (j.is_string()) {
    auto r = ParseQuantityMilli(j.get_ref<const std::string&>());
    if (r) return *r;
    return std::nullopt;
  }
  if (j.is_number()) {
    const double d = j.get<double>();
    if (std::isfinite(d)) return DoubleToMilli(d);
  }
  return std::nullopt;
}

void ParseServiceTime(const std::string& path, const nlohmann::json& j, ModelConfig& m,
                      Problems& p) {
  if (!j.is_object()) {
    p.Add(path, "must be an object {distribution, meanSeconds, cv, file}");
    return;
  }
  ServiceTime st;
  bool has_mean = false;
  for (const auto& [key, value] : j.items()) {
    const std::string fp = path + "." + key;
    if (key == "distribution") {
      const std::string t = value.is_string() ? value.get<std::string>() : "";
      if (t == "exponential") {
        st.distribution = ServiceDistribution::kExponential;
      } else if (t == "constant") {
        st.distribution = ServiceDistribution::kConstant;
      } else if (t == "lognormal") {
        st.distribution = ServiceDistribution::kLognormal;
      } else if (t == "recorded") {
        st.distribution = ServiceDistribution::kRecorded;
      } else {
        p.Add(fp, "must be one of exponential, constant, lognormal, recorded");
      }
    } else if (key == "meanSeconds") {
      const auto v = Number(value);
      if (!v || !std::isfinite(*v) || *v <= 0 || *v > 86400) {
        p.Add(fp, "must be a number of seconds in (0, 86400]");
      } else {
        st.mean_seconds = *v;
        has_mean = true;
      }
    } else if (key == "cv") {
      const auto v = Number(value);
      if (!v || !std::isfinite(*v) || *v < 0 || *v > 100) {
        p.Add(fp, "must be a number in [0, 100] (standard deviation / mean)");
      } else {
        st.cv = *v;
      }
    } else if (key == "file") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        p.Add(fp, "must be a file of durations in seconds");
      } else {
        st.file = value.get<std::string>();
      }
    } else {
      p.Add(fp, "unknown field (known: distribution, meanSeconds, cv, file)");
    }
  }
  const bool recorded = st.distribution == ServiceDistribution::kRecorded;
  if (recorded && st.file.empty()) p.Add(path + ".file", "required for distribution recorded");
  if (!recorded && !st.file.empty())
    p.Add(path + ".file", "only distribution recorded reads a file");
  if (!recorded && !has_mean) p.Add(path + ".meanSeconds", "required");
  m.service_time = st;
}

void ParseModel(const std::string& path, const nlohmann::json& j, ModelConfig& m, Problems& p) {
  if (!j.is_object()) {
    p.Add(path, "must be an object {type: replay|demand|queue, ...}");
    return;
  }
  for (const auto& [key, value] : j.items()) {
    const std::string fp = path + "." + key;
    if (key == "type") {
      const std::string t = value.is_string() ? value.get<std::string>() : "";
      if (t == "replay") {
        m.type = ModelType::kReplay;
      } else if (t == "demand") {
        m.type = ModelType::kDemand;
      } else if (t == "queue") {
        m.type = ModelType::kQueue;
      } else if (t == "arrivalRate") {
        m.type = ModelType::kArrivalRate;
      } else {
        p.Add(fp, "must be one of replay, demand, queue, arrivalRate");
      }
    } else if (key == "queueModel") {
      const std::string t = value.is_string() ? value.get<std::string>() : "";
      if (t == "fluid") {
        m.queue_kind = QueueKind::kFluid;
      } else if (t == "pool") {
        m.queue_kind = QueueKind::kPool;
      } else {
        p.Add(fp, "must be fluid or pool");
      }
    } else if (key == "reading") {
      const std::string t = value.is_string() ? value.get<std::string>() : "";
      if (t == "backlog") {
        m.reading = QueueReading::kBacklog;
      } else if (t == "backlogAndInFlight") {
        m.reading = QueueReading::kBacklogAndInFlight;
      } else {
        p.Add(fp, "must be backlog or backlogAndInFlight");
      }
    } else if (key == "concurrency") {
      const auto v = Integer(value);
      if (!v || *v < 1 || *v > 10000) {
        p.Add(fp, "must be an integer between 1 and 10000 (tasks a replica runs at once)");
      } else {
        m.concurrency = static_cast<int32_t>(*v);
      }
    } else if (key == "serviceTime") {
      ParseServiceTime(fp, value, m, p);
    } else if (key == "of") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        p.Add(fp, "must name the queue metric whose arrivals this rate reads");
      } else {
        m.of = value.get<std::string>();
      }
    } else if (key == "windowSeconds") {
      const auto v = Number(value);
      if (!v || !std::isfinite(*v) || *v < 1 || *v > 86400) {
        p.Add(fp, "must be a number of seconds in [1, 86400]");
      } else {
        m.window_seconds = *v;
      }
    } else if (key == "scale") {
      const auto v = Number(value);
      if (!v || !std::isfinite(*v) || *v <= 0) {
        p.Add(fp, "must be a number > 0");
      } else {
        m.scale = *v;
      }
    } else if (key == "serviceRate") {
      const auto v = Number(value);
      if (!v || !std::isfinite(*v) || *v <= 0) {
        p.Add(fp, "must be a number > 0 (tasks per second per ready replica)");
      } else {
        m.service_rate = *v;
      }
    } else if (key == "intervalSeconds") {
      const auto v = Number(value);
      if (!v || !std::isfinite(*v) || *v <= 0 || *v > 86400) {
        p.Add(fp, "must be a number of seconds in (0, 86400]");
      } else {
        m.interval_seconds = *v;
      }
    } else if (key == "request") {
      const auto v = QuantityMilli(value);
      if (!v || *v <= 0) {
        p.Add(fp, "must be a positive quantity such as \"500m\" or \"1Gi\"");
      } else {
        m.request_milli = *v;
      }
    } else if (key == "perPodBaseline") {
      const auto v = QuantityMilli(value);
      if (!v || *v < 0) {
        p.Add(fp, "must be a quantity >= 0 such as \"20m\" or \"200Mi\"");
      } else {
        m.per_pod_baseline_milli = *v;
      }
    } else {
      p.Add(fp,
            "unknown field (known: type, scale, serviceRate, intervalSeconds, request, "
            "perPodBaseline, queueModel, reading, concurrency, serviceTime, of, windowSeconds)");
    }
  }
  if (!j.contains("type")) p.Add(path + ".type", "required (replay, demand, queue or arrivalRate)");
  const bool pool_with_time = m.queue_kind == QueueKind::kPool && j.contains("serviceTime");
  if (m.type == ModelType::kQueue && m.service_rate <= 0 && !j.contains("serviceRate") &&
      !pool_with_time) {
    p.Add(path + ".serviceRate",
          "required for a queue model (or serviceTime with queueModel: pool)");
  }
  if (m.type != ModelType::kQueue || m.queue_kind != QueueKind::kPool) {
    for (const char* k : {"concurrency", "serviceTime"}) {
      if (j.contains(k)) p.Add(path + "." + k, "only a queue with queueModel: pool has it");
    }
  }
  if (m.type != ModelType::kQueue && j.contains("reading")) {
    p.Add(path + ".reading", "only a queue model has it");
  }
  if (m.type == ModelType::kArrivalRate && m.of.empty()) {
    p.Add(path + ".of", "required: the queue metric whose arrivals this rate reads");
  }
  if (m.type != ModelType::kArrivalRate && j.contains("of")) {
    p.Add(path + ".of", "only an arrivalRate model has it");
  }
}

void ParseSlo(const std::string& path, const nlohmann::json& j, SimulationConfig& cfg,
              Problems& p) {
  if (!j.is_object()) {
    p.Add(path, "must be an object {waitSeconds, percentile}");
    return;
  }
  Slo slo;
  for (const auto& [key, value] : j.items()) {
    const std::string fp = path + "." + key;
    if (key == "waitSeconds") {
      const auto v = Number(value);
      if (!v || !std::isfinite(*v) || *v <= 0 || *v > 86400) {
        p.Add(fp, "must be a number of seconds in (0, 86400]");
      } else {
        slo.wait_seconds = *v;
      }
    } else if (key == "percentile") {
      const auto v = Number(value);
      if (!v || !std::isfinite(*v) || *v < 50 || *v > 100) {
        p.Add(fp, "must be a percentile in [50, 100] such as 95 or 99");
      } else {
        slo.percentile = *v;
      }
    } else {
      p.Add(fp, "unknown field (known: waitSeconds, percentile)");
    }
  }
  if (!j.contains("waitSeconds")) p.Add(path + ".waitSeconds", "required");
  cfg.slo = slo;
}

}  // namespace

const char* ToString(ModelType t) {
  switch (t) {
    case ModelType::kReplay:
      return "replay";
    case ModelType::kDemand:
      return "demand";
    case ModelType::kQueue:
      return "queue";
    case ModelType::kArrivalRate:
      return "arrivalRate";
  }
  return "?";
}

double MeanServiceSeconds(const ModelConfig& m) {
  if (m.service_time) {
    const ServiceTime& s = *m.service_time;
    if (s.distribution == ServiceDistribution::kRecorded && s.recorded && !s.recorded->empty()) {
      double sum = 0;
      for (double d : *s.recorded) sum += d;
      return sum / static_cast<double>(s.recorded->size());
    }
    return s.mean_seconds;
  }
  return m.service_rate > 0 ? m.concurrency / m.service_rate : 0;
}

Result<void> LoadServiceTimes(std::vector<ModelConfig>& models) {
  for (auto& m : models) {
    if (!m.service_time || m.service_time->distribution != ServiceDistribution::kRecorded) continue;
    auto d = LoadDurations(m.service_time->file);
    if (!d) return d.error();
    m.service_time->recorded = std::make_shared<const std::vector<double>>(std::move(*d));
  }
  return {};
}

ServiceTime EffectiveServiceTime(const ModelConfig& m) {
  if (m.service_time) return *m.service_time;
  ServiceTime s;
  s.distribution = ServiceDistribution::kExponential;
  s.mean_seconds = MeanServiceSeconds(m);
  return s;
}

bool IsPerPodMetric(decision::SourceType type) {
  return type == decision::SourceType::kResource ||
         type == decision::SourceType::kContainerResource || type == decision::SourceType::kPods;
}

Result<SimulationConfig> ParseSimulation(const nlohmann::json& doc, const std::string& source) {
  SimulationConfig cfg;
  Problems p;
  std::string name;
  if (doc.is_object()) {
    if (auto md = doc.find("metadata"); md != doc.end() && md->is_object()) {
      if (auto n = md->find("name"); n != md->end() && n->is_string()) name = n->get<std::string>();
    }
  }
  cfg.name = name;
  cfg.origin = source + ": Simulation" + (name.empty() ? "" : " " + name);
  if (!doc.is_object()) {
    p.Add("$", "must be an object");
    return p.ToError(cfg.origin);
  }
  if (doc.value("apiVersion", "") != "ebb.dev/v1alpha1") {
    p.Add("apiVersion", "must be ebb.dev/v1alpha1");
  }
  const auto spec_it = doc.find("spec");
  if (spec_it == doc.end() || !spec_it->is_object()) {
    p.Add("spec", "required (an object)");
    return p.ToError(cfg.origin);
  }
  for (const auto& [key, value] : spec_it->items()) {
    const std::string fp = "spec." + key;
    if (key == "autoscaler") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        p.Add(fp, "must be the name of an Autoscaler");
      } else {
        cfg.autoscaler = value.get<std::string>();
      }
    } else if (key == "initialReplicas") {
      const auto v = Integer(value);
      if (!v || *v < 0 || *v > 100000) {
        p.Add(fp, "must be an integer between 0 and 100000");
      } else {
        cfg.initial_replicas = static_cast<int32_t>(*v);
      }
    } else if (key == "startupDelaySeconds") {
      const auto v = Integer(value);
      if (!v || *v < 0 || *v > 86400) {
        p.Add(fp, "must be an integer between 0 and 86400");
      } else {
        cfg.startup_delay_seconds = *v;
      }
    } else if (key == "costPerReplicaHour") {
      const auto v = Number(value);
      if (!v || !std::isfinite(*v) || *v < 0) {
        p.Add(fp, "must be a number >= 0");
      } else {
        cfg.cost_per_replica_hour = *v;
      }
    } else if (key == "stalenessSeconds") {
      const auto v = Integer(value);
      if (!v || *v < 1 || *v > 86400) {
        p.Add(fp, "must be an integer between 1 and 86400");
      } else {
        cfg.staleness_seconds = *v;
      }
    } else if (key == "settings") {
      // The controller-level settings, as `ebb run` takes them in flags: simulate with the same.
      std::vector<api::Problem> problems;
      cfg.settings = api::ParseSettings(value, fp, {}, problems);
      for (auto& pr : problems) p.Add(std::move(pr.path), std::move(pr.message));
    } else if (key == "models") {
      if (!value.is_object()) {
        p.Add(fp, "must map metric names to models");
        continue;
      }
      for (const auto& [metric, model] : value.items()) {
        ModelConfig m;
        ParseModel(fp + "." + metric, model, m, p);
        cfg.models[metric] = m;
      }
    } else if (key == "seed") {
      const auto v = Integer(value);
      if (!v || *v < 0) {
        p.Add(fp, "must be an integer >= 0");
      } else {
        cfg.seed = static_cast<uint64_t>(*v);
      }
    } else if (key == "slo") {
      ParseSlo(fp, value, cfg, p);
    } else {
      p.Add(fp,
            "unknown field (known: autoscaler, initialReplicas, startupDelaySeconds, "
            "costPerReplicaHour, stalenessSeconds, settings, models, seed, slo)");
    }
  }
  if (!p.empty()) return p.ToError(cfg.origin);
  return cfg;
}

Result<std::vector<ModelConfig>> ResolveModels(const SimulationConfig& config,
                                               const decision::Spec& spec,
                                               const std::string& autoscaler_name) {
  Problems p;
  std::vector<ModelConfig> out(spec.metrics.size());
  std::string names;
  for (const auto& m : spec.metrics) names += (names.empty() ? "" : ", ") + m.name;
  for (const auto& [metric, model] : config.models) {
    bool found = false;
    for (const auto& m : spec.metrics) found = found || m.name == metric;
    if (!found) {
      p.Add("spec.models." + metric, "Autoscaler " + autoscaler_name + " has no metric named " +
                                         metric + " (its metrics: " + names + ")");
    }
  }
  for (size_t i = 0; i < spec.metrics.size(); ++i) {
    const auto& m = spec.metrics[i];
    const std::string path = "spec.models." + m.name;
    if (auto it = config.models.find(m.name); it != config.models.end()) out[i] = it->second;
    const ModelConfig& model = out[i];
    const bool per_pod = IsPerPodMetric(m.type);
    if (model.type == ModelType::kQueue && per_pod) {
      p.Add(path + ".type",
            "a queue model needs a value metric (External, Object, Prometheus, "
            "Redis); " +
                m.name + " is read per pod");
    }
    if ((model.type == ModelType::kArrivalRate) && per_pod) {
      p.Add(path + ".type",
            "an arrivalRate model needs a value metric (External, Object, "
            "Prometheus, Redis); " +
                m.name + " is read per pod");
    }
    if (model.type == ModelType::kArrivalRate) {
      bool ok = false;
      for (const auto& [other, om] : config.models) {
        ok = ok || (other == model.of && om.type == ModelType::kQueue);
      }
      if (!ok) {
        p.Add(path + ".of", model.of + " is not a metric with a queue model");
      }
    }
    const bool resource = m.type == decision::SourceType::kResource ||
                          m.type == decision::SourceType::kContainerResource;
    if (resource && m.target.type == decision::TargetType::kUtilization && !model.request_milli) {
      p.Add(path + ".request", "required: " + m.name +
                                   " has a Utilization target, so the simulated pods need a " +
                                   m.resource + " request");
    }
  }
  if (!p.empty()) {
    std::string origin = config.origin.empty() ? "simulation settings" : config.origin;
    return p.ToError(origin);
  }
  return out;
}

}  // namespace ebb::sim
