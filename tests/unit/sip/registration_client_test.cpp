// Our REGISTER to a carrier through the real transaction layer, on fake timers: the requests as
// sent, the digest answers as the carrier would check them, refresh timing, failover, backoff,
// unregistration and teardown.

#include "sip/registration_client.hpp"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "sip/builder.hpp"
#include "sip/digest.hpp"
#include "sip/headers.hpp"

namespace sb::sip {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using State = RegistrationState;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kPassword = "tr0mb0ne";
constexpr std::string_view kRealm = "carrier.example";

struct Sent {
  Peer to;
  std::string bytes;
  Message message() const { return *parseMessage(bytes); }
};

class RecordingSender final : public Sender {
 public:
  void send(const Peer& to, std::string_view bytes) override {
    sent.push_back({to, std::string(bytes)});
  }
  std::vector<Sent> sent;
};

class NoUser final : public TransactionUser {
 public:
  void onRequest(ServerTxId, const Message&, const Peer&) override {}
  void onAck(const Message&, const Peer&) override {}
};

std::uint32_t cseqOf(const Message& m) {
  return parseCSeq(*m.header(HeaderId::kCSeq))->number;
}

std::string header(const Message& m, HeaderId id) {
  return std::string(m.header(id).value_or("<absent>"));
}

std::string challenge(std::string_view nonce, bool stale = false,
                      digest::Algorithm algorithm = digest::Algorithm::kMd5,
                      std::string_view realm = kRealm) {
  digest::Challenge c;
  c.realm = realm;
  c.nonce = nonce;
  c.opaque = "op4que";
  c.algorithm = algorithm;
  c.qop = {"auth"};
  c.stale = stale;
  return digest::formatChallenge(c);
}

// What the carrier checks: our digest username, its realm, the Request-URI as digest-uri, the
// nonce and nonce-count we should be at, the opaque echoed, and the response over the password.
::testing::AssertionResult answers(const Message& request, HeaderId id, std::string_view nonce,
                                   std::string_view nc,
                                   digest::Algorithm algorithm = digest::Algorithm::kMd5,
                                   std::string_view realm = kRealm) {
  auto value = request.header(id);
  if (!value) return ::testing::AssertionFailure() << "no " << headerName(id);
  auto c = digest::parseCredentials(*value);
  if (!c) return ::testing::AssertionFailure() << "unparsable: " << c.error().message;
  if (c->username != "acct-7781" || c->realm != realm || c->uri != "sip:carrier.example" ||
      c->nonce != nonce || c->nc != nc || c->opaque != "op4que" || c->algorithm != algorithm ||
      c->qop != "auth") {
    return ::testing::AssertionFailure() << "unexpected credentials: " << *value;
  }
  digest::ServerPolicy policy;
  policy.realm = std::string(realm);
  policy.algorithms = {algorithm};
  if (digest::verify(*c, policy, digest::Secret::password("wrong"), "REGISTER")) {
    return ::testing::AssertionFailure() << "verifies with any password";
  }
  if (!digest::verify(*c, policy, digest::Secret::password(kPassword), "REGISTER")) {
    return ::testing::AssertionFailure() << "wrong digest response: " << *value;
  }
  return ::testing::AssertionSuccess();
}

class RegistrationClientTest : public ::testing::Test {
 protected:
  const Peer carrierA{Transport::kUdp, "198.51.100.10", 5060, 0};
  const Peer carrierB{Transport::kUdp, "198.51.100.11", 5060, 0};
  FakeTimers timers;
  RecordingSender sender;
  NoUser user;
  TransactionLayer layer{timers, sender, user};
  RegistrationOptions options = defaultOptions();
  std::vector<Peer> targets{carrierA, carrierB};
  bool deferTargets = false;
  std::function<void(std::vector<Peer>)> pendingTargets;
  int lookups = 0;
  std::vector<State> states;
  std::unique_ptr<RegistrationClient> client;

  static RegistrationOptions defaultOptions() {
    RegistrationOptions o;
    o.registrarUri = "sip:carrier.example";
    o.aor = "sip:02150001234@carrier.example";
    o.username = "acct-7781";
    o.password = std::string(kPassword);
    o.contactUri = "sip:02150001234@203.0.113.5:5060";
    o.viaSentBy = "203.0.113.5:5060";
    o.userAgent = "switchboard-test";
    return o;
  }

