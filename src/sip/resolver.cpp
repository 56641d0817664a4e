#include "sip/resolver.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/file_descriptor.hpp"
#include "core/logging.hpp"
#include "sip/syntax.hpp"

namespace sb::sip {

namespace asio = boost::asio;

namespace {

constexpr std::uint16_t kDefaultPort = 5060;

std::string srvName(Transport transport, const std::string& host) {
  return fmt::format("_sip._{}.{}", transport == Transport::kUdp ? "udp" : "tcp", host);
}

// RFC 2782: a lone SRV record whose target is "." says the service is not offered there;
// c-ares renders the root name as "".
bool isNoService(const std::string& target) {
  return target.empty() || target == ".";
}

// The transport a NAPTR record stands for, or nullopt when it is not one we can use: only
// "s" records lead to SRV names (RFC 3263 §4.1), and only UDP and TCP are supported.
std::optional<Transport> naptrTransport(const NaptrRecord& record) {
  if (!iequals(record.flags, "s") || isNoService(record.replacement)) return std::nullopt;
  if (iequals(record.service, "SIP+D2U")) return Transport::kUdp;
  if (iequals(record.service, "SIP+D2T")) return Transport::kTcp;
  return std::nullopt;
}

bool sameTarget(const Peer& a, const Peer& b) {
  return a.transport == b.transport && a.port == b.port && a.address == b.address;
}

}  // namespace

// --- Pure RFC 3263 logic ---

std::optional<std::string> numericHost(const std::string& host) {
  std::string text = host;
  bool bracketed = text.size() >= 2 && text.front() == '[' && text.back() == ']';
  if (bracketed) text = text.substr(1, text.size() - 2);
  char buffer[INET6_ADDRSTRLEN] = {};
  in_addr v4{};
  if (!bracketed && inet_pton(AF_INET, text.c_str(), &v4) == 1 &&
      inet_ntop(AF_INET, &v4, buffer, sizeof buffer) != nullptr) {
    return std::string(buffer);
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1 &&
      inet_ntop(AF_INET6, &v6, buffer, sizeof buffer) != nullptr) {
    return std::string(buffer);
  }
  return std::nullopt;
}

std::vector<SrvQuery> srvQueries(const ResolveRequest& request,
                                 const std::vector<NaptrRecord>& naptr) {
  if (request.secure || request.port || numericHost(request.host)) return {};
  if (request.transport) return {{*request.transport, srvName(*request.transport, request.host)}};

  std::vector<const NaptrRecord*> usable;
  for (const auto& record : naptr) {
    if (naptrTransport(record)) usable.push_back(&record);
  }
  std::stable_sort(usable.begin(), usable.end(), [](const auto* a, const auto* b) {
    return std::pair(a->order, a->preference) < std::pair(b->order, b->preference);
  });
  std::vector<SrvQuery> queries;
  for (const auto* record : usable) {
    SrvQuery query{*naptrTransport(*record), record->replacement};
    if (std::find(queries.begin(), queries.end(), query) == queries.end()) queries.push_back(query);
  }
  // No NAPTR records we can use: RFC 3263 lets the client query SRV for every transport it
  // supports; UDP first because every SIP element must support it (RFC 3261 §18).
  if (queries.empty()) {
    queries = {{Transport::kUdp, srvName(Transport::kUdp, request.host)},
               {Transport::kTcp, srvName(Transport::kTcp, request.host)}};
  }
  return queries;
}

std::vector<std::string> hostsToResolve(const ResolveRequest& request, const DnsRecords& records) {
  if (request.secure || numericHost(request.host)) return {};
  if (request.port) return {request.host};
  bool anySrv = false;
  std::vector<std::string> hosts;
  for (const auto& query : srvQueries(request, records.naptr)) {
    auto found = records.srv.find(query.name);
    if (found == records.srv.end()) continue;
    for (const auto& record : found->second) {
      anySrv = true;
      if (!isNoService(record.target) &&
          std::find(hosts.begin(), hosts.end(), record.target) == hosts.end()) {
        hosts.push_back(record.target);
      }
    }
  }
  if (!anySrv) hosts.push_back(request.host);
  return hosts;
}

std::vector<SrvRecord> orderSrv(std::vector<SrvRecord> records, const RandomSource& random) {
  std::stable_sort(records.begin(), records.end(),
                   [](const auto& a, const auto& b) { return a.priority < b.priority; });
  std::vector<SrvRecord> ordered;
  ordered.reserve(records.size());
  auto groupBegin = records.begin();
  while (groupBegin != records.end()) {
    auto priority = groupBegin->priority;
    auto groupEnd = std::find_if(groupBegin, records.end(),
                                 [priority](const auto& r) { return r.priority != priority; });
    std::vector<SrvRecord> group(std::make_move_iterator(groupBegin),
                                 std::make_move_iterator(groupEnd));
    std::stable_partition(group.begin(), group.end(), [](const auto& r) { return r.weight == 0; });
    while (!group.empty()) {
      std::uint32_t total = 0;
      for (const auto& record : group)
        total += record.weight;
      std::uint32_t pick = std::min(random ? random(total) : 0U, total);
      std::size_t chosen = group.size() - 1;
      std::uint32_t running = 0;
      for (std::size_t i = 0; i < group.size(); ++i) {
        running += group[i].weight;
        if (running >= pick) {
          chosen = i;
          break;
        }
      }
      ordered.push_back(std::move(group[chosen]));
      group.erase(group.begin() + static_cast<std::ptrdiff_t>(chosen));
    }
    groupBegin = groupEnd;
  }
  return ordered;
}

std::vector<Peer> orderTargets(const ResolveRequest& request, const DnsRecords& records,
                               const RandomSource& random) {
  if (request.secure) return {};
  if (auto address = numericHost(request.host)) {
    return {Peer{request.transport.value_or(Transport::kUdp), *address,
                 request.port.value_or(kDefaultPort)}};
  }
  std::vector<Peer> peers;
  auto addHost = [&](const std::string& host, Transport transport, std::uint16_t port) {
    auto found = records.addresses.find(host);
    if (found == records.addresses.end()) return;
    for (const auto& address : found->second) {
      Peer peer{transport, address, port};
      bool seen = std::any_of(peers.begin(), peers.end(),
                              [&](const Peer& p) { return sameTarget(p, peer); });
      if (!seen) peers.push_back(std::move(peer));
    }
  };
  if (request.port) {
    addHost(request.host, request.transport.value_or(Transport::kUdp), *request.port);
    return peers;
  }
  auto queries = srvQueries(request, records.naptr);
  bool anySrv = false;
  for (const auto& query : queries) {
    auto found = records.srv.find(query.name);
    if (found == records.srv.end() || found->second.empty()) continue;
    anySrv = true;
    for (const auto& record : orderSrv(found->second, random)) {
      if (!isNoService(record.target)) addHost(record.target, query.transport, record.port);
    }
  }
  // RFC 3263 §4.2: no SRV records at all: the host itself on the default port, with the
  // transport §4.1 chose (the most preferred NAPTR one, the forced one, or UDP).
  if (!anySrv) {
    addHost(request.host, queries.empty() ? Transport::kUdp : queries.front().transport,
            kDefaultPort);
  }
  return peers;
}

// --- The c-ares resolver ---

namespace {

using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
using Outcome = Result<std::vector<Peer>>;

// NODATA and NXDOMAIN are answers ("there is no such record"); anything else (timeout, SERVFAIL,
// refused, malformed reply) means DNS could not tell us.
bool isNegativeAnswer(int status) {
  return status == ARES_ENODATA || status == ARES_ENOTFOUND || status == ARES_EBADNAME;
}

std::string_view queryTypeName(int type) {
  switch (type) {
    case ns_t_naptr:
      return "NAPTR";
    case ns_t_srv:
      return "SRV";
    case ns_t_a:
      return "A";
    default:
      return "AAAA";
  }
}

Error unavailable(std::string message) {
  return Error{ErrorCode::kUnavailable, std::move(message), {}};
}

void initialiseLibraryOnce() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (status != ARES_SUCCESS) {
    throw std::runtime_error(fmt::format("c-ares: {}", ares_strerror(status)));
  }
}

struct ChannelDeleter {
  void operator()(ares_channel channel) const { ares_destroy(channel); }
};
using Channel = std::unique_ptr<std::remove_pointer_t<ares_channel>, ChannelDeleter>;

void appendAddresses(const hostent* host, std::vector<std::string>& out) {
  if (host == nullptr) return;
  char buffer[INET6_ADDRSTRLEN] = {};
  for (char** address = host->h_addr_list; address != nullptr && *address != nullptr; ++address) {
    if (inet_ntop(host->h_addrtype, *address, buffer, sizeof buffer) == nullptr) continue;
    if (std::find(out.begin(), out.end(), buffer) == out.end()) out.emplace_back(buffer);
  }
}

int parseNaptr(const unsigned char* answer, int length, std::vector<NaptrRecord>& out) {
  ares_naptr_reply* reply = nullptr;
  int status = ares_parse_naptr_reply(answer, length, &reply);
  if (status != ARES_SUCCESS) return status;
  auto text = [](const unsigned char* s) {
    return s == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(s));
  };
  for (auto* r = reply; r != nullptr; r = r->next) {
    out.push_back({r->order, r->preference, text(r->flags), text(r->service),
                   r->replacement == nullptr ? std::string() : std::string(r->replacement)});
  }
  ares_free_data(reply);
  return ARES_SUCCESS;
}

