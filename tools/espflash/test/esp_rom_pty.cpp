// A stand-in chip for end-to-end tests of `mos flash`: the RomLoader on a
// pseudo-terminal, in download mode from the start (a pty has no DTR/RTS).
//   esp_rom_pty FLASH_FILE SIZE_BYTES
// Prints the pty's path on the first line; when the host boots the firmware
// (FLASH_END / RUN_USER_CODE) it saves the flash to FLASH_FILE, prints
// "booted" and exits 0. SIGTERM/SIGINT also save and exit.
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>

#include "mos/sim/rom_loader.h"
#include "ram_flash.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Chip : mos::sim::RomLoaderHost {
  int fd = -1;
  bool booted = false;
  void send(mos::ConstByteSpan b) override {
    size_t off = 0;
    while (off < b.size()) {
      ssize_t n = ::write(fd, b.data() + off, b.size() - off);
      if (n > 0) off += static_cast<size_t>(n);
      else if (g_stop) return;
    }
  }
  void set_baud(uint32_t baud) override { std::fprintf(stderr, "baud %u\n", baud); }
  void run_user_code() override { booted = true; }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: esp_rom_pty FLASH_FILE SIZE_BYTES\n");
    return 2;
  }
  const std::string path = argv[1];
  const auto size = static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 0));
  mos::test::RamFlash flash(size, 4096);
  {
    std::ifstream in(path, std::ios::binary);
    std::string old((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!old.empty() && old.size() == size) {
      for (uint32_t a = 0; a < size; a += 4096) (void)flash.erase(a);
      (void)flash.write(0, mos::ConstByteSpan(reinterpret_cast<const uint8_t*>(old.data()), old.size()));
    }
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  Chip chip;
  chip.fd = posix_openpt(O_RDWR | O_NOCTTY);
  if (chip.fd < 0 || grantpt(chip.fd) != 0 || unlockpt(chip.fd) != 0) {
    std::perror("posix_openpt");
    return 1;
  }
  // Keep the slave open ourselves so the master never sees a hang-up
  // between the host's opens.
  const std::string slave = ptsname(chip.fd);
  int keep = ::open(slave.c_str(), O_RDWR | O_NOCTTY);
  std::printf("%s\n", slave.c_str());
  std::fflush(stdout);
  mos::sim::RomLoader loader(flash, chip);
  uint8_t buf[4096];
  while (!g_stop && !chip.booted) {
    pollfd p{chip.fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::read(chip.fd, buf, sizeof buf);
    if (n > 0) loader.feed(mos::ConstByteSpan(buf, static_cast<size_t>(n)));
  }
  std::string out(size, '\0');
  (void)flash.read(0, mos::ByteSpan(reinterpret_cast<uint8_t*>(&out[0]), size));
  std::ofstream(path, std::ios::binary).write(out.data(), static_cast<std::streamsize>(out.size()));
  if (chip.booted) std::printf("booted\n");
  ::close(keep);
  return 0;
}
