"""End-to-end, table-driven tests of every control method and every error
path, against one running dspd on the paced dspdtest device, over the raw
socket (one JSON line per request, no dspctl).

Each row of a table is a request and what must come back: the result's
shape (keys, types, and the values that are deterministic) or the error code
and data.field.  The rows run in order on one connection, so a row may rely
on the state the rows before it left (the gain rows do).  The audio keeps
running through all of it: at the end the device's own report must show no
gap and no xrun.

While the table runs the master gain is muted with ramp_ms 0, so changing
the gain target does not alter a single sample the device checks (muted
frames are silence, across which the checker keeps continuity); the only
unmuted moments are at exactly 0 dB, which is bit-exact."""

import hashlib
import json
import math
import os
import re
import socket
import subprocess
import time

from harness import ROOT, Daemon, Failure, Paths, check

PERIOD = 1024
BLOCK_MS = 1000.0 * PERIOD / 48000     # one meter block (one period here)


# ---- a raw client ------------------------------------------------------------

class Conn:
    """One connection; call() sends a request and returns its answer,
    keeping the notifications that arrive meanwhile in self.notes."""

    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.file = self.sock.makefile("rb")
        self.notes = []
        self.next_id = 1000

    def send(self, data):
        self.sock.sendall(data)

    def read(self):
        line = self.file.readline()
        check(line.endswith(b"\n"), "connection closed or line cut: %r" % line[:200])
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Failure("answer is not UTF-8 (%s): %r" % (e, line[:300]))
        msg = json.loads(text, parse_constant=reject_constant)
        check(isinstance(msg, dict) and msg.get("jsonrpc") == "2.0",
              "not a JSON-RPC 2.0 message: %s" % text[:300])
        return msg

    def answer(self):
        while True:
            msg = self.read()
            if "id" in msg:
                return msg
            self.notes.append(msg)

    def request(self, method, params=None, rid=None, omit_params=False):
        if rid is None:
            rid = self.next_id
            self.next_id += 1
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if not omit_params:
            req["params"] = params
        self.send(json.dumps(req).encode() + b"\n")
        return rid

    def call(self, method, params=None, omit_params=False):
        rid = self.request(method, params, omit_params=omit_params)
        msg = self.answer()
        check(msg["id"] == rid, "%s: answer for id %s, want %s" % (method, msg["id"], rid))
        check(("result" in msg) != ("error" in msg), "%s: result xor error: %s" % (method, msg))
        return msg

    def result(self, method, params=None):
        msg = self.call(method, params)
        check("result" in msg, "%s %s failed: %s" % (method, params, msg))
        return msg["result"]

    def close(self):
        self.file.close()
        self.sock.close()


def reject_constant(name):
    raise Failure("answer contains the non-JSON number %s" % name)


# ---- expected shapes -----------------------------------------------------------

class Num:
    """A finite JSON number (not a bool), optionally within [lo, hi]."""

    def __init__(self, lo=-math.inf, hi=math.inf, integer=False):
        self.lo, self.hi, self.integer = lo, hi, integer

    def check(self, v, where):
        kinds = (int,) if self.integer else (int, float)
        check(isinstance(v, kinds) and not isinstance(v, bool),
              "%s: %r is not a%s number" % (where, v, "n integer" if self.integer else ""))
        check(math.isfinite(v) and self.lo <= v <= self.hi,
              "%s: %r outside %s..%s" % (where, v, self.lo, self.hi))


INT = Num(integer=True)
COUNT = Num(0, integer=True)
NUM = Num()


class Eq:
    def __init__(self, value, tol=1e-9):
        self.value, self.tol = value, tol

    def check(self, v, where):
        if isinstance(self.value, float):
            check(isinstance(v, (int, float)) and not isinstance(v, bool)
                  and abs(v - self.value) <= self.tol, "%s: %r, want %r" % (where, v, self.value))
        else:
            check(type(v) is type(self.value) and v == self.value,
                  "%s: %r, want %r" % (where, v, self.value))


class Pred:
    def __init__(self, fn, what):
        self.fn, self.what = fn, what

    def check(self, v, where):
        check(self.fn(v), "%s: %r is not %s" % (where, v, self.what))


class Exact:
    """A dict with exactly these keys."""

    def __init__(self, spec):
        self.spec = spec

    def check(self, v, where):
        check(isinstance(v, dict) and set(v) == set(self.spec),
              "%s: keys %s, want exactly %s" % (where, sorted(v) if isinstance(v, dict) else v,
                                                sorted(self.spec)))
        conforms(v, self.spec, where)


def conforms(value, spec, where="result"):
    if isinstance(spec, (Num, Eq, Pred, Exact)):
        spec.check(value, where)
    elif isinstance(spec, dict):
        check(isinstance(value, dict), "%s: %r is not an object" % (where, value))
        for key, sub in spec.items():
            check(key in value, "%s lacks %r: %s" % (where, key, json.dumps(value)[:300]))
            conforms(value[key], sub, "%s.%s" % (where, key))
    elif isinstance(spec, list):
        check(isinstance(value, list), "%s: %r is not an array" % (where, value))
        for i, item in enumerate(value):
            conforms(item, spec[0], "%s[%d]" % (where, i))
    elif spec in (str, bool):
        check(type(value) is spec, "%s: %r is not a %s" % (where, value, spec.__name__))
    else:
        raise Failure("bad spec %r at %s" % (spec, where))


class Ok:
    def __init__(self, spec):
        self.spec = spec


class Err:
    def __init__(self, code, field=None):
        self.code, self.field = code, field


def verify(msg, expect, what):
    if isinstance(expect, Ok):
        check("result" in msg, "%s: want a result, got %s" % (what, msg))
        conforms(msg["result"], expect.spec, what)
        return
    check("error" in msg, "%s: want error %d, got %s" % (what, expect.code, json.dumps(msg)[:300]))
    e = msg["error"]
    check(e.get("code") == expect.code, "%s: error %s, want %d" % (what, e, expect.code))
    check(isinstance(e.get("message"), str) and e["message"], "%s: no message: %s" % (what, e))
    if expect.field is not None:
        data = e.get("data") or {}
        check(data.get("field") == expect.field,
              "%s: data.field %r, want %r (%s)" % (what, data.get("field"), expect.field, e))
        check(isinstance(data.get("reason"), str) and data["reason"],
              "%s: data.reason missing: %s" % (what, e))


SLEEP = object()     # a row (SLEEP, seconds, None) pauses the table


def run_table(conn, rows):
    for method, params, expect in rows:
        if method is SLEEP:
            time.sleep(params)
            continue
        msg = conn.call(method, params)
        verify(msg, expect, "%s %s" % (method, json.dumps(params)))


# ---- the daemon under test -------------------------------------------------------

