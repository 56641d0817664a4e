#pragma once
// Included only by .cpp files that await blocking work: it pulls in Asio.

#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sb {

namespace asio = boost::asio;

// Threads that run blocking work (database, password hashing, file reads) off the control loop.
// Work runs in submission order on a one-thread pool, so a one-thread pool serialises it.
class WorkerPool {
 public:
  WorkerPool(std::string name, std::size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  asio::io_context::executor_type executor() { return context_.get_executor(); }
  // Finishes the work already submitted, then joins the threads. Idempotent.
  void stop();

 private:
  std::string name_;
  asio::io_context context_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::vector<std::thread> threads_;
};

// Runs `work` on `pool` and resumes the awaiting coroutine on its own executor with the result;
// an exception thrown by `work` is rethrown in the coroutine.
//
// Capture by reference in `work`: the awaiting coroutine stays suspended until the work is done,
// so its locals outlive it. g++ 12 also miscompiles temporaries that own memory (a lambda with a
// std::string captured by value, an aggregate with a string member) when they are created inside
// a co_await expression: it destroys them twice. Name such objects before the co_await.
template <typename Work>
asio::awaitable<std::invoke_result_t<Work>> runOn(WorkerPool& pool, Work work) {
  using R = std::invoke_result_t<Work>;
  using Slot = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;
  Slot result{};
  auto resume = co_await asio::this_coro::executor;
  // The coroutine frame (and so `result`) lives until the handler resumes it; the post back onto
  // the loop orders the worker's write before the coroutine's read.
  auto initiation = [&pool, &result, resume, work = std::move(work)](auto handler) mutable {
    asio::post(pool.executor(),
               [&result, resume, work = std::move(work), handler = std::move(handler)]() mutable {
                 std::exception_ptr error;
                 try {
                   if constexpr (std::is_void_v<R>) {
                     work();
                     result = true;
                   } else {
                     result.emplace(work());
                   }
                 } catch (...) {
                   error = std::current_exception();
                 }
                 asio::post(resume, [handler = std::move(handler), error]() mutable {
                   std::move(handler)(error);
                 });
               });
  };
  // A non-null exception_ptr makes use_awaitable rethrow it here.
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
      std::move(initiation), asio::use_awaitable);
  if constexpr (!std::is_void_v<R>) co_return std::move(*result);
}

}  // namespace sb
