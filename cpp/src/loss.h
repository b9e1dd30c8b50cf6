// Image terms of the composite loss (§4): MSE, Sobel edge and single-scale SSIM, each with the
// original's zero padding, computed together with d(weighted image loss)/d(render).
//
// Precision: the kernels work on the complements r' = 1 − r and t' = 1 − t, with the padding
// value 1 (the complement of the original's zero padding). The maths is identical — MSE and the
// Sobel magnitudes are unchanged (the Sobel kernels sum to zero), SSIM's means are 1 − μ' and its
// (co)variances E[r'²] − μ'², E[r't'] − μ'_r μ'_t are shift-invariant for the normalised window —
// but a white background becomes ~0 instead of ~1. In float the variance E[x²] − μ² over flat
// white paper otherwise loses ~1e-7 to cancellation at every pixel, the same way each time, which
// biased 1 − mean(SSIM) by 3e-4 relative; with complements it is exact enough in float.
//
// Images live in buffers with a 3-pixel halo, so every convolution reads the padding like
// conv2d(padding=…) and the inner loops have no bounds checks. The SSIM window is separable
// (outer product of one normalised 1-D Gaussian) and symmetric, so its adjoint is itself (with
// zero padding: no gradient flows into the constant pad): the backward pass is three more
// separable convolutions.
#pragma once

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <vector>

#include "fastmath.h"

namespace pelican::detail {

constexpr int kHalo = 3;
constexpr double kSsimC1 = 0.01 * 0.01;
constexpr double kSsimC2 = 0.03 * 0.03;

struct ImageTerms {
  Acc mse = 0, edge = 0, ssim = 0;  // unweighted components
};

template <class T>
class ImageLoss {
 public:
  void resize(int width, int height) {
    w_ = width;
    h_ = height;
    pitch_ = width + 2 * kHalo;
    const size_t halo = size_t(pitch_) * (height + 2 * kHalo), plain = size_t(width) * height;
    // Complemented images are padded with 1; gradients and blur scratch with 0.
    for (std::vector<T>* b : {&r_, &t_}) b->assign(halo, T(1));
    for (std::vector<T>* b : {&a_, &b_, &c_, &dgx_, &dgy_}) b->assign(halo, T(0));
    ring_.assign(size_t(3 * 7) * width, T(0));
    for (std::vector<T>* b : {&mu_t_, &sig_t_, &mag_t_, &mu_r_, &e_rr_, &e_rt_}) b->assign(plain, T(0));
    row_.assign(size_t(width), T(0));
    prod_.assign(size_t(width + 2 * kHalo), T(0));
    double g[7], sum = 0;
    for (int i = 0; i < 7; ++i) sum += (g[i] = std::exp(-double((i - 3) * (i - 3)) / (2.0 * 1.5 * 1.5)));
    for (int i = 0; i < 7; ++i) gauss_[i] = T(g[i] / sum);
  }

  // Precomputes everything that depends on the target only (μ't, σt², |∇t|).
  void set_target(const T* target) {
    for (int y = 0; y < h_; ++y)
      for (int x = 0; x < w_; ++x) {
        t_[at(x, y)] = T(1) - target[size_t(y) * w_ + x];
      }
    blur3({t_.data(), t_.data(), t_.data()}, {nullptr, t_.data(), t_.data()},
          {mu_t_.data(), e_rr_.data(), e_rt_.data()});
    for (size_t i = 0; i < size_t(w_) * h_; ++i) sig_t_[i] = e_rr_[i] - mu_t_[i] * mu_t_[i];
    for (int y = 0; y < h_; ++y) {
      edge_row(&t_[at(0, y - 1)], &t_[at(0, y)], &t_[at(0, y + 1)], nullptr, T(0), nullptr, nullptr,
               &mag_t_[size_t(y) * w_], w_);
    }
  }

