// The transaction state machines with their RFC 3261 timers on a fake clock.

#include "sip/transactions.hpp"

#include <array>
#include <functional>
#include <set>

#include <gtest/gtest.h>

#include "sip/builder.hpp"
#include "sip/headers.hpp"

namespace sb::sip {
namespace {

using std::chrono::milliseconds;

struct SentMessage {
  Peer to;
  std::string bytes;
  int status() const { return parseMessage(bytes)->statusCode(); }
  std::string method() const { return std::string(parseMessage(bytes)->methodText()); }
};

class RecordingSender final : public Sender {
 public:
  void send(const Peer& to, std::string_view bytes) override {
    sent.push_back({to, std::string(bytes)});
  }
  std::vector<SentMessage> sent;
};

class RecordingUser final : public TransactionUser {
 public:
  void onRequest(ServerTxId tx, const Message& request, const Peer&) override {
    requests.push_back({tx, request});
    if (answerAtOnce) answerAtOnce(tx, request);
  }
  std::function<void(ServerTxId, const Message&)> answerAtOnce;  // inside onRequest
  void onAck(const Message& ack, const Peer&) override { acks.push_back(ack); }
  void onStrayResponse(const Message& r, const Peer&) override { strays.push_back(r); }
  void onAckTimeout(ServerTxId tx) override { ackTimeouts.push_back(tx); }
  std::vector<std::pair<ServerTxId, Message>> requests;
  std::vector<Message> acks;
  std::vector<Message> strays;
  std::vector<ServerTxId> ackTimeouts;
};

std::string request(const std::string& method, const std::string& branch = "z9hG4bKabc123",
                    const std::string& cseqMethod = "") {
  return "" + method + " sip:1001@127.0.0.1 SIP/2.0\r\n" +
         "Via: SIP/2.0/UDP 127.0.0.1:31062;branch=" + branch +
         ";rport\r\nFrom: <sip:4000@127.0.0.1>;tag=f1\r\nTo: <sip:1001@127.0.0.1>\r\n" +
         "Call-ID: tx-test\r\nCSeq: 7 " + (cseqMethod.empty() ? method : cseqMethod) +
         "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
}

class TransactionTest : public ::testing::Test {
 protected:
  const Peer udp{Transport::kUdp, "127.0.0.1", 31062, 0};
  const Peer tcp{Transport::kTcp, "127.0.0.1", 31062, 9};
  FakeTimers timers;
  RecordingSender sender;
  RecordingUser user;
  TransactionLayer layer{timers, sender, user, TimerSettings{}};

