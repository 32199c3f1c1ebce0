"""test_parallel.py - the pipeline on several threads (issue 19), live on the
paced test devices: status and Prometheus report each worker's busy time;
a worker forced to stall (test.stall_worker, a hook that exists only with
DSPD_TEST_HOOKS=1) makes counted late periods, reported like an xrun with
the block it was in, while the daemon and its socket keep answering and
the streams keep running; afterwards the workers carry on as before.  The
hook is absent without DSPD_TEST_HOOKS."""

import array
import os
import random
import subprocess
import time

from harness import Daemon, Paths, check, lane_fir
from test_hostile import sanitized
from test_methods import Conn

CHANNELS = 8
TAPS = 8192


def lane_pipeline(d, taps=TAPS):
    """A 1 -> 8 split, then one FIR of `taps` per channel (each its own
    IR, in d.dir), then a gain over all: lanes between two join points."""
    blocks = [{"type": "mixer", "name": "split", "channels_in": CHANNELS,
               "channels_out": CHANNELS,
               "routes": [{"out": o, "in": o % 2} for o in range(CHANNELS)]}]
    blocks += [lane_fir(d, ch, taps, 0.01) for ch in range(CHANNELS)]
    blocks.append({"type": "gain", "name": "trim", "db": -1})
    return blocks


def parallel_daemon(name, threads=2, hooks=False):
    d = Daemon(name, channels=CHANNELS, period=1024, periods=4,
               extra={"threads": threads})
    d.cfg["pipeline"] = lane_pipeline(d)
    d.write_config(d.cfg)
    if hooks:
        d.extra_env = {"DSPD_TEST_HOOKS": "1"}
    return d


def test_status_reports_each_worker():
    """threads 2: status and stats say so, with both workers' busy time
    per period; Prometheus has it per worker; no late periods."""
    d = parallel_daemon("parallel-status")
    try:
        d.start()
        time.sleep(2.5)
        st = d.ctl("status")
        check(st["threads"] == 2, "status.threads: %s" % st.get("threads"))
        workers = st["workers"]
        check(len(workers) == 2 and [w["worker"] for w in workers] == [0, 1],
              "status.workers: %s" % workers)
        for w in workers:
            check(w["periods"] > 20 and 0 < w["p50"] <= w["p99"] <= w["max"] < 2,
                  "worker %d busy: %s" % (w["worker"], w))
        check(st["late_periods"] == 0, "late periods: %s" % st["late_periods"])
        stats = d.ctl("stats")
        check(stats["threads"] == 2 and len(stats["workers"]) == 2, "stats: %s" % stats)
        prom = d.ctl("stats", "--prometheus", json_out=False).stdout
        for k in ("0", "1"):
            check('dspd_worker_busy_p99_seconds{worker="%s"}' % k in prom,
                  "prometheus worker %s:\n%s" % (k, prom))
        check("dspd_late_periods_total 0" in prom, "prometheus late periods")
        print("    busy p99: worker 0 %.1f %%, worker 1 %.1f %% of the period"
              % (workers[0]["p99"] * 100, workers[1]["p99"] * 100))
        d.stop()
    finally:
        d.cleanup()


def test_stalled_worker_makes_late_periods_not_a_hang():
    """Worker 1 sleeps 150 ms in each of 4 periods (21 ms each): the RT
    thread does not wait for it past the playback's deadline, plays
    silence, and counts late periods; status answers quickly all along;
    the late episode is in xruns.recent (cause "late", the block a lane);
    then the workers carry on: no more late periods, frames advance, no
    capture or playback xrun."""
    d = parallel_daemon("parallel-stall", hooks=True)
    try:
        d.start()
        time.sleep(1.0)
        conn = Conn(d.socket, timeout=5)
        msg = conn.call("test.stall_worker", {"worker": 1, "ms": 150, "periods": 4})
        check("result" in msg, "test.stall_worker: %s" % msg)
        slowest = 0.0
        t_end = time.monotonic() + 1.5
        while time.monotonic() < t_end:
            t0 = time.monotonic()
            st = d.ctl("status", timeout=5)
            slowest = max(slowest, time.monotonic() - t0)
            time.sleep(0.05)
        check(slowest < 1.0, "status took %.2f s during the stall" % slowest)
        st = d.ctl("status")
        late = st["late_periods"]
        check(late >= 4, "late periods after 4 stalls of 150 ms: %d" % late)
        xr = d.ctl("xruns")
        lates = [x for x in xr["recent"] if x["cause"] == "late"]
        check(lates and all(x["block"].startswith("lane") for x in lates)
              and sum(x["frames_lost"] for x in lates) == late * 1024,
              "xruns.recent: %s (late periods %d)" % (xr["recent"], late))
        processed = st["frames"]["processed"]
        time.sleep(1.5)
        st2 = d.ctl("status")
        check(st2["late_periods"] == late, "late periods went on: %d -> %d"
              % (late, st2["late_periods"]))
        check(st2["frames"]["processed"] - processed > 48000,
              "frames after the stall: %d" % (st2["frames"]["processed"] - processed))
        check(st2["state"] == "running", "state %s" % st2["state"])
        if not sanitized(d.proc.pid):
            check(st2["xruns"]["capture"] == 0 and st2["xruns"]["playback"] == 0,
                  "xruns: %s" % st2["xruns"])
        print("    %d late periods (%d frames of silence), status at worst %.0f ms, "
              "xruns %s" % (late, late * 1024, slowest * 1000, st2["xruns"]))
        conn.close()
        d.stop()
        check("late period: a pipeline worker" in d.log, "log:\n" + d.log[-2000:])
    finally:
        d.cleanup()