PIPELINE = [{"type": "gain", "name": "master", "db": 0.0},
            {"type": "gain", "name": "left", "db": 0, "channels": [0]}]


def documented_methods():
    """Every method name in a "### `...`" heading of docs/protocol.md."""
    names = set()
    with open(os.path.join(ROOT, "docs", "protocol.md")) as f:
        for line in f:
            if line.startswith("### "):
                names.update(re.findall(r"`([a-z][a-z.]*)`", line))
    return names


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def stream_spec(dev_substring):
    return {"device": Pred(lambda s: isinstance(s, str) and dev_substring in s, "the device"),
            "format": Eq("S32_LE"), "channels": Eq(2), "period_frames": Eq(PERIOD),
            "buffer_frames": Eq(4 * PERIOD)}


def frames_spec():
    return Exact({"captured": COUNT, "processed": COUNT, "played": COUNT, "dropped": Eq(0)})


LOAD = Exact({"last": Num(0, 1), "avg": Num(0, 1), "max": Num(0, 1)})
BUSY = Exact({"window_s": Eq(10), "periods": COUNT, "p50": Num(0, 1), "p99": Num(0, 1),
              "max": Num(0, 1), "p50_us": Num(0, 21333), "p99_us": Num(0, 21333),
              "max_us": Num(0, 21333)})


def gain(db, mute, ramp_ms=20.0):
    return Ok(Exact({"db": Eq(float(db), 1e-6), "mute": Eq(mute), "ramp_ms": Eq(ramp_ms),
                     "max_db": Eq(40.0)}))


def mute(value):
    return Ok(Exact({"mute": Eq(value)}))


def engine_rows(d, version, config_real, sha):
    status = {
        "state": Eq("running"), "version": Eq(version), "uptime_s": Num(0, 3600),
        "rate": Eq(48000), "period_frames": Eq(PERIOD), "period_ms": Eq(21.333, 0.001),
        "periods": Eq(4), "capture": stream_spec("CONTROL="), "playback": stream_spec("REPORT="),
        "frames": frames_spec(), "xruns": Exact({"capture": Eq(0), "playback": Eq(0)}),
        "latency_frames": Eq(3 * PERIOD), "latency_ms": Eq(64.0, 0.001),
        "rt": bool, "rt_priority": Num(0, 99, integer=True), "mlock": Eq(False), "load": LOAD,
        "busy": BUSY, "threads": Eq(1), "workers_rt": Eq(False), "workers": Eq([]),
        "late_periods": Eq(0), "gain": {"db": Eq(0.0), "mute": Eq(False)},
        "config": {"path": Eq(config_real), "sha256": Eq(sha)},
    }
    stats = Exact({
        "uptime_s": Num(0, 3600), "state": Eq("running"), "frames": frames_spec(),
        "xruns": Exact({"capture": Eq(0), "playback": Eq(0)}), "recoveries": Eq(0),
        "reopens": Eq(0), "device_losses": Eq(0), "clipped": Exact({"capture": Eq(0), "playback": Eq(0)}),
        "load": LOAD, "busy": BUSY, "clients": Num(1, 64, integer=True), "events_lost": Eq(0),
        "levels_skipped": COUNT, "rate": Eq(48000), "latency_frames": Eq(3 * PERIOD),
        "clocks": Eq(None), "threads": Eq(1), "workers_rt": Eq(False), "workers": Eq([]),
        "late_periods": Eq(0)})
    xruns = Exact({"capture": Eq(0), "playback": Eq(0), "resyncs": Eq(0),
                   "frames_dropped": Eq(0), "late_periods": Eq(0), "recent": Eq([])})
    # each block as configured, plus what the running block reports
    running = {"channels_in": 2, "channels_out": 2, "latency_frames": 0, "resets": 0}
    blocks = Ok(Exact({"blocks": Eq([
        dict({"index": 0, "type": "gain", "name": "master", "db": 0.0}, **running),
        dict({"index": 1, "type": "gain", "name": "left", "db": 0, "channels": [0]}, **running)]),
        "channels_in": Eq(2), "channels_out": Eq(2), "latency_frames": Eq(0)}))
    return [
        ("status", None, Ok(status)),
        ("status", {}, Ok(status)),
        ("stats", None, Ok(stats)),
        ("xruns", None, Ok(xruns)),
        ("pipeline.list", None, blocks),
    ]


# The gain rows: first mute instantly, then everything runs muted, except
# one instant unmute at exactly 0 dB (UNMUTES counts them for the report).
GAIN_ROWS = [
    ("mute.get", None, mute(False)),
    ("gain.get", None, gain(0, False)),
    ("mute.set", {"mute": True, "ramp_ms": 0}, mute(True)),
    (SLEEP, 0.15, None),      # several periods play muted
    ("mute.get", None, mute(True)),
    ("gain.get", None, gain(0, True)),
    ("gain.set", {"db": -6}, gain(-6, True)),
    ("gain.set", {"db": 40}, gain(40, True)),
    ("gain.set", {"db": 40.01}, Err(-32602, "db")),
    ("gain.set", {"db": -150}, gain(-150, True)),
    ("gain.set", {"db": -150.01}, Err(-32602, "db")),
    ("gain.set", {"db": "loud"}, Err(-32602, "db")),
    ("gain.set", {"db": True}, Err(-32602, "db")),
    ("gain.set", {}, Err(-32602, "db")),
    ("gain.set", None, Err(-32602, "db")),
    ("gain.set", {"ramp_ms": 5}, Err(-32602, "db")),
    ("gain.set", {"db": -6, "ramp_ms": -1}, Err(-32602, "ramp_ms")),
    ("gain.set", {"db": -6, "ramp_ms": 10000.5}, Err(-32602, "ramp_ms")),
    ("gain.set", {"db": -6, "ramp_ms": "slow"}, Err(-32602, "ramp_ms")),
    ("gain.get", None, gain(-150, True)),               # the errors changed nothing
    ("gain.set", {"db": -6, "ramp_ms": 10000}, gain(-6, True)),
    ("gain.set", {"db": -3, "ramp_ms": 0}, gain(-3, True)),
    ("gain.set", {"db": -2.5, "ramp_ms": 0.5}, gain(-2.5, True)),
    ("gain.set", {"mute": "yes"}, Err(-32602, "mute")),
    ("gain.set", {"mute": 1}, Err(-32602, "mute")),
    ("gain.set", {"db": -3, "mute": True}, gain(-3, True)),
    ("gain.set", {"mute": True}, gain(-3, True)),
    ("gain.adjust", {"db": 100}, gain(40, True)),        # -3 + 100, clamped
    ("gain.adjust", {"db": -190}, gain(-150, True)),     # clamped at the bottom
    ("gain.adjust", {"db": 190}, gain(40, True)),
    ("gain.adjust", {"db": -190.01}, Err(-32602, "db")),
    ("gain.adjust", {"db": 190.01}, Err(-32602, "db")),
    ("gain.adjust", {}, Err(-32602, "db")),
    ("gain.adjust", None, Err(-32602, "db")),
    ("gain.adjust", {"db": "up"}, Err(-32602, "db")),
    ("gain.adjust", {"db": -40, "ramp_ms": 10001}, Err(-32602, "ramp_ms")),
    ("gain.adjust", {"db": -40, "ramp_ms": -0.1}, Err(-32602, "ramp_ms")),
    ("gain.adjust", {"db": 1, "mute": False}, Err(-32602, "mute")),   # not a parameter of adjust
    ("gain.get", None, gain(40, True)),
    ("gain.adjust", {"db": -46.5, "ramp_ms": 0}, gain(-6.5, True)),
    ("gain.adjust", {"db": 6.5}, gain(0, True)),
    ("mute.set", {}, Err(-32602, "mute")),
    ("mute.set", None, Err(-32602, "mute")),
    ("mute.set", {"mute": "on"}, Err(-32602, "mute")),
    ("mute.set", {"mute": True, "ramp_ms": -5}, Err(-32602, "ramp_ms")),
    ("mute.set", {"mute": True, "db": 0}, Err(-32602, "db")),
    ("mute.toggle", {"ramp_ms": 10001}, Err(-32602, "ramp_ms")),
    ("mute.toggle", {"mute": True}, Err(-32602, "mute")),
    ("mute.get", None, mute(True)),
    # at 0 dB an instant unmute is bit-exact: the device sees no change
    ("mute.toggle", {"ramp_ms": 0}, mute(False)),
    ("gain.get", None, gain(0, False)),
    (SLEEP, 0.15, None),      # several periods play unmuted
    ("mute.toggle", {"ramp_ms": 0}, mute(True)),
]

