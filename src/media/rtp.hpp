#pragma once
// RTP packets (RFC 3550 §5) for the media workers: parsing into views over the caller's buffer,
// header rewriting in place, per-source receive statistics (RFC 3550 Appendix A.1, A.3, A.8) and
// the stream rewriter that turns whatever a leg receives into one continuous outgoing stream.
//
// Everything here runs per packet: no allocation, no exceptions, no logging. Errors are small
// enums; views borrow the caller's buffer and are valid as long as it is.
//
// Units: an RTP timestamp counts samples of the payload's clock ("timestamp units": 8000 per
// second for G.711 and telephone-event/8000, 48000 for Opus). Arrival times passed in here are in
// the same clock, converted by the caller from its monotonic clock.
//
// Threads: values and classes here are not synchronised; each belongs to the media worker that
// owns the endpoint.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sb::media {

// Big-endian (network order) loads and stores. Callers check the bounds.
namespace be {
inline std::uint16_t load16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
inline void store16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void store32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
}  // namespace be

// The outcome of parsing one packet: the error, or kNone (which every error enum here has as
// its zero value) and the parsed view.
template <typename T, typename E>
struct [[nodiscard]] Parsed {
  E error{};
  T value{};
  bool ok() const { return error == E{}; }
};

inline constexpr std::uint8_t kRtpVersion = 2;
inline constexpr std::size_t kRtpFixedHeaderSize = 12;
inline constexpr std::size_t kRtpMaxCsrcs = 15;
inline constexpr std::uint8_t kRtpMaxPayloadType = 127;

enum class RtpError : std::uint8_t {
  kNone,
  kTooShort,          // fewer than the 12 bytes of the fixed header
  kBadVersion,        // not version 2 (RFC 3550 A.1)
  kBadPadding,        // P set but the count is 0 or longer than what follows the header
  kCsrcOverrun,       // the CSRC list runs past the end
  kExtensionOverrun,  // the header extension runs past the end
};

// "too short", "bad version"...: for logs and metrics labels.
std::string_view rtpErrorName(RtpError error);

// One parsed RTP packet: fixed fields by value, variable parts as views into the datagram.
struct RtpPacket {
  bool marker = false;
  std::uint8_t payloadType = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;  // timestamp units of the payload's clock
  std::uint32_t ssrc = 0;
  std::uint8_t csrcCount = 0;
  std::span<const std::uint8_t> csrcList;  // csrcCount * 4 bytes; read with csrc()
  bool hasExtension = false;
  // RFC 3550 §5.3.1: the profile-defined 16 bits (0xBEDE for RFC 8285 one-byte elements) and the
  // extension's data words, without its 4-byte header. Kept so a relay can forward it untouched.
  std::uint16_t extensionProfile = 0;
  std::span<const std::uint8_t> extension;
  std::span<const std::uint8_t> payload;  // without padding; may be empty
  std::uint8_t paddingSize = 0;           // including the count octet itself; 0 without P
  std::size_t headerSize = 0;             // fixed header + CSRCs + extension: payload offset

  std::uint32_t csrc(std::size_t index) const { return be::load32(csrcList.data() + 4 * index); }
};

using RtpParseResult = Parsed<RtpPacket, RtpError>;

// Parses and validates one datagram (RFC 3550 §5.1, A.1). A padding-only packet (P set, empty
// payload) is accepted: senders use them to probe bandwidth.
RtpParseResult parseRtp(std::span<const std::uint8_t> datagram);

// RFC 5761 §4: on a port shared by RTP and RTCP, the second octet of RTCP is 192..223 (packet
// types 200..207 and the unassigned 192..199, 208..223), which RTP payload types never take.
bool looksLikeRtcp(std::span<const std::uint8_t> datagram);

// ---- Writing --------------------------------------------------------------------------------

// The fixed header of a packet in a mutable buffer. Take it from a parsed packet's buffer with
// `buffer.first<kRtpFixedHeaderSize>()` (parseRtp guarantees the size).
using RtpFixedHeader = std::span<std::uint8_t, kRtpFixedHeaderSize>;

void setMarker(RtpFixedHeader header, bool marker);
// Precondition: payloadType <= 127; higher bits are dropped.
void setPayloadType(RtpFixedHeader header, std::uint8_t payloadType);
void setSequence(RtpFixedHeader header, std::uint16_t sequence);
void setTimestamp(RtpFixedHeader header, std::uint32_t timestamp);
void setSsrc(RtpFixedHeader header, std::uint32_t ssrc);

