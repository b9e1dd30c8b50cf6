// Shapes: raw → constrained parameters, signed distance functions and their gradients (§2).
// Every SDF is written per point and branch-free so the 64-lane tile loops that call it
// vectorise; the same point function serves the tile classifier, so the bound it checks is the
// function the kernels evaluate.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fastmath.h"
#include "pelican/shape_model.h"

namespace pelican::detail {

enum : int32_t { kCircle = kShapeSpecs[0].code, kEllipse = kShapeSpecs[1].code, kTriangle = kShapeSpecs[2].code };

// Raw floats of one shape under the original's model (gray, opaque): intensity + geometry.
inline int raw_params_of(int32_t type) { return shape_param_count(type, Model{}); }
inline int raw_params_of(int32_t type, const Model& model) { return shape_param_count(type, model); }

// Slots of one shape's gradient w.r.t. its constrained values: 0 paint channel 0 (intensity),
// 1..6 geometry in table order, 7 and 8 paint channels 1 and 2, 9 opacity.
constexpr int kValueSlots = 10;
constexpr int kSlotPaint1 = 7, kSlotOpacity = 9;

// One shape with its constrained values and the derivative of each constrained value w.r.t.
// its raw parameter (all transforms are elementwise, so the Jacobian is diagonal).
template <class T>
struct ShapeParams {
  int32_t type;
  size_t offset;  // index of the shape's first raw float in the flat raw array
  T value[7];     // paint channel 0, then geometry in table order
  T dvalue[7];    // d value / d raw
  T paint[3];     // every paint channel (paint[0] == value[0])
  T dpaint[3];
  T alpha;  // opacity; exactly 1 when the model does not fit it
  T dalpha;
  T cs, sn;     // ellipse: cos θ, sin θ
  T lipschitz;  // bound on |∇sdf| used by the tile classifier
};

template <class T>
PELICAN_INLINE void apply_transform(Transform f, T x, T* value, T* dvalue) {
  if (f == Transform::Positive) {
    *value = softplus(x);
    *dvalue = softplus_grad(x);
  } else if (f == Transform::Angle) {
    *value = x;
    *dvalue = T(1);
  } else {
    T sg = sigmoid(x);
    *value = sg;
    *dvalue = sg * (T(1) - sg);
  }
}

template <class T>
ShapeParams<T> make_shape(int32_t type, size_t offset, const T* raw, const Model& model = Model{}) {
  ShapeParams<T> s{};
  s.type = type;
  s.offset = offset;
  const ShapeSpec& spec = *shape_spec(type);
  const int C = model.channels;
  for (int c = 0; c < C; ++c) apply_transform(kIntensityField.transform, raw[c], &s.paint[c], &s.dpaint[c]);
  s.value[0] = s.paint[0];
  s.dvalue[0] = s.dpaint[0];
  const T* geometry = raw + C;
  s.alpha = T(1);
  s.dalpha = T(0);
  if (model.opacity) {
    apply_transform(kOpacityField.transform, raw[C], &s.alpha, &s.dalpha);
    ++geometry;
  }
  for (int i = 0; i < spec.geometry_count; ++i)
    apply_transform(spec.geometry[i].transform, geometry[i], &s.value[1 + i], &s.dvalue[1 + i]);
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

// Chain rule from the constrained-value slots of one shape to its raw floats.
template <class T>
inline void values_to_raw_grad(const ShapeParams<T>& s, const Acc* slots, const Model& model, T* grad) {
  const int C = model.channels;
  T* g = grad + s.offset;
  g[0] = T(slots[0] * Acc(s.dvalue[0]));
  for (int c = 1; c < C; ++c) g[c] = T(slots[kSlotPaint1 + c - 1] * Acc(s.dpaint[c]));
  int o = C;
  if (model.opacity) g[o++] = T(slots[kSlotOpacity] * Acc(s.dalpha));
  const int n = shape_spec(s.type)->geometry_count;
  for (int i = 1; i <= n; ++i) g[o + i - 1] = T(slots[i] * Acc(s.dvalue[i]));
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
