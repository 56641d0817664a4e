#include "sip/message.hpp"

#include <cctype>
#include <memory>
#include <utility>

#include <gtest/gtest.h>

#include "sip/builder.hpp"
#include "sip/headers.hpp"
#include "sip/uri.hpp"

namespace sb::sip {
namespace {

const std::string kRegister =
    "REGISTER sip:127.0.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:31062;branch=z9hG4bK-1-0;rport\r\n"
    "From: <sip:1001@127.0.0.1>;tag=a1\r\n"
    "To: <sip:1001@127.0.0.1>\r\n"
    "Call-ID: reg-1@127.0.0.1\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Contact: <sip:1001@127.0.0.1:31062>;expires=300, <sip:1001@10.0.0.5>\r\n"
    "Max-Forwards: 70\r\n"
    "Expires: 300\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(MessageParseTest, ReadsARequest) {
  auto m = parseMessage(kRegister);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->isRequest());
  EXPECT_EQ(m->method(), Method::kRegister);
  EXPECT_EQ(m->methodText(), "REGISTER");
  EXPECT_EQ(m->requestUri(), "sip:127.0.0.1:5060");
  EXPECT_EQ(m->version(), "SIP/2.0");
  EXPECT_EQ(m->header(HeaderId::kCallId), "reg-1@127.0.0.1");
  EXPECT_EQ(m->headerValues(HeaderId::kContact).size(), 2U);
  EXPECT_TRUE(m->body().empty());
  EXPECT_FALSE(checkRequest(*m).has_value());
}

TEST(MessageParseTest, TheFirstValueIsTheFirstOfTheListAcrossLines) {
  auto m = parseMessage(
      "SIP/2.0 200 OK\r\n"
      "Via: ,  SIP/2.0/UDP proxy.example.com;branch=z9hG4bK-top, SIP/2.0/UDP b;branch=z9hG4bK-2\r\n"
      "Via: SIP/2.0/UDP c;branch=z9hG4bK-3\r\n"
      "Contact: \"A, B\" <sip:1001@127.0.0.1>\r\n"
      "Content-Length: 0\r\n"
      "\r\n");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->firstValue(HeaderId::kVia), "SIP/2.0/UDP proxy.example.com;branch=z9hG4bK-top");
  EXPECT_EQ(m->firstValue(HeaderId::kVia), m->headerValues(HeaderId::kVia).front());
  EXPECT_EQ(m->firstValue(HeaderId::kContact), "\"A, B\" <sip:1001@127.0.0.1>");
  EXPECT_FALSE(m->firstValue(HeaderId::kRecordRoute));
  EXPECT_EQ(firstListItem(" , ,"), std::nullopt);
  EXPECT_EQ(firstListItem("<sip:a@b;x=1,2>, <sip:c@d>"), "<sip:a@b;x=1,2>");
  // Without a comma the whole value, trimmed, is the one element.
  EXPECT_EQ(firstListItem(" \t<sip:a@b;x=1> \t"), "<sip:a@b;x=1>");
  EXPECT_EQ(firstListItem("\"unclosed <sip:a@b>"), "\"unclosed <sip:a@b>");
  EXPECT_EQ(firstListItem(" \t "), std::nullopt);
  EXPECT_EQ(splitList(" sip:q@r "), ListItems{"sip:q@r"});
  EXPECT_TRUE(splitList("  ").empty());
}

TEST(ViaBranchTest, FindsTheBranchAsParseViaDoes) {
  for (std::string_view via : {
           "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1;rport",
           "SIP/2.0/UDP 127.0.0.1:5060;rport;BRANCH = z9hG4bK-1 ",
           "SIP/2.0/UDP [::1]:5060 ; x=\"a;branch=no\" ;branch=z9hG4bK-1;branch=z9hG4bK-2",
           "SIP/2.0/TCP host.example ;received=192.0.2.1;branch=\"z9hG4bK-1\"",
           "SIP/2.0/UDP h;x;branch=z9hG4bK-1",
           "SIP/2.0/UDP 127.0.0.1",
           "SIP/2.0/UDP 127.0.0.1;branch",
           "SIP/2.0/UDP 127.0.0.1;x=\"unclosed;branch=z9hG4bK-1",
       }) {
    auto parsed = parseVia(via);
    ASSERT_TRUE(parsed.ok() || via.find("unclosed") != std::string_view::npos) << via;
    EXPECT_EQ(viaBranch(via), parsed.ok() ? parsed->branch() : "") << via;
  }
  EXPECT_EQ(viaBranch("SIP/2.0/UDP 127.0.0.1:5060;rport;BRANCH = z9hG4bK-1 "), "z9hG4bK-1");
  EXPECT_EQ(viaBranch("SIP/2.0/TCP h;branch=\"z9hG4bK-1\""), "\"z9hG4bK-1\"");
}

