// The jitter buffer (with loss concealment) and the conference mixer.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "media/conference.hpp"
#include "media/dsp.hpp"
#include "media/g711.hpp"
#include "media/jitter_buffer.hpp"

namespace sb::media {
namespace {

using Frame = std::array<std::int16_t, kFrameSamples>;
using Codes = std::array<std::uint8_t, kFrameSamples>;

// ---- Jitter buffer helpers ---------------------------------------------------------------------

// What a phone sends: 20 ms µ-law frames of a tone with a little noise, or of the noise alone
// (about -63 dBov) where `quiet` says so, numbered from 0. Every frame's second half is unique
// (allUnique() checks it), so a played frame tells which one it was even when its first half
// was cross-faded.
class Talker {
 public:
  Talker(double hz, std::uint16_t firstSequence, std::uint32_t firstTimestamp)
      : tone_{ToneSpec{.firstHz = hz, .firstLevelDbm0 = -10}},
        firstSequence_{firstSequence},
        firstTimestamp_{firstTimestamp} {}

  // Appends `count` frames; frame k is quiet when quiet(k).
  template <typename Quiet>
  void speak(std::size_t count, Quiet quiet) {
    std::mt19937 noise{static_cast<std::uint32_t>(codes_.size() + 7)};
    std::uniform_int_distribution<int> small{-40, 40};
    for (std::size_t n = 0; n < count; ++n) {
      Frame pcm;
      tone_.generate(pcm);
      const bool silent = quiet(codes_.size());
      // Noise makes every frame unique (the tone's phase repeats every few frames); under the
      // tone it is 47 dB down, too weak to matter to the levels measured.
      for (std::int16_t& x : pcm)
        x = static_cast<std::int16_t>((silent ? 0 : x) + small(noise));
      Codes codes;
      encodeMuLaw(pcm, codes);
      Frame decoded;
      decodeMuLaw(codes, decoded);
      byTail_[tail(decoded)] = codes_.size();
      codes_.push_back(codes);
      decoded_.push_back(decoded);
      quiet_.push_back(quiet(codes_.size() - 1));
    }
  }
  void speak(std::size_t count) {
    speak(count, [](std::size_t) { return false; });
  }

  std::size_t size() const { return codes_.size(); }
  std::uint16_t sequence(std::size_t k) const {
    return static_cast<std::uint16_t>(firstSequence_ + k);
  }
  std::uint32_t timestamp(std::size_t k) const {
    const std::uint32_t pause = k >= pauseFrom_ ? pauseSamples_ : 0;
    return firstTimestamp_ + static_cast<std::uint32_t>(k * kFrameSamples) + pause;
  }
  // Silence suppression: frames from `frame` on are stamped `samples` later.
  void pauseBefore(std::size_t frame, std::uint32_t samples) {
    pauseFrom_ = frame;
    pauseSamples_ = samples;
  }
  std::span<const std::uint8_t> payload(std::size_t k) const { return codes_[k]; }
  const Frame& decoded(std::size_t k) const { return decoded_[k]; }
  bool quiet(std::size_t k) const { return quiet_[k]; }
  bool allUnique() const { return byTail_.size() == codes_.size(); }

  // Turns frame k upside down (flipping a G.711 code's sign bit negates it exactly): the audio
  // after a loss then disagrees with the concealment's continuation.
  void negate(std::size_t k) {
    for (std::uint8_t& code : codes_[k])
      code ^= 0x80;
    byTail_.erase(tail(decoded_[k]));
    decodeMuLaw(codes_[k], decoded_[k]);
    byTail_[tail(decoded_[k])] = k;
  }

  // Which frame `out` is, by its second half.
  std::optional<std::size_t> identify(const Frame& out) const {
    const auto it = byTail_.find(tail(out));
    if (it == byTail_.end()) return std::nullopt;
    return it->second;
  }

 private:
  using Tail = std::array<std::int16_t, kFrameSamples / 2>;
  static Tail tail(const Frame& frame) {
    Tail t;
    std::copy(frame.begin() + kFrameSamples / 2, frame.end(), t.begin());
    return t;
  }

  ToneGenerator tone_;
  std::uint16_t firstSequence_;
  std::uint32_t firstTimestamp_;
  std::size_t pauseFrom_ = static_cast<std::size_t>(-1);
  std::uint32_t pauseSamples_ = 0;
  std::vector<Codes> codes_;
  std::vector<Frame> decoded_;
  std::vector<bool> quiet_;
  std::map<Tail, std::size_t> byTail_;
};

struct Popped {
  FrameKind kind;
  Frame samples;
};

// A packet on its way: which talker's frame, and when it arrives (samples on the worker clock).
struct InFlight {
  const Talker* talker;
  std::size_t frame;
  std::uint32_t arrival;
};

// Runs the worker's tick loop: at tick t (time t * 160) it pushes every packet that has arrived
// by then (in arrival order), then pops.
class Worker {
 public:
  explicit Worker(JitterBuffer& buffer) : buffer_{buffer} {}

  void send(const Talker& talker, std::size_t frame, std::uint32_t arrival) {
    inFlight_.push_back({&talker, frame, arrival});
  }
  // Every frame of `talker` from `first`, sent on time (frame k at firstSendTime + k * 160) and
  // arriving after `delay(k)` samples.
  template <typename Delay>
  void sendAll(const Talker& talker, std::size_t first, std::uint32_t firstSendTime, Delay delay) {
    for (std::size_t k = first; k < talker.size(); ++k) {
      send(talker, k,
           firstSendTime + static_cast<std::uint32_t>((k - first) * kFrameSamples) + delay(k));
    }
  }

  std::vector<PushResult> run(std::size_t ticks) {
    std::vector<PushResult> results;
    std::stable_sort(inFlight_.begin(), inFlight_.end(),
                     [](const InFlight& a, const InFlight& b) { return a.arrival < b.arrival; });
    for (std::size_t t = 0; t < ticks; ++t, ++tick_) {
      const std::uint32_t now = static_cast<std::uint32_t>(tick_ * kFrameSamples);
      while (next_ < inFlight_.size() && inFlight_[next_].arrival <= now) {
        const InFlight& p = inFlight_[next_++];
        results.push_back(buffer_.push(p.talker->sequence(p.frame), p.talker->timestamp(p.frame),
                                       p.arrival, p.talker->payload(p.frame)));
      }
      Popped popped{};
      popped.kind = buffer_.pop(popped.samples);
      popped_.push_back(popped);
    }
    return results;
  }

