// Optimiser behaviour (§5): schedules, clipping, Adam, NaN handling, freeze mask and the
// best-parameter restore with the original's off-by-one fixed.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "adam.h"
#include "pelican/engine.h"

using namespace pelican::detail;

namespace {

TEST(Schedules, TauEndpointsMiddleAndZeroSteps) {
  EXPECT_FLOAT_EQ(tau_at(1.0 / 64, 0.2 / 64, 0, 100), 1.0f / 64);
  EXPECT_FLOAT_EQ(tau_at(1.0 / 64, 0.2 / 64, 50, 100), float(std::sqrt(0.2) / 64));
  // The last step never quite reaches τ_end (step/steps < 1).
  EXPECT_FLOAT_EQ(tau_at(1.0 / 64, 0.2 / 64, 99, 100), float(std::pow(0.2, 0.99) / 64));
  EXPECT_FLOAT_EQ(tau_at(1.0 / 64, 0.2 / 64, 0, 0), 0.2f / 64);
}

TEST(Schedules, CosineLearningRate) {
  EXPECT_FLOAT_EQ(cosine_lr(0.02, 0, 500), 0.02f);
  EXPECT_FLOAT_EQ(cosine_lr(0.02, 250, 500), float(0.001 + 0.019 * 0.5));
  EXPECT_FLOAT_EQ(cosine_lr(0.02, 500, 500), 0.001f);
  EXPECT_GT(cosine_lr(0.02, 100, 500), cosine_lr(0.02, 101, 500));
}

TEST(Clipping, GlobalNormOverActiveParametersOnly) {
  std::vector<float> g = {3, 4, 1000};
  std::vector<uint8_t> active = {1, 1, 0};
  const double norm = clip_global_norm(g.data(), active.data(), g.size(), 1.0);
  EXPECT_DOUBLE_EQ(norm, 5.0);
  EXPECT_NEAR(g[0], 3 / (5 + 1e-6), 1e-7);
  EXPECT_NEAR(g[1], 4 / (5 + 1e-6), 1e-7);
  EXPECT_EQ(g[2], 1000.0f);  // frozen: neither in the norm nor scaled
  std::vector<float> small = {0.1f, 0.2f};
  std::vector<uint8_t> both = {1, 1};
  clip_global_norm(small.data(), both.data(), 2, 1.0);
  EXPECT_EQ(small[0], 0.1f);  // under the limit: unchanged
  EXPECT_EQ(small[1], 0.2f);
}

TEST(Adam, FirstStepMovesEveryActiveParameterByLr) {
  // With bias correction the first Adam step is lr·sign(g) (up to ε).
  std::vector<float> theta = {1, 1, 1}, g = {0.5f, -2e-3f, 7}, m(3), v(3);
  std::vector<uint8_t> active = {1, 1, 0};
  adam_update(theta.data(), g.data(), m.data(), v.data(), active.data(), 3, 1, 0.02f);
  EXPECT_NEAR(theta[0], 0.98f, 1e-6);
  EXPECT_NEAR(theta[1], 1.02f, 1e-5);
  EXPECT_EQ(theta[2], 1.0f);
  EXPECT_EQ(m[2], 0.0f);
}

std::vector<uint8_t> all_active(size_t n) { return std::vector<uint8_t>(n, 1); }

TEST(OptimizerRun, NanGradientIsSkippedWithoutAdvancingTheScheduler) {
  OptimizerRun run;
  std::vector<float> raw = {0.5f, -0.5f}, grad = {0.1f, 0.2f};
  auto active = all_active(2);
  run.begin(10, 0.02, 0.01, 0.002, 1.0, raw.data(), 2);
  run.advance(1.0f, grad.data(), raw.data(), active.data(), 2);
  EXPECT_EQ(run.updates, 1);
  const std::vector<float> before = raw;
  grad = {std::numeric_limits<float>::quiet_NaN(), 0.2f};
  run.advance(0.9f, grad.data(), raw.data(), active.data(), 2);
  EXPECT_TRUE(run.skipped);
  EXPECT_EQ(raw, before);
  EXPECT_EQ(run.updates, 1);    // lr schedule and Adam's t stay put
  EXPECT_EQ(run.completed, 2);  // but the step is measured and counted
  EXPECT_EQ(run.step, 2);       // and τ advances
  EXPECT_EQ(run.best, 1.0f);    // a skipped step is no best candidate
  grad = {std::numeric_limits<float>::infinity(), 0.2f};
  run.advance(0.8f, grad.data(), raw.data(), active.data(), 2);
  EXPECT_TRUE(run.skipped);
  EXPECT_EQ(raw, before);
  // A NaN gradient on a frozen parameter is irrelevant.
  std::vector<uint8_t> first_frozen = {0, 1};
  grad = {std::numeric_limits<float>::quiet_NaN(), 0.2f};
  run.advance(0.8f, grad.data(), raw.data(), first_frozen.data(), 2);
  EXPECT_FALSE(run.skipped);
  EXPECT_EQ(raw[0], before[0]);
  EXPECT_NE(raw[1], before[1]);
}

TEST(OptimizerRun, NanLossStopsWithoutCounting) {
  OptimizerRun run;
  std::vector<float> raw = {0.5f}, grad = {0.1f};
  auto active = all_active(1);
  run.begin(10, 0.02, 0.01, 0.002, 1.0, raw.data(), 1);
  run.advance(2.0f, grad.data(), raw.data(), active.data(), 1);
  const float after_first = raw[0];
  run.advance(std::numeric_limits<float>::quiet_NaN(), grad.data(), raw.data(), active.data(), 1);
  EXPECT_TRUE(run.done);
  EXPECT_TRUE(run.nan_stop);
  EXPECT_EQ(run.completed, 1);
  EXPECT_EQ(raw[0], after_first);
}

TEST(OptimizerRun, BestSnapshotIsThePreUpdateParameters) {
  OptimizerRun run;
  std::vector<float> raw = {0.0f}, grad;
  auto active = all_active(1);
  run.begin(5, 0.1, 0.01, 0.002, 1.0, raw.data(), 1);
  const float losses[5] = {3, 1, 2, 4, 5};
  std::vector<float> measured_at;
  for (float loss : losses) {
    measured_at.push_back(raw[0]);
    grad = {1.0f};
    run.advance(loss, grad.data(), raw.data(), active.data(), 1);
  }
  EXPECT_TRUE(run.done);
  EXPECT_EQ(run.best, 1.0f);
  run.restore(raw.data(), 1);
  EXPECT_EQ(raw[0], measured_at[1]);  // θ_1, not θ_2 as the original restored
  EXPECT_NE(measured_at[1], measured_at[2]);
}

// ---- Through the Engine ----------------------------------------------------------------------

struct Fixture {
  pelican::Engine e;
  std::vector<int32_t> types;
  std::vector<float> raw, target;
  explicit Fixture(int res) {
    pelican::initial_pelican(&types, &raw);
    target.resize(size_t(res) * res);
    for (int y = 0; y < res; ++y)
      for (int x = 0; x < res; ++x)
        target[size_t(y) * res + x] =
            (x - res / 2) * (x - res / 2) + (y - res / 2) * (y - res / 2) < res * res / 9 ? 0.1f : 0.9f;
    EXPECT_TRUE(e.init(res, res).ok);
    EXPECT_TRUE(e.set_target(target.data(), target.size()).ok);
    EXPECT_TRUE(e.set_scene(types.data(), types.size(), raw.data(), raw.size()).ok);
  }
};

TEST(EngineOptimize, RestoresTheParametersWhoseLossWasBest) {
  Fixture f(32);
  pelican::OptimizeOptions o;
  o.steps = 40;
  o.lr = 0.2f;  // large enough that the loss is not monotone
  ASSERT_TRUE(f.e.optimize_begin(o).ok);
  std::vector<float> totals;
  bool fin = false;
  while (!fin) {
    pelican::Breakdown b;
    ASSERT_TRUE(f.e.optimize_step(&b, &fin).ok);
    totals.push_back(b.total);
  }
  size_t best_i = 0;
  for (size_t i = 1; i < totals.size(); ++i)
    if (totals[i] < totals[best_i]) best_i = i;
  EXPECT_EQ(f.e.best_loss(), totals[best_i]);
  ASSERT_TRUE(f.e.optimize_end().ok);
  // Re-measuring the restored parameters at that step's τ gives exactly the best loss.
  const float tau = tau_at(1.0 / 32, 0.2 / 32, int(best_i), o.steps);
  pelican::Breakdown b;
  ASSERT_TRUE(f.e.evaluate(tau, &b, nullptr).ok);
  EXPECT_EQ(b.total, totals[best_i]);
}

TEST(EngineOptimize, FrozenShapesAreRenderedButNotUpdated) {
  Fixture f(32);
  std::vector<uint8_t> mask(f.types.size(), 0);
  mask[0] = mask[3] = mask[8] = 1;
  ASSERT_TRUE(f.e.set_frozen(mask.data(), mask.size()).ok);
  pelican::OptimizeOptions o;
  o.steps = 15;
  ASSERT_TRUE(f.e.optimize_begin(o).ok);
  EXPECT_FALSE(f.e.set_frozen(mask.data(), mask.size()).ok);  // not mid-run
  bool fin = false;
  while (!fin) ASSERT_TRUE(f.e.optimize_step(nullptr, &fin).ok);
  ASSERT_TRUE(f.e.optimize_end().ok);
  size_t off = 0;
  for (size_t k = 0; k < f.types.size(); ++k) {
    const int n = pelican::param_count(pelican::ShapeType(f.types[k]));
    bool changed = false;
    for (int i = 0; i < n; ++i) changed = changed || f.e.raw()[off + i] != f.raw[off + i];
    EXPECT_EQ(changed, !mask[k]) << "shape " << k;
    off += size_t(n);
  }
}

TEST(EngineOptimize, LossFallsAndStepsAreCounted) {
  Fixture f(32);
  pelican::OptimizeOptions o;
  o.steps = 20;
  ASSERT_TRUE(f.e.optimize_begin(o).ok);
  pelican::Breakdown first{}, last{};
  bool fin = false;
  int calls = 0;
  while (!fin) {
    ASSERT_TRUE(f.e.optimize_step(&last, &fin).ok);
    if (calls++ == 0) first = last;
  }
  EXPECT_EQ(calls, 20);
  EXPECT_EQ(f.e.steps_completed(), 20);
  EXPECT_LT(last.total, first.total);
  EXPECT_FALSE(f.e.stopped_on_nan());
  // Further steps after the end are no-ops reporting finished.
  bool again = false;
  ASSERT_TRUE(f.e.optimize_step(nullptr, &again).ok);
  EXPECT_TRUE(again);
  EXPECT_EQ(f.e.steps_completed(), 20);
}

TEST(EngineOptimize, ZeroStepsFinishesImmediately) {
  Fixture f(16);
  pelican::OptimizeOptions o;
  o.steps = 0;
  ASSERT_TRUE(f.e.optimize_begin(o).ok);
  bool fin = false;
  ASSERT_TRUE(f.e.optimize_step(nullptr, &fin).ok);
  EXPECT_TRUE(fin);
  EXPECT_EQ(f.e.steps_completed(), 0);
  ASSERT_TRUE(f.e.optimize_end().ok);
  for (size_t i = 0; i < f.raw.size(); ++i) EXPECT_EQ(f.e.raw()[i], f.raw[i]);
}

}  // namespace
