#!/usr/bin/env python3
"""bench_parallel.py - the whole `dspd --render` command on 8 channels x
262144 taps, on 1 and 2 threads, against BruteFIR's whole command on the
same input with the same partition (issue 19).

Eight different 262144-tap IRs (decaying noise) and an 8-channel float32
noise input of --seconds of audio are generated into a temporary directory;
both programs read the same raw FLOAT_LE files and write to /dev/null.

The figure is the wall time of the whole process, start to exit: loading
the IRs, FFT planning (with warm FFTW wisdom), processing and exit.  Both
programs keep FFTW wisdom: BruteFIR in its convolver_config file, dspd in
its fftw_wisdom key; each configuration runs once untimed first (that run
writes the wisdom and warms the page cache), then --runs timed runs with
the programs taking turns, best kept.  BruteFIR runs as configured by
default: it forks one filter process per CPU.  dspd runs with the
top-level "threads" key at 1 and 2.

Cases (--cases, default uniform:8192,non_uniform:1024):
  uniform:P      dspd's fir with "partitioning": "uniform", partition P,
                 against BruteFIR with filter_length P,262144/P;
  non_uniform:P  dspd's fir with "partitioning": "non_uniform" (first
                 partitions of P frames, then larger ones).  BruteFIR has
                 no non-uniform mode: the anchor is BruteFIR uniform with
                 the same first partition P (the same latency), and the
                 column "vs BF u8192" compares with BruteFIR's fastest
                 case measured here (uniform 8192), if it was run.
dspd's period (and so its render block) is the partition.

Printed per rate, for each program's best run: wall seconds; multiple of
real time; the ratio to BruteFIR (the anchor, measured in the same
invocation) and to BruteFIR uniform 8192; dspd's kernel-only multiple of
real time from its own "rendered ... in X s" line (processing alone,
beside the whole-command figure, never instead of it); the whole command
on an input of 8192 frames (start-up and exit: loading, planning, writing
the wisdom; best of --runs too); the CPU seconds of the
command's whole process tree (BruteFIR's forked filter processes
included: this script is their subreaper); and the other load on the
machine meanwhile, in CPUs (/proc/stat minus the command's own), to show
when a figure was taken on a busy machine (a warning when it exceeds 0.25
CPUs in any best run).  Then the scaling from 1 to 2 threads and the issue's goals (>= 2x BruteFIR's wall-time multiple with 2
threads, scaling >= 1.8x), met or not.

usage: bench/bench_parallel.py [--seconds S] [--runs N] [--rates R,R]
                               [--cases uniform:8192,non_uniform:1024]
                               [--threads 1,2] [--dspd PATH]"""
import argparse
import array
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

CHANNELS = 8
TAPS = 262144
GOAL_VS_BRUTEFIR = 2.0
GOAL_SCALING = 1.8
BUSY_MACHINE = 0.25         # other load (CPUs) above which the figures are flagged
TINY_FRAMES = 8192          # the start-up run: one block of the largest partition
RENDERED = re.compile(r"rendered (\d+) frames \(([0-9.]+) s of audio\) in ([0-9.]+) s")


def write_irs(work):
    """Eight different decaying-noise IRs, raw FLOAT_LE (about -68 dB at
    the end); levels keep the output below BruteFIR's safety limit."""
    rnd = random.Random(19)
    paths = []
    for c in range(CHANNELS):
        r = rnd.random
        taps = array.array("f", bytes(4 * TAPS))
        env, decay = 0.01, 0.99997
        for i in range(TAPS):
            taps[i] = (r() * 2 - 1) * env
            env *= decay
        taps[0] = 0.25
        path = os.path.join(work, "ir%d.raw" % c)
        with open(path, "wb") as f:
            taps.tofile(f)
        paths.append(path)
    return paths


def write_input(work, rate, frames, name):
    """frames of 8-channel noise: one second of noise, repeated (the cost
    of a convolution does not depend on the signal)."""
    r = random.Random(rate).random
    block = array.array("f", [r() - 0.5 for _ in range(rate * CHANNELS)]).tobytes()
    path = os.path.join(work, "%s-%d.raw" % (name, rate))
    with open(path, "wb") as f:
        whole, part = divmod(frames, rate)
        for _ in range(whole):
            f.write(block)
        f.write(block[:part * CHANNELS * 4])
    return path


BRUTEFIR_HEAD = """float_bits: 32;
sampling_rate: {rate};
filter_length: {partition},{blocks};
overflow_warnings: false;
show_progress: false;
lock_memory: false;
convolver_config: "{dir}/bf-wisdom-{partition}";
"""


