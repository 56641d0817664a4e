#include "api/http_server.hpp"

#include <algorithm>
#include <array>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/worker.hpp"

namespace sb::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class HttpServer::Connection : public std::enable_shared_from_this<HttpServer::Connection> {
 public:
  Connection(HttpServer& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = fmt::format("{}:{}", remote.address().to_string(), remote.port());
  }

  // Closes the connection now if it is waiting for a request; otherwise after the response.
  void closeWhenIdle() {
    if (!busy_) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.socket().close(ec);
    }
  }

  asio::awaitable<void> run() {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(server_.options_.maxHeaderBytes));
      parser.body_limit(server_.options_.maxBodyBytes);
      beast::error_code ec;

      stream_.expires_after(server_.options_.idleTimeout);
      co_await http::async_read_header(stream_, buffer, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_await answerReadError(ec, parser.get().version());
        co_return;
      }
      busy_ = true;
      auto& header = parser.get();
      if (header.has_content_length() && parser.content_length() &&
          *parser.content_length() > server_.options_.maxBodyBytes) {
        co_await sendTooLarge(header.version());
        co_await lingeringClose();
        co_return;
      }
      if (beast::iequals(header[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go{http::status::continue_, header.version()};
        co_await http::async_write(stream_, go, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
      }
      co_await http::async_read(stream_, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_await answerReadError(ec, header.version());
        co_return;
      }

      auto beastRequest = parser.release();
      Request request;
      request.method = std::string(beastRequest.method_string());
      std::string_view target = beastRequest.target();
      auto question = target.find('?');
      request.path = std::string(target.substr(0, question));
      if (question != std::string_view::npos)
        request.query = std::string(target.substr(question + 1));
      request.authorization = std::string(beastRequest[http::field::authorization]);
      request.range = std::string(beastRequest[http::field::range]);
      request.body = std::move(beastRequest.body());
      request.remoteAddress = remote_;

      Response response = co_await server_.handler_(request);
      bool keepAlive = beastRequest.keep_alive() && !server_.stopping_;
      bool sent = co_await send(response, beastRequest.version(), keepAlive,
                                beastRequest.method() == http::verb::head);
      busy_ = false;
      if (!keepAlive || !sent) break;
    }
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

 private:
  template <typename Body>
  static void setHeaders(http::response<Body>& res, const Response& response) {
    res.set(http::field::server, "switchboard/" SB_VERSION);
    res.set(http::field::content_type, response.contentType);
    if (response.contentType == "application/json") res.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : response.headers)
      res.set(name, value);
  }

  // Whether the connection may carry another request: not after a failed write, nor after a
  // streamed body that came out short.
  asio::awaitable<bool> send(const Response& response, unsigned version, bool keepAlive,
                             bool headOnly) {
    if (response.source) co_return co_await sendStreamed(response, version, keepAlive, headOnly);
    http::response<http::string_body> res{static_cast<http::status>(response.status), version};
    setHeaders(res, response);
    res.body() = response.body;
    res.prepare_payload();
    if (headOnly) {
      // HEAD: the headers of the GET, Content-Length included, without the body.
      auto length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    res.keep_alive(keepAlive);
    server_.requestsFor(response.status).add();
    beast::error_code ec;
    stream_.expires_after(server_.options_.idleTimeout);
    if (headOnly) {
      http::response_serializer<http::string_body> serializer{res};
      co_await http::async_write_header(stream_, serializer,
                                        asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await http::async_write(stream_, res, asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return !ec;
  }

  // The headers, then the body a chunk at a time, each read off the loop while none is held
  // beyond the one being written.
  asio::awaitable<bool> sendStreamed(const Response& response, unsigned version, bool keepAlive,
                                     bool headOnly) {
    static constexpr std::uint64_t kChunk = std::uint64_t{64} * 1024;
    const BodySource& source = *response.source;
    http::response<http::empty_body> res{static_cast<http::status>(response.status), version};
    setHeaders(res, response);
    res.content_length(source.length);
    res.keep_alive(keepAlive);
    server_.requestsFor(response.status).add();
    beast::error_code ec;
    stream_.expires_after(server_.options_.idleTimeout);
    http::response_serializer<http::empty_body> serializer{res};
    co_await http::async_write_header(stream_, serializer,
                                      asio::redirect_error(asio::use_awaitable, ec));
    if (ec || headOnly) co_return !ec;
    for (std::uint64_t left = source.length; left > 0;) {
      auto want = static_cast<std::size_t>(std::min(left, kChunk));
      std::string chunk;
      // (An if, not ?:, around co_await: GCC 12 miscompiles co_await inside a conditional.)
      if (server_.options_.bodyReads != nullptr) {
        chunk = co_await runOn(*server_.options_.bodyReads,
                               [&source, want] { return source.next(want); });
      } else {
        chunk = source.next(want);
      }
      if (chunk.empty() || chunk.size() > left) {
        spdlog::warn("http body cut short remote={}: its file shrank while it was sent", remote_);
        co_return false;
      }
      stream_.expires_after(server_.options_.idleTimeout);
      co_await asio::async_write(stream_, asio::buffer(chunk),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return false;
      left -= chunk.size();
    }
    co_return true;
  }

  // After answering a request whose body (or headers) were not read, the client may still be
  // sending: closing now would reset the connection and the client would never see the answer.
  // Read and discard what is still coming, within limits, then close.
  asio::awaitable<void> lingeringClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, std::size_t{16} * 1024> scratch{};
    std::size_t drained = 0;
    constexpr std::size_t kMaxDrain = std::size_t{64} * 1024 * 1024;
    stream_.expires_after(std::chrono::seconds(5));
    while (!ec && drained < kMaxDrain) {
      drained += co_await stream_.async_read_some(asio::buffer(scratch),
                                                  asio::redirect_error(asio::use_awaitable, ec));
    }
    stream_.socket().close(ec);
  }

  asio::awaitable<void> sendTooLarge(unsigned version) {
    auto r = errorResponse(413, "payload_too_large",
                           fmt::format("the request body is over the limit of {} bytes",
                                       server_.options_.maxBodyBytes));
    co_await send(r, version, false, false);
  }

  // Malformed requests get an answer before the connection closes; transport errors do not.
  asio::awaitable<void> answerReadError(const beast::error_code& ec, unsigned version) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == asio::error::bad_descriptor ||
        ec == http::error::partial_message) {
      co_return;
    }
    if (version == 0) version = 11;
    if (ec == http::error::body_limit) {
      co_await sendTooLarge(version);
    } else if (ec == http::error::header_limit) {
      auto r = errorResponse(431, "headers_too_large", "the request headers are too large");
      co_await send(r, version, false, false);
    } else if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      auto r = errorResponse(400, "bad_request",
                             fmt::format("malformed HTTP request: {}", ec.message()));
      co_await send(r, version, false, false);
    } else {
      co_return;
    }
    co_await lingeringClose();
  }

  HttpServer& server_;
  beast::tcp_stream stream_;
  std::string remote_;
  bool busy_ = false;
};

HttpServer::HttpServer(asio::io_context& io, const tcp::endpoint& endpoint, Options options,
                       Handler handler, MetricsRegistry& metrics)
    : io_(io),
      acceptor_(io),
      options_(options),
      handler_(std::move(handler)),
      metrics_(metrics),
      acceptFailures_(metrics.counter("sb_http_accept_failures_total",
                                      "Failed accepts (e.g. out of file descriptors).")),
      drained_(io) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  if (endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  metrics_.gauge("sb_http_connections", "Open HTTP connections.",
                 [this] { return static_cast<double>(open_); });
}

HttpServer::~HttpServer() = default;

tcp::endpoint HttpServer::localEndpoint() const {
  return acceptor_.local_endpoint();
}

Counter& HttpServer::requestsFor(int status) {
  return metrics_.counter("sb_http_requests_total", "HTTP requests answered, by status code.",
                          {{"code", std::to_string(status)}});
}

void HttpServer::start() {
  asio::co_spawn(io_, acceptLoop(), [](const std::exception_ptr& e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("http accept loop ended: {}", ex.what());
    }
  });
}

