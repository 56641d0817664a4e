// Dialogs from both sides of a call through a record-routing proxy, and requests within them.

#include "sip/dialog.hpp"

#include <gtest/gtest.h>

#include "sip/headers.hpp"

namespace sb::sip {
namespace {

const std::string kInvite =
    "INVITE sip:1001@10.0.0.7:5062 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP proxy.example.cn;branch=z9hG4bKp1\r\n"
    "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKc1\r\n"
    "Record-Route: <sip:proxy2.example.cn;lr>\r\n"
    "Record-Route: <sip:proxy1.example.cn;lr>\r\n"
    "From: \"Caller\" <sip:13800138000@example.cn>;tag=caller1\r\n"
    "To: <sip:1001@example.cn>\r\n"
    "Call-ID: dialog-1@203.0.113.5\r\n"
    "CSeq: 10 INVITE\r\n"
    "Contact: <sip:13800138000@203.0.113.5:5060>\r\n"
    "Content-Length: 0\r\n\r\n";

Message parsed(const std::string& bytes) {
  auto m = parseMessage(bytes);
  EXPECT_TRUE(m.ok()) << m.error().message;
  return *m;
}

// The 200 OK the UAS side sends, as the UAC side receives it.
Message okFor(const Message& invite, const std::string& toTag, const std::string& contact) {
  auto b = responseTo(invite, 200, {}, toTag);
  for (auto rr : invite.headerLines(HeaderId::kRecordRoute))
    b.header(HeaderId::kRecordRoute, rr);
  b.header(HeaderId::kContact, "<" + contact + ">");
  return parsed(b.build());
}

TEST(DialogTest, BothSidesAgreeOnTheIdentifiers) {
  auto invite = parsed(kInvite);
  auto uas = Dialog::asUas(invite, "callee9", "sip:1001@10.0.0.7:5062", true);
  ASSERT_TRUE(uas.ok()) << uas.error().message;
  auto ok = okFor(invite, "callee9", "sip:1001@10.0.0.7:5062");
  auto uac = Dialog::asUac(invite, ok);
  ASSERT_TRUE(uac.ok()) << uac.error().message;
  EXPECT_EQ(uas->id().callId, uac->id().callId);
  EXPECT_EQ(uas->id().localTag, uac->id().remoteTag);
  EXPECT_EQ(uas->id().remoteTag, uac->id().localTag);
  EXPECT_EQ(Dialog::idOfIncomingResponse(ok), uac->id());
}

TEST(DialogTest, AUacDialogFromWhatTheInviteWasBuiltFromIsTheSameAsFromTheInvite) {
  auto invite = parsed(kInvite);
  auto ok = okFor(invite, "callee9", "sip:1001@10.0.0.7:5062");
  auto fromInvite = Dialog::asUac(invite, ok);
  auto fromParts = Dialog::asUac({.callId = "dialog-1@203.0.113.5",
                                  .uri = "\"Caller\" <sip:13800138000@example.cn>",
                                  .tag = "caller1",
                                  .contact = "sip:13800138000@203.0.113.5:5060",
                                  .cseq = 10,
                                  .requestUri = "sip:1001@10.0.0.7:5062"},
                                 ok);
  ASSERT_TRUE(fromInvite.ok() && fromParts.ok());
  EXPECT_EQ(fromParts->id(), fromInvite->id());
  EXPECT_EQ(fromParts->localUri(), fromInvite->localUri());
  EXPECT_EQ(fromParts->remoteUri(), fromInvite->remoteUri());
  EXPECT_EQ(fromParts->remoteTarget(), fromInvite->remoteTarget());
  EXPECT_EQ(fromParts->routeSet(), fromInvite->routeSet());
  const std::string via = "SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKx";
  auto info = fromParts->request("INFO", via).build();
  EXPECT_EQ(info, fromInvite->request("INFO", via).build());
  EXPECT_NE(info.find("\r\nContact: <sip:13800138000@203.0.113.5:5060>\r\n"), std::string::npos)
      << info;
  EXPECT_NE(info.find("\r\nCSeq: 11 INFO\r\n"), std::string::npos) << info;
  // Without a Contact in a provisional response the target stays the Request-URI.
  auto ringing = responseTo(invite, 180, {}, "callee9");
  auto early =
      Dialog::asUac({.callId = "c", .uri = "<sip:a@b>", .tag = "t", .requestUri = "sip:x@y"},
                    parsed(ringing.build()));
  ASSERT_TRUE(early.ok()) << early.error().message;
  EXPECT_EQ(early->remoteTarget(), "sip:x@y");
  EXPECT_EQ(early->state(), Dialog::State::kEarly);
}

TEST(DialogTest, RouteSetsRunInOppositeOrders) {
  auto invite = parsed(kInvite);
  auto uas = Dialog::asUas(invite, "callee9", "sip:1001@10.0.0.7:5062", true);
  auto uac = Dialog::asUac(invite, okFor(invite, "callee9", "sip:1001@10.0.0.7:5062"));
  ASSERT_TRUE(uas.ok() && uac.ok());
  EXPECT_EQ(uas->routeSet(),
            (std::vector<std::string>{"<sip:proxy2.example.cn;lr>", "<sip:proxy1.example.cn;lr>"}));
  EXPECT_EQ(uac->routeSet(),
            (std::vector<std::string>{"<sip:proxy1.example.cn;lr>", "<sip:proxy2.example.cn;lr>"}));
  EXPECT_EQ(uas->remoteTarget(), "sip:13800138000@203.0.113.5:5060");
  EXPECT_EQ(uac->remoteTarget(), "sip:1001@10.0.0.7:5062");
}

TEST(DialogTest, ByeFromTheCalleeReachesTheCallerThroughTheRoutes) {
  auto invite = parsed(kInvite);
  auto uas = Dialog::asUas(invite, "callee9", "sip:1001@10.0.0.7:5062", true);
  ASSERT_TRUE(uas.ok());
  auto bye = parsed(uas->request("BYE", "SIP/2.0/UDP 10.0.0.7:5062;branch=z9hG4bKb1").build());
  EXPECT_EQ(bye.requestUri(), "sip:13800138000@203.0.113.5:5060");
  EXPECT_EQ(bye.headerLines(HeaderId::kRoute).front(), "<sip:proxy2.example.cn;lr>");
  EXPECT_EQ(parseNameAddr(*bye.header(HeaderId::kFrom))->tag(), "callee9");
  EXPECT_EQ(parseNameAddr(*bye.header(HeaderId::kTo))->tag(), "caller1");
  EXPECT_EQ(Dialog::idOfIncomingRequest(bye),
            (DialogId{"dialog-1@203.0.113.5", "caller1", "callee9"}));
  EXPECT_EQ(bye.header(HeaderId::kCSeq), "1 BYE");
  EXPECT_EQ(bye.headerCount(HeaderId::kContact), 0U);
}

TEST(DialogTest, TheCallersRequestsCountOnFromTheInvite) {
  auto invite = parsed(kInvite);
  auto uac = Dialog::asUac(invite, okFor(invite, "callee9", "sip:1001@10.0.0.7:5062"));
  ASSERT_TRUE(uac.ok());
  auto ack = parsed(uac->request("ACK", "SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKa1", 10).build());
  EXPECT_EQ(ack.header(HeaderId::kCSeq), "10 ACK");
  auto reinvite =
      parsed(uac->request("INVITE", "SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKr1").build());
  EXPECT_EQ(reinvite.header(HeaderId::kCSeq), "11 INVITE");
  EXPECT_EQ(reinvite.requestUri(), "sip:1001@10.0.0.7:5062");
  EXPECT_EQ(reinvite.header(HeaderId::kContact), "<sip:13800138000@203.0.113.5:5060>");
}

TEST(DialogTest, AStrictRouterBecomesTheRequestUri) {
  std::string strict = kInvite;
  strict.replace(strict.find("<sip:proxy2.example.cn;lr>"), 26, "<sip:proxy2.example.cn>");
  auto invite = parsed(strict);
  auto uas = Dialog::asUas(invite, "t", "sip:1001@10.0.0.7", true);
  ASSERT_TRUE(uas.ok());
  auto bye = parsed(uas->request("BYE", "SIP/2.0/UDP h;branch=z9hG4bKs").build());
  EXPECT_EQ(bye.requestUri(), "sip:proxy2.example.cn");
  auto routes = bye.headerLines(HeaderId::kRoute);
  ASSERT_EQ(routes.size(), 2U);
  EXPECT_EQ(routes.back(), "<sip:13800138000@203.0.113.5:5060>");
}

TEST(DialogTest, OutOfOrderRequestsGet500AndReinvitesRefreshTheTarget) {
  auto invite = parsed(kInvite);
  auto uas = Dialog::asUas(invite, "callee9", "sip:1001@10.0.0.7:5062", true);
  ASSERT_TRUE(uas.ok());
  auto inDialog = [&](const std::string& method, int cseq, const std::string& contact) {
    std::string text = method +
                       " sip:1001@10.0.0.7:5062 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK" +
                       std::to_string(cseq) +
                       "\r\nFrom: <sip:13800138000@example.cn>;tag=caller1\r\n"
                       "To: <sip:1001@example.cn>;tag=callee9\r\nCall-ID: dialog-1@203.0.113.5\r\n"
                       "CSeq: " +
                       std::to_string(cseq) + " " + method + "\r\n" +
                       (contact.empty() ? "" : "Contact: <" + contact + ">\r\n") + "l: 0\r\n\r\n";
    return parsed(text);
  };
  EXPECT_FALSE(uas->acceptRequest(inDialog("INVITE", 11, "sip:13800138000@198.51.100.4:5070")));
  EXPECT_EQ(uas->remoteTarget(), "sip:13800138000@198.51.100.4:5070");
  auto old = uas->acceptRequest(inDialog("INFO", 9, ""));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 500);
  EXPECT_FALSE(uas->acceptRequest(inDialog("ACK", 11, "")));
  EXPECT_FALSE(uas->acceptRequest(inDialog("BYE", 12, "")));
}

TEST(DialogTest, GlareIsDetectedBothWays) {
  auto invite = parsed(kInvite);
  auto d = Dialog::asUas(invite, "callee9", "sip:1001@10.0.0.7:5062", true);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->beginOutgoingInvite());
  auto glare = d->beginIncomingInvite();
  ASSERT_TRUE(glare);
  EXPECT_EQ(glare->status, 491);
  EXPECT_FALSE(d->beginOutgoingInvite());
  d->endOutgoingInvite();
  EXPECT_FALSE(d->beginIncomingInvite());
  auto second = d->beginIncomingInvite();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 500);
  d->endIncomingInvite();
  EXPECT_TRUE(d->beginOutgoingInvite());
}

