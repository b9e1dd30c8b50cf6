// The saturated-tile culling must be exact: the float engine with culling on and off must give
// the same renders, losses and gradients, across τ, sizes (including ragged tiles) and scenes —
// and the culled path must actually skip work in these scenes. Bit for bit until the per-tile
// lists: a folded run of outside shapes (one affine map in double) and their gradients from
// per-run sums round differently from the per-shape float blends of the plain path, and opaque
// tiles drop what weighs < 2^-24; so now within the tolerances of tile_lists_exact_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "evaluator.h"
#include "pelican/engine.h"
#include "raster.h"
#include "scene_gen.h"

using namespace testsupport;

namespace {

struct Outcome {
  pelican::Breakdown b;
  std::vector<float> grad, image;
};

Outcome evaluate_once(int w, int h, const std::vector<int32_t>& types, const std::vector<float>& raw,
                      const std::vector<float>& target, float tau, bool cull) {
  pelican::Engine e;
  EXPECT_TRUE(e.init(w, h).ok);
  EXPECT_TRUE(e.set_target(target.data(), target.size()).ok);
  EXPECT_TRUE(e.set_scene(types.data(), types.size(), raw.data(), raw.size()).ok);
  e.set_tile_culling(cull);
  Outcome r;
  r.grad.resize(raw.size());
  EXPECT_TRUE(e.evaluate(tau, &r.b, r.grad.data()).ok);
  r.image.resize(size_t(w) * h);
  EXPECT_TRUE(e.render(tau, w, h, r.image.data()).ok);
  return r;
}

TEST(CullingExact, MatchesThePlainPath) {
  struct Size {
    int w, h;
  };
  for (Size sz : {Size{64, 64}, Size{128, 128}, Size{45, 70}, Size{100, 37}}) {
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      std::vector<int32_t> types;
      std::vector<float> raw;
      pelican::initial_pelican(&types, &raw);
      RandomScene extra = random_scene({0, 1, 2, 0, 1, 2}, seed);
      types.insert(types.end(), extra.types.begin(), extra.types.end());
      raw.insert(raw.end(), extra.raw.begin(), extra.raw.end());
      std::vector<double> td = random_target(sz.w, sz.h, seed);
      std::vector<float> target(td.begin(), td.end());
      const float scale = float(std::max(sz.w, sz.h));
      for (float tau_px : {1.0f, 0.5f, 0.2f}) {
        const float tau = tau_px / scale;
        Outcome a = evaluate_once(sz.w, sz.h, types, raw, target, tau, true);
        Outcome b = evaluate_once(sz.w, sz.h, types, raw, target, tau, false);
        EXPECT_NEAR(a.b.total, b.b.total, 1e-5 * b.b.total);
        EXPECT_NEAR(a.b.mse, b.b.mse, 1e-5 * b.b.mse);
        EXPECT_NEAR(a.b.ssim, b.b.ssim, 1e-5 * b.b.ssim);
        EXPECT_NEAR(a.b.edge, b.b.edge, 1e-5 * b.b.edge);
        float peak = 0;
        for (float g : b.grad) peak = std::max(peak, std::fabs(g));
        for (size_t i = 0; i < a.grad.size(); ++i)
          ASSERT_NEAR(a.grad[i], b.grad[i], 1e-4f * peak + 1e-4f * std::fabs(b.grad[i]))
              << "raw " << i << " tau " << tau;
        // render() always culls; compare it with the evaluator's plain-path image instead.
        pelican::detail::Evaluator<float> plain;
        plain.resize(sz.w, sz.h);
        plain.set_target(target.data());
        plain.reserve_shapes(types.size());
        plain.set_culling(false);
        plain.evaluate(types.data(), types.size(), raw.data(), tau, pelican::detail::Weights<float>(), nullptr);
        for (size_t i = 0; i < a.image.size(); ++i) ASSERT_NEAR(a.image[i], plain.image()[i], 4e-6f) << "pixel " << i;
      }
    }
  }
}

TEST(CullingExact, SkipsMostTilesOfThePelican) {
  std::vector<int32_t> types;
  std::vector<float> raw;
  pelican::initial_pelican(&types, &raw);
  std::vector<pelican::detail::ShapeParams<float>> shapes;
  size_t off = 0;
  for (int32_t t : types) {
    shapes.push_back(pelican::detail::make_shape<float>(t, off, raw.data() + off));
    off += size_t(pelican::param_count(pelican::ShapeType(t)));
  }
  const int n_tiles = 16 * 16;
  std::vector<uint8_t> cls(types.size() * n_tiles);
  pelican::detail::classify_tiles<float>(shapes.data(), int(shapes.size()), 128, 128, 128.0f, 0.5f / 128, true,
                                         cls.data());
  size_t edge = 0;
  for (uint8_t c : cls) edge += c == pelican::detail::kTileEdge;
  EXPECT_LT(edge, cls.size() / 3) << "culling classified " << edge << " of " << cls.size() << " pairs as edges";
}

}  // namespace
