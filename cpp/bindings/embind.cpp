// The only file that knows the host is Emscripten. It adds no maths: it stages inputs in Wasm
// memory, checks sizes before the core sees a pointer, and turns every outcome into a value.
// Nothing is thrown across Embind: a rejected call returns {ok:false, message}; only a real trap
// or abort (the worker reports those as EngineCrashed) escapes as an exception.
//
// Mirrored field for field by workers/pelican-wasm.d.ts; tests/workers/bindings.test.ts calls
// every name registered below.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "parallel.h"
#include "pelican/engine.h"

namespace {

using emscripten::val;
using pelican::Breakdown;
using pelican::LossWeights;
using pelican::Model;
using pelican::OptimizeOptions;
using pelican::ProposeOptions;
using pelican::Status;

constexpr int kFloatsPerBreakdown = 7;
// Enough for any schedule a person would run; stops a typo from reserving gigabytes of history.
constexpr int kMaxSteps = 10'000'000;

Status fail(std::string message) { return Status{false, std::move(message)}; }

struct Evaluation {
  bool ok;
  std::string message;
  Breakdown breakdown;
};

struct StepsResult {
  bool ok;
  std::string message;
  int steps;      // steps run by this call
  bool finished;  // the schedule is complete (or the loss became NaN)
};

// Views onto Wasm memory are only valid until the memory grows; every method that may allocate
// is documented as such in the .d.ts, and the worker takes views after it, never before.
template <typename T>
val view(const std::vector<T>& data) {
  return val(emscripten::typed_memory_view(data.size(), data.data()));
}

class BoundEngine {
 public:
  // ---------------------------------------------------------------------------------------
  // Input staging: the worker writes straight into these heap views, then calls a setter.

  val floatInput(int count) { return stage(float_in_, count); }
  val doubleInput(int count) { return stage(double_in_, count); }
  val intInput(int count) { return stage(int_in_, count); }
  val byteInput(int count) { return stage(byte_in_, count); }

  // ---------------------------------------------------------------------------------------
  // Setup.

  Status init(int width, int height, const Model& model) {
    if (width < 1 || height < 1 || width > pelican::kMaxSide || height > pelican::kMaxSide)
      return fail("init(width, height, model): width and height must be in 1..4096, got " + std::to_string(width) +
                  "x" + std::to_string(height));
    Status status = engine_.init(width, height, model);
    if (status.ok) {
      width_ = width;
      height_ = height;
    }
    return status;
  }

  Status setTarget(int count) {
    if (count < 0 || static_cast<size_t>(count) > float_in_.size())
      return fail("setTarget(count): count " + std::to_string(count) + " exceeds the staged floats (" +
                  std::to_string(float_in_.size()) + ")");
    return engine_.set_target(float_in_.data(), static_cast<size_t>(count));
  }

  // Staged type codes, then staged doubles: the shapes' constrained values followed by the
  // background's `backgroundCount` values.
  Status setScene(int shapeCount, int valueCount, int backgroundCount) {
    const char* fn = "setScene(shapeCount, valueCount, backgroundCount)";
    if (shapeCount < 0 || static_cast<size_t>(shapeCount) > int_in_.size())
      return fail(std::string(fn) + ": shapeCount " + std::to_string(shapeCount) + " exceeds the staged type codes (" +
                  std::to_string(int_in_.size()) + ")");
    if (valueCount < 0 || backgroundCount < 0 ||
        static_cast<size_t>(valueCount) + static_cast<size_t>(backgroundCount) > double_in_.size())
      return fail(std::string(fn) + ": valueCount + backgroundCount exceeds the staged values (" +
                  std::to_string(double_in_.size()) + ")");
    return engine_.set_scene_values(int_in_.data(), static_cast<size_t>(shapeCount), double_in_.data(),
                                    static_cast<size_t>(valueCount), double_in_.data() + valueCount,
                                    static_cast<size_t>(backgroundCount));
  }

  Status setFrozen(int count) {
    if (count < 0 || static_cast<size_t>(count) > byte_in_.size())
      return fail("setFrozen(count): count " + std::to_string(count) + " exceeds the staged bytes (" +
                  std::to_string(byte_in_.size()) + ")");
    return engine_.set_frozen(byte_in_.data(), static_cast<size_t>(count));
  }

  Status setWeights(const LossWeights& weights) { return engine_.set_weights(weights); }

  // Pixels [x0, x1) × [y0, y1) for the following evaluate/optimize (Engine::set_window).
  Status setWindow(int x0, int y0, int x1, int y1) { return engine_.set_window(x0, y0, x1, y1); }
  Status clearWindow() { return engine_.clear_window(); }

  // ---------------------------------------------------------------------------------------
  // Evaluation and rendering; results stay in Wasm memory until the worker copies them out.

