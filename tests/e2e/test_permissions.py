"""End-to-end tests of who may talk to dspd: the control socket (0660,
group control.group) and the read-only monitor socket (0666), tried as
root, as a user outside the group and as a member; stale and live socket
files at startup; sockets passed by systemd (socket activation).

Needs root (to create the group, to switch users with setpriv, and because
dspd chowns the socket); skipped with a message otherwise."""

import grp
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import time

from harness import ROOT, Daemon, Paths, check
from test_methods import Conn, Eq, Err, Ok, documented_methods, verify

NOBODY = 65534
PYTHON = "/usr/bin/python3"      # readable by NOBODY (a pyenv under /root is not)

# Runs as another user: connect, send each line, print what happened.
PROBE = r"""
import errno, json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(json.dumps({"connect": errno.errorcode.get(e.errno, str(e.errno))}))
    sys.exit(0)
f = s.makefile("rb")
answers = []
for line in sys.argv[2:]:
    s.sendall(line.encode() + b"\n")
    answers.append(json.loads(f.readline()))
print(json.dumps({"connect": "ok", "answers": answers}))
"""


def skip_reason():
    if os.geteuid() != 0:
        return "skipped: needs root (setpriv, groupadd, socket ownership)"
    for tool in ("setpriv", "getent"):
        if not shutil.which(tool):
            return "skipped: %s not installed" % tool
    if not os.access(PYTHON, os.X_OK):
        return "skipped: %s missing" % PYTHON
    return None


def audio_gid():
    """The gid of group audio, created (system group) when missing."""
    p = subprocess.run(["getent", "group", "audio"], capture_output=True, text=True)
    if p.returncode != 0:
        subprocess.run(["groupadd", "-r", "audio"], check=True)
    return grp.getgrnam("audio").gr_gid


def as_user(argv, uid=NOBODY, groups=None, timeout=20):
    """Run argv as uid (its own gid), with no supplementary groups or the
    given ones."""
    cmd = ["setpriv", "--reuid", str(uid), "--regid", str(uid)]
    cmd += ["--groups", ",".join(str(g) for g in groups)] if groups else ["--clear-groups"]
    return subprocess.run(cmd + list(argv), capture_output=True, text=True, timeout=timeout)


def probe(path, requests, **who):
    """Connect to path as another user and send requests (method, params)."""
    lines = [json.dumps({"jsonrpc": "2.0", "id": i + 1, "method": m, "params": p})
             for i, (m, p) in enumerate(requests)]
    p = as_user([PYTHON, "-c", PROBE, path] + lines, **who)
    check(p.returncode == 0, "probe failed: %s" % p.stderr)
    return json.loads(p.stdout)


def dspctl_as(args, **who):
    return as_user([Paths.dspctl] + list(args), **who)


def monitor_methods():
    """The read-only list in the "monitor socket" section of the docs."""
    with open(os.path.join(ROOT, "docs", "protocol.md")) as f:
        text = f.read()
    section = text[text.index("## The monitor socket"):]
    match = re.search(r"`(hello [a-z.\s]+)`", section)
    check(match is not None, "no method list in the monitor socket section")
    return set(match.group(1).split())


def monitored_daemon(name):
    d = Daemon(name)
    d.monitor = os.path.join(d.dir, "monitor.sock")
    d.cfg["control"] = {"socket": d.socket, "monitor_socket": d.monitor, "group": "audio"}
    d.cfg["loudness"] = {"tap": "playback"}   # so that every read method answers
    d.write_config(d.cfg)
    return d


