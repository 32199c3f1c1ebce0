"""pipeline.response and `dspctl response` against an independent
computation (tests/e2e/response_ref.py, run by /usr/bin/python3 with numpy
and scipy): every block type's own response against the same filter
designed in Python (RBJ cookbook, scipy.signal.butter, the taps' DTFT, the
ideal delay) through scipy.signal.sosfreqz / group_delay; the whole
pipeline, and the example configurations in etc/examples/, against the
DTFT of an impulse rendered through `dspd --render`.  Required:
<= 0.01 dB and <= 0.1 degrees from 10 Hz to 0.45 x the rate, and the
group delay, wherever the reference is above a floor: -120 dB for the
designed coefficients (both sides are double: only a deep stopband's
rounding is left out), -80 dB below the curve's peak for the render (its
float samples carry about 1e-7 of the peak as rounding noise, which is
0.01 dB of a level 60 dB down; at -80 dB the check still holds; the
group delay, a derivative whose noise the DTFT of n x[n] weights by the
sample index, from 50 dB below the peak).
Also: a proposed `config` measured without touching the running one,
the monitor socket, a long FIR computed off the event loop (a second one
meanwhile refused as busy, status answered meanwhile), bad parameters
refused naming the field, and the audio running on without an xrun."""

import json
import math
import os
import re
import subprocess
import tempfile
import time

from harness import ROOT, Daemon, Paths, check, load_jsonc, raw_request

PY = "/usr/bin/python3"
REF = os.path.join(ROOT, "tests", "e2e", "response_ref.py")
EXAMPLES = os.path.join(ROOT, "etc", "examples")
RATE = 48000
DB_TOL, DEG_TOL = 0.01, 0.1
GD_TOL_SAMPLES = 0.01
FLOOR_DESIGN_DB = -120.0
FLOOR_RENDER_BELOW_PEAK_DB = 70.0
GD_FLOOR_RENDER_BELOW_PEAK_DB = 50.0
IMPULSE = 0.01            # -40 dBFS: dynamics stay in their small-signal range
RENDER_FRAMES = 131072
PREROLL = 9600            # 0.2 s of silence first: a plugin settles its
                          # coefficients in its first runs, as the daemon's
                          # blocks have before they are heard


def skip_reason():
    p = subprocess.run([PY, "-c", "import numpy, scipy"], capture_output=True)
    return None if p.returncode == 0 else "skipped: /usr/bin/python3 has no numpy/scipy"


def log_freqs(n=120, rate=RATE):
    top = 0.45 * rate
    return [10.0 * (top / 10.0) ** (i / (n - 1)) for i in range(n)]


def ref(job):
    p = subprocess.run([PY, REF], input=json.dumps(job), capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, "response_ref.py failed: %s" % p.stderr)
    return json.loads(p.stdout)


def response(d, *args):
    """dspctl response --json with the given options."""
    return d.ctl("response", "--json", *args, timeout=60)


def freqs_arg(freqs):
    return ",".join("%.10g" % f for f in freqs)


class Errors:
    """The largest differences seen, per what (block type, example)."""
    table = {}

    @classmethod
    def note(cls, what, db, deg, gd):
        old = cls.table.get(what, (0, 0, 0))
        cls.table[what] = (max(old[0], db), max(old[1], deg), max(old[2], gd))

    @classmethod
    def show(cls):
        for what, (db, deg, gd) in sorted(cls.table.items()):
            print("    %-28s max %.2e dB  %.2e deg  %.2e samples" % (what, db, deg, gd))


