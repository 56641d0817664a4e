#include "sip/transactions.hpp"

#include <array>
#include <cstdlib>
#include <utility>

#include <boost/unordered/unordered_flat_map.hpp>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "core/logging.hpp"
#include "core/text.hpp"
#include "sip/builder.hpp"
#include "sip/headers.hpp"

namespace sb::sip {

namespace {

enum class State : std::uint8_t {
  kTrying,
  kCalling,
  kProceeding,
  kCompleted,
  kConfirmed,
  kAccepted,
};

constexpr std::string_view kMagicCookie = "z9hG4bK";

std::string sentBy(const Via& via) {
  return concat(via.host, ':', via.port.value_or(0));
}

// RFC 3261 §17.2.3: the branch with its magic cookie, sent-by and method (ACK belongs to the
// INVITE); without the cookie, the RFC 2543 fields.
std::optional<std::string> serverKey(const Message& m) {
  const auto& via = m.topVia();
  if (!via) return std::nullopt;
  std::string_view method = m.method() == Method::kAck ? "INVITE" : m.methodText();
  auto branch = via->branch();
  if (branch.size() > kMagicCookie.size() && branch.starts_with(kMagicCookie)) {
    return concat(branch, '|', sentBy(*via), '|', method);
  }
  const auto& fromAddr = m.from();
  auto cseq = m.header(HeaderId::kCSeq);
  auto callId = m.header(HeaderId::kCallId);
  if (!cseq || !callId) return std::nullopt;
  auto seq = parseCSeq(*cseq);
  if (!fromAddr || !seq) return std::nullopt;
  return fmt::format("2543|{}|{}|{}|{}|{}|{}", m.requestUri(), fromAddr->tag(), *callId,
                     seq->number, sentBy(*via), method);
}

// Client transactions are keyed by the top Via branch and the CSeq method: a request we send
// and the responses to it give the same key. That Via is one Switchboard wrote: only its branch
// is read.
std::optional<std::string> clientKey(const Message& m) {
  auto via = m.firstValue(HeaderId::kVia);
  auto cseq = m.header(HeaderId::kCSeq);
  if (!via || !cseq) return std::nullopt;
  auto branch = viaBranch(*via);
  auto seq = parseCSeq(*cseq);
  if (branch.empty() || !seq) return std::nullopt;
  return concat(branch, '|', seq->method);
}

// Where responses to a request go: back to the source address and port, on the connection for
// streams. RFC 3261 §18.2.2 would use the Via port for datagrams without rport; phones behind
// NAT that omit rport then never hear back, so Switchboard answers as if rport were always set
// (Asterisk's force_rport).
Peer responsePeer(const Peer& from) {
  return from;
}

// Frees what `value` holds. Assigning an empty value would not: libstdc++ copies a short string
// into the buffer it already has, so a "released" message kept its bytes for the 32 s it lingers.
template <typename T>
void release(T& value) {
  T gone = std::move(value);  // takes the buffer along, freed here
  value = T{};
}

// What a lingering transaction keeps is sized to fit: a builder reserves 1 KiB for a message of a
// few hundred bytes, and at 1,000 calls/s some 100,000 of these linger at once.
void keepForLinger(std::string& bytes) {
  bytes.shrink_to_fit();
}

// The heap bytes of a string of this capacity: none while its text fits inside the string.
std::size_t heapBytes(std::size_t capacity) {
  static const std::size_t inlineCapacity = std::string().capacity();
  return capacity > inlineCapacity ? capacity : 0;
}

}  // namespace

std::string peerAddress(const Peer& peer) {
  bool v6 = peer.address.find(':') != std::string::npos;
  return fmt::format("{}{}{}:{}", v6 ? "[" : "", peer.address, v6 ? "]" : "", peer.port);
}

std::string describePeer(const Peer& peer) {
  return fmt::format("{}:{}", peer.transport == Transport::kTcp ? "tcp" : "udp", peerAddress(peer));
}

std::string_view transportName(Transport t) {
  return t == Transport::kTcp ? "TCP" : "UDP";
}

namespace {

// CSPRNG bytes drawn 4 KiB at a time: every RAND_bytes call checks the process id (a system
// call), and a call takes several tokens. Each byte is handed out once.
class RandomPool {
 public:
  unsigned char next() {
    if (used_ == bytes_.size()) refill();
    return bytes_[used_++];
  }

