#include "sdp/sdp.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "crlf.hpp"

namespace sb::sdp {
namespace {

std::string errorOf(const Result<SessionDescription>& r) {
  return r.ok() ? "<ok>" : r.error().message;
}

const char* const kLinphone = R"(v=0
o=1001 3455 1234 IN IP4 192.168.1.23
s=Talk
c=IN IP4 192.168.1.23
t=0 0
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics
a=record:off
m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100
a=rtpmap:96 opus/48000/2
a=fmtp:96 useinbandfec=1
a=rtpmap:97 speex/16000
a=fmtp:97 vbr=on
a=rtpmap:98 speex/8000
a=fmtp:98 vbr=on
a=fmtp:18 annexb=yes
a=rtpmap:101 telephone-event/48000
a=rtpmap:99 telephone-event/16000
a=rtpmap:100 telephone-event/8000
a=rtcp-fb:* trr-int 1000
a=rtcp-fb:* ccm tmmbr
m=video 9078 RTP/AVP 96 97
a=rtpmap:96 VP8/90000
a=rtpmap:97 H264/90000
a=fmtp:97 profile-level-id=42801F
a=rtcp-fb:96 nack pli
)";

const char* const kBaresip = R"(v=0
o=- 1628785393 3253574930 IN IP4 10.0.0.5
s=-
c=IN IP4 10.0.0.5
t=0 0
m=audio 10466 RTP/AVP 0 8 101
b=AS:128
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=rtcp-rsize
a=ssrc:1904716343 cname:c3a1e4d8-2b9a-4c55-9e2d-0a3d1c1f0e55
a=sendrecv
a=label:1
)";

const char* const kSipp = R"(v=0
o=user1 53655765 2353687637 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
)";

const char* const kFullRfc4566 = R"(v=0
o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5
s=SDP Seminar
i=A Seminar on the session description protocol
u=http://www.example.com/seminars/sdp.pdf
e=j.doe@example.com (Jane Doe)
p=+1 617 555-6011
c=IN IP4 224.2.17.12/127
b=CT:128
t=2873397496 2873404696
r=7d 1h 0 25h
z=2882844526 -1h 2898848070 0
k=prompt
a=recvonly
a=tool:sdr v2.4a6
m=audio 49170 RTP/AVP 0
i=Audio stream
b=AS:64
m=video 51372 RTP/AVP 99
a=rtpmap:99 h263-1998/90000
)";

// A minimal valid description with `media` appended after the session part.
std::string withMedia(std::string_view media) {
  return crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n") + crlf(media);
}

TEST(SdpParseTest, ReadsTheSessionPartOfALinphoneOffer) {
  auto r = parse(crlf(kLinphone));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->origin.username, "1001");
  EXPECT_EQ(r->origin.sessionId, 3455u);
  EXPECT_EQ(r->origin.sessionVersion, 1234u);
  EXPECT_EQ(r->origin.netType, "IN");
  EXPECT_EQ(r->origin.addrType, "IP4");
  EXPECT_EQ(r->origin.address, "192.168.1.23");
  EXPECT_EQ(r->sessionName, "Talk");
  ASSERT_TRUE(r->connection);
  EXPECT_EQ(r->connection->address, "192.168.1.23");
  EXPECT_EQ(r->timing, (Timing{0, 0}));
  ASSERT_EQ(r->attributes.size(), 2u);
  EXPECT_EQ(r->attributes[0].name, "rtcp-xr");
  EXPECT_EQ(r->attributes[0].value,
            "rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics");
  EXPECT_EQ(r->attributes[1], (Attribute{"record", "off"}));
}

TEST(SdpParseTest, ReadsTheAudioAndVideoStreamsOfALinphoneOffer) {
  auto r = parse(crlf(kLinphone));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->media.size(), 2u);
  const auto& audio = r->media[0];
  EXPECT_EQ(audio.media, "audio");
  EXPECT_EQ(audio.port, 7078);
  EXPECT_EQ(audio.protocol, "RTP/AVP");
  EXPECT_EQ(audio.formats,
            (std::vector<std::string>{"96", "97", "98", "0", "8", "18", "101", "99", "100"}));
  ASSERT_EQ(audio.codecs.size(), 9u);
  EXPECT_EQ(audio.codecs[0], (Codec{96, "opus", 48000, 2, "useinbandfec=1"}));
  EXPECT_EQ(audio.codecs[3], (Codec{0, "PCMU", 8000, 1, ""}));
  EXPECT_EQ(audio.codecs[5], (Codec{18, "G729", 8000, 1, "annexb=yes"}));
  EXPECT_EQ(audio.codecs[8], (Codec{100, "telephone-event", 8000, 1, ""}));
  EXPECT_EQ(audio.direction, Direction::kSendRecv);
  ASSERT_EQ(audio.attributes.size(), 2u);
  EXPECT_EQ(audio.attributes[1], (Attribute{"rtcp-fb", "* ccm tmmbr"}));

  const auto& video = r->media[1];
  EXPECT_EQ(video.media, "video");
  EXPECT_EQ(video.port, 9078);
  ASSERT_EQ(video.codecs.size(), 2u);
  EXPECT_EQ(video.codecs[0], (Codec{96, "VP8", 90000, 1, ""}));
  EXPECT_EQ(video.codecs[1], (Codec{97, "H264", 90000, 1, "profile-level-id=42801F"}));
}

