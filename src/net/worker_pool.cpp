#include "net/worker_pool.h"

namespace certseal::net {

WorkerPool::WorkerPool(int threads, std::size_t max_queue) : max_queue_(max_queue) {
  int n = threads > 0 ? threads : 1;
  threads_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { loop(); });
}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::try_post(std::function<void()> task) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stop_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(task));
    wake = idle_ > 0;
  }
  if (wake) cv_.notify_one();
  return true;
}

void WorkerPool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    if (stop_ && threads_.empty()) return;
    stop_ = true;
    dropped.swap(queue_);
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  dropped.clear();  // destroyed here, outside the lock
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void WorkerPool::loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      if (!stop_ && queue_.empty()) {
        ++idle_;
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        --idle_;
      }
      if (stop_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace certseal::net