TEST(NameAddrTagTest, FindsTheTagAsParseNameAddrDoes) {
  for (std::string_view value : {
           "<sip:1001@127.0.0.1>;tag=abc",
           "\"Queue ; <x>\" <sip:1001@h;tag=inside>;TAG = abc ;x=1",
           "Bob <sip:bob@h;transport=udp>;x=\"a;tag=no\";tag=abc",
           "sip:bob@h;tag=abc;x=1",
           "sip:bob@h;x=1",
           "<sip:bob@h;tag=only-in-the-uri>",
           "<sip:bob@h>;tag",
           "<sip:bob@h>;t;tag=abc",
           "\"\\\"quoted\\\"\" <sip:bob@h> ; tag=abc",
           "\"unclosed <sip:bob@h>;tag=abc",
           "<sip:bob@h;tag=abc",
       }) {
    auto parsed = parseNameAddr(value);
    EXPECT_EQ(nameAddrTag(value), parsed.ok() ? parsed->tag() : "") << value;
  }
  EXPECT_EQ(nameAddrTag("\"Queue ; <x>\" <sip:1001@h;tag=inside>;TAG = abc ;x=1"), "abc");
  EXPECT_EQ(nameAddrTag("sip:bob@h;tag=abc;x=1"), "abc");
}

TEST(MessageParseTest, ReadsAResponse) {
  auto m = parseMessage(
      "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
      "To: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->isResponse());
  EXPECT_EQ(m->statusCode(), 401);
  EXPECT_EQ(m->reasonPhrase(), "Unauthorized");
  EXPECT_TRUE(isWellFormedResponse(*m));
}

TEST(MessageParseTest, CompactAndOddlyCasedNamesAreRecognised) {
  auto m = parseMessage(
      "OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKx\r\nf: <sip:a@b>;tag=1\r\n"
      "t: <sip:a@b>\r\ni: c\r\ncSeQ: 1 OPTIONS\r\nl: 0\r\nK: 100rel\r\n\r\n");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->header(HeaderId::kCallId), "c");
  EXPECT_EQ(m->header(HeaderId::kSupported), "100rel");
  EXPECT_FALSE(checkRequest(*m).has_value());
}

TEST(MessageParseTest, EveryKnownHeaderIsFoundByItsNameInAnyCase) {
  for (auto id = static_cast<int>(HeaderId::kVia);
       id <= static_cast<int>(HeaderId::kPAssertedIdentity); ++id) {
    std::string name(headerName(static_cast<HeaderId>(id)));
    ASSERT_FALSE(name.empty()) << id;
    EXPECT_EQ(headerIdFromName(name), static_cast<HeaderId>(id)) << name;
    std::string lower = name;
    std::string upper = name;
    for (auto& c : lower)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : upper)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(headerIdFromName(lower), static_cast<HeaderId>(id)) << lower;
    EXPECT_EQ(headerIdFromName(upper), static_cast<HeaderId>(id)) << upper;
  }
  const std::pair<std::string_view, HeaderId> compact[] = {
      {"v", HeaderId::kVia},         {"F", HeaderId::kFrom},
      {"t", HeaderId::kTo},          {"i", HeaderId::kCallId},
      {"m", HeaderId::kContact},     {"L", HeaderId::kContentLength},
      {"c", HeaderId::kContentType}, {"e", HeaderId::kContentEncoding},
      {"k", HeaderId::kSupported},   {"x", HeaderId::kSessionExpires},
      {"o", HeaderId::kEvent},       {"r", HeaderId::kReferTo},
      {"b", HeaderId::kReferredBy},  {"s", HeaderId::kSubject}};
  for (auto [name, id] : compact)
    EXPECT_EQ(headerIdFromName(name), id) << name;
  for (std::string_view other : {"", "a", "z", "1", "-", "Vias", "Vi", "To-", "X-Queue", "\xc3\x9c",
                                 "Call-IDs", "Contac", "Record-Routes"}) {
    EXPECT_EQ(headerIdFromName(other), HeaderId::kOther) << other;
  }
}

