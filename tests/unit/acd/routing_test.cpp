#include <chrono>
#include <deque>
#include <ostream>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "acd/queue.hpp"
#include "acd/router.hpp"

namespace sb::acd {

// Readable failures: "call 10 from group 1 to agents {2}".
void PrintTo(const Offer& offer, std::ostream* os) {
  *os << "call " << offer.call << " from group " << offer.group << " to agents {";
  for (std::size_t i = 0; i < offer.agents.size(); ++i)
    *os << (i ? "," : "") << offer.agents[i];
  *os << "}";
}

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class RoutingTest : public ::testing::Test {
 protected:
  void group(GroupId id, Strategy strategy = Strategy::kLongestIdle,
             std::optional<Clock::duration> maxWait = std::nullopt,
             OverflowTarget overflow = OverflowTarget::none()) {
    ASSERT_TRUE(router_.configureGroup({id, strategy, maxWait, overflow}).ok());
  }
  void member(AgentId agent, GroupId group, int level = 1) {
    ASSERT_TRUE(router_.addMembership(agent, group, level).ok());
  }
  // The agent becomes idle now (or at `since`).
  void idle(AgentId agent) { router_.setAvailable(agent, true, now_); }
  void idleSince(AgentId agent, TimePoint since) { router_.setAvailable(agent, true, since); }
  // A caller arrives now; time then moves a second so that arrivals are distinct.
  void arrive(CallId call, GroupId group, int priority = 0) {
    ASSERT_TRUE(router_.enqueue(call, group, priority, now_).ok());
    now_ += 1s;
  }
  // The agent answers the offer; it is in a call afterwards.
  void answer(CallId call, AgentId agent) { ASSERT_TRUE(router_.answered(call, agent, now_).ok()); }
  // Routes and answers every single-agent offer, returning the calls in the order offered.
  std::vector<CallId> routeAndAnswer() {
    std::vector<CallId> served;
    for (const Offer& offer : router_.route()) {
      EXPECT_EQ(offer.agents.size(), 1U);
      served.push_back(offer.call);
      answer(offer.call, offer.agents.front());
    }
    return served;
  }

  TimePoint now_ = TimePoint{} + 10h;
  Router router_;
};

TEST_F(RoutingTest, TwentyCallersAndThreeAgentsAreServedInArrivalOrder) {
  group(1);
  for (AgentId a : {1, 2, 3})
    member(a, 1);
  for (CallId c = 101; c <= 120; ++c)
    arrive(c, 1);
  ASSERT_EQ(router_.waiting(), 20U);

  std::vector<CallId> served;
  std::deque<AgentId> finishing;
  // All three agents sign in together: three offers, oldest callers first.
  for (AgentId a : {3, 1, 2})
    idle(a);
  for (const Offer& offer : router_.route()) {
    served.push_back(offer.call);
    answer(offer.call, offer.agents.front());
    finishing.push_back(offer.agents.front());
  }
  ASSERT_EQ(served, (std::vector<CallId>{101, 102, 103}));
  // Then agents finish their calls one at a time and take the next caller.
  while (!finishing.empty()) {
    now_ += 7s;
    AgentId agent = finishing.front();
    finishing.pop_front();
    idle(agent);
    std::vector<Offer> offers = router_.route();
    if (offers.empty()) continue;
    ASSERT_EQ(offers.size(), 1U);
    EXPECT_EQ(offers[0].agents, std::vector<AgentId>{agent});
    served.push_back(offers[0].call);
    answer(offers[0].call, agent);
    finishing.push_back(agent);
  }
  std::vector<CallId> expected;
  for (CallId c = 101; c <= 120; ++c)
    expected.push_back(c);
  EXPECT_EQ(served, expected);
  EXPECT_EQ(router_.waiting(), 0U);
}

TEST_F(RoutingTest, PriorityCallersGoFirstButFifoWithinAPriority) {
  group(1);
  member(7, 1);
  arrive(1, 1, 0);
  arrive(2, 1, 5);
  arrive(3, 1, 0);
  arrive(4, 1, 5);
  arrive(5, 1, 9);
  EXPECT_EQ(router_.position(5), 1U);
  EXPECT_EQ(router_.position(2), 2U);
  EXPECT_EQ(router_.position(4), 3U);
  EXPECT_EQ(router_.position(1), 4U);
  EXPECT_EQ(router_.position(3), 5U);

  std::vector<CallId> served;
  for (int i = 0; i < 5; ++i) {
    idle(7);
    for (CallId c : routeAndAnswer())
      served.push_back(c);
  }
  EXPECT_EQ(served, (std::vector<CallId>{5, 2, 4, 1, 3}));
}

TEST_F(RoutingTest, LongestIdleAgentGetsTheCall) {
  group(1);
  for (AgentId a : {1, 2, 3})
    member(a, 1);
  idleSince(1, now_ - 30s);
  idleSince(2, now_ - 60s);
  idleSince(3, now_ - 10s);
  arrive(100, 1);
  EXPECT_THAT(router_.route(), ElementsAre(Offer{100, 1, {2}}));
  arrive(101, 1);
  EXPECT_THAT(router_.route(), ElementsAre(Offer{101, 1, {1}}));
  arrive(102, 1);
  EXPECT_THAT(router_.route(), ElementsAre(Offer{102, 1, {3}}));
}

TEST_F(RoutingTest, RoundRobinRotates) {
  group(1, Strategy::kRoundRobin);
  for (AgentId a : {1, 2, 3})
    member(a, 1);
  // Every agent reports the same idle time: longest idle would pick agent 1 every time.
  const TimePoint since = now_;
  for (AgentId a : {1, 2, 3})
    idleSince(a, since);
  std::vector<AgentId> offered;
  for (CallId c = 1; c <= 7; ++c) {
    arrive(c, 1);
    std::vector<Offer> offers = router_.route();
    ASSERT_EQ(offers.size(), 1U);
    AgentId agent = offers[0].agents.front();
    offered.push_back(agent);
    answer(c, agent);
    idleSince(agent, since);
  }
  EXPECT_EQ(offered, (std::vector<AgentId>{1, 2, 3, 1, 2, 3, 1}));
}

TEST_F(RoutingTest, RingAllOffersEveryAvailableAgent) {
  group(1, Strategy::kRingAll);
  for (AgentId a : {1, 2, 3, 4})
    member(a, 1);
  idle(1);
  idle(2);
  idle(4);
  arrive(100, 1);
  arrive(101, 1);
  std::vector<Offer> offers = router_.route();
  ASSERT_EQ(offers.size(), 1U);
  EXPECT_EQ(offers[0].call, 100U);
  EXPECT_THAT(offers[0].agents, UnorderedElementsAre(1, 2, 4));
  EXPECT_TRUE(router_.isReserved(1));
  EXPECT_EQ(router_.position(101), 1U);

  // Agent 2 answers first: the others stop ringing and take the next caller.
  auto answered = router_.answered(100, 2, now_);
  ASSERT_TRUE(answered.ok());
  EXPECT_THAT(answered->released, UnorderedElementsAre(1, 4));
  EXPECT_FALSE(router_.isAvailable(2));
  offers = router_.route();
  ASSERT_EQ(offers.size(), 1U);
  EXPECT_EQ(offers[0].call, 101U);
  EXPECT_THAT(offers[0].agents, UnorderedElementsAre(1, 4));
}

TEST_F(RoutingTest, RingAllCallReturnsToTheQueueOnlyWhenNoAgentRingsAnyMore) {
  group(1, Strategy::kRingAll);
  for (AgentId a : {1, 2})
    member(a, 1);
  idle(1);
  idle(2);
  arrive(100, 1);
  ASSERT_EQ(router_.route().size(), 1U);
  auto first = router_.offerFailed(100, 1);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(*first);
  EXPECT_EQ(router_.position(100), std::nullopt);  // still ringing agent 2
  auto second = router_.offerFailed(100, 2);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(*second);
  EXPECT_EQ(router_.position(100), 1U);
}

TEST_F(RoutingTest, HighestSkillLevelFirst) {
  group(1, Strategy::kHighestSkill);
  member(1, 1, 3);
  member(2, 1, 7);
  member(3, 1, 7);
  idleSince(1, now_ - 100s);  // idle longest, but least skilled
  idleSince(2, now_ - 10s);
  idleSince(3, now_ - 20s);  // ties with 2 on level, idle longer
  for (CallId c : {10, 11, 12})
    arrive(c, 1);
  EXPECT_THAT(router_.route(),
              ElementsAre(Offer{10, 1, {3}}, Offer{11, 1, {2}}, Offer{12, 1, {1}}));
}

TEST_F(RoutingTest, RingNoAnswerRequeuesAtTheOriginalPositionAndTheNextAgentGetsTheSameCallFirst) {
  group(1);
  for (AgentId a : {1, 2})
    member(a, 1);
  for (CallId c : {10, 11, 12})
    arrive(c, 1);
  idle(1);
  EXPECT_THAT(router_.route(), ElementsAre(Offer{10, 1, {1}}));
  EXPECT_EQ(router_.position(11), 1U);  // the ringing call is out of the line meanwhile
  arrive(13, 1);

  now_ += 30s;  // rings 30 s unanswered
  auto requeued = router_.offerFailed(10, 1);
  ASSERT_TRUE(requeued.ok());
  EXPECT_TRUE(*requeued);
  EXPECT_FALSE(router_.isAvailable(1));  // the state machine puts agent 1 on break
  EXPECT_EQ(router_.position(10), 1U);
  EXPECT_EQ(router_.position(11), 2U);
  EXPECT_EQ(router_.position(13), 4U);
  EXPECT_TRUE(router_.route().empty());

  idle(2);
  EXPECT_THAT(router_.route(), ElementsAre(Offer{10, 1, {2}}));
}

TEST_F(RoutingTest, ReservedAgentsAndCallsAreNotOfferedTwice) {
  group(1);
  member(1, 1);
  idle(1);
  arrive(10, 1);
  arrive(11, 1);
  ASSERT_EQ(router_.route().size(), 1U);
  idle(1);  // the state machine repeats "idle" while the phone rings: still reserved
  EXPECT_TRUE(router_.route().empty());
  EXPECT_FALSE(router_.isAvailable(1));
  EXPECT_EQ(router_.waiting(), 1U);
}

TEST_F(RoutingTest, AbandonedCallLeavesTheQueueAndReportsItsWait) {
  group(1);
  member(1, 1);
  const TimePoint start = now_;
  arrive(10, 1);
  arrive(11, 1);
  arrive(12, 1);
  now_ = start + 45s;
  auto abandoned = router_.abandon(10, now_);
  ASSERT_TRUE(abandoned.has_value());
  EXPECT_EQ(abandoned->group, 1);
  EXPECT_EQ(abandoned->waited, 45s);
  EXPECT_TRUE(abandoned->ringing.empty());
  EXPECT_EQ(router_.position(10), std::nullopt);
  EXPECT_EQ(router_.position(11), 1U);
  EXPECT_EQ(router_.waiting(), 2U);
  EXPECT_EQ(router_.abandon(10, now_), std::nullopt);

  // Hanging up while an agent rings: the agent is released and takes the next caller.
  idle(1);
  EXPECT_THAT(router_.route(), ElementsAre(Offer{11, 1, {1}}));
  now_ = start + 60s;
  abandoned = router_.abandon(11, now_);
  ASSERT_TRUE(abandoned.has_value());
  EXPECT_EQ(abandoned->waited, 59s);
  EXPECT_EQ(abandoned->ringing, std::vector<AgentId>{1});
  EXPECT_TRUE(router_.isAvailable(1));
  EXPECT_THAT(router_.route(), ElementsAre(Offer{12, 1, {1}}));
}

TEST_F(RoutingTest, OverflowAfterMaxWaitToAnotherGroupOrVoicemail) {
  group(1, Strategy::kLongestIdle, 60s, OverflowTarget::toGroup(2));
  group(2, Strategy::kLongestIdle, 120s, OverflowTarget::voicemail());
  group(3);  // no limit
  const TimePoint start = now_;
  arrive(10, 1);  // start
  now_ = start + 10s;
  arrive(11, 1);
  arrive(30, 3);
  now_ = start + 30s;
  arrive(20, 2);  // reaches group 2 after call 10 reached the ACD
  EXPECT_EQ(router_.nextOverflowAt(), start + 60s);

  now_ = start + 59s;
  EXPECT_TRUE(router_.takeOverflows(now_).empty());
  now_ = start + 60s;
  std::vector<Overflow> overflows = router_.takeOverflows(now_);
  ASSERT_EQ(overflows.size(), 1U);
  EXPECT_EQ(overflows[0].entry.call, 10U);
  EXPECT_EQ(overflows[0].from, 1);
  EXPECT_EQ(overflows[0].target, OverflowTarget::toGroup(2));
  EXPECT_TRUE(overflows[0].moved);
  EXPECT_EQ(router_.groupOf(10), 2);
  EXPECT_EQ(router_.position(10), 1U);  // ranks by its original arrival, ahead of call 20
  EXPECT_EQ(router_.position(20), 2U);
  EXPECT_EQ(router_.position(11), 1U);
  EXPECT_EQ(router_.nextOverflowAt(), start + 70s);

  // Group 2 gives call 10 its own full 120 s, counted from when it entered group 2.
  now_ = start + 150s;
  overflows = router_.takeOverflows(now_);
  ASSERT_EQ(overflows.size(), 2U);  // call 11 (group 1 -> 2) and call 20 (group 2 -> voicemail)
  EXPECT_EQ(overflows[0].entry.call, 11U);
  EXPECT_EQ(overflows[1].entry.call, 20U);
  EXPECT_EQ(overflows[1].target, OverflowTarget::voicemail());
  EXPECT_FALSE(overflows[1].moved);
  EXPECT_EQ(router_.groupOf(20), std::nullopt);
  EXPECT_EQ(router_.groupOf(10), 2);

  now_ = start + 180s;
  overflows = router_.takeOverflows(now_);
  ASSERT_EQ(overflows.size(), 1U);
  EXPECT_EQ(overflows[0].entry.call, 10U);
  EXPECT_EQ(overflows[0].entry.arrivedAt, start);
  EXPECT_FALSE(overflows[0].moved);
  EXPECT_EQ(router_.groupOf(10), std::nullopt);
  EXPECT_EQ(router_.groupOf(30), 3);  // a group without a limit keeps its callers
}

TEST_F(RoutingTest, AgentInTwoGroupsTakesTheOldestCallAcrossThem) {
  group(1);
  group(2);
  member(5, 1, 9);  // more skilled in group 1: does not matter for which call comes first
  member(5, 2, 1);
  arrive(20, 2);
  arrive(10, 1);
  arrive(21, 2);
  arrive(11, 1, 3);  // a priority caller, last to arrive
  std::vector<CallId> served;
  for (int i = 0; i < 4; ++i) {
    idle(5);
    for (CallId c : routeAndAnswer())
      served.push_back(c);
  }
  EXPECT_EQ(served, (std::vector<CallId>{11, 20, 10, 21}));
}

TEST_F(RoutingTest, WhenSeveralAgentsAreIdleTheOldestCallPicksFirstByItsGroupsStrategy) {
  group(1);
  group(2);
  member(1, 1);  // only group 1, idle longest
  member(2, 1);
  member(2, 2);
  arrive(10, 1);
  arrive(20, 2);
  idleSince(2, now_ - 10s);
  idleSince(1, now_ - 60s);
  EXPECT_THAT(router_.route(), ElementsAre(Offer{10, 1, {1}}, Offer{20, 2, {2}}));
}

TEST_F(RoutingTest, UnavailableAgentsAreNotOffered) {
  group(1);
  group(2);
  member(1, 1);  // signed in, never idle
  member(2, 1);
  idle(2);
  router_.setAvailable(2, false, now_);  // went on break
  member(3, 2);
  idle(3);  // idle, but not in group 1
  member(4, 1);
  idle(4);
  router_.removeMembership(4, 1);  // left the group
  arrive(10, 1);
  EXPECT_TRUE(router_.route().empty());
  EXPECT_EQ(router_.position(10), 1U);
  idle(1);
  EXPECT_THAT(router_.route(), ElementsAre(Offer{10, 1, {1}}));
}

TEST_F(RoutingTest, PositionAndEstimatedWaitFollowTheAnswerRate) {
  group(1);
  member(1, 1);
  const TimePoint start = now_;
  for (CallId c = 1; c <= 5; ++c)
    arrive(c, 1);
  EXPECT_EQ(router_.estimatedWait(3), std::nullopt);  // nothing answered yet

  // One agent takes a caller every 30 s while others wait.
  for (int i = 0; i < 3; ++i) {
    now_ = start + 10s + i * 30s;
    idle(1);
    routeAndAnswer();
  }
  EXPECT_EQ(router_.queue(1)->averageAnswerGap(), Clock::duration{30s});
  EXPECT_EQ(router_.position(4), 1U);
  EXPECT_EQ(router_.position(5), 2U);
  EXPECT_EQ(router_.estimatedWait(4), Clock::duration{30s});
  EXPECT_EQ(router_.estimatedWait(5), Clock::duration{60s});

  // A slower answer moves the average: gaps 30, 30, 60.
  now_ = start + 130s;
  idle(1);
  routeAndAnswer();
  EXPECT_EQ(router_.queue(1)->averageAnswerGap(), Clock::duration{40s});

  // The queue runs empty: the next gap measures arrivals, not agents, and is not sampled.
  now_ = start + 140s;
  idle(1);
  routeAndAnswer();
  now_ = start + 900s;
  arrive(6, 1);
  idle(1);
  routeAndAnswer();
  EXPECT_EQ(router_.queue(1)->averageAnswerGap(), Clock::duration{40s * 3 + 10s} / 4);
}

TEST_F(RoutingTest, RefusesUnknownGroupsDuplicateCallsAndForeignAnswers) {
  group(1);
  EXPECT_FALSE(router_.enqueue(1, 99, 0, now_).ok());
  EXPECT_FALSE(router_.addMembership(1, 99, 1).ok());
  EXPECT_FALSE(router_.addMembership(1, 1, 0).ok());
  EXPECT_FALSE(
      router_.configureGroup({2, Strategy::kRingAll, 10s, OverflowTarget::toGroup(2)}).ok());
  arrive(1, 1);
  EXPECT_EQ(router_.enqueue(1, 1, 0, now_).error().code, ErrorCode::kConflict);
  member(1, 1);
  member(2, 1);
  idle(1);
  ASSERT_EQ(router_.route().size(), 1U);
  EXPECT_FALSE(router_.answered(1, 2, now_).ok());
  EXPECT_FALSE(router_.offerFailed(1, 2).ok());
  EXPECT_TRUE(router_.answered(1, 1, now_).ok());
}

TEST_F(RoutingTest, ChangingTheStrategyReordersTheIdleAgents) {
  group(1, Strategy::kLongestIdle);
  member(1, 1, 2);
  member(2, 1, 8);
  idleSince(1, now_ - 60s);
  idleSince(2, now_ - 5s);
  group(1, Strategy::kHighestSkill);
  arrive(10, 1);
  EXPECT_THAT(router_.route(), ElementsAre(Offer{10, 1, {2}}));
}

TEST_F(RoutingTest, AgentSignedOutWhileRingingRequeuesTheCall) {
  group(1);
  member(1, 1);
  member(2, 1);
  arrive(10, 1);
  arrive(11, 1);
  idle(1);
  ASSERT_EQ(router_.route().size(), 1U);
  router_.removeAgent(1);
  EXPECT_EQ(router_.position(10), 1U);
  idle(2);
  EXPECT_THAT(router_.route(), ElementsAre(Offer{10, 1, {2}}));
}

TEST(CallQueueTest, RequeueRestoresTheOriginalPositionAndDuplicatesAreRefused) {
  CallQueue queue;
  TimePoint t{};
  for (std::uint64_t s = 1; s <= 4; ++s) {
    ASSERT_TRUE(queue.enqueue({s * 10, 0, s, t, t}));
  }
  EXPECT_FALSE(queue.enqueue({10, 0, 9, t, t}));  // same call
  EXPECT_FALSE(queue.enqueue({99, 0, 2, t, t}));  // same place
  std::optional<QueueEntry> first = queue.popFront();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->call, 10U);
  std::optional<QueueEntry> third = queue.remove(30);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(queue.position(40), 2U);
  ASSERT_TRUE(queue.requeue(*third));
  ASSERT_TRUE(queue.requeue(*first));
  EXPECT_EQ(queue.position(10), 1U);
  EXPECT_EQ(queue.position(20), 2U);
  EXPECT_EQ(queue.position(30), 3U);
  EXPECT_EQ(queue.position(40), 4U);
  EXPECT_EQ(queue.size(), 4U);
}

}  // namespace
}  // namespace sb::acd
