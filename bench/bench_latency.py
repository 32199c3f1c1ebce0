#!/usr/bin/env python3
"""bench_latency.py - the smallest buffering that runs without an xrun, for
dspd with the reference pipeline against two anchors on the same paced rig
in the same run: a bare passthrough built like dspd's loop
(bench/passthrough.c) and alsaloop (alsa-utils).

The rig is the paced test device (tests/alsa), clocked by CLOCK_MONOTONIC,
with its counter signal, so the device itself counts underruns, overruns
and lost frames and measures the passthroughs' latency to the frame.  The
reference pipeline: stereo, a 10-band PEQ (10 biquads), a 16384-tap FIR,
a limiter and a meter.

For each program, candidates period x periods are tried from the lowest
latency up: a screening run of --screen seconds, and the first that passes
is confirmed with a window of --window seconds (default 300: 5 minutes);
a failed confirmation moves on to the next candidate.  A run passes with
zero xruns seen by the program and by the device and zero lost frames; a
run ends at the first xrun the device reports.

Then, at dspd's stable setting: dspd with an empty (bit-exact) pipeline
on the counter, so that the device measures dspd's own buffering against
the passthrough's at the same setting (must be equal: dspd adds none);
the per-period processing time (status.busy: p50, p99, max) at period
256 of the reference pipeline and, as its anchor, of the same daemon with
an empty pipeline (the device I/O, conversion and meters alone); and
dspd's RSS with each.  --load-only skips the search.

usage: bench/bench_latency.py [--window S] [--screen S] [--load-only]"""
import argparse
import array
import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402
from harness import ALSA_CONF, Daemon, device, rss_kib  # noqa: E402

RATE = 48000
PASSTHROUGH = os.path.join(ROOT, "build", "rel", "bench", "passthrough")
CANDIDATES = sorted(((p, n) for p in (32, 64, 128, 256, 512, 1024, 2048) for n in (3, 4)),
                    key=lambda c: ((c[1] - 1) * c[0], c[0] * c[1]))


IR_PATH = os.path.join("/tmp", "dspd-bench-latency-ir-%d.f32" % os.getpid())


def reference_pipeline():
    rnd = random.Random(9)
    taps = array.array("f", [0.0] * 16384)
    taps[0] = 0.5
    for i in range(1, len(taps)):       # a decaying room-like tail
        taps[i] = rnd.uniform(-1, 1) * 0.05 * (0.9995 ** i)
    with open(IR_PATH, "wb") as f:
        taps.tofile(f)
    bands = [{"kind": "highpass", "freq": 20}, {"kind": "lowshelf", "freq": 80, "gain_db": 3},
             {"kind": "peaking", "freq": 120, "q": 4, "gain_db": -6},
             {"kind": "peaking", "freq": 300, "q": 1.4, "gain_db": 2},
             {"kind": "peaking", "freq": 700, "q": 2, "gain_db": -1.5},
             {"kind": "peaking", "freq": 1500, "q": 1, "gain_db": 1},
             {"kind": "notch", "freq": 3000, "q": 10},
             {"kind": "peaking", "freq": 6000, "q": 3, "gain_db": -3},
             {"kind": "highshelf", "freq": 10000, "gain_db": -2},
             {"kind": "lowpass", "freq": 20000}]
    return [{"type": "peq", "name": "eq", "bands": bands},
            {"type": "fir", "name": "room", "path": IR_PATH, "format": "f32le"},
            {"type": "limiter", "name": "guard", "ceiling_db": -0.5},
            {"type": "meter", "name": "out"}]


def env():
    e = dict(os.environ)
    e["ALSA_CONFIG_PATH"] = "/usr/share/alsa/alsa.conf:" + ALSA_CONF
    return e


def device_ok(report):
    c, p = report["capture"], report["playback"]
    return c["overruns"] == 0 and p["underruns"] == 0 and p["gaps"] == 0


