#include "media/engine.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <span>
#include <thread>
#include <unordered_map>
#include <variant>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/text.hpp"
#include "media/g711.hpp"
#include "media/jitter_buffer.hpp"
#include "media/quality.hpp"
#include "media/rtcp.hpp"
#include "media/rtp.hpp"
#include "media/telephone_event.hpp"

namespace sb::media {

namespace {

constexpr std::size_t kBatch = 32;          // packets per recvmmsg/sendmmsg
constexpr std::size_t kMaxPacket = 1500;    // larger datagrams are truncated and dropped
constexpr std::uint32_t kClockRate = 8000;  // G.711 and telephone-event
constexpr std::chrono::seconds kRelatchAfter{2};
constexpr auto kTick = std::chrono::milliseconds(20);
// epoll keys: a worker's socket slot + 2 (its RTCP socket with the top bit), so 0 and 1 are free.
constexpr std::uint64_t kWakeKey = 0;
constexpr std::uint64_t kTickKey = 1;
constexpr std::uint64_t kFirstSlotKey = 2;
constexpr std::uint64_t kRtcpBit = std::uint64_t{1} << 63;
constexpr std::uint64_t kDiscardedKey = kRtcpBit - 1;  // an event already dealt with
constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};
// Closed endpoints' socket pairs kept open per worker for the next calls: a call then costs no
// socket, bind, epoll_ctl or close. Reused oldest first, and emptied of anything that arrived
// while idle. At most an eighth of the range is kept idle, so a worker without idle pairs of
// its own finds an unbound one until the range is at least seven-eighths in use.
constexpr std::size_t kIdlePairsPerWorker = 512;

std::uint32_t nowCompactNtp() {
  return compactNtp(toNtp(std::chrono::system_clock::now()));
}

// A socket address that compares by value.
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;

  bool empty() const { return length == 0; }
  bool operator==(const Address& other) const {
    return length == other.length && std::memcmp(&storage, &other.storage, length) == 0;
  }
};

std::optional<Address> makeAddress(const std::string& host, std::uint16_t port) {
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
    return a;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
    return a;
  }
  return std::nullopt;
}

std::pair<std::string, std::uint16_t> describe(const Address& a) {
  if (a.storage.ss_family == AF_INET) {
    // Every call's leg statistics name the far end: dotted quads without inet_ntop's printf.
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a.storage);
    const auto* octets = reinterpret_cast<const std::uint8_t*>(&v4->sin_addr);
    return {concat(octets[0], '.', octets[1], '.', octets[2], '.', octets[3]), ntohs(v4->sin_port)};
  }
  if (a.storage.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a.storage);
    std::array<char, INET6_ADDRSTRLEN> text{};
    inet_ntop(AF_INET6, &v6->sin6_addr, text.data(), text.size());
    return {text.data(), ntohs(v6->sin6_port)};
  }
  return {"", 0};
}

// SSRCs and initial sequence numbers and timestamps (RFC 3550 §5.1: random).
std::uint32_t randomNumber() {
  // One getrandom() call, no file to open: this runs on the workers for every new source.
  thread_local std::mt19937 engine{[] {
    std::uint32_t seed = 0;
    if (::getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = std::random_device{}();
    return seed;
  }()};
  return static_cast<std::uint32_t>(engine());
}

}  // namespace

// -----------------------------------------------------------------------------------------------
// Ports

class MediaEngine::PortPool {
 public:
  PortPool(std::string address, std::uint16_t first, std::uint16_t last, unsigned workers)
      : address_(std::move(address)),
        first_(static_cast<std::uint16_t>(first + (first % 2))),
        last_(last),
        next_(first_),
        idle_(workers),
        idleCap_(std::min<std::size_t>(
            kIdlePairsPerWorker,
            (last_ >= first_ ? (last_ - first_ + 1U) / 2U : 0U) / (8U * std::max(1U, workers)))) {}

  ~PortPool() {
    for (auto& pairs : idle_) {
      for (const auto& b : pairs) {
        ::close(b.rtp);
        ::close(b.rtcp);
      }
    }
  }

  PortPool(const PortPool&) = delete;
  PortPool& operator=(const PortPool&) = delete;

  struct Bound {
    int rtp = -1;
    int rtcp = -1;
    std::uint16_t port = 0;        // RTP; RTCP is port + 1
    std::uint32_t slot = kNoSlot;  // a recycled pair: its slot in the worker's epoll set
  };

  // A pair for an endpoint on `worker`: one the worker closed earlier, else non-blocking UDP
  // sockets bound to the next free even port and the odd one above it; nullopt when no pair
  // is left.
  std::optional<Bound> bind(unsigned worker) {
    std::lock_guard lock(mutex_);
    if (auto& pairs = idle_[worker]; !pairs.empty()) {
      Bound b = pairs.front();
      pairs.pop_front();
      return b;
    }
    auto family = makeAddress(address_, 0);
    if (!family) return std::nullopt;
    for (std::uint32_t tries = 0; tries <= static_cast<std::uint32_t>(last_ - first_) / 2 + 1;
         ++tries) {
      std::uint16_t port = next_;
      next_ = static_cast<std::uint16_t>(next_ + 2);
      if (next_ > last_ || next_ < first_) next_ = first_;
      if (inUse_.contains(port) || port == 65535) continue;
      Bound b{open(family->storage.ss_family, port),
              open(family->storage.ss_family, static_cast<std::uint16_t>(port + 1)), port};
      if (b.rtp < 0 || b.rtcp < 0) {
        if (b.rtp >= 0) ::close(b.rtp);
        if (b.rtcp >= 0) ::close(b.rtcp);
        continue;  // taken by another program
      }
      inUse_.insert(port);
      return b;
    }
    return std::nullopt;
  }

  int open(sa_family_t family, std::uint16_t port) const {
    int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    auto local = *makeAddress(address_, port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local.storage), local.length) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  void release(std::uint16_t port) {
    std::lock_guard lock(mutex_);
    inUse_.erase(port);
  }

  // Keeps a closed endpoint's pair, still in `worker`'s epoll set, for the next endpoint there;
  // false when enough are kept already (the caller closes it and releases the port).
  bool recycle(unsigned worker, const Bound& b) {
    std::lock_guard lock(mutex_);
    auto& pairs = idle_[worker];
    if (pairs.size() >= idleCap_) return false;
    pairs.push_back(b);
    return true;
  }