struct RtpHeaderFields {
  bool marker = false;
  std::uint8_t payloadType = 0;  // 0..127
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
};

// Writes a version 2 header without padding or extension, with `csrcs` (at most 15). Returns the
// header size (12 + 4 per CSRC: where the payload goes), or 0 when `out` is too small or there
// are too many CSRCs.
std::size_t writeRtpHeader(std::span<std::uint8_t> out, const RtpHeaderFields& fields,
                           std::span<const std::uint32_t> csrcs = {});

// ---- Sequence numbers and timestamps --------------------------------------------------------

// Whether `next` comes after `previous` in 16-bit sequence space with wraparound (65535 -> 0 is
// in order). Numbers exactly half the space apart are in order neither way.
constexpr bool sequenceInOrder(std::uint16_t previous, std::uint16_t next) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(next - previous)) > 0;
}
// How far `next` is after `previous` (negative: before), with wraparound.
constexpr std::int16_t sequenceDelta(std::uint16_t previous, std::uint16_t next) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(next - previous));
}
// The same for 32-bit timestamps.
constexpr bool timestampInOrder(std::uint32_t previous, std::uint32_t next) {
  return static_cast<std::int32_t>(next - previous) > 0;
}

// ---- Receive statistics (RFC 3550 A.1, A.3, A.8) --------------------------------------------

// What onPacket() made of a packet's sequence number.
enum class SequenceStatus : std::uint8_t {
  kInOrder,          // newest so far (possibly after a gap); counted
  kLateOrDuplicate,  // not newer than the highest seen; counted, as A.1 does
  kProbation,        // the source is not valid yet (MIN_SEQUENTIAL); not counted
  kJump,             // a jump of MAX_DROPOUT or more; not counted unless the next one follows it
  kRestarted,        // it followed such a jump: the sender restarted, statistics start anew
};

// The A.3 figures for one report block (see rtcp.hpp for LSR and DLSR).
struct ReceptionReport {
  std::uint8_t fractionLost = 0;  // lost / expected since the previous report, in 1/256
  // Expected minus received since the start, clamped to the 24-bit signed range of the report
  // block; negative when duplicates outnumber losses.
  std::int32_t cumulativeLost = 0;
  std::uint32_t extendedHighestSequence = 0;  // cycles << 16 | highest sequence number
  std::uint32_t jitter = 0;                   // interarrival jitter, timestamp units
};

// Statistics of the packets received from one SSRC. A new SSRC gets a new object.
class ReceiveStatistics {
 public:
  // RFC 3550 A.1 defaults.
  static constexpr std::uint16_t kMaxDropout = 3000;
  static constexpr std::uint16_t kMaxMisorder = 100;
  static constexpr int kMinSequential = 2;

  // `minSequential`: in-order packets needed before the source is valid (1: valid at once).
  explicit ReceiveStatistics(int minSequential = kMinSequential);

  // One received packet: A.1 sequence validation, then A.8 jitter for the packets it counts.
  // `arrival` is the arrival time in the packet's timestamp units (any origin, wraps freely).
  SequenceStatus onPacket(std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t arrival);
  // For packets whose timestamp does not advance with time, such as RFC 4733 events that keep
  // their start timestamp for the whole event: counted like any other, but no jitter sample.
  SequenceStatus onPacketWithoutTiming(std::uint16_t sequence);

  // Whether the source passed probation.
  bool valid() const { return started_ && probation_ == 0; }
  std::uint32_t extendedHighestSequence() const { return cycles_ + maxSequence_; }
  // Packets expected and received since the source became valid (or restarted).
  std::int64_t expected() const;
  std::uint32_t received() const { return received_; }
  // Expected minus received, unclamped; negative with duplicates.
  std::int64_t cumulativeLost() const { return valid() ? expected() - received_ : 0; }
  // Interarrival jitter in timestamp units.
  std::uint32_t jitter() const;

  // The figures for a report block; fraction lost covers the packets since the previous call,
  // so call it once per report sent.
  ReceptionReport takeReport();

 private:
  SequenceStatus updateSequence(std::uint16_t sequence);
  void restart(std::uint16_t sequence);
  void updateJitter(std::uint32_t timestamp, std::uint32_t arrival);

  int minSequential_;
  bool started_ = false;
  int probation_ = 0;
  std::uint16_t maxSequence_ = 0;
  std::uint32_t cycles_ = 0;  // wraps counted in units of 65536
  std::uint32_t baseSequence_ = 0;
  std::uint32_t badSequence_ = 0;  // the sequence number that would confirm a restart
  std::uint32_t received_ = 0;
  std::int64_t expectedPrior_ = 0;
  std::uint32_t receivedPrior_ = 0;
  bool haveTransit_ = false;
  std::uint32_t transit_ = 0;
  std::uint64_t jitterScaled_ = 0;  // jitter * 16, the A.8 integer form
};

