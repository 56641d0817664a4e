#pragma once
// Calls to the contact center's service numbers (接入号): the caller is answered here, walks the
// number's IVR flow (prompts, business hours, DTMF menus), waits in a skill group's queue with
// music on hold and position announcements, and is offered to agents by the ACD: the agents'
// state machines say who may take a call, the router says which call goes to whom, and this
// class turns its offers into INVITEs to the agents' phones, bridges the answer through the
// media engine, records it, and writes one call record when the call ends. After hours, or
// when a queue overflows to voicemail, the caller leaves a message.
//
// Owns the agents signed in to the ACD (one AgentStateMachine each) and the Router; the SIP
// sessions belong to the UserAgent, the media to the engine. Runs on the SIP control loop;
// blocking work (recording files, the store) is handed to `Services::files` and `saveRecord`.

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "acd/agent_state.hpp"
#include "acd/router.hpp"
#include "calls/media_legs.hpp"
#include "config/config.hpp"
#include "core/metrics.hpp"
#include "core/time.hpp"
#include "core/timers.hpp"
#include "media/recorder.hpp"
#include "sip/registrar.hpp"
#include "sip/user_agent.hpp"
#include "store/model.hpp"

namespace sb::sip {
class SipCore;
}

namespace sb::calls {

// A skill group as the store has it.
struct SkillGroupRef {
  std::int64_t id = 0;
  std::string name;
};

// What the contact center is configured with.
struct ContactCenterOptions {
  config::AcdConfig acd;
  std::vector<config::QueueConfig> queues;
  std::vector<config::ScheduleConfig> schedules;
  std::vector<config::FlowConfig> flows;
  std::vector<config::NumberConfig> numbers;
  std::vector<SkillGroupRef> groups;
  std::filesystem::path dataDir;       // recordings/ and voicemail/ go below it
  std::string domain = "switchboard";  // host[:port] in the URIs of our INVITEs to agents
};

// Every group name the routing configuration uses must be a skill group; the error names the
// key ("numbers[0].group").
Result<void> checkGroups(const ContactCenterOptions& options);

// How a number outside is called through the outbound trunk.
struct TrunkCall {
  std::string requestUri;  // "sip:13800138000@carrier.example"
  std::string to;          // name-addr
  sip::Peer target;        // the trunk's next hop
  std::string username;    // digest credentials for the carrier's challenge; empty: none
  std::string password;
};

// Runs `work` off the control loop, then `then` back on it.
using Offload = std::function<void(std::function<void()> work, std::function<void()> then)>;

struct ContactCenterServices {
  sip::SipCore& core;
  sip::UserAgent& ua;
  MediaLegs& media;  // must be anchored (an engine)
  Timers& timers;
  const Clock& clock;
  MetricsRegistry& metrics;
  std::function<std::vector<sip::Binding>(const std::string& agent)> phones;
  std::function<media::ClipPtr(const std::string& name)> prompt;  // nullptr: no such prompt
  media::RecordingWriter* recordings = nullptr;                   // nullptr: nothing recorded
  Offload files;                                                  // recording files are made there
  std::function<void(std::function<void()>)> post;                // to the control loop, any thread
  std::function<void(store::CallRecord)> saveRecord;              // durably, off the loop
  std::function<void(std::string id, std::int64_t afterCallWorkMs)> saveAfterCallWork;
  std::function<store::UnixMillis()> wallMillis;  // nullptr: the system clock
  // 手机接听: how an agent's mobile number is called; nullopt when the trunk cannot take a call
  // now. nullptr: there is no outbound trunk, and no agent may choose mobile answering.
  std::function<std::optional<TrunkCall>(const std::string& number)> dialOut;
};

// An agent as the store has it, when signing in.
struct AgentProfile {
  std::int64_t userId = 0;
  std::string username;  // the agent id (工号), also the SIP user of the agent's phones
  std::vector<store::SkillMembership> skills;
  store::AgentSettings settings;
};

// Live figures of one group's queue (see api::QueueStatsView).
struct QueueFigures {
  std::int64_t groupId = 0;
  std::string group;
  std::size_t waiting = 0;
  std::chrono::seconds longestWait{0};
  std::size_t agentsSignedIn = 0;
  std::size_t agentsIdle = 0;
  std::size_t agentsRinging = 0;
  std::size_t agentsTalking = 0;
  std::size_t agentsAfterCallWork = 0;
  std::size_t agentsOnBreak = 0;
  std::uint64_t answered = 0;
  std::uint64_t answeredWithinThreshold = 0;
  std::uint64_t abandoned = 0;
  std::uint64_t overflowed = 0;
  std::chrono::milliseconds totalAnswerWait{0};
};

class ContactCenter {
 public:
  // Precondition: checkGroups(options).
  ContactCenter(ContactCenterServices services, ContactCenterOptions options);
  ~ContactCenter();
  ContactCenter(const ContactCenter&) = delete;
  ContactCenter& operator=(const ContactCenter&) = delete;

  // Whether `number` is one of the service numbers.
  bool serves(const std::string& number) const;
  // An INVITE to a service number (the caller has been let in: trunk or trusted network).
  void handle(sip::ServerTxId tx, const sip::Message& invite, const sip::Peer& from,
              const std::string& number);