 private:
  std::mutex mutex_;
  std::string address_;
  std::uint16_t first_;
  std::uint16_t last_;
  std::uint16_t next_;
  std::set<std::uint16_t> inUse_;
  std::vector<std::deque<Bound>> idle_;  // by worker, oldest first
  std::size_t idleCap_;                  // pairs kept idle per worker
};

// -----------------------------------------------------------------------------------------------
// Workers

class MediaEngine::Worker {
 public:
  struct Endpoint {
    EndpointId id = 0;
    int fd = -1;
    int rtcpFd = -1;
    std::uint16_t port = 0;
    std::uint32_t slot = kNoSlot;  // in the worker's epoll set; kNoSlot until added
    EndpointConfig config;
    Address remote;
    Address rtcpRemote;  // the phone's RTCP source once it sent some, else remote port + 1
    bool latched = false;
    std::chrono::steady_clock::time_point lastReceived{};
    bool silenceReported = false;
    Endpoint* peer = nullptr;
    StreamRewriter out{StreamRewriterConfig{}};
    EndpointStats stats;
    // The phone's stream (RFC 3550 A.1-A.8) and its RTCP.
    bool haveIncoming = false;
    std::uint32_t incomingSsrc = 0;
    ReceiveStatistics incoming;
    LastSenderReport lastSenderReport;
    TelephoneEventReceiver events;
    std::unique_ptr<DtmfDetector> inbandDtmf;  // only for endpoints that asked for it
    // Legs that are recorded or mixed: their audio through a jitter buffer, one frame a tick.
    std::unique_ptr<JitterBuffer> jitter;
    std::array<std::int16_t, kFrameSamples> frame{};
    MixerId mixer = 0;  // the conference it hears, 0: none
    // What plays to the phone instead of the bridge, when something does.
    std::variant<std::monostate, ClipPlayer, ToneGenerator> player;
    std::uint32_t playerSsrc = 0;
    std::uint16_t playerSequence = 0;
    std::uint32_t playerTimestamp = 0;
    // Digits being sent as telephone-events: the queue and the packet of the current one.
    std::string digitsToSend;
    std::optional<TelephoneEventGenerator> digit;
    std::size_t digitPacket = 0;
    std::uint32_t digitTimestamp = 0;
    int digitGap = 0;  // ticks of silence left between two digits
    std::chrono::milliseconds digitDuration{100};
    // Our stream to the phone.
    SendStatistics sent;
    bool sentSinceReport = false;
    std::chrono::steady_clock::time_point nextReport{};
  };

