#include "sip/dialog.hpp"

#include "core/text.hpp"
#include "sip/headers.hpp"

namespace sb::sip {

namespace {

// The address of a From/To header without its parameters (the tag is added back per request).
std::string addressOf(const NameAddr& a) {
  if (a.displayName.empty()) return concat('<', a.uriText, '>');
  return concat('"', a.displayName, "\" <", a.uriText, '>');
}

std::optional<std::string> contactUri(const Message& m) {
  const auto& c = m.contact();
  if (!c) return std::nullopt;
  return std::string(c->uriText);
}

// What identifies the dialog of a message, whichever side's tag is ours: only the tags of From
// and To are read, not their URIs. Nullopt without Call-ID, From, To or a To tag.
struct DialogTags {
  std::string_view callId;
  std::string_view from;
  std::string_view to;
};

std::optional<DialogTags> tagsOf(const Message& m) {
  auto callId = m.header(HeaderId::kCallId);
  auto from = m.header(HeaderId::kFrom);
  auto to = m.header(HeaderId::kTo);
  if (!callId || !from || !to) return std::nullopt;
  DialogTags tags{*callId, nameAddrTag(*from), nameAddrTag(*to)};
  if (tags.to.empty()) return std::nullopt;
  return tags;
}

}  // namespace

Result<Dialog> Dialog::asUas(const Message& request, std::string localTag, std::string localContact,
                             bool confirmed) {
  const auto& from = request.from();
  const auto& to = request.to();
  auto cseq = parseCSeq(request.header(HeaderId::kCSeq).value_or(""));
  auto target = contactUri(request);
  if (!from || !to || !cseq) return Error::invalid("request", "malformed dialog headers");
  if (from->tag().empty()) return Error::invalid("From", "the request has no From tag");
  if (!target) return Error::invalid("Contact", "a dialog-creating request needs a Contact");
  Dialog d;
  d.id_ = {std::string(request.header(HeaderId::kCallId).value_or("")), std::move(localTag),
           std::string(from->tag())};
  d.state_ = confirmed ? State::kConfirmed : State::kEarly;
  d.remoteCseq_ = cseq->number;
  d.localUri_ = addressOf(*to);
  d.remoteUri_ = addressOf(*from);
  d.remoteTarget_ = *target;
  d.localContact_ = std::move(localContact);
  for (auto rr : request.headerValues(HeaderId::kRecordRoute))
    d.routeSet_.emplace_back(rr);
  return d;
}

Result<Dialog> Dialog::asUac(const Message& request, const Message& response) {
  const auto& from = request.from();
  auto cseq = parseCSeq(request.header(HeaderId::kCSeq).value_or(""));
  if (!from || !cseq) return Error::invalid("request", "malformed dialog headers");
  auto localUri = addressOf(*from);
  auto localContact = contactUri(request);
  return asUac({.callId = request.header(HeaderId::kCallId).value_or(""),
                .uri = localUri,
                .tag = from->tag(),
                .contact = localContact ? *localContact : std::string_view(),
                .cseq = cseq->number,
                .requestUri = request.requestUri()},
               response);
}

Result<Dialog> Dialog::asUac(const LocalParty& local, const Message& response) {
  const auto& to = response.to();
  if (!to) return Error::invalid("response", "malformed dialog headers");
  if (to->tag().empty()) return Error::invalid("To", "the response has no To tag");
  auto target = contactUri(response);
  if (!target && response.statusCode() >= 200) {
    return Error::invalid("Contact", "a 2xx to INVITE needs a Contact");
  }
  Dialog d;
  d.id_ = {std::string(local.callId), std::string(local.tag), std::string(to->tag())};
  d.state_ = response.statusCode() >= 200 ? State::kConfirmed : State::kEarly;
  d.localCseq_ = local.cseq;
  d.localUri_ = std::string(local.uri);
  d.remoteUri_ = addressOf(*to);
  d.remoteTarget_ = target.value_or(std::string(local.requestUri));
  d.localContact_ = std::string(local.contact);
  auto rr = response.headerValues(HeaderId::kRecordRoute);
  d.routeSet_.assign(rr.rbegin(), rr.rend());
  return d;
}

void Dialog::updateFromResponse(const Message& response) {
  if (auto target = contactUri(response)) remoteTarget_ = *target;
  // The route set is fixed by the first response that made the dialog; a 2xx after an early
  // dialog carries the final one (RFC 3261 §13.2.2.4).
  if (state_ == State::kEarly && response.statusCode() >= 200 && response.statusCode() < 300) {
    auto rr = response.headerValues(HeaderId::kRecordRoute);
    routeSet_.assign(rr.rbegin(), rr.rend());
    state_ = State::kConfirmed;
  }
}

std::optional<DialogId> Dialog::idOfIncomingRequest(const Message& request) {
  auto tags = tagsOf(request);
  if (!tags) return std::nullopt;
  return DialogId{std::string(tags->callId), std::string(tags->to), std::string(tags->from)};
}

std::optional<DialogId> Dialog::idOfIncomingResponse(const Message& response) {
  auto tags = tagsOf(response);
  if (!tags) return std::nullopt;
  return DialogId{std::string(tags->callId), std::string(tags->from), std::string(tags->to)};
}

MessageBuilder Dialog::request(std::string_view method, std::string_view via,
                               std::optional<std::uint32_t> cseq) {
  std::uint32_t number = cseq ? *cseq : ++localCseq_;
  // A first route without ;lr is a strict router (RFC 2543): it becomes the Request-URI and
  // the remote target goes last in the Route list.
  std::string requestUri = remoteTarget_;
  std::vector<std::string> routes = routeSet_;
  if (!routes.empty()) {
    auto first = parseNameAddr(routes.front());
    if (first && !first->uri.param("lr")) {
      requestUri = std::string(first->uriText);
      routes.erase(routes.begin());
      routes.push_back(concat('<', remoteTarget_, '>'));
    }
  }
  auto b = MessageBuilder::request(method, requestUri);
  b.header(HeaderId::kVia, via);
  b.header(HeaderId::kMaxForwards, "70");
  b.header(HeaderId::kFrom, concat(localUri_, ";tag=", id_.localTag));
  b.header(HeaderId::kTo, concat(remoteUri_, ";tag=", id_.remoteTag));
  b.header(HeaderId::kCallId, id_.callId);
  b.header(HeaderId::kCSeq, concat(number, ' ', method));
  for (const auto& r : routes)
    b.header(HeaderId::kRoute, r);
  if (!localContact_.empty() && method != "ACK" && method != "CANCEL" && method != "BYE") {
    b.header(HeaderId::kContact, concat('<', localContact_, '>'));
  }
  return b;
}

std::optional<Rejection> Dialog::acceptRequest(const Message& request) {
  auto cseq = parseCSeq(request.header(HeaderId::kCSeq).value_or(""));
  if (!cseq) return Rejection{400, "Malformed CSeq"};
  if (request.method() != Method::kAck && request.method() != Method::kCancel) {
    if (remoteCseq_ && cseq->number < *remoteCseq_) return Rejection{500, "CSeq Out Of Order"};
    remoteCseq_ = cseq->number;
  }
  if (request.method() == Method::kInvite || request.method() == Method::kUpdate) {
    if (auto target = contactUri(request)) remoteTarget_ = *target;
  }
  return std::nullopt;
}

std::optional<Rejection> Dialog::beginIncomingInvite() {
  if (outgoingInvite_) return Rejection{491, "Request Pending"};
  if (incomingInvite_) return Rejection{500, "Previous INVITE Still In Progress"};
  incomingInvite_ = true;
  return std::nullopt;
}

bool Dialog::beginOutgoingInvite() {
  if (outgoingInvite_ || incomingInvite_) return false;
  outgoingInvite_ = true;
  return true;
}

}  // namespace sb::sip
