#include "mos/cloud/aws_limits.h"

#include <algorithm>

namespace mos::cloud::aws_limits {

std::string topic_limit_violation(std::string_view topic) {
  std::string_view t = topic;
  constexpr std::string_view kIngest = "$aws/rules/";
  if (t.substr(0, kIngest.size()) == kIngest) {
    size_t end = t.find('/', kIngest.size());
    t = end == std::string_view::npos ? std::string_view() : t.substr(end + 1);
  }
  if (t.size() > kMaxTopicBytes)
    return "topic is " + std::to_string(t.size()) + " bytes; AWS IoT allows at most " + std::to_string(kMaxTopicBytes);
  size_t slashes = static_cast<size_t>(std::count(t.begin(), t.end(), '/'));
  if (slashes > kMaxTopicSlashes)
    return "topic has " + std::to_string(slashes) + " forward slashes (" + std::to_string(slashes + 1) +
           " levels); AWS IoT allows at most " + std::to_string(kMaxTopicSlashes) + " (" +
           std::to_string(kMaxTopicSlashes + 1) + " levels)";
  return "";
}

}  // namespace mos::cloud::aws_limits