def compare(got, want, what, freqs, rate, floor_db, offset_db=0.0, gd_floor_db=None,
            db_tol=DB_TOL, deg_tol=DEG_TOL, gd_tol=GD_TOL_SAMPLES):
    """got (the daemon's curve) against want (the reference) where want is
    above floor_db (the group delay above gd_floor_db, default the same);
    offset_db is added to got (the master volume, which is not part of the
    pipeline's response)."""
    gd_floor_db = floor_db if gd_floor_db is None else gd_floor_db
    worst = [0.0, 0.0, 0.0]
    compared = 0
    for i, f in enumerate(freqs):
        w_db = want["db"][i]
        if w_db is None or w_db < floor_db:
            continue
        g_db = got["db"][i]
        check(g_db is not None, "%s at %.1f Hz: no value, reference %.2f dB" % (what, f, w_db))
        ddb = abs(g_db + offset_db - w_db)
        dph = abs((got["phase_deg"][i] - want["phase_deg"][i] + 180.0) % 360.0 - 180.0)
        dgd = abs(got["group_delay_ms"][i] - want["group_delay_ms"][i]) * rate / 1000.0
        if w_db < gd_floor_db:
            dgd = 0.0             # the derivative's noise floor is higher
        worst = [max(worst[0], ddb), max(worst[1], dph), max(worst[2], dgd)]
        check(ddb <= db_tol, "%s at %.1f Hz: %.4f dB, reference %.4f dB" % (what, f, g_db + offset_db, w_db))
        check(dph <= deg_tol, "%s at %.1f Hz: phase %.3f, reference %.3f degrees"
              % (what, f, got["phase_deg"][i], want["phase_deg"][i]))
        tol = gd_tol + 1e-4 * abs(want["group_delay_ms"][i]) * rate / 1000.0
        check(dgd <= tol, "%s at %.1f Hz: group delay %.5f ms, reference %.5f ms"
              % (what, f, got["group_delay_ms"][i], want["group_delay_ms"][i]))
        compared += 1
    check(compared >= len(freqs) // 3, "%s: only %d of %d points above the floor" % (what, compared, len(freqs)))
    Errors.note(what, *worst)
    return worst


def render_curves(cfg, freqs, inputs=None, drop=()):
    """The pipeline of cfg rendered (raw FLOAT_LE) from an impulse on the
    given input channels (default all): each output channel's curve by the
    DTFT of what came out, divided by the impulse's height.  Blocks whose
    type is in drop are left out (dither: noise, not a response)."""
    cfg = json.loads(json.dumps(cfg))
    n_in, n_out = cfg["capture"]["channels"], cfg["playback"]["channels"]
    cfg["capture"] = {"device": "null", "channels": n_in, "format": "FLOAT_LE"}
    cfg["playback"] = {"device": "null", "channels": n_out, "format": "FLOAT_LE"}
    cfg["pipeline"] = [b for b in cfg["pipeline"] if b["type"] not in drop]
    for key in ("control", "source", "rate_adjust", "silence", "resampler"):
        cfg.pop(key, None)
    if isinstance(cfg.get("volume"), dict):
        cfg["volume"] = {k: v for k, v in cfg["volume"].items() if k in ("db",)}
    inputs = range(n_in) if inputs is None else inputs
    import array
    raw = array.array("f", [0.0] * ((PREROLL + RENDER_FRAMES) * n_in))
    for c in inputs:
        raw[PREROLL * n_in + c] = IMPULSE
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "render.conf")
        with open(path, "w") as f:
            json.dump(cfg, f)
        out = os.path.join(tmp, "out.f32")
        with open(out, "wb") as f:
            p = subprocess.run([Paths.dspd, "--render", "-c", path, "-", "-"], input=raw.tobytes(),
                               stdout=f, stderr=subprocess.PIPE, timeout=300)
        check(p.returncode == 0, "render failed: %s" % p.stderr.decode())
        curves = ref({"kind": "render", "file": out, "channels": n_out, "rate": cfg["rate"],
                      "freqs": freqs, "skip": PREROLL})
    for c in curves:
        c["db"] = [None if v is None else v - 20 * math.log10(IMPULSE) for v in c["db"]]
    return curves


def render_floor(curve, below=None):
    peak = max(v for v in curve["db"] if v is not None)
    return peak - (FLOOR_RENDER_BELOW_PEAK_DB if below is None else below)


def compare_render(got, want, what, freqs, rate, offset_db=0.0, **tol):
    compare(got, want, what, freqs, rate, render_floor(want), offset_db,
            gd_floor_db=render_floor(want, GD_FLOOR_RENDER_BELOW_PEAK_DB), **tol)


