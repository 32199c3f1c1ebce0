#!/bin/sh
# bench/run.sh - dspd's benchmarks (make bench).  Each prints its figures as
# ratios against an anchor measured in the same invocation.
set -eu
cd "$(dirname "$0")/.."
echo "== vectorisation: loops of the RT kernels the compiler vectorised (release flags)"
make -s vec-report
echo "== bench_period: RT per-period work vs memcpy anchor"
build/rel/bench/bench_period
python3 bench/bench_control.py
echo "== bench_eq: 10-band PEQ, dspd --render vs sox"
python3 bench/bench_eq.py
echo "== bench_biquad: 10-band PEQ kernel vs copy anchor"
build/rel/bench/bench_biquad
echo "== bench_pipeline: reference pipeline per period, graph vs its blocks alone"
build/rel/bench/bench_pipeline
echo "== bench_fir: 65536-tap stereo FIR vs BruteFIR"
python3 bench/bench_fir.py
echo "== bench_parallel: 8 channels x 262144 taps, whole dspd --render on 1 and 2 threads vs BruteFIR"
python3 bench/bench_parallel.py
echo "== bench_resampler: capture resampler quality and speed vs interleave+copy anchor"
build/rel/bench/bench_resampler
echo "== bench_source: source switch time (both modes) vs one period; volume link latency vs a socket round trip"
ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$PWD/build/alsa/tests.conf python3 bench/bench_source.py
echo "== bench_latency: smallest stable buffering, dspd (reference pipeline) vs bare passthrough and alsaloop; RT time at period 256; RSS"
python3 bench/bench_latency.py
echo "== bench_parallel_live: 8 channels x 65536 taps at period 1024, RT busy on 1 vs 2 threads"
python3 bench/bench_parallel_live.py