  // From the media engine, on the control loop. False: not one of this class's endpoints.
  bool onDigit(const media::DigitEvent& digit);
  bool onPlayed(media::EndpointId endpoint);
  bool onMediaSilent(media::EndpointId endpoint);

  // Agents. Errors as AgentStateMachine::handle (kConflict for what the state refuses).
  Result<acd::AgentView> signIn(const AgentProfile& agent);
  Result<acd::AgentView> command(const std::string& agent, const acd::AgentEvent& event);
  // Mobile answering (手机接听) at `number`: offers then ring the mobile through the trunk.
  Result<acd::AgentView> setMobile(const std::string& agent, const std::string& number);
  std::optional<acd::AgentView> agent(const std::string& agent) const;
  // The number offers ring while the agent is in mobile answering; empty otherwise.
  std::string mobileNumber(const std::string& agent) const;
  // The registrar's view of the agent's phones changed.
  void phoneChanged(const std::string& agent, bool registered);

  std::vector<QueueFigures> queues() const;
  int serviceLevelThresholdSeconds() const;
  double serviceLevelTarget() const;
  std::size_t active() const { return calls_.size(); }

 private:
  struct Call;
  struct Agent;
  struct AgentOffer;
  // A call record waiting for its legs' last statistics and its recording's file.
  struct Finishing {
    store::CallRecord record;
    int waiting = 1;  // finishRecord's own share, released at its end
  };
  struct PendingAction {
    acd::AgentId agent;
    acd::AgentAction action;
    std::string callId;
  };
  enum class AfterPlay : std::uint8_t {
    kNextNode,
    kMenuWait,
    kResumeMusic,
    kRecordVoicemail,
    kHangUp
  };
  using CallKey = std::uint64_t;

  // The caller's side and the flow.
  void onCaller(CallKey key, const sip::SessionEvent& event);
  // Why a call ends when its caller goes (hangs up or falls silent) at the stage it is in;
  // nullopt while it is ending anyway.
  static std::optional<store::CallEndReason> reasonWhenCallerGoes(const Call& call);
  void enter(Call& call, const config::FlowNode* node, int depth = 0);
  void menuDigit(Call& call, char digit);
  void menuRetry(Call& call);
  void play(Call& call, media::ClipPtr clip, AfterPlay after);
  void afterPlay(Call& call, AfterPlay after);
  // The named prompts one after the other (missing ones skipped); nullptr when none exists.
  media::ClipPtr clipOf(const std::vector<std::string>& names) const;
  media::ClipPtr announcement(const Call& call) const;
  void startVoicemail(Call& call, bool afterHours);
  void recordVoicemail(Call& call);

  // Queue and ACD.
  void enqueue(Call& call, std::int64_t group, int priority);
  void holdMusic(Call& call);
  void scheduleAnnouncement(Call& call);
  void scheduleOverflow();
  void runOverflows();
  void route();
  void offer(const acd::Offer& offer);
  bool ringAgent(Call& call, Agent& agent);
  void onAgentPhone(CallKey key, acd::AgentId agent, const sip::SessionEvent& event);
  void agentHolds(Call& call, std::optional<bool> hold);
  void agentAnswered(Call& call, AgentOffer& offer, sip::SessionId session,
                     const sip::Message& answer);
  void withdraw(Call& call, acd::AgentId agent);
  void agentEvent(Agent& agent, const acd::AgentEvent& event);
  void onAgentChange(acd::AgentId agent, const acd::AgentChange& change);
  void drain();
  void startRecording(Call& call);
  void openRecording(const std::filesystem::path& relative, media::RecordingLayout layout,
                     std::function<void(std::shared_ptr<media::Recorder>)> then);
  void discard(std::shared_ptr<media::Recorder> recorder);

  // Ending.
  void endCall(CallKey key, store::CallEndReason reason, std::string endedBy);
  void finishRecord(Call& call);
  // Posts to the control loop from an engine callback; the work is dropped when this class is
  // gone by then (the engine outlives it and runs what it was given at shutdown).
  std::function<void(std::function<void()>)> fromEngine() const;

  Call* find(CallKey key);
  Call* callOf(media::EndpointId endpoint);
  Agent* agentById(acd::AgentId id);
  Agent* agentByName(const std::string& name);
  std::int64_t groupId(const std::string& name) const;
  std::string groupName(std::int64_t id) const;
  void configureGroup(std::int64_t id, const std::string& name);
  store::UnixMillis nowMillis() const;
  void count(std::string_view result);

  ContactCenterServices s_;
  ContactCenterOptions options_;
  acd::Router router_;
  std::unordered_map<CallKey, std::unique_ptr<Call>> calls_;
  std::unordered_map<media::EndpointId, CallKey> callOfEndpoint_;
  std::unordered_map<acd::AgentId, std::unique_ptr<Agent>> agents_;
  std::unordered_map<std::string, acd::AgentId> agentIds_;
  std::map<std::int64_t, QueueFigures> figures_;
  CounterFamily outcomes_{s_.metrics, "sb_acd_calls_total",
                          "Calls to service numbers by how they ended.", "result"};
  std::unordered_map<std::string, std::shared_ptr<Finishing>> finishing_;  // by record id
  std::deque<PendingAction> pending_;
  bool draining_ = false;
  bool drainScheduled_ = false;
  Timers::Id overflowTimer_ = 0;
  std::optional<acd::TimePoint> overflowAt_;
  CallKey nextKey_ = 1;
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace sb::calls
