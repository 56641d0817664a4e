// Audio files: prompts and music loaded from real files (written here with libsndfile in every
// format the server should accept), the per-leg clip player, the call recorder and its writer
// thread (read back with libsndfile, including a recording whose process was killed), and the
// prompt set that scripts/make-prompts makes at build time.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <numbers>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sndfile.h>
#include <stdlib.h>

#include "media/audio_file.hpp"
#include "media/dsp.hpp"
#include "media/recorder.hpp"

namespace sb::media {
namespace {

namespace fs = std::filesystem;
using Samples = std::vector<std::int16_t>;
using namespace std::chrono_literals;

constexpr auto kEventTimeout = 20s;  // a deadline for events that normally come in milliseconds

// ---- helpers ------------------------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::path{::testing::TempDir()} / "sb_files_XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? fs::path{pattern} : fs::path{};
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// Writes `seconds` of a sine (the same in every channel) in any libsndfile format.
void writeTone(const fs::path& path, int rateHz, int channels, int format, double seconds,
               double hz, double amplitude = 0.5) {
  SF_INFO info{};
  info.samplerate = rateHz;
  info.channels = channels;
  info.format = format;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(file, nullptr) << sf_strerror(nullptr);
  const auto frames = static_cast<std::size_t>(std::lround(seconds * rateHz));
  std::vector<float> data(frames * static_cast<std::size_t>(channels));
  for (std::size_t i = 0; i < frames; ++i) {
    const double x = amplitude * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) /
                                          static_cast<double>(rateHz));
    for (int c = 0; c < channels; ++c)
      data[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] =
          static_cast<float>(x);
  }
  EXPECT_EQ(sf_writef_float(file, data.data(), static_cast<sf_count_t>(frames)),
            static_cast<sf_count_t>(frames));
  sf_close(file);
}

void writeText(const fs::path& path, const std::string& text) {
  std::ofstream{path, std::ios::binary} << text;
}

struct Wav {
  SF_INFO info{};
  Samples interleaved;

  Samples channel(int c) const {
    Samples out;
    for (std::size_t i = static_cast<std::size_t>(c); i < interleaved.size();
         i += static_cast<std::size_t>(info.channels)) {
      out.push_back(interleaved[i]);
    }
    return out;
  }
};

// The file as libsndfile, an independent reader, sees it; nullopt if it refuses it.
std::optional<Wav> readWav(const fs::path& path) {
  Wav wav;
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &wav.info);
  if (!file) return std::nullopt;
  wav.interleaved.resize(static_cast<std::size_t>(wav.info.frames * wav.info.channels));
  const sf_count_t got = sf_readf_short(file, wav.interleaved.data(), wav.info.frames);
  wav.interleaved.resize(static_cast<std::size_t>(got * wav.info.channels));
  sf_close(file);
  return wav;
}

Samples toneSamples(double hz, std::size_t count, double levelDbm0 = -10) {
  ToneGenerator generator{ToneSpec{.firstHz = hz, .firstLevelDbm0 = levelDbm0}};
  Samples out(count);
  generator.generate(out);
  return out;
}

double rms(std::span<const std::int16_t> samples) {
  double sum = 0;
  for (const std::int16_t x : samples)
    sum += static_cast<double>(x) * x;
  return std::sqrt(sum / static_cast<double>(std::max<std::size_t>(samples.size(), 1)));
}

int maxStep(std::span<const std::int16_t> samples) {
  int step = 0;
  for (std::size_t i = 1; i < samples.size(); ++i)
    step = std::max(step, std::abs(samples[i] - samples[i - 1]));
  return step;
}

