"""test_eq.py - EQ files (issue 20): `dspctl eq import` of the AutoEq HD 600
ParametricEQ file into a running dspd, rendered (`dspd --render` of the
running block) and compared with EqualizerAPO's own definitions computed
here independently (the RBJ cookbook shelves and peaks, EqualizerAPO's
slope, corner-frequency and BW Oct forms, from its BiQuad.cpp,
BiQuadFilter.cpp and BiQuadFilterFactory.cpp) at 200 log-spaced
frequencies; the preamp; export then import; REW's padded export with
every kind; the peq "file" key (relative to the config, and the socket's
directory rule); malformed files refused with their line while the old
pipeline keeps playing; a GraphicEQ imported as a minimum-phase FIR, its
error in dB against the GraphicEQ points measured and bounded.

Pure python (the DTFTs of the rendered impulse responses are sums over
their significant samples), so no numpy is needed."""

import array
import cmath
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time

from harness import ROOT, Daemon, Paths, check


DATA = os.path.join(ROOT, "tests", "data", "eq")
PARAMETRIC = os.path.join(DATA, "Sennheiser HD 600 ParametricEQ.txt")
GRAPHIC = os.path.join(DATA, "Sennheiser HD 600 GraphicEQ.txt")
RATE = 48000
FREQS = [20.0 * 1000.0 ** (i / 199.0) for i in range(200)]    # log-spaced

# REW's export with its padded columns, an OFF filter, an empty slot, and
# every EqualizerAPO kind and form.
REW_TEXT = """Filter Settings file

Room EQ V5.20.13
Dated: 08-Dec-2026 00:10:00

Notes:

Equaliser: Generic
Filter  1: ON  PK       Fc   63.0 Hz  Gain  -5.0 dB  Q  4.000
Filter  2: OFF PK       Fc   125 Hz  Gain  -3.0 dB  Q  2.000
Filter  3: ON  None
Filter  4: ON  LS 6dB   Fc   80.0 Hz  Gain   4.0 dB
Filter  5: ON  HS 12dB  Fc   8000 Hz  Gain  -3.0 dB
Filter  6: ON  LSC 9 dB Fc   200 Hz  Gain  -2.0 dB
Filter  7: ON  HS       Fc   6000 Hz  Gain   2.0 dB  Q  0.900
Filter  8: ON  LP       Fc  18000 Hz
Filter  9: ON  HPQ      Fc   25.0 Hz  Q  0.600
Filter 10: ON  NO       Fc   50.0 Hz
Filter 11: ON  BP       Fc  1000 Hz  Q  0.3
Filter 12: ON  AP       Fc   700 Hz  Q  0.707
Filter 13: ON  PK       Fc  2500 Hz  Gain   3.0 dB  BW Oct 0.5
Filter 14: ON  LS       Fc   120 Hz  Gain   2.0 dB
Filter 15: ON  PK       Fc 12000 Hz  Gain   6.0 dB  BW Oct 1.0
"""


def diff(a, b, offset=0.0):
    return [x - y + offset for x, y in zip(a, b)]


def worst(err, freqs):
    """(max |error|, its frequency)."""
    i = max(range(len(err)), key=lambda k: abs(err[k]))
    return abs(err[i]), freqs[i]


def mean_abs(err):
    return sum(abs(x) for x in err) / len(err)


# ---- EqualizerAPO, independently -----------------------------------------

def eapo_parse(text):
    """(preamp, filters) as EqualizerAPO's regexes read them. The REW
    header lines have no "Filter"/"Preamp" command and are skipped here
    (dspd refuses them as not commands; see rew_file())."""
    preamp, filters = 0.0, []
    for line in text.splitlines():
        line = line.replace(",", ".")
        m = re.match(r"\s*Preamp:\s*([-+0-9.eE]+)\s*dB", line)
        if m:
            preamp += float(m.group(1))
            continue
        m = re.match(r"\s*Filter\s*\d*:(.*)$", line)
        if not m:
            continue
        m = re.match(r"^\s*ON\s+([A-Za-z]+)(.*)$", m.group(1))
        if not m or m.group(1) == "None":
            continue
        typ, rest = m.group(1), m.group(2)
        f = {"type": typ}
        fm = re.search(r"\s+Fc\s*([-+0-9.eE]+)\s*H\s*z", rest)
        f["freq"] = float(fm.group(1))
        gm = re.search(r"\s+Gain\s*([-+0-9.eE]+)\s*dB", rest)
        f["gain"] = float(gm.group(1)) if gm else 0.0
        qm = re.search(r"\s+Q\s*([-+0-9.eE]+)", rest)
        bm = re.search(r"\s+BW\s+Oct\s*([-+0-9.eE]+)", rest)
        sm = re.match(r"^\s*([-+0-9.eE]+)\s*dB", rest)
        f["q"] = float(qm.group(1)) if qm else None
        f["bw"] = float(bm.group(1)) if bm else None
        f["slope"] = float(sm.group(1)) if sm else None
        filters.append(f)
    return preamp, filters


