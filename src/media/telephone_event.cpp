#include "media/telephone_event.hpp"

#include <algorithm>

namespace sb::media {

Parsed<TelephoneEvent, TelephoneEventError> parseTelephoneEvent(
    std::span<const std::uint8_t> payload) {
  Parsed<TelephoneEvent, TelephoneEventError> result;
  if (payload.size() < kTelephoneEventSize) {
    result.error = TelephoneEventError::kTooShort;
    return result;
  }
  result.value.event = payload[0];
  result.value.end = (payload[1] & 0x80) != 0;
  result.value.volume = payload[1] & 0x3F;
  result.value.duration = be::load16(payload.data() + 2);
  return result;
}

std::array<std::uint8_t, kTelephoneEventSize> encodeTelephoneEvent(const TelephoneEvent& event) {
  std::array<std::uint8_t, kTelephoneEventSize> bytes{};
  bytes[0] = event.event;
  bytes[1] = static_cast<std::uint8_t>((event.end ? 0x80 : 0x00) |
                                       std::min(event.volume, kMaxTelephoneEventVolume));
  be::store16(bytes.data() + 2, event.duration);
  return bytes;
}

namespace {
constexpr std::array<char, kMaxDtmfEvent + 1> kDtmfCharacters = {
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'};
}  // namespace

char dtmfCharacter(std::uint8_t event) {
  return event <= kMaxDtmfEvent ? kDtmfCharacters[event] : '\0';
}

std::optional<std::uint8_t> dtmfEvent(char character) {
  if (character >= 'a' && character <= 'd') character = static_cast<char>(character - 'a' + 'A');
  for (std::uint8_t event = 0; event <= kMaxDtmfEvent; ++event) {
    if (kDtmfCharacters[event] == character) return event;
  }
  return std::nullopt;
}

// ---- TelephoneEventReceiver -----------------------------------------------------------------

TelephoneEventReceiver::Finished TelephoneEventReceiver::onPacket(const RtpPacket& rtp,
                                                                  const TelephoneEvent& event) {
  Finished finished;
  const bool sameStream = haveStream_ && rtp.ssrc == ssrc_;
  const bool sameEvent = sameStream && haveEvent_ && rtp.timestamp == current_.timestamp &&
                         event.event == current_.event;

  if (sameStream) {
    const std::int16_t ahead = sequenceDelta(highestSequence_, rtp.sequence);
    const bool late = ahead <= 0 && ahead > -static_cast<int>(ReceiveStatistics::kMaxMisorder);
    if (late) {
      // A packet of an event older than the current one (a late retransmitted end): its event
      // was reported already or has been given up on.
      if (!sameEvent) return finished;
    } else {
      // Newer, or so far behind that the sender must have restarted its sequence numbers.
      highestSequence_ = rtp.sequence;
    }
  } else {
    haveStream_ = true;
    ssrc_ = rtp.ssrc;
    highestSequence_ = rtp.sequence;
  }

  if (sameEvent) {
    if (reported_) return finished;  // the retransmitted end packets
    current_.duration = std::max(current_.duration, event.duration);
    if (event.end) {
      current_.endSeen = true;
      reported_ = true;
      finished.push(current_);
    }
    return finished;
  }

  // A new event: whatever was open lost its end packets.
  if (haveEvent_ && !reported_) finished.push(current_);
  haveEvent_ = true;
  current_ = ReceivedTelephoneEvent{event.event, rtp.timestamp, event.duration, event.end};
  reported_ = event.end;
  if (event.end) finished.push(current_);
  return finished;
}

std::optional<ReceivedTelephoneEvent> TelephoneEventReceiver::flush() {
  if (!haveEvent_ || reported_) return std::nullopt;
  reported_ = true;
  return current_;
}

// ---- TelephoneEventGenerator ----------------------------------------------------------------

namespace {
constexpr std::uint64_t kMaxDuration = 0xFFFF;

std::uint64_t unitsOf(std::chrono::milliseconds time, std::uint32_t clockRate) {
  const auto ms = static_cast<std::uint64_t>(std::max<std::int64_t>(time.count(), 0));
  return std::min(ms * clockRate / 1000, kMaxDuration);
}
}  // namespace

TelephoneEventGenerator::TelephoneEventGenerator(std::uint8_t event,
                                                 std::chrono::milliseconds duration,
                                                 std::uint8_t volume, TelephoneEventTiming timing)
    : event_(event),
      volume_(std::min(volume, kMaxTelephoneEventVolume)),
      packetUnits_(static_cast<std::uint32_t>(
          std::max<std::uint64_t>(unitsOf(timing.packetTime, timing.clockRate), 1))),
      duration_(static_cast<std::uint16_t>(
          std::max<std::uint64_t>(unitsOf(duration, timing.clockRate), packetUnits_))),
      progressPackets_((duration_ - 1u) / packetUnits_) {}

TelephoneEventPacket TelephoneEventGenerator::operator[](std::size_t index) const {
  TelephoneEventPacket packet;
  packet.marker = index == 0;
  packet.sendOffset = static_cast<std::uint32_t>(index) * packetUnits_;
  packet.payload.event = event_;
  packet.payload.volume = volume_;
  if (index < progressPackets_) {
    packet.payload.duration = static_cast<std::uint16_t>((index + 1) * packetUnits_);
  } else {
    packet.payload.end = true;
    packet.payload.duration = duration_;
  }
  return packet;
}

}  // namespace sb::media
