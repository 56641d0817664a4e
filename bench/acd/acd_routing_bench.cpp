// The ACD's routing core alone (no SIP, no media, no agent state machine): one routing decision
// with 5,000 callers waiting in 20 skill groups and 2,000 signed-in agents, each in 1-3 groups
// (Google Benchmark). bench/acd/run prints the figures as nanoseconds per decision; the target
// is well under 1 ms.
//
// Each iteration times only the decision (manual timing around it); the bookkeeping that puts
// the system back into the same state (answering the offer, a new caller) is not counted.

#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "acd/router.hpp"

namespace {

using sb::acd::AgentId;
using sb::acd::CallId;
using sb::acd::GroupId;
using sb::acd::Offer;
using sb::acd::Router;
using sb::acd::Strategy;
using sb::acd::TimePoint;
using std::chrono::duration;
using std::chrono::steady_clock;

constexpr int kBusyGroups = 20;  // groups 1..20: 5,000 callers, every agent busy
constexpr int kIdleGroups = 4;   // groups 21..24: no caller waits, agents idle
constexpr int kCallers = 5000;
constexpr int kAgents = 2000;
constexpr int kIdleAgents = 100;  // agents 1..100 in groups 21..24, idle
constexpr GroupId kFirstIdleGroup = kBusyGroups + 1;

// The contact center under load: every busy-group caller waits because its group's agents are
// all in calls; the four quiet groups (one per strategy) have idle agents and no caller.
struct Center {
  Router router;
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  CallId nextCall = 1;
  std::vector<AgentId> busyAgents;
  std::vector<GroupId> groupOfBusyAgent;  // one of its groups, for the replacement caller
  std::vector<CallId> waitingCalls;

