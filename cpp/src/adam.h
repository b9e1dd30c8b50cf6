// Optimiser pieces (§5, §13): PyTorch-form Adam, global-norm clipping, cosine learning rate and
// exponential τ annealing. Free functions over flat arrays so the engine and the tests share them.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "pelican/engine.h"

namespace pelican::detail {

// τ(step) = τ_start·(τ_end/τ_start)^(step/steps); τ_end when steps = 0.
inline float tau_at(double tau_start, double tau_end, int step, int steps) {
  if (steps <= 0) return float(tau_end);
  return float(tau_start * std::pow(tau_end / tau_start, double(step) / double(steps)));
}

// CosineAnnealingLR(T_max = steps, eta_min = lr/20), indexed by the number of updates already
// made (a skipped step does not advance the scheduler, as in the original).
inline float cosine_lr(double lr, int updates, int steps) {
  if (steps <= 0) return float(lr);
  const double eta_min = lr / 20.0;
  const double pi = 3.14159265358979323846;
  return float(eta_min + (lr - eta_min) * (1.0 + std::cos(pi * double(updates) / double(steps))) / 2.0);
}

// True when every active gradient is finite.
inline bool grads_finite(const float* g, const uint8_t* active, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (active[i] && !std::isfinite(g[i])) return false;
  return true;
}

// clip_grad_norm_: scales active gradients by min(1, max_norm/(‖g‖₂ + 1e−6)); returns the norm.
inline double clip_global_norm(float* g, const uint8_t* active, size_t n, double max_norm) {
  double sq = 0;
  for (size_t i = 0; i < n; ++i)
    if (active[i]) sq += double(g[i]) * double(g[i]);
  const double norm = std::sqrt(sq);
  double coef = max_norm / (norm + 1e-6);
  if (coef > 1.0) coef = 1.0;
  const float c = float(coef);
  for (size_t i = 0; i < n; ++i)
    if (active[i]) g[i] *= c;
  return norm;
}

// One Adam update (β 0.9/0.999, ε 1e−8, t counted from 1) of the active parameters.
inline void adam_update(float* theta, const float* g, float* m, float* v, const uint8_t* active, size_t n, int t,
                        float lr) {
  const double b1 = 0.9, b2 = 0.999;
  const double bc1 = 1.0 - std::pow(b1, t), bc2 = 1.0 - std::pow(b2, t);
  const float step_size = float(double(lr) / bc1);
  const float bc2_sqrt = float(std::sqrt(bc2));
  for (size_t i = 0; i < n; ++i) {
    if (!active[i]) continue;
    m[i] = m[i] + (g[i] - m[i]) * float(1.0 - b1);  // lerp, as torch does it
    v[i] = v[i] * float(b2) + g[i] * g[i] * float(1.0 - b2);
    const float denom = std::sqrt(v[i]) / bc2_sqrt + 1e-8f;
    theta[i] -= step_size * (m[i] / denom);
  }
}

// ---------------------------------------------------------------------------------------------
// The optimisation loop of §5 as a state machine, one measured step at a time, so a host can
// stream progress and cancel. The caller measures loss and gradient at `raw` with tau(), then
// calls advance(). Differences from the original, on purpose: the best snapshot is taken before
// the update (the restored parameters are the ones whose loss was best), and an infinite
// gradient is skipped like a NaN one (clipping would turn it into a NaN update).
struct OptimizerRun {
  int steps = 0;
  double lr = OptimizeOptions{}.lr, tau_start = 0, tau_end = 0, clip_norm = OptimizeOptions{}.clip_norm;

  int step = 0;       // loop index (τ advances on every measured step)
  int updates = 0;    // Adam updates made (drives the cosine schedule and bias correction)
  int completed = 0;  // steps whose loss was finite (history length)
  bool skipped = false, nan_stop = false, done = false;
  float best = std::numeric_limits<float>::infinity();
  std::vector<float> best_raw, m, v;

  void begin(int n_steps, double lr_, double tau_start_, double tau_end_, double clip, const float* raw, size_t n) {
    steps = n_steps;
    lr = lr_;
    tau_start = tau_start_;
    tau_end = tau_end_;
    clip_norm = clip;
    step = updates = completed = 0;
    skipped = nan_stop = false;
    done = n_steps <= 0;
    best = std::numeric_limits<float>::infinity();
    best_raw.assign(raw, raw + n);
    m.assign(n, 0.0f);
    v.assign(n, 0.0f);
  }

  float tau() const { return tau_at(tau_start, tau_end, step, steps); }

  // grad is modified (clipped) in place; raw is updated unless the step is skipped.
  void advance(float total, float* grad, float* raw, const uint8_t* active, size_t n) {
    ++step;
    skipped = false;
    if (std::isnan(total)) {  // NaN-loss stop: not counted, nothing updated
      nan_stop = done = true;
      return;
    }
    ++completed;
    if (!grads_finite(grad, active, n)) {  // skip: no update, scheduler and Adam t stay put
      skipped = true;
    } else {
      bool finite = true;
      for (size_t i = 0; i < n; ++i) finite = finite && std::isfinite(raw[i]);
      if (total < best && finite) {
        best = total;
        best_raw.assign(raw, raw + n);
      }
      clip_global_norm(grad, active, n, clip_norm);
      const float lr_t = cosine_lr(lr, updates, steps);
      ++updates;
      adam_update(raw, grad, m.data(), v.data(), active, n, updates, lr_t);
    }
    done = step >= steps;
  }

  // Puts the best parameters back (no-op when no step was recorded).
  void restore(float* raw, size_t n) const {
    if (std::isfinite(best) && best_raw.size() == n)
      for (size_t i = 0; i < n; ++i) raw[i] = best_raw[i];
  }
};

}  // namespace pelican::detail
