#include "mqtt_names.h"

#include <mosquitto.h>
#include <openssl/evp.h>

#include "mos/cloud/aws_limits.h"

namespace mos::console {
namespace {

namespace L = cloud::aws_limits;

// What is wrong with the wildcards of a filter, for a person (the rules of
// MQTT 3.1.1 §4.7.1.2 and §4.7.1.3 that mosquitto_sub_topic_check applies).
std::string wildcard_problem(std::string_view f) {
  size_t start = 0;
  while (true) {
    size_t end = f.find('/', start);
    std::string_view level = f.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    bool last = end == std::string_view::npos;
    if (level.find('#') != std::string_view::npos) {
      if (level.size() != 1) return "'#' must be a whole level (e.g. a/#, not a#)";
      if (!last) return "'#' must be the last level";
    }
    if (level.find('+') != std::string_view::npos && level.size() != 1)
      return "'+' must be a whole level (e.g. a/+/c, not a+)";
    if (last) return "";
    start = end + 1;
  }
}

std::string name_problem(std::string_view name, bool filter) {
  const char* what = filter ? "topic filter" : "topic";
  std::string shown(name.substr(0, 80));
  if (name.size() > 80) shown += "...";
  std::string head = "Invalid " + std::string(what) + " '" + shown + "': ";
  if (name.empty()) return "The " + std::string(what) + " is empty; give one, e.g. /response.";
  if (name.size() > 65535) return head + "it is longer than MQTT allows.";
  if (mosquitto_validate_utf8(name.data(), static_cast<int>(name.size())) != MOSQ_ERR_SUCCESS)
    return head + "MQTT topics are UTF-8 without control characters or U+0000.";
  std::string s(name);
  if (filter) {
    if (mosquitto_sub_topic_check(s.c_str()) != MOSQ_ERR_SUCCESS) {
      std::string why = wildcard_problem(name);
      return head + (why.empty() ? "MQTT does not accept it as a topic filter" : why) + ".";
    }
  } else if (mosquitto_pub_topic_check(s.c_str()) != MOSQ_ERR_SUCCESS) {
    return head + "a topic to publish to cannot hold the wildcards '+' or '#'.";
  }
  std::string limit = L::topic_limit_violation(name);
  if (!limit.empty()) return head + limit + ".";
  return "";
}

}  // namespace

std::string filter_problem(std::string_view filter) { return name_problem(filter, true); }
std::string topic_problem(std::string_view topic) { return name_problem(topic, false); }

std::string payload_problem(size_t bytes) {
  if (bytes <= L::kMaxPayloadBytes) return "";
  return "The payload is " + std::to_string(bytes) + " bytes; AWS IoT Core's limit is " +
         std::to_string(L::kMaxPayloadBytes) + " bytes.";
}

bool is_utf8(std::string_view s) {
  size_t i = 0, n = s.size();
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  while (i < n) {
    unsigned char c = at(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;  // a continuation byte first, C0/C1 (overlong) or F5..FF
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((at(i + k) & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (at(i + k) & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // + the NUL EVP_EncodeBlock writes
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n < 0 ? 0 : n));
  return out;
}

}  // namespace mos::console
