#include <cstdio>
#include <cstring>

#include "mos/log.h"
#include "mos/rpc.h"

namespace mos::rpc {

json::Writer& Call::result() {
  if (!started_) {
    started_ = true;
    d_.start_envelope(reply_);
    d_.w_.key("result");
  }
  return d_.w_;
}

void Call::error(int code, std::string_view message) {
  errored_ = true;
  error_code_ = code;
  // Build the error reply now (message may be a temporary); any result
  // written so far is discarded by starting over.
  d_.start_envelope(reply_);
  d_.w_.key("error").begin_object().key("code").int_value(code).key("message").string_value(
      message).end_object();
}

Status Dispatcher::add_handler(std::string_view method, Handler fn, void* ctx) {
  if (method.empty() || fn == nullptr) return Status::kInvalidArg;
  for (size_t i = 0; i < count_; ++i) {
    if (handlers_[i].method == method) return Status::kInvalidArg;
  }
  if (count_ >= MOS_RPC_MAX_HANDLERS) return Status::kNoSpace;
  handlers_[count_++] = Entry{method, fn, ctx};
  return Status::kOk;
}

void Dispatcher::start_envelope(const Reply& to) {
  w_ = json::Writer(Span<char>(out_, sizeof(out_)));
  w_.begin_object();
  if (to.has_id) {
    w_.key("id").int_value(to.id);
  } else if (to.raw_id_len > 0) {
    w_.key("id").raw_value(to.raw_id_json());
  }
  if (!device_id_.empty()) w_.key("src").string_value(device_id_);
  if (to.dst_len > 0) w_.key("dst").raw_value(to.dst_json());
}

Status Dispatcher::finish_and_send(const Reply& to) {
  w_.end_object();
  if (w_.result() != json::Result::kOk) {
    // The handler's result did not fit or was not one JSON value: tell the
    // caller instead of sending a broken frame.
    const bool too_big = w_.result() == json::Result::kNoSpace;
    MOS_LOGE("rpc: reply %s (%u bytes, limit %u)", too_big ? "too large" : "malformed",
             static_cast<unsigned>(w_.size()), static_cast<unsigned>(sizeof(out_)));
    start_envelope(to);
    w_.key("error").begin_object().key("code").int_value(500).key("message").string_value(
        too_big ? "reply too large for one frame; ask for less (e.g. a smaller len)"
                : "handler produced invalid JSON").end_object();
    w_.end_object();
    if (w_.result() != json::Result::kOk) return Status::kNoSpace;
  }
  if (to.channel == nullptr) return Status::kInvalidArg;
  Status s = to.channel->send_frame(w_.view(), to.with_crc);
  if (s != Status::kOk) {
    MOS_LOGW("rpc: %s: reply not sent: %s", to.channel->info(), to_string(s));
  }
  return s;
}

// A request parse_frame() rejected: answer it if we can tell who asked
// (its id), so the caller hears why instead of waiting for a timeout.
void Dispatcher::reject(Channel& ch, std::string_view text, bool had_crc, json::Result why) {
  ++dropped_;
  RequestHead head;
  if (!scan_request_head(text, &head) || head.id.empty() || !head.has_method || building_ ||
      in_handler_) {
    MOS_LOGW("rpc: %s: frame dropped: %s", ch.info(), json::to_string(why));
    return;
  }
  Reply to;
  to.channel = &ch;
  to.with_crc = had_crc;
  json::Token id;
  id.type = head.id.front() == '"' ? json::Type::kString : json::Type::kNumber;
  id.text = head.id;
  bool int_id = id.type == json::Type::kNumber && json::as_int64(id, &to.id) == json::Result::kOk;
  if (int_id) {
    to.has_id = true;
  } else if (head.id.size() <= sizeof(to.raw_id)) {
    std::memcpy(to.raw_id, head.id.data(), head.id.size());
    to.raw_id_len = static_cast<uint8_t>(head.id.size());
  } else {
    MOS_LOGW("rpc: %s: frame dropped: %s (id too long to answer)", ch.info(), json::to_string(why));
    return;
  }
  if (!head.src.empty() && head.src.size() <= sizeof(to.dst)) {
    std::memcpy(to.dst, head.src.data(), head.src.size());
    to.dst_len = static_cast<uint8_t>(head.src.size());
  }
  char msg[128];
  if (why == json::Result::kTooDeep) {
    std::snprintf(msg, sizeof(msg), "request nested deeper than %d levels; send flatter args",
                  MOS_JSON_MAX_DEPTH);
  } else if (!int_id) {
    std::snprintf(msg, sizeof(msg), "id must be an integer, e.g. {\"id\":1,\"method\":\"RPC.List\"}");
  } else if (why == json::Result::kWrongType || why == json::Result::kOutOfRange) {
    std::snprintf(msg, sizeof(msg), "bad request: method, src and dst must be strings");
  } else {
    std::snprintf(msg, sizeof(msg), "bad request: %s", json::to_string(why));
  }
  MOS_LOGW("rpc: %s: bad request answered: %s", ch.info(), msg);
  (void)send_error(to, 400, msg);
}

void Dispatcher::handle_frame(Channel& ch, std::string_view text, bool had_crc) {
  Frame f;
  json::Result r = parse_frame(text, &f);
  if (r != json::Result::kOk) {
    reject(ch, text, had_crc, r);
    return;
  }
  if (f.method.type == json::Type::kInvalid) {
    // A response or error to a request we never send; nothing to do.
    ++dropped_;
    MOS_LOGD("rpc: %s: frame without method ignored", ch.info());
    return;
  }
  if (f.dst.is_string() && !device_id_.empty() && !json::string_equals(f.dst, "") &&
      !json::string_equals(f.dst, device_id_)) {
    ++dropped_;
    MOS_LOGD("rpc: %s: frame for another device ignored", ch.info());
    return;
  }
  if (building_) {
    // A deferred reply is half built; a handler cannot run now.
    ++dropped_;
    MOS_LOGW("rpc: %s: busy, request dropped", ch.info());
    return;
  }
  Reply to;
  to.channel = &ch;
  to.has_id = f.has_id;
  to.id = f.id;
  to.with_crc = had_crc;
  if (f.src.is_string()) {
    if (f.src.text.size() > sizeof(to.dst)) {
      ++dropped_;
      MOS_LOGW("rpc: %s: src longer than %u bytes, request dropped", ch.info(),
               static_cast<unsigned>(sizeof(to.dst)));
      return;
    }
    std::memcpy(to.dst, f.src.text.data(), f.src.text.size());
    to.dst_len = static_cast<uint8_t>(f.src.text.size());
  }

  const Entry* entry = nullptr;
  for (size_t i = 0; i < count_; ++i) {
    if (json::string_equals(f.method, handlers_[i].method)) {
      entry = &handlers_[i];
      break;
    }
  }
  if (entry == nullptr) {
    char name[48];
    char msg[sizeof(name) + 64];  // the longest name fits: no truncation
    if (json::as_string(f.method, name) != json::Result::kOk) std::strcpy(name, "?");
    std::snprintf(msg, sizeof(msg), "No handler for %s; `mos call RPC.List` shows the methods", name);
    (void)send_error(to, 404, msg);
    return;
  }
  Call call(*this, f.method, f.params, to);
  in_handler_ = true;
  entry->fn(call, entry->ctx);
  in_handler_ = false;
  if (call.deferred_ && !call.errored_) return;
  if (!call.started_ && !call.errored_) start_envelope(to);
  (void)finish_and_send(to);
}

json::Writer* Dispatcher::begin_reply(const Reply& to) {
  if (building_ || in_handler_) return nullptr;  // the one reply buffer is in use
  building_ = true;
  building_to_ = to;
  start_envelope(to);
  w_.key("result");
  return &w_;
}

Status Dispatcher::end_reply() {
  if (!building_) return Status::kInvalidArg;
  building_ = false;
  return finish_and_send(building_to_);
}

Status Dispatcher::send_error(const Reply& to, int code, std::string_view message) {
  if (building_ || in_handler_) return Status::kBusy;
  start_envelope(to);
  w_.key("error").begin_object().key("code").int_value(code).key("message").string_value(
      message).end_object();
  return finish_and_send(to);
}

}  // namespace mos::rpc
