// The MQTT connection's TLS record buffers, sized from mqtt.ssl_rx_buf_size
// at boot (Mongoose OS's key; the firmware reads it once, in mos_app_init,
// and takes the bytes from the runtime's boot memory: nothing is allocated
// after init, so a new value takes effect at the next reboot, which
// `mos config-set` and `mos aws-iot-setup` do).
//
//   0          the small default: records of C_MQTT_TLS_FRAGMENT (2048)
//              bytes, asked for with max_fragment_length (RFC 6066 §4). Brokers
//              that honour it (Mosquitto, so the local cloud) need no more.
//   512..16384 an input buffer for records of that many bytes (BearSSL's
//              input buffer is the record plus 325 bytes of header, IV, MAC
//              and padding: mos::tls::input_buffer_size). 16384, a full TLS
//              record (RFC 5246 §6.2.1), is what AWS IoT Core needs: it
//              ignores max_fragment_length. With a full input buffer no
//              max_fragment_length is asked for; below it, BearSSL asks for
//              the largest RFC 6066 value (512, 1024, 2048 or 4096) that fits
//              both buffers (mos::tls::requested_fragment): a value like 3000
//              takes records of up to 3000 bytes from a server that ignores
//              the extension and asks 2048 of one that honours it.
//   otherwise  out of range: the nearest valid value is used and one console
//              line says so; the board keeps booting.
//
// The output buffer holds records of min(record, C_MQTT_TLS_FRAGMENT) bytes:
// what the device sends is small MQTT packets, and a record out never needs
// to be larger than the output buffer, whatever the server may send.
#pragma once
#include <cstddef>
#include <cstdint>

#include "mos/tls.h"

#ifndef C_MQTT_TLS_FRAGMENT
// The record size of the small default, asked for with max_fragment_length.
#define C_MQTT_TLS_FRAGMENT 2048
#endif

namespace c_mqtt {

constexpr size_t kTlsRecordMin = mos::tls::kMinFragment;  // RFC 6066 §4: 2^9
constexpr size_t kTlsRecordMax = mos::tls::kFullRecord;   // RFC 5246 §6.2.1: 2^14

struct TlsBufferPlan {
  int64_t configured = 0;    // mqtt.ssl_rx_buf_size as read
  bool out_of_range = false;  // neither 0 nor 512..16384: `record` is the nearest valid value
  size_t record = 0;          // largest incoming record's plaintext the input buffer takes
  size_t in_size = 0;         // bytes, for mos::tls::TlsTransport
  size_t out_size = 0;
};

TlsBufferPlan plan_tls_buffers(int64_t ssl_rx_buf_size);

// The largest plan must fit the runtime's boot memory (defaults.h).
static_assert(mos::tls::input_buffer_size(kTlsRecordMax) + mos::tls::output_buffer_size(C_MQTT_TLS_FRAGMENT) +
                      2 * alignof(uint32_t) <=
                  MOS_BOOT_ARENA_BYTES,
              "MOS_BOOT_ARENA_BYTES cannot hold the TLS buffers for mqtt.ssl_rx_buf_size=16384");

}  // namespace c_mqtt
