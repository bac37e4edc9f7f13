// `mos build` helpers: mos.yml loading, the file store image, tool spawning.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "build_app.h"
#include "build_fsimage.h"
#include "build_spawn.h"
#include "cli.h"
#include "mos/fs.h"
#include "mos/sim/flash_layout.h"

namespace fs = std::filesystem;
using mos::cli::UserError;
using ::testing::HasSubstr;
using namespace mos::cli::build;

namespace {

class BuildHelpersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mos_build_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "my_app");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void yml(const std::string& text) { std::ofstream(dir_ / "my_app" / "mos.yml") << text; }
  std::string load_error() {
    try {
      load_app_manifest(dir_ / "my_app");
    } catch (const UserError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

TEST_F(BuildHelpersTest, ReadsMongooseShapedMosYml) {
  yml("name: c_mqtt\nversion: 1.0.0\ndescription: hello\nplatform: sim\nsources:\n  - src\n"
      "config_schema:\n  - [\"mqtt.pub\", \"/response\"]\nfilesystem:\n  - fs\n  - extra.txt\n");
  AppManifest a = load_app_manifest(dir_ / "my_app");
  EXPECT_EQ(a.name, "c_mqtt");
  EXPECT_EQ(a.version, "1.0.0");
  EXPECT_EQ(a.description, "hello");
  EXPECT_EQ(a.platform, "sim");
  EXPECT_EQ(a.filesystem, (std::vector<std::string>{"fs", "extra.txt"}));
  EXPECT_EQ(a.dir, dir_ / "my_app");
}

TEST_F(BuildHelpersTest, DefaultsAsMos) {
  yml("sources: [src]\n");
  AppManifest a = load_app_manifest(dir_ / "my_app/");
  EXPECT_EQ(a.name, "my_app");
  EXPECT_EQ(a.version, "1.0");
  EXPECT_TRUE(a.platform.empty());
  EXPECT_TRUE(a.filesystem.empty());
}

TEST_F(BuildHelpersTest, NoMosYml) {
  EXPECT_THAT(load_error(), HasSubstr("No mos.yml file in " + (dir_ / "my_app").string()));
  EXPECT_THAT(load_error(), HasSubstr("-> run mos build in an app directory"));
}

TEST_F(BuildHelpersTest, SyntaxErrorNamesFileAndLine) {
  yml("name: x\nversion: 1.0\nsources: [src\nplatform: sim\n");
  std::string e = load_error();
  EXPECT_THAT(e, HasSubstr((dir_ / "my_app" / "mos.yml").string() + ":4:"));
  EXPECT_THAT(e, HasSubstr("YAML syntax error"));
}

TEST_F(BuildHelpersTest, WrongShapesNameTheLine) {
  yml("name: x\nversion: [1, 2]\n");
  EXPECT_THAT(load_error(), HasSubstr("mos.yml:2:10: \"version\" must be a single value"));
  yml("name: x\nfilesystem: fs\n");
  EXPECT_THAT(load_error(), HasSubstr("mos.yml:2:13: \"filesystem\" must be a list"));
  yml("name: ../evil\n");
  EXPECT_THAT(load_error(), HasSubstr("mos.yml:1:7: name \"../evil\" must be"));
  yml("- just\n- a list\n");
  EXPECT_THAT(load_error(), HasSubstr("must be a map of keys"));
}

// The image must mount as the firmware mounts it: a store at kFsAddr of the
// board's flash. Checked with a fresh Fs over a whole-chip RAM flash.
class ChipFlash : public mos::Flash {
 public:
  ChipFlash() : mem_(mos::sim::kFlashSize, 0xFF) {}
  uint32_t size() const override { return static_cast<uint32_t>(mem_.size()); }
  uint32_t sector_size() const override { return mos::sim::kFlashSectorSize; }
  mos::Status read(uint32_t a, mos::ByteSpan out) override {
    std::memcpy(out.data(), mem_.data() + a, out.size());
    return mos::Status::kOk;
  }
  mos::Status write(uint32_t a, mos::ConstByteSpan d) override {
    for (size_t i = 0; i < d.size(); ++i) mem_[a + i] &= d[i];
    return mos::Status::kOk;
  }
  mos::Status erase(uint32_t a) override {
    std::memset(mem_.data() + a, 0xFF, sector_size());
    return mos::Status::kOk;
  }
  std::vector<uint8_t> mem_;
};

TEST_F(BuildHelpersTest, FsImageMountsAtKFsAddr) {
  std::vector<FsFile> files = {{"conf0.json", "{\"mqtt\":{\"pub\":\"/response\"}}", "conf0.json"},
                               {"index.html", std::string(5000, 'h'), "fs/index.html"},
                               {"empty.txt", "", "fs/empty.txt"}};
  std::string img = make_fs_image(files);
  ASSERT_EQ(img.size(), mos::sim::kFsSize);
  ChipFlash chip;
  std::memcpy(chip.mem_.data() + mos::sim::kFsAddr, img.data(), img.size());
  auto secs = std::make_unique<mos::FsSector[]>(mos::sim::kFsSize / mos::sim::kFlashSectorSize);
  auto store = std::make_unique<mos::Fs>();
  ASSERT_EQ(store->init(chip, mos::sim::kFsAddr, mos::sim::kFsSize,
                        mos::Span<mos::FsSector>(secs.get(), mos::sim::kFsSize / mos::sim::kFlashSectorSize)),
            mos::Status::kOk);
  ASSERT_EQ(store->mount(), mos::Status::kOk);
  EXPECT_EQ(store->file_count(), 3u);
  for (const FsFile& f : files) {
    uint32_t size = 99;
    ASSERT_EQ(store->stat(f.name, &size), mos::Status::kOk) << f.name;
    EXPECT_EQ(size, f.data.size());
    std::string back(size, '\0');
    size_t n = 0;
    ASSERT_EQ(store->read(f.name, 0, mos::ByteSpan(reinterpret_cast<uint8_t*>(back.data()), back.size()), &n),
              mos::Status::kOk);
    EXPECT_EQ(back, f.data);
  }
  // Deterministic: the same files give the same bytes (fw.zip unchanged).
  EXPECT_EQ(make_fs_image(files), img);
}

std::string fs_error(const std::vector<FsFile>& files) {
  try {
    make_fs_image(files);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST_F(BuildHelpersTest, FsImageRefusesWhatDoesNotFit) {
  EXPECT_THAT(fs_error({{"big.bin", std::string(MOS_FS_MAX_FILE_SIZE + 1, 'x'), "fs/big.bin"}}),
              HasSubstr("fs/big.bin is too large for the device's file store: " +
                        std::to_string(MOS_FS_MAX_FILE_SIZE + 1) + " bytes, at most " +
                        std::to_string(MOS_FS_MAX_FILE_SIZE)));
  std::vector<FsFile> many;
  for (int i = 0; i < MOS_FS_MAX_FILES + 1; ++i) many.push_back({"f" + std::to_string(i), "x", "fs/f"});
  EXPECT_THAT(fs_error(many), HasSubstr("too many files for the device's file store: " +
                                        std::to_string(MOS_FS_MAX_FILES + 1)));
  EXPECT_THAT(fs_error({{std::string(MOS_FS_MAX_NAME + 1, 'n'), "x", "fs/long"}}), HasSubstr("is longer than"));
  std::vector<FsFile> full;
  for (int i = 0; i < 9; ++i) full.push_back({"f" + std::to_string(i), std::string(MOS_FS_MAX_FILE_SIZE, 'x'), "fs/f" + std::to_string(i)});
  EXPECT_THAT(fs_error(full), HasSubstr("do not fit in the 256 KB file store"));
  EXPECT_THAT(fs_error({{"a", "1", "fs/a"}, {"a", "2", "more/a"}}), HasSubstr("are both \"a\""));
}

TEST_F(BuildHelpersTest, RunToolExitCodesAndLog) {
  EXPECT_EQ(run_tool({"true"}, ""), 0);
  EXPECT_EQ(run_tool({"false"}, ""), 1);
  fs::path log = dir_ / "log.txt";
  EXPECT_EQ(run_tool({"sh", "-c", "echo out; echo err >&2; exit 3"}, log.string()), 3);
  std::ifstream in(log);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(all, "out\nerr\n");
  // Arguments reach the program as given: no shell in between.
  EXPECT_EQ(run_tool({"test", "a b;c", "=", "a b;c"}, ""), 0);
  EXPECT_THROW(run_tool({"no-such-program-mos-build"}, ""), UserError);
  EXPECT_TRUE(in_path("sh"));
  EXPECT_FALSE(in_path("no-such-program-mos-build"));
}

}  // namespace
