#include "calls/extension_calls.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "config/config.hpp"
#include "core/logging.hpp"
#include "sip/headers.hpp"
#include "sip/syntax.hpp"
#include "sip/uri.hpp"

namespace sb::calls {

namespace {

using sip::SessionEvent;

// The caller hears the callee's refusal when it means something to a person (busy, declined);
// anything else (no phone answered, timeouts, errors) is "temporarily unavailable".
int callerStatus(int calleeStatus) {
  switch (calleeStatus) {
    case 486:
    case 600:
    case 603:
      return calleeStatus;
    default:
      return 480;
  }
}

// Which callee failure to report when every phone failed: a person's refusal beats the rest.
int moreTelling(int a, int b) {
  auto rank = [](int s) { return s == 486 || s == 600 || s == 603 ? 2 : s == 0 ? 0 : 1; };
  return rank(b) > rank(a) ? b : a;
}

// A From/To value without its tag, for the callee leg.
std::string withoutTag(std::string_view value) {
  auto addr = sip::parseNameAddr(value);
  if (!addr) return std::string(value);
  if (addr->displayName.empty()) return fmt::format("<{}>", addr->uriText);
  return fmt::format("\"{}\" <{}>", addr->displayName, addr->uriText);
}

}  // namespace

ExtensionCalls::ExtensionCalls(sip::SipCore& core, sip::UserAgent& ua, Phones phones,
                               sip::Authenticator& auth, const sip::Guard& guard,
                               MetricsRegistry& metrics, std::vector<InboundTrunk> trunks,
                               MediaAnchor media, ServiceNumbers serviceNumbers)
    : core_(core),
      ua_(ua),
      phones_(std::move(phones)),
      auth_(auth),
      guard_(guard),
      metrics_(metrics),
      trunks_(std::move(trunks)),
      media_(std::move(media)),
      serviceNumbers_(std::move(serviceNumbers)) {
  for (const auto& trunk : trunks_)
    trunkNetworks_.emplace_back(trunk.networks);
  metrics_.gauge("sb_calls_active", "Calls in progress (ringing or talking).",
                 [this] { return static_cast<double>(calls_.size()); });
}

void ExtensionCalls::count(std::string_view result) {
  outcomes_.add(result);
}

void ExtensionCalls::handle(sip::ServerTxId tx, const sip::Message& invite, const sip::Peer& from) {
  auto uri = sip::parseUri(invite.requestUri());
  auto number = uri && uri->isSip() ? sip::unescape(uri->user) : std::nullopt;
  if (!number || number->empty()) {
    core_.respond(tx, 404);
    return;
  }
  if (const auto* trunk = trunkOf(from.address)) {
    if (!trunk->dids.empty() &&
        std::find(trunk->dids.begin(), trunk->dids.end(), *number) == trunk->dids.end()) {
      spdlog::info("call from trunk {} to {}: not one of its numbers", trunk->name,
                   loggable(*number));
      core_.respond(tx, 404);
      count("not_found");
      return;
    }
    route(tx, invite, from, *number);
    return;
  }
  if (guard_.isTrusted(from.address)) {
    route(tx, invite, from, *number);
    return;
  }
  // A phone calls as the agent it registered as: its From user must own the credentials.
  const auto& caller = invite.from();
  auto user = caller ? sip::unescape(caller->uri.user) : std::nullopt;
  auth_.authenticate(tx, invite, from, sip::AuthScheme::kProxy, user.value_or(""),
                     [this, tx, from, number = *number](const sip::Message& request) {
                       route(tx, request, from, number);
                     });
}

const InboundTrunk* ExtensionCalls::trunkOf(const std::string& address) const {
  for (std::size_t i = 0; i < trunks_.size(); ++i) {
    if (trunkNetworks_[i].contains(address)) return &trunks_[i];
  }
  return nullptr;
}

void ExtensionCalls::route(sip::ServerTxId tx, const sip::Message& invite, const sip::Peer& from,
                           const std::string& number) {
  if (serviceNumbers_ && serviceNumbers_(tx, invite, from, number)) return;
  auto phones = phones_(number);
  if (phones.empty()) {
    // An agent without a registered phone is answered like a number nobody has, so that
    // INVITE scans learn no more than REGISTER scans do.
    core_.respond(tx, 404);
    count("not_found");
    return;
  }
  auto id = nextId_++;
  Leg callerLeg;
  std::string callerAnswer;
  if (media_.enabled()) {
    // Anchored: the caller's offer is answered with our address, on an endpoint that sends to
    // the caller with the caller's payload types.
    auto answered = media_.answer(invite.body(), id);
    if (!answered) {
      count(refuseOffer(core_, tx, answered.error()));
      return;
    }
    callerLeg = answered->leg;
    callerAnswer = std::move(answered->sdp);
    track(callerLeg, id);
  }
  auto caller =
      ua_.accept(tx, invite, from, [this, id](const SessionEvent& e) { onCaller(id, e); });
  if (caller == 0) {
    closeLeg(callerLeg);
    return;
  }
  Call& call = calls_[id];
  call.caller = caller;
  call.callerLeg = callerLeg;
  call.callerAnswer = std::move(callerAnswer);
  auto fromValue = withoutTag(invite.header(sip::HeaderId::kFrom).value_or(""));
  auto toValue = withoutTag(invite.header(sip::HeaderId::kTo).value_or(""));
  for (const auto& phone : phones) {
    sip::OutgoingInvite out;
    out.requestUri = phone.contact;
    out.from = fromValue;
    out.to = toValue;
    out.target = phone.source;
    out.sdp = std::string(invite.body());
    Leg leg;
    if (media_.enabled()) {
      auto opened = media_.offer(id);
      if (!opened) continue;
      leg = *opened;
      track(leg, id);
      out.sdp = sdp::serialize(leg.offer);
    }
    auto callee = ua_.invite(out, [this, id](const SessionEvent& e) { onCallee(id, e); });
    if (callee == 0) {
      closeLeg(leg);
      continue;
    }
    call.ringing.push_back(callee);
    if (media_.enabled()) call.calleeLegs.emplace(callee, leg);
  }
  spdlog::info("call {} from {} to {} rings {} phone(s)",
               loggable(invite.header(sip::HeaderId::kCallId).value_or("")), from.address, number,
               call.ringing.size());
}

void ExtensionCalls::onCaller(CallId id, const SessionEvent& e) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Call& call = it->second;
  switch (e.kind) {
    case SessionEvent::Kind::kEnded:
      count(call.callee != 0 ? "answered" : "abandoned");
      call.caller = 0;
      end(id);
      return;
    case SessionEvent::Kind::kRequest:
      if (media_.enabled() && isSessionChange(*e.message)) {
        media_.answerLocally(call.callerLeg, ua_, call.caller, e);
        return;
      }
      relay(call.caller, call.callee, e);
      return;
    case SessionEvent::Kind::kConfirmed:
      if (media_.enabled() && !media_.confirm(call.callerLeg, e.message->body())) {
        count("failed");
        end(id);
      }
      return;
    default:
      return;
  }
}

