// INVITE sessions through the real core and transaction layer, on fake timers.

#include "sip/user_agent.hpp"

#include <gtest/gtest.h>

#include "sip/digest.hpp"
#include "sip/headers.hpp"

namespace sb::sip {
namespace {

using std::chrono::milliseconds;

class RecordingSender final : public Sender {
 public:
  void send(const Peer&, std::string_view bytes) override { sent.emplace_back(bytes); }
  std::vector<Message> messages() const {
    std::vector<Message> out;
    for (const auto& s : sent)
      out.push_back(*parseMessage(s));
    return out;
  }
  // Messages sent since `from` that are the given response code (0: requests) and method.
  std::vector<Message> matching(std::size_t from, int status, std::string_view method) const {
    std::vector<Message> out;
    for (std::size_t i = from; i < sent.size(); ++i) {
      auto m = *parseMessage(sent[i]);
      auto cseq = parseCSeq(*m.header(HeaderId::kCSeq));
      if (m.statusCode() == status && cseq->method == method) out.push_back(m);
    }
    return out;
  }
  std::vector<std::string> sent;
};

constexpr std::string_view kSdp =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\n";

class UserAgentTest : public ::testing::Test {
 protected:
  const Peer phone{Transport::kUdp, "127.0.0.1", 31062, 0};
  FakeTimers timers;
  MetricsRegistry metrics;
  RecordingSender sender;
  SipCore core{metrics, "switchboard-test"};
  TransactionLayer layer{timers, sender, core};
  UserAgent ua{core, layer, sender, timers, TimerSettings{}, UserAgentOptions{}};
  std::vector<SessionEvent::Kind> events;
  std::vector<std::string> reasons;
  SessionId uas = 0;
  ServerTxId lastRequestTx = 0;
  int branch = 0;

  void SetUp() override {
    core.attach(layer);
    core.attachDialogs(ua);
    core.onInvite([this](ServerTxId tx, const Message& m, const Peer& from) {
      uas = ua.accept(tx, m, from, recorder());
    });
  }

  SessionHandler recorder() {
    return [this](const SessionEvent& e) {
      events.push_back(e.kind);
      reasons.emplace_back(e.reason);
      if (e.kind == SessionEvent::Kind::kRequest) lastRequestTx = e.request;
    };
  }

  void receive(const std::string& bytes) { layer.receive(*parseMessage(bytes), phone); }

  std::string nextBranch() { return "z9hG4bKua" + std::to_string(++branch); }

  // An INVITE from the phone (From tag "ph"), as the first request of the call.
  std::string inviteFromPhone(const std::string& extra, const std::string& viaBranch) {
    return "INVITE sip:4000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:31062;branch=" +
           viaBranch +
           ";rport\r\nFrom: <sip:1001@127.0.0.1>;tag=ph\r\nTo: <sip:4000@127.0.0.1>\r\n"
           "Call-ID: call-1\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@127.0.0.1:31062>\r\n" +
           extra + "Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: " +
           std::to_string(kSdp.size()) + "\r\n\r\n" + std::string(kSdp);
  }

