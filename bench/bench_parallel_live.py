#!/usr/bin/env python3
"""bench_parallel_live.py - the running daemon with 8 channels x 65536 taps
on the paced test device (tests/alsa): RT busy time per period on 1 vs 2
threads (issue 19), and a soak of the same pipeline with 2 threads.

The rig: dspd on dspdtest (paced by CLOCK_MONOTONIC), 48 kHz, 8 channels
S32_LE, period 1024 (21.3 ms) x --periods (default 4), SCHED_FIFO and
mlockall (realtime.enabled), a 1 kHz sine in.  The pipeline: 8 fir blocks,
one per channel, each with its own 65536-tap IR (decaying noise), the
default partition (the period) and partitioning (non_uniform).  The
top-level "threads" key is 1 or 2.

Default (make bench): for each thread count, --seconds of audio (default
30); status is read every 10 s (status.busy covers the last 10 s) after a
5 s settle.  Printed per thread count: busy p50/p99/max in microseconds
and as a fraction of the period, from the window with the median p99 and
the worst window's p99 and max; the threads the daemon runs, whether its
workers got SCHED_FIFO, late periods and each worker's busy figures (from
the median window's status); and
the xruns seen by dspd and by the device.  The 1-thread run is the anchor:
the 2-thread p99 is printed as a ratio to it.  A first run with an empty
pipeline shows the share of busy that is the rig's own (the test device's
signal and checker run in the audio thread's reads and writes, and the
format conversion), which no thread count removes.

--soak S (make soak-parallel, default 600 s): one run of S seconds of
device time with --threads (default 2), status every 10 s; fails (exit 1)
at the end if dspd or the device saw any xrun, if the daemon left the
running state or exited, or if a worker was late (status.late_periods),
and prints the busy figures of every window.
--speed N runs the device N times faster than real time (device time; the
period shrinks to 1024/N frames of wall time, a harder test of the host).

usage: bench/bench_parallel_live.py [--seconds S] [--periods N]
                                    [--soak S [--threads N] [--speed N]]"""
import argparse
import array
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "e2e"))
import harness  # noqa: E402
from harness import Daemon, device  # noqa: E402

RATE = 48000
CHANNELS = 8
TAPS = 65536
PERIOD = 1024
WINDOW_S = 10           # status.busy's window
SETTLE_S = 5


def write_irs(work):
    rnd = random.Random(1965536)
    paths = []
    for c in range(CHANNELS):
        r = rnd.random
        taps = array.array("f", bytes(4 * TAPS))
        env, decay = 0.005, 0.9999
        for i in range(TAPS):
            taps[i] = (r() * 2 - 1) * env
            env *= decay
        taps[0] = 0.25
        path = os.path.join(work, "ir%d.f32" % c)
        with open(path, "wb") as f:
            taps.tofile(f)
        os.chmod(path, 0o644)
        paths.append(path)
    return paths


def make_daemon(name, threads, periods, speed, fir=True):
    args = {"speed": speed} if speed != 1 else {}
    d = Daemon(name, fmt="S32_LE", period=PERIOD, periods=periods, channels=CHANNELS,
               capture=device("dspdtest", signal="sine", **args))
    if speed != 1:
        d.cfg["playback"]["device"] = device("dspdtest", report=d.report_path, **args)
    irs = write_irs(d.dir) if fir else []
    d.cfg["threads"] = threads
    d.cfg["realtime"] = {"enabled": True, "mlock": True}
    d.cfg["pipeline"] = [{"type": "fir", "name": "ch%d" % c, "channels": [c], "path": ir,
                          "format": "f32le", "max_taps": TAPS}
                         for c, ir in enumerate(irs)]
    d.write_config(d.cfg)
    return d


def device_xruns(d):
    try:
        rep = d.report()
    except (OSError, ValueError):
        return None
    return rep["capture"]["overruns"] + rep["playback"]["underruns"]


def run(name, threads, periods, seconds, speed=1, verbose=False, fir=True):
    """One daemon for `seconds` (wall); returns (windows, status, device
    xruns, failure text or None).  windows: status.busy of each 10 s
    window after the settle."""
    d = make_daemon(name, threads, periods, speed, fir)
    windows, failure, st = [], None, None
    try:
        d.start()
        time.sleep(SETTLE_S)
        d.ctl("status")                 # the settle's window is not kept
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            time.sleep(min(WINDOW_S, max(0.0, seconds - (time.monotonic() - start))))
            if d.proc.poll() is not None:
                failure = "dspd exited with %d" % d.proc.returncode
                break
            st = d.ctl("status")
            windows.append(st)
            if verbose:
                b = st["busy"]
                print("  %5.0f s: busy p99 %6.0f us (%.3f), max %6.0f us (%.3f); xruns %s; "
                      "late periods %s; device xruns %s"
                      % (time.monotonic() - start, b["p99_us"], b["p99"], b["max_us"], b["max"],
                         xrun_count(st), st.get("late_periods"), device_xruns(d)), flush=True)
            if st["state"] != "running":
                failure = "state %s" % st["state"]
        dev = device_xruns(d)
        if failure is None:
            d.stop()
        return windows, st, dev, failure
    except harness.Failure as e:
        return windows, st, device_xruns(d), str(e)[:500]
    finally:
        d.cleanup()