void ExtensionCalls::onCallee(CallId id, const SessionEvent& e) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Call& call = it->second;
  auto forget = [&] { std::erase(call.ringing, e.session); };
  switch (e.kind) {
    case SessionEvent::Kind::kProgress:
      if (e.status <= 100) return;
      if (!media_.enabled()) {
        ua_.progress(call.caller, e.status, e.message->body());
      } else if (!e.message->body().empty() && answerCallee(call, e.session, e.message->body()) &&
                 call.callerLeg.negotiated) {
        // Early media through us. A caller who made no offer gets ours in the 2xx: an offer
        // must go in a reliable response, which a 18x is only with 100rel.
        ua_.progress(call.caller, e.status, call.callerAnswer);
      } else {
        ua_.progress(call.caller, e.status);
      }
      return;
    case SessionEvent::Kind::kAnswered:
      forget();
      if (call.callee != 0) {
        ua_.hangUp(e.session);  // a second phone answered too late
        return;
      }
      if (media_.enabled() && !answerCallee(call, e.session, e.message->body())) {
        ua_.hangUp(e.session);  // an answer we cannot use: as if it had failed
        calleeFailed(id, call, e.session, 488, "failed");
        return;
      }
      call.callee = e.session;
      for (auto other : call.ringing)
        ua_.hangUp(other);
      call.ringing.clear();
      for (auto& [session, leg] : call.calleeLegs) {
        if (session != e.session) closeLeg(leg);
      }
      ua_.answer(call.caller,
                 media_.enabled() ? std::string_view(call.callerAnswer) : e.message->body());
      return;
    case SessionEvent::Kind::kFailed:
      forget();
      calleeFailed(id, call, e.session, e.status, "unanswered");
      return;
    case SessionEvent::Kind::kEnded:
      forget();
      if (e.session == call.callee) {
        call.callee = 0;
        count("answered");
        end(id);
      }
      return;
    case SessionEvent::Kind::kRequest:
      if (auto leg = call.calleeLegs.find(e.session);
          leg != call.calleeLegs.end() && isSessionChange(*e.message)) {
        media_.answerLocally(leg->second, ua_, e.session, e);
        return;
      }
      relay(call.callee, call.caller, e);
      return;
    case SessionEvent::Kind::kConfirmed:
      // The ACK of our 2xx to the callee's re-INVITE: the answer, when it made no offer.
      if (auto leg = call.calleeLegs.find(e.session); leg != call.calleeLegs.end())
        media_.confirm(leg->second, e.message->body());
      return;
  }
}

