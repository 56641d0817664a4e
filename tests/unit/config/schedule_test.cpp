#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace sb::config {
namespace {

using namespace std::chrono_literals;
namespace chr = std::chrono;

// Seconds since the epoch of a UTC date and time.
UnixSeconds utc(int y, unsigned m, unsigned d, int h = 0, int min = 0, int s = 0) {
  auto day = chr::sys_days{chr::year{y} / chr::month{m} / chr::day{d}};
  return (chr::sys_seconds{day} + chr::hours{h} + chr::minutes{min} + chr::seconds{s})
      .time_since_epoch()
      .count();
}

// A schedule read from the [[schedules]] table `body` (after its name).
ScheduleConfig schedule(const std::string& body) {
  auto c = parseConfig("[[schedules]]\nname = \"s\"\n" + body, "/etc/sb",
                       [](const std::string&) { return std::optional<std::string>(); });
  EXPECT_TRUE(c.ok()) << c.error().field << ": " << c.error().message;
  if (!c.ok() || c->schedules.empty()) return {};
  return c->schedules.front();
}

// Sets TZ for one test and puts the old value back.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTimeZone() {
    if (old_) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  ScopedTimeZone(const ScopedTimeZone&) = delete;
  ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

 private:
  std::optional<std::string> old_;
};

// 2026-01-05 is a Monday.
TEST(IsOpenTest, TheStartIsInsideAndTheEndOutside) {
  auto s = schedule("utc_offset = \"+00:00\"\nhours = [\"mon 09:00-18:00\"]\n");
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 5, 8, 59, 59)));
  EXPECT_TRUE(isOpen(s, utc(2026, 1, 5, 9, 0, 0)));
  EXPECT_TRUE(isOpen(s, utc(2026, 1, 5, 17, 59, 59)));
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 5, 18, 0, 0)));
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 6, 9, 0, 0)));   // Tuesday
  EXPECT_TRUE(isOpen(s, utc(2026, 1, 12, 9, 30, 0)));  // the next Monday
}

TEST(IsOpenTest, TwentyFourHundredRunsToMidnight) {
  auto s = schedule("utc_offset = \"+00:00\"\nhours = [\"sun 00:00-24:00\"]\n");
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 10, 23, 59, 59)));  // Saturday
  EXPECT_TRUE(isOpen(s, utc(2026, 1, 11, 0, 0, 0)));      // Sunday
  EXPECT_TRUE(isOpen(s, utc(2026, 1, 11, 23, 59, 59)));
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 12, 0, 0, 0)));  // Monday
}

TEST(IsOpenTest, DayRangesAndListsCoverTheirDays) {
  auto s = schedule(
      "utc_offset = \"+00:00\"\nhours = [\"mon-fri 09:00-18:00\", \"sat,sun 10:00-12:30\"]\n");
  for (unsigned d = 5; d <= 9; ++d) {  // Monday to Friday
    EXPECT_TRUE(isOpen(s, utc(2026, 1, d, 9, 0))) << d;
    EXPECT_FALSE(isOpen(s, utc(2026, 1, d, 10, 0) - 2 * 3600 + 1799)) << d;  // 08:29:59
    EXPECT_FALSE(isOpen(s, utc(2026, 1, d, 18, 0))) << d;
  }
  for (unsigned d = 10; d <= 11; ++d) {  // Saturday, Sunday
    EXPECT_FALSE(isOpen(s, utc(2026, 1, d, 9, 0))) << d;
    EXPECT_TRUE(isOpen(s, utc(2026, 1, d, 12, 29, 59))) << d;
    EXPECT_FALSE(isOpen(s, utc(2026, 1, d, 12, 30))) << d;
  }
  auto lunch =
      schedule("utc_offset = \"+00:00\"\nhours = [\"mon 09:00-12:00\", \"mon 13:00-18:00\"]\n");
  EXPECT_TRUE(isOpen(lunch, utc(2026, 1, 5, 11, 59)));
  EXPECT_FALSE(isOpen(lunch, utc(2026, 1, 5, 12, 30)));
  EXPECT_TRUE(isOpen(lunch, utc(2026, 1, 5, 13, 0)));
}

TEST(IsOpenTest, AnEasternOffsetOpensBeforeMidnightUtc) {
  // Monday 07:00-09:00 in Beijing is Sunday 23:00 to Monday 01:00 UTC.
  auto s = schedule("utc_offset = \"+08:00\"\nhours = [\"mon 07:00-09:00\"]\n");
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 4, 22, 59, 59)));
  EXPECT_TRUE(isOpen(s, utc(2026, 1, 4, 23, 0, 0)));  // Sunday in UTC, Monday there
  EXPECT_TRUE(isOpen(s, utc(2026, 1, 5, 0, 59, 59)));
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 5, 1, 0, 0)));
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 5, 7, 30, 0)));  // 07:30 UTC is 15:30 there
}

