"""Offline rendering (`dspd --render`): the same pipeline and master volume
as the live engine, file to file and raw stdin to stdout."""

import array
import json
import math
import os
import random
import struct
import subprocess
import tempfile
import time
import wave

from harness import ROOT, Paths, check


def config(tmp, **over):
    cfg = {"rate": 48000, "period_frames": 256,
           "capture": {"device": "null", "channels": 2, "format": "S16_LE"},
           "playback": {"device": "null", "channels": 2, "format": "S16_LE"},
           "pipeline": []}
    cfg.update(over)
    path = os.path.join(tmp, "render.conf")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


def write_wav(path, rate, channels, frames):
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<" + "h" * channels, *f) for f in frames))


def read_wav(path):
    with wave.open(path, "rb") as w:
        ch = w.getnchannels()
        data = array.array("h", w.readframes(w.getnframes()))
    return [data[c::ch] for c in range(ch)], w.getframerate()


def rms(x):
    return math.sqrt(sum(v * v for v in x) / len(x))


def test_render_wav_applies_pipeline_and_volume():
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.wav"), os.path.join(tmp, "out.wav")
        frames = [(int(16000 * math.sin(2 * math.pi * 1000 * i / 48000)),) * 2 for i in range(48000)]
        write_wav(src, 48000, 2, frames)
        conf = config(tmp, volume={"db": -6.0},
                      pipeline=[{"type": "gain", "name": "right", "db": -6.0, "channels": [1]}])
        p = subprocess.run([Paths.dspd, "--render", "-c", conf, src, dst], capture_output=True, text=True)
        check(p.returncode == 0, "render failed: %s" % p.stderr)
        check("rendered 48000 frames" in p.stderr, "no summary: %s" % p.stderr)
        (left, right), rate = read_wav(dst)
        check(rate == 48000 and len(left) == 48000, "output %d Hz %d frames" % (rate, len(left)))
        ref = rms([f[0] for f in frames])
        dl, dr = 20 * math.log10(rms(left) / ref), 20 * math.log10(rms(right) / ref)
        check(abs(dl + 6.0) < 0.01 and abs(dr + 12.0) < 0.01, "levels %.3f / %.3f dB" % (dl, dr))


def test_render_raw_is_bit_exact_at_unity():
    with tempfile.TemporaryDirectory() as tmp:
        conf = config(tmp, capture={"device": "null", "channels": 2, "format": "S32_LE"},
                      playback={"device": "null", "channels": 2, "format": "S32_LE"})
        rnd = random.Random(7)
        # 24 significant bits: what a float pipeline carries exactly
        samples = [rnd.randrange(-(1 << 23), 1 << 23) << 8 for _ in range(2 * 10007)]
        raw = struct.pack("<%di" % len(samples), *samples)
        p = subprocess.run([Paths.dspd, "--render", "-c", conf, "-", "-"], input=raw, capture_output=True)
        check(p.returncode == 0, "raw render failed: %s" % p.stderr)
        check(p.stdout == raw, "raw S32_LE at 0 dB is not bit-exact (%d vs %d bytes)" % (len(p.stdout), len(raw)))


def test_render_refuses_mismatches():
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.wav"), os.path.join(tmp, "out.wav")
        write_wav(src, 44100, 2, [(0, 0)] * 100)
        p = subprocess.run([Paths.dspd, "--render", "-c", config(tmp), src, dst], capture_output=True, text=True)
        check(p.returncode == 1 and "44100 Hz" in p.stderr and "does not resample" in p.stderr,
              "rate mismatch: %d %s" % (p.returncode, p.stderr))
        write_wav(src, 48000, 1, [(0,)] * 100)
        p = subprocess.run([Paths.dspd, "--render", "-c", config(tmp), src, dst], capture_output=True, text=True)
        check(p.returncode == 1 and "1 channels" in p.stderr, "channel mismatch: %s" % p.stderr)
        p = subprocess.run([Paths.dspd, "--render", "-c", config(tmp), src], capture_output=True, text=True)
        check(p.returncode == 2, "missing OUT: exit %d" % p.returncode)


def test_example_configs_are_valid():
    """Every shipped example passes the full check (blocks built too) as
    it is in the checkout: relative IR paths are the config file's
    directory's, whatever the working directory (issue 18)."""
    ex = os.path.join(ROOT, "etc", "examples")
    names = sorted(n for n in os.listdir(ex) if n.endswith(".conf"))
    check(len(names) >= 3, "examples: %s" % names)
    relative = [n for n in names if '"path": "room' in open(os.path.join(ex, n)).read()]
    check(len(relative) >= 2, "examples with a relative IR path: %s" % relative)
    with tempfile.TemporaryDirectory() as tmp:
        for n in names:
            for conf, cwd in ((os.path.join(ex, n), tmp),
                              (os.path.relpath(os.path.join(ex, n), ROOT), ROOT)):
                p = subprocess.run([os.path.abspath(Paths.dspd), "--check-config", "-c", conf],
                                   capture_output=True, text=True, cwd=cwd)
                check(p.returncode == 0, "%s (from %s) rejected: %s" % (conf, cwd, p.stderr))


