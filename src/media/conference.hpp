#pragma once
// An N-party conference mixed frame by frame, with the call-center participant modes: a
// supervisor monitoring a call (listen-only, 监听), coaching the agent (whisper, 耳语), and the
// agent's mute (静音).
//
// Each tick the worker gives every participant's 20 ms of decoded audio (setInput; a participant
// without input this tick is silent), calls mix() once, then reads each participant's output.
// What a participant hears:
//
//   mode         talks to                     hears
//   kFull        everyone                     every kFull participant but itself, plus the
//   kListenOnly  nobody                       whisperers aimed at it
//   kMuted       nobody
//   kWhisper     its whisper target only      (same rule)
//
// So nobody ever hears itself, a listen-only supervisor hears the customer and the agent, a
// coaching supervisor is heard by the agent and not by the customer, and a muted agent still
// hears the customer.
//
// Mixing follows dsp.hpp: one int32 sum of the kFull inputs, then per participant the sum minus
// its own input plus its whisperers' input, saturated to int16 once at the end (no intermediate
// clipping, no wrap-around).
//
// Per-frame path: storage for `maxParticipants` is allocated at construction; add, remove,
// setMode, setInput, mix and output never allocate, lock or throw. Threads: not synchronised; a
// conference belongs to the media worker that owns its legs.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "media/dsp.hpp"

namespace sb::media {

using ParticipantId = std::uint64_t;

enum class ParticipantMode : std::uint8_t {
  kFull,        // talks and listens
  kListenOnly,  // supervisor monitoring: hears everyone, heard by none
  kWhisper,     // supervisor coaching: heard only by its whisper target, hears everyone
  kMuted,       // the agent's mute: hears everyone, heard by none
};

class Conference {
 public:
  static constexpr std::size_t kDefaultMaxParticipants = 16;
  using Frame = std::span<const std::int16_t, kFrameSamples>;

  explicit Conference(std::size_t maxParticipants = kDefaultMaxParticipants);

  // False when the id is already in or the conference is full.
  bool add(ParticipantId id, ParticipantMode mode = ParticipantMode::kFull);
  // False when the id is not in. Whisperers aimed at it are then heard by nobody until given a
  // new target.
  bool remove(ParticipantId id);
  // Takes effect at the next mix(). False when the id is not in.
  bool setMode(ParticipantId id, ParticipantMode mode);
  // Whom `whisperer` is heard by while in kWhisper mode (kept across mode changes). False when
  // either is not in or they are the same participant. Without a target a whisperer is heard by
  // nobody.
  bool setWhisperTarget(ParticipantId whisperer, ParticipantId target);

  // This tick's audio from the participant, copied. False when the id is not in.
  bool setInput(ParticipantId id, Frame frame);

  // Mixes this tick's inputs into every participant's output and consumes the inputs.
  void mix();

  // What the participant hears, from the last mix(); the view stays valid for the conference's
  // lifetime and its contents change at the next mix(). Silence for an id that is not in (or was
  // added since the last mix()).
  Frame output(ParticipantId id) const;

  std::optional<ParticipantMode> mode(ParticipantId id) const;
  bool contains(ParticipantId id) const { return find(id) != kNone; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return participants_.size(); }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  struct Participant {
    bool present = false;
    bool hasInput = false;
    ParticipantMode mode = ParticipantMode::kFull;
    ParticipantId id = 0;
    std::size_t whisperTarget = kNone;  // index into participants_
    std::array<std::int16_t, kFrameSamples> input{};
    std::array<std::int16_t, kFrameSamples> output{};
  };

  std::size_t find(ParticipantId id) const;

  std::vector<Participant> participants_;
  std::vector<std::size_t> whisperers_;  // scratch for mix(), reserved at construction
  std::size_t size_ = 0;
  std::array<std::int32_t, kFrameSamples> sum_{};
  std::array<std::int32_t, kFrameSamples> withWhispers_{};
};

}  // namespace sb::media