TEST(IsOpenTest, AWesternOffsetClosesAfterMidnightUtc) {
  // Monday 20:00-24:00 at -05:30 is Tuesday 01:30 to 05:30 UTC.
  auto s = schedule("utc_offset = \"-05:30\"\nhours = [\"mon 20:00-24:00\"]\n");
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 5, 20, 0)));
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 6, 1, 29, 59)));
  EXPECT_TRUE(isOpen(s, utc(2026, 1, 6, 1, 30)));
  EXPECT_TRUE(isOpen(s, utc(2026, 1, 6, 5, 29, 59)));
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 6, 5, 30)));
}

TEST(IsOpenTest, HolidaysCloseTheWholeDayInTheScheduleTimeZone) {
  auto s = schedule(
      "utc_offset = \"+08:00\"\nhours = [\"mon-sun 00:00-24:00\"]\n"
      "holidays = [\"2026-09-25\", \"2026-10-01..2026-10-07\"]\n");
  // 2026-10-01 00:00 in Beijing is 2026-09-30 16:00 UTC.
  EXPECT_TRUE(isOpen(s, utc(2026, 9, 30, 15, 59, 59)));
  EXPECT_FALSE(isOpen(s, utc(2026, 9, 30, 16, 0, 0)));
  for (unsigned d = 1; d <= 6; ++d)
    EXPECT_FALSE(isOpen(s, utc(2026, 10, d, 3, 0))) << d;
  EXPECT_FALSE(isOpen(s, utc(2026, 10, 7, 15, 59, 59)));  // the range's last day, 23:59:59
  EXPECT_TRUE(isOpen(s, utc(2026, 10, 7, 16, 0, 0)));     // 2026-10-08 00:00 there
  EXPECT_FALSE(isOpen(s, utc(2026, 9, 25, 12, 0)));       // a single date
  EXPECT_TRUE(isOpen(s, utc(2026, 9, 26, 12, 0)));
  EXPECT_TRUE(isOpen(s, utc(2025, 10, 1, 12, 0)));  // the same day another year
}

TEST(IsOpenTest, WithoutHoursAScheduleIsNeverOpen) {
  ScheduleConfig s;
  s.utcOffsetMinutes = 0;
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 5, 12, 0)));
  s.holidays = {"2026-01-06"};
  EXPECT_FALSE(isOpen(s, utc(2026, 1, 5, 12, 0)));
  s.hours = {WeeklyHours{0, 0, 1440}};
  EXPECT_TRUE(isOpen(s, utc(2026, 1, 5, 12, 0)));
}

TEST(IsOpenTest, WithoutAnOffsetTheServerTimeZoneCounts) {
  auto s = schedule("hours = [\"mon 09:00-18:00\"]\nholidays = [\"2026-01-12\"]\n");
  {
    ScopedTimeZone beijing("CST-8");  // POSIX: 8 hours east of UTC, no summer time
    EXPECT_FALSE(isOpen(s, utc(2026, 1, 5, 0, 59, 59)));
    EXPECT_TRUE(isOpen(s, utc(2026, 1, 5, 1, 0)));  // 09:00 there
    EXPECT_TRUE(isOpen(s, utc(2026, 1, 5, 9, 59, 59)));
    EXPECT_FALSE(isOpen(s, utc(2026, 1, 5, 10, 0)));
    EXPECT_FALSE(isOpen(s, utc(2026, 1, 12, 1, 0)));  // a holiday there
  }
  {
    ScopedTimeZone utcZone("UTC0");
    EXPECT_FALSE(isOpen(s, utc(2026, 1, 5, 1, 0)));
    EXPECT_TRUE(isOpen(s, utc(2026, 1, 5, 9, 0)));
  }
  {
    // New York: summer time from 2026-03-08, so 09:00 is 14:00 UTC before and 13:00 after.
    ScopedTimeZone newYork("EST5EDT,M3.2.0,M11.1.0");
    EXPECT_FALSE(isOpen(s, utc(2026, 3, 2, 13, 59, 59)));
    EXPECT_TRUE(isOpen(s, utc(2026, 3, 2, 14, 0)));
    EXPECT_FALSE(isOpen(s, utc(2026, 3, 9, 12, 59, 59)));
    EXPECT_TRUE(isOpen(s, utc(2026, 3, 9, 13, 0)));
  }
}

TEST(IsOpenTest, TheTimeZoneIsRestoredAfterATest) {
  const char* before = std::getenv("TZ");
  std::optional<std::string> saved = before ? std::optional<std::string>(before) : std::nullopt;
  { ScopedTimeZone zone("CST-8"); }
  const char* after = std::getenv("TZ");
  EXPECT_EQ(saved.has_value(), after != nullptr);
  if (saved && after) {
    EXPECT_EQ(*saved, after);
  }
}

}  // namespace
}  // namespace sb::config
