#include "calls/contact_center.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <random>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/logging.hpp"
#include "core/text.hpp"
#include "sdp/sdp.hpp"
#include "sip/core.hpp"
#include "sip/headers.hpp"
#include "sip/syntax.hpp"
#include "sip/uri.hpp"

namespace sb::calls {

namespace {

using sip::SessionEvent;
using Steady = Timers::Clock;
using store::CallEndReason;

constexpr std::size_t kMaxTypeAhead = 8;  // keys kept from a play node for the menus after it

std::int64_t millisBetween(Steady::time_point from, Steady::time_point to) {
  if (from == Steady::time_point{} || to < from) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

acd::Strategy strategyOf(const std::string& name) {
  if (name == "round_robin") return acd::Strategy::kRoundRobin;
  if (name == "ring_all") return acd::Strategy::kRingAll;
  if (name == "highest_skill") return acd::Strategy::kHighestSkill;
  return acd::Strategy::kLongestIdle;
}

bool isRefusal(int status) {
  return status == 486 || status == 600 || status == 603;
}

// "recordings/2026/11/21/<id>.wav": one folder per day keeps folders small.
std::filesystem::path dailyPath(std::string_view kind, store::UnixMillis at,
                                const std::string& id) {
  std::time_t seconds = static_cast<std::time_t>(at / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return std::filesystem::path(std::string(kind)) / fmt::format("{:04}", tm.tm_year + 1900) /
         fmt::format("{:02}", tm.tm_mon + 1) / fmt::format("{:02}", tm.tm_mday) / (id + ".wav");
}

// The user part of a From header: the caller's number.
std::string callerNumber(const sip::Message& invite) {
  const auto& from = invite.from();
  if (!from) return {};
  return sip::unescape(from->uri.user).value_or("");
}

// Text made safe for a SIP URI's user part: characters it may not hold are left out.
std::string uriUser(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 ||
        std::string_view("-_.!~*'()&=+$,;?/").find(c) != std::string_view::npos) {
      out.push_back(c);
    }
  }
  return out.empty() ? "anonymous" : out;
}

// Text made safe for a quoted display name.
std::string quotable(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out;
}

// A DTMF key from a SIP INFO body (application/dtmf-relay "Signal=5" or application/dtmf "5").
std::optional<char> infoDigit(const sip::Message& info) {
  auto body = info.body();
  auto at = body.find("Signal=");
  std::string_view value = at == std::string_view::npos ? body : body.substr(at + 7);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  if (value.empty()) return std::nullopt;
  char c = value.front();
  if ((c >= '0' && c <= '9') || c == '*' || c == '#') return c;
  return std::nullopt;
}

// Whether an SDP offer puts the call on hold (the phone stops sending to us).
std::optional<bool> holdsCall(std::string_view body) {
  if (body.empty()) return std::nullopt;
  auto offer = sdp::parse(body);
  if (!offer || offer->media.empty()) return std::nullopt;
  const auto& audio = offer->media.front();
  // a=sendonly or a=inactive (RFC 3264), or the older c=0.0.0.0 (RFC 2543) some phones still use.
  const auto* connection = offer->connectionFor(audio);
  return audio.direction == sdp::Direction::kSendOnly ||
         audio.direction == sdp::Direction::kInactive ||
         (connection != nullptr && sdp::isHoldAddress(*connection));
}

}  // namespace

struct ContactCenter::AgentOffer {
  acd::AgentId agent = 0;
  struct Phone {
    sip::SessionId session = 0;
    MediaLeg leg;
  };
  std::vector<Phone> phones;
  bool ringing = false;
  int failure = 0;
  Steady::time_point since;
};

struct ContactCenter::Call {
  enum class Stage : std::uint8_t { kFlow, kQueued, kTalking, kVoicemail, kEnding };
  CallKey key = 0;
  std::string callId;  // the agents' machines know the call by this
  Stage stage = Stage::kFlow;
  sip::SessionId caller = 0;
  MediaLeg callerLeg;
  // The flow.
  const config::FlowConfig* flow = nullptr;
  const config::FlowNode* node = nullptr;
  int attempts = 0;
  Timers::Id timer = 0;  // the menu's digit timeout, the voicemail's maximum length
  bool playing = false;
  std::string typeAhead;  // keys pressed during a play node, for the menu after it
  AfterPlay after = AfterPlay::kNextNode;
  Steady::time_point playEnds;
  bool afterHours = false;
  // The queue.
  std::int64_t group = 0;
  Timers::Id announceTimer = 0;
  std::vector<AgentOffer> offers;
  // The conversation.
  acd::AgentId agent = 0;
  sip::SessionId agentSession = 0;
  MediaLeg agentLeg;
  std::shared_ptr<media::Recorder> recorder;
  bool onHold = false;
  Steady::time_point arrived, queued, answered, holdSince;
  std::int64_t ringMs = 0;
  std::int64_t holdMs = 0;
  store::CallRecord record;
};

struct ContactCenter::Agent {
  acd::AgentId id = 0;
  std::string name;
  store::AgentSettings settings;
  std::vector<store::SkillMembership> skills;
  std::unique_ptr<acd::AgentStateMachine> machine;
  std::string mobileNumber;  // where offers ring while the status is mobile
  std::string acwRecord;     // the call record whose after-call work runs
  Steady::time_point acwSince;
};

Result<void> checkGroups(const ContactCenterOptions& options) {
  auto known = [&](const std::string& name) {
    return std::any_of(options.groups.begin(), options.groups.end(),
                       [&](const SkillGroupRef& g) { return g.name == name; });
  };
  auto unknown = [](std::string field, const std::string& name) {
    return Error::invalid(std::move(field), fmt::format("no skill group is named \"{}\"", name));
  };
  for (std::size_t i = 0; i < options.numbers.size(); ++i) {
    const auto& n = options.numbers[i];
    if (!n.group.empty() && !known(n.group))
      return unknown(fmt::format("numbers[{}].group", i), n.group);
  }
  for (std::size_t i = 0; i < options.queues.size(); ++i) {
    const auto& q = options.queues[i];
    if (!known(q.group)) return unknown(fmt::format("queues[{}].group", i), q.group);
    if (!q.overflow.empty() && q.overflow != "voicemail" && !known(q.overflow)) {
      return unknown(fmt::format("queues[{}].overflow", i), q.overflow);
    }
  }
  for (std::size_t f = 0; f < options.flows.size(); ++f) {
    const auto& nodes = options.flows[f].nodes;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].kind == config::FlowNode::Kind::kQueue && !known(nodes[i].group)) {
        return unknown(fmt::format("flows[{}].nodes[{}].group", f, i), nodes[i].group);
      }
    }
  }
  return {};
}

