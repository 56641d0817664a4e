#include "sdp/offer_answer.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "crlf.hpp"

namespace sb::sdp {
namespace {

SessionDescription parsed(std::string_view text) {
  auto r = parse(crlf(text));
  EXPECT_TRUE(r.ok()) << r.error().message << "\n" << text;
  return r.ok() ? r.value() : SessionDescription{};
}

LocalMedia ours(std::string address = "192.0.2.10", std::uint16_t port = 20000) {
  LocalMedia local;
  local.address = std::move(address);
  local.port = port;
  return local;
}

std::vector<std::string> formatsOf(const MediaDescription& m) {
  return m.formats;
}

const char* const kLinphone = R"(v=0
o=1001 3455 1234 IN IP4 192.168.1.23
s=Talk
c=IN IP4 192.168.1.23
t=0 0
m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100
a=rtpmap:96 opus/48000/2
a=fmtp:96 useinbandfec=1
a=rtpmap:97 speex/16000
a=rtpmap:98 speex/8000
a=fmtp:18 annexb=yes
a=rtpmap:101 telephone-event/48000
a=rtpmap:99 telephone-event/16000
a=rtpmap:100 telephone-event/8000
m=video 9078 RTP/AVP 96 97
a=rtpmap:96 VP8/90000
a=rtpmap:97 H264/90000
a=fmtp:97 profile-level-id=42801F
)";

// An Asterisk re-INVITE putting us on hold.
const char* const kAsteriskHold = R"(v=0
o=root 1795234712 1795234713 IN IP4 192.168.10.2
s=Asterisk PBX 18.10.0
c=IN IP4 192.168.10.2
t=0 0
m=audio 13574 RTP/AVP 8 0 101
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendonly
)";

std::string audioOffer(std::string_view mline, std::string_view extra = "",
                       std::string_view address = "IN IP4 198.51.100.7") {
  return "v=0\no=- 1 1 " + std::string(address) + "\ns=-\nc=" + std::string(address) + "\nt=0 0\n" +
         std::string(mline) + "\n" + std::string(extra);
}

// --- makeOffer ---------------------------------------------------------------------------

TEST(MakeOfferTest, OffersTheSupportedCodecsAndTelephoneEvent) {
  auto offer = makeOffer(ours(), Direction::kSendRecv, 1234, 1);
  EXPECT_EQ(serialize(offer),
            "v=0\r\n"
            "o=- 1234 1 IN IP4 192.0.2.10\r\n"
            "s=-\r\n"
            "c=IN IP4 192.0.2.10\r\n"
            "t=0 0\r\n"
            "m=audio 20000 RTP/AVP 0 8 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n");
}

TEST(MakeOfferTest, HoldOfferIsSendOnlyAndKeepsTheRealAddress) {
  auto offer = makeOffer(ours(), Direction::kSendOnly, 1234, 2);
  EXPECT_EQ(offer.origin.sessionVersion, 2u);
  EXPECT_EQ(offer.connection->address, "192.0.2.10");
  EXPECT_EQ(offer.media[0].direction, Direction::kSendOnly);
}

TEST(MakeOfferTest, Ipv6AddressMakesAnIp6Offer) {
  auto offer = makeOffer(ours("2001:db8::10"), Direction::kSendRecv, 1, 1);
  EXPECT_EQ(offer.origin.addrType, "IP6");
  EXPECT_EQ(offer.connection, (Connection{"IN", "IP6", "2001:db8::10"}));
}

TEST(MakeOfferTest, LeavesOutTelephoneEventWhenDisabled) {
  auto local = ours();
  local.telephoneEvent = false;
  local.ptime.reset();
  auto offer = makeOffer(local, Direction::kSendRecv, 1, 1);
  EXPECT_EQ(formatsOf(offer.media[0]), (std::vector<std::string>{"0", "8"}));
  EXPECT_FALSE(offer.media[0].ptime);
}

TEST(MakeOfferTest, TelephoneEventMovesOffAPayloadTypeACodecTakes) {
  auto local = ours();
  local.supported.push_back(Codec{101, "opus", 48000, 2});
  local.supported.push_back(Codec{96, "iLBC", 8000, 1, "mode=30"});
  auto offer = makeOffer(local, Direction::kSendRecv, 1, 1);
  EXPECT_EQ(formatsOf(offer.media[0]), (std::vector<std::string>{"0", "8", "101", "96", "97"}));
  EXPECT_EQ(offer.media[0].codecs[4], (Codec{97, "telephone-event", 8000, 1, "0-16"}));
}

