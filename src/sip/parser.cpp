#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "sip/message.hpp"
#include "sip/syntax.hpp"

namespace sb::sip {

namespace {

Error bad(std::string reason) {
  return Error::invalid("message", std::move(reason));
}

Span spanOf(std::size_t begin, std::size_t end) {
  return {static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end - begin)};
}

// "SIP/2.0" in any case, or another version of the same shape (answered 505, not 400).
bool isSipVersion(std::string_view v) {
  if (v.size() < 7 || !iequals(v.substr(0, 4), "SIP/")) return false;
  v.remove_prefix(4);
  auto dot = v.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot + 1 == v.size()) return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != dot && !isDigit(v[i])) return false;
  }
  return true;
}

// Content-Length as a decimal number no larger than `max`.
std::optional<std::size_t> parseLength(std::string_view v, std::size_t max) {
  if (v.empty() || v.size() > 10) return std::nullopt;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size() || n > max) return std::nullopt;
  return n;
}

// Joins folded header lines in place: a line break followed by whitespace becomes spaces, so
// every header value is one contiguous run. Returns where the header section ends (the offset
// of the empty line's break) and where the body starts, or nullopt when there is no empty line.
struct HeaderSection {
  std::size_t end;
  std::size_t bodyStart;
};
std::optional<HeaderSection> unfold(std::string& b, std::size_t from) {
  char* data = b.data();
  std::size_t size = b.size();
  for (std::size_t i = from; i < size;) {
    const void* found = std::memchr(data + i, '\n', size - i);
    if (found == nullptr) return std::nullopt;
    i = static_cast<std::size_t>(static_cast<const char*>(found) - data);
    std::size_t next = i + 1;
    if (next < size && isWsp(data[next])) {
      data[i] = ' ';
      if (i > from && data[i - 1] == '\r') data[i - 1] = ' ';
    } else if (next < size && data[next] == '\n') {
      return HeaderSection{next, next + 1};
    } else if (next + 1 < size && data[next] == '\r' && data[next + 1] == '\n') {
      return HeaderSection{next, next + 2};
    }
    i = next;
  }
  return std::nullopt;
}

}  // namespace

Result<Message> parseMessage(std::string bytes, const ParseLimits& limits) {
  if (bytes.size() > limits.maxMessageBytes) return bad("Message Too Large");
  Message m;
  m.buffer_ = std::move(bytes);
  std::string& b = m.buffer_;

  // RFC 3261 §7.5: ignore line breaks before the start line (keep-alives on streams).
  std::size_t pos = 0;
  while (pos < b.size() && (b[pos] == '\r' || b[pos] == '\n'))
    ++pos;
  std::size_t lineBreak = b.find('\n', pos);
  if (lineBreak == std::string::npos) return bad("incomplete start line");
  std::size_t lineEnd = (lineBreak > pos && b[lineBreak - 1] == '\r') ? lineBreak - 1 : lineBreak;
  std::string_view line(b.data() + pos, lineEnd - pos);

  if (line.size() >= 4 && iequals(line.substr(0, 4), "SIP/")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    auto sp = line.find(' ');
    if (sp == std::string_view::npos || !isSipVersion(line.substr(0, sp))) {
      return bad("malformed status line");
    }
    auto code = line.substr(sp + 1, 3);
    bool digits = code.size() == 3 && isDigit(code[0]) && isDigit(code[1]) && isDigit(code[2]);
    std::size_t after = sp + 4;
    if (!digits || (after < line.size() && line[after] != ' ')) return bad("malformed status code");
    int status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (status < 100 || status > 699) return bad("status code out of range");
    m.statusCode_ = status;
    m.version_ = spanOf(pos, pos + sp);
    std::size_t reasonBegin = std::min(pos + after + 1, lineEnd);
    m.reason_ = spanOf(reasonBegin, lineEnd);
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version, single spaces, nothing after.
    auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 == 0) return bad("malformed request line");
    auto method = line.substr(0, sp1);
    for (char c : method) {
      if (!isTokenChar(c)) return bad("malformed method");
    }
    auto sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return bad("malformed request line");
    auto uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
    for (char c : uri) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return bad("malformed Request-URI");
    }
    auto version = line.substr(sp2 + 1);
    if (!isSipVersion(version)) return bad("malformed SIP version in request line");
    m.methodText_ = spanOf(pos, pos + sp1);
    m.requestUri_ = spanOf(pos + sp1 + 1, pos + sp2);
    m.version_ = spanOf(pos + sp2 + 1, lineEnd);
    m.method_ = methodFromName(method);
  }

  std::size_t headersBegin = lineBreak + 1;
  std::optional<HeaderSection> section;
  if (headersBegin < b.size() && (b[headersBegin] == '\n' || b[headersBegin] == '\r')) {
    // No headers at all: the empty line follows the start line.
    std::size_t body = b[headersBegin] == '\n' ? headersBegin + 1 : headersBegin + 2;
    if (b[headersBegin] == '\r' && (headersBegin + 1 >= b.size() || b[headersBegin + 1] != '\n')) {
      return bad("malformed line break");
    }
    section = HeaderSection{headersBegin, body};
  } else if (headersBegin < b.size() && isWsp(b[headersBegin])) {
    return bad("whitespace before the first header");
  } else {
    section = unfold(b, headersBegin);
  }
  if (!section) return bad("no empty line after the headers");

  m.headers_.reserve(24);
  std::size_t contentLengthCount = 0;
  std::optional<std::size_t> contentLength;
  for (std::size_t p = headersBegin; p < section->end;) {
    std::size_t nl = b.find('\n', p);
    std::size_t end = (nl > p && b[nl - 1] == '\r') ? nl - 1 : nl;
    std::string_view hline(b.data() + p, end - p);
    std::size_t nameEnd = 0;
    while (nameEnd < hline.size() && isTokenChar(hline[nameEnd]))
      ++nameEnd;
    if (nameEnd == 0) return bad("malformed header name");
    std::size_t colon = nameEnd;
    while (colon < hline.size() && isWsp(hline[colon]))
      ++colon;
    if (colon == hline.size() || hline[colon] != ':') return bad("header line without a colon");
    std::size_t valueBegin = colon + 1;
    while (valueBegin < hline.size() && isWsp(hline[valueBegin]))
      ++valueBegin;
    std::size_t valueEnd = hline.size();
    while (valueEnd > valueBegin && isWsp(hline[valueEnd - 1]))
      --valueEnd;
    if (std::memchr(hline.data() + valueBegin, '\r', valueEnd - valueBegin) != nullptr) {
      return bad("stray carriage return in a header");
    }
    if (m.headers_.size() == limits.maxHeaders) return bad("too many headers");
    HeaderField field{headerIdFromName(hline.substr(0, nameEnd)), spanOf(p, p + nameEnd),
                      spanOf(p + valueBegin, p + valueEnd)};
    if (field.id == HeaderId::kContentLength) {
      auto n = parseLength(hline.substr(valueBegin, valueEnd - valueBegin), limits.maxMessageBytes);
      if (!n) return bad("malformed Content-Length");
      if (contentLengthCount++ > 0 && contentLength != n)
        return bad("conflicting Content-Length headers");
      contentLength = n;
    }
    m.headers_.push_back(field);
    p = nl + 1;
  }

  std::size_t bodyStart = section->bodyStart;
  std::size_t available = b.size() - bodyStart;
  if (contentLength) {
    if (*contentLength > available) return bad("Content-Length larger than the message");
    m.body_ = spanOf(bodyStart, bodyStart + *contentLength);
  } else {
    m.body_ = spanOf(bodyStart, b.size());
  }
  m.end_ = m.body_.offset + m.body_.length;
  return m;
}

