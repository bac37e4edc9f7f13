// Arbitrary UART bytes into the ROM loader / stub on a small RAM flash: any
// command order, lengths, checksums, deflate streams and READ_FLASH acks.
// The first byte picks the chunk size, so frames split at every place.
#include <cstddef>
#include <cstdint>

#include "mos/sim/rom_loader.h"
#include "ram_flash.h"

namespace {
struct NullHost : mos::sim::RomLoaderHost {
  size_t sent = 0;
  void send(mos::ConstByteSpan b) override { sent += b.size(); }
  void set_baud(uint32_t) override {}
  void run_user_code() override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static mos::test::RamFlash flash(64 * 1024, 4096);
  NullHost host;
  mos::sim::RomLoader loader(flash, host);
  const size_t chunk = 1 + data[0] % 64;
  mos::ConstByteSpan in(data + 1, size - 1);
  while (!in.empty()) {
    loader.feed(in.first(chunk));
    in = in.subspan(chunk);
  }
  return 0;
}
