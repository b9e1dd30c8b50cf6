// The colour model (RGB paint, per-shape opacity, fitted background) against central finite
// differences in the double instantiation, and the original's model left bit for bit as it was.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "evaluator.h"
#include "pelican/engine.h"
#include "scene_gen.h"

using pelican::Model;
using pelican::detail::Evaluator;
using pelican::detail::Weights;
using namespace testsupport;

namespace {

struct ModelCase {
  Model model;
  bool cull;
  double edge, ssim;
};

class ColorModelFd : public ::testing::TestWithParam<ModelCase> {};

TEST_P(ColorModelFd, EveryParameterMatchesFiniteDifferences) {
  const ModelCase c = GetParam();
  const int W = 21, H = 17;
  const double tau = 1.5 / 21;
  Weights<double> w;
  w.edge = c.edge;
  w.ssim = c.ssim;
  int checked = 0;
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    RandomScene s = random_scene({int32_t(seed % 3), 1, 2, 0}, seed * 104729u);
    std::vector<double> raw = raw_for_model(s, c.model, seed);
    std::vector<double> target = target_planes(W, H, c.model.channels, seed);
    Evaluator<double> e;
    e.set_model(c.model);
    e.resize(W, H);
    e.set_target(target.data());
    e.reserve_shapes(s.types.size());
    e.set_culling(c.cull);
    if (!c.model.fit_background) {
      const double bg[3] = {0.2, 0.7, 0.4};
      e.set_fixed_background(bg);
    }
    std::vector<double> grad(raw.size());
    e.evaluate(s.types.data(), s.types.size(), raw.data(), tau, w, grad.data());
    auto f = [&](const std::vector<double>& r) {
      return e.evaluate(s.types.data(), s.types.size(), r.data(), tau, w, nullptr).v[6];
    };
    double gmax = 0;
    for (double g : grad) gmax = std::max(gmax, std::fabs(g));
    ASSERT_GT(gmax, 0.0);
    for (size_t i = 0; i < raw.size(); ++i) {
      std::vector<double> p = raw, m = raw;
      p[i] += 1e-6;
      m[i] -= 1e-6;
      const double fd = (f(p) - f(m)) / 2e-6;
      EXPECT_NEAR(grad[i], fd, 2e-6 * gmax + 1e-5 * std::fabs(fd) + 1e-12) << "seed " << seed << " raw " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 60);
}

INSTANTIATE_TEST_SUITE_P(Models, ColorModelFd,
                         ::testing::Values(ModelCase{Model{3, false, false}, true, 0.1, 0.05},
                                           ModelCase{Model{3, true, true}, true, 0.1, 0.05},
                                           ModelCase{Model{3, true, true}, false, 0.0, 0.0},
                                           ModelCase{Model{1, true, true}, true, 0.1, 0.05},
                                           ModelCase{Model{1, false, true}, false, 0.1, 0.05},
                                           ModelCase{Model{3, true, false}, true, 0.3, 0.2}));

// A shape fully transparent is invisible: the render equals the background alone, in colour.
TEST(ColorModel, RendersOverTheBackgroundWithOpacity) {
  pelican::Engine e;
  ASSERT_TRUE(e.init(16, 12, Model{3, true, false}).ok);
  const int32_t types[1] = {0};
  // paint r g b, opacity, cx cy r
  const double opaque[7] = {0.9, 0.1, 0.2, 1.0, 0.5, 0.4, 0.3};
  const double bg[3] = {0.25, 0.5, 0.75};
  ASSERT_TRUE(e.set_scene_values(types, 1, opaque, 7, bg, 3).ok);
  std::vector<float> img(16 * 12 * 3);
  ASSERT_TRUE(e.render(0.01f, 16, 12, img.data()).ok);
  const size_t plane = 16 * 12, centre = 6 * 16 + 8;
  // Opacity 1 is clamped to 1 − 1e-6 by the inverse transform; paint to [0.01, 0.99].
  EXPECT_NEAR(img[centre], 0.9, 1e-4);
  EXPECT_NEAR(img[plane + centre], 0.1, 1e-4);
  EXPECT_NEAR(img[2 * plane + centre], 0.2, 1e-4);
  EXPECT_NEAR(img[0], 0.25, 1e-4);  // σ(−10) of the shape still shows
  EXPECT_NEAR(img[plane], 0.5, 1e-4);
  EXPECT_NEAR(img[2 * plane], 0.75, 1e-4);
  const double half[7] = {0.9, 0.1, 0.2, 0.5, 0.5, 0.4, 0.3};
  ASSERT_TRUE(e.set_scene_values(types, 1, half, 7, bg, 3).ok);
  ASSERT_TRUE(e.render(0.01f, 16, 12, img.data()).ok);
  EXPECT_NEAR(img[centre], 0.5 * 0.9 + 0.5 * 0.25, 1e-4);
  EXPECT_NEAR(img[2 * plane + centre], 0.5 * 0.2 + 0.5 * 0.75, 1e-4);
  // The values read back are the ones set (to float precision of the raw value).
  std::vector<double> back(e.value_count());
  e.values(back.data());
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(back[i], half[i], 1e-6) << i;
}

// The constrained-value path builds exactly the raw floats the original's Python built.
TEST(ColorModel, OriginalModelValuesGiveTheOriginalsRawFloats) {
  std::vector<int32_t> types;
  std::vector<float> raw;
  pelican::initial_pelican(&types, &raw);
  // The initial pelican's constrained values, in table order.
  const double v[] = {0.35, 0.42, 0.55, 0.22, 0.28,  -0.3, 0.40, 0.52, 0.35, 0.06, 0.15, -0.2, 0.35, 0.58,
                      0.18, 0.08, 0.25, 0.62, 0.15,  0.62, 0.22, 0.88, 0.20, 0.30, 0.62, 0.22, 0.88, 0.20,
                      0.65, 0.28, 0.30, 0.38, 0.50,  0.18, 0.15, -0.4, 0.20, 0.18, 0.52, 0.25, 0.48, 0.12,
                      0.60, 0.05, 0.60, 0.16, 0.015, 0.15, 0.45, 0.88, 0.06, 0.04, 0.0};
  ASSERT_EQ(sizeof v / sizeof v[0], raw.size());
  pelican::Engine e;
  ASSERT_TRUE(e.init(8, 8).ok);
  const double white = 1.0;
  ASSERT_TRUE(e.set_scene_values(types.data(), types.size(), v, raw.size(), &white, 1).ok);
  EXPECT_EQ(0, std::memcmp(e.raw(), raw.data(), raw.size() * sizeof(float)));
}

TEST(ColorModel, OutOfRangeValuesNameTheField) {
  pelican::Engine e;
  ASSERT_TRUE(e.init(8, 8, Model{3, true, true}).ok);
  const int32_t types[1] = {1};
  const double bg[3] = {1, 1, 1};
  double v[9] = {0.5, 0.5, 0.5, 0.8, 0.5, 0.5, 5.0, 0.1, 0.0};
  pelican::Status st = e.set_scene_values(types, 1, v, 9, bg, 3);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("shapes[0].rx"), std::string::npos) << st.message;
  v[6] = 0.1;
  v[3] = 1.5;
  st = e.set_scene_values(types, 1, v, 9, bg, 3);
  EXPECT_NE(st.message.find("shapes[0].opacity"), std::string::npos) << st.message;
  v[3] = 0.8;
  EXPECT_TRUE(e.set_scene_values(types, 1, v, 9, bg, 3).ok);
  EXPECT_FALSE(e.set_scene_values(types, 1, v, 8, bg, 3).ok);
  EXPECT_FALSE(e.set_scene_values(types, 1, v, 9, bg, 1).ok);
  EXPECT_FALSE(e.init(8, 8, Model{2, false, false}).ok);
}

