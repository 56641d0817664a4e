// The RTP, RTCP and telephone-event parsers against arbitrary bytes, and the properties the media
// workers rely on: a parsed packet's parts tile the datagram; the rewriter leaves a valid packet
// with our SSRC and the same payload, and continues the sequence at a source change; receive
// statistics stay in the ranges of a report block; what the RTCP parsers accept is written back
// identically by the RTCP writer; a generated digit is reported exactly once.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "media/rtcp.hpp"
#include "media/rtp.hpp"
#include "media/telephone_event.hpp"

namespace {

using namespace sb::media;
using Bytes = std::span<const std::uint8_t>;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool within(Bytes part, Bytes whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void checkReport(const ReceptionReport& report) {
  check(report.cumulativeLost >= -0x800000 && report.cumulativeLost <= 0x7FFFFF);
}

// The payload read as a series of (sequence, timestamp, arrival step) records after the packet.
void exerciseStatistics(const RtpPacket& packet) {
  ReceiveStatistics stats;
  std::uint32_t arrival = packet.timestamp;
  (void)stats.onPacket(packet.sequence, packet.timestamp, arrival);
  Bytes rest = packet.payload;
  while (rest.size() >= 8) {
    const std::uint16_t sequence = be::load16(rest.data());
    const std::uint32_t timestamp = be::load32(rest.data() + 2);
    arrival += be::load16(rest.data() + 6);
    if (sequence & 1) {
      (void)stats.onPacketWithoutTiming(sequence);
    } else {
      (void)stats.onPacket(sequence, timestamp, arrival);
    }
    if (stats.valid()) check(stats.expected() >= 1);
    if ((timestamp & 7) == 0) checkReport(stats.takeReport());
    rest = rest.subspan(8);
  }
  checkReport(stats.takeReport());
}

void exerciseRewriter(Bytes datagram, const RtpPacket& parsed) {
  StreamRewriter rewriter({0x5B5B5B5B, 1000, 50000});
  rewriter.mapPayloadType(96, 101);
  rewriter.blockPayloadType(13);
  std::vector<std::uint8_t> buffer(datagram.begin(), datagram.end());

  const RewriteResult first = rewriter.rewrite(buffer, parsed, 0);
  if (parsed.payloadType == 13) {
    check(first == RewriteResult::kDroppedPayloadType);
    return;
  }
  check(first == RewriteResult::kForwarded);
  const auto out = parseRtp(buffer);
  check(out.ok());
  check(out.value.ssrc == 0x5B5B5B5B && out.value.sequence == 1000 &&
        out.value.timestamp == 50000 && out.value.marker);
  check(out.value.payloadType == (parsed.payloadType == 96 ? 101 : parsed.payloadType));
  check(std::equal(buffer.begin() + 12, buffer.end(), datagram.begin() + 12));

  // The same packet again from another source continues the sequence.
  std::vector<std::uint8_t> again(datagram.begin(), datagram.end());
  RtpPacket other = parsed;
  other.ssrc = ~parsed.ssrc;
  check(rewriter.rewrite(again, other, parsed.timestamp & 0xFFFF) == RewriteResult::kForwarded);
  const auto second = parseRtp(again);
  check(second.ok() && second.value.sequence == 1001 && second.value.marker);

  // Then the payload's records as packets of that source, in any order.
  Bytes rest = parsed.payload;
  std::uint32_t arrival = 0;
  while (rest.size() >= 8) {
    other.sequence = be::load16(rest.data());
    other.timestamp = be::load32(rest.data() + 2);
    arrival += be::load16(rest.data() + 6);
    const std::uint16_t before = rewriter.lastSequence();
    const RewriteResult result = rewriter.rewrite(again, other, arrival);
    check(result == RewriteResult::kForwarded || result == RewriteResult::kDroppedStale ||
          result == RewriteResult::kDroppedJump);
    const std::int16_t advance = sequenceDelta(before, rewriter.lastSequence());
    check(advance >= 0 && advance < ReceiveStatistics::kMaxDropout);
    rest = rest.subspan(8);
  }
}

void checkRtp(Bytes datagram) {
  (void)looksLikeRtcp(datagram);
  const auto parsed = parseRtp(datagram);
  if (!parsed.ok()) return;
  const RtpPacket& packet = parsed.value;
  check(packet.headerSize + packet.payload.size() + packet.paddingSize == datagram.size());
  check(packet.csrcList.size() == 4u * packet.csrcCount);
  check(within(packet.csrcList, datagram) && within(packet.extension, datagram) &&
        within(packet.payload, datagram));
  for (std::size_t i = 0; i < packet.csrcCount; ++i)
    (void)packet.csrc(i);
  exerciseStatistics(packet);
  exerciseRewriter(datagram, packet);

  // As a telephone-event packet: the receiver takes any header and payload.
  const auto event = parseTelephoneEvent(packet.payload);
  if (!event.ok()) return;
  TelephoneEventReceiver receiver;
  check(receiver.onPacket(packet, event.value).size() == (event.value.end ? 1u : 0u));
  check(receiver.onPacket(packet, event.value).empty());
  check(receiver.flush().has_value() == !event.value.end);
}

void checkReportBlocks(const ReportBlocks& parsed, const ReportBlocks& rewritten) {
  check(parsed.size() == rewritten.size());
  for (std::size_t i = 0; i < parsed.size(); ++i)
    check(parsed[i] == rewritten[i]);
}

// The first packet of `written` as a compound of its own.
RtcpPacketView reparse(Bytes written) {
  const auto compound = parseRtcpCompound(written);
  check(compound.ok());
  return *compound.value.begin();
}

void checkRtcpPacket(const RtcpPacketView& packet) {
  std::vector<ReportBlock> blocks;
  std::vector<std::uint8_t> out(2048);
  RtcpWriter writer(out);

  if (const auto sr = parseSenderReport(packet); sr.ok()) {
    for (std::size_t i = 0; i < sr.value.blocks.size(); ++i)
      blocks.push_back(sr.value.blocks[i]);
    check(writer.addSenderReport(sr.value.ssrc, sr.value.sender, blocks));
    const auto again = parseSenderReport(reparse(writer.written()));
    check(again.ok() && again.value.ssrc == sr.value.ssrc && again.value.sender == sr.value.sender);
    checkReportBlocks(sr.value.blocks, again.value.blocks);
    // A receiver's view of it: LSR and a round-trip estimate never fail on odd values.
    LastSenderReport last;
    last.onSenderReport(sr.value.sender, sr.value.sender.ntp.fraction);
    for (const ReportBlock& block : blocks)
      (void)roundTripTime(block, last.arrivalCompact);
  }
  if (const auto rr = parseReceiverReport(packet); rr.ok()) {
    for (std::size_t i = 0; i < rr.value.blocks.size(); ++i)
      blocks.push_back(rr.value.blocks[i]);
    check(writer.addReceiverReport(rr.value.ssrc, blocks));
    const auto again = parseReceiverReport(reparse(writer.written()));
    check(again.ok() && again.value.ssrc == rr.value.ssrc);
    checkReportBlocks(rr.value.blocks, again.value.blocks);
  }
  if (const auto sdes = parseSourceDescription(packet); sdes.ok()) {
    std::size_t chunks = 0;
    for (const SdesChunk& chunk : sdes.value) {
      ++chunks;
      check(chunk.cname.size() <= kMaxSdesTextLength);
      RtcpWriter one(out);
      check(one.addReceiverReport(chunk.ssrc, {}) &&
            one.addSourceDescription(chunk.ssrc, chunk.cname));
      const auto compound = parseRtcpCompound(one.written());
      check(compound.ok());
      auto it = compound.value.begin();
      ++it;
      const auto again = parseSourceDescription(*it);
      check(again.ok() && again.value.size() == 1);
      const SdesChunk copy = *again.value.begin();
      check(copy.ssrc == chunk.ssrc && copy.cname == chunk.cname);
    }
    check(chunks == packet.count);
  }
  if (const auto bye = parseGoodbye(packet); bye.ok()) {
    std::vector<std::uint32_t> ssrcs;
    for (std::size_t i = 0; i < bye.value.size(); ++i)
      ssrcs.push_back(bye.value.ssrc(i));
    check(writer.addReceiverReport(1, {}) && writer.addGoodbye(ssrcs, bye.value.reason));
    const auto compound = parseRtcpCompound(writer.written());
    check(compound.ok());
    auto it = compound.value.begin();
    ++it;
    const auto again = parseGoodbye(*it);
    check(again.ok() && again.value.size() == ssrcs.size() &&
          again.value.reason == bye.value.reason);
    for (std::size_t i = 0; i < ssrcs.size(); ++i)
      check(again.value.ssrc(i) == ssrcs[i]);
  }
}

void checkRtcp(Bytes datagram) {
  const auto compound = parseRtcpCompound(datagram);
  if (!compound.ok()) return;
  std::size_t total = 0;
  for (const RtcpPacketView& packet : compound.value) {
    check(within(packet.body, datagram) && packet.count < 32);
    total += kRtcpHeaderSize + packet.body.size();
    checkRtcpPacket(packet);
  }
  check(total <= datagram.size() && datagram.size() - total < 256);  // only padding is missing
}

// The bytes as telephone-event payloads of a stream: 8-byte records of sequence (2), timestamp
// step (1), SSRC choice (1) and the 4-byte event.
void checkTelephoneEvents(Bytes bytes) {
  const auto parsed = parseTelephoneEvent(bytes);
  if (parsed.ok()) {
    const auto encoded = encodeTelephoneEvent(parsed.value);
    check(parseTelephoneEvent(encoded).value == parsed.value);
  }

  TelephoneEventReceiver receiver;
  RtpPacket rtp;
  std::size_t packets = 0;
  std::size_t reports = 0;
  for (Bytes rest = bytes; rest.size() >= 8; rest = rest.subspan(8)) {
    rtp.sequence = be::load16(rest.data());
    rtp.timestamp += rest[2] * 160u;
    rtp.ssrc = rest[3] & 1;
    const auto event = parseTelephoneEvent(rest.subspan(4));
    check(event.ok());
    ++packets;
    reports += receiver.onPacket(rtp, event.value).size();
  }
  if (receiver.flush()) ++reports;
  check(reports <= packets);

  if (bytes.size() < 5) return;
  const TelephoneEventTiming timing{bytes[4] % 3 == 0   ? 8000u
                                    : bytes[4] % 3 == 1 ? 16000u
                                                        : 48000u,
                                    std::chrono::milliseconds(10 + bytes[3] % 50)};
  const TelephoneEventGenerator generator(
      bytes[0], std::chrono::milliseconds(be::load16(bytes.data() + 1)), bytes[4], timing);
  check(generator.size() >= TelephoneEventGenerator::kEndPackets);
  TelephoneEventReceiver listener;
  std::size_t heard = 0;
  std::uint16_t previousDuration = 0;
  for (std::size_t i = 0; i < generator.size(); ++i) {
    const TelephoneEventPacket packet = generator[i];
    check(packet.marker == (i == 0));
    check(packet.payload.duration >= previousDuration && packet.payload.duration > 0);
    check(packet.payload.end == (i + TelephoneEventGenerator::kEndPackets >= generator.size()));
    previousDuration = packet.payload.duration;
    RtpPacket header;
    header.sequence = static_cast<std::uint16_t>(i);
    header.timestamp = 1234;
    for (const ReceivedTelephoneEvent& e : listener.onPacket(header, packet.payload)) {
      ++heard;
      check(e.endSeen && e.duration == generator.totalDuration() && e.event == bytes[0]);
    }
  }
  check(heard == 1);
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes bytes(data, size);
  checkRtp(bytes);
  checkRtcp(bytes);
  checkTelephoneEvents(bytes);
  return 0;
}
