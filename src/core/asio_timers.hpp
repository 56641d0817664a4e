#pragma once
// Timers on an Asio io_context: one steady_timer armed for the earliest deadline of a heap, so
// a hundred thousand pending transaction timers cost a heap entry each, not a kernel timer.
// Timers fire up to kCoalescing late: at 1,000 calls/s thousands of lingering transactions'
// timers run out every second, each at its own microsecond, and re-arming the kernel timer and
// waking the loop for each of them took a sixth of the control loop's time. Deadlines are
// rounded up to a multiple of kCoalescing, so that one wake-up serves every timer due in that
// window; long timers also get a slack in proportion to their delay (slackFor).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/timers.hpp"

namespace sb {

inline constexpr std::chrono::milliseconds kCoalescing{2};

// The end of the kCoalescing window `deadline` falls in (itself when on a boundary).
Timers::Clock::time_point coalescedDeadline(Timers::Clock::time_point deadline);

// Long timers may also fire a little late, a 64th of their delay up to kMaxSlack, so that they
// share wake-ups too: every call leaves transactions that expire 32 s later, at 1,000 calls/s
// one a millisecond, and 2 ms windows still woke the idle loop 500 times a second for them.
// A retransmission after 500 ms is at most 8 ms late, a ring timeout of 30 s 100 ms.
inline constexpr std::chrono::milliseconds kMaxSlack{100};
Timers::Clock::duration slackFor(Timers::Clock::duration delay);

class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(boost::asio::io_context& io) : timer_(io) {}
  Id start(std::chrono::milliseconds delay, Callback callback) override;
  void cancel(Id id) override { queue_.cancel(id); }
  Clock::time_point now() const override { return Clock::now(); }
  std::size_t pending() const { return queue_.size(); }
  // How many times the kernel timer woke the loop.
  std::uint64_t wakeups() const { return wakeups_; }

 private:
  void armAt(Clock::time_point at);
  TimerQueue queue_;
  boost::asio::steady_timer timer_;
  std::optional<Clock::time_point> armedFor_;
  std::uint64_t wakeups_ = 0;
};

}  // namespace sb
