#pragma once
// The media plane: RTP endpoints on worker threads (docs/architecture.md). Call control opens an
// endpoint per call leg from the negotiated SDP, connects two endpoints into a bridge and closes
// them when the call ends; the workers move the packets.
//
// Each worker thread owns a shard of endpoints and everything about them: sockets, the latched
// remote address, the outgoing stream's SSRC, sequence numbers and timestamps, statistics. The
// endpoints of one call share a worker (the `shard` key), so a relayed packet never crosses
// threads. The control side talks to a worker through a command queue woken by an eventfd; the
// per-packet path takes no lock and allocates nothing: packets are read in batches with
// recvmmsg into preallocated buffers, rewritten in place and sent in batches with sendmmsg.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "media/audio_file.hpp"
#include "media/conference.hpp"
#include "media/dsp.hpp"
#include "media/recorder.hpp"

namespace sb::media {

using EndpointId = std::uint64_t;
using MixerId = std::uint64_t;

enum class Codec : std::uint8_t { kPcmu, kPcma };

struct EndpointConfig {
  Codec codec = Codec::kPcmu;
  std::uint8_t payloadType = 0;                  // as negotiated in the SDP
  std::optional<std::uint8_t> eventPayloadType;  // RFC 4733 telephone-event, when negotiated
  // RFC 3389 comfort noise (CN, usually 13), when negotiated: relayed to a phone that also
  // negotiated it, otherwise dropped (the far end's jitter buffer plays silence instead); a
  // recorded or mixed leg hears silence during it.
  std::optional<std::uint8_t> comfortNoisePayloadType;
  // Where to send, from the SDP's c= and m= lines. Empty: learn it from the first packet.
  std::string remoteAddress;
  std::uint16_t remotePort = 0;
  // Endpoints with the same shard key (a call's id) live on the same worker.
  std::uint64_t shard = 0;
  // Detect DTMF in the audio itself (Goertzel), for trunks that send no telephone-events.
  bool detectInbandDtmf = false;
  // Whether the phone should be sending (its SDP direction is sendrecv or sendonly): only then
  // does its silence count as a dead phone.
  bool expectMedia = true;
};

struct EndpointStats {
  // RTP from the phone.
  std::uint64_t packetsReceived = 0;
  std::uint64_t packetsSent = 0;
  std::uint64_t packetsDropped = 0;  // not RTP, unknown payload type, nowhere to send
  std::uint64_t bytesReceived = 0;
  std::string remoteAddress;  // where packets go now (after latching)
  std::uint16_t remotePort = 0;
  bool latched = false;  // the remote address was learnt from the phone's own packets
  std::uint32_t outSsrc = 0;
  // RFC 3550 statistics of the phone's stream, and the round trip from its RTCP reports.
  std::int64_t packetsLost = 0;
  double jitterMs = 0;
  std::optional<double> roundTripMs;
  // The E-model estimate for this leg (G.107), updated with each RTCP report we send.
  double rFactor = 0;
  double mos = 0;
  std::uint64_t rtcpSent = 0;
  std::uint64_t rtcpReceived = 0;
};

// A key the phone pressed, from its RFC 4733 telephone-events.
struct DigitEvent {
  EndpointId endpoint = 0;
  char digit = 0;
  std::chrono::milliseconds duration{0};
};

struct EndpointInfo {
  EndpointId id = 0;
  std::uint16_t port = 0;  // our RTP port for the SDP we send
};

class MediaEngine {
 public:
  struct Options {
    std::string address = "127.0.0.1";  // where RTP sockets bind
    std::uint16_t firstPort = 20000;    // an even port range; RTCP would take port + 1
    std::uint16_t lastPort = 29999;
    unsigned workers = 1;
    std::vector<int> cpus;  // pin worker i to cpus[i % size]; empty: no pinning
    // RTCP reports go out every interval (randomised ±50 %, RFC 3550 §6.2).
    std::chrono::milliseconds rtcpInterval{5000};
    // Called on a worker thread for each digit (once per key press): hand it over to the
    // control loop, do not block.
    std::function<void(const DigitEvent&)> onDigit;
    // Called on a worker thread when a one-shot clip has been played to its end.
    std::function<void(EndpointId)> onPlayed;
    // An endpoint that has received RTP and should keep receiving it got nothing for this long
    // (0: never checked): onSilent is called once, on a worker thread, until packets come again.
    std::chrono::milliseconds rtpTimeout{0};
    std::function<void(EndpointId)> onSilent;
  };

