#pragma once
// Timers for protocol state machines (SIP transactions, ring timeouts, ...), injected so that
// tests move time by hand: a 32 s timeout runs in microseconds. Single-threaded: call on the
// loop that owns the timers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

namespace sb {

class Timers {
 public:
  using Clock = std::chrono::steady_clock;
  using Id = std::uint64_t;
  using Callback = std::function<void()>;

  virtual ~Timers() = default;
  // Runs `callback` once, `delay` from now. Ids are never reused.
  virtual Id start(std::chrono::milliseconds delay, Callback callback) = 0;
  // Stops a timer; nothing happens if it fired or was cancelled already.
  virtual void cancel(Id id) = 0;
  virtual Clock::time_point now() const = 0;
};

// The bookkeeping both implementations share. Timers with the same delay are due in the order
// they were started (time only moves forward), so each delay keeps a FIFO list and only the
// lists' heads are ordered in a heap: starting and firing a timer cost O(1) plus a heap of a few
// entries, whatever the number of pending timers. Callbacks live in a slab of slots; a cancelled
// timer gives back its callback at once and its slot when its list reaches it.
class TimerQueue {
 public:
  Timers::Id add(Timers::Clock::time_point now, Timers::Clock::duration delay,
                 Timers::Callback callback);
  void cancel(Timers::Id id);
  // Runs every callback due at `now`, including ones that callbacks add and that are due too.
  void runDue(Timers::Clock::time_point now);
  // The earliest pending deadline, if any.
  std::optional<Timers::Clock::time_point> nextDeadline();
  // When a loop that lets a timer of delay d fire up to slack(d) late must wake at the latest:
  // the earliest first deadline of a delay's list plus that delay's slack.
  using Slack = Timers::Clock::duration (*)(Timers::Clock::duration delay);
  std::optional<Timers::Clock::time_point> nextWake(Slack slack);
  std::size_t size() const { return live_; }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  static constexpr std::size_t kKeptLists = 64;
  struct Slot {
    Timers::Callback callback;
    Timers::Clock::time_point deadline;
    std::uint64_t sequence = 0;    // start order, for equal deadlines
    std::uint32_t next = kNone;    // the next slot in its delay's list
    std::uint32_t generation = 1;  // the id's upper half; bumped when the slot is freed
    bool live = false;             // started, not fired or cancelled yet
  };
  struct List {
    std::uint32_t head = kNone;
    std::uint32_t tail = kNone;
  };
  using Lists = std::unordered_map<Timers::Clock::duration::rep, List>;
  struct Head {
    Timers::Clock::time_point deadline;
    std::uint64_t sequence;
    Lists::value_type* list;  // nodes keep their address when the map rehashes
    bool operator>(const Head& other) const {
      return deadline != other.deadline ? deadline > other.deadline : sequence > other.sequence;
    }
  };
  // Unlinks the first slot of the earliest list, re-queues that list's next slot, and frees
  // the slot (moving out its callback, returned).
  Timers::Callback popEarliest();
  void dropCancelled();
  Slot* slotOf(Timers::Id id);

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  Lists lists_;
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads_;
  std::uint64_t nextSequence_ = 0;
  std::size_t live_ = 0;
};

// Time that moves only when a test says so.
class FakeTimers final : public Timers {
 public:
  Id start(std::chrono::milliseconds delay, Callback callback) override {
    return queue_.add(now_, delay, std::move(callback));
  }
  void cancel(Id id) override { queue_.cancel(id); }
  Clock::time_point now() const override { return now_; }
  // Moves time forward, firing what falls due on the way, in deadline order.
  void advance(std::chrono::milliseconds by);
  std::size_t pending() const { return queue_.size(); }

 private:
  Clock::time_point now_{};
  TimerQueue queue_;
};

}  // namespace sb
