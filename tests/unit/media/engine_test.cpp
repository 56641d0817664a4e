// The media engine with real UDP sockets on loopback: two "phones" are plain sockets in the test,
// the engine relays between them, and the audio that arrives is checked, not just counted.

#include "media/engine.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numbers>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/dsp.hpp"
#include "media/g711.hpp"
#include "media/rtcp.hpp"
#include "media/rtp.hpp"
#include "media/telephone_event.hpp"

namespace sb::media {
namespace {

constexpr std::size_t kFrame = 160;  // 20 ms at 8 kHz

// A phone: a UDP socket on 127.0.0.1 that sends RTP to the engine and reads what comes back.
class Phone {
 public:
  explicit Phone(std::uint8_t payloadType) : payloadType_(payloadType) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Phone() { ::close(fd_); }
  Phone(const Phone&) = delete;
  Phone& operator=(const Phone&) = delete;

  std::uint16_t port() const { return port_; }

  // Sends one packet of G.711 `codes` to the engine's port.
  void send(std::uint16_t enginePort, std::span<const std::uint8_t> codes,
            std::optional<std::uint8_t> payloadType = std::nullopt) {
    std::vector<std::uint8_t> packet(kRtpFixedHeaderSize + codes.size());
    writeRtpHeader(
        packet, {false, payloadType.value_or(payloadType_), sequence_++, timestamp_, 0x11223344});
    timestamp_ += static_cast<std::uint32_t>(codes.size());
    std::copy(codes.begin(), codes.end(), packet.begin() + kRtpFixedHeaderSize);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(enginePort);
    ::sendto(fd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }

  // Sends raw bytes (RTCP, or hand-made RTP) to `port` on the engine.
  void sendRaw(std::uint16_t port, std::span<const std::uint8_t> bytes) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(port);
    ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }

  // The next packet, waiting up to a second for it; empty when none came.
  std::vector<std::uint8_t> receive(int timeoutMs = 1000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) != 1) return {};
    std::vector<std::uint8_t> buffer(2048);
    auto n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    buffer.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return buffer;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::uint8_t payloadType_;
  std::uint16_t sequence_ = 1000;
  std::uint32_t timestamp_ = 5000;
};

std::vector<std::int16_t> tone(double frequency, std::size_t samples) {
  std::vector<std::int16_t> out(samples);
  for (std::size_t i = 0; i < samples; ++i)
    out[i] = static_cast<std::int16_t>(
        12000 * std::sin(2 * std::numbers::pi * frequency * static_cast<double>(i) / 8000));
  return out;
}

// Signal-to-noise ratio of what was heard against what was sent, in dB: G.711 keeps about
// 35 dB on a loud tone; a wrong codec or a corrupted payload falls far below.
double snrDb(const std::vector<std::int16_t>& sent, const std::vector<std::int16_t>& heard) {
  double signal = 0;
  double noise = 0;
  for (std::size_t i = 0; i < std::min(sent.size(), heard.size()); ++i) {
    signal += static_cast<double>(sent[i]) * sent[i];
    double d = static_cast<double>(heard[i]) - sent[i];
    noise += d * d;
  }
  return 10 * std::log10(signal / (noise + 1));
}

class EngineTest : public ::testing::Test {
 protected:
  MediaEngine engine{[] {
    MediaEngine::Options o;
    o.firstPort = 42000;
    o.lastPort = 42999;
    return o;
  }()};

  EndpointInfo open(const Phone& phone, Codec codec, std::uint8_t payloadType,
                    std::optional<std::uint8_t> events = std::nullopt) {
    EndpointConfig c;
    c.codec = codec;
    c.payloadType = payloadType;
    c.eventPayloadType = events;
    c.remoteAddress = "127.0.0.1";
    c.remotePort = phone.port();
    c.shard = 7;
    auto info = engine.open(c);
    EXPECT_TRUE(info.ok());
    return *info;
  }