  // A request from the phone inside the dialog whose To tag is `ourTag`.
  std::string inDialog(const std::string& method, int cseq, const std::string& ourTag,
                       const std::string& extra = "", const std::string& cseqMethod = "") {
    return method + " sip:switchboard@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP " +
           "127.0.0.1:31062;branch=" + nextBranch() +
           "\r\nFrom: <sip:1001@127.0.0.1>;tag=ph\r\nTo: <sip:4000@127.0.0.1>;tag=" + ourTag +
           "\r\nCall-ID: call-1\r\nCSeq: " + std::to_string(cseq) + " " +
           (cseqMethod.empty() ? method : cseqMethod) +
           "\r\nContact: <sip:1001@127.0.0.1:31062>\r\n" + extra +
           "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  }

  std::string ourTag() const { return std::string(ua.dialog(uas)->id().localTag); }

  // A call from the phone answered by the server.
  void answeredCall(const std::string& extra = "") {
    receive(inviteFromPhone(extra, nextBranch()));
    ASSERT_NE(uas, 0U);
    ua.answer(uas, kSdp);
  }
};

TEST_F(UserAgentTest, The2xxIsRetransmittedUntilItsAck) {
  answeredCall();
  auto start = sender.sent.size();
  ASSERT_EQ(sender.matching(0, 200, "INVITE").size(), 1U);
  // T1, 2*T1, 4*T1, then capped at T2 = 4 s.
  for (auto step : {500, 1000, 2000, 4000, 4000}) {
    timers.advance(milliseconds(step - 1));
    auto before = sender.matching(start, 200, "INVITE").size();
    timers.advance(milliseconds(1));
    EXPECT_EQ(sender.matching(start, 200, "INVITE").size(), before + 1) << step;
  }
  receive(inDialog("ACK", 1, ourTag()));
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kConfirmed});
  auto afterAck = sender.sent.size();
  timers.advance(milliseconds(60000));
  EXPECT_EQ(sender.matching(afterAck, 200, "INVITE").size(), 0U);
  EXPECT_TRUE(ua.exists(uas));
}

TEST_F(UserAgentTest, No2xxAckEndsTheCallWithBye) {
  answeredCall();
  auto start = sender.sent.size();
  timers.advance(milliseconds(64 * 500));
  auto byes = sender.matching(start, 0, "BYE");
  ASSERT_EQ(byes.size(), 1U);
  EXPECT_EQ(byes[0].requestUri(), "sip:1001@127.0.0.1:31062");
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kEnded});
  EXPECT_EQ(reasons.back(), "no ACK");
  EXPECT_FALSE(ua.exists(uas));
}

TEST_F(UserAgentTest, ProvisionalWithSdpIsReliableWhenTheCallerSupports100rel) {
  receive(inviteFromPhone("Supported: 100rel, timer\r\n", nextBranch()));
  auto start = sender.sent.size();
  ua.progress(uas, 183, kSdp);
  auto early = sender.matching(start, 183, "INVITE");
  ASSERT_EQ(early.size(), 1U);
  EXPECT_EQ(early[0].header(HeaderId::kRequire), "100rel");
  auto rseq = std::string(*early[0].header(HeaderId::kRSeq));
  EXPECT_EQ(early[0].body(), kSdp);
  // Retransmitted with doubling intervals until the PRACK.
  timers.advance(milliseconds(500));
  timers.advance(milliseconds(1000));
  EXPECT_EQ(sender.matching(start, 183, "INVITE").size(), 3U);
  // The 2xx waits for the PRACK of a provisional with SDP.
  ua.answer(uas, kSdp);
  EXPECT_EQ(sender.matching(start, 200, "INVITE").size(), 0U);
  auto beforePrack = sender.sent.size();
  receive(inDialog("PRACK", 2, ourTag(), "RAck: " + rseq + " 1 INVITE\r\n"));
  EXPECT_EQ(sender.matching(beforePrack, 200, "PRACK").size(), 1U);
  EXPECT_EQ(sender.matching(beforePrack, 200, "INVITE").size(), 1U);
  timers.advance(milliseconds(400));
  EXPECT_EQ(sender.matching(beforePrack, 183, "INVITE").size(), 0U);
}

TEST_F(UserAgentTest, ProvisionalWithoutSdpStaysUnreliableUnlessRequired) {
  receive(inviteFromPhone("Supported: 100rel\r\n", nextBranch()));
  auto start = sender.sent.size();
  ua.progress(uas, 180);
  auto ringing = sender.matching(start, 180, "INVITE");
  ASSERT_EQ(ringing.size(), 1U);
  EXPECT_FALSE(ringing[0].header(HeaderId::kRSeq).has_value());
  auto to = parseNameAddr(*ringing[0].header(HeaderId::kTo));
  EXPECT_EQ(to->tag(), ourTag());
}

TEST_F(UserAgentTest, RequiredReliableProvisionalWithoutPrackFailsTheInvite) {
  receive(inviteFromPhone("Require: 100rel\r\n", nextBranch()));
  auto start = sender.sent.size();
  ua.progress(uas, 180);
  ASSERT_TRUE(sender.matching(start, 180, "INVITE")[0].header(HeaderId::kRSeq).has_value());
  timers.advance(milliseconds(64 * 500));
  EXPECT_EQ(sender.matching(start, 504, "INVITE").size(), 1U);
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kEnded});
  EXPECT_EQ(reasons.back(), "no PRACK");
}

