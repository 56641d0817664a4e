#include "media/dsp.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "media/g711.hpp"
#include "media/quality.hpp"

namespace sb::media {
namespace {

using Samples = std::vector<std::int16_t>;

// ---- helpers
// -------------------------------------------------------------------------------------

// Generates `count` samples in 20 ms frames, as a media worker would.
Samples generateFrames(ToneGenerator& generator, std::size_t count) {
  Samples out(count);
  for (std::size_t i = 0; i < count; i += kFrameSamples) {
    generator.generate(std::span(out).subspan(i, std::min(kFrameSamples, count - i)));
  }
  return out;
}

Samples tone(double firstHz, double firstDbm0, double secondHz, double secondDbm0,
             std::size_t count) {
  ToneGenerator generator{ToneSpec{.firstHz = firstHz,
                                   .firstLevelDbm0 = firstDbm0,
                                   .secondHz = secondHz,
                                   .secondLevelDbm0 = secondDbm0}};
  return generateFrames(generator, count);
}

Samples silence(std::size_t count) {
  return Samples(count, 0);
}

Samples concat(std::initializer_list<Samples> parts) {
  Samples out;
  for (const Samples& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

// Lengths of the alternating runs of non-zero and zero samples, starting with a non-zero run.
std::vector<std::size_t> onOffRuns(const Samples& samples) {
  std::vector<std::size_t> runs;
  bool on = true;
  std::size_t length = 0;
  for (const std::int16_t s : samples) {
    if ((s != 0) != on) {
      runs.push_back(length);
      on = !on;
      length = 0;
    }
    ++length;
  }
  runs.push_back(length);
  return runs;
}

struct Detected {
  std::string digits;
  std::vector<std::uint64_t> starts;
};

Detected detect(const Samples& samples, DtmfDetectorConfig config = {}) {
  DtmfDetector detector{config};
  Detected detected;
  std::array<DtmfDigitEvent, 4> events{};
  for (std::size_t i = 0; i < samples.size(); i += kFrameSamples) {
    const auto frame = std::span(samples).subspan(i, std::min(kFrameSamples, samples.size() - i));
    const std::size_t n = detector.process(frame, events);
    for (std::size_t k = 0; k < n; ++k) {
      detected.digits += events[k].digit;
      detected.starts.push_back(events[k].startSample);
    }
  }
  EXPECT_EQ(detector.droppedEvents(), 0u);
  return detected;
}

Samples dtmf(std::string_view digits, DtmfTiming timing = {}) {
  DtmfGenerator generator{timing};
  EXPECT_EQ(generator.enqueue(digits), digits.size());
  const std::size_t perDigit = (timing.toneMs + timing.pauseMs) * 8;
  Samples out(perDigit * digits.size() + kFrameSamples);
  for (std::size_t i = 0; i < out.size(); i += kFrameSamples) {
    generator.generate(std::span(out).subspan(i, std::min(kFrameSamples, out.size() - i)));
  }
  EXPECT_TRUE(generator.idle());
  return out;
}

Samples dtmfPair(double lowHz, double highHz, std::size_t toneSamples, double lowDbm0 = -8,
                 double highDbm0 = -6) {
  return concat({silence(400), tone(lowHz, lowDbm0, highHz, highDbm0, toneSamples), silence(400)});
}

constexpr std::string_view kAllKeys = "0123456789*#ABCD";

// ---- G.711 -------------------------------------------------------------------------------------

// G.711 Table 2a written as segment start and step (14-bit units): the outputs of segment e are
// start[e] + step·m for m = 0..15, counted from the smallest magnitude.
constexpr std::array<int, 8> kMuLawSegmentStart{0, 33, 99, 231, 495, 1023, 2079, 4191};
// G.711 Table 1a likewise (13-bit units): segment 0 is 1, 3, ..., 31; then 33, 35, ...; 66, 70, ...
constexpr std::array<int, 8> kALawSegmentStart{1, 33, 66, 132, 264, 528, 1056, 2112};

int expectedMuLaw(std::uint8_t code) {
  const int rank = ~code & 0x7F;  // µ-law transmits every bit inverted
  const int segment = rank >> 4;
  const int magnitude14 = kMuLawSegmentStart[segment] + (rank & 0x0F) * (2 << segment);
  return (code & 0x80) ? 4 * magnitude14 : -4 * magnitude14;
}

int expectedALaw(std::uint8_t code) {
  const int rank = (code ^ 0x55) & 0x7F;  // A-law transmits the even bits inverted
  const int segment = rank >> 4;
  const int step = segment == 0 ? 2 : (1 << segment);
  const int magnitude13 = kALawSegmentStart[segment] + (rank & 0x0F) * step;
  return (code & 0x80) ? 8 * magnitude13 : -8 * magnitude13;
}

int muLawRank(std::uint8_t code) {
  return ~code & 0x7F;
}
int aLawRank(std::uint8_t code) {
  return (code ^ 0x55) & 0x7F;
}
bool muLawPositive(std::uint8_t code) {
  return (code & 0x80) != 0;
}
bool aLawPositive(std::uint8_t code) {
  return (code & 0x80) != 0;
}

// Half the quantisation step around a decoded value, in 16-bit units.
int muLawHalfStep(std::uint8_t code) {
  return 4 << (muLawRank(code) >> 4);
}
int aLawHalfStep(std::uint8_t code) {
  const int segment = aLawRank(code) >> 4;
  return segment == 0 ? 8 : 4 << segment;
}

TEST(G711Test, MuLawDecodesEveryCodeToTheTable2aValue) {
  for (int code = 0; code < 256; ++code) {
    EXPECT_EQ(muLawToLinear(static_cast<std::uint8_t>(code)),
              expectedMuLaw(static_cast<std::uint8_t>(code)))
        << "code " << code;
  }
  EXPECT_EQ(muLawToLinear(0xFF), 0);
  EXPECT_EQ(muLawToLinear(0x7F), 0);  // negative zero
  EXPECT_EQ(muLawToLinear(0xFE), 8);
  EXPECT_EQ(muLawToLinear(0xEF), 132);
  EXPECT_EQ(muLawToLinear(0x80), 32124);
  EXPECT_EQ(muLawToLinear(0x00), -32124);
}

TEST(G711Test, ALawDecodesEveryCodeToTheTable1aValue) {
  for (int code = 0; code < 256; ++code) {
    EXPECT_EQ(aLawToLinear(static_cast<std::uint8_t>(code)),
              expectedALaw(static_cast<std::uint8_t>(code)))
        << "code " << code;
  }
  EXPECT_EQ(aLawToLinear(0xD5), 8);
  EXPECT_EQ(aLawToLinear(0x55), -8);
  EXPECT_EQ(aLawToLinear(0xAA), 32256);
  EXPECT_EQ(aLawToLinear(0x2A), -32256);
}

TEST(G711Test, EncodeInvertsDecodeForEveryCodeButMuLawNegativeZero) {
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    EXPECT_EQ(linearToALaw(aLawToLinear(code)), code) << "A-law " << c;
    const std::uint8_t expectedMu = code == 0x7F ? 0xFF : code;  // -0 and +0 both decode to 0
    EXPECT_EQ(linearToMuLaw(muLawToLinear(code)), expectedMu) << "µ-law " << c;
  }
}

// Every 16-bit input against the decision values of G.711 Tables 1a/2a: each output value is
// the middle of its interval, so an interval starts half a step below its output value. The
// input's low bits are dropped and negatives folded by one's complement (ITU-T G.191).
TEST(G711Test, EncodersFollowTheDecisionValuesForEveryInput) {
  std::array<int, 128> muLawDecision{};  // 14-bit, by rank
  std::array<int, 128> aLawDecision{};   // 13-bit, by rank
  for (int rank = 0; rank < 128; ++rank) {
    const auto muCode = static_cast<std::uint8_t>(0xFF ^ rank);
    const auto aCode = static_cast<std::uint8_t>((0x80 | rank) ^ 0x55);
    // µ-law's first output, 0, has the half-width interval {0}: max() clips its -1.
    muLawDecision[rank] = std::max(0, (expectedMuLaw(muCode) - muLawHalfStep(muCode)) / 4);
    aLawDecision[rank] = (expectedALaw(aCode) - aLawHalfStep(aCode)) / 8;
  }
  for (int x = -32768; x <= 32767; ++x) {
    const auto sample = static_cast<std::int16_t>(x);
    const bool negative = x < 0;
    const int folded = negative ? ~x : x;
    const int muRank =
        static_cast<int>(std::upper_bound(muLawDecision.begin(), muLawDecision.end(), folded >> 2) -
                         muLawDecision.begin()) -
        1;
    const int aRank =
        static_cast<int>(std::upper_bound(aLawDecision.begin(), aLawDecision.end(), folded >> 3) -
                         aLawDecision.begin()) -
        1;
    ASSERT_EQ(linearToMuLaw(sample), (negative ? 0x7F : 0xFF) ^ muRank) << "x=" << x;
    ASSERT_EQ(linearToALaw(sample), (negative ? aRank : 0x80 | aRank) ^ 0x55) << "x=" << x;
  }
}

TEST(G711Test, EncodeIsMonotonic) {
  int previousMu = -32768, previousA = -32768;
  for (int x = -32768; x <= 32767; ++x) {
    const auto sample = static_cast<std::int16_t>(x);
    const int mu = muLawToLinear(linearToMuLaw(sample));
    const int a = aLawToLinear(linearToALaw(sample));
    ASSERT_GE(mu, previousMu) << "x=" << x;
    ASSERT_GE(a, previousA) << "x=" << x;
    previousMu = mu;
    previousA = a;
  }
}

TEST(G711Test, EncodeTreatsXAndItsOnesComplementAlike) {
  for (int x = 0; x <= 32767; ++x) {
    const auto positive = static_cast<std::int16_t>(x);
    const auto negative = static_cast<std::int16_t>(~x);
    ASSERT_EQ(linearToMuLaw(negative), linearToMuLaw(positive) ^ 0x80) << "x=" << x;
    ASSERT_EQ(linearToALaw(negative), linearToALaw(positive) ^ 0x80) << "x=" << x;
  }
}

// The round trip errs by at most half a step of the chosen segment; only µ-law clips, past its
// overload point 8159 (32636 in 16-bit), where it returns its top value.
TEST(G711Test, RoundTripErrorIsAtMostHalfAStep) {
  int worstMu = 0, worstA = 0;
  for (int x = -32768; x <= 32767; ++x) {
    const auto sample = static_cast<std::int16_t>(x);
    const std::uint8_t mu = linearToMuLaw(sample);
    const std::uint8_t a = linearToALaw(sample);
    const int muError = std::abs(muLawToLinear(mu) - x);
    const int aError = std::abs(aLawToLinear(a) - x);
    if (x >= 32636 || x < -32636) {
      ASSERT_EQ(std::abs(muLawToLinear(mu)), 32124) << "x=" << x;
    } else {
      ASSERT_LE(muError, muLawHalfStep(mu)) << "x=" << x;
      worstMu = std::max(worstMu, muError);
    }
    ASSERT_LE(aError, aLawHalfStep(a)) << "x=" << x;
    worstA = std::max(worstA, aError);
  }
  EXPECT_EQ(worstMu, 512);  // segment 7: step 256 in 14-bit units
  EXPECT_EQ(worstA, 512);   // segment 7: step 128 in 13-bit units
}

TEST(G711Test, FrameFunctionsMatchTheSampleFunctions) {
  const Samples pcm = tone(1000, -3, 300, -9, kFrameSamples);
  std::array<std::uint8_t, kFrameSamples> mu{}, a{}, transcoded{};
  std::array<std::int16_t, kFrameSamples> decoded{};
  ASSERT_EQ(encodeMuLaw(pcm, mu), kFrameSamples);
  ASSERT_EQ(encodeALaw(pcm, a), kFrameSamples);
  for (std::size_t i = 0; i < kFrameSamples; ++i) {
    EXPECT_EQ(mu[i], linearToMuLaw(pcm[i]));
    EXPECT_EQ(a[i], linearToALaw(pcm[i]));
  }
  ASSERT_EQ(decodeMuLaw(mu, decoded), kFrameSamples);
  for (std::size_t i = 0; i < kFrameSamples; ++i)
    EXPECT_EQ(decoded[i], muLawToLinear(mu[i]));
  ASSERT_EQ(decodeALaw(a, decoded), kFrameSamples);
  for (std::size_t i = 0; i < kFrameSamples; ++i)
    EXPECT_EQ(decoded[i], aLawToLinear(a[i]));
  ASSERT_EQ(transcodeMuLawToALaw(mu, transcoded), kFrameSamples);
  for (std::size_t i = 0; i < kFrameSamples; ++i)
    EXPECT_EQ(transcoded[i], muLawToALaw(mu[i]));
  ASSERT_EQ(transcodeALawToMuLaw(a, transcoded), kFrameSamples);
  for (std::size_t i = 0; i < kFrameSamples; ++i)
    EXPECT_EQ(transcoded[i], aLawToMuLaw(a[i]));

  // A short output converts only what fits.
  std::array<std::uint8_t, 10> shortOut{};
  EXPECT_EQ(encodeMuLaw(pcm, shortOut), 10u);
  EXPECT_EQ(decodeALaw(shortOut, decoded), 10u);
}

// G.711 Table 3 (µ -> A) against the PCM route decode -> encode. The table maps at the laws'
// true levels, which differ by 0.03 dB from our 16-bit alignment, so it may pick the neighbouring
// code: exactly at these µ-law ranks (the published table's entries, e.g. µ 48 -> A 45).
TEST(G711Test, MuLawToALawIsTable3) {
  const std::vector<int> differing{48, 49, 64, 81, 82, 83, 84, 85, 86,
                                   87, 88, 89, 90, 91, 92, 93, 94, 95};
  std::vector<int> found;
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    const std::uint8_t direct = muLawToALaw(code);
    const std::uint8_t viaPcm = linearToALaw(muLawToLinear(code));
    EXPECT_EQ(aLawPositive(direct), muLawPositive(code)) << "µ-law " << c;  // also for -0
    if (code == 0x7F) continue;  // the PCM route loses the sign of -0
    const int step = aLawRank(direct) - aLawRank(viaPcm);
    EXPECT_TRUE(step == 0 || step == 1) << "µ-law " << c << " step " << step;
    if (step != 0 && muLawPositive(code)) found.push_back(muLawRank(code));
  }
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, differing);
  EXPECT_EQ(muLawToALaw(0xFF), 0xD5);  // +0 -> smallest positive
  EXPECT_EQ(muLawToALaw(0x7F), 0x55);  // -0 -> smallest negative
  EXPECT_EQ(muLawToALaw(0x80), 0xAA);  // top -> top
  EXPECT_EQ(aLawRank(muLawToALaw(0xFF ^ 48)), 45);
  EXPECT_EQ(aLawRank(muLawToALaw(0xFF ^ 80)), 79);  // the entry Sun's original copy had wrong
}

TEST(G711Test, ALawToMuLawIsTable4) {
  std::vector<int> differing;
  for (int rank = 80; rank <= 95; ++rank)
    differing.push_back(rank);
  std::vector<int> found;
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    const std::uint8_t direct = aLawToMuLaw(code);
    const std::uint8_t viaPcm = linearToMuLaw(aLawToLinear(code));
    EXPECT_EQ(muLawPositive(direct), aLawPositive(code)) << "A-law " << c;
    const int step = muLawRank(viaPcm) - muLawRank(direct);
    EXPECT_TRUE(step == 0 || step == 1) << "A-law " << c << " step " << step;
    if (step != 0 && aLawPositive(code)) found.push_back(aLawRank(code));
  }
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, differing);
  EXPECT_EQ(aLawToMuLaw(0xD5), 0xFE);  // A-law's smallest (1) -> µ-law 2, not 0
  EXPECT_EQ(aLawToMuLaw(0xAA), 0x80);
  EXPECT_EQ(muLawRank(aLawToMuLaw((0x80 | 80) ^ 0x55)), 80);  // Lindberg's 1994 correction
}

