#include "sip/core.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sip/headers.hpp"
#include "sip/syntax.hpp"

namespace sb::sip {

namespace {

// The media type without parameters, e.g. "application/sdp".
std::string_view mediaType(std::string_view contentType) {
  return trimWsp(contentType.substr(0, contentType.find(';')));
}

bool acceptsSdp(const Message& request) {
  auto accept = request.headerValues(HeaderId::kAccept);
  if (request.headerCount(HeaderId::kAccept) == 0) return true;  // absent: application/sdp
  for (auto type : accept) {
    auto t = mediaType(type);
    if (iequals(t, "application/sdp") || iequals(t, "application/*") || t == "*/*") return true;
  }
  return false;
}

// Option tags in Require/Proxy-Require that the server does not implement.
std::string unsupportedExtensions(const Message& request) {
  std::string out;
  for (auto id : {HeaderId::kRequire, HeaderId::kProxyRequire}) {
    for (auto tag : request.headerValues(id)) {
      bool known = false;
      for (auto s : splitList(kSupportedExtensions))
        known = known || iequals(s, tag);
      if (known || out.find(tag) != std::string::npos) continue;
      if (!out.empty()) out += ", ";
      out += tag;
    }
  }
  return out;
}

bool hasToTag(const Message& request) {
  const auto& to = request.to();
  return to && !to->tag().empty();
}

}  // namespace

SipCore::SipCore(MetricsRegistry& metrics, std::string serverName)
    : serverName_(std::move(serverName)), metrics_(metrics) {}

void SipCore::respond(ServerTxId tx, int status, std::string_view reason,
                      const Decorator& decorate) {
  auto bytes = buildResponse(tx, status, reason, decorate, newTag());
  if (!bytes.empty()) sendResponse(tx, status, std::move(bytes));
}

std::string SipCore::buildResponse(ServerTxId tx, int status, std::string_view reason,
                                   const Decorator& decorate, std::string_view toTag) const {
  const Message* request = transactions_->request(tx);
  if (request == nullptr) return {};
  auto b = responseTo(*request, status, reason, toTag);
  b.header(HeaderId::kServer, serverName_);
  if (decorate) decorate(b);
  return b.build();
}

bool SipCore::sendResponse(ServerTxId tx, int status, std::string bytes) {
  responses_.add(std::to_string(status));
  return transactions_->respond(tx, status, std::move(bytes));
}

void SipCore::onRequest(ServerTxId tx, const Message& request, const Peer& from) {
  if (auto rejection = checkRequest(request)) {
    respond(tx, rejection->status, rejection->reason);
    return;
  }
  if (auto unsupported = unsupportedExtensions(request); !unsupported.empty()) {
    respond(tx, 420, {}, [&](MessageBuilder& b) { b.header(HeaderId::kUnsupported, unsupported); });
    return;
  }
  auto allow = [](MessageBuilder& b) { b.header(HeaderId::kAllow, kAllowedMethods); };
  if (hasToTag(request) && request.method() != Method::kCancel) {
    if (dialogs_ != nullptr && dialogs_->onInDialogRequest(tx, request, from)) return;
    // RFC 3261 §12.2.2: a request for a dialog that does not exist (any more).
    if (request.method() != Method::kOptions) {
      respond(tx, 481);
      return;
    }
  }
  switch (request.method()) {
    case Method::kOptions:
      respond(tx, 200, {}, [&](MessageBuilder& b) {
        allow(b);
        b.header(HeaderId::kAccept, "application/sdp");
        if (!kSupportedExtensions.empty()) b.header(HeaderId::kSupported, kSupportedExtensions);
      });
      return;
    case Method::kRegister:
      if (registerHandler_) {
        registerHandler_(tx, request, from);
      } else {
        respond(tx, 405, {}, allow);
      }
      return;
    case Method::kInvite: {
      auto type = request.header(HeaderId::kContentType);
      if (!request.body().empty() && (!type || !iequals(mediaType(*type), "application/sdp"))) {
        respond(tx, 415, {},
                [](MessageBuilder& b) { b.header(HeaderId::kAccept, "application/sdp"); });
        return;
      }
      if (!acceptsSdp(request)) {
        respond(tx, 406, {},
                [](MessageBuilder& b) { b.header(HeaderId::kAccept, "application/sdp"); });
        return;
      }
      if (inviteHandler_) {
        inviteHandler_(tx, request, from);
      } else {
        respond(tx, 404);
      }
      return;
    }
    case Method::kCancel:
      answerCancel(tx, request);
      return;
    case Method::kBye:
    case Method::kPrack:
    case Method::kUpdate:
    case Method::kInfo:
    case Method::kRefer:
    case Method::kNotify:
      // Only meaningful inside a dialog, and no dialog matched.
      respond(tx, 481);
      return;
    case Method::kSubscribe:
    case Method::kPublish:
    case Method::kMessage:
      respond(tx, 405, {}, allow);
      return;
    case Method::kAck:
    case Method::kUnknown:
      respond(tx, 501, {}, allow);
      return;
  }
}

void SipCore::answerCancel(ServerTxId tx, const Message& cancel) {
  auto invite = transactions_->pendingInviteFor(cancel);
  if (!invite) {
    respond(tx, 481);
    return;
  }
  // RFC 3261 §9.2: 200 for the CANCEL, 487 for the INVITE it ends.
  respond(tx, 200);
  respond(*invite, 487);
  if (dialogs_ != nullptr) dialogs_->onCancelled(*invite);
}

void SipCore::onAck(const Message& ack, const Peer& from) {
  if (dialogs_ != nullptr) dialogs_->onAck(ack, from);
}

void SipCore::onStrayResponse(const Message& response, const Peer& from) {
  if (dialogs_ != nullptr) dialogs_->onStrayResponse(response, from);
}

void SipCore::onAckTimeout(ServerTxId tx) {
  spdlog::debug("sip no ACK for the final answer of transaction {}", tx);
}

}  // namespace sb::sip
