// Engine: validation at the API boundary, state, and the optimisation loop (§5) in steps.
// Every check names the function and the argument; nothing throws.
#include "pelican/engine.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "adam.h"
#include "evaluator.h"
#include "propose.h"

namespace pelican {

using detail::Evaluator;
using detail::Terms;
using detail::Weights;

int param_count(ShapeType type) { return detail::raw_params_of(static_cast<int32_t>(type)); }

struct EngineState {
  int width = 0, height = 0;
  bool has_target = false;
  std::vector<int32_t> types;
  std::vector<float> raw;
  std::vector<uint8_t> frozen;  // per shape
  std::vector<uint8_t> active;  // per raw parameter: 1 = optimised
  LossWeights weights;
  Evaluator<float> eval;
  bool windowed = false;  // the evaluator's window is set

  // Optimisation state.
  bool optimizing = false;
  detail::OptimizerRun run;
  std::vector<float> grad;
};

namespace {

// The fitted background's raw floats (at the end of raw), or null while it is fixed.
const float* fitted_background_raw(const EngineState& s) {
  const Model& m = s.eval.model();
  return m.fit_background && s.raw.size() >= size_t(m.channels) ? s.raw.data() + s.raw.size() - m.channels : nullptr;
}

// The canvas colour as painted now, computed as the evaluator computes it.
void current_background(const EngineState& s, float* out) {
  const float* raw = fitted_background_raw(s);
  if (!raw) return s.eval.fixed_background(out);
  for (int c = 0; c < s.eval.model().channels; ++c) {
    float unused;
    detail::apply_transform(kBackgroundField.transform, raw[c], &out[c], &unused);
  }
}

Status ok() { return Status{true, std::string()}; }
Status fail(const std::string& message) { return Status{false, message}; }

std::string num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

Breakdown to_breakdown(const Terms<float>& t) {
  return Breakdown{float(t.v[0]), float(t.v[1]), float(t.v[2]), float(t.v[3]),
                   float(t.v[4]), float(t.v[5]), float(t.v[6])};
}

Weights<float> to_weights(const LossWeights& w) {
  Weights<float> out;
  out.perimeter = w.perimeter;
  out.degeneracy = w.degeneracy;
  out.canvas = w.canvas;
  out.edge = w.edge;
  out.ssim = w.ssim;
  return out;
}

std::string type_list() {
  std::string out;
  for (int i = 0; i < kShapeTypeCount; ++i)
    out += (i ? ", " : "") + std::to_string(kShapeSpecs[i].code) + " " + kShapeSpecs[i].name;
  return out;
}

Status check_tau(const char* fn, float tau) {
  if (!std::isfinite(tau) || tau <= 0.0f)
    return fail(std::string(fn) + ": tau must be finite and > 0, got " + num(tau));
  return ok();
}

}  // namespace

Engine::Engine() : s_(new EngineState) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

Status Engine::init(int width, int height, const Model& model) {
  if (model.channels != 1 && model.channels != 3)
    return fail("init(width, height, model): model.channels must be 1 (gray) or 3 (RGB), got " +
                std::to_string(model.channels));
  const Model& old = s_->eval.model();
  if (old.channels != model.channels || old.opacity != model.opacity || old.fit_background != model.fit_background) {
    // The layout changes with the model: the old scene means nothing under the new one.
    s_->types.clear();
    s_->raw.clear();
    s_->frozen.clear();
    s_->active.clear();
    s_->grad.clear();
    const float white[3] = {1, 1, 1};
    s_->eval.set_model(model);
    s_->eval.set_fixed_background(white);
  }
  if (width < 1 || width > kMaxSide)
    return fail("init(width, height): width must be in 1.." + std::to_string(kMaxSide) + ", got " +
                std::to_string(width));
  if (height < 1 || height > kMaxSide)
    return fail("init(width, height): height must be in 1.." + std::to_string(kMaxSide) + ", got " +
                std::to_string(height));
  s_->has_target = false;
  s_->optimizing = false;
  // A window in pixels of the old canvas means nothing on the new one.
  s_->windowed = false;
  s_->eval.clear_window();
  // A 4096² canvas needs ~1.4 GB of work buffers. Natively a failed allocation becomes a Status;
  // under Emscripten (no exception catching) it aborts, which the worker reports as a crash.
  try {
    s_->eval.resize(width, height);
    s_->eval.reserve_shapes(s_->types.size());  // the scene survives a re-init
  } catch (const std::bad_alloc&) {
    s_->width = s_->height = 0;
    s_->eval = Evaluator<float>();
    return fail("init(width, height): out of memory for a " + std::to_string(width) + "x" + std::to_string(height) +
                " canvas");
  }
  s_->width = width;
  s_->height = height;
  return ok();
}

Status Engine::set_target(const float* pixels, size_t count) {
  if (s_->width == 0) return fail("set_target(pixels, count): call init(width, height) first");
  const size_t n = size_t(s_->width) * size_t(s_->height) * size_t(s_->eval.model().channels);
  if (!pixels) return fail("set_target(pixels, count): pixels is null");
  if (count != n)
    return fail("set_target(pixels, count): count must be width*height*channels = " + std::to_string(n) + ", got " +
                std::to_string(count));
  std::vector<float> clamped(n);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(pixels[i]))
      return fail("set_target(pixels, count): pixels[" + std::to_string(i) + "] is not finite (" + num(pixels[i]) +
                  ")");
    clamped[i] = pixels[i] < 0.0f ? 0.0f : (pixels[i] > 1.0f ? 1.0f : pixels[i]);
  }
  s_->eval.set_target(clamped.data());
  s_->has_target = true;
  return ok();
}

