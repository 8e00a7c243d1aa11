// A fixed set of threads running posted tasks from one bounded queue: request handlers run
// here, off the I/O threads, so a slow handler (database wait, Argon2, PDF, OCR) never stalls
// other connections' reads and writes.
//
//   WorkerPool pool(16, 512);
//   if (!pool.try_post([=] { ... })) answer 503 at once;
//
// Contract: thread-safe. try_post() never blocks: it refuses (false) when `max_queue` tasks are
// already waiting. stop() (and the destructor) finish the task each thread is running, drop the
// tasks still queued (destroying them on the calling thread) and join. REQUIRES: stop() is not
// called from a pool thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace certseal::net {

class WorkerPool {
 public:
  WorkerPool(int threads, std::size_t max_queue);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool try_post(std::function<void()> task);
  void stop();

  std::size_t queued() const;
  std::size_t threads() const { return threads_.size(); }

 private:
  void loop();

  std::size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::size_t idle_ = 0;  // threads waiting for a task (a post wakes one only when there is one)
  std::vector<std::thread> threads_;
};

}  // namespace certseal::net
