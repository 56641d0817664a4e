#pragma once

// A per-call listening-quality estimate from RTP/RTCP statistics: the ITU-T G.107 E-model reduced
// to what varies on a G.711 call (delay and packet loss), and the MOS it implies.
//
// Pure functions, safe on any thread.
namespace sb::media {

// Whether the receiving end conceals lost packets. G.113 Appendix I rates G.711 with the
// concealment of G.711 Appendix I at Bpl = 25.1 and plain G.711 (silence for a lost packet) at
// Bpl = 4.3: with concealment 1 % random loss costs about 3.6 R points, without it about 18.
enum class LossConcealment { kNone, kG711AppendixI };

struct QualityInputs {
  double lossFraction = 0;  // packets lost / packets expected, 0..1 (RTCP fraction lost / 256)
  double jitterMs = 0;      // RFC 3550 interarrival jitter; the receiver's jitter buffer delays
                            // the audio by about this much
  double roundTripMs = 0;   // RTCP round-trip time; the one-way network delay is half of it
  double packetMs = 20;     // packetisation: the sender holds audio this long before sending
  // Most SIP phones conceal loss in G.711 (the Appendix I algorithm or their own), and the
  // listener hears the phone's output, so this is the default.
  LossConcealment concealment = LossConcealment::kG711AppendixI;
};

struct QualityEstimate {
  double rFactor;  // 0..100; 93.2 at best for G.711 narrowband
  double mos;      // 1..4.5, listening quality (G.107 Annex B)
};

QualityEstimate estimateQuality(const QualityInputs& inputs);

// G.107 delay impairment Idd for an absolute one-way (mouth-to-ear) delay Ta in ms: 0 up to
// 100 ms, then rising (about 3 at 200 ms, 24 at 400 ms).
double delayImpairment(double oneWayDelayMs);

// G.107 effective equipment impairment Ie,eff for G.711 (Ie = 0, G.113 Appendix I) at a random
// packet loss of lossPercent (BurstR = 1).
double lossImpairment(double lossPercent, LossConcealment concealment);

// G.107 Annex B: MOS (conversational quality estimate) from R, clamped to [1, 4.5].
double mosFromRFactor(double rFactor);

}  // namespace sb::media
