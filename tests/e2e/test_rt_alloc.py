"""The RT thread and the pipeline's workers are allocation-free, proven by
counting.

dspd runs with build/malloc/libmalloc_count.so preloaded (tests/malloc/
malloc_count.c): every malloc/calloc/realloc/free/posix_memalign/
aligned_alloc/memalign call made on the thread named "dspd-rt" or on a
worker ("dspd-work1".."dspd-workN") is counted under that thread's kind,
under the phase the test has written to the phase file at that moment, and
under who made it, from the call's stack: "daemon" (dspd's own code),
"alsa_lib", "libc", "other", or "plugin" when the dspdtest test device is on
the stack (its report file is fopen()ed from inside snd_pcm_writei every
half second: the test device's work, not dspd's, and the positive control
that proves the counter sees calls on the RT thread).

Phases: "startup" until the RT loop has played half a second (the first
resync - prepare, prefill, start - may allocate inside alsa-lib); "steady"
while the pipeline holds every block type and levels are subscribed, the
playback tap is recorded, the master gain ramps and loudness is read;
"stall" around an injected 300 ms stall and its recovery (drop, prepare,
prefill, start); "shutdown" for SIGTERM.  In "steady" and "stall" nothing
but the test device may allocate on the RT thread.

With "threads": 2 (test_rt_and_worker_allocation_free) the pipeline gets a
long FIR of its own on each channel, so that the schedule gives worker 1
tasks (proven by its busy time in status); then nothing at all may
allocate on a worker, in any phase past startup.  An extra phase, "late",
has worker 1 sleep 100 ms in each of 2 periods (the test hook
test.stall_worker, DSPD_TEST_HOOKS=1): late periods, which the RT thread
gives up waiting for, plays as silence and reports; the RT thread's rules
hold there too.  Positive control for the
workers: the interposer also counts the calls through syscall() on each
kind of thread, and the worker's futex calls (lib/futex.h: at least one a
period, its wake of the join) must be seen - so a worker is recognised,
by its name, as one."""

import json
import math
import os
import subprocess
import time

from harness import ROOT, Daemon, Failure, Paths, check, device, lane_fir
from test_subscriptions import RpcClient, record, wait_running

INTERPOSER = os.path.join(ROOT, "build", "malloc", "libmalloc_count.so")
PLUGIN = os.path.join(ROOT, "build", "alsa", "libasound_module_pcm_dspdtest.so")
RATE = 48000
PERIOD = 256
# phases in which only the test device may allocate on the RT thread
CHECKED_PHASES = ("steady", "stall")
FORBIDDEN = ("daemon", "alsa_lib", "libc", "other")
RT_THREAD = "dspd-rt"
WORKERS = "dspd-work"           # the interposer's name for the workers' kind
CATEGORIES = ("daemon", "alsa_lib", "plugin", "libc", "other")
LANE_TAPS = 4096

# one block of every type; the mixers widen to 4 channels and fold back
PIPELINE = [
    {"type": "gain", "name": "trim", "db": -3.0},
    {"type": "biquad", "name": "presence", "kind": "peaking", "freq": 3000,
     "q": 1.2, "gain_db": 2.0},
    {"type": "butterworth", "name": "rumble", "kind": "highpass", "freq": 20, "order": 3},
    {"type": "linkwitz_riley", "name": "top", "kind": "lowpass", "freq": 18000, "order": 4},
    {"type": "peq", "name": "room", "bands": [
        {"kind": "lowshelf", "freq": 100, "gain_db": 2.0, "slope": 6},
        {"kind": "peaking", "freq": 250, "q": 2.0, "gain_db": -3.0},
        {"kind": "highshelf", "freq": 8000, "gain_db": -1.0, "q": 0.7071}]},
    {"type": "geq", "name": "graphic", "bands": [1, 0.5, 0, -0.5, -1, 0, 0.5, 1, 0, -1]},
    {"type": "fir", "name": "smooth", "values": [0.25, 0.5, 0.25, 0.0, 0.0, 0.0, 0.0, 0.0]},
    {"type": "delay", "name": "align", "value": 20.25, "unit": "samples"},
    {"type": "mixer", "name": "split", "channels_in": 2, "channels_out": 4, "routes": [
        {"out": 0, "in": 0}, {"out": 1, "in": 1},
        {"out": 2, "in": 0, "gain_db": -6.0},
        {"out": 3, "in": 1, "gain_db": -6.0, "invert": True}]},
    {"type": "mixer", "name": "fold", "channels_in": 4, "channels_out": 2, "routes": [
        {"out": 0, "in": 0}, {"out": 0, "in": 2, "gain_db": -12.0},
        {"out": 1, "in": 1}, {"out": 1, "in": 3, "gain_db": -12.0}]},
    {"type": "compressor", "name": "comp", "threshold_db": -20, "ratio": 3,
     "knee_db": 6, "detection": "rms"},
    {"type": "limiter", "name": "brickwall", "ceiling_db": -1.0, "lookahead_ms": 2},
    {"type": "gate", "name": "hush", "threshold_db": -70},
    {"type": "dither", "name": "tpdf", "bits": 24},
]


