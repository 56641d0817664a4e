#pragma once
// The offer/answer model (RFC 3264) for a B2BUA that anchors media: every call leg sees our
// RTP address, one audio stream per leg, plain RTP/AVP, the codecs we can transcode or relay.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "sdp/sdp.hpp"

namespace sb::sdp {

// DTMF digits, *, #, A-D and flash (RFC 4733 events 0-16).
inline constexpr std::string_view kTelephoneEventFmtp = "0-16";

// What the media engine offers on one call leg.
struct LocalMedia {
  std::string address;  // IPv4 or IPv6 literal; the SDP address type follows from it
  std::uint16_t port = 0;
  // In our order of preference; telephone-event is added from the fields below, not from here.
  std::vector<Codec> supported = {Codec{0, "PCMU", 8000}, Codec{8, "PCMA", 8000}};
  bool telephoneEvent = true;
  // Used in our own offers; answers keep the offerer's number.
  std::uint8_t telephoneEventPayloadType = 101;
  std::optional<std::uint32_t> ptime = 20;
};

// "IP6" for an address with a colon, else "IP4".
std::string_view addressType(std::string_view address);

// One audio stream with the supported codecs and telephone-event. A hold offer passes
// Direction::kSendOnly (or kInactive) and keeps the real address (RFC 3264 §8.4).
SessionDescription makeOffer(const LocalMedia& local, Direction direction, std::uint64_t sessionId,
                             std::uint64_t version);

// One m= line per offered m= line, in order (RFC 3264 §6). The first audio stream we can
// serve is accepted: RTP/AVP, a non-zero port, our address family, and at least one codec in
// common. Its codecs are the common ones in the offerer's order with the offerer's payload
// types; its direction mirrors the offer's, and an offer held with c=0.0.0.0 gets nothing sent
// to it. Every other stream is refused with port 0 and the offered formats. An offer without an
// acceptable audio stream is an error (the SIP layer answers 488 Not Acceptable Here).
Result<SessionDescription> makeAnswer(const SessionDescription& offer, const LocalMedia& local,
                                      std::uint64_t sessionId, std::uint64_t version);

enum class Role { kOfferer, kAnswerer };

// One side of the negotiated audio stream, as its own SDP describes it.
struct MediaEndpoint {
  std::string address;
  std::uint16_t port = 0;
  std::uint16_t rtcpPort = 0;  // a=rtcp, else port + 1 (0 when port is 65535)
  // Payload types are what this side expects to receive (RFC 3264 §6.1): send to a side with
  // its numbers.
  std::uint8_t payloadType = 0;
  std::optional<std::uint8_t> telephoneEvent;
  std::optional<std::uint32_t> ptime;
  // Effective, from this side's point of view: what its own SDP allows, less what the other
  // side refuses, less sending to an address of 0.0.0.0.
  Direction direction = Direction::kSendRecv;
  bool operator==(const MediaEndpoint&) const = default;
};

struct NegotiatedAudio {
  std::size_t mediaIndex = 0;  // the m= line, the same in offer and answer
  Codec codec;                 // the first voice codec of the answer, as the answer names it
  MediaEndpoint offerer;
  MediaEndpoint answerer;

  const MediaEndpoint& local(Role we) const { return we == Role::kOfferer ? offerer : answerer; }
  const MediaEndpoint& remote(Role we) const { return we == Role::kOfferer ? answerer : offerer; }
};

// What the call layer needs of the first audio stream both sides accepted. Errors when the
// answer does not fit the offer: another number of m= lines, another media or protocol, a
// stream the offer disabled, a codec the offer does not have, no voice codec.
Result<NegotiatedAudio> negotiate(const SessionDescription& offer,
                                  const SessionDescription& answer);

}  // namespace sb::sdp