TEST(MessageParseTest, FoldedLinesBecomeOneValue) {
  auto m =
      parseMessage("OPTIONS sip:a@b SIP/2.0\r\nSubject: one\r\n two\r\n\tthree\r\nl: 0\r\n\r\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->header(HeaderId::kSubject), "one   two  \tthree");
}

TEST(MessageParseTest, BareLineFeedsAreAccepted) {
  auto m = parseMessage("OPTIONS sip:a@b SIP/2.0\nCall-ID: x\nl: 2\n\nhi");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->body(), "hi");
}

TEST(MessageParseTest, LeadingLineBreaksAreSkipped) {
  auto m = parseMessage("\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->method(), Method::kOptions);
}

TEST(MessageParseTest, MalformedInputIsRejectedWithAReason) {
  const char* cases[] = {
      "",
      "OPTIONS",
      "OPTIONS sip:a@b SIP/2.0\r\n",       // no empty line
      "OPTIONS  sip:a@b SIP/2.0\r\n\r\n",  // two spaces
      "OPTIONS sip:a@b SIP/2.0 \r\n\r\n",  // trailing space
      "OPTIONS sip:a@b HTTP/1.1\r\n\r\n",  // not SIP
      "OPT IONS sip:a@b SIP/2.0\r\n\r\n",
      "OPTIONS sip:a@b SIP/2.0\r\nNoColon\r\n\r\n",
      "OPTIONS sip:a@b SIP/2.0\r\n: novalue\r\n\r\n",
      "OPTIONS sip:a@b SIP/2.0\r\n folded-first: x\r\n\r\n",
      "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n",
      "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nshort",
      "OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab",
      "SIP/2.0 99 Too Small\r\n\r\n",
      "SIP/2.0 700 Too Big\r\n\r\n",
      "SIP/2.0 2000 x\r\n\r\n",
      "SIP/2.0 abc x\r\n\r\n",
  };
  for (const char* c : cases) {
    auto m = parseMessage(c);
    EXPECT_FALSE(m.ok()) << c;
    if (!m.ok()) {
      EXPECT_FALSE(m.error().message.empty());
    }
  }
}

TEST(MessageParseTest, SizeAndHeaderCountAreLimited) {
  std::string big = "OPTIONS sip:a@b SIP/2.0\r\nX: " + std::string(70000, 'a') + "\r\n\r\n";
  EXPECT_FALSE(parseMessage(big).ok());
  std::string many = "OPTIONS sip:a@b SIP/2.0\r\n";
  for (int i = 0; i < 200; ++i)
    many += "X: 1\r\n";
  many += "\r\n";
  EXPECT_FALSE(parseMessage(many).ok());
  EXPECT_TRUE(parseMessage(many, {65535, 256}).ok());
}

TEST(MessageParseTest, CopiesAndMovesKeepTheirViewsValid) {
  auto m = parseMessage(kRegister);
  ASSERT_TRUE(m.ok());
  Message copy = *m;
  Message moved = std::move(*m);
  EXPECT_EQ(copy.header(HeaderId::kCallId), "reg-1@127.0.0.1");
  EXPECT_EQ(moved.header(HeaderId::kCallId), "reg-1@127.0.0.1");
  EXPECT_EQ(copy.requestUri(), "sip:127.0.0.1:5060");
}

TEST(MessageParseTest, FromToAndTopViaAreParsedOnceAndKept) {
  auto m = parseMessage(kRegister);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->from().ok());
  EXPECT_EQ(m->from()->tag(), "a1");
  EXPECT_EQ(m->from()->uri.user, "1001");
  ASSERT_TRUE(m->to().ok());
  EXPECT_EQ(m->to()->tag(), "");
  ASSERT_TRUE(m->topVia().ok());
  EXPECT_EQ(m->topVia()->branch(), "z9hG4bK-1-0");
  ASSERT_TRUE(m->contact().ok());
  EXPECT_EQ(m->contact()->uriText, "sip:1001@127.0.0.1:31062");  // the first of the list
  EXPECT_EQ(findParam(m->contact()->params, "expires"), "300");
}

