#!/usr/bin/env python3
"""bench_fir.py - dspd's "fir" block against BruteFIR, same run, same files.

A 65536-tap IR on both channels of a stereo float32 file, partitions of 1024
and 4096 frames, rendered from a file to /dev/null as fast as each program
goes.  dspd's side is build/rel/bench/bench_fir (the block as the daemon
builds it, from a config text); BruteFIR reads and writes the same raw
FLOAT_LE files.  Each program runs on a long and a short input (best of
--runs each, the programs taking turns) and throughput is (long - short
frames) / (long - short seconds), so start-up (FFT planning, loading)
cancels out.  The machine should be otherwise idle.

BruteFIR is measured twice: as configured by default (it puts the two
filters in two processes, i.e. on both CPUs) and with both filters in one
process (one CPU, like dspd's single RT thread).  Figures are printed as
multiples of real time at 48 kHz and as ratios to BruteFIR.

dspd is also run with its plain SSE2 inner loops instead of the AVX2+FMA
ones picked at run time, to show what the vector width buys.

Then the whole `dspd --render` command (60 s of stereo, partition 4096),
without FFTW wisdom and with the wisdom its first run wrote at exit, as a
ratio to BruteFIR's whole command with its wisdom (--render-only: that
alone).  Then the per-period cost at period 64 (uniform vs non-uniform),
from `bench_fir periods`.

usage: bench/bench_fir.py [--driver PATH] [--seconds S] [--runs N]"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

RATE = 48000
TAPS = 65536
SHORT_SECONDS = 2

BRUTEFIR_CONF = """float_bits: 32;
sampling_rate: {rate};
filter_length: {partition},{blocks};
overflow_warnings: false;
show_progress: false;
lock_memory: false;
convolver_config: "{dir}/wisdom-{partition}";
coeff 0 {{ filename: "{dir}/ir.raw"; format: "FLOAT_LE"; }};
input 0, 1 {{ device: "file" {{ path: "{input}"; }}; sample: "FLOAT_LE"; channels: 2; }};
output 0, 1 {{ device: "file" {{ path: "/dev/null"; }}; sample: "FLOAT_LE"; channels: 2; }};
filter 0 {{ from_inputs: 0; to_outputs: 0; coeff: 0;{process} }};
filter 1 {{ from_inputs: 1; to_outputs: 1; coeff: 0;{process} }};
"""


def timed(cmd, env=None):
    t0 = time.monotonic()
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit("bench_fir: %s failed:\n%s" % (" ".join(cmd), r.stderr.decode()))
    return elapsed


def best_times(programs, runs, env):
    """Best time of each program on each input; the programs take turns,
    so a burst of load elsewhere does not land on one of them only."""
    best = {}
    for _ in range(runs):
        for label, make in programs:
            for which in ("short", "long"):
                t = timed(make(which), env)
                best[label, which] = min(best.get((label, which), t), t)
    return best


def brutefir_cmd(work, partition, which, one_process):
    path = os.path.join(work, "bf-%d-%s-%d.conf" % (partition, which, one_process))
    with open(path, "w") as f:
        f.write(BRUTEFIR_CONF.format(rate=RATE, partition=partition,
                                     blocks=TAPS // partition, dir=work,
                                     input=os.path.join(work, "in-%s.raw" % which),
                                     process=" process: 0;" if one_process else ""))
    return ["brutefir", path]


def dspd_cmd(driver, work, partition, which, partitioning, kernel=None):
    return [driver, "render", os.path.join(work, "ir.raw"),
            os.path.join(work, "in-%s.raw" % which), "/dev/null",
            str(partition), partitioning] + ([kernel] if kernel else [])


RENDER_CONF = """{{
 "rate": {rate}, "period_frames": 1024,
 "capture":  {{"device": "null", "channels": 2, "format": "FLOAT_LE"}},
 "playback": {{"device": "null", "channels": 2, "format": "FLOAT_LE"}},
 "fftw_wisdom": "{wisdom}",
 "pipeline": [{{"type": "fir", "name": "room", "path": "ir.raw", "format": "f32le",
               "partition": {partition}, "max_taps": {taps}}}]
}}
"""


def render_with_wisdom(driver, dspd, work, runs, env):
    """The whole `dspd --render` command, 60 s of stereo through the
    65536-tap FIR at partition 4096: without FFTW wisdom (every run plans
    again, as before issue 18) and with the wisdom the first run wrote.
    Anchor: BruteFIR's whole command on the same input, with its wisdom."""
    seconds, partition = 60, 4096
    inp = os.path.join(work, "in-render.raw")
    subprocess.run([driver, "noise", inp, str(seconds * RATE), "2"], check=True)
    wisdom = os.path.join(work, "render-wisdom")
    conf = os.path.join(work, "render.conf")
    with open(conf, "w") as f:
        f.write(RENDER_CONF.format(rate=RATE, wisdom=wisdom, partition=partition, taps=TAPS))

    def render():
        with open(inp, "rb") as src:
            t0 = time.monotonic()
            r = subprocess.run([dspd, "-c", conf, "--render", "-", "-"], stdin=src,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            elapsed = time.monotonic() - t0
        if r.returncode != 0:
            sys.exit("bench_fir: dspd --render failed:\n%s" % r.stderr.decode())
        return elapsed

    bf = brutefir_cmd(work, partition, "render", True)    # reads in-render.raw
    timed(bf, env)                      # its wisdom, once
    cold, warm, anchor = [], [], []
    for _ in range(runs):
        if os.path.exists(wisdom):
            os.unlink(wisdom)
        cold.append(render())           # plans, writes the wisdom at exit
        check_written = os.path.exists(wisdom)
        warm.append(render())           # reads it
        anchor.append(timed(bf, env))
        if not check_written:
            sys.exit("bench_fir: dspd --render wrote no FFTW wisdom")
    a = min(anchor)
    print("\ndspd --render, whole command: %d s stereo, %d taps, partition %d, best of %d"
          % (seconds, TAPS, partition, runs))
    print("%-40s %8s %12s" % ("", "seconds", "vs BruteFIR"))
    print("%-40s %8.3f %11.2fx" % ("BruteFIR 1 process, with wisdom (anchor)", a, 1.0))
    print("%-40s %8.3f %11.2fx" % ("dspd --render, no wisdom", min(cold), min(cold) / a))
    print("%-40s %8.3f %11.2fx" % ("dspd --render with wisdom", min(warm), min(warm) / a))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--driver", default="build/rel/bench/bench_fir")
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dspd", default="daemon/dspd")
    ap.add_argument("--render-only", action="store_true",
                    help="only the --render whole-command figures")
    args = ap.parse_args()
    if not shutil.which("brutefir"):
        sys.exit("bench_fir: brutefir is not installed (apt-get install brutefir)")
    driver = os.path.abspath(args.driver)
    work = tempfile.mkdtemp(prefix="bench_fir.")
    env = dict(os.environ, HOME=work)    # BruteFIR's ~/.brutefir_defaults
    frames = {"short": SHORT_SECONDS * RATE, "long": args.seconds * RATE}
    try:
        subprocess.run([driver, "ir", os.path.join(work, "ir.raw"), str(TAPS)], check=True)
        if args.render_only:
            subprocess.run([driver, "ir", os.path.join(work, "ir.raw"), str(TAPS)], check=True)
            render_with_wisdom(driver, os.path.abspath(args.dspd), work, args.runs, env)
            return
        for which, n in frames.items():
            subprocess.run([driver, "noise", os.path.join(work, "in-%s.raw" % which),
                            str(n), "2"], check=True)
        print("65536-tap stereo FIR, %d s of 48 kHz float audio, file to /dev/null,"
              " best of %d" % (args.seconds, args.runs))
        print("%-9s %-32s %12s %10s %10s" % ("partition", "program", "x realtime",
                                             "vs BF 2cpu", "vs BF 1cpu"))
        for partition in (1024, 4096):
            timed(brutefir_cmd(work, partition, "short", False), env)  # FFTW wisdom
            programs = (
                ("BruteFIR (2 processes)",
                 lambda w: brutefir_cmd(work, partition, w, False)),
                ("BruteFIR (1 process)",
                 lambda w: brutefir_cmd(work, partition, w, True)),
                ("dspd fir non_uniform",
                 lambda w: dspd_cmd(driver, work, partition, w, "non_uniform")),
                ("dspd fir uniform",
                 lambda w: dspd_cmd(driver, work, partition, w, "uniform")),
                ("dspd fir non_uniform, SSE2 loops",
                 lambda w: dspd_cmd(driver, work, partition, w, "non_uniform",
                                    "generic")))
            best = best_times(programs, args.runs, env)
            results = []
            for label, _ in programs:
                seconds = max(best[label, "long"] - best[label, "short"], 1e-9)
                results.append((label, (frames["long"] - frames["short"]) / seconds))
            bf2, bf1 = results[0][1], results[1][1]
            for label, fps in results:
                print("%-9d %-32s %12.1f %9.2fx %9.2fx" % (partition, label, fps / RATE,
                                                          fps / bf2, fps / bf1))
        render_with_wisdom(driver, os.path.abspath(args.dspd), work, args.runs, env)
        print("\nper-period cost, 65536 taps, stereo, period 64:")
        sys.stdout.flush()
        subprocess.run([driver, "periods", os.path.join(work, "ir.raw"), "64", "21"],
                       check=True)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