def failed_after(report_path, seconds, running):
    """Watch a run for up to `seconds` while running() holds: the device
    rewrites its report every half second, so the first xrun or lost
    frame is seen within about a second and the window need not run on.
    Returns the seconds run when the device failed, else None."""
    start = time.monotonic()
    while running() and time.monotonic() - start < seconds:
        time.sleep(max(0.0, min(1.0, seconds - (time.monotonic() - start))))
        try:
            with open(report_path) as f:
                if not device_ok(json.load(f)):
                    return time.monotonic() - start
        except (FileNotFoundError, ValueError):
            pass
    return None


def run_passthrough(tmp, period, periods, seconds):
    report = os.path.join(tmp, "pt.json")
    if os.path.exists(report):
        os.unlink(report)
    dev_c, dev_p = device("dspdtest"), device("dspdtest", report=report)
    proc = subprocess.Popen([PASSTHROUGH, "-C", dev_c, "-P", dev_p, "-f", "S32_LE",
                             "-p", str(period), "-n", str(periods), "-s", str(seconds)],
                            env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failed = failed_after(report, seconds + 60, lambda: proc.poll() is None)
    if failed is not None:
        proc.kill()
        proc.communicate()
        return False, None, "the device saw an xrun after %.0f s" % failed
    out, err = proc.communicate()
    if proc.returncode != 0:
        return False, None, err.strip()
    res = json.loads(out)
    with open(report) as f:
        rep = json.load(f)
    return res["xruns"] == 0 and device_ok(rep), rep["playback"]["latency_max"], \
        "latency %d" % rep["playback"]["latency_max"]


def run_alsaloop(tmp, period, periods, seconds):
    """alsaloop asked for the latency (periods - 1) * period (-l; it picks
    its own period and buffer, reported by the device); stopped by SIGTERM
    after seconds (its -s does not end it with this device)."""
    report = os.path.join(tmp, "al.json")
    if os.path.exists(report):
        os.unlink(report)
    dev_c, dev_p = device("dspdtest"), device("dspdtest", report=report)
    proc = subprocess.Popen(["alsaloop", "-C", dev_c, "-P", dev_p, "-f", "S32_LE", "-c", "2",
                             "-r", str(RATE), "-l", str((periods - 1) * period), "-S", "0"],
                            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    failed = failed_after(report, seconds, lambda: proc.poll() is None)
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=10)
    if failed is not None:
        return False, None, "the device saw an xrun after %.0f s" % failed
    if not os.path.exists(report):
        return False, None, proc.stderr.read()[-200:]
    with open(report) as f:
        rep = json.load(f)
    ok = device_ok(rep) and rep["playback"]["starts"] == 1 and rep["playback"]["counter_frames"] > 0
    return ok, rep["playback"]["latency_max"], "alsaloop chose period %d, buffer %d" % (
        rep["period_frames"], rep["buffer_frames"])


def dspd_daemon(name, period, periods, pipeline, fmt="S32_LE"):
    d = Daemon(name, fmt=fmt, period=period, periods=periods)
    d.cfg["realtime"] = {"enabled": True, "mlock": True}
    d.cfg["pipeline"] = pipeline
    d.write_config(d.cfg)
    return d


def run_dspd(tmp, period, periods, seconds, pipeline=None):
    d = dspd_daemon("lat", period, periods, reference_pipeline() if pipeline is None else pipeline)
    try:
        d.start()
        failed = failed_after(d.report_path, seconds, lambda: d.proc.poll() is None)
        st = d.ctl("status")
        d.stop()
        if failed is not None:
            return False, None, "the device saw an xrun after %.0f s" % failed
        rep = d.report()
        ok = (st["xruns"]["capture"] == 0 and st["xruns"]["playback"] == 0 and device_ok(rep))
        if pipeline is None:
            return ok, st["latency_frames"], "busy p99 %.0f us" % st["busy"]["p99_us"]
        return ok, st["latency_frames"], rep["playback"]["latency_max"]
    except harness.Failure as e:
        return False, None, str(e)[:200]
    finally:
        d.cleanup()


def smallest_stable(name, runner, tmp, screen, window):
    for period, periods in CANDIDATES:
        ok, latency, info = runner(tmp, period, periods, screen)
        print("  %-11s %5d x %d: %4.0f s %-4s %s" % (name, period, periods, screen,
                                                      "ok" if ok else "xrun", info), flush=True)
        if not ok:
            continue
        ok, latency, info = runner(tmp, period, periods, window)
        print("  %-11s %5d x %d: %4.0f s %-4s %s" % (name, period, periods, window,
                                                      "ok" if ok else "xrun", info), flush=True)
        if ok:
            return period, periods, latency
    return None


def latency_search(tmp, screen, window):
    print("candidates (period x periods, lowest latency first): %s; screen %.0f s, window %.0f s"
          % (", ".join("%dx%d" % c for c in CANDIDATES), screen, window), flush=True)
    found = {}
    for name, runner in (("passthrough", run_passthrough), ("alsaloop", run_alsaloop),
                         ("dspd", run_dspd)):
        found[name] = smallest_stable(name, runner, tmp, screen, window)

    print("%-30s %14s %18s %9s" % ("program", "period x n", "latency", "ratio"))
    # alsaloop's row: the latency asked (-l); its own period and buffer above
    base = found["passthrough"][2] if found["passthrough"] else None
    for name, label in (("passthrough", "bare passthrough (anchor)"), ("alsaloop", "alsaloop"),
                        ("dspd", "dspd, reference pipeline")):
        f = found[name]
        if not f:
            print("%-30s %14s" % (label, "none stable"))
            continue
        ratio = "%9.2f" % (f[2] / base) if base else "%9s" % "-"
        print("%-30s %8d x %-3d %8d (%5.2f ms) %s" % (label, f[0], f[1], f[2],
                                                      1000.0 * f[2] / RATE, ratio))

    if found["dspd"]:
        period, periods, _ = found["dspd"]
        ok, status_latency, measured = run_dspd(tmp, period, periods, 5, pipeline=[])
        _, pt_measured, _ = run_passthrough(tmp, period, periods, 5)
        print("buffering at %d x %d, measured by the device: dspd %s frames (status says %s), "
              "passthrough %s frames: dspd adds %s" % (period, periods, measured, status_latency,
                                                       pt_measured, (measured - pt_measured)
                                                       if ok and pt_measured is not None else "?"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", type=float, default=float(os.environ.get("BENCH_LATENCY_WINDOW", 300)))
    ap.add_argument("--screen", type=float, default=10)
    ap.add_argument("--load-only", action="store_true",
                    help="skip the latency search: per-period time and RSS only")
    args = ap.parse_args()
    tmp = os.path.join("/tmp", "dspd-bench-latency-%d" % os.getpid())
    os.makedirs(tmp, exist_ok=True)
    if not args.load_only:
        latency_search(tmp, args.screen, args.window)
    # the same period with an empty pipeline is the anchor: what the device
    # I/O, format conversion, meters and taps cost per period on this rig
    rows = []
    for label, pipeline in (("empty pipeline (anchor)", []),
                            ("reference pipeline", reference_pipeline())):
        d = dspd_daemon("load", 256, 4, pipeline)
        try:
            d.start()
            time.sleep(12)
            st = d.ctl("status")
            rss = rss_kib(d.proc.pid)
            d.stop()
        finally:
            d.cleanup()
        rows.append((label, st["busy"], st["xruns"], rss))
    print("per-period time at period 256 (5.33 ms), from status.busy over the last 10 s:")
    anchor_p50 = rows[0][1]["p50_us"]
    for label, b, xruns, _ in rows:
        print("  %-24s p50 %4.0f us (%.1f %%), p99 %4.0f us (%.1f %%), max %5.0f us (%.1f %%) "
              "over %d periods, p50 ratio %.2f; xruns %s"
              % (label, b["p50_us"], 100 * b["p50"], b["p99_us"], 100 * b["p99"], b["max_us"],
                 100 * b["max"], b["periods"], b["p50_us"] / anchor_p50, xruns))
    print("dspd RSS with the reference pipeline: %d KiB (empty pipeline: %d KiB)"
          % (rows[1][3], rows[0][3]))


if __name__ == "__main__":
    sys.exit(main())
