#pragma once
// What the API shows of the telephony side, without depending on it: the app wires the SIP
// registrar and guard in behind this interface. Called on the control loop.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"

namespace sb::api {

struct RegistrationView {
  std::string user;
  std::string contact;
  std::string transport;  // "udp", "tcp"
  std::string address;    // where the REGISTER came from
  std::uint16_t port = 0;
  std::string userAgent;
  UnixSeconds registeredAt = 0;
  UnixSeconds expiresAt = 0;
};

struct BanView {
  std::string address;
  UnixSeconds since = 0;
  UnixSeconds until = 0;
  std::uint32_t failures = 0;
};

struct TrunkView {
  std::string name;
  std::string host;  // empty: inbound only
  std::vector<std::string> inboundNetworks;
  std::vector<std::string> dids;
  // "off" (does not register), "registering", "registered", "failed"
  std::string registration = "off";
  std::string lastError;
  std::string registrar;  // address:port last used, when registering
};

// An agent's state as the ACD sees it (stable codes, see src/acd/agent_state.hpp).
struct AgentStateView {
  std::string agent;
  std::string status = "signed_out";  // signed_out, idle, break, busy, mobile
  std::string activity = "none";      // none, offering, ringing, talking, on_hold, acw
  std::string breakReason;
  std::string requestedStatus;  // deferred to the end of the call; empty: none
  std::string mobileNumber;     // rung for offers while the status is mobile; empty otherwise
  bool phoneRegistered = false;
  UnixSeconds since = 0;  // when the current state began
};

enum class AgentCommand { kSignIn, kSignOut, kIdle, kBreak, kBusy, kMobile, kReset };

// A skill group the agent belongs to, with the agent's level in it.
struct AgentSkill {
  std::int64_t groupId = 0;
  std::string group;
  int level = 5;
};

// What the store says about the agent for the ACD (at sign-in).
struct AgentPreferences {
  std::int64_t userId = 0;
  bool initialBusy = false;
  bool autoReadyAfterAcw = true;
  bool autoAnswer = false;
  bool autoRecord = true;
  std::string mobileNumber;  // for kMobile: the number to ring
  std::vector<AgentSkill> skills;
};

// Live figures of one skill group's queue for supervisors (GET /api/v1/queues). Counters run
// since the server started.
struct QueueStatsView {
  std::int64_t groupId = 0;
  std::string group;
  std::size_t waiting = 0;              // callers in the queue now
  std::int64_t longestWaitSeconds = 0;  // of those waiting now; 0: nobody waits
  // Signed-in agents of the group by what they are doing.
  std::size_t agentsSignedIn = 0;
  std::size_t agentsIdle = 0;     // may be offered a call now
  std::size_t agentsRinging = 0;  // offering or ringing
  std::size_t agentsTalking = 0;  // talking or on hold
  std::size_t agentsAfterCallWork = 0;
  std::size_t agentsOnBreak = 0;  // break or busy, no call
  // Calls that left the queue.
  std::uint64_t answered = 0;
  std::uint64_t answeredWithinThreshold = 0;
  std::uint64_t abandoned = 0;  // hung up waiting or ringing (呼损)
  std::uint64_t overflowed = 0;
  int serviceLevelThresholdSeconds = 20;
  double serviceLevelTarget = 0.8;
  double serviceLevel = 1.0;  // answered within threshold / (answered + abandoned); 1 with none
  double averageSpeedOfAnswerSeconds = 0;  // mean wait of answered calls
  double abandonRate = 0;                  // abandoned / (answered + abandoned)
};

class Telephony {
 public:
  virtual ~Telephony() = default;
  virtual std::vector<RegistrationView> registrations() const = 0;
  virtual std::vector<BanView> bans() const = 0;
  virtual bool unban(const std::string& address) = 0;
  virtual std::vector<TrunkView> trunks() const { return {}; }
  // Errors: kConflict for a change the agent's state does not allow (with the reason).
  virtual Result<AgentStateView> agentCommand(const std::string& /*agent*/, AgentCommand,
                                              const std::string& /*reason*/,
                                              const AgentPreferences&) {
    return Error::unavailable("the ACD is not running");
  }
  virtual std::vector<QueueStatsView> queues() const { return {}; }
  // nullopt: the agent has not signed in since the server started.
  virtual std::optional<AgentStateView> agentState(const std::string& /*agent*/) const {
    return std::nullopt;
  }
};

}  // namespace sb::api
