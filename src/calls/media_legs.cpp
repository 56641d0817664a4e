#include "calls/media_legs.hpp"

#include <spdlog/spdlog.h>

#include "sip/syntax.hpp"

namespace sb::calls {

namespace {

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

}  // namespace

std::string_view refuseOffer(sip::SipCore& core, sip::ServerTxId tx, const Error& error) {
  if (error.code == ErrorCode::kUnavailable) {
    core.respond(tx, 503, "No Media Port");
    return "failed";
  }
  core.respond(tx, 488);
  return "not_acceptable";
}

bool isSessionChange(const sip::Message& request) {
  return request.method() == sip::Method::kInvite || request.method() == sip::Method::kUpdate;
}

const sdp::LocalMedia& MediaLegs::local(std::uint16_t port) {
  local_.address = anchor_.address;
  local_.port = port;
  return local_;
}

std::optional<MediaLeg> MediaLegs::open(const media::EndpointConfig& config) {
  auto opened = anchor_.engine->open(config);
  if (!opened) {
    spdlog::warn("call media: {}", opened.error().message);
    return std::nullopt;
  }
  MediaLeg leg;
  leg.endpoint = opened->id;
  leg.port = opened->port;
  leg.sdpSession = config.shard;
  return leg;
}

Result<MediaLegs::Answered> MediaLegs::answer(std::string_view offerText, std::uint64_t shard) {
  if (offerText.empty()) {
    // A delayed offer (RFC 3261 §13.2.1): ours goes in the 2xx, the caller's answer in its ACK.
    auto leg = offer(shard);
    if (!leg) return Error::unavailable("no media port");
    auto ours = sdp::serialize(leg->offer);
    return Answered{std::move(*leg), std::move(ours)};
  }
  auto offer = sdp::parse(offerText);
  if (!offer) return Error::invalid("sdp", offer.error().message);
  // The answer says which codec before it has its port, which comes with the endpoint; until
  // then it holds the discard port (a port of 0 would refuse the stream).
  auto answer = sdp::makeAnswer(*offer, local(9), shard, 1);
  auto audio = engineAudio(*offer, answer);
  if (!audio) return Error::invalid("sdp", audio.error().message);
  auto leg = open(endpointConfig(*audio, audio->offerer, shard));
  if (!leg) return Error::unavailable("no media port");
  leg->negotiated = true;
  answer->media[audio->mediaIndex].port = leg->port;
  return Answered{*leg, sdp::serialize(*answer)};
}

std::optional<MediaLeg> MediaLegs::offer(std::uint64_t shard) {
  // Until the phone answers, the leg is PCMU to nowhere; the answer configures it.
  media::EndpointConfig pending;
  pending.shard = shard;
  auto leg = open(pending);
  if (leg) leg->offer = sdp::makeOffer(local(leg->port), sdp::Direction::kSendRecv, shard, 1);
  return leg;
}

bool MediaLegs::accept(MediaLeg& leg, std::string_view body) {
  if (body.empty()) return leg.negotiated;  // the SDP came earlier (an 18x)
  auto audio = engineAudio(leg.offer, sdp::parse(body));
  if (!audio) {
    spdlog::info("call media: unusable SDP answer: {}", audio.error().message);
    return false;
  }
  anchor_.engine->configure(leg.endpoint, endpointConfig(*audio, audio->answerer, 0));
  leg.negotiated = true;
  return true;
}

bool MediaLegs::confirm(MediaLeg& leg, std::string_view ack) {
  if (leg.reofferPending) {
    leg.reofferPending = false;
    if (!ack.empty()) accept(leg, ack);
    return true;
  }
  if (leg.negotiated || accept(leg, ack)) return true;
  spdlog::info("call media: the caller's ACK has no usable SDP answer");
  return false;
}

void MediaLegs::answerLocally(MediaLeg& leg, sip::UserAgent& ua, sip::SessionId session,
                              const sip::SessionEvent& e) {
  const auto& request = *e.message;
  ++leg.sdpVersion;
  leg.reofferPending = false;
  if (request.body().empty() && request.method() == sip::Method::kUpdate) {
    // An UPDATE without an offer changes nothing of the session (RFC 3311 §5.2).
    ua.respond(session, e.request, 200);
    return;
  }
  if (request.body().empty()) {
    // No offer in the re-INVITE: ours goes in the 2xx, the phone's answer comes in the ACK.
    leg.offer =
        sdp::makeOffer(local(leg.port), sdp::Direction::kSendRecv, leg.sdpSession, leg.sdpVersion);
    leg.reofferPending = true;
    ua.respond(session, e.request, 200, sdp::serialize(leg.offer));
    return;
  }
  auto offer = sdp::parse(request.body());
  auto answer = offer ? sdp::makeAnswer(*offer, local(leg.port), leg.sdpSession, leg.sdpVersion)
                      : Result<sdp::SessionDescription>(offer.error());
  auto audio = offer ? engineAudio(*offer, answer) : Result<sdp::NegotiatedAudio>(offer.error());
  if (!audio) {
    ua.respond(session, e.request, 488);
    return;
  }
  anchor_.engine->configure(leg.endpoint, endpointConfig(*audio, audio->offerer, 0));
  ua.respond(session, e.request, 200, sdp::serialize(*answer));
}

void MediaLegs::close(MediaLeg& leg) {
  if (anchor_.engine == nullptr || leg.endpoint == 0) return;
  anchor_.engine->close(leg.endpoint);
  leg.endpoint = 0;
}

}  // namespace sb::calls
