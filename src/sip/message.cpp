#include "sip/message.hpp"

#include <array>

#include "core/text.hpp"
#include "sip/headers.hpp"
#include "sip/syntax.hpp"

namespace sb::sip {

namespace {

struct MethodEntry {
  std::string_view name;
  Method method;
};
constexpr MethodEntry kMethods[] = {
    {"INVITE", Method::kInvite},   {"ACK", Method::kAck},         {"BYE", Method::kBye},
    {"CANCEL", Method::kCancel},   {"OPTIONS", Method::kOptions}, {"REGISTER", Method::kRegister},
    {"PRACK", Method::kPrack},     {"UPDATE", Method::kUpdate},   {"INFO", Method::kInfo},
    {"REFER", Method::kRefer},     {"NOTIFY", Method::kNotify},   {"SUBSCRIBE", Method::kSubscribe},
    {"MESSAGE", Method::kMessage}, {"PUBLISH", Method::kPublish},
};

struct HeaderEntry {
  std::string_view name;  // canonical spelling
  char compact;           // RFC 3261 §7.3.3 compact form, or 0
  HeaderId id;
};
constexpr HeaderEntry kHeaders[] = {
    {"Via", 'v', HeaderId::kVia},
    {"From", 'f', HeaderId::kFrom},
    {"To", 't', HeaderId::kTo},
    {"Call-ID", 'i', HeaderId::kCallId},
    {"CSeq", 0, HeaderId::kCSeq},
    {"Contact", 'm', HeaderId::kContact},
    {"Max-Forwards", 0, HeaderId::kMaxForwards},
    {"Content-Length", 'l', HeaderId::kContentLength},
    {"Content-Type", 'c', HeaderId::kContentType},
    {"Content-Encoding", 'e', HeaderId::kContentEncoding},
    {"Route", 0, HeaderId::kRoute},
    {"Record-Route", 0, HeaderId::kRecordRoute},
    {"Expires", 0, HeaderId::kExpires},
    {"Min-Expires", 0, HeaderId::kMinExpires},
    {"Authorization", 0, HeaderId::kAuthorization},
    {"WWW-Authenticate", 0, HeaderId::kWwwAuthenticate},
    {"Proxy-Authorization", 0, HeaderId::kProxyAuthorization},
    {"Proxy-Authenticate", 0, HeaderId::kProxyAuthenticate},
    {"Supported", 'k', HeaderId::kSupported},
    {"Require", 0, HeaderId::kRequire},
    {"Proxy-Require", 0, HeaderId::kProxyRequire},
    {"Unsupported", 0, HeaderId::kUnsupported},
    {"Allow", 0, HeaderId::kAllow},
    {"Accept", 0, HeaderId::kAccept},
    {"User-Agent", 0, HeaderId::kUserAgent},
    {"Server", 0, HeaderId::kServer},
    {"RSeq", 0, HeaderId::kRSeq},
    {"RAck", 0, HeaderId::kRAck},
    {"Session-Expires", 'x', HeaderId::kSessionExpires},
    {"Min-SE", 0, HeaderId::kMinSe},
    {"Event", 'o', HeaderId::kEvent},
    {"Refer-To", 'r', HeaderId::kReferTo},
    {"Referred-By", 'b', HeaderId::kReferredBy},
    {"Subject", 's', HeaderId::kSubject},
    {"Date", 0, HeaderId::kDate},
    {"Call-Info", 0, HeaderId::kCallInfo},
    {"Alert-Info", 0, HeaderId::kAlertInfo},
    {"Reason", 0, HeaderId::kReason},
    {"Retry-After", 0, HeaderId::kRetryAfter},
    {"Warning", 0, HeaderId::kWarning},
    {"Replaces", 0, HeaderId::kReplaces},
    {"P-Asserted-Identity", 0, HeaderId::kPAssertedIdentity},
};

}  // namespace

Method methodFromName(std::string_view name) {
  for (const auto& e : kMethods) {
    if (e.name == name) return e.method;
  }
  return Method::kUnknown;
}

std::string_view methodName(Method method) {
  for (const auto& e : kMethods) {
    if (e.method == method) return e.name;
  }
  return {};
}

namespace {

// kHeaders by the first letter of the name, lower-cased: every header line of every message
// is looked up here.
struct HeaderIndex {
  static constexpr std::size_t kMaxPerLetter = 12;
  std::uint8_t count[26] = {};
  std::uint8_t entries[26][kMaxPerLetter] = {};
  char compact[26] = {};  // the HeaderId (as a number) of each compact form, 0 for none
  constexpr HeaderIndex() {
    for (std::size_t i = 0; i < std::size(kHeaders); ++i) {
      const auto& e = kHeaders[i];
      auto letter = static_cast<std::size_t>(asciiLower(e.name.front()) - 'a');
      entries[letter][count[letter]++] = static_cast<std::uint8_t>(i);
      if (e.compact != 0) compact[e.compact - 'a'] = static_cast<char>(e.id);
    }
  }
};
constexpr HeaderIndex kHeaderIndex{};
static_assert([] {
  for (auto n : kHeaderIndex.count) {
    if (n >= HeaderIndex::kMaxPerLetter) return false;
  }
  return true;
}());

}  // namespace

HeaderId headerIdFromName(std::string_view name) {
  if (name.empty()) return HeaderId::kOther;
  char first = asciiLower(name.front());
  if (first < 'a' || first > 'z') return HeaderId::kOther;
  auto letter = static_cast<std::size_t>(first - 'a');
  if (name.size() == 1) return static_cast<HeaderId>(kHeaderIndex.compact[letter]);
  for (std::size_t i = 0; i < kHeaderIndex.count[letter]; ++i) {
    const auto& e = kHeaders[kHeaderIndex.entries[letter][i]];
    // Most senders write the canonical spelling: an exact comparison settles those.
    if (e.name.size() == name.size() && (e.name == name || iequals(e.name, name))) return e.id;
  }
  return HeaderId::kOther;
}

// kHeaders lists the headers in HeaderId order, so that a name is found by its id.
static_assert([] {
  for (std::size_t i = 0; i < std::size(kHeaders); ++i) {
    if (static_cast<std::size_t>(kHeaders[i].id) != i + 1) return false;
  }
  return true;
}());

std::string_view headerName(HeaderId id) {
  auto index = static_cast<std::size_t>(id);
  if (index == 0 || index > std::size(kHeaders)) return {};
  return kHeaders[index - 1].name;
}

std::optional<std::string_view> Message::header(HeaderId id) const {
  for (const auto& h : headers_) {
    if (h.id == id) return view(h.value);
  }
  return std::nullopt;
}

std::optional<std::string_view> Message::header(std::string_view name) const {
  for (const auto& h : headers_) {
    if (iequals(view(h.name), name)) return view(h.value);
  }
  return std::nullopt;
}

std::vector<std::string_view> Message::headerLines(HeaderId id) const {
  std::vector<std::string_view> out;
  for (const auto& h : headers_) {
    if (h.id == id) out.push_back(view(h.value));
  }
  return out;
}

std::optional<std::string_view> Message::firstValue(HeaderId id) const {
  for (const auto& h : headers_) {
    if (h.id != id) continue;
    if (auto first = firstListItem(view(h.value))) return first;
  }
  return std::nullopt;
}

ListItems Message::headerValues(HeaderId id) const {
  ListItems out;
  for (const auto& h : headers_) {
    if (h.id != id) continue;
    auto values = splitList(view(h.value));
    out.insert(out.end(), values.begin(), values.end());
  }
  return out;
}

struct Message::Parsed {
  const char* buffer = nullptr;
  std::optional<Result<NameAddr>> from;
  std::optional<Result<NameAddr>> to;
  std::optional<Result<Via>> topVia;
  std::optional<Result<NameAddr>> contact;
};

Message::ParsedSlot::ParsedSlot() = default;
Message::ParsedSlot::ParsedSlot(const ParsedSlot& /*other*/) {}
Message::ParsedSlot& Message::ParsedSlot::operator=(const ParsedSlot& other) {
  if (this != &other) parsed_.reset();
  return *this;
}
Message::ParsedSlot::ParsedSlot(ParsedSlot&& other) noexcept = default;
Message::ParsedSlot& Message::ParsedSlot::operator=(ParsedSlot&& other) noexcept = default;
Message::ParsedSlot::~ParsedSlot() = default;

Message::Parsed& Message::ParsedSlot::of(const std::string& buffer) {
  if (!parsed_) {
    parsed_ = std::make_unique<Parsed>();
  } else if (parsed_->buffer != buffer.data()) {
    *parsed_ = Parsed{};
  }
  parsed_->buffer = buffer.data();
  return *parsed_;
}

namespace {

// The first element for the list headers Via and Contact, the header's value for the others.
template <typename T, typename Parse>
const Result<T>& parsedOnce(std::optional<Result<T>>& slot, const Message& m, HeaderId id,
                            Parse parse) {
  if (slot) return *slot;
  auto text = id == HeaderId::kVia || id == HeaderId::kContact ? m.firstValue(id) : m.header(id);
  if (text) {
    slot = parse(*text);
  } else {
    std::string name(headerName(id));
    slot = Result<T>(Error::invalid(name, concat("missing ", name)));
  }
  return *slot;
}

}  // namespace

const Result<NameAddr>& Message::from() const {
  return parsedOnce(parsed_.of(buffer_).from, *this, HeaderId::kFrom, parseNameAddr);
}

const Result<NameAddr>& Message::to() const {
  return parsedOnce(parsed_.of(buffer_).to, *this, HeaderId::kTo, parseNameAddr);
}

const Result<Via>& Message::topVia() const {
  return parsedOnce(parsed_.of(buffer_).topVia, *this, HeaderId::kVia, parseVia);
}

const Result<NameAddr>& Message::contact() const {
  return parsedOnce(parsed_.of(buffer_).contact, *this, HeaderId::kContact, parseNameAddr);
}

std::size_t Message::headerCount(HeaderId id) const {
  std::size_t n = 0;
  for (const auto& h : headers_)
    n += h.id == id;
  return n;
}

}  // namespace sb::sip