# With the default ramp (20 ms) these alter samples: run where the audio
# is not checked.
DEFAULT_RAMP_ROWS = [
    ("mute.toggle", None, mute(True)),
    ("mute.toggle", {}, mute(False)),
    ("mute.set", {"mute": True}, mute(True)),
    ("gain.set", {"db": -1, "mute": False}, gain(-1, False)),
    ("gain.adjust", {"db": 1}, gain(0, False)),
]

UNMUTES = 2     # the mute.toggle in GAIN_ROWS and the final one

LEVELS_ERROR_ROWS = [
    ("levels", {"window_ms": 9.99}, Err(-32602, "window_ms")),
    ("levels", {"window_ms": 10000.01}, Err(-32602, "window_ms")),
    ("levels", {"window_ms": "long"}, Err(-32602, "window_ms")),
    ("levels", {"window": 100}, Err(-32602, "window")),
]

SUBSCRIBE_ROWS = [
    ("subscribe", {"topics": ["bogus"]}, Err(-32602, "topics")),
    ("subscribe", {"topics": ["gain", "Levels"]}, Err(-32602, "topics")),
    ("subscribe", {"topics": []}, Err(-32602, "topics")),
    ("subscribe", {"topics": "levels"}, Err(-32602, "topics")),
    ("subscribe", {"topics": [5]}, Err(-32602, "topics")),
    ("subscribe", {}, Err(-32602, "topics")),
    ("subscribe", None, Err(-32602, "topics")),
    ("subscribe", {"topics": ["gain"], "interval_ms": 9}, Err(-32602, "interval_ms")),
    ("subscribe", {"topics": ["gain"], "interval_ms": 10001}, Err(-32602, "interval_ms")),
    ("subscribe", {"topics": ["gain"], "interval_ms": "often"}, Err(-32602, "interval_ms")),
    ("subscribe", {"topics": ["gain"], "interval": 100}, Err(-32602, "interval")),
    ("unsubscribe", {"topics": ["nope"]}, Err(-32602, "topics")),
    ("unsubscribe", {"topics": []}, Err(-32602, "topics")),
    ("unsubscribe", {"interval_ms": 100}, Err(-32602, "interval_ms")),
    ("unsubscribe", None, Ok(Exact({"topics": Eq([])}))),     # nothing subscribed yet
    ("subscribe", {"topics": ["xrun", "state"], "interval_ms": 10000},
     Ok(Exact({"topics": Eq(["xrun", "state"]), "interval_ms": Eq(10000)}))),
    ("subscribe", {"topics": ["config", "xrun"]},
     Ok(Exact({"topics": Eq(["xrun", "state", "config"]), "interval_ms": Eq(10000)}))),
    ("unsubscribe", {"topics": ["state"]}, Ok(Exact({"topics": Eq(["xrun", "config"])}))),
    ("unsubscribe", {}, Ok(Exact({"topics": Eq([])}))),
]

RECORD_ROWS = [
    ("record", None, Err(-32602, "tap")),
    ("record", {"seconds": 1}, Err(-32602, "tap")),
    ("record", {"tap": "mic", "seconds": 1}, Err(-32602, "tap")),
    ("record", {"tap": 5, "seconds": 1}, Err(-32602, "tap")),
    ("record", {"tap": "capture"}, Err(-32602, "seconds")),
    ("record", {"tap": "capture", "seconds": 0.009}, Err(-32602, "seconds")),
    ("record", {"tap": "capture", "seconds": 60.01}, Err(-32602, "seconds")),
    ("record", {"tap": "playback", "seconds": "1"}, Err(-32602, "seconds")),
    ("record", {"tap": "playback", "seconds": 1, "format": "wav"}, Err(-32602, "format")),
]

UNKNOWN_METHOD_ROWS = [
    ("reboot", None, Err(-32601, "method")),
    ("", None, Err(-32601, "method")),
    ("GAIN.GET", None, Err(-32601, "method")),
    ("gain.get ", None, Err(-32601, "method")),
    ("gain", None, Err(-32601, "method")),
    ("record.data", None, Err(-32601, "method")),
]


