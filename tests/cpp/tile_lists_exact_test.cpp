// The per-tile lists (bounding-box classification, folded outside runs, opaque skipping) against
// the plain path (culling off: every shape an edge pair of every tile, no folding, no skipping)
// on random scenes under every model: render, loss and every gradient.
//
// Tolerances, and why they are not zero: a folded run replaces its shapes' float blends by one
// affine map computed in double (P·o + Q rounded once instead of once per shape), and the outside
// shapes' gradients come from per-run sums in double instead of per-lane float products; both
// differ from the plain path by float rounding only. Opaque skipping drops what weighs less than
// 2^-24 (kOpaqueCutoff). Measured: renders within 6e-7 on the random scenes and 2e-6 with 150
// shapes (the plain path rounds once per shape per pixel), gradients within 2e-7 of the largest.
// Allowed: render 4e-6 absolute (values in [0, 1]), loss 1e-5 relative, each gradient 2e-6 of the
// scene's largest plus 1e-5 of its own size. A mistake in the folding or the skipping (a dropped
// outside shape, a wrong run bound, a missed transmittance) moves them by orders more.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "evaluator.h"
#include "pelican/engine.h"
#include "raster.h"
#include "scene_gen.h"

using pelican::Model;
using pelican::detail::Evaluator;
using pelican::detail::Terms;
using pelican::detail::Weights;
using namespace testsupport;

namespace {

struct Outcome {
  Terms<float> terms;
  std::vector<float> grad, image;
};

Outcome run(const Model& m, int w, int h, const std::vector<int32_t>& types, const std::vector<float>& raw,
            const std::vector<float>& target, float tau, bool cull) {
  Evaluator<float> ev;
  ev.set_model(m);
  ev.resize(w, h);
  ev.set_target(target.data());
  ev.reserve_shapes(types.size());
  ev.set_culling(cull);
  if (!m.fit_background) {
    const float bg[3] = {0.9f, 0.85f, 0.8f};
    ev.set_fixed_background(bg);
  }
  Outcome o;
  o.grad.assign(raw.size(), 0.0f);
  o.terms = ev.evaluate(types.data(), types.size(), raw.data(), tau, Weights<float>(), o.grad.data());
  o.image.assign(ev.image(), ev.image() + size_t(w) * h * m.channels);
  return o;
}

void expect_close(const Outcome& a, const Outcome& b, const std::string& where) {
  for (int t = 0; t < 7; ++t)
    EXPECT_NEAR(a.terms.v[t], b.terms.v[t], 1e-5 * std::fabs(b.terms.v[t]) + 1e-9) << where << " term " << t;
  double peak = 0;
  for (float g : b.grad) peak = std::max(peak, double(std::fabs(g)));
  for (size_t i = 0; i < a.grad.size(); ++i)
    ASSERT_NEAR(a.grad[i], b.grad[i], 2e-6 * peak + 1e-5 * std::fabs(b.grad[i])) << where << " raw " << i;
  for (size_t i = 0; i < a.image.size(); ++i) ASSERT_NEAR(a.image[i], b.image[i], 4e-6) << where << " pixel " << i;
}

// Many small and medium shapes over the canvas, a few big ones, and a stack of nearly opaque
// ones (opacity raw 8: α ≈ 0.9997) so that some tiles are opaque and skip what lies beneath.
std::vector<int32_t> many_types(int count, uint32_t seed) {
  std::vector<int32_t> types;
  std::mt19937 rng(seed);
  for (int i = 0; i < count; ++i) types.push_back(int32_t(rng() % 3));
  return types;
}

std::vector<double> spread_scene(const std::vector<int32_t>& types, const Model& m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0), paint(-2.5, 2.5), op(-1.0, 3.0);
  auto logit = [](double x) { return std::log(x / (1 - x)); };
  auto isp = [](double x) { return std::log(std::expm1(x)); };
  std::vector<double> raw;
  const size_t n = types.size();
  for (size_t i = 0; i < n; ++i) {
    const bool big = i < 3, opaque = i + 4 >= n;  // the last four: large and nearly opaque
    for (int c = 0; c < m.channels; ++c) raw.push_back(paint(rng));
    if (m.opacity) raw.push_back(opaque ? 8.0 : op(rng));
    const double size = big || opaque ? 0.2 + 0.2 * u(rng) : 0.015 + 0.08 * u(rng);
    const double cx = opaque ? 0.5 + 0.1 * (u(rng) - 0.5) : u(rng), cy = opaque ? 0.5 + 0.1 * (u(rng) - 0.5) : u(rng);
    if (types[i] == 0) {
      raw.insert(raw.end(), {logit(std::clamp(cx, 0.01, 0.99)), logit(std::clamp(cy, 0.01, 0.99)), isp(size)});
    } else if (types[i] == 1) {
      raw.insert(raw.end(), {logit(std::clamp(cx, 0.01, 0.99)), logit(std::clamp(cy, 0.01, 0.99)), isp(size),
                             isp(size * (0.3 + 0.7 * u(rng))), 3.0 * (u(rng) - 0.5)});
    } else {
      for (int v = 0; v < 3; ++v) {
        const double x = std::clamp(cx + 1.5 * size * (u(rng) - 0.5) * 2, 0.01, 0.99);
        const double y = std::clamp(cy + 1.5 * size * (u(rng) - 0.5) * 2, 0.01, 0.99);
        raw.insert(raw.end(), {logit(x), logit(y)});
      }
    }
  }
  if (m.fit_background)
    for (int c = 0; c < m.channels; ++c) raw.push_back(paint(rng));
  return raw;
}

