// RTP, RTCP and RFC 4733 telephone events: exact bytes in, exact values out.

#include "media/rtp.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "media/rtcp.hpp"
#include "media/telephone_event.hpp"

namespace sb::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::span<const std::uint8_t> view(const Bytes& bytes) {
  return bytes;
}

// A 12-byte header and a 4-byte payload.
Bytes rtpPacket(std::uint32_t ssrc, std::uint16_t sequence, std::uint32_t timestamp,
                std::uint8_t payloadType = 0, bool marker = false) {
  Bytes bytes(16, 0xAB);
  RtpHeaderFields fields{marker, payloadType, sequence, timestamp, ssrc};
  EXPECT_EQ(writeRtpHeader(bytes, fields), 12u);
  return bytes;
}

// ================================ RTP parsing ================================================

TEST(RtpParseTest, ReadsAMinimalPcmuPacket) {
  const Bytes bytes = {0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xA0,
                       0xDE, 0xAD, 0xBE, 0xEF, 0xFF, 0xFE, 0xFD, 0xFC};
  const auto parsed = parseRtp(bytes);
  ASSERT_TRUE(parsed.ok()) << rtpErrorName(parsed.error);
  const RtpPacket& p = parsed.value;
  EXPECT_FALSE(p.marker);
  EXPECT_EQ(p.payloadType, 0);
  EXPECT_EQ(p.sequence, 1);
  EXPECT_EQ(p.timestamp, 160u);
  EXPECT_EQ(p.ssrc, 0xDEADBEEFu);
  EXPECT_EQ(p.csrcCount, 0);
  EXPECT_FALSE(p.hasExtension);
  EXPECT_EQ(p.headerSize, 12u);
  EXPECT_EQ(p.paddingSize, 0);
  ASSERT_EQ(p.payload.size(), 4u);
  EXPECT_EQ(p.payload.data(), bytes.data() + 12);  // a view, not a copy
  EXPECT_EQ(p.payload[0], 0xFF);
}

TEST(RtpParseTest, ReadsMarkerAndDynamicPayloadType) {
  const Bytes bytes = {0x80, 0xE5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1};
  const auto parsed = parseRtp(bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed.value.marker);
  EXPECT_EQ(parsed.value.payloadType, 101);
  EXPECT_EQ(parsed.value.sequence, 65535);
  EXPECT_EQ(parsed.value.timestamp, 0xFFFFFFFFu);
  EXPECT_TRUE(parsed.value.payload.empty());
}

// V=2 P X CC=2, M, PT 96; two CSRCs; an RFC 8285 one-byte extension of one word; 3 bytes of
// payload and 3 of padding.
const Bytes kFullPacket = {0xB2, 0xE0, 0x12, 0x34,  // V P X CC, M PT, sequence
                           0x11, 0x22, 0x33, 0x44, 0x01, 0x02, 0x03, 0x04,  // timestamp, SSRC
                           0xAA, 0xBB, 0xCC, 0xDD, 0x11, 0x11, 0x11, 0x11,  // CSRCs
                           0xBE, 0xDE, 0x00, 0x01, 0x10, 0xFF, 0x00, 0x00,  // extension
                           0x01, 0x02, 0x03,                                // payload
                           0x00, 0x00, 0x03};                               // padding

TEST(RtpParseTest, ReadsCsrcsExtensionAndPadding) {
  const auto parsed = parseRtp(kFullPacket);
  ASSERT_TRUE(parsed.ok()) << rtpErrorName(parsed.error);
  const RtpPacket& p = parsed.value;
  EXPECT_TRUE(p.marker);
  EXPECT_EQ(p.payloadType, 96);
  EXPECT_EQ(p.sequence, 0x1234);
  EXPECT_EQ(p.timestamp, 0x11223344u);
  EXPECT_EQ(p.ssrc, 0x01020304u);
  ASSERT_EQ(p.csrcCount, 2);
  EXPECT_EQ(p.csrc(0), 0xAABBCCDDu);
  EXPECT_EQ(p.csrc(1), 0x11111111u);
  EXPECT_TRUE(p.hasExtension);
  EXPECT_EQ(p.extensionProfile, 0xBEDE);
  ASSERT_EQ(p.extension.size(), 4u);
  EXPECT_EQ(p.extension[0], 0x10);
  EXPECT_EQ(p.extension[1], 0xFF);
  EXPECT_EQ(p.headerSize, 28u);
  EXPECT_EQ(p.paddingSize, 3);
  EXPECT_EQ(Bytes(p.payload.begin(), p.payload.end()), (Bytes{0x01, 0x02, 0x03}));
}

TEST(RtpParseTest, AcceptsAPaddingOnlyPacket) {
  const Bytes bytes = {0xA0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4};
  const auto parsed = parseRtp(bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed.value.payload.empty());
  EXPECT_EQ(parsed.value.paddingSize, 4);
}

