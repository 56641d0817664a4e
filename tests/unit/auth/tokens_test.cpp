#include "auth/tokens.hpp"

#include <set>

#include <gtest/gtest.h>

namespace sb::auth {
namespace {

TEST(TokensTest, TokensAreLongRandomAndUrlSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto token = newBearerToken();
    EXPECT_TRUE(token.starts_with("sbt_"));
    EXPECT_EQ(token.size(), 4U + 43U);  // 32 bytes in unpadded base64url
    EXPECT_EQ(token.find_first_not_of(
                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", 4),
              std::string::npos);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 100U);
}

TEST(TokensTest, TheStoredFormIsTheSha256) {
  EXPECT_EQ(hashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(hashToken("abd"), hashToken("abc"));
}

}  // namespace
}  // namespace sb::auth
