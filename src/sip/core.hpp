#pragma once
// The SIP core: the transaction user that answers what the server itself must answer (OPTIONS,
// unknown methods, extensions it lacks, CANCEL) and hands REGISTER to the registrar and INVITE
// to the call layer. Runs on the SIP control loop.

#include <functional>
#include <string>
#include <string_view>

#include "core/metrics.hpp"
#include "sip/builder.hpp"
#include "sip/transactions.hpp"

namespace sb::sip {

// Methods the server understands (Allow).
inline constexpr std::string_view kAllowedMethods =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, PRACK, UPDATE, INFO, REFER, NOTIFY";
// Option tags the server implements (Supported); a Require outside this list gets 420.
inline constexpr std::string_view kSupportedExtensions = "100rel";

// The dialog layer (UserAgent): gets what belongs to dialogs the core does not know about.
class DialogHandler {
 public:
  virtual ~DialogHandler() = default;
  // A request with a To tag; false when no dialog matches (the core answers 481).
  virtual bool onInDialogRequest(ServerTxId tx, const Message& request, const Peer& from) = 0;
  // The ACK of a 2xx (it matches no server transaction).
  virtual void onAck(const Message& ack, const Peer& from) = 0;
  // A response matching no client transaction: a retransmitted 2xx to an INVITE.
  virtual void onStrayResponse(const Message& response, const Peer& from) = 0;
  // A CANCEL ended a pending INVITE (after the core answered it 487).
  virtual void onCancelled(ServerTxId invite) = 0;
};

class SipCore final : public TransactionUser {
 public:
  // Gets a request after the core's checks passed; answers through core.respond(). May keep
  // the request's transaction open (ringing) and answer later.
  using RequestHandler =
      std::function<void(ServerTxId tx, const Message& request, const Peer& from)>;

  SipCore(MetricsRegistry& metrics, std::string serverName);

  // Wiring: the transaction layer is built with this core as its user, then attached here.
  void attach(TransactionLayer& transactions) { transactions_ = &transactions; }
  void onRegister(RequestHandler handler) { registerHandler_ = std::move(handler); }
  void onInvite(RequestHandler handler) { inviteHandler_ = std::move(handler); }
  void attachDialogs(DialogHandler& dialogs) { dialogs_ = &dialogs; }

  using Decorator = std::function<void(MessageBuilder&)>;
  // Answers a server transaction; `decorate` adds headers to the response before it is sent.
  void respond(ServerTxId tx, int status, std::string_view reason = {},
               const Decorator& decorate = {});
  // The same in two steps, for responses sent again (reliable provisionals, 2xx to INVITE):
  // the bytes of the response with `toTag` (added when the request's To has none; empty when
  // the transaction is gone), then sending them through the transaction.
  std::string buildResponse(ServerTxId tx, int status, std::string_view reason,
                            const Decorator& decorate, std::string_view toTag) const;
  bool sendResponse(ServerTxId tx, int status, std::string bytes);
  // The request of a server transaction still open, else nullptr.
  const Message* request(ServerTxId tx) const { return transactions_->request(tx); }
  // A new To tag for a response that creates a dialog or ends an out-of-dialog request.
  std::string newTag() const { return randomToken(10); }

  void onRequest(ServerTxId tx, const Message& request, const Peer& from) override;
  void onAck(const Message& ack, const Peer& from) override;
  void onAckTimeout(ServerTxId tx) override;
  void onStrayResponse(const Message& response, const Peer& from) override;

 private:
  void answerCancel(ServerTxId tx, const Message& cancel);

  TransactionLayer* transactions_ = nullptr;
  std::string serverName_;
  RequestHandler registerHandler_;
  RequestHandler inviteHandler_;
  DialogHandler* dialogs_ = nullptr;
  MetricsRegistry& metrics_;
  CounterFamily responses_{metrics_, "sb_sip_responses_total",
                           "SIP responses sent by the server, by status code.", "code"};
};

}  // namespace sb::sip
