// Single-threaded stand-in: every chunk on the caller's thread, in order.
#include "parallel.h"

namespace pelican::detail {

void run_chunks(int chunks, void (*fn)(void* ctx, int chunk), void* ctx) {
  for (int chunk = 0; chunk < chunks; ++chunk) fn(ctx, chunk);
}

int thread_count() { return 1; }
void set_thread_count(int) {}

}  // namespace pelican::detail
