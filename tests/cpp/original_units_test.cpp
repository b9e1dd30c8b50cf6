// The original's own unit expectations (§11) as a floor, plus the aspect-ratio convention.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "evaluator.h"
#include "pelican/engine.h"
#include "raster.h"
#include "sdf.h"

using namespace pelican::detail;

namespace {

ShapeParams<double> circle(double cx, double cy, double r) {
  const double raw[4] = {0.0, pelican::logit_param(cx), pelican::logit_param(cy), pelican::inv_softplus(r)};
  return make_shape<double>(kCircle, 0, raw);
}
ShapeParams<double> ellipse(double cx, double cy, double rx, double ry, double rot) {
  const double raw[6] = {
      0.0, pelican::logit_param(cx), pelican::logit_param(cy), pelican::inv_softplus(rx), pelican::inv_softplus(ry),
      rot};
  return make_shape<double>(kEllipse, 0, raw);
}
ShapeParams<double> triangle(const double (&v)[6]) {
  double raw[7] = {0.0};
  for (int i = 0; i < 6; ++i) raw[i + 1] = pelican::logit_param(v[i]);
  return make_shape<double>(kTriangle, 0, raw);
}

TEST(OriginalGeometry, ConstrainedValuesInRangeAndInitialPelican) {
  std::vector<int32_t> types;
  std::vector<float> raw;
  pelican::initial_pelican(&types, &raw);
  ASSERT_EQ(types.size(), 9u);
  EXPECT_EQ(types[0], int32_t(pelican::ShapeType::Ellipse));
  EXPECT_EQ(raw.size(), 53u);
  size_t off = 0;
  for (int32_t t : types) {
    ShapeParams<float> s = make_shape<float>(t, off, raw.data() + off);
    EXPECT_GT(s.value[0], 0.0f);
    EXPECT_LT(s.value[0], 1.0f);
    for (int i = 1; i < (t == kTriangle ? 7 : 3); ++i) {
      EXPECT_GT(s.value[i], 0.0f);
      EXPECT_LT(s.value[i], 1.0f);
    }
    if (t != kTriangle) {
      EXPECT_GT(s.value[3], 0.0f);
    }
    off += size_t(raw_params_of(t));
  }
}

TEST(OriginalSdf, Circle) {
  auto c = circle(0.5, 0.5, 0.2);
  EXPECT_LT(sdf_point(c, 0.5, 0.5), 0.0);
  EXPECT_GT(sdf_point(c, 0.9, 0.9), 0.0);
  EXPECT_LT(std::fabs(sdf_point(c, 0.5 + c.value[3], 0.5)), 1e-6);
}

TEST(OriginalSdf, EllipseBoundaryAndEccentric) {
  auto e = ellipse(0.5, 0.5, 0.3, 0.2, 0.0);
  EXPECT_LT(std::fabs(sdf_point(e, 0.5 + e.value[3], 0.5)), 0.01);
  auto ecc = ellipse(0.5, 0.5, 0.4, 0.05, 0.0);
  EXPECT_LT(std::fabs(sdf_point(ecc, 0.5 + ecc.value[3], 0.5)), 0.01);
  EXPECT_LT(std::fabs(sdf_point(ecc, 0.5, 0.5 + ecc.value[4])), 0.02);
  EXPECT_LT(sdf_point(ecc, 0.5, 0.5), 0.0);
  EXPECT_GT(sdf_point(ecc, 0.5, 0.7), 0.0);
  // Rotation by θ turns the local x-axis to (cos θ, sin θ) in y-down space.
  auto rot = ellipse(0.5, 0.5, 0.3, 0.05, 0.5);
  EXPECT_LT(std::fabs(sdf_point(rot, 0.5 + rot.value[3] * std::cos(0.5), 0.5 + rot.value[3] * std::sin(0.5))), 0.01);
}

TEST(OriginalSdf, TriangleVerticesWindingAndGradients) {
  const double ccw[6] = {0.2, 0.2, 0.8, 0.3, 0.4, 0.8};
  const double cw[6] = {0.2, 0.2, 0.4, 0.8, 0.8, 0.3};
  for (const auto* v : {&ccw, &cw}) {
    auto t = triangle(*v);
    for (int i = 0; i < 3; ++i) EXPECT_LT(std::fabs(sdf_point(t, t.value[1 + 2 * i], t.value[2 + 2 * i])), 1e-5);
    const double gx = (t.value[1] + t.value[3] + t.value[5]) / 3, gy = (t.value[2] + t.value[4] + t.value[6]) / 3;
    EXPECT_LT(sdf_point(t, gx, gy), 0.0);
    EXPECT_GT(sdf_point(t, 0.95, 0.95), 0.0);
  }
  // Gradients reach every vertex coordinate through a render + loss.
  Evaluator<double> ev;
  ev.resize(24, 24);
  std::vector<double> target(24 * 24, 0.0);
  ev.set_target(target.data());
  ev.reserve_shapes(1);
  const int32_t type = kTriangle;
  double raw[7] = {0.0};
  for (int i = 0; i < 6; ++i) raw[i + 1] = pelican::logit_param(ccw[i]);
  double g[7];
  ev.evaluate(&type, 1, raw, 1.0 / 24, Weights<double>(), g);
  for (int i = 1; i < 7; ++i) EXPECT_NE(g[i], 0.0) << "vertex coordinate " << i - 1;
}

TEST(OriginalCoverage, RangeAndTwoTau) {
  const double tau = 0.01;
  double s[kLanes], c[kLanes];
  for (int i = 0; i < kLanes; ++i) s[i] = (i - 32) * 0.005;
  coverage_lanes<double>(s, tau, c, nullptr);
  for (double v : c) {
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  s[0] = -2 * tau;
  s[1] = 2 * tau;
  coverage_lanes<double>(s, tau, c, nullptr);
  EXPECT_GT(c[0], 0.85);
  EXPECT_LT(c[1], 0.15);
}

std::vector<float> render(const std::vector<int32_t>& types, const std::vector<float>& raw, int w, int h, float tau) {
  pelican::Engine e;
  EXPECT_TRUE(e.init(w, h).ok);
  EXPECT_TRUE(e.set_scene(types.data(), types.size(), raw.data(), raw.size()).ok);
  std::vector<float> out(size_t(w) * h);
  EXPECT_TRUE(e.render(tau, w, h, out.data()).ok);
  return out;
}

std::vector<float> circle_raw(double cx, double cy, double r, double intensity) {
  return {pelican::intensity_raw(intensity), pelican::logit_param(cx), pelican::logit_param(cy),
          pelican::inv_softplus(r)};
}

TEST(OriginalRenderer, SingleCircleTwoCirclesDeterminism) {
  auto one = render({0}, circle_raw(0.5, 0.5, 0.3, 0.0), 64, 64, 1.0f / 64);
  EXPECT_GT(one[0], 0.9f);
  EXPECT_LT(one[32 * 64 + 32], 0.1f);
  std::vector<float> two_raw = circle_raw(0.3, 0.5, 0.12, 0.0);
  std::vector<float> second = circle_raw(0.7, 0.5, 0.12, 0.0);
  two_raw.insert(two_raw.end(), second.begin(), second.end());
  auto two = render({0, 0}, two_raw, 64, 64, 1.0f / 64);
  const int row = 32;
  EXPECT_LT(two[row * 64 + int(0.3 * 64)], 0.1f);
  EXPECT_LT(two[row * 64 + int(0.7 * 64)], 0.1f);
  EXPECT_GT(two[row * 64 + 32], 0.5f);
  auto again = render({0, 0}, two_raw, 64, 64, 1.0f / 64);
  EXPECT_EQ(two, again);
  for (float v : two) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LE(v, 1.0f);
  }
}

TEST(OriginalRenderer, InitialPelicanAt64HasInk) {
  std::vector<int32_t> types;
  std::vector<float> raw;
  pelican::initial_pelican(&types, &raw);
  auto img = render(types, raw, 64, 64, 1.0f / 64);
  int dark = 0;
  for (float v : img) dark += v < 0.99f;
  EXPECT_GT(dark, 100);
}

TEST(AspectRatio, CirclesStayRoundAndUseTheLongSide) {
  // 64×32: S = 64, so the canvas spans [0,1]×[0,0.5]; a circle at (0.5, 0.25) r = 0.1 covers
  // 12.8 px in both directions.
  auto img = render({0}, circle_raw(0.5, 0.25, 0.1, 0.0), 64, 32, 0.2f / 64);
  int across = 0, down = 0;
  for (int x = 0; x < 64; ++x) across += img[16 * 64 + x] < 0.5f;
  for (int y = 0; y < 32; ++y) down += img[y * 64 + 32] < 0.5f;
  EXPECT_EQ(across, down);
  EXPECT_NEAR(across, 12.8, 1.0);
  // Rendering the same scene at twice the size keeps the geometry (τ stays normalised).
  auto big = render({0}, circle_raw(0.5, 0.25, 0.1, 0.0), 128, 64, 0.2f / 64);
  int across_big = 0;
  for (int x = 0; x < 128; ++x) across_big += big[32 * 128 + x] < 0.5f;
  EXPECT_NEAR(across_big, 25.6, 1.0);
}

TEST(AspectRatio, CanvasPenaltyUsesTheExtents) {
  // On a 64×32 canvas y must stay within [0.05, 0.45]: a circle at y = 0.45 pays, on a square one it does not.
  std::vector<float> raw = circle_raw(0.5, 0.45, 0.04, 0.5);
  const std::vector<int32_t> types = {0};
  for (int h : {32, 64}) {
    pelican::Engine e;
    ASSERT_TRUE(e.init(64, h).ok);
    std::vector<float> t(size_t(64) * h, 0.5f);
    ASSERT_TRUE(e.set_target(t.data(), t.size()).ok);
    ASSERT_TRUE(e.set_scene(types.data(), 1, raw.data(), raw.size()).ok);
    pelican::Breakdown b;
    ASSERT_TRUE(e.evaluate(1.0f / 64, &b, nullptr).ok);
    if (h == 32) {
      EXPECT_NEAR(b.canvas, 0.45 + 0.04 - 0.45, 1e-5);
    } else {
      EXPECT_EQ(b.canvas, 0.0f);
    }
  }
}

TEST(OriginalLoss, Terms) {
  const int W = 32, H = 32;
  auto terms = [&](const std::vector<double>& a, const std::vector<double>& b, std::vector<double>* grad) {
    ImageLoss<double> l;
    l.resize(W, H);
    l.set_target(b.data());
    return l.run(a.data(), 0.1, 0.05, grad ? grad->data() : nullptr);
  };
  std::vector<double> img(W * H), black(W * H, 0.0), white(W * H, 1.0), box(W * H, 0.0), g(W * H);
  for (int i = 0; i < W * H; ++i) img[i] = 0.5 + 0.4 * std::sin(0.37 * i);
  for (int y = 8; y < 24; ++y)
    for (int x = 8; x < 24; ++x) box[y * W + x] = 1.0;
  auto same = terms(img, img, &g);
  EXPECT_EQ(same.mse, 0.0);
  EXPECT_LT(same.edge, 1e-5);
  EXPECT_LT(same.ssim, 0.01);
  auto diff = terms(img, black, &g);
  EXPECT_GT(diff.mse, 0.0);
  double gn = 0;
  for (double v : g) gn += std::fabs(v);
  EXPECT_GT(gn, 0.0);
  EXPECT_GT(terms(box, black, nullptr).edge, 0.001);
  EXPECT_GT(terms(black, white, nullptr).ssim, 0.5);
}

TEST(OriginalLoss, PerimeterPriorAndTotal) {
  const int32_t type = kCircle;
  Evaluator<double> ev;
  ev.resize(16, 16);
  std::vector<double> target(256, 0.3);
  ev.set_target(target.data());
  ev.reserve_shapes(1);
  double small[4] = {0.0, 0.0, 0.0, pelican::inv_softplus(0.1)}, big[4] = {0.0, 0.0, 0.0, pelican::inv_softplus(0.2)};
  Weights<double> only_perimeter;
  only_perimeter.degeneracy = only_perimeter.canvas = only_perimeter.edge = only_perimeter.ssim = 0;
  double g[4];
  auto a = ev.evaluate(&type, 1, small, 1.0 / 16, Weights<double>(), g);
  auto b = ev.evaluate(&type, 1, big, 1.0 / 16, Weights<double>(), nullptr);
  EXPECT_GT(b.v[3], a.v[3]);
  EXPECT_NEAR(a.v[3], 2 * M_PI * 0.1, 1e-6);  // raw is float
  EXPECT_NE(g[3], 0.0);
  EXPECT_GT(a.v[6], a.v[0]);
}

}  // namespace
