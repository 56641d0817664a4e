#include "media/audio_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sndfile.h>
#include <speex/speex_resampler.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file_descriptor.hpp"

namespace sb::media {
namespace {

constexpr std::size_t kReadChunkFrames = 4096;

// libsndfile hands integer formats over as floats scaled by 1/32768 for 16-bit, so scaling back
// by 32768 keeps 16-bit input at 8 kHz bit-exact.
std::int16_t floatToInt16(float value) {
  const float scaled = std::nearbyint(value * 32768.0F);
  if (scaled >= 32767.0F) return 32767;
  if (scaled <= -32768.0F) return -32768;
  return static_cast<std::int16_t>(scaled);
}

Error loadError(ErrorCode code, const std::filesystem::path& path, const std::string& what) {
  return Error{code, "audio file " + path.string() + ": " + what, "path"};
}

struct SndfileCloser {
  void operator()(SNDFILE* file) const { sf_close(file); }
};
struct ResamplerDestroyer {
  void operator()(SpeexResamplerState* state) const { speex_resampler_destroy(state); }
};

std::string formatName(int format) {
  std::string name;
  SF_FORMAT_INFO info{};
  info.format = format & SF_FORMAT_TYPEMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof info) == 0 && info.name) {
    name = info.name;
  }
  info = SF_FORMAT_INFO{};
  info.format = format & SF_FORMAT_SUBMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof info) == 0 && info.name) {
    name += name.empty() ? "" : " / ";
    name += info.name;
  }
  return name;
}

// Resamples one mono stream to 8 kHz and appends the result as int16.
class Converter {
 public:
  Converter(int inputRateHz, int quality, std::vector<std::int16_t>& out)
      : inputRateHz_(inputRateHz), out_(out) {
    if (inputRateHz_ == kSampleRateHz) return;
    int err = 0;
    resampler_.reset(speex_resampler_init(1, static_cast<spx_uint32_t>(inputRateHz_),
                                          static_cast<spx_uint32_t>(kSampleRateHz),
                                          std::clamp(quality, 0, 10), &err));
    if (resampler_) {
      // Drops the filter's leading delay so that the clip starts where the file starts.
      speex_resampler_skip_zeros(resampler_.get());
    }
  }

  bool ok() const { return inputRateHz_ == kSampleRateHz || resampler_ != nullptr; }

  void push(std::span<const float> mono) {
    if (!resampler_) {
      for (const float x : mono)
        out_.push_back(floatToInt16(x));
      return;
    }
    const std::size_t room = mono.size() * static_cast<std::size_t>(kSampleRateHz) /
                                 static_cast<std::size_t>(inputRateHz_) +
                             16;
    if (resampled_.size() < room) resampled_.resize(room);
    while (!mono.empty()) {
      auto inLen = static_cast<spx_uint32_t>(mono.size());
      auto outLen = static_cast<spx_uint32_t>(resampled_.size());
      speex_resampler_process_float(resampler_.get(), 0, mono.data(), &inLen, resampled_.data(),
                                    &outLen);
      for (spx_uint32_t i = 0; i < outLen; ++i)
        out_.push_back(floatToInt16(resampled_[i]));
      if (inLen == 0 && outLen == 0) break;  // cannot happen with room for the output; be safe
      mono = mono.subspan(inLen);
    }
  }

  // Pushes the filter's tail out with zeros and cuts the clip to the input's duration.
  void finish(std::uint64_t inputFrames) {
    if (!resampler_) return;
    const std::vector<float> zeros(
        static_cast<std::size_t>(speex_resampler_get_input_latency(resampler_.get())) + 1, 0.0F);
    push(zeros);
    const auto expected = static_cast<std::size_t>(
        (inputFrames * kSampleRateHz + static_cast<std::uint64_t>(inputRateHz_) / 2) /
        static_cast<std::uint64_t>(inputRateHz_));
    if (out_.size() > expected) out_.resize(expected);
  }

 private:
  int inputRateHz_;
  std::vector<std::int16_t>& out_;
  std::unique_ptr<SpeexResamplerState, ResamplerDestroyer> resampler_;
  std::vector<float> resampled_;
};

}  // namespace