# ---- every block type --------------------------------------------------------

FIR_TAPS = [0.02, -0.05, 0.11, 0.3, 0.55, 0.3, 0.11, -0.05, 0.02, 0.013, -0.007, 0.004]
GEQ_BANDS = [1.5, -2.0, 0.0, 3.0, -1.0, 2.5, -3.5, 1.0, 0.5, -2.0]

BLOCKS = [
    {"type": "gain", "name": "trim", "db": -3.5, "channels": [1], "invert": True},
    {"type": "biquad", "name": "lp", "kind": "lowpass", "freq": 9000, "q": 0.9},
    {"type": "biquad", "name": "hs", "kind": "highshelf", "freq": 5000, "q": 0.7, "gain_db": -4},
    {"type": "biquad", "name": "ap", "kind": "allpass", "freq": 700, "q": 1.2, "channels": [0]},
    {"type": "biquad", "name": "bp", "kind": "bandpass", "freq": 1000, "q": 0.3, "channels": [1]},
    {"type": "biquad", "name": "hp1", "kind": "highpass1", "freq": 25},
    {"type": "butterworth", "name": "bw", "kind": "highpass", "order": 3, "freq": 40},
    {"type": "linkwitz_riley", "name": "lr", "kind": "lowpass", "order": 4, "freq": 12000, "channels": [1]},
    {"type": "peq", "name": "peq", "bands": [
        {"kind": "peaking", "freq": 120, "q": 3, "gain_db": -6},
        {"kind": "lowshelf", "freq": 200, "q": 0.8, "gain_db": 3},
        {"kind": "notch", "freq": 15000, "q": 5}]},
    {"type": "geq", "name": "geq", "resolution": "octave", "bands": GEQ_BANDS},
    {"type": "fir", "name": "fir", "values": FIR_TAPS, "channels": [0]},
    {"type": "delay", "name": "dl", "value": 20.37, "unit": "samples", "channels": [0]},
    {"type": "meter", "name": "tap"},
    {"type": "compressor", "name": "comp", "threshold_db": -10, "ratio": 3, "makeup_gain_db": 2},
    {"type": "limiter", "name": "lim", "ceiling_db": -0.1, "lookahead_ms": 0.5},
    {"type": "gate", "name": "gate", "threshold_db": -70},
    {"type": "loudness_comp", "name": "lc", "reference_db": 0, "low_boost_db": 10, "high_boost_db": 5},
    {"type": "mixer", "name": "mix", "channels_in": 2, "channels_out": 2, "routes": [
        {"in": 0, "out": 0}, {"in": 1, "out": 0, "gain_db": -6}, {"in": 1, "out": 1, "invert": True}]},
    {"type": "dither", "name": "dith", "bits": 24},
]
VOLUME_DB = -10.0        # loudness_comp at half its boost


def block_reference(b, freqs):
    """The block's own curve per channel it acts on, computed in Python."""
    t = b["type"]
    if t in ("biquad", "butterworth", "linkwitz_riley", "peq", "geq"):
        return ref({"kind": "sos", "block": b, "rate": RATE, "freqs": freqs})
    if t == "gain":
        return ref({"kind": "fir", "taps": [-(10 ** (b["db"] / 20))], "rate": RATE, "freqs": freqs})
    if t == "fir":
        return ref({"kind": "fir", "taps": b["values"], "rate": RATE, "freqs": freqs})
    if t == "delay":   # the ideal delay; the block promises it up to 0.4 x the rate
        return ref({"kind": "fir", "taps": [1.0], "delay": b["value"], "rate": RATE, "freqs": freqs})
    if t == "compressor":
        return ref({"kind": "fir", "taps": [10 ** (b["makeup_gain_db"] / 20)], "rate": RATE, "freqs": freqs})
    if t == "limiter":
        return ref({"kind": "fir", "taps": [1.0], "delay": round(b["lookahead_ms"] * RATE / 1000),
                    "rate": RATE, "freqs": freqs})
    if t in ("meter", "gate", "dither"):
        return ref({"kind": "fir", "taps": [1.0], "rate": RATE, "freqs": freqs})
    if t == "loudness_comp":
        frac = min(1.0, max(0.0, (b["reference_db"] - VOLUME_DB) / 20))
        shelves = {"type": "peq", "bands": [
            {"kind": "lowshelf", "freq": 70, "q": 1 / math.sqrt(2), "gain_db": frac * b["low_boost_db"]},
            {"kind": "highshelf", "freq": 3500, "q": 1 / math.sqrt(2), "gain_db": frac * b["high_boost_db"]}]}
        return ref({"kind": "sos", "block": shelves, "rate": RATE, "freqs": freqs})
    raise AssertionError(t)