  Evaluation evaluate(float tau, bool withGradients) {
    Evaluation result{true, "", Breakdown{}};
    float* grad = nullptr;
    if (withGradients) {
      gradients_.assign(engine_.raw_count(), 0.0f);
      grad = gradients_.data();
    }
    Status status = engine_.evaluate(tau, &result.breakdown, grad);
    result.ok = status.ok;
    result.message = status.message;
    return result;
  }

  val gradients() const { return view(gradients_); }

  Status render(float tau, int width, int height) {
    if (width < 1 || height < 1 || width > pelican::kMaxSide || height > pelican::kMaxSide)
      return fail("render(tau, width, height): width and height must be in 1..4096, got " + std::to_string(width) +
                  "x" + std::to_string(height));
    pixels_.resize(static_cast<size_t>(width) * static_cast<size_t>(height) *
                   static_cast<size_t>(engine_.model().channels));
    return engine_.render(tau, width, height, pixels_.data());
  }

  val pixels() const { return view(pixels_); }

  // The current parameters as constrained values (shapes', then the fitted background's), and
  // the background as painted. Copied into a buffer the view then shows.
  val values() {
    values_.resize(engine_.value_count());
    engine_.values(values_.data());
    return view(values_);
  }
  val background() {
    background_.resize(static_cast<size_t>(engine_.model().channels));
    engine_.background(background_.data());
    return view(background_);
  }
  int shapeCount() const { return static_cast<int>(engine_.shape_count()); }
  int valueCount() const { return static_cast<int>(engine_.value_count()); }
  int channels() const { return engine_.model().channels; }
  int width() const { return width_; }
  int height() const { return height_; }

  // New shapes for the current scene (types into proposedTypes(), values into proposedValues()).
  Status propose(const ProposeOptions& options, float tau) {
    proposed_types_.clear();
    proposed_values_.clear();
    return engine_.propose(options, tau, &proposed_types_, &proposed_values_);
  }
  val proposedTypes() const { return view(proposed_types_); }
  val proposedValues() const { return view(proposed_values_); }

  // ---------------------------------------------------------------------------------------
  // Optimisation, run in chunks so the worker can check for cancellation between them.

  Status optimizeBegin(const OptimizeOptions& options) {
    if (options.steps < 0 || options.steps > kMaxSteps)
      return fail("optimizeBegin(options): steps must be in 0.." + std::to_string(kMaxSteps) + ", got " +
                  std::to_string(options.steps));
    history_.clear();
    Status status = engine_.optimize_begin(options);
    // Reserved once so the history never reallocates (and memory never grows) mid-run.
    if (status.ok) history_.reserve(static_cast<size_t>(options.steps) * kFloatsPerBreakdown);
    return status;
  }

  StepsResult optimizeSteps(int maxSteps) {
    StepsResult result{true, "", 0, false};
    if (maxSteps < 1) {
      result.ok = false;
      result.message = "optimizeSteps(maxSteps): maxSteps must be at least 1, got " + std::to_string(maxSteps);
      return result;
    }
    while (result.steps < maxSteps && !result.finished) {
      Breakdown b{};
      bool finished = false;
      Status status = engine_.optimize_step(&b, &finished);
      if (!status.ok) {
        result.ok = false;
        result.message = status.message;
        return result;
      }
      result.finished = finished;
      // A NaN-loss stop reports finished without a measured step; record only real ones.
      if (engine_.steps_completed() * kFloatsPerBreakdown > static_cast<int>(history_.size())) {
        history_.insert(history_.end(), {b.mse, b.edge, b.ssim, b.perimeter, b.degeneracy, b.canvas, b.total});
        ++result.steps;
      }
    }
    return result;
  }

  val history() const { return view(history_); }

  Status optimizeEnd() { return engine_.optimize_end(); }
  float bestLoss() const { return engine_.best_loss(); }
  int stepsCompleted() const { return engine_.steps_completed(); }

 private:
  template <typename T>
  static val stage(std::vector<T>& buffer, int count) {
    // A negative count gives an empty view; the setter that follows reports the real problem.
    buffer.resize(count > 0 ? static_cast<size_t>(count) : 0);
    return view(buffer);
  }

