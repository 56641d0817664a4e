#include "sip/user_agent.hpp"

#include <algorithm>

#include <boost/unordered/unordered_flat_map.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/logging.hpp"
#include "core/text.hpp"
#include "sip/digest.hpp"
#include "sip/headers.hpp"
#include "sip/syntax.hpp"

namespace sb::sip {

namespace {

using std::chrono::milliseconds;

std::string keyOf(const DialogId& id) {
  return concat(id.callId, '|', id.localTag, '|', id.remoteTag);
}

std::string_view toTag(const Message& m) {
  return nameAddrTag(m.header(HeaderId::kTo).value_or(""));
}

bool lists(const Message& m, HeaderId id, std::string_view tag) {
  for (auto value : m.headerValues(id)) {
    if (iequals(value, tag)) return true;
  }
  return false;
}

std::uint32_t cseqNumber(const Message& m) {
  auto cseq = parseCSeq(m.header(HeaderId::kCSeq).value_or(""));
  return cseq ? cseq->number : 0;
}

std::string_view cseqMethod(const Message& m) {
  auto cseq = parseCSeq(m.header(HeaderId::kCSeq).value_or(""));
  return cseq ? cseq->method : std::string_view{};
}

bool isInviteMethod(std::string_view method) {
  return method == "INVITE";
}

// "RSeq CSeq-number Method" of an RAck header (RFC 3262 §7.2).
struct RAck {
  std::uint32_t rseq = 0;
  std::uint32_t cseq = 0;
  std::string_view method;
};
std::optional<RAck> parseRAck(std::string_view value) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t'))
      ++i;
    auto start = i;
    while (i < value.size() && value[i] != ' ' && value[i] != '\t')
      ++i;
    if (i > start) parts.push_back(value.substr(start, i - start));
  }
  if (parts.size() != 3) return std::nullopt;
  auto rseq = parseNumber(parts[0], 0xFFFFFFFF);
  auto cseq = parseNumber(parts[1], 0xFFFFFFFF);
  if (!rseq || !cseq) return std::nullopt;
  return RAck{*rseq, *cseq, parts[2]};
}

// Client transactions whose outcome nobody waits for (BYE, PRACK, CANCEL).
void ignoreResult(const ClientEvent&) {}

}  // namespace

struct UserAgent::Session {
  enum class Phase : std::uint8_t { kPending, kAnswered, kConfirmed };

  SessionId id = 0;
  bool uas = false;
  Phase phase = Phase::kPending;
  SessionHandler handler;  // empty once the owner hung up
  Peer peer;
  Message invite;  // UAS: the INVITE received; UAC: the one sent
  std::uint32_t inviteCseq = 0;
  std::optional<Dialog> dialog;
  std::string dialogKey;
  std::string localTag;

  // UAS: reliable provisionals (RFC 3262) and 2xx retransmission.
  ServerTxId inviteTx = 0;
  bool peerSupports100rel = false;
  bool peerRequires100rel = false;
  std::uint32_t nextRseq = 1;
  std::optional<std::uint32_t> unackedRseq;
  bool unackedHasSdp = false;
  int unackedStatus = 0;
  std::string unackedBytes;
  Timers::Id reliableTimer = 0;
  std::optional<std::string> deferredAnswer;
  std::string ok;  // the 2xx waiting for its ACK
  std::uint32_t okCseq = 0;
  bool okInitial = false;
  Timers::Id okTimer = 0;
  bool byeAfterAck = false;

  // UAC
  bool provisionalSeen = false;
  bool cancelWanted = false;
  bool cancelSent = false;
  ClientTxId inviteClient = 0;
  Timers::Id cancelTimer = 0;
  std::uint32_t lastRseq = 0;
  std::string ack;
  std::uint32_t ackCseq = 0;
  // UAC with credentials: what the INVITE is rebuilt from when challenged.
  std::optional<OutgoingInvite> request;
  std::string callId;
  std::string localUri;  // our From address, without the tag
  int challenges = 0;
};

