#include "media/dsp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

namespace sb::media {
namespace {

constexpr std::uint32_t samplesFromMs(std::uint32_t ms) {
  return ms * static_cast<std::uint32_t>(kSampleRateHz / 1000);
}

double angularStep(double frequencyHz) {
  return 2.0 * std::numbers::pi * frequencyHz / kSampleRateHz;
}

double dbToPowerRatio(double db) {
  return std::pow(10.0, db / 10.0);
}

// ITU-T Q.23 keypad: row i uses kDtmfLowHz[i], column j kDtmfHighHz[j].
constexpr std::array<double, 4> kDtmfLowHz{697, 770, 852, 941};
constexpr std::array<double, 4> kDtmfHighHz{1209, 1336, 1477, 1633};
constexpr std::array<std::array<char, 4>, 4> kDtmfKeys{{
    {'1', '2', '3', 'A'},
    {'4', '5', '6', 'B'},
    {'7', '8', '9', 'C'},
    {'*', '0', '#', 'D'},
}};

// GB 3380-1982 table 2: every Chinese call-progress tone below is 450 ± 25 Hz sent at
// -10 ± 3 dBm0 (the same tones YDN 065-1997 requires of switching equipment).
constexpr double kChinaToneHz = 450;
constexpr double kChinaToneLevelDbm0 = -10;

}  // namespace

double dbm0ToPeakAmplitude(double levelDbm0) {
  return kZeroDbm0PeakAmplitude * std::pow(10.0, levelDbm0 / 20.0);
}

// ---- Goertzel ----------------------------------------------------------------------------------

double goertzelPower(std::span<const std::int16_t> samples, double frequencyHz) {
  const double coefficient = 2.0 * std::cos(angularStep(frequencyHz));
  double s1 = 0, s2 = 0;
  for (const std::int16_t x : samples) {
    const double s0 = x + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}

double tonePowerDb(std::span<const std::int16_t> samples, double frequencyHz) {
  double energy = 0;
  for (const std::int16_t x : samples)
    energy += static_cast<double>(x) * x;
  if (energy <= 0) return -std::numeric_limits<double>::infinity();
  // A sine of amplitude A over N samples has |X(f)|^2 ≈ (A·N/2)^2 and energy ≈ N·A^2/2, so
  // 2·|X|^2 / (N·energy) is 1 for a pure tone and the tone's share of the power in general.
  const double share =
      2.0 * goertzelPower(samples, frequencyHz) / (static_cast<double>(samples.size()) * energy);
  return 10.0 * std::log10(share);
}

// ---- Tone generation ---------------------------------------------------------------------------

ToneSpec chinaCallProgressTone(CallProgressTone tone) {
  ToneSpec spec{.firstHz = kChinaToneHz, .firstLevelDbm0 = kChinaToneLevelDbm0};
  switch (tone) {
    case CallProgressTone::kDial:
      break;  // continuous
    case CallProgressTone::kRingback:
      spec.cadence = ToneCadence{.durationsMs = {1000, 4000}, .count = 2};
      break;
    case CallProgressTone::kBusy:
      spec.cadence = ToneCadence{.durationsMs = {350, 350}, .count = 2};
      break;
    case CallProgressTone::kCongestion:
      spec.cadence = ToneCadence{.durationsMs = {700, 700}, .count = 2};
      break;
  }
  return spec;
}

ToneGenerator::ToneGenerator(const ToneSpec& spec) {
  const std::array<std::pair<double, double>, 2> tones{{
      {spec.firstHz, spec.firstLevelDbm0},
      {spec.secondHz, spec.secondLevelDbm0},
  }};
  for (std::size_t i = 0; i < tones.size(); ++i) {
    const auto [hz, levelDbm0] = tones[i];
    if (hz <= 0) continue;  // amplitude 0: contributes nothing
    const double step = angularStep(hz);
    oscillators_[i].cosStep = std::cos(step);
    oscillators_[i].sinStep = std::sin(step);
    oscillators_[i].amplitude = dbm0ToPeakAmplitude(levelDbm0);
  }
  const std::size_t count = std::min(spec.cadence.count, ToneCadence::kMaxDurations);
  std::uint32_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    durationSamples_[i] = samplesFromMs(spec.cadence.durationsMs[i]);
    total += durationSamples_[i];
  }
  // An odd list ends with an "on" that runs into the next cycle's first "on": pad with a 0 ms
  // "off" so that even segments stay "on". All-zero durations mean continuous.
  durationCount_ = total == 0 ? 0 : count + count % 2;
  restart();
}

void ToneGenerator::restart() {
  segment_ = 0;
  samplesLeft_ = durationCount_ == 0 ? 0 : durationSamples_[0];
  startBurst();
}

void ToneGenerator::startBurst() {
  for (Oscillator& oscillator : oscillators_) {
    // Half a step past zero phase: sin(step/2) = sqrt((1 - cos step) / 2), cos likewise.
    oscillator.sin = std::sqrt((1.0 - oscillator.cosStep) / 2.0);
    oscillator.cos = std::sqrt((1.0 + oscillator.cosStep) / 2.0);
  }
}

std::int16_t ToneGenerator::nextSample() {
  double value = 0;
  for (Oscillator& o : oscillators_) {
    value += o.amplitude * o.sin;
    const double cos = o.cos * o.cosStep - o.sin * o.sinStep;
    o.sin = o.sin * o.cosStep + o.cos * o.sinStep;
    o.cos = cos;
  }
  return saturateToInt16(static_cast<std::int32_t>(std::lrint(value)));
}

void ToneGenerator::generate(std::span<std::int16_t> out) {
  std::size_t i = 0;
  if (durationCount_ == 0) {
    for (; i < out.size(); ++i)
      out[i] = nextSample();
  }
  while (i < out.size()) {
    while (samplesLeft_ == 0) {
      segment_ = (segment_ + 1) % durationCount_;
      samplesLeft_ = durationSamples_[segment_];
      if (segment_ % 2 == 0) startBurst();
    }
    const std::size_t n = std::min<std::size_t>(samplesLeft_, out.size() - i);
    if (segment_ % 2 == 0) {
      for (std::size_t k = 0; k < n; ++k)
        out[i + k] = nextSample();
    } else {
      std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(i), n, std::int16_t{0});
    }
    i += n;
    samplesLeft_ -= static_cast<std::uint32_t>(n);
  }
  // The rotation accumulates rounding in the phasor's length; pull it back once per call.
  for (Oscillator& o : oscillators_) {
    const double length = std::hypot(o.cos, o.sin);
    o.cos /= length;
    o.sin /= length;
  }
}