  Worker(unsigned index, PortPool& ports, const Options& options, std::optional<int> cpu)
      : index_(index),
        ports_(ports),
        rtcpInterval_(options.rtcpInterval),
        onDigit_(options.onDigit),
        onPlayed_(options.onPlayed),
        rtpTimeout_(options.rtpTimeout),
        onSilent_(options.onSilent) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0;  // endpoint ids start at 1: 0 is the wake-up
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    tick_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    itimerspec period{};
    period.it_interval.tv_nsec = std::chrono::nanoseconds(kTick).count();
    period.it_value = period.it_interval;
    ::timerfd_settime(tick_, 0, &period, nullptr);
    ev.data.u64 = kTickKey;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, tick_, &ev);
    for (std::size_t i = 0; i < kBatch; ++i) {
      recvIov_[i] = {recvBuffers_[i].data(), kMaxPacket};
      recvMsgs_[i].msg_hdr.msg_iov = &recvIov_[i];
      recvMsgs_[i].msg_hdr.msg_iovlen = 1;
      recvMsgs_[i].msg_hdr.msg_name = &recvFrom_[i];
    }
    thread_ = std::thread([this, cpu] {
      pthread_setname_np(pthread_self(), fmt::format("sb-media-{}", index_).c_str());
      if (cpu) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(*cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
      }
      run();
    });
  }

  ~Worker() {
    postNow([this] { stopping_ = true; });
    thread_.join();
    for (auto& [id, e] : endpoints_) {
      ::close(e->fd);
      ::close(e->rtcpFd);
      ports_.release(e->port);
    }
    // Idle pairs are the pool's to close.
    ::close(tick_);
    ::close(wake_);
    ::close(epoll_);
  }

  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs `command` on the worker thread, in order, when the worker next wakes: for a packet, or
  // at its tick (20 ms) at the latest. Commands are applied before the packets that woke the
  // worker, so a command posted before a packet arrives is in force for that packet. Call
  // control's commands (open, bridge, play, close) need no sooner, and waking the worker for each
  // would cost a system call and two context switches per command.
  void post(std::function<void()> command) {
    std::lock_guard lock(mutex_);
    commands_.push_back(std::move(command));
  }

  // The same, now: for callers that wait for the answer. One wake-up covers everything queued.
  void postNow(std::function<void()> command) {
    {
      std::lock_guard lock(mutex_);
      commands_.push_back(std::move(command));
      if (wakePending_) return;
      wakePending_ = true;
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
  }

  // On the worker thread only.
  void add(std::unique_ptr<Endpoint> e) {
    if (e->slot == kNoSlot) {
      e->slot = newSlot(e->fd, e->rtcpFd);
    }
    // A recycled pair's packets from while it was idle were discarded when they woke the worker,
    // before this command ran (run()).
    slots_[e->slot].endpoint = e.get();
    e->nextReport = std::chrono::steady_clock::now() + reportInterval();
    endpoints_.emplace(e->id, std::move(e));
  }

  Endpoint* find(EndpointId id) {
    auto it = endpoints_.find(id);
    return it == endpoints_.end() ? nullptr : it->second.get();
  }

  void remove(EndpointId id) {
    auto it = endpoints_.find(id);
    if (it == endpoints_.end()) return;
    Endpoint& e = *it->second;
    if (e.peer != nullptr) e.peer->peer = nullptr;
    if (e.mixer != 0) leaveMixer(e.mixer, e);
    slots_[e.slot].endpoint = nullptr;
    if (!ports_.recycle(index_, PortPool::Bound{e.fd, e.rtcpFd, e.port, e.slot})) {
      ::close(e.fd);  // which takes it out of the epoll set too
      ::close(e.rtcpFd);
      ports_.release(e.port);
      slots_[e.slot] = SocketSlot{};
      freeSlots_.push_back(e.slot);
    }
    endpoints_.erase(it);
  }

  std::chrono::microseconds cpuTime() const {
    clockid_t clock{};
    timespec ts{};
    if (pthread_getcpuclockid(const_cast<std::thread&>(thread_).native_handle(), &clock) != 0 ||
        clock_gettime(clock, &ts) != 0) {
      return std::chrono::microseconds(0);
    }
    return std::chrono::seconds(ts.tv_sec) + std::chrono::duration_cast<std::chrono::microseconds>(
                                                 std::chrono::nanoseconds(ts.tv_nsec));
  }

 private:
  void run() {
    std::array<epoll_event, 64> events{};
    while (!stopping_) {
      int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        spdlog::error("media worker {}: epoll_wait failed: {}", index_, std::strerror(errno));
        return;
      }
      if (n > 0) {
        // Idle pairs first: what reached them belongs to ended calls, not to an endpoint that a
        // command below may give them to.
        discardIdle(std::span(events.data(), static_cast<std::size_t>(n)));
        drainCommands();
      }
      for (int i = 0; i < n; ++i) {
        auto key = events[static_cast<std::size_t>(i)].data.u64;
        if (key == kWakeKey) {
          std::uint64_t count = 0;
          [[maybe_unused]] auto r = ::read(wake_, &count, sizeof count);
        } else if (key == kTickKey) {
          onTick();
        } else if (key != kDiscardedKey) {
          bool rtcp = (key & kRtcpBit) != 0;
          const SocketSlot& slot = slots_[(key & ~kRtcpBit) - kFirstSlotKey];
          if (slot.endpoint == nullptr) {
            discardQueued(rtcp ? slot.rtcp : slot.rtp);  // an idle pair
          } else if (rtcp) {
            receiveRtcp(*slot.endpoint);
          } else {
            receive(*slot.endpoint);
          }
        }
      }
    }
  }

  // Registers a new socket pair in the epoll set under a free slot.
  std::uint32_t newSlot(int rtp, int rtcp) {
    std::uint32_t slot;
    if (freeSlots_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    } else {
      slot = freeSlots_.back();
      freeSlots_.pop_back();
    }
    slots_[slot] = SocketSlot{rtp, rtcp, nullptr};
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kFirstSlotKey + slot;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, rtp, &ev);
    ev.data.u64 = (kFirstSlotKey + slot) | kRtcpBit;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, rtcp, &ev);
    return slot;
  }

  void discardIdle(std::span<epoll_event> events) {
    for (auto& event : events) {
      auto key = event.data.u64;
      if (key < kFirstSlotKey || key == kDiscardedKey) continue;
      const SocketSlot& slot = slots_[(key & ~kRtcpBit) - kFirstSlotKey];
      if (slot.endpoint != nullptr) continue;
      discardQueued((key & kRtcpBit) != 0 ? slot.rtcp : slot.rtp);
      event.data.u64 = kDiscardedKey;
    }
  }

  void discardQueued(int fd) {
    std::array<std::uint8_t, 64> scrap{};
    while (::recv(fd, scrap.data(), scrap.size(), MSG_DONTWAIT | MSG_TRUNC) >= 0) {
    }
  }

  void drainCommands() {
    std::vector<std::function<void()>> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(commands_);
      wakePending_ = false;
    }
    for (auto& command : batch)
      command();
  }

  void receive(Endpoint& e) {
    for (;;) {
      for (std::size_t i = 0; i < kBatch; ++i) {
        recvMsgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        recvMsgs_[i].msg_hdr.msg_flags = 0;
      }
      int n = ::recvmmsg(e.fd, recvMsgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;  // EAGAIN: drained
      std::size_t sends = 0;
      auto now = std::chrono::steady_clock::now();
      // Arrival time on an 8 kHz clock, which every stream here uses; wraps freely.
      auto arrival = arrivalUnits(now);
      for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        auto& msg = recvMsgs_[i];
        Address from;
        from.storage = recvFrom_[i];
        from.length = msg.msg_hdr.msg_namelen;
        std::span<std::uint8_t> packet(recvBuffers_[i].data(), msg.msg_len);
        auto parsed = parseRtp(packet);
        if ((msg.msg_hdr.msg_flags & MSG_TRUNC) != 0 || !parsed.ok() ||
            !accept(e, parsed.value, packet.size(), from, now, arrival)) {
          ++e.stats.packetsDropped;
          continue;
        }
        Endpoint* to = e.peer;
        if (to == nullptr || to->remote.empty() || playing(*to) || sendingDigits(*to) ||
            to->mixer != 0 || !forward(e, *to, packet, parsed.value, arrival)) {
          ++e.stats.packetsDropped;
          continue;
        }
        auto& out = sendMsgs_[sends++];
        out.msg_hdr = {};
        sendIov_[sends - 1] = {packet.data(), packet.size()};
        out.msg_hdr.msg_iov = &sendIov_[sends - 1];
        out.msg_hdr.msg_iovlen = 1;
        out.msg_hdr.msg_name = &to->remote.storage;
        out.msg_hdr.msg_namelen = to->remote.length;
      }
      if (sends > 0 && e.peer != nullptr) {
        int sent = ::sendmmsg(e.peer->fd, sendMsgs_.data(), static_cast<unsigned>(sends), 0);
        if (sent > 0) e.peer->stats.packetsSent += static_cast<std::uint64_t>(sent);
      }
      if (static_cast<std::size_t>(n) < kBatch) return;
    }
  }

  // Counts an incoming packet and latches the phone's address (symmetric RTP); false for what is
  // not an RTP packet of this endpoint's payload types.
  bool accept(Endpoint& e, const RtpPacket& header, std::size_t size, const Address& from,
              std::chrono::steady_clock::time_point now, std::uint32_t arrival) {
    bool comfortNoise =
        e.config.comfortNoisePayloadType && header.payloadType == *e.config.comfortNoisePayloadType;
    bool known = header.payloadType == e.config.payloadType || comfortNoise ||
                 (e.config.eventPayloadType && header.payloadType == *e.config.eventPayloadType);
    if (!known) return false;
    // Symmetric RTP (RFC 4961): the phone's packets say where it really is, behind NAT or not.
    // Once latched, another source is heard only after the phone fell silent (a NAT rebinding),
    // so a stray or spoofed packet cannot steal the stream.
    if (e.latched && !(from == e.remote) && now - e.lastReceived < kRelatchAfter) return false;
    if (!e.latched || !(from == e.remote)) {
      e.remote = from;
      e.latched = true;
    }
    e.lastReceived = now;
    e.silenceReported = false;
    ++e.stats.packetsReceived;
    e.stats.bytesReceived += size;
    if (!e.haveIncoming || header.ssrc != e.incomingSsrc) {
      e.haveIncoming = true;
      e.incomingSsrc = header.ssrc;
      e.incoming = ReceiveStatistics();
      e.lastSenderReport = {};
      if (e.jitter) e.jitter->sourceChanged();
    }
    if (comfortNoise) {
      e.incoming.onPacket(header.sequence, header.timestamp, arrival);
    } else if (header.payloadType == e.config.payloadType) {
      e.incoming.onPacket(header.sequence, header.timestamp, arrival);
      if (e.inbandDtmf) detectInband(e, header.payload);
      if (e.jitter)
        (void)e.jitter->push(header.sequence, header.timestamp, arrival, header.payload);
    } else {
      e.incoming.onPacketWithoutTiming(header.sequence);
      if (auto event = parseTelephoneEvent(header.payload); event.ok()) {
        for (const auto& finished : e.events.onPacket(header, event.value))
          reportDigit(e, finished);
      }
    }
    return true;
  }

  void detectInband(Endpoint& e, std::span<const std::uint8_t> payload) {
    std::array<std::int16_t, kMaxPacket> pcm{};
    auto samples = std::min(payload.size(), pcm.size());
    auto audio = std::span(pcm).first(samples);
    if (e.config.codec == Codec::kPcma) {
      decodeALaw(payload.first(samples), audio);
    } else {
      decodeMuLaw(payload.first(samples), audio);
    }
    std::array<DtmfDigitEvent, 4> found{};
    auto n = e.inbandDtmf->process(audio, found);
    for (std::size_t i = 0; i < n && onDigit_; ++i)
      onDigit_(DigitEvent{e.id, found[i].digit, std::chrono::milliseconds(0)});
  }

  void reportDigit(const Endpoint& e, const ReceivedTelephoneEvent& event) {
    char digit = dtmfCharacter(event.event);
    if (digit == 0 || !onDigit_) return;
    onDigit_(DigitEvent{e.id, digit, std::chrono::milliseconds(event.duration / 8)});
  }

  // Rewrites the packet in place into `to`'s outgoing stream (transcoding G.711 when the two
  // phones differ); false when it cannot go there.
  static bool forward(const Endpoint& from, Endpoint& to, std::span<std::uint8_t> packet,
                      const RtpPacket& header, std::uint32_t arrival) {
    if (header.payloadType == from.config.payloadType && from.config.codec != to.config.codec) {
      auto* payload = packet.data() + header.headerSize;
      bool toALaw = to.config.codec == Codec::kPcma;
      for (std::size_t i = 0; i < header.payload.size(); ++i)
        payload[i] = toALaw ? muLawToALaw(payload[i]) : aLawToMuLaw(payload[i]);
    }
    if (to.out.rewrite(packet, header, arrival) != RewriteResult::kForwarded) return false;
    to.sent.onSent(header.payload.size());
    to.sentSinceReport = true;
    return true;
  }

  std::chrono::steady_clock::duration reportInterval() {
    // RFC 3550 §6.2: randomised between 0.5 and 1.5 times the interval, so that reports of many
    // endpoints do not bunch up.
    auto spread = static_cast<double>(randomNumber() % 1000) / 1000.0 + 0.5;
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(rtcpInterval_ * spread);
  }

  void onTick() {
    std::uint64_t expirations = 0;
    [[maybe_unused]] auto r = ::read(tick_, &expirations, sizeof expirations);
    auto now = std::chrono::steady_clock::now();
    // One frame per tick from every buffered leg, for its recording and its conference. A tick
    // late by more than a frame (the worker was busy) still makes one frame: the jitter buffers
    // and the phones' own absorb it.
    for (auto& [id, e] : endpoints_) {
      if (e->jitter) e->jitter->pop(e->frame);
    }
    for (auto& recording : recordings_) {
      Endpoint* customer = find(recording.customer);
      Endpoint* agent = find(recording.agent);
      static const std::array<std::int16_t, kFrameSamples> kSilence{};
      recording.recorder->record(customer != nullptr ? customer->frame : kSilence,
                                 agent != nullptr ? agent->frame : kSilence);
    }
    for (auto& [mixerId, m] : mixers_) {
      for (auto member : m.members) {
        if (Endpoint* e = find(member)) m.conference.setInput(member, e->frame);
      }
      m.conference.mix();
      for (auto member : m.members) {
        Endpoint* e = find(member);
        if (e != nullptr && !playing(*e) && !sendingDigits(*e)) {
          sendFrame(*e, m.conference.output(member), now);
        }
      }
    }
    for (auto& [id, e] : endpoints_) {
      if (sendingDigits(*e)) {
        sendDigitPacket(*e, now);
      } else if (playing(*e)) {
        playFrame(*e, now);
      }
    }
    // Reports are due far more rarely.
    if (++ticks_ % 10 != 0) return;
    for (auto& [id, e] : endpoints_) {
      if (now >= e->nextReport) sendReport(*e, now);
      if (rtpTimeout_.count() > 0 && e->config.expectMedia && e->stats.packetsReceived > 0 &&
          !e->silenceReported && now - e->lastReceived >= rtpTimeout_) {
        e->silenceReported = true;
        if (onSilent_) onSilent_(e->id);
      }
    }
  }

  // Audio made here (music, a conference, digits) feeds the leg instead of its bridge.
  static bool fedLocally(const Endpoint& e) {
    return playing(e) || sendingDigits(e) || e.mixer != 0;
  }

 public:
  // What `from` sends reaches `to` in `to`'s payload types, nothing else. A leg fed locally
  // (on hold, in a conference) keeps its current source: the bridge is heard when that ends.
  static void bridgeInto(const Endpoint& from, Endpoint& to) {
    to.out.blockAllPayloadTypes();
    to.out.mapPayloadType(from.config.payloadType, to.config.payloadType);
    if (from.config.eventPayloadType && to.config.eventPayloadType) {
      to.out.mapPayloadType(*from.config.eventPayloadType, *to.config.eventPayloadType);
    }
    if (from.config.comfortNoisePayloadType && to.config.comfortNoisePayloadType) {
      to.out.mapPayloadType(*from.config.comfortNoisePayloadType,
                            *to.config.comfortNoisePayloadType);
    }
    if (fedLocally(to)) {
      to.out.mapPayloadType(to.config.payloadType, to.config.payloadType);
      if (to.config.eventPayloadType) {
        to.out.mapPayloadType(*to.config.eventPayloadType, *to.config.eventPayloadType);
      }
    } else {
      to.out.attachSource();
    }
  }

 private:
  static bool sendingDigits(const Endpoint& e) {
    return e.digit.has_value() || !e.digitsToSend.empty();
  }

 public:
  void queueDigits(Endpoint& e, const std::string& digits, std::chrono::milliseconds duration) {
    if (!e.config.eventPayloadType) return;
    if (!sendingDigits(e)) {
      switchSource(e);
      e.out.mapPayloadType(*e.config.eventPayloadType, *e.config.eventPayloadType);
    }
    e.digitsToSend += digits;
    e.digitDuration = duration;
  }

 private:
  // One packet per tick of the digit being sent (RFC 4733 §2.5.1), then 40 ms of nothing, then
  // the next digit; the source of the leg's stream goes back to what it was after the last.
  void sendDigitPacket(Endpoint& e, std::chrono::steady_clock::time_point now) {
    if (!e.digit) {
      if (e.digitGap > 0) {
        --e.digitGap;
        return;
      }
      char next = e.digitsToSend.front();
      e.digitsToSend.erase(0, 1);
      e.digit.emplace(*dtmfEvent(next), e.digitDuration);
      e.digitPacket = 0;
      e.digitTimestamp = e.playerTimestamp;
    }
    auto p = (*e.digit)[e.digitPacket++];
    if (!e.remote.empty()) {
      std::array<std::uint8_t, kRtpFixedHeaderSize + kTelephoneEventSize> packet{};
      writeRtpHeader(packet, {p.marker, *e.config.eventPayloadType, e.playerSequence++,
                              e.digitTimestamp, e.playerSsrc});
      auto payload = encodeTelephoneEvent(p.payload);
      std::copy(payload.begin(), payload.end(), packet.begin() + kRtpFixedHeaderSize);
      sendThroughStream(e, packet, now);
    }
    // The stream's clock keeps running during the event: later audio continues from here.
    e.playerTimestamp += kFrameSamples;
    if (e.digitPacket >= e.digit->size()) {
      e.digit.reset();
      e.digitGap = 2;
      if (e.digitsToSend.empty()) switchSource(e);
    }
  }

  static bool playing(const Endpoint& e) {
    return !std::holds_alternative<std::monostate>(e.player);
  }

 public:
  struct Recording {
    EndpointId customer = 0;
    EndpointId agent = 0;
    std::shared_ptr<Recorder> recorder;
  };
  struct Mixer {
    Conference conference;
    std::vector<EndpointId> members;
  };

  void bufferAudio(Endpoint& e) {
    if (e.jitter) return;
    JitterBufferConfig config;
    config.law = e.config.codec == Codec::kPcma ? G711Law::kALaw : G711Law::kMuLaw;
    e.jitter = std::make_unique<JitterBuffer>(config);
  }

  // The phone hears something made here from now on (or its bridge again): a new source for
  // its stream rewriter, which continues our sequence numbers and timestamps.
  static void switchSource(Endpoint& e) {
    e.playerSsrc = randomNumber();
    e.out.attachSource();
    // Audio made here carries the endpoint's own payload type; the rewriter must let it pass.
    e.out.mapPayloadType(e.config.payloadType, e.config.payloadType);
  }

  std::vector<Recording> recordings_;
  std::unordered_map<MixerId, Mixer> mixers_;

 public:
  bool startRecording(EndpointId customer, EndpointId agent, std::shared_ptr<Recorder> recorder) {
    Endpoint* c = find(customer);
    Endpoint* a = agent != 0 ? find(agent) : nullptr;
    if (c == nullptr || (agent != 0 && a == nullptr) || !recorder) return false;
    bufferAudio(*c);
    if (a != nullptr) bufferAudio(*a);
    std::erase_if(recordings_, [&](const Recording& r) { return r.customer == customer; });
    recordings_.push_back({customer, agent, std::move(recorder)});
    return true;
  }

  std::optional<EndpointStats> snapshot(EndpointId id) {
    auto* e = find(id);
    if (e == nullptr) return std::nullopt;
    auto s = e->stats;
    std::tie(s.remoteAddress, s.remotePort) = describe(e->remote);
    s.latched = e->latched;
    return s;
  }

  void stopRecording(EndpointId customer) {
    std::erase_if(recordings_, [&](const Recording& r) { return r.customer == customer; });
  }

  void createMixer(MixerId id) { mixers_.try_emplace(id); }

  bool joinMixer(MixerId id, EndpointId endpoint, ParticipantMode mode) {
    auto it = mixers_.find(id);
    Endpoint* e = find(endpoint);
    if (it == mixers_.end() || e == nullptr) return false;
    if (e->mixer != 0 && e->mixer != id) leaveMixer(e->mixer, *e);
    if (!it->second.conference.add(endpoint, mode)) return it->second.conference.contains(endpoint);
    it->second.members.push_back(endpoint);
    bufferAudio(*e);
    e->mixer = id;
    switchSource(*e);
    return true;
  }

  Mixer* mixer(MixerId id) {
    auto it = mixers_.find(id);
    return it == mixers_.end() ? nullptr : &it->second;
  }

  void leaveMixer(MixerId id, Endpoint& e) {
    if (auto* m = mixer(id)) {
      m->conference.remove(e.id);
      std::erase(m->members, e.id);
    }
    e.mixer = 0;
    switchSource(e);  // its bridge, if any, is heard again
  }

  void destroyMixer(MixerId id) {
    auto* m = mixer(id);
    if (m == nullptr) return;
    for (auto member : std::vector<EndpointId>(m->members)) {
      if (Endpoint* e = find(member)) leaveMixer(id, *e);
    }
    mixers_.erase(id);
  }

 private:
 public:
  void startPlaying(Endpoint& e, std::variant<std::monostate, ClipPlayer, ToneGenerator> player) {
    bool was = playing(e);
    e.player = std::move(player);
    if (!playing(e)) {
      if (was) switchSource(e);  // the bridge or the conference is heard again
      return;
    }
    switchSource(e);
  }

 private:
  void playFrame(Endpoint& e, std::chrono::steady_clock::time_point now) {
    std::array<std::int16_t, kFrameSamples> frame{};
    bool finished = false;
    if (auto* clip = std::get_if<ClipPlayer>(&e.player)) {
      clip->next(frame);
      finished = clip->finished();
    } else if (auto* tone = std::get_if<ToneGenerator>(&e.player)) {
      tone->generate(frame);
    }
    sendFrame(e, frame, now);
    if (finished) {
      startPlaying(e, std::monostate{});
      if (onPlayed_) onPlayed_(e.id);
    }
  }

  // Sends 20 ms of audio made here (a player, a conference) in the endpoint's codec, through
  // its stream rewriter: the phone sees one continuous stream whatever feeds it.
  void sendFrame(Endpoint& e, std::span<const std::int16_t, kFrameSamples> frame,
                 std::chrono::steady_clock::time_point now) {
    if (!e.remote.empty()) {
      std::array<std::uint8_t, kRtpFixedHeaderSize + kFrameSamples> packet{};
      writeRtpHeader(packet, {false, e.config.payloadType, e.playerSequence++, e.playerTimestamp,
                              e.playerSsrc});
      e.playerTimestamp += kFrameSamples;
      std::span<std::uint8_t> payload(packet.data() + kRtpFixedHeaderSize, kFrameSamples);
      if (e.config.codec == Codec::kPcma) {
        encodeALaw(frame, payload);
      } else {
        encodeMuLaw(frame, payload);
      }
      if (sendThroughStream(e, packet, now)) e.sent.onSent(kFrameSamples);
    }
  }

  // Sends a packet made here (our own source's header) through the endpoint's stream rewriter,
  // so that it continues the stream the phone already gets.
  bool sendThroughStream(Endpoint& e, std::span<std::uint8_t> packet,
                         std::chrono::steady_clock::time_point now) {
    auto parsed = parseRtp(packet);
    if (!parsed.ok() ||
        e.out.rewrite(packet, parsed.value, arrivalUnits(now)) != RewriteResult::kForwarded ||
        ::sendto(e.fd, packet.data(), packet.size(), 0,
                 reinterpret_cast<const sockaddr*>(&e.remote.storage), e.remote.length) <= 0) {
      return false;
    }
    ++e.stats.packetsSent;
    e.sentSinceReport = true;
    return true;
  }

  std::uint32_t arrivalUnits(std::chrono::steady_clock::time_point now) const {
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - epoch_).count() * kClockRate /
        1'000'000);
  }

  void sendReport(Endpoint& e, std::chrono::steady_clock::time_point now) {
    e.nextReport = now + reportInterval();
    auto compactNow = nowCompactNtp();
    std::optional<SenderInfo> sender;
    if (e.sentSinceReport) {
      sender = SenderInfo{toNtp(std::chrono::system_clock::now()), e.out.lastTimestamp(),
                          e.sent.packets, e.sent.octets};
      e.sentSinceReport = false;
    }
    std::array<ReportBlock, 1> blocks{};
    std::size_t count = 0;
    if (e.haveIncoming && e.incoming.valid()) {
      blocks[0] = makeReportBlock(e.incomingSsrc, e.incoming, e.lastSenderReport, compactNow);
      count = 1;
      updateQuality(e, blocks[0]);
    }
    std::array<std::uint8_t, 256> buffer{};
    auto size = writeReport(buffer, e.out.ssrc(), sender, std::span(blocks).first(count), cname_);
    Address to = e.rtcpRemote;
    if (to.empty() && !e.remote.empty()) {
      to = e.remote;
      auto* port = to.storage.ss_family == AF_INET
                       ? &reinterpret_cast<sockaddr_in*>(&to.storage)->sin_port
                       : &reinterpret_cast<sockaddr_in6*>(&to.storage)->sin6_port;
      *port = htons(static_cast<std::uint16_t>(ntohs(*port) + 1));
    }
    if (size == 0 || to.empty()) return;
    if (::sendto(e.rtcpFd, buffer.data(), size, 0, reinterpret_cast<const sockaddr*>(&to.storage),
                 to.length) > 0) {
      ++e.stats.rtcpSent;
    }
  }

  static void updateQuality(Endpoint& e, const ReportBlock& block) {
    e.stats.packetsLost = block.cumulativeLost;
    e.stats.jitterMs = static_cast<double>(block.jitter) / (kClockRate / 1000.0);
    QualityInputs inputs;
    inputs.lossFraction = static_cast<double>(block.fractionLost) / 256.0;
    inputs.jitterMs = e.stats.jitterMs;
    inputs.roundTripMs = e.stats.roundTripMs.value_or(0);
    auto q = estimateQuality(inputs);
    e.stats.rFactor = q.rFactor;
    e.stats.mos = q.mos;
  }

  void receiveRtcp(Endpoint& e) {
    std::array<std::uint8_t, kMaxPacket> buffer{};
    for (;;) {
      sockaddr_storage from{};
      socklen_t fromLength = sizeof from;
      auto n = ::recvfrom(e.rtcpFd, buffer.data(), buffer.size(), MSG_DONTWAIT,
                          reinterpret_cast<sockaddr*>(&from), &fromLength);
      if (n <= 0) return;
      auto compound = parseRtcpCompound(std::span(buffer.data(), static_cast<std::size_t>(n)));
      if (!compound.ok()) continue;
      ++e.stats.rtcpReceived;
      e.rtcpRemote.storage = from;
      e.rtcpRemote.length = fromLength;
      auto arrival = nowCompactNtp();
      for (const auto& packet : compound.value) {
        auto onBlocks = [&](const ReportBlocks& blocks) {
          for (std::size_t b = 0; b < blocks.size(); ++b) {
            auto block = blocks[b];
            if (block.ssrc != e.out.ssrc()) continue;
            if (auto rtt = roundTripTime(block, arrival)) {
              e.stats.roundTripMs =
                  static_cast<double>(compactToMicroseconds(*rtt).count()) / 1000.0;
            }
          }
        };
        if (packet.type == rtcp_type::kSenderReport) {
          if (auto sr = parseSenderReport(packet); sr.ok()) {
            if (e.haveIncoming && sr.value.ssrc == e.incomingSsrc) {
              e.lastSenderReport.onSenderReport(sr.value.sender, arrival);
            }
            onBlocks(sr.value.blocks);
          }
        } else if (packet.type == rtcp_type::kReceiverReport) {
          if (auto rr = parseReceiverReport(packet); rr.ok()) onBlocks(rr.value.blocks);
        }
      }
    }
  }

  unsigned index_;
  PortPool& ports_;
  std::chrono::milliseconds rtcpInterval_;
  std::function<void(const DigitEvent&)> onDigit_;
  std::function<void(EndpointId)> onPlayed_;
  std::chrono::milliseconds rtpTimeout_;
  std::function<void(EndpointId)> onSilent_;
  int tick_ = -1;
  std::uint64_t ticks_ = 0;
  std::string cname_ = fmt::format("switchboard-{}@media", index_);
  int epoll_ = -1;
  int wake_ = -1;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::function<void()>> commands_;
  bool wakePending_ = false;  // the eventfd was written since the last drain
  bool stopping_ = false;
  std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
  std::unordered_map<EndpointId, std::unique_ptr<Endpoint>> endpoints_;
  // The socket pairs in the epoll set, in use (endpoint set) or idle in the pool.
  struct SocketSlot {
    int rtp = -1;
    int rtcp = -1;
    Endpoint* endpoint = nullptr;
  };
  std::vector<SocketSlot> slots_;
  std::vector<std::uint32_t> freeSlots_;

  std::array<std::array<std::uint8_t, kMaxPacket>, kBatch> recvBuffers_{};
  std::array<iovec, kBatch> recvIov_{};
  std::array<sockaddr_storage, kBatch> recvFrom_{};
  std::array<mmsghdr, kBatch> recvMsgs_{};
  std::array<iovec, kBatch> sendIov_{};
  std::array<mmsghdr, kBatch> sendMsgs_{};
};

