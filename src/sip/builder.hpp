#pragma once
// Outgoing SIP messages.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "sip/message.hpp"

namespace sb::sip {

// The standard reason phrase of a status code ("Not Found"); "Unknown" for codes without one.
std::string_view reasonPhrase(int status);

// Writes a message header by header; build() adds Content-Length and the body.
class MessageBuilder {
 public:
  static MessageBuilder request(std::string_view method, std::string_view requestUri);
  static MessageBuilder response(int status, std::string_view reason = {});

  MessageBuilder& header(std::string_view name, std::string_view value);
  MessageBuilder& header(HeaderId id, std::string_view value);
  MessageBuilder& body(std::string_view contentType, std::string_view content);
  // The finished message; the builder is left empty.
  std::string build();
  // The same message as parseMessage(build()) would give it, without reading the bytes back:
  // the builder knows where it put every part. Text the parser would treat differently (a
  // line break inside a value, a name that is no token, a malformed start line, the size
  // limits) is read back by the parser instead, with the same result or error.
  Result<Message> message();

 private:
  MessageBuilder() = default;
  void addHeader(HeaderId id, std::string_view name, std::string_view value);

  std::string out_;
  std::string_view contentType_;
  std::string_view body_;
  // What message() hands over: the start line's parts and every header, as offsets into out_.
  Method method_ = Method::kUnknown;
  int statusCode_ = 0;
  Span methodText_, requestUri_, version_, reason_;
  std::vector<HeaderField> headers_;
  bool readBack_ = false;
};

// A response to `request` with its Via headers, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2).
// `toTag` is added to To when the request's To has no tag yet (dialog-creating responses and
// every final response to an out-of-dialog request).
MessageBuilder responseTo(const Message& request, int status, std::string_view reason = {},
                          std::string_view toTag = {});

// The request's top Via with RFC 3581 received/rport filled in from where it really came from:
// received when the address differs from sent-by (RFC 3261 §18.2.1), rport when asked for.
std::string stampTopVia(std::string_view topVia, std::string_view sourceAddress,
                        std::uint16_t sourcePort);

// The message as it would be sent again: start line, headers as received, body.
std::string serialize(const Message& message);

}  // namespace sb::sip