def brutefir_cmd(work, irs, inp, rate, partition):
    text = BRUTEFIR_HEAD.format(rate=rate, partition=partition, blocks=TAPS // partition,
                                dir=work)
    for c, ir in enumerate(irs):
        text += 'coeff %d { filename: "%s"; format: "FLOAT_LE"; };\n' % (c, ir)
    ports = ",".join(str(c) for c in range(CHANNELS))
    text += ('input %s { device: "file" { path: "%s"; }; sample: "FLOAT_LE"; channels: %d; };\n'
             % (ports, inp, CHANNELS))
    text += ('output %s { device: "file" { path: "/dev/null"; }; sample: "FLOAT_LE"; '
             'channels: %d; };\n' % (ports, CHANNELS))
    for c in range(CHANNELS):
        text += "filter %d { from_inputs: %d; to_outputs: %d; coeff: %d; };\n" % (c, c, c, c)
    path = os.path.join(work, "bf-%d-%d-%s.conf" % (rate, partition, os.path.basename(inp)))
    with open(path, "w") as f:
        f.write(text)
    return ["brutefir", path], None


def dspd_cmd(dspd, work, irs, inp, rate, partitioning, partition, threads):
    cfg = {
        "rate": rate, "period_frames": partition, "threads": threads,
        "capture": {"device": "null", "channels": CHANNELS, "format": "FLOAT_LE"},
        "playback": {"device": "null", "channels": CHANNELS, "format": "FLOAT_LE"},
        "fftw_wisdom": os.path.join(work, "dspd-wisdom"),
        "pipeline": [{"type": "fir", "name": "ch%d" % c, "channels": [c], "path": ir,
                      "format": "f32le", "partition": partition,
                      "partitioning": partitioning, "max_taps": TAPS}
                     for c, ir in enumerate(irs)],
    }
    path = os.path.join(work, "dspd-%d-%s-%d-%d.conf" % (rate, partitioning, partition, threads))
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return [dspd, "-c", path, "--render", "-", "-"], inp


