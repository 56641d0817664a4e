// Authorization and WWW-Authenticate header values: parsing, the format round trip, verification
// and nonce checks must hold for any bytes.

#include <cstddef>
#include <cstdint>
#include <string>

#include "sip/digest.hpp"

using namespace sb::sip::digest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sb::ManualClock clock(1'800'000'000);
  static const NonceService nonces(clock, std::chrono::seconds(300), "fuzz-secret");
  std::string_view v(reinterpret_cast<const char*>(data), size);
  if (auto c = parseCredentials(v)) {
    auto again = parseCredentials(formatCredentials(*c));
    if (!again || !(again.value() == *c)) __builtin_trap();
    ServerPolicy policy;
    policy.allowNoQop = true;
    policy.realm = c->realm;
    (void)verify(*c, policy, Secret::password("x"), "REGISTER");
    (void)verify(*c, policy, Secret::ha1(c->response), "REGISTER");
  }
  if (auto ch = parseChallenge(v)) {
    auto again = parseChallenge(formatChallenge(*ch));
    if (!again || !(again.value() == *ch)) __builtin_trap();
    (void)answerChallenge(*ch, "u", "p", "REGISTER", "sip:x", "c", 1);
  }
  (void)nonces.check(v, v);
  return 0;
}
