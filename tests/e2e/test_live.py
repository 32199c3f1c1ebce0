"""Live changes on the paced test device (issue 5): reload storms, SIGHUP
in every state, broken configurations via SIGHUP and the socket, and
click-free parameter, topology and FIR changes while a sine plays.

Gaps and bit-exactness come from the device's own checker: the capture
signal is a frame counter, and the identity pipelines used in the storm
pass it untouched (S16: a crossfade between two equal signals rounds back
to the same sample), so any lost, repeated or altered frame shows."""
import array
import cmath
import hashlib
import json
import math
import os
import random
import signal
import socket
import subprocess
import time

from harness import Daemon, Failure, check, device, read_f32, Paths

STORM = 50


def rpc_lines(sock_path):
    """A raw control connection: send requests without waiting."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    return s


def rpc_call(s, method, params, rid=1):
    s.sendall((json.dumps({"jsonrpc": "2.0", "id": rid, "method": method,
                           "params": params}) + "\n").encode())


def read_answers(s, n, timeout=20.0):
    s.settimeout(timeout)
    buf = b""
    answers = []
    while len(answers) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            msg = json.loads(line)
            if "id" in msg:
                answers.append(msg)
    return answers


def wait_settled(d, timeout=15.0):
    """Until the newest graph is the one heard and nothing is pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = d.ctl("status")
        if (st["transition"]["state"] == "idle" and not st["transition"]["pending"]
                and st["config"]["generation"] == st["config"]["active_generation"]):
            return st
        time.sleep(0.05)
    raise Failure("transition never settled: %s" % d.ctl("status")["transition"])


