// libFuzzer target: the MQTT decoder over arbitrary bytes. Checks that every
// kOk result stays inside the input and that the packet stream can be walked.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "mos/mqtt/codec.h"

namespace {
bool inside(const uint8_t* lo, const uint8_t* hi, const void* p, size_t n) {
  auto* b = static_cast<const uint8_t*>(p);
  return n == 0 || (b >= lo && b + n <= hi);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mos::mqtt;
  // The first byte picks the receive limit, so the over-the-limit path is reached too.
  if (size == 0) return 0;
  const size_t limit = data[0] < 128 ? 16u + data[0] * 8u : 1u << 20;
  const uint8_t* p = data + 1;
  const uint8_t* end = data + size;
  while (p < end) {
    Packet pk;
    mos::Status s = decode(mos::ConstByteSpan(p, static_cast<size_t>(end - p)), limit, &pk);
    if (s != mos::Status::kOk) break;
    if (pk.length < 2 || pk.length > static_cast<size_t>(end - p) || pk.length > limit) abort();
    const uint8_t* pkt_end = p + pk.length;
    if (pk.type == PacketType::kPublish) {
      if (!inside(p, pkt_end, pk.publish.topic.data(), pk.publish.topic.size()) ||
          !inside(p, pkt_end, pk.publish.payload.data(), pk.publish.payload.size()) ||
          !valid_topic_name(pk.publish.topic) || pk.publish.qos > 2 ||
          (pk.publish.qos > 0 && pk.publish.packet_id == 0)) {
        abort();
      }
      // What decodes must re-encode to the same size when its length was minimal.
      size_t n = mos::mqtt::size(pk.publish);
      if (n == 0 || n > pk.length) abort();
    }
    if (pk.type == PacketType::kSuback &&
        !inside(p, pkt_end, pk.return_codes.data(), pk.return_codes.size())) {
      abort();
    }
    p = pkt_end;
  }
  return 0;
}
