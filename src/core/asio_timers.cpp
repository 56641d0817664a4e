#include "core/asio_timers.hpp"

#include <algorithm>

namespace sb {

Timers::Clock::time_point coalescedDeadline(Timers::Clock::time_point deadline) {
  auto since = deadline.time_since_epoch();
  auto window = std::chrono::duration_cast<Timers::Clock::duration>(kCoalescing);
  auto into = since % window;
  if (into == Timers::Clock::duration::zero()) return deadline;
  return deadline + (window - into);
}

Timers::Clock::duration slackFor(Timers::Clock::duration delay) {
  return std::clamp(delay / 64, Timers::Clock::duration::zero(),
                    std::chrono::duration_cast<Timers::Clock::duration>(kMaxSlack));
}

Timers::Id AsioTimers::start(std::chrono::milliseconds delay, Callback callback) {
  auto started = now();
  auto id = queue_.add(started, delay, std::move(callback));
  delay = std::max(delay, std::chrono::milliseconds::zero());
  armAt(coalescedDeadline(started + delay + slackFor(delay)));
  return id;
}

void AsioTimers::armAt(Clock::time_point at) {
  if (armedFor_ && *armedFor_ <= at) return;
  armedFor_ = at;
  timer_.expires_at(at);  // cancels a later wait, whose handler then sees operation_aborted
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;
    ++wakeups_;
    armedFor_.reset();
    queue_.runDue(now());
    if (auto wake = queue_.nextWake(slackFor)) armAt(coalescedDeadline(*wake));
  });
}

}  // namespace sb