TEST_F(UserAgentTest, PrackForAnotherRSeqGets481) {
  receive(inviteFromPhone("Require: 100rel\r\n", nextBranch()));
  ua.progress(uas, 180);
  auto start = sender.sent.size();
  receive(inDialog("PRACK", 2, ourTag(), "RAck: 999999999 1 INVITE\r\n"));
  EXPECT_EQ(sender.matching(start, 481, "PRACK").size(), 1U);
}

TEST_F(UserAgentTest, ByeEndsTheCall) {
  answeredCall();
  receive(inDialog("ACK", 1, ourTag()));
  auto start = sender.sent.size();
  receive(inDialog("BYE", 2, ourTag()));
  EXPECT_EQ(sender.matching(start, 200, "BYE").size(), 1U);
  EXPECT_EQ(events.back(), SessionEvent::Kind::kEnded);
  EXPECT_EQ(reasons.back(), "bye");
  EXPECT_FALSE(ua.exists(uas));
  // The dialog is gone: another BYE gets 481.
  start = sender.sent.size();
  receive(inDialog("BYE", 3, "unknown"));
  EXPECT_EQ(sender.matching(start, 481, "BYE").size(), 1U);
}

TEST_F(UserAgentTest, CancelEndsTheRingingSession) {
  auto inviteBranch = nextBranch();
  receive(inviteFromPhone("", inviteBranch));
  ua.progress(uas, 180);
  auto start = sender.sent.size();
  receive("CANCEL sip:4000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:31062;branch=" +
          inviteBranch +
          "\r\nFrom: <sip:1001@127.0.0.1>;tag=ph\r\nTo: <sip:4000@127.0.0.1>\r\n"
          "Call-ID: call-1\r\nCSeq: 1 CANCEL\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(sender.matching(start, 200, "CANCEL").size(), 1U);
  EXPECT_EQ(sender.matching(start, 487, "INVITE").size(), 1U);
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kEnded});
  EXPECT_EQ(reasons.back(), "cancelled");
}

TEST_F(UserAgentTest, ReInviteIsHandedUpAndIts2xxRetransmittedUntilAck) {
  answeredCall();
  receive(inDialog("ACK", 1, ourTag()));
  receive(inDialog("INVITE", 2, ourTag()));
  ASSERT_EQ(events.back(), SessionEvent::Kind::kRequest);
  auto start = sender.sent.size();
  ua.respond(uas, lastRequestTx, 200, kSdp);
  timers.advance(milliseconds(500));
  EXPECT_EQ(sender.matching(start, 200, "INVITE").size(), 2U);
  events.clear();
  receive(inDialog("ACK", 2, ourTag()));
  timers.advance(milliseconds(5000));
  EXPECT_EQ(sender.matching(start, 200, "INVITE").size(), 2U);
  // The ACK is handed up once: after a re-INVITE without an offer it carries the answer.
  receive(inDialog("ACK", 2, ourTag()));
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kConfirmed});
  EXPECT_TRUE(ua.exists(uas));
}

TEST_F(UserAgentTest, ReInviteMeetingOursIsGlare491) {
  answeredCall();
  receive(inDialog("ACK", 1, ourTag()));
  ASSERT_TRUE(ua.request(uas, "INVITE", "application/sdp", kSdp, [](const Message*) {}));
  auto start = sender.sent.size();
  receive(inDialog("INVITE", 2, ourTag()));
  EXPECT_EQ(sender.matching(start, 491, "INVITE").size(), 1U);
  // And a second one of ours is refused locally.
  EXPECT_FALSE(ua.request(uas, "INVITE", "application/sdp", kSdp, [](const Message*) {}));
}

