#pragma once
// SIP digest authentication (RFC 3261 §22 with RFC 7616 as applied by RFC 8760): MD5 and SHA-256
// and their -sess variants, for the registrar (challenge, verify) and for our own REGISTER to
// carriers (answer a challenge).
//
// The functions work on header VALUES, the text after "WWW-Authenticate:" or "Authorization:",
// with folded lines already joined, so that this module depends on nothing but sb_core and
// OpenSSL and can be fuzzed alone.
//
// The registrar's flow for a request that carries Authorization (or Proxy-Authorization):
//   1. parseCredentials(value); isOtherScheme(error) -> 401 with a fresh challenge, other
//      errors -> 400.
//   2. Look the user up by credentials.username; answer an unknown user as a wrong password, so
//      that accounts cannot be enumerated.
//   3. verify(credentials, policy, Secret::password(user.sipPassword), method); false -> 401
//      with a fresh challenge (or 403).
//   4. nonces.check(credentials.nonce, client): kInvalid -> 401 fresh challenge; kStale -> 401
//      with stale=true (RFC 7616 §3.3: stale only when the response itself was right, hence
//      after step 3); kValid -> go on.
//   5. With qop, NonceCounts::accept(nonce, nc) refuses a replayed request.

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"

namespace sb::sip::digest {

// Header values longer than this are refused before parsing: real ones are a few hundred bytes.
inline constexpr std::size_t kMaxValueLength = 4096;

enum class Algorithm : std::uint8_t { kMd5, kMd5Sess, kSha256, kSha256Sess };

// "MD5", "MD5-sess", "SHA-256", "SHA-256-sess": the spelling of RFC 7616 §6.1.
std::string_view algorithmName(Algorithm algorithm);
// Case-insensitive; nullopt for anything else (SHA-512-256, AKAv1-MD5...).
std::optional<Algorithm> parseAlgorithm(std::string_view name);
// Hex length of a hash under `algorithm`: 32 for MD5, 64 for SHA-256.
std::size_t hexLength(Algorithm algorithm);

// A user's secret as the caller holds it: the plain password, or HA1 = H(username:realm:password)
// computed beforehand with ha1() for one algorithm, so that a store need not keep the password.
// Borrows its text.
struct Secret {
  enum class Kind : std::uint8_t { kPassword, kHa1 };
  Kind kind = Kind::kPassword;
  std::string_view value;

  static Secret password(std::string_view password) { return {Kind::kPassword, password}; }
  static Secret ha1(std::string_view hex) { return {Kind::kHa1, hex}; }
};

// Everything a digest response is computed from. Borrows its text: build it just before the call
// (string_views also keep it clear of g++ 12's double destruction of string aggregates created in
// co_await expressions).
struct DigestInput {
  std::string_view username;
  std::string_view realm;
  Secret secret;
  std::string_view method;  // "REGISTER", "INVITE"...
  std::string_view uri;     // the digest-uri as sent, unquoted
  std::string_view nonce;
  std::string_view nc;      // 8 hex digits exactly as sent; with qop only
  std::string_view cnonce;  // with qop, and for the -sess algorithms
  std::string_view qop;     // "auth", "auth-int", or empty for RFC 2069 clients
  std::string_view body;    // the message body, hashed for qop=auth-int only
};

// H(username:realm:password), lower-case hex: what a store keeps instead of the password. For the
// -sess algorithms this is the hash before the nonce and cnonce are folded in.
std::string ha1(Algorithm algorithm, std::string_view username, std::string_view realm,
                std::string_view password);

// The request-digest of RFC 7616 §3.4.1 (RFC 2069's when qop is empty), lower-case hex.
std::string computeResponse(Algorithm algorithm, const DigestInput& input);

// A parsed Authorization / Proxy-Authorization value, unquoted and unescaped.
struct Credentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  Algorithm algorithm = Algorithm::kMd5;  // MD5 when the parameter is absent (RFC 7616 §3.4)
  std::string cnonce;
  std::string opaque;
  std::string qop;  // "auth", "auth-int", another token, or empty (RFC 2069)
  std::string nc;   // 8 hex digits as sent when qop is present, else empty
  bool operator==(const Credentials&) const = default;
};

// A parsed or to-be-sent WWW-Authenticate / Proxy-Authenticate value.
struct Challenge {
  std::string realm;
  std::string domain;  // space-separated URIs, kept as sent
  std::string nonce;
  std::string opaque;
  Algorithm algorithm = Algorithm::kMd5;
  std::vector<std::string> qop;  // "auth", "auth-int"...; empty: RFC 2069 style
  bool stale = false;
  bool operator==(const Challenge&) const = default;
};

// Parses `Digest username="...", realm="...", ...`. The scheme and parameter names are
// case-insensitive, parameters come in any order, values are quoted strings (backslash escapes
// undone) or bare tokens, spaces and tabs may surround '=' and ','. Unknown parameters are
// ignored. Errors: kInvalidArgument naming the parameter at fault in `field` (duplicate, missing
// username/realm/nonce/uri/response, unknown algorithm, qop without cnonce and nc, malformed nc,
// userhash) or "value" for bad syntax and values over kMaxValueLength; kUnauthenticated with
// field "scheme" when the value is well formed but not Digest: see isOtherScheme().
Result<Credentials> parseCredentials(std::string_view value);

// Parses `Digest realm="...", nonce="...", ...`: realm and nonce required; qop is a quoted list;
// stale is true only for "true" in any case (RFC 2617 §3.2.1: anything else counts as false). An
// unknown algorithm is an error: a client then tries the server's other challenges (RFC 8760 §2.4).
Result<Challenge> parseChallenge(std::string_view value);

