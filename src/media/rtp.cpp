#include "media/rtp.hpp"

#include <algorithm>
#include <cstdlib>

namespace sb::media {

std::string_view rtpErrorName(RtpError error) {
  switch (error) {
    case RtpError::kNone:
      return "none";
    case RtpError::kTooShort:
      return "too short";
    case RtpError::kBadVersion:
      return "bad version";
    case RtpError::kBadPadding:
      return "bad padding";
    case RtpError::kCsrcOverrun:
      return "CSRC overrun";
    case RtpError::kExtensionOverrun:
      return "extension overrun";
  }
  return "unknown";
}

RtpParseResult parseRtp(std::span<const std::uint8_t> datagram) {
  RtpParseResult result;
  if (datagram.size() < kRtpFixedHeaderSize) {
    result.error = RtpError::kTooShort;
    return result;
  }
  const std::uint8_t* bytes = datagram.data();
  if ((bytes[0] >> 6) != kRtpVersion) {
    result.error = RtpError::kBadVersion;
    return result;
  }
  const bool padding = (bytes[0] & 0x20) != 0;
  const bool extension = (bytes[0] & 0x10) != 0;

  RtpPacket& packet = result.value;
  packet.csrcCount = bytes[0] & 0x0F;
  packet.marker = (bytes[1] & 0x80) != 0;
  packet.payloadType = bytes[1] & 0x7F;
  packet.sequence = be::load16(bytes + 2);
  packet.timestamp = be::load32(bytes + 4);
  packet.ssrc = be::load32(bytes + 8);

  std::size_t offset = kRtpFixedHeaderSize;
  const std::size_t csrcBytes = std::size_t{packet.csrcCount} * 4;
  if (datagram.size() - offset < csrcBytes) {
    result.error = RtpError::kCsrcOverrun;
    return result;
  }
  packet.csrcList = datagram.subspan(offset, csrcBytes);
  offset += csrcBytes;

  if (extension) {
    if (datagram.size() - offset < 4) {
      result.error = RtpError::kExtensionOverrun;
      return result;
    }
    packet.hasExtension = true;
    packet.extensionProfile = be::load16(bytes + offset);
    const std::size_t extensionBytes = std::size_t{be::load16(bytes + offset + 2)} * 4;
    offset += 4;
    if (datagram.size() - offset < extensionBytes) {
      result.error = RtpError::kExtensionOverrun;
      return result;
    }
    packet.extension = datagram.subspan(offset, extensionBytes);
    offset += extensionBytes;
  }
  packet.headerSize = offset;

  std::size_t paddingSize = 0;
  if (padding) {
    paddingSize = bytes[datagram.size() - 1];
    if (paddingSize == 0 || paddingSize > datagram.size() - offset) {
      result.error = RtpError::kBadPadding;
      return result;
    }
  }
  packet.paddingSize = static_cast<std::uint8_t>(paddingSize);
  packet.payload = datagram.subspan(offset, datagram.size() - offset - paddingSize);
  return result;
}

bool looksLikeRtcp(std::span<const std::uint8_t> datagram) {
  return datagram.size() >= 2 && datagram[1] >= 192 && datagram[1] <= 223;
}

void setMarker(RtpFixedHeader header, bool marker) {
  header[1] = static_cast<std::uint8_t>((header[1] & 0x7F) | (marker ? 0x80 : 0x00));
}

void setPayloadType(RtpFixedHeader header, std::uint8_t payloadType) {
  header[1] = static_cast<std::uint8_t>((header[1] & 0x80) | (payloadType & 0x7F));
}

void setSequence(RtpFixedHeader header, std::uint16_t sequence) {
  be::store16(header.data() + 2, sequence);
}

void setTimestamp(RtpFixedHeader header, std::uint32_t timestamp) {
  be::store32(header.data() + 4, timestamp);
}

void setSsrc(RtpFixedHeader header, std::uint32_t ssrc) {
  be::store32(header.data() + 8, ssrc);
}

std::size_t writeRtpHeader(std::span<std::uint8_t> out, const RtpHeaderFields& fields,
                           std::span<const std::uint32_t> csrcs) {
  if (csrcs.size() > kRtpMaxCsrcs) return 0;
  const std::size_t size = kRtpFixedHeaderSize + 4 * csrcs.size();
  if (out.size() < size) return 0;
  std::uint8_t* bytes = out.data();
  bytes[0] = static_cast<std::uint8_t>((kRtpVersion << 6) | csrcs.size());
  bytes[1] = static_cast<std::uint8_t>((fields.marker ? 0x80 : 0x00) | (fields.payloadType & 0x7F));
  be::store16(bytes + 2, fields.sequence);
  be::store32(bytes + 4, fields.timestamp);
  be::store32(bytes + 8, fields.ssrc);
  for (std::size_t i = 0; i < csrcs.size(); ++i) {
    be::store32(bytes + kRtpFixedHeaderSize + 4 * i, csrcs[i]);
  }
  return size;
}

// ---- ReceiveStatistics ----------------------------------------------------------------------

namespace {
constexpr std::uint32_t kSequenceModulus = 1u << 16;
constexpr std::int32_t kMaxCumulativeLost = 0x7FFFFF;
constexpr std::int32_t kMinCumulativeLost = -0x800000;
}  // namespace

ReceiveStatistics::ReceiveStatistics(int minSequential)
    : minSequential_(std::max(minSequential, 1)) {}

// RFC 3550 A.1 init_seq().
void ReceiveStatistics::restart(std::uint16_t sequence) {
  baseSequence_ = sequence;
  maxSequence_ = sequence;
  badSequence_ = kSequenceModulus + 1;  // matches no 16-bit sequence number
  cycles_ = 0;
  received_ = 0;
  receivedPrior_ = 0;
  expectedPrior_ = 0;
  // The restarted sender may have a new timestamp base: the next packet starts the jitter
  // estimate over instead of counting the jump as jitter.
  haveTransit_ = false;
}

// RFC 3550 A.1 update_seq(), with the sequence arithmetic done in 16 bits: the appendix's
// `seq == s->max_seq + 1` is computed in int there and never matches across 65535 -> 0.
SequenceStatus ReceiveStatistics::updateSequence(std::uint16_t sequence) {
  if (!started_) {
    started_ = true;
    restart(sequence);
    maxSequence_ = static_cast<std::uint16_t>(sequence - 1);
    probation_ = minSequential_;
  }
  const auto delta = static_cast<std::uint16_t>(sequence - maxSequence_);

  if (probation_ > 0) {
    if (delta == 1) {
      --probation_;
      maxSequence_ = sequence;
      if (probation_ == 0) {
        restart(sequence);
        ++received_;
        return SequenceStatus::kInOrder;
      }
    } else {
      probation_ = minSequential_ - 1;
      maxSequence_ = sequence;
    }
    return SequenceStatus::kProbation;
  }

  SequenceStatus status = SequenceStatus::kLateOrDuplicate;
  if (delta == 0) {
    // A duplicate of the highest: A.1 counts it like an in-order packet, and so do we.
  } else if (delta < kMaxDropout) {
    if (sequence < maxSequence_) cycles_ += kSequenceModulus;
    maxSequence_ = sequence;
    status = SequenceStatus::kInOrder;
  } else if (delta <= kSequenceModulus - kMaxMisorder) {
    if (sequence != badSequence_) {
      badSequence_ = (std::uint32_t{sequence} + 1) & (kSequenceModulus - 1);
      return SequenceStatus::kJump;
    }
    // Two sequential packets after a jump: the sender restarted without telling us.
    restart(sequence);
    status = SequenceStatus::kRestarted;
  }
  ++received_;
  return status;
}

// RFC 3550 A.8, integer form: the estimate is kept scaled by 16 and reported as jitter >> 4.
void ReceiveStatistics::updateJitter(std::uint32_t timestamp, std::uint32_t arrival) {
  const std::uint32_t transit = arrival - timestamp;
  if (!haveTransit_) {
    haveTransit_ = true;
    transit_ = transit;
    return;
  }
  const auto difference = static_cast<std::int32_t>(transit - transit_);
  transit_ = transit;
  const std::int64_t d = std::abs(std::int64_t{difference});
  const auto scaled = static_cast<std::int64_t>(jitterScaled_);
  jitterScaled_ = static_cast<std::uint64_t>(scaled + d - ((scaled + 8) >> 4));
}

namespace {
bool counted(SequenceStatus status) {
  return status != SequenceStatus::kProbation && status != SequenceStatus::kJump;
}
}  // namespace

SequenceStatus ReceiveStatistics::onPacket(std::uint16_t sequence, std::uint32_t timestamp,
                                           std::uint32_t arrival) {
  const SequenceStatus status = updateSequence(sequence);
  if (counted(status)) updateJitter(timestamp, arrival);
  return status;
}

SequenceStatus ReceiveStatistics::onPacketWithoutTiming(std::uint16_t sequence) {
  return updateSequence(sequence);
}

std::int64_t ReceiveStatistics::expected() const {
  if (!valid()) return 0;
  return std::int64_t{extendedHighestSequence()} - std::int64_t{baseSequence_} + 1;
}

std::uint32_t ReceiveStatistics::jitter() const {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(jitterScaled_ >> 4, UINT32_MAX));
}

