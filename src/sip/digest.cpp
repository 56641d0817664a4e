#include "sip/digest.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/logging.hpp"

namespace sb::sip::digest {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Our own classification: <cctype> is undefined for negative chars, which outside input has.
bool isWsp(char c) {
  return c == ' ' || c == '\t';
}

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 3261 token characters.
bool isTokenChar(char c) {
  if (isAlnum(c)) {
    return true;
  }
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

bool isControl(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

// Bare (unquoted) values: visible ASCII except the separators that end them. Wider than token
// because SIPp-era and embedded clients send nonces and URIs unquoted.
bool isBareValueChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && c != ',' && c != '"' && c != '\\';
}

char toLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return toLower(x) == toLower(y);
         });
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool isHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return hexValue(c) >= 0; });
}

std::string toHex(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kHexDigits[data[i] >> 4];
    out += kHexDigits[data[i] & 0x0f];
  }
  return out;
}

std::string lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), toLower);
  return out;
}

bool isSess(Algorithm algorithm) {
  return algorithm == Algorithm::kMd5Sess || algorithm == Algorithm::kSha256Sess;
}

const EVP_MD* evpMd(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kMd5:
    case Algorithm::kMd5Sess:
      return EVP_md5();
    case Algorithm::kSha256:
    case Algorithm::kSha256Sess:
      return EVP_sha256();
  }
  return EVP_sha256();
}