int parseSrv(const unsigned char* answer, int length, std::vector<SrvRecord>& out) {
  ares_srv_reply* reply = nullptr;
  int status = ares_parse_srv_reply(answer, length, &reply);
  if (status != ARES_SUCCESS) return status;
  for (auto* r = reply; r != nullptr; r = r->next) {
    out.push_back({r->priority, r->weight, r->port, r->host == nullptr ? "" : r->host});
  }
  ares_free_data(reply);
  return ARES_SUCCESS;
}

int parseAddresses(int type, const unsigned char* answer, int length,
                   std::vector<std::string>& out) {
  hostent* host = nullptr;
  int status = type == ns_t_a ? ares_parse_a_reply(answer, length, &host, nullptr, nullptr)
                              : ares_parse_aaaa_reply(answer, length, &host, nullptr, nullptr);
  if (status != ARES_SUCCESS) return status;
  appendAddresses(host, out);
  ares_free_hostent(host);
  return ARES_SUCCESS;
}

}  // namespace

// Threads: resolve(), the destructor and the completion handlers run on the io_context's
// thread and own `pending_`; the "sb-resolver" thread owns the channel, `sockets_` and
// `lookups_`; `incoming_`/`stopping_` pass between them under `mutex_`, with the eventfd
// waking the resolver thread from poll().
class AresResolver::Impl {
 public:
  Impl(asio::io_context& io, const Options& options)
      : io_(io), channel_(makeChannel(options, this)), wake_(makeEventFd()) {
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "sb-resolver");
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake();
    thread_.join();
    // `pending_` goes with this object; completions already posted find it gone and drop
    // their result, so no `done` runs after destruction.
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void resolve(ResolveRequest request, Done done) {
    std::uint64_t id = ++lastId_;
    (*pending_)[id] = std::move(done);
    WorkGuard guard = asio::make_work_guard(io_);
    if (auto outcome = answerWithoutDns(request)) {
      deliver(id, std::move(*outcome), std::move(guard));
      return;
    }
    {
      std::lock_guard lock(mutex_);
      incoming_.push_back(Job{id, std::move(request), std::move(guard)});
    }
    wake();
  }