  // Sends one second of a tone from `from` and returns what `to` received, decoded, with the
  // packets' headers.
  std::pair<std::vector<std::int16_t>, std::vector<RtpPacket>> relay(
      Phone& from, std::uint16_t enginePort, Phone& to, Codec sent, Codec expected,
      double frequency, std::vector<std::vector<std::uint8_t>>& keep) {
    auto pcm = tone(frequency, 50 * kFrame);
    std::vector<std::int16_t> heard;
    std::vector<RtpPacket> headers;
    for (std::size_t f = 0; f < 50; ++f) {
      std::vector<std::uint8_t> codes(kFrame);
      std::span<const std::int16_t> frame(pcm.data() + f * kFrame, kFrame);
      sent == Codec::kPcmu ? encodeMuLaw(frame, codes) : encodeALaw(frame, codes);
      from.send(enginePort, codes);
      auto packet = to.receive();
      if (packet.empty()) continue;
      keep.push_back(std::move(packet));
      auto parsed = parseRtp(keep.back());
      if (!parsed.ok()) continue;
      headers.push_back(parsed.value);
      std::vector<std::int16_t> decoded(parsed.value.payload.size());
      expected == Codec::kPcmu ? decodeMuLaw(parsed.value.payload, decoded)
                               : decodeALaw(parsed.value.payload, decoded);
      heard.insert(heard.end(), decoded.begin(), decoded.end());
    }
    return {heard, headers};
  }
};

TEST_F(EngineTest, ATonePlayedOnOneLegIsHeardOnTheOther) {
  Phone a(0), b(0);
  auto legA = open(a, Codec::kPcmu, 0);
  auto legB = open(b, Codec::kPcmu, 0);
  ASSERT_TRUE(engine.connect(legA.id, legB.id));
  std::vector<std::vector<std::uint8_t>> keep;
  auto [heardByB, headers] = relay(a, legA.port, b, Codec::kPcmu, Codec::kPcmu, 1000, keep);
  ASSERT_EQ(headers.size(), 50U);
  EXPECT_GT(snrDb(tone(1000, heardByB.size()), heardByB), 30.0);
  EXPECT_GT(tonePowerDb(heardByB, 1000), -1.0);
  EXPECT_LT(tonePowerDb(heardByB, 440), -30.0);
  // B sees the engine's stream: its SSRC, consecutive sequence numbers, 160 samples a packet.
  auto statsB = engine.stats(legB.id);
  ASSERT_TRUE(statsB.has_value());
  for (std::size_t i = 1; i < headers.size(); ++i) {
    EXPECT_EQ(headers[i].ssrc, statsB->outSsrc);
    EXPECT_EQ(headers[i].sequence, static_cast<std::uint16_t>(headers[i - 1].sequence + 1));
    EXPECT_EQ(headers[i].timestamp, headers[i - 1].timestamp + 160);
  }
  EXPECT_EQ(statsB->packetsSent, 50U);
  auto statsA = engine.stats(legA.id);
  EXPECT_EQ(statsA->packetsReceived, 50U);
  EXPECT_TRUE(statsA->latched);
  EXPECT_EQ(statsA->remoteAddress, "127.0.0.1");
  EXPECT_EQ(statsA->remotePort, a.port());

  // And the other way round, a different tone.
  std::vector<std::vector<std::uint8_t>> keepBack;
  auto [heardByA, back] = relay(b, legB.port, a, Codec::kPcmu, Codec::kPcmu, 440, keepBack);
  ASSERT_EQ(back.size(), 50U);
  EXPECT_GT(tonePowerDb(heardByA, 440), -1.0);
  EXPECT_LT(tonePowerDb(heardByA, 1000), -30.0);
}

TEST_F(EngineTest, MuLawAndALawPhonesAreTranscoded) {
  Phone a(0), b(8);
  auto legA = open(a, Codec::kPcmu, 0);
  auto legB = open(b, Codec::kPcma, 8);
  ASSERT_TRUE(engine.connect(legA.id, legB.id));
  std::vector<std::vector<std::uint8_t>> keep;
  auto [heard, headers] = relay(a, legA.port, b, Codec::kPcmu, Codec::kPcma, 1000, keep);
  ASSERT_EQ(headers.size(), 50U);
  EXPECT_EQ(headers.front().payloadType, 8);
  EXPECT_GT(snrDb(tone(1000, heard.size()), heard), 30.0);
}

TEST_F(EngineTest, TheStreamStaysContinuousWhenTheLegIsReBridged) {
  Phone a(0), b(0), c(0);
  auto legA = open(a, Codec::kPcmu, 0);
  auto legB = open(b, Codec::kPcmu, 0);
  auto legC = open(c, Codec::kPcmu, 0);
  ASSERT_TRUE(engine.connect(legA.id, legB.id));
  std::vector<std::vector<std::uint8_t>> keep;
  auto [first, before] = relay(a, legA.port, b, Codec::kPcmu, Codec::kPcmu, 1000, keep);
  // B is now bridged to C (a transfer): C's stream has its own SSRC, sequence and timestamps,
  // yet B must see one continuous stream.
  ASSERT_TRUE(engine.connect(legC.id, legB.id));
  auto [second, after] = relay(c, legC.port, b, Codec::kPcmu, Codec::kPcmu, 440, keep);
  ASSERT_EQ(before.size(), 50U);
  ASSERT_EQ(after.size(), 50U);
  EXPECT_EQ(after.front().ssrc, before.back().ssrc);
  EXPECT_EQ(after.front().sequence, static_cast<std::uint16_t>(before.back().sequence + 1));
  EXPECT_TRUE(after.front().marker);  // the far end's jitter buffer re-synchronises
  auto jump = after.front().timestamp - before.back().timestamp;
  EXPECT_GT(jump, 0U);
  EXPECT_LT(jump, 8000U);  // the time that passed, not a random leap
  EXPECT_GT(tonePowerDb(second, 440), -1.0);
}

TEST_F(EngineTest, UnknownPayloadTypesAndEventsTheOtherSideLacksAreDropped) {
  Phone a(0), b(0);
  auto legA = open(a, Codec::kPcmu, 0, 101);
  auto legB = open(b, Codec::kPcmu, 0);  // negotiated no telephone-event
  ASSERT_TRUE(engine.connect(legA.id, legB.id));
  std::vector<std::uint8_t> codes(kFrame, 0xFF);
  a.send(legA.port, codes, 101);  // an event B cannot take
  a.send(legA.port, codes, 18);   // G.729, never negotiated
  a.send(legA.port, codes);       // audio
  // Loopback keeps the order: the first packet B gets is the audio, sent last.
  auto packet = b.receive();
  ASSERT_FALSE(packet.empty());
  EXPECT_EQ(parseRtp(packet).value.payloadType, 0);
  auto statsA = engine.stats(legA.id);
  EXPECT_EQ(statsA->packetsDropped, 2U);
}

TEST_F(EngineTest, ComfortNoiseIsRelayedOnlyToAPhoneThatNegotiatedIt) {
  Phone a(0), b(0), c(0);
  EndpointConfig withCn;
  withCn.comfortNoisePayloadType = 13;
  withCn.remoteAddress = "127.0.0.1";
  withCn.shard = 7;
  withCn.remotePort = a.port();
  auto legA = engine.open(withCn);
  withCn.remotePort = b.port();
  auto legB = engine.open(withCn);
  auto legC = open(c, Codec::kPcmu, 0);  // no CN
  ASSERT_TRUE(legA.ok() && legB.ok());
  ASSERT_TRUE(engine.connect(legA->id, legB->id));
  std::array<std::uint8_t, 1> noiseLevel{40};
  a.send(legA->port, noiseLevel, 13);
  auto relayed = b.receive();
  ASSERT_FALSE(relayed.empty());
  EXPECT_EQ(parseRtp(relayed).value.payloadType, 13);
  // To a phone without CN: dropped; the audio after it still arrives first.
  ASSERT_TRUE(engine.connect(legA->id, legC.id));
  std::vector<std::uint8_t> codes(kFrame, 0xFF);
  a.send(legA->port, noiseLevel, 13);
  a.send(legA->port, codes);
  auto next = c.receive();
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(parseRtp(next).value.payloadType, 0);
}

TEST_F(EngineTest, ClosedEndpointsAreGoneAndTheirPortsReused) {
  Phone a(0);
  auto first = open(a, Codec::kPcmu, 0);
  engine.close(first.id);
  EXPECT_FALSE(engine.stats(first.id).has_value());
  EndpointConfig bad;
  bad.remoteAddress = "not-an-address";
  EXPECT_FALSE(engine.open(bad).ok());
}

TEST_F(EngineTest, StatsNameTheFarEndAsConfiguredUntilItLatches) {
  EndpointConfig c;
  c.remoteAddress = "198.51.100.254";
  c.remotePort = 40000;
  auto info = engine.open(c);
  ASSERT_TRUE(info.ok());
  auto stats = engine.stats(info->id);
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->remoteAddress, "198.51.100.254");
  EXPECT_EQ(stats->remotePort, 40000);
  EXPECT_FALSE(stats->latched);
  engine.close(info->id);
}