// ---- DTMF generation ---------------------------------------------------------------------------

std::optional<DtmfFrequencies> dtmfFrequencies(char digit) {
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  for (std::size_t row = 0; row < kDtmfKeys.size(); ++row) {
    for (std::size_t column = 0; column < kDtmfKeys[row].size(); ++column) {
      if (kDtmfKeys[row][column] == digit) {
        return DtmfFrequencies{kDtmfLowHz[row], kDtmfHighHz[column]};
      }
    }
  }
  return std::nullopt;
}

DtmfGenerator::DtmfGenerator(DtmfTiming timing) : timing_{timing} {}

bool DtmfGenerator::enqueue(char digit) {
  if (!dtmfFrequencies(digit) || queued_ == kMaxQueuedDigits) return false;
  queue_[(head_ + queued_) % kMaxQueuedDigits] = digit;
  ++queued_;
  return true;
}

std::size_t DtmfGenerator::enqueue(std::string_view digits) {
  std::size_t accepted = 0;
  for (const char digit : digits) {
    if (!enqueue(digit)) break;
    ++accepted;
  }
  return accepted;
}

void DtmfGenerator::generate(std::span<std::int16_t> out) {
  std::size_t i = 0;
  while (i < out.size()) {
    if (!playing_) {
      if (queued_ == 0) {
        std::fill(out.begin() + static_cast<std::ptrdiff_t>(i), out.end(), std::int16_t{0});
        return;
      }
      const char digit = queue_[head_];
      head_ = (head_ + 1) % kMaxQueuedDigits;
      --queued_;
      const DtmfFrequencies frequencies = *dtmfFrequencies(digit);  // checked by enqueue
      tone_.emplace(ToneSpec{
          .firstHz = frequencies.lowHz,
          .firstLevelDbm0 = timing_.lowLevelDbm0,
          .secondHz = frequencies.highHz,
          .secondLevelDbm0 = timing_.highLevelDbm0,
          .cadence = ToneCadence{.durationsMs = {timing_.toneMs, timing_.pauseMs}, .count = 2},
      });
      samplesLeft_ = samplesFromMs(timing_.toneMs) + samplesFromMs(timing_.pauseMs);
      playing_ = true;
    }
    const std::size_t n = std::min<std::size_t>(samplesLeft_, out.size() - i);
    tone_->generate(out.subspan(i, n));
    i += n;
    samplesLeft_ -= static_cast<std::uint32_t>(n);
    if (samplesLeft_ == 0) playing_ = false;
  }
}

