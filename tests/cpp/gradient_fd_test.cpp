// Analytic gradients against central finite differences, in the double instantiation of the
// very kernels the engine runs in float: every parameter of every shape type, random scenes,
// square and non-square canvases, culling on and off.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <vector>

#include "evaluator.h"
#include "scene_gen.h"

using pelican::detail::Evaluator;
using pelican::detail::Weights;
using namespace testsupport;

namespace {

struct FdCase {
  int width, height;
  double tau_px;
  bool cull;
};

void PrintTo(const FdCase& c, std::ostream* os) {
  *os << c.width << "x" << c.height << " tau=" << c.tau_px << "px cull=" << c.cull;
}

class GradientFd : public ::testing::TestWithParam<FdCase> {};

double total(Evaluator<double>& e, const RandomScene& s, const std::vector<double>& raw, double tau) {
  return e.evaluate(s.types.data(), s.types.size(), raw.data(), tau, Weights<double>(), nullptr).v[6];
}

TEST_P(GradientFd, EveryParameterOfEveryShapeType) {
  const FdCase c = GetParam();
  const double scale = std::max(c.width, c.height);
  const double tau = c.tau_px / scale;
  int live_canvas = 0, live_degen = 0, checked = 0;
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    // Every type in every scene, in varying z-order.
    std::vector<int32_t> types = {int32_t(seed % 3), int32_t((seed + 1) % 3), int32_t((seed + 2) % 3), 2, 1};
    RandomScene s = random_scene(types, seed * 7919u);
    std::vector<double> target = random_target(c.width, c.height, seed);
    Evaluator<double> e;
    e.resize(c.width, c.height);
    e.set_target(target.data());
    e.reserve_shapes(types.size());
    e.set_culling(c.cull);
    std::vector<double> grad(s.raw.size());
    auto t = e.evaluate(s.types.data(), s.types.size(), s.raw.data(), tau, Weights<double>(), grad.data());
    live_canvas += t.v[5] > 0;
    live_degen += t.v[4] > 0;
    double gmax = 0;
    for (double g : grad) gmax = std::max(gmax, std::fabs(g));
    ASSERT_GT(gmax, 0.0);
    for (size_t i = 0; i < s.raw.size(); ++i) {
      const double h = 1e-6;
      std::vector<double> p = s.raw, m = s.raw;
      p[i] += h;
      m[i] -= h;
      const double fd = (total(e, s, p, tau) - total(e, s, m, tau)) / (2 * h);
      // h² truncation and ε/h rounding are both ~1e-10 here; the margin covers a kink (clamp
      // bound, active triangle edge) falling inside ±h at a few pixels.
      EXPECT_NEAR(grad[i], fd, 2e-6 * gmax + 1e-5 * std::fabs(fd)) << "seed " << seed << " raw " << i;
      ++checked;
    }
  }
  EXPECT_GT(live_canvas, 0) << "no scene exercised the canvas penalty";
  EXPECT_GT(live_degen, 0) << "no scene exercised the degeneracy prior";
  EXPECT_GT(checked, 100);
}

INSTANTIATE_TEST_SUITE_P(Canvases, GradientFd,
                         ::testing::Values(FdCase{24, 24, 2.0, true}, FdCase{24, 24, 0.6, false},
                                           FdCase{29, 17, 1.5, true}, FdCase{13, 31, 3.0, true}));

// Each weight on its own, so a wrong gradient in one term cannot hide behind another.
TEST(GradientFdTerms, EachLossTermAlone) {
  const int W = 20, H = 18;
  const double tau = 2.0 / 20;
  RandomScene s = random_scene({0, 1, 2, 2, 1, 0}, 4242u);
  std::vector<double> target = random_target(W, H, 99);
  for (int term = 0; term < 6; ++term) {
    Weights<double> w;
    w.perimeter = term == 0 ? 1.0 : 0.0;
    w.degeneracy = term == 1 ? 1.0 : 0.0;
    w.canvas = term == 2 ? 1.0 : 0.0;
    w.edge = term == 3 ? 1.0 : 0.0;
    w.ssim = term == 4 ? 1.0 : 0.0;
    // term 5: MSE alone (it is always on).
    Evaluator<double> e;
    e.resize(W, H);
    e.set_target(target.data());
    e.reserve_shapes(s.types.size());
    std::vector<double> grad(s.raw.size());
    e.evaluate(s.types.data(), s.types.size(), s.raw.data(), tau, w, grad.data());
    auto f = [&](const std::vector<double>& raw) {
      return e.evaluate(s.types.data(), s.types.size(), raw.data(), tau, w, nullptr).v[6];
    };
    double gmax = 0;
    for (double g : grad) gmax = std::max(gmax, std::fabs(g));
    for (size_t i = 0; i < s.raw.size(); ++i) {
      std::vector<double> p = s.raw, m = s.raw;
      p[i] += 1e-6;
      m[i] -= 1e-6;
      const double fd = (f(p) - f(m)) / 2e-6;
      EXPECT_NEAR(grad[i], fd, 2e-6 * gmax + 1e-5 * std::fabs(fd) + 1e-12) << "term " << term << " raw " << i;
    }
  }
}

}  // namespace
