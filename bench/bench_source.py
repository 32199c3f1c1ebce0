#!/usr/bin/env python3
"""bench_source.py - following the source, in figures next to anchors.

    python3 bench/bench_source.py [--switches N] [--links N]

On the paced dspdtest device (build it with `make all plugin`), in one run:
  * switch time: N source rate changes (44.1k/48k/96k, at random times) in
    mode "resample" (only the capture reopens) and mode "reopen" (the whole
    chain restarts); the time from the change to the first period at the
    new rate, as dspd reports it in its "source" events.  Anchor: one
    period at the new rate, the least any switch can take (a period must be
    captured before it can be played).  Goal: at most 100 ms.
  * the volume link: a player's write of its mixer element until dspd's
    gain follows, and `gain.set` until the element holds the new value
    (N each).  Anchor: a `gain.get` round trip on the same connection (the
    quickest anything can be observed over the socket).  Goal: 20 ms.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import harness  # noqa: E402
from test_source import RATES, source_daemon, subscribe  # noqa: E402
from test_volume_link import (Conn, SWITCH, VOLUME, link_daemon, rig_has_ctl,  # noqa: E402
                              value_for, wait_for)

PERIOD = 1024


def switch_times(mode, count):
    import random
    rng = random.Random(99)
    d = source_daemon("bench-" + mode, mode=mode, period=PERIOD)
    out = []
    try:
        d.start()
        c = subscribe(d, ("source",))
        rate = 48000
        for _ in range(count):
            rate = rng.choice([r for r in RATES if r != rate])
            time.sleep(rng.uniform(0.3, 0.7))
            d.device_command("source rate %d" % rate)
            note = c.wait_note("source", timeout=10.0, where=lambda p: p.get("event") == "switch")
            # mode reopen: the new period is PERIOD frames at the new rate;
            # mode resample: the capture's period is PERIOD at 48k scaled
            capture_period = PERIOD if mode == "reopen" else PERIOD * rate / 48000
            out.append((note["duration_ms"], 1000.0 * capture_period / rate))
        c.close()
        d.stop()
    finally:
        d.cleanup()
    return out


def link_times(count):
    d = link_daemon("bench-vlink")
    to_gain, to_elem, anchor = [], [], []
    try:
        d.start()
        c = Conn(d.socket)
        for i in range(count):
            v = 20 + (4 * i) % 100
            d.cset(VOLUME, v)
            to_gain.append(wait_for("gain", lambda: abs(
                c.result("gain.get")["db"] - (-60 + 0.5 * v)) < 1e-6))
            t0 = time.monotonic()
            c.result("gain.get")
            anchor.append(time.monotonic() - t0)
            db = -37.3 + (i % 30)
            t0 = time.monotonic()
            c.result("gain.set", {"db": db})
            wait_for("element", lambda: c.result("status")["volume_link"]["value"] == value_for(db))
            to_elem.append(time.monotonic() - t0)
        c.close()
        d.stop()
    finally:
        d.cleanup()
    return to_gain, to_elem, anchor


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--switches", type=int, default=20)
    ap.add_argument("--links", type=int, default=50)
    args = ap.parse_args()
    harness.Paths.dspd = os.path.join(HERE, "..", "daemon", "dspd")
    harness.Paths.dspctl = os.path.join(HERE, "..", "ctl", "dspctl")
    for mode in ("resample", "reopen"):
        rows = switch_times(mode, args.switches)
        ms = [r[0] for r in rows]
        ratio = [r[0] / r[1] for r in rows]
        print("switch (%s, %d switches, period %d): median %.1f ms, max %.1f ms "
              "(goal <= 100 ms); x one period at the new rate: median %.2f, max %.2f"
              % (mode, len(rows), PERIOD, statistics.median(ms), max(ms),
                 statistics.median(ratio), max(ratio)))
    if not rig_has_ctl():
        print("volume link: skipped (the rig's ctl device is not built)")
        return
    to_gain, to_elem, anchor = link_times(args.links)
    a = statistics.median(anchor)
    print("volume link (%d each way): element -> gain median %.2f ms max %.2f ms, "
          "gain.set -> element median %.2f ms max %.2f ms (goal <= 20 ms); "
          "anchor gain.get round trip median %.3f ms: x%.1f and x%.1f"
          % (len(to_gain), 1e3 * statistics.median(to_gain), 1e3 * max(to_gain),
             1e3 * statistics.median(to_elem), 1e3 * max(to_elem), 1e3 * a,
             statistics.median(to_gain) / a, statistics.median(to_elem) / a))


if __name__ == "__main__":
    main()