def blocks_daemon(name, **kw):
    d = Daemon(name, **kw)
    d.monitor = os.path.join(d.dir, "monitor.sock")
    d.cfg["control"]["monitor_socket"] = d.monitor
    d.cfg["pipeline"] = BLOCKS
    d.cfg["volume"] = {"db": VOLUME_DB}
    d.write_config(d.cfg)
    return d


def test_every_block_type_against_scipy():
    reason = skip_reason()
    if reason:
        return reason
    freqs = log_freqs()
    d = blocks_daemon("resp-blocks")
    try:
        d.start()
        for b in BLOCKS:
            if b["type"] == "mixer":
                continue          # its paths join channels: checked below
            got = response(d, "--block", b["name"], "--freqs", freqs_arg(freqs))
            want = block_reference(b, freqs)
            blk = got["blocks"][0]
            check(blk["type"] == b["type"], "block %s: %s" % (b["name"], blk))
            check(blk["level_dependent"] == (b["type"] in ("compressor", "limiter", "gate")),
                  "%s level_dependent %s" % (b["name"], blk["level_dependent"]))
            shown = [c["channel"] for c in got["channels"]]
            check(shown == b.get("channels", [0, 1]), "%s shows channels %s" % (b["name"], shown))
            for c in got["channels"]:
                w = want
                top = len(freqs)
                if b["type"] == "delay":
                    top = sum(1 for f in freqs if f <= 0.4 * RATE)
                    w = {k: v[:top] for k, v in want.items()}
                    c = {k: (v[:top] if isinstance(v, list) else v) for k, v in c.items()}
                compare(c, w, b["type"], freqs[:top], RATE, FLOOR_DESIGN_DB)
        # the mixer's own curves: its routes with the same signal on each input
        got = response(d, "--block", "mix", "--freqs", freqs_arg(freqs))
        g0 = 1 + 10 ** (-6 / 20.0)
        check(all(abs(v - 20 * math.log10(g0)) < 1e-4 for v in got["channels"][0]["db"]), "mix out 0")
        check(all(abs(abs(p) - 180) < 1e-9 for p in got["channels"][1]["phase_deg"]), "mix out 1 inverted")
        st = d.ctl("status")
        check(st["xruns"]["capture"] == 0 and st["xruns"]["playback"] == 0, "xruns %s" % st["xruns"])
    finally:
        d.stop()
        d.cleanup()
    Errors.show()


