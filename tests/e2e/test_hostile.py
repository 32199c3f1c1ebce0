"""dspd against hostile local clients (issue 18): every abuse the review
found, replayed, and what must hold instead.

- test_hostile_memory_budget: the worst mix of requests found against the
  control sockets at once (ATTACKS below: recorders and level subscribers
  that never read, half-sent maximal lines, pipelined requests whose
  answers are never read, maximal complete lines) while well-behaved
  clients (a recorder, level readers, status pollers) go on.  dspd's
  resident memory stays under the bound status.limits states, the audio
  runs on with no xrun, and the well-behaved clients notice nothing.
  config.patch ops that double the document, a batch of FIR blocks over
  the taps budget, and large config.load lines never finished, on the
  control socket.  More attacks are added to ATTACKS: a function
  attack(siege) that opens its connections through the Siege.
- the smaller tests: a slow `record` reader gets counted gaps, `record` is
  refused on the monitor socket unless configured, connections per uid,
  the descriptor limit (a clamp, and accept() failing with EMFILE), a
  client that half-closes, an unterminated last line.

Time: about a minute (--quick: about half)."""

import json
import os
import resource
import selectors
import socket
import subprocess
import time

from harness import Daemon, Failure, Paths, check, raw_request, rss_kib
from test_subscriptions import RpcClient, start_daemon

RECORD = b'{"jsonrpc":"2.0","id":1,"method":"record","params":{"tap":"capture","seconds":60}}\n'
LEVELS_10MS = (b'{"jsonrpc":"2.0","id":1,"method":"subscribe",'
               b'"params":{"topics":["levels"],"interval_ms":10}}\n')
STATUS = b'{"jsonrpc":"2.0","id":%d,"method":"status"}\n'


def tsan(pid):
    """True under ThreadSanitizer."""
    with open("/proc/%d/maps" % pid) as f:
        return "libtsan" in f.read()


def sanitized(pid):
    """True under ASan/TSan: their allocators keep freed memory, so RSS says
    nothing about dspd's own buffers."""
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read()
    return "libasan" in maps or "libtsan" in maps


