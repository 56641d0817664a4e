// Call records in the SQLite store: what goes in comes out, lists narrow and page as asked, and a
// record is whole or absent.

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "call_record_samples.hpp"
#include "store/sqlite/call_queries.hpp"
#include "store/sqlite/database.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/store.hpp"

namespace sb::store {
namespace {

namespace fs = std::filesystem;

// Every test runs twice: records committed as they come, and journaled in batches the way the
// server keeps them (Store::openCallJournal).
class CallRecordsTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '-');
    dir_ = fs::temp_directory_path() / ("sb-calls-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    open();
  }

  void open() {
    store_.reset();
    store_ = openSqliteStore(dir_ / "test.db");
    store_->migrate(kNow);
    if (GetParam()) store_->openCallJournal();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void insert(const CallRecord& r) {
    auto ok = store_->calls().insert(r);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
  }

  // Another connection makes the insert of a record with a leg of this party fail.
  void refuseRecordsWithLegOf(const std::string& party) {
    sqlite::Database db(dir_ / "test.db");
    db.exec(
        "CREATE TRIGGER refuse_leg BEFORE INSERT ON calls WHEN EXISTS (SELECT 1 FROM "
        "json_each(NEW.legs) WHERE value->>'party' = '" +
        party + "') BEGIN SELECT RAISE(ABORT, 'refused'); END");
  }

  std::vector<std::string> ids(const CallFilter& filter) {
    std::vector<std::string> out;
    for (const auto& r : store_->calls().list(filter))
      out.push_back(r.id);
    return out;
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
};

using Ids = std::vector<std::string>;

TEST_P(CallRecordsTest, ARecordWithItsLegsComesBackAsItWent) {
  insert(fullRecord());
  auto found = store_->calls().findById("c-full");
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, fullRecord());
  ASSERT_EQ(found->legs.size(), 2U);
  EXPECT_EQ(found->legs[0].role, "caller");
  EXPECT_DOUBLE_EQ(found->legs[0].mos, 4.37);
  auto listed = store_->calls().list({});
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0], fullRecord());
}

TEST_P(CallRecordsTest, AnUnknownIdIsNotFound) {
  insert(record("c1", kT0));
  EXPECT_FALSE(store_->calls().findById("c2"));
  EXPECT_FALSE(store_->calls().findById(""));
}

TEST_P(CallRecordsTest, ADuplicateIdIsAConflictAndKeepsTheFirstRecord) {
  insert(fullRecord());
  CallRecord again = record("c-full", kT0 + 1);
  again.legs = {CallLegRecord{"caller", "110", "x", 0, 0, 0, 486, 0, 0, 0, 0}};
  auto r = store_->calls().insert(again);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(*store_->calls().findById("c-full"), fullRecord());
}

TEST_P(CallRecordsTest, ABatchSavesEachRecordAndReportsTheDuplicateAlone) {
  insert(fullRecord());
  auto results = store_->calls().insertAll(
      {record("c-1", kT0 + 1), record("c-full", kT0 + 2), record("c-2", kT0 + 3)});
  ASSERT_EQ(results.size(), 3U);
  EXPECT_TRUE(results[0].ok());
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].error().code, ErrorCode::kConflict);
  EXPECT_TRUE(results[2].ok());
  EXPECT_EQ(*store_->calls().findById("c-1"), record("c-1", kT0 + 1));
  EXPECT_EQ(*store_->calls().findById("c-2"), record("c-2", kT0 + 3));
  EXPECT_EQ(*store_->calls().findById("c-full"), fullRecord());
}

TEST_P(CallRecordsTest, ARecordIsWrittenWholeOrNotAtAll) {
  refuseRecordsWithLegOf("boom");
  CallRecord r = fullRecord();
  r.legs[1].party = "boom";
  EXPECT_THROW((void)store_->calls().insert(r), StoreError);
  EXPECT_FALSE(store_->calls().findById("c-full"));
  EXPECT_TRUE(store_->calls().list({}).empty());
  // The store is still usable afterwards.
  r.legs[1].party = "1001";
  insert(r);
  EXPECT_EQ(store_->calls().findById("c-full")->legs.size(), 2U);
}