def config_rows(d, good, bad, missing):
    valid = Ok(Exact({"valid": Eq(True)}))

    def invalid(*needles):
        def has_all(errors):
            return (isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors)
                    and all(any(n in e for e in errors) for n in needles))
        return Ok(Exact({"valid": Eq(False),
                         "errors": Pred(has_all, "an error list naming %s" % (needles,))}))

    return [
        ("config.validate", {"path": good}, valid),
        ("config.validate", {"path": bad}, invalid("/period_frames", "/capture/channels", "/bogus")),
        ("config.validate", {"path": missing}, invalid(missing)),
        ("config.validate", {"path": d.dir}, invalid(d.dir)),
        ("config.validate", {"path": "dspd.conf"}, Err(-32602, "path")),
        ("config.validate", {"path": "./" + os.path.basename(good)}, Err(-32602, "path")),
        ("config.validate", {"path": ""}, Err(-32602, "path")),
        ("config.validate", {"path": 5}, Err(-32602, "path")),
        ("config.validate", {"config": d.cfg}, valid),
        ("config.validate", {"config": {"rate": 7, "periods": "x"}}, invalid("/rate", "/periods")),
        ("config.validate", {"config": [1, 2]}, invalid("inline")),
        ("config.validate", {"config": {"rate": 48000, "rate": 44100}}, valid),
        ("config.validate", {"path": good, "config": d.cfg}, Err(-32602, "path")),
        ("config.validate", None, Err(-32602, "path")),
        ("config.validate", {}, Err(-32602, "path")),
        ("config.validate", {"config": None}, Err(-32602, "path")),
        ("config.validate", {"file": good}, Err(-32602, "file")),
        ("config.reload", {"path": "dspd.conf"}, Err(-32602, "path")),
        ("config.reload", {"path": 1}, Err(-32602, "path")),
        ("config.reload", {"file": good}, Err(-32602, "file")),
        ("config.get", {"path": good}, Err(-32602, "path")),
    ]


# ---- raw lines: envelope and torture ---------------------------------------------

def raw(conn, data):
    conn.send(data)
    return conn.read()


def expect_raw(conn, data, code, rid=None, field=None):
    msg = raw(conn, data)
    what = repr(data[:80])
    verify(msg, Err(code, field), what)
    check(msg["id"] == rid, "%s: id %r, want %r" % (what, msg["id"], rid))


def envelope_and_torture(conn):
    """Malformed lines: each gets one well-formed error and the connection
    stays usable (checked with a good request after every bad one)."""
    cases = [
        # (line, code, id echoed, data.field)
        (b"this is not json", -32700, None, None),
        (b"", -32700, None, None),
        (b"   \t", -32700, None, None),
        (b'{"jsonrpc":"2.0","id":1,"method":"st\xff\xfeus"}', -32700, None, None),   # not UTF-8
        (b'{"jsonrpc":"2.0","id":2,"method":"status"\x00}', -32700, None, None),
        (b'\x00', -32700, None, None),
        (b"[" * 1000 + b"]" * 1000, -32700, None, None),
        (b'{"a":' * 1000 + b"1" + b"}" * 1000, -32700, None, None),
        (b'{"jsonrpc":"2.0","id":3,"method":"gain.set","params":{"db":NaN}}', -32700, None, None),
        (b'{"jsonrpc":"2.0","id":3,"method":"gain.set","params":{"db":Infinity}}', -32700, None, None),
        (b'{"jsonrpc":"2.0","id":3,"method":"gain.set","params":{"db":-Infinity}}', -32700, None, None),
        (b'{"jsonrpc":"2.0","id":3,"method":"gain.set","params":{"db":nan}}', -32700, None, None),
        (b'{"jsonrpc":"2.0","id":4,"method":"hello",}', -32700, None, None),
        (b"{'jsonrpc':'2.0','id':4,'method':'hello'}", -32700, None, None),
        (b'{"jsonrpc":"2.0","id":4,"method":"hello"} {}', -32700, None, None),
        (b'{"jsonrpc":"2.0","id":4,"method":"hello"}//', -32700, None, None),
        (b'{"jsonrpc":"2.0","id":4,"method":"hello"', -32700, None, None),
        # valid JSON, wrong request
        (b'"just a string"', -32600, None, None),
        (b"42", -32600, None, None),
        (b"null", -32600, None, None),
        (b"[]", -32600, None, None),
        # batches ([{...}]) are answered with arrays: test_hostile_requests.py
        (b'{"id":6,"method":"hello"}', -32600, 6, "jsonrpc"),
        (b'{"jsonrpc":"1.0","id":7,"method":"hello"}', -32600, 7, "jsonrpc"),
        (b'{"jsonrpc":2.0,"id":8,"method":"hello"}', -32600, 8, "jsonrpc"),
        (b'{"jsonrpc":"2.0","id":9}', -32600, 9, "method"),
        (b'{"jsonrpc":"2.0","id":10,"method":7}', -32600, 10, "method"),
        (b'{"jsonrpc":"2.0","id":11,"method":null}', -32600, 11, "method"),
        (b'{"jsonrpc":"2.0","id":12,"method":"hello","params":[1]}', -32602, 12, "params"),
        (b'{"jsonrpc":"2.0","id":13,"method":"hello","params":"x"}', -32600, 13, "params"),
        (b'{"jsonrpc":"2.0","id":14,"method":"hello","extra":1}', -32600, 14, "extra"),
        (b'{"jsonrpc":"2.0","id":1.5,"method":"hello"}', -32600, None, "id"),
        (b'{"jsonrpc":"2.0","id":{},"method":"hello"}', -32600, None, "id"),
        (b'{"jsonrpc":"2.0","id":[1],"method":"hello"}', -32600, None, "id"),
        (b'{"jsonrpc":"2.0","id":true,"method":"hello"}', -32600, None, "id"),
        (b'{"jsonrpc":"2.0","id":1e400,"method":"hello"}', -32600, None, "id"),
        (b'{"jsonrpc":"2.0","id":1e29,"method":"hello"}', -32600, None, "id"),
        (b'{"jsonrpc":"2.0","id":100000000000000000000000000000,"method":"hello"}', -32600, None, "id"),
        (b'{"jsonrpc":"2.0","id":9223372036854775808,"method":"hello"}', -32600, None, "id"),
        (b'{"jsonrpc":"2.0","id":-9223372036854775808,"method":"hello"}', -32600, None, "id"),
        # well-formed JSON, bad values
        (b'{"jsonrpc":"2.0","id":15,"method":"gain.set","params":{"db":1e400}}', -32602, 15, "db"),
        (b'{"jsonrpc":"2.0","id":16,"method":"gain.set","params":{"db":-1e400}}', -32602, 16, "db"),
        (b'{"jsonrpc":"2.0","id":17,"method":"levels","params":{"window_ms":1e400}}', -32602, 17, "window_ms"),
        (b'{"jsonrpc":"2.0","id":18,"method":"gain.set","params":{"db":"-6"}}', -32602, 18, "db"),
        (b'{"jsonrpc":"2.0","id":19,"method":"gain.set","params":{"db":[-6]}}', -32602, 19, "db"),
        (b'{"jsonrpc":"2.0","id":20,"method":"gain.set","params":{"db":{"v":-6}}}', -32602, 20, "db"),
        (b'{"jsonrpc":"2.0","id":21,"method":"mute.set","params":{"mute":"true"}}', -32602, 21, "mute"),
        (b'{"jsonrpc":"2.0","id":22,"method":"mute.set","params":{"mute":0}}', -32602, 22, "mute"),
        (b'{"jsonrpc":"2.0","id":23,"method":"hello","params":{"\\u00e9":1}}', -32602, 23, "\u00e9"),
        (b'{"jsonrpc":"2.0","id":"a\\"b","method":"nope"}', -32601, 'a"b', "method"),
        (b'{"jsonrpc":"2.0","id":-9007199254740993,"method":"nope"}', -32601, -9007199254740993, "method"),
    ]
    for i, (line, code, rid, field) in enumerate(cases):
        expect_raw(conn, line + b"\n", code, rid, field)
        ok = conn.call("mute.get")
        check(ok.get("result") == {"mute": True}, "connection hurt after case %d: %s" % (i, ok))


