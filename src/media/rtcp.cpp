#include "media/rtcp.hpp"

#include <algorithm>

namespace sb::media {

namespace {

constexpr std::int64_t kSecondsFrom1900To1970 = 2'208'988'800;
constexpr std::int32_t kMaxCumulativeLost = 0x7FFFFF;
constexpr std::int32_t kMinCumulativeLost = -0x800000;
constexpr std::uint8_t kSdesEnd = 0;
constexpr std::uint8_t kSdesCname = 1;

std::uint8_t versionOf(const std::uint8_t* header) {
  return header[0] >> 6;
}
bool paddingOf(const std::uint8_t* header) {
  return (header[0] & 0x20) != 0;
}
// The packet's size in bytes from its length field (32-bit words minus one).
std::size_t sizeOf(const std::uint8_t* header) {
  return (std::size_t{be::load16(header + 2)} + 1) * 4;
}
constexpr std::size_t roundUpToWord(std::size_t size) {
  return (size + 3) & ~std::size_t{3};
}

// The size of the SDES chunk at the start of `bytes`, 0 when it runs past the end.
std::size_t sdesChunkSize(std::span<const std::uint8_t> bytes) {
  std::size_t position = 4;  // SSRC
  if (bytes.size() < position) return 0;
  while (true) {
    if (position >= bytes.size()) return 0;
    if (bytes[position] == kSdesEnd) {
      const std::size_t size = roundUpToWord(position + 1);
      return size <= bytes.size() ? size : 0;
    }
    if (bytes.size() - position < 2) return 0;
    const std::size_t length = bytes[position + 1];
    if (bytes.size() - position - 2 < length) return 0;
    position += 2 + length;
  }
}

}  // namespace

std::string_view rtcpErrorName(RtcpError error) {
  switch (error) {
    case RtcpError::kNone:
      return "none";
    case RtcpError::kTooShort:
      return "too short";
    case RtcpError::kBadVersion:
      return "bad version";
    case RtcpError::kFirstNotReport:
      return "first packet not SR or RR";
    case RtcpError::kBadPadding:
      return "bad padding";
    case RtcpError::kLengthMismatch:
      return "length mismatch";
    case RtcpError::kBadSdes:
      return "bad SDES";
    case RtcpError::kWrongType:
      return "wrong packet type";
  }
  return "unknown";
}

NtpTimestamp toNtp(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto sinceEpoch = time.time_since_epoch();
  const auto wholeSeconds = floor<seconds>(sinceEpoch);
  const auto nanos = duration_cast<nanoseconds>(sinceEpoch - wholeSeconds).count();
  NtpTimestamp ntp;
  ntp.seconds = static_cast<std::uint32_t>(wholeSeconds.count() + kSecondsFrom1900To1970);
  ntp.fraction =
      static_cast<std::uint32_t>((static_cast<std::uint64_t>(nanos) << 32) / 1'000'000'000);
  return ntp;
}

// ---- Reading --------------------------------------------------------------------------------

RtcpCompoundResult parseRtcpCompound(std::span<const std::uint8_t> datagram) {
  RtcpCompoundResult result;
  if (datagram.size() < kRtcpHeaderSize) {
    result.error = RtcpError::kTooShort;
    return result;
  }
  const std::uint8_t* first = datagram.data();
  if (versionOf(first) != 2) {
    result.error = RtcpError::kBadVersion;
    return result;
  }
  if (paddingOf(first) && sizeOf(first) != datagram.size()) {
    result.error = RtcpError::kBadPadding;
    return result;
  }
  if (first[1] != rtcp_type::kSenderReport && first[1] != rtcp_type::kReceiverReport) {
    result.error = RtcpError::kFirstNotReport;
    return result;
  }

  std::size_t offset = 0;
  while (offset < datagram.size()) {
    const std::size_t left = datagram.size() - offset;
    if (left < kRtcpHeaderSize) {
      result.error = RtcpError::kLengthMismatch;
      return result;
    }
    const std::uint8_t* header = datagram.data() + offset;
    if (versionOf(header) != 2) {
      result.error = RtcpError::kBadVersion;
      return result;
    }
    const std::size_t size = sizeOf(header);
    if (size > left) {
      result.error = RtcpError::kLengthMismatch;
      return result;
    }
    if (paddingOf(header)) {
      const std::size_t padding = header[size - 1];
      // Padding belongs on the last packet only (RFC 3550 §6.4.1): the compound is padded as a
      // whole for encryption.
      if (size != left || padding == 0 || padding > size - kRtcpHeaderSize) {
        result.error = RtcpError::kBadPadding;
        return result;
      }
    }
    offset += size;
  }
  result.value = RtcpCompound(datagram);
  return result;
}

RtcpPacketView RtcpCompound::Iterator::operator*() const {
  const std::uint8_t* header = rest_.data();
  const std::size_t size = sizeOf(header);
  const std::size_t padding = paddingOf(header) ? header[size - 1] : 0;
  RtcpPacketView view;
  view.type = header[1];
  view.count = header[0] & 0x1F;
  view.body = rest_.subspan(kRtcpHeaderSize, size - kRtcpHeaderSize - padding);
  return view;
}

RtcpCompound::Iterator& RtcpCompound::Iterator::operator++() {
  rest_ = rest_.subspan(sizeOf(rest_.data()));
  return *this;
}

ReportBlock ReportBlocks::operator[](std::size_t index) const {
  const std::uint8_t* p = bytes_.data() + index * kReportBlockSize;
  ReportBlock block;
  block.ssrc = be::load32(p);
  block.fractionLost = p[4];
  // 24-bit two's complement: shift it to the top of 32 bits and back to extend the sign.
  const std::uint32_t lost24 = be::load32(p + 4) & 0xFFFFFF;
  block.cumulativeLost = static_cast<std::int32_t>(lost24 << 8) >> 8;
  block.extendedHighestSequence = be::load32(p + 8);
  block.jitter = be::load32(p + 12);
  block.lastSenderReport = be::load32(p + 16);
  block.delaySinceLastSenderReport = be::load32(p + 20);
  return block;
}

Parsed<SenderReport, RtcpError> parseSenderReport(const RtcpPacketView& packet) {
  Parsed<SenderReport, RtcpError> result;
  if (packet.type != rtcp_type::kSenderReport) {
    result.error = RtcpError::kWrongType;
    return result;
  }
  const std::size_t blocksSize = std::size_t{packet.count} * kReportBlockSize;
  if (packet.body.size() < 4 + kSenderInfoSize + blocksSize) {
    result.error = RtcpError::kTooShort;
    return result;
  }
  const std::uint8_t* p = packet.body.data();
  SenderReport& report = result.value;
  report.ssrc = be::load32(p);
  report.sender.ntp.seconds = be::load32(p + 4);
  report.sender.ntp.fraction = be::load32(p + 8);
  report.sender.rtpTimestamp = be::load32(p + 12);
  report.sender.packetCount = be::load32(p + 16);
  report.sender.octetCount = be::load32(p + 20);
  report.blocks = ReportBlocks(packet.body.subspan(4 + kSenderInfoSize, blocksSize));
  return result;
}

Parsed<ReceiverReport, RtcpError> parseReceiverReport(const RtcpPacketView& packet) {
  Parsed<ReceiverReport, RtcpError> result;
  if (packet.type != rtcp_type::kReceiverReport) {
    result.error = RtcpError::kWrongType;
    return result;
  }
  const std::size_t blocksSize = std::size_t{packet.count} * kReportBlockSize;
  if (packet.body.size() < 4 + blocksSize) {
    result.error = RtcpError::kTooShort;
    return result;
  }
  result.value.ssrc = be::load32(packet.body.data());
  result.value.blocks = ReportBlocks(packet.body.subspan(4, blocksSize));
  return result;
}

Parsed<SdesChunks, RtcpError> parseSourceDescription(const RtcpPacketView& packet) {
  Parsed<SdesChunks, RtcpError> result;
  if (packet.type != rtcp_type::kSourceDescription) {
    result.error = RtcpError::kWrongType;
    return result;
  }
  std::span<const std::uint8_t> rest = packet.body;
  for (std::size_t i = 0; i < packet.count; ++i) {
    const std::size_t size = sdesChunkSize(rest);
    if (size == 0) {
      result.error = RtcpError::kBadSdes;
      return result;
    }
    rest = rest.subspan(size);
  }
  result.value = SdesChunks(packet.body, packet.count);
  return result;
}

SdesChunk SdesChunks::Iterator::operator*() const {
  SdesChunk chunk;
  chunk.ssrc = be::load32(rest_.data());
  std::size_t position = 4;
  // Validated by parseSourceDescription: every item fits and a null item ends the list.
  while (rest_[position] != kSdesEnd) {
    const std::size_t length = rest_[position + 1];
    if (rest_[position] == kSdesCname && chunk.cname.empty()) {
      chunk.cname =
          std::string_view(reinterpret_cast<const char*>(rest_.data() + position + 2), length);
    }
    position += 2 + length;
  }
  return chunk;
}

SdesChunks::Iterator& SdesChunks::Iterator::operator++() {
  rest_ = rest_.subspan(sdesChunkSize(rest_));
  --left_;
  return *this;
}

Parsed<Goodbye, RtcpError> parseGoodbye(const RtcpPacketView& packet) {
  Parsed<Goodbye, RtcpError> result;
  if (packet.type != rtcp_type::kGoodbye) {
    result.error = RtcpError::kWrongType;
    return result;
  }
  const std::size_t ssrcBytes = std::size_t{packet.count} * 4;
  if (packet.body.size() < ssrcBytes) {
    result.error = RtcpError::kTooShort;
    return result;
  }
  result.value.ssrcList = packet.body.first(ssrcBytes);
  const auto rest = packet.body.subspan(ssrcBytes);
  if (!rest.empty()) {
    const std::size_t length = rest[0];
    if (rest.size() - 1 < length) {
      result.error = RtcpError::kTooShort;
      return result;
    }
    result.value.reason = std::string_view(reinterpret_cast<const char*>(rest.data() + 1), length);
  }
  return result;
}

// ---- Report blocks --------------------------------------------------------------------------

ReportBlock makeReportBlock(std::uint32_t sourceSsrc, ReceiveStatistics& statistics,
                            const LastSenderReport& lastSenderReport, std::uint32_t nowCompact) {
  const ReceptionReport report = statistics.takeReport();
  ReportBlock block;
  block.ssrc = sourceSsrc;
  block.fractionLost = report.fractionLost;
  block.cumulativeLost = report.cumulativeLost;
  block.extendedHighestSequence = report.extendedHighestSequence;
  block.jitter = report.jitter;
  if (lastSenderReport.received) {
    block.lastSenderReport = lastSenderReport.ntpCompact;
    block.delaySinceLastSenderReport = nowCompact - lastSenderReport.arrivalCompact;
  }
  return block;
}

std::optional<std::uint32_t> roundTripTime(const ReportBlock& block, std::uint32_t arrivalCompact) {
  if (block.lastSenderReport == 0) return std::nullopt;
  const auto rtt = static_cast<std::int32_t>(arrivalCompact - block.lastSenderReport -
                                             block.delaySinceLastSenderReport);
  if (rtt < 0) return std::nullopt;
  return static_cast<std::uint32_t>(rtt);
}

// ---- Writing --------------------------------------------------------------------------------

namespace {

void writeHeader(std::uint8_t* p, std::uint8_t count, std::uint8_t type, std::size_t size) {
  p[0] = static_cast<std::uint8_t>((2 << 6) | count);
  p[1] = type;
  be::store16(p + 2, static_cast<std::uint16_t>(size / 4 - 1));
}

void writeReportBlock(std::uint8_t* p, const ReportBlock& block) {
  be::store32(p, block.ssrc);
  const std::int32_t lost =
      std::clamp(block.cumulativeLost, kMinCumulativeLost, kMaxCumulativeLost);
  be::store32(p + 4, (std::uint32_t{block.fractionLost} << 24) |
                         (static_cast<std::uint32_t>(lost) & 0xFFFFFF));
  be::store32(p + 8, block.extendedHighestSequence);
  be::store32(p + 12, block.jitter);
  be::store32(p + 16, block.lastSenderReport);
  be::store32(p + 20, block.delaySinceLastSenderReport);
}

}  // namespace

bool RtcpWriter::addReport(std::uint8_t type, std::uint32_t ssrc, const SenderInfo* sender,
                           std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxReportBlocks) return false;
  const std::size_t size =
      kRtcpHeaderSize + 4 + (sender ? kSenderInfoSize : 0) + blocks.size() * kReportBlockSize;
  if (out_.size() - size_ < size) return false;
  std::uint8_t* p = out_.data() + size_;
  writeHeader(p, static_cast<std::uint8_t>(blocks.size()), type, size);
  be::store32(p + 4, ssrc);
  p += 8;
  if (sender) {
    be::store32(p, sender->ntp.seconds);
    be::store32(p + 4, sender->ntp.fraction);
    be::store32(p + 8, sender->rtpTimestamp);
    be::store32(p + 12, sender->packetCount);
    be::store32(p + 16, sender->octetCount);
    p += kSenderInfoSize;
  }
  for (const ReportBlock& block : blocks) {
    writeReportBlock(p, block);
    p += kReportBlockSize;
  }
  size_ += size;
  return true;
}

bool RtcpWriter::addSenderReport(std::uint32_t ssrc, const SenderInfo& sender,
                                 std::span<const ReportBlock> blocks) {
  return addReport(rtcp_type::kSenderReport, ssrc, &sender, blocks);
}

bool RtcpWriter::addReceiverReport(std::uint32_t ssrc, std::span<const ReportBlock> blocks) {
  return addReport(rtcp_type::kReceiverReport, ssrc, nullptr, blocks);
}

bool RtcpWriter::addSourceDescription(std::uint32_t ssrc, std::string_view cname) {
  if (cname.size() > kMaxSdesTextLength) return false;
  // SSRC, CNAME item, then the null item padded with null octets to the next word.
  const std::size_t chunkSize = roundUpToWord(4 + 2 + cname.size() + 1);
  const std::size_t size = kRtcpHeaderSize + chunkSize;
  if (out_.size() - size_ < size) return false;
  std::uint8_t* p = out_.data() + size_;
  std::fill_n(p, size, std::uint8_t{0});
  writeHeader(p, 1, rtcp_type::kSourceDescription, size);
  be::store32(p + 4, ssrc);
  p[8] = kSdesCname;
  p[9] = static_cast<std::uint8_t>(cname.size());
  std::copy(cname.begin(), cname.end(), p + 10);
  size_ += size;
  return true;
}

bool RtcpWriter::addGoodbye(std::span<const std::uint32_t> ssrcs, std::string_view reason) {
  if (ssrcs.size() > kMaxReportBlocks || reason.size() > kMaxSdesTextLength) return false;
  const std::size_t reasonSize = reason.empty() ? 0 : roundUpToWord(1 + reason.size());
  const std::size_t size = kRtcpHeaderSize + 4 * ssrcs.size() + reasonSize;
  if (out_.size() - size_ < size) return false;
  std::uint8_t* p = out_.data() + size_;
  std::fill_n(p, size, std::uint8_t{0});
  writeHeader(p, static_cast<std::uint8_t>(ssrcs.size()), rtcp_type::kGoodbye, size);
  p += kRtcpHeaderSize;
  for (std::uint32_t ssrc : ssrcs) {
    be::store32(p, ssrc);
    p += 4;
  }
  if (!reason.empty()) {
    p[0] = static_cast<std::uint8_t>(reason.size());
    std::copy(reason.begin(), reason.end(), p + 1);
  }
  size_ += size;
  return true;
}

std::size_t writeReport(std::span<std::uint8_t> out, std::uint32_t ssrc,
                        const std::optional<SenderInfo>& sender,
                        std::span<const ReportBlock> blocks, std::string_view cname) {
  RtcpWriter writer(out);
  const bool reported = sender ? writer.addSenderReport(ssrc, *sender, blocks)
                               : writer.addReceiverReport(ssrc, blocks);
  if (!reported || !writer.addSourceDescription(ssrc, cname)) return 0;
  return writer.size();
}

}  // namespace sb::media
