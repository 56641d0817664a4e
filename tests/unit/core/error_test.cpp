#include "core/error.hpp"

#include <gtest/gtest.h>

namespace sb {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return Error::invalid("n", "n must be even");
  return n / 2;
}

TEST(ResultTest, CarriesAValueOrAnError) {
  auto ok = half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  auto bad = half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().field, "n");
}

TEST(ResultTest, ErrorCodesHaveStableNames) {
  EXPECT_EQ(errorCodeName(ErrorCode::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(errorCodeName(ErrorCode::kPermissionDenied), "forbidden");
  EXPECT_EQ(errorCodeName(ErrorCode::kConflict), "conflict");
}

}  // namespace
}  // namespace sb
