// The SDP parser against arbitrary bytes, and the properties the call layer relies on: what
// parse() accepts round-trips through serialize(), and an answer that makeAnswer() produces is
// itself valid SDP that negotiate() accepts.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sdp/offer_answer.hpp"
#include "sdp/sdp.hpp"

namespace {

using namespace sb::sdp;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void answerAndNegotiate(const SessionDescription& offer, const LocalMedia& local) {
  auto answer = makeAnswer(offer, local, 7, 1);
  if (!answer) return;
  check(answer->media.size() == offer.media.size());
  auto text = serialize(*answer);
  auto reparsed = parse(text);
  check(reparsed.ok() && *reparsed == *answer);
  auto audio = negotiate(offer, *answer);
  check(audio.ok());
  check(audio->answerer.address == local.address && audio->answerer.port == local.port);
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse(text);
  if (!parsed) return 0;
  auto again = parse(serialize(*parsed));
  check(again.ok() && *again == *parsed);

  LocalMedia v4;
  v4.address = "192.0.2.10";
  v4.port = 20000;
  answerAndNegotiate(*parsed, v4);
  LocalMedia v6;
  v6.address = "2001:db8::10";
  v6.port = 20002;
  v6.supported.push_back(Codec{9, "G722", 8000});
  v6.supported.push_back(Codec{13, "CN", 8000});
  answerAndNegotiate(*parsed, v6);
  // Any description read as an answer to itself: only the error paths matter here.
  (void)negotiate(*parsed, *parsed);
  return 0;
}