TEST(MessageParseTest, AWildcardOrMissingContactIsNoAddress) {
  auto wildcard = parseMessage("REGISTER sip:b SIP/2.0\r\nContact: *\r\nl: 0\r\n\r\n");
  ASSERT_TRUE(wildcard.ok());
  EXPECT_FALSE(wildcard->contact().ok());
  auto none = parseMessage("OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n");
  ASSERT_TRUE(none.ok());
  ASSERT_FALSE(none->contact().ok());
  EXPECT_EQ(none->contact().error().message, "missing Contact");
}

TEST(MessageParseTest, MissingAndMalformedAddressesAreErrors) {
  auto m = parseMessage(
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx, junk\r\nTo: <sip:a@b\r\n"
      "Call-ID: c\r\nl: 0\r\n\r\n");
  ASSERT_TRUE(m.ok());
  ASSERT_FALSE(m->from().ok());
  EXPECT_EQ(m->from().error().message, "missing From");
  EXPECT_FALSE(m->to().ok());
  ASSERT_TRUE(m->topVia().ok()) << "only the top Via is parsed";
  EXPECT_EQ(m->topVia()->host, "h");
}

// Whether every view of a parsed address points into the message's own bytes.
bool viewsInto(const Message& m) {
  auto inside = [&m](std::string_view v) {
    return v.data() >= m.bytes().data() &&
           v.data() + v.size() <= m.bytes().data() + m.bytes().size();
  };
  return m.from().ok() && m.to().ok() && m.topVia().ok() && inside(m.from()->uriText) &&
         inside(m.from()->uri.host) && inside(m.from()->tag()) && inside(m.to()->uriText) &&
         inside(m.topVia()->host) && inside(m.topVia()->branch());
}

TEST(MessageParseTest, CopiesAndMovesReadTheirOwnBytes) {
  auto parsed = parseMessage(kRegister);
  ASSERT_TRUE(parsed.ok());
  auto original = std::make_unique<Message>(std::move(*parsed));
  ASSERT_TRUE(viewsInto(*original));
  Message copy = *original;
  Message assigned;
  assigned = *original;
  Message moved = std::move(*original);
  original.reset();
  EXPECT_TRUE(viewsInto(copy));
  EXPECT_TRUE(viewsInto(assigned));
  EXPECT_TRUE(viewsInto(moved));
  EXPECT_EQ(copy.from()->tag(), "a1");
  EXPECT_EQ(moved.topVia()->branch(), "z9hG4bK-1-0");

  // A message assigned over one that had parsed its own addresses reads the new ones.
  auto other = parseMessage(
      "OPTIONS sip:b@c SIP/2.0\r\nVia: SIP/2.0/UDP other;branch=z9hG4bKy\r\n"
      "From: <sip:x@y>;tag=x9\r\nTo: <sip:b@c>\r\nCall-ID: d\r\nl: 0\r\n\r\n");
  ASSERT_TRUE(other.ok());
  copy = *other;
  EXPECT_TRUE(viewsInto(copy));
  EXPECT_EQ(copy.from()->tag(), "x9");
  moved = std::move(*other);
  EXPECT_TRUE(viewsInto(moved));
  EXPECT_EQ(moved.topVia()->host, "other");
}