// ---- DTMF detection ----------------------------------------------------------------------------

DtmfDetector::DtmfDetector(DtmfDetectorConfig config)
    : config_{config}, minToneAmplitude_{dbm0ToPeakAmplitude(config.minToneLevelDbm0)} {
  for (std::size_t i = 0; i < 4; ++i) {
    coefficients_[i] = static_cast<float>(2.0 * std::cos(angularStep(kDtmfLowHz[i])));
    coefficients_[i + 4] = static_cast<float>(2.0 * std::cos(angularStep(kDtmfHighHz[i])));
  }
}

void DtmfDetector::reset() {
  s1_.fill(0);
  s2_.fill(0);
  energy_ = 0;
  blockFill_ = 0;
  blockStart_ = 0;
  candidate_ = kNoDigit;
  candidateStart_ = 0;
  candidateBlocks_ = 0;
  candidatePreviousShare_ = 0;
  reported_ = kNoDigit;
  blocksWithoutReported_ = 0;
  dropped_ = 0;
}

std::size_t DtmfDetector::process(std::span<const std::int16_t> samples,
                                  std::span<DtmfDigitEvent> events) {
  std::size_t written = 0;
  for (const std::int16_t sample : samples) {
    // float state keeps the eight filters in one SIMD register; over 102 samples its rounding
    // stays far below the 6 dB margins the checks use.
    const float x = sample;
    for (std::size_t k = 0; k < coefficients_.size(); ++k) {
      const float s0 = x + coefficients_[k] * s1_[k] - s2_[k];
      s2_[k] = s1_[k];
      s1_[k] = s0;
    }
    energy_ += double{x} * x;
    if (++blockFill_ == kBlockSamples) finishBlock(events, written);
  }
  return written;
}

DtmfDetector::BlockResult DtmfDetector::analyseBlock() const {
  if (energy_ <= 0) return {};
  constexpr double kN = kBlockSamples;
  std::array<double, 8> share{};  // of the block's power, per frequency (see tonePowerDb)
  for (std::size_t k = 0; k < share.size(); ++k) {
    const double s1 = s1_[k], s2 = s2_[k], c = coefficients_[k];
    share[k] = std::max(0.0, 2.0 * (s1 * s1 + s2 * s2 - c * s1 * s2) / (kN * energy_));
  }
  const auto low = share.begin();
  const auto high = share.begin() + 4;
  const auto row = static_cast<std::size_t>(std::max_element(low, high) - low);
  const auto column = static_cast<std::size_t>(std::max_element(high, share.end()) - high);
  const double lowShare = low[row];
  const double highShare = high[column];

  const double twist = highShare / std::max(lowShare, std::numeric_limits<double>::min());
  if (twist > dbToPowerRatio(config_.maxHighAboveLowDb) ||
      twist < dbToPowerRatio(-config_.maxLowAboveHighDb)) {
    return {};
  }
  const double toneShare = lowShare + highShare;
  if (toneShare < config_.holdToneShare) return {};

  BlockResult result;
  result.held = kDtmfKeys[row][column];
  result.toneShare = toneShare;

  // Only a full block of tone is sharp enough for the in-group check: a tone filling part of a
  // block leaks into the neighbouring frequencies (about -6 dB at 60 samples), which is why the
  // hold above does without it.
  const double peakRatio = dbToPowerRatio(config_.minPeakOverGroupDb);
  for (std::size_t k = 0; k < 4; ++k) {
    if (k != row && low[k] * peakRatio > lowShare) return result;
    if (k != column && high[k] * peakRatio > highShare) return result;
  }
  // A tone of amplitude A filling share s of the block has power s·N·A^2/2.
  const auto amplitude = [&](double s) { return std::sqrt(2.0 * s * energy_ / kN); };
  if (toneShare >= config_.minToneShare && amplitude(lowShare) >= minToneAmplitude_ &&
      amplitude(highShare) >= minToneAmplitude_) {
    result.strong = result.held;
  }
  return result;
}