// What a sender counts for its SR sender info (RFC 3550 §6.4.1).
struct SendStatistics {
  std::uint32_t packets = 0;  // wraps, as the SR field does
  std::uint32_t octets = 0;   // payload octets only, no headers or padding

  void onSent(std::size_t payloadSize) {
    ++packets;
    octets += static_cast<std::uint32_t>(payloadSize);
  }
};

// ---- Stream rewriter ------------------------------------------------------------------------

struct StreamRewriterConfig {
  std::uint32_t ssrc = 0;            // ours, for the outgoing stream
  std::uint16_t firstSequence = 0;   // random, RFC 3550 §5.1
  std::uint32_t firstTimestamp = 0;  // random, RFC 3550 §5.1
};

enum class RewriteResult : std::uint8_t {
  kForwarded,           // header rewritten in place: send it
  kDroppedStale,        // older than the first packet since the source changed
  kDroppedJump,         // a jump not (yet) confirmed by the next packet, or far too late
  kDroppedPayloadType,  // its payload type is blocked
  kMalformed,           // the buffer is shorter than a fixed header
};

// Maps whatever arrives for a leg (the caller, then music on hold, then a transfer target...)
// onto one outgoing stream that the far end sees as a single source: our SSRC, sequence numbers
// without gaps or jumps at a change of source, timestamps that keep following the clock.
//
// Within one source, sequence numbers and timestamps keep their offsets, so losses and
// reordering stay visible downstream. A new source starts when its SSRC differs from the current
// one, when attachSource() was called, or when the sequence number jumps by MAX_DROPOUT or more
// and the next packet follows the jump (a sender restart, confirmed as in RFC 3550 A.1). Its
// first packet gets the last output sequence + 1, the last output timestamp plus the time
// elapsed since the packet that set it arrived (at least 1), and the marker bit, so that the
// far end's jitter buffer re-synchronises.
//
// Packets of the current source up to MAX_MISORDER late are still forwarded; later ones, an
// unconfirmed jump, and late packets from before a change of source (they would reuse sequence
// numbers already sent) are dropped.
class StreamRewriter {
 public:
  static constexpr std::uint8_t kBlocked = 0xFF;

  explicit StreamRewriter(const StreamRewriterConfig& config);

  // Payload types are forwarded unchanged unless mapped or blocked. Types above 127 are ignored.
  void mapPayloadType(std::uint8_t incoming, std::uint8_t outgoing);
  void blockPayloadType(std::uint8_t incoming);
  void blockAllPayloadTypes();

  // The next packet starts a new source even if its SSRC is the one already seen: call it when
  // the control plane re-bridges the leg.
  void attachSource() { anchorPending_ = true; }

  // Rewrites SSRC, sequence number, timestamp, payload type and, at a source change, the marker
  // of `packet` in place. `parsed` is parseRtp(packet).value; `arrival` is its arrival time in the
  // outgoing stream's timestamp units.
  RewriteResult rewrite(std::span<std::uint8_t> packet, const RtpPacket& parsed,
                        std::uint32_t arrival);

  std::uint32_t ssrc() const { return ssrc_; }
  // Whether anything was forwarded, and the newest sequence number and timestamp sent.
  bool started() const { return started_; }
  std::uint16_t lastSequence() const { return lastSequence_; }
  std::uint32_t lastTimestamp() const { return lastTimestamp_; }

 private:
  void anchor(const RtpPacket& parsed, std::uint32_t arrival);

  std::uint32_t ssrc_;
  std::uint16_t firstSequence_;
  std::uint32_t firstTimestamp_;
  std::array<std::uint8_t, 128> payloadTypes_{};

  bool started_ = false;
  bool anchorPending_ = true;
  std::uint32_t inputSsrc_ = 0;
  std::uint16_t highestInput_ = 0;
  std::uint32_t sinceAnchor_ = 0;        // how far highestInput_ is past the source's first packet
  std::uint32_t pendingJump_ = 0x10000;  // the sequence number that would confirm a jump
  std::uint16_t sequenceOffset_ = 0;
  std::uint32_t timestampOffset_ = 0;
  std::uint16_t lastSequence_ = 0;
  std::uint32_t lastTimestamp_ = 0;
  std::uint32_t lastArrival_ = 0;
};

}  // namespace sb::media
