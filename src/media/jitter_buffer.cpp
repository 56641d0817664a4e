#include "media/jitter_buffer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "media/g711.hpp"
#include "media/rtp.hpp"

namespace sb::media {
namespace {

constexpr std::int32_t kMaxConfigFrames = 50;  // 1 s
constexpr std::int32_t kMaxDropout = 3000;     // packets, as RFC 3550 A.1
constexpr std::int64_t kMaxPauseSamples = 60 * kSampleRateHz;
constexpr std::size_t kMinTransitsToLower = 16;
constexpr std::uint32_t kUnattenuatedSamples = 80;  // Appendix I: 10 ms at full level
constexpr std::size_t kMinPitch = 40;               // 5 ms (200 Hz)
constexpr std::size_t kPitchWindow = 160;           // correlate the last 20 ms
constexpr std::size_t kSkipFadeSamples = 32;        // 4 ms
constexpr std::size_t kReturnFadeMin = 32;          // 4 ms
constexpr std::size_t kReturnFadeMax = 80;          // 10 ms

std::int32_t framesOf(std::uint32_t ms) {
  return static_cast<std::int32_t>(std::min<std::uint32_t>(ms, 100000) / 20);
}

// Whole frames from `from` to `to`, rounded to the nearest frame (timestamps of a talkspurt that
// starts off the frame grid land on the nearest slot).
std::int32_t framesBetween(std::uint32_t from, std::uint32_t to) {
  const std::int64_t d = std::int64_t{static_cast<std::int32_t>(to - from)} + 80;
  const std::int64_t frames = d >= 0 ? d / 160 : -((-d + 159) / 160);
  return static_cast<std::int32_t>(frames);
}

std::int16_t roundToInt16(double value) {
  return saturateToInt16(static_cast<std::int32_t>(std::lrint(value)));
}

// How well the last kPitchWindow samples match those `lag` earlier, every `step`th sample:
// normalised cross-correlation, squared with its sign kept so that anti-phase never wins.
double pitchScore(const std::int16_t* h, std::size_t n, std::size_t lag, std::size_t step) {
  std::int64_t correlation = 0;
  std::int64_t energy = 0;
  for (std::size_t i = n - kPitchWindow; i < n; i += step) {
    const std::int32_t lagged = h[i - lag];
    correlation += std::int64_t{h[i]} * lagged;
    energy += std::int64_t{lagged} * lagged;
  }
  if (energy == 0) return -1.0;
  const double c = static_cast<double>(correlation);
  return c * std::abs(c) / static_cast<double>(energy);
}

}  // namespace

JitterBuffer::JitterBuffer(const JitterBufferConfig& config)
    : law_{config.law},
      minFrames_{std::clamp(framesOf(config.minDelayMs), 1, kMaxConfigFrames)},
      maxFrames_{std::clamp(framesOf(config.maxDelayMs), minFrames_, kMaxConfigFrames)},
      concealSamples_{
          static_cast<std::uint32_t>(std::clamp(framesOf(config.concealmentMs), 1, 10) * kFrame)},
      shrinkIntervalPops_{std::max<std::uint32_t>(1, config.shrinkIntervalMs / kFrameMs)},
      quietLevelDbov_{config.quietLevelDbov},
      percentile_{std::clamp<std::uint32_t>(config.jitterPercentile, 50, 100)},
      capacity_{maxFrames_ + 8},
      slots_(static_cast<std::size_t>(capacity_)),
      target_{std::clamp(framesOf(config.initialDelayMs), minFrames_, maxFrames_)} {
  stats_.targetDelayMs = targetDelayMs();
}

// ---- Arrival ------------------------------------------------------------------------------------

PushResult JitterBuffer::push(std::uint16_t sequence, std::uint32_t timestamp,
                              std::uint32_t arrival, std::span<const std::uint8_t> payload) {
  ++stats_.packetsReceived;
  if (payload.size() != kPayloadBytes) {
    ++stats_.packetsInvalid;
    return PushResult::kInvalid;
  }
  const Packet packet{sequence, timestamp, arrival};

  if (state_ == State::kIdle) {
    sourceChanged_ = false;
    timestampOffset_ = 0;
    newest_ = packet;
    return store(packet, payload);
  }
  if (sourceChanged_) {
    sourceChanged_ = false;
    if (probation_) ++stats_.packetsStray;
    probation_ = false;
    resynchronise(packet);
    store(packet, payload);
    return PushResult::kResynchronised;
  }
  if (!consistent(newest_, packet)) {
    if (probation_) {
      if (packet.sequence == probationPacket_.sequence &&
          packet.timestamp == probationPacket_.timestamp) {
        ++stats_.packetsDuplicate;
        return PushResult::kDuplicate;
      }
      if (consistent(probationPacket_, packet)) {
        probation_ = false;
        resynchronise(probationPacket_);
        store(probationPacket_, probationPayload_);
        store(packet, payload);
        return PushResult::kResynchronised;
      }
      ++stats_.packetsStray;
    }
    probation_ = true;
    probationPacket_ = packet;
    std::copy(payload.begin(), payload.end(), probationPayload_.begin());
    return PushResult::kProbation;
  }
  if (probation_) {
    // RFC 3550 A.1: a jump counts only if the very next packet follows it.
    probation_ = false;
    ++stats_.packetsStray;
  }
  return store(packet, payload);
}

bool JitterBuffer::consistent(const Packet& reference, const Packet& packet) const {
  const std::int32_t packets = sequenceDelta(reference.sequence, packet.sequence);
  const std::int64_t samples = static_cast<std::int32_t>(packet.timestamp - reference.timestamp);
  if (packets == 0) return samples == 0;
  if (std::abs(packets) > kMaxDropout) return false;
  // Timestamps may run ahead of sequence numbers (a pause of silence suppression), never behind.
  const std::int64_t expected = std::int64_t{packets} * kFrame;
  const std::int64_t pause = packets > 0 ? samples - expected : expected - samples;
  if (pause < 0 || pause > kMaxPauseSamples) return false;
  if (packets > 0 && pause > 0) {
    // A pause must have taken about as long as the timestamps skipped; a skip without the time
    // passing is a jump.
    const std::int64_t elapsed = static_cast<std::int32_t>(packet.arrival - reference.arrival);
    if (pause > elapsed + std::int64_t{2} * maxFrames_ * kFrame) return false;
  }
  return true;
}

void JitterBuffer::anchor(const Packet& packet) {
  for (Slot& slot : slots_)
    slot.filled = false;
  head_ = 0;
  playout_ = packet.timestamp + timestampOffset_;
  newestMapped_ = playout_;
  haveNewest_ = false;
  state_ = State::kBuffering;
  waitPops_ = static_cast<std::uint32_t>(target_);
  playedSinceAnchor_ = false;
  depthCount_ = 0;
  depthNext_ = 0;
}

void JitterBuffer::resynchronise(const Packet& first) {
  ++stats_.resyncs;
  // The new stream continues right after the newest buffered frame, or where playout stands.
  const std::uint32_t continueAt =
      depthFrames() > 0 ? newestMapped_ + static_cast<std::uint32_t>(kFrame) : playout_;
  timestampOffset_ = continueAt - first.timestamp;
  newest_ = first;
  // Transits of the old stream say nothing about the new one's offset; the target stays as a
  // floor until the new stream has shown its own jitter.
  transitCount_ = 0;
  transitNext_ = 0;
}

PushResult JitterBuffer::store(const Packet& packet, std::span<const std::uint8_t> payload) {
  const std::uint32_t mapped = packet.timestamp + timestampOffset_;
  if (state_ == State::kIdle) anchor(packet);

  std::int32_t ahead = framesBetween(playout_, mapped);
  if (state_ == State::kStopped && ahead >= 0) {
    // A talkspurt after a pause or a stream that stalled: start playout anew.
    anchor(packet);
    ahead = 0;
  }
  if (state_ == State::kBuffering && !playedSinceAnchor_ && ahead < 0 &&
      depthFrames() - ahead <= capacity_) {
    // Reordered before the packet that started the stream: start from it instead.
    head_ = ((head_ + ahead) % capacity_ + capacity_) % capacity_;
    playout_ -= static_cast<std::uint32_t>(-ahead) * kFrameSamples;
    ahead = 0;
  }
  if (ahead < 0) {
    addTransit(packet.arrival, mapped);
    ++stats_.packetsLate;
    return PushResult::kLate;
  }
  if (ahead >= capacity_) {
    // A burst after a stall: keep the newest frames.
    advance(ahead - capacity_ + 1, true);
    ahead = capacity_ - 1;
  }
  Slot& slot = slotAt(ahead);
  if (slot.filled) {
    ++stats_.packetsDuplicate;
    return PushResult::kDuplicate;
  }
  slot.filled = true;
  std::copy(payload.begin(), payload.end(), slot.codes.begin());
  const std::uint32_t aligned = playout_ + static_cast<std::uint32_t>(ahead) * kFrameSamples;
  if (!haveNewest_ || static_cast<std::int32_t>(aligned - newestMapped_) > 0) {
    newestMapped_ = aligned;
    haveNewest_ = true;
  }
  noteNewest(packet);
  addTransit(packet.arrival, mapped);
  return PushResult::kStored;
}

void JitterBuffer::noteNewest(const Packet& packet) {
  if (sequenceInOrder(newest_.sequence, packet.sequence)) newest_ = packet;
}

void JitterBuffer::addTransit(std::uint32_t arrival, std::uint32_t timestamp) {
  const std::uint32_t transit = arrival - timestamp;
  if (transitCount_ == 0) transitBase_ = transit;
  const auto value = static_cast<std::int32_t>(transit - transitBase_);
  const auto sortedEnd = sortedTransits_.begin() + static_cast<std::ptrdiff_t>(transitCount_);
  if (transitCount_ == kTransitWindow) {
    // The window is full: the oldest transit leaves the sorted copy as the new one enters.
    const auto oldest =
        std::lower_bound(sortedTransits_.begin(), sortedEnd, transits_[transitNext_]);
    std::copy(oldest + 1, sortedEnd, oldest);
    --transitCount_;
  }
  const auto end = sortedTransits_.begin() + static_cast<std::ptrdiff_t>(transitCount_);
  const auto at = std::upper_bound(sortedTransits_.begin(), end, value);
  std::copy_backward(at, end, end + 1);
  *at = value;
  ++transitCount_;
  transits_[transitNext_] = value;
  transitNext_ = (transitNext_ + 1) % kTransitWindow;
  updateTarget();
}

void JitterBuffer::updateTarget() {
  const std::int64_t fastest = sortedTransits_[0];
  const std::int64_t slow = sortedTransits_[(transitCount_ - 1) * percentile_ / 100];
  const std::int64_t spread = std::max<std::int64_t>(0, slow - fastest);
  // The spread in whole frames, plus the frame that the tick phase can take.
  const auto frames =
      static_cast<std::int32_t>(std::min<std::int64_t>((spread + kFrame - 1) / kFrame + 1, 1000));
  const std::int32_t wanted = std::clamp(frames, minFrames_, maxFrames_);
  target_ = transitCount_ < kMinTransitsToLower ? std::max(target_, wanted) : wanted;
  stats_.targetDelayMs = targetDelayMs();
  stats_.jitterMs = static_cast<std::uint32_t>(spread * 1000 / kSampleRateHz);
}

// ---- The ring -----------------------------------------------------------------------------------

JitterBuffer::Slot& JitterBuffer::slotAt(std::int32_t framesAhead) {
  return slots_[static_cast<std::size_t>((head_ + framesAhead) % capacity_)];
}

std::int32_t JitterBuffer::depthFrames() const {
  if (!haveNewest_) return 0;
  const std::int32_t d = static_cast<std::int32_t>(newestMapped_ - playout_);
  return d < 0 ? 0 : d / kFrame + 1;
}

void JitterBuffer::advance(std::int32_t frames, bool countDropped) {
  if (frames >= capacity_) {
    for (Slot& slot : slots_) {
      if (slot.filled && countDropped) ++stats_.framesDropped;
      slot.filled = false;
    }
    playout_ += static_cast<std::uint32_t>(frames) * kFrameSamples;
    return;
  }
  for (std::int32_t i = 0; i < frames; ++i) {
    Slot& slot = slots_[static_cast<std::size_t>(head_)];
    if (slot.filled && countDropped) ++stats_.framesDropped;
    slot.filled = false;
    head_ = (head_ + 1) % capacity_;
    playout_ += kFrameSamples;
  }
}

// ---- Playout ------------------------------------------------------------------------------------

FrameKind JitterBuffer::pop(std::span<std::int16_t, kFrameSamples> out) {
  switch (state_) {
    case State::kIdle:
    case State::kStopped:
      return silence(out);
    case State::kBuffering:
      // Wait for the target delay, unless a burst has already filled the buffer that far.
      if (waitPops_ > 0 && depthFrames() <= target_) {
        --waitPops_;
        return silence(out);
      }
      state_ = State::kPlaying;
      playedSinceAnchor_ = true;
      break;
    case State::kPlaying:
      break;
  }

  const std::int32_t depth = depthFrames();
  recordDepth(depth);
  if (slotAt(0).filled) {
    const bool skip = depth >= 2 && slotAt(1).filled && shouldSkip(depth);
    playFrame(out, skip);
    stats_.delayMs = static_cast<std::uint32_t>(depth - 1 - (skip ? 1 : 0)) * kFrameMs;
    return FrameKind::kPlayed;
  }

  // The frame due is missing. Late while fewer than target frames follow it; lost after that,
  // or when it has been waited for through the whole concealment.
  if (depth > target_ || (depth > 0 && erased_ >= concealSamples_)) {
    // Missing frames beyond the target are passed over at once: after a burst of losses that
    // looked like a stall (and was waited for), this takes the delay back to the target.
    while (!slotAt(0).filled && depthFrames() > target_ + 1) {
      ++stats_.framesLost;
      advance(1, false);
    }
    if (!slotAt(0).filled) {
      ++stats_.framesLost;
      advance(1, false);
    }
  }
  stats_.delayMs = static_cast<std::uint32_t>(std::max(depthFrames() - 1, 0)) * kFrameMs;
  const FrameKind kind = conceal(out);
  if (kind == FrameKind::kSilence && depthFrames() == 0) state_ = State::kStopped;
  return kind;
}

void JitterBuffer::recordDepth(std::int32_t depth) {
  depths_[depthNext_] = depth + skips_;
  depthNext_ = (depthNext_ + 1) % kDepthWindow;
  depthCount_ = std::min(depthCount_ + 1, kDepthWindow);
}

bool JitterBuffer::shouldSkip(std::int32_t depth) {
  if (depth > maxFrames_ + 1) return true;
  if (depthCount_ < kDepthWindow) return false;
  const std::int64_t shallowest = *std::min_element(depths_.begin(), depths_.end()) - skips_;
  if (shallowest <= target_ + 1) {
    popsTooDeep_ = 0;
    return false;
  }
  // Quiet frames go first; an audible one only when none came for a whole interval.
  if (++popsTooDeep_ > shrinkIntervalPops_) return true;
  std::array<std::int16_t, kFrameSamples> frame;
  decode(slotAt(0), frame);
  return frameLevelDbov(frame) < quietLevelDbov_;
}

void JitterBuffer::decode(const Slot& slot, std::span<std::int16_t> out) const {
  if (law_ == G711Law::kALaw) {
    decodeALaw(slot.codes, out);
  } else {
    decodeMuLaw(slot.codes, out);
  }
}

void JitterBuffer::playFrame(std::span<std::int16_t, kFrameSamples> out, bool skip) {
  decode(slotAt(0), out);
  if (skip) {
    // Drop the frame due, cross-fading from its start (the natural continuation of what was
    // played) into the next one.
    std::array<std::int16_t, kFrameSamples> next;
    decode(slotAt(1), next);
    for (std::size_t i = 0; i < kSkipFadeSamples; ++i) {
      const double w = static_cast<double>(i + 1) / (kSkipFadeSamples + 1);
      out[i] = roundToInt16(out[i] * (1 - w) + next[i] * w);
    }
    std::copy(next.begin() + kSkipFadeSamples, next.end(), out.begin() + kSkipFadeSamples);
    advance(1, true);
    ++skips_;
    popsTooDeep_ = 0;
  }
  if (lastKind_ == FrameKind::kConcealed) {
    // Appendix I: 4 ms, plus 4 ms per further 10 ms erased, at most 10 ms.
    const std::size_t further =
        erased_ > kUnattenuatedSamples ? (erased_ - kUnattenuatedSamples) / 80 : 0;
    const std::size_t fade = std::min(kReturnFadeMin + kReturnFadeMin * further, kReturnFadeMax);
    for (std::size_t i = 0; i < fade; ++i) {
      const double synthetic = cycle_[(cyclePosition_ + i) % pitch_] *
                               erasureGain(erased_ + static_cast<std::uint32_t>(i));
      const double w = static_cast<double>(i + 1) / static_cast<double>(fade + 1);
      out[i] = roundToInt16(synthetic * (1 - w) + out[i] * w);
    }
  }
  advance(1, false);
  remember(out);
  erased_ = 0;
  lastKind_ = FrameKind::kPlayed;
  ++stats_.framesPlayed;
}

void JitterBuffer::remember(std::span<const std::int16_t> played) {
  std::copy(history_.begin() + kFrameSamples, history_.end(), history_.begin());
  std::copy(played.begin(), played.end(), history_.end() - kFrameSamples);
}

FrameKind JitterBuffer::silence(std::span<std::int16_t, kFrameSamples> out) {
  std::fill(out.begin(), out.end(), 0);
  ++stats_.framesSilent;
  lastKind_ = FrameKind::kSilence;
  return FrameKind::kSilence;
}

// ---- Concealment --------------------------------------------------------------------------------

FrameKind JitterBuffer::conceal(std::span<std::int16_t, kFrameSamples> out) {
  if (erased_ == 0) startErasure();
  if (erased_ >= concealSamples_) {
    if (erased_ < 0x40000000) erased_ += kFrameSamples;
    return silence(out);
  }
  for (std::size_t i = 0; i < kFrameSamples; ++i) {
    out[i] =
        roundToInt16(cycle_[cyclePosition_] * erasureGain(erased_ + static_cast<std::uint32_t>(i)));
    cyclePosition_ = (cyclePosition_ + 1) % pitch_;
  }
  erased_ += kFrameSamples;
  lastKind_ = FrameKind::kConcealed;
  ++stats_.framesConcealed;
  return FrameKind::kConcealed;
}

double JitterBuffer::erasureGain(std::uint32_t sample) const {
  if (sample < kUnattenuatedSamples) return 1.0;
  if (concealSamples_ <= kUnattenuatedSamples) return 0.0;
  const double fade = static_cast<double>(sample - kUnattenuatedSamples) /
                      static_cast<double>(concealSamples_ - kUnattenuatedSamples);
  return std::max(0.0, 1.0 - fade);
}

void JitterBuffer::startErasure() {
  // The pitch period, searched as Appendix I does: coarsely (every other lag, every other
  // sample), then at full resolution around the coarse best.
  constexpr std::size_t kN = kHistorySamples;
  const std::int16_t* h = history_.data();
  std::size_t coarse = kMinPitch;
  double coarseScore = -2.0;
  for (std::size_t lag = kMinPitch; lag <= kMaxPitch; lag += 2) {
    const double score = pitchScore(h, kN, lag, 2);
    if (score > coarseScore) {
      coarseScore = score;
      coarse = lag;
    }
  }
  std::size_t best = coarse;
  double bestScore = -2.0;
  for (std::size_t lag = std::max(kMinPitch, coarse - 1); lag <= std::min(kMaxPitch, coarse + 1);
       ++lag) {
    const double score = pitchScore(h, kN, lag, 1);
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  pitch_ = best;
  // The last period, its final quarter blended into the samples that precede the period, so that
  // the loop back to its start continues the waveform.
  const std::size_t quarter = pitch_ / 4;
  for (std::size_t i = 0; i < pitch_; ++i)
    cycle_[i] = h[kN - pitch_ + i];
  for (std::size_t j = 0; j < quarter; ++j) {
    const double w = static_cast<double>(j + 1) / static_cast<double>(quarter + 1);
    const std::size_t natural = kN - quarter + j;
    cycle_[pitch_ - quarter + j] = roundToInt16(h[natural] * (1 - w) + h[natural - pitch_] * w);
  }
  cyclePosition_ = 0;
}

}  // namespace sb::media