// H(part1:part2:...), lower-case hex. Empty only if OpenSSL fails (e.g. MD5 under a FIPS-only
// provider), which verify() treats as a mismatch.
std::string hashJoined(Algorithm algorithm, std::initializer_list<std::string_view> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx.get(), evpMd(algorithm), nullptr) == 1;
  bool first = true;
  for (std::string_view part : parts) {
    if (!first) {
      ok = ok && EVP_DigestUpdate(ctx.get(), ":", 1) == 1;
    }
    first = false;
    if (!part.empty()) {
      ok = ok && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1;
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ok = ok && EVP_DigestFinal_ex(ctx.get(), digest, &length) == 1;
  if (!ok) {
    SB_BUG("OpenSSL digest failed");
    return {};
  }
  return toHex(digest, length);
}

bool randomBytes(unsigned char* out, std::size_t size) {
  return RAND_bytes(out, static_cast<int>(size)) == 1;
}

// ---- Parsing ----

struct Param {
  std::string_view name;
  std::string value;
};

Error syntaxError(std::string_view what, std::size_t offset) {
  return Error::invalid("value", std::string(what) + " at offset " + std::to_string(offset));
}

// Reads the comma-separated auth-params of one header value, scheme first.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }  // only when !atEnd()
  std::size_t pos() const { return pos_; }
  void advance() { ++pos_; }

  // SP, HTAB, and CRLF followed by SP or HTAB (a fold the caller did not join).
  void skipLws() {
    while (!atEnd()) {
      if (isWsp(text_[pos_])) {
        ++pos_;
      } else if (text_[pos_] == '\r' && pos_ + 2 < text_.size() && text_[pos_ + 1] == '\n' &&
                 isWsp(text_[pos_ + 2])) {
        pos_ += 3;
      } else {
        break;
      }
    }
  }

  std::string_view token() {
    std::size_t start = pos_;
    while (!atEnd() && isTokenChar(text_[pos_])) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  std::string_view bareValue() {
    std::size_t start = pos_;
    while (!atEnd() && isBareValueChar(text_[pos_])) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  // At the opening quote: the unescaped content, or an error.
  Result<std::string> quotedString() {
    std::size_t start = pos_;
    ++pos_;  // the opening quote
    std::string out;
    while (!atEnd()) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        // quoted-pair; RFC 3261 excludes CR and LF, and we refuse every control but tab.
        if (pos_ + 1 >= text_.size()) {
          break;
        }
        char escaped = text_[pos_ + 1];
        if (isControl(escaped)) {
          return syntaxError("control character in a quoted string", pos_ + 1);
        }
        out += escaped;
        pos_ += 2;
        continue;
      }
      if (c == '\r') {
        std::size_t before = pos_;
        skipLws();
        if (pos_ == before) {
          return syntaxError("line break in a quoted string", pos_);
        }
        out += ' ';
        continue;
      }
      if (isControl(c)) {
        return syntaxError("control character in a quoted string", pos_);
      }
      out += c;
      ++pos_;
    }
    return syntaxError("unterminated quoted string", start);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

Error otherScheme(std::string_view scheme) {
  return {ErrorCode::kUnauthenticated, "scheme \"" + loggable(scheme, 32) + "\" is not Digest",
          "scheme"};
}

// `Digest p1=v1, p2="v2"`: the parameters, values unquoted. Empty list elements (",,") are
// skipped as RFC 7230 §7 asks of recipients.
Result<std::vector<Param>> parseParams(std::string_view value) {
  if (value.size() > kMaxValueLength) {
    return Error::invalid("value", "longer than " + std::to_string(kMaxValueLength) + " bytes");
  }
  Scanner in(value);
  in.skipLws();
  std::string_view scheme = in.token();
  if (scheme.empty()) {
    return syntaxError("expected an authentication scheme", in.pos());
  }
  if (!iequals(scheme, "Digest")) {
    return otherScheme(scheme);
  }
  if (!in.atEnd()) {
    std::size_t before = in.pos();
    in.skipLws();
    if (in.pos() == before) {
      return syntaxError("expected whitespace after Digest", in.pos());
    }
  }
  std::vector<Param> params;
  while (true) {
    in.skipLws();
    if (in.atEnd()) {
      break;
    }
    if (in.peek() == ',') {
      in.advance();
      continue;
    }
    std::string_view name = in.token();
    if (name.empty()) {
      return syntaxError("expected a parameter name", in.pos());
    }
    in.skipLws();
    if (in.atEnd() || in.peek() != '=') {
      return syntaxError("expected '=' after \"" + loggable(name, 32) + "\"", in.pos());
    }
    in.advance();
    in.skipLws();
    Param param{name, {}};
    if (!in.atEnd() && in.peek() == '"') {
      auto quoted = in.quotedString();
      if (!quoted) {
        return quoted.error();
      }
      param.value = std::move(quoted).value();
    } else {
      std::string_view bare = in.bareValue();
      if (bare.empty()) {
        return syntaxError("no value for \"" + loggable(name, 32) + "\"", in.pos());
      }
      param.value = bare;
    }
    params.push_back(std::move(param));
    in.skipLws();
    if (in.atEnd()) {
      break;
    }
    if (in.peek() != ',') {
      return syntaxError("expected ',' after \"" + loggable(name, 32) + "\"", in.pos());
    }
    in.advance();
  }
  return params;
}

// The values of the parameters named in `names`, by position; unknown ones are ignored, a known
// one given twice is an error (which of the two would the peer have hashed?).
template <std::size_t N>
Result<std::array<std::optional<std::string>, N>> collect(
    std::vector<Param>& params, const std::array<std::string_view, N>& names) {
  std::array<std::optional<std::string>, N> values;
  for (Param& param : params) {
    for (std::size_t i = 0; i < N; ++i) {
      if (!iequals(param.name, names[i])) {
        continue;
      }
      if (values[i]) {
        return Error::invalid(std::string(names[i]),
                              "duplicate parameter \"" + std::string(names[i]) + "\"");
      }
      values[i] = std::move(param.value);
      break;
    }
  }
  return values;
}

Result<Algorithm> algorithmParam(const std::optional<std::string>& value) {
  if (!value) {
    return Algorithm::kMd5;
  }
  auto algorithm = parseAlgorithm(*value);
  if (!algorithm) {
    return Error::invalid("algorithm", "unsupported algorithm \"" + loggable(*value, 32) + "\"");
  }
  return *algorithm;
}

// ---- Formatting ----

void appendQuoted(std::string& out, std::string_view value) {
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (!isControl(c)) {
      out += c;
    }
  }
  out += '"';
}

void appendParam(std::string& out, std::string_view name, std::string_view value, bool quoted) {
  out += ", ";
  out += name;
  out += '=';
  bool token = !value.empty() && std::all_of(value.begin(), value.end(), isTokenChar);
  if (quoted || !token) {
    appendQuoted(out, value);
  } else {
    out += value;
  }
}

std::string formatNonceCount(std::uint32_t nc) {
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHexDigits[nc & 0x0f];
    nc >>= 4;
  }
  return out;
}

}  // namespace

std::string_view algorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kMd5:
      return "MD5";
    case Algorithm::kMd5Sess:
      return "MD5-sess";
    case Algorithm::kSha256:
      return "SHA-256";
    case Algorithm::kSha256Sess:
      return "SHA-256-sess";
  }
  return "MD5";
}