// Waits for a condition signalled from another thread, with a deadline instead of a sleep.
class Event {
 public:
  void set() {
    {
      const std::lock_guard lock{mutex_};
      set_ = true;
    }
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout = kEventTimeout) {
    std::unique_lock lock{mutex_};
    return cv_.wait_for(lock, timeout, [this] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool set_ = false;
};

// ---- AudioClip::load ----------------------------------------------------------------------------

struct FormatCase {
  const char* name;
  int rateHz;
  int channels;
  int format;
  // What is left besides the tone: G.711 quantisation noise sits about 35 dB down.
  double maxOtherDb = -40;
};

class AudioClipFormatTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(AudioClipFormatTest, LoadsAsEightKilohertzMonoWithTheToneAndDurationIntact) {
  const FormatCase& c = GetParam();
  TempDir dir;
  const fs::path path = dir / (std::string{c.name} + ".wav");
  writeTone(path, c.rateHz, c.channels, c.format, 1.5, 1000.0);

  const Result<ClipPtr> clip = AudioClip::load(path);
  ASSERT_TRUE(clip.ok()) << clip.error().message;
  const auto samples = (*clip)->samples();
  EXPECT_NEAR(static_cast<double>(samples.size()), 12000.0, kFrameSamples);
  EXPECT_EQ((*clip)->source().sampleRateHz, c.rateHz);
  EXPECT_EQ((*clip)->source().channels, c.channels);
  EXPECT_NEAR(std::chrono::duration<double>((*clip)->duration()).count(), 1.5, 0.02);

  // Away from the edges, the whole signal is the 1 kHz tone at the written level (0.5 of full
  // scale, in every channel: the downmix averages, it does not halve or double).
  const auto middle = samples.subspan(400, samples.size() - 800);
  EXPECT_GT(tonePowerDb(middle, 1000.0), -0.5);
  EXPECT_LT(tonePowerDb(middle, 3000.0), c.maxOtherDb);
  EXPECT_NEAR(rms(middle), 0.5 * 32768 / std::numbers::sqrt2, 0.5 * 32768 * 0.05);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, AudioClipFormatTest,
    ::testing::Values(FormatCase{"Stereo44k1Pcm16", 44100, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
                      FormatCase{"Mono16kPcm16", 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
                      FormatCase{"Mono8kMuLaw", 8000, 1, SF_FORMAT_WAV | SF_FORMAT_ULAW, -30},
                      FormatCase{"Mono8kALaw", 8000, 1, SF_FORMAT_WAV | SF_FORMAT_ALAW, -30},
                      FormatCase{"Stereo48kPcm24", 48000, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_24},
                      FormatCase{"Mono22k05Float", 22050, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT},
                      FormatCase{"Mono11k025Pcm8", 11025, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_U8},
                      FormatCase{"Stereo32kFlac", 32000, 2, SF_FORMAT_FLAC | SF_FORMAT_PCM_16}),
    [](const ::testing::TestParamInfo<FormatCase>& param) {
      return std::string{param.param.name};
    });

TEST(AudioClipTest, ResamplingFiltersOutWhatEightKilohertzCannotCarry) {
  // 1 kHz and 5 kHz at 16 kHz: dropping every other sample would fold 5 kHz onto 3 kHz.
  TempDir dir;
  const fs::path path = dir / "wide.wav";
  SF_INFO info{.frames = 0,
               .samplerate = 16000,
               .channels = 1,
               .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16,
               .sections = 0,
               .seekable = 0};
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(file, nullptr);
  std::vector<float> samples(16000);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double t = static_cast<double>(i) / 16000.0;
    samples[i] = static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 1000 * t) +
                                    0.3 * std::sin(2 * std::numbers::pi * 5000 * t));
  }
  ASSERT_EQ(sf_write_float(file, samples.data(), 16000), 16000);
  sf_close(file);

  const Result<ClipPtr> clip = AudioClip::load(path);
  ASSERT_TRUE(clip.ok()) << clip.error().message;
  const auto middle = (*clip)->samples().subspan(400, 7200);
  EXPECT_GT(tonePowerDb(middle, 1000.0), -0.5);
  EXPECT_LT(tonePowerDb(middle, 3000.0), -40.0);
}

TEST(AudioClipTest, EightKilohertzSixteenBitMonoLoadsBitExact) {
  TempDir dir;
  const fs::path path = dir / "exact.wav";
  Samples written = toneSamples(697, 4000);
  written[17] = 32767;
  written[18] = -32768;
  SF_INFO info{.frames = 0,
               .samplerate = 8000,
               .channels = 1,
               .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16,
               .sections = 0,
               .seekable = 0};
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(sf_write_short(file, written.data(), static_cast<sf_count_t>(written.size())), 4000);
  sf_close(file);

  const Result<ClipPtr> clip = AudioClip::load(path);
  ASSERT_TRUE(clip.ok()) << clip.error().message;
  EXPECT_TRUE(std::ranges::equal((*clip)->samples(), written));
}

TEST(AudioClipTest, MissingFileIsNotFoundAndNamesThePath) {
  TempDir dir;
  const Result<ClipPtr> clip = AudioClip::load(dir / "nope.wav");
  ASSERT_FALSE(clip.ok());
  EXPECT_EQ(clip.error().code, ErrorCode::kNotFound);
  EXPECT_NE(clip.error().message.find("nope.wav"), std::string::npos) << clip.error().message;
}

TEST(AudioClipTest, TextFileIsRejectedAsAnUnreadableFormat) {
  TempDir dir;
  writeText(dir / "notes.wav", "this is not audio, it only has a .wav name\n");
  const Result<ClipPtr> clip = AudioClip::load(dir / "notes.wav");
  ASSERT_FALSE(clip.ok());
  EXPECT_EQ(clip.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(clip.error().message.find("not an audio file"), std::string::npos)
      << clip.error().message;
}

TEST(AudioClipTest, EmptyFileIsRejected) {
  TempDir dir;
  writeText(dir / "empty.wav", "");
  const Result<ClipPtr> clip = AudioClip::load(dir / "empty.wav");
  ASSERT_FALSE(clip.ok());
  EXPECT_EQ(clip.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(clip.error().message.find("empty"), std::string::npos) << clip.error().message;
}

TEST(AudioClipTest, WavWithoutSamplesIsRejected) {
  TempDir dir;
  writeTone(dir / "silent.wav", 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 0.0, 1000.0);
  ASSERT_TRUE(fs::exists(dir / "silent.wav"));
  const Result<ClipPtr> clip = AudioClip::load(dir / "silent.wav");
  ASSERT_FALSE(clip.ok());
  EXPECT_EQ(clip.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(clip.error().message.find("no audio"), std::string::npos) << clip.error().message;
}

TEST(AudioClipTest, TruncatedWavGivesTheAudioItHolds) {
  TempDir dir;
  const fs::path path = dir / "cut.wav";
  writeTone(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1.0, 1000.0);
  fs::resize_file(path, 44 + 2 * 4000);  // the header still claims 8000 samples
  const Result<ClipPtr> clip = AudioClip::load(path);
  ASSERT_TRUE(clip.ok()) << clip.error().message;
  EXPECT_EQ((*clip)->size(), 4000U);
}

TEST(AudioClipTest, DirectoryIsRejected) {
  TempDir dir;
  const Result<ClipPtr> clip = AudioClip::load(dir.path());
  ASSERT_FALSE(clip.ok());
  EXPECT_EQ(clip.error().code, ErrorCode::kInvalidArgument);
}

TEST(AudioClipTest, FileLongerThanTheLimitIsRejected) {
  TempDir dir;
  writeTone(dir / "long.wav", 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 3.0, 1000.0);
  const Result<ClipPtr> clip = AudioClip::load(dir / "long.wav", {.maxDuration = 2s});
  ASSERT_FALSE(clip.ok());
  EXPECT_NE(clip.error().message.find("longer than 2 s"), std::string::npos)
      << clip.error().message;
}

TEST(AudioClipTest, EmptySamplesMakeNoClip) {
  EXPECT_EQ(AudioClip::fromSamples({}), nullptr);
  ASSERT_NE(AudioClip::fromSamples(Samples(3, 1)), nullptr);
}

// ---- ClipCache ----------------------------------------------------------------------------------

TEST(ClipCacheTest, LoadsEachPathOnceWhateverItsSpelling) {
  TempDir dir;
  writeTone(dir / "welcome.wav", 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 0.5, 1000.0);
  ClipCache cache;
  EXPECT_EQ(cache.cached(dir / "welcome.wav"), nullptr);

  const Result<ClipPtr> first = cache.get(dir / "welcome.wav");
  ASSERT_TRUE(first.ok()) << first.error().message;
  const Result<ClipPtr> second = cache.get(dir.path() / "." / "sub" / ".." / "welcome.wav");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ(cache.loads(), 1U);
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_EQ(cache.cached(dir / "welcome.wav"), *first);
}

TEST(ClipCacheTest, ReloadsAFileAnAdministratorReplaced) {
  TempDir dir;
  const fs::path path = dir / "menu.wav";
  writeTone(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1.0, 1000.0);
  ClipCache cache;
  const Result<ClipPtr> before = cache.get(path);
  ASSERT_TRUE(before.ok());
  ASSERT_EQ((*before)->size(), 8000U);

  // Replaced the way an upload would: written aside, renamed over the old one.
  writeTone(dir / "upload.tmp", 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2.0, 500.0);
  fs::rename(dir / "upload.tmp", path);

  const Result<ClipPtr> after = cache.get(path);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ((*after)->size(), 16000U);
  EXPECT_EQ(cache.loads(), 2U);
  // A leg still playing the old prompt keeps it.
  EXPECT_EQ((*before)->size(), 8000U);
  EXPECT_EQ(cache.cached(path), *after);
}

TEST(ClipCacheTest, ExplicitReloadPicksUpAChangeWithoutModificationChecks) {
  TempDir dir;
  const fs::path path = dir / "hold.wav";
  writeTone(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1.0, 1000.0);
  ClipCache cache{ClipCache::Options{.checkModified = false}};
  ASSERT_TRUE(cache.get(path).ok());
  writeTone(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 0.5, 1000.0);
  EXPECT_EQ((*cache.get(path))->size(), 8000U);  // no stat, no reload
  const Result<ClipPtr> reloaded = cache.reload(path);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ((*reloaded)->size(), 4000U);
  EXPECT_EQ((*cache.get(path))->size(), 4000U);
}

TEST(ClipCacheTest, BadReplacementKeepsTheOldClipAndReportsTheError) {
  TempDir dir;
  const fs::path path = dir / "welcome.wav";
  writeTone(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1.0, 1000.0);
  ClipCache cache;
  const Result<ClipPtr> good = cache.get(path);
  ASSERT_TRUE(good.ok());

  writeText(path, "oops, a text file uploaded as a prompt");
  const Result<ClipPtr> bad = cache.get(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(cache.cached(path), *good);
  EXPECT_FALSE(cache.reload(path).ok());
  EXPECT_EQ(cache.cached(path), *good);
}

TEST(ClipCacheTest, RemovedFileIsStillServedFromMemoryUntilEvicted) {
  TempDir dir;
  const fs::path path = dir / "beep.wav";
  writeTone(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 0.3, 1000.0);
  ClipCache cache;
  ASSERT_TRUE(cache.get(path).ok());
  fs::remove(path);
  EXPECT_TRUE(cache.get(path).ok());
  cache.evict(path);
  const Result<ClipPtr> gone = cache.get(path);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST(ClipCacheTest, ThreadsGetTheSameClipsConcurrently) {
  TempDir dir;
  const std::vector<std::string> names{"a.wav", "b.wav", "c.wav"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    writeTone(dir / names[i], 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16,
              0.2 * static_cast<double>(i + 1), 1000.0);
  }
  ClipCache cache;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < names.size(); ++i) {
          const Result<ClipPtr> clip = cache.get(dir / names[i]);
          if (!clip.ok() || (*clip)->size() != 1600 * (i + 1)) ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(cache.size(), names.size());
  EXPECT_LE(cache.loads(), 4 * names.size());  // at most one load per thread and path
}

// ---- ClipPlayer ---------------------------------------------------------------------------------

TEST(ClipPlayerTest, LoopsSeamlesslyAcrossALoopPointInsideAFrame) {
  // 1 kHz is 8 samples a period; 1000 samples are 125 whole periods and end mid-frame.
  const Samples tone = toneSamples(1000, 1000);
  const ClipPtr clip = AudioClip::fromSamples(tone);
  ClipPlayer player{clip, ClipPlayer::Mode::kLoop};
  Samples played(kFrameSamples * 30);
  for (std::size_t f = 0; f < 30; ++f) {
    const std::span<std::int16_t, kFrameSamples> frame{played.data() + f * kFrameSamples,
                                                       kFrameSamples};
    EXPECT_EQ(player.next(frame), kFrameSamples);
  }
  EXPECT_FALSE(player.finished());
  EXPECT_EQ(player.loops(), 4U);
  EXPECT_EQ(player.position(), 4800U % 1000U);
  for (std::size_t i = 0; i < played.size(); ++i)
    ASSERT_EQ(played[i], tone[i % tone.size()]) << "sample " << i;
  // No click: the steps across the four loop points are no bigger than inside the clip, and the
  // played stream is one clean tone.
  EXPECT_LE(maxStep(played), maxStep(tone));
  EXPECT_GT(tonePowerDb(played, 1000.0), -0.01);
}

TEST(ClipPlayerTest, OneShotEndsWithSilenceAndReportsFinished) {
  const ClipPtr clip = AudioClip::fromSamples(Samples(400, 1000));
  ClipPlayer player{clip};
  std::array<std::int16_t, kFrameSamples> frame{};
  EXPECT_EQ(player.next(frame), kFrameSamples);
  EXPECT_FALSE(player.finished());
  EXPECT_EQ(player.next(frame), kFrameSamples);
  EXPECT_FALSE(player.finished());
  frame.fill(-1);
  EXPECT_EQ(player.next(frame), 80U);
  EXPECT_TRUE(player.finished());
  EXPECT_TRUE(std::all_of(frame.begin(), frame.begin() + 80, [](auto x) { return x == 1000; }));
  EXPECT_TRUE(std::all_of(frame.begin() + 80, frame.end(), [](auto x) { return x == 0; }));
  frame.fill(-1);
  EXPECT_EQ(player.next(frame), 0U);
  EXPECT_TRUE(std::all_of(frame.begin(), frame.end(), [](auto x) { return x == 0; }));

  player.restart();
  EXPECT_FALSE(player.finished());
  EXPECT_EQ(player.next(frame), kFrameSamples);
}

TEST(ClipPlayerTest, ClipOfWholeFramesFinishesWithItsLastFrame) {
  ClipPlayer player{AudioClip::fromSamples(Samples(2 * kFrameSamples, 7))};
  std::array<std::int16_t, kFrameSamples> frame{};
  EXPECT_EQ(player.next(frame), kFrameSamples);
  EXPECT_FALSE(player.finished());
  EXPECT_EQ(player.next(frame), kFrameSamples);
  EXPECT_TRUE(player.finished());
}

TEST(ClipPlayerTest, PlayerWithoutAClipIsSilentAndFinished) {
  ClipPlayer player;
  std::array<std::int16_t, kFrameSamples> frame;
  frame.fill(5);
  EXPECT_TRUE(player.finished());
  EXPECT_EQ(player.next(frame), 0U);
  EXPECT_TRUE(std::all_of(frame.begin(), frame.end(), [](auto x) { return x == 0; }));
}

// ---- Recorder -----------------------------------------------------------------------------------

// A call's two sides, frame by frame: the customer at 1 kHz, the agent at 400 Hz.
struct TwoSides {
  ToneGenerator customer{ToneSpec{.firstHz = 1000, .firstLevelDbm0 = -10}};
  ToneGenerator agent{ToneSpec{.firstHz = 400, .firstLevelDbm0 = -10}};
  std::array<std::int16_t, kFrameSamples> customerFrame{};
  std::array<std::int16_t, kFrameSamples> agentFrame{};

  void record(Recorder& recorder, std::size_t frames) {
    for (std::size_t i = 0; i < frames; ++i) {
      customer.generate(customerFrame);
      agent.generate(agentFrame);
      recorder.record(customerFrame, agentFrame);
    }
  }
};

// Counts the writer's flushes and lets a test wait for one that reached a number of frames.
class FlushWatch {
 public:
  std::function<void(const RecordingFlush&)> callback() {
    return [this](const RecordingFlush& flush) {
      {
        const std::lock_guard lock{mutex_};
        frames_ = flush.frames;
        ++flushes_;
        final_ = final_ || flush.final;
        if (onFlush_) onFlush_(flush);
      }
      cv_.notify_all();
    };
  }
  // Runs on the writer thread, under the watch's lock, inside each flush report.
  void setHook(std::function<void(const RecordingFlush&)> hook) {
    const std::lock_guard lock{mutex_};
    onFlush_ = std::move(hook);
  }
  bool waitForFrames(std::uint64_t frames) {
    std::unique_lock lock{mutex_};
    return cv_.wait_for(lock, kEventTimeout, [&] { return frames_ >= frames; });
  }
  bool waitForFinal() {
    std::unique_lock lock{mutex_};
    return cv_.wait_for(lock, kEventTimeout, [&] { return final_; });
  }
  int flushes() {
    const std::lock_guard lock{mutex_};
    return flushes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t frames_ = 0;
  int flushes_ = 0;
  bool final_ = false;
  std::function<void(const RecordingFlush&)> onFlush_;
};

TEST(RecorderTest, StereoFileCarriesTheCustomerLeftAndTheAgentRight) {
  TempDir dir;
  const fs::path path = dir / "2024" / "05" / "call-1.wav";  // folders are created
  RecordingWriter writer;
  Result<std::shared_ptr<Recorder>> recorder = writer.start({.path = path, .ringFrames = 256});
  ASSERT_TRUE(recorder.ok()) << recorder.error().message;
  TwoSides call;
  call.record(**recorder, 150);  // 3 s at once: more than the default ring holds

  const Result<RecordingInfo> info = (*recorder)->finish();
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->path, path);
  EXPECT_EQ(info->duration, 3000ms);
  EXPECT_EQ(info->frames, 150U);
  EXPECT_EQ(info->droppedFrames, 0U);
  EXPECT_EQ(info->fileBytes, 44U + 150U * 160U * 4U);
  EXPECT_EQ(fs::file_size(path), info->fileBytes);

  const std::optional<Wav> wav = readWav(path);
  ASSERT_TRUE(wav);
  EXPECT_EQ(wav->info.samplerate, 8000);
  EXPECT_EQ(wav->info.channels, 2);
  EXPECT_EQ(wav->info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  EXPECT_EQ(wav->info.frames, 24000);
  const Samples left = wav->channel(0);
  const Samples right = wav->channel(1);
  EXPECT_GT(tonePowerDb(left, 1000.0), -0.1);
  EXPECT_LT(tonePowerDb(left, 400.0), -40.0);
  EXPECT_GT(tonePowerDb(right, 400.0), -0.1);
  EXPECT_LT(tonePowerDb(right, 1000.0), -40.0);
  // Sample-exact: the first frame is what the media thread handed over.
  const Samples expected = toneSamples(1000, kFrameSamples);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), left.begin()));
}

TEST(RecorderTest, MixedMonoHoldsBothSides) {
  TempDir dir;
  RecordingWriter writer;
  auto recorder = writer.start({.path = dir / "mixed.wav", .layout = RecordingLayout::kMixedMono});
  ASSERT_TRUE(recorder.ok());
  TwoSides call;
  call.record(**recorder, 100);
  ASSERT_TRUE((*recorder)->finish().ok());

  const std::optional<Wav> wav = readWav(dir / "mixed.wav");
  ASSERT_TRUE(wav);
  EXPECT_EQ(wav->info.channels, 1);
  EXPECT_EQ(wav->info.frames, 16000);
  const Samples mono = wav->channel(0);
  EXPECT_NEAR(tonePowerDb(mono, 1000.0), -3.0, 0.2);  // two equal tones: half the power each
  EXPECT_NEAR(tonePowerDb(mono, 400.0), -3.0, 0.2);
}

TEST(RecorderTest, MuLawFileIsHalfTheSizeAndKeepsTheTones) {
  TempDir dir;
  RecordingWriter writer;
  auto recorder = writer.start({.path = dir / "ulaw.wav", .encoding = RecordingEncoding::kMuLaw});
  ASSERT_TRUE(recorder.ok());
  TwoSides call;
  call.record(**recorder, 100);
  const Result<RecordingInfo> info = (*recorder)->finish();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->fileBytes, 58U + 100U * 160U * 2U);

  const std::optional<Wav> wav = readWav(dir / "ulaw.wav");
  ASSERT_TRUE(wav);
  EXPECT_EQ(wav->info.format, SF_FORMAT_WAV | SF_FORMAT_ULAW);
  EXPECT_EQ(wav->info.channels, 2);
  EXPECT_EQ(wav->info.frames, 16000);
  EXPECT_GT(tonePowerDb(wav->channel(0), 1000.0), -0.1);
  EXPECT_GT(tonePowerDb(wav->channel(1), 400.0), -0.1);
}

TEST(RecorderTest, MonoRecordingOfOneStream) {
  TempDir dir;
  RecordingWriter writer;
  auto recorder =
      writer.start({.path = dir / "voicemail.wav", .layout = RecordingLayout::kMixedMono});
  ASSERT_TRUE(recorder.ok());
  const Samples tone = toneSamples(1000, 50 * kFrameSamples);
  for (std::size_t f = 0; f < 50; ++f)
    (*recorder)->record(std::span<const std::int16_t, kFrameSamples>{
        tone.data() + f * kFrameSamples, kFrameSamples});
  ASSERT_TRUE((*recorder)->finish().ok());
  const std::optional<Wav> wav = readWav(dir / "voicemail.wav");
  ASSERT_TRUE(wav);
  EXPECT_EQ(wav->interleaved, tone);
}

TEST(RecorderTest, FlushesWhileRecordingSoTheUnfinishedFileIsAlreadyValid) {
  TempDir dir;
  const fs::path path = dir / "live.wav";
  const fs::path snapshot = dir / "snapshot.wav";
  FlushWatch watch;
  Event copied;
  // The copy is taken on the writer thread inside its flush report: the file exactly as a
  // crash right after that flush would leave it.
  watch.setHook([&](const RecordingFlush& flush) {
    if (flush.frames >= 50 && !flush.final && !fs::exists(snapshot)) {
      fs::copy_file(path, snapshot);
      copied.set();
    }
  });
  RecordingWriter writer{{.flushInterval = 100ms, .onFlush = watch.callback()}};
  auto recorder = writer.start({.path = path});
  ASSERT_TRUE(recorder.ok());
  TwoSides call;
  call.record(**recorder, 50);
  ASSERT_TRUE(copied.wait()) << "no flush reached 1 s of audio";

  const std::optional<Wav> wav = readWav(snapshot);
  ASSERT_TRUE(wav) << "the unfinished recording is not a readable WAV";
  EXPECT_GE(wav->info.frames, 8000);
  EXPECT_EQ(fs::file_size(snapshot),
            44U + static_cast<std::uintmax_t>(wav->info.frames) * 4U);  // header counts it all
  EXPECT_GT(tonePowerDb(wav->channel(0), 1000.0), -0.1);
  EXPECT_GT(tonePowerDb(wav->channel(1), 400.0), -0.1);
  ASSERT_TRUE((*recorder)->finish().ok());
}

TEST(RecorderTest, FlushesAtLeastOnceASecondWhateverTheOptionSays) {
  TempDir dir;
  FlushWatch watch;
  RecordingWriter writer{{.flushInterval = 60s, .onFlush = watch.callback()}};
  auto recorder = writer.start({.path = dir / "slow.wav"});
  ASSERT_TRUE(recorder.ok());
  TwoSides call;
  call.record(**recorder, 10);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(watch.waitForFrames(10));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // capped at 1 s, not 60 s
  ASSERT_TRUE((*recorder)->finish().ok());
}

// The death test's child: records 1.5 s, waits until a flush wrote it, records more and kills
// its own process, so that neither finish() nor any destructor runs.
[[noreturn]] void recordThenGetKilled(const fs::path& path) {
  FlushWatch watch;
  RecordingWriter writer{{.flushInterval = 50ms, .onFlush = watch.callback()}};
  auto recorder = writer.start({.path = path});
  if (!recorder.ok()) std::_Exit(3);
  TwoSides call;
  call.record(**recorder, 75);
  if (!watch.waitForFrames(75)) std::_Exit(4);
  call.record(**recorder, 20);  // still in the ring, or half-written, when killed
  std::raise(SIGKILL);
  std::_Exit(5);
}

TEST(RecorderDeathTest, RecordingOfAKilledProcessIsValidUpToItsLastFlush) {
  GTEST_FLAG_SET(death_test_style, "fast");  // fork only: the child keeps `path`
  TempDir dir;
  const fs::path path = dir / "killed.wav";
  EXPECT_EXIT(recordThenGetKilled(path), ::testing::KilledBySignal(SIGKILL), "");

  const std::optional<Wav> wav = readWav(path);
  ASSERT_TRUE(wav) << "a killed recording must still be a readable WAV";
  EXPECT_EQ(wav->info.channels, 2);
  EXPECT_GE(wav->info.frames, 75 * 160);
  EXPECT_GT(tonePowerDb(wav->channel(0), 1000.0), -0.1);
  EXPECT_GT(tonePowerDb(wav->channel(1), 400.0), -0.1);
}

TEST(RecorderTest, FullRingDropsAndCountsInsteadOfBlocking) {
  TempDir dir;
  FlushWatch watch;
  Event writerHeld;
  Event release;
  // The first flush holds the writer thread: it cannot drain while the media side records.
  watch.setHook([&](const RecordingFlush& flush) {
    if (flush.frames == 1 && !flush.final) {
      writerHeld.set();
      release.wait();
    }
  });
  RecordingWriter writer{{.flushInterval = 10ms, .onFlush = watch.callback()}};
  auto recorder = writer.start({.path = dir / "overflow.wav", .ringFrames = 8});
  ASSERT_TRUE(recorder.ok());
  TwoSides call;
  call.record(**recorder, 1);
  ASSERT_TRUE(writerHeld.wait());

  call.record(**recorder, 100);  // returns at once: 8 fit, 92 are dropped
  EXPECT_EQ((*recorder)->recordedFrames(), 9U);
  EXPECT_EQ((*recorder)->droppedFrames(), 92U);

  release.set();
  const Result<RecordingInfo> info = (*recorder)->finish();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->frames, 9U);
  EXPECT_EQ(info->droppedFrames, 92U);
  EXPECT_EQ(writer.stats().droppedFrames, 92U);
  const std::optional<Wav> wav = readWav(dir / "overflow.wav");
  ASSERT_TRUE(wav);
  EXPECT_EQ(wav->info.frames, 9 * 160);
}

TEST(RecorderTest, FinishTwiceGivesTheSameResultAndLaterFramesAreIgnored) {
  TempDir dir;
  RecordingWriter writer;
  auto recorder = writer.start({.path = dir / "twice.wav"});
  ASSERT_TRUE(recorder.ok());
  TwoSides call;
  call.record(**recorder, 10);
  const Result<RecordingInfo> first = (*recorder)->finish();
  ASSERT_TRUE(first.ok());
  call.record(**recorder, 10);
  const Result<RecordingInfo> second = (*recorder)->finish();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->frames, 10U);
  EXPECT_EQ(first->fileBytes, second->fileBytes);
  EXPECT_EQ(fs::file_size(dir / "twice.wav"), first->fileBytes);
  EXPECT_EQ(writer.stats().openRecordings, 0U);
}

TEST(RecorderTest, AbandonedRecorderIsClosedByTheWriter) {
  TempDir dir;
  FlushWatch watch;
  RecordingWriter writer{{.flushInterval = 20ms, .onFlush = watch.callback()}};
  {
    auto recorder = writer.start({.path = dir / "dropped.wav"});
    ASSERT_TRUE(recorder.ok());
    TwoSides call;
    call.record(**recorder, 25);
  }  // every handle gone without finish()
  ASSERT_TRUE(watch.waitForFinal());
  const std::optional<Wav> wav = readWav(dir / "dropped.wav");
  ASSERT_TRUE(wav);
  EXPECT_EQ(wav->info.frames, 25 * 160);
  EXPECT_EQ(writer.stats().openRecordings, 0U);
}

TEST(RecorderTest, StoppingTheWriterFinishesOpenRecordings) {
  TempDir dir;
  std::shared_ptr<Recorder> kept;
  {
    RecordingWriter writer{{.flushInterval = 1000ms}};
    auto recorder = writer.start({.path = dir / "shutdown.wav"});
    ASSERT_TRUE(recorder.ok());
    kept = *recorder;
    TwoSides call;
    call.record(*kept, 40);
  }
  const Result<RecordingInfo> info = kept->finish();  // already closed: returns at once
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->frames, 40U);
  const std::optional<Wav> wav = readWav(dir / "shutdown.wav");
  ASSERT_TRUE(wav);
  EXPECT_EQ(wav->info.frames, 40 * 160);
}

