// `pelican_run_if_cpu LEVEL PROGRAM ARGS...`: runs PROGRAM (built for the x86-64 micro-architecture
// level LEVEL) only when this CPU can execute it; otherwise exits 77, which CTest reports as a
// skip. Built for the baseline itself, so the check never needs what it checks for.
#include <unistd.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: pelican_run_if_cpu x86-64-v2|x86-64-v3|x86-64-v4 PROGRAM [ARGS...]\n");
    return 2;
  }
  __builtin_cpu_init();
  bool ok = false;
  if (!std::strcmp(argv[1], "x86-64-v2"))
    ok = __builtin_cpu_supports("x86-64-v2");
  else if (!std::strcmp(argv[1], "x86-64-v3"))
    ok = __builtin_cpu_supports("x86-64-v3");
  else if (!std::strcmp(argv[1], "x86-64-v4"))
    ok = __builtin_cpu_supports("x86-64-v4");
  else {
    std::fprintf(stderr, "pelican_run_if_cpu: unknown level '%s'\n", argv[1]);
    return 2;
  }
  if (!ok) {
    std::printf("this CPU cannot run %s code: skipped\n", argv[1]);
    return 77;
  }
  execv(argv[2], argv + 2);
  std::perror(argv[2]);
  return 127;
}
