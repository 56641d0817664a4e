#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

// Signal processing for the media plane at 8 kHz: tone measurement (Goertzel), tone and DTMF
// generation, inband DTMF detection, conference mixing with saturation, gain, and frame levels.
//
// Media worker threads call these for every 20 ms frame: nothing here allocates, throws or
// locks. The free functions are pure; each generator/detector object holds the state of one
// stream and belongs to the one thread that feeds it.
namespace sb::media {

inline constexpr int kSampleRateHz = 8000;
inline constexpr std::size_t kFrameSamples = 160;  // 20 ms, the RTP packet time we use

// The peak of a 0 dBm0 sine in 16-bit linear PCM. G.711's A-law overload point (full scale here)
// is +3.14 dBm0 (G.711 Table 1a, theoretical load capacity), so 0 dBm0 is 32768·10^(-3.14/20).
inline constexpr double kZeroDbm0PeakAmplitude = 22827.06;

double dbm0ToPeakAmplitude(double levelDbm0);

// ---- Goertzel ----------------------------------------------------------------------------------

// |X(f)|^2 of the samples' DTFT at one frequency (any f in (0, 4000) Hz, not only bin centres).
double goertzelPower(std::span<const std::int16_t> samples, double frequencyHz);

// The share of the samples' power that sits at one frequency, in dB: about 0 dB for a pure tone
// at that frequency, far below for anything else. Works on one frame or a longer buffer; longer
// buffers separate nearby frequencies better (the resolution is about 8000/N Hz). Returns
// -infinity for digital silence or an empty span.
double tonePowerDb(std::span<const std::int16_t> samples, double frequencyHz);

// ---- Tone generation ---------------------------------------------------------------------------

// On/off durations in ms, starting with "on" and repeating; no durations means continuous.
struct ToneCadence {
  static constexpr std::size_t kMaxDurations = 8;
  std::array<std::uint32_t, kMaxDurations> durationsMs{};
  std::size_t count = 0;
};

// One or two frequencies (secondHz == 0: single tone), each at its own level.
struct ToneSpec {
  double firstHz = 0;
  double firstLevelDbm0 = -10;
  double secondHz = 0;
  double secondLevelDbm0 = -10;
  ToneCadence cadence;
};

enum class CallProgressTone { kDial, kRingback, kBusy, kCongestion };

// The Chinese call-progress tones of GB 3380-1982 (电话自动交换网铃流和信号音, also required by the
// YDN 065 switching-equipment specification): 450 Hz at -10 dBm0; dial continuous, ringback
// 1 s on / 4 s off, busy 0.35 s / 0.35 s, congestion 0.7 s / 0.7 s.
ToneSpec chinaCallProgressTone(CallProgressTone tone);

// Produces a tone frame by frame: the oscillator phase and the cadence position carry over
// between calls, so consecutive frames join without a seam. Each burst starts half a sample past
// phase zero: near a zero crossing (no click), yet its first sample is not 0, so a burst's
// extent shows in the samples.
class ToneGenerator {
 public:
  explicit ToneGenerator(const ToneSpec& spec);

  // Fills all of `out` and advances by out.size() samples.
  void generate(std::span<std::int16_t> out);

  // Back to the start of the first burst.
  void restart();

 private:
  struct Oscillator {
    double cosStep = 1, sinStep = 0;
    double cos = 1, sin = 0;
    double amplitude = 0;
  };
  void startBurst();
  std::int16_t nextSample();

