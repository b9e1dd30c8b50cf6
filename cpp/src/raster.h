// Soft rasteriser (§2.4, §3): coverage σ(−clamp(sdf/τ, −10, 10)) composited back to front over
// white, and its hand-written backward pass (§13).
//
// The canvas is walked in 8×8 tiles of 64 lanes; every inner loop runs over those lanes with no
// branches so it vectorises. A (shape, tile) pair whose conservative SDF bound puts every pixel
// beyond ±10τ is "saturated": the clamp makes its coverage the constant σ(∓10) and its SDF
// gradient exactly zero, so skipping the SDF there changes no bit of the result. Classification
// with culling off marks every pair as an edge pair, which is the plain path the tests compare.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "fastmath.h"
#include "sdf.h"
#include "simd_wasm.h"

namespace pelican::detail {

constexpr int kTileSide = 8;
constexpr int kLanes = kTileSide * kTileSide;

enum : uint8_t { kTileEdge = 0, kTileOutside = 1, kTileInside = 2 };

inline int tiles_along(int pixels) { return (pixels + kTileSide - 1) / kTileSide; }

// Tiles [x0, x1) × [y0, y1); by default every tile of a canvas.
struct TileRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int count() const { return (x1 - x0) * (y1 - y0); }
};

template <class T>
struct RasterParams {
  const ShapeParams<T>* shapes;  // Incoming: shapes back to front
  int shape_count;               // Incoming
  int channels;                  // Incoming: 1 (gray) or 3; image and image_grad hold that many planes
  bool opacity;                  // Incoming: shapes carry a fitted opacity (ShapeParams::alpha)
  const T* background;           // Incoming: canvas colour, one value per channel
  Acc* background_grad;          // Outgoing (backward, nullable): dL/d background per channel (added)
  int width, height;             // Incoming: canvas in pixels
  T scale;                       // Incoming: S = max(width, height)
  T tau;                         // Incoming: softness in normalised units
  // Incoming: the tiles [tx0, tx1) × [ty0, ty1) to walk (a window); tx1 == 0 means every tile.
  // Pixels outside them are neither written (forward) nor read (backward).
  int tx0, ty0, tx1, ty1;
  const uint8_t* tile_class;     // Incoming: [shape][tile] kTileEdge / kTileOutside / kTileInside
  T* image;                      // Outgoing (forward): channels planes of width*height, row-major
  const T* image_grad;           // Incoming (backward): dL/dimage, same layout
  Acc* value_grad;               // Outgoing (backward): [shape][kValueSlots] dL/d constrained values (added)
  T* scratch;                    // Incoming (backward): shape_count*(3*kLanes + kValueSlots*kTileSide + 1) scalars
  uint8_t* edge_scratch;         // Incoming (backward): shape_count bytes
  // Optional coverage cache (all null/0 for none): the forward pass keeps c and dc/ds of the
  // first cov_cache_pairs edge pairs it meets, the backward pass of the same evaluation reads
  // them instead of recomputing the SDF and the coverage. Pairs that did not fit are recomputed
  // by the very same lane code, so the cache changes no bit of the result.
  T* cov_cache;                  // Outgoing (forward) / incoming (backward): [slot][c, dc/ds][kLanes]
  size_t cov_cache_pairs;        // Incoming: slots in cov_cache
  int32_t* cov_slot;             // Outgoing (forward) / incoming (backward): [shape][tile] slot, −1 none
  const T** pair_scratch;        // Incoming (backward): 2·shape_count pointers
};

template <class T>
inline TileRect walked_tiles(const RasterParams<T>& p) {
  if (p.tx1 > 0) return TileRect{p.tx0, p.ty0, p.tx1, p.ty1};
  return TileRect{0, 0, tiles_along(p.width), tiles_along(p.height)};
}

// ---------------------------------------------------------------------------------------------
// Shared setup: tile coordinates, coverage, saturated constants, tile classification.

// Pixel centres of a tile: one row of X and one column of Y are computed (the divisions) and
// broadcast, which gives the same values as dividing per lane.
template <class T>
inline void tile_coords(int tx, int ty, T scale, T* X, T* Y) {
  T xs[kTileSide], ys[kTileSide];
  for (int j = 0; j < kTileSide; ++j) {
    xs[j] = (T(tx * kTileSide + j) + T(0.5)) / scale;
    ys[j] = (T(ty * kTileSide + j) + T(0.5)) / scale;
  }
  for (int r = 0; r < kTileSide; ++r)
    for (int j = 0; j < kTileSide; ++j) {
      X[r * kTileSide + j] = xs[j];
      Y[r * kTileSide + j] = ys[r];
    }
}

