"""Following the source (dspd.conf(5) FOLLOWING THE SOURCE, SILENCE,
rate_adjust.method "pitch"): the paced test device plays the part of
snd-aloop, a UAC2 gadget or an S/PDIF receiver (tests/alsa/README.md,
"Control device": the `source` and `cset` commands, the ctl elements, the
report's source and controls sections), and dspd must follow its rate
changes in both modes, trim its clock bit-perfectly, go idle on silence
and release the output, and report every step.

Figures are printed so that the closing notes can quote them."""
import json
import math
import random
import statistics
import time

from harness import Daemon, Paths, check, device, max_step, read_f32
from test_subscriptions import RpcClient

RATES = [44100, 48000, 96000]


def source_daemon(name, kind="loopback", mode="resample", signal="counter", fmt="S32_LE",
                  period=1024, periods=4, speed=1, capture_ppm=0.0, record=False,
                  rates=RATES, extra=None):
    """dspd on the rig's source PCMs; mode "resample" (capture.rate follow),
    "reopen" (rate follow) or None (a fixed rate)."""
    d = Daemon(name, fmt=fmt, period=period, periods=periods)
    pcm = "dspdtest_" + kind
    clocks = dict(signal=signal, speed=speed, capture_ppm=capture_ppm)
    d.cfg["capture"]["device"] = device(pcm, control=d.control_path, **clocks)
    d.cfg["playback"]["device"] = device(
        pcm, report=d.report_path, **clocks, **({"record": d.record_path} if record else {}))
    if mode == "resample":
        d.cfg["capture"]["rate"] = "follow"
    elif mode == "reopen":
        d.cfg["rate"] = "follow"
    if kind != "stream":
        # the ctl device runs the control file too: a parked capture
        # (an idle gadget host) reads no commands
        d.cfg["source"] = {"kind": kind, "control": device(pcm, control=d.control_path)}
    else:
        d.cfg["source"] = {"kind": "stream"}
    if mode:
        d.cfg["source"]["rates"] = rates
    d.cfg.update(extra or {})
    d.write_config(d.cfg)
    return d


def subscribe(d, topics=("source", "xrun", "state")):
    """A subscriber, once dspd has opened the source's control device (a
    player starting before that finds snd-aloop's PCM Notify still off
    and is held at the capture's rate, as the kernel does)."""
    c = RpcClient(d.socket)
    c.call("subscribe", {"topics": list(topics)})
    deadline = time.monotonic() + 10.0
    while True:
        src = d.ctl("status")["source"]
        if not src.get("follow") or src.get("kind") == "stream" or src.get("linked"):
            return c
        check(time.monotonic() < deadline, "the source's control device never opened: %s" % src)
        time.sleep(0.05)


def switches(d, c, mode, count, seed):
    """count source rate changes at random times (0.3..0.9 s apart); each
    must be reported once, at the rate asked.  Returns the durations."""
    rng = random.Random(seed)
    rate = 48000
    durations = []
    for i in range(count):
        rate = rng.choice([r for r in RATES if r != rate])
        time.sleep(rng.uniform(0.3, 0.9))
        d.device_command("source rate %d" % rate)
        note = c.wait_note("source", timeout=10.0, where=lambda p: p.get("event") == "switch")
        check(note["to"] == rate and note["mode"] == mode, "switch %d: %s (want %d)" % (i, note, rate))
        durations.append(note["duration_ms"])
    time.sleep(0.5)
    st = d.ctl("status")
    check(st["source"]["switches"] == count and not st["source"]["switching"],
          "status.source %s" % st["source"])
    check(st["capture"]["rate"] == rate, "capture at %d, want %d" % (st["capture"]["rate"], rate))
    return durations, st


def switch_count():
    return 6 if Paths.quick else 20     # sanitizer builds run slower


def describe(durations):
    return "median %.1f ms, max %.1f ms" % (statistics.median(durations), max(durations))


