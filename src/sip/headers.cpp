#include "sip/headers.hpp"

#include <charconv>

#include "sip/syntax.hpp"

namespace sb::sip {

namespace {

Error bad(std::string_view what) {
  return Error::invalid("header", std::string(what));
}

// Length of a quoted string starting at s[0] == '"', closing quote included; npos if unclosed.
std::size_t quotedLength(std::string_view s) {
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

bool isTokenOrSpace(std::string_view s) {
  for (char c : s) {
    if (!isTokenChar(c) && !isWsp(c)) return false;
  }
  return true;
}

}  // namespace

namespace {

// The characters that matter when splitting a list: the rest is skipped a table lookup at a time.
struct ListSyntax {
  bool special[256] = {};
  constexpr ListSyntax() {
    for (char c : std::string_view("\"<>,"))
      special[static_cast<unsigned char>(c)] = true;
  }
};
constexpr ListSyntax kListSyntax{};

// Calls `take` with each element of a comma-separated list until it returns false.
template <typename Take>
void forEachListItem(std::string_view value, Take take) {
  // Most values hold one element: with no comma anywhere, quotes and brackets cannot split it.
  if (value.find(',') == std::string_view::npos) {
    auto item = trimWsp(value);
    if (!item.empty()) take(item);
    return;
  }
  std::size_t start = 0;
  bool inAngle = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (!kListSyntax.special[static_cast<unsigned char>(c)]) continue;
    if (c == '"') {
      auto len = quotedLength(value.substr(i));
      if (len == std::string_view::npos) break;
      i += len - 1;
    } else if (c == '<') {
      inAngle = true;
    } else if (c == '>') {
      inAngle = false;
    } else if (c == ',' && !inAngle) {
      auto item = trimWsp(value.substr(start, i - start));
      if (!item.empty() && !take(item)) return;
      start = i + 1;
    }
  }
  auto item = trimWsp(value.substr(start));
  if (!item.empty()) take(item);
}

}  // namespace

ListItems splitList(std::string_view value) {
  ListItems out;
  forEachListItem(value, [&out](std::string_view item) {
    out.push_back(item);
    return true;
  });
  return out;
}

std::optional<std::string_view> firstListItem(std::string_view value) {
  std::optional<std::string_view> first;
  forEachListItem(value, [&first](std::string_view item) {
    first = item;
    return false;
  });
  return first;
}

Result<std::vector<Param>> parseParams(std::string_view text) {
  std::vector<Param> params;
  text = trimWsp(text);
  if (!text.empty()) params.reserve(4);  // one allocation for the usual few (branch, rport, ...)
  while (!text.empty()) {
    if (text.front() != ';') return bad("malformed parameters");
    text = trimWsp(text.substr(1));
    std::size_t n = 0;
    while (n < text.size() && isTokenChar(text[n]))
      ++n;
    if (n == 0) return bad("empty parameter");
    Param p{text.substr(0, n), {}, false};
    text = trimWsp(text.substr(n));
    if (!text.empty() && text.front() == '=') {
      text = trimWsp(text.substr(1));
      std::size_t v = 0;
      if (!text.empty() && text.front() == '"') {
        v = quotedLength(text);
        if (v == std::string_view::npos) return bad("unterminated quoted parameter");
      } else if (!text.empty() && text.front() == '[') {
        v = text.find(']');
        if (v == std::string_view::npos) return bad("malformed IPv6 parameter");
        ++v;
      } else {
        while (v < text.size() && (isTokenChar(text[v]) || text[v] == ':'))
          ++v;
        if (v == 0) return bad("empty parameter value");
      }
      p.value = text.substr(0, v);
      p.hasValue = true;
      text = trimWsp(text.substr(v));
    }
    params.push_back(p);
  }
  return params;
}

std::optional<std::string_view> findParam(const std::vector<Param>& params, std::string_view name) {
  for (const auto& p : params) {
    if (iequals(p.name, name)) return p.value;
  }
  return std::nullopt;
}

Result<NameAddr> parseNameAddr(std::string_view value) {
  NameAddr out;
  std::string_view s = trimWsp(value);
  if (s.empty()) return bad("empty address");
  std::string_view rest;
  std::size_t lt = std::string_view::npos;
  if (s.front() == '"') {
    auto len = quotedLength(s);
    if (len == std::string_view::npos) return bad("unterminated quoted display name");
    out.displayName = s.substr(1, len - 2);
    lt = len;
    while (lt < s.size() && isWsp(s[lt]))
      ++lt;
    if (lt == s.size() || s[lt] != '<') return bad("display name without <address>");
  } else {
    lt = s.find('<');
    if (lt != std::string_view::npos) {
      auto display = trimWsp(s.substr(0, lt));
      if (!isTokenOrSpace(display)) return bad("invalid characters in display name");
      out.displayName = display;
    }
  }
  if (lt != std::string_view::npos) {
    auto gt = s.find('>', lt);
    if (gt == std::string_view::npos) return bad("unterminated <address>");
    out.uriText = s.substr(lt + 1, gt - lt - 1);
    out.bracketed = true;
    rest = s.substr(gt + 1);
  } else {
    // addr-spec: parameters after ';' belong to the header, and the URI may not hold ',' or '?'.
    auto semi = s.find(';');
    out.uriText = trimWsp(s.substr(0, semi));
    if (out.uriText.find_first_of(",?") != std::string_view::npos) {
      return bad("an address with ',' or '?' must be enclosed in <>");
    }
    rest = semi == std::string_view::npos ? std::string_view() : s.substr(semi);
  }
  auto uri = parseUri(out.uriText);
  if (!uri) return uri.error();
  out.uri = *uri;
  auto params = parseParams(rest);
  if (!params) return params.error();
  out.params = std::move(*params);
  return out;
}

namespace {

// The value of parameter `name` among the ";name=value" parameters that start at the first
// semicolon of `value` outside quoted strings (generic-param values may be quoted); empty when
// it is absent or has no value.
std::string_view paramValue(std::string_view value, std::string_view name) {
  const bool quotes = value.find('"') != std::string_view::npos;
  auto nextSemicolon = [&value, quotes](std::size_t from) {
    if (!quotes) return value.find(';', from);
    for (std::size_t k = from; k < value.size(); ++k) {
      if (value[k] == ';') return k;
      if (value[k] == '"') {
        auto len = quotedLength(value.substr(k));
        if (len == std::string_view::npos) return std::string_view::npos;
        k += len - 1;
      }
    }
    return std::string_view::npos;
  };
  for (std::size_t i = nextSemicolon(0); i != std::string_view::npos;) {
    std::size_t next = nextSemicolon(i + 1);
    auto param = value.substr(i + 1, next == std::string_view::npos ? next : next - i - 1);
    auto eq = param.find('=');
    if (eq != std::string_view::npos && iequals(trimWsp(param.substr(0, eq)), name)) {
      return trimWsp(param.substr(eq + 1));
    }
    i = next;
  }
  return {};
}

}  // namespace

std::string_view viaBranch(std::string_view value) {
  return paramValue(value, "branch");
}

std::string_view nameAddrTag(std::string_view value) {
  // The header's parameters follow the <address>, whose URI has parameters of its own, or start
  // at the first semicolon of a bare addr-spec. A quoted display name may hold '<' or ';'.
  std::string_view s = trimWsp(value);
  if (!s.empty() && s.front() == '"') {
    auto len = quotedLength(s);
    if (len == std::string_view::npos) return {};
    s.remove_prefix(len);
  }
  if (auto lt = s.find('<'); lt != std::string_view::npos) {
    auto gt = s.find('>', lt);
    if (gt == std::string_view::npos) return {};
    s.remove_prefix(gt + 1);
  }
  return paramValue(s, "tag");
}

Result<Via> parseVia(std::string_view value) {
  Via via;
  std::string_view s = trimWsp(value);
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport, SWS around slashes.
  std::string_view parts[3];
  for (int i = 0; i < 3; ++i) {
    s = trimWsp(s);
    std::size_t n = 0;
    while (n < s.size() && isTokenChar(s[n]))
      ++n;
    if (n == 0) return bad("malformed Via protocol");
    parts[i] = s.substr(0, n);
    s = trimWsp(s.substr(n));
    if (i < 2) {
      if (s.empty() || s.front() != '/') return bad("malformed Via protocol");
      s.remove_prefix(1);
    }
  }
  if (!iequals(parts[0], "SIP") || parts[1] != "2.0") return bad("unsupported Via protocol");
  via.transport = parts[2];
  // sent-by = host [ COLON port ]
  std::size_t n = 0;
  if (!s.empty() && s.front() == '[') {
    n = s.find(']');
    if (n == std::string_view::npos) return bad("malformed Via host");
    ++n;
  } else {
    while (n < s.size() && (isAlpha(s[n]) || isDigit(s[n]) || s[n] == '-' || s[n] == '.'))
      ++n;
  }
  if (n == 0) return bad("missing Via host");
  via.host = s.substr(0, n);
  s = trimWsp(s.substr(n));
  if (!s.empty() && s.front() == ':') {
    s = trimWsp(s.substr(1));
    std::size_t d = 0;
    while (d < s.size() && isDigit(s[d]))
      ++d;
    auto port = parseNumber(s.substr(0, d), 65535);
    if (!port) return bad("malformed Via port");
    via.port = static_cast<std::uint16_t>(*port);
    s = s.substr(d);
  }
  auto params = parseParams(s);
  if (!params) return params.error();
  via.params = std::move(*params);
  return via;
}

std::optional<std::uint32_t> parseNumber(std::string_view value, std::uint32_t max) {
  value = trimWsp(value);
  if (value.empty() || value.size() > 12) return std::nullopt;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc{} || end != value.data() + value.size() || n > max) return std::nullopt;
  return static_cast<std::uint32_t>(n);
}

