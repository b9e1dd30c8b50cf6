// The colour model's MSE is the mean over every channel value, not over pixels nor over the
// luma: the engine's breakdown against a hand sum over its own render.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "pelican/engine.h"
#include "scene_gen.h"

using pelican::Model;
using namespace testsupport;

TEST(ColorMse, IsTheMeanOverEveryChannelValue) {
  const int W = 37, H = 29, C = 3;
  const Model model{C, true, false};
  RandomScene s = random_scene({0, 1, 2, 1, 2}, 17u);
  std::vector<double> raw_d = raw_for_model(s, model, 17u);
  std::vector<float> raw(raw_d.begin(), raw_d.end());
  // Channels far apart, so a per-pixel or luma mean would give another number.
  std::vector<double> td = target_planes(W, H, C, 5u);
  std::vector<float> target(td.begin(), td.end());
  const size_t plane = size_t(W) * H;
  for (size_t i = 0; i < plane; ++i) target[plane + i] *= 0.2f, target[2 * plane + i] = 1.0f - target[2 * plane + i];

  pelican::Engine e;
  ASSERT_TRUE(e.init(W, H, model).ok);
  ASSERT_TRUE(e.set_target(target.data(), target.size()).ok);
  ASSERT_TRUE(e.set_scene(s.types.data(), s.types.size(), raw.data(), raw.size()).ok);
  pelican::LossWeights only_mse;
  only_mse.perimeter = only_mse.degeneracy = only_mse.canvas = only_mse.edge = only_mse.ssim = 0.0f;
  ASSERT_TRUE(e.set_weights(only_mse).ok);
  const float tau = 0.6f / W;
  pelican::Breakdown b{};
  ASSERT_TRUE(e.evaluate(tau, &b, nullptr).ok);
  std::vector<float> render(plane * C);
  ASSERT_TRUE(e.render(tau, W, H, render.data()).ok);

  double sum = 0;
  for (size_t i = 0; i < plane; ++i) {
    for (int c = 0; c < C; ++c) {
      const double d = double(render[c * plane + i]) - double(target[c * plane + i]);
      sum += d * d;
    }
  }
  const double hand = sum / double(plane * C);
  ASSERT_GT(hand, 1e-3) << "the scene must leave an error to measure";
  EXPECT_NEAR(b.mse, hand, 1e-5 * hand);
  EXPECT_NEAR(b.total, b.mse, 1e-6 * hand) << "MSE weight 1, the others 0";
}
