#include "media/recorder.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "media/g711.hpp"

namespace sb::media {
namespace detail {

// The open WAV file of one recording; touched by the writer thread only (and by start() before
// the recorder is registered).
struct RecordingFile {
  int fd = -1;
  std::uint16_t channels = 2;
  bool muLaw = false;
  std::uint64_t dataBytes = 0;
  std::uint64_t frames = 0;
  std::uint64_t discardedFrames = 0;
  std::optional<std::string> error;

  RecordingFile() = default;
  ~RecordingFile() { closeFd(); }
  RecordingFile(const RecordingFile&) = delete;
  RecordingFile& operator=(const RecordingFile&) = delete;

  void closeFd() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  std::size_t headerBytes() const { return muLaw ? 58 : 44; }
  std::size_t bytesPerFrame() const { return kFrameSamples * channels * (muLaw ? 1U : 2U); }
  // RIFF sizes are 32 bits: stop before the RIFF chunk size would overflow (37 hours of
  // stereo PCM).
  std::uint64_t maxDataBytes() const { return 0xFFFFFFFFULL - headerBytes(); }
};

struct WriterCore {
  explicit WriterCore(RecordingWriter::Options opts) : options(std::move(opts)) {}

  void run();
  void flush(Recorder& recorder, bool final);
  Result<RecordingInfo> close(Recorder& recorder);

  RecordingWriter::Options options;

  mutable std::mutex mutex;
  std::condition_variable wake;      // the writer thread: a finish request or stop
  std::condition_variable finished;  // finish() callers: a recorder was closed
  std::vector<std::shared_ptr<Recorder>> active;
  bool stopping = false;
  bool finishPending = false;

  std::atomic<std::uint64_t> framesWritten{0};
  std::atomic<std::uint64_t> droppedClosed{0};
  std::atomic<std::uint64_t> writeErrors{0};
  std::atomic<std::uint64_t> flushes{0};

