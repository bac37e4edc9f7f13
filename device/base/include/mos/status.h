// Status codes shared by the device core. Libraries with richer outcomes (the
// MQTT codec, the JSON reader) define their own enum next to their API.
#pragma once

namespace mos {

enum class [[nodiscard]] Status {
  kOk = 0,
  kNeedMore,      // input is a valid prefix; call again with more bytes
  kMalformed,     // input violates the format; drop it
  kNoSpace,       // a caller-owned buffer or a fixed capacity is too small
  kNotFound,      // no such key, file, method or pin
  kInvalidArg,    // the caller passed something out of range
  kWouldBlock,    // no progress possible now; retry on the next loop turn
  kClosed,        // the peer or the transport closed
  kIoError,       // the hardware or the OS reported a failure
  kCorrupt,       // stored data failed its checksum
  kTimeout,
  kBusy,
};

constexpr const char* to_string(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kNeedMore: return "need more";
    case Status::kMalformed: return "malformed";
    case Status::kNoSpace: return "no space";
    case Status::kNotFound: return "not found";
    case Status::kInvalidArg: return "invalid argument";
    case Status::kWouldBlock: return "would block";
    case Status::kClosed: return "closed";
    case Status::kIoError: return "I/O error";
    case Status::kCorrupt: return "corrupt";
    case Status::kTimeout: return "timeout";
    case Status::kBusy: return "busy";
  }
  return "?";
}

}  // namespace mos
