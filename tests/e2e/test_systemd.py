"""End-to-end tests of dspd as a systemd service.

- sd_notify for real: dspd (linked with libsystemd) talks to a datagram
  socket of this test through NOTIFY_SOCKET, with WATCHDOG_USEC set: READY
  only once the socket answers, STATUS with the negotiated stream, WATCHDOG
  every half interval while healthy and none while the device's `stall`
  command holds the audio thread, RELOADING + MONOTONIC_USEC then READY
  around SIGHUP, STOPPING on SIGTERM.
- The units as `make install` installs them: `systemd-analyze verify`
  silent on stderr, `systemd-analyze security` exposure at most 2.5.
- Socket activation with the file descriptor names of the .socket units.
- The whole service under a real systemd in a container
  (tests/systemd/nspawn_e2e.sh); slow, so it runs from `make check-systemd`
  (DSPD_NSPAWN=1) and skips otherwise."""

import configparser
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from harness import ROOT, Daemon, Failure, Paths, check
from test_methods import Conn, Err, verify

WATCHDOG_USEC = 1000000
MAX_EXPOSURE = 2.5
UNITS = ("dspd.service", "dspd.socket", "dspd-monitor.socket")


def monotonic_usec():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


class NotifyListener:
    """The systemd side of sd_notify: a datagram socket that records every
    message with its arrival time (CLOCK_MONOTONIC, in seconds)."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.messages = []          # (time, {field: value}, raw)
        self.lock = threading.Lock()
        self.on_message = None      # called on the listener thread
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            now = time.monotonic()
            text = data.decode("utf-8", "replace")
            fields = dict(line.split("=", 1) for line in text.split("\n") if "=" in line)
            if self.on_message:
                self.on_message(fields)
            with self.lock:
                self.messages.append((now, fields, text))

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def wait_for(self, pred, what, start=0, timeout=20.0):
        """The index of the first message from index start that pred
        accepts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msgs = self.snapshot()
            for i in range(start, len(msgs)):
                if pred(msgs[i][1]):
                    return i
            time.sleep(0.02)
        raise Failure("no %s within %.0f s; got %s" % (what, timeout,
                      [m[2] for m in self.snapshot()[start:]][-20:]))

    def pings(self, t0, t1):
        return [t for t, f, _ in self.snapshot() if f.get("WATCHDOG") == "1" and t0 <= t < t1]

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def start_notified(d, listener, watchdog_usec=WATCHDOG_USEC):
    """d.start(), with systemd's notification environment."""
    env = d.env()
    env["NOTIFY_SOCKET"] = listener.path
    env.pop("WATCHDOG_PID", None)
    env.pop("WATCHDOG_USEC", None)
    if watchdog_usec:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    d.stderr_path = os.path.join(d.dir, "dspd.log")
    d.stderr = open(d.stderr_path, "w")
    d.proc = subprocess.Popen(d.command("-v"), env=env, stdout=d.stderr, stderr=d.stderr)


def socket_answers(path):
    """Whether a client could talk to the daemon at this very moment."""
    try:
        conn = Conn(path, timeout=5)
        try:
            return conn.result("status")["state"]
        finally:
            conn.close()
    except (OSError, Failure) as e:
        return "no answer: %s" % e


def check_ready_and_status(d, listener):
    ready = listener.wait_for(lambda f: f.get("READY") == "1", "READY=1")
    check(listener.ready_state in ("starting", "running"),
          "READY=1 sent before the control socket answered: %s" % listener.ready_state)
    listener.wait_for(lambda f: f.get("STATUS", "").startswith("opening capture "),
                      "STATUS=opening ... before READY")
    i = listener.wait_for(lambda f: "STATUS" in f and " Hz " in f["STATUS"], "STATUS=<stream>",
                          start=ready)
    status = listener.snapshot()[i][1]["STATUS"]
    want = re.compile(r"^48000 Hz S32_LE 2ch -> S32_LE 2ch, period 1024, "
                      r"(starting|running), 0 xruns$")
    check(want.match(status), "STATUS=%r does not describe the stream" % status)


def check_watchdog_healthy(listener, seconds):
    t0 = time.monotonic()
    time.sleep(seconds)
    pings = listener.pings(t0, time.monotonic())
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    # WATCHDOG_USEC / 2 apart: 0.5 s
    check(len(pings) >= seconds / 0.5 - 1 and max(gaps) < 0.75,
          "healthy: %d WATCHDOG=1 in %.1f s, gaps %s" % (len(pings), seconds,
                                                         ["%.2f" % g for g in gaps]))
    return len(pings)


