#include "core/text.hpp"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace sb {
namespace {

TEST(ConcatTest, JoinsTextCharactersAndNumbers) {
  std::string host = "192.0.2.7";
  std::string_view transport = "UDP";
  EXPECT_EQ(
      concat("SIP/2.0/", transport, ' ', host, ':', std::uint16_t{5060}, ";branch=z9hG4bK", 42),
      "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK42");
}

TEST(ConcatTest, WritesEveryIntegerTypeInDecimalAndACharAsACharacter) {
  EXPECT_EQ(concat(std::uint8_t{0}, ' ', std::uint8_t{127}), "0 127");
  EXPECT_EQ(concat(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
  EXPECT_EQ(concat(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(concat('a', "", 'b'), "ab");
  EXPECT_EQ(concat(), "");
}

TEST(ConcatTest, AppendToKeepsWhatIsThere) {
  std::string line = "m=";
  appendTo(line, "audio ", 40000, " RTP/AVP");
  for (int pt : {0, 8, 101})
    appendTo(line, ' ', pt);
  EXPECT_EQ(line, "m=audio 40000 RTP/AVP 0 8 101");
}

}  // namespace
}  // namespace sb
