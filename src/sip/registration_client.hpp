#pragma once
// Our own registration with a carrier (RFC 3261 §10.2), for outbound SIP trunks: REGISTER with
// our contact, answer the carrier's digest challenge (401 WWW-Authenticate -> Authorization, 407
// Proxy-Authenticate -> Proxy-Authorization), keep the binding refreshed before it expires, fail
// over between the carrier's addresses (RFC 3263 §4.3: on a timeout, 408 or 5xx), retry after
// failures with a doubling backoff, and unregister (Expires: 0) at shutdown.
//
// Runs on the SIP control loop with the TransactionLayer and Timers it is given; both must
// outlive the client. Destroying the client cancels its timers; responses and target answers
// that arrive afterwards are ignored.
//
// States (the table in registration_client.cpp):
//   unregistered -start-> registering -2xx-> registered -refresh 2xx-> registered
//                         registering -failure-> failed -backoff-> registering
//                         registered -refresh failure-> failed
//   registering/registered/failed -stop-> unregistering -finished or timed out-> unregistered
//   (stop with nothing registered and nothing in flight goes straight to unregistered)
//
// Refresh rule: a binding granted for G seconds is refreshed at max(G/2, G - refreshMargin)
// counted from when the REGISTER that obtained it was sent (the registrar started the binding's
// clock no earlier). With the default margin of 90 s a failed refresh still leaves time for two
// UDP transaction timeouts (2 x 32 s) and an answer from a third address before the binding
// lapses; short bindings are refreshed at half-time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/timers.hpp"
#include "sip/digest.hpp"
#include "sip/message.hpp"
#include "sip/peer.hpp"
#include "sip/transactions.hpp"

namespace sb::sip {

struct RegistrationOptions {
  std::string registrarUri;  // Request-URI and digest-uri, e.g. "sip:carrier.example"
  std::string aor;           // To and From, e.g. "sip:02150001234@carrier.example"
  std::string username;      // digest credentials; the username may differ from the AOR's user
  std::string password;
  std::string contactUri;  // bare URI, e.g. "sip:02150001234@203.0.113.5:5060" (no <>)
  std::string viaSentBy;   // "host:port" for our Via; its transport is the target's
  std::string userAgent = "switchboard";
  std::chrono::seconds expires{3600};      // asked for; raised for good by a 423's Min-Expires
  std::chrono::seconds refreshMargin{90};  // see the refresh rule above
  // Backoff after a failed attempt: retryMin (at least 1 s), doubling up to retryMax; a success
  // resets it. A 503's Retry-After lengthens it (up to retryMax).
  std::chrono::seconds retryMin{30};
  std::chrono::seconds retryMax{600};
  std::chrono::milliseconds stopTimeout{10'000};  // stop() gives up waiting after this
};

// Stable codes: registrationStateName() gives "unregistered", "registering", "registered",
// "failed", "unregistering".
enum class RegistrationState : std::uint8_t {
  kUnregistered,
  kRegistering,
  kRegistered,
  kFailed,
  kUnregistering,
};
std::string_view registrationStateName(RegistrationState state);

class RegistrationClient {
 public:
  // Supplies the carrier's addresses in the order to try them (e.g. from RFC 3263 resolution).
  // Asked at every attempt (first registration, refresh, retry); answers through the callback,
  // at once or later, on the control loop. An empty list fails the attempt.
  using TargetSource = std::function<void(std::function<void(std::vector<Peer>)>)>;

  RegistrationClient(TransactionLayer& transactions, Timers& timers, RegistrationOptions options,
                     TargetSource targets);
  ~RegistrationClient();
  RegistrationClient(const RegistrationClient&) = delete;
  RegistrationClient& operator=(const RegistrationClient&) = delete;