def xrun_count(st):
    return st["xruns"]["capture"] + st["xruns"]["playback"] if st else None


def median_window(windows):
    by_p99 = sorted(windows, key=lambda s: s["busy"]["p99"])
    return by_p99[len(by_p99) // 2]


def extras(st):
    """Per-worker busy and late periods, once the daemon reports them."""
    out = []
    if "threads" in st:
        out.append("status: threads %s, workers_rt %s, late periods %s"
                   % (st["threads"], st.get("workers_rt"), st.get("late_periods")))
    for w in st.get("workers") or []:
        out.append("worker %s%s: p50 %5.0f us (%.3f), p99 %5.0f us (%.3f), max %5.0f us (%.3f)"
                   % (w.get("worker"), " (the audio thread's share)" if w.get("worker") == 0
                      else "", w["p50_us"], w["p50"], w["p99_us"], w["p99"], w["max_us"],
                      w["max"]))
    return out


def live(args):
    period_us = 1e6 * PERIOD / RATE
    print("%d channels x %d taps (8 IRs, non_uniform, partition = period), %d Hz, period %d "
          "(%.1f ms) x %d, SCHED_FIFO; %d s per run, status.busy per %d s window"
          % (CHANNELS, TAPS, RATE, PERIOD, period_us / 1000, args.periods, args.seconds,
             WINDOW_S), flush=True)
    anchor = None
    for label, threads, fir in (("empty pipeline (the rig's I/O alone)", 1, False),
                                ("threads 1 (anchor)", 1, True), ("threads 2", 2, True)):
        windows, st, dev, failure = run("par%d" % threads, threads, args.periods, args.seconds,
                                        fir=fir)
        if not windows:
            print("  %s: no figures: %s" % (label, failure))
            continue
        b = median_window(windows)["busy"]
        worst = max(windows, key=lambda s: s["busy"]["p99"])["busy"]
        if fir and threads == 1:
            anchor = b["p99_us"]
        ratio = ("; p99 %.2f of the 1-thread p99" % (b["p99_us"] / anchor)) \
            if anchor and fir else ""
        print("  %s: busy p50 %5.0f us (%.3f of the period), p99 %5.0f us (%.3f), "
              "max %5.0f us (%.3f); worst window p99 %.3f, max %.3f%s"
              % (label, b["p50_us"], b["p50"], b["p99_us"], b["p99"], b["max_us"], b["max"],
                 worst["p99"], worst["max"], ratio))
        for line in extras(median_window(windows)):
            print("    " + line)
        print("    xruns: dspd %s, device %s%s" % (xrun_count(st), dev,
                                                   "; FAILED: %s" % failure if failure else ""),
              flush=True)


def soak(args):
    print("soak: %d channels x %d taps, period %d x %d, threads %d, %.0f s of device time "
          "(speed %g: %.0f s wall)" % (CHANNELS, TAPS, PERIOD, args.periods, args.threads,
                                       args.soak, args.speed, args.soak / args.speed),
          flush=True)
    windows, st, dev, failure = run("soakpar", args.threads, args.periods,
                                    args.soak / args.speed, args.speed, verbose=True)
    if windows:
        p99 = [w["busy"]["p99"] for w in windows]
        mx = [w["busy"]["max"] for w in windows]
        print("busy over %d windows: p99 median %.3f, worst %.3f of the period; max %.3f"
              % (len(windows), statistics.median(p99), max(p99), max(mx)))
        for line in extras(windows[-1]):
            print("  " + line)
    if args.speed != 1:
        print("(busy fractions are of the nominal period: at speed %g the wall-clock period "
              "is %.2f ms)" % (args.speed, 1000.0 * PERIOD / RATE / args.speed))
    xr = xrun_count(st)
    late = st.get("late_periods", 0) if st else None
    ok = failure is None and xr == 0 and dev == 0 and late == 0
    print("xruns: dspd %s, device %s; late periods %s%s"
          % (xr, dev, late, "; %s" % failure if failure else ""))
    print("soak-parallel: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--periods", type=int, default=4)
    ap.add_argument("--soak", type=float, help="soak for this many seconds of device time")
    ap.add_argument("--threads", type=int, default=2, help="threads of the soak")
    ap.add_argument("--speed", type=float, default=1, help="device speed of the soak")
    ap.add_argument("--dspd", default=os.path.join(os.path.dirname(HERE), "daemon", "dspd"))
    ap.add_argument("--dspctl", default=os.path.join(os.path.dirname(HERE), "ctl", "dspctl"))
    args = ap.parse_args()
    harness.Paths.dspd = os.path.abspath(args.dspd)
    harness.Paths.dspctl = os.path.abspath(args.dspctl)
    if args.soak:
        return soak(args)
    live(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
