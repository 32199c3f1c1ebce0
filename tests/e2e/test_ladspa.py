"""LADSPA plugins from Debian (ladspa-sdk, swh-plugins; installed by make
check) hosted by dspd: the output equals what ladspa-sdk's own host,
applyplugin, makes of the same file; parameter changes on a running dspd
take effect; bad labels and values are refused with clear errors."""
import json
import math
import os
import random
import subprocess
import tempfile
import time

from harness import Daemon, Paths, check, device
from test_render import config, read_wav, write_wav

RATE = 48000


def test_output_matches_applyplugin():
    """1 s of a 440 Hz tone plus noise, mono 16-bit, through swh's
    Butterworth low-pass (1 kHz) and ladspa-sdk's amplifier (x0.5): dspd's
    render and applyplugin's agree within one 16-bit step."""
    rng = random.Random(7)
    frames = [(int(8000 * math.sin(2 * math.pi * 440 * i / RATE) + rng.randint(-6000, 6000)),)
              for i in range(RATE)]
    cases = [
        ("butterworth_1902.so", "buttlow_iir", {"Cutoff Frequency (Hz)": 1000, "Resonance": 0.7},
         ["1000", "0.7"]),
        ("amp.so", "amp_mono", {"Gain": 0.5}, ["0.5"]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.wav")
        write_wav(src, RATE, 1, frames)
        for library, label, controls, args in cases:
            ours, theirs = os.path.join(tmp, "dspd.wav"), os.path.join(tmp, "apply.wav")
            conf = config(tmp, capture={"device": "null", "channels": 1, "format": "S16_LE"},
                          playback={"device": "null", "channels": 1, "format": "S16_LE"},
                          pipeline=[{"type": "ladspa", "name": "p", "label": label,
                                     "library": library, "controls": controls}])
            p = subprocess.run([Paths.dspd, "--render", "-c", conf, src, ours],
                               capture_output=True, text=True)
            check(p.returncode == 0, "render: %s" % p.stderr)
            p = subprocess.run(["applyplugin", src, theirs, "/usr/lib/ladspa/" + library, label] + args,
                               capture_output=True, text=True)
            check(p.returncode == 0, "applyplugin: %s" % p.stderr)
            a, b = read_wav(ours)[0][0], read_wav(theirs)[0][0]
            n = min(len(a), len(b))
            worst = max(abs(a[i] - b[i]) for i in range(n))
            energy = math.sqrt(sum(v * v for v in a[:n]) / n)
            print("    %s: %d frames, largest difference %d (16-bit steps), output RMS %.0f"
                  % (label, n, worst, energy))
            check(n >= RATE - 1024, "only %d frames compared" % n)
            check(worst <= 1, "%s differs from applyplugin by %d steps" % (label, worst))
            check(energy > 100, "%s output is silent" % label)


def test_live_plugin_and_errors():
    """On a running dspd: add ladspa-sdk's stereo amplifier at gain 0.5
    (-6 dB), set it to 0.25 (-12 dB), take it out; a wrong label, an
    unknown control and an out-of-range gain are refused saying why."""
    d = Daemon("ladspa", fmt="FLOAT_LE", period=256, periods=8)
    d.cfg["capture"]["device"] = device("dspdtest_sine")
    d.write_config(d.cfg)
    try:
        d.start()
        time.sleep(0.5)

        def playback_peak():
            # once the change is heard (a new plugin warms up 0.2 s unheard)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                st = d.ctl("status")
                if (st["transition"]["state"] == "idle" and not st["transition"]["pending"]
                        and st["config"]["generation"] == st["config"]["active_generation"]):
                    break
                time.sleep(0.02)
            time.sleep(0.4)       # a first call's window: the last 300 ms
            return d.ctl("levels")["playback"][0]["peak_dbfs"]

        base = playback_peak()
        d.ctl("effect", "add", "ladspa", "amp", "label=amp_stereo", 'controls={"Gain": 0.5}')
        half = playback_peak()
        d.ctl("effect", "set", "amp", "controls/Gain=0.25")
        quarter = playback_peak()
        d.ctl("effect", "remove", "amp")
        back = playback_peak()
        print("    peak %.2f -> %.2f -> %.2f -> %.2f dBFS" % (base, half, quarter, back))
        check(abs(half - base + 6.02) < 0.1 and abs(quarter - base + 12.04) < 0.1 and
              abs(back - base) < 0.1, "levels did not follow the plugin's gain")
        p = d.ctl("effect", "add", "ladspa", "x", "label=no_such_plugin", json_out=False, expect_rc=5)
        check("no_such_plugin" in p.stderr and "plugins" in p.stderr, "bad label: %r" % p.stderr)
        p = d.ctl("effect", "add", "ladspa", "x", "label=amp_stereo", 'controls={"Volume": 1}',
                  json_out=False, expect_rc=5)
        check("Volume" in p.stderr and "Gain" in p.stderr, "unknown control: %r" % p.stderr)
        p = d.ctl("effect", "add", "ladspa", "x", "label=amp_stereo", 'controls={"Gain": -1}',
                  json_out=False, expect_rc=5)
        check("Gain" in p.stderr and "-1" in p.stderr, "out of range: %r" % p.stderr)
        p = d.ctl("effect", "add", "ladspa", "x", "label=amp_mono", "library=../amp.so",
                  json_out=False, expect_rc=5)
        check("library" in p.stderr, "a path as library: %r" % p.stderr)
        out = d.ctl("plugins", "amp_stereo")
        check(out["plugins"][0]["audio_inputs"] == 2, "plugins: %s" % out)
        d.stop()
    finally:
        d.cleanup()


def test_latency_port_compensated():
    """swh's fast lookahead limiter reports its lookahead on its output
    control port "latency" (240 frames at 48 kHz).  dspd reads it: an
    impulse through 4 channels with the limiter on [0, 1] only leaves all
    four channels at the same frame, 240 after it went in (the other two
    are delayed to match); a running dspd counts it in the block's, the
    pipeline's and status's latency and lists the alignment.  Before, the
    limiter's channels came out 240 frames behind the others and every
    latency said 0."""
    limiter = {"type": "ladspa", "name": "lim", "label": "fastLookaheadLimiter",
               "library": "fast_lookahead_limiter_1913.so", "channels": [0, 1]}
    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "in.wav"), os.path.join(tmp, "out.wav")
        frames = [(0, 0, 0, 0)] * 4800
        frames[1000] = (16000, 16000, 16000, 16000)
        write_wav(src, RATE, 4, frames)
        conf = config(tmp, capture={"device": "null", "channels": 4, "format": "S16_LE"},
                      playback={"device": "null", "channels": 4, "format": "S16_LE"},
                      pipeline=[limiter])
        p = subprocess.run([Paths.dspd, "--render", "-c", conf, src, out],
                           capture_output=True, text=True)
        check(p.returncode == 0, "render: %s" % p.stderr)
        chans = read_wav(out)[0]
        peaks = [max(range(len(c)), key=lambda i: abs(c[i])) for c in chans]
        print("    impulse at 1000 comes out at %s" % peaks)
        check(peaks == [1240] * 4, "channels not aligned at 1000 + 240: %s" % peaks)
        check(all(abs(c[1240] - 16000) <= 2 for c in chans),
              "impulse altered: %s" % [c[1240] for c in chans])

    d = Daemon("ladspalat", fmt="FLOAT_LE", period=256, periods=8, channels=4)
    d.cfg["capture"]["device"] = device("dspdtest_sine")
    d.cfg["pipeline"] = [limiter]
    d.write_config(d.cfg)
    try:
        d.start()
        st = d.ctl("status")
        pl = d.ctl("pipeline")
        blocks = pl["blocks"]
        print("    status latency %d (pipeline %d); blocks %s"
              % (st["latency_frames"], st["pipeline_latency_frames"],
                 [(b["name"], b["latency_frames"], b.get("delay_frames")) for b in blocks]))
        check(blocks[0]["name"] == "lim" and blocks[0]["latency_frames"] == 240,
              "limiter block %s" % blocks[0])
        check(len(blocks) == 2 and blocks[1]["type"] == "align" and
              blocks[1]["delay_frames"] == [0, 0, 240, 240], "alignment %s" % blocks[1:])
        check(pl["latency_frames"] == 240 and st["pipeline_latency_frames"] == 240,
              "pipeline latency %d, status %d" % (pl["latency_frames"], st["pipeline_latency_frames"]))
        d.ctl("effect", "remove", "lim")
        deadline = time.monotonic() + 5
        while d.ctl("pipeline")["blocks"] and time.monotonic() < deadline:
            time.sleep(0.05)
        without = d.ctl("status")
        check(st["latency_frames"] - without["latency_frames"] == 240 and
              without["pipeline_latency_frames"] == 0 and d.ctl("pipeline")["blocks"] == [],
              "status latency %d with the plugin, %d without"
              % (st["latency_frames"], without["latency_frames"]))
        d.stop()
    finally:
        d.cleanup()