def test_whole_pipeline_against_render():
    """Every block in one pipeline: each output, all inputs alike and input
    1 alone, and the sum of both outputs, against a rendered impulse."""
    reason = skip_reason()
    if reason:
        return reason
    freqs = log_freqs()
    d = blocks_daemon("resp-whole")
    try:
        d.start()
        got = response(d, "--freqs", freqs_arg(freqs), "--sum", "0,1")
        check(got["level_dependent"] == ["comp", "lim", "gate"], "level_dependent %s" % got["level_dependent"])
        check([c["inputs"] for c in got["channels"]] == [[0, 1], [1]], "inputs %s" % got["channels"])
        want = render_curves(d.cfg, freqs, drop=("dither", "gate"))
        for ch in range(2):
            compare_render(got["channels"][ch], want[ch], "pipeline (render)", freqs, RATE, offset_db=VOLUME_DB)
        one = response(d, "--freqs", freqs_arg(freqs), "--input", "1")
        want1 = render_curves(d.cfg, freqs, inputs=[1], drop=("dither", "gate"))
        for ch in range(2):
            compare_render(one["channels"][ch], want1[ch], "pipeline input 1 (render)", freqs, RATE, offset_db=VOLUME_DB)
        # the sum: the two outputs' rendered samples added (a mono render)
        mono = json.loads(json.dumps(d.cfg))
        mono["pipeline"] = mono["pipeline"] + [{"type": "mixer", "name": "sum", "channels_in": 2,
                                                "channels_out": 1, "routes": [{"in": 0, "out": 0},
                                                                              {"in": 1, "out": 0}]}]
        mono["playback"] = dict(mono["playback"], channels=1)
        wsum = render_curves(mono, freqs, drop=("dither", "gate"))[0]
        compare_render(got["sum"], wsum, "sum (render)", freqs, RATE, offset_db=VOLUME_DB)
    finally:
        d.stop()
        d.cleanup()
    Errors.show()


# ---- the examples -----------------------------------------------------------

def load_example(name):
    """The example as a dict, comments stripped."""
    return load_jsonc(os.path.join(EXAMPLES, name))


def example_daemon(name):
    """A daemon on the test device with the example's rate, channels,
    volume and pipeline (its IR paths made absolute)."""
    ex = load_example(name)
    rate = ex.get("rate") if isinstance(ex.get("rate"), int) else RATE
    cap = ex["capture"].get("channels", 2)
    play = ex["playback"].get("channels", 2)
    d = Daemon("resp-ex", rate=rate, channels=cap)
    d.cfg["playback"]["channels"] = play
    pipeline = json.loads(json.dumps(ex["pipeline"]))
    for b in pipeline:
        if b["type"] == "fir" and isinstance(b.get("path"), str):
            b["path"] = os.path.join(EXAMPLES, b["path"])
    d.cfg["pipeline"] = pipeline
    if isinstance(ex.get("volume"), dict) and "db" in ex["volume"]:
        d.cfg["volume"] = {"db": ex["volume"]["db"]}
    d.write_config(d.cfg)
    return d, ex, rate


def ladspa_installed(ex):
    labels = [b["label"] for b in ex["pipeline"] if b["type"] == "ladspa"]
    return all(subprocess.run(["sh", "-c", "ls /usr/lib/ladspa/*.so >/dev/null 2>&1"]).returncode == 0
               for _ in labels)


def test_examples_against_render():
    reason = skip_reason()
    if reason:
        return reason
    names = sorted(n for n in os.listdir(EXAMPLES) if n.endswith(".conf"))
    check(len(names) >= 10, "examples: %s" % names)
    for name in names:
        d, ex, rate = example_daemon(name)
        freqs = log_freqs(100, rate)
        try:
            if any(b["type"] == "ladspa" for b in ex["pipeline"]) and not ladspa_installed(ex):
                print("    %s: no LADSPA plugins installed, not run" % name)
                continue
            d.start()
            got = response(d, "--freqs", freqs_arg(freqs))
            volume = d.cfg.get("volume", {}).get("db", 0.0)
            ladspa = [b["name"] for b in ex["pipeline"] if b["type"] == "ladspa"]
            check(set(ladspa) <= set(got["level_dependent"]), "%s: %s" % (name, got["level_dependent"]))
            want = render_curves(d.cfg, freqs, drop=("dither", "gate"))
            # a LADSPA plugin is measured (an impulse through an instance
            # of its own); swh's float IIR filters round by about 1 % of
            # the signal near a 25 Hz corner (poles that close to z = 1),
            # so two measurements of the same plugin (this one and the
            # render's) differ by up to 0.3 dB there
            tol = dict(db_tol=0.3, deg_tol=3.0, gd_tol=1.0) if ladspa else {}
            for ch, c in enumerate(got["channels"]):
                compare_render(c, want[ch], "example " + name, freqs, rate, offset_db=volume, **tol)
            st = d.ctl("status")
            # a sanitizer build (--quick) may not keep up with the larger
            # examples' FIRs at all; the release run holds the line
            check(Paths.quick or st["xruns"]["capture"] == 0 and st["xruns"]["playback"] == 0,
                  "%s: xruns %s" % (name, st["xruns"]))
        finally:
            d.stop()
            d.cleanup()
    Errors.show()