struct UserAgent::LingeringAcks {
  struct Ack {
    std::string bytes;
    std::uint32_t cseq = 0;
    Peer peer;
    Timers::Id expiry = 0;
  };
  boost::unordered_flat_map<std::string, Ack> byDialog;
};

UserAgent::UserAgent(SipCore& core, TransactionLayer& transactions, Sender& sender, Timers& timers,
                     TimerSettings timerSettings, UserAgentOptions options)
    : core_(core),
      transactions_(transactions),
      sender_(sender),
      timers_(timers),
      timerSettings_(timerSettings),
      options_(std::move(options)),
      lingeringAcks_(std::make_unique<LingeringAcks>()) {}

UserAgent::~UserAgent() {
  for (auto& [id, s] : sessions_) {
    timers_.cancel(s->reliableTimer);
    timers_.cancel(s->okTimer);
    timers_.cancel(s->cancelTimer);
  }
  for (auto& [key, a] : lingeringAcks_->byDialog)
    timers_.cancel(a.expiry);
}

UserAgent::Session* UserAgent::find(SessionId id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

const Dialog* UserAgent::dialog(SessionId id) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || !it->second->dialog) return nullptr;
  return &*it->second->dialog;
}

std::string UserAgent::via(const Peer& to) const {
  return concat("SIP/2.0/", transportName(to.transport), ' ', options_.viaSentBy,
                ";branch=", newBranch(), ";rport");
}

void UserAgent::track(Session& s) {
  auto key = keyOf(s.dialog->id());
  if (key == s.dialogKey) return;
  if (!s.dialogKey.empty()) byDialog_.erase(s.dialogKey);
  s.dialogKey = std::move(key);
  byDialog_[s.dialogKey] = s.id;
}

void UserAgent::forget(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  timers_.cancel(s.reliableTimer);
  timers_.cancel(s.okTimer);
  timers_.cancel(s.cancelTimer);
  if (!s.dialogKey.empty()) byDialog_.erase(s.dialogKey);
  if (s.inviteTx != 0) byInvite_.erase(s.inviteTx);
  if (!s.uas && !s.ack.empty()) {
    // A 2xx retransmitted after the session ended still needs its ACK, or the far end keeps
    // resending and finally hangs up a call that already ended cleanly.
    auto expiry = timers_.start(64 * timerSettings_.t1,
                                [this, key = s.dialogKey] { lingeringAcks_->byDialog.erase(key); });
    auto [ack, added] = lingeringAcks_->byDialog.try_emplace(std::move(s.dialogKey));
    if (!added) timers_.cancel(ack->second.expiry);
    s.ack.shrink_to_fit();  // built in a 1 KiB buffer, kept 32 s
    ack->second = LingeringAcks::Ack{std::move(s.ack), s.ackCseq, s.peer, expiry};
  }
  sessions_.erase(it);
}

void UserAgent::finish(Session& s, SessionEvent event) {
  event.session = s.id;
  auto handler = std::move(s.handler);
  forget(s.id);
  if (handler) handler(event);
}

void UserAgent::deliver(Session& s, SessionEvent event) {
  event.session = s.id;
  // A copy: the handler may hang up, which destroys the session and its handler.
  if (auto handler = s.handler) handler(event);
}

// ---------------------------------------------------------------------------------------------
// UAS

