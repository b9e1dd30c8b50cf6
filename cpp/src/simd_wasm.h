// Wasm SIMD (simd128) versions of the hottest lane loops, used only when emcc builds with
// -msimd128 (__wasm_simd128__). Each function does, lane by lane, exactly the arithmetic of its
// portable counterpart in the same order (Wasm has no FMA and these are IEEE single-precision
// operations), so the results are bit-identical to the portable path that native builds and the
// baseline Wasm flavour run; tests/workers golden parity runs this path.
//
// Why by hand: clang 14 vectorises the portable loops too, but it lowers the clamps to
// f32x4.min + bitselect (NaN-propagating min costs ~7 x64 instructions in V8), keeps the
// optional dc/ds store as four scalar stores, and converts the exponent with
// i32x4.trunc_sat_f32x4_s (another long V8 sequence). Here the clamps are pmin/pmax (one
// minps/maxps each) and the exponent comes from the bits of the rounded value.
#pragma once

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include <cstdint>

#define PELICAN_WASM_SIMD 1

namespace pelican::detail::wasm {

// x < lo ? lo : (x > hi ? hi : x), NaN passes through: pmin(a, b) = b < a ? b : a and
// pmax(a, b) = a < b ? b : a give exactly that (for x < lo, pmin leaves x alone).
inline v128_t clamp(v128_t x, v128_t lo, v128_t hi) { return wasm_f32x4_pmax(wasm_f32x4_pmin(x, hi), lo); }

// exp_poly (fastmath.h), four lanes. n is an integer in [−126, 126] and t = x·log2e + 1.5·2^23
// has ulp 1 there, so bits(t) − bits(1.5·2^23) is exactly int(n); the scale 2^n is then
// (bits(t) − 0x4B400000 + 127) << 23 — the same integer the scalar cast produces.
inline v128_t exp_poly(v128_t x) {
  x = clamp(x, wasm_f32x4_splat(-87.0f), wasm_f32x4_splat(87.0f));
  const v128_t shifter = wasm_f32x4_splat(12582912.0f);
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), shifter);
  const v128_t n = wasm_f32x4_sub(t, shifter);
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), wasm_f32x4_splat(1.0f));
  const v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(t, wasm_i32x4_splat(127 - 0x4B400000)), 23);
  return wasm_f32x4_mul(p, scale);
}

// coverage_lanes (raster.h) for float: c = 1/(1 + exp(clamp(s/τ, −10, 10))) and, when dcds is
// set, dc/ds = (−c·(1 − c))/τ inside the closed clamp interval, 0 outside.
inline void coverage_lanes(const float* s, float tau, float* c, float* dcds, int lanes) {
  const v128_t vt = wasm_f32x4_splat(tau), one = wasm_f32x4_splat(1.0f);
  const v128_t lo = wasm_f32x4_splat(-10.0f), hi = wasm_f32x4_splat(10.0f);
  if (dcds) {
    for (int i = 0; i < lanes; i += 4) {
      const v128_t z = wasm_f32x4_div(wasm_v128_load(s + i), vt);
      const v128_t cov = wasm_f32x4_div(one, wasm_f32x4_add(one, exp_poly(clamp(z, lo, hi))));
      wasm_v128_store(c + i, cov);
      const v128_t inside = wasm_v128_and(wasm_f32x4_ge(z, lo), wasm_f32x4_le(z, hi));
      const v128_t d = wasm_f32x4_div(wasm_f32x4_mul(wasm_f32x4_neg(cov), wasm_f32x4_sub(one, cov)), vt);
      wasm_v128_store(dcds + i, wasm_v128_and(d, inside));
    }
  } else {
    for (int i = 0; i < lanes; i += 4) {
      const v128_t z = wasm_f32x4_div(wasm_v128_load(s + i), vt);
      wasm_v128_store(c + i, wasm_f32x4_div(one, wasm_f32x4_add(one, exp_poly(clamp(z, lo, hi)))));
    }
  }
}

// render_backward's per-pair pass over one 8×8 tile (raster.h), for an edge pair: adds
// (G·c)·T into the eight row partials acc8 row by row (add_lanes' order), stages
// ((G·(I − o))·T)·dc/ds for the SDF gradient in tmp, and advances o to (1 − c)·o + c·I.
inline void backward_edge_pair(const float* G, const float* c, const float* dcds, const float* trans, float I, float* o,
                               float* tmp, float* acc8) {
  const v128_t vI = wasm_f32x4_splat(I), one = wasm_f32x4_splat(1.0f);
  v128_t part[2] = {wasm_v128_load(acc8), wasm_v128_load(acc8 + 4)};
  for (int r = 0; r < 8; ++r)
    for (int h = 0; h < 2; ++h) {
      const int i = r * 8 + h * 4;
      const v128_t g = wasm_v128_load(G + i), ck = wasm_v128_load(c + i), tk = wasm_v128_load(trans + i);
      const v128_t ok = wasm_v128_load(o + i);
      part[h] = wasm_f32x4_add(part[h], wasm_f32x4_mul(wasm_f32x4_mul(g, ck), tk));
      const v128_t gs =
          wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(g, wasm_f32x4_sub(vI, ok)), tk), wasm_v128_load(dcds + i));
      wasm_v128_store(tmp + i, gs);
      wasm_v128_store(o + i, wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(one, ck), ok), wasm_f32x4_mul(ck, vI)));
    }
  wasm_v128_store(acc8, part[0]);
  wasm_v128_store(acc8 + 4, part[1]);
}

// The same for a saturated pair of constant coverage cc (no SDF term).
inline void backward_saturated_pair(const float* G, float cc, const float* trans, float I, float* o, float* acc8) {
  const v128_t vc = wasm_f32x4_splat(cc), keep = wasm_f32x4_splat(1.0f - cc), add = wasm_f32x4_splat(cc * I);
  v128_t part[2] = {wasm_v128_load(acc8), wasm_v128_load(acc8 + 4)};
  for (int r = 0; r < 8; ++r)
    for (int h = 0; h < 2; ++h) {
      const int i = r * 8 + h * 4;
      const v128_t g = wasm_v128_load(G + i), tk = wasm_v128_load(trans + i);
      part[h] = wasm_f32x4_add(part[h], wasm_f32x4_mul(wasm_f32x4_mul(g, vc), tk));
      wasm_v128_store(o + i, wasm_f32x4_add(wasm_f32x4_mul(keep, wasm_v128_load(o + i)), add));
    }
  wasm_v128_store(acc8, part[0]);
  wasm_v128_store(acc8 + 4, part[1]);
}

}  // namespace pelican::detail::wasm

#endif  // __wasm_simd128__
