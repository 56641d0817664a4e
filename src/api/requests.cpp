#include "api/requests.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/json_reader.hpp"

namespace sb::api {

namespace json = boost::json;

namespace {

bool isControl(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

Result<void> validateSipPassword(std::string_view secret, std::string_view field) {
  if (secret.empty() || secret.size() > kMaxSipPasswordLength) {
    return Error::invalid(std::string(field), fmt::format("{} must be 1 to {} characters", field,
                                                          kMaxSipPasswordLength));
  }
  for (unsigned char c : secret) {
    // Phones store it in config files and digest strings: printable ASCII only, no quotes.
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      return Error::invalid(std::string(field),
                            fmt::format("{} may contain printable ASCII without spaces, quotes "
                                        "or backslashes only",
                                        field));
    }
  }
  return Ok{};
}

void check(JsonReader& reader, const Result<void>& result) {
  if (!result) reader.fail(result.error().field, result.error().message);
}

std::optional<store::Roles> readRoles(JsonReader& reader, const json::value& value) {
  if (!value.is_array() || value.as_array().empty()) {
    reader.fail(reader.path("roles"),
                "roles must be a non-empty list of agent, supervisor, admin, handler");
    return std::nullopt;
  }
  store::Roles roles;
  for (const auto& item : value.as_array()) {
    std::optional<store::Role> role;
    if (item.is_string()) role = store::parseRole(item.as_string());
    if (!role) {
      reader.fail(reader.path("roles"),
                  fmt::format("unknown role {}; roles are agent, supervisor, admin, handler",
                              json::serialize(item)));
      return std::nullopt;
    }
    roles.add(*role);
  }
  return roles;
}

std::optional<SettingsPatch> readSettings(JsonReader& parent, const json::value& value) {
  if (!value.is_object()) {
    parent.fail(parent.path("settings"), "settings must be an object");
    return std::nullopt;
  }
  std::optional<Error> error;
  JsonReader reader(value.as_object(), parent.path("settings"), error);
  reader.onlyKnown({"auto_answer", "auto_ready_after_acw", "initial_state", "auto_record"});
  SettingsPatch patch;
  patch.autoAnswer = reader.boolean("auto_answer");
  patch.autoReadyAfterAcw = reader.boolean("auto_ready_after_acw");
  patch.autoRecord = reader.boolean("auto_record");
  if (auto state = reader.string("initial_state", false)) {
    patch.initialState = store::parseInitialAgentState(*state);
    if (!patch.initialState) {
      reader.fail(reader.path("initial_state"),
                  reader.path("initial_state") + " must be \"idle\" or \"busy\"");
    }
  }
  if (error) {
    parent.fail(error->field, error->message);
    return std::nullopt;
  }
  return patch;
}

std::optional<std::vector<SkillRef>> readSkills(JsonReader& parent, const json::value& value) {
  if (!value.is_array()) {
    parent.fail(parent.path("skill_groups"), "skill_groups must be a list");
    return std::nullopt;
  }
  std::vector<SkillRef> skills;
  std::size_t index = 0;
  for (const auto& item : value.as_array()) {
    std::string prefix = fmt::format("{}[{}]", parent.path("skill_groups"), index++);
    if (!item.is_object()) {
      parent.fail(prefix, fmt::format("{} must be an object with id or name, and level", prefix));
      return std::nullopt;
    }
    std::optional<Error> error;
    JsonReader reader(item.as_object(), prefix, error);
    reader.onlyKnown({"id", "name", "level"});
    SkillRef ref;
    ref.id = reader.integer("id", 1, INT64_MAX);
    ref.name = reader.string("name", false);
    if (auto level = reader.integer("level", store::kMinSkillLevel, store::kMaxSkillLevel)) {
      ref.level = static_cast<int>(*level);
    }
    if (!error && !ref.id && !ref.name) reader.fail(prefix, prefix + " needs an id or a name");
    if (error) {
      parent.fail(error->field, error->message);
      return std::nullopt;
    }
    skills.push_back(std::move(ref));
  }
  return skills;
}

}  // namespace

store::AgentSettings SettingsPatch::applyTo(store::AgentSettings s) const {
  if (autoAnswer) s.autoAnswer = *autoAnswer;
  if (autoReadyAfterAcw) s.autoReadyAfterAcw = *autoReadyAfterAcw;
  if (initialState) s.initialState = *initialState;
  if (autoRecord) s.autoRecord = *autoRecord;
  return s;
}

Result<void> validateUsername(std::string_view username, std::string_view field) {
  if (username.empty() || username.size() > kMaxUsernameLength) {
    return Error::invalid(std::string(field),
                          fmt::format("{} must be 1 to {} characters", field, kMaxUsernameLength));
  }
  for (char c : username) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Error::invalid(std::string(field),
                            fmt::format("{} may contain letters, digits, '.', '_' and '-' only "
                                        "(it is also the agent's SIP user name)",
                                        field));
    }
  }
  return Ok{};
}

Result<void> validatePassword(std::string_view password, const Policy& policy,
                              std::string_view field) {
  auto length = utf8Length(password);
  if (length < policy.minPasswordLength || password.size() > kMaxPasswordLength) {
    return Error::invalid(std::string(field),
                          fmt::format("{} must be {} to {} characters", field,
                                      policy.minPasswordLength, kMaxPasswordLength));
  }
  return Ok{};
}

