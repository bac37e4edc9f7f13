// The checks the console makes before it sends anything to the broker on its
// one shared connection (README "Live"): a topic or filter the broker would
// refuse, or that breaks AWS IoT's limits, would make the policy plugin close
// that connection for every tab, so it is refused here with a reason.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace mos::console {

// Why `filter` is not a topic filter AWS IoT Core accepts, as one sentence a
// person can act on, or "" if it is fine: UTF-8 with no control characters
// or U+0000 (MQTT 3.1.1 §1.5.3, checked as Mosquitto does with
// mosquitto_validate_utf8), wildcards as MQTT 3.1.1 §4.7.1 allows them
// (mosquitto_sub_topic_check), and AWS IoT's length and depth limits.
std::string filter_problem(std::string_view filter);
// The same for a topic name to publish to (no wildcards: §4.7.1,
// mosquitto_pub_topic_check).
std::string topic_problem(std::string_view topic);
// AWS IoT Core's 128 KiB payload limit: "The payload is N bytes; AWS IoT
// Core's limit is 131072 bytes." or "".
std::string payload_problem(size_t bytes);

// RFC 3629 UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF);
// unlike topic names, a payload may hold any code point, newlines included.
bool is_utf8(std::string_view s);
// RFC 4648 §4 base64.
std::string base64(std::string_view bytes);

}  // namespace mos::console
