// One loss evaluation: raw parameters → shapes → render → loss → gradient w.r.t. raw.
// Templated on the scalar so the tests can run the identical pipeline in double. All buffers are
// sized by resize()/reserve_shapes(); evaluate() itself never allocates.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fastmath.h"
#include "loss.h"
#include "priors.h"
#include "raster.h"
#include "sdf.h"

namespace pelican::detail {

template <class T>
struct Weights {
  T perimeter = T(0.001), degeneracy = T(0.1), canvas = T(1.0), edge = T(0.1), ssim = T(0.05);
};

// mse, edge, ssim, perimeter, degeneracy, canvas, total
template <class T>
struct Terms {
  Acc v[7] = {};
};

template <class T>
class Evaluator {
 public:
  void resize(int width, int height) {
    w_ = width;
    h_ = height;
    scale_ = T(width > height ? width : height);
    image_.assign(size_t(width) * height, T(0));
    image_grad_.assign(size_t(width) * height, T(0));
    loss_.resize(width, height);
    n_tiles_ = tiles_along(width) * tiles_along(height);
    reserve_shapes(shapes_.size());
  }

  void reserve_shapes(size_t n) {
    shapes_.resize(n);
    tile_class_.resize(n * size_t(n_tiles_));
    value_grad_.resize(n * 7);
    scratch_.resize(n * (3 * kLanes + 7 * kTileSide + 1));
    edge_scratch_.resize(n);
    pair_scratch_.resize(2 * n);
    cov_slot_.resize(n * size_t(n_tiles_));
    // One slot per (shape, tile) pair up to a budget; past it, edge pairs are recomputed.
    const size_t pairs = std::min(n * size_t(n_tiles_), cov_cache_limit_);
    cov_cache_.resize(pairs * 2 * kLanes);
  }

  // Coverage cache budget in (shape, tile) pairs; 0 turns the cache off (tests compare both).
  void set_coverage_cache_limit(size_t pairs) {
    cov_cache_limit_ = pairs;
    reserve_shapes(shapes_.size());
  }

  void set_target(const T* pixels) { loss_.set_target(pixels); }
  void set_culling(bool on) { cull_ = on; }

  // Caller guarantees: known type codes, raw sized to match, reserve_shapes(n) done.
  Terms<T> evaluate(const int32_t* types, size_t n, const T* raw, T tau, const Weights<T>& w, T* grad) {
    size_t offset = 0;
    for (size_t k = 0; k < n; ++k) {
      shapes_[k] = make_shape<T>(types[k], offset, raw + offset);
      offset += size_t(raw_params_of(types[k]));
    }
    const int K = int(n);
    classify_tiles<T>(shapes_.data(), K, w_, h_, scale_, tau, cull_, tile_class_.data());

    RasterParams<T> p = {};
    p.shapes = shapes_.data();
    p.shape_count = K;
    p.width = w_;
    p.height = h_;
    p.scale = scale_;
    p.tau = tau;
    p.tile_class = tile_class_.data();
    p.image = image_.data();
    // The cache only pays when the backward pass follows.
    if (grad) {
      p.cov_cache = cov_cache_.data();
      p.cov_cache_pairs = cov_cache_.size() / (2 * kLanes);
      p.cov_slot = cov_slot_.data();
    }
    render_forward(p);

    ImageTerms img = loss_.run(image_.data(), w.edge, w.ssim, grad ? image_grad_.data() : nullptr);

    std::fill(value_grad_.begin(), value_grad_.begin() + n * 7, Acc(0));
    if (grad) {
      p.image_grad = image_grad_.data();
      p.value_grad = value_grad_.data();
      p.scratch = scratch_.data();
      p.edge_scratch = edge_scratch_.data();
      p.pair_scratch = pair_scratch_.data();
      render_backward(p);
    }
    PriorTerms pri;
    const T ex = T(w_) / scale_, ey = T(h_) / scale_;
    for (size_t k = 0; k < n; ++k)
      shape_priors(shapes_[k], ex, ey, w.perimeter, w.degeneracy, w.canvas, &pri, &value_grad_[k * 7]);

    if (grad) {
      // Chain rule through the elementwise sigmoid/softplus/identity transforms.
      for (size_t k = 0; k < n; ++k) {
        const ShapeParams<T>& s = shapes_[k];
        const int m = raw_params_of(s.type);
        for (int i = 0; i < m; ++i) grad[s.offset + i] = T(value_grad_[k * 7 + i] * Acc(s.dvalue[i]));
      }
    }

    Terms<T> t;
    t.v[0] = img.mse;
    t.v[1] = img.edge;
    t.v[2] = img.ssim;
    t.v[3] = pri.perimeter;
    t.v[4] = pri.degeneracy;
    t.v[5] = pri.canvas;
    t.v[6] = img.mse + Acc(w.perimeter) * pri.perimeter + Acc(w.degeneracy) * pri.degeneracy +
             Acc(w.canvas) * pri.canvas + Acc(w.edge) * img.edge + Acc(w.ssim) * img.ssim;
    return t;
  }

  const T* image() const { return image_.data(); }
  int width() const { return w_; }
  int height() const { return h_; }

 private:
  int w_ = 0, h_ = 0, n_tiles_ = 0;
  T scale_ = T(1);
  bool cull_ = true;
  std::vector<ShapeParams<T>> shapes_;
  // 16384 pairs: 8 MB of float coverage, every pair of 128²×35 or 256²×9 shapes, and the edge
  // pairs of 256²×35 (culling leaves a fraction of the pairs as edges).
  size_t cov_cache_limit_ = 16384;
  std::vector<uint8_t> tile_class_, edge_scratch_;
  std::vector<int32_t> cov_slot_;
  std::vector<const T*> pair_scratch_;
  std::vector<T> cov_cache_;
  std::vector<Acc> value_grad_;
  std::vector<T> scratch_, image_, image_grad_;
  ImageLoss<T> loss_;
};

// Forward-only render at any size (allocates; not used in the step loop).
template <class T>
void render_scene(const int32_t* types, size_t n, const T* raw, T tau, int width, int height, bool cull, T* out) {
  std::vector<ShapeParams<T>> shapes(n);
  size_t offset = 0;
  for (size_t k = 0; k < n; ++k) {
    shapes[k] = make_shape<T>(types[k], offset, raw + offset);
    offset += size_t(raw_params_of(types[k]));
  }
  const T scale = T(width > height ? width : height);
  std::vector<uint8_t> cls(n * size_t(tiles_along(width) * tiles_along(height)));
  classify_tiles<T>(shapes.data(), int(n), width, height, scale, tau, cull, cls.data());
  RasterParams<T> p = {};
  p.shapes = shapes.data();
  p.shape_count = int(n);
  p.width = width;
  p.height = height;
  p.scale = scale;
  p.tau = tau;
  p.tile_class = cls.data();
  p.image = out;
  render_forward(p);
}

}  // namespace pelican::detail
