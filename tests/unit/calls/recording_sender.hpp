#pragma once
// A SIP sender for call tests: keeps every message the server sends, parsed, to look up later.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/headers.hpp"
#include "sip/message.hpp"
#include "sip/peer.hpp"

namespace sb::calls::test_support {

class RecordingSender final : public sip::Sender {
 public:
  void send(const sip::Peer& to, std::string_view bytes) override {
    sent.push_back({to, *sip::parseMessage(std::string(bytes))});
  }
  struct Sent {
    sip::Peer to;
    sip::Message message;
  };
  // Requests of `method` sent to `port` since `from`, or responses with `status` to `port`.
  std::vector<sip::Message> to(std::uint16_t port, std::string_view method, int status = 0,
                               std::size_t from = 0) const {
    std::vector<sip::Message> out;
    for (std::size_t i = from; i < sent.size(); ++i) {
      const auto& s = sent[i];
      auto cseq = sip::parseCSeq(*s.message.header(sip::HeaderId::kCSeq));
      if (s.to.port == port && s.message.statusCode() == status && cseq->method == method) {
        out.push_back(s.message);
      }
    }
    return out;
  }
  std::vector<Sent> sent;
};

}  // namespace sb::calls::test_support
