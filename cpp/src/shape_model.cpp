// The transforms of the shape table (shape_model.h), in double as the original computed its raw
// parameters in Python; the engine stores the result as float.
#include "pelican/shape_model.h"

#include <cmath>

#include "pelican/engine.h"

namespace pelican {

double to_raw(Transform f, double value) {
  switch (f) {
    case Transform::Unit:
      return double(logit_param(value));
    case Transform::Paint:
      return double(intensity_raw(value));
    case Transform::Positive:
      return double(inv_softplus(value));
    case Transform::Angle:
      return value;
  }
  return value;
}

double from_raw(Transform f, float raw) {
  const double x = double(raw);
  switch (f) {
    case Transform::Unit:
    case Transform::Paint:
      return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
    case Transform::Positive:
      // PyTorch's softplus is the identity above 20.
      return x > 20.0 ? x : std::log1p(std::exp(x));
    case Transform::Angle:
      return x;
  }
  return x;
}

}  // namespace pelican
