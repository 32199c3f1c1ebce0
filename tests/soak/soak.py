#!/usr/bin/env python3
"""make soak: dspd on the paced test device for SOAK_SECONDS (default an
hour) with everything an operator does and every fault the device can
inject, then the figures that matter for a box that runs for months.

Every 2 s one action, in turn: a master gain change and back, a reload
(SIGHUP) to another pipeline, a runtime edit (effect add/remove), a batch,
a config.load; 3 subscribers follow levels (100 ms), xruns and config.
Every FAULT_EVERY s one injected fault, in turn: a 300 ms stall of the RT
thread, the device vanishing for 2 s, a 200 ms clock jump, a suspend.

The pipelines are identity ones (S16 counter signal): the device's checker
sees every frame; while the master gain is off 0 dB the frames are
altered on purpose (counted as such, not as lost).  Printed at the end:
lost samples outside injected faults (must be 0), xruns and device losses
(must equal the faults injected), RSS at start and end, CPU used."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from harness import Daemon, Paths, rss_kib  # noqa: E402

SECONDS = float(os.environ.get("SOAK_SECONDS", "3600"))
FAULT_EVERY = float(os.environ.get("SOAK_FAULT_EVERY", "60"))
FAULTS = ["stall 300", "vanish 2000", "jump 200", "suspend"]
PIPELINES = [
    [{"type": "gain", "name": "g", "db": 0}],
    [{"type": "meter", "name": "m"}, {"type": "gain", "name": "g", "db": 0}],
    [{"type": "gain", "name": "g", "db": 0}, {"type": "gain", "name": "x", "db": -6, "bypass": True}],
]


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def subscriber(sock_path, topics, interval=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    params = {"topics": topics}
    if interval:
        params["interval_ms"] = interval
    s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "subscribe",
                           "params": params}) + "\n").encode())
    s.setblocking(False)
    return s


def drain(subs):
    n = 0
    for s in subs:
        try:
            while True:
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                n += chunk.count(b"\n")
        except BlockingIOError:
            pass
    return n


def main():
    Paths.dspd = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "daemon", "dspd"))
    Paths.dspctl = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "ctl", "dspctl"))
    d = Daemon("soak", fmt="S16_LE", period=1024, periods=6)
    d.cfg["pipeline"] = PIPELINES[0]
    d.write_config(d.cfg)
    d.start()
    subs = [subscriber(d.socket, ["levels"], 100), subscriber(d.socket, ["xrun", "state"]),
            subscriber(d.socket, ["config", "gain"])]
    time.sleep(5)
    rss_start, cpu_start = rss_kib(d.proc.pid), cpu_s(d.proc.pid)
    start = time.monotonic()
    next_fault = start + FAULT_EVERY / 2
    faults, actions, notes, step = [], 0, 0, 0
    xruns_seen = {}
    while time.monotonic() - start < SECONDS:
        kind = step % 5
        if kind == 0:
            d.ctl("set", "gain", "-6")
            time.sleep(1)
            d.ctl("set", "gain", "0")
        elif kind == 1:
            d.cfg["pipeline"] = PIPELINES[(step // 5) % len(PIPELINES)]
            d.write_config(d.cfg)
            d.proc.send_signal(signal.SIGHUP)
        elif kind == 2:
            d.ctl("effect", "add", "gain", "tmp", "db=0")
            time.sleep(0.5)
            d.ctl("effect", "remove", "tmp")
        elif kind == 3:
            d.ctl("call", "batch", json.dumps({"changes": [
                {"method": "effect.bypass", "params": {"name": "g"}},
                {"method": "effect.bypass", "params": {"name": "g", "bypass": False}}]}))
        else:
            d.ctl("call", "config.load", json.dumps({"config": d.cfg}))
        step += 1
        actions += 1
        if time.monotonic() >= next_fault:
            cmd = FAULTS[len(faults) % len(FAULTS)]
            faults.append((time.time(), cmd))
            d.device_command(cmd)
            next_fault += FAULT_EVERY
        time.sleep(2)
        notes += drain(subs)
        for x in d.ctl("xruns")["recent"]:
            xruns_seen[(x["time"], x["direction"], x["cause"])] = x
    time.sleep(3)
    st = d.ctl("status")
    stats = d.ctl("stats")
    for x in d.ctl("xruns")["recent"]:
        xruns_seen[(x["time"], x["direction"], x["cause"])] = x
    rss_end, cpu_end = rss_kib(d.proc.pid), cpu_s(d.proc.pid)
    elapsed = time.monotonic() - start
    counters = d.stop()
    rep = d.report()
    d.cleanup()
    injected = len(faults)
    resyncs = stats["recoveries"]
    losses = st["device"]["losses"]
    lost_by_faults = sum(x["frames_lost"] for x in xruns_seen.values())
    print("soak: %.0f s, %d actions, %d injected faults (%s), %d notifications read"
          % (elapsed, actions, injected, ", ".join(sorted({c.split()[0] for _, c in faults})), notes))
    print("  xruns/resyncs %d, device losses %d, reopens %d (faults injected %d)"
          % (resyncs, losses, st["device"]["reopens"], injected))
    print("  frames: captured %d, played %d, dropped by dspd %d (all in injected faults: %d in %d logged events)"
          % (counters["captured"], counters["played"], counters["dropped"], lost_by_faults, len(xruns_seen)))
    pb = rep["playback"]
    lost_outside = max(0, pb["gaps"] - injected)
    print("  device: %d gaps (one per fault allowed), underruns %d, overruns %d, altered on purpose %d"
          % (pb["gaps"], pb["underruns"], rep["capture"]["overruns"], pb["mismatches"]))
    print("  lost samples outside injected faults: %d" % lost_outside)
    print("  RSS %d KiB at start, %d KiB at end; CPU %.1f s (%.2f %%)"
          % (rss_start, rss_end, cpu_end - cpu_start, 100 * (cpu_end - cpu_start) / elapsed))
    ok = lost_outside == 0 and resyncs + losses <= injected + 0 and rss_end < rss_start * 1.5 + 4096
    print("soak: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
