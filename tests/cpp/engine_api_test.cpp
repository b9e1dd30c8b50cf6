// Engine API behaviour beyond validation: weights, render consistency, re-initialisation, moves.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "evaluator.h"
#include "pelican/engine.h"
#include "scene_gen.h"

namespace {

struct Loaded {
  pelican::Engine e;
  std::vector<int32_t> types;
  std::vector<float> raw, target;
  Loaded(int w, int h) {
    pelican::initial_pelican(&types, &raw);
    std::vector<double> t = testsupport::random_target(w, h, 5);
    target.assign(t.begin(), t.end());
    EXPECT_TRUE(e.init(w, h).ok);
    EXPECT_TRUE(e.set_target(target.data(), target.size()).ok);
    EXPECT_TRUE(e.set_scene(types.data(), types.size(), raw.data(), raw.size()).ok);
  }
};

TEST(EngineApi, WeightsSwitchTermsOffAndScaleTheTotal) {
  Loaded s(40, 40);
  pelican::Breakdown full, off;
  ASSERT_TRUE(s.e.evaluate(1.0f / 40, &full, nullptr).ok);
  pelican::LossWeights w;
  w.edge = 0;
  w.ssim = 0;
  ASSERT_TRUE(s.e.set_weights(w).ok);
  ASSERT_TRUE(s.e.evaluate(1.0f / 40, &off, nullptr).ok);
  EXPECT_EQ(off.edge, 0.0f);
  EXPECT_EQ(off.ssim, 0.0f);
  EXPECT_EQ(off.mse, full.mse);
  EXPECT_NEAR(off.total, off.mse + 0.001f * off.perimeter + 0.1f * off.degeneracy + off.canvas, 1e-6);
  EXPECT_NEAR(full.total, off.total + 0.1f * full.edge + 0.05f * full.ssim, 1e-6);
}

TEST(EngineApi, GradientRequestDoesNotChangeTheLoss) {
  Loaded s(33, 21);
  pelican::Breakdown a, b;
  std::vector<float> g(s.raw.size());
  ASSERT_TRUE(s.e.evaluate(0.02f, &a, nullptr).ok);
  ASSERT_TRUE(s.e.evaluate(0.02f, &b, g.data()).ok);
  EXPECT_EQ(a.total, b.total);
}

TEST(EngineApi, RenderAtTheCanvasSizeIsTheImageTheLossSees) {
  Loaded s(50, 30);
  const float tau = 0.7f / 50;
  std::vector<float> img(50 * 30);
  ASSERT_TRUE(s.e.render(tau, 50, 30, img.data()).ok);
  pelican::detail::Evaluator<float> ev;
  ev.resize(50, 30);
  ev.set_target(s.target.data());
  ev.reserve_shapes(s.types.size());
  ev.evaluate(s.types.data(), s.types.size(), s.raw.data(), tau, pelican::detail::Weights<float>(), nullptr);
  for (size_t i = 0; i < img.size(); ++i) ASSERT_EQ(img[i], ev.image()[i]) << i;
}

TEST(EngineApi, RenderAtTwiceTheSizeKeepsTheGeometry) {
  Loaded s(32, 32);
  std::vector<float> small(32 * 32), big(64 * 64);
  ASSERT_TRUE(s.e.render(0.5f / 32, 32, 32, small.data()).ok);
  ASSERT_TRUE(s.e.render(0.5f / 32, 64, 64, big.data()).ok);
  double diff = 0;
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) {
      const double avg = (big[(2 * y) * 64 + 2 * x] + big[(2 * y) * 64 + 2 * x + 1] + big[(2 * y + 1) * 64 + 2 * x] +
                          big[(2 * y + 1) * 64 + 2 * x + 1]) /
                         4.0;
      diff += std::fabs(avg - small[y * 32 + x]);
    }
  EXPECT_LT(diff / (32 * 32), 0.02);
}

TEST(EngineApi, ReinitKeepsTheSceneAndAsksForANewTarget) {
  Loaded s(16, 16);
  ASSERT_TRUE(s.e.init(24, 20).ok);
  EXPECT_EQ(s.e.shape_count(), s.types.size());
  pelican::Breakdown b;
  EXPECT_FALSE(s.e.evaluate(0.05f, &b, nullptr).ok);
  std::vector<float> t(24 * 20, 0.3f);
  ASSERT_TRUE(s.e.set_target(t.data(), t.size()).ok);
  EXPECT_TRUE(s.e.evaluate(0.05f, &b, nullptr).ok);
}

TEST(EngineApi, MovedEngineKeepsItsState) {
  Loaded s(16, 16);
  pelican::Engine moved = std::move(s.e);
  EXPECT_EQ(moved.raw_count(), s.raw.size());
  pelican::Breakdown b;
  EXPECT_TRUE(moved.evaluate(0.05f, &b, nullptr).ok);
}

}  // namespace
