// The legs column's JSON: what the store writes reads back exactly, what SQLite's own JSON
// functions write (the schema 7 migration) reads too, and anything else is refused, not guessed.

#include "store/legs_json.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "call_record_samples.hpp"

namespace sb::store {
namespace {

TEST(LegsJsonTest, LegsComeBackExactly) {
  auto legs = fullRecord().legs;
  legs[0].party = "\"quoted\" back\\slash\ttab\x01\x1f 售后 'single' /";
  legs[0].sipCallId = std::string("nul\0inside", 10);
  legs[1].mos = 4.123456789012345;
  legs[1].jitterMs = 1e-7;
  legs[1].packetsReceived = std::numeric_limits<std::uint64_t>::max();
  legs[1].startedAt = std::numeric_limits<std::int64_t>::min();
  legs.push_back({});
  auto json = legsToJson(legs);
  auto back = legsFromJson(json);
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << json;
  EXPECT_EQ(*back, legs) << json;
}

TEST(LegsJsonTest, NoLegsIsAnEmptyArray) {
  EXPECT_EQ(legsToJson({}), "[]");
  auto back = legsFromJson(" [ ] ");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->empty());
}

TEST(LegsJsonTest, ValuesWithoutAFiniteNumberAreWrittenAsNullAndReadAsZero) {
  CallLegRecord leg;
  leg.mos = std::nan("");
  leg.jitterMs = std::numeric_limits<double>::infinity();
  auto json = legsToJson({leg});
  EXPECT_NE(json.find("\"mos\":null"), std::string::npos) << json;
  auto back = legsFromJson(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ((*back)[0].mos, 0.0);
  EXPECT_EQ((*back)[0].jitterMs, 0.0);
}

TEST(LegsJsonTest, WhatSqliteWritesIsRead) {
  // json_object() of the old call_legs columns: blanks, REALs with a point, escapes of its own.
  auto back = legsFromJson(
      "[{\"role\":\"caller\", \"party\":\"13800138000\",\"sip_call_id\":\"a\\u0062c\\/d\","
      "\"started_at\":1800000000000,\"answered_at\":1800000012500,\"ended_at\":1.8000000952e12,"
      "\"sip_status\":200,\"mos\":4.0,\"packets_received\":4100,\"packets_lost\":12,"
      "\"jitter_ms\":3.25,\"comment\":{\"nested\":[1,true,null,\"x\"]}},"
      "{\"role\":\"agent\",\"party\":\"\\ud83d\\ude00\",\"mos\":null}]");
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 2U);
  const auto& caller = (*back)[0];
  EXPECT_EQ(caller.sipCallId, "abc/d");
  EXPECT_EQ(caller.endedAt, 1'800'000'095'200);
  EXPECT_EQ(caller.mos, 4.0);
  EXPECT_EQ(caller.packetsLost, 12U);
  EXPECT_EQ(caller.jitterMs, 3.25);
  const auto& agent = (*back)[1];
  EXPECT_EQ(agent.role, "agent");
  EXPECT_EQ(agent.party, "\xf0\x9f\x98\x80");  // U+1F600 from its surrogate pair
  EXPECT_EQ(agent.sipStatus, 0) << "a missing key keeps its default";
}

TEST(LegsJsonTest, AnythingElseIsRefused) {
  for (const char* bad : {
           "",
           "{}",
           "[",
           "[{}",
           "[{}]x",
           "[{},]",
           "[1]",
           "[{\"role\":1}]",
           "[{\"role\":\"unterminated}]",
           "[{\"role\":\"raw\ncontrol\"}]",
           "[{\"role\":\"\\q\"}]",
           "[{\"role\":\"\\u12\"}]",
           "[{\"role\":\"\\ud83d alone\"}]",
           "[{\"role\":\"\\ude00\"}]",
           "[{\"started_at\":\"1\"}]",
           "[{\"started_at\":1.5}]",
           "[{\"started_at\":1e300}]",
           "[{\"sip_status\":4294967296}]",
           "[{\"mos\":\"4\"}]",
           "[{\"mos\":}]",
           "[{\"other\":nul}]",
           "[{\"other\":[1,]}]",
       }) {
    auto back = legsFromJson(bad);
    EXPECT_FALSE(back.ok()) << bad;
    if (!back.ok()) {
      EXPECT_NE(back.error().message.find("malformed legs"), std::string::npos);
    }
  }
  std::string deep(100, '[');
  EXPECT_FALSE(legsFromJson("[{\"other\":" + deep + "}]").ok()) << "nesting is bounded";
}

}  // namespace
}  // namespace sb::store
