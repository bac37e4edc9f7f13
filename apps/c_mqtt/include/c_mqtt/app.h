// The c_mqtt example's logic (ARCHITECTURE.md "The c_mqtt example"), apart
// from MQTT and the board so it runs in host tests with a fake GPIO and a fake
// publisher:
//
//   on CONNACK            subscribe to mqtt.sub (subscription())
//   {gpio:{pin:N,state:S}}  pin N as output, write S (0/1), reply
//                         {"type":"gpio","pin":N,"state":S} on mqtt.pub
//   {button:{pin:N}}      arm a debounced button (input, pull-up, active low),
//                         reply {"type":"button","pin":N}; each press then
//                         publishes {"type":"click","pin":N}
//   anything else         {"error":{"code":-1,"message":"..."}}: "unknown
//                         command", or why the message was refused
//
// Messages are relaxed JSON as a person types them into a test client
// (unquoted keys, newlines): the seed's `{\n    gpio: {\n ... }\n}` works.
// No allocation: topics are copied into fixed arrays, replies are built in a
// stack buffer.
#pragma once
#include <cstdint>
#include <string_view>

#include "mos/event_loop.h"
#include "mos/hal.h"

#ifndef C_MQTT_MAX_TOPIC
#define C_MQTT_MAX_TOPIC 128  // mqtt.pub / mqtt.sub, bytes incl. NUL
#endif
#ifndef C_MQTT_MAX_BUTTONS
#define C_MQTT_MAX_BUTTONS 4
#endif
#ifndef C_MQTT_BUTTON_POLL_MS
#define C_MQTT_BUTTON_POLL_MS 10
#endif
#ifndef C_MQTT_DEBOUNCE_MS
#define C_MQTT_DEBOUNCE_MS 50  // a level must hold this long to count (contact bounce)
#endif
#ifndef C_MQTT_MAX_PAYLOAD
#define C_MQTT_MAX_PAYLOAD 512  // longer requests are refused without parsing
#endif

namespace c_mqtt {

// Sends one message on a topic (the firmware maps it to an MQTT PUBLISH).
class Publisher {
 public:
  virtual ~Publisher() = default;
  virtual mos::Status publish(std::string_view topic, std::string_view payload) = 0;
};

class App {
 public:
  App(mos::EventLoop& loop, mos::Gpio& gpio, Publisher& publisher);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Copies the topics (config values); kInvalidArg if empty or too long.
  mos::Status set_topics(std::string_view pub, std::string_view sub);
  // The filter to subscribe to on every CONNACK; lives as long as the App.
  std::string_view subscription() const { return std::string_view(sub_, sub_len_); }
  std::string_view publish_topic() const { return std::string_view(pub_, pub_len_); }

  // One message from the broker. Messages on other topics are ignored.
  void on_message(std::string_view topic, std::string_view payload);

  size_t armed_buttons() const { return button_count_; }
  uint32_t clicks() const { return clicks_; }

 private:
  struct Button {
    int pin;
    bool stable_level;     // debounced level (true = released, pull-up)
    bool last_sample;
    uint32_t same_for_ms;  // how long last_sample has held
  };
  void handle_gpio(int pin, int state);
  void handle_button(int pin);
  void reply_error(const char* message);
  void send(std::string_view payload);
  static void poll_buttons(void* self);
  void poll_buttons();

  mos::EventLoop& loop_;
  mos::Gpio& gpio_;
  Publisher& publisher_;
  char pub_[C_MQTT_MAX_TOPIC] = {};
  char sub_[C_MQTT_MAX_TOPIC] = {};
  size_t pub_len_ = 0;
  size_t sub_len_ = 0;
  Button buttons_[C_MQTT_MAX_BUTTONS] = {};
  size_t button_count_ = 0;
  mos::TimerId poll_timer_ = mos::kNoTimer;
  uint32_t clicks_ = 0;
};

}  // namespace c_mqtt
