#include "core/worker.hpp"

#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <gtest/gtest.h>

namespace sb {
namespace {

// Runs one coroutine on a fresh loop to completion, rethrowing what escaped it.
template <typename Body>
void runOnLoop(Body body) {
  asio::io_context loop;
  std::exception_ptr failure;
  asio::co_spawn(loop, body(), [&](std::exception_ptr e) { failure = e; });
  loop.run();
  if (failure) std::rethrow_exception(failure);
}

TEST(WorkerPoolTest, WorkRunsOnThePoolAndResumesOnTheLoop) {
  WorkerPool pool("test-pool", 1);
  auto loopThread = std::this_thread::get_id();
  std::thread::id workThread;
  std::thread::id resumedOn;
  int result = 0;
  runOnLoop([&]() -> asio::awaitable<void> {
    result = co_await runOn(pool, [&] {
      workThread = std::this_thread::get_id();
      return 41 + 1;
    });
    resumedOn = std::this_thread::get_id();
  });
  EXPECT_EQ(result, 42);
  EXPECT_NE(workThread, loopThread);
  EXPECT_EQ(resumedOn, loopThread);
}

TEST(WorkerPoolTest, ExceptionsReachTheAwaitingCoroutine) {
  WorkerPool pool("test-pool", 1);
  bool caught = false;
  runOnLoop([&]() -> asio::awaitable<void> {
    try {
      co_await runOn(pool, []() -> int { throw std::runtime_error("disk on fire"); });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "disk on fire";
    }
  });
  EXPECT_TRUE(caught);
}

TEST(WorkerPoolTest, StopFinishesSubmittedWork) {
  std::atomic<int> done{0};
  {
    WorkerPool pool("test-pool", 1);
    for (int i = 0; i < 100; ++i)
      asio::post(pool.executor(), [&] { done.fetch_add(1); });
    pool.stop();
  }
  EXPECT_EQ(done.load(), 100);
}

}  // namespace
}  // namespace sb
