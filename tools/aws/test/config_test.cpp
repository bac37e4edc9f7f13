// The AWS CLI's settings chain on temp files: profiles, env precedence,
// AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, region and endpoint order.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "mos/aws/config.h"
#include "mos/aws/ini.h"
#include "mos/aws/iot_client.h"

namespace mos::aws {
namespace {

namespace fs = std::filesystem;

class AwsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mos-aws-config-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / ".aws");
    env_["HOME"] = dir_.string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ / rel) << text;
  }
  EnvFn env() {
    return [this](const std::string& k) -> std::optional<std::string> {
      auto it = env_.find(k);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  Settings resolve_with(const Overrides& o = {}) { return resolve(o, env()); }

  fs::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(AwsConfigTest, NothingConfiguredFindsNothing) {
  Settings s = resolve_with();
  EXPECT_FALSE(s.credentials);
  EXPECT_EQ(s.region, "");
  EXPECT_EQ(s.profile, "default");
  EXPECT_EQ(s.credentials_file, (dir_ / ".aws/credentials").string());
  EXPECT_NE(where_credentials_are_looked_for(s).find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST_F(AwsConfigTest, DefaultProfileFromHomeFiles) {
  write(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = filesecret\n");
  write(".aws/config", "[default]\nregion = eu-west-1\n");
  Settings s = resolve_with();
  ASSERT_TRUE(s.credentials);
  EXPECT_EQ(s.credentials->access_key_id, "AKIDFILE");
  EXPECT_EQ(s.credentials->secret_access_key, "filesecret");
  EXPECT_EQ(s.region, "eu-west-1");
  EXPECT_EQ(iot_endpoint(s), "https://iot.eu-west-1.amazonaws.com");
}

TEST_F(AwsConfigTest, EnvironmentBeatsFilesAndAwsProfile) {
  write(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n"
                            "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = w\n");
  env_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env_["AWS_SESSION_TOKEN"] = "tok";
  env_["AWS_PROFILE"] = "work";
  Settings s = resolve_with();
  ASSERT_TRUE(s.credentials);
  EXPECT_EQ(s.credentials->access_key_id, "AKIDENV");
  EXPECT_EQ(s.credentials->session_token, "tok");
  EXPECT_EQ(s.profile, "work");
}

TEST_F(AwsConfigTest, ExplicitProfileBeatsEnvironment) {
  write(".aws/credentials", "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = w\n");
  env_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  Settings s = resolve_with({"work", "", ""});
  ASSERT_TRUE(s.credentials);
  EXPECT_EQ(s.credentials->access_key_id, "AKIDWORK");
}

TEST_F(AwsConfigTest, HalfAnEnvPairFallsBackToTheProfile) {
  write(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  env_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  Settings s = resolve_with();
  ASSERT_TRUE(s.credentials);
  EXPECT_EQ(s.credentials->access_key_id, "AKIDFILE");
}

TEST_F(AwsConfigTest, NamedProfileInConfigFileUsesProfilePrefix) {
  write(".aws/config",
        "# comment\n[default]\nregion = us-west-2\n\n[profile dev]\n; another\nregion = ap-south-1\n"
        "aws_access_key_id = AKIDCONF\naws_secret_access_key = c\n"
        "s3 =\n  max_concurrent_requests = 20\n"
        "[dev]\nregion = wrong-1\n");
  env_["AWS_PROFILE"] = "dev";
  Settings s = resolve_with();
  ASSERT_TRUE(s.credentials);
  EXPECT_EQ(s.credentials->access_key_id, "AKIDCONF");
  EXPECT_EQ(s.region, "ap-south-1");
}

TEST_F(AwsConfigTest, CredentialsFileBeatsConfigFile) {
  write(".aws/credentials", "[default]\naws_access_key_id = AKIDCRED\naws_secret_access_key = a\n");
  write(".aws/config", "[default]\naws_access_key_id = AKIDCONF\naws_secret_access_key = b\n");
  EXPECT_EQ(resolve_with().credentials->access_key_id, "AKIDCRED");
}

TEST_F(AwsConfigTest, FileLocationsFromEnvironment) {
  write("creds", "[p]\naws_access_key_id = AKIDALT\naws_secret_access_key = x\n");
  write("conf", "[profile p]\nregion = ca-central-1\nendpoint_url = http://127.0.0.1:9\nca_bundle = ~/ca.pem\n");
  write(".aws/credentials", "[p]\naws_access_key_id = AKIDHOME\naws_secret_access_key = y\n");
  env_["AWS_SHARED_CREDENTIALS_FILE"] = (dir_ / "creds").string();
  env_["AWS_CONFIG_FILE"] = (dir_ / "conf").string();
  Settings s = resolve_with({"p", "", ""});
  EXPECT_EQ(s.credentials->access_key_id, "AKIDALT");
  EXPECT_EQ(s.region, "ca-central-1");
  EXPECT_EQ(s.endpoint_url, "http://127.0.0.1:9");
  EXPECT_EQ(s.ca_bundle, (dir_ / "ca.pem").string());
}

TEST_F(AwsConfigTest, RegionOrder) {
  write(".aws/config", "[default]\nregion = eu-north-1\n");
  EXPECT_EQ(resolve_with().region, "eu-north-1");
  env_["AWS_DEFAULT_REGION"] = "us-east-2";
  EXPECT_EQ(resolve_with().region, "us-east-2");
  env_["AWS_REGION"] = "us-west-1";
  EXPECT_EQ(resolve_with().region, "us-west-1");
  EXPECT_EQ(resolve_with({"", "sa-east-1", ""}).region, "sa-east-1");
}

TEST_F(AwsConfigTest, EndpointOrder) {
  env_["AWS_ENDPOINT_URL"] = "http://general";
  EXPECT_EQ(resolve_with().endpoint_url, "http://general");
  env_["AWS_ENDPOINT_URL_IOT"] = "http://iot-only";
  EXPECT_EQ(resolve_with().endpoint_url, "http://iot-only");
  EXPECT_EQ(resolve_with({"", "", "http://flag"}).endpoint_url, "http://flag");
  env_["AWS_CA_BUNDLE"] = "/etc/x.pem";
  EXPECT_EQ(resolve_with().ca_bundle, "/etc/x.pem");
}

TEST_F(AwsConfigTest, MissingExplicitProfileIsAnError) {
  try {
    resolve_with({"nope", "", ""});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("\"nope\""), std::string::npos);
    EXPECT_NE(e.hint.find("aws configure --profile nope"), std::string::npos);
  }
}

TEST_F(AwsConfigTest, MalformedFileNamesFileAndLine) {
  write(".aws/credentials", "[default]\naws_access_key_id = A\nthis line is junk\n");
  try {
    resolve_with();
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("credentials:3:"), std::string::npos) << e.what();
  }
}

TEST(AwsIni, ParsesAndRejects) {
  Ini ini;
  EXPECT_TRUE(parse_ini("[a]\r\nk = v = w\r\n [b]\ns3 =\n  sub = 1\n[c]\n", &ini).ok);
  EXPECT_EQ(ini["a"]["k"], "v = w");
  EXPECT_EQ(ini["a"].count("sub"), 0u);  // indented: continues the key above (nested setting)
  EXPECT_EQ(ini.count("b"), 0u);
  EXPECT_EQ(ini.count("c"), 1u);
  Ini bad;
  IniResult r = parse_ini("k = v\n", &bad);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_line, 1);
  EXPECT_FALSE(parse_ini("[a\n", &bad).ok);
  EXPECT_FALSE(parse_ini("[]\n", &bad).ok);
  EXPECT_FALSE(parse_ini("[a]\n= v\n", &bad).ok);
}

TEST(AwsEndpoint, Parses) {
  auto e = parse_endpoint("http://127.0.0.1:4567");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host_header, "127.0.0.1:4567");
  EXPECT_EQ(e->port, 4567);
  e = parse_endpoint("https://iot.us-east-1.amazonaws.com/");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host_header, "iot.us-east-1.amazonaws.com");
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(e->base_path, "");
  EXPECT_FALSE(parse_endpoint("ftp://x"));
  EXPECT_FALSE(parse_endpoint("http://x:99999"));
  EXPECT_FALSE(parse_endpoint("http://:80"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:4567"));
}

}  // namespace
}  // namespace mos::aws