TEST(RtpParseTest, RefusesMalformedPackets) {
  const Bytes header = {0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(parseRtp({}).error, RtpError::kTooShort);
  EXPECT_EQ(parseRtp(view(header).first(11)).error, RtpError::kTooShort);

  Bytes version1 = header;
  version1[0] = 0x40;
  EXPECT_EQ(parseRtp(version1).error, RtpError::kBadVersion);
  Bytes version0 = header;
  version0[0] = 0x00;
  EXPECT_EQ(parseRtp(version0).error, RtpError::kBadVersion);

  Bytes zeroPadding = header;
  zeroPadding[0] = 0xA0;
  zeroPadding.insert(zeroPadding.end(), {0x55, 0x00});
  EXPECT_EQ(parseRtp(zeroPadding).error, RtpError::kBadPadding);
  Bytes longPadding = header;
  longPadding[0] = 0xA0;
  longPadding.insert(longPadding.end(), {0x55, 0x03});  // 3 > the 2 bytes after the header
  EXPECT_EQ(parseRtp(longPadding).error, RtpError::kBadPadding);
  Bytes paddingOnBareHeader = header;
  paddingOnBareHeader[0] = 0xA0;
  paddingOnBareHeader[11] = 1;  // the count would be the SSRC's last byte
  EXPECT_EQ(parseRtp(paddingOnBareHeader).error, RtpError::kBadPadding);

  Bytes csrcs = header;
  csrcs[0] = 0x83;  // 3 CSRCs, only 2 present
  csrcs.insert(csrcs.end(), 8, 0x00);
  EXPECT_EQ(parseRtp(csrcs).error, RtpError::kCsrcOverrun);

  Bytes noExtensionHeader = header;
  noExtensionHeader[0] = 0x90;
  noExtensionHeader.insert(noExtensionHeader.end(), {0xBE, 0xDE, 0x00});
  EXPECT_EQ(parseRtp(noExtensionHeader).error, RtpError::kExtensionOverrun);
  Bytes longExtension = header;
  longExtension[0] = 0x90;
  longExtension.insert(longExtension.end(), {0xBE, 0xDE, 0x00, 0x02, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(parseRtp(longExtension).error, RtpError::kExtensionOverrun);

  // Every prefix cut inside the header fails cleanly instead of reading past the end.
  for (std::size_t size = 0; size <= 28; ++size) {
    EXPECT_FALSE(parseRtp(view(kFullPacket).first(size)).ok()) << size;
  }
}

TEST(RtpParseTest, TellsRtcpFromRtpOnAMultiplexedPort) {
  EXPECT_TRUE(looksLikeRtcp(Bytes{0x80, 0xC8, 0x00, 0x06}));  // SR
  EXPECT_TRUE(looksLikeRtcp(Bytes{0x81, 0xCF}));              // XR
  EXPECT_FALSE(looksLikeRtcp(Bytes{0x80, 0x00}));             // PCMU
  EXPECT_FALSE(looksLikeRtcp(Bytes{0x80, 0xE5}));             // telephone-event 101, marker
  EXPECT_FALSE(looksLikeRtcp(Bytes{0x80}));
}

// ================================ RTP writing ================================================

TEST(RtpWriteTest, WritesAHeaderWithCsrcs) {
  std::array<std::uint8_t, 20> out{};
  const std::array<std::uint32_t, 2> csrcs = {0x0A0B0C0D, 0x01020304};
  const std::size_t size = writeRtpHeader(out, {true, 8, 0xBEEF, 0x01020304, 0xCAFEBABE}, csrcs);
  ASSERT_EQ(size, 20u);
  const std::array<std::uint8_t, 20> expected = {0x82, 0x88, 0xBE, 0xEF, 0x01, 0x02, 0x03,
                                                 0x04, 0xCA, 0xFE, 0xBA, 0xBE, 0x0A, 0x0B,
                                                 0x0C, 0x0D, 0x01, 0x02, 0x03, 0x04};
  EXPECT_EQ(out, expected);
}

TEST(RtpWriteTest, RefusesASmallBufferOrTooManyCsrcs) {
  std::array<std::uint8_t, 11> small{};
  EXPECT_EQ(writeRtpHeader(small, {}), 0u);
  std::array<std::uint8_t, 100> big{};
  std::array<std::uint32_t, 16> csrcs{};
  EXPECT_EQ(writeRtpHeader(big, {}, csrcs), 0u);
  EXPECT_EQ(writeRtpHeader(big, {}, std::span(csrcs).first(15)), 72u);
}

TEST(RtpWriteTest, RewritesFieldsInPlaceAndKeepsTheOthers) {
  Bytes bytes = kFullPacket;
  auto header = std::span(bytes).first<kRtpFixedHeaderSize>();
  setSequence(header, 0xFFFF);
  setTimestamp(header, 0xA1B2C3D4);
  setSsrc(header, 0x0BADF00D);
  setPayloadType(header, 0);
  EXPECT_EQ(bytes[1], 0x80);  // the marker survives a payload type change
  setMarker(header, false);
  setPayloadType(header, 101);
  EXPECT_EQ(bytes[1], 0x65);
  const Bytes expectedHeader = {0xB2, 0x65, 0xFF, 0xFF, 0xA1, 0xB2,
                                0xC3, 0xD4, 0x0B, 0xAD, 0xF0, 0x0D};
  EXPECT_EQ(Bytes(bytes.begin(), bytes.begin() + 12), expectedHeader);
  EXPECT_TRUE(std::equal(bytes.begin() + 12, bytes.end(), kFullPacket.begin() + 12));
  EXPECT_TRUE(parseRtp(bytes).ok());
}

// ================================ Sequence arithmetic ========================================

TEST(SequenceTest, OrdersAcrossWraparound) {
  EXPECT_TRUE(sequenceInOrder(1, 2));
  EXPECT_FALSE(sequenceInOrder(2, 1));
  EXPECT_FALSE(sequenceInOrder(7, 7));
  EXPECT_TRUE(sequenceInOrder(65535, 0));
  EXPECT_FALSE(sequenceInOrder(0, 65535));
  EXPECT_TRUE(sequenceInOrder(65000, 100));
  EXPECT_TRUE(sequenceInOrder(0, 32767));
  EXPECT_FALSE(sequenceInOrder(0, 32768));  // exactly half apart: neither way
  EXPECT_FALSE(sequenceInOrder(32768, 0));
  EXPECT_EQ(sequenceDelta(65535, 1), 2);
  EXPECT_EQ(sequenceDelta(1, 65535), -2);
  EXPECT_TRUE(timestampInOrder(0xFFFFFF00u, 0x10u));
  EXPECT_FALSE(timestampInOrder(0x10u, 0xFFFFFF00u));
}

// ================================ Receive statistics =========================================

TEST(ReceiveStatisticsTest, ProbationNeedsTwoSequentialPackets) {
  ReceiveStatistics stats;
  EXPECT_EQ(stats.onPacket(100, 0, 0), SequenceStatus::kProbation);
  EXPECT_FALSE(stats.valid());
  EXPECT_EQ(stats.onPacket(101, 160, 160), SequenceStatus::kInOrder);
  EXPECT_TRUE(stats.valid());
  // A.1: the statistics start at the packet that ends probation.
  EXPECT_EQ(stats.received(), 1u);
  EXPECT_EQ(stats.expected(), 1);
  EXPECT_EQ(stats.extendedHighestSequence(), 101u);
}

TEST(ReceiveStatisticsTest, ProbationRestartsOnAGap) {
  ReceiveStatistics stats;
  EXPECT_EQ(stats.onPacket(100, 0, 0), SequenceStatus::kProbation);
  EXPECT_EQ(stats.onPacket(105, 0, 0), SequenceStatus::kProbation);
  EXPECT_FALSE(stats.valid());
  EXPECT_EQ(stats.onPacket(106, 0, 0), SequenceStatus::kInOrder);
  EXPECT_TRUE(stats.valid());
  EXPECT_EQ(stats.extendedHighestSequence(), 106u);
}

TEST(ReceiveStatisticsTest, ProbationCompletesAcrossWraparound) {
  // The appendix compares seq == max_seq + 1 in int, which never holds for 65535 -> 0.
  ReceiveStatistics stats;
  EXPECT_EQ(stats.onPacket(65535, 0, 0), SequenceStatus::kProbation);
  EXPECT_EQ(stats.onPacket(0, 160, 160), SequenceStatus::kInOrder);
  EXPECT_TRUE(stats.valid());
}

TEST(ReceiveStatisticsTest, ExtendsSequenceNumbersAcrossWraparound) {
  ReceiveStatistics stats(1);
  for (std::uint16_t seq : {65534, 65535, 0, 1}) {
    EXPECT_EQ(stats.onPacket(seq, 0, 0), SequenceStatus::kInOrder) << seq;
  }
  EXPECT_EQ(stats.extendedHighestSequence(), 0x10001u);
  EXPECT_EQ(stats.expected(), 4);
  EXPECT_EQ(stats.received(), 4u);
  EXPECT_EQ(stats.cumulativeLost(), 0);
  // A late packet from before the wrap does not count another cycle.
  EXPECT_EQ(stats.onPacket(65535, 0, 0), SequenceStatus::kLateOrDuplicate);
  EXPECT_EQ(stats.extendedHighestSequence(), 0x10001u);
}

TEST(ReceiveStatisticsTest, CountsMisorderedAndDuplicatePackets) {
  ReceiveStatistics stats(1);
  EXPECT_EQ(stats.onPacket(10, 0, 0), SequenceStatus::kInOrder);
  EXPECT_EQ(stats.onPacket(11, 0, 0), SequenceStatus::kInOrder);
  EXPECT_EQ(stats.onPacket(13, 0, 0), SequenceStatus::kInOrder);
  EXPECT_EQ(stats.onPacket(12, 0, 0), SequenceStatus::kLateOrDuplicate);
  EXPECT_EQ(stats.onPacket(13, 0, 0), SequenceStatus::kLateOrDuplicate);
  EXPECT_EQ(stats.onPacket(14, 0, 0), SequenceStatus::kInOrder);
  EXPECT_EQ(stats.expected(), 5);
  EXPECT_EQ(stats.received(), 6u);
  EXPECT_EQ(stats.cumulativeLost(), -1);
  const ReceptionReport report = stats.takeReport();
  EXPECT_EQ(report.cumulativeLost, -1);
  EXPECT_EQ(report.fractionLost, 0);  // A.3: no negative fraction
  EXPECT_EQ(report.extendedHighestSequence, 14u);
}

TEST(ReceiveStatisticsTest, DropoutAndMisorderLimits) {
  ReceiveStatistics stats(1);
  EXPECT_EQ(stats.onPacket(10000, 0, 0), SequenceStatus::kInOrder);
  EXPECT_EQ(stats.onPacket(10000 + 2999, 0, 0), SequenceStatus::kInOrder);  // a gap
  EXPECT_EQ(stats.onPacket(12999 + 3000, 0, 0), SequenceStatus::kJump);
  EXPECT_EQ(stats.onPacket(12999 - 99, 0, 0), SequenceStatus::kLateOrDuplicate);
  EXPECT_EQ(stats.onPacket(12999 - 100, 0, 0), SequenceStatus::kJump);
  EXPECT_EQ(stats.extendedHighestSequence(), 12999u);
  EXPECT_EQ(stats.received(), 3u);
}

TEST(ReceiveStatisticsTest, AStrayJumpIsIgnoredAndTwoSequentialOnesRestart) {
  ReceiveStatistics stats(1);
  EXPECT_EQ(stats.onPacket(1000, 0, 0), SequenceStatus::kInOrder);
  EXPECT_EQ(stats.onPacket(1001, 0, 0), SequenceStatus::kInOrder);
  EXPECT_EQ(stats.onPacket(9000, 0, 0), SequenceStatus::kJump);
  EXPECT_EQ(stats.onPacket(1002, 0, 0), SequenceStatus::kInOrder);
  EXPECT_EQ(stats.received(), 3u);

  EXPECT_EQ(stats.onPacket(40000, 0, 0), SequenceStatus::kJump);
  EXPECT_EQ(stats.onPacket(40001, 0, 0), SequenceStatus::kRestarted);
  EXPECT_EQ(stats.received(), 1u);
  EXPECT_EQ(stats.expected(), 1);
  EXPECT_EQ(stats.extendedHighestSequence(), 40001u);
  EXPECT_EQ(stats.onPacket(40002, 0, 0), SequenceStatus::kInOrder);
  EXPECT_EQ(stats.expected(), 2);
}

TEST(ReceiveStatisticsTest, FractionLostCoversTheIntervalSinceTheLastReport) {
  ReceiveStatistics stats(1);
  for (std::uint16_t seq = 0; seq < 100; ++seq) {
    if (seq % 10 == 5) continue;  // 10 of 100 lost
    (void)stats.onPacket(seq, 0, 0);
  }
  ReceptionReport report = stats.takeReport();
  EXPECT_EQ(report.fractionLost, 25);  // 10 * 256 / 100 = 25.6
  EXPECT_EQ(report.cumulativeLost, 10);
  EXPECT_EQ(report.extendedHighestSequence, 99u);

  for (std::uint16_t seq = 100; seq < 150; ++seq)
    (void)stats.onPacket(seq, 0, 0);
  report = stats.takeReport();
  EXPECT_EQ(report.fractionLost, 0);
  EXPECT_EQ(report.cumulativeLost, 10);

  for (std::uint16_t seq = 150; seq < 200; ++seq) {
    if (seq >= 160 && seq < 164) continue;  // 4 of 50 lost
    (void)stats.onPacket(seq, 0, 0);
  }
  report = stats.takeReport();
  EXPECT_EQ(report.fractionLost, 20);  // 4 * 256 / 50 = 20.48
  EXPECT_EQ(report.cumulativeLost, 14);
  EXPECT_EQ(report.extendedHighestSequence, 199u);
}

TEST(ReceiveStatisticsTest, CumulativeLostIsClampedTo24Bits) {
  ReceiveStatistics stats(1);
  std::uint16_t seq = 0;
  (void)stats.onPacket(seq, 0, 0);
  for (int i = 0; i < 3000; ++i) {
    seq = static_cast<std::uint16_t>(seq + 2999);
    ASSERT_EQ(stats.onPacket(seq, 0, 0), SequenceStatus::kInOrder);
  }
  EXPECT_EQ(stats.cumulativeLost(), 3000 * 2998);
  EXPECT_EQ(stats.takeReport().cumulativeLost, 0x7FFFFF);
}

TEST(ReceiveStatisticsTest, NothingIsReportedLostBeforeTheSourceIsValid) {
  ReceiveStatistics stats;
  const ReceptionReport none = stats.takeReport();
  EXPECT_EQ(none.cumulativeLost, 0);
  EXPECT_EQ(none.fractionLost, 0);
  (void)stats.onPacket(7, 0, 0);
  EXPECT_EQ(stats.takeReport().cumulativeLost, 0);
}

// Packets every 160 units, arriving `offset` units late: transit = offset.
std::vector<std::uint32_t> jitterAfterEachPacket(const std::vector<std::uint32_t>& offsets,
                                                 std::uint32_t arrivalOrigin = 0) {
  ReceiveStatistics stats(1);
  std::vector<std::uint32_t> jitter;
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const auto timestamp = static_cast<std::uint32_t>(i * 160);
    (void)stats.onPacket(static_cast<std::uint16_t>(i), 5000 + timestamp,
                         arrivalOrigin + timestamp + offsets[i]);
    jitter.push_back(stats.jitter());
  }
  return jitter;
}

TEST(ReceiveStatisticsTest, JitterMovesOneSixteenthTowardsEachDifference) {
  // One packet 160 units late: J = 160 / 16.
  EXPECT_EQ(jitterAfterEachPacket({0, 160}), (std::vector<std::uint32_t>{0, 10}));
  // A.8 integer form by hand: J16 += |D| - ((J16 + 8) >> 4), reported J16 >> 4.
  // |D|: 40 40 80 60 0 80 100 -> J16: 40 77 152 202 189 257 341.
  const std::vector<std::uint32_t> pattern = {0, 40, 0, 80, 20, 20, 100, 0};
  const std::vector<std::uint32_t> expected = {0, 2, 4, 9, 12, 11, 16, 21};
  EXPECT_EQ(jitterAfterEachPacket(pattern), expected);
  // The same when the arrival clock wraps in the middle.
  EXPECT_EQ(jitterAfterEachPacket(pattern, 0xFFFFFF00u), expected);
}

TEST(ReceiveStatisticsTest, ConstantDelayIsNoJitterAndAlternatingDelayConverges) {
  EXPECT_EQ(jitterAfterEachPacket(std::vector<std::uint32_t>(50, 1234)).back(), 0u);
  std::vector<std::uint32_t> alternating;
  for (int i = 0; i < 200; ++i)
    alternating.push_back(i % 2 == 0 ? 0 : 32);
  EXPECT_EQ(jitterAfterEachPacket(alternating).back(), 31u);  // J16 settles at 504..519
}

TEST(ReceiveStatisticsTest, PacketsWithoutTimingAreCountedButAddNoJitter) {
  ReceiveStatistics stats(1);
  (void)stats.onPacket(1, 0, 0);
  EXPECT_EQ(stats.onPacketWithoutTiming(2), SequenceStatus::kInOrder);
  EXPECT_EQ(stats.onPacketWithoutTiming(3), SequenceStatus::kInOrder);
  (void)stats.onPacket(4, 480, 480);
  EXPECT_EQ(stats.jitter(), 0u);
  EXPECT_EQ(stats.received(), 4u);
}

// ================================ Stream rewriter ============================================

struct Rewritten {
  RewriteResult result;
  RtpPacket packet;
};

class StreamRewriterTest : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kOurSsrc = 0x5B5B5B5B;

  Rewritten send(std::uint32_t ssrc, std::uint16_t sequence, std::uint32_t timestamp,
                 std::uint32_t arrival, std::uint8_t payloadType = 0, bool marker = false) {
    buffer_ = rtpPacket(ssrc, sequence, timestamp, payloadType, marker);
    const auto in = parseRtp(buffer_);
    EXPECT_TRUE(in.ok());
    const RewriteResult result = rewriter_.rewrite(buffer_, in.value, arrival);
    const auto out = parseRtp(buffer_);
    EXPECT_TRUE(out.ok());
    return {result, out.value};
  }

  StreamRewriter rewriter_{{kOurSsrc, 1000, 50000}};
  Bytes buffer_;
};

TEST_F(StreamRewriterTest, KeepsOffsetsWithinOneSource) {
  Rewritten r = send(0xA, 7, 1234, 0);
  ASSERT_EQ(r.result, RewriteResult::kForwarded);
  EXPECT_EQ(r.packet.ssrc, kOurSsrc);
  EXPECT_EQ(r.packet.sequence, 1000);
  EXPECT_EQ(r.packet.timestamp, 50000u);
  EXPECT_TRUE(r.packet.marker);  // a new source starts a talkspurt

  r = send(0xA, 8, 1394, 160);
  EXPECT_EQ(r.packet.sequence, 1001);
  EXPECT_EQ(r.packet.timestamp, 50160u);
  EXPECT_FALSE(r.packet.marker);

  r = send(0xA, 10, 1714, 480);  // 9 lost: the gap stays visible
  EXPECT_EQ(r.packet.sequence, 1003);
  EXPECT_EQ(r.packet.timestamp, 50480u);

  r = send(0xA, 9, 1554, 500);  // and the late packet fills it
  EXPECT_EQ(r.result, RewriteResult::kForwarded);
  EXPECT_EQ(r.packet.sequence, 1002);
  EXPECT_EQ(r.packet.timestamp, 50320u);
  EXPECT_EQ(rewriter_.lastSequence(), 1003);
  EXPECT_EQ(rewriter_.lastTimestamp(), 50480u);

  r = send(0xA, 8, 1394, 510);  // a duplicate is forwarded as a duplicate
  EXPECT_EQ(r.packet.sequence, 1001);
}

TEST_F(StreamRewriterTest, ContinuesWithoutAGapWhenTheSourceChanges) {
  (void)send(0xA, 7, 1234, 0);
  (void)send(0xA, 8, 1394, 160);
  // Music on hold takes over 320 units after A's last packet arrived.
  Rewritten r = send(0xB, 500, 99999, 480);
  ASSERT_EQ(r.result, RewriteResult::kForwarded);
  EXPECT_EQ(r.packet.ssrc, kOurSsrc);
  EXPECT_EQ(r.packet.sequence, 1002);
  EXPECT_EQ(r.packet.timestamp, 50160u + 320);
  EXPECT_TRUE(r.packet.marker);

  r = send(0xB, 501, 99999 + 160, 640);
  EXPECT_EQ(r.packet.sequence, 1003);
  EXPECT_EQ(r.packet.timestamp, 50640u);
  EXPECT_FALSE(r.packet.marker);

  // B's packets from before the switch would reuse numbers already sent.
  EXPECT_EQ(send(0xB, 499, 99999 - 160, 650).result, RewriteResult::kDroppedStale);
  EXPECT_EQ(rewriter_.lastSequence(), 1003);
}

TEST_F(StreamRewriterTest, AttachSourceRestartsEvenWithTheSameSsrc) {
  (void)send(0xA, 7, 1234, 0);
  rewriter_.attachSource();
  // The re-bridged sender kept its SSRC but numbers from somewhere else.
  const Rewritten r = send(0xA, 30000, 777, 1000);
  EXPECT_EQ(r.packet.sequence, 1001);
  EXPECT_EQ(r.packet.timestamp, 51000u);
  EXPECT_TRUE(r.packet.marker);
}

TEST_F(StreamRewriterTest, AConfirmedSequenceJumpWithinOneSsrcIsANewSource) {
  (void)send(0xA, 100, 0, 0);
  (void)send(0xA, 101, 160, 160);
  EXPECT_EQ(send(0xA, 101 + 3000, 900000, 400).result, RewriteResult::kDroppedJump);
  const Rewritten r = send(0xA, 101 + 3001, 900160, 560);
  ASSERT_EQ(r.result, RewriteResult::kForwarded);
  EXPECT_EQ(r.packet.sequence, 1002);
  EXPECT_EQ(r.packet.timestamp, 50160u + 400);
  EXPECT_TRUE(r.packet.marker);
}

TEST_F(StreamRewriterTest, AStrayJumpOrAVeryLatePacketDoesNotMoveTheStream) {
  for (std::uint16_t seq = 300; seq < 305; ++seq)
    (void)send(0xA, seq, seq * 160u, seq * 160u);
  EXPECT_EQ(send(0xA, 304 - 100, 0, 0).result, RewriteResult::kDroppedJump);  // 100 late
  EXPECT_EQ(send(0xA, 40000, 0, 0).result, RewriteResult::kDroppedJump);
  const Rewritten r = send(0xA, 305, 305 * 160u, 305 * 160u);
  EXPECT_EQ(r.packet.sequence, 1005);
  EXPECT_EQ(r.packet.timestamp, 50000u + 5 * 160);
  EXPECT_FALSE(r.packet.marker);
  EXPECT_EQ(send(0xA, 305 - 99, 0, 0).result, RewriteResult::kDroppedStale);  // before the start
}

TEST_F(StreamRewriterTest, TimestampAdvancesAtLeastOneUnitAtAChange) {
  (void)send(0xA, 1, 0, 100);
  const Rewritten r = send(0xB, 1, 0, 100);
  EXPECT_EQ(r.packet.sequence, 1001);
  EXPECT_EQ(r.packet.timestamp, 50001u);
}

TEST_F(StreamRewriterTest, ElapsedTimeCountsFromTheStartOfAnEventNotItsLastPacket) {
  (void)send(0xA, 1, 0, 0);
  // An RFC 4733 event keeps its start timestamp 160 while the key is held.
  for (std::uint16_t i = 0; i < 3; ++i)
    (void)send(0xA, 2 + i, 160, 160 + i * 160u, 101);
  const Rewritten r = send(0xB, 9, 0, 640);
  EXPECT_EQ(r.packet.sequence, 1004);
  EXPECT_EQ(r.packet.timestamp, 50160u + 480);
}

TEST_F(StreamRewriterTest, WrapsInputAndOutputSequenceNumbers) {
  StreamRewriter rewriter({kOurSsrc, 65534, 0xFFFFFF00});
  std::vector<std::uint16_t> out;
  std::vector<std::uint32_t> timestamps;
  const std::uint16_t in[] = {65535, 0, 1};
  for (std::size_t i = 0; i < 3; ++i) {
    Bytes b = rtpPacket(0xA, in[i], 0xFFFFFFA0u + static_cast<std::uint32_t>(i) * 160);
    const auto parsed = parseRtp(b);
    ASSERT_EQ(rewriter.rewrite(b, parsed.value, 0), RewriteResult::kForwarded);
    out.push_back(parseRtp(b).value.sequence);
    timestamps.push_back(parseRtp(b).value.timestamp);
  }
  EXPECT_EQ(out, (std::vector<std::uint16_t>{65534, 65535, 0}));
  EXPECT_EQ(timestamps, (std::vector<std::uint32_t>{0xFFFFFF00u, 0xFFFFFFA0u, 0x40u}));
}

TEST_F(StreamRewriterTest, MapsAndBlocksPayloadTypes) {
  rewriter_.mapPayloadType(96, 101);
  rewriter_.blockPayloadType(13);
  Rewritten r = send(0xA, 1, 0, 0, 96, true);
  EXPECT_EQ(r.packet.payloadType, 101);
  EXPECT_EQ(send(0xA, 2, 160, 160, 13).result, RewriteResult::kDroppedPayloadType);
  r = send(0xA, 3, 320, 320, 0);
  EXPECT_EQ(r.packet.payloadType, 0);
  EXPECT_EQ(r.packet.sequence, 1002);  // the input's gap stays
}

TEST_F(StreamRewriterTest, BlockingAllLetsOnlyMappedTypesThrough) {
  rewriter_.blockAllPayloadTypes();
  rewriter_.mapPayloadType(8, 0);
  EXPECT_EQ(send(0xA, 1, 0, 0, 8, true).packet.payloadType, 0);
  for (std::uint8_t pt : {0, 13, 101, 127})
    EXPECT_EQ(send(0xA, 2, 160, 160, pt).result, RewriteResult::kDroppedPayloadType) << int(pt);
}

TEST_F(StreamRewriterTest, LeavesCsrcsExtensionAndPayloadAlone) {
  Bytes bytes = kFullPacket;
  const auto in = parseRtp(bytes);
  ASSERT_EQ(rewriter_.rewrite(bytes, in.value, 0), RewriteResult::kForwarded);
  EXPECT_TRUE(std::equal(bytes.begin() + 12, bytes.end(), kFullPacket.begin() + 12));
  EXPECT_EQ(bytes[0], kFullPacket[0]);
  const auto out = parseRtp(bytes);
  EXPECT_EQ(out.value.ssrc, kOurSsrc);
  EXPECT_EQ(out.value.sequence, 1000);
  EXPECT_EQ(out.value.payloadType, 96);
}

TEST_F(StreamRewriterTest, RefusesABufferShorterThanAHeader) {
  std::array<std::uint8_t, 4> tiny{};
  EXPECT_EQ(rewriter_.rewrite(tiny, RtpPacket{}, 0), RewriteResult::kMalformed);
  EXPECT_FALSE(rewriter_.started());
}

// ================================ RTCP =======================================================

const SenderInfo kSenderInfo = {{0xE1234567, 0x80000000}, 0x00010000, 100, 16000};
const ReportBlock kBlock = {0xAABBCCDD, 25, 10, 0x00010063, 0x20, 0xB7052000, 0x00054000};

// SR with one report block, then SDES CNAME "sb@host".
const Bytes kSenderReportCompound = {
    0x81, 0xC8, 0x00, 0x0C, 0x11, 0x22, 0x33, 0x44,  // SR header, SSRC
    0xE1, 0x23, 0x45, 0x67, 0x80, 0x00, 0x00, 0x00,  // NTP
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64,  // RTP timestamp, packets
    0x00, 0x00, 0x3E, 0x80,                          // octets
    0xAA, 0xBB, 0xCC, 0xDD, 0x19, 0x00, 0x00, 0x0A,  // block: SSRC, fraction, lost
    0x00, 0x01, 0x00, 0x63, 0x00, 0x00, 0x00, 0x20,  // highest, jitter
    0xB7, 0x05, 0x20, 0x00, 0x00, 0x05, 0x40, 0x00,  // LSR, DLSR
    0x81, 0xCA, 0x00, 0x04, 0x11, 0x22, 0x33, 0x44,  // SDES header, SSRC
    0x01, 0x07, 's',  'b',  '@',  'h',  'o',  's',  't', 0x00, 0x00, 0x00};

TEST(RtcpWriteTest, WritesSenderReportAndSdesExactly) {
  std::array<std::uint8_t, 200> out{};
  const std::array<ReportBlock, 1> blocks = {kBlock};
  const std::size_t size = writeReport(out, 0x11223344, kSenderInfo, blocks, "sb@host");
  ASSERT_EQ(size, kSenderReportCompound.size());
  EXPECT_EQ(Bytes(out.begin(), out.begin() + size), kSenderReportCompound);
}

TEST(RtcpWriteTest, WritesReceiverReportAndByeExactly) {
  std::array<std::uint8_t, 64> out{};
  RtcpWriter writer(out);
  ASSERT_TRUE(writer.addReceiverReport(0x01020304, {}));
  const std::array<std::uint32_t, 1> ssrcs = {0x01020304};
  ASSERT_TRUE(writer.addGoodbye(ssrcs, "bye"));
  const Bytes expected = {0x80, 0xC9, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0x81, 0xCB,
                          0x00, 0x02, 0x01, 0x02, 0x03, 0x04, 0x03, 'b',  'y',  'e'};
  EXPECT_EQ(Bytes(writer.written().begin(), writer.written().end()), expected);
}

TEST(RtcpWriteTest, RefusesWhatDoesNotFit) {
  std::array<std::uint8_t, 71> almost{};
  const std::array<ReportBlock, 1> blocks = {kBlock};
  EXPECT_EQ(writeReport(almost, 1, kSenderInfo, blocks, "sb@host"), 0u);
  std::array<std::uint8_t, 2000> big{};
  std::vector<ReportBlock> tooMany(32, kBlock);
  EXPECT_EQ(writeReport(big, 1, std::nullopt, tooMany, "x"), 0u);
  EXPECT_EQ(writeReport(big, 1, std::nullopt, std::span(tooMany).first(31), "x"),
            8u + 31 * 24 + 12);
  RtcpWriter writer(big);
  EXPECT_FALSE(writer.addSourceDescription(1, std::string(256, 'c')));
  EXPECT_EQ(writer.size(), 0u);
}

TEST(RtcpWriteTest, EncodesCumulativeLostAs24BitSignedAndClamps) {
  std::array<std::uint8_t, 80> out{};
  const std::array<ReportBlock, 3> blocks = {ReportBlock{1, 0, -1}, ReportBlock{2, 0, -9'000'000},
                                             ReportBlock{3, 255, 9'000'000}};
  RtcpWriter writer(out);
  ASSERT_TRUE(writer.addReceiverReport(7, blocks));
  EXPECT_EQ(Bytes(out.begin() + 12, out.begin() + 16), (Bytes{0x00, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(Bytes(out.begin() + 36, out.begin() + 40), (Bytes{0x00, 0x80, 0x00, 0x00}));
  EXPECT_EQ(Bytes(out.begin() + 60, out.begin() + 64), (Bytes{0xFF, 0x7F, 0xFF, 0xFF}));

  const auto compound = parseRtcpCompound(writer.written());
  ASSERT_TRUE(compound.ok());
  const auto rr = parseReceiverReport(*compound.value.begin());
  ASSERT_TRUE(rr.ok());
  ASSERT_EQ(rr.value.blocks.size(), 3u);
  EXPECT_EQ(rr.value.blocks[0].cumulativeLost, -1);
  EXPECT_EQ(rr.value.blocks[1].cumulativeLost, -0x800000);
  EXPECT_EQ(rr.value.blocks[2].cumulativeLost, 0x7FFFFF);
  EXPECT_EQ(rr.value.blocks[2].fractionLost, 255);
}

TEST(RtcpParseTest, ReadsSenderReportAndSdes) {
  const auto compound = parseRtcpCompound(kSenderReportCompound);
  ASSERT_TRUE(compound.ok()) << rtcpErrorName(compound.error);
  std::vector<RtcpPacketView> packets(compound.value.begin(), compound.value.end());
  ASSERT_EQ(packets.size(), 2u);
  EXPECT_EQ(packets[0].type, rtcp_type::kSenderReport);
  EXPECT_EQ(packets[0].count, 1);
  EXPECT_EQ(packets[0].body.size(), 48u);
  EXPECT_EQ(packets[1].type, rtcp_type::kSourceDescription);

  const auto sr = parseSenderReport(packets[0]);
  ASSERT_TRUE(sr.ok());
  EXPECT_EQ(sr.value.ssrc, 0x11223344u);
  EXPECT_EQ(sr.value.sender, kSenderInfo);
  ASSERT_EQ(sr.value.blocks.size(), 1u);
  EXPECT_EQ(sr.value.blocks[0], kBlock);
  EXPECT_EQ(parseReceiverReport(packets[0]).error, RtcpError::kWrongType);

  const auto sdes = parseSourceDescription(packets[1]);
  ASSERT_TRUE(sdes.ok());
  std::vector<SdesChunk> chunks(sdes.value.begin(), sdes.value.end());
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].ssrc, 0x11223344u);
  EXPECT_EQ(chunks[0].cname, "sb@host");
}

TEST(RtcpParseTest, SkipsUnknownPacketTypes) {
  const Bytes bytes = {
      0x80, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,                           // RR
      0x81, 0xCC, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 'n',  'a',  'm',  'e',    // APP
      0x80, 0xCF, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x02,   // XR: RRTR
      0xAA, 0xBB, 0xCC, 0xDD, 0x11, 0x22, 0x33, 0x44,                           //
      0x81, 0xCA, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00};  // SDES, ""
  const auto compound = parseRtcpCompound(bytes);
  ASSERT_TRUE(compound.ok()) << rtcpErrorName(compound.error);
  std::vector<std::uint8_t> types;
  for (const RtcpPacketView& packet : compound.value)
    types.push_back(packet.type);
  EXPECT_EQ(types, (std::vector<std::uint8_t>{201, 204, 207, 202}));
  auto it = compound.value.begin();
  ++it;
  EXPECT_EQ(parseSenderReport(*it).error, RtcpError::kWrongType);
  EXPECT_EQ(parseGoodbye(*it).error, RtcpError::kWrongType);
  EXPECT_EQ(parseSourceDescription(*it).error, RtcpError::kWrongType);
}

TEST(RtcpParseTest, ReadsSeveralSdesChunksAndItems) {
  const Bytes bytes = {
      0x80, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,  // RR
      0x82, 0xCA, 0x00, 0x06,                          // SDES, 2 chunks, 7 words
      0x00, 0x00, 0x00, 0x01, 0x02, 0x01, 'N',  0x01,  // SSRC 1: NAME "N", CNAME "ab"
      0x02, 'a',  'b',  0x00,                          //   end
      0x00, 0x00, 0x00, 0x02, 0x06, 0x02, 'x',  'y',   // SSRC 2: TOOL "xy", no CNAME
      0x00, 0x00, 0x00, 0x00};                         //   end and padding
  const auto compound = parseRtcpCompound(bytes);
  ASSERT_TRUE(compound.ok()) << rtcpErrorName(compound.error);
  auto it = compound.value.begin();
  ++it;
  const auto sdes = parseSourceDescription(*it);
  ASSERT_TRUE(sdes.ok()) << rtcpErrorName(sdes.error);
  std::vector<SdesChunk> chunks(sdes.value.begin(), sdes.value.end());
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].ssrc, 1u);
  EXPECT_EQ(chunks[0].cname, "ab");
  EXPECT_EQ(chunks[1].ssrc, 2u);
  EXPECT_EQ(chunks[1].cname, "");
}

