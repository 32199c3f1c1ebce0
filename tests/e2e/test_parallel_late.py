"""test_parallel_late.py - late periods of the parallel pipeline (issue 19)
meeting the other things that change a running graph: graph hand-overs
(effect.set) while a worker is late, and a restart (threads changed) while
a late run still holds the pool.  The late run must finish in the rows and
the graph it started with: no crash, no sanitizer report, the hand-over
completes once the pool is back, and the restart waits for the late run.
Needs DSPD_TEST_HOOKS=1 (test.stall_worker)."""

import json
import os
import subprocess
import time

from harness import Paths, check
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


# sysconf(_SC_NPROCESSORS_ONLN) from a file: CPUs coming online while dspd
# runs (hotplug, a VM given more vCPUs)
CPUS_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

long sysconf(int name)
{
	static long (*next)(int);
	const char *path = getenv("DSPD_TEST_CPUS_FILE");
	FILE *f;
	long n = 0;

	if (!next)
		next = (long (*)(int))dlsym(RTLD_NEXT, "sysconf");
	if (name == _SC_NPROCESSORS_ONLN && path && (f = fopen(path, "r"))) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 0;
		fclose(f);
		if (n > 0)
			return n;
	}
	return next(name);
}
"""


def test_cpus_coming_online_with_threads_auto():
    """threads "auto" starts on 1 online CPU (no second set of rows, no
    pool); a second CPU comes online, the card vanishes and returns (the
    engine reopens and starts its workers again), a graph change plans
    for the pool, and a worker is late: the engine must not go on with a
    pool whose rows it never allocated (it crashed on the late period)."""
    d = parallel_daemon("parallel-late-cpus", threads="auto", hooks=True)
    cpus = os.path.join(d.dir, "cpus")
    shim = os.path.join(d.dir, "cpus_shim.so")
    try:
        src = os.path.join(d.dir, "cpus_shim.c")
        with open(src, "w") as f:
            f.write(CPUS_SHIM)
        p = subprocess.run(["cc", "-shared", "-fPIC", "-O1", src, "-o", shim, "-ldl"],
                           capture_output=True, text=True)
        check(p.returncode == 0, "shim: %s" % p.stderr)
        with open(cpus, "w") as f:
            f.write("1\n")
        d.extra_env = dict(d.extra_env, DSPD_TEST_CPUS_FILE=cpus, LD_PRELOAD=shim)
        if sanitized_paths():
            return "skipped: LD_PRELOAD before a sanitizer runtime"
        d.start()
        time.sleep(0.5)
        st = d.ctl("status")
        check(st["threads"] == 1, "threads on one CPU: %s" % st["threads"])
        with open(cpus, "w") as f:
            f.write("2\n")
        d.device_command("vanish 1000")
        wait_for(lambda: d.ctl("status")["state"] == "waiting", 5, "waiting")
        wait_for(lambda: d.ctl("status")["state"] == "running", 10, "running again")
        conn = Conn(d.socket, timeout=10)
        msg = conn.call("effect.set", {"name": "trim", "values": {"db": -2}})
        check("result" in msg, "effect.set: %s" % msg)
        wait_for(lambda: (lambda t: t["state"] == "idle" and not t["pending"])(
            d.ctl("status")["transition"]), 10, "the hand-over")
        conn.call("test.stall_worker", {"worker": 1, "ms": 100, "periods": 2})
        time.sleep(1.0)
        check(d.proc.poll() is None, "dspd died (rc %s):\n%s"
              % (d.proc.returncode, d.read_log()[-3000:]))
        st = d.ctl("status")
        check(st["state"] == "running", "state %s" % st["state"])
        processed = st["frames"]["processed"]
        time.sleep(1.0)
        st2 = d.ctl("status")
        check(st2["frames"]["processed"] - processed > 24000,
              "frames: %d" % (st2["frames"]["processed"] - processed))
        print("    threads %d after the CPU came online; late periods %d"
              % (st2["threads"], st2["late_periods"]))
        conn.close()
        d.stop()
    finally:
        d.cleanup()


def sanitized_paths():
    return any(part in Paths.dspd for part in ("/asan/", "/tsan/"))
