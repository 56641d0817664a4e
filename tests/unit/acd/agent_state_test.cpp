#include "acd/agent_state.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/logging.hpp"
#include "core/time.hpp"
#include "core/timers.hpp"

namespace sb::acd {
namespace {

using namespace std::chrono_literals;
using Ev = AgentEventType;

constexpr UnixSeconds kStart = 1'800'000'000;

class AgentStateTest : public ::testing::Test {
 protected:
  AgentStateTest() { config_.afterCallWork = 20s; }

  AgentStateMachine& make() {
    machine_ = std::make_unique<AgentStateMachine>("1001", config_, clock_, timers_);
    machine_->setListener([this](const AgentChange& change) { changes_.push_back(change); });
    return *machine_;
  }

  // Moves both clocks a second at a time, so a timer fires with the wall clock at its deadline.
  void advance(std::chrono::seconds by) {
    for (auto i = 0s; i < by; i += 1s) {
      clock_.advance(1s);
      timers_.advance(1s);
    }
  }

  static void ok(const Result<AgentOutcome>& r) { ASSERT_TRUE(r.ok()) << r.error().message; }

  // A registered phone, signed in with the configured initial status (idle by default).
  AgentStateMachine& signedIn() {
    auto& m = make();
    ok(m.handle(AgentEvent::phoneRegistered()));
    ok(m.handle(AgentEvent::signIn()));
    return m;
  }

  // Drives a fresh, idle, registered agent into `phase` with call "c1".
  AgentStateMachine& at(AgentPhase phase) {
    if (phase == AgentPhase::kSignedOut) {
      auto& m = make();
      ok(m.handle(AgentEvent::phoneRegistered()));
      return m;
    }
    auto& m = signedIn();
    if (phase == AgentPhase::kReady) return m;
    ok(m.handle(AgentEvent::offer("c1")));
    if (phase == AgentPhase::kOffering) return m;
    ok(m.handle(AgentEvent::phoneRinging("c1")));
    if (phase == AgentPhase::kRinging) return m;
    ok(m.handle(AgentEvent::answered("c1")));
    if (phase == AgentPhase::kTalking) return m;
    if (phase == AgentPhase::kOnHold) {
      ok(m.handle(AgentEvent::hold("c1")));
      return m;
    }
    ok(m.handle(AgentEvent::callEnded("c1")));
    EXPECT_EQ(m.phase(), AgentPhase::kAfterCallWork) << "after-call work must be configured";
    return m;
  }

  static std::vector<AgentAction> actionsOf(const Result<AgentOutcome>& r) {
    return r.ok() ? r->actions : std::vector<AgentAction>{};
  }

  std::vector<std::string> changeEvents() const {
    std::vector<std::string> out;
    for (const auto& c : changes_)
      out.emplace_back(agentEventCode(c.event.type));
    return out;
  }

