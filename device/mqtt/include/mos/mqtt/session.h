// An MQTT 3.1.1 client session over a mos::Transport, driven by the event
// loop: connect and CONNECT, keep-alive, subscriptions re-sent on every
// CONNACK, QoS 0/1 publishing with in-flight retransmission, and reconnect
// with jittered exponential back-off. No allocation: the caller owns every
// buffer and the strings a Config points to, for the session's lifetime.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/defaults.h"
#include "mos/event_loop.h"
#include "mos/hal.h"
#include "mos/mqtt/codec.h"

namespace mos::mqtt {

// Run-time settings, named after the mqtt.* config keys.
struct Config {
  std::string_view host;
  uint16_t port = 1883;
  std::string_view client_id;
  std::string_view user;  // empty: none
  std::string_view pass;  // empty: none
  std::string_view will_topic;  // empty: no will
  std::string_view will_message;
  uint8_t will_qos = 0;
  bool will_retain = false;
  bool clean_session = true;
  uint16_t keep_alive_s = 60;
  uint32_t reconnect_timeout_min_s = 2;
  uint32_t reconnect_timeout_max_s = 60;
  uint32_t connect_timeout_s = 10;  // TCP/TLS connect plus CONNACK
  // Appended to the logged line of a CONNACK refusal 4 or 5 (§3.2.2.3: bad
  // user name or password, not authorized): where a person learns why, which
  // only the app knows (the broker's own record, e.g. `mos cloud denials`).
  std::string_view refused_hint;
};

// Caller-owned memory. rx holds one whole incoming packet (its size is the
// largest packet accepted); tx queues outgoing packets; inflight keeps QoS 1
// publishes until their PUBACK (each takes its packet size + 5 bytes).
struct Buffers {
  ByteSpan rx;
  ByteSpan tx;
  ByteSpan inflight;
};

// Storage for Buffers with compile-time sizes (defaults from mos/defaults.h),
// e.g. a static or member `StaticBuffers<> mqtt_mem;` then
// `Session s(transport, clock, random, mqtt_mem.buffers());`.
template <size_t Rx = MOS_MQTT_MAX_PACKET, size_t Tx = MOS_MQTT_MAX_PACKET,
          size_t Inflight = MOS_MQTT_MAX_PACKET>
struct StaticBuffers {
  uint8_t rx[Rx];
  uint8_t tx[Tx];
  uint8_t inflight[Inflight];
  Buffers buffers() { return Buffers{rx, tx, inflight}; }
};

enum class EventType : uint8_t { kConnected, kDisconnected, kMessage, kPuback, kSubscribed };

// The payload of each event is the member named after it.
struct ConnectedEvent {
  bool session_present;
};
struct DisconnectedEvent {
  const char* reason;  // valid during the callback
};
struct MessageEvent {  // views valid during the callback
  std::string_view topic;
  ConstByteSpan payload;
  uint8_t qos;
  bool retain;
  bool dup;
};
struct PubackEvent {
  uint16_t packet_id;
};
struct SubscribedEvent {
  uint16_t packet_id;
  std::string_view filter;
  uint8_t granted_qos;  // kSubackFailure (0x80) when refused
};
struct Event {
  EventType type;
  ConnectedEvent connected;
  DisconnectedEvent disconnected;
  MessageEvent message;
  PubackEvent puback;
  SubscribedEvent subscribed;
};
// The handler may call subscribe(), publish() and stop().
using EventHandler = void (*)(const Event& event, void* ctx);

class Session : public Poller {
 public:
  Session(Transport& transport, const Clock& clock, Random& random, const Buffers& buffers);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Checks and copies the config (its strings are kept as views) and
  // connects on the next poll(). kInvalidArg for a bad field, kNoSpace when
  // the CONNECT packet does not fit the tx buffer, kBusy unless stopped.
  Status start(const Config& config, EventHandler handler, void* ctx);
  // Sends DISCONNECT if connected, closes, and stops reconnecting.
  void stop();

  // Adds a filter to the list sent after every CONNACK (sent at once when
  // connected). Subscribing again to a listed filter only updates its QoS, so
  // the app may subscribe from its kConnected handler. The filter's memory
  // must outlive the session. kNoSpace past MOS_MQTT_MAX_SUBSCRIPTIONS.
  Status subscribe(std::string_view filter, uint8_t qos);
  // QoS 0 needs a connection and tx room (else kClosed / kWouldBlock). QoS 1
  // is kept until PUBACK, sent as soon as connected, and re-sent with DUP
  // after a reconnect when clean_session is false (§4.4); kNoSpace when
  // MOS_MQTT_MAX_INFLIGHT messages or the inflight buffer are used up.
  Status publish(std::string_view topic, ConstByteSpan payload, uint8_t qos, bool retain,
                 uint16_t* packet_id = nullptr);

  void poll(uint64_t now_ms) override;
  bool connected() const { return state_ == State::kConnected; }
  size_t inflight_count() const { return inflight_count_; }

 private:
  enum class State : uint8_t { kStopped, kBackoff, kConnecting, kConnected };
  struct Sub {  // trivial, so the array costs no constructor code
    const char* filter;
    uint16_t len;
    uint16_t packet_id;  // awaiting SUBACK
    uint8_t qos;
    bool sent;  // SUBSCRIBE queued on this connection
    std::string_view view() const { return std::string_view(filter, len); }
  };

  void begin_connect(uint64_t now);
  void drop(const char* reason);
  bool flush();
  bool read_and_process();
  // Returns false to stop processing (no tx room, or the connection ended).
  bool handle(const Packet& p);
  void on_connack(const Connack& c);
  void pump();
  void remove_record(size_t offset);
  bool queue_ack(PacketType type, uint16_t id);
  uint16_t next_packet_id();
  void emit(Event& e);
  ByteSpan tx_free() { return buf_.tx.subspan(tx_len_); }

  Transport& transport_;
  const Clock& clock_;
  Random& random_;
  Buffers buf_;
  size_t rx_len_ = 0;
  size_t tx_len_ = 0;
  size_t inflight_len_ = 0;
  size_t inflight_count_ = 0;
  Config cfg_;
  EventHandler handler_ = nullptr;
  void* ctx_ = nullptr;
  State state_ = State::kStopped;
  uint8_t epoch_ = 0;  // bumped when a connection ends, to notice it from callbacks
  uint16_t last_id_ = 0;
  uint32_t backoff_ms_ = 0;
  uint64_t deadline_ms_ = 0;  // kBackoff: reconnect; kConnecting: give up
  uint64_t last_tx_ms_ = 0;
  uint64_t ping_deadline_ms_ = 0;  // 0: no PINGREQ outstanding
  Sub subs_[MOS_MQTT_MAX_SUBSCRIPTIONS];
  size_t sub_count_ = 0;
  char reason_[80] = {};
};

}  // namespace mos::mqtt
