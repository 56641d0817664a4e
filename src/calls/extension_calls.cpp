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

// The engine's codec for an SDP codec we offered or accepted.
std::optional<media::Codec> engineCodec(const sdp::Codec& codec) {
  if (sip::iequals(codec.encodingName, "PCMU")) return media::Codec::kPcmu;
  if (sip::iequals(codec.encodingName, "PCMA")) return media::Codec::kPcma;
  return std::nullopt;
}

// The audio an offer and its answer settled on, when the engine can carry its codec.
Result<sdp::NegotiatedAudio> engineAudio(const sdp::SessionDescription& offer,
                                         const Result<sdp::SessionDescription>& answer) {
  if (!answer) return answer.error();
  auto audio = sdp::negotiate(offer, *answer);
  if (audio && !engineCodec(audio->codec)) {
    return Error::invalid("sdp", "a codec the media engine does not carry");
  }
  return audio;
}

// The engine configuration for one side of negotiated audio: send to `remote` with its numbers.
// (configure() keeps an endpoint's shard, so later calls pass 0.)
media::EndpointConfig endpointConfig(const sdp::NegotiatedAudio& audio,
                                     const sdp::MediaEndpoint& remote, std::uint64_t shard) {
  media::EndpointConfig c;
  c.codec = engineCodec(audio.codec).value_or(media::Codec::kPcmu);
  c.payloadType = remote.payloadType;
  c.eventPayloadType = remote.telephoneEvent;
  c.remoteAddress = remote.address;
  c.remotePort = remote.port;
  c.shard = shard;
  c.expectMedia = remote.direction == sdp::Direction::kSendRecv ||
                  remote.direction == sdp::Direction::kSendOnly;
  return c;
}

// Requests that carry an SDP offer for the session (or ask for one).
bool isSessionChange(const sip::Message& request) {
  return request.method() == sip::Method::kInvite || request.method() == sip::Method::kUpdate;
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
                               MediaAnchor media)
    : core_(core),
      ua_(ua),
      phones_(std::move(phones)),
      auth_(auth),
      guard_(guard),
      metrics_(metrics),
      trunks_(std::move(trunks)),
      media_(std::move(media)) {
  metrics_.gauge("sb_calls_active", "Calls in progress (ringing or talking).",
                 [this] { return static_cast<double>(calls_.size()); });
}

void ExtensionCalls::count(std::string_view result) {
  metrics_.counter("sb_calls_total", "Calls by how they ended.", {{"result", std::string(result)}})
      .add();
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
  auto caller = sip::parseNameAddr(invite.header(sip::HeaderId::kFrom).value_or(""));
  auto user = caller ? sip::unescape(caller->uri.user) : std::nullopt;
  auth_.authenticate(tx, invite, from, sip::AuthScheme::kProxy, user.value_or(""),
                     [this, tx, from, number = *number](const sip::Message& request) {
                       route(tx, request, from, number);
                     });
}

const InboundTrunk* ExtensionCalls::trunkOf(const std::string& address) const {
  for (const auto& trunk : trunks_) {
    for (const auto& network : trunk.networks) {
      if (config::networkContains(network, address)) return &trunk;
    }
  }
  return nullptr;
}

