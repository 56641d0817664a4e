#pragma once
// Call recordings: media workers hand 20 ms frames to a Recorder, one RecordingWriter thread per
// process writes them to WAV files.
//
// The file: RIFF/WAVE, 8 kHz, either stereo (customer left, agent right: speech analytics and QA
// can tell who spoke, and overlapping speech stays intelligible) or the two sides mixed to mono.
// Encoding 16-bit linear PCM by default (32 KB/s stereo, 115 MB an hour): lossless for whatever
// the legs carried and readable by every player and speech engine. µ-law is an option (half the
// size): exact for µ-law legs, whose samples come from µ-law codes anyway, but a second
// quantisation for A-law legs and for mixes.
//
// The media thread only copies: record() puts the frame into a single-producer/single-consumer
// ring of whole-frame slots (no lock, no allocation, no system call; when the ring is full the
// frame is dropped and counted, the media thread never waits). The writer thread drains every
// ring each flush interval (at most 1 s), appends the audio to the file and then rewrites the
// RIFF and data sizes in the header, so a process that is killed leaves a valid WAV holding
// everything up to its last flush (data reaches the kernel before the header that counts it).
// finish() drains what is left, writes the final sizes and (optionally) syncs the file to disk.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/error.hpp"
#include "media/dsp.hpp"

namespace sb::media {

enum class RecordingLayout {
  kStereo,     // left: customer, right: agent
  kMixedMono,  // customer + agent, saturated (mixed on the writer thread)
};

enum class RecordingEncoding {
  kPcm16,  // WAVE_FORMAT_PCM, 16 bits
  kMuLaw,  // WAVE_FORMAT_MULAW (G.711), 8 bits, with the fact chunk non-PCM WAV files carry
};

struct RecordingSpec {
  std::filesystem::path path;  // parent folders are created; an existing file is not replaced
  RecordingLayout layout = RecordingLayout::kStereo;
  RecordingEncoding encoding = RecordingEncoding::kPcm16;
  // Ring size in 20 ms frames (rounded up to a power of two); 0: the writer's default.
  std::size_t ringFrames = 0;
};

struct RecordingInfo {
  std::filesystem::path path;
  std::chrono::milliseconds duration{0};  // of the audio in the file
  std::uint64_t frames = 0;               // 20 ms frames in the file
  std::uint64_t droppedFrames = 0;        // lost to a full ring (writer too slow)
  std::uint64_t discardedFrames = 0;      // reached the writer but not the file (size limit)
  std::uint64_t fileBytes = 0;
};

// Reported on the writer thread after a flush wrote a recording's audio and then its header (to
// the kernel: from then on it survives the process being killed; a power cut needs finish()).
struct RecordingFlush {
  const std::filesystem::path& path;
  std::uint64_t frames;         // in the file so far
  std::uint64_t droppedFrames;  // so far
  bool final;                   // the last flush: the file is complete and about to be closed
};

namespace detail {
struct WriterCore;
struct RecordingFile;
}  // namespace detail

// One recording. Created by RecordingWriter::start; shared by the control plane (finish), the
// media worker (record) and the writer (until the file is closed). Dropping every handle but the
// writer's without finish() closes the file at the next flush. The last handle frees the ring:
// let the control plane hold one until the media worker has let go of its own, so that the
// memory is never freed on a media thread.
class Recorder {
 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  // Media worker only, one thread at a time (the single producer). Copies the frame and returns;
  // frames recorded after finish() started are ignored.
  void record(std::span<const std::int16_t, kFrameSamples> customer,
              std::span<const std::int16_t, kFrameSamples> agent) noexcept;
  // One stream (voicemail, a conference mix): customer side only, the agent side silent.
  void record(std::span<const std::int16_t, kFrameSamples> mono) noexcept;

  // Frames record() accepted / dropped because the ring was full; any thread.
  std::uint64_t recordedFrames() const noexcept { return head_.load(std::memory_order_relaxed); }
  std::uint64_t droppedFrames() const noexcept { return dropped_.load(std::memory_order_relaxed); }

  // Waits until the writer has written everything recorded before the call and closed the file,
  // then syncs it (Options::syncOnFinish) on the calling thread; a later call returns the same
  // result at once. Blocking (the writer may be syncing the disk):
  // call on a worker pool, never on the control loop or a media worker. Error (kUnavailable)
  // when writing failed; the file then holds what was written before the failure.
  Result<RecordingInfo> finish();

  const RecordingSpec& spec() const { return spec_; }

  Recorder(Key, RecordingSpec spec, std::size_t ringFrames,
           std::shared_ptr<detail::WriterCore> core, std::unique_ptr<detail::RecordingFile> file);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

 private:
  friend class RecordingWriter;
  friend struct detail::WriterCore;

  struct Frame {
    std::array<std::int16_t, kFrameSamples> customer;
    std::array<std::int16_t, kFrameSamples> agent;
  };
  static constexpr std::size_t kCacheLine = 64;

  // Producer (media worker): one cache line, the consumer's index on the next.
  alignas(kCacheLine) std::atomic<std::uint64_t> head_{0};
  std::uint64_t cachedTail_ = 0;
  std::atomic<std::uint64_t> dropped_{0};
  // Set by the writer before the final drain (once); the producer then stops filling the ring.
  std::atomic<bool> closing_{false};
  // Consumer (writer thread).
  alignas(kCacheLine) std::atomic<std::uint64_t> tail_{0};

  alignas(kCacheLine) RecordingSpec spec_;
  std::uint64_t mask_;
  std::unique_ptr<Frame[]> slots_;
  std::shared_ptr<detail::WriterCore> core_;
  std::unique_ptr<detail::RecordingFile> file_;  // writer thread only once started

  // Guarded by the writer core's mutex.
  bool finishRequested_ = false;
  bool closed_ = false;
  std::optional<Result<RecordingInfo>> result_;
};

// The one thread that writes recordings. Start it once per process; every media worker's
// recorders share it. Destroying it finishes every open recording (drains, final sizes) first.
class RecordingWriter {
 public:
  struct Options {
    // How often rings are drained into their files and headers rewritten; capped at 1 s.
    std::chrono::milliseconds flushInterval{500};
    // Ring size when a spec asks for none: 128 frames, 2.56 s (80 KiB per recording), room for
    // a flush interval and a disk that stalls for two more seconds.
    std::size_t defaultRingFrames = 128;
    // finish() syncs the file (fdatasync, on the caller's thread, not the writer's): a finished
    // recording survives a power cut, not only a crash of the process.
    bool syncOnFinish = true;
    // Called on the writer thread after each flush that wrote something (and after the final
    // one); for tests and monitoring. Must not call back into the writer or its recorders.
    std::function<void(const RecordingFlush&)> onFlush;
  };

  struct Stats {
    std::size_t openRecordings = 0;
    std::uint64_t framesWritten = 0;
    std::uint64_t droppedFrames = 0;  // of recordings already closed
    std::uint64_t writeErrors = 0;
    std::uint64_t flushes = 0;
  };

  RecordingWriter() : RecordingWriter(Options{}) {}
  explicit RecordingWriter(Options options);
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // Creates the file (and its folders) with an empty-but-valid WAV header and registers the
  // recorder with the writer thread. Blocking (file creation): call on a worker pool. Errors:
  // kInvalidArgument (empty path), kConflict (the file exists), kUnavailable (cannot create).
  Result<std::shared_ptr<Recorder>> start(RecordingSpec spec);

  Stats stats() const;

 private:
  std::shared_ptr<detail::WriterCore> core_;
};

}  // namespace sb::media