  void start() {
    client = std::make_unique<RegistrationClient>(
        layer, timers, options, [this](std::function<void(std::vector<Peer>)> answer) {
          ++lookups;
          if (deferTargets) {
            pendingTargets = std::move(answer);
          } else {
            answer(targets);
          }
        });
    client->onStateChange([this](State s) { states.push_back(s); });
    client->start();
  }

  Message last() const { return sender.sent.back().message(); }
  const Peer& lastTo() const { return sender.sent.back().to; }
  std::uint32_t lastCseq() const { return cseqOf(last()); }

  // The carrier answers the last request sent, from where it went.
  void answer(int status, const Headers& headers = {}) {
    auto b = responseTo(last(), status, {}, "carrier-tag");
    for (const auto& [name, value] : headers)
      b.header(name, value);
    auto response = parseMessage(b.build());
    ASSERT_TRUE(response.ok());
    layer.receive(std::move(*response), lastTo());
  }

  void advance(milliseconds by) { timers.advance(by); }

  // Registered with carrier A without a challenge, for `granted` seconds (Expires header).
  void registered(std::uint32_t granted = 3600) {
    start();
    answer(200, {{"Expires", std::to_string(granted)}});
    ASSERT_EQ(client->state(), State::kRegistered);
  }
};

bool operator==(const Peer& a, const Peer& b) {
  return a.transport == b.transport && a.address == b.address && a.port == b.port;
}

TEST_F(RegistrationClientTest, TheFirstRegisterCarriesWhatRfc3261Asks) {
  start();
  ASSERT_EQ(sender.sent.size(), 1U);
  EXPECT_TRUE(lastTo() == carrierA);
  auto m = last();
  EXPECT_EQ(m.methodText(), "REGISTER");
  EXPECT_EQ(m.requestUri(), "sip:carrier.example");
  ASSERT_EQ(m.headerCount(HeaderId::kVia), 1U);
  auto via = parseVia(*m.header(HeaderId::kVia));
  ASSERT_TRUE(via.ok());
  EXPECT_EQ(via->transport, "UDP");
  EXPECT_EQ(via->host, "203.0.113.5");
  EXPECT_EQ(via->port, 5060);
  EXPECT_TRUE(via->branch().starts_with("z9hG4bK"));
  EXPECT_GT(via->branch().size(), 7U);
  EXPECT_TRUE(via->rport().has_value());
  EXPECT_EQ(header(m, HeaderId::kMaxForwards), "70");
  auto from = parseNameAddr(*m.header(HeaderId::kFrom));
  ASSERT_TRUE(from.ok());
  EXPECT_EQ(from->uriText, "sip:02150001234@carrier.example");
  EXPECT_FALSE(from->tag().empty());
  EXPECT_EQ(header(m, HeaderId::kTo), "<sip:02150001234@carrier.example>");
  EXPECT_FALSE(header(m, HeaderId::kCallId).empty());
  EXPECT_EQ(header(m, HeaderId::kCSeq), "1 REGISTER");
  EXPECT_EQ(header(m, HeaderId::kContact), "<sip:02150001234@203.0.113.5:5060>;expires=3600");
  EXPECT_EQ(header(m, HeaderId::kExpires), "3600");
  EXPECT_EQ(header(m, HeaderId::kUserAgent), "switchboard-test");
  EXPECT_EQ(header(m, HeaderId::kContentLength), "0");
  EXPECT_TRUE(m.body().empty());
  EXPECT_FALSE(m.header(HeaderId::kAuthorization));
  EXPECT_FALSE(m.header(HeaderId::kProxyAuthorization));
  EXPECT_FALSE(checkRequest(m).has_value());  // what a registrar checks first
  EXPECT_EQ(client->state(), State::kRegistering);
  EXPECT_EQ(states, std::vector<State>{State::kRegistering});
  EXPECT_EQ(lookups, 1);
}

TEST_F(RegistrationClientTest, RequestsKeepCallIdAndFromTagAndCountCSeqWithFreshBranches) {
  start();
  answer(401, {{"WWW-Authenticate", challenge("n1")}});
  answer(200);
  advance(seconds(3510));
  answer(200);
  client->stop();
  answer(200);
  ASSERT_EQ(sender.sent.size(), 4U);
  std::set<std::string> branches;
  for (std::size_t i = 0; i < sender.sent.size(); ++i) {
    auto m = sender.sent[i].message();
    EXPECT_EQ(header(m, HeaderId::kCallId), header(last(), HeaderId::kCallId));
    EXPECT_EQ(header(m, HeaderId::kFrom), header(last(), HeaderId::kFrom));
    EXPECT_EQ(cseqOf(m), i + 1);
    branches.insert(std::string(parseVia(*m.header(HeaderId::kVia))->branch()));
  }
  EXPECT_EQ(branches.size(), 4U);
  // start() after stop() goes on with the same Call-ID and the next CSeq.
  auto callId = header(last(), HeaderId::kCallId);
  client->start();
  EXPECT_EQ(header(last(), HeaderId::kCallId), callId);
  EXPECT_EQ(lastCseq(), 5U);
}

TEST_F(RegistrationClientTest, A401IsAnsweredWithAuthorizationTheCarrierCanVerify) {
  start();
  answer(401, {{"WWW-Authenticate", challenge("n1")}});
  ASSERT_EQ(sender.sent.size(), 2U);
  EXPECT_TRUE(lastTo() == carrierA);
  auto m = last();
  EXPECT_TRUE(answers(m, HeaderId::kAuthorization, "n1", "00000001"));
  EXPECT_FALSE(m.header(HeaderId::kProxyAuthorization));
  EXPECT_EQ(header(m, HeaderId::kContact), "<sip:02150001234@203.0.113.5:5060>;expires=3600");
  answer(200);
  EXPECT_EQ(client->state(), State::kRegistered);
  EXPECT_EQ(client->grantedExpires(), seconds(3600));
  EXPECT_TRUE(client->lastError().empty());
  EXPECT_EQ(states, (std::vector<State>{State::kRegistering, State::kRegistered}));
}

TEST_F(RegistrationClientTest, Sha256IsPreferredAmongSeveralChallenges) {
  start();
  answer(401, {{"WWW-Authenticate",
                R"(Digest realm="carrier.example", nonce="n0", algorithm=SHA-512-256, qop="auth")"},
               {"WWW-Authenticate", challenge("n-md5")},
               {"WWW-Authenticate", challenge("n-sha", false, digest::Algorithm::kSha256)}});
  EXPECT_TRUE(
      answers(last(), HeaderId::kAuthorization, "n-sha", "00000001", digest::Algorithm::kSha256));
}

TEST_F(RegistrationClientTest, TheFirstChallengeItCanAnswerIsTakenWithoutSha256) {
  start();
  answer(401, {{"WWW-Authenticate",
                R"(Digest realm="carrier.example", nonce="n0", algorithm=SHA-512-256, qop="auth")"},
               {"WWW-Authenticate",
                R"(Digest realm="carrier.example", nonce="n9", algorithm=MD5, qop="auth-conf")"},
               {"WWW-Authenticate", challenge("n-md5")}});
  EXPECT_TRUE(answers(last(), HeaderId::kAuthorization, "n-md5", "00000001"));
}

TEST_F(RegistrationClientTest, A401WithoutAUsableChallengeFails) {
  start();
  answer(401, {{"WWW-Authenticate", R"(Basic realm="carrier.example")"}});
  EXPECT_EQ(sender.sent.size(), 1U);
  EXPECT_EQ(client->state(), State::kFailed);
  EXPECT_EQ(client->lastError(),
            "401 Unauthorized from 198.51.100.10:5060 without a digest challenge we can answer");
}

TEST_F(RegistrationClientTest, A407GetsProxyAuthorizationAndALater401GetsBoth) {
  start();
  answer(407, {{"Proxy-Authenticate",
                challenge("p1", false, digest::Algorithm::kMd5, "proxy.carrier.example")}});
  ASSERT_EQ(sender.sent.size(), 2U);
  EXPECT_TRUE(answers(last(), HeaderId::kProxyAuthorization, "p1", "00000001",
                      digest::Algorithm::kMd5, "proxy.carrier.example"));
  EXPECT_FALSE(last().header(HeaderId::kAuthorization));
  answer(401, {{"WWW-Authenticate", challenge("n1")}});
  ASSERT_EQ(sender.sent.size(), 3U);
  EXPECT_TRUE(answers(last(), HeaderId::kProxyAuthorization, "p1", "00000002",
                      digest::Algorithm::kMd5, "proxy.carrier.example"));
  EXPECT_TRUE(answers(last(), HeaderId::kAuthorization, "n1", "00000001"));
  answer(200);
  EXPECT_EQ(client->state(), State::kRegistered);
}

TEST_F(RegistrationClientTest, RefreshesReuseTheNonceWithTheNextNonceCount) {
  start();
  answer(401, {{"WWW-Authenticate", challenge("n1")}});
  answer(200);
  advance(seconds(3510));
  ASSERT_EQ(sender.sent.size(), 3U);
  EXPECT_TRUE(answers(last(), HeaderId::kAuthorization, "n1", "00000002"));
  answer(200);
  advance(seconds(3510));
  EXPECT_TRUE(answers(last(), HeaderId::kAuthorization, "n1", "00000003"));
  EXPECT_EQ(states, (std::vector<State>{State::kRegistering, State::kRegistered}));
}

TEST_F(RegistrationClientTest, AFreshChallengeToReusedCredentialsIsAnswered) {
  start();
  answer(401, {{"WWW-Authenticate", challenge("n1")}});
  answer(200);
  advance(seconds(3510));
  // The carrier restarted and forgot n1: a new challenge, not stale, is no verdict on us.
  answer(401, {{"WWW-Authenticate", challenge("n2")}});
  ASSERT_EQ(sender.sent.size(), 4U);
  EXPECT_TRUE(answers(last(), HeaderId::kAuthorization, "n2", "00000001"));
  answer(200);
  EXPECT_EQ(client->state(), State::kRegistered);
  EXPECT_EQ(states, (std::vector<State>{State::kRegistering, State::kRegistered}));
}

TEST_F(RegistrationClientTest, AChallengeRightAfterOurAnswerMeansWrongCredentials) {
  start();
  answer(401, {{"WWW-Authenticate", challenge("n1")}});
  answer(401, {{"WWW-Authenticate", challenge("n2")}});
  EXPECT_EQ(sender.sent.size(), 2U);  // carrier B is not asked: same credentials there
  EXPECT_EQ(client->state(), State::kFailed);
  EXPECT_EQ(client->lastError(),
            "401 Unauthorized from 198.51.100.10:5060: credentials of \"acct-7781\" refused for "
            "realm \"carrier.example\"");
  EXPECT_EQ(client->grantedExpires(), seconds(0));
  advance(seconds(30) - milliseconds(1));
  EXPECT_EQ(sender.sent.size(), 2U);
  advance(milliseconds(1));
  ASSERT_EQ(sender.sent.size(), 3U);
  EXPECT_TRUE(lastTo() == carrierA);
  EXPECT_EQ(lookups, 2);
  EXPECT_EQ(states, (std::vector<State>{State::kRegistering, State::kFailed, State::kRegistering}));
}

TEST_F(RegistrationClientTest, AStaleNonceIsAnsweredOnceMore) {
  start();
  answer(401, {{"WWW-Authenticate", challenge("n1")}});
  answer(401, {{"WWW-Authenticate", challenge("n2", true)}});
  ASSERT_EQ(sender.sent.size(), 3U);
  EXPECT_TRUE(answers(last(), HeaderId::kAuthorization, "n2", "00000001"));
  answer(200);
  EXPECT_EQ(client->state(), State::kRegistered);
}

TEST_F(RegistrationClientTest, ASecondStaleInARowFails) {
  start();
  answer(401, {{"WWW-Authenticate", challenge("n1")}});
  answer(401, {{"WWW-Authenticate", challenge("n2", true)}});
  answer(401, {{"WWW-Authenticate", challenge("n3", true)}});
  EXPECT_EQ(sender.sent.size(), 3U);
  EXPECT_EQ(client->state(), State::kFailed);
}

TEST_F(RegistrationClientTest, TheGrantedExpiryIsOurContactsAndTheRefreshComesAMarginEarly) {
  start();
  answer(200, {{"Contact",
                "<sip:02150001234@198.51.100.99:5060>;expires=100, "
                "<sip:02150001234@203.0.113.5:5060>;expires=600"},
               {"Expires", "900"}});
  EXPECT_EQ(client->grantedExpires(), seconds(600));
  // max(600/2, 600 - 90) = 510 s.
  advance(seconds(510) - milliseconds(1));
  EXPECT_EQ(lastCseq(), 1U);
  advance(milliseconds(1));
  EXPECT_EQ(lastCseq(), 2U);
  EXPECT_EQ(header(last(), HeaderId::kContact), "<sip:02150001234@203.0.113.5:5060>;expires=3600");
}

TEST_F(RegistrationClientTest, TheGrantedExpiryFallsBackToExpiresThenToWhatWeAsked) {
  start();
  answer(200, {{"Contact", "<sip:someone-else@198.51.100.99>;expires=100"}, {"Expires", "120"}});
  EXPECT_EQ(client->grantedExpires(), seconds(120));
  answer(200);  // a retransmitted 200 changes nothing
  advance(seconds(60));
  EXPECT_EQ(lastCseq(), 2U);
  answer(200);
  EXPECT_EQ(client->grantedExpires(), seconds(3600));
}

TEST_F(RegistrationClientTest, A200GrantingOurContactNoTimeIsAFailure) {
  start();
  answer(200, {{"Contact", "<sip:02150001234@203.0.113.5:5060>;expires=0"}});
  EXPECT_EQ(client->state(), State::kFailed);
  EXPECT_EQ(client->lastError(), "200 OK from 198.51.100.10:5060 but granted our contact no time");
  EXPECT_EQ(client->grantedExpires(), seconds(0));
}

TEST_F(RegistrationClientTest, RefreshFollowsMaxOfHalfAndGrantedMinusMargin) {
  registered(3600);
  // Each refresh is answered with the next grant; the one after comes exactly on time.
  const std::vector<std::pair<std::uint32_t, milliseconds>> grants = {
      {3600, seconds(3510)}, {600, seconds(510)}, {180, seconds(90)},
      {150, seconds(75)},    {60, seconds(30)},   {1, milliseconds(500)}};
  for (auto [granted, due] : grants) {
    SCOPED_TRACE(granted);
    if (granted != 3600) answer(200, {{"Expires", std::to_string(granted)}});
    EXPECT_EQ(client->grantedExpires(), seconds(granted));
    auto before = lastCseq();
    advance(due - milliseconds(1));
    EXPECT_EQ(lastCseq(), before);
    advance(milliseconds(1));
    EXPECT_EQ(lastCseq(), before + 1);
  }
}

TEST_F(RegistrationClientTest, TheRefreshIsCountedFromWhenTheRequestWasSent) {
  start();
  advance(seconds(2));  // the 200 comes late (retransmissions meanwhile)
  answer(200);
  advance(seconds(3508) - milliseconds(1));
  EXPECT_EQ(lastCseq(), 1U);
  advance(milliseconds(1));
  EXPECT_EQ(lastCseq(), 2U);
}

TEST_F(RegistrationClientTest, IntervalTooBriefRaisesExpiresToMinExpiresForGood) {
  options.expires = seconds(60);
  start();
  answer(423, {{"Min-Expires", "300"}});
  ASSERT_EQ(sender.sent.size(), 2U);
  EXPECT_TRUE(lastTo() == carrierA);
  EXPECT_EQ(lastCseq(), 2U);
  EXPECT_EQ(header(last(), HeaderId::kContact), "<sip:02150001234@203.0.113.5:5060>;expires=300");
  EXPECT_EQ(header(last(), HeaderId::kExpires), "300");
  answer(200);
  EXPECT_EQ(client->grantedExpires(), seconds(300));
  advance(seconds(210));
  EXPECT_EQ(lastCseq(), 3U);
  EXPECT_EQ(header(last(), HeaderId::kExpires), "300");
}

TEST_F(RegistrationClientTest, A423WithoutAHigherMinExpiresFails) {
  start();
  answer(423);
  EXPECT_EQ(client->state(), State::kFailed);
  EXPECT_EQ(client->lastError(),
            "423 Interval Too Brief from 198.51.100.10:5060 (Min-Expires missing)");
  advance(seconds(30));
  answer(423, {{"Min-Expires", "60"}});  // below the 3600 s asked for
  EXPECT_EQ(client->state(), State::kFailed);
  EXPECT_EQ(sender.sent.size(), 2U);
}

TEST_F(RegistrationClientTest, NoAnswerFailsOverToTheNextAddress) {
  start();
  advance(milliseconds(500));  // timer E: the same request again
  ASSERT_EQ(sender.sent.size(), 2U);
  EXPECT_EQ(sender.sent[1].bytes, sender.sent[0].bytes);
  advance(seconds(32) - milliseconds(500));  // timer F
  auto m = last();
  EXPECT_TRUE(lastTo() == carrierB);
  EXPECT_EQ(cseqOf(m), 2U);
  EXPECT_NE(parseVia(*m.header(HeaderId::kVia))->branch(),
            parseVia(*sender.sent[0].message().header(HeaderId::kVia))->branch());
  EXPECT_EQ(client->state(), State::kRegistering);
  answer(200);
  EXPECT_EQ(client->state(), State::kRegistered);
  ASSERT_TRUE(client->registeredWith().has_value());
  EXPECT_TRUE(*client->registeredWith() == carrierB);
  // The refresh goes to the address holding the binding first.
  advance(seconds(3510));
  EXPECT_EQ(lastCseq(), 3U);
  EXPECT_TRUE(lastTo() == carrierB);
}

TEST_F(RegistrationClientTest, ServerErrorsFailOverThenEveryAddressFailedBacksOffDoubling) {
  start();
  answer(503);
  EXPECT_TRUE(lastTo() == carrierB);
  EXPECT_EQ(lastCseq(), 2U);
  answer(500);
  EXPECT_EQ(client->state(), State::kFailed);
  EXPECT_EQ(client->lastError(),
            "500 Server Internal Error from 198.51.100.11:5060 (all 2 addresses failed)");
  // 30 s, doubling, at most 600 s.
  for (int delay : {30, 60, 120, 240, 480, 600, 600}) {
    SCOPED_TRACE(delay);
    auto before = lastCseq();
    advance(seconds(delay) - milliseconds(1));
    EXPECT_EQ(lastCseq(), before);
    advance(milliseconds(1));
    EXPECT_EQ(lastCseq(), before + 1);
    EXPECT_TRUE(lastTo() == carrierA);
    answer(503);
    answer(408);
    EXPECT_EQ(client->state(), State::kFailed);
  }
  // Success resets the backoff: a failed refresh waits 30 s again.
  advance(seconds(600));
  answer(200);
  EXPECT_EQ(client->state(), State::kRegistered);
  advance(seconds(3510));
  answer(503);
  answer(503);
  EXPECT_EQ(client->state(), State::kFailed);
  auto before = lastCseq();
  advance(seconds(30));
  EXPECT_EQ(lastCseq(), before + 1);
}

TEST_F(RegistrationClientTest, RetryAfterOf503StretchesTheBackoff) {
  targets = {carrierA};
  start();
  answer(503, {{"Retry-After", "120 (maintenance)"}});
  EXPECT_EQ(client->state(), State::kFailed);
  advance(seconds(120) - milliseconds(1));
  EXPECT_EQ(lastCseq(), 1U);
  advance(milliseconds(1));
  EXPECT_EQ(lastCseq(), 2U);
}

TEST_F(RegistrationClientTest, ForbiddenFailsWithoutTryingOtherAddresses) {
  start();
  answer(403);
  EXPECT_EQ(sender.sent.size(), 1U);
  EXPECT_EQ(client->state(), State::kFailed);
  EXPECT_EQ(client->lastError(), "403 Forbidden from 198.51.100.10:5060");
  advance(seconds(30));
  ASSERT_EQ(sender.sent.size(), 2U);
  EXPECT_TRUE(lastTo() == carrierA);
  answer(404);
  EXPECT_EQ(sender.sent.size(), 2U);
  EXPECT_EQ(client->lastError(), "404 Not Found from 198.51.100.10:5060");
  EXPECT_EQ(states, (std::vector<State>{State::kRegistering, State::kFailed, State::kRegistering,
                                        State::kFailed}));
}

TEST_F(RegistrationClientTest, NoAddressFailsAndAsksAgainLater) {
  targets = {};
  start();
  EXPECT_TRUE(sender.sent.empty());
  EXPECT_EQ(client->state(), State::kFailed);
  EXPECT_EQ(client->lastError(), "no address for the registrar sip:carrier.example");
  targets = {carrierB};
  advance(seconds(30));
  EXPECT_EQ(lookups, 2);
  ASSERT_EQ(sender.sent.size(), 1U);
  EXPECT_TRUE(lastTo() == carrierB);
}

TEST_F(RegistrationClientTest, TargetsMayAnswerLater) {
  deferTargets = true;
  start();
  EXPECT_TRUE(sender.sent.empty());
  EXPECT_EQ(client->state(), State::kRegistering);
  pendingTargets({carrierB});
  ASSERT_EQ(sender.sent.size(), 1U);
  EXPECT_TRUE(lastTo() == carrierB);
}

TEST_F(RegistrationClientTest, TcpTargetsGetATcpViaAndNoRetransmissions) {
  const Peer tcp{Transport::kTcp, "198.51.100.10", 5060, 0};
  targets = {tcp};
  start();
  EXPECT_EQ(parseVia(*last().header(HeaderId::kVia))->transport, "TCP");
  advance(seconds(31));
  EXPECT_EQ(sender.sent.size(), 1U);
  advance(seconds(1));
  EXPECT_EQ(client->state(), State::kFailed);
  EXPECT_EQ(client->lastError(), "no answer from 198.51.100.10:5060");
}

TEST_F(RegistrationClientTest, StopUnregistersWithExpiresZeroAndCredentials) {
  start();
  answer(401, {{"WWW-Authenticate", challenge("n1")}});
  answer(200);
  int done = 0;
  client->stop([&] { ++done; });
  ASSERT_EQ(sender.sent.size(), 3U);
  auto m = last();
  EXPECT_TRUE(lastTo() == carrierA);
  EXPECT_EQ(cseqOf(m), 3U);
  EXPECT_EQ(header(m, HeaderId::kContact), "<sip:02150001234@203.0.113.5:5060>;expires=0");
  EXPECT_EQ(header(m, HeaderId::kExpires), "0");
  EXPECT_TRUE(answers(m, HeaderId::kAuthorization, "n1", "00000002"));
  EXPECT_EQ(done, 0);
  EXPECT_EQ(client->state(), State::kUnregistering);
  answer(200);
  EXPECT_EQ(done, 1);
  EXPECT_EQ(client->state(), State::kUnregistered);
  EXPECT_EQ(client->grantedExpires(), seconds(0));
  EXPECT_FALSE(client->registeredWith().has_value());
  EXPECT_EQ(states, (std::vector<State>{State::kRegistering, State::kRegistered,
                                        State::kUnregistering, State::kUnregistered}));
  advance(seconds(7200));
  EXPECT_EQ(sender.sent.size(), 3U);
  EXPECT_EQ(timers.pending(), 0U);
}

TEST_F(RegistrationClientTest, AChallengedUnregisterIsAnsweredOnce) {
  registered();
  int done = 0;
  client->stop([&] { ++done; });
  EXPECT_FALSE(last().header(HeaderId::kAuthorization));
  answer(401, {{"WWW-Authenticate", challenge("n1")}});
  ASSERT_EQ(sender.sent.size(), 3U);
  EXPECT_EQ(header(last(), HeaderId::kExpires), "0");
  EXPECT_TRUE(answers(last(), HeaderId::kAuthorization, "n1", "00000001"));
  EXPECT_EQ(done, 0);
  answer(401, {{"WWW-Authenticate", challenge("n2")}});
  EXPECT_EQ(sender.sent.size(), 3U);
  EXPECT_EQ(done, 1);
  EXPECT_EQ(client->state(), State::kUnregistered);
}

TEST_F(RegistrationClientTest, StopWithNothingRegisteredIsDoneAtOnce) {
  int done = 0;
  options.stopTimeout = seconds(1);
  start();
  answer(403);
  client->stop([&] { ++done; });
  EXPECT_EQ(done, 1);
  EXPECT_EQ(client->state(), State::kUnregistered);
  advance(seconds(3600));  // the retry is cancelled
  EXPECT_EQ(sender.sent.size(), 1U);
  EXPECT_EQ(timers.pending(), 0U);
  client->stop([&] { ++done; });  // stopped already
  EXPECT_EQ(done, 2);
}

TEST_F(RegistrationClientTest, StopBeforeTheTargetsAnsweredIsDoneAtOnce) {
  deferTargets = true;
  start();
  int done = 0;
  client->stop([&] { ++done; });
  EXPECT_EQ(done, 1);
  pendingTargets({carrierA});  // too late: dropped
  EXPECT_TRUE(sender.sent.empty());
  EXPECT_EQ(states, (std::vector<State>{State::kRegistering, State::kUnregistered}));
}

TEST_F(RegistrationClientTest, StopDuringARegisterWaitsForItThenUndoesWhatItGot) {
  start();
  int done = 0;
  client->stop([&] { ++done; });
  client->stop([&] { ++done; });  // both run
  EXPECT_EQ(done, 0);
  EXPECT_EQ(client->state(), State::kUnregistering);
  EXPECT_EQ(sender.sent.size(), 1U);
  answer(200);
  ASSERT_EQ(sender.sent.size(), 2U);
  EXPECT_EQ(header(last(), HeaderId::kExpires), "0");
  EXPECT_EQ(done, 0);
  answer(200);
  EXPECT_EQ(done, 2);
  EXPECT_EQ(client->state(), State::kUnregistered);
}

TEST_F(RegistrationClientTest, StopDuringARefusedRegisterSendsNothingMore) {
  start();
  int done = 0;
  client->stop([&] { ++done; });
  answer(403);
  EXPECT_EQ(done, 1);
  EXPECT_EQ(sender.sent.size(), 1U);
  EXPECT_EQ(client->state(), State::kUnregistered);
}

TEST_F(RegistrationClientTest, StopDuringARefreshUnregistersEvenIfTheRefreshIsChallenged) {
  registered();
  advance(seconds(3510));
  int done = 0;
  client->stop([&] { ++done; });
  answer(401, {{"WWW-Authenticate", challenge("n1")}});
  ASSERT_EQ(sender.sent.size(), 3U);
  EXPECT_EQ(header(last(), HeaderId::kExpires), "0");
  EXPECT_TRUE(answers(last(), HeaderId::kAuthorization, "n1", "00000001"));
  answer(200);
  EXPECT_EQ(done, 1);
}

TEST_F(RegistrationClientTest, AFailedRefreshStillUnregistersTheLiveBindingAtStop) {
  registered(600);
  advance(seconds(510));
  answer(503);
  answer(503);
  EXPECT_EQ(client->state(), State::kFailed);
  client->stop();
  EXPECT_TRUE(lastTo() == carrierA);
  EXPECT_EQ(header(last(), HeaderId::kExpires), "0");
  EXPECT_EQ(client->state(), State::kUnregistering);
}

TEST_F(RegistrationClientTest, StopGivesUpAfterStopTimeout) {
  registered();
  int done = 0;
  client->stop([&] { ++done; });
  advance(seconds(10) - milliseconds(1));
  EXPECT_EQ(done, 0);
  advance(milliseconds(1));
  EXPECT_EQ(done, 1);
  EXPECT_EQ(client->state(), State::kUnregistered);
  auto sent = sender.sent.size();
  answer(200);  // late: ignored
  advance(seconds(3600));
  EXPECT_EQ(done, 1);
  EXPECT_EQ(sender.sent.size(), sent);
  EXPECT_EQ(client->state(), State::kUnregistered);
}

TEST_F(RegistrationClientTest, AListenerMayStopTheClient) {
  start();
  int done = 0;
  client->onStateChange([&](State s) {
    if (s == State::kFailed) client->stop([&] { ++done; });
  });
  answer(403);
  EXPECT_EQ(done, 1);
  EXPECT_EQ(client->state(), State::kUnregistered);
  advance(seconds(3600));
  EXPECT_EQ(sender.sent.size(), 1U);
}

TEST_F(RegistrationClientTest, AListenerMayStopTheClientAsItStartsRegistering) {
  targets = {carrierA};
  start();
  int done = 0;
  client->onStateChange([&](State s) {
    if (s == State::kRegistering) client->stop([&] { ++done; });
  });
  answer(503);
  advance(seconds(30));  // the retry: stopped as it begins
  EXPECT_EQ(done, 1);
  EXPECT_EQ(sender.sent.size(), 1U);
  EXPECT_EQ(client->state(), State::kUnregistered);
  client->start();  // and the very first attempt
  EXPECT_EQ(done, 2);
  EXPECT_EQ(sender.sent.size(), 1U);
  EXPECT_EQ(client->state(), State::kUnregistered);
}

TEST_F(RegistrationClientTest, DestroyingTheClientSilencesItsTimers) {
  registered();
  client.reset();
  advance(seconds(7200));
  EXPECT_EQ(sender.sent.size(), 1U);
  EXPECT_EQ(timers.pending(), 0U);
}

TEST_F(RegistrationClientTest, AnswersArrivingAfterDestructionAreIgnored) {
  start();
  client.reset();
  answer(200);
  advance(seconds(64));
  EXPECT_EQ(sender.sent.size(), 1U);
  start();
  client.reset();
  advance(seconds(64));  // the transaction times out into nothing
  EXPECT_EQ(timers.pending(), 0U);
  deferTargets = true;
  auto sent = sender.sent.size();
  start();
  client.reset();
  pendingTargets({carrierA});
  EXPECT_EQ(sender.sent.size(), sent);
}

}  // namespace
}  // namespace sb::sip
