#include "acd/queue.hpp"

namespace sb::acd {

bool CallQueue::enqueue(const QueueEntry& entry) {
  if (byCall_.contains(entry.call)) return false;
  auto [it, inserted] = order_.insert({orderKey(entry), entry.call});
  if (!inserted) return false;
  byAge_.emplace(AgeKey{entry.enteredAt, entry.sequence}, entry.call);
  byCall_.emplace(entry.call, entry);
  return true;
}

void CallQueue::erase(const QueueEntry& entry) {
  order_.erase(orderKey(entry));
  byAge_.erase(AgeKey{entry.enteredAt, entry.sequence});
  byCall_.erase(entry.call);
}

std::optional<QueueEntry> CallQueue::remove(CallId call) {
  auto it = byCall_.find(call);
  if (it == byCall_.end()) return std::nullopt;
  QueueEntry entry = it->second;
  erase(entry);
  return entry;
}

std::optional<QueueEntry> CallQueue::popFront() {
  if (order_.empty()) return std::nullopt;
  return remove(order_.begin()->second);
}

const QueueEntry* CallQueue::front() const {
  if (order_.empty()) return nullptr;
  return &byCall_.find(order_.begin()->second)->second;
}

const QueueEntry* CallQueue::find(CallId call) const {
  auto it = byCall_.find(call);
  return it == byCall_.end() ? nullptr : &it->second;
}

std::optional<std::size_t> CallQueue::position(CallId call) const {
  auto it = byCall_.find(call);
  if (it == byCall_.end()) return std::nullopt;
  return order_.order_of_key(orderKey(it->second)) + 1;
}

void CallQueue::recordAnswer(TimePoint at) {
  if (lastAnswer_ && backloggedAtLastAnswer_ && at >= *lastAnswer_) {
    Clock::duration gap = at - *lastAnswer_;
    if (gapCount_ == kAnswerWindow) {
      gapSum_ -= gaps_[gapNext_];
    } else {
      ++gapCount_;
    }
    gaps_[gapNext_] = gap;
    gapSum_ += gap;
    gapNext_ = (gapNext_ + 1) % kAnswerWindow;
  }
  lastAnswer_ = at;
  backloggedAtLastAnswer_ = !empty();
}

std::optional<Clock::duration> CallQueue::averageAnswerGap() const {
  if (gapCount_ == 0) return std::nullopt;
  return gapSum_ / static_cast<Clock::rep>(gapCount_);
}

std::optional<Clock::duration> CallQueue::estimatedWaitAt(std::size_t position) const {
  auto gap = averageAnswerGap();
  if (!gap) return std::nullopt;
  return *gap * static_cast<Clock::rep>(position);
}

std::optional<Clock::duration> CallQueue::estimatedWait(CallId call) const {
  auto pos = position(call);
  if (!pos) return std::nullopt;
  return estimatedWaitAt(*pos);
}

std::vector<QueueEntry> CallQueue::takeOverdue(TimePoint now, Clock::duration maxWait) {
  std::vector<QueueEntry> overdue;
  while (!byAge_.empty() && byAge_.begin()->first.enteredAt + maxWait <= now) {
    QueueEntry entry = byCall_.find(byAge_.begin()->second)->second;
    erase(entry);
    overdue.push_back(entry);
  }
  return overdue;
}

std::optional<TimePoint> CallQueue::nextDeadline(Clock::duration maxWait) const {
  if (byAge_.empty()) return std::nullopt;
  return byAge_.begin()->first.enteredAt + maxWait;
}

}  // namespace sb::acd