template <class T>
inline void sdf_lanes(const ShapeParams<T>& s, const T* X, const T* Y, T* out) {
  switch (s.type) {
    case kCircle:
      for (int i = 0; i < kLanes; ++i) out[i] = sdf_circle(s, X[i], Y[i]);
      break;
    case kEllipse:
      for (int i = 0; i < kLanes; ++i) out[i] = sdf_ellipse(s, X[i], Y[i]);
      break;
    default:
      for (int i = 0; i < kLanes; ++i) out[i] = sdf_triangle(s, X[i], Y[i]);
      break;
  }
}

// c = σ(−clamp(s/τ, −10, 10)); dc/ds = −c(1−c)/τ on the closed interval, 0 outside (PyTorch's
// clamp passes the gradient at the bounds).
template <class T>
inline void coverage_lanes(const T* s, T tau, T* c, T* dcds) {
  for (int i = 0; i < kLanes; ++i) {
    T z = s[i] / tau;
    T zc = clampv(z, T(-10), T(10));
    T cov = T(1) / (T(1) + fast_exp(zc));
    c[i] = cov;
    if (dcds) dcds[i] = ((z >= T(-10)) & (z <= T(10))) ? -cov * (T(1) - cov) / tau : T(0);
  }
}
#if PELICAN_WASM_SIMD
template <>
inline void coverage_lanes<float>(const float* s, float tau, float* c, float* dcds) {
  wasm::coverage_lanes(s, tau, c, dcds, kLanes);
}
#endif

// The saturated coverages, computed by the very lane code the edge path runs so they are
// bit-identical to what it would produce.
template <class T>
inline void saturated_coverages(T tau, T* c_out, T* c_in) {
  T s[kLanes], c[kLanes];
  for (int i = 0; i < kLanes; ++i) s[i] = (i & 1) ? T(-20) * tau : T(20) * tau;
  coverage_lanes<T>(s, tau, c, nullptr);
  *c_out = c[0];
  *c_in = c[1];
}