TEST(DialogTest, RequestsWithoutTheNeededHeadersMakeNoDialog) {
  std::string noTag = kInvite;
  noTag.replace(noTag.find(";tag=caller1"), 12, "");
  EXPECT_FALSE(Dialog::asUas(parsed(noTag), "t", "sip:x@y", true).ok());
  std::string noContact = kInvite;
  noContact.replace(noContact.find("Contact: <sip:13800138000@203.0.113.5:5060>\r\n"), 46, "");
  EXPECT_FALSE(Dialog::asUas(parsed(noContact), "t", "sip:x@y", true).ok());
  auto invite = parsed(kInvite);
  auto untagged = parsed(responseTo(invite, 180).build());
  EXPECT_FALSE(Dialog::asUac(invite, untagged).ok());
  EXPECT_FALSE(Dialog::idOfIncomingRequest(invite));
}

TEST(DialogTest, AnEarlyDialogIsConfirmedByThe2xx) {
  auto invite = parsed(kInvite);
  auto ringing = responseTo(invite, 180, {}, "callee9");
  ringing.header(HeaderId::kContact, "<sip:1001@10.0.0.7:5062>");
  auto early = Dialog::asUac(invite, parsed(ringing.build()));
  ASSERT_TRUE(early.ok()) << early.error().message;
  EXPECT_EQ(early->state(), Dialog::State::kEarly);
  early->updateFromResponse(okFor(invite, "callee9", "sip:1001@10.0.0.99:5062"));
  EXPECT_EQ(early->state(), Dialog::State::kConfirmed);
  EXPECT_EQ(early->remoteTarget(), "sip:1001@10.0.0.99:5062");
  EXPECT_EQ(early->routeSet().size(), 2U);
}

}  // namespace
}  // namespace sb::sip
