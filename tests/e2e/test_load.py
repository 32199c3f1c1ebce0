"""The control plane under load, end to end: 500 connections at once, 50 of
them subscribed to levels at 100 Hz and never reading, the other 450 asking
`status` every 100 ms for 20 s (every 500 ms under the sanitizers, whose
daemon answers ~3000 status/s on this machine: a saturated loop would
test the machine, not the sanitized code).  Every request must be
answered quickly, the daemon's memory must stay bounded (the non-readers
are throttled, not queued), and the audio path must not notice: no xrun,
and the paced device's checker sees no gap and no altered frame."""

import json
import resource
import selectors
import socket
import time

from harness import Daemon, Failure, Paths, check, rss_kib
from test_subscriptions import RpcClient, start_daemon

CONNECTIONS = 500
NON_READERS = 50
STATUS_EVERY_S = 0.100
STATUS_EVERY_S_SANITIZED = 0.500
STATUS_LINE = b'{"jsonrpc":"2.0","id":%d,"method":"status"}\n'


def sanitized(pid):
    """True when the daemon runs under ASan or TSan: their allocators keep
    freed memory in quarantine (ASan: 256 MiB by default) and map shadow
    memory, so its RSS says nothing about dspd's own buffers."""
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read()
    return "libasan" in maps or "libtsan" in maps


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            raise Failure("RLIMIT_NOFILE hard limit %d < %d needed" % (hard, want))
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def connect(path):
    # blocking: with a timeout set, a full listen backlog (64) is EAGAIN
    # instead of a wait for the daemon to accept
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


class Poller:
    """One connection asking status every `every` seconds, one request in
    flight at a time; latency is send to complete answer line."""

    def __init__(self, sock, first_at, every):
        self.sock = sock
        self.every = every
        self.sock.setblocking(False)
        self.buf = b""
        self.next_at = first_at
        self.sent_at = None
        self.next_id = 1
        self.sent = self.answered = 0

    def send(self, now):
        self.sock.send(STATUS_LINE % self.next_id)   # ~45 bytes: never partial
        self.sent_at = now
        self.sent += 1

    def on_readable(self, now, latencies):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Failure("the daemon closed a status connection")
        self.buf += chunk
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            msg = json.loads(line)
            check(msg.get("id") == self.next_id and msg["result"]["state"] == "running",
                  "status answer %s" % str(msg)[:200])
            latencies.append(now - self.sent_at)
            self.answered += 1
            self.next_id += 1
            self.sent_at = None
            # keep the cadence; a late answer sends the next one at once
            self.next_at = max(self.next_at + self.every, now)


def drive_pollers(pollers, seconds, rss_samples, pid):
    """Run every poller for `seconds`, then wait for the answers in flight.
    Returns the latencies in seconds."""
    sel = selectors.DefaultSelector()
    for p in pollers:
        sel.register(p.sock, selectors.EVENT_READ, p)
    latencies = []
    end = time.monotonic() + seconds
    next_rss = time.monotonic() + 1.0
    due = sorted(pollers, key=lambda p: p.next_at)
    while True:
        now = time.monotonic()
        if now >= end and all(p.sent_at is None for p in pollers):
            break
        if now >= end + 5.0:
            lost = sum(1 for p in pollers if p.sent_at is not None)
            raise Failure("%d status requests unanswered 5 s after the run" % lost)
        if now < end:
            while due and due[0].next_at <= now:
                p = due.pop(0)
                p.send(now)
        if now >= next_rss:
            rss_samples.append(rss_kib(pid))
            next_rss += 1.0
        timeout = 0.005 if not due else max(0.0, min(due[0].next_at - now, 0.005))
        for key, _ in sel.select(timeout):
            p = key.data
            p.on_readable(time.monotonic(), latencies)
            if p.sent_at is None and time.monotonic() < end:
                insert_sorted(due, p)
    sel.close()
    return latencies


