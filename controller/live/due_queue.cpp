#include "controller/live/due_queue.h"

namespace ebb::live {

void DueQueue::Insert(const std::string& key, Timestamp due) {
  auto it = due_.find(key);
  if (it != due_.end()) order_.erase({it->second, key});
  due_[key] = due;
  order_.insert({due, key});
}

void DueQueue::Schedule(const std::string& key, Timestamp due) {
  {
    std::lock_guard lock(mu_);
    if (processing_.count(key)) {
      deferred_[key] = due;
      return;
    }
    Insert(key, due);
  }
  cv_.notify_one();
}

void DueQueue::Remove(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = due_.find(key);
  if (it != due_.end()) {
    order_.erase({it->second, key});
    due_.erase(it);
  }
  deferred_.erase(key);
  // A key being processed stays in processing_ until Done(); with no deferred time it is dropped.
}

std::vector<DueItem> DueQueue::PopDue(Timestamp now, std::size_t max) {
  std::lock_guard lock(mu_);
  std::vector<DueItem> out;
  while (!order_.empty() && out.size() < max && order_.begin()->first <= now) {
    auto [due, key] = *order_.begin();
    order_.erase(order_.begin());
    due_.erase(key);
    processing_.insert(key);
    out.push_back({key, due});
  }
  return out;
}

std::optional<DueItem> DueQueue::Take(const Clock& clock) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (shutdown_) return std::nullopt;
    if (!order_.empty()) {
      const Timestamp now = clock.Now();
      auto [due, key] = *order_.begin();
      if (due <= now) {
        order_.erase(order_.begin());
        due_.erase(key);
        processing_.insert(key);
        // Another due key may be waiting for a free worker.
        if (!order_.empty() && order_.begin()->first <= now) cv_.notify_one();
        return DueItem{key, due};
      }
      cv_.wait_for(lock, due - now);
    } else {
      cv_.wait(lock);
    }
  }
}

void DueQueue::Done(const std::string& key) {
  bool rescheduled = false;
  {
    std::lock_guard lock(mu_);
    processing_.erase(key);
    auto it = deferred_.find(key);
    if (it != deferred_.end()) {
      Insert(key, it->second);
      deferred_.erase(it);
      rescheduled = true;
    }
  }
  idle_cv_.notify_all();
  if (rescheduled) cv_.notify_one();
}

void DueQueue::WaitIdle(const std::vector<std::string>& keys) {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] {
    if (shutdown_) return true;
    for (const auto& k : keys)
      if (processing_.count(k)) return false;
    return true;
  });
}

void DueQueue::WaitProcessingBelow(std::size_t max) {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return shutdown_ || processing_.size() < max; });
}

std::size_t DueQueue::processing() const {
  std::lock_guard lock(mu_);
  return processing_.size();
}

std::optional<Timestamp> DueQueue::NextDue() const {
  std::lock_guard lock(mu_);
  if (order_.empty()) return std::nullopt;
  return order_.begin()->first;
}

std::size_t DueQueue::size() const {
  std::lock_guard lock(mu_);
  return due_.size() + processing_.size();
}

void DueQueue::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
  idle_cv_.notify_all();
}

}  // namespace ebb::live
