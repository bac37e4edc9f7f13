// fw.zip: round trips, unknown keys, and every kind of tampering refused with a
// message that names what is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cli.h"
#include "mos/fwbundle/bundle.h"

namespace fs = std::filesystem;
using mos::cli::UserError;
using mos::fwbundle::Bundle;
using mos::fwbundle::Part;
using ::testing::HasSubstr;

namespace {

class FwBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fwbundle_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    zip_ = (dir_ / "fw.zip").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Bundle sample() {
    Bundle b;
    b.name = "c_mqtt";
    b.platform = "sim";
    b.description = "test app";
    b.version = "1.0.0";
    b.build_id = "20261201-201142/0123abcd";
    b.build_timestamp = "2026-12-01T20:11:42Z";
    Part fw{"fw", "fw", "fw.bin", 0x0, std::string("\x7f" "ELF firmware bytes\0\xff", 22)};
    Part fsp{"fs", "fs", "fs.bin", 0x300000, std::string(8192, '\xff')};
    b.parts = {fw, fsp};
    return b;
  }

  // Replaces (or adds) one entry of the archive, leaving the rest alone.
  void put_entry(const std::string& name, const std::string& data) {
    int err = 0;
    zip_t* z = zip_open(zip_.c_str(), ZIP_CREATE, &err);  // an emptied archive is deleted
    ASSERT_NE(z, nullptr);
    zip_source_t* src = zip_source_buffer(z, data.data(), data.size(), 0);
    ASSERT_GE(zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE), 0);
    ASSERT_EQ(zip_close(z), 0);
  }
  void delete_entry(const std::string& name) {
    int err = 0;
    zip_t* z = zip_open(zip_.c_str(), 0, &err);
    ASSERT_NE(z, nullptr);
    zip_int64_t i = zip_name_locate(z, name.c_str(), 0);
    ASSERT_GE(i, 0);
    ASSERT_EQ(zip_delete(z, static_cast<zip_uint64_t>(i)), 0);
    ASSERT_EQ(zip_close(z), 0);
  }
  std::string file_bytes() const {
    std::ifstream f(zip_, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
  void set_file_bytes(const std::string& s) const { std::ofstream(zip_, std::ios::binary | std::ios::trunc) << s; }

  // The read error's message, or "" when the read succeeds.
  std::string read_error() const {
    try {
      mos::fwbundle::read_bundle(zip_);
    } catch (const UserError& e) {
      return e.what();
    }
    return "";
  }
  void write_manifest(const nlohmann::json& m) { put_entry("c_mqtt-1.0.0/manifest.json", m.dump()); }
  nlohmann::json written_manifest() { return mos::fwbundle::build_manifest(sample()); }

  fs::path dir_;
  std::string zip_;
};

TEST_F(FwBundleTest, RoundTrip) {
  Bundle in = sample();
  mos::fwbundle::write_bundle(zip_, in);
  Bundle out = mos::fwbundle::read_bundle(zip_);
  EXPECT_EQ(out.name, "c_mqtt");
  EXPECT_EQ(out.platform, "sim");
  EXPECT_EQ(out.description, "test app");
  EXPECT_EQ(out.version, "1.0.0");
  EXPECT_EQ(out.build_id, in.build_id);
  EXPECT_EQ(out.build_timestamp, in.build_timestamp);
  ASSERT_EQ(out.parts.size(), 2u);
  for (const Part& want : in.parts) {
    auto it = std::find_if(out.parts.begin(), out.parts.end(), [&](const Part& p) { return p.name == want.name; });
    ASSERT_NE(it, out.parts.end()) << want.name;
    EXPECT_EQ(it->type, want.type);
    EXPECT_EQ(it->src, want.src);
    EXPECT_EQ(it->addr, want.addr);
    EXPECT_EQ(it->data, want.data);
  }
  const auto& fsj = out.manifest["parts"]["fs"];
  EXPECT_EQ(fsj["size"], 8192);
  EXPECT_EQ(fsj["addr"], 0x300000);
  EXPECT_EQ(fsj["cs_sha1"], mos::fwbundle::sha1_hex(std::string(8192, '\xff')));
  EXPECT_EQ(fsj["cs_sha256"].get<std::string>().size(), 64u);
}

// Mongoose OS's layout: everything under NAME-VERSION/ in the archive.
TEST_F(FwBundleTest, FilesSitInNameVersionDirectory) {
  mos::fwbundle::write_bundle(zip_, sample());
  int err = 0;
  zip_t* z = zip_open(zip_.c_str(), ZIP_RDONLY, &err);
  ASSERT_NE(z, nullptr);
  EXPECT_GE(zip_name_locate(z, "c_mqtt-1.0.0/manifest.json", 0), 0);
  EXPECT_GE(zip_name_locate(z, "c_mqtt-1.0.0/fw.bin", 0), 0);
  EXPECT_GE(zip_name_locate(z, "c_mqtt-1.0.0/fs.bin", 0), 0);
  EXPECT_EQ(zip_get_num_entries(z, 0), 3);
  zip_discard(z);
}

TEST_F(FwBundleTest, SameBundleSameBytes) {
  mos::fwbundle::write_bundle(zip_, sample());
  std::string first = file_bytes();
  mos::fwbundle::write_bundle(zip_, sample());
  EXPECT_EQ(file_bytes(), first);
}

TEST_F(FwBundleTest, Sha1KnownAnswer) {
  // FIPS 180-2 appendix A.1 / B.1 test vectors ("abc").
  EXPECT_EQ(mos::fwbundle::sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(mos::fwbundle::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(FwBundleTest, UnknownKeysKept) {
  Bundle b = sample();
  b.manifest = {{"mos_feature", {{"x", 1}}}, {"parts", {{"fs", {{"fs_size", 262144}}}}}};
  mos::fwbundle::write_bundle(zip_, b);
  Bundle r = mos::fwbundle::read_bundle(zip_);
  EXPECT_EQ(r.manifest["mos_feature"]["x"], 1);
  EXPECT_EQ(r.manifest["parts"]["fs"]["fs_size"], 262144);
  // ...and written back by the next writer.
  mos::fwbundle::write_bundle(zip_, r);
  Bundle again = mos::fwbundle::read_bundle(zip_);
  EXPECT_EQ(again.manifest["mos_feature"]["x"], 1);
  EXPECT_EQ(again.manifest["parts"]["fs"]["fs_size"], 262144);
}

TEST_F(FwBundleTest, ManifestAtArchiveRootAlsoReads) {
  mos::fwbundle::write_bundle(zip_, sample());
  delete_entry("c_mqtt-1.0.0/manifest.json");
  delete_entry("c_mqtt-1.0.0/fw.bin");
  delete_entry("c_mqtt-1.0.0/fs.bin");
  Bundle b = sample();
  put_entry("manifest.json", mos::fwbundle::build_manifest(b).dump());
  put_entry("fw.bin", b.parts[0].data);
  put_entry("fs.bin", b.parts[1].data);
  EXPECT_EQ(read_error(), "");
}

TEST_F(FwBundleTest, FlippedPartByteNamesPartAndBothHashes) {
  Bundle b = sample();
  mos::fwbundle::write_bundle(zip_, b);
  std::string good = mos::fwbundle::sha1_hex(b.parts[1].data);
  std::string bad = b.parts[1].data;
  bad[100] = '\x7f';
  put_entry("c_mqtt-1.0.0/fs.bin", bad);  // a valid zip entry with other bytes
  std::string e = read_error();
  EXPECT_THAT(e, HasSubstr("part \"fs\" (fs.bin)"));
  EXPECT_THAT(e, HasSubstr("sha1 mismatch: expected " + good + ", got " + mos::fwbundle::sha1_hex(bad)));
}

TEST_F(FwBundleTest, Sha256AloneIsChecked) {
  Bundle b = sample();
  mos::fwbundle::write_bundle(zip_, b);
  nlohmann::json m = written_manifest();
  m["parts"]["fw"].erase("cs_sha1");
  m["parts"]["fw"]["cs_sha256"] = std::string(64, '0');
  write_manifest(m);
  std::string e = read_error();
  EXPECT_THAT(e, HasSubstr("part \"fw\""));
  EXPECT_THAT(e, HasSubstr("sha256 mismatch: expected " + std::string(64, '0')));
}

TEST_F(FwBundleTest, FlippedByteInArchiveIsDamage) {
  mos::fwbundle::write_bundle(zip_, sample());
  std::string bytes = file_bytes();
  size_t at = bytes.find("ELF firmware");  // fw.bin is small: deflate keeps it literal
  if (at == std::string::npos) at = bytes.size() / 3;
  bytes[at] ^= 0x20;
  set_file_bytes(bytes);
  std::string e = read_error();
  EXPECT_NE(e, "");
  EXPECT_THAT(e, ::testing::AnyOf(HasSubstr("damaged"), HasSubstr("mismatch")));
}

TEST_F(FwBundleTest, DroppedPartIsRefused) {
  mos::fwbundle::write_bundle(zip_, sample());
  delete_entry("c_mqtt-1.0.0/fs.bin");
  EXPECT_THAT(read_error(), HasSubstr("part \"fs\": file c_mqtt-1.0.0/fs.bin is not in the archive"));
}

TEST_F(FwBundleTest, TruncatedZipSaysSo) {
  mos::fwbundle::write_bundle(zip_, sample());
  std::string bytes = file_bytes();
  set_file_bytes(bytes.substr(0, bytes.size() / 2));
  EXPECT_THAT(read_error(), HasSubstr("is truncated or damaged"));
  set_file_bytes(bytes.substr(0, bytes.size() - 5));  // only the end record cut
  EXPECT_THAT(read_error(), HasSubstr("is truncated or damaged"));
}

TEST_F(FwBundleTest, NotAZipOrMissing) {
  set_file_bytes("hello, not a zip at all");
  EXPECT_THAT(read_error(), HasSubstr("is not a firmware bundle"));
  fs::remove(zip_);
  EXPECT_THAT(read_error(), HasSubstr("cannot open"));
}

TEST_F(FwBundleTest, BadJsonIsRefused) {
  mos::fwbundle::write_bundle(zip_, sample());
  put_entry("c_mqtt-1.0.0/manifest.json", "{\"name\": \"c_mqtt\", ");
  EXPECT_THAT(read_error(), HasSubstr("manifest.json: not valid JSON"));
}

// nlohmann throws out_of_range, not parse_error, for a number too large to
// hold: still "not valid JSON", never an escaping exception (fuzzer find).
TEST_F(FwBundleTest, NumberOverflowIsBadJson) {
  EXPECT_THROW(mos::fwbundle::parse_manifest(R"({"name":"a","version":96E3647068160})"), UserError);
}

TEST_F(FwBundleTest, NoManifestIsRefused) {
  mos::fwbundle::write_bundle(zip_, sample());
  delete_entry("c_mqtt-1.0.0/manifest.json");
  EXPECT_THAT(read_error(), HasSubstr("has no manifest.json"));
}

TEST_F(FwBundleTest, MissingFieldsAreNamed) {
  mos::fwbundle::write_bundle(zip_, sample());
  for (const char* key : {"name", "platform", "version", "parts"}) {
    nlohmann::json m = written_manifest();
    m.erase(key);
    write_manifest(m);
    EXPECT_THAT(read_error(), HasSubstr(std::string("missing \"") + key + "\"")) << key;
  }
  for (const char* key : {"type", "src", "addr"}) {
    nlohmann::json m = written_manifest();
    m["parts"]["fs"].erase(key);
    write_manifest(m);
    EXPECT_THAT(read_error(), HasSubstr(std::string("part \"fs\" has no \"") + key + "\"")) << key;
  }
  nlohmann::json m = written_manifest();
  m["parts"]["fs"].erase("cs_sha1");
  m["parts"]["fs"].erase("cs_sha256");
  write_manifest(m);
  EXPECT_THAT(read_error(), HasSubstr("part \"fs\" has neither \"cs_sha1\" nor \"cs_sha256\""));
}

TEST_F(FwBundleTest, SizeMismatchIsRefused) {
  mos::fwbundle::write_bundle(zip_, sample());
  nlohmann::json m = written_manifest();
  m["parts"]["fs"]["size"] = 8191;
  write_manifest(m);
  EXPECT_THAT(read_error(), HasSubstr("part \"fs\" (fs.bin): size is 8192 bytes, manifest says 8191"));
}

TEST_F(FwBundleTest, OverlappingPartsAreRefused) {
  mos::fwbundle::write_bundle(zip_, sample());
  nlohmann::json m = written_manifest();
  m["parts"]["fs"]["addr"] = 8;  // fw is 22 bytes at 0
  write_manifest(m);
  EXPECT_THAT(read_error(), HasSubstr("parts \"fw\" (0x0..0x16) and \"fs\" (0x8..0x2008) overlap"));
  // Adjacent is fine.
  m["parts"]["fs"]["addr"] = "0x16";
  write_manifest(m);
  EXPECT_EQ(read_error(), "");
}

TEST_F(FwBundleTest, SrcCannotLeaveTheDirectory) {
  EXPECT_THROW(mos::fwbundle::parse_manifest(R"({"name":"a","platform":"sim","version":"1","parts":{
      "fw":{"type":"fw","src":"../../etc/passwd","addr":0,"cs_sha1":"a9993e364706816aba3e25717850c26c9cd0d89d"}}})"),
               UserError);
}

TEST_F(FwBundleTest, WriterRefusesOverlapAndSharedFiles) {
  Bundle b = sample();
  b.parts[1].addr = 4;
  EXPECT_THROW(mos::fwbundle::write_bundle(zip_, b), UserError);
  b = sample();
  b.parts[1].src = "fw.bin";
  EXPECT_THROW(mos::fwbundle::write_bundle(zip_, b), UserError);
}

}  // namespace
