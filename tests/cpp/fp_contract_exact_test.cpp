// The engine's arithmetic is the IEEE operations its source spells out, each product rounded on
// its own: no a*b+c fused into an FMA. That is what -ffp-contract=off buys (CMakeLists.txt) and
// what makes every x86-64 build and the Wasm build (which has no FMA) agree bit for bit. The
// plain-path render of a scene of circles is compared with the same formulas evaluated here with
// every intermediate forced through memory, where nothing can be fused; built with contraction
// allowed on an FMA target (-DPELICAN_V3_EXTRA_FLAGS=-ffp-contract=fast) this test fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "evaluator.h"
#include "fastmath.h"

using pelican::Model;
namespace pd = pelican::detail;

namespace {

// A value stored and reloaded: the compiler must round it to float here, so it cannot fuse the
// operation that made it with the one that uses it.
float rounded(float v) {
  volatile float slot = v;
  return slot;
}

struct Scene {
  std::vector<int32_t> types;
  std::vector<float> raw;
};

Scene circles(const Model& m, int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> paint(-2.5f, 2.5f), op(-0.5f, 2.5f), pos(-1.5f, 1.5f), radius(-3.0f, -1.3f);
  Scene s;
  for (int k = 0; k < count; ++k) {
    s.types.push_back(0);
    for (int c = 0; c < m.channels; ++c) s.raw.push_back(paint(rng));
    if (m.opacity) s.raw.push_back(op(rng));
    s.raw.insert(s.raw.end(), {pos(rng), pos(rng), radius(rng)});
  }
  return s;
}

// The plain path's render, spelled out per pixel with every operation rounded: the circle's SDF
// (sdf.h), the coverage σ(−clamp(s/τ, −10, 10)) (raster.h, exp from fastmath.h), then
// o ← (1 − α·c)·o + α·c·I back to front over the background.
std::vector<float> unfused_render(const Model& m, int W, int H, const Scene& s, const float* bg, float tau) {
  const float scale = float(std::max(W, H));
  const size_t plane = size_t(W) * H;
  std::vector<pd::ShapeParams<float>> shapes;
  size_t off = 0;
  for (int32_t t : s.types) {
    shapes.push_back(pd::make_shape<float>(t, off, s.raw.data() + off, m));
    off += size_t(pelican::shape_param_count(t, m));
  }
  std::vector<float> out(plane * m.channels);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const float X = rounded(rounded(float(x) + 0.5f) / scale), Y = rounded(rounded(float(y) + 0.5f) / scale);
      float o[3];
      for (int c = 0; c < m.channels; ++c) o[c] = bg[c];
      for (const pd::ShapeParams<float>& sh : shapes) {
        const float dx = rounded(X - sh.value[1]), dy = rounded(Y - sh.value[2]);
        const float sq = rounded(rounded(rounded(dx * dx) + rounded(dy * dy)) + 1e-10f);
        const float sdf = rounded(rounded(std::sqrt(sq)) - sh.value[3]);
        const float z = rounded(sdf / tau);
        const float zc = z < -10.0f ? -10.0f : (z > 10.0f ? 10.0f : z);
        float cov = rounded(1.0f / rounded(1.0f + pd::fast_exp(zc)));
        if (m.opacity) cov = rounded(sh.alpha * cov);
        for (int c = 0; c < m.channels; ++c)
          o[c] = rounded(rounded(rounded(1.0f - cov) * o[c]) + rounded(cov * sh.paint[c]));
      }
      for (int c = 0; c < m.channels; ++c) out[c * plane + size_t(y) * W + x] = o[c];
    }
  return out;
}

class FpContractExact : public ::testing::TestWithParam<Model> {};

TEST_P(FpContractExact, PlainRenderIsTheUnfusedFormula) {
  const Model m = GetParam();
  const float bg[3] = {0.93f, 0.41f, 0.12f};
  int compared = 0;
  for (int W : {40, 67}) {
    const int H = 51;
    const Scene s = circles(m, 12, 3u + uint32_t(W));
    const float tau = 0.6f / float(std::max(W, H));
    pd::Evaluator<float> ev;
    ev.set_model(m);
    ev.resize(W, H);
    std::vector<float> target(size_t(W) * H * m.channels, 0.5f);
    ev.set_target(target.data());
    ev.set_fixed_background(bg);
    ev.reserve_shapes(s.types.size());
    ev.set_culling(false);
    ev.evaluate(s.types.data(), s.types.size(), s.raw.data(), tau, pd::Weights<float>(), nullptr);
    const std::vector<float> reference = unfused_render(m, W, H, s, bg, tau);
    size_t differing = 0, first = 0;
    for (size_t i = 0; i < reference.size(); ++i)
      if (std::memcmp(&reference[i], ev.image() + i, sizeof(float)) != 0 && differing++ == 0) first = i;
    EXPECT_EQ(differing, 0u) << differing << " of " << reference.size() << " values differ, first at " << first
                             << ": engine " << ev.image()[first] << " unfused " << reference[first] << " (" << W << "x"
                             << H << ")";
    // The scene must exercise the formula: many pixels between the saturated ends.
    size_t soft = 0;
    for (size_t i = 0; i < reference.size(); ++i) soft += std::fabs(reference[i] - bg[i / (size_t(W) * H)]) > 1e-3f;
    EXPECT_GT(soft, reference.size() / 4);
    ++compared;
  }
  EXPECT_EQ(compared, 2);
}

INSTANTIATE_TEST_SUITE_P(Models, FpContractExact, ::testing::Values(Model{1, false, false}, Model{3, true, false}),
                         [](const ::testing::TestParamInfo<Model>& info) {
                           return std::string(info.param.channels == 3 ? "RgbOpacity" : "Gray");
                         });

}  // namespace