def duplicates_and_odd_but_valid(conn):
    """Valid JSON the daemon must still answer sensibly."""
    # duplicate keys: json-c keeps the last one, everywhere
    msg = raw(conn, b'{"jsonrpc":"2.0","id":30,"method":"gain.set","params":{"db":-6,"db":-3}}\n')
    verify(msg, gain(-3, True), "duplicate db")
    msg = raw(conn, b'{"jsonrpc":"2.0","id":31,"method":"reboot","method":"mute.get"}\n')
    verify(msg, mute(True), "duplicate method")
    check(msg["id"] == 31, "duplicate method id %s" % msg["id"])
    msg = raw(conn, b'{"jsonrpc":"2.0","id":1,"id":32,"method":"mute.get"}\n')
    check(msg["id"] == 32, "duplicate id: answered as %s, want the last (32)" % msg["id"])
    # a number too small for a double is 0, and 1e1 is 10
    msg = raw(conn, b'{"jsonrpc":"2.0","id":33,"method":"gain.set","params":{"db":1e-400}}\n')
    verify(msg, gain(0, True), "1e-400")
    msg = raw(conn, b'{"jsonrpc":"2.0","id":34,"method":"gain.set","params":{"db":-6e0,"ramp_ms":1E1}}\n')
    verify(msg, gain(-6, True), "exponents")
    # CR LF line ends, whitespace, escaped method names, string and null ids
    msg = raw(conn, b'  {"jsonrpc":"2.0","id":"x","method":"mute.get"}  \r\n')
    check(msg.get("id") == "x" and msg.get("result") == {"mute": True}, "CRLF line: %s" % msg)
    msg = raw(conn, b'{"jsonrpc":"2.0","id":null,"method":"\\u006dute.get","params":null}\n')
    check(msg.get("id") is None and msg.get("result") == {"mute": True}, "escaped name: %s" % msg)
    msg = raw(conn, b'{"jsonrpc":"2.0","id":9007199254740993,"method":"mute.get"}\n')
    check(msg.get("id") == 9007199254740993, "64-bit id not echoed exactly: %s" % msg)
    # nesting: 32 levels are fine, 33 are a parse error (docs: limits)
    for depth, code in ((32, None), (33, -32700)):
        line = (b'{"jsonrpc":"2.0","id":%d,"method":"config.validate","params":{"config":{"pipeline":'
                % depth + b"[" * (depth - 3) + b"]" * (depth - 3) + b"}}}\n")
        msg = raw(conn, line)
        if code is None:
            check(msg.get("result", {}).get("valid") is False, "depth 32: %s" % msg)
        else:
            verify(msg, Err(code), "depth 33")
    conn.call("gain.set", {"db": 0, "ramp_ms": 0})


def notifications_get_no_answer(conn):
    """Requests without an id are never answered, not even when wrong."""
    lines = [
        b'{"jsonrpc":"2.0","method":"mute.get"}',
        b'{"jsonrpc":"2.0","method":"reboot"}',
        b'{"jsonrpc":"2.0","method":"gain.set","params":{"db":1000}}',
        b'{"jsonrpc":"2.0","method":"gain.set","params":{"bogus":1}}',
        b'{"jsonrpc":"2.0","method":"config.reload","params":{"path":"/nonexistent/x.conf"}}',
        b'{"jsonrpc":"2.0","method":"config.validate","params":{"path":"/nonexistent/x.conf"}}',
        b'{"jsonrpc":"2.0","method":"record","params":{"tap":"capture","seconds":1}}',
        b'{"jsonrpc":"2.0","method":"subscribe","params":{"topics":["bogus"]}}',
    ]
    conn.send(b"\n".join(lines) + b'\n{"jsonrpc":"2.0","id":"after","method":"mute.get"}\n')
    msg = conn.answer()
    check(msg["id"] == "after", "a notification was answered: %s" % msg)
    # the record notification started nothing: a real record is accepted
    rid = conn.request("record", {"tap": "capture", "seconds": 0.02})
    frames = 0
    while True:
        msg = conn.read()
        if msg.get("method") == "record.data":
            frames += msg["params"]["frames"]
            continue
        break
    check(msg.get("id") == rid and "result" in msg, "record after a record notification: %s" % msg)
    check(frames == msg["result"]["frames"] == 960, "recorded %d frames, want 960" % frames)


