// Test-only helpers: locating the shared data, a PGM reader and a minimal JSON reader (enough
// for the golden files: objects, arrays, numbers, strings, true/false/null).
#pragma once

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace testsupport {

inline std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::string(v) : std::string(fallback);
}
inline std::string golden_dir() { return env_or("PELICAN_GOLDEN", PELICAN_DEFAULT_GOLDEN_DIR); }
inline std::string targets_dir() { return env_or("PELICAN_TARGETS", PELICAN_DEFAULT_TARGETS_DIR); }

inline bool read_text(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

// Binary PGM (P5, maxval ≤ 255) → values in [0,1].
inline bool read_pgm(const std::string& path, int* w, int* h, std::vector<float>* pixels) {
  std::string data;
  if (!read_text(path, &data)) return false;
  size_t pos = 0;
  auto token = [&]() {
    while (pos < data.size()) {
      if (data[pos] == '#') {
        while (pos < data.size() && data[pos] != '\n') ++pos;
      } else if (std::isspace(static_cast<unsigned char>(data[pos]))) {
        ++pos;
      } else {
        break;
      }
    }
    size_t start = pos;
    while (pos < data.size() && !std::isspace(static_cast<unsigned char>(data[pos]))) ++pos;
    return data.substr(start, pos - start);
  };
  if (token() != "P5") return false;
  *w = std::stoi(token());
  *h = std::stoi(token());
  const int maxval = std::stoi(token());
  ++pos;  // single whitespace before the raster
  const size_t n = size_t(*w) * size_t(*h);
  if (maxval > 255 || data.size() < pos + n) return false;
  pixels->resize(n);
  for (size_t i = 0; i < n; ++i) (*pixels)[i] = float(static_cast<unsigned char>(data[pos + i])) / float(maxval);
  return true;
}

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  double number = 0;
  bool boolean = false;
  std::string text;
  std::vector<Json> items;
  std::map<std::string, Json> fields;

  const Json& operator[](const std::string& key) const {
    static const Json null;
    auto it = fields.find(key);
    return it == fields.end() ? null : it->second;
  }
  const Json& operator[](size_t i) const { return items.at(i); }
  size_t size() const { return kind == Array ? items.size() : fields.size(); }
  bool has(const std::string& key) const { return fields.count(key) > 0; }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}
  bool parse(Json* out) {
    pos_ = 0;
    if (!value(out)) return false;
    skip();
    return pos_ == s_.size();
  }

 private:
  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool literal(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }
  bool string(std::string* out) {
    if (s_[pos_] != '"') return false;
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c == '\\' && pos_ < s_.size()) {
        char e = s_[pos_++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 't':
            c = '\t';
            break;
          case 'u':
            pos_ += 4;
            c = '?';
            break;  // not needed by the golden files
          default:
            c = e;
        }
      }
      out->push_back(c);
    }
    if (pos_ >= s_.size()) return false;
    ++pos_;
    return true;
  }
  bool value(Json* out) {
    skip();
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    if (c == '{') {
      out->kind = Json::Object;
      ++pos_;
      skip();
      if (s_[pos_] == '}') return ++pos_, true;
      while (true) {
        skip();
        std::string key;
        if (!string(&key)) return false;
        skip();
        if (s_[pos_++] != ':') return false;
        if (!value(&out->fields[key])) return false;
        skip();
        if (s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (s_[pos_] == '}') return ++pos_, true;
        return false;
      }
    }
    if (c == '[') {
      out->kind = Json::Array;
      ++pos_;
      skip();
      if (s_[pos_] == ']') return ++pos_, true;
      while (true) {
        out->items.emplace_back();
        if (!value(&out->items.back())) return false;
        skip();
        if (s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (s_[pos_] == ']') return ++pos_, true;
        return false;
      }
    }
    if (c == '"') {
      out->kind = Json::String;
      return string(&out->text);
    }
    if (literal("true")) {
      out->kind = Json::Bool;
      out->boolean = true;
      return true;
    }
    if (literal("false")) {
      out->kind = Json::Bool;
      return true;
    }
    if (literal("null")) {
      out->kind = Json::Null;
      return true;
    }
    if (literal("NaN")) {
      out->kind = Json::Number;
      out->number = std::nan("");
      return true;
    }
    if (literal("Infinity")) {
      out->kind = Json::Number;
      out->number = HUGE_VAL;
      return true;
    }
    const char* begin = s_.c_str() + pos_;
    char* end = nullptr;
    out->number = std::strtod(begin, &end);
    if (end == begin) return false;
    out->kind = Json::Number;
    pos_ += size_t(end - begin);
    return true;
  }
  const std::string& s_;
  size_t pos_ = 0;
};

inline bool load_json(const std::string& path, Json* out) {
  std::string text;
  if (!read_text(path, &text)) return false;
  JsonParser p(text);
  return p.parse(out);
}

}  // namespace testsupport