  // Forward + backward. grad (nullable) receives d(mse + w_edge·E + w_ssim·S)/d render, or
  // d(w_edge·E + w_ssim·S)/d render without with_mse (colour computes its MSE over channels).
  ImageTerms run(const T* render, T w_edge, T w_ssim, T* grad, bool with_mse = true) {
    ImageTerms out;
    const int W = w_;
    const size_t n = size_t(W) * h_;
    const T inv_n = T(1) / T(double(n));
    T* PELICAN_RESTRICT row = row_.data();
    Acc mse = 0;
    for (int y = 0; y < h_; ++y) {
      stage_row(render + size_t(y) * W, &t_[at(0, y)], &r_[at(0, y)], row, W);
      mse += sum_row(row, W);
    }
    out.mse = mse / Acc(n);

    // Sobel edge term: E = mean((|∇r| − |∇t|)²); keeps dE/dgx', dE/dgy' for the backward pass.
    if (w_edge > T(0)) {
      Acc sum = 0;
      const T coef = T(2) * w_edge * inv_n;
      for (int y = 0; y < h_; ++y) {
        edge_row(&r_[at(0, y - 1)], &r_[at(0, y)], &r_[at(0, y + 1)], &mag_t_[size_t(y) * W], coef, &dgx_[at(0, y)],
                 &dgy_[at(0, y)], row, W);
        sum += sum_row(row, W);
      }
      out.edge = sum / Acc(n);
    }

    // SSIM: local statistics, the map, and its partials w.r.t. (μ'r, w∗r'², w∗r't').
    if (w_ssim > T(0)) {
      blur3({r_.data(), r_.data(), r_.data()}, {nullptr, r_.data(), t_.data()},
            {mu_r_.data(), e_rr_.data(), e_rt_.data()});
      const T k = -w_ssim * inv_n;  // d(w·(1 − mean ssim))/d ssim
      Acc sum = 0;
      for (int y = 0; y < h_; ++y) {
        const size_t p0 = size_t(y) * W;
        ssim_row(&mu_r_[p0], &mu_t_[p0], &e_rr_[p0], &e_rt_[p0], &sig_t_[p0], k, &a_[at(0, y)], &b_[at(0, y)],
                 &c_[at(0, y)], row, W);
        sum += sum_row(row, W);
      }
      out.ssim = 1.0 - sum / Acc(n);
    }

    if (!grad) return out;

    // d/dr' of MSE and the SSIM adjoint w∗A + 2r'(w∗B) + t'(w∗C), minus the Sobel adjoint
    // (correlation with the flipped kernels = the negated kernels); d/dr = −d/dr'.
    const bool ssim_on = w_ssim > T(0), edge_on = w_edge > T(0);
    if (ssim_on)
      blur3({a_.data(), b_.data(), c_.data()}, {nullptr, nullptr, nullptr}, {mu_r_.data(), e_rr_.data(), e_rt_.data()});
    for (int y = 0; y < h_; ++y) {
      const size_t p0 = size_t(y) * W;
      grad_row(&r_[at(0, y)], &t_[at(0, y)], ssim_on ? &mu_r_[p0] : nullptr, &e_rr_[p0], &e_rt_[p0],
               edge_on ? &dgx_[at(0, y)] : nullptr, &dgy_[at(0, y)], pitch_, with_mse ? T(2) * inv_n : T(0), grad + p0,
               W);
    }
    return out;
  }

 private:
  size_t at(int x, int y) const { return size_t(y + kHalo) * pitch_ + (x + kHalo); }

  static void stage_row(const T* PELICAN_RESTRICT src, const T* PELICAN_RESTRICT t, T* PELICAN_RESTRICT r,
                        T* PELICAN_RESTRICT sq, int n) {
    for (int x = 0; x < n; ++x) {
      const T v = T(1) - src[x];
      r[x] = v;
      sq[x] = (v - t[x]) * (v - t[x]);
    }
  }

  // |∇| of one row; with mt, also (|∇r| − |∇t|)² into sq and the scaled dE/dg' into dgx, dgy.
  static void edge_row(const T* PELICAN_RESTRICT up, const T* PELICAN_RESTRICT mid, const T* PELICAN_RESTRICT dn,
                       const T* PELICAN_RESTRICT mt, T coef, T* PELICAN_RESTRICT dgx, T* PELICAN_RESTRICT dgy,
                       T* PELICAN_RESTRICT sq, int n) {
    if (!mt) {
      for (int x = 0; x < n; ++x) {
        const T gx = (up[x + 1] - up[x - 1]) + T(2) * (mid[x + 1] - mid[x - 1]) + (dn[x + 1] - dn[x - 1]);
        const T gy = (dn[x - 1] + T(2) * dn[x] + dn[x + 1]) - (up[x - 1] + T(2) * up[x] + up[x + 1]);
        sq[x] = std::sqrt(gx * gx + gy * gy + T(1e-8));
      }
      return;
    }
    for (int x = 0; x < n; ++x) {
      const T gx = (up[x + 1] - up[x - 1]) + T(2) * (mid[x + 1] - mid[x - 1]) + (dn[x + 1] - dn[x - 1]);
      const T gy = (dn[x - 1] + T(2) * dn[x] + dn[x + 1]) - (up[x - 1] + T(2) * up[x] + up[x + 1]);
      const T mag = std::sqrt(gx * gx + gy * gy + T(1e-8));
      const T diff = mag - mt[x];
      sq[x] = diff * diff;
      const T k = coef * diff / mag;
      dgx[x] = k * gx;
      dgy[x] = k * gy;
    }
  }

