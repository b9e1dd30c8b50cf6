// Native benchmark: one full loss + gradient + Adam step per iteration (Engine::optimize_step),
// single thread. Two kinds of scene:
//  * "pelican" (the original's model, gray and opaque), 64²–512² × 9 shapes (the initial
//    pelican) and 35 (the pelican plus 26 deterministic pseudo-random shapes, as a greedy run
//    would end with);
//  * "vectorize" (colour, fitted opacity and background, as pelican.vectorize fits), 128²–512² ×
//    35, 100, 200, 500 shapes: a few big shapes under many small and medium translucent ones
//    spread over the canvas (vectorize_scene; workers/bench/scenes.mjs vectorizeScene mirrors it).
//
//   pelican_bench [--json FILE] [--runtime native] [--steps N] [--threads 1,all]
//                 [--resolutions 128,256] [--shapes 35,200]
//
// Writes a JSON array of {runtime, resolution, shapes, scene, threads, ms_per_step_median,
// ms_per_step_min, steps}. --threads: the thread counts to run each configuration on ("all":
// every core); --resolutions / --shapes keep only the configurations listed.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "parallel.h"
#include "pelican/engine.h"

namespace {

struct Record {
  int resolution, shapes, steps, threads;
  const char* scene;
  double median_ms, min_ms;
};

// Small deterministic generator (no <random> distribution differences between libraries).
struct Lcg {
  uint64_t state;
  double next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return double(state >> 11) * (1.0 / 9007199254740992.0);
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * next(); }
};

void add_random_shapes(int count, std::vector<int32_t>* types, std::vector<float>* raw) {
  Lcg rng{42};
  for (int i = 0; i < count; ++i) {
    const int type = i % 3;  // circle → ellipse → triangle, as the greedy search cycles
    const double cx = rng.uniform(0.15, 0.85), cy = rng.uniform(0.15, 0.85), in = rng.uniform(0.05, 0.55);
    types->push_back(type);
    raw->push_back(pelican::intensity_raw(in));
    if (type == 0) {
      raw->insert(raw->end(), {pelican::logit_param(cx), pelican::logit_param(cy),
                               pelican::inv_softplus(0.08 * rng.uniform(0.5, 1.5))});
    } else if (type == 1) {
      const double rx = 0.08 * rng.uniform(0.5, 2.0), ry = 0.08 * rng.uniform(0.3, 1.5);
      raw->insert(raw->end(), {pelican::logit_param(cx), pelican::logit_param(cy), pelican::inv_softplus(rx),
                               pelican::inv_softplus(ry), float(rng.uniform(-1.5, 1.5))});
    } else {
      for (int v = 0; v < 3; ++v) {
        const double x = std::clamp(cx + rng.uniform(-0.16, 0.16), 0.05, 0.95);
        const double y = std::clamp(cy + rng.uniform(-0.16, 0.16), 0.05, 0.95);
        raw->insert(raw->end(), {pelican::logit_param(x), pelican::logit_param(y)});
      }
    }
  }
}

// A picture as a vectorize result approximates it (constrained values, colour model with
// opacity): four big shapes, then shapes whose size falls with their index as the later shapes
// of a fit are smaller — radius ~0.12/√(1 + i/4) of the canvas (16 px at i = 10, 6 px at 100 and
// 4 px at 200 on 256²), calibrated on `pelican vectorize --shapes 200` of china.jpg at 256 px —
// spread uniformly over the canvas, random colours, opacities 0.5–1, cycling circle → ellipse →
// triangle. A scene of N shapes is the first N of the sequence (a fit stopped at N).
void vectorize_scene(int count, uint64_t seed, std::vector<int32_t>* types, std::vector<double>* values) {
  Lcg rng{seed};
  for (int i = 0; i < count; ++i) {
    const bool big = i < 4;
    const int type = big ? 1 : i % 3;
    const double cx = rng.uniform(0.02, 0.98), cy = rng.uniform(0.02, 0.98);
    const double size = big ? rng.uniform(0.15, 0.4) : 0.12 / std::sqrt(1.0 + i / 4.0) * rng.uniform(0.4, 1.6);
    types->push_back(type);
    for (int c = 0; c < 3; ++c) values->push_back(rng.uniform(0.05, 0.95));
    values->push_back(rng.uniform(0.5, 1.0));
    if (type == 0) {
      values->insert(values->end(), {cx, cy, size});
    } else if (type == 1) {
      values->insert(values->end(), {cx, cy, size, size * rng.uniform(0.3, 1.0), rng.uniform(-1.5, 1.5)});
    } else {
      for (int v = 0; v < 3; ++v) {
        values->push_back(std::clamp(cx + size * rng.uniform(-1.5, 1.5), 0.0, 1.0));
        values->push_back(std::clamp(cy + size * rng.uniform(-1.5, 1.5), 0.0, 1.0));
      }
    }
  }
}

