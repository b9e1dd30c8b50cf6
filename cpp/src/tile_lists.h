// Which shapes each 8×8 tile must visit, built once per evaluation so the render, its adjoint and
// the classification cost what the picture costs, not shapes × tiles.
//
// A shape's coverage is the constant σ(−10) ("outside-saturated") wherever its SDF exceeds 10τ.
// band_rect() gives, per shape, the tiles that may hold a pixel with sdf ≤ 10τ (plus margins);
// every other tile is outside-saturated without evaluating anything. Only the tiles of that
// rectangle are classified (edge / inside / outside) by the SDF at the tile centre, as before.
// Per tile the list holds the (shape, class) pairs that are edge or inside, back to front. The
// outside shapes between two listed ones still blend their constant coverage (dropping them would
// be an approximation): fold_tables() gives the prefix products and sums that compose any run of
// them into one affine map o ← P·o + Q (raster.h).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fastmath.h"
#include "sdf.h"

namespace pelican::detail {

constexpr int kTileSide = 8;
constexpr int kLanes = kTileSide * kTileSide;

enum : uint8_t { kTileEdge = 0, kTileOutside = 1, kTileInside = 2 };

inline int tiles_along(int pixels) { return (pixels + kTileSide - 1) / kTileSide; }

// Tiles [x0, x1) × [y0, y1).
struct TileRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int width() const { return x1 - x0; }
  int count() const { return x1 > x0 && y1 > y0 ? (x1 - x0) * (y1 - y0) : 0; }
};

// The classifier's bound (unchanged): |sdf| at the tile centre beyond 10τ by more than the SDF's
// Lipschitz constant × the tile's reach, with a 1e-3 relative + 1e-5 absolute margin that dwarfs
// the float rounding of the per-pixel SDF.
inline double saturation_limit(double tau) { return 10.0 * tau * (1.0 + 1e-3) + 1e-5; }

// Tiles of `walk` that may hold a pixel centre with sdf ≤ M, M = the classifier's limit plus half
// a pixel (so float rounding of the SDF and of this box cannot matter). Every tile outside the
// result is outside-saturated on every pixel, lanes past the canvas edge included:
//  circle: sdf = |p − c| − r > M beyond the square c ± (r + M);
//  ellipse: sdf = (q − 1)·m ≤ M only inside the ellipse of semi-axes a·(1 + M/m), b·(1 + M/m),
//    whose box half-extents are √(A²cos² + B²sin²), √(A²sin² + B²cos²);
//  triangle: outside it sdf is the distance to it, > M beyond its vertices' box ± M. A nearly
//    collinear triangle (twice its area < 1e-3 × its longest edge²) gets the whole walk: its
//    inside test is a sign of rounding-sized cross products there, which no box can bound.
// Non-finite geometry gets the whole walk too (the classifier then keeps every tile an edge).
template <class T>
TileRect band_rect(const ShapeParams<T>& s, double scale, double tau, const TileRect& walk) {
  const double M = saturation_limit(tau) + 0.5 / scale;
  double bx0, bx1, by0, by1;
  const T* v = s.value;
  if (s.type == kCircle) {
    const double r = double(v[3]) + M;
    bx0 = double(v[1]) - r, bx1 = double(v[1]) + r, by0 = double(v[2]) - r, by1 = double(v[2]) + r;
  } else if (s.type == kEllipse) {
    const double rx = double(v[3]), ry = double(v[4]);
    const double m = std::sqrt(rx * ry + 1e-10);
    const double g = 1.0 + M / m;
    const double A = (rx + 1e-10) * g, B = (ry + 1e-10) * g;
    const double c = double(s.cs), sn = double(s.sn);
    // 1e-6 relative: the float rotation and divisions of the SDF itself.
    const double hx = std::sqrt(A * A * c * c + B * B * sn * sn) * (1.0 + 1e-6) + 1e-6;
    const double hy = std::sqrt(A * A * sn * sn + B * B * c * c) * (1.0 + 1e-6) + 1e-6;
    bx0 = double(v[1]) - hx, bx1 = double(v[1]) + hx, by0 = double(v[2]) - hy, by1 = double(v[2]) + hy;
  } else {
    const double x0 = v[1], y0 = v[2], x1 = v[3], y1 = v[4], x2 = v[5], y2 = v[6];
    const double area2 = std::fabs((x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0));
    const double e0 = (x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0);
    const double e1 = (x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1);
    const double e2 = (x0 - x2) * (x0 - x2) + (y0 - y2) * (y0 - y2);
    if (!(area2 >= 1e-3 * std::max(e0, std::max(e1, e2)))) return walk;
    bx0 = std::min(x0, std::min(x1, x2)) - M, bx1 = std::max(x0, std::max(x1, x2)) + M;
    by0 = std::min(y0, std::min(y1, y2)) - M, by1 = std::max(y0, std::max(y1, y2)) + M;
  }
  if (!(std::isfinite(bx0) && std::isfinite(bx1) && std::isfinite(by0) && std::isfinite(by1))) return walk;
  // Tile t's pixel centres span [(8t + 0.5)/S, (8t + 7.5)/S].
  auto lo = [&](double b, int first) {
    const double t = std::ceil((b * scale - 7.5) / kTileSide);
    return t < first ? first : (t > 1e9 ? int(1e9) : int(t));
  };
  auto hi = [&](double b, int last) {
    const double t = std::floor((b * scale - 0.5) / kTileSide) + 1;
    return t > last ? last : (t < -1e9 ? int(-1e9) : int(t));
  };
  TileRect r{lo(bx0, walk.x0), lo(by0, walk.y0), hi(bx1, walk.x1), hi(by1, walk.y1)};
  if (r.x1 <= r.x0 || r.y1 <= r.y0) return TileRect{walk.x0, walk.y0, walk.x0, walk.y0};
  return r;
}