SessionId UserAgent::accept(ServerTxId tx, const Message& invite, const Peer& from,
                            SessionHandler handler) {
  auto localTag = core_.newTag();
  auto dialog = Dialog::asUas(invite, localTag, options_.contactUri, false);
  if (!dialog) {
    core_.respond(tx, 400, dialog.error().message);
    return 0;
  }
  auto session = std::make_unique<Session>();
  Session& s = *session;
  s.id = nextId_++;
  s.uas = true;
  s.handler = std::move(handler);
  s.peer = from;
  s.invite = invite;
  s.inviteCseq = cseqNumber(invite);
  s.dialog = std::move(*dialog);
  s.localTag = std::move(localTag);
  s.inviteTx = tx;
  s.peerRequires100rel = lists(invite, HeaderId::kRequire, "100rel");
  s.peerSupports100rel = s.peerRequires100rel || lists(invite, HeaderId::kSupported, "100rel");
  s.nextRseq = 1 + static_cast<std::uint32_t>(std::hash<std::string>{}(randomToken(8)) % 100000);
  sessions_.emplace(s.id, std::move(session));
  track(s);
  byInvite_[tx] = s.id;
  return s.id;
}

std::string UserAgent::responseBytes(Session& s, ServerTxId tx, int status, std::string_view sdp,
                                     const SipCore::Decorator& more) {
  const Message* request = transactions_.request(tx);
  bool refreshesTarget = request != nullptr && (request->method() == Method::kInvite ||
                                                request->method() == Method::kUpdate);
  return core_.buildResponse(
      tx, status, {},
      [&](MessageBuilder& b) {
        if (refreshesTarget && status > 100 && status < 300) {
          b.header(HeaderId::kContact, concat('<', options_.contactUri, '>'));
          b.header(HeaderId::kAllow, kAllowedMethods);
          b.header(HeaderId::kSupported, kSupportedExtensions);
        }
        if (more) more(b);
        if (!sdp.empty()) b.body("application/sdp", sdp);
      },
      s.localTag);
}

void UserAgent::progress(SessionId id, int status, std::string_view sdp) {
  Session* s = find(id);
  if (s == nullptr || !s->uas || s->phase != Session::Phase::kPending) return;
  using Reliable = UserAgentOptions::Reliable;
  bool reliable = s->peerRequires100rel ||
                  (s->peerSupports100rel &&
                   (options_.reliableProvisionals == Reliable::kAlways ||
                    (options_.reliableProvisionals == Reliable::kWithSdp && !sdp.empty())));
  if (!reliable) {
    core_.sendResponse(s->inviteTx, status, responseBytes(*s, s->inviteTx, status, sdp));
    return;
  }
  // RFC 3262 §3: one unacknowledged reliable provisional at a time; a ringing update meanwhile
  // adds nothing the caller needs.
  if (s->unackedRseq) return;
  sendReliable(*s, status, sdp);
}

void UserAgent::sendReliable(Session& s, int status, std::string_view sdp) {
  auto rseq = s.nextRseq++;
  s.unackedRseq = rseq;
  s.unackedHasSdp = !sdp.empty();
  s.unackedStatus = status;
  s.unackedBytes = responseBytes(s, s.inviteTx, status, sdp, [&](MessageBuilder& b) {
    b.header(HeaderId::kRequire, "100rel");
    b.header(HeaderId::kRSeq, std::to_string(rseq));
  });
  core_.sendResponse(s.inviteTx, status, s.unackedBytes);
  retransmitReliable(s.id, timerSettings_.t1, milliseconds(0));
}

void UserAgent::retransmitReliable(SessionId id, milliseconds interval, milliseconds elapsed) {
  Session* s = find(id);
  if (s == nullptr) return;
  s->reliableTimer = timers_.start(interval, [this, id, interval, elapsed] {
    Session* due = find(id);
    if (due == nullptr || !due->unackedRseq) return;
    auto total = elapsed + interval;
    if (total >= 64 * timerSettings_.t1) {
      // RFC 3262 §3: no PRACK within 64*T1 fails the INVITE with a 5xx.
      spdlog::debug("sip no PRACK for RSeq {} of {}", *due->unackedRseq, due->dialog->id().callId);
      core_.sendResponse(due->inviteTx, 504,
                         core_.buildResponse(due->inviteTx, 504, "No PRACK", {}, due->localTag));
      finish(*due, {SessionEvent::Kind::kEnded, 504, nullptr, 0, "no PRACK"});
      return;
    }
    transactions_.respond(due->inviteTx, due->unackedStatus, due->unackedBytes);
    retransmitReliable(id, std::min(2 * interval, 64 * timerSettings_.t1 - total), total);
  });
}