 private:
  using Pending = std::unordered_map<std::uint64_t, Done>;

  struct Job {
    std::uint64_t id = 0;
    ResolveRequest request;
    WorkGuard guard;
  };

  enum class Stage { kNaptr, kSrv, kAddresses };

  // One request in progress on the resolver thread.
  struct Lookup {
    explicit Lookup(Job&& job)
        : id(job.id), request(std::move(job.request)), guard(std::move(job.guard)) {}
    std::uint64_t id;
    ResolveRequest request;
    WorkGuard guard;
    Stage stage = Stage::kNaptr;
    int outstanding = 0;  // queries of the current stage not answered yet
    DnsRecords records;
    std::map<std::string, std::vector<std::string>> ipv4;  // merged IPv4-first at the end
    std::map<std::string, std::vector<std::string>> ipv6;
    int failure = ARES_SUCCESS;   // the last status that was not an answer
    int negative = ARES_SUCCESS;  // the last "no such name/record" answer
  };

  struct Query {
    Impl* impl;
    std::uint64_t lookup;
    int type;
    std::string name;
  };

  static Channel makeChannel(const Options& options, Impl* impl) {
    initialiseLibraryOnce();
    ares_options settings{};
    settings.timeout = static_cast<int>(std::max<std::int64_t>(1, options.timeout.count()));
    settings.tries = std::max(1, options.tries);
    settings.sock_state_cb = &Impl::onSocketState;
    settings.sock_state_cb_data = impl;
    ares_channel raw = nullptr;
    int status = ares_init_options(&raw, &settings,
                                   ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
    if (status != ARES_SUCCESS) {
      throw std::runtime_error(fmt::format("c-ares init: {}", ares_strerror(status)));
    }
    Channel channel(raw);
    if (!options.servers.empty()) {
      std::string csv = fmt::format("{}", fmt::join(options.servers, ","));
      status = ares_set_servers_ports_csv(channel.get(), csv.c_str());
      if (status != ARES_SUCCESS) {
        throw std::runtime_error(
            fmt::format("DNS servers \"{}\": {}", loggable(csv, 200), ares_strerror(status)));
      }
    }
    return channel;
  }

  static FileDescriptor makeEventFd() {
    int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) throw std::runtime_error(fmt::format("eventfd: {}", std::strerror(errno)));
    return FileDescriptor(fd);
  }

