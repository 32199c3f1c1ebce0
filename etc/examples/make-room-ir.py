#!/usr/bin/env python3
"""Generate etc/examples/room-correction.wav, the impulse response used by
room-correction.conf: a -6 dB cut of Q 3 at 63 Hz (a typical room mode),
the RBJ-cookbook peaking filter's impulse response truncated to 4096 taps
with a half-Hann fade over the last quarter.  Mono, 48 kHz, 32-bit float
WAV (16 KiB).  Standard library only: python3 make-room-ir.py [OUT.wav [RATE]]
(the same filter designed for another rate: room-44100.wav and
room-48000.wav, which spdif-receiver.conf names as room-{rate}.wav)"""
import math
import os
import struct
import sys

RATE, TAPS = 48000, 4096
FREQ, GAIN_DB, Q = 63.0, -6.0, 3.0


def peaking_ir():
    a = 10 ** (GAIN_DB / 40)
    w0 = 2 * math.pi * FREQ / RATE
    alpha = math.sin(w0) / (2 * Q)
    b = [1 + alpha * a, -2 * math.cos(w0), 1 - alpha * a]
    d = [1 + alpha / a, -2 * math.cos(w0), 1 - alpha / a]
    b = [v / d[0] for v in b]
    d = [v / d[0] for v in d]
    x1 = x2 = y1 = y2 = 0.0
    out = []
    for n in range(TAPS):
        x = 1.0 if n == 0 else 0.0
        y = b[0] * x + b[1] * x1 + b[2] * x2 - d[1] * y1 - d[2] * y2
        x2, x1, y2, y1 = x1, x, y1, y
        out.append(y)
    fade = TAPS // 4
    for i in range(fade):
        out[TAPS - fade + i] *= 0.5 * (1 + math.cos(math.pi * (i + 1) / fade))
    return out


def float_wav(samples):
    data = struct.pack("<%df" % len(samples), *samples)
    fmt = struct.pack("<HHIIHHH", 3, 1, RATE, RATE * 4, 4, 32, 0)
    fact = struct.pack("<I", len(samples))
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt +
            b"fact" + struct.pack("<I", len(fact)) + fact +
            b"data" + struct.pack("<I", len(data)) + data)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def main():
    global RATE
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "room-correction.wav")
    if len(sys.argv) > 2:
        RATE = int(sys.argv[2])
    with open(out, "wb") as f:
        f.write(float_wav(peaking_ir()))


if __name__ == "__main__":
    main()
