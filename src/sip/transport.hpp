#pragma once
// SIP over UDP and TCP on the control loop (RFC 3261 §18): one UDP socket and one TCP listener
// per configured address (IPv4 and IPv6 side by side), answers leaving from the address the
// request came to, connection reuse (answers and requests to a peer go on its connection), CRLF
// keep-alive (RFC 5626 §3.5.1), size limits. Malformed requests get a 400 when they can be
// answered at all. TLS and WebSocket will be further Transport kinds behind the same Sender.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/metrics.hpp"
#include "sip/message.hpp"
#include "sip/peer.hpp"

namespace sb::sip {

class SipTransport final : public Sender {
 public:
  using Receiver = std::function<void(Message message, const Peer& from)>;
  // Consulted for every packet and connection: false drops it (banned or over its rate).
  using Admission = std::function<bool(const std::string& address)>;

  struct Options {
    std::vector<std::string> addresses = {"127.0.0.1"};  // numeric IPv4/IPv6, wildcards allowed
    std::uint16_t port = 5060;  // 0: any free port (the same one for UDP, TCP, every address)
    ParseLimits limits;
    std::chrono::seconds tcpIdleTimeout{900};
    std::size_t maxTcpConnections = 10000;
  };

  // Binds at once (throws boost::system::system_error when the port is taken).
  SipTransport(boost::asio::io_context& io, Options options, Receiver receiver,
               MetricsRegistry& metrics, Admission admission = {});
  ~SipTransport() override;

  void start();
  // Closes the sockets; pending sends are dropped.
  void stop();
  std::uint16_t port() const;

  void send(const Peer& to, std::string_view bytes) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::sip