void UserAgent::answer(SessionId id, std::string_view sdp) {
  Session* s = find(id);
  if (s == nullptr || !s->uas || s->phase != Session::Phase::kPending) return;
  if (s->unackedRseq && s->unackedHasSdp) {
    // RFC 3262 §3: no 2xx before the PRACK of a provisional that carried a session description.
    s->deferredAnswer = std::string(sdp);
    return;
  }
  timers_.cancel(s->reliableTimer);
  s->unackedRseq.reset();
  s->phase = Session::Phase::kAnswered;
  byInvite_.erase(s->inviteTx);
  sendFinal2xx(*s, s->inviteTx, s->inviteCseq, sdp, true);
}

void UserAgent::sendFinal2xx(Session& s, ServerTxId tx, std::uint32_t cseq, std::string_view sdp,
                             bool initial) {
  timers_.cancel(s.okTimer);
  s.ok = responseBytes(s, tx, 200, sdp);
  s.okCseq = cseq;
  s.okInitial = initial;
  core_.sendResponse(tx, 200, s.ok);
  retransmit2xx(s.id, timerSettings_.t1, milliseconds(0));
}

void UserAgent::retransmit2xx(SessionId id, milliseconds interval, milliseconds elapsed) {
  Session* s = find(id);
  if (s == nullptr) return;
  s->okTimer = timers_.start(interval, [this, id, interval, elapsed] {
    Session* due = find(id);
    if (due == nullptr || due->ok.empty()) return;
    auto total = elapsed + interval;
    if (total >= 64 * timerSettings_.t1) {
      // RFC 3261 §13.3.1.4: no ACK, so the dialog ends with a BYE.
      spdlog::debug("sip no ACK for the 2xx of {}", due->dialog->id().callId);
      due->ok.clear();
      sendBye(*due);
      finish(*due, {SessionEvent::Kind::kEnded, 408, nullptr, 0, "no ACK"});
      return;
    }
    sender_.send(due->peer, due->ok);
    retransmit2xx(id, std::min({2 * interval, timerSettings_.t2, 64 * timerSettings_.t1 - total}),
                  total);
  });
}

void UserAgent::reject(SessionId id, int status, std::string_view reason) {
  Session* s = find(id);
  if (s == nullptr || !s->uas || s->phase != Session::Phase::kPending) return;
  core_.sendResponse(s->inviteTx, status,
                     core_.buildResponse(s->inviteTx, status, reason, {}, s->localTag));
  forget(id);
}

void UserAgent::onPrack(Session& s, ServerTxId tx, const Message& prack) {
  auto rack = parseRAck(prack.header(HeaderId::kRAck).value_or(""));
  bool matches = s.uas && s.unackedRseq && rack && rack->rseq == *s.unackedRseq &&
                 rack->cseq == s.inviteCseq && iequals(rack->method, "INVITE");
  if (!matches) {
    core_.respond(tx, 481, "No Matching Provisional");
    return;
  }
  core_.respond(tx, 200);
  timers_.cancel(s.reliableTimer);
  s.unackedRseq.reset();
  if (s.deferredAnswer) {
    auto sdp = std::move(*s.deferredAnswer);
    s.deferredAnswer.reset();
    answer(s.id, sdp);
  }
}

void UserAgent::onBye(Session& s, ServerTxId tx) {
  core_.respond(tx, 200);
  if (s.uas && s.phase == Session::Phase::kPending) {
    // RFC 3261 §15.1.2: a BYE on an early dialog ends the INVITE too.
    core_.sendResponse(s.inviteTx, 487, core_.buildResponse(s.inviteTx, 487, {}, {}, s.localTag));
  }
  finish(s, {SessionEvent::Kind::kEnded, 0, nullptr, 0, "bye"});
}

