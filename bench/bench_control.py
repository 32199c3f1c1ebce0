#!/usr/bin/env python3
"""bench_control.py - the control plane's speed, next to an anchor.

    python3 bench/bench_control.py [--dspd PATH] [--requests N] [--seconds S]

Starts dspd on the paced dspdtest device (build it with `make all plugin`)
and measures, on the same machine in the same run:
  * `gain.set` round trip, p50 and p99, over N requests on one connection;
  * `levels` notifications per second delivered to 1, 10 and 50 subscribers
    at interval_ms 10 (the ideal is 100/s each).
The anchor is a trivial Python Unix-socket server in its own process that
answers each line with a line of dspd's answer size, and pushes lines of
dspd's notification size to its subscribers on a 10 ms clock: the ratios
say how dspd compares with doing nothing but moving the same bytes."""

import argparse
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import harness  # noqa: E402
from test_subscriptions import start_daemon  # noqa: E402

SUBSCRIBERS = (1, 10, 50)
PUSH_INTERVAL_S = 0.010


# ---- the anchor server (runs as `bench_control.py --anchor PATH ANSWER PUSH`)

def anchor_server(path, answer_len, push_len):
    """Answer every line with answer_len bytes; a line "push" makes the
    connection a subscriber that gets push_len bytes every 10 ms."""
    answer = b"a" * (answer_len - 1) + b"\n"
    push = b"p" * (push_len - 1) + b"\n"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(128)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    buffers, subscribers = {}, set()
    next_push = time.monotonic() + PUSH_INTERVAL_S
    while True:
        now = time.monotonic()
        if now >= next_push:
            for conn in list(subscribers):
                try:
                    conn.send(push)
                except BlockingIOError:
                    pass        # a congested subscriber skips, like dspd
                except OSError:
                    subscribers.discard(conn)
            next_push += PUSH_INTERVAL_S
            if next_push < now:
                next_push = now
        for key, _ in sel.select(max(0.0, next_push - time.monotonic())):
            if key.data is None:
                conn, _ = listener.accept()
                conn.setblocking(False)
                buffers[conn] = b""
                sel.register(conn, selectors.EVENT_READ, conn)
                continue
            conn = key.data
            chunk = conn.recv(65536)
            if not chunk:
                sel.unregister(conn)
                subscribers.discard(conn)
                del buffers[conn]
                conn.close()
                continue
            buffers[conn] += chunk
            while b"\n" in buffers[conn]:
                line, buffers[conn] = buffers[conn].split(b"\n", 1)
                if line == b"push":
                    subscribers.add(conn)
                else:
                    conn.sendall(answer)


class Anchor:
    def __init__(self, directory, answer_len, push_len):
        self.path = os.path.join(directory, "anchor.sock")
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--anchor",
                                      self.path, str(answer_len), str(push_len)])
        deadline = time.monotonic() + 10
        while not os.path.exists(self.path):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the anchor server did not start")
            time.sleep(0.01)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


# ---- measurements ------------------------------------------------------------

def pin_to_one_cpu(dspd_pid, anchor_pid):
    """This process, the anchor and dspd's control thread on one CPU: a
    round trip on this VM costs ~15 us when both ends share a CPU and
    ~70 us when a wake-up crosses CPUs, and the scheduler picks either at
    whim; pinned, both servers are measured the same way.  dspd's audio
    thread stays free.  Returns the CPU."""
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    os.sched_setaffinity(anchor_pid, {cpu})
    for tid in os.listdir("/proc/%d/task" % dspd_pid):
        with open("/proc/%d/task/%s/comm" % (dspd_pid, tid)) as f:
            if f.read().strip() != "dspd-rt":
                os.sched_setaffinity(int(tid), {cpu})
    return cpu


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def read_line(sock, buf):
    while b"\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
    line, rest = buf.split(b"\n", 1)
    return line, rest


def gain_line(i):
    # alternating targets, so every request really changes the gain
    return ('{"jsonrpc":"2.0","id":%d,"method":"gain.set","params":{"db":%s}}\n'
            % (i, "-6.0" if i % 2 else "-6.5")).encode()


class RoundTrips:
    """One persistent connection timing gain.set request/answer pairs; also
    counts "engine busy" answers (the command ring to the audio thread was
    full: it drains once per period)."""

    def __init__(self, path, check_answers):
        self.sock = connect(path)
        self.buf = b""
        self.check_answers = check_answers
        self.times = []
        self.busy = 0
        self.next_id = 1

    def run(self, n):
        for _ in range(n):
            i = self.next_id
            self.next_id += 1
            t0 = time.perf_counter()
            self.sock.sendall(gain_line(i))
            answer, self.buf = read_line(self.sock, self.buf)
            self.times.append(time.perf_counter() - t0)
            if self.check_answers:
                self.check(i, json.loads(answer))

    def check(self, i, msg):
        if msg.get("id") == i and msg.get("error", {}).get("code") == -32000:
            self.busy += 1
        elif msg.get("id") != i or "result" not in msg:
            raise RuntimeError("gain.set answered %s" % str(msg)[:200])


