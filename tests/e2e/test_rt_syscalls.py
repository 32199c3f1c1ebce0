"""The RT thread makes no system call of its own, proven by tracing it.

strace -k follows the thread named "dspd-rt" (and only it) while the
pipeline holds every block type, levels are subscribed, the playback tap
is recorded, the master gain ramps and graph changes of every kind are
made ("steady"), and around an injected 300 ms stall and its re-sync
("stall").  Every system call it makes is attributed from its stack: to
the PCM when alsa-lib (libasound, or the test device it loads) is on the
stack - the transfers, the waits, the device's own work - and to dspd
otherwise.  In both phases dspd's share must be zero.  Positive control:
the thread's exit at SIGTERM ("shutdown") makes calls outside alsa-lib
(its stack being unmapped, the exit itself), and the classifier must see
them there."""

import os
import re
import shutil
import signal
import subprocess
import time

from harness import Daemon, Failure, check, device
from test_rt_alloc import PIPELINE, fir_lanes, run_stall, run_steady, sanitizer_build, wait_status
from test_subscriptions import RpcClient, wait_running
from harness import Paths

RATE = 48000
PERIOD = 1024
CALL = re.compile(r"^(\d+\.\d+) (\w+)\(")
PCM_OBJECTS = ("libasound.so", "libasound_module_pcm_")


def rt_tid(pid):
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() == "dspd-rt":
                    return int(tid)
        except FileNotFoundError:
            continue
    raise Failure("no thread named dspd-rt in pid %d" % pid)


def parse_trace(path):
    """[(time, syscall, [frames])] from strace -ttt -k output."""
    calls = []
    with open(path) as f:
        for line in f:
            if line.startswith(" > "):
                if calls:
                    calls[-1][2].append(line[3:].strip())
                continue
            m = CALL.match(line)
            if m:
                calls.append((float(m.group(1)), m.group(2), []))
    return calls


def owner(frames):
    if not frames or any("backtracing_error" in f for f in frames):
        return "unknown"
    return "pcm" if any(obj in f for f in frames for obj in PCM_OBJECTS) else "dspd"


def tally(calls, start, end):
    """{owner: {syscall: count}} for the calls between start and end."""
    out = {"pcm": {}, "dspd": {}, "unknown": {}}
    for t, name, frames in calls:
        if start <= t < end:
            who = out[owner(frames)]
            who[name] = who.get(name, 0) + 1
    return out


def show(calls, start, end, who):
    lines = []
    for t, name, frames in calls:
        if start <= t < end and owner(frames) == who:
            lines.append("  %s" % name)
            lines += ["      " + f for f in frames[:12]]
            if len(lines) > 120:
                break
    return "\n".join(lines)


