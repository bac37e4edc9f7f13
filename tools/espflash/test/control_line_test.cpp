// The virtual-board decorator: DTR/RTS become `lines DTR RTS` on the board's
// control socket (one request per connection, `ok` on success).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "fake_line.h"
#include "mos/espflash/serial_line.h"

namespace mos::espflash {
namespace {

// A one-shot control socket that records requests and answers `reply`.
class FakeBoardSocket {
 public:
  FakeBoardSocket(const std::string& path, std::string reply, int answers) : reply_(std::move(reply)) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    EXPECT_LT(path.size(), sizeof(addr.sun_path));
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    thread_ = std::thread([this, answers] {
      for (int i = 0; i < answers; ++i) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::string line;
        char ch;
        while (read(c, &ch, 1) == 1 && ch != '\n') line += ch;
        requests.push_back(line);
        std::string r = reply_ + "\n";
        (void)!write(c, r.data(), r.size());
        close(c);
      }
    });
  }
  ~FakeBoardSocket() {
    thread_.join();
    close(fd_);
  }
  std::vector<std::string> requests;

 private:
  int fd_ = -1;
  std::string reply_;
  std::thread thread_;
};

std::string temp_dir() {
  char tmpl[] = "/tmp/espflash-ctl-XXXXXX";
  return mkdtemp(tmpl);
}

TEST(ControlSocketLine, SendsLinesAndForwardsTheRest) {
  const std::string dir = temp_dir();
  std::vector<std::string> seen;
  {
    FakeBoardSocket board(dir + "/ctl.sock", "ok", 2);
    auto fake = std::make_unique<test::FakeLine>();
    test::FakeLine* inner = fake.get();
    auto line = with_control_socket(std::move(fake), dir + "/ctl.sock");
    EXPECT_TRUE(line->set_dtr_rts(true, false));
    EXPECT_TRUE(line->set_dtr_rts(false, true));
    EXPECT_TRUE(inner->events.empty());  // the pty itself is not asked
    line->set_baud(921600);
    EXPECT_EQ(inner->bauds, (std::vector<uint32_t>{921600}));
    EXPECT_EQ(line->name(), "/dev/fake0");
    seen = board.requests;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"lines 1 0", "lines 0 1"}));
  unlink((dir + "/ctl.sock").c_str());
  rmdir(dir.c_str());
}

TEST(ControlSocketLine, BoardWithoutTheCommandReportsFailure) {
  const std::string dir = temp_dir();
  {
    FakeBoardSocket board(dir + "/ctl.sock", "error: unknown command lines", 1);
    auto line = with_control_socket(std::make_unique<test::FakeLine>(), dir + "/ctl.sock");
    EXPECT_FALSE(line->set_dtr_rts(false, false));
  }
  unlink((dir + "/ctl.sock").c_str());
  // No socket at all: also false, never a throw.
  auto line = with_control_socket(std::make_unique<test::FakeLine>(), dir + "/ctl.sock");
  EXPECT_FALSE(line->set_dtr_rts(false, false));
  rmdir(dir.c_str());
}

TEST(ControlSocketLine, DeepBoardDirectoryIsReachedThroughProc) {
  std::string dir = temp_dir();
  const std::string base = dir;
  while (dir.size() < 120) {
    dir += "/deeper-directory-name";
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  }
  // bind() needs a short name too: bind from inside the directory.
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(dir.c_str()), 0);
  std::vector<std::string> seen;
  {
    FakeBoardSocket board("ctl.sock", "ok", 1);
    ASSERT_EQ(chdir(cwd), 0);
    auto line = with_control_socket(std::make_unique<test::FakeLine>(), dir + "/ctl.sock");
    EXPECT_TRUE(line->set_dtr_rts(true, true));
    seen = board.requests;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"lines 1 1"}));
  ASSERT_EQ(std::system(("rm -rf " + base).c_str()), 0);
}

}  // namespace
}  // namespace mos::espflash
