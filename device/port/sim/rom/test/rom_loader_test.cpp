// Drives the loader with byte frames, as esptool would send them, against a
// RAM flash.
#include "mos/sim/rom_loader.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "ram_flash.h"

namespace mos::sim {
namespace {

using Bytes = std::vector<uint8_t>;
using esp::Op;

struct Host : RomLoaderHost {
  Bytes tx;
  std::vector<uint32_t> bauds;
  int runs = 0;
  void send(ConstByteSpan b) override { tx.insert(tx.end(), b.begin(), b.end()); }
  void set_baud(uint32_t baud) override { bauds.push_back(baud); }
  void run_user_code() override { ++runs; }

  // Every SLIP frame sent so far (and forget them).
  std::vector<Bytes> frames() {
    std::vector<Bytes> out;
    uint8_t buf[0x5000];
    slip::Decoder d(ByteSpan(buf, sizeof buf));
    for (uint8_t b : tx) {
      if (d.push(b) == Status::kOk) out.emplace_back(d.frame().begin(), d.frame().end());
    }
    tx.clear();
    return out;
  }
};

Bytes wire(uint8_t op, const Bytes& data, uint32_t cs = 0) {
  Bytes pkt(8 + data.size());
  size_t n = 0;
  EXPECT_EQ(esp::encode_request(op, ConstByteSpan(data.data(), data.size()), cs,
                                ByteSpan(pkt.data(), pkt.size()), &n),
            Status::kOk);
  Bytes out(slip::encoded_size(ConstByteSpan(pkt.data(), n)));
  EXPECT_EQ(slip::encode(ConstByteSpan(pkt.data(), n), ByteSpan(out.data(), out.size()), &n), Status::kOk);
  return out;
}

Bytes words(std::initializer_list<uint32_t> w) {
  Bytes out;
  for (uint32_t v : w) {
    uint8_t b[4];
    esp::put_u32le(b, v);
    out.insert(out.end(), b, b + 4);
  }
  return out;
}

Bytes data_block(const Bytes& d, uint32_t seq) {
  Bytes p(16);
  esp::put_data_header(p.data(), static_cast<uint32_t>(d.size()), seq);
  p.insert(p.end(), d.begin(), d.end());
  return p;
}

Bytes data_wire(Op op, const Bytes& d, uint32_t seq) {
  return wire(static_cast<uint8_t>(op), data_block(d, seq), esp::checksum(ConstByteSpan(d.data(), d.size())));
}

Bytes sync_wire() {
  Bytes p = {0x07, 0x07, 0x12, 0x20};
  p.insert(p.end(), 32, 0x55);
  return wire(0x08, p);
}

struct Fixture : ::testing::Test {
  test::RamFlash flash{1 << 20, 4096};
  Host host;
  RomLoader loader{flash, host};