def test_follow_reopen_20_switches():
    """Mode "reopen": capture, pipeline and playback restart at each new
    rate; the counter survives every switch but the one gap it makes."""
    d = source_daemon("reopen", mode="reopen")
    try:
        d.start()
        d.device_command("source rate 48000")
        c = subscribe(d)
        n = switch_count()
        durations, st = switches(d, c, "reopen", n, seed=17)
        check(st["rate"] == st["capture"]["rate"] == st["playback"]["rate"],
              "rates %d/%d/%d" % (st["rate"], st["capture"]["rate"], st["playback"]["rate"]))
        check(not c.take("xrun"), "xruns during the switches")
        c.close()
        d.stop()
        rep = d.report()["playback"]
        print("  reopen: %d switches, %s; device gaps %d, mismatches %d, latency %d..%d"
              % (n, describe(durations), rep["gaps"], rep["mismatches"],
                 rep["latency_min"], rep["latency_max"]))
        # each switch reopens both streams: at most one gap each (the
        # counter restarts from the time at the new rate); between
        # switches no frame is lost, repeated or altered
        check(rep["gaps"] <= n + 1 and rep["mismatches"] == 0 and rep["underruns"] == 0,
              "device report %s" % {k: rep[k] for k in ("gaps", "mismatches", "underruns")})
        # each restart starts the capture, then the playback: the latency
        # is the prefill plus the microseconds between (a few frames under
        # a sanitizer)
        check(rep["latency_max"] - rep["latency_min"] <= 16, "latency %d..%d"
              % (rep["latency_min"], rep["latency_max"]))
    finally:
        d.cleanup()


def test_follow_resample_20_switches():
    """Mode "resample": only the capture reopens; the playback is never
    reopened nor restarted and never underruns."""
    d = source_daemon("resample", mode="resample", signal="sine", fmt="FLOAT_LE", record=True)
    try:
        d.start()
        c = subscribe(d)
        n = switch_count()
        durations, st = switches(d, c, "resample", n, seed=23)
        check(st["rate"] == 48000 and st["playback"]["rate"] == 48000, "playback %s" % st["playback"])
        xr = c.take("xrun")
        fin = d.stop()
        c.close()
        rep = d.report()
        print("  resample: %d switches, %s; playback starts %d, underruns %d, dspd xruns %d/%d, "
              "frames dropped %d" % (n, describe(durations), rep["playback"]["starts"],
                                     rep["playback"]["underruns"], fin["xruns_capture"],
                                     fin["xruns_playback"], fin["dropped"]))
        check(not xr, "xrun notifications %s" % xr)
        check(rep["playback"]["starts"] == 1 and rep["playback"]["underruns"] == 0,
              "the playback was restarted or ran dry: %s" % rep["playback"])
        check(fin["xruns_playback"] == 0 and fin["xruns_capture"] == 0, "counters %s" % fin)
        # what a switch lets go of: the unread capture and the converter's
        # history, never more than a period or so each
        check(fin["dropped"] <= n * 2048, "%d frames dropped in %d switches" % (fin["dropped"], n))
        # the tone carries on at the playback's rate after the last switch
        left = read_f32(d.record_path, 2)[0]
        tail = left[-24000:]
        peak = max(abs(v) for v in tail)
        check(abs(20 * math.log10(peak) + 6.0) < 0.5, "tone peak %.2f dBFS" % (20 * math.log10(peak)))
    finally:
        d.cleanup()