  const std::vector<Popped>& popped() const { return popped_; }

  // The frames of `talker` that were played, in playout order.
  std::vector<std::size_t> playedFrames(const Talker& talker) const {
    std::vector<std::size_t> frames;
    for (const Popped& p : popped_) {
      if (p.kind != FrameKind::kPlayed) continue;
      if (const auto id = talker.identify(p.samples)) frames.push_back(*id);
    }
    return frames;
  }

 private:
  JitterBuffer& buffer_;
  std::vector<InFlight> inFlight_;
  std::size_t next_ = 0;
  std::size_t tick_ = 0;
  std::vector<Popped> popped_;
};

auto onTime() {
  return [](std::size_t) { return 0u; };
}

std::vector<std::size_t> range(std::size_t first, std::size_t last) {
  std::vector<std::size_t> out;
  for (std::size_t k = first; k < last; ++k)
    out.push_back(k);
  return out;
}

JitterBufferConfig fixedDelay40() {
  JitterBufferConfig config;
  config.initialDelayMs = 40;
  config.minDelayMs = 40;
  return config;
}

double level(const Frame& frame) {
  return frameLevelDbov(frame);
}

// ---- Jitter buffer ------------------------------------------------------------------------------

TEST(JitterBufferTest, InOrderStreamPlaysEveryFrameOnceAfterTheConfiguredDelay) {
  Talker talker{440, 1000, 5000};
  talker.speak(200);
  ASSERT_TRUE(talker.allUnique());
  JitterBuffer buffer{fixedDelay40()};
  Worker worker{buffer};
  worker.sendAll(talker, 0, 0, onTime());
  worker.run(100);
  EXPECT_EQ(buffer.stats().delayMs, 40u);  // frames 98 and 99 wait behind 97
  worker.run(102);

  const auto& popped = worker.popped();
  EXPECT_EQ(popped[0].kind, FrameKind::kSilence);
  EXPECT_EQ(popped[1].kind, FrameKind::kSilence);
  // Frame k arrives at tick k and plays at tick k + 2: 40 ms, bit-exact.
  for (std::size_t k = 0; k < 200; ++k) {
    ASSERT_EQ(popped[k + 2].kind, FrameKind::kPlayed) << k;
    ASSERT_EQ(popped[k + 2].samples, talker.decoded(k)) << k;
  }
  const JitterBufferStats& stats = buffer.stats();
  EXPECT_EQ(stats.packetsReceived, 200u);
  EXPECT_EQ(stats.framesPlayed, 200u);
  EXPECT_EQ(stats.framesConcealed, 0u);
  EXPECT_EQ(stats.framesSilent, 2u);
  EXPECT_EQ(stats.framesLost + stats.framesDropped + stats.packetsLate + stats.packetsDuplicate,
            0u);
  EXPECT_EQ(stats.targetDelayMs, 40u);
}

TEST(JitterBufferTest, PerfectStreamSettlesAtTheMinimumDelayByDroppingOneFrame) {
  Talker talker{440, 0, 0};
  talker.speak(300);
  ASSERT_TRUE(talker.allUnique());
  JitterBuffer buffer{JitterBufferConfig{}};  // starts at 40 ms, may go down to 20 ms
  Worker worker{buffer};
  worker.sendAll(talker, 0, 0, onTime());
  worker.run(200);
  EXPECT_EQ(buffer.stats().delayMs, 20u);
  worker.run(101);  // the last frame plays one tick early

  // No jitter: one frame of delay is enough, so one frame is dropped.
  const JitterBufferStats& stats = buffer.stats();
  EXPECT_EQ(stats.targetDelayMs, 20u);
  EXPECT_EQ(stats.framesDropped, 1u);
  EXPECT_EQ(stats.framesPlayed, 299u);
  EXPECT_EQ(stats.framesConcealed + stats.framesLost, 0u);
  const std::vector<std::size_t> played = worker.playedFrames(talker);
  ASSERT_EQ(played.size(), 299u);
  const std::size_t dropped = [&] {
    for (std::size_t i = 0; i < played.size(); ++i) {
      if (played[i] != i) return i;
    }
    return played.size();
  }();
  // The excess shows once the 500 ms depth window is full (the 25th pop of playout); with no
  // quiet frame to drop, an audible one goes 2 s (100 pops) later: the 125th frame.
  EXPECT_EQ(dropped, 124u);
  for (std::size_t i = dropped; i < played.size(); ++i)
    ASSERT_EQ(played[i], i + 1);
}

TEST(JitterBufferTest, ReorderedPacketsPlayInOrder) {
  Talker talker{440, 300, 0};
  talker.speak(100);
  ASSERT_TRUE(talker.allUnique());
  JitterBufferConfig config;
  config.initialDelayMs = 60;
  config.minDelayMs = 60;
  JitterBuffer buffer{config};
  Worker worker{buffer};
  worker.sendAll(talker, 0, 0, [](std::size_t k) -> std::uint32_t {
    if (k == 0 || k == 10 || k == 30 || k == 50) return 170;  // after k + 1
    if (k == 70) return 330;                                  // after 72 and 71: 72, 71, 70
    if (k == 71) return 165;
    return 0;
  });
  worker.run(103);

  EXPECT_EQ(worker.playedFrames(talker), range(0, 100));
  const JitterBufferStats& stats = buffer.stats();
  EXPECT_EQ(stats.framesPlayed, 100u);
  EXPECT_EQ(stats.framesConcealed + stats.framesLost + stats.packetsLate + stats.framesDropped, 0u);
}

TEST(JitterBufferTest, LostPacketIsConcealedAtTheSameLevelThenDecays) {
  Talker talker{440, 0, 0};
  talker.speak(100);
  ASSERT_TRUE(talker.allUnique());
  JitterBuffer buffer{fixedDelay40()};
  Worker worker{buffer};
  for (std::size_t k = 0; k < talker.size(); ++k) {
    if (k == 40 || (k >= 60 && k <= 63)) continue;  // lost
    worker.send(talker, k, static_cast<std::uint32_t>(k * kFrameSamples));
  }
  worker.run(102);
  const auto& popped = worker.popped();
  const double speech = level(talker.decoded(39));

  // Frame k is due at tick k + 2. The predictions follow from the gain ramp for a steady tone
  // (full level for 10 ms, then -20 % per 10 ms, silent at 60 ms): the mean square gain of the
  // three concealed frames is 0.907, 0.373 and 0.053 (-0.43, -4.28, -12.73 dB). The tolerance
  // (0.5 dB) covers the 440 Hz period not being a whole number of samples (the best lags, 91
  // and 109 samples, are 5 and 6 periods within 0.1 sample), µ-law rounding and the noise 47 dB
  // below the tone.
  const Popped& single = popped[42];
  ASSERT_EQ(single.kind, FrameKind::kConcealed);
  EXPECT_NEAR(level(single.samples) - speech, -0.43, 0.5);
  EXPECT_GT(tonePowerDb(single.samples, 440), -1.0);  // still the talker's tone
  // Audio returns cross-faded: frame 41's second half is untouched. Neither seam clicks: no
  // step is larger than the received signal's own largest step (2π·440/8000 of the 7218 peak,
  // 2494, plus µ-law rounding) by more than 10 %; a plain splice can step up to twice the peak.
  ASSERT_EQ(popped[43].kind, FrameKind::kPlayed);
  EXPECT_EQ(talker.identify(popped[43].samples), 41u);
  int largestStep = 0;
  for (std::size_t k = 30; k < 40; ++k) {
    for (std::size_t i = 1; i < kFrameSamples; ++i)
      largestStep =
          std::max(largestStep, std::abs(talker.decoded(k)[i] - talker.decoded(k)[i - 1]));
  }
  EXPECT_LE(std::abs(single.samples[0] - popped[41].samples[kFrameSamples - 1]),
            largestStep * 11 / 10);
  EXPECT_LE(std::abs(popped[43].samples[0] - single.samples[kFrameSamples - 1]),
            largestStep * 11 / 10);

  // Four in a row: three concealed frames fading out, then silence (concealment lasts 60 ms).
  ASSERT_EQ(popped[62].kind, FrameKind::kConcealed);
  ASSERT_EQ(popped[63].kind, FrameKind::kConcealed);
  ASSERT_EQ(popped[64].kind, FrameKind::kConcealed);
  ASSERT_EQ(popped[65].kind, FrameKind::kSilence);
  const double speech59 = level(talker.decoded(59));
  EXPECT_NEAR(level(popped[62].samples) - speech59, -0.43, 0.5);
  EXPECT_NEAR(level(popped[63].samples) - speech59, -4.28, 0.5);
  EXPECT_NEAR(level(popped[64].samples) - speech59, -12.73, 0.5);
  EXPECT_EQ(popped[65].samples, Frame{});
  // The buffer waited for 60 at ticks 62 and 63 (it might have been late, not lost); when 64
  // came it passed over the missing frames, so 64 still plays on time.
  ASSERT_EQ(popped[66].kind, FrameKind::kPlayed);
  EXPECT_EQ(talker.identify(popped[66].samples), 64u);
  EXPECT_EQ(popped[101].samples, talker.decoded(99));

  const JitterBufferStats& stats = buffer.stats();
  EXPECT_EQ(stats.framesLost, 5u);
  EXPECT_EQ(stats.framesConcealed, 4u);
  EXPECT_EQ(stats.framesSilent, 3u);  // two before playout, one after the burst
  EXPECT_EQ(stats.framesPlayed, 95u);
  EXPECT_EQ(stats.packetsLate + stats.framesDropped, 0u);
}

TEST(JitterBufferTest, DuplicateAndLatePacketsAreDroppedAndCounted) {
  Talker talker{440, 0, 0};
  talker.speak(100);
  ASSERT_TRUE(talker.allUnique());
  JitterBuffer buffer{fixedDelay40()};
  Worker worker{buffer};
  for (std::size_t k = 0; k < talker.size(); ++k) {
    const auto sent = static_cast<std::uint32_t>(k * kFrameSamples);
    if (k == 30) {
      worker.send(talker, k, sent + 5 * kFrameSamples);  // after its turn (tick 32) has passed
      continue;
    }
    worker.send(talker, k, sent);
    worker.send(talker, k, sent + 10);  // duplicated on the way
  }
  const std::vector<PushResult> results = worker.run(102);

  EXPECT_EQ(std::count(results.begin(), results.end(), PushResult::kDuplicate), 99);
  EXPECT_EQ(std::count(results.begin(), results.end(), PushResult::kLate), 1);
  std::vector<std::size_t> expected = range(0, 100);
  expected.erase(expected.begin() + 30);
  EXPECT_EQ(worker.playedFrames(talker), expected);
  const JitterBufferStats& stats = buffer.stats();
  EXPECT_EQ(stats.packetsReceived, 199u);
  EXPECT_EQ(stats.packetsDuplicate, 99u);
  EXPECT_EQ(stats.packetsLate, 1u);
  EXPECT_EQ(stats.framesLost, 1u);
  EXPECT_EQ(stats.framesConcealed, 1u);
  EXPECT_EQ(stats.framesPlayed, 99u);
}

// ±30 ms of uniform jitter for 10 s, then 30 s without, on speech-like talkspurts (1.5 s of
// tone, 0.5 s quiet).
class JitterTest : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  static constexpr std::size_t kJitteryFrames = 500;
  static constexpr std::size_t kCalmFrames = 1500;
  static bool quiet(std::size_t k) { return k % 100 >= 75; }

