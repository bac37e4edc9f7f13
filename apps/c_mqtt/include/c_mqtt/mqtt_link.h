// The firmware's MQTT connection, built from the mqtt.* config (the role of
// Mongoose OS's mqtt library): picks plain TCP or TLS, loads the CA bundle,
// client certificate and key from the flash store, and runs a
// mos::mqtt::Session with reconnect back-off.
//
// TLS is used when mqtt.server's port is 8883 or mqtt.ssl_ca_cert is set
// (ARCHITECTURE.md "Config keys"); otherwise plain TCP (the bad-input tests'
// fake broker). The server certificate is always verified when TLS is used;
// SNI and the name check use the host of mqtt.server.
//
// Memory: every buffer is a member sized at compile time, except the TLS
// record buffers, which the caller gives: sized from mqtt.ssl_rx_buf_size at
// boot (tls_buffers.h). No allocation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/hal.h"
#include "mos/mqtt/session.h"
#include "mos/tls.h"

#ifndef C_MQTT_PEM_MAX
#define C_MQTT_PEM_MAX 6144  // largest PEM file read at start (a CA bundle)
#endif

namespace c_mqtt {

// mqtt.* values; views must stay valid until start() returns (copied where kept).
struct MqttSettings {
  std::string_view server;  // "host:port"; no port = 1883
  std::string_view client_id;
  std::string_view user, pass;
  std::string_view will_topic, will_message;
  bool clean_session = true;
  uint32_t keep_alive_s = 60;
  uint32_t reconnect_timeout_min_s = 2;
  uint32_t reconnect_timeout_max_s = 60;
  std::string_view ssl_ca_cert, ssl_cert, ssl_key;  // file names in the flash store
  std::string_view ssl_cipher_suites;
};

// Reads a whole file from the device's flash store into out (*len = size).
// kNotFound when missing, kNoSpace when out is too small.
using ReadFileFn = mos::Status (*)(std::string_view name, mos::Span<char> out, size_t* len, void* ctx);

// Splits "host:port" (a bare host gets 1883). kInvalidArg for an empty host or
// a port outside 1..65535.
mos::Status parse_server(std::string_view server, std::string_view* host, uint16_t* port);

// The text the session appends to a CONNACK 4/5 refusal (Config::refused_hint):
// where this broker says why. AWS IoT (a host under amazonaws.com) writes its
// refusals to CloudWatch Logs; any other broker is taken for the local cloud,
// whose policy plugin records them for `mos cloud denials --client-id ID`
// (ID shell-quoted when it needs it, so the command can be pasted). Returns
// static text, or text written to buf (truncated to fit).
std::string_view refused_hint(std::string_view host, std::string_view client_id, mos::Span<char> buf);

class MqttLink {
 public:
  // tls_in / tls_out: the TLS record buffers (TlsBufferPlan's sizes), kept
  // for the link's lifetime; too small or empty makes start() fail for a
  // TLS server with a line that says so.
  MqttLink(mos::Transport& tcp, const mos::Clock& clock, mos::Random& random,
           const mos::tls::WallClock* wall_clock, mos::ByteSpan tls_in, mos::ByteSpan tls_out);
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  // Configures and starts connecting (call once the network is up). Logs and
  // returns an error for settings a person must fix (missing files, bad PEM).
  mos::Status start(const MqttSettings& s, ReadFileFn read_file, void* read_ctx,
                    mos::mqtt::EventHandler handler, void* handler_ctx);
  void stop();

  mos::mqtt::Session& session() { return session_; }
  bool uses_tls() const { return use_tls_; }
  // The current link for a poll()-based waiter (TLS or plain TCP).
  mos::Transport& transport() { return selector_; }

 private:
  // Forwards to TLS or plain TCP, chosen at start(); logs a failed
  // connection's full reason before the session closes it (the session keeps
  // a short copy only).
  class Selector : public mos::Transport {
   public:
    mos::Transport* t = nullptr;
    mos::Status connect(std::string_view host, uint16_t port) override { return t->connect(host, port); }
    int32_t write(mos::ConstByteSpan d) override { return t->write(d); }
    int32_t read(mos::ByteSpan d) override { return t->read(d); }
    void close() override;
    bool connected() const override { return t != nullptr && t->connected(); }
    const char* last_error() const override { return t ? t->last_error() : ""; }
  };
  mos::Status load_tls(const MqttSettings& s, std::string_view host, ReadFileFn read_file, void* ctx);
  void log_record_sizes() const;

  mos::Transport& tcp_;
  const mos::tls::WallClock* wall_clock_;
  mos::Random& random_;
  mos::tls::TlsTransport tls_;
  mos::tls::TrustAnchorStore<> anchors_;
  mos::tls::ClientIdentityStore<> identity_;
  // PEM text while start() decodes the credentials, then the TLS handshake's
  // X.509 scratch (TlsConfig::handshake_scratch): the two never overlap in time.
  alignas(mos::tls::kHandshakeScratchAlign) char pem_[C_MQTT_PEM_MAX];
  static_assert(C_MQTT_PEM_MAX >= mos::tls::kHandshakeScratchSize, "pem_ doubles as the TLS handshake scratch");
  char pem2_[C_MQTT_PEM_MAX / 2];
  char host_[MOS_TLS_MAX_HOST + 1] = "";
  // The session keeps views of these for its lifetime: copies, because config
  // values change under Config.Set.
  char client_id_[64] = "";
  char user_[64] = "";
  char pass_[128] = "";
  char will_topic_[128] = "";
  char will_message_[256] = "";
  char ciphers_[256] = "";
  // "; see why: mos cloud denials --client-id " and a quoted 63-byte id fit.
  char refused_hint_[128] = "";
  mos::mqtt::Config mqtt_cfg_;  // the session keeps a reference to it
  Selector selector_;
  uint8_t rx_[MOS_MQTT_MAX_PACKET];
  uint8_t tx_[MOS_MQTT_MAX_PACKET];
  uint8_t inflight_[MOS_MQTT_MAX_PACKET];
  mos::mqtt::Session session_;
  bool use_tls_ = false;
};

}  // namespace c_mqtt
