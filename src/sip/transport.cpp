#include "sip/transport.hpp"

#include <array>
#include <deque>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/logging.hpp"
#include "core/text.hpp"
#include "sip/builder.hpp"
#include "sip/syntax.hpp"

namespace sb::sip {

namespace asio = boost::asio;
namespace beast = boost::beast;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// A sender's address as Peer keeps it. IPv4 by hand: asio's to_string goes through inet_ntop
// and sprintf, which cost a fifth of reading a datagram.
std::string addressText(const asio::ip::address& address) {
  if (!address.is_v4()) return address.to_string();
  auto bytes = address.to_v4().to_bytes();
  return concat(bytes[0], '.', bytes[1], '.', bytes[2], '.', bytes[3]);
}

// A 400 (or 513) for a request the parser refused, built from its raw header lines when the
// headers a response needs are there; nullopt otherwise (responses and garbage are dropped).
std::optional<std::string> answerForUnparsable(std::string_view raw, int status,
                                               std::string_view reason) {
  if (raw.size() >= 4 && iequals(raw.substr(0, 4), "SIP/")) return std::nullopt;
  std::vector<std::string_view> vias;
  std::optional<std::string_view> from, to, callId, cseq;
  std::size_t pos = raw.find('\n');
  while (pos != std::string_view::npos && pos + 1 < raw.size()) {
    std::size_t next = raw.find('\n', pos + 1);
    auto line = raw.substr(
        pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    pos = next;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || isWsp(line[0])) continue;
    auto value = trimWsp(line.substr(colon + 1));
    for (char c : value) {
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return std::nullopt;
    }
    switch (headerIdFromName(trimWsp(line.substr(0, colon)))) {
      case HeaderId::kVia:
        vias.push_back(value);
        break;
      case HeaderId::kFrom:
        from = value;
        break;
      case HeaderId::kTo:
        to = value;
        break;
      case HeaderId::kCallId:
        callId = value;
        break;
      case HeaderId::kCSeq:
        cseq = value;
        break;
      default:
        break;
    }
  }
  if (vias.empty() || !from || !to || !callId || !cseq) return std::nullopt;
  std::string safeReason;
  for (char c : reason)
    safeReason.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  auto b = MessageBuilder::response(status, safeReason);
  for (auto v : vias)
    b.header(HeaderId::kVia, v);
  b.header(HeaderId::kFrom, *from).header(HeaderId::kTo, *to);
  b.header(HeaderId::kCallId, *callId).header(HeaderId::kCSeq, *cseq);
  return b.build();
}

}  // namespace

class SipTransport::Impl {
 public:
  Impl(asio::io_context& io, Options options, Receiver receiver, MetricsRegistry& metrics,
       Admission admission)
      : io_(io),
        options_(std::move(options)),
        receiver_(std::move(receiver)),
        admission_(std::move(admission)),
        received_(metrics.counter("sb_sip_messages_received_total", "SIP messages received.")),
        sent_(metrics.counter("sb_sip_messages_sent_total", "SIP messages sent.")),
        malformed_(metrics.counter("sb_sip_malformed_total",
                                   "SIP messages refused by the parser (400 or dropped).")),
        refused_(metrics.counter("sb_sip_refused_packets_total",
                                 "SIP packets and connections refused by the guard.")) {
    if (options_.addresses.empty()) throw std::invalid_argument("SIP transport without addresses");
    std::uint16_t port = options_.port;
    for (const auto& text : options_.addresses) {
      auto address = asio::ip::make_address(text);
      auto& l = *listeners_.emplace_back(std::make_unique<Listener>(io));
      l.index = static_cast<std::uint16_t>(listeners_.size() - 1);
      l.v6 = address.is_v6();
      // TCP first, so that port 0 picks one free port that UDP (and every other address) then
      // takes too.
      tcp::endpoint tcpEndpoint(address, port);
      l.acceptor.open(tcpEndpoint.protocol());
      l.acceptor.set_option(asio::socket_base::reuse_address(true));
      if (l.v6) l.acceptor.set_option(asio::ip::v6_only(true));
      l.acceptor.bind(tcpEndpoint);
      l.acceptor.listen(asio::socket_base::max_listen_connections);
      port = l.acceptor.local_endpoint().port();
      udp::endpoint udpEndpoint(address, port);
      l.datagrams.open(udpEndpoint.protocol());
      if (l.v6) l.datagrams.set_option(asio::ip::v6_only(true));
      l.datagrams.set_option(asio::socket_base::receive_buffer_size(4 * 1024 * 1024));
      l.datagrams.bind(udpEndpoint);
      l.datagrams.non_blocking(true);
    }
    metrics.gauge("sb_sip_tcp_connections", "Open SIP TCP connections.",
                  [this] { return static_cast<double>(connections_.size()); });
  }

