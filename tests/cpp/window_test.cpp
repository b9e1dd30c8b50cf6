// The window (Engine::set_window): an evaluation over the tiles meeting a pixel rectangle must be
// the full-canvas evaluation restricted to it — the same render inside, and the MSE (and its
// gradient) of the window's pixels alone — while the rest of the canvas is never touched.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "evaluator.h"
#include "pelican/engine.h"
#include "scene_gen.h"

using pelican::Model;
using namespace testsupport;

namespace {

struct Rect {
  int x0, y0, x1, y1;
};

pelican::LossWeights image_only() {
  pelican::LossWeights w;
  w.perimeter = w.degeneracy = w.canvas = w.edge = w.ssim = 0.0f;
  return w;
}

struct Case {
  int w, h;
  Model model;
  std::vector<int32_t> types;
  std::vector<float> raw, target;
};

Case make_setup(int w, int h, const Model& model, uint32_t seed) {
  Case s{w, h, model, {}, {}, {}};
  RandomScene scene = random_scene({0, 1, 2, 0, 1, 2, 2, 0}, seed);
  std::vector<double> raw = raw_for_model(scene, model, seed);
  std::vector<double> target = target_planes(w, h, model.channels, seed);
  s.types = scene.types;
  s.raw.assign(raw.begin(), raw.end());
  s.target.assign(target.begin(), target.end());
  return s;
}

void load(pelican::Engine& e, const Case& s, const std::vector<float>& target, const pelican::LossWeights& w) {
  ASSERT_TRUE(e.init(s.w, s.h, s.model).ok);
  ASSERT_TRUE(e.set_target(target.data(), target.size()).ok);
  ASSERT_TRUE(e.set_scene(s.types.data(), s.types.size(), s.raw.data(), s.raw.size()).ok);
  ASSERT_TRUE(e.set_weights(w).ok);
  e.set_tile_culling(false);
}

// The evaluator's render of the scene, plain path, optionally through a window.
std::vector<float> plain_render(const Case& s, float tau, const Rect* window) {
  pelican::detail::Evaluator<float> ev;
  ev.set_model(s.model);
  ev.resize(s.w, s.h);
  ev.set_target(s.target.data());
  ev.reserve_shapes(s.types.size());
  ev.set_culling(false);
  if (window) ev.set_window(window->x0, window->y0, window->x1, window->y1);
  ev.evaluate(s.types.data(), s.types.size(), s.raw.data(), tau, pelican::detail::Weights<float>(), nullptr);
  return std::vector<float>(ev.image(), ev.image() + size_t(s.w) * s.h * s.model.channels);
}

class WindowExact : public ::testing::TestWithParam<Model> {};

TEST_P(WindowExact, EqualsTheFullCanvasRestrictedToTheWindow) {
  const Model model = GetParam();
  const int W = 45, H = 70;
  const float tau = 0.7f / 70;
  for (Rect r : {Rect{13, 7, 40, 41}, Rect{0, 0, 45, 70}, Rect{30, 60, 45, 70}, Rect{8, 8, 16, 16}}) {
    const std::string where = "window [" + std::to_string(r.x0) + "," + std::to_string(r.x1) + ")x[" +
                              std::to_string(r.y0) + "," + std::to_string(r.y1) + ")";
    Case s = make_setup(W, H, model, 7u + uint32_t(r.x0));
    const size_t plane = size_t(W) * H;
    const size_t n_win = size_t(r.x1 - r.x0) * (r.y1 - r.y0);

    // The render inside the window is the full render, bit for bit; outside the walked tiles
    // nothing is written (a fresh evaluator's image is all zeros).
    std::vector<float> full = plain_render(s, tau, nullptr);
    std::vector<float> windowed = plain_render(s, tau, &r);
    const int tx0 = r.x0 / 8 * 8, tx1 = std::min((r.x1 + 7) / 8 * 8, W);
    const int ty0 = r.y0 / 8 * 8, ty1 = std::min((r.y1 + 7) / 8 * 8, H);
    for (int c = 0; c < model.channels; ++c)
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const size_t i = c * plane + size_t(y) * W + x;
          if (x >= tx0 && x < tx1 && y >= ty0 && y < ty1) {
            ASSERT_EQ(windowed[i], full[i]) << where << " pixel " << x << "," << y;
          } else {
            ASSERT_EQ(windowed[i], 0.0f) << where << " pixel " << x << "," << y << " was rendered";
          }
        }

    // The windowed MSE is the MSE of a full-canvas evaluation whose target equals the render
    // outside the window (residual exactly zero there), rescaled from N to the window's pixels.
    std::vector<float> masked = s.target;
    for (int c = 0; c < model.channels; ++c)
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x)
          if (x < r.x0 || x >= r.x1 || y < r.y0 || y >= r.y1)
            masked[c * plane + size_t(y) * W + x] = full[c * plane + size_t(y) * W + x];
    pelican::Engine reference, local;
    load(reference, s, masked, image_only());
    load(local, s, s.target, image_only());
    ASSERT_TRUE(local.set_window(r.x0, r.y0, r.x1, r.y1).ok);
    pelican::Breakdown b_ref, b_win;
    std::vector<float> g_ref(s.raw.size()), g_win(s.raw.size());
    ASSERT_TRUE(reference.evaluate(tau, &b_ref, g_ref.data()).ok);
    ASSERT_TRUE(local.evaluate(tau, &b_win, g_win.data()).ok);
    const double scale = double(plane) / double(n_win);
    EXPECT_NEAR(b_win.mse, b_ref.mse * scale, 1e-5 * b_win.mse) << where;
    EXPECT_EQ(b_win.total, b_win.mse) << where;
    double peak = 0;
    for (float g : g_win) peak = std::max(peak, double(std::fabs(g)));
    ASSERT_GT(peak, 0.0) << where;
    // Float sums over differently sized images: 1e-5 of the largest gradient.
    for (size_t i = 0; i < g_win.size(); ++i)
      ASSERT_NEAR(g_win[i], g_ref[i] * scale, 1e-5 * peak) << where << " raw " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, WindowExact,
                         ::testing::Values(Model{1, false, false}, Model{1, true, false}, Model{3, true, true}));

