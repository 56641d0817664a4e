#include "acd/agent_state.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/logging.hpp"

namespace sb::acd {

namespace {

template <typename E, std::size_t N>
std::optional<E> parseCode(std::string_view code, const E (&all)[N], std::string_view (*name)(E)) {
  for (E e : all)
    if (name(e) == code) return e;
  return std::nullopt;
}

using P = AgentPhase;
using Ev = AgentEventType;
using G = AgentGuard;
using S = StatusChange;
using A = AgentAction;
using As = AgentActions;

// clang-format off
constexpr AgentTransition kTable[] = {
    // Signed out: only signing in; the phone's registration is tracked all the time.
    {P::kSignedOut, Ev::kSignIn,            G::kAlways, P::kReady,     S::kInitial, As()},
    {P::kSignedOut, Ev::kPhoneRegistered,   G::kAlways, P::kSignedOut, S::kKeep,    As(A::kMarkPhoneRegistered)},
    {P::kSignedOut, Ev::kPhoneUnregistered, G::kAlways, P::kSignedOut, S::kKeep,    As(A::kMarkPhoneUnregistered)},

    // Ready (signed in, no call): status changes at once; offered only when available.
    {P::kReady, Ev::kSignOut,           G::kAlways,    P::kSignedOut, S::kSignOut,   As()},
    {P::kReady, Ev::kSetIdle,           G::kAlways,    P::kReady,     S::kRequested, As()},
    {P::kReady, Ev::kSetBreak,          G::kAlways,    P::kReady,     S::kRequested, As()},
    {P::kReady, Ev::kSetBusy,           G::kAlways,    P::kReady,     S::kRequested, As()},
    {P::kReady, Ev::kSetMobile,         G::kAlways,    P::kReady,     S::kRequested, As()},
    {P::kReady, Ev::kOffer,             G::kAvailable, P::kOffering,  S::kKeep,      As(A::kStartRingTimer)},
    {P::kReady, Ev::kPhoneRegistered,   G::kAlways,    P::kReady,     S::kKeep,      As(A::kMarkPhoneRegistered)},
    {P::kReady, Ev::kPhoneUnregistered, G::kAlways,    P::kReady,     S::kKeep,      As(A::kMarkPhoneUnregistered)},
    {P::kReady, Ev::kReset,             G::kAlways,    P::kReady,     S::kInitial,   As()},

    // Offering: the call is reserved for the agent, the phone has not rung yet.
    {P::kOffering, Ev::kSignOut,           G::kAlways, P::kOffering, S::kDefer,     As()},
    {P::kOffering, Ev::kSetIdle,           G::kAlways, P::kOffering, S::kDefer,     As()},
    {P::kOffering, Ev::kSetBreak,          G::kAlways, P::kOffering, S::kDefer,     As()},
    {P::kOffering, Ev::kSetBusy,           G::kAlways, P::kOffering, S::kDefer,     As()},
    {P::kOffering, Ev::kSetMobile,         G::kAlways, P::kOffering, S::kDefer,     As()},
    {P::kOffering, Ev::kPhoneRinging,      G::kAlways, P::kRinging,  S::kKeep,      As(A::kStartRingTimer)},
    {P::kOffering, Ev::kAnswered,          G::kAlways, P::kTalking,  S::kKeep,      As(A::kCancelRingTimer)},
    {P::kOffering, Ev::kCallEnded,         G::kAlways, P::kReady,    S::kKeep,      As(A::kCancelRingTimer, A::kApplyDeferred)},
    {P::kOffering, Ev::kRingNoAnswer,      G::kAlways, P::kReady,    S::kAutoBreak, As(A::kCancelRingTimer, A::kWithdrawOffer, A::kRequeueCall, A::kApplyDeferred)},
    {P::kOffering, Ev::kRejected,          G::kAlways, P::kReady,    S::kAutoBreak, As(A::kCancelRingTimer, A::kRequeueCall, A::kApplyDeferred)},
    {P::kOffering, Ev::kOfferFailed,       G::kAlways, P::kReady,    S::kAutoBreak, As(A::kCancelRingTimer, A::kRequeueCall, A::kApplyDeferred)},
    {P::kOffering, Ev::kPhoneRegistered,   G::kAlways, P::kOffering, S::kKeep,      As(A::kMarkPhoneRegistered)},
    {P::kOffering, Ev::kPhoneUnregistered, G::kAlways, P::kOffering, S::kKeep,      As(A::kMarkPhoneUnregistered)},
    {P::kOffering, Ev::kReset,             G::kAlways, P::kReady,    S::kInitial,   As(A::kCancelRingTimer, A::kWithdrawOffer, A::kRequeueCall)},

    // Ringing: as offering; a second 18x changes nothing.
    {P::kRinging, Ev::kSignOut,           G::kAlways, P::kRinging, S::kDefer,     As()},
    {P::kRinging, Ev::kSetIdle,           G::kAlways, P::kRinging, S::kDefer,     As()},
    {P::kRinging, Ev::kSetBreak,          G::kAlways, P::kRinging, S::kDefer,     As()},
    {P::kRinging, Ev::kSetBusy,           G::kAlways, P::kRinging, S::kDefer,     As()},
    {P::kRinging, Ev::kSetMobile,         G::kAlways, P::kRinging, S::kDefer,     As()},
    {P::kRinging, Ev::kPhoneRinging,      G::kAlways, P::kRinging, S::kKeep,      As()},
    {P::kRinging, Ev::kAnswered,          G::kAlways, P::kTalking, S::kKeep,      As(A::kCancelRingTimer)},
    {P::kRinging, Ev::kCallEnded,         G::kAlways, P::kReady,   S::kKeep,      As(A::kCancelRingTimer, A::kApplyDeferred)},
    {P::kRinging, Ev::kRingNoAnswer,      G::kAlways, P::kReady,   S::kAutoBreak, As(A::kCancelRingTimer, A::kWithdrawOffer, A::kRequeueCall, A::kApplyDeferred)},
    {P::kRinging, Ev::kRejected,          G::kAlways, P::kReady,   S::kAutoBreak, As(A::kCancelRingTimer, A::kRequeueCall, A::kApplyDeferred)},
    {P::kRinging, Ev::kOfferFailed,       G::kAlways, P::kReady,   S::kAutoBreak, As(A::kCancelRingTimer, A::kRequeueCall, A::kApplyDeferred)},
    {P::kRinging, Ev::kPhoneRegistered,   G::kAlways, P::kRinging, S::kKeep,      As(A::kMarkPhoneRegistered)},
    {P::kRinging, Ev::kPhoneUnregistered, G::kAlways, P::kRinging, S::kKeep,      As(A::kMarkPhoneUnregistered)},
    {P::kRinging, Ev::kReset,             G::kAlways, P::kReady,   S::kInitial,   As(A::kCancelRingTimer, A::kWithdrawOffer, A::kRequeueCall)},

    // Talking.
    {P::kTalking, Ev::kSignOut,           G::kAlways,               P::kTalking,       S::kDefer,   As()},
    {P::kTalking, Ev::kSetIdle,           G::kAlways,               P::kTalking,       S::kDefer,   As()},
    {P::kTalking, Ev::kSetBreak,          G::kAlways,               P::kTalking,       S::kDefer,   As()},
    {P::kTalking, Ev::kSetBusy,           G::kAlways,               P::kTalking,       S::kDefer,   As()},
    {P::kTalking, Ev::kSetMobile,         G::kAlways,               P::kTalking,       S::kDefer,   As()},
    {P::kTalking, Ev::kHold,              G::kAlways,               P::kOnHold,        S::kKeep,    As()},
    {P::kTalking, Ev::kCallEnded,         G::kWithAfterCallWork,    P::kAfterCallWork, S::kKeep,    As(A::kStartAcwTimer, A::kApplyDeferred)},
    {P::kTalking, Ev::kCallEnded,         G::kWithoutAfterCallWork, P::kReady,         S::kKeep,    As(A::kApplyDeferred)},
    {P::kTalking, Ev::kPhoneRegistered,   G::kAlways,               P::kTalking,       S::kKeep,    As(A::kMarkPhoneRegistered)},
    {P::kTalking, Ev::kPhoneUnregistered, G::kAlways,               P::kTalking,       S::kKeep,    As(A::kMarkPhoneUnregistered)},
    {P::kTalking, Ev::kReset,             G::kAlways,               P::kReady,         S::kInitial, As(A::kHangUpCall)},

    // On hold.
    {P::kOnHold, Ev::kSignOut,           G::kAlways,               P::kOnHold,        S::kDefer,   As()},
    {P::kOnHold, Ev::kSetIdle,           G::kAlways,               P::kOnHold,        S::kDefer,   As()},
    {P::kOnHold, Ev::kSetBreak,          G::kAlways,               P::kOnHold,        S::kDefer,   As()},
    {P::kOnHold, Ev::kSetBusy,           G::kAlways,               P::kOnHold,        S::kDefer,   As()},
    {P::kOnHold, Ev::kSetMobile,         G::kAlways,               P::kOnHold,        S::kDefer,   As()},
    {P::kOnHold, Ev::kUnhold,            G::kAlways,               P::kTalking,       S::kKeep,    As()},
    {P::kOnHold, Ev::kCallEnded,         G::kWithAfterCallWork,    P::kAfterCallWork, S::kKeep,    As(A::kStartAcwTimer, A::kApplyDeferred)},
    {P::kOnHold, Ev::kCallEnded,         G::kWithoutAfterCallWork, P::kReady,         S::kKeep,    As(A::kApplyDeferred)},
    {P::kOnHold, Ev::kPhoneRegistered,   G::kAlways,               P::kOnHold,        S::kKeep,    As(A::kMarkPhoneRegistered)},
    {P::kOnHold, Ev::kPhoneUnregistered, G::kAlways,               P::kOnHold,        S::kKeep,    As(A::kMarkPhoneUnregistered)},
    {P::kOnHold, Ev::kReset,             G::kAlways,               P::kReady,         S::kInitial, As(A::kHangUpCall)},

    // After-call work: no calls offered; the status changes at once, the wrap-up goes on.
    {P::kAfterCallWork, Ev::kSignOut,              G::kAlways, P::kSignedOut,     S::kSignOut,         As(A::kCancelAcwTimer)},
    {P::kAfterCallWork, Ev::kSetIdle,              G::kAlways, P::kAfterCallWork, S::kRequested,       As()},
    {P::kAfterCallWork, Ev::kSetBreak,             G::kAlways, P::kAfterCallWork, S::kRequested,       As()},
    {P::kAfterCallWork, Ev::kSetBusy,              G::kAlways, P::kAfterCallWork, S::kRequested,       As()},
    {P::kAfterCallWork, Ev::kSetMobile,            G::kAlways, P::kAfterCallWork, S::kRequested,       As()},
    {P::kAfterCallWork, Ev::kAfterCallWorkDone,    G::kAlways, P::kReady,         S::kKeep,            As(A::kCancelAcwTimer)},
    {P::kAfterCallWork, Ev::kAfterCallWorkTimeout, G::kAlways, P::kReady,         S::kAfterAcwTimeout, As(A::kCancelAcwTimer)},
    {P::kAfterCallWork, Ev::kPhoneRegistered,      G::kAlways, P::kAfterCallWork, S::kKeep,            As(A::kMarkPhoneRegistered)},
    {P::kAfterCallWork, Ev::kPhoneUnregistered,    G::kAlways, P::kAfterCallWork, S::kKeep,            As(A::kMarkPhoneUnregistered)},
    {P::kAfterCallWork, Ev::kReset,                G::kAlways, P::kReady,         S::kInitial,         As(A::kCancelAcwTimer)},
};
// clang-format on

// At most one row per (phase, event) in any configuration: a kAlways row stands alone, and
// guarded rows never repeat a guard.
constexpr bool tableIsDeterministic() {
  for (const auto& a : kTable) {
    for (const auto& b : kTable) {
      if (&a == &b || a.from != b.from || a.event != b.event) continue;
      if (a.guard == b.guard || a.guard == G::kAlways || b.guard == G::kAlways) return false;
    }
  }
  return true;
}
static_assert(tableIsDeterministic(), "two agent-state rows match the same phase and event");

// Signed out is a phase of its own: every row into it signs out and every row out of it signs in.
constexpr bool signedOutIsConsistent() {
  for (const auto& r : kTable) {
    bool into = r.to == P::kSignedOut && r.from != P::kSignedOut;
    bool outOf = r.from == P::kSignedOut && r.to != P::kSignedOut;
    if (into != (r.status == S::kSignOut)) return false;
    if (outOf != (r.status == S::kInitial && r.from == P::kSignedOut)) return false;
  }
  return true;
}
static_assert(signedOutIsConsistent(), "a row enters or leaves signed out without signing");

bool hasCall(AgentPhase phase) {
  return phase == P::kOffering || phase == P::kRinging || phase == P::kTalking ||
         phase == P::kOnHold;
}

bool isOfferedStatus(AgentStatus s) {
  return s == AgentStatus::kIdle || s == AgentStatus::kMobile;
}

}  // namespace

// --- codes -------------------------------------------------------------------------------------

std::string_view agentStatusCode(AgentStatus status) {
  switch (status) {
    case AgentStatus::kSignedOut:
      return "signed_out";
    case AgentStatus::kIdle:
      return "idle";
    case AgentStatus::kBreak:
      return "break";
    case AgentStatus::kBusy:
      return "busy";
    case AgentStatus::kMobile:
      return "mobile";
  }
  return "unknown";
}

std::optional<AgentStatus> parseAgentStatus(std::string_view code) {
  return parseCode(code, kAllAgentStatuses, agentStatusCode);
}

std::string_view agentActivityCode(AgentActivity activity) {
  switch (activity) {
    case AgentActivity::kNone:
      return "none";
    case AgentActivity::kOffering:
      return "offering";
    case AgentActivity::kRinging:
      return "ringing";
    case AgentActivity::kTalking:
      return "talking";
    case AgentActivity::kOnHold:
      return "on_hold";
    case AgentActivity::kAfterCallWork:
      return "acw";
  }
  return "unknown";
}

std::optional<AgentActivity> parseAgentActivity(std::string_view code) {
  return parseCode(code, kAllAgentActivities, agentActivityCode);
}

std::string_view agentPhaseCode(AgentPhase phase) {
  switch (phase) {
    case P::kSignedOut:
      return "signed_out";
    case P::kReady:
      return "ready";
    case P::kOffering:
      return "offering";
    case P::kRinging:
      return "ringing";
    case P::kTalking:
      return "talking";
    case P::kOnHold:
      return "on_hold";
    case P::kAfterCallWork:
      return "acw";
  }
  return "unknown";
}

std::optional<AgentPhase> parseAgentPhase(std::string_view code) {
  return parseCode(code, kAllAgentPhases, agentPhaseCode);
}

AgentActivity activityOf(AgentPhase phase) {
  switch (phase) {
    case P::kSignedOut:
    case P::kReady:
      return AgentActivity::kNone;
    case P::kOffering:
      return AgentActivity::kOffering;
    case P::kRinging:
      return AgentActivity::kRinging;
    case P::kTalking:
      return AgentActivity::kTalking;
    case P::kOnHold:
      return AgentActivity::kOnHold;
    case P::kAfterCallWork:
      return AgentActivity::kAfterCallWork;
  }
  return AgentActivity::kNone;
}

std::string_view agentEventCode(AgentEventType type) {
  switch (type) {
    case Ev::kSignIn:
      return "sign_in";
    case Ev::kSignOut:
      return "sign_out";
    case Ev::kSetIdle:
      return "set_idle";
    case Ev::kSetBreak:
      return "set_break";
    case Ev::kSetBusy:
      return "set_busy";
    case Ev::kSetMobile:
      return "set_mobile";
    case Ev::kOffer:
      return "offer";
    case Ev::kPhoneRinging:
      return "phone_ringing";
    case Ev::kAnswered:
      return "answered";
    case Ev::kHold:
      return "hold";
    case Ev::kUnhold:
      return "unhold";
    case Ev::kCallEnded:
      return "call_ended";
    case Ev::kRingNoAnswer:
      return "ring_no_answer";
    case Ev::kRejected:
      return "rejected";
    case Ev::kOfferFailed:
      return "offer_failed";
    case Ev::kAfterCallWorkDone:
      return "acw_done";
    case Ev::kAfterCallWorkTimeout:
      return "acw_timeout";
    case Ev::kPhoneUnregistered:
      return "phone_unregistered";
    case Ev::kPhoneRegistered:
      return "phone_registered";
    case Ev::kReset:
      return "reset";
  }
  return "unknown";
}

std::optional<AgentEventType> parseAgentEventType(std::string_view code) {
  return parseCode(code, kAllAgentEventTypes, agentEventCode);
}

bool isUserRequest(AgentEventType type) {
  switch (type) {
    case Ev::kSignIn:
    case Ev::kSignOut:
    case Ev::kSetIdle:
    case Ev::kSetBreak:
    case Ev::kSetBusy:
    case Ev::kSetMobile:
    case Ev::kAfterCallWorkDone:
    case Ev::kReset:
      return true;
    default:
      return false;
  }
}

bool isCallEvent(AgentEventType type) {
  switch (type) {
    case Ev::kOffer:
    case Ev::kPhoneRinging:
    case Ev::kAnswered:
    case Ev::kHold:
    case Ev::kUnhold:
    case Ev::kCallEnded:
    case Ev::kRingNoAnswer:
    case Ev::kRejected:
    case Ev::kOfferFailed:
      return true;
    default:
      return false;
  }
}

std::optional<AgentStatus> requestedStatusOf(AgentEventType type) {
  switch (type) {
    case Ev::kSignOut:
      return AgentStatus::kSignedOut;
    case Ev::kSetIdle:
      return AgentStatus::kIdle;
    case Ev::kSetBreak:
      return AgentStatus::kBreak;
    case Ev::kSetBusy:
      return AgentStatus::kBusy;
    case Ev::kSetMobile:
      return AgentStatus::kMobile;
    default:
      return std::nullopt;
  }
}

std::string_view agentActionCode(AgentAction action) {
  switch (action) {
    case A::kCancelRingTimer:
      return "cancel_ring_timer";
    case A::kCancelAcwTimer:
      return "cancel_acw_timer";
    case A::kStartRingTimer:
      return "start_ring_timer";
    case A::kStartAcwTimer:
      return "start_acw_timer";
    case A::kMarkPhoneRegistered:
      return "mark_phone_registered";
    case A::kMarkPhoneUnregistered:
      return "mark_phone_unregistered";
    case A::kWithdrawOffer:
      return "withdraw_offer";
    case A::kRequeueCall:
      return "requeue_call";
    case A::kHangUpCall:
      return "hang_up_call";
    case A::kApplyDeferred:
      return "apply_deferred";
  }
  return "unknown";
}

bool isCallControlAction(AgentAction action) {
  return action == A::kWithdrawOffer || action == A::kRequeueCall || action == A::kHangUpCall;
}

std::vector<AgentAction> AgentActions::list() const {
  std::vector<AgentAction> out;
  for (AgentAction a : kAllAgentActions)
    if (has(a)) out.push_back(a);
  return out;
}

std::string_view agentGuardCode(AgentGuard guard) {
  switch (guard) {
    case G::kAlways:
      return "always";
    case G::kAvailable:
      return "available";
    case G::kWithAfterCallWork:
      return "with_acw";
    case G::kWithoutAfterCallWork:
      return "without_acw";
  }
  return "unknown";
}

std::string_view statusChangeCode(StatusChange change) {
  switch (change) {
    case S::kKeep:
      return "keep";
    case S::kInitial:
      return "initial";
    case S::kRequested:
      return "requested";
    case S::kDefer:
      return "defer";
    case S::kAutoBreak:
      return "auto_break";
    case S::kSignOut:
      return "sign_out";
    case S::kAfterAcwTimeout:
      return "after_acw_timeout";
  }
  return "unknown";
}

std::span<const AgentTransition> agentTransitions() {
  return kTable;
}

std::string agentTransitionName(const AgentTransition& row) {
  std::string name = fmt::format("{} {}", agentPhaseCode(row.from), agentEventCode(row.event));
  if (row.guard != G::kAlways) name += fmt::format(" [{}]", agentGuardCode(row.guard));
  name += fmt::format(" -> {}", agentPhaseCode(row.to));
  return name;
}

Result<void> validateAgentStateConfig(const AgentStateConfig& config) {
  if (config.initialStatus != AgentStatus::kIdle && config.initialStatus != AgentStatus::kBusy)
    return Error::invalid("initial_status", "must be idle or busy");
  if (config.ringTimeout <= std::chrono::seconds::zero())
    return Error::invalid("ring_timeout", "must be positive");
  if (config.afterCallWork < std::chrono::seconds::zero())
    return Error::invalid("after_call_work", "must not be negative");
  return Ok{};
}

// --- the machine -------------------------------------------------------------------------------

AgentStateMachine::AgentStateMachine(std::string agentId, AgentStateConfig config,
                                     const Clock& clock, Timers& timers)
    : agentId_(std::move(agentId)),
      config_(std::move(config)),
      clock_(clock),
      timers_(timers),
      since_(clock.now()) {
  if (auto valid = validateAgentStateConfig(config_); !valid) {
    SB_BUG(fmt::format("agent state config: {} {}", valid.error().field, valid.error().message));
    config_.initialStatus = AgentStatus::kIdle;
  }
}

AgentStateMachine::~AgentStateMachine() {
  cancelTimer(ringTimer_);
  cancelTimer(acwTimer_);
}

bool AgentStateMachine::available() const {
  return phase_ == P::kReady &&
         ((status_ == AgentStatus::kIdle && phoneRegistered_) || status_ == AgentStatus::kMobile);
}

std::optional<AgentStatus> AgentStateMachine::requestedStatus() const {
  if (!deferred_) return std::nullopt;
  return requestedStatusOf(deferred_->type);
}

std::chrono::seconds AgentStateMachine::timeInState() const {
  return std::chrono::seconds(std::max<UnixSeconds>(0, clock_.now() - since_));
}

AgentView AgentStateMachine::view() const {
  AgentView v;
  v.status = status_;
  v.activity = activity();
  v.breakReason = breakReason_;
  v.requestedStatus = requestedStatus();
  if (deferred_ && deferred_->type == Ev::kSetBreak) v.requestedReason = deferred_->reason;
  v.phoneRegistered = phoneRegistered_;
  v.available = available();
  v.callId = callId_;
  v.since = since_;
  return v;
}

bool AgentStateMachine::guardHolds(AgentGuard guard) const {
  switch (guard) {
    case G::kAlways:
      return true;
    case G::kAvailable:
      return available();
    case G::kWithAfterCallWork:
      return config_.afterCallWork > std::chrono::seconds::zero();
    case G::kWithoutAfterCallWork:
      return config_.afterCallWork == std::chrono::seconds::zero();
  }
  return false;
}

Result<AgentOutcome> AgentStateMachine::handle(const AgentEvent& event) {
  auto outcome = run(event);
  if (!outcome.ok()) return outcome;
  // A row that ends the call replays the deferred request (SignOut, SetBusy...) through the
  // table as its own event, so the listener sees it as the agent's change.
  if (pendingReplay_) {
    pendingReplay_ = false;
    if (deferred_) {
      AgentEvent request = std::move(*deferred_);
      deferred_.reset();
      auto replay = run(request);
      if (!replay.ok()) {
        SB_BUG(fmt::format("agent={} deferred {} refused in {}", agentId_,
                           agentEventCode(request.type), agentPhaseCode(phase_)));
      } else {
        for (AgentAction a : replay->actions)
          outcome->actions.push_back(a);
      }
    }
  }
  return outcome;
}

Result<AgentOutcome> AgentStateMachine::run(const AgentEvent& event) {
  auto describe = [&] {
    return fmt::format("agent={} event={} phase={} status={}", loggable(agentId_),
                       agentEventCode(event.type), agentPhaseCode(phase_),
                       agentStatusCode(status_));
  };
  auto bug = [&](std::string what) -> Result<AgentOutcome> {
    std::string message = fmt::format("agent state: {} ({})", what, describe());
    SB_BUG(message);
    return Error{ErrorCode::kInternal, std::move(message), {}};
  };

  if (isCallEvent(event.type)) {
    if (event.callId.empty()) return bug("call event without a call id");
    if (event.type != Ev::kOffer && event.callId != callId_) {
      if (event.callId == lastCallId_) {
        spdlog::debug("agent state: stale call={} {}", loggable(event.callId), describe());
        return Error::conflict(fmt::format("the agent has left call {}", loggable(event.callId)));
      }
      return bug(fmt::format("event for call {}, the agent's call is '{}'", loggable(event.callId),
                             loggable(callId_)));
    }
    if (event.type == Ev::kRejected && event.sipStatus != 486 && event.sipStatus != 600 &&
        event.sipStatus != 603)
      return bug(fmt::format("rejected with {}: not 486/600/603", event.sipStatus));
  }

  const AgentTransition* row = nullptr;
  for (const auto& r : kTable) {
    if (r.from == phase_ && r.event == event.type && guardHolds(r.guard)) {
      row = &r;
      break;
    }
  }
  if (!row) {
    if (isUserRequest(event.type)) {
      spdlog::debug("agent state: refused {}", describe());
      return Error::conflict(
          fmt::format("cannot {} while {}", agentEventCode(event.type), agentPhaseCode(phase_)));
    }
    return bug("no transition");
  }

  AgentView before = view();
  AgentOutcome outcome;
  outcome.callId = callId_.empty() ? event.callId : callId_;

  applyStatus(row->status, event);
  outcome.deferred = row->status == S::kDefer && deferred_.has_value();
  if (row->to != phase_) {
    if (row->to == P::kOffering && !hasCall(phase_)) callId_ = event.callId;
    if (hasCall(phase_) && !hasCall(row->to)) {
      lastCallId_ = std::move(callId_);
      callId_.clear();
    }
    phase_ = row->to;
  }
  if (status_ != before.status || breakReason_ != before.breakReason ||
      activity() != before.activity)
    since_ = clock_.now();
  if ((phase_ == P::kSignedOut) != (status_ == AgentStatus::kSignedOut))
    SB_BUG(fmt::format("agent state: phase {} with status {}", agentPhaseCode(phase_),
                       agentStatusCode(status_)));

  for (AgentAction a : kAllAgentActions) {  // list() in place, without its vector
    if (!row->actions.has(a)) continue;
    switch (a) {
      case A::kCancelRingTimer:
        cancelTimer(ringTimer_);
        break;
      case A::kCancelAcwTimer:
        cancelTimer(acwTimer_);
        break;
      case A::kStartRingTimer:
        startRingTimer();
        break;
      case A::kStartAcwTimer:
        startAcwTimer();
        break;
      case A::kMarkPhoneRegistered:
        phoneRegistered_ = true;
        break;
      case A::kMarkPhoneUnregistered:
        phoneRegistered_ = false;
        break;
      case A::kApplyDeferred:
        pendingReplay_ = true;
        break;
      case A::kWithdrawOffer:
      case A::kRequeueCall:
      case A::kHangUpCall:
        outcome.actions.push_back(a);
        break;
    }
  }

  AgentView after = view();
  if (after != before) {
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("agent state: {} -> {} status={} activity={}", describe(),
                    agentPhaseCode(phase_), agentStatusCode(status_),
                    agentActivityCode(activity()));
    }
    if (listener_)
      listener_(AgentChange{event, row, std::move(before), std::move(after), outcome.actions});
  }
  return outcome;
}