  std::array<Oscillator, 2> oscillators_;
  std::array<std::uint32_t, ToneCadence::kMaxDurations> durationSamples_{};
  std::size_t durationCount_ = 0;
  std::size_t segment_ = 0;        // even: on, odd: off
  std::uint32_t samplesLeft_ = 0;  // in the current segment
};

// ---- DTMF ---------------------------------------------------------------------------------------

// ITU-T Q.23 frequency pairs: rows 697/770/852/941 Hz, columns 1209/1336/1477/1633 Hz for the
// keys 123A/456B/789C/*0#D. Accepts lower-case a-d; nullopt for anything else.
struct DtmfFrequencies {
  double lowHz;
  double highHz;
};
std::optional<DtmfFrequencies> dtmfFrequencies(char digit);

struct DtmfTiming {
  std::uint32_t toneMs = 100;
  std::uint32_t pauseMs = 100;  // after each digit
  // Phones send the high group a little louder (positive twist) to offset line loss.
  double lowLevelDbm0 = -8;
  double highLevelDbm0 = -6;
};

// Plays queued digits (tone, then pause) and silence when idle. The queue is a fixed ring.
class DtmfGenerator {
 public:
  static constexpr std::size_t kMaxQueuedDigits = 32;

  explicit DtmfGenerator(DtmfTiming timing = {});

  // False for a character that is not a DTMF key or when the queue is full.
  bool enqueue(char digit);
  // Queues as many as fit; returns how many were queued (stops at the first invalid one).
  std::size_t enqueue(std::string_view digits);

  void generate(std::span<std::int16_t> out);

  // No digit playing or queued.
  bool idle() const { return !playing_ && queued_ == 0; }

 private:
  DtmfTiming timing_;
  std::array<char, kMaxQueuedDigits> queue_{};
  std::size_t head_ = 0;
  std::size_t queued_ = 0;
  bool playing_ = false;
  std::optional<ToneGenerator> tone_;
  std::uint32_t samplesLeft_ = 0;  // of the current digit's tone and pause
};

struct DtmfDetectorConfig {
  // Weakest tone accepted, per frequency.
  double minToneLevelDbm0 = -30;
  // Accepted twist (high group level minus low group level): the line attenuates the high group,
  // so more is allowed below than above.
  double maxHighAboveLowDb = 4;
  double maxLowAboveHighDb = 8;
  // Each group's strongest frequency must beat the group's others by this much (checked for
  // reporting, not for holding).
  double minPeakOverGroupDb = 6;
  // Share of the block's total power the two tones must hold: rejects speech, music and noise,
  // and tones 3.5 % off frequency (Q.24 asks to reject those and to accept 1.5 % off).
  double minToneShare = 0.6;
  // The two blocks that report a digit must hold this much together (1.4 blocks of tone, 17.9 ms)
  // so that a short tone straddling two blocks does not count.
  double minTwoBlockToneShare = 1.4;
  // A digit already reported stays "held" across a block whose tones hold this much (a short
  // interruption or a noise burst must not make one key press count twice).
  double holdToneShare = 0.3;
};

struct DtmfDigitEvent {
  char digit;
  std::uint64_t startSample;  // stream position (samples since construction/reset) of the onset
};

// Inband DTMF receiver in the spirit of ITU-T Q.24: Goertzel filters on the eight Q.23
// frequencies over blocks of 102 samples (12.75 ms), level, twist, in-group and total-power
// checks per block. A digit is reported once, when two consecutive blocks hold it: any tone of
// 40 ms or more is seen, tones of 17 ms or less never are. The same key counts again only after
// two blocks without it: a pause of 40 ms always separates two presses, an interruption of up to
// 17 ms never does (measured at every block alignment).
class DtmfDetector {
 public:
  static constexpr std::size_t kBlockSamples = 102;

  explicit DtmfDetector(DtmfDetectorConfig config = {});

  // Consumes samples of any length (blocks span calls). Writes each digit found to `events`
  // and returns how many; digits beyond events.size() are counted in droppedEvents().
  std::size_t process(std::span<const std::int16_t> samples, std::span<DtmfDigitEvent> events);

  std::uint64_t droppedEvents() const { return dropped_; }
  void reset();

