#include "mos/sim/rom_loader.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace mos::sim {

using esp::Op;
using esp::RomError;
using esp::StubError;

namespace {
// The stub's receive buffer is MAX_WRITE_BLOCK + 64 (esptool stub_flasher.c);
// the same bound serves the ROM, whose blocks are smaller.
constexpr size_t kRxBuf = esp::kStubFlashBlock + 64;
constexpr uint8_t kOk = 0;
// ERASE_REGION's own error numbers in the stub (stub_commands.c
// handle_flash_erase): unaligned address, unaligned length, erase failed.
constexpr uint8_t kEraseBadAddr = 0x32;
constexpr uint8_t kEraseBadLen = 0x33;
constexpr uint8_t kEraseFailed = 0x35;
}  // namespace

struct RomLoader::Inflater {
  z_stream zs{};
  bool done = false;
  Inflater() { (void)inflateInit(&zs); }
  ~Inflater() { inflateEnd(&zs); }
};

struct RomLoader::Md5 {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Md5() { EVP_DigestInit_ex(ctx, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx); }
  void update(ConstByteSpan b) { EVP_DigestUpdate(ctx, b.data(), b.size()); }
  void final(uint8_t out[16]) {
    unsigned n = 16;
    EVP_DigestFinal_ex(ctx, out, &n);
  }
};

RomLoader::RomLoader(Flash& flash, RomLoaderHost& host)
    : flash_(flash), host_(host), rx_buf_(kRxBuf), decoder_(ByteSpan(rx_buf_.data(), rx_buf_.size())) {}

RomLoader::~RomLoader() = default;

void RomLoader::set_mac(const uint8_t mac[6]) { std::memcpy(mac_, mac, 6); }

void RomLoader::feed(ConstByteSpan rx) {
  while (!rx.empty() && !exited_) {
    size_t used = 0;
    Status st = decoder_.feed(rx, &used);
    rx = rx.subspan(used);
    if (st == Status::kOk) {
      on_frame(decoder_.frame());
    } else if (st != Status::kNeedMore) {
      on_bad_frame();
    }
  }
}

void RomLoader::send_frame(ConstByteSpan payload) {
  tx_.resize(slip::encoded_size(payload));
  size_t n = 0;
  if (slip::encode(payload, ByteSpan(tx_.data(), tx_.size()), &n) == Status::kOk) {
    host_.send(ConstByteSpan(tx_.data(), n));
  }
}

// Status bytes: ESP8266 ROM {1, code} on failure; the stub {code, 0} (its
// cmd_loop sends error then status). Both {0, 0} on success.
void RomLoader::respond(uint8_t op, uint32_t value, ConstByteSpan body, uint8_t error) {
  std::vector<uint8_t> pkt(esp::kHeaderSize + body.size() + 2);
  size_t n = 0;
  uint8_t s0 = 0, s1 = 0;
  if (error != kOk) {
    if (stub_) {
      s0 = error;
    } else {
      s0 = 1;
      s1 = error;
    }
  }
  if (esp::encode_response(op, value, body, s0, s1, ByteSpan(pkt.data(), pkt.size()), &n) == Status::kOk) {
    send_frame(ConstByteSpan(pkt.data(), n));
  }
}

// A frame the decoder dropped (larger than the buffer, or a bad escape). If
// its start still shows a request header, answer that command with an error
// so the host does not wait for a timeout.
void RomLoader::on_bad_frame() {
  if (rf_.active) {
    read_flash_finish();
    return;
  }
  if (rx_buf_[0] == esp::kDirRequest) {
    respond(rx_buf_[1], 0, {}, err(RomError::kInvalidMessage, StubError::kBadDataLen));
  }
}

void RomLoader::on_frame(ConstByteSpan frame) {
  if (rf_.active) {
    // READ_FLASH: the host acknowledges with 4-byte frames holding the total
    // bytes received; anything else ends the transfer (stub handle_flash_read).
    if (frame.size() != 4) {
      read_flash_finish();
      return;
    }
    rf_.acked = esp::get_u32le(frame.data());
    read_flash_pump();
    return;
  }
  esp::Request req;
  if (esp::parse_request(frame, &req) != Status::kOk) {
    if (frame.size() >= 2 && frame[0] == esp::kDirRequest) {
      respond(frame[1], 0, {}, err(RomError::kInvalidMessage, StubError::kBadDataLen));
    }
    return;  // not a request (noise, a stray response): ignored as the ROM does
  }
  handle(req);
}