// Classifies the tiles of `rect` for one shape by the SDF at their centres (64 at a time, through
// the same lane loop the kernels use) into out[j], j the tile's row-major index within rect.
template <class T>
void classify_rect(const ShapeParams<T>& s, T scale, T tau, const TileRect& rect, uint8_t* out) {
  const int n = rect.count(), w = rect.width();
  if (n == 0) return;
  // Farthest pixel centre of a tile from the tile's centre: √2 · 3.5 px.
  const double reach = 3.5 * std::sqrt(2.0) / double(scale);
  const T limit = T(saturation_limit(double(tau)));
  const T bound = T(double(s.lipschitz) * (1.0 + 1e-3) * reach);
  alignas(64) T X[kLanes], Y[kLanes], sd[kLanes];
  for (int first = 0; first < n; first += kLanes) {
    const int count = n - first < kLanes ? n - first : kLanes;
    for (int i = 0; i < kLanes; ++i) {
      const int j = first + (i < count ? i : 0);
      X[i] = T((rect.x0 + j % w) * kTileSide + 4) / scale;
      Y[i] = T((rect.y0 + j / w) * kTileSide + 4) / scale;
    }
    switch (s.type) {
      case kCircle:
        for (int i = 0; i < kLanes; ++i) sd[i] = sdf_circle(s, X[i], Y[i]);
        break;
      case kEllipse:
        for (int i = 0; i < kLanes; ++i) sd[i] = sdf_ellipse(s, X[i], Y[i]);
        break;
      default:
        for (int i = 0; i < kLanes; ++i) sd[i] = sdf_triangle(s, X[i], Y[i]);
        break;
    }
    for (int i = 0; i < count; ++i) {
      const int j = first + i;
      const T margin = std::fabs(sd[i]) - bound;
      // NaN/inf bounds compare false and stay edge tiles.
      out[j] = margin > limit ? (sd[i] > T(0) ? kTileOutside : kTileInside) : kTileEdge;
    }
  }
}

// Every (shape, tile) class over the canvas, [shape][tile] (tests and tools; the kernels use the
// lists). Tiles outside `rect` are left untouched; rect.x1 == 0 means the whole canvas.
template <class T>
void classify_tiles(const ShapeParams<T>* shapes, int shape_count, int width, int height, T scale, T tau, bool cull,
                    uint8_t* out, TileRect rect = TileRect{}) {
  const int tx_n = tiles_along(width), n_tiles = tx_n * tiles_along(height);
  if (rect.x1 == 0) rect = TileRect{0, 0, tx_n, tiles_along(height)};
  std::vector<uint8_t> local(size_t(rect.count()));
  for (int k = 0; k < shape_count; ++k) {
    uint8_t* row = out + size_t(k) * n_tiles;
    const TileRect band = cull ? band_rect(shapes[k], double(scale), double(tau), rect) : rect;
    if (cull) classify_rect(shapes[k], scale, tau, band, local.data());
    for (int ty = rect.y0; ty < rect.y1; ++ty)
      for (int tx = rect.x0; tx < rect.x1; ++tx) {
        const bool in_band = tx >= band.x0 && tx < band.x1 && ty >= band.y0 && ty < band.y1;
        row[ty * tx_n + tx] = !cull     ? uint8_t(kTileEdge)
                              : in_band ? local[(ty - band.y0) * band.width() + (tx - band.x0)]
                                        : uint8_t(kTileOutside);
      }
  }
}

// Per walked tile (row-major within the walk), the listed entries shape << 1 | inside, back to
// front. With culling off every shape is an edge entry of every tile: the plain path.
struct TileLists {
  TileRect walk;
  std::vector<uint32_t> start;       // [tiles + 1] first entry of each tile
  std::vector<uint32_t> edge_start;  // [tiles + 1] edge entries before each tile (cache slots)
  std::vector<uint32_t> entry;       // grows to the listed pairs of the largest scene seen
  std::vector<TileRect> band;        // per shape: the tiles where it may be listed
  std::vector<size_t> cls_at;        // per shape: where its band's classes start in cls
  std::vector<uint8_t> cls;          // the bands' classes, row-major per band; grows like entry
  uint32_t max_entries = 0;          // longest list

