#pragma once
// The agent state machine of the ACD (座席状态). What the agent chose, the *status* (signed out
// 签出, idle 空闲/置闲, break 小休/置忙 with a reason, busy 置忙, mobile answering 手机接听), is
// kept apart from what the system is doing with the agent, the *activity* (a call being offered,
// the phone ringing 振铃, talking, on hold, after-call work 事后/话后处理).
//
// One table (`agentTransitions()`) of {phase, event, guard, next phase, status change, actions}
// rows drives the machine; every name is generated from it. The phase is the table's state: the
// activity plus whether the agent is signed in (`kReady` = signed in, no activity); the chosen
// status is data that a row's status change rewrites.
//
// Pure logic, no I/O: wall-clock time (time in state) comes from an injected `sb::Clock`, the
// ring-no-answer and after-call-work timeouts from injected `sb::Timers`. Call control is never
// called back: `handle()` returns what it must do (requeue the call, cancel the offer, hang up)
// and the listener sees every change with the same actions, including changes that a timer
// caused. Single-threaded: call everything on the control loop that owns the Timers.
//
// Who may send what (`isUserRequest()`):
// - The agent (API, later CTI): SignIn, SignOut, SetIdle, SetBreak, SetBusy, SetMobile,
//   AfterCallWorkDone, Reset. A request the current state does not allow (signing in twice,
//   anything but SignIn while signed out, AfterCallWorkDone outside after-call work) is an
//   expected refusal: an Error (kConflict) is returned, nothing changes, nothing is a bug.
// - Call control and the registrar: Offer, PhoneRinging, Answered, Hold, Unhold, CallEnded,
//   Rejected, OfferFailed, PhoneRegistered, PhoneUnregistered; the machine's own timers:
//   RingNoAnswer, AfterCallWorkTimeout. One that the table does not allow is a program bug
//   (SB_BUG, and an Error kInternal in release builds), except an event for the call the agent
//   just left (the machine requeued or hung it up, and call control's report crossed that): it
//   is refused as stale (kConflict), not a bug.
//
// Status changes during a call: while a call is offered, ringing, talking or on hold, SetIdle,
// SetBreak, SetBusy, SetMobile and SignOut are accepted but *deferred*: kept as the requested
// status (`requestedStatus()`, shown as "busy after this call") and applied when the call ends
// (CallEnded, or RingNoAnswer/Rejected/OfferFailed: the agent's own choice then replaces the
// automatic break). The latest request wins; asking for the current status withdraws it. In
// after-call work the chosen status changes at once and the wrap-up goes on (an agent on break
// may finish after-call work); SignOut ends the wrap-up.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"
#include "core/timers.hpp"

