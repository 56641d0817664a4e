// RTP load for the media engine: N two-leg G.711 calls relayed by one media worker, driven by a
// generator of our own (SIPp cannot send RTP for more than a few hundred calls). Each call is two
// "phones" (UDP sockets) that send a 172-byte packet every 20 ms to their leg of the bridge, at
// phases spread over the 20 ms, and read what the other phone sent. Every packet carries its send
// time, so the generator measures loss and the delay the relay adds.
//
// media_load --calls N --seconds S [--worker-cpu C] [--generator-cpu C] [--record DIR] prints one
// JSON object (with --record, every call is also recorded as a stereo WAV under DIR):
// packets sent and received, loss, delay percentiles, worker CPU per relayed call-second, and the
// resident memory each call added.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/engine.hpp"
#include "media/recorder.hpp"
#include "media/rtp.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using sb::media::MediaEngine;

constexpr std::size_t kPayload = 160;
constexpr std::size_t kPacket = sb::media::kRtpFixedHeaderSize + kPayload;
constexpr auto kPacketTime = std::chrono::milliseconds(20);

struct Options {
  std::size_t calls = 100;
  double seconds = 5;
  int workerCpu = 1;
  int generatorCpu = 0;
  std::string recordDir;  // empty: no recording
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    std::string value = argv[i + 1];
    if (key == "--calls") o.calls = std::stoul(value);
    if (key == "--seconds") o.seconds = std::stod(value);
    if (key == "--worker-cpu") o.workerCpu = std::stoi(value);
    if (key == "--generator-cpu") o.generatorCpu = std::stoi(value);
    if (key == "--record") o.recordDir = value;
  }
  return o;
}

long residentKb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

struct PhoneSocket {
  int fd = -1;
  std::uint16_t port = 0;
  sockaddr_in engine{};  // its leg's RTP port
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
};