// -----------------------------------------------------------------------------------------------

MediaEngine::MediaEngine(Options options) : options_(std::move(options)) {
  unsigned count = std::max(1U, options_.workers);
  ports_ =
      std::make_unique<PortPool>(options_.address, options_.firstPort, options_.lastPort, count);
  for (unsigned i = 0; i < count; ++i) {
    std::optional<int> cpu;
    if (!options_.cpus.empty()) cpu = options_.cpus[i % options_.cpus.size()];
    workers_.push_back(std::make_unique<Worker>(i, *ports_, options_, cpu));
  }
}

MediaEngine::~MediaEngine() = default;

MediaEngine::Worker& MediaEngine::workerOf(EndpointId id) {
  return *workers_[(id & 0xFF) % workers_.size()];
}

Result<EndpointInfo> MediaEngine::open(const EndpointConfig& config) {
  std::optional<Address> remote;
  if (!config.remoteAddress.empty()) {
    remote = makeAddress(config.remoteAddress, config.remotePort);
    if (!remote) {
      return Error::invalid("remoteAddress",
                            fmt::format("\"{}\" is not an IP address", config.remoteAddress));
    }
  }
  auto worker = static_cast<EndpointId>(config.shard % workers_.size());
  auto bound = ports_->bind(static_cast<unsigned>(worker));
  if (!bound) return Error::unavailable("no free RTP port in the configured range");
  static std::atomic<EndpointId> counter{1};
  EndpointId id = (counter.fetch_add(1) << 8) | worker;
  auto e = std::make_unique<Worker::Endpoint>();
  e->id = id;
  e->fd = bound->rtp;
  e->rtcpFd = bound->rtcp;
  e->port = bound->port;
  e->slot = bound->slot;
  e->config = config;
  if (remote) e->remote = *remote;
  if (config.detectInbandDtmf) e->inbandDtmf = std::make_unique<DtmfDetector>();
  e->out = StreamRewriter(StreamRewriterConfig{
      randomNumber(), static_cast<std::uint16_t>(randomNumber()), randomNumber()});
  e->stats.outSsrc = e->out.ssrc();
  auto& w = workerOf(id);
  w.post([&w, endpoint = e.release()] { w.add(std::unique_ptr<Worker::Endpoint>(endpoint)); });
  return EndpointInfo{id, bound->port};
}