// µ-law has finer steps at the bottom and A-law in the middle, so a double conversion cannot
// be lossless everywhere; G.711's tables move a code by at most one step, at these ranks only.
TEST(G711Test, DoubleConversionMovesACodeByAtMostOneStep) {
  std::vector<int> movedA, movedMu;
  for (int rank = 0; rank < 128; ++rank) {
    const auto aCode = static_cast<std::uint8_t>((0x80 | rank) ^ 0x55);
    const int aBack = aLawRank(muLawToALaw(aLawToMuLaw(aCode)));
    EXPECT_LE(std::abs(aBack - rank), 1) << "A-law rank " << rank;
    if (aBack != rank) movedA.push_back(rank);
    const auto muCode = static_cast<std::uint8_t>(0xFF ^ rank);
    const int muBack = muLawRank(aLawToMuLaw(muLawToALaw(muCode)));
    EXPECT_LE(std::abs(muBack - rank), 1) << "µ-law rank " << rank;
    if (muBack != rank) movedMu.push_back(rank);
  }
  EXPECT_EQ(movedA, (std::vector<int>{25, 27, 29, 31, 44, 46, 62, 80}));
  EXPECT_EQ(movedMu, (std::vector<int>{0, 2, 4, 6, 8, 10, 12, 14}));
}

