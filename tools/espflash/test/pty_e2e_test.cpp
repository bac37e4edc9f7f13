// End to end over a real pseudo-terminal: the flasher opens the pty's slave
// side through termios (as `mos flash` opens a virtual board), and a thread
// plays the chip on the master side with the RomLoader. A pty has no modem
// lines, so set_dtr_rts reports failure and the chip starts in download mode.
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mos/espflash/flasher.h"
#include "mos/sim/rom_loader.h"
#include "ram_flash.h"

namespace mos::espflash {
namespace {

class PtyChip : public sim::RomLoaderHost {
 public:
  explicit PtyChip(Flash& flash) : loader_(flash, *this) {
    master_ = posix_openpt(O_RDWR | O_NOCTTY);
    EXPECT_GE(master_, 0);
    EXPECT_EQ(grantpt(master_), 0);
    EXPECT_EQ(unlockpt(master_), 0);
    slave_path_ = ptsname(master_);
    thread_ = std::thread([this] { run(); });
  }
  ~PtyChip() override {
    stop_ = true;
    thread_.join();
    close(master_);
  }
  const std::string& slave() const { return slave_path_; }
  void send(ConstByteSpan b) override {
    size_t off = 0;
    while (off < b.size()) {
      ssize_t n = ::write(master_, b.data() + off, b.size() - off);
      if (n > 0) off += static_cast<size_t>(n);
      else if (stop_) return;
    }
  }
  void set_baud(uint32_t baud) override { baud_ = baud; }
  void run_user_code() override { ++boots_; }
  uint32_t baud() const { return baud_; }
  int boots() const { return boots_; }

 private:
  void run() {
    uint8_t buf[4096];
    while (!stop_) {
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      ssize_t n = ::read(master_, buf, sizeof buf);
      if (n > 0) loader_.feed(ConstByteSpan(buf, static_cast<size_t>(n)));
    }
  }
  sim::RomLoader loader_;
  int master_ = -1;
  std::string slave_path_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint32_t> baud_{0};
  std::atomic<int> boots_{0};
};

TEST(EspFlasherPty, FlashesThroughATermiosLine) {
  mos::test::RamFlash flash(1 << 20, 4096);
  PtyChip chip(flash);
  auto line = open_termios_line(chip.slave(), 115200);
  std::vector<std::string> transcript;
  FlasherOptions o;
  o.out = [&](const std::string& s) { transcript.push_back(s); };
  EspFlasher f(*line, o);
  std::string app(40000, '\0');
  for (size_t i = 0; i < app.size(); ++i) app[i] = static_cast<char>(i * 31 + (i >> 7));
  FlashStats st = f.flash({{"fw", "app", 0x8000, app}});
  EXPECT_FALSE(f.lines_work());  // a pty: no DTR/RTS
  EXPECT_EQ(st.flash_size, 1u << 20);
  EXPECT_EQ(st.sectors_written, 10u);
  std::string got(app.size(), '\0');
  ASSERT_EQ(flash.read(0x8000, ByteSpan(reinterpret_cast<uint8_t*>(&got[0]), got.size())), Status::kOk);
  EXPECT_EQ(got, app);
  EXPECT_EQ(chip.baud(), 921600u);
  // The last command (leave the loader, run the app) has no reply, as with
  // the ROM: the flasher returns once it is written, and the chip's thread
  // may still be reading it from the pty.
  for (int i = 0; i < 200 && chip.boots() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(chip.boots(), 1);
  EXPECT_EQ(transcript.back(), "All done!");
}

}  // namespace
}  // namespace mos::espflash
