#include <algorithm>
#include <limits>
#include <variant>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/call_journal.hpp"
#include "store/legs_json.hpp"
#include "store/sqlite/call_queries.hpp"
#include "store/sqlite/database.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/store.hpp"

namespace sb::store {

namespace {

using sqlite::Database;
using sqlite::Transaction;

constexpr const char* kUserColumns =
    "SELECT u.id, u.username, u.name, u.password_hash, u.sip_password, u.roles, u.created_at, "
    "u.updated_at, s.auto_answer, s.auto_ready_after_acw, s.initial_state, s.auto_record, "
    "s.mobile_number "
    "FROM users u LEFT JOIN agent_settings s ON s.user_id = u.id ";

class SqliteUsers final : public UserRepository {
 public:
  explicit SqliteUsers(Database& db) : db_(db) {}

  std::vector<User> list() override {
    std::vector<User> users;
    {
      auto q = db_.prepare(std::string(kUserColumns) + "ORDER BY u.id");
      while (q->step())
        users.push_back(readUser(*q));
    }
    for (auto& u : users)
      u.skills = loadSkills(u.id);
    return users;
  }

  std::optional<User> findById(std::int64_t id) override {
    std::optional<User> user;
    {
      auto q = db_.prepare(std::string(kUserColumns) + "WHERE u.id = ?1");
      q->bind(1, id);
      if (q->step()) user = readUser(*q);
    }
    if (user) user->skills = loadSkills(user->id);
    return user;
  }

  std::optional<User> findByUsername(std::string_view username) override {
    std::optional<User> user;
    {
      auto q = db_.prepare(std::string(kUserColumns) + "WHERE u.username = ?1");
      q->bind(1, username);
      if (q->step()) user = readUser(*q);
    }
    if (user) user->skills = loadSkills(user->id);
    return user;
  }

