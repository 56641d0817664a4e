#pragma once
// Call records for the store's tests: a plain one and one with every field set.

#include <string>

#include "store/model.hpp"

namespace sb::store {

inline constexpr UnixSeconds kNow = 1'800'000'000;
inline constexpr UnixMillis kT0 = 1'800'000'000'000;

inline CallRecord record(const std::string& id, UnixMillis arrivedAt) {
  CallRecord r;
  r.id = id;
  r.caller = "13800138000";
  r.called = "4000";
  r.did = "02150001234";
  r.arrivedAt = arrivedAt;
  r.endedAt = arrivedAt + 60'000;
  return r;
}

// Every field set to something other than its default.
inline CallRecord fullRecord() {
  CallRecord r = record("c-full", kT0);
  r.direction = CallDirection::kOutbound;
  r.ivrPath = "hours>welcome>menu[2]>after-sales";
  r.groupId = 7;
  r.groupName = "售后 After-sales";
  r.agent = "1001";
  r.queuedAt = kT0 + 4'000;
  r.offeredAt = kT0 + 9'000;
  r.answeredAt = kT0 + 12'500;
  r.endedAt = kT0 + 95'250;
  r.waitMs = 8'500;
  r.ringMs = 3'500;
  r.talkMs = 82'750;
  r.holdMs = 10'000;
  r.afterCallWorkMs = 15'000;
  r.endReason = CallEndReason::kRingAbandoned;
  r.endedBy = "caller";
  r.recording = "recordings/2027/01/15/c-full.wav";
  r.voicemail = "voicemail/c-full.wav";
  CallLegRecord caller{"caller", "13800138000", "a84b4c76e66710@pc33",
                       kT0,      kT0 + 12'500,  kT0 + 95'250,
                       200,      4.37,          4'100,
                       12,       3.25};
  CallLegRecord agent{"agent",     "1001",       "f81d4fae-7dec-11d0",
                      kT0 + 9'000, kT0 + 12'500, kT0 + 95'250,
                      200,         4.1,          4'090,
                      0,           1.5};
  r.legs = {caller, agent};
  return r;
}

}  // namespace sb::store