TEST(CheckRequestTest, NamesWhatIsWrong) {
  auto answer = [](const std::string& headers) {
    auto m = parseMessage("OPTIONS sip:a@b SIP/2.0\r\n" + headers + "l: 0\r\n\r\n");
    if (!m) return 400;
    auto r = checkRequest(*m);
    return r ? r->status : 0;
  };
  const std::string ok =
      "Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
      "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n";
  EXPECT_EQ(answer(ok), 0);
  EXPECT_EQ(answer(ok + "Max-Forwards: 256\r\n"), 400);
  EXPECT_EQ(answer(ok + "Expires: 4294967296\r\n"), 400);
  EXPECT_EQ(answer(ok + "Call-ID: d\r\n"), 400);
  EXPECT_EQ(answer("Via: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
                   "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n"),
            0);  // no branch: RFC 2543 matching
  EXPECT_EQ(answer("Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
                   "To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"),
            400);  // CSeq method
  EXPECT_EQ(answer("Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\nTo: <sip:a@b>\r\nCall-ID: c\r\n"
                   "CSeq: 1 OPTIONS\r\n"),
            400);  // no From
  EXPECT_EQ(answer(ok + "Contact: <sip:a@h>, <sip:b@h>;expires=60\r\n"), 0);
  EXPECT_EQ(answer(ok + "Contact: *\r\n"), 0);
  EXPECT_EQ(answer(ok + "Contact: <sip:a@h\r\n"), 400);                        // the first
  EXPECT_EQ(answer(ok + "Contact: <sip:a@h>, <sip:b@h>;expires=x\r\n"), 400);  // a later one
}

TEST(UriTest, ReadsSipUris) {
  auto u = parseUri("sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=hi");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->scheme, "sips");
  EXPECT_EQ(u->user, "alice");
  EXPECT_EQ(u->password, "secret");
  EXPECT_EQ(u->host, "[2001:db8::1]");
  EXPECT_EQ(u->port, 5061);
  EXPECT_EQ(u->param("transport"), "tcp");
  EXPECT_EQ(u->param("lr"), "");
  EXPECT_FALSE(u->param("maddr"));
  EXPECT_EQ(u->headers, "subject=hi");
}

TEST(UriTest, OtherSchemesAreOpaque) {
  auto u = parseUri("tel:+86-10-1234-5678");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->isSip());
  EXPECT_EQ(u->opaque, "+86-10-1234-5678");
}

TEST(UriTest, MalformedUrisAreRejected) {
  for (auto text :
       {"sip:", "sip:@host", "sip:a@", "sip:a@host:99999", "sip:a@host:5x", "sip:a@[::1",
        "sip:a b@host", "<sip:a@b>", "1sip:a@b", "sip:a@host;;x", "sip:a%4@host", "sip:a@ho_st"}) {
    EXPECT_FALSE(parseUri(text).ok()) << text;
  }
}

TEST(UriTest, EachPartAllowsItsOwnCharacters) {
  // RFC 3261 §25.1: unreserved and escapes everywhere, plus each part's own extra characters.
  for (auto text : {"sip:a-_.!~*'()&=+$,;?/%41@host", "sip:u:p-_.!~*'()&=+$,%4a@host",
                    "sip:a@host;x=[]/:&+$;y", "sip:a@host?h=[]/?:+$=&%20",
                    "sip:a@Ho-st.Example.com", "sip:a@192.0.2.1", "tel:\xe5\x94\xae\xe5\x90\x8e"}) {
    EXPECT_TRUE(parseUri(text).ok()) << text;
  }
  for (auto text : {"sip:a#b@host",    "sip:u:p;x@host",   "sip:u:p?x@host",  "sip:a@host;x=a,b",
                    "sip:a@host;x=a?", "sip:a@host?h=a;b", "sip:a@host?h=%4", "sip:a%zz@host",
                    "sip:a%@host",     "sip:a@ho!st",      "sip:a@ho_st",     "sip:a@b\x7f",
                    "sip:a\"b@c",      "sip:a@b>",         "tel:1\t2",        "sip:a\xe5@b",
                    "sip:u:p\x01@b",   "sip:a@b;x=\xe5",   "sip:a@b;\x01",    "sip:a@b?h=\x7f",
                    "sip:a@b:50\x01",  "sip:a@[::1]\x01",  "sip:a@b c"}) {
    EXPECT_FALSE(parseUri(text).ok()) << text;
  }
}

TEST(UriTest, ComparisonFollowsRfc3261) {
  auto a = parseUri("sip:%61lice@Example.COM;transport=TCP");
  auto b = parseUri("sip:alice@example.com;transport=tcp;lr");
  auto c = parseUri("sip:alice@example.com:5060;transport=tcp");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(sameUri(*a, *b));
  EXPECT_FALSE(sameUri(*a, *c));
}