KINDS = {"PK": "peak", "PEQ": "peak", "Modal": "peak", "LP": "lp", "LPQ": "lp",
         "HP": "hp", "HPQ": "hp", "BP": "bp", "NO": "no", "AP": "ap",
         "LS": "ls", "LSC": "ls", "HS": "hs", "HSC": "hs"}


def eapo_coef(f, rate):
    """b, a of one filter: BiQuadFilterFactory's defaults and slope
    handling, BiQuadFilter's corner frequency, BiQuad's cookbook."""
    kind = KINDS[f["type"]]
    gain = f["gain"] if kind in ("peak", "ls", "hs", "bp") else 0.0
    x, is_bw_or_s, corner = 0.0, False, False
    if f["q"] is not None:
        x = f["q"]
    if f["bw"] is not None and kind not in ("ls", "hs"):
        x, is_bw_or_s = f["bw"], True
    if f["slope"] is not None and kind in ("ls", "hs"):
        x, is_bw_or_s = f["slope"], True
    if x == 0:
        if kind in ("lp", "hp", "bp"):
            x = 1 / math.sqrt(2)
        elif kind in ("ls", "hs"):
            x, is_bw_or_s = 0.9, True
        elif kind == "no":
            x = 30.0
    elif kind in ("ls", "hs"):
        if is_bw_or_s:
            x /= 12.0
        corner = not f["type"].endswith("C")
    freq = f["freq"]
    if corner:
        s = x
        if not is_bw_or_s:
            a = 10 ** (gain / 40)
            s = 1.0 / ((1.0 / (x * x) - 2.0) / (a + 1.0 / a) + 1.0)
        factor = 10 ** (abs(gain) / 80.0 / s)
        freq = freq * factor if kind == "ls" else freq / factor
    A = 10 ** (gain / 40) if kind in ("peak", "ls", "hs") else 10 ** (gain / 20)
    w = 2 * math.pi * freq / rate
    sn, cs = math.sin(w), math.cos(w)
    if not is_bw_or_s:
        alpha = sn / (2 * x)
    elif kind in ("ls", "hs"):
        alpha = sn / 2 * math.sqrt((A + 1 / A) * (1 / x - 1) + 2)
    else:
        alpha = sn * math.sinh(math.log(2) / 2 * x * w / sn)
    beta = 2 * math.sqrt(A) * alpha
    if kind == "lp":
        b, a = [(1 - cs) / 2, 1 - cs, (1 - cs) / 2], [1 + alpha, -2 * cs, 1 - alpha]
    elif kind == "hp":
        b, a = [(1 + cs) / 2, -(1 + cs), (1 + cs) / 2], [1 + alpha, -2 * cs, 1 - alpha]
    elif kind == "bp":
        b, a = [alpha, 0, -alpha], [1 + alpha, -2 * cs, 1 - alpha]
    elif kind == "no":
        b, a = [1, -2 * cs, 1], [1 + alpha, -2 * cs, 1 - alpha]
    elif kind == "ap":
        b, a = [1 - alpha, -2 * cs, 1 + alpha], [1 + alpha, -2 * cs, 1 - alpha]
    elif kind == "peak":
        b, a = [1 + alpha * A, -2 * cs, 1 - alpha * A], [1 + alpha / A, -2 * cs, 1 - alpha / A]
    elif kind == "ls":
        b = [A * ((A + 1) - (A - 1) * cs + beta), 2 * A * ((A - 1) - (A + 1) * cs),
             A * ((A + 1) - (A - 1) * cs - beta)]
        a = [(A + 1) + (A - 1) * cs + beta, -2 * ((A - 1) + (A + 1) * cs),
             (A + 1) + (A - 1) * cs - beta]
    else:
        b = [A * ((A + 1) + (A - 1) * cs + beta), -2 * A * ((A - 1) + (A + 1) * cs),
             A * ((A + 1) + (A - 1) * cs - beta)]
        a = [(A + 1) - (A - 1) * cs + beta, 2 * ((A - 1) - (A + 1) * cs),
             (A + 1) - (A - 1) * cs - beta]
    return b, a