  AgentStateConfig config_;
  ManualClock clock_{kStart};
  FakeTimers timers_;
  std::unique_ptr<AgentStateMachine> machine_;
  std::vector<AgentChange> changes_;
};

// An event for `type` as call control or the agent would send it while the agent has call c1.
AgentEvent eventFor(AgentEventType type) {
  if (type == Ev::kSetBreak) return AgentEvent::setBreak("lunch");
  if (type == Ev::kRejected) return AgentEvent::rejected("c1", 486);
  if (isCallEvent(type)) return AgentEvent{type, {}, "c1", 0};
  return AgentEvent{type, {}, {}, 0};
}

const std::vector<AgentAction> kRequeueAfterNoAnswer = {AgentAction::kWithdrawOffer,
                                                        AgentAction::kRequeueCall};
const std::vector<AgentAction> kRequeue = {AgentAction::kRequeueCall};

// --- signing in and out ------------------------------------------------------------------------

TEST_F(AgentStateTest, ANewAgentIsSignedOutAndNotAvailable) {
  auto& m = make();
  EXPECT_EQ(m.status(), AgentStatus::kSignedOut);
  EXPECT_EQ(m.activity(), AgentActivity::kNone);
  EXPECT_FALSE(m.phoneRegistered());
  ok(m.handle(AgentEvent::phoneRegistered()));
  EXPECT_FALSE(m.available());
}

TEST_F(AgentStateTest, SignInStartsInTheConfiguredStatus) {
  // Easemob: idle after signing in.
  auto& easemob = signedIn();
  EXPECT_EQ(easemob.status(), AgentStatus::kIdle);
  EXPECT_EQ(easemob.activity(), AgentActivity::kNone);
  EXPECT_TRUE(easemob.available());

  // Huayun: busy (置忙) after signing in.
  config_.initialStatus = AgentStatus::kBusy;
  auto& huayun = signedIn();
  EXPECT_EQ(huayun.status(), AgentStatus::kBusy);
  EXPECT_FALSE(huayun.available());
}

TEST_F(AgentStateTest, SignOutFromReadySignsOut) {
  auto& m = signedIn();
  ok(m.handle(AgentEvent::setBreak("lunch")));
  ok(m.handle(AgentEvent::signOut()));
  EXPECT_EQ(m.status(), AgentStatus::kSignedOut);
  EXPECT_EQ(m.breakReason(), "");
  EXPECT_FALSE(m.available());
}

TEST_F(AgentStateTest, ChosenStatusChangesAtOnceWhenNoCall) {
  auto& m = signedIn();
  ok(m.handle(AgentEvent::setBreak("lunch")));
  EXPECT_EQ(m.status(), AgentStatus::kBreak);
  EXPECT_EQ(m.breakReason(), "lunch");
  EXPECT_FALSE(m.available());
  ok(m.handle(AgentEvent::setBusy()));
  EXPECT_EQ(m.status(), AgentStatus::kBusy);
  EXPECT_EQ(m.breakReason(), "");
  ok(m.handle(AgentEvent::setIdle()));
  EXPECT_TRUE(m.available());
}

// --- offering and ring no answer ---------------------------------------------------------------

TEST_F(AgentStateTest, OfferReservesTheAgentAndStartsTheRingTimer) {
  auto& m = signedIn();
  ok(m.handle(AgentEvent::offer("c1")));
  EXPECT_EQ(m.activity(), AgentActivity::kOffering);
  EXPECT_EQ(m.callId(), "c1");
  EXPECT_FALSE(m.available());
  EXPECT_EQ(timers_.pending(), 1u);
}

TEST_F(AgentStateTest, RingNoAnswerAfterThirtySecondsPutsTheAgentOnBreakAndRequeuesTheCall) {
  auto& m = signedIn();
  ok(m.handle(AgentEvent::offer("c1")));
  ok(m.handle(AgentEvent::phoneRinging("c1")));
  advance(29s);
  EXPECT_EQ(m.activity(), AgentActivity::kRinging);
  EXPECT_EQ(m.status(), AgentStatus::kIdle);

  advance(1s);
  EXPECT_EQ(m.status(), AgentStatus::kBreak);
  EXPECT_EQ(m.breakReason(), "no answer");
  EXPECT_EQ(m.activity(), AgentActivity::kNone);
  EXPECT_FALSE(m.available());
  EXPECT_EQ(m.callId(), "");
  EXPECT_EQ(m.lastCallId(), "c1");
  // The timer had no caller: the listener carries the requeue to call control.
  ASSERT_FALSE(changes_.empty());
  const auto& last = changes_.back();
  EXPECT_EQ(last.event.type, Ev::kRingNoAnswer);
  EXPECT_EQ(last.event.callId, "c1");
  EXPECT_EQ(last.actions, kRequeueAfterNoAnswer);
  EXPECT_EQ(last.before.callId, "c1");
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(AgentStateTest, RingTimeoutIsConfigurableAndRestartsWhenThePhoneRings) {
  config_.ringTimeout = 10s;
  config_.autoBreakReason = "未接听";
  auto& m = signedIn();
  ok(m.handle(AgentEvent::offer("c1")));
  advance(8s);
  ok(m.handle(AgentEvent::phoneRinging("c1")));  // the phone gets its full 10 s of ringing
  advance(9s);
  EXPECT_EQ(m.activity(), AgentActivity::kRinging);
  advance(1s);
  EXPECT_EQ(m.status(), AgentStatus::kBreak);
  EXPECT_EQ(m.breakReason(), "未接听");
}

TEST_F(AgentStateTest, AnOfferThePhoneNeverRingsForAlsoTimesOut) {
  auto& m = signedIn();
  ok(m.handle(AgentEvent::offer("c1")));
  advance(30s);
  EXPECT_EQ(m.status(), AgentStatus::kBreak);
  EXPECT_EQ(changes_.back().actions, kRequeueAfterNoAnswer);
}

TEST_F(AgentStateTest, AnsweringStopsTheRingTimer) {
  auto& m = signedIn();
  ok(m.handle(AgentEvent::offer("c1")));
  ok(m.handle(AgentEvent::phoneRinging("c1")));
  ok(m.handle(AgentEvent::answered("c1")));
  advance(120s);
  EXPECT_EQ(m.activity(), AgentActivity::kTalking);
  EXPECT_EQ(m.status(), AgentStatus::kIdle);
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(AgentStateTest, RejectedOfferIsLikeNoAnswerWithItsOwnReason) {
  for (int sip : {486, 600, 603}) {
    auto& m = signedIn();
    ok(m.handle(AgentEvent::offer("c1")));
    ok(m.handle(AgentEvent::phoneRinging("c1")));
    auto r = m.handle(AgentEvent::rejected("c1", sip));
    ok(r);
    EXPECT_EQ(r->actions, kRequeue) << "the INVITE is over: nothing to withdraw";
    EXPECT_EQ(r->callId, "c1");
    EXPECT_EQ(m.status(), AgentStatus::kBreak);
    EXPECT_EQ(m.breakReason(), "rejected");
    EXPECT_EQ(m.activity(), AgentActivity::kNone);
    EXPECT_EQ(timers_.pending(), 0u);
  }
}

TEST_F(AgentStateTest, FailedOfferIsLikeNoAnswerWithItsOwnReason) {
  config_.offerFailedReason = "phone unreachable";
  auto& m = signedIn();
  ok(m.handle(AgentEvent::offer("c1")));
  auto r = m.handle(AgentEvent::offerFailed("c1"));
  ok(r);
  EXPECT_EQ(r->actions, kRequeue);
  EXPECT_EQ(m.status(), AgentStatus::kBreak);
  EXPECT_EQ(m.breakReason(), "phone unreachable");
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(AgentStateTest, CallerHangingUpWhileRingingReturnsTheAgentWithoutAfterCallWork) {
  auto& m = signedIn();
  ok(m.handle(AgentEvent::offer("c1")));
  ok(m.handle(AgentEvent::phoneRinging("c1")));
  auto r = m.handle(AgentEvent::callEnded("c1"));
  ok(r);
  EXPECT_TRUE(r->actions.empty()) << "call control ended the call itself";
  EXPECT_EQ(m.activity(), AgentActivity::kNone);
  EXPECT_EQ(m.status(), AgentStatus::kIdle);
  EXPECT_TRUE(m.available());
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(AgentStateTest, HoldAndUnholdKeepTheCall) {
  auto& m = at(AgentPhase::kTalking);
  ok(m.handle(AgentEvent::hold("c1")));
  EXPECT_EQ(m.activity(), AgentActivity::kOnHold);
  ok(m.handle(AgentEvent::unhold("c1")));
  EXPECT_EQ(m.activity(), AgentActivity::kTalking);
  ok(m.handle(AgentEvent::hold("c1")));
  ok(m.handle(AgentEvent::callEnded("c1")));
  EXPECT_EQ(m.activity(), AgentActivity::kAfterCallWork);
}

// --- after-call work ---------------------------------------------------------------------------

TEST_F(AgentStateTest, AfterCallWorkEndsByTheAgentOrTheTimer) {
  // By the agent (开始接听).
  auto& byAgent = at(AgentPhase::kTalking);
  ok(byAgent.handle(AgentEvent::callEnded("c1")));
  EXPECT_EQ(byAgent.activity(), AgentActivity::kAfterCallWork);
  EXPECT_FALSE(byAgent.available());
  EXPECT_EQ(byAgent.lastCallId(), "c1");
  EXPECT_EQ(timers_.pending(), 1u);
  advance(5s);
  ok(byAgent.handle(AgentEvent::afterCallWorkDone()));
  EXPECT_EQ(byAgent.activity(), AgentActivity::kNone);
  EXPECT_TRUE(byAgent.available());
  EXPECT_EQ(timers_.pending(), 0u);

  // By the timer (20 s configured).
  auto& byTimer = at(AgentPhase::kTalking);
  ok(byTimer.handle(AgentEvent::callEnded("c1")));
  advance(19s);
  EXPECT_EQ(byTimer.activity(), AgentActivity::kAfterCallWork);
  advance(1s);
  EXPECT_EQ(byTimer.activity(), AgentActivity::kNone);
  EXPECT_EQ(byTimer.status(), AgentStatus::kIdle);
  EXPECT_TRUE(byTimer.available());
  EXPECT_EQ(changes_.back().event.type, Ev::kAfterCallWorkTimeout);
}

TEST_F(AgentStateTest, AfterCallWorkTimeoutLeavesTheAgentBusyWithoutAutoReady) {
  config_.autoReadyAfterAcw = false;
  auto& m = at(AgentPhase::kAfterCallWork);
  advance(20s);
  EXPECT_EQ(m.activity(), AgentActivity::kNone);
  EXPECT_EQ(m.status(), AgentStatus::kBusy);
  EXPECT_FALSE(m.available());
}

TEST_F(AgentStateTest, WithoutAfterCallWorkTheAgentIsAvailableWhenTheCallEnds) {
  config_.afterCallWork = 0s;
  auto& m = at(AgentPhase::kTalking);
  ok(m.handle(AgentEvent::callEnded("c1")));
  EXPECT_EQ(m.activity(), AgentActivity::kNone);
  EXPECT_TRUE(m.available());
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(AgentStateTest, AfterCallWorkUntilTheAgentEndsItHasNoTimer) {
  config_.afterCallWork = AgentStateConfig::kUntilAgentEnds;
  auto& m = at(AgentPhase::kAfterCallWork);
  EXPECT_EQ(timers_.pending(), 0u);
  advance(3600s);
  EXPECT_EQ(m.activity(), AgentActivity::kAfterCallWork);
  ok(m.handle(AgentEvent::afterCallWorkDone()));
  EXPECT_TRUE(m.available());
}

TEST_F(AgentStateTest, AnAgentOnBreakMayFinishAfterCallWork) {
  auto& m = at(AgentPhase::kAfterCallWork);
  ok(m.handle(AgentEvent::setBreak("meeting")));
  EXPECT_EQ(m.status(), AgentStatus::kBreak);
  EXPECT_EQ(m.activity(), AgentActivity::kAfterCallWork) << "the wrap-up goes on";
  ok(m.handle(AgentEvent::afterCallWorkDone()));
  EXPECT_EQ(m.status(), AgentStatus::kBreak);
  EXPECT_EQ(m.breakReason(), "meeting");
  EXPECT_EQ(m.activity(), AgentActivity::kNone);
  EXPECT_FALSE(m.available());
}

TEST_F(AgentStateTest, SignOutDuringAfterCallWorkEndsIt) {
  auto& m = at(AgentPhase::kAfterCallWork);
  ok(m.handle(AgentEvent::signOut()));
  EXPECT_EQ(m.status(), AgentStatus::kSignedOut);
  EXPECT_EQ(m.activity(), AgentActivity::kNone);
  EXPECT_EQ(timers_.pending(), 0u);
}

// --- status changes during a call --------------------------------------------------------------

TEST_F(AgentStateTest, BusyWhileTalkingAppliesWhenTheCallEnds) {
  auto& m = at(AgentPhase::kTalking);
  auto r = m.handle(AgentEvent::setBusy());
  ok(r);
  EXPECT_TRUE(r->deferred);
  EXPECT_EQ(m.status(), AgentStatus::kIdle);
  EXPECT_EQ(m.requestedStatus(), AgentStatus::kBusy);
  EXPECT_EQ(m.activity(), AgentActivity::kTalking) << "the call goes on";
  EXPECT_EQ(changes_.back().after.requestedStatus, AgentStatus::kBusy) << "shown at once";

  ok(m.handle(AgentEvent::callEnded("c1")));
  EXPECT_EQ(m.status(), AgentStatus::kBusy);
  EXPECT_EQ(m.requestedStatus(), std::nullopt);
  EXPECT_EQ(m.activity(), AgentActivity::kAfterCallWork);
  ok(m.handle(AgentEvent::afterCallWorkDone()));
  EXPECT_EQ(m.status(), AgentStatus::kBusy);
  EXPECT_FALSE(m.available()) << "not offered the next call";
}

TEST_F(AgentStateTest, SignOutWhileTalkingIsDeferred) {
  auto& m = at(AgentPhase::kTalking);
  auto r = m.handle(AgentEvent::signOut());
  ok(r);
  EXPECT_TRUE(r->deferred);
  EXPECT_EQ(m.status(), AgentStatus::kIdle);
  EXPECT_EQ(m.requestedStatus(), AgentStatus::kSignedOut);
  EXPECT_EQ(m.activity(), AgentActivity::kTalking);

  ok(m.handle(AgentEvent::callEnded("c1")));
  EXPECT_EQ(m.status(), AgentStatus::kSignedOut);
  EXPECT_EQ(m.activity(), AgentActivity::kNone) << "signing out skips after-call work";
  EXPECT_EQ(timers_.pending(), 0u) << "the after-call-work timer was stopped";
  // The stream shows the call ending, then the agent's own sign-out.
  ASSERT_GE(changes_.size(), 2u);
  EXPECT_EQ(changes_[changes_.size() - 2].event.type, Ev::kCallEnded);
  EXPECT_EQ(changes_.back().event.type, Ev::kSignOut);
}

TEST_F(AgentStateTest, LatestDeferredRequestWinsAndAskingForTheCurrentStatusWithdrawsIt) {
  auto& m = at(AgentPhase::kOnHold);
  ok(m.handle(AgentEvent::setBusy()));
  ok(m.handle(AgentEvent::setBreak("lunch")));
  EXPECT_EQ(m.requestedStatus(), AgentStatus::kBreak);
  EXPECT_EQ(m.view().requestedReason, "lunch");
  auto r = m.handle(AgentEvent::setIdle());
  ok(r);
  EXPECT_FALSE(r->deferred);
  EXPECT_EQ(m.requestedStatus(), std::nullopt);

  ok(m.handle(AgentEvent::setBreak("lunch")));
  ok(m.handle(AgentEvent::callEnded("c1")));
  EXPECT_EQ(m.status(), AgentStatus::kBreak);
  EXPECT_EQ(m.breakReason(), "lunch");
}

TEST_F(AgentStateTest, RequestWhileRingingReplacesTheAutomaticBreak) {
  auto& m = at(AgentPhase::kRinging);
  ok(m.handle(AgentEvent::setBusy()));
  EXPECT_EQ(m.activity(), AgentActivity::kRinging) << "the phone keeps ringing";
  advance(30s);
  EXPECT_EQ(m.status(), AgentStatus::kBusy) << "the agent's choice beats the automatic break";
  EXPECT_EQ(m.breakReason(), "");
  // The requeue still reached call control, with the no-answer change.
  ASSERT_GE(changes_.size(), 2u);
  EXPECT_EQ(changes_[changes_.size() - 2].actions, kRequeueAfterNoAnswer);
  EXPECT_EQ(changes_.back().event.type, Ev::kSetBusy);
}

TEST_F(AgentStateTest, MobileRequestedDuringACallAppliesAfterIt) {
  config_.afterCallWork = 0s;
  auto& m = at(AgentPhase::kTalking);
  ok(m.handle(AgentEvent::setMobile()));
  ok(m.handle(AgentEvent::callEnded("c1")));
  EXPECT_EQ(m.status(), AgentStatus::kMobile);
  EXPECT_TRUE(m.available());
}

// --- the phone ---------------------------------------------------------------------------------

TEST_F(AgentStateTest, UnregisteredPhoneTakesTheAgentOutOfRotationAndRegisteringPutsItBack) {
  auto& m = signedIn();
  ASSERT_TRUE(m.available());
  ok(m.handle(AgentEvent::phoneUnregistered()));
  EXPECT_FALSE(m.available());
  EXPECT_EQ(m.status(), AgentStatus::kIdle) << "the agent's choice stays";
  EXPECT_EQ(changes_.back().event.type, Ev::kPhoneUnregistered);
  EXPECT_FALSE(changes_.back().after.available);

  ok(m.handle(AgentEvent::phoneRegistered()));
  EXPECT_TRUE(m.available());
  EXPECT_TRUE(changes_.back().after.available);

  // A refresh changes nothing and tells no one.
  auto before = changes_.size();
  ok(m.handle(AgentEvent::phoneRegistered()));
  EXPECT_EQ(changes_.size(), before);
}

TEST_F(AgentStateTest, APhoneRegisteredBeforeSignInCounts) {
  auto& m = make();
  ok(m.handle(AgentEvent::phoneRegistered()));
  ok(m.handle(AgentEvent::signIn()));
  EXPECT_TRUE(m.available());
  ok(m.handle(AgentEvent::signOut()));
  ok(m.handle(AgentEvent::phoneUnregistered()));
  ok(m.handle(AgentEvent::signIn()));
  EXPECT_FALSE(m.available());
}

TEST_F(AgentStateTest, MobileAnsweringNeedsNoRegisteredPhone) {
  auto& m = make();
  ok(m.handle(AgentEvent::signIn()));
  EXPECT_FALSE(m.available());
  ok(m.handle(AgentEvent::setMobile()));
  EXPECT_TRUE(m.available());
  ok(m.handle(AgentEvent::offer("c1")));
  advance(30s);
  EXPECT_EQ(m.status(), AgentStatus::kBreak) << "a mobile that does not answer breaks too";
}

TEST_F(AgentStateTest, PhoneUnregisteringDuringACallLetsTheCallGoOn) {
  auto& m = at(AgentPhase::kTalking);
  ok(m.handle(AgentEvent::phoneUnregistered()));
  EXPECT_EQ(m.activity(), AgentActivity::kTalking);
  ok(m.handle(AgentEvent::callEnded("c1")));
  ok(m.handle(AgentEvent::afterCallWorkDone()));
  EXPECT_FALSE(m.available());
  ok(m.handle(AgentEvent::phoneRegistered()));
  EXPECT_TRUE(m.available());
}

// --- reset -------------------------------------------------------------------------------------

TEST_F(AgentStateTest, ResetReturnsToThePostSignInStatusAndTearsDownTheOffer) {
  config_.initialStatus = AgentStatus::kBusy;
  auto& m = signedIn();
  ok(m.handle(AgentEvent::setIdle()));
  ok(m.handle(AgentEvent::offer("c1")));
  ok(m.handle(AgentEvent::phoneRinging("c1")));
  ok(m.handle(AgentEvent::setBreak("lunch")));  // deferred, then dropped by the reset
  auto r = m.handle(AgentEvent::reset());
  ok(r);
  EXPECT_EQ(r->actions,
            (std::vector<AgentAction>{AgentAction::kWithdrawOffer, AgentAction::kRequeueCall}));
  EXPECT_EQ(r->callId, "c1");
  EXPECT_EQ(m.status(), AgentStatus::kBusy);
  EXPECT_EQ(m.activity(), AgentActivity::kNone);
  EXPECT_EQ(m.requestedStatus(), std::nullopt);
  EXPECT_EQ(m.callId(), "");
  EXPECT_EQ(timers_.pending(), 0u);
  advance(60s);
  EXPECT_EQ(m.status(), AgentStatus::kBusy) << "no ring timer left behind";
}

TEST_F(AgentStateTest, ResetWhileTalkingHangsUpTheCall) {
  auto& m = at(AgentPhase::kOnHold);
  auto r = m.handle(AgentEvent::reset());
  ok(r);
  EXPECT_EQ(r->actions, std::vector<AgentAction>{AgentAction::kHangUpCall});
  EXPECT_EQ(m.activity(), AgentActivity::kNone);
  EXPECT_TRUE(m.available());
  // Call control's report of the hang-up crosses the reset: stale, not a bug.
  auto bugs = bugCount();
  auto late = m.handle(AgentEvent::callEnded("c1"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kConflict);
  EXPECT_EQ(bugCount(), bugs);
  EXPECT_TRUE(m.available());
}

TEST_F(AgentStateTest, ResetInAfterCallWorkStopsItsTimer) {
  auto& m = at(AgentPhase::kAfterCallWork);
  ok(m.handle(AgentEvent::setBreak("x")));
  ok(m.handle(AgentEvent::reset()));
  EXPECT_EQ(m.status(), AgentStatus::kIdle);
  EXPECT_EQ(m.breakReason(), "");
  EXPECT_EQ(m.activity(), AgentActivity::kNone);
  EXPECT_EQ(timers_.pending(), 0u);
}

// --- time in state and the event stream --------------------------------------------------------

TEST_F(AgentStateTest, TimeInStateIsTracked) {
  auto& m = make();
  EXPECT_EQ(m.since(), kStart);
  advance(10s);
  ok(m.handle(AgentEvent::phoneRegistered()));
  EXPECT_EQ(m.since(), kStart) << "the phone is not the agent's state";
  ok(m.handle(AgentEvent::signIn()));
  EXPECT_EQ(m.since(), kStart + 10);
  advance(7s);
  EXPECT_EQ(m.timeInState(), 7s);
  ok(m.handle(AgentEvent::setIdle()));  // no change: the clock keeps running
  EXPECT_EQ(m.timeInState(), 7s);
  ok(m.handle(AgentEvent::offer("c1")));
  EXPECT_EQ(m.since(), kStart + 17);
  advance(3s);
  ok(m.handle(AgentEvent::answered("c1")));
  EXPECT_EQ(m.since(), kStart + 20);
  advance(60s);
  ok(m.handle(AgentEvent::setBusy()));  // deferred: talking goes on
  EXPECT_EQ(m.timeInState(), 60s);
  ok(m.handle(AgentEvent::callEnded("c1")));
  EXPECT_EQ(m.since(), kStart + 80);
  advance(20s);  // the after-call-work timer
  EXPECT_EQ(m.activity(), AgentActivity::kNone);
  EXPECT_EQ(m.since(), kStart + 100);
  ok(m.handle(AgentEvent::setBreak("a")));
  advance(5s);
  ok(m.handle(AgentEvent::setBreak("b")));  // another reason is another state
  EXPECT_EQ(m.since(), kStart + 105);
  EXPECT_EQ(changes_.back().before.since, kStart + 100);
  EXPECT_EQ(changes_.back().after.since, kStart + 105);
}

TEST_F(AgentStateTest, ListenerSeesEveryChangeWithItsCause) {
  auto& m = signedIn();
  ok(m.handle(AgentEvent::offer("c1")));
  ok(m.handle(AgentEvent::phoneRinging("c1")));
  ok(m.handle(AgentEvent::phoneRinging("c1")));  // a second 18x: no change
  ok(m.handle(AgentEvent::answered("c1")));
  ok(m.handle(AgentEvent::callEnded("c1")));
  ok(m.handle(AgentEvent::afterCallWorkDone()));
  EXPECT_EQ(changeEvents(),
            (std::vector<std::string>{"phone_registered", "sign_in", "offer", "phone_ringing",
                                      "answered", "call_ended", "acw_done"}));
  const auto& offer = changes_[2];
  EXPECT_EQ(offer.before.activity, AgentActivity::kNone);
  EXPECT_EQ(offer.after.activity, AgentActivity::kOffering);
  EXPECT_EQ(offer.after.callId, "c1");
  ASSERT_NE(offer.row, nullptr);
  EXPECT_EQ(agentTransitionName(*offer.row), "ready offer [available] -> offering");
}

// --- refusals and bugs -------------------------------------------------------------------------

TEST_F(AgentStateTest, IllegalUserRequestsAreRefusedNotBugs) {
  auto table = agentTransitions();
  int refused = 0;
  for (AgentPhase phase : kAllAgentPhases) {
    for (AgentEventType type : kAllAgentEventTypes) {
      if (!isUserRequest(type)) continue;
      bool allowed = std::any_of(table.begin(), table.end(), [&](const AgentTransition& r) {
        return r.from == phase && r.event == type;
      });
      if (allowed) continue;
      auto& m = at(phase);
      auto before = m.view();
      auto changes = changes_.size();
      auto bugs = bugCount();
      auto r = m.handle(eventFor(type));
      ASSERT_FALSE(r.ok()) << agentEventCode(type) << " in " << agentPhaseCode(phase);
      EXPECT_EQ(r.error().code, ErrorCode::kConflict);
      EXPECT_EQ(bugCount(), bugs);
      EXPECT_EQ(m.view(), before) << "a refusal changes nothing";
      EXPECT_EQ(changes_.size(), changes);
      ++refused;
    }
  }
  // Signing in twice; anything but signing in while signed out; ending a wrap-up there is not.
  EXPECT_EQ(refused, 6 + 7 + 5);
  auto& m = at(AgentPhase::kTalking);
  auto r = m.handle(AgentEvent::signIn());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot sign_in while talking");
}

TEST_F(AgentStateTest, AfterCallWorkDoneRacingItsTimerIsRefused) {
  auto& m = at(AgentPhase::kAfterCallWork);
  advance(20s);
  auto r = m.handle(AgentEvent::afterCallWorkDone());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(m.available());
}

TEST_F(AgentStateTest, LateEventsForTheCallTheAgentLeftAreStaleNotBugs) {
  auto& m = at(AgentPhase::kRinging);
  advance(30s);  // ring no answer: c1 requeued
  auto bugs = bugCount();
  for (const auto& late :
       {AgentEvent::answered("c1"), AgentEvent::callEnded("c1"), AgentEvent::rejected("c1", 603)}) {
    auto r = m.handle(late);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  }
  EXPECT_EQ(bugCount(), bugs);
  EXPECT_EQ(m.status(), AgentStatus::kBreak);

  // The same call may come back to this agent later.
  ok(m.handle(AgentEvent::setIdle()));
  ok(m.handle(AgentEvent::offer("c1")));
  ok(m.handle(AgentEvent::answered("c1")));
  EXPECT_EQ(m.activity(), AgentActivity::kTalking);
}

TEST_F(AgentStateTest, SystemEventsTheTableForbidsAreBugs) {
  // Offering a call to an agent who is not available is the router's bug.
  EXPECT_DEBUG_DEATH(
      {
        auto& m = make();
        auto r = m.handle(AgentEvent::offer("c1"));
        EXPECT_EQ(r.error().code, ErrorCode::kInternal);
      },
      "");
  EXPECT_DEBUG_DEATH(
      {
        auto& m = at(AgentPhase::kTalking);
        auto r = m.handle(AgentEvent::answered("c2"));  // a call the agent never had
        EXPECT_EQ(r.error().code, ErrorCode::kInternal);
      },
      "");
  EXPECT_DEBUG_DEATH(
      {
        auto& m = at(AgentPhase::kReady);
        ok(m.handle(AgentEvent::setBusy()));
        auto r = m.handle(AgentEvent::offer("c1"));
        EXPECT_EQ(r.error().code, ErrorCode::kInternal);
      },
      "");
  EXPECT_DEBUG_DEATH(
      {
        auto& m = at(AgentPhase::kRinging);
        auto r = m.handle(AgentEvent::rejected("c1", 480));  // that is OfferFailed
        EXPECT_EQ(r.error().code, ErrorCode::kInternal);
      },
      "");
}

// --- the table ---------------------------------------------------------------------------------

TEST(AgentStateTableTest, NamesAreUniqueAndCodesParseBack) {
  std::set<std::string> names;
  for (const auto& row : agentTransitions())
    EXPECT_TRUE(names.insert(agentTransitionName(row)).second) << agentTransitionName(row);
  EXPECT_EQ(names.size(), agentTransitions().size());

  std::set<std::string_view> codes;
  for (auto s : kAllAgentStatuses) {
    EXPECT_EQ(parseAgentStatus(agentStatusCode(s)), s);
    EXPECT_TRUE(codes.insert(agentStatusCode(s)).second);
  }
  codes.clear();
  for (auto a : kAllAgentActivities) {
    EXPECT_EQ(parseAgentActivity(agentActivityCode(a)), a);
    EXPECT_TRUE(codes.insert(agentActivityCode(a)).second);
  }
  codes.clear();
  for (auto p : kAllAgentPhases) {
    EXPECT_EQ(parseAgentPhase(agentPhaseCode(p)), p);
    EXPECT_TRUE(codes.insert(agentPhaseCode(p)).second);
  }
  codes.clear();
  for (auto e : kAllAgentEventTypes) {
    EXPECT_EQ(parseAgentEventType(agentEventCode(e)), e);
    EXPECT_TRUE(codes.insert(agentEventCode(e)).second);
  }
  codes.clear();
  for (auto a : kAllAgentActions)
    EXPECT_TRUE(codes.insert(agentActionCode(a)).second);
  EXPECT_EQ(parseAgentStatus("小休"), std::nullopt);
  EXPECT_EQ(agentActivityCode(AgentActivity::kAfterCallWork), "acw");
  EXPECT_EQ(agentStatusCode(AgentStatus::kSignedOut), "signed_out");
}

TEST(AgentStateTableTest, EveryPhaseAndEventIsCovered) {
  // Every phase answers PhoneRegistered/PhoneUnregistered and Reset is allowed wherever the
  // agent is signed in; every event appears in at least one row.
  auto table = agentTransitions();
  for (AgentEventType type : kAllAgentEventTypes)
    EXPECT_TRUE(std::any_of(table.begin(), table.end(), [&](const AgentTransition& r) {
      return r.event == type;
    })) << agentEventCode(type);
  for (AgentPhase phase : kAllAgentPhases) {
    for (AgentEventType type : {Ev::kPhoneRegistered, Ev::kPhoneUnregistered, Ev::kReset}) {
      if (phase == AgentPhase::kSignedOut && type == Ev::kReset) continue;
      EXPECT_TRUE(
          std::any_of(table.begin(), table.end(),
                      [&](const AgentTransition& r) { return r.from == phase && r.event == type; }))
          << agentPhaseCode(phase) << " " << agentEventCode(type);
    }
  }
}

// Drives a machine into each row's phase, fires its event, and checks where it lands, what the
// status became, what call control was told and which timers run.
TEST_F(AgentStateTest, EveryTableRowIsReachable) {
  for (const auto& row : agentTransitions()) {
    SCOPED_TRACE(agentTransitionName(row));
    config_ = AgentStateConfig{};
    config_.afterCallWork = row.guard == AgentGuard::kWithoutAfterCallWork ? 0s : 20s;
    auto& m = at(row.from);
    ASSERT_EQ(m.phase(), row.from);
    auto before = m.view();
    auto event = eventFor(row.event);

    auto r = m.handle(event);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(m.phase(), row.to);

    std::vector<AgentAction> expected;
    for (AgentAction a : row.actions.list())
      if (isCallControlAction(a)) expected.push_back(a);
    EXPECT_EQ(r->actions, expected);

    switch (row.status) {
      case StatusChange::kKeep:
        EXPECT_EQ(m.status(), before.status);
        break;
      case StatusChange::kInitial:
        EXPECT_EQ(m.status(), config_.initialStatus);
        break;
      case StatusChange::kRequested:
        EXPECT_EQ(m.status(), requestedStatusOf(row.event));
        if (row.event == Ev::kSetBreak) {
          EXPECT_EQ(m.breakReason(), "lunch");
        }
        break;
      case StatusChange::kDefer: {
        EXPECT_EQ(m.status(), before.status);
        auto wanted = requestedStatusOf(row.event);
        EXPECT_EQ(m.requestedStatus(), wanted == before.status ? std::nullopt : wanted);
        break;
      }
      case StatusChange::kAutoBreak:
        EXPECT_EQ(m.status(), AgentStatus::kBreak);
        EXPECT_FALSE(m.breakReason().empty());
        break;
      case StatusChange::kSignOut:
        EXPECT_EQ(m.status(), AgentStatus::kSignedOut);
        break;
      case StatusChange::kAfterAcwTimeout:
        EXPECT_EQ(m.status(), AgentStatus::kIdle);  // autoReadyAfterAcw by default
        break;
    }
    if (row.event == Ev::kPhoneRegistered) {
      EXPECT_TRUE(m.phoneRegistered());
    }
    if (row.event == Ev::kPhoneUnregistered) {
      EXPECT_FALSE(m.phoneRegistered());
    }

    // A ring timer runs exactly while a call is offered or ringing, an after-call-work timer
    // exactly during after-call work.
    bool ringing = row.to == AgentPhase::kOffering || row.to == AgentPhase::kRinging;
    bool wrapUp = row.to == AgentPhase::kAfterCallWork;
    EXPECT_EQ(timers_.pending(), std::size_t{ringing} + std::size_t{wrapUp});
    EXPECT_EQ(m.callId().empty(),
              !(ringing || row.to == AgentPhase::kTalking || row.to == AgentPhase::kOnHold));
  }
}

// --- configuration and lifetime ----------------------------------------------------------------

TEST(AgentStateConfigTest, ValidationNamesTheField) {
  AgentStateConfig config;
  EXPECT_TRUE(validateAgentStateConfig(config).ok());
  config.initialStatus = AgentStatus::kBreak;
  EXPECT_EQ(validateAgentStateConfig(config).error().field, "initial_status");
  config = {};
  config.ringTimeout = 0s;
  EXPECT_EQ(validateAgentStateConfig(config).error().field, "ring_timeout");
  config = {};
  config.afterCallWork = -1s;
  EXPECT_EQ(validateAgentStateConfig(config).error().field, "after_call_work");
  config = {};
  config.afterCallWork = AgentStateConfig::kUntilAgentEnds;
  EXPECT_TRUE(validateAgentStateConfig(config).ok());
}

TEST_F(AgentStateTest, DestroyingTheMachineStopsItsTimers) {
  at(AgentPhase::kRinging);
  EXPECT_EQ(timers_.pending(), 1u);
  machine_.reset();
  EXPECT_EQ(timers_.pending(), 0u);
  advance(60s);  // nothing fires into a destroyed machine
}

}  // namespace
}  // namespace sb::acd