TEST_F(UserAgentTest, HangUpBeforeAckWaitsForTheAckThenSendsBye) {
  answeredCall();
  ua.hangUp(uas);
  auto start = sender.sent.size();
  EXPECT_EQ(sender.matching(start, 0, "BYE").size(), 0U);
  receive(inDialog("ACK", 1, ourTag()));
  EXPECT_EQ(sender.matching(start, 0, "BYE").size(), 1U);
  EXPECT_TRUE(events.empty());
}

// --- UAC ----------------------------------------------------------------------------------------

// The far end's response to `invite` (an INVITE we sent), with `extra` header lines.
std::string answerTo(const Message& invite, int status, const std::string& extra,
                     const std::string& toTag, const std::string& contact) {
  std::string out = "SIP/2.0 " + std::to_string(status) + " Whatever\r\n";
  for (auto via : invite.headerLines(HeaderId::kVia))
    out += "Via: " + std::string(via) + "\r\n";
  out += "From: " + std::string(*invite.header(HeaderId::kFrom)) + "\r\n";
  out += "To: " + std::string(*invite.header(HeaderId::kTo)) +
         (toTag.empty() ? "" : ";tag=" + toTag) + "\r\n";
  out += "Call-ID: " + std::string(*invite.header(HeaderId::kCallId)) +
         "\r\nCSeq: " + std::string(*invite.header(HeaderId::kCSeq)) + "\r\nContact: " + contact +
         "\r\n" + extra + "Content-Length: 0\r\n\r\n";
  return out;
}

class UacTest : public UserAgentTest {
 protected:
  SessionId uac = 0;

  void SetUp() override {
    UserAgentTest::SetUp();
    uac = ua.invite(outgoing(), recorder());
  }

  // The INVITE the test sends: to phone 1002.
  virtual OutgoingInvite outgoing() const {
    OutgoingInvite invite;
    invite.requestUri = "sip:1002@127.0.0.1:31062";
    invite.from = "<sip:4000@switchboard>";
    invite.to = "<sip:1002@switchboard>";
    invite.target = phone;
    invite.sdp = std::string(kSdp);
    return invite;
  }

  Message sentInvite() const { return sender.matching(0, 0, "INVITE").front(); }

  // A response from the phone to our INVITE.
  std::string response(int status, const std::string& extra, const std::string& toTag = "callee") {
    return answerTo(sentInvite(), status, extra, toTag, "<sip:1002@127.0.0.1:31062;ob>");
  }
};

TEST_F(UacTest, TheInviteOffersSdpAndSupports100rel) {
  auto invite = sentInvite();
  EXPECT_EQ(invite.requestUri(), "sip:1002@127.0.0.1:31062");
  EXPECT_EQ(invite.header(HeaderId::kSupported), "100rel");
  EXPECT_EQ(invite.body(), kSdp);
  EXPECT_FALSE(parseNameAddr(*invite.header(HeaderId::kFrom))->tag().empty());
}

TEST_F(UacTest, AnsweredCallIsAckedAtTheContactAndAckedAgainOnRetransmission) {
  receive(response(180, ""));
  receive(response(200, ""));
  EXPECT_EQ(events, (std::vector{SessionEvent::Kind::kProgress, SessionEvent::Kind::kAnswered}));
  auto acks = sender.matching(0, 0, "ACK");
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].requestUri(), "sip:1002@127.0.0.1:31062;ob");
  EXPECT_EQ(parseNameAddr(*acks[0].header(HeaderId::kTo))->tag(), "callee");
  EXPECT_EQ(acks[0].header(HeaderId::kCSeq), "1 ACK");
  receive(response(200, ""));
  EXPECT_EQ(sender.matching(0, 0, "ACK").size(), 2U);
  EXPECT_EQ(events.size(), 2U);
  // Hanging up sends BYE in the dialog.
  ua.hangUp(uac);
  auto byes = sender.matching(0, 0, "BYE");
  ASSERT_EQ(byes.size(), 1U);
  EXPECT_EQ(byes[0].header(HeaderId::kCSeq), "2 BYE");
  // A 2xx arriving after the session ended still gets its ACK (timer M has not run out).
  receive(response(200, ""));
  EXPECT_EQ(sender.matching(0, 0, "ACK").size(), 3U);
}