// RFC 3550 A.3.
ReceptionReport ReceiveStatistics::takeReport() {
  ReceptionReport report;
  report.extendedHighestSequence = extendedHighestSequence();
  report.jitter = jitter();
  if (!valid()) return report;

  const std::int64_t expectedNow = expected();
  report.cumulativeLost = static_cast<std::int32_t>(
      std::clamp<std::int64_t>(expectedNow - received_, kMinCumulativeLost, kMaxCumulativeLost));

  const std::int64_t expectedInterval = expectedNow - expectedPrior_;
  const std::int64_t receivedInterval = std::int64_t{received_} - receivedPrior_;
  expectedPrior_ = expectedNow;
  receivedPrior_ = received_;
  const std::int64_t lostInterval = expectedInterval - receivedInterval;
  if (expectedInterval > 0 && lostInterval > 0) {
    report.fractionLost = static_cast<std::uint8_t>(
        std::min<std::int64_t>((lostInterval << 8) / expectedInterval, 255));
  }
  return report;
}

// ---- StreamRewriter -------------------------------------------------------------------------

StreamRewriter::StreamRewriter(const StreamRewriterConfig& config)
    : ssrc_(config.ssrc),
      firstSequence_(config.firstSequence),
      firstTimestamp_(config.firstTimestamp) {
  // Every payload type maps to itself until told otherwise; copied whole, as a call sets up
  // several rewriters.
  static constexpr auto kIdentity = [] {
    decltype(payloadTypes_) identity{};
    for (std::size_t i = 0; i < identity.size(); ++i)
      identity[i] = static_cast<std::uint8_t>(i);
    return identity;
  }();
  payloadTypes_ = kIdentity;
}