  Result<User> create(const NewUser& user, UnixSeconds now) override {
    Transaction tx(db_);
    if (usernameTaken(user.username)) {
      return Error::conflict(fmt::format("username \"{}\" is already taken", user.username));
    }
    if (auto ok = checkGroupsExist(user.skills); !ok) return ok.error();
    {
      auto q = db_.prepare(
          "INSERT INTO users (username, name, password_hash, sip_password, roles, created_at, "
          "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
      q->bind(1, user.username)
          .bind(2, user.name)
          .bind(3, user.passwordHash)
          .bind(4, user.sipPassword)
          .bind(5, user.roles.join())
          .bind(6, now);
      q->run();
    }
    std::int64_t id = db_.lastInsertId();
    writeSettings(id, user.settings);
    writeSkills(id, user.skills);
    tx.commit();
    return *findById(id);
  }

  Result<User> update(std::int64_t id, const UserPatch& patch, UnixSeconds now) override {
    Transaction tx(db_);
    if (!exists(id)) return Error::notFound(fmt::format("no user with id {}", id));
    if (patch.skills) {
      if (auto ok = checkGroupsExist(*patch.skills); !ok) return ok.error();
    }
    auto setText = [&](const char* column, const std::optional<std::string>& value) {
      if (!value) return;
      auto q = db_.prepare(fmt::format("UPDATE users SET {} = ?1 WHERE id = ?2", column));
      q->bind(1, *value).bind(2, id);
      q->run();
    };
    setText("name", patch.name);
    setText("password_hash", patch.passwordHash);
    setText("sip_password", patch.sipPassword);
    if (patch.roles) setText("roles", patch.roles->join());
    if (patch.settings) writeSettings(id, *patch.settings);
    if (patch.skills) {
      auto q = db_.prepare("DELETE FROM skill_group_members WHERE user_id = ?1");
      q->bind(1, id);
      q->run();
      writeSkills(id, *patch.skills);
    }
    {
      auto q = db_.prepare("UPDATE users SET updated_at = ?1 WHERE id = ?2");
      q->bind(1, now).bind(2, id);
      q->run();
    }
    tx.commit();
    return *findById(id);
  }

  Result<void> remove(std::int64_t id) override {
    auto q = db_.prepare("DELETE FROM users WHERE id = ?1");
    q->bind(1, id);
    q->run();
    if (db_.changes() == 0) return Error::notFound(fmt::format("no user with id {}", id));
    return Ok{};
  }

  std::optional<std::string> findSipPassword(std::string_view username) override {
    auto q = db_.prepare("SELECT sip_password FROM users WHERE username = ?1");
    q->bind(1, username);
    if (!q->step()) return std::nullopt;
    return q->textAt(0);
  }

  std::size_t countWithRole(Role role) override {
    // Roles are stored as a comma-separated list of codes without spaces.
    auto q = db_.prepare("SELECT COUNT(*) FROM users WHERE ',' || roles || ',' LIKE ?1");
    q->bind(1, fmt::format("%,{},%", roleCode(role)));
    q->step();
    return static_cast<std::size_t>(q->intAt(0));
  }

  std::size_t count() override {
    auto q = db_.prepare("SELECT COUNT(*) FROM users");
    q->step();
    return static_cast<std::size_t>(q->intAt(0));
  }

 private:
  static User readUser(sqlite::Statement& s) {
    User u;
    u.id = s.intAt(0);
    u.username = s.textAt(1);
    u.name = s.textAt(2);
    u.passwordHash = s.textAt(3);
    u.sipPassword = s.textAt(4);
    auto roles = Roles::split(s.textAt(5));
    if (!roles)
      throw StoreError(fmt::format("user {} has unknown roles \"{}\"", u.id, s.textAt(5)));
    u.roles = *roles;
    u.createdAt = s.intAt(6);
    u.updatedAt = s.intAt(7);
    if (!s.isNull(8)) {
      u.settings.autoAnswer = s.intAt(8) != 0;
      u.settings.autoReadyAfterAcw = s.intAt(9) != 0;
      u.settings.initialState =
          parseInitialAgentState(s.textAt(10)).value_or(InitialAgentState::kIdle);
      u.settings.autoRecord = s.intAt(11) != 0;
      u.settings.mobileNumber = s.textAt(12);
    }
    return u;
  }

  std::vector<SkillMembership> loadSkills(std::int64_t userId) {
    std::vector<SkillMembership> skills;
    auto q = db_.prepare(
        "SELECT g.id, g.name, m.skill_level FROM skill_group_members m "
        "JOIN skill_groups g ON g.id = m.group_id WHERE m.user_id = ?1 ORDER BY g.id");
    q->bind(1, userId);
    while (q->step()) {
      skills.push_back({q->intAt(0), q->textAt(1), static_cast<int>(q->intAt(2))});
    }
    return skills;
  }

  bool usernameTaken(const std::string& username) {
    auto q = db_.prepare("SELECT 1 FROM users WHERE username = ?1");
    q->bind(1, username);
    return q->step();
  }

  bool exists(std::int64_t id) {
    auto q = db_.prepare("SELECT 1 FROM users WHERE id = ?1");
    q->bind(1, id);
    return q->step();
  }

  Result<void> checkGroupsExist(const std::vector<SkillAssignment>& skills) {
    for (const auto& s : skills) {
      auto q = db_.prepare("SELECT 1 FROM skill_groups WHERE id = ?1");
      q->bind(1, s.groupId);
      if (!q->step()) {
        return Error::invalid("skill_groups", fmt::format("no skill group with id {}", s.groupId));
      }
    }
    return Ok{};
  }

  void writeSettings(std::int64_t id, const AgentSettings& s) {
    auto q = db_.prepare(
        "INSERT INTO agent_settings (user_id, auto_answer, auto_ready_after_acw, initial_state, "
        "auto_record, mobile_number) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(user_id) DO "
        "UPDATE "
        "SET auto_answer = excluded.auto_answer, auto_ready_after_acw = "
        "excluded.auto_ready_after_acw, "
        "initial_state = excluded.initial_state, auto_record = excluded.auto_record, "
        "mobile_number = excluded.mobile_number");
    q->bind(1, id)
        .bind(2, s.autoAnswer)
        .bind(3, s.autoReadyAfterAcw)
        .bind(4, initialAgentStateCode(s.initialState))
        .bind(5, s.autoRecord)
        .bind(6, s.mobileNumber);
    q->run();
  }

  void writeSkills(std::int64_t id, const std::vector<SkillAssignment>& skills) {
    for (const auto& s : skills) {
      auto q = db_.prepare(
          "INSERT INTO skill_group_members (group_id, user_id, skill_level) VALUES (?1, ?2, ?3) "
          "ON CONFLICT(group_id, user_id) DO UPDATE SET skill_level = excluded.skill_level");
      q->bind(1, s.groupId).bind(2, id).bind(3, s.level);
      q->run();
    }
  }

  Database& db_;
};

class SqliteSkillGroups final : public SkillGroupRepository {
 public:
  explicit SqliteSkillGroups(Database& db) : db_(db) {}

