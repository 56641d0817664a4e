#include "store/model.hpp"

namespace sb::store {

std::string_view roleCode(Role role) {
  switch (role) {
    case Role::kAgent:
      return "agent";
    case Role::kSupervisor:
      return "supervisor";
    case Role::kAdmin:
      return "admin";
    case Role::kHandler:
      return "handler";
  }
  return "agent";
}

std::optional<Role> parseRole(std::string_view code) {
  for (Role r : kAllRoles) {
    if (roleCode(r) == code) return r;
  }
  return std::nullopt;
}

std::vector<Role> Roles::list() const {
  std::vector<Role> out;
  for (Role r : kAllRoles) {
    if (has(r)) out.push_back(r);
  }
  return out;
}

std::string Roles::join() const {
  std::string out;
  for (Role r : list()) {
    if (!out.empty()) out += ',';
    out += roleCode(r);
  }
  return out;
}

std::optional<Roles> Roles::split(std::string_view joined) {
  Roles roles;
  while (!joined.empty()) {
    auto comma = joined.find(',');
    auto code = joined.substr(0, comma);
    auto role = parseRole(code);
    if (!role) return std::nullopt;
    roles.add(*role);
    if (comma == std::string_view::npos) break;
    joined.remove_prefix(comma + 1);
  }
  return roles;
}

std::string_view initialAgentStateCode(InitialAgentState state) {
  return state == InitialAgentState::kBusy ? "busy" : "idle";
}

std::optional<InitialAgentState> parseInitialAgentState(std::string_view code) {
  if (code == "idle") return InitialAgentState::kIdle;
  if (code == "busy") return InitialAgentState::kBusy;
  return std::nullopt;
}

std::string_view callEndReasonCode(CallEndReason reason) {
  switch (reason) {
    case CallEndReason::kNormal:
      return "normal";
    case CallEndReason::kUnanswered:
      return "unanswered";
    case CallEndReason::kRingAbandoned:
      return "ring_abandoned";
    case CallEndReason::kQueueAbandoned:
      return "queue_abandoned";
    case CallEndReason::kAfterHoursVoicemail:
      return "after_hours_voicemail";
    case CallEndReason::kVoicemail:
      return "voicemail";
    case CallEndReason::kFailed:
      return "failed";
  }
  return "failed";
}

std::optional<CallEndReason> parseCallEndReason(std::string_view code) {
  for (CallEndReason r : kAllCallEndReasons) {
    if (callEndReasonCode(r) == code) return r;
  }
  return std::nullopt;
}

std::string_view callDirectionCode(CallDirection direction) {
  switch (direction) {
    case CallDirection::kInbound:
      return "inbound";
    case CallDirection::kOutbound:
      return "outbound";
    case CallDirection::kInternal:
      return "internal";
  }
  return "inbound";
}

std::optional<CallDirection> parseCallDirection(std::string_view code) {
  for (CallDirection d :
       {CallDirection::kInbound, CallDirection::kOutbound, CallDirection::kInternal}) {
    if (callDirectionCode(d) == code) return d;
  }
  return std::nullopt;
}

}  // namespace sb::store