  void start() {
    for (auto& l : listeners_) {
      asio::co_spawn(io_, udpLoop(*l), asio::detached);
      asio::co_spawn(io_, acceptLoop(*l), asio::detached);
    }
  }

  void stop() {
    error_code ec;
    stopped_ = true;
    for (auto& l : listeners_) {
      l->datagrams.close(ec);
      l->acceptor.close(ec);
    }
    for (auto& [id, c] : connections_)
      c->stream.socket().close(ec);
  }

  std::uint16_t port() const { return listeners_.front()->acceptor.local_endpoint().port(); }

  void send(const Peer& to, std::string_view bytes) {
    if (stopped_) return;
    sent_.add();
    if (to.transport == Transport::kUdp) {
      sendUdp(to, bytes);
    } else {
      sendTcp(to, std::string(bytes));
    }
  }

 private:
  struct Listener {
    explicit Listener(asio::io_context& io) : datagrams(io), acceptor(io) {}
    std::uint16_t index = 0;
    bool v6 = false;
    udp::socket datagrams;
    tcp::acceptor acceptor;
  };

  // The socket a datagram to `to` leaves from: the one its peer reached us on, else the first
  // of the right address family.
  Listener* listenerFor(const Peer& to, bool v6) {
    if (to.listener < listeners_.size() && listeners_[to.listener]->v6 == v6) {
      return listeners_[to.listener].get();
    }
    for (auto& l : listeners_) {
      if (l->v6 == v6) return l.get();
    }
    return nullptr;
  }

  struct Connection {
    explicit Connection(tcp::socket s) : stream(std::move(s)) {}
    std::uint64_t id = 0;
    beast::tcp_stream stream;
    Peer peer;
    std::deque<std::string> queue;
    bool writing = false;
  };

  void deliver(std::string bytes, std::string_view raw, const Peer& from,
               const std::shared_ptr<Connection>& connection) {
    auto message = parseMessage(std::move(bytes), options_.limits);
    if (!message) {
      malformed_.add();
      spdlog::debug("sip malformed from={}:{} reason=\"{}\"", from.address, from.port,
                    loggable(message.error().message));
      if (auto answer = answerForUnparsable(raw, 400, message.error().message)) {
        send(from, std::move(*answer));
      }
      if (connection) closeAfterWrites(connection);
      return;
    }
    received_.add();
    receiver_(std::move(*message), from);
  }

  // Waits until the socket is readable, then reads what is queued without going back to the
  // event loop: under load datagrams arrive in bursts, and each trip through the loop costs a
  // poll of the reactor and a posted completion. After kBurst datagrams the loop runs others.
  asio::awaitable<void> udpLoop(Listener& l) {
    static constexpr int kBurst = 64;
    std::vector<char> buffer(65536);
    l.datagrams.non_blocking(true);
    for (;;) {
      error_code ec;
      co_await l.datagrams.async_wait(udp::socket::wait_read,
                                      asio::redirect_error(asio::use_awaitable, ec));
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      int burst = 0;
      for (;;) {
        udp::endpoint from;
        std::size_t n = l.datagrams.receive_from(asio::buffer(buffer), from, 0, ec);
        if (stopped_) co_return;
        if (ec == asio::error::would_block || ec == asio::error::try_again) break;
        // Other errors, e.g. ICMP port unreachable reported on the socket, concern one datagram.
        if (!ec) datagram(l, std::string_view(buffer.data(), n), from);
        if (++burst == kBurst) {
          burst = 0;
          co_await asio::post(io_, asio::use_awaitable);
          if (stopped_) co_return;
        }
      }
    }
  }

