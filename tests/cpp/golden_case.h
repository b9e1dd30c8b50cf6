// Loads one case of loss-and-gradients.json into the engine's flat raw layout.
#pragma once

#include <string>
#include <vector>

#include "pelican/engine.h"
#include "test_support.h"

namespace testsupport {

inline int type_code(const std::string& name) {
  return name == "circle" ? 0 : name == "ellipse" ? 1 : name == "triangle" ? 2 : -1;
}

// Flattens [{intensity_raw:[..], cx_raw:[..], ...}, ...] in the contract's parameter order.
inline void flatten_params(const Json& scene, const Json& per_shape, std::vector<int32_t>* types,
                           std::vector<double>* flat) {
  static const char* circle[] = {"intensity_raw", "cx_raw", "cy_raw", "radius_raw"};
  static const char* ellipse[] = {"intensity_raw", "cx_raw", "cy_raw", "rx_raw", "ry_raw", "rotation_raw"};
  static const char* triangle[] = {"intensity_raw", "v0_raw", "v1_raw", "v2_raw"};
  types->clear();
  flat->clear();
  for (size_t k = 0; k < scene.size(); ++k) {
    int t = type_code(scene[k]["type"].text);
    types->push_back(t);
    const Json& p = per_shape[k];
    const char** keys = t == 0 ? circle : t == 1 ? ellipse : triangle;
    int nkeys = t == 0 ? 4 : t == 1 ? 6 : 4;
    for (int i = 0; i < nkeys; ++i) {
      const Json& arr = p[keys[i]];
      for (size_t j = 0; j < arr.size(); ++j) flat->push_back(arr[j].number);
    }
  }
}

inline bool load_target(const std::string& file, int* w, int* h, std::vector<float>* pixels) {
  return read_pgm(targets_dir() + "/" + file, w, h, pixels);
}

}  // namespace testsupport