 private:
  void refill() {
    if (RAND_bytes(bytes_.data(), static_cast<int>(bytes_.size())) != 1) {
      SB_BUG("RAND_bytes failed");
      std::abort();
    }
    used_ = 0;
  }
  std::array<unsigned char, 4096> bytes_{};
  std::size_t used_ = bytes_.size();
};

// Looked up once per token: each access to a thread_local goes through the TLS machinery.
RandomPool& randomPool() {
  thread_local RandomPool pool;
  return pool;
}

}  // namespace

namespace {

// Appends `length` characters from the operating system's CSPRNG: a guessable branch or tag
// would let an off-path attacker forge responses to our requests (a fake 200 to a REGISTER, a
// BYE in a dialog).
void appendRandomToken(std::string& out, std::size_t length) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  static constexpr unsigned kUnbiased = 256 - 256 % kAlphabet.size();  // 252: no modulo bias
  auto& pool = randomPool();
  auto start = out.size();
  out.resize(start + length);
  for (char* c = out.data() + start; c != out.data() + out.size(); ++c) {
    unsigned char b = pool.next();
    while (b >= kUnbiased)
      b = pool.next();
    *c = kAlphabet[b % kAlphabet.size()];
  }
}

}  // namespace

std::string randomToken(std::size_t length) {
  std::string out;
  appendRandomToken(out, length);
  return out;
}

std::string newBranch() {
  std::string out;
  out.reserve(kMagicCookie.size() + 16);
  out += kMagicCookie;
  appendRandomToken(out, 16);
  return out;
}

struct TransactionLayer::Server {
  ServerTxId id = 0;
  std::string key;
  bool invite = false;
  Peer peer;
  State state = State::kTrying;
  Message request;  // released once answered: a transaction lingers for 32 s after that
  bool requestReleased = false;
  std::string lastResponse;
  Timers::Id retransmitTimer = 0;
  Timers::Id ackTimer = 0;

  void releaseRequest() {
    release(request);
    requestReleased = true;
  }
};

struct TransactionLayer::Client {
  ClientTxId id = 0;
  std::string key;
  bool invite = false;
  Peer peer;
  State state = State::kTrying;
  Message request;  // released once a final response came
  std::string ack;
  ClientHandler handler;
  Timers::Id retransmitTimer = 0;
  Timers::Id timeoutTimer = 0;
};

// Open addressing: with 32 s of lingering transactions these tables hold about a hundred thousand
// keys at 1,000 calls/s, and a lookup in a node-based table walks a bucket and a chain of nodes
// that have long left the cache.
struct TransactionLayer::Keys {
  boost::unordered_flat_map<std::string, ServerTxId> servers;
  boost::unordered_flat_map<std::string, ClientTxId> clients;
};

TransactionLayer::TransactionLayer(Timers& timers, Sender& sender, TransactionUser& user,
                                   TimerSettings settings)
    : timers_(timers),
      sender_(sender),
      user_(user),
      settings_(settings),
      clients_(/*tagged=*/true),
      keys_(std::make_unique<Keys>()) {}

TransactionLayer::~TransactionLayer() {
  servers_.forEach([this](Server& s) {
    timers_.cancel(s.retransmitTimer);
    timers_.cancel(s.ackTimer);
  });
  clients_.forEach([this](Client& c) {
    timers_.cancel(c.retransmitTimer);
    timers_.cancel(c.timeoutTimer);
  });
}

void TransactionLayer::receive(Message message, const Peer& from) {
  if (message.isRequest()) {
    serverRequest(std::move(message), from);
  } else {
    clientResponse(std::move(message), from);
  }
}

