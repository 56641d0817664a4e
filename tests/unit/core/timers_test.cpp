#include "core/timers.hpp"

#include <algorithm>
#include <cstdint>
#include <random>

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

TEST(FakeTimersTest, EqualDeadlinesFireInStartOrderAcrossDelays) {
  FakeTimers timers;
  std::vector<char> fired;
  timers.start(milliseconds(200), [&] { fired.push_back('a'); });
  timers.advance(milliseconds(100));
  timers.start(milliseconds(100), [&] { fired.push_back('b'); });
  timers.start(milliseconds(0), [&] { fired.push_back('c'); });
  timers.advance(milliseconds(100));
  EXPECT_EQ(fired, (std::vector<char>{'c', 'a', 'b'}));
}

TEST(FakeTimersTest, AnIdIsNotReusedWhenItsSlotIs) {
  FakeTimers timers;
  int fired = 0;
  auto first = timers.start(milliseconds(10), [&] { ++fired; });
  timers.advance(milliseconds(10));
  auto second = timers.start(milliseconds(10), [&] { ++fired; });
  EXPECT_NE(first, second);
  timers.cancel(first);  // fired already: must not touch the timer now in its place
  EXPECT_EQ(timers.pending(), 1U);
  timers.advance(milliseconds(10));
  EXPECT_EQ(fired, 2);
}

// Many delays, some shared and some not, started while time moves and partly cancelled: what
// fires, and in which order, is what sorting by (deadline, start order) says.
TEST(FakeTimersTest, ManyTimersFireAsASortedReferenceSays) {
  FakeTimers timers;
  std::mt19937 random(7);
  struct Started {
    Timers::Clock::time_point deadline;
    int order;
    Timers::Id id;
    bool cancelled = false;
  };
  std::vector<Started> started;
  std::vector<int> fired;
  const milliseconds common[] = {milliseconds(500), milliseconds(32000), milliseconds(5000)};
  for (int i = 0; i < 3000; ++i) {
    milliseconds delay = random() % 2 == 0 ? common[random() % 3] : milliseconds(random() % 40000);
    auto id = timers.start(delay, [&fired, i] { fired.push_back(i); });
    started.push_back({timers.now() + delay, i, id});
    if (random() % 4 == 0) {
      auto& victim = started[random() % started.size()];
      timers.cancel(victim.id);
      if (victim.deadline > timers.now()) victim.cancelled = true;
    }
    timers.advance(milliseconds(random() % 20));
  }
  auto firedBefore = fired.size();
  timers.advance(milliseconds(100000));
  EXPECT_EQ(timers.pending(), 0U);

  std::vector<Started> expected;
  for (const auto& s : started) {
    if (!s.cancelled) expected.push_back(s);
  }
  std::stable_sort(expected.begin(), expected.end(), [](const Started& a, const Started& b) {
    return a.deadline != b.deadline ? a.deadline < b.deadline : a.order < b.order;
  });
  ASSERT_EQ(fired.size(), expected.size());
  ASSERT_GT(firedBefore, 0U);
  for (std::size_t i = 0; i < fired.size(); ++i)
    ASSERT_EQ(fired[i], expected[i].order) << "at " << i;
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

TEST(AsioTimersTest, DeadlinesRoundUpToTheEndOfTheirWindow) {
  using Clock = Timers::Clock;
  auto window = std::chrono::duration_cast<Clock::duration>(kCoalescing);
  auto boundary = Clock::time_point(window * 1000);
  EXPECT_EQ(coalescedDeadline(boundary), boundary);
  EXPECT_EQ(coalescedDeadline(boundary + Clock::duration(1)), boundary + window);
  EXPECT_EQ(coalescedDeadline(boundary + window - Clock::duration(1)), boundary + window);
  EXPECT_EQ(coalescedDeadline(boundary + window), boundary + window);
}

// Starts a timer for every whole millisecond in [first, last) on a loop of its own and runs
// them all: how many times the kernel timer woke the loop. Fails when one fired early or not.
std::uint64_t wakeUpsFor(int first, int last) {
  boost::asio::io_context io;
  AsioTimers timers(io);
  auto started = timers.now();
  int count = 0;
  bool early = false;
  for (int ms = first; ms < last; ++ms) {
    timers.start(milliseconds(ms), [&, ms] {
      ++count;
      early = early || timers.now() < started + milliseconds(ms);
    });
  }
  io.run();
  EXPECT_EQ(count, last - first);
  EXPECT_FALSE(early);
  return timers.wakeups();
}

TEST(AsioTimersTest, NeverFireEarlyAndShareWakeUps) {
  // Forty timers a millisecond apart: without coalescing each would wake the loop.
  EXPECT_LE(wakeUpsFor(1, 41), 40 / (kCoalescing / milliseconds(1)) + 1);
}

TEST(AsioTimersTest, SlackGrowsWithTheDelayUpToItsCap) {
  using std::chrono::duration_cast;
  using Duration = Timers::Clock::duration;
  EXPECT_EQ(slackFor(Duration::zero()), Duration::zero());
  EXPECT_EQ(slackFor(duration_cast<Duration>(milliseconds(640))),
            duration_cast<Duration>(milliseconds(10)));
  EXPECT_EQ(slackFor(duration_cast<Duration>(milliseconds(32000))),
            duration_cast<Duration>(kMaxSlack));
}

TEST(AsioTimersTest, LongTimersShareWakeUpsWithinTheirSlack) {
  // Fifty timers a millisecond apart, each allowed 10 ms late: 2 ms windows alone would wake
  // the loop 25 times.
  EXPECT_LE(wakeUpsFor(640, 690), 50 / 10 + 2);
}

}  // namespace
}  // namespace sb
