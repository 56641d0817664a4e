#include "sip/guard.hpp"

#include <spdlog/spdlog.h>

namespace sb::sip {

Guard::Guard(const Timers& timers, const Clock& wall, GuardOptions options,
             std::function<bool(const std::string&)> isTrusted)
    : timers_(timers), wall_(wall), options_(options), isTrusted_(std::move(isTrusted)) {}

bool Guard::admit(const std::string& address) {
  auto now = timers_.now();
  forgetIdle(now);
  Source& s = source(address, now);
  if (s.bannedUntil > now) {
    ++dropped_;
    return false;
  }
  if (trusted(address, s)) return true;
  double elapsed = std::chrono::duration<double>(now - s.refilled).count();
  s.tokens = std::min<double>(options_.packetBurst, s.tokens + elapsed * options_.packetsPerSecond);
  s.refilled = now;
  if (s.tokens < 1) {
    ++dropped_;
    return false;
  }
  s.tokens -= 1;
  return true;
}

bool Guard::trusted(const std::string& address, const Source& s) const {
  if (s.trust == Source::Trust::kUnknown) {
    s.trust =
        isTrusted_ && isTrusted_(address) ? Source::Trust::kTrusted : Source::Trust::kUntrusted;
  }
  return s.trust == Source::Trust::kTrusted;
}

bool Guard::isTrusted(const std::string& address) const {
  auto it = sources_.find(address);
  if (it == sources_.end()) return isTrusted_ && isTrusted_(address);
  return trusted(address, it->second);
}

void Guard::authFailed(const std::string& address) {
  auto now = timers_.now();
  Source& s = source(address, now);
  if (s.failures == 0 || now - s.firstFailure > options_.failureWindow) {
    s.failures = 0;
    s.firstFailure = now;
  }
  if (++s.failures < options_.maxAuthFailures) return;
  s.bannedUntil = now + options_.banTime;
  s.bannedSince = wall_.now();
  s.bannedUntilWall = s.bannedSince + options_.banTime.count();
  spdlog::warn("sip guard: banned address={} failures={} for={}s", address, s.failures,
               options_.banTime.count());
}

Guard::Source& Guard::source(const std::string& address, Timers::Clock::time_point now) {
  auto [it, fresh] = sources_.try_emplace(address);
  if (fresh) {
    it->second.tokens = options_.packetBurst;
    it->second.refilled = now;
  }
  return it->second;
}

void Guard::authSucceeded(const std::string& address) {
  if (auto it = sources_.find(address); it != sources_.end()) it->second.failures = 0;
}

std::vector<Ban> Guard::bans() const {
  std::vector<Ban> out;
  auto now = timers_.now();
  for (const auto& [address, s] : sources_) {
    if (s.bannedUntil > now) out.push_back({address, s.bannedSince, s.bannedUntilWall, s.failures});
  }
  return out;
}

bool Guard::unban(const std::string& address) {
  auto it = sources_.find(address);
  if (it == sources_.end() || it->second.bannedUntil <= timers_.now()) return false;
  it->second.bannedUntil = {};
  it->second.failures = 0;
  return true;
}

void Guard::forgetIdle(Timers::Clock::time_point now) {
  // Once a minute, drop sources that are neither banned, counting failures, nor short of
  // packets: the table stays as small as the set of active sources.
  if (now - lastSweep_ < std::chrono::seconds(60)) return;
  lastSweep_ = now;
  for (auto it = sources_.begin(); it != sources_.end();) {
    const Source& s = it->second;
    bool idle = s.bannedUntil <= now &&
                (s.failures == 0 || now - s.firstFailure > options_.failureWindow) &&
                now - s.refilled > std::chrono::seconds(10);
    it = idle ? sources_.erase(it) : std::next(it);
  }
}

}  // namespace sb::sip