  void SetUp() override {
    talker_.speak(kJitteryFrames + kCalmFrames, quiet);
    ASSERT_TRUE(talker_.allUnique());
    std::mt19937 random{GetParam()};
    std::uniform_int_distribution<int> jitter{-240, 240};  // ±30 ms
    std::vector<std::uint32_t> delays;
    for (std::size_t k = 0; k < talker_.size(); ++k)
      delays.push_back(240 + (k < kJitteryFrames ? static_cast<std::uint32_t>(jitter(random)) : 0));
    worker_.sendAll(talker_, 0, 0, [&](std::size_t k) { return delays[k]; });
  }

  // The frames never played must all be quiet ones (dropped to shrink the delay).
  void expectOnlyQuietFramesMissing(const std::vector<std::size_t>& played, std::size_t upTo) {
    std::vector<bool> seen(upTo, false);
    for (const std::size_t k : played) {
      if (k < upTo) seen[k] = true;
    }
    for (std::size_t k = 0; k < upTo; ++k)
      EXPECT_TRUE(seen[k] || quiet(k)) << "speech frame " << k << " was not played";
  }

  Talker talker_{440, 7, 9};
  JitterBuffer buffer_{JitterBufferConfig{}};
  Worker worker_{buffer_};
};

TEST_P(JitterTest, JitterGrowsTheDelayAndNoFrameIsLost) {
  worker_.run(kJitteryFrames);
  const JitterBufferStats& stats = buffer_.stats();
  // A 60 ms spread of transits needs 3 frames, plus one for the tick phase: 80 ms. The 95th
  // percentile of 128 uniform transits may fall just short of 40 ms above the fastest only with
  // negligible probability, so the target is 80 ms (or 60 ms at the least).
  EXPECT_GE(stats.targetDelayMs, 60u);
  EXPECT_LE(stats.targetDelayMs, 80u);
  EXPECT_GE(stats.jitterMs, 40u);
  EXPECT_EQ(stats.framesLost, 0u);
  EXPECT_EQ(stats.packetsLate, 0u);
  const std::vector<std::size_t> played = worker_.playedFrames(talker_);
  EXPECT_TRUE(std::is_sorted(played.begin(), played.end()));
  EXPECT_EQ(std::adjacent_find(played.begin(), played.end()), played.end());  // none twice
  // Everything sent more than the maximum delay ago has been played or dropped while quiet.
  expectOnlyQuietFramesMissing(played, kJitteryFrames - 10);
}

TEST_P(JitterTest, DelayShrinksBackAfterTheJitterCalms) {
  worker_.run(kJitteryFrames);
  EXPECT_GE(buffer_.stats().targetDelayMs, 60u);
  worker_.run(kCalmFrames - 10);
  const JitterBufferStats& stats = buffer_.stats();
  EXPECT_EQ(stats.targetDelayMs, 20u);  // no jitter left: one frame
  EXPECT_EQ(stats.delayMs, 20u);
  worker_.run(20);  // the rest of the stream
  EXPECT_EQ(stats.framesLost + stats.packetsLate, 0u);
  const std::vector<std::size_t> played = worker_.playedFrames(talker_);
  EXPECT_TRUE(std::is_sorted(played.begin(), played.end()));
  // Shrinking dropped quiet frames only: every 2 s has 0.5 s of them.
  expectOnlyQuietFramesMissing(played, talker_.size());
  EXPECT_EQ(stats.framesPlayed + stats.framesDropped, talker_.size());
  EXPECT_EQ(played.size(), stats.framesPlayed);
}

INSTANTIATE_TEST_SUITE_P(Seeds, JitterTest, ::testing::Values(1u, 2u, 3u, 42u, 2024u));

TEST(JitterBufferTest, SequenceNumbersAndTimestampsWrapAround) {
  // Sequence numbers wrap at frame 36, timestamps at frame 20.
  Talker talker{440, 65500, 0xFFFFFFFFu - 20 * kFrameSamples + 1};
  talker.speak(100);
  ASSERT_TRUE(talker.allUnique());
  JitterBuffer buffer{fixedDelay40()};
  Worker worker{buffer};
  worker.sendAll(talker, 0, 0, [](std::size_t k) -> std::uint32_t {
    return k == 35 || k == 19 ? 170 : 0;  // each arrives after the one following it
  });
  worker.run(102);
  EXPECT_EQ(worker.playedFrames(talker), range(0, 100));
  EXPECT_EQ(buffer.stats().framesPlayed, 100u);
  EXPECT_EQ(buffer.stats().framesConcealed, 0u);
}

TEST(JitterBufferTest, SenderRestartResynchronisesWithoutAGap) {
  Talker before{440, 1000, 5000};
  before.speak(100);
  ASSERT_TRUE(before.allUnique());
  Talker after{1130, 40000, 123456789};  // new random sequence number and timestamp
  after.speak(100);
  ASSERT_TRUE(after.allUnique());
  JitterBuffer buffer{fixedDelay40()};
  Worker worker{buffer};
  worker.sendAll(before, 0, 0, onTime());
  worker.sendAll(after, 0, 100 * kFrameSamples, onTime());
  const std::vector<PushResult> results = worker.run(202);

  // The first packet of the new stream waits on probation, the second confirms it.
  ASSERT_EQ(results.size(), 200u);
  EXPECT_EQ(results[100], PushResult::kProbation);
  EXPECT_EQ(results[101], PushResult::kResynchronised);
  // The new stream is placed right after the old one: no gap, nothing concealed, nothing old
  // played twice, nothing of the new stream lost.
  const auto& popped = worker.popped();
  for (std::size_t t = 2; t < 202; ++t) {
    ASSERT_EQ(popped[t].kind, FrameKind::kPlayed) << t;
    const Talker& talker = t < 102 ? before : after;
    ASSERT_EQ(talker.identify(popped[t].samples), (t - 2) % 100) << t;
  }
  EXPECT_EQ(buffer.stats().resyncs, 1u);
  EXPECT_EQ(buffer.stats().framesConcealed + buffer.stats().packetsLate +
                buffer.stats().packetsStray + buffer.stats().framesLost,
            0u);
}

TEST(JitterBufferTest, TimestampJumpWithContinuousSequenceResynchronises) {
  Talker before{440, 1000, 5000};
  before.speak(100);
  ASSERT_TRUE(before.allUnique());
  Talker after{1130, 1100, 5000 + 3 * 8000};  // same sequence, timestamps 3 s ahead
  after.speak(100);
  ASSERT_TRUE(after.allUnique());
  JitterBuffer buffer{fixedDelay40()};
  Worker worker{buffer};
  worker.sendAll(before, 0, 0, onTime());
  worker.sendAll(after, 0, 100 * kFrameSamples, onTime());
  worker.run(202);
  std::vector<std::size_t> played = worker.playedFrames(before);
  EXPECT_EQ(played, range(0, 100));
  played = worker.playedFrames(after);
  EXPECT_EQ(played, range(0, 100));
  EXPECT_EQ(buffer.stats().resyncs, 1u);
  EXPECT_EQ(buffer.stats().framesConcealed, 0u);
}

TEST(JitterBufferTest, StrayPacketIsDroppedWithoutDisturbingPlayout) {
  Talker talker{440, 1000, 5000};
  talker.speak(100);
  ASSERT_TRUE(talker.allUnique());
  Talker stray{1130, 777, 987654321};
  stray.speak(1);
  ASSERT_TRUE(stray.allUnique());
  JitterBuffer buffer{fixedDelay40()};
  Worker worker{buffer};
  worker.sendAll(talker, 0, 0, onTime());
  worker.send(stray, 0, 50 * kFrameSamples + 5);
  worker.run(102);
  EXPECT_EQ(worker.playedFrames(talker), range(0, 100));
  EXPECT_EQ(buffer.stats().packetsStray, 1u);
  EXPECT_EQ(buffer.stats().resyncs, 0u);
  EXPECT_EQ(buffer.stats().framesConcealed, 0u);
}

TEST(JitterBufferTest, SourceChangeTakesTheNextPacketAtOnce) {
  Talker before{440, 1000, 5000};
  before.speak(50);
  ASSERT_TRUE(before.allUnique());
  Talker after{1130, 9, 99};
  after.speak(50);
  ASSERT_TRUE(after.allUnique());
  JitterBuffer buffer{fixedDelay40()};
  Worker worker{buffer};
  worker.sendAll(before, 0, 0, onTime());
  worker.run(50);
  buffer.sourceChanged();  // the SSRC changed
  worker.sendAll(after, 0, 50 * kFrameSamples, onTime());
  const std::vector<PushResult> results = worker.run(52);
  EXPECT_EQ(results.front(), PushResult::kResynchronised);
  EXPECT_EQ(worker.playedFrames(before), range(0, 50));
  EXPECT_EQ(worker.playedFrames(after), range(0, 50));
  EXPECT_EQ(buffer.stats().framesConcealed, 0u);
}

TEST(JitterBufferTest, StoppedStreamGoesSilentAfterTheConcealmentWindow) {
  Talker talker{440, 0, 0};
  talker.speak(100);
  ASSERT_TRUE(talker.allUnique());
  talker.pauseBefore(50, 8000);  // silence suppression: 1 s without packets
  JitterBuffer buffer{fixedDelay40()};
  Worker worker{buffer};
  worker.sendAll(talker, 0, 0, [](std::size_t k) -> std::uint32_t { return k >= 50 ? 8000 : 0; });
  worker.run(152);
  const auto& popped = worker.popped();

  // Frame 49 plays at tick 51; 60 ms of concealment follow, then silence (not concealment).
  EXPECT_EQ(talker.identify(popped[51].samples), 49u);
  for (std::size_t t = 52; t < 55; ++t)
    EXPECT_EQ(popped[t].kind, FrameKind::kConcealed) << t;
  for (std::size_t t = 55; t < 102; ++t) {
    ASSERT_EQ(popped[t].kind, FrameKind::kSilence) << t;
    ASSERT_EQ(popped[t].samples, Frame{}) << t;
  }
  // The talkspurt that ends the pause (frame 50 arrives at tick 100) starts playout anew after
  // the target delay.
  for (std::size_t t = 102; t < 152; ++t) {
    ASSERT_EQ(popped[t].kind, FrameKind::kPlayed) << t;
    ASSERT_EQ(popped[t].samples, talker.decoded(t - 52)) << t;
  }
  const JitterBufferStats& stats = buffer.stats();
  EXPECT_EQ(stats.framesConcealed, 3u);
  EXPECT_EQ(stats.framesPlayed, 100u);
  EXPECT_EQ(stats.framesLost + stats.packetsLate + stats.packetsStray + stats.resyncs, 0u);
}

TEST(JitterBufferTest, StallLosesNoFrame) {
  Talker talker{440, 0, 0};
  talker.speak(100);
  ASSERT_TRUE(talker.allUnique());
  JitterBuffer buffer{fixedDelay40()};
  Worker worker{buffer};
  // The network holds everything sent from frame 50 on for up to 140 ms: frames 50..57 all
  // arrive at tick 57, in order.
  worker.sendAll(talker, 0, 0, [](std::size_t k) -> std::uint32_t {
    return k >= 50 && k <= 57 ? static_cast<std::uint32_t>((57 - k) * kFrameSamples) : 0;
  });
  worker.run(60);
  // The stall left 5 frames more than the target buffered: 140 ms of delay instead of 40. With
  // no quiet frame to drop, the first audible one would go 2.5 s after the burst, beyond this run.
  EXPECT_EQ(buffer.stats().delayMs, 140u);
  worker.run(60);
  const auto& popped = worker.popped();

  // Frame 50 was due at tick 52: 60 ms of concealment, then silence, then the burst plays at
  // once (it holds more than the target delay already).
  for (std::size_t t = 52; t < 55; ++t)
    EXPECT_EQ(popped[t].kind, FrameKind::kConcealed) << t;
  EXPECT_EQ(popped[55].kind, FrameKind::kSilence);
  EXPECT_EQ(popped[56].kind, FrameKind::kSilence);
  EXPECT_EQ(popped[57].samples, talker.decoded(50));
  EXPECT_EQ(worker.playedFrames(talker), range(0, 100));
  const JitterBufferStats& stats = buffer.stats();
  EXPECT_EQ(stats.framesLost + stats.packetsLate + stats.framesDropped, 0u);
}

TEST(JitterBufferTest, PayloadOfTheWrongSizeIsRefused) {
  JitterBuffer buffer;
  const std::array<std::uint8_t, 80> tenMs{};
  EXPECT_EQ(buffer.push(1, 160, 0, tenMs), PushResult::kInvalid);
  Frame out;
  EXPECT_EQ(buffer.pop(out), FrameKind::kSilence);
  EXPECT_EQ(buffer.stats().packetsInvalid, 1u);
  EXPECT_EQ(buffer.stats().framesSilent, 1u);
}

TEST(JitterBufferTest, ALawStreamsAreDecodedAsALaw) {
  JitterBufferConfig config = fixedDelay40();
  config.law = G711Law::kALaw;
  JitterBuffer buffer{config};
  Frame pcm;
  ToneGenerator{ToneSpec{.firstHz = 1000}}.generate(pcm);
  Codes codes;
  encodeALaw(pcm, codes);
  Frame expected;
  decodeALaw(codes, expected);
  Frame out;
  for (std::uint16_t k = 0; k < 3; ++k) {
    EXPECT_EQ(buffer.push(k, k * 160u, k * 160u, codes), PushResult::kStored);
    buffer.pop(out);
  }
  EXPECT_EQ(out, expected);
}

TEST(JitterBufferTest, AudioReturningOutOfPhaseIsCrossFadedIn) {
  Talker talker{440, 0, 0};
  talker.speak(100);
  // Lose a frame whose successor starts near a peak, and turn that successor upside down: a
  // plain splice from the concealment would step by about twice the peak.
  std::size_t lost = 70;
  while (std::abs(talker.decoded(lost + 1)[0]) < 5000)
    ++lost;
  talker.negate(lost + 1);
  ASSERT_TRUE(talker.allUnique());
  JitterBuffer buffer{fixedDelay40()};
  Worker worker{buffer};
  for (std::size_t k = 0; k < talker.size(); ++k) {
    if (k != lost) worker.send(talker, k, static_cast<std::uint32_t>(k * kFrameSamples));
  }
  worker.run(102);
  const auto& popped = worker.popped();
  ASSERT_EQ(popped[lost + 2].kind, FrameKind::kConcealed);
  ASSERT_EQ(talker.identify(popped[lost + 3].samples), lost + 1);

  int largestStep = 0;
  for (std::size_t k = 30; k < 40; ++k) {
    for (std::size_t i = 1; i < kFrameSamples; ++i)
      largestStep =
          std::max(largestStep, std::abs(talker.decoded(k)[i] - talker.decoded(k)[i - 1]));
  }
  // Over the 8 ms fade each step adds at most 1/65 of the gap (about 14000 / 65 = 220) to the
  // tone's own: within 25 % of the largest step of the received audio.
  int seamStep =
      std::abs(popped[lost + 3].samples[0] - popped[lost + 2].samples[kFrameSamples - 1]);
  for (std::size_t i = 1; i < 64; ++i) {
    seamStep =
        std::max(seamStep, std::abs(popped[lost + 3].samples[i] - popped[lost + 3].samples[i - 1]));
  }
  EXPECT_LE(seamStep, largestStep * 5 / 4);
  EXPECT_GT(std::abs(talker.decoded(lost + 1)[0] - popped[lost + 2].samples[kFrameSamples - 1]),
            2 * largestStep);  // what a splice would have done
}

TEST(JitterBufferTest, FrameLateWithinTheTargetIsWaitedForNotLost) {
  // Every odd frame comes 50 ms late, behind the frame after it. A missing frame with fewer than
  // target frames after it is late, not lost: the buffer conceals a tick and waits for it, which
  // grows the delay until the late frames come in time.
  Talker talker{440, 0, 0};
  talker.speak(300);
  ASSERT_TRUE(talker.allUnique());
  JitterBuffer buffer;
  Worker worker{buffer};
  worker.sendAll(talker, 0, 0, [](std::size_t k) -> std::uint32_t { return k % 2 == 1 ? 400 : 0; });
  worker.run(290);
  const JitterBufferStats& stats = buffer.stats();
  // One tick of waiting, for frame 1 (due at tick 3, in at tick 4); from then on the delay
  // (40 to 60 ms) has room for the late frames.
  EXPECT_EQ(stats.framesConcealed, 1u);
  worker.run(20);
  EXPECT_EQ(stats.targetDelayMs, 80u);  // a 50 ms spread: 3 frames, plus one
  EXPECT_EQ(stats.framesLost + stats.packetsLate, 0u);
  EXPECT_EQ(worker.playedFrames(talker), range(0, 300));
}

// The phone's clock runs 1 % fast or slow against the worker's: half a frame a second to absorb,
// on talkspurts (1.5 s of tone, 0.5 s quiet) for 60 s.
class ClockDriftTest : public ::testing::TestWithParam<double> {};

TEST_P(ClockDriftTest, DriftIsAbsorbedWithoutLosingSpeech) {
  const double rate = GetParam();  // sender samples per worker sample
  const auto quiet = [](std::size_t k) { return k % 100 >= 75; };
  Talker talker{440, 0, 0};
  talker.speak(3000, quiet);
  ASSERT_TRUE(talker.allUnique());
  JitterBuffer buffer;
  Worker worker{buffer};
  for (std::size_t k = 0; k < talker.size(); ++k)
    worker.send(talker, k, static_cast<std::uint32_t>(std::lround(k * kFrameSamples / rate)));
  worker.run(static_cast<std::size_t>(3000 / rate) - 5);

  const JitterBufferStats& stats = buffer.stats();
  EXPECT_EQ(stats.framesLost + stats.packetsLate, 0u);
  EXPECT_LE(stats.delayMs, 60u);  // neither piling up nor drained for good
  std::vector<bool> played(talker.size(), false);
  for (const std::size_t k : worker.playedFrames(talker))
    played[k] = true;
  for (std::size_t k = 0; k < talker.size() - 10; ++k)
    EXPECT_TRUE(played[k] || quiet(k)) << "speech frame " << k << " was not played";
  // 30 frames too many or too few in 60 s, less the few the buffer's depth took up.
  if (rate > 1) {
    EXPECT_GE(stats.framesDropped, 25u);
    EXPECT_LE(stats.framesDropped, 30u);
    EXPECT_EQ(stats.framesConcealed, 0u);
  } else {
    EXPECT_EQ(stats.framesDropped, 0u);
    EXPECT_GE(stats.framesConcealed, 25u);  // each missing frame waited for once
    EXPECT_LE(stats.framesConcealed, 30u);
  }
}

INSTANTIATE_TEST_SUITE_P(FastAndSlow, ClockDriftTest, ::testing::Values(1.01, 0.99));

TEST(JitterBufferTest, SurvivesAHostileNetworkWithoutPlayingAnyFrameTwice) {
  // Heavy jitter, loss, duplication and a sender restart, for the sanitizers and the invariants.
  Talker talker{440, 60000, 4000000000u};
  talker.speak(1500);
  ASSERT_TRUE(talker.allUnique());
  Talker restarted{1130, 123, 456};
  restarted.speak(500);
  ASSERT_TRUE(restarted.allUnique());
  JitterBuffer buffer;
  Worker worker{buffer};
  std::mt19937 random{7};
  std::uniform_int_distribution<int> jitter{0, 1600};  // up to 200 ms
  std::uniform_int_distribution<int> percent{0, 99};
  auto network = [&](const Talker& t, std::size_t k, std::uint32_t sent) {
    const int roll = percent(random);
    if (roll < 5) return;  // lost
    const auto arrival = sent + static_cast<std::uint32_t>(jitter(random));
    worker.send(t, k, arrival);
    if (roll >= 97) worker.send(t, k, arrival + static_cast<std::uint32_t>(jitter(random)));
  };
  for (std::size_t k = 0; k < talker.size(); ++k)
    network(talker, k, static_cast<std::uint32_t>(k * kFrameSamples));
  for (std::size_t k = 0; k < restarted.size(); ++k)
    network(restarted, k, static_cast<std::uint32_t>((talker.size() + k) * kFrameSamples));
  const std::size_t ticks = talker.size() + restarted.size() + 20;
  worker.run(ticks);

  for (const Talker* t : {&talker, &restarted}) {
    const std::vector<std::size_t> played = worker.playedFrames(*t);
    EXPECT_TRUE(std::is_sorted(played.begin(), played.end()));
    EXPECT_EQ(std::adjacent_find(played.begin(), played.end()), played.end());
    EXPECT_GT(played.size(), t->size() * 8 / 10);  // 5 % lost, some late
  }
  const JitterBufferStats& stats = buffer.stats();
  EXPECT_EQ(stats.framesPlayed + stats.framesConcealed + stats.framesSilent, ticks);
  EXPECT_LE(stats.targetDelayMs, 200u);
  EXPECT_GE(stats.resyncs, 1u);
}

// ---- Conference
// -----------------------------------------------------------------------------------

constexpr ParticipantId kCustomer = 101;
constexpr ParticipantId kAgent = 202;
constexpr ParticipantId kSupervisor = 303;

// Each participant speaks a tone of its own. Measured over 10 frames (1600 samples), the
// frequencies are exact Goertzel bins (multiples of 5 Hz), so a tone that is absent shows only
// rounding (below -100 dB) and one that is present holds its share of the power (-3 dB with two
// talkers heard, -4.8 dB with three): hearing is "above -10 dB", not hearing "below -40 dB".
double toneOf(ParticipantId id) {
  switch (id) {
    case kCustomer:
      return 400;
    case kAgent:
      return 1000;
    case kSupervisor:
      return 1700;
    default:
      return 2500;
  }
}

class ConferenceTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kTicks = 10;

