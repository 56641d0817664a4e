"""Audio checks for the system tests: tones made with SoX, detected with the Goertzel filter."""
import array
import math
import subprocess
import sys
import wave


def make_tone(path, frequency, seconds):
    """An 8 kHz 16-bit mono WAV of a sine tone at half scale."""
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", path,
                    "synth", str(seconds), "sine", str(frequency), "vol", "0.5"], check=True)


def samples(path, channel=0):
    """One channel (the first by default) of a 16-bit PCM WAV file, and its sample rate."""
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2, "16-bit PCM expected: " + path
        data = array.array("h", w.readframes(w.getnframes()))
        channels, rate = w.getnchannels(), w.getframerate()
    if sys.byteorder == "big":
        data.byteswap()
    assert channel < channels, "%s has %d channel(s)" % (path, channels)
    return data[channel::channels], rate


def tone_level(path, frequency, channel=0):
    """Power at `frequency` relative to the whole signal (of one channel), in dB: about 0 when the
    tone dominates, below -20 when it is absent. -inf for a silent or empty file."""
    x, rate = samples(path, channel)
    n = len(x)
    total = sum(v * v for v in x) / n if n else 0.0
    if total < 1.0:
        return float("-inf")
    c = 2 * math.cos(2 * math.pi * frequency / rate)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    power = (s1 * s1 + s2 * s2 - c * s1 * s2) * 2 / (n * n)
    return 10 * math.log10(power / total + 1e-12)