TEST(RecorderTest, NeverOverwritesAnExistingFile) {
  TempDir dir;
  writeText(dir / "taken.wav", "an earlier recording");
  RecordingWriter writer;
  const auto recorder = writer.start({.path = dir / "taken.wav"});
  ASSERT_FALSE(recorder.ok());
  EXPECT_EQ(recorder.error().code, ErrorCode::kConflict);
  std::ifstream in{dir / "taken.wav"};
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "an earlier recording");
}

TEST(RecorderTest, UnwritableFolderIsAnError) {
  TempDir dir;
  writeText(dir / "file", "x");
  RecordingWriter writer;
  const auto recorder = writer.start({.path = dir / "file" / "sub" / "call.wav"});
  ASSERT_FALSE(recorder.ok());
  EXPECT_EQ(recorder.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(writer.start({}).ok());
}

TEST(RecorderTest, ManyRecordingsShareOneWriter) {
  TempDir dir;
  RecordingWriter writer{{.flushInterval = 50ms}};
  std::vector<std::shared_ptr<Recorder>> recorders;
  for (int i = 0; i < 20; ++i) {
    auto recorder = writer.start({.path = dir / ("call-" + std::to_string(i) + ".wav")});
    ASSERT_TRUE(recorder.ok());
    recorders.push_back(*recorder);
  }
  EXPECT_EQ(writer.stats().openRecordings, 20U);
  // One media thread feeds all of them, frame by frame, as a worker's tick would.
  TwoSides call;
  for (int tick = 0; tick < 100; ++tick) {
    call.customer.generate(call.customerFrame);
    call.agent.generate(call.agentFrame);
    for (auto& recorder : recorders)
      recorder->record(call.customerFrame, call.agentFrame);
  }
  for (auto& recorder : recorders) {
    const Result<RecordingInfo> info = recorder->finish();
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->frames + info->droppedFrames, 100U);
    const std::optional<Wav> wav = readWav(info->path);
    ASSERT_TRUE(wav);
    EXPECT_EQ(static_cast<std::uint64_t>(wav->info.frames), info->frames * 160);
  }
  EXPECT_EQ(writer.stats().openRecordings, 0U);
}