Result<CSeq> parseCSeq(std::string_view value) {
  value = trimWsp(value);
  std::size_t d = 0;
  while (d < value.size() && isDigit(value[d]))
    ++d;
  // RFC 3261 §8.1.1.5: the sequence number must be less than 2**31.
  auto number = parseNumber(value.substr(0, d), 0x7fffffff);
  if (!number) return bad("malformed CSeq number");
  auto method = trimWsp(value.substr(d));
  if (method.empty() || d == value.size() || !isWsp(value[d])) return bad("malformed CSeq method");
  for (char c : method) {
    if (!isTokenChar(c)) return bad("malformed CSeq method");
  }
  return CSeq{*number, method};
}

namespace {

// Via, From, To, Call-ID, CSeq: present, single where single, well formed.
std::optional<std::string_view> checkCommonHeaders(const Message& m) {
  using H = HeaderId;
  for (H id : {H::kFrom, H::kTo, H::kCallId, H::kCSeq}) {
    auto count = m.headerCount(id);
    if (count == 0) return "Missing Required Header";
    if (count > 1) return "Duplicate Single-Valued Header";
  }
  for (H id : {H::kMaxForwards, H::kContentType, H::kExpires}) {
    if (m.headerCount(id) > 1) return "Duplicate Single-Valued Header";
  }
  auto vias = m.headerValues(H::kVia);
  if (vias.empty()) return "Missing Via";
  if (!m.topVia()) return "Malformed Via";
  for (std::size_t i = 1; i < vias.size(); ++i) {
    if (!parseVia(vias[i])) return "Malformed Via";
  }
  if (!m.from()) return "Malformed From";
  if (!m.to()) return "Malformed To";
  auto callId = *m.header(H::kCallId);
  if (callId.empty()) return "Malformed Call-ID";
  for (char c : callId) {
    if (static_cast<unsigned char>(c) <= 0x20) return "Malformed Call-ID";
  }
  if (!parseCSeq(*m.header(H::kCSeq))) return "Malformed CSeq";
  return std::nullopt;
}

}  // namespace