namespace sb::acd {

// What the agent chose. Stable codes: "signed_out", "idle", "break", "busy", "mobile".
enum class AgentStatus : std::uint8_t { kSignedOut, kIdle, kBreak, kBusy, kMobile };
inline constexpr AgentStatus kAllAgentStatuses[] = {AgentStatus::kSignedOut, AgentStatus::kIdle,
                                                    AgentStatus::kBreak, AgentStatus::kBusy,
                                                    AgentStatus::kMobile};
std::string_view agentStatusCode(AgentStatus status);
std::optional<AgentStatus> parseAgentStatus(std::string_view code);

// What the system is doing with the agent. Stable codes: "none", "offering", "ringing",
// "talking", "on_hold", "acw".
enum class AgentActivity : std::uint8_t {
  kNone,
  kOffering,  // a call is reserved for the agent; the phone has not reported ringing yet
  kRinging,
  kTalking,
  kOnHold,
  kAfterCallWork,
};
inline constexpr AgentActivity kAllAgentActivities[] = {
    AgentActivity::kNone,    AgentActivity::kOffering, AgentActivity::kRinging,
    AgentActivity::kTalking, AgentActivity::kOnHold,   AgentActivity::kAfterCallWork};
std::string_view agentActivityCode(AgentActivity activity);
std::optional<AgentActivity> parseAgentActivity(std::string_view code);

// The table's state: the activity, with "no activity" split into signed out and ready.
// Stable codes: "signed_out", "ready", "offering", "ringing", "talking", "on_hold", "acw".
enum class AgentPhase : std::uint8_t {
  kSignedOut,
  kReady,  // signed in, no activity (whatever the chosen status)
  kOffering,
  kRinging,
  kTalking,
  kOnHold,
  kAfterCallWork,
};
inline constexpr AgentPhase kAllAgentPhases[] = {
    AgentPhase::kSignedOut, AgentPhase::kReady,  AgentPhase::kOffering,     AgentPhase::kRinging,
    AgentPhase::kTalking,   AgentPhase::kOnHold, AgentPhase::kAfterCallWork};
std::string_view agentPhaseCode(AgentPhase phase);
std::optional<AgentPhase> parseAgentPhase(std::string_view code);
AgentActivity activityOf(AgentPhase phase);

// Stable codes: "sign_in", "sign_out", "set_idle", "set_break", "set_busy", "set_mobile",
// "offer", "phone_ringing", "answered", "hold", "unhold", "call_ended", "ring_no_answer",
// "rejected", "offer_failed", "acw_done", "acw_timeout", "phone_unregistered",
// "phone_registered", "reset".
enum class AgentEventType : std::uint8_t {
  kSignIn,
  kSignOut,
  kSetIdle,
  kSetBreak,
  kSetBusy,
  kSetMobile,
  kOffer,         // the router reserved a call for this agent (precondition: available())
  kPhoneRinging,  // the phone (or the mobile through the trunk) reported 18x
  kAnswered,
  kHold,
  kUnhold,
  kCallEnded,             // either side hung up; before the answer: the caller abandoned
  kRingNoAnswer,          // the ring timer (the machine's own)
  kRejected,              // the phone declined the offer: 486, 600 or 603
  kOfferFailed,           // any other failure of the offer (408, 480, 5xx, transport)
  kAfterCallWorkDone,     // the agent ended the wrap-up (开始接听)
  kAfterCallWorkTimeout,  // the after-call-work timer (the machine's own)
  kPhoneUnregistered,     // the registrar lost the agent's last binding
  kPhoneRegistered,
  kReset,  // 重置: back to the post-sign-in status, whatever was half done torn down
};
inline constexpr AgentEventType kAllAgentEventTypes[] = {
    AgentEventType::kSignIn,
    AgentEventType::kSignOut,
    AgentEventType::kSetIdle,
    AgentEventType::kSetBreak,
    AgentEventType::kSetBusy,
    AgentEventType::kSetMobile,
    AgentEventType::kOffer,
    AgentEventType::kPhoneRinging,
    AgentEventType::kAnswered,
    AgentEventType::kHold,
    AgentEventType::kUnhold,
    AgentEventType::kCallEnded,
    AgentEventType::kRingNoAnswer,
    AgentEventType::kRejected,
    AgentEventType::kOfferFailed,
    AgentEventType::kAfterCallWorkDone,
    AgentEventType::kAfterCallWorkTimeout,
    AgentEventType::kPhoneUnregistered,
    AgentEventType::kPhoneRegistered,
    AgentEventType::kReset,
};
std::string_view agentEventCode(AgentEventType type);
std::optional<AgentEventType> parseAgentEventType(std::string_view code);
// True for what the agent asks for (refused as an Error when not allowed); false for what call
// control, the registrar and the timers report (a bug when not allowed).
bool isUserRequest(AgentEventType type);
// True for events about one call, which carry its id.
bool isCallEvent(AgentEventType type);
// For SetIdle/SetBreak/SetBusy/SetMobile/SignOut: the status asked for.
std::optional<AgentStatus> requestedStatusOf(AgentEventType type);

struct AgentEvent {
  AgentEventType type = AgentEventType::kReset;
  std::string reason;  // SetBreak: the break reason (小休原因), may be empty
  std::string callId;  // Offer and every call event: the call concerned, never empty
  int sipStatus = 0;   // Rejected: 486, 600 or 603

  static AgentEvent signIn() { return {AgentEventType::kSignIn, {}, {}, 0}; }
  static AgentEvent signOut() { return {AgentEventType::kSignOut, {}, {}, 0}; }
  static AgentEvent setIdle() { return {AgentEventType::kSetIdle, {}, {}, 0}; }
  static AgentEvent setBreak(std::string reason) {
    return {AgentEventType::kSetBreak, std::move(reason), {}, 0};
  }
  static AgentEvent setBusy() { return {AgentEventType::kSetBusy, {}, {}, 0}; }
  static AgentEvent setMobile() { return {AgentEventType::kSetMobile, {}, {}, 0}; }
  static AgentEvent offer(std::string callId) {
    return call(AgentEventType::kOffer, std::move(callId));
  }
  static AgentEvent phoneRinging(std::string callId) {
    return call(AgentEventType::kPhoneRinging, std::move(callId));
  }
  static AgentEvent answered(std::string callId) {
    return call(AgentEventType::kAnswered, std::move(callId));
  }
  static AgentEvent hold(std::string callId) {
    return call(AgentEventType::kHold, std::move(callId));
  }
  static AgentEvent unhold(std::string callId) {
    return call(AgentEventType::kUnhold, std::move(callId));
  }
  static AgentEvent callEnded(std::string callId) {
    return call(AgentEventType::kCallEnded, std::move(callId));
  }
  static AgentEvent ringNoAnswer(std::string callId) {
    return call(AgentEventType::kRingNoAnswer, std::move(callId));
  }
  static AgentEvent rejected(std::string callId, int sipStatus) {
    return {AgentEventType::kRejected, {}, std::move(callId), sipStatus};
  }
  static AgentEvent offerFailed(std::string callId) {
    return call(AgentEventType::kOfferFailed, std::move(callId));
  }
  static AgentEvent afterCallWorkDone() { return {AgentEventType::kAfterCallWorkDone, {}, {}, 0}; }
  static AgentEvent afterCallWorkTimeout() {
    return {AgentEventType::kAfterCallWorkTimeout, {}, {}, 0};
  }
  static AgentEvent phoneUnregistered() { return {AgentEventType::kPhoneUnregistered, {}, {}, 0}; }
  static AgentEvent phoneRegistered() { return {AgentEventType::kPhoneRegistered, {}, {}, 0}; }
  static AgentEvent reset() { return {AgentEventType::kReset, {}, {}, 0}; }