  // Every talker speaks its tone for kTicks; returns what each participant heard, and keeps
  // what each one said.
  std::map<ParticipantId, std::vector<std::int16_t>> run(const std::vector<ParticipantId>& talkers,
                                                         const std::vector<ParticipantId>& all) {
    std::map<ParticipantId, ToneGenerator> voices;
    for (const ParticipantId id : talkers)
      voices.emplace(id, ToneGenerator{ToneSpec{.firstHz = toneOf(id), .firstLevelDbm0 = -10}});
    std::map<ParticipantId, std::vector<std::int16_t>> heard;
    said_.clear();
    for (std::size_t t = 0; t < kTicks; ++t) {
      for (auto& [id, voice] : voices) {
        Frame frame;
        voice.generate(frame);
        EXPECT_TRUE(conference_.setInput(id, frame));
        said_[id].insert(said_[id].end(), frame.begin(), frame.end());
      }
      conference_.mix();
      for (const ParticipantId id : all) {
        const auto out = conference_.output(id);
        heard[id].insert(heard[id].end(), out.begin(), out.end());
      }
    }
    return heard;
  }

  // The exact sum of what the given participants said, saturated.
  std::vector<std::int16_t> sumOf(const std::vector<ParticipantId>& ids) {
    std::vector<std::int16_t> out(kTicks * kFrameSamples);
    for (std::size_t i = 0; i < out.size(); ++i) {
      std::int32_t sum = 0;
      for (const ParticipantId id : ids)
        sum += said_[id][i];
      out[i] = saturateToInt16(sum);
    }
    return out;
  }