def test_gadget_host_stops_and_returns():
    """u_audio: Capture Rate 0 while the host is idle (the capture stalls);
    dspd parks the capture and plays silence, then follows the host back
    at another rate."""
    d = source_daemon("gadget", kind="gadget", mode="resample")
    try:
        d.start()
        c = subscribe(d)
        d.device_command("source rate 48000")
        c.wait_note("source", timeout=10.0, where=lambda p: p.get("event") == "resumed")
        stops = d.ctl("status")["source"]["stops"]
        d.device_command("source stop")
        stopped = c.wait_note("source", timeout=10.0, where=lambda p: p.get("event") == "stopped")
        time.sleep(1.0)
        st = d.ctl("status")
        check(st["state"] == "running" and st["source"]["rate"] == 0 and st["source"]["stops"] == stops + 1,
              "while the host is idle: %s %s" % (st["state"], st["source"]))
        played = st["frames"]["played"]
        time.sleep(0.5)
        check(d.ctl("status")["frames"]["played"] > played, "the output stopped with the host")
        d.device_command("source rate 44100")
        sw = c.wait_note("source", timeout=10.0, where=lambda p: p.get("event") == "switch")
        check(sw["from"] == 48000 and sw["to"] == 44100, "switch %s" % sw)
        time.sleep(0.5)
        st = d.ctl("status")
        check(st["capture"]["rate"] == 44100 and st["source"]["rate"] == 44100, "status %s" % st["source"])
        xr = c.take("xrun")
        check(not xr, "xruns %s" % xr)
        d.stop()
        rep = d.report()
        print("  gadget: stopped %s, back at 44100 in %.1f ms; playback underruns %d"
              % (stopped, sw["duration_ms"], rep["playback"]["underruns"]))
        check(rep["playback"]["underruns"] == 0 and rep["playback"]["starts"] == 1,
              "playback %s" % rep["playback"])
        c.close()
    finally:
        d.cleanup()


def test_refused_rate_and_broken_links_keep_playing():
    """A rate not in source.rates is an event, not a switch; a source
    control device that does not exist and a clock-trim element that does
    not exist are errors in status; the audio plays on throughout."""
    d = source_daemon("refuse", mode="reopen", rates=[48000, 96000])
    try:
        d.start()
        c = subscribe(d)
        d.device_command("source rate 44100")
        note = c.wait_note("source", timeout=10.0, where=lambda p: p.get("event") == "refused")
        check(note["rate"] == 44100 and "source.rates" in note["detail"], "refused %s" % note)
        time.sleep(0.5)
        st = d.ctl("status")
        check(st["state"] == "running" and st["rate"] == 48000 and st["source"]["refused"] == 1,
              "status %s %s" % (st["state"], st["source"]))
        c.close()
        d.stop()
    finally:
        d.cleanup()
    # a source control device and a clock-trim element that do not exist
    # (edited in while running, so that the errors come after subscribing)
    d = source_daemon("nolink", mode="reopen",
                      extra={"rate_adjust": {"enabled": True, "method": "pitch"}})
    try:
        d.start()
        c = subscribe(d, ("source",))
        c.call("config.patch", {"ops": [
            {"op": "replace", "path": "/source/control", "value": "hw:NoSuchCard"},
            {"op": "add", "path": "/rate_adjust/control", "value": "dspdtest_loopback"},
            {"op": "add", "path": "/rate_adjust/element", "value": "No Such Pitch 1000"}]})
        errors = [c.wait_note("source", timeout=10.0, where=lambda p: p.get("event") == "error")
                  for _ in range(2)]
        details = " | ".join(e["detail"] for e in errors)
        check("NoSuchCard" in details and "No Such Pitch" in details, "error events %s" % errors)
        c.close()
        time.sleep(0.5)
        st = d.ctl("status")
        check("NoSuchCard" in st["source"].get("error", "") and not st["source"]["linked"],
              "status.source %s" % st["source"])
        check("No Such Pitch" in st["clocks"].get("error", "") and not st["clocks"]["linked"],
              "status.clocks %s" % st["clocks"])
        played = st["frames"]["played"]
        time.sleep(0.5)
        st = d.ctl("status")
        check(st["frames"]["played"] > played and st["xruns"] == {"capture": 0, "playback": 0},
              "audio stopped: %s %s" % (st["frames"], st["xruns"]))
        print("  errors: %s | %s" % (st["source"]["error"], st["clocks"]["error"]))
        d.stop()
    finally:
        d.cleanup()


