#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

// ITU-T G.711 (11/1988) µ-law and A-law companding, and the direct µ-law <-> A-law conversion of
// G.711 Tables 3 and 4.
//
// Linear samples are 16-bit, left-justified: µ-law works on the top 14 bits (a 14-bit value v is
// the 16-bit sample 4·v) and A-law on the top 13 bits (8·v). Decoders therefore return
// multiples of 4 (µ-law) or 8 (A-law); µ-law peaks at ±32124, A-law at ±32256.
//
// Encoders follow the ITU-T G.191 reference software: the low bits are dropped and a negative
// sample x is quantised as the magnitude of -1-x (one's complement), so encode(~x) differs from
// encode(x) only in the sign bit.
//
// Everything here is pure, allocation-free and safe on any thread (the tables are constants).
namespace sb::media {

std::uint8_t linearToMuLaw(std::int16_t sample);
std::int16_t muLawToLinear(std::uint8_t code);
std::uint8_t linearToALaw(std::int16_t sample);
std::int16_t aLawToLinear(std::uint8_t code);

// G.711 Tables 3 and 4: code-to-code conversion for relaying between a µ-law and an A-law leg
// without a PCM step. Not always equal to encode(decode(code)): the tables map between the laws'
// true levels (see g711.cpp) and keep the sign of µ-law's negative zero.
std::uint8_t muLawToALaw(std::uint8_t code);
std::uint8_t aLawToMuLaw(std::uint8_t code);

// Frame conversions. Each converts min(input.size(), output.size()) samples and returns that
// count; callers pass an output at least as long as the input.
std::size_t encodeMuLaw(std::span<const std::int16_t> pcm, std::span<std::uint8_t> codes);
std::size_t decodeMuLaw(std::span<const std::uint8_t> codes, std::span<std::int16_t> pcm);
std::size_t encodeALaw(std::span<const std::int16_t> pcm, std::span<std::uint8_t> codes);
std::size_t decodeALaw(std::span<const std::uint8_t> codes, std::span<std::int16_t> pcm);
std::size_t transcodeMuLawToALaw(std::span<const std::uint8_t> muLaw, std::span<std::uint8_t> aLaw);
std::size_t transcodeALawToMuLaw(std::span<const std::uint8_t> aLaw, std::span<std::uint8_t> muLaw);

}  // namespace sb::media
