// The built-in initial scene (§2.2) and the inverse parameter transforms.
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
  auto ellipse = [&](double cx, double cy, double rx, double ry, double rot, double in) {
    types->push_back(int32_t(ShapeType::Ellipse));
    raw->insert(raw->end(), {intensity_raw(in), logit_param(cx), logit_param(cy), inv_softplus(rx), inv_softplus(ry),
                             float(rot)});
  };
  auto circle = [&](double cx, double cy, double r, double in) {
    types->push_back(int32_t(ShapeType::Circle));
    raw->insert(raw->end(), {intensity_raw(in), logit_param(cx), logit_param(cy), inv_softplus(r)});
  };
  auto triangle = [&](double x0, double y0, double x1, double y1, double x2, double y2, double in) {
    types->push_back(int32_t(ShapeType::Triangle));
    raw->insert(raw->end(), {intensity_raw(in), logit_param(x0), logit_param(y0), logit_param(x1), logit_param(y1),
                             logit_param(x2), logit_param(y2)});
  };
  ellipse(0.42, 0.55, 0.22, 0.28, -0.3, 0.35);           // body
  ellipse(0.52, 0.35, 0.06, 0.15, -0.2, 0.40);           // neck
  circle(0.58, 0.18, 0.08, 0.35);                        // head
  triangle(0.62, 0.15, 0.62, 0.22, 0.88, 0.20, 0.25);    // beak_upper
  triangle(0.62, 0.22, 0.88, 0.20, 0.65, 0.28, 0.30);    // beak_lower
  ellipse(0.38, 0.50, 0.18, 0.15, -0.4, 0.30);           // wing
  triangle(0.18, 0.52, 0.25, 0.48, 0.12, 0.60, 0.20);    // tail
  circle(0.60, 0.16, 0.015, 0.05);                       // eye
  ellipse(0.45, 0.88, 0.06, 0.04, 0.0, 0.15);            // feet
}

}  // namespace pelican
