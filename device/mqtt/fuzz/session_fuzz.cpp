// libFuzzer target: bytes from a hostile server fed to the session's receive
// path through a fake transport, with the clock moving and the app publishing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "../test/fakes.h"
#include "mos/mqtt/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mos::mqtt;
  if (size < 2) return 0;
  testing::FakeClock clock;
  testing::FakeTransport t(clock);
  testing::FakeRandom rnd;
  static uint8_t rx[256], tx[256], inflight[256];
  Session s(t, clock, rnd, Buffers{rx, tx, inflight});
  Config cfg;
  cfg.host = "fuzz";
  cfg.client_id = "fuzz";
  cfg.keep_alive_s = 5;
  cfg.clean_session = (data[0] & 1) != 0;
  cfg.reconnect_timeout_min_s = 1;
  cfg.reconnect_timeout_max_s = 4;
  t.read_chunk = 1 + (data[1] & 31u);
  t.write_room = (data[0] & 2) != 0 ? 5 : SIZE_MAX;
  struct Ctx {
    Session* s;
    int depth;
  } ctx{&s, 0};
  auto handler = [](const Event& e, void* c) {
    auto* x = static_cast<Ctx*>(c);
    if (e.type == EventType::kConnected) (void)x->s->subscribe("fuzz/#", 1);
    if (e.type == EventType::kMessage && x->depth++ < 4) {
      (void)x->s->publish("echo", e.message.payload.first(64), 1, false);
    }
  };
  (void)s.subscribe("a/+", 0);
  if (s.start(cfg, handler, &ctx) != mos::Status::kOk) abort();
  s.poll(clock.now);
  t.incoming.assign(reinterpret_cast<const char*>(data + 2), size - 2);
  // Every few polls the clock jumps, so keep-alive and back-off paths run.
  for (int i = 0; i < 400 && (!t.incoming.empty() || i < 8); ++i) {
    clock.now += (i % 7 == 0) ? 3000 : 10;
    if (i % 13 == 0) (void)s.publish("out", mos::as_bytes("x"), static_cast<uint8_t>(i & 1), false);
    s.poll(clock.now);
    if (!t.open && !t.incoming.empty()) {
      // Reconnects get the rest of the input.
      std::string rest = t.incoming;
      clock.now += 10000;
      s.poll(clock.now);
      t.incoming = rest;
    }
    if (s.inflight_count() > MOS_MQTT_MAX_INFLIGHT) abort();
  }
  return 0;
}
