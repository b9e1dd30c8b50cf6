// The inverse parameter transforms, and the built-in initial scene (§2.2) in the raw layout.
#include <cmath>
#include <vector>

#include "pelican/engine.h"

namespace pelican {

float logit_param(double x) {
  x = x < 1e-6 ? 1e-6 : (x > 1 - 1e-6 ? 1 - 1e-6 : x);
  return float(std::log(x / (1 - x)));
}

float inv_softplus(double x) {
  x = x < 1e-6 ? 1e-6 : x;
  return float(std::log(std::expm1(x)));
}

float intensity_raw(double intensity) {
  return logit_param(intensity < 0.01 ? 0.01 : (intensity > 0.99 ? 0.99 : intensity));
}

void initial_pelican(std::vector<int32_t>* types, std::vector<float>* raw) {
  types->clear();
  raw->clear();
  for (const InitialShape& shape : kInitialPelican) {
    types->push_back(shape.type);
    raw->push_back(float(to_raw(kIntensityField.transform, shape.values[0])));
    const ShapeSpec& spec = *shape_spec(shape.type);
    for (int g = 0; g < spec.geometry_count; ++g)
      raw->push_back(float(to_raw(spec.geometry[g].transform, shape.values[1 + g])));
  }
}

}  // namespace pelican
