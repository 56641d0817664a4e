// The per-tick media work that is not a relay: mixing a conference and playing a leg out of its
// jitter buffer, per 20 ms tick (Google Benchmark). bench/media/run turns the figures into
// microseconds per participant-second and per stream-second.

#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include <benchmark/benchmark.h>

#include "media/conference.hpp"
#include "media/g711.hpp"
#include "media/jitter_buffer.hpp"

namespace {

using sb::media::kFrameSamples;

std::array<std::int16_t, kFrameSamples> toneFrame(double frequency) {
  std::array<std::int16_t, kFrameSamples> frame{};
  for (std::size_t i = 0; i < frame.size(); ++i)
    frame[i] = static_cast<std::int16_t>(
        8000 * std::sin(2 * std::numbers::pi * frequency * static_cast<double>(i) / 8000));
  return frame;
}

// One tick of an N-party conference: every member's input, the mix, every member's output.
void conferenceTick(benchmark::State& state) {
  auto members = static_cast<std::size_t>(state.range(0));
  sb::media::Conference conference(16);
  std::vector<std::array<std::int16_t, kFrameSamples>> inputs;
  for (std::size_t i = 0; i < members; ++i) {
    conference.add(i + 1);
    inputs.push_back(toneFrame(300.0 + 100.0 * static_cast<double>(i)));
  }
  for (auto _ : state) {
    for (std::size_t i = 0; i < members; ++i)
      conference.setInput(i + 1, inputs[i]);
    conference.mix();
    for (std::size_t i = 0; i < members; ++i)
      benchmark::DoNotOptimize(conference.output(i + 1).data());
  }
  state.counters["participants"] = static_cast<double>(members);
}
BENCHMARK(conferenceTick)->Arg(3)->Arg(10);

// One tick of a buffered leg: a packet arrives and a frame is played (decoded).
void jitterBufferTick(benchmark::State& state) {
  sb::media::JitterBuffer buffer;
  std::array<std::uint8_t, kFrameSamples> codes{};
  auto pcm = toneFrame(1000);
  sb::media::encodeMuLaw(pcm, codes);
  std::array<std::int16_t, kFrameSamples> out{};
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  for (auto _ : state) {
    (void)buffer.push(sequence++, timestamp, timestamp, codes);
    timestamp += kFrameSamples;
    benchmark::DoNotOptimize(buffer.pop(out));
  }
}
BENCHMARK(jitterBufferTick);

}  // namespace

BENCHMARK_MAIN();
