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
  std::uniform_real_distribution<double> pos(-3.2, 3.2), intensity(-2.5, 2.5), radius(-3.5, -1.2),
      angle(-3.0, 3.0), coin(0.0, 1.0);
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

}  // namespace testsupport