TEST(Window, PriorsStillCoverEveryShape) {
  Case s = make_setup(64, 64, Model{}, 3);
  pelican::LossWeights w = image_only();
  w.perimeter = 0.001f, w.degeneracy = 0.1f, w.canvas = 1.0f;
  pelican::Engine full, local;
  load(full, s, s.target, w);
  load(local, s, s.target, w);
  ASSERT_TRUE(local.set_window(40, 40, 56, 60).ok);
  pelican::Breakdown a, b;
  ASSERT_TRUE(full.evaluate(0.5f / 64, &a, nullptr).ok);
  ASSERT_TRUE(local.evaluate(0.5f / 64, &b, nullptr).ok);
  EXPECT_EQ(a.perimeter, b.perimeter);
  EXPECT_EQ(a.degeneracy, b.degeneracy);
  EXPECT_EQ(a.canvas, b.canvas);
  EXPECT_NE(a.mse, b.mse);
}

TEST(Window, ClearedWindowIsTheWholeCanvasBitForBit) {
  Case s = make_setup(45, 70, Model{3, true, true}, 5);
  pelican::Engine a, b;
  load(a, s, s.target, image_only());
  load(b, s, s.target, image_only());
  a.set_tile_culling(true);
  b.set_tile_culling(true);
  ASSERT_TRUE(b.set_window(3, 4, 20, 30).ok);
  ASSERT_TRUE(b.set_window(5, 5, 5, 9).ok);  // x1 <= x0: cleared
  std::vector<float> ga(s.raw.size()), gb(s.raw.size());
  pelican::Breakdown ba, bb;
  ASSERT_TRUE(a.evaluate(0.01f, &ba, ga.data()).ok);
  ASSERT_TRUE(b.evaluate(0.01f, &bb, gb.data()).ok);
  EXPECT_EQ(ba.total, bb.total);
  for (size_t i = 0; i < ga.size(); ++i) ASSERT_EQ(ga[i], gb[i]) << "raw " << i;
  ASSERT_TRUE(b.set_window(3, 4, 20, 30).ok);
  ASSERT_TRUE(b.clear_window().ok);
  ASSERT_TRUE(b.evaluate(0.01f, &bb, gb.data()).ok);
  EXPECT_EQ(ba.total, bb.total);
}

