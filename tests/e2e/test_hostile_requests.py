"""A hostile client of the control socket (issue 18): edits that would grow
the configuration without bound, path-valued and control.* keys edited
over the socket, files probed through config.validate, and the JSON-RPC 2.0
specification's own examples (section 7) replayed against dspd."""

import json
import os
import signal
import socket
import time

from harness import Daemon, check, rss_kib


class Line:
    """One connection: send raw lines, read the answers line by line."""

    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def send(self, obj_or_bytes):
        data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else \
            json.dumps(obj_or_bytes).encode()
        self.s.sendall(data.rstrip(b"\n") + b"\n")

    def read(self):
        line = self.f.readline()
        check(line, "connection closed")
        return json.loads(line)

    def call(self, method, params=None, rid=1):
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.send(req)
        return self.read()

    def close(self):
        self.s.close()


def error_text(reply):
    err = reply.get("error", {})
    return json.dumps(err)


def played(d):
    return d.ctl("status")["frames"]["played"]


def doubling_ops(n):
    return [{"op": "copy", "from": "", "path": "/z%d" % i} for i in range(n)]


def test_patch_that_doubles_the_document_is_refused_early():
    """Issue 18 item 1: 19 copies of the root doubled the document each
    (4.5 GB, 18 s).  The size is checked after every op: refused at once,
    naming the op, RSS stays small and the audio keeps going."""
    d = Daemon("double")
    try:
        d.start()
        rss0 = rss_kib(d.proc.pid)
        c = Line(d.socket)
        before = played(d)
        t0 = time.monotonic()
        reply = c.call("config.patch", {"ops": doubling_ops(19)})
        took = time.monotonic() - t0
        text = error_text(reply)
        check(reply.get("error", {}).get("code") == -32003, "not rejected: %s" % reply)
        check("op " in text and "would pass" in text, "no op named: %s" % text)
        check(took < 2.0, "answered in %.1f s" % took)
        # the same inside a batch, and a batch whose patches pass 64 ops in all
        batch = {"changes": [{"method": "config.patch", "params": {"ops": doubling_ops(10)}},
                             {"method": "config.patch", "params": {"ops": doubling_ops(10)}}]}
        t0 = time.monotonic()
        reply = c.call("batch", batch, rid=2)
        check(time.monotonic() - t0 < 2.0, "batch answered in %.1f s" % (time.monotonic() - t0))
        check("would pass" in error_text(reply) and "change 2" in error_text(reply),
              "batch of doubling patches: %s" % reply)
        small = [{"op": "add", "path": "/x%d" % i, "value": i} for i in range(40)]
        reply = c.call("batch", {"changes": [
            {"method": "config.patch", "params": {"ops": small}},
            {"method": "config.patch", "params": {"ops": small}}]}, rid=3)
        check("too many operations" in error_text(reply) and "at most 64" in error_text(reply),
              "80 ops in a batch: %s" % reply)
        reply = c.call("config.patch", {"ops": small[:1] * 65}, rid=4)
        check("too many operations" in error_text(reply), "65 ops: %s" % reply)
        rss1 = rss_kib(d.proc.pid)
        check(rss1 - rss0 < 64 * 1024, "RSS grew from %d to %d KiB" % (rss0, rss1))
        time.sleep(0.3)
        check(played(d) > before, "the audio stopped")
        check(c.call("status", rid=5)["result"]["state"] == "running", "daemon hurt")
        c.close()
        counters = d.stop()
        check(counters["xruns_playback"] == 0 and counters["xruns_capture"] == 0,
              "xruns: %s" % counters)
        print("    refused in %.3f s; RSS %d -> %d KiB" % (took, rss0, rss1))
    finally:
        d.cleanup()


