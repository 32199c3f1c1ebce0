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
- The whole service under a real systemd in a throwaway container
  (tests/systemd/nspawn_e2e.sh, about 15 s); skipped with the reason when
  systemd-nspawn cannot run here.
- The Debian package (tests/systemd/deb_e2e.sh, about 90 s): built with
  dpkg-buildpackage, lintian-clean of errors, installed, started, upgraded,
  removed and purged in the same kind of container.

Every test's name starts with test_systemd: `run.py systemd` (or `make
check-systemd`) runs just these."""

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
UNITS = ("dspd.service", "dspd.socket", "dspd-monitor.socket", "dspd-http.socket")


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
    opening = listener.wait_for(lambda f: f.get("STATUS", "").startswith("opening capture "),
                                "STATUS=opening capture ...")
    check(opening < ready, "STATUS=opening ... came after READY=1")
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
    DSP thread.  Pings stop within two periods plus 0.2 s (0.24 s here;
    checked from 0.5 s on, for a late tick), and come back after it."""
    first = len(listener.snapshot())
    t0 = time.monotonic()
    d.device_command("stall %d" % stall_ms)
    time.sleep(stall_ms / 1000.0 + 1.5)
    stall = stall_ms / 1000.0
    during = listener.pings(t0 + 0.5, t0 + stall - 0.1)
    check(not during, "WATCHDOG=1 while the audio thread was stalled: %s"
          % ["+%.2f s" % (t - t0) for t in during])
    after = listener.pings(t0 + stall, time.monotonic())
    check(len(after) >= 2, "watchdog pings did not resume after the stall: %s"
          % ["+%.2f s" % (t - t0) for t in after])
    stuck = [f["STATUS"] for _, f, _ in listener.snapshot()[first:]
             if f.get("STATUS", "").startswith("audio thread stuck")]
    check(stuck, "no STATUS= saying the audio thread is stuck")
    check(d.report()["capture"]["stalls_injected"] == 1, "the device did not stall")
    gap = min(after) - max(listener.pings(t0 - 1.0, t0 + 0.5) or [t0])
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


def test_systemd_notify():
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


def test_systemd_no_watchdog_environment():
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


# ---- the units as installed ----------------------------------------------------

def installed_units():
    """`make install` into a scratch prefix (DESTDIR empty: the units name
    binaries that exist, so that verify can check them), of the binaries
    as built (-o all: nothing is rebuilt)."""
    prefix = tempfile.mkdtemp(prefix="dspd-e2e-install-")
    p = subprocess.run(["make", "-s", "-o", "all", "install", "PREFIX=%s/usr" % prefix,
                        "SYSCONFDIR=%s/etc" % prefix], cwd=ROOT, capture_output=True, text=True)
    check(p.returncode == 0, "make install: %s%s" % (p.stdout, p.stderr))
    return prefix, os.path.join(prefix, "usr", "lib", "systemd", "system")


def test_systemd_units_verify_and_security():
    """systemd-analyze verify prints nothing (it exits 0 even on unknown
    keys); the service's exposure is at most 2.5 and it still allows
    SCHED_FIFO; the installed unit runs the installed binary."""
    if not shutil.which("systemd-analyze"):
        return "skipped: systemd-analyze not installed"
    prefix, unitdir = installed_units()
    try:
        units = [os.path.join(unitdir, u) for u in UNITS]
        env = dict(os.environ, MANPATH=os.path.join(prefix, "usr", "share", "man"))
        p = subprocess.run(["systemd-analyze", "verify"] + units, env=env,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and p.stderr == "" and p.stdout == "",
              "systemd-analyze verify: rc %d\n%s%s" % (p.returncode, p.stdout, p.stderr))
        with open(units[0]) as f:
            service = f.read()
        check("ExecStart=%s/usr/sbin/dspd -c %s/etc/dspd/dspd.conf\n" % (prefix, prefix) in service,
              "make install did not point ExecStart at its SBINDIR and SYSCONFDIR")
        p = subprocess.run(["systemd-analyze", "security", "--offline=true", units[0]],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for dspd\.service: ([0-9.]+)", p.stdout)
        check(m is not None, "no exposure level in:\n%s%s" % (p.stdout, p.stderr))
        score = float(m.group(1))
        check(score <= MAX_EXPOSURE, "exposure %.1f > %.1f:\n%s" % (score, MAX_EXPOSURE, p.stdout))
        for allowed in ("RestrictRealtime=", "SystemCallFilter=~@resources"):
            check(re.search(r"✗ %s\s" % re.escape(allowed), p.stdout),
                  "%s is restricted: that forbids SCHED_FIFO" % allowed)
        print("  systemd-analyze security: exposure %.1f (limit %.1f)" % (score, MAX_EXPOSURE))
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


def socket_unit(name):
    """[Socket] of units/NAME."""
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str
    cp.read(os.path.join(ROOT, "units", name))
    return cp["Socket"]


def test_systemd_socket_units_activation():
    """The two .socket units as systemd-socket-activate passes them: by
    their FileDescriptorName, the monitor one read-only, the other the
    control socket; dspd binds nothing itself (its config names no monitor
    socket and another control path)."""
    if not shutil.which("systemd-socket-activate"):
        return "skipped: systemd-socket-activate not installed"
    control, monitor = socket_unit("dspd.socket"), socket_unit("dspd-monitor.socket")
    check(control["SocketMode"] == "0660" and control["SocketGroup"] == "audio",
          "dspd.socket: mode %s group %s" % (control["SocketMode"], control.get("SocketGroup")))
    check(monitor["SocketMode"] == "0666" and monitor["Service"] == "dspd.service",
          "dspd-monitor.socket must be 0666 and activate dspd.service")
    d = Daemon("socket-units")
    paths = [os.path.join(d.dir, os.path.basename(u["ListenStream"])) for u in (control, monitor)]
    names = "%s:%s" % (control["FileDescriptorName"], monitor["FileDescriptorName"])
    proc = None
    try:
        cmd = ["systemd-socket-activate", "-l", paths[0], "-l", paths[1], "--fdname=" + names,
               "-E", "ALSA_CONFIG_PATH=" + d.env()["ALSA_CONFIG_PATH"],
               Paths.dspd, "-c", d.config_path]
        log = open(os.path.join(d.dir, "dspd.log"), "w")
        proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while not all(os.path.exists(p) for p in paths):
            check(time.monotonic() < deadline and proc.poll() is None,
                  "systemd-socket-activate did not listen")
            time.sleep(0.05)
        conn = Conn(paths[0], timeout=30)       # starts dspd
        check(conn.result("hello")["read_only"] is False, "the control socket is read-only")
        mon = Conn(paths[1])
        check(mon.result("hello")["read_only"] is True,
              "the socket named %s is not read-only" % monitor["FileDescriptorName"])
        verify(mon.call("gain.set", {"db": -6}), Err(-32001, "method"), "gain.set on the monitor")
        mon.close()
        conn.close()
        check(not os.path.exists(d.socket), "dspd bound control.socket despite the passed sockets")
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(timeout=15) == 0, "dspd exit status %s" % proc.returncode)
        proc = None
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        d.cleanup()


# ---- under a real systemd ------------------------------------------------------

def test_systemd_nspawn_service():
    """tests/systemd/nspawn_e2e.sh: install, systemctl start, dspctl status,
    systemctl reload, a watchdog restart, in a throwaway container."""
    if Paths.quick:
        return "skipped: --quick (the container runs the installed release build)"
    script = os.path.join(ROOT, "tests", "systemd", "nspawn_e2e.sh")
    p = subprocess.run([script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if p.returncode == 77:
        return "skipped: %s" % p.stderr.strip().splitlines()[-1]
    check(p.returncode == 0, "nspawn_e2e.sh exit %d:\n%s%s" % (p.returncode, p.stdout, p.stderr))
    print("\n".join("  " + line for line in p.stdout.splitlines()))


def test_systemd_deb_package():
    """tests/systemd/deb_e2e.sh: the Debian package built (dpkg-buildpackage,
    lintian without error), installed, started, upgraded, removed and
    purged in a throwaway container; the host untouched."""
    if Paths.quick:
        return "skipped: --quick (the package build and the container take about 90 s)"
    script = os.path.join(ROOT, "tests", "systemd", "deb_e2e.sh")
    p = subprocess.run([script], cwd=ROOT, capture_output=True, text=True, timeout=900)
    if p.returncode == 77:
        return "skipped: %s" % p.stderr.strip().splitlines()[-1]
    check(p.returncode == 0, "deb_e2e.sh exit %d:\n%s%s" % (p.returncode, p.stdout, p.stderr))
    print("\n".join("  " + line for line in p.stdout.splitlines()))
