#!/usr/bin/env python3
"""run.py - run dspd's end-to-end tests.

    python3 tests/e2e/run.py [--dspd PATH] [--dspctl PATH] [--quick] [NAME...]

Prints one line per test and ends with "N passed, M failed"."""

import argparse
import importlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

MODULES = ["test_engine", "test_eq", "test_filters", "test_control", "test_hostile", "test_hostile_requests", "test_subscriptions", "test_load", "test_methods", "test_permissions", "test_render", "test_loudness", "test_rt_alloc", "test_rt_syscalls", "test_live", "test_faults", "test_ladspa", "test_clocks", "test_source", "test_volume_link", "test_smoke", "test_systemd", "test_monitoring", "test_parallel", "test_example_crossover", "test_parallel_late", "test_web", "test_response"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dspd", default=harness.Paths.dspd)
    ap.add_argument("--dspctl", default=harness.Paths.dspctl)
    ap.add_argument("--quick", action="store_true", help="short runs, for sanitizer builds")
    ap.add_argument("names", nargs="*", help="run only tests whose name (module.function) contains one of these")
    args = ap.parse_args()
    harness.Paths.dspd = os.path.abspath(args.dspd)
    harness.Paths.dspctl = os.path.abspath(args.dspctl)
    harness.Paths.quick = args.quick

    tests = []
    for m in MODULES:
        mod = importlib.import_module(m)
        for name in sorted(dir(mod)):
            if name.startswith("test_") and callable(getattr(mod, name)):
                if not args.names or any(n in m + "." + name for n in args.names):
                    tests.append((m, name, getattr(mod, name)))
    passed = failed = skipped = 0
    for m, name, fn in tests:
        t0 = time.monotonic()
        try:
            result = fn()
            if isinstance(result, str) and result.startswith("skipped"):
                skipped += 1
                print("SKIP %s.%s (%s)" % (m, name, result), flush=True)
                continue
            passed += 1
            print("PASS %s.%s (%.1f s)" % (m, name, time.monotonic() - t0), flush=True)
        except Exception as e:
            failed += 1
            print("FAIL %s.%s (%.1f s): %s" % (m, name, time.monotonic() - t0, e), flush=True)
            if not isinstance(e, harness.Failure):
                traceback.print_exc()
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