def test_render_loudness_comp_follows_volume():
    """loudness_comp reads the master volume: at volume -45 dB with the
    reference at -25 dB a 30 Hz tone comes out ~7 dB above -45 dB; a
    1 kHz tone is untouched by the boost."""
    with tempfile.TemporaryDirectory() as tmp:
        out = {}
        for freq in (30, 1000):
            src, dst = os.path.join(tmp, "in.wav"), os.path.join(tmp, "out%d.wav" % freq)
            write_wav(src, 48000, 2, [(int(16000 * math.sin(2 * math.pi * freq * i / 48000)),) * 2
                                      for i in range(96000)])
            conf = config(tmp, volume={"db": -45.0},
                          pipeline=[{"type": "loudness_comp", "name": "lc", "reference_db": -25,
                                     "low_boost_db": 8, "high_boost_db": 6}])
            p = subprocess.run([Paths.dspd, "--render", "-c", conf, src, dst], capture_output=True, text=True)
            check(p.returncode == 0, "render: %s" % p.stderr)
            (left, _), _ = read_wav(dst)
            ref = 16000 / math.sqrt(2)
            out[freq] = 20 * math.log10(rms(left[48000:]) / ref)
        print("    30 Hz %+.2f dB, 1 kHz %+.2f dB (volume -45 dB)" % (out[30], out[1000]))
        check(abs(out[1000] + 45.0) < 0.3, "1 kHz %.2f dB, want -45" % out[1000])
        check(6.5 < out[30] + 45.0 < 8.01, "30 Hz boost %.2f dB, want ~+7.7" % (out[30] + 45.0))


def test_fftw_wisdom_kept_across_restarts():
    """fftw_wisdom: the first run measures the FIR's FFT plans and saves
    them (within 5 s); the next start reads them, plans at once and has
    nothing new to write.  Start-up times are printed."""
    from harness import Daemon
    if Paths.quick:
        return "skipped: start-up planning, not a sanitizer matter"
    d = Daemon("wisdom", period=1024)
    wisdom = os.path.join(d.dir, "fftw-wisdom")
    ir = os.path.join(d.dir, "ir.f32")
    taps = array.array("f", [0.0] * 65536)
    taps[0] = 1.0
    with open(ir, "wb") as f:
        taps.tofile(f)
    d.cfg["pipeline"] = [{"type": "fir", "name": "room", "path": ir, "format": "f32le",
                          "partitioning": "non_uniform"}]
    d.cfg["fftw_wisdom"] = wisdom
    d.write_config(d.cfg)
    try:
        times = []
        for run in range(2):
            t0 = time.monotonic()
            d.start()
            times.append(time.monotonic() - t0)
            if run == 0:
                deadline = time.monotonic() + 8
                while not os.path.exists(wisdom) and time.monotonic() < deadline:
                    time.sleep(0.1)
                check(os.path.exists(wisdom), "no wisdom written within 8 s")
                with open(wisdom) as f:
                    check(f.read().startswith("(fftw-3"), "not FFTW wisdom")
                saved = os.stat(wisdom).st_mtime_ns
            else:
                time.sleep(6)
                check(os.stat(wisdom).st_mtime_ns == saved,
                      "the second run rewrote the wisdom: it planned something new")
            d.stop()
        print("  start to ready: %.2f s measuring the plans, %.2f s with the wisdom"
              % tuple(times))
        check("FFTW wisdom" not in d.log, "wisdom warnings:\n" + d.log)
    finally:
        d.cleanup()


def fir_render_config(tmp, wisdom=None):
    """Two FIR blocks (one a channel) of 20000 random taps, non-uniform
    from a 256-frame partition (FFTs of 512, 2048 and 8192 points); float
    output, so a WAV gets libsndfile's PEAK chunk."""
    rnd = random.Random(19)
    for c in range(2):
        a = array.array("f", [rnd.gauss(0, 0.05) * math.exp(-i / 4000) for i in range(20000)])
        a[0] = 0.5
        with open(os.path.join(tmp, "ir%d.f32" % c), "wb") as f:
            a.tofile(f)
    over = {"period_frames": 1000,
            "capture": {"device": "null", "channels": 2, "format": "FLOAT_LE"},
            "playback": {"device": "null", "channels": 2, "format": "FLOAT_LE"},
            "pipeline": [{"type": "fir", "name": "f%d" % c, "path": os.path.join(tmp, "ir%d.f32" % c),
                          "format": "f32le", "partition": 256, "channels": [c]} for c in range(2)]}
    if wisdom:
        over["fftw_wisdom"] = wisdom
    return config(tmp, **over)


def plan_counts(stderr):
    """{"from wisdom": n, "measured": n, "estimated": n} of the render's
    "FFT plans:" line."""
    line = [l for l in stderr.splitlines() if "FFT plans:" in l]
    check(len(line) == 1, "no FFT plans line:\n%s" % stderr)
    counts = {}
    for part in line[0].split("FFT plans:")[1].split(","):
        words = part.split()
        if words[0].isdigit():
            counts[" ".join(words[1:])] = int(words[0])
    return counts