Result<ClipPtr> AudioClip::load(const std::filesystem::path& path, const ClipLoadOptions& options) {
  if (path.empty()) return Error::invalid("path", "audio file: empty path");
  const FileDescriptor fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.get() < 0) {
    const int err = errno;
    const std::string reason = std::generic_category().message(err);
    if (err == ENOENT || err == ENOTDIR) {
      return loadError(ErrorCode::kNotFound, path, "no such file");
    }
    if (err == EACCES || err == EPERM) {
      return loadError(ErrorCode::kPermissionDenied, path, "cannot open: " + reason);
    }
    return loadError(ErrorCode::kInvalidArgument, path, "cannot open: " + reason);
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
    return loadError(ErrorCode::kInvalidArgument, path, "not a regular file");
  }
  if (status.st_size == 0) return loadError(ErrorCode::kInvalidArgument, path, "empty file");

  SF_INFO info{};
  const std::unique_ptr<SNDFILE, SndfileCloser> file{
      sf_open_fd(fd.get(), SFM_READ, &info, SF_FALSE)};
  if (!file) {
    // sf_strerror(nullptr) reads libsndfile's process-wide last error: another thread's failure
    // could show here instead, which only makes the message less precise.
    return loadError(
        ErrorCode::kInvalidArgument, path,
        std::string{"not an audio file this server can read ("} + sf_strerror(nullptr) + ")");
  }
  ClipSource source{path.string(), info.samplerate, info.channels, formatName(info.format)};
  if (info.channels <= 0 || info.samplerate <= 0 || info.samplerate > 1'000'000) {
    return loadError(ErrorCode::kInvalidArgument, path, "bad sample rate or channel count");
  }
  if (info.frames <= 0) return loadError(ErrorCode::kInvalidArgument, path, "no audio in it");
  const auto frames = static_cast<std::uint64_t>(info.frames);
  if (frames / static_cast<std::uint64_t>(info.samplerate) >=
      static_cast<std::uint64_t>(options.maxDuration.count())) {
    return loadError(ErrorCode::kInvalidArgument, path,
                     "longer than " + std::to_string(options.maxDuration.count()) + " s");
  }

  std::vector<std::int16_t> samples;
  samples.reserve(static_cast<std::size_t>(frames * kSampleRateHz /
                                           static_cast<std::uint64_t>(info.samplerate)) +
                  kFrameSamples);
  Converter converter{info.samplerate, options.resamplerQuality, samples};
  if (!converter.ok()) {
    return loadError(ErrorCode::kInvalidArgument, path,
                     "cannot resample from " + std::to_string(info.samplerate) + " Hz");
  }

  const auto channels = static_cast<std::size_t>(info.channels);
  std::vector<float> interleaved(kReadChunkFrames * channels);
  std::vector<float> mono(kReadChunkFrames);
  std::uint64_t framesRead = 0;
  for (;;) {
    const sf_count_t got =
        sf_readf_float(file.get(), interleaved.data(), static_cast<sf_count_t>(kReadChunkFrames));
    if (got <= 0) break;
    const auto n = static_cast<std::size_t>(got);
    for (std::size_t i = 0; i < n; ++i) {
      float sum = 0;
      for (std::size_t c = 0; c < channels; ++c)
        sum += interleaved[i * channels + c];
      mono[i] = sum / static_cast<float>(channels);
    }
    converter.push(std::span<const float>(mono.data(), n));
    framesRead += n;
  }
  // A file cut short (a crashed recorder, a partial upload) gives what it holds; one that gives
  // nothing at all is an error.
  if (framesRead == 0) {
    return loadError(ErrorCode::kInvalidArgument, path,
                     std::string{"no audio could be read ("} + sf_strerror(file.get()) + ")");
  }
  converter.finish(framesRead);
  if (samples.empty()) return loadError(ErrorCode::kInvalidArgument, path, "too short");
  samples.shrink_to_fit();
  return ClipPtr{new AudioClip(std::move(samples), std::move(source))};
}

ClipPtr AudioClip::fromSamples(std::vector<std::int16_t> samples, std::string name) {
  if (samples.empty()) return nullptr;
  ClipSource source{std::move(name), kSampleRateHz, 1, "samples"};
  return ClipPtr{new AudioClip(std::move(samples), std::move(source))};
}