bool read_engraving(int res, std::vector<float>* out) {
  const char* env = std::getenv("PELICAN_TARGETS");
  const std::string dir = (env && *env) ? env : PELICAN_DEFAULT_TARGETS_DIR;
  std::ifstream f(dir + "/pelican-engraving-" + std::to_string(res) + ".pgm", std::ios::binary);
  out->assign(size_t(res) * res, 0.0f);
  std::string magic;
  int w = 0, h = 0, maxval = 0;
  if (f && (f >> magic >> w >> h >> maxval) && magic == "P5" && w == res && h == res && maxval <= 255) {
    f.get();
    std::vector<unsigned char> bytes(out->size());
    if (f.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()))) {
      for (size_t i = 0; i < out->size(); ++i) (*out)[i] = bytes[i] / float(maxval);
      return true;
    }
  }
  return false;
}

// The engraving target at this size if the shared data is there (512² is the 256² one doubled),
// else a synthetic gradient.
std::vector<float> load_target(int res) {
  std::vector<float> out;
  if (read_engraving(res, &out)) return out;
  std::vector<float> half;
  if (res % 2 == 0 && read_engraving(res / 2, &half)) {
    for (int y = 0; y < res; ++y)
      for (int x = 0; x < res; ++x) out[size_t(y) * res + x] = half[size_t(y / 2) * (res / 2) + x / 2];
    return out;
  }
  for (int y = 0; y < res; ++y)
    for (int x = 0; x < res; ++x) out[size_t(y) * res + x] = 0.5f + 0.4f * std::sin(0.1f * x) * std::cos(0.07f * y);
  return out;
}

bool run(int res, int shapes, bool vectorize, int steps, int threads, Record* rec) {
  pelican::detail::set_thread_count(threads);
  rec->threads = pelican::detail::thread_count();
  pelican::Engine e;
  std::vector<int32_t> types;
  std::vector<float> target = load_target(res);
  pelican::Status st;
  if (vectorize) {
    // Colour planes from the engraving, tinted so the channels differ.
    const size_t plane = target.size();
    std::vector<float> rgb(3 * plane);
    for (int c = 0; c < 3; ++c)
      for (size_t i = 0; i < plane; ++i) rgb[c * plane + i] = target[i] * (1.0f - 0.15f * c) + 0.05f * c;
    std::vector<double> values;
    vectorize_scene(shapes, 7, &types, &values);
    const double background[3] = {0.8, 0.75, 0.7};
    const pelican::LossWeights weights{0.0f, 0.0f, 0.0f, 0.0f, 0.0f};  // vectorize's
    st = e.init(res, res, pelican::Model{3, true, true});
    if (st.ok) st = e.set_target(rgb.data(), rgb.size());
    if (st.ok) st = e.set_scene_values(types.data(), types.size(), values.data(), values.size(), background, 3);
    if (st.ok) st = e.set_weights(weights);
  } else {
    std::vector<float> raw;
    pelican::initial_pelican(&types, &raw);
    add_random_shapes(shapes - int(types.size()), &types, &raw);
    st = e.init(res, res);
    if (st.ok) st = e.set_target(target.data(), target.size());
    if (st.ok) st = e.set_scene(types.data(), types.size(), raw.data(), raw.size());
  }
  pelican::OptimizeOptions opts;
  opts.steps = steps;
  if (st.ok) st = e.optimize_begin(opts);
  if (!st.ok) {
    std::fprintf(stderr, "pelican_bench: %s\n", st.message.c_str());
    return false;
  }
  std::vector<double> ms;
  ms.reserve(size_t(steps));
  bool finished = false;
  while (!finished) {
    pelican::Breakdown b;
    const auto t0 = std::chrono::steady_clock::now();
    st = e.optimize_step(&b, &finished);
    const auto t1 = std::chrono::steady_clock::now();
    if (!st.ok) {
      std::fprintf(stderr, "pelican_bench: %s\n", st.message.c_str());
      return false;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  e.optimize_end();
  // The whole τ schedule is timed (culling depends on τ); the first step also warms caches.
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  rec->resolution = res;
  rec->shapes = shapes;
  rec->scene = vectorize ? "vectorize" : "pelican";
  rec->steps = int(ms.size());
  rec->median_ms = sorted[sorted.size() / 2];
  rec->min_ms = sorted.front();
  return true;
}

}  // namespace

// The records' label: pelican_bench_portable (the x86-64 baseline build) says "native-portable".
#ifndef PELICAN_BENCH_RUNTIME
#define PELICAN_BENCH_RUNTIME "native"
#endif

// "1,all" → {1, max_threads()}; positive integers otherwise. Empty on a bad list.
std::vector<int> int_list(const char* text, bool allow_all) {
  std::vector<int> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    if (allow_all && item == "all") {
      out.push_back(pelican::detail::max_threads());
      continue;
    }
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 1 || v > 4096) return {};
    out.push_back(int(v));
  }
  // "1,all" on one core is one run, not two.
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool wanted(const std::vector<int>& filter, int v) {
  return filter.empty() || std::find(filter.begin(), filter.end(), v) != filter.end();
}