def eapo_db(text, freqs, rate=RATE):
    """EqualizerAPO's magnitude in dB of an EQ text at freqs."""
    preamp, filters = eapo_parse(text)
    coefs = [eapo_coef(f, rate) for f in filters]
    out = []
    for freq in freqs:
        z = cmath.exp(-2j * math.pi * freq / rate)
        h = 10 ** (preamp / 20)
        for b, a in coefs:
            h *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
        out.append(20 * math.log10(abs(h)))
    return out


# ---- dspd, rendered ------------------------------------------------------

def render_db(tmp, block, freqs, rate=RATE, frames=1 << 17, conf_dir=None):
    """The magnitude in dB of block at freqs: an impulse through
    `dspd --render` (FLOAT_LE, one channel), its DTFT at freqs."""
    cfg = {"rate": rate, "period_frames": 256,
           "capture": {"device": "null", "channels": 1, "format": "FLOAT_LE"},
           "playback": {"device": "null", "channels": 1, "format": "FLOAT_LE"},
           "pipeline": [block]}
    conf = os.path.join(conf_dir or tmp, "render.conf")
    with open(conf, "w") as f:
        json.dump(cfg, f)
    x = array.array("f", bytes(4 * frames))
    x[0] = 0.25
    p = subprocess.run([Paths.dspd, "--render", "-c", conf, "-", "-"], input=x.tobytes(),
                       capture_output=True)
    check(p.returncode == 0, "render failed: %s" % p.stderr.decode())
    y = array.array("f")
    y.frombytes(p.stdout)
    h = [v / 0.25 for v in y]
    check(len(h) == frames, "rendered %d frames of %d" % (len(h), frames))
    check(max(abs(v) for v in h[-256:]) < 1e-6, "the impulse response has not decayed")
    last = max(i for i, v in enumerate(h) if abs(v) > 1e-10)
    h = h[:last + 1]        # the rest adds less than 1e-10 * frames
    out = []
    for f in freqs:
        z, zn, acc = cmath.exp(-2j * math.pi * f / rate), 1.0, 0j
        for v in h:
            acc += v * zn
            zn *= z
        out.append(20 * math.log10(abs(acc)))
    return out


def running_block(d, name):
    cfg = d.ctl("config", "show")["config"]
    for b in cfg["pipeline"]:
        if b["name"] == name:
            return b
    raise AssertionError("no block %s in %s" % (name, cfg["pipeline"]))


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def rew_file(tmp):
    """REW's export as dspd reads it: its header lines as comments."""
    lines = []
    for line in REW_TEXT.splitlines():
        keep = not line.strip() or line.startswith("Filter ") and ":" in line[:12]
        lines.append(line if keep else "# " + line)
    return write(os.path.join(tmp, "rew.txt"), "\r\n".join(lines) + "\r\n")


# ---- tests -----------------------------------------------------------------

def test_eq_import_autoeq_matches_equalizerapo():
    """The AutoEq HD 600 file imported into a running dspd: a peq block
    "eq" with the file's 10 filters and its preamp as preamp_db; its
    rendered magnitude within 0.05 dB of EqualizerAPO's definitions at 200
    log-spaced frequencies, the -6.3 dB preamp included."""
    d = Daemon("eq-import")
    try:
        d.start()
        p = d.ctl("eq", "import", PARAMETRIC, json_out=False)
        check(p.returncode == 0, "import: %s" % p.stderr)
        b = running_block(d, "eq")
        check(b["type"] == "peq" and len(b["bands"]) == 10, "block %s" % b)
        check(b["preamp_db"] == -6.3, "preamp_db %s" % b.get("preamp_db"))
        check(b["bands"][0] == {"kind": "lowshelf", "freq": 105, "gain_db": 6.5, "q": 0.7},
              "band 0 %s" % b["bands"][0])
        with open(PARAMETRIC) as f:
            want = eapo_db(f.read(), FREQS)
        got = render_db(d.dir, b, FREQS)
        err, at = worst(diff(got, want), FREQS)
        print("    AutoEq HD 600 import: max |error| %.1e dB at 200 frequencies" % err)
        check(err < 0.05, "max error %.4f dB at %.0f Hz" % (err, at))
        # the preamp is applied: without it the response is 6.3 dB higher
        b0 = dict(b, preamp_db=0)
        up = render_db(d.dir, b0, FREQS[:5])
        check(worst(diff(up, got[:5], -6.3), FREQS)[0] < 0.01,
              "preamp not applied: %s vs %s" % (up, got[:5]))
        check(d.ctl("status")["state"] == "running", "not running")
        d.stop()
    finally:
        d.cleanup()