Result<void> validateDisplayName(std::string_view name, std::string_view field) {
  auto length = utf8Length(name);
  if (length == 0 || length > kMaxNameLength) {
    return Error::invalid(std::string(field),
                          fmt::format("{} must be 1 to {} characters", field, kMaxNameLength));
  }
  for (unsigned char c : name) {
    if (isControl(c)) {
      return Error::invalid(std::string(field),
                            fmt::format("{} must not contain control characters", field));
    }
  }
  return Ok{};
}

Result<LoginRequest> decodeLogin(std::string_view body) {
  auto object = parseJsonObject(body);
  if (!object) return object.error();
  std::optional<Error> error;
  JsonReader reader(*object, "", error);
  reader.onlyKnown({"username", "password"});
  LoginRequest login;
  login.username = reader.string("username", true).value_or("");
  login.password = reader.string("password", true).value_or("");
  if (error) return *error;
  return login;
}

Result<PasswordChangeRequest> decodePasswordChange(std::string_view body, const Policy& policy) {
  auto object = parseJsonObject(body);
  if (!object) return object.error();
  std::optional<Error> error;
  JsonReader reader(*object, "", error);
  reader.onlyKnown({"old_password", "new_password", "confirm_password"});
  PasswordChangeRequest change;
  change.oldPassword = reader.string("old_password", true).value_or("");
  change.newPassword = reader.string("new_password", true).value_or("");
  auto confirm = reader.string("confirm_password", true);
  if (error) return *error;
  if (auto ok = validatePassword(change.newPassword, policy, "new_password"); !ok)
    return ok.error();
  if (*confirm != change.newPassword) {
    return Error::invalid("confirm_password", "confirm_password does not match new_password");
  }
  return change;
}

Result<UserCreateRequest> decodeUserCreate(std::string_view body, const Policy& policy) {
  auto object = parseJsonObject(body);
  if (!object) return object.error();
  std::optional<Error> error;
  JsonReader reader(*object, "", error);
  reader.onlyKnown(
      {"username", "name", "password", "sip_password", "roles", "settings", "skill_groups"});
  UserCreateRequest user;
  user.username = reader.string("username", true).value_or("");
  if (!error) check(reader, validateUsername(user.username));
  user.name = reader.string("name", false).value_or(user.username);
  if (!error) check(reader, validateDisplayName(user.name));
  user.password = reader.string("password", true).value_or("");
  if (!error) check(reader, validatePassword(user.password, policy));
  user.sipPassword = reader.string("sip_password", false);
  if (!error && user.sipPassword)
    check(reader, validateSipPassword(*user.sipPassword, "sip_password"));
  if (const auto* roles = reader.member("roles")) {
    if (auto r = readRoles(reader, *roles)) user.roles = *r;
  } else {
    user.roles = {store::Role::kAgent};
  }
  if (const auto* settings = reader.member("settings")) {
    if (auto s = readSettings(reader, *settings)) user.settings = *s;
  }
  if (const auto* skills = reader.member("skill_groups")) {
    if (auto s = readSkills(reader, *skills)) user.skills = std::move(*s);
  }
  if (error) return *error;
  return user;
}

Result<UserPatchRequest> decodeUserPatch(std::string_view body, const Policy& policy) {
  auto object = parseJsonObject(body);
  if (!object) return object.error();
  std::optional<Error> error;
  JsonReader reader(*object, "", error);
  reader.onlyKnown({"name", "password", "sip_password", "roles", "settings", "skill_groups"});
  UserPatchRequest patch;
  patch.name = reader.string("name", false);
  if (!error && patch.name) check(reader, validateDisplayName(*patch.name));
  patch.password = reader.string("password", false);
  if (!error && patch.password) check(reader, validatePassword(*patch.password, policy));
  patch.sipPassword = reader.string("sip_password", false);
  if (!error && patch.sipPassword)
    check(reader, validateSipPassword(*patch.sipPassword, "sip_password"));
  if (const auto* roles = reader.member("roles")) patch.roles = readRoles(reader, *roles);
  if (const auto* settings = reader.member("settings"))
    patch.settings = readSettings(reader, *settings);
  if (const auto* skills = reader.member("skill_groups"))
    patch.skills = readSkills(reader, *skills);
  if (error) return *error;
  return patch;
}

Result<AgentStateRequest> decodeAgentState(std::string_view body) {
  auto object = parseJsonObject(body);
  if (!object) return object.error();
  std::optional<Error> error;
  JsonReader reader(*object, "", error);
  reader.onlyKnown({"state", "reason"});
  AgentStateRequest request;
  request.state = reader.string("state", true).value_or("");
  request.reason = reader.string("reason", false).value_or("");
  if (!error && request.state != "idle" && request.state != "break" && request.state != "busy") {
    reader.fail("state", "state must be \"idle\", \"break\" or \"busy\"");
  }
  if (!error && request.reason.size() > 64)
    reader.fail("reason", "reason must be at most 64 characters");
  if (error) return *error;
  return request;
}

Result<SkillGroupCreateRequest> decodeSkillGroupCreate(std::string_view body) {
  auto object = parseJsonObject(body);
  if (!object) return object.error();
  std::optional<Error> error;
  JsonReader reader(*object, "", error);
  reader.onlyKnown({"name"});
  SkillGroupCreateRequest group;
  group.name = reader.string("name", true).value_or("");
  if (!error) check(reader, validateDisplayName(group.name));
  if (error) return *error;
  return group;
}

}  // namespace sb::api
