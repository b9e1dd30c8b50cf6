// The engine's thread pool: persistent helper threads that join the caller of run_chunks and take
// chunks from one shared counter. A step is 1–20 ms split into 8–64 chunks, so waking must cost
// microseconds: idle helpers spin on an epoch counter for a short while, then sleep on a
// condition variable (an idle engine burns no core).
//
// Built without threads (the single-threaded Wasm flavours), everything runs on the caller.
#include "parallel.h"

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define PELICAN_NO_THREADS 1
#endif

#ifdef PELICAN_NO_THREADS

namespace pelican::detail {

void run_chunks(int chunks, void (*fn)(void* ctx, int chunk), void* ctx) {
  for (int chunk = 0; chunk < chunks; ++chunk) fn(ctx, chunk);
}
int thread_count() { return 1; }
int max_threads() { return 1; }
void set_thread_count(int) {}
int worker_index() { return 0; }

}  // namespace pelican::detail

#else

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace pelican::detail {
namespace {

// One run_chunks call, on the caller's stack. Helpers reach it only while it is published.
struct Job {
  void (*fn)(void*, int);
  void* ctx;
  int chunks;
  int helpers_wanted;                  // thread_count() − 1 when it was published
  std::atomic<int> next{0};            // next unclaimed chunk
  std::atomic<int> helpers_joined{0};  // helpers that came; the first helpers_wanted take part
};

// A helper spins this long after a job before it sleeps: the gaps inside a step (the serial
// loss between forward and backward, about 0.5 ms at 256²; Adam between steps) are shorter, so
// a running optimisation never pays a futex wake-up, and an idle engine sleeps after 1 ms. The
// spinning core is this engine's own share (workers/client.ts gives each busy engine
// cores / busy engines threads), so it takes nothing from the other engines.
constexpr auto kSpin = std::chrono::microseconds(1000);

thread_local int t_worker = 0;
// Set while this thread runs a chunk, so a nested run_chunks runs inline instead of deadlocking.
thread_local bool t_in_chunk = false;

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_.store(true);
      epoch_.fetch_add(1);
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  int threads() const { return threads_wanted_; }

  void set_threads(int n) {
    threads_wanted_ = std::clamp(n, 1, max_threads());
    // Helpers are started once and kept: starting a thread costs far more than a step (in Wasm
    // it is a new Web Worker), and surplus helpers just sleep.
    // A helper starts from the epoch at its creation, not at its start: one that first runs after
    // the destructor's wake-up must still see it (and a job published meanwhile is simply done
    // by the others).
    while (int(threads_.size()) < threads_wanted_ - 1) {
      const uint64_t born = epoch_.load();
      threads_.emplace_back([this, born] { helper(born); });
    }
  }

  void run(int chunks, void (*fn)(void*, int), void* ctx) {
    // A nested call (fn calling run_chunks) or a single thread runs inline, in order.
    if (threads_wanted_ <= 1 || chunks <= 1 || t_in_chunk) {
      for (int chunk = 0; chunk < chunks; ++chunk) fn(ctx, chunk);
      return;
    }
    Job job;
    job.fn = fn;
    job.ctx = ctx;
    job.chunks = chunks;
    job.helpers_wanted = threads_wanted_ - 1;
    current_.store(&job);
    epoch_.fetch_add(1);
    if (sleepers_.load() > 0) {
      // Taking the lock orders this notify after a helper's check of the epoch (see sleep()).
      { std::lock_guard<std::mutex> lock(mutex_); }
      wake_.notify_all();
    }
    work(job, 0);
    // Every chunk is claimed. Unpublish, then wait for helpers still inside their last chunk:
    // a helper pins (busy_++) before it reads current_, so once current_ is null and busy_ is 0
    // no helper can touch this job again.
    current_.store(nullptr);
    wait_for_helpers();
  }

 private:
  // `slot` is worker_index() while the chunks run: 0 for the caller, 1.. for the helpers that
  // joined this job, so it stays below thread_count() whatever number of helpers exist.
  static void work(Job& job, int slot) {
    t_worker = slot;
    t_in_chunk = true;
    for (int chunk; (chunk = job.next.fetch_add(1)) < job.chunks;) job.fn(job.ctx, chunk);
    t_in_chunk = false;
    t_worker = 0;
  }

  // Spins briefly (a helper is normally inside its last chunk), then sleeps: on a loaded machine
  // the helper may have been preempted, and spinning would take the core it needs.
  void wait_for_helpers() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
    for (int i = 0; busy_.load() != 0; ++i) {
      if ((i & 63) != 63 || std::chrono::steady_clock::now() < until) continue;
      std::unique_lock<std::mutex> lock(mutex_);
      caller_waiting_.store(true);
      // A helper leaving reads caller_waiting_ after lowering busy_; this reads busy_ after
      // raising caller_waiting_: one of the two sees the other. The timeout is only a backstop.
      done_.wait_for(lock, std::chrono::milliseconds(2), [&] { return busy_.load() == 0; });
      caller_waiting_.store(false);
    }
  }

  void helper(uint64_t seen) {
    for (;;) {
      seen = wait_for_epoch(seen);
      if (stop_.load()) return;
      busy_.fetch_add(1);
      // Re-read after pinning: the pointer seen now is either null or a live job.
      if (Job* job = current_.load()) {
        const int slot = job->helpers_joined.fetch_add(1) + 1;
        if (slot <= job->helpers_wanted) work(*job, slot);
      }
      if (busy_.fetch_sub(1) == 1 && caller_waiting_.load()) {
        { std::lock_guard<std::mutex> lock(mutex_); }
        done_.notify_one();
      }
    }
  }

  // Returns a newer epoch than `seen`: spins for kSpin, then sleeps until one is published.
  uint64_t wait_for_epoch(uint64_t seen) {
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (int i = 0;; ++i) {
      const uint64_t now = epoch_.load();
      if (now != seen) return now;
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) break;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    sleepers_.fetch_add(1);
    // A publisher bumps the epoch before reading sleepers_, and this reads the epoch after
    // raising sleepers_ (both sequentially consistent): one of the two sees the other.
    wake_.wait(lock, [&] { return epoch_.load() != seen; });
    sleepers_.fetch_sub(1);
    return epoch_.load();
  }

  std::vector<std::thread> threads_;
  int threads_wanted_ = 1;
  std::atomic<Job*> current_{nullptr};
  std::atomic<uint64_t> epoch_{0};
  std::atomic<int> busy_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> caller_waiting_{false};
  std::mutex mutex_;
  std::condition_variable wake_, done_;
};

Pool& pool() {
  static Pool instance;
  return instance;
}

}  // namespace

void run_chunks(int chunks, void (*fn)(void* ctx, int chunk), void* ctx) { pool().run(chunks, fn, ctx); }

int thread_count() { return pool().threads(); }

int max_threads() {
  // More helpers than cores only adds wake-ups; 16 bounds the per-thread scratch of the kernels.
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(int(cores == 0 ? 1 : cores), 1, kMaxThreads);
}

void set_thread_count(int threads) { pool().set_threads(threads); }

int worker_index() { return t_worker; }

}  // namespace pelican::detail

#endif
