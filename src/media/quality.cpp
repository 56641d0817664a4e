#include "media/quality.hpp"

#include <algorithm>
#include <cmath>

namespace sb::media {
namespace {

// G.107 with every parameter at its default (Table 3: SLR 8, RLR 2, Ds 3, Nc -70 dBm0p, room
// noise 35 dB(A), TELR 65 dB, ...) gives R = 93.2: Ro - Is with the default talker-echo and
// listener-echo terms. Only Idd and Ie,eff vary on our calls.
constexpr double kDefaultRFactor = 93.2;

// G.113 Appendix I, Table I.1: G.711 has Ie = 0 (it is the reference), so Ie,eff comes from loss
// alone; Table I.3 gives its packet-loss robustness factor Bpl.
constexpr double kG711Ie = 0;
constexpr double kG711BplWithAppendixIConcealment = 25.1;
constexpr double kG711BplWithoutConcealment = 4.3;

// G.107: Idd = 0 for Ta <= mT (100 ms), else 25·{(1 + X^6)^(1/6) - 3·(1 + (X/3)^6)^(1/6) + 2}
// with X = lg(Ta/mT) / lg 2 (sT = 1, mT = 100 ms by default).
constexpr double kDelayThresholdMs = 100;
// Idd tends to 50 as the delay grows; past 100 s it is there, and the cap keeps pow() finite.
constexpr double kMaxDelayMs = 100'000;

// Statistics can be missing (NaN), negative or absurd on a broken stream; the estimate must stay
// a number.
double sane(double value, double max) {
  return value > 0 ? std::min(value, max) : 0.0;
}

}  // namespace

double delayImpairment(double oneWayDelayMs) {
  if (!(oneWayDelayMs > kDelayThresholdMs)) return 0;
  const double x = std::log2(std::min(oneWayDelayMs, kMaxDelayMs) / kDelayThresholdMs);
  return 25.0 * (std::pow(1.0 + std::pow(x, 6.0), 1.0 / 6.0) -
                 3.0 * std::pow(1.0 + std::pow(x / 3.0, 6.0), 1.0 / 6.0) + 2.0);
}

double lossImpairment(double lossPercent, LossConcealment concealment) {
  const double bpl = concealment == LossConcealment::kG711AppendixI
                         ? kG711BplWithAppendixIConcealment
                         : kG711BplWithoutConcealment;
  // G.107: Ie,eff = Ie + (95 - Ie)·Ppl / (Ppl/BurstR + Bpl), BurstR = 1 for random loss.
  constexpr double kBurstRatio = 1;
  const double ppl = sane(lossPercent, 100.0);
  return kG711Ie + (95.0 - kG711Ie) * ppl / (ppl / kBurstRatio + bpl);
}

double mosFromRFactor(double rFactor) {
  if (!(rFactor > 0)) return 1.0;
  if (rFactor >= 100) return 4.5;
  // G.107 Annex B (B-4). Below R ≈ 6.5 the cubic dips under 1, hence the clamp.
  const double mos = 1.0 + 0.035 * rFactor + rFactor * (rFactor - 60.0) * (100.0 - rFactor) * 7e-6;
  return std::clamp(mos, 1.0, 4.5);
}

QualityEstimate estimateQuality(const QualityInputs& inputs) {
  const double oneWayDelayMs = sane(inputs.roundTripMs, kMaxDelayMs) / 2.0 +
                               sane(inputs.jitterMs, kMaxDelayMs) +
                               sane(inputs.packetMs, kMaxDelayMs);
  const double lossPercent = 100.0 * sane(inputs.lossFraction, 1.0);
  const double r = kDefaultRFactor - delayImpairment(oneWayDelayMs) -
                   lossImpairment(lossPercent, inputs.concealment);
  const double rFactor = std::clamp(r, 0.0, 100.0);
  return QualityEstimate{rFactor, mosFromRFactor(rFactor)};
}

}  // namespace sb::media
