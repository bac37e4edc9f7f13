// mos_config: the device configuration (ARCHITECTURE.md "Config").
//
// The app's mos.yml (plus the core's device/config/mos_core.yml) lists keys in
// Mongoose OS's config_schema form; device/config/mos_config_gen.py turns them
// into a header with a plain struct tree for typed access (cfg.mqtt.server)
// and a ConfigSchema table (path, type, offset, default) that this class uses
// for access by path. CMake: mos_config_schema(target OUT header YAML files...).
//
// Levels, merged in order at load(): conf0 = the schema defaults ('?' in a
// default string is filled from the MAC address, last '?' = last hex digit),
// conf1.json..conf8.json (vendor), conf9.json (user), each read from the flash
// store if present. set() patches memory; save() writes to conf9.json only the
// values that differ from conf0..conf8 merged, atomically through mos::Fs.
//
// Memory: two instances of the generated struct (current values and the
// conf0..conf8 baseline the user diff is taken against) and a work buffer, all
// owned by the caller. Strings are fixed char arrays of the declared max_len.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/fs.h"
#include "mos/json.h"
#include "mos/span.h"
#include "mos/status.h"

namespace mos {

enum class ConfigType : uint8_t { kObject, kString, kInt, kBool, kDouble };

// One schema entry (generated). Entries are in depth-first order: an object
// comes right before its members.
struct ConfigKey {
  const char* path;         // "mqtt.server"
  ConfigType type;
  size_t offset;            // of the value inside the struct (not for objects)
  size_t size;              // bytes; for strings the array size (max_len + 1)
  const char* str_default;  // strings
  double num_default;       // integers, booleans (0/1), doubles
};

struct ConfigSchema {
  const ConfigKey* keys;
  size_t count;
  size_t struct_size;
};

class Config {
 public:
  static constexpr int kLevels = 10;  // conf0 (defaults) .. conf9 (user)
  static constexpr size_t kMaxPath = 128;

  Config() = default;
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;

  // cur/base: two instances of the generated struct (schema.struct_size
  // bytes each). work: holds one conf file while loading or saving plus the
  // longest string value, so its size bounds conf9.json (2-4 KB is plenty).
  // fs may be null (defaults only, save() fails). mac: 6 bytes, may be empty.
  Status init(const ConfigSchema& schema, void* cur, void* base, Span<char> work, Fs* fs,
              ConstByteSpan mac);

  // Defaults, then conf1..conf9 from the store. A damaged or ill-typed file
  // does not stop the boot: its bad keys are skipped and logged, and the
  // first problem is kept in error(). Returns kOk unless the store failed.
  Status load();

  // Writes the value at `key` ("" = everything, an object = its subtree, a
  // leaf = the bare value) as one JSON value. kNotFound for an unknown key.
  Status get(std::string_view key, json::Writer& w) const;

  // Applies a JSON object patch ({"wifi": {"sta": {"ssid": "x"}}}) to the
  // current values. All or nothing: on any error nothing changes and error()
  // names the key. kNotFound: unknown key; kInvalidArg: wrong type or not an
  // object; kNoSpace: a string longer than its max_len.
  // The patch must not point into this object's work buffer.
  Status set(const json::Token& patch);
  Status set(std::string_view patch_json);

  // Writes the user diff to conf9.json (removes it when there is no diff).
  Status save();

  // Why the last call failed: "mqtt.keep_alive: expected an integer, got a
  // string". Empty after success.
  const char* error() const { return err_; }

  // Access by path, for code without the generated header.
  const ConfigKey* find(std::string_view path) const;
  const char* get_string(std::string_view path) const;  // nullptr if not a string key
  bool get_int(std::string_view path, int32_t* out) const;
  bool get_bool(std::string_view path, bool* out) const;
  bool get_double(std::string_view path, double* out) const;

  void* data() { return cur_; }
  const void* data() const { return cur_; }
  const ConfigSchema* schema() const { return schema_; }

 private:
  enum class Mode { kCheck, kApply, kLoad };
  Status apply_object(const json::Token& obj, char* path, size_t plen, void* inst, Mode mode);
  Status apply_value(const ConfigKey& k, const json::Token& v, void* inst, Mode mode);
  void set_defaults(void* inst);
  Status load_file(int level, void* inst);
  size_t subtree_end(size_t i) const;
  bool differs(size_t i, const void* a, const void* b) const;
  bool subtree_differs(size_t begin, size_t end, const void* a, const void* b) const;
  void emit_value(json::Writer& w, const ConfigKey& k, const void* inst) const;
  void emit_children(json::Writer& w, size_t begin, size_t end, size_t prefix_len, const void* inst,
                     const void* diff_base) const;
  void fail(const char* key, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  void clear_error() { err_[0] = '\0'; }

  const ConfigSchema* schema_ = nullptr;
  uint8_t* cur_ = nullptr;
  uint8_t* base_ = nullptr;
  Span<char> scratch_;  // one unescaped string value
  Span<char> file_;     // one conf file
  Fs* fs_ = nullptr;
  char mac_hex_[13] = {};
  char err_[160] = {};
};

// "?" placeholders in `s` replaced from the end by the hex digits of the MAC
// (upper case, as Mongoose OS prints device ids): "esp8266_??????" with MAC
// 5C:CF:7F:12:34:56 -> "esp8266_123456".
void config_fill_mac(Span<char> s, std::string_view mac_hex);

}  // namespace mos
