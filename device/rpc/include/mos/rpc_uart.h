// The RPC channel on the serial console (format: mos/rpc_frame.h).
//
// The UART carries both the console log and RPC frames, so everything the
// device writes to it goes through this channel's transmit queue as whole
// lines: a log line can never land inside a frame, nor a frame inside a log
// line. Install the channel as the log sink to get that:
//
//   rpc::UartChannel uart_rpc(board_uart, dispatcher);
//   mos::set_log_sink(&rpc::UartChannel::log_sink, &uart_rpc);
//   loop.add_poller(&uart_rpc);
//
// A port whose console formats its own lines (timestamps, "\r\n") writes them
// through shared_tx() instead of the raw UART: each write() there is queued
// whole (or refused whole), so it cannot cut into a frame either.
//
// Received lines that are not frames are console input (a person typing in
// `mos console` or picocom): they go to the line handler the firmware sets
// with set_line_handler(); without one, each non-blank line is logged as
// "UART0 input: <line>" so the person sees it arrived. A frame typed by hand
// (`"""{"id":1,"method":"RPC.List"}"""`) is a frame and gets its reply.
#pragma once
#include <cstdint>
#include <string_view>

#include "mos/event_loop.h"
#include "mos/hal.h"
#include "mos/log.h"
#include "mos/rpc.h"
#include "mos/rpc_frame.h"

#ifndef MOS_RPC_UART_TX_BUFFER
#define MOS_RPC_UART_TX_BUFFER (MOS_RPC_MAX_FRAME + 2 * MOS_LOG_LINE_MAX)
#endif

namespace mos::rpc {

class UartChannel : public Channel, public Poller {
 public:
  using ConsoleHandler = void (*)(std::string_view line, void* ctx);

  UartChannel(Uart& uart, Dispatcher& dispatcher, const char* info = "UART0")
      : uart_(uart), dispatcher_(dispatcher), info_(info) {}
  UartChannel(const UartChannel&) = delete;
  UartChannel& operator=(const UartChannel&) = delete;

  // Reads what the UART has, dispatches complete frames, flushes output.
  void poll(uint64_t now_ms) override;

  // Channel: queues `"""json[crc]"""\n`. kNoSpace if the queue cannot take
  // the whole line now (nothing is queued then).
  Status send_frame(std::string_view json, bool with_crc) override;
  const char* info() const override { return info_; }

  // Queues one console line (a newline is appended). Dropped and counted when
  // the queue is full, so logging never blocks or splits a frame.
  void write_log_line(std::string_view line);
  // A mos::LogSink: ctx is the UartChannel.
  static void log_sink(LogLevel level, std::string_view line, void* ctx);
  // Queues bytes exactly as given, all or nothing; false when full (counted
  // in log_dropped).
  bool write_raw(std::string_view text);
  // A Uart for other writers of this line: write() = write_raw(), returning
  // the full size when queued and 0 (would block) when not; read() returns 0.
  Uart& shared_tx() { return shared_; }

  // fn(line, ctx) for each received line that is not a frame (no line end;
  // the view is valid during the call). nullptr restores the default log.
  void set_line_handler(ConsoleHandler fn, void* ctx) {
    console_ = fn;
    console_ctx_ = ctx;
  }
  // The earlier name of set_line_handler.
  void set_console_handler(ConsoleHandler fn, void* ctx) { set_line_handler(fn, ctx); }

  // Writes as much of the queue as the UART accepts now.
  void flush();

  struct Stats {
    uint32_t frames_in = 0;
    uint32_t bad_crc = 0;
    uint32_t bad_meta = 0;
    uint32_t oversize = 0;
    uint32_t console_lines = 0;
    uint32_t log_dropped = 0;
    uint32_t handshakes = 0;
  };
  const Stats& stats() const { return stats_; }
  bool tx_empty() const { return tx_len_ == 0; }

 private:
  class SharedTx : public Uart {
   public:
    explicit SharedTx(UartChannel& ch) : ch_(ch) {}
    int32_t write(ConstByteSpan data) override;
    int32_t read(ByteSpan) override { return 0; }

   private:
    UartChannel& ch_;
  };

  bool enqueue(std::string_view a, std::string_view b = {});
  void handle_line(std::string_view line);
  void log_input(std::string_view line);

  Uart& uart_;
  Dispatcher& dispatcher_;
  const char* info_;
  ConsoleHandler console_ = nullptr;
  void* console_ctx_ = nullptr;
  LineAssembler<MOS_RPC_MAX_FRAME> rx_;
  char tx_[MOS_RPC_UART_TX_BUFFER];
  size_t tx_len_ = 0;
  bool in_flush_ = false;
  Stats stats_;
  SharedTx shared_{*this};
};

}  // namespace mos::rpc