TEST_F(EngineTest, ARecycledPortPairCarriesNothingFromWhileItWasIdle) {
  Phone a(0), stale(0), b(0), c(0);
  auto first = open(a, Codec::kPcmu, 0);
  engine.close(first.id);
  (void)engine.stats(first.id);  // the worker has closed it: its pair is idle now
  std::vector<std::uint8_t> codes(kFrame, 0x55);
  for (int i = 0; i < 5; ++i)
    stale.send(first.port, codes);  // a phone of the ended call that keeps sending

  auto next = open(b, Codec::kPcmu, 0);
  EXPECT_EQ(next.port, first.port) << "the closed endpoint's pair is the next one used";
  auto other = open(c, Codec::kPcmu, 0);
  ASSERT_TRUE(engine.connect(next.id, other.id));
  EXPECT_TRUE(c.receive(200).empty()) << "what reached the idle pair is not relayed";
  EXPECT_EQ(engine.stats(next.id)->packetsReceived, 0U);

  b.send(next.port, codes);
  EXPECT_FALSE(c.receive().empty()) << "the recycled pair relays the new call";
  EXPECT_EQ(engine.stats(next.id)->packetsReceived, 1U);
}

TEST(EnginePortsTest, ARangeOfOnePairServesOneEndpointAtATimeAndGetsItsPortBack) {
  MediaEngine::Options o;
  // A pair no other test's engine uses: ctest runs tests side by side.
  o.firstPort = 39000;
  o.lastPort = 39001;  // RTP 39000, RTCP 39001
  MediaEngine engine(o);
  auto first = engine.open({});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->port, 39000);
  auto second = engine.open({});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  engine.close(first->id);
  (void)engine.stats(first->id);  // the worker has closed it and given the port back
  auto again = engine.open({});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->port, 39000);
}

// --- RTCP, quality and DTMF ----------------------------------------------------------------

class ReportingEngineTest : public ::testing::Test {
 protected:
  std::mutex mutex;
  std::condition_variable changed;
  std::string digits;

  MediaEngine engine{[this] {
    MediaEngine::Options o;
    o.firstPort = 43000;
    o.lastPort = 43999;
    o.rtcpInterval = std::chrono::milliseconds(200);
    o.onDigit = [this](const DigitEvent& d) {
      std::lock_guard lock(mutex);
      digits += d.digit;
      changed.notify_all();
    };
    return o;
  }()};

  EndpointInfo open(const Phone& phone, std::optional<std::uint8_t> events = std::nullopt) {
    EndpointConfig c;
    c.eventPayloadType = events;
    c.remoteAddress = "127.0.0.1";
    c.remotePort = phone.port();
    auto info = engine.open(c);
    EXPECT_TRUE(info.ok());
    return *info;
  }

