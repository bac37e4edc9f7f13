// mos aws-iot-setup: give a board an AWS IoT identity and point its MQTT at
// AWS IoT Core (or at the local cloud), as Mongoose OS's mos does it ("AWS
// IoT on Mongoose OS"): read the board's ID and config, make a key and a CSR
// here (the key leaves this computer only for the board), have AWS sign the
// certificate (CreateCertificateFromCsr), attach a policy and a thing, upload
// certificate, key and CA with FS.Put, then set mqtt.* and save. The config
// is saved only after every upload succeeded.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "device_session.h"
#include "mos/aws/amazon_root_cas.h"
#include "mos/aws/config.h"
#include "mos/aws/iot_client.h"
#include "mos/aws/x509.h"

namespace mos::cli {
namespace {

using aws::AwsError;
using aws::TransportError;
using rpcclient::Json;

// Allow everything, as mos's default policy does: fine for a first device,
// to be narrowed for production (AWS IoT Developer Guide, "AWS IoT Core policies").
constexpr const char* kDefaultPolicyDoc =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]})";

// AWS IoT Core does not honour the TLS max_fragment_length extension (RFC
// 6066 §4) and sends records of up to 2^14 bytes, so a device talking to it
// needs a full-size TLS input buffer. The firmware reads this key.
constexpr const char* kTlsRxKey = "mqtt.ssl_rx_buf_size";
constexpr int64_t kTlsFullRecord = 16384;

struct Options {
  std::string region, policy = "mos-default", thing, cert_type = "ECDSA", cert_file, key_file, profile,
                      endpoint_url;
};

std::string read_file(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UserError("cannot read the " + std::string(what) + " file " + path, "check the path");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool is_aws_host(std::string host) {
  if (auto colon = host.find(':'); colon != std::string::npos) host.resize(colon);
  return ends_with(host, ".amazonaws.com") || ends_with(host, ".amazonaws.com.cn");
}

bool is_local_host(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]";
}

// One AWS call with failures turned into a line the user can act on.
template <typename F>
auto aws_step(const aws::Settings& st, const aws::Endpoint& ep, const char* what, F&& f) -> decltype(f()) {
  const std::string url = ep.scheme + "://" + ep.host_header;
  try {
    return f();
  } catch (const TransportError& e) {
    if (e.kind == TransportError::Kind::kConnect && is_local_host(ep.host)) {
      throw UserError(std::string(what) + ": cannot connect to the cloud at " + url + " (connection refused)",
                      "start the local cloud with `mos cloud up` (or pass the right --endpoint-url)");
    }
    if (e.kind == TransportError::Kind::kConnect && st.endpoint_url.empty()) {
      throw UserError(std::string(what) + ": cannot reach " + url + " (is \"" + st.region +
                          "\" an AWS region with IoT Core? is the network up?)",
                      "check the region name, e.g. --aws-region us-east-1 (see `aws ec2 describe-regions`)");
    }
    if (e.kind == TransportError::Kind::kTls) {
      throw UserError(std::string(what) + ": TLS to " + url + " failed: " + e.what(),
                      "if a proxy re-signs HTTPS, point AWS_CA_BUNDLE at its CA certificate file");
    }
    throw UserError(std::string(what) + ": no answer from " + url + ": " + e.what(),
                    "check --endpoint-url / AWS_ENDPOINT_URL and the network, then run again");
  } catch (const AwsError& e) {
    if (e.type == "InvalidSignatureException" || e.type == "SignatureDoesNotMatch") {
      if (e.message.find("region") != std::string::npos) {
        throw UserError(std::string(what) + ": the service rejected the region \"" + st.region + "\": " + e.message,
                        "pass the region the endpoint serves, e.g. --aws-region us-east-1");
      }
      throw UserError(std::string(what) + ": AWS rejected the request signature: the secret access key is wrong (" +
                          st.credentials_source + ")",
                      "set the right one: export AWS_SECRET_ACCESS_KEY=... or `aws configure`" +
                          std::string(is_local_host(ep.host) ? " (local cloud: mos-local-secret)" : ""));
    }
    if (e.type == "UnrecognizedClientException" || e.type == "InvalidClientTokenId") {
      throw UserError(std::string(what) + ": AWS does not know the access key id (" + st.credentials_source + ")",
                      "set the right one: export AWS_ACCESS_KEY_ID=... or `aws configure`");
    }
    if (e.type == "ExpiredTokenException") {
      throw UserError(std::string(what) + ": the session token has expired", "get new credentials (aws sso login / sts), then run again");
    }
    if (e.type == "AccessDeniedException") {
      throw UserError(std::string(what) + ": access denied: " + e.message,
                      "give this user iot:* permissions (e.g. the AWSIoTFullAccess managed policy)");
    }
    throw UserError(std::string(what) + " failed: " + e.type + ": " + e.message, "");
  }
}