TEST(MakeOfferTest, OfferRoundTripsThroughTheParser) {
  auto offer = makeOffer(ours("2001:db8::10"), Direction::kInactive, 99, 3);
  auto again = parse(serialize(offer));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, offer);
}

// --- makeAnswer --------------------------------------------------------------------------

TEST(MakeAnswerTest, AnswersALinphoneOfferWithPcmuPcmaAndItsTelephoneEvent) {
  auto answer = makeAnswer(parsed(kLinphone), ours(), 555, 1);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(serialize(*answer),
            "v=0\r\n"
            "o=- 555 1 IN IP4 192.0.2.10\r\n"
            "s=-\r\n"
            "c=IN IP4 192.0.2.10\r\n"
            "t=0 0\r\n"
            "m=audio 20000 RTP/AVP 0 8 100\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:100 telephone-event/8000\r\n"
            "a=fmtp:100 0-16\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n"
            "m=video 0 RTP/AVP 96 97\r\n"
            "a=rtpmap:96 VP8/90000\r\n"
            "a=rtpmap:97 H264/90000\r\n"
            "a=inactive\r\n");
}

TEST(MakeAnswerTest, PicksCommonCodecsInTheOfferersOrder) {
  // We prefer PCMU; the offerer prefers PCMA, and the answer follows the offerer.
  auto answer = makeAnswer(parsed(audioOffer("m=audio 4000 RTP/AVP 18 8 3 0")), ours(), 1, 1);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(formatsOf(answer->media[0]), (std::vector<std::string>{"8", "0"}));
  EXPECT_EQ(answer->media[0].codecs[0].encodingName, "PCMA");
}

TEST(MakeAnswerTest, KeepsTheOfferersDynamicPayloadTypes) {
  auto local = ours();
  local.supported.push_back(Codec{97, "opus", 48000, 2, "useinbandfec=1"});
  auto answer = makeAnswer(parsed(audioOffer("m=audio 4000 RTP/AVP 111 0 96",
                                             "a=rtpmap:111 OPUS/48000/2\n"
                                             "a=rtpmap:96 telephone-event/8000\n")),
                           local, 1, 1);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_EQ(answer->media[0].codecs.size(), 3u);
  EXPECT_EQ(answer->media[0].codecs[0], (Codec{111, "opus", 48000, 2, "useinbandfec=1"}));
  EXPECT_EQ(answer->media[0].codecs[1], (Codec{0, "PCMU", 8000}));
  EXPECT_EQ(answer->media[0].codecs[2], (Codec{96, "telephone-event", 8000, 1, "0-16"}));
}

TEST(MakeAnswerTest, MatchesEncodingNamesInAnyCase) {
  auto answer = makeAnswer(parsed(audioOffer("m=audio 4000 RTP/AVP 8 101",
                                             "a=rtpmap:8 pcma/8000\n"
                                             "a=rtpmap:101 Telephone-Event/8000\n")),
                           ours(), 1, 1);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(formatsOf(answer->media[0]), (std::vector<std::string>{"8", "101"}));
}

TEST(MakeAnswerTest, TelephoneEventOnlyWhenOfferedAndEnabled) {
  auto plain = makeAnswer(parsed(audioOffer("m=audio 4000 RTP/AVP 0")), ours(), 1, 1);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(formatsOf(plain->media[0]), (std::vector<std::string>{"0"}));

  auto local = ours();
  local.telephoneEvent = false;
  auto disabled = makeAnswer(
      parsed(audioOffer("m=audio 4000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000\n")),
      local, 1, 1);
  ASSERT_TRUE(disabled.ok());
  EXPECT_EQ(formatsOf(disabled->media[0]), (std::vector<std::string>{"0"}));
}

TEST(MakeAnswerTest, TelephoneEventAtOtherClockRatesIsNotTaken) {
  auto answer = makeAnswer(parsed(audioOffer("m=audio 4000 RTP/AVP 0 101 110",
                                             "a=rtpmap:101 telephone-event/48000\n"
                                             "a=rtpmap:110 telephone-event/16000\n")),
                           ours(), 1, 1);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(formatsOf(answer->media[0]), (std::vector<std::string>{"0"}));
}