  // The next RTCP compound packet that arrives at `socket` (a phone's RTCP side), parsed.
  static std::optional<std::vector<std::uint8_t>> nextRtcp(Phone& socket) {
    for (int i = 0; i < 20; ++i) {
      auto bytes = socket.receive(2000);
      if (bytes.empty()) return std::nullopt;
      if (parseRtcpCompound(bytes).ok()) return bytes;
    }
    return std::nullopt;
  }
};

TEST_F(ReportingEngineTest, ReportsOnThePhonesStreamAndEstimatesItsQuality) {
  Phone a(0), b(0), aRtcp(0);
  auto legA = open(a);
  auto legB = open(b);
  ASSERT_TRUE(engine.connect(legA.id, legB.id));
  // The phone's RTCP comes from its own socket: the engine answers there (latching).
  std::array<std::uint8_t, 64> rr{};
  auto rrSize = writeReport(rr, 0x11223344, std::nullopt, {}, "phone-a");
  aRtcp.sendRaw(static_cast<std::uint16_t>(legA.port + 1), std::span(rr).first(rrSize));
  std::vector<std::uint8_t> codes(kFrame, 0xFF);
  for (int i = 0; i < 50; ++i) {
    a.send(legA.port, codes);
    ASSERT_FALSE(b.receive().empty());
  }
  // A report about the 50 packets: one block on SSRC 0x11223344, nothing lost.
  bool reported = false;
  for (int i = 0; i < 5 && !reported; ++i) {
    auto bytes = nextRtcp(aRtcp);
    ASSERT_TRUE(bytes.has_value());
    for (const auto& packet : parseRtcpCompound(*bytes).value) {
      if (packet.type != rtcp_type::kReceiverReport && packet.type != rtcp_type::kSenderReport)
        continue;
      auto blocks = packet.type == rtcp_type::kReceiverReport
                        ? parseReceiverReport(packet).value.blocks
                        : parseSenderReport(packet).value.blocks;
      if (blocks.empty()) continue;
      EXPECT_EQ(blocks[0].ssrc, 0x11223344U);
      EXPECT_EQ(blocks[0].extendedHighestSequence & 0xFFFF, 1049U);
      EXPECT_EQ(blocks[0].cumulativeLost, 0);
      reported = true;
    }
  }
  EXPECT_TRUE(reported);
  auto stats = engine.stats(legA.id);
  EXPECT_EQ(stats->packetsLost, 0);
  EXPECT_GT(stats->mos, 4.3);  // loopback: no loss, no delay
  EXPECT_GE(stats->rtcpReceived, 1U);
}

TEST_F(ReportingEngineTest, RoundTripComesFromThePhonesAnswerToOurSenderReport) {
  Phone a(0), b(0), bRtcp(0);
  auto legA = open(a);
  auto legB = open(b);
  ASSERT_TRUE(engine.connect(legA.id, legB.id));
  std::array<std::uint8_t, 64> hello{};
  auto helloSize = writeReport(hello, 0x55667788, std::nullopt, {}, "phone-b");
  bRtcp.sendRaw(static_cast<std::uint16_t>(legB.port + 1), std::span(hello).first(helloSize));
  std::vector<std::uint8_t> codes(kFrame, 0xFF);
  std::optional<SenderReport> ours;
  std::vector<std::uint8_t> keep;
  for (int round = 0; round < 20 && !ours; ++round) {
    for (int i = 0; i < 10; ++i) {
      a.send(legA.port, codes);
      (void)b.receive();
    }
    auto bytes = nextRtcp(bRtcp);
    ASSERT_TRUE(bytes.has_value());
    keep = *bytes;
    for (const auto& packet : parseRtcpCompound(keep).value) {
      if (packet.type == rtcp_type::kSenderReport) ours = parseSenderReport(packet).value;
    }
  }
  ASSERT_TRUE(ours.has_value());
  EXPECT_EQ(ours->ssrc, engine.stats(legB.id)->outSsrc);
  // Phone B answers at once: LSR = the SR's NTP time, DLSR = 0.
  ReportBlock block;
  block.ssrc = ours->ssrc;
  block.lastSenderReport = compactNtp(ours->sender.ntp);
  std::array<std::uint8_t, 128> answer{};
  auto size = writeReport(answer, 0x55667788, std::nullopt, std::span(&block, 1), "phone-b");
  bRtcp.sendRaw(static_cast<std::uint16_t>(legB.port + 1), std::span(answer).first(size));
  std::optional<double> rtt;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!rtt && std::chrono::steady_clock::now() < deadline) {
    rtt = engine.stats(legB.id)->roundTripMs;  // polls until the worker has read the report
    if (!rtt) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(rtt.has_value());
  EXPECT_GE(*rtt, 0.0);
  EXPECT_LT(*rtt, 2000.0);  // since the SR left: report interval plus loopback
}

