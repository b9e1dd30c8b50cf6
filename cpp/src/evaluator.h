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
#include "pelican/engine.h"
#include "priors.h"
#include "raster.h"
#include "sdf.h"

namespace pelican::detail {

// The original's weights unless set: the engine's public defaults (pelican/engine.h), the one
// place they are written.
template <class T>
struct Weights {
  T perimeter = T(LossWeights{}.perimeter), degeneracy = T(LossWeights{}.degeneracy), canvas = T(LossWeights{}.canvas),
    edge = T(LossWeights{}.edge), ssim = T(LossWeights{}.ssim);
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

  // Buffers whose size follows the shape count. The tile lists and the chunks' scratch follow
  // the picture (how many pairs are listed) and grow inside evaluate() when a scene needs more.
  void reserve_shapes(size_t n) {
    shapes_.resize(n);
    value_grad_.resize(n * kValueSlots);
    lists_.reserve(n, size_t(n_tiles_));
    fold_.reserve(n);
    for (ChunkScratch<T>& c : chunks_) c.fit(0, n);
    // One slot per edge pair up to a budget; past it, edge pairs are recomputed.
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

  // Pixels [x0, x1) × [y0, y1), inside the canvas and non-empty (the engine checks): evaluate()
  // then renders, scores and differentiates only the tiles meeting them, the MSE normalised over
  // the window's pixels. The image outside those tiles is left as it was. The caller keeps the
  // Sobel and SSIM weights at 0 meanwhile (they are whole-canvas terms).
  void set_window(int x0, int y0, int x1, int y1) {
    win_x0_ = x0, win_y0_ = y0, win_x1_ = x1, win_y1_ = y1;
    windowed_ = true;
  }
  void clear_window() { windowed_ = false; }

  // Caller guarantees: known type codes, raw sized to match (shapes, then the fitted background),
  // reserve_shapes(n) done.
  Terms<T> evaluate(const int32_t* types, size_t n, const T* raw, T tau, const Weights<T>& w, T* grad) {
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
    const TileRect walk = walked_rect();
    build_tile_lists<T>(shapes_.data(), K, w_, h_, scale_, tau, cull_, walk, &lists_);

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
    p.lists = &lists_;
    p.fold = &fold_;
    p.image = image_.data();
    // The cache only pays when the backward pass follows.
    if (grad) {
      p.cov_cache = cov_cache_.data();
      p.cov_cache_pairs = cov_cache_.size() / (2 * kLanes);
    }
    render_forward(p);

    ImageTerms img = windowed_ ? window_terms(walk, grad != nullptr) : image_terms(w, grad != nullptr);

    std::fill(value_grad_.begin(), value_grad_.begin() + n * kValueSlots, Acc(0));
    Acc bg_grad[3] = {0, 0, 0};
    if (grad) {
      p.image_grad = image_grad_.data();
      p.value_grad = value_grad_.data();
      p.background_grad = model_.fit_background ? bg_grad : nullptr;
      for (int c = 0; c < chunk_count(walk); ++c) chunks_[c].fit(lists_.max_entries, n);
      p.chunks = chunks_;
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
  TileRect walked_rect() const {
    if (!windowed_) return TileRect{0, 0, tiles_along(w_), tiles_along(h_)};
    return TileRect{win_x0_ / kTileSide, win_y0_ / kTileSide, tiles_along(win_x1_), tiles_along(win_y1_)};
  }

  // The MSE over the window's pixels (every channel value) and its gradient, which is zero on
  // the rest of the walked tiles so the backward pass reads nothing stale. Gray works on the
  // complements as ImageLoss does, so a window over the whole canvas rounds like it.
  ImageTerms window_terms(TileRect walk, bool with_grad) {
    const int C = model_.channels;
    const size_t plane = size_t(w_) * h_;
    const size_t n = size_t(win_x1_ - win_x0_) * size_t(win_y1_ - win_y0_) * size_t(C);
    const T two_inv_n = T(2.0 / double(n));
    const int gx0 = walk.x0 * kTileSide, gx1 = std::min(walk.x1 * kTileSide, w_);
    const int gy0 = walk.y0 * kTileSide, gy1 = std::min(walk.y1 * kTileSide, h_);
    Acc sq = 0;
    for (int c = 0; c < C; ++c) {
      const T* r = image_.data() + size_t(c) * plane;
      const T* t = target_.data() + size_t(c) * plane;
      T* g = image_grad_.data() + size_t(c) * plane;
      if (with_grad)
        for (int y = gy0; y < gy1; ++y) std::fill(g + size_t(y) * w_ + gx0, g + size_t(y) * w_ + gx1, T(0));
      for (int y = win_y0_; y < win_y1_; ++y) {
        T part[8] = {};
        const size_t row = size_t(y) * w_;
        for (int x = win_x0_; x < win_x1_; ++x) {
          const T d = C == 1 ? (T(1) - r[row + x]) - (T(1) - t[row + x]) : r[row + x] - t[row + x];
          part[(x - win_x0_) & 7] += d * d;
          if (with_grad) g[row + x] = C == 1 ? -two_inv_n * d : two_inv_n * d;
        }
        for (int j = 0; j < 8; ++j) sq += Acc(part[j]);
      }
    }
    ImageTerms img;
    img.mse = sq / Acc(double(n));
    return img;
  }

  // ITU-R 601 luma, the same weights the images module uses to turn a picture gray.
  void to_luma(const T* planes, T* out) const {
    const size_t plane = size_t(w_) * h_;
    for (size_t i = 0; i < plane; ++i)
      out[i] = T(0.299) * planes[i] + T(0.587) * planes[plane + i] + T(0.114) * planes[2 * plane + i];
  }

  // Gray: the original's terms on the one plane. Colour: MSE over every channel value, the
  // Sobel and SSIM terms on the luma of render and target, their gradient spread back to the
  // channels by the luma weights. Without those terms (vectorize's weights) no luma is formed,
  // and the MSE runs in fixed bands of rows across the threads, summed in band order so the
  // result does not depend on the thread count.
  ImageTerms image_terms(const Weights<T>& w, bool with_grad) {
    if (model_.channels == 1) return loss_.run(image_.data(), w.edge, w.ssim, with_grad ? image_grad_.data() : nullptr);
    const size_t plane = size_t(w_) * h_;
    const bool structural = w.edge > T(0) || w.ssim > T(0);
    ImageTerms img;
    if (structural) {
      to_luma(image_.data(), luma_.data());
      img = loss_.run(luma_.data(), w.edge, w.ssim, with_grad ? luma_grad_.data() : nullptr, false);
    }
    const int channels = model_.channels;
    const size_t total = plane * size_t(channels);
    const T two_inv_n = T(2.0 / double(total));
    const T weight[3] = {T(0.299), T(0.587), T(0.114)};
    const int bands = std::max(1, std::min(h_, kMaxChunks));
    Acc partial[kMaxChunks] = {};
    parallel_chunks(bands, [&](int band) {
      const size_t begin = plane * size_t(band) / size_t(bands), end = plane * size_t(band + 1) / size_t(bands);
      Acc sq = 0;
      for (int c = 0; c < channels; ++c) {
        const T* PELICAN_RESTRICT r = image_.data() + size_t(c) * plane;
        const T* PELICAN_RESTRICT t = target_.data() + size_t(c) * plane;
        for (size_t i = begin; i < end; ++i) {
          const T d = r[i] - t[i];
          sq += Acc(d * d);
        }
        if (!with_grad) continue;
        T* PELICAN_RESTRICT g = image_grad_.data() + size_t(c) * plane;
        if (structural) {
          for (size_t i = begin; i < end; ++i) g[i] = two_inv_n * (r[i] - t[i]) + weight[c] * luma_grad_[i];
        } else {
          for (size_t i = begin; i < end; ++i) g[i] = two_inv_n * (r[i] - t[i]);
        }
      }
      partial[band] = sq;
    });
    Acc sq = 0;
    for (int band = 0; band < bands; ++band) sq += partial[band];
    img.mse = sq / Acc(double(total));
    return img;
  }

  Model model_;
  T fixed_background_[3] = {T(1), T(1), T(1)};
  T background_[3] = {T(1), T(1), T(1)};
  std::vector<T> target_, luma_, luma_grad_;
  int w_ = 0, h_ = 0, n_tiles_ = 0;
  T scale_ = T(1);
  bool cull_ = true;
  bool windowed_ = false;
  int win_x0_ = 0, win_y0_ = 0, win_x1_ = 0, win_y1_ = 0;
  std::vector<ShapeParams<T>> shapes_;
  // 16384 pairs: 8 MB of float coverage, every pair of 128²×35 or 256²×9 shapes, and the edge
  // pairs of 256²×35 (culling leaves a fraction of the pairs as edges).
  size_t cov_cache_limit_ = 16384;
  TileLists lists_;
  FoldTables fold_;
  ChunkScratch<T> chunks_[kMaxChunks];
  std::vector<T> cov_cache_;
  std::vector<Acc> value_grad_;
  std::vector<T> image_, image_grad_;
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
  const TileRect walk{0, 0, tiles_along(width), tiles_along(height)};
  TileLists lists;
  lists.reserve(n, size_t(walk.count()));
  build_tile_lists<T>(shapes.data(), int(n), width, height, scale, tau, cull, walk, &lists);
  FoldTables fold;
  fold.reserve(n);
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
  p.lists = &lists;
  p.fold = &fold;
  p.image = out;
  render_forward(p);
}

}  // namespace pelican::detail