def wait_applied(d, sha, timeout=10.0):
    """Until the configuration with this sha256 is the one heard: a signal
    is handled by dspd's loop when it gets to it, not when sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if d.ctl("status")["config"]["sha256"] == sha:
            return wait_settled(d)
        time.sleep(0.02)
    raise Failure("configuration %s never applied: %s" % (sha, d.ctl("status")["config"]))


def write_f32(path, values):
    with open(path, "wb") as f:
        array.array("f", values).tofile(f)


def identity_variants(d):
    """Pipelines that all pass the signal unchanged, in different shapes."""
    delta = os.path.join(d.dir, "delta.f32")
    write_f32(delta, [1.0] + [0.0] * 2047)
    return [
        [{"type": "gain", "name": "g", "db": 0}],
        [{"type": "meter", "name": "m"}, {"type": "gain", "name": "g", "db": 0}],
        [{"type": "gain", "name": "g", "db": 0},
         {"type": "gain", "name": "cut", "db": -20, "bypass": True}],
        [],
        [{"type": "fir", "name": "room", "path": delta, "format": "f32le"}],
    ]


def config_with(d, pipeline, **extra):
    cfg = json.loads(json.dumps(d.cfg))
    cfg["pipeline"] = pipeline
    cfg.update(extra)
    return cfg


def hup_with(d, cfg):
    """Replace the file the way editors do (rename over it), then SIGHUP.
    Signals coalesce: dspd reads the file once for several, so what it
    reads must always be a whole file."""
    tmp = d.config_path + ".new"
    with open(tmp, "w") as f:
        json.dump(cfg, f, indent=1)
    os.chmod(tmp, 0o644)
    os.rename(tmp, d.config_path)
    d.proc.send_signal(signal.SIGHUP)
    with open(d.config_path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def device_clean(d, counters):
    rep = d.report()["playback"]
    print("    device: %d gaps, %d counter mismatches, %d underruns; dspd xruns %d/%d"
          % (rep["gaps"], rep["mismatches"], rep["underruns"],
             counters["xruns_capture"], counters["xruns_playback"]))
    check(rep["gaps"] == 0, "gaps in the audio: %s" % rep["gap_list"][:5])
    check(rep["mismatches"] == 0, "%d frames altered" % rep["mismatches"])
    check(rep["underruns"] == 0 and d.report()["capture"]["overruns"] == 0, "device xruns")
    check(counters["xruns_capture"] == 0 and counters["xruns_playback"] == 0, "dspd xruns")


def test_reload_storm_and_sighup_in_every_state():
    """50 configuration switches 1 ms apart (SIGHUP and config.load
    alternating), then SIGHUP during a warm-up and during a crossfade:
    dspd ends in the last configuration, the device saw every frame
    exactly once and unaltered, and no xrun happened."""
    d = Daemon("storm", fmt="S16_LE", period=1024, periods=6)
    try:
        variants = identity_variants(d)
        d.cfg["pipeline"] = variants[0]
        d.write_config(d.cfg)
        d.start()
        # storm 1: 50 config.load 1 ms apart on one connection (one
        # ordered channel: the last sent is the last applied)
        conn = rpc_lines(d.socket)
        for i in range(STORM):
            cfg = config_with(d, variants[i % len(variants)], volume={"ramp_ms": 10 + i})
            rpc_call(conn, "config.load", {"config": cfg}, rid=i)
            time.sleep(0.001)
        answers = read_answers(conn, STORM)
        check(len(answers) == STORM and all("result" in a for a in answers),
              "config.load answers: %s" % [a for a in answers if "result" not in a][:3])
        st = wait_settled(d)
        active = d.ctl("config", "show")["config"]
        check(active["volume"]["ramp_ms"] == 10 + STORM - 1 and
              active["pipeline"] == variants[(STORM - 1) % len(variants)],
              "storm 1 ended in %s" % active)
        names = [b["name"] for b in d.ctl("pipeline")["blocks"]]
        want = [b["name"] for b in variants[(STORM - 1) % len(variants)]]
        check(names == want, "pipeline %s, want %s" % (names, want))
        tr = st["transition"]
        print("    storm 1: %d config.load answered, %d graphs heard, %d replaced unheard"
              % (STORM, tr["completed"], tr["superseded"]))
        # storm 2: 50 rewrites of the file, each followed by SIGHUP, 1 ms apart
        for i in range(STORM):
            expect_sha = hup_with(d, config_with(d, variants[(i + 2) % len(variants)]))
            time.sleep(0.001)
        st = wait_applied(d, expect_sha)
        check(st["config"]["sha256"] == expect_sha,
              "storm 2 ended in %s, the last file is %s" % (st["config"]["sha256"], expect_sha))
        print("    storm 2: %d SIGHUPs; in the last file's configuration, generation %d"
              % (STORM, st["config"]["generation"]))

        # SIGHUP while a new graph warms up: a 1 s FIR in the shadow is
        # replaced by the file's graph before it is ever heard
        long_delta = os.path.join(d.dir, "long.f32")
        write_f32(long_delta, [1.0] + [0.0] * 47999)
        out = d.ctl("call", "config.load", json.dumps({"config": config_with(d, [
            {"type": "fir", "name": "long", "path": long_delta, "format": "f32le"}])}))
        check(out["warmup_ms"] >= 999, "FIR warm-up planned %s ms" % out["warmup_ms"])
        time.sleep(0.2)
        check(d.ctl("status")["transition"]["state"] == "warmup", "not warming up")
        superseded = d.ctl("status")["transition"]["superseded"]
        sha = hup_with(d, config_with(d, variants[1]))
        st = wait_applied(d, sha)
        check(st["transition"]["superseded"] == superseded + 1,
              "SIGHUP during the warm-up: %s" % st["transition"])

        # SIGHUP while crossfading: the file's graph follows once the fade ends
        slow = {"transition": {"crossfade_ms": 600}}
        d.ctl("call", "config.load", json.dumps({"config": config_with(d, variants[2], **slow)}))
        time.sleep(0.25)
        check(d.ctl("status")["transition"]["state"] == "crossfade", "not crossfading")
        sha = hup_with(d, config_with(d, variants[4], **slow))
        wait_applied(d, sha)
        conn.close()
        counters = d.stop()
        device_clean(d, counters)
    finally:
        d.cleanup()


def test_sighup_while_starting_is_not_fatal():
    """SIGHUP while dspd is starting (its socket is bound, the devices are
    not open yet): it comes up, applies the reload once ready, and stops
    cleanly.  (Before main() runs no process can hold a signal back; under
    systemd a reload is only sent to an active service.)"""
    d = Daemon("early-hup", fmt="S16_LE")
    try:
        d.start(wait=False)
        deadline = time.monotonic() + 10
        while not os.path.exists(d.socket) and time.monotonic() < deadline:
            time.sleep(0.0005)
        d.proc.send_signal(signal.SIGHUP)
        d.wait_ready()
        deadline = time.monotonic() + 5
        while "reloading" not in d.read_log() and time.monotonic() < deadline:
            time.sleep(0.05)
        check("reloading" in d.read_log(), "the early SIGHUP was lost:\n" + d.read_log())
        d.stop()
    finally:
        d.cleanup()


BIG = 5 * 1024 * 1024


def broken_files(d):
    good = json.dumps(config_with(d, [{"type": "gain", "name": "g", "db": 0}]), indent=1)
    return [
        ("syntax", '{"rate": 48000,, }', "syntax error"),
        ("unknown key", good.replace('"periods"', '"perods"'), "/perods: unknown key"),
        ("out of range", good.replace('"rate": 48000', '"rate": 1'), "/rate: must be"),
        ("unstable biquad", json.dumps(config_with(d, [
            {"type": "biquad", "name": "bad", "kind": "free", "b0": 1, "b1": 0, "b2": 0,
             "a1": -2.5, "a2": 1.6}])), "unstable"),
        ("empty", "", "empty"),
        ("truncated", good[:len(good) // 2], "end of file"),
        ("huge", good + " " * BIG, "larger than"),
    ]


def test_broken_configs_keep_the_old_one_playing():
    """Every broken configuration, via SIGHUP and via the socket: the error
    says what and where, the identity stays, the audio never stops."""
    d = Daemon("broken", fmt="S16_LE", period=1024, periods=6)
    try:
        d.cfg["pipeline"] = [{"type": "gain", "name": "g", "db": 0}]
        d.write_config(d.cfg)
        d.start()
        sha = d.ctl("status")["config"]["sha256"]
        rejected = 0
        for name, text, want in broken_files(d):
            # via the socket: config.reload of another file, config.load of text
            path = os.path.join(d.dir, "broken.conf")
            with open(path, "w") as f:
                f.write(text)
            p = d.ctl("config", "reload", path, json_out=False, expect_rc=5)
            check(want in p.stderr, "%s via config.reload: %r lacks %r" % (name, p.stderr, want))
            if len(text) < 60000:
                p = d.ctl("call", "config.load", json.dumps({"text": text}),
                          json_out=False, expect_rc=5)
                check(want in p.stderr or (name == "empty" and "rejected" in p.stderr),
                      "%s via config.load: %r" % (name, p.stderr))
            # via SIGHUP: the file itself is broken
            with open(d.config_path, "w") as f:
                f.write(text)
            before = d.read_log().count("rejected; the running configuration stays")
            d.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 5
            while (d.read_log().count("rejected; the running configuration stays") == before
                   and time.monotonic() < deadline):
                time.sleep(0.02)
            log = d.read_log()
            check(log.count("rejected; the running configuration stays") > before,
                  "%s via SIGHUP: no rejection logged" % name)
            check(want in log, "%s via SIGHUP: log lacks %r" % (name, want))
            check(d.ctl("status")["config"]["sha256"] == sha, "%s changed the identity" % name)
            rejected += 1
        # a missing file
        os.rename(d.config_path, d.config_path + ".gone")
        d.proc.send_signal(signal.SIGHUP)
        p = d.ctl("config", "reload", json_out=False, expect_rc=5)
        check("No such file" in p.stderr, "missing file: %r" % p.stderr)
        os.rename(d.config_path + ".gone", d.config_path)
        st = d.ctl("status")
        check(st["config"]["sha256"] == sha and st["state"] == "running", "after the missing file")
        print("    %d broken configurations rejected three ways each; identity kept" % rejected)
        counters = d.stop()
        device_clean(d, counters)
    finally:
        d.cleanup()


# ---- click-free ---------------------------------------------------------

RATE = 48000


def fft(x):
    """Radix-2 FFT of a list of complex numbers (len a power of two)."""
    n = len(x)
    j = 0
    a = list(x)
    for i in range(1, n):
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            a[i], a[j] = a[j], a[i]
    size = 2
    while size <= n:
        w = cmath.exp(-2j * math.pi / size)
        for start in range(0, n, size):
            wk = 1.0
            for k in range(size // 2):
                u = a[start + k]
                v = a[start + k + size // 2] * wk
                a[start + k] = u + v
                a[start + k + size // 2] = u - v
                wk *= w
        size *= 2
    return a


def window_power(x, start, n=2048):
    """(all, above 5 kHz) power of a Hann-windowed stretch."""
    win = [0.5 - 0.5 * math.cos(2 * math.pi * i / n) for i in range(n)]
    spec = fft([x[start + i] * win[i] for i in range(n)])
    power = [abs(v) ** 2 for v in spec[1:n // 2]]
    cut = int(5000 * n / RATE)
    return sum(power), sum(power[cut:])


def lowpass_ir(taps, cutoff, delay):
    """Windowed-sinc low-pass whose peak is `delay` samples in."""
    ir = []
    for i in range(taps):
        t = i - delay
        s = 2 * cutoff / RATE if t == 0 else math.sin(2 * math.pi * cutoff / RATE * t) / (math.pi * t)
        w = 0.5 - 0.5 * math.cos(2 * math.pi * (i - delay + taps / 2) / taps) \
            if abs(t) < taps / 2 else 0.0
        ir.append(s * w)
    return ir


def test_changes_are_click_free():
    """While a 1 kHz sine (-6 dBFS) plays: master gain steps between -60 and
    0 dB, a block gain steps likewise, an EQ band is added and removed and
    a FIR is swapped for one with another delay and cutoff, each request at
    a random point within a period.  Thresholds: no sample step above the
    steepest a 1 kHz sine of the largest output amplitude makes, plus what
    a 20 ms crossfade of that amplitude may add (+5 % margin for the EQ's
    ripple); the energy above 5 kHz in every 2048-frame window (hop 1024)
    stays 70 dB below the steady tone's energy in such a window.  A click
    is broadband: the hard switch of test_transition.c measures -39 dB
    there; the tone alone is below -120 dB, and the linear 20 ms master
    gain ramp's corners, the roughest change here, about -75 dB."""
    d = Daemon("clickfree", fmt="FLOAT_LE", period=256, periods=8)
    try:
        ir_a = os.path.join(d.dir, "a.f32")
        ir_b = os.path.join(d.dir, "b.f32")
        write_f32(ir_a, lowpass_ir(512, 8000, 100))
        write_f32(ir_b, lowpass_ir(1024, 4000, 140))   # 40 samples later: 300 degrees at 1 kHz
        d.cfg["capture"]["device"] = device("dspdtest_sine")
        d.cfg["playback"]["device"] = device(report=d.report_path, record=d.record_path)
        d.cfg["pipeline"] = [
            {"type": "gain", "name": "trim", "db": 0},
            {"type": "fir", "name": "room", "path": ir_a, "format": "f32le"},
        ]
        d.write_config(d.cfg)
        d.start()
        rng = random.Random(5)
        period_s = 256 / RATE

        def pause():
            time.sleep(0.15 + rng.uniform(0, period_s))

        band = json.dumps({"type": "peq", "name": "eq", "bands": [
            {"kind": "peaking", "freq": 3000, "q": 1, "gain_db": 6}]})
        steps = [
            ("set", "gain", "-60"), ("set", "gain", "0"), ("set", "gain", "-60"), ("set", "gain", "0"),
            ("effect", "set", "trim", "db=-60"), ("effect", "set", "trim", "db=0"),
            ("effect", "add", band, "--after", "room"), ("effect", "remove", "eq"),
            ("effect", "add", band, "--before", "room"), ("effect", "remove", "eq"),
            ("effect", "set", "room", "path=" + ir_b), ("effect", "set", "room", "path=" + ir_a),
            ("effect", "set", "room", "path=" + ir_b),
        ]
        time.sleep(0.5)
        for step in steps:
            pause()
            d.ctl(*step)
        wait_settled(d)
        time.sleep(0.3)
        counters = d.stop()
        check(counters["xruns_capture"] == 0 and counters["xruns_playback"] == 0, "xruns")
    finally:
        d.kill()
    try:
        left = read_f32(d.record_path, 2)[0]
        start = next(i for i in range(len(left)) if abs(left[i]) > 1e-4) + 2048
        body = left[start:]
        amp_max = max(abs(v) for v in body)
        fade = 0.020 * RATE
        allowed = 1.05 * amp_max * 2 * math.sin(math.pi * 1000 / RATE) + amp_max * math.pi / 2 / fade
        worst = max(abs(body[i] - body[i - 1]) for i in range(1, len(body)))
        tone = window_power(body, 0)[0]
        hf, where = max((10 * math.log10(window_power(body, s)[1] / tone + 1e-30), s)
                        for s in range(0, len(body) - 2048, 1024))
        print("    %d changes: largest step %.5f (allowed %.5f, peak %.3f); worst energy "
              "above 5 kHz %.1f dB below the tone at frame %d (allowed -70)"
              % (len(steps), worst, allowed, amp_max, hf, where))
        check(worst <= allowed, "largest step %.5f > %.5f: a click" % (worst, allowed))
        check(hf < -70.0, "energy above 5 kHz %.1f dB: a click" % hf)
    finally:
        d.cleanup()