def test_socket_modes_and_who_may_connect():
    """0660 root:audio control socket, 0666 monitor socket; an outsider
    cannot connect to the first, may read through the second, is refused
    every changing method there; a member of audio may change the gain."""
    reason = skip_reason()
    if reason:
        return reason
    gid = audio_gid()
    d = monitored_daemon("perm")
    try:
        d.start()
        st = os.stat(d.socket)
        check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == gid,
              "control socket mode %o gid %d, want 0660 gid %d (audio)"
              % (stat.S_IMODE(st.st_mode), st.st_gid, gid))
        st = os.stat(d.monitor)
        check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o666,
              "monitor socket mode %o, want 0666" % stat.S_IMODE(st.st_mode))

        # an outsider: no way into the control socket
        r = probe(d.socket, [("status", None)])
        check(r["connect"] == "EACCES", "uid %d on the control socket: %s" % (NOBODY, r))

        # ... but the monitor socket reads everything and changes nothing
        reads = sorted(monitor_methods() - {"record", "subscribe", "unsubscribe", "config.validate"})
        r = probe(d.monitor, [(m, None) for m in reads])
        check(r["connect"] == "ok", "uid %d on the monitor socket: %s" % (NOBODY, r))
        for m, msg in zip(reads, r["answers"]):
            check("result" in msg, "monitor %s: %s" % (m, msg))
            if m == "hello":
                check(msg["result"]["read_only"] is True, "hello.read_only on the monitor: %s" % msg)
        conn = Conn(d.socket)
        methods = conn.result("hello")["methods"]
        check(set(methods) == documented_methods(), "hello vs docs")
        changing = sorted(set(methods) - monitor_methods())
        check({"gain.set", "gain.adjust", "mute.set", "mute.toggle", "config.reload"} <= set(changing),
              "changing methods %s" % changing)
        params = {"gain.set": {"db": -6}, "gain.adjust": {"db": -1}, "mute.set": {"mute": True}}
        r = probe(d.monitor, [(m, params.get(m)) for m in changing])
        for m, msg in zip(changing, r["answers"]):
            verify(msg, Err(-32001, "method"), "monitor %s" % m)
            reason_text = msg["error"]["data"]["reason"]
            check(m in reason_text and "monitor" in reason_text and "control socket" in reason_text,
                  "refusal of %s does not explain itself: %s" % (m, reason_text))
        g = conn.result("gain.get")
        check(g["db"] == 0.0 and g["mute"] is False, "refused calls changed the gain: %s" % g)
        # subscriptions and validation work read-only too
        r = probe(d.monitor, [("subscribe", {"topics": ["state"]}), ("unsubscribe", None),
                              ("config.validate", {"config": d.cfg})])
        for msg in r["answers"]:
            check("result" in msg, "monitor read-only method refused: %s" % msg)

        # a member of audio may change things
        watcher = Conn(d.socket)
        watcher.result("subscribe", {"topics": ["gain"]})
        r = probe(d.socket, [("gain.set", {"db": -6})], groups=[gid])
        check(r["connect"] == "ok", "audio member on the control socket: %s" % r)
        verify(r["answers"][0], Ok({"db": Eq(-6.0), "mute": Eq(False)}), "member gain.set")
        note = watcher.read()
        check(note.get("method") == "gain" and note["params"]["by"]["uid"] == NOBODY,
              "gain notification does not name uid %d: %s" % (NOBODY, note))
        watcher.close()
        conn.close()
        d.stop()
    finally:
        d.cleanup()


def test_dspctl_permission_exit_code():
    """dspctl exits 4 (permission) with a message naming the socket, both
    when it cannot connect and when the monitor socket refuses a change."""
    reason = skip_reason()
    if reason:
        return reason
    gid = audio_gid()
    d = monitored_daemon("perm-ctl")
    try:
        d.start()
        p = dspctl_as(["--socket", d.socket, "status"])
        check(p.returncode == 4 and d.socket in p.stderr,
              "dspctl as an outsider on the control socket: rc %d: %s" % (p.returncode, p.stderr))
        p = dspctl_as(["--socket", d.monitor, "--json", "status"])
        check(p.returncode == 0 and json.loads(p.stdout)["state"] == "running",
              "dspctl status on the monitor socket: rc %d: %s" % (p.returncode, p.stderr))
        for args in (["set", "gain", "-6"], ["set", "mute", "toggle"]):
            p = dspctl_as(["--socket", d.monitor] + args)
            check(p.returncode == 4 and "monitor" in p.stderr,
                  "dspctl %s on the monitor socket: rc %d: %s" % (" ".join(args), p.returncode, p.stderr))
        p = dspctl_as(["--socket", d.socket, "set", "gain", "-3"], groups=[gid])
        check(p.returncode == 0, "dspctl as an audio member: rc %d: %s" % (p.returncode, p.stderr))
        check(d.ctl("get", "gain")["db"] == -3.0, "member's gain not applied")
        d.stop()
    finally:
        d.cleanup()


