#include "store/sqlite/database.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "store/store.hpp"

namespace sb::store::sqlite {

namespace {

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw StoreError(fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt_, nullptr) != SQLITE_OK) {
    fail(db_, fmt::format("prepare \"{}\"", sql));
  }
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    fail(db_, "bind");
  }
  return *this;
}

Statement& Statement::bindUnowned(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_STATIC) != SQLITE_OK) {
    fail(db_, "bind");
  }
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  failStep();
}

void Statement::failStep() {
  std::string sql = sqlite3_sql(stmt_);
  sqlite3_reset(stmt_);
  fail(db_, fmt::format("step \"{}\"", sql));
}

void Statement::run() {
  while (step()) {
  }
}

bool Statement::insertUnlessDuplicate() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_DONE) return true;
  int code = sqlite3_extended_errcode(db_);
  if (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE) {
    sqlite3_reset(stmt_);
    return false;
  }
  failStep();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::readOnly() const {
  return sqlite3_stmt_readonly(stmt_) != 0;
}

std::int64_t Statement::intAt(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::textAt(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

double Statement::doubleAt(int column) const {
  return sqlite3_column_double(stmt_, column);
}

bool Statement::isNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Database::Database(const std::filesystem::path& file) {
  // SQLite's allocation statistics take a global mutex on every malloc and free; nothing here
  // reads them. This must come before SQLite initializes, which the first open does.
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(fmt::format("cannot open database {}: {}", file.string(), message));
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    // WAL with synchronous=NORMAL: a committed transaction survives a crash of the process.
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  } catch (...) {
    close();
    throw;
  }
}

Database::~Database() {
  try {
    close();
  } catch (const std::exception& e) {
    spdlog::error("closing database: {}", e.what());
  }
}

void Database::exec(const std::string& sql) {
  if (!writingBatch_) commitBatch();
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw StoreError(fmt::format("{}: {}", sql.substr(0, 80), message));
  }
}

Query Database::prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(sql, std::make_unique<Statement>(db_, sql)).first;
  }
  if (batchOpen_ && !writingBatch_ && !it->second->readOnly()) commitBatch();
  return Query(*it->second);
}

void Database::beginBatch() {
  if (batchOpen_) return;
  prepare("BEGIN IMMEDIATE")->run();
  batchOpen_ = true;
}

void Database::commitBatch() {
  if (!batchOpen_) return;
  batchOpen_ = false;
  try {
    prepare("COMMIT")->run();
  } catch (...) {
    // A COMMIT that failed (busy, I/O error) can leave the transaction open.
    if (sqlite3_get_autocommit(db_) == 0) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    if (batchEnd_) batchEnd_(false);
    throw;
  }
  if (batchEnd_) batchEnd_(true);
}

std::int64_t Database::lastInsertId() const {
  return sqlite3_last_insert_rowid(db_);
}

int Database::changes() const {
  return sqlite3_changes(db_);
}

void Database::close() {
  if (db_ == nullptr) return;
  try {
    commitBatch();
  } catch (const std::exception& e) {
    spdlog::error("closing database: the last batch: {}", e.what());
  }
  statements_.clear();
  // Fold the WAL back into the main file so that a cleanly stopped server leaves one file.
  sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE);", nullptr, nullptr, nullptr);
  if (sqlite3_close(db_) != SQLITE_OK) {
    spdlog::error("sqlite3_close: {}", sqlite3_errmsg(db_));
  }
  db_ = nullptr;
}

// The three statements are prepared once, like any other: the store thread opens one
// transaction per batch of call records.
Transaction::Transaction(Database& db) : db_(db) {
  db_.commitBatch();
  db_.prepare("BEGIN IMMEDIATE")->run();
}

Transaction::~Transaction() {
  if (done_) return;
  try {
    db_.prepare("ROLLBACK")->run();
  } catch (const std::exception& e) {
    spdlog::error("rollback: {}", e.what());
  }
}

void Transaction::commit() {
  db_.prepare("COMMIT")->run();
  done_ = true;
}

}  // namespace sb::store::sqlite