TEST(RtcpParseTest, RefusesBadSdes) {
  auto sdesError = [](std::uint8_t count, Bytes body) {
    return parseSourceDescription({rtcp_type::kSourceDescription, count, view(body)}).error;
  };
  EXPECT_EQ(sdesError(0, {}), RtcpError::kNone);
  EXPECT_EQ(sdesError(1, {0, 0, 0, 1, 1, 2, 'a', 'b'}), RtcpError::kBadSdes);  // no end
  EXPECT_EQ(sdesError(1, {0, 0, 0, 1, 1, 9, 'a', 'b'}), RtcpError::kBadSdes);  // item overrun
  EXPECT_EQ(sdesError(1, {0, 0, 0, 1, 1}), RtcpError::kBadSdes);               // no length
  EXPECT_EQ(sdesError(1, {0, 0, 0}), RtcpError::kBadSdes);                     // no SSRC
  EXPECT_EQ(sdesError(2, {0, 0, 0, 1, 0, 0, 0, 0}), RtcpError::kBadSdes);      // 1 of 2 chunks
  EXPECT_EQ(sdesError(1, {0, 0, 0, 1, 1, 1, 'a', 0}), RtcpError::kNone);
  // The end item must be padded to a word boundary inside the packet.
  EXPECT_EQ(sdesError(1, {0, 0, 0, 1, 1, 1, 'a', 0, 0, 0, 0, 0, 1, 0}), RtcpError::kNone);
  EXPECT_EQ(sdesError(1, {0, 0, 0, 1, 1, 2, 'a', 'b', 0}), RtcpError::kBadSdes);
}