// Local settling: the scene's shapes frozen, a new one fitted on its window only.
TEST(Window, OnlyUnfrozenShapesMoveAndTheWindowLossFalls) {
  const int S = 64;
  std::vector<int32_t> types;
  std::vector<float> raw;
  pelican::initial_pelican(&types, &raw);
  // A dark disc near the lower right corner: a circle of intensity ~0.12 at (0.8, 0.8), r 0.08.
  std::vector<float> target(size_t(S) * S, 1.0f);
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x) {
      const double dx = (x + 0.5) / S - 0.8, dy = (y + 0.5) / S - 0.8;
      if (dx * dx + dy * dy < 0.08 * 0.08) target[size_t(y) * S + x] = 0.12f;
    }
  types.push_back(0);
  for (float v : {pelican::intensity_raw(0.5), pelican::logit_param(0.76), pelican::logit_param(0.83),
                  pelican::inv_softplus(0.05)})
    raw.push_back(v);
  pelican::Engine e;
  ASSERT_TRUE(e.init(S, S).ok);
  ASSERT_TRUE(e.set_target(target.data(), target.size()).ok);
  ASSERT_TRUE(e.set_scene(types.data(), types.size(), raw.data(), raw.size()).ok);
  std::vector<uint8_t> mask(types.size(), 1);
  mask.back() = 0;
  ASSERT_TRUE(e.set_frozen(mask.data(), mask.size()).ok);
  ASSERT_TRUE(e.set_weights(image_only()).ok);
  ASSERT_TRUE(e.set_window(40, 40, 64, 64).ok);
  pelican::OptimizeOptions o;
  o.steps = 40;
  o.lr = 0.05f;
  ASSERT_TRUE(e.optimize_begin(o).ok);
  bool done = false;
  pelican::Breakdown first{}, b{};
  for (int i = 0; !done; ++i) {
    ASSERT_TRUE(e.optimize_step(&b, &done).ok);
    if (i == 0) first = b;
  }
  ASSERT_TRUE(e.optimize_end().ok);
  EXPECT_LT(e.best_loss(), 0.5f * first.total);
  const size_t frozen_floats = raw.size() - 4;
  for (size_t i = 0; i < frozen_floats; ++i) ASSERT_EQ(e.raw()[i], raw[i]) << "frozen raw " << i << " moved";
  bool moved = false;
  for (size_t i = frozen_floats; i < raw.size(); ++i) moved |= e.raw()[i] != raw[i];
  EXPECT_TRUE(moved);
}

TEST(Window, BadWindowsAreRefusedWithAMessage) {
  pelican::Engine e;
  pelican::Status st = e.set_window(0, 0, 8, 8);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("init"), std::string::npos) << st.message;

  Case s = make_setup(32, 24, Model{}, 1);
  ASSERT_TRUE(e.init(32, 24).ok);
  ASSERT_TRUE(e.set_target(s.target.data(), s.target.size()).ok);
  ASSERT_TRUE(e.set_scene(s.types.data(), s.types.size(), s.raw.data(), s.raw.size()).ok);
  // The original's weights have Sobel and SSIM on.
  st = e.set_window(0, 0, 8, 8);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("set_window(x0, y0, x1, y1): a window needs weights.edge = 0 and weights.ssim = 0"),
            std::string::npos)
      << st.message;
  ASSERT_TRUE(e.set_weights(image_only()).ok);
  st = e.set_window(32, 0, 40, 8);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("[32, 40) x [0, 8) lies outside the 32x24 canvas"), std::string::npos) << st.message;
  st = e.set_window(-10, -10, 0, 5);
  EXPECT_FALSE(st.ok) << "a window left of the canvas";
  ASSERT_TRUE(e.set_window(-10, -10, 10, 10).ok) << "clamped to the canvas";
  pelican::LossWeights with_ssim = image_only();
  with_ssim.ssim = 0.05f;
  st = e.set_weights(with_ssim);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("set_weights(weights): a window needs"), std::string::npos) << st.message;
  pelican::OptimizeOptions o;
  o.steps = 3;
  ASSERT_TRUE(e.optimize_begin(o).ok);
  st = e.set_window(0, 0, 4, 4);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("during an optimisation"), std::string::npos) << st.message;
  EXPECT_FALSE(e.clear_window().ok);
  ASSERT_TRUE(e.optimize_end().ok);
  ASSERT_TRUE(e.clear_window().ok);
  EXPECT_TRUE(e.set_weights(with_ssim).ok) << "no window, any weights";
  // A new canvas drops the window.
  ASSERT_TRUE(e.set_weights(image_only()).ok);
  ASSERT_TRUE(e.set_window(0, 0, 8, 8).ok);
  ASSERT_TRUE(e.init(32, 24).ok);
  EXPECT_TRUE(e.set_weights(with_ssim).ok);
}

}  // namespace
