"""End-to-end tests of the control socket and dspctl against a running dspd:
every bad line gets a JSON-RPC error and the connection and daemon survive;
limits close abusive clients without hurting others; dspctl's grammar."""

import json
import os
import signal
import socket
import subprocess
import time

from harness import Daemon, Failure, Paths, check, raw_request

GOOD = b'{"jsonrpc":"2.0","id":%d,"method":"gain.get"}\n'


def test_bad_lines_get_errors_and_connection_survives():
    d = Daemon("proto")
    try:
        d.start()
        bad = [
            (b"this is not json\n", -32700),
            (b'{"jsonrpc":"2.0","id":1,"method":"st\xff"}\n', -32700),
            (b'{"jsonrpc":"2.0","id":2,"method":"gain.set","params":{"db":NaN}}\n', -32700),
            (b'{"jsonrpc":"2.0","id":3,"method":"gain.set","params":{"db":1e400}}\n', -32602),
            (b'{"jsonrpc":"2.0","id":4,"method":"gain.set","params":{"db":"loud"}}\n', -32602),
            (b'{"jsonrpc":"2.0","id":5,"method":"gain.set","params":{"db":-6,"db":-3,"x":1}}\n', -32602),
            (b'{"jsonrpc":"2.0","id":6,"method":"reboot"}\n', -32601),
            (b'[' * 1000 + b']' * 1000 + b'\n', -32700),
            (b'{"jsonrpc":"2.0","id":7,"method":"status"\x00}\n', -32700),
            (b'"just a string"\n', -32600),
        ]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(d.socket)
        f = s.makefile("rb")
        for i, (line, code) in enumerate(bad):
            s.sendall(line)
            reply = json.loads(f.readline())
            check(reply.get("error", {}).get("code") == code,
                  "line %d: %s -> %s (want %d)" % (i, line[:60], reply, code))
            s.sendall(GOOD % (100 + i))
            ok = json.loads(f.readline())
            check(ok.get("id") == 100 + i and "result" in ok, "connection broken after line %d: %s" % (i, ok))
        # many requests in one write, answered in order
        s.sendall(b"".join(GOOD % n for n in range(200, 250)))
        ids = [json.loads(f.readline())["id"] for _ in range(50)]
        check(ids == list(range(200, 250)), "pipelined answers out of order")
        # a notification gets no answer: the next line read is id 300
        s.sendall(b'{"jsonrpc":"2.0","method":"gain.get"}\n' + GOOD % 300)
        check(json.loads(f.readline())["id"] == 300, "notification was answered")
        s.close()
        check(d.ctl("status")["state"] == "running", "daemon hurt")
        d.stop()
    finally:
        d.cleanup()


def test_limits_close_abusers_only():
    d = Daemon("limits")
    d.cfg["control"]["max_clients"] = 64
    d.write_config(d.cfg)
    try:
        d.start()
        # 10 MB without a newline: one error, then the connection is closed
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(d.socket)
        sent = 0
        try:
            chunk = b"x" * 65536
            while sent < 10 * 1024 * 1024:
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while True:
                c = s.recv(4096)
                if not c:
                    break
                data += c
        except ConnectionResetError:
            pass
        s.close()
        check(b'"code":-32600' in data and b"too long" in data, "no error for a huge line: %r" % data[:200])
        check(sent < 10 * 1024 * 1024, "daemon swallowed 10 MB without closing")
        # half a line then EOF: nothing breaks
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.socket)
        s.sendall(b'{"jsonrpc":"2.0","id":1,"meth')
        s.close()
        # client limit: 64 held open, the 65th is told why; first wait until
        # the daemon has let go of the clients above (only the asker remains)
        deadline = time.monotonic() + 10
        while raw_request(d.socket, b'{"jsonrpc":"2.0","id":1,"method":"stats"}\n')[0]["result"]["clients"] > 1:
            check(time.monotonic() < deadline, "closed clients still counted")
            time.sleep(0.05)
        held = []
        for i in range(64):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(10)
            c.connect(d.socket)
            held.append(c)
        for i, c in enumerate(held):   # each one really accepted and served
            c.sendall(GOOD % i)
            check(json.loads(c.makefile("rb").readline())["id"] == i, "held client %d" % i)
        extra = raw_request(d.socket, b"", read_lines=1)
        check(extra and "too many clients" in extra[0]["error"]["data"]["reason"], "65th client: %s" % extra)
        for c in held:
            c.close()
        time.sleep(0.3)
        check(raw_request(d.socket, GOOD % 1)[0]["id"] == 1, "no recovery after the clients left")
        d.stop()
    finally:
        d.cleanup()


def test_dspctl_grammar_and_exit_codes():
    d = Daemon("dspctl")
    try:
        d.start()
        env = dict(os.environ, DSPD_SOCKET=d.socket)
        run = lambda *a: subprocess.run([Paths.dspctl] + list(a), env=env,
                                        capture_output=True, text=True, timeout=10)
        p = run("set", "gain", "-6")
        check(p.returncode == 0, "set gain -6: %s" % p.stderr)
        p = run("--json", "get", "gain")
        check(json.loads(p.stdout)["db"] == -6.0, p.stdout)
        p = run("get", "gain")
        check(p.stdout.strip().startswith("-6.0 dB"), "human get gain: %r" % p.stdout)
        p = run("set", "gain", "abc")
        check(p.returncode == 2 and "abc" in p.stderr, "usage error: %d %s" % (p.returncode, p.stderr))
        p = run("set", "gain", "100")
        check(p.returncode == 1 and "db" in p.stderr, "daemon error: %d %s" % (p.returncode, p.stderr))
        p = run("--json", "status")
        st = json.loads(p.stdout)
        for key in ("state", "rate", "period_frames", "periods", "capture", "playback",
                    "frames", "xruns", "latency_frames", "rt"):
            check(key in st, "status lacks %s" % key)
        for side in ("capture", "playback"):
            for key in ("device", "format", "channels"):
                check(key in st[side], "status.%s lacks %s" % (side, key))
        check(set(st["frames"]) >= {"captured", "played"}, "frames %s" % st["frames"])
        p = run("--json", "levels")
        lv = json.loads(p.stdout)
        for side in ("capture", "playback"):
            check(len(lv[side]) == 2, "levels %s" % lv)
            for ch in lv[side]:
                check(set(ch) >= {"peak_dbfs", "rms_dbfs", "clipped"}, "levels fields %s" % ch)
        p = run("xruns")
        check(p.returncode == 0 and "0" in p.stdout, p.stdout)
        p = run("--socket", "/nonexistent/x.sock", "status")
        check(p.returncode == 3 and "x.sock" in p.stderr, "unreachable: %d %s" % (p.returncode, p.stderr))
        d.stop()
    finally:
        d.cleanup()


