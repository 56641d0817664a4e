#include "api/requests.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/json_reader.hpp"
#include "core/logging.hpp"
#include "core/text.hpp"

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

// A number the outbound trunk can dial: digits with an optional leading "+" (E.164 or local).
bool isDialable(std::string_view number) {
  if (!number.empty() && number.front() == '+') number.remove_prefix(1);
  return number.size() >= 3 && number.size() <= kMaxPhoneNumberLength &&
         std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; });
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
  reader.onlyKnown(
      {"auto_answer", "auto_ready_after_acw", "initial_state", "auto_record", "mobile_number"});
  SettingsPatch patch;
  patch.autoAnswer = reader.boolean("auto_answer");
  patch.autoReadyAfterAcw = reader.boolean("auto_ready_after_acw");
  patch.autoRecord = reader.boolean("auto_record");
  patch.mobileNumber = reader.string("mobile_number", false);
  if (patch.mobileNumber && !patch.mobileNumber->empty() && !isDialable(*patch.mobileNumber)) {
    reader.fail(reader.path("mobile_number"),
                fmt::format("{} must be 3 to {} digits, with an optional leading +, or \"\" for "
                            "none",
                            reader.path("mobile_number"), kMaxPhoneNumberLength));
  }
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
  if (mobileNumber) s.mobileNumber = *mobileNumber;
  return s;
}

Result<std::vector<std::pair<std::string, std::string>>> decodeQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  auto decode = [](std::string_view text) -> std::optional<std::string> {
    std::string plus(text);
    for (char& c : plus) {
      if (c == '+') c = ' ';
    }
    auto decoded = percentDecode(plus);
    if (!decoded || decoded->find('\0') != std::string::npos) return std::nullopt;
    return decoded;
  };
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = decode(pair.substr(0, eq));
    if (!key) return Error::invalid("query", "the query string has a malformed parameter name");
    std::string value;
    if (eq != std::string_view::npos) {
      auto decoded = decode(pair.substr(eq + 1));
      if (!decoded) return Error::invalid(*key, fmt::format("{} is malformed", *key));
      value = std::move(*decoded);
    }
    out.emplace_back(std::move(*key), std::move(value));
  }
  return out;
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned daysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Reads exactly `count` digits at `pos`, advancing it.
std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += count;
  return value;
}

bool allDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<store::UnixMillis> parseTimestamp(std::string_view text) {
  if (allDigits(text)) {
    if (text.size() > 12) return std::nullopt;  // past the year 33000
    return std::stoll(std::string(text)) * 1000;
  }
  std::size_t pos = 0;
  auto expect = [&](char c) {
    if (pos >= text.size() || text[pos] != c) return false;
    ++pos;
    return true;
  };
  auto year = digits(text, pos, 4);
  if (!year || !expect('-')) return std::nullopt;
  auto month = digits(text, pos, 2);
  if (!month || *month < 1 || *month > 12 || !expect('-')) return std::nullopt;
  auto day = digits(text, pos, 2);
  if (!day || *day < 1 || static_cast<unsigned>(*day) > daysInMonth(*year, *month)) {
    return std::nullopt;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return std::nullopt;
  ++pos;
  auto hour = digits(text, pos, 2);
  if (!hour || *hour > 23 || !expect(':')) return std::nullopt;
  auto minute = digits(text, pos, 2);
  if (!minute || *minute > 59) return std::nullopt;
  int second = 0;
  int millis = 0;
  if (expect(':')) {
    auto s = digits(text, pos, 2);
    if (!s || *s > 59) return std::nullopt;
    second = *s;
    if (expect('.') || expect(',')) {
      std::size_t start = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (pos - start < 3) millis = millis * 10 + (text[pos] - '0');
        ++pos;
      }
      if (pos == start || pos - start > 9) return std::nullopt;
      for (std::size_t n = pos - start; n < 3; ++n)
        millis *= 10;
    }
  }
  // The zone is required: a time without one would mean different instants to different people.
  if (pos >= text.size()) return std::nullopt;
  int offsetMinutes = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-' || text[pos] == ' ') {
    // ' ': an unescaped '+' in a query string arrives as a space.
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    auto oh = digits(text, pos, 2);
    if (!oh || *oh > 23) return std::nullopt;
    int om = 0;
    if (pos < text.size()) {
      expect(':');
      auto m = digits(text, pos, 2);
      if (!m || *m > 59) return std::nullopt;
      om = *m;
    }
    offsetMinutes = sign * (*oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  std::int64_t seconds =
      daysFromCivil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) * 86400 +
      *hour * 3600 + *minute * 60 + second - offsetMinutes * 60;
  return seconds * 1000 + millis;
}