template <class T>
void classify_tiles(const ShapeParams<T>* shapes, int shape_count, int width, int height, T scale, T tau,
                    bool cull, uint8_t* out, TileRect rect = TileRect{}) {
  const int tx_n = tiles_along(width), ty_n = tiles_along(height), n_tiles = tx_n * ty_n;
  if (rect.x1 == 0) rect = TileRect{0, 0, tx_n, ty_n};
  const int rect_w = rect.x1 - rect.x0, n_rect = rect.count();
  auto tile_of = [&](int i) { return (rect.y0 + i / rect_w) * tx_n + rect.x0 + i % rect_w; };
  if (!cull) {
    for (int k = 0; k < shape_count; ++k)
      for (int i = 0; i < n_rect; ++i) out[size_t(k) * n_tiles + tile_of(i)] = kTileEdge;
    return;
  }
  // Farthest pixel centre of a tile from the tile's centre: √2 · 3.5 px.
  const double reach = 3.5 * std::sqrt(2.0) / double(scale);
  // 1e-3 relative + 1e-5 absolute margin dwarfs the float rounding of the per-pixel SDF (and of
  // this bound), so a pixel in a culled tile is certain to have |s/τ| > 10 when computed.
  const T limit = T(10.0 * double(tau) * (1.0 + 1e-3) + 1e-5);
  // Tile centres in chunks of 64 so the SDF runs through the same vectorised lane loops.
  alignas(64) T X[kLanes], Y[kLanes], sd[kLanes];
  for (int first = 0; first < n_rect; first += kLanes) {
    const int count = n_rect - first < kLanes ? n_rect - first : kLanes;
    for (int i = 0; i < kLanes; ++i) {
      const int tile = tile_of(first + (i < count ? i : 0));
      X[i] = T((tile % tx_n) * kTileSide + 4) / scale;
      Y[i] = T((tile / tx_n) * kTileSide + 4) / scale;
    }
    for (int k = 0; k < shape_count; ++k) {
      const ShapeParams<T>& s = shapes[k];
      sdf_lanes(s, X, Y, sd);
      const T bound = T(double(s.lipschitz) * (1.0 + 1e-3) * reach);
      uint8_t* row = out + size_t(k) * n_tiles;
      for (int i = 0; i < count; ++i) {
        const T margin = std::fabs(sd[i]) - bound;
        // NaN/inf bounds compare false and stay edge tiles.
        row[tile_of(first + i)] = margin > limit ? (sd[i] > T(0) ? kTileOutside : kTileInside) : kTileEdge;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Forward: composite every shape over the background. C channels share one coverage per shape;
// with opacity the coverage is α·c. For C = 1 without opacity over white this is the original's
// arithmetic operation for operation (α is not even multiplied in).

template <class T>
inline void store_tile(const T* o, int tx, int ty, int width, int height, T* plane) {
  const int x0 = tx * kTileSide, y0 = ty * kTileSide;
  const int nx = width - x0 < kTileSide ? width - x0 : kTileSide;
  const int ny = height - y0 < kTileSide ? height - y0 : kTileSide;
  // A constant trip count for full tiles: g++ otherwise emits rep movs, slow for 8 floats.
  if (nx == kTileSide) {
    for (int r = 0; r < ny; ++r)
      for (int j = 0; j < kTileSide; ++j) plane[size_t(y0 + r) * width + x0 + j] = o[r * kTileSide + j];
  } else {
    for (int r = 0; r < ny; ++r)
      for (int j = 0; j < nx; ++j) plane[size_t(y0 + r) * width + x0 + j] = o[r * kTileSide + j];
  }
}

template <class T, int C, bool A>
void render_forward_impl(const RasterParams<T>& p) {
  const int tx_n = tiles_along(p.width), ty_n = tiles_along(p.height), n_tiles = tx_n * ty_n;
  const size_t plane = size_t(p.width) * p.height;
  T c_out, c_in;
  saturated_coverages(p.tau, &c_out, &c_in);
  alignas(64) T X[kLanes], Y[kLanes], o[C][kLanes], s[kLanes], c[kLanes], cp[kLanes];
  size_t next_slot = 0;
  const TileRect walk = walked_tiles(p);
  for (int ty = walk.y0; ty < walk.y1; ++ty)
    for (int tx = walk.x0; tx < walk.x1; ++tx) {
      const int tile = ty * tx_n + tx;
      tile_coords(tx, ty, p.scale, X, Y);
      for (int ch = 0; ch < C; ++ch)
        for (int i = 0; i < kLanes; ++i) o[ch][i] = p.background[ch];
      for (int k = 0; k < p.shape_count; ++k) {
        const ShapeParams<T>& sh = p.shapes[k];
        const uint8_t cls = p.tile_class[size_t(k) * n_tiles + tile];
        if (cls == kTileEdge) {
          sdf_lanes(sh, X, Y, s);
          const T* ck = c;
          if (next_slot < p.cov_cache_pairs) {
            T* slot = p.cov_cache + next_slot * 2 * kLanes;
            p.cov_slot[size_t(k) * n_tiles + tile] = int32_t(next_slot++);
            coverage_lanes<T>(s, p.tau, slot, slot + kLanes);
            ck = slot;
          } else {
            if (p.cov_slot) p.cov_slot[size_t(k) * n_tiles + tile] = -1;
            coverage_lanes<T>(s, p.tau, c, nullptr);
          }
          if constexpr (A) {
            for (int i = 0; i < kLanes; ++i) cp[i] = sh.alpha * ck[i];
            ck = cp;
          }
          for (int ch = 0; ch < C; ++ch) {
            const T I = sh.paint[ch];
            for (int i = 0; i < kLanes; ++i) o[ch][i] = (T(1) - ck[i]) * o[ch][i] + ck[i] * I;
          }
        } else {
          T cc = cls == kTileOutside ? c_out : c_in;
          if constexpr (A) cc = sh.alpha * cc;
          for (int ch = 0; ch < C; ++ch) {
            const T I = sh.paint[ch];
            for (int i = 0; i < kLanes; ++i) o[ch][i] = (T(1) - cc) * o[ch][i] + cc * I;
          }
        }
      }
      for (int ch = 0; ch < C; ++ch) store_tile(o[ch], tx, ty, p.width, p.height, p.image + ch * plane);
    }
}

template <class T>
void render_forward(const RasterParams<T>& p) {
  if (p.channels == 3) {
    p.opacity ? render_forward_impl<T, 3, true>(p) : render_forward_impl<T, 3, false>(p);
  } else {
    p.opacity ? render_forward_impl<T, 1, true>(p) : render_forward_impl<T, 1, false>(p);
  }
}

// ---------------------------------------------------------------------------------------------
// Backward: with T_k = Π_{j>k}(1 − c_j), ∂o/∂c_k = (I_k − o_{k−1})·T_k and ∂o/∂I_k = c_k·T_k.
// Per tile: recompute every coverage (forward setup repeated), build the suffix products T_k,
// then walk front-to-back again re-deriving o_{k−1} — no division by (1 − c), which would lose
// float precision where c saturates at σ(10).

// Adds a 64-lane tile into an 8-lane accumulator, row by row: lane-wise adds vectorise without
// reassociation, and the horizontal sum is left for once per tile row (flush_lanes).
template <class T>
PELICAN_INLINE void add_lanes(const T* a, T* acc8) {
  for (int r = 0; r < kTileSide; ++r)
    for (int j = 0; j < kTileSide; ++j) acc8[j] += a[r * kTileSide + j];
}

template <class T>
inline void flush_lanes(T* acc8, Acc* out) {
  Acc total = 0;
  for (int j = 0; j < kTileSide; ++j) {
    total += Acc(acc8[j]);
    acc8[j] = T(0);
  }
  *out += total;
}

// acc8: [6][8] lane accumulators for the geometry values of this shape.
template <class T>
inline void sdf_grad_lanes(const ShapeParams<T>& s, const T* X, const T* Y, const T* gs, T* acc8) {
  alignas(64) T g[6][kLanes];
  switch (s.type) {
    case kCircle:
      for (int i = 0; i < kLanes; ++i) {
        T t[6];
        sdf_circle_grad(s, X[i], Y[i], gs[i], t);
        g[0][i] = t[0], g[1][i] = t[1], g[2][i] = t[2];
      }
      for (int j = 0; j < 3; ++j) add_lanes(g[j], acc8 + j * kTileSide);
      break;
    case kEllipse:
      for (int i = 0; i < kLanes; ++i) {
        T t[6];
        sdf_ellipse_grad(s, X[i], Y[i], gs[i], t);
        g[0][i] = t[0], g[1][i] = t[1], g[2][i] = t[2], g[3][i] = t[3], g[4][i] = t[4];
      }
      for (int j = 0; j < 5; ++j) add_lanes(g[j], acc8 + j * kTileSide);
      break;
    default:
      for (int i = 0; i < kLanes; ++i) {
        T t[6];
        sdf_triangle_grad(s, X[i], Y[i], gs[i], t);
        for (int j = 0; j < 6; ++j) g[j][i] = t[j];
      }
      for (int j = 0; j < 6; ++j) add_lanes(g[j], acc8 + j * kTileSide);
      break;
  }
}

template <class T, int C, bool A>
void render_backward_impl(const RasterParams<T>& p) {
  const int tx_n = tiles_along(p.width), ty_n = tiles_along(p.height), n_tiles = tx_n * ty_n;
  const size_t plane = size_t(p.width) * p.height;
  const int K = p.shape_count;
  // The original's path (gray, opaque) keeps its fused Wasm SIMD pair kernels.
  constexpr bool kPlain = C == 1 && !A;
  T c_out, c_in;
  saturated_coverages(p.tau, &c_out, &c_in);
  T* cov = p.scratch;                          // [K][64] coverage
  T* dcds = p.scratch + size_t(K) * kLanes;     // [K][64] dc/ds (edge pairs only)
  T* trans = p.scratch + size_t(2 * K) * kLanes;  // [K][64] T_k
  T* lanes = p.scratch + size_t(3 * K) * kLanes;  // [K][kValueSlots][8] partial sums, flushed per tile row
  T* cconst = lanes + size_t(K) * kValueSlots * kTileSide;  // [K] saturated coverage of this tile
  uint8_t* edge = p.edge_scratch;                 // [K] 1 = edge pair in this tile
  const T** ck_of = p.pair_scratch;               // [K] where each edge pair's c is (cache or cov)
  const T** dk_of = p.pair_scratch + K;           // [K] and its dc/ds (cache or dcds)
  for (size_t i = 0; i < size_t(K) * kValueSlots * kTileSide; ++i) lanes[i] = T(0);
  alignas(64) T X[kLanes], Y[kLanes], G[C][kLanes], s[kLanes], acc_t[kLanes], o[C][kLanes], tmp[kLanes];
  alignas(64) T tmp_paint[C][kLanes], tmp_alpha[kLanes], c_lane[kLanes], cp_lane[kLanes], u_lane[kLanes];
  T bg_lanes[C][kTileSide] = {};
  const TileRect walk = walked_tiles(p);
  for (int ty = walk.y0; ty < walk.y1; ++ty)
    for (int tx = walk.x0; tx < walk.x1; ++tx) {
      const int tile = ty * tx_n + tx;
      tile_coords(tx, ty, p.scale, X, Y);
      // Lanes off the canvas get a zero upstream gradient, so they contribute nothing.
      const int x0 = tx * kTileSide, y0 = ty * kTileSide;
      const int nx = p.width - x0 < kTileSide ? p.width - x0 : kTileSide;
      const int ny = p.height - y0 < kTileSide ? p.height - y0 : kTileSide;
      for (int ch = 0; ch < C; ++ch) {
        T* g = G[ch];
        const T* src = p.image_grad + ch * plane;
        for (int i = 0; i < kLanes; ++i) g[i] = T(0);
        if (nx == kTileSide) {
          for (int r = 0; r < ny; ++r)
            for (int j = 0; j < kTileSide; ++j) g[r * kTileSide + j] = src[size_t(y0 + r) * p.width + x0 + j];
        } else {
          for (int r = 0; r < ny; ++r)
            for (int j = 0; j < nx; ++j) g[r * kTileSide + j] = src[size_t(y0 + r) * p.width + x0 + j];
        }
      }

      // Coverages (forward setup repeated). Saturated pairs keep a scalar constant instead of a
      // filled lane array; every loop below does the same arithmetic with it.
      // With the forward pass's cache, an edge pair's c and dc/ds are simply looked up.
      for (int k = 0; k < K; ++k) {
        const uint8_t cls = p.tile_class[size_t(k) * n_tiles + tile];
        edge[k] = cls == kTileEdge;
        cconst[k] = cls == kTileInside ? c_in : c_out;
        if (edge[k]) {
          const int32_t slot = p.cov_slot ? p.cov_slot[size_t(k) * n_tiles + tile] : -1;
          if (slot >= 0) {
            ck_of[k] = p.cov_cache + size_t(slot) * 2 * kLanes;
            dk_of[k] = ck_of[k] + kLanes;
          } else {
            sdf_lanes(p.shapes[k], X, Y, s);
            coverage_lanes<T>(s, p.tau, cov + size_t(k) * kLanes, dcds + size_t(k) * kLanes);
            ck_of[k] = cov + size_t(k) * kLanes;
            dk_of[k] = dcds + size_t(k) * kLanes;
          }
        }
      }
      // Suffix transmittances T_k (of the opacity-scaled coverages).
      for (int i = 0; i < kLanes; ++i) acc_t[i] = T(1);
      for (int k = K - 1; k >= 0; --k) {
        T* tk = trans + size_t(k) * kLanes;
        const T a = p.shapes[k].alpha;
        if (edge[k]) {
          const T* ck = ck_of[k];
          for (int i = 0; i < kLanes; ++i) {
            tk[i] = acc_t[i];
            if constexpr (A) {
              acc_t[i] *= T(1) - a * ck[i];
            } else {
              acc_t[i] *= T(1) - ck[i];
            }
          }
        } else {
          const T cc = A ? a * cconst[k] : cconst[k];
          for (int i = 0; i < kLanes; ++i) {
            tk[i] = acc_t[i];
            acc_t[i] *= T(1) - cc;
          }
        }
      }
      // What reaches the eye of the canvas itself: its transmittance through every shape.
      if (p.background_grad)
        for (int ch = 0; ch < C; ++ch) {
          for (int i = 0; i < kLanes; ++i) tmp[i] = G[ch][i] * acc_t[i];
          add_lanes(tmp, bg_lanes[ch]);
        }
      // Front-to-back again: o holds o_{k−1} when shape k is visited.
      for (int ch = 0; ch < C; ++ch)
        for (int i = 0; i < kLanes; ++i) o[ch][i] = p.background[ch];
      for (int k = 0; k < K; ++k) {
        const ShapeParams<T>& sh = p.shapes[k];
        const T* tk = trans + size_t(k) * kLanes;
        T* acc8 = lanes + size_t(k) * kValueSlots * kTileSide;
        if constexpr (kPlain) {
          const T I = sh.value[0];
          T* o0 = o[0];
          const T* G0 = G[0];
          if (edge[k]) {
            const T* ck = ck_of[k];
            const T* dk = dk_of[k];
#if PELICAN_WASM_SIMD
            if constexpr (std::is_same_v<T, float>) {
              wasm::backward_edge_pair(G0, ck, dk, tk, I, o0, tmp, acc8);
            } else
#endif
            {
              for (int i = 0; i < kLanes; ++i) tmp[i] = G0[i] * ck[i] * tk[i];
              add_lanes(tmp, acc8);
              for (int i = 0; i < kLanes; ++i) tmp[i] = G0[i] * (I - o0[i]) * tk[i] * dk[i];
              for (int i = 0; i < kLanes; ++i) o0[i] = (T(1) - ck[i]) * o0[i] + ck[i] * I;
            }
            sdf_grad_lanes(sh, X, Y, tmp, acc8 + kTileSide);
          } else {
            const T cc = cconst[k];
#if PELICAN_WASM_SIMD
            if constexpr (std::is_same_v<T, float>) {
              wasm::backward_saturated_pair(G0, cc, tk, I, o0, acc8);
            } else
#endif
            {
              for (int i = 0; i < kLanes; ++i) tmp[i] = G0[i] * cc * tk[i];
              add_lanes(tmp, acc8);
              for (int i = 0; i < kLanes; ++i) o0[i] = (T(1) - cc) * o0[i] + cc * I;
            }
          }
        } else {
          // u = dL/dc' (c' = α·c): Σ_ch G·(I − o_{k−1})·T_k; dL/dI_ch = G·c'·T_k, dL/dα = u·c,
          // dL/ds = u·α·dc/ds. One simple lane loop per quantity: clang vectorises these, not
          // the fused form (its cost model gives up on it).
          const T a = sh.alpha;
          const bool is_edge = edge[k];
          const T* PELICAN_RESTRICT ck = is_edge ? ck_of[k] : nullptr;
          const T cc = cconst[k];
          if (is_edge) {
            for (int i = 0; i < kLanes; ++i) c_lane[i] = ck[i];
          } else {
            for (int i = 0; i < kLanes; ++i) c_lane[i] = cc;
          }
          if constexpr (A) {
            for (int i = 0; i < kLanes; ++i) cp_lane[i] = a * c_lane[i];
          } else {
            for (int i = 0; i < kLanes; ++i) cp_lane[i] = c_lane[i];
          }
          for (int i = 0; i < kLanes; ++i) u_lane[i] = T(0);
          for (int ch = 0; ch < C; ++ch) {
            const T I = sh.paint[ch];
            T* PELICAN_RESTRICT oc = o[ch];
            const T* PELICAN_RESTRICT gc = G[ch];
            T* PELICAN_RESTRICT pc = tmp_paint[ch];
            for (int i = 0; i < kLanes; ++i) u_lane[i] += gc[i] * (I - oc[i]);
            for (int i = 0; i < kLanes; ++i) pc[i] = gc[i] * cp_lane[i] * tk[i];
            for (int i = 0; i < kLanes; ++i) oc[i] = (T(1) - cp_lane[i]) * oc[i] + cp_lane[i] * I;
          }
          for (int i = 0; i < kLanes; ++i) u_lane[i] *= tk[i];
          if constexpr (A) {
            for (int i = 0; i < kLanes; ++i) tmp_alpha[i] = u_lane[i] * c_lane[i];
          }
          if (is_edge) {
            const T* PELICAN_RESTRICT dk = dk_of[k];
            if constexpr (A) {
              for (int i = 0; i < kLanes; ++i) tmp[i] = u_lane[i] * (a * dk[i]);
            } else {
              for (int i = 0; i < kLanes; ++i) tmp[i] = u_lane[i] * dk[i];
            }
          }
          add_lanes(tmp_paint[0], acc8);
          for (int ch = 1; ch < C; ++ch) add_lanes(tmp_paint[ch], acc8 + (kSlotPaint1 + ch - 1) * kTileSide);
          if constexpr (A) add_lanes(tmp_alpha, acc8 + kSlotOpacity * kTileSide);
          if (is_edge) sdf_grad_lanes(sh, X, Y, tmp, acc8 + kTileSide);
        }
      }
      if (tx + 1 == walk.x1) {
        for (size_t j = 0; j < size_t(K) * kValueSlots; ++j) flush_lanes(lanes + j * kTileSide, p.value_grad + j);
        if (p.background_grad)
          for (int ch = 0; ch < C; ++ch) flush_lanes(bg_lanes[ch], p.background_grad + ch);
      }
    }
}

template <class T>
void render_backward(const RasterParams<T>& p) {
  if (p.channels == 3) {
    p.opacity ? render_backward_impl<T, 3, true>(p) : render_backward_impl<T, 3, false>(p);
  } else {
    p.opacity ? render_backward_impl<T, 1, true>(p) : render_backward_impl<T, 1, false>(p);
  }
}

}  // namespace pelican::detail