TEST(G711Test, TranscodingIsMonotonic) {
  int previousA = -40000, previousMu = -40000;
  for (int rank = 127; rank >= 0; --rank) {  // negative side, most negative first
    const int a = aLawToLinear(muLawToALaw(static_cast<std::uint8_t>(0x7F ^ rank)));
    const int mu = muLawToLinear(aLawToMuLaw(static_cast<std::uint8_t>(rank ^ 0x55)));
    EXPECT_GE(a, previousA);
    EXPECT_GE(mu, previousMu);
    previousA = a;
    previousMu = mu;
  }
  for (int rank = 0; rank < 128; ++rank) {
    const int a = aLawToLinear(muLawToALaw(static_cast<std::uint8_t>(0xFF ^ rank)));
    const int mu = muLawToLinear(aLawToMuLaw(static_cast<std::uint8_t>((0x80 | rank) ^ 0x55)));
    EXPECT_GE(a, previousA);
    EXPECT_GE(mu, previousMu);
    previousA = a;
    previousMu = mu;
  }
}

// ---- Goertzel ----------------------------------------------------------------------------------

TEST(GoertzelTest, FindsA1kHzToneAtZeroDbAndNothingAt440Hz) {
  const Samples frame = tone(1000, -10, 0, 0, kFrameSamples);
  // 20 whole cycles in the frame: the share is 1 up to rounding of the samples.
  EXPECT_NEAR(tonePowerDb(frame, 1000), 0.0, 0.01);
  // Rectangular-window leakage 11.2 bins away from 1 kHz is about -35.5 dB.
  EXPECT_LT(tonePowerDb(frame, 440), -30.0);
  EXPECT_GT(tonePowerDb(frame, 440), -40.0);

  const Samples second = tone(1000, -10, 0, 0, kSampleRateHz);
  EXPECT_NEAR(tonePowerDb(second, 1000), 0.0, 0.01);
  EXPECT_LT(tonePowerDb(second, 440), -80.0);  // only the rounding noise is left
}

