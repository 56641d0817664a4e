#include "sip/builder.hpp"

#include <cstring>

#include <fmt/format.h>

#include "core/text.hpp"
#include "sip/headers.hpp"
#include "sip/syntax.hpp"

namespace sb::sip {

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Trying";
    case 180:
      return "Ringing";
    case 181:
      return "Call Is Being Forwarded";
    case 182:
      return "Queued";
    case 183:
      return "Session Progress";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Moved Temporarily";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 413:
      return "Request Entity Too Large";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Unsupported URI Scheme";
    case 420:
      return "Bad Extension";
    case 421:
      return "Extension Required";
    case 422:
      return "Session Interval Too Small";
    case 423:
      return "Interval Too Brief";
    case 480:
      return "Temporarily Unavailable";
    case 481:
      return "Call/Transaction Does Not Exist";
    case 482:
      return "Loop Detected";
    case 483:
      return "Too Many Hops";
    case 484:
      return "Address Incomplete";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 488:
      return "Not Acceptable Here";
    case 491:
      return "Request Pending";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Server Time-out";
    case 505:
      return "Version Not Supported";
    case 513:
      return "Message Too Large";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    case 604:
      return "Does Not Exist Anywhere";
    case 606:
      return "Not Acceptable";
    default:
      return "Unknown";
  }
}

namespace {

Span spanAt(std::size_t offset, std::size_t length) {
  return {static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(length)};
}

bool isToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!isTokenChar(c)) return false;
  }
  return true;
}

// A loop rather than find_first_of, which calls memchr once per character of `text`.
bool hasLineBreak(std::string_view text) {
  for (char c : text) {
    if (c == '\r' || c == '\n') return true;
  }
  return false;
}

// How many times `c` occurs in `text`.
std::size_t occurrences(std::string_view text, char c) {
  std::size_t n = 0;
  for (auto rest = text;;) {
    const void* found = std::memchr(rest.data(), c, rest.size());
    if (found == nullptr) return n;
    ++n;
    rest.remove_prefix(static_cast<std::size_t>(static_cast<const char*>(found) - rest.data()) + 1);
  }
}

}  // namespace

MessageBuilder MessageBuilder::request(std::string_view method, std::string_view requestUri) {
  MessageBuilder b;
  b.out_.reserve(1024);
  b.headers_.reserve(16);
  b.out_.append(method).append(" ").append(requestUri).append(" SIP/2.0\r\n");
  b.method_ = methodFromName(method);
  b.methodText_ = spanAt(0, method.size());
  b.requestUri_ = spanAt(method.size() + 1, requestUri.size());
  b.version_ = spanAt(method.size() + 1 + requestUri.size() + 1, 7);
  bool uriReadable = !requestUri.empty();
  for (char c : requestUri)
    uriReadable = uriReadable && static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  b.readBack_ = !isToken(method) || !uriReadable;
  return b;
}

MessageBuilder MessageBuilder::response(int status, std::string_view reason) {
  MessageBuilder b;
  b.out_.reserve(1024);
  b.headers_.reserve(16);
  appendTo(b.out_, "SIP/2.0 ", status, ' ');
  auto phrase = reason.empty() ? reasonPhrase(status) : reason;
  b.statusCode_ = status;
  b.version_ = spanAt(0, 7);
  b.reason_ = spanAt(b.out_.size(), phrase.size());
  b.out_.append(phrase).append("\r\n");
  b.readBack_ = status < 100 || status > 699 || hasLineBreak(phrase);
  return b;
}

void MessageBuilder::addHeader(HeaderId id, std::string_view name, std::string_view value) {
  auto nameAt = out_.size();
  out_.append(name).append(": ");
  auto valueAt = out_.size();
  out_.append(value).append("\r\n");
  if (readBack_) return;
  // A line break inside a value is found by message(), in one pass over all of them.
  if (id == HeaderId::kContentLength || (id == HeaderId::kOther && !isToken(name))) {
    // Content-Length is build()'s to write: one from outside is left to the parser to judge.
    readBack_ = true;
    return;
  }
  // The parser's view of a value leaves out the blanks around it.
  auto trimmed = trimWsp(value);
  auto lead = trimmed.empty() ? 0 : static_cast<std::size_t>(trimmed.data() - value.data());
  headers_.push_back({id, spanAt(nameAt, name.size()), spanAt(valueAt + lead, trimmed.size())});
}

MessageBuilder& MessageBuilder::header(std::string_view name, std::string_view value) {
  addHeader(headerIdFromName(name), name, value);
  return *this;
}

MessageBuilder& MessageBuilder::header(HeaderId id, std::string_view value) {
  addHeader(id, headerName(id), value);
  return *this;
}