  Center() {
    std::mt19937 random(42);
    const Strategy busyStrategies[] = {Strategy::kLongestIdle, Strategy::kRoundRobin,
                                       Strategy::kHighestSkill};
    for (GroupId g = 1; g <= kBusyGroups; ++g) {
      (void)router.configureGroup({g, busyStrategies[g % 3], std::chrono::minutes(10),
                                   sb::acd::OverflowTarget::voicemail()});
    }
    const Strategy idleStrategies[] = {Strategy::kLongestIdle, Strategy::kRoundRobin,
                                       Strategy::kHighestSkill, Strategy::kRingAll};
    for (int i = 0; i < kIdleGroups; ++i) {
      (void)router.configureGroup({kFirstIdleGroup + i, idleStrategies[i], std::nullopt, {}});
    }
    std::uniform_int_distribution<int> groupsPerAgent(1, 3);
    std::uniform_int_distribution<int> level(1, 10);
    for (AgentId a = 1; a <= kAgents; ++a) {
      bool idle = a <= kIdleAgents;
      std::uniform_int_distribution<int> pick(
          idle ? kFirstIdleGroup : 1, idle ? kFirstIdleGroup + kIdleGroups - 1 : kBusyGroups);
      int n = groupsPerAgent(random);
      GroupId first = 0;
      for (int k = 0; k < n; ++k) {
        GroupId g = pick(random);
        if (first == 0) first = g;
        (void)router.addMembership(a, g, level(random));
      }
      if (idle) {
        router.setAvailable(a, true, now - std::chrono::seconds(a));
      } else {
        busyAgents.push_back(a);
        groupOfBusyAgent.push_back(first);
      }
    }
    std::uniform_int_distribution<int> busyGroup(1, kBusyGroups);
    std::uniform_int_distribution<int> percent(0, 99);
    for (int i = 0; i < kCallers; ++i) {
      int priority = percent(random) < 10 ? 1 + percent(random) % 3 : 0;
      CallId call = nextCall++;
      (void)router.enqueue(call, busyGroup(random), priority, now);
      waitingCalls.push_back(call);
      now += std::chrono::milliseconds(100);
    }
  }
};

double seconds(steady_clock::time_point a, steady_clock::time_point b) {
  return duration<double>(b - a).count();
}

// An agent in 1-3 groups with ~250 callers each becomes available: it takes the oldest,
// highest-priority caller across its groups.
void agentBecomesAvailable(benchmark::State& state) {
  Center center;
  std::size_t next = 0;
  for (auto _ : state) {
    AgentId agent = center.busyAgents[next];
    GroupId group = center.groupOfBusyAgent[next];
    next = (next + 1) % center.busyAgents.size();
    center.now += std::chrono::milliseconds(10);

    auto start = steady_clock::now();
    center.router.setAvailable(agent, true, center.now);
    std::vector<Offer> offers = center.router.route();
    auto end = steady_clock::now();
    state.SetIterationTime(seconds(start, end));

    if (offers.size() != 1) {
      state.SkipWithError("expected one offer");
      break;
    }
    (void)center.router.answered(offers[0].call, agent, center.now);
    (void)center.router.enqueue(center.nextCall++, group, 0, center.now);
  }
  state.counters["waiting"] = static_cast<double>(center.router.waiting());
}
BENCHMARK(agentBecomesAvailable)->UseManualTime();

// A caller arrives at a group with idle agents and is offered at once, by the group's strategy
// (arg: 0 longest idle, 1 round robin, 2 highest skill, 3 ring all).
void callArrives(benchmark::State& state) {
  Center center;
  GroupId group = kFirstIdleGroup + state.range(0);
  for (auto _ : state) {
    center.now += std::chrono::milliseconds(10);
    CallId call = center.nextCall++;

    auto start = steady_clock::now();
    (void)center.router.enqueue(call, group, 0, center.now);
    std::vector<Offer> offers = center.router.route();
    auto end = steady_clock::now();
    state.SetIterationTime(seconds(start, end));

    if (offers.size() != 1) {
      state.SkipWithError("expected one offer");
      break;
    }
    AgentId agent = offers[0].agents.front();
    (void)center.router.answered(call, agent, center.now);
    center.router.setAvailable(agent, true, center.now);
    state.counters["agents_offered"] = static_cast<double>(offers[0].agents.size());
  }
}
BENCHMARK(callArrives)->UseManualTime()->DenseRange(0, 3);

// Ring no answer: the offered caller goes back to its original place among ~250 and the routing
// pass that follows finds nobody idle.
void requeueAfterRingNoAnswer(benchmark::State& state) {
  Center center;
  std::size_t next = 0;
  for (auto _ : state) {
    AgentId agent = center.busyAgents[next];
    next = (next + 1) % center.busyAgents.size();
    center.now += std::chrono::milliseconds(10);
    center.router.setAvailable(agent, true, center.now);
    std::vector<Offer> offers = center.router.route();
    if (offers.size() != 1) {
      state.SkipWithError("expected one offer");
      break;
    }

    auto start = steady_clock::now();
    auto requeued = center.router.offerFailed(offers[0].call, agent);
    std::vector<Offer> none = center.router.route();
    auto end = steady_clock::now();
    state.SetIterationTime(seconds(start, end));

    if (!requeued.ok() || !*requeued || !none.empty()) {
      state.SkipWithError("expected a requeue and no offer");
      break;
    }
  }
}
BENCHMARK(requeueAfterRingNoAnswer)->UseManualTime();

// "You are number N": the position and estimated wait of a waiting caller.
void positionAnnouncement(benchmark::State& state) {
  Center center;
  std::size_t next = 0;
  for (auto _ : state) {
    CallId call = center.waitingCalls[next];
    next = (next + 97) % center.waitingCalls.size();
    benchmark::DoNotOptimize(center.router.position(call));
    benchmark::DoNotOptimize(center.router.estimatedWait(call));
  }
}
BENCHMARK(positionAnnouncement);

// A waiting caller hangs up (呼损) and a new one arrives in the same busy group.
void abandonAndArrive(benchmark::State& state) {
  Center center;
  std::size_t next = 0;
  for (auto _ : state) {
    CallId call = center.waitingCalls[next];
    GroupId group = *center.router.groupOf(call);
    center.now += std::chrono::milliseconds(10);
    benchmark::DoNotOptimize(center.router.abandon(call, center.now));
    CallId fresh = center.nextCall++;
    (void)center.router.enqueue(fresh, group, 0, center.now);
    benchmark::DoNotOptimize(center.router.route());
    center.waitingCalls[next] = fresh;
    next = (next + 97) % center.waitingCalls.size();
  }
}
BENCHMARK(abandonAndArrive);

}  // namespace

BENCHMARK_MAIN();
