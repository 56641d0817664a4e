#include "sip/transport.hpp"

#include <string>
#include <vector>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

namespace sb::sip {
namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;

std::string options(int n) {
  return fmt::format(
      "OPTIONS sip:switchboard@127.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-burst-{0}\r\n"
      "From: <sip:probe@127.0.0.1>;tag=t{0}\r\n"
      "To: <sip:switchboard@127.0.0.1>\r\n"
      "Call-ID: burst-{0}\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Max-Forwards: 70\r\n"
      "Content-Length: 0\r\n\r\n",
      n);
}

class UdpTransportTest : public ::testing::Test {
 protected:
  UdpTransportTest()
      : transport_(
            io_, SipTransport::Options{{"127.0.0.1"}, 0},
            [this](Message m, const Peer&) { onMessage(std::move(m)); }, metrics_),
        peer_(io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    transport_.start();
  }

  void sendDatagram(const std::string& bytes) {
    peer_.send_to(asio::buffer(bytes),
                  udp::endpoint(asio::ip::make_address("127.0.0.1"), transport_.port()));
  }

  // Runs the loop until `count` messages arrived; a stuck transport fails at the deadline.
  void runUntil(std::size_t count) {
    expected_ = count;
    asio::steady_timer deadline(io_, std::chrono::seconds(10));
    deadline.async_wait([this](auto) { io_.stop(); });
    io_.run();
    ASSERT_EQ(callIds_.size(), count) << "the transport stopped delivering";
  }

  virtual void onMessage(Message m) {
    callIds_.emplace_back(m.header(HeaderId::kCallId).value_or(""));
    if (callIds_.size() == expected_) io_.stop();
  }

  asio::io_context io_;
  MetricsRegistry metrics_;
  SipTransport transport_;
  udp::socket peer_;
  std::vector<std::string> callIds_;
  std::size_t expected_ = 0;
};

TEST_F(UdpTransportTest, DeliversEveryDatagramOfABurstInOrder) {
  constexpr int kDatagrams = 100;  // more than one burst; within the default receive buffer
  for (int i = 0; i < kDatagrams; ++i)
    sendDatagram(options(i));
  runUntil(kDatagrams);
  for (int i = 0; i < kDatagrams; ++i)
    EXPECT_EQ(callIds_[static_cast<std::size_t>(i)], fmt::format("burst-{}", i));
}

TEST_F(UdpTransportTest, KeepAlivesAndUnparsableDatagramsDoNotStopTheOnesAfterThem) {
  sendDatagram("\r\n\r\n");
  sendDatagram("this is not SIP");
  sendDatagram(options(1));
  runUntil(1);
  EXPECT_EQ(callIds_.front(), "burst-1");
}

// A long burst yields to the rest of the loop: work posted while the first datagram is handled
// runs before the last datagram is.
class UdpTransportFairnessTest : public UdpTransportTest {
 protected:
  void onMessage(Message m) override {
    if (callIds_.empty()) asio::post(io_, [this] { handledWhenPostedWorkRan_ = callIds_.size(); });
    UdpTransportTest::onMessage(std::move(m));
  }
  std::size_t handledWhenPostedWorkRan_ = 0;
};

TEST_F(UdpTransportFairnessTest, ALongBurstLetsOtherWorkRun) {
  constexpr int kDatagrams = 100;
  for (int i = 0; i < kDatagrams; ++i)
    sendDatagram(options(i));
  runUntil(kDatagrams);
  EXPECT_GT(handledWhenPostedWorkRan_, 0U);
  EXPECT_LT(handledWhenPostedWorkRan_, static_cast<std::size_t>(kDatagrams));
}

}  // namespace
}  // namespace sb::sip
