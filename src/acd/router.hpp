#pragma once
// The ACD's routing core: which waiting call is offered to which idle agent, now.
//
// Pure logic on the control loop: no I/O, no timers, time passed in; not thread-safe. The agent
// state machine tells the router who may take calls (`setAvailable`), call control tells it
// about callers (`enqueue`, `abandon`) and the outcome of offers (`answered`, `offerFailed`),
// and asks it what to offer (`route`) after each of those. The router owns the queues, the
// index of idle agents per group and the reservations of offers in progress; it owns no agent
// state beyond "may take a call" and no call legs.
//
// Fairness (defined here, tested in tests/unit/acd/routing_test.cpp):
// - Within a group, callers are served by priority (higher first), then strictly in arrival
//   order. A call whose offer fails (ring no answer) goes back to its original place.
// - Across groups, `route` matches waiting calls in one global order, priority first, then
//   arrival (the arrival sequence is global, so there are no ties), considering only groups
//   that have an idle agent; each call then takes an agent of its own group by that group's
//   strategy. So an agent in several groups who becomes available takes the highest-priority,
//   oldest call waiting in any of them, whatever the group; and when several agents are idle
//   the oldest call picks first. Skill levels order agents within a group (kHighestSkill), not
//   calls across groups.
// - A call waits only while its group has no idle agent: after `route`, no group has both a
//   waiting call and an idle agent.
//
// Offers: `route` takes the call off its queue and reserves the agent(s) it returns; a reserved
// call or agent is not offered again until the offer ends: `answered` (the call leaves the ACD,
// other ringing agents are released), `offerFailed` (the agent is marked unavailable, since the
// state machine puts it on break, and once no agent rings any more the call returns to its
// original place in the queue), or `abandon`.
//
// Cost: with A idle agents in a group, Q callers in a queue, G groups and m groups per agent,
// an agent becoming available is O(m (log A + log G)), a call arriving O(log Q + log G), each
// offer `route` returns O(log Q + m (log A + log G)) per agent offered (ring all: all of the
// group's idle agents), a requeue O(log Q + log G).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "acd/queue.hpp"
#include "core/error.hpp"

namespace sb::acd {

// How a group picks among its idle agents for a call.
enum class Strategy {
  kLongestIdle,   // the agent idle the longest (default)
  kRoundRobin,    // the agent this group offered a call to least recently (never offered: first)
  kRingAll,       // every idle agent of the group at once; the first to answer takes it
  kHighestSkill,  // the highest skill level in this group; ties: longest idle
};

// Where callers go when they have waited the group's maximum.
struct OverflowTarget {
  enum class Kind { kNone, kGroup, kVoicemail };
  Kind kind = Kind::kNone;
  GroupId group = 0;  // for kGroup

  static OverflowTarget none() { return {}; }
  static OverflowTarget toGroup(GroupId id) { return {Kind::kGroup, id}; }
  static OverflowTarget voicemail() { return {Kind::kVoicemail, 0}; }
  bool operator==(const OverflowTarget&) const = default;
};

struct GroupConfig {
  GroupId id = 0;
  Strategy strategy = Strategy::kLongestIdle;
  // Callers who waited this long in this group overflow to `overflow`; no limit if unset or if
  // `overflow` is kNone.
  std::optional<Clock::duration> maxWait;
  OverflowTarget overflow;
};

// A call to offer now: ring these agents (one, or all idle agents of a ring-all group).
struct Offer {
  CallId call = 0;
  GroupId group = 0;
  std::vector<AgentId> agents;
  bool operator==(const Offer&) const = default;
};

// A caller who left because it waited its group's maximum.
struct Overflow {
  QueueEntry entry;  // as it was in the group it left
  GroupId from = 0;
  OverflowTarget target;
  // True if the call now waits in the target group (same priority and arrival sequence, so it
  // ranks by its original arrival there). False for voicemail or a target group that does not
  // exist (any more): the call has left the ACD and call control decides (voicemail).
  bool moved = false;
};

// A caller who hung up while waiting or ringing (呼损).
struct Abandoned {
  GroupId group = 0;
  Clock::duration waited{};      // since it reached the ACD
  std::vector<AgentId> ringing;  // agents whose ringing call control must stop; now released
};

struct Answered {
  GroupId group = 0;
  Clock::duration waited{};       // since it reached the ACD
  std::vector<AgentId> released;  // ring all: the other agents, whose ringing must stop
};

class Router {
 public:
  // Adds a group or changes its strategy, maximum wait and overflow. Invalid: overflow to itself.
  Result<void> configureGroup(const GroupConfig& config);
  const GroupConfig* group(GroupId id) const;

