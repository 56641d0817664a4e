#pragma once
// The adaptive jitter buffer of one incoming stream of 20 ms G.711 frames, with packet-loss
// concealment in the manner of G.711 Appendix I (simplified). Legs that are mixed, recorded or
// transcoded go through one; plain relays do not.
//
// The worker pushes each packet as it arrives and pops one frame per 20 ms tick. The buffer keeps
// the payload's G.711 codes (160 bytes a slot, half the size of linear PCM) and decodes on pop,
// so a packet that is never played is never decoded.
//
// Playout is counted in ticks, not in wall-clock time: pop() needs no clock. The playout delay is
// how many frames stay buffered behind the one just played; the buffer aims at a target delay
// taken from the measured jitter:
//
//  - Target: each packet's transit (arrival minus timestamp) goes into a window of the last 128
//    packets (2.56 s); the spread of that window (the `jitterPercentile` transit minus the
//    fastest) rounded up to frames, plus one frame, clamped to [minDelayMs, maxDelayMs], is the
//    target. It rises with the first packet that shows more jitter (late packets count too) and
//    falls when the window has forgotten the jitter. Until 16 transits are known it only rises
//    from `initialDelayMs`.
//  - Growing: when the frame due is missing and fewer than target frames follow it in the
//    buffer, it is late rather than lost: the buffer conceals one tick and keeps waiting for it
//    (the delay grows by a frame). When target frames or more follow it, it is lost: concealed
//    and passed over.
//  - Shrinking: when the delay has stayed above the target for 500 ms, frames are dropped: any
//    quiet one (below `quietLevelDbov`) at once; an audible one only after `shrinkIntervalMs`
//    more without a quiet one to drop, so at most one audible frame per interval. The frame
//    after a dropped one is cross-faded in over 4 ms. Above `maxDelayMs` a frame is dropped
//    every tick.
//
// Packets are placed by timestamp (silence suppression advances timestamps, not sequence
// numbers) after a consistency check against the newest packet: sequence and timestamp must
// move together (the timestamp may move further: a pause), within 3000 packets and 60 s, and a
// forward timestamp skip must not be much longer than the time that passed. A packet that fails
// the check is held on probation; if the next one follows it (a sender restart, a new source
// with the same SSRC, a timestamp jump), the buffer resynchronises: the new stream's timestamps
// are mapped to continue right after what is buffered, so nothing buffered is lost and nothing
// is played twice. An unconfirmed one is dropped (`packetsStray`). When the SSRC changes, the
// caller says so with sourceChanged() and the next packet is taken without probation.
//
// Concealment (G.711 Appendix I, simplified: one pitch period, no extra output delay): on the
// first missing frame, the pitch period (40..120 samples) is found by normalised
// cross-correlation of the last 20 ms of history; the last period is repeated (its end blended
// into the sample before it over a quarter period, so the loop has no seam), at full level for
// 10 ms, then fading linearly to silence at `concealmentMs` (Appendix I: 20 % per 10 ms, silent
// at 60 ms). When audio returns after concealment, the first frame is cross-faded in from the
// concealment's continuation over 4 ms plus 4 ms per further 10 ms erased (at most 10 ms).
// After `concealmentMs` without audio the output is silence; if nothing is buffered the stream
// counts as stopped, and its next packet starts playout anew after the target delay (the start
// of a talkspurt after silence suppression, or a stream that stalled).
//
// Per-frame path: no allocation after construction, no locks, no exceptions, no logging.
// Threads: not synchronised; one buffer belongs to the media worker that owns the leg.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "media/dsp.hpp"

namespace sb::media {

enum class G711Law : std::uint8_t { kMuLaw, kALaw };

struct JitterBufferConfig {
  G711Law law = G711Law::kMuLaw;
  // Delays are rounded down to whole 20 ms frames; min is at least 20 ms, max at most 1000 ms
  // and at least min; initial is clamped into [min, max].
  std::uint32_t initialDelayMs = 40;
  std::uint32_t minDelayMs = 20;
  std::uint32_t maxDelayMs = 200;
  // How long concealment lasts before silence: 20..200 ms, rounded to frames.
  std::uint32_t concealmentMs = 60;
  // While shrinking, an audible frame is dropped only after this long without a quiet one.
  std::uint32_t shrinkIntervalMs = 2000;
  // Frames below this level may be dropped at once while shrinking.
  double quietLevelDbov = -45.0;
  // Which transit percentile measures the jitter (50..100): 95 ignores the slowest 7 of 128.
  std::uint32_t jitterPercentile = 95;
};

// What pop() produced.
enum class FrameKind : std::uint8_t {
  kPlayed,     // a received frame (possibly cross-faded at its start)
  kConcealed,  // synthesised for a missing frame
  kSilence,    // nothing to play: not started, buffering, concealment over, stream stopped
};

// What push() did with a packet.
enum class PushResult : std::uint8_t {
  kStored,
  kDuplicate,       // its frame is already buffered
  kLate,            // its frame was already played or concealed
  kInvalid,         // the payload is not 160 bytes
  kProbation,       // out of line with the stream: kept until the next packet confirms it
  kResynchronised,  // it confirmed the packet on probation: both stored as a new stream
};

struct JitterBufferStats {
  std::uint64_t packetsReceived = 0;   // push() calls
  std::uint64_t packetsLate = 0;       // kLate
  std::uint64_t packetsDuplicate = 0;  // kDuplicate
  std::uint64_t packetsInvalid = 0;    // kInvalid
  std::uint64_t packetsStray = 0;      // held on probation and never confirmed
  std::uint64_t framesPlayed = 0;      // pops that returned kPlayed
  std::uint64_t framesConcealed = 0;   // pops that returned kConcealed
  std::uint64_t framesSilent = 0;      // pops that returned kSilence
  std::uint64_t framesLost = 0;        // frames passed over because they never arrived in time
  std::uint64_t framesDropped = 0;     // received frames discarded: shrinking or overflow
  std::uint64_t resyncs = 0;           // new streams after probation or sourceChanged()
  std::uint32_t targetDelayMs = 0;
  std::uint32_t delayMs = 0;   // frames buffered behind the one played last, in ms
  std::uint32_t jitterMs = 0;  // the transit spread behind the target
};

class JitterBuffer {
 public:
  static constexpr std::size_t kPayloadBytes = kFrameSamples;  // 20 ms of G.711