  // SSIM map value and k·(∂ssim/∂μ'r, ∂ssim/∂(w∗r'²), ∂ssim/∂(w∗r't')) per pixel, with
  // μr = 1 − μ'r, σr² = w∗r'² − μ'r², σrt = w∗r't' − μ'r μ't.
  static void ssim_row(const T* PELICAN_RESTRICT mu_rc, const T* PELICAN_RESTRICT mu_tc, const T* PELICAN_RESTRICT e_rr,
                       const T* PELICAN_RESTRICT e_rt, const T* PELICAN_RESTRICT sig_t, T k, T* PELICAN_RESTRICT A,
                       T* PELICAN_RESTRICT B, T* PELICAN_RESTRICT C, T* PELICAN_RESTRICT val_out, int n) {
    const T C1 = T(kSsimC1), C2 = T(kSsimC2);
    for (int x = 0; x < n; ++x) {
      const T mrc = mu_rc[x], mtc = mu_tc[x];
      const T mr = T(1) - mrc, mt = T(1) - mtc;
      const T srr = e_rr[x] - mrc * mrc;
      const T srt = e_rt[x] - mrc * mtc;
      const T n1 = T(2) * mr * mt + C1, n2 = T(2) * srt + C2;
      const T d1 = mr * mr + mt * mt + C1, d2 = srr + sig_t[x] + C2;
      const T inv_den = T(1) / (d1 * d2);
      const T val = n1 * n2 * inv_den;
      val_out[x] = val;
      const T d_srr = -val * d1 * inv_den;                               // ∂val/∂σr²
      const T d_srt = T(2) * n1 * inv_den;                               // ∂val/∂σrt
      const T d_mr = (T(2) * mt * n2 - val * T(2) * mr * d2) * inv_den;  // ∂val/∂μr via n1, d1
      A[x] = k * (-d_mr - T(2) * mrc * d_srr - mtc * d_srt);
      B[x] = k * d_srr;
      C[x] = k * d_srt;
    }
  }

  // d loss / d r for one row; wa == nullptr when SSIM is off, dgx == nullptr when the edge term is.
  static void grad_row(const T* PELICAN_RESTRICT r, const T* PELICAN_RESTRICT t, const T* PELICAN_RESTRICT wa,
                       const T* PELICAN_RESTRICT wb, const T* PELICAN_RESTRICT wc, const T* PELICAN_RESTRICT dgx,
                       const T* PELICAN_RESTRICT dgy, int pitch, T two_inv_n, T* PELICAN_RESTRICT g, int n) {
    for (int x = 0; x < n; ++x) g[x] = -two_inv_n * (r[x] - t[x]);
    if (wa)
      for (int x = 0; x < n; ++x) g[x] -= wa[x] + T(2) * r[x] * wb[x] + t[x] * wc[x];
    if (dgx) {
      const T* PELICAN_RESTRICT xu = dgx - pitch;
      const T* PELICAN_RESTRICT xd = dgx + pitch;
      const T* PELICAN_RESTRICT yu = dgy - pitch;
      const T* PELICAN_RESTRICT yd = dgy + pitch;
      for (int x = 0; x < n; ++x) {
        const T ax = (xu[x + 1] - xu[x - 1]) + T(2) * (dgx[x + 1] - dgx[x - 1]) + (xd[x + 1] - xd[x - 1]);
        const T by = (yd[x - 1] + T(2) * yd[x] + yd[x + 1]) - (yu[x - 1] + T(2) * yu[x] + yu[x + 1]);
        g[x] += ax + by;
      }
    }
  }

