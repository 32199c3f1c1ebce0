#!/usr/bin/env python3
"""Generate the eight impulse responses of four-way-crossover.conf:
xo4-{L,R}-{woofer,lowmid,highmid,tweeter}.wav, 65536 taps each, mono,
48 kHz, 32-bit float WAV (256 KiB).  Standard library only, deterministic
(no random numbers; the same Python on the same machine writes the same
bytes):

    python3 make-crossover-irs.py [--no-room] [OUTDIR]

OUTDIR defaults to this script's directory.  --no-room leaves the room
correction out (the crossover alone, same names): the four ways of a side
then add up to a pure delay of CENTRE samples, which is what
tests/e2e/test_example_crossover.py checks through dspd.

Each filter is a crossover band convolved with its side's room correction.

The crossover is linear-phase, with the magnitude of a 4th-order
Linkwitz-Riley (-6 dB at each crossover, 24 dB/octave), built as a tree so
that the four bands add up to exactly 1:
    woofer  = L1            lowmid  = H1 L2
    highmid = H1 H2 L3      tweeter = H1 H2 H3
with Li = 1 / (1 + (f/fi)^4) and Hi = 1 - Li (zero-phase magnitudes), so
woofer + lowmid + highmid + tweeter = L1 + H1 (L2 + H2 (L3 + H3)) = 1.
The zero-phase responses are brought to the time domain by an inverse FFT,
centred on tap CENTRE and tapered (the same window for all four, so the sum
stays one single tap).  Why linear phase: the ways add up to the input
delayed, flat in magnitude AND phase, where an IIR Linkwitz-Riley crossover
adds up to an all-pass (a 360-degree phase turn at each crossover, group
delay piling up in the bass).  What it costs: CENTRE samples of latency
(2048 = 42.7 ms at 48 kHz) and a little pre-ringing, short here because
24 dB/octave slopes are gentle (the 100 Hz band's impulse has decayed by
80 dB 20 ms either side of its peak).

The room correction is minimum-phase, like room-correction.wav: RBJ
peaking cuts at the room's modes (different for the left and right
speakers), applied by running the biquads over the crossover's taps.  Room
modes are minimum-phase resonances, so a minimum-phase cut removes their
ringing too, without pre-ringing.  Only cuts: boosting a null costs
headroom and fixes nothing.  A narrow cut at 40 Hz rings for about a
second, which is what the 65536 taps (1.37 s) are for; the last eighth is
faded out with a half-Hann window."""
import cmath
import math
import os
import struct
import sys

RATE, TAPS, CENTRE = 48000, 65536, 2048
CROSSOVERS = (100.0, 800.0, 4000.0)          # Hz: woofer | low-mid | high-mid | tweeter
WAYS = ("woofer", "lowmid", "highmid", "tweeter")
# (freq Hz, gain dB, Q) of each side's peaking cuts
ROOM = {
    "L": ((42.0, -6.0, 6.0), (63.0, -6.0, 3.0), (180.0, -3.0, 4.0)),
    "R": ((47.0, -5.0, 7.0), (71.0, -4.0, 3.0), (160.0, -3.0, 5.0)),
}
FFT_SIZE = 65536                              # grid of the zero-phase design
FLAT = CENTRE // 2                            # window: flat to here, then half-Hann


def fft(a, inverse=False):
    """In-place iterative radix-2 FFT of a list of complex numbers."""
    n = len(a)
    j = 0
    for i in range(1, n):
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            a[i], a[j] = a[j], a[i]
    sign = 1 if inverse else -1
    size = 2
    while size <= n:
        half = size // 2
        tw = [cmath.exp(sign * 2j * math.pi * k / size) for k in range(half)]
        for start in range(0, n, size):
            for k in range(half):
                u, v = a[start + k], a[start + k + half] * tw[k]
                a[start + k], a[start + k + half] = u + v, u - v
        size *= 2
    if inverse:
        for i in range(n):
            a[i] /= n
    return a


def band_magnitudes(f):
    """The four ways' zero-phase magnitudes at f Hz (they add up to 1)."""
    low = [1.0 / (1.0 + (f / fc) ** 4) for fc in CROSSOVERS]
    high = [1.0 - v for v in low]
    return (low[0], high[0] * low[1], high[0] * high[1] * low[2],
            high[0] * high[1] * high[2])


def crossover_kernels():
    """Each way's linear-phase kernel: 2 * CENTRE + 1 taps, peak at CENTRE."""
    spectra = [[0j] * FFT_SIZE for _ in WAYS]
    for k in range(FFT_SIZE // 2 + 1):
        mags = band_magnitudes(k * RATE / FFT_SIZE)
        for w, m in enumerate(mags):
            spectra[w][k] = spectra[w][(FFT_SIZE - k) % FFT_SIZE] = complex(m)
    window = []
    for m in range(-CENTRE, CENTRE + 1):
        d = abs(m)
        if d <= FLAT:
            window.append(1.0)
        else:
            window.append(0.5 * (1 + math.cos(math.pi * (d - FLAT) / (CENTRE - FLAT))))
    kernels = []
    for s in spectra:
        h = fft(s, inverse=True)
        kernels.append([h[m % FFT_SIZE].real * window[m + CENTRE]
                        for m in range(-CENTRE, CENTRE + 1)])
    return kernels


def peaking(freq, gain_db, q):
    """RBJ-cookbook peaking EQ, normalised (b0, b1, b2, a1, a2)."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * freq / RATE
    alpha = math.sin(w0) / (2 * q)
    a0 = 1 + alpha / a
    return ((1 + alpha * a) / a0, -2 * math.cos(w0) / a0, (1 - alpha * a) / a0,
            -2 * math.cos(w0) / a0, (1 - alpha / a) / a0)


def biquad(x, c):
    b0, b1, b2, a1, a2 = c
    x1 = x2 = y1 = y2 = 0.0
    out = []
    for v in x:
        y = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        x2, x1, y2, y1 = x1, v, y1, y
        out.append(y)
    return out


def impulse_response(kernel, side, room):
    h = kernel + [0.0] * (TAPS - len(kernel))
    if room:
        for cut in ROOM[side]:
            h = biquad(h, peaking(*cut))
    fade = TAPS // 8
    for i in range(fade):
        h[TAPS - fade + i] *= 0.5 * (1 + math.cos(math.pi * (i + 1) / fade))
    return h


def float_wav(samples):
    data = struct.pack("<%df" % len(samples), *samples)
    fmt = struct.pack("<HHIIHHH", 3, 1, RATE, RATE * 4, 4, 32, 0)
    fact = struct.pack("<I", len(samples))
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt +
            b"fact" + struct.pack("<I", len(fact)) + fact +
            b"data" + struct.pack("<I", len(data)) + data)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def file_name(side, way):
    return "xo4-%s-%s.wav" % (side, way)


def main(argv):
    room = "--no-room" not in argv
    args = [a for a in argv if a != "--no-room"]
    out_dir = args[0] if args else os.path.dirname(os.path.abspath(__file__))
    kernels = crossover_kernels()
    for side in ("L", "R"):
        for way, kernel in zip(WAYS, kernels):
            path = os.path.join(out_dir, file_name(side, way))
            with open(path, "wb") as f:
                f.write(float_wav(impulse_response(kernel, side, room)))


if __name__ == "__main__":
    main(sys.argv[1:])