def make_stale_socket(path):
    """A socket file nobody listens on (a dspd that was killed -9).  A
    second hard link keeps its inode alive, so a replacement cannot get
    the same inode number."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()
    os.link(path, path + ".keep")
    return os.stat(path).st_ino


def test_stale_socket_replaced_live_socket_refused():
    """A leftover socket file is replaced at start; a second dspd on a live
    socket exits 1 with a clear message and leaves the first alone."""
    reason = skip_reason()
    if reason:
        return reason
    audio_gid()
    d = Daemon("stale")
    second = Daemon("second")
    try:
        stale_inode = make_stale_socket(d.socket)
        d.start()
        st = os.stat(d.socket)
        check(stat.S_ISSOCK(st.st_mode) and st.st_ino != stale_inode,
              "the stale socket file was not replaced")
        live_inode = st.st_ino
        # same socket, its own devices (so the first one's report is safe)
        second.cfg["control"] = {"socket": d.socket}
        second.write_config(second.cfg)
        p = subprocess.run(second.command(), env=second.env(), capture_output=True,
                           text=True, timeout=30)
        check(p.returncode == 1, "second dspd exit status %d, want 1:\n%s" % (p.returncode, p.stderr))
        check("already" in p.stderr and d.socket in p.stderr,
              "second dspd does not say why:\n%s" % p.stderr)
        check(os.stat(d.socket).st_ino == live_inode, "the second dspd replaced the live socket")
        check(d.ctl("status")["state"] == "running", "the first dspd stopped answering")
        d.stop()
        check(not os.path.exists(d.socket), "dspd left its socket behind after SIGTERM")
    finally:
        second.cleanup()
        d.cleanup()


def test_non_socket_file_is_not_removed():
    """Something other than a socket at the socket path (a mistyped
    control.socket) is refused, never deleted."""
    reason = skip_reason()
    if reason:
        return reason
    d = Daemon("notasocket")
    try:
        with open(d.socket, "w") as f:
            f.write("precious\n")
        proc = subprocess.Popen(d.command(), env=d.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        with open(d.socket) if os.path.isfile(d.socket) else open(os.devnull) as f:
            survived = f.read() == "precious\n"
        check(survived, "dspd replaced the regular file %s with its socket" % d.socket)
        check(proc.returncode == 1 and d.socket in out,
              "exit %d without naming %s:\n%s" % (proc.returncode, d.socket, out))
    finally:
        d.cleanup()


def test_socket_activation():
    """Sockets passed by systemd: "monitor" becomes the read-only one, the
    other the control socket; dspd neither rebinds nor removes them."""
    reason = skip_reason()
    if reason:
        return reason
    if not shutil.which("systemd-socket-activate"):
        return "skipped: systemd-socket-activate not installed"
    d = monitored_daemon("activation")
    proc = None
    try:
        cmd = ["systemd-socket-activate", "-l", d.socket, "-l", d.monitor,
               "--fdname=control:monitor",
               "-E", "ALSA_CONFIG_PATH=" + d.env()["ALSA_CONFIG_PATH"],
               Paths.dspd, "-c", d.config_path, "-v"]
        log = open(os.path.join(d.dir, "dspd.log"), "w")
        proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while not (os.path.exists(d.socket) and os.path.exists(d.monitor)):
            check(time.monotonic() < deadline and proc.poll() is None,
                  "systemd-socket-activate did not listen")
            time.sleep(0.05)
        inodes = (os.stat(d.socket).st_ino, os.stat(d.monitor).st_ino)
        # the first connection starts dspd, which then answers it
        conn = Conn(d.socket, timeout=30)
        st = conn.result("status")
        check(st["state"] in ("starting", "running"), "status on the activated socket: %s" % st)
        check(conn.result("hello")["read_only"] is False, "control socket is read-only")
        mon = Conn(d.monitor)
        check(mon.result("hello")["read_only"] is True, "the socket named monitor is not read-only")
        verify(mon.call("gain.set", {"db": -6}), Err(-32001, "method"), "gain.set on the activated monitor")
        mon.close()
        check((os.stat(d.socket).st_ino, os.stat(d.monitor).st_ino) == inodes,
              "dspd rebound the activated sockets")
        with open(os.path.join(d.dir, "dspd.log")) as f:
            check("passed by systemd" in f.read(), "dspd did not say it uses the passed sockets")
        conn.close()
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(timeout=15) == 0, "dspd exit status %s" % proc.returncode)
        proc = None
        check(os.path.exists(d.socket) and os.path.exists(d.monitor)
              and (os.stat(d.socket).st_ino, os.stat(d.monitor).st_ino) == inodes,
              "dspd removed the sockets systemd owns")
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        d.cleanup()


def test_monitor_validate_reads_no_private_files():
    """config.validate on the monitor socket (anyone may connect) must not
    let a user read, through the error messages, a file only root may read."""
    reason = skip_reason()
    if reason:
        return reason
    d = monitored_daemon("validate-secret")
    secret = os.path.join(d.dir, "secret.json")
    try:
        d.start()
        with open(secret, "w") as f:
            f.write('{"rate": 1e300, "api_token": 123456789}\n')
        os.chmod(secret, 0o600)
        r = probe(d.monitor, [("config.validate", {"path": secret})])
        text = json.dumps(r["answers"][0])
        check("api_token" not in text and "123456789" not in text and "1e300" not in text,
              "uid %d read a root-only file through config.validate: %s" % (NOBODY, text))
        d.stop()
    finally:
        d.cleanup()


def test_validate_fifo_does_not_block():
    """config.validate of a FIFO (anyone can make one) must answer, not
    block the control thread in open() or read() until a writer comes."""
    reason = skip_reason()
    if reason:
        return reason
    d = monitored_daemon("validate-fifo")
    fifo = os.path.join(d.dir, "fifo")
    try:
        d.start()
        os.mkfifo(fifo)
        os.chmod(fifo, 0o666)
        # the monitor socket refuses paths altogether; the control socket
        # must answer that a FIFO is no configuration file
        mon = Conn(d.socket, timeout=3)
        try:
            msg = mon.call("config.validate", {"path": fifo})
            check(msg.get("result", {}).get("valid") is False, "FIFO validate: %s" % msg)
            check("not a regular file" in " ".join(msg["result"]["errors"]), "FIFO reason: %s" % msg)
        except OSError:
            raise AssertionError("config.validate on a FIFO got no answer in 3 s: "
                                 "the control thread is blocked on the FIFO")
        finally:
            try:     # release a blocked daemon so that it can stop
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
            mon.close()
        check(d.ctl("status")["state"] == "running", "daemon hurt")
        d.stop()
    finally:
        d.cleanup()