def proc_status(pid, key):
    """A "kB" field of /proc/PID/status (VmRSS, VmHWM), in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise Failure("no %s for pid %d" % (key, pid))


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_bytes(d):
    return os.path.getsize(d.stderr_path)


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))


def hostile_daemon(name, **control):
    """A daemon with a monitor socket; control.* keys as given."""
    d = Daemon(name, period=1024, periods=6)
    d.monitor = os.path.join(d.dir, "monitor.sock")
    d.cfg["control"].update({"monitor_socket": d.monitor})
    d.cfg["control"].update(control)
    d.write_config(d.cfg)
    return d


def status(path, timeout=5.0):
    msg = raw_request(path, STATUS % 1, timeout=timeout)
    check(msg and "result" in msg[0], "status on %s: %s" % (path, msg))
    return msg[0]["result"]


def wait_status(path, timeout=10.0):
    """status once the daemon answers again (it may be pausing accept)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return status(path)
        except (OSError, Failure, ValueError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# ---- the siege: attacks and well-behaved clients at once ----

class Siege:
    """The hostile connections of one test (kept open until close())."""

    def __init__(self, d):
        self.d = d
        self.socks = []
        self.tsan = False           # set once the daemon runs (tsan())

    def hog(self, path, payload=b"", rcvbuf=4096):
        """A connection that sends payload and never reads (a small receive
        buffer, so that what it is sent piles up in dspd, not the kernel)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.connect(path)     # blocking: waits for dspd to accept (backlog 64)
        s.settimeout(0.5)   # dspd may stop reading it: that is allowed
        if payload:
            try:
                s.sendall(payload)
            except OSError:
                pass        # closed by dspd already: that is allowed
        self.socks.append(s)
        return s

    def scale(self, n, least=10):
        """n attackers, or a third (at least least) for a sanitizer build,
        whose daemon runs several times slower; a tenth under TSan (an
        order of magnitude slower still), at least one."""
        if self.tsan:
            return max(1, n // 10)
        return max(least, n // 3) if Paths.quick else n

    def close(self):
        for s in self.socks:
            s.close()
        self.socks = []


def attack_recorders(siege):
    """`record` 60 s of the capture, never read (the review: 1000 of them
    reached 993 MB, locked)."""
    for _ in range(siege.scale(300)):
        siege.hog(siege.d.monitor, RECORD)


def attack_level_subscribers(siege):
    """levels every 10 ms, never read."""
    for _ in range(siege.scale(100)):
        siege.hog(siege.d.monitor, LEVELS_10MS)


def attack_half_lines(siege):
    """A line just under the limit, never finished."""
    for _ in range(siege.scale(100)):
        siege.hog(siege.d.monitor, b'{"jsonrpc":"2.0","id":1,"method":"status","x":"'
                  + b"a" * 65400)


def attack_unread_answers(siege):
    """Pipelined requests whose answers are never read."""
    burst = b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"config.get"}\n' % i for i in range(300))
    for _ in range(siege.scale(100)):
        siege.hog(siege.d.monitor, burst)


def attack_maximal_lines(siege):
    """Complete lines of the maximal length, answered with an error."""
    line = b'{"jsonrpc":"2.0","id":1,"method":"status","params":{"x":"' + b"b" * 65400 + b'"}}\n'
    for _ in range(siege.scale(20)):
        siege.hog(siege.d.monitor, line * 8)


def attack_doubling_patches(siege):
    """config.patch copying the root onto itself 19 times (the review: 4.5 GB
    and an 18 s stall), pipelined: refused at the op that would pass the
    size limit, each time."""
    ops = [{"op": "copy", "from": "", "path": "/z%d" % i} for i in range(19)]
    req = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "config.patch",
                      "params": {"ops": ops}}).encode() + b"\n"
    for _ in range(siege.scale(10, least=2)):
        siege.hog(siege.d.socket, req * 3)


def attack_filter_taps(siege):
    """A batch of three 16M-tap FIR blocks (the review: 2 GB, a 7 s stall,
    continuous xruns): refused from the file's size before any allocation.
    The IR is a sparse file: 64 MiB long, nothing on disk."""
    ir = os.path.join(siege.d.dir, "huge.f32")
    with open(ir, "wb") as f:
        f.truncate(4 << 24)
    blocks = [{"method": "effect.add", "params": {"block": {
        "type": "fir", "name": "huge%d" % i, "path": ir, "format": "f32le"}}} for i in range(3)]
    req = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "batch",
                      "params": {"changes": blocks}}).encode() + b"\n"
    for _ in range(siege.scale(10, least=3)):
        siege.hog(siege.d.socket, req * 2)


def attack_large_config_lines(siege):
    """The control socket's one large-line slot (config.load of a whole
    configuration): 4 MiB sent without its end, by several clients."""
    line = b'{"jsonrpc":"2.0","id":1,"method":"config.load","params":{"text":"' + b" " * (4 << 20)
    for _ in range(siege.scale(4, least=1)):
        siege.hog(siege.d.socket, line)


ATTACKS = [attack_recorders, attack_level_subscribers, attack_half_lines,
           attack_unread_answers, attack_maximal_lines, attack_doubling_patches,
           attack_filter_taps, attack_large_config_lines]


class Poller:
    """A well-behaved client: status every `every` s, answers read at once."""

    def __init__(self, path, every):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.setblocking(False)
        self.every, self.next_at, self.sent_at = every, time.monotonic(), None
        self.buf, self.sent, self.answered, self.latencies, self.errors = b"", 0, 0, [], []

    def due(self, now):
        if self.sent_at is None and now >= self.next_at:
            self.sock.send(STATUS % self.sent)
            self.sent += 1
            self.sent_at = now
            self.next_at = now + self.every

    def readable(self, now):
        data = self.sock.recv(1 << 20)
        if not data:
            self.errors.append("closed by dspd")
            return
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            msg = json.loads(line)
            if "result" not in msg:
                self.errors.append(msg)
            self.answered += 1
            self.latencies.append(now - self.sent_at)
            self.sent_at = None


class Reader:
    """A well-behaved subscriber or recorder: reads everything at once."""

    def __init__(self, path, request):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.sendall(request)
        self.sock.setblocking(False)
        self.buf, self.msgs, self.closed = b"", [], False

    def due(self, now):
        pass

    def readable(self, now):
        data = self.sock.recv(1 << 20)
        if not data:
            self.closed = True
            return
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            self.msgs.append(json.loads(line))


def drive(clients, seconds, on_second=None):
    """Serve the well-behaved clients for seconds.  Returns the longest time
    this loop went without reading (this test's own stalls, on a loaded
    machine: a client that did not read for that long fell behind)."""
    sel = selectors.DefaultSelector()
    for c in clients:
        sel.register(c.sock, selectors.EVENT_READ, c)
    t0 = last = prev = time.monotonic()
    longest = 0.0
    while time.monotonic() - t0 < seconds:
        now = time.monotonic()
        longest = max(longest, now - prev)
        prev = now
        for c in clients:
            c.due(now)
        for key, _ in sel.select(0.01):
            if not getattr(key.data, "closed", False):
                key.data.readable(time.monotonic())
        if on_second and now - last >= 1.0:
            last = now
            on_second()
            prev = time.monotonic()
    sel.close()
    return longest


def test_hostile_memory_budget():
    seconds = 8 if Paths.quick else 20
    raise_fd_limit(4096)
    d = hostile_daemon("siege", monitor_record=True, max_clients_per_uid=2048)
    # locked memory as in production: what the clients make dspd hold
    # could then never be given back (sanitizers: not, it would lock GBs)
    d.cfg["realtime"]["mlock"] = os.geteuid() == 0 and not Paths.quick
    d.write_config(d.cfg)
    siege = Siege(d)
    fast = []
    try:
        start_daemon(d)
        pid = d.proc.pid
        siege.tsan = tsan(pid)
        time.sleep(0.5)
        idle_kib = rss_kib(pid)
        # the attacks, then the well-behaved (read from the start on)
        for attack in ATTACKS:
            attack(siege)
        pollers = [Poller(d.socket if i % 2 else d.monitor, 0.1) for i in range(20)]
        readers = [Reader(d.monitor, b'{"jsonrpc":"2.0","id":1,"method":"subscribe",'
                          b'"params":{"topics":["levels"],"interval_ms":50}}\n') for _ in range(5)]
        rec_s = 4.0
        recorder = Reader(d.socket, b'{"jsonrpc":"2.0","id":9,"method":"record",'
                          b'"params":{"tap":"capture","seconds":%.1f}}\n' % rec_s)
        fast = pollers + readers + [recorder]
        frames = []
        slow = 30.0 if siege.tsan else 5.0
        stalled = drive(fast, seconds, lambda: frames.append(status(d.socket, slow)["frames"]["played"]))
        print("    this test's longest pause in reading: %.0f ms" % (stalled * 1e3))
        st = status(d.socket, slow)
        hwm_kib = proc_status(pid, "VmHWM")
        siege.close()
        time.sleep(1.0)
        after_kib = rss_kib(pid)
        growth = (hwm_kib - idle_kib) * 1024
        print("    dspd RSS %.1f MiB idle, peak %.1f MiB (+%.1f MiB), %.1f MiB after the "
              "attackers left" % (idle_kib / 1024, hwm_kib / 1024, growth / 2**20, after_kib / 1024))
        check("limits" in st, "status states no limits")
        out = st["limits"]["output"]
        bound = out["memory_bound_bytes"]
        print("    bound stated in status.limits.output.memory_bound_bytes: %.1f MiB" % (bound / 2**20))
        total = st["limits"]["memory_bound_bytes"]
        check(total == bound + 2 * st["limits"]["filters"]["memory_budget"],
              "status.limits.memory_bound_bytes %d is not the output bound plus twice the "
              "filters' budget: %s" % (total, st["limits"]))
        check(st["limits"]["filters"]["taps_in_use"] == 0, "an attacker's filter runs: %s"
              % st["limits"]["filters"])
        print("    output: %s" % out)
        print("    clients: %s" % st["limits"]["clients"])
        strict = not sanitized(pid)
        if not strict:
            print("    (RSS not asserted: sanitizer build)")
        else:
            check(growth <= bound, "dspd RSS grew by %.1f MiB, over the %.1f MiB bound status.limits "
                  "states" % (growth / 2**20, bound / 2**20))
            check((after_kib - idle_kib) * 1024 <= bound, "dspd kept %.1f MiB after the attackers left"
                  % ((after_kib - idle_kib) / 1024))
        # the audio ran on
        check(st["xruns"] == {"capture": 0, "playback": 0}, "xruns %s" % st["xruns"])
        steps = [b - a for a, b in zip(frames, frames[1:])]
        check(len(steps) >= seconds - 3 and min(steps) > 0,
              "playback did not advance every second: %s" % steps)
        # the attackers were throttled or sent away, with counts
        check(out["levels_skipped"] + out["record_frames_skipped"] > 0,
              "no attacker throttled: %s" % out)
        # (the lighter siege under TSan may not spend the budget)
        check(out["peak_bytes"] <= out["budget_bytes"] or
              out["disconnected_budget"] + out["disconnected_slow"] > 0,
              "the budget was spent and no attacker disconnected: %s" % out)
        # ... and the well-behaved noticed nothing
        lat = sorted(l for p in pollers for l in p.latencies)
        p99 = lat[int(0.99 * (len(lat) - 1))]
        print("    %d status answers, latency p99 %.1f ms" % (len(lat), p99 * 1e3))
        for p in pollers:
            check(not p.errors and p.answered >= p.sent - 1, "poller: %d sent, %d answered, %s"
                  % (p.sent, p.answered, p.errors[:2]))
            check(p.sent >= seconds / 0.1 * 0.5, "poller sent only %d requests" % p.sent)
        check(p99 < (1.0 if Paths.quick else 0.5), "status latency p99 %.0f ms" % (p99 * 1e3))
        for r in readers:
            notes = [m for m in r.msgs if m.get("method") == "levels"]
            check(not r.closed and len(notes) >= seconds / 0.05 * 0.5,
                  "level reader: %d notifications in %d s, closed %s" % (len(notes), seconds, r.closed))
            seqs = [n["params"]["seq"] for n in notes]
            check(seqs == list(range(seqs[0], seqs[0] + len(seqs))) or not strict,
                  "level reader skipped: %s" % seqs[:20])
        res = [m for m in recorder.msgs if m.get("id") == 9]
        data = sum(m["params"]["frames"] for m in recorder.msgs if m.get("method") == "record.data")
        check(res and "result" in res[0], "the well-behaved recorder: %s (closed %s, %d messages: %s)" % (res, recorder.closed, len(recorder.msgs), [m for m in recorder.msgs if m.get("method") != "record.data"][:3]))
        skipped = res[0]["result"]["skipped_frames"]
        datas = [m["params"] for m in recorder.msgs if m.get("method") == "record.data"]
        gaps = [(i, p.get("skipped_frames")) for i, p in enumerate(datas) if p.get("skipped_frames")]
        if gaps:
            print("    the recorder's gaps (chunk, frames): %s of %d chunks" % (gaps[:10], len(datas)))
        check(res[0]["result"]["frames"] + skipped == int(rec_s * 48000) and
              res[0]["result"]["frames"] == data,
              "the well-behaved recorder got %d frames: %s" % (data, res[0]["result"]))
        # only a pause of this test's own loop may cost it frames.  Not
        # under a sanitizer: its daemon's loop itself stalls for hundreds
        # of ms under the siege, and the catch-up chunk is over the share
        # (the accounting above still holds)
        check(skipped == 0 or stalled >= 0.25 or not strict,
              "the well-behaved recorder lost %d frames, though this test never paused "
              "reading for more than %.0f ms" % (skipped, stalled * 1e3))
        for c in fast:
            c.sock.close()
        fast = []
        final = d.stop()
        rep = d.report()
        pb = rep["playback"]
        check(pb["gaps"] == 0 and pb["mismatches"] == 0 and final["dropped"] == 0,
              "device saw %d gaps, %d mismatches; dspd %s" % (pb["gaps"], pb["mismatches"], final))
    finally:
        for c in fast:
            c.sock.close()
        siege.close()
        d.cleanup()


# ---- record ----

def read_record(sock, timeout=20.0):
    """record.data params, and the answer (the first line with an id)."""
    f = sock.makefile("rb")
    sock.settimeout(timeout)
    chunks = []
    while True:
        line = f.readline()
        check(line, "connection closed before the answer to record; got %d chunks" % len(chunks))
        msg = json.loads(line)
        if msg.get("method") == "record.data":
            chunks.append(msg["params"])
        elif "id" in msg:
            return chunks, msg


def test_hostile_record_slow_reader_gets_gaps():
    """A recorder that stops reading is paused, not queued: the record.data
    after the pause says how many frames it skipped, the answer counts them,
    and what was sent and skipped makes up the seconds asked for."""
    d = hostile_daemon("slowrec")
    try:
        start_daemon(d)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(d.socket)
        s.sendall(b'{"jsonrpc":"2.0","id":3,"method":"record","params":{"tap":"capture","seconds":4}}\n')
        time.sleep(2.5)          # ~1.3 MB of base64 offered; not read
        held = status(d.socket)["limits"]["output"]["in_use_bytes"]
        chunks, msg = read_record(s)
        s.close()
        res = msg.get("result")
        check(res is not None, "record answered %s" % msg)
        sent = sum(c["frames"] for c in chunks)
        gaps = [c["skipped_frames"] for c in chunks if "skipped_frames" in c]
        print("    %d frames sent, %d skipped in %d gap(s); %d bytes held while paused"
              % (sent, res["skipped_frames"], len(gaps), held))
        check(sent == res["frames"] and res["skipped_frames"] == sum(gaps) > 0,
              "sent %d, result %s, gaps %s" % (sent, res, gaps))
        check(sent + res["skipped_frames"] == 4 * 48000, "sent + skipped = %d, want %d"
              % (sent + res["skipped_frames"], 4 * 48000))
        check(held < 512 * 1024, "dspd held %d bytes for a paused recorder" % held)
        check([c["seq"] for c in chunks] == list(range(len(chunks))), "record.data seq not contiguous")
        st = status(d.socket)
        check(st["limits"]["output"]["record_frames_skipped"] == res["skipped_frames"],
              "status.limits.output.record_frames_skipped %s" % st["limits"]["output"])
        d.stop()
    finally:
        d.cleanup()


def test_hostile_record_is_control_only():
    """The monitor socket (0666: any local user) refuses `record` unless
    control.monitor_record says otherwise; the control socket records."""
    d = hostile_daemon("recrole")
    try:
        start_daemon(d)
        msg = raw_request(d.monitor, b'{"jsonrpc":"2.0","id":1,"method":"record",'
                          b'"params":{"tap":"capture","seconds":0.1}}\n')[0]
        check(msg.get("error", {}).get("code") == -32001 and
              "control.monitor_record" in msg["error"]["data"]["reason"],
              "record on the monitor socket: %.300s" % msg)
        check(not raw_request(d.monitor, b'{"jsonrpc":"2.0","method":"record",'
                              b'"params":{"tap":"capture","seconds":0.1}}\n'
                              b'{"jsonrpc":"2.0","id":2,"method":"hello"}\n')[0].get("error"),
              "a refused record notification answered")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.socket)
        s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"record","params":{"tap":"capture","seconds":0.1}}\n')
        chunks, msg = read_record(s)
        s.close()
        check(msg.get("result", {}).get("frames") == 4800, "record on the control socket: %s" % msg)
        # opted in: the reload applies it at once
        d.cfg["control"]["monitor_record"] = True
        d.write_config(d.cfg)
        d.proc.send_signal(1)
        deadline = time.monotonic() + 10
        while "applied" not in d.read_log():
            check(time.monotonic() < deadline, "SIGHUP not applied:\n" + d.read_log())
            time.sleep(0.05)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.monitor)
        s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"record","params":{"tap":"capture","seconds":0.1}}\n')
        chunks, msg = read_record(s)
        s.close()
        check(msg.get("result", {}).get("frames") == 4800, "record on the monitor socket, opted in: %s" % msg)
        d.stop()
    finally:
        d.cleanup()


def test_hostile_half_close_keeps_the_record():
    """A client that sends `record` and shuts its writing side (SHUT_WR)
    still gets every frame and the answer, then the close."""
    d = hostile_daemon("halfclose")
    try:
        start_daemon(d)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.socket)
        s.sendall(b'{"jsonrpc":"2.0","id":5,"method":"record","params":{"tap":"capture","seconds":0.5}}\n')
        s.shutdown(socket.SHUT_WR)
        chunks, msg = read_record(s)
        check(msg.get("result", {}).get("frames") == 24000 == sum(c["frames"] for c in chunks),
              "half-closed record: %s, %d frames sent" % (msg, sum(c["frames"] for c in chunks)))
        s.settimeout(5)
        check(s.recv(100) == b"", "the connection stays open after the record")
        s.close()
        d.stop()
    finally:
        d.cleanup()


def test_hostile_unterminated_last_line():
    """The last line before EOF without its newline is answered, not
    dropped: a request gets its answer, garbage its parse error."""
    d = hostile_daemon("lastline")
    try:
        start_daemon(d)
        for payload, want in ((b'{"jsonrpc":"2.0","id":7,"method":"hello"}', "result"),
                              (b'{"jsonrpc":"2.0","id":8,"method":"hello"}\n'
                               b'{"jsonrpc":"2.0","id":9,"method":"mute.get"}', "result"),
                              (b'{"jsonrpc":"2.0","id":', "error")):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(d.socket)
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                c = s.recv(65536)
                if not c:
                    break
                data += c
            s.close()
            msgs = [json.loads(l) for l in data.split(b"\n") if l.strip()]
            check(msgs and want in msgs[-1], "%r answered %s" % (payload, msgs))
            if want == "error":
                check(msgs[-1]["error"]["code"] == -32700, "garbage answered %s" % msgs)
            else:
                check(msgs[-1]["id"] == json.loads(payload.split(b"\n")[-1])["id"],
                      "%r answered %s" % (payload, msgs))
        d.stop()
    finally:
        d.cleanup()


# ---- connections ----

def as_user(uid, path):
    """Connect as uid (a forked child that switches to it) and keep the
    connection; returns (socket, child pid)."""
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        try:
            a.close()
            os.setgid(uid)
            os.setuid(uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.sendall(STATUS % 1)
            b.sendall(s.recv(65536) or b"closed\n")
            b.recv(1)        # hold until told
        finally:
            os._exit(0)
    b.close()
    return a, pid


def test_hostile_connections_per_uid():
    """control.max_clients_per_uid: one uid cannot take every connection;
    the extra one is told why, other uids still connect."""
    if os.geteuid() != 0:
        return "skipped: needs root (to connect as another uid)"
    d = hostile_daemon("peruid", max_clients_per_uid=8)
    held = []
    try:
        start_daemon(d)
        for _ in range(8):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(d.monitor)
            held.append(s)
        for path in (d.monitor, d.socket):   # the limit holds across both sockets
            extra = raw_request(path, b"")     # refused before it could ask
            check(extra and "error" in extra[0] and "per uid" in extra[0]["error"]["data"]["reason"],
                  "9th connection of uid 0: %s" % extra)
        other, pid = as_user(65534, d.monitor)
        other.settimeout(10)
        answer = other.recv(65536)
        other.sendall(b"x")
        other.close()
        os.waitpid(pid, 0)
        check(b'"result"' in answer, "uid 65534 refused: %r" % answer)
        for s in held:
            s.close()
        held = []
        c = wait_status(d.socket)["limits"]["clients"]
        check(c["max_per_uid"] == 8 and c["refused"] == 2, "status.limits.clients %s" % c)
        d.stop()
    finally:
        for s in held:
            s.close()
        d.cleanup()


def connect_many(path, n):
    """n connections, without waiting for dspd to accept them (a full
    listen backlog refuses the rest at once)."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except (BlockingIOError, OSError):
            s.close()
            continue
        socks.append(s)
    return socks