def summary(counts):
    return ", ".join("%s %d" % kv for kv in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"


def thread_tids(pid, prefix):
    tids = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip().startswith(prefix):
                    tids.append(int(tid))
        except FileNotFoundError:
            continue
    return tids


def test_rt_thread_makes_no_syscall_of_its_own():
    return run_syscall_check("rt-sys", {}, ())


def test_rt_threads_make_only_futex_calls():
    """On 2 threads, with two long FIR lanes so that worker 1 works: the
    RT thread and the worker (dspd-work*) make no call of their own but
    futex (the wake and join of the pool, issue 19)."""
    return run_syscall_check("rt-sys-threads", {"threads": 2}, ("futex",), lanes=True)


def run_syscall_check(name, extra, allowed, lanes=False):
    if sanitizer_build(Paths.dspd):
        return "skipped: the sanitizer runtimes make calls of their own"
    strace = shutil.which("strace")
    check(strace is not None, "strace missing: tests/install-deps.sh installs it")
    d = Daemon(name, rate=RATE, period=PERIOD, periods=4)
    d.cfg["capture"]["device"] = device("dspdtest", control=d.control_path, signal="sine")
    d.cfg["loudness"] = {"tap": "playback"}
    d.cfg.update(extra)
    d.cfg["pipeline"] = PIPELINE[:1] + (fir_lanes(d) if lanes else []) + PIPELINE[1:]
    d.write_config(d.cfg)
    trace_path = os.path.join(d.dir, "rt.strace")
    tracer = None
    worker_tracers = []
    try:
        d.start(wait=False)
        wait_running(d)
        c = RpcClient(d.socket)
        wait_status(c, lambda st: st["frames"]["played"] >= RATE // 2, "half a second played")
        rt = rt_tid(d.proc.pid)
        tids = [rt] + (thread_tids(d.proc.pid, "dspd-work") if lanes else [])
        check(len(tids) == (2 if lanes else 1), "threads to trace: %s" % tids)
        tracer = subprocess.Popen([strace, "-qq", "-ttt", "-k", "-o", trace_path,
                                   "-p", str(rt)], stderr=subprocess.PIPE, text=True)
        # a worker never calls into alsa-lib: every call it makes is its
        # own, no stack needed (-k on it too slows the period past its
        # deadline)
        worker_tracers = [subprocess.Popen([strace, "-qq", "-ttt", "-o",
                                            "%s.%d" % (trace_path, tid), "-p", str(tid)],
                                           stderr=subprocess.PIPE, text=True)
                          for tid in tids[1:]]
        time.sleep(0.5)             # attached; the first calls are seen
        played0 = c.call("status")["frames"]["played"]
        t_steady = time.time()
        run_steady(c)
        t_stall = time.time()
        st = c.call("status")
        played1 = st["frames"]["played"]
        if lanes:
            check(st["threads"] == 2 and st["workers"][1]["max"] > 0,
                  "worker 1 did no work: %s" % st.get("workers"))
        run_stall(d, c)
        t_shutdown = time.time()
        c.close()
        d.stop()
        for t in [tracer] + worker_tracers:
            try:
                t.wait(timeout=10)      # ends when the traced thread exits
            except subprocess.TimeoutExpired:
                t.send_signal(signal.SIGINT)
                t.wait(timeout=5)
        calls = parse_trace(trace_path)
        worker_calls = []
        for tid in tids[1:]:
            worker_calls += [(t, name, ["worker"]) for t, name, _ in
                             parse_trace("%s.%d" % (trace_path, tid))]
        steady = tally(calls, t_steady, t_stall)
        stall = tally(calls, t_stall, t_shutdown)
        shutdown = tally(calls, t_shutdown, float("inf"))
        periods = (played1 - played0) / PERIOD
        pcm_calls = sum(steady["pcm"].values())
        print("    steady, %.0f periods of %d: %.1f calls per period inside alsa-lib (%s); "
              "dspd's own: %s" % (periods, PERIOD, pcm_calls / max(periods, 1),
                                  summary(steady["pcm"]), summary(steady["dspd"])))
        print("    stall and re-sync: alsa-lib %s; dspd's own: %s"
              % (summary(stall["pcm"]), summary(stall["dspd"])))
        print("    shutdown (positive control): alsa-lib %s; outside it: %s"
              % (summary(shutdown["pcm"]), summary(shutdown["dspd"])))
        check(len(calls) > 0, "strace saw no call on dspd-rt: %s" % tracer.stderr.read()[:300])
        check(pcm_calls > periods, "fewer calls than periods in steady state (%d in %.0f): "
              "is the thread traced?" % (pcm_calls, periods))
        check(shutdown["dspd"], "the thread's exit showed no call outside alsa-lib: "
              "the classifier cannot see dspd's own calls")
        phases = [("steady", (t_steady, t_stall), steady, calls),
                  ("stall", (t_stall, t_shutdown), stall, calls)]
        if lanes:
            w_steady = tally(worker_calls, t_steady, t_stall)
            w_stall = tally(worker_calls, t_stall, t_shutdown)
            print("    worker: steady %s; stall %s" % (summary(w_steady["dspd"]),
                                                      summary(w_stall["dspd"])))
            check(w_steady["dspd"].get("futex", 0) > 0,
                  "the worker made no futex call in steady state: is it traced?")
            phases += [("steady, worker", (t_steady, t_stall), w_steady, worker_calls),
                       ("stall, worker", (t_stall, t_shutdown), w_stall, worker_calls)]
        for phase, (start, end), counts, where in phases:
            for who in ("dspd", "unknown"):
                bad = {k: v for k, v in counts[who].items() if k not in allowed}
                if bad:
                    raise Failure("system calls of dspd's own on the RT thread in phase %s "
                                  "(%s): %s\n%s" % (phase, who, summary(bad),
                                                    show(where, start, end, who)))
    finally:
        for t in [tracer] + worker_tracers:
            if t and t.poll() is None:
                t.kill()
        d.cleanup()
