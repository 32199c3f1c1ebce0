"""test_parallel_late.py - late periods of the parallel pipeline (issue 19)
meeting the other things that change a running graph: graph hand-overs
(effect.set) while a worker is late, and a restart (threads changed) while
a late run still holds the pool.  The late run must finish in the rows and
the graph it started with: no crash, no sanitizer report, the hand-over
completes once the pool is back, and the restart waits for the late run.
Needs DSPD_TEST_HOOKS=1 (test.stall_worker)."""

import json
import time

from harness import check
from test_hostile import sanitized
from test_methods import Conn
from test_parallel import parallel_daemon


def wait_for(fn, timeout, what):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def test_graph_changes_during_late_periods():
    """Worker 1 stalls 100 ms in each of 8 periods while 8 effect.set
    calls hand over new graphs (each adopts the state of the one before):
    every call is answered, the hand-overs wait for the pool and then
    complete (the newest graph active, nothing pending; the control side
    may replace a graph still pending), the late periods
    stop with the stall and the streams run on."""
    d = parallel_daemon("parallel-late-change", hooks=True)
    try:
        d.start()
        time.sleep(1.0)
        conn = Conn(d.socket, timeout=10)
        before = d.ctl("status")["transition"]
        msg = conn.call("test.stall_worker", {"worker": 1, "ms": 100, "periods": 8})
        check("result" in msg, "test.stall_worker: %s" % msg)
        for k in range(8):
            msg = conn.call("effect.set", {"name": "trim", "values": {"db": -1 - k}})
            check("result" in msg, "effect.set %d: %s" % (k, msg))
            time.sleep(0.06)

        def settled():
            st = d.ctl("status")
            tr = st["transition"]
            return st if tr["state"] == "idle" and not tr["pending"] else None
        st = wait_for(settled, 10, "the hand-overs to complete")
        tr = st["transition"]
        check(tr["completed"] > before["completed"],
              "transitions: %s -> %s" % (before, tr))
        check(st["config"]["active_generation"] == st["config"]["generation"],
              "the newest graph is not the active one: %s" % st["config"])
        late = st["late_periods"]
        check(late >= 1, "no late period during the stall")
        cfg = conn.call("config.get", {})
        trim = [b for b in cfg["result"]["config"]["pipeline"] if b["name"] == "trim"]
        check(trim and trim[0]["db"] == -8, "trim after the edits: %s" % trim)
        processed = st["frames"]["processed"]
        time.sleep(1.5)
        st2 = d.ctl("status")
        check(st2["late_periods"] == late, "late periods went on: %d -> %d"
              % (late, st2["late_periods"]))
        check(st2["state"] == "running" and
              st2["frames"]["processed"] - processed > 48000,
              "after the stall: %s, %d frames" % (st2["state"],
                                                  st2["frames"]["processed"] - processed))
        if not sanitized(d.proc.pid):
            check(st2["xruns"]["capture"] == 0 and st2["xruns"]["playback"] == 0,
                  "xruns: %s" % st2["xruns"])
        print("    %d late periods, transitions %s" % (late, tr))
        conn.close()
        d.stop()
    finally:
        d.cleanup()


def test_restart_waits_for_a_late_run():
    """Worker 1 stalls 1.5 s in one period; meanwhile a configuration
    with threads 1 (a restart) is loaded: the restart waits for the late
    run to end before the graph and rows are freed, then runs on one
    thread."""
    d = parallel_daemon("parallel-late-restart", hooks=True)
    try:
        d.start()
        time.sleep(1.0)
        conn = Conn(d.socket, timeout=20)
        msg = conn.call("test.stall_worker", {"worker": 1, "ms": 1500, "periods": 1})
        check("result" in msg, "test.stall_worker: %s" % msg)
        wait_for(lambda: d.ctl("status")["late_periods"] > 0, 5, "a late period")
        cfg = json.loads(json.dumps(d.cfg))
        cfg["threads"] = 1
        t0 = time.monotonic()
        msg = conn.call("config.load", {"config": cfg})
        took = time.monotonic() - t0
        check("result" in msg, "config.load threads 1: %s" % msg)
        st = wait_for(lambda: (lambda s: s if s["state"] == "running" else None)(
            d.ctl("status")), 10, "the restarted engine")
        check(st["threads"] == 1, "threads after the restart: %s" % st["threads"])
        processed = st["frames"]["processed"]
        time.sleep(1.0)
        st2 = d.ctl("status")
        check(st2["frames"]["processed"] - processed > 24000,
              "frames after the restart: %d" % (st2["frames"]["processed"] - processed))
        print("    restart during the late run took %.2f s" % took)
        conn.close()
        d.stop()
    finally:
        d.cleanup()
