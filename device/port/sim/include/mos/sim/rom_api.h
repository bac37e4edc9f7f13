/* The virtual chip's ROM API: the one interface between the board (the chip:
 * flash, UART0, GPIO, Wi-Fi radio, timers, reset) and the firmware that the
 * ROM found in flash and started. A C table of functions, as a mask ROM
 * exposes its API, so that firmware and board are built apart and still fit:
 *
 *   - The firmware image header names the API major and minor it was built
 *     against (mos/sim/fw_image.h). The ROM boots it only when the majors are
 *     equal and its own minor is at least the firmware's: minors only append
 *     functions at the end of the table, so a firmware built against 1.0
 *     runs on a 1.3 board, while a firmware that needs 1.3 is refused by a
 *     1.0 board with a message naming both versions.
 *   - `size` is sizeof the table the board fills: a firmware may also test
 *     `size` before calling a function appended after its own minor.
 *
 * The firmware is a shared object with one exported entry point,
 * mos_firmware_entry(). It reaches the hardware through nothing else: no
 * sockets, files or clocks of the host (the build checks its imports).
 * Everything here is non-blocking except idle(), which is where the chip
 * sleeps until something happens (the firmware's event loop waits in it).
 *
 * Results: 0 = ok, < 0 = failure (MOS_ROM_E*); byte counts are >= 0. */
#ifndef MOS_SIM_ROM_API_H_
#define MOS_SIM_ROM_API_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOS_ROM_API_MAJOR 1
#define MOS_ROM_API_MINOR 0

#define MOS_ROM_OK 0
#define MOS_ROM_EINVAL (-1)   /* bad argument (pin, address, handle) */
#define MOS_ROM_EIO (-2)      /* the hardware failed (flash write, socket) */
#define MOS_ROM_ECLOSED (-3)  /* peer closed / network down */
#define MOS_ROM_EAGAIN (-4)   /* nothing now; try again after idle() */
#define MOS_ROM_ENOSPC (-5)   /* out of sockets / buffer too small */

/* What the chip knows about itself and the image it booted. Strings are
 * NUL-terminated and live as long as the board runs. */
typedef struct mos_chip_info {
  uint8_t mac[6];
  uint32_t flash_size;
  uint32_t flash_sector_size;
  const char* board_name;  /* `mos sim start --name` */
  const char* chip;        /* "ESP8266-like (mos sim)" */
  const char* fw_id;       /* from the image: hex of its SHA-256, shortened */
  uint32_t boot_count;     /* resets since power on */
  const char* reset_reason; /* "power on", "software reboot", "external (EN)" */
  uint32_t ram_size;       /* the host heap stands in for the chip's RAM */
  uint32_t ram_free;
} mos_chip_info;

typedef struct mos_rom_api {
  uint16_t major;
  uint16_t minor;
  uint32_t size; /* sizeof(mos_rom_api) of the board that filled it */

  /* --- system --------------------------------------------------------- */
  uint64_t (*millis)(void);          /* monotonic, since this boot */
  int64_t (*unix_ms)(void);          /* wall time (the SNTP-synced clock) */
  uint32_t (*random32)(void);        /* hardware RNG */
  void (*chip_info)(mos_chip_info* out);
  /* Sleeps until UART0 has input, a socket is ready, the chip has an event
   * (Wi-Fi, a button) or max_ms passed. The chip serves its own hardware
   * (control socket, Wi-Fi state machine, UART line rate) in here. */
  void (*idle)(uint32_t max_ms);
  /* Resets the chip; does not return. The ROM then boots from flash again. */
  void (*restart)(const char* reason);

  /* --- UART0 (console and RPC), at the emulated line rate -------------- */
  int32_t (*uart_write)(const uint8_t* data, uint32_t len); /* all, or < 0 */
  int32_t (*uart_read)(uint8_t* out, uint32_t len);         /* 0 = nothing */
  /* One console line for the board's log file (console.log); UART0 gets
   * its copy through uart_write, framed by the firmware. */
  void (*console_line)(const char* text, uint32_t len);

  /* --- SPI flash: NOR semantics (mos::Flash) --------------------------- */
  int32_t (*flash_read)(uint32_t addr, uint8_t* out, uint32_t len);
  int32_t (*flash_write)(uint32_t addr, const uint8_t* data, uint32_t len);
  int32_t (*flash_erase)(uint32_t sector_addr);

  /* --- GPIO: mode 0 input, 1 input with pull-up, 2 output -------------- */
  int32_t (*gpio_set_mode)(int32_t pin, int32_t mode);
  int32_t (*gpio_write)(int32_t pin, int32_t level);
  int32_t (*gpio_read)(int32_t pin); /* 0/1, or < 0 */

  /* --- Wi-Fi station --------------------------------------------------- */
  int32_t (*wifi_connect)(const char* ssid, const char* pass);
  void (*wifi_disconnect)(void);
  /* 0 disconnected, 1 connecting, 2 connected, 3 got IP */
  int32_t (*wifi_status)(void);
  const char* (*wifi_ssid)(void);
  const char* (*wifi_ip)(void); /* "" until got IP */

  /* --- TCP over the station's network ---------------------------------- */
  int32_t (*tcp_open)(void); /* a handle >= 0, or MOS_ROM_ENOSPC */
  /* Starts connecting: MOS_ROM_OK, MOS_ROM_EAGAIN (in progress) or < 0. */
  int32_t (*tcp_connect)(int32_t h, const char* host, uint16_t port);
  int32_t (*tcp_send)(int32_t h, const uint8_t* data, uint32_t len); /* 0 = would block */
  int32_t (*tcp_recv)(int32_t h, uint8_t* out, uint32_t len);        /* 0 = would block */
  int32_t (*tcp_connected)(int32_t h);                               /* 1 / 0 */
  void (*tcp_close)(int32_t h);   /* the handle stays valid for connect() */
  const char* (*tcp_error)(int32_t h); /* why the last call failed */
} mos_rom_api;

/* The firmware's entry point, exported by the image's shared object. Runs
 * the firmware until it calls restart(); returns only if the firmware ends
 * (power off: the board's process is asked to stop). */
typedef int (*mos_firmware_entry_fn)(const mos_rom_api* rom);
#define MOS_FIRMWARE_ENTRY_SYMBOL "mos_firmware_entry"

#ifdef __cplusplus
}
#endif

#endif /* MOS_SIM_ROM_API_H_ */