def test_eq_rew_every_kind_replaces_bands():
    """REW's padded export (CRLF, OFF filter, empty slot, LS/HS at a
    corner with and without a slope or Q, LSC with a slope, LP, HPQ, NO,
    BP, AP, PK with BW Oct) imported over an existing peq block of a
    daemon at 44.1 kHz: its bands and preamp_db replaced (a "file" key
    dropped), the response within 0.05 dB of EqualizerAPO's at that rate."""
    d = Daemon("eq-rew", rate=44100)
    try:
        shutil.copy(PARAMETRIC, os.path.join(d.dir, "hd600.txt"))
        d.cfg["pipeline"] = [{"type": "peq", "name": "room", "file": "hd600.txt",
                              "preamp_db": -1}]
        d.write_config(d.cfg)
        d.start()
        path = rew_file(d.dir)
        p = d.ctl("eq", "import", path, "--block", "room", json_out=False)
        check(p.returncode == 0, "import: %s" % p.stderr)
        b = running_block(d, "room")
        check("file" not in b and len(b["bands"]) == 13 and b["preamp_db"] == 0,
              "block %s" % b)
        # at the running rate: BW Oct's Q depends on it
        got = render_db(d.dir, b, FREQS, rate=44100)
        want = eapo_db(REW_TEXT, FREQS, rate=44100)
        err, at = worst(diff(got, want), FREQS)
        print("    REW every kind (44.1 kHz): max |error| %.1e dB" % err)
        check(err < 0.05, "max error %.4f dB at %.0f Hz" % (err, at))
        d.stop()
    finally:
        d.cleanup()


def test_eq_export_round_trip():
    """eq export writes the EqualizerAPO form (Preamp, Filter N: ON
    LSC/PK/HSC ...), which imports back into another block as the same
    bands and preamp; a kind with no EqualizerAPO form is an error naming
    the band."""
    d = Daemon("eq-export")
    try:
        d.start()
        d.ctl("eq", "import", PARAMETRIC, json_out=False)
        out = os.path.join(d.dir, "export.txt")
        p = d.ctl("eq", "export", "-o", out, json_out=False)
        check(p.returncode == 0, "export: %s" % p.stderr)
        with open(out) as f:
            text = f.read()
        check(text.startswith("Preamp: -6.3 dB\nFilter 1: ON LSC Fc 105 Hz Gain 6.5 dB Q 0.7\n"),
              "export:\n%s" % text)
        check("Filter 6: ON HSC Fc 10000 Hz Gain -3.1 dB Q 0.7\n" in text, "export:\n%s" % text)
        p = d.ctl("eq", "export", "--block", "eq", json_out=False)
        check(p.returncode == 0 and p.stdout == text, "stdout export differs: %s" % p.stdout)
        p = d.ctl("eq", "import", out, "--block", "eq2", json_out=False)
        check(p.returncode == 0, "import back: %s" % p.stderr)
        a, b = running_block(d, "eq"), running_block(d, "eq2")
        check(a["bands"] == b["bands"] and a["preamp_db"] == b["preamp_db"],
              "round trip differs:\n%s\n%s" % (a, b))
        # two peq blocks now: export needs --block
        p = d.ctl("eq", "export", json_out=False, expect_rc=2)
        check("several peq blocks" in p.stderr, p.stderr)
        d.ctl("effect", "add", json.dumps({"type": "peq", "name": "first", "bands": [
            {"kind": "peaking", "freq": 100, "gain_db": 1, "q": 1},
            {"kind": "lowshelf1", "freq": 100, "gain_db": 3}]}), json_out=False)
        p = d.ctl("eq", "export", "--block", "first", json_out=False, expect_rc=2)
        check("band 1 (lowshelf1): no EqualizerAPO form" in p.stderr, p.stderr)
        d.stop()
    finally:
        d.cleanup()


