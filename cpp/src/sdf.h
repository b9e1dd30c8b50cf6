// Shapes: raw → constrained parameters, signed distance functions and their gradients (§2).
// Every SDF is written per point and branch-free so the 64-lane tile loops that call it
// vectorise; the same point function serves the tile classifier, so the bound it checks is the
// function the kernels evaluate.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fastmath.h"

namespace pelican::detail {

enum : int32_t { kCircle = 0, kEllipse = 1, kTriangle = 2 };

inline int raw_params_of(int32_t type) {
  return type == kCircle ? 4 : type == kEllipse ? 6 : type == kTriangle ? 7 : 0;
}

// One shape with its constrained values and the derivative of each constrained value w.r.t.
// its raw parameter (all transforms are elementwise, so the Jacobian is diagonal).
template <class T>
struct ShapeParams {
  int32_t type;
  size_t offset;  // index of intensity_raw in the flat raw array
  T value[7];     // constrained values in raw order: intensity first, then geometry
  T dvalue[7];    // d value / d raw
  T cs, sn;       // ellipse: cos θ, sin θ
  T lipschitz;    // bound on |∇sdf| used by the tile classifier
};

template <class T>
ShapeParams<T> make_shape(int32_t type, size_t offset, const T* raw) {
  ShapeParams<T> s{};
  s.type = type;
  s.offset = offset;
  int n = raw_params_of(type);
  for (int i = 0; i < n; ++i) {
    T x = raw[i];
    bool is_radius = (type == kCircle && i == 3) || (type == kEllipse && (i == 3 || i == 4));
    bool is_angle = type == kEllipse && i == 5;
    if (is_radius) {
      s.value[i] = softplus(x);
      s.dvalue[i] = softplus_grad(x);
    } else if (is_angle) {
      s.value[i] = x;
      s.dvalue[i] = T(1);
    } else {
      T sg = sigmoid(x);
      s.value[i] = sg;
      s.dvalue[i] = sg * (T(1) - sg);
    }
  }
  s.lipschitz = T(1);
  if (type == kEllipse) {
    // cos(−θ) and −sin(−θ) are bit-identical to cos θ and sin θ, so this matches §2.3 exactly.
    s.cs = std::cos(s.value[5]);
    s.sn = std::sin(s.value[5]);
    T a = s.value[3] + T(1e-10), b = s.value[4] + T(1e-10);
    T m = std::sqrt(s.value[3] * s.value[4] + T(1e-10));
    s.lipschitz = m / (a < b ? a : b);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Forward: signed distance at one point.

template <class T>
PELICAN_INLINE T sdf_circle(const ShapeParams<T>& s, T x, T y) {
  T dx = x - s.value[1], dy = y - s.value[2];
  return std::sqrt(dx * dx + dy * dy + T(1e-10)) - s.value[3];
}

template <class T>
PELICAN_INLINE T sdf_ellipse(const ShapeParams<T>& s, T x, T y) {
  T dx = x - s.value[1], dy = y - s.value[2];
  T xr = dx * s.cs + dy * s.sn;
  T yr = -dx * s.sn + dy * s.cs;
  T u = xr / (s.value[3] + T(1e-10)), v = yr / (s.value[4] + T(1e-10));
  T q = std::sqrt(u * u + v * v + T(1e-10));
  return (q - T(1)) * std::sqrt(s.value[3] * s.value[4] + T(1e-10));
}

// Per-edge quantities of the triangle SDF for edge a→b.
template <class T>
struct EdgeEval {
  T d, cross;
};
template <class T>
PELICAN_INLINE EdgeEval<T> tri_edge(T ax, T ay, T bx, T by, T x, T y) {
  T ex = bx - ax, ey = by - ay, wx = x - ax, wy = y - ay;
  T t = clampv((wx * ex + wy * ey) / (ex * ex + ey * ey + T(1e-8)), T(0), T(1));
  T rx = wx - t * ex, ry = wy - t * ey;
  return {std::sqrt(rx * rx + ry * ry), ex * wy - ey * wx};
}

template <class T>
PELICAN_INLINE T sdf_triangle(const ShapeParams<T>& s, T x, T y) {
  const T* v = s.value + 1;
  EdgeEval<T> e0 = tri_edge(v[0], v[1], v[2], v[3], x, y);
  EdgeEval<T> e1 = tri_edge(v[2], v[3], v[4], v[5], x, y);
  EdgeEval<T> e2 = tri_edge(v[4], v[5], v[0], v[1], x, y);
  T d = e0.d < e1.d ? e0.d : e1.d;
  d = d < e2.d ? d : e2.d;
  // Strict on both windings: on an edge or inside a collinear triangle counts as outside.
  // Bitwise &/| (no short-circuit) keep the lane loops branch-free so they vectorise.
  const bool inside = ((e0.cross > T(0)) & (e1.cross > T(0)) & (e2.cross > T(0))) |
                      ((e0.cross < T(0)) & (e1.cross < T(0)) & (e2.cross < T(0)));
  return inside ? -d : d;
}

template <class T>
inline T sdf_point(const ShapeParams<T>& s, T x, T y) {
  return s.type == kCircle ? sdf_circle(s, x, y) : s.type == kEllipse ? sdf_ellipse(s, x, y) : sdf_triangle(s, x, y);
}

// ---------------------------------------------------------------------------------------------
// Backward: d sdf / d constrained geometry at one point, times the upstream gradient gs.
// Written into out[0..5] (geometry only; intensity has no SDF term). Repeats the forward setup.

template <class T>
PELICAN_INLINE void sdf_circle_grad(const ShapeParams<T>& s, T x, T y, T gs, T* out) {
  T dx = x - s.value[1], dy = y - s.value[2];
  T d = std::sqrt(dx * dx + dy * dy + T(1e-10));
  out[0] = -gs * dx / d;
  out[1] = -gs * dy / d;
  out[2] = -gs;
}

template <class T>
PELICAN_INLINE void sdf_ellipse_grad(const ShapeParams<T>& s, T x, T y, T gs, T* out) {
  T rxv = s.value[3], ryv = s.value[4];
  T dx = x - s.value[1], dy = y - s.value[2];
  T xr = dx * s.cs + dy * s.sn;
  T yr = -dx * s.sn + dy * s.cs;
  T a = rxv + T(1e-10), b = ryv + T(1e-10);
  T u = xr / a, v = yr / b;
  T q = std::sqrt(u * u + v * v + T(1e-10));
  T m = std::sqrt(rxv * ryv + T(1e-10));
  T A = m * u / (q * a);  // d sdf / d x'
  T B = m * v / (q * b);  // d sdf / d y'
  T half_q1_over_m = (q - T(1)) / (T(2) * m);
  out[0] = gs * (-A * s.cs + B * s.sn);
  out[1] = gs * (-A * s.sn - B * s.cs);
  out[2] = gs * (-A * u + half_q1_over_m * ryv);
  out[3] = gs * (-B * v + half_q1_over_m * rxv);
  out[4] = gs * (A * yr - B * xr);
}

// Gradient of one edge distance w.r.t. its endpoints a and b (scaled by g), including the path
// through the projection parameter t (PyTorch's clamp passes it on the closed interval [0,1]).
template <class T>
PELICAN_INLINE void tri_edge_grad(T ax, T ay, T bx, T by, T x, T y, T g, T* ga, T* gb) {
  T ex = bx - ax, ey = by - ay, wx = x - ax, wy = y - ay;
  T D = ex * ex + ey * ey + T(1e-8);
  T traw = (wx * ex + wy * ey) / D;
  T t = clampv(traw, T(0), T(1));
  T act = ((traw >= T(0)) & (traw <= T(1))) ? T(1) : T(0);
  T rx = wx - t * ex, ry = wy - t * ey;
  T d = std::sqrt(rx * rx + ry * ry);
  T inv = d > T(0) ? g / d : T(0);  // norm's gradient is 0 at 0, as in PyTorch
  T grx = rx * inv, gry = ry * inv;
  T h = (grx * ex + gry * ey) * act / D;
  ga[0] = -(T(1) - t) * grx - h * (-ex - wx + T(2) * t * ex);
  ga[1] = -(T(1) - t) * gry - h * (-ey - wy + T(2) * t * ey);
  gb[0] = -t * grx - h * (wx - T(2) * t * ex);
  gb[1] = -t * gry - h * (wy - T(2) * t * ey);
}

template <class T>
PELICAN_INLINE void sdf_triangle_grad(const ShapeParams<T>& s, T x, T y, T gs, T* out) {
  const T* v = s.value + 1;
  EdgeEval<T> e0 = tri_edge(v[0], v[1], v[2], v[3], x, y);
  EdgeEval<T> e1 = tri_edge(v[2], v[3], v[4], v[5], x, y);
  EdgeEval<T> e2 = tri_edge(v[4], v[5], v[0], v[1], x, y);
  // Bitwise &/| (no short-circuit) keep the lane loops branch-free so they vectorise.
  const bool inside = ((e0.cross > T(0)) & (e1.cross > T(0)) & (e2.cross > T(0))) |
                      ((e0.cross < T(0)) & (e1.cross < T(0)) & (e2.cross < T(0)));
  T g = inside ? -gs : gs;
  // The gradient flows through the active minimum only (first index on ties).
  const bool pick1 = e1.d < e0.d;
  const T dmin01 = pick1 ? e1.d : e0.d;
  const bool pick2 = e2.d < dmin01;
  const T g2 = pick2 ? g : T(0);
  const T g01 = pick2 ? T(0) : g;
  const T g1 = pick1 ? g01 : T(0);
  const T g0 = pick1 ? T(0) : g01;
  T a0[2], b0[2], a1[2], b1[2], a2[2], b2[2];
  tri_edge_grad(v[0], v[1], v[2], v[3], x, y, g0, a0, b0);
  tri_edge_grad(v[2], v[3], v[4], v[5], x, y, g1, a1, b1);
  tri_edge_grad(v[4], v[5], v[0], v[1], x, y, g2, a2, b2);
  out[0] = a0[0] + b2[0];
  out[1] = a0[1] + b2[1];
  out[2] = b0[0] + a1[0];
  out[3] = b0[1] + a1[1];
  out[4] = b1[0] + a2[0];
  out[5] = b1[1] + a2[1];
}

}  // namespace pelican::detail