ContactCenter::ContactCenter(ContactCenterServices services, ContactCenterOptions options)
    : s_(std::move(services)), options_(std::move(options)) {
  for (const auto& g : options_.groups)
    configureGroup(g.id, g.name);
  s_.metrics.gauge("sb_acd_calls_active", "Calls to service numbers in progress.",
                   [this] { return static_cast<double>(calls_.size()); });
  s_.metrics.gaugeFamily("sb_queue_waiting", "Callers waiting in each skill group's queue.",
                         [this] {
                           MetricsRegistry::LabelledValues out;
                           for (const auto& q : queues())
                             out.push_back({{{"group", q.group}}, static_cast<double>(q.waiting)});
                           return out;
                         });
  s_.metrics.gaugeFamily(
      "sb_queue_longest_wait_seconds", "The longest wait of the callers waiting now.", [this] {
        MetricsRegistry::LabelledValues out;
        for (const auto& q : queues())
          out.push_back({{{"group", q.group}}, static_cast<double>(q.longestWait.count())});
        return out;
      });
  s_.metrics.gaugeFamily("sb_queue_agents", "Signed-in agents of each group by state.", [this] {
    MetricsRegistry::LabelledValues out;
    for (const auto& q : queues()) {
      out.push_back({{{"group", q.group}, {"state", "idle"}}, double(q.agentsIdle)});
      out.push_back({{{"group", q.group}, {"state", "ringing"}}, double(q.agentsRinging)});
      out.push_back({{{"group", q.group}, {"state", "talking"}}, double(q.agentsTalking)});
      out.push_back({{{"group", q.group}, {"state", "acw"}}, double(q.agentsAfterCallWork)});
      out.push_back({{{"group", q.group}, {"state", "break"}}, double(q.agentsOnBreak)});
    }
    return out;
  });
  s_.metrics.gaugeFamily(
      "sb_queue_calls", "Calls that left each queue since start, by outcome.", [this] {
        MetricsRegistry::LabelledValues out;
        for (const auto& q : queues()) {
          out.push_back({{{"group", q.group}, {"outcome", "answered"}}, double(q.answered)});
          out.push_back({{{"group", q.group}, {"outcome", "answered_in_service_level"}},
                         double(q.answeredWithinThreshold)});
          out.push_back({{{"group", q.group}, {"outcome", "abandoned"}}, double(q.abandoned)});
          out.push_back({{{"group", q.group}, {"outcome", "overflowed"}}, double(q.overflowed)});
        }
        return out;
      });
}

ContactCenter::~ContactCenter() {
  for (auto& [key, call] : calls_) {
    if (call->timer != 0) s_.timers.cancel(call->timer);
    if (call->announceTimer != 0) s_.timers.cancel(call->announceTimer);
  }
  if (overflowTimer_ != 0) s_.timers.cancel(overflowTimer_);
}

// -----------------------------------------------------------------------------------------------
// Groups, lookups

void ContactCenter::configureGroup(std::int64_t id, const std::string& name) {
  acd::GroupConfig config;
  config.id = id;
  for (const auto& q : options_.queues) {
    if (q.group != name) continue;
    config.strategy = strategyOf(q.strategy);
    if (q.maxWait) config.maxWait = *q.maxWait;
    if (q.overflow == "voicemail") {
      config.overflow = acd::OverflowTarget::voicemail();
    } else if (!q.overflow.empty()) {
      config.overflow = acd::OverflowTarget::toGroup(groupId(q.overflow));
    }
  }
  if (auto configured = router_.configureGroup(config); !configured) {
    // checkGroups() let only an overflow to the group itself through: no overflow then.
    spdlog::warn("queue {}: {}; it does not overflow", name, configured.error().message);
    config.overflow = acd::OverflowTarget::none();
    (void)router_.configureGroup(config);
  }
  auto& figures = figures_[id];
  figures.groupId = id;
  figures.group = name;
  if (std::none_of(options_.groups.begin(), options_.groups.end(),
                   [&](const SkillGroupRef& g) { return g.id == id; })) {
    options_.groups.push_back({id, name});
  }
}

std::int64_t ContactCenter::groupId(const std::string& name) const {
  for (const auto& g : options_.groups) {
    if (g.name == name) return g.id;
  }
  return 0;
}

std::string ContactCenter::groupName(std::int64_t id) const {
  for (const auto& g : options_.groups) {
    if (g.id == id) return g.name;
  }
  return {};
}

ContactCenter::Call* ContactCenter::find(CallKey key) {
  auto it = calls_.find(key);
  return it == calls_.end() ? nullptr : it->second.get();
}

ContactCenter::Call* ContactCenter::callOf(media::EndpointId endpoint) {
  auto it = callOfEndpoint_.find(endpoint);
  return it == callOfEndpoint_.end() ? nullptr : find(it->second);
}

ContactCenter::Agent* ContactCenter::agentById(acd::AgentId id) {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : it->second.get();
}

ContactCenter::Agent* ContactCenter::agentByName(const std::string& name) {
  auto it = agentIds_.find(name);
  return it == agentIds_.end() ? nullptr : agentById(it->second);
}

