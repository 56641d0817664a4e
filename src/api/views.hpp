#pragma once
// How stored objects look in API responses.

#include <string>

#include <boost/json/object.hpp>

#include "api/telephony.hpp"
#include "store/model.hpp"

namespace sb::api {

enum class Secrets { kHide, kShow };

// The user as JSON; the SIP password only with Secrets::kShow (the user's own view, an
// administrator looking at one user, and the answer to creating one).
boost::json::object userView(const store::User& user, Secrets secrets = Secrets::kHide);
boost::json::object settingsView(const store::AgentSettings& settings);
boost::json::object skillGroupView(const store::SkillGroup& group);

// "2026-11-21T09:00:00.250Z": call timestamps keep their milliseconds.
std::string formatIso8601Millis(store::UnixMillis t);

// A call record (通话记录); its legs only with Legs::kShow (the record on its own, not in lists).
enum class Legs { kHide, kShow };
boost::json::object callRecordView(const store::CallRecord& call, Legs legs = Legs::kHide);
// Where a call's files are downloaded: "/api/v1/calls/{id}/recording" and ".../voicemail".
std::string callFileUrl(const std::string& callId, std::string_view file);

boost::json::object queueStatsView(const QueueStatsView& queue);

}  // namespace sb::api
