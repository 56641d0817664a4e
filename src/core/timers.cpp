#include "core/timers.hpp"

namespace sb {

Timers::Id TimerQueue::add(Timers::Clock::time_point deadline, Timers::Callback callback) {
  Timers::Id id = nextId_++;
  heap_.push({deadline, id});
  callbacks_.emplace(id, std::move(callback));
  return id;
}

void TimerQueue::dropCancelled() {
  while (!heap_.empty() && !callbacks_.contains(heap_.top().id))
    heap_.pop();
}

std::optional<Timers::Clock::time_point> TimerQueue::nextDeadline() {
  dropCancelled();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().deadline;
}

void TimerQueue::runDue(Timers::Clock::time_point now) {
  for (;;) {
    dropCancelled();
    if (heap_.empty() || heap_.top().deadline > now) return;
    auto id = heap_.top().id;
    heap_.pop();
    auto it = callbacks_.find(id);
    auto callback = std::move(it->second);
    callbacks_.erase(it);
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