  void feed(const Bytes& b) { loader.feed(ConstByteSpan(b.data(), b.size())); }
  // Sends one command; returns its single response (status bytes checked by callers).
  esp::Response call(const Bytes& w, std::vector<Bytes>* keep) {
    feed(w);
    *keep = host.frames();
    EXPECT_GE(keep->size(), 1u);
    esp::Response r;
    if (keep->empty()) return r;
    EXPECT_EQ(esp::parse_response(ConstByteSpan(keep->front().data(), keep->front().size()), &r), Status::kOk);
    return r;
  }
  Bytes status_of(const Bytes& w) {
    std::vector<Bytes> keep;
    esp::Response r = call(w, &keep);
    if (r.data.size() < 2) return {};
    return Bytes(r.data.end() - 2, r.data.end());
  }
  void start_stub() {
    feed(sync_wire());
    host.frames();
    const Bytes image(100, 0x42);
    ASSERT_EQ(status_of(wire(0x05, words({100, 1, 0x1800, 0x4010E000}))), (Bytes{0, 0}));
    ASSERT_EQ(status_of(data_wire(Op::kMemData, image, 0)), (Bytes{0, 0}));
    feed(wire(0x06, words({0, 0x4010E004})));
    auto f = host.frames();
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[1], (Bytes{'O', 'H', 'A', 'I'}));
    ASSERT_TRUE(loader.stub_running());
  }
  Bytes flash_bytes(uint32_t addr, uint32_t n) {
    Bytes b(n);
    EXPECT_EQ(flash.read(addr, ByteSpan(b.data(), n)), Status::kOk);
    return b;
  }
};

TEST_F(Fixture, RomAnswersSyncEightTimesWithRomValue) {
  const Bytes w = sync_wire();
  // Fed one byte at a time: any chunking works.
  for (uint8_t b : w) loader.feed(ConstByteSpan(&b, 1));
  auto f = host.frames();
  ASSERT_EQ(f.size(), 8u);
  for (const Bytes& r : f) {
    EXPECT_EQ(r, (Bytes{0x01, 0x08, 0x02, 0x00, 0x07, 0x07, 0x12, 0x20, 0x00, 0x00}));
  }
  EXPECT_FALSE(loader.stub_running());
}

TEST_F(Fixture, RomReportsEsp8266MagicAndMacEfuses) {
  const uint8_t mac[6] = {0x5C, 0xCF, 0x7F, 0xA1, 0xB2, 0xC3};
  loader.set_mac(mac);
  std::vector<Bytes> keep;
  auto rd = [&](uint32_t a) { return call(wire(0x0A, words({a})), &keep).value; };
  EXPECT_EQ(rd(0x40001000), 0xFFF0C101u);
  const uint32_t mac0 = rd(0x3FF00050), mac1 = rd(0x3FF00054), mac2 = rd(0x3FF00058), mac3 = rd(0x3FF0005C);
  // esptool ESP8266ROM.read_mac(): OUI from mac3, then mac1 >> 8, mac1, mac0 >> 24.
  EXPECT_EQ(mac3, 0x5CCF7Fu);
  EXPECT_EQ((mac1 >> 8) & 0xFF, 0xA1u);
  EXPECT_EQ(mac1 & 0xFF, 0xB2u);
  EXPECT_EQ(mac0 >> 24, 0xC3u);
  // Not an ESP8285: efuse bits 4 and 80 clear.
  EXPECT_EQ(mac0 & (1u << 4), 0u);
  EXPECT_EQ(mac2 & (1u << 16), 0u);
}

TEST_F(Fixture, RomFlashWriteErasesAsTheRomDoes) {
  // Pre-fill so the erase is visible.
  Bytes zeros(3 * 4096, 0);
  ASSERT_EQ(flash.write(0x10000, ConstByteSpan(zeros.data(), zeros.size())), Status::kOk);
  // esptool get_erase_size(0x10000, 0x800): 1 sector at a block start ->
  // num < 2*head -> (1+1)/2 sectors = 0x1000; the ROM then erases 2 sectors.
  ASSERT_EQ(status_of(wire(0x02, words({0x1000, 2, 0x400, 0x10000}))), (Bytes{0, 0}));
  Bytes a(0x400, 0x11), b(0x400, 0x22);
  ASSERT_EQ(status_of(data_wire(Op::kFlashData, a, 0)), (Bytes{0, 0}));
  ASSERT_EQ(status_of(data_wire(Op::kFlashData, b, 1)), (Bytes{0, 0}));
  EXPECT_EQ(flash_bytes(0x10000, 0x400), a);
  EXPECT_EQ(flash_bytes(0x10400, 0x400), b);
  EXPECT_EQ(flash_bytes(0x11000, 4), (Bytes{0xFF, 0xFF, 0xFF, 0xFF}));  // second erased sector
  EXPECT_EQ(flash_bytes(0x12000, 4), (Bytes{0, 0, 0, 0}));              // untouched
}

TEST_F(Fixture, RomRejectsBadChecksumSequenceAndRange) {
  ASSERT_EQ(status_of(wire(0x02, words({0x1000, 4, 0x400, 0}))), (Bytes{0, 0}));
  Bytes d(0x400, 0x33);
  Bytes bad = data_wire(Op::kFlashData, d, 0);
  bad[5] ^= 0x01;  // the checksum byte (no escaping needed for 0x33-block checksum)
  EXPECT_EQ(status_of(bad), (Bytes{1, 0x07}));
  EXPECT_EQ(status_of(data_wire(Op::kFlashData, d, 1)), (Bytes{1, 0x05}));  // skipped seq 0
  EXPECT_EQ(status_of(data_wire(Op::kFlashData, d, 0)), (Bytes{0, 0}));
  EXPECT_EQ(status_of(wire(0x02, words({0x1000, 1, 0x400, 1u << 20}))), (Bytes{1, 0x05}));  // past the end
  EXPECT_EQ(status_of(wire(0x02, words({0x1000, 1}))), (Bytes{1, 0x05}));                 // short
  EXPECT_EQ(status_of(data_wire(Op::kFlashData, d, 5)), (Bytes{1, 0x06}));                // no begin
  // Commands the ESP8266 ROM lacks: 0x05 (esptool reports "unsupported").
  EXPECT_EQ(status_of(wire(0x13, words({0, 4096, 0, 0}))), (Bytes{1, 0x05}));
  EXPECT_EQ(status_of(wire(0x0F, words({921600, 0}))), (Bytes{1, 0x05}));
  EXPECT_EQ(status_of(wire(0x77, {})), (Bytes{1, 0x05}));
}

TEST_F(Fixture, MalformedFramesGetAnErrorNotACrash) {
  // size field says 9, 2 bytes follow
  const Bytes lying = {0xC0, 0x00, 0x0A, 0x09, 0x00, 0, 0, 0, 0, 1, 2, 0xC0};
  EXPECT_EQ(status_of(lying), (Bytes{1, 0x05}));
  // A frame larger than any block: answered with an error once it ends.
  Bytes huge = {0xC0, 0x00, 0x03, 0xFF, 0xFF, 0, 0, 0, 0};
  huge.insert(huge.end(), 0x5000, 0x01);
  huge.push_back(0xC0);
  EXPECT_EQ(status_of(huge), (Bytes{1, 0x05}));
  // A bad escape.
  EXPECT_EQ(status_of({0xC0, 0x00, 0x0A, 0xDB, 0x01, 0xC0}), (Bytes{1, 0x05}));
  // Noise and stray responses are ignored.
  feed({0x55, 0x55, 0xC0, 0x01, 0x08, 0x00, 0x00, 0, 0, 0, 0, 0xC0});
  EXPECT_TRUE(host.frames().empty());
}

TEST_F(Fixture, MemEndWithEntryStartsTheStubWhichSaysOhai) {
  start_stub();
  // The stub answers SYNC with value 0, eight times.
  feed(sync_wire());
  auto f = host.frames();
  ASSERT_EQ(f.size(), 8u);
  esp::Response r;
  ASSERT_EQ(esp::parse_response(ConstByteSpan(f[0].data(), f[0].size()), &r), Status::kOk);
  EXPECT_EQ(r.value, 0u);
}

TEST_F(Fixture, MemEndWithoutEntryStaysInRom) {
  ASSERT_EQ(status_of(wire(0x05, words({4, 1, 0x1800, 0x3FFE8000}))), (Bytes{0, 0}));
  ASSERT_EQ(status_of(data_wire(Op::kMemData, {1, 2, 3, 4}, 0)), (Bytes{0, 0}));
  EXPECT_EQ(status_of(wire(0x06, words({1, 0}))), (Bytes{0, 0}));
  EXPECT_FALSE(loader.stub_running());
}

Bytes md5_of(const Bytes& b) {
  Bytes out(16);
  unsigned n = 16;
  EVP_Digest(b.data(), b.size(), out.data(), &n, EVP_md5(), nullptr);
  return out;
}

TEST_F(Fixture, StubDeflateWriteThenMd5) {
  start_stub();
  Bytes image(20000);
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 7 + i / 300);
  uLongf zlen = compressBound(static_cast<uLong>(image.size()));
  Bytes z(zlen);
  ASSERT_EQ(compress2(z.data(), &zlen, image.data(), static_cast<uLong>(image.size()), 9), Z_OK);
  z.resize(zlen);
  const uint32_t block = 1024;
  const uint32_t blocks = static_cast<uint32_t>((z.size() + block - 1) / block);
  ASSERT_EQ(status_of(wire(0x10, words({static_cast<uint32_t>(image.size()), blocks, block, 0x3000}))),
            (Bytes{0, 0}));
  for (uint32_t i = 0; i < blocks; ++i) {
    const size_t lo = size_t{i} * block, hi = std::min<size_t>(z.size(), size_t{i + 1} * block);
    Bytes chunk(z.data() + lo, z.data() + hi);
    ASSERT_EQ(status_of(data_wire(Op::kFlashDeflData, chunk, i)), (Bytes{0, 0})) << "block " << i;
  }
  EXPECT_EQ(status_of(wire(0x12, words({1}))), (Bytes{0, 0}));
  EXPECT_EQ(host.runs, 0);  // 1 = stay in the loader
  EXPECT_EQ(flash_bytes(0x3000, static_cast<uint32_t>(image.size())), image);
  std::vector<Bytes> keep;
  esp::Response r = call(wire(0x13, words({0x3000, static_cast<uint32_t>(image.size()), 0, 0})), &keep);
  ASSERT_EQ(r.data.size(), 18u);  // 16 raw MD5 bytes + 2 status bytes
  EXPECT_EQ(Bytes(r.data.begin(), r.data.begin() + 16), md5_of(image));
  EXPECT_EQ(Bytes(r.data.end() - 2, r.data.end()), (Bytes{0, 0}));
}

