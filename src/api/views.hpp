#pragma once
// How stored objects look in API responses.

#include <boost/json/object.hpp>

#include "store/model.hpp"

namespace sb::api {

enum class Secrets { kHide, kShow };

// The user as JSON; the SIP password only with Secrets::kShow (the user's own view, an
// administrator looking at one user, and the answer to creating one).
boost::json::object userView(const store::User& user, Secrets secrets = Secrets::kHide);
boost::json::object settingsView(const store::AgentSettings& settings);
boost::json::object skillGroupView(const store::SkillGroup& group);

}  // namespace sb::api