TEST(GoertzelTest, MeasuresEachToneOfAPair) {
  // 697 + 1209 Hz at -8 / -6 dBm0: shares of 1/(1 + 10^0.2) = -4.12 dB and -2.12 dB.
  const Samples pair = tone(697, -8, 1209, -6, kSampleRateHz);
  EXPECT_NEAR(tonePowerDb(pair, 697), -4.12, 0.05);
  EXPECT_NEAR(tonePowerDb(pair, 1209), -2.12, 0.05);
  EXPECT_LT(tonePowerDb(pair, 770), -40.0);
}

TEST(GoertzelTest, SilenceHasNoTone) {
  EXPECT_EQ(tonePowerDb(silence(kFrameSamples), 1000), -INFINITY);
  EXPECT_EQ(tonePowerDb({}, 1000), -INFINITY);
  EXPECT_EQ(goertzelPower(silence(kFrameSamples), 1000), 0.0);
}

// ---- Tone generation ---------------------------------------------------------------------------

TEST(ToneGeneratorTest, LevelIsInDbm0) {
  // -10 dBm0: amplitude 22827·10^(-0.5) = 7218.6, so RMS 5104.3 and -16.15 dBov. At 1 kHz the
  // samples fall at odd multiples of 22.5° (the half-sample start), peaking at sin 67.5°.
  const Samples second = tone(1000, -10, 0, 0, kSampleRateHz);
  const auto [low, high] = std::minmax_element(second.begin(), second.end());
  EXPECT_NEAR(*high, 7218.6 * std::sin(3 * std::numbers::pi / 8), 1.0);
  EXPECT_NEAR(*low, -7218.6 * std::sin(3 * std::numbers::pi / 8), 1.0);
  EXPECT_NEAR(frameLevelDbov(second), -16.15, 0.01);
  EXPECT_NEAR(dbm0ToPeakAmplitude(3.14), 32768.0, 0.5);  // G.711 A-law overload point
}

TEST(ToneGeneratorTest, FramesJoinWithoutASeam) {
  ToneGenerator framed{ToneSpec{.firstHz = 450, .firstLevelDbm0 = -10}};
  ToneGenerator whole{ToneSpec{.firstHz = 450, .firstLevelDbm0 = -10}};
  const Samples a = generateFrames(framed, 10 * kSampleRateHz);
  Samples b(a.size());
  whole.generate(b);
  for (std::size_t i = 0; i < a.size(); ++i)
    ASSERT_LE(std::abs(a[i] - b[i]), 1) << i;
  // A phase jump anywhere would spread power away from 450 Hz.
  EXPECT_NEAR(tonePowerDb(a, 450), 0.0, 0.001);
}

TEST(ToneGeneratorTest, ChinaDialToneIsContinuous450Hz) {
  ToneGenerator dial{chinaCallProgressTone(CallProgressTone::kDial)};
  const Samples tenSeconds = generateFrames(dial, 10 * kSampleRateHz);
  EXPECT_EQ(onOffRuns(tenSeconds), std::vector<std::size_t>{tenSeconds.size()});
  EXPECT_NEAR(tonePowerDb(tenSeconds, 450), 0.0, 0.001);
  EXPECT_NEAR(frameLevelDbov(tenSeconds), -10 - 3.14 - 3.01, 0.01);
}

TEST(ToneGeneratorTest, ChinaRingbackIsExactlyOneSecondOnFourOff) {
  ToneGenerator ringback{chinaCallProgressTone(CallProgressTone::kRingback)};
  const Samples tenSeconds = generateFrames(ringback, 10 * kSampleRateHz);
  EXPECT_EQ(onOffRuns(tenSeconds), (std::vector<std::size_t>{8000, 32000, 8000, 32000}));
  // Every burst starts at the same phase.
  EXPECT_TRUE(
      std::equal(tenSeconds.begin(), tenSeconds.begin() + 8000, tenSeconds.begin() + 40000));
  EXPECT_NEAR(tonePowerDb(std::span(tenSeconds).first(8000), 450), 0.0, 0.001);
}

