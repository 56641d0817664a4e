#include <filesystem>

#include <gtest/gtest.h>

#include "auth/passwords.hpp"
#include "store/store.hpp"

namespace sb::store {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sb-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = openSqliteStore(dir_ / "test.db");
    store_->migrate(kNow);
    preSales_ = store_->skillGroups().create("售前 Pre-sales", kNow)->id;
    afterSales_ = store_->skillGroups().create("售后 After-sales", kNow)->id;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  NewUser agent(const std::string& username) {
    return {username, "Agent " + username, "hash", "sip-secret", {Role::kAgent}, {}, {}};
  }

  static constexpr UnixSeconds kNow = 1'800'000'000;
  fs::path dir_;
  std::unique_ptr<Store> store_;
  std::int64_t preSales_ = 0;
  std::int64_t afterSales_ = 0;
};

TEST_F(SqliteStoreTest, MigrationsRunOnceAndRecordTheVersion) {
  EXPECT_EQ(store_->schemaVersion(), store_->latestSchemaVersion());
  EXPECT_EQ(store_->migrate(kNow), 0);
  store_.reset();
  store_ = openSqliteStore(dir_ / "test.db");
  EXPECT_EQ(store_->migrate(kNow), 0);
  EXPECT_EQ(store_->schemaVersion(), store_->latestSchemaVersion());
}

TEST_F(SqliteStoreTest, ADatabaseNewerThanTheBuildIsRefused) {
  store_.reset();
  // A later release migrated this database.
  std::string sql = "sqlite3 " + (dir_ / "test.db").string() +
                    " \"INSERT INTO schema_version VALUES (999, 'future', 0)\"";
  ASSERT_EQ(std::system(sql.c_str()), 0);
  store_ = openSqliteStore(dir_ / "test.db");
  EXPECT_THROW(store_->migrate(kNow), StoreError);
}

TEST_F(SqliteStoreTest, CreatesAndFindsAUserWithSettingsAndSkills) {
  NewUser u = agent("1001");
  u.roles = {Role::kAgent, Role::kSupervisor};
  u.settings.autoAnswer = true;
  u.settings.initialState = InitialAgentState::kBusy;
  u.settings.mobileNumber = "+8613900000009";
  u.skills = {{preSales_, 7}, {afterSales_, 3}};
  auto created = store_->users().create(u, kNow);
  ASSERT_TRUE(created.ok()) << created.error().message;

  auto found = store_->users().findByUsername("1001");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, created->id);
  EXPECT_EQ(found->name, "Agent 1001");
  EXPECT_EQ(found->sipPassword, "sip-secret");
  EXPECT_TRUE(found->roles.has(Role::kSupervisor));
  EXPECT_FALSE(found->roles.has(Role::kAdmin));
  EXPECT_TRUE(found->settings.autoAnswer);
  EXPECT_EQ(found->settings.initialState, InitialAgentState::kBusy);
  EXPECT_EQ(found->settings.mobileNumber, "+8613900000009");
  ASSERT_EQ(found->skills.size(), 2U);
  EXPECT_EQ(found->skills[0].groupName, "售前 Pre-sales");
  EXPECT_EQ(found->skills[0].level, 7);
  EXPECT_EQ(found->skills[1].level, 3);
  EXPECT_EQ(found->createdAt, kNow);
}

TEST_F(SqliteStoreTest, DuplicateUsernameIsAConflict) {
  ASSERT_TRUE(store_->users().create(agent("1001"), kNow).ok());
  auto again = store_->users().create(agent("1001"), kNow);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->users().count(), 1U);
}

TEST_F(SqliteStoreTest, UnknownSkillGroupLeavesNothingBehind) {
  NewUser u = agent("1001");
  u.skills = {{preSales_, 5}, {9999, 5}};
  auto r = store_->users().create(u, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(store_->users().findByUsername("1001"));
}

TEST_F(SqliteStoreTest, UpdateChangesOnlyWhatIsGivenAndReplacesSkills) {
  NewUser u = agent("1001");
  u.skills = {{preSales_, 5}};
  auto id = store_->users().create(u, kNow)->id;
  UserPatch patch;
  patch.name = "温平";
  patch.skills = std::vector<SkillAssignment>{{afterSales_, 9}};
  auto updated = store_->users().update(id, patch, kNow + 60);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->name, "温平");
  EXPECT_EQ(updated->sipPassword, "sip-secret");
  ASSERT_EQ(updated->skills.size(), 1U);
  EXPECT_EQ(updated->skills[0].groupId, afterSales_);
  EXPECT_EQ(updated->skills[0].level, 9);
  EXPECT_EQ(updated->updatedAt, kNow + 60);
  EXPECT_EQ(store_->skillGroups().findById(preSales_)->memberCount, 0U);
  EXPECT_EQ(store_->skillGroups().findById(afterSales_)->memberCount, 1U);
}

