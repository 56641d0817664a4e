#pragma once
// Timers on an Asio io_context: one steady_timer armed for the earliest deadline of a heap, so
// a hundred thousand pending transaction timers cost a heap entry each, not a kernel timer.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/timers.hpp"

namespace sb {

class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(boost::asio::io_context& io) : timer_(io) {}
  Id start(std::chrono::milliseconds delay, Callback callback) override;
  void cancel(Id id) override { queue_.cancel(id); }
  Clock::time_point now() const override { return Clock::now(); }
  std::size_t pending() const { return queue_.size(); }

 private:
  void rearm();
  TimerQueue queue_;
  boost::asio::steady_timer timer_;
  std::optional<Clock::time_point> armedFor_;
};

}  // namespace sb
