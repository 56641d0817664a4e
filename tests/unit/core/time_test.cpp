#include "core/time.hpp"

#include <gtest/gtest.h>

namespace sb {
namespace {

TEST(TimeTest, FormatsUnixSecondsAsIso8601Utc) {
  EXPECT_EQ(formatIso8601(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatIso8601(1795530466), "2026-11-24T14:27:46Z");
}

TEST(TimeTest, ManualClockMovesOnlyWhenAdvanced) {
  ManualClock clock(1000);
  EXPECT_EQ(clock.now(), 1000);
  clock.advance(std::chrono::seconds(30));
  EXPECT_EQ(clock.now(), 1030);
}

}  // namespace
}  // namespace sb
