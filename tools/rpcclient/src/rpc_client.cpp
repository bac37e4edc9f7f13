#include "mos/rpcclient/rpc_client.h"

#include <cstring>
#include <random>
#include <vector>

namespace mos::rpcclient {
namespace {

using Clock = std::chrono::steady_clock;

std::string seconds_text(std::chrono::milliseconds ms) {
  auto c = ms.count();
  if (c % 1000 == 0) return std::to_string(c / 1000) + " s";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(c) / 1000.0);
  return buf;
}

}  // namespace

RpcClient::RpcClient(SerialPort& port, Options options) : port_(port), options_(std::move(options)) {
  // A random first id, so a late reply to an earlier `mos` run on the same
  // port can never be taken for ours.
  std::random_device rd;
  next_id_ = static_cast<int64_t>(rd() % 1000000000u) + 1;
}

Json RpcClient::call(const std::string& method, const Json& args) {
  return call(method, args, options_.timeout);
}

Json RpcClient::call(const std::string& method, const Json& args,
                     std::chrono::milliseconds timeout) {
  const int64_t id = next_id_++;
  Json req = {{"id", id}, {"src", "mos"}, {"method", method}};
  if (!args.is_null()) req["args"] = args;
  std::string json = req.dump();
  // A leading newline ends any half-typed line in the board's input (garbage,
  // an interrupted frame) so our frame starts clean.
  port_.write("\n" + encode_frame(json, options_.crc));

  const auto deadline = Clock::now() + timeout;
  std::vector<StreamItem> items;
  std::string bytes;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    bytes.clear();
    port_.read_some(&bytes, std::min(left, std::chrono::milliseconds(200)));
    items.clear();
    reader_.feed(bytes, &items);
    for (auto& it : items) {
      if (it.kind == StreamItem::Kind::kConsoleLine) {
        if (options_.on_console_line) options_.on_console_line(it.text);
        continue;
      }
      if (it.kind == StreamItem::Kind::kBadFrame) continue;  // CRC mismatch: line noise
      Json reply = Json::parse(it.text, nullptr, /*allow_exceptions=*/false);
      if (!reply.is_object() || !reply.contains("id")) continue;
      const Json& rid = reply["id"];
      if (!rid.is_number_integer() || rid.get<int64_t>() != id) continue;  // not ours
      if (reply.contains("error") && !reply["error"].is_null()) {
        const Json& e = reply["error"];
        int code = e.is_object() && e.contains("code") && e["code"].is_number_integer()
                       ? e["code"].get<int>() : -1;
        std::string msg = e.is_object() && e.contains("message") && e["message"].is_string()
                              ? e["message"].get<std::string>() : e.dump();
        throw RpcError(method, code, msg);
      }
      return reply.contains("result") ? reply["result"] : Json();
    }
  }
  throw RpcTimeout("no answer to " + method + " from " + port_.path() + " in " +
                   seconds_text(timeout) +
                   "\n  -> is the board running? see `mos sim list` (or raise --timeout)");
}

void RpcClient::drain(std::chrono::milliseconds duration) {
  const auto deadline = Clock::now() + duration;
  std::vector<StreamItem> items;
  std::string bytes;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return;
    bytes.clear();
    port_.read_some(&bytes, std::min(left, std::chrono::milliseconds(200)));
    items.clear();
    reader_.feed(bytes, &items);
    for (auto& it : items) {
      if (it.kind == StreamItem::Kind::kConsoleLine && options_.on_console_line) {
        options_.on_console_line(it.text);
      }
    }
  }
}

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    const char* p = static_cast<const char*>(std::memchr(kAlphabet, c, 64));
    if (c == '\0' || p == nullptr) {
      throw std::runtime_error("the board sent invalid base64 data");
    }
    acc = (acc << 6) | static_cast<uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace mos::rpcclient