TEST(MakeAnswerTest, MirrorsTheOfferedDirection) {
  const std::pair<const char*, Direction> cases[] = {
      {"a=sendrecv\n", Direction::kSendRecv},
      {"a=sendonly\n", Direction::kRecvOnly},
      {"a=recvonly\n", Direction::kSendOnly},
      {"a=inactive\n", Direction::kInactive},
      {"", Direction::kSendRecv},
  };
  for (const auto& [attribute, expected] : cases) {
    auto answer = makeAnswer(parsed(audioOffer("m=audio 4000 RTP/AVP 0", attribute)), ours(), 1, 1);
    ASSERT_TRUE(answer.ok()) << attribute;
    EXPECT_EQ(answer->media[0].direction, expected) << attribute;
  }
}

TEST(MakeAnswerTest, AnswersAnAsteriskHoldWithRecvOnly) {
  auto answer = makeAnswer(parsed(kAsteriskHold), ours(), 1, 2);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->media[0].direction, Direction::kRecvOnly);
  EXPECT_EQ(answer->media[0].port, 20000);
  EXPECT_EQ(formatsOf(answer->media[0]), (std::vector<std::string>{"8", "0", "101"}));
}

TEST(MakeAnswerTest, ZeroAddressHoldGetsNothingSent) {
  auto sendrecv = makeAnswer(
      parsed(audioOffer("m=audio 4000 RTP/AVP 0", "a=sendrecv\n", "IN IP4 0.0.0.0")), ours(), 1, 1);
  ASSERT_TRUE(sendrecv.ok()) << sendrecv.error().message;
  EXPECT_EQ(sendrecv->media[0].direction, Direction::kRecvOnly);
  EXPECT_EQ(sendrecv->connection->address, "192.0.2.10");

  auto recvonly = makeAnswer(
      parsed(audioOffer("m=audio 4000 RTP/AVP 0", "a=recvonly\n", "IN IP4 0.0.0.0")), ours(), 1, 1);
  ASSERT_TRUE(recvonly.ok());
  EXPECT_EQ(recvonly->media[0].direction, Direction::kInactive);
}

TEST(MakeAnswerTest, RefusesVideoWithPortZeroAndTheOfferedFormats) {
  auto answer = makeAnswer(parsed(kLinphone), ours(), 1, 1);
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->media.size(), 2u);
  const auto& video = answer->media[1];
  EXPECT_EQ(video.media, "video");
  EXPECT_EQ(video.port, 0);
  EXPECT_EQ(video.protocol, "RTP/AVP");
  EXPECT_EQ(formatsOf(video), (std::vector<std::string>{"96", "97"}));
  EXPECT_EQ(video.codecs[1], (Codec{97, "H264", 90000, 1, ""}));
}

TEST(MakeAnswerTest, AnswersOneLinePerOfferedLineInOrder) {
  auto offer = parsed(audioOffer("m=video 5000 RTP/AVP 31",
                                 "m=image 6000 udptl t38\nm=audio 0 RTP/AVP 0\n"
                                 "m=audio 4000 RTP/AVP 8\nm=audio 4002 RTP/AVP 0\n"
                                 "m=application 7000 TCP/BFCP *\n"));
  auto answer = makeAnswer(offer, ours(), 1, 1);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_EQ(answer->media.size(), 6u);
  const std::vector<std::pair<std::string, std::uint16_t>> expected = {
      {"video", 0}, {"image", 0}, {"audio", 0}, {"audio", 20000}, {"audio", 0}, {"application", 0},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(answer->media[i].media, expected[i].first) << i;
    EXPECT_EQ(answer->media[i].port, expected[i].second) << i;
    EXPECT_EQ(answer->media[i].formats, offer.media[i].formats) << i;
  }
}