void TransactionLayer::serverRequest(Message message, const Peer& from) {
  auto key = serverKey(message);
  if (!key) {
    // No transaction can be matched without a usable top Via: answer statelessly when the
    // request carries what a response needs, so the sender learns why (505 or 400).
    if (message.method() == Method::kAck || message.headerCount(HeaderId::kVia) == 0) return;
    auto rejection = checkRequest(message);
    int status = rejection ? rejection->status : 400;
    sender_.send(
        responsePeer(from),
        responseTo(message, status, rejection ? rejection->reason : "Malformed Via").build());
    return;
  }
  if (auto it = keys_->servers.find(*key); it != keys_->servers.end()) {
    Server& s = *servers_.find(it->second);
    if (message.method() == Method::kAck) {
      if (s.invite && s.state == State::kCompleted) {
        s.state = State::kConfirmed;
        timers_.cancel(s.retransmitTimer);
        timers_.cancel(s.ackTimer);
        finishServer(s.id,
                     isReliable(s.peer.transport) ? std::chrono::milliseconds(0) : settings_.t4);
      } else if (s.state == State::kAccepted) {
        user_.onAck(message, from);
      }
      return;
    }
    ++counters_.retransmissionsAbsorbed;
    if ((s.state == State::kProceeding || s.state == State::kCompleted) &&
        !s.lastResponse.empty()) {
      sender_.send(s.peer, s.lastResponse);
    }
    return;
  }
  if (message.method() == Method::kAck) {
    user_.onAck(message, from);
    return;
  }
  auto server = std::make_unique<Server>();
  Server& s = *server;
  s.key = *key;
  s.invite = message.method() == Method::kInvite;
  s.peer = responsePeer(from);
  s.state = s.invite ? State::kProceeding : State::kTrying;
  s.request = std::move(message);
  s.id = servers_.insert(std::move(server));
  keys_->servers.emplace(s.key, s.id);
  auto id = s.id;
  bool invite = s.invite;
  user_.onRequest(s.id, s.request, s.peer);
  if (!invite) return;
  // 100 Trying at once rather than after 200 ms (the B2BUA rarely answers that fast), unless
  // the INVITE was answered (a service number) or refused while it was being handled.
  Server* found = servers_.find(id);
  if (found == nullptr) return;
  Server& handled = *found;
  if (handled.state != State::kProceeding || !handled.lastResponse.empty()) return;
  handled.lastResponse = responseTo(handled.request, 100).build();
  sender_.send(handled.peer, handled.lastResponse);
}

bool TransactionLayer::respond(ServerTxId id, int status, std::string bytes) {
  Server* found = servers_.find(id);
  if (found == nullptr) return false;
  Server& s = *found;
  if (s.state != State::kTrying && s.state != State::kProceeding) return false;
  s.lastResponse = std::move(bytes);
  sender_.send(s.peer, s.lastResponse);
  bool reliable = isReliable(s.peer.transport);
  if (status < 200) {
    s.state = State::kProceeding;
    return true;
  }
  // What lingers (timers J, L, H) needs the key and the answer, not the request.
  s.releaseRequest();
  if (!s.invite) {
    s.state = State::kCompleted;
    keepForLinger(s.lastResponse);
    finishServer(id, reliable ? std::chrono::milliseconds(0) : 64 * settings_.t1);  // timer J
  } else if (status < 300) {
    s.state = State::kAccepted;
    release(s.lastResponse);              // the UA retransmits its 2xx itself
    finishServer(id, 64 * settings_.t1);  // timer L
  } else {
    s.state = State::kCompleted;
    keepForLinger(s.lastResponse);
    if (!reliable) retransmitFinal(id, settings_.t1);           // timer G
    s.ackTimer = timers_.start(64 * settings_.t1, [this, id] {  // timer H
      ++counters_.timeouts;
      auto unacknowledged = servers_.erase(id);
      if (!unacknowledged) return;
      timers_.cancel(unacknowledged->retransmitTimer);
      keys_->servers.erase(unacknowledged->key);
      user_.onAckTimeout(id);
    });
  }
  return true;
}

void TransactionLayer::retransmitFinal(ServerTxId id, std::chrono::milliseconds interval) {
  servers_.find(id)->retransmitTimer = timers_.start(interval, [this, id, interval] {
    Server* s = servers_.find(id);
    if (s == nullptr || s->state != State::kCompleted) return;
    sender_.send(s->peer, s->lastResponse);
    ++counters_.retransmissionsSent;
    retransmitFinal(id, std::min(2 * interval, settings_.t2));
  });
}

