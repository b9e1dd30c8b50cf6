// The coverage cache (the forward pass keeps c and dc/ds of edge pairs for the backward pass)
// must be exact: with the cache off, full, or too small for every edge pair (the rest are
// recomputed), the float evaluator gives bit-identical losses, gradients and renders — with
// culling on and off, and on ragged canvases.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "evaluator.h"
#include "pelican/engine.h"
#include "scene_gen.h"

using namespace testsupport;

namespace {

struct CacheRun {
  pelican::detail::Terms<float> terms;
  std::vector<float> grad, image;
};

CacheRun run_eval(int w, int h, const std::vector<int32_t>& types, const std::vector<float>& raw,
                  const std::vector<float>& target, float tau, bool cull, size_t cache_pairs) {
  pelican::detail::Evaluator<float> ev;
  ev.resize(w, h);
  ev.set_target(target.data());
  ev.reserve_shapes(types.size());
  ev.set_culling(cull);
  ev.set_coverage_cache_limit(cache_pairs);
  CacheRun r;
  r.grad.assign(raw.size(), 0.0f);
  r.terms = ev.evaluate(types.data(), types.size(), raw.data(), tau, pelican::detail::Weights<float>(), r.grad.data());
  r.image.assign(ev.image(), ev.image() + size_t(w) * h);
  return r;
}

}  // namespace

TEST(CoverageCache, BitIdenticalWithAndWithoutCache) {
  struct Size {
    int w, h;
  };
  for (Size sz : {Size{64, 64}, Size{45, 70}, Size{128, 96}}) {
    for (uint32_t seed = 1; seed <= 2; ++seed) {
      std::vector<int32_t> types;
      std::vector<float> raw;
      pelican::initial_pelican(&types, &raw);
      RandomScene extra = random_scene({0, 1, 2, 0, 1, 2, 2}, seed);
      types.insert(types.end(), extra.types.begin(), extra.types.end());
      raw.insert(raw.end(), extra.raw.begin(), extra.raw.end());
      std::vector<double> td = random_target(sz.w, sz.h, seed);
      std::vector<float> target(td.begin(), td.end());
      const float scale = float(std::max(sz.w, sz.h));
      for (bool cull : {true, false}) {
        for (float tau_px : {1.0f, 0.3f}) {
          const float tau = tau_px / scale;
          const CacheRun plain = run_eval(sz.w, sz.h, types, raw, target, tau, cull, 0);
          // 7 slots: most edge pairs fall back to recomputation; the default budget holds all.
          for (size_t cache_pairs : {size_t(7), size_t(16384)}) {
            const CacheRun cached = run_eval(sz.w, sz.h, types, raw, target, tau, cull, cache_pairs);
            for (int t = 0; t < 7; ++t) EXPECT_EQ(plain.terms.v[t], cached.terms.v[t]) << "term " << t;
            for (size_t i = 0; i < raw.size(); ++i)
              ASSERT_EQ(plain.grad[i], cached.grad[i]) << "raw " << i << " cache " << cache_pairs << " cull " << cull;
            for (size_t i = 0; i < plain.image.size(); ++i) ASSERT_EQ(plain.image[i], cached.image[i]) << "pixel " << i;
          }
        }
      }
    }
  }
}
