// The c_mqtt firmware: the app logic (app.h) on an MQTT connection
// (mqtt_link.h) that starts when Wi-Fi gets an IP, as Mongoose OS's mqtt
// library does. Entry point for the board runtime: mos_app_init (mos/app.h).
#include <cstdio>

#include "c_mqtt/app.h"
#include "c_mqtt/mqtt_link.h"
#include "c_mqtt/tls_buffers.h"
#include "mos/app.h"
#include "mos/log.h"

namespace {

using mos::Status;

class SessionPublisher : public c_mqtt::Publisher {
 public:
  explicit SessionPublisher(mos::mqtt::Session& s) : session_(s) {}
  // QoS 1: a reply survives a reconnect (kept until PUBACK).
  Status publish(std::string_view topic, std::string_view payload) override {
    return session_.publish(topic, mos::as_bytes(payload), 1, false);
  }

 private:
  mos::mqtt::Session& session_;
};

struct TlsMemory {
  mos::ByteSpan in, out;
};

// The TLS record buffers, sized from mqtt.ssl_rx_buf_size (tls_buffers.h):
// read once, at boot, and taken from the runtime's boot memory, which is
// open only while mos_app_init runs. Without them MQTT over TLS does not
// start (MqttLink says so); plain TCP and RPC still work.
TlsMemory take_tls_buffers(mos::app::Context& ctx) {
  c_mqtt::TlsBufferPlan p = c_mqtt::plan_tls_buffers(ctx.config().get_int("mqtt.ssl_rx_buf_size", 0));
  if (p.out_of_range) {
    MOS_LOGE("c_mqtt: mqtt.ssl_rx_buf_size = %lld is out of range 0, %u..%u; using %u; fix it with mos config-set "
             "mqtt.ssl_rx_buf_size=16384 (AWS IoT) or 0", static_cast<long long>(p.configured),
             static_cast<unsigned>(c_mqtt::kTlsRecordMin), static_cast<unsigned>(c_mqtt::kTlsRecordMax),
             p.configured < 0 ? 0u : static_cast<unsigned>(p.record));
  }
  TlsMemory m;
  if (ctx.boot_buffer(p.in_size, alignof(uint32_t), &m.in) != Status::kOk ||
      ctx.boot_buffer(p.out_size, alignof(uint32_t), &m.out) != Status::kOk) {
    MOS_LOGE("c_mqtt: no boot memory for %u + %u bytes of TLS buffers (raise MOS_BOOT_ARENA_BYTES)",
             static_cast<unsigned>(p.in_size), static_cast<unsigned>(p.out_size));
    return TlsMemory{};
  }
  return m;
}

class Firmware {
 public:
  Firmware(mos::app::Context& ctx, mos::Transport& tcp, TlsMemory tls)
      : ctx_(ctx),
        link_(tcp, ctx.clock(), ctx.random(), ctx.wall_clock(), tls.in, tls.out),
        publisher_(link_.session()),
        app_(ctx.loop(), ctx.gpio(), publisher_) {}

  Status init() {
    const auto& cfg = ctx_.config();
    std::string_view pub = cfg.get_string("mqtt.pub"), sub = cfg.get_string("mqtt.sub");
    // mos.yml's defaults, in case the config schema lacks the app's keys.
    if (pub.empty()) pub = "/response";
    if (sub.empty()) sub = "/request";
    if (app_.set_topics(pub, sub) != Status::kOk) {
      MOS_LOGE("c_mqtt: mqtt.pub / mqtt.sub must be 1..%d characters", C_MQTT_MAX_TOPIC - 1);
      return Status::kInvalidArg;
    }
    if (ctx_.loop().add_poller(&link_.session()) != Status::kOk) return Status::kNoSpace;
    ctx_.on_network(&Firmware::on_network, this);
    if (ctx_.network_up()) on_network(true);
    MOS_LOGI("c_mqtt: commands on %s, replies on %s", app_.subscription().data(),
             app_.publish_topic().data());
    return Status::kOk;
  }

