// Calls to agents' phones through the real core, transactions and user agent, on fake timers:
// who may call, forking to every phone, and what is relayed between caller and callee.

#include "calls/extension_calls.hpp"

#include <map>

#include <gtest/gtest.h>

#include "loopback_rtp.hpp"
#include "recording_sender.hpp"
#include "sdp/sdp.hpp"
#include "sip/headers.hpp"

namespace sb::calls {
namespace {

using sip::HeaderId;
using sip::Message;
using sip::Peer;
using sip::Transport;

using test_support::LoopbackRtp;
using test_support::RecordingSender;

class NoCredentials final : public sip::CredentialSource {
 public:
  void lookup(const std::string& user,
              std::function<void(std::optional<std::string>)> done) override {
    done(user == "1001" ? std::optional<std::string>("demo") : std::nullopt);
  }
};

constexpr std::uint16_t kCaller = 40000;
constexpr std::uint16_t kPhoneA = 41000;
constexpr std::uint16_t kPhoneB = 42000;

class ExtensionCallsTest : public ::testing::Test {
 protected:
  FakeTimers timers;
  ManualClock wall{1'800'000'000};
  MetricsRegistry metrics;
  RecordingSender sender;
  NoCredentials credentials;
  sip::Guard guard{timers, wall, sip::GuardOptions{},
                   [](const std::string& a) { return a == "10.0.0.1"; }};
  sip::SipCore core{metrics, "switchboard-test"};
  sip::TransactionLayer layer{timers, sender, core};
  sip::UserAgent ua{core, layer, sender, timers, sip::TimerSettings{}, sip::UserAgentOptions{}};
  sip::Authenticator auth{core, wall, credentials, guard, sip::AuthOptions{}};
  std::map<std::string, std::vector<sip::Binding>> phones;
  std::unique_ptr<ExtensionCalls> calls;
  int branch = 0;

  // Where the calls under test anchor their media: nowhere (the SDP passes through) unless a
  // test fixture says otherwise.
  virtual MediaAnchor anchor() { return {}; }

  void SetUp() override {
    calls = std::make_unique<ExtensionCalls>(
        core, ua, [this](const std::string& n) { return phones[n]; }, auth, guard, metrics,
        std::vector{InboundTrunk{"gateway", {"192.0.2.0/24"}, {"1002"}}}, anchor());
    core.attach(layer);
    core.attachDialogs(ua);
    core.onInvite([this](sip::ServerTxId tx, const Message& m, const Peer& from) {
      calls->handle(tx, m, from);
    });
    for (auto port : {kPhoneA, kPhoneB}) {
      sip::Binding b;
      b.aor = "1002";
      b.contact = "sip:1002@127.0.0.1:" + std::to_string(port);
      b.source = Peer{Transport::kUdp, "127.0.0.1", port, 0};
      phones["1002"].push_back(b);
    }
  }

  Peer caller(const std::string& address = "10.0.0.1") const {
    return Peer{Transport::kUdp, address, kCaller, 0};
  }

  void fromCaller(const std::string& bytes, const std::string& address = "10.0.0.1") {
    layer.receive(*sip::parseMessage(bytes), caller(address));
  }

  std::string invite(const std::string& number, const std::string& inviteBranch = "z9hG4bKc1") {
    return "INVITE sip:" + number +
           "@switchboard SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:40000;branch=" + inviteBranch +
           "\r\nFrom: <sip:13800138000@10.0.0.1>;tag=c\r\nTo: <sip:" + number +
           "@switchboard>\r\nCall-ID: ext-1\r\nCSeq: 1 INVITE\r\nContact: "
           "<sip:c@10.0.0.1:40000>\r\n"
           "Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nsdp1";
  }

  // A response from the phone at `port` to the INVITE the server sent it.
  void phoneAnswers(std::uint16_t port, int status, const std::string& body = "") {
    auto sent = sender.to(port, "INVITE").front();
    std::string out = "SIP/2.0 " + std::to_string(status) + " X\r\n";
    for (auto via : sent.headerLines(HeaderId::kVia))
      out += "Via: " + std::string(via) + "\r\n";
    out += "From: " + std::string(*sent.header(HeaderId::kFrom)) +
           "\r\nTo: " + std::string(*sent.header(HeaderId::kTo)) + ";tag=p" + std::to_string(port) +
           "\r\nCall-ID: " + std::string(*sent.header(HeaderId::kCallId)) +
           "\r\nCSeq: 1 INVITE\r\nContact: <sip:1002@127.0.0.1:" + std::to_string(port) + ">\r\n" +
           (body.empty() ? "" : "Content-Type: application/sdp\r\n") +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    layer.receive(*sip::parseMessage(out), Peer{Transport::kUdp, "127.0.0.1", port, 0});
  }

  // Our To tag in the caller's dialog, from the 180 or the 200 it got.
  std::string callerTag() const {
    for (int status : {180, 200}) {
      auto answers = sender.to(kCaller, "INVITE", status);
      if (!answers.empty()) {
        return std::string(sip::parseNameAddr(*answers.front().header(HeaderId::kTo))->tag());
      }
    }
    ADD_FAILURE() << "the caller got neither 180 nor 200";
    return {};
  }

  // A request from the caller in its dialog with the server.
  void callerInDialog(const std::string& method, int cseq, const std::string& body = "") {
    fromCaller(method + " sip:switchboard@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP " +
               "10.0.0.1:40000;branch=z9hG4bKd" + std::to_string(++branch) +
               "\r\nFrom: <sip:13800138000@10.0.0.1>;tag=c\r\nTo: <sip:1002@switchboard>;tag=" +
               callerTag() + "\r\nCall-ID: ext-1\r\nCSeq: " + std::to_string(cseq) + " " + method +
               "\r\nContact: <sip:c@10.0.0.1:40000>\r\nMax-Forwards: 70\r\n" +
               (body.empty() ? "" : "Content-Type: application/sdp\r\n") +
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  }
};

TEST_F(ExtensionCallsTest, EveryPhoneRingsAndTheFirstAnswerWins) {
  fromCaller(invite("1002"));
  ASSERT_EQ(sender.to(kPhoneA, "INVITE").size(), 1U);
  ASSERT_EQ(sender.to(kPhoneB, "INVITE").size(), 1U);
  EXPECT_EQ(sender.to(kPhoneA, "INVITE")[0].body(), "sdp1");  // the offer passes through
  phoneAnswers(kPhoneA, 180);
  EXPECT_EQ(sender.to(kCaller, "INVITE", 180).size(), 1U);
  phoneAnswers(kPhoneB, 180);
  phoneAnswers(kPhoneB, 200, "sdp-b");
  auto answered = sender.to(kCaller, "INVITE", 200);
  ASSERT_EQ(answered.size(), 1U);
  EXPECT_EQ(answered[0].body(), "sdp-b");
  EXPECT_EQ(sender.to(kPhoneB, "ACK").size(), 1U);
  EXPECT_EQ(sender.to(kPhoneA, "CANCEL").size(), 1U);  // the other phone stops ringing
  EXPECT_EQ(calls->active(), 1U);
}

TEST_F(ExtensionCallsTest, CallerCancelStopsThePhones) {
  fromCaller(invite("1002", "z9hG4bKcancelme"));
  phoneAnswers(kPhoneA, 180);
  phoneAnswers(kPhoneB, 100);
  fromCaller(
      "CANCEL sip:1002@switchboard SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:40000;branch="
      "z9hG4bKcancelme\r\nFrom: <sip:13800138000@10.0.0.1>;tag=c\r\nTo: <sip:1002@switchboard>\r\n"
      "Call-ID: ext-1\r\nCSeq: 1 CANCEL\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(sender.to(kCaller, "INVITE", 487).size(), 1U);
  EXPECT_EQ(sender.to(kPhoneA, "CANCEL").size(), 1U);
  EXPECT_EQ(sender.to(kPhoneB, "CANCEL").size(), 1U);
  EXPECT_EQ(calls->active(), 0U);
}

TEST_F(ExtensionCallsTest, WhenEveryPhoneFailsTheCallerHearsTheMostTellingReason) {
  fromCaller(invite("1002"));
  phoneAnswers(kPhoneA, 500);
  EXPECT_TRUE(sender.to(kCaller, "INVITE", 486).empty());
  phoneAnswers(kPhoneB, 486);
  EXPECT_EQ(sender.to(kCaller, "INVITE", 486).size(), 1U);
  EXPECT_EQ(calls->active(), 0U);
}

TEST_F(ExtensionCallsTest, ByeAndReInviteAreRelayedAndReferIsRefused) {
  fromCaller(invite("1002"));
  phoneAnswers(kPhoneA, 180);
  phoneAnswers(kPhoneA, 200, "sdp-a");
  callerInDialog("ACK", 1);
  auto before = sender.sent.size();
  callerInDialog("INVITE", 2, "hold");
  auto reinvites = sender.to(kPhoneA, "INVITE", 0, before);
  ASSERT_EQ(reinvites.size(), 1U);
  EXPECT_EQ(reinvites[0].body(), "hold");
  callerInDialog("REFER", 3);
  EXPECT_EQ(sender.to(kCaller, "REFER", 501).size(), 1U);
  before = sender.sent.size();
  callerInDialog("BYE", 4);
  EXPECT_EQ(sender.to(kCaller, "BYE", 200, before).size(), 1U);
  EXPECT_EQ(sender.to(kPhoneA, "BYE", 0, before).size(), 1U);
  EXPECT_EQ(calls->active(), 0U);
}

TEST_F(ExtensionCallsTest, TrunksMayCallOnlyTheirNumbers) {
  phones["1003"] = phones["1002"];
  fromCaller(invite("1003"), "192.0.2.7");
  EXPECT_EQ(sender.to(kCaller, "INVITE", 404).size(), 1U);
  EXPECT_TRUE(sender.to(kPhoneA, "INVITE").empty());
  fromCaller(invite("1002", "z9hG4bKc2"), "192.0.2.7");
  EXPECT_EQ(sender.to(kPhoneA, "INVITE").size(), 1U);
}

TEST_F(ExtensionCallsTest, UntrustedCallersAreChallengedAndAPhonelessAgentIsNotFound) {
  fromCaller(invite("1002"), "198.51.100.1");
  auto challenged = sender.to(kCaller, "INVITE", 407);
  ASSERT_EQ(challenged.size(), 1U);
  EXPECT_TRUE(challenged[0].header(HeaderId::kProxyAuthenticate).has_value());
  EXPECT_TRUE(sender.to(kPhoneA, "INVITE").empty());
  fromCaller(invite("1009", "z9hG4bKc3"));
  EXPECT_EQ(sender.to(kCaller, "INVITE", 404).size(), 1U);
}

// --- Anchored media -----------------------------------------------------------------------

constexpr std::string_view kCallerSdp =
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";
constexpr std::string_view kPhoneSdp =
    "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 5000 RTP/AVP 0\r\n";

class AnchoredCallsTest : public ExtensionCallsTest {
 protected:
  media::MediaEngine engine{[] {
    media::MediaEngine::Options o;
    o.firstPort = 46000;
    o.lastPort = 46999;
    return o;
  }()};
  MediaAnchor anchor() override { return {&engine, "192.0.2.50"}; }

  std::string inviteWithSdp(std::string_view sdp) {
    auto bytes = invite("1002");
    auto at = bytes.find("Content-Length: 4");
    return bytes.substr(0, at) + "Content-Length: " + std::to_string(sdp.size()) + "\r\n\r\n" +
           std::string(sdp);
  }

  static std::uint16_t audioPort(const Message& m) {
    auto parsed = sdp::parse(m.body());
    EXPECT_TRUE(parsed.ok()) << m.body();
    return parsed.ok() && !parsed->media.empty() ? parsed->media[0].port : 0;
  }

  // A request from the phone at `port` in the dialog of the INVITE the server sent it.
  void phoneInDialog(std::uint16_t port, const std::string& method, int cseq,
                     const std::string& body = "") {
    auto sent = sender.to(port, "INVITE").front();
    auto contact = sip::parseNameAddr(*sent.header(HeaderId::kContact));
    layer.receive(
        *sip::parseMessage(
            method + " " + std::string(contact->uriText) +
            " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(port) + ";branch=z9hG4bKp" +
            std::to_string(++branch) + "\r\nFrom: " + std::string(*sent.header(HeaderId::kTo)) +
            ";tag=p" + std::to_string(port) +
            "\r\nTo: " + std::string(*sent.header(HeaderId::kFrom)) + "\r\nCall-ID: " +
            std::string(*sent.header(HeaderId::kCallId)) + "\r\nCSeq: " + std::to_string(cseq) +
            " " + method + "\r\nContact: <sip:1002@127.0.0.1:" + std::to_string(port) +
            ">\r\nMax-Forwards: 70\r\n" +
            (body.empty() ? "" : "Content-Type: application/sdp\r\n") +
            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body),
        Peer{Transport::kUdp, "127.0.0.1", port, 0});
  }

  // An SDP answer that receives at 127.0.0.1:`port` with `payloadType`.
  static std::string answerAt(std::uint16_t port, int payloadType) {
    return "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio " +
           std::to_string(port) + " RTP/AVP " + std::to_string(payloadType) + "\r\n";
  }
};

TEST_F(AnchoredCallsTest, BothPhonesSeeOurAddressAndTheEngineBridgesThem) {
  fromCaller(inviteWithSdp(kCallerSdp));
  auto offers = sender.to(kPhoneA, "INVITE");
  ASSERT_EQ(offers.size(), 1U);
  EXPECT_NE(offers[0].body().find("c=IN IP4 192.0.2.50"), std::string_view::npos);
  auto calleePort = audioPort(offers[0]);
  EXPECT_GE(calleePort, 46000);
  EXPECT_LE(calleePort, 46999);
  phoneAnswers(kPhoneA, 200, std::string(kPhoneSdp));
  auto answered = sender.to(kCaller, "INVITE", 200);
  ASSERT_EQ(answered.size(), 1U);
  EXPECT_NE(answered[0].body().find("c=IN IP4 192.0.2.50"), std::string_view::npos);
  auto callerPort = audioPort(answered[0]);
  EXPECT_GE(callerPort, 46000);
  EXPECT_NE(callerPort, calleePort);
  // The caller's answer keeps its preferred codec (PCMA, 8) and telephone-event.
  EXPECT_NE(answered[0].body().find("m=audio " + std::to_string(callerPort) + " RTP/AVP 8"),
            std::string_view::npos)
      << answered[0].body();
  // A hold from the caller is answered here, not passed to the phone.
  callerInDialog("ACK", 1);
  auto before = sender.sent.size();
  std::string hold(kCallerSdp);
  hold += "a=sendonly\r\n";
  callerInDialog("INVITE", 2, hold);
  auto holdAnswer = sender.to(kCaller, "INVITE", 200, before);
  ASSERT_EQ(holdAnswer.size(), 1U);
  EXPECT_NE(holdAnswer[0].body().find("a=recvonly"), std::string_view::npos)
      << holdAnswer[0].body();
  EXPECT_EQ(audioPort(holdAnswer[0]), callerPort);
  EXPECT_TRUE(sender.to(kPhoneA, "INVITE", 0, before).empty());
}

TEST_F(AnchoredCallsTest, ACallerWhoMadeNoOfferGetsOursInThe2xxAndAnswersInTheAck) {
  fromCaller(inviteWithSdp(""));
  auto offers = sender.to(kPhoneA, "INVITE");
  ASSERT_EQ(offers.size(), 1U) << "a delayed offer was refused";
  auto calleePort = audioPort(offers[0]);
  // Early media from the phone: the caller, who made no offer, gets none in an unreliable 183.
  phoneAnswers(kPhoneA, 183, std::string(kPhoneSdp));
  auto early = sender.to(kCaller, "INVITE", 183);
  ASSERT_EQ(early.size(), 1U);
  EXPECT_TRUE(early[0].body().empty()) << early[0].body();
  phoneAnswers(kPhoneA, 200, std::string(kPhoneSdp));
  auto answered = sender.to(kCaller, "INVITE", 200);
  ASSERT_EQ(answered.size(), 1U);
  auto offer = sdp::parse(answered[0].body());
  ASSERT_TRUE(offer.ok()) << answered[0].body();
  EXPECT_EQ(offer->connectionFor(offer->media[0])->address, "192.0.2.50");
  EXPECT_NE(offer->media[0].findCodec(8), nullptr);
  // The caller answers PCMA in its ACK, at its own RTP port: what the phone sends reaches it
  // there, transcoded.
  LoopbackRtp callerRtp;
  callerInDialog("ACK", 1,
                 "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                 "m=audio " +
                     std::to_string(callerRtp.port()) + " RTP/AVP 8\r\n");
  LoopbackRtp phoneRtp;
  phoneRtp.sendTo(calleePort, 0);
  EXPECT_EQ(callerRtp.nextPayloadType(), 8) << "nothing reached the address of the ACK's answer";
}

TEST_F(AnchoredCallsTest, AnAckWithoutTheAnswerToOurOfferEndsTheCall) {
  fromCaller(inviteWithSdp(""));
  phoneAnswers(kPhoneA, 200, std::string(kPhoneSdp));
  ASSERT_EQ(sender.to(kCaller, "INVITE", 200).size(), 1U);
  callerInDialog("ACK", 1);
  EXPECT_EQ(sender.to(kCaller, "BYE").size(), 1U);
  EXPECT_EQ(sender.to(kPhoneA, "BYE").size(), 1U);
}

TEST_F(AnchoredCallsTest, AReInviteWithoutAnOfferMovesEitherSideWhereItsAckAnswers) {
  fromCaller(inviteWithSdp(kCallerSdp));
  auto calleePort = audioPort(sender.to(kPhoneA, "INVITE").front());
  phoneAnswers(kPhoneA, 200, std::string(kPhoneSdp));
  auto callerPort = audioPort(sender.to(kCaller, "INVITE", 200).front());
  callerInDialog("ACK", 1);
  auto start = sender.sent.size();

  // The caller: our offer in the 200 (the same port), its answer in the ACK.
  auto before = sender.sent.size();
  callerInDialog("INVITE", 2);
  auto offered = sender.to(kCaller, "INVITE", 200, before);
  ASSERT_EQ(offered.size(), 1U);
  EXPECT_EQ(audioPort(offered[0]), callerPort);
  LoopbackRtp callerRtp;
  callerInDialog("ACK", 2, answerAt(callerRtp.port(), 8));
  LoopbackRtp phoneRtp;
  phoneRtp.sendTo(calleePort, 0);
  EXPECT_EQ(callerRtp.nextPayloadType(), 8) << "nothing reached the caller's new address";

  // The phone, whose packets the engine has latched on: the ACK's answer moves it again.
  before = sender.sent.size();
  phoneInDialog(kPhoneA, "INVITE", 2);
  offered = sender.to(kPhoneA, "INVITE", 200, before);
  ASSERT_EQ(offered.size(), 1U);
  EXPECT_EQ(audioPort(offered[0]), calleePort);
  LoopbackRtp movedPhoneRtp;
  phoneInDialog(kPhoneA, "ACK", 2, answerAt(movedPhoneRtp.port(), 0));
  callerRtp.sendTo(callerPort, 8);
  EXPECT_EQ(movedPhoneRtp.nextPayloadType(), 0) << "nothing reached the phone's new address";
  // Each re-INVITE stayed between its phone and us.
  EXPECT_TRUE(sender.to(kPhoneA, "INVITE", 0, start).empty());
  EXPECT_TRUE(sender.to(kCaller, "INVITE", 0, start).empty());
  EXPECT_TRUE(sender.to(kCaller, "BYE").empty());
}

TEST_F(AnchoredCallsTest, AnUpdateWithoutAnOfferIsAnsweredWithoutOne) {
  fromCaller(inviteWithSdp(kCallerSdp));
  phoneAnswers(kPhoneA, 200, std::string(kPhoneSdp));
  callerInDialog("ACK", 1);
  auto before = sender.sent.size();
  callerInDialog("UPDATE", 2);
  auto answered = sender.to(kCaller, "UPDATE", 200, before);
  ASSERT_EQ(answered.size(), 1U);
  EXPECT_TRUE(answered[0].body().empty()) << answered[0].body();
}

TEST_F(AnchoredCallsTest, AnOfferWeCannotServeIs488) {
  fromCaller(
      inviteWithSdp("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                    "m=audio 4000 RTP/AVP 18\r\n"));
  EXPECT_EQ(sender.to(kCaller, "INVITE", 488).size(), 1U);
  EXPECT_TRUE(sender.to(kPhoneA, "INVITE").empty());
}

}  // namespace
}  // namespace sb::calls
