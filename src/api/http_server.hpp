#pragma once
// The HTTP/1.1 listener (Boost.Beast) on the control loop: one coroutine per connection.

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/http_types.hpp"
#include "core/metrics.hpp"

namespace sb {
class WorkerPool;
}

namespace sb::api {

class HttpServer {
 public:
  using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;
  struct Options {
    std::size_t maxBodyBytes = std::size_t{1024} * 1024;
    std::size_t maxHeaderBytes = std::size_t{16} * 1024;
    std::chrono::seconds idleTimeout{60};
    WorkerPool* bodyReads = nullptr;  // where streamed bodies are read; none: on the loop
  };

  // Binds and listens at once (throws boost::system::system_error when the port is taken).
  HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
             Options options, Handler handler, MetricsRegistry& metrics);
  ~HttpServer();

  boost::asio::ip::tcp::endpoint localEndpoint() const;
  void start();
  // Stops accepting, closes idle connections and lets requests in progress finish; completes
  // when every connection is closed or `grace` has passed.
  boost::asio::awaitable<void> shutdown(std::chrono::seconds grace);

 private:
  class Connection;
  boost::asio::awaitable<void> acceptLoop();
  void connectionClosed(Connection* closed);
  Counter& requestsFor(int status);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Options options_;
  Handler handler_;
  MetricsRegistry& metrics_;
  Counter& acceptFailures_;
  std::list<std::weak_ptr<Connection>> connections_;
  std::size_t open_ = 0;
  bool stopping_ = false;
  boost::asio::steady_timer drained_;
};

}  // namespace sb::api
