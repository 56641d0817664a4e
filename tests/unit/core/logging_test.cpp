#include "core/logging.hpp"

#include <gtest/gtest.h>

namespace sb {
namespace {

TEST(LoggableTest, ControlCharactersAndQuotesAreEscaped) {
  EXPECT_EQ(loggable("1001\n2026-01-01 info forged line"), "1001\\x0a2026-01-01 info forged line");
  EXPECT_EQ(loggable("a\"b\\c"), "a\\x22b\\x5cc");
  EXPECT_EQ(loggable("温平"), "温平");
}

TEST(LoggableTest, LongInputIsCut) {
  EXPECT_EQ(loggable(std::string(100, 'a'), 10), "aaaaaaaaaa...");
}

TEST(LogLevelTest, KnownNamesParseOthersDoNot) {
  EXPECT_EQ(parseLogLevel("debug"), spdlog::level::debug);
  EXPECT_EQ(parseLogLevel("warning"), spdlog::level::warn);
  EXPECT_FALSE(parseLogLevel("loud"));
}

}  // namespace
}  // namespace sb
