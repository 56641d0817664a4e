#include "sip/registration_client.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/logging.hpp"
#include "sip/builder.hpp"
#include "sip/headers.hpp"
#include "sip/uri.hpp"

namespace sb::sip {

enum class RegistrationClient::Event : std::uint8_t {
  kStart,      // start()
  kSucceeded,  // a 2xx to a REGISTER (first or refresh)
  kFailed,     // every address failed, or one failed for good (403, wrong password...)
  kRetry,      // the backoff after a failure ran out
  kStop,       // stop() with a binding to undo or a REGISTER in flight
  kAbort,      // stop() with nothing to undo
  kStopped,    // the unregister finished, failed or timed out
};

namespace {

using State = RegistrationState;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::array<std::string_view, 5> kStateNames = {"unregistered", "registering",
                                                         "registered", "failed", "unregistering"};

bool samePeer(const Peer& a, const Peer& b) {
  return a.transport == b.transport && a.address == b.address && a.port == b.port;
}

// The expiry granted to `contact` (RFC 3261 §10.2.4): its Contact's expires parameter, else the
// Expires header, else what we asked for.
seconds grantedExpiry(const Message& response, std::string_view contact, seconds asked) {
  auto ours = parseUri(contact);
  if (ours) {
    for (auto value : response.headerValues(HeaderId::kContact)) {
      auto addr = parseNameAddr(value);
      if (!addr || !sameUri(addr->uri, *ours)) continue;
      if (auto p = findParam(addr->params, "expires")) {
        if (auto n = parseNumber(*p, 0xffffffff)) return seconds(*n);
      }
      break;
    }
  }
  if (auto e = response.header(HeaderId::kExpires)) {
    if (auto n = parseNumber(*e, 0xffffffff)) return seconds(*n);
  }
  return asked;
}

// "120", "120 (maintenance)", "120;duration=3600": the leading delta-seconds (RFC 3261 §20.33).
std::optional<seconds> retryAfter(const Message& response) {
  auto value = response.header(HeaderId::kRetryAfter);
  if (!value) return std::nullopt;
  auto end = value->find_first_of(" \t;(");
  auto n = parseNumber(value->substr(0, end), 0xffffffff);
  if (!n) return std::nullopt;
  return seconds(*n);
}

// See the refresh rule in the header.
milliseconds refreshDelay(seconds granted, seconds margin) {
  milliseconds g = granted;
  return std::max<milliseconds>(g / 2, g - milliseconds(margin));
}

}  // namespace

std::string_view registrationStateName(RegistrationState state) {
  auto i = static_cast<std::size_t>(state);
  return i < kStateNames.size() ? kStateNames[i] : "unknown";
}

RegistrationClient::RegistrationClient(TransactionLayer& transactions, Timers& timers,
                                       RegistrationOptions options, TargetSource targets)
    : transactions_(transactions),
      timers_(timers),
      options_(std::move(options)),
      targets_(std::move(targets)),
      callId_(randomToken(24)),
      fromTag_(randomToken(12)),
      expires_(options_.expires) {}

RegistrationClient::~RegistrationClient() {
  // Callbacks held by the transaction layer and the target source see alive_ expire.
  timers_.cancel(timer_);
  timers_.cancel(stopTimer_);
}

void RegistrationClient::transition(Event event) {
  struct Row {
    State from;
    Event event;
    State to;
  };
  static constexpr Row kTable[] = {
      {State::kUnregistered, Event::kStart, State::kRegistering},
      {State::kRegistering, Event::kSucceeded, State::kRegistered},
      {State::kRegistered, Event::kSucceeded, State::kRegistered},
      {State::kRegistering, Event::kFailed, State::kFailed},
      {State::kRegistered, Event::kFailed, State::kFailed},
      {State::kFailed, Event::kRetry, State::kRegistering},
      {State::kRegistering, Event::kStop, State::kUnregistering},
      {State::kRegistered, Event::kStop, State::kUnregistering},
      {State::kFailed, Event::kStop, State::kUnregistering},
      {State::kRegistering, Event::kAbort, State::kUnregistered},
      {State::kFailed, Event::kAbort, State::kUnregistered},
      {State::kUnregistering, Event::kStopped, State::kUnregistered},
  };
  auto row = std::find_if(std::begin(kTable), std::end(kTable),
                          [&](const Row& r) { return r.from == state_ && r.event == event; });
  if (row == std::end(kTable)) {
    SB_BUG(fmt::format("registration: event {} in state {}", static_cast<int>(event),
                       registrationStateName(state_)));
    return;
  }
  if (row->to == state_) return;
  spdlog::info("sip registration aor={} state={} -> {}", options_.aor,
               registrationStateName(state_), registrationStateName(row->to));
  state_ = row->to;
  if (listener_) listener_(state_);
}

void RegistrationClient::start() {
  if (state_ != State::kUnregistered) return;
  failures_ = 0;
  lastError_.clear();
  transition(Event::kStart);
  if (state_ == State::kRegistering) beginAttempt();  // unless the listener stopped us
}

void RegistrationClient::beginAttempt() {
  phase_ = Phase::kResolving;
  peers_.clear();
  peerIndex_ = 0;
  retryAfter_.reset();
  auto generation = ++generation_;
  if (!targets_) {
    resolved({});
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  targets_([this, alive, generation](std::vector<Peer> peers) {
    if (alive.expired() || generation != generation_ || phase_ != Phase::kResolving) return;
    resolved(std::move(peers));
  });
}

void RegistrationClient::resolved(std::vector<Peer> peers) {
  if (peers.empty()) {
    attemptFailed(fmt::format("no address for the registrar {}", options_.registrarUri));
    return;
  }
  // The address that holds our binding comes first: carriers rarely share bindings between
  // their servers, and moving would leave one behind until it expires.
  if (lastGood_) {
    auto it = std::find_if(peers.begin(), peers.end(),
                           [&](const Peer& p) { return samePeer(p, *lastGood_); });
    if (it != peers.end()) std::rotate(peers.begin(), it, it + 1);
  }
  peers_ = std::move(peers);
  peerIndex_ = 0;
  staleRetried_ = false;
  intervalRetries_ = 0;
  sendRegister();
}

void RegistrationClient::sendRegister() {
  unregistering_ = false;
  const Peer to = peers_[peerIndex_];
  send(buildRequest(to, expires_), to);
}

void RegistrationClient::sendUnregister() {
  unregistering_ = true;
  staleRetried_ = false;
  const Peer to = *lastGood_;
  send(buildRequest(to, seconds(0)), to);
}

void RegistrationClient::send(std::string bytes, const Peer& to) {
  phase_ = Phase::kInFlight;
  current_ = to;
  sentAt_ = timers_.now();
  auto generation = ++generation_;
  std::weak_ptr<bool> alive = alive_;
  auto id = transactions_.sendRequest(std::move(bytes), to,
                                      [this, alive, generation](const ClientEvent& event) {
                                        if (alive.expired() || generation != generation_) return;
                                        if (event.response && event.response->statusCode() < 200)
                                          return;
                                        onResponse(event.response);
                                      });
  if (id == 0) {
    // The transaction layer refused our own request (reported as a bug there): never wait.
    ++generation_;
    onResponse(nullptr);
  }
}

std::string RegistrationClient::buildRequest(const Peer& to, seconds expires) {
  auto b = MessageBuilder::request("REGISTER", options_.registrarUri);
  b.header(HeaderId::kVia, fmt::format("SIP/2.0/{} {};branch={};rport", transportName(to.transport),
                                       options_.viaSentBy, newBranch()));
  b.header(HeaderId::kMaxForwards, "70");
  b.header(HeaderId::kTo, fmt::format("<{}>", options_.aor));
  b.header(HeaderId::kFrom, fmt::format("<{}>;tag={}", options_.aor, fromTag_));
  b.header(HeaderId::kCallId, callId_);
  b.header(HeaderId::kCSeq, fmt::format("{} REGISTER", ++cseq_));
  // Both forms: some carriers read only the header, others only the parameter.
  b.header(HeaderId::kContact,
           fmt::format("<{}>;expires={}", options_.contactUri, expires.count()));
  b.header(HeaderId::kExpires, std::to_string(expires.count()));
  for (auto [slot, header] : {std::pair{&wwwAuth_, HeaderId::kAuthorization},
                              std::pair{&proxyAuth_, HeaderId::kProxyAuthorization}}) {
    if (!*slot) continue;
    Auth& auth = **slot;
    // Later requests reuse the nonce with the next nonce-count (saving a round trip); the
    // carrier answers a nonce it no longer takes with a new challenge.
    auth.sentFresh = auth.fresh;
    auth.fresh = false;
    ++auth.nc;
    auto credentials =
        digest::answerChallenge(auth.challenge, options_.username, options_.password, "REGISTER",
                                options_.registrarUri, digest::newCnonce(), auth.nc);
    if (credentials) b.header(header, digest::formatCredentials(*credentials));
  }
  b.header(HeaderId::kUserAgent, options_.userAgent);
  return b.build();
}

void RegistrationClient::onResponse(const Message* response) {
  if (unregistering_) {
    onUnregisterResponse(response);
    return;
  }
  if (stopping_) {
    onResponseWhileStopping(response);
    return;
  }
  if (!response) {
    targetFailed(fmt::format("no answer from {}", peerAddress(current_)));
    return;
  }
  int status = response->statusCode();
  if (status < 300) {
    succeeded(*response);
  } else if (status == 401 || status == 407) {
    if (auto error = absorbChallenge(*response)) {
      attemptFailed(std::move(*error));
    } else {
      sendRegister();
    }
  } else if (status == 423) {
    intervalTooBrief(*response);
  } else if (status == 408 || (status >= 500 && status < 600)) {
    // RFC 3263 §4.3: another address of the same carrier may serve us.
    if (auto after = retryAfter(*response); after && status == 503) {
      retryAfter_ = std::max(retryAfter_.value_or(seconds(0)), *after);
    }
    targetFailed(describe(*response));
  } else {
    // 403, 404, 6xx, redirects (not followed): the carrier's final word, whichever address.
    attemptFailed(describe(*response));
  }
}

void RegistrationClient::onResponseWhileStopping(const Message* response) {
  // stop() came while this REGISTER was in flight: whatever it achieved is undone.
  if (response && response->statusCode() < 300) {
    auto granted = grantedExpiry(*response, options_.contactUri, expires_);
    lastGood_ = current_;
    bindingExpiresAt_ = sentAt_ + granted;
  } else if (response && (response->statusCode() == 401 || response->statusCode() == 407)) {
    (void)absorbChallenge(*response);  // so that the unregister of a live binding is answered
  }
  if (bindingAlive()) {
    sendUnregister();
  } else {
    finishStop();
  }
}

void RegistrationClient::onUnregisterResponse(const Message* response) {
  int status = response ? response->statusCode() : 0;
  if (status == 401 || status == 407) {
    auto error = absorbChallenge(*response);
    if (!error) {
      send(buildRequest(current_, seconds(0)), current_);
      return;
    }
    spdlog::warn("sip unregister failed aor={}: {}", options_.aor, *error);
  } else if (!response) {
    spdlog::warn("sip unregister failed aor={}: no answer from {}", options_.aor,
                 peerAddress(current_));
  } else if (status >= 300) {
    spdlog::warn("sip unregister failed aor={}: {}", options_.aor, describe(*response));
  }
  finishStop();
}

void RegistrationClient::succeeded(const Message& response) {
  auto granted = grantedExpiry(response, options_.contactUri, expires_);
  if (granted == seconds(0)) {
    attemptFailed(describe(response) + " but granted our contact no time");
    return;
  }
  granted_ = granted;
  lastGood_ = current_;
  bindingExpiresAt_ = sentAt_ + granted;
  failures_ = 0;
  lastError_.clear();
  auto elapsed = std::chrono::duration_cast<milliseconds>(timers_.now() - sentAt_);
  auto delay = std::max(milliseconds(0), refreshDelay(granted, options_.refreshMargin) - elapsed);
  phase_ = Phase::kWaiting;
  timer_ = timers_.start(delay, [this] {
    timer_ = 0;
    beginAttempt();
  });
  spdlog::debug("sip registered with={} aor={} expires={} refresh_in={}ms", peerAddress(current_),
                options_.aor, granted.count(), delay.count());
  transition(Event::kSucceeded);
}

std::optional<std::string> RegistrationClient::absorbChallenge(const Message& response) {
  bool proxy = response.statusCode() == 407;
  auto& slot = proxy ? proxyAuth_ : wwwAuth_;
  auto challenge = digest::pickChallenge(
      response.headerLines(proxy ? HeaderId::kProxyAuthenticate : HeaderId::kWwwAuthenticate),
      options_.username, options_.password, "REGISTER", options_.registrarUri);
  if (!challenge) return describe(response) + " without a digest challenge we can answer";
  if (slot && slot->sentFresh) {
    // We answered this very challenge in the request just refused: the credentials are wrong,
    // unless the nonce merely went stale on the way (answered once more).
    if (!challenge->stale || staleRetried_) {
      return fmt::format("{}: credentials of \"{}\" refused for realm \"{}\"", describe(response),
                         loggable(options_.username), loggable(challenge->realm));
    }
    staleRetried_ = true;
  }
  slot = Auth{std::move(*challenge), 0, true, false};
  return std::nullopt;
}

void RegistrationClient::intervalTooBrief(const Message& response) {
  auto header = response.header(HeaderId::kMinExpires);
  auto minimum = header ? parseNumber(*header, 0xffffffff) : std::nullopt;
  // A Min-Expires not above what we asked for would loop: the carrier's error.
  if (!minimum || seconds(*minimum) <= expires_ || ++intervalRetries_ > 2) {
    attemptFailed(fmt::format("{} (Min-Expires {})", describe(response),
                              header ? loggable(*header, 16) : std::string("missing")));
    return;
  }
  spdlog::info("sip registration aor={} expires {}s -> {}s (423 from {})", options_.aor,
               expires_.count(), *minimum, peerAddress(current_));
  expires_ = seconds(*minimum);
  sendRegister();
}

void RegistrationClient::targetFailed(std::string why) {
  spdlog::info("sip registration aor={} target failed: {}", options_.aor, why);
  if (++peerIndex_ < peers_.size()) {
    staleRetried_ = false;
    intervalRetries_ = 0;
    sendRegister();
    return;
  }
  if (peers_.size() > 1) why += fmt::format(" (all {} addresses failed)", peers_.size());
  attemptFailed(std::move(why));
}

void RegistrationClient::attemptFailed(std::string why) {
  lastError_ = std::move(why);
  granted_ = seconds(0);
  ++failures_;
  seconds delay = options_.retryMin;
  for (unsigned i = 1; i < failures_ && delay < options_.retryMax; ++i)
    delay *= 2;
  delay = std::clamp(delay, seconds(1), std::max(options_.retryMax, seconds(1)));
  if (retryAfter_) delay = std::max(delay, std::min(*retryAfter_, options_.retryMax));
  phase_ = Phase::kWaiting;
  timer_ = timers_.start(delay, [this] {
    timer_ = 0;
    transition(Event::kRetry);
    if (state_ == State::kRegistering) beginAttempt();
  });
  spdlog::warn("sip registration failed aor={} retry_in={}s: {}", options_.aor, delay.count(),
               lastError_);
  transition(Event::kFailed);
}

void RegistrationClient::stop(std::function<void()> done) {
  if (done) stopWaiters_.push_back(std::move(done));
  if (stopping_) return;
  if (state_ == State::kUnregistered) {
    finishStop();
    return;
  }
  stopping_ = true;
  timers_.cancel(timer_);
  timer_ = 0;
  if (phase_ != Phase::kInFlight) {
    ++generation_;  // a target lookup in progress is dropped
    if (!bindingAlive()) {
      finishStop();
      return;
    }
    sendUnregister();
  }
  stopTimer_ = timers_.start(options_.stopTimeout, [this] {
    stopTimer_ = 0;
    spdlog::warn("sip unregister aor={} timed out after {}ms", options_.aor,
                 options_.stopTimeout.count());
    finishStop();
  });
  transition(Event::kStop);
}

void RegistrationClient::finishStop() {
  timers_.cancel(timer_);
  timers_.cancel(stopTimer_);
  timer_ = stopTimer_ = 0;
  ++generation_;
  stopping_ = false;
  unregistering_ = false;
  phase_ = Phase::kIdle;
  granted_ = seconds(0);
  bindingExpiresAt_ = {};
  auto waiters = std::move(stopWaiters_);
  stopWaiters_.clear();
  if (state_ == State::kUnregistering) {
    transition(Event::kStopped);
  } else if (state_ != State::kUnregistered) {
    transition(Event::kAbort);
  }
  // Last: a waiter may destroy the client.
  for (auto& waiter : waiters)
    waiter();
}

std::optional<Peer> RegistrationClient::registeredWith() const {
  if (state_ != State::kRegistered) return std::nullopt;
  return lastGood_;
}

std::string RegistrationClient::describe(const Message& response) const {
  return fmt::format("{} {} from {}", response.statusCode(), loggable(response.reasonPhrase()),
                     peerAddress(current_));
}

bool RegistrationClient::bindingAlive() const {
  return lastGood_.has_value() && timers_.now() < bindingExpiresAt_;
}

}  // namespace sb::sip
