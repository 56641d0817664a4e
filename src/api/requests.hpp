#pragma once
// Request bodies of the REST API, decoded and validated. Every decoder rejects unknown fields and
// names the field at fault.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "store/model.hpp"

namespace sb::api {

struct Policy {
  std::size_t minPasswordLength = 8;
};

inline constexpr std::size_t kMaxPasswordLength = 128;
inline constexpr std::size_t kMaxUsernameLength = 32;
inline constexpr std::size_t kMaxNameLength = 64;
inline constexpr std::size_t kMaxSipPasswordLength = 64;
inline constexpr std::size_t kMaxPhoneNumberLength = 32;

struct LoginRequest {
  std::string username;
  std::string password;
};
Result<LoginRequest> decodeLogin(std::string_view body);

// POST /api/v1/me/password: old, new and confirmation (seed 002 §6.1 修改密码).
struct PasswordChangeRequest {
  std::string oldPassword;
  std::string newPassword;
};
Result<PasswordChangeRequest> decodePasswordChange(std::string_view body, const Policy& policy);

// A skill group named by id or by name, with the member's skill level.
struct SkillRef {
  std::optional<std::int64_t> id;
  std::optional<std::string> name;
  int level = store::kDefaultSkillLevel;
};

struct SettingsPatch {
  std::optional<bool> autoAnswer;
  std::optional<bool> autoReadyAfterAcw;
  std::optional<store::InitialAgentState> initialState;
  std::optional<bool> autoRecord;
  std::optional<std::string> mobileNumber;  // "" clears it
  store::AgentSettings applyTo(store::AgentSettings settings) const;
};

struct UserCreateRequest {
  std::string username;
  std::string name;
  std::string password;
  std::optional<std::string> sipPassword;
  store::Roles roles;
  SettingsPatch settings;
  std::vector<SkillRef> skills;
};
Result<UserCreateRequest> decodeUserCreate(std::string_view body, const Policy& policy);

struct UserPatchRequest {
  std::optional<std::string> name;
  std::optional<std::string> password;
  std::optional<std::string> sipPassword;
  std::optional<store::Roles> roles;
  std::optional<SettingsPatch> settings;
  std::optional<std::vector<SkillRef>> skills;
};
Result<UserPatchRequest> decodeUserPatch(std::string_view body, const Policy& policy);

// POST /api/v1/agent/state: {"state": "idle"|"break"|"busy", "reason": "..."}
struct AgentStateRequest {
  std::string state;
  std::string reason;  // for break; empty: "break"
  std::string number;  // for mobile: this time's number; empty: the agent's mobile_number
};
Result<AgentStateRequest> decodeAgentState(std::string_view body);

struct SkillGroupCreateRequest {
  std::string name;
};
Result<SkillGroupCreateRequest> decodeSkillGroupCreate(std::string_view body);

// A query string's parameters in order, percent-decoded with '+' as a space. A malformed escape or
// a NUL is an error naming the parameter.
Result<std::vector<std::pair<std::string, std::string>>> decodeQuery(std::string_view query);

// A point in time given as ISO 8601 with a zone ("2026-11-21T09:00:00Z",
// "2026-11-21T17:00:00.250+08:00"; seconds and fraction optional) or as Unix seconds
// ("1795770000").
std::optional<store::UnixMillis> parseTimestamp(std::string_view text);

// GET /api/v1/calls?from=&to=&agent=&number=&end_reason=&limit=&offset= (every one optional).
// Unknown and repeated parameters are refused, naming them.
inline constexpr std::size_t kDefaultCallListLimit = 100;
inline constexpr std::size_t kMaxCallListLimit = 1000;
inline constexpr std::size_t kMaxNumberLength = 64;
Result<store::CallFilter> decodeCallQuery(std::string_view query);

// Field rules shared with the command line (`switchboard user add`).
Result<void> validateUsername(std::string_view username, std::string_view field = "username");
Result<void> validatePassword(std::string_view password, const Policy& policy,
                              std::string_view field = "password");
Result<void> validateDisplayName(std::string_view name, std::string_view field = "name");

}  // namespace sb::api