TEST_F(UacTest, ReliableProvisionalIsPrackedOnce) {
  receive(response(183, "Require: 100rel\r\nRSeq: 42\r\n"));
  auto pracks = sender.matching(0, 0, "PRACK");
  ASSERT_EQ(pracks.size(), 1U);
  EXPECT_EQ(pracks[0].header(HeaderId::kRAck), "42 1 INVITE");
  EXPECT_EQ(parseNameAddr(*pracks[0].header(HeaderId::kTo))->tag(), "callee");
  receive(response(183, "Require: 100rel\r\nRSeq: 42\r\n"));
  EXPECT_EQ(sender.matching(0, 0, "PRACK").size(), 1U);
  EXPECT_EQ(events.size(), 1U);
  receive(response(180, "Require: 100rel\r\nRSeq: 43\r\n"));
  EXPECT_EQ(sender.matching(0, 0, "PRACK").size(), 2U);
}

TEST_F(UacTest, HangUpWaitsForAProvisionalBeforeCancelling) {
  ua.hangUp(uac);
  EXPECT_EQ(sender.matching(0, 0, "CANCEL").size(), 0U);
  receive(response(100, "", ""));
  auto cancels = sender.matching(0, 0, "CANCEL");
  ASSERT_EQ(cancels.size(), 1U);
  EXPECT_EQ(cancels[0].headerLines(HeaderId::kVia), sentInvite().headerLines(HeaderId::kVia));
  EXPECT_EQ(cancels[0].header(HeaderId::kCSeq), "1 CANCEL");
  receive(response(487, ""));
  EXPECT_EQ(sender.matching(0, 0, "ACK").size(), 1U);  // from the transaction
  EXPECT_TRUE(events.empty());
  EXPECT_FALSE(ua.exists(uac));
}

TEST_F(UacTest, APhoneThatNeverAnswersTheCancelIsGivenUpAfter64T1) {
  receive(response(180, ""));
  ua.hangUp(uac);
  ASSERT_EQ(sender.matching(0, 0, "CANCEL").size(), 1U);
  timers.advance(milliseconds(64 * 500 - 1));
  EXPECT_TRUE(ua.exists(uac));
  timers.advance(milliseconds(1));
  EXPECT_FALSE(ua.exists(uac));
  EXPECT_EQ(layer.stats().clients, 0U);  // the INVITE transaction is gone too
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kProgress});  // hung up: no more events
}

TEST_F(UacTest, A2xxRacingTheCancelIsAckedAndHungUp) {
  receive(response(180, ""));
  ua.hangUp(uac);
  EXPECT_EQ(sender.matching(0, 0, "CANCEL").size(), 1U);
  receive(response(200, ""));
  EXPECT_EQ(sender.matching(0, 0, "ACK").size(), 1U);
  EXPECT_EQ(sender.matching(0, 0, "BYE").size(), 1U);
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kProgress});
}

TEST_F(UacTest, BusyFailsTheSession) {
  receive(response(486, ""));
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kFailed});
  EXPECT_FALSE(ua.exists(uac));
}

TEST_F(UacTest, NoAnswerAtAllTimesOut) {
  timers.advance(milliseconds(64 * 500));
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kFailed});
  EXPECT_EQ(reasons.back(), "timeout");
}