std::chrono::microseconds AudioClip::duration() const {
  return std::chrono::microseconds{static_cast<std::int64_t>(samples_.size()) * 1'000'000 /
                                   kSampleRateHz};
}

// ---- ClipCache ----------------------------------------------------------------------------------

namespace {

std::string cacheKey(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) absolute = path;
  return absolute.lexically_normal().string();
}

struct Stamp {
  std::filesystem::file_time_type modified;
  std::uintmax_t bytes = 0;
};

std::optional<Stamp> stampOf(const std::string& key) {
  std::error_code ec;
  Stamp stamp;
  stamp.modified = std::filesystem::last_write_time(key, ec);
  if (ec) return std::nullopt;
  stamp.bytes = std::filesystem::file_size(key, ec);
  if (ec) return std::nullopt;
  return stamp;
}

}  // namespace

Result<ClipPtr> ClipCache::get(const std::filesystem::path& path) {
  if (path.empty()) return Error::invalid("path", "audio file: empty path");
  const std::string key = cacheKey(path);
  const std::optional<Stamp> stamp = options_.checkModified ? stampOf(key) : std::optional<Stamp>{};
  {
    const std::lock_guard lock{mutex_};
    const auto it = entries_.find(key);
    if (it != entries_.end()) {
      const Entry& entry = it->second;
      if (!options_.checkModified || !stamp) return entry.clip;  // unchanged, or removed
      if (stamp->modified == entry.modified && stamp->bytes == entry.bytes) return entry.clip;
    }
  }
  return loadAndStore(key);
}

Result<ClipPtr> ClipCache::reload(const std::filesystem::path& path) {
  if (path.empty()) return Error::invalid("path", "audio file: empty path");
  return loadAndStore(cacheKey(path));
}

Result<ClipPtr> ClipCache::loadAndStore(const std::string& key) {
  // The stamp is taken before reading, so a file replaced while it loads is seen as changed on
  // the next get().
  const std::optional<Stamp> stamp = stampOf(key);
  Result<ClipPtr> loaded = AudioClip::load(key, options_.load);
  const std::lock_guard lock{mutex_};
  ++loads_;
  if (!loaded) return loaded;
  Entry& entry = entries_[key];
  entry.clip = *loaded;
  entry.modified = stamp ? stamp->modified : std::filesystem::file_time_type{};
  entry.bytes = stamp ? stamp->bytes : 0;
  return loaded;
}

ClipPtr ClipCache::cached(const std::filesystem::path& path) const {
  const std::string key = cacheKey(path);
  const std::lock_guard lock{mutex_};
  const auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : it->second.clip;
}

void ClipCache::evict(const std::filesystem::path& path) {
  const std::string key = cacheKey(path);
  const std::lock_guard lock{mutex_};
  entries_.erase(key);
}

std::size_t ClipCache::size() const {
  const std::lock_guard lock{mutex_};
  return entries_.size();
}

std::uint64_t ClipCache::loads() const {
  const std::lock_guard lock{mutex_};
  return loads_;
}

// ---- ClipPlayer ---------------------------------------------------------------------------------

ClipPlayer::ClipPlayer(ClipPtr clip, Mode mode)
    : clip_(std::move(clip)), mode_(mode), finished_(!clip_ || clip_->size() == 0) {}

std::size_t ClipPlayer::next(std::span<std::int16_t, kFrameSamples> out) {
  std::size_t written = 0;
  if (!finished_) {
    const std::span<const std::int16_t> samples = clip_->samples();
    while (written < out.size()) {
      const std::size_t n = std::min(out.size() - written, samples.size() - position_);
      std::memcpy(out.data() + written, samples.data() + position_, n * sizeof(std::int16_t));
      written += n;
      position_ += n;
      if (position_ < samples.size()) continue;
      if (mode_ == Mode::kOnce) {
        finished_ = true;
        break;
      }
      position_ = 0;
      ++loops_;
    }
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(written), out.end(), std::int16_t{0});
  return written;
}

void ClipPlayer::restart() {
  position_ = 0;
  loops_ = 0;
  finished_ = !clip_ || clip_->size() == 0;
}

}  // namespace sb::media