// The board's answer, or a line saying it did not answer.
template <typename F>
auto device_step(const std::string& port, const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const rpcclient::RpcTimeout&) {
    throw UserError(std::string(what) + ": the device on " + port + " does not answer",
                    "check that it runs: `mos --port " + port + " call RPC.Ping` (virtual boards: `mos sim list`)");
  }
}

std::string local_ca(aws::IotClient& iot) {
  std::string pem = iot.local_ca_pem();
  if (!pem.empty()) return pem;
  // An older cloud without GET /ca.pem: the CA of `mos cloud up`'s data dir.
  std::ifstream f(".mos/cloud/ca.pem", std::ios::binary);
  if (f) {
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  throw UserError("cannot get the local cloud's CA certificate (GET /ca.pem failed, no .mos/cloud/ca.pem)",
                  "run `mos aws-iot-setup` from the directory where `mos cloud up` ran");
}

void run(const Options& o) {
  // ---- AWS settings (nothing is sent yet) ----
  aws::Settings st;
  try {
    st = aws::resolve({o.profile, o.region, o.endpoint_url}, aws::process_env());
  } catch (const aws::ConfigError& e) {
    throw UserError(e.what(), e.hint);
  }
  if (st.region.empty()) {
    throw UserError("no AWS region set (no --aws-region, AWS_REGION, AWS_DEFAULT_REGION, or region in profile \"" +
                        st.profile + "\" of " + st.config_file + ")",
                    "pass --aws-region us-east-1, or export AWS_REGION=us-east-1, or `aws configure set region us-east-1`");
  }
  static const std::regex region_re("^[a-z]{2}(-[a-z]+)+-[0-9]+$");
  if (!std::regex_match(st.region, region_re)) {
    throw UserError("\"" + st.region + "\" (" + st.region_source + ") is not an AWS region name",
                    "use a region like us-east-1 or eu-west-1 (see `aws ec2 describe-regions`)");
  }
  std::printf("AWS region: %s\n", st.region.c_str());
  if (!st.credentials) {
    throw UserError("no AWS credentials found (" + aws::where_credentials_are_looked_for(st) + ")",
                    "export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=..., or run `aws configure`"
                    " (local cloud: AKIDMOSLOCAL / mos-local-secret)");
  }
  const aws::KeyType key_type = o.cert_type == "RSA" ? aws::KeyType::kRsa2048 : aws::KeyType::kEcdsaP256;
  const std::string api_url = aws::iot_endpoint(st);
  std::unique_ptr<aws::IotClient> iot_ptr;
  try {
    iot_ptr = std::make_unique<aws::IotClient>(api_url, st.region, *st.credentials, st.ca_bundle);
  } catch (const std::invalid_argument& e) {
    throw UserError(std::string("bad endpoint URL: ") + e.what(), "give one like --endpoint-url http://127.0.0.1:4567");
  }
  aws::IotClient& iot = *iot_ptr;
  const aws::Endpoint& ep = iot.endpoint();

  // ---- the board ----
  std::printf("Connecting to the device...\n");
  std::fflush(stdout);
  Session s;
  const std::string port = s.port.path();
  Json info = device_step(port, "Sys.GetInfo", [&] { return s.client.call("Sys.GetInfo"); });
  Json cfg = device_step(port, "Config.Get", [&] { return s.client.call("Config.Get"); });
  const Json* idj = find_key(cfg, "device.id");
  if (idj == nullptr || !idj->is_string() || idj->get<std::string>().empty()) {
    throw UserError("the device has no device.id in its config", "set one: mos config-set device.id=my-device");
  }
  const std::string dev_id = idj->get<std::string>();
  std::printf("  Device ID: %s\n", dev_id.c_str());
  std::printf("Current MQTT config: %s\n", cfg.value("mqtt", Json::object()).dump().c_str());
  const std::string thing = o.thing.empty() ? dev_id : o.thing;

  // ---- key and certificate ----
  aws::Certificate cert;
  std::string key_pem;
  if (!o.cert_file.empty()) {
    if (o.key_file.empty()) throw UserError("--aws-cert-file needs --aws-key-file", "pass the certificate's private key too");
    cert.pem = read_file(o.cert_file, "certificate");
    key_pem = read_file(o.key_file, "key");
    aws::CertInfo ci = aws::describe_certificate(cert.pem);
    if (!ci.ok) throw UserError(o.cert_file + " holds no PEM certificate", "give a PEM file (-----BEGIN CERTIFICATE-----)");
    if (!aws::key_matches_certificate(key_pem, cert.pem)) {
      throw UserError(o.key_file + " is not the private key of " + o.cert_file, "give the key the certificate was made for");
    }
    std::printf("Using certificate %s (ID %s)\n", o.cert_file.c_str(), ci.id.c_str());
    auto d = aws_step(st, ep, "DescribeCertificate", [&] { return iot.describe_certificate(ci.id); });
    if (!d) {
      throw UserError("certificate " + ci.id + " is not registered in AWS IoT (" + st.region + ")",
                      "register it: aws iot register-certificate-without-ca --certificate-pem file://" + o.cert_file +
                          " --status ACTIVE");
    }
    cert.id = ci.id;
    cert.arn = d->value("certificateDescription", Json::object()).value("certificateArn", "");
  } else {
    std::printf("Generating %s private key\n", key_type == aws::KeyType::kRsa2048 ? "RSA" : "ECDSA");
    aws::KeyPair key = aws::generate_key(key_type);
    key_pem = key.private_key_pem;
    std::printf("Generating certificate request, CN: %s\n", dev_id.c_str());
    std::string csr = aws::make_csr(key, dev_id);
    std::printf("Asking AWS for a certificate...\n");
    std::fflush(stdout);
    cert = aws_step(st, ep, "CreateCertificateFromCsr", [&] { return iot.create_certificate_from_csr(csr, true); });
    aws::CertInfo ci = aws::describe_certificate(cert.pem);
    if (!ci.ok || cert.arn.empty()) {
      throw UserError("CreateCertificateFromCsr answered no certificate", "check the endpoint is AWS IoT (or mos-cloud)");
    }
    std::printf("Certificate info:\n");
    std::printf("  Subject : %s\n", ci.subject.c_str());
    std::printf("  Issuer  : %s\n", ci.issuer.c_str());
    std::printf("  Validity: %s - %s\n", ci.not_before.c_str(), ci.not_after.c_str());
    std::printf("  Key algo: %s\n", ci.key_type.c_str());
  }
  std::printf("ID  : %s\n", cert.id.c_str());
  std::printf("ARN : %s\n", cert.arn.c_str());

  // ---- policy and thing ----
  if (o.policy != "-") {
    auto p = aws_step(st, ep, "GetPolicy", [&] { return iot.get_policy(o.policy); });
    if (!p) {
      std::printf("Creating policy \"%s\" (allow iot:* on *)...\n", o.policy.c_str());
      aws_step(st, ep, "CreatePolicy", [&] {
        iot.create_policy(o.policy, kDefaultPolicyDoc);
        return 0;
      });
    }
    std::printf("Attaching policy \"%s\" to the certificate...\n", o.policy.c_str());
    aws_step(st, ep, "AttachPolicy", [&] {
      iot.attach_policy(o.policy, cert.arn);
      return 0;
    });
  }
  if (thing != "-") {
    auto t = aws_step(st, ep, "DescribeThing", [&] { return iot.describe_thing(thing); });
    if (!t) {
      std::printf("Creating thing \"%s\"...\n", thing.c_str());
      aws_step(st, ep, "CreateThing", [&] {
        iot.create_thing(thing);
        return 0;
      });
    }
    std::printf("Attaching the certificate to \"%s\"...\n", thing.c_str());
    aws_step(st, ep, "AttachThingPrincipal", [&] {
      iot.attach_thing_principal(thing, cert.arn);
      return 0;
    });
  }
  std::string mqtt_host = aws_step(st, ep, "DescribeEndpoint", [&] { return iot.describe_endpoint("iot:Data-ATS"); });
  if (mqtt_host.empty()) throw UserError("DescribeEndpoint answered no endpointAddress", "");
  // AWS answers a bare host (port 8883); the local cloud adds its port when it is another.
  const std::string mqtt_server = mqtt_host.find(':') == std::string::npos ? mqtt_host + ":8883" : mqtt_host;
  const bool to_aws = is_aws_host(mqtt_host);
  const std::string ca_pem = to_aws ? std::string(aws::kAmazonRootCas) : local_ca(iot);

  // ---- files on the board ----
  const std::string cert_name = "aws-" + dev_id + ".crt.pem", key_name = "aws-" + dev_id + ".key.pem",
                    ca_name = "ca.pem";
  const std::vector<std::pair<std::string, const std::string*>> files = {
      {cert_name, &cert.pem}, {key_name, &key_pem}, {ca_name, &ca_pem}};
  // Refuse early when the store is plainly too small (Sys.GetInfo fs_free;
  // files we replace give their room back).
  if (info.contains("fs_free") && info["fs_free"].is_number()) {
    uint64_t need = 0, freed = 0;
    for (const auto& f : files) need += f.second->size() + 64;  // + record headers and the name
    try {
      Json ls = s.client.call("FS.ListExt");
      for (const auto& e : ls) {
        for (const auto& f : files) {
          if (e.is_object() && e.value("name", "") == f.first) freed += e.value("size", uint64_t{0});
        }
      }
    } catch (const rpcclient::RpcError&) {
    }
    const uint64_t have = info["fs_free"].get<uint64_t>() + freed;
    if (need > have) {
      throw UserError("the device's file store is full: the certificate, key and CA need about " +
                          std::to_string(need) + " bytes, " + std::to_string(have) +
                          " are free; nothing was uploaded and the config is unchanged",
                      "free room (`mos ls -l`, then `mos rm FILE`) and run `mos aws-iot-setup` again");
    }
  }
  for (const auto& file : files) {
    // Not a structured binding: C++17 lambdas cannot capture those (clang).
    const auto& name = file.first;
    const auto& data = file.second;
    std::printf("Uploading %s (%zu bytes)...\n", name.c_str(), data->size());
    std::fflush(stdout);
    try {
      device_step(port, "FS.Put", [&] {
        put_data(s.client, name, *data);
        return 0;
      });
    } catch (const rpcclient::RpcError& e) {
      throw UserError("uploading " + name + " failed: " + e.message + "; the device config was not changed",
                      "free room (`mos ls -l`, then `mos rm FILE`) and run `mos aws-iot-setup` again");
    }
  }

  // ---- config, saved only now that every file is there ----
  std::map<std::string, Json> set = {{"mqtt.enable", true},
                                     {"mqtt.server", mqtt_server},
                                     {"mqtt.ssl_ca_cert", ca_name},
                                     {"mqtt.ssl_cert", cert_name},
                                     {"mqtt.ssl_key", key_name}};
  const Json* rx = find_key(cfg, kTlsRxKey);
  if (to_aws) {
    std::printf("AWS IoT Core ignores TLS max_fragment_length and sends 16 KB records: "
                "setting the device's TLS input buffer to full size (%s = %lld)\n",
                kTlsRxKey, static_cast<long long>(kTlsFullRecord));
    if (rx == nullptr) {
      std::fprintf(stderr, "Warning: the firmware has no %s key: it may fail to read AWS's 16 KB TLS records; "
                   "rebuild it with a current mos\n", kTlsRxKey);
    } else {
      set[kTlsRxKey] = kTlsFullRecord;
    }
  } else if (rx != nullptr && rx->is_number() && rx->get<int64_t>() != 0) {
    set[kTlsRxKey] = 0;  // the local broker honours max_fragment_length: keep the small buffer
  }
  Json patch = Json::object();
  std::printf("Updating config:\n");
  for (const auto& [k, v] : set) {  // std::map: sorted
    std::printf("  %s = %s\n", k.c_str(), v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
    set_path(&patch, k, v);
  }
  std::printf("Setting new configuration...\n");
  std::fflush(stdout);
  device_step(port, "Config.Set", [&] { return s.client.call("Config.Set", {{"config", patch}}); });
  std::printf("Saving and rebooting...\n");
  std::fflush(stdout);
  device_step(port, "Config.Save", [&] { return s.client.call("Config.Save", {{"reboot", true}}); });
}

Registration reg{"aws-iot-setup", [](CLI::App& app) {
  static Options o;
  auto* c = app.add_subcommand("aws-iot-setup",
                               "make an AWS IoT certificate for the board, attach a policy and a thing, "
                               "upload cert/key/CA and point its MQTT at AWS IoT (or the local cloud)");
  c->fallthrough();
  c->add_option("--aws-region", o.region, "AWS region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region)");
  c->add_option("--aws-iot-policy", o.policy,
                "policy to attach; created as allow iot:* on * if missing; - for none")
      ->capture_default_str();
  c->add_option("--aws-iot-thing", o.thing, "thing to attach the certificate to (default: the device ID; - for none)");
  c->add_option("--cert-type", o.cert_type, "key type: ECDSA (P-256) or RSA (2048 bits)")
      ->capture_default_str()
      ->check(CLI::IsMember({"ECDSA", "RSA"}, CLI::ignore_case));
  c->add_option("--aws-cert-file", o.cert_file, "use this registered certificate (PEM) instead of a new one")
      ->check(CLI::ExistingFile);
  c->add_option("--aws-key-file", o.key_file, "its private key (PEM)")->check(CLI::ExistingFile);
  c->add_option("--aws-profile", o.profile, "profile in ~/.aws/credentials and ~/.aws/config (else AWS_PROFILE)");
  c->add_option("--endpoint-url", o.endpoint_url,
                "AWS IoT API URL, e.g. http://127.0.0.1:4567 for the local cloud "
                "(else AWS_ENDPOINT_URL_IOT, AWS_ENDPOINT_URL)");
  c->callback([] {
    Options opt = o;
    std::transform(opt.cert_type.begin(), opt.cert_type.end(), opt.cert_type.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    run(opt);
  });
}};

}  // namespace
}  // namespace mos::cli
