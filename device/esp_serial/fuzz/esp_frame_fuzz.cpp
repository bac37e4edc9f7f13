// Feeds arbitrary bytes through the SLIP decoder (a small buffer, so
// oversize frames are exercised) and parses every frame as a request, a
// response and a data block.
#include <cstddef>
#include <cstdint>

#include "mos/esp_packet.h"
#include "mos/slip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t buf[512];
  mos::slip::Decoder dec(mos::ByteSpan(buf, sizeof buf));
  mos::ConstByteSpan in(data, size);
  while (!in.empty()) {
    size_t used = 0;
    if (dec.feed(in, &used) == mos::Status::kOk) {
      mos::esp::Request req;
      if (mos::esp::parse_request(dec.frame(), &req) == mos::Status::kOk) {
        mos::esp::DataBlock blk;
        (void)mos::esp::parse_data_block(req.data, &blk);
        (void)mos::esp::checksum(req.data);
        (void)req.word(3);
      }
      mos::esp::Response resp;
      (void)mos::esp::parse_response(dec.frame(), &resp);
      uint8_t out[1100];
      size_t n = 0;
      (void)mos::slip::encode(dec.frame(), mos::ByteSpan(out, sizeof out), &n);
    }
    in = in.subspan(used);
  }
  return 0;
}