Status Engine::set_scene(const int32_t* types, size_t shape_count, const float* raw, size_t raw_count) {
  const char* fn = "set_scene(types, shape_count, raw, raw_count)";
  if (shape_count > 0 && !types) return fail(std::string(fn) + ": types is null");
  if (shape_count > 100000)
    return fail(std::string(fn) + ": shape_count must be at most 100000, got " + std::to_string(shape_count));
  const Model& model = s_->eval.model();
  size_t expected = 0;
  for (size_t k = 0; k < shape_count; ++k) {
    const int n = detail::raw_params_of(types[k], model);
    if (n == 0)
      return fail(std::string(fn) + ": types[" + std::to_string(k) + "] = " + std::to_string(types[k]) +
                  " is not a shape type (" + type_list() + ")");
    expected += size_t(n);
  }
  expected += size_t(s_->eval.background_raw_count());
  if (raw_count != expected)
    return fail(std::string(fn) + ": raw_count must be " + std::to_string(expected) +
                " for these types under this model, got " + std::to_string(raw_count));
  if (raw_count > 0 && !raw) return fail(std::string(fn) + ": raw is null");
  for (size_t i = 0; i < raw_count; ++i) {
    if (!std::isfinite(raw[i]))
      return fail(std::string(fn) + ": raw[" + std::to_string(i) + "] is not finite (" + num(raw[i]) + ")");
    if (std::fabs(raw[i]) > kMaxRawMagnitude)
      return fail(std::string(fn) + ": raw[" + std::to_string(i) + "] = " + num(raw[i]) + " exceeds ±" +
                  num(kMaxRawMagnitude));
  }
  try {
    // Per-shape work buffers scale with shapes × tiles; reserve them before touching the scene.
    s_->eval.reserve_shapes(shape_count);
  } catch (const std::bad_alloc&) {
    s_->eval.reserve_shapes(s_->types.size());  // shrinking back never allocates
    return fail(std::string(fn) + ": out of memory for " + std::to_string(shape_count) + " shapes on this canvas");
  }
  s_->types.assign(types, types + shape_count);
  s_->raw.assign(raw, raw + raw_count);
  s_->frozen.assign(shape_count, 0);
  s_->active.assign(raw_count, 1);
  s_->grad.assign(raw_count, 0.0f);
  s_->optimizing = false;
  return ok();
}