TEST(MakeAnswerTest, Ipv6OfferIsAnsweredFromAnIpv6Address) {
  auto offer = parsed(audioOffer("m=audio 49170 RTP/AVP 0 8 97",
                                 "a=rtpmap:97 telephone-event/8000\n", "IN IP6 2001:db8::a1"));
  auto answer = makeAnswer(offer, ours("2001:db8::10"), 1, 1);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->origin.addrType, "IP6");
  EXPECT_EQ(answer->connection, (Connection{"IN", "IP6", "2001:db8::10"}));
  EXPECT_EQ(formatsOf(answer->media[0]), (std::vector<std::string>{"0", "8", "97"}));
}

TEST(MakeAnswerTest, Ipv6OfferToAnIpv4ServerIsAnError) {
  auto offer = parsed(audioOffer("m=audio 49170 RTP/AVP 0", "", "IN IP6 2001:db8::a1"));
  auto answer = makeAnswer(offer, ours(), 1, 1);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().message,
            "the offer has no audio stream we can accept; m= line 1: address is not IN IP4");
}

TEST(MakeAnswerTest, NoCommonCodecIsAnError) {
  auto answer = makeAnswer(
      parsed(audioOffer("m=audio 4000 RTP/AVP 18 96 101", "a=rtpmap:101 telephone-event/8000\n")),
      ours(), 1, 1);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(answer.error().message,
            "the offer has no audio stream we can accept; m= line 1: no codec in common "
            "(offered G729/8000, payload type 96, telephone-event/8000; we take PCMU/8000, "
            "PCMA/8000)");
}

TEST(MakeAnswerTest, ComfortNoiseAloneIsNoCommonCodec) {
  auto local = ours();
  local.supported = {Codec{13, "CN", 8000}};
  auto answer = makeAnswer(parsed(audioOffer("m=audio 4000 RTP/AVP 13")), local, 1, 1);
  EXPECT_FALSE(answer.ok());
}

TEST(MakeAnswerTest, OfferWithoutAudioIsAnError) {
  auto answer = makeAnswer(parsed(audioOffer("m=video 5000 RTP/AVP 31")), ours(), 1, 1);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().message, "the offer has no audio stream");

  auto empty = makeAnswer(parsed("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\n"), ours(), 1, 1);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "the offer has no audio stream");
}

TEST(MakeAnswerTest, SrtpOnlyOfferIsAnError) {
  auto answer = makeAnswer(parsed(audioOffer("m=audio 5004 RTP/SAVP 0 8",
                                             "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc\n")),
                           ours(), 1, 1);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().message,
            "the offer has no audio stream we can accept; m= line 1: protocol is not RTP/AVP");
}

TEST(MakeAnswerTest, DisabledAudioStreamsAreNotAccepted) {
  auto answer = makeAnswer(parsed(audioOffer("m=audio 0 RTP/AVP 0")), ours(), 1, 1);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().message,
            "the offer has no audio stream we can accept; m= line 1: the offerer disabled it "
            "(port 0)");
}

TEST(MakeAnswerTest, MulticastIsNotACallLeg) {
  auto answer = makeAnswer(
      parsed(audioOffer("m=audio 4000 RTP/AVP 0", "", "IN IP4 224.2.17.12/127")), ours(), 1, 1);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().message,
            "the offer has no audio stream we can accept; m= line 1: multicast address");
}

TEST(MakeAnswerTest, UsesTheMediaLevelConnectionOfTheStream) {
  auto offer = parsed(
      "v=0\no=cisco 1 1 IN IP4 10.20.30.40\ns=-\nc=IN IP6 2001:db8::1\nt=0 0\n"
      "m=audio 17182 RTP/AVP 0\nc=IN IP4 10.20.30.41\n");
  auto answer = makeAnswer(offer, ours(), 1, 1);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  auto audio = negotiate(offer, *answer);
  ASSERT_TRUE(audio.ok()) << audio.error().message;
  EXPECT_EQ(audio->offerer.address, "10.20.30.41");
}

TEST(MakeAnswerTest, AnswerRoundTripsThroughTheParser) {
  auto answer = makeAnswer(parsed(kLinphone), ours(), 8, 9);
  ASSERT_TRUE(answer.ok());
  auto again = parse(serialize(*answer));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *answer);
}

// --- negotiate ---------------------------------------------------------------------------

