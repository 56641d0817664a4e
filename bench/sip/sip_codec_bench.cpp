// The SIP message layer on a typical INVITE with SDP (about 800 bytes, as a softphone sends it).

#include <benchmark/benchmark.h>

#include "sip/builder.hpp"
#include "sip/headers.hpp"
#include "sip/message.hpp"

namespace {

const std::string kInvite =
    "INVITE sip:4000@192.0.2.10:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.55:5062;branch=z9hG4bK-524287-1---7f3a2b1c9d8e6f50;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:13800138000@192.0.2.55:5062;transport=udp>\r\n"
    "To: <sip:4000@192.0.2.10>\r\n"
    "From: \"Zhang Wei\" <sip:13800138000@192.0.2.10>;tag=9f3e7a21\r\n"
    "Call-ID: NWY4ZjFlNTk2YzQ1ZWM0ZDBmN2U5MjZmM2I1NzY0YjA\r\n"
    "CSeq: 1 INVITE\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n"
    "Content-Type: application/sdp\r\n"
    "Supported: replaces, timer\r\n"
    "User-Agent: Z 5.6.4 v2.10.20.2\r\n"
    "Allow-Events: presence, kpml, talk\r\n"
    "Content-Length: 321\r\n"
    "\r\n"
    "v=0\r\n"
    "o=Z 1700000000000 1 IN IP4 192.0.2.55\r\n"
    "s=Z\r\n"
    "c=IN IP4 192.0.2.55\r\n"
    "t=0 0\r\n"
    "m=audio 8000 RTP/AVP 0 8 9 18 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=x-nat:0\r\n";

void parseInvite(benchmark::State& state) {
  for (auto _ : state) {
    auto m = sb::sip::parseMessage(kInvite);
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kInvite.size()));
}
BENCHMARK(parseInvite);

void parseAndSerializeInvite(benchmark::State& state) {
  for (auto _ : state) {
    auto m = sb::sip::parseMessage(kInvite);
    auto bytes = sb::sip::serialize(*m);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kInvite.size()));
}
BENCHMARK(parseAndSerializeInvite);

void parseCheckAndAnswerInvite(benchmark::State& state) {
  for (auto _ : state) {
    auto m = sb::sip::parseMessage(kInvite);
    auto rejection = sb::sip::checkRequest(*m);
    auto answer = sb::sip::responseTo(*m, 180, {}, "srv0tag1").build();
    benchmark::DoNotOptimize(rejection);
    benchmark::DoNotOptimize(answer);
  }
}
BENCHMARK(parseCheckAndAnswerInvite);

}  // namespace

BENCHMARK_MAIN();