// A radius the optimiser carried past the table's limit comes back at the limit, so the scene
// can always be loaded again.
TEST(ColorModel, ValuesComeBackWithinTheTablesRanges) {
  pelican::Engine e;
  ASSERT_TRUE(e.init(8, 8).ok);
  const int32_t types[1] = {0};
  const float raw[4] = {0.0f, 0.0f, 0.0f, 9.0f};  // softplus(9) ≈ 9 canvases
  ASSERT_TRUE(e.set_scene(types, 1, raw, 4).ok);
  double v[4];
  e.values(v);
  EXPECT_EQ(v[3], pelican::kMaxRadius);
  const double white = 1;
  EXPECT_TRUE(e.set_scene_values(types, 1, v, 4, &white, 1).ok);
}

}  // namespace

namespace {

// A red disc on blue: the first proposal lands on the disc, red, and loading it lowers the loss.
TEST(Propose, FindsTheLargestErrorAndSolvesItsColour) {
  const int W = 40, H = 30;
  std::vector<float> target(size_t(W) * H * 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const bool in = (x - 25) * (x - 25) + (y - 12) * (y - 12) < 36;
      const size_t i = size_t(y) * W + x;
      target[i] = in ? 0.9f : 0.1f;
      target[W * H + i] = 0.1f;
      target[2 * W * H + i] = in ? 0.1f : 0.8f;
    }
  pelican::Engine e;
  ASSERT_TRUE(e.init(W, H, Model{3, true, true}).ok);
  ASSERT_TRUE(e.set_target(target.data(), target.size()).ok);
  const double bg[3] = {0.1, 0.1, 0.8};
  ASSERT_TRUE(e.set_scene_values(nullptr, 0, nullptr, 0, bg, 3).ok);
  pelican::Breakdown before{}, after{};
  ASSERT_TRUE(e.evaluate(0.5f / W, &before, nullptr).ok);
  pelican::ProposeOptions o;
  o.count = 2;
  std::vector<int32_t> types;
  std::vector<double> values;
  ASSERT_TRUE(e.propose(o, 0.5f / W, &types, &values).ok);
  ASSERT_GE(types.size(), 1u);
  // paint r g b, opacity, then geometry whose first two fields are a centre (or a vertex).
  EXPECT_GT(values[0], 0.7);
  EXPECT_LT(values[2], 0.3);
  const double gx = values[4] * W, gy = values[5] * W;
  EXPECT_LT(std::hypot(gx - 25, gy - 12), 8.0) << gx << "," << gy;
  ASSERT_TRUE(e.set_scene_values(types.data(), types.size(), values.data(), values.size(), bg, 3).ok);
  ASSERT_TRUE(e.evaluate(0.5f / W, &after, nullptr).ok);
  EXPECT_LT(after.mse, 0.5 * before.mse);
  // Bad options are refused with the field named.
  o.candidates = 0;
  pelican::Status st = e.propose(o, 0.5f / W, &types, &values);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("candidates"), std::string::npos);
}

}  // namespace