TEST(ToneGeneratorTest, ChinaBusyAndCongestionCadences) {
  ToneGenerator busy{chinaCallProgressTone(CallProgressTone::kBusy)};
  std::vector<std::size_t> expected(28, 2800);  // 0.35 s on / 0.35 s off
  expected.push_back(80000 - 28 * 2800);
  const Samples busyTenSeconds = generateFrames(busy, 10 * kSampleRateHz);
  EXPECT_EQ(onOffRuns(busyTenSeconds), expected);
  // 157.5 cycles per burst: only a phase reset makes the bursts alike.
  EXPECT_TRUE(std::equal(busyTenSeconds.begin(), busyTenSeconds.begin() + 2800,
                         busyTenSeconds.begin() + 5600));

  ToneGenerator congestion{chinaCallProgressTone(CallProgressTone::kCongestion)};
  expected.assign(14, 5600);  // 0.7 s on / 0.7 s off
  expected.push_back(80000 - 14 * 5600);
  EXPECT_EQ(onOffRuns(generateFrames(congestion, 10 * kSampleRateHz)), expected);
}

TEST(ToneGeneratorTest, RestartBeginsTheCadenceAgain) {
  ToneGenerator busy{chinaCallProgressTone(CallProgressTone::kBusy)};
  const Samples first = generateFrames(busy, 4000);
  busy.restart();
  EXPECT_EQ(generateFrames(busy, 4000), first);
}

TEST(DtmfGeneratorTest, PlaysQ23PairsWithTheConfiguredTiming) {
  for (const char key : kAllKeys) {
    const Samples out = dtmf(std::string(1, key), DtmfTiming{.toneMs = 60, .pauseMs = 40});
    const DtmfFrequencies f = *dtmfFrequencies(key);
    const auto toneSpan = std::span(out).first(480);
    EXPECT_NEAR(tonePowerDb(toneSpan, f.lowHz), -4.12, 0.3) << key;
    EXPECT_NEAR(tonePowerDb(toneSpan, f.highHz), -2.12, 0.3) << key;
    EXPECT_NE(out[0], 0) << key;
    EXPECT_TRUE(std::all_of(out.begin() + 480, out.end(), [](auto s) { return s == 0; })) << key;
  }
  EXPECT_EQ(dtmfFrequencies('5')->lowHz, 770);
  EXPECT_EQ(dtmfFrequencies('5')->highHz, 1336);
  EXPECT_EQ(dtmfFrequencies('d')->highHz, 1633);
  EXPECT_FALSE(dtmfFrequencies('E'));
}

TEST(DtmfGeneratorTest, QueueIsBoundedAndRejectsNonKeys) {
  DtmfGenerator generator;
  EXPECT_TRUE(generator.idle());
  EXPECT_FALSE(generator.enqueue('x'));
  EXPECT_EQ(generator.enqueue("12x3"), 2u);
  EXPECT_EQ(generator.enqueue(std::string(40, '9')), DtmfGenerator::kMaxQueuedDigits - 2);
  EXPECT_FALSE(generator.idle());
}

// ---- DTMF detection ----------------------------------------------------------------------------

TEST(DtmfDetectorTest, HearsEveryGeneratedKeyExactlyOnce) {
  const Detected detected = detect(dtmf(kAllKeys));
  EXPECT_EQ(detected.digits, kAllKeys);
  ASSERT_EQ(detected.starts.size(), kAllKeys.size());
  for (std::size_t i = 0; i < kAllKeys.size(); ++i) {
    // Each key starts every 200 ms; the onset is reported at block resolution.
    const auto expected = static_cast<std::int64_t>(i * 1600);
    EXPECT_LE(std::abs(static_cast<std::int64_t>(detected.starts[i]) - expected),
              static_cast<std::int64_t>(DtmfDetector::kBlockSamples))
        << i;
  }
}

TEST(DtmfDetectorTest, HearsFortyMsKeysWithFortyMsPausesAtEveryAlignment) {
  const Samples keys = dtmf(kAllKeys, DtmfTiming{.toneMs = 40, .pauseMs = 40});
  for (std::size_t offset = 0; offset < DtmfDetector::kBlockSamples; offset += 7) {
    EXPECT_EQ(detect(concat({silence(offset), keys})).digits, kAllKeys) << "offset " << offset;
  }
}

TEST(DtmfDetectorTest, HearsKeysThroughG711) {
  const Samples keys = dtmf(kAllKeys, DtmfTiming{.toneMs = 50, .pauseMs = 50});
  Samples throughMu(keys.size()), throughA(keys.size());
  std::vector<std::uint8_t> codes(keys.size());
  encodeMuLaw(keys, codes);
  decodeMuLaw(codes, throughMu);
  encodeALaw(keys, codes);
  decodeALaw(codes, throughA);
  EXPECT_EQ(detect(throughMu).digits, kAllKeys);
  EXPECT_EQ(detect(throughA).digits, kAllKeys);
}

TEST(DtmfDetectorTest, AHeldKeyCountsOnceAndARepeatedKeyTwice) {
  EXPECT_EQ(detect(dtmf("5", DtmfTiming{.toneMs = 3000, .pauseMs = 100})).digits, "5");
  EXPECT_EQ(detect(dtmf("55")).digits, "55");
  EXPECT_EQ(detect(dtmf("1212")).digits, "1212");
}

