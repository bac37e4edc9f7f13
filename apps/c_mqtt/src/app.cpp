#include "c_mqtt/app.h"

#include <cstring>

#include "mos/json.h"
#include "mos/log.h"

namespace c_mqtt {
namespace json = mos::json;

App::App(mos::EventLoop& loop, mos::Gpio& gpio, Publisher& publisher)
    : loop_(loop), gpio_(gpio), publisher_(publisher) {}

App::~App() { loop_.cancel_timer(poll_timer_); }

mos::Status App::set_topics(std::string_view pub, std::string_view sub) {
  if (pub.empty() || sub.empty() || pub.size() >= sizeof pub_ || sub.size() >= sizeof sub_) {
    return mos::Status::kInvalidArg;
  }
  std::memcpy(pub_, pub.data(), pub.size());
  pub_[pub.size()] = '\0';
  pub_len_ = pub.size();
  std::memcpy(sub_, sub.data(), sub.size());
  sub_[sub.size()] = '\0';
  sub_len_ = sub.size();
  return mos::Status::kOk;
}

void App::send(std::string_view payload) {
  mos::Status s = publisher_.publish(publish_topic(), payload);
  if (s != mos::Status::kOk) {
    MOS_LOGW("c_mqtt: could not publish %.*s on %s: %s", static_cast<int>(payload.size()),
             payload.data(), pub_, mos::to_string(s));
  }
}

void App::reply_error(const char* message) {
  char buf[160];
  json::Writer w(buf);
  w.begin_object().key("error").begin_object().key("code").int_value(-1).key("message")
      .string_value(message).end_object().end_object();
  if (w.result() == json::Result::kOk) send(w.view());
}

void App::on_message(std::string_view topic, std::string_view payload) {
  if (topic != subscription()) return;
  if (payload.size() > C_MQTT_MAX_PAYLOAD) {
    MOS_LOGW("c_mqtt: refused a %u-byte request (limit %u)", static_cast<unsigned>(payload.size()),
             static_cast<unsigned>(C_MQTT_MAX_PAYLOAD));
    reply_error("request too large");
    return;
  }
  json::Token root;
  json::Result r = json::parse(payload, &root);
  if (r != json::Result::kOk) {
    MOS_LOGW("c_mqtt: request is not JSON (%s): %.*s", json::to_string(r),
             static_cast<int>(payload.size() > 64 ? 64 : payload.size()), payload.data());
    reply_error(r == json::Result::kTooDeep ? "request nested too deeply" : "request is not valid JSON");
    return;
  }
  json::Token cmd;
  if (json::find(root, "gpio", &cmd) == json::Result::kOk) {
    int pin = 0, state = 0;
    if (!cmd.is_object() || json::get_int(cmd.text, "pin", &pin) != json::Result::kOk ||
        json::get_int(cmd.text, "state", &state) != json::Result::kOk) {
      reply_error("gpio needs integer pin and state, e.g. {gpio: {pin: 2, state: 0}}");
      return;
    }
    handle_gpio(pin, state);
    return;
  }
  if (json::find(root, "button", &cmd) == json::Result::kOk) {
    int pin = 0;
    if (!cmd.is_object() || json::get_int(cmd.text, "pin", &pin) != json::Result::kOk) {
      reply_error("button needs an integer pin, e.g. {button: {pin: 0}}");
      return;
    }
    handle_button(pin);
    return;
  }
  MOS_LOGW("c_mqtt: unknown command: %.*s", static_cast<int>(payload.size() > 64 ? 64 : payload.size()),
           payload.data());
  reply_error("unknown command");
}

void App::handle_gpio(int pin, int state) {
  if (state != 0 && state != 1) {
    reply_error("gpio state must be 0 or 1");
    return;
  }
  // Level first, then direction: a pin that becomes an output drives the
  // latched level at once, so the LED never blinks on when told to stay off.
  mos::Status s = gpio_.write(pin, state != 0);
  if (s == mos::Status::kOk) s = gpio_.set_mode(pin, mos::GpioMode::kOutput);
  if (s != mos::Status::kOk) {
    MOS_LOGW("c_mqtt: gpio %d: %s", pin, mos::to_string(s));
    reply_error("no such gpio pin");
    return;
  }
  MOS_LOGI("c_mqtt: gpio %d -> %d", pin, state);
  char buf[80];
  json::Writer w(buf);
  w.begin_object().key("type").string_value("gpio").key("pin").int_value(pin).key("state")
      .int_value(state).end_object();
  if (w.result() == json::Result::kOk) send(w.view());
}

void App::handle_button(int pin) {
  Button* b = nullptr;
  for (size_t i = 0; i < button_count_; ++i) {
    if (buttons_[i].pin == pin) b = &buttons_[i];  // re-arming is harmless
  }
  if (b == nullptr) {
    if (button_count_ == C_MQTT_MAX_BUTTONS) {
      reply_error("too many buttons armed");
      return;
    }
    bool level = true;
    mos::Status s = gpio_.set_mode(pin, mos::GpioMode::kInputPullUp);
    if (s == mos::Status::kOk) s = gpio_.read(pin, &level);
    if (s != mos::Status::kOk) {
      MOS_LOGW("c_mqtt: button %d: %s", pin, mos::to_string(s));
      reply_error("no such gpio pin");
      return;
    }
    b = &buttons_[button_count_++];
    *b = Button{pin, level, level, 0};
    if (poll_timer_ == mos::kNoTimer) {
      poll_timer_ = loop_.add_timer(C_MQTT_BUTTON_POLL_MS, true, &App::poll_buttons, this);
      if (poll_timer_ == mos::kNoTimer) {
        --button_count_;
        reply_error("no timer left for the button");
        return;
      }
    }
  }
  MOS_LOGI("c_mqtt: button armed on gpio %d", pin);
  char buf[64];
  json::Writer w(buf);
  w.begin_object().key("type").string_value("button").key("pin").int_value(pin).end_object();
  if (w.result() == json::Result::kOk) send(w.view());
}

void App::poll_buttons(void* self) { static_cast<App*>(self)->poll_buttons(); }

// Polled debouncing: a new level counts once it has held for
// C_MQTT_DEBOUNCE_MS, so contact bounce (and a glitch shorter than that)
// never makes a click. A click is the debounced released -> pressed edge
// (pull-up input: pressed reads low, as the NodeMCU FLASH button on GPIO0).
void App::poll_buttons() {
  for (size_t i = 0; i < button_count_; ++i) {
    Button& b = buttons_[i];
    bool level = true;
    if (gpio_.read(b.pin, &level) != mos::Status::kOk) continue;
    if (level != b.last_sample) {
      b.last_sample = level;
      b.same_for_ms = 0;
      continue;
    }
    if (level == b.stable_level) continue;
    b.same_for_ms += C_MQTT_BUTTON_POLL_MS;
    if (b.same_for_ms < C_MQTT_DEBOUNCE_MS) continue;
    b.stable_level = level;
    if (!level) {
      ++clicks_;
      MOS_LOGI("c_mqtt: click on gpio %d", b.pin);
      char buf[64];
      json::Writer w(buf);
      w.begin_object().key("type").string_value("click").key("pin").int_value(b.pin).end_object();
      if (w.result() == json::Result::kOk) send(w.view());
    }
  }
}

}  // namespace c_mqtt