def test_files_and_sockets_are_not_editable_over_the_socket():
    """Issue 18 items 2 and 4: state_file (and every key naming a file the
    daemon writes, a socket, or a PCM device) cannot be set over the
    socket; the state file is written through a fresh .tmp that never
    follows a symlink; control.* in a state file is ignored at start."""
    d = Daemon("pathkeys")
    victim = os.path.join(d.dir, "victim")
    state = os.path.join(d.dir, "state.json")
    d.cfg["state_file"] = state
    d.cfg["control"]["max_clients"] = 8
    d.write_config(d.cfg)
    try:
        with open(victim, "w") as f:
            f.write("precious\n")
        # a symlink where the state file's .tmp goes
        os.symlink(victim, state + ".tmp")
        d.start()
        c = Line(d.socket)
        refused = [
            ("/state_file", "add", victim),
            ("/state_file", "add", d.socket),
            ("/fftw_wisdom", "add", victim),
            ("/control/socket", "replace", os.path.join(d.dir, "other.sock")),
            ("/control/monitor_socket", "add", os.path.join(d.dir, "mon.sock")),
            ("/control/group", "add", "nogroup"),
            ("/control/max_clients", "replace", 4096),
            ("/playback/device", "replace", "file:'%s',raw" % victim),
        ]
        for i, (ptr, op, value) in enumerate(refused):
            reply = c.call("config.patch", {"ops": [{"op": op, "path": ptr, "value": value}]},
                           rid=10 + i)
            text = error_text(reply)
            check(reply.get("error", {}).get("code") == -32003 and ptr in text and
                  "cannot be changed over the socket" in text, "%s: %s" % (ptr, reply))
        # nor through a whole configuration, inline or from a file
        cfg = json.loads(json.dumps(d.cfg))
        cfg["state_file"] = victim
        reply = c.call("config.load", {"config": cfg}, rid=30)
        check("/state_file" in error_text(reply), "config.load: %s" % reply)
        other = os.path.join(d.dir, "other.conf")
        with open(other, "w") as f:
            json.dump(cfg, f)
        reply = c.call("config.reload", {"path": other}, rid=31)
        check("/state_file" in error_text(reply), "config.reload PATH: %s" % reply)
        reply = c.call("batch", {"changes": [{"method": "config.patch", "params": {
            "ops": [{"op": "replace", "path": "/control/max_clients", "value": 100}]}}]}, rid=32)
        check("/control/max_clients" in error_text(reply), "batch: %s" % reply)
        # a file of the client's made the current one (config.load PATH),
        # then edited: the next SIGHUP does not take its file-only keys
        mine = os.path.join(d.dir, "mine.conf")
        with open(mine, "w") as f:
            json.dump(d.cfg, f)
        reply = c.call("config.load", {"path": mine}, rid=40)
        check("result" in reply, "config.load of a harmless file: %s" % reply)
        with open(mine, "w") as f:
            json.dump(dict(d.cfg, state_file=victim), f)
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "set only by the file dspd started with" not in d.read_log():
            check(time.monotonic() < deadline, "SIGHUP of the client's file:\n" + d.read_log())
            time.sleep(0.05)
        got = c.call("config.get", rid=41)["result"]["config"]
        check(got.get("state_file") == state, "state_file after SIGHUP: %s" % got.get("state_file"))
        reply = c.call("config.reload", {"path": d.config_path}, rid=42)
        check("result" in reply, "back to the file: %s" % reply)
        # a config.load that leaves these keys out keeps them as they run
        cfg = json.loads(json.dumps(d.cfg))
        del cfg["control"]
        del cfg["state_file"]
        cfg["pipeline"] = [{"type": "gain", "name": "g", "db": -1}]
        reply = c.call("config.load", {"config": cfg}, rid=33)
        check("result" in reply, "config.load without control: %s" % reply)
        reply = c.call("effect.set", {"name": "g", "values": {"db": -2}}, rid=35)
        check("result" in reply, "effect.set: %s" % reply)
        # an accepted edit: the state file is written, not the symlink's target
        reply = c.call("gain.set", {"db": -7}, rid=34)
        check("result" in reply, "gain.set: %s" % reply)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (
                os.path.isfile(state) and not os.path.islink(state)):
            time.sleep(0.05)
        check(os.path.isfile(state), "no state file written")
        with open(victim) as f:
            check(f.read() == "precious\n", "the symlink's target was overwritten")
        check(not os.path.lexists(state + ".tmp"), ".tmp left behind")
        c.close()
        d.stop()                    # the last save
        with open(state) as f:
            saved = json.load(f)
        check("control" not in saved.get("config", {}) and
              "state_file" not in saved.get("config", {}),
              "file-only keys persisted: %s" % saved.get("config", {}).keys())
        check(os.path.isfile(victim), "files touched")
        # a state file from an older dspd that carries control.* and
        # state_file: ignored for those keys, with a log line
        saved["config"]["control"] = {"socket": d.socket, "max_clients": 2}
        saved["config"]["state_file"] = victim
        with open(state, "w") as f:
            json.dump(saved, f)
        d.start()
        st = d.ctl("status")
        check(st["gain"]["db"] == -7, "volume not restored: %s" % st["gain"])
        log = d.read_log()
        check("ignored /control/max_clients, /state_file" in log, "no log line:\n" + log)
        got = d.ctl("call", "config.get")["config"]
        check(got["control"].get("max_clients") == 8 and got["state_file"] == state,
              "restored file-only keys: %s" % got)
        d.stop()
        with open(victim) as f:
            check(f.read() == "precious\n", "victim overwritten after restart")
    finally:
        d.cleanup()