TEST(NegotiateTest, GivesTheCallLayerWhatAPhonesOfferAndOurAnswerAgreed) {
  auto offer = parsed(kLinphone);
  auto answer = makeAnswer(offer, ours(), 1, 1);
  ASSERT_TRUE(answer.ok());
  auto audio = negotiate(offer, *answer);
  ASSERT_TRUE(audio.ok()) << audio.error().message;
  EXPECT_EQ(audio->mediaIndex, 0u);
  EXPECT_EQ(audio->codec, (Codec{0, "PCMU", 8000}));
  const auto& phone = audio->remote(Role::kAnswerer);
  EXPECT_EQ(phone.address, "192.168.1.23");
  EXPECT_EQ(phone.port, 7078);
  EXPECT_EQ(phone.rtcpPort, 7079);
  EXPECT_EQ(phone.payloadType, 0);
  EXPECT_EQ(phone.telephoneEvent, 100);
  EXPECT_FALSE(phone.ptime);
  EXPECT_EQ(phone.direction, Direction::kSendRecv);
  const auto& us = audio->local(Role::kAnswerer);
  EXPECT_EQ(us.address, "192.0.2.10");
  EXPECT_EQ(us.port, 20000);
  EXPECT_EQ(us.ptime, 20u);
  EXPECT_EQ(us.telephoneEvent, 100);
}

TEST(NegotiateTest, OurOfferAndAPhonesAnswer) {
  auto offer = makeOffer(ours(), Direction::kSendRecv, 1, 1);
  auto answer = parsed(R"(v=0
o=user1 53655765 2353687637 IN IP4 127.0.1.1
s=-
c=IN IP4 127.0.1.1
t=0 0
m=audio 6002 RTP/AVP 8 96
a=rtpmap:96 telephone-event/8000
a=ptime:30
a=rtcp:7000
)");
  auto audio = negotiate(offer, answer);
  ASSERT_TRUE(audio.ok()) << audio.error().message;
  EXPECT_EQ(audio->codec, (Codec{8, "PCMA", 8000}));
  const auto& phone = audio->remote(Role::kOfferer);
  EXPECT_EQ(phone.address, "127.0.1.1");
  EXPECT_EQ(phone.port, 6002);
  EXPECT_EQ(phone.rtcpPort, 7000);
  EXPECT_EQ(phone.ptime, 30u);
  // Each side receives telephone-event with its own number (RFC 3264 §6.1).
  EXPECT_EQ(phone.telephoneEvent, 96);
  EXPECT_EQ(audio->local(Role::kOfferer).telephoneEvent, 101);
}

TEST(NegotiateTest, EffectiveDirectionFromEachSide) {
  struct Case {
    Direction offer;
    Direction answer;
    Direction offerer;
  };
  const Case cases[] = {
      {Direction::kSendRecv, Direction::kSendRecv, Direction::kSendRecv},
      {Direction::kSendOnly, Direction::kRecvOnly, Direction::kSendOnly},
      {Direction::kRecvOnly, Direction::kSendOnly, Direction::kRecvOnly},
      {Direction::kSendRecv, Direction::kRecvOnly, Direction::kSendOnly},
      {Direction::kSendRecv, Direction::kInactive, Direction::kInactive},
      {Direction::kSendOnly, Direction::kSendRecv, Direction::kSendOnly},
  };
  for (const auto& c : cases) {
    auto offer = makeOffer(ours("192.0.2.10", 20000), c.offer, 1, 1);
    auto answer = makeOffer(ours("198.51.100.7", 4000), c.answer, 2, 1);
    auto audio = negotiate(offer, answer);
    ASSERT_TRUE(audio.ok()) << audio.error().message;
    EXPECT_EQ(audio->offerer.direction, c.offerer)
        << directionName(c.offer) << "/" << directionName(c.answer);
    EXPECT_EQ(audio->answerer.direction, mirror(c.offerer));
  }
}

TEST(NegotiateTest, ZeroAddressStopsSendingToThatSide) {
  auto offer = parsed(audioOffer("m=audio 4000 RTP/AVP 0", "", "IN IP4 0.0.0.0"));
  auto answer = makeAnswer(offer, ours(), 1, 1);
  ASSERT_TRUE(answer.ok());
  auto audio = negotiate(offer, *answer);
  ASSERT_TRUE(audio.ok()) << audio.error().message;
  EXPECT_EQ(audio->offerer.direction, Direction::kSendOnly);
  EXPECT_EQ(audio->answerer.direction, Direction::kRecvOnly);
}