def pitch_run(name, ppm, steps, seconds, speed):
    """rate_adjust.method pitch on the Loopback's rate shift: the capture
    clock capture_ppm fast; returns (status rows, report)."""
    d = source_daemon(name, mode=None, speed=speed, capture_ppm=ppm, period=4096, periods=6,
                      extra={"rate_adjust": {"enabled": True, "method": "pitch"}})
    rows = []
    try:
        d.start()
        d.device_command("source rate 48000")
        t0 = time.monotonic()
        pending = list(steps)
        while time.monotonic() - t0 < seconds:
            st = d.ctl("status")
            rows.append((st["frames"]["played"] / 48000.0, st))
            check(st["xruns"] == {"capture": 0, "playback": 0}, "xruns %s" % st["xruns"])
            if pending and time.monotonic() - t0 >= pending[0][0]:
                d.device_command("ppm capture %g" % pending.pop(0)[1])
            time.sleep(0.2)
        d.stop()
        return rows, d.report()
    finally:
        d.cleanup()


def test_pitch_tracks_bit_perfect():
    """The drift controller writes "PCM Rate Shift 100000" instead of
    resampling: 0 xruns, the level held, and the output equal to the input
    bit for bit (the counter: no gap, no mismatch) while it tracks +500
    ppm, then steps of -200 and +200 ppm, and -500 ppm."""
    speed = 3 if Paths.quick else 5
    runs = ((500.0, []),) if Paths.quick else ((500.0, [(14, 300.0), (26, 500.0)]), (-500.0, []))
    for ppm, steps in runs:
        seconds = 38 if steps else 16
        rows, rep = pitch_run("pitch", ppm, steps, seconds, speed)
        c = rows[-1][1]["clocks"]
        check(c["method"] == "pitch" and c["linked"] and c["element"] == "PCM Rate Shift 100000",
              "status.clocks %s" % c)
        # the shift runs the cable at 100000 / V: V = 100000 * (1 + ppm)
        want = 100000 * (1 + ppm * 1e-6)
        late = [r for t, r in rows if t > rows[-1][0] * 0.6]
        settled = [r["clocks"]["level_frames"] - r["clocks"]["target_frames"] for r in late]
        band = (min(settled), max(settled))
        print("  pitch %+g ppm%s: value %d (want ~%.0f), trim %+.1f ppm, drift %+.1f ppm, "
              "level - target %.1f..%.1f, writes %d; device gaps %d mismatches %d counter frames %d"
              % (ppm, " with steps" if steps else "", c["value"], want, c["trim_ppm"],
                 c["drift_ppm"], band[0], band[1], c["writes"], rep["playback"]["gaps"],
                 rep["playback"]["mismatches"], rep["playback"]["counter_frames"]))
        check(abs(c["value"] - want) <= 3, "rate shift %d, want %.0f" % (c["value"], want))
        check(abs(c["drift_ppm"] - ppm) < 20, "drift %.1f ppm" % c["drift_ppm"])
        check(-24 <= band[0] and band[1] <= 24, "level band %.1f..%.1f" % band)
        check(rep["playback"]["gaps"] == 0 and rep["playback"]["mismatches"] == 0 and
              rep["playback"]["counter_frames"] > 48000 * 10,
              "not bit-perfect: %s" % {k: rep["playback"][k] for k in
                                       ("gaps", "mismatches", "counter_frames")})
        check(rep["playback"]["underruns"] == 0 and rep["capture"]["overruns"] == 0,
              "device xruns %s %s" % (rep["playback"]["underruns"], rep["capture"]["overruns"]))
        # the element saw dspd's writes (status was read a little before the stop)
        shift = rep["controls"]["PCM Rate Shift 100000"]
        check(c["writes"] <= shift["app_writes"] <= c["writes"] + 10 and
              abs(shift["value"] - c["value"]) <= 3,
              "element %s vs status %d writes, value %d" % (shift, c["writes"], c["value"]))


