#pragma once
// Where SIP messages come from and go to, independent of the socket layer.

#include <cstdint>
#include <string>
#include <string_view>

namespace sb::sip {

enum class Transport : std::uint8_t { kUdp, kTcp };
std::string_view transportName(Transport t);  // "UDP", "TCP"
inline bool isReliable(Transport t) {
  return t != Transport::kUdp;
}

struct Peer {
  Transport transport = Transport::kUdp;
  std::string address;  // numeric IPv4 or IPv6 (no brackets)
  std::uint16_t port = 0;
  // Stream transports: the connection a request arrived on, so answers go back on it.
  std::uint64_t connection = 0;
  // Which of the server's addresses it came to: datagrams to it leave from the same one.
  std::uint16_t listener = 0;
};

// "192.0.2.7:5060", "[2001:db8::7]:5060": where it is, for messages people read.
std::string peerAddress(const Peer& peer);
// "udp:192.0.2.7:5060": with the transport, for logs.
std::string describePeer(const Peer& peer);

// Sends bytes to a peer; implemented by the transport layer (and by fakes in tests). The bytes are
// the caller's: a sender that cannot send them at once keeps a copy.
class Sender {
 public:
  virtual ~Sender() = default;
  virtual void send(const Peer& to, std::string_view bytes) = 0;
};

}  // namespace sb::sip