TEST_F(UacTest, ByeFromTheCalleeEndsTheSession) {
  receive(response(200, ""));
  auto start = sender.sent.size();
  auto invite = sentInvite();
  receive(
      "BYE sip:switchboard@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
      "127.0.0.1:31062;branch=z9hG4bKbye1\r\nFrom: <sip:1002@switchboard>;tag=callee\r\nTo: " +
      std::string(*invite.header(HeaderId::kFrom)) +
      "\r\nCall-ID: " + std::string(*invite.header(HeaderId::kCallId)) +
      "\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(sender.matching(start, 200, "BYE").size(), 1U);
  EXPECT_EQ(events.back(), SessionEvent::Kind::kEnded);
  EXPECT_FALSE(ua.exists(uac));
}

// --- UAC through a carrier that challenges its INVITEs ----------------------------------------

class ChallengedUacTest : public UacTest {
 protected:
  static constexpr std::string_view kPassword = "s3cret";

  OutgoingInvite outgoing() const override {
    OutgoingInvite invite = UacTest::outgoing();
    invite.requestUri = "sip:13900000009@carrier.test";
    invite.to = "<sip:13900000009@carrier.test>";
    invite.authUsername = "02150001234";
    invite.authPassword = std::string(kPassword);
    return invite;
  }

  std::vector<Message> invites() const { return sender.matching(0, 0, "INVITE"); }

  // The carrier's answer to the n-th INVITE we sent (from 0).
  std::string answer(std::size_t n, int status, const std::string& extra) {
    return answerTo(invites().at(n), status, extra, "carrier", "<sip:gw@127.0.0.1:31062>");
  }

  static std::string challenge(const std::string& nonce, bool stale = false) {
    return "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"" + nonce +
           "\", algorithm=MD5, qop=\"auth\"" + (stale ? ", stale=true" : "") + "\r\n";
  }
};

TEST_F(ChallengedUacTest, TheInviteIsSentAgainWithTheAnswerToTheChallenge) {
  receive(answer(0, 407, challenge("n1")));
  ASSERT_EQ(invites().size(), 2U);
  auto sent = invites();
  const auto& first = sent[0];
  const auto& second = sent[1];
  EXPECT_EQ(sender.matching(0, 0, "ACK").size(), 1U);  // the 407's, by the transaction
  EXPECT_EQ(second.header(HeaderId::kCSeq), "2 INVITE");
  EXPECT_EQ(second.header(HeaderId::kCallId), first.header(HeaderId::kCallId));
  EXPECT_EQ(parseNameAddr(*second.header(HeaderId::kFrom))->tag(),
            parseNameAddr(*first.header(HeaderId::kFrom))->tag());
  EXPECT_NE(second.headerValues(HeaderId::kVia).front(),
            first.headerValues(HeaderId::kVia).front());
  EXPECT_EQ(second.body(), kSdp);
  auto credentials = digest::parseCredentials(*second.header(HeaderId::kProxyAuthorization));
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->username, "02150001234");
  EXPECT_EQ(credentials->uri, "sip:13900000009@carrier.test");
  digest::ServerPolicy carrier;
  carrier.realm = "carrier";
  carrier.algorithms = {digest::Algorithm::kMd5};
  EXPECT_TRUE(digest::verify(*credentials, carrier, digest::Secret::password(kPassword), "INVITE"));
  EXPECT_TRUE(events.empty());  // the challenge is no event for the owner

  receive(answer(1, 200, ""));
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kAnswered});
  auto acks = sender.matching(0, 0, "ACK");
  ASSERT_EQ(acks.size(), 2U);
  EXPECT_EQ(acks[1].header(HeaderId::kCSeq), "2 ACK");
}

TEST_F(ChallengedUacTest, RefusedCredentialsFailTheSessionAfterOneRetry) {
  receive(answer(0, 407, challenge("n1")));
  receive(answer(1, 407, challenge("n2")));
  EXPECT_EQ(invites().size(), 2U);
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kFailed});
  EXPECT_FALSE(ua.exists(uac));
}

TEST_F(ChallengedUacTest, AStaleNonceIsAnsweredOnceMore) {
  receive(answer(0, 407, challenge("n1")));
  receive(answer(1, 407, challenge("n2", true)));
  ASSERT_EQ(invites().size(), 3U);
  EXPECT_EQ(invites()[2].header(HeaderId::kCSeq), "3 INVITE");
  receive(answer(2, 407, challenge("n3", true)));
  EXPECT_EQ(invites().size(), 3U);
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kFailed});
}

TEST_F(UacTest, AChallengeWithoutCredentialsFailsTheSession) {
  receive(response(407, "Proxy-Authenticate: Digest realm=\"c\", nonce=\"n\"\r\n"));
  EXPECT_EQ(sender.matching(0, 0, "INVITE").size(), 1U);
  EXPECT_EQ(events, std::vector{SessionEvent::Kind::kFailed});
}

}  // namespace
}  // namespace sb::sip
