// Where AWS settings come from, in the AWS CLI's order (AWS SDKs and Tools
// Reference Guide, "Standardized credential providers" and "Config file
// settings"):
//   credentials: --aws-profile given: that profile only; else the environment
//     (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]), else
//     the profile AWS_PROFILE or "default": first the credentials file
//     (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials, section [NAME]), then
//     the config file (AWS_CONFIG_FILE, ~/.aws/config, [NAME] for default,
//     [profile NAME] otherwise).
//   region: --aws-region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region.
//   endpoint: --endpoint-url, AWS_ENDPOINT_URL_IOT, AWS_ENDPOINT_URL, the
//     profile's endpoint_url, else https://iot.REGION.amazonaws.com.
//   CA bundle for HTTPS: AWS_CA_BUNDLE, the profile's ca_bundle.
// Host-only; errors throw ConfigError with the file and line.
#pragma once
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "mos/sigv4/sigv4.h"

namespace mos::aws {

// Looks up an environment variable (injectable for tests).
using EnvFn = std::function<std::optional<std::string>(const std::string&)>;
EnvFn process_env();

struct ConfigError : std::runtime_error {
  ConfigError(const std::string& what, const std::string& next)
      : std::runtime_error(what), hint(next) {}
  std::string hint;
};

struct Overrides {  // command-line flags; empty = not given
  std::string profile;
  std::string region;
  std::string endpoint_url;
};

struct Settings {
  std::optional<sigv4::Credentials> credentials;  // nullopt: none found
  std::string credentials_source;                 // "environment", "profile default in /root/.aws/credentials"
  std::string profile;
  std::string region;                             // "" if none found
  std::string region_source;
  std::string endpoint_url;                       // "" = the default AWS endpoint
  std::string ca_bundle;
  std::string credentials_file, config_file;      // the paths looked at
};

Settings resolve(const Overrides& o, const EnvFn& env);

// Where resolve() looked for credentials, and how to give some (for errors).
std::string where_credentials_are_looked_for(const Settings& s);

// https://iot.REGION.amazonaws.com unless an endpoint was configured.
std::string iot_endpoint(const Settings& s);

}  // namespace mos::aws
