// The thread pool (parallel.h) and the evaluator on it: every chunk runs exactly once whatever
// the thread count, and evaluate() gives bit-identical losses, gradients and renders on 1, 2
// and more threads (the chunks are fixed tile rows, combined in row order), for every model,
// with culling on and off, with the coverage cache full, tiny and off, on ragged canvases.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "evaluator.h"
#include "parallel.h"
#include "pelican/engine.h"
#include "scene_gen.h"

using pelican::Model;
using pelican::detail::Evaluator;
using pelican::detail::Weights;
using namespace testsupport;
namespace pd = pelican::detail;

namespace {

// Restores the single-thread default for the tests that follow.
struct Threads {
  explicit Threads(int n) { pd::set_thread_count(n); }
  ~Threads() { pd::set_thread_count(1); }
};

std::vector<float> raw_for(const RandomScene& s, const Model& m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-2.5, 2.5), op(-1.0, 3.0);
  std::vector<float> raw;
  size_t o = 0;
  for (int32_t t : s.types) {
    const int n = pd::raw_params_of(t);
    raw.push_back(float(s.raw[o]));
    for (int c = 1; c < m.channels; ++c) raw.push_back(float(u(rng)));
    if (m.opacity) raw.push_back(float(op(rng)));
    for (int i = 1; i < n; ++i) raw.push_back(float(s.raw[o + i]));
    o += n;
  }
  if (m.fit_background)
    for (int c = 0; c < m.channels; ++c) raw.push_back(float(u(rng)));
  return raw;
}

struct EvalRun {
  pd::Terms<float> terms;
  std::vector<float> grad, image;
};

