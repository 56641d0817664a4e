#pragma once
// SIP dialogs (RFC 3261 §12): the state two user agents share after an INVITE is answered with a
// tag. Built from the dialog-creating request and response on either side; builds in-dialog
// requests (route set, remote target, local CSeq) and checks incoming ones (remote CSeq order,
// target refresh). Glare (§14.1) is detected here: a re-INVITE arriving while ours is pending is
// answered 491 by the caller. Value type; the call layer owns dialogs on the control loop.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "sip/builder.hpp"
#include "sip/headers.hpp"
#include "sip/message.hpp"

namespace sb::sip {

struct DialogId {
  std::string callId;
  std::string localTag;
  std::string remoteTag;
  bool operator==(const DialogId&) const = default;
};

class Dialog {
 public:
  enum class State : std::uint8_t { kEarly, kConfirmed, kTerminated };

  // UAS side: from the request received and the To tag of our response (§12.1.1).
  static Result<Dialog> asUas(const Message& request, std::string localTag,
                              std::string localContact, bool confirmed);
  // UAC side: from the request we sent and a response carrying a To tag (§12.1.2).
  static Result<Dialog> asUac(const Message& request, const Message& response);
  // The same from what the request was built from, when the caller still has it: our own
  // request need not be parsed back.
  struct LocalParty {
    std::string_view callId;
    std::string_view uri;  // the From address without tag
    std::string_view tag;
    std::string_view contact;  // our Contact URI, without <>
    std::uint32_t cseq = 0;
    std::string_view requestUri;
  };
  static Result<Dialog> asUac(const LocalParty& local, const Message& response);

  // The dialog-matching key of an incoming request (To tag is ours) or response (From tag is
  // ours); nullopt without the tags. Only the tags of From and To are read, not their URIs.
  static std::optional<DialogId> idOfIncomingRequest(const Message& request);
  static std::optional<DialogId> idOfIncomingResponse(const Message& response);

  const DialogId& id() const { return id_; }
  State state() const { return state_; }
  void confirm() { state_ = State::kConfirmed; }
  void terminate() { state_ = State::kTerminated; }
  // A later response of the same transaction (early -> 2xx) may refresh target and route set.
  void updateFromResponse(const Message& response);

  // Builds the next in-dialog request (§12.2.1.1): Request-URI = remote target, or the first
  // route when it is a strict router; Route = the route set; CSeq one more than the last
  // (ACK and CANCEL reuse the INVITE's number: pass `cseq`). `via` is the full Via value.
  MessageBuilder request(std::string_view method, std::string_view via,
                         std::optional<std::uint32_t> cseq = std::nullopt);
  std::uint32_t localCseq() const { return localCseq_; }

  // Checks an incoming in-dialog request (§12.2.2): a CSeq lower than the last is answered 500;
  // re-INVITE and UPDATE refresh the remote target from their Contact.
  std::optional<Rejection> acceptRequest(const Message& request);

  // Glare (§14.1): begin...Invite() returns 491 (for an incoming re-INVITE meeting our pending
  // one) or 500 (two incoming at once) instead of starting a second INVITE transaction.
  std::optional<Rejection> beginIncomingInvite();
  bool beginOutgoingInvite();
  void endIncomingInvite() { incomingInvite_ = false; }
  void endOutgoingInvite() { outgoingInvite_ = false; }

  const std::string& remoteTarget() const { return remoteTarget_; }
  const std::vector<std::string>& routeSet() const { return routeSet_; }
  const std::string& localUri() const { return localUri_; }
  const std::string& remoteUri() const { return remoteUri_; }

 private:
  DialogId id_;
  State state_ = State::kEarly;
  std::uint32_t localCseq_ = 0;
  std::optional<std::uint32_t> remoteCseq_;
  std::string localUri_;  // the From (UAC) or To (UAS) address, without tag
  std::string remoteUri_;
  std::string remoteTarget_;
  std::string localContact_;
  std::vector<std::string> routeSet_;  // name-addr values, in the order requests carry them
  bool incomingInvite_ = false;
  bool outgoingInvite_ = false;
};

}  // namespace sb::sip
