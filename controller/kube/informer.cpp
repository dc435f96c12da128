#include "controller/kube/informer.h"

#include <random>
#include <set>

#include "controller/base/text.h"
#include "controller/net/http_client.h"

namespace ebb::kube {

Informer::Informer(KubeClient& client, std::string collection_path, OnChange on_change,
                   InformerOptions options)
    : client_(client),
      path_(std::move(collection_path)),
      on_change_(std::move(on_change)),
      options_(options) {}

Informer::~Informer() {
  Stop();
}

void Informer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Informer::Stop() {
  stop_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Informer::WaitForSync(Duration timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return synced_.load() || stop_.load(); }) &&
         synced_.load();
}

std::string Informer::KeyOf(const nlohmann::json& obj) {
  const auto md = obj.is_object() ? obj.find("metadata") : obj.end();
  if (md == obj.end() || !md->is_object()) return "";
  auto member = [&](const char* k) {
    const auto it = md->find(k);
    return it != md->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string ns = member("namespace");
  const std::string name = member("name");
  return ns.empty() ? name : ns + "/" + name;
}

std::optional<nlohmann::json> Informer::Get(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

std::string Informer::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void Informer::Failed(const Error& e) {
  stats_.errors.fetch_add(1);
  healthy_ = false;
  std::lock_guard lock(mu_);
  last_error_ = e.message;
}

std::string Informer::resource_version() const {
  std::lock_guard lock(mu_);
  return rv_;
}

void Informer::Sleep(Duration d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stop_.load(); });
}

void Informer::Apply(const std::string& key, const nlohmann::json* obj) {
  {
    std::lock_guard lock(mu_);
    if (!obj)
      cache_.erase(key);
    else if (options_.keep_objects)
      cache_[key] = *obj;
    else if (!options_.keys)
      cache_[key] = nullptr;
  }
  on_change_(key, obj);
}

namespace {
constexpr int kPageRetries = 4;  // backing off 1, 2, 4, 8 x initial_backoff (12 s at 800 ms)
}  // namespace

Result<void> Informer::Relist() {
  stats_.lists.fetch_add(1);
  // Each page is delivered as it arrives, only its keys kept: holding every page until the last
  // one held the whole collection as JSON trees (~115 MB for 30,000 Autoscalers, the peak of a
  // replica's start). A list cut short has delivered newer versions of some objects, which a
  // watch would have delivered anyway; deletions wait for a complete list.
  std::set<std::string> seen;
  std::string cont, rv;
  const char sep = path_.find('?') == std::string::npos ? '?' : '&';
  do {
    std::string p = path_ + sep + "limit=" + std::to_string(options_.list_page_size);
    if (!cont.empty()) p += "&continue=" + net::UrlEncode(cont);
    auto page = client_.Get(p, options_.list_page_timeout);
    // A later page that failed retryably (a loaded server timing it out, 5xx, 429) is asked for
    // again with the same token: restarting from the first page made a 30,000-object list under
    // load start over for minutes. Anything else, an expired token (410) included, restarts.
    for (int retry = 0;
         !page && page.error().retryable() && !stop_ && !cont.empty() && retry < kPageRetries;
         ++retry) {
      stats_.page_retries.fetch_add(1);
      Sleep(options_.initial_backoff * (1 << retry));
      page = client_.Get(p, options_.list_page_timeout);
    }
    if (!page) return page.error();
    for (auto& item : (*page)["items"]) {
      // managedFields are server-side apply bookkeeping, often the bulk of an object.
      if (item.contains("metadata")) item["metadata"].erase("managedFields");
      const std::string key = KeyOf(item);
      Apply(key, &item);
      seen.insert(key);
    }
    const auto& md = (*page)["metadata"];
    rv = md.is_object() ? md.value("resourceVersion", "") : "";
    cont = md.is_object() ? md.value("continue", "") : "";
  } while (!cont.empty() && !stop_);
  std::vector<std::string> removed;
  if (options_.keys && !options_.keep_objects) {
    for (auto& k : options_.keys())
      if (!seen.count(k)) removed.push_back(std::move(k));
  } else {
    std::lock_guard lock(mu_);
    for (const auto& [k, v] : cache_)
      if (!seen.count(k)) removed.push_back(k);
  }
  if (stop_) return {};  // cut short: not a complete list, nothing was deleted
  for (const auto& k : removed) Apply(k, nullptr);
  {
    std::lock_guard lock(mu_);
    rv_ = rv;
  }
  healthy_ = true;
  if (!synced_.exchange(true)) cv_.notify_all();
  return {};
}

