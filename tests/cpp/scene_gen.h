// Deterministic random scenes and targets for the property tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace testsupport {

struct RandomScene {
  std::vector<int32_t> types;
  std::vector<double> raw;
};

// Shapes of the given types with raw values spread wide enough that some sit on the canvas
// margin (canvas penalty active) and some triangles have edges under 0.01 (degeneracy active).
inline RandomScene random_scene(const std::vector<int32_t>& types, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(-3.2, 3.2), intensity(-2.5, 2.5), radius(-3.5, -1.2), angle(-3.0, 3.0),
      coin(0.0, 1.0);
  RandomScene s;
  s.types = types;
  for (int32_t t : types) {
    s.raw.push_back(intensity(rng));
    if (t == 0) {
      s.raw.insert(s.raw.end(), {pos(rng), pos(rng), radius(rng)});
    } else if (t == 1) {
      s.raw.insert(s.raw.end(), {pos(rng), pos(rng), radius(rng), radius(rng), angle(rng)});
    } else {
      const double x = pos(rng) * 0.5, y = pos(rng) * 0.5;
      // One triangle in three is tiny, so relu(0.01 − |edge|) is live.
      const double spread = coin(rng) < 0.33 ? 0.05 : 1.0;
      for (int v = 0; v < 3; ++v) s.raw.insert(s.raw.end(), {x + spread * pos(rng) * 0.4, y + spread * pos(rng) * 0.4});
    }
  }
  return s;
}

inline std::vector<double> random_target(int w, int h, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> t(size_t(w) * h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) t[size_t(y) * w + x] = 0.5 + 0.3 * std::sin(0.3 * x + 0.2 * y) + 0.2 * (u(rng) - 0.5);
  return t;
}

// A gray scene's raw values under another model: extra paint channels and the opacity spliced
// in per shape, then the background's raw values when it is fitted.
template <class Model>
inline std::vector<double> raw_for_model(const RandomScene& s, const Model& m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-2.5, 2.5), op(-1.0, 3.0);
  std::vector<double> raw;
  size_t o = 0;
  for (int32_t t : s.types) {
    const size_t n = t == 0 ? 4 : t == 1 ? 6 : 7;  // gray raw floats: intensity + geometry
    raw.push_back(s.raw[o]);
    for (int c = 1; c < m.channels; ++c) raw.push_back(u(rng));
    if (m.opacity) raw.push_back(op(rng));
    raw.insert(raw.end(), s.raw.begin() + o + 1, s.raw.begin() + o + n);
    o += n;
  }
  if (m.fit_background)
    for (int c = 0; c < m.channels; ++c) raw.push_back(u(rng));
  return raw;
}

// `channels` planes of random_target.
inline std::vector<double> target_planes(int w, int h, int channels, uint32_t seed) {
  std::vector<double> out;
  for (int c = 0; c < channels; ++c) {
    std::vector<double> p = random_target(w, h, seed + 31 * c);
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

}  // namespace testsupport
