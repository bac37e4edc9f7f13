#include "c_mqtt/tls_buffers.h"

namespace c_mqtt {

TlsBufferPlan plan_tls_buffers(int64_t ssl_rx_buf_size) {
  TlsBufferPlan p;
  p.configured = ssl_rx_buf_size;
  int64_t v = ssl_rx_buf_size;
  if (v < 0) {
    p.out_of_range = true;
    v = 0;
  } else if (v > 0 && v < static_cast<int64_t>(kTlsRecordMin)) {
    p.out_of_range = true;
    v = static_cast<int64_t>(kTlsRecordMin);
  } else if (v > static_cast<int64_t>(kTlsRecordMax)) {
    p.out_of_range = true;  // a TLS record never carries more (RFC 5246 §6.2.1)
    v = static_cast<int64_t>(kTlsRecordMax);
  }
  p.record = v == 0 ? C_MQTT_TLS_FRAGMENT : static_cast<size_t>(v);
  p.in_size = mos::tls::input_buffer_size(p.record);
  p.out_size = mos::tls::output_buffer_size(p.record < C_MQTT_TLS_FRAGMENT ? p.record : C_MQTT_TLS_FRAGMENT);
  return p;
}

}  // namespace c_mqtt
