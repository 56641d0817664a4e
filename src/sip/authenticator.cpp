#include "sip/authenticator.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/logging.hpp"

namespace sb::sip {

namespace {

void tell(const Authenticator::Outcome& outcome, AuthOutcome result) {
  if (outcome) outcome(result);
}

}  // namespace

Authenticator::Authenticator(SipCore& core, const Clock& wall, CredentialSource& credentials,
                             Guard& guard, AuthOptions options)
    : core_(core),
      credentials_(credentials),
      guard_(guard),
      options_(std::move(options)),
      nonces_(wall) {
  policy_.realm = options_.realm;
  policy_.algorithms = options_.algorithms;
}

void Authenticator::challenge(ServerTxId tx, AuthScheme scheme, bool stale,
                              const Outcome& outcome) {
  std::string nonce = nonces_.issue();
  bool proxy = scheme == AuthScheme::kProxy;
  core_.respond(tx, proxy ? 407 : 401, {}, [&](MessageBuilder& b) {
    // RFC 8760 §2.4: one challenge per algorithm, the preferred first.
    for (auto algorithm : options_.algorithms) {
      digest::Challenge c;
      c.realm = options_.realm;
      c.nonce = nonce;
      c.algorithm = algorithm;
      c.qop = {"auth"};
      c.stale = stale;
      b.header(proxy ? HeaderId::kProxyAuthenticate : HeaderId::kWwwAuthenticate,
               digest::formatChallenge(c));
    }
  });
  tell(outcome, stale ? AuthOutcome::kStale : AuthOutcome::kChallenged);
}

void Authenticator::authenticate(ServerTxId tx, const Message& request, const Peer& from,
                                 AuthScheme scheme, const std::string& user,
                                 Authenticated authenticated, Outcome outcome) {
  auto header = request.header(scheme == AuthScheme::kProxy ? HeaderId::kProxyAuthorization
                                                            : HeaderId::kAuthorization);
  if (!header) {
    challenge(tx, scheme, false, outcome);
    return;
  }
  auto credentials = digest::parseCredentials(*header);
  if (!credentials) {
    if (digest::isOtherScheme(credentials.error())) {
      challenge(tx, scheme, false, outcome);  // e.g. Basic: offer Digest instead (RFC 4475 §3.3.7)
    } else {
      core_.respond(tx, 400, "Malformed Authorization");
      tell(outcome, AuthOutcome::kBad);
    }
    return;
  }
  if (credentials->realm != options_.realm) {
    challenge(tx, scheme, false, outcome);
    return;
  }
  credentials_.lookup(user, [this, tx, from, scheme, user, creds = std::move(*credentials),
                             authenticated = std::move(authenticated),
                             outcome = std::move(outcome)](std::optional<std::string> password) {
    const Message* req = core_.request(tx);
    if (req == nullptr) return;
    // Unknown users go through the same computation as known ones and get the same answer.
    bool known = password.has_value();
    std::string secret = password.value_or(randomToken(24));
    bool verified =
        creds.username == user &&
        digest::verify(creds, policy_, digest::Secret::password(secret), req->methodText());
    if (!verified || !known) {
      guard_.authFailed(from.address);
      spdlog::info("sip {} refused user=\"{}\" from={}", req->methodText(), loggable(user),
                   describePeer(from));
      core_.respond(tx, 403);
      tell(outcome, AuthOutcome::kForbidden);
      return;
    }
    auto status = nonces_.check(creds.nonce);
    if (status != digest::NonceStatus::kValid) {
      challenge(tx, scheme, status == digest::NonceStatus::kStale, outcome);
      return;
    }
    auto nc = digest::parseNonceCount(creds.nc);
    if (!creds.qop.empty() && (!nc || !nonceCounts_.accept(creds.nonce, *nc))) {
      challenge(tx, scheme, false, outcome);  // a replayed nonce count
      return;
    }
    guard_.authSucceeded(from.address);
    tell(outcome, AuthOutcome::kOk);
    authenticated(*req);
  });
}

}  // namespace sb::sip