PhoneSocket makePhone(std::uint32_t ssrc) {
  PhoneSocket p;
  p.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(p.fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  int size = 1 << 20;
  ::setsockopt(p.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  socklen_t len = sizeof a;
  ::getsockname(p.fd, reinterpret_cast<sockaddr*>(&a), &len);
  p.port = ntohs(a.sin_port);
  p.ssrc = ssrc;
  return p;
}

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse(argc, argv);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(options.generatorCpu, &set);
  sched_setaffinity(0, sizeof set, &set);

  long rssBefore = residentKb();
  MediaEngine::Options engineOptions;
  engineOptions.firstPort = 30000;
  engineOptions.lastPort = 65000;
  engineOptions.workers = 1;
  engineOptions.cpus = {options.workerCpu};
  MediaEngine engine(engineOptions);

  sb::media::RecordingWriter writer;
  std::vector<std::shared_ptr<sb::media::Recorder>> recorders;
  std::vector<sb::media::EndpointId> recordedLegs;
  std::vector<PhoneSocket> phones;
  phones.reserve(2 * options.calls);
  int epoll = ::epoll_create1(0);
  for (std::size_t call = 0; call < options.calls; ++call) {
    std::array<sb::media::EndpointInfo, 2> legs{};
    for (int side = 0; side < 2; ++side) {
      auto& phone = phones.emplace_back(makePhone(static_cast<std::uint32_t>(call * 2 + side + 1)));
      sb::media::EndpointConfig config;
      config.remoteAddress = "127.0.0.1";
      config.remotePort = phone.port;
      config.shard = call;
      auto opened = engine.open(config);
      if (!opened) {
        std::fprintf(stderr, "open failed: %s\n", opened.error().message.c_str());
        return 1;
      }
      legs[static_cast<std::size_t>(side)] = *opened;
      phone.engine.sin_family = AF_INET;
      phone.engine.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      phone.engine.sin_port = htons(opened->port);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = phones.size() - 1;
      ::epoll_ctl(epoll, EPOLL_CTL_ADD, phone.fd, &ev);
    }
    engine.connect(legs[0].id, legs[1].id);
    if (!options.recordDir.empty()) {
      auto recorder = writer.start(
          {std::filesystem::path(options.recordDir) / ("call-" + std::to_string(call) + ".wav")});
      if (!recorder || !engine.record(legs[0].id, legs[1].id, *recorder)) {
        std::fprintf(stderr, "recording failed\n");
        return 1;
      }
      recorders.push_back(*recorder);
      recordedLegs.push_back(legs[0].id);
    }
  }
  // The worker has set everything up once it answers a question.
  (void)engine.stats(0);
  long rssAfter = residentKb();

  std::vector<std::int64_t> delays;
  delays.reserve(static_cast<std::size_t>(100 * options.calls * options.seconds) + 1024);
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::array<std::uint8_t, 2048> buffer{};
  std::array<std::uint8_t, kPacket> packet{};

  auto receiveReady = [&](int timeoutMs) {
    std::array<epoll_event, 256> events{};
    int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), timeoutMs);
    for (int i = 0; i < n; ++i) {
      auto& phone = phones[events[static_cast<std::size_t>(i)].data.u64];
      for (;;) {
        auto got = ::recv(phone.fd, buffer.data(), buffer.size(), 0);
        if (got < static_cast<ssize_t>(kPacket)) break;
        std::int64_t sentAt = 0;
        std::memcpy(&sentAt, buffer.data() + sb::media::kRtpFixedHeaderSize, sizeof sentAt);
        delays.push_back(nowNs() - sentAt);
        ++received;
      }
    }
  };

  auto cpuBefore = engine.workerCpuTime();
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(options.seconds));
  // Phone k sends at start + k * 20 ms / phones + n * 20 ms: evenly spread phases.
  const auto spacing = std::chrono::duration_cast<Clock::duration>(kPacketTime) / phones.size();
  std::size_t next = 0;
  auto due = start;
  while (due < end) {
    auto now = Clock::now();
    if (now < due) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - now).count();
      receiveReady(static_cast<int>(wait));
      if (wait == 0) receiveReady(0);
      continue;
    }
    auto& phone = phones[next];
    sb::media::writeRtpHeader(packet, {false, 0, phone.sequence++, phone.timestamp, phone.ssrc});
    phone.timestamp += kPayload;
    std::int64_t stamp = nowNs();
    std::memcpy(packet.data() + sb::media::kRtpFixedHeaderSize, &stamp, sizeof stamp);
    ::sendto(phone.fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&phone.engine),
             sizeof phone.engine);
    ++sent;
    next = (next + 1) % phones.size();
    due += spacing;
    if (next % 64 == 0) receiveReady(0);
  }
  auto drainUntil = Clock::now() + std::chrono::milliseconds(300);
  while (Clock::now() < drainUntil)
    receiveReady(10);
  auto elapsed = std::chrono::duration<double>(Clock::now() - start).count() - 0.3;
  auto cpu = engine.workerCpuTime() - cpuBefore;
  std::uint64_t droppedFrames = 0;
  for (std::size_t i = 0; i < recorders.size(); ++i) {
    engine.stopRecording(recordedLegs[i]);
    if (auto info = recorders[i]->finish()) droppedFrames += info->droppedFrames;
  }

  std::sort(delays.begin(), delays.end());
  auto percentileUs = [&](double p) {
    if (delays.empty()) return 0.0;
    auto index = static_cast<std::size_t>(p * static_cast<double>(delays.size() - 1));
    return static_cast<double>(delays[index]) / 1000.0;
  };
  double callSeconds = static_cast<double>(options.calls) * elapsed;
  double loss = sent == 0 ? 0
                          : 100.0 * static_cast<double>(sent - std::min(sent, received)) /
                                static_cast<double>(sent);
  std::printf(
      "{\"calls\": %zu, \"seconds\": %.2f, \"packets_sent\": %llu, \"packets_received\": %llu, "
      "\"loss_percent\": %.4f, \"delay_us\": {\"min\": %.1f, \"p50\": %.1f, \"p99\": %.1f, "
      "\"max\": %.1f}, \"added_jitter_p99_us\": %.1f, \"worker_cpu_us_per_call_second\": %.1f, "
      "\"worker_cpu_percent\": %.1f, \"rss_kb_per_call\": %.2f, \"recorded\": %s, "
      "\"recording_frames_dropped\": %llu}\n",
      options.calls, elapsed, static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(received), loss, percentileUs(0), percentileUs(0.5),
      percentileUs(0.99), percentileUs(1.0), percentileUs(0.99) - percentileUs(0),
      static_cast<double>(cpu.count()) / callSeconds,
      100.0 * static_cast<double>(cpu.count()) / (elapsed * 1e6),
      static_cast<double>(rssAfter - rssBefore) / static_cast<double>(options.calls),
      recorders.empty() ? "false" : "true", static_cast<unsigned long long>(droppedFrames));
  for (auto& p : phones)
    ::close(p.fd);
  ::close(epoll);
  return 0;
}