  static bool hears(const std::vector<std::int16_t>& samples, ParticipantId speaker) {
    return tonePowerDb(samples, toneOf(speaker)) > -10.0;
  }
  static bool doesNotHear(const std::vector<std::int16_t>& samples, ParticipantId speaker) {
    return tonePowerDb(samples, toneOf(speaker)) < -40.0;  // -infinity for silence
  }

  Conference conference_;
  std::map<ParticipantId, std::vector<std::int16_t>> said_;
};

TEST_F(ConferenceTest, FullMixGivesEachTheOthersButNotItself) {
  const std::vector<ParticipantId> all{kCustomer, kAgent, kSupervisor};
  for (const ParticipantId id : all)
    ASSERT_TRUE(conference_.add(id, ParticipantMode::kFull));
  auto heard = run(all, all);

  for (const ParticipantId listener : all) {
    for (const ParticipantId speaker : all) {
      if (speaker == listener) {
        EXPECT_TRUE(doesNotHear(heard[listener], speaker)) << listener << " hears itself";
      } else {
        EXPECT_TRUE(hears(heard[listener], speaker)) << listener << " misses " << speaker;
      }
    }
  }
  // Bit-exact: each hears the plain sum of the other two.
  EXPECT_EQ(heard[kCustomer], sumOf({kAgent, kSupervisor}));
  EXPECT_EQ(heard[kAgent], sumOf({kCustomer, kSupervisor}));
  EXPECT_EQ(heard[kSupervisor], sumOf({kCustomer, kAgent}));
}