void MediaEngine::configure(EndpointId id, const EndpointConfig& config) {
  std::optional<Address> remote;
  if (!config.remoteAddress.empty()) remote = makeAddress(config.remoteAddress, config.remotePort);
  auto& w = workerOf(id);
  w.post([&w, id, config, remote] {
    auto* e = w.find(id);
    if (e == nullptr) return;
    auto shard = e->config.shard;
    // A phone that starts sending again (off hold) gets a fresh timeout.
    if (config.expectMedia && !e->config.expectMedia)
      e->lastReceived = std::chrono::steady_clock::now();
    e->config = config;
    e->config.shard = shard;
    if (config.detectInbandDtmf && !e->inbandDtmf) e->inbandDtmf = std::make_unique<DtmfDetector>();
    if (remote && !(*remote == e->remote)) {
      e->remote = *remote;
      e->latched = false;
    }
    if (e->peer != nullptr) {
      Worker::bridgeInto(*e, *e->peer);
      Worker::bridgeInto(*e->peer, *e);
    }
  });
}

void MediaEngine::setRemote(EndpointId id, const std::string& address, std::uint16_t port) {
  auto remote = makeAddress(address, port);
  if (!remote) return;
  auto& w = workerOf(id);
  w.post([&w, id, remote = *remote] {
    if (auto* e = w.find(id)) {
      e->remote = remote;
      e->latched = false;
    }
  });
}