 private:
  static AgentEvent call(AgentEventType type, std::string callId) {
    return {type, {}, std::move(callId), 0};
  }
};

// What a row does besides moving the phase, executed in this order. The timer and phone
// actions and kApplyDeferred the machine performs itself; kWithdrawOffer, kRequeueCall and
// kHangUpCall are for call control (`isCallControlAction()`), returned by `handle()`.
// Stable codes: "cancel_ring_timer", ..., "hang_up_call".
enum class AgentAction : std::uint8_t {
  kCancelRingTimer,
  kCancelAcwTimer,
  kStartRingTimer,  // restarts it when running: PhoneRinging gives the phone the full timeout
  kStartAcwTimer,   // unless after-call work lasts until the agent ends it
  kMarkPhoneRegistered,
  kMarkPhoneUnregistered,
  kWithdrawOffer,  // call control: stop ringing this agent (CANCEL the INVITE)
  kRequeueCall,    // call control: the call goes back to its queue at its original position
  kHangUpCall,     // call control: tear the agent's call down (Reset while talking)
  kApplyDeferred,  // the deferred status request, replayed through the table as its own event
};
inline constexpr AgentAction kAllAgentActions[] = {
    AgentAction::kCancelRingTimer,     AgentAction::kCancelAcwTimer,
    AgentAction::kStartRingTimer,      AgentAction::kStartAcwTimer,
    AgentAction::kMarkPhoneRegistered, AgentAction::kMarkPhoneUnregistered,
    AgentAction::kWithdrawOffer,       AgentAction::kRequeueCall,
    AgentAction::kHangUpCall,          AgentAction::kApplyDeferred};
std::string_view agentActionCode(AgentAction action);
bool isCallControlAction(AgentAction action);

// A set of actions as table data.
class AgentActions {
 public:
  constexpr AgentActions() = default;
  template <typename... A>
  constexpr explicit AgentActions(A... actions) : bits_((bit(actions) | ... | 0U)) {}
  constexpr bool has(AgentAction action) const { return (bits_ & bit(action)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  // In execution order (enum order).
  std::vector<AgentAction> list() const;
  constexpr bool operator==(const AgentActions&) const = default;

 private:
  static constexpr unsigned bit(AgentAction a) { return 1U << static_cast<unsigned>(a); }
  unsigned bits_ = 0;
};

// When a row applies, besides its phase and event.
enum class AgentGuard : std::uint8_t {
  kAlways,
  kAvailable,          // Offer: the agent may be offered a call (available())
  kWithAfterCallWork,  // CallEnded: after-call work is configured
  kWithoutAfterCallWork,
};
std::string_view agentGuardCode(AgentGuard guard);

// What a row does to the chosen status.
enum class StatusChange : std::uint8_t {
  kKeep,
  kInitial,    // the configured post-sign-in status; break reason and deferred request cleared
  kRequested,  // the status the event asks for (SetBreak: with its reason)
  kDefer,      // the request is kept for the end of the call (latest wins; same status: dropped)
  kAutoBreak,  // break with the event's configured reason (no answer, rejected, failure)
  kSignOut,    // signed out; break reason and deferred request cleared
  kAfterAcwTimeout,  // idle/mobile become busy unless autoReadyAfterAcw (自动置闲)
};
std::string_view statusChangeCode(StatusChange change);

struct AgentTransition {
  AgentPhase from;
  AgentEventType event;
  AgentGuard guard;
  AgentPhase to;
  StatusChange status;
  AgentActions actions;
};

// The table. At most one row matches any (phase, event) in any configuration.
std::span<const AgentTransition> agentTransitions();
// "talking call_ended [with_acw] -> acw": unique per row.
std::string agentTransitionName(const AgentTransition& row);

// Per agent, from the agent's settings and the server's configuration.
struct AgentStateConfig {
  // Marker for `afterCallWork`: the wrap-up lasts until the agent ends it (no timer).
  static constexpr std::chrono::seconds kUntilAgentEnds = std::chrono::seconds::max();

  AgentStatus initialStatus = AgentStatus::kIdle;  // after SignIn and Reset: idle or busy
  std::chrono::seconds ringTimeout{30};            // 振铃30s自动转小休
  std::chrono::seconds afterCallWork{30};          // 0: none; else its timeout, or kUntilAgentEnds
  bool autoReadyAfterAcw = true;  // false: the ACW timeout leaves an idle agent busy
  std::string autoBreakReason = "no answer";
  std::string rejectedReason = "rejected";
  std::string offerFailedReason = "phone failure";
};

// Names the field at fault: initial_status must be idle or busy, ring_timeout positive,
// after_call_work not negative.
Result<void> validateAgentStateConfig(const AgentStateConfig& config);

// Everything observable about one agent at one moment.
struct AgentView {
  AgentStatus status = AgentStatus::kSignedOut;
  AgentActivity activity = AgentActivity::kNone;
  std::string breakReason;                     // with status kBreak
  std::optional<AgentStatus> requestedStatus;  // deferred to the end of the call
  std::string requestedReason;                 // with a deferred break
  bool phoneRegistered = false;
  bool available = false;
  std::string callId;     // the call offered, ringing, talking or on hold
  UnixSeconds since = 0;  // when status, break reason or activity last changed
  bool operator==(const AgentView&) const = default;
};

// One change, for the listener (the future CTI event stream: agent-offering, agent-idle...).
struct AgentChange {
  AgentEvent event;  // what caused it (a replayed deferred request appears as itself)
  const AgentTransition* row = nullptr;
  AgentView before;
  AgentView after;
  std::vector<AgentAction> actions;  // call-control actions of this change
};

// What one handle() did.
struct AgentOutcome {
  std::vector<AgentAction> actions;  // for call control, in order; includes a replayed request's
  std::string callId;                // the call those actions concern
  bool deferred = false;             // the request was kept for the end of the call
};

class AgentStateMachine {
 public:
  using Listener = std::function<void(const AgentChange&)>;

  // `clock` and `timers` must outlive the machine. Precondition: validateAgentStateConfig().
  AgentStateMachine(std::string agentId, AgentStateConfig config, const Clock& clock,
                    Timers& timers);
  ~AgentStateMachine();
  AgentStateMachine(const AgentStateMachine&) = delete;
  AgentStateMachine& operator=(const AgentStateMachine&) = delete;

  // Runs the event through the table. Refused user requests and stale call events return
  // kConflict; an event the table does not allow from call control is SB_BUG + kInternal.
  Result<AgentOutcome> handle(const AgentEvent& event);

  // Called after every change of the view (not for no-ops), before handle() returns; also for
  // changes the timers cause, which is where their actions reach call control. It must not
  // call handle().
  void setListener(Listener listener) { listener_ = std::move(listener); }

  // May be offered a call now: signed in, idle or mobile, no activity, and the phone registered
  // (mobile answering needs no registered phone).
  bool available() const;
  AgentStatus status() const { return status_; }
  AgentActivity activity() const { return activityOf(phase_); }
  AgentPhase phase() const { return phase_; }
  const std::string& breakReason() const { return breakReason_; }
  std::optional<AgentStatus> requestedStatus() const;
  UnixSeconds since() const { return since_; }
  std::chrono::seconds timeInState() const;
  bool phoneRegistered() const { return phoneRegistered_; }
  const std::string& callId() const { return callId_; }
  // The call the agent last left (what after-call work is about).
  const std::string& lastCallId() const { return lastCallId_; }
  const std::string& agentId() const { return agentId_; }
  const AgentStateConfig& config() const { return config_; }
  AgentView view() const;

 private:
  Result<AgentOutcome> run(const AgentEvent& event);
  bool guardHolds(AgentGuard guard) const;
  void applyStatus(StatusChange change, const AgentEvent& event);
  void startRingTimer();
  void startAcwTimer();
  void cancelTimer(Timers::Id& id);
  void onTimer(AgentEventType type);

  std::string agentId_;
  AgentStateConfig config_;
  const Clock& clock_;
  Timers& timers_;
  Listener listener_;

  AgentPhase phase_ = AgentPhase::kSignedOut;
  AgentStatus status_ = AgentStatus::kSignedOut;
  std::string breakReason_;
  std::optional<AgentEvent> deferred_;
  bool phoneRegistered_ = false;
  std::string callId_;
  std::string lastCallId_;
  UnixSeconds since_;
  Timers::Id ringTimer_ = 0;
  Timers::Id acwTimer_ = 0;
  bool pendingReplay_ = false;  // the last run() asked for the deferred request to be replayed
};

}  // namespace sb::acd
