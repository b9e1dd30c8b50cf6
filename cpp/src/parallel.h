// Splitting one evaluation across the engine's threads. The caller fixes the chunks (tile rows,
// say) independently of the thread count and combines per-chunk results in chunk order, so a
// result never depends on how many threads ran it.
#pragma once

#include <type_traits>
#include <utility>

namespace pelican::detail {

// Upper bound of thread_count() in every build: what per-thread scratch is sized for at most.
constexpr int kMaxThreads = 16;

// Calls fn(ctx, chunk) once for every chunk in [0, chunks), on up to thread_count() threads
// (the caller's included), and returns when all are done. Chunks are claimed in increasing
// order but may run concurrently and finish in any order. A call from inside fn runs inline.
// Not to be called from two threads at once (one engine drives the pool).
void run_chunks(int chunks, void (*fn)(void* ctx, int chunk), void* ctx);

// Threads one evaluation may use (1 until set; clamped to [1, max_threads()]).
int thread_count();
void set_thread_count(int threads);
// What this build and machine support: 1 without threads, else the logical cores (≤ kMaxThreads).
int max_threads();

// Inside fn: which of the thread_count() threads runs this chunk, in [0, thread_count()); 0 for
// the caller. For per-thread scratch (never for results: which thread runs a chunk varies).
int worker_index();

template <class F>
void parallel_chunks(int chunks, F&& f) {
  run_chunks(
      chunks, [](void* ctx, int chunk) { (*static_cast<std::remove_reference_t<F>*>(ctx))(chunk); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace pelican::detail