TEST_F(ConferenceTest, ListenOnlySupervisorHearsBothAndIsHeardByNone) {
  const std::vector<ParticipantId> all{kCustomer, kAgent, kSupervisor};
  conference_.add(kCustomer);
  conference_.add(kAgent);
  conference_.add(kSupervisor, ParticipantMode::kListenOnly);
  auto heard = run(all, all);  // the supervisor's microphone is open, but nobody hears it

  EXPECT_EQ(heard[kSupervisor], sumOf({kCustomer, kAgent}));
  EXPECT_EQ(heard[kCustomer], sumOf({kAgent}));
  EXPECT_EQ(heard[kAgent], sumOf({kCustomer}));
  EXPECT_TRUE(doesNotHear(heard[kCustomer], kSupervisor));
  EXPECT_TRUE(doesNotHear(heard[kAgent], kSupervisor));
}

TEST_F(ConferenceTest, WhisperIsHeardByTheAgentOnly) {
  const std::vector<ParticipantId> all{kCustomer, kAgent, kSupervisor};
  conference_.add(kCustomer);
  conference_.add(kAgent);
  conference_.add(kSupervisor, ParticipantMode::kWhisper);
  ASSERT_TRUE(conference_.setWhisperTarget(kSupervisor, kAgent));
  auto heard = run(all, all);

  EXPECT_EQ(heard[kAgent], sumOf({kCustomer, kSupervisor}));
  EXPECT_TRUE(hears(heard[kAgent], kSupervisor));
  EXPECT_EQ(heard[kCustomer], sumOf({kAgent}));  // the customer never hears the coaching
  EXPECT_TRUE(doesNotHear(heard[kCustomer], kSupervisor));
  EXPECT_EQ(heard[kSupervisor], sumOf({kCustomer, kAgent}));  // and the coach hears the call
}