Status Engine::set_frozen(const uint8_t* mask, size_t count) {
  const char* fn = "set_frozen(mask, count)";
  if (count != s_->types.size())
    return fail(std::string(fn) + ": count must equal shape_count = " + std::to_string(s_->types.size()) + ", got " +
                std::to_string(count));
  if (count > 0 && !mask) return fail(std::string(fn) + ": mask is null");
  if (s_->optimizing) return fail(std::string(fn) + ": cannot change the mask during an optimisation");
  size_t offset = 0;
  for (size_t k = 0; k < count; ++k) {
    const uint8_t frozen = mask[k] ? 1 : 0;
    s_->frozen[k] = frozen;
    const int n = detail::raw_params_of(s_->types[k], s_->eval.model());
    for (int i = 0; i < n; ++i) s_->active[offset + i] = frozen ? 0 : 1;
    offset += size_t(n);
  }
  return ok();
}

namespace {
// Sobel and SSIM read neighbours across the window's border and are computed over the whole
// canvas; restricting them exactly would need halos of 1 and 6 pixels through both passes, and
// local settling (vectorize) runs without them, so a window refuses them instead.
Status check_window_weights(const std::string& fn, const LossWeights& w) {
  if (w.edge > 0.0f || w.ssim > 0.0f)
    return fail(fn +
                ": a window needs weights.edge = 0 and weights.ssim = 0 (they are computed over the whole "
                "canvas), got edge " +
                num(w.edge) + " and ssim " + num(w.ssim));
  return ok();
}
}  // namespace

Status Engine::set_weights(const LossWeights& w) {
  const float vals[5] = {w.perimeter, w.degeneracy, w.canvas, w.edge, w.ssim};
  const char* names[5] = {"perimeter", "degeneracy", "canvas", "edge", "ssim"};
  for (int i = 0; i < 5; ++i)
    if (!std::isfinite(vals[i]) || vals[i] < 0.0f)
      return fail(std::string("set_weights(weights): weights.") + names[i] + " must be finite and >= 0, got " +
                  num(vals[i]));
  if (s_->windowed) {
    Status st = check_window_weights("set_weights(weights)", w);
    if (!st.ok) return st;
  }
  s_->weights = w;
  return ok();
}

Status Engine::set_window(int x0, int y0, int x1, int y1) {
  const std::string fn = "set_window(x0, y0, x1, y1)";
  if (s_->width == 0) return fail(fn + ": call init(width, height) first");
  if (s_->optimizing) return fail(fn + ": cannot change the window during an optimisation");
  if (x1 <= x0 || y1 <= y0) return clear_window();
  Status st = check_window_weights(fn, s_->weights);
  if (!st.ok) return st;
  const int W = s_->width, H = s_->height;
  const int cx0 = x0 < 0 ? 0 : x0, cy0 = y0 < 0 ? 0 : y0;
  const int cx1 = x1 > W ? W : x1, cy1 = y1 > H ? H : y1;
  if (cx1 <= cx0 || cy1 <= cy0)
    return fail(fn + ": the window [" + std::to_string(x0) + ", " + std::to_string(x1) + ") x [" + std::to_string(y0) +
                ", " + std::to_string(y1) + ") lies outside the " + std::to_string(W) + "x" + std::to_string(H) +
                " canvas");
  s_->eval.set_window(cx0, cy0, cx1, cy1);
  s_->windowed = true;
  return ok();
}

Status Engine::clear_window() {
  if (s_->optimizing) return fail("clear_window(): cannot change the window during an optimisation");
  s_->windowed = false;
  s_->eval.clear_window();
  return ok();
}

namespace {
Status check_ready(const EngineState& s, const std::string& fn) {
  if (s.width == 0) return fail(fn + ": call init(width, height) first");
  if (!s.has_target) return fail(fn + ": call set_target(pixels, count) first");
  return ok();
}
}  // namespace

