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
them there.

With "threads": 2 (test_rt_and_workers_make_only_futex_calls) the
pipeline has PIPELINE's per-channel blocks in one chain per channel, each
behind a long FIR (chain_pipeline), so that worker 1 has tasks (proven by
its busy time in status), and the worker "dspd-work1" is traced too.  The
RT thread's own calls may then be the join's futex calls and nothing else;
the worker's, in steady state and stall, only those.
A join futex call is one made through glibc's syscall() (lib/futex.h), as
FUTEX_WAKE_PRIVATE or FUTEX_WAIT_BITSET_PRIVATE: a lock's or a condition
variable's futex (from pthread_mutex_*, pthread_cond_*) is not one.
In "control", worker 1 is made to sleep 100 ms in each of 2 periods by the
test hook test.stall_worker: late periods, which the RT thread gives up
waiting for, plays as silence and reports - its calls are checked there
too.  Positive controls: at least one join call a period on each thread in
steady state (the RT thread wakes the worker, the worker wakes the RT
thread), and the worker's sleep is seen in "control" as a call outside the
join, as the worker's exit is at shutdown.
When the traced threads run SCHED_FIFO, strace runs SCHED_FIFO above them
(start_tracer)."""

import os
import re
import resource
import shutil
import signal
import subprocess
import time

from harness import Daemon, Failure, check, device
from test_rt_alloc import (PIPELINE, parallel_pipeline, run_late, run_stall, run_steady,
                           sanitizer_build, wait_status, worker_ran)
from test_subscriptions import RpcClient, wait_running
from harness import Paths

RATE = 48000
PERIOD = 1024
CALL = re.compile(r"^(\d+\.\d+) (\w+)\(([^,)]*)(?:, ([^,)]*))?")
PCM_OBJECTS = ("libasound.so", "libasound_module_pcm_")
# lib/futex.h's calls: through glibc's syscall(), these operations only
JOIN_FUTEX_OPS = ("FUTEX_WAKE_PRIVATE", "FUTEX_WAIT_BITSET_PRIVATE")
RT = "dspd-rt"


def thread_tid(pid, name):
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() == name:
                    return int(tid)
        except FileNotFoundError:
            continue
    raise Failure("no thread named %s in pid %d" % (name, pid))


def parse_trace(path):
    """[(time, syscall, [frames], second argument)] from strace -ttt -k
    output (the second argument: a futex's operation)."""
    calls = []
    with open(path) as f:
        for line in f:
            if line.startswith(" > "):
                if calls:
                    calls[-1][2].append(line[3:].strip())
                continue
            m = CALL.match(line)
            if m:
                calls.append((float(m.group(1)), m.group(2), [], m.group(4) or ""))
    return calls


def join_futex(name, frames, op):
    """A futex call of lib/futex.h: the join of the pipeline's workers."""
    return (name == "futex" and op in JOIN_FUTEX_OPS and bool(frames)
            and "libc.so" in frames[0] and "(syscall+" in frames[0])


def owner(frames, op="", name=""):
    """pcm (alsa-lib on the stack), join (lib/futex.h's futex), dspd (any
    other call of dspd's own) or unknown (no stack)."""
    if not frames or any("backtracing_error" in f for f in frames):
        return "unknown"
    if any(obj in f for f in frames for obj in PCM_OBJECTS):
        return "pcm"
    return "join" if join_futex(name, frames, op) else "dspd"


def tally(calls, start, end):
    """{owner: {syscall: count}} for the calls between start and end."""
    out = {"pcm": {}, "join": {}, "dspd": {}, "unknown": {}}
    for t, name, frames, op in calls:
        if start <= t < end:
            kind = owner(frames, op, name)
            if kind == "join":      # by operation: FUTEX_WAKE_PRIVATE -> wake
                name = op[len("FUTEX_"):-len("_PRIVATE")].lower()
            out[kind][name] = out[kind].get(name, 0) + 1
    return out


def show(calls, start, end, whos):
    lines = []
    for t, name, frames, op in calls:
        if start <= t < end and owner(frames, op, name) in whos:
            lines.append("  %s(%s)" % (name, op))
            lines += ["      " + f for f in frames[:12]]
            if len(lines) > 120:
                break
    return "\n".join(lines)


def summary(counts):
    return ", ".join("%s %d" % kv for kv in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"


# PIPELINE's blocks that work per channel (each its own task per channel)
PER_CHANNEL = ("biquad", "butterworth", "linkwitz_riley", "peq", "geq", "fir", "delay")


def chain_pipeline(d):
    """PIPELINE with its per-channel blocks in one chain per channel: a
    long FIR (parallel_pipeline's lane), then those blocks, all on channel
    0 under their names, then all on channel 1 ("<name>_1").  Each chain
    is one task, so the workers meet at the joins only (split, and the
    dither's channels): every traced call costs milliseconds (strace -k
    unwinds its stack), and a hand-off per block would make the periods
    late."""
    lanes = [b for b in parallel_pipeline(d) if b["name"].startswith("lane")]
    per_channel = [b for b in PIPELINE if b["type"] in PER_CHANNEL]
    rest = [b for b in PIPELINE if b["type"] not in PER_CHANNEL]
    chains = []
    for ch, lane in enumerate(lanes):
        chains.append(lane)
        for b in per_channel:
            chains.append(dict(b, name=b["name"] + ("_%d" % ch if ch else ""), channels=[ch]))
    return rest[:1] + chains + rest[1:]


def test_rt_thread_makes_no_syscall_of_its_own():
    return run_syscall_check("rt-sys", threads=1)


def test_rt_and_workers_make_only_futex_calls():
    """threads 2, worker 1 running tasks: the RT thread's own calls are the
    join's futex calls only, the worker's are nothing else."""
    return run_syscall_check("rt-sys-par", threads=2)


def start_tracer(strace, tid, path, rt_priority):
    """strace -k on thread tid.  When the traced threads are SCHED_FIFO,
    strace runs SCHED_FIFO above them: each traced call stops its thread
    until strace has handled it, and a strace of normal priority waits for
    a CPU behind the RT thread and the workers (with threads 2 on two
    CPUs, for tens of milliseconds a call: the streams break down)."""
    cmd = [strace, "-qq", "-ttt", "-k", "-o", path, "-p", str(tid)]
    if rt_priority:
        chrt = shutil.which("chrt")
        check(chrt is not None, "chrt missing (util-linux)")
        prio = min(99, rt_priority + 10)
        limit = resource.getrlimit(resource.RLIMIT_RTPRIO)[0]
        if os.geteuid() != 0 and limit != resource.RLIM_INFINITY:
            prio = min(prio, limit)     # what dspd got RT by, at best
        cmd = [chrt, "-f", str(prio)] + cmd
    return subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)


def stop_tracer(tracer):
    try:
        tracer.wait(timeout=10)     # ends when the traced thread exits
    except subprocess.TimeoutExpired:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=5)