def parallel_pipeline(d, taps=LANE_TAPS):
    """PIPELINE with a FIR of `taps` of its own (an IR file in d.dir) on
    each of the two channels after "trim": per-channel work heavy enough
    that the schedule puts some of it on worker 1; the filters after it
    split per channel too."""
    lanes = [lane_fir(d, ch, taps, 0.02) for ch in range(2)]
    return PIPELINE[:1] + lanes + PIPELINE[1:]


def worker_ran(st, k=1):
    """Worker k's entry in status, checked to have run pipeline tasks: its
    busy time is only counted in parallel runs, and a parallel schedule
    has work on every worker."""
    workers = st.get("workers", [])
    check(st.get("threads") == 2 and len(workers) == 2, "status threads %s, workers %s"
          % (st.get("threads"), workers))
    w = workers[k]
    check(w["worker"] == k and w["periods"] > 0 and w["p50_us"] > 0 and w["max_us"] > 0,
          "worker %d ran no pipeline task: %s" % (k, w))
    return w


class CountedDaemon(Daemon):
    """A Daemon whose dspd runs with the malloc-counting interposer."""

    def __init__(self, name, **kw):
        super().__init__(name, **kw)
        self.alloc_report_path = os.path.join(self.dir, "malloc_count.json")
        self.phase_path = os.path.join(self.dir, "malloc_count.phase")

    def env(self):
        env = super().env()
        env["LD_PRELOAD"] = INTERPOSER
        env["MALLOC_COUNT_REPORT"] = self.alloc_report_path
        env["MALLOC_COUNT_PHASE"] = self.phase_path
        return env

    def phase(self, name):
        tmp = self.phase_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(name + "\n")
        os.rename(tmp, self.phase_path)

    def alloc_report(self):
        with open(self.alloc_report_path) as f:
            return json.load(f)


def sanitizer_build(path):
    """ASan and TSan refuse a preloaded malloc ahead of their runtime."""
    with open(path, "rb") as f:
        data = f.read()
    return b"libasan.so" in data or b"libtsan.so" in data


