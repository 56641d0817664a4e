#include "sdp/offer_answer.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "sdp/text.hpp"

namespace sb::sdp {

namespace {

constexpr std::string_view kAudioProtocol = "RTP/AVP";
constexpr std::uint8_t kFirstDynamicPayloadType = 96;

bool isComfortNoise(const Codec& codec) {
  return equalsIgnoreCase(codec.encodingName, "CN");
}

// Telephone-event and comfort noise ride along with a voice codec; they cannot carry a call.
bool isVoice(const Codec& codec) {
  return !isTelephoneEvent(codec) && !isComfortNoise(codec);
}

// a=ptime:0 is no packet time; leaving it out lets the other side choose.
std::optional<std::uint32_t> ptimeOf(const LocalMedia& local) {
  if (local.ptime && *local.ptime == 0) return std::nullopt;
  return local.ptime;
}

// A multicast session is not a call leg: RFC 3264 §6.2 would have us join the group.
bool isMulticast(const Connection& c) {
  if (c.address.find('/') != std::string::npos)  // a TTL or a number of addresses
    return true;
  if (equalsIgnoreCase(c.addrType, "IP6"))
    return c.address.size() >= 2 &&
           equalsIgnoreCase(std::string_view(c.address).substr(0, 2), "ff");
  auto dot = c.address.find('.');
  auto first = parseNumber<unsigned>(std::string_view(c.address).substr(0, dot));
  return first && *first >= 224 && *first <= 239;
}

bool isAudio(const MediaDescription& m) {
  return equalsIgnoreCase(m.media, "audio");
}

SessionDescription skeleton(const LocalMedia& local, std::uint64_t sessionId,
                            std::uint64_t version) {
  SessionDescription sd;
  auto type = std::string(addressType(local.address));
  sd.origin = {"-", sessionId, version, "IN", type, local.address};
  sd.sessionName = "-";
  sd.connection = Connection{"IN", type, local.address};
  return sd;
}

std::string codecList(const std::vector<Codec>& codecs) {
  std::string out;
  for (const auto& c : codecs) {
    if (!out.empty()) out += ", ";
    if (c.encodingName.empty())
      out += fmt::format("payload type {}", c.payloadType);
    else
      out += fmt::format("{}/{}", c.encodingName, c.clockRate);
  }
  return out;
}

// The answer to one offered audio stream, or why we cannot serve it.
Result<MediaDescription> acceptAudio(const SessionDescription& offer, const MediaDescription& m,
                                     const LocalMedia& local) {
  if (m.port == 0) return Error::invalid("sdp", "the offerer disabled it (port 0)");
  if (!equalsIgnoreCase(m.protocol, kAudioProtocol))
    return Error::invalid("sdp", "protocol is not RTP/AVP");
  const auto* connection = offer.connectionFor(m);
  if (connection == nullptr || !equalsIgnoreCase(connection->netType, "IN") ||
      !equalsIgnoreCase(connection->addrType, addressType(local.address))) {
    return Error::invalid("sdp", fmt::format("address is not IN {}", addressType(local.address)));
  }
  if (isMulticast(*connection)) return Error::invalid("sdp", "multicast address");

  std::vector<Codec> common;
  std::vector<bool> used(local.supported.size(), false);
  bool voice = false;
  bool telephoneEvent = false;
  for (const auto& offered : m.codecs) {
    if (isTelephoneEvent(offered)) {
      // One telephone-event is enough, and only at 8000 Hz, the rate of our voice codecs.
      if (local.telephoneEvent && !telephoneEvent && offered.clockRate == 8000 &&
          offered.channels == 1) {
        telephoneEvent = true;
        common.push_back(Codec{offered.payloadType, "telephone-event", 8000, 1,
                               std::string(kTelephoneEventFmtp)});
      }
      continue;
    }
    for (std::size_t i = 0; i < local.supported.size(); ++i) {
      const auto& ours = local.supported[i];
      if (used[i] || isTelephoneEvent(ours) || !sameEncoding(ours, offered)) continue;
      used[i] = true;
      voice = voice || isVoice(ours);
      // The offerer's payload type, so that both directions use one number per codec; our own
      // format parameters, since they describe what we receive.
      Codec answered = ours;
      answered.payloadType = offered.payloadType;
      common.push_back(std::move(answered));
      break;
    }
  }
  if (!voice) {
    return Error::invalid("sdp", fmt::format("no codec in common (offered {}; we take {})",
                                             codecList(m.codecs), codecList(local.supported)));
  }

  MediaDescription a;
  a.media = m.media;
  a.port = local.port;
  a.protocol = m.protocol;
  a.setCodecs(std::move(common));
  // RFC 3264 §8.4: nothing is sent to c=0.0.0.0, whatever the attribute says.
  auto offered = m.direction;
  if (isHoldAddress(*connection)) offered = directionFrom(sends(offered), false);
  a.direction = mirror(offered);
  a.ptime = ptimeOf(local);
  return a;
}

// RFC 3264 §6: a refused stream keeps its line with port 0 and the offered formats.
MediaDescription refuse(const MediaDescription& m) {
  MediaDescription a;
  a.media = m.media;
  a.port = 0;
  a.protocol = m.protocol;
  a.formats = m.formats;
  a.codecs = m.codecs;
  for (auto& codec : a.codecs)
    codec.fmtp.clear();
  a.direction = Direction::kInactive;
  return a;
}

// The offered codec that an answered one stands for.
const Codec* findOffered(const MediaDescription& offer, const Codec& answered) {
  for (const auto& c : offer.codecs) {
    if (answered.encodingName.empty()
            ? (c.encodingName.empty() && c.payloadType == answered.payloadType)
            : sameEncoding(c, answered))
      return &c;
  }
  return nullptr;
}

MediaEndpoint endpoint(const Connection& connection, const MediaDescription& m) {
  MediaEndpoint e;
  e.address = connection.address;
  e.port = m.port;
  if (m.rtcp)
    e.rtcpPort = m.rtcp->port;
  else if (m.port < 65535)
    e.rtcpPort = static_cast<std::uint16_t>(m.port + 1);
  e.ptime = m.ptime;
  return e;
}

}  // namespace

std::string_view addressType(std::string_view address) {
  return address.find(':') == std::string_view::npos ? "IP4" : "IP6";
}

SessionDescription makeOffer(const LocalMedia& local, Direction direction, std::uint64_t sessionId,
                             std::uint64_t version) {
  auto sd = skeleton(local, sessionId, version);
  std::vector<Codec> codecs;
  std::array<bool, kMaxPayloadType + 1> taken{};
  for (const auto& codec : local.supported) {
    if (isTelephoneEvent(codec) || codec.payloadType > kMaxPayloadType || taken[codec.payloadType])
      continue;
    taken[codec.payloadType] = true;
    codecs.push_back(codec);
  }
  if (local.telephoneEvent) {
    // The configured number unless a codec already uses it; then the first free dynamic one.
    std::optional<std::uint8_t> pt;
    if (local.telephoneEventPayloadType <= kMaxPayloadType &&
        !taken[local.telephoneEventPayloadType]) {
      pt = local.telephoneEventPayloadType;
    }
    for (unsigned n = kFirstDynamicPayloadType; !pt && n <= kMaxPayloadType; ++n) {
      if (!taken[n]) pt = static_cast<std::uint8_t>(n);
    }
    if (pt)
      codecs.push_back(Codec{*pt, "telephone-event", 8000, 1, std::string(kTelephoneEventFmtp)});
  }
  MediaDescription m;
  m.media = "audio";
  m.port = local.port;
  m.protocol = std::string(kAudioProtocol);
  m.setCodecs(std::move(codecs));
  m.direction = direction;
  m.ptime = ptimeOf(local);
  sd.media.push_back(std::move(m));
  return sd;
}

Result<SessionDescription> makeAnswer(const SessionDescription& offer, const LocalMedia& local,
                                      std::uint64_t sessionId, std::uint64_t version) {
  auto answer = skeleton(local, sessionId, version);
  bool accepted = false;
  std::string reasons;
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const auto& m = offer.media[i];
    // One audio stream per leg: the media engine anchors exactly one.
    if (!accepted && isAudio(m)) {
      auto stream = acceptAudio(offer, m, local);
      if (stream) {
        answer.media.push_back(std::move(stream).value());
        accepted = true;
        continue;
      }
      reasons += fmt::format("; m= line {}: {}", i + 1, stream.error().message);
    }
    answer.media.push_back(refuse(m));
  }
  if (!accepted) {
    if (reasons.empty()) return Error::invalid("sdp", "the offer has no audio stream");
    return Error::invalid("sdp", "the offer has no audio stream we can accept" + reasons);
  }
  return answer;
}