void ExtensionCalls::route(sip::ServerTxId tx, const sip::Message& invite, const sip::Peer& from,
                           const std::string& number) {
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
  if (media_.engine != nullptr) {
    // Anchored: the caller's offer is answered with our address, on an endpoint that sends to
    // the caller with the caller's payload types.
    auto offer = sdp::parse(invite.body());
    // The answer without its port yet (the port comes with the endpoint) says which codec.
    auto audio = offer ? engineAudio(*offer, sdp::makeAnswer(*offer, local(9), id, 1))
                       : Result<sdp::NegotiatedAudio>(offer.error());
    if (!audio) {
      core_.respond(tx, 488, invite.body().empty() ? "SDP Offer Required" : "");
      count("not_acceptable");
      return;
    }
    auto opened = openLeg(id, endpointConfig(*audio, audio->offerer, id));
    if (!opened) {
      core_.respond(tx, 503, "No Media Port");
      count("failed");
      return;
    }
    callerLeg = *opened;
    callerAnswer = sdp::serialize(*sdp::makeAnswer(*offer, local(callerLeg.port), id, 1));
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
    if (media_.engine != nullptr) {
      // Until the phone answers, its leg is PCMU to nowhere; the answer configures it.
      media::EndpointConfig pending;
      pending.shard = id;
      auto opened = openLeg(id, pending);
      if (!opened) continue;
      leg = *opened;
      leg.offer = sdp::makeOffer(local(leg.port), sdp::Direction::kSendRecv, id, leg.sdpVersion);
      out.sdp = sdp::serialize(leg.offer);
    }
    auto callee = ua_.invite(out, [this, id](const SessionEvent& e) { onCallee(id, e); });
    if (callee == 0) {
      closeLeg(leg);
      continue;
    }
    call.ringing.push_back(callee);
    if (media_.engine != nullptr) call.calleeLegs.emplace(callee, leg);
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
      if (media_.engine != nullptr && isSessionChange(*e.message)) {
        answerLocally(call.callerLeg, call.caller, e);
        return;
      }
      relay(call.caller, call.callee, e);
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
      if (media_.engine == nullptr) {
        ua_.progress(call.caller, e.status, e.message->body());
      } else if (!e.message->body().empty() && answerCallee(call, e.session, e.message->body())) {
        ua_.progress(call.caller, e.status, call.callerAnswer);  // early media through us
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
      if (media_.engine != nullptr && !answerCallee(call, e.session, e.message->body())) {
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
      ua_.answer(call.caller, media_.engine != nullptr ? std::string_view(call.callerAnswer)
                                                       : e.message->body());
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
        answerLocally(leg->second, e.session, e);
        return;
      }
      relay(call.callee, call.caller, e);
      return;
    case SessionEvent::Kind::kConfirmed:
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

sdp::LocalMedia ExtensionCalls::local(std::uint16_t port) const {
  sdp::LocalMedia m;
  m.address = media_.address;
  m.port = port;
  return m;
}

std::optional<ExtensionCalls::Leg> ExtensionCalls::openLeg(std::uint64_t shard,
                                                           const media::EndpointConfig& config) {
  auto c = config;
  c.shard = shard;
  auto opened = media_.engine->open(c);
  if (!opened) {
    spdlog::warn("call media: {}", opened.error().message);
    return std::nullopt;
  }
  Leg leg;
  leg.endpoint = opened->id;
  leg.port = opened->port;
  leg.sdpSession = shard;
  callOfEndpoint_[leg.endpoint] = shard;  // the shard is the call's id
  return leg;
}

void ExtensionCalls::closeLeg(Leg& leg) {
  if (media_.engine == nullptr || leg.endpoint == 0) return;
  media_.engine->close(leg.endpoint);
  callOfEndpoint_.erase(leg.endpoint);
  leg.endpoint = 0;
}

// The callee's SDP answer to our offer: its leg sends to it with its numbers, and the two legs
// are bridged. False when the answer does not fit our offer.
bool ExtensionCalls::answerCallee(Call& call, sip::SessionId callee, std::string_view body) {
  auto it = call.calleeLegs.find(callee);
  if (it == call.calleeLegs.end()) return false;
  Leg& leg = it->second;
  if (body.empty()) return leg.negotiated;  // the SDP came with an earlier 18x
  auto audio = engineAudio(leg.offer, sdp::parse(body));
  if (!audio) {
    spdlog::info("call media: unusable answer from the callee: {}", audio.error().message);
    return false;
  }
  media_.engine->configure(leg.endpoint, endpointConfig(*audio, audio->answerer, 0));
  if (!leg.negotiated) media_.engine->connect(call.callerLeg.endpoint, leg.endpoint);
  leg.negotiated = true;
  return true;
}

// A re-INVITE or UPDATE from one of the phones (hold, resume, a new address or codec) is a
// matter between that phone and us: answered here, the leg follows, the other phone is not
// disturbed.
void ExtensionCalls::answerLocally(Leg& leg, sip::SessionId session, const SessionEvent& e) {
  const auto& request = *e.message;
  ++leg.sdpVersion;
  if (request.body().empty()) {
    // No offer in the request: ours goes in the 2xx (the answer in the ACK is not needed to
    // keep sending where we already send).
    auto offer =
        sdp::makeOffer(local(leg.port), sdp::Direction::kSendRecv, leg.sdpSession, leg.sdpVersion);
    ua_.respond(session, e.request, 200, sdp::serialize(offer));
    return;
  }
  auto offer = sdp::parse(request.body());
  auto answer = offer ? sdp::makeAnswer(*offer, local(leg.port), leg.sdpSession, leg.sdpVersion)
                      : Result<sdp::SessionDescription>(offer.error());
  auto audio = offer ? engineAudio(*offer, answer) : Result<sdp::NegotiatedAudio>(offer.error());
  if (!audio) {
    ua_.respond(session, e.request, 488);
    return;
  }
  media_.engine->configure(leg.endpoint, endpointConfig(*audio, audio->offerer, 0));
  ua_.respond(session, e.request, 200, sdp::serialize(*answer));
}

}  // namespace sb::calls
