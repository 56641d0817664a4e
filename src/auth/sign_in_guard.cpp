#include "auth/sign_in_guard.hpp"

#include <algorithm>

namespace sb::auth {

namespace {

// Keys are bounded: a username is checked for length only after this point.
constexpr std::size_t kMaxKeyBytes = 128;

}  // namespace

std::string SignInGuard::userKey(std::string_view username) {
  // Case-folded, so that "Admin" and "admin" share one budget whatever the store's lookup does.
  std::string key(username.substr(0, kMaxKeyBytes));
  std::transform(key.begin(), key.end(), key.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return key;
}

std::string SignInGuard::addressKey(std::string_view address) {
  return std::string(address.substr(0, kMaxKeyBytes));
}

std::int64_t SignInGuard::waitFor(Entries& entries, const std::string& key, int max,
                                  UnixSeconds now) {
  auto it = entries.find(key);
  if (it == entries.end()) return 0;
  Entry& e = it->second;
  auto quietSince = now - e.lastFailure;
  if (e.failures > 0 && e.pending == 0 && quietSince >= limits_.lockout.count()) {
    entries.erase(it);
    return 0;
  }
  if (e.failures + e.pending < max) return 0;
  if (e.failures < max) return 1;  // the budget is held by attempts still being checked
  return std::max<std::int64_t>(1, limits_.lockout.count() - quietSince);
}

std::int64_t SignInGuard::admit(std::string_view username, std::string_view address,
                                UnixSeconds now) {
  // Forgotten failures go once per lockout, and sooner when a scan piles up entries fast.
  if (now >= nextPurge_ || tracked() >= purgeAt_) {
    purgeExpired(now);
    purgeAt_ = std::max(kFirstPurge, 2 * tracked());
    nextPurge_ = now + limits_.lockout.count();
  }
  auto user = userKey(username);
  auto from = addressKey(address);
  auto wait = std::max(waitFor(users_, user, limits_.maxFailuresPerUser, now),
                       waitFor(addresses_, from, limits_.maxFailuresPerAddress, now));
  if (wait > 0) return wait;
  ++users_[user].pending;
  ++addresses_[from].pending;
  return 0;
}

void SignInGuard::settle(Entries& entries, const std::string& key, bool failure, bool forget,
                         UnixSeconds now) {
  auto it = entries.find(key);
  if (it == entries.end()) return;
  Entry& e = it->second;
  if (e.pending > 0) --e.pending;
  if (failure) {
    ++e.failures;
    e.lastFailure = now;
  }
  if (forget) e.failures = 0;
  if (e.failures == 0 && e.pending == 0) entries.erase(it);
}

void SignInGuard::succeeded(std::string_view username, std::string_view address) {
  settle(users_, userKey(username), false, true, 0);
  settle(addresses_, addressKey(address), false, false, 0);
}

void SignInGuard::failed(std::string_view username, std::string_view address, UnixSeconds now) {
  settle(users_, userKey(username), true, false, now);
  settle(addresses_, addressKey(address), true, false, now);
}

void SignInGuard::abandoned(std::string_view username, std::string_view address) {
  settle(users_, userKey(username), false, false, 0);
  settle(addresses_, addressKey(address), false, false, 0);
}

void SignInGuard::purgeExpired(UnixSeconds now) {
  for (auto* entries : {&users_, &addresses_}) {
    std::erase_if(*entries, [&](const auto& item) {
      const Entry& e = item.second;
      return e.pending == 0 && now - e.lastFailure >= limits_.lockout.count();
    });
  }
}

}  // namespace sb::auth
