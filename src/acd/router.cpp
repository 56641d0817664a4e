#include "acd/router.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "core/logging.hpp"

namespace sb::acd {

namespace {

std::int64_t ticks(TimePoint t) {
  return t.time_since_epoch().count();
}

}  // namespace

// ---- groups ----

Result<void> Router::configureGroup(const GroupConfig& config) {
  if (config.overflow.kind == OverflowTarget::Kind::kGroup && config.overflow.group == config.id) {
    return Error::invalid("overflow", "a group cannot overflow to itself");
  }
  if (config.maxWait && *config.maxWait <= Clock::duration::zero()) {
    return Error::invalid("max_wait", "the maximum wait must be positive");
  }
  auto [it, inserted] = groups_.try_emplace(config.id);
  GroupRecord& group = it->second;
  bool rekey = !inserted && group.config.strategy != config.strategy;
  group.config = config;
  if (rekey) {
    // The idle set's order depends on the strategy: index its agents again.
    std::vector<AgentId> idle;
    idle.reserve(group.idle.size());
    for (const AgentKey& key : group.idle)
      idle.push_back(key.agent);
    for (AgentId agent : idle) {
      AgentRecord& record = agents_.at(agent);
      for (Membership& m : record.memberships) {
        if (m.group != config.id) continue;
        unindexMembership(agent, m);
        indexMembership(agent, record, m);
      }
    }
  }
  return Ok{};
}

const GroupConfig* Router::group(GroupId id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second.config;
}

void Router::refresh(GroupRecord& group) {
  if (group.ready) {
    ready_.erase(*group.ready);
    group.ready.reset();
  }
  const QueueEntry* front = group.queue.front();
  if (front != nullptr && !group.idle.empty()) {
    group.ready = ReadyKey{-std::int64_t{front->priority}, front->sequence, group.config.id};
    ready_.insert(*group.ready);
  }
}

// ---- agents ----

Router::AgentKey Router::keyFor(const GroupRecord& group, AgentId agent, const AgentRecord& record,
                                const Membership& membership) const {
  switch (group.config.strategy) {
    case Strategy::kRoundRobin:
      return {0, membership.lastOffered, agent};
    case Strategy::kHighestSkill:
      return {-std::int64_t{membership.level}, ticks(record.idleSince), agent};
    case Strategy::kLongestIdle:
    case Strategy::kRingAll:
      break;
  }
  return {0, ticks(record.idleSince), agent};
}

void Router::indexMembership(AgentId agent, AgentRecord& record, Membership& membership) {
  if (!record.available || record.reserved || membership.indexed) return;
  auto it = groups_.find(membership.group);
  if (it == groups_.end()) return;
  membership.key = keyFor(it->second, agent, record, membership);
  membership.indexed = true;
  it->second.idle.insert(membership.key);
  refresh(it->second);
}

void Router::unindexMembership(AgentId /*agent*/, Membership& membership) {
  if (!membership.indexed) return;
  membership.indexed = false;
  auto it = groups_.find(membership.group);
  if (it == groups_.end()) return;
  it->second.idle.erase(membership.key);
  refresh(it->second);
}

void Router::index(AgentId agent, AgentRecord& record) {
  for (Membership& m : record.memberships)
    indexMembership(agent, record, m);
}

void Router::unindex(AgentId agent, AgentRecord& record) {
  for (Membership& m : record.memberships)
    unindexMembership(agent, m);
}

Result<void> Router::addMembership(AgentId agent, GroupId group, int skillLevel) {
  if (!groups_.contains(group)) return Error::notFound("skill group " + std::to_string(group));
  if (skillLevel < 1) return Error::invalid("skill_level", "the skill level must be 1 or more");
  AgentRecord& record = agents_[agent];
  auto it = std::find_if(record.memberships.begin(), record.memberships.end(),
                         [&](const Membership& m) { return m.group == group; });
  if (it == record.memberships.end()) {
    record.memberships.push_back({group, skillLevel});
    indexMembership(agent, record, record.memberships.back());
  } else {
    unindexMembership(agent, *it);
    it->level = skillLevel;
    indexMembership(agent, record, *it);
  }
  return Ok{};
}

void Router::removeMembership(AgentId agent, GroupId group) {
  auto found = agents_.find(agent);
  if (found == agents_.end()) return;
  auto& memberships = found->second.memberships;
  auto it = std::find_if(memberships.begin(), memberships.end(),
                         [&](const Membership& m) { return m.group == group; });
  if (it == memberships.end()) return;
  unindexMembership(agent, *it);
  memberships.erase(it);
}

void Router::setAvailable(AgentId agent, bool available, TimePoint idleSince) {
  AgentRecord& record = agents_[agent];
  if (record.available == available && (!available || record.idleSince == idleSince)) return;
  unindex(agent, record);
  record.available = available;
  if (available) record.idleSince = idleSince;
  index(agent, record);
}

void Router::removeAgent(AgentId agent) {
  auto it = agents_.find(agent);
  if (it == agents_.end()) return;
  if (it->second.offer) dropFromOffer(*it->second.offer, agent);
  unindex(agent, it->second);
  agents_.erase(it);
}

bool Router::isAvailable(AgentId agent) const {
  auto it = agents_.find(agent);
  return it != agents_.end() && it->second.available && !it->second.reserved;
}

bool Router::isReserved(AgentId agent) const {
  auto it = agents_.find(agent);
  return it != agents_.end() && it->second.reserved;
}

std::size_t Router::idleAgents(GroupId group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? 0 : it->second.idle.size();
}

// ---- calls ----

Result<void> Router::enqueue(CallId call, GroupId group, int priority, TimePoint now) {
  auto g = groups_.find(group);
  if (g == groups_.end()) return Error::notFound("skill group " + std::to_string(group));
  if (calls_.contains(call)) return Error::conflict("call already in the ACD");
  QueueEntry entry{call, priority, nextSequence_++, now, now};
  if (!g->second.queue.enqueue(entry)) {
    SB_BUG("queue refused a new call");
    return Error::conflict("call already queued");
  }
  calls_.emplace(call, CallRecord{group});
  refresh(g->second);
  return Ok{};
}

std::vector<Offer> Router::route() {
  std::vector<Offer> offers;
  while (!ready_.empty()) {
    GroupId id = ready_.begin()->group;
    GroupRecord& group = groups_.at(id);
    QueueEntry entry = *group.queue.popFront();
    Offer offer{entry.call, id, {}};
    if (group.config.strategy == Strategy::kRingAll) {
      offer.agents.reserve(group.idle.size());
      for (const AgentKey& key : group.idle)
        offer.agents.push_back(key.agent);
    } else {
      offer.agents.push_back(group.idle.begin()->agent);
    }
    ++offers_;
    for (AgentId agent : offer.agents) {
      AgentRecord& record = agents_.at(agent);
      unindex(agent, record);
      record.reserved = true;
      record.offer = entry.call;
      for (Membership& m : record.memberships) {
        if (m.group == id) m.lastOffered = offers_;
      }
    }
    CallRecord& call = calls_.at(entry.call);
    call.offered = true;
    call.entry = entry;
    call.ringing = offer.agents;
    refresh(group);
    offers.push_back(std::move(offer));
  }
  return offers;
}

Result<Answered> Router::answered(CallId call, AgentId agent, TimePoint now) {
  auto it = calls_.find(call);
  if (it == calls_.end() || !it->second.offered) return Error::notFound("no offer of this call");
  CallRecord& record = it->second;
  if (std::find(record.ringing.begin(), record.ringing.end(), agent) == record.ringing.end()) {
    return Error::notFound("the call was not offered to this agent");
  }
  Answered result{record.group, now - record.entry.arrivedAt, {}};
  for (AgentId other : record.ringing) {
    AgentRecord& a = agents_.at(other);
    a.reserved = false;
    a.offer.reset();
    if (other == agent) {
      a.available = false;  // in a call now
    } else {
      result.released.push_back(other);
      index(other, a);
    }
  }
  auto g = groups_.find(record.group);
  if (g != groups_.end()) g->second.queue.recordAnswer(now);
  calls_.erase(it);
  return result;
}

bool Router::dropFromOffer(CallId call, AgentId agent) {
  CallRecord& record = calls_.at(call);
  AgentRecord& a = agents_.at(agent);
  a.reserved = false;
  a.offer.reset();
  a.available = false;  // the state machine puts it on break (or signs it out)
  std::erase(record.ringing, agent);
  if (!record.ringing.empty()) return false;
  record.offered = false;
  auto g = groups_.find(record.group);
  if (g == groups_.end() || !g->second.queue.requeue(record.entry)) {
    SB_BUG("offered call could not be requeued");
    calls_.erase(call);
    return false;
  }
  refresh(g->second);
  return true;
}

Result<bool> Router::offerFailed(CallId call, AgentId agent) {
  auto it = calls_.find(call);
  if (it == calls_.end() || !it->second.offered) return Error::notFound("no offer of this call");
  const auto& ringing = it->second.ringing;
  if (std::find(ringing.begin(), ringing.end(), agent) == ringing.end()) {
    return Error::notFound("the call was not offered to this agent");
  }
  return dropFromOffer(call, agent);
}

std::optional<Abandoned> Router::abandon(CallId call, TimePoint now) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return std::nullopt;
  CallRecord& record = it->second;
  Abandoned result{record.group, {}, {}};
  if (record.offered) {
    result.waited = now - record.entry.arrivedAt;
    result.ringing = record.ringing;
    for (AgentId agent : record.ringing) {
      AgentRecord& a = agents_.at(agent);
      a.reserved = false;
      a.offer.reset();
      index(agent, a);
    }
  } else {
    GroupRecord& group = groups_.at(record.group);
    std::optional<QueueEntry> entry = group.queue.remove(call);
    if (!entry) {
      SB_BUG("waiting call missing from its queue");
      calls_.erase(it);
      return std::nullopt;
    }
    result.waited = now - entry->arrivedAt;
    refresh(group);
  }
  calls_.erase(it);
  return result;
}