TEST(SdpParseTest, StaticPayloadTypesNeedNoRtpmap) {
  auto r = parse(withMedia("m=audio 4000 RTP/AVP 0 3 4 8 9 13 18\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& codecs = r->media[0].codecs;
  ASSERT_EQ(codecs.size(), 7u);
  EXPECT_EQ(codecs[0], (Codec{0, "PCMU", 8000}));
  EXPECT_EQ(codecs[1], (Codec{3, "GSM", 8000}));
  EXPECT_EQ(codecs[2], (Codec{4, "G723", 8000}));
  EXPECT_EQ(codecs[3], (Codec{8, "PCMA", 8000}));
  EXPECT_EQ(codecs[4], (Codec{9, "G722", 8000}));
  EXPECT_EQ(codecs[5], (Codec{13, "CN", 8000}));
  EXPECT_EQ(codecs[6], (Codec{18, "G729", 8000}));
}

TEST(SdpParseTest, StaticTableKnowsRfc3551AndNothingElse) {
  EXPECT_EQ(staticCodec(10), (Codec{10, "L16", 44100, 2}));
  EXPECT_EQ(staticCodec(34), (Codec{34, "H263", 90000}));
  EXPECT_FALSE(staticCodec(2));  // G721, reserved since RFC 3551
  EXPECT_FALSE(staticCodec(19));
  EXPECT_FALSE(staticCodec(96));
}

TEST(SdpParseTest, DynamicPayloadTypeWithoutRtpmapHasNoName) {
  auto r = parse(withMedia("m=audio 4000 RTP/AVP 0 96\na=fmtp:96 mode=30\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->media[0].codecs[1], (Codec{96, "", 0, 1, "mode=30"}));
}

TEST(SdpParseTest, RtpmapCanRenameAStaticPayloadType) {
  auto r = parse(withMedia("m=audio 4000 RTP/AVP 0\na=rtpmap:0 pcmu/8000/1\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->media[0].codecs[0], (Codec{0, "pcmu", 8000, 1}));
}

TEST(SdpParseTest, RtpmapForAnUnlistedPayloadTypeIsKeptAsAnAttribute) {
  auto r =
      parse(withMedia("m=audio 4000 RTP/AVP 0\na=rtpmap:101 telephone-event/8000\n"
                      "a=fmtp:101 0-15\na=fmtp:x y\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& m = r->media[0];
  ASSERT_EQ(m.codecs.size(), 1u);
  ASSERT_EQ(m.attributes.size(), 3u);
  EXPECT_EQ(m.attributes[0], (Attribute{"rtpmap", "101 telephone-event/8000"}));
  EXPECT_EQ(m.attributes[1], (Attribute{"fmtp", "101 0-15"}));
  EXPECT_EQ(m.attributes[2], (Attribute{"fmtp", "x y"}));
}

TEST(SdpParseTest, PayloadTypesAreWrittenCanonicallyAndListedOnce) {
  auto r = parse(withMedia("m=audio 4000 RTP/AVP 008 0 8 00\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->media[0].formats, (std::vector<std::string>{"8", "0"}));
  ASSERT_EQ(r->media[0].codecs.size(), 2u);
  EXPECT_EQ(r->media[0].codecs[0].encodingName, "PCMA");
}

TEST(SdpParseTest, AcceptsBareLfLineEnds) {
  auto lf = parse(kBaresip);
  auto crlfParsed = parse(crlf(kBaresip));
  ASSERT_TRUE(lf.ok()) << lf.error().message;
  ASSERT_TRUE(crlfParsed.ok());
  EXPECT_EQ(*lf, *crlfParsed);
  EXPECT_EQ(lf->media[0].codecs[2], (Codec{101, "telephone-event", 8000, 1, "0-15"}));
}

TEST(SdpParseTest, AcceptsAMissingFinalLineEnd) {
  auto r = parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\nm=audio 1 RTP/AVP 0");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->media[0].formats, (std::vector<std::string>{"0"}));
}

TEST(SdpParseTest, ToleratesBlankLinesTabsAndRunsOfSpaces) {
  auto r = parse(
      "v=0\r\n\r\no=-  1\t2 IN IP4 192.0.2.1 \r\ns=  Call  \r\nc=IN  IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=audio  4000\tRTP/AVP  0   8\r\na=rtpmap:8\tPCMA/8000 \r\na=ptime: 30\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->origin.sessionVersion, 2u);
  EXPECT_EQ(r->origin.address, "192.0.2.1");
  EXPECT_EQ(r->sessionName, "Call");
  EXPECT_EQ(r->media[0].formats, (std::vector<std::string>{"0", "8"}));
  EXPECT_EQ(r->media[0].codecs[1], (Codec{8, "PCMA", 8000}));
  EXPECT_EQ(r->media[0].ptime, 30u);
}

TEST(SdpParseTest, DirectionDefaultsToSendRecv) {
  auto r = parse(crlf(kSipp));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->direction, Direction::kSendRecv);
  EXPECT_EQ(r->media[0].direction, Direction::kSendRecv);
}

TEST(SdpParseTest, SessionDirectionIsTheDefaultOfEveryStream) {
  auto r =
      parse(crlf("v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 h\nt=0 0\na=sendonly\n"
                 "m=audio 4000 RTP/AVP 0\nm=audio 4002 RTP/AVP 0\na=inactive\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->direction, Direction::kSendOnly);
  EXPECT_EQ(r->media[0].direction, Direction::kSendOnly);
  EXPECT_EQ(r->media[1].direction, Direction::kInactive);
  EXPECT_TRUE(r->attributes.empty());
}

TEST(SdpParseTest, MediaDirectionOverridesSessionDirection) {
  for (auto [name, direction] :
       {std::pair{"sendrecv", Direction::kSendRecv}, std::pair{"sendonly", Direction::kSendOnly},
        std::pair{"recvonly", Direction::kRecvOnly}, std::pair{"inactive", Direction::kInactive}}) {
    auto r = parse(crlf("v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 h\nt=0 0\na=recvonly\n"
                        "m=audio 4000 RTP/AVP 0\na=") +
                   name + "\r\n");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->media[0].direction, direction) << name;
    EXPECT_TRUE(r->media[0].attributes.empty()) << name;
  }
}

TEST(SdpParseTest, ReadsPtimeAndRtcp) {
  auto r =
      parse(withMedia("m=audio 4000 RTP/AVP 0\na=ptime:20\na=maxptime:150\na=rtcp:4005\n"
                      "m=audio 5000 RTP/AVP 0\na=rtcp:53020 IN IP6 2001:db8::7\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->media[0].ptime, 20u);
  ASSERT_TRUE(r->media[0].rtcp);
  EXPECT_EQ(r->media[0].rtcp->port, 4005);
  EXPECT_FALSE(r->media[0].rtcp->connection);
  EXPECT_EQ(r->media[0].attributes, (std::vector<Attribute>{{"maxptime", "150"}}));
  EXPECT_FALSE(r->media[1].ptime);
  ASSERT_TRUE(r->media[1].rtcp);
  EXPECT_EQ(r->media[1].rtcp->port, 53020);
  EXPECT_EQ(r->media[1].rtcp->connection, (Connection{"IN", "IP6", "2001:db8::7"}));
}

TEST(SdpParseTest, ReadsAnIpv6Connection) {
  auto r =
      parse(crlf("v=0\no=alice 2890844526 2890844526 IN IP6 2001:db8::a1\ns=-\n"
                 "c=IN IP6 2001:db8::a1\nt=0 0\nm=audio 49170 RTP/AVP 0\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->origin.addrType, "IP6");
  EXPECT_EQ(r->connection, (Connection{"IN", "IP6", "2001:db8::a1"}));
}

TEST(SdpParseTest, MediaLevelConnectionsAreEnoughAndWin) {
  auto r =
      parse(crlf("v=0\no=- 1 1 IN IP4 172.16.0.44\ns=-\nt=0 0\n"
                 "m=audio 11780 RTP/AVP 0\nc=IN IP4 172.16.0.44\n"
                 "m=video 11782 RTP/AVP 99\nc=IN IP4 172.16.0.45\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->connection);
  ASSERT_NE(r->connectionFor(r->media[1]), nullptr);
  EXPECT_EQ(r->connectionFor(r->media[1])->address, "172.16.0.45");

  auto both = parse(withMedia("m=audio 1 RTP/AVP 0\nc=IN IP4 198.51.100.1\nm=audio 2 RTP/AVP 0\n"));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->connectionFor(both->media[0])->address, "198.51.100.1");
  EXPECT_EQ(both->connectionFor(both->media[1])->address, "192.0.2.1");
}

TEST(SdpParseTest, ZeroAddressMeansHold) {
  EXPECT_TRUE(isHoldAddress(Connection{"IN", "IP4", "0.0.0.0"}));
  EXPECT_TRUE(isHoldAddress(Connection{"IN", "IP6", "::"}));
  EXPECT_FALSE(isHoldAddress(Connection{"IN", "IP4", "10.0.0.0"}));
}

TEST(SdpParseTest, ReadsAPortCount) {
  auto r = parse(withMedia("m=video 49170/2 RTP/AVP 31\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->media[0].port, 49170);
  EXPECT_EQ(r->media[0].portCount, 2);
}

TEST(SdpParseTest, NonRtpStreamsKeepTheirFormatsAndHaveNoCodecs) {
  auto r =
      parse(withMedia("m=image 16384 udptl t38\na=T38FaxVersion:0\na=rtpmap:99 x/1\n"
                      "m=application 50000 TCP/BFCP *\na=floorctrl:s-only\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->media[0].formats, (std::vector<std::string>{"t38"}));
  EXPECT_TRUE(r->media[0].codecs.empty());
  EXPECT_EQ(r->media[0].attributes,
            (std::vector<Attribute>{{"T38FaxVersion", "0"}, {"rtpmap", "99 x/1"}}));
  EXPECT_EQ(r->media[1].formats, (std::vector<std::string>{"*"}));
}

TEST(SdpParseTest, RecognisesRtpProtocols) {
  EXPECT_TRUE(isRtpProtocol("RTP/AVP"));
  EXPECT_TRUE(isRtpProtocol("RTP/SAVP"));
  EXPECT_TRUE(isRtpProtocol("UDP/TLS/RTP/SAVPF"));
  EXPECT_TRUE(isRtpProtocol("rtp/avp"));
  EXPECT_FALSE(isRtpProtocol("udptl"));
  EXPECT_FALSE(isRtpProtocol("TCP/BFCP"));
}

TEST(SdpParseTest, KeepsOtherLinesInTheCanonicalOrder) {
  auto r = parse(crlf(kFullRfc4566));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->timing, (Timing{2873397496u, 2873404696u}));
  EXPECT_EQ(r->connection, (Connection{"IN", "IP4", "224.2.17.12/127"}));
  EXPECT_EQ(r->direction, Direction::kRecvOnly);
  EXPECT_EQ(r->media[0].direction, Direction::kRecvOnly);
  EXPECT_EQ(r->otherLines, (std::vector<Line>{
                               {'i', "A Seminar on the session description protocol"},
                               {'u', "http://www.example.com/seminars/sdp.pdf"},
                               {'e', "j.doe@example.com (Jane Doe)"},
                               {'p', "+1 617 555-6011"},
                               {'b', "CT:128"},
                               {'r', "7d 1h 0 25h"},
                               {'z', "2882844526 -1h 2898848070 0"},
                               {'k', "prompt"},
                           }));
  EXPECT_EQ(r->media[0].otherLines, (std::vector<Line>{{'i', "Audio stream"}, {'b', "AS:64"}}));
}

TEST(SdpParseTest, SortsOtherLinesWrittenOutOfOrder) {
  auto r =
      parse(crlf("v=0\no=- 1 1 IN IP4 h\ns=-\nb=AS:1\ni=info\nc=IN IP4 h\nt=0 0\n"
                 "m=audio 1 RTP/AVP 0\nb=AS:64\ni=title\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->otherLines, (std::vector<Line>{{'i', "info"}, {'b', "AS:1"}}));
  EXPECT_EQ(r->media[0].otherLines, (std::vector<Line>{{'i', "title"}, {'b', "AS:64"}}));
}

TEST(SdpParseTest, SecondTimingAndConnectionLinesAreKept) {
  auto r =
      parse(crlf("v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 h\nc=IN IP4 g\nt=1 2\nt=3 4\n"
                 "m=audio 1 RTP/AVP 0\nc=IN IP4 a\nc=IN IP4 b\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->timing, (Timing{1, 2}));
  EXPECT_EQ(r->connection->address, "h");
  EXPECT_EQ(r->otherLines, (std::vector<Line>{{'c', "IN IP4 g"}, {'t', "3 4"}}));
  EXPECT_EQ(r->media[0].connection->address, "a");
  EXPECT_EQ(r->media[0].otherLines, (std::vector<Line>{{'c', "IN IP4 b"}}));
}

TEST(SdpParseTest, SkipsUnknownAndMalformedLines) {
  auto r =
      parse(crlf("v=0\no=- 1 1 IN IP4 h\ns=-\nx=extension\nnot a line\nc=IN IP4 h\n"
                 "t=0 0\nm=audio 1 RTP/AVP 0\nt=0 0\nu=http://x\nab=c\n=\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->otherLines.empty());
  EXPECT_TRUE(r->media[0].otherLines.empty());
  EXPECT_TRUE(r->media[0].attributes.empty());
}

TEST(SdpParseTest, KeepsUnknownAttributesInOrder) {
  auto r = parse(withMedia("m=audio 1 RTP/AVP 0\na=zeta\na=alpha:1\na=ssrc:1 cname:x\na=:odd\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(
      r->media[0].attributes,
      (std::vector<Attribute>{{"zeta", ""}, {"alpha", "1"}, {"ssrc", "1 cname:x"}, {"", "odd"}}));
}

TEST(SdpParseTest, AttributeNamesWeKnowMatchInAnyCase) {
  auto r =
      parse(withMedia("m=audio 1 RTP/AVP 96\na=RTPMAP:96 opus/48000/2\na=SendOnly\n"
                      "a=PTIME:40\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->media[0].codecs[0].encodingName, "opus");
  EXPECT_EQ(r->media[0].direction, Direction::kSendOnly);
  EXPECT_EQ(r->media[0].ptime, 40u);
}

TEST(SdpParseTest, AnEmptySessionNameIsRead) {
  auto r = parse(crlf("v=0\no=- 1 1 IN IP4 h\ns= \nc=IN IP4 h\nt=0 0\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sessionName, "");
  EXPECT_TRUE(r->media.empty());
}

TEST(SdpParseTest, ReadsTheLargestNumbers) {
  auto r =
      parse(crlf("v=0\no=- 18446744073709551615 18446744073709551615 IN IP4 h\ns=-\n"
                 "c=IN IP4 h\nt=18446744073709551615 0\nm=audio 65535/65535 RTP/AVP 127\n"
                 "a=rtpmap:127 x/4294967295/65535\na=ptime:4294967295\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->origin.sessionId, 18446744073709551615u);
  EXPECT_EQ(r->timing.start, 18446744073709551615u);
  EXPECT_EQ(r->media[0].port, 65535);
  EXPECT_EQ(r->media[0].portCount, 65535);
  EXPECT_EQ(r->media[0].codecs[0], (Codec{127, "x", 4294967295u, 65535}));
  EXPECT_EQ(r->media[0].ptime, 4294967295u);
}

// --- errors: each names what is wrong and, where there is one, the line -------------------

TEST(SdpParseErrorTest, EmptyInputIsAnError) {
  EXPECT_EQ(errorOf(parse("")), "an SDP must start with v=0");
  EXPECT_EQ(errorOf(parse("\r\n\r\n")), "an SDP must start with v=0");
}

TEST(SdpParseErrorTest, MustStartWithVersionZero) {
  EXPECT_EQ(errorOf(parse("v=1\r\n")), "line 1: an SDP must start with v=0");
  EXPECT_EQ(errorOf(parse("o=- 1 1 IN IP4 h\r\nv=0\r\n")), "line 1: an SDP must start with v=0");
  EXPECT_EQ(errorOf(parse("hello\r\n")), "line 1: an SDP must start with v=0");
}

TEST(SdpParseErrorTest, ErrorsCarryTheSdpFieldAndInvalidArgument) {
  auto r = parse("v=1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().field, "sdp");
}

TEST(SdpParseErrorTest, MissingOriginNameOrTimingIsAnError) {
  EXPECT_EQ(errorOf(parse("v=0\ns=-\nc=IN IP4 h\nt=0 0\n")), "the o= line is missing");
  EXPECT_EQ(errorOf(parse("v=0\no=- 1 1 IN IP4 h\nc=IN IP4 h\nt=0 0\n")), "the s= line is missing");
  EXPECT_EQ(errorOf(parse("v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 h\n")), "the t= line is missing");
}

TEST(SdpParseErrorTest, RepeatedVersionOriginOrNameIsAnError) {
  EXPECT_EQ(errorOf(parse("v=0\nv=0\n")), "line 2: a second v= line");
  EXPECT_EQ(errorOf(parse("v=0\no=- 1 1 IN IP4 h\no=- 1 1 IN IP4 h\n")),
            "line 3: a second o= line");
  EXPECT_EQ(errorOf(parse("v=0\no=- 1 1 IN IP4 h\ns=a\ns=b\n")), "line 4: a second s= line");
}

TEST(SdpParseErrorTest, MalformedOriginIsAnError) {
  EXPECT_EQ(errorOf(parse("v=0\no=- 1 1 IN IP4\n")),
            "line 2: o= must be <username> <session id> <version> <network type> <address type> "
            "<address>");
  EXPECT_EQ(errorOf(parse("v=0\no=- abc 1 IN IP4 h\n")),
            "line 2: o= session id must be a number of at most 64 bits");
  EXPECT_EQ(errorOf(parse("v=0\no=- 1 -1 IN IP4 h\n")),
            "line 2: o= session version must be a number of at most 64 bits");
}

TEST(SdpParseErrorTest, NumbersThatOverflowAreErrors) {
  EXPECT_EQ(errorOf(parse("v=0\no=- 18446744073709551616 1 IN IP4 h\n")),
            "line 2: o= session id must be a number of at most 64 bits");
  EXPECT_EQ(errorOf(parse("v=0\no=- 1 1 IN IP4 h\ns=-\nt=18446744073709551616 0\n")),
            "line 4: t= times must be numbers of at most 64 bits");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 65536 RTP/AVP 0\n"))),
            "line 6: m= port must be a number 0-65535");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1/65536 RTP/AVP 0\n"))),
            "line 6: m= port count must be a number 1-65535");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 96\na=rtpmap:96 x/4294967296\n"))),
            "line 7: a=rtpmap clock rate must be a number 1-4294967295");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 96\na=rtpmap:96 x/8000/65536\n"))),
            "line 7: a=rtpmap channels must be a number 1-65535");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 0\na=ptime:4294967296\n"))),
            "line 7: a=ptime must be a number of milliseconds 1-4294967295");
}

TEST(SdpParseErrorTest, MalformedTimingIsAnError) {
  EXPECT_EQ(errorOf(parse("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0\n")),
            "line 4: t= must be <start time> <stop time>");
  EXPECT_EQ(errorOf(parse("v=0\no=- 1 1 IN IP4 h\ns=-\nt=now never\n")),
            "line 4: t= times must be numbers of at most 64 bits");
}

TEST(SdpParseErrorTest, MalformedConnectionIsAnError) {
  EXPECT_EQ(errorOf(parse("v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4\n")),
            "line 4: c= must be <network type> <address type> <address>");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 0\nc=IN IP4 a b\n"))),
            "line 7: c= must be <network type> <address type> <address>");
}

TEST(SdpParseErrorTest, MissingConnectionNamesTheMediaLine) {
  EXPECT_EQ(errorOf(parse(crlf("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\n"
                               "c=IN IP4 h\nm=video 2 RTP/AVP 31\na=sendrecv\n"))),
            "line 7: m= has no c= line and there is no session-level c= line");
}

TEST(SdpParseErrorTest, MalformedMediaLineIsAnError) {
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 4000 RTP/AVP\n"))),
            "line 6: m= must be <media> <port> <protocol> <format>...");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio\n"))),
            "line 6: m= must be <media> <port> <protocol> <format>...");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio -1 RTP/AVP 0\n"))),
            "line 6: m= port must be a number 0-65535");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio x RTP/AVP 0\n"))),
            "line 6: m= port must be a number 0-65535");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio +4000 RTP/AVP 0\n"))),
            "line 6: m= port must be a number 0-65535");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 4000/0 RTP/AVP 0\n"))),
            "line 6: m= port count must be a number 1-65535");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 4000/ RTP/AVP 0\n"))),
            "line 6: m= port count must be a number 1-65535");
}

TEST(SdpParseErrorTest, RtpFormatsMustBePayloadTypes) {
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 4000 RTP/AVP 0 128\n"))),
            "line 6: m= format 2 must be an RTP payload type 0-127");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 4000 RTP/AVP PCMU\n"))),
            "line 6: m= format 1 must be an RTP payload type 0-127");
}

TEST(SdpParseErrorTest, RtpmapPayloadTypeMustBe0To127) {
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 0\na=rtpmap:128 x/8000\n"))),
            "line 7: a=rtpmap payload type must be a number 0-127");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 0\na=rtpmap:\n"))),
            "line 7: a=rtpmap payload type must be a number 0-127");
}

TEST(SdpParseErrorTest, MalformedRtpmapIsAnError) {
  const std::string shape =
      "line 7: a=rtpmap must be <payload type> <encoding name>/<clock rate>[/<channels>]";
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 96\na=rtpmap:96\n"))), shape);
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 96\na=rtpmap:96 opus\n"))), shape);
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 96\na=rtpmap:96 /8000\n"))), shape);
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 96\na=rtpmap:96 op us/8000\n"))), shape);
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 96\na=rtpmap:96 opus/0\n"))),
            "line 7: a=rtpmap clock rate must be a number 1-4294967295");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 96\na=rtpmap:96 opus/48000/0\n"))),
            "line 7: a=rtpmap channels must be a number 1-65535");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 96\na=rtpmap:96 opus/48000/2/1\n"))),
            "line 7: a=rtpmap channels must be a number 1-65535");
}

TEST(SdpParseErrorTest, SecondRtpmapOrFmtpForAPayloadTypeIsAnError) {
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"
                                    "a=rtpmap:0 PCMA/8000\n"))),
            "line 8: a second a=rtpmap for payload type 0");
  EXPECT_EQ(errorOf(parse(withMedia("m=audio 1 RTP/AVP 101\na=fmtp:101 0-15\na=fmtp:101 0-16\n"))),
            "line 8: a second a=fmtp for payload type 101");
}

TEST(SdpParseErrorTest, BadPtimeIsAnError) {
  for (auto value : {"", "0", "20.5", "-20", "twenty"}) {
    EXPECT_EQ(
        errorOf(parse(withMedia(std::string("m=audio 1 RTP/AVP 0\na=ptime:") + value + "\n"))),
        "line 7: a=ptime must be a number of milliseconds 1-4294967295")
        << value;
  }
}

TEST(SdpParseErrorTest, BadRtcpIsAnError) {
  const std::string message =
      "line 7: a=rtcp must be <port> [<network type> <address type> <address>]";
  for (auto value : {"", "65536", "x", "5000 IN IP4", "5000 IN IP4 a b"}) {
    EXPECT_EQ(errorOf(parse(withMedia(std::string("m=audio 1 RTP/AVP 0\na=rtcp:") + value + "\n"))),
              message)
        << value;
  }
}

TEST(SdpParseErrorTest, AtMost64MediaSections) {
  std::string media;
  for (int i = 0; i < 64; ++i)
    media += "m=audio 0 RTP/AVP 0\n";
  auto ok = parse(withMedia(media));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->media.size(), 64u);
  EXPECT_EQ(errorOf(parse(withMedia(media + "m=audio 0 RTP/AVP 0\n"))),
            "line 70: more than 64 m= lines");
}

TEST(SdpParseErrorTest, AtMost256Formats) {
  std::string formats;
  for (int i = 0; i < 256; ++i)
    formats += " t" + std::to_string(i);
  auto ok = parse(withMedia("m=application 9 TCP/X" + formats + "\n"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->media[0].formats.size(), 256u);
  EXPECT_EQ(errorOf(parse(withMedia("m=application 9 TCP/X" + formats + " x\n"))),
            "line 6: m= lists more than 256 formats");
}

TEST(SdpParseErrorTest, InputOver64KiBIsRejected) {
  std::string text = withMedia("m=audio 1 RTP/AVP 0\n");
  std::string padded = text + std::string(kMaxSdpBytes - text.size(), '\n');
  ASSERT_EQ(padded.size(), kMaxSdpBytes);
  EXPECT_TRUE(parse(padded).ok());
  EXPECT_EQ(errorOf(parse(padded + "\n")), "SDP of 65537 bytes is larger than 65536 bytes");
}

// --- serialize and the round trip --------------------------------------------------------

TEST(SdpSerializeTest, WritesCrlfInTheCanonicalOrder) {
  SessionDescription sd;
  sd.origin = {"-", 42, 7, "IN", "IP4", "192.0.2.1"};
  sd.sessionName = "call";
  sd.connection = Connection{"IN", "IP4", "192.0.2.1"};
  sd.otherLines = {{'b', "AS:80"}, {'i', "info"}};
  sd.attributes = {{"tool", "switchboard"}};
  MediaDescription m;
  m.media = "audio";
  m.port = 20000;
  m.setCodecs({Codec{8, "PCMA", 8000}, Codec{101, "telephone-event", 8000, 1, "0-16"}});
  m.direction = Direction::kRecvOnly;
  m.ptime = 20;
  m.rtcp = Rtcp{20001, std::nullopt};
  m.attributes = {{"maxptime", "40"}};
  sd.media.push_back(m);
  EXPECT_EQ(serialize(sd),
            "v=0\r\n"
            "o=- 42 7 IN IP4 192.0.2.1\r\n"
            "s=call\r\n"
            "i=info\r\n"
            "c=IN IP4 192.0.2.1\r\n"
            "b=AS:80\r\n"
            "t=0 0\r\n"
            "a=tool:switchboard\r\n"
            "m=audio 20000 RTP/AVP 8 101\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=ptime:20\r\n"
            "a=rtcp:20001\r\n"
            "a=maxptime:40\r\n"
            "a=recvonly\r\n");
}

TEST(SdpSerializeTest, WritesSessionDirectionPortCountAndChannelsOnlyWhenNotDefault) {
  auto r =
      parse(withMedia("a=inactive\nm=audio 1/2 RTP/AVP 96 97\na=rtpmap:96 opus/48000/2\n"
                      "a=rtpmap:97 L16/8000/1\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto text = serialize(*r);
  EXPECT_NE(text.find("t=0 0\r\na=inactive\r\nm=audio 1/2 RTP/AVP 96 97\r\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("a=rtpmap:96 opus/48000/2\r\na=rtpmap:97 L16/8000\r\n"), std::string::npos)
      << text;
}

TEST(SdpSerializeTest, WritesASpaceForAnEmptySessionName) {
  SessionDescription sd;
  sd.origin.address = "h";
  sd.sessionName = "";
  sd.connection = Connection{"IN", "IP4", "h"};
  EXPECT_EQ(serialize(sd), "v=0\r\no=- 0 0 IN IP4 h\r\ns= \r\nc=IN IP4 h\r\nt=0 0\r\n");
}

TEST(SdpRoundTripTest, ParseSerializeParseGivesTheSameModel) {
  const std::string offers[] = {
      crlf(kLinphone),
      crlf(kBaresip),
      kSipp,
      crlf(kFullRfc4566),
      withMedia("m=image 16384 udptl t38\na=T38FaxVersion:0\nm=audio 0 RTP/AVP 0\n"),
      withMedia("m=audio 1 RTP/AVP 0 96\na=rtpmap:101 telephone-event/8000\na=fmtp:96 x\n"),
      withMedia("m=audio 4000 RTP/AVP 0\na=ptime:20\na=rtcp:4005\n"
                "m=audio 5000 RTP/AVP 0\na=rtcp:53020 IN IP6 2001:db8::7\n"),
      crlf("v=0\no=- 1 1 IN IP4 h\ns=\nb=AS:1\ni=x\nc=IN IP4 h\nc=IN IP4 g\nt=1 2\nr=1 2 3\n"
           "t=3 4\nz=1 -1h\nk=clear:x\na=sendonly\nm=audio 1/2 RTP/AVP 0\nc=IN IP4 a\n"
           "c=IN IP4 b\nk=prompt\ni=t\na=recvonly\na=x:\n"),
  };
  for (const auto& offer : offers) {
    auto first = parse(offer);
    ASSERT_TRUE(first.ok()) << first.error().message << "\n" << offer;
    auto text = serialize(*first);
    auto second = parse(text);
    ASSERT_TRUE(second.ok()) << second.error().message << "\n" << text;
    EXPECT_EQ(*second, *first) << offer << "\n---\n" << text;
    EXPECT_EQ(serialize(*second), text);
  }
}

TEST(SdpRoundTripTest, SerializeKeepsWhatMattersOfAPhonesOffer) {
  auto r = parse(crlf(kBaresip));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(serialize(*r),
            "v=0\r\n"
            "o=- 1628785393 3253574930 IN IP4 10.0.0.5\r\n"
            "s=-\r\n"
            "c=IN IP4 10.0.0.5\r\n"
            "t=0 0\r\n"
            "m=audio 10466 RTP/AVP 0 8 101\r\n"
            "b=AS:128\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\n"
            "a=rtcp-rsize\r\n"
            "a=ssrc:1904716343 cname:c3a1e4d8-2b9a-4c55-9e2d-0a3d1c1f0e55\r\n"
            "a=label:1\r\n"
            "a=sendrecv\r\n");
}

TEST(SdpDirectionTest, MirrorSwapsSendAndReceive) {
  EXPECT_EQ(mirror(Direction::kSendOnly), Direction::kRecvOnly);
  EXPECT_EQ(mirror(Direction::kRecvOnly), Direction::kSendOnly);
  EXPECT_EQ(mirror(Direction::kSendRecv), Direction::kSendRecv);
  EXPECT_EQ(mirror(Direction::kInactive), Direction::kInactive);
  EXPECT_EQ(directionFrom(true, false), Direction::kSendOnly);
  EXPECT_EQ(directionName(Direction::kInactive), "inactive");
}

}  // namespace
}  // namespace sb::sdp
