// Arbitrary bytes as a SIP datagram and as a stream: the parser, the request checks, the typed
// header parsers and the serializer must never misbehave, and what parses must re-serialize to
// something that parses to the same message.

#include <cstddef>
#include <cstdint>
#include <string>

#include "sip/builder.hpp"
#include "sip/headers.hpp"
#include "sip/message.hpp"

using namespace sb::sip;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)frameStream(bytes);
  auto m = parseMessage(bytes);
  if (!m) return 0;
  if (m->isRequest()) {
    (void)checkRequest(*m);
    (void)parseUri(m->requestUri());
    (void)responseTo(*m, 200, {}, "t1").build();
  } else {
    (void)isWellFormedResponse(*m);
  }
  for (const auto& h : m->headers()) {
    auto v = m->value(h);
    switch (h.id) {
      case HeaderId::kVia:
        for (auto item : splitList(v)) {
          if (parseVia(item)) (void)stampTopVia(item, "192.0.2.1", 5060);
        }
        break;
      case HeaderId::kFrom:
      case HeaderId::kTo:
      case HeaderId::kContact:
      case HeaderId::kRoute:
      case HeaderId::kRecordRoute:
        for (auto item : splitList(v))
          (void)parseNameAddr(item);
        break;
      case HeaderId::kCSeq:
        (void)parseCSeq(v);
        break;
      default:
        (void)parseNumber(v, 0xffffffff);
    }
  }
  auto again = parseMessage(serialize(*m));
  if (!again || again->headers().size() != m->headers().size() || again->body() != m->body()) {
    __builtin_trap();
  }
  return 0;
}
