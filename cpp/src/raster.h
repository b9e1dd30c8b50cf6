// Soft rasteriser (§2.4, §3): coverage σ(−clamp(sdf/τ, −10, 10)) composited back to front over
// the background, and its hand-written backward pass (§13).
//
// The canvas is walked in 8×8 tiles of 64 lanes; every inner loop runs over those lanes with no
// branches so it vectorises. Each tile visits only the shapes of its list (tile_lists.h): the
// edge pairs (SDF, coverage and its gradient per lane) and the inside-saturated pairs (the
// constant σ(10)). The outside-saturated shapes between them blend the constant σ(−10): each run
// of them is one affine map o ← P·o + Q (FoldTables), and their gradients are gathered per run
// and resolved once per evaluation (resolve_outside_runs), so a tile costs what its list costs.
// With culling off every shape is an edge entry of every tile: the plain path, the reference the
// exactness tests compare with.
//
// Opaque tiles: walking a tile's list from the top, the transmittance of everything below is at
// most the product of (1 − α·σ(10)) over the inside entries above it. Once that bound is below
// kOpaqueCutoff (half a unit in the last place of 1 in T: 2^-24 in float), the entries and runs
// below are skipped in both passes: what they could still change is below the render's own
// rounding (an absolute 2^-24 on a value in [0, 1]), and their gradients in that tile are that
// small relative to the tile's upstream gradient. The skipped part starts from the background.
//
// Work is split into fixed chunks of tile rows (chunk_count: a function of the walk only) run by
// parallel_chunks; each chunk has its own scratch and partial sums, combined in chunk order, so
// the result is the same for any number of threads.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "fastmath.h"
#include "parallel.h"
#include "sdf.h"
#include "simd_wasm.h"
#include "tile_lists.h"

namespace pelican::detail {

template <class T>
constexpr double kOpaqueCutoff = double(std::numeric_limits<T>::epsilon()) / 2;

// At most this many chunks of tile rows per pass (fewer when the walk has fewer rows).
constexpr int kMaxChunks = 8;

inline int chunk_count(const TileRect& walk) { return std::max(1, std::min(walk.y1 - walk.y0, kMaxChunks)); }

// Tile rows [first, last) of one chunk.
inline void chunk_rows(const TileRect& walk, int chunks, int chunk, int* first, int* last) {
  const int rows = walk.y1 - walk.y0;
  *first = walk.y0 + int(int64_t(rows) * chunk / chunks);
  *last = walk.y0 + int(int64_t(rows) * (chunk + 1) / chunks);
}

// One chunk's backward scratch, sized for the longest tile list; it only ever grows.
template <class T>
struct ChunkScratch {
  std::vector<T> cov, dcds, trans, vtrans;  // [E][64] ×3, [E + 1][64]
  std::vector<const T*> ck, dk;             // [E]
  std::vector<Acc> grad;                    // [K][kValueSlots] partial dL/d values
  std::vector<Acc> diff;                    // [K + 1][C + 2] outside-run sums, as differences
  Acc bg[3] = {0, 0, 0};