void ExtensionCalls::calleeFailed(CallId id, Call& call, sip::SessionId callee, int status,
                                  std::string_view result) {
  if (auto leg = call.calleeLegs.find(callee); leg != call.calleeLegs.end()) {
    closeLeg(leg->second);
  }
  call.failure = moreTelling(call.failure, status);
  if (call.ringing.empty() && call.callee == 0) {
    // Every phone failed: the caller hears the most telling reason.
    ua_.reject(call.caller, callerStatus(call.failure));
    count(result);
    call.caller = 0;
    end(id);
  }
}

void ExtensionCalls::relay(sip::SessionId from, sip::SessionId to, const SessionEvent& e) {
  const sip::Message& request = *e.message;
  auto tx = e.request;
  switch (request.method()) {
    case sip::Method::kInvite:
    case sip::Method::kUpdate:
    case sip::Method::kInfo:
      break;  // session changes (hold, codecs) and DTMF go to the other phone
    case sip::Method::kOptions:
      ua_.respond(from, tx, 200);
      return;
    default:
      // REFER (and the NOTIFYs it brings) waits for transfers in the call layer.
      ua_.respond(from, tx, 501);
      return;
  }
  auto contentType = request.header(sip::HeaderId::kContentType).value_or("");
  bool sent =
      to != 0 && ua_.request(to, request.methodText(), contentType, request.body(),
                             [this, from, tx](const sip::Message* response) {
                               ua_.respond(from, tx, response ? response->statusCode() : 408,
                                           response ? response->body() : "");
                             });
  if (!sent) ua_.respond(from, tx, to == 0 ? 481 : 491);
}

void ExtensionCalls::end(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Call call = std::move(it->second);
  calls_.erase(it);
  // hangUp does nothing for sessions that already ended.
  ua_.hangUp(call.caller);
  ua_.hangUp(call.callee);
  for (auto s : call.ringing)
    ua_.hangUp(s);
  closeLeg(call.callerLeg);
  for (auto& [session, leg] : call.calleeLegs)
    closeLeg(leg);
}

void ExtensionCalls::onMediaSilent(media::EndpointId endpoint) {
  auto it = callOfEndpoint_.find(endpoint);
  if (it == callOfEndpoint_.end()) return;
  auto id = it->second;
  auto call = calls_.find(id);
  if (call == calls_.end()) return;
  spdlog::warn("call {}: no RTP from a phone for the RTP timeout, hanging up", id);
  count("rtp_timeout");
  end(id);
}

void ExtensionCalls::track(const Leg& leg, CallId id) {
  callOfEndpoint_[leg.endpoint] = id;
}

void ExtensionCalls::closeLeg(Leg& leg) {
  if (leg.endpoint == 0) return;
  callOfEndpoint_.erase(leg.endpoint);
  media_.close(leg);
}

// The callee's SDP answer to our offer: its leg sends to it with its numbers, and the two legs
// are bridged. False when the answer does not fit our offer.
bool ExtensionCalls::answerCallee(Call& call, sip::SessionId callee, std::string_view body) {
  auto it = call.calleeLegs.find(callee);
  if (it == call.calleeLegs.end()) return false;
  Leg& leg = it->second;
  bool bridged = leg.negotiated;
  if (!media_.accept(leg, body)) return false;
  if (!bridged) media_.engine().connect(call.callerLeg.endpoint, leg.endpoint);
  return true;
}

}  // namespace sb::calls