std::optional<Algorithm> parseAlgorithm(std::string_view name) {
  for (Algorithm algorithm :
       {Algorithm::kMd5, Algorithm::kMd5Sess, Algorithm::kSha256, Algorithm::kSha256Sess}) {
    if (iequals(name, algorithmName(algorithm))) {
      return algorithm;
    }
  }
  return std::nullopt;
}

std::size_t hexLength(Algorithm algorithm) {
  return (algorithm == Algorithm::kMd5 || algorithm == Algorithm::kMd5Sess) ? 32 : 64;
}

std::string ha1(Algorithm algorithm, std::string_view username, std::string_view realm,
                std::string_view password) {
  return hashJoined(algorithm, {username, realm, password});
}

std::string computeResponse(Algorithm algorithm, const DigestInput& input) {
  std::string a1 = input.secret.kind == Secret::Kind::kHa1
                       ? lowered(input.secret.value)
                       : ha1(algorithm, input.username, input.realm, input.secret.value);
  if (isSess(algorithm)) {
    a1 = hashJoined(algorithm, {a1, input.nonce, input.cnonce});
  }
  std::string a2 =
      iequals(input.qop, "auth-int")
          ? hashJoined(algorithm, {input.method, input.uri, hashJoined(algorithm, {input.body})})
          : hashJoined(algorithm, {input.method, input.uri});
  if (input.qop.empty()) {
    return hashJoined(algorithm, {a1, input.nonce, a2});
  }
  return hashJoined(algorithm, {a1, input.nonce, input.nc, input.cnonce, input.qop, a2});
}

Result<Credentials> parseCredentials(std::string_view value) {
  auto params = parseParams(value);
  if (!params) {
    return params.error();
  }
  enum {
    kUsername,
    kRealm,
    kNonce,
    kUri,
    kResponse,
    kAlgorithm,
    kCnonce,
    kOpaque,
    kQop,
    kNc,
    kUserhash
  };
  static constexpr std::array<std::string_view, 11> kNames = {
      "username", "realm",  "nonce", "uri", "response", "algorithm",
      "cnonce",   "opaque", "qop",   "nc",  "userhash"};
  auto collected = collect(*params, kNames);
  if (!collected) {
    return collected.error();
  }
  auto& values = *collected;
  for (int required : {kUsername, kRealm, kNonce, kUri, kResponse}) {
    if (!values[static_cast<std::size_t>(required)]) {
      std::string name(kNames[static_cast<std::size_t>(required)]);
      return Error::invalid(name, "Digest credentials lack \"" + name + "\"");
    }
  }
  auto algorithm = algorithmParam(values[kAlgorithm]);
  if (!algorithm) {
    return algorithm.error();
  }
  if (values[kUserhash] && iequals(*values[kUserhash], "true")) {
    // The username would be a hash we cannot look up; SIP (RFC 8760) does not use it.
    return Error::invalid("userhash", "userhash is not supported");
  }
  if (values[kQop]) {
    if (!values[kCnonce] || !values[kNc]) {
      return Error::invalid(values[kCnonce] ? "nc" : "cnonce",
                            "qop requires both cnonce and nc (RFC 7616 §3.4)");
    }
  }
  if (values[kNc] && !parseNonceCount(*values[kNc])) {
    return Error::invalid("nc", "nc must be 8 hex digits");
  }
  Credentials credentials;
  credentials.username = std::move(*values[kUsername]);
  credentials.realm = std::move(*values[kRealm]);
  credentials.nonce = std::move(*values[kNonce]);
  credentials.uri = std::move(*values[kUri]);
  credentials.response = std::move(*values[kResponse]);
  credentials.algorithm = *algorithm;
  credentials.cnonce = std::move(values[kCnonce]).value_or("");
  credentials.opaque = std::move(values[kOpaque]).value_or("");
  credentials.qop = std::move(values[kQop]).value_or("");
  credentials.nc = std::move(values[kNc]).value_or("");
  return credentials;
}