TEST(DtmfDetectorTest, AShortDropoutInsideAKeyDoesNotCountTwice) {
  const Samples key = tone(852, -8, 1477, -6, 800);
  for (std::size_t offset = 0; offset < DtmfDetector::kBlockSamples; ++offset) {
    // 15 ms of silence in the middle of a 200 ms key, at every block alignment: the blocks it
    // straddles hold too little tone to report but enough to hold.
    const Samples broken = concat({silence(offset), key, silence(120), key, silence(400)});
    ASSERT_EQ(detect(broken).digits, "9") << "offset " << offset;
  }
}

TEST(DtmfDetectorTest, AFortyMsPauseSeparatesPressesOfTheSameKey) {
  const Samples keys = dtmf("5555", DtmfTiming{.toneMs = 40, .pauseMs = 40});
  for (std::size_t offset = 0; offset < DtmfDetector::kBlockSamples; ++offset) {
    ASSERT_EQ(detect(concat({silence(offset), keys})).digits, "5555") << "offset " << offset;
  }
}

TEST(DtmfDetectorTest, IgnoresTonesOfSeventeenMsOrLess) {
  for (const char key : kAllKeys) {
    const DtmfFrequencies f = *dtmfFrequencies(key);
    for (std::size_t offset = 0; offset < DtmfDetector::kBlockSamples; ++offset) {
      const Samples blip = concat({silence(offset), dtmfPair(f.lowHz, f.highHz, 136)});
      ASSERT_EQ(detect(blip).digits, "") << key << " offset " << offset;
    }
  }
}

TEST(DtmfDetectorTest, IgnoresA1kHzToneSilenceAndWhiteNoise) {
  EXPECT_EQ(detect(tone(1000, -10, 0, 0, 2 * kSampleRateHz)).digits, "");
  EXPECT_EQ(detect(tone(1000, 0, 0, 0, 2 * kSampleRateHz)).digits, "");
  EXPECT_EQ(detect(silence(2 * kSampleRateHz)).digits, "");

  std::mt19937 random{20240611};
  std::normal_distribution<double> gaussian{0.0, 3000.0};
  Samples noise(10 * kSampleRateHz);
  for (auto& s : noise)
    s = saturateToInt16(static_cast<std::int32_t>(gaussian(random)));
  EXPECT_EQ(detect(noise).digits, "");
}

TEST(DtmfDetectorTest, IgnoresSpeechLikeHarmonics) {
  // A voiced sound: 150 Hz fundamental with harmonics falling 3 dB each, 2 s.
  Samples voiced(2 * kSampleRateHz, 0);
  for (int harmonic = 1; harmonic <= 20; ++harmonic) {
    const double amplitude = 6000.0 * std::pow(10.0, -3.0 * (harmonic - 1) / 20.0);
    for (std::size_t n = 0; n < voiced.size(); ++n) {
      voiced[n] = saturateToInt16(static_cast<std::int32_t>(
          voiced[n] +
          std::lrint(amplitude * std::sin(2 * std::numbers::pi * 150.0 * harmonic * n / 8000))));
    }
  }
  EXPECT_EQ(detect(voiced).digits, "");
}

TEST(DtmfDetectorTest, AcceptsOnePointFivePercentOffAndRejectsThreePointFive) {
  for (const char key : kAllKeys) {
    const DtmfFrequencies f = *dtmfFrequencies(key);
    for (const double factor : {0.985, 1.015}) {
      EXPECT_EQ(detect(dtmfPair(f.lowHz * factor, f.highHz * factor, 400)).digits,
                std::string(1, key))
          << key << " x" << factor;
    }
    for (const double factor : {0.965, 1.035}) {
      EXPECT_EQ(detect(dtmfPair(f.lowHz * factor, f.highHz * factor, 400)).digits, "")
          << key << " x" << factor;
    }
  }
}

TEST(DtmfDetectorTest, ChecksTwistAndLevel) {
  // High group 7 dB below the low group (line loss) is accepted; 10 dB is not.
  EXPECT_EQ(detect(dtmfPair(770, 1477, 400, -6, -13)).digits, "6");
  EXPECT_EQ(detect(dtmfPair(770, 1477, 400, -6, -16)).digits, "");
  // High group 3 dB above is accepted; 6 dB is not.
  EXPECT_EQ(detect(dtmfPair(770, 1477, 400, -9, -6)).digits, "6");
  EXPECT_EQ(detect(dtmfPair(770, 1477, 400, -12, -6)).digits, "");
  // Quiet tones: -28 dBm0 each is heard, -33 dBm0 is not.
  EXPECT_EQ(detect(dtmfPair(770, 1477, 400, -28, -28)).digits, "6");
  EXPECT_EQ(detect(dtmfPair(770, 1477, 400, -33, -33)).digits, "");
}

TEST(DtmfDetectorTest, CountsDigitsThatDidNotFitTheOutput) {
  const Samples keys = dtmf("12");
  DtmfDetector detector;
  std::array<DtmfDigitEvent, 1> one{};
  EXPECT_EQ(detector.process(keys, one), 1u);
  EXPECT_EQ(one[0].digit, '1');
  EXPECT_EQ(detector.droppedEvents(), 1u);
  detector.reset();
  EXPECT_EQ(detector.droppedEvents(), 0u);
  EXPECT_EQ(detector.process(keys, {}), 0u);
  EXPECT_EQ(detector.droppedEvents(), 2u);
}

// ---- Mixing
// --------------------------------------------------------------------------------------