TEST_F(ReportingEngineTest, EachDigitIsReportedOnceDespiteRetransmittedEnds) {
  Phone a(0), b(0);
  auto legA = open(a, 101);
  auto legB = open(b, 101);
  ASSERT_TRUE(engine.connect(legA.id, legB.id));
  std::uint16_t sequence = 7000;
  std::uint32_t timestamp = 90000;
  for (char digit : std::string("1#9")) {
    TelephoneEventGenerator generator(*dtmfEvent(digit), std::chrono::milliseconds(100));
    for (std::size_t i = 0; i < generator.size(); ++i) {
      auto p = generator[i];
      std::array<std::uint8_t, kRtpFixedHeaderSize + kTelephoneEventSize> packet{};
      writeRtpHeader(packet, {p.marker, 101, sequence++, timestamp, 0x11223344});
      auto payload = encodeTelephoneEvent(p.payload);
      std::copy(payload.begin(), payload.end(), packet.begin() + kRtpFixedHeaderSize);
      a.sendRaw(legA.port, packet);
    }
    timestamp += 1600;
  }
  std::unique_lock lock(mutex);
  changed.wait_for(lock, std::chrono::seconds(5), [this] { return digits.size() >= 3; });
  EXPECT_EQ(digits, "1#9");
  lock.unlock();
  // The events also reach the other phone (both negotiated telephone-event).
  auto relayed = b.receive();
  ASSERT_FALSE(relayed.empty());
  EXPECT_EQ(parseRtp(relayed).value.payloadType, 101);
}

TEST_F(ReportingEngineTest, InbandDtmfIsDetectedForTrunksWithoutEvents) {
  Phone trunk(8);
  EndpointConfig c;
  c.codec = Codec::kPcma;
  c.payloadType = 8;
  c.remoteAddress = "127.0.0.1";
  c.remotePort = trunk.port();
  c.detectInbandDtmf = true;
  auto leg = engine.open(c);
  ASSERT_TRUE(leg.ok());
  DtmfGenerator keys;
  keys.enqueue("4*7");
  std::array<std::int16_t, kFrame> pcm{};
  std::array<std::uint8_t, kFrame> codes{};
  for (int frame = 0; frame < 75; ++frame) {  // 1.5 s: three 100 ms keys with pauses, then quiet
    keys.generate(pcm);
    encodeALaw(pcm, codes);
    trunk.send(leg->port, codes);
  }
  std::unique_lock lock(mutex);
  changed.wait_for(lock, std::chrono::seconds(5), [this] { return digits.size() >= 3; });
  EXPECT_EQ(digits, "4*7");
}

TEST(SilenceTest, APhoneThatStopsSendingIsReportedOnceUnlessItMayBeSilent) {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<EndpointId> silent;
  MediaEngine::Options o;
  o.firstPort = 45000;
  o.lastPort = 45999;
  o.rtpTimeout = std::chrono::milliseconds(300);
  o.onSilent = [&](EndpointId id) {
    std::lock_guard lock(mutex);
    silent.push_back(id);
    changed.notify_all();
  };
  MediaEngine engine(o);
  Phone a(0), b(0), c(0);
  auto open = [&](const Phone& phone, bool expectMedia) {
    EndpointConfig config;
    config.remoteAddress = "127.0.0.1";
    config.remotePort = phone.port();
    config.expectMedia = expectMedia;
    return *engine.open(config);
  };
  auto legA = open(a, true);
  auto legB = open(b, true);   // never sends: not a dead phone, a phone that has not started
  auto legC = open(c, false);  // on hold with a=inactive: silence is expected
  std::vector<std::uint8_t> codes(kFrame, 0xFF);
  for (int i = 0; i < 5; ++i) {
    a.send(legA.port, codes);
    c.send(legC.port, codes);
  }
  std::unique_lock lock(mutex);
  ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(5), [&] { return !silent.empty(); }));
  lock.unlock();
  (void)engine.stats(legB.id);  // the worker finished the sweep that found A
  lock.lock();
  EXPECT_EQ(silent, std::vector<EndpointId>{legA.id});
  // Once: later sweeps (every 200 ms) do not report A again while it stays silent, and a
  // packet from it re-arms the check.
  EXPECT_FALSE(
      changed.wait_for(lock, std::chrono::milliseconds(700), [&] { return silent.size() > 1; }));
  lock.unlock();
  a.send(legA.port, codes);
  lock.lock();
  ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(5), [&] { return silent.size() > 1; }));
  EXPECT_EQ(silent, (std::vector<EndpointId>{legA.id, legA.id}));
}

// --- Players -------------------------------------------------------------------------------

class PlayingEngineTest : public ::testing::Test {
 protected:
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<EndpointId> played;

  MediaEngine engine{[this] {
    MediaEngine::Options o;
    o.firstPort = 44000;
    o.lastPort = 44999;
    o.onPlayed = [this](EndpointId id) {
      std::lock_guard lock(mutex);
      played.push_back(id);
      changed.notify_all();
    };
    return o;
  }()};

  EndpointInfo open(const Phone& phone, Codec codec = Codec::kPcmu, std::uint8_t pt = 0) {
    EndpointConfig c;
    c.codec = codec;
    c.payloadType = pt;
    c.remoteAddress = "127.0.0.1";
    c.remotePort = phone.port();
    auto info = engine.open(c);
    EXPECT_TRUE(info.ok());
    return *info;
  }

