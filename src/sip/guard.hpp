#pragma once
// Protection against SIP scanners and floods: a packet budget per source address (token bucket)
// and temporary bans after repeated authentication failures. Scanners try thousands of
// passwords a minute against public PBXs; once banned, a source's packets are dropped unread.
// Runs on the SIP control loop; no locks.

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/time.hpp"
#include "core/timers.hpp"

namespace sb::sip {

struct GuardOptions {
  std::uint32_t packetsPerSecond = 200;  // per source address, sustained
  std::uint32_t packetBurst = 400;
  std::uint32_t maxAuthFailures = 10;  // within failureWindow, then a ban
  std::chrono::seconds failureWindow{60};
  std::chrono::seconds banTime{600};
};

struct Ban {
  std::string address;
  UnixSeconds since = 0;
  UnixSeconds until = 0;
  std::uint32_t failures = 0;
};

class Guard {
 public:
  // `isTrusted` exempts addresses (the inbound trunks) from the packet budget, never from bans.
  Guard(const Timers& timers, const Clock& wall, GuardOptions options,
        std::function<bool(const std::string&)> isTrusted = {});

  // Whether a packet or connection from `address` may be processed.
  bool admit(const std::string& address);
  void authFailed(const std::string& address);
  void authSucceeded(const std::string& address);

  // A trunk's address: calls from it need no digest authentication.
  bool isTrusted(const std::string& address) const;

  std::vector<Ban> bans() const;
  bool unban(const std::string& address);
  std::uint64_t droppedPackets() const { return dropped_; }

 private:
  struct Source {
    double tokens = 0;
    Timers::Clock::time_point refilled{};
    std::uint32_t failures = 0;
    Timers::Clock::time_point firstFailure{};
    Timers::Clock::time_point bannedUntil{};
    UnixSeconds bannedSince = 0;
    UnixSeconds bannedUntilWall = 0;
    // isTrusted_ for this address, asked once: every packet of a trunk would ask again.
    enum class Trust : std::uint8_t { kUnknown, kTrusted, kUntrusted };
    mutable Trust trust = Trust::kUnknown;
  };
  bool trusted(const std::string& address, const Source& s) const;
  Source& source(const std::string& address, Timers::Clock::time_point now);
  void forgetIdle(Timers::Clock::time_point now);

  const Timers& timers_;
  const Clock& wall_;
  GuardOptions options_;
  std::function<bool(const std::string&)> isTrusted_;
  std::unordered_map<std::string, Source> sources_;
  Timers::Clock::time_point lastSweep_{};
  std::uint64_t dropped_ = 0;
};

}  // namespace sb::sip