Result<store::CallFilter> decodeCallQuery(std::string_view query) {
  auto params = decodeQuery(query);
  if (!params) return params.error();
  store::CallFilter filter;
  filter.limit = kDefaultCallListLimit;
  std::vector<std::string_view> seen;
  for (const auto& param : *params) {
    const std::string& key = param.first;
    const std::string& value = param.second;
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return Error::invalid(key, fmt::format("{} is given more than once", key));
    }
    seen.push_back(key);
    auto count = [&](std::size_t min, std::size_t max) -> std::optional<std::size_t> {
      if (!allDigits(value) || value.size() > 18) return std::nullopt;
      auto n = static_cast<std::size_t>(std::stoll(value));
      if (n < min || n > max) return std::nullopt;
      return n;
    };
    if (key == "from" || key == "to") {
      auto at = parseTimestamp(value);
      if (!at) {
        return Error::invalid(key, fmt::format("{} must be an ISO 8601 time with a zone "
                                               "(2026-11-21T09:00:00Z) or Unix seconds",
                                               key));
      }
      (key == "from" ? filter.from : filter.to) = *at;
    } else if (key == "agent") {
      if (auto ok = validateUsername(value, "agent"); !ok) return ok.error();
      filter.agent = value;
    } else if (key == "number") {
      if (value.empty() || value.size() > kMaxNumberLength) {
        return Error::invalid("number",
                              fmt::format("number must be 1 to {} characters", kMaxNumberLength));
      }
      filter.number = value;
    } else if (key == "end_reason") {
      filter.endReason = store::parseCallEndReason(value);
      if (!filter.endReason) {
        std::string codes;
        for (auto reason : store::kAllCallEndReasons) {
          if (!codes.empty()) codes += ", ";
          codes += store::callEndReasonCode(reason);
        }
        return Error::invalid("end_reason", fmt::format("end_reason must be one of {}", codes));
      }
    } else if (key == "limit") {
      auto n = count(1, kMaxCallListLimit);
      if (!n) {
        return Error::invalid(
            "limit", fmt::format("limit must be a whole number from 1 to {}", kMaxCallListLimit));
      }
      filter.limit = *n;
    } else if (key == "offset") {
      auto n = count(0, static_cast<std::size_t>(INT64_MAX));
      if (!n) return Error::invalid("offset", "offset must be a whole number from 0");
      filter.offset = *n;
    } else {
      return Error::invalid(
          key.substr(0, 64),
          fmt::format("unknown parameter {}; the parameters are from, to, agent, number, "
                      "end_reason, limit and offset",
                      loggable(key)));
    }
  }
  if (filter.from && filter.to && *filter.to <= *filter.from) {
    return Error::invalid("to", "to must be after from");
  }
  return filter;
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
  reader.onlyKnown({"state", "reason", "number"});
  AgentStateRequest request;
  request.state = reader.string("state", true).value_or("");
  request.reason = reader.string("reason", false).value_or("");
  request.number = reader.string("number", false).value_or("");
  if (!error && request.state != "idle" && request.state != "break" && request.state != "busy" &&
      request.state != "mobile") {
    reader.fail("state", "state must be \"idle\", \"break\", \"busy\" or \"mobile\"");
  }
  if (!error && !request.number.empty() && request.state != "mobile")
    reader.fail("number", "number is only for state \"mobile\"");
  if (!error && !request.number.empty() && !isDialable(request.number)) {
    reader.fail("number", fmt::format("number must be 3 to {} digits, with an optional leading +",
                                      kMaxPhoneNumberLength));
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
