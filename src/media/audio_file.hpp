#pragma once
// Prompts and music on hold from audio files.
//
// An AudioClip is loaded once from any file libsndfile reads (WAV PCM 8/16/24/32-bit and float,
// µ-law/A-law WAV, AIFF, FLAC, Ogg...; any sample rate; any channel count), averaged down to one
// channel and resampled to 8 kHz 16-bit with the speexdsp resampler, then kept in memory and
// shared read-only between threads (std::shared_ptr<const AudioClip>). A ClipCache loads each
// path once and notices when an administrator replaces the file. A ClipPlayer is one leg's
// cursor over a clip: it hands out 20 ms frames on a media worker without allocating, locking or
// touching the disk.
//
// Threads: loading reads the disk, so AudioClip::load, ClipCache::get and ClipCache::reload run on
// a blocking worker pool, never on the control loop or a media worker. ClipCache::cached does no
// I/O and may run anywhere. A ClipPlayer belongs to the one media worker that plays it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "media/dsp.hpp"

namespace sb::media {

struct ClipLoadOptions {
  // Longer files are refused (kInvalidArgument) instead of filling memory: an hour of 8 kHz
  // audio is 57.6 MB.
  std::chrono::seconds maxDuration{3600};
  // speexdsp resampler quality, 0 (fast) to 10 (best). 6 keeps aliases and images more than
  // 40 dB down, below G.711's own quantisation noise. Measured cost of a load: about 0.3 s per
  // minute of 44.1 kHz audio (an odd ratio: speexdsp interpolates its filter), 0.07 s per minute
  // of 48 kHz, a few ms for a 30 s file already at 8 kHz.
  int resamplerQuality = 6;
};

// What the file held before conversion (for logs and the admin API).
struct ClipSource {
  std::string path;
  int sampleRateHz = 0;
  int channels = 0;
  std::string format;  // libsndfile's name, e.g. "WAV (Microsoft) / U-Law"
};

// Immutable 8 kHz mono 16-bit audio. Never empty.
class AudioClip {
 public:
  // Reads, downmixes (mean of the channels) and resamples the whole file. Errors:
  // kNotFound (no such file), kPermissionDenied (cannot be opened), kInvalidArgument (a
  // directory, a format libsndfile does not read, no audio in it, too long).
  static Result<std::shared_ptr<const AudioClip>> load(const std::filesystem::path& path,
                                                       const ClipLoadOptions& options = {});

  // A clip from samples already at 8 kHz (generated tones, tests). nullptr when empty.
  static std::shared_ptr<const AudioClip> fromSamples(std::vector<std::int16_t> samples,
                                                      std::string name = {});

  std::span<const std::int16_t> samples() const { return samples_; }
  std::size_t size() const { return samples_.size(); }
  std::chrono::microseconds duration() const;
  const ClipSource& source() const { return source_; }

 private:
  AudioClip(std::vector<std::int16_t> samples, ClipSource source)
      : samples_(std::move(samples)), source_(std::move(source)) {}

  std::vector<std::int16_t> samples_;
  ClipSource source_;
};

using ClipPtr = std::shared_ptr<const AudioClip>;

// Clips by path, loaded on first use. Thread-safe: the map is guarded by a mutex that is never
// held while reading a file, so one slow load does not hold up lookups of other clips. Paths are
// keyed as absolute, lexically normal paths (symlinks are not resolved: replacing a link's target
// is seen through the link's own modification time only if the link is re-created).
//
// Clips handed out stay valid for as long as their holders keep them: a reload replaces the
// cache's entry, legs already playing the old clip finish with it.
class ClipCache {
 public:
  struct Options {
    ClipLoadOptions load;
    // get() compares the file's modification time and size with the loaded version (one stat)
    // and reloads when they differ. Off: only reload() picks up a replaced file.
    bool checkModified = true;
  };

  ClipCache() : ClipCache(Options{}) {}
  explicit ClipCache(Options options) : options_(std::move(options)) {}

  // The clip for `path`, loaded now if it is not cached yet (or was replaced on disk, see
  // Options::checkModified). A replaced file that fails to load gives the error and leaves the
  // previous clip cached; a file removed after loading keeps being served from memory.
  // Blocking: call on a worker pool.
  Result<ClipPtr> get(const std::filesystem::path& path);

  // Loads the file again whatever its time stamp says. On error the previous clip stays cached.
  // Blocking: call on a worker pool.
  Result<ClipPtr> reload(const std::filesystem::path& path);

  // The cached clip or nullptr; no I/O, safe on the control loop.
  ClipPtr cached(const std::filesystem::path& path) const;

  void evict(const std::filesystem::path& path);
  std::size_t size() const;
  // Loads from disk so far (first loads and reloads), for metrics and tests.
  std::uint64_t loads() const;

 private:
  struct Entry {
    ClipPtr clip;
    std::filesystem::file_time_type modified;
    std::uintmax_t bytes = 0;
  };
  Result<ClipPtr> loadAndStore(const std::string& key);

  Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::uint64_t loads_ = 0;
};

// One leg's playback position in a clip. Looping playback wraps inside a frame, so the last
// sample of the clip is followed directly by the first one (seamless for a clip made to loop).
// next() never allocates, locks or blocks; the clip stays alive through the player's reference
// (the per-frame path does not touch the reference count).
class ClipPlayer {
 public:
  enum class Mode { kOnce, kLoop };

  ClipPlayer() = default;  // plays silence and is finished
  explicit ClipPlayer(ClipPtr clip, Mode mode = Mode::kOnce);

  // Writes the next 20 ms into `out`. A one-shot clip's end is followed by silence in the same
  // frame. Returns the number of clip samples written (kFrameSamples while playing, fewer in the
  // frame where a one-shot clip ends, 0 after that).
  std::size_t next(std::span<std::int16_t, kFrameSamples> out);

  // A one-shot clip has been played to its last sample (never true when looping).
  bool finished() const { return finished_; }
  // Samples into the clip of the next sample to play.
  std::size_t position() const { return position_; }
  // Completed passes through a looping clip.
  std::uint64_t loops() const { return loops_; }
  void restart();

  const ClipPtr& clip() const { return clip_; }

 private:
  ClipPtr clip_;
  Mode mode_ = Mode::kOnce;
  std::size_t position_ = 0;
  std::uint64_t loops_ = 0;
  bool finished_ = true;
};

}  // namespace sb::media