 private:
  static void on_network(bool up, void* self) { static_cast<Firmware*>(self)->on_network(up); }
  void on_network(bool up) {
    if (!up) return;  // the session notices the broken link and backs off
    if (started_) return;
    const auto& cfg = ctx_.config();
    if (!cfg.get_bool("mqtt.enable", false)) {
      MOS_LOGI("c_mqtt: mqtt.enable is false; set it with mos config-set mqtt.enable=true");
      return;
    }
    c_mqtt::MqttSettings s;
    s.server = cfg.get_string("mqtt.server");
    s.client_id = cfg.get_string("mqtt.client_id");
    if (s.client_id.empty()) s.client_id = ctx_.device_id();  // Mongoose OS: device.id
    s.user = cfg.get_string("mqtt.user");
    s.pass = cfg.get_string("mqtt.pass");
    s.will_topic = cfg.get_string("mqtt.will_topic");
    s.will_message = cfg.get_string("mqtt.will_message");
    s.clean_session = cfg.get_bool("mqtt.clean_session", true);
    s.keep_alive_s = clamp(cfg.get_int("mqtt.keep_alive", 60), 0, 65535);
    s.reconnect_timeout_min_s = clamp(cfg.get_int("mqtt.reconnect_timeout_min", 2), 1, 86400);
    s.reconnect_timeout_max_s = clamp(cfg.get_int("mqtt.reconnect_timeout_max", 60), 1, 86400);
    s.ssl_ca_cert = cfg.get_string("mqtt.ssl_ca_cert");
    s.ssl_cert = cfg.get_string("mqtt.ssl_cert");
    s.ssl_key = cfg.get_string("mqtt.ssl_key");
    s.ssl_cipher_suites = cfg.get_string("mqtt.ssl_cipher_suites");
    if (s.server.empty()) {
      MOS_LOGE("c_mqtt: mqtt.server is empty; e.g. mos config-set mqtt.server=broker.local:8883");
      return;
    }
    if (link_.start(s, &mos_app_read_file, &ctx_, &Firmware::on_mqtt, this) == Status::kOk) {
      started_ = true;
    }
  }

  static uint32_t clamp(int64_t v, int64_t lo, int64_t hi) {
    return static_cast<uint32_t>(v < lo ? lo : v > hi ? hi : v);
  }

  static void on_mqtt(const mos::mqtt::Event& e, void* self) {
    static_cast<Firmware*>(self)->on_mqtt(e);
  }
  void on_mqtt(const mos::mqtt::Event& e) {
    switch (e.type) {
      case mos::mqtt::EventType::kConnected:
        // Listed once, re-sent by the session on every CONNACK.
        if (link_.session().subscribe(app_.subscription(), 1) != Status::kOk) {
          MOS_LOGE("c_mqtt: cannot subscribe to %s", app_.subscription().data());
        }
        break;
      case mos::mqtt::EventType::kSubscribed:
        if (e.subscribed.granted_qos == 0x80) {
          MOS_LOGE("c_mqtt: the broker refused the subscription to %.*s (check its ACL or IoT policy)",
                   static_cast<int>(e.subscribed.filter.size()), e.subscribed.filter.data());
        } else {
          MOS_LOGI("c_mqtt: subscribed to %.*s", static_cast<int>(e.subscribed.filter.size()),
                   e.subscribed.filter.data());
        }
        break;
      case mos::mqtt::EventType::kMessage:
        app_.on_message(e.message.topic, mos::as_string(e.message.payload));
        break;
      case mos::mqtt::EventType::kDisconnected:
      case mos::mqtt::EventType::kPuback:
        break;
    }
  }

  mos::app::Context& ctx_;
  c_mqtt::MqttLink link_;
  SessionPublisher publisher_;
  c_mqtt::App app_;
  bool started_ = false;
};

}  // namespace

Status mos_app_init(mos::app::Context& ctx) {
  mos::Transport* tcp = ctx.tcp();
  if (tcp == nullptr) return Status::kBusy;
  // Static storage: the firmware is sized at link time, but for the TLS
  // record buffers, sized from the config here; a reboot re-runs this in a
  // fresh process.
  static Firmware fw(ctx, *tcp, take_tls_buffers(ctx));
  return fw.init();
}