  explicit MediaEngine(Options options);
  ~MediaEngine();
  MediaEngine(const MediaEngine&) = delete;
  MediaEngine& operator=(const MediaEngine&) = delete;

  // Binds an RTP port (and RTCP on the next one) from the range and hands the endpoint to its
  // worker. Errors: no free port (kUnavailable), a bad remote address (kInvalidArgument).
  Result<EndpointInfo> open(const EndpointConfig& config);
  // The SDP answer (or a re-INVITE) settled the codec, payload types or address: the endpoint
  // follows, its bridge too. The shard cannot change.
  void configure(EndpointId id, const EndpointConfig& config);
  // A re-INVITE moved the phone: send there (and latch again from there).
  void setRemote(EndpointId id, const std::string& address, std::uint16_t port);
  // Relays between two endpoints of the same shard, both ways: same codec by header rewriting,
  // µ-law/A-law by transcoding the payload. Each endpoint keeps its own continuous outgoing
  // stream across re-connections. Returns false when they are not on the same worker.
  bool connect(EndpointId a, EndpointId b);
  void disconnect(EndpointId id);

  // Plays a prompt or music to the phone instead of what its bridge sends (music on hold, IVR
  // prompts): 20 ms packets paced by the worker's tick, in the endpoint's codec and in its one
  // continuous outgoing stream. A one-shot clip ends with onPlayed; then the bridge is heard
  // again. play() replaces what was playing.
  void play(EndpointId id, ClipPtr clip, bool loop);
  // A call-progress tone (ringback, busy...) or any ToneSpec, until stopped.
  void playTone(EndpointId id, const ToneSpec& tone);
  void stopPlaying(EndpointId id);
  // Sends DTMF digits to the phone as RFC 4733 telephone-events (start, continuation, three
  // end packets; `duration` each, 40 ms apart), when the leg negotiated them; its bridge is
  // not heard meanwhile. Returns false for characters that are not DTMF keys.
  bool sendDigits(EndpointId id, const std::string& digits,
                  std::chrono::milliseconds duration = std::chrono::milliseconds(100));

  // Records what two legs of the same shard receive from their phones into one recording (the
  // customer's leg left, the agent's right, or mixed, as the recorder was started), through a
  // jitter buffer per leg, until stopRecording. Keep your own handle on the recorder and call
  // its finish() after stopRecording returned: the worker then no longer touches it. `agent`
  // 0: the customer alone (voicemail), the agent's side silent.
  bool record(EndpointId customer, EndpointId agent, std::shared_ptr<Recorder> recorder);
  // Blocks until the worker has let go of the recorder.
  void stopRecording(EndpointId customer);
  // Returns at once; `released` runs on the media worker once it has let go of the recorder
  // (hand it over to the control loop, do not block).
  void stopRecording(EndpointId customer, std::function<void()> released);

  // A conference on the worker of `shard`: its members hear the mix of the others (per their
  // mode) instead of a bridge. Members must belong to the same shard.
  MixerId createMixer(std::uint64_t shard);
  bool join(MixerId mixer, EndpointId endpoint, ParticipantMode mode);
  void setMode(MixerId mixer, EndpointId endpoint, ParticipantMode mode);
  // A whisperer (kWhisper) is heard by `target` only.
  void setWhisperTarget(MixerId mixer, EndpointId whisperer, EndpointId target);
  void leave(MixerId mixer, EndpointId endpoint);
  void destroyMixer(MixerId mixer);
  void close(EndpointId id);
  // Closes without waiting; `last` gets the endpoint's final statistics on its worker first
  // (hand them over to the control loop, do not block).
  void close(EndpointId id, std::function<void(const EndpointStats&)> last);

  // A snapshot from the endpoint's worker; nullopt for an unknown endpoint. Blocks until the
  // worker answers: for tests, the API and call records, never the per-packet path.
  std::optional<EndpointStats> stats(EndpointId id);
  // CPU time the workers have used (thread CPU clocks), for benchmarks and metrics.
  std::chrono::microseconds workerCpuTime() const;

 private:
  class Worker;
  class PortPool;
  Worker& workerOf(EndpointId id);

  Options options_;
  std::unique_ptr<PortPool> ports_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace sb::media