  // Makes `agent` a member of `group` with a skill level (技能等级, 1 or more; higher is more
  // skilled), or changes the level. Creates the agent, unavailable, if it is new.
  Result<void> addMembership(AgentId agent, GroupId group, int skillLevel);
  void removeMembership(AgentId agent, GroupId group);
  // Whether the agent may be offered calls: signed in, idle, and reachable (phone registered or
  // mobile answering). The agent state machine decides and calls this on every change;
  // `idleSince` orders longest-idle. Creates the agent if it is new. An agent who has an offer
  // in progress stays reserved until the offer ends.
  void setAvailable(AgentId agent, bool available, TimePoint idleSince);
  // Forgets the agent (signed out and removed). An offer in progress fails as by `offerFailed`.
  void removeAgent(AgentId agent);
  bool isAvailable(AgentId agent) const;  // available and not reserved by an offer
  bool isReserved(AgentId agent) const;

  // A caller joins `group`'s queue. Errors: unknown group, call already in the ACD.
  Result<void> enqueue(CallId call, GroupId group, int priority, TimePoint now);
  // The offers to make now (see fairness above); empty when nothing can be matched. Call after
  // every change that may free an agent or add a call.
  std::vector<Offer> route();

  // The offer of `call` to `agent` was answered: the call leaves the ACD, the agent is no longer
  // available (in a call), other agents ringing for it are released.
  Result<Answered> answered(CallId call, AgentId agent, TimePoint now);
  // The offer of `call` to `agent` failed (ring no answer, rejected, unreachable): the agent is
  // marked unavailable; returns true if the call went back to its original place in the queue
  // (no other agent is ringing for it).
  Result<bool> offerFailed(CallId call, AgentId agent);
  // The caller hung up, waiting or ringing; nullopt if the call is not in the ACD.
  std::optional<Abandoned> abandon(CallId call, TimePoint now);
  // Takes out the callers over their group's maximum wait, moving them to the overflow group.
  std::vector<Overflow> takeOverflows(TimePoint now);
  // When `takeOverflows` next has work, for a timer; nullopt if no caller has a limit.
  std::optional<TimePoint> nextOverflowAt() const;

  // For announcements: 1-based position and estimated wait (see `CallQueue`) of a waiting call;
  // nullopt while it is being offered or not in the ACD.
  std::optional<std::size_t> position(CallId call) const;
  std::optional<Clock::duration> estimatedWait(CallId call) const;
  // The group a call is waiting in or being offered from.
  std::optional<GroupId> groupOf(CallId call) const;
  const CallQueue* queue(GroupId group) const;
  std::size_t waiting() const;  // callers in all queues, not counting offers in progress
  std::size_t idleAgents(GroupId group) const;

 private:
  // Ascending order is preference order in a group's idle set.
  struct AgentKey {
    std::int64_t first;
    std::int64_t second;
    AgentId agent;
    auto operator<=>(const AgentKey&) const = default;
  };
  struct Membership {
    GroupId group;
    int level;
    std::int64_t lastOffered = 0;  // offer counter when this group last offered the agent a call
    bool indexed = false;          // in the group's idle set under `key`
    AgentKey key{};
  };
  struct AgentRecord {
    bool available = false;
    bool reserved = false;
    TimePoint idleSince{};
    std::optional<CallId> offer;
    std::vector<Membership> memberships;  // a handful: linear search
  };
  // (-priority, sequence) of a group's first caller: ascending order is global serving order.
  struct ReadyKey {
    std::int64_t negPriority;
    std::uint64_t sequence;
    GroupId group;
    auto operator<=>(const ReadyKey&) const = default;
  };
  struct GroupRecord {
    GroupConfig config;
    CallQueue queue;
    std::set<AgentKey> idle;
    std::optional<ReadyKey> ready;  // in `ready_` while it has both a caller and an idle agent
  };
  struct CallRecord {
    GroupId group = 0;
    bool offered = false;
    QueueEntry entry;              // while offered (the queue holds it while waiting)
    std::vector<AgentId> ringing;  // while offered
  };

  AgentKey keyFor(const GroupRecord& group, AgentId agent, const AgentRecord& record,
                  const Membership& membership) const;
  void index(AgentId agent, AgentRecord& record);
  void unindex(AgentId agent, AgentRecord& record);
  void indexMembership(AgentId agent, AgentRecord& record, Membership& membership);
  void unindexMembership(AgentId agent, Membership& membership);
  void refresh(GroupRecord& group);
  // Ends `agent`'s part in the offer of `call`; requeues the call when no agent rings any more.
  bool dropFromOffer(CallId call, AgentId agent);

  std::unordered_map<GroupId, GroupRecord> groups_;
  std::unordered_map<AgentId, AgentRecord> agents_;
  std::unordered_map<CallId, CallRecord> calls_;
  std::set<ReadyKey> ready_;
  std::uint64_t nextSequence_ = 1;
  std::int64_t offers_ = 0;
};

}  // namespace sb::acd
