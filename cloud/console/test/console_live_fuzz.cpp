// libFuzzer target for the live channel's protocol parser: any frame a
// browser (or anyone with a login) sends to ConsoleSession::on_text, through
// the shared fake channel and fake broker. Checks that nothing throws out,
// every reply is one JSON object with a "type", and that requests reach the
// broker only with the fields the protocol allows (valid filter/topic, QoS
// 0 or 1, payload within AWS's limit).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "console_session.h"
#include "fake_broker.h"
#include "fake_live_channel.h"
#include "mqtt_names.h"

using namespace mos::console;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto ch = std::make_shared<test::FakeLiveChannel>();
  test::FakeBroker broker;
  broker.refuse.insert("secret/#");
  auto tab = std::make_shared<ConsoleSession>(ch, broker, 1);
  std::string in(reinterpret_cast<const char*>(data), size);
  tab->on_text(in);
  broker.deliver("a/b", in, 1, false);  // whatever bytes came in, as a message
  tab->on_close();
  for (const auto& frame : ch->sent()) {
    auto j = nlohmann::json::parse(frame, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) std::abort();
  }
  for (const auto& c : broker.calls()) {
    if (c.op == "subscribe" && (!filter_problem(c.name).empty() || c.qos < 0 || c.qos > 1)) std::abort();
    if (c.op == "publish" && (!topic_problem(c.name).empty() || c.qos < 0 || c.qos > 1 ||
                              !payload_problem(c.payload.size()).empty()))
      std::abort();
  }
  return 0;
}
