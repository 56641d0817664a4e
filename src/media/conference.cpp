#include "media/conference.hpp"

#include <algorithm>

namespace sb::media {
namespace {

constexpr std::array<std::int16_t, kFrameSamples> kSilentFrame{};

}  // namespace

Conference::Conference(std::size_t maxParticipants) : participants_(maxParticipants) {
  whisperers_.reserve(maxParticipants);
}

std::size_t Conference::find(ParticipantId id) const {
  for (std::size_t i = 0; i < participants_.size(); ++i) {
    if (participants_[i].present && participants_[i].id == id) return i;
  }
  return kNone;
}

bool Conference::add(ParticipantId id, ParticipantMode mode) {
  if (find(id) != kNone) return false;
  for (Participant& p : participants_) {
    if (p.present) continue;
    p = Participant{};
    p.present = true;
    p.id = id;
    p.mode = mode;
    ++size_;
    return true;
  }
  return false;
}

bool Conference::remove(ParticipantId id) {
  const std::size_t index = find(id);
  if (index == kNone) return false;
  participants_[index].present = false;
  participants_[index].hasInput = false;
  for (Participant& p : participants_) {
    if (p.whisperTarget == index) p.whisperTarget = kNone;
  }
  --size_;
  return true;
}

bool Conference::setMode(ParticipantId id, ParticipantMode mode) {
  const std::size_t index = find(id);
  if (index == kNone) return false;
  participants_[index].mode = mode;
  return true;
}

bool Conference::setWhisperTarget(ParticipantId whisperer, ParticipantId target) {
  const std::size_t from = find(whisperer);
  const std::size_t to = find(target);
  if (from == kNone || to == kNone || from == to) return false;
  participants_[from].whisperTarget = to;
  return true;
}

bool Conference::setInput(ParticipantId id, Frame frame) {
  const std::size_t index = find(id);
  if (index == kNone) return false;
  Participant& p = participants_[index];
  std::copy(frame.begin(), frame.end(), p.input.begin());
  p.hasInput = true;
  return true;
}

std::optional<ParticipantMode> Conference::mode(ParticipantId id) const {
  const std::size_t index = find(id);
  if (index == kNone) return std::nullopt;
  return participants_[index].mode;
}

void Conference::mix() {
  clearMix(sum_);
  whisperers_.clear();  // keeps its capacity: no allocation
  for (std::size_t i = 0; i < participants_.size(); ++i) {
    const Participant& p = participants_[i];
    if (!p.present || !p.hasInput) continue;
    if (p.mode == ParticipantMode::kFull) {
      addToMix(sum_, p.input);
    } else if (p.mode == ParticipantMode::kWhisper && p.whisperTarget != kNone) {
      whisperers_.push_back(i);
    }
  }

  for (std::size_t i = 0; i < participants_.size(); ++i) {
    Participant& p = participants_[i];
    if (!p.present) continue;
    std::span<const std::int32_t> heard = sum_;
    bool whispered = false;
    for (const std::size_t w : whisperers_) {
      if (participants_[w].whisperTarget != i) continue;
      if (!whispered) std::copy(sum_.begin(), sum_.end(), withWhispers_.begin());
      whispered = true;
      addToMix(withWhispers_, participants_[w].input);
    }
    if (whispered) heard = withWhispers_;
    // Only a kFull participant's input is in the sum, so only it has itself to take out.
    const bool inSum = p.hasInput && p.mode == ParticipantMode::kFull;
    mixMinus(heard,
             inSum ? std::span<const std::int16_t>{p.input} : std::span<const std::int16_t>{},
             p.output);
  }

  for (Participant& p : participants_)
    p.hasInput = false;
}

Conference::Frame Conference::output(ParticipantId id) const {
  const std::size_t index = find(id);
  if (index == kNone) return kSilentFrame;
  return participants_[index].output;
}

}  // namespace sb::media