  void datagram(const Listener& l, std::string_view raw, const udp::endpoint& from) {
    Peer peer{Transport::kUdp, addressText(from.address()), from.port(), 0, l.index};
    if (admission_ && !admission_(peer.address)) {
      refused_.add();
      return;
    }
    if (raw.find_first_not_of("\r\n") == std::string_view::npos) return;  // keep-alive
    if (raw.size() > options_.limits.maxMessageBytes) {
      malformed_.add();
      if (auto answer = answerForUnparsable(raw, 513, "Message Too Large")) send(peer, *answer);
      return;
    }
    deliver(std::string(raw), raw, peer, nullptr);
  }

  // The address of the last datagram's destination: calls go back and forth between a few
  // peers, so most sends skip parsing the same text again.
  std::optional<asio::ip::address> addressOf(const std::string& text) {
    if (!lastAddress_ || text != lastAddressText_) {
      error_code ec;
      auto address = asio::ip::make_address(text, ec);
      if (ec) return std::nullopt;
      lastAddressText_ = text;
      lastAddress_ = address;
    }
    return lastAddress_;
  }

  void sendUdp(const Peer& to, std::string_view bytes) {
    error_code ec;
    auto parsed = addressOf(to.address);
    if (!parsed) return;
    const auto& address = *parsed;
    udp::endpoint endpoint(address, to.port);
    Listener* l = listenerFor(to, address.is_v6());
    if (l == nullptr) {
      spdlog::debug("sip no {} address to send to {} from", address.is_v6() ? "IPv6" : "IPv4",
                    to.address);
      return;
    }
    // Non-blocking first: on loopback and a healthy network the datagram is gone at once.
    l->datagrams.send_to(asio::buffer(bytes), endpoint, 0, ec);
    if (ec != asio::error::would_block) return;
    auto owned = std::make_shared<std::string>(bytes);
    l->datagrams.async_send_to(asio::buffer(*owned), endpoint, [owned](error_code, std::size_t) {});
  }