void UserAgent::onCancelled(ServerTxId invite) {
  auto it = byInvite_.find(invite);
  if (it == byInvite_.end()) return;
  if (Session* s = find(it->second)) {
    finish(*s, {SessionEvent::Kind::kEnded, 487, nullptr, 0, "cancelled"});
  }
}

void UserAgent::onAck(const Message& ack, const Peer&) {
  auto id = Dialog::idOfIncomingRequest(ack);
  if (!id) return;
  auto it = byDialog_.find(keyOf(*id));
  if (it == byDialog_.end()) return;
  Session& s = *sessions_.at(it->second);
  if (s.ok.empty() || cseqNumber(ack) != s.okCseq) return;
  timers_.cancel(s.okTimer);
  s.ok.clear();
  if (s.okInitial) {
    s.phase = Session::Phase::kConfirmed;
    s.dialog->confirm();
    if (s.byeAfterAck) {
      sendBye(s);
      forget(s.id);
      return;
    }
  }
  // After a re-INVITE too: when it made no offer, the ACK carries the answer to ours.
  deliver(s, {SessionEvent::Kind::kConfirmed, 200, &ack});
}

// ---------------------------------------------------------------------------------------------
// In-dialog requests

bool UserAgent::onInDialogRequest(ServerTxId tx, const Message& request, const Peer&) {
  auto id = Dialog::idOfIncomingRequest(request);
  if (!id) return false;
  auto it = byDialog_.find(keyOf(*id));
  if (it == byDialog_.end()) return false;
  Session& s = *sessions_.at(it->second);
  if (auto rejection = s.dialog->acceptRequest(request)) {
    core_.respond(tx, rejection->status, rejection->reason);
    return true;
  }
  switch (request.method()) {
    case Method::kBye:
      onBye(s, tx);
      return true;
    case Method::kPrack:
      onPrack(s, tx, request);
      return true;
    case Method::kInvite:
      if (auto glare = s.dialog->beginIncomingInvite()) {
        core_.respond(tx, glare->status, glare->reason);
        return true;
      }
      [[fallthrough]];
    case Method::kUpdate:
    case Method::kInfo:
    case Method::kRefer:
    case Method::kNotify:
    case Method::kOptions:
      if (!s.handler) {
        core_.respond(tx, 481);
        if (request.method() == Method::kInvite) s.dialog->endIncomingInvite();
        return true;
      }
      deliver(s, {SessionEvent::Kind::kRequest, 0, &request, tx});
      return true;
    default:
      core_.respond(tx, 405, {},
                    [](MessageBuilder& b) { b.header(HeaderId::kAllow, kAllowedMethods); });
      return true;
  }
}

void UserAgent::respond(SessionId id, ServerTxId tx, int status, std::string_view sdp) {
  Session* s = find(id);
  const Message* request = transactions_.request(tx);
  if (s == nullptr || request == nullptr) return;
  bool invite = request->method() == Method::kInvite;
  if (invite && status >= 200) s->dialog->endIncomingInvite();
  if (invite && status >= 200 && status < 300) {
    sendFinal2xx(*s, tx, cseqNumber(*request), sdp, false);
    return;
  }
  core_.sendResponse(tx, status, responseBytes(*s, tx, status, sdp));
}

