#include "api/byte_range.hpp"

#include <gtest/gtest.h>

namespace sb::api {
namespace {

using Kind = RangeRequest::Kind;

// "first-last" for a partial answer, "whole" or "416".
std::string describe(std::string_view header, std::uint64_t size) {
  auto r = resolveRange(header, size);
  switch (r.kind) {
    case Kind::kWhole:
      return "whole";
    case Kind::kUnsatisfiable:
      return "416";
    case Kind::kPartial:
      return std::to_string(r.range.first) + "-" + std::to_string(r.range.last);
  }
  return "?";
}

TEST(ByteRangeTest, OneRangeInEachForm) {
  EXPECT_EQ(describe("bytes=0-99", 1000), "0-99");
  EXPECT_EQ(describe("bytes=500-", 1000), "500-999");
  EXPECT_EQ(describe("bytes=-100", 1000), "900-999");
  EXPECT_EQ(describe("Bytes= 10 - 19 ", 1000), "10-19");
  EXPECT_EQ(describe("bytes=0-0", 1), "0-0");
}

TEST(ByteRangeTest, RangesPastTheEndAreClamped) {
  EXPECT_EQ(describe("bytes=900-5000", 1000), "900-999");
  EXPECT_EQ(describe("bytes=-5000", 1000), "0-999");
  EXPECT_EQ(describe("bytes=0-99999999999999999999999", 1000), "0-999");
  EXPECT_EQ(describe("bytes=-99999999999999999999999", 1000), "0-999");
}

TEST(ByteRangeTest, RangesStartingPastTheEndAreUnsatisfiable) {
  EXPECT_EQ(describe("bytes=1000-", 1000), "416");
  EXPECT_EQ(describe("bytes=1000-2000", 1000), "416");
  EXPECT_EQ(describe("bytes=99999999999999999999999-", 1000), "416");
  EXPECT_EQ(describe("bytes=-0", 1000), "416");
  EXPECT_EQ(describe("bytes=0-", 0), "416");
  EXPECT_EQ(describe("bytes=-5", 0), "416");
}

TEST(ByteRangeTest, WhatCannotBeUsedIsIgnored) {
  for (auto header : {"", "bytes", "bytes=", "bytes=-", "bytes=5-1", "bytes=a-b", "bytes=1-2-3",
                      "items=0-9", "bytes=0-1,5-6", "bytes=0-1, ", "bytes=+1-2", "bytes 0-1"}) {
    EXPECT_EQ(describe(header, 1000), "whole") << header;
  }
}

TEST(ByteRangeTest, ContentRangeNamesTheRangeAndTheSize) {
  EXPECT_EQ(contentRange({2, 5}, 10), "bytes 2-5/10");
  EXPECT_EQ((ByteRange{2, 5}.length()), 4U);
}

}  // namespace
}  // namespace sb::api
