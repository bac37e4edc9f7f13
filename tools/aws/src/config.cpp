// See config.h.
#include "mos/aws/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "mos/aws/ini.h"

namespace mos::aws {
namespace {

std::optional<std::string> nonempty(const EnvFn& env, const char* name) {
  auto v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

std::string expand_home(const std::string& path, const EnvFn& env) {
  if (path.size() >= 1 && path[0] == '~' && (path.size() == 1 || path[1] == '/')) {
    return env("HOME").value_or("") + path.substr(1);
  }
  return path;
}

// A missing file is no error (the CLI treats it as empty); a malformed one is.
Ini load(const std::string& path) {
  Ini ini;
  std::ifstream f(path, std::ios::binary);
  if (!f) return ini;
  std::stringstream ss;
  ss << f.rdbuf();
  IniResult r = parse_ini(ss.str(), &ini);
  if (!r.ok) {
    throw ConfigError(path + ":" + std::to_string(r.error_line) + ": " + r.error,
                      "fix that line (the format is the AWS CLI's: `aws configure` writes it)");
  }
  return ini;
}

const IniSection* find(const Ini& ini, const std::string& name) {
  auto it = ini.find(name);
  return it == ini.end() ? nullptr : &it->second;
}

std::string get(const IniSection* s, const char* key) {
  if (s == nullptr) return "";
  auto it = s->find(key);
  return it == s->end() ? "" : it->second;
}

std::optional<sigv4::Credentials> creds_from(const IniSection* s) {
  std::string id = get(s, "aws_access_key_id"), secret = get(s, "aws_secret_access_key");
  if (id.empty() || secret.empty()) return std::nullopt;
  return sigv4::Credentials{id, secret, get(s, "aws_session_token")};
}

}  // namespace

EnvFn process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Settings resolve(const Overrides& o, const EnvFn& env) {
  Settings s;
  s.credentials_file = expand_home(nonempty(env, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"), env);
  s.config_file = expand_home(nonempty(env, "AWS_CONFIG_FILE").value_or("~/.aws/config"), env);
  const bool explicit_profile = !o.profile.empty();
  s.profile = explicit_profile ? o.profile : nonempty(env, "AWS_PROFILE").value_or("default");

  const Ini creds_ini = load(s.credentials_file);
  const Ini config_ini = load(s.config_file);
  const IniSection* cred_sec = find(creds_ini, s.profile);
  // The config file names non-default profiles "[profile NAME]"; "[default]"
  // (and, as botocore accepts, "[profile default]") for the default one.
  const IniSection* conf_sec = find(config_ini, "profile " + s.profile);
  if (conf_sec == nullptr && s.profile == "default") conf_sec = find(config_ini, "default");
  if (explicit_profile && cred_sec == nullptr && conf_sec == nullptr) {
    throw ConfigError("AWS profile \"" + s.profile + "\" is in neither " + s.credentials_file + " nor " +
                          s.config_file,
                      "create it with `aws configure --profile " + s.profile + "`, or drop --aws-profile");
  }

  // Credentials. An explicit --aws-profile beats the environment (as the
  // CLI's --profile does); AWS_PROFILE does not.
  auto env_id = nonempty(env, "AWS_ACCESS_KEY_ID"), env_secret = nonempty(env, "AWS_SECRET_ACCESS_KEY");
  if (!explicit_profile && env_id && env_secret) {
    s.credentials = sigv4::Credentials{*env_id, *env_secret, nonempty(env, "AWS_SESSION_TOKEN").value_or("")};
    s.credentials_source = "the environment (AWS_ACCESS_KEY_ID)";
  } else if (auto c = creds_from(cred_sec)) {
    s.credentials = c;
    s.credentials_source = "profile " + s.profile + " in " + s.credentials_file;
  } else if (auto c2 = creds_from(conf_sec)) {
    s.credentials = c2;
    s.credentials_source = "profile " + s.profile + " in " + s.config_file;
  }

  // Region.
  if (!o.region.empty()) {
    s.region = o.region, s.region_source = "--aws-region";
  } else if (auto r = nonempty(env, "AWS_REGION")) {
    s.region = *r, s.region_source = "AWS_REGION";
  } else if (auto r2 = nonempty(env, "AWS_DEFAULT_REGION")) {
    s.region = *r2, s.region_source = "AWS_DEFAULT_REGION";
  } else if (std::string r3 = get(conf_sec, "region"); !r3.empty()) {
    s.region = r3, s.region_source = "profile " + s.profile + " in " + s.config_file;
  }

  // Endpoint (service-specific first, as the CLI's "endpoint_url" settings).
  if (!o.endpoint_url.empty()) {
    s.endpoint_url = o.endpoint_url;
  } else if (auto e = nonempty(env, "AWS_ENDPOINT_URL_IOT")) {
    s.endpoint_url = *e;
  } else if (auto e2 = nonempty(env, "AWS_ENDPOINT_URL")) {
    s.endpoint_url = *e2;
  } else {
    s.endpoint_url = get(conf_sec, "endpoint_url");
  }

  if (auto ca = nonempty(env, "AWS_CA_BUNDLE")) {
    s.ca_bundle = expand_home(*ca, env);
  } else {
    s.ca_bundle = expand_home(get(conf_sec, "ca_bundle"), env);
  }
  return s;
}

std::string where_credentials_are_looked_for(const Settings& s) {
  return "looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then profile \"" + s.profile + "\" in " +
         s.credentials_file + " and " + s.config_file;
}

std::string iot_endpoint(const Settings& s) {
  if (!s.endpoint_url.empty()) return s.endpoint_url;
  return "https://iot." + s.region + ".amazonaws.com";
}

}  // namespace mos::aws