Result<Challenge> parseChallenge(std::string_view value) {
  auto params = parseParams(value);
  if (!params) {
    return params.error();
  }
  enum { kRealm, kDomain, kNonce, kOpaque, kStale, kAlgorithm, kQop };
  static constexpr std::array<std::string_view, 7> kNames = {
      "realm", "domain", "nonce", "opaque", "stale", "algorithm", "qop"};
  auto collected = collect(*params, kNames);
  if (!collected) {
    return collected.error();
  }
  auto& values = *collected;
  for (int required : {kRealm, kNonce}) {
    if (!values[static_cast<std::size_t>(required)]) {
      std::string name(kNames[static_cast<std::size_t>(required)]);
      return Error::invalid(name, "Digest challenge lacks \"" + name + "\"");
    }
  }
  auto algorithm = algorithmParam(values[kAlgorithm]);
  if (!algorithm) {
    return algorithm.error();
  }
  Challenge challenge;
  if (values[kQop]) {
    // A quoted list, "auth,auth-int", spaces allowed around the commas.
    std::string_view list = *values[kQop];
    while (!list.empty()) {
      std::size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      while (!item.empty() && isWsp(item.front())) {
        item.remove_prefix(1);
      }
      while (!item.empty() && isWsp(item.back())) {
        item.remove_suffix(1);
      }
      if (item.empty()) {
        continue;
      }
      if (!std::all_of(item.begin(), item.end(), isTokenChar)) {
        return Error::invalid("qop", "qop lists tokens, got \"" + loggable(item, 32) + "\"");
      }
      challenge.qop.emplace_back(item);
    }
  }
  challenge.realm = std::move(*values[kRealm]);
  challenge.domain = std::move(values[kDomain]).value_or("");
  challenge.nonce = std::move(*values[kNonce]);
  challenge.opaque = std::move(values[kOpaque]).value_or("");
  challenge.algorithm = *algorithm;
  challenge.stale = values[kStale] && iequals(*values[kStale], "true");
  return challenge;
}

bool isOtherScheme(const Error& error) {
  return error.code == ErrorCode::kUnauthenticated && error.field == "scheme";
}

std::string formatChallenge(const Challenge& challenge) {
  std::string out = "Digest realm=";
  appendQuoted(out, challenge.realm);
  if (!challenge.domain.empty()) {
    appendParam(out, "domain", challenge.domain, true);
  }
  appendParam(out, "nonce", challenge.nonce, true);
  if (!challenge.opaque.empty()) {
    appendParam(out, "opaque", challenge.opaque, true);
  }
  appendParam(out, "algorithm", algorithmName(challenge.algorithm), false);
  if (!challenge.qop.empty()) {
    std::string list;
    for (const std::string& qop : challenge.qop) {
      if (!list.empty()) {
        list += ',';
      }
      list += qop;
    }
    appendParam(out, "qop", list, true);
  }
  if (challenge.stale) {
    out += ", stale=true";
  }
  return out;
}

std::string formatCredentials(const Credentials& credentials) {
  std::string out = "Digest username=";
  appendQuoted(out, credentials.username);
  appendParam(out, "realm", credentials.realm, true);
  appendParam(out, "nonce", credentials.nonce, true);
  appendParam(out, "uri", credentials.uri, true);
  appendParam(out, "response", credentials.response, true);
  appendParam(out, "algorithm", algorithmName(credentials.algorithm), false);
  if (!credentials.cnonce.empty() || !credentials.qop.empty()) {
    appendParam(out, "cnonce", credentials.cnonce, true);
  }
  if (!credentials.opaque.empty()) {
    appendParam(out, "opaque", credentials.opaque, true);
  }
  if (!credentials.qop.empty()) {
    appendParam(out, "qop", credentials.qop, false);
  }
  if (!credentials.nc.empty()) {
    appendParam(out, "nc", credentials.nc, false);
  }
  return out;
}

