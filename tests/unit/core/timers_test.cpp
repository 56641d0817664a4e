#include "core/timers.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "core/asio_timers.hpp"

namespace sb {
namespace {

using std::chrono::milliseconds;

TEST(FakeTimersTest, FireInDeadlineOrderWhenTimeMoves) {
  FakeTimers timers;
  std::vector<int> fired;
  timers.start(milliseconds(300), [&] { fired.push_back(3); });
  timers.start(milliseconds(100), [&] { fired.push_back(1); });
  timers.start(milliseconds(200), [&] { fired.push_back(2); });
  timers.advance(milliseconds(150));
  EXPECT_EQ(fired, (std::vector<int>{1}));
  timers.advance(milliseconds(1000));
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
}

TEST(FakeTimersTest, CancelledTimersDoNotFire) {
  FakeTimers timers;
  bool fired = false;
  auto id = timers.start(milliseconds(10), [&] { fired = true; });
  timers.cancel(id);
  timers.advance(milliseconds(100));
  EXPECT_FALSE(fired);
  EXPECT_EQ(timers.pending(), 0U);
}

TEST(FakeTimersTest, TimersStartedByCallbacksFireWithinTheSameAdvance) {
  FakeTimers timers;
  std::vector<Timers::Clock::duration> at;
  auto origin = timers.now();
  std::function<void()> again = [&] {
    at.push_back(timers.now() - origin);
    if (at.size() < 4) timers.start(milliseconds(500), again);
  };
  timers.start(milliseconds(500), again);
  timers.advance(milliseconds(1999));
  ASSERT_EQ(at.size(), 3U);
  EXPECT_EQ(at[2], milliseconds(1500));
  timers.advance(milliseconds(1));
  EXPECT_EQ(at.size(), 4U);
}

TEST(AsioTimersTest, FireOnTheLoopInOrder) {
  boost::asio::io_context io;
  AsioTimers timers(io);
  std::vector<int> fired;
  timers.start(milliseconds(30), [&] { fired.push_back(2); });
  auto cancelled = timers.start(milliseconds(20), [&] { fired.push_back(99); });
  timers.start(milliseconds(10), [&] { fired.push_back(1); });
  timers.cancel(cancelled);
  io.run();
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
}

}  // namespace
}  // namespace sb
