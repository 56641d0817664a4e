#pragma once
// The call-record journal: every call record and after-call-work duration is appended to a file
// beside the database as it reaches the store, so that the database can take them in large
// batches (one commit for hundreds of calls) and a crash between two commits loses none of them.
// The server replays what a crash left in it at start and empties it after every commit.
//
// An entry is [payload length: u32][FNV-1a 64 of the payload: u64][payload], little-endian; the
// payload is a type byte and the fields. Reading stops at the first entry that is incomplete or
// does not match its checksum: the tail a crash tore off in the middle of a write.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/model.hpp"

namespace sb::store {

struct AfterCallWorkEntry {
  std::string callId;
  std::int64_t afterCallWorkMs = 0;
  bool operator==(const AfterCallWorkEntry&) const = default;
};

using JournalEntry = std::variant<CallRecord, AfterCallWorkEntry>;

// Appends one encoded entry to `out`.
void encodeJournalEntry(const JournalEntry& entry, std::string& out);

struct JournalContents {
  std::vector<JournalEntry> entries;
  std::size_t discardedBytes = 0;  // after the last whole entry
};
JournalContents decodeJournal(std::string_view bytes);

class CallJournal {
 public:
  // Opens or creates the file and locks it: one server per database. Throws StoreError when
  // another process holds the lock or the file cannot be opened.
  explicit CallJournal(std::filesystem::path file);
  ~CallJournal();
  CallJournal(const CallJournal&) = delete;
  CallJournal& operator=(const CallJournal&) = delete;

  const std::filesystem::path& file() const { return file_; }
  JournalContents read() const;
  // Appends encoded entries in one write; a failed write leaves the file as it was. Throws
  // StoreError.
  void append(std::string_view bytes);
  // Empties the file: everything in it is committed to the database.
  void clear();
  bool empty() const { return size_ == 0; }

 private:
  std::filesystem::path file_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace sb::store
