// Compile-time limits of the device core, in one place (STYLE.md §10).
// An app or port may override any of them with -D before this header.
#pragma once
#include <cstddef>

#ifndef MOS_JSON_MAX_DEPTH
#define MOS_JSON_MAX_DEPTH 16          // nesting limit of the relaxed JSON reader
#endif
#ifndef MOS_MQTT_MAX_PACKET
#define MOS_MQTT_MAX_PACKET 1024       // MQTT rx buffer: largest packet accepted
#endif
#ifndef MOS_MQTT_MAX_SUBSCRIPTIONS
#define MOS_MQTT_MAX_SUBSCRIPTIONS 4
#endif
#ifndef MOS_MQTT_MAX_INFLIGHT
#define MOS_MQTT_MAX_INFLIGHT 4        // unacknowledged QoS 1 publishes kept for resend
#endif
#ifndef MOS_LOOP_MAX_TIMERS
#define MOS_LOOP_MAX_TIMERS 16
#endif
#ifndef MOS_LOOP_MAX_POLLERS
#define MOS_LOOP_MAX_POLLERS 8
#endif
#ifndef MOS_RPC_MAX_HANDLERS
#define MOS_RPC_MAX_HANDLERS 32
#endif
#ifndef MOS_RPC_MAX_FRAME
#define MOS_RPC_MAX_FRAME 4096         // one RPC frame (line) on the UART
#endif
#ifndef MOS_FS_MAX_FILES
#define MOS_FS_MAX_FILES 32
#endif
#ifndef MOS_FS_MAX_NAME
#define MOS_FS_MAX_NAME 48
#endif
#ifndef MOS_LOG_LINE_MAX
#define MOS_LOG_LINE_MAX 256
#endif
#ifndef MOS_TLS_MAX_ANCHORS
#define MOS_TLS_MAX_ANCHORS 4          // CAs kept from mqtt.ssl_ca_cert
#endif
#ifndef MOS_TLS_ANCHOR_BYTES
#define MOS_TLS_ANCHOR_BYTES 2048      // their DNs + public keys (~300-550 B each)
#endif
#ifndef MOS_TLS_MAX_CHAIN
#define MOS_TLS_MAX_CHAIN 3            // certificates in mqtt.ssl_cert
#endif
#ifndef MOS_TLS_IDENTITY_BYTES
#define MOS_TLS_IDENTITY_BYTES 4096    // client chain DER + private key
#endif
#ifndef MOS_TLS_MAX_SUITES
#define MOS_TLS_MAX_SUITES 48          // entries of mqtt.ssl_cipher_suites
#endif
#ifndef MOS_TLS_MAX_HOST
#define MOS_TLS_MAX_HOST 253           // server name (RFC 1035 §2.3.4)
#endif
#ifndef MOS_BOOT_ARENA_BYTES
// The region a port's runtime hands out during mos_app_init() only
// (mos::BootArena, mos::app::Context::boot_buffer), for buffers an app sizes
// from its config at boot. Sized for the c_mqtt firmware's largest TLS
// configuration, mqtt.ssl_rx_buf_size=16384 (what AWS IoT Core needs: it
// ignores max_fragment_length): a 16 KB input record buffer (16384 + 325 =
// 16709 bytes, BR_SSL_BUFSIZE_INPUT) and a 2 KB output one (2048 + 85 = 2133),
// 18842 bytes, rounded up to 19 KB. RAM budget: an ESP8266 has about 80 KB of
// data RAM for the SDK, Wi-Fi and the firmware; besides this region, c_mqtt's
// MQTT link takes 24 KB on a Cortex-M4 (TLS and MQTT contexts, CA and client
// credentials, a 6 KB PEM / X.509 scratch), the runtime its config, file
// store and RPC buffers. With the small default (mqtt.ssl_rx_buf_size=0:
// 2048-byte records asked for with max_fragment_length) the app takes 4506
// bytes and the rest stays unused, since nothing is allocated after init. A
// firmware that needs less sets it lower (-DMOS_BOOT_ARENA_BYTES=...).
#define MOS_BOOT_ARENA_BYTES 19456
#endif
