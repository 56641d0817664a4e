#pragma once
// Anchored call media, leg by leg: each phone sees our address and one of the media engine's
// endpoints in the SDP, and the engine follows what the SDP settled (codec, payload types,
// where to send). Shared by every kind of call (extension calls, queued calls). Runs on the
// SIP control loop.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "media/engine.hpp"
#include "sdp/offer_answer.hpp"
#include "sip/core.hpp"
#include "sip/user_agent.hpp"

namespace sb::calls {

// Where calls anchor their media; no engine: the SDP passes end to end.
struct MediaAnchor {
  media::MediaEngine* engine = nullptr;
  std::string address;  // ours, in the SDP we send (the advertised address)
};

// One call leg's media: its endpoint on the engine and the SDP we send on it.
struct MediaLeg {
  media::EndpointId endpoint = 0;
  std::uint16_t port = 0;
  std::uint64_t sdpSession = 0;  // the o= session id of the SDP we send on this leg
  std::uint64_t sdpVersion = 1;
  sdp::SessionDescription offer;  // legs we offered: our offer, until answered
  bool negotiated = false;
  // Our offer went in the 2xx to a re-INVITE that made none: the ACK brings the answer.
  bool reofferPending = false;
  bool open() const { return endpoint != 0; }
};

class MediaLegs {
 public:
  explicit MediaLegs(MediaAnchor anchor) : anchor_(std::move(anchor)) {}

  bool enabled() const { return anchor_.engine != nullptr; }
  media::MediaEngine& engine() const { return *anchor_.engine; }

  struct Answered {
    MediaLeg leg;
    std::string sdp;  // for our 2xx: our answer, or our offer when the caller made none
  };
  // A caller's offer answered on a new endpoint of `shard` (a call's id: its legs share a
  // worker). An INVITE without an offer (a delayed offer) gets ours, and the leg waits for the
  // caller's answer in the ACK (`accept`, with the ACK's body). Errors: kInvalidArgument
  // (nothing the engine carries: answer 488), kUnavailable (no free port: 503).
  Result<Answered> answer(std::string_view offer, std::uint64_t shard);
  // A new leg that offers our codecs to a phone; it sends nowhere until `accept`.
  std::optional<MediaLeg> offer(std::uint64_t shard);
  // The answer to our offer (a phone's 2xx, a caller's ACK): the endpoint follows it. Empty:
  // the answer came earlier (with an 18x), false when there was none; false too when the answer
  // does not fit the offer.
  bool accept(MediaLeg& leg, std::string_view answer);
  // The ACK of our 2xx to an INVITE or re-INVITE: after one without an offer it carries the
  // answer to ours. False when the leg is left without a usable answer, and cannot send the
  // caller anything; after a re-INVITE the leg then goes on as it was.
  bool confirm(MediaLeg& leg, std::string_view ack);
  // A re-INVITE or UPDATE from a phone (hold, resume, a new address or codec) is a matter
  // between that phone and us: answered here, the leg follows, the other phone is not disturbed.
  // One without an offer gets ours, answered in the ACK (`confirm`).
  void answerLocally(MediaLeg& leg, sip::UserAgent& ua, sip::SessionId session,
                     const sip::SessionEvent& event);
  void close(MediaLeg& leg);

 private:
  std::optional<MediaLeg> open(const media::EndpointConfig& config);
  // Our media with `port`; every leg shares the codec list.
  const sdp::LocalMedia& local(std::uint16_t port);

  MediaAnchor anchor_;
  sdp::LocalMedia local_;
};

// Answers an INVITE whose offer `answer()` could not take: 503 without a free port, else 488.
// Returns the outcome for the calls counters: "failed" or "not_acceptable".
std::string_view refuseOffer(sip::SipCore& core, sip::ServerTxId tx, const Error& error);

// Requests that carry an SDP offer for the session (or ask for one).
bool isSessionChange(const sip::Message& request);

}  // namespace sb::calls