asio::awaitable<void> HttpServer::acceptLoop() {
  while (!stopping_) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      // Out of descriptors (EMFILE) or memory: retrying at once would spin the loop; give the
      // open connections a moment to finish first.
      acceptFailures_.add();
      spdlog::warn("http accept failed: {}; retrying in 100 ms", ec.message());
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(*this, std::move(socket));
    connections_.push_back(connection);
    ++open_;
    asio::co_spawn(io_, connection->run(), [this, connection](const std::exception_ptr& e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::warn("http connection ended: {}", ex.what());
        }
      }
      connectionClosed(connection.get());
    });
  }
}

void HttpServer::connectionClosed(Connection* closed) {
  --open_;
  connections_.remove_if([closed](const auto& weak) {
    auto c = weak.lock();
    return !c || c.get() == closed;
  });
  if (stopping_ && open_ == 0) drained_.cancel();
}

asio::awaitable<void> HttpServer::shutdown(std::chrono::seconds grace) {
  stopping_ = true;
  beast::error_code ec;
  acceptor_.close(ec);
  spdlog::info("http stopped accepting; {} connections open", open_);
  for (auto& weak : connections_) {
    if (auto c = weak.lock()) c->closeWhenIdle();
  }
  if (open_ == 0) co_return;
  drained_.expires_after(grace);
  co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (open_ > 0)
    spdlog::warn("http shutdown: {} connections still open after {}s", open_, grace.count());
}

}  // namespace sb::api