  // Up to `count` packets the phone receives, with their decoded audio appended to `audio`.
  static std::vector<RtpPacket> collect(Phone& phone, std::size_t count,
                                        std::vector<std::int16_t>& audio,
                                        std::vector<std::vector<std::uint8_t>>& keep,
                                        Codec codec = Codec::kPcmu) {
    std::vector<RtpPacket> headers;
    while (headers.size() < count) {
      auto packet = phone.receive();
      if (packet.empty()) break;
      keep.push_back(std::move(packet));
      auto parsed = parseRtp(keep.back());
      if (!parsed.ok()) continue;
      headers.push_back(parsed.value);
      std::vector<std::int16_t> pcm(parsed.value.payload.size());
      codec == Codec::kPcmu ? decodeMuLaw(parsed.value.payload, pcm)
                            : decodeALaw(parsed.value.payload, pcm);
      audio.insert(audio.end(), pcm.begin(), pcm.end());
    }
    return headers;
  }
};

TEST_F(PlayingEngineTest, APromptIsPlayedPacedAndThenReported) {
  Phone phone(8);
  auto leg = open(phone, Codec::kPcma, 8);
  auto clip = AudioClip::fromSamples(tone(1000, 25 * kFrame), "tone");  // half a second
  engine.play(leg.id, clip, false);
  std::vector<std::int16_t> audio;
  std::vector<std::vector<std::uint8_t>> keep;
  auto headers = collect(phone, 25, audio, keep, Codec::kPcma);
  ASSERT_EQ(headers.size(), 25U);
  EXPECT_GT(tonePowerDb(audio, 1000), -1.0);
  EXPECT_GT(snrDb(tone(1000, audio.size()), audio), 30.0);
  for (std::size_t i = 1; i < headers.size(); ++i) {
    EXPECT_EQ(headers[i].sequence, static_cast<std::uint16_t>(headers[i - 1].sequence + 1));
    EXPECT_EQ(headers[i].timestamp, headers[i - 1].timestamp + 160);
    EXPECT_EQ(headers[i].payloadType, 8);
  }
  std::unique_lock lock(mutex);
  ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(2), [&] { return !played.empty(); }));
  EXPECT_EQ(played, std::vector<EndpointId>{leg.id});
}

TEST_F(PlayingEngineTest, MusicOnHoldReplacesTheBridgeWithoutBreakingTheStream) {
  Phone customer(0), agent(0);
  auto legC = open(customer);
  auto legA = open(agent);
  ASSERT_TRUE(engine.connect(legC.id, legA.id));
  std::vector<std::uint8_t> silence(kFrame, 0xFF);
  std::vector<std::int16_t> audio;
  std::vector<std::vector<std::uint8_t>> keep;
  // The agent talks: the customer hears the relay.
  for (int i = 0; i < 5; ++i)
    agent.send(legA.port, silence);
  auto relayed = collect(customer, 5, audio, keep);
  ASSERT_EQ(relayed.size(), 5U);
  // Hold: music (a looping 440 Hz clip) instead of the agent, in the same stream.
  engine.play(legC.id, AudioClip::fromSamples(tone(440, 8000), "music"), true);
  (void)engine.stats(legC.id);  // the worker is playing
  // The agent's packets during hold (silence, 0xFF) must not reach the customer.
  for (int i = 0; i < 5; ++i)
    agent.send(legA.port, silence);
  std::vector<std::int16_t> music;
  auto held = collect(customer, 50, music, keep);
  auto leaked = std::count_if(held.begin(), held.end(), [](const RtpPacket& h) {
    return std::all_of(h.payload.begin(), h.payload.end(), [](auto b) { return b == 0xFF; });
  });
  EXPECT_EQ(leaked, 0);
  ASSERT_EQ(held.size(), 50U);
  EXPECT_EQ(held.front().ssrc, relayed.back().ssrc);
  EXPECT_EQ(held.front().sequence, static_cast<std::uint16_t>(relayed.back().sequence + 1));
  EXPECT_TRUE(timestampInOrder(relayed.back().timestamp, held.front().timestamp));
  EXPECT_GT(tonePowerDb(music, 440), -1.0);
  // Off hold: the relay again, continuing the same stream.
  engine.stopPlaying(legC.id);
  (void)engine.stats(legC.id);  // the worker has switched back
  std::vector<std::uint8_t> marked(kFrame, 0x00);
  std::vector<RtpPacket> back;
  std::vector<std::int16_t> after;
  for (int i = 0; i < 20 && back.empty(); ++i) {
    agent.send(legA.port, marked);
    for (auto& h : collect(customer, 1, after, keep)) {
      if (h.payload.size() == kFrame && h.payload[0] == 0x00) back.push_back(h);
    }
  }
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(back.front().ssrc, held.front().ssrc);
  EXPECT_TRUE(sequenceInOrder(held.back().sequence, back.front().sequence));
}