uint32_t RomLoader::read_reg(uint32_t addr) const {
  // esptool ESP8266ROM.read_mac(): OUI from MAC3 when non-zero, then
  // MAC1 bits 15..0 and MAC0 bits 31..24; get_efuses() reads the four words
  // and calls the chip an ESP8285 if bit 4 (MAC0) or bit 80 (MAC2 bit 16) is
  // set, so both stay clear.
  switch (addr) {
    case kChipMagicReg: return kChipMagicEsp8266;
    case kOtpMac0: return static_cast<uint32_t>(mac_[5]) << 24;
    case kOtpMac1: return static_cast<uint32_t>(mac_[3]) << 8 | mac_[4];
    case kOtpMac2: return 0;
    case kUartClkdivReg:
      // UART0 divider from the 52 MHz UART clock (26 MHz crystal x 2):
      // esptool's get_crystal_freq() reads it back as 26 MHz.
      return 52000000u / (baud_ == 0 ? 115200u : baud_);
    case kOtpMac3:
      return static_cast<uint32_t>(mac_[0]) << 16 | static_cast<uint32_t>(mac_[1]) << 8 | mac_[2];
    default: break;
  }
  auto it = regs_.find(addr);
  return it == regs_.end() ? 0 : it->second;
}

void RomLoader::write_reg(uint32_t addr, uint32_t value) {
  if (addr == kSpiCmdReg && (value & kSpiCmdUsr) != 0) {
    // A user SPI command: the command byte is in USR2's low bits. RDID
    // (0x9F) answers a JEDEC id whose capacity byte is log2(flash size),
    // which is how esptool's detect_flash_size reads the size.
    const uint32_t cmd = read_reg(kSpiUsr2Reg) & 0xFFFF;
    if (cmd == 0x9F) {
      uint32_t log2 = 0;
      while ((1u << (log2 + 1)) <= flash_.size() && log2 < 31) ++log2;
      regs_[kSpiW0Reg] = 0xEFu | 0x40u << 8 | log2 << 16;  // Winbond, type 0x40
    } else {
      regs_[kSpiW0Reg] = 0;  // status registers and the rest read as 0
    }
    regs_[kSpiCmdReg] = 0;  // done at once: the USR bit reads back clear
    return;
  }
  regs_[addr] = value;
}

// ESP8266 ROM FLASH_BEGIN erase: the ROM erases the head sectors (up to the
// next 64 KB block) and then the full requested count again, so it erases
// n + min(16 - start % 16, n) sectors; esptool's ESP8266ROM.get_erase_size()
// sends the size that makes this come out right.
void RomLoader::rom_erase(uint32_t offset, uint32_t erase_size) {
  const uint32_t sector = esp::kFlashSectorSize;
  const uint32_t n = (erase_size + sector - 1) / sector;
  const uint32_t start = offset / sector;
  const uint32_t head = std::min<uint32_t>(16 - start % 16, n);
  const uint32_t total = n == 0 ? 0 : n + head;
  const uint32_t sectors = flash_.size() / sector;
  for (uint32_t s = start; s < start + total && s < sectors; ++s) (void)flash_.erase(s * sector);
}

