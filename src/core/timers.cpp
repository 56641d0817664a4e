#include "core/timers.hpp"

#include <algorithm>

namespace sb {

Timers::Id TimerQueue::add(Timers::Clock::time_point now, Timers::Clock::duration delay,
                           Timers::Callback callback) {
  delay = std::max(delay, Timers::Clock::duration::zero());
  std::uint32_t index;
  if (free_.empty()) {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_.back();
    free_.pop_back();
  }
  Slot& slot = slots_[index];
  slot.callback = std::move(callback);
  slot.deadline = now + delay;
  slot.sequence = nextSequence_++;
  slot.next = kNone;
  slot.live = true;
  ++live_;

  auto* list = &*lists_.try_emplace(delay.count()).first;
  if (list->second.tail == kNone) {
    list->second.head = list->second.tail = index;
    heads_.push({slot.deadline, slot.sequence, list});
  } else {
    // Same delay, later start: never due before the tail (a clock that stepped back waits).
    slot.deadline = std::max(slot.deadline, slots_[list->second.tail].deadline);
    slots_[list->second.tail].next = index;
    list->second.tail = index;
  }
  return (static_cast<Timers::Id>(slot.generation) << 32) | index;
}

TimerQueue::Slot* TimerQueue::slotOf(Timers::Id id) {
  auto index = static_cast<std::uint32_t>(id & 0xFFFFFFFFU);
  if (index >= slots_.size()) return nullptr;
  Slot& slot = slots_[index];
  return slot.live && slot.generation == static_cast<std::uint32_t>(id >> 32) ? &slot : nullptr;
}

void TimerQueue::cancel(Timers::Id id) {
  Slot* slot = slotOf(id);
  if (slot == nullptr) return;
  slot->live = false;
  slot->callback = nullptr;
  --live_;
}

Timers::Callback TimerQueue::popEarliest() {
  Head head = heads_.top();
  heads_.pop();
  List& list = head.list->second;
  std::uint32_t index = list.head;
  Slot& slot = slots_[index];
  list.head = slot.next;
  if (list.head == kNone) {
    list.tail = kNone;
    // The usual delays keep their list; computed ones (overflow deadlines, registration
    // expiries) are not left behind by the thousand.
    if (lists_.size() > kKeptLists) lists_.erase(head.list->first);
  } else {
    const Slot& next = slots_[list.head];
    heads_.push({next.deadline, next.sequence, head.list});
  }
  auto callback = std::move(slot.callback);
  slot.callback = nullptr;
  if (slot.live) --live_;
  slot.live = false;
  ++slot.generation;
  free_.push_back(index);
  return callback;
}

void TimerQueue::dropCancelled() {
  while (!heads_.empty() && !slots_[heads_.top().list->second.head].live)
    popEarliest();
}

std::optional<Timers::Clock::time_point> TimerQueue::nextDeadline() {
  dropCancelled();
  if (heads_.empty()) return std::nullopt;
  return heads_.top().deadline;
}

std::optional<Timers::Clock::time_point> TimerQueue::nextWake(Slack slack) {
  dropCancelled();
  std::optional<Timers::Clock::time_point> wake;
  for (const auto& [delay, list] : lists_) {
    if (list.head == kNone) continue;
    auto at = slots_[list.head].deadline + slack(Timers::Clock::duration(delay));
    if (!wake || at < *wake) wake = at;
  }
  return wake;
}

void TimerQueue::runDue(Timers::Clock::time_point now) {
  for (;;) {
    dropCancelled();
    if (heads_.empty() || heads_.top().deadline > now) return;
    auto callback = popEarliest();
    callback();
  }
}

void FakeTimers::advance(std::chrono::milliseconds by) {
  auto target = now_ + by;
  while (auto next = queue_.nextDeadline()) {
    if (*next > target) break;
    now_ = std::max(now_, *next);
    queue_.runDue(now_);
  }
  now_ = target;
}

}  // namespace sb
