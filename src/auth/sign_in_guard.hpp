#pragma once
// Web sign-in throttling. After too many failed sign-ins for one username, or from one address,
// further attempts are refused for a while without checking the password: guessing stays slow,
// and a flood of sign-ins cannot take the CPU (each check costs tens of milliseconds of
// argon2id). Attempts still being checked count as failures until they are decided, so a burst
// sent at once is held to the same budget. Not thread-safe: used on the HTTP loop.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/time.hpp"

namespace sb::auth {

struct SignInLimits {
  int maxFailuresPerUser = 5;
  int maxFailuresPerAddress = 20;
  // Failures are forgotten after this long without another; until then a username or address
  // that used up its failures is refused.
  std::chrono::seconds lockout{300};
};

class SignInGuard {
 public:
  explicit SignInGuard(SignInLimits limits) : limits_(limits) {}

  // Zero: the attempt may go ahead (its password be checked), and must be settled with
  // succeeded(), failed() or abandoned(). Otherwise the seconds until the next try may.
  std::int64_t admit(std::string_view username, std::string_view address, UnixSeconds now);

  // A success forgets the username's failures; the address keeps its own.
  void succeeded(std::string_view username, std::string_view address);
  void failed(std::string_view username, std::string_view address, UnixSeconds now);
  // The attempt was not decided (a server fault): it counts for nothing.
  void abandoned(std::string_view username, std::string_view address);

  // Usernames and addresses with failures or attempts pending.
  std::size_t tracked() const { return users_.size() + addresses_.size(); }

 private:
  struct Entry {
    int failures = 0;
    int pending = 0;
    UnixSeconds lastFailure = 0;
  };
  using Entries = std::unordered_map<std::string, Entry>;

  static std::string userKey(std::string_view username);
  static std::string addressKey(std::string_view address);
  // Drops the entry when its failures are forgotten.
  std::int64_t waitFor(Entries& entries, const std::string& key, int max, UnixSeconds now);
  static void settle(Entries& entries, const std::string& key, bool failure, bool forget,
                     UnixSeconds now);
  void purgeExpired(UnixSeconds now);

  SignInLimits limits_;
  Entries users_;
  Entries addresses_;
  std::size_t purgeAt_ = kFirstPurge;
  UnixSeconds nextPurge_ = 0;
  static constexpr std::size_t kFirstPurge = 10'000;
};

}  // namespace sb::auth