class TileListsExact : public ::testing::TestWithParam<Model> {};

TEST_P(TileListsExact, RandomScenesMatchThePlainPath) {
  const Model m = GetParam();
  struct Size {
    int w, h;
  };
  for (Size sz : {Size{64, 64}, Size{45, 70}, Size{100, 37}}) {
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      RandomScene s = random_scene({0, 1, 2, 0, 1, 2, 2, 1}, seed);
      std::vector<double> rd = raw_for_model(s, m, seed);
      std::vector<float> raw(rd.begin(), rd.end());
      std::vector<double> td = target_planes(sz.w, sz.h, m.channels, seed);
      std::vector<float> target(td.begin(), td.end());
      for (float tau_px : {1.0f, 0.5f, 0.2f}) {
        const float tau = tau_px / float(std::max(sz.w, sz.h));
        const std::string where = std::to_string(sz.w) + "x" + std::to_string(sz.h) + " seed " + std::to_string(seed) +
                                  " tau " + std::to_string(tau_px) + " px";
        expect_close(run(m, sz.w, sz.h, s.types, raw, target, tau, true),
                     run(m, sz.w, sz.h, s.types, raw, target, tau, false), where);
      }
    }
  }
}

TEST_P(TileListsExact, ManyShapesAndOpaqueStacksMatchThePlainPath) {
  const Model m = GetParam();
  for (int count : {60, 150}) {
    const int W = 96, H = 80;
    std::vector<int32_t> types = many_types(count, uint32_t(count));
    std::vector<double> rd = spread_scene(types, m, uint32_t(count) + 1);
    std::vector<float> raw(rd.begin(), rd.end());
    std::vector<double> td = target_planes(W, H, m.channels, 9);
    std::vector<float> target(td.begin(), td.end());
    for (float tau_px : {1.0f, 0.2f}) {
      const float tau = tau_px / float(W);
      expect_close(run(m, W, H, types, raw, target, tau, true), run(m, W, H, types, raw, target, tau, false),
                   std::to_string(count) + " shapes tau " + std::to_string(tau_px) + " px");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, TileListsExact,
                         ::testing::Values(Model{1, false, false}, Model{1, true, false}, Model{3, false, false},
                                           Model{3, true, true}));

// The band rectangles must be conservative: at every pixel centre of every tile outside a
// shape's band (lanes past the canvas edge too) the float SDF is beyond 10τ, so the coverage there
// is the clamped constant; and the lists then hold a small part of all pairs.
TEST(TileLists, BandsAreConservativeAndListsAreShort) {
  const Model m{3, true, true};
  const int W = 96, H = 80;
  std::vector<int32_t> types = many_types(150, 3);
  std::vector<double> rd = spread_scene(types, m, 4);
  std::vector<float> raw(rd.begin(), rd.end());
  std::vector<pelican::detail::ShapeParams<float>> shapes;
  size_t off = 0;
  for (int32_t t : types) {
    shapes.push_back(pelican::detail::make_shape<float>(t, off, raw.data() + off, m));
    off += size_t(pelican::detail::raw_params_of(t, m));
  }
  const pelican::detail::TileRect all{0, 0, pelican::detail::tiles_along(W), pelican::detail::tiles_along(H)};
  for (float tau_px : {1.0f, 0.2f}) {
    const float tau = tau_px / W;
    size_t in_bands = 0;
    for (const auto& s : shapes) {
      const pelican::detail::TileRect b = pelican::detail::band_rect(s, double(W), double(tau), all);
      in_bands += size_t(b.count());
      for (int ty = 0; ty < all.y1; ++ty)
        for (int tx = 0; tx < all.x1; ++tx) {
          if (tx >= b.x0 && tx < b.x1 && ty >= b.y0 && ty < b.y1) continue;
          for (int r = 0; r < 8; ++r)
            for (int j = 0; j < 8; ++j) {
              const float x = (float(tx * 8 + j) + 0.5f) / float(W), y = (float(ty * 8 + r) + 0.5f) / float(W);
              ASSERT_GT(pelican::detail::sdf_point(s, x, y) / tau, 10.0f) << "tile " << tx << "," << ty;
            }
        }
    }
    EXPECT_LT(in_bands, shapes.size() * all.count() / 4) << "tau " << tau_px;
  }
}

}  // namespace