MessageBuilder& MessageBuilder::body(std::string_view contentType, std::string_view content) {
  contentType_ = contentType;
  body_ = content;
  return *this;
}

std::string MessageBuilder::build() {
  if (!body_.empty()) header(HeaderId::kContentType, contentType_);
  auto nameAt = out_.size();
  out_.append("Content-Length: ");
  auto valueAt = out_.size();
  appendTo(out_, body_.size());
  headers_.push_back(
      {HeaderId::kContentLength, spanAt(nameAt, 14), spanAt(valueAt, out_.size() - valueAt)});
  out_.append("\r\n\r\n");
  out_.append(body_);
  return std::move(out_);
}

Result<Message> MessageBuilder::message() {
  ParseLimits limits;
  auto bytes = build();
  // The builder wrote one CRLF after the start line and after each header, and one more to
  // end them: any other CR or LF came in with a value, and the parser may read it differently.
  std::string_view head(bytes.data(), bytes.size() - body_.size());
  auto lines = headers_.size() + 2;
  bool ownLineBreaks = occurrences(head, '\n') == lines && occurrences(head, '\r') == lines;
  if (readBack_ || !ownLineBreaks || bytes.size() > limits.maxMessageBytes ||
      headers_.size() > limits.maxHeaders) {
    return parseMessage(std::move(bytes), limits);
  }
  Message m;
  m.buffer_ = std::move(bytes);
  m.method_ = method_;
  m.statusCode_ = statusCode_;
  m.methodText_ = methodText_;
  m.requestUri_ = requestUri_;
  m.version_ = version_;
  m.reason_ = reason_;
  m.headers_ = std::move(headers_);
  m.body_ = spanAt(m.buffer_.size() - body_.size(), body_.size());
  m.end_ = static_cast<std::uint32_t>(m.buffer_.size());
  return m;
}

MessageBuilder responseTo(const Message& request, int status, std::string_view reason,
                          std::string_view toTag) {
  auto b = MessageBuilder::response(status, reason);
  for (const auto& h : request.headers()) {
    if (h.id == HeaderId::kVia) b.header(HeaderId::kVia, request.value(h));
  }
  if (auto from = request.header(HeaderId::kFrom)) b.header(HeaderId::kFrom, *from);
  if (auto to = request.header(HeaderId::kTo)) {
    const auto& parsed = request.to();
    if (!toTag.empty() && status > 100 && parsed && parsed->tag().empty()) {
      b.header(HeaderId::kTo, concat(*to, ";tag=", toTag));
    } else {
      b.header(HeaderId::kTo, *to);
    }
  }
  if (auto callId = request.header(HeaderId::kCallId)) b.header(HeaderId::kCallId, *callId);
  if (auto cseq = request.header(HeaderId::kCSeq)) b.header(HeaderId::kCSeq, *cseq);
  return b;
}

std::string stampTopVia(std::string_view topVia, std::string_view sourceAddress,
                        std::uint16_t sourcePort) {
  auto via = parseVia(topVia);
  if (!via) return std::string(topVia);
  std::string out(trimWsp(topVia));
  // Rebuild the parameters: drop an empty rport and any stale received, then add ours.
  auto semi = out.find(';');
  std::string head = out.substr(0, semi);
  std::string params;
  bool wantsRport = via->rport().has_value();
  for (const auto& p : via->params) {
    if (iequals(p.name, "received") || iequals(p.name, "rport")) continue;
    params += ";";
    params.append(p.name);
    if (p.hasValue) params.append("=").append(p.value);
  }
  std::string host(via->host);
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host != sourceAddress || wantsRport) appendTo(params, ";received=", sourceAddress);
  if (wantsRport) appendTo(params, ";rport=", sourcePort);
  return head + params;
}

std::string serialize(const Message& m) {
  // Sized once, then filled: forwarding a message is on the hot path of every call.
  std::string status = m.isRequest() ? std::string() : std::to_string(m.statusCode());
  std::size_t size = m.isRequest() ? m.methodText().size() + m.requestUri().size() + 11
                                   : 8 + status.size() + 1 + m.reasonPhrase().size() + 2;
  for (const auto& h : m.headers())
    size += h.name.length + h.value.length + 4;
  size += 2 + m.body().size();
  std::string out(size, '\0');
  char* p = out.data();
  auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  if (m.isRequest()) {
    put(m.methodText());
    put(" ");
    put(m.requestUri());
    put(" SIP/2.0\r\n");
  } else {
    put("SIP/2.0 ");
    put(status);
    put(" ");
    put(m.reasonPhrase());
    put("\r\n");
  }
  for (const auto& h : m.headers()) {
    put(m.name(h));
    put(": ");
    put(m.value(h));
    put("\r\n");
  }
  put("\r\n");
  put(m.body());
  return out;
}

}  // namespace sb::sip