uint8_t RomLoader::flash_begin(const esp::Request& req, bool deflate) {
  flash_x_ = Xfer{};  // a new BEGIN ends any transfer, accepted or not
  inflater_.reset();
  if (req.data.size() != 16) return err(RomError::kInvalidMessage, StubError::kBadDataLen);
  const uint32_t size = req.word(0), blocks = req.word(1), block_size = req.word(2),
                 offset = req.word(3);
  if (stub_ && block_size > esp::kStubFlashBlock) return static_cast<uint8_t>(StubError::kBadBlocksize);
  if (!stub_ && offset >= flash_.size()) return static_cast<uint8_t>(RomError::kInvalidMessage);
  flash_x_.active = true;
  flash_x_.offset = offset;
  flash_x_.size = size;
  flash_x_.blocks = blocks;
  flash_x_.block_size = block_size;
  flash_x_.next_write = offset;
  flash_x_.deflate = deflate;
  inflater_.reset(deflate ? new Inflater() : nullptr);
  if (stub_) {
    // The stub erases just in time, sector by sector, as data arrives
    // (stub_write_flash.c handle_flash_begin: remaining_erase_sector).
    flash_x_.remaining = size;
    flash_x_.erase_next = offset / esp::kFlashSectorSize;
    flash_x_.erase_left =
        (offset % esp::kFlashSectorSize + size + esp::kFlashSectorSize - 1) / esp::kFlashSectorSize;
  } else {
    rom_erase(offset, size);
  }
  return kOk;
}

// Stub write path: erase the sectors the write reaches, then write; the
// last block of a plain FLASH_DATA transfer is trimmed to what remains.
uint8_t RomLoader::stub_write(ConstByteSpan data) {
  Xfer& x = flash_x_;
  if (data.size() > x.remaining) {
    if (x.deflate) {
      x.last_error = static_cast<uint8_t>(StubError::kTooMuchData);
      return x.last_error;
    }
    data = data.first(x.remaining);
  }
  const uint32_t end = x.next_write + static_cast<uint32_t>(data.size());
  while (x.erase_left > 0 && x.erase_next * esp::kFlashSectorSize < end) {
    if (flash_.erase(x.erase_next * esp::kFlashSectorSize) != Status::kOk) {
      x.last_error = static_cast<uint8_t>(StubError::kFailedSpiOp);
    }
    ++x.erase_next;
    --x.erase_left;
  }
  if (!data.empty() && flash_.write(x.next_write, data) != Status::kOk) {
    x.last_error = static_cast<uint8_t>(StubError::kFailedSpiOp);
  }
  x.next_write = end;
  x.remaining -= static_cast<uint32_t>(data.size());
  return x.last_error;
}

uint8_t RomLoader::flash_data(const esp::Request& req, bool deflate) {
  Xfer& x = flash_x_;
  if (!x.active || x.deflate != deflate) {
    return err(RomError::kFailedToAct, StubError::kNotInFlashMode);
  }
  if (stub_ && x.last_error != kOk) return x.last_error;
  esp::DataBlock blk;
  if (esp::parse_data_block(req.data, &blk) != Status::kOk) {
    return err(RomError::kInvalidMessage, StubError::kBadDataLen);
  }
  if (esp::checksum(blk.data) != (req.checksum & 0xFF)) {
    return err(RomError::kInvalidCrc, StubError::kBadDataChecksum);
  }
  // Blocks must arrive in order. The ROM checks; Espressif's stub does not
  // (it relies on MD5 verification), but a lost block can only corrupt the
  // flash, so this stub refuses it too.
  if (blk.seq != x.next_seq) return err(RomError::kInvalidMessage, StubError::kInvalidCommand);
  if (!stub_) {
    if (blk.data.size() > x.block_size) return static_cast<uint8_t>(RomError::kInvalidMessage);
    if (x.next_write > flash_.size() || blk.data.size() > flash_.size() - x.next_write ||
        flash_.write(x.next_write, blk.data) != Status::kOk) {
      return static_cast<uint8_t>(RomError::kFlashWrite);
    }
    x.next_write += static_cast<uint32_t>(blk.data.size());
    ++x.next_seq;
    return kOk;
  }
  ++x.next_seq;
  if (!deflate) return stub_write(blk.data);
  // FLASH_DEFL_DATA: inflate this block as it arrives (zlib stream, as
  // esptool sends zlib.compress output) and write the output at once.
  Inflater& inf = *inflater_;
  if (inf.done) return kOk;  // trailing bytes after the stream end are ignored
  inf.zs.next_in = const_cast<Bytef*>(blk.data.data());
  inf.zs.avail_in = static_cast<uInt>(blk.data.size());
  uint8_t out[8192];
  while (inf.zs.avail_in > 0 || inf.zs.avail_out == 0) {
    inf.zs.next_out = out;
    inf.zs.avail_out = sizeof out;
    int r = inflate(&inf.zs, Z_NO_FLUSH);
    const size_t produced = sizeof out - inf.zs.avail_out;
    if (produced > 0) {
      uint8_t e = stub_write(ConstByteSpan(out, produced));
      if (e != kOk) return e;
    }
    if (r == Z_STREAM_END) {
      inf.done = true;
      break;
    }
    if (r != Z_OK && r != Z_BUF_ERROR) {
      x.last_error = static_cast<uint8_t>(StubError::kInflateError);
      return x.last_error;
    }
    if (r == Z_BUF_ERROR && produced == 0) break;
  }
  return kOk;
}

