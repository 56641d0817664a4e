#include "auth/sign_in_guard.hpp"

#include <string>

#include <gtest/gtest.h>

namespace sb::auth {
namespace {

using namespace std::chrono_literals;

class SignInGuardTest : public ::testing::Test {
 protected:
  SignInGuard guard{SignInLimits{5, 20, 300s}};
  UnixSeconds now = 1'800'000'000;

  // One attempt that is let through and fails; false when it was refused instead.
  bool fail(const std::string& user, const std::string& address = "192.0.2.1") {
    if (guard.admit(user, address, now) != 0) return false;
    guard.failed(user, address, now);
    return true;
  }
};

TEST_F(SignInGuardTest, FiveFailuresLockTheUsernameUntilItHasBeenQuietForTheLockout) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(fail("1001")) << i;
    now += 10;
  }
  // The last failure was 10 s ago: 290 s to go, for the right password too.
  EXPECT_EQ(guard.admit("1001", "192.0.2.1", now), 290);
  EXPECT_EQ(guard.admit("1001", "198.51.100.9", now), 290);  // from anywhere
  EXPECT_EQ(guard.admit("1002", "192.0.2.1", now), 0);       // other users are not locked
  guard.abandoned("1002", "192.0.2.1");
  now += 289;
  EXPECT_EQ(guard.admit("1001", "192.0.2.1", now), 1);
  now += 1;
  EXPECT_EQ(guard.admit("1001", "192.0.2.1", now), 0);
  guard.succeeded("1001", "192.0.2.1");
}

TEST_F(SignInGuardTest, ASuccessForgetsTheUsernamesFailures) {
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(fail("1001"));
  ASSERT_EQ(guard.admit("1001", "192.0.2.1", now), 0);
  guard.succeeded("1001", "192.0.2.1");
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(fail("1001")) << i;
  EXPECT_FALSE(fail("1001"));
}

TEST_F(SignInGuardTest, OneAddressTryingManyUsernamesIsLockedAfterItsOwnBudget) {
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(fail("user" + std::to_string(i))) << i;
  EXPECT_EQ(guard.admit("someone-else", "192.0.2.1", now), 300);
  EXPECT_EQ(guard.admit("someone-else", "192.0.2.2", now), 0);
  guard.abandoned("someone-else", "192.0.2.2");
}

TEST_F(SignInGuardTest, AttemptsStillBeingCheckedHoldTheBudget) {
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(guard.admit("1001", "192.0.2.1", now), 0) << i;
  // A sixth sent at the same moment waits: any of the five may yet fail.
  EXPECT_EQ(guard.admit("1001", "192.0.2.1", now), 1);
  guard.abandoned("1001", "192.0.2.1");
  EXPECT_EQ(guard.admit("1001", "192.0.2.1", now), 0);
}

TEST_F(SignInGuardTest, AUsernameIsOneBudgetWhateverItsCase) {
  for (const char* spelling : {"Admin", "ADMIN", "admin", "aDmin", "admiN"})
    ASSERT_TRUE(fail(spelling));
  EXPECT_FALSE(fail("admin"));
}

TEST_F(SignInGuardTest, ForgottenFailuresDoNotPileUp) {
  for (int i = 0; i < 12'000; ++i)
    fail("user" + std::to_string(i),
         "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250));
  EXPECT_GE(guard.tracked(), 12'000U);
  now += 300;
  ASSERT_EQ(guard.admit("late", "192.0.2.1", now), 0);
  EXPECT_EQ(guard.tracked(), 2U);  // the late attempt's username and address
}

}  // namespace
}  // namespace sb::auth