def test_stall_hook_absent_without_test_hooks():
    """Without DSPD_TEST_HOOKS=1 there is no test.stall_worker, and hello
    does not list it."""
    d = parallel_daemon("parallel-nohook")
    try:
        d.start()
        conn = Conn(d.socket, timeout=5)
        msg = conn.call("test.stall_worker", {"worker": 1})
        check("error" in msg and msg["error"]["code"] == -32601, "answer: %s" % msg)
        hello = conn.call("hello", {})
        check("test.stall_worker" not in hello["result"]["methods"], "hello lists it")
        conn.close()
        d.stop()
    finally:
        d.cleanup()


def test_render_threads_bit_identical():
    """The same render on 1, 2 and 3 threads, with the FFTW wisdom the
    first run leaves: byte-identical outputs."""
    d = Daemon("parallel-render", channels=CHANNELS)
    try:
        d.cfg["pipeline"] = lane_pipeline(d, taps=20000)
        d.cfg["fftw_wisdom"] = os.path.join(d.dir, "fftw.wisdom")
        inp = os.path.join(d.dir, "in.f32")
        rnd = random.Random(7)
        with open(inp, "wb") as f:
            array.array("f", [rnd.uniform(-0.5, 0.5)
                              for _ in range(48000 * CHANNELS)]).tofile(f)
        outs = []
        for threads in (1, 2, 3, 1):
            d.cfg["threads"] = threads
            d.cfg["capture"]["format"] = d.cfg["playback"]["format"] = "FLOAT_LE"
            d.write_config(d.cfg)
            out = os.path.join(d.dir, "out%d.f32" % len(outs))
            with open(inp, "rb") as fin, open(out, "wb") as fout:
                p = subprocess.run([Paths.dspd, "-c", d.config_path, "--render", "-", "-"],
                                   stdin=fin, stdout=fout, stderr=subprocess.PIPE,
                                   text=True, env=d.env(), timeout=120)
            check(p.returncode == 0, "render: %s" % p.stderr)
            check("on %d thread(s)" % threads in p.stderr, "render log: %s" % p.stderr)
            with open(out, "rb") as f:
                outs.append(f.read())
        check(len(outs[0]) == 48000 * CHANNELS * 4, "output length %d" % len(outs[0]))
        for i in range(1, len(outs)):
            check(outs[i] == outs[0], "render %d differs from the first" % i)
    finally:
        d.cleanup()


def strip_comments(text):
    """The configuration's // comments out (outside strings), for json."""
    out = []
    for line in text.splitlines():
        quoted, i = False, 0
        while i < len(line):
            c = line[i]
            if c == '\\' and quoted:
                i += 2
                continue
            if c == '"':
                quoted = not quoted
            elif c == '/' and not quoted and line[i + 1:i + 2] == '/':
                line = line[:i]
                break
            i += 1
        out.append(line)
    return "\n".join(out)


def write_float_wav(path, rate, channels, samples):
    import struct
    raw = array.array("f", samples).tobytes()
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + len(raw)) + b"WAVEfmt " +
                struct.pack("<IHHIIHH", 16, 3, channels, rate, rate * channels * 4,
                            channels * 4, 32) + b"data" + struct.pack("<I", len(raw)) + raw)


def test_examples_render_bit_identical_on_any_threads():
    """Every shipped example, rendered (--render --threads 1, 2, 3 and
    auto) from 0.5 s of noise: byte-identical outputs (plans are the same
    without fftw_wisdom: estimated)."""
    import json
    import tempfile
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ex = os.path.join(root, "etc", "examples")
    names = sorted(n for n in os.listdir(ex) if n.endswith(".conf"))
    env = dict(os.environ)
    tested = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in names:
            cfg = json.loads(strip_comments(open(os.path.join(ex, n)).read()))
            rate = cfg.get("rate", 48000)
            rate = rate if isinstance(rate, int) else 48000
            channels = cfg.get("capture", {}).get("channels", 2)
            rnd = random.Random(n)
            inp = os.path.join(tmp, n + ".wav")
            write_float_wav(inp, rate, channels,
                            [rnd.uniform(-0.3, 0.3) for _ in range(rate // 2 * channels)])
            outs = {}
            for threads in ("1", "2", "3", "auto"):
                p = subprocess.run([Paths.dspd, "-c", os.path.join(ex, n), "--render",
                                    "--threads", threads, inp, "-"],
                                   capture_output=True, env=env, timeout=120)
                check(p.returncode == 0, "%s --threads %s: %s"
                      % (n, threads, p.stderr.decode()[-800:]))
                outs[threads] = p.stdout
            for t, o in outs.items():
                check(o == outs["1"] and len(o) > 0, "%s: --threads %s differs from 1 "
                      "(%d vs %d bytes)" % (n, t, len(o), len(outs["1"])))
            tested.append(n)
    check(len(tested) == len(names), "examples rendered: %s of %s" % (tested, names))
    print("    %d examples byte-identical on 1, 2, 3 and auto threads" % len(tested))
