"""test_filters.py - FIR blocks as a hostile client meets them (issue 18):
IR paths naming FIFOs, IR files outside the allowed directories, the
filter budget (limits.*) reported in status.limits.filters, relative IR
paths, and a start whose state file names a FIFO."""

import array
import json
import os
import signal
import subprocess
import tempfile
import time

from harness import Daemon, Failure, Paths, check, rss_kib
from test_methods import Conn


def write_f32(path, values):
    with open(path, "wb") as f:
        array.array("f", values).tofile(f)


def fir(name, path, **extra):
    b = {"type": "fir", "name": name, "path": path, "format": "f32le"}
    b.update(extra)
    return b


def errors_of(msg):
    """Every error text of a refused change or an invalid validate."""
    if "error" in msg:
        data = msg["error"].get("data") or {}
        return " | ".join(data.get("errors", [])) + " " + msg["error"].get("message", "")
    return " | ".join(msg["result"].get("errors", []))


def timed_call(conn, method, params, limit_s):
    t0 = time.monotonic()
    msg = conn.call(method, params)
    dt = time.monotonic() - t0
    check(dt < limit_s, "%s took %.2f s (limit %.1f s)" % (method, dt, limit_s))
    return msg, dt


def test_fir_path_naming_a_fifo_answers_at_once():
    """A FIR "path" naming a FIFO, through effect.add and config.validate
    (a single path, "{rate}" and a map): each answers within 1 s with "not
    a regular file", status answers after each, SIGTERM still stops dspd.
    Before: open() blocked the control thread until a writer came."""
    d = Daemon("fir-fifo")
    fifos = [os.path.join(d.dir, n) for n in ("ir.fifo", "ir-48000.fifo")]
    try:
        d.start()
        for f in fifos:
            os.mkfifo(f)
        conn = Conn(d.socket, timeout=5)
        try:
            blocks = [fir("f1", fifos[0]), fir("f2", os.path.join(d.dir, "ir-{rate}.fifo")),
                      fir("f3", {"48000": fifos[0]}), {"type": "fir", "name": "f4", "path": fifos[0]}]
            for b in blocks:
                msg, dt = timed_call(conn, "effect.add", {"block": b}, 1.0)
                check("error" in msg and "not a regular file" in errors_of(msg),
                      "effect.add %s: %s" % (b["path"], msg))
                print("    effect.add %-40s refused in %.0f ms" % (json.dumps(b["path"])[-40:], dt * 1000))
                check(d.ctl("status", timeout=2)["state"] == "running", "status after effect.add")
            inline = json.loads(json.dumps(d.cfg))
            inline["pipeline"] = [fir("f1", fifos[0])]
            msg, dt = timed_call(conn, "config.validate", {"config": inline}, 1.0)
            check(msg["result"]["valid"] is False and "not a regular file" in errors_of(msg),
                  "config.validate: %s" % msg)
            check(d.ctl("status", timeout=2)["state"] == "running", "status after validate")
        finally:
            for f in fifos:      # release a blocked daemon so that it can stop
                try:
                    os.close(os.open(f, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:
                    pass
            conn.close()
        d.stop(timeout=5)
    finally:
        d.cleanup()


def test_start_with_state_file_naming_a_fifo():
    """Runtime edits saved in the state file name an IR file that has
    become a FIFO: the next start must not hang before its socket exists;
    it starts from the file and says why."""
    d = Daemon("fir-fifo-state")
    try:
        ir = os.path.join(d.dir, "room.f32")
        write_f32(ir, [1.0] + [0.0] * 255)
        d.cfg["state_file"] = os.path.join(d.dir, "state.json")
        d.write_config(d.cfg)
        d.start()
        d.ctl("status")
        conn = Conn(d.socket)
        check("result" in conn.call("effect.add", {"block": fir("room", ir)}), "effect.add")
        conn.close()
        d.stop()
        os.unlink(ir)
        os.mkfifo(ir)
        t0 = time.monotonic()
        try:
            d.start()
        finally:
            try:
                os.close(os.open(ir, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        print("    ready %.2f s after start" % (time.monotonic() - t0))
        check(time.monotonic() - t0 < 10, "start took too long")
        log = d.read_log()
        check("not a regular file" in log and "no longer valid" in log,
              "no word about the FIFO:\n" + log)
        check([b["name"] for b in d.ctl("pipeline")["blocks"]] == [], "edits with a FIFO applied")
        d.stop()
    finally:
        d.cleanup()


def test_ir_files_outside_the_allowed_directories_are_refused():
    """IR files named over the socket must lie under control.ir_dirs
    (default: the config's directory, /etc/dspd, /var/lib/dspd): /etc/shadow
    as a raw f32le IR, a missing file next to it, "../" and a symbolic link
    out of the config's directory are refused with one generic message (no
    size, no existence); a file in the directory, also given relative, is
    accepted; an IR the config file itself names elsewhere stays usable;
    control.ir_dirs and limits cannot be widened over the socket."""
    outside = tempfile.mkdtemp(prefix="dspd-e2e-outside-")
    d = Daemon("ir-dirs")
    try:
        trusted = os.path.join(outside, "trusted.f32")
        write_f32(trusted, [0.5] + [0.0] * 63)
        secret = os.path.join(outside, "secret.f32")
        write_f32(secret, [0.25] * 64)
        mine = os.path.join(d.dir, "mine.f32")
        write_f32(mine, [1.0] + [0.0] * 63)
        os.symlink(secret, os.path.join(d.dir, "link.f32"))
        d.cfg["pipeline"] = [fir("admin", trusted), {"type": "gain", "name": "g", "db": 0}]
        d.write_config(d.cfg)
        d.start()
        conn = Conn(d.socket)
        try:
            texts = {}
            for path in ("/etc/shadow", "/etc/no-such-file", secret,
                         os.path.join(d.dir, "..", os.path.basename(outside), "secret.f32"),
                         os.path.join(d.dir, "link.f32")):
                msg = conn.call("effect.add", {"block": fir("x", path)})
                check("error" in msg, "effect.add %s accepted: %s" % (path, msg))
                text = errors_of(msg)
                check("not in a directory allowed over the socket" in text,
                      "%s: %s" % (path, text))
                check("bytes" not in text and "taps" not in text and "No such" not in text,
                      "%s: the refusal tells about the file: %s" % (path, text))
                texts[path] = text.replace(path, "PATH")
            check(texts["/etc/shadow"] == texts["/etc/no-such-file"],
                  "existing and missing files told apart: %s" % texts)
            inline = json.loads(json.dumps(d.cfg))
            inline["pipeline"] = [fir("x", "/etc/shadow")]
            msg = conn.call("config.validate", {"config": inline})
            check(msg["result"]["valid"] is False and
                  "not in a directory allowed over the socket" in errors_of(msg),
                  "config.validate /etc/shadow: %s" % msg)
            check("result" in conn.call("effect.add", {"block": fir("mine", mine)}), "own dir")
            check("result" in conn.call("effect.add", {"block": fir("rel", "mine.f32")}),
                  "relative path in the config's directory")
            # an edit of another block rebuilds the admin's FIR: still allowed
            check("result" in conn.call("effect.set", {"name": "g", "values": {"db": -1}}),
                  "edit next to the file's own IR")
            wide = json.loads(json.dumps(d.cfg))
            wide["control"]["ir_dirs"] = ["/"]
            wide["pipeline"] = [fir("x", secret)]
            msg = conn.call("config.load", {"config": wide})
            check("error" in msg, "config.load widening ir_dirs accepted: %s" % msg)
            wide = json.loads(json.dumps(d.cfg))
            wide["limits"] = {"max_taps_total": 1 << 28}
            msg = conn.call("config.load", {"config": wide})
            check("error" in msg and "/limits" in errors_of(msg),
                  "config.load raising limits accepted: %s" % msg)
        finally:
            conn.close()
        check(d.ctl("status")["state"] == "running", "daemon hurt")
        d.stop()
    finally:
        d.cleanup()
        for n in os.listdir(outside):
            os.unlink(os.path.join(outside, n))
        os.rmdir(outside)


def sparse_f32(path, taps):
    """A raw IR of taps zeros that takes no disk: only its size is read
    before the budget refuses it."""
    with open(path, "wb") as f:
        f.truncate(taps * 4)


def test_filter_budget_refuses_before_allocating():
    """The issue's repro: a batch of three effect.add FIR blocks of 16M
    taps each.  Before: 2 GB RSS, 7 s on the control thread, xruns.  Now
    the budget (limits.*, from the file header) refuses the batch at once,
    naming the block and the numbers; RSS does not move; status.limits.
    filters shows the budget; blocks within it are accepted and counted."""
    d = Daemon("fir-budget", period=1024)
    try:
        big = os.path.join(d.dir, "big.f32")
        sparse_f32(big, 1 << 24)
        small = os.path.join(d.dir, "small.f32")
        write_f32(small, [1.0] + [0.0] * 4095)
        d.start()
        before = d.ctl("status")["limits"]["filters"]
        check(before["taps_in_use"] == 0 and before["taps_budget"] == 1 << 23 and
              before["memory_budget"] == 256 << 20, "defaults: %s" % before)
        rss0 = rss_kib(d.proc.pid)
        conn = Conn(d.socket, timeout=10)
        try:
            batch = [{"method": "effect.add", "params": {"block": fir("big%d" % i, big, max_taps=1 << 24)}}
                     for i in range(3)]
            msg, dt = timed_call(conn, "batch", {"changes": batch}, 2.0)
            text = json.dumps(msg)
            print("    batch of 3 x 16M taps answered in %.0f ms" % (dt * 1000))
            check("limits.max_taps_total" in text and "big0" in text and "16777216" in text,
                  "refusal does not name the block and the numbers: %s" % text[:600])
            for i in range(2):
                msg = conn.call("effect.add", {"block": fir("s%d" % i, small)})
                check("result" in msg, "small FIR %d refused: %s" % (i, msg))
        finally:
            conn.close()
        rss1 = rss_kib(d.proc.pid)
        print("    RSS %d -> %d KiB" % (rss0, rss1))
        # (a sanitizer's shadow memory and quarantine make RSS meaningless)
        check(Paths.quick or rss1 - rss0 < 64 * 1024, "RSS grew by %d KiB" % (rss1 - rss0))
        now = d.ctl("status")["limits"]["filters"]
        check(now["taps_in_use"] == 2 * 4096 * 2, "taps in use %s" % now)
        check(0 < now["memory_bytes"] < now["memory_budget"], "memory %s" % now)
        counters = d.stop()
        check(counters["xruns_capture"] == 0 and counters["xruns_playback"] == 0,
              "xruns %s" % counters)
    finally:
        d.cleanup()


def test_filter_memory_budget_from_the_file():
    """limits.filter_memory_mb of the file: a FIR that needs more is
    refused with its MiB, in the file (--check-config) as over the socket."""
    d = Daemon("fir-memory")
    try:
        ir = os.path.join(d.dir, "ir.f32")
        write_f32(ir, [1.0] + [0.0] * 262143)
        d.cfg["limits"] = {"filter_memory_mb": 1}
        d.cfg["pipeline"] = [fir("room", ir, partition=1024)]
        d.write_config(d.cfg)
        p = subprocess.run([d.command()[0], "--check-config", "-c", d.config_path],
                           capture_output=True, text=True)
        check(p.returncode != 0 and "limits.filter_memory_mb 1" in p.stderr and
              "\"room\"" in p.stderr and "MiB" in p.stderr, "check-config: %s" % p.stderr)
        d.cfg["pipeline"] = []
        d.write_config(d.cfg)
        d.start()
        conn = Conn(d.socket)
        msg = conn.call("effect.add", {"block": fir("room", ir, partition=1024)})
        conn.close()
        check("error" in msg and "limits.filter_memory_mb 1" in errors_of(msg), "%s" % msg)
        check(d.ctl("status")["limits"]["filters"]["memory_budget"] == 1 << 20, "budget shown")
        d.stop()
    finally:
        d.cleanup()


def test_check_config_reports_every_failing_block():
    """--check-config with errors in three blocks (a missing IR file, a
    biquad and a peq band above Nyquist) prints all three, each with its
    JSON pointer, and exits non-zero.  Before: only the first."""
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "three.conf")
        with open(conf, "w") as f:
            json.dump({
                "capture": {"device": "null", "channels": 2},
                "playback": {"device": "null", "channels": 2},
                "pipeline": [
                    {"type": "biquad", "name": "hp", "kind": "highpass", "freq": 30000, "q": 0.7},
                    {"type": "fir", "name": "room", "path": "missing.wav"},
                    {"type": "gain", "name": "fine", "db": -1},
                    {"type": "peq", "name": "eq", "bands": [
                        {"kind": "peaking", "freq": 40000, "q": 1, "gain_db": 3}]}]}, f)
        p = subprocess.run([Paths.dspd, "--check-config", "-c", conf],
                           capture_output=True, text=True)
        print("    " + p.stderr.strip().replace("\n", "\n    "))
        check(p.returncode != 0, "exit 0")
        for ptr, what in (("/pipeline/0:", "hp"), ("/pipeline/1/path:", "missing.wav"),
                          ("/pipeline/3:", "eq")):
            check(any(ptr in l and what in l for l in p.stderr.splitlines()),
                  "no %s error naming %s:\n%s" % (ptr, what, p.stderr))
        check("/pipeline/2" not in p.stderr, "the good block reported")


def test_fftw_wisdom_written_at_exit_and_by_render():
    """fftw_wisdom is written when dspd exits, even within 5 s of its
    start, and by --render, which reads it on the next run.  Before: only
    the 5 s tick wrote it, so --render planned again on every run."""
    with tempfile.TemporaryDirectory() as tmp:
        ir = os.path.join(tmp, "ir.f32")
        write_f32(ir, [1.0] + [0.0] * 8191)
        wisdom = os.path.join(tmp, "wisdom")
        conf = os.path.join(tmp, "render.conf")
        with open(conf, "w") as f:
            json.dump({"rate": 48000, "period_frames": 1024,
                       "capture": {"device": "null", "channels": 2, "format": "FLOAT_LE"},
                       "playback": {"device": "null", "channels": 2, "format": "FLOAT_LE"},
                       "fftw_wisdom": wisdom,
                       "pipeline": [fir("room", "ir.f32", partition=1024)]}, f)
        src = array.array("f", [0.0] * 2 * 48000).tobytes()
        p = subprocess.run([Paths.dspd, "-c", conf, "--render", "-", "-"], input=src,
                           capture_output=True)
        check(p.returncode == 0, "render: %s" % p.stderr.decode())
        check(len(p.stdout) == len(src), "render output %d bytes" % len(p.stdout))
        check(os.path.exists(wisdom) and os.path.getsize(wisdom) > 0, "--render wrote no wisdom")
    d = Daemon("wisdom-exit")
    try:
        ir = os.path.join(d.dir, "ir.f32")
        write_f32(ir, [1.0] + [0.0] * 8191)
        wisdom = os.path.join(d.dir, "wisdom")
        d.cfg["fftw_wisdom"] = wisdom
        d.cfg["pipeline"] = [fir("room", "ir.f32", partition=2048)]
        d.write_config(d.cfg)
        d.start()
        t0 = time.monotonic()
        time.sleep(0.1)     # the first tick's save has run
        before = open(wisdom).read() if os.path.exists(wisdom) else ""
        conn = Conn(d.socket)
        check("result" in conn.call("effect.add", {"block": fir("new", "ir.f32", partition=512)}),
              "effect.add")     # plans of a new size
        conn.close()
        d.stop()
        check(time.monotonic() - t0 < 4.5, "too slow to prove the exit save")
        after = open(wisdom).read() if os.path.exists(wisdom) else ""
        check(after and after != before, "the plans measured before the exit were not saved")
    finally:
        d.cleanup()


def test_large_filter_built_off_the_event_loop():
    """effect.add of a 2M-tap FIR (no FFTW wisdom: every plan measured):
    while it is loaded, planned and transformed, status on another
    connection answers within 100 ms each time, another change is refused
    as busy, and the audio goes on with 0 xruns.  The effect.add answer
    comes when the build is done, and the filter then runs.  Before, the
    build ran on the event loop and every other request waited for it."""
    d = Daemon("fir-offloop", period=1024, periods=4)
    try:
        ir = os.path.join(d.dir, "long.f32")
        taps = 1 << 21
        a = array.array("f", [0.0]) * taps
        a[0] = 1.0
        with open(ir, "wb") as f:
            a.tofile(f)
        d.start()
        frames0 = d.ctl("status")["frames"]["played"]
        adder, watcher = Conn(d.socket, timeout=60), Conn(d.socket, timeout=5)
        try:
            t0 = time.monotonic()
            rid = adder.request("effect.add", {"block": fir("long", ir, max_taps=taps, partition=256)})
            latencies, busy = [], None
            adder.sock.setblocking(False)
            answer = None
            while answer is None and time.monotonic() - t0 < 60:
                t = time.monotonic()
                watcher.result("status", None)
                latencies.append(time.monotonic() - t)
                if busy is None:
                    busy = watcher.call("effect.add", {"block": {"type": "gain", "name": "g2"}})
                try:
                    adder.sock.setblocking(False)
                    line = adder.file.readline()
                    if line:
                        answer = json.loads(line)
                except (BlockingIOError, TypeError):
                    pass
                finally:
                    adder.sock.setblocking(True)
                time.sleep(0.01)
            built = time.monotonic() - t0
        finally:
            adder.close()
            watcher.close()
        check(answer is not None and answer.get("id") == rid and "result" in answer,
              "effect.add answer: %s" % answer)
        worst = max(latencies)
        print("    build %.0f ms; %d status calls meanwhile, worst %.1f ms"
              % (built * 1000, len(latencies), worst * 1000))
        check(worst < (0.5 if Paths.quick else 0.1),
              "status took %.0f ms during the build" % (worst * 1000))
        check(len(latencies) >= 3, "the build took too little time to prove anything")
        check(busy is not None and "error" in busy and "busy" in errors_of(busy),
              "a change during the build: %s" % busy)
        st = d.ctl("status")
        check(st["limits"]["filters"]["taps_in_use"] == taps * 2, "filters %s" % st["limits"])
        check(st["frames"]["played"] > frames0, "audio did not advance")
        check("long" in [b["name"] for b in d.ctl("pipeline")["blocks"]], "block not running")
        counters = d.stop()
        print("    xruns %d/%d" % (counters["xruns_capture"], counters["xruns_playback"]))
        # a sanitizer build runs the 2M-tap convolution itself several
        # times slower: there the point is the race check, not the timing
        check(Paths.quick or (counters["xruns_capture"] == 0 and counters["xruns_playback"] == 0),
              "xruns %s" % counters)
    finally:
        d.cleanup()


def test_large_filter_inside_a_batch_array_is_refused():
    """A JSON-RPC batch array is answered by one array: a change whose
    filters are built off the event loop (answered later, on its own) cannot
    be in it, so it is refused with a reason while the other elements run;
    sent alone, the same change is applied."""
    d = Daemon("fir-batch-array")
    try:
        ir = os.path.join(d.dir, "big.f32")
        write_f32(ir, [1.0] + [0.0] * 32767)
        d.start()
        conn = Conn(d.socket, timeout=30)
        try:
            batch = [{"jsonrpc": "2.0", "id": 1, "method": "effect.add",
                      "params": {"block": fir("big", ir, max_taps=32768)}},
                     {"jsonrpc": "2.0", "id": 2, "method": "status"}]
            conn.send(json.dumps(batch).encode() + b"\n")
            answers = json.loads(conn.file.readline())
            check(isinstance(answers, list) and len(answers) == 2,
                  "one array of two answers: %s" % str(answers)[:300])
            by_id = {a.get("id"): a for a in answers}
            check("error" in by_id[1] and "alone" in errors_of(by_id[1]),
                  "large effect.add in a batch array: %s" % by_id[1])
            check("result" in by_id[2], "status in the same array: %s" % by_id[2])
            check("big" not in [b["name"] for b in d.ctl("pipeline")["blocks"]],
                  "the refused block runs")
            msg = conn.call("effect.add", {"block": fir("big", ir, max_taps=32768)})
            check("result" in msg, "the same change alone: %s" % msg)
            check("big" in [b["name"] for b in d.ctl("pipeline")["blocks"]],
                  "the block added alone does not run")
        finally:
            conn.close()
    finally:
        d.stop()