bool MediaEngine::connect(EndpointId a, EndpointId b) {
  if ((a & 0xFF) != (b & 0xFF)) return false;
  auto& w = workerOf(a);
  w.post([&w, a, b] {
    auto* x = w.find(a);
    auto* y = w.find(b);
    if (x == nullptr || y == nullptr) return;
    for (auto* e : {x, y}) {
      if (e->peer != nullptr) e->peer->peer = nullptr;
    }
    x->peer = y;
    y->peer = x;
    for (auto [from, to] : {std::pair{x, y}, std::pair{y, x}})
      w.bridgeInto(*from, *to);
  });
  return true;
}

void MediaEngine::disconnect(EndpointId id) {
  auto& w = workerOf(id);
  w.post([&w, id] {
    if (auto* e = w.find(id); e != nullptr && e->peer != nullptr) {
      e->peer->peer = nullptr;
      e->peer = nullptr;
    }
  });
}

void MediaEngine::play(EndpointId id, ClipPtr clip, bool loop) {
  auto& w = workerOf(id);
  w.post([&w, id, clip = std::move(clip), loop]() mutable {
    if (auto* e = w.find(id)) {
      w.startPlaying(*e, ClipPlayer(std::move(clip),
                                    loop ? ClipPlayer::Mode::kLoop : ClipPlayer::Mode::kOnce));
    }
  });
}