bool UserAgent::request(SessionId id, std::string_view method, std::string_view contentType,
                        std::string_view body, std::function<void(const Message*)> done) {
  Session* s = find(id);
  if (s == nullptr || !s->dialog || s->phase != Session::Phase::kConfirmed) return false;
  bool invite = isInviteMethod(method);
  if (invite && !s->dialog->beginOutgoingInvite()) return false;
  auto b = s->dialog->request(method, via(s->peer));
  if (!body.empty()) b.body(contentType, body);
  auto cseq = s->dialog->localCseq();
  auto answered = std::make_shared<bool>(false);
  transactions_.sendRequest(
      std::move(b), s->peer,
      [this, id, cseq, invite, answered, done = std::move(done)](const ClientEvent& e) {
        if (e.response != nullptr && e.response->statusCode() < 200) return;
        Session* session = find(id);
        bool success = e.response != nullptr && e.response->statusCode() < 300;
        if (invite && success && session != nullptr) {
          sendAck(*session, cseq);  // again for every retransmitted 2xx
        }
        if (*answered) return;
        *answered = true;
        if (invite && session != nullptr) session->dialog->endOutgoingInvite();
        if (done) done(e.response);
      });
  return true;
}

// ---------------------------------------------------------------------------------------------
// UAC

SessionId UserAgent::invite(const OutgoingInvite& request, SessionHandler handler) {
  auto session = std::make_unique<Session>();
  Session& s = *session;
  s.id = nextId_++;
  s.handler = std::move(handler);
  s.peer = request.target;
  s.localTag = core_.newTag();
  s.inviteCseq = 1;
  s.callId = request.callId.empty() ? randomToken(24) : request.callId;
  s.localUri = request.from;
  if (!request.authUsername.empty()) s.request = request;
  auto id = s.id;
  sessions_.emplace(id, std::move(session));
  if (!sendInvite(*sessions_.at(id), request, {})) {
    sessions_.erase(id);
    return 0;
  }
  return id;
}

bool UserAgent::sendInvite(Session& s, const OutgoingInvite& request,
                           std::optional<std::pair<HeaderId, std::string>> authorization) {
  auto b = MessageBuilder::request("INVITE", request.requestUri);
  b.header(HeaderId::kVia, via(s.peer));
  b.header(HeaderId::kMaxForwards, "70");
  b.header(HeaderId::kFrom, concat(request.from, ";tag=", s.localTag));
  b.header(HeaderId::kTo, request.to);
  b.header(HeaderId::kCallId, s.callId);
  b.header(HeaderId::kCSeq, concat(s.inviteCseq, " INVITE"));
  b.header(HeaderId::kContact, concat('<', options_.contactUri, '>'));
  b.header(HeaderId::kAllow, kAllowedMethods);
  b.header(HeaderId::kSupported, kSupportedExtensions);
  b.header(HeaderId::kUserAgent, options_.userAgent);
  if (authorization) b.header(authorization->first, authorization->second);
  for (const auto& [name, value] : request.headers)
    b.header(name, value);
  if (!request.sdp.empty()) b.body("application/sdp", request.sdp);
  auto parsed = b.message();
  if (!parsed) {
    SB_BUG("UserAgent::invite built an unparsable INVITE");
    return false;
  }
  s.invite = *parsed;
  s.inviteClient = transactions_.sendRequest(
      std::move(*parsed), request.target,
      [this, id = s.id](const ClientEvent& e) { onInviteResponse(id, e.response); });
  return true;
}

Dialog::LocalParty UserAgent::localParty(const Session& s) const {
  return {.callId = s.callId,
          .uri = s.localUri,
          .tag = s.localTag,
          .contact = options_.contactUri,
          .cseq = s.inviteCseq,
          .requestUri = s.invite.requestUri()};
}