def measure_cpu(d, seconds):
    c0, t0 = cpu_seconds(d.proc.pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(d.proc.pid) - c0) / (time.monotonic() - t0)


def test_hostile_fd_limit_clamps_clients():
    """Under prlimit --nofile=64, 100 connections: max_clients is clamped
    to what the limit allows (logged, in status.limits), the extra
    connections are refused with a reason, and dspd neither spins nor
    floods its log (the review: 98 % CPU, 330 MB of log in 10 s)."""
    d = hostile_daemon("nofile")
    d.command_plain = d.command
    d.command = lambda *a: ["prlimit", "--nofile=64:64"] + d.command_plain(*a)
    socks = []
    try:
        start_daemon(d)
        log0 = log_bytes(d)
        socks = connect_many(d.socket, 100)
        time.sleep(0.5)
        cpu = measure_cpu(d, 3.0)
        grown = log_bytes(d) - log0
        print("    dspd CPU %.0f %% with 100 connections, log +%d bytes" % (cpu * 100, grown))
        check(cpu < 0.25, "dspd used %.0f %% CPU" % (cpu * 100))
        check(grown < 20000, "the log grew by %d bytes" % grown)
        for s in socks:
            s.close()
        socks = []
        st = wait_status(d.socket)
        c = st["limits"]["clients"]
        check(c["clamped"] and c["fd_limit"] == 64 and c["max_total"] == 64 - c["fd_reserve"],
              "status.limits.clients %s" % c)
        check("allows %d clients in all" % c["max_total"] in d.read_log(), "the clamp is not logged")
        check(c["refused"] > 0, "nobody refused: %s" % c)
        # the audio ran on (a lone xrun on a loaded machine is not what this
        # tests: the siege in test_hostile_memory_budget asserts none)
        check(st["frames"]["played"] > 48000 and st["state"] == "running",
              "audio: %s, xruns %s" % (st["frames"], st["xruns"]))
        d.stop()
    finally:
        for s in socks:
            s.close()
        d.cleanup()


