#pragma once
// INVITE sessions on both sides (RFC 3261 §13-15, RFC 3262): the dialog usage the call layer
// drives. A UAS session answers an INVITE (provisional, reliable provisional, 2xx, rejection);
// a UAC session places one (PRACK for reliable provisionals, ACK for the 2xx, CANCEL). Both take
// part in in-dialog requests (BYE, re-INVITE, UPDATE, INFO, REFER) and hang up correctly in
// every state. The UserAgent owns the sessions and their dialogs on the SIP control loop.
//
// What this layer does on its own, because RFC 3261 puts it in the UA core, not the
// transaction: retransmitting a 2xx until its ACK arrives (T1 doubling to T2, BYE after 64*T1),
// re-sending the ACK when a 2xx is retransmitted to us, retransmitting a reliable provisional
// until its PRACK (failing the INVITE with 504 after 64*T1), holding a 2xx back until the PRACK
// of a provisional that carried SDP, glare (491) on re-INVITEs.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/timers.hpp"
#include "sip/core.hpp"
#include "sip/dialog.hpp"
#include "sip/transactions.hpp"

namespace sb::sip {

using SessionId = std::uint64_t;

struct SessionEvent {
  enum class Kind : std::uint8_t {
    kProgress,   // UAC: a provisional response (status, message)
    kAnswered,   // UAC: the 2xx, already ACKed (message carries the SDP answer)
    kConfirmed,  // the ACK of our 2xx to an INVITE or re-INVITE arrived (message is the ACK)
    kFailed,     // UAC: a final non-2xx, a timeout (408) or a transport failure (503)
    kEnded,      // either side: BYE received, CANCEL received, no ACK, no PRACK
    kRequest,    // an in-dialog request to answer with UserAgent::respond (re-INVITE, UPDATE...)
  };
  Kind kind;
  int status = 0;
  const Message* message = nullptr;
  ServerTxId request = 0;   // kRequest
  std::string_view reason;  // kFailed, kEnded: "cancelled", "bye", "no ACK", "no PRACK"...
  SessionId session = 0;    // filled in by the UserAgent
};
// After kFailed and kEnded the session is gone; calls with its id do nothing.
using SessionHandler = std::function<void(const SessionEvent&)>;

struct UserAgentOptions {
  std::string contactUri = "sip:switchboard@127.0.0.1:5060";  // our Contact in every dialog
  std::string viaSentBy = "127.0.0.1:5060";
  std::string userAgent = "switchboard";
  // Send 18x reliably when the caller supports 100rel (it always is when the caller requires
  // it); by default only 18x with SDP (early media), where losing it loses the media.
  enum class Reliable : std::uint8_t { kWhenRequired, kWithSdp, kAlways };
  Reliable reliableProvisionals = Reliable::kWithSdp;
};

struct OutgoingInvite {
  std::string requestUri;
  std::string from;  // name-addr without tag, e.g. "\"4000\" <sip:4000@switchboard>"
  std::string to;    // name-addr
  Peer target;       // where the INVITE and the dialog's requests go
  std::string sdp;   // the offer; empty for a late offer
  std::vector<std::pair<std::string, std::string>> headers;  // extra, e.g. Call-Info
  std::string callId;                                        // empty: a new one
  // Digest credentials for a 401/407 (a carrier's trunk); empty username: none. The INVITE is
  // sent again with them once per challenge (twice when the nonce went stale).
  std::string authUsername;
  std::string authPassword;
};

class UserAgent final : public DialogHandler {
 public:
  UserAgent(SipCore& core, TransactionLayer& transactions, Sender& sender, Timers& timers,
            TimerSettings timerSettings, UserAgentOptions options);
  ~UserAgent() override;
  UserAgent(const UserAgent&) = delete;
  UserAgent& operator=(const UserAgent&) = delete;