TEST(RtcpParseTest, ReadsByeWithAndWithoutReason) {
  const Bytes withReason = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                            0x04, 'g',  'o',  'n',  'e',  0x00, 0x00, 0x00};
  auto bye = parseGoodbye({rtcp_type::kGoodbye, 2, view(withReason)});
  ASSERT_TRUE(bye.ok());
  ASSERT_EQ(bye.value.size(), 2u);
  EXPECT_EQ(bye.value.ssrc(0), 0x01020304u);
  EXPECT_EQ(bye.value.ssrc(1), 0x05060708u);
  EXPECT_EQ(bye.value.reason, "gone");

  bye = parseGoodbye({rtcp_type::kGoodbye, 1, view(withReason).first(4)});
  ASSERT_TRUE(bye.ok());
  EXPECT_EQ(bye.value.reason, "");
  EXPECT_EQ(parseGoodbye({rtcp_type::kGoodbye, 3, view(withReason).first(8)}).error,
            RtcpError::kTooShort);
  const Bytes longReason = {0x01, 0x02, 0x03, 0x04, 0x09, 'a', 'b', 'c'};
  EXPECT_EQ(parseGoodbye({rtcp_type::kGoodbye, 1, view(longReason)}).error, RtcpError::kTooShort);
}

TEST(RtcpParseTest, RefusesReportsShorterThanTheirCount) {
  // RR claiming two blocks with room for one: the compound is well framed, the RR is not.
  Bytes bytes = {0x82, 0xC9, 0x00, 0x07, 0, 0, 0, 1};
  bytes.insert(bytes.end(), 24, 0);
  const auto compound = parseRtcpCompound(bytes);
  ASSERT_TRUE(compound.ok());
  EXPECT_EQ(parseReceiverReport(*compound.value.begin()).error, RtcpError::kTooShort);

  Bytes sr = {0x80, 0xC8, 0x00, 0x05, 0, 0, 0, 1};  // 20 bytes of body, sender info needs 24
  sr.insert(sr.end(), 16, 0);
  const auto srCompound = parseRtcpCompound(sr);
  ASSERT_TRUE(srCompound.ok());
  EXPECT_EQ(parseSenderReport(*srCompound.value.begin()).error, RtcpError::kTooShort);
}