def interleaved_round_trips(dspd_path, anchor_path, n, blocks=10):
    """n round trips to each, in alternating blocks so that both see the
    same background load of this machine."""
    dspd, anchor = RoundTrips(dspd_path, True), RoundTrips(anchor_path, False)
    for warm_up in (dspd, anchor):
        warm_up.run(200)
        warm_up.times = []
    for b in range(blocks):
        size = n // blocks + (1 if b < n % blocks else 0)
        dspd.run(size)
        anchor.run(size)
    dspd.sock.close()
    anchor.sock.close()
    return sorted(dspd.times), sorted(anchor.times), dspd.busy


def first_answer(path):
    """dspd's answer line to one gain.set, newline included."""
    s = connect(path)
    s.sendall(gain_line(1))
    line, _ = read_line(s, b"")
    s.close()
    return line + b"\n"


def pct(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def push_rate(path, subscribers, seconds, subscribe_line):
    """Lines per second delivered to all subscribers together, counted
    after a 0.3 s warm-up."""
    socks = [connect(path) for _ in range(subscribers)]
    sel = selectors.DefaultSelector()
    for s in socks:
        s.sendall(subscribe_line)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, s)
    lines = 0
    start = time.monotonic() + 0.3
    end = start + seconds
    counting = False
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if not counting and now >= start:
            counting, lines = True, 0
        for key, _ in sel.select(end - now):
            chunk = key.data.recv(1 << 20)
            if not chunk:
                raise RuntimeError("subscriber connection closed")
            lines += chunk.count(b"\n")
    sel.close()
    for s in socks:
        s.close()
    return lines / seconds


def levels_line_len(path):
    """The size of one levels notification of this daemon."""
    s = connect(path)
    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"subscribe",'
              b'"params":{"topics":["levels"],"interval_ms":10}}\n')
    buf = b""
    _, buf = read_line(s, buf)              # the answer
    line, buf = read_line(s, buf)
    s.close()
    return len(line) + 1


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--anchor":
        anchor_server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--dspd", default=harness.Paths.dspd)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    harness.Paths.dspd = os.path.abspath(args.dspd)
    if not os.path.exists(harness.ALSA_CONF) or not os.access(harness.Paths.dspd, os.X_OK):
        print("bench_control: needs %s and %s: run `make all plugin` first"
              % (harness.Paths.dspd, harness.ALSA_CONF), file=sys.stderr)
        return 1

    # period 256: the audio thread takes up to 256 queued commands per
    # period; at 1024 frames (21 ms) back-to-back gain.set outruns it
    d = harness.Daemon("bench-control", period=256, periods=8)
    d.cfg["control"]["max_clients"] = 1024
    d.cfg["control"]["max_clients_per_uid"] = 1024   # all of them are root
    d.write_config(d.cfg)
    anchor = None
    try:
        start_daemon(d)
        answer_len = len(first_answer(d.socket))
        push_len = levels_line_len(d.socket)
        anchor = Anchor(tempfile.mkdtemp(prefix="bench-anchor-", dir=d.dir), answer_len, push_len)
        cpu = pin_to_one_cpu(d.proc.pid, anchor.proc.pid)

        dspd_rt, anchor_rt, busy = interleaved_round_trips(d.socket, anchor.path, args.requests)
        rows = []
        for name, q in (("p50", 0.50), ("p99", 0.99)):
            a, b = pct(dspd_rt, q) * 1e6, pct(anchor_rt, q) * 1e6
            rows.append(("gain.set round trip %s (us)" % name, a, b))
        subscribe = (b'{"jsonrpc":"2.0","id":1,"method":"subscribe",'
                     b'"params":{"topics":["levels"],"interval_ms":10}}\n')
        for n in SUBSCRIBERS:
            a = push_rate(d.socket, n, args.seconds, subscribe)
            b = push_rate(anchor.path, n, args.seconds, b"push\n")
            rows.append(("levels/s to %d subscriber%s (ideal %d)"
                         % (n, "" if n == 1 else "s", 100 * n), a, b))
        st = harness.raw_request(d.socket, b'{"jsonrpc":"2.0","id":1,"method":"status"}\n')[0]
        xruns = st["result"]["xruns"]
        print("== bench_control: control round trip and levels push vs a Python socket anchor")
        print("line sizes: request %d B, answer %d B, levels notification %d B; "
              "%d requests, %.1f s per push run; clients and servers on CPU %d"
              % (len(gain_line(1)), answer_len, push_len, args.requests, args.seconds, cpu))
        print("%-42s %10s %10s %7s" % ("measure", "dspd", "anchor", "ratio"))
        for name, a, b in rows:
            print("%-42s %10.1f %10.1f %7.2f" % (name, a, b, a / b if b else float("nan")))
        print("gain.set answered \"engine busy\": %d of %d; dspd xruns during the run: %s"
              % (busy, args.requests, xruns))
        d.stop()
    finally:
        if anchor:
            anchor.stop()
        d.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