  // UAS: takes over the INVITE of server transaction `tx` (not answered yet). Answers 400 and
  // returns 0 when the INVITE cannot make a dialog (no Contact, no From tag).
  SessionId accept(ServerTxId tx, const Message& invite, const Peer& from, SessionHandler handler);
  // UAS answers. `progress` sends 180/183, reliably per the options and the caller's 100rel.
  void progress(SessionId id, int status, std::string_view sdp = {});
  void answer(SessionId id, std::string_view sdp);
  void reject(SessionId id, int status, std::string_view reason = {});

  // UAC: sends the INVITE; events follow.
  SessionId invite(const OutgoingInvite& invite, SessionHandler handler);

  // Ends the session in whatever state it is (CANCEL, rejection with 480, or BYE). No events
  // follow; the protocol (waiting for 487, ACK before BYE) finishes quietly.
  void hangUp(SessionId id);

  // Answers an in-dialog request delivered as kRequest. A 2xx to a re-INVITE is retransmitted
  // until its ACK like the first one.
  void respond(SessionId id, ServerTxId tx, int status, std::string_view sdp = {});
  // Sends an in-dialog request (re-INVITE, UPDATE, INFO...) on a confirmed session; `done` gets
  // the final response or nullptr on timeout. A 2xx to a re-INVITE is ACKed here. Returns false
  // (and never calls `done`) when the session is gone or an INVITE is already pending (glare).
  bool request(SessionId id, std::string_view method, std::string_view contentType,
               std::string_view body, std::function<void(const Message*)> done);

  bool exists(SessionId id) const { return sessions_.contains(id); }
  const Dialog* dialog(SessionId id) const;
  std::size_t size() const { return sessions_.size(); }

  bool onInDialogRequest(ServerTxId tx, const Message& request, const Peer& from) override;
  void onAck(const Message& ack, const Peer& from) override;
  void onStrayResponse(const Message& response, const Peer& from) override;
  void onCancelled(ServerTxId invite) override;

 private:
  struct Session;
  Session* find(SessionId id);
  std::string via(const Peer& to) const;
  void track(Session& s);  // registers the dialog id once it is known
  void finish(Session& s, SessionEvent event);
  void forget(SessionId id);
  void deliver(Session& s, SessionEvent event);

  // UAS
  void sendReliable(Session& s, int status, std::string_view sdp);
  void retransmitReliable(SessionId id, std::chrono::milliseconds interval,
                          std::chrono::milliseconds elapsed);
  void sendFinal2xx(Session& s, ServerTxId tx, std::uint32_t cseq, std::string_view sdp,
                    bool initial);
  void retransmit2xx(SessionId id, std::chrono::milliseconds interval,
                     std::chrono::milliseconds elapsed);
  void onPrack(Session& s, ServerTxId tx, const Message& prack);
  void onBye(Session& s, ServerTxId tx);
  // UAC
  void onInviteResponse(SessionId id, const Message* response);
  bool sendInvite(Session& s, const OutgoingInvite& request,
                  std::optional<std::pair<HeaderId, std::string>> authorization);
  bool answerChallenge(Session& s, const Message& response);
  // What our INVITE was built from, for the dialog its responses make.
  Dialog::LocalParty localParty(const Session& s) const;
  void sendPrack(Session& s);
  void sendAck(Session& s, std::uint32_t cseq);
  void sendCancel(Session& s);
  void sendBye(Session& s);

  std::string responseBytes(Session& s, ServerTxId tx, int status, std::string_view sdp,
                            const SipCore::Decorator& more = {});

  // ACKs kept 32 s after their session, by dialog key: tens of thousands at a thousand calls
  // a second, in an open-addressing table (defined in the source, out of this header).
  struct LingeringAcks;

  SipCore& core_;
  TransactionLayer& transactions_;
  Sender& sender_;
  Timers& timers_;
  TimerSettings timerSettings_;
  UserAgentOptions options_;
  std::unordered_map<SessionId, std::unique_ptr<Session>> sessions_;
  std::unordered_map<std::string, SessionId> byDialog_;
  std::unordered_map<ServerTxId, SessionId> byInvite_;
  std::unique_ptr<LingeringAcks> lingeringAcks_;
  SessionId nextId_ = 1;
};

}  // namespace sb::sip