void StreamRewriter::mapPayloadType(std::uint8_t incoming, std::uint8_t outgoing) {
  if (incoming > kRtpMaxPayloadType || outgoing > kRtpMaxPayloadType) return;
  payloadTypes_[incoming] = outgoing;
}

void StreamRewriter::blockPayloadType(std::uint8_t incoming) {
  if (incoming > kRtpMaxPayloadType) return;
  payloadTypes_[incoming] = kBlocked;
}

void StreamRewriter::blockAllPayloadTypes() {
  payloadTypes_.fill(kBlocked);
}

void StreamRewriter::anchor(const RtpPacket& parsed, std::uint32_t arrival) {
  std::uint16_t sequence = firstSequence_;
  std::uint32_t timestamp = firstTimestamp_;
  if (started_) {
    sequence = static_cast<std::uint16_t>(lastSequence_ + 1);
    // At least one unit, so that the far end never sees two frames at the same instant.
    const auto elapsed = static_cast<std::int32_t>(arrival - lastArrival_);
    timestamp = lastTimestamp_ + static_cast<std::uint32_t>(std::max<std::int32_t>(elapsed, 1));
  }
  sequenceOffset_ = static_cast<std::uint16_t>(sequence - parsed.sequence);
  timestampOffset_ = timestamp - parsed.timestamp;
  inputSsrc_ = parsed.ssrc;
  highestInput_ = parsed.sequence;
  sinceAnchor_ = 0;
  pendingJump_ = kSequenceModulus;  // matches no 16-bit sequence number
  anchorPending_ = false;
  started_ = true;
  lastSequence_ = sequence;
  lastTimestamp_ = timestamp;
  lastArrival_ = arrival;
}

RewriteResult StreamRewriter::rewrite(std::span<std::uint8_t> packet, const RtpPacket& parsed,
                                      std::uint32_t arrival) {
  if (packet.size() < kRtpFixedHeaderSize) return RewriteResult::kMalformed;
  const std::uint8_t payloadType = payloadTypes_[parsed.payloadType & 0x7F];
  if (payloadType == kBlocked) return RewriteResult::kDroppedPayloadType;

  bool newSource = anchorPending_ || parsed.ssrc != inputSsrc_;
  bool newest = false;
  if (!newSource) {
    const auto ahead = static_cast<std::uint16_t>(parsed.sequence - highestInput_);
    if (ahead >= ReceiveStatistics::kMaxDropout &&
        ahead <= kSequenceModulus - ReceiveStatistics::kMaxMisorder) {
      // One stray packet must not move the whole stream: re-anchor only when the next packet
      // follows it.
      if (parsed.sequence != pendingJump_) {
        pendingJump_ = (std::uint32_t{parsed.sequence} + 1) & (kSequenceModulus - 1);
        return RewriteResult::kDroppedJump;
      }
      newSource = true;
    } else if (ahead != 0 && ahead < ReceiveStatistics::kMaxDropout) {
      newest = true;
      highestInput_ = parsed.sequence;
      sinceAnchor_ = std::min<std::uint32_t>(sinceAnchor_ + ahead, kSequenceModulus);
    } else if (ahead != 0 && kSequenceModulus - ahead > sinceAnchor_) {
      return RewriteResult::kDroppedStale;
    }
  }

  auto header = packet.first<kRtpFixedHeaderSize>();
  if (newSource) {
    anchor(parsed, arrival);
    setMarker(header, true);
  }
  const auto sequence = static_cast<std::uint16_t>(parsed.sequence + sequenceOffset_);
  const std::uint32_t timestamp = parsed.timestamp + timestampOffset_;
  if (newest) {
    lastSequence_ = sequence;
    // Only a packet with a new timestamp says where the source's clock stood at its arrival:
    // an RFC 4733 event repeats its start timestamp for as long as the key is held.
    if (timestamp != lastTimestamp_) {
      lastTimestamp_ = timestamp;
      lastArrival_ = arrival;
    }
  }
  setSequence(header, sequence);
  setTimestamp(header, timestamp);
  setSsrc(header, ssrc_);
  setPayloadType(header, payloadType);
  return RewriteResult::kForwarded;
}

}  // namespace sb::media