def many_in_one_write(conn):
    """300 requests, good, bad and notifications mixed, in one write: the
    answers come in order, one per request with an id."""
    reqs, want = [], []
    for n in range(300):
        kind = n % 5
        if kind == 0:
            reqs.append(b'{"jsonrpc":"2.0","id":%d,"method":"mute.get"}' % n)
            want.append((n, "result"))
        elif kind == 1:
            reqs.append(b'{"jsonrpc":"2.0","id":%d,"method":"gain.set","params":{"db":99}}' % n)
            want.append((n, "error"))
        elif kind == 2:
            reqs.append(b'{"jsonrpc":"2.0","method":"gain.get"}')
        elif kind == 3:
            reqs.append(b"not json %d" % n)
            want.append((None, "error"))
        else:
            reqs.append(b'{"jsonrpc":"2.0","id":"s%d","method":"status"}' % n)
            want.append(("s%d" % n, "result"))
    conn.send(b"\n".join(reqs) + b"\n")
    got = []
    for _ in want:
        msg = conn.read()
        got.append((msg.get("id"), "result" if "result" in msg else "error"))
    check(got == want, "pipelined answers differ: first difference at %s" %
          next((i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w) if got != want else "")


def closed_by_peer(conn):
    """True when the daemon closed the connection without another line
    (a close with our unread input pending arrives as a reset)."""
    try:
        return conn.file.readline() == b""
    except ConnectionResetError:
        return True


def line_limits(d):
    """A line of exactly 65536 bytes is served; on the control socket one
    client at a time may send a longer one (a whole configuration for
    config.load), up to 8 MiB + 64 KiB; one byte more is an error and the
    connection is closed; half a line then EOF gets its parse error (the
    last line counts without its newline), then the close."""
    body = b'{"jsonrpc":"2.0","id":40,"method":"mute.get"}'
    c = Conn(d.socket)
    c.send(body + b" " * (65536 - len(body)) + b"\n")
    msg = c.read()
    check(msg.get("id") == 40 and "result" in msg, "65536-byte line: %s" % msg)
    c.send(body + b" " * (65537 - len(body)) + b"\n")
    msg = c.read()
    check(msg.get("id") == 40 and "result" in msg, "65537-byte line: %s" % msg)
    large = (8 << 20) + 65536
    c.send(body + b" " * (large - len(body)) + b"\n")
    msg = c.read()
    check(msg.get("id") == 40 and "result" in msg, "%d-byte line: %s" % (large, msg))
    c.send(body + b" " * (large + 1 - len(body)) + b"\n")
    msg = c.read()
    verify(msg, Err(-32600), "65537-byte line")
    check("too long" in msg["error"]["data"]["reason"], "reason: %s" % msg)
    check(closed_by_peer(c), "connection not closed after a too long line")
    c.close()
    # half a line, then EOF: its parse error, then the close; daemon fine
    c = Conn(d.socket)
    c.send(b'{"jsonrpc":"2.0","id":41,"meth')
    c.sock.shutdown(socket.SHUT_WR)
    verify(c.read(), Err(-32700), "an unterminated half line")
    check(closed_by_peer(c), "connection not closed after the last line")
    c.close()
    c = Conn(d.socket)
    c.send(b'{"jsonrpc":"2.0","id":42,"method":"mute.get"}')
    c.close()


# ---- behaviour rows (state, time, files) -------------------------------------------

def levels_semantics(d):
    """window_ms of the first call, since-last-call after that; the master
    is muted so playback is silence while capture carries the counter."""
    meter = Exact({"channel": COUNT, "peak_dbfs": Num(-200, 0), "rms_dbfs": Num(-200, 0),
                   "peak_hold_dbfs": Num(-200, 0), "clipped": Eq(0)})

    def levels_check(res, what):
        # no meter blocks in this pipeline: no taps
        conforms(res, Exact({"capture": [meter], "playback": [meter],
                             "window_ms": Num(0, 11000), "taps": Eq({})}), what)
        for side in ("capture", "playback"):
            check([ch["channel"] for ch in res[side]] == [0, 1], "%s %s channels" % (what, side))
            for ch in res[side]:
                check(ch["rms_dbfs"] <= ch["peak_dbfs"] + 0.01 and ch["peak_hold_dbfs"] >= ch["peak_dbfs"] - 0.01,
                      "%s %s: rms <= peak <= hold violated: %s" % (what, side, ch))

    time.sleep(0.5)   # muted for longer than any window below
    c = Conn(d.socket)
    try:
        first = c.result("levels", {"window_ms": 100})
        second = c.result("levels")
        t0 = time.monotonic()
        time.sleep(0.5)
        third = c.result("levels", {"window_ms": 10})   # window_ms only shapes a first call
        elapsed_ms = 1000 * (time.monotonic() - t0)
        for what, res in (("first", first), ("second", second), ("third", third)):
            levels_check(res, what)
        check(100 <= first["window_ms"] <= 100 + BLOCK_MS + 0.01,
              "first call window_ms %s for 100 asked" % first["window_ms"])
        check(second["window_ms"] <= 2 * BLOCK_MS + 0.01,
              "an immediate second call covers %s ms, want the short gap since the first"
              % second["window_ms"])
        check(abs(third["window_ms"] - elapsed_ms) <= 3 * BLOCK_MS + 30,
              "third call covers %s ms after %.0f ms" % (third["window_ms"], elapsed_ms))
        for ch in first["capture"]:
            check(ch["peak_dbfs"] > -200 and ch["peak_hold_dbfs"] > -200, "capture is silent: %s" % ch)
        for ch in first["playback"] + third["playback"]:
            check(ch["peak_dbfs"] == -200.0 and ch["rms_dbfs"] == -200.0,
                  "muted playback not at the -200 dBFS floor: %s" % ch)
    finally:
        c.close()
    for window, want in ((None, 300), (10, 10), (10000, 10000)):
        c = Conn(d.socket)
        try:
            up_ms = 1000 * c.result("status")["uptime_s"]
            res = c.result("levels", {} if window is None else {"window_ms": window})
            # at most what ran since the start (the engine starts a little
            # after uptime begins), at least the window when that much ran
            low = min(want, up_ms - 250)
            high = min(want, up_ms + 50) + BLOCK_MS
            check(low - 0.01 <= res["window_ms"] <= high + 0.01,
                  "first call with window_ms %s, %.0f ms after the start, covers %s ms"
                  % (window, up_ms, res["window_ms"]))
        finally:
            c.close()


def subscriptions(d, conn):
    """gain notifications name who changed it; levels notifications arrive
    at the interval with a running seq; unsubscribe stops them."""
    watcher = Conn(d.socket)
    try:
        res = watcher.result("subscribe", {"topics": ["gain"]})
        conforms(res, Exact({"topics": Eq(["gain"]), "interval_ms": Eq(100)}), "subscribe gain")
        conn.result("gain.set", {"db": -12})
        note = watcher.read()
        check(note.get("method") == "gain" and "id" not in note, "want a gain notification: %s" % note)
        conforms(note["params"], Exact({"db": Eq(-12.0), "mute": Eq(True), "ramp_ms": Eq(20.0), "max_db": Eq(40.0),
                                        "by": Exact({"pid": Eq(os.getpid()), "uid": Eq(os.getuid())})}),
                 "gain notification")
        conn.result("gain.set", {"db": 0})
        check(watcher.read()["params"]["db"] == 0.0, "second gain notification")
        res = watcher.result("subscribe", {"topics": ["levels"], "interval_ms": 50})
        conforms(res, Exact({"topics": Eq(["levels", "gain"]), "interval_ms": Eq(50)}), "subscribe levels")
        t0 = time.monotonic()
        notes = [watcher.read() for _ in range(6)]
        elapsed = time.monotonic() - t0
        for i, n in enumerate(notes):
            check(n.get("method") == "levels", "want levels notifications: %s" % n)
            check(n["params"]["seq"] == i, "levels seq %s at %d" % (n["params"]["seq"], i))
            check(len(n["params"]["capture"]) == 2 and "window_ms" in n["params"], "levels params %s" % n)
        check(0.2 <= elapsed <= 1.5, "6 levels notifications at 50 ms took %.2f s" % elapsed)
        res = watcher.result("unsubscribe", {"topics": ["levels"]})
        check(res == {"topics": ["gain"]}, "unsubscribe levels: %s" % res)
        watcher.notes.clear()
        time.sleep(0.3)
        res = watcher.result("unsubscribe")
        check(res == {"topics": []}, "unsubscribe all: %s" % res)
        late = [n for n in watcher.notes if n.get("method") == "levels"]
        check(len(late) <= 1, "%d levels notifications after unsubscribe" % len(late))
        conn.result("gain.set", {"db": 0})
        check(watcher.result("mute.get") == {"mute": True}, "unsubscribed client still gets gain")
        check(not [n for n in watcher.notes if n.get("method") == "gain"], "gain after unsubscribe")
    finally:
        watcher.close()


def recording(d, conn):
    """One record at a time per connection; other requests are answered
    meanwhile; the data adds up to the frames asked for."""
    rid = conn.request("record", {"tap": "playback", "seconds": 0.5})
    busy = conn.request("record", {"tap": "capture", "seconds": 0.01})
    other = conn.request("mute.get")
    answers, frames, seqs = {}, 0, []
    while rid not in answers:
        msg = conn.read()
        if msg.get("method") == "record.data":
            p = msg["params"]
            check(p["id"] == rid, "record.data for id %s" % p["id"])
            seqs.append(p["seq"])
            frames += p["frames"]
            continue
        check("id" in msg, "unexpected notification %s" % msg)
        answers[msg["id"]] = msg
    verify(answers[busy], Err(-32000), "second concurrent record")
    check("already" in answers[busy]["error"]["data"]["reason"], "reason %s" % answers[busy])
    check(answers[other].get("result") == {"mute": True}, "request during a record: %s" % answers[other])
    check(list(answers) == [busy, other, rid], "answer order %s" % list(answers))
    verify(answers[rid], Ok(Exact({"tap": Eq("playback"), "rate": Eq(48000), "channels": Eq(2),
                                   "format": Eq("FLOAT_LE"), "frames": Eq(24000),
                                   "overflows": Eq(0), "skipped_frames": Eq(0)})), "record result")
    check(frames == 24000 and seqs == list(range(len(seqs))), "record.data frames %d seqs %s" % (frames, seqs))
    # after it ended, a new one is accepted on the same connection
    msg = conn.call("record", {"tap": "capture", "seconds": 0.01})
    while "id" not in msg:
        msg = conn.read()
    check("result" in msg and msg["result"]["frames"] == 480, "record after record: %s" % msg)
    conn.notes.clear()


ISO_TIME = Pred(lambda s: re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
                                      s or "") is not None, "an ISO 8601 UTC time")