void AgentStateMachine::applyStatus(StatusChange change, const AgentEvent& event) {
  switch (change) {
    case S::kKeep:
      return;
    case S::kInitial:
      status_ = config_.initialStatus;
      breakReason_.clear();
      deferred_.reset();
      return;
    case S::kRequested:
      status_ = *requestedStatusOf(event.type);
      breakReason_ = status_ == AgentStatus::kBreak ? event.reason : std::string();
      deferred_.reset();
      return;
    case S::kDefer: {
      auto wanted = *requestedStatusOf(event.type);
      bool same =
          wanted == status_ && (wanted != AgentStatus::kBreak || event.reason == breakReason_);
      if (same)
        deferred_.reset();
      else
        deferred_ = event;
      return;
    }
    case S::kAutoBreak:
      status_ = AgentStatus::kBreak;
      breakReason_ = event.type == Ev::kRejected      ? config_.rejectedReason
                     : event.type == Ev::kOfferFailed ? config_.offerFailedReason
                                                      : config_.autoBreakReason;
      return;
    case S::kSignOut:
      status_ = AgentStatus::kSignedOut;
      breakReason_.clear();
      deferred_.reset();
      return;
    case S::kAfterAcwTimeout:
      if (!config_.autoReadyAfterAcw && isOfferedStatus(status_)) status_ = AgentStatus::kBusy;
      return;
  }
}

void AgentStateMachine::cancelTimer(Timers::Id& id) {
  if (id != 0) timers_.cancel(id);
  id = 0;
}

void AgentStateMachine::startRingTimer() {
  cancelTimer(ringTimer_);
  ringTimer_ = timers_.start(config_.ringTimeout, [this] { onTimer(Ev::kRingNoAnswer); });
}

void AgentStateMachine::startAcwTimer() {
  cancelTimer(acwTimer_);
  if (config_.afterCallWork == AgentStateConfig::kUntilAgentEnds) return;
  acwTimer_ = timers_.start(config_.afterCallWork, [this] { onTimer(Ev::kAfterCallWorkTimeout); });
}

void AgentStateMachine::onTimer(AgentEventType type) {
  AgentEvent event;
  if (type == Ev::kRingNoAnswer) {
    ringTimer_ = 0;
    event = AgentEvent::ringNoAnswer(callId_);
  } else {
    acwTimer_ = 0;
    event = AgentEvent::afterCallWorkTimeout();
  }
  // The listener carries the actions (requeue the call) to call control.
  (void)handle(event);
}

}  // namespace sb::acd