TEST(NegotiateTest, TheAnswersFirstVoiceCodecIsChosen) {
  auto offer = makeOffer(ours(), Direction::kSendRecv, 1, 1);
  auto answer =
      parsed(audioOffer("m=audio 4000 RTP/AVP 101 8 0", "a=rtpmap:101 telephone-event/8000\n"));
  auto audio = negotiate(offer, answer);
  ASSERT_TRUE(audio.ok()) << audio.error().message;
  EXPECT_EQ(audio->codec.encodingName, "PCMA");
  EXPECT_EQ(audio->answerer.telephoneEvent, 101);
}

TEST(NegotiateTest, DifferentNumberOfMediaLinesIsAnError) {
  auto offer = makeOffer(ours(), Direction::kSendRecv, 1, 1);
  auto answer = parsed(audioOffer("m=audio 4000 RTP/AVP 0", "m=video 0 RTP/AVP 31\n"));
  auto audio = negotiate(offer, answer);
  ASSERT_FALSE(audio.ok());
  EXPECT_EQ(audio.error().message, "the answer has 2 m= lines for the offer's 1");
}

TEST(NegotiateTest, AnotherMediaTypeOrProtocolIsAnError) {
  auto offer = makeOffer(ours(), Direction::kSendRecv, 1, 1);
  EXPECT_EQ(negotiate(offer, parsed(audioOffer("m=video 4000 RTP/AVP 0"))).error().message,
            "m= line 1: the answer has another media type");
  EXPECT_EQ(negotiate(offer, parsed(audioOffer("m=audio 4000 RTP/SAVP 0"))).error().message,
            "m= line 1: the answer has another protocol");
}

TEST(NegotiateTest, CodecNotInTheOfferIsAnError) {
  auto offer = makeOffer(ours(), Direction::kSendRecv, 1, 1);
  auto audio = negotiate(offer, parsed(audioOffer("m=audio 4000 RTP/AVP 18 0")));
  ASSERT_FALSE(audio.ok());
  EXPECT_EQ(audio.error().message,
            "m= line 1: the answer's payload type 18 (G729/8000) is not in the offer");
}

TEST(NegotiateTest, AnswerWithoutVoiceCodecIsAnError) {
  auto offer = makeOffer(ours(), Direction::kSendRecv, 1, 1);
  auto audio = negotiate(
      offer, parsed(audioOffer("m=audio 4000 RTP/AVP 101", "a=rtpmap:101 telephone-event/8000\n")));
  ASSERT_FALSE(audio.ok());
  EXPECT_EQ(audio.error().message, "m= line 1: the answer has no voice codec");
}

TEST(NegotiateTest, RefusedAudioIsAnError) {
  auto offer = makeOffer(ours(), Direction::kSendRecv, 1, 1);
  auto audio = negotiate(offer, parsed(audioOffer("m=audio 0 RTP/AVP 0")));
  ASSERT_FALSE(audio.ok());
  EXPECT_EQ(audio.error().message, "the answer accepts no audio stream");
}

TEST(NegotiateTest, AcceptingAStreamTheOfferDisabledIsAnError) {
  auto offer = parsed(audioOffer("m=audio 0 RTP/AVP 0"));
  auto audio = negotiate(offer, parsed(audioOffer("m=audio 4000 RTP/AVP 0")));
  ASSERT_FALSE(audio.ok());
  EXPECT_EQ(audio.error().message, "m= line 1: the answer accepts a stream the offer disabled");
}

TEST(NegotiateTest, SkipsRefusedStreamsToTheFirstAcceptedAudio) {
  auto offer = parsed(audioOffer("m=video 5000 RTP/AVP 31", "m=audio 4000 RTP/AVP 0 8\n"));
  auto answer = makeAnswer(offer, ours(), 1, 1);
  ASSERT_TRUE(answer.ok());
  auto audio = negotiate(offer, *answer);
  ASSERT_TRUE(audio.ok()) << audio.error().message;
  EXPECT_EQ(audio->mediaIndex, 1u);
  EXPECT_EQ(audio->offerer.port, 4000);
}

}  // namespace
}  // namespace sb::sdp