  // Buffers for up to `shapes` shapes on a canvas of `tiles` tiles; the pair-sized ones grow
  // in build_tile_lists as the bands need (memory follows the listed pairs, not shapes × tiles).
  void reserve(size_t shapes, size_t tiles) {
    start.resize(tiles + 1);
    edge_start.resize(tiles + 1);
    band.resize(shapes);
    cls_at.resize(shapes);
  }
};

template <class T>
void build_tile_lists(const ShapeParams<T>* shapes, int K, int, int, T scale, T tau, bool cull, const TileRect& walk,
                      TileLists* L) {
  const int ww = walk.width(), n_walk = walk.count();
  L->walk = walk;
  uint32_t* start = L->start.data();
  uint32_t* edges = L->edge_start.data();
  std::fill(start, start + n_walk + 1, 0u);
  std::fill(edges, edges + n_walk + 1, 0u);
  size_t classes = 0;
  for (int k = 0; k < K; ++k) {
    L->band[k] = cull ? band_rect(shapes[k], double(scale), double(tau), walk) : walk;
    L->cls_at[k] = classes;
    classes += size_t(L->band[k].count());
  }
  if (L->cls.size() < classes) L->cls.resize(classes);
  for (int k = 0; k < K; ++k) {
    const TileRect& b = L->band[k];
    uint8_t* row = L->cls.data() + L->cls_at[k];
    if (cull) {
      classify_rect(shapes[k], scale, tau, b, row);
    } else {
      std::fill(row, row + b.count(), uint8_t(kTileEdge));
    }
    for (int ty = b.y0; ty < b.y1; ++ty)
      for (int tx = b.x0; tx < b.x1; ++tx) {
        const uint8_t c = *row++;
        const int w = (ty - walk.y0) * ww + (tx - walk.x0) + 1;
        start[w] += c != kTileOutside;
        edges[w] += c == kTileEdge;
      }
  }
  uint32_t longest = 0;
  for (int w = 0; w < n_walk; ++w) {
    longest = std::max(longest, start[w + 1]);
    start[w + 1] += start[w];
    edges[w + 1] += edges[w];
  }
  L->max_entries = longest;
  if (L->entry.size() < start[n_walk]) L->entry.resize(start[n_walk]);
  // Fill back to front per tile: shapes in order, each appended to the tiles of its band. The
  // counters are the tiles' starts, restored afterwards.
  for (int k = 0; k < K; ++k) {
    const TileRect& b = L->band[k];
    const uint8_t* row = L->cls.data() + L->cls_at[k];
    for (int ty = b.y0; ty < b.y1; ++ty)
      for (int tx = b.x0; tx < b.x1; ++tx) {
        const uint8_t c = *row++;
        if (c == kTileOutside) continue;
        const int w = (ty - walk.y0) * ww + (tx - walk.x0);
        L->entry[start[w]++] = uint32_t(k) << 1 | uint32_t(c == kTileInside);
      }
  }
  for (int w = n_walk; w > 0; --w) start[w] = start[w - 1];
  start[0] = 0;
}

// Runs of outside-saturated shapes, composed. With a_j the outside coverage of shape j (σ(−10),
// times its opacity) and f_j = 1 − a_j (rounded to T, as the blend rounds it), prod[k] = Π_{j<k} f_j and sum[k][ch] =
// Σ_{j<k} a_j·I_j,ch / prod[j+1]; the run [lo, hi) maps o to (prod[hi]/prod[lo])·o + prod[hi]·(sum[hi] − sum[lo]).
// Every f_j is ≥ 1 − 4.6e-5, so prod stays far from 0 (≥ 0.01 for 100000 shapes) and the divisions and differences lose
// nothing that matters in double.
struct FoldTables {
  std::vector<Acc> prod, sum, cover;  // [K + 1], [(K + 1)·C], [K] a_j

  void reserve(size_t shapes) {
    prod.resize(shapes + 1);
    sum.resize((shapes + 1) * 3);
    cover.resize(shapes);
  }
};

template <class T>
void fold_tables(const ShapeParams<T>* shapes, int K, int C, bool opacity, T c_out, FoldTables* F) {
  Acc* prod = F->prod.data();
  Acc* sum = F->sum.data();
  prod[0] = 1;
  for (int ch = 0; ch < C; ++ch) sum[ch] = 0;
  for (int k = 0; k < K; ++k) {
    // The same float product the per-lane path multiplies by.
    const T cc = opacity ? shapes[k].alpha * c_out : c_out;
    const Acc a = Acc(cc);
    F->cover[k] = a;
    // The float factor the per-lane blend uses, not 1 − a in double: float(1 − σ(−10)) is off by
    // up to 2^-25, the same way for every shape, so over K shapes the plain path (and the
    // original's float32 render) drifts by ~K·2^-25; the fold keeps that drift instead of
    // differing from the plain path by it.
    prod[k + 1] = prod[k] * Acc(T(1) - cc);
    for (int ch = 0; ch < C; ++ch) sum[(k + 1) * C + ch] = sum[k * C + ch] + a * Acc(shapes[k].paint[ch]) / prod[k + 1];
  }
}

}  // namespace pelican::detail