  explicit JitterBuffer(const JitterBufferConfig& config = {});

  // One received packet. `arrival` is its arrival time in samples (8 kHz) on the worker's
  // monotonic clock (any origin, wraps freely); `payload` its G.711 codes, copied.
  PushResult push(std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t arrival,
                  std::span<const std::uint8_t> payload);

  // The next 20 ms of audio, once per tick.
  FrameKind pop(std::span<std::int16_t, kFrameSamples> out);

  // The SSRC changed: the next packet starts a new stream without probation.
  void sourceChanged() { sourceChanged_ = true; }

  const JitterBufferStats& stats() const { return stats_; }
  std::uint32_t targetDelayMs() const { return static_cast<std::uint32_t>(target_) * kFrameMs; }

 private:
  static constexpr std::uint32_t kFrameMs = 20;
  static constexpr std::int32_t kFrame = static_cast<std::int32_t>(kFrameSamples);
  static constexpr std::size_t kTransitWindow = 128;
  static constexpr std::size_t kDepthWindow = 25;  // pops: 500 ms
  static constexpr std::size_t kHistorySamples = 390;
  static constexpr std::size_t kMaxPitch = 120;

  enum class State : std::uint8_t { kIdle, kBuffering, kPlaying, kStopped };

  struct Slot {
    bool filled = false;
    std::array<std::uint8_t, kPayloadBytes> codes{};
  };
  struct Packet {
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t arrival = 0;
  };

  bool consistent(const Packet& reference, const Packet& packet) const;
  void anchor(const Packet& packet);
  void resynchronise(const Packet& first);
  PushResult store(const Packet& packet, std::span<const std::uint8_t> payload);
  void noteNewest(const Packet& packet);
  void addTransit(std::uint32_t arrival, std::uint32_t timestamp);
  void updateTarget();

  Slot& slotAt(std::int32_t framesAhead);
  std::int32_t depthFrames() const;
  void advance(std::int32_t frames, bool countDropped);
  bool shouldSkip(std::int32_t depth);
  void recordDepth(std::int32_t depth);

  void decode(const Slot& slot, std::span<std::int16_t> out) const;
  void playFrame(std::span<std::int16_t, kFrameSamples> out, bool skip);
  FrameKind conceal(std::span<std::int16_t, kFrameSamples> out);
  void startErasure();
  double erasureGain(std::uint32_t sample) const;
  void remember(std::span<const std::int16_t> played);
  FrameKind silence(std::span<std::int16_t, kFrameSamples> out);

  // Configuration, in frames and samples.
  G711Law law_;
  std::int32_t minFrames_;
  std::int32_t maxFrames_;
  std::uint32_t concealSamples_;
  std::uint32_t shrinkIntervalPops_;
  double quietLevelDbov_;
  std::uint32_t percentile_;
  std::int32_t capacity_;

  State state_ = State::kIdle;
  std::vector<Slot> slots_;  // ring; slots_[head_] holds the frame due next
  std::int32_t head_ = 0;
  std::uint32_t playout_ = 0;  // (mapped) timestamp of the frame due next
  std::uint32_t newestMapped_ = 0;
  bool haveNewest_ = false;
  std::uint32_t waitPops_ = 0;
  bool playedSinceAnchor_ = false;
  std::int32_t target_;

  // The stream as received, for the consistency check, and the offset that maps its timestamps
  // onto the buffer's timeline after a resynchronisation.
  Packet newest_;
  std::uint32_t timestampOffset_ = 0;
  bool sourceChanged_ = false;
  bool probation_ = false;
  Packet probationPacket_;
  std::array<std::uint8_t, kPayloadBytes> probationPayload_{};

  // Transits relative to transitBase_ in arrival order (a ring, newest at transitNext_ - 1) and
  // sorted (the first transitCount_), so that the fastest and the percentile are lookups.
  std::array<std::int32_t, kTransitWindow> transits_{};
  std::array<std::int32_t, kTransitWindow> sortedTransits_{};
  std::size_t transitCount_ = 0;
  std::size_t transitNext_ = 0;
  std::uint32_t transitBase_ = 0;

  // Depth before each pop plus the frames dropped so far, so that a drop lowers the whole window.
  std::array<std::int64_t, kDepthWindow> depths_{};
  std::size_t depthCount_ = 0;
  std::size_t depthNext_ = 0;
  std::int64_t skips_ = 0;
  std::uint32_t popsTooDeep_ = 0;  // since the excess began or the last frame was dropped

  // Concealment.
  std::array<std::int16_t, kHistorySamples> history_{};  // last played audio, newest last
  std::array<std::int16_t, kMaxPitch> cycle_{};
  std::size_t pitch_ = kMaxPitch;
  std::size_t cyclePosition_ = 0;
  std::uint32_t erased_ = 0;  // samples concealed (or silent) since the last played frame
  FrameKind lastKind_ = FrameKind::kSilence;

  JitterBufferStats stats_;
};

}  // namespace sb::media
