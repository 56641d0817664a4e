#pragma once
// RTCP (RFC 3550 §6) for the media workers: validating and reading compound packets (SR, RR,
// SDES, BYE; other types such as APP, feedback and XR are passed over), writing SR/RR + SDES
// compound reports from the receive statistics, NTP timestamps and round-trip time.
//
// Like rtp.hpp: no allocation, no exceptions; views borrow the caller's buffer.
//
// Units: NTP timestamps are 32.32 fixed-point seconds since 1900. The "compact" form is their
// middle 32 bits, 16.16 fixed point: LSR, DLSR and round-trip times are in 1/65536 s. Jitter is
// in timestamp units of the reported stream.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "media/rtp.hpp"

namespace sb::media {

inline constexpr std::size_t kRtcpHeaderSize = 4;
inline constexpr std::size_t kReportBlockSize = 24;
inline constexpr std::size_t kSenderInfoSize = 20;
inline constexpr std::size_t kMaxReportBlocks = 31;  // the 5-bit count
inline constexpr std::size_t kMaxSdesTextLength = 255;

namespace rtcp_type {
inline constexpr std::uint8_t kSenderReport = 200;
inline constexpr std::uint8_t kReceiverReport = 201;
inline constexpr std::uint8_t kSourceDescription = 202;
inline constexpr std::uint8_t kGoodbye = 203;
inline constexpr std::uint8_t kApplication = 204;
}  // namespace rtcp_type

enum class RtcpError : std::uint8_t {
  kNone,
  kTooShort,        // shorter than a header, or than the counts in it need
  kBadVersion,      // a packet that is not version 2
  kFirstNotReport,  // the compound does not start with SR or RR (RFC 3550 A.2)
  kBadPadding,      // P on any packet but the last, or a count longer than the packet
  kLengthMismatch,  // the length fields do not add up to the datagram
  kBadSdes,         // an SDES chunk or item runs past its packet, or chunks are missing
  kWrongType,       // a typed parser was given another packet type
};

std::string_view rtcpErrorName(RtcpError error);

// ---- NTP time -------------------------------------------------------------------------------

struct NtpTimestamp {
  std::uint32_t seconds = 0;   // since 1900-01-01 UTC, modulo 2^32 (era 1 starts in 2036)
  std::uint32_t fraction = 0;  // 1/2^32 s
  bool operator==(const NtpTimestamp&) const = default;
};

NtpTimestamp toNtp(std::chrono::system_clock::time_point time);

// The middle 32 bits: what LSR carries and what DLSR and round-trip times are measured in.
constexpr std::uint32_t compactNtp(NtpTimestamp time) {
  return (time.seconds << 16) | (time.fraction >> 16);
}

// A compact (1/65536 s) duration in microseconds, rounded down.
constexpr std::chrono::microseconds compactToMicroseconds(std::uint32_t compact) {
  return std::chrono::microseconds((std::uint64_t{compact} * 1'000'000) >> 16);
}

// ---- Reading --------------------------------------------------------------------------------

// One packet of a compound. `count` is the low 5 bits of the first octet (report or source
// count, or the subtype of APP and feedback packets).
struct RtcpPacketView {
  std::uint8_t type = 0;
  std::uint8_t count = 0;
  std::span<const std::uint8_t> body;  // after the 4-byte header, padding removed
};

// A validated compound packet: iterating it cannot fail.
class RtcpCompound {
 public:
  class Iterator {
   public:
    using value_type = RtcpPacketView;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    RtcpPacketView operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const Iterator& other) const { return rest_.data() == other.rest_.data(); }

   private:
    friend class RtcpCompound;
    explicit Iterator(std::span<const std::uint8_t> rest) : rest_(rest) {}
    std::span<const std::uint8_t> rest_;
  };

  RtcpCompound() = default;
  explicit RtcpCompound(std::span<const std::uint8_t> datagram) : bytes_(datagram) {}
  Iterator begin() const { return Iterator(bytes_); }
  Iterator end() const { return Iterator(bytes_.subspan(bytes_.size())); }
  std::span<const std::uint8_t> bytes() const { return bytes_; }

 private:
  std::span<const std::uint8_t> bytes_;
};

using RtcpCompoundResult = Parsed<RtcpCompound, RtcpError>;

// Validates a datagram as a compound RTCP packet (RFC 3550 A.2): every packet version 2, the
// first an SR or RR without padding, padding only on the last, lengths that add up exactly.
// Packet bodies are read with the typed parsers below.
RtcpCompoundResult parseRtcpCompound(std::span<const std::uint8_t> datagram);

struct SenderInfo {
  NtpTimestamp ntp;                // wall clock when the report was sent
  std::uint32_t rtpTimestamp = 0;  // the same instant in the stream's timestamp units
  std::uint32_t packetCount = 0;
  std::uint32_t octetCount = 0;
  bool operator==(const SenderInfo&) const = default;
};

struct ReportBlock {
  std::uint32_t ssrc = 0;  // the source this block reports on
  std::uint8_t fractionLost = 0;
  std::int32_t cumulativeLost = 0;  // 24-bit signed on the wire
  std::uint32_t extendedHighestSequence = 0;
  std::uint32_t jitter = 0;                      // timestamp units
  std::uint32_t lastSenderReport = 0;            // LSR, compact NTP; 0: no SR received
  std::uint32_t delaySinceLastSenderReport = 0;  // DLSR, 1/65536 s
  bool operator==(const ReportBlock&) const = default;
};