TEST_F(Fixture, StubErrorsUseStubCodes) {
  start_stub();
  EXPECT_EQ(status_of(data_wire(Op::kFlashDeflData, {1}, 0)), (Bytes{0xC6, 0}));  // not in flash mode
  EXPECT_EQ(status_of(wire(0x10, words({10, 1, 0x8000, 0}))), (Bytes{0xC2, 0}));   // block too big
  ASSERT_EQ(status_of(wire(0x10, words({10, 1, 0x4000, 0}))), (Bytes{0, 0}));
  Bytes junk = {0x12, 0x34, 0x56};
  Bytes w = data_wire(Op::kFlashDeflData, junk, 0);
  EXPECT_EQ(status_of(w), (Bytes{0xC7, 0}));  // not a zlib stream
  EXPECT_EQ(status_of(wire(0x13, words({0xFF000, 0x2000, 0, 0}))), (Bytes{0xC4, 0}));  // past the end
  EXPECT_EQ(status_of(wire(0xD1, words({0x1001, 0x1000}))), (Bytes{0x32, 0}));
  EXPECT_EQ(status_of(wire(0xD1, words({0x1000, 0x1001}))), (Bytes{0x33, 0}));
  EXPECT_EQ(status_of(wire(0x13, words({0}))), (Bytes{0xC0, 0}));
  EXPECT_EQ(status_of(wire(0x77, {})), (Bytes{0xFF, 0}));
  EXPECT_EQ(status_of(wire(0x12, words({1}))), (Bytes{0xC8, 0}));  // FLASH_DEFL_END, data missing
  EXPECT_EQ(status_of(wire(0x12, words({1}))), (Bytes{0xC6, 0}));  // and now not in flash mode
}

