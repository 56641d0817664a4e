#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"

namespace sb::store {

// Stable codes are stored and sent over the API; display labels belong to the front-end.
enum class Role : std::uint8_t { kAgent, kSupervisor, kAdmin, kHandler };
inline constexpr Role kAllRoles[] = {Role::kAgent, Role::kSupervisor, Role::kAdmin, Role::kHandler};

std::string_view roleCode(Role role);
std::optional<Role> parseRole(std::string_view code);

class Roles {
 public:
  Roles() = default;
  Roles(std::initializer_list<Role> roles) {
    for (Role r : roles)
      add(r);
  }
  bool has(Role role) const { return (bits_ & bit(role)) != 0; }
  void add(Role role) { bits_ |= bit(role); }
  bool empty() const { return bits_ == 0; }
  std::vector<Role> list() const;
  // "agent,supervisor": the stored form.
  std::string join() const;
  static std::optional<Roles> split(std::string_view joined);
  bool operator==(const Roles&) const = default;

 private:
  static std::uint8_t bit(Role role) {
    return static_cast<std::uint8_t>(1U << static_cast<unsigned>(role));
  }
  std::uint8_t bits_ = 0;
};

// The agent's state right after signing in (签入后初始状态): idle (Easemob) or busy (Huayun).
enum class InitialAgentState : std::uint8_t { kIdle, kBusy };
std::string_view initialAgentStateCode(InitialAgentState state);
std::optional<InitialAgentState> parseInitialAgentState(std::string_view code);

// Per-agent switches from the manuals: 自动应答 / 自动置闲 / 初始状态 / 自动录音.
struct AgentSettings {
  bool autoAnswer = false;
  bool autoReadyAfterAcw = true;
  InitialAgentState initialState = InitialAgentState::kIdle;
  bool autoRecord = true;
  std::string mobileNumber;  // 手机接听 dials it through the outbound trunk; empty: none
  bool operator==(const AgentSettings&) const = default;
};

inline constexpr int kMinSkillLevel = 1;
inline constexpr int kMaxSkillLevel = 10;
inline constexpr int kDefaultSkillLevel = 5;

// A user's membership in a skill group (技能组) with a skill level, higher is more skilled.
struct SkillMembership {
  std::int64_t groupId = 0;
  std::string groupName;
  int level = kDefaultSkillLevel;
};

struct SkillAssignment {
  std::int64_t groupId = 0;
  int level = kDefaultSkillLevel;
};

struct User {
  std::int64_t id = 0;
  std::string username;  // the agent id (工号) for agents, used to sign in and as the SIP user
  std::string name;
  std::string passwordHash;  // argon2id, libsodium's encoded form
  std::string sipPassword;   // digest authentication needs the secret itself
  Roles roles;
  AgentSettings settings;
  std::vector<SkillMembership> skills;
  UnixSeconds createdAt = 0;
  UnixSeconds updatedAt = 0;
};

struct NewUser {
  std::string username;
  std::string name;
  std::string passwordHash;
  std::string sipPassword;
  Roles roles;
  AgentSettings settings;
  std::vector<SkillAssignment> skills;
};

// Fields left empty are unchanged; `skills` replaces the whole membership list.
struct UserPatch {
  std::optional<std::string> name;
  std::optional<std::string> passwordHash;
  std::optional<std::string> sipPassword;
  std::optional<Roles> roles;
  std::optional<AgentSettings> settings;
  std::optional<std::vector<SkillAssignment>> skills;
};

struct SkillGroup {
  std::int64_t id = 0;
  std::string name;
  std::size_t memberCount = 0;
  UnixSeconds createdAt = 0;
};

// Wall-clock time with milliseconds, for call timestamps.
using UnixMillis = std::int64_t;

// How a call ended. Stable codes: "normal", "unanswered", "ring_abandoned" (振铃放弃: the caller
// hung up while an agent's phone rang), "queue_abandoned" (呼损: hung up while waiting),
// "after_hours_voicemail", "voicemail" (left a message after overflow), "failed".
enum class CallEndReason : std::uint8_t {
  kNormal,
  kUnanswered,
  kRingAbandoned,
  kQueueAbandoned,
  kAfterHoursVoicemail,
  kVoicemail,
  kFailed,
};
inline constexpr CallEndReason kAllCallEndReasons[] = {CallEndReason::kNormal,
                                                       CallEndReason::kUnanswered,
                                                       CallEndReason::kRingAbandoned,
                                                       CallEndReason::kQueueAbandoned,
                                                       CallEndReason::kAfterHoursVoicemail,
                                                       CallEndReason::kVoicemail,
                                                       CallEndReason::kFailed};
std::string_view callEndReasonCode(CallEndReason reason);
std::optional<CallEndReason> parseCallEndReason(std::string_view code);

// Stable codes: "inbound", "outbound", "internal".
enum class CallDirection : std::uint8_t { kInbound, kOutbound, kInternal };
std::string_view callDirectionCode(CallDirection direction);
std::optional<CallDirection> parseCallDirection(std::string_view code);

// One party's leg of a call as the B2BUA saw it.
struct CallLegRecord {
  std::string role;       // "caller", "agent"
  std::string party;      // the caller's number, or the agent id (工号)
  std::string sipCallId;  // the Call-ID of this leg's dialog
  UnixMillis startedAt = 0;
  UnixMillis answeredAt = 0;  // 0: never answered
  UnixMillis endedAt = 0;
  int sipStatus = 0;  // the final response of the leg's INVITE (200, 486, 487...)
  // Quality as the media engine measured it for this leg; 0 when unknown.
  double mos = 0;
  std::uint64_t packetsReceived = 0;
  std::uint64_t packetsLost = 0;
  double jitterMs = 0;
  bool operator==(const CallLegRecord&) const = default;
};

// One call (通话记录), written when it ends; after-call work is filled in when the agent ends it.
// Timestamps are 0 for what did not happen; durations are milliseconds.
struct CallRecord {
  std::string id;  // ours, also the recording's file name
  CallDirection direction = CallDirection::kInbound;
  std::string caller;   // the caller's number (From user)
  std::string called;   // the number dialled (Request-URI user)
  std::string did;      // the service number (接入号) it came in on
  std::string ivrPath;  // nodes visited and digits pressed: "hours>welcome>menu[2]>after-sales"
  std::int64_t groupId = 0;  // the skill group whose queue it went to; 0: none
  std::string groupName;
  std::string agent;  // the agent id (工号) who answered; empty: nobody
  UnixMillis arrivedAt = 0;
  UnixMillis queuedAt = 0;
  UnixMillis offeredAt = 0;   // first offer to an agent
  UnixMillis answeredAt = 0;  // by the agent
  UnixMillis endedAt = 0;
  std::int64_t waitMs = 0;  // queued until answered or abandoned
  std::int64_t ringMs = 0;  // the answering agent's phone ringing (all offers for the unanswered)
  std::int64_t talkMs = 0;
  std::int64_t holdMs = 0;
  std::int64_t afterCallWorkMs = 0;
  CallEndReason endReason = CallEndReason::kNormal;
  std::string endedBy;  // "caller", "agent", "system"
  // Files relative to the data folder; empty: none.
  std::string recording;  // stereo WAV: caller left, agent right
  std::string voicemail;  // mono WAV
  std::vector<CallLegRecord> legs;
  bool operator==(const CallRecord&) const = default;
};

// GET /api/v1/calls: every set field narrows the list. Newest first.
struct CallFilter {
  std::optional<UnixMillis> from;  // arrived at or after
  std::optional<UnixMillis> to;    // arrived before
  std::optional<std::string> agent;
  std::optional<std::string> number;  // caller or called or DID, exactly
  std::optional<CallEndReason> endReason;
  std::size_t limit = 100;
  std::size_t offset = 0;
};

}  // namespace sb::store