TEST(RtcpParseTest, AllowsProfileExtensionsAfterReportBlocks) {
  Bytes bytes = {0x80, 0xC9, 0x00, 0x02, 0, 0, 0, 1, 0xEE, 0xEE, 0xEE, 0xEE};
  const auto compound = parseRtcpCompound(bytes);
  ASSERT_TRUE(compound.ok());
  const auto rr = parseReceiverReport(*compound.value.begin());
  ASSERT_TRUE(rr.ok());
  EXPECT_TRUE(rr.value.blocks.empty());
}

TEST(RtcpValidationTest, RefusesBadCompounds) {
  const Bytes rr = {0x80, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01};
  auto errorOf = [](const Bytes& bytes) { return parseRtcpCompound(bytes).error; };
  auto withTail = [&](Bytes tail) {
    Bytes bytes = rr;
    bytes.insert(bytes.end(), tail.begin(), tail.end());
    return bytes;
  };

  EXPECT_EQ(errorOf({}), RtcpError::kTooShort);
  EXPECT_EQ(errorOf({0x80, 0xC9, 0x00}), RtcpError::kTooShort);
  EXPECT_EQ(errorOf({0x40, 0xC9, 0x00, 0x01, 0, 0, 0, 1}), RtcpError::kBadVersion);
  EXPECT_EQ(errorOf({0x81, 0xCA, 0x00, 0x01, 0, 0, 0, 1}), RtcpError::kFirstNotReport);
  EXPECT_EQ(errorOf({0x80, 0xCC, 0x00, 0x01, 0, 0, 0, 1}), RtcpError::kFirstNotReport);
  EXPECT_EQ(errorOf({0x80, 0x00, 0x00, 0x01, 0, 0, 0, 1}), RtcpError::kFirstNotReport);  // RTP
  // A.2: padding on the first of several packets.
  Bytes paddedFirst = withTail({0x80, 0xCB, 0x00, 0x00});
  paddedFirst[0] = 0xA0;
  EXPECT_EQ(errorOf(paddedFirst), RtcpError::kBadPadding);
  // Lengths that do not add up.
  EXPECT_EQ(errorOf({0x80, 0xC9, 0x00, 0x02, 0, 0, 0, 1}), RtcpError::kLengthMismatch);
  EXPECT_EQ(errorOf(withTail({0x00, 0x00})), RtcpError::kLengthMismatch);
  EXPECT_EQ(errorOf(withTail({0x80, 0xCB, 0x00, 0x01})), RtcpError::kLengthMismatch);
  // A later packet that is not version 2 (A.2's loop stops there).
  EXPECT_EQ(errorOf(withTail({0x00, 0x00, 0x00, 0x00})), RtcpError::kBadVersion);
  // Padding on a middle packet, a zero count, a count longer than the packet.
  EXPECT_EQ(errorOf(withTail({0xA0, 0xCB, 0x00, 0x00, 0x80, 0xCB, 0x00, 0x00})),
            RtcpError::kBadPadding);
  EXPECT_EQ(errorOf(withTail({0xA0, 0xCB, 0x00, 0x01, 0, 0, 0, 0})), RtcpError::kBadPadding);
  EXPECT_EQ(errorOf(withTail({0xA0, 0xCB, 0x00, 0x01, 0, 0, 0, 5})), RtcpError::kBadPadding);
}