def change_result(changed, cls, sha, path):
    """What a configuration change answers (docs/protocol.md)."""
    return {"changed": Eq(changed), "class": Eq(cls), "path": Eq(path), "sha256": Eq(sha),
            "source": Eq("file"), "edits": Eq(0),
            "generation": Pred(lambda g: isinstance(g, int) and g >= 1, "a generation"),
            "warmup_ms": Pred(lambda v: isinstance(v, (int, float)) and v >= 0, "ms"),
            "crossfade_ms": Pred(lambda v: isinstance(v, (int, float)) and v >= 0, "ms")}


def config_get_and_reload(d, conn, sha):
    """config.get is the file as loaded; reload: unchanged, rejected (all
    errors listed, nothing touched)."""
    res = conn.result("config.get")
    with open(d.config_path) as f:
        on_disk = json.load(f)
    conforms(res, Exact({"path": Eq(os.path.realpath(d.config_path)),
                         "loaded_at": Pred(lambda s: re.fullmatch(
                             r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s or "") is not None,
                             "an ISO 8601 UTC time"),
                         "changed_at": ISO_TIME, "source": Eq("file"), "edits": Eq(0),
                         "generation": Eq(1), "active_generation": Eq(1),
                         "sha256": Eq(sha), "config": Eq(on_disk)}), "config.get")
    res = conn.result("config.reload")
    conforms(res, Exact(change_result(False, "none", sha, os.path.realpath(d.config_path))),
             "unchanged reload")
    with open(d.config_path, "rb") as f:
        original = f.read()
    broken = dict(d.cfg, period_frames="big", bogus=1,
                  capture=dict(d.cfg["capture"], channels=0),
                  volume={"db": 99})
    d.write_config(broken)
    try:
        msg = conn.call("config.reload")
        verify(msg, Err(-32003), "broken reload")
        errors = msg["error"]["data"]["errors"]
        for needle in ("/period_frames", "/bogus", "/capture/channels", "/volume/db"):
            check(any(needle in e for e in errors), "errors do not name %s: %s" % (needle, errors))
        check(msg["error"]["data"].get("running") == {"path": os.path.realpath(d.config_path),
                                                      "sha256": sha},
              "data.running: %s" % msg["error"]["data"])
        msg = conn.call("config.reload", {"path": os.path.join(d.dir, "nonexistent.conf")})
        verify(msg, Err(-32003), "reload of a missing file")
        check(any("nonexistent.conf" in e for e in msg["error"]["data"]["errors"]),
              "missing file not named: %s" % msg)
        st = conn.result("status")
        check(st["state"] == "running" and st["config"]["sha256"] == sha, "status after rejection: %s" % st["config"])
        check(conn.result("config.get")["sha256"] == sha, "config.get sha256 changed by a rejected reload")
        check(conn.result("gain.get")["db"] == 0.0, "gain touched by a rejected reload")
    finally:
        with open(d.config_path, "wb") as f:
            f.write(original)
    check(conn.result("config.reload")["changed"] is False, "restored file reported as changed")


def unknown_params_rows(methods):
    return [(m, {"bogus_param": 1}, Err(-32602, "bogus_param")) for m in sorted(methods)]


def audio_report_clean(rep):
    """No xrun, no altered sample, no lost frame: the only gaps are the
    muted stretches (the checker counts muted frames as missing counter
    frames), one per unmute, together exactly as long as the silence after
    the prefill."""
    pb, cap = rep["playback"], rep["capture"]
    check(pb["mismatches"] == 0, "%d frames altered" % pb["mismatches"])
    check(pb["underruns"] == 0 and cap["overruns"] == 0, "device xruns: %s" % rep)
    check(pb["starts"] == 1 and cap["starts"] == 1, "streams restarted: %s" % rep)
    gaps = pb["gap_list"]
    check(pb["gaps"] == UNMUTES and all(g["missing"] > 0 for g in gaps),
          "%d gaps, want %d (the unmutes): %s" % (pb["gaps"], UNMUTES, gaps))
    prefill = 3 * PERIOD
    check(sum(g["missing"] for g in gaps) == pb["silent_frames"] - prefill,
          "gaps %s do not add up to the %d muted frames"
          % (gaps, pb["silent_frames"] - prefill))
    check(pb["latency_min"] == pb["latency_max"], "latency moved: %s" % pb)


