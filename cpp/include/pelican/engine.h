// Public C++ surface of the pelican compute core. Everything a host (GoogleTest, the native
// benchmark, the Embind bindings) may call lives here; the maths lives in cpp/src.
//
// Coordinates: canvas W×H pixels, S = max(W, H), pixel (row, col) sits at
// x = (col + 0.5) / S, y = (row + 0.5) / S, so the canvas spans [0, W/S] × [0, H/S] and a square
// canvas reproduces the original's [0,1]² pixel-centre grid exactly. τ is in the same normalised
// units (1 px = 1/S). The canvas penalty uses the extents W/S and H/S in place of 1.
//
// Parameter layout (shapes back to front): per shape its paint channels, its opacity when the
// model fits it, then its geometry (shape_model.h, the one table of it); then the background's
// channels when the model fits it. Under the original's model (gray, opaque, white canvas):
//   circle (4):   intensity, cx, cy, radius
//   ellipse (6):  intensity, cx, cy, rx, ry, rotation
//   triangle (7): intensity, v0x, v0y, v1x, v1y, v2x, v2y
// The engine optimises raw floats (value = transform(raw)); hosts set and read constrained
// values (set_scene_values / values); the raw methods serve the native tests and benchmark.
//
// Images (target, render) are `channels` planes of W×H floats, row-major, 0 black, 1 white.
//
// No exception crosses this API: every fallible call returns a Status whose message names the
// function and the offending argument.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pelican/shape_model.h"

namespace pelican {

enum class ShapeType : int32_t { Circle = 0, Ellipse = 1, Triangle = 2 };

// Raw parameter count of one shape under the original's model (intensity included); 0 for an
// unknown type. shape_param_count(code, model) gives it for any model.
int param_count(ShapeType);

struct Status {
  bool ok;
  std::string message;
};

// Unweighted components plus the weighted total, in the order used by every flat layout.
struct Breakdown {
  float mse, edge, ssim, perimeter, degeneracy, canvas, total;
};

struct LossWeights {
  float perimeter = 0.001f, degeneracy = 0.1f, canvas = 1.0f, edge = 0.1f, ssim = 0.05f;
};

struct OptimizeOptions {
  int steps = 500;
  float lr = 0.02f;
  float tau_start = 0;  // 0 → 1/S
  float tau_end = 0;    // 0 → 0.2/S
  float clip_norm = 1.0f;
};

struct ProposeOptions {
  int count = 1;         // shapes wanted (fewer come back when nothing more would help)
  int candidates = 128;  // random shapes tried per proposal
  int mutations = 96;    // hill-climbing moves on the best of them
  uint32_t seed = 1;
  uint32_t type_mask = 7;  // bit per shape type code allowed
  // Opacity by joint least squares with the colour (cpp/src/propose.h) instead of the best of a
  // fixed grid; off by default (it scored lower in bench:quality) and not bound to the hosts.
  bool joint_opacity = false;
};

// Largest accepted |raw| value: far beyond anything useful (sigmoid saturates near 17, a radius of
// 1e4 canvases) but small enough that every intermediate stays finite in float32.
constexpr float kMaxRawMagnitude = 1.0e4f;
constexpr int kMaxSide = 4096;

// Inverse transforms used to build raw parameters from constrained values (computed in double,
// as the original does in Python): logit(clamp(x, 1e-6, 1-1e-6)) and log(expm1(max(x, 1e-6))).
float logit_param(double x);
float inv_softplus(double x);
// Intensity → raw: clamped to [0.01, 0.99] first.
float intensity_raw(double intensity);

// The original's initial 9-shape pelican (§2.2), back to front, in the raw layout.
void initial_pelican(std::vector<int32_t>* types, std::vector<float>* raw);

struct EngineState;  // workspace, scene, target and optimiser state (defined in cpp/src/engine.cpp)

class Engine {
 public:
  Engine();
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // 1..4096 each; the model fixes the layout and the image planes (the scene is dropped when the
  // model changes).
  Status init(int width, int height, const Model& model = Model{});
  Status set_target(const float* pixels, size_t count);  // count == W*H*channels, finite, clamped to [0,1]
  Status set_scene(const int32_t* types, size_t shape_count, const float* raw, size_t raw_count);
  // The same from constrained values (the hosts' form), checked against the table's ranges;
  // background: `channels` values, the canvas colour (fixed, or the start of the fitted one).
  Status set_scene_values(const int32_t* types, size_t shape_count, const double* values, size_t value_count,
                          const double* background, size_t background_count);
  // The shapes' current parameters as constrained values (value_count() doubles), and the
  // background as painted (fitted or fixed). Gradients cover raw_count() = value_count() plus
  // the fitted background's channels.
  void values(double* out) const;
  void background(double* out /*channels*/) const;
  size_t value_count() const;
  const Model& model() const;
  Status set_frozen(const uint8_t* mask, size_t count);  // count == shape_count; 1 = frozen
  Status set_weights(const LossWeights&);
  // A window for local work: evaluate and optimize render, score and differentiate only the 8×8
  // tiles meeting pixels [x0, x1) × [y0, y1) (clamped to the canvas), so their cost follows the
  // window's area. The MSE is then the mean over the window's pixels (every channel value);
  // Sobel and SSIM are not restricted, so a window needs weights.edge = weights.ssim = 0 (refused
  // otherwise, here and by set_weights). The priors still cover every shape (they cost O(shapes)).
  // x1 <= x0 or y1 <= y0 clears it (the whole canvas, as after init). Combine with set_frozen
  // so only the shapes being settled move.
  Status set_window(int x0, int y0, int x1, int y1);
  Status clear_window();
  // Loss and (optionally) the gradient of the weighted total w.r.t. every raw parameter.
  Status evaluate(float tau, Breakdown* out, float* grad_out /*raw_count floats or nullptr*/);
  // Render the current scene at any size (same aspect expected; τ stays normalised).
  Status render(float tau, int width, int height, float* out /*width*height*/) const;
  const float* raw() const;
  size_t raw_count() const;
  size_t shape_count() const;