// A 401/407 to an INVITE sent with credentials: the same INVITE again, with the next CSeq and
// the answer to the challenge. False when there is nothing (more) to answer with.
bool UserAgent::answerChallenge(Session& s, const Message& response) {
  if (!s.request || s.cancelWanted || !s.handler) return false;
  bool proxy = response.statusCode() == 407;
  const auto& request = *s.request;
  auto challenge = digest::pickChallenge(
      response.headerLines(proxy ? HeaderId::kProxyAuthenticate : HeaderId::kWwwAuthenticate),
      request.authUsername, request.authPassword, "INVITE", request.requestUri);
  if (!challenge) return false;
  // The first challenge, or one more when the nonce merely went stale: else the credentials
  // were refused.
  if (s.challenges >= 2 || (s.challenges == 1 && !challenge->stale)) return false;
  ++s.challenges;
  auto credentials =
      digest::answerChallenge(*challenge, request.authUsername, request.authPassword, "INVITE",
                              request.requestUri, digest::newCnonce(), 1, request.sdp);
  if (!credentials) return false;
  ++s.inviteCseq;
  s.provisionalSeen = false;
  s.lastRseq = 0;
  if (!s.dialogKey.empty()) byDialog_.erase(s.dialogKey);  // an early dialog of a 18x
  s.dialogKey.clear();
  s.dialog.reset();
  return sendInvite(s, request,
                    std::pair{proxy ? HeaderId::kProxyAuthorization : HeaderId::kAuthorization,
                              digest::formatCredentials(*credentials)});
}

void UserAgent::onInviteResponse(SessionId id, const Message* response) {
  Session* s = find(id);
  if (s == nullptr) {
    if (response != nullptr) onStrayResponse(*response, Peer{});
    return;
  }
  if (response == nullptr) {
    finish(*s, {SessionEvent::Kind::kFailed, 408, nullptr, 0, "timeout"});
    return;
  }
  int status = response->statusCode();
  if (status < 200) {
    s->provisionalSeen = true;
    if (s->cancelWanted) sendCancel(*s);
    if (status == 100) return;
    if (auto tag = toTag(*response); !tag.empty()) {
      if (!s->dialog || s->dialog->id().remoteTag != tag) {
        if (auto early = Dialog::asUac(localParty(*s), *response)) {
          s->dialog = std::move(*early);
          track(*s);
        }
      } else {
        s->dialog->updateFromResponse(*response);
      }
    }
    if (lists(*response, HeaderId::kRequire, "100rel") && s->dialog) {
      auto rseq = parseNumber(response->header(HeaderId::kRSeq).value_or(""), 0xFFFFFFFF);
      if (!rseq) return;  // RFC 3262 §4: a reliable provisional without RSeq is discarded
      if (s->lastRseq != 0 && *rseq <= s->lastRseq) return;  // a retransmission
      s->lastRseq = *rseq;
      sendPrack(*s);
    }
    if (!s->cancelWanted) deliver(*s, {SessionEvent::Kind::kProgress, status, response});
    return;
  }
  if (status >= 300) {
    if ((status == 401 || status == 407) && answerChallenge(*s, *response)) return;
    finish(*s, {SessionEvent::Kind::kFailed, status, response, 0, response->reasonPhrase()});
    return;
  }
  if (s->phase == Session::Phase::kConfirmed) {
    sender_.send(s->peer, s->ack);  // the 2xx again: our ACK was lost
    return;
  }
  if (s->dialog && s->dialog->id().remoteTag == toTag(*response)) {
    s->dialog->updateFromResponse(*response);
  } else if (auto confirmed = Dialog::asUac(localParty(*s), *response)) {
    s->dialog = std::move(*confirmed);
  } else {
    spdlog::warn("sip unusable 2xx for {}: {}", s->invite.header(HeaderId::kCallId).value_or(""),
                 confirmed.error().message);
    finish(*s, {SessionEvent::Kind::kFailed, 502, response, 0, "unusable 2xx"});
    return;
  }
  s->dialog->confirm();
  track(*s);
  s->phase = Session::Phase::kConfirmed;
  sendAck(*s, s->inviteCseq);
  if (!s->handler) {
    // Hung up (CANCEL) while the 2xx was on its way: RFC 3261 §15, ACK it and end it.
    sendBye(*s);
    forget(id);
    return;
  }
  deliver(*s, {SessionEvent::Kind::kAnswered, status, response});
}