  std::vector<SkillGroup> list() override {
    std::vector<SkillGroup> groups;
    auto q = db_.prepare(std::string(kSelect) + " GROUP BY g.id ORDER BY g.id");
    while (q->step())
      groups.push_back(read(*q));
    return groups;
  }

  std::optional<SkillGroup> findById(std::int64_t id) override {
    auto q = db_.prepare(std::string(kSelect) + " WHERE g.id = ?1 GROUP BY g.id");
    q->bind(1, id);
    if (!q->step()) return std::nullopt;
    return read(*q);
  }

  std::optional<SkillGroup> findByName(std::string_view name) override {
    auto q = db_.prepare(std::string(kSelect) + " WHERE g.name = ?1 GROUP BY g.id");
    q->bind(1, name);
    if (!q->step()) return std::nullopt;
    return read(*q);
  }

  Result<SkillGroup> create(const std::string& name, UnixSeconds now) override {
    Transaction tx(db_);
    if (findByName(name)) {
      return Error::conflict(fmt::format("skill group \"{}\" already exists", name));
    }
    {
      auto q = db_.prepare("INSERT INTO skill_groups (name, created_at) VALUES (?1, ?2)");
      q->bind(1, name).bind(2, now);
      q->run();
    }
    auto id = db_.lastInsertId();
    tx.commit();
    return *findById(id);
  }

 private:
  static constexpr const char* kSelect =
      "SELECT g.id, g.name, g.created_at, COUNT(m.user_id) FROM skill_groups g "
      "LEFT JOIN skill_group_members m ON m.group_id = g.id";

  static SkillGroup read(sqlite::Statement& s) {
    return {s.intAt(0), s.textAt(1), static_cast<std::size_t>(s.intAt(3)), s.intAt(2)};
  }

  Database& db_;
};

class SqliteTokens final : public TokenRepository {
 public:
  explicit SqliteTokens(Database& db) : db_(db) {}

  void create(const std::string& tokenHash, std::int64_t userId, UnixSeconds now,
              UnixSeconds expiresAt) override {
    auto q = db_.prepare(
        "INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at) "
        "VALUES (?1, ?2, ?3, ?4)");
    q->bind(1, tokenHash).bind(2, userId).bind(3, now).bind(4, expiresAt);
    q->run();
  }

  std::optional<std::int64_t> findUser(const std::string& tokenHash, UnixSeconds now) override {
    auto q =
        db_.prepare("SELECT user_id FROM auth_tokens WHERE token_hash = ?1 AND expires_at > ?2");
    q->bind(1, tokenHash).bind(2, now);
    if (!q->step()) return std::nullopt;
    return q->intAt(0);
  }

  void revoke(const std::string& tokenHash) override {
    auto q = db_.prepare("DELETE FROM auth_tokens WHERE token_hash = ?1");
    q->bind(1, tokenHash);
    q->run();
  }

  void revokeAllForUser(std::int64_t userId, const std::string& keepHash) override {
    auto q = db_.prepare("DELETE FROM auth_tokens WHERE user_id = ?1 AND token_hash <> ?2");
    q->bind(1, userId).bind(2, keepHash);
    q->run();
  }

  std::size_t purgeExpired(UnixSeconds now) override {
    auto q = db_.prepare("DELETE FROM auth_tokens WHERE expires_at <= ?1");
    q->bind(1, now);
    q->run();
    return static_cast<std::size_t>(db_.changes());
  }

 private:
  Database& db_;
};

class SqliteMeta final : public MetaRepository {
 public:
  explicit SqliteMeta(Database& db) : db_(db) {}

  std::optional<std::string> get(const std::string& key) override {
    auto q = db_.prepare("SELECT value FROM meta WHERE key = ?1");
    q->bind(1, key);
    if (!q->step()) return std::nullopt;
    return q->textAt(0);
  }

