#include "api/views.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace sb::api {

namespace json = boost::json;

json::object settingsView(const store::AgentSettings& s) {
  return {{"auto_answer", s.autoAnswer},
          {"auto_ready_after_acw", s.autoReadyAfterAcw},
          {"initial_state", store::initialAgentStateCode(s.initialState)},
          {"auto_record", s.autoRecord},
          {"mobile_number", s.mobileNumber}};
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

namespace {

// Absent values are null rather than 0 or "".
json::value timeOrNull(store::UnixMillis t) {
  return t == 0 ? json::value(nullptr) : json::value(formatIso8601Millis(t));
}

json::value textOrNull(const std::string& text) {
  return text.empty() ? json::value(nullptr) : json::value(text);
}

json::object legView(const store::CallLegRecord& leg) {
  return {{"role", leg.role},
          {"party", leg.party},
          {"sip_call_id", leg.sipCallId},
          {"started_at", timeOrNull(leg.startedAt)},
          {"answered_at", timeOrNull(leg.answeredAt)},
          {"ended_at", timeOrNull(leg.endedAt)},
          {"sip_status", leg.sipStatus == 0 ? json::value(nullptr) : json::value(leg.sipStatus)},
          {"mos", leg.mos == 0 ? json::value(nullptr) : json::value(leg.mos)},
          {"packets_received", leg.packetsReceived},
          {"packets_lost", leg.packetsLost},
          {"jitter_ms", leg.jitterMs}};
}

}  // namespace

std::string formatIso8601Millis(store::UnixMillis t) {
  auto seconds = t / 1000;
  auto millis = t % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  auto text = formatIso8601(seconds);  // "...:SSZ"
  text.insert(text.size() - 1, fmt::format(".{:03}", millis));
  return text;
}

std::string callFileUrl(const std::string& callId, std::string_view file) {
  std::string encoded;
  for (unsigned char c : callId) {
    bool unreserved = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded += fmt::format("%{:02X}", c);
    }
  }
  return fmt::format("/api/v1/calls/{}/{}", encoded, file);
}

json::object callRecordView(const store::CallRecord& call, Legs legs) {
  json::object out{
      {"id", call.id},
      {"direction", store::callDirectionCode(call.direction)},
      {"caller", call.caller},
      {"called", call.called},
      {"did", textOrNull(call.did)},
      {"ivr_path", textOrNull(call.ivrPath)},
      {"group_id", call.groupId == 0 ? json::value(nullptr) : json::value(call.groupId)},
      {"group_name", call.groupId == 0 ? json::value(nullptr) : textOrNull(call.groupName)},
      {"agent", textOrNull(call.agent)},
      {"arrived_at", timeOrNull(call.arrivedAt)},
      {"queued_at", timeOrNull(call.queuedAt)},
      {"offered_at", timeOrNull(call.offeredAt)},
      {"answered_at", timeOrNull(call.answeredAt)},
      {"ended_at", timeOrNull(call.endedAt)},
      {"wait_ms", call.waitMs},
      {"ring_ms", call.ringMs},
      {"talk_ms", call.talkMs},
      {"hold_ms", call.holdMs},
      {"after_call_work_ms", call.afterCallWorkMs},
      {"end_reason", store::callEndReasonCode(call.endReason)},
      {"ended_by", textOrNull(call.endedBy)},
      {"recording_url", call.recording.empty() ? json::value(nullptr)
                                               : json::value(callFileUrl(call.id, "recording"))},
      {"voicemail_url", call.voicemail.empty() ? json::value(nullptr)
                                               : json::value(callFileUrl(call.id, "voicemail"))}};
  if (legs == Legs::kShow) {
    json::array list;
    for (const auto& leg : call.legs)
      list.push_back(legView(leg));
    out["legs"] = std::move(list);
  }
  return out;
}

json::object queueStatsView(const QueueStatsView& q) {
  return {{"group_id", q.groupId},
          {"group", q.group},
          {"waiting", q.waiting},
          {"longest_wait_seconds", q.longestWaitSeconds},
          {"agents", json::object{{"signed_in", q.agentsSignedIn},
                                  {"idle", q.agentsIdle},
                                  {"ringing", q.agentsRinging},
                                  {"talking", q.agentsTalking},
                                  {"after_call_work", q.agentsAfterCallWork},
                                  {"on_break", q.agentsOnBreak}}},
          {"answered", q.answered},
          {"answered_within_threshold", q.answeredWithinThreshold},
          {"abandoned", q.abandoned},
          {"overflowed", q.overflowed},
          {"service_level_threshold_seconds", q.serviceLevelThresholdSeconds},
          {"service_level_target", q.serviceLevelTarget},
          {"service_level", q.serviceLevel},
          {"average_speed_of_answer_seconds", q.averageSpeedOfAnswerSeconds},
          {"abandon_rate", q.abandonRate}};
}

}  // namespace sb::api
