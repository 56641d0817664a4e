// The call-record journal: entries come back as they went in, a torn or damaged tail costs only
// itself, and a store that dies with a batch uncommitted finds every record again at the next
// start.

#include "store/call_journal.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "call_record_samples.hpp"
#include "store/store.hpp"

namespace sb::store {
namespace {

namespace fs = std::filesystem;

// The full record with values a format could get wrong: a negative duration, a NUL inside a
// string, the largest packet count.
CallRecord unusual(const std::string& id, UnixMillis arrivedAt) {
  CallRecord r = fullRecord();
  r.id = id;
  r.arrivedAt = arrivedAt;
  r.ringMs = -1;
  r.voicemail = std::string("with\0nul", 8);
  r.legs[1].packetsReceived = ~std::uint64_t{0};
  return r;
}

std::string encodeAll(const std::vector<JournalEntry>& entries) {
  std::string out;
  for (const auto& e : entries)
    encodeJournalEntry(e, out);
  return out;
}

const std::vector<JournalEntry> kEntries = {unusual("c-1", kT0), AfterCallWorkEntry{"c-1", 15'000},
                                            unusual("c-2", kT0 + 1), CallRecord{}};

TEST(CallJournalFormatTest, EntriesComeBackAsTheyWent) {
  auto contents = decodeJournal(encodeAll(kEntries));
  EXPECT_EQ(contents.entries, kEntries);
  EXPECT_EQ(contents.discardedBytes, 0U);
}

TEST(CallJournalFormatTest, ATornTailCostsOnlyTheEntryItCut) {
  std::vector<std::size_t> ends;  // where each entry ends
  std::string bytes;
  for (const auto& e : kEntries) {
    encodeJournalEntry(e, bytes);
    ends.push_back(bytes.size());
  }
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    auto contents = decodeJournal(std::string_view(bytes).substr(0, cut));
    std::size_t whole = 0;
    while (whole < ends.size() && ends[whole] <= cut)
      ++whole;
    ASSERT_EQ(contents.entries.size(), whole) << "cut at " << cut;
    EXPECT_TRUE(std::equal(contents.entries.begin(), contents.entries.end(), kEntries.begin()));
    EXPECT_EQ(contents.discardedBytes, cut - (whole == 0 ? 0 : ends[whole - 1]));
  }
}

TEST(CallJournalFormatTest, ADamagedEntryEndsTheReading) {
  std::string first;
  encodeJournalEntry(kEntries[0], first);
  std::string bytes = encodeAll(kEntries);
  // Every byte of the second entry, flipped in turn: its checksum or its frame gives it away.
  std::string second;
  encodeJournalEntry(kEntries[1], second);
  for (std::size_t i = first.size(); i < first.size() + second.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
    auto contents = decodeJournal(damaged);
    ASSERT_EQ(contents.entries.size(), 1U) << "byte " << i;
    EXPECT_EQ(contents.entries[0], kEntries[0]);
    EXPECT_EQ(contents.discardedBytes, bytes.size() - first.size());
  }
}

TEST(CallJournalFormatTest, AnImpossibleLengthIsDamageNotAnAllocation) {
  std::string bytes(12, '\0');
  bytes[0] = bytes[1] = bytes[2] = bytes[3] = '\xff';
  auto contents = decodeJournal(bytes);
  EXPECT_TRUE(contents.entries.empty());
  EXPECT_EQ(contents.discardedBytes, 12U);
}

class CallJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sb-journal-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path database() const { return dir_ / "test.db"; }
  fs::path journalFile() const { return dir_ / "test.db-calls"; }

  // The server's way: migrated, with the journal open.
  std::unique_ptr<Store> openServerStore(std::size_t* replayed = nullptr) {
    auto store = openSqliteStore(database());
    store->migrate(kNow);
    auto count = store->openCallJournal();
    if (replayed != nullptr) *replayed = count;
    return store;
  }

  // Another process's view (the CLI's): what is committed.
  std::optional<CallRecord> committed(const std::string& id) {
    auto other = openSqliteStore(database());
    return other->calls().findById(id);
  }

