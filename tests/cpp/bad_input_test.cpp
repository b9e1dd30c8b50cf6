// Bad input never crashes or yields a silent NaN: every call returns a Status whose message names
// the function and the argument, and a rejected call leaves the engine as it was.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "pelican/engine.h"

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

#define EXPECT_REJECTED(call, fn, arg)                                  \
  do {                                                                  \
    pelican::Status st_ = (call);                                       \
    EXPECT_FALSE(st_.ok) << #call;                                      \
    EXPECT_NE(st_.message.find(fn), std::string::npos) << st_.message;  \
    EXPECT_NE(st_.message.find(arg), std::string::npos) << st_.message; \
  } while (0)

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    pelican::initial_pelican(&types, &raw);
    target.assign(16 * 12, 0.5f);
    ASSERT_TRUE(e.init(16, 12).ok);
    ASSERT_TRUE(e.set_target(target.data(), target.size()).ok);
    ASSERT_TRUE(e.set_scene(types.data(), types.size(), raw.data(), raw.size()).ok);
  }
  pelican::Engine e;
  std::vector<int32_t> types;
  std::vector<float> raw, target;
};

TEST(BadInputFresh, CallsBeforeInit) {
  pelican::Engine e;
  std::vector<float> px(4, 0.5f);
  EXPECT_REJECTED(e.set_target(px.data(), px.size()), "set_target", "init");
  pelican::Breakdown b;
  EXPECT_REJECTED(e.evaluate(0.01f, &b, nullptr), "evaluate", "init");
  EXPECT_REJECTED(e.optimize_begin(pelican::OptimizeOptions()), "optimize_begin", "init");
  bool fin = false;
  EXPECT_REJECTED(e.optimize_step(&b, &fin), "optimize_step", "optimize_begin");
  EXPECT_REJECTED(e.optimize_end(), "optimize_end", "optimize_begin");
  ASSERT_TRUE(e.init(2, 2).ok);
  EXPECT_REJECTED(e.evaluate(0.01f, &b, nullptr), "evaluate", "set_target");
}

TEST(BadInputFresh, Sizes) {
  pelican::Engine e;
  EXPECT_REJECTED(e.init(0, 10), "init", "width");
  EXPECT_REJECTED(e.init(10, 0), "init", "height");
  EXPECT_REJECTED(e.init(-3, 10), "init", "width");
  EXPECT_REJECTED(e.init(4097, 10), "init", "width");
  EXPECT_REJECTED(e.init(10, 1 << 30), "init", "height");
  EXPECT_TRUE(e.init(1, 1).ok);
  EXPECT_TRUE(e.init(4096, 1).ok);
}

TEST_F(BadInput, Target) {
  EXPECT_REJECTED(e.set_target(target.data(), target.size() - 1), "set_target", "count");
  EXPECT_REJECTED(e.set_target(nullptr, target.size()), "set_target", "pixels");
  std::vector<float> bad = target;
  bad[7] = kNaN;
  EXPECT_REJECTED(e.set_target(bad.data(), bad.size()), "set_target", "pixels[7]");
  bad[7] = -kInf;
  EXPECT_REJECTED(e.set_target(bad.data(), bad.size()), "set_target", "pixels[7]");
}

TEST_F(BadInput, SceneTypesCountsAndValues) {
  std::vector<int32_t> t = types;
  t[4] = 3;
  EXPECT_REJECTED(e.set_scene(t.data(), t.size(), raw.data(), raw.size()), "set_scene", "types[4]");
  t[4] = -1;
  EXPECT_REJECTED(e.set_scene(t.data(), t.size(), raw.data(), raw.size()), "set_scene", "types[4]");
  EXPECT_REJECTED(e.set_scene(types.data(), types.size(), raw.data(), raw.size() - 1), "set_scene", "raw_count");
  EXPECT_REJECTED(e.set_scene(types.data(), types.size() - 1, raw.data(), raw.size()), "set_scene", "raw_count");
  EXPECT_REJECTED(e.set_scene(nullptr, 3, raw.data(), raw.size()), "set_scene", "types");
  EXPECT_REJECTED(e.set_scene(types.data(), types.size(), nullptr, raw.size()), "set_scene", "raw");
  for (float v : {kNaN, kInf, -kInf, 2e4f}) {
    std::vector<float> r = raw;
    r[11] = v;
    EXPECT_REJECTED(e.set_scene(types.data(), types.size(), r.data(), r.size()), "set_scene", "raw[11]");
  }
  // The rejected calls left the scene intact.
  EXPECT_EQ(e.shape_count(), types.size());
  EXPECT_EQ(e.raw_count(), raw.size());
  EXPECT_EQ(e.raw()[11], raw[11]);
}

