#pragma once
// The store's repository interfaces. Callers depend on these only, so that a PostgreSQL
// implementation can stand beside the SQLite one. Every method blocks: call them on the store
// thread (see api/ and app/ for how the control loop awaits them), never on the control loop.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"
#include "store/model.hpp"

namespace sb::store {

// A failure of the database itself (disk, corruption, driver): thrown, not returned, because no
// caller can do more than report it.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  virtual std::vector<User> list() = 0;
  virtual std::optional<User> findById(std::int64_t id) = 0;
  virtual std::optional<User> findByUsername(std::string_view username) = 0;
  // kConflict when the username is taken; kInvalidArgument ("skill_groups") for an unknown group.
  virtual Result<User> create(const NewUser& user, UnixSeconds now) = 0;
  // kNotFound, or as create().
  virtual Result<User> update(std::int64_t id, const UserPatch& patch, UnixSeconds now) = 0;
  virtual Result<void> remove(std::int64_t id) = 0;
  // The SIP password of a user, for the registrar's digest check; nullopt for unknown users.
  virtual std::optional<std::string> findSipPassword(std::string_view username) = 0;
  virtual std::size_t countWithRole(Role role) = 0;
  virtual std::size_t count() = 0;
};

class SkillGroupRepository {
 public:
  virtual ~SkillGroupRepository() = default;
  virtual std::vector<SkillGroup> list() = 0;
  virtual std::optional<SkillGroup> findById(std::int64_t id) = 0;
  virtual std::optional<SkillGroup> findByName(std::string_view name) = 0;
  // kConflict when the name is taken.
  virtual Result<SkillGroup> create(const std::string& name, UnixSeconds now) = 0;
};

// Bearer tokens, kept only as hashes.
class TokenRepository {
 public:
  virtual ~TokenRepository() = default;
  virtual void create(const std::string& tokenHash, std::int64_t userId, UnixSeconds now,
                      UnixSeconds expiresAt) = 0;
  // The user the token belongs to, if it exists and has not expired at `now`.
  virtual std::optional<std::int64_t> findUser(const std::string& tokenHash, UnixSeconds now) = 0;
  virtual void revoke(const std::string& tokenHash) = 0;
  // Revokes every token of the user except `keepHash` (e.g. the session changing its password).
  virtual void revokeAllForUser(std::int64_t userId, const std::string& keepHash = {}) = 0;
  virtual std::size_t purgeExpired(UnixSeconds now) = 0;
};

// Small named values of the installation (e.g. whether the demo data was seeded).
class MetaRepository {
 public:
  virtual ~MetaRepository() = default;
  virtual std::optional<std::string> get(const std::string& key) = 0;
  virtual void set(const std::string& key, const std::string& value) = 0;
};

// With the call journal open, a batch of call records commits by itself at this many records.
// More than a commit interval's worth at 1,000 calls/s, so that the store thread's timer
// (commitPending, server.call_records_commit_ms) rather than the count decides: a commit writes
// each page it changed once, and the agent index alone has a page per agent taking calls.
inline constexpr std::size_t kCallRecordsPerCommit = 1024;

// Call records (通话记录), durable once `insert` returns.
class CallRecordRepository {
 public:
  virtual ~CallRecordRepository() = default;
  // kConflict when the id exists.
  virtual Result<void> insert(const CallRecord& record) = 0;
  // Many in one transaction (one commit for a busy second's calls); a result per record. With the
  // journal open (Store::openCallJournal) they join the open batch instead.
  virtual std::vector<Result<void>> insertAll(const std::vector<CallRecord>& records) = 0;
  // After-call work ended: its duration; false when the call is unknown.
  virtual bool setAfterCallWork(const std::string& id, std::int64_t afterCallWorkMs) = 0;
  virtual std::optional<CallRecord> findById(const std::string& id) = 0;
  virtual std::vector<CallRecord> list(const CallFilter& filter) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies the migrations the database has not seen; returns how many ran. Throws StoreError
  // when the database is newer than this build.
  virtual int migrate(UnixSeconds now) = 0;
  virtual int schemaVersion() = 0;
  virtual int latestSchemaVersion() const = 0;
  // "ok" when the database is sound, else the problems found.
  virtual std::string integrityCheck() = 0;
  // Flushes and closes; the store is unusable afterwards. Also done by the destructor.
  virtual void close() = 0;

  // The server's mode for call records: they and their after-call work are appended to a journal
  // beside the database (FILE-calls) and committed in batches, by commitPending() or once
  // hundreds have come, while reads on this store see them at once. What a crash left in the
  // journal is replayed first; returns how many entries that was. Throws StoreError when another
  // process holds the journal.
  virtual std::size_t openCallJournal() = 0;
  // Commits the call records batched since the last commit; a no-op without any.
  virtual void commitPending() = 0;

  virtual UserRepository& users() = 0;
  virtual SkillGroupRepository& skillGroups() = 0;
  virtual TokenRepository& tokens() = 0;
  virtual MetaRepository& meta() = 0;
  virtual CallRecordRepository& calls() = 0;
};

// Opens (creating if needed) the SQLite database at `file` in WAL mode. Throws StoreError.
std::unique_ptr<Store> openSqliteStore(const std::filesystem::path& file);

}  // namespace sb::store
