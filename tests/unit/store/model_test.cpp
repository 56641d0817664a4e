#include "store/model.hpp"

#include <gtest/gtest.h>

namespace sb::store {
namespace {

TEST(RolesTest, JoinAndSplitRoundTrip) {
  Roles roles{Role::kAdmin, Role::kAgent};
  EXPECT_EQ(roles.join(), "agent,admin");
  EXPECT_EQ(Roles::split("agent,admin"), roles);
  EXPECT_EQ(Roles::split(""), Roles{});
}

TEST(RolesTest, UnknownCodesAreRejected) {
  EXPECT_FALSE(Roles::split("agent,root"));
  EXPECT_FALSE(parseRole("Admin"));
}

TEST(AgentStateCodeTest, InitialStatesUseStableCodes) {
  EXPECT_EQ(initialAgentStateCode(InitialAgentState::kBusy), "busy");
  EXPECT_EQ(parseInitialAgentState("idle"), InitialAgentState::kIdle);
  EXPECT_FALSE(parseInitialAgentState("置闲"));
}

TEST(CallCodesTest, EndReasonsAndDirectionsUseStableCodes) {
  for (auto reason : kAllCallEndReasons)
    EXPECT_EQ(parseCallEndReason(callEndReasonCode(reason)), reason);
  EXPECT_EQ(callEndReasonCode(CallEndReason::kQueueAbandoned), "queue_abandoned");
  EXPECT_EQ(callEndReasonCode(CallEndReason::kAfterHoursVoicemail), "after_hours_voicemail");
  EXPECT_FALSE(parseCallEndReason("Normal"));
  EXPECT_FALSE(parseCallEndReason(""));
  for (auto direction :
       {CallDirection::kInbound, CallDirection::kOutbound, CallDirection::kInternal})
    EXPECT_EQ(parseCallDirection(callDirectionCode(direction)), direction);
  EXPECT_EQ(callDirectionCode(CallDirection::kInternal), "internal");
  EXPECT_FALSE(parseCallDirection("in"));
}

}  // namespace
}  // namespace sb::store