def test_every_method_and_error():
    """All methods, all params and error paths, the torture list, on one
    dspd; it keeps running and the audio has no gap."""
    d = Daemon("methods", period=PERIOD, extra={"pipeline": PIPELINE})
    try:
        good = os.path.join(d.dir, "good.conf")
        bad = os.path.join(d.dir, "bad.conf")
        with open(good, "w") as f:
            json.dump(d.cfg, f)
        with open(bad, "w") as f:
            f.write('{ "rate": 48000, "period_frames": "big",\n'
                    '  "capture": { "channels": 0 }, "bogus": true }\n')
        d.start()
        version = subprocess.run([Paths.dspd, "--version"], capture_output=True,
                                 text=True).stdout.split()[-1]
        sha = file_sha256(d.config_path)
        conn = Conn(d.socket)
        hello = conn.result("hello")
        conforms(hello, Exact({"protocol": Eq(1), "version": Eq(version), "read_only": Eq(False),
                               "methods": [str]}), "hello")
        methods = hello["methods"]
        check(len(set(methods)) == len(methods), "hello lists a method twice: %s" % methods)
        check(set(methods) == documented_methods(),
              "hello %s != docs/protocol.md %s" % (sorted(methods), sorted(documented_methods())))
        run_table(conn, [("hello", {}, Ok({"protocol": Eq(1)})), ("hello", {"x": 1}, Err(-32602, "x"))])
        run_table(conn, engine_rows(d, version, os.path.realpath(d.config_path), sha))
        run_table(conn, GAIN_ROWS)
        run_table(conn, LEVELS_ERROR_ROWS)
        run_table(conn, SUBSCRIBE_ROWS)
        run_table(conn, RECORD_ROWS)
        run_table(conn, UNKNOWN_METHOD_ROWS)
        run_table(conn, unknown_params_rows(methods))
        run_table(conn, config_rows(d, good, bad, os.path.join(d.dir, "missing.conf")))
        levels_semantics(d)
        subscriptions(d, conn)
        recording(d, conn)
        config_get_and_reload(d, conn, sha)
        envelope_and_torture(conn)
        duplicates_and_odd_but_valid(conn)
        notifications_get_no_answer(conn)
        many_in_one_write(conn)
        line_limits(d)
        # everyone else left: stats counts exactly this connection
        time.sleep(0.2)
        check(conn.result("stats")["clients"] == 1, "stats.clients after the others left")
        st = conn.result("status")
        check(st["state"] == "running" and st["xruns"] == {"capture": 0, "playback": 0},
              "after all of it: %s %s" % (st["state"], st["xruns"]))
        conn.result("mute.set", {"mute": False, "ramp_ms": 0})
        time.sleep(0.3)
        conn.close()
        final = d.stop()
        check(final["dropped"] == 0 and final["xruns_capture"] == 0 and final["xruns_playback"] == 0,
              "final counters %s" % final)
        audio_report_clean(d.report())
    finally:
        d.cleanup()


def test_reload_changed_volume():
    """The default-ramp gain rows, then a changed volume.db: changed true, gain.get shows it, config.get has
    the new hash, and "config" subscribers are told."""
    d = Daemon("reload-changed", period=PERIOD)
    try:
        d.start()
        conn = Conn(d.socket)
        run_table(conn, DEFAULT_RAMP_ROWS)
        watcher = Conn(d.socket)
        watcher.result("subscribe", {"topics": ["config"]})
        d.write_config(dict(d.cfg, volume={"db": -3.5}))
        sha = file_sha256(d.config_path)
        res = conn.result("config.reload")
        conforms(res, Exact(change_result(True, "volume", sha, os.path.realpath(d.config_path))),
                 "changed reload")
        check(conn.result("gain.get")["db"] == -3.5, "gain.get after reload")
        check(conn.result("config.get")["sha256"] == sha, "config.get sha256 after reload")
        check(conn.result("status")["state"] in ("starting", "running"), "state after reload")
        note = watcher.read()
        check(note.get("method") == "config" and note["params"]["outcome"] == "applied"
              and note["params"]["class"] == "volume"
              and note["params"]["sha256"] == sha, "config notification: %s" % note)
        # the file on disk and the daemon agree again: unchanged
        check(conn.result("config.reload")["changed"] is False, "second reload changed")
        conn.close()
        watcher.close()
        d.stop()
    finally:
        d.cleanup()


def test_error_text_is_valid_utf8():
    """The protocol is UTF-8 both ways.  Error messages quote what the
    client sent, shortened to a limit: the cut must not split a character.
    Byte sequences that only look like UTF-8 (overlong forms, encoded
    surrogates, code points above U+10FFFF) are parse errors, not text to
    echo."""
    d = Daemon("utf8", period=PERIOD)
    try:
        d.start()
        conn = Conn(d.socket)
        long_name = "\u00e9" * 40          # 80 bytes, over data.field's limit
        for method, params in (("hello", {long_name: 1}),
                               ("a" + "\u00e9" * 60, None),
                               ("subscribe", {"topics": [long_name]})):
            msg = conn.call(method, params)     # read() insists on UTF-8
            check("error" in msg, "%s: %s" % (method[:10], msg))
        for name, seq in (("overlong '/'", b"\xc0\xaf"), ("overlong NUL", b"\xe0\x80\x80"),
                          ("encoded surrogate", b"\xed\xa0\x80"),
                          ("above U+10FFFF", b"\xf4\x90\x80\x80")):
            line = b'{"jsonrpc":"2.0","id":1,"method":"st' + seq + b'atus"}\n'
            msg = raw(conn, line)
            check(msg.get("error", {}).get("code") == -32700,
                  "%s in a request: want -32700, got %s" % (name, msg))
        conn.close()
        d.stop()
    finally:
        d.cleanup()


def test_null_params_are_type_errors():
    """A parameter given as null is a bad request like any other wrong
    type, not a silent "absent" (gain.set {"db": null} must not answer
    success having changed nothing)."""
    d = Daemon("null-params", period=PERIOD)
    try:
        d.start()
        conn = Conn(d.socket)
        run_table(conn, [
            ("gain.set", {"db": None}, Err(-32602, "db")),
            ("gain.set", {"mute": None}, Err(-32602, "mute")),
            ("gain.adjust", {"db": 1, "ramp_ms": None}, Err(-32602, "ramp_ms")),
            ("levels", {"window_ms": None}, Err(-32602, "window_ms")),
            ("subscribe", {"topics": ["gain"], "interval_ms": None}, Err(-32602, "interval_ms")),
        ])
        conn.close()
        d.stop()
    finally:
        d.cleanup()