 private:
  static constexpr char kNoDigit = 0;
  struct BlockResult {
    char strong = kNoDigit;  // passes every check
    char held = kNoDigit;    // the group peaks' digit, if it passes the hold checks
    double toneShare = 0;    // of the block's power, in the two peak frequencies
  };
  BlockResult analyseBlock() const;
  void finishBlock(std::span<DtmfDigitEvent> events, std::size_t& written);

  DtmfDetectorConfig config_;
  double minToneAmplitude_;
  std::array<float, 8> coefficients_{};
  std::array<float, 8> s1_{};
  std::array<float, 8> s2_{};
  double energy_ = 0;
  std::size_t blockFill_ = 0;
  std::uint64_t blockStart_ = 0;  // stream position of the current block's first sample

  char candidate_ = kNoDigit;
  std::uint64_t candidateStart_ = 0;
  int candidateBlocks_ = 0;
  double candidatePreviousShare_ = 0;
  char reported_ = kNoDigit;
  int blocksWithoutReported_ = 0;
  std::uint64_t dropped_ = 0;
};

// ---- Mixing
// --------------------------------------------------------------------------------------

// Conference mixing in two passes: add every participant's frame into one int32 sum, then give
// each participant the sum minus their own frame ("mix-minus"), saturated to int16. int32 holds
// the sum of up to 65536 full-scale frames, so only the final conversion can clip.
void clearMix(std::span<std::int32_t> sum);
// Adds min(sizes) samples.
void addToMix(std::span<std::int32_t> sum, std::span<const std::int16_t> frame);
// out[i] = saturate(sum[i] - own[i]) for i < min(sum.size(), out.size()); `own` shorter than
// that (e.g. empty for a listen-only participant) counts as silence past its end. Returns the
// number of samples written.
std::size_t mixMinus(std::span<const std::int32_t> sum, std::span<const std::int16_t> own,
                     std::span<std::int16_t> out);
// The whole mix (for a recorder): out[i] = saturate(sum[i]).
std::size_t saturateMix(std::span<const std::int32_t> sum, std::span<std::int16_t> out);

constexpr std::int16_t saturateToInt16(std::int32_t value) {
  if (value > 32767) return 32767;
  if (value < -32768) return -32768;
  return static_cast<std::int16_t>(value);
}

// A gain as a Q16 factor, computed once (the dB conversion needs pow) and applied per frame.
class Gain {
 public:
  // Limited to [-96, +40] dB; -96 dB and below is silence.
  static Gain fromDb(double gainDb);
  static constexpr Gain unity() { return Gain{1 << 16}; }
  std::int32_t q16() const { return q16_; }

 private:
  explicit constexpr Gain(std::int32_t q16) : q16_{q16} {}
  std::int32_t q16_;
};

// In place, rounding to nearest and saturating.
void applyGain(std::span<std::int16_t> samples, Gain gain);
void applyGainDb(std::span<std::int16_t> samples, double gainDb);

// ---- Levels and silence
// ---------------------------------------------------------------------------

// Mean power relative to the overload point, in dBov as ITU-T G.100.1 and RFC 6464 use it
// (0 dBov: a full-scale square wave; a full-scale sine is -3.01 dBov). Floors at -127 dBov,
// RFC 6464's value for digital silence, which also covers an empty span.
inline constexpr double kSilenceFloorDbov = -127.0;
double frameLevelDbov(std::span<const std::int16_t> frame);

// Energy-only silence decision for comfort noise and silence suppression. A frame is quiet when
// its level is below the threshold; the detector reports silence only after `hangoverFrames`
// (at least 1) quiet frames in a row, so word endings and short pauses inside speech are not cut.
class SilenceDetector {
 public:
  explicit SilenceDetector(double thresholdDbov = -50.0, int hangoverFrames = 10);

  // Returns true when this frame should be treated as silence.
  bool update(std::span<const std::int16_t> frame);
  bool silent() const { return quietFrames_ >= hangoverFrames_; }

 private:
  double thresholdDbov_;
  int hangoverFrames_;
  int quietFrames_ = 0;
};

}  // namespace sb::media
