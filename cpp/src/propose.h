// Where to put the next shapes: a stochastic search over shapes against the current residual,
// with each candidate's colour and opacity solved in closed form — what the hill-climbing tools
// (primitive, geometrize) do for their whole fit, used here only to start shapes well. The
// gradient descent then refines every shape jointly, which those tools cannot.
//
// A candidate covers pixel i by w_i = σ(−sdf_i/τ), the engine's own soft coverage, so with
// opacity α the render becomes r + α·w·(c − r). With d = t − r, the best colour per channel
// minimises Σ (d − α w (c − r))²: c = (Σ w d / α + Σ w² r) / Σ w², clamped to [0, 1] (for a
// hard mask, primitive's c = (mean t − (1 − α) mean r) / α). The gain over leaving the pixels as
// they are, 2α Σ w d (c − r) − α² Σ w² (c − r)², expands into five sums a candidate collects in
// one pass over its bounding box (grown by 3τ, where the coverage has faded below 5 %).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "pelican/shape_model.h"
#include "sdf.h"

namespace pelican::detail {

struct ProposeSettings {
  int count = 1;         // shapes to propose, each placed on the residual left by the ones before
  int candidates = 128;  // random shapes tried per proposed shape
  int mutations = 96;    // hill-climbing moves on the best of them
  uint32_t seed = 1;
  uint32_t type_mask = 7;  // bit per shape type code allowed
  double min_size = 1.5;   // pixels: the smallest half-extent tried
  bool opacity = true;     // solve for an opacity (else every proposal is opaque)
};

// One proposal in constrained values: geometry in table order, its paint and opacity.
struct Proposal {
  int32_t type;
  double geometry[kMaxGeometry];
  double paint[3];
  double opacity;
  double gain;  // decrease of the summed squared error (over channels) it brings
};

class Proposer {
 public:
  // target and render: `channels` planes of width × height.
  Proposer(int width, int height, int channels, const float* target, const float* render, double tau)
      : w_(width),
        h_(height),
        c_(channels),
        scale_(double(width > height ? width : height)),
        tau_(tau),
        target_(target, target + size_t(width) * height * channels),
        render_(render, render + size_t(width) * height * channels) {}

  std::vector<Proposal> run(const ProposeSettings& s) {
    rng_ = s.seed ? s.seed : 1u;
    std::vector<Proposal> out;
    for (int k = 0; k < s.count; ++k) {
      build_error_cdf();
      if (cdf_.empty() || cdf_.back() <= 0) break;
      Proposal best{};
      best.gain = 0;
      bool found = false;
      for (int i = 0; i < s.candidates; ++i) {
        Proposal p = random_shape(s);
        score(&p, s.opacity);
        if (!found || p.gain > best.gain) best = p, found = true;
      }
      for (int i = 0; i < s.mutations && found; ++i) {
        Proposal p = mutate(best, s);
        score(&p, s.opacity);
        if (p.gain > best.gain) best = p;
      }
      if (!found || !(best.gain > 0)) break;
      paint(best);
      out.push_back(best);
    }
    return out;
  }

 private:
  double uniform() {  // xorshift32 → [0, 1)
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 17;
    rng_ ^= rng_ << 5;
    return double(rng_) / 4294967296.0;
  }

  size_t plane() const { return size_t(w_) * h_; }

  void build_error_cdf() {
    cdf_.resize(plane());
    double acc = 0;
    for (size_t i = 0; i < plane(); ++i) {
      double e = 0;
      for (int c = 0; c < c_; ++c) {
        const double d = double(target_[c * plane() + i]) - double(render_[c * plane() + i]);
        e += d * d;
      }
      acc += e;
      cdf_[i] = acc;
    }
  }

