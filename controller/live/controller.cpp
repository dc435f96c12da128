#include "controller/live/controller.h"

#include <algorithm>
#include <utility>

namespace ebb::live {
namespace {

constexpr const char* kGroupVersion = "ebb.dev/v1alpha1";
// Keys taken from the queue and not yet finished, at most: under overload the rest wait in the
// queue in due order (drift shows it), and a shard hand-over waits for this many at most.
constexpr std::size_t kMaxTaken = 2048;

}  // namespace

Controller::Controller(kube::KubeClient& client, ControllerOptions options,
                       metrics::ControllerMetrics& metrics, std::shared_ptr<spdlog::logger> log)
    : client_(client),
      options_(std::move(options)),
      kube_(client, options_.identity, options_.watch_caches),
      secrets_(client),
      sources_(&secrets_),
      observer_(metrics, std::move(log), kube_),
      engine_(kube_, sources_, observer_, options_, clock_, queue_clock_) {}

Controller::~Controller() {
  Stop();
}

void Controller::Start() {
  auto add = [&](const std::string& collection, bool hpa) {
    std::vector<std::pair<std::string, std::string>> paths;  // (path, key prefix)
    if (options_.namespaces.empty()) {
      paths.emplace_back(collection, "");
    } else {
      const auto slash = collection.rfind('/');
      for (const auto& ns : options_.namespaces)
        paths.emplace_back(
            collection.substr(0, slash) + "/namespaces/" + ns + collection.substr(slash), ns + "/");
    }
    for (const auto& [p, prefix] : paths) {
      kube::InformerOptions io;
      io.keep_objects = false;  // the engine (or its HPA index) holds what is needed
      // The engine holds every Autoscaler it was given: the informer need not keep the keys too.
      if (!hpa) io.keys = [this, prefix = prefix] { return engine_.Keys(prefix); };
      auto inf = std::make_unique<kube::Informer>(
          client_, p,
          [this, hpa](const std::string& k, const nlohmann::json* o) { OnChange(hpa, k, o); }, io);
      if (!hpa) autoscaler_informers_.push_back(inf.get());
      inf->Start();
      informers_.push_back(std::move(inf));
    }
  };
  add(std::string("/apis/") + kGroupVersion + "/autoscalers", false);
  if (options_.watch_hpas) add("/apis/autoscaling/v1/horizontalpodautoscalers", true);
  pool_ = std::make_unique<WorkPool>(std::max<std::size_t>(options_.workers, 1));
  dispatcher_ = std::thread([this] { Dispatch(); });
}

void Controller::Dispatch() {
  DueQueue& queue = engine_.queue();
  for (;;) {
    queue.WaitProcessingBelow(kMaxTaken);
    auto first = queue.Take(queue_clock_);
    if (!first) return;
    // Everything due within the batch window joins the first: one poll round for all of them.
    std::vector<DueItem> due{*first};
    const std::size_t taken = queue.processing();
    for (auto& item : queue.PopDue(first->due + options_.batch_window,
                                   kMaxTaken > taken ? kMaxTaken - taken : 0))
      due.push_back(std::move(item));
    for (Engine::Batch& b : engine_.Prepare(due)) {
      pool_->Submit([this, batch = std::make_shared<Engine::Batch>(std::move(b))] {
        auto readings = std::make_shared<std::vector<std::vector<decision::MetricReading>>>(
            engine_.Poll(*batch));
        // The reconciles (scale read, patch, status) of the batch run in parallel.
        for (std::size_t i = 0; i < batch->items.size(); ++i) {
          pool_->Submit([this, batch, readings, i] {
            engine_.Finish(*batch->items[i], std::move((*readings)[i]));
          });
        }
      });
    }
  }
}

bool Controller::WaitForSync(Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& inf : informers_) {
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !inf->WaitForSync(left)) return false;
  }
  return true;
}

bool Controller::Ready(std::string* why) const {
  for (const kube::Informer* inf : autoscaler_informers_) {
    if (inf->healthy()) continue;
    if (why) *why = inf->last_error();
    return false;
  }
  return !autoscaler_informers_.empty();
}

void Controller::OnChange(bool hpa, const std::string& key, const nlohmann::json* obj) {
  try {
    hpa ? engine_.OnHpa(key, obj) : engine_.OnAutoscaler(key, obj);
  } catch (const std::exception& ex) {
    // Only an object shaped against the schema gets here; the rest of the cache goes on.
    observer_.WatchEventFailed(hpa, key, ex.what());
  }
}

void Controller::SetLeading(bool leading) {
  engine_.SetLeading(leading);
}

void Controller::Stop() {
  if (stopping_.exchange(true)) return;
  engine_.queue().Shutdown();
  if (dispatcher_.joinable()) dispatcher_.join();
  if (pool_) pool_->Stop();
  for (auto& inf : informers_) inf->Stop();
}

}  // namespace ebb::live