TEST_F(PlayingEngineTest, MusicOnHoldStaysContinuousWhileTheHeldLegIsReBridged) {
  Phone customer(0), agent(0), other(0);
  auto legC = open(customer);
  auto legA = open(agent);
  auto legO = open(other);
  ASSERT_TRUE(engine.connect(legC.id, legA.id));
  engine.play(legC.id, AudioClip::fromSamples(tone(440, 8000), "music"), true);
  std::vector<std::int16_t> music;
  std::vector<std::vector<std::uint8_t>> keep;
  auto before = collect(customer, 10, music, keep);
  ASSERT_TRUE(engine.connect(legC.id, legO.id));  // transferred while on hold
  auto after = collect(customer, 10, music, keep);
  ASSERT_EQ(before.size(), 10U);
  ASSERT_EQ(after.size(), 10U);
  std::vector<RtpPacket> all(before);
  all.insert(all.end(), after.begin(), after.end());
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_EQ(all[i].ssrc, all[0].ssrc);
    EXPECT_EQ(all[i].sequence, static_cast<std::uint16_t>(all[i - 1].sequence + 1)) << i;
    EXPECT_EQ(all[i].timestamp, all[i - 1].timestamp + 160) << i;
  }
  EXPECT_GT(tonePowerDb(music, 440), -1.0);
}

TEST_F(PlayingEngineTest, DigitsAreSentAsTelephoneEvents) {
  Phone carrier(0);
  EndpointConfig c;
  c.eventPayloadType = 101;
  c.remoteAddress = "127.0.0.1";
  c.remotePort = carrier.port();
  auto leg = engine.open(c);
  ASSERT_TRUE(leg.ok());
  EXPECT_FALSE(engine.sendDigits(leg->id, "5x"));
  ASSERT_TRUE(engine.sendDigits(leg->id, "5#", std::chrono::milliseconds(60)));
  // 60 ms at 20 ms a packet: two progress packets and three ends per digit, ten in all; the
  // retransmitted ends must not make a digit count twice.
  TelephoneEventReceiver receiver;
  std::string heard;
  std::vector<bool> markers;
  for (int i = 0; i < 10; ++i) {
    auto bytes = carrier.receive();
    ASSERT_FALSE(bytes.empty()) << "packet " << i << ", heard " << heard;
    auto rtp = parseRtp(bytes);
    ASSERT_TRUE(rtp.ok());
    EXPECT_EQ(rtp.value.payloadType, 101);
    markers.push_back(rtp.value.marker);
    auto event = parseTelephoneEvent(rtp.value.payload);
    ASSERT_TRUE(event.ok());
    for (const auto& finished : receiver.onPacket(rtp.value, event.value))
      heard += dtmfCharacter(finished.event);
  }
  EXPECT_EQ(heard, "5#");
  EXPECT_TRUE(markers[0]);
  EXPECT_FALSE(markers[1]);
}

TEST_F(PlayingEngineTest, RingbackIsTheChineseCadence) {
  Phone phone(0);
  auto leg = open(phone);
  engine.playTone(leg.id, chinaCallProgressTone(CallProgressTone::kRingback));
  std::vector<std::int16_t> audio;
  std::vector<std::vector<std::uint8_t>> keep;
  auto headers = collect(phone, 75, audio, keep);  // 1.5 s: 1 s of tone, then silence
  ASSERT_EQ(headers.size(), 75U);
  std::span<const std::int16_t> on(audio.data(), 8000);
  std::span<const std::int16_t> off(audio.data() + 8400, 3200);
  EXPECT_GT(tonePowerDb(on, 450), -1.0);
  EXPECT_LT(frameLevelDbov(off), -60.0);
  engine.stopPlaying(leg.id);
}

// --- Recording and conferences -----------------------------------------------------------

// The samples of a 16-bit PCM WAV file, interleaved, and its channel count.
std::pair<std::vector<std::int16_t>, int> readWav(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t pos = 12;
  int channels = 0;
  while (pos + 8 <= bytes.size()) {
    std::string id(bytes.data() + pos, 4);
    std::uint32_t size = 0;
    std::memcpy(&size, bytes.data() + pos + 4, 4);
    if (id == "fmt ") {
      std::uint16_t c = 0;
      std::memcpy(&c, bytes.data() + pos + 10, 2);
      channels = c;
    } else if (id == "data") {
      std::vector<std::int16_t> samples(std::min<std::size_t>(size, bytes.size() - pos - 8) / 2);
      std::memcpy(samples.data(), bytes.data() + pos + 8, samples.size() * 2);
      return {samples, channels};
    }
    pos += 8 + size + (size % 2);
  }
  return {{}, channels};
}

class MixingEngineTest : public PlayingEngineTest {
 protected:
  // Sends `seconds` of a tone from each phone, one packet each per 20 ms (paced like a phone, so
  // the jitter buffers see a real stream), and collects what each phone hears.
  void talk(std::vector<Phone*> phones, std::vector<EndpointInfo> legs, std::vector<double> tones,
            int frames, std::vector<std::vector<std::int16_t>>& heard) {
    heard.assign(phones.size(), {});
    std::vector<std::vector<std::int16_t>> pcm;
    for (auto f : tones)
      pcm.push_back(tone(f, static_cast<std::size_t>(frames) * kFrame));
    auto next = std::chrono::steady_clock::now();
    for (int frame = 0; frame < frames; ++frame) {
      for (std::size_t p = 0; p < phones.size(); ++p) {
        if (tones[p] == 0) continue;
        std::array<std::uint8_t, kFrame> codes{};
        encodeMuLaw(std::span<const std::int16_t>(pcm[p].data() + frame * kFrame, kFrame), codes);
        phones[p]->send(legs[p].port, codes);
      }
      next += std::chrono::milliseconds(20);
      std::this_thread::sleep_until(next);  // a phone's packet clock, not a wait for a result
      for (std::size_t p = 0; p < phones.size(); ++p) {
        for (;;) {
          auto packet = phones[p]->receive(0);
          if (packet.empty()) break;
          auto parsed = parseRtp(packet);
          if (!parsed.ok()) continue;
          std::vector<std::int16_t> decoded(parsed.value.payload.size());
          decodeMuLaw(parsed.value.payload, decoded);
          heard[p].insert(heard[p].end(), decoded.begin(), decoded.end());
        }
      }
    }
  }