void TransactionLayer::finishServer(ServerTxId id, std::chrono::milliseconds after) {
  timers_.start(after, [this, id] {
    auto finished = servers_.erase(id);
    if (!finished) return;
    timers_.cancel(finished->retransmitTimer);
    timers_.cancel(finished->ackTimer);
    keys_->servers.erase(finished->key);
  });
}

const Message* TransactionLayer::request(ServerTxId id) const {
  const Server* s = servers_.find(id);
  return s == nullptr || s->requestReleased ? nullptr : &s->request;
}

std::optional<ServerTxId> TransactionLayer::pendingInviteFor(const Message& cancel) const {
  auto key = serverKey(cancel);
  if (!key) return std::nullopt;
  // The CANCEL's key differs from its INVITE's only in the method.
  auto bar = key->rfind('|');
  auto inviteKey = key->substr(0, bar) + "|INVITE";
  auto it = keys_->servers.find(inviteKey);
  if (it == keys_->servers.end()) return std::nullopt;
  const Server& s = *servers_.find(it->second);
  if (!s.invite || s.state != State::kProceeding) return std::nullopt;
  return s.id;
}

ClientTxId TransactionLayer::sendRequest(std::string bytes, const Peer& to, ClientHandler handler) {
  return sendParsed(parseMessage(std::move(bytes)), to, std::move(handler));
}

ClientTxId TransactionLayer::sendRequest(MessageBuilder request, const Peer& to,
                                         ClientHandler handler) {
  return sendParsed(request.message(), to, std::move(handler));
}

ClientTxId TransactionLayer::sendParsed(Result<Message> request, const Peer& to,
                                        ClientHandler handler) {
  if (!request) {
    SB_BUG("sendRequest: the request does not parse");
    return 0;
  }
  return sendRequest(std::move(*request), to, std::move(handler));
}

ClientTxId TransactionLayer::sendRequest(Message request, const Peer& to, ClientHandler handler) {
  // The key its responses will carry: our own top Via branch and the CSeq method.
  auto key = clientKey(request);
  if (!key) {
    SB_BUG("sendRequest: the request has no usable Via or CSeq");
    return 0;
  }
  auto client = std::make_unique<Client>();
  Client& c = *client;
  c.key = *key;
  c.invite = request.method() == Method::kInvite;
  c.peer = to;
  c.state = c.invite ? State::kCalling : State::kTrying;
  c.request = std::move(request);
  c.handler = std::move(handler);
  c.id = clients_.insert(std::move(client));
  keys_->clients.emplace(c.key, c.id);
  sender_.send(c.peer, c.request.bytes());
  if (!isReliable(to.transport)) retransmitRequest(c.id, settings_.t1);  // timer A or E
  auto id = c.id;
  c.timeoutTimer = timers_.start(64 * settings_.t1, [this, id] {  // timer B or F
    Client* timedOut = clients_.find(id);
    if (timedOut == nullptr || (timedOut->invite && timedOut->state != State::kCalling)) return;
    ++counters_.timeouts;
    auto h = std::move(timedOut->handler);
    timers_.cancel(timedOut->retransmitTimer);
    keys_->clients.erase(timedOut->key);
    clients_.erase(id);
    h(ClientEvent{nullptr});
  });
  return c.id;
}

void TransactionLayer::abandon(ClientTxId id) {
  auto abandoned = clients_.erase(id);
  if (!abandoned) return;
  timers_.cancel(abandoned->retransmitTimer);
  timers_.cancel(abandoned->timeoutTimer);
  keys_->clients.erase(abandoned->key);
}