void UserAgent::onStrayResponse(const Message& response, const Peer&) {
  int status = response.statusCode();
  if (status < 200 || status >= 300 || !isInviteMethod(cseqMethod(response))) return;
  auto id = Dialog::idOfIncomingResponse(response);
  if (!id) return;
  auto key = keyOf(*id);
  auto number = cseqNumber(response);
  if (auto it = byDialog_.find(key); it != byDialog_.end()) {
    Session& s = *sessions_.at(it->second);
    if (!s.ack.empty() && s.ackCseq == number) sender_.send(s.peer, s.ack);
    return;
  }
  const auto& lingering = lingeringAcks_->byDialog;
  if (auto it = lingering.find(key); it != lingering.end() && it->second.cseq == number) {
    sender_.send(it->second.peer, it->second.bytes);
  }
}

void UserAgent::sendPrack(Session& s) {
  auto b = s.dialog->request("PRACK", via(s.peer));
  b.header(HeaderId::kRAck, fmt::format("{} {} INVITE", s.lastRseq, s.inviteCseq));
  transactions_.sendRequest(std::move(b), s.peer, ignoreResult);
}

void UserAgent::sendAck(Session& s, std::uint32_t cseq) {
  s.ack = s.dialog->request("ACK", via(s.peer), cseq).build();
  s.ackCseq = cseq;
  sender_.send(s.peer, s.ack);
}

void UserAgent::sendCancel(Session& s) {
  if (s.cancelSent) return;
  s.cancelSent = true;
  // RFC 3261 §9.1: the INVITE's Request-URI, top Via, From, To, Call-ID, CSeq number and Route.
  const Message& invite = s.invite;
  auto b = MessageBuilder::request("CANCEL", invite.requestUri());
  b.header(HeaderId::kVia, invite.firstValue(HeaderId::kVia).value_or(""));
  b.header(HeaderId::kMaxForwards, "70");
  b.header(HeaderId::kFrom, invite.header(HeaderId::kFrom).value_or(""));
  b.header(HeaderId::kTo, invite.header(HeaderId::kTo).value_or(""));
  b.header(HeaderId::kCallId, invite.header(HeaderId::kCallId).value_or(""));
  b.header(HeaderId::kCSeq, concat(s.inviteCseq, " CANCEL"));
  for (auto route : invite.headerLines(HeaderId::kRoute))
    b.header(HeaderId::kRoute, route);
  transactions_.sendRequest(std::move(b), s.peer, ignoreResult);
  auto id = s.id;
  s.cancelTimer = timers_.start(64 * timerSettings_.t1, [this, id] {
    // RFC 3261 §9.1: no final answer 64*T1 after the CANCEL: the INVITE is over.
    Session* stuck = find(id);
    if (stuck == nullptr) return;
    transactions_.abandon(stuck->inviteClient);
    finish(*stuck, {SessionEvent::Kind::kFailed, 487, nullptr, 0, "cancelled"});
  });
}

void UserAgent::sendBye(Session& s) {
  if (!s.dialog) return;
  transactions_.sendRequest(s.dialog->request("BYE", via(s.peer)), s.peer, ignoreResult);
}

// ---------------------------------------------------------------------------------------------

void UserAgent::hangUp(SessionId id) {
  Session* s = find(id);
  if (s == nullptr) return;
  s->handler = nullptr;
  switch (s->phase) {
    case Session::Phase::kPending:
      if (s->uas) {
        reject(id, 480);
      } else {
        // RFC 3261 §9.1: no CANCEL before a provisional response; the session stays until the
        // INVITE's final answer (487, or a 2xx that gets ACK and BYE).
        s->cancelWanted = true;
        if (s->provisionalSeen) sendCancel(*s);
      }
      return;
    case Session::Phase::kAnswered:
      // RFC 3261 §15: the callee waits for the ACK (or its timeout) before sending BYE.
      s->byeAfterAck = true;
      return;
    case Session::Phase::kConfirmed:
      sendBye(*s);
      forget(id);
      return;
  }
}

}  // namespace sb::sip