TEST(RtcpValidationTest, AcceptsPaddingOnTheLastPacket) {
  const Bytes bytes = {0x80, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,  // RR
                       0xA1, 0xCB, 0x00, 0x02, 0x00, 0x00, 0x00, 0x09,  // BYE, P
                       0x00, 0x00, 0x00, 0x04};                         // padding
  const auto compound = parseRtcpCompound(bytes);
  ASSERT_TRUE(compound.ok()) << rtcpErrorName(compound.error);
  auto it = compound.value.begin();
  ++it;
  EXPECT_EQ((*it).body.size(), 4u);
  const auto bye = parseGoodbye(*it);
  ASSERT_TRUE(bye.ok());
  EXPECT_EQ(bye.value.ssrc(0), 9u);
  EXPECT_EQ(bye.value.reason, "");
  ++it;
  EXPECT_TRUE(it == compound.value.end());

  // A lone report may carry the padding itself: it is the last packet.
  const Bytes lone = {0xA0, 0xC9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 4};
  EXPECT_TRUE(parseRtcpCompound(lone).ok());
}

TEST(RtcpValidationTest, EveryPrefixButThePacketBoundaryIsRefused) {
  for (std::size_t size = 0; size < kSenderReportCompound.size(); ++size) {
    const bool ok = parseRtcpCompound(view(kSenderReportCompound).first(size)).ok();
    EXPECT_EQ(ok, size == 52) << size;  // the SR alone is a compound of its own
  }
}

// ================================ NTP and round-trip time ====================================