  // Requests that need no DNS are answered at once (still through the io_context).
  static std::optional<Outcome> answerWithoutDns(const ResolveRequest& request) {
    if (request.host.empty()) return Error::invalid("host", "the SIP target has no host");
    if (request.secure) {
      return Error::invalid("host",
                            fmt::format("sips:{}: TLS is not supported", loggable(request.host)));
    }
    if (numericHost(request.host)) return orderTargets(request, {}, {});
    return std::nullopt;
  }

  void wake() const {
    std::uint64_t one = 1;
    // Only fails when the counter would overflow, and then the thread is awake anyway.
    [[maybe_unused]] auto written = ::write(wake_.get(), &one, sizeof one);
  }

  // Any thread: hands the outcome to the io_context, where `done` runs if the resolver still
  // exists. The guard travels along so that the io_context keeps running until then.
  void deliver(std::uint64_t id, Outcome outcome, WorkGuard guard) {
    asio::post(io_, [pending = std::weak_ptr<Pending>(pending_), id, outcome = std::move(outcome),
                     guard = std::move(guard)]() mutable {
      auto live = pending.lock();
      if (!live) return;
      auto found = live->find(id);
      if (found == live->end()) return;
      Done done = std::move(found->second);
      live->erase(found);
      // `done` may destroy the resolver: `live` keeps the map, and nothing here is used after.
      done(std::move(outcome));
    });
  }

  // --- Resolver thread ---