  void set(const std::string& key, const std::string& value) override {
    auto q = db_.prepare(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    q->bind(1, key).bind(2, value);
    q->run();
  }

 private:
  Database& db_;
};

// Call records: one row in `calls` each, with its legs in the row (store/legs_json.hpp).
// With the journal open, records and after-call work are journaled first and then written into
// the connection's open batch, which commits after kBatchRecords records, on commitPending(), or
// before any other write; the journal is emptied after every commit.
class SqliteCalls final : public CallRecordRepository {
 public:
  explicit SqliteCalls(Database& db) : db_(db) {}
  ~SqliteCalls() override {
    if (journal_) {
      try {
        db_.commitBatch();
      } catch (const std::exception& e) {
        spdlog::error("call records: the last batch was not committed ({}); the journal keeps it",
                      e.what());
      }
      db_.onBatchEnd(nullptr);
    }
  }
  SqliteCalls(const SqliteCalls&) = delete;
  SqliteCalls& operator=(const SqliteCalls&) = delete;

  std::size_t openJournal(const std::filesystem::path& file) {
    auto journal = std::make_unique<CallJournal>(file);
    auto contents = journal->read();
    if (contents.discardedBytes > 0) {
      spdlog::warn(
          "call journal {}: {} bytes after the last whole entry dropped (a write cut "
          "off by a crash)",
          file.string(), contents.discardedBytes);
    }
    if (!contents.entries.empty()) {
      Transaction tx(db_);
      replay(contents.entries);
      tx.commit();
    }
    journal->clear();
    journal_ = std::move(journal);
    db_.onBatchEnd([this](bool committed) {
      pending_ = 0;
      if (!committed) {
        // The journal still holds the batch: the next one writes it again.
        replayNeeded_ = true;
        return;
      }
      try {
        journal_->clear();
      } catch (const std::exception& e) {
        spdlog::error("{}", e.what());  // replaying committed entries is harmless
      }
    });
    return contents.entries.size();
  }

  void commitPending() { db_.commitBatch(); }

  // After the database is closed: the lock on the journal goes with it.
  void closeJournal() {
    db_.onBatchEnd(nullptr);
    journal_.reset();
  }

  Result<void> insert(const CallRecord& r) override {
    if (journal_) return std::move(insertAll({r}).front());
    Transaction tx(db_);
    auto inserted = insertRows(r);
    if (inserted) tx.commit();
    return inserted;
  }

  std::vector<Result<void>> insertAll(const std::vector<CallRecord>& records) override {
    std::vector<Result<void>> out;
    out.reserve(records.size());
    if (!journal_) {
      Transaction tx(db_);
      for (const auto& r : records)
        out.push_back(insertRows(r));
      tx.commit();
      return out;
    }
    std::string entries;
    for (const auto& r : records)
      encodeJournalEntry(r, entries);
    inBatch(entries, [&] {
      try {
        for (const auto& r : records)
          out.push_back(insertRows(r));
      } catch (...) {
        // All or nothing, as the transaction of the journal-less path: the caller may retry the
        // records one by one.
        for (std::size_t i = 0; i < out.size(); ++i) {
          if (out[i]) removeUnlessBroken(records[i].id);
        }
        throw;
      }
    });
    pending_ += records.size();
    if (pending_ >= kCallRecordsPerCommit) db_.commitBatch();
    return out;
  }

  // The record's row, inside the caller's transaction.
  Result<void> insertRows(const CallRecord& r) {
    std::string legs = legsToJson(r.legs);
    auto q = db_.prepare(
        "INSERT INTO calls (id, direction, caller, called, did, ivr_path, group_id, group_name, "
        "agent, arrived_at, queued_at, offered_at, answered_at, ended_at, wait_ms, ring_ms, "
        "talk_ms, hold_ms, after_call_work_ms, end_reason, ended_by, recording, voicemail, "
        "legs) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
        "?18, ?19, ?20, ?21, ?22, ?23, ?24)");
    sqlite::bindRecordColumns(*q, r);
    q->bindUnowned(24, legs);
    if (!q->insertUnlessDuplicate())
      return Error::conflict(fmt::format("call \"{}\" is already recorded", r.id));
    return Ok{};
  }

  // A record written in a batch that failed; a database too broken for that has already failed
  // the write being undone.
  void removeUnlessBroken(const std::string& id) {
    try {
      auto q = db_.prepare("DELETE FROM calls WHERE id = ?1");
      q->bind(1, id);
      q->run();
    } catch (const std::exception& e) {
      spdlog::error("call record {}: cannot undo a part-written record: {}", id, e.what());
    }
  }