int main(int argc, char** argv) {
  const std::string own_runtime = PELICAN_BENCH_RUNTIME;
  std::string json_path, runtime = own_runtime;
  int steps = 300;
  std::vector<int> threads = int_list("1,all", true), only_res, only_shapes;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--json") && has_value)
      json_path = argv[++i];
    else if (!std::strcmp(argv[i], "--runtime") && has_value)
      runtime = argv[++i];
    else if (!std::strcmp(argv[i], "--steps") && has_value)
      steps = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--threads") && has_value)
      threads = int_list(argv[++i], true);
    else if (!std::strcmp(argv[i], "--resolutions") && has_value)
      only_res = int_list(argv[++i], false);
    else if (!std::strcmp(argv[i], "--shapes") && has_value)
      only_shapes = int_list(argv[++i], false);
    else {
      std::fprintf(
          stderr,
          "usage: %s [--json FILE] [--runtime %s] [--steps N] [--threads 1,all] [--resolutions A,B] [--shapes A,B]\n",
          argv[0], own_runtime.c_str());
      return 2;
    }
    if (threads.empty() || (!std::strcmp(argv[i - 1], "--resolutions") && only_res.empty()) ||
        (!std::strcmp(argv[i - 1], "--shapes") && only_shapes.empty())) {
      std::fprintf(stderr, "pelican_bench: %s wants a comma-separated list of positive integers%s, got '%s'\n",
                   argv[i - 1], std::strcmp(argv[i - 1], "--threads") ? "" : " or all", argv[i]);
      return 2;
    }
  }
  struct Config {
    int res, shapes;
    bool vectorize;
  };
  std::vector<Config> configs;
  for (int res : {64, 128, 256, 512})
    for (int shapes : {9, 35}) configs.push_back({res, shapes, false});
  for (int res : {128, 256, 512})
    for (int shapes : {35, 100, 200, 500}) configs.push_back({res, shapes, true});
  std::vector<Record> records;
  if (runtime == own_runtime) {
    for (const Config& c : configs) {
      if (!wanted(only_res, c.res) || !wanted(only_shapes, c.shapes)) continue;
      for (int t : threads) {
        Record r;
        if (!run(c.res, c.shapes, c.vectorize, steps, t, &r)) return 1;
        std::printf("%s %4d² %3d shapes %-9s %2d threads: median %.4f ms/step, min %.4f ms/step (%d steps)\n",
                    own_runtime.c_str(), r.resolution, r.shapes, r.scene, r.threads, r.median_ms, r.min_ms, r.steps);
        std::fflush(stdout);
        records.push_back(r);
      }
    }
  }
  if (!json_path.empty()) {
    std::ostringstream out;
    out << "[\n";
    for (size_t i = 0; i < records.size(); ++i) {
      const Record& r = records[i];
      char line[320];
      std::snprintf(line, sizeof line,
                    "  {\"runtime\": \"%s\", \"resolution\": %d, \"shapes\": %d, \"scene\": \"%s\", \"threads\": %d, "
                    "\"ms_per_step_median\": %.5f, \"ms_per_step_min\": %.5f, \"steps\": %d}%s\n",
                    own_runtime.c_str(), r.resolution, r.shapes, r.scene, r.threads, r.median_ms, r.min_ms, r.steps,
                    i + 1 < records.size() ? "," : "");
      out << line;
    }
    out << "]\n";
    std::ofstream f(json_path);
    f << out.str();
    if (!f) {
      std::fprintf(stderr, "pelican_bench: cannot write %s\n", json_path.c_str());
      return 1;
    }
  }
  return 0;
}
