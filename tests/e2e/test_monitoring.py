"""What a monitoring system reads: `dspctl stats --prometheus` checked by
promtool (Debian's prometheus package) on the real output of a running
dspd, in every state the test device can drive it into, its families
against dspctl(1), and the peak-hold meter after the signal stops.

The source is the test device's S/PDIF-like "stream" (tests/alsa/README.md,
"What the source does to the capture": silence while stopped), the
capture is resampled (rate_adjust) so that the clock families are printed
too."""
import os
import re
import shutil
import subprocess
import time

from harness import ROOT, check
from test_source import source_daemon

# every state status (and stats) can report: docs/protocol.md, status.state
STATE_LINE = re.compile(r'"state": "running",\s*// (.*)')
# a family in dspctl(1), PROMETHEUS METRICS: .BR name{labels} " (type)"
MAN_FAMILY = re.compile(r'^\.BR (dspd_[a-z0-9_]+)(?:\{([a-z,]*)\})? " \((gauge|counter)\)"$')
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')


def documented_states():
    with open(os.path.join(ROOT, "docs", "protocol.md")) as f:
        m = STATE_LINE.search(f.read())
    check(m, "docs/protocol.md: no status.state line")
    return [s.strip() for s in m.group(1).split("|")]


def man_families():
    """{name: (type, [labels])} from dspctl(1)'s PROMETHEUS METRICS."""
    with open(os.path.join(ROOT, "man", "dspctl.1")) as f:
        lines = f.read().splitlines()
    check(".SH PROMETHEUS METRICS" in lines, "dspctl(1) has no PROMETHEUS METRICS section")
    fams = {}
    for line in lines[lines.index(".SH PROMETHEUS METRICS") + 1:]:
        if line.startswith(".SH"):
            break
        m = MAN_FAMILY.match(line)
        if m:
            check(m.group(1) not in fams, "dspctl(1) lists %s twice" % m.group(1))
            fams[m.group(1)] = (m.group(3), sorted(filter(None, (m.group(2) or "").split(","))))
    return fams


def parse(text):
    """{name: {"help", "type", "samples": [(labels dict, value)]}}; every
    sample line belongs to the family its HELP/TYPE lines opened."""
    fams = {}
    current = None
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            _, kind, name, rest = line.split(" ", 3)
            current = fams.setdefault(name, {"samples": []})
            current[kind.lower()] = rest
            continue
        m = SAMPLE.match(line)
        check(m, "not a sample line: %r" % line)
        check(current is not None and m.group(1) == current_name(fams, current),
              "sample %r outside its family" % line)
        labels = dict(re.findall(r'([a-z_]+)="([^"]*)"', m.group(2) or ""))
        current["samples"].append((labels, float(m.group(3))))
    return fams


def current_name(fams, current):
    return next(n for n, f in fams.items() if f is current)


def promtool_clean(text, what):
    """promtool check metrics: exit 0 and not one finding."""
    check(shutil.which("promtool"), "promtool missing (Debian package prometheus; tests/install-deps.sh)")
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(),
          "promtool check metrics (%s): rc %d\n%s%s\n--- output:\n%s"
          % (what, p.returncode, p.stdout, p.stderr, text))


def scrape(d, what, expect_rc=0):
    p = d.ctl("stats", "--prometheus", json_out=False, expect_rc=expect_rc)
    promtool_clean(p.stdout, what)
    return parse(p.stdout)


def one_hot(fams, want, what):
    states = documented_states()
    series = {labels["state"]: v for labels, v in fams["dspd_state"]["samples"]}
    check(sorted(series) == sorted(states),
          "%s: dspd_state series %s, docs/protocol.md states %s" % (what, sorted(series), states))
    on = [s for s, v in series.items() if v == 1.0]
    check(on == [want] and all(v in (0.0, 1.0) for v in series.values()),
          "%s: dspd_state %s, want %s alone at 1" % (what, series, want))