  bool setAfterCallWork(const std::string& id, std::int64_t afterCallWorkMs) override {
    if (!journal_) return updateAfterCallWork(id, afterCallWorkMs);
    std::string entry;
    encodeJournalEntry(AfterCallWorkEntry{id, afterCallWorkMs}, entry);
    bool found = false;
    inBatch(entry, [&] { found = updateAfterCallWork(id, afterCallWorkMs); });
    return found;
  }

  std::optional<CallRecord> findById(const std::string& id) override {
    // Reads on this connection see the open batch: no commit needed.
    auto q = db_.prepare(std::string(sqlite::kCallSelect) + "WHERE id = ?1");
    q->bind(1, id);
    if (!q->step()) return std::nullopt;
    return read(*q);
  }

  std::vector<CallRecord> list(const CallFilter& filter) override {
    // One statement text per combination of filters (at most 48), each prepared once and cached,
    // so that every combination gets a plan that uses its index.
    std::vector<CallRecord> records;
    {
      auto q = db_.prepare(sqlite::callListQuery(filter));
      if (filter.from) q->bind(1, *filter.from);
      if (filter.to) q->bind(2, *filter.to);
      if (filter.agent) q->bind(3, *filter.agent);
      if (filter.number) q->bind(4, *filter.number);
      if (filter.endReason) q->bind(5, callEndReasonCode(*filter.endReason));
      q->bind(6, static_cast<std::int64_t>(std::min(filter.limit, kMaxCallListLimit)));
      q->bind(7, static_cast<std::int64_t>(std::min<std::size_t>(
                     filter.offset, std::numeric_limits<std::int64_t>::max())));
      while (q->step())
        records.push_back(read(*q));
    }
    return records;
  }

 private:
  // Journals `entries`, then runs `write` in the open batch. Should the journal refuse them, the
  // batch commits at once: the database keeps them instead.
  template <typename Write>
  void inBatch(std::string_view entries, Write write) {
    Database::BatchWrites writes(db_);
    db_.beginBatch();
    if (replayNeeded_) {
      // The last batch failed to commit: what it held is still in the journal, and only there.
      replay(journal_->read().entries);
      replayNeeded_ = false;
    }
    bool journaled = true;
    try {
      journal_->append(entries);
    } catch (const std::exception& e) {
      spdlog::error("{}; committing at once", e.what());
      journaled = false;
    }
    write();
    if (!journaled) db_.commitBatch();
  }

  // Entries from the journal, inside the caller's transaction: a record there already was
  // committed before the journal could be emptied.
  void replay(const std::vector<JournalEntry>& entries) {
    for (const auto& entry : entries) {
      try {
        if (const auto* record = std::get_if<CallRecord>(&entry)) {
          (void)insertRows(*record);
        } else {
          const auto& work = std::get<AfterCallWorkEntry>(entry);
          updateAfterCallWork(work.callId, work.afterCallWorkMs);
        }
      } catch (const std::exception& e) {
        spdlog::error("call journal: an entry was not replayed: {}", e.what());
      }
    }
  }

  bool updateAfterCallWork(const std::string& id, std::int64_t afterCallWorkMs) {
    auto q = db_.prepare("UPDATE calls SET after_call_work_ms = ?1 WHERE id = ?2");
    q->bind(1, afterCallWorkMs).bind(2, id);
    q->run();
    return db_.changes() > 0;
  }