TEST(MixTest, EachParticipantHearsTheOthersAndNotThemselves) {
  const std::array<double, 3> hz{500, 1000, 1500};
  std::array<Samples, 3> frames;
  for (std::size_t p = 0; p < 3; ++p)
    frames[p] = tone(hz[p], -10, 0, 0, kFrameSamples);
  std::array<std::int32_t, kFrameSamples> sum{};
  sum.fill(12345);  // stale data from the previous frame
  clearMix(sum);
  for (const Samples& frame : frames)
    addToMix(sum, frame);

  for (std::size_t p = 0; p < 3; ++p) {
    Samples heard(kFrameSamples);
    ASSERT_EQ(mixMinus(sum, frames[p], heard), kFrameSamples);
    for (std::size_t i = 0; i < kFrameSamples; ++i) {
      std::int32_t others = 0;
      for (std::size_t q = 0; q < 3; ++q)
        others += q == p ? 0 : frames[q][i];
      ASSERT_EQ(heard[i], others) << "participant " << p << " sample " << i;
    }
    EXPECT_LT(tonePowerDb(heard, hz[p]), -60.0) << p;
    for (std::size_t q = 0; q < 3; ++q) {
      if (q == p) continue;
      EXPECT_NEAR(tonePowerDb(heard, hz[q]), -3.01, 0.05) << p << " hears " << q;
    }
  }
}

TEST(MixTest, SaturatesInsteadOfWrapping) {
  const Samples loud(4, 20000), quiet(4, 5), negative(4, -20000);
  const Samples top{32767, 32767, 32767, 32767}, bottom{-32768, -32768, -32768, -32768};
  std::array<std::int32_t, 4> sum{};
  clearMix(sum);
  for (const Samples* frame : {&loud, &loud, &loud})
    addToMix(sum, *frame);
  Samples heard(4);
  mixMinus(sum, loud, heard);  // 40000 clips
  EXPECT_EQ(heard, Samples(4, 32767));

  clearMix(sum);
  for (const Samples* frame : {&negative, &negative, &negative})
    addToMix(sum, *frame);
  mixMinus(sum, negative, heard);  // -40000 clips
  EXPECT_EQ(heard, Samples(4, -32768));

  clearMix(sum);
  for (const Samples* frame : {&top, &quiet, &loud})
    addToMix(sum, *frame);
  mixMinus(sum, loud, heard);  // 32767 + 5: clips at the top, does not wrap to -32764
  EXPECT_EQ(heard, Samples(4, 32767));
  mixMinus(sum, quiet, heard);
  EXPECT_EQ(heard, Samples(4, 32767));

  clearMix(sum);
  for (const Samples* frame : {&bottom, &quiet, &negative})
    addToMix(sum, *frame);
  mixMinus(sum, quiet, heard);  // -52768
  EXPECT_EQ(heard, Samples(4, -32768));
  mixMinus(sum, negative, heard);  // exactly -32763: no clipping needed
  EXPECT_EQ(heard, Samples(4, -32763));

  EXPECT_EQ(saturateToInt16(32768), 32767);
  EXPECT_EQ(saturateToInt16(-32769), -32768);
  EXPECT_EQ(saturateToInt16(-32768), -32768);
}

TEST(MixTest, ListenOnlyParticipantHearsTheWholeMix) {
  std::array<std::int32_t, 4> sum{};
  clearMix(sum);
  addToMix(sum, Samples{1, 2, 3, 30000});
  addToMix(sum, Samples{10, 20, 30, 30000});
  Samples heard(4);
  EXPECT_EQ(mixMinus(sum, {}, heard), 4u);
  EXPECT_EQ(heard, (Samples{11, 22, 33, 32767}));
  EXPECT_EQ(saturateMix(sum, heard), 4u);
  EXPECT_EQ(heard, (Samples{11, 22, 33, 32767}));
  // An own frame shorter than the output counts as silence past its end.
  EXPECT_EQ(mixMinus(sum, Samples{1, 2}, heard), 4u);
  EXPECT_EQ(heard, (Samples{10, 20, 33, 32767}));
  // An output shorter than the mix gets what fits.
  Samples two(2);
  EXPECT_EQ(mixMinus(sum, Samples{1, 2, 3, 4}, two), 2u);
  EXPECT_EQ(two, (Samples{10, 20}));
}

TEST(GainTest, AppliesDbWithRoundingAndSaturation) {
  const double kDouble = 20 * std::log10(2.0);  // +6.02 dB
  Samples samples{1000, -1000, 3, -3, 0, 16384, -16384};
  applyGainDb(samples, kDouble);
  EXPECT_EQ(samples, (Samples{2000, -2000, 6, -6, 0, 32767, -32768}));

  samples = {2000, -2000, 3, -3, 1};
  applyGainDb(samples, -kDouble);
  EXPECT_EQ(samples, (Samples{1000, -1000, 2, -1, 1}));  // halves round half up

  samples = {10000, -10000, 100};
  applyGainDb(samples, 20);
  EXPECT_EQ(samples, (Samples{32767, -32768, 1000}));

  samples = {12345, -32768, 32767};
  applyGainDb(samples, 0);
  EXPECT_EQ(samples, (Samples{12345, -32768, 32767}));
  applyGainDb(samples, -120);
  EXPECT_EQ(samples, (Samples{0, 0, 0}));

  EXPECT_EQ(Gain::fromDb(0).q16(), 65536);
  EXPECT_EQ(Gain::fromDb(100).q16(), Gain::fromDb(40).q16());  // capped at +40 dB
  EXPECT_EQ(Gain::fromDb(NAN).q16(), 0);
}

// ---- Levels and silence
// ---------------------------------------------------------------------------

TEST(LevelTest, FrameLevelIsInDbov) {
  Samples square(kFrameSamples);
  for (std::size_t i = 0; i < square.size(); ++i)
    square[i] = i % 2 ? -32768 : 32767;
  EXPECT_NEAR(frameLevelDbov(square), 0.0, 0.001);
  EXPECT_NEAR(frameLevelDbov(tone(1000, 3.14, 0, 0, kFrameSamples)), -3.01, 0.01);
  EXPECT_EQ(frameLevelDbov(silence(kFrameSamples)), kSilenceFloorDbov);
  EXPECT_EQ(frameLevelDbov({}), kSilenceFloorDbov);
  EXPECT_NEAR(frameLevelDbov(Samples{1}), -90.309, 0.001);  // above the floor
}

