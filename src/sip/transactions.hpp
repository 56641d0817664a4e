#pragma once
// SIP transactions (RFC 3261 §17, with the Accepted state of RFC 6026): matching of requests
// and responses, retransmission and its absorption, automatic 100 Trying, ACK for non-2xx final
// responses, timers A-M on the injected Timers. Runs on the SIP control loop; no locks.
//
// States, per kind (transitions in transactions.cpp, one function per kind):
//   server non-INVITE: trying -> proceeding -> completed (J) -> terminated
//   server INVITE:     proceeding -> completed (G, H) -> confirmed (I) -> terminated
//                                 -> accepted (L) -> terminated            (2xx)
//   client non-INVITE: trying (E, F) -> proceeding (E, F) -> completed (K) -> terminated
//   client INVITE:     calling (A, B) -> proceeding -> completed (D) -> terminated
//                                                   -> accepted (M) -> terminated (2xx)

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/slot_map.hpp"
#include "core/timers.hpp"
#include "sip/builder.hpp"
#include "sip/message.hpp"
#include "sip/peer.hpp"

namespace sb::sip {

struct TimerSettings {
  std::chrono::milliseconds t1{500};
  std::chrono::milliseconds t2{4000};
  std::chrono::milliseconds t4{5000};
};

using ServerTxId = std::uint64_t;
using ClientTxId = std::uint64_t;

// The layer above: the SIP core (registrar, calls).
class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // A request that starts a new server transaction (never an ACK or a retransmission).
  virtual void onRequest(ServerTxId tx, const Message& request, const Peer& from) = 0;
  // An ACK matching no INVITE transaction: the ACK of a 2xx, for the dialog layer.
  virtual void onAck(const Message& ack, const Peer& from) = 0;
  // A response matching no client transaction (e.g. a retransmitted 2xx to an INVITE).
  virtual void onStrayResponse(const Message& /*response*/, const Peer& /*from*/) {}
  // A server INVITE transaction never got the ACK for its final non-2xx response (timer H).
  virtual void onAckTimeout(ServerTxId /*tx*/) {}
};

struct ClientEvent {
  const Message* response = nullptr;  // nullptr: timeout (timer B/F) or transport failure
};
using ClientHandler = std::function<void(const ClientEvent&)>;

struct TransactionStats {
  std::size_t servers = 0;
  std::size_t clients = 0;
  std::uint64_t retransmissionsAbsorbed = 0;
  std::uint64_t retransmissionsSent = 0;
  std::uint64_t timeouts = 0;
  std::size_t heldBytes = 0;  // message buffers kept by live and lingering transactions
};

class TransactionLayer {
 public:
  TransactionLayer(Timers& timers, Sender& sender, TransactionUser& user,
                   TimerSettings settings = {});
  ~TransactionLayer();

  // Everything the transport receives and parsed comes in here.
  void receive(Message message, const Peer& from);

  // Answers the request of a server transaction; provisional answers may come first. Answers
  // to a finished transaction are ignored (returns false).
  bool respond(ServerTxId tx, int status, std::string bytes);
  // The request a server transaction is for; nullptr once it is answered (final) or gone.
  const Message* request(ServerTxId tx) const;
  // For CANCEL: the INVITE server transaction the CANCEL request refers to (same branch and
  // sent-by), if it is still waiting for its final answer.
  std::optional<ServerTxId> pendingInviteFor(const Message& cancel) const;

  // Sends a request (a client transaction). `bytes` must carry a Via with a fresh branch; the
  // handler gets every response (provisional and final) and the timeout. For INVITE the ACK of
  // a non-2xx final response is sent here; the ACK of a 2xx is the dialog's.
  ClientTxId sendRequest(std::string bytes, const Peer& to, ClientHandler handler);
  // The same for a request its sender has parsed already, or is building.
  ClientTxId sendRequest(Message request, const Peer& to, ClientHandler handler);
  ClientTxId sendRequest(MessageBuilder request, const Peer& to, ClientHandler handler);
  // Forgets a client transaction without telling its handler: an INVITE still without a final
  // answer 64*T1 after its CANCEL (RFC 3261 §9.1).
  void abandon(ClientTxId id);

  // Walks every transaction for heldBytes: for a metrics scrape, not for every message.
  TransactionStats stats() const;

 private:
  struct Server;
  struct Client;
  struct Keys;
  void serverRequest(Message message, const Peer& from);
  void clientResponse(Message message, const Peer& from);
  void sendServerResponse(Server& s);
  void finishServer(ServerTxId id, std::chrono::milliseconds after);
  void retransmitFinal(ServerTxId id, std::chrono::milliseconds interval);
  void retransmitRequest(ClientTxId id, std::chrono::milliseconds interval);
  void finishClient(ClientTxId id, std::chrono::milliseconds after);
  void sendAck(Client& c, const Message& response);
  ClientTxId sendParsed(Result<Message> request, const Peer& to, ClientHandler handler);

  Timers& timers_;
  Sender& sender_;
  TransactionUser& user_;
  TimerSettings settings_;
  // By id in slot maps: a lingering transaction's timer finds it, 32 s later, without walking
  // a hash table's cold buckets. Client ids are tagged, so no server id equals a client id.
  SlotMap<Server> servers_;
  SlotMap<Client> clients_;
  std::unique_ptr<Keys> keys_;  // by the keys requests and responses are matched with
  TransactionStats counters_;
};

// A new branch parameter with the RFC 3261 magic cookie.
std::string newBranch();
// A random token for tags and Call-IDs.
std::string randomToken(std::size_t length = 16);

}  // namespace sb::sip