def check_no_watchdog_while_stalled(d, listener, stall_ms=3000):
    """The device sleeps stall_ms inside the audio thread's read: a hung
    DSP thread.  Pings stop within two periods plus 0.2 s + half the
    interval, and come back after the stall."""
    first = len(listener.snapshot())
    t0 = time.monotonic()
    d.device_command("stall %d" % stall_ms)
    time.sleep(stall_ms / 1000.0 + 1.5)
    stall = stall_ms / 1000.0
    during = listener.pings(t0 + 0.3, t0 + stall - 0.1)
    check(not during, "WATCHDOG=1 while the audio thread was stalled: %s"
          % ["+%.2f s" % (t - t0) for t in during])
    after = listener.pings(t0 + stall, time.monotonic())
    check(len(after) >= 2, "watchdog pings did not resume after the stall: %s"
          % ["+%.2f s" % (t - t0) for t in after])
    stuck = [f["STATUS"] for _, f, _ in listener.snapshot()[first:]
             if f.get("STATUS", "").startswith("audio thread stuck")]
    check(stuck, "no STATUS= saying the audio thread is stuck")
    check(d.report()["capture"]["stalls_injected"] == 1, "the device did not stall")
    gap = min(after) - max(listener.pings(t0 - 1.0, t0 + 0.3) or [t0])
    return gap


def check_reload(d, listener):
    """SIGHUP: RELOADING=1 with MONOTONIC_USEC of the moment, then READY=1;
    also when the new file is rejected."""
    d.cfg["period_frames"] = 512
    d.write_config(d.cfg)
    for outcome in ("changed", "rejected"):
        start = len(listener.snapshot())
        before = monotonic_usec()
        d.proc.send_signal(signal.SIGHUP)
        i = listener.wait_for(lambda f: f.get("RELOADING") == "1", "RELOADING=1", start=start)
        fields = listener.snapshot()[i][1]
        after = monotonic_usec()
        check("MONOTONIC_USEC" in fields and before <= int(fields["MONOTONIC_USEC"]) <= after,
              "RELOADING=1 with MONOTONIC_USEC=%s, not within [%d, %d]"
              % (fields.get("MONOTONIC_USEC"), before, after))
        listener.wait_for(lambda f: f.get("READY") == "1", "READY=1 after RELOADING=1", start=i + 1)
        if outcome == "changed":
            check(d.ctl("status")["period_frames"] == 512, "the reload did not apply")
            with open(d.config_path, "w") as f:
                f.write('{"rate": "fast"}\n')
        else:
            check(d.ctl("status")["period_frames"] == 512, "a rejected reload changed the engine")
    i = listener.wait_for(lambda f: " Hz " in f.get("STATUS", ""), "STATUS= after the reload",
                          start=start)
    check("period 512" in listener.snapshot()[i][1]["STATUS"],
          "STATUS after reload: %s" % listener.snapshot()[i][1]["STATUS"])


def test_sd_notify():
    """READY, STATUS, WATCHDOG (healthy, stalled, resumed), RELOADING and
    READY around SIGHUP, STOPPING on SIGTERM, against a test NOTIFY_SOCKET."""
    d = Daemon("notify")
    listener = NotifyListener(os.path.join(d.dir, "notify.sock"))
    listener.ready_state = None

    def on_message(fields):
        if fields.get("READY") == "1" and listener.ready_state is None:
            listener.ready_state = socket_answers(d.socket)
    listener.on_message = on_message
    try:
        start_notified(d, listener)
        check_ready_and_status(d, listener)
        d.wait_ready()
        healthy = check_watchdog_healthy(listener, 2.0 if Paths.quick else 3.0)
        gap = check_no_watchdog_while_stalled(d, listener)
        check_reload(d, listener)
        check_watchdog_healthy(listener, 1.5)
        start = len(listener.snapshot())
        d.stop()
        listener.wait_for(lambda f: f.get("STOPPING") == "1", "STOPPING=1", start=start, timeout=1)
        check("watchdog pings withheld" in d.log and "watchdog pings resume" in d.log,
              "the stall is not in the log:\n" + d.log)
        print("  watchdog: %d pings in the healthy window, a %.2f s gap around a 3 s stall"
              % (healthy, gap))
    finally:
        listener.close()
        d.cleanup()


def test_no_watchdog_environment():
    """Without WATCHDOG_USEC nothing pings, and a stall is only an xrun."""
    d = Daemon("plain")
    listener = NotifyListener(os.path.join(d.dir, "notify.sock"))
    try:
        start_notified(d, listener, watchdog_usec=None)
        listener.wait_for(lambda f: f.get("READY") == "1", "READY=1")
        d.wait_ready()
        time.sleep(1.0)
        check(not listener.pings(0, time.monotonic()), "WATCHDOG=1 without WATCHDOG_USEC")
        d.stop()
        check("watchdog" not in d.log, "watchdog mentioned without one:\n" + d.log)
    finally:
        listener.close()
        d.cleanup()