def test_hostile_emfile_backs_off():
    """accept() failing with EMFILE (descriptors taken after the clamp was
    set: here, the limit lowered under the running daemon) pauses the
    listener instead of spinning, logs once in a while, and dspd answers
    again once the clients leave."""
    d = hostile_daemon("emfile")
    socks = []
    try:
        start_daemon(d)
        pid = d.proc.pid
        used = len(os.listdir("/proc/%d/fd" % pid))
        _, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (used + 4, hard))
        log0 = log_bytes(d)
        socks = connect_many(d.socket, 100)
        time.sleep(0.5)
        cpu = measure_cpu(d, 3.0)
        grown = log_bytes(d) - log0
        print("    dspd CPU %.0f %% while accept() fails, log +%d bytes" % (cpu * 100, grown))
        check(cpu < 0.25, "dspd used %.0f %% CPU" % (cpu * 100))
        check(grown < 20000, "the log grew by %d bytes" % grown)
        check("accepting paused" in d.read_log(), "no accept failure logged:\n" + d.read_log()[-2000:])
        for s in socks:
            s.close()
        socks = []
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (hard, hard))
        st = wait_status(d.socket)
        check(st["limits"]["clients"]["accept_errors"] > 0, "status.limits.clients %s"
              % st["limits"]["clients"])
        # the audio ran on (a lone xrun on a loaded machine is not what this
        # tests: the siege in test_hostile_memory_budget asserts none)
        check(st["frames"]["played"] > 48000 and st["state"] == "running",
              "audio: %s, xruns %s" % (st["frames"], st["xruns"]))
        d.stop()
    finally:
        for s in socks:
            s.close()
        d.cleanup()
