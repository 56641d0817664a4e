// The registrar through the real transaction layer, with fake timers and a manual wall clock.

#include "sip/registrar.hpp"

#include <map>

#include <gtest/gtest.h>

#include "sip/headers.hpp"

namespace sb::sip {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RecordingSender final : public Sender {
 public:
  void send(const Peer&, std::string_view bytes) override { sent.emplace_back(bytes); }
  Message last() const { return *parseMessage(sent.back()); }
  std::vector<std::string> sent;
};

class MapCredentials final : public CredentialSource {
 public:
  void lookup(const std::string& username,
              std::function<void(std::optional<std::string>)> done) override {
    auto it = passwords.find(username);
    done(it == passwords.end() ? std::nullopt : std::optional<std::string>(it->second));
  }
  std::map<std::string, std::string> passwords{{"1001", "demo"}, {"1002", "s3cret"}};
};

class RegistrarTest : public ::testing::Test {
 protected:
  const Peer phone{Transport::kUdp, "127.0.0.1", 31062, 0};
  FakeTimers timers;
  ManualClock wall{1'800'000'000};
  MetricsRegistry metrics;
  RecordingSender sender;
  MapCredentials credentials;
  Guard guard{timers, wall, GuardOptions{}};
  SipCore core{metrics, "switchboard-test"};
  TransactionLayer layer{timers, sender, core};
  Registrar registrar{core, timers, wall, credentials, guard, RegistrarOptions{}, metrics};
  int cseq = 0;

  void SetUp() override {
    core.attach(layer);
    core.onRegister([this](ServerTxId tx, const Message& m, const Peer& from) {
      registrar.handle(tx, m, from);
    });
  }

  std::string registerRequest(const std::string& user, const std::string& extra,
                              const std::string& contact = "<sip:1001@127.0.0.1:31062>",
                              const std::string& toUser = "") {
    ++cseq;
    return "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:31062;branch=z9hG4bKr" +
           std::to_string(cseq) + ";rport\r\nFrom: <sip:" + user +
           "@127.0.0.1>;tag=r1\r\nTo: <sip:" + (toUser.empty() ? user : toUser) +
           "@127.0.0.1>\r\nCall-ID: reg-" + user + "\r\nCSeq: " + std::to_string(cseq) +
           " REGISTER\r\n" + (contact.empty() ? "" : "Contact: " + contact + "\r\n") + extra +
           "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  }

  Message send(const std::string& bytes) {
    layer.receive(*parseMessage(bytes), phone);
    return sender.last();
  }

  // Registers with the right flow: unauthenticated, challenged, answered.
  Message registerAs(const std::string& user, const std::string& password,
                     const std::string& extra = "Expires: 300\r\n",
                     const std::string& contact = "<sip:1001@127.0.0.1:31062>") {
    auto challenge = send(registerRequest(user, extra, contact));
    EXPECT_EQ(challenge.statusCode(), 401);
    auto c = digest::parseChallenge(*challenge.header(HeaderId::kWwwAuthenticate));
    EXPECT_TRUE(c.ok());
    auto answer = digest::answerChallenge(*c, user, password, "REGISTER", "sip:127.0.0.1",
                                          digest::newCnonce(), 1);
    EXPECT_TRUE(answer.ok());
    return send(registerRequest(
        user, extra + "Authorization: " + digest::formatCredentials(*answer) + "\r\n", contact));
  }
};

TEST_F(RegistrarTest, ChallengesWithSha256ThenMd5) {
  auto r = send(registerRequest("1001", ""));
  EXPECT_EQ(r.statusCode(), 401);
  auto challenges = r.headerLines(HeaderId::kWwwAuthenticate);
  ASSERT_EQ(challenges.size(), 2U);
  EXPECT_EQ(digest::parseChallenge(challenges[0])->algorithm, digest::Algorithm::kSha256);
  EXPECT_EQ(digest::parseChallenge(challenges[1])->algorithm, digest::Algorithm::kMd5);
}

TEST_F(RegistrarTest, TheRightPasswordRegistersTheContact) {
  auto ok = registerAs("1001", "demo");
  EXPECT_EQ(ok.statusCode(), 200);
  auto contacts = ok.headerValues(HeaderId::kContact);
  ASSERT_EQ(contacts.size(), 1U);
  EXPECT_EQ(contacts[0], "<sip:1001@127.0.0.1:31062>;expires=300");
  auto bindings = registrar.bindingsOf("1001");
  ASSERT_EQ(bindings.size(), 1U);
  EXPECT_EQ(bindings[0].source.port, 31062);
  EXPECT_EQ(bindings[0].expiresAt, wall.now() + 300);
}

TEST_F(RegistrarTest, WrongPasswordAndUnknownUserAreAnsweredAlike) {
  auto wrong = registerAs("1001", "nope");
  auto unknown = registerAs("9999", "demo");
  EXPECT_EQ(wrong.statusCode(), 403);
  EXPECT_EQ(unknown.statusCode(), 403);
  EXPECT_EQ(wrong.reasonPhrase(), unknown.reasonPhrase());
  EXPECT_TRUE(registrar.bindings().empty());
}

TEST_F(RegistrarTest, CredentialsForAnotherUserAreRefused) {
  auto challenge = send(registerRequest("1001", ""));
  auto c = digest::parseChallenge(*challenge.header(HeaderId::kWwwAuthenticate));
  auto answer = digest::answerChallenge(*c, "1002", "s3cret", "REGISTER", "sip:127.0.0.1", "cn", 1);
  auto r = send(
      registerRequest("1001", "Authorization: " + digest::formatCredentials(*answer) + "\r\n"));
  EXPECT_EQ(r.statusCode(), 403);
}

TEST_F(RegistrarTest, RegistrationsExpire) {
  registerAs("1001", "demo");
  timers.advance(milliseconds(299'000));
  EXPECT_EQ(registrar.bindingsOf("1001").size(), 1U);
  timers.advance(milliseconds(1'000));
  EXPECT_TRUE(registrar.bindingsOf("1001").empty());
}

TEST_F(RegistrarTest, ExpiresZeroAndWildcardUnregister) {
  registerAs("1001", "demo", "Expires: 300\r\n", "<sip:1001@127.0.0.1:31062>");
  registerAs("1001", "demo", "Expires: 300\r\n", "<sip:1001@10.0.0.9:5060>");
  EXPECT_EQ(registrar.bindingsOf("1001").size(), 2U);
  auto r = registerAs("1001", "demo", "Expires: 0\r\n", "<sip:1001@10.0.0.9:5060>");
  EXPECT_EQ(r.statusCode(), 200);
  EXPECT_EQ(registrar.bindingsOf("1001").size(), 1U);
  r = registerAs("1001", "demo", "Expires: 0\r\n", "*");
  EXPECT_EQ(r.statusCode(), 200);
  EXPECT_TRUE(registrar.bindingsOf("1001").empty());
}

TEST_F(RegistrarTest, ABriefIntervalGets423) {
  auto r = registerAs("1001", "demo", "Expires: 10\r\n");
  EXPECT_EQ(r.statusCode(), 423);
  EXPECT_EQ(r.header(HeaderId::kMinExpires), "60");
}

TEST_F(RegistrarTest, AnOldNonceIsStale) {
  auto challenge = send(registerRequest("1001", ""));
  auto c = digest::parseChallenge(*challenge.header(HeaderId::kWwwAuthenticate));
  wall.advance(seconds(301));
  auto answer = digest::answerChallenge(*c, "1001", "demo", "REGISTER", "sip:127.0.0.1", "cn", 1);
  auto r = send(
      registerRequest("1001", "Authorization: " + digest::formatCredentials(*answer) + "\r\n"));
  EXPECT_EQ(r.statusCode(), 401);
  EXPECT_TRUE(digest::parseChallenge(*r.header(HeaderId::kWwwAuthenticate))->stale);
}

TEST_F(RegistrarTest, AReplayedNonceCountIsChallengedAgain) {
  auto challenge = send(registerRequest("1001", ""));
  auto c = digest::parseChallenge(*challenge.header(HeaderId::kWwwAuthenticate));
  auto answer = digest::answerChallenge(*c, "1001", "demo", "REGISTER", "sip:127.0.0.1", "cn", 1);
  auto header = "Authorization: " + digest::formatCredentials(*answer) + "\r\n";
  EXPECT_EQ(send(registerRequest("1001", header)).statusCode(), 200);
  EXPECT_EQ(send(registerRequest("1001", header)).statusCode(), 401);
}

TEST_F(RegistrarTest, OtherSchemesGetADigestChallengeAndNonSipAorsA400) {
  EXPECT_EQ(send(registerRequest("1001", "Authorization: Basic QWxhZGRpbjpvcGVu\r\n")).statusCode(),
            401);
  auto bad =
      "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx9\r\n"
      "From: <http://www.example.com>;tag=1\r\nTo: isbn:2983792873\r\nCall-ID: u\r\n"
      "CSeq: 1 REGISTER\r\nContact: <name:John_Smith>\r\nl: 0\r\n\r\n";
  EXPECT_EQ(send(bad).statusCode(), 400);
}

TEST_F(RegistrarTest, RepeatedFailuresBanTheSource) {
  for (int i = 0; i < 9; ++i)
    registerAs("1001", "guess" + std::to_string(i));
  EXPECT_TRUE(guard.admit("127.0.0.1"));
  registerAs("1001", "guess9");
  EXPECT_FALSE(guard.admit("127.0.0.1"));
  ASSERT_EQ(guard.bans().size(), 1U);
  EXPECT_EQ(guard.bans()[0].address, "127.0.0.1");
  EXPECT_TRUE(guard.unban("127.0.0.1"));
  EXPECT_TRUE(guard.admit("127.0.0.1"));
}

TEST_F(RegistrarTest, CancelEndsAPendingInviteWith487) {
  ServerTxId pending = 0;
  core.onInvite([&](ServerTxId tx, const Message&, const Peer&) { pending = tx; });
  auto invite =
      "INVITE sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:31062;branch=z9hG4bKinv1\r\n"
      "From: <sip:4000@127.0.0.1>;tag=c1\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: cancel-1\r\n"
      "CSeq: 1 INVITE\r\nContact: <sip:4000@127.0.0.1:31062>\r\nMax-Forwards: 70\r\n"
      "Content-Length: 0\r\n\r\n";
  EXPECT_EQ(send(invite).statusCode(), 100);
  ASSERT_NE(pending, 0U);
  auto cancel = std::string(invite);
  cancel.replace(0, 6, "CANCEL");
  cancel.replace(cancel.find("1 INVITE"), 8, "1 CANCEL");
  layer.receive(*parseMessage(cancel), phone);
  ASSERT_GE(sender.sent.size(), 3U);
  auto cancelAnswer = *parseMessage(sender.sent[sender.sent.size() - 2]);
  auto inviteAnswer = sender.last();
  EXPECT_EQ(cancelAnswer.statusCode(), 200);
  EXPECT_EQ(parseCSeq(*cancelAnswer.header(HeaderId::kCSeq))->method, "CANCEL");
  EXPECT_EQ(inviteAnswer.statusCode(), 487);
  EXPECT_EQ(parseCSeq(*inviteAnswer.header(HeaderId::kCSeq))->method, "INVITE");
  // A CANCEL for nothing pending: 481.
  cancel.replace(cancel.find("z9hG4bKinv1"), 11, "z9hG4bKinv2");
  layer.receive(*parseMessage(cancel), phone);
  EXPECT_EQ(sender.last().statusCode(), 481);
}

TEST(GuardTest, PacketBudgetPerSource) {
  FakeTimers timers;
  ManualClock wall(0);
  Guard guard(timers, wall,
              GuardOptions{10, 20, 10, std::chrono::seconds(60), std::chrono::seconds(600)},
              [](const std::string& a) { return a == "10.0.0.1"; });
  int admitted = 0;
  for (int i = 0; i < 100; ++i)
    admitted += guard.admit("203.0.113.5");
  EXPECT_EQ(admitted, 20);
  timers.advance(milliseconds(1000));
  admitted = 0;
  for (int i = 0; i < 100; ++i)
    admitted += guard.admit("203.0.113.5");
  EXPECT_EQ(admitted, 10);
  for (int i = 0; i < 100; ++i)
    EXPECT_TRUE(guard.admit("10.0.0.1"));  // a trunk
}

TEST(GuardTest, AsksWhetherASourceIsTrustedOnceAndStillBansIt) {
  FakeTimers timers;
  ManualClock wall(0);
  std::map<std::string, int> asked;
  Guard guard(timers, wall,
              GuardOptions{10, 20, 3, std::chrono::seconds(60), std::chrono::seconds(600)},
              [&asked](const std::string& a) {
                ++asked[a];
                return a == "10.0.0.1";
              });
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(guard.admit("10.0.0.1"));
    guard.admit("203.0.113.5");
  }
  EXPECT_TRUE(guard.isTrusted("10.0.0.1"));
  EXPECT_FALSE(guard.isTrusted("203.0.113.5"));
  EXPECT_FALSE(guard.isTrusted("198.51.100.7"));  // never seen: asked, not remembered
  EXPECT_EQ(asked["10.0.0.1"], 1);
  EXPECT_EQ(asked["203.0.113.5"], 1);
  EXPECT_EQ(asked["198.51.100.7"], 1);
  // Trust exempts from the packet budget, never from a ban.
  for (int i = 0; i < 3; ++i)
    guard.authFailed("10.0.0.1");
  EXPECT_FALSE(guard.admit("10.0.0.1"));
  EXPECT_TRUE(guard.isTrusted("10.0.0.1"));
}

}  // namespace
}  // namespace sb::sip
