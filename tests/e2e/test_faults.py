"""Faults a box meets in months of running, injected by the paced test
device (tests/alsa/README.md): the card vanishing and coming back, never
coming back, a system suspend, a clock jump.  dspd keeps its socket
answering, waits without burning CPU, resumes with the same configuration
and volume, and says what happened in status, xruns and notifications."""
import json
import os
import socket
import subprocess
import threading
import time

from harness import Daemon, Failure, Paths, check


class StatusProbe(threading.Thread):
    """Asks `status` every 20 ms on one connection and keeps the slowest
    answer, every state seen and the answers whose state "waiting" came
    without the "waiting" record that explains it."""

    def __init__(self, sock_path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(sock_path)
        self.sock.settimeout(2.0)
        self.stop_flag = False
        self.worst_ms = 0.0
        self.answers = 0
        self.states = []
        self.unexplained = 0
        self.buf = b""

    def call(self):
        t = time.monotonic()
        self.sock.sendall(b'{"jsonrpc":"2.0","id":1,"method":"status"}\n')
        while b"\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        line, self.buf = self.buf.split(b"\n", 1)
        self.worst_ms = max(self.worst_ms, (time.monotonic() - t) * 1000)
        return json.loads(line)["result"]

    def run(self):
        while not self.stop_flag:
            st = self.call()
            self.answers += 1
            if not self.states or self.states[-1] != st["state"]:
                self.states.append(st["state"])
            if st["state"] == "waiting" and "waiting" not in st["device"]:
                self.unexplained += 1
            time.sleep(0.02)

    def finish(self):
        self.stop_flag = True
        self.join(5)
        self.sock.close()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_state(d, want, timeout):
    deadline = time.monotonic() + timeout
    st = None
    while time.monotonic() < deadline:
        st = d.ctl("status")
        if st["state"] == want:
            return st
        time.sleep(0.05)
    raise Failure("state %s not reached in %.0f s: %s" % (want, timeout, st and st["state"]))


def monitor(d, topics):
    return subprocess.Popen([Paths.dspctl, "--socket", d.socket, "--json", "monitor",
                             "--topics", topics], stdout=subprocess.PIPE, text=True)


def events(proc):
    proc.terminate()
    return [json.loads(line) for line in proc.communicate(timeout=5)[0].splitlines()]


def test_device_vanishes_and_returns():
    """The card disappears for 2 s mid-stream: dspd reports "waiting",
    keeps answering status (< 50 ms each, asked every 20 ms), reopens it
    when it is back and plays on with the same pipeline and volume."""
    d = Daemon("vanish", fmt="S16_LE", period=1024, periods=6)
    d.cfg["pipeline"] = [{"type": "gain", "name": "g", "db": 0}]
    d.write_config(d.cfg)
    try:
        d.start()
        d.ctl("set", "gain", "-3")
        watch = monitor(d, "xrun,state")
        probe = StatusProbe(d.socket)
        probe.start()
        time.sleep(0.5)
        played_before = d.ctl("status")["frames"]["played"]
        d.device_command("vanish 2000")
        st = wait_state(d, "waiting", 5)
        check(st["device"]["losses"] == 1 and "waiting" in st["device"], "status %s" % st["device"])
        t0 = time.monotonic()
        st = wait_state(d, "running", 10)
        back_after = time.monotonic() - t0
        time.sleep(1.0)
        st = d.ctl("status")
        probe.finish()
        notes = events(watch)
        played_after = st["frames"]["played"]
        print("    back %.1f s after the wait began; status answered %d times, slowest %.1f ms; "
              "states %s" % (back_after, probe.answers, probe.worst_ms, probe.states))
        check(probe.worst_ms < 50, "status took %.1f ms while the device was gone" % probe.worst_ms)
        check("waiting" in probe.states and probe.states[-1] == "running", "states %s" % probe.states)
        check(probe.unexplained == 0, "%d answers said \"waiting\" without the device's "
              "\"waiting\" record" % probe.unexplained)
        check(st["device"]["losses"] == 1 and st["device"]["reopens"] == 1 and
              st["device"]["stall_losses"] == 0 and "waiting" not in st["device"],
              "device %s" % st["device"])
        check(st["gain"]["db"] == -3, "gain after the return %s" % st["gain"])
        check(played_after > played_before + 40000, "audio did not resume")
        lost = [n for n in notes if n.get("event") == "xrun" and n.get("cause") == "device_lost"]
        states = [n.get("state") for n in notes if n.get("event") == "state"]
        check(len(lost) == 1, "device_lost notifications %s" % notes)
        check("waiting" in states and "running" in states, "state notifications %s" % states)
        xr = d.ctl("xruns")
        check(xr["capture"] == 0 and xr["playback"] == 0, "a loss is not an xrun: %s" % xr)
        counters = d.stop()
        check(counters["xruns_capture"] == 0, "xruns")
    finally:
        d.cleanup()


class StallProbe(StatusProbe):
    """StatusProbe that also keeps (state, device.stall_timeouts) as they
    change, to show what status said while the device hung."""

    def __init__(self, sock_path):
        super().__init__(sock_path)
        self.seen = []

    def run(self):
        while not self.stop_flag:
            st = self.call()
            self.answers += 1
            now = (st["state"], st["device"]["stall_timeouts"])
            if not self.seen or self.seen[-1] != now:
                self.seen.append(now)
            if not self.states or self.states[-1] != st["state"]:
                self.states.append(st["state"])
            time.sleep(0.02)


def test_device_hangs_for_good():
    """The device stops moving for good without any error, like a JACK PCM
    whose server was killed ("hang": every open handle freezes, a new one
    works).  dspd re-syncs, says "stalled" with the count of timeouts in a
    row (never "running" while it times out), and after ENG_STALL_LIMIT (3)
    of them closes the devices, says "waiting" (reason "stalled"), reopens
    them as for a vanished card, and plays on through the new handles.
    Before the fix it re-synced the dead handle every 2 s forever, and
    status said "running" throughout."""
    d = Daemon("hang", fmt="S16_LE", period=1024, periods=6)
    try:
        d.start()
        time.sleep(0.5)
        probe = StallProbe(d.socket)
        probe.start()
        watch = monitor(d, "xrun,state")
        time.sleep(0.3)
        d.device_command("hang")
        t0 = time.monotonic()
        st = wait_state(d, "stalled", 6)
        check(st["device"]["stall_timeouts"] >= 1 and st["device"]["stall_limit"] == 3,
              "stalled status %s" % st["device"])
        st = wait_state(d, "waiting", 12)
        waited = time.monotonic() - t0
        check(st["device"]["waiting"]["reason"] == "stalled" and
              st["device"]["stall_losses"] == 1, "waiting status %s" % st["device"])
        st = wait_state(d, "running", 10)
        played_back = st["frames"]["played"]
        time.sleep(1.5)
        st = d.ctl("status")
        probe.finish()
        notes = events(watch)
        print("    waiting %.1f s after the hang; status said %s" % (waited, probe.seen))
        check(st["frames"]["played"] > played_back + 48000,
              "audio did not flow after the reopen: %d -> %d" % (played_back, st["frames"]["played"]))
        check(st["device"]["losses"] == 1 and st["device"]["reopens"] == 1 and
              st["device"]["stall_timeouts"] == 0, "device %s" % st["device"])
        # truthful throughout: from the first timeout to the loss, never
        # "running"; the count rose 1, 2 and the loss came at the third
        states = probe.states
        first = states.index("stalled")
        lost = states.index("waiting")
        check(first < lost and "running" not in states[first:lost],
              "states from the first timeout to the loss: %s" % states)
        counts = [n for s, n in probe.seen if s == "stalled"]
        check(counts and max(counts) == 2, "stall counts seen %s" % probe.seen)
        check(states[-1] == "running", "states %s" % states)
        causes = [n.get("cause") for n in notes if n.get("event") == "xrun"]
        check(causes == ["timeout", "timeout", "device_lost"], "xrun notifications %s" % causes)
        d.stop()
        rep = d.report()
        # one gap (the time hung); the only altered frames are the fade-in
        # after the reopen (volume.ramp_ms, 20 ms: 960 frames).  A sanitizer
        # build may start the reopened pair a frame or two apart.
        extra = rep["playback"]["gap_list"][1:]
        check(rep["device"]["hangs"] == 1 and rep["playback"]["gap_list"][0]["missing"] > 48000 and
              (not extra if not Paths.quick else all(abs(g["missing"]) <= 32 for g in extra)) and
              rep["playback"]["mismatches"] <= 960,
              "device report %s %s" % (rep["device"], rep["playback"]))
    finally:
        d.cleanup()


def test_device_that_never_returns():
    """A card that stays away: dspd waits with attempts 100 ms, 200 ms, ...
    at most 5 s apart (measured: CPU used while waiting), says so in
    status, and resumes the moment it is back."""
    d = Daemon("gone", fmt="S16_LE", period=1024, periods=6)
    try:
        d.start()
        d.device_command("vanish 0")
        wait_state(d, "waiting", 5)
        cpu0, t0 = cpu_seconds(d.proc.pid), time.monotonic()
        time.sleep(8.0)
        cpu1, t1 = cpu_seconds(d.proc.pid), time.monotonic()
        st = d.ctl("status")
        wait = st["device"]["waiting"]
        share = 100 * (cpu1 - cpu0) / (t1 - t0)
        print("    waited %.1f s: %d attempts, CPU %.2f %% of a core, last error: %s"
              % (wait["seconds"], wait["attempts"], share, wait["last_error"]))
        check(st["state"] == "waiting", "state %s" % st["state"])
        check(3 <= wait["attempts"] <= 8, "attempts %d in %.1f s" % (wait["attempts"], wait["seconds"]))
        # what failed, on which device, why: the capture opens first
        want = 'cannot open capture device "%s": No such device' % d.cfg["capture"]["device"]
        check(wait["last_error"] == want, "last error %r, want %r" % (wait["last_error"], want))
        check(share < 5.0, "CPU %.2f %% while waiting" % share)
        check(wait["next_attempt_ms"] <= 5000, "next attempt in %s ms" % wait["next_attempt_ms"])
        d.device_command("return")
        t = time.monotonic()
        wait_state(d, "running", 8)
        print("    running again %.1f s after the device returned" % (time.monotonic() - t))
        d.stop()
    finally:
        d.cleanup()


def test_suspend_and_clock_jump():
    """A system suspend and a 200 ms jump of the device clock: each is one
    resync with its cause and one gap at the device; the jump's gap is its
    length (dspd's own frames_lost is measured on the host clock, which did
    not jump: it counts only the frames dropped in the re-sync)."""
    d = Daemon("suspend", fmt="S16_LE", period=1024, periods=6)
    try:
        d.start()
        time.sleep(0.3)
        d.device_command("suspend")
        deadline = time.monotonic() + 5
        while d.ctl("xruns")["capture"] + d.ctl("xruns")["playback"] == 0 and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        wait_state(d, "running", 5)
        time.sleep(0.5)
        d.device_command("jump 200")
        deadline = time.monotonic() + 5
        while len(d.ctl("xruns")["recent"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        recent = d.ctl("xruns")["recent"]
        print("    %s" % [(x["cause"], x["frames_lost"]) for x in recent])
        check(len(recent) == 2, "resyncs %s" % recent)
        check(recent[0]["cause"] == "suspend", "first cause %s" % recent[0]["cause"])
        check(recent[1]["cause"] == "xrun", "second cause %s" % recent[1]["cause"])
        counters = d.stop()
        rep = d.report()["playback"]
        print("    device gaps %s" % rep["gap_list"])
        check(rep["gaps"] == 2 and rep["mismatches"] == 0, "device report %s" % rep)
        # the device lost the 200 ms it jumped plus what the re-sync dropped
        jump_gap = rep["gap_list"][1]["missing"]
        expect = 9600 + recent[1]["frames_lost"]
        check(abs(jump_gap - expect) <= 1024, "the jump's gap is %d frames, want %d"
              % (jump_gap, expect))
        check(counters["played"] > 0, "counters %s" % counters)
    finally:
        d.cleanup()
