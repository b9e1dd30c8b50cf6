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
#include "parallel.h"
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
  // The model fixes the raw layout and the number of image planes; set it before resize().
  void set_model(const Model& model) { model_ = model; }
  const Model& model() const { return model_; }

  void resize(int width, int height) {
    w_ = width;
    h_ = height;
    scale_ = T(width > height ? width : height);
    const size_t plane = size_t(width) * height, planes = size_t(model_.channels);
    image_.assign(plane * planes, T(0));
    image_grad_.assign(plane * planes, T(0));
    target_.assign(plane * planes, T(1));
    if (model_.channels > 1) {
      luma_.assign(plane, T(0));
      luma_grad_.assign(plane, T(0));
    } else {
      luma_.clear();
      luma_grad_.clear();
    }
    loss_.resize(width, height);
    n_tiles_ = tiles_along(width) * tiles_along(height);
    reserve_shapes(shapes_.size());
  }

  void reserve_shapes(size_t n) {
    shapes_.resize(n);
    tile_class_.resize(n * size_t(n_tiles_));
    value_grad_.resize(n * kValueSlots);
    // Backward scratch per thread the pool runs now (evaluate() re-reserves after a raise).
    scratch_threads_ = thread_count();
    const size_t threads = size_t(scratch_threads_);
    scratch_.resize(threads * backward_scratch_size(n));
    edge_scratch_.resize(threads * n);
    pair_scratch_.resize(threads * 2 * n);
    row_grad_.resize(threads > 1 ? size_t(tiles_along(h_)) * (n * kValueSlots + 3) : 0);
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

  // channels planes of width×height. In colour the structural terms (Sobel, SSIM) see luma.
  void set_target(const T* pixels) {
    std::copy(pixels, pixels + target_.size(), target_.begin());
    if (model_.channels == 1) {
      loss_.set_target(pixels);
    } else {
      to_luma(pixels, luma_.data());
      loss_.set_target(luma_.data());
    }
  }

  // The canvas colour while the model does not fit it (white, the original's, by default).
  void set_fixed_background(const T* values) {
    for (int c = 0; c < model_.channels; ++c) fixed_background_[c] = values[c];
  }

  void fixed_background(T* out) const {
    for (int c = 0; c < model_.channels; ++c) out[c] = fixed_background_[c];
  }

  // Raw floats after the shapes' for the fitted background (0 when it is fixed).
  int background_raw_count() const { return model_.fit_background ? model_.channels : 0; }

  // The target as set: channels planes.
  const T* target() const { return target_.data(); }

  // The background the last evaluate() painted with.
  const T* background() const { return background_; }
  void set_culling(bool on) { cull_ = on; }

  // Caller guarantees: known type codes, raw sized to match (shapes, then the fitted background),
  // reserve_shapes(n) done.
  Terms<T> evaluate(const int32_t* types, size_t n, const T* raw, T tau, const Weights<T>& w, T* grad) {
    // The one allocation evaluate() may make: after set_thread_count() raised the thread count.
    if (scratch_threads_ < thread_count()) reserve_shapes(shapes_.size());
    size_t offset = 0;
    for (size_t k = 0; k < n; ++k) {
      shapes_[k] = make_shape<T>(types[k], offset, raw + offset, model_);
      offset += size_t(raw_params_of(types[k], model_));
    }
    const int C = model_.channels;
    T bg_d[3] = {T(0), T(0), T(0)};
    for (int c = 0; c < C; ++c) {
      if (model_.fit_background) {
        apply_transform(kBackgroundField.transform, raw[offset + c], &background_[c], &bg_d[c]);
      } else {
        background_[c] = fixed_background_[c];
      }
    }
    const int K = int(n);
    classify_tiles<T>(shapes_.data(), K, w_, h_, scale_, tau, cull_, tile_class_.data());

    RasterParams<T> p = {};
    p.shapes = shapes_.data();
    p.shape_count = K;
    p.channels = C;
    p.opacity = model_.opacity;
    p.background = background_;
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

    ImageTerms img = image_terms(w, grad != nullptr);

    std::fill(value_grad_.begin(), value_grad_.begin() + n * kValueSlots, Acc(0));
    Acc bg_grad[3] = {0, 0, 0};
    if (grad) {
      p.image_grad = image_grad_.data();
      p.value_grad = value_grad_.data();
      p.background_grad = model_.fit_background ? bg_grad : nullptr;
      p.scratch = scratch_.data();
      p.edge_scratch = edge_scratch_.data();
      p.pair_scratch = pair_scratch_.data();
      p.row_grad = row_grad_.empty() ? nullptr : row_grad_.data();
      p.scratch_threads = scratch_threads_;
      render_backward(p);
    }
    PriorTerms pri;
    const T ex = T(w_) / scale_, ey = T(h_) / scale_;
    for (size_t k = 0; k < n; ++k)
      shape_priors(shapes_[k], ex, ey, w.perimeter, w.degeneracy, w.canvas, &pri, &value_grad_[k * kValueSlots]);

    if (grad) {
      // Chain rule through the elementwise sigmoid/softplus/identity transforms.
      for (size_t k = 0; k < n; ++k) values_to_raw_grad(shapes_[k], &value_grad_[k * kValueSlots], model_, grad);
      if (model_.fit_background)
        for (int c = 0; c < C; ++c) grad[offset + c] = T(bg_grad[c] * Acc(bg_d[c]));
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
  // ITU-R 601 luma, the same weights the images module uses to turn a picture gray.
  void to_luma(const T* planes, T* out) const {
    const size_t plane = size_t(w_) * h_;
    for (size_t i = 0; i < plane; ++i)
      out[i] = T(0.299) * planes[i] + T(0.587) * planes[plane + i] + T(0.114) * planes[2 * plane + i];
  }

  // Gray: the original's terms on the one plane. Colour: MSE over every channel value, the
  // Sobel and SSIM terms on the luma of render and target, their gradient spread back to the
  // channels by the luma weights.
  ImageTerms image_terms(const Weights<T>& w, bool with_grad) {
    if (model_.channels == 1) return loss_.run(image_.data(), w.edge, w.ssim, with_grad ? image_grad_.data() : nullptr);
    const size_t plane = size_t(w_) * h_;
    to_luma(image_.data(), luma_.data());
    ImageTerms img = loss_.run(luma_.data(), w.edge, w.ssim, with_grad ? luma_grad_.data() : nullptr, false);
    const size_t total = plane * size_t(model_.channels);
    Acc sq = 0;
    for (size_t i = 0; i < total; ++i) {
      const T d = image_[i] - target_[i];
      sq += Acc(d * d);
    }
    img.mse = sq / Acc(double(total));
    if (with_grad) {
      const T two_inv_n = T(2.0 / double(total));
      const T weight[3] = {T(0.299), T(0.587), T(0.114)};
      for (int c = 0; c < model_.channels; ++c)
        for (size_t i = 0; i < plane; ++i) {
          const size_t j = size_t(c) * plane + i;
          image_grad_[j] = two_inv_n * (image_[j] - target_[j]) + weight[c] * luma_grad_[i];
        }
    }
    return img;
  }

  Model model_;
  T fixed_background_[3] = {T(1), T(1), T(1)};
  T background_[3] = {T(1), T(1), T(1)};
  std::vector<T> target_, luma_, luma_grad_;
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
  std::vector<Acc> value_grad_, row_grad_;
  int scratch_threads_ = 1;
  std::vector<T> scratch_, image_, image_grad_;
  ImageLoss<T> loss_;
};

// Forward-only render at any size (allocates; not used in the step loop). raw as in evaluate();
// background is the colour to paint under the shapes (already constrained).
template <class T>
void render_scene(const int32_t* types, size_t n, const T* raw, const Model& model, const T* background, T tau,
                  int width, int height, bool cull, T* out) {
  std::vector<ShapeParams<T>> shapes(n);
  size_t offset = 0;
  for (size_t k = 0; k < n; ++k) {
    shapes[k] = make_shape<T>(types[k], offset, raw + offset, model);
    offset += size_t(raw_params_of(types[k], model));
  }
  const T scale = T(width > height ? width : height);
  std::vector<uint8_t> cls(n * size_t(tiles_along(width) * tiles_along(height)));
  classify_tiles<T>(shapes.data(), int(n), width, height, scale, tau, cull, cls.data());
  RasterParams<T> p = {};
  p.shapes = shapes.data();
  p.shape_count = int(n);
  p.channels = model.channels;
  p.opacity = model.opacity;
  p.background = background;
  p.width = width;
  p.height = height;
  p.scale = scale;
  p.tau = tau;
  p.tile_class = cls.data();
  p.image = out;
  render_forward(p);
}

}  // namespace pelican::detail