uint8_t RomLoader::mem_begin(const esp::Request& req) {
  if (req.data.size() != 16) return err(RomError::kInvalidMessage, StubError::kBadDataLen);
  mem_x_ = Xfer{};
  mem_x_.active = true;
  mem_x_.size = req.word(0);
  mem_x_.blocks = req.word(1);
  mem_x_.block_size = req.word(2);
  mem_x_.offset = req.word(3);
  mem_x_.remaining = mem_x_.size;
  return kOk;
}

// RAM is not modelled: the upload is checked (order, checksum, total size)
// and dropped, since the sim runs its own stub whatever was uploaded.
uint8_t RomLoader::mem_data(const esp::Request& req) {
  if (!mem_x_.active) return err(RomError::kFailedToAct, StubError::kNotInFlashMode);
  esp::DataBlock blk;
  if (esp::parse_data_block(req.data, &blk) != Status::kOk) {
    return err(RomError::kInvalidMessage, StubError::kBadDataLen);
  }
  if (esp::checksum(blk.data) != (req.checksum & 0xFF)) {
    return err(RomError::kInvalidCrc, StubError::kBadDataChecksum);
  }
  if (blk.seq != mem_x_.next_seq) return err(RomError::kInvalidMessage, StubError::kInvalidCommand);
  if (blk.data.size() > mem_x_.remaining) return err(RomError::kInvalidMessage, StubError::kTooMuchData);
  mem_x_.remaining -= static_cast<uint32_t>(blk.data.size());
  ++mem_x_.next_seq;
  return kOk;
}

uint8_t RomLoader::erase_region(uint32_t addr, uint32_t len) {
  if (addr % esp::kFlashSectorSize != 0) return kEraseBadAddr;
  if (len % esp::kFlashSectorSize != 0) return kEraseBadLen;
  if (addr > flash_.size() || len > flash_.size() - addr) return kEraseFailed;
  for (uint32_t a = addr; a < addr + len; a += esp::kFlashSectorSize) {
    if (flash_.erase(a) != Status::kOk) return kEraseFailed;
  }
  return kOk;
}

bool RomLoader::md5(uint32_t addr, uint32_t len, uint8_t out[16]) {
  if (addr > flash_.size() || len > flash_.size() - addr) return false;
  Md5 m;
  uint8_t buf[4096];
  while (len > 0) {
    const uint32_t n = std::min<uint32_t>(len, sizeof buf);
    if (flash_.read(addr, ByteSpan(buf, n)) != Status::kOk) return false;
    m.update(ConstByteSpan(buf, n));
    addr += n;
    len -= n;
  }
  m.final(out);
  return true;
}

// READ_FLASH window (stub handle_flash_read): send blocks while fewer than
// max_in_flight bytes are unacknowledged; finish with the MD5 of what was
// sent once everything is acknowledged (or an ack runs ahead of the data).
void RomLoader::read_flash_pump() {
  ReadFlash& r = rf_;
  if (!(r.acked < r.len && r.acked <= r.sent)) {
    read_flash_finish();
    return;
  }
  uint8_t buf[esp::kFlashSectorSize];
  while (r.sent < r.len && r.sent - r.acked < r.max_in_flight) {
    const uint32_t n = std::min(r.len - r.sent, r.block);
    if (r.addr > flash_.size() || n > flash_.size() - r.addr ||
        flash_.read(r.addr, ByteSpan(buf, n)) != Status::kOk) {
      read_flash_finish();  // SPIRead failed: the stub stops and sends the digest
      return;
    }
    send_frame(ConstByteSpan(buf, n));
    rf_md5_->update(ConstByteSpan(buf, n));
    r.addr += n;
    r.sent += n;
  }
}

