// Parity with the original (PyTorch) on loss-and-gradients.json: 5 scenes × 3 τ.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "evaluator.h"
#include "golden_case.h"
#include "pelican/engine.h"

using namespace testsupport;

namespace {

const Json& golden() {
  static Json doc;
  static bool loaded = load_json(golden_dir() + "/loss-and-gradients.json", &doc);
  (void)loaded;
  return doc;
}

TEST(GoldenParity, FileIsThere) {
  ASSERT_EQ(golden()["cases"].kind, Json::Array) << "cannot read " << golden_dir() << "/loss-and-gradients.json";
  EXPECT_EQ(golden()["cases"].size(), 5u);
}

TEST(GoldenParity, BreakdownRenderAndGradients) {
  const Json& cases = golden()["cases"];
  ASSERT_GT(cases.size(), 0u);
  static const char* names[7] = {"mse", "edge", "ssim", "perimeter", "degeneracy", "canvas", "total"};
  int checked = 0;
  for (size_t c = 0; c < cases.size(); ++c) {
    const Json& cs = cases[c];
    const std::string label = cs["label"].text;
    int w = 0, h = 0;
    std::vector<float> target;
    ASSERT_TRUE(load_target(cs["target"].text, &w, &h, &target)) << label;
    ASSERT_EQ(w, int(cs["resolution"].number));
    pelican::Engine e;
    ASSERT_TRUE(e.init(w, h).ok);
    ASSERT_TRUE(e.set_target(target.data(), target.size()).ok);
    for (size_t k = 0; k < cs["evals"].size(); ++k) {
      const Json& ev = cs["evals"][k];
      const float tau = float(ev["tau"].number);
      std::vector<int32_t> types;
      std::vector<double> raw_d, grad_ref;
      flatten_params(cs["scene"], ev["raw_params"], &types, &raw_d);
      flatten_params(cs["scene"], ev["raw_grads"], &types, &grad_ref);
      std::vector<float> raw(raw_d.begin(), raw_d.end());
      pelican::Status st = e.set_scene(types.data(), types.size(), raw.data(), raw.size());
      ASSERT_TRUE(st.ok) << st.message;
      pelican::Breakdown b{};
      std::vector<float> grad(raw.size());
      st = e.evaluate(tau, &b, grad.data());
      ASSERT_TRUE(st.ok) << st.message;
      const float got[7] = {b.mse, b.edge, b.ssim, b.perimeter, b.degeneracy, b.canvas, b.total};
      for (int i = 0; i < 7; ++i) {
        const double ref = ev["breakdown"][names[i]].number;
        // SSIM alone gets 5e-4: the reference computed it in float32, and its variances
        // (E[x²] − μ²) carry cancellation error — the exact (double) SSIM of the very same render
        // differs from the reference by up to 3.4e-4 relative on these cases, and a float32 direct
        // 7×7 convolution by a similar amount in either direction. Ours is within 1e-5 of the
        // exact value (SsimPrecision below), so the slack is the reference's, not ours.
        const double rel = i == 2 ? 5e-4 : 1e-4;
        const double tol = std::max(rel * std::fabs(ref), 1e-7);
        EXPECT_NEAR(got[i], ref, tol) << label << " tau=" << tau << " " << names[i];
      }
      // Render probes ("row,col") and the render sum.
      std::vector<float> img(size_t(w) * h);
      ASSERT_TRUE(e.render(tau, w, h, img.data()).ok);
      for (const auto& kv : ev["render_probe"].fields) {
        const size_t comma = kv.first.find(',');
        const int row = std::stoi(kv.first.substr(0, comma)), col = std::stoi(kv.first.substr(comma + 1));
        EXPECT_NEAR(img[size_t(row) * w + col], kv.second.number, 1e-5) << label << " probe " << kv.first;
      }
      double sum = 0;
      for (float v : img) sum += v;
      EXPECT_NEAR(sum, ev["render_sum"].number, 1e-5 * double(w) * h) << label;
      double gmax = 0;
      for (double g : grad_ref) gmax = std::max(gmax, std::fabs(g));
      for (size_t i = 0; i < grad.size(); ++i)
        EXPECT_NEAR(grad[i], grad_ref[i], 1e-3 * gmax) << label << " tau=" << tau << " raw grad " << i;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 15);
}

// The float engine's SSIM (computed on complements, see loss.h) against the double
// instantiation of the same kernels, on the golden scenes: this is what justifies comparing the
// reference's float32 SSIM with a looser tolerance than the other components.
TEST(SsimPrecision, FloatEngineMatchesDoubleKernels) {
  const Json& cases = golden()["cases"];
  ASSERT_GT(cases.size(), 0u);
  for (size_t c = 0; c < cases.size(); ++c) {
    const Json& cs = cases[c];
    int w = 0, h = 0;
    std::vector<float> target;
    ASSERT_TRUE(load_target(cs["target"].text, &w, &h, &target));
    const Json& ev = cs["evals"][0];
    std::vector<int32_t> types;
    std::vector<double> raw_d;
    flatten_params(cs["scene"], ev["raw_params"], &types, &raw_d);
    std::vector<float> raw_f(raw_d.begin(), raw_d.end());
    std::vector<double> raw_fd(raw_f.begin(), raw_f.end()), target_d(target.begin(), target.end());
    const float tau = float(ev["tau"].number);
    pelican::detail::Evaluator<float> ef;
    ef.resize(w, h);
    ef.set_target(target.data());
    ef.reserve_shapes(types.size());
    pelican::detail::Evaluator<double> ed;
    ed.resize(w, h);
    ed.set_target(target_d.data());
    ed.reserve_shapes(types.size());
    auto f = ef.evaluate(types.data(), types.size(), raw_f.data(), tau, pelican::detail::Weights<float>(), nullptr);
    auto d = ed.evaluate(types.data(), types.size(), raw_fd.data(), double(tau), pelican::detail::Weights<double>(),
                         nullptr);
    for (int i = 0; i < 7; ++i)
      EXPECT_NEAR(f.v[i], d.v[i], 1e-5 * std::fabs(d.v[i]) + 1e-9) << cs["label"].text << " term " << i;
  }
}

}  // namespace