store::UnixMillis ContactCenter::nowMillis() const {
  if (s_.wallMillis) return s_.wallMillis();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void ContactCenter::count(std::string_view result) {
  outcomes_.add(result);
}

bool ContactCenter::serves(const std::string& number) const {
  return std::any_of(options_.numbers.begin(), options_.numbers.end(),
                     [&](const config::NumberConfig& n) { return n.number == number; });
}

int ContactCenter::serviceLevelThresholdSeconds() const {
  return static_cast<int>(options_.acd.serviceLevelThreshold.count());
}

double ContactCenter::serviceLevelTarget() const {
  return options_.acd.serviceLevelTarget;
}

// -----------------------------------------------------------------------------------------------
// A call arrives

void ContactCenter::handle(sip::ServerTxId tx, const sip::Message& invite, const sip::Peer& from,
                           const std::string& number) {
  auto route = std::find_if(options_.numbers.begin(), options_.numbers.end(),
                            [&](const config::NumberConfig& n) { return n.number == number; });
  if (route == options_.numbers.end()) {
    s_.core.respond(tx, 404);
    return;
  }
  auto key = nextKey_++;
  auto answered = s_.media.answer(invite.body(), key);
  if (!answered) {
    count(refuseOffer(s_.core, tx, answered.error()));
    return;
  }
  auto session =
      s_.ua.accept(tx, invite, from, [this, key](const SessionEvent& e) { onCaller(key, e); });
  if (session == 0) {
    s_.media.close(answered->leg);
    return;
  }
  auto owned = std::make_unique<Call>();
  Call& call = *owned;
  calls_.emplace(key, std::move(owned));
  call.key = key;
  call.callId = std::to_string(key);
  call.caller = session;
  call.callerLeg = answered->leg;
  call.arrived = s_.timers.now();
  callOfEndpoint_[call.callerLeg.endpoint] = key;

  static std::mt19937_64 ids{std::random_device{}()};
  auto now = nowMillis();
  auto& r = call.record;
  r.id = fmt::format("{:011x}{:05x}", now, ids() & 0xFFFFF);
  r.direction = store::CallDirection::kInbound;
  r.caller = callerNumber(invite);
  r.called = number;
  r.did = number;
  r.arrivedAt = now;
  store::CallLegRecord leg;
  leg.role = "caller";
  leg.party = r.caller;
  leg.sipCallId = std::string(invite.header(sip::HeaderId::kCallId).value_or(""));
  leg.startedAt = now;
  leg.answeredAt = now;
  leg.sipStatus = 200;
  r.legs.push_back(std::move(leg));

  s_.ua.answer(session, answered->sdp);
  if (spdlog::should_log(spdlog::level::debug))
    spdlog::debug("call {} from {} to service number {}", r.id, loggable(r.caller), number);
  if (!route->flow.empty()) {
    for (const auto& flow : options_.flows) {
      if (flow.name == route->flow) call.flow = &flow;
    }
    enter(call, call.flow != nullptr ? call.flow->node(call.flow->start) : nullptr);
  } else {
    r.ivrPath = "queue";
    enqueue(call, groupId(route->group), route->priority);
  }
  drain();
}

std::optional<CallEndReason> ContactCenter::reasonWhenCallerGoes(const Call& call) {
  switch (call.stage) {
    case Call::Stage::kFlow:
      return CallEndReason::kUnanswered;
    case Call::Stage::kQueued:
      return call.offers.empty() ? CallEndReason::kQueueAbandoned : CallEndReason::kRingAbandoned;
    case Call::Stage::kTalking:
      return CallEndReason::kNormal;
    case Call::Stage::kVoicemail:
      return call.afterHours ? CallEndReason::kAfterHoursVoicemail : CallEndReason::kVoicemail;
    case Call::Stage::kEnding:
      return std::nullopt;
  }
  return std::nullopt;
}

void ContactCenter::onCaller(CallKey key, const SessionEvent& e) {
  Call* call = find(key);
  if (call == nullptr) return;
  switch (e.kind) {
    case SessionEvent::Kind::kEnded: {
      call->caller = 0;  // the session is gone
      if (auto reason = reasonWhenCallerGoes(*call)) endCall(key, *reason, "caller");
      break;
    }
    case SessionEvent::Kind::kConfirmed:
      // Rather than play into the void, a call whose caller answered nothing usable ends.
      if (!s_.media.confirm(call->callerLeg, e.message->body()))
        endCall(key, CallEndReason::kFailed, "system");
      break;
    case SessionEvent::Kind::kRequest: {
      const auto& request = *e.message;
      if (isSessionChange(request)) {
        s_.media.answerLocally(call->callerLeg, s_.ua, call->caller, e);
      } else if (request.method() == sip::Method::kInfo) {
        auto digit = infoDigit(request);
        s_.ua.respond(call->caller, e.request, 200);
        if (digit) menuDigit(*call, *digit);
      } else if (request.method() == sip::Method::kOptions) {
        s_.ua.respond(call->caller, e.request, 200);
      } else {
        s_.ua.respond(call->caller, e.request, 501);
      }
      break;
    }
    default:
      return;
  }
  drain();
}

// -----------------------------------------------------------------------------------------------
// The IVR flow

void ContactCenter::enter(Call& call, const config::FlowNode* node, int depth) {
  using Kind = config::FlowNode::Kind;
  if (node == nullptr || depth > 32) {
    // Validated configuration never gets here; a broken flow ends the call, not the server.
    spdlog::error("call {}: the flow has no next step", call.record.id);
    endCall(call.key, CallEndReason::kFailed, "system");
    return;
  }
  call.node = node;
  if (node->kind != Kind::kPlay && node->kind != Kind::kHours && node->kind != Kind::kMenu)
    call.typeAhead.clear();  // no menu comes to take them
  auto& path = call.record.ivrPath;
  if (!path.empty()) path += '>';
  path += node->id;
  switch (node->kind) {
    case Kind::kPlay:
      play(call, clipOf({node->prompt}), AfterPlay::kNextNode);
      return;
    case Kind::kHours: {
      bool open = false;
      for (const auto& schedule : options_.schedules) {
        if (schedule.name == node->schedule) open = config::isOpen(schedule, nowMillis() / 1000);
      }
      call.afterHours = !open;
      enter(call, call.flow->node(open ? node->open : node->closed), depth + 1);
      return;
    }
    case Kind::kMenu:
      call.attempts = 0;
      if (!call.typeAhead.empty()) {
        // The caller answered this menu during the prompt before it: no need to hear it.
        char digit = call.typeAhead.front();
        call.typeAhead.erase(0, 1);
        menuDigit(call, digit);
        return;
      }
      play(call, clipOf({node->prompt}), AfterPlay::kMenuWait);
      return;
    case Kind::kQueue:
      enqueue(call, groupId(node->group), node->priority);
      return;
    case Kind::kVoicemail:
      startVoicemail(call, call.afterHours);
      return;
    case Kind::kHangUp:
      endCall(call.key, CallEndReason::kUnanswered, "system");
      return;
  }
}

void ContactCenter::menuDigit(Call& call, char digit) {
  if (call.stage != Call::Stage::kFlow || call.node == nullptr) return;
  if (call.node->kind == config::FlowNode::Kind::kPlay) {
    // Type-ahead: callers who know the menu press its key during the welcome.
    if (call.typeAhead.size() < kMaxTypeAhead) call.typeAhead.push_back(digit);
    return;
  }
  if (call.node->kind != config::FlowNode::Kind::kMenu) return;
  if (call.playing) {
    call.playing = false;
    s_.media.engine().stopPlaying(call.callerLeg.endpoint);
  }
  if (call.timer != 0) s_.timers.cancel(call.timer);
  call.timer = 0;
  call.record.ivrPath += fmt::format("[{}]", digit);
  for (const auto& [key, target] : call.node->choices) {
    if (key.size() == 1 && key[0] == digit) {
      enter(call, call.flow->node(target));
      return;
    }
  }
  menuRetry(call);
}

// A wrong key or no key in time: the menu again after the "invalid" prompt, as many times as
// the menu allows, then its failure branch.
void ContactCenter::menuRetry(Call& call) {
  const auto& node = *call.node;
  if (++call.attempts >= node.attempts) {
    if (node.onFailure.empty()) {
      endCall(call.key, CallEndReason::kUnanswered, "system");
    } else {
      enter(call, call.flow->node(node.onFailure));
    }
    return;
  }
  play(call, clipOf({node.invalidPrompt, node.prompt}), AfterPlay::kMenuWait);
}

media::ClipPtr ContactCenter::clipOf(const std::vector<std::string>& names) const {
  std::vector<media::ClipPtr> clips;
  for (const auto& name : names) {
    if (name.empty()) continue;
    if (auto clip = s_.prompt(name)) {
      clips.push_back(std::move(clip));
    } else {
      spdlog::warn("prompt \"{}\" is missing: skipped", name);
    }
  }
  if (clips.size() == 1) return clips.front();
  std::vector<std::int16_t> samples;
  for (const auto& clip : clips)
    samples.insert(samples.end(), clip->samples().begin(), clip->samples().end());
  return media::AudioClip::fromSamples(std::move(samples));
}

// "You are number 3 in the queue; your estimated wait is 2 minutes", from the prompts
// queue-position, digit-N, queue-wait and minutes.
media::ClipPtr ContactCenter::announcement(const Call& call) const {
  auto position = router_.position(call.key);
  if (!position) return nullptr;
  auto digits = [](std::size_t n) {
    std::vector<std::string> names;
    for (char c : std::to_string(n))
      names.push_back(fmt::format("digit-{}", c));
    return names;
  };
  std::vector<std::string> names{"queue-position"};
  for (auto& d : digits(*position))
    names.push_back(std::move(d));
  if (auto wait = router_.estimatedWait(call.key)) {
    auto minutes = std::max<long>(
        1, static_cast<long>(std::ceil(std::chrono::duration<double>(*wait).count() / 60.0)));
    names.push_back("queue-wait");
    for (auto& d : digits(static_cast<std::size_t>(minutes)))
      names.push_back(std::move(d));
    names.push_back("minutes");
  }
  return clipOf(names);
}

void ContactCenter::play(Call& call, media::ClipPtr clip, AfterPlay after) {
  if (!clip) {
    afterPlay(call, after);
    return;
  }
  call.playing = true;
  call.after = after;
  call.playEnds = s_.timers.now() + std::chrono::duration_cast<Steady::duration>(clip->duration());
  s_.media.engine().play(call.callerLeg.endpoint, std::move(clip), false);
}

bool ContactCenter::onPlayed(media::EndpointId endpoint) {
  Call* call = callOf(endpoint);
  if (call == nullptr) return false;
  // A clip that was replaced just as it ended reports its end too: only the current clip's end
  // (it cannot end much before its length) moves the call on.
  if (!call->playing || s_.timers.now() + std::chrono::milliseconds(200) < call->playEnds) {
    return true;
  }
  call->playing = false;
  afterPlay(*call, call->after);
  drain();
  return true;
}

void ContactCenter::afterPlay(Call& call, AfterPlay after) {
  switch (after) {
    case AfterPlay::kNextNode:
      enter(call, call.flow->node(call.node->next));
      return;
    case AfterPlay::kMenuWait:
      call.timer = s_.timers.start(call.node->timeout, [this, key = call.key] {
        if (Call* c = find(key)) {
          c->timer = 0;
          c->record.ivrPath += "[timeout]";
          menuRetry(*c);
        }
        drain();
      });
      return;
    case AfterPlay::kResumeMusic:
      if (call.stage == Call::Stage::kQueued) holdMusic(call);
      return;
    case AfterPlay::kRecordVoicemail:
      recordVoicemail(call);
      return;
    case AfterPlay::kHangUp:
      endCall(call.key,
              call.stage != Call::Stage::kVoicemail ? CallEndReason::kUnanswered
              : call.afterHours                     ? CallEndReason::kAfterHoursVoicemail
                                                    : CallEndReason::kVoicemail,
              "system");
      return;
  }
}

bool ContactCenter::onDigit(const media::DigitEvent& digit) {
  Call* call = callOf(digit.endpoint);
  if (call == nullptr) return false;
  if (digit.endpoint == call->callerLeg.endpoint) menuDigit(*call, digit.digit);
  drain();
  return true;
}

// -----------------------------------------------------------------------------------------------
// Voicemail (语音留言)

void ContactCenter::startVoicemail(Call& call, bool afterHours) {
  call.stage = Call::Stage::kVoicemail;
  call.afterHours = afterHours;
  s_.media.engine().stopPlaying(call.callerLeg.endpoint);  // no hold music under the message
  if (call.announceTimer != 0) s_.timers.cancel(call.announceTimer);
  call.announceTimer = 0;
  std::string prompt = call.node != nullptr && call.node->kind == config::FlowNode::Kind::kVoicemail
                           ? (call.node->prompt.empty() ? "after-hours" : call.node->prompt)
                           : (s_.prompt("leave-message") ? "leave-message" : "after-hours");
  play(call, clipOf({prompt, "beep"}), AfterPlay::kRecordVoicemail);
}

void ContactCenter::recordVoicemail(Call& call) {
  if (s_.recordings == nullptr) {
    endCall(call.key, CallEndReason::kFailed, "system");
    return;
  }
  auto relative = dailyPath("voicemail", call.record.arrivedAt, call.record.id);
  openRecording(relative, media::RecordingLayout::kMixedMono,
                [this, key = call.key, relative](std::shared_ptr<media::Recorder> recorder) {
                  Call* c = find(key);
                  if (c == nullptr || c->stage != Call::Stage::kVoicemail) {
                    discard(std::move(recorder));  // the caller hung up during the beep
                    return;
                  }
                  if (!recorder) {
                    endCall(key, CallEndReason::kFailed, "system");
                    drain();
                    return;
                  }
                  s_.media.engine().record(c->callerLeg.endpoint, 0, recorder);
                  c->recorder = std::move(recorder);
                  c->record.voicemail = relative.string();
                  c->timer = s_.timers.start(options_.acd.voicemailMaxLength, [this, key] {
                    if (Call* v = find(key)) {
                      v->timer = 0;
                      play(*v, clipOf({"voicemail-saved"}), AfterPlay::kHangUp);
                    }
                    drain();
                  });
                });
}

// Creates a recording's file off the loop; `then` gets the recorder back on the loop, or
// nullptr when the file could not be made.
void ContactCenter::openRecording(const std::filesystem::path& relative,
                                  media::RecordingLayout layout,
                                  std::function<void(std::shared_ptr<media::Recorder>)> then) {
  media::RecordingSpec spec;
  spec.path = options_.dataDir / relative;
  spec.layout = layout;
  auto started = std::make_shared<std::optional<Result<std::shared_ptr<media::Recorder>>>>();
  s_.files([this, spec, started] { started->emplace(s_.recordings->start(spec)); },
           [started, then = std::move(then)] {
             auto& result = **started;
             if (!result) {
               spdlog::error("recording: {}", result.error().message);
               then(nullptr);
               return;
             }
             then(*result);
           });
}

// A recording whose call ended while its file was being made: closed and removed.
void ContactCenter::discard(std::shared_ptr<media::Recorder> recorder) {
  if (!recorder) return;
  s_.files(
      [recorder, path = recorder->spec().path] {
        (void)recorder->finish();
        std::error_code ec;
        std::filesystem::remove(path, ec);
      },
      [] {});
}

// -----------------------------------------------------------------------------------------------
// Queue and ACD

void ContactCenter::enqueue(Call& call, std::int64_t group, int priority) {
  if (group == 0 || router_.group(group) == nullptr) {
    spdlog::error("call {}: no skill group to queue in", call.record.id);
    endCall(call.key, CallEndReason::kFailed, "system");
    return;
  }
  auto queued = router_.enqueue(call.key, group, priority, s_.timers.now());
  if (!queued) {
    spdlog::error("call {}: {}", call.record.id, queued.error().message);
    endCall(call.key, CallEndReason::kFailed, "system");
    return;
  }
  call.stage = Call::Stage::kQueued;
  call.group = group;
  call.queued = s_.timers.now();
  call.record.groupId = group;
  call.record.groupName = groupName(group);
  call.record.queuedAt = nowMillis();
  holdMusic(call);
  scheduleAnnouncement(call);
}

void ContactCenter::holdMusic(Call& call) {
  if (auto music = s_.prompt(options_.acd.holdMusic)) {
    call.playing = false;
    s_.media.engine().play(call.callerLeg.endpoint, std::move(music), true);
  }
}

void ContactCenter::scheduleAnnouncement(Call& call) {
  if (options_.acd.announceInterval.count() <= 0) return;
  call.announceTimer = s_.timers.start(options_.acd.announceInterval, [this, key = call.key] {
    Call* c = find(key);
    if (c == nullptr) return;
    c->announceTimer = 0;
    if (c->stage != Call::Stage::kQueued) return;
    if (c->offers.empty()) play(*c, announcement(*c), AfterPlay::kResumeMusic);
    scheduleAnnouncement(*c);
    drain();
  });
}

void ContactCenter::scheduleOverflow() {
  auto at = router_.nextOverflowAt();
  if (at == overflowAt_) return;
  if (overflowTimer_ != 0) s_.timers.cancel(overflowTimer_);
  overflowTimer_ = 0;
  overflowAt_ = at;
  if (!at) return;
  auto delay = std::chrono::ceil<std::chrono::milliseconds>(*at - s_.timers.now());
  overflowTimer_ = s_.timers.start(std::max(delay, std::chrono::milliseconds(0)), [this] {
    overflowTimer_ = 0;
    overflowAt_.reset();
    runOverflows();
    drain();
  });
}

void ContactCenter::runOverflows() {
  for (const auto& o : router_.takeOverflows(s_.timers.now())) {
    figures_[o.from].overflowed++;
    Call* call = find(o.entry.call);
    if (call == nullptr) continue;
    if (o.moved) {
      call->group = o.target.group;
      call->record.groupId = o.target.group;
      call->record.groupName = groupName(o.target.group);
      call->record.ivrPath += ">overflow:" + call->record.groupName;
      continue;
    }
    call->record.ivrPath += ">voicemail";
    call->record.waitMs = millisBetween(call->queued, s_.timers.now());  // the message is no wait
    call->node = nullptr;
    startVoicemail(*call, false);
  }
}

void ContactCenter::route() {
  for (const auto& offer : router_.route())
    this->offer(offer);
}

void ContactCenter::offer(const acd::Offer& offer) {
  Call* call = find(offer.call);
  if (call == nullptr || call->stage != Call::Stage::kQueued) {
    SB_BUG("the router offered a call that is not waiting");
    (void)router_.abandon(offer.call, s_.timers.now());
    return;
  }
  if (call->record.offeredAt == 0) call->record.offeredAt = nowMillis();
  for (auto agentId : offer.agents) {
    Agent* agent = agentById(agentId);
    if (agent == nullptr || !ringAgent(*call, *agent))
      (void)router_.offerFailed(offer.call, agentId);
  }
}

// Reserves the agent for the call and rings every phone the agent registered. False when the
// agent's state refused the offer (the router's view was stale).
bool ContactCenter::ringAgent(Call& call, Agent& agent) {
  auto reserved = agent.machine->handle(acd::AgentEvent::offer(call.callId));
  if (!reserved) {
    spdlog::warn("agent {}: offer refused: {}", agent.name, reserved.error().message);
    return false;
  }
  AgentOffer offer;
  offer.agent = agent.id;
  offer.since = s_.timers.now();
  const auto& r = call.record;
  auto caller = r.caller.empty() ? std::string("anonymous") : r.caller;
  const auto& host = options_.domain;
  // The phone's screen shows the queue and the caller's number.
  sip::OutgoingInvite common;
  common.from = concat('"', quotable(r.groupName), ' ', quotable(caller),
                       "\" <sip:", uriUser(caller), '@', host, '>');
  const bool mobile = agent.machine->status() == acd::AgentStatus::kMobile;
  common.headers.reserve(4);
  common.headers.emplace_back("X-Switchboard-Queue", r.groupName);
  common.headers.emplace_back("X-Switchboard-Call", r.id);
  if (!mobile && agent.settings.autoAnswer) {
    // 自动应答: what the common phones understand as "answer at once".
    common.headers.emplace_back("Call-Info", "<sip:" + host + ">;answer-after=0");
    common.headers.emplace_back("Alert-Info", "<http://localhost>;info=alert-autoanswer;delay=0");
  }
  std::vector<sip::OutgoingInvite> targets;
  if (mobile) {
    if (auto trunk = s_.dialOut ? s_.dialOut(agent.mobileNumber) : std::nullopt) {
      auto& out = targets.emplace_back(common);
      out.requestUri = trunk->requestUri;
      out.to = trunk->to;
      out.target = trunk->target;
      out.authUsername = trunk->username;
      out.authPassword = trunk->password;
    }
  } else {
    auto phones = s_.phones(agent.name);
    targets.reserve(phones.size());
    for (const auto& phone : phones) {
      auto& out = targets.emplace_back(common);
      out.requestUri = phone.contact;
      out.to = concat("<sip:", uriUser(agent.name), '@', host, '>');
      out.target = phone.source;
    }
  }
  for (auto& out : targets) {
    auto leg = s_.media.offer(call.key);
    if (!leg) continue;
    out.sdp = sdp::serialize(leg->offer);
    auto session = s_.ua.invite(out, [this, key = call.key, id = agent.id](const SessionEvent& e) {
      onAgentPhone(key, id, e);
    });
    if (session == 0) {
      s_.media.close(*leg);
      continue;
    }
    callOfEndpoint_[leg->endpoint] = call.key;
    offer.phones.push_back({session, std::move(*leg)});
  }
  if (offer.phones.empty()) {
    // No phone to ring (unregistered meanwhile): a failed offer, with its own break reason.
    agentEvent(agent, acd::AgentEvent::offerFailed(call.callId));
    return true;
  }
  spdlog::debug("call {}: offered to agent {} ({} phone(s){})", r.id, agent.name,
                offer.phones.size(), mobile ? ", mobile" : "");
  call.offers.push_back(std::move(offer));
  return true;
}

void ContactCenter::onAgentPhone(CallKey key, acd::AgentId agentId, const SessionEvent& e) {
  Call* call = find(key);
  if (call == nullptr) {
    if (e.kind == SessionEvent::Kind::kAnswered) s_.ua.hangUp(e.session);
    return;
  }
  if (e.session == call->agentSession && call->agentSession != 0) {
    // The conversation.
    if (e.kind == SessionEvent::Kind::kEnded) {
      call->agentSession = 0;
      endCall(key, CallEndReason::kNormal, "agent");
    } else if (e.kind == SessionEvent::Kind::kRequest) {
      const auto& request = *e.message;
      if (isSessionChange(request)) {
        agentHolds(*call, holdsCall(request.body()));
        s_.media.answerLocally(call->agentLeg, s_.ua, call->agentSession, e);
      } else if (request.method() == sip::Method::kInfo ||
                 request.method() == sip::Method::kOptions) {
        s_.ua.respond(call->agentSession, e.request, 200);
      } else {
        s_.ua.respond(call->agentSession, e.request, 501);  // transfers come with the CTI
      }
    } else if (e.kind == SessionEvent::Kind::kConfirmed) {
      // A phone that held or resumed with a re-INVITE without an offer answers ours here.
      bool answersOurOffer = call->agentLeg.reofferPending;
      s_.media.confirm(call->agentLeg, e.message->body());
      if (answersOurOffer) agentHolds(*call, holdsCall(e.message->body()));
    }
    drain();
    return;
  }
  auto offer = std::find_if(call->offers.begin(), call->offers.end(),
                            [&](const AgentOffer& o) { return o.agent == agentId; });
  if (offer == call->offers.end()) {
    if (e.kind == SessionEvent::Kind::kAnswered) s_.ua.hangUp(e.session);  // withdrawn already
    return;
  }
  auto phone = std::find_if(offer->phones.begin(), offer->phones.end(),
                            [&](const AgentOffer::Phone& p) { return p.session == e.session; });
  if (phone == offer->phones.end()) return;
  Agent* agent = agentById(agentId);
  switch (e.kind) {
    case SessionEvent::Kind::kProgress:
      if (e.status > 100 && !offer->ringing && agent != nullptr) {
        offer->ringing = true;
        agentEvent(*agent, acd::AgentEvent::phoneRinging(call->callId));
      }
      break;
    case SessionEvent::Kind::kAnswered:
      if (s_.media.accept(phone->leg, e.message->body())) {
        agentAnswered(*call, *offer, e.session, *e.message);
        break;
      }
      s_.ua.hangUp(e.session);  // an answer we cannot use: as if it had failed
      [[fallthrough]];
    case SessionEvent::Kind::kFailed: {
      offer->failure = std::max(offer->failure, isRefusal(e.status) ? e.status : 0);
      callOfEndpoint_.erase(phone->leg.endpoint);
      s_.media.close(phone->leg);
      offer->phones.erase(phone);
      if (!offer->phones.empty()) break;
      int refusal = offer->failure;
      call->ringMs += millisBetween(offer->since, s_.timers.now());
      call->offers.erase(offer);
      if (agent != nullptr) {
        agentEvent(*agent, refusal != 0 ? acd::AgentEvent::rejected(call->callId, refusal)
                                        : acd::AgentEvent::offerFailed(call->callId));
      }
      break;
    }
    default:
      break;
  }
  drain();
}

void ContactCenter::agentAnswered(Call& call, AgentOffer& offer, sip::SessionId session,
                                  const sip::Message& answer) {
  auto now = s_.timers.now();
  auto agentId = offer.agent;
  MediaLeg leg;
  for (auto& phone : offer.phones) {
    if (phone.session == session) {
      leg = std::move(phone.leg);  // the offer goes away below
      continue;
    }
    s_.ua.hangUp(phone.session);  // the agent's other phones stop ringing
    callOfEndpoint_.erase(phone.leg.endpoint);
    s_.media.close(phone.leg);
  }
  call.ringMs = millisBetween(offer.since, now);
  call.offers.erase(std::find_if(call.offers.begin(), call.offers.end(),
                                 [&](const AgentOffer& o) { return o.agent == agentId; }));
  call.agent = agentId;
  call.agentSession = session;
  call.agentLeg = std::move(leg);
  call.stage = Call::Stage::kTalking;
  call.answered = now;
  call.playing = false;
  if (call.announceTimer != 0) s_.timers.cancel(call.announceTimer);
  call.announceTimer = 0;
  auto& engine = s_.media.engine();
  engine.stopPlaying(call.callerLeg.endpoint);
  engine.connect(call.callerLeg.endpoint, call.agentLeg.endpoint);

  Agent* agent = agentById(agentId);
  auto answered = router_.answered(call.key, agentId, now);
  if (answered) {
    auto& figures = figures_[answered->group];
    figures.answered++;
    figures.totalAnswerWait +=
        std::chrono::duration_cast<std::chrono::milliseconds>(answered->waited);
    if (answered->waited <= options_.acd.serviceLevelThreshold) figures.answeredWithinThreshold++;
    for (auto released : answered->released) {
      withdraw(call, released);
      if (Agent* other = agentById(released)) {
        agentEvent(*other, acd::AgentEvent::callEnded(call.callId));
      }
    }
  }
  if (agent != nullptr) agentEvent(*agent, acd::AgentEvent::answered(call.callId));

  auto& r = call.record;
  r.agent = agent != nullptr ? agent->name : std::string();
  r.answeredAt = nowMillis();
  r.waitMs = millisBetween(call.queued, now);
  store::CallLegRecord agentLeg;
  agentLeg.role = "agent";
  agentLeg.party = r.agent;
  agentLeg.sipCallId = std::string(answer.header(sip::HeaderId::kCallId).value_or(""));
  agentLeg.startedAt = r.answeredAt - call.ringMs;
  agentLeg.answeredAt = r.answeredAt;
  agentLeg.sipStatus = answer.statusCode();
  r.legs.push_back(std::move(agentLeg));
  spdlog::debug("call {}: answered by agent {} after {} ms in the queue", r.id, r.agent, r.waitMs);
  startRecording(call);
}

// The agent's phone put the call on hold or took it off (`hold`, from the phone's SDP offer or
// its answer to ours; none: the SDP says nothing about it).
void ContactCenter::agentHolds(Call& call, std::optional<bool> hold) {
  Agent* agent = agentById(call.agent);
  if (!hold || *hold == call.onHold || agent == nullptr) return;
  call.onHold = *hold;
  if (*hold) {
    call.holdSince = s_.timers.now();
    agentEvent(*agent, acd::AgentEvent::hold(call.callId));
    holdMusic(call);
  } else {
    call.holdMs += millisBetween(call.holdSince, s_.timers.now());
    agentEvent(*agent, acd::AgentEvent::unhold(call.callId));
    s_.media.engine().stopPlaying(call.callerLeg.endpoint);
  }
}

// Stops ringing the agent's phones for the call (the offer is over, one way or another).
void ContactCenter::withdraw(Call& call, acd::AgentId agentId) {
  auto offer = std::find_if(call.offers.begin(), call.offers.end(),
                            [&](const AgentOffer& o) { return o.agent == agentId; });
  if (offer == call.offers.end()) return;
  for (auto& phone : offer->phones) {
    s_.ua.hangUp(phone.session);
    callOfEndpoint_.erase(phone.leg.endpoint);
    s_.media.close(phone.leg);
  }
  call.ringMs += millisBetween(offer->since, s_.timers.now());
  call.offers.erase(offer);
}

void ContactCenter::startRecording(Call& call) {
  Agent* agent = agentById(call.agent);
  bool wanted = options_.acd.recordCalls;
  for (const auto& q : options_.queues) {
    if (q.group == call.record.groupName && q.record) wanted = *q.record;
  }
  if (agent != nullptr && !agent->settings.autoRecord) wanted = false;
  if (!wanted || s_.recordings == nullptr) return;
  auto relative = dailyPath("recordings", call.record.arrivedAt, call.record.id);
  openRecording(relative, media::RecordingLayout::kStereo,
                [this, key = call.key, relative](std::shared_ptr<media::Recorder> recorder) {
                  Call* c = find(key);
                  if (c == nullptr || c->stage != Call::Stage::kTalking) {
                    discard(std::move(recorder));
                    return;
                  }
                  if (!recorder) return;  // the call goes on unrecorded
                  s_.media.engine().record(c->callerLeg.endpoint, c->agentLeg.endpoint, recorder);
                  c->recorder = std::move(recorder);
                  c->record.recording = relative.string();
                });
}

// -----------------------------------------------------------------------------------------------
// Agents

Result<acd::AgentView> ContactCenter::signIn(const AgentProfile& profile) {
  auto& slot = agents_[profile.userId];
  if (slot && slot->machine->status() != acd::AgentStatus::kSignedOut) {
    return slot->machine->view();  // signed in already: nothing to do
  }
  if (!slot) slot = std::make_unique<Agent>();
  Agent& agent = *slot;
  agent.id = profile.userId;
  agent.name = profile.username;
  agent.settings = profile.settings;
  agentIds_[profile.username] = profile.userId;

  acd::AgentStateConfig config;
  config.initialStatus = profile.settings.initialState == store::InitialAgentState::kBusy
                             ? acd::AgentStatus::kBusy
                             : acd::AgentStatus::kIdle;
  config.autoReadyAfterAcw = profile.settings.autoReadyAfterAcw;
  config.ringTimeout = options_.acd.ringTimeout;
  config.afterCallWork = options_.acd.afterCallWorkUntilAgentEnds
                             ? acd::AgentStateConfig::kUntilAgentEnds
                             : options_.acd.afterCallWork;
  agent.machine =
      std::make_unique<acd::AgentStateMachine>(profile.username, config, s_.clock, s_.timers);
  agent.machine->setListener(
      [this, id = profile.userId](const acd::AgentChange& change) { onAgentChange(id, change); });

  for (const auto& old : agent.skills) {
    bool kept =
        std::any_of(profile.skills.begin(), profile.skills.end(),
                    [&](const store::SkillMembership& m) { return m.groupId == old.groupId; });
    if (!kept) router_.removeMembership(agent.id, old.groupId);
  }
  agent.skills = profile.skills;
  for (const auto& skill : profile.skills) {
    if (router_.group(skill.groupId) == nullptr) configureGroup(skill.groupId, skill.groupName);
    (void)router_.addMembership(agent.id, skill.groupId, skill.level);
  }
  auto signedIn = agent.machine->handle(acd::AgentEvent::signIn());
  if (!signedIn) return signedIn.error();
  if (!s_.phones(agent.name).empty())
    (void)agent.machine->handle(acd::AgentEvent::phoneRegistered());
  spdlog::info("agent {} signed in: status={}", agent.name,
               acd::agentStatusCode(agent.machine->status()));
  drain();
  return agent.machine->view();
}

Result<acd::AgentView> ContactCenter::command(const std::string& name,
                                              const acd::AgentEvent& event) {
  Agent* agent = agentByName(name);
  if (agent == nullptr || agent->machine->status() == acd::AgentStatus::kSignedOut) {
    return Error::conflict(fmt::format("agent {} is not signed in", name));
  }
  auto& machine = *agent->machine;
  bool wrapping = machine.activity() == acd::AgentActivity::kAfterCallWork;
  auto outcome = machine.handle(event);
  if (!outcome) return outcome.error();
  // 置闲 during after-call work also ends it: the agent is ready for the next call.
  if (wrapping && event.type == acd::AgentEventType::kSetIdle) {
    (void)machine.handle(acd::AgentEvent::afterCallWorkDone());
  }
  spdlog::info("agent {} {} -> status={} activity={}", name, acd::agentEventCode(event.type),
               acd::agentStatusCode(machine.status()), acd::agentActivityCode(machine.activity()));
  drain();
  return machine.view();
}

Result<acd::AgentView> ContactCenter::setMobile(const std::string& name,
                                                const std::string& number) {
  if (!s_.dialOut) {
    return Error::conflict("mobile answering needs an outbound trunk ([[trunks]] with a host)");
  }
  if (number.empty()) {
    return Error::invalid("number",
                          "no mobile number: give \"number\" or set the agent's mobile_number");
  }
  Agent* agent = agentByName(name);
  if (agent == nullptr) return Error::conflict(fmt::format("agent {} is not signed in", name));
  // Set first: the command may offer a call at once.
  auto previous = std::exchange(agent->mobileNumber, number);
  auto view = command(name, acd::AgentEvent::setMobile());
  if (!view) agent->mobileNumber = previous;
  return view;
}

std::string ContactCenter::mobileNumber(const std::string& name) const {
  auto id = agentIds_.find(name);
  if (id == agentIds_.end()) return {};
  auto it = agents_.find(id->second);
  if (it == agents_.end() || it->second->machine->status() != acd::AgentStatus::kMobile) return {};
  return it->second->mobileNumber;
}

std::optional<acd::AgentView> ContactCenter::agent(const std::string& name) const {
  auto it = agentIds_.find(name);
  if (it == agentIds_.end()) return std::nullopt;
  return agents_.at(it->second)->machine->view();
}

void ContactCenter::phoneChanged(const std::string& name, bool registered) {
  Agent* agent = agentByName(name);
  if (agent == nullptr || agent->machine->phoneRegistered() == registered) return;
  (void)agent->machine->handle(registered ? acd::AgentEvent::phoneRegistered()
                                          : acd::AgentEvent::phoneUnregistered());
  drain();
}

void ContactCenter::agentEvent(Agent& agent, const acd::AgentEvent& event) {
  auto outcome = agent.machine->handle(event);
  if (!outcome && outcome.error().code != ErrorCode::kConflict) {
    spdlog::error("agent {}: {}: {}", agent.name, acd::agentEventCode(event.type),
                  outcome.error().message);
  }
}

// Every change of an agent's state: the router learns who may take calls, after-call work is
// timed, and what the change asks of call control is done once the machine has returned.
void ContactCenter::onAgentChange(acd::AgentId id, const acd::AgentChange& change) {
  auto now = s_.timers.now();
  if (change.before.available != change.after.available) {
    router_.setAvailable(id, change.after.available, now);
  }
  Agent* agent = agentById(id);
  if (agent != nullptr) {
    bool wasAcw = change.before.activity == acd::AgentActivity::kAfterCallWork;
    bool isAcw = change.after.activity == acd::AgentActivity::kAfterCallWork;
    if (!wasAcw && isAcw) agent->acwSince = now;
    if (wasAcw && !isAcw && !agent->acwRecord.empty()) {
      auto ms = millisBetween(agent->acwSince, now);
      if (auto pending = finishing_.find(agent->acwRecord); pending != finishing_.end()) {
        pending->second->record.afterCallWorkMs = ms;  // not written yet
      } else if (s_.saveAfterCallWork) {
        s_.saveAfterCallWork(agent->acwRecord, ms);
      }
      agent->acwRecord.clear();
    }
  }
  for (auto action : change.actions)
    pending_.push_back({id, action, change.before.callId});
  // Changes caused by the machines' own timers (ring no answer, after-call work) come outside
  // any of this class's entry points (which all drain before they return): their actions run
  // from a timer of their own.
  bool ownTimer = change.event.type == acd::AgentEventType::kRingNoAnswer ||
                  change.event.type == acd::AgentEventType::kAfterCallWorkTimeout;
  if (ownTimer && !drainScheduled_) {
    drainScheduled_ = true;
    s_.timers.start(std::chrono::milliseconds(0), [this] {
      drainScheduled_ = false;
      drain();
    });
  }
}

void ContactCenter::drain() {
  if (draining_) return;
  draining_ = true;
  while (!pending_.empty()) {
    auto p = pending_.front();
    pending_.pop_front();
    auto key = static_cast<CallKey>(std::strtoull(p.callId.c_str(), nullptr, 10));
    Call* call = find(key);
    switch (p.action) {
      case acd::AgentAction::kWithdrawOffer:
        if (call != nullptr) withdraw(*call, p.agent);
        break;
      case acd::AgentAction::kRequeueCall:
        // Back at its original place when no other agent rings for it.
        (void)router_.offerFailed(key, p.agent);
        break;
      case acd::AgentAction::kHangUpCall:
        if (call != nullptr) endCall(key, CallEndReason::kNormal, "system");
        break;
      default:
        break;
    }
  }
  route();
  scheduleOverflow();
  draining_ = false;
  if (!pending_.empty()) drain();
}

// -----------------------------------------------------------------------------------------------
// The end of a call

void ContactCenter::endCall(CallKey key, CallEndReason reason, std::string endedBy) {
  Call* found = find(key);
  if (found == nullptr || found->stage == Call::Stage::kEnding) return;
  Call& call = *found;
  auto now = s_.timers.now();
  bool abandoned =
      reason == CallEndReason::kQueueAbandoned || reason == CallEndReason::kRingAbandoned;
  if (auto left = router_.abandon(key, now)) {
    if (abandoned) figures_[left->group].abandoned++;
    if (call.record.waitMs == 0) {
      call.record.waitMs =
          std::chrono::duration_cast<std::chrono::milliseconds>(left->waited).count();
    }
  }
  auto& r = call.record;
  while (!call.offers.empty()) {
    auto agentId = call.offers.front().agent;
    withdraw(call, agentId);
    if (Agent* agent = agentById(agentId))
      agentEvent(*agent, acd::AgentEvent::callEnded(call.callId));
  }
  if (call.timer != 0) s_.timers.cancel(call.timer);
  if (call.announceTimer != 0) s_.timers.cancel(call.announceTimer);
  call.timer = call.announceTimer = 0;
  call.stage = Call::Stage::kEnding;

  r.endedAt = nowMillis();
  r.endReason = reason;
  r.endedBy = std::move(endedBy);
  if (!r.legs.empty()) {
    r.legs.front().endedAt = r.endedAt;
  }
  if (call.agent != 0) {
    if (call.onHold) call.holdMs += millisBetween(call.holdSince, now);
    r.talkMs = millisBetween(call.answered, now);
    r.holdMs = call.holdMs;
    if (r.legs.size() > 1) {
      r.legs.back().endedAt = r.endedAt;
    }
    if (Agent* agent = agentById(call.agent)) {
      agent->acwRecord = r.id;
      agentEvent(*agent, acd::AgentEvent::callEnded(call.callId));
    }
  }
  r.ringMs = call.ringMs;
  if (r.waitMs == 0 && call.queued != Steady::time_point{} &&
      call.answered == Steady::time_point{}) {
    r.waitMs = millisBetween(call.queued, now);
  }
  s_.ua.hangUp(call.caller);
  s_.ua.hangUp(call.agentSession);
  count(store::callEndReasonCode(reason));
  spdlog::info("call {} from {} to {} ended: {} by {} (queue {}, agent {}, wait {} ms, talk {} ms)",
               r.id, loggable(r.caller), r.called, store::callEndReasonCode(reason), r.endedBy,
               r.groupName.empty() ? "-" : r.groupName, r.agent.empty() ? "-" : r.agent, r.waitMs,
               r.talkMs);
  finishRecord(call);
}

// Closes the media and writes the record once the legs' last statistics are in and the
// recording's file is complete (so that a listed recording can always be played). Nothing here
// waits on the media workers: they report back through `post`.
void ContactCenter::finishRecord(Call& call) {
  auto owned = std::move(calls_.at(call.key));
  calls_.erase(call.key);
  callOfEndpoint_.erase(owned->callerLeg.endpoint);
  callOfEndpoint_.erase(owned->agentLeg.endpoint);
  auto finishing = std::make_shared<Finishing>();
  finishing->record = std::move(owned->record);
  // After-call work that ends before the record is written goes into the record itself.
  finishing_[finishing->record.id] = finishing;
  auto done = [this, finishing] {
    if (--finishing->waiting != 0) return;
    finishing_.erase(finishing->record.id);
    s_.saveRecord(std::move(finishing->record));
  };
  auto& engine = s_.media.engine();
  if (owned->recorder) {
    ++finishing->waiting;
    engine.stopRecording(owned->callerLeg.endpoint,
                         [back = fromEngine(), this, recorder = owned->recorder, done] {
                           back([this, recorder, done] {
                             s_.files(
                                 [recorder] {
                                   auto finished = recorder->finish();
                                   if (!finished)
                                     spdlog::error("recording: {}", finished.error().message);
                                 },
                                 done);
                           });
                         });
  }
  auto closeLeg = [&](MediaLeg& leg, std::size_t index) {
    if (!leg.open()) return;
    ++finishing->waiting;
    engine.close(leg.endpoint,
                 [back = fromEngine(), finishing, index, done](const media::EndpointStats& stats) {
                   back([finishing, index, stats, done] {
                     auto& legs = finishing->record.legs;
                     if (index < legs.size()) {
                       auto& measured = legs[index];
                       measured.mos = stats.mos;
                       measured.packetsReceived = stats.packetsReceived;
                       measured.packetsLost =
                           static_cast<std::uint64_t>(std::max<std::int64_t>(0, stats.packetsLost));
                       measured.jitterMs = stats.jitterMs;
                     }
                     done();
                   });
                 });
    leg.endpoint = 0;
  };
  closeLeg(owned->callerLeg, 0);
  closeLeg(owned->agentLeg, 1);
  done();
}

std::function<void(std::function<void()>)> ContactCenter::fromEngine() const {
  return [post = s_.post, alive = std::weak_ptr<const bool>(alive_)](std::function<void()> work) {
    post([alive, work = std::move(work)] {
      if (alive.lock()) work();
    });
  };
}

bool ContactCenter::onMediaSilent(media::EndpointId endpoint) {
  Call* call = callOf(endpoint);
  if (call == nullptr) return false;
  spdlog::warn("call {}: no RTP from a phone for the RTP timeout, hanging up", call->record.id);
  if (endpoint == call->agentLeg.endpoint) {
    endCall(call->key,
            call->stage == Call::Stage::kTalking ? CallEndReason::kNormal : CallEndReason::kFailed,
            "agent");
  } else if (auto reason = reasonWhenCallerGoes(*call)) {
    // A caller whose phone died while waiting left the queue unserved, as one who hung up did:
    // the figures count an abandon, not a failure of the system.
    endCall(call->key, *reason, "caller");
  }
  drain();
  return true;
}

// -----------------------------------------------------------------------------------------------
// Figures

std::vector<QueueFigures> ContactCenter::queues() const {
  auto now = s_.timers.now();
  std::vector<QueueFigures> out;
  for (const auto& entry : figures_) {
    auto id = entry.first;  // not a structured binding: lambdas below capture it
    QueueFigures q = entry.second;
    if (const auto* queue = router_.queue(id)) {
      q.waiting = queue->size();
      if (auto oldest = queue->nextDeadline(acd::Clock::duration::zero())) {
        q.longestWait = std::chrono::duration_cast<std::chrono::seconds>(now - *oldest);
      }
    }
    for (const auto& [agentId, agent] : agents_) {
      bool member = std::any_of(agent->skills.begin(), agent->skills.end(),
                                [&](const store::SkillMembership& m) { return m.groupId == id; });
      if (!member || agent->machine->status() == acd::AgentStatus::kSignedOut) continue;
      q.agentsSignedIn++;
      switch (agent->machine->activity()) {
        case acd::AgentActivity::kOffering:
        case acd::AgentActivity::kRinging:
          q.agentsRinging++;
          break;
        case acd::AgentActivity::kTalking:
        case acd::AgentActivity::kOnHold:
          q.agentsTalking++;
          break;
        case acd::AgentActivity::kAfterCallWork:
          q.agentsAfterCallWork++;
          break;
        case acd::AgentActivity::kNone:
          if (agent->machine->available()) {
            q.agentsIdle++;
          } else {
            q.agentsOnBreak++;
          }
          break;
      }
    }
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace sb::calls