def wait_status(client, want, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    st = None
    while time.monotonic() < deadline:
        st = client.call("status")
        if want(st):
            return st
        time.sleep(0.05)
    raise Failure("%s not reached within %.0f s: %s" % (what, timeout, st))


def xrun_total(st):
    return st["xruns"]["capture"] + st["xruns"]["playback"]


def run_steady(c):
    """Levels, a recording of the playback tap, gain ramps, loudness."""
    r = c.call("subscribe", {"topics": ["levels", "gain", "xrun"], "interval_ms": 20})
    check("levels" in r["topics"], "subscribe: %s" % r)
    c.call("gain.set", {"db": -12.0, "ramp_ms": 500})
    res, samples = record(c, "playback", 1.0)
    check(res["frames"] == RATE and res["overflows"] == 0, "record result %s" % res)
    check(all(math.isfinite(v) for v in samples), "non-finite samples recorded")
    check(max(abs(v) for v in samples) > 0.01, "the recording is silent")
    c.call("gain.set", {"db": -3.0, "ramp_ms": 300})
    notes = c.collect(1.0)
    c.call("loudness")
    c.call("gain.set", {"db": 0.0, "ramp_ms": 100})
    notes += c.collect(0.5)
    run_graph_changes(c)
    levels = [n for n in notes if n["method"] == "levels"]
    check(len(levels) >= 40, "only %d levels notifications" % len(levels))


def run_graph_changes(c):
    """Graph changes of every kind: state taken over (filters, dynamics,
    delay), warm-ups (FIR, new filters), crossfades, bypass, a batch."""
    band = {"type": "peq", "name": "extra", "bands": [
        {"kind": "peaking", "freq": 1000, "q": 1, "gain_db": 3}]}
    c.call("effect.set", {"name": "room", "values": {"bands/1/gain_db": -1.5}})
    c.call("effect.set", {"name": "comp", "values": {"ratio": 4}})
    c.call("effect.add", {"block": band, "after": "trim"})
    c.call("effect.set", {"name": "smooth", "values": {"values": [0.5, 0.5]}})
    c.call("effect.bypass", {"name": "presence"})
    c.call("batch", {"changes": [
        {"method": "effect.remove", "params": {"name": "extra"}},
        {"method": "effect.set", "params": {"name": "align", "values": {"value": 30}}},
        {"method": "config.patch", "params": {"ops": [
            {"op": "replace", "path": "/pipeline/0/db", "value": -4}]}}]})
    wait_status(c, lambda st: st["transition"]["state"] == "idle"
                and not st["transition"]["pending"]
                and st["config"]["generation"] == st["config"]["active_generation"],
                "the graph changes to settle")


def run_stall(d, c):
    before = xrun_total(c.call("status"))
    d.device_command("stall 300")
    wait_status(c, lambda st: xrun_total(st) > before and st["state"] == "running",
                "recovery from the injected stall")
    time.sleep(0.5)


def run_late(c):
    """Worker 1 sleeps 100 ms in each of 2 periods (test.stall_worker):
    late periods, which the RT thread gives up waiting for, plays as
    silence and reports.  The number of late periods."""
    late0 = c.call("status")["late_periods"]
    r = c.call("test.stall_worker", {"worker": 1, "ms": 100, "periods": 2})
    check(r == {}, "test.stall_worker: %s" % r)
    wait_status(c, lambda st: st["late_periods"] > late0, "late periods")
    time.sleep(0.5)                 # the episode ends, is reported
    return c.call("status")["late_periods"] - late0


def category_total(report, phase, cat, thread=RT_THREAD):
    for ph in report["phases"]:
        if ph["name"] == phase:
            return ph["threads"][thread]["categories"][cat]["total"]
    return 0


def decode_frame(frame):
    """Frames of dspd and of the test device through addr2line (static
    functions have no dynamic symbol); other frames as the interposer wrote
    them."""
    objects = {os.path.basename(Paths.dspd): Paths.dspd,
               os.path.basename(PLUGIN): PLUGIN}
    obj, _, rest = frame.partition("+0x")
    if obj not in objects:
        return frame
    offset = rest.split()[0]
    p = subprocess.run(["addr2line", "-f", "-i", "-p", "-e", objects[obj], "0x" + offset],
                       capture_output=True, text=True)
    text = " / ".join(line.strip() for line in p.stdout.splitlines() if line.strip())
    return "%s (%s)" % (frame, text) if p.returncode == 0 and text else frame


def format_traces(report, phase=None, cats=None, thread=RT_THREAD):
    lines = []
    for t in report["traces"]:
        if (t["thread"] != thread or (phase and t["phase"] != phase)
                or (cats and t["category"] not in cats)):
            continue
        lines.append("  %s on %s/%s: %s(%d)" % (t["phase"], t["thread"], t["category"],
                                                t["function"], t["size"]))
        lines += ["      " + decode_frame(f) for f in t["frames"]]
    return "\n".join(lines)


def summarize(report, threads=(RT_THREAD,)):
    for ph in report["phases"]:
        for thread in threads:
            t = ph["threads"][thread]
            counts = ", ".join("%s %d" % (cat, v["total"])
                               for cat, v in t["categories"].items() if v["total"])
            print("    %-8s %d on %s: %s" % (ph["name"], t["total"], thread, counts or "none"))
    print("    calls through syscall(): %s" % ", ".join(
        "%s %d" % kv for kv in sorted(report["syscalls"].items())))


def check_report(report, workers=False, steady_periods=0):
    """The RT thread: nothing but the test device allocates in steady state
    and stall.  With workers: nothing at all allocates on them after
    startup, and their futex calls (at least one a period of steady state)
    are seen."""
    check(report["calls_all_threads"] > 0, "the interposer counted nothing: not loaded?")
    check(not report["phases_overflowed"], "more phases than the interposer keeps")
    # positive control: the test device's report writing, from inside
    # snd_pcm_writei on the RT thread, is seen and attributed to the device
    check(category_total(report, "steady", "plugin") > 0,
          "no call on dspd-rt seen in steady state, not even the test device's "
          "report writing: is the RT thread still named dspd-rt?")
    for phase in CHECKED_PHASES + (("late",) if workers else ()):
        bad = {cat: category_total(report, phase, cat) for cat in FORBIDDEN}
        if any(bad.values()):
            raise Failure("heap calls on the RT thread in phase %s: %s\n%s"
                          % (phase, bad, format_traces(report, phase, FORBIDDEN)))
    if not workers:
        check(report["syscalls"][WORKERS] == 0, "calls on workers with threads 1: %s"
              % report["syscalls"])
        return
    check(report["syscalls"][WORKERS] >= steady_periods > 0,
          "%d calls through syscall() on the workers in all, fewer than the %d periods "
          "of steady state: is a worker still named dspd-workN?"
          % (report["syscalls"][WORKERS], steady_periods))
    for phase in CHECKED_PHASES + ("late", "shutdown"):
        bad = {cat: category_total(report, phase, cat, WORKERS) for cat in CATEGORIES}
        if any(bad.values()):
            raise Failure("heap calls on a worker in phase %s: %s\n%s"
                          % (phase, bad, format_traces(report, phase, thread=WORKERS)))


def test_rt_thread_allocation_free():
    return run_alloc_check("rt-alloc", {})


def test_rt_thread_allocation_free_resampled():
    """The same with the capture at 44.1 kHz through the resampler, its
    ratio steered (libsamplerate on the RT thread, reset at the stall's
    re-sync)."""
    return run_alloc_check("rt-alloc-rs", {"rate_adjust": {"enabled": True}},
                           capture_rate=44100)


def test_rt_and_worker_allocation_free():
    """threads 2, the pipeline split between the RT thread and worker 1:
    neither allocates (the RT thread but for the test device)."""
    return run_alloc_check("rt-alloc-par", {"threads": 2}, workers=True)


def run_alloc_check(name, extra, capture_rate=None, workers=False):
    if sanitizer_build(Paths.dspd):
        return "skipped: the sanitizer runtimes own malloc"
    check(os.path.exists(INTERPOSER), "%s missing: make %s"
          % (INTERPOSER, os.path.relpath(INTERPOSER, ROOT)))
    d = CountedDaemon(name, rate=RATE, period=PERIOD, periods=8)
    d.cfg["capture"]["device"] = device("dspdtest", control=d.control_path, signal="sine")
    if capture_rate:
        d.cfg["capture"]["rate"] = capture_rate
    d.cfg.update(extra)
    d.cfg["loudness"] = {"tap": "playback"}
    d.cfg["pipeline"] = parallel_pipeline(d) if workers else PIPELINE
    d.write_config(d.cfg)
    if workers:
        d.extra_env = {"DSPD_TEST_HOOKS": "1"}     # test.stall_worker: "late"
    try:
        d.start(wait=False)
        wait_running(d)
        c = RpcClient(d.socket)
        played0 = wait_status(c, lambda st: st["frames"]["played"] >= RATE // 2,
                              "half a second played")["frames"]["played"]
        d.phase("steady")
        run_steady(c)
        st = c.call("status")
        steady_periods = (st["frames"]["played"] - played0) // PERIOD
        if workers:
            w = worker_ran(st)
            print("    steady: %d periods of %d; worker 1 busy p50 %.1f us, max %.1f us; "
                  "late periods %d" % (steady_periods, PERIOD, w["p50_us"], w["max_us"],
                                       st["late_periods"]))
        d.phase("stall")
        run_stall(d, c)
        if workers:
            d.phase("late")
            late = run_late(c)
            print("    late: %d late periods" % late)
        d.phase("shutdown")
        c.close()
        d.stop()
        report = d.alloc_report()
        summarize(report, (RT_THREAD, WORKERS) if workers else (RT_THREAD,))
        check_report(report, workers, steady_periods)
    finally:
        d.cleanup()
