#pragma once
// A thin RAII layer over the SQLite C API, used only inside the SQLite store.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace sb::store::sqlite {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  // Text SQLite does not copy: it must stay alive and unchanged until the statement is reset
  // (a Query resets it when it goes out of scope).
  Statement& bindUnowned(int index, std::string_view value);

  // Advances; true while a row is available. Throws StoreError on failure.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  // Runs an INSERT; false, with nothing written, when a row with its key is there already.
  bool insertUnlessDuplicate();
  // Clears bindings and rewinds so the cached statement can be reused.
  void reset();
  // True for statements that write nothing (SELECT, BEGIN, COMMIT...).
  bool readOnly() const;

  std::int64_t intAt(int column) const;
  std::string textAt(int column) const;
  double doubleAt(int column) const;
  bool isNull(int column) const;

 private:
  // Rewinds the statement and throws StoreError naming it.
  [[noreturn]] void failStep();

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// A cached statement in use; rewinds it (releasing its read snapshot) when it goes out of scope.
class Query {
 public:
  explicit Query(Statement& statement) : statement_(&statement) {}
  ~Query() { statement_->reset(); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Statement* operator->() { return statement_; }
  Statement& operator*() { return *statement_; }

 private:
  Statement* statement_;
};

class Database {
 public:
  // Opens or creates the file; WAL journal, foreign keys on, busy timeout for other processes
  // (the CLI) writing at the same time.
  explicit Database(const std::filesystem::path& file);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql);
  // A prepared statement cached by its text, ready to bind. Do not nest two uses of the same text.
  // A statement that writes commits the open batch first, unless it is part of it.
  Query prepare(const std::string& sql);

  // A batch: one write transaction left open across many small writes (call records), so that
  // they share one commit. Any other write on this connection commits the batch first (its
  // durability must not wait for the batch's), and so do exec(), Transaction and close().
  // Writes prepared while a BatchWrites lives join the batch instead.
  void beginBatch();
  bool batchOpen() const { return batchOpen_; }
  // Commits the open batch (a no-op without one) and tells the batch-end hook. When COMMIT fails
  // the batch is rolled back, the hook hears of it, and StoreError is thrown.
  void commitBatch();
  void onBatchEnd(std::function<void(bool committed)> hook) { batchEnd_ = std::move(hook); }

  class BatchWrites {
   public:
    explicit BatchWrites(Database& db) : db_(db) { db_.writingBatch_ = true; }
    ~BatchWrites() { db_.writingBatch_ = false; }
    BatchWrites(const BatchWrites&) = delete;
    BatchWrites& operator=(const BatchWrites&) = delete;

   private:
    Database& db_;
  };

  std::int64_t lastInsertId() const;
  int changes() const;
  void close();
  bool isOpen() const { return db_ != nullptr; }

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
  bool batchOpen_ = false;
  bool writingBatch_ = false;
  std::function<void(bool committed)> batchEnd_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace sb::store::sqlite