TEST(SilenceDetectorTest, ReportsSilenceAfterTheHangover) {
  SilenceDetector detector{-50.0, 3};
  const Samples speech = tone(300, -20, 1200, -25, kFrameSamples);
  Samples hiss(kFrameSamples);
  std::mt19937 random{7};
  std::uniform_int_distribution<int> small{-40, 40};  // about -62 dBov
  for (auto& s : hiss)
    s = static_cast<std::int16_t>(small(random));
  ASSERT_LT(frameLevelDbov(hiss), -55.0);

  EXPECT_FALSE(detector.update(speech));
  EXPECT_FALSE(detector.update(hiss));
  EXPECT_FALSE(detector.update(hiss));
  EXPECT_TRUE(detector.update(hiss));
  EXPECT_TRUE(detector.update(silence(kFrameSamples)));
  EXPECT_FALSE(detector.update(speech));  // speech ends silence at once
  EXPECT_FALSE(detector.silent());
}

// ---- Quality
// -------------------------------------------------------------------------------------

TEST(QualityTest, NoImpairmentGivesTheG711Maximum) {
  const QualityEstimate best = estimateQuality({});
  EXPECT_DOUBLE_EQ(best.rFactor, 93.2);
  EXPECT_NEAR(best.mos, 4.4093, 0.0001);
  // Up to 100 ms one way the delay costs nothing: 120 ms round trip + 20 ms jitter + 20 ms.
  EXPECT_DOUBLE_EQ(estimateQuality({.jitterMs = 20, .roundTripMs = 120}).rFactor, 93.2);
}

TEST(QualityTest, MosFromRFollowsAnnexB) {
  EXPECT_NEAR(mosFromRFactor(50), 2.575, 1e-12);
  EXPECT_NEAR(mosFromRFactor(70), 3.597, 1e-12);
  EXPECT_NEAR(mosFromRFactor(80), 4.024, 1e-12);
  EXPECT_DOUBLE_EQ(mosFromRFactor(0), 1.0);
  EXPECT_DOUBLE_EQ(mosFromRFactor(3), 1.0);  // the cubic gives 0.989 here
  EXPECT_DOUBLE_EQ(mosFromRFactor(-10), 1.0);
  EXPECT_DOUBLE_EQ(mosFromRFactor(100), 4.5);
  EXPECT_DOUBLE_EQ(mosFromRFactor(120), 4.5);
}

TEST(QualityTest, DelayImpairmentFollowsG107) {
  EXPECT_DOUBLE_EQ(delayImpairment(0), 0.0);
  EXPECT_DOUBLE_EQ(delayImpairment(100), 0.0);
  EXPECT_NEAR(delayImpairment(150), 0.1635, 0.0001);
  EXPECT_NEAR(delayImpairment(200), 3.0444, 0.0001);
  EXPECT_NEAR(delayImpairment(400), 24.0701, 0.0001);
  EXPECT_NEAR(delayImpairment(1000), 43.7896, 0.0001);
  // 600 ms round trip + 30 ms jitter + 20 ms packets = 350 ms one way.
  EXPECT_NEAR(estimateQuality({.jitterMs = 30, .roundTripMs = 600}).rFactor,
              93.2 - delayImpairment(350), 1e-9);
}

TEST(QualityTest, LossImpairmentUsesG113Bpl) {
  EXPECT_NEAR(lossImpairment(1, LossConcealment::kG711AppendixI), 95.0 / 26.1, 1e-9);
  EXPECT_NEAR(lossImpairment(1, LossConcealment::kNone), 95.0 / 5.3, 1e-9);
  EXPECT_NEAR(estimateQuality({.lossFraction = 0.01}).rFactor, 89.5602, 0.0001);
  EXPECT_NEAR(estimateQuality({.lossFraction = 0.01}).mos, 4.3281, 0.0001);
  EXPECT_NEAR(
      estimateQuality({.lossFraction = 0.01, .concealment = LossConcealment::kNone}).rFactor,
      75.2755, 0.0001);
}

TEST(QualityTest, MosFallsMonotonicallyWithLossAndDelay) {
  double previous = 5;
  for (int permille = 0; permille <= 1000; permille += 5) {
    const double mos = estimateQuality({.lossFraction = permille / 1000.0}).mos;
    EXPECT_LE(mos, previous) << permille;
    if (permille > 0) {
      EXPECT_LT(mos, previous) << permille;  // strictly: the floor is not reached
    }
    previous = mos;
  }
  previous = 5;
  for (int rtt = 0; rtt <= 3000; rtt += 10) {
    const double mos = estimateQuality({.roundTripMs = static_cast<double>(rtt)}).mos;
    EXPECT_LE(mos, previous) << rtt;
    if (rtt > 160) {
      EXPECT_LT(mos, previous) << rtt;  // strictly once past 100 ms one way
    }
    previous = mos;
  }
}

TEST(QualityTest, ValuesStayInRange) {
  for (const QualityInputs& inputs : {
           QualityInputs{.lossFraction = 1.0, .jitterMs = 500, .roundTripMs = 10000},
           QualityInputs{.lossFraction = 2.0, .concealment = LossConcealment::kNone},
           QualityInputs{.lossFraction = -1.0, .jitterMs = -5, .roundTripMs = -100},
           QualityInputs{.lossFraction = NAN, .roundTripMs = NAN},
       }) {
    const QualityEstimate estimate = estimateQuality(inputs);
    EXPECT_GE(estimate.rFactor, 0.0);
    EXPECT_LE(estimate.rFactor, 100.0);
    EXPECT_GE(estimate.mos, 1.0);
    EXPECT_LE(estimate.mos, 4.5);
  }
  EXPECT_DOUBLE_EQ(estimateQuality({.lossFraction = 1.0, .roundTripMs = 10000}).mos, 1.0);
}

}  // namespace
}  // namespace sb::media
