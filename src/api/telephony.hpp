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
  bool phoneRegistered = false;
  UnixSeconds since = 0;  // when the current state began
};

enum class AgentCommand { kSignIn, kSignOut, kIdle, kBreak, kBusy };

// What an agent's settings say about the ACD (from the store, at sign-in).
struct AgentPreferences {
  bool initialBusy = false;
  bool autoReadyAfterAcw = true;
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
  // nullopt: the agent has not signed in since the server started.
  virtual std::optional<AgentStateView> agentState(const std::string& /*agent*/) const {
    return std::nullopt;
  }
};

}  // namespace sb::api