  // Sum in a fixed order with eight lane-wise partial sums, which vectorises without -ffast-math.
  static Acc sum_row(const T* PELICAN_RESTRICT a, int n) {
    T part[8] = {};
    int x = 0;
    for (; x + 8 <= n; x += 8)
      for (int j = 0; j < 8; ++j) part[j] += a[x + j];
    Acc total = 0;
    for (; x < n; ++x) total += Acc(a[x]);
    for (int j = 0; j < 8; ++j) total += Acc(part[j]);
    return total;
  }

  static void hblur(const T* PELICAN_RESTRICT in, T* PELICAN_RESTRICT out, int n, const T* PELICAN_RESTRICT g) {
    const T g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4], g5 = g[5], g6 = g[6];
    for (int x = 0; x < n; ++x)
      out[x] = g0 * in[x - 3] + g1 * in[x - 2] + g2 * in[x - 1] + g3 * in[x] + g4 * in[x + 1] + g5 * in[x + 2] +
               g6 * in[x + 3];
  }

  static void mul_row(const T* PELICAN_RESTRICT a, const T* PELICAN_RESTRICT b, T* PELICAN_RESTRICT out, int n) {
    for (int x = 0; x < n; ++x) out[x] = a[x] * b[x];
  }

  // Vertical blur of ring rows: image row y lives in slot (y + kHalo) % 7.
  void vblur_ring(const T* PELICAN_RESTRICT ring, int y, T* PELICAN_RESTRICT out) const {
    const size_t W = size_t(w_);
    const T* PELICAN_RESTRICT r0 = ring + size_t((y + 0) % 7) * W;
    const T* PELICAN_RESTRICT r1 = ring + size_t((y + 1) % 7) * W;
    const T* PELICAN_RESTRICT r2 = ring + size_t((y + 2) % 7) * W;
    const T* PELICAN_RESTRICT r3 = ring + size_t((y + 3) % 7) * W;
    const T* PELICAN_RESTRICT r4 = ring + size_t((y + 4) % 7) * W;
    const T* PELICAN_RESTRICT r5 = ring + size_t((y + 5) % 7) * W;
    const T* PELICAN_RESTRICT r6 = ring + size_t((y + 6) % 7) * W;
    const T* g = gauss_;
    const T g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4], g5 = g[5], g6 = g[6];
    for (int x = 0; x < w_; ++x)
      out[x] = g0 * r0[x] + g1 * r1[x] + g2 * r2[x] + g3 * r3[x] + g4 * r4[x] + g5 * r5[x] + g6 * r6[x];
  }

  // Three same-size 7×7 Gaussian blurs of halo images (channel c blurs a[c], or a[c]·b[c] when
  // b[c] is set) into plain outputs. Separable, streamed through a 7-row ring per channel so the
  // intermediate stays in cache: each horizontal row (halo rows included — they carry the
  // padding) completes the vertical window of the output row kHalo rows above it.
  void blur3(std::initializer_list<const T*> a_list, std::initializer_list<const T*> b_list,
             std::initializer_list<T*> out_list) {
    const T* a[3];
    const T* b[3];
    T* out[3];
    std::copy(a_list.begin(), a_list.end(), a);
    std::copy(b_list.begin(), b_list.end(), b);
    std::copy(out_list.begin(), out_list.end(), out);
    const size_t W = size_t(w_);
    for (int y = -kHalo; y < h_ + kHalo; ++y) {
      const size_t slot = size_t((y + kHalo) % 7);
      for (int c = 0; c < 3; ++c) {
        T* dst = &ring_[(size_t(c) * 7 + slot) * W];
        if (b[c]) {
          // Each product once (halo included), then the plain blur: the same g·(a·b) terms.
          mul_row(a[c] + at(-kHalo, y), b[c] + at(-kHalo, y), prod_.data(), w_ + 2 * kHalo);
          hblur(prod_.data() + kHalo, dst, w_, gauss_);
        } else {
          hblur(a[c] + at(0, y), dst, w_, gauss_);
        }
      }
      const int yo = y - kHalo;
      if (yo >= 0)
        for (int c = 0; c < 3; ++c) vblur_ring(&ring_[size_t(c) * 7 * W], yo, out[c] + size_t(yo) * W);
    }
  }

  int w_ = 0, h_ = 0, pitch_ = 0;
  T gauss_[7] = {};
  std::vector<T> r_, t_, a_, b_, c_, dgx_, dgy_, ring_;
  std::vector<T> mu_t_, sig_t_, mag_t_, mu_r_, e_rr_, e_rt_, row_, prod_;
};

}  // namespace pelican::detail
