#pragma once
// SIP messages (RFC 3261 §7, §20, §25): parsed once, zero-copy. A Message owns its bytes and
// refers to the start line, headers and body by offsets, so it can be copied and moved freely.
// Typed header values (URIs, Via, CSeq, ...) are parsed on demand by headers.hpp; From, To and
// the top Via, which every layer reads, are parsed once and kept with the message.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "sip/header_types.hpp"

namespace sb::sip {

enum class Method : std::uint8_t {
  kUnknown,
  kInvite,
  kAck,
  kBye,
  kCancel,
  kOptions,
  kRegister,
  kPrack,
  kUpdate,
  kInfo,
  kRefer,
  kNotify,
  kSubscribe,
  kMessage,
  kPublish,
};

// Exact, case-sensitive match (RFC 3261 §7.1: methods are case-sensitive).
Method methodFromName(std::string_view name);
std::string_view methodName(Method method);

// Headers the stack reads, recognised in long and compact form, case-insensitively.
enum class HeaderId : std::uint8_t {
  kOther,
  kVia,
  kFrom,
  kTo,
  kCallId,
  kCSeq,
  kContact,
  kMaxForwards,
  kContentLength,
  kContentType,
  kContentEncoding,
  kRoute,
  kRecordRoute,
  kExpires,
  kMinExpires,
  kAuthorization,
  kWwwAuthenticate,
  kProxyAuthorization,
  kProxyAuthenticate,
  kSupported,
  kRequire,
  kProxyRequire,
  kUnsupported,
  kAllow,
  kAccept,
  kUserAgent,
  kServer,
  kRSeq,
  kRAck,
  kSessionExpires,
  kMinSe,
  kEvent,
  kReferTo,
  kReferredBy,
  kSubject,
  kDate,
  kCallInfo,
  kAlertInfo,
  kReason,
  kRetryAfter,
  kWarning,
  kReplaces,
  kPAssertedIdentity,
};

HeaderId headerIdFromName(std::string_view name);
// The canonical long name, e.g. "Call-ID"; empty for kOther.
std::string_view headerName(HeaderId id);

// A run of bytes inside a message's buffer.
struct Span {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

struct HeaderField {
  HeaderId id = HeaderId::kOther;
  Span name;
  Span value;  // without surrounding whitespace; folded lines already joined by spaces
};

struct ParseLimits {
  std::size_t maxMessageBytes = 65535;
  std::size_t maxHeaders = 128;
};

class Message {
 public:
  bool isRequest() const { return statusCode_ == 0; }
  bool isResponse() const { return statusCode_ != 0; }

  // Requests.
  Method method() const { return method_; }
  std::string_view methodText() const { return view(methodText_); }
  std::string_view requestUri() const { return view(requestUri_); }
  // Responses.
  int statusCode() const { return statusCode_; }
  std::string_view reasonPhrase() const { return view(reason_); }
  // "SIP/2.0" as sent (any case).
  std::string_view version() const { return view(version_); }

  const std::vector<HeaderField>& headers() const { return headers_; }
  std::string_view name(const HeaderField& h) const { return view(h.name); }
  std::string_view value(const HeaderField& h) const { return view(h.value); }
  // The first value of a header, or nullopt.
  std::optional<std::string_view> header(HeaderId id) const;
  // Every header line of that kind, in order (not split at commas).
  std::vector<std::string_view> headerLines(HeaderId id) const;
  // Every value of a list header: header lines split at top-level commas (not inside quotes or
  // <>), trimmed, empty elements dropped.
  ListItems headerValues(HeaderId id) const;
  // The first of those values (the top Via, say), without splitting the others.
  std::optional<std::string_view> firstValue(HeaderId id) const;
  std::size_t headerCount(HeaderId id) const;
  // An unknown header by name, case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const;

  // From, To and the top Via, parsed when first asked for and then kept: the transaction,
  // dialog and call layers each read them. An absent header is an error like a malformed one.
  // Not for concurrent use: the first call on a message writes the cache.
  const Result<NameAddr>& from() const;
  const Result<NameAddr>& to() const;
  const Result<Via>& topVia() const;
  // The first Contact (an error for "*", which is no address).
  const Result<NameAddr>& contact() const;

  std::string_view body() const { return view(body_); }
  // The message as received, up to the end of its body (trailing datagram bytes excluded).
  std::string_view bytes() const { return std::string_view(buffer_).substr(0, end_); }
  // Heap bytes the buffer holds, which may exceed bytes(): for memory accounting.
  std::size_t bufferCapacity() const { return buffer_.capacity(); }

 private:
  friend Result<Message> parseMessage(std::string bytes, const ParseLimits& limits);
  friend class MessageBuilder;
  std::string_view view(Span s) const {
    return std::string_view(buffer_).substr(s.offset, s.length);
  }

  // From, To and the top Via once parsed, apart from the message so that it stays small to
  // move. They hold views into buffer_: a copy of the message starts without them, and they
  // remember the buffer they were read from, for a move that had to copy a short buffer.
  struct Parsed;
  class ParsedSlot {
   public:
    ParsedSlot();
    ParsedSlot(const ParsedSlot& other);
    ParsedSlot& operator=(const ParsedSlot& other);
    ParsedSlot(ParsedSlot&& other) noexcept;
    ParsedSlot& operator=(ParsedSlot&& other) noexcept;
    ~ParsedSlot();
    Parsed& of(const std::string& buffer);

   private:
    std::unique_ptr<Parsed> parsed_;
  };

  std::string buffer_;
  mutable ParsedSlot parsed_;
  std::uint32_t end_ = 0;
  Method method_ = Method::kUnknown;
  int statusCode_ = 0;
  Span methodText_, requestUri_, version_, reason_, body_;
  std::vector<HeaderField> headers_;
};

// Parses one message. For a datagram `bytes` is the whole datagram: bytes beyond Content-Length
// are ignored (RFC 3261 §18.3) and a missing Content-Length means "the rest". Errors are
// kInvalidArgument with a reason fit for a 400 reason phrase.
Result<Message> parseMessage(std::string bytes, const ParseLimits& limits = {});

// Stream transports (TCP): how long the first message in `buffer` is.
struct Framing {
  enum class Kind { kNeedMore, kComplete, kKeepAlive, kError } kind = Kind::kNeedMore;
  std::size_t length = 0;  // kComplete: bytes of the message; kKeepAlive: CRLFs to skip
  std::string error;
};
Framing frameStream(std::string_view buffer, const ParseLimits& limits = {});

}  // namespace sb::sip
