"""harness.py - start the real dspd against the dspdtest ALSA device, drive it
with the real dspctl, read the device's own report.

Everything is stdlib: the tests need nothing but python3."""

import array
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ALSA_CONF = os.path.join(ROOT, "build", "alsa", "tests.conf")


class Failure(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Paths:
    dspd = os.path.join(ROOT, "daemon", "dspd")
    dspctl = os.path.join(ROOT, "ctl", "dspctl")
    quick = False


def device(pcm="dspdtest", **args):
    """An ALSA device string with arguments, e.g. dspdtest:REPORT="/x"."""
    if not args:
        return pcm
    return pcm + ":" + ",".join('%s="%s"' % (k.upper(), v) for k, v in args.items())


class Daemon:
    """One dspd under test, with its own directory, config and socket."""

    def __init__(self, name, fmt="S32_LE", rate=48000, period=1024, periods=4,
                 channels=2, capture=None, playback=None, extra=None,
                 user=None, playback_format=None):
        self.dir = tempfile.mkdtemp(prefix="dspd-e2e-%s-" % name)
        os.chmod(self.dir, 0o777)
        self.report_path = os.path.join(self.dir, "report.json")
        self.control_path = os.path.join(self.dir, "device.ctl")
        self.record_path = os.path.join(self.dir, "out.f32")
        self.socket = os.path.join(self.dir, "ctl.sock")
        self.user = user
        self.cfg = {
            "rate": rate, "period_frames": period, "periods": periods,
            "capture": {"device": capture or device(control=self.control_path),
                        "channels": channels, "format": fmt},
            "playback": {"device": playback or device(report=self.report_path),
                         "channels": channels,
                         "format": playback_format or fmt},
            "control": {"socket": self.socket},
            # mlockall of a sanitizer's shadow memory would take the machine
            "realtime": {"mlock": False},
        }
        if extra:
            self.cfg.update(extra)
        self.config_path = os.path.join(self.dir, "dspd.conf")
        self.write_config(self.cfg)
        self.proc = None
        self.log = ""

    def write_config(self, cfg):
        with open(self.config_path, "w") as f:
            json.dump(cfg, f, indent=1)
        os.chmod(self.config_path, 0o644)

    def env(self):
        env = dict(os.environ)
        env["ALSA_CONFIG_PATH"] = "/usr/share/alsa/alsa.conf:" + ALSA_CONF
        env["DSPD_SOCKET"] = self.socket
        env.pop("JOURNAL_STREAM", None)
        env.update(getattr(self, "extra_env", {}))
        return env

    def command(self, *args):
        cmd = [Paths.dspd, "-c", self.config_path] + list(args)
        if self.user:
            # a normal user: no capabilities, small memlock, no rtprio
            cmd = ["prlimit", "--memlock=65536:65536", "--rtprio=0:0",
                   "setpriv", "--reuid", str(self.user), "--regid", str(self.user),
                   "--clear-groups", "--inh-caps=-all"] + cmd
        return cmd

    def start(self, wait=True):
        self.stderr_path = os.path.join(self.dir, "dspd.log")
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(self.command("-v"), env=self.env(),
                                     stdout=self.stderr, stderr=self.stderr)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure("dspd exited with %d:\n%s" % (self.proc.returncode, self.read_log()))
            if os.path.exists(self.socket):
                try:
                    st = self.ctl("status")
                    if st["state"] == "running":
                        return st
                except Failure:
                    pass
            time.sleep(0.05)
        raise Failure("dspd not ready after %.0f s:\n%s" % (timeout, self.read_log()))

    def read_log(self):
        try:
            with open(self.stderr_path) as f:
                return f.read()
        except OSError:
            return ""

    def ctl(self, *args, json_out=True, expect_rc=0, timeout=10):
        cmd = [Paths.dspctl, "--socket", self.socket]
        if json_out:
            cmd.append("--json")
        cmd += list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if expect_rc is not None and p.returncode != expect_rc:
            raise Failure("%s -> rc %d (want %d): %s%s" % (" ".join(args), p.returncode,
                                                        expect_rc, p.stdout, p.stderr))
        if json_out and p.returncode == 0:
            return json.loads(p.stdout)
        return p

    def device_command(self, line):
        tmp = self.control_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(line + "\n")
        os.rename(tmp, self.control_path)

    def stop(self, timeout=15.0):
        """SIGTERM; returns the final counters dspd logs on exit."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("dspd did not stop within %.0f s of SIGTERM" % timeout)
        self.stderr.close()
        self.log = self.read_log()
        check(rc == 0, "dspd exit status %d:\n%s" % (rc, self.log))
        check("ERROR: AddressSanitizer" not in self.log and "runtime error:" not in self.log
              and "ERROR: LeakSanitizer" not in self.log
              and "WARNING: ThreadSanitizer" not in self.log,
              "sanitizer report:\n" + self.log)
        self.proc = None
        return final_counters(self.log)

    def report(self):
        with open(self.report_path) as f:
            return json.load(f)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def final_counters(log):
    for line in log.splitlines():
        if "stopped: frames captured" in line:
            words = line.split()
            nums = {}
            for key in ("captured", "processed", "played", "dropped"):
                nums[key] = int(words[words.index(key) + 1].rstrip(";"))
            nums["xruns_capture"] = int(words[words.index("capture", words.index("xruns")) + 1])
            nums["xruns_playback"] = int(words[words.index("playback", words.index("xruns")) + 1])
            return nums
    raise Failure("no final counters in the log:\n" + log)


def read_f32(path, channels):
    data = array.array("f")
    with open(path, "rb") as f:
        data.frombytes(f.read())
    frames = len(data) // channels
    return [data[c::channels][:frames] for c in range(channels)]


def rms_db(x):
    if not x:
        return -200.0
    ms = sum(v * v for v in x) / len(x)
    return 10 * math.log10(ms) if ms > 0 else -200.0


def max_step(x):
    return max(abs(x[i] - x[i - 1]) for i in range(1, len(x)))


def rss_kib(pid):
    """Resident set size of a running process, KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Failure("no VmRSS for pid %d" % pid)


def raw_request(sock_path, payload, read_lines=1, timeout=5.0):
    """Send raw bytes to the control socket; return the lines read back."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    if payload:
        s.sendall(payload)
    buf = b""
    try:
        while buf.count(b"\n") < read_lines:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    return [json.loads(l) for l in buf.split(b"\n") if l.strip()]



def load_jsonc(path):
    """A JSON file with // and /* */ comments (dspd's parser accepts them,
    Python's json does not) as a dict."""
    text = open(path).read()
    out, i, in_str = [], 0, False
    while i < len(text):
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("//", i):
            i = text.index("\n", i) - 1
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 1
        else:
            out.append(c)
        i += 1
    return json.loads("".join(out))

def lane_fir(d, ch, taps, scale):
    """A "fir" block on channel ch alone, with an IR of `taps` random taps
    fading to 0 (seeded by ch, written to d.dir as raw f32le)."""
    import array
    import random
    rnd = random.Random(ch)
    path = os.path.join(d.dir, "lane%d.f32" % ch)
    with open(path, "wb") as f:
        array.array("f", [rnd.uniform(-1, 1) * scale * (1 - i / taps)
                          for i in range(taps)]).tofile(f)
    os.chmod(path, 0o644)
    return {"type": "fir", "name": "lane%d" % ch, "path": path,
            "format": "f32le", "channels": [ch]}
