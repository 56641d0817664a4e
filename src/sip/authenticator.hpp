#pragma once
// Digest authentication of requests (RFC 3261 §22, RFC 8760): the registrar's REGISTERs (401,
// WWW-Authenticate) and calls from phones (407, Proxy-Authenticate). Stateless nonces, stale
// nonces re-challenged, replayed nonce counts refused. Unknown users and wrong passwords get the
// same 403 after the same work, and count towards the source's ban in the Guard.

#include <functional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "sip/core.hpp"
#include "sip/digest.hpp"
#include "sip/guard.hpp"

namespace sb::sip {

// Where SIP passwords come from (the store, through a cache).
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // Calls `done` on the SIP loop (possibly at once) with the user's SIP password, or nullopt for
  // a user that does not exist.
  virtual void lookup(const std::string& username,
                      std::function<void(std::optional<std::string>)> done) = 0;
};

struct AuthOptions {
  std::string realm = "switchboard";
  std::vector<digest::Algorithm> algorithms = {digest::Algorithm::kSha256, digest::Algorithm::kMd5};
};

enum class AuthScheme : std::uint8_t { kWww, kProxy };  // 401 or 407
enum class AuthOutcome : std::uint8_t { kChallenged, kStale, kForbidden, kBad, kOk };

class Authenticator {
 public:
  using Authenticated = std::function<void(const Message& request)>;
  using Outcome = std::function<void(AuthOutcome)>;

  Authenticator(SipCore& core, const Clock& wall, CredentialSource& credentials, Guard& guard,
                AuthOptions options);

  // Checks that the request carries valid credentials of `user`; answers it (challenge, 400,
  // 403) unless they are, else calls `authenticated` with the request (possibly later, after
  // the password lookup). `outcome` hears every result.
  void authenticate(ServerTxId tx, const Message& request, const Peer& from, AuthScheme scheme,
                    const std::string& user, Authenticated authenticated, Outcome outcome = {});

 private:
  void challenge(ServerTxId tx, AuthScheme scheme, bool stale, const Outcome& outcome);

  SipCore& core_;
  CredentialSource& credentials_;
  Guard& guard_;
  AuthOptions options_;
  digest::NonceService nonces_;
  digest::NonceCounts nonceCounts_;
  digest::ServerPolicy policy_;
};

}  // namespace sb::sip