  std::thread thread;
  std::vector<std::uint8_t> scratch;  // writer thread: converted audio on its way to the file
};

}  // namespace detail

namespace {

// Frames converted and written per write call: one second.
constexpr std::size_t kChunkFrames = 50;
constexpr std::chrono::milliseconds kFrameDuration{20};

void put16(std::uint8_t* at, std::uint16_t value) {
  at[0] = static_cast<std::uint8_t>(value);
  at[1] = static_cast<std::uint8_t>(value >> 8);
}
void put32(std::uint8_t* at, std::uint32_t value) {
  put16(at, static_cast<std::uint16_t>(value));
  put16(at + 2, static_cast<std::uint16_t>(value >> 16));
}
void putTag(std::uint8_t* at, const char (&tag)[5]) {
  std::memcpy(at, tag, 4);
}

// RIFF/WAVE header for the file's current size. PCM: the canonical 44 bytes. µ-law: an 18-byte
// fmt chunk (cbSize 0) and the fact chunk that non-PCM WAV files must carry.
std::size_t buildHeader(const detail::RecordingFile& file, std::array<std::uint8_t, 64>& out) {
  std::uint8_t* h = out.data();
  const std::size_t size = file.headerBytes();
  const auto dataBytes = static_cast<std::uint32_t>(file.dataBytes);
  const std::uint16_t bytesPerSample = file.muLaw ? 1 : 2;
  const std::uint16_t blockAlign = static_cast<std::uint16_t>(file.channels * bytesPerSample);

  putTag(h, "RIFF");
  put32(h + 4, static_cast<std::uint32_t>(size - 8) + dataBytes);
  putTag(h + 8, "WAVE");
  putTag(h + 12, "fmt ");
  put32(h + 16, file.muLaw ? 18 : 16);
  put16(h + 20, file.muLaw ? 7 : 1);  // WAVE_FORMAT_MULAW, WAVE_FORMAT_PCM
  put16(h + 22, file.channels);
  put32(h + 24, kSampleRateHz);
  put32(h + 28, static_cast<std::uint32_t>(kSampleRateHz) * blockAlign);
  put16(h + 32, blockAlign);
  put16(h + 34, static_cast<std::uint16_t>(bytesPerSample * 8));
  std::uint8_t* data = h + 36;
  if (file.muLaw) {
    put16(h + 36, 0);  // cbSize
    putTag(h + 38, "fact");
    put32(h + 42, 4);
    put32(h + 46, static_cast<std::uint32_t>(file.frames * kFrameSamples));
    data = h + 50;
  }
  putTag(data, "data");
  put32(data + 4, dataBytes);
  return size;
}

// pwrite until done; false with errno set on failure.
bool writeAt(int fd, const std::uint8_t* data, std::size_t size, std::uint64_t offset) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) {
      errno = EIO;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

std::optional<std::string> writeHeader(const detail::RecordingFile& file) {
  std::array<std::uint8_t, 64> header{};
  const std::size_t size = buildHeader(file, header);
  if (writeAt(file.fd, header.data(), size, 0)) return std::nullopt;
  return std::generic_category().message(errno);
}

std::uint8_t* putSample(std::uint8_t* out, std::int16_t sample, bool muLaw) {
  if (muLaw) {
    *out = linearToMuLaw(sample);
    return out + 1;
  }
  put16(out, static_cast<std::uint16_t>(sample));
  return out + 2;
}

}  // namespace

// ---- Recorder -----------------------------------------------------------------------------------

Recorder::Recorder(Key, RecordingSpec spec, std::size_t ringFrames,
                   std::shared_ptr<detail::WriterCore> core,
                   std::unique_ptr<detail::RecordingFile> file)
    : spec_(std::move(spec)),
      mask_(ringFrames - 1),
      // Value-initialised: the pages are touched here, not by the media thread's first frames.
      slots_(std::make_unique<Frame[]>(ringFrames)),
      core_(std::move(core)),
      file_(std::move(file)) {}

Recorder::~Recorder() = default;

void Recorder::record(std::span<const std::int16_t, kFrameSamples> customer,
                      std::span<const std::int16_t, kFrameSamples> agent) noexcept {
  if (closing_.load(std::memory_order_relaxed)) return;
  const std::uint64_t head = head_.load(std::memory_order_relaxed);
  if (head - cachedTail_ > mask_) {
    cachedTail_ = tail_.load(std::memory_order_acquire);
    if (head - cachedTail_ > mask_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  Frame& slot = slots_[head & mask_];
  std::memcpy(slot.customer.data(), customer.data(), sizeof slot.customer);
  std::memcpy(slot.agent.data(), agent.data(), sizeof slot.agent);
  head_.store(head + 1, std::memory_order_release);
}

void Recorder::record(std::span<const std::int16_t, kFrameSamples> mono) noexcept {
  static constexpr std::array<std::int16_t, kFrameSamples> kSilence{};
  record(mono, kSilence);
}

Result<RecordingInfo> Recorder::finish() {
  detail::WriterCore& core = *core_;
  std::unique_lock lock{core.mutex};
  if (!closed_) {
    finishRequested_ = true;
    core.finishPending = true;
    core.wake.notify_one();
    core.finished.wait(lock, [this] { return closed_; });
  }
  // Closed: the writer no longer touches the file, and it left the descriptor open for the sync.
  const int fd = std::exchange(file_->fd, -1);
  Result<RecordingInfo> result = *result_;
  lock.unlock();
  if (fd >= 0) {
    if (::fdatasync(fd) != 0) {
      spdlog::warn("recording {}: fdatasync failed: {}", spec_.path.string(),
                   std::generic_category().message(errno));
    }
    ::close(fd);
  }
  return result;
}

// ---- the writer thread --------------------------------------------------------------------------

namespace detail {

void WriterCore::run() {
  pthread_setname_np(pthread_self(), "sb-recorder");
  const auto interval = std::clamp(options.flushInterval, std::chrono::milliseconds{1},
                                   std::chrono::milliseconds{1000});
  std::vector<std::shared_ptr<Recorder>> work;
  std::vector<bool> closing;
  std::vector<std::optional<Result<RecordingInfo>>> results;

  std::unique_lock lock{mutex};
  auto nextFlush = std::chrono::steady_clock::now() + interval;
  for (;;) {
    wake.wait_until(lock, nextFlush, [this] { return stopping || finishPending; });
    const bool stop = stopping;
    finishPending = false;
    const auto now = std::chrono::steady_clock::now();
    const bool periodic = stop || now >= nextFlush;
    if (now >= nextFlush) {
      nextFlush += interval;
      if (nextFlush <= now) nextFlush = now + interval;  // fell behind (slow disk): no burst
    }

    work.clear();
    closing.clear();
    for (const std::shared_ptr<Recorder>& recorder : active) {
      // use_count 1: only this list holds it, nobody can finish() or record() any more.
      const bool close = stop || recorder->finishRequested_ || recorder.use_count() == 1;
      if (!close && !periodic) continue;
      if (close) recorder->closing_.store(true, std::memory_order_relaxed);
      work.push_back(recorder);
      closing.push_back(close);
    }
    lock.unlock();

    results.assign(work.size(), std::nullopt);
    for (std::size_t i = 0; i < work.size(); ++i) {
      flush(*work[i], closing[i]);
      if (closing[i]) results[i].emplace(close(*work[i]));
    }

    lock.lock();
    bool closedAny = false;
    for (std::size_t i = 0; i < work.size(); ++i) {
      if (!closing[i]) continue;
      Recorder& recorder = *work[i];
      recorder.result_ = std::move(*results[i]);
      recorder.closed_ = true;
      std::erase(active, work[i]);
      closedAny = true;
    }
    if (closedAny) finished.notify_all();
    work.clear();  // may destroy abandoned recorders: their destructors take no lock
    if (stop) break;
  }
}

void WriterCore::flush(Recorder& recorder, bool final) {
  RecordingFile& file = *recorder.file_;
  const bool mixed = recorder.spec_.layout == RecordingLayout::kMixedMono;
  const std::uint64_t head = recorder.head_.load(std::memory_order_acquire);
  std::uint64_t tail = recorder.tail_.load(std::memory_order_relaxed);
  std::uint64_t written = 0;
  while (tail != head) {
    const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(head - tail, kChunkFrames));
    const std::size_t bytes = count * file.bytesPerFrame();
    std::uint8_t* out = scratch.data();
    for (std::size_t f = 0; f < count; ++f) {
      const Recorder::Frame& frame = recorder.slots_[(tail + f) & recorder.mask_];
      for (std::size_t i = 0; i < kFrameSamples; ++i) {
        if (mixed) {
          out = putSample(out, saturateToInt16(frame.customer[i] + frame.agent[i]), file.muLaw);
        } else {
          out = putSample(out, frame.customer[i], file.muLaw);
          out = putSample(out, frame.agent[i], file.muLaw);
        }
      }
    }
    tail += count;
    recorder.tail_.store(tail, std::memory_order_release);  // the slots are free again

    if (file.error || file.dataBytes + bytes > file.maxDataBytes()) {
      file.discardedFrames += count;
      continue;
    }
    if (!writeAt(file.fd, scratch.data(), bytes, file.headerBytes() + file.dataBytes)) {
      file.error = std::generic_category().message(errno);
      file.discardedFrames += count;
      writeErrors.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("recording {}: write failed: {}", recorder.spec_.path.string(), *file.error);
      continue;
    }
    file.dataBytes += bytes;
    file.frames += count;
    written += count;
  }
  if (written == 0 && !final) return;

  // The header goes after the audio it counts: killed in between, the file is still valid (the
  // extra audio past the counted size is ignored by readers).
  if (!file.error && written > 0) {
    if (auto error = writeHeader(file)) {
      file.error = std::move(error);
      writeErrors.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("recording {}: header update failed: {}", recorder.spec_.path.string(),
                    *file.error);
    }
  }
  framesWritten.fetch_add(written, std::memory_order_relaxed);
  flushes.fetch_add(1, std::memory_order_relaxed);
  if (options.onFlush) {
    options.onFlush(
        RecordingFlush{recorder.spec_.path, file.frames, recorder.droppedFrames(), final});
  }
}

Result<RecordingInfo> WriterCore::close(Recorder& recorder) {
  RecordingFile& file = *recorder.file_;
  // finish() syncs and closes the file on its own thread: a sync takes milliseconds, and the
  // writer thread must keep draining every other ring meanwhile. Recordings closed without a
  // finish() caller (abandoned, writer stopping) are closed unsynced.
  if (!(recorder.finishRequested_ && options.syncOnFinish && !file.error)) file.closeFd();
  const std::uint64_t dropped = recorder.droppedFrames();
  droppedClosed.fetch_add(dropped, std::memory_order_relaxed);
  const auto duration =
      std::chrono::milliseconds{kFrameDuration * static_cast<std::int64_t>(file.frames)};
  if (dropped > 0) {
    spdlog::warn("recording {}: {} frames ({} ms) dropped, the writer fell behind",
                 recorder.spec_.path.string(), dropped, dropped * 20);
  }
  if (file.error) {
    return Error::unavailable("recording " + recorder.spec_.path.string() + ": write failed (" +
                              *file.error + "); the file holds the first " +
                              std::to_string(duration.count()) + " ms");
  }
  RecordingInfo info;
  info.path = recorder.spec_.path;
  info.duration = duration;
  info.frames = file.frames;
  info.droppedFrames = dropped;
  info.discardedFrames = file.discardedFrames;
  info.fileBytes = file.headerBytes() + file.dataBytes;
  return info;
}

}  // namespace detail

// ---- RecordingWriter ----------------------------------------------------------------------------

RecordingWriter::RecordingWriter(Options options)
    : core_(std::make_shared<detail::WriterCore>(std::move(options))) {
  core_->scratch.resize(kChunkFrames * kFrameSamples * 2 * sizeof(std::int16_t));
  core_->thread = std::thread([core = core_.get()] { core->run(); });
}

RecordingWriter::~RecordingWriter() {
  {
    const std::lock_guard lock{core_->mutex};
    core_->stopping = true;
  }
  core_->wake.notify_one();
  core_->thread.join();
}

Result<std::shared_ptr<Recorder>> RecordingWriter::start(RecordingSpec spec) {
  if (spec.path.empty()) return Error::invalid("path", "recording: empty path");
  {
    const std::lock_guard lock{core_->mutex};
    if (core_->stopping) return Error::unavailable("recording: the writer is stopping");
  }
  const std::string where = "recording " + spec.path.string();
  std::error_code ec;
  if (spec.path.has_parent_path()) {
    std::filesystem::create_directories(spec.path.parent_path(), ec);
    if (ec) return Error::unavailable(where + ": cannot create its folder: " + ec.message());
  }
  auto file = std::make_unique<detail::RecordingFile>();
  file->channels = spec.layout == RecordingLayout::kStereo ? 2 : 1;
  file->muLaw = spec.encoding == RecordingEncoding::kMuLaw;
  // O_EXCL: a recording is evidence; never overwrite one.
  file->fd = ::open(spec.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (file->fd < 0) {
    const int err = errno;
    if (err == EEXIST) return Error::conflict(where + ": the file already exists");
    return Error::unavailable(where + ": cannot create: " + std::generic_category().message(err));
  }
  if (auto error = writeHeader(*file)) {
    file->closeFd();
    std::filesystem::remove(spec.path, ec);
    return Error::unavailable(where + ": cannot write: " + *error);
  }

  std::size_t ringFrames = spec.ringFrames ? spec.ringFrames : core_->options.defaultRingFrames;
  ringFrames = std::bit_ceil(std::clamp<std::size_t>(ringFrames, 2, std::size_t{1} << 16));
  auto recorder = std::make_shared<Recorder>(Recorder::Key{}, std::move(spec), ringFrames, core_,
                                             std::move(file));
  const std::lock_guard lock{core_->mutex};
  if (core_->stopping) {
    // Stopped meanwhile: close the empty file at once.
    recorder->closed_ = true;
    recorder->result_.emplace(Error::unavailable(where + ": the writer is stopping"));
    return Error::unavailable(where + ": the writer is stopping");
  }
  core_->active.push_back(recorder);
  return recorder;
}

RecordingWriter::Stats RecordingWriter::stats() const {
  Stats stats;
  {
    const std::lock_guard lock{core_->mutex};
    stats.openRecordings = core_->active.size();
  }
  stats.framesWritten = core_->framesWritten.load(std::memory_order_relaxed);
  stats.droppedFrames = core_->droppedClosed.load(std::memory_order_relaxed);
  stats.writeErrors = core_->writeErrors.load(std::memory_order_relaxed);
  stats.flushes = core_->flushes.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace sb::media
