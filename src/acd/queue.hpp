#pragma once
// The waiting line of one skill group (技能组排队): who waits, in which order, for how long.
// Pure logic: time is passed in, nothing here does I/O or starts timers. Owned by `Router`
// (one per group) on the control loop; not thread-safe.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

namespace sb::acd {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using CallId = std::uint64_t;
using GroupId = std::int64_t;  // skill_groups.id in the store
using AgentId = std::int64_t;  // users.id in the store

// One caller in a queue.
struct QueueEntry {
  CallId call = 0;
  // Higher is served first (VIP callers); within one priority strictly first come, first served.
  int priority = 0;
  // Arrival order, unique across all queues of a `Router` (so calls of different groups compare).
  // Kept when the call is requeued after a ring-no-answer or moved by overflow: that is what puts
  // it back at its original position.
  std::uint64_t sequence = 0;
  // When the caller reached the ACD (the first queue): abandon and answer waits count from here.
  TimePoint arrivedAt{};
  // When the call entered this queue: the group's maximum wait counts from here, so a call that
  // overflowed into a group gets that group's full wait.
  TimePoint enteredAt{};
};

// The queue of one skill group.
//
// Order: priority descending, then `sequence` ascending. The entries are kept in an
// order-statistics tree keyed by (priority, sequence), so that enqueue, remove, requeue, the
// front and a caller's position are O(log n); a second ordered set keyed by (enteredAt,
// sequence) finds the callers over the maximum wait in O(k log n) for k of them; a hash map
// finds an entry by call id.
//
// Estimated wait (for "you are number N, your estimated wait is M minutes"): a moving average
// of the gaps between the queue's recent answers, over the last `kAnswerWindow` gaps; the
// caller at position N is estimated to wait N times that average. A gap is sampled only when
// a caller was still waiting at the previous answer: then the gap measures how fast agents
// take calls from this queue, whereas a gap after the queue ran empty measures how rarely
// callers arrive and would inflate the estimate. Until one gap is sampled there is no
// estimate (the announcement gives the position alone).
class CallQueue {
 public:
  static constexpr std::size_t kAnswerWindow = 16;

  // Adds a caller at the place its (priority, sequence) gives it. False if the call is already
  // in this queue or another caller has the same (priority, sequence) (the queue is unchanged).
  bool enqueue(const QueueEntry& entry);
  // Puts back a caller taken off with `popFront` (offer not answered): same key, so the same
  // place in the line as if it had never left.
  bool requeue(const QueueEntry& entry) { return enqueue(entry); }
  // Takes a caller out (abandon 呼损, overflow, offer); nullopt if it is not waiting here.
  std::optional<QueueEntry> remove(CallId call);
  // Takes the first caller out; nullopt if the queue is empty.
  std::optional<QueueEntry> popFront();

  // The first caller, or nullptr. Valid until the queue changes.
  const QueueEntry* front() const;
  const QueueEntry* find(CallId call) const;
  bool contains(CallId call) const { return byCall_.contains(call); }
  std::size_t size() const { return byCall_.size(); }
  bool empty() const { return byCall_.empty(); }

  // 1-based place in the line ("you are number N"), nullopt if the call is not waiting here.
  std::optional<std::size_t> position(CallId call) const;

  // Records that a caller of this queue was answered at `at` (call after the entry left the
  // queue); feeds the estimated wait.
  void recordAnswer(TimePoint at);
  // Average gap between answers while callers waited, nullopt before the first sample.
  std::optional<Clock::duration> averageAnswerGap() const;
  // Estimated wait for the caller at `position` (1-based).
  std::optional<Clock::duration> estimatedWaitAt(std::size_t position) const;
  // Estimated wait for a waiting call; nullopt if it is not here or there is no estimate yet.
  std::optional<Clock::duration> estimatedWait(CallId call) const;

  // Removes and returns, oldest first, the callers that entered this queue `maxWait` or more
  // before `now`.
  std::vector<QueueEntry> takeOverdue(TimePoint now, Clock::duration maxWait);
  // When the longest-waiting caller reaches `maxWait`, nullopt if nobody waits.
  std::optional<TimePoint> nextDeadline(Clock::duration maxWait) const;

 private:
  // (-priority, sequence): ascending order is serving order.
  struct OrderKey {
    std::int64_t negPriority;
    std::uint64_t sequence;
    bool operator<(const OrderKey& o) const {
      return negPriority != o.negPriority ? negPriority < o.negPriority : sequence < o.sequence;
    }
  };
  struct AgeKey {
    TimePoint enteredAt;
    std::uint64_t sequence;
    bool operator<(const AgeKey& o) const {
      return enteredAt != o.enteredAt ? enteredAt < o.enteredAt : sequence < o.sequence;
    }
  };
  using OrderTree = __gnu_pbds::tree<OrderKey, CallId, std::less<OrderKey>, __gnu_pbds::rb_tree_tag,
                                     __gnu_pbds::tree_order_statistics_node_update>;

  static OrderKey orderKey(const QueueEntry& e) { return {-std::int64_t{e.priority}, e.sequence}; }
  void erase(const QueueEntry& entry);

  OrderTree order_;
  std::map<AgeKey, CallId> byAge_;
  std::unordered_map<CallId, QueueEntry> byCall_;

  // Answer-gap moving average.
  std::array<Clock::duration, kAnswerWindow> gaps_{};
  std::size_t gapCount_ = 0;
  std::size_t gapNext_ = 0;
  Clock::duration gapSum_{};
  std::optional<TimePoint> lastAnswer_;
  bool backloggedAtLastAnswer_ = false;
};

}  // namespace sb::acd