Status Engine::evaluate(float tau, Breakdown* out, float* grad_out) {
  const std::string fn = "evaluate(tau, out, grad_out)";
  Status st = check_ready(*s_, fn);
  if (!st.ok) return st;
  st = check_tau(fn.c_str(), tau);
  if (!st.ok) return st;
  Terms<float> t;
  // The tile lists grow with the pairs a scene lists (not with shapes × tiles), so a first
  // evaluation of a larger scene may allocate.
  try {
    t = s_->eval.evaluate(s_->types.data(), s_->types.size(), s_->raw.data(), tau, to_weights(s_->weights), grad_out);
  } catch (const std::bad_alloc&) {
    return fail(fn + ": out of memory for the tile lists of " + std::to_string(s_->types.size()) + " shapes");
  }
  Breakdown b = to_breakdown(t);
  if (out) *out = b;
  if (!std::isfinite(b.total)) return fail(fn + ": the loss is not finite (" + num(b.total) + ")");
  if (grad_out)
    for (size_t i = 0; i < s_->raw.size(); ++i)
      if (!std::isfinite(grad_out[i]))
        return fail(fn + ": gradient " + std::to_string(i) + " is not finite (" + num(grad_out[i]) + ")");
  return ok();
}

Status Engine::render(float tau, int width, int height, float* out) const {
  const std::string fn = "render(tau, width, height, out)";
  Status st = check_tau(fn.c_str(), tau);
  if (!st.ok) return st;
  if (width < 1 || width > kMaxSide || height < 1 || height > kMaxSide)
    return fail(fn + ": width and height must be in 1.." + std::to_string(kMaxSide) + ", got " + std::to_string(width) +
                "x" + std::to_string(height));
  if (!out) return fail(fn + ": out is null");
  try {
    // The background of the last evaluation is not needed: the current one is recomputed here.
    float bg[3];
    current_background(*s_, bg);
    detail::render_scene<float>(s_->types.data(), s_->types.size(), s_->raw.data(), s_->eval.model(), bg, tau, width,
                                height, true, out);
  } catch (const std::bad_alloc&) {
    return fail(fn + ": out of memory for a " + std::to_string(width) + "x" + std::to_string(height) + " render");
  }
  return ok();
}

Status Engine::set_scene_values(const int32_t* types, size_t shape_count, const double* values, size_t value_count,
                                const double* background, size_t background_count) {
  const char* fn = "set_scene_values(types, shape_count, values, value_count, background, background_count)";
  const Model& model = s_->eval.model();
  if (shape_count > 0 && !types) return fail(std::string(fn) + ": types is null");
  if (shape_count > 100000)
    return fail(std::string(fn) + ": shape_count must be at most 100000, got " + std::to_string(shape_count));
  if (background_count != size_t(model.channels))
    return fail(std::string(fn) + ": background_count must be " + std::to_string(model.channels) +
                " (one value per channel), got " + std::to_string(background_count));
  if (!background) return fail(std::string(fn) + ": background is null");
  std::vector<float> raw;
  raw.reserve(value_count);
  size_t i = 0;
  auto take = [&](const FieldSpec& f, const std::string& where) -> Status {
    if (i >= value_count)
      return fail(std::string(fn) + ": value_count " + std::to_string(value_count) + " is too small");
    const double v = values[i++];
    if (!std::isfinite(v)) return fail(std::string(fn) + ": " + where + " is not finite (" + num(v) + ")");
    if (v < f.min || v > f.max || (f.transform == Transform::Positive && v <= 0))
      return fail(std::string(fn) + ": " + where + " = " + num(v) + " is outside " +
                  (f.transform == Transform::Positive ? "(" : "[") + num(f.min) + ", " + num(f.max) + "]");
    raw.push_back(float(to_raw(f.transform, v)));
    return ok();
  };
  if (shape_count > 0 && !values) return fail(std::string(fn) + ": values is null");
  for (size_t k = 0; k < shape_count; ++k) {
    const ShapeSpec* spec = shape_spec(types[k]);
    if (!spec)
      return fail(std::string(fn) + ": types[" + std::to_string(k) + "] = " + std::to_string(types[k]) +
                  " is not a shape type (" + type_list() + ")");
    const std::string at = "shapes[" + std::to_string(k) + "].";
    for (int c = 0; c < model.channels; ++c) {
      Status st = take(model.channels == 1 ? kIntensityField : kColorChannelField,
                       at + (model.channels == 1 ? std::string("intensity") : "color[" + std::to_string(c) + "]"));
      if (!st.ok) return st;
    }
    if (model.opacity) {
      Status st = take(kOpacityField, at + "opacity");
      if (!st.ok) return st;
    }
    for (int g = 0; g < spec->geometry_count; ++g) {
      Status st = take(spec->geometry[g], at + spec->geometry[g].name);
      if (!st.ok) return st;
    }
  }
  if (i != value_count)
    return fail(std::string(fn) + ": value_count must be " + std::to_string(i) +
                " for these types under this model, got " + std::to_string(value_count));
  float bg[3];
  for (int c = 0; c < model.channels; ++c) {
    const double v = background[c];
    if (!std::isfinite(v) || v < 0 || v > 1)
      return fail(std::string(fn) + ": background[" + std::to_string(c) + "] = " + num(v) + " is outside [0, 1]");
    bg[c] = float(v);
    if (model.fit_background) raw.push_back(float(to_raw(kBackgroundField.transform, v)));
  }
  Status st = set_scene(types, shape_count, raw.data(), raw.size());
  if (st.ok && !model.fit_background) s_->eval.set_fixed_background(bg);
  return st;
}

