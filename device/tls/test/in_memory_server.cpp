#include "in_memory_server.h"

#include <algorithm>
#include <cstring>

#include "tls_test_util.h"

namespace mos::tls::testing {

int32_t InMemoryServer::Pipe::write(ConstByteSpan d) {
  tx->insert(tx->end(), d.begin(), d.end());
  return static_cast<int32_t>(d.size());
}

int32_t InMemoryServer::Pipe::read(ByteSpan out) {
  if (rx->empty()) return kWouldBlock;
  size_t n = std::min(out.size(), rx->size());
  std::memcpy(out.data(), rx->data(), n);
  rx->erase(rx->begin(), rx->begin() + static_cast<long>(n));
  return static_cast<int32_t>(n);
}

bool InMemoryServer::start(const CertFiles& server) {
  if (id_.load_pem(read_file(server.cert), read_file(server.key)) != Status::kOk ||
      id_.key_type() != BR_KEYTYPE_EC) {
    return false;
  }
  br_ssl_server_init_full_ec(&sc, id_.chain(), id_.chain_len(), BR_KEYTYPE_EC, &id_.ec_key());
  br_ssl_engine_set_buffer(&sc.eng, buf_, sizeof(buf_), 1);
  pipe_.rx = &s2c;
  pipe_.tx = &c2s;
  return br_ssl_server_reset(&sc) == 1;
}

void InMemoryServer::reset() {
  c2s.clear();
  s2c.clear();
  br_ssl_server_reset(&sc);
}

void InMemoryServer::serve() {
  for (bool moved = true; moved;) {
    moved = false;
    unsigned st = br_ssl_engine_current_state(&sc.eng);
    size_t len = 0;
    if (st & BR_SSL_SENDREC) {
      unsigned char* b = br_ssl_engine_sendrec_buf(&sc.eng, &len);
      s2c.insert(s2c.end(), b, b + len);
      br_ssl_engine_sendrec_ack(&sc.eng, len);
      moved = true;
    } else if ((st & BR_SSL_RECVREC) && !c2s.empty()) {
      unsigned char* b = br_ssl_engine_recvrec_buf(&sc.eng, &len);
      size_t n = std::min(len, c2s.size());
      std::memcpy(b, c2s.data(), n);
      c2s.erase(c2s.begin(), c2s.begin() + static_cast<long>(n));
      br_ssl_engine_recvrec_ack(&sc.eng, n);
      moved = true;
    }
  }
}

size_t InMemoryServer::send(ConstByteSpan data) {
  size_t largest = 0;
  for (size_t i = 0; i < data.size();) {
    size_t len = 0;
    unsigned char* b = br_ssl_engine_sendapp_buf(&sc.eng, &len);
    if (b == nullptr) break;
    size_t k = std::min(len, data.size() - i);
    std::memcpy(b, data.data() + i, k);
    br_ssl_engine_sendapp_ack(&sc.eng, k);
    br_ssl_engine_flush(&sc.eng, 0);
    serve();
    largest = std::max(largest, k);
    i += k;
  }
  return largest;
}

std::string InMemoryServer::take_received() {
  std::string out;
  serve();
  for (;;) {
    size_t len = 0;
    unsigned char* b = br_ssl_engine_recvapp_buf(&sc.eng, &len);
    if (b == nullptr || len == 0) break;
    out.append(reinterpret_cast<char*>(b), len);
    br_ssl_engine_recvapp_ack(&sc.eng, len);
    serve();
  }
  return out;
}

}  // namespace mos::tls::testing