Result<NegotiatedAudio> negotiate(const SessionDescription& offer,
                                  const SessionDescription& answer) {
  if (offer.media.size() != answer.media.size()) {
    return Error::invalid("sdp", fmt::format("the answer has {} m= lines for the offer's {}",
                                             answer.media.size(), offer.media.size()));
  }
  std::optional<std::size_t> index;
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const auto& om = offer.media[i];
    const auto& am = answer.media[i];
    if (!equalsIgnoreCase(om.media, am.media)) {
      return Error::invalid("sdp",
                            fmt::format("m= line {}: the answer has another media type", i + 1));
    }
    if (am.port == 0) continue;
    if (om.port == 0) {
      return Error::invalid(
          "sdp", fmt::format("m= line {}: the answer accepts a stream the offer disabled", i + 1));
    }
    if (!equalsIgnoreCase(om.protocol, am.protocol)) {
      return Error::invalid("sdp",
                            fmt::format("m= line {}: the answer has another protocol", i + 1));
    }
    if (!index && isAudio(om) && isRtpProtocol(om.protocol)) index = i;
  }
  if (!index) return Error::invalid("sdp", "the answer accepts no audio stream");

  const auto& om = offer.media[*index];
  const auto& am = answer.media[*index];
  const auto* offerConnection = offer.connectionFor(om);
  const auto* answerConnection = answer.connectionFor(am);
  if (offerConnection == nullptr || answerConnection == nullptr)
    return Error::invalid("sdp", fmt::format("m= line {}: no c= line", *index + 1));

  NegotiatedAudio result;
  result.mediaIndex = *index;
  result.offerer = endpoint(*offerConnection, om);
  result.answerer = endpoint(*answerConnection, am);
  const Codec* chosen = nullptr;
  for (const auto& c : am.codecs) {
    const auto* offered = findOffered(om, c);
    if (offered == nullptr) {
      return Error::invalid(
          "sdp", fmt::format("m= line {}: the answer's payload type {} ({}/{}) is not in the offer",
                             *index + 1, c.payloadType, c.encodingName, c.clockRate));
    }
    if (isTelephoneEvent(c)) {
      if (!result.answerer.telephoneEvent) {
        result.answerer.telephoneEvent = c.payloadType;
        result.offerer.telephoneEvent = offered->payloadType;
      }
    } else if (chosen == nullptr && isVoice(c) && !c.encodingName.empty()) {
      chosen = &c;
      result.answerer.payloadType = c.payloadType;
      result.offerer.payloadType = offered->payloadType;
    }
  }
  if (chosen == nullptr) {
    return Error::invalid("sdp",
                          fmt::format("m= line {}: the answer has no voice codec", *index + 1));
  }
  result.codec = *chosen;

  bool offererSends =
      sends(om.direction) && receives(am.direction) && !isHoldAddress(*answerConnection);
  bool offererReceives =
      receives(om.direction) && sends(am.direction) && !isHoldAddress(*offerConnection);
  result.offerer.direction = directionFrom(offererSends, offererReceives);
  result.answerer.direction = mirror(result.offerer.direction);
  return result;
}

}  // namespace sb::sdp