def run_syscall_check(name, threads):
    if sanitizer_build(Paths.dspd):
        return "skipped: the sanitizer runtimes make calls of their own"
    strace = shutil.which("strace")
    check(strace is not None, "strace missing: tests/install-deps.sh installs it")
    workers = threads > 1
    d = Daemon(name, rate=RATE, period=PERIOD, periods=4)
    d.cfg["capture"]["device"] = device("dspdtest", control=d.control_path, signal="sine")
    d.cfg["loudness"] = {"tap": "playback"}
    d.cfg["threads"] = threads
    d.cfg["pipeline"] = chain_pipeline(d) if workers else PIPELINE
    d.write_config(d.cfg)
    if workers:
        d.extra_env = {"DSPD_TEST_HOOKS": "1"}     # test.stall_worker: the control
    names = [RT] + ["dspd-work%d" % k for k in range(1, threads)]
    paths = {n: os.path.join(d.dir, "%s.strace" % n) for n in names}
    tracers = {}
    marks = []                  # [(phase, start time)]
    try:
        d.start(wait=False)
        wait_running(d)
        c = RpcClient(d.socket)
        st = wait_status(c, lambda st: st["frames"]["played"] >= RATE // 2,
                         "half a second played")
        rt_priority = st["rt_priority"] if st["rt"] else 0
        for n in names:
            tracers[n] = start_tracer(strace, thread_tid(d.proc.pid, n), paths[n],
                                      rt_priority)
        time.sleep(0.5)             # attached; the first calls are seen
        try:
            played0 = c.call("status")["frames"]["played"]
            marks.append(("steady", time.time()))
            run_steady(c)
            marks.append(("stall", time.time()))
            st = c.call("status")
            played1 = st["frames"]["played"]
            if workers:
                w = worker_ran(st)
            run_stall(d, c)
            marks.append(("control", time.time()))
            if workers:
                late = run_late(c)
            marks.append(("shutdown", time.time()))
        except Failure as e:
            # a broken run: the calls seen so far may say why
            marks.append(("broken", time.time()))
            for tracer in tracers.values():
                tracer.send_signal(signal.SIGINT)
                tracer.wait(timeout=5)
            for n in names:
                calls = parse_trace(paths[n])
                spans = phase_spans(marks)
                for ph, span in spans.items():
                    if ph in CHECKED[n != RT]:
                        fail_on(n, ph, span, calls, tally(calls, *span),
                                forbidden(n != RT, workers))
            raise
        c.close()
        d.stop()
        for tracer in tracers.values():
            stop_tracer(tracer)
        periods = (played1 - played0) / PERIOD
        phases = phase_spans(marks)
        for n in names:
            calls = parse_trace(paths[n])
            check(len(calls) > 0, "strace saw no call on %s: %s"
                  % (n, tracers[n].stderr.read()[:300]))
            counts = {ph: tally(calls, *span) for ph, span in phases.items()}
            if n == RT:
                check_rt(calls, phases, counts, periods, workers)
            else:
                check_worker(n, calls, phases, counts, periods)
        if workers:
            print("    worker 1 busy p50 %.1f us, max %.1f us; late periods %d in steady "
                  "state, %d in control"
                  % (w["p50_us"], w["max_us"], st["late_periods"], late))
    finally:
        for tracer in tracers.values():
            if tracer.poll() is None:
                tracer.kill()
        d.cleanup()