  pelican::Engine engine_;
  int width_ = 0;
  int height_ = 0;
  std::vector<float> float_in_;
  std::vector<double> double_in_, values_, background_, proposed_values_;
  std::vector<int32_t> proposed_types_;
  std::vector<int32_t> int_in_;
  std::vector<uint8_t> byte_in_;
  std::vector<float> gradients_;
  std::vector<float> pixels_;
  std::vector<float> history_;
};

const char* transform_name(pelican::Transform f) {
  switch (f) {
    case pelican::Transform::Unit:
      return "unit";
    case pelican::Transform::Paint:
      return "paint";
    case pelican::Transform::Positive:
      return "positive";
    case pelican::Transform::Angle:
      return "angle";
  }
  return "unknown";
}

val field_object(const pelican::FieldSpec& f) {
  val out = val::object();
  out.set("name", std::string(f.name));
  out.set("transform", std::string(transform_name(f.transform)));
  out.set("min", f.min);
  out.set("max", f.max);
  out.set("exclusiveMin", f.transform == pelican::Transform::Positive);
  return out;
}

// The shape table (pelican/shape_model.h) as plain data (arrays filled by index: val::call
// needs thread-local storage, which this non-threaded build has not): every host validates and lays out
// scenes from this, never from a copy of its own.
val shapeModel() {
  val types = val::array();
  for (int i = 0; i < pelican::kShapeTypeCount; ++i) {
    const pelican::ShapeSpec& spec = pelican::kShapeSpecs[i];
    val fields = val::array();
    for (int g = 0; g < spec.geometry_count; ++g) fields.set(g, field_object(spec.geometry[g]));
    val type = val::object();
    type.set("name", std::string(spec.name));
    type.set("code", spec.code);
    type.set("geometry", fields);
    types.set(i, type);
  }
  val out = val::object();
  out.set("types", types);
  out.set("intensity", field_object(pelican::kIntensityField));
  out.set("color", field_object(pelican::kColorChannelField));
  out.set("opacity", field_object(pelican::kOpacityField));
  out.set("background", field_object(pelican::kBackgroundField));
  val pelicanShapes = val::array();
  int index = 0;
  for (const pelican::InitialShape& shape : pelican::kInitialPelican) {
    val values = val::array();
    const int n = 1 + pelican::shape_spec(shape.type)->geometry_count;
    for (int i = 0; i < n; ++i) values.set(i, shape.values[i]);
    val entry = val::object();
    entry.set("name", std::string(shape.name));
    entry.set("type", shape.type);
    entry.set("values", values);
    pelicanShapes.set(index++, entry);
  }
  out.set("initialPelican", pelicanShapes);
  // The defaults of an optimisation and of the loss weights, as the engine applies them.
  const pelican::OptimizeOptions optimize;
  const pelican::LossWeights weights;
  val defaults = val::object();
  defaults.set("lr", optimize.lr);
  defaults.set("clipNorm", optimize.clip_norm);
  val w = val::object();
  w.set("perimeter", weights.perimeter);
  w.set("degeneracy", weights.degeneracy);
  w.set("canvas", weights.canvas);
  w.set("edge", weights.edge);
  w.set("ssim", weights.ssim);
  defaults.set("weights", w);
  out.set("defaults", defaults);
  return out;
}

std::string buildFlavour() {
#if defined(__EMSCRIPTEN_PTHREADS__)
  return "simd-threads";
#elif defined(__wasm_simd128__)
  return "simd";
#else
  return "baseline";
#endif
}

// Lets the tests prove that a trap inside Wasm is survived: the client must replace the worker
// and restore the scene. Never called by the app.
void debugAbort() { std::abort(); }

// Threads one evaluation uses from now on (clamped to [1, maxThreads()]); returns that count.
// The helpers start on first use; in Wasm each is a Web Worker that comes up asynchronously,
// and until it does the calling thread simply runs every chunk itself.
int setThreads(int threads) {
  pelican::detail::set_thread_count(threads);
  return pelican::detail::thread_count();
}
int threads() { return pelican::detail::thread_count(); }
int maxThreads() { return pelican::detail::max_threads(); }

}  // namespace