def _ir_wav(path, rate, taps=64):
    """A one-channel 16-bit WAV impulse response sampled at rate."""
    import struct
    import wave
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack("<%dh" % taps, *([16000] + [0] * (taps - 1))))


def test_check_config_every_rate():
    """--check-config and config.validate check the pipeline at every rate of
    source.rates when "rate" is "follow", each error naming its rate."""
    d = Daemon("rates")
    try:
        for rate in (44100, 48000):
            _ir_wav(os.path.join(d.dir, "room-%d.wav" % rate), rate)
        follow = dict(d.cfg, rate="follow", source={"rates": [44100, 48000, 96000]},
                      pipeline=[{"type": "fir", "name": "room",
                                 "path": os.path.join(d.dir, "room-{rate}.wav")},
                                {"type": "fir", "name": "map",
                                 "path": {"44100": os.path.join(d.dir, "room-44100.wav"),
                                          "48000": os.path.join(d.dir, "room-48000.wav")}}])
        bad = os.path.join(d.dir, "follow.conf")
        with open(bad, "w") as f:
            json.dump(follow, f)
        p = subprocess.run([Paths.dspd, "--check-config", "-c", bad], capture_output=True, text=True)
        check(p.returncode == 78, "exit %d for a file missing at one rate: %s" % (p.returncode, p.stderr))
        check("/pipeline/0/path: at 96000 Hz:" in p.stderr and "room-96000.wav" in p.stderr,
              "the missing {rate} file is not named with its rate:\n" + p.stderr)
        check("/pipeline/1/path: at 96000 Hz:" in p.stderr and "no IR file for 96000 Hz" in p.stderr,
              "the map's missing rate is not named:\n" + p.stderr)
        check("at 44100 Hz" not in p.stderr and "at 48000 Hz" not in p.stderr,
              "errors at rates that have their files:\n" + p.stderr)
        good = dict(follow, source={"rates": [44100, 48000]})
        ok = os.path.join(d.dir, "ok.conf")
        with open(ok, "w") as f:
            json.dump(good, f)
        p = subprocess.run([Paths.dspd, "--check-config", "-c", ok], capture_output=True, text=True)
        check(p.returncode == 0, "a config with every rate's file rejected: " + p.stderr)

        d.start()
        reply = raw_request(d.socket, (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "config.validate",
                                                   "params": {"path": bad}}) + "\n").encode())[0]
        errors = reply.get("result", {}).get("errors", [])
        check(reply.get("result", {}).get("valid") is False and
              any("at 96000 Hz" in e for e in errors), "config.validate: %r" % (reply,))
        d.stop()
    finally:
        d.cleanup()


def test_check_config_and_reload():
    d = Daemon("reload")
    try:
        bad = os.path.join(d.dir, "bad.conf")
        with open(bad, "w") as f:
            f.write('{ "rate": 48000, "period_frames": "big",\n  "capture": { "channels": 0 } }\n')
        p = subprocess.run([Paths.dspd, "--check-config", "-c", bad], capture_output=True, text=True)
        check(p.returncode == 78, "exit %d for a bad config" % p.returncode)
        check("/period_frames" in p.stderr and "/capture/channels" in p.stderr,
              "errors do not name both fields:\n" + p.stderr)
        p = subprocess.run([Paths.dspd, "--check-config", "-c", d.config_path], capture_output=True, text=True)
        check(p.returncode == 0, "good config rejected: " + p.stderr)
        # checks only the block can make (here: the rate) run in --check-config too
        with open(bad, "w") as f:
            json.dump(dict(d.cfg, pipeline=[{"type": "biquad", "name": "hp", "kind": "highpass",
                                             "freq": 30000, "q": 0.7}]), f)
        p = subprocess.run([Paths.dspd, "--check-config", "-c", bad], capture_output=True, text=True)
        check(p.returncode == 78 and "/pipeline" in p.stderr and "hp" in p.stderr and "24000" in p.stderr,
              "block check missing from --check-config: %d %s" % (p.returncode, p.stderr))

        d.start()
        good = dict(d.cfg)
        with open(d.config_path, "w") as f:
            f.write('{ "rate": 48000, oops }')
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        st = d.ctl("status")
        check(st["state"] == "running" and st["rate"] == 48000, "bad reload hurt the running config")
        check("reload rejected" in d.read_log(), "no rejection in the log")
        good["volume"] = {"db": -3.0}
        d.write_config(good)
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if d.ctl("get", "gain")["db"] == -3.0:
                    break
            except Failure:
                pass
            time.sleep(0.1)
        check(d.ctl("get", "gain")["db"] == -3.0, "reload did not apply volume.db")
        d.stop()
    finally:
        d.cleanup()
