#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sb {

// Wall-clock time as the store keeps it: whole seconds since the Unix epoch, UTC.
using UnixSeconds = std::int64_t;

// The source of wall-clock time, injected so that tests can move time (token expiry, timers).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixSeconds now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixSeconds now() const override;
};

// A clock that tests set by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixSeconds start) : now_(start) {}
  UnixSeconds now() const override { return now_; }
  void advance(std::chrono::seconds by) { now_ += by.count(); }

 private:
  UnixSeconds now_;
};

// "2026-11-21T14:27:46Z".
std::string formatIso8601(UnixSeconds t);

}  // namespace sb