  static constexpr std::size_t kMaxCallListLimit = 1000;
  static CallRecord read(sqlite::Statement& s) {
    CallRecord r;
    r.id = s.textAt(0);
    auto direction = parseCallDirection(s.textAt(1));
    if (!direction) {
      throw StoreError(fmt::format("call {} has unknown direction \"{}\"", r.id, s.textAt(1)));
    }
    r.direction = *direction;
    r.caller = s.textAt(2);
    r.called = s.textAt(3);
    r.did = s.textAt(4);
    r.ivrPath = s.textAt(5);
    r.groupId = s.intAt(6);
    r.groupName = s.textAt(7);
    r.agent = s.textAt(8);
    r.arrivedAt = s.intAt(9);
    r.queuedAt = s.intAt(10);
    r.offeredAt = s.intAt(11);
    r.answeredAt = s.intAt(12);
    r.endedAt = s.intAt(13);
    r.waitMs = s.intAt(14);
    r.ringMs = s.intAt(15);
    r.talkMs = s.intAt(16);
    r.holdMs = s.intAt(17);
    r.afterCallWorkMs = s.intAt(18);
    auto reason = parseCallEndReason(s.textAt(19));
    if (!reason) {
      throw StoreError(fmt::format("call {} has unknown end reason \"{}\"", r.id, s.textAt(19)));
    }
    r.endReason = *reason;
    r.endedBy = s.textAt(20);
    r.recording = s.textAt(21);
    r.voicemail = s.textAt(22);
    auto legs = legsFromJson(s.textAt(23));
    if (!legs) throw StoreError(fmt::format("call {}: {}", r.id, legs.error().message));
    r.legs = std::move(*legs);
    return r;
  }

  Database& db_;
  std::unique_ptr<CallJournal> journal_;
  std::size_t pending_ = 0;  // records in the open batch
  bool replayNeeded_ = false;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const std::filesystem::path& file)
      : file_(file), db_(file), users_(db_), groups_(db_), tokens_(db_), meta_(db_), calls_(db_) {
    db_.exec(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  }

  int migrate(UnixSeconds now) override {
    int current = schemaVersion();
    if (current > latestSchemaVersion()) {
      throw StoreError(
          fmt::format("the database is at schema version {} but this build knows only up to {}; "
                      "run a newer switchboard",
                      current, latestSchemaVersion()));
    }
    int applied = 0;
    // SQLite's procedure for rebuilding a table: foreign keys off (they cannot be switched
    // inside a transaction), and every reference checked before the migration commits.
    db_.exec("PRAGMA foreign_keys=OFF");
    try {
      applied = applyMigrations(current, now);
    } catch (...) {
      db_.exec("PRAGMA foreign_keys=ON");
      throw;
    }
    db_.exec("PRAGMA foreign_keys=ON");
    return applied;
  }

  int schemaVersion() override {
    auto q = db_.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    q->step();
    return static_cast<int>(q->intAt(0));
  }

  int latestSchemaVersion() const override { return sqlite::migrations().back().version; }

  std::string integrityCheck() override {
    std::string result;
    auto q = db_.prepare("PRAGMA integrity_check");
    while (q->step()) {
      if (!result.empty()) result += "; ";
      result += q->textAt(0);
    }
    return result;
  }

  std::size_t openCallJournal() override {
    auto journal = file_;
    journal += "-calls";
    return calls_.openJournal(journal);
  }

  void commitPending() override { calls_.commitPending(); }

  void close() override {
    db_.close();
    calls_.closeJournal();
  }

  UserRepository& users() override { return users_; }
  SkillGroupRepository& skillGroups() override { return groups_; }
  TokenRepository& tokens() override { return tokens_; }
  MetaRepository& meta() override { return meta_; }
  CallRecordRepository& calls() override { return calls_; }

 private:
  int applyMigrations(int current, UnixSeconds now) {
    int applied = 0;
    for (const auto& m : sqlite::migrations()) {
      if (m.version <= current) continue;
      Transaction tx(db_);
      db_.exec(std::string(m.sql));
      {
        auto dangling = db_.prepare("PRAGMA foreign_key_check");
        if (dangling->step()) {
          throw StoreError(fmt::format("migration {} leaves a row of {} without its {}", m.version,
                                       dangling->textAt(0), dangling->textAt(2)));
        }
      }
      auto q = db_.prepare(
          "INSERT INTO schema_version (version, description, applied_at) VALUES (?1, ?2, ?3)");
      q->bind(1, m.version).bind(2, m.description).bind(3, now);
      q->run();
      tx.commit();
      spdlog::info("applied migration version={} description=\"{}\"", m.version, m.description);
      ++applied;
    }
    return applied;
  }

  std::filesystem::path file_;
  Database db_;
  SqliteUsers users_;
  SqliteSkillGroups groups_;
  SqliteTokens tokens_;
  SqliteMeta meta_;
  SqliteCalls calls_;
};

}  // namespace

std::unique_ptr<Store> openSqliteStore(const std::filesystem::path& file) {
  return std::make_unique<SqliteStore>(file);
}

}  // namespace sb::store