// The report blocks of an SR or RR, decoded on access.
class ReportBlocks {
 public:
  ReportBlocks() = default;
  explicit ReportBlocks(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::size_t size() const { return bytes_.size() / kReportBlockSize; }
  bool empty() const { return bytes_.empty(); }
  ReportBlock operator[](std::size_t index) const;

 private:
  std::span<const std::uint8_t> bytes_;
};

struct SenderReport {
  std::uint32_t ssrc = 0;
  SenderInfo sender;
  ReportBlocks blocks;
};

struct ReceiverReport {
  std::uint32_t ssrc = 0;
  ReportBlocks blocks;
};

// Bytes past the report blocks (profile-specific extensions) are allowed and ignored.
Parsed<SenderReport, RtcpError> parseSenderReport(const RtcpPacketView& packet);
Parsed<ReceiverReport, RtcpError> parseReceiverReport(const RtcpPacketView& packet);

// One SDES chunk; of its items only CNAME is kept, the others are checked and skipped.
struct SdesChunk {
  std::uint32_t ssrc = 0;
  std::string_view cname;  // empty when the chunk has none
};

// The chunks of a validated SDES packet.
class SdesChunks {
 public:
  class Iterator {
   public:
    using value_type = SdesChunk;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    SdesChunk operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const Iterator& other) const { return left_ == other.left_; }

   private:
    friend class SdesChunks;
    Iterator(std::span<const std::uint8_t> rest, std::size_t left) : rest_(rest), left_(left) {}
    std::span<const std::uint8_t> rest_;
    std::size_t left_ = 0;
  };

  SdesChunks() = default;
  SdesChunks(std::span<const std::uint8_t> bytes, std::size_t count)
      : bytes_(bytes), count_(count) {}
  std::size_t size() const { return count_; }
  Iterator begin() const { return Iterator(bytes_, count_); }
  Iterator end() const { return Iterator({}, 0); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t count_ = 0;
};

// Checks that `count` chunks, each ending with a null item and padded to 32 bits, fit the body.
Parsed<SdesChunks, RtcpError> parseSourceDescription(const RtcpPacketView& packet);

struct Goodbye {
  std::span<const std::uint8_t> ssrcList;  // 4 bytes per source
  std::string_view reason;                 // empty when none was given

  std::size_t size() const { return ssrcList.size() / 4; }
  std::uint32_t ssrc(std::size_t index) const { return be::load32(ssrcList.data() + 4 * index); }
};

Parsed<Goodbye, RtcpError> parseGoodbye(const RtcpPacketView& packet);

// ---- Report blocks from our statistics ------------------------------------------------------

// What we keep of the last SR from a source, for LSR and DLSR in our report blocks about it.
struct LastSenderReport {
  bool received = false;
  std::uint32_t ntpCompact = 0;      // the SR's NTP timestamp, compact: our LSR
  std::uint32_t arrivalCompact = 0;  // when it arrived, our wall clock, compact

  void onSenderReport(const SenderInfo& sender, std::uint32_t arrival) {
    received = true;
    ntpCompact = compactNtp(sender.ntp);
    arrivalCompact = arrival;
  }
};

// A report block about `sourceSsrc`. Takes the report from `statistics` (which resets its
// fraction-lost interval) and computes DLSR from `nowCompact`, the compact NTP time now.
ReportBlock makeReportBlock(std::uint32_t sourceSsrc, ReceiveStatistics& statistics,
                            const LastSenderReport& lastSenderReport, std::uint32_t nowCompact);

// Round-trip time from a report block about our own stream that arrived at `arrivalCompact`
// (RFC 3550 §6.4.1: A - LSR - DLSR), in 1/65536 s. nullopt when the block carries no LSR (the
// peer has not received an SR from us) or the result is negative (clocks moved).
std::optional<std::uint32_t> roundTripTime(const ReportBlock& block, std::uint32_t arrivalCompact);

// ---- Writing --------------------------------------------------------------------------------

// Appends RTCP packets to a caller's buffer. Each add returns false and writes nothing when the
// packet does not fit or its arguments are out of range (more than 31 report blocks or
// sources, SDES text over 255 bytes).
class RtcpWriter {
 public:
  explicit RtcpWriter(std::span<std::uint8_t> out) : out_(out) {}

  bool addSenderReport(std::uint32_t ssrc, const SenderInfo& sender,
                       std::span<const ReportBlock> blocks);
  bool addReceiverReport(std::uint32_t ssrc, std::span<const ReportBlock> blocks);
  bool addSourceDescription(std::uint32_t ssrc, std::string_view cname);
  bool addGoodbye(std::span<const std::uint32_t> ssrcs, std::string_view reason = {});

  std::size_t size() const { return size_; }
  std::span<const std::uint8_t> written() const { return out_.first(size_); }

 private:
  bool addReport(std::uint8_t type, std::uint32_t ssrc, const SenderInfo* sender,
                 std::span<const ReportBlock> blocks);

  std::span<std::uint8_t> out_;
  std::size_t size_ = 0;
};

// The regular compound report (RFC 3550 §6.1): an SR when `sender` is given (we sent RTP since
// the last report), an RR otherwise, then SDES with our CNAME. Returns its size, 0 when it does
// not fit `out` or the arguments are out of range.
std::size_t writeReport(std::span<std::uint8_t> out, std::uint32_t ssrc,
                        const std::optional<SenderInfo>& sender,
                        std::span<const ReportBlock> blocks, std::string_view cname);

}  // namespace sb::media