def cpu_jiffies():
    """Busy jiffies of the whole machine."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - (v[4] if len(v) > 4 else 0)


def become_subreaper():
    """Orphaned descendants (BruteFIR's filter processes) are reparented
    to this process, so that their CPU time is counted when reaped."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:           # PR_SET_CHILD_SUBREAPER
        sys.exit("bench_parallel: prctl(PR_SET_CHILD_SUBREAPER) failed")


def tree_cpu():
    """CPU seconds of every descendant reaped so far."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def reap_all():
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def run_once(cmd, stdin_path, env):
    """One whole command: (wall seconds, CPU seconds of its process tree,
    CPUs kept busy by other processes meanwhile, kernel seconds from
    dspd's "rendered" line or None).  The wall time ends when the command
    and every process holding its stderr have exited."""
    src = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        reap_all()
        cpu0, busy0 = tree_cpu(), cpu_jiffies()
        t0 = time.monotonic()
        r = subprocess.run(cmd, stdin=src, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        wall = time.monotonic() - t0
        busy1 = cpu_jiffies()
        reap_all()
        cpu = tree_cpu() - cpu0
    finally:
        if stdin_path:
            src.close()
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0:
        sys.exit("bench_parallel: %s failed (exit %d):\n%s" % (" ".join(cmd), r.returncode,
                                                              err[-2000:]))
    m = RENDERED.search(err)
    kernel = float(m.group(3)) if m else None
    others = max(0.0, (busy1 - busy0) / os.sysconf("SC_CLK_TCK") - cpu) / wall
    return wall, cpu, others, kernel


def measure(programs, runs, env):
    """programs: [(key, (cmd, stdin))].  One untimed run each (wisdom,
    page cache), then runs rounds with the programs taking turns, so a
    burst of load elsewhere does not land on one of them only.
    Returns {key: run_once()'s figures} of each one's best run."""
    for _, (cmd, stdin) in programs:
        run_once(cmd, stdin, env)
    best = {}
    for _ in range(runs):
        for key, (cmd, stdin) in programs:
            res = run_once(cmd, stdin, env)
            if key not in best or res[0] < best[key][0]:
                best[key] = res
    return best


def parse_cases(text):
    cases = []
    for item in text.split(","):
        kind, _, part = item.partition(":")
        if kind not in ("uniform", "non_uniform") or not part.isdigit() \
                or not 16 <= int(part) <= 65536 or TAPS % int(part):
            sys.exit("bench_parallel: bad case %r (uniform:P or non_uniform:P, P a power "
                     "of two in 16..65536)" % item)
        cases.append((kind, int(part)))
    return cases


def bench_rate(args, work, irs, rate, env):
    inp = write_input(work, rate, int(round(args.seconds * rate)), "in")
    tiny = write_input(work, rate, TINY_FRAMES, "tiny")
    audio = args.seconds
    partitions = sorted({p for _, p in args.cases})
    programs = []
    for p in partitions:
        programs.append((("bf", p), brutefir_cmd(work, irs, inp, rate, p)))
        programs.append((("bf", p, "tiny"), brutefir_cmd(work, irs, tiny, rate, p)))
    for kind, p in args.cases:
        for t in args.threads:
            cmd, _ = dspd_cmd(args.dspd, work, irs, inp, rate, kind, p, t)
            programs.append((("dspd", kind, p, t), (cmd, inp)))
            programs.append((("dspd", kind, p, t, "tiny"), (cmd, tiny)))
    best = measure(programs, args.runs, env)
    for path in (inp, tiny):
        os.unlink(path)

    print("\n%d channels x %d taps (8 different IRs), %g s of %d Hz float audio, raw file "
          "to /dev/null; whole command, best of %d after one untimed run each"
          % (CHANNELS, TAPS, audio, rate, args.runs))
    head = "%-17s %-26s %6s %6s %8s %6s %7s %6s %6s %6s"
    print(head % ("case", "program", "wall", "x rt", "vs BF", "vs BF", "kernel", "start", "CPU",
                  "other"))
    print(head % ("", "", "s", "", "(anchor)", "u8192", "x rt", "+exit", "s", "load"))
    print(head % ("", "", "", "", "", "", "", "s", "", "CPUs"))
    row = "%-17s %-26s %6.3f %6.2f %7.2fx %6s %7s %6s %6.2f %6.2f"
    bf8192 = best.get(("bf", 8192))
    figures = {}
    for kind, p in args.cases:
        case = "%s %d" % (kind, p)
        bf = best["bf", p]
        label = "BruteFIR (anchor)" if kind == "uniform" else "BruteFIR uniform (anchor)"
        print(row % (case, label, bf[0], audio / bf[0], 1.0,
                     "%5.2fx" % (bf8192[0] / bf[0]) if bf8192 else "-", "-",
                     "%6.3f" % best["bf", p, "tiny"][0], bf[1], bf[2]))
        for t in args.threads:
            d = best["dspd", kind, p, t]
            figures[kind, p, t] = d
            print(row % (case, "dspd --render, threads %d" % t, d[0], audio / d[0],
                         bf[0] / d[0], "%5.2fx" % (bf8192[0] / d[0]) if bf8192 else "-",
                         "%7.2f" % (audio / d[3]) if d[3] else "?",
                         "%6.3f" % best["dspd", kind, p, t, "tiny"][0], d[1], d[2]))
    others = max(v[2] for k, v in best.items() if k[-1] != "tiny")
    if others > BUSY_MACHINE:
        print("WARNING: other processes kept up to %.2f CPUs busy during these runs: the "
              "figures (above all the scaling and BruteFIR's) are not those of an idle machine"
              % others)
    if 1 in args.threads and 2 in args.threads:
        print("scaling 1 -> 2 threads (goal >= %.1fx on the whole command):" % GOAL_SCALING)
        for kind, p in args.cases:
            one, two = figures[kind, p, 1], figures[kind, p, 2]
            kernel = ("%.2fx" % (one[3] / two[3])) if one[3] and two[3] else "?"
            print("  %-17s whole command %.2fx, kernel %s" % ("%s %d" % (kind, p),
                                                             one[0] / two[0], kernel))
    return best, figures


def goals(args, results):
    """The issue's goals, on the uniform cases, from this run."""
    if 2 not in args.threads:
        return
    print("\ngoals of issue 19 (whole command, this run):")
    for rate, (best, figures) in results:
        for kind, p in args.cases:
            if kind != "uniform":
                continue
            two, bf = figures[kind, p, 2], best["bf", p]
            vs = bf[0] / two[0]
            line = "  %6d Hz %s %d: dspd 2 threads %.2fx BruteFIR (goal >= %.1fx: %s)" % (
                rate, kind, p, vs, GOAL_VS_BRUTEFIR, "met" if vs >= GOAL_VS_BRUTEFIR else
                "NOT met")
            if 1 in args.threads:
                sc = figures[kind, p, 1][0] / two[0]
                line += "; scaling %.2fx (goal >= %.1fx: %s)" % (
                    sc, GOAL_SCALING, "met" if sc >= GOAL_SCALING else "NOT met")
            print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dspd", default="daemon/dspd")
    ap.add_argument("--seconds", type=float, default=10, help="audio per run (default 10)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs, best kept (default 3)")
    ap.add_argument("--rates", default="192000,48000")
    ap.add_argument("--cases", default="uniform:8192,non_uniform:1024")
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    args.cases = parse_cases(args.cases)
    args.threads = [int(t) for t in args.threads.split(",")]
    rates = [int(r) for r in args.rates.split(",")]
    if args.seconds <= 0 or args.runs < 1:
        sys.exit("bench_parallel: --seconds and --runs must be positive")
    if not shutil.which("brutefir"):
        sys.exit("bench_parallel: brutefir is not installed (apt-get install brutefir)")
    args.dspd = os.path.abspath(args.dspd)
    work = tempfile.mkdtemp(prefix="bench_parallel.")
    env = dict(os.environ, HOME=work)      # BruteFIR's ~/.brutefir_defaults
    become_subreaper()
    try:
        irs = write_irs(work)
        print("BruteFIR forks one filter process per CPU (%d CPUs online) and has no "
              "non-uniform mode; dspd's period = the partition" % os.cpu_count())
        results = []
        for rate in rates:
            results.append((rate, bench_rate(args, work, irs, rate, env)))
        goals(args, results)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
