#include "sip/uri.hpp"

#include <charconv>

#include "core/text.hpp"
#include "sip/headers.hpp"
#include "sip/syntax.hpp"

namespace sb::sip {

namespace {

Error bad(std::string_view what) {
  return Error::invalid("uri", std::string(what));
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Which characters each URI part may hold besides %-escapes (RFC 3261 §25.1): unreserved plus
// the part's extra characters. A table, because every From, To and Contact carries a URI.
enum CharClass : std::uint8_t {
  kUser = 1,
  kPassword = 2,
  kParam = 4,
  kHeader = 8,
  kHostName = 16,  // a hostname or IPv4 address: alphanumerics, '-' and '.'
  kUriText = 32,   // anything a URI may hold at all
};

struct UriCharTable {
  std::uint8_t allowed[256] = {};
  constexpr UriCharTable() {
    auto add = [this](std::string_view chars, std::uint8_t classes) {
      for (char c : chars)
        allowed[static_cast<unsigned char>(c)] |= classes;
    };
    constexpr std::uint8_t kAll = kUser | kPassword | kParam | kHeader;
    for (char c = '0'; c <= '9'; ++c)
      allowed[static_cast<unsigned char>(c)] = kAll;
    for (char c = 'a'; c <= 'z'; ++c)
      allowed[static_cast<unsigned char>(c)] = kAll;
    for (char c = 'A'; c <= 'Z'; ++c)
      allowed[static_cast<unsigned char>(c)] = kAll;
    add("-_.!~*'()", kAll);
    add("&=+$,;?/", kUser);
    add("&=+$,", kPassword);
    add("[]/:&+$", kParam);
    add("[]/?:+$=&", kHeader);
    for (int c = '0'; c <= '9'; ++c)
      allowed[c] |= kHostName;
    for (int c = 'a'; c <= 'z'; ++c)
      allowed[c] |= kHostName;
    for (int c = 'A'; c <= 'Z'; ++c)
      allowed[c] |= kHostName;
    add("-.", kHostName);
    for (int c = 0x21; c < 0x7f; ++c) {
      if (c != '<' && c != '>' && c != '"') allowed[c] |= kUriText;
    }
    for (int c = 0x80; c < 0x100; ++c)
      allowed[c] |= kUriText;
  }
};
constexpr UriCharTable kUriChars{};

// Characters of the given class or %-escapes, which must be complete.
bool validChars(std::string_view s, CharClass cls) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (kUriChars.allowed[static_cast<unsigned char>(c)] & cls) continue;
    if (c != '%' || i + 2 >= s.size()) return false;
    if (hexValue(s[i + 1]) < 0 || hexValue(s[i + 2]) < 0) return false;
    i += 2;
  }
  return true;
}

bool validHost(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {
    if (host.size() < 4 || host.back() != ']') return false;
    for (char c : host.substr(1, host.size() - 2)) {
      if (!(isDigit(c) || (asciiLower(c) >= 'a' && asciiLower(c) <= 'f') || c == ':' || c == '.')) {
        return false;
      }
    }
    return true;
  }
  for (char c : host) {
    if (!(kUriChars.allowed[static_cast<unsigned char>(c)] & kHostName)) return false;
  }
  return true;
}

}  // namespace

bool Uri::isSip() const {
  return iequals(scheme, "sip") || iequals(scheme, "sips");
}

std::optional<std::string_view> Uri::param(std::string_view name) const {
  std::string_view rest = params;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    auto item = rest.substr(0, semi);
    auto eq = item.find('=');
    if (iequals(item.substr(0, eq), name)) {
      return eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    }
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

Result<Uri> parseUri(std::string_view text) {
  Uri uri;
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !isAlpha(text[0])) {
    return bad("malformed URI scheme");
  }
  for (char c : text.substr(0, colon)) {
    if (!(isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.')) {
      return bad("malformed URI scheme");
    }
  }
  uri.scheme = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  if (rest.empty()) return bad("empty URI");
  if (!uri.isSip()) {
    for (char c : rest) {
      if (!(kUriChars.allowed[static_cast<unsigned char>(c)] & kUriText)) {
        return bad("invalid character in URI");
      }
    }
    uri.opaque = rest;
    return uri;
  }
  // A SIP URI needs no such pass: each part is checked below against its own characters, all
  // within kUriText.

  // An unescaped '@' can only end the userinfo (headers, parameters and hosts cannot hold one),
  // while '?' and ';' may appear inside the user part.
  auto at = rest.find('@');
  auto question = rest.find('?', at == std::string_view::npos ? 0 : at);
  if (question != std::string_view::npos) {
    uri.headers = rest.substr(question + 1);
    rest = rest.substr(0, question);
    if (uri.headers.empty() || !validChars(uri.headers, kHeader)) {
      return bad("malformed URI headers");
    }
  }
  if (at != std::string_view::npos) {
    auto userinfo = rest.substr(0, at);
    auto pw = userinfo.find(':');
    uri.user = userinfo.substr(0, pw);
    if (pw != std::string_view::npos) uri.password = userinfo.substr(pw + 1);
    if (uri.user.empty() || !validChars(uri.user, kUser) || !validChars(uri.password, kPassword)) {
      return bad("malformed URI user part");
    }
    rest = rest.substr(at + 1);
  }
  auto semi = rest.find(';');
  auto hostport = rest.substr(0, semi);
  if (semi != std::string_view::npos) {
    uri.params = rest.substr(semi + 1);
    std::string_view p = uri.params;
    while (true) {
      auto next = p.find(';');
      auto item = p.substr(0, next);
      auto eq = item.find('=');
      auto name = item.substr(0, eq);
      if (name.empty() || !validChars(name, kParam) ||
          (eq != std::string_view::npos && !validChars(item.substr(eq + 1), kParam))) {
        return bad("malformed URI parameter");
      }
      if (next == std::string_view::npos) break;
      p.remove_prefix(next + 1);
    }
  }
  std::size_t portColon = std::string_view::npos;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return bad("malformed IPv6 reference");
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return bad("malformed host");
      portColon = close + 1;
    }
  } else {
    portColon = hostport.find(':');
  }
  uri.host = hostport.substr(0, portColon);
  if (!validHost(uri.host)) return bad("malformed host");
  if (portColon != std::string_view::npos) {
    auto digits = hostport.substr(portColon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
        port > 65535) {
      return bad("malformed port");
    }
    uri.port = static_cast<std::uint16_t>(port);
  }
  return uri;
}

std::optional<std::string> unescape(std::string_view text) {
  return percentDecode(text);
}

bool sameUri(const Uri& a, const Uri& b) {
  if (!iequals(a.scheme, b.scheme)) return false;
  if (!a.isSip()) return a.opaque == b.opaque;
  if (unescape(a.user) != unescape(b.user) || a.password != b.password) return false;
  if (!iequals(a.host, b.host) || a.port != b.port) return false;
  for (auto name : {"transport", "user", "ttl", "method", "maddr"}) {
    auto pa = a.param(name);
    auto pb = b.param(name);
    if (pa.has_value() != pb.has_value()) return false;
    if (pa && !iequals(*pa, *pb)) return false;
  }
  return true;
}

}  // namespace sb::sip
