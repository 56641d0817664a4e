#include "core/worker.hpp"

#include <pthread.h>

namespace sb {

WorkerPool::WorkerPool(std::string name, std::size_t threads)
    : name_(std::move(name)), guard_(asio::make_work_guard(context_)) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { context_.run(); });
    pthread_setname_np(threads_.back().native_handle(), name_.substr(0, 15).c_str());
  }
}

WorkerPool::~WorkerPool() {
  stop();
}

void WorkerPool::stop() {
  guard_.reset();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace sb
