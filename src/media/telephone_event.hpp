#pragma once
// RFC 4733 telephone events (DTMF over RTP): the 4-byte payload, a receiver that turns the
// packet stream into one report per key press, and the packet sequence a sender emits for one
// digit.
//
// Units: durations are in timestamp units of the telephone-event clock (8000 per second unless
// SDP says otherwise), like RTP timestamps. No allocation, no exceptions.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "media/rtp.hpp"

namespace sb::media {

inline constexpr std::size_t kTelephoneEventSize = 4;
inline constexpr std::uint8_t kMaxDtmfEvent = 15;
inline constexpr std::uint8_t kMaxTelephoneEventVolume = 63;

struct TelephoneEvent {
  std::uint8_t event = 0;  // 0-9, 10 '*', 11 '#', 12-15 'A'-'D'; other codes for other tones
  bool end = false;
  std::uint8_t volume = 0;     // power level in -dBm0, 0..63
  std::uint16_t duration = 0;  // since the event began, timestamp units
  bool operator==(const TelephoneEvent&) const = default;
};

enum class TelephoneEventError : std::uint8_t {
  kNone,
  kTooShort,  // under 4 bytes
};

// Reads the first event of an RTP payload. Further 4-byte blocks (several events packed into
// one packet, RFC 4733 §2.5.1.5, which phones do not send) are ignored; the reserved bit too.
Parsed<TelephoneEvent, TelephoneEventError> parseTelephoneEvent(
    std::span<const std::uint8_t> payload);

// The payload for `event`; volume above 63 is clamped, the reserved bit is zero.
std::array<std::uint8_t, kTelephoneEventSize> encodeTelephoneEvent(const TelephoneEvent& event);

// '0'-'9', '*', '#', 'A'-'D' for events 0-15; '\0' for any other event.
char dtmfCharacter(std::uint8_t event);
// The event code of a DTMF character (lower-case 'a'-'d' too); nullopt for anything else.
std::optional<std::uint8_t> dtmfEvent(char character);

// ---- Receiving ------------------------------------------------------------------------------

// One key press (or other event) as the receiver reports it.
struct ReceivedTelephoneEvent {
  std::uint8_t event = 0;
  std::uint32_t timestamp = 0;  // the RTP timestamp of the event: when it began
  std::uint16_t duration = 0;   // the longest duration seen for it
  bool endSeen = false;         // false when all its end packets were lost
  bool operator==(const ReceivedTelephoneEvent&) const = default;
};

// Reports each event once, however many of its packets arrive. Packets with the same SSRC,
// RTP timestamp and event code belong to one event. An event is reported on its first end
// packet; if its end packets are all lost, when the next event (or another SSRC) begins, or
// on flush(). The start packet (marker bit) may be lost too: any packet of an event opens it.
// Packets that arrive after a newer event began (by sequence number) are ignored, so a late
// retransmitted end never reports a digit twice.
class TelephoneEventReceiver {
 public:
  // The events that one packet finished: at most the previous one (its end lost) and this one.
  class Finished {
   public:
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const ReceivedTelephoneEvent& operator[](std::size_t index) const { return events_[index]; }
    const ReceivedTelephoneEvent* begin() const { return events_.data(); }
    const ReceivedTelephoneEvent* end() const { return events_.data() + size_; }
    void push(const ReceivedTelephoneEvent& event) { events_[size_++] = event; }

   private:
    std::array<ReceivedTelephoneEvent, 2> events_{};
    std::size_t size_ = 0;
  };

  // `rtp` is the packet (its payload type already known to be telephone-event), `event` its
  // parsed payload.
  Finished onPacket(const RtpPacket& rtp, const TelephoneEvent& event);

  // The event still open, if any: its end packets were lost and nothing followed. Call when the
  // stream stops or after a timeout; the event is then closed.
  std::optional<ReceivedTelephoneEvent> flush();

 private:
  bool haveStream_ = false;
  std::uint32_t ssrc_ = 0;
  std::uint16_t highestSequence_ = 0;

  bool haveEvent_ = false;  // an event (reported or not) whose packets may still arrive
  bool reported_ = false;
  ReceivedTelephoneEvent current_;
};

// ---- Sending --------------------------------------------------------------------------------

struct TelephoneEventTiming {
  std::uint32_t clockRate = 8000;            // of the telephone-event payload type
  std::chrono::milliseconds packetTime{20};  // one packet per this interval
};

// One packet of a digit. Every packet of the digit carries the same RTP timestamp (the digit's
// start) and the next sequence number.
struct TelephoneEventPacket {
  bool marker = false;  // the first packet only
  TelephoneEvent payload;
  std::uint32_t sendOffset = 0;  // when to send it, timestamp units after the first packet
  bool operator==(const TelephoneEventPacket&) const = default;
};

// The packets for one digit (RFC 4733 §2.5.1): one per packet time, the first with the marker,
// each carrying the duration reached by the end of its interval (so none carries zero, which
// some receivers drop), then three end packets with the full duration, one packet time apart
// (§2.5.1.4). For 100 ms at 8000 Hz and 20 ms packets: durations 160, 320, 480, 640, then
// 800 (end) three times, sent at offsets 0, 160, ..., 960.
//
// The duration is clamped to 65535 units (8.2 s at 8000 Hz): long-event segmentation
// (§2.5.1.3) is not implemented. A duration under one packet time is sent as one packet time:
// the three end packets alone, the first with the marker.
class TelephoneEventGenerator {
 public:
  static constexpr std::size_t kEndPackets = 3;

  TelephoneEventGenerator(std::uint8_t event, std::chrono::milliseconds duration,
                          std::uint8_t volume = 10, TelephoneEventTiming timing = {});

  std::size_t size() const { return progressPackets_ + kEndPackets; }
  TelephoneEventPacket operator[](std::size_t index) const;
  // Timestamp units per packet.
  std::uint32_t packetUnits() const { return packetUnits_; }
  std::uint16_t totalDuration() const { return duration_; }

 private:
  std::uint8_t event_;
  std::uint8_t volume_;
  std::uint32_t packetUnits_;
  std::uint16_t duration_;
  std::size_t progressPackets_;
};

}  // namespace sb::media
