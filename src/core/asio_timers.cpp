#include "core/asio_timers.hpp"

namespace sb {

Timers::Clock::time_point coalescedDeadline(Timers::Clock::time_point deadline) {
  auto since = deadline.time_since_epoch();
  auto window = std::chrono::duration_cast<Timers::Clock::duration>(kCoalescing);
  auto into = since % window;
  if (into == Timers::Clock::duration::zero()) return deadline;
  return deadline + (window - into);
}

Timers::Id AsioTimers::start(std::chrono::milliseconds delay, Callback callback) {
  auto id = queue_.add(now(), delay, std::move(callback));
  rearm();
  return id;
}

void AsioTimers::rearm() {
  auto next = queue_.nextDeadline();
  if (!next) return;
  auto at = coalescedDeadline(*next);
  if (armedFor_ && *armedFor_ <= at) return;
  armedFor_ = at;
  timer_.expires_at(at);  // cancels a later wait, whose handler then sees operation_aborted
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;
    ++wakeups_;
    armedFor_.reset();
    queue_.runDue(now());
    rearm();
  });
}

}  // namespace sb
