// Scalar helpers shared by the kernels, templated on the scalar type so the tests can run the
// whole pipeline in double for tight finite-difference checks.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

// Non-aliasing promise for the inner loops (g++, clang and emcc all accept __restrict); without
// it g++ keeps the multi-pointer convolution loops scalar.
#define PELICAN_RESTRICT __restrict

// Per-point functions called from the 64-lane tile loops must be inlined into them or the loop
// stays scalar (a call cannot be vectorised). clang (emcc) refuses to inline the larger ones,
// such as the triangle SDF gradient, on cost alone; g++ happened to inline them.
#if defined(__GNUC__) || defined(__clang__)
#define PELICAN_INLINE inline __attribute__((always_inline))
#else
#define PELICAN_INLINE inline
#endif

namespace pelican::detail {

// Whole-image sums are accumulated in double whatever the kernel's scalar type: PyTorch's float
// reductions are pairwise, so a float running sum would drift further from the reference than
// the parity tolerance allows.
using Acc = double;

// exp for |x| <= 87 (Cody–Waite reduction + Cephes' expf polynomial, ~1 ulp). Written without
// branches or libm calls so g++ and clang vectorise the loops that call it, natively and under
// -msimd128; std::exp would keep them scalar.
PELICAN_INLINE float exp_poly(float x) {
  x = x < -87.0f ? -87.0f : (x > 87.0f ? 87.0f : x);
  // Round-to-nearest via the 1.5·2^23 trick: vectorises where nearbyint may not.
  const float shifter = 12582912.0f;
  float n = (x * 1.44269504088896341f + shifter) - shifter;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

template <class T>
PELICAN_INLINE T fast_exp(T x) {
  return std::exp(x);
}
template <>
PELICAN_INLINE float fast_exp<float>(float x) {
  return exp_poly(x);
}

template <class T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// PyTorch's softplus: identity above 20 (threshold), log1p(exp(x)) below.
template <class T>
inline T softplus(T x) {
  return x > T(20) ? x : std::log1p(std::exp(x));
}
template <class T>
inline T softplus_grad(T x) {
  return x > T(20) ? T(1) : sigmoid(x);
}

template <class T>
PELICAN_INLINE T clampv(T x, T lo, T hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

// relu and its PyTorch gradient (0 at the kink).
template <class T>
inline T relu(T x) {
  return x > T(0) ? x : T(0);
}
template <class T>
inline T relu_grad(T x) {
  return x > T(0) ? T(1) : T(0);
}

}  // namespace pelican::detail