def render_file(conf, src, dst):
    p = subprocess.run([Paths.dspd, "--render", "-c", conf, src, dst], capture_output=True, text=True)
    check(p.returncode == 0, "render failed: %s" % p.stderr)
    with open(dst, "rb") as f:
        return f.read(), p.stderr


def next_second():
    """Sleep into the next second of the wall clock: a time stamp written
    by a render would differ from the last one's."""
    time.sleep(1.0 - time.time() % 1.0 + 0.02)


def test_render_twice_is_bit_identical():
    """Two renders of the same FIR configuration and input give the same
    file byte for byte, whatever second they run in (issue 19).  Without
    fftw_wisdom every FFT size is estimated (the same plan every run); in
    a directory dspd cannot write the same.  With fftw_wisdom, run 1
    measures the new sizes and writes them to the file before the audio;
    run 2 takes every plan from it and has nothing to write.  Before: each
    run without a wisdom file measured its own plans (the last bits
    differed between runs most of the time), and a float WAV carried the
    time of writing in its PEAK chunk."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.wav")
        rnd = random.Random(5)
        write_wav(src, 48000, 2, [(rnd.randrange(-8000, 8000), rnd.randrange(-8000, 8000))
                                  for _ in range(48000)])
        dst = os.path.join(tmp, "out.wav")
        conf = fir_render_config(tmp)
        first, err = render_file(conf, src, dst)
        for run in range(3):
            next_second()
            again, _ = render_file(conf, src, dst)
            check(again == first, "run %d without fftw_wisdom differs from run 1" % (run + 2))
        counts = plan_counts(err)
        check(counts["measured"] == 0 and counts["estimated"] > 0,
              "without fftw_wisdom: %s" % counts)
        raw = array.array("f", [rnd.uniform(-0.5, 0.5) for _ in range(2 * 30011)]).tobytes()
        outs = set()
        for run in range(4):
            p = subprocess.run([Paths.dspd, "--render", "-c", conf, "-", "-"], input=raw,
                               capture_output=True)
            check(p.returncode == 0 and len(p.stdout) == len(raw), "raw render: %s" % p.stderr)
            outs.add(p.stdout)
        check(len(outs) == 1, "4 raw renders gave %d different outputs" % len(outs))

        # a wisdom file that cannot be written: estimated, as without one
        lost = os.path.join(tmp, "no-such-dir", "wisdom")
        out, err = render_file(fir_render_config(tmp, lost), src, dst)
        check(lost in err and "not writable" in err, "no warning about %s:\n%s" % (lost, err))
        check(plan_counts(err)["measured"] == 0, "measured a plan it cannot keep:\n%s" % err)
        check(out == first, "an unwritable fftw_wisdom changed the estimated output")

        wisdom = os.path.join(tmp, "wisdom")
        conf = fir_render_config(tmp, wisdom)
        first, cold = render_file(conf, src, dst)
        check(os.path.exists(wisdom), "run 1 wrote no wisdom")
        saved = os.stat(wisdom).st_mtime_ns
        for run in range(2):
            next_second()
            again, err = render_file(conf, src, dst)
            check(again == first, "run %d with the wisdom differs from run 1" % (run + 2))
            counts = plan_counts(err)
            check(counts["measured"] == 0 and counts["estimated"] == 0 and counts["from wisdom"] > 0,
                  "warm wisdom, run %d: %s" % (run + 2, counts))
        check(os.stat(wisdom).st_mtime_ns == saved, "a warm run rewrote the wisdom")
        counts = plan_counts(cold)
        check(counts["measured"] > 0 and counts["estimated"] == 0, "cold wisdom: %s" % counts)


def test_concurrent_cold_renders_take_turns_planning():
    """Two renders started together on a wisdom file that lacks their FFT
    sizes: the first to lock PATH.lock measures and writes the file, the
    other waits and takes those plans, so both outputs (raw, no header)
    are the same bit for bit and later runs give them again.  Before:
    both measured, each its own plans, and the last to write set the file
    (the outputs differed about two times in three)."""
    with tempfile.TemporaryDirectory() as tmp:
        wisdom = os.path.join(tmp, "wisdom")
        conf = fir_render_config(tmp, wisdom)
        rnd = random.Random(11)
        raw = array.array("f", [rnd.uniform(-0.5, 0.5) for _ in range(2 * 48000)]).tobytes()
        procs = [subprocess.Popen([Paths.dspd, "--render", "-c", conf, "-", "-"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(2)]
        results = [p.communicate(raw) for p in procs]
        for p, (out, err) in zip(procs, results):
            check(p.returncode == 0 and len(out) == len(raw), "render: %s" % err.decode())
        check(results[0][0] == results[1][0], "the two concurrent renders differ")
        measured = sorted(plan_counts(err.decode())["measured"] for _, err in results)
        check(measured[0] == 0 and measured[1] > 0,
              "measured %s: both planned on their own" % measured)
        p = subprocess.run([Paths.dspd, "--render", "-c", conf, "-", "-"], input=raw, capture_output=True)
        check(p.returncode == 0 and p.stdout == results[0][0], "a later run differs")
        check(plan_counts(p.stderr.decode())["measured"] == 0, "the later run measured")