void RomLoader::read_flash_finish() {
  uint8_t digest[16];
  rf_md5_->final(digest);
  rf_ = ReadFlash{};
  rf_md5_.reset();
  send_frame(ConstByteSpan(digest, 16));
}

void RomLoader::handle(const esp::Request& req) {
  const uint8_t op = req.op;
  const size_t len = req.data.size();
  auto bad_len = [&] { return err(RomError::kInvalidMessage, StubError::kBadDataLen); };
  auto unsupported = [&] {
    respond(op, 0, {}, err(RomError::kInvalidMessage, StubError::kCmdNotImplemented));
  };
  switch (static_cast<Op>(op)) {
    case Op::kSync: {
      // The ROM answers a SYNC with eight identical responses (esptool's
      // sync() reads seven more after the first); the stub does the same
      // with value 0 so esptool can tell it is talking to the stub.
      static const uint8_t kSync[4] = {0x07, 0x07, 0x12, 0x20};
      bool ok = len == esp::kSyncPayloadSize && std::memcmp(req.data.data(), kSync, 4) == 0;
      for (size_t i = 4; ok && i < len; ++i) ok = req.data[i] == 0x55;
      if (!ok) {
        respond(op, 0, {}, bad_len());
        return;
      }
      for (int i = 0; i < 8; ++i) respond(op, stub_ ? 0 : kRomSyncValue, {}, kOk);
      return;
    }
    case Op::kReadReg:
      if (len != 4) return respond(op, 0, {}, bad_len());
      return respond(op, read_reg(req.word(0)), {}, kOk);
    case Op::kWriteReg: {
      // ROM: one (addr, value, mask, delay) quad; the stub takes several.
      if (len == 0 || len % 16 != 0 || (!stub_ && len != 16)) return respond(op, 0, {}, bad_len());
      for (size_t i = 0; i < len / 16; ++i) {
        const uint32_t addr = req.word(i * 4), value = req.word(i * 4 + 1), mask = req.word(i * 4 + 2);
        // The ROM writes the value as is; the stub honours the mask
        // (stub_commands.c handle_write_reg).
        const uint32_t m = stub_ ? mask : 0xFFFFFFFFu;
        write_reg(addr, (read_reg(addr) & ~m) | (value & m));
      }
      return respond(op, 0, {}, kOk);
    }
    case Op::kFlashBegin: return respond(op, 0, {}, flash_begin(req, false));
    case Op::kFlashData: return respond(op, 0, {}, flash_data(req, false));
    case Op::kFlashDeflBegin:
      if (!stub_) return unsupported();  // not in the ESP8266 ROM (docs: Compressed Flash Download)
      return respond(op, 0, {}, flash_begin(req, true));
    case Op::kFlashDeflData:
      if (!stub_) return unsupported();
      return respond(op, 0, {}, flash_data(req, true));
    case Op::kFlashEnd:
    case Op::kFlashDeflEnd: {
      if (!stub_ && op == static_cast<uint8_t>(Op::kFlashDeflEnd)) return unsupported();
      // Word 0: 0 = reboot, 1 = run user code. The ESP8266 ROM leaves the
      // loader either way (esptool skips FLASH_END to the ROM for that
      // reason); the stub stays for 1 and reboots for 0.
      const bool reboot = req.word(0) == 0;
      if (!stub_) {
        flash_x_.active = false;
        respond(op, 0, {}, kOk);
        exited_ = true;
        host_.run_user_code();
        return;
      }
      uint8_t e = kOk;
      if (!flash_x_.active) {
        e = static_cast<uint8_t>(StubError::kNotInFlashMode);
      } else if (flash_x_.remaining > 0 && !(flash_x_.deflate && inflater_ && inflater_->done)) {
        e = static_cast<uint8_t>(StubError::kNotEnoughData);
      } else {
        e = flash_x_.last_error;
      }
      if (e != static_cast<uint8_t>(StubError::kNotInFlashMode)) flash_x_.active = false;
      respond(op, 0, {}, e);
      if (e == kOk && reboot) {
        exited_ = true;
        host_.run_user_code();
      }
      return;
    }
    case Op::kMemBegin: return respond(op, 0, {}, mem_begin(req));
    case Op::kMemData: return respond(op, 0, {}, mem_data(req));
    case Op::kMemEnd: {
      if (len != 8) return respond(op, 0, {}, bad_len());
      if (!mem_x_.active) return respond(op, 0, {}, err(RomError::kFailedToAct, StubError::kNotInFlashMode));
      if (mem_x_.remaining != 0) {
        return respond(op, 0, {}, err(RomError::kInvalidMessage, StubError::kNotEnoughData));
      }
      mem_x_.active = false;
      respond(op, 0, {}, kOk);
      // Word 0 is 0 to execute (esptool mem_finish packs entry == 0);
      // word 1 the entry point. Starting the stub: it greets with OHAI.
      if (!stub_ && req.word(0) == 0 && req.word(1) != 0) {
        stub_ = true;
        flash_x_ = Xfer{};
        static const uint8_t kOhai[4] = {'O', 'H', 'A', 'I'};
        send_frame(ConstByteSpan(kOhai, 4));
      }
      return;
    }
    case Op::kSpiSetParams:
      // Listed for the ESP8266 ROM by Espressif's firmware download
      // protocol note (opcode 0x0B); the parameters do not change the sim.
      return respond(op, 0, {}, len == 24 ? kOk : bad_len());
    case Op::kSpiAttach:
      if (!stub_) return unsupported();  // ESP8266 ROM: FLASH_BEGIN attaches
      return respond(op, 0, {}, len == 4 ? kOk : bad_len());
    case Op::kChangeBaudrate:
      if (!stub_) return unsupported();
      if (len != 8) return respond(op, 0, {}, bad_len());
      respond(op, 0, {}, kOk);
      baud_ = req.word(0);
      host_.set_baud(baud_);  // new rate after the response (stub_io_set_baudrate)
      decoder_.reset();
      return;
    case Op::kSpiFlashMd5: {
      if (!stub_) return unsupported();  // not in the ESP8266 ROM
      if (len != 16) return respond(op, 0, {}, bad_len());
      uint8_t digest[16];
      if (!md5(req.word(0), req.word(1), digest)) {
        return respond(op, 0, {}, static_cast<uint8_t>(StubError::kFailedSpiOp));
      }
      return respond(op, 0, ConstByteSpan(digest, 16), kOk);  // 16 raw bytes, as the stub sends
    }
    case Op::kEraseFlash: {
      if (!stub_) return unsupported();
      if (len != 0) return respond(op, 0, {}, bad_len());
      return respond(op, 0, {}, erase_region(0, flash_.size() / esp::kFlashSectorSize * esp::kFlashSectorSize));
    }
    case Op::kEraseRegion:
      if (!stub_) return unsupported();
      if (len != 8) return respond(op, 0, {}, bad_len());
      return respond(op, 0, {}, erase_region(req.word(0), req.word(1)));
    case Op::kReadFlash:
      if (!stub_) return unsupported();
      if (len != 16) return respond(op, 0, {}, bad_len());
      respond(op, 0, {}, kOk);
      if (req.word(2) > esp::kFlashSectorSize) return;  // the stub returns without sending anything
      rf_ = ReadFlash{true, req.word(0), req.word(1), req.word(2), req.word(3), 0, 0};
      rf_md5_.reset(new Md5());
      if (rf_.block == 0 && rf_.len > 0) {
        rf_.block = 1;  // a zero block size would never progress
      }
      read_flash_pump();
      return;
    case Op::kRunUserCode:
      if (!stub_) return unsupported();
      exited_ = true;  // the stub sends no response to this command
      host_.run_user_code();
      return;
  }
  unsupported();
}

}  // namespace mos::sim