Result<Credentials> answerChallenge(const Challenge& challenge, std::string_view username,
                                    std::string_view password, std::string_view method,
                                    std::string_view uri, std::string_view cnonce, std::uint32_t nc,
                                    std::string_view body) {
  if (nc == 0) {
    return Error::invalid("nc", "the nonce-count starts at 1");
  }
  std::string_view qop;
  if (!challenge.qop.empty()) {
    auto offered = [&](std::string_view wanted) {
      return std::any_of(challenge.qop.begin(), challenge.qop.end(),
                         [&](const std::string& q) { return iequals(q, wanted); });
    };
    if (offered("auth")) {
      qop = "auth";
    } else if (offered("auth-int")) {
      qop = "auth-int";
    } else {
      return Error::invalid("qop", "the challenge offers no qop we support (auth, auth-int)");
    }
  }
  bool needsCnonce = !qop.empty() || isSess(challenge.algorithm);
  if (needsCnonce && cnonce.empty()) {
    return Error::invalid("cnonce", "a cnonce is required with qop and the -sess algorithms");
  }
  Credentials credentials;
  credentials.username = username;
  credentials.realm = challenge.realm;
  credentials.nonce = challenge.nonce;
  credentials.uri = uri;
  credentials.algorithm = challenge.algorithm;
  credentials.opaque = challenge.opaque;
  if (needsCnonce) {
    credentials.cnonce = cnonce;
  }
  if (!qop.empty()) {
    credentials.qop = qop;
    credentials.nc = formatNonceCount(nc);
  }
  DigestInput input;
  input.username = credentials.username;
  input.realm = credentials.realm;
  input.secret = Secret::password(password);
  input.method = method;
  input.uri = credentials.uri;
  input.nonce = credentials.nonce;
  input.nc = credentials.nc;
  input.cnonce = credentials.cnonce;
  input.qop = credentials.qop;
  input.body = body;
  credentials.response = computeResponse(challenge.algorithm, input);
  return credentials;
}

std::string newCnonce() {
  unsigned char raw[16] = {};
  if (!randomBytes(raw, sizeof raw)) {
    SB_BUG("RAND_bytes failed for a cnonce");
  }
  return toHex(raw, sizeof raw);
}

std::optional<std::uint32_t> parseNonceCount(std::string_view nc) {
  if (nc.size() != 8 || !isHex(nc)) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  for (char c : nc) {
    value = (value << 4) | static_cast<std::uint32_t>(hexValue(c));
  }
  return value;
}

bool verify(const Credentials& credentials, const ServerPolicy& policy, Secret secret,
            std::string_view method) {
  if (credentials.realm != policy.realm) {
    return false;
  }
  if (std::find(policy.algorithms.begin(), policy.algorithms.end(), credentials.algorithm) ==
      policy.algorithms.end()) {
    return false;
  }
  if (credentials.qop.empty()) {
    if (!policy.allowNoQop) {
      return false;
    }
  } else if (!iequals(credentials.qop, "auth") || !parseNonceCount(credentials.nc)) {
    // auth-int would need the body, and we never offer it.
    return false;
  }
  if (secret.kind == Secret::Kind::kHa1 &&
      (secret.value.size() != hexLength(credentials.algorithm) || !isHex(secret.value))) {
    return false;
  }
  DigestInput input;
  input.username = credentials.username;
  input.realm = credentials.realm;
  input.secret = secret;
  input.method = method;
  input.uri = credentials.uri;
  input.nonce = credentials.nonce;
  input.nc = credentials.nc;
  input.cnonce = credentials.cnonce;
  input.qop = credentials.qop;
  std::string expected = computeResponse(credentials.algorithm, input);
  // Lengths are public (they follow from the algorithm); only the content is compared in
  // constant time, so response timing leaks nothing about the expected digest.
  if (expected.empty() || credentials.response.size() != expected.size()) {
    return false;
  }
  std::string received = lowered(credentials.response);
  return CRYPTO_memcmp(received.data(), expected.data(), expected.size()) == 0;
}

// ---- NonceService ----

namespace {

constexpr std::size_t kTimeBytes = 8;
constexpr std::size_t kSaltBytes = 8;
constexpr std::size_t kMacBytes = 16;
constexpr std::size_t kNonceBytes = kTimeBytes + kSaltBytes + kMacBytes;
constexpr std::size_t kSecretBytes = 32;

// HMAC-SHA256(secret, time | salt | client), truncated to kMacBytes: 128 bits are far beyond
// what an attacker can guess within a nonce lifetime.
bool nonceMac(std::string_view secret, const unsigned char* timeAndSalt, std::string_view client,
              unsigned char* out) {
  std::string message(reinterpret_cast<const char*>(timeAndSalt), kTimeBytes + kSaltBytes);
  message += client;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &length) == nullptr ||
      length < kMacBytes) {
    return false;
  }
  std::copy(mac, mac + kMacBytes, out);
  return true;
}

}  // namespace

