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

}  // namespace sb::store