TEST_F(Fixture, StubChangeBaudAfterResponse) {
  start_stub();
  EXPECT_EQ(status_of(wire(0x0F, words({921600, 115200}))), (Bytes{0, 0}));
  EXPECT_EQ(host.bauds, (std::vector<uint32_t>{921600}));
  std::vector<Bytes> keep;
  EXPECT_EQ(call(wire(0x0A, words({0x60000014})), &keep).value, 52000000u / 921600u);
}

TEST_F(Fixture, UartDividerTellsA26MHzCrystal) {
  std::vector<Bytes> keep;
  const uint32_t div = call(wire(0x0A, words({0x60000014})), &keep).value;
  // esptool get_crystal_freq: baud * div / 1e6 / XTAL_CLK_DIVIDER (2 on ESP8266)
  EXPECT_NEAR(115200.0 * div / 1e6 / 2, 26.0, 0.1);
}

TEST_F(Fixture, StubEraseRegionAndFlash) {
  start_stub();
  Bytes zeros(0x3000, 0);
  ASSERT_EQ(flash.write(0x20000, ConstByteSpan(zeros.data(), zeros.size())), Status::kOk);
  EXPECT_EQ(status_of(wire(0xD1, words({0x21000, 0x1000}))), (Bytes{0, 0}));
  EXPECT_EQ(flash_bytes(0x20000, 1), (Bytes{0}));
  EXPECT_EQ(flash_bytes(0x21000, 1), (Bytes{0xFF}));
  EXPECT_EQ(flash_bytes(0x22000, 1), (Bytes{0}));
  EXPECT_EQ(status_of(wire(0xD0, {})), (Bytes{0, 0}));
  EXPECT_EQ(flash_bytes(0x22000, 1), (Bytes{0xFF}));
}

