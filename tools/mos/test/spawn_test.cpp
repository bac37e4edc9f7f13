// spawn.h: arguments reach the program as they are (no shell), output goes
// where asked, exec failures and timeouts are reported.
#include "spawn.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli.h"

namespace mos::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class SpawnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mos-spawn-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  fs::path dir;
};

TEST_F(SpawnTest, ShellMetacharactersAreOneArgument) {
  const std::string pwned = (dir / "PWNED").string();
  const std::string evil = "a b'; touch " + pwned + "; '$(touch " + pwned + ")`touch " + pwned + "`";
  SpawnOptions o;
  o.stdout_path = (dir / "out").string();
  o.truncate_stdout = true;
  EXPECT_EQ(run_program({"/usr/bin/printf", "[%s]", evil}, o, 10s), 0);
  EXPECT_EQ(read(dir / "out"), "[" + evil + "]");
  EXPECT_FALSE(fs::exists(pwned));
}

TEST_F(SpawnTest, StdoutAndStderrToOneFileInOrder) {
  SpawnOptions o;
  o.stdout_path = o.stderr_path = (dir / "log").string();
  std::ofstream(dir / "log") << "before\n";
  EXPECT_EQ(run_program({"/usr/bin/perl", "-e", "$|=1; print qq(out\\n); print STDERR qq(err\\n); exit 3"}, o, 10s),
            3);
  EXPECT_EQ(read(dir / "log"), "before\nout\nerr\n");  // appended, in order
}

TEST_F(SpawnTest, ExecFailureIsAUserError) {
  try {
    spawn({(dir / "no-such-program").string()});
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run " + (dir / "no-such-program").string() +
                                         ": No such file or directory"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(SpawnTest, TimeoutKillsAndDetachedRunsOn) {
  EXPECT_EQ(run_program({"/bin/sleep", "5"}, {}, 100ms), -1);
  SpawnOptions o;
  o.detach = true;
  pid_t pid = spawn({"/bin/sleep", "5"}, o);
  EXPECT_EQ(::getsid(pid), pid);  // its own session: outlives our terminal
  EXPECT_EQ(wait_exit(pid, 50ms), -1);
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 5s), 128 + SIGTERM);
}

}  // namespace
}  // namespace mos::cli