TEST_P(CallRecordsTest, ABatchThatFailsLeavesNoneOfItsRecords) {
  refuseRecordsWithLegOf("boom");
  CallRecord bad = fullRecord();
  bad.legs[1].party = "boom";
  EXPECT_THROW((void)store_->calls().insertAll({record("c-1", kT0), bad, record("c-2", kT0 + 1)}),
               StoreError);
  EXPECT_TRUE(store_->calls().list({}).empty());
  // One by one, the good ones go in.
  insert(record("c-1", kT0));
  insert(record("c-2", kT0 + 1));
  EXPECT_EQ(ids({}), (Ids{"c-2", "c-1"}));
}

TEST_P(CallRecordsTest, ListsAreNewestFirstAndTiesGoByIdDescending) {
  insert(record("b", kT0 + 1'000));
  insert(record("a", kT0 + 2'000));
  insert(record("c", kT0));
  insert(record("d", kT0 + 1'000));
  EXPECT_EQ(ids({}), (Ids{"a", "d", "b", "c"}));
}

TEST_P(CallRecordsTest, FromIsInclusiveAndToIsExclusive) {
  insert(record("t0", kT0));
  insert(record("t1", kT0 + 1'000));
  insert(record("t2", kT0 + 2'000));
  CallFilter f;
  f.from = kT0 + 1'000;
  EXPECT_EQ(ids(f), (Ids{"t2", "t1"}));
  f = {};
  f.to = kT0 + 1'000;
  EXPECT_EQ(ids(f), (Ids{"t0"}));
  f.from = kT0;
  f.to = kT0 + 2'000;
  EXPECT_EQ(ids(f), (Ids{"t1", "t0"}));
}

TEST_P(CallRecordsTest, TheAgentFilterKeepsThatAgentsCalls) {
  auto a = record("a", kT0);
  a.agent = "1001";
  auto b = record("b", kT0 + 1);
  b.agent = "1002";
  auto none = record("none", kT0 + 2);
  insert(a);
  insert(b);
  insert(none);
  CallFilter f;
  f.agent = "1001";
  EXPECT_EQ(ids(f), (Ids{"a"}));
  f.agent = "100";
  EXPECT_TRUE(ids(f).empty());
}

TEST_P(CallRecordsTest, TheNumberFilterMatchesCallerCalledOrDidExactly) {
  auto byCaller = record("caller", kT0);
  byCaller.caller = "555";
  auto byCalled = record("called", kT0 + 1);
  byCalled.called = "555";
  auto byDid = record("did", kT0 + 2);
  byDid.did = "555";
  auto other = record("other", kT0 + 3);
  other.caller = "5550";
  insert(byCaller);
  insert(byCalled);
  insert(byDid);
  insert(other);
  auto inbound = record("inbound", kT0 + 4);  // an inbound call's DID is the number called
  inbound.called = "555";
  inbound.did = "555";
  insert(inbound);
  CallFilter f;
  f.number = "555";
  EXPECT_EQ(ids(f), (Ids{"inbound", "did", "called", "caller"}));
}

TEST_P(CallRecordsTest, TheEndReasonFilterKeepsCallsThatEndedThatWay) {
  auto answered = record("answered", kT0);
  auto abandoned = record("abandoned", kT0 + 1);
  abandoned.endReason = CallEndReason::kQueueAbandoned;
  auto voicemail = record("voicemail", kT0 + 2);
  voicemail.endReason = CallEndReason::kAfterHoursVoicemail;
  insert(answered);
  insert(abandoned);
  insert(voicemail);
  CallFilter f;
  f.endReason = CallEndReason::kQueueAbandoned;
  EXPECT_EQ(ids(f), (Ids{"abandoned"}));
  f.endReason = CallEndReason::kNormal;
  EXPECT_EQ(ids(f), (Ids{"answered"}));
  f.endReason = CallEndReason::kFailed;
  EXPECT_TRUE(ids(f).empty());
  f.from = kT0 + 1;
  f.endReason = CallEndReason::kAfterHoursVoicemail;
  EXPECT_EQ(ids(f), (Ids{"voicemail"}));
  f.endReason = CallEndReason::kNormal;
  EXPECT_TRUE(ids(f).empty());
}

TEST_P(CallRecordsTest, FiltersCombine) {
  for (int i = 0; i < 6; ++i) {
    auto r = record("c" + std::to_string(i), kT0 + i * 1'000);
    r.agent = i % 2 == 0 ? "1001" : "1002";
    r.caller = i < 3 ? "111" : "222";
    if (i == 4) r.endReason = CallEndReason::kUnanswered;
    insert(r);
  }
  CallFilter f;
  f.agent = "1001";
  f.number = "222";
  EXPECT_EQ(ids(f), (Ids{"c4"}));
  f.endReason = CallEndReason::kNormal;
  EXPECT_TRUE(ids(f).empty());
  f = {};
  f.agent = "1001";
  f.from = kT0 + 1'000;
  f.to = kT0 + 4'000;
  EXPECT_EQ(ids(f), (Ids{"c2"}));
}

TEST_P(CallRecordsTest, LimitAndOffsetPageThroughTheList) {
  for (int i = 0; i < 5; ++i)
    insert(record("c" + std::to_string(i), kT0 + i));
  CallFilter f;
  f.limit = 2;
  EXPECT_EQ(ids(f), (Ids{"c4", "c3"}));
  f.offset = 2;
  EXPECT_EQ(ids(f), (Ids{"c2", "c1"}));
  f.offset = 4;
  EXPECT_EQ(ids(f), (Ids{"c0"}));
  f.offset = 5;
  EXPECT_TRUE(ids(f).empty());
  f.limit = 0;
  f.offset = 0;
  EXPECT_TRUE(ids(f).empty());
}

TEST_P(CallRecordsTest, TheLimitIsCappedAtAThousand) {
  for (int i = 0; i < 1'001; ++i)
    insert(record("c" + std::to_string(i), kT0 + i));
  CallFilter f;
  f.limit = 5'000;
  auto listed = store_->calls().list(f);
  ASSERT_EQ(listed.size(), 1'000U);
  EXPECT_EQ(listed.front().id, "c1000");
  EXPECT_EQ(listed.back().id, "c1");
}

TEST_P(CallRecordsTest, AfterCallWorkIsFilledInLater) {
  insert(record("c1", kT0));
  insert(record("c2", kT0 + 1));
  EXPECT_TRUE(store_->calls().setAfterCallWork("c1", 12'345));
  EXPECT_EQ(store_->calls().findById("c1")->afterCallWorkMs, 12'345);
  EXPECT_EQ(store_->calls().findById("c2")->afterCallWorkMs, 0);
  EXPECT_FALSE(store_->calls().setAfterCallWork("nope", 1));
}

TEST_P(CallRecordsTest, ManyLegsComeBackInTheirOrder) {
  CallRecord r = fullRecord();
  for (int i = 0; i < 7; ++i) {
    CallLegRecord leg = r.legs[static_cast<std::size_t>(i % 2)];
    leg.party = "party-" + std::to_string(i);
    leg.sipStatus = 200 + i;
    r.legs.push_back(leg);
  }
  // Text that JSON must escape, and text it need not.
  r.legs[2].party = "\"quoted\" back\\slash\ttab\x01 \xe5\x94\xae\xe5\x90\x8e 'single'";
  r.legs[3].sipCallId = std::string("nul\0inside", 11);
  r.legs[4].mos = 4.123456789012345;
  r.legs[5].jitterMs = 1e-7;
  insert(r);
  auto found = store_->calls().findById(r.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, r);
}

TEST_P(CallRecordsTest, LegsThatCannotBeReadAreAnErrorNotAGuess) {
  insert(fullRecord());
  store_->commitPending();
  {
    sqlite::Database db(dir_ / "test.db");
    db.exec("UPDATE calls SET legs = '[{\"role\":' WHERE id = 'c-full'");
  }
  try {
    (void)store_->calls().findById("c-full");
    ADD_FAILURE() << "malformed legs were read";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("call c-full: malformed legs"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)store_->calls().list({}), StoreError);
}

TEST_P(CallRecordsTest, ARecordIsThereAfterReopeningTheDatabase) {
  insert(fullRecord());
  store_->close();
  open();
  auto found = store_->calls().findById("c-full");
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, fullRecord());
  EXPECT_EQ(store_->integrityCheck(), "ok");
}

TEST_P(CallRecordsTest, RemovingTheAgentKeepsTheirCalls) {
  auto id =
      store_->users().create({"1001", "Agent", "hash", "sip", {Role::kAgent}, {}, {}}, kNow)->id;
  insert(fullRecord());
  ASSERT_TRUE(store_->users().remove(id).ok());
  EXPECT_EQ(store_->calls().findById("c-full")->agent, "1001");
}

std::string modeName(const ::testing::TestParamInfo<bool>& mode) {
  return mode.param ? "Journaled" : "Committed";
}

INSTANTIATE_TEST_SUITE_P(CommittedOrJournaled, CallRecordsTest, ::testing::Bool(), modeName);

TEST(CallRecordsMigrationTest, AVersion1DatabaseIsMigratedAndKeepsItsUsers) {
  fs::path dir = fs::temp_directory_path() / ("sb-calls-migration-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    // The database as the previous release left it: schema version 1 with one user.
    sqlite::Database db(dir / "test.db");
    db.exec(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
        "applied_at INTEGER NOT NULL)");
    ASSERT_EQ(sqlite::migrations()[0].version, 1);
    db.exec(std::string(sqlite::migrations()[0].sql));
    db.exec("INSERT INTO schema_version VALUES (1, 'v1', 0)");
    db.exec(
        "INSERT INTO users (username, name, password_hash, sip_password, roles, created_at, "
        "updated_at) VALUES ('1001', '温平', 'hash', 'sip', 'agent,supervisor', 1, 1)");
  }
  {
    auto store = openSqliteStore(dir / "test.db");
    EXPECT_EQ(store->schemaVersion(), 1);
    EXPECT_EQ(store->migrate(kNow), store->latestSchemaVersion() - 1);
    EXPECT_GE(store->schemaVersion(), 2);
    auto user = store->users().findByUsername("1001");
    ASSERT_TRUE(user);
    EXPECT_EQ(user->name, "温平");
    EXPECT_TRUE(user->roles.has(Role::kSupervisor));
    EXPECT_TRUE(store->calls().insert(fullRecord()).ok());
    EXPECT_EQ(*store->calls().findById("c-full"), fullRecord());
    EXPECT_EQ(store->integrityCheck(), "ok");
  }
  fs::remove_all(dir);
}

// A database as a release at schema `version` left it.
void migrateUpTo(sqlite::Database& db, int version) {
  db.exec(
      "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
      "applied_at INTEGER NOT NULL)");
  for (const auto& m : sqlite::migrations()) {
    if (m.version > version) break;
    db.exec(std::string(m.sql));
    db.exec("INSERT INTO schema_version VALUES (" + std::to_string(m.version) + ", 'v', 0)");
  }
}

// After the migrations: the calls table has its six indexes, and call c-full's two legs are in
// its row, in their order; the table of legs is gone.
void expectIndexesAndLegsOfCFull(sqlite::Database& db) {
  auto indexes = db.prepare(
      "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'calls' AND "
      "name LIKE 'calls_by_%'");
  ASSERT_TRUE(indexes->step());
  EXPECT_EQ(indexes->intAt(0), 6);
  auto legs = db.prepare(
      "SELECT json_array_length(legs), legs->>'$[0].party', legs->>'$[1].party' FROM calls "
      "WHERE id = 'c-full'");
  ASSERT_TRUE(legs->step());
  EXPECT_EQ(legs->intAt(0), 2);
  EXPECT_EQ(legs->textAt(1), "13800138000");
  EXPECT_EQ(legs->textAt(2), "1001");
  auto tables = db.prepare("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'call_legs'");
  ASSERT_TRUE(tables->step());
  EXPECT_EQ(tables->intAt(0), 0);
}

// A record as schemas 2 to 6 kept it: a row in calls and one per leg in call_legs.
void insertWithLegTable(sqlite::Database& db, const CallRecord& r) {
  auto call = db.prepare(
      "INSERT INTO calls (id, direction, caller, called, did, ivr_path, group_id, group_name, "
      "agent, arrived_at, queued_at, offered_at, answered_at, ended_at, wait_ms, ring_ms, "
      "talk_ms, hold_ms, after_call_work_ms, end_reason, ended_by, recording, voicemail) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
      "?18, ?19, ?20, ?21, ?22, ?23)");
  sqlite::bindRecordColumns(*call, r);
  call->run();
  // In reverse, so that the migration has to order them by position.
  for (std::size_t i = r.legs.size(); i-- > 0;) {
    const auto& leg = r.legs[i];
    auto q = db.prepare(
        "INSERT INTO call_legs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    q->bind(1, r.id)
        .bind(2, static_cast<std::int64_t>(i))
        .bind(3, leg.role)
        .bind(4, leg.party)
        .bind(5, leg.sipCallId)
        .bind(6, leg.startedAt)
        .bind(7, leg.answeredAt)
        .bind(8, leg.endedAt)
        .bind(9, leg.sipStatus)
        .bind(10, leg.mos)
        .bind(11, static_cast<std::int64_t>(leg.packetsReceived))
        .bind(12, static_cast<std::int64_t>(leg.packetsLost))
        .bind(13, leg.jitterMs);
    q->run();
  }
}

TEST(CallRecordsMigrationTest, Version3RecordsAndLegsSurviveTheMoveToKeyedTables) {
  fs::path dir = fs::temp_directory_path() / ("sb-calls-v3-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  CallRecord expected = fullRecord();
  {
    // fullRecord() as a version 3 database holds it: a rowid table and a key index.
    sqlite::Database db(dir / "test.db");
    migrateUpTo(db, 3);
    db.exec(
        "INSERT INTO calls VALUES ('c-full', 'outbound', '13800138000', '4000', '02150001234', "
        "'hours>welcome>menu[2]>after-sales', 7, '售后 After-sales', '1001', 1800000000000, "
        "1800000004000, 1800000009000, 1800000012500, 1800000095250, 8500, 3500, 82750, 10000, "
        "15000, 'ring_abandoned', 'caller', 'recordings/2027/01/15/c-full.wav', "
        "'voicemail/c-full.wav')");
    db.exec(
        "INSERT INTO call_legs VALUES ('c-full', 0, 'caller', '13800138000', "
        "'a84b4c76e66710@pc33', 1800000000000, 1800000012500, 1800000095250, 200, 4.37, 4100, 12, "
        "3.25), ('c-full', 1, 'agent', '1001', 'f81d4fae-7dec-11d0', 1800000009000, "
        "1800000012500, 1800000095250, 200, 4.1, 4090, 0, 1.5)");
  }
  {
    auto store = openSqliteStore(dir / "test.db");
    ASSERT_EQ(store->schemaVersion(), 3);
    EXPECT_EQ(store->migrate(kNow), store->latestSchemaVersion() - 3);
    auto found = store->calls().findById("c-full");
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, expected);
    EXPECT_EQ(store->calls().list({}).size(), 1u);
    EXPECT_FALSE(store->calls().insert(expected).ok()) << "the key is still unique";
    EXPECT_EQ(store->integrityCheck(), "ok");
  }
  {
    sqlite::Database db(dir / "test.db");
    auto keyed = db.prepare(
        "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'calls' AND "
        "sql LIKE '%WITHOUT ROWID%' AND sql NOT LIKE '%_v4%'");
    ASSERT_TRUE(keyed->step());
    EXPECT_EQ(keyed->intAt(0), 1);
    expectIndexesAndLegsOfCFull(db);
  }
  fs::remove_all(dir);
}

TEST(CallRecordsMigrationTest, Version4RecordsKeepTheirChecksWithoutTemporaryTables) {
  fs::path dir = fs::temp_directory_path() / ("sb-calls-v4-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  CallRecord expected = fullRecord();
  {
    sqlite::Database db(dir / "test.db");
    migrateUpTo(db, 4);
    insertWithLegTable(db, expected);
  }
  {
    auto store = openSqliteStore(dir / "test.db");
    ASSERT_EQ(store->schemaVersion(), 4);
    EXPECT_EQ(store->migrate(kNow), store->latestSchemaVersion() - 4);
    auto found = store->calls().findById("c-full");
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, expected) << "the record and its legs survive the rebuild";
    EXPECT_FALSE(store->calls().insert(expected).ok()) << "the key is still unique";
    EXPECT_EQ(store->integrityCheck(), "ok");
  }
  {
    sqlite::Database db(dir / "test.db");
    auto plan = db.prepare(
        "EXPLAIN INSERT INTO calls VALUES ('c-2', 'inbound', '', '', '', '', 0, '', '', 0, 0, 0, "
        "0, 0, 0, 0, 0, 0, 0, 'normal', '', '', '', '[]')");
    int temporaryTables = 0;
    while (plan->step()) {
      if (plan->textAt(1) == "OpenEphemeral") ++temporaryTables;
    }
    EXPECT_EQ(temporaryTables, 0);
    auto insertWith = [&db](const std::string& direction, const std::string& endReason) {
      try {
        db.exec("INSERT INTO calls VALUES ('c-" + direction + endReason + "', '" + direction +
                "', '', '', '', '', 0, '', '', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '" + endReason +
                "', '', '', '', '[]')");
        return true;
      } catch (const StoreError&) {
        return false;
      }
    };
    EXPECT_TRUE(insertWith("internal", "after_hours_voicemail"));
    EXPECT_FALSE(insertWith("sideways", "normal"));
    EXPECT_FALSE(insertWith("inbound", "lost"));
    expectIndexesAndLegsOfCFull(db);
  }
  fs::remove_all(dir);
}

// What SQLite would do for a list query: one line of EXPLAIN QUERY PLAN per step.
std::vector<std::string> planOf(sqlite::Database& db, const std::string& query) {
  std::vector<std::string> steps;
  auto plan = db.prepare("EXPLAIN QUERY PLAN " + query);
  while (plan->step())
    steps.push_back(plan->textAt(3));
  return steps;
}

TEST(CallRecordsMigrationTest, Version5RecordsAreFoundThroughTheNarrowerIndexes) {
  fs::path dir = fs::temp_directory_path() / ("sb-calls-v5-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  CallRecord expected = fullRecord();
  auto inbound = expected;
  inbound.id = "c-inbound";
  inbound.called = "4001";
  inbound.did = "4001";
  inbound.endReason = CallEndReason::kNormal;
  inbound.legs.clear();
  {
    sqlite::Database db(dir / "test.db");
    migrateUpTo(db, 5);
    insertWithLegTable(db, expected);
    insertWithLegTable(db, inbound);
  }
  {
    auto store = openSqliteStore(dir / "test.db");
    ASSERT_EQ(store->schemaVersion(), 5);
    EXPECT_EQ(store->migrate(kNow), store->latestSchemaVersion() - 5);
    CallFilter f;
    f.number = expected.did;
    ASSERT_NE(expected.did, expected.called);
    EXPECT_EQ(store->calls().list(f), (std::vector<CallRecord>{expected}));
    f.number = "4001";
    EXPECT_EQ(store->calls().list(f), (std::vector<CallRecord>{inbound}));
    f = {};
    f.endReason = expected.endReason;
    EXPECT_EQ(store->calls().list(f), (std::vector<CallRecord>{expected}));
    f.endReason = CallEndReason::kNormal;
    EXPECT_EQ(store->calls().list(f), (std::vector<CallRecord>{inbound}));
    EXPECT_EQ(store->integrityCheck(), "ok");
  }
  {
    sqlite::Database db(dir / "test.db");
    // The store's number and end reason filters search the indexes instead of reading every
    // call.
    CallFilter byNumber;
    byNumber.number = "4001";
    auto numberPlan = planOf(db, sqlite::callListQuery(byNumber));
    EXPECT_NE(std::find(numberPlan.begin(), numberPlan.end(),
                        "SEARCH calls USING INDEX calls_by_did (did=?)"),
              numberPlan.end())
        << ::testing::PrintToString(numberPlan);
    CallFilter byReason;
    byReason.endReason = CallEndReason::kQueueAbandoned;
    EXPECT_EQ(
        planOf(db, sqlite::callListQuery(byReason)),
        (std::vector<std::string>{"SEARCH calls USING INDEX calls_by_end_reason (end_reason=?)"}));
    // Inbound c-inbound called its DID and ended normally: neither partial index holds it.
    // ANALYZE counts each index's entries (the first number of its sqlite_stat1 row); it runs
    // after the plans above, which its statistics of two rows would change.
    db.exec("ANALYZE");
    for (const char* index : {"calls_by_did", "calls_by_end_reason"}) {
      auto held = db.prepare("SELECT stat FROM sqlite_stat1 WHERE idx = ?1");
      held->bind(1, std::string_view(index));
      ASSERT_TRUE(held->step()) << index;
      EXPECT_EQ(held->textAt(0).substr(0, held->textAt(0).find(' ')), "1") << index;
    }
    expectIndexesAndLegsOfCFull(db);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sb::store