TEST(NameAddrTest, ReadsTheForms) {
  auto a = parseNameAddr(R"("Wen \"Ping\"" <sip:1049@cc.example.cn;user=phone>;tag=9fx;q=0.5)");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->displayName, R"(Wen \"Ping\")");
  EXPECT_EQ(a->uri.user, "1049");
  EXPECT_EQ(a->uri.param("user"), "phone");
  EXPECT_EQ(a->tag(), "9fx");
  EXPECT_EQ(findParam(a->params, "q"), "0.5");
  auto b = parseNameAddr("sip:1001@127.0.0.1;tag=abc");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->bracketed);
  EXPECT_EQ(b->tag(), "abc");
  EXPECT_TRUE(b->uri.params.empty());
  auto c = parseNameAddr("Agent 1001<sip:1001@h>");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->displayName, "Agent 1001");
}

TEST(NameAddrTest, MalformedAddressesAreRejected) {
  for (auto text : {"\"unclosed <sip:a@b>", "Bell, Alexander <sip:a@b>", "< sip:a@b >", "<sip:a@b",
                    "sip:a@b?x=y", "<sip:a@b>;;", "<sip:a@b>;tag=", ""}) {
    EXPECT_FALSE(parseNameAddr(text).ok()) << text;
  }
}

TEST(ViaTest, ReadsRportAndReceived) {
  auto v = parseVia("SIP/2.0/TCP [2001:db8::9]:5070;branch=z9hG4bK77;rport;received=192.0.2.4");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->transport, "TCP");
  EXPECT_EQ(v->host, "[2001:db8::9]");
  EXPECT_EQ(v->port, 5070);
  EXPECT_EQ(v->branch(), "z9hG4bK77");
  EXPECT_EQ(v->rport(), "");
  EXPECT_EQ(v->received(), "192.0.2.4");
  EXPECT_FALSE(parseVia("SIP/3.0/UDP h").ok());
  EXPECT_FALSE(parseVia("SIP/2.0 UDP h").ok());
  EXPECT_FALSE(parseVia("SIP/2.0/UDP").ok());
  EXPECT_FALSE(parseVia("SIP/2.0/UDP h:70000").ok());
}

TEST(CSeqTest, NumberMustBeBelow2Pow31) {
  EXPECT_EQ(parseCSeq("2147483647 INVITE")->number, 2147483647U);
  EXPECT_FALSE(parseCSeq("2147483648 INVITE").ok());
  EXPECT_FALSE(parseCSeq("1INVITE").ok());
  EXPECT_FALSE(parseCSeq("INVITE").ok());
}

TEST(SplitListTest, CommasInsideQuotesAndBracketsDoNotSplit) {
  auto parts = splitList(R"("a, b" <sip:x@y;p=1,2>, <sip:z@w> ,, sip:q@r)");
  ASSERT_EQ(parts.size(), 3U);
  EXPECT_EQ(parts[0], R"("a, b" <sip:x@y;p=1,2>)");
  EXPECT_EQ(parts[2], "sip:q@r");
}

TEST(FramingTest, FindsWholeMessagesOnAStream) {
  std::string two = kRegister + "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabc";
  auto f = frameStream(two);
  ASSERT_EQ(f.kind, Framing::Kind::kComplete);
  EXPECT_EQ(f.length, kRegister.size());
  auto g = frameStream(std::string_view(two).substr(f.length));
  ASSERT_EQ(g.kind, Framing::Kind::kComplete);
  EXPECT_EQ(g.length, two.size() - kRegister.size());
  EXPECT_EQ(frameStream(std::string_view(two).substr(f.length, 40)).kind, Framing::Kind::kNeedMore);
}

TEST(FramingTest, KeepAlivesAndErrors) {
  auto k = frameStream("\r\n\r\nOPTIONS");
  EXPECT_EQ(k.kind, Framing::Kind::kKeepAlive);
  EXPECT_EQ(k.length, 4U);
  EXPECT_EQ(frameStream("OPTIONS sip:a@b SIP/2.0\r\nl: x\r\n\r\n").kind, Framing::Kind::kError);
  EXPECT_EQ(frameStream("OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\n").kind,
            Framing::Kind::kError);
  EXPECT_EQ(frameStream(std::string(70000, 'a')).kind, Framing::Kind::kError);
  EXPECT_EQ(frameStream("OPTIONS sip:a@b SIP/2.0\r\nl: 100000\r\n\r\n").kind,
            Framing::Kind::kError);
}

}  // namespace
}  // namespace sb::sip