def test_peq_file_key_in_config():
    """A peq block's "file" in the config file, relative to its directory:
    the daemon starts with it, renders it as EqualizerAPO defines it, and
    reads it again at each reload of the same configuration (a broken
    edit of the EQ file refuses the reload).  Over the socket a file
    outside the allowed directories is refused before it is read; one in
    the config's directory is taken."""
    d = Daemon("eq-file")
    outside = tempfile.mkdtemp(prefix="dspd-e2e-eq-outside-")
    try:
        shutil.copy(PARAMETRIC, os.path.join(d.dir, "hd600.txt"))
        d.cfg["pipeline"] = [{"type": "peq", "name": "eq", "file": "hd600.txt"}]
        d.write_config(d.cfg)
        d.start()
        b = running_block(d, "eq")
        check(b["file"].endswith("hd600.txt"), "block %s" % b)
        got = render_db(d.dir, {"type": "peq", "name": "eq", "file": "hd600.txt"}, FREQS)
        with open(PARAMETRIC) as f:
            want = eapo_db(f.read(), FREQS)
        err = worst(diff(got, want), FREQS)[0]
        check(err < 0.05, "file key: max error %.4f dB" % err)
        # a reload of the same file reads the EQ file again
        r = d.ctl("config", "reload")
        check(r["changed"] and r["class"] == "parameters", "reload: %s" % r)
        write(os.path.join(d.dir, "hd600.txt"), "Preamp: -20 dB\nFilter 1: XX\n")
        p = d.ctl("config", "reload", json_out=False, expect_rc=5)
        check("hd600.txt\": line 2: ON or OFF expected" in p.stderr, p.stderr)
        shutil.copy(PARAMETRIC, os.path.join(d.dir, "hd600.txt"))
        shutil.copy(PARAMETRIC, os.path.join(outside, "x.txt"))
        p = d.ctl("effect", "add", json.dumps({"type": "peq", "name": "o",
                  "file": os.path.join(outside, "x.txt")}), json_out=False, expect_rc=5)
        check("EQ file" in p.stderr and "not in a directory allowed" in p.stderr, p.stderr)
        p = d.ctl("effect", "add", json.dumps({"type": "peq", "name": "in",
                  "file": os.path.join(d.dir, "hd600.txt"), "preamp_db": 1}), json_out=False)
        check(p.returncode == 0, "in the config's directory: %s" % p.stderr)
        p = d.ctl("effect", "add", json.dumps({"type": "peq", "name": "both",
                  "file": os.path.join(d.dir, "hd600.txt"),
                  "bands": [{"kind": "peaking", "freq": 1000, "gain_db": 1}]}),
                  json_out=False, expect_rc=5)
        check("either \"bands\" or \"file\"" in p.stderr, p.stderr)
        d.stop()
    finally:
        d.cleanup()
        shutil.rmtree(outside, ignore_errors=True)