void MediaEngine::playTone(EndpointId id, const ToneSpec& tone) {
  auto& w = workerOf(id);
  w.post([&w, id, tone] {
    if (auto* e = w.find(id)) w.startPlaying(*e, ToneGenerator(tone));
  });
}

bool MediaEngine::sendDigits(EndpointId id, const std::string& digits,
                             std::chrono::milliseconds duration) {
  for (char c : digits) {
    if (!dtmfEvent(c)) return false;
  }
  auto& w = workerOf(id);
  w.post([&w, id, digits, duration] {
    if (auto* e = w.find(id)) w.queueDigits(*e, digits, duration);
  });
  return true;
}

void MediaEngine::stopPlaying(EndpointId id) {
  auto& w = workerOf(id);
  w.post([&w, id] {
    if (auto* e = w.find(id)) w.startPlaying(*e, std::monostate{});
  });
}

bool MediaEngine::record(EndpointId customer, EndpointId agent,
                         std::shared_ptr<Recorder> recorder) {
  if ((agent != 0 && (customer & 0xFF) != (agent & 0xFF)) || !recorder) return false;
  std::promise<bool> answer;
  auto future = answer.get_future();
  auto& w = workerOf(customer);
  w.postNow([&] { answer.set_value(w.startRecording(customer, agent, recorder)); });
  return future.get();
}

