// Splitting one evaluation across the engine's threads. The caller fixes the chunks (tile rows,
// say) independently of the thread count and combines per-chunk results in chunk order, so a
// result never depends on how many threads ran it.
#pragma once

#include <type_traits>
#include <utility>

namespace pelican::detail {

// Calls fn(ctx, chunk) once for every chunk in [0, chunks), on up to thread_count() threads
// (the caller's included), and returns when all are done. Not reentrant: fn must not call it.
void run_chunks(int chunks, void (*fn)(void* ctx, int chunk), void* ctx);

// Threads one evaluation may use (1 until set; clamped to what the build supports).
int thread_count();
void set_thread_count(int threads);

template <class F>
void parallel_chunks(int chunks, F&& f) {
  run_chunks(
      chunks, [](void* ctx, int chunk) { (*static_cast<std::remove_reference_t<F>*>(ctx))(chunk); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace pelican::detail
