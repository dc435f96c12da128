// Shared, reference-counted informers keeping only what a consumer needs of each object: the
// first Acquire of a collection starts its informer, the last lease dropped stops it (and frees
// its cache). Objects are trimmed as they arrive; an object the trim refuses is not cached, so
// readers fall back to a direct GET that reports its error.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/kube/informer.h"

namespace ebb::kube {

// How long a reconcile waits for a just-started informer's first list before it reads the API
// server directly instead (a rescale must still land within one interval).
inline constexpr Duration kCacheSyncWait = Duration(2000);

template <typename T>
class WatchedCollections {
 public:
  using Trim = std::function<std::optional<T>(const nlohmann::json&)>;
  using Lease = std::shared_ptr<void>;
  // The terms an object is indexed by ("app=web" for each label, say): a reader asking for one
  // term visits only the objects that carry it instead of the whole collection.
  using IndexTerms = std::function<std::vector<std::string>(const T&)>;
  using Keys = std::set<std::string>;

  // What a reader sees: the objects by key, and the keys of those carrying a term.
  class View {
   public:
    const std::map<std::string, T>& objects() const { return objects_; }
    // Keys of the objects indexed under `term` (empty when none or without an index).
    const Keys& With(const std::string& term) const {
      static const Keys kNone;
      const auto it = index_.find(term);
      return it == index_.end() ? kNone : it->second;
    }

   private:
    friend class WatchedCollections;
    View(const std::map<std::string, T>& o, const std::map<std::string, Keys>& i)
        : objects_(o), index_(i) {}
    const std::map<std::string, T>& objects_;
    const std::map<std::string, Keys>& index_;
  };

  WatchedCollections(KubeClient& client, InformerOptions options, IndexTerms terms = nullptr)
      : state_(std::make_shared<State>(client, options, std::move(terms))) {}

  // `path`: a collection ("/apis/apps/v1/namespaces/ns/deployments"). The trim of the first
  // Acquire is the one used while the informer runs.
  Lease Acquire(const std::string& path, Trim trim) {
    auto st = state_;
    std::lock_guard lock(st->mu);
    auto& c = st->by_path[path];
    if (!c) {
      c = std::make_shared<Collection>();
      InformerOptions opts = st->options;
      opts.keep_objects = false;  // the trimmed copy below is all that is kept
      Collection* raw = c.get();
      // Every object the informer delivered is kept here (or was refused by the trim, and then
      // has nothing to delete): a re-list finds the deleted ones among these keys.
      opts.keys = [raw] {
        std::lock_guard l(raw->mu);
        std::vector<std::string> keys;
        keys.reserve(raw->objects.size());
        for (const auto& [k, v] : raw->objects) keys.push_back(k);
        return keys;
      };
      c->informer = std::make_unique<Informer>(
          st->client, path,
          [raw, trim = std::move(trim), terms = st->terms](const std::string& key,
                                                           const nlohmann::json* obj) {
            std::optional<T> t;
            if (obj) t = trim(*obj);
            std::lock_guard l(raw->mu);
            auto it = raw->objects.find(key);
            if (terms && it != raw->objects.end()) raw->Unindex(key, terms(it->second));
            if (!t) {
              if (it != raw->objects.end()) raw->objects.erase(it);
              return;
            }
            if (terms)
              for (auto& term : terms(*t)) raw->index[std::move(term)].insert(key);
            raw->objects.insert_or_assign(key, std::move(*t));
          },
          opts);
      c->informer->Start();
    }
    ++c->refs;
    return Lease(static_cast<void*>(c.get()), [st, path](void*) { Release(*st, path); });
  }

  // Calls f(objects) under the collection's lock when its informer is synced (waiting for it
  // until `wait` after it started) and healthy; false (f not called) otherwise: the cache may
  // be stale or incomplete.
  template <typename F>
  bool Read(const std::string& path, Duration wait, F&& f) const {
    return Locked(path, wait, [&](const Collection& c) {
      f(static_cast<const std::map<std::string, T>&>(c.objects));
    });
  }

  // As Read, with the index: f(View).
  template <typename F>
  bool ReadView(const std::string& path, Duration wait, F&& f) const {
    return Locked(path, wait, [&](const Collection& c) { f(View(c.objects, c.index)); });
  }

  // Collections with a running informer (for tests and logs).
  std::vector<std::string> paths() const {
    std::lock_guard lock(state_->mu);
    std::vector<std::string> out;
    for (const auto& [p, c] : state_->by_path) out.push_back(p);
    return out;
  }

  // Objects cached over every collection.
  std::size_t size() const {
    std::vector<std::shared_ptr<Collection>> cs;
    {
      std::lock_guard lock(state_->mu);
      for (const auto& [p, c] : state_->by_path) cs.push_back(c);
    }
    std::size_t n = 0;
    for (const auto& c : cs) {
      std::lock_guard l(c->mu);
      n += c->objects.size();
    }
    return n;
  }

 private:
  struct Collection {
    std::mutex mu;
    std::map<std::string, T> objects;
    std::map<std::string, Keys> index;  // term -> keys of the objects carrying it
    void Unindex(const std::string& key, const std::vector<std::string>& terms) {
      for (const auto& term : terms) {
        auto it = index.find(term);
        if (it == index.end()) continue;
        it->second.erase(key);
        if (it->second.empty()) index.erase(it);
      }
    }
    int refs = 0;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    // Last: destroyed (stopped and joined) first, while the map it writes still exists.
    std::unique_ptr<Informer> informer;
  };
  struct State {
    State(KubeClient& c, InformerOptions o, IndexTerms t)
        : client(c), options(o), terms(std::move(t)) {}
    KubeClient& client;
    InformerOptions options;
    IndexTerms terms;
    std::mutex mu;
    std::map<std::string, std::shared_ptr<Collection>> by_path;
  };

  template <typename F>
  bool Locked(const std::string& path, Duration wait, F&& f) const {
    std::shared_ptr<Collection> c;
    {
      std::lock_guard lock(state_->mu);
      auto it = state_->by_path.find(path);
      if (it == state_->by_path.end()) return false;
      c = it->second;
    }
    if (!c->informer->synced()) {
      // Only a new informer is waited for: one that keeps failing (RBAC, say) must not add its
      // wait to every reconcile.
      const auto left = std::chrono::duration_cast<Duration>(c->started + wait -
                                                             std::chrono::steady_clock::now());
      if (left.count() <= 0 || !c->informer->WaitForSync(left)) return false;
    }
    if (!c->informer->healthy()) return false;
    std::lock_guard l(c->mu);
    f(static_cast<const Collection&>(*c));
    return true;
  }

  static void Release(State& st, const std::string& path) {
    std::shared_ptr<Collection> gone;
    {
      std::lock_guard lock(st.mu);
      auto it = st.by_path.find(path);
      if (it == st.by_path.end() || --it->second->refs > 0) return;
      gone = std::move(it->second);
      st.by_path.erase(it);
    }
    // Outside the lock: stopping joins the informer's thread. A reader still holding the
    // collection keeps it until it is done.
    gone.reset();
  }

  std::shared_ptr<State> state_;
};

}  // namespace ebb::kube