def test_effects_and_batches():
    """dspctl effect add/bypass/set/remove on the running pipeline, a batch
    that is all or nothing, and "config" notifications saying who changed
    what and when."""
    d = Daemon("effects", fmt="S16_LE", period=1024, periods=6)
    try:
        d.cfg["pipeline"] = [{"type": "gain", "name": "g", "db": 0}]
        d.write_config(d.cfg)
        d.start()
        watcher = subprocess.Popen([Paths.dspctl, "--socket", d.socket, "--json", "monitor",
                                    "--topics", "config"], stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
        band = '[{"kind": "peaking", "freq": 3000, "q": 1, "gain_db": 2}]'
        out = d.ctl("effect", "add", "peq", "eq", "bands=" + band, "--before", "g")
        check(out["class"] == "topology" and out["source"] == "edit" and out["edits"] == 1,
              "effect add: %s" % out)
        check([b["name"] for b in d.ctl("pipeline")["blocks"]] == ["eq", "g"], "order after add")
        out = d.ctl("effect", "set", "eq", "bands/0/gain_db=-3")
        check(out["class"] == "parameters" and out["warmup_ms"] == 0, "effect set: %s" % out)
        check(d.ctl("effect", "bypass", "eq")["class"] == "parameters", "bypass")
        cfg = d.ctl("config", "show")["config"]
        check(cfg["pipeline"][0]["bypass"] is True and
              cfg["pipeline"][0]["bands"][0]["gain_db"] == -3, "config show: %s" % cfg["pipeline"])
        p = d.ctl("effect", "add", "gain", "g", json_out=False, expect_rc=5)
        check('a block named "g" already exists' in p.stderr, "duplicate name: %r" % p.stderr)
        # a batch with a bad last change changes nothing
        before = d.ctl("status")["config"]
        batch = os.path.join(d.dir, "changes.txt")
        with open(batch, "w") as f:
            f.write("# retune\neffect bypass eq off\neffect set g db=-2\neffect set nope db=1\n")
        p = d.ctl("batch", batch, json_out=False, expect_rc=5)
        check("change 3" in p.stderr and 'no block named "nope"' in p.stderr,
              "batch error: %r" % p.stderr)
        after = d.ctl("status")["config"]
        check(after["sha256"] == before["sha256"] and after["generation"] == before["generation"],
              "a rejected batch changed something: %s -> %s" % (before, after))
        # the same batch without the bad line: one change, one new graph
        with open(batch, "w") as f:
            f.write("effect bypass eq off\neffect set g db=-2\n"
                    "config patch replace /pipeline/0/bands/0/freq 2500\n")
        out = d.ctl("batch", batch)
        check(out["generation"] == before["generation"] + 1, "batch made %d graphs"
              % (out["generation"] - before["generation"]))
        cfg = d.ctl("config", "show")["config"]
        check("bypass" not in cfg["pipeline"][0] and cfg["pipeline"][1]["db"] == -2 and
              cfg["pipeline"][0]["bands"][0]["freq"] == 2500, "batch result %s" % cfg["pipeline"])
        d.ctl("effect", "remove", "eq")
        check([b["name"] for b in d.ctl("pipeline")["blocks"]] == ["g"], "remove")
        wait_settled(d)
        time.sleep(0.3)
        watcher.terminate()
        notes = [json.loads(line) for line in watcher.communicate(timeout=5)[0].splitlines()]
        applied = [n for n in notes if n.get("outcome") == "applied"]
        rejected = [n for n in notes if n.get("outcome") == "rejected"]
        whats = [a["what"] for a in applied]
        print("    notified: %s" % "; ".join(whats))
        check(any(w.startswith("effect.add eq") for w in whats) and
              any(w.startswith("batch of 3") for w in whats), "applied notifications %s" % whats)
        check(all(a["by"]["pid"] > 0 and a["at"].endswith("Z") for a in applied), "who/when")
        check(len(rejected) == 2 and any("change 3" in e for r in rejected for e in r["errors"]),
              "rejected notifications %s" % rejected)
        check(any(n.get("outcome") == "active" for n in notes), "no active notification")
        counters = d.stop()
        check(counters["xruns_capture"] == 0 and counters["xruns_playback"] == 0, "xruns")
        # (the gain changes alter the counter signal: the storm test is the
        # one that checks every frame)
        check(d.report()["playback"]["underruns"] == 0, "device underruns")
    finally:
        d.cleanup()


def test_state_survives_restart():
    """With "state_file": the volume, mute and runtime edits come back after
    a restart; once the configuration file itself is edited, the file wins
    over the older runtime edits (the volume still comes back)."""
    d = Daemon("state", fmt="S16_LE")
    try:
        state = os.path.join(d.dir, "state.json")
        d.cfg["state_file"] = state
        d.cfg["pipeline"] = [{"type": "gain", "name": "g", "db": 0}]
        d.write_config(d.cfg)
        d.start()
        d.ctl("set", "gain", "-7.5")
        d.ctl("effect", "add", "gain", "trim", "db=-1")
        d.stop()
        with open(state) as f:
            saved = json.load(f)
        check(saved["volume"] == {"db": -7.5, "mute": False} and saved["edits"] == 1,
              "state file %s" % saved)
        d.start()
        st = d.ctl("status")
        check(d.ctl("get", "gain")["db"] == -7.5, "volume not restored")
        check(st["config"]["source"] == "edit" and st["config"]["edits"] == 1,
              "edits not restored: %s" % st["config"])
        check([b["name"] for b in d.ctl("pipeline")["blocks"]] == ["g", "trim"], "pipeline")
        # a SIGHUP of the unchanged file drops the edits but keeps the volume
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while d.ctl("status")["config"]["source"] != "file" and time.monotonic() < deadline:
            time.sleep(0.02)
        check([b["name"] for b in d.ctl("pipeline")["blocks"]] == ["g"], "reload kept edits")
        check(d.ctl("get", "gain")["db"] == -7.5, "reload reset the volume")
        d.ctl("effect", "add", "gain", "trim", "db=-1")
        d.stop()
        # the file changes while dspd is down: its edits are stale
        d.cfg["pipeline"][0]["db"] = -0.5
        d.write_config(d.cfg)
        d.start()
        st = d.ctl("status")
        check(st["config"]["source"] == "file" and st["config"]["edits"] == 0, "stale edits applied")
        check(d.ctl("get", "gain")["db"] == -7.5, "volume not restored")
        check("the file wins" in d.read_log(), "no word about the dropped edits")
        d.stop()
    finally:
        d.cleanup()


def test_sighup_while_the_audio_thread_is_stuck():
    """SIGHUP while the RT thread is stalled (300 ms inside the device) and
    then recovering: the control side applies at once, the RT thread takes
    the new pipeline when it runs again; one resync, nothing else lost."""
    d = Daemon("stuck-hup", fmt="S16_LE", period=1024, periods=6)
    try:
        variants = identity_variants(d)
        d.cfg["pipeline"] = variants[0]
        d.write_config(d.cfg)
        d.start()
        time.sleep(0.3)
        d.device_command("stall 300")
        time.sleep(0.1)
        sha = hup_with(d, config_with(d, variants[1]))
        st = wait_applied(d, sha)
        check([b["name"] for b in d.ctl("pipeline")["blocks"]] == ["m", "g"], "pipeline")
        check(st["xruns"]["capture"] + st["xruns"]["playback"] >= 1, "the stall made no xrun")
        time.sleep(0.3)
        x = d.ctl("xruns")
        counters = d.stop()
        rep = d.report()["playback"]
        print("    %d resync(s), device gaps %d, mismatches %d" %
              (len(x["recent"]), rep["gaps"], rep["mismatches"]))
        check(len(x["recent"]) == 1, "more than one resync: %s" % x["recent"])
        check(rep["mismatches"] == 0, "frames altered")
        check(rep["gaps"] == 1, "gaps %s: only the stall's" % rep["gap_list"])
    finally:
        d.cleanup()