TEST_F(Fixture, StubReadFlashWindowAndDigest) {
  start_stub();
  Bytes content(10000);
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<uint8_t>(i ^ (i >> 8));
  ASSERT_EQ(flash.write(0x8000, ConstByteSpan(content.data(), content.size())), Status::kOk);
  // esptool read_flash: block 4096, at most 64 bytes unacked -> one block at a time.
  feed(wire(0xD2, words({0x8000, 10000, 4096, 64})));
  auto f = host.frames();
  ASSERT_EQ(f.size(), 2u);  // the response, then the first block only
  Bytes got(f[1]);
  EXPECT_EQ(got.size(), 4096u);
  while (got.size() < content.size()) {
    Bytes ack = words({static_cast<uint32_t>(got.size())});
    Bytes ackw(slip::encoded_size(ConstByteSpan(ack.data(), 4)));
    size_t n = 0;
    ASSERT_EQ(slip::encode(ConstByteSpan(ack.data(), 4), ByteSpan(ackw.data(), ackw.size()), &n), Status::kOk);
    feed(ackw);
    f = host.frames();
    ASSERT_EQ(f.size(), 1u);
    got.insert(got.end(), f[0].begin(), f[0].end());
  }
  EXPECT_EQ(got, content);
  Bytes ack = words({10000});
  Bytes ackw(8);
  size_t n = 0;
  ASSERT_EQ(slip::encode(ConstByteSpan(ack.data(), 4), ByteSpan(ackw.data(), ackw.size()), &n), Status::kOk);
  ackw.resize(n);
  feed(ackw);
  f = host.frames();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0], md5_of(content));
  // Back to commands.
  EXPECT_EQ(status_of(wire(0x0A, words({0x40001000}))), (Bytes{0, 0}));
}

TEST_F(Fixture, StubFlashEndRebootRunsUserCode) {
  start_stub();
  ASSERT_EQ(status_of(wire(0x02, words({4, 1, 0x4000, 0}))), (Bytes{0, 0}));
  ASSERT_EQ(status_of(data_wire(Op::kFlashData, {1, 2, 3, 4}, 0)), (Bytes{0, 0}));
  EXPECT_EQ(status_of(wire(0x04, words({0}))), (Bytes{0, 0}));
  EXPECT_EQ(host.runs, 1);
  EXPECT_EQ(flash_bytes(0, 4), (Bytes{1, 2, 3, 4}));
}

TEST_F(Fixture, RomFlashEndLeavesTheLoader) {
  EXPECT_EQ(status_of(wire(0x04, words({1}))), (Bytes{0, 0}));
  EXPECT_EQ(host.runs, 1);
  EXPECT_TRUE(loader.exited());
}

TEST_F(Fixture, FlashIdThroughSpiRegisters) {
  // esptool flash_id() on ESP8266: USR2 = (7 << 28) | 0x9F, CMD = USR, read W0.
  ASSERT_EQ(status_of(wire(0x09, words({0x60000224, (7u << 28) | 0x9F, 0xFFFFFFFF, 0}))), (Bytes{0, 0}));
  ASSERT_EQ(status_of(wire(0x09, words({0x60000200, 1u << 18, 0xFFFFFFFF, 0}))), (Bytes{0, 0}));
  std::vector<Bytes> keep;
  EXPECT_EQ(call(wire(0x0A, words({0x60000200})), &keep).value & (1u << 18), 0u);
  const uint32_t id = call(wire(0x0A, words({0x60000240})), &keep).value;
  EXPECT_EQ((id >> 16) & 0xFF, 20u);  // 1 MB = 2^20
}

}  // namespace
}  // namespace mos::sim