  // Starts registering; nothing happens unless the state is unregistered.
  void start();
  // Unregisters (Expires: 0, with credentials when the carrier challenged us) when a binding may
  // be alive, first letting a REGISTER in flight finish; `done` runs when the carrier answered,
  // the unregister failed, or stopTimeout passed, and at once when there is nothing to undo.
  // May be called again while stopping (every `done` runs); start() may follow once it is done.
  // `done` never runs if the client is destroyed first.
  void stop(std::function<void()> done = {});

  RegistrationState state() const { return state_; }
  // Why the last attempt failed ("403 Forbidden from 198.51.100.10:5060"); empty after a success.
  const std::string& lastError() const { return lastError_; }
  // The expiry the carrier granted the current binding; 0 s when not registered.
  std::chrono::seconds grantedExpires() const { return granted_; }
  // The address that accepted the current binding; requests to the trunk may prefer it.
  std::optional<Peer> registeredWith() const;
  // Called after every change of state(), on the control loop. May call stop().
  void onStateChange(std::function<void(RegistrationState)> listener) {
    listener_ = std::move(listener);
  }

 private:
  enum class Event : std::uint8_t;
  enum class Phase : std::uint8_t { kIdle, kResolving, kInFlight, kWaiting };
  struct Auth {
    digest::Challenge challenge;
    std::uint32_t nc = 0;    // requests made with this nonce
    bool fresh = false;      // taken from the last response: the next request answers it
    bool sentFresh = false;  // the request in flight answered a challenge just received
  };

  void transition(Event event);
  void beginAttempt();
  void resolved(std::vector<Peer> peers);
  void sendRegister();
  void sendUnregister();
  void send(std::string bytes, const Peer& to);
  std::string buildRequest(const Peer& to, std::chrono::seconds expires);
  void onResponse(const Message* response);
  void onResponseWhileStopping(const Message* response);
  void onUnregisterResponse(const Message* response);
  void succeeded(const Message& response);
  // Keeps the challenge of a 401/407 for the next request; the error says why it cannot be
  // answered (no usable challenge, or our fresh answer to the same challenge was refused).
  std::optional<std::string> absorbChallenge(const Message& response);
  void intervalTooBrief(const Message& response);
  void targetFailed(std::string why);
  void attemptFailed(std::string why);
  void finishStop();
  std::string describe(const Message& response) const;
  bool bindingAlive() const;

  TransactionLayer& transactions_;
  Timers& timers_;
  RegistrationOptions options_;
  TargetSource targets_;
  std::function<void(RegistrationState)> listener_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // weakly held by callbacks

  const std::string callId_;
  const std::string fromTag_;
  std::uint32_t cseq_ = 0;
  std::chrono::seconds expires_;  // asked for in every REGISTER but the unregister

  RegistrationState state_ = RegistrationState::kUnregistered;
  Phase phase_ = Phase::kIdle;
  std::uint64_t generation_ = 0;  // bumped to drop answers of abandoned requests
  std::string lastError_;
  std::chrono::seconds granted_{0};
  unsigned failures_ = 0;  // attempts failed in a row: the backoff exponent

  // The attempt in progress.
  std::vector<Peer> peers_;
  std::size_t peerIndex_ = 0;
  bool staleRetried_ = false;
  int intervalRetries_ = 0;
  bool unregistering_ = false;  // the request in flight is the Expires: 0 one
  Peer current_;                // where the request in flight went
  Timers::Clock::time_point sentAt_{};
  std::optional<std::chrono::seconds> retryAfter_;  // the longest 503 Retry-After this attempt

  std::optional<Auth> wwwAuth_;
  std::optional<Auth> proxyAuth_;

  std::optional<Peer> lastGood_;
  Timers::Clock::time_point bindingExpiresAt_{};
  Timers::Id timer_ = 0;      // refresh or retry
  Timers::Id stopTimer_ = 0;  // stop() deadline
  bool stopping_ = false;
  std::vector<std::function<void()>> stopWaiters_;
};

}  // namespace sb::sip