  asio::awaitable<void> acceptLoop(Listener& l) {
    for (;;) {
      error_code ec;
      tcp::socket socket =
          co_await l.acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopped_ || ec == asio::error::operation_aborted) co_return;
        asio::steady_timer pause(io_, std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      auto remote = socket.remote_endpoint(ec);
      if (ec) continue;
      std::string address = remote.address().to_string();
      if ((admission_ && !admission_(address)) ||
          connections_.size() >= options_.maxTcpConnections) {
        refused_.add();
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto c = adopt(std::move(socket), Peer{Transport::kTcp, address, remote.port(), 0, l.index});
      asio::co_spawn(io_, readLoop(c), asio::detached);
    }
  }

  std::shared_ptr<Connection> adopt(tcp::socket socket, Peer peer) {
    auto c = std::make_shared<Connection>(std::move(socket));
    c->id = nextConnection_++;
    peer.connection = c->id;
    c->peer = peer;
    connections_.emplace(c->id, c);
    byRemote_[remoteKey(peer)] = c->id;
    return c;
  }

  static std::string remoteKey(const Peer& p) { return fmt::format("{}|{}", p.address, p.port); }

  void forget(const std::shared_ptr<Connection>& c) {
    connections_.erase(c->id);
    auto it = byRemote_.find(remoteKey(c->peer));
    if (it != byRemote_.end() && it->second == c->id) byRemote_.erase(it);
  }

  asio::awaitable<void> readLoop(std::shared_ptr<Connection> c) {
    std::string pending;
    std::array<char, 16 * 1024> chunk{};
    for (;;) {
      error_code ec;
      c->stream.expires_after(options_.tcpIdleTimeout);
      std::size_t n = co_await c->stream.async_read_some(
          asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      pending.append(chunk.data(), n);
      bool broken = false;
      while (!pending.empty()) {
        auto frame = frameStream(pending, options_.limits);
        if (frame.kind == Framing::Kind::kNeedMore) break;
        if (frame.kind == Framing::Kind::kKeepAlive) {
          // RFC 5626 §3.5.1: a double CRLF ping gets a single CRLF pong.
          if (std::string_view(pending).substr(0, frame.length).find("\r\n\r\n") !=
              std::string_view::npos) {
            send(c->peer, "\r\n");
          }
          pending.erase(0, frame.length);
          continue;
        }
        if (frame.kind == Framing::Kind::kError) {
          malformed_.add();
          if (auto answer = answerForUnparsable(pending, 400, frame.error)) send(c->peer, *answer);
          broken = true;
          break;
        }
        std::string_view raw(pending.data(), frame.length);
        deliver(std::string(raw), raw, c->peer, nullptr);
        pending.erase(0, frame.length);
      }
      if (broken) {
        closeAfterWrites(c);
        co_return;
      }
    }
    error_code ignored;
    c->stream.socket().close(ignored);
    forget(c);
  }

  void closeAfterWrites(const std::shared_ptr<Connection>& c) {
    forget(c);
    if (!c->writing) {
      error_code ec;
      c->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      c->stream.socket().close(ec);
    } else {
      c->queue.emplace_back();  // an empty entry marks "close here"
    }
  }

  void sendTcp(const Peer& to, std::string bytes) {
    std::shared_ptr<Connection> c;
    if (auto it = connections_.find(to.connection);
        to.connection != 0 && it != connections_.end()) {
      c = it->second;
    } else if (auto r = byRemote_.find(remoteKey(to)); r != byRemote_.end()) {
      c = connections_.at(r->second);
    }
    if (c) {
      enqueue(c, std::move(bytes));
      return;
    }
    asio::co_spawn(io_, connectAndSend(to, std::move(bytes)), asio::detached);
  }

  asio::awaitable<void> connectAndSend(Peer to, std::string bytes) {
    error_code ec;
    auto address = asio::ip::make_address(to.address, ec);
    if (ec) co_return;
    tcp::socket socket(io_);
    co_await socket.async_connect(tcp::endpoint(address, to.port),
                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      spdlog::debug("sip tcp connect to {}:{} failed: {}", to.address, to.port, ec.message());
      co_return;
    }
    to.connection = 0;
    auto c = adopt(std::move(socket), to);
    enqueue(c, std::move(bytes));
    asio::co_spawn(io_, readLoop(c), asio::detached);
  }

  void enqueue(const std::shared_ptr<Connection>& c, std::string bytes) {
    constexpr std::size_t kMaxQueued = 1000;  // a peer that stops reading loses its messages
    if (c->queue.size() >= kMaxQueued) return;
    c->queue.push_back(std::move(bytes));
    if (!c->writing) asio::co_spawn(io_, writeLoop(c), asio::detached);
  }

  asio::awaitable<void> writeLoop(std::shared_ptr<Connection> c) {
    c->writing = true;
    while (!c->queue.empty()) {
      std::string bytes = std::move(c->queue.front());
      c->queue.pop_front();
      error_code ec;
      if (bytes.empty()) {  // close marker
        c->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        c->stream.socket().close(ec);
        break;
      }
      c->stream.expires_after(std::chrono::seconds(30));
      co_await asio::async_write(c->stream, asio::buffer(bytes),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    c->writing = false;
  }

  asio::io_context& io_;
  Options options_;
  Receiver receiver_;
  Admission admission_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> connections_;
  std::unordered_map<std::string, std::uint64_t> byRemote_;
  std::uint64_t nextConnection_ = 1;
  bool stopped_ = false;
  std::string lastAddressText_;
  std::optional<asio::ip::address> lastAddress_;
  Counter& received_;
  Counter& sent_;
  Counter& malformed_;
  Counter& refused_;
};

SipTransport::SipTransport(asio::io_context& io, Options options, Receiver receiver,
                           MetricsRegistry& metrics, Admission admission)
    : impl_(std::make_unique<Impl>(io, std::move(options), std::move(receiver), metrics,
                                   std::move(admission))) {}
SipTransport::~SipTransport() = default;
void SipTransport::start() {
  impl_->start();
}
void SipTransport::stop() {
  impl_->stop();
}
std::uint16_t SipTransport::port() const {
  return impl_->port();
}
void SipTransport::send(const Peer& to, std::string_view bytes) {
  impl_->send(to, bytes);
}

}  // namespace sb::sip