NonceService::NonceService(const Clock& clock, std::chrono::seconds lifetime, std::string secret)
    : clock_(clock), lifetime_(lifetime), secret_(std::move(secret)) {
  if (secret_.empty()) {
    unsigned char raw[kSecretBytes];
    if (!randomBytes(raw, sizeof raw)) {
      throw std::runtime_error("cannot draw a random nonce secret: RAND_bytes failed");
    }
    secret_.assign(reinterpret_cast<const char*>(raw), sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
  }
}

NonceService::~NonceService() {
  OPENSSL_cleanse(secret_.data(), secret_.size());
}

std::string NonceService::issue(std::string_view client) const {
  std::array<unsigned char, kNonceBytes> raw{};
  auto now = static_cast<std::uint64_t>(clock_.now());
  for (std::size_t i = 0; i < kTimeBytes; ++i) {
    raw[i] = static_cast<unsigned char>(now >> (8 * (kTimeBytes - 1 - i)));
  }
  if (!randomBytes(raw.data() + kTimeBytes, kSaltBytes)) {
    SB_BUG("RAND_bytes failed for a nonce salt");
  }
  if (!nonceMac(secret_, raw.data(), client, raw.data() + kTimeBytes + kSaltBytes)) {
    SB_BUG("HMAC failed for a nonce");
  }
  return toHex(raw.data(), raw.size());
}

NonceStatus NonceService::check(std::string_view nonce, std::string_view client) const {
  if (nonce.size() != kNonceBytes * 2) {
    return NonceStatus::kInvalid;
  }
  std::array<unsigned char, kNonceBytes> raw{};
  for (std::size_t i = 0; i < kNonceBytes; ++i) {
    // We issue lower case only; anything else was not ours.
    char high = nonce[2 * i];
    char low = nonce[2 * i + 1];
    if ((high >= 'A' && high <= 'F') || (low >= 'A' && low <= 'F') || hexValue(high) < 0 ||
        hexValue(low) < 0) {
      return NonceStatus::kInvalid;
    }
    raw[i] = static_cast<unsigned char>(hexValue(high) * 16 + hexValue(low));
  }
  unsigned char mac[kMacBytes];
  if (!nonceMac(secret_, raw.data(), client, mac) ||
      CRYPTO_memcmp(mac, raw.data() + kTimeBytes + kSaltBytes, kMacBytes) != 0) {
    return NonceStatus::kInvalid;
  }
  std::uint64_t issuedBits = 0;
  for (std::size_t i = 0; i < kTimeBytes; ++i) {
    issuedBits = (issuedBits << 8) | raw[i];
  }
  auto issued = static_cast<UnixSeconds>(issuedBits);
  UnixSeconds now = clock_.now();
  if (issued > now) {
    // Ours, but from the future: the clock was set back. A fresh nonce costs the phone one
    // round trip and no password prompt.
    return NonceStatus::kStale;
  }
  // Unsigned: the difference of two int64 may not fit in one.
  std::uint64_t age = static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(issued);
  if (age > static_cast<std::uint64_t>(lifetime_.count())) {
    return NonceStatus::kStale;
  }
  return NonceStatus::kValid;
}

// ---- NonceCounts ----

NonceCounts::NonceCounts(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

bool NonceCounts::accept(std::string_view nonce, std::uint32_t nc) {
  if (nc == 0) {
    return false;
  }
  if (auto found = index_.find(nonce); found != index_.end()) {
    auto entry = found->second;
    // Strictly increasing: a request overtaken by a later one of the same client is refused too,
    // and the client retries after a fresh challenge.
    if (nc <= entry->highest) {
      return false;
    }
    entry->highest = nc;
    entries_.splice(entries_.begin(), entries_, entry);
    return true;
  }
  if (entries_.size() >= capacity_) {
    index_.erase(std::string_view(entries_.back().nonce));
    entries_.pop_back();
  }
  entries_.push_front(Entry{std::string(nonce), nc});
  index_.emplace(std::string_view(entries_.front().nonce), entries_.begin());
  return true;
}

std::optional<Challenge> pickChallenge(const std::vector<std::string_view>& values,
                                       std::string_view username, std::string_view password,
                                       std::string_view method, std::string_view uri) {
  std::vector<Challenge> usable;
  for (auto value : values) {
    auto challenge = parseChallenge(value);
    if (!challenge) continue;
    if (answerChallenge(*challenge, username, password, method, uri, "trial", 1))
      usable.push_back(std::move(*challenge));
  }
  auto sha = std::find_if(usable.begin(), usable.end(), [](const Challenge& c) {
    return c.algorithm == Algorithm::kSha256 || c.algorithm == Algorithm::kSha256Sess;
  });
  if (sha != usable.end()) return std::move(*sha);
  if (!usable.empty()) return std::move(usable.front());
  return std::nullopt;
}

}  // namespace sb::sip::digest
