#include "c_mqtt/mqtt_link.h"

#include <cstring>

#include "mos/log.h"

namespace c_mqtt {

mos::Status parse_server(std::string_view server, std::string_view* host, uint16_t* port) {
  // An IPv6 literal would need [brackets]; mqtt.server names a host or IPv4.
  size_t colon = server.rfind(':');
  *host = server.substr(0, colon);
  *port = 1883;  // MQTT's IANA port without TLS
  if (colon != std::string_view::npos) {
    std::string_view p = server.substr(colon + 1);
    if (p.empty() || p.size() > 5) return mos::Status::kInvalidArg;
    uint32_t v = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return mos::Status::kInvalidArg;
      v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    if (v == 0 || v > 65535) return mos::Status::kInvalidArg;
    *port = static_cast<uint16_t>(v);
  }
  return host->empty() ? mos::Status::kInvalidArg : mos::Status::kOk;
}

namespace {

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// Characters a POSIX shell takes literally in a word.
bool shell_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != '\0' && std::strchr("_-.,:/@%+=", c) != nullptr);
}

}  // namespace

std::string_view refused_hint(std::string_view host, std::string_view client_id, mos::Span<char> buf) {
  if (ends_with(host, ".amazonaws.com") || ends_with(host, ".amazonaws.com.cn"))
    return "; AWS IoT logs why in CloudWatch (log group AWSIotLogsV2; turn logging on with aws iot "
           "set-v2-logging-options)";
  size_t n = 0;
  auto put = [&](std::string_view s) {
    for (char c : s)
      if (n < buf.size()) buf[n++] = c;
  };
  put("; see why: mos cloud denials --client-id ");
  bool quote = client_id.empty();
  for (char c : client_id) quote = quote || !shell_safe(c);
  if (quote) put("'");
  for (char c : client_id) put(c == '\'' ? std::string_view("'\\''") : std::string_view(&c, 1));
  if (quote) put("'");
  return std::string_view(buf.data(), n);
}

void MqttLink::Selector::close() {
  if (t == nullptr) return;
  const char* e = t->last_error();
  if (e != nullptr && e[0] != '\0') MOS_LOGE("mqtt: connection failed: %s", e);
  t->close();
}

MqttLink::MqttLink(mos::Transport& tcp, const mos::Clock& clock, mos::Random& random,
                   const mos::tls::WallClock* wall_clock, mos::ByteSpan tls_in, mos::ByteSpan tls_out)
    : tcp_(tcp),
      wall_clock_(wall_clock),
      random_(random),
      tls_(tcp, tls_in, tls_out),
      session_(selector_, clock, random,
               mos::mqtt::Buffers{mos::ByteSpan(rx_), mos::ByteSpan(tx_), mos::ByteSpan(inflight_)}) {
  selector_.t = &tcp_;
}

namespace {

void copy_to(char* dst, size_t cap, std::string_view s) {
  size_t n = s.size() < cap - 1 ? s.size() : cap - 1;
  if (n > 0) std::memcpy(dst, s.data(), n);  // an empty view may have a null data()
  dst[n] = '\0';
}

}  // namespace

mos::Status MqttLink::load_tls(const MqttSettings& s, std::string_view host, ReadFileFn read_file,
                               void* ctx) {
  size_t len = 0;
  anchors_.clear();
  if (s.ssl_ca_cert.empty()) {
    MOS_LOGE("mqtt: %.*s needs TLS but mqtt.ssl_ca_cert is empty; upload the CA (mos put ca.pem) and "
             "set mqtt.ssl_ca_cert=ca.pem", static_cast<int>(s.server.size()), s.server.data());
    return mos::Status::kInvalidArg;
  }
  mos::Status st = read_file(s.ssl_ca_cert, mos::Span<char>(pem_), &len, ctx);
  if (st != mos::Status::kOk) {
    MOS_LOGE("mqtt: cannot read mqtt.ssl_ca_cert file '%.*s': %s", static_cast<int>(s.ssl_ca_cert.size()),
             s.ssl_ca_cert.data(), mos::to_string(st));
    return st;
  }
  if ((st = anchors_.add_pem(std::string_view(pem_, len))) != mos::Status::kOk) {
    MOS_LOGE("mqtt: mqtt.ssl_ca_cert '%.*s': %s", static_cast<int>(s.ssl_ca_cert.size()),
             s.ssl_ca_cert.data(), anchors_.error());
    return st;
  }
  identity_.clear();
  if (!s.ssl_cert.empty() || !s.ssl_key.empty()) {
    size_t key_len = 0;
    st = read_file(s.ssl_cert, mos::Span<char>(pem_), &len, ctx);
    if (st == mos::Status::kOk) st = read_file(s.ssl_key, mos::Span<char>(pem2_), &key_len, ctx);
    if (st != mos::Status::kOk) {
      MOS_LOGE("mqtt: cannot read mqtt.ssl_cert '%.*s' / mqtt.ssl_key '%.*s': %s",
               static_cast<int>(s.ssl_cert.size()), s.ssl_cert.data(), static_cast<int>(s.ssl_key.size()),
               s.ssl_key.data(), mos::to_string(st));
      return st;
    }
    st = identity_.load_pem(std::string_view(pem_, len), std::string_view(pem2_, key_len));
    std::memset(pem2_, 0, sizeof pem2_);  // the key's PEM text is not kept
    if (st != mos::Status::kOk) {
      MOS_LOGE("mqtt: client certificate/key: %s", identity_.error());
      return st;
    }
  }
  copy_to(ciphers_, sizeof ciphers_, s.ssl_cipher_suites);
  mos::tls::TlsConfig tc;
  tc.anchors = &anchors_;
  tc.identity = identity_.loaded() ? &identity_ : nullptr;
  tc.wall_clock = wall_clock_;
  tc.random = &random_;
  tc.cipher_suites = ciphers_;
  tc.server_name = host;
  // The PEM texts are decoded: their buffer is free until the next start(),
  // which stops the session (returning the scratch) before reading files.
  tc.handshake_scratch = mos::ByteSpan(reinterpret_cast<uint8_t*>(pem_), sizeof pem_);
  if ((st = tls_.configure(tc)) != mos::Status::kOk) {
    MOS_LOGE("mqtt: TLS setup: %s", tls_.last_error());
    return st;
  }
  log_record_sizes();
  return mos::Status::kOk;
}

