#pragma once
// A UDP socket on loopback for call tests: it sends RTP to the media engine's endpoints and
// receives what they send to the address a test put in its SDP.

#include <array>
#include <cstdint>
#include <optional>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "media/rtp.hpp"

namespace sb::calls::test_support {

class LoopbackRtp {
 public:
  LoopbackRtp() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof local;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&local), size) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &size) != 0) {
      ADD_FAILURE() << "no loopback UDP socket";
      return;
    }
    port_ = ntohs(local.sin_port);
    timeval wait{5, 0};  // a deadline, not a pause: the first packet ends the wait
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  }
  ~LoopbackRtp() {
    if (fd_ >= 0) ::close(fd_);
  }
  LoopbackRtp(const LoopbackRtp&) = delete;
  LoopbackRtp& operator=(const LoopbackRtp&) = delete;

  std::uint16_t port() const { return port_; }

  // One 20 ms packet of silence with `payloadType` to 127.0.0.1:`port`.
  void sendTo(std::uint16_t port, std::uint8_t payloadType) {
    std::array<std::uint8_t, 12 + 160> packet{};
    auto size = media::writeRtpHeader(
        packet,
        {false, payloadType, ++sequence_, static_cast<std::uint32_t>(sequence_) * 160U, 0x5eed});
    std::fill(packet.begin() + static_cast<std::ptrdiff_t>(size), packet.end(),
              payloadType == 8 ? 0xd5 : 0xff);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(port);
    EXPECT_EQ(
        ::sendto(fd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
        static_cast<ssize_t>(packet.size()));
  }

  // The payload type of the next packet; nullopt when none came within the deadline.
  std::optional<int> nextPayloadType() {
    std::array<std::uint8_t, 1500> packet{};
    auto n = ::recv(fd_, packet.data(), packet.size(), 0);
    if (n < 12) return std::nullopt;
    return packet[1] & 0x7f;
  }

 private:
  int fd_;
  std::uint16_t port_ = 0;
  std::uint16_t sequence_ = 0;
};

}  // namespace sb::calls::test_support