  // Optimisation in steps so a host can stream progress and cancel between chunks.
  // Per step: τ(step) exponential from tau_start to tau_end; loss and gradient at the current
  // parameters (reported in *out); then, unless a gradient is non-finite (the step is skipped),
  // global-norm clipping and one Adam update with the cosine learning rate. A NaN loss ends the
  // run (finished = true) and is not counted in steps_completed(); every other measured step is.
  // After the last step optimize_step is a no-op that reports finished.
  Status optimize_begin(const OptimizeOptions&);         // fresh Adam, schedules
  Status optimize_step(Breakdown* out, bool* finished);  // loss measured before the update
  Status optimize_end();    // restores the parameters whose loss was best; also after a cancel
  float best_loss() const;  // +inf before any measured step
  int steps_completed() const;

  // New shapes for the current scene: a stochastic search over hard-edged shapes on the residual
  // of the render at τ, each one's colour and opacity solved in closed form (cpp/src/propose.h).
  // Appends per proposal its type code and its constrained values in the engine's layout.
  Status propose(const ProposeOptions&, float tau, std::vector<int32_t>* types, std::vector<double>* values) const;

  // ---- Introspection (used by the bindings and tests) ------------------------------------------
  int width() const;
  int height() const;
  const int32_t* types() const;
  // True when the last optimize_step found a non-finite gradient and skipped its update
  // (the step still counts and its breakdown is still reported).
  bool last_step_skipped() const;
  // True when the optimisation stopped because the loss became NaN.
  bool stopped_on_nan() const;
  // Disables the exact saturated-tile culling (for tests comparing it with the plain path).
  void set_tile_culling(bool enabled);

 private:
  std::unique_ptr<EngineState> s_;
};

}  // namespace pelican