void MqttLink::log_record_sizes() const {
  // Which of the two ways of living with TLS records this link uses
  // (tls_buffers.h): a buffer for whatever the server sends, or asking the
  // server for small records (RFC 6066 §4), which AWS IoT Core ignores.
  auto in = static_cast<unsigned>(tls_.input_record_limit());
  auto asked = static_cast<unsigned>(tls_.max_fragment());
  if (asked >= mos::tls::kFullRecord) {
    MOS_LOGI("mqtt: TLS input records up to %u bytes (mqtt.ssl_rx_buf_size); max_fragment_length not asked for", in);
  } else if (in > asked) {
    MOS_LOGI("mqtt: TLS input records up to %u bytes (mqtt.ssl_rx_buf_size); asking for %u-byte records "
             "(max_fragment_length)", in, asked);
  } else {
    MOS_LOGI("mqtt: TLS asking for %u-byte records (max_fragment_length); a broker that ignores it, like AWS IoT "
             "Core, needs mqtt.ssl_rx_buf_size=16384", asked);
  }
}

mos::Status MqttLink::start(const MqttSettings& s, ReadFileFn read_file, void* read_ctx,
                            mos::mqtt::EventHandler handler, void* handler_ctx) {
  session_.stop();
  std::string_view host;
  uint16_t port = 0;
  if (parse_server(s.server, &host, &port) != mos::Status::kOk || host.size() > MOS_TLS_MAX_HOST) {
    MOS_LOGE("mqtt: mqtt.server '%.*s' is not host:port; e.g. mos config-set mqtt.server=broker.local:8883",
             static_cast<int>(s.server.size()), s.server.data());
    return mos::Status::kInvalidArg;
  }
  copy_to(host_, sizeof host_, host);
  host = host_;
  copy_to(client_id_, sizeof client_id_, s.client_id);
  use_tls_ = port == 8883 || !s.ssl_ca_cert.empty();
  if (use_tls_) {
    mos::Status st = load_tls(s, host, read_file, read_ctx);
    if (st != mos::Status::kOk) return st;
    selector_.t = &tls_;
  } else {
    selector_.t = &tcp_;
  }
  mqtt_cfg_ = mos::mqtt::Config{};
  mos::mqtt::Config& c = mqtt_cfg_;
  c.host = host;
  c.port = port;
  c.client_id = client_id_;
  copy_to(user_, sizeof user_, s.user);
  copy_to(pass_, sizeof pass_, s.pass);
  copy_to(will_topic_, sizeof will_topic_, s.will_topic);
  copy_to(will_message_, sizeof will_message_, s.will_message);
  c.user = user_;
  c.pass = pass_;
  c.will_topic = will_topic_;
  c.will_message = will_message_;
  c.clean_session = s.clean_session;
  c.keep_alive_s = static_cast<uint16_t>(s.keep_alive_s > 65535 ? 65535 : s.keep_alive_s);
  c.reconnect_timeout_min_s = s.reconnect_timeout_min_s;
  c.reconnect_timeout_max_s = s.reconnect_timeout_max_s;
  c.refused_hint = refused_hint(host, client_id_, mos::Span<char>(refused_hint_));
  mos::Status st = session_.start(mqtt_cfg_, handler, handler_ctx);
  if (st != mos::Status::kOk) {
    MOS_LOGE("mqtt: cannot start the session (%s): check mqtt.client_id, mqtt.keep_alive and "
             "mqtt.reconnect_timeout_min/max", mos::to_string(st));
    return st;
  }
  MOS_LOGI("mqtt: %s to %s:%u as '%s'", use_tls_ ? "TLS" : "plain TCP", host_, port, client_id_);
  return mos::Status::kOk;
}

void MqttLink::stop() { session_.stop(); }

}  // namespace c_mqtt