EvalRun evaluate_on(int threads, const Model& model, int w, int h, const std::vector<int32_t>& types,
                    const std::vector<float>& raw, const std::vector<float>& target, float tau, bool cull,
                    size_t cache_pairs) {
  Threads scope(threads);
  Evaluator<float> ev;
  ev.set_model(model);
  ev.resize(w, h);
  ev.set_target(target.data());
  ev.reserve_shapes(types.size());
  ev.set_culling(cull);
  ev.set_coverage_cache_limit(cache_pairs);
  EvalRun r;
  r.grad.assign(raw.size(), 0.0f);
  // Twice: the second evaluation reuses every buffer, as the optimiser's steps do.
  ev.evaluate(types.data(), types.size(), raw.data(), tau, Weights<float>(), r.grad.data());
  r.terms = ev.evaluate(types.data(), types.size(), raw.data(), tau, Weights<float>(), r.grad.data());
  r.image.assign(ev.image(), ev.image() + size_t(w) * h * model.channels);
  return r;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST(ThreadPool, EveryChunkRunsOnceOnAnyThreadCount) {
  for (int threads : {1, 2, 3, 4, 8}) {
    Threads scope(threads);
    EXPECT_EQ(pd::thread_count(), std::min(threads, pd::max_threads()));
    for (int chunks : {0, 1, 2, 7, 64, 333}) {
      std::vector<std::atomic<int>> runs(static_cast<size_t>(chunks));
      std::atomic<int> bad_worker{0};
      // Many back-to-back calls: the wake-up and hand-over path, not one lucky call.
      for (int repeat = 0; repeat < 50; ++repeat) {
        pd::parallel_chunks(chunks, [&](int chunk) {
          runs[size_t(chunk)].fetch_add(1);
          const int wi = pd::worker_index();
          if (wi < 0 || wi >= pd::thread_count()) bad_worker.fetch_add(1);
        });
      }
      for (int c = 0; c < chunks; ++c) EXPECT_EQ(runs[size_t(c)].load(), 50) << threads << " threads, chunk " << c;
      EXPECT_EQ(bad_worker.load(), 0) << threads << " threads";
    }
  }
}

TEST(ThreadPool, NestedCallRunsInline) {
  Threads scope(4);
  std::atomic<int> inner{0};
  pd::parallel_chunks(8, [&](int) { pd::parallel_chunks(5, [&](int) { inner.fetch_add(1); }); });
  EXPECT_EQ(inner.load(), 40);
}

TEST(ThreadPool, ThreadCountIsClamped) {
  Threads scope(0);
  EXPECT_EQ(pd::thread_count(), 1);
  pd::set_thread_count(1000);
  EXPECT_EQ(pd::thread_count(), pd::max_threads());
  EXPECT_LE(pd::max_threads(), pd::kMaxThreads);
}

// Lowering the count after raising it must not let the surplus helpers join.
TEST(ThreadPool, FewerThreadsAfterMoreUseOnlyThatMany) {
  pd::set_thread_count(8);
  Threads scope(2);
  std::atomic<int> bad{0};
  for (int repeat = 0; repeat < 50; ++repeat)
    pd::parallel_chunks(32, [&](int) {
      if (pd::worker_index() >= 2) bad.fetch_add(1);
    });
  EXPECT_EQ(bad.load(), 0);
}

struct ThreadCase {
  Model model;
  bool cull;
};

class ThreadsExact : public ::testing::TestWithParam<ThreadCase> {};

TEST_P(ThreadsExact, EvaluateIsBitIdenticalOnAnyThreadCount) {
  const ThreadCase c = GetParam();
  struct Size {
    int w, h;
  };
  int compared = 0;
  for (Size sz : {Size{64, 64}, Size{45, 70}, Size{136, 40}}) {
    std::vector<int32_t> types;
    std::vector<float> gray_raw;
    pelican::initial_pelican(&types, &gray_raw);
    RandomScene s = random_scene({0, 1, 2, 0, 1, 2, 2, 1, 0}, 7u + uint32_t(sz.w));
    // The initial pelican in raw values as a RandomScene, then random shapes on top.
    RandomScene all;
    all.types = types;
    all.raw.assign(gray_raw.begin(), gray_raw.end());
    all.types.insert(all.types.end(), s.types.begin(), s.types.end());
    all.raw.insert(all.raw.end(), s.raw.begin(), s.raw.end());
    const std::vector<float> raw = raw_for(all, c.model, 11u);
    std::vector<float> target;
    for (int ch = 0; ch < c.model.channels; ++ch) {
      std::vector<double> p = random_target(sz.w, sz.h, 5u + uint32_t(ch));
      target.insert(target.end(), p.begin(), p.end());
    }
    const float tau = 0.5f / float(std::max(sz.w, sz.h));
    for (size_t cache : {size_t(0), size_t(7), size_t(16384)}) {
      const EvalRun one = evaluate_on(1, c.model, sz.w, sz.h, all.types, raw, target, tau, c.cull, cache);
      double gmax = 0;
      for (float g : one.grad) gmax = std::max(gmax, double(std::fabs(g)));
      ASSERT_GT(gmax, 0.0) << "a test of gradients needs some";
      for (int threads : {2, 3, 4}) {
        const EvalRun many = evaluate_on(threads, c.model, sz.w, sz.h, all.types, raw, target, tau, c.cull, cache);
        for (int t = 0; t < 7; ++t)
          EXPECT_EQ(std::memcmp(&one.terms.v[t], &many.terms.v[t], sizeof(one.terms.v[t])), 0)
              << "term " << t << ", " << threads << " threads, " << sz.w << "x" << sz.h << ", cache " << cache;
        EXPECT_TRUE(same_bits(one.grad, many.grad))
            << threads << " threads, " << sz.w << "x" << sz.h << ", cache " << cache;
        EXPECT_TRUE(same_bits(one.image, many.image))
            << threads << " threads, " << sz.w << "x" << sz.h << ", cache " << cache;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 27);
}

INSTANTIATE_TEST_SUITE_P(Models, ThreadsExact,
                         ::testing::Values(ThreadCase{Model{1, false, false}, true},
                                           ThreadCase{Model{1, false, false}, false},
                                           ThreadCase{Model{3, false, false}, true},
                                           ThreadCase{Model{3, true, true}, true},
                                           ThreadCase{Model{1, true, true}, false}),
                         [](const ::testing::TestParamInfo<ThreadCase>& info) {
                           const ThreadCase& c = info.param;
                           return std::string(c.model.channels == 3 ? "Rgb" : "Gray") +
                                  (c.model.opacity ? "Opacity" : "") + (c.model.fit_background ? "Background" : "") +
                                  (c.cull ? "Culled" : "Plain");
                         });

// The engine's whole step loop on several threads ends where it ends on one.
TEST(ThreadsExact, OptimiseEndsBitIdentical) {
  auto run = [](int threads) {
    Threads scope(threads);
    std::vector<int32_t> types;
    std::vector<float> raw;
    pelican::initial_pelican(&types, &raw);
    std::vector<double> td = random_target(72, 64, 3u);
    std::vector<float> target(td.begin(), td.end());
    pelican::Engine e;
    EXPECT_TRUE(e.init(72, 64).ok);
    EXPECT_TRUE(e.set_target(target.data(), target.size()).ok);
    EXPECT_TRUE(e.set_scene(types.data(), types.size(), raw.data(), raw.size()).ok);
    pelican::OptimizeOptions options;
    options.steps = 25;
    EXPECT_TRUE(e.optimize_begin(options).ok);
    pelican::Breakdown b;
    bool finished = false;
    while (!finished) EXPECT_TRUE(e.optimize_step(&b, &finished).ok);
    EXPECT_TRUE(e.optimize_end().ok);
    EXPECT_EQ(e.steps_completed(), 25);
    return std::vector<float>(e.raw(), e.raw() + raw.size());
  };
  const std::vector<float> one = run(1);
  const std::vector<float> two = run(2);
  const std::vector<float> four = run(4);
  EXPECT_TRUE(same_bits(one, two));
  EXPECT_TRUE(same_bits(one, four));
}

// A process may exit right after starting helpers, before they ever ran: the pool's teardown
// must still wake and join them (a helper that started late once slept through it forever).
TEST(ThreadPoolDeathTest, ExitRightAfterStartingHelpers) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        pd::set_thread_count(pd::kMaxThreads);
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}