void MediaEngine::stopRecording(EndpointId customer) {
  std::promise<void> done;
  auto future = done.get_future();
  auto& w = workerOf(customer);
  w.postNow([&] {
    w.stopRecording(customer);
    done.set_value();
  });
  future.wait();
}

void MediaEngine::stopRecording(EndpointId customer, std::function<void()> released) {
  auto& w = workerOf(customer);
  w.post([&w, customer, released = std::move(released)] {
    w.stopRecording(customer);
    released();
  });
}

MixerId MediaEngine::createMixer(std::uint64_t shard) {
  static std::atomic<MixerId> counter{1};
  auto worker = static_cast<MixerId>(shard % workers_.size());
  MixerId id = (counter.fetch_add(1) << 8) | worker;
  auto& w = workerOf(id);
  w.post([&w, id] { w.createMixer(id); });
  return id;
}

bool MediaEngine::join(MixerId mixer, EndpointId endpoint, ParticipantMode mode) {
  if ((mixer & 0xFF) != (endpoint & 0xFF)) return false;
  std::promise<bool> answer;
  auto future = answer.get_future();
  auto& w = workerOf(mixer);
  w.postNow([&] { answer.set_value(w.joinMixer(mixer, endpoint, mode)); });
  return future.get();
}

void MediaEngine::setMode(MixerId mixer, EndpointId endpoint, ParticipantMode mode) {
  auto& w = workerOf(mixer);
  w.post([&w, mixer, endpoint, mode] {
    if (auto* m = w.mixer(mixer)) m->conference.setMode(endpoint, mode);
  });
}

void MediaEngine::setWhisperTarget(MixerId mixer, EndpointId whisperer, EndpointId target) {
  auto& w = workerOf(mixer);
  w.post([&w, mixer, whisperer, target] {
    if (auto* m = w.mixer(mixer)) m->conference.setWhisperTarget(whisperer, target);
  });
}

void MediaEngine::leave(MixerId mixer, EndpointId endpoint) {
  auto& w = workerOf(mixer);
  w.post([&w, mixer, endpoint] {
    if (auto* e = w.find(endpoint); e != nullptr && e->mixer == mixer) w.leaveMixer(mixer, *e);
  });
}

void MediaEngine::destroyMixer(MixerId mixer) {
  auto& w = workerOf(mixer);
  w.post([&w, mixer] { w.destroyMixer(mixer); });
}

void MediaEngine::close(EndpointId id) {
  auto& w = workerOf(id);
  w.post([&w, id] { w.remove(id); });
}

void MediaEngine::close(EndpointId id, std::function<void(const EndpointStats&)> last) {
  auto& w = workerOf(id);
  w.post([&w, id, last = std::move(last)] {
    if (auto stats = w.snapshot(id)) last(*stats);
    w.remove(id);
  });
}

std::optional<EndpointStats> MediaEngine::stats(EndpointId id) {
  std::promise<std::optional<EndpointStats>> answer;
  auto future = answer.get_future();
  auto& w = workerOf(id);
  w.postNow([&w, id, &answer] { answer.set_value(w.snapshot(id)); });
  return future.get();
}

std::chrono::microseconds MediaEngine::workerCpuTime() const {
  std::chrono::microseconds total{0};
  for (const auto& w : workers_)
    total += w->cpuTime();
  return total;
}

}  // namespace sb::media