def test_silence_idle_release_and_fade_in():
    """silence: idle after the set time (an event, status "idle"), the
    playback device released; on signal it is opened again and faded in
    (no click), and the time that took is reported."""
    seconds = 1.0
    d = source_daemon("silence", kind="stream", mode=None, signal="sine", fmt="FLOAT_LE",
                      record=True, extra={"silence": {"seconds": seconds, "threshold_db": -70,
                                                      "release_playback": True,
                                                      "fade_in_ms": 20}})
    try:
        d.start()
        d.device_command("source rate 48000")
        c = subscribe(d)
        time.sleep(0.5)
        d.device_command("source stop")
        t_stop = time.monotonic()
        idle = c.wait_note("source", timeout=10.0, where=lambda p: p.get("event") == "idle")
        t_idle = time.monotonic() - t_stop
        state = c.wait_note("state", timeout=2.0, where=lambda p: p.get("state") == "idle")
        st = d.ctl("status")
        check(state["state"] == "idle" and st["state"] == "idle", "state %s / %s" % (state, st["state"]))
        time.sleep(0.3)
        st = d.ctl("status")
        check(st["silence"]["playback_released"], "status.silence %s" % st["silence"])
        rep = d.report()        # written by the playback at its close
        written_at_close = rep["playback"]["frames"]
        time.sleep(0.5)
        check(d.report()["playback"]["frames"] == written_at_close, "the playback still runs")
        d.device_command("source start")
        active = c.wait_note("source", timeout=10.0, where=lambda p: p.get("event") == "active")
        time.sleep(0.5)
        st = d.ctl("status")
        check(st["state"] == "running" and not st["silence"]["playback_released"],
              "after the signal: %s %s" % (st["state"], st["silence"]))
        xr = c.take("xrun")
        check(not xr, "xruns %s" % xr)
        c.close()
        d.stop()
        rep = d.report()
        left = read_f32(d.record_path, 2)[0]
        # the resumed tone: the first nonzero samples after the last silence
        i = len(left) - 1
        while i > 0 and left[i] != 0.0:
            i -= 1
        resumed = left[i + 1:i + 1 + 4800]
        first_step = max_step([0.0] + list(resumed[:480]))
        sine_step = 2 * math.pi * 1000 / 48000 * 10 ** (-6 / 20)
        print("  silence: idle after %.2f s (set %.1f s, period %.1f ms), resume %.1f ms, "
              "first step %.4f (the tone's own %.4f), playback starts %d"
              % (t_idle, seconds, 1024 / 48.0, active["resume_ms"], first_step, sine_step,
                 rep["playback"]["starts"]))
        # the stop reaches the meters within a period; the control thread
        # looks every 10 ms; the notification and this process add a little
        period_s = 1024 / 48000.0
        check(seconds - period_s <= t_idle <= seconds + period_s + 0.05,
              "idle after %.3f s (set %.1f s, period %.1f ms)" % (t_idle, seconds, 1e3 * period_s))
        check(0 < active["resume_ms"] < 500, "resume %s" % active)
        check(first_step <= sine_step * 1.05, "click: step %.4f" % first_step)
        check(rep["playback"]["starts"] == 2, "playback starts %d" % rep["playback"]["starts"])
    finally:
        d.cleanup()


def test_stream_rate_measured_against_the_playback():
    """An S/PDIF receiver tells nothing: its capture delivers the source's
    rate whatever it was opened at.  dspd measures it against the
    playback clock and follows, in both modes."""
    for mode in ("reopen", "resample"):
        d = source_daemon("stream-" + mode, kind="stream", mode=mode)
        try:
            d.start()
            d.device_command("source rate 48000")
            c = subscribe(d)
            got = []
            for rate in (44100, 96000, 48000):
                time.sleep(0.5)
                d.device_command("source rate %d" % rate)
                t = time.monotonic()
                note = c.wait_note("source", timeout=10.0,
                                   where=lambda p: p.get("event") == "switch")
                check(note["to"] == rate, "%s: switched to %s, want %d" % (mode, note, rate))
                got.append((rate, time.monotonic() - t))
            time.sleep(0.5)
            st = d.ctl("status")
            check(st["capture"]["rate"] == 48000 and st["source"]["switches"] == 3,
                  "status %s %s" % (st["capture"], st["source"]))
            print("  stream (%s): %s, measured %.1f Hz at the end"
                  % (mode, ", ".join("%d Hz found in %.0f ms" % (r, 1000 * s) for r, s in got),
                     st["source"].get("measured_rate", 0)))
            c.close()
            d.stop()
        finally:
            d.cleanup()