void DtmfDetector::finishBlock(std::span<DtmfDigitEvent> events, std::size_t& written) {
  const BlockResult result = analyseBlock();
  s1_.fill(0);
  s2_.fill(0);
  energy_ = 0;
  blockFill_ = 0;

  double twoBlockShare = 0;
  if (result.strong != kNoDigit && result.strong == candidate_) {
    ++candidateBlocks_;
    twoBlockShare = candidatePreviousShare_ + result.toneShare;
  } else {
    candidate_ = result.strong;
    candidateBlocks_ = candidate_ == kNoDigit ? 0 : 1;
    candidateStart_ = blockStart_;
  }
  candidatePreviousShare_ = result.toneShare;

  if (candidate_ != kNoDigit && candidateBlocks_ >= 2 && candidate_ != reported_ &&
      twoBlockShare >= config_.minTwoBlockToneShare) {
    if (written < events.size()) {
      events[written++] = DtmfDigitEvent{candidate_, candidateStart_};
    } else {
      ++dropped_;
    }
    reported_ = candidate_;
    blocksWithoutReported_ = 0;
  } else if (reported_ != kNoDigit) {
    if (result.strong == reported_ || result.held == reported_) {
      blocksWithoutReported_ = 0;
    } else if (++blocksWithoutReported_ >= 2) {
      reported_ = kNoDigit;
    }
  }
  blockStart_ += kBlockSamples;
}

// ---- Mixing
// --------------------------------------------------------------------------------------

void clearMix(std::span<std::int32_t> sum) {
  std::fill(sum.begin(), sum.end(), 0);
}

void addToMix(std::span<std::int32_t> sum, std::span<const std::int16_t> frame) {
  const std::size_t count = std::min(sum.size(), frame.size());
  for (std::size_t i = 0; i < count; ++i)
    sum[i] += frame[i];
}

std::size_t mixMinus(std::span<const std::int32_t> sum, std::span<const std::int16_t> own,
                     std::span<std::int16_t> out) {
  const std::size_t count = std::min(sum.size(), out.size());
  const std::size_t withOwn = std::min(count, own.size());
  for (std::size_t i = 0; i < withOwn; ++i)
    out[i] = saturateToInt16(sum[i] - own[i]);
  for (std::size_t i = withOwn; i < count; ++i)
    out[i] = saturateToInt16(sum[i]);
  return count;
}

std::size_t saturateMix(std::span<const std::int32_t> sum, std::span<std::int16_t> out) {
  return mixMinus(sum, {}, out);
}

Gain Gain::fromDb(double gainDb) {
  constexpr double kSilentBelowDb = -96;
  constexpr double kMaxDb = 40;
  if (!(gainDb > kSilentBelowDb)) return Gain{0};  // also NaN
  const double factor = std::pow(10.0, std::min(gainDb, kMaxDb) / 20.0);
  return Gain{static_cast<std::int32_t>(std::lrint(factor * 65536.0))};
}

void applyGain(std::span<std::int16_t> samples, Gain gain) {
  if (gain.q16() == Gain::unity().q16()) return;
  for (std::int16_t& sample : samples) {
    // +40 dB is a factor of 100 in Q16: the product needs 64 bits. Adding half before the
    // (flooring) shift rounds to nearest.
    const std::int64_t scaled = (std::int64_t{sample} * gain.q16() + (1 << 15)) >> 16;
    sample = saturateToInt16(static_cast<std::int32_t>(
        std::clamp<std::int64_t>(scaled, std::numeric_limits<std::int32_t>::min(),
                                 std::numeric_limits<std::int32_t>::max())));
  }
}

void applyGainDb(std::span<std::int16_t> samples, double gainDb) {
  applyGain(samples, Gain::fromDb(gainDb));
}

// ---- Levels and silence
// ---------------------------------------------------------------------------

double frameLevelDbov(std::span<const std::int16_t> frame) {
  if (frame.empty()) return kSilenceFloorDbov;
  double energy = 0;
  for (const std::int16_t x : frame)
    energy += static_cast<double>(x) * x;
  if (energy <= 0) return kSilenceFloorDbov;
  constexpr double kFullScalePower = 32768.0 * 32768.0;
  const double level = 10.0 * std::log10(energy / (kFullScalePower * frame.size()));
  return std::max(level, kSilenceFloorDbov);
}

SilenceDetector::SilenceDetector(double thresholdDbov, int hangoverFrames)
    : thresholdDbov_{thresholdDbov}, hangoverFrames_{std::max(hangoverFrames, 1)} {}

bool SilenceDetector::update(std::span<const std::int16_t> frame) {
  if (frameLevelDbov(frame) < thresholdDbov_) {
    quietFrames_ = std::min(quietFrames_ + 1, hangoverFrames_);
  } else {
    quietFrames_ = 0;
  }
  return silent();
}

}  // namespace sb::media
