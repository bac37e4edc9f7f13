// A BearSSL TLS 1.2 server in the test's own thread, joined to the client
// under test by two byte queues: full handshakes and application data with
// no sockets, no threads and no timing. The client's lower transport is
// client_side(); the test calls serve() whenever the client may have written.
// Host-only test helper (the one in-memory TLS peer; reuse it, don't copy it).
#pragma once
#include <bearssl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mos/hal.h"
#include "mos/tls.h"

namespace mos::tls::testing {

struct CertFiles;

class InMemoryServer {
 public:
  InMemoryServer() = default;
  InMemoryServer(const InMemoryServer&) = delete;
  InMemoryServer& operator=(const InMemoryServer&) = delete;

  // Loads the server's EC certificate (chain, leaf first) and key from PEM
  // files and gets ready for a client's handshake. False when they do not load.
  bool start(const CertFiles& server);
  // Forgets both queues and restarts the engine, for the client's next connection.
  void reset();
  Transport& client_side() { return pipe_; }

  // Moves records between the server engine and the queues until neither moves.
  void serve();
  // Sends `data` as application data, flushing each record at once; returns
  // the largest record payload used (bounded by a negotiated
  // max_fragment_length unless ignore_max_fragment_length() was called).
  size_t send(ConstByteSpan data);
  // Application data received from the client so far (drained by this call).
  std::string take_received();
  // Records of up to 16384 bytes whatever max_fragment_length the handshake
  // agreed, from the next record on (the one being filled keeps its size): a
  // server that ignores the extension, as AWS IoT Core does. BearSSL's server
  // would honour it, so this sets its engine's outgoing limit back (its
  // buffers hold full records).
  void ignore_max_fragment_length() { sc.eng.max_frag_len = 16384; }

  br_ssl_server_context sc{};
  std::vector<uint8_t> c2s, s2c;  // client to server, server to client

 private:
  struct Pipe : Transport {
    std::vector<uint8_t>* rx = nullptr;
    std::vector<uint8_t>* tx = nullptr;
    Status connect(std::string_view, uint16_t) override { return Status::kOk; }
    int32_t write(ConstByteSpan d) override;
    int32_t read(ByteSpan out) override;
    void close() override {}
    bool connected() const override { return true; }
  };
  Pipe pipe_;
  uint8_t buf_[BR_SSL_BUFSIZE_BIDI] = {};
  ClientIdentityStore<> id_;
};

}  // namespace mos::tls::testing
