"""A short tour of everything dspd does, for slow instrumented builds
(valgrind memcheck: make valgrind-check) as much as for the others: start,
status, gain, levels, a recording, live edits of a pipeline with every
block family, a reload, a subscription, a clean stop."""
import json
import os
import signal
import time

from harness import Daemon, check, read_f32


def test_smoke_tour():
    d = Daemon("smoke", fmt="S32_LE", period=2048, periods=4)
    d.cfg["pipeline"] = [
        {"type": "gain", "name": "trim", "db": -1},
        {"type": "peq", "name": "eq", "bands": [
            {"kind": "peaking", "freq": 1000, "q": 1, "gain_db": -2},
            {"kind": "highpass", "freq": 30, "q": 0.707}]},
        {"type": "fir", "name": "smooth", "values": [0.25, 0.5, 0.25]},
        {"type": "delay", "name": "align", "value": 1.5, "unit": "ms"},
        {"type": "compressor", "name": "comp", "threshold_db": -20, "ratio": 2},
        {"type": "limiter", "name": "safety", "ceiling_db": -1},
        {"type": "meter", "name": "out"},
    ]
    d.write_config(d.cfg)
    try:
        d.start()
        st = d.ctl("status")
        check(st["state"] == "running", "state %s" % st["state"])
        d.ctl("set", "gain", "-3")
        wav = os.path.join(d.dir, "rec.wav")
        d.ctl("record", "--tap", "playback", "--seconds", "0.2", wav, json_out=False)
        check(os.path.getsize(wav) > 44, "empty recording")
        d.ctl("effect", "set", "eq", "bands/0/gain_db=-4")
        d.ctl("effect", "add", "gain", "extra", "db=-1", "--after", "trim")
        d.ctl("effect", "bypass", "comp")
        d.ctl("effect", "remove", "extra")
        d.ctl("config", "patch", "replace", "/pipeline/3/value", "2")
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while d.ctl("status")["config"]["source"] != "file" and time.monotonic() < deadline:
            time.sleep(0.05)
        check(d.ctl("status")["config"]["source"] == "file", "SIGHUP did not reload")
        lv = d.ctl("levels")
        check("out" in lv["taps"], "meter tap missing: %s" % lv["taps"].keys())
        d.stop()
    finally:
        d.cleanup()