// True for the error parseCredentials/parseChallenge return for another scheme (Basic, Bearer):
// the registrar answers it with a fresh challenge, not 400.
bool isOtherScheme(const Error& error);

// `Digest realm="switchboard", nonce="...", opaque="...", algorithm=SHA-256, qop="auth"`, then
// domain and stale=true when set; opaque and qop only when non-empty.
std::string formatChallenge(const Challenge& challenge);

// `Digest username="...", realm="...", nonce="...", uri="...", response="...", algorithm=MD5`,
// then cnonce, opaque, qop and nc when set. Values must not hold control characters other than
// tab (parsed values never do); such characters are dropped.
std::string formatCredentials(const Credentials& credentials);

// Our answer to a carrier's challenge: qop=auth when offered, else auth-int over `body`, else
// RFC 2069 style when the challenge lists no qop. `nc` counts the requests made with this nonce,
// from 1. Fails when the challenge offers only qop values we do not know, or nc is 0.
Result<Credentials> answerChallenge(const Challenge& challenge, std::string_view username,
                                    std::string_view password, std::string_view method,
                                    std::string_view uri, std::string_view cnonce, std::uint32_t nc,
                                    std::string_view body = {});

// RFC 8760 §2.4: of several challenges (the values of a response's WWW-Authenticate or
// Proxy-Authenticate lines) the one to answer: SHA-256 when offered, else the first we can
// answer. An unknown algorithm or qop makes a challenge unusable, not the response.
std::optional<Challenge> pickChallenge(const std::vector<std::string_view>& values,
                                       std::string_view username, std::string_view password,
                                       std::string_view method, std::string_view uri);

// A fresh client nonce: 128 random bits, hex.
std::string newCnonce();

// 1 for "00000001": the nonce-count of credentials, nullopt unless exactly 8 hex digits.
std::optional<std::uint32_t> parseNonceCount(std::string_view nc);

// What the registrar challenged with and accepts.
struct ServerPolicy {
  std::string realm = "switchboard";
  // Every algorithm the registrar offered a challenge for (RFC 8760 §2.4: one
  // WWW-Authenticate per algorithm, preferred first); credentials with another are refused.
  std::vector<Algorithm> algorithms = {Algorithm::kSha256, Algorithm::kMd5};
  // RFC 2069 credentials (no qop, so no cnonce and no nonce-count replay check) from old phones.
  bool allowNoQop = false;
};

// True when `credentials` answer a challenge made under `policy` for a user whose secret is
// `secret`: realm and algorithm are the challenged ones, qop is "auth" (or absent when the policy
// allows it) and the response matches, compared in constant time (CRYPTO_memcmp). Upper-case hex
// in the response is accepted. It does not judge the nonce (NonceService) nor the digest-uri
// against the Request-URI (the registrar's call: proxies and NATs rewrite it).
bool verify(const Credentials& credentials, const ServerPolicy& policy, Secret secret,
            std::string_view method);

enum class NonceStatus : std::uint8_t {
  kValid,
  kStale,    // ours and untampered but older than the lifetime: answer 401 with stale=true
  kInvalid,  // malformed, forged, or bound to another client: answer 401 with a fresh nonce
};

// Stateless nonces: hex of issue time (8 bytes), random salt (8 bytes) and the first 16 bytes of
// HMAC-SHA256(secret, time | salt | client). Nothing is stored per nonce, so a restart with a new
// random secret merely makes phones re-authenticate. The salt makes every nonce unique, which
// NonceCounts relies on. Immutable after construction, so safe to use from any thread.
class NonceService {
 public:
  static constexpr std::chrono::seconds kDefaultLifetime{300};

  // An empty `secret` is replaced by 32 bytes from RAND_bytes (std::runtime_error if the random
  // generator fails: this runs at start-up).
  explicit NonceService(const Clock& clock, std::chrono::seconds lifetime = kDefaultLifetime,
                        std::string secret = {});
  ~NonceService();
  NonceService(const NonceService&) = delete;
  NonceService& operator=(const NonceService&) = delete;

  // `client`, when given (e.g. the source IP), binds the nonce to it: check() must get the same.
  std::string issue(std::string_view client = {}) const;
  NonceStatus check(std::string_view nonce, std::string_view client = {}) const;

  std::chrono::seconds lifetime() const { return lifetime_; }

 private:
  const Clock& clock_;
  std::chrono::seconds lifetime_;
  std::string secret_;
};

// Replay protection: the highest nonce-count accepted for each of the most recently used nonces,
// at most `capacity` of them (least recently used forgotten first). A forgotten nonce accepts any
// count again, so size it for the requests authenticated within one nonce lifetime.
// Owned by the registrar and used only on the SIP control loop: no locks.
class NonceCounts {
 public:
  static constexpr std::size_t kDefaultCapacity = 8192;

  explicit NonceCounts(std::size_t capacity = kDefaultCapacity);
  NonceCounts(const NonceCounts&) = delete;
  NonceCounts& operator=(const NonceCounts&) = delete;

  // True, and remembered, when `nc` is above every count accepted with `nonce`; false for a
  // replay (equal or lower) and for 0. Call it only for verified credentials, so that strangers
  // cannot flush the table.
  bool accept(std::string_view nonce, std::uint32_t nc);
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string nonce;
    std::uint32_t highest = 0;
  };
  std::size_t capacity_;
  std::list<Entry> entries_;  // most recently used first
  // Keys view the nonce strings inside entries_, whose nodes never move.
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
};

}  // namespace sb::sip::digest
