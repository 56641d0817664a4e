// Saving call records as the server does: batches handed to CallRecordRepository::insertAll in
// one transaction, into a file database in WAL mode. The figure is per record.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "store/store.hpp"

namespace {

namespace fs = std::filesystem;

sb::store::CallRecord makeRecord(std::int64_t n) {
  sb::store::CallRecord r;
  r.id = "bench-" + std::to_string(1'000'000'000 + n);
  r.caller = std::to_string(13'800'000'000 + n % 5000);
  r.called = "4000";
  r.did = "4000";
  r.ivrPath = "after-sales";
  r.groupId = 2;
  r.groupName = "售后 After-sales";
  r.agent = std::to_string(2000 + n % 50);
  r.arrivedAt = 1'790'000'000'000 + n;
  r.queuedAt = r.arrivedAt;
  r.offeredAt = r.arrivedAt + 1;
  r.answeredAt = r.arrivedAt + 5;
  r.endedAt = r.arrivedAt + 9;
  r.waitMs = 5;
  r.ringMs = 4;
  r.talkMs = 4;
  r.endedBy = "agent";
  for (const char* role : {"caller", "agent"}) {
    sb::store::CallLegRecord leg;
    leg.role = role;
    leg.party = role == std::string("caller") ? r.caller : r.agent;
    leg.sipCallId = r.id + "-" + role + "@127.0.0.1";
    leg.startedAt = r.arrivedAt;
    leg.answeredAt = r.answeredAt;
    leg.endedAt = r.endedAt;
    leg.sipStatus = 200;
    r.legs.push_back(std::move(leg));
  }
  return r;
}

void insertBatches(benchmark::State& state) {
  auto dir = fs::temp_directory_path() / ("sb-bench-store-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    auto store = sb::store::openSqliteStore(dir / "switchboard.db");
    store->migrate(1'790'000'000);
    auto batchSize = static_cast<std::int64_t>(state.range(0));
    std::int64_t n = 0;
    std::vector<sb::store::CallRecord> batch;
    for (auto _ : state) {
      state.PauseTiming();
      batch.clear();
      for (std::int64_t i = 0; i < batchSize; ++i)
        batch.push_back(makeRecord(n++));
      state.ResumeTiming();
      auto results = store->calls().insertAll(batch);
      for (const auto& saved : results) {
        if (!saved) state.SkipWithError("a record was refused");
      }
    }
    state.SetItemsProcessed(n);
    state.counters["cpu_per_record"] = benchmark::Counter(
        static_cast<double>(n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  }
  fs::remove_all(dir);
}
BENCHMARK(insertBatches)->Arg(1)->Arg(10)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