  void deliver(const std::string& bytes, const Peer& from) {
    auto m = parseMessage(bytes);
    ASSERT_TRUE(m.ok()) << m.error().message;
    layer.receive(std::move(*m), from);
  }
  std::string answer(int status, const std::string& toTag = "t9") {
    return responseTo(user.requests.back().second, status, {}, toTag).build();
  }
};

TEST_F(TransactionTest, NonInviteRetransmissionsGetTheLastAnswerAgain) {
  deliver(request("OPTIONS"), udp);
  ASSERT_EQ(user.requests.size(), 1U);
  deliver(request("OPTIONS"), udp);  // retransmitted while the core thinks: absorbed
  EXPECT_TRUE(sender.sent.empty());
  EXPECT_EQ(user.requests.size(), 1U);
  layer.respond(user.requests[0].first, 200, answer(200));
  ASSERT_EQ(sender.sent.size(), 1U);
  deliver(request("OPTIONS"), udp);
  ASSERT_EQ(sender.sent.size(), 2U);
  EXPECT_EQ(sender.sent[1].bytes, sender.sent[0].bytes);
  EXPECT_EQ(layer.stats().retransmissionsAbsorbed, 2U);
}

TEST_F(TransactionTest, NonInviteServerLingersForTimerJOverUdpOnly) {
  deliver(request("OPTIONS"), udp);
  layer.respond(user.requests[0].first, 200, answer(200));
  timers.advance(milliseconds(31999));
  EXPECT_EQ(layer.stats().servers, 1U);
  timers.advance(milliseconds(1));
  EXPECT_EQ(layer.stats().servers, 0U);
  deliver(request("OPTIONS", "z9hG4bKtcp1"), tcp);
  layer.respond(user.requests[1].first, 200, answer(200));
  timers.advance(milliseconds(0));
  EXPECT_EQ(layer.stats().servers, 0U);
}

TEST_F(TransactionTest, ResponsesFollowRportToTheSourcePort) {
  Peer natted{Transport::kUdp, "203.0.113.9", 40001, 0};
  deliver(request("OPTIONS"), natted);
  layer.respond(user.requests[0].first, 200, answer(200));
  EXPECT_EQ(sender.sent[0].to.address, "203.0.113.9");
  EXPECT_EQ(sender.sent[0].to.port, 40001);
}

TEST_F(TransactionTest, InviteGetsAnImmediate100Trying) {
  deliver(request("INVITE"), udp);
  ASSERT_EQ(sender.sent.size(), 1U);
  EXPECT_EQ(sender.sent[0].status(), 100);
  deliver(request("INVITE"), udp);
  ASSERT_EQ(sender.sent.size(), 2U);
  EXPECT_EQ(sender.sent[1].status(), 100);
  EXPECT_EQ(user.requests.size(), 1U);
}

TEST_F(TransactionTest, TheRequestIsReleasedOnceAnsweredWhileItsAnswerLingers) {
  deliver(request("OPTIONS"), udp);
  auto tx = user.requests[0].first;
  ASSERT_NE(layer.request(tx), nullptr);
  layer.respond(tx, 200, answer(200));
  EXPECT_EQ(layer.request(tx), nullptr);  // timer J keeps the key and the answer only
  EXPECT_EQ(layer.stats().servers, 1U);
  deliver(request("OPTIONS"), udp);
  ASSERT_EQ(sender.sent.size(), 2U);
  EXPECT_EQ(sender.sent[1].status(), 200);
}

// At 1,000 calls/s some 100,000 transactions linger at once: each keeps the bytes it may have
// to send again and nothing more.
TEST_F(TransactionTest, ALingeringServerKeepsOnlyItsAnswerSizedToFit) {
  deliver(request("OPTIONS"), udp);
  auto tx = user.requests[0].first;
  EXPECT_GE(layer.stats().heldBytes, request("OPTIONS").size());  // the request, while pending
  auto ok = answer(200);
  layer.respond(tx, 200, ok);
  EXPECT_EQ(layer.stats().heldBytes, ok.size());
}

TEST_F(TransactionTest, AnInviteAcceptedWithA2xxKeepsNoBytes) {
  deliver(request("INVITE"), udp);
  layer.respond(user.requests[0].first, 200, answer(200));
  EXPECT_EQ(layer.stats().servers, 1U);  // timer L
  EXPECT_EQ(layer.stats().heldBytes, 0U);
}

TEST_F(TransactionTest, AClientLingersWithItsAckAloneOrWithNothing) {
  auto failed = request("INVITE", newBranch());
  layer.sendRequest(failed, udp, [](const ClientEvent&) {});
  deliver(responseTo(*parseMessage(failed), 486, {}, "callee").build(), udp);
  auto accepted = request("INVITE", newBranch());
  layer.sendRequest(accepted, udp, [](const ClientEvent&) {});
  deliver(responseTo(*parseMessage(accepted), 200, {}, "callee").build(), udp);
  EXPECT_EQ(layer.stats().clients, 2U);  // timers D and M
  ASSERT_EQ(sender.sent.size(), 3U);     // INVITE, ACK of the 486, INVITE
  ASSERT_EQ(sender.sent[1].method(), "ACK");
  EXPECT_EQ(layer.stats().heldBytes, sender.sent[1].bytes.size());
}

TEST_F(TransactionTest, AnInviteAnsweredWhileItIsHandledGetsNo100) {
  user.answerAtOnce = [&](ServerTxId tx, const Message& invite) {
    layer.respond(tx, 180, responseTo(invite, 180, {}, "t9").build());
  };
  deliver(request("INVITE"), udp);
  ASSERT_EQ(sender.sent.size(), 1U);
  EXPECT_EQ(sender.sent[0].status(), 180);
  deliver(request("INVITE"), udp);  // a retransmission gets the answer again
  ASSERT_EQ(sender.sent.size(), 2U);
  EXPECT_EQ(sender.sent[1].status(), 180);
}

TEST_F(TransactionTest, InviteFailureIsRetransmittedUntilAcked) {
  deliver(request("INVITE"), udp);
  layer.respond(user.requests[0].first, 486, answer(486));
  ASSERT_EQ(sender.sent.size(), 2U);  // 100, 486
  // Timer G: T1, 2T1, 4T1 after the answer.
  timers.advance(milliseconds(500));
  EXPECT_EQ(sender.sent.size(), 3U);
  timers.advance(milliseconds(1000));
  EXPECT_EQ(sender.sent.size(), 4U);
  timers.advance(milliseconds(2000));
  EXPECT_EQ(sender.sent.size(), 5U);
  EXPECT_EQ(sender.sent.back().status(), 486);
  deliver(request("ACK", "z9hG4bKabc123", "ACK"), udp);
  EXPECT_TRUE(user.acks.empty());  // the ACK of a failure stays in the transaction
  timers.advance(milliseconds(10000));
  EXPECT_EQ(sender.sent.size(), 5U);
  EXPECT_EQ(layer.stats().servers, 0U);  // timer I (T4) ended it
  EXPECT_TRUE(user.ackTimeouts.empty());
}

TEST_F(TransactionTest, InviteFailureWithoutAckTimesOutAtTimerH) {
  deliver(request("INVITE"), udp);
  auto tx = user.requests[0].first;
  layer.respond(tx, 480, answer(480));
  timers.advance(milliseconds(31999));
  EXPECT_TRUE(user.ackTimeouts.empty());
  // Retransmissions: 0.5, 1.5, 3.5, 7.5, then every T2 (4 s) up to 31.5 s.
  EXPECT_EQ(sender.sent.size(), 2U + 4U + 6U);
  timers.advance(milliseconds(1));
  ASSERT_EQ(user.ackTimeouts.size(), 1U);
  EXPECT_EQ(user.ackTimeouts[0], tx);
  EXPECT_EQ(layer.stats().servers, 0U);
}

TEST_F(TransactionTest, InviteSuccessLeavesRetransmissionToTheCore) {
  deliver(request("INVITE"), udp);
  layer.respond(user.requests[0].first, 200, answer(200));
  deliver(request("INVITE"), udp);
  EXPECT_EQ(sender.sent.size(), 2U);  // a retransmitted INVITE is absorbed in Accepted
  deliver(request("ACK", "z9hG4bKack2xx", "ACK"), udp);
  EXPECT_EQ(user.acks.size(), 1U);  // the 2xx ACK is a new transaction: to the core
  timers.advance(milliseconds(32000));
  EXPECT_EQ(layer.stats().servers, 0U);
}

TEST_F(TransactionTest, CancelFindsItsPendingInvite) {
  deliver(request("INVITE"), udp);
  auto invite = user.requests[0].first;
  auto cancel = parseMessage(request("CANCEL"));
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(layer.pendingInviteFor(*cancel), invite);
  layer.respond(invite, 487, answer(487));
  EXPECT_FALSE(layer.pendingInviteFor(*cancel));
  EXPECT_FALSE(layer.pendingInviteFor(*parseMessage(request("CANCEL", "z9hG4bKother"))));
}

TEST_F(TransactionTest, Rfc2543RequestsWithoutBranchStillMatch) {
  auto old = request("OPTIONS", "oldstyle");
  deliver(old, udp);
  layer.respond(user.requests[0].first, 200, answer(200));
  deliver(old, udp);
  EXPECT_EQ(user.requests.size(), 1U);
  EXPECT_EQ(sender.sent.size(), 2U);
}

TEST_F(TransactionTest, ClientNonInviteRetransmitsOnTimerEAndTimesOutOnF) {
  bool timedOut = false;
  layer.sendRequest(request("OPTIONS", newBranch()), udp,
                    [&](const ClientEvent& e) { timedOut = e.response == nullptr; });
  ASSERT_EQ(sender.sent.size(), 1U);
  timers.advance(milliseconds(500));
  timers.advance(milliseconds(1000));
  timers.advance(milliseconds(2000));
  timers.advance(milliseconds(4000));  // capped at T2 from here
  EXPECT_EQ(sender.sent.size(), 5U);
  timers.advance(milliseconds(4000));
  EXPECT_EQ(sender.sent.size(), 6U);
  EXPECT_FALSE(timedOut);
  timers.advance(milliseconds(32000 - 11500));
  EXPECT_TRUE(timedOut);
  EXPECT_EQ(layer.stats().clients, 0U);
  EXPECT_EQ(layer.stats().timeouts, 1U);
}

TEST_F(TransactionTest, ClientNonInviteFinishesOnItsFinalAnswer) {
  std::vector<int> statuses;
  auto bytes = request("REGISTER", newBranch());
  layer.sendRequest(bytes, udp, [&](const ClientEvent& e) {
    statuses.push_back(e.response ? e.response->statusCode() : 0);
  });
  auto sentRequest = parseMessage(bytes);
  deliver(responseTo(*sentRequest, 401).build(), udp);
  deliver(responseTo(*sentRequest, 401).build(), udp);  // retransmitted answer: absorbed
  EXPECT_EQ(statuses, (std::vector<int>{401}));
  timers.advance(milliseconds(60000));
  EXPECT_EQ(sender.sent.size(), 1U);  // no retransmission after the answer
  EXPECT_EQ(layer.stats().clients, 0U);
}

TEST_F(TransactionTest, ClientInviteAcksAFailureItself) {
  std::vector<int> statuses;
  auto bytes = request("INVITE", newBranch());
  layer.sendRequest(bytes, udp, [&](const ClientEvent& e) {
    statuses.push_back(e.response ? e.response->statusCode() : 0);
  });
  auto sentRequest = parseMessage(bytes);
  timers.advance(milliseconds(500));
  EXPECT_EQ(sender.sent.size(), 2U);  // timer A
  deliver(responseTo(*sentRequest, 180, {}, "callee").build(), udp);
  timers.advance(milliseconds(10000));
  EXPECT_EQ(sender.sent.size(), 2U);  // no retransmission once ringing
  deliver(responseTo(*sentRequest, 486, {}, "callee").build(), udp);
  ASSERT_EQ(sender.sent.size(), 3U);
  auto ack = parseMessage(sender.sent[2].bytes);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->method(), Method::kAck);
  EXPECT_EQ(parseNameAddr(*ack->header(HeaderId::kTo))->tag(), "callee");
  EXPECT_EQ(parseCSeq(*ack->header(HeaderId::kCSeq))->method, "ACK");
  EXPECT_EQ(ack->headerValues(HeaderId::kVia).front(),
            sentRequest->headerValues(HeaderId::kVia).front());
  deliver(responseTo(*sentRequest, 486, {}, "callee").build(), udp);
  EXPECT_EQ(sender.sent.size(), 4U);  // the ACK again
  EXPECT_EQ(statuses, (std::vector<int>{180, 486}));
}

TEST_F(TransactionTest, ClientInviteTimesOutOnTimerBOnlyBeforeAnyAnswer) {
  bool timedOut = false;
  layer.sendRequest(request("INVITE", newBranch()), udp,
                    [&](const ClientEvent& e) { timedOut = e.response == nullptr; });
  timers.advance(milliseconds(32000));
  EXPECT_TRUE(timedOut);
  // A: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s
  EXPECT_EQ(sender.sent.size(), 7U);
}

TEST_F(TransactionTest, NothingIsRetransmittedOverTcp) {
  layer.sendRequest(request("OPTIONS", newBranch()), tcp, [](const ClientEvent&) {});
  timers.advance(milliseconds(20000));
  EXPECT_EQ(sender.sent.size(), 1U);
}

TEST_F(TransactionTest, UnmatchedResponsesGoToTheCore) {
  auto m = parseMessage(request("OPTIONS"));
  deliver(responseTo(*m, 200).build(), udp);
  EXPECT_EQ(user.strays.size(), 1U);
}

TEST(BranchTest, BranchesCarryTheMagicCookieAndDiffer) {
  auto a = newBranch();
  EXPECT_TRUE(a.starts_with("z9hG4bK"));
  EXPECT_GT(a.size(), 20U);
  EXPECT_NE(a, newBranch());
}

}  // namespace
}  // namespace sb::sip

namespace sb::sip {
namespace {

TEST(RandomTokenTest, LowerCaseAlphanumericsOfTheAskedLengthThatDoNotRepeat) {
  std::set<std::string> seen;
  std::array<int, 36> counts{};
  for (int i = 0; i < 1000; ++i) {
    auto token = randomToken(24);
    ASSERT_EQ(token.size(), 24U);
    for (char c : token) {
      ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << token;
      ++counts[c >= 'a' ? c - 'a' : 26 + c - '0'];
    }
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 1000U);
  // 24,000 draws over 36 symbols: about 667 each; a biased or broken generator strays far.
  for (int n : counts) {
    EXPECT_GT(n, 500);
    EXPECT_LT(n, 850);
  }
  auto branch = newBranch();
  EXPECT_TRUE(branch.starts_with("z9hG4bK")) << branch;
  EXPECT_EQ(branch.size(), 23U) << branch;
  EXPECT_NE(branch, newBranch());
  EXPECT_EQ(randomToken(200).size(), 200U);
}

}  // namespace
}  // namespace sb::sip