Framing frameStream(std::string_view buffer, const ParseLimits& limits) {
  Framing f;
  std::size_t skip = 0;
  while (skip < buffer.size() && (buffer[skip] == '\r' || buffer[skip] == '\n'))
    ++skip;
  if (skip > 0) {
    f.kind = Framing::Kind::kKeepAlive;
    f.length = skip;
    return f;
  }
  // The end of the header section: an empty line.
  std::size_t headerEnd = std::string_view::npos;
  std::size_t bodyStart = 0;
  for (std::size_t i = buffer.find('\n'); i != std::string_view::npos;
       i = buffer.find('\n', i + 1)) {
    if (i + 1 < buffer.size() && buffer[i + 1] == '\n') {
      headerEnd = i + 1;
      bodyStart = i + 2;
      break;
    }
    if (i + 2 < buffer.size() && buffer[i + 1] == '\r' && buffer[i + 2] == '\n') {
      headerEnd = i + 1;
      bodyStart = i + 3;
      break;
    }
  }
  if (headerEnd == std::string_view::npos) {
    if (buffer.size() > limits.maxMessageBytes) {
      f.kind = Framing::Kind::kError;
      f.error = "Message Too Large";
    }
    return f;
  }
  // Content-Length is mandatory on streams (RFC 3261 §18.3); treat its absence as no body.
  std::optional<std::size_t> length;
  for (std::size_t p = buffer.find('\n') + 1; p < headerEnd;) {
    std::size_t nl = buffer.find('\n', p);
    auto line = buffer.substr(p, nl - p);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    p = nl + 1;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || isWsp(line.empty() ? 'x' : line[0])) continue;
    auto name = trimWsp(line.substr(0, colon));
    if (headerIdFromName(name) != HeaderId::kContentLength) continue;
    // A folded Content-Length is legal but absurd; its digits are on this line in practice.
    auto n = parseLength(trimWsp(line.substr(colon + 1)), limits.maxMessageBytes);
    if (!n || (length && *length != *n)) {
      f.kind = Framing::Kind::kError;
      f.error = "malformed Content-Length";
      return f;
    }
    length = n;
  }
  std::size_t total = bodyStart + length.value_or(0);
  if (total > limits.maxMessageBytes) {
    f.kind = Framing::Kind::kError;
    f.error = "Message Too Large";
    return f;
  }
  if (buffer.size() < total) return f;
  f.kind = Framing::Kind::kComplete;
  f.length = total;
  return f;
}

}  // namespace sb::sip