namespace {
// A constrained value within its field's range: the optimiser may carry a radius past the
// table's limit (a shape covering everything), which no host would accept back.
double in_range(const FieldSpec& f, float raw) {
  const double v = from_raw(f.transform, raw);
  return v < f.min ? f.min : (v > f.max ? f.max : v);
}
}  // namespace

void Engine::values(double* out) const {
  const Model& model = s_->eval.model();
  size_t i = 0;
  for (size_t k = 0; k < s_->types.size(); ++k) {
    const ShapeSpec* spec = shape_spec(s_->types[k]);
    for (int c = 0; c < model.channels; ++c, ++i) out[i] = in_range(kIntensityField, s_->raw[i]);
    if (model.opacity) out[i] = in_range(kOpacityField, s_->raw[i]), ++i;
    for (int g = 0; g < spec->geometry_count; ++g, ++i) out[i] = in_range(spec->geometry[g], s_->raw[i]);
  }
}

void Engine::background(double* out) const {
  const int channels = s_->eval.model().channels;
  const float* raw = fitted_background_raw(*s_);
  float bg[3];
  if (!raw) s_->eval.fixed_background(bg);
  for (int c = 0; c < channels; ++c) out[c] = raw ? in_range(kBackgroundField, raw[c]) : double(bg[c]);
}

size_t Engine::value_count() const {
  return s_->raw.size() - size_t(s_->raw.empty() ? 0 : s_->eval.background_raw_count());
}
const Model& Engine::model() const { return s_->eval.model(); }

Status Engine::propose(const ProposeOptions& o, float tau, std::vector<int32_t>* types,
                       std::vector<double>* values) const {
  const std::string fn = "propose(options, tau, types, values)";
  Status st = check_ready(*s_, fn);
  if (!st.ok) return st;
  st = check_tau(fn.c_str(), tau);
  if (!st.ok) return st;
  if (o.count < 0 || o.count > 1000)
    return fail(fn + ": options.count must be in 0..1000, got " + std::to_string(o.count));
  if (o.candidates < 1 || o.candidates > 100000)
    return fail(fn + ": options.candidates must be in 1..100000, got " + std::to_string(o.candidates));
  if (o.mutations < 0 || o.mutations > 100000)
    return fail(fn + ": options.mutations must be in 0..100000, got " + std::to_string(o.mutations));
  if ((o.type_mask & ((1u << kShapeTypeCount) - 1)) == 0)
    return fail(fn + ": options.type_mask allows no shape type (" + type_list() + ")");
  if (!types || !values) return fail(fn + ": types and values must not be null");
  const Model& model = s_->eval.model();
  const int W = s_->width, H = s_->height;
  std::vector<float> render(size_t(W) * H * model.channels);
  float bg[3];
  current_background(*s_, bg);
  detail::render_scene<float>(s_->types.data(), s_->types.size(), s_->raw.data(), model, bg, tau, W, H, true,
                              render.data());
  detail::ProposeSettings settings;
  settings.count = o.count;
  settings.candidates = o.candidates;
  settings.mutations = o.mutations;
  settings.seed = o.seed;
  settings.type_mask = o.type_mask;
  settings.opacity = model.opacity;
  settings.joint_opacity = o.joint_opacity;
  detail::Proposer proposer(W, H, model.channels, s_->eval.target(), render.data(), double(tau));
  for (const detail::Proposal& p : proposer.run(settings)) {
    types->push_back(p.type);
    for (int c = 0; c < model.channels; ++c) values->push_back(p.paint[c]);
    if (model.opacity) values->push_back(p.opacity);
    for (int g = 0; g < shape_spec(p.type)->geometry_count; ++g) values->push_back(p.geometry[g]);
  }
  return ok();
}

