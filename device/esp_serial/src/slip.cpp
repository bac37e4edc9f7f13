#include "mos/slip.h"

namespace mos::slip {

size_t encoded_size(ConstByteSpan payload) {
  size_t n = 2;
  for (uint8_t b : payload) n += (b == kEnd || b == kEsc) ? 2 : 1;
  return n;
}

Status encode(ConstByteSpan payload, ByteSpan out, size_t* written) {
  *written = 0;
  if (out.size() < encoded_size(payload)) return Status::kNoSpace;
  size_t o = 0;
  out[o++] = kEnd;
  for (uint8_t b : payload) {
    if (b == kEnd) {
      out[o++] = kEsc;
      out[o++] = kEscEnd;
    } else if (b == kEsc) {
      out[o++] = kEsc;
      out[o++] = kEscEsc;
    } else {
      out[o++] = b;
    }
  }
  out[o++] = kEnd;
  *written = o;
  return Status::kOk;
}

void Decoder::reset() {
  len_ = 0;
  done_len_ = 0;
  in_frame_ = false;
  escape_ = false;
  overflow_ = false;
  bad_escape_ = false;
}

Status Decoder::push(uint8_t byte) {
  done_len_ = 0;
  if (byte == kEnd) {
    if (!in_frame_) {
      in_frame_ = true;
      return Status::kNeedMore;
    }
    if (len_ == 0 && !overflow_ && !bad_escape_ && !escape_) {
      return Status::kNeedMore;  // C0 C0: an empty frame, or a closing then an opening delimiter
    }
    Status st = Status::kOk;
    if (overflow_) {
      st = Status::kNoSpace;
    } else if (bad_escape_ || escape_) {
      st = Status::kMalformed;  // an escape cut short by the delimiter is bad too
    } else {
      done_len_ = len_;
    }
    len_ = 0;
    in_frame_ = false;
    escape_ = false;
    overflow_ = false;
    bad_escape_ = false;
    return st;
  }
  if (!in_frame_) return Status::kNeedMore;
  uint8_t value = byte;
  if (escape_) {
    escape_ = false;
    if (byte == kEscEnd) {
      value = kEnd;
    } else if (byte == kEscEsc) {
      value = kEsc;
    } else {
      bad_escape_ = true;
      return Status::kNeedMore;
    }
  } else if (byte == kEsc) {
    escape_ = true;
    return Status::kNeedMore;
  }
  if (bad_escape_ || overflow_) return Status::kNeedMore;
  if (len_ >= buf_.size()) {
    overflow_ = true;
    return Status::kNeedMore;
  }
  buf_[len_++] = value;
  return Status::kNeedMore;
}

Status Decoder::feed(ConstByteSpan in, size_t* consumed) {
  *consumed = 0;
  Status st = Status::kNeedMore;
  while (*consumed < in.size()) {
    st = push(in[(*consumed)++]);
    if (st != Status::kNeedMore) break;
  }
  return st;
}

}  // namespace mos::slip
