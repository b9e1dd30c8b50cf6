// Geometric priors of the loss (§4): perimeter (Ramanujan II for ellipses), triangle degeneracy
// and the canvas penalty, each with its gradient w.r.t. the constrained shape values.
#pragma once

#include <cmath>

#include "fastmath.h"
#include "sdf.h"

namespace pelican::detail {

struct PriorTerms {
  Acc perimeter = 0, degeneracy = 0, canvas = 0;
};

constexpr double kPi = 3.14159265358979323846;
constexpr double kCanvasMargin = 0.05;
constexpr double kMinEdge = 0.01;

// Adds one shape's priors to `terms` and w·(d prior / d value) to grad[1..6].
// extent_x/extent_y are the canvas extents W/S and H/S (1 for a square canvas).
template <class T>
void shape_priors(const ShapeParams<T>& s, T extent_x, T extent_y, T w_perim, T w_degen, T w_canvas, PriorTerms* terms,
                  Acc* grad) {
  const T m = T(kCanvasMargin);
  const T hi_x = extent_x - m, hi_y = extent_y - m;
  // relu penalties of a disc-like footprint; returns d/dcx, d/dcy, d/dr.
  auto disc_canvas = [&](T cx, T cy, T r, T* gcx, T* gcy, T* gr) {
    T t1 = cx + r - hi_x, t2 = m - (cx - r), t3 = cy + r - hi_y, t4 = m - (cy - r);
    terms->canvas += Acc(relu(t1)) + Acc(relu(t2)) + Acc(relu(t3)) + Acc(relu(t4));
    *gcx = relu_grad(t1) - relu_grad(t2);
    *gcy = relu_grad(t3) - relu_grad(t4);
    *gr = relu_grad(t1) + relu_grad(t2) + relu_grad(t3) + relu_grad(t4);
  };
  const T* v = s.value;
  if (s.type == kCircle) {
    terms->perimeter += Acc(T(2 * kPi) * v[3]);
    grad[3] += Acc(w_perim * T(2 * kPi));
    T gcx, gcy, gr;
    disc_canvas(v[1], v[2], v[3], &gcx, &gcy, &gr);
    grad[1] += Acc(w_canvas * gcx);
    grad[2] += Acc(w_canvas * gcy);
    grad[3] += Acc(w_canvas * gr);
  } else if (s.type == kEllipse) {
    const T a = v[3], b = v[4];
    const T sum = a + b, diff = a - b;
    const T den = sum * sum + T(1e-8);
    const T h = diff * diff / den;
    const T sq = std::sqrt(T(4) - T(3) * h);
    const T F = T(1) + T(3) * h / (T(10) + sq);
    terms->perimeter += Acc(T(kPi) * sum * F);
    const T dF_dh = T(3) / (T(10) + sq) + T(9) * h / (T(2) * sq * (T(10) + sq) * (T(10) + sq));
    const T dh_da = T(2) * diff / den - diff * diff * T(2) * sum / (den * den);
    const T dh_db = -T(2) * diff / den - diff * diff * T(2) * sum / (den * den);
    grad[3] += Acc(w_perim * (T(kPi) * F + T(kPi) * sum * dF_dh * dh_da));
    grad[4] += Acc(w_perim * (T(kPi) * F + T(kPi) * sum * dF_dh * dh_db));
    // Rotation ignored (conservative, as the original); torch.maximum splits ties evenly.
    const T r = a > b ? a : b;
    const T share_a = a > b ? T(1) : (a < b ? T(0) : T(0.5));
    T gcx, gcy, gr;
    disc_canvas(v[1], v[2], r, &gcx, &gcy, &gr);
    grad[1] += Acc(w_canvas * gcx);
    grad[2] += Acc(w_canvas * gcy);
    grad[3] += Acc(w_canvas * gr * share_a);
    grad[4] += Acc(w_canvas * gr * (T(1) - share_a));
  } else {
    const T* p = v + 1;  // v0x v0y v1x v1y v2x v2y
    for (int e = 0; e < 3; ++e) {
      const int a = 2 * e, b = 2 * ((e + 1) % 3);
      const T ex = p[b] - p[a], ey = p[b + 1] - p[a + 1];
      const T len = std::sqrt(ex * ex + ey * ey);
      const T gate = T(kMinEdge) - len;
      terms->perimeter += Acc(len);
      terms->degeneracy += Acc(relu(gate));
      // d len / d v_b = e/|e| (0 at |e| = 0, like PyTorch's norm); d/d v_a is its negative.
      const T dl = w_perim - w_degen * relu_grad(gate);
      const T ux = len > T(0) ? ex / len : T(0), uy = len > T(0) ? ey / len : T(0);
      grad[1 + b] += Acc(dl * ux);
      grad[2 + b] += Acc(dl * uy);
      grad[1 + a] -= Acc(dl * ux);
      grad[2 + a] -= Acc(dl * uy);
    }
    for (int i = 0; i < 6; ++i) {
      const T x = p[i], hi = (i & 1) ? hi_y : hi_x;
      terms->canvas += Acc(relu(x - hi)) + Acc(relu(m - x));
      grad[1 + i] += Acc(w_canvas * (relu_grad(x - hi) - relu_grad(m - x)));
    }
  }
}

}  // namespace pelican::detail