TEST_F(SqliteStoreTest, UpdateOfAMissingUserIsNotFound) {
  auto r = store_->users().update(424242, UserPatch{}, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, RemovingAUserRemovesItsTokensAndMemberships) {
  NewUser u = agent("1001");
  u.skills = {{preSales_, 5}};
  auto id = store_->users().create(u, kNow)->id;
  store_->tokens().create("hash-a", id, kNow, kNow + 3600);
  ASSERT_TRUE(store_->users().remove(id).ok());
  EXPECT_FALSE(store_->tokens().findUser("hash-a", kNow));
  EXPECT_EQ(store_->skillGroups().findById(preSales_)->memberCount, 0U);
  EXPECT_EQ(store_->users().remove(id).error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, TokensExpire) {
  auto id = store_->users().create(agent("1001"), kNow)->id;
  store_->tokens().create("hash-a", id, kNow, kNow + 3600);
  EXPECT_EQ(store_->tokens().findUser("hash-a", kNow + 3599), id);
  EXPECT_FALSE(store_->tokens().findUser("hash-a", kNow + 3600));
  EXPECT_EQ(store_->tokens().purgeExpired(kNow + 3600), 1U);
}

TEST_F(SqliteStoreTest, RevokeAllForUserKeepsTheNamedToken) {
  auto id = store_->users().create(agent("1001"), kNow)->id;
  store_->tokens().create("keep", id, kNow, kNow + 3600);
  store_->tokens().create("drop", id, kNow, kNow + 3600);
  store_->tokens().revokeAllForUser(id, "keep");
  EXPECT_TRUE(store_->tokens().findUser("keep", kNow));
  EXPECT_FALSE(store_->tokens().findUser("drop", kNow));
}

TEST_F(SqliteStoreTest, CountsUsersByRole) {
  NewUser admin = agent("admin");
  admin.roles = {Role::kAdmin};
  ASSERT_TRUE(store_->users().create(admin, kNow).ok());
  ASSERT_TRUE(store_->users().create(agent("1001"), kNow).ok());
  NewUser both = agent("1000");
  both.roles = {Role::kAgent, Role::kAdmin};
  ASSERT_TRUE(store_->users().create(both, kNow).ok());
  EXPECT_EQ(store_->users().countWithRole(Role::kAdmin), 2U);
  EXPECT_EQ(store_->users().countWithRole(Role::kAgent), 2U);
  EXPECT_EQ(store_->users().countWithRole(Role::kHandler), 0U);
}

TEST_F(SqliteStoreTest, DuplicateSkillGroupIsAConflict) {
  auto r = store_->skillGroups().create("售前 Pre-sales", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
}

TEST_F(SqliteStoreTest, DataSurvivesReopeningAndPassesTheIntegrityCheck) {
  ASSERT_TRUE(store_->users().create(agent("1001"), kNow).ok());
  store_->close();
  store_ = openSqliteStore(dir_ / "test.db");
  EXPECT_TRUE(store_->users().findByUsername("1001"));
  EXPECT_EQ(store_->integrityCheck(), "ok");
}

TEST_F(SqliteStoreTest, MetaValuesAreKeptAndReplaced) {
  EXPECT_FALSE(store_->meta().get("demo_seeded"));
  store_->meta().set("demo_seeded", "1");
  store_->meta().set("demo_seeded", "2");
  EXPECT_EQ(store_->meta().get("demo_seeded"), "2");
}

TEST(SqliteStoreOpenTest, AnUnwritablePathThrows) {
  EXPECT_THROW(openSqliteStore("/proc/no/such/dir/x.db"), StoreError);
}

}  // namespace
}  // namespace sb::store