// ---- scripts/make-prompts -----------------------------------------------------------------------

fs::path promptScript() {
#ifdef SB_SOURCE_DIR
  return fs::path{SB_SOURCE_DIR} / "scripts" / "make-prompts";
#else
  // tests/unit/media/files_test.cpp -> the repository root
  return fs::path{__FILE__}.parent_path().parent_path().parent_path().parent_path() / "scripts" /
         "make-prompts";
#endif
}

bool haveCommand(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

TEST(PromptScriptTest, MakesEightKilohertzMonoPromptsThatLoadAndAreNotSilent) {
  if (!haveCommand("espeak-ng") || !haveCommand("sox")) {
    GTEST_SKIP() << "espeak-ng or sox is not installed";
  }
  const fs::path script = promptScript();
  ASSERT_TRUE(fs::exists(script)) << script;
  TempDir dir;
  const fs::path out = dir / "prompts";
  const std::string command = "bash '" + script.string() + "' '" + out.string() + "' > '" +
                              (dir / "log").string() + "' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << std::ifstream{dir / "log"}.rdbuf();

  const std::vector<std::string> speech{"welcome.wav", "please-hold.wav", "after-hours.wav",
                                        "invalid.wav", "menu.wav"};
  std::vector<std::string> all = speech;
  all.insert(all.end(), {"beep.wav", "hold-music.wav"});
  ClipCache cache;
  for (const std::string& name : all) {
    SCOPED_TRACE(name);
    const std::optional<Wav> wav = readWav(out / name);
    ASSERT_TRUE(wav);
    EXPECT_EQ(wav->info.samplerate, 8000);
    EXPECT_EQ(wav->info.channels, 1);
    EXPECT_EQ(wav->info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    const Result<ClipPtr> clip = cache.get(out / name);
    ASSERT_TRUE(clip.ok()) << clip.error().message;
    EXPECT_TRUE(std::ranges::equal((*clip)->samples(), wav->interleaved));
    EXPECT_GT(frameLevelDbov((*clip)->samples()), -35.0);
  }
  for (const std::string& name : speech) {
    // Two languages: longer than a couple of seconds.
    EXPECT_GT((*cache.get(out / name))->duration(), 2s) << name;
  }

  const ClipPtr beep = *cache.get(out / "beep.wav");
  EXPECT_NEAR(static_cast<double>(beep->size()), 2400.0, kFrameSamples);
  EXPECT_GT(tonePowerDb(beep->samples(), 1000.0), -0.5);

  const ClipPtr music = *cache.get(out / "hold-music.wav");
  EXPECT_NEAR(std::chrono::duration<double>(music->duration()).count(), 30.0, 0.02);
  EXPECT_EQ(music->size() % kFrameSamples, 0U);
  // Looped, the seam is no harder a step than the music's own steps.
  const auto samples = music->samples();
  EXPECT_LT(std::abs(samples.front()), 300);
  EXPECT_LT(std::abs(samples.back()), 300);
  EXPECT_LT(std::abs(samples.front() - samples.back()), maxStep(samples) / 4);

  // Idempotent: a second run keeps every file as it is.
  const auto before = fs::last_write_time(out / "welcome.wav");
  fs::remove(out / "menu.wav");
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_EQ(fs::last_write_time(out / "welcome.wav"), before);
  EXPECT_TRUE(fs::exists(out / "menu.wav"));  // only the missing one is made again
}

}  // namespace
}  // namespace sb::media