def test_eq_malformed_files_refused_pipeline_kept():
    """Malformed files: `eq import` names the file and the line and sends
    nothing; a config.load, an effect.add and a reload whose peq "file" is
    malformed are refused as a whole naming the file and the line; the running pipeline (and its
    configuration's sha256) is kept and the audio keeps flowing."""
    d = Daemon("eq-bad")
    try:
        d.cfg["pipeline"] = [{"type": "gain", "name": "g", "db": -1}]
        d.write_config(d.cfg)
        d.start()
        before = d.ctl("config", "show")["sha256"]
        cases = [("Preamp: -3 dB\nFilter 1: ON PK Fc 100 Hz Gain 1 dB Q 1\n\n"
                  "Filter 2: ON XY Fc 200 Hz Gain 1 dB Q 1\n", "line 4: unknown filter type 'XY'"),
                 ("Filter 1: ON PK Fc 100 Hz Gain 1 dB Q 1\r\nFilter 2: ON PK Fc 200 Hz Q 1\r\n",
                  "line 2: Gain expected"),
                 ("Channel: L\n", "line 1: unsupported command 'Channel'")]
        for i, (text, want) in enumerate(cases):
            path = write(os.path.join(d.dir, "bad%d.txt" % i), text)
            p = d.ctl("eq", "import", path, json_out=False, expect_rc=2)
            check(path in p.stderr and want in p.stderr, "import: %s" % p.stderr)
            cfg = dict(d.cfg, pipeline=[{"type": "peq", "name": "eq", "file": path}])
            p = subprocess.run([Paths.dspctl, "--socket", d.socket, "call", "config.load",
                                json.dumps({"config": cfg})], capture_output=True, text=True)
            check(p.returncode != 0 and path in p.stderr + p.stdout and want in p.stderr + p.stdout,
                  "config.load: %s %s" % (p.stdout, p.stderr))
            # dspd --check-config of such a file points at the block's file
            conf = write(os.path.join(d.dir, "check.conf"), json.dumps(cfg))
            p = subprocess.run([Paths.dspd, "--check-config", "-c", conf], capture_output=True,
                               text=True)
            check(p.returncode == 78 and "/pipeline/0/file: at 48000 Hz: block \"eq\": EQ file \""
                  + path + "\": " + want in p.stderr, "check-config: %s" % p.stderr)
            # the same file through effect.add, and through a reload of
            # the daemon's own file
            p = d.ctl("effect", "add", json.dumps({"type": "peq", "name": "eq", "file": path}),
                      json_out=False, expect_rc=5)
            check(path in p.stderr and want in p.stderr, "effect.add: %s" % p.stderr)
            with open(d.config_path) as f:
                good = f.read()
            d.write_config(cfg)
            p = d.ctl("config", "reload", json_out=False, expect_rc=5)
            check(path in p.stderr and want in p.stderr, "reload: %s" % p.stderr)
            with open(d.config_path, "w") as f:
                f.write(good)
        st0 = d.ctl("status")
        check(d.ctl("config", "show")["sha256"] == before, "the configuration changed")
        check(running_block(d, "g")["db"] == -1, "pipeline changed")
        time.sleep(0.5)
        st1 = d.ctl("status")
        check(st1["state"] == "running" and st1["frames"]["played"] > st0["frames"]["played"],
              "audio stopped: %s" % st1["frames"])
        d.stop()
    finally:
        d.cleanup()


def graphic_points(path):
    with open(path) as f:
        text = f.read()
    body = text.split("GraphicEQ:", 1)[1]
    return [tuple(float(v) for v in p.split()) for p in body.split(";") if p.strip()]


def graphic_curve(points, freqs):
    """EqualizerAPO's GainIterator: linear in dB over log frequency, flat
    beyond the ends."""
    out = []
    for freq in freqs:
        if freq <= points[0][0]:
            out.append(points[0][1])
        elif freq >= points[-1][0]:
            out.append(points[-1][1])
        else:
            k = max(i for i in range(len(points)) if points[i][0] <= freq)
            (f0, g0), (f1, g1) = points[k], points[k + 1]
            t = (math.log(freq) - math.log(f0)) / (math.log(f1) - math.log(f0))
            out.append(g0 + t * (g1 - g0))
    return out