EMSCRIPTEN_BINDINGS(pelican) {
  using namespace emscripten;

  // Plain values crossing the boundary (JS objects with exactly these fields).
  value_object<Status>("Status")  // outcome of every call that can be rejected
      .field("ok", &Status::ok)
      .field("message", &Status::message);
  value_object<Breakdown>("Breakdown")  // unweighted loss terms plus the weighted total
      .field("mse", &Breakdown::mse)
      .field("edge", &Breakdown::edge)
      .field("ssim", &Breakdown::ssim)
      .field("perimeter", &Breakdown::perimeter)
      .field("degeneracy", &Breakdown::degeneracy)
      .field("canvas", &Breakdown::canvas)
      .field("total", &Breakdown::total);
  value_object<LossWeights>("LossWeights")  // weights of the non-MSE terms
      .field("perimeter", &LossWeights::perimeter)
      .field("degeneracy", &LossWeights::degeneracy)
      .field("canvas", &LossWeights::canvas)
      .field("edge", &LossWeights::edge)
      .field("ssim", &LossWeights::ssim);
  value_object<OptimizeOptions>("OptimizeOptions")  // Adam schedule; tau 0 means the 1/S, 0.2/S defaults
      .field("steps", &OptimizeOptions::steps)
      .field("lr", &OptimizeOptions::lr)
      .field("tauStart", &OptimizeOptions::tau_start)
      .field("tauEnd", &OptimizeOptions::tau_end)
      .field("clipNorm", &OptimizeOptions::clip_norm);
  value_object<ProposeOptions>("ProposeOptions")  // count, candidates, mutations, seed, typeMask
      .field("count", &ProposeOptions::count)
      .field("candidates", &ProposeOptions::candidates)
      .field("mutations", &ProposeOptions::mutations)
      .field("seed", &ProposeOptions::seed)
      .field("typeMask", &ProposeOptions::type_mask);
  value_object<Model>("Model")  // channels 1|3, fitted opacity, fitted background
      .field("channels", &Model::channels)
      .field("opacity", &Model::opacity)
      .field("fitBackground", &Model::fit_background);
  value_object<Evaluation>("Evaluation")  // status plus breakdown of one evaluate()
      .field("ok", &Evaluation::ok)
      .field("message", &Evaluation::message)
      .field("breakdown", &Evaluation::breakdown);
  value_object<StepsResult>("StepsResult")  // status plus progress of one optimizeSteps()
      .field("ok", &StepsResult::ok)
      .field("message", &StepsResult::message)
      .field("steps", &StepsResult::steps)
      .field("finished", &StepsResult::finished);

  class_<BoundEngine>("Engine")
      .constructor<>()
      .function("floatInput", &BoundEngine::floatInput)    // heap view to stage n floats (may grow memory)
      .function("doubleInput", &BoundEngine::doubleInput)  // heap view to stage n doubles (may grow memory)
      .function("intInput", &BoundEngine::intInput)        // heap view to stage n int32 type codes (may grow memory)
      .function("byteInput", &BoundEngine::byteInput)      // heap view to stage n mask bytes (may grow memory)
      .function("init", &BoundEngine::init)                // canvas size, 1..4096 each, and the model
      .function("setTarget", &BoundEngine::setTarget)      // first n staged floats, channels planes of W*H
      .function("setScene", &BoundEngine::setScene)        // staged type codes + staged constrained values
      .function("setFrozen", &BoundEngine::setFrozen)      // first n staged bytes, 1 = frozen
      .function("setWeights", &BoundEngine::setWeights)    // loss weights
      .function("setWindow", &BoundEngine::setWindow)      // pixel window [x0,x1)x[y0,y1) for evaluate/optimize
      .function("clearWindow", &BoundEngine::clearWindow)  // back to the whole canvas
      .function("evaluate", &BoundEngine::evaluate)        // loss at tau; gradients into gradients()
      .function("gradients", &BoundEngine::gradients)      // view: raw-layout gradients of the last evaluate
      .function("render", &BoundEngine::render)            // render at any size into pixels() (may grow memory)
      .function("pixels", &BoundEngine::pixels)            // view: last render, channels planes
      .function("values", &BoundEngine::values)            // view: current constrained values (may grow memory)
      .function("background", &BoundEngine::background)    // view: background as painted (may grow memory)
      .function("shapeCount", &BoundEngine::shapeCount)    // shapes in the scene
      .function("valueCount", &BoundEngine::valueCount)    // parameters (values, gradients) of the scene
      .function("channels", &BoundEngine::channels)        // image planes of the model
      .function("width", &BoundEngine::width)              // canvas width from init
      .function("height", &BoundEngine::height)            // canvas height from init
      .function("propose", &BoundEngine::propose)          // new shapes on the residual (may grow memory)
      .function("proposedTypes", &BoundEngine::proposedTypes)     // view: type codes of the last propose
      .function("proposedValues", &BoundEngine::proposedValues)   // view: their constrained values
      .function("optimizeBegin", &BoundEngine::optimizeBegin)     // fresh Adam and schedules (may grow memory)
      .function("optimizeSteps", &BoundEngine::optimizeSteps)     // run up to n steps, appending to history()
      .function("history", &BoundEngine::history)                 // view: 7 floats per completed step
      .function("optimizeEnd", &BoundEngine::optimizeEnd)         // restore the best parameters
      .function("bestLoss", &BoundEngine::bestLoss)               // best total loss seen
      .function("stepsCompleted", &BoundEngine::stepsCompleted);  // steps measured so far

  function("shapeModel", &shapeModel);      // the shape table as plain data
  function("buildFlavour", &buildFlavour);  // "simd-threads", "simd" or "baseline"
  function("debugAbort", &debugAbort);      // deliberate abort, for crash-recovery tests
  function("setThreads", &setThreads);      // threads per evaluation (1 in the single-threaded builds)
  function("threads", &threads);            // threads per evaluation now
  function("maxThreads", &maxThreads);      // what this build and machine allow
}