  fs::path dir_;
};

TEST_F(CallJournalTest, AppendedEntriesAreReadBackAndClearEmptiesTheFile) {
  CallJournal journal(journalFile());
  EXPECT_TRUE(journal.empty());
  journal.append(encodeAll({kEntries[0], kEntries[1]}));
  journal.append(encodeAll({kEntries[2]}));
  EXPECT_FALSE(journal.empty());
  auto contents = journal.read();
  EXPECT_EQ(contents.entries, (std::vector<JournalEntry>{kEntries[0], kEntries[1], kEntries[2]}));
  journal.clear();
  EXPECT_TRUE(journal.empty());
  EXPECT_EQ(fs::file_size(journalFile()), 0U);
  journal.append(encodeAll({kEntries[3]}));
  EXPECT_EQ(journal.read().entries, std::vector<JournalEntry>{kEntries[3]});
}

TEST_F(CallJournalTest, OneProcessAtATimeHoldsTheJournal) {
  CallJournal first(journalFile());
  EXPECT_THROW(CallJournal second(journalFile()), StoreError);
}

TEST_F(CallJournalTest, TheBatchIsReadableAtOnceAndCommittedLater) {
  auto store = openServerStore();
  ASSERT_TRUE(store->calls().insert(unusual("c-1", kT0)).ok());
  EXPECT_EQ(store->calls().findById("c-1"), unusual("c-1", kT0));
  EXPECT_EQ(store->calls().list({}).size(), 1U);
  EXPECT_FALSE(committed("c-1"));
  EXPECT_GT(fs::file_size(journalFile()), 0U);

  store->commitPending();
  EXPECT_EQ(committed("c-1"), unusual("c-1", kT0));
  EXPECT_EQ(fs::file_size(journalFile()), 0U);
}

TEST_F(CallJournalTest, AnyOtherWriteCommitsTheBatchFirst) {
  auto store = openServerStore();
  ASSERT_TRUE(store->calls().insert(unusual("c-1", kT0)).ok());
  store->meta().set("demo_seeded", "1");
  EXPECT_EQ(committed("c-1"), unusual("c-1", kT0));
  EXPECT_EQ(fs::file_size(journalFile()), 0U);
}

TEST_F(CallJournalTest, AFullBatchCommitsByItself) {
  auto store = openServerStore();
  std::vector<CallRecord> records;
  for (std::size_t i = 0; i < kCallRecordsPerCommit; ++i)
    records.push_back(unusual("c-" + std::to_string(10000 + i), kT0 + static_cast<UnixMillis>(i)));
  auto results = store->calls().insertAll(records);
  EXPECT_TRUE(std::all_of(results.begin(), results.end(), [](const auto& r) { return r.ok(); }));
  EXPECT_EQ(committed(records.back().id), records.back());
  EXPECT_EQ(fs::file_size(journalFile()), 0U);
}

TEST_F(CallJournalTest, RecordsOfAStoreThatDiedUncommittedAreThereAtTheNextStart) {
  openServerStore().reset();  // the schema, before the child uses it
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The server's store thread, cut off before its batch commits: no close, no destructors.
    auto store = openServerStore();
    bool saved = store->calls().insertAll({unusual("c-1", kT0), unusual("c-2", kT0 + 1)})[0].ok() &&
                 store->calls().setAfterCallWork("c-1", 22'222) &&
                 store->calls().insert(unusual("c-3", kT0 + 2)).ok();
    ::_exit(saved ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(committed("c-1"));

  std::size_t replayed = 0;
  auto store = openServerStore(&replayed);
  EXPECT_EQ(replayed, 4U);
  auto first = unusual("c-1", kT0);
  first.afterCallWorkMs = 22'222;
  EXPECT_EQ(store->calls().findById("c-1"), first);
  EXPECT_EQ(store->calls().findById("c-2"), unusual("c-2", kT0 + 1));
  EXPECT_EQ(store->calls().findById("c-3"), unusual("c-3", kT0 + 2));
  EXPECT_EQ(committed("c-3"), unusual("c-3", kT0 + 2));  // the replay is committed
  EXPECT_EQ(fs::file_size(journalFile()), 0U);
  EXPECT_EQ(store->integrityCheck(), "ok");
}

TEST_F(CallJournalTest, EntriesCommittedBeforeTheJournalWasEmptiedAreNotDoubled) {
  {
    auto store = openServerStore();
    ASSERT_TRUE(store->calls().insert(unusual("c-1", kT0)).ok());
  }
  {
    // As if the process died between the commit and emptying the journal.
    CallJournal journal(journalFile());
    journal.append(encodeAll({unusual("c-1", kT0), AfterCallWorkEntry{"c-1", 9}}));
  }
  std::size_t replayed = 0;
  auto store = openServerStore(&replayed);
  EXPECT_EQ(replayed, 2U);
  auto calls = store->calls().list({});
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].afterCallWorkMs, 9);
}

TEST_F(CallJournalTest, ATornLastEntryIsDroppedAndTheRestReplayed) {
  openServerStore().reset();
  std::string bytes = encodeAll({unusual("c-1", kT0), unusual("c-2", kT0 + 1)});
  {
    std::ofstream out(journalFile(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 5));
  }
  std::size_t replayed = 0;
  auto store = openServerStore(&replayed);
  EXPECT_EQ(replayed, 1U);
  EXPECT_TRUE(store->calls().findById("c-1"));
  EXPECT_FALSE(store->calls().findById("c-2"));
  EXPECT_EQ(fs::file_size(journalFile()), 0U);
}

}  // namespace
}  // namespace sb::store
