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

}  // namespace
}  // namespace sb::store