  // The level of `frequency` in what was heard after the first 200 ms (buffers filling).
  static double level(const std::vector<std::int16_t>& heard, double frequency) {
    if (heard.size() < 3200) return -200;
    return 10 * std::log10(goertzelPower(std::span(heard).subspan(1600), frequency) + 1e-9);
  }
};

TEST_F(MixingEngineTest, ACallIsRecordedCustomerLeftAgentRight) {
  Phone customer(0), agent(0);
  auto legC = open(customer);
  auto legA = open(agent);
  ASSERT_TRUE(engine.connect(legC.id, legA.id));
  auto dir = std::filesystem::temp_directory_path() /
             ("sb-engine-rec-" + std::to_string(::getpid()) + "-" + std::to_string(legC.id));
  RecordingWriter writer;
  auto recorder = writer.start({dir / "call.wav", RecordingLayout::kStereo});
  ASSERT_TRUE(recorder.ok()) << recorder.error().message;
  ASSERT_TRUE(engine.record(legC.id, legA.id, *recorder));
  std::vector<std::vector<std::int16_t>> heard;
  talk({&customer, &agent}, {legC, legA}, {1000, 440}, 50, heard);
  engine.stopRecording(legC.id);
  auto info = (*recorder)->finish();
  ASSERT_TRUE(info.ok());
  // At least the second of talk: the worker's ticks pace the recording, one frame each.
  EXPECT_GE(info->duration, std::chrono::milliseconds(900));
  EXPECT_EQ(info->droppedFrames, 0U);
  auto [samples, channels] = readWav(info->path);
  ASSERT_EQ(channels, 2);
  std::vector<std::int16_t> left, right;
  for (std::size_t i = 0; i + 1 < samples.size(); i += 2) {
    left.push_back(samples[i]);
    right.push_back(samples[i + 1]);
  }
  EXPECT_GT(tonePowerDb(left, 1000), -3.0);
  EXPECT_LT(tonePowerDb(left, 440), -25.0);
  EXPECT_GT(tonePowerDb(right, 440), -3.0);
  EXPECT_LT(tonePowerDb(right, 1000), -25.0);
  std::filesystem::remove_all(dir);
}

TEST_F(MixingEngineTest, ThreePartiesHearEachOtherAndASupervisorListensAndWhispers) {
  Phone customer(0), agent(0), supervisor(0);
  auto legC = open(customer);
  auto legA = open(agent);
  auto legS = open(supervisor);
  auto mixer = engine.createMixer(0);
  ASSERT_TRUE(engine.join(mixer, legC.id, ParticipantMode::kFull));
  ASSERT_TRUE(engine.join(mixer, legA.id, ParticipantMode::kFull));
  ASSERT_TRUE(engine.join(mixer, legS.id, ParticipantMode::kFull));
  std::vector<std::vector<std::int16_t>> heard;
  talk({&customer, &agent, &supervisor}, {legC, legA, legS}, {700, 1100, 1500}, 40, heard);
  // Everyone hears the other two, not itself.
  for (std::size_t p = 0; p < 3; ++p) {
    double self = level(heard[p], std::array{700.0, 1100.0, 1500.0}[p]);
    for (std::size_t q = 0; q < 3; ++q) {
      if (q == p) continue;
      EXPECT_GT(level(heard[p], std::array{700.0, 1100.0, 1500.0}[q]), self + 30) << p << q;
    }
  }
  // Monitoring (监听): the supervisor hears both, nobody hears the supervisor.
  engine.setMode(mixer, legS.id, ParticipantMode::kListenOnly);
  talk({&customer, &agent, &supervisor}, {legC, legA, legS}, {700, 1100, 1500}, 40, heard);
  EXPECT_GT(level(heard[2], 700), level(heard[2], 1500) + 30);
  EXPECT_GT(level(heard[2], 1100), level(heard[2], 1500) + 30);
  EXPECT_GT(level(heard[0], 1100), level(heard[0], 1500) + 30);
  EXPECT_GT(level(heard[1], 700), level(heard[1], 1500) + 30);
  // Coaching (耳语): only the agent hears the supervisor.
  engine.setMode(mixer, legS.id, ParticipantMode::kWhisper);
  engine.setWhisperTarget(mixer, legS.id, legA.id);
  talk({&customer, &agent, &supervisor}, {legC, legA, legS}, {700, 1100, 1500}, 40, heard);
  EXPECT_GT(level(heard[1], 1500), level(heard[1], 1100) + 30);  // the agent hears the whisper
  EXPECT_GT(level(heard[0], 1100), level(heard[0], 1500) + 30);  // the customer does not
  engine.destroyMixer(mixer);
}

}  // namespace
}  // namespace sb::media