  void fit(size_t entries, size_t shapes) {
    if (cov.size() < entries * kLanes) {
      cov.resize(entries * kLanes);
      dcds.resize(entries * kLanes);
      trans.resize(entries * kLanes);
      ck.resize(entries);
      dk.resize(entries);
    }
    if (vtrans.size() < (entries + 1) * kLanes) vtrans.resize((entries + 1) * kLanes);
    if (grad.size() < shapes * kValueSlots) grad.resize(shapes * kValueSlots);
    if (diff.size() < (shapes + 1) * 5) diff.resize((shapes + 1) * 5);
  }
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
  const TileLists* lists;        // Incoming: built for these shapes, τ and walk (only its tiles are walked)
  FoldTables* fold;              // Outgoing (forward) / incoming (backward): the outside runs' tables
  T* image;                      // Outgoing (forward): channels planes of width*height, row-major
  const T* image_grad;           // Incoming (backward): dL/dimage, same layout
  Acc* value_grad;               // Outgoing (backward): [shape][kValueSlots] dL/d constrained values (added)
  ChunkScratch<T>* chunks;       // Incoming (backward): chunk_count(walk) scratches, fitted to the lists
  // Optional coverage cache (null/0 for none): the forward pass keeps c and dc/ds of the edge
  // entries whose rank (TileLists::edge_start order) is below cov_cache_pairs; the backward pass of
  // the same evaluation reads them instead of recomputing the SDF and the coverage. The others are
  // recomputed by the very same lane code, so the cache changes no bit of the result.
  T* cov_cache;            // Outgoing (forward) / incoming (backward): [slot][c, dc/ds][kLanes]
  size_t cov_cache_pairs;  // Incoming: slots in cov_cache
};

// ---------------------------------------------------------------------------------------------
// Shared setup: tile coordinates, coverage, saturated constants.

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

// ---------------------------------------------------------------------------------------------
// Lists: where a tile's work starts, and the outside runs between its entries.

inline int entry_shape(uint32_t e) { return int(e >> 1); }
inline bool entry_inside(uint32_t e) { return (e & 1u) != 0; }

// First entry of the list e[0..n) that is drawn. *skip: everything below it (the entries before,
// the run under it, the background) weighs less than kOpaqueCutoff in every pixel of the tile.
template <class T, bool A>
inline int first_visible(const ShapeParams<T>* shapes, const uint32_t* e, int n, T c_in, bool* skip) {
  double bound = 1;  // ≥ the transmittance of the entries above the one looked at
  for (int i = n - 1; i >= 0; --i) {
    if (bound < kOpaqueCutoff<T>) {
      *skip = true;
      return i + 1;
    }
    if (entry_inside(e[i])) {
      const T cc = A ? shapes[entry_shape(e[i])].alpha * c_in : c_in;
      bound *= 1.0 - double(cc);
    }
  }
  *skip = bound < kOpaqueCutoff<T>;
  return 0;
}

// Tile (tx, ty)'s list as both passes walk it: its entries, the first one drawn, whether what
// lies below is skipped, and the coverage-cache rank of that first entry's edge pairs.
struct VisibleList {
  const uint32_t* e;
  int n, first;
  bool skip;
  size_t rank;
};

template <class T, bool A>
inline VisibleList visible_list(const TileLists& L, const ShapeParams<T>* shapes, const TileRect& walk, int ww, int tx,
                                int ty, T c_in) {
  const int w = (ty - walk.y0) * ww + (tx - walk.x0);
  VisibleList t;
  t.e = L.entry.data() + L.start[w];
  t.n = int(L.start[w + 1] - L.start[w]);
  t.first = first_visible<T, A>(shapes, t.e, t.n, c_in, &t.skip);
  t.rank = L.edge_start[w];
  for (int i = 0; i < t.first; ++i) t.rank += !entry_inside(t.e[i]);
  return t;
}

// The outside shapes [lo, hi) composited onto o.
template <class T, int C>
PELICAN_INLINE void apply_run(const FoldTables& F, int lo, int hi, T (*o)[kLanes]) {
  if (hi <= lo) return;
  const Acc* prod = F.prod.data();
  const Acc* sum = F.sum.data();
  const T P = T(prod[hi] / prod[lo]);
  for (int ch = 0; ch < C; ++ch) {
    const T Q = T(prod[hi] * (sum[hi * C + ch] - sum[lo * C + ch]));
    T* PELICAN_RESTRICT oc = o[ch];
    for (int i = 0; i < kLanes; ++i) oc[i] = P * oc[i] + Q;
  }
}

// ---------------------------------------------------------------------------------------------
// Forward: composite every shape over the background. C channels share one coverage per shape;
// with opacity the coverage is α·c. For C = 1 without opacity over white the plain path is the
// original's arithmetic operation for operation (α is not even multiplied in).

template <class T, int C, bool A>
void render_forward_impl(const RasterParams<T>& p) {
  const TileLists& L = *p.lists;
  const TileRect walk = L.walk;
  const int K = p.shape_count, ww = walk.width();
  const size_t plane = size_t(p.width) * p.height;
  T c_out, c_in;
  saturated_coverages(p.tau, &c_out, &c_in);
  fold_tables(p.shapes, K, C, A, c_out, p.fold);
  const FoldTables& F = *p.fold;
  const int chunks = chunk_count(walk);
  parallel_chunks(chunks, [&](int chunk) {
    alignas(64) T X[kLanes], Y[kLanes], o[C][kLanes], s[kLanes], c[kLanes], cp[kLanes];
    int row0, row1;
    chunk_rows(walk, chunks, chunk, &row0, &row1);
    for (int ty = row0; ty < row1; ++ty)
      for (int tx = walk.x0; tx < walk.x1; ++tx) {
        const VisibleList t = visible_list<T, A>(L, p.shapes, walk, ww, tx, ty, c_in);
        const uint32_t* e = t.e;
        const int n = t.n, first = t.first;
        const bool skip = t.skip;
        size_t rank = t.rank;
        tile_coords(tx, ty, p.scale, X, Y);
        for (int ch = 0; ch < C; ++ch)
          for (int i = 0; i < kLanes; ++i) o[ch][i] = p.background[ch];
        if (!skip) apply_run<T, C>(F, 0, n > 0 ? entry_shape(e[0]) : K, o);
        for (int j = first; j < n; ++j) {
          const int k = entry_shape(e[j]);
          const ShapeParams<T>& sh = p.shapes[k];
          if (!entry_inside(e[j])) {
            sdf_lanes(sh, X, Y, s);
            const T* ck = c;
            if (rank < p.cov_cache_pairs) {
              T* slot = p.cov_cache + rank * 2 * kLanes;
              coverage_lanes<T>(s, p.tau, slot, slot + kLanes);
              ck = slot;
            } else {
              coverage_lanes<T>(s, p.tau, c, nullptr);
            }
            ++rank;
            if constexpr (A) {
              for (int i = 0; i < kLanes; ++i) cp[i] = sh.alpha * ck[i];
              ck = cp;
            }
            for (int ch = 0; ch < C; ++ch) {
              const T I = sh.paint[ch];
              for (int i = 0; i < kLanes; ++i) o[ch][i] = (T(1) - ck[i]) * o[ch][i] + ck[i] * I;
            }
          } else {
            T cc = c_in;
            if constexpr (A) cc = sh.alpha * cc;
            for (int ch = 0; ch < C; ++ch) {
              const T I = sh.paint[ch];
              for (int i = 0; i < kLanes; ++i) o[ch][i] = (T(1) - cc) * o[ch][i] + cc * I;
            }
          }
          apply_run<T, C>(F, k + 1, j + 1 < n ? entry_shape(e[j + 1]) : K, o);
        }
        for (int ch = 0; ch < C; ++ch) store_tile(o[ch], tx, ty, p.width, p.height, p.image + ch * plane);
      }
  });
}

template <class T>
void render_forward(const RasterParams<T>& p) {
  if (p.channels == 3) {
    p.opacity ? render_forward_impl<T, 3, true>(p) : render_forward_impl<T, 3, false>(p);
  } else {
    p.opacity ? render_forward_impl<T, 1, true>(p) : render_forward_impl<T, 1, false>(p);
  }
}

// Adds a 64-lane tile into an 8-lane accumulator, row by row: lane-wise adds vectorise without
// reassociation, and the horizontal sum is left for once per pair (flush8).
template <class T>
PELICAN_INLINE void add_lanes(const T* a, T* acc8) {
  for (int r = 0; r < kTileSide; ++r)
    for (int j = 0; j < kTileSide; ++j) acc8[j] += a[r * kTileSide + j];
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

// ---------------------------------------------------------------------------------------------
// Backward: with T_k = Π_{j>k}(1 − c_j), ∂o/∂c_k = (I_k − o_{k−1})·T_k and ∂o/∂I_k = c_k·T_k.
// Per tile: the listed coverages (cache or recomputed), the suffix products T_k of the drawn
// entries and V above each outside run, then front to back again re-deriving o_{k−1} — no
// division by (1 − c), which would lose float precision where c saturates at σ(10).
//
// An outside shape j of the run [lo, hi) under V (per lane) has T_j = t_j·V with the scalar
// t_j = prod[hi]/prod[j+1], and o_{j−1} = (prod[j]/prod[lo])·o_lo + prod[j]·(sum[j] − sum[lo])
// (FoldTables). Its gradients are per-run lane sums g_ch = Σ G_ch·V and m = Σ Σ_ch G_ch·V·o_lo
// times factors of j alone (a_j its outside coverage, c'_j = α_j·σ(−10)):
//   dL/dI_j,ch = (a_j / prod[j+1])·H1_ch,  H1_ch = Σ_runs prod[hi]·g_ch
//   dL/dc'_j = Σ_ch (I_j,ch − prod[j]·sum[j]_ch)/prod[j+1]·H1_ch + (prod[j]/prod[j+1])·(H2 − H3),
//     H2 = Σ_runs prod[hi]·Σ_ch sum[lo]_ch·g_ch,  H3 = Σ_runs (prod[hi]/prod[lo])·m
// A run adds its sums at lo and subtracts them at hi (difference arrays, in double), so it costs
// O(1) whatever its length; resolve_outside_runs() takes the prefix sums once per evaluation.

// Adds the 8 lanes of one accumulator slot to a value's gradient and clears them.
template <class T>
PELICAN_INLINE void flush8(T* acc8, Acc* out) {
  Acc total = 0;
  for (int j = 0; j < kTileSide; ++j) {
    total += Acc(acc8[j]);
    acc8[j] = T(0);
  }
  *out += total;
}

template <class T, int C, bool A>
PELICAN_INLINE void run_backward(const FoldTables& F, int lo, int hi, const T* V, T (*G)[kLanes], T (*o)[kLanes],
                                 Acc* diff) {
  if (hi <= lo) return;
  constexpr int D = A ? C + 2 : C;
  const Acc* prod = F.prod.data();
  const Acc* sum = F.sum.data();
  Acc g[C];
  Acc m = 0;
  for (int ch = 0; ch < C; ++ch) {
    T part[kTileSide] = {}, part_m[kTileSide] = {};
    const T* PELICAN_RESTRICT gc = G[ch];
    const T* PELICAN_RESTRICT oc = o[ch];
    for (int r = 0; r < kTileSide; ++r)
      for (int j = 0; j < kTileSide; ++j) {
        const T gv = gc[r * kTileSide + j] * V[r * kTileSide + j];
        part[j] += gv;
        if constexpr (A) part_m[j] += gv * oc[r * kTileSide + j];
      }
    g[ch] = 0;
    for (int j = 0; j < kTileSide; ++j) {
      g[ch] += Acc(part[j]);
      if constexpr (A) m += Acc(part_m[j]);
    }
  }
  const Acc ph = prod[hi];
  for (int ch = 0; ch < C; ++ch) {
    diff[size_t(lo) * D + ch] += ph * g[ch];
    diff[size_t(hi) * D + ch] -= ph * g[ch];
  }
  if constexpr (A) {
    Acc h2 = 0;
    for (int ch = 0; ch < C; ++ch) h2 += sum[size_t(lo) * C + ch] * g[ch];
    h2 *= ph;
    const Acc h3 = ph / prod[lo] * m;
    diff[size_t(lo) * D + C] += h2;
    diff[size_t(hi) * D + C] -= h2;
    diff[size_t(lo) * D + C + 1] += h3;
    diff[size_t(hi) * D + C + 1] -= h3;
  }
  apply_run<T, C>(F, lo, hi, o);
}

// The outside shapes' gradients from the runs' difference arrays (combined over chunks).
template <class T, int C, bool A>
void resolve_outside_runs(const RasterParams<T>& p, const Acc* diff, T c_out) {
  constexpr int D = A ? C + 2 : C;
  const FoldTables& F = *p.fold;
  const Acc* prod = F.prod.data();
  const Acc* sum = F.sum.data();
  Acc H[C + 2] = {};
  for (int j = 0; j < p.shape_count; ++j) {
    for (int q = 0; q < D; ++q) H[q] += diff[size_t(j) * D + q];
    const Acc inv = 1 / prod[j + 1];
    Acc* g = p.value_grad + size_t(j) * kValueSlots;
    g[0] += F.cover[j] * inv * H[0];
    for (int ch = 1; ch < C; ++ch) g[kSlotPaint1 + ch - 1] += F.cover[j] * inv * H[ch];
    if constexpr (A) {
      Acc u = prod[j] * inv * (H[C] - H[C + 1]);
      for (int ch = 0; ch < C; ++ch)
        u += (Acc(p.shapes[j].paint[ch]) - prod[j] * sum[size_t(j) * C + ch]) * inv * H[ch];
      g[kSlotOpacity] += u * Acc(c_out);
    }
  }
}

inline int geometry_slots(int32_t type) { return type == kCircle ? 3 : type == kEllipse ? 5 : 6; }

template <class T, int C, bool A>
void render_backward_impl(const RasterParams<T>& p) {
  const TileLists& L = *p.lists;
  const FoldTables& F = *p.fold;
  const TileRect walk = L.walk;
  const int K = p.shape_count, ww = walk.width();
  const size_t plane = size_t(p.width) * p.height;
  // The original's path (gray, opaque) keeps its fused Wasm SIMD pair kernels.
  constexpr bool kPlain = C == 1 && !A;
  constexpr int D = A ? C + 2 : C;
  T c_out, c_in;
  saturated_coverages(p.tau, &c_out, &c_in);
  const int chunks = chunk_count(walk);
  parallel_chunks(chunks, [&](int chunk) {
    ChunkScratch<T>& S = p.chunks[chunk];
    std::fill(S.grad.begin(), S.grad.begin() + size_t(K) * kValueSlots, Acc(0));
    std::fill(S.diff.begin(), S.diff.begin() + size_t(K + 1) * D, Acc(0));
    for (int ch = 0; ch < 3; ++ch) S.bg[ch] = 0;
    const T** ck_of = S.ck.data();
    const T** dk_of = S.dk.data();
    T* trans = S.trans.data();
    T* vtrans = S.vtrans.data();
    alignas(64) T X[kLanes], Y[kLanes], G[C][kLanes], s[kLanes], acc_t[kLanes], o[C][kLanes], tmp[kLanes];
    alignas(64) T tmp_paint[C][kLanes], tmp_alpha[kLanes], c_lane[kLanes], cp_lane[kLanes], u_lane[kLanes];
    alignas(64) T acc8[kValueSlots * kTileSide] = {};
    const Acc* prod = F.prod.data();
    int row0, row1;
    chunk_rows(walk, chunks, chunk, &row0, &row1);
    for (int ty = row0; ty < row1; ++ty)
      for (int tx = walk.x0; tx < walk.x1; ++tx) {
        const VisibleList t = visible_list<T, A>(L, p.shapes, walk, ww, tx, ty, c_in);
        const uint32_t* e = t.e;
        const int n = t.n, first = t.first;
        const bool skip = t.skip;
        size_t rank = t.rank;
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

        // Coverages of the edge entries: the forward pass's cache, or recomputed.
        for (int j = first; j < n; ++j) {
          if (entry_inside(e[j])) continue;
          const int idx = j - first;
          if (rank < p.cov_cache_pairs) {
            ck_of[idx] = p.cov_cache + rank * 2 * kLanes;
            dk_of[idx] = ck_of[idx] + kLanes;
          } else {
            T* cv = S.cov.data() + size_t(idx) * kLanes;
            T* dv = S.dcds.data() + size_t(idx) * kLanes;
            sdf_lanes(p.shapes[entry_shape(e[j])], X, Y, s);
            coverage_lanes<T>(s, p.tau, cv, dv);
            ck_of[idx] = cv;
            dk_of[idx] = dv;
          }
          ++rank;
        }
        // Suffix transmittances (of the opacity-scaled coverages): T of each drawn entry, V above
        // each outside run.
        for (int i = 0; i < kLanes; ++i) acc_t[i] = T(1);
        for (int j = n - 1; j >= first; --j) {
          const int idx = j - first, k = entry_shape(e[j]);
          const int hi = j + 1 < n ? entry_shape(e[j + 1]) : K;
          if (hi > k + 1) {
            T* v = vtrans + size_t(idx + 1) * kLanes;
            const T P = T(prod[hi] / prod[k + 1]);
            for (int i = 0; i < kLanes; ++i) {
              v[i] = acc_t[i];
              acc_t[i] *= P;
            }
          }
          T* tk = trans + size_t(idx) * kLanes;
          const T a = p.shapes[k].alpha;
          if (!entry_inside(e[j])) {
            const T* ck = ck_of[idx];
            for (int i = 0; i < kLanes; ++i) {
              tk[i] = acc_t[i];
              if constexpr (A) {
                acc_t[i] *= T(1) - a * ck[i];
              } else {
                acc_t[i] *= T(1) - ck[i];
              }
            }
          } else {
            const T cc = A ? a * c_in : c_in;
            for (int i = 0; i < kLanes; ++i) {
              tk[i] = acc_t[i];
              acc_t[i] *= T(1) - cc;
            }
          }
        }
        const int bottom_hi = n > 0 ? entry_shape(e[0]) : K;
        if (!skip && bottom_hi > 0) {
          const T P = T(prod[bottom_hi] / prod[0]);
          for (int i = 0; i < kLanes; ++i) {
            vtrans[i] = acc_t[i];
            acc_t[i] *= P;
          }
        }
        // What reaches the eye of the canvas itself: its transmittance through every shape.
        if (p.background_grad)
          for (int ch = 0; ch < C; ++ch) {
            for (int i = 0; i < kLanes; ++i) tmp[i] = G[ch][i] * acc_t[i];
            add_lanes(tmp, acc8);
            flush8(acc8, &S.bg[ch]);
          }
        // Front-to-back again: o holds o_{k−1} when shape k is visited.
        for (int ch = 0; ch < C; ++ch)
          for (int i = 0; i < kLanes; ++i) o[ch][i] = p.background[ch];
        if (!skip) run_backward<T, C, A>(F, 0, bottom_hi, vtrans, G, o, S.diff.data());
        for (int j = first; j < n; ++j) {
          const int idx = j - first, k = entry_shape(e[j]);
          const ShapeParams<T>& sh = p.shapes[k];
          const T* tk = trans + size_t(idx) * kLanes;
          const bool is_edge = !entry_inside(e[j]);
          if constexpr (kPlain) {
            const T I = sh.value[0];
            T* o0 = o[0];
            const T* G0 = G[0];
            if (is_edge) {
              const T* ck = ck_of[idx];
              const T* dk = dk_of[idx];
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
              const T cc = c_in;
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
            const T* PELICAN_RESTRICT ck = is_edge ? ck_of[idx] : nullptr;
            const T cc = c_in;
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
              const T* PELICAN_RESTRICT dk = dk_of[idx];
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
          // This pair's partial sums into the chunk's gradient (acc8 is left cleared).
          Acc* out = S.grad.data() + size_t(k) * kValueSlots;
          flush8(acc8, out);
          if (is_edge)
            for (int g = 1; g <= geometry_slots(sh.type); ++g) flush8(acc8 + g * kTileSide, out + g);
          for (int ch = 1; ch < C; ++ch) flush8(acc8 + (kSlotPaint1 + ch - 1) * kTileSide, out + kSlotPaint1 + ch - 1);
          if constexpr (A) flush8(acc8 + kSlotOpacity * kTileSide, out + kSlotOpacity);
          run_backward<T, C, A>(F, k + 1, j + 1 < n ? entry_shape(e[j + 1]) : K, vtrans + size_t(idx + 1) * kLanes, G,
                                o, S.diff.data());
        }
      }
  });
  // Chunk order, whatever ran them.
  Acc* diff = p.chunks[0].diff.data();
  for (int c = 0; c < chunks; ++c) {
    const ChunkScratch<T>& S = p.chunks[c];
    for (size_t j = 0; j < size_t(K) * kValueSlots; ++j) p.value_grad[j] += S.grad[j];
    if (p.background_grad)
      for (int ch = 0; ch < C; ++ch) p.background_grad[ch] += S.bg[ch];
    if (c > 0)
      for (size_t j = 0; j < size_t(K + 1) * D; ++j) diff[j] += S.diff[j];
  }
  resolve_outside_runs<T, C, A>(p, diff, c_out);
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