# the phases checked on the RT thread, on a worker (its "control" holds the
# test hook's sleep, its "shutdown" the thread's exit)
CHECKED = (("steady", "stall", "control"), ("steady", "stall"))


def forbidden(worker, workers):
    """The owners of calls not allowed: a worker's calls are the join's
    only; the RT thread's own too, and without workers it has none."""
    if worker:
        return ("pcm", "dspd", "unknown")
    return ("dspd", "unknown") if workers else ("join", "dspd", "unknown")


def phase_spans(marks):
    """{phase: (start, end)} from [(phase, start)]: each ends where the next
    begins, the last never."""
    ends = [t for _, t in marks[1:]] + [float("inf")]
    return {ph: (t, end) for (ph, t), end in zip(marks, ends)}


def fail_on(thread, phase, span, calls, counts, whos):
    bad = {who: counts[who] for who in whos if counts[who]}
    if bad:
        raise Failure("system calls of dspd's own on %s in phase %s: %s\n%s"
                      % (thread, phase, ", ".join("%s: %s" % (who, summary(v))
                                                  for who, v in bad.items()),
                         show(calls, span[0], span[1], whos)))


def check_rt(calls, phases, counts, periods, workers):
    steady, stall, shutdown = counts["steady"], counts["stall"], counts["shutdown"]
    pcm_calls = sum(steady["pcm"].values())
    joins = sum(steady["join"].values())
    print("    %s steady, %.0f periods of %d: %.1f calls per period inside alsa-lib (%s); "
          "join futex %s; dspd's own: %s"
          % (RT, periods, PERIOD, pcm_calls / max(periods, 1), summary(steady["pcm"]),
             summary(steady["join"]), summary(steady["dspd"])))
    print("    %s stall and re-sync: alsa-lib %s; join futex %s; dspd's own: %s"
          % (RT, summary(stall["pcm"]), summary(stall["join"]), summary(stall["dspd"])))
    print("    %s shutdown (positive control): alsa-lib %s; outside it: %s"
          % (RT, summary(shutdown["pcm"]), summary(shutdown["dspd"])))
    for phase in CHECKED[0]:
        fail_on(RT, phase, phases[phase], calls, counts[phase], forbidden(False, workers))
    check(pcm_calls > periods, "fewer calls than periods in steady state (%d in %.0f): "
          "is the thread traced?" % (pcm_calls, periods))
    check(shutdown["dspd"], "the thread's exit showed no call outside alsa-lib: "
          "the classifier cannot see dspd's own calls")
    # with workers, the RT thread wakes them every period: seen as the join's
    check(joins >= 0.8 * periods if workers else joins == 0,
          "%d join futex calls on %s in %.0f periods of steady state"
          % (joins, RT, periods))


def check_worker(name, calls, phases, counts, periods):
    steady = counts["steady"]
    joins = sum(steady["join"].values())
    control = {}
    for who in ("pcm", "dspd", "unknown"):
        for call, n in counts["control"][who].items():
            control[call] = control.get(call, 0) + n
    exits = counts["shutdown"]["dspd"]
    print("    %s steady: join futex %s; other: %s; stall: join futex %s"
          % (name, summary(steady["join"]),
             summary({**steady["pcm"], **steady["dspd"], **steady["unknown"]}),
             summary(counts["stall"]["join"])))
    print("    %s control, 2 test stalls of 100 ms (positive control): %s; shutdown: %s"
          % (name, summary(control), summary(exits)))
    for phase in CHECKED[1]:
        fail_on(name, phase, phases[phase], calls, counts[phase], forbidden(True, True))
    check(joins >= 0.8 * periods, "%d join futex calls on %s in %.0f periods of steady "
          "state: is it traced, does it run tasks?" % (joins, name, periods))
    check(control.get("clock_nanosleep", 0) >= 1,
          "the test hook's sleep on %s was not seen as a call outside the join: %s"
          % (name, summary(control)))
    check(exits, "the exit of %s showed no call of its own" % name)