const float* Engine::raw() const { return s_->raw.data(); }
size_t Engine::raw_count() const { return s_->raw.size(); }
size_t Engine::shape_count() const { return s_->types.size(); }
int Engine::width() const { return s_->width; }
int Engine::height() const { return s_->height; }
const int32_t* Engine::types() const { return s_->types.data(); }
bool Engine::last_step_skipped() const { return s_->run.skipped; }
bool Engine::stopped_on_nan() const { return s_->run.nan_stop; }
void Engine::set_tile_culling(bool enabled) { s_->eval.set_culling(enabled); }
float Engine::best_loss() const { return s_->run.best; }
int Engine::steps_completed() const { return s_->run.completed; }

// ---------------------------------------------------------------------------------------------
// Optimisation (§5) with the best-parameter off-by-one fixed: the snapshot is taken before the
// update, so the restored parameters are exactly the ones whose loss was the best.

Status Engine::optimize_begin(const OptimizeOptions& o) {
  const std::string fn = "optimize_begin(options)";
  Status st = check_ready(*s_, fn);
  if (!st.ok) return st;
  if (o.steps < 0) return fail(fn + ": options.steps must be >= 0, got " + std::to_string(o.steps));
  if (!std::isfinite(o.lr) || o.lr <= 0.0f) return fail(fn + ": options.lr must be finite and > 0, got " + num(o.lr));
  if (!std::isfinite(o.tau_start) || o.tau_start < 0.0f)
    return fail(fn + ": options.tau_start must be finite and >= 0 (0 = 1 px), got " + num(o.tau_start));
  if (!std::isfinite(o.tau_end) || o.tau_end < 0.0f)
    return fail(fn + ": options.tau_end must be finite and >= 0 (0 = 0.2 px), got " + num(o.tau_end));
  if (!std::isfinite(o.clip_norm) || o.clip_norm <= 0.0f)
    return fail(fn + ": options.clip_norm must be finite and > 0, got " + num(o.clip_norm));
  EngineState& s = *s_;
  const double scale = double(s.width > s.height ? s.width : s.height);
  // The original's defaults are Python doubles 1/res and 0.2/res.
  const double tau_start = o.tau_start > 0 ? double(o.tau_start) : 1.0 / scale;
  const double tau_end = o.tau_end > 0 ? double(o.tau_end) : 0.2 / scale;
  s.run.begin(o.steps, o.lr, tau_start, tau_end, o.clip_norm, s.raw.data(), s.raw.size());
  s.grad.assign(s.raw.size(), 0.0f);
  s.optimizing = true;
  return ok();
}

Status Engine::optimize_step(Breakdown* out, bool* finished) {
  EngineState& s = *s_;
  if (!s.optimizing) return fail("optimize_step(out, finished): call optimize_begin(options) first");
  if (!s.run.done) {
    Terms<float> t;
    try {
      t = s.eval.evaluate(s.types.data(), s.types.size(), s.raw.data(), s.run.tau(), to_weights(s.weights),
                          s.grad.data());
    } catch (const std::bad_alloc&) {
      return fail("optimize_step(out, finished): out of memory for the tile lists of " +
                  std::to_string(s.types.size()) + " shapes");
    }
    Breakdown b = to_breakdown(t);
    if (out) *out = b;
    s.run.advance(b.total, s.grad.data(), s.raw.data(), s.active.data(), s.raw.size());
  }
  if (finished) *finished = s.run.done;
  return ok();
}

Status Engine::optimize_end() {
  EngineState& s = *s_;
  if (!s.optimizing) return fail("optimize_end(): no optimisation is running (call optimize_begin first)");
  s.run.restore(s.raw.data(), s.raw.size());
  s.optimizing = false;
  return ok();
}

}  // namespace pelican
