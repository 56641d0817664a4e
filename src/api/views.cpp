#include "api/views.hpp"

#include <boost/json.hpp>

namespace sb::api {

namespace json = boost::json;

json::object settingsView(const store::AgentSettings& s) {
  return {{"auto_answer", s.autoAnswer},
          {"auto_ready_after_acw", s.autoReadyAfterAcw},
          {"initial_state", store::initialAgentStateCode(s.initialState)},
          {"auto_record", s.autoRecord}};
}

json::object userView(const store::User& user, Secrets secrets) {
  json::array roles;
  for (auto role : user.roles.list())
    roles.emplace_back(store::roleCode(role));
  json::array skills;
  for (const auto& s : user.skills) {
    skills.push_back(json::object{{"id", s.groupId}, {"name", s.groupName}, {"level", s.level}});
  }
  json::object out{{"id", user.id},
                   {"username", user.username},
                   {"name", user.name},
                   {"roles", std::move(roles)},
                   {"skill_groups", std::move(skills)},
                   {"settings", settingsView(user.settings)},
                   {"created_at", formatIso8601(user.createdAt)},
                   {"updated_at", formatIso8601(user.updatedAt)}};
  if (secrets == Secrets::kShow) out["sip_password"] = user.sipPassword;
  return out;
}

json::object skillGroupView(const store::SkillGroup& group) {
  return {{"id", group.id},
          {"name", group.name},
          {"member_count", group.memberCount},
          {"created_at", formatIso8601(group.createdAt)}};
}

}  // namespace sb::api
