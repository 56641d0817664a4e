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

// The bookkeeping both implementations share: a heap of deadlines, cancelled entries skipped.
class TimerQueue {
 public:
  Timers::Id add(Timers::Clock::time_point deadline, Timers::Callback callback);
  void cancel(Timers::Id id) { callbacks_.erase(id); }
  // Runs every callback due at `now`, including ones that callbacks add and that are due too.
  void runDue(Timers::Clock::time_point now);
  // The earliest pending deadline, if any.
  std::optional<Timers::Clock::time_point> nextDeadline();
  std::size_t size() const { return callbacks_.size(); }

 private:
  struct Entry {
    Timers::Clock::time_point deadline;
    Timers::Id id;
    bool operator>(const Entry& other) const {
      return deadline != other.deadline ? deadline > other.deadline : id > other.id;
    }
  };
  void dropCancelled();
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  std::unordered_map<Timers::Id, Timers::Callback> callbacks_;
  Timers::Id nextId_ = 1;
};

// Time that moves only when a test says so.
class FakeTimers final : public Timers {
 public:
  Id start(std::chrono::milliseconds delay, Callback callback) override {
    return queue_.add(now_ + delay, std::move(callback));
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