TEST_F(ConferenceTest, WhisperWithoutTargetIsHeardByNobody) {
  const std::vector<ParticipantId> all{kCustomer, kAgent, kSupervisor};
  conference_.add(kCustomer);
  conference_.add(kAgent);
  conference_.add(kSupervisor, ParticipantMode::kWhisper);
  EXPECT_FALSE(conference_.setWhisperTarget(kSupervisor, kSupervisor));
  EXPECT_FALSE(conference_.setWhisperTarget(kSupervisor, 999));
  auto heard = run(all, all);
  EXPECT_EQ(heard[kAgent], sumOf({kCustomer}));
  EXPECT_EQ(heard[kCustomer], sumOf({kAgent}));

  // A target that leaves takes the whisper with it; one who joins later under the same slot
  // does not inherit it.
  ASSERT_TRUE(conference_.setWhisperTarget(kSupervisor, kAgent));
  ASSERT_TRUE(conference_.remove(kAgent));
  ASSERT_TRUE(conference_.add(404));
  heard = run({kCustomer, kSupervisor, 404}, {kCustomer, kSupervisor, 404});
  EXPECT_EQ(heard[404], sumOf({kCustomer}));
}

TEST_F(ConferenceTest, MutedAgentIsHeardByNobodyButHearsTheCustomer) {
  const std::vector<ParticipantId> all{kCustomer, kAgent, kSupervisor};
  conference_.add(kCustomer);
  conference_.add(kAgent, ParticipantMode::kMuted);
  conference_.add(kSupervisor, ParticipantMode::kListenOnly);
  auto heard = run(all, all);

  EXPECT_EQ(heard[kAgent], sumOf({kCustomer}));
  EXPECT_EQ(heard[kCustomer], std::vector<std::int16_t>(kTicks * kFrameSamples, 0));
  EXPECT_EQ(heard[kSupervisor], sumOf({kCustomer}));

  // Unmuted, the agent is heard again from the next mix on.
  ASSERT_TRUE(conference_.setMode(kAgent, ParticipantMode::kFull));
  heard = run(all, all);
  EXPECT_EQ(heard[kCustomer], sumOf({kAgent}));
  EXPECT_EQ(conference_.mode(kAgent), ParticipantMode::kFull);
}

