#include "core/asio_timers.hpp"

namespace sb {

Timers::Id AsioTimers::start(std::chrono::milliseconds delay, Callback callback) {
  auto id = queue_.add(now(), delay, std::move(callback));
  rearm();
  return id;
}

void AsioTimers::rearm() {
  auto next = queue_.nextDeadline();
  if (!next || (armedFor_ && *armedFor_ <= *next)) return;
  armedFor_ = *next;
  timer_.expires_at(*next);  // cancels a later wait, whose handler then sees operation_aborted
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;
    armedFor_.reset();
    queue_.runDue(now());
    rearm();
  });
}

}  // namespace sb
