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