def spec_exchange(c, payload, nothing=False):
    """Send payload (bytes); the answer, or None when there must be none
    (checked by a status call right behind it being the next line)."""
    c.send(payload)
    c.send({"jsonrpc": "2.0", "id": "probe", "method": "hello"})
    first = c.read()
    if nothing:
        check(isinstance(first, dict) and first.get("id") == "probe",
              "%r got an answer: %s" % (payload[:80], first))
        return None
    check(first != {} and not (isinstance(first, dict) and first.get("id") == "probe"),
          "%r got no answer" % payload[:80])
    probe = c.read()
    check(probe.get("id") == "probe", "answer to %r not one line: %s" % (payload[:80], probe))
    return first


def is_error(resp, code, rid=None):
    return (isinstance(resp, dict) and resp.get("jsonrpc") == "2.0" and
            resp.get("error", {}).get("code") == code and resp.get("id") == rid and
            "result" not in resp and isinstance(resp["error"].get("message"), str))


def test_jsonrpc_spec_examples():
    """Every example of the JSON-RPC 2.0 specification's section 7, with
    dspd's methods in place of subtract/sum/get_data: response shapes
    exactly as the specification writes them."""
    d = Daemon("spec")
    try:
        d.start()
        c = Line(d.socket)
        # rpc call with positional parameters: a valid Request, -32602
        r = spec_exchange(c, b'{"jsonrpc": "2.0", "method": "gain.set", "params": [-6], "id": 1}')
        check(is_error(r, -32602, 1) and "by name" in json.dumps(r), "positional: %s" % r)
        # rpc call with named parameters
        r = spec_exchange(c, b'{"jsonrpc": "2.0", "method": "gain.set", "params": {"db": -6}, "id": 3}')
        check(r.get("id") == 3 and r["result"]["db"] == -6, "named: %s" % r)
        # a Notification (with positional params too): no answer
        spec_exchange(c, b'{"jsonrpc": "2.0", "method": "gain.get", "params": [1,2,3,4,5]}',
                      nothing=True)
        spec_exchange(c, b'{"jsonrpc": "2.0", "method": "status"}', nothing=True)
        # rpc call of non-existent method
        r = spec_exchange(c, b'{"jsonrpc": "2.0", "method": "foobar", "id": "1"}')
        check(is_error(r, -32601, "1"), "no method: %s" % r)
        # rpc call with invalid JSON
        r = spec_exchange(c, b'{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')
        check(is_error(r, -32700), "invalid JSON: %s" % r)
        # rpc call with invalid Request object
        r = spec_exchange(c, b'{"jsonrpc": "2.0", "method": 1, "params": "bar"}')
        check(is_error(r, -32600), "invalid Request: %s" % r)
        # rpc call Batch, invalid JSON: one error, not an array
        r = spec_exchange(c, b'[\n  {"jsonrpc": "2.0", "method": "status", "params": {}, "id": "1"},'
                             b'  {"jsonrpc": "2.0", "method"\n]'.replace(b"\n", b" "))
        check(is_error(r, -32700), "batch, invalid JSON: %s" % r)
        # rpc call with an empty Array: one error, not an array
        r = spec_exchange(c, b'[]')
        check(is_error(r, -32600), "empty array: %s" % r)
        # rpc call with an invalid Batch (but not empty)
        r = spec_exchange(c, b'[1]')
        check(isinstance(r, list) and len(r) == 1 and is_error(r[0], -32600), "[1]: %s" % r)
        # rpc call with invalid Batch
        r = spec_exchange(c, b'[1,2,3]')
        check(isinstance(r, list) and len(r) == 3 and all(is_error(x, -32600) for x in r),
              "[1,2,3]: %s" % r)
        # rpc call Batch: five answers for six requests, one a notification
        r = spec_exchange(c, json.dumps([
            {"jsonrpc": "2.0", "method": "gain.get", "params": {}, "id": "1"},
            {"jsonrpc": "2.0", "method": "mute.get"},
            {"jsonrpc": "2.0", "method": "gain.adjust", "params": {"db": 1}, "id": "2"},
            {"foo": "boo"},
            {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
            {"jsonrpc": "2.0", "method": "xruns", "id": "9"}]).encode())
        check(isinstance(r, list) and len(r) == 5, "mixed batch: %s" % r)
        by_id = {x.get("id"): x for x in r}
        check(by_id["1"]["result"]["db"] == -6 and by_id["2"]["result"]["db"] == -5,
              "mixed batch results: %s" % r)
        check(is_error(by_id[None], -32600) and is_error(by_id["5"], -32601, "5") and
              "result" in by_id["9"], "mixed batch errors: %s" % r)
        # rpc call Batch (all notifications): nothing at all
        spec_exchange(c, json.dumps([
            {"jsonrpc": "2.0", "method": "gain.get", "params": {}},
            {"jsonrpc": "2.0", "method": "status"}]).encode(), nothing=True)
        # dspd's limits on batches: 64 requests; record cannot be batched
        r = spec_exchange(c, json.dumps([{"jsonrpc": "2.0", "method": "hello", "id": i}
                                         for i in range(65)]).encode())
        check(is_error(r, -32600) and "at most 64" in json.dumps(r), "65 requests: %s" % r)
        r = spec_exchange(c, json.dumps([{"jsonrpc": "2.0", "method": "hello", "id": i}
                                         for i in range(64)]).encode())
        check(isinstance(r, list) and [x["id"] for x in r] == list(range(64)), "64 requests")
        r = spec_exchange(c, json.dumps([{"jsonrpc": "2.0", "method": "record", "id": 1,
                                          "params": {"tap": "capture", "seconds": 0.1}}]).encode())
        check(isinstance(r, list) and is_error(r[0], -32600, 1), "record in a batch: %s" % r)
        # the "batch" method still works, inside a batch too
        r = spec_exchange(c, json.dumps([{"jsonrpc": "2.0", "method": "batch", "id": 7, "params": {
            "changes": [{"method": "config.patch", "params": {"ops": [
                {"op": "add", "path": "/pipeline", "value": [{"type": "gain", "name": "b", "db": -1}]}]}}]}}]).encode())
        check(isinstance(r, list) and r[0].get("result", {}).get("changed") is True,
              "batch method in a batch: %s" % r)
        # ids: out of the exact range or not integers: -32600 with id null
        for raw in (b'100000000000000000000000000000', b'1e29', b'1.5', b'9223372036854775808',
                    b'-9223372036854775808', b'-100000000000000000000000000000'):
            r = spec_exchange(c, b'{"jsonrpc": "2.0", "method": "hello", "id": ' + raw + b'}')
            check(is_error(r, -32600) and "id" in json.dumps(r), "id %s: %s" % (raw, r))
        r = spec_exchange(c, b'{"jsonrpc": "2.0", "method": "hello", "id": 9223372036854775807}')
        check(r.get("id") == 9223372036854775807 and "result" in r, "largest id: %s" % r)
        c.close()
        check(d.ctl("status")["state"] == "running", "daemon hurt")
        d.stop()
    finally:
        d.cleanup()


def test_config_validate_probes_nothing_and_agrees():
    """Issue 18 items 9 and 10: config.validate of a file the client could
    not read itself answers one generic error (no first byte, no size, not
    even whether it exists), on config.load and config.reload too; the
    monitor socket refuses paths; "text" is validated as documented; both
    sockets give the same verdict (a missing FIR is invalid on both)."""
    from test_permissions import NOBODY, audio_gid, monitored_daemon, probe, skip_reason
    reason = skip_reason()
    if reason:
        return reason
    gid = audio_gid()
    d = monitored_daemon("validate")
    try:
        secret = os.path.join(d.dir, "secret.conf")
        with open(secret, "w") as f:
            f.write('{"rate": 44100, "token": "hunter2"}\n')
        os.chmod(secret, 0o600)
        mine = os.path.join(d.dir, "mine.conf")
        with open(mine, "w") as f:
            f.write('{"rate": 44100,\n "bogus": 1}\n')
        os.chmod(mine, 0o644)
        d.start()
        shadow = "/etc/shadow" if os.path.exists("/etc/shadow") else secret
        probes = [shadow, secret, os.path.join(d.dir, "missing.conf"),
                  os.path.join(d.dir, "missing", "x.conf")]
        r = probe(d.socket, [("config.validate", {"path": p}) for p in probes] +
                  [("config.load", {"path": shadow}), ("config.reload", {"path": secret}),
                   ("config.validate", {"path": mine})],
                  uid=NOBODY, groups=[gid])
        check(r["connect"] == "ok", "member of audio on the control socket: %s" % r)
        answers = r["answers"]
        for p, a in zip(probes, answers):
            check(a.get("result") == {"valid": False,
                                      "errors": ["cannot read a config at %s" % p]},
                  "validate %s as uid %d: %s" % (p, NOBODY, a))
        for p, a in zip((shadow, secret), answers[len(probes):len(probes) + 2]):
            errs = a.get("error", {}).get("data", {}).get("errors")
            check(a.get("error", {}).get("code") == -32003 and
                  errs == ["cannot read a config at %s" % p], "load/reload %s: %s" % (p, a))
        own = answers[-1]["result"]
        check(not own["valid"] and "bogus" in json.dumps(own), "own file: %s" % own)
        # the monitor socket: no paths at all
        r = probe(d.monitor, [("config.validate", {"path": mine})])
        check(r["answers"][0].get("error", {}).get("code") == -32001, "monitor path: %s" % r)
        # text, as documented, on both sockets
        text = '// a comment\n{"rate": 48000,\n "periods": 1}\n'
        cfg = json.loads(json.dumps(d.cfg))
        cfg["pipeline"] = [{"type": "fir", "name": "room",
                            "path": os.path.join(d.dir, "no-such-ir.wav")}]
        for sock in (d.socket, d.monitor):
            c = Line(sock)
            a = c.call("config.validate", {"text": text})["result"]
            check(not a["valid"] and "/periods" in json.dumps(a), "text on %s: %s" % (sock, a))
            a = c.call("config.validate", {"text": '// c\n{"rate": 48000\n "periods": 4}'},
                       rid=4)["result"]
            check(not a["valid"] and "inline:3:2:" in json.dumps(a), "syntax on %s: %s" % (sock, a))
            a = c.call("config.validate", {"text": json.dumps(d.cfg)}, rid=2)["result"]
            check(a == {"valid": True}, "valid text on %s: %s" % (sock, a))
            a = c.call("config.validate", {"config": cfg}, rid=3)["result"]
            check(not a["valid"] and "no-such-ir.wav" in json.dumps(a),
                  "missing FIR on %s: %s" % (sock, a))
            c.close()
        d.stop()
    finally:
        d.cleanup()


def test_config_load_stdin_takes_4_mib():
    """`dspctl config load -` was limited to 64 KiB (the line limit): a
    configuration of up to 4 MiB (the daemon's limit) now loads through
    standard input, one byte more is refused naming the limit."""
    import hashlib
    import subprocess
    from harness import Paths
    d = Daemon("bigload")
    try:
        d.start()
        body = json.dumps(dict(d.cfg, pipeline=[{"type": "gain", "name": "big", "db": -3}]),
                          indent=1)
        for size in (200 * 1024, 4 << 20):
            # a comment full of quotes and newlines: twice its size as JSON
            pad = 'x"\\' * 20 + "\n"
            text = ""
            lines = []
            n = 0
            while n < size - len(body) - 200:
                lines.append("// " + pad)
                n += len(lines[-1])
            text = "".join(lines) + body
            text += " " * (size - len(text.encode()))
            check(len(text.encode()) == size, "built %d bytes" % len(text.encode()))
            t0 = time.monotonic()
            p = subprocess.run([Paths.dspctl, "--socket", d.socket, "config", "load", "-"],
                               input=text, capture_output=True, text=True, timeout=60)
            check(p.returncode == 0, "config load - of %d bytes: %s%s" % (size, p.stdout, p.stderr))
            st = d.ctl("status")
            check(st["config"]["sha256"] == hashlib.sha256(text.encode()).hexdigest() and
                  st["config"]["source"] == "inline", "identity after %d bytes: %s" % (size, st["config"]))
            print("    %d bytes loaded through stdin in %.2f s" % (size, time.monotonic() - t0))
        p = subprocess.run([Paths.dspctl, "--socket", d.socket, "config", "load", "-"],
                           input=text + " ", capture_output=True, text=True, timeout=60)
        check(p.returncode != 0 and "4 MiB" in p.stderr, "4 MiB + 1: %s" % p.stderr)
        check(d.ctl("status")["state"] == "running", "daemon hurt")
        d.stop()
    finally:
        d.cleanup()