namespace sb::sip {
namespace {

TEST(BuilderTest, ResponsesCopyTheTransactionHeadersAndAddTheToTag) {
  auto request = parseMessage(kRegister);
  ASSERT_TRUE(request.ok());
  auto bytes = responseTo(*request, 200, {}, "srv1").header("Expires", "300").build();
  auto response = parseMessage(bytes);
  ASSERT_TRUE(response.ok()) << bytes;
  EXPECT_EQ(response->statusCode(), 200);
  EXPECT_EQ(response->reasonPhrase(), "OK");
  EXPECT_EQ(response->header(HeaderId::kCallId), "reg-1@127.0.0.1");
  EXPECT_EQ(response->header(HeaderId::kCSeq), "1 REGISTER");
  EXPECT_EQ(parseNameAddr(*response->header(HeaderId::kTo))->tag(), "srv1");
  EXPECT_EQ(response->header(HeaderId::kExpires), "300");
  EXPECT_EQ(response->header(HeaderId::kContentLength), "0");
  EXPECT_TRUE(isWellFormedResponse(*response));
}

TEST(BuilderTest, AnExistingToTagIsKeptAnd100TryingGetsNone) {
  auto request = parseMessage(
      "BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
      "To: <sip:c@d>;tag=theirs\r\nCall-ID: c\r\nCSeq: 2 BYE\r\nl: 0\r\n\r\n");
  ASSERT_TRUE(request.ok());
  auto ok = parseMessage(responseTo(*request, 200, {}, "mine").build());
  EXPECT_EQ(parseNameAddr(*ok->header(HeaderId::kTo))->tag(), "theirs");
  auto trying = parseMessage(responseTo(*parseMessage(kRegister), 100, {}, "mine").build());
  EXPECT_EQ(parseNameAddr(*trying->header(HeaderId::kTo))->tag(), "");
}

TEST(BuilderTest, BodiesGetTypeAndLength) {
  auto bytes = MessageBuilder::request("MESSAGE", "sip:1001@127.0.0.1")
                   .header("Call-ID", "m1")
                   .body("text/plain", "你好")
                   .build();
  auto m = parseMessage(bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->header(HeaderId::kContentType), "text/plain");
  EXPECT_EQ(m->header(HeaderId::kContentLength), "6");
  EXPECT_EQ(m->body(), "你好");
}

TEST(BuilderTest, TopViaIsStampedWithWhereTheRequestCameFrom) {
  EXPECT_EQ(stampTopVia("SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;rport", "203.0.113.7", 41234),
            "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;received=203.0.113.7;rport=41234");
  EXPECT_EQ(stampTopVia("SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1", "203.0.113.7", 5060),
            "SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1;received=203.0.113.7");
  EXPECT_EQ(stampTopVia("SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1", "127.0.0.1", 5062),
            "SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1");
}

TEST(BuilderTest, SerializeReproducesAParsedMessage) {
  auto m = parseMessage(kRegister);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(serialize(*m), kRegister);
}

// The builder's message() against the parser reading what build() wrote: the same parts, or
// the same error.
void expectSameAsParsed(const MessageBuilder& builder, const std::string& what) {
  SCOPED_TRACE(what);
  auto copy = builder;
  auto parsed = parseMessage(copy.build());
  copy = builder;
  auto direct = copy.message();
  ASSERT_EQ(direct.ok(), parsed.ok()) << (parsed.ok() ? direct.error().message : "parse failed");
  if (!parsed.ok()) {
    EXPECT_EQ(direct.error().message, parsed.error().message);
    return;
  }
  const Message& a = *direct;
  const Message& b = *parsed;
  EXPECT_EQ(a.bytes(), b.bytes());
  EXPECT_EQ(a.isRequest(), b.isRequest());
  EXPECT_EQ(a.method(), b.method());
  EXPECT_EQ(a.methodText(), b.methodText());
  EXPECT_EQ(a.requestUri(), b.requestUri());
  EXPECT_EQ(a.version(), b.version());
  EXPECT_EQ(a.statusCode(), b.statusCode());
  EXPECT_EQ(a.reasonPhrase(), b.reasonPhrase());
  EXPECT_EQ(a.body(), b.body());
  ASSERT_EQ(a.headers().size(), b.headers().size());
  for (std::size_t i = 0; i < a.headers().size(); ++i) {
    EXPECT_EQ(a.headers()[i].id, b.headers()[i].id) << i;
    EXPECT_EQ(a.name(a.headers()[i]), b.name(b.headers()[i])) << i;
    EXPECT_EQ(a.value(a.headers()[i]), b.value(b.headers()[i])) << i;
  }
  EXPECT_EQ(a.from().ok(), b.from().ok());
  EXPECT_EQ(a.topVia().ok(), b.topVia().ok());
}

MessageBuilder invite() {
  auto b = MessageBuilder::request("INVITE", "sip:4000@127.0.0.1:5060");
  b.header(HeaderId::kVia, "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1;rport");
  b.header(HeaderId::kFrom, "\"Agent\" <sip:1001@127.0.0.1>;tag=a1");
  b.header(HeaderId::kTo, "<sip:4000@127.0.0.1>");
  b.header(HeaderId::kCallId, "c-1");
  b.header(HeaderId::kCSeq, "1 INVITE");
  return b;
}

TEST(BuilderTest, TheBuiltMessageIsWhatTheParserWouldRead) {
  auto withBody = invite();
  withBody.body("application/sdp", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n");
  expectSameAsParsed(withBody, "a request with a body");
  expectSameAsParsed(invite(), "a request without one");
  expectSameAsParsed(MessageBuilder::response(180), "the standard reason phrase");
  expectSameAsParsed(MessageBuilder::response(200, "Fine Thanks"), "a reason phrase of our own");
  expectSameAsParsed(MessageBuilder::response(499), "an unknown code");

  auto blanks = invite();
  blanks.header("Subject", "  \tspaced out\t ").header("X-Empty", "").header("X-Blank", "   ");
  expectSameAsParsed(blanks, "blanks around values and empty values");
  auto names = invite();
  names.header("f", "<sip:a@b>;tag=2").header("cSeQ", "2 INVITE").header("X-Queue", "售后");
  expectSameAsParsed(names, "compact, oddly cased and unknown names");
}

TEST(BuilderTest, WhatTheParserReadsDifferentlyIsReadBack) {
  const struct {
    std::string_view name;
    std::string_view value;
    std::string_view what;
  } oddHeaders[] = {
      {"Subject", "one\r\n two", "a folded value"},
      {"Subject", "one\rtwo", "a stray carriage return"},
      {"Subject", "one\ntwo", "a bare line feed"},
      {"Bad Name", "x", "a name that is no token"},
      {"", "x", "an empty name"},
      {"Content-Length", "0", "a Content-Length of the caller's, agreeing"},
      {"Content-Length", "5", "a Content-Length of the caller's, conflicting"},
  };
  for (const auto& odd : oddHeaders) {
    auto b = invite();
    b.header(odd.name, odd.value);
    expectSameAsParsed(b, std::string(odd.what));
  }
  expectSameAsParsed(MessageBuilder::request("INVITE", "sip:a b@c"), "a blank in the URI");
  expectSameAsParsed(MessageBuilder::request("INVITE", ""), "an empty URI");
  expectSameAsParsed(MessageBuilder::request("IN VITE", "sip:a@b"), "a method that is no token");
  expectSameAsParsed(MessageBuilder::request("", "sip:a@b"), "no method");
  expectSameAsParsed(MessageBuilder::response(99), "a status below 100");
  expectSameAsParsed(MessageBuilder::response(700), "a status above 699");
  expectSameAsParsed(MessageBuilder::response(200, "O\r\nK"), "a line break in the reason");

  auto many = invite();
  for (int i = 0; i < 130; ++i)
    many.header("X-N", "1");
  expectSameAsParsed(many, "more headers than the parser takes");
  std::string big(70000, 'x');
  auto large = invite();
  large.body("text/plain", big);
  expectSameAsParsed(large, "more bytes than the parser takes");
}

TEST(ReasonPhraseTest, KnownAndUnknownCodes) {
  EXPECT_EQ(reasonPhrase(487), "Request Terminated");
  EXPECT_EQ(reasonPhrase(499), "Unknown");
}

}  // namespace
}  // namespace sb::sip
