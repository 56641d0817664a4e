// Arbitrary bytes as a SIP datagram and as a stream: the parser, the request checks, the typed
// header parsers and the serializer must never misbehave, and what parses must re-serialize to
// something that parses to the same message. The builder, given the parsed parts or the raw
// bytes as a header, must hand out the message the parser reads from what it wrote.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/builder.hpp"
#include "sip/headers.hpp"
#include "sip/message.hpp"

using namespace sb::sip;

namespace {

void checkBuilder(const MessageBuilder& builder) {
  auto copy = builder;
  auto parsed = parseMessage(copy.build());
  copy = builder;
  auto direct = copy.message();
  if (direct.ok() != parsed.ok()) __builtin_trap();
  if (!parsed.ok()) return;
  const Message& a = *direct;
  const Message& b = *parsed;
  bool same = a.bytes() == b.bytes() && a.method() == b.method() &&
              a.methodText() == b.methodText() && a.requestUri() == b.requestUri() &&
              a.version() == b.version() && a.statusCode() == b.statusCode() &&
              a.reasonPhrase() == b.reasonPhrase() && a.body() == b.body() &&
              a.headers().size() == b.headers().size();
  for (std::size_t i = 0; same && i < a.headers().size(); ++i) {
    same = a.headers()[i].id == b.headers()[i].id &&
           a.name(a.headers()[i]) == b.name(b.headers()[i]) &&
           a.value(a.headers()[i]) == b.value(b.headers()[i]);
  }
  if (!same) __builtin_trap();
}

void rebuild(const Message& m) {
  auto b = m.isRequest() ? MessageBuilder::request(m.methodText(), m.requestUri())
                         : MessageBuilder::response(m.statusCode(), m.reasonPhrase());
  for (const auto& h : m.headers()) {
    if (h.id != HeaderId::kContentLength) b.header(m.name(h), m.value(h));
  }
  b.body("application/octet-stream", m.body());
  checkBuilder(b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  std::string_view raw(bytes);
  auto asValue = MessageBuilder::request("OPTIONS", "sip:a@b");
  asValue.header("Subject", raw.substr(0, 256));
  checkBuilder(asValue);
  auto asName = MessageBuilder::response(200);
  asName.header(raw.substr(0, 32), "x");
  checkBuilder(asName);
  auto split = std::min<std::size_t>(raw.size(), 16);
  auto asStartLine = MessageBuilder::request(raw.substr(0, split), raw.substr(split, 64));
  checkBuilder(asStartLine);

  (void)frameStream(bytes);
  auto m = parseMessage(bytes);
  if (!m) return 0;
  rebuild(*m);
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