Result<void> Informer::WatchOnce(bool* opened) {
  stats_.watches.fetch_add(1);
  static thread_local std::mt19937 rng{std::random_device{}()};
  // client-go: a server-side timeout between 5 and 10 minutes spreads re-watches out.
  const int timeout = std::uniform_int_distribution<int>(300, 600)(rng);
  const char sep = path_.find('?') == std::string::npos ? '?' : '&';
  const std::string p =
      path_ + sep + "watch=1&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(timeout) +
      "&resourceVersion=" + net::UrlEncode(resource_version());
  bool gone = false;
  std::string error_message;
  auto r = client_.Watch(
      p,
      [&](WatchEvent&& ev) {
        if (gone) return;
        const auto& md =
            ev.object.contains("metadata") ? ev.object["metadata"] : nlohmann::json::object();
        if (ev.type == "ERROR") {
          // A Status object: 410 means our resourceVersion is too old (compacted).
          if (ev.object.value("code", 0) == 410) gone = true;
          error_message = ev.object.value("message", std::string("watch error"));
          return;
        }
        const std::string rv = md.value("resourceVersion", "");
        if (ev.type == "BOOKMARK") {
          stats_.bookmarks.fetch_add(1);
        } else if (ev.type == "DELETED") {
          Apply(KeyOf(ev.object), nullptr);
        } else if (ev.type == "ADDED" || ev.type == "MODIFIED") {
          if (ev.object.contains("metadata")) ev.object["metadata"].erase("managedFields");
          Apply(KeyOf(ev.object), &ev.object);
        }
        if (!rv.empty()) {
          std::lock_guard lock(mu_);
          rv_ = rv;
        }
      },
      stop_, options_.idle_timeout,
      [this, opened] {
        *opened = true;
        healthy_ = true;
      });
  if (gone) {
    stats_.gone.fetch_add(1);
    return MakeError(ErrorCode::kNotFound, "gone: " + error_message);
  }
  if (!r) return r.error();
  if (!error_message.empty()) return MakeError(ErrorCode::kUnavailable, error_message);
  return {};
}

namespace {
// A reply shaped in a way nothing expected (json's accessors throw on a type mismatch) is an
// error like any other: back off and try again, never end the informer's thread.
template <typename F>
Result<void> Contained(F&& f, const char* what) {
  try {
    return f();
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kParse, std::string(what) + ": " + SafeText(e.what()));
  }
}
}  // namespace

void Informer::Run() {
  Duration backoff = options_.initial_backoff;
  bool need_list = true;
  while (!stop_) {
    if (need_list) {
      auto r = Contained([&] { return Relist(); }, "list");
      if (!r) {
        Failed(r.error());
        Sleep(backoff);
        backoff = std::min(backoff * 2, options_.max_backoff);
        continue;
      }
      need_list = false;
      backoff = options_.initial_backoff;
    }
    const auto started = std::chrono::steady_clock::now();
    bool opened = false;
    auto w = Contained([&] { return WatchOnce(&opened); }, "watch");
    if (stop_) break;
    // A watch that opened and then went quiet for idle_timeout (nothing changed, and the server
    // sent no bookmark) is re-opened at once from the last version, staying healthy: marking it
    // unhealthy sent every reconcile in the gap to the API server (a burst of /scale GETs and pod
    // LISTs every 90 s at 10,000 Autoscalers). Only a re-watch that fails makes it unhealthy.
    if (!w && w.error().code == ErrorCode::kTimeout && opened) {
      stats_.idle_rewatches.fetch_add(1);
      continue;
    }
    if (!w) {
      // 410 Gone (here or as a watch ERROR event): the version was compacted away; re-list at
      // once. Routine, so the informer stays healthy unless that list fails.
      if (w.error().code == ErrorCode::kNotFound) {
        stats_.errors.fetch_add(1);
        need_list = true;
        continue;
      }
      Failed(w.error());
      Sleep(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    // A stream that ended normally after running a while resets the backoff; one that ends
    // at once (a proxy dropping it) still waits a little so we never spin.
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(5)) {
      backoff = options_.initial_backoff;
    } else {
      Sleep(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }
}

}  // namespace ebb::kube
