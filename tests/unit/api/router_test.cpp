#include "api/router.hpp"

#include <gtest/gtest.h>

namespace sb::api {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/api/v1/users", 0);
    router_.add("POST", "/api/v1/users", 1);
    router_.add("GET", "/api/v1/users/{id}", 2);
    router_.add("DELETE", "/api/v1/users/{id}", 3);
  }
  Router router_;
};

TEST_F(RouterTest, MatchesMethodAndPath) {
  auto m = router_.match("POST", "/api/v1/users");
  EXPECT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.route, 1);
}

TEST_F(RouterTest, CapturesNumericIds) {
  auto m = router_.match("DELETE", "/api/v1/users/42");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.route, 3);
  ASSERT_EQ(m.params.size(), 1U);
  EXPECT_EQ(m.params[0].second, "42");
}

TEST_F(RouterTest, NonNumericOrHugeIdsDoNotMatch) {
  EXPECT_EQ(router_.match("GET", "/api/v1/users/abc").kind, Router::Match::Kind::kNoPath);
  EXPECT_EQ(router_.match("GET", "/api/v1/users/-1").kind, Router::Match::Kind::kNoPath);
  EXPECT_EQ(router_.match("GET", "/api/v1/users/99999999999999999999").kind,
            Router::Match::Kind::kNoPath);
}

TEST_F(RouterTest, WrongMethodListsTheAllowedOnes) {
  auto m = router_.match("PUT", "/api/v1/users");
  EXPECT_EQ(m.kind, Router::Match::Kind::kWrongMethod);
  EXPECT_EQ(m.allow, "GET, POST");
}

TEST_F(RouterTest, HeadIsServedByGet) {
  auto m = router_.match("HEAD", "/api/v1/users/7");
  EXPECT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.route, 2);
}

TEST_F(RouterTest, TrailingAndDoubleSlashesAreTolerated) {
  EXPECT_EQ(router_.match("GET", "/api/v1/users/").route, 0);
  EXPECT_EQ(router_.match("GET", "//api//v1/users").route, 0);
  EXPECT_EQ(router_.match("GET", "/api/v1/users/7/x").kind, Router::Match::Kind::kNoPath);
}

}  // namespace
}  // namespace sb::api