def insert_sorted(due, p):
    lo, hi = 0, len(due)
    while lo < hi:
        mid = (lo + hi) // 2
        if due[mid].next_at <= p.next_at:
            lo = mid + 1
        else:
            hi = mid
    due.insert(lo, p)


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def test_500_clients_50_never_read():
    # 20 s: the non-readers' socket buffers fill in 5-10 s, after which
    # their level notifications must be skipped
    seconds = 20
    every = STATUS_EVERY_S_SANITIZED if Paths.quick else STATUS_EVERY_S
    raise_fd_limit(4 * CONNECTIONS)
    # 6 periods of 1024: 85 ms of margin against this VM's 10-30 ms stalls
    d = Daemon("load", period=1024, periods=6)
    d.cfg["control"]["max_clients"] = 1024
    d.cfg["control"]["max_clients_per_uid"] = 1024   # all of them are root
    d.write_config(d.cfg)
    socks = []
    try:
        start_daemon(d)
        pid = d.proc.pid
        rss_start = rss_kib(pid)
        for _ in range(CONNECTIONS):
            socks.append(connect(d.socket))
        for s in socks[:NON_READERS]:
            s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"subscribe",'
                      b'"params":{"topics":["levels"],"interval_ms":10}}\n')
        t0 = time.monotonic()
        pollers = [Poller(s, t0 + every * i / (CONNECTIONS - NON_READERS), every)
                   for i, s in enumerate(socks[NON_READERS:])]
        rss_samples = [rss_start]
        latencies = drive_pollers(pollers, seconds, rss_samples, pid)
        rss_end = rss_kib(pid)
        rss_samples.append(rss_end)

        probe = RpcClient(d.socket)
        stats = probe.call("stats")
        st = probe.call("status")
        probe.close()
        sent = sum(p.sent for p in pollers)
        answered = sum(p.answered for p in pollers)
        p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
        growth_mib = (max(rss_samples) - rss_start) / 1024.0
        print("    %d status requests in %d s (%.0f/s), answered %d; latency p50 %.1f ms, "
              "p99 %.1f ms, max %.1f ms" % (sent, seconds, sent / seconds, answered,
                                            p50 * 1e3, p99 * 1e3, max(latencies) * 1e3))
        print("    dspd RSS %.1f MiB at start, %.1f MiB at the end, peak %.1f MiB "
              "(growth %.1f MiB)" % (rss_start / 1024.0, rss_end / 1024.0,
                                     max(rss_samples) / 1024.0, growth_mib))
        print("    levels_skipped %d, clients %d, xruns %s, load %s"
              % (stats["levels_skipped"], stats["clients"], st["xruns"], st["load"]))
        check(answered == sent and sent >= 0.9 * seconds / every * len(pollers),
              "%d status requests sent, %d answered" % (sent, answered))
        check(p99 < 0.5, "status latency p99 %.0f ms" % (p99 * 1e3))
        if sanitized(pid):
            print("    (RSS growth not asserted: sanitizer build)")
        else:
            check(growth_mib < 64, "dspd RSS grew by %.1f MiB" % growth_mib)
        check(stats["levels_skipped"] > 0, "no level notification skipped: the "
              "non-readers were queued, not throttled")
        check(stats["clients"] == CONNECTIONS + 1,
              "%d clients connected, want %d: someone was dropped"
              % (stats["clients"], CONNECTIONS + 1))
        check(st["xruns"] == {"capture": 0, "playback": 0}, "xruns %s" % st["xruns"])
        for s in socks:
            s.close()
        socks = []
        final = d.stop()
        rep = d.report()
        pb = rep["playback"]
        check(pb["gaps"] == 0 and pb["mismatches"] == 0,
              "device saw %d gaps (%s), %d mismatches" % (pb["gaps"], pb["gap_list"], pb["mismatches"]))
        check(pb["underruns"] == 0 and rep["capture"]["overruns"] == 0, "device xruns: %s" % rep)
        check(final["dropped"] == 0 and final["played"] == pb["counter_frames"],
              "dspd %s, device %d counter frames" % (final, pb["counter_frames"]))
    finally:
        for s in socks:
            s.close()
        d.cleanup()
