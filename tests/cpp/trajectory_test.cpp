// Parity of the optimiser with the original on optimize-trajectory.json: 100 steps from the
// initial pelican at 64² and 128², every step's total loss within 1 % of the reference's.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "golden_case.h"
#include "pelican/engine.h"

using namespace testsupport;

namespace {

void check_run(const std::string& res_key) {
  Json doc;
  ASSERT_TRUE(load_json(golden_dir() + "/optimize-trajectory.json", &doc)) << golden_dir();
  const Json& run = doc["runs"][res_key];
  ASSERT_EQ(run.kind, Json::Object) << "no run " << res_key;
  const int res = int(run["resolution"].number);
  const Json& ref = run["loss_total"];
  int w = 0, h = 0;
  std::vector<float> target;
  ASSERT_TRUE(load_target("pelican-engraving-" + std::to_string(res) + ".pgm", &w, &h, &target));
  std::vector<int32_t> types;
  std::vector<float> raw;
  pelican::initial_pelican(&types, &raw);
  pelican::Engine e;
  ASSERT_TRUE(e.init(w, h).ok);
  ASSERT_TRUE(e.set_target(target.data(), target.size()).ok);
  ASSERT_TRUE(e.set_scene(types.data(), types.size(), raw.data(), raw.size()).ok);
  pelican::OptimizeOptions opts;
  opts.steps = int(run["steps"].number);
  opts.lr = float(run["lr"].number);
  ASSERT_TRUE(e.optimize_begin(opts).ok);
  bool finished = false;
  size_t step = 0;
  double worst = 0;
  float best_seen = INFINITY;
  while (!finished) {
    pelican::Breakdown b{};
    ASSERT_TRUE(e.optimize_step(&b, &finished).ok);
    ASSERT_LT(step, ref.size());
    const double r = ref[step].number;
    worst = std::max(worst, std::fabs(b.total - r) / r);
    EXPECT_NEAR(b.total, r, 0.01 * r) << res_key << " step " << step;
    best_seen = std::min(best_seen, b.total);
    ++step;
  }
  EXPECT_EQ(step, ref.size());
  EXPECT_EQ(e.steps_completed(), int(ref.size()));
  EXPECT_EQ(e.best_loss(), best_seen);
  ASSERT_TRUE(e.optimize_end().ok);
  std::printf("[ trajectory %s ] worst relative deviation %.5f %%\n", res_key.c_str(), 100 * worst);
}

TEST(TrajectoryParity, Resolution64) { check_run("64"); }
TEST(TrajectoryParity, Resolution128) { check_run("128"); }

}  // namespace