TEST(NtpTest, ConvertsSystemTime) {
  using namespace std::chrono;
  const NtpTimestamp epoch = toNtp(system_clock::time_point{});
  EXPECT_EQ(epoch.seconds, 2'208'988'800u);
  EXPECT_EQ(epoch.fraction, 0u);
  const NtpTimestamp later = toNtp(system_clock::time_point{seconds(1) + milliseconds(500)});
  EXPECT_EQ(later.seconds, 2'208'988'801u);
  EXPECT_EQ(later.fraction, 0x80000000u);
  const NtpTimestamp quarter = toNtp(system_clock::time_point{milliseconds(250)});
  EXPECT_EQ(quarter.fraction, 0x40000000u);
}

TEST(NtpTest, CompactFormIsTheMiddle32Bits) {
  EXPECT_EQ(compactNtp({0x1234B710, 0x8000FFFF}), 0xB7108000u);
  EXPECT_EQ(compactToMicroseconds(0x00062000), std::chrono::microseconds(6'125'000));
  EXPECT_EQ(compactToMicroseconds(0x00010000), std::chrono::microseconds(1'000'000));
}

TEST(RoundTripTest, MatchesTheExampleOfRfc3550Section641) {
  // A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s),
  // DLSR = 0x0005:4000 (5.250 s): delay = 0x0006:2000 (6.125 s).
  ReportBlock block;
  block.lastSenderReport = 0xB7052000;
  block.delaySinceLastSenderReport = 0x00054000;
  const auto rtt = roundTripTime(block, 0xB7108000);
  ASSERT_TRUE(rtt.has_value());
  EXPECT_EQ(*rtt, 0x00062000u);
}

TEST(RoundTripTest, NeedsAnLsrAndAPositiveResult) {
  ReportBlock block;
  EXPECT_FALSE(roundTripTime(block, 0xB7108000).has_value());
  block.lastSenderReport = 0xB7052000;
  block.delaySinceLastSenderReport = 0x00100000;  // longer than since we sent the SR
  EXPECT_FALSE(roundTripTime(block, 0xB7108000).has_value());
  block.delaySinceLastSenderReport = 0;
  EXPECT_EQ(roundTripTime(block, 0x00000100u + 0xFFFFFF00u + 0xB7052000u), 0u);  // wraps
}

TEST(RoundTripTest, SenderReportToReceiverReportAndBack) {
  // Our side sends an SR at compact time 0x1000:0000 (our clock).
  std::array<std::uint8_t, 128> wire{};
  SenderInfo sender{{0x00001000, 0x00000000}, 8000, 50, 8000};
  std::size_t size = writeReport(wire, 0xA, sender, {}, "us");
  ASSERT_GT(size, 0u);

  // The peer receives it half a second later by its own clock (which reads 0x2000:0000 there),
  // holds it 5.25 s, then reports on our stream.
  const auto compound = parseRtcpCompound(std::span(wire).first(size));
  ASSERT_TRUE(compound.ok());
  const auto sr = parseSenderReport(*compound.value.begin());
  ASSERT_TRUE(sr.ok());
  LastSenderReport last;
  last.onSenderReport(sr.value.sender, 0x20000000);
  EXPECT_EQ(last.ntpCompact, 0x10000000u);

  ReceiveStatistics stats(1);
  for (std::uint16_t seq = 0; seq < 50; ++seq) {
    if (seq != 20) (void)stats.onPacket(seq, seq * 160u, seq * 160u);
  }
  const ReportBlock block = makeReportBlock(0xA, stats, last, 0x20000000 + 0x00054000);
  EXPECT_EQ(block.ssrc, 0xAu);
  EXPECT_EQ(block.lastSenderReport, 0x10000000u);
  EXPECT_EQ(block.delaySinceLastSenderReport, 0x00054000u);
  EXPECT_EQ(block.cumulativeLost, 1);
  EXPECT_EQ(block.fractionLost, 5);  // 1 * 256 / 50
  EXPECT_EQ(block.extendedHighestSequence, 49u);
  EXPECT_EQ(block.jitter, 0u);

  size = writeReport(wire, 0xB, std::nullopt, std::span(&block, 1), "peer");
  ASSERT_GT(size, 0u);
  const auto back = parseRtcpCompound(std::span(wire).first(size));
  ASSERT_TRUE(back.ok());
  const auto rr = parseReceiverReport(*back.value.begin());
  ASSERT_TRUE(rr.ok());
  ASSERT_EQ(rr.value.blocks.size(), 1u);
  EXPECT_EQ(rr.value.blocks[0], block);

  // It reaches us half a second after it left: 0.5 + 5.25 + 0.5 s after our SR.
  const auto rtt = roundTripTime(rr.value.blocks[0], 0x10000000 + 0x00010000 + 0x00054000);
  ASSERT_TRUE(rtt.has_value());
  EXPECT_EQ(*rtt, 0x00010000u);  // one second
}

TEST(RoundTripTest, NoLsrBeforeAnySenderReport) {
  ReceiveStatistics stats(1);
  (void)stats.onPacket(1, 0, 0);
  const ReportBlock block = makeReportBlock(5, stats, LastSenderReport{}, 0x12345678);
  EXPECT_EQ(block.lastSenderReport, 0u);
  EXPECT_EQ(block.delaySinceLastSenderReport, 0u);
}

// ================================ Telephone events ===========================================

TEST(TelephoneEventTest, ParsesAndEncodesThePayload) {
  const Bytes bytes = {0x05, 0x8A, 0x03, 0x20};  // '5', end, volume 10, 800 units
  const auto parsed = parseTelephoneEvent(bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value, (TelephoneEvent{5, true, 10, 800}));
  const auto encoded = encodeTelephoneEvent(parsed.value);
  EXPECT_EQ(Bytes(encoded.begin(), encoded.end()), bytes);

  // The reserved bit is ignored on input and zero on output.
  EXPECT_EQ(parseTelephoneEvent(Bytes{0x05, 0xCA, 0x03, 0x20}).value,
            (TelephoneEvent{5, true, 10, 800}));
  EXPECT_EQ(encodeTelephoneEvent({11, false, 99, 0xFFFF}),
            (std::array<std::uint8_t, 4>{0x0B, 0x3F, 0xFF, 0xFF}));
  EXPECT_EQ(parseTelephoneEvent(Bytes{0x05, 0x8A, 0x03}).error, TelephoneEventError::kTooShort);
  EXPECT_EQ(parseTelephoneEvent(Bytes{0x05, 0x8A, 0x03, 0x20, 0x06}).value.event, 5);
}

TEST(TelephoneEventTest, MapsDtmfCharacters) {
  EXPECT_EQ(dtmfCharacter(0), '0');
  EXPECT_EQ(dtmfCharacter(9), '9');
  EXPECT_EQ(dtmfCharacter(10), '*');
  EXPECT_EQ(dtmfCharacter(11), '#');
  EXPECT_EQ(dtmfCharacter(12), 'A');
  EXPECT_EQ(dtmfCharacter(15), 'D');
  EXPECT_EQ(dtmfCharacter(16), '\0');  // flash
  EXPECT_EQ(dtmfEvent('7'), 7);
  EXPECT_EQ(dtmfEvent('*'), 10);
  EXPECT_EQ(dtmfEvent('#'), 11);
  EXPECT_EQ(dtmfEvent('d'), 15);
  EXPECT_EQ(dtmfEvent('E'), std::nullopt);
}

// Feeds telephone-event packets to a receiver and collects what it reports.
class TelephoneEventReceiverTest : public ::testing::Test {
 protected:
  std::size_t feed(std::uint16_t sequence, std::uint32_t timestamp, std::uint8_t event, bool end,
                   std::uint16_t duration, std::uint32_t ssrc = 0x77) {
    RtpPacket rtp;
    rtp.ssrc = ssrc;
    rtp.sequence = sequence;
    rtp.timestamp = timestamp;
    rtp.payloadType = 101;
    const auto finished = receiver_.onPacket(rtp, TelephoneEvent{event, end, 10, duration});
    for (const ReceivedTelephoneEvent& e : finished)
      reported_.push_back(e);
    return finished.size();
  }

  // One digit as RFC 4733 senders send it: 160-unit steps, three ends at 800.
  void digit(std::uint16_t firstSequence, std::uint32_t timestamp, std::uint8_t event) {
    std::uint16_t seq = firstSequence;
    for (std::uint16_t duration = 160; duration < 800; duration += 160) {
      feed(seq++, timestamp, event, false, duration);
    }
    for (int i = 0; i < 3; ++i)
      feed(seq++, timestamp, event, true, 800);
  }

  std::string digits() const {
    std::string text;
    for (const auto& e : reported_)
      text += dtmfCharacter(e.event);
    return text;
  }

  TelephoneEventReceiver receiver_;
  std::vector<ReceivedTelephoneEvent> reported_;
};

TEST_F(TelephoneEventReceiverTest, ReportsADigitOnceOnItsFirstEndPacket) {
  EXPECT_EQ(feed(1, 8000, 5, false, 160), 0u);
  EXPECT_EQ(feed(2, 8000, 5, false, 320), 0u);
  EXPECT_EQ(feed(3, 8000, 5, false, 480), 0u);
  EXPECT_EQ(feed(4, 8000, 5, false, 640), 0u);
  EXPECT_EQ(feed(5, 8000, 5, true, 800), 1u);
  EXPECT_EQ(feed(6, 8000, 5, true, 800), 0u);
  EXPECT_EQ(feed(7, 8000, 5, true, 800), 0u);
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_EQ(reported_[0], (ReceivedTelephoneEvent{5, 8000, 800, true}));
  EXPECT_FALSE(receiver_.flush().has_value());
}

TEST_F(TelephoneEventReceiverTest, ReportsEachOfSeveralDigitsIncludingRepeats) {
  digit(1, 1000, 1);
  digit(8, 3000, 1);  // the same key again: a new timestamp, a new press
  digit(15, 5000, 11);
  digit(22, 7000, 10);
  EXPECT_EQ(digits(), "11#*");
}

TEST_F(TelephoneEventReceiverTest, LostStartPacketsStillGiveOneReport) {
  feed(3, 8000, 9, false, 480);  // 1 and 2 (with the marker) lost
  feed(4, 8000, 9, false, 640);
  feed(5, 8000, 9, true, 800);
  feed(6, 8000, 9, true, 800);
  feed(7, 8000, 9, true, 800);
  EXPECT_EQ(digits(), "9");

  feed(10, 16000, 4, true, 800);  // only the last end packet of the next digit arrives
  EXPECT_EQ(digits(), "94");
  EXPECT_TRUE(reported_[1].endSeen);
}

TEST_F(TelephoneEventReceiverTest, ALostEndIsReportedWhenTheNextDigitStarts) {
  feed(1, 8000, 1, false, 160);
  feed(2, 8000, 1, false, 320);
  feed(3, 8000, 1, false, 480);  // its three ends are lost
  EXPECT_TRUE(reported_.empty());
  EXPECT_EQ(feed(7, 16000, 2, false, 160), 1u);
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_EQ(reported_[0], (ReceivedTelephoneEvent{1, 8000, 480, false}));
  feed(8, 16000, 2, true, 320);
  feed(9, 16000, 2, true, 320);
  EXPECT_EQ(digits(), "12");
}

TEST_F(TelephoneEventReceiverTest, OnePacketCanFinishTwoDigits) {
  feed(1, 8000, 3, false, 160);
  // Everything of the next digit but one end packet is lost, and the end of the first too.
  EXPECT_EQ(feed(9, 16000, 6, true, 800), 2u);
  EXPECT_EQ(digits(), "36");
  EXPECT_FALSE(reported_[0].endSeen);
  EXPECT_TRUE(reported_[1].endSeen);
}

TEST_F(TelephoneEventReceiverTest, ALateEndOfThePreviousDigitIsIgnored) {
  feed(1, 8000, 1, false, 160);
  feed(2, 8000, 1, true, 320);
  feed(4, 16000, 2, false, 160);  // arrives before the delayed third end of '1'
  feed(3, 8000, 1, true, 320);
  feed(5, 16000, 2, true, 320);
  EXPECT_EQ(digits(), "12");
}

TEST_F(TelephoneEventReceiverTest, ALateEndOfAnUnreportedDigitIsIgnoredToo) {
  feed(1, 8000, 1, false, 160);
  feed(3, 16000, 2, false, 160);  // '1' reported here, its end not seen
  feed(2, 8000, 1, true, 320);    // its end turns up late: not a second '1'
  EXPECT_EQ(digits(), "1");
}

TEST_F(TelephoneEventReceiverTest, FlushReportsAnOpenEventOnce) {
  feed(1, 8000, 12, false, 160);
  const auto flushed = receiver_.flush();
  ASSERT_TRUE(flushed.has_value());
  EXPECT_EQ(*flushed, (ReceivedTelephoneEvent{12, 8000, 160, false}));
  EXPECT_FALSE(receiver_.flush().has_value());
  feed(2, 8000, 12, true, 320);  // its end after the flush: already reported
  EXPECT_TRUE(reported_.empty());
}

TEST_F(TelephoneEventReceiverTest, ANewSsrcClosesTheOpenEvent) {
  feed(100, 8000, 7, false, 160, 0x1);
  feed(5, 8000, 8, false, 160, 0x2);  // a transfer: a new sender, an unrelated timestamp space
  feed(6, 8000, 8, true, 320, 0x2);
  EXPECT_EQ(digits(), "78");
}

TEST_F(TelephoneEventReceiverTest, ASequenceRestartIsNotMistakenForLatePackets) {
  digit(30000, 8000, 1);
  digit(5, 9000, 2);  // same SSRC, numbers restarted far behind
  EXPECT_EQ(digits(), "12");
}

TEST(TelephoneEventGeneratorTest, ProducesTheRfc4733SequenceForOneDigit) {
  const TelephoneEventGenerator generator(5, std::chrono::milliseconds(100));
  EXPECT_EQ(generator.packetUnits(), 160u);
  EXPECT_EQ(generator.totalDuration(), 800);
  ASSERT_EQ(generator.size(), 7u);
  const std::vector<TelephoneEventPacket> expected = {
      {true, {5, false, 10, 160}, 0},    {false, {5, false, 10, 320}, 160},
      {false, {5, false, 10, 480}, 320}, {false, {5, false, 10, 640}, 480},
      {false, {5, true, 10, 800}, 640},  {false, {5, true, 10, 800}, 800},
      {false, {5, true, 10, 800}, 960}};
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(generator[i], expected[i]) << i;
}

TEST(TelephoneEventGeneratorTest, HonoursPacketTimeClockRateAndShortDigits) {
  // 50 ms at 16 kHz in 30 ms packets: 480 units per packet, 800 in all.
  const TelephoneEventGenerator wide(11, std::chrono::milliseconds(50), 7,
                                     {16000, std::chrono::milliseconds(30)});
  ASSERT_EQ(wide.size(), 4u);
  EXPECT_EQ(wide[0], (TelephoneEventPacket{true, {11, false, 7, 480}, 0}));
  EXPECT_EQ(wide[1], (TelephoneEventPacket{false, {11, true, 7, 800}, 480}));
  EXPECT_EQ(wide[3], (TelephoneEventPacket{false, {11, true, 7, 800}, 1440}));

  // Shorter than a packet: three ends of one packet time, the first with the marker.
  const TelephoneEventGenerator brief(0, std::chrono::milliseconds(5));
  ASSERT_EQ(brief.size(), 3u);
  EXPECT_EQ(brief[0], (TelephoneEventPacket{true, {0, true, 10, 160}, 0}));
  EXPECT_EQ(brief[2], (TelephoneEventPacket{false, {0, true, 10, 160}, 320}));

  // Longer than the 16-bit duration allows: clamped, not wrapped.
  const TelephoneEventGenerator held(1, std::chrono::seconds(10));
  EXPECT_EQ(held.totalDuration(), 0xFFFF);
  EXPECT_EQ(held[held.size() - 1].payload.duration, 0xFFFF);
  EXPECT_EQ(held[held.size() - 4].payload.duration, 0xFFFF / 160 * 160);
}

TEST(TelephoneEventGeneratorTest, WhatItSendsTheReceiverReportsOnce) {
  const TelephoneEventGenerator generator(dtmfEvent('#').value(), std::chrono::milliseconds(120));
  TelephoneEventReceiver receiver;
  std::array<std::uint8_t, 16> wire{};
  std::vector<ReceivedTelephoneEvent> reported;
  for (std::size_t i = 0; i < generator.size(); ++i) {
    const TelephoneEventPacket packet = generator[i];
    const std::size_t header = writeRtpHeader(
        wire, {packet.marker, 101, static_cast<std::uint16_t>(40 + i), 123456, 0x99});
    const auto payload = encodeTelephoneEvent(packet.payload);
    std::copy(payload.begin(), payload.end(), wire.begin() + header);
    const auto rtp = parseRtp(std::span(wire).first(header + 4));
    ASSERT_TRUE(rtp.ok());
    const auto event = parseTelephoneEvent(rtp.value.payload);
    ASSERT_TRUE(event.ok());
    for (const auto& e : receiver.onPacket(rtp.value, event.value))
      reported.push_back(e);
  }
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0], (ReceivedTelephoneEvent{11, 123456, 960, true}));
}

}  // namespace
}  // namespace sb::media