def wait_state(d, want, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        st = d.ctl("status")["state"]
        if st == want:
            return
        check(time.monotonic() < deadline, "state %s, want %s" % (st, want))
        time.sleep(0.05)


def monitored_daemon(name, silence=True):
    extra = {"rate_adjust": {"enabled": True}}
    if silence:
        extra["silence"] = {"seconds": 1.0, "threshold_db": -70}
    return source_daemon(name, kind="stream", mode=None, signal="sine", fmt="FLOAT_LE",
                         extra=extra)


def test_prometheus_promtool_clean_in_every_state():
    """running (with the clock families), idle, waiting for a lost device,
    back to running, and dspd gone: each output passes promtool with no
    finding, dspd_state has a series for every documented state and only
    the current one is 1; stats says the state status says."""
    d = monitored_daemon("prom")
    try:
        d.start()
        d.device_command("source rate 48000")
        time.sleep(0.5)
        fams = scrape(d, "running")
        one_hot(fams, "running", "running")
        for fam in ("dspd_clock_drift_ppm", "dspd_period_busy_max_seconds",
                    "dspd_level_peak_hold_dbfs"):
            check(fam in fams, "running: no %s" % fam)
        # base units: the 99th percentile of a period's work is well under
        # a period (21 ms), in seconds
        busy = fams["dspd_period_busy_p99_seconds"]["samples"][0][1]
        check(0 < busy < 1024 / 48000.0, "busy p99 %s s" % busy)

        d.device_command("source stop")
        wait_state(d, "idle")
        check(d.ctl("stats")["state"] == "idle", "stats.state on silence: %s" % d.ctl("stats")["state"])
        one_hot(scrape(d, "idle"), "idle", "idle")

        d.device_command("source start")
        wait_state(d, "running")
        d.device_command("vanish 0")
        wait_state(d, "waiting")
        fams = scrape(d, "waiting")
        one_hot(fams, "waiting", "waiting")
        check(fams["dspd_device_losses_total"]["samples"][0][1] == 1.0,
              "device losses %s" % fams["dspd_device_losses_total"])

        d.device_command("return")
        wait_state(d, "running")
        one_hot(scrape(d, "back"), "running", "after the return")
        d.stop()
        fams = scrape(d, "dspd gone", expect_rc=3)
        check(list(fams) == ["dspd_up"] and fams["dspd_up"]["samples"] == [({}, 0.0)],
              "unreachable: %s" % fams)
    finally:
        d.cleanup()


def test_prometheus_families_match_dspctl_man():
    """Every family printed is in dspctl(1) PROMETHEUS METRICS with its type
    and labels, and every family listed there is printed (all of them
    are, with a resampled capture)."""
    man = man_families()
    check(man, "dspctl(1) lists no family")
    d = monitored_daemon("prom-man", silence=False)
    try:
        d.start()
        d.device_command("source rate 48000")
        time.sleep(0.3)
        fams = scrape(d, "running")
    finally:
        d.cleanup()
    printed = {}
    for name, f in fams.items():
        check("help" in f and "type" in f and f["samples"], "%s: HELP, TYPE and samples %s" % (name, f))
        printed[name] = (f["type"], sorted({k for labels, _ in f["samples"] for k in labels}))
    missing = sorted(set(printed) - set(man))
    unprinted = sorted(set(man) - set(printed))
    check(not missing, "printed but not in dspctl(1): %s" % missing)
    check(not unprinted, "in dspctl(1) but not printed: %s" % unprinted)
    for name in printed:
        check(printed[name] == man[name], "%s: printed %s, dspctl(1) says %s"
              % (name, printed[name], man[name]))


def test_peak_hold_falls_after_the_signal_stops():
    """levels.peak_hold_dbfs holds the highest peak of the last 2 s
    (ENG_PEAK_HOLD_MS): after the sine (-6 dBFS) stops it stays up while
    peak_dbfs is already at the floor, and falls to the floor once 2 s
    have passed."""
    d = monitored_daemon("peak-hold", silence=False)
    try:
        d.start()
        d.device_command("source rate 48000")
        time.sleep(1.0)
        before = d.ctl("levels")
        for side in ("capture", "playback"):
            for ch in before[side]:
                check(abs(ch["peak_hold_dbfs"] - -6.0) < 0.5, "%s before the stop: %s" % (side, ch))
        d.device_command("source stop")
        t0 = time.monotonic()
        rows = []
        while time.monotonic() - t0 < 3.5:
            time.sleep(0.1)
            before = time.monotonic() - t0
            lv = d.ctl("levels")
            rows.append((before, time.monotonic() - t0, lv))
        period_s = 1024 / 48000.0
        # the reading was taken between `before` and `after`; the sine
        # stops within a period of the command
        for before, after, lv in rows:
            for side in ("capture", "playback"):
                for ch in lv[side]:
                    # each dspctl call is a new connection: peak over the last 300 ms
                    if before > 0.3 + 2 * period_s + 0.1:
                        check(ch["peak_dbfs"] == -200.0, "%.2f s: %s peak %s" % (before, side, ch))
                    if after < 2.0 - 0.05:
                        check(abs(ch["peak_hold_dbfs"] - -6.0) < 0.5,
                              "%.2f s after the stop the hold already fell: %s %s" % (after, side, ch))
                    if before > 2.0 + 2 * period_s + 0.2:
                        check(ch["peak_hold_dbfs"] == -200.0,
                              "%.2f s after the stop the hold did not fall: %s %s" % (before, side, ch))
        print("  peak hold: %d readings over 3.5 s after the stop" % len(rows))
    finally:
        d.cleanup()