TEST_F(ConferenceTest, SumsSaturateOnlyAtTheEnd) {
  const std::vector<ParticipantId> all{1, 2, 3, 4};
  for (const ParticipantId id : all)
    conference_.add(id);
  // Everyone at full scale, in phase: each hears three times full scale, clipped (not wrapped
  // around to the opposite sign).
  Frame high;
  for (std::size_t i = 0; i < kFrameSamples; ++i)
    high[i] = i % 2 == 0 ? 32767 : -32768;
  for (const ParticipantId id : all)
    conference_.setInput(id, high);
  conference_.mix();
  for (const ParticipantId id : all) {
    const auto out = conference_.output(id);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), high.begin())) << id;
  }
  // Two say +30000, two say -30000. Participant 1 hears 30000 - 2 * 30000 = -30000 exactly;
  // a mixer that clipped its running sum (1 + 2 = 32767, then 2767, then -27233, minus its own
  // 30000) would give it -32768.
  Frame plus;
  Frame minus;
  plus.fill(30000);
  minus.fill(-30000);
  conference_.setInput(1, plus);
  conference_.setInput(2, plus);
  conference_.setInput(3, minus);
  conference_.setInput(4, minus);
  conference_.mix();
  for (const std::int16_t x : conference_.output(1))
    ASSERT_EQ(x, -30000);
  for (const std::int16_t x : conference_.output(3))
    ASSERT_EQ(x, 30000);
}

TEST_F(ConferenceTest, RemovedParticipantIsNoLongerHeard) {
  const std::vector<ParticipantId> all{kCustomer, kAgent, kSupervisor};
  for (const ParticipantId id : all)
    conference_.add(id);
  run(all, all);
  ASSERT_TRUE(conference_.remove(kSupervisor));
  EXPECT_FALSE(conference_.remove(kSupervisor));
  EXPECT_EQ(conference_.size(), 2u);
  EXPECT_FALSE(conference_.setInput(kSupervisor, Frame{}));

  auto heard = run({kCustomer, kAgent}, all);
  EXPECT_EQ(heard[kCustomer], sumOf({kAgent}));
  EXPECT_EQ(heard[kAgent], sumOf({kCustomer}));
  EXPECT_EQ(heard[kSupervisor], std::vector<std::int16_t>(kTicks * kFrameSamples, 0));
}

TEST_F(ConferenceTest, InputIsConsumedByEachMix) {
  conference_.add(kCustomer);
  conference_.add(kAgent);
  run({kCustomer}, {kAgent});
  conference_.mix();  // nobody gave input this tick: silence, not the last frame again
  const auto out = conference_.output(kAgent);
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](std::int16_t x) { return x == 0; }));
}

TEST_F(ConferenceTest, CapacityAndIdsAreChecked) {
  Conference small{2};
  EXPECT_TRUE(small.add(1));
  EXPECT_FALSE(small.add(1));  // already in
  EXPECT_TRUE(small.add(2, ParticipantMode::kListenOnly));
  EXPECT_FALSE(small.add(3));  // full
  EXPECT_EQ(small.capacity(), 2u);
  EXPECT_FALSE(small.setMode(3, ParticipantMode::kMuted));
  EXPECT_FALSE(small.mode(3).has_value());
  EXPECT_FALSE(small.setWhisperTarget(1, 3));
  const auto out = small.output(3);
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](std::int16_t x) { return x == 0; }));
  EXPECT_TRUE(small.remove(1));
  EXPECT_TRUE(small.add(3));
}

TEST_F(ConferenceTest, TenPartiesEachHearTheOtherNine) {
  Conference big{16};
  std::vector<ToneGenerator> voices;
  std::vector<Frame> frames(10);
  for (ParticipantId id = 0; id < 10; ++id) {
    ASSERT_TRUE(big.add(id));
    voices.emplace_back(
        ToneSpec{.firstHz = 300.0 + 300.0 * static_cast<double>(id), .firstLevelDbm0 = -20});
  }
  for (ParticipantId id = 0; id < 10; ++id) {
    voices[id].generate(frames[id]);
    big.setInput(id, frames[id]);
  }
  big.mix();
  for (ParticipantId id = 0; id < 10; ++id) {
    const auto out = big.output(id);
    for (std::size_t i = 0; i < kFrameSamples; ++i) {
      std::int32_t others = 0;
      for (ParticipantId other = 0; other < 10; ++other)
        others += other == id ? 0 : frames[other][i];
      ASSERT_EQ(out[i], saturateToInt16(others)) << id << " " << i;
    }
  }
}

}  // namespace
}  // namespace sb::media