# ---- the method: a proposed config, the monitor, the loop, bad params -------

def call(sock, method="pipeline.response", params=None, rid=1):
    req = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        req["params"] = params
    return raw_request(sock, (json.dumps(req) + "\n").encode(), timeout=60)[0]


def test_proposed_config_and_monitor():
    """A proposed configuration is measured without touching the running
    one; the monitor socket answers; the answer matches dspctl's."""
    d = blocks_daemon("resp-proposed")
    try:
        d.start()
        before = d.ctl("config", "show")
        proposed = {"rate": RATE, "capture": {"channels": 2}, "playback": {"channels": 2},
                    "pipeline": [{"type": "biquad", "name": "x", "kind": "peaking", "freq": 1000,
                                  "q": 2, "gain_db": 6}]}
        r = call(d.monitor, params={"config": proposed, "freqs": [1000.0]})
        check("result" in r, "monitor: %s" % r)
        check(abs(r["result"]["channels"][0]["db"][0] - 6.0) < 1e-6, "peak %s" % r["result"])
        check(r["result"]["level_dependent"] == [], "%s" % r["result"])
        check(d.ctl("config", "show") == before, "the running configuration changed")
        # the running graph again, on the monitor socket, equals dspctl's
        r = call(d.monitor, params={"points": 16})
        via = response(d, "--points", "16")
        check(r["result"] == via, "monitor and dspctl differ")
        check(len(r["result"]["freqs"]) == 16 and r["result"]["freqs"][0] == 10
              and r["result"]["freqs"][-1] == RATE / 2, "freqs %s" % r["result"]["freqs"])
        # a proposed config naming an IR outside control.ir_dirs is refused
        bad = dict(proposed, pipeline=[{"type": "fir", "name": "f", "path": "/etc/passwd"}])
        r = call(d.socket, params={"config": bad})
        check(r.get("error", {}).get("code") == -32003, "fir outside ir_dirs: %s" % r)
        r = call(d.socket, params={"config": {"rate": "fast"}})
        check(r.get("error", {}).get("code") == -32003, "bad config: %s" % r)
    finally:
        d.stop()
        d.cleanup()


def test_bad_params_refused():
    d = blocks_daemon("resp-bad")
    try:
        d.start()
        cases = [
            ({"points": 1}, "points"), ({"points": 2001}, "points"), ({"points": 2.5}, "points"),
            ({"freqs": []}, "freqs"), ({"freqs": [0]}, "freqs"), ({"freqs": [24001]}, "freqs"),
            ({"freqs": ["1k"]}, "freqs"), ({"freqs": [100], "points": 10}, "freqs"),
            ({"fmin": 1000, "fmax": 100}, "fmin"), ({"channel": 2}, "channel"),
            ({"channel": -1}, "channel"), ({"input": 5}, "input"), ({"block": "nope"}, "block"),
            ({"block": 3}, "block"), ({"sum": [0, 0]}, "sum"), ({"sum": [0, 7]}, "sum"),
            ({"blocks": "yes"}, "blocks"), ({"config": 5}, "config"), ({"bogus": 1}, None),
        ]
        for params, field in cases:
            r = call(d.socket, params=params)
            err = r.get("error")
            check(err is not None and err["code"] == -32602, "%s: %s" % (params, r))
            if field:
                check(err["data"]["field"] == field, "%s: field %s" % (params, err["data"]))
        p = d.ctl("response", "--channel", "9", json_out=False, expect_rc=1)
        check("channel 9" in p.stderr, p.stderr)
        p = d.ctl("response", "--points", "5", "--freqs", "100", json_out=False, expect_rc=2)
        check(d.ctl("status")["state"] == "running", "not running")
    finally:
        d.stop()
        d.cleanup()