def test_eq_import_graphic_as_min_phase_fir():
    """The AutoEq HD 600 GraphicEQ imported: a fir block "eq" with the 127
    points inline ("graphic_eq"); the rendered FIR's magnitude against the
    GraphicEQ (at its points, and along EqualizerAPO's interpolated curve
    at 200 log-spaced frequencies) within 0.2 dB, on average within
    0.01 dB; its energy at the start (minimum phase).  Imported again with
    a Preamp, the preamp is the block's gain_db; a file with a GraphicEQ
    and filters is refused."""
    d = Daemon("eq-graphic")
    try:
        d.start()
        p = d.ctl("eq", "import", GRAPHIC, json_out=False)
        check(p.returncode == 0, "import: %s" % p.stderr)
        b = running_block(d, "eq")
        pts = graphic_points(GRAPHIC)
        check(b["type"] == "fir" and len(b["graphic_eq"]) == 127 and b["gain_db"] == 0,
              "block %s" % {k: v for k, v in b.items() if k != "graphic_eq"})
        check([tuple(x) for x in b["graphic_eq"]] == pts, "points differ")
        pf = [p[0] for p in pts if p[0] < RATE / 2]
        at_points = diff(render_db(d.dir, b, pf, frames=1 << 15),
                         [p[1] for p in pts if p[0] < RATE / 2])
        curve = diff(render_db(d.dir, b, FREQS, frames=1 << 15), graphic_curve(pts, FREQS))
        (e1, f1), (e2, f2) = worst(at_points, pf), worst(curve, FREQS)
        print("    GraphicEQ FIR (8192 taps at 48 kHz): max |error| %.3f dB at the %d points "
              "(at %.0f Hz; mean %.4f), %.3f dB along the curve at 200 frequencies (mean %.4f)"
              % (e1, len(pf), f1, mean_abs(at_points), e2, mean_abs(curve)))
        check(e1 < 0.2 and e2 < 0.2, "error %.3f dB at %.0f Hz / %.3f dB at %.0f Hz"
              % (e1, f1, e2, f2))
        check(mean_abs(at_points) < 0.01 and mean_abs(curve) < 0.01,
              "mean error %.4f / %.4f dB" % (mean_abs(at_points), mean_abs(curve)))
        # with a preamp, over the existing block
        with open(GRAPHIC) as f:
            text = f.read()
        path = write(os.path.join(d.dir, "g.txt"), "Preamp: -4.5 dB\n" + text)
        p = d.ctl("eq", "import", path, json_out=False)
        check(p.returncode == 0, "import: %s" % p.stderr)
        check(running_block(d, "eq")["gain_db"] == -4.5, "preamp not the gain")
        path = write(os.path.join(d.dir, "both.txt"),
                     text + "Filter 1: ON PK Fc 100 Hz Gain 1 dB Q 1\n")
        p = d.ctl("eq", "import", path, json_out=False, expect_rc=2)
        check("both a GraphicEQ (line 1) and filters" in p.stderr, p.stderr)
        # a GraphicEQ into the peq block of another name is refused
        d.ctl("eq", "import", PARAMETRIC, "--block", "p", json_out=False)
        p = d.ctl("eq", "import", GRAPHIC, "--block", "p", json_out=False, expect_rc=2)
        check("is a peq block, not a fir" in p.stderr, p.stderr)
        d.stop()
    finally:
        d.cleanup()


def test_fir_graphic_eq_file_key():
    """A fir block's "graphic_eq" naming a GraphicEQ file (relative to the
    config's directory): the daemon starts with it; rendered, it meets the
    points within 0.2 dB, and the file's Preamp is applied.  Over the
    socket a file outside the allowed directories is refused (at
    /pipeline/N/graphic_eq) before it is read; a file with Filter lines is
    refused naming it."""
    d = Daemon("eq-geq-file")
    outside = tempfile.mkdtemp(prefix="dspd-e2e-eq-outside-")
    try:
        with open(GRAPHIC) as f:
            text = f.read()
        write(os.path.join(d.dir, "geq.txt"), "Preamp: -3 dB\n" + text)
        d.cfg["pipeline"] = [{"type": "fir", "name": "geq", "graphic_eq": "geq.txt"}]
        d.write_config(d.cfg)
        d.start()
        check(running_block(d, "geq")["graphic_eq"].endswith("geq.txt"), "block")
        pts = [p for p in graphic_points(GRAPHIC) if p[0] < RATE / 2]
        pf = [p[0] for p in pts]
        got = render_db(d.dir, {"type": "fir", "name": "geq", "graphic_eq": "geq.txt"},
                        pf, frames=1 << 15)
        err = worst(diff(got, [p[1] for p in pts], 3.0), pf)
        check(err[0] < 0.2, "file: max error %.3f dB at %.0f Hz" % err)
        write(os.path.join(outside, "g.txt"), text)
        p = d.ctl("effect", "add", json.dumps({"type": "fir", "name": "o",
                  "graphic_eq": os.path.join(outside, "g.txt")}), json_out=False, expect_rc=5)
        check("/graphic_eq" in p.stderr and "not in a directory allowed" in p.stderr, p.stderr)
        write(os.path.join(d.dir, "mixed.txt"), text + "Filter 1: ON PK Fc 1 Hz Gain 1 dB Q 1\n")
        p = d.ctl("effect", "add", json.dumps({"type": "fir", "name": "m",
                  "graphic_eq": os.path.join(d.dir, "mixed.txt")}), json_out=False, expect_rc=5)
        check("mixed.txt\": has Filter lines" in p.stderr, p.stderr)
        d.stop()
    finally:
        d.cleanup()
        shutil.rmtree(outside, ignore_errors=True)
