// The one model of a shape. Every other layer (the bindings, the worker protocol, Python, the
// page) reads this table through the engine instead of restating it, so adding a field or a
// shape type is a change here and in the type's SDF (cpp/src/sdf.h), nowhere else.
//
// A shape's parameters, in order: its paint (gray: intensity; colour: r, g, b), its opacity
// when the model fits opacity, then the geometry fields of its type. The engine optimises an
// unconstrained raw float per parameter; the transform maps raw → constrained value and its
// inverse builds raw from what a person, a file or an LLM wrote. Raw values never leave the
// engine: every host speaks in constrained values.
#pragma once

#include <cstdint>

namespace pelican {

enum class Transform : int32_t {
  Unit = 0,      // sigmoid; inverse logit(clamp(x, 1e-6, 1 − 1e-6))        centres, vertices, opacity
  Paint = 1,     // sigmoid; inverse logit(clamp(x, 0.01, 0.99))            intensity and colour channels
  Positive = 2,  // softplus; inverse log(expm1(max(x, 1e-6)))               radii
  Angle = 3,     // identity                                                  rotation in radians
};

struct FieldSpec {
  const char* name;  // a JSON path inside a shape object: "cx", "points[1][0]"
  Transform transform;
  double min, max;  // accepted constrained range (inclusive; Positive also excludes 0)
};

constexpr int kMaxGeometry = 6;

struct ShapeSpec {
  const char* name;
  int32_t code;
  int geometry_count;
  FieldSpec geometry[kMaxGeometry];
};

// Radii beyond a few canvases cover everything and only slow the optimiser down.
constexpr double kMaxRadius = 4.0;
constexpr double kMaxRotation = 1.0e4;

constexpr ShapeSpec kShapeSpecs[] = {
    {"circle",
     0,
     3,
     {{"cx", Transform::Unit, 0, 1}, {"cy", Transform::Unit, 0, 1}, {"r", Transform::Positive, 0, kMaxRadius}}},
    {"ellipse",
     1,
     5,
     {{"cx", Transform::Unit, 0, 1},
      {"cy", Transform::Unit, 0, 1},
      {"rx", Transform::Positive, 0, kMaxRadius},
      {"ry", Transform::Positive, 0, kMaxRadius},
      {"rotation", Transform::Angle, -kMaxRotation, kMaxRotation}}},
    {"triangle",
     2,
     6,
     {{"points[0][0]", Transform::Unit, 0, 1},
      {"points[0][1]", Transform::Unit, 0, 1},
      {"points[1][0]", Transform::Unit, 0, 1},
      {"points[1][1]", Transform::Unit, 0, 1},
      {"points[2][0]", Transform::Unit, 0, 1},
      {"points[2][1]", Transform::Unit, 0, 1}}},
};
constexpr int kShapeTypeCount = int(sizeof(kShapeSpecs) / sizeof(kShapeSpecs[0]));

// Paint and opacity, shared by every type. In gray the paint is one channel called intensity
// (0 black, 1 white); in colour three channels that files write as "color": "#rrggbb".
constexpr FieldSpec kIntensityField = {"intensity", Transform::Paint, 0, 1};
constexpr FieldSpec kColorChannelField = {"color", Transform::Paint, 0, 1};
constexpr FieldSpec kOpacityField = {"opacity", Transform::Unit, 0, 1};
// The canvas colour, one value per channel, fitted like paint when the model fits it.
constexpr FieldSpec kBackgroundField = {"background", Transform::Paint, 0, 1};

// What a scene is made of beyond its shapes' geometry. The original is {1, false, false} with a
// white canvas, and that model keeps the original's maths bit for bit.
struct Model {
  int channels = 1;             // 1 (gray) or 3 (RGB)
  bool opacity = false;         // fit a per-shape opacity (otherwise every shape is opaque)
  bool fit_background = false;  // fit the canvas colour (otherwise it stays as set, white by default)
};

constexpr const ShapeSpec* shape_spec(int32_t code) {
  return code >= 0 && code < kShapeTypeCount ? &kShapeSpecs[code] : nullptr;
}

// Parameters of one shape of type `code` under `model` (0 for an unknown type).
constexpr int shape_param_count(int32_t code, const Model& model) {
  return shape_spec(code) ? model.channels + (model.opacity ? 1 : 0) + shape_spec(code)->geometry_count : 0;
}

// The original's initial 9-shape pelican (§2.2), back to front, in a unit square: per shape its
// name, type code and constrained values under the original's model (intensity, then geometry).
struct InitialShape {
  const char* name;
  int32_t type;
  double values[1 + kMaxGeometry];
};
constexpr InitialShape kInitialPelican[] = {
    {"body", 1, {0.35, 0.42, 0.55, 0.22, 0.28, -0.3}},
    {"neck", 1, {0.40, 0.52, 0.35, 0.06, 0.15, -0.2}},
    {"head", 0, {0.35, 0.58, 0.18, 0.08}},
    {"beak_upper", 2, {0.25, 0.62, 0.15, 0.62, 0.22, 0.88, 0.20}},
    {"beak_lower", 2, {0.30, 0.62, 0.22, 0.88, 0.20, 0.65, 0.28}},
    {"wing", 1, {0.30, 0.38, 0.50, 0.18, 0.15, -0.4}},
    {"tail", 2, {0.20, 0.18, 0.52, 0.25, 0.48, 0.12, 0.60}},
    {"eye", 0, {0.05, 0.60, 0.16, 0.015}},
    {"feet", 1, {0.15, 0.45, 0.88, 0.06, 0.04, 0.0}},
};

// Constrained value ↔ raw float, computed in double as the original did in Python.
double to_raw(Transform, double value);
double from_raw(Transform, float raw);

}  // namespace pelican