  // A pixel drawn with probability ∝ its squared error, as normalised coordinates of its centre.
  void sample_point(double* x, double* y) {
    const double u = uniform() * cdf_.back();
    const size_t i = size_t(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
    const size_t j = i < plane() ? i : plane() - 1;
    *x = (double(j % size_t(w_)) + uniform()) / scale_;
    *y = (double(j / size_t(w_)) + uniform()) / scale_;
  }

  int32_t random_type(uint32_t mask) {
    int32_t allowed[kShapeTypeCount];
    int n = 0;
    for (int t = 0; t < kShapeTypeCount; ++t)
      if (mask & (1u << t)) allowed[n++] = t;
    if (n == 0) return kEllipse;
    return allowed[int(uniform() * n) % n];
  }

  // Half-extent in normalised units, log-uniform from min_size px to 40 % of the canvas.
  double random_size(double min_px) {
    const double lo = std::log(min_px / scale_), hi = std::log(0.4);
    return std::exp(lo + (hi - lo) * uniform() * uniform());  // skewed small: details outnumber masses
  }

  Proposal random_shape(const ProposeSettings& s) {
    Proposal p{};
    p.type = random_type(s.type_mask);
    double x, y;
    sample_point(&x, &y);
    const double size = random_size(s.min_size);
    if (p.type == kCircle) {
      p.geometry[0] = x, p.geometry[1] = y, p.geometry[2] = size;
    } else if (p.type == kEllipse) {
      const double aspect = std::exp((uniform() - 0.5) * 2.5);
      p.geometry[0] = x, p.geometry[1] = y;
      p.geometry[2] = size * std::sqrt(aspect), p.geometry[3] = size / std::sqrt(aspect);
      p.geometry[4] = (uniform() - 0.5) * 3.14159265358979;
    } else {
      for (int v = 0; v < 3; ++v) {
        const double a = uniform() * 6.28318530717959, r = size * (0.5 + uniform());
        p.geometry[2 * v] = x + r * std::cos(a);
        p.geometry[2 * v + 1] = y + r * std::sin(a);
      }
    }
    clamp_geometry(&p);
    return p;
  }

  Proposal mutate(const Proposal& from, const ProposeSettings& s) {
    Proposal p = from;
    const int n = shape_spec(p.type)->geometry_count;
    const int i = int(uniform() * n) % n;
    const Transform f = shape_spec(p.type)->geometry[i].transform;
    const double step = 4.0 / scale_ * (uniform() * 2 - 1) * (1 + 4 * uniform() * uniform());
    if (f == Transform::Positive) {
      p.geometry[i] = std::max(s.min_size / (2 * scale_), p.geometry[i] * std::exp(0.4 * (uniform() * 2 - 1)));
    } else if (f == Transform::Angle) {
      p.geometry[i] += 0.5 * (uniform() * 2 - 1);
    } else {
      p.geometry[i] += step;
    }
    clamp_geometry(&p);
    return p;
  }

  void clamp_geometry(Proposal* p) const {
    const ShapeSpec& spec = *shape_spec(p->type);
    for (int i = 0; i < spec.geometry_count; ++i) {
      const FieldSpec& f = spec.geometry[i];
      double lo = f.min, hi = f.max;
      if (f.transform == Transform::Positive) lo = 0.25 / scale_, hi = std::min(hi, 1.5);
      // Keep centres and vertices on the canvas where the engine's logit stays well conditioned.
      if (f.transform == Transform::Unit) lo = 1e-3, hi = 1 - 1e-3;
      p->geometry[i] = std::min(hi, std::max(lo, p->geometry[i]));
    }
  }

  ShapeParams<double> params(const Proposal& p) const {
    ShapeParams<double> s{};
    s.type = p.type;
    const int n = shape_spec(p.type)->geometry_count;
    for (int i = 0; i < n; ++i) s.value[1 + i] = p.geometry[i];
    if (p.type == kEllipse) {
      s.cs = std::cos(s.value[5]);
      s.sn = std::sin(s.value[5]);
    }
    return s;
  }

  // Pixel bounds of the shape's bounding box, clipped to the canvas; false when empty.
  bool bounds(const Proposal& p, int* x0, int* y0, int* x1, int* y1) const {
    double lo_x, lo_y, hi_x, hi_y;
    const double* g = p.geometry;
    if (p.type == kTriangle) {
      lo_x = std::min({g[0], g[2], g[4]}), hi_x = std::max({g[0], g[2], g[4]});
      lo_y = std::min({g[1], g[3], g[5]}), hi_y = std::max({g[1], g[3], g[5]});
    } else {
      const double r = p.type == kCircle ? g[2] : std::max(g[2], g[3]);
      lo_x = g[0] - r, hi_x = g[0] + r, lo_y = g[1] - r, hi_y = g[1] + r;
    }
    const double m = 3 * tau_;
    *x0 = std::max(0, int(std::floor((lo_x - m) * scale_)));
    *y0 = std::max(0, int(std::floor((lo_y - m) * scale_)));
    *x1 = std::min(w_, int(std::ceil((hi_x + m) * scale_)) + 1);
    *y1 = std::min(h_, int(std::ceil((hi_y + m) * scale_)) + 1);
    return *x0 < *x1 && *y0 < *y1;
  }

  // fn(pixel, coverage) for every pixel the shape covers by more than 1e-3.
  template <class F>
  void for_each_covered(const Proposal& p, F&& fn) const {
    int x0, y0, x1, y1;
    if (!bounds(p, &x0, &y0, &x1, &y1)) return;
    const ShapeParams<double> s = params(p);
    for (int y = y0; y < y1; ++y) {
      const double py = (y + 0.5) / scale_;
      for (int x = x0; x < x1; ++x) {
        const double z = sdf_point(s, (x + 0.5) / scale_, py) / tau_;
        if (z > 7) continue;
        const double w = 1.0 / (1.0 + std::exp(z < -10 ? -10 : z));
        fn(size_t(y) * w_ + x, w);
      }
    }
  }

  void score(Proposal* p, bool with_opacity) const {
    double w2 = 0, wd[3] = {}, wdr[3] = {}, w2r[3] = {}, w2rr[3] = {};
    for_each_covered(*p, [&](size_t i, double w) {
      const double ww = w * w;
      w2 += ww;
      for (int c = 0; c < c_; ++c) {
        const double r = render_[c * plane() + i], d = double(target_[c * plane() + i]) - r;
        wd[c] += w * d, wdr[c] += w * d * r, w2r[c] += ww * r, w2rr[c] += ww * r * r;
      }
    });
    p->gain = 0;
    if (w2 < 0.5) return;  // less than about a pixel
    static const double kAlphas[] = {1.0, 0.85, 0.7, 0.5, 0.3};
    const int tries = with_opacity ? 5 : 1;
    for (int a = 0; a < tries; ++a) {
      const double alpha = kAlphas[a];
      double gain = 0, colour[3];
      for (int c = 0; c < c_; ++c) {
        double col = (wd[c] / alpha + w2r[c]) / w2;
        col = std::min(1.0, std::max(0.0, col));
        colour[c] = col;
        const double cross = col * wd[c] - wdr[c];                      // Σ w d (c − r)
        const double sq = col * col * w2 - 2 * col * w2r[c] + w2rr[c];  // Σ w² (c − r)²
        gain += 2 * alpha * cross - alpha * alpha * sq;
      }
      if (gain > p->gain) {
        p->gain = gain;
        p->opacity = alpha;
        for (int c = 0; c < c_; ++c) p->paint[c] = colour[c];
      }
    }
  }

  void paint(const Proposal& p) {
    for_each_covered(p, [&](size_t i, double w) {
      for (int c = 0; c < c_; ++c) {
        float& r = render_[c * plane() + i];
        r = float(r + p.opacity * w * (p.paint[c] - r));
      }
    });
  }

  int w_, h_, c_;
  double scale_, tau_;
  std::vector<float> target_, render_;
  std::vector<double> cdf_;
  uint32_t rng_ = 1;
};

}  // namespace pelican::detail