def write_f32_wav(path, taps, rate):
    import struct
    data = struct.pack("<%df" % len(taps), *taps)
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt)
        f.write(b"data" + struct.pack("<I", len(data)) + data)


def test_long_fir_off_the_loop():
    """A 131072-tap FIR at 2000 points (0.5 G multiply-adds) is computed
    on the job's thread: status is answered meanwhile, a second such
    request is refused as busy, the answer matches the taps' DTFT, and
    the audio runs on without an xrun."""
    reason = skip_reason()
    if reason:
        return reason
    d = Daemon("resp-long", period=1024)
    try:
        ir = os.path.join(d.dir, "long.wav")
        taps = [0.0] * 131072
        taps[0], taps[100], taps[131071] = 0.5, 0.25, 0.125
        write_f32_wav(ir, taps, RATE)
        os.chmod(ir, 0o644)
        d.cfg["control"]["ir_dirs"] = [d.dir]
        d.cfg["pipeline"] = [{"type": "fir", "name": "long", "path": ir}]
        d.write_config(d.cfg)
        d.start()
        freqs = [10 + i * (0.45 * RATE - 10) / 1999 for i in range(2000)]
        import socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.socket)
        t0 = time.monotonic()
        s.sendall((json.dumps({"jsonrpc": "2.0", "id": 7, "method": "pipeline.response",
                               "params": {"freqs": freqs, "channel": 0}}) + "\n").encode())
        time.sleep(0.05)
        busy = call(d.socket, params={"freqs": freqs, "channel": 1})
        t1 = time.monotonic()
        st = d.ctl("status")
        t_status = time.monotonic() - t1
        buf = b""
        s.settimeout(60)
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 20)
            check(chunk, "closed before the answer")
            buf += chunk
        elapsed = time.monotonic() - t0
        s.close()
        ans = json.loads(buf)
        check("result" in ans and ans["id"] == 7, "answer %s" % str(ans)[:300])
        check(busy.get("error", {}).get("code") == -32000 and "busy" in busy["error"]["data"]["reason"],
              "second request: %s" % busy)
        check(st["state"] == "running" and t_status < 0.5, "status took %.3f s" % t_status)
        want = ref({"kind": "fir", "taps": taps, "rate": RATE, "freqs": freqs[::50]})
        got = {k: ans["result"]["channels"][0][k][::50] for k in ("db", "phase_deg", "group_delay_ms")}
        compare(got, want, "fir 131072 taps", freqs[::50], RATE, FLOOR_DESIGN_DB)
        print("    131072 taps x 2000 points: answered in %.0f ms (status meanwhile in %.1f ms)"
              % (elapsed * 1000, t_status * 1000))
        st = d.ctl("status")
        check(st["xruns"]["capture"] == 0 and st["xruns"]["playback"] == 0, "xruns %s" % st["xruns"])
    finally:
        d.stop()
        d.cleanup()


def test_plot_table_csv():
    d = blocks_daemon("resp-views")
    try:
        d.start()
        p = d.ctl("response", "--plot", "--sum", "0,1", json_out=False)
        lines = p.stdout.splitlines()
        check(any(re.match(r"\s+-?\d+\.\d \|", l) for l in lines), "no dB labels:\n" + p.stdout)
        check(any("1k" in l and "10k" in l for l in lines), "no frequency labels:\n" + p.stdout)
        check("S sum" in p.stdout and "0 channel 0" in p.stdout, p.stdout)
        check("level-dependent" in p.stdout, p.stdout)
        p = d.ctl("response", "--points", "5", json_out=False)
        rows = [l for l in p.stdout.splitlines() if re.match(r"\s+\d+\.\d\s", l)]
        check(len(rows) == 10, "table rows:\n" + p.stdout)
        p = d.ctl("response", "--csv", "--points", "7", "--block", "peq", json_out=False)
        lines = p.stdout.strip().splitlines()
        check(lines[0].startswith("freq_hz,") and len(lines) == 8, p.stdout)
        check(len(lines[1].split(",")) == 1 + 3 * 2, lines[1])
    finally:
        d.stop()
        d.cleanup()
