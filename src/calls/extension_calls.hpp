#pragma once
// Calls to an agent's extension (工号): the caller's INVITE goes to every phone the agent has
// registered, the first to answer wins and the others are cancelled; ringing, early media,
// hang-up and cancel on either side, and in-dialog requests (re-INVITE, UPDATE, INFO) are
// relayed between the two sessions. Callers from trusted networks (trunks) are let through,
// phones authenticate with digest (407), and inbound trunks (known by their source address)
// may call only their DIDs. With a media engine the call's media is anchored here: each phone
// sees our RTP address in the SDP, the engine relays (and transcodes) between the two legs, and
// re-INVITEs (hold, codec or address changes) are answered locally; without one the SDP
// passes end to end. Runs on the SIP control loop.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "calls/media_legs.hpp"
#include "config/config.hpp"
#include "core/metrics.hpp"
#include "sip/authenticator.hpp"
#include "sip/registrar.hpp"
#include "sip/user_agent.hpp"

namespace sb::calls {

// A carrier's trunk as calls from it are checked: its source networks and the numbers (DIDs) it
// may call; no DIDs: any number.
struct InboundTrunk {
  std::string name;
  std::vector<std::string> networks;
  std::vector<std::string> dids;
};

class ExtensionCalls {
 public:
  // The phones registered for a number (the registrar's bindings).
  using Phones = std::function<std::vector<sip::Binding>(const std::string& number)>;

  // Takes a call to a number that is not an agent's (a service number) once the caller has
  // been let in; false: not such a number.
  using ServiceNumbers = std::function<bool(sip::ServerTxId tx, const sip::Message& invite,
                                            const sip::Peer& from, const std::string& number)>;

  ExtensionCalls(sip::SipCore& core, sip::UserAgent& ua, Phones phones, sip::Authenticator& auth,
                 const sip::Guard& guard, MetricsRegistry& metrics,
                 std::vector<InboundTrunk> trunks = {}, MediaAnchor media = {},
                 ServiceNumbers serviceNumbers = {});

  // An INVITE that starts a call (the core has checked it).
  void handle(sip::ServerTxId tx, const sip::Message& invite, const sip::Peer& from);
  std::size_t active() const { return calls_.size(); }
  // The media engine heard nothing from a leg that should be sending (a phone that died
  // without BYE): the call ends. On the control loop.
  void onMediaSilent(media::EndpointId endpoint);

 private:
  using CallId = std::uint64_t;
  using Leg = MediaLeg;
  struct Call {
    sip::SessionId caller = 0;
    Leg callerLeg;
    std::string callerAnswer;  // our SDP answer to the caller's offer
    std::unordered_map<sip::SessionId, Leg> calleeLegs;
    std::vector<sip::SessionId> ringing;  // callee sessions not answered or failed yet
    sip::SessionId callee = 0;            // the one that answered
    int failure = 0;                      // the most telling failure of the callee sessions
  };

  const InboundTrunk* trunkOf(const std::string& address) const;
  void route(sip::ServerTxId tx, const sip::Message& invite, const sip::Peer& from,
             const std::string& number);
  void onCaller(CallId id, const sip::SessionEvent& event);
  void onCallee(CallId id, const sip::SessionEvent& event);
  // One phone failed (or gave an answer we cannot use); with none left the caller is refused.
  void calleeFailed(CallId id, Call& call, sip::SessionId callee, int status,
                    std::string_view result);
  void relay(sip::SessionId from, sip::SessionId to, const sip::SessionEvent& event);
  // Media anchoring.
  void track(const Leg& leg, CallId id);
  bool answerCallee(Call& call, sip::SessionId callee, std::string_view sdp);
  void closeLeg(Leg& leg);
  void end(CallId id);
  void count(std::string_view result);

  sip::SipCore& core_;
  sip::UserAgent& ua_;
  Phones phones_;
  sip::Authenticator& auth_;
  const sip::Guard& guard_;
  MetricsRegistry& metrics_;
  CounterFamily outcomes_{metrics_, "sb_calls_total", "Calls by how they ended.", "result"};
  std::vector<InboundTrunk> trunks_;
  std::vector<config::NetworkList> trunkNetworks_;  // trunks_[i]'s networks, parsed once
  MediaLegs media_;
  ServiceNumbers serviceNumbers_;
  std::unordered_map<CallId, Call> calls_;
  std::unordered_map<media::EndpointId, CallId> callOfEndpoint_;
  CallId nextId_ = 1;
};

}  // namespace sb::calls