std::optional<Rejection> checkRequest(const Message& m) {
  using H = HeaderId;
  if (!iequals(m.version(), "SIP/2.0")) return Rejection{505, "Version Not Supported"};
  auto uri = parseUri(m.requestUri());
  if (!uri) return Rejection{400, "Malformed Request-URI"};
  if (!uri->isSip() && !iequals(uri->scheme, "tel"))
    return Rejection{416, "Unsupported URI Scheme"};
  if (!uri->headers.empty()) return Rejection{400, "Request-URI Must Not Carry Headers"};
  if (auto problem = checkCommonHeaders(m)) return Rejection{400, *problem};
  // A top Via without an RFC 3261 branch is accepted: transactions fall back to RFC 2543
  // matching (RFC 3261 §17.2.3).
  auto cseq = parseCSeq(*m.header(H::kCSeq));
  if (cseq->method != m.methodText()) return Rejection{400, "CSeq Method Does Not Match"};
  if (auto mf = m.header(H::kMaxForwards); mf && !parseNumber(*mf, 255)) {
    return Rejection{400, "Malformed Max-Forwards"};
  }
  if (auto ex = m.header(H::kExpires); ex && !parseNumber(*ex, 0xffffffff)) {
    return Rejection{400, "Malformed Expires"};
  }
  auto contacts = m.headerValues(H::kContact);
  for (std::size_t i = 0; i < contacts.size(); ++i) {
    if (contacts[i] == "*") continue;
    // The first is parsed once for everyone who reads it (dialogs, the registrar).
    std::optional<Result<NameAddr>> later;
    if (i > 0) later = parseNameAddr(contacts[i]);
    const auto& contact = later ? *later : m.contact();
    if (!contact) return Rejection{400, "Malformed Contact"};
    if (auto ex = findParam(contact->params, "expires"); ex && !parseNumber(*ex, 0xffffffff)) {
      return Rejection{400, "Malformed Contact Expires"};
    }
  }
  return std::nullopt;
}

bool isWellFormedResponse(const Message& m) {
  if (!iequals(m.version(), "SIP/2.0")) return false;
  return !checkCommonHeaders(m).has_value();
}

}  // namespace sb::sip
