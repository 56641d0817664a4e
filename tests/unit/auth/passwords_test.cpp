#include "auth/passwords.hpp"

#include <gtest/gtest.h>

namespace sb::auth {
namespace {

TEST(PasswordsTest, HashesVerifyTheirOwnPasswordOnly) {
  auto hash = hashPassword("correct horse", HashCost::kTest);
  EXPECT_TRUE(hash.starts_with("$argon2id$"));
  EXPECT_TRUE(verifyPassword("correct horse", hash));
  EXPECT_FALSE(verifyPassword("correct horsf", hash));
  EXPECT_FALSE(verifyPassword("", hash));
}

TEST(PasswordsTest, TheSamePasswordHashesDifferentlyEachTime) {
  EXPECT_NE(hashPassword("demo", HashCost::kTest), hashPassword("demo", HashCost::kTest));
}

TEST(PasswordsTest, TheInteractiveCostIsArgon2id) {
  auto hash = hashPassword("密码 with 中文", HashCost::kInteractive);
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << hash;
  EXPECT_TRUE(verifyPassword("密码 with 中文", hash));
}

TEST(PasswordsTest, GarbageHashesNeverVerify) {
  EXPECT_FALSE(verifyPassword("demo", ""));
  EXPECT_FALSE(verifyPassword("demo", "$argon2id$v=19$m=65536,t=2,p=1$xx$yy"));
}

TEST(PasswordsTest, TheDecoyHashMatchesNoOrdinaryPassword) {
  EXPECT_FALSE(verifyPassword("demo", decoyHash()));
  EXPECT_FALSE(verifyPassword("", decoyHash()));
}

TEST(PasswordsTest, RandomSecretsHaveTheLengthAndNoLookAlikes) {
  auto secret = randomSecret(64);
  EXPECT_EQ(secret.size(), 64U);
  EXPECT_EQ(secret.find_first_of("0O1lI"), std::string::npos);
  EXPECT_NE(randomSecret(16), randomSecret(16));
}

}  // namespace
}  // namespace sb::auth