TEST_F(BadInput, FrozenWeightsTau) {
  std::vector<uint8_t> mask(types.size() + 1, 0);
  EXPECT_REJECTED(e.set_frozen(mask.data(), mask.size()), "set_frozen", "count");
  EXPECT_REJECTED(e.set_frozen(nullptr, types.size()), "set_frozen", "mask");
  pelican::LossWeights w;
  w.ssim = kNaN;
  EXPECT_REJECTED(e.set_weights(w), "set_weights", "ssim");
  w = pelican::LossWeights();
  w.canvas = -1;
  EXPECT_REJECTED(e.set_weights(w), "set_weights", "canvas");
  pelican::Breakdown b;
  for (float tau : {0.0f, -0.01f, kNaN, kInf}) EXPECT_REJECTED(e.evaluate(tau, &b, nullptr), "evaluate", "tau");
}

TEST_F(BadInput, RenderArguments) {
  std::vector<float> out(64);
  EXPECT_REJECTED(e.render(0.01f, 0, 8, out.data()), "render", "width");
  EXPECT_REJECTED(e.render(0.01f, 8, 5000, out.data()), "render", "height");
  EXPECT_REJECTED(e.render(0.01f, 8, 8, nullptr), "render", "out");
  EXPECT_REJECTED(e.render(kNaN, 8, 8, out.data()), "render", "tau");
}

TEST_F(BadInput, OptimizeOptions) {
  pelican::OptimizeOptions o;
  o.steps = -1;
  EXPECT_REJECTED(e.optimize_begin(o), "optimize_begin", "steps");
  o = pelican::OptimizeOptions();
  o.lr = kNaN;
  EXPECT_REJECTED(e.optimize_begin(o), "optimize_begin", "lr");
  o = pelican::OptimizeOptions();
  o.tau_end = -1;
  EXPECT_REJECTED(e.optimize_begin(o), "optimize_begin", "tau_end");
  o = pelican::OptimizeOptions();
  o.clip_norm = 0;
  EXPECT_REJECTED(e.optimize_begin(o), "optimize_begin", "clip_norm");
}

TEST_F(BadInput, ExtremeButValidParametersStayFinite) {
  // ±1e4 is the largest accepted magnitude: radii from 0 to 1e4, saturated sigmoids.
  for (float v : {1e4f, -1e4f}) {
    std::vector<float> r(raw.size(), v);
    ASSERT_TRUE(e.set_scene(types.data(), types.size(), r.data(), r.size()).ok);
    pelican::Breakdown b;
    std::vector<float> g(r.size());
    pelican::Status st = e.evaluate(1.0f / 16, &b, g.data());
    EXPECT_TRUE(st.ok) << st.message;
    EXPECT_TRUE(std::isfinite(b.total));
    for (float x : g) EXPECT_TRUE(std::isfinite(x));
  }
}

TEST_F(BadInput, EmptySceneAndOneByOneCanvas) {
  ASSERT_TRUE(e.set_scene(nullptr, 0, nullptr, 0).ok);
  pelican::Breakdown b;
  ASSERT_TRUE(e.evaluate(0.05f, &b, nullptr).ok);
  EXPECT_TRUE(std::isfinite(b.total));
  pelican::Engine tiny;
  ASSERT_TRUE(tiny.init(1, 1).ok);
  float px = 0.2f;
  ASSERT_TRUE(tiny.set_target(&px, 1).ok);
  ASSERT_TRUE(tiny.set_scene(types.data(), types.size(), raw.data(), raw.size()).ok);
  std::vector<float> g(raw.size());
  ASSERT_TRUE(tiny.evaluate(1.0f, &b, g.data()).ok);
  EXPECT_TRUE(std::isfinite(b.total));
}

TEST(ParamCount, KnownAndUnknownTypes) {
  EXPECT_EQ(pelican::param_count(pelican::ShapeType::Circle), 4);
  EXPECT_EQ(pelican::param_count(pelican::ShapeType::Ellipse), 6);
  EXPECT_EQ(pelican::param_count(pelican::ShapeType::Triangle), 7);
  EXPECT_EQ(pelican::param_count(static_cast<pelican::ShapeType>(7)), 0);
}

}  // namespace