void TransactionLayer::retransmitRequest(ClientTxId id, std::chrono::milliseconds interval) {
  clients_.find(id)->retransmitTimer = timers_.start(interval, [this, id, interval] {
    Client* found = clients_.find(id);
    if (found == nullptr) return;
    Client& c = *found;
    bool again = c.invite ? c.state == State::kCalling
                          : (c.state == State::kTrying || c.state == State::kProceeding);
    if (!again) return;
    sender_.send(c.peer, c.request.bytes());
    ++counters_.retransmissionsSent;
    auto next = c.invite ? 2 * interval
                         : (c.state == State::kProceeding ? settings_.t2
                                                          : std::min(2 * interval, settings_.t2));
    retransmitRequest(id, next);
  });
}

void TransactionLayer::clientResponse(Message message, const Peer& from) {
  auto key = clientKey(message);
  auto it = key ? keys_->clients.find(*key) : keys_->clients.end();
  if (it == keys_->clients.end()) {
    user_.onStrayResponse(message, from);
    return;
  }
  auto id = it->second;
  Client& c = *clients_.find(id);
  int status = message.statusCode();
  if (c.state == State::kCompleted) {
    if (c.invite && status >= 300 && !c.ack.empty()) sender_.send(c.peer, c.ack);
    return;
  }
  if (c.state == State::kAccepted) {
    if (status >= 200 && status < 300) c.handler(ClientEvent{&message});
    return;
  }
  if (status < 200) {
    c.state = State::kProceeding;
    if (c.invite) timers_.cancel(c.retransmitTimer);
    c.handler(ClientEvent{&message});
    return;
  }
  timers_.cancel(c.retransmitTimer);
  timers_.cancel(c.timeoutTimer);
  bool reliable = isReliable(c.peer.transport);
  std::chrono::milliseconds linger{0};
  if (c.invite && status < 300) {
    c.state = State::kAccepted;
    linger = 64 * settings_.t1;  // timer M
  } else if (c.invite) {
    c.state = State::kCompleted;
    sendAck(c, message);
    linger = reliable ? std::chrono::milliseconds(0) : std::chrono::milliseconds(32000);  // D
  } else {
    c.state = State::kCompleted;
    linger = reliable ? std::chrono::milliseconds(0) : settings_.t4;  // timer K
  }
  // Lingering (timers M, D, K) needs the key, the ACK and the handler only.
  release(c.request);
  finishClient(id, linger);
  c.handler(ClientEvent{&message});
}

void TransactionLayer::sendAck(Client& c, const Message& response) {
  // RFC 3261 §17.1.1.3: same Request-URI, top Via, From, Call-ID, CSeq number and Route as the
  // INVITE; To from the response (with its tag).
  auto cseq = parseCSeq(*c.request.header(HeaderId::kCSeq));
  auto ack = MessageBuilder::request("ACK", c.request.requestUri());
  ack.header(HeaderId::kVia, c.request.firstValue(HeaderId::kVia).value_or(""));
  ack.header(HeaderId::kMaxForwards, "70");
  ack.header(HeaderId::kFrom, c.request.header(HeaderId::kFrom).value_or(""));
  ack.header(HeaderId::kTo, response.header(HeaderId::kTo).value_or(""));
  ack.header(HeaderId::kCallId, c.request.header(HeaderId::kCallId).value_or(""));
  ack.header(HeaderId::kCSeq, concat(cseq ? cseq->number : 0, " ACK"));
  for (auto route : c.request.headerLines(HeaderId::kRoute))
    ack.header(HeaderId::kRoute, route);
  c.ack = ack.build();
  keepForLinger(c.ack);
  sender_.send(c.peer, c.ack);
}

void TransactionLayer::finishClient(ClientTxId id, std::chrono::milliseconds after) {
  timers_.start(after, [this, id] {
    auto finished = clients_.erase(id);
    if (finished) keys_->clients.erase(finished->key);
  });
}

TransactionStats TransactionLayer::stats() const {
  auto s = counters_;
  s.servers = servers_.size();
  s.clients = clients_.size();
  servers_.forEach([&s](const Server& server) {
    s.heldBytes +=
        heapBytes(server.request.bufferCapacity()) + heapBytes(server.lastResponse.capacity());
  });
  clients_.forEach([&s](const Client& client) {
    s.heldBytes += heapBytes(client.request.bufferCapacity()) + heapBytes(client.ack.capacity());
  });
  return s;
}

}  // namespace sb::sip