std::vector<Overflow> Router::takeOverflows(TimePoint now) {
  std::vector<Overflow> result;
  for (auto& [id, group] : groups_) {
    const GroupConfig& config = group.config;
    if (!config.maxWait || config.overflow.kind == OverflowTarget::Kind::kNone) continue;
    std::vector<QueueEntry> overdue = group.queue.takeOverdue(now, *config.maxWait);
    if (overdue.empty()) continue;
    refresh(group);
    for (const QueueEntry& entry : overdue) {
      Overflow overflow{entry, id, config.overflow, false};
      auto target = config.overflow.kind == OverflowTarget::Kind::kGroup
                        ? groups_.find(config.overflow.group)
                        : groups_.end();
      if (target != groups_.end()) {
        QueueEntry moved = entry;
        moved.enteredAt = now;
        overflow.moved = target->second.queue.enqueue(moved);
      }
      if (overflow.moved) {
        calls_.at(entry.call).group = target->first;
        refresh(target->second);
      } else {
        calls_.erase(entry.call);
      }
      result.push_back(std::move(overflow));
    }
  }
  std::sort(result.begin(), result.end(), [](const Overflow& a, const Overflow& b) {
    return a.entry.sequence < b.entry.sequence;
  });
  return result;
}

std::optional<TimePoint> Router::nextOverflowAt() const {
  std::optional<TimePoint> next;
  for (const auto& [id, group] : groups_) {
    const GroupConfig& config = group.config;
    if (!config.maxWait || config.overflow.kind == OverflowTarget::Kind::kNone) continue;
    auto deadline = group.queue.nextDeadline(*config.maxWait);
    if (deadline && (!next || *deadline < *next)) next = deadline;
  }
  return next;
}

// ---- announcements and views ----

std::optional<std::size_t> Router::position(CallId call) const {
  auto it = calls_.find(call);
  if (it == calls_.end() || it->second.offered) return std::nullopt;
  return groups_.at(it->second.group).queue.position(call);
}

std::optional<Clock::duration> Router::estimatedWait(CallId call) const {
  auto it = calls_.find(call);
  if (it == calls_.end() || it->second.offered) return std::nullopt;
  return groups_.at(it->second.group).queue.estimatedWait(call);
}

std::optional<GroupId> Router::groupOf(CallId call) const {
  auto it = calls_.find(call);
  if (it == calls_.end()) return std::nullopt;
  return it->second.group;
}

const CallQueue* Router::queue(GroupId group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : &it->second.queue;
}

std::size_t Router::waiting() const {
  std::size_t n = 0;
  for (const auto& [id, group] : groups_)
    n += group.queue.size();
  return n;
}

}  // namespace sb::acd
