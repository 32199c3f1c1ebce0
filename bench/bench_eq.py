#!/usr/bin/env python3
"""bench_eq.py - dspd vs sox on the same input: a 10-band parametric EQ over
60 s of noise, stereo and 8 channels, float WAV file to float WAV file (both
sides pay the same file I/O).  Prints seconds and the throughput ratio
dspd/sox from this one run (best of 3 each).  Target: >= 3x sox."""

import json
import os
import subprocess
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FREQS = [31, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000]


def best_of_3(cmd):
    best = None
    for _ in range(3):
        t0 = time.monotonic()
        subprocess.run(cmd, check=True, capture_output=True)
        t = time.monotonic() - t0
        best = t if best is None or t < best else best
    return best


def main():
    with tempfile.TemporaryDirectory(prefix="dspd-bench-eq-") as d:
        for ch in (2, 8):
            src = os.path.join(d, "in%d.wav" % ch)
            subprocess.run(["sox", "-n", "-r", "48000", "-c", str(ch), "-e", "floating-point",
                            "-b", "32", src, "synth", "60", "whitenoise", "vol", "0.3"], check=True)
            bands, sox_eq = [], []
            for i, f in enumerate(FREQS):
                g = 3 if i % 2 == 0 else -3
                bands.append({"kind": "peaking", "freq": f, "q": 1.4, "gain_db": g})
                sox_eq += ["equalizer", str(f), "1.4q", str(g)]
            conf = os.path.join(d, "eq%d.conf" % ch)
            with open(conf, "w") as fh:
                json.dump({"rate": 48000, "period_frames": 1024,
                           "capture": {"device": "null", "channels": ch, "format": "FLOAT_LE"},
                           "playback": {"device": "null", "channels": ch, "format": "FLOAT_LE"},
                           "pipeline": [{"type": "peq", "name": "eq", "bands": bands}]}, fh)
            t_dspd = best_of_3([os.path.join(TOP, "daemon", "dspd"), "--render", "-c", conf,
                                src, os.path.join(d, "out_dspd.wav")])
            t_sox = best_of_3(["sox", src, "-e", "floating-point", "-b", "32",
                               os.path.join(d, "out_sox.wav")] + sox_eq)
            print("10-band PEQ, %d ch, 60 s: dspd %.3f s, sox %.3f s -> dspd is %.1fx sox"
                  % (ch, t_dspd, t_sox, t_sox / t_dspd))


if __name__ == "__main__":
    main()