  void run() {
    for (;;) {
      std::vector<Job> jobs;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
        jobs.swap(incoming_);
      }
      for (auto& job : jobs)
        start(std::move(job));
      waitAndProcess();
    }
    // Outstanding queries end with ARES_EDESTRUCTION, which the callbacks ignore; dropping the
    // lookups releases their work guards, so the io_context's run() can return.
    channel_.reset();
    lookups_.clear();
  }

  void waitAndProcess() {
    std::vector<pollfd> fds;
    fds.push_back({wake_.get(), POLLIN, 0});
    for (const auto& [fd, events] : sockets_)
      fds.push_back({fd, events, 0});
    int timeoutMs = -1;  // nothing in flight: sleep until woken
    timeval tv{};
    if (ares_timeout(channel_.get(), nullptr, &tv) != nullptr) {
      timeoutMs = static_cast<int>(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
    }
    int ready = ::poll(fds.data(), fds.size(), timeoutMs);
    if (ready < 0 && errno != EINTR) {
      spdlog::warn("sip resolver: poll failed: {}", std::strerror(errno));
    }
    if ((fds[0].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto drained = ::read(wake_.get(), &count, sizeof count);
    }
    bool processed = false;
    for (std::size_t i = 1; i < fds.size(); ++i) {
      short revents = fds[i].revents;
      if (revents == 0) continue;
      bool readable = (revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      bool writable = (revents & POLLOUT) != 0;
      ares_process_fd(channel_.get(), readable ? fds[i].fd : ARES_SOCKET_BAD,
                      writable ? fds[i].fd : ARES_SOCKET_BAD);
      processed = true;
    }
    // Also expires timed-out queries (ares_process_fd does that on every call).
    if (!processed) ares_process_fd(channel_.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  }

  // c-ares opens, watches and closes its sockets through this (on the resolver thread).
  static void onSocketState(void* data, ares_socket_t fd, int readable, int writable) {
    auto& sockets = static_cast<Impl*>(data)->sockets_;
    if (readable == 0 && writable == 0) {
      sockets.erase(fd);
      return;
    }
    sockets[fd] = static_cast<short>((readable != 0 ? POLLIN : 0) | (writable != 0 ? POLLOUT : 0));
  }

  void start(Job&& job) {
    std::uint64_t id = job.id;
    auto [it, inserted] = lookups_.try_emplace(id, std::move(job));
    Lookup& lookup = it->second;
    if (lookup.request.port) {
      resolveAddresses(lookup);
    } else if (lookup.request.transport) {
      querySrv(lookup);
    } else {
      lookup.stage = Stage::kNaptr;
      send(lookup, {{lookup.request.host, ns_t_naptr}});
    }
  }

  void querySrv(Lookup& lookup) {
    lookup.stage = Stage::kSrv;
    std::vector<std::pair<std::string, int>> queries;
    for (auto& query : srvQueries(lookup.request, lookup.records.naptr))
      queries.emplace_back(std::move(query.name), ns_t_srv);
    send(lookup, std::move(queries));
  }

  void resolveAddresses(Lookup& lookup) {
    lookup.stage = Stage::kAddresses;
    std::vector<std::pair<std::string, int>> queries;
    for (const auto& host : hostsToResolve(lookup.request, lookup.records)) {
      if (fromHostsFile(host, lookup)) continue;
      queries.emplace_back(host, ns_t_a);
      queries.emplace_back(host, ns_t_aaaa);
    }
    send(lookup, std::move(queries));
  }

  // /etc/hosts entries win over DNS, as with the system resolver's usual "files dns" order.
  bool fromHostsFile(const std::string& host, Lookup& lookup) {
    std::string name = host;
    if (!name.empty() && name.back() == '.') name.pop_back();
    bool found = false;
    for (int family : {AF_INET, AF_INET6}) {
      hostent* entry = nullptr;
      if (ares_gethostbyname_file(channel_.get(), name.c_str(), family, &entry) != ARES_SUCCESS) {
        continue;
      }
      auto& out = family == AF_INET ? lookup.ipv4[host] : lookup.ipv6[host];
      appendAddresses(entry, out);
      ares_free_hostent(entry);
      found = true;
    }
    return found;
  }

  // Sends one stage's queries in parallel; the stage ends when the last one is answered. The
  // extra hold keeps a query answered synchronously by c-ares from ending the stage early.
  void send(Lookup& lookup, std::vector<std::pair<std::string, int>>&& queries) {
    std::uint64_t id = lookup.id;
    lookup.outstanding += static_cast<int>(queries.size()) + 1;
    for (auto& [name, type] : queries) {
      // Owned by c-ares until onAnswer; every query gets exactly one callback.
      auto* query = new Query{this, id, type, std::move(name)};
      ares_query(channel_.get(), query->name.c_str(), ns_c_in, query->type, &Impl::onAnswer, query);
    }
    queryDone(id);
  }

  static void onAnswer(void* arg, int status, int /*timeouts*/, unsigned char* answer, int length) {
    std::unique_ptr<Query> query(static_cast<Query*>(arg));
    if (status == ARES_EDESTRUCTION) return;  // the resolver is going away
    query->impl->record(*query, status, answer, length);
  }

  void record(const Query& query, int status, const unsigned char* answer, int length) {
    auto found = lookups_.find(query.lookup);
    if (found == lookups_.end()) {
      SB_BUG("sip resolver: answer for a finished lookup");
      return;
    }
    Lookup& lookup = found->second;
    if (status == ARES_SUCCESS) {
      switch (query.type) {
        case ns_t_naptr:
          status = parseNaptr(answer, length, lookup.records.naptr);
          break;
        case ns_t_srv:
          status = parseSrv(answer, length, lookup.records.srv[query.name]);
          break;
        default:
          status = parseAddresses(
              query.type, answer, length,
              query.type == ns_t_a ? lookup.ipv4[query.name] : lookup.ipv6[query.name]);
          break;
      }
    }
    if (isNegativeAnswer(status)) {
      lookup.negative = status;
    } else if (status != ARES_SUCCESS) {
      lookup.failure = status;
      spdlog::debug("sip resolver: {} {}: {}", queryTypeName(query.type), loggable(query.name),
                    ares_strerror(status));
    }
    queryDone(query.lookup);
  }

  void queryDone(std::uint64_t id) {
    Lookup& lookup = lookups_.at(id);
    if (--lookup.outstanding > 0) return;
    switch (lookup.stage) {
      case Stage::kNaptr:
        // A NAPTR lookup that failed (rather than found nothing) stops here: guessing
        // transports and ports could send the call to a server the domain never named.
        if (lookup.failure != ARES_SUCCESS) return fail(lookup);
        return querySrv(lookup);
      case Stage::kSrv: {
        bool anySrv = std::any_of(lookup.records.srv.begin(), lookup.records.srv.end(),
                                  [](const auto& entry) { return !entry.second.empty(); });
        // Same reasoning: without any SRV answer, falling back to the host's A record on 5060
        // is only right when DNS said there are no SRV records.
        if (!anySrv && lookup.failure != ARES_SUCCESS) return fail(lookup);
        return resolveAddresses(lookup);
      }
      case Stage::kAddresses:
        return finish(lookup);
    }
  }

  void finish(Lookup& lookup) {
    for (auto& [host, addresses] : lookup.ipv4)
      lookup.records.addresses[host] = std::move(addresses);
    for (auto& [host, addresses] : lookup.ipv6) {
      auto& all = lookup.records.addresses[host];
      all.insert(all.end(), addresses.begin(), addresses.end());
    }
    auto peers = orderTargets(lookup.request, lookup.records, [this](std::uint32_t upTo) {
      return std::uniform_int_distribution<std::uint32_t>(0, upTo)(random_);
    });
    if (peers.empty()) return fail(lookup);
    complete(lookup, std::move(peers));
  }

  void fail(Lookup& lookup) {
    std::string host = loggable(lookup.request.host);
    if (lookup.failure != ARES_SUCCESS) {
      return complete(lookup, unavailable(fmt::format("DNS lookup for {} failed: {}", host,
                                                      ares_strerror(lookup.failure))));
    }
    std::string why =
        lookup.negative != ARES_SUCCESS ? ares_strerror(lookup.negative) : "no usable records";
    complete(lookup, Error::notFound(fmt::format("no SIP server found for {} ({})", host, why)));
  }

  void complete(Lookup& lookup, Outcome outcome) {
    auto node = lookups_.extract(lookup.id);
    deliver(node.key(), std::move(outcome), std::move(node.mapped().guard));
  }

  asio::io_context& io_;
  // io_context thread only.
  std::shared_ptr<Pending> pending_ = std::make_shared<Pending>();
  std::uint64_t lastId_ = 0;
  // Shared, under mutex_.
  std::mutex mutex_;
  std::vector<Job> incoming_;
  bool stopping_ = false;
  // Resolver thread only (the channel is made before the thread starts and never touched by
  // the io_context thread afterwards).
  Channel channel_;
  FileDescriptor wake_;
  std::unordered_map<ares_socket_t, short> sockets_;
  std::unordered_map<std::uint64_t, Lookup> lookups_;
  std::mt19937 random_{std::random_device{}()};
  std::thread thread_;  // last: started once everything above exists
};

AresResolver::AresResolver(asio::io_context& io, const Options& options)
    : impl_(std::make_unique<Impl>(io, options)) {}

AresResolver::~AresResolver() = default;

void AresResolver::resolve(ResolveRequest request, Done done) {
  impl_->resolve(std::move(request), std::move(done));
}

}  // namespace sb::sip
