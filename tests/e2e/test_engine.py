"""End-to-end tests of the audio path: gapless, bit-exact, constant latency,
xrun recovery, format negotiation, gain and meters.  Each starts the real
dspd on the paced dspdtest device, whose capture side emits a frame counter
and whose playback side checks every frame it receives."""

import math
import os
import threading
import time

from harness import Daemon, Failure, Paths, check, device, max_step, read_f32


def run_parallel(fn, items):
    errors = {}

    def worker(item):
        try:
            fn(item)
        except Exception as e:  # collected and re-raised below
            errors[item] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise Failure("; ".join("%s: %s" % (k, v) for k, v in errors.items()))


def gapless(fmt, seconds):
    # 6 periods of 1024: 85 ms of margin against this VM's 10-30 ms stalls
    d = Daemon("gapless-" + fmt, fmt=fmt, periods=6)
    try:
        st = d.start().ctl("status")
        check(st["capture"]["format"] == fmt and st["playback"]["format"] == fmt,
              "negotiated %s/%s" % (st["capture"]["format"], st["playback"]["format"]))
        latency = st["latency_frames"]
        check(latency == 5 * 1024, "latency_frames %d, want 5120" % latency)
        time.sleep(seconds)
        st = d.ctl("status")
        check(st["xruns"] == {"capture": 0, "playback": 0}, "xruns %s" % st["xruns"])
        check(0 <= st["load"]["avg"] < 1 and 0 <= st["load"]["max"], "load %s" % st["load"])
        final = d.stop()
        rep = d.report()
        pb = rep["playback"]
        where = "%s: " % fmt
        check(pb["gaps"] == 0, where + "%d gaps: %s" % (pb["gaps"], pb["gap_list"]))
        check(pb["mismatches"] == 0, where + "%d frames not bit-exact" % pb["mismatches"])
        check(pb["underruns"] == 0 and rep["capture"]["overruns"] == 0,
              where + "device saw xruns: %s" % rep)
        check(pb["latency_max"] - pb["latency_min"] <= 1,
              where + "latency moved: %d..%d" % (pb["latency_min"], pb["latency_max"]))
        # the two streams start a few microseconds apart (more under ASan)
        check(abs(pb["latency_min"] - latency) <= 8,
              where + "measured latency %d, configured %d" % (pb["latency_min"], latency))
        check(final["captured"] == final["processed"] == final["played"],
              where + "counters disagree: %s" % final)
        check(final["played"] == pb["counter_frames"],
              where + "dspd played %d, device received %d counter frames"
              % (final["played"], pb["counter_frames"]))
        check(final["dropped"] == 0 and final["xruns_capture"] == 0, where + str(final))
        check(pb["counter_frames"] >= 48000 * seconds * 0.9,
              where + "only %d frames in %d s" % (pb["counter_frames"], seconds))
    finally:
        d.cleanup()


def test_gapless_bit_exact_30s():
    """30 s at 48 kHz stereo through dspd at 0 dB, four formats at once:
    no gap, every frame bit-exact, latency constant and as configured."""
    seconds = 5 if Paths.quick else 30
    run_parallel(lambda f: gapless(f, seconds), ["S16_LE", "S24_3LE", "S32_LE", "FLOAT_LE"])


def test_gapless_other_formats():
    """The remaining formats, 4 s each: S24_LE (24 in 32), FLOAT64_LE, U8."""
    run_parallel(lambda f: gapless(f, 4), ["S24_LE", "FLOAT64_LE", "U8"])


def test_plug_layer_converts():
    """A plug layer the user names converts: playback S32_LE through
    "dspdtest_plug_s16" (type plug on a device that takes only S16_LE)
    runs, status says what the slave runs (S16_LE, 48000, 2), and the
    counter arrives exact (S16 capture -> float -> S32 -> plug -> S16).
    The same device without the plug layer still refuses S32_LE: no
    conversion is ever an accident.  Before, the plug was opened with
    SND_PCM_NO_AUTO_FORMAT and refused S32_LE too."""
    d = Daemon("plug", fmt="S16_LE", playback_format="S32_LE")
    d.cfg["playback"]["device"] = device("dspdtest_plug_s16", report=d.report_path)
    d.write_config(d.cfg)
    try:
        d.start()
        st = d.ctl("status")
        pb = st["playback"]
        print("    playback %s" % pb)
        check(pb["format"] == "S32_LE", "playback format %s" % pb["format"])
        check(pb.get("slave") == {"format": "S16_LE", "rate": 48000, "channels": 2},
              "playback.slave %s" % pb.get("slave"))
        check("slave" not in st["capture"], "capture is no plug: %s" % st["capture"])
        time.sleep(1.5)
        d.stop()
        rep = d.report()
        check(rep["format"] == "S16_LE", "the device ran %s" % rep["format"])
        check(rep["playback"]["counter_frames"] > 24000 and rep["playback"]["mismatches"] == 0
              and rep["playback"]["gaps"] == 0, "device report %s" % rep["playback"])
    finally:
        d.cleanup()
    d = Daemon("noplug", fmt="S16_LE", playback_format="S32_LE")
    d.cfg["playback"]["device"] = device("dspdtest_s16only_mmap")
    d.write_config(d.cfg)
    try:
        d.start(wait=False)
        rc = d.proc.wait(timeout=20)
        log = d.read_log()
        check(rc != 0 and "S32_LE" in log, "without plug, S32_LE must be refused: rc %d %s"
              % (rc, log[-300:]))
    finally:
        d.cleanup()


def test_frames_lost_across_a_slow_restart():
    """frames_lost counts from the capture's old start to its new one: a
    restart made 250 ms slow by the device (its capture prepare sleeps)
    must be in it, so a loss measured from any timestamp taken before the
    restart (the error's, the re-sync's start) is off by 12000 frames, not
    by the 2 a normal restart takes.  The device's gap is the truth."""
    d = Daemon("slowprep")
    try:
        d.start()
        time.sleep(1.5)
        d.device_command("slowprepare 250\nstall 300")
        deadline = time.monotonic() + 5
        while not d.ctl("xruns")["recent"] and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        xr = d.ctl("xruns")
        d.stop()
        rep = d.report()
        check(rep["device"]["slow_prepares"] == 1 and rep["capture"]["stalls_injected"] == 1,
              "device %s" % rep["device"])
        check(len(xr["recent"]) == 1 and rep["playback"]["gaps"] == 1,
              "xruns %s, gaps %s" % (xr["recent"], rep["playback"]["gap_list"]))
        lost, gap = xr["recent"][0]["frames_lost"], rep["playback"]["gap_list"][0]["missing"]
        print("    frames_lost %d, device gap %d" % (lost, gap))
        # the stall (300 ms) and the slow prepare (250 ms) are both lost
        check(gap >= 0.55 * 48000 - 1024, "device gap %d" % gap)
        tolerance = 32 if Paths.quick else 4
        check(abs(lost - gap) <= tolerance, "frames_lost %d vs device gap %d" % (lost, gap))
    finally:
        d.cleanup()


def test_injected_stalls_recover():
    """Two stalls of the audio thread longer than the buffer: each is one
    xrun per direction, matched one to one by the device, one gap per
    resync, and the latency comes back to its configured value."""
    d = Daemon("stall")
    try:
        d.start()
        time.sleep(1.5)
        d.device_command("stall 300")
        time.sleep(1.5)
        d.device_command("stall 150")
        time.sleep(1.5)
        st = d.ctl("status")
        check(st["state"] == "running", "state %s" % st["state"])
        xr = d.ctl("xruns")
        final = d.stop()
        rep = d.report()
        pb, cap = rep["playback"], rep["capture"]
        check(cap["stalls_injected"] == 2, "stalls injected: %d" % cap["stalls_injected"])
        check(final["xruns_capture"] == cap["overruns"],
              "dspd capture xruns %d, device overruns %d" % (final["xruns_capture"], cap["overruns"]))
        check(final["xruns_playback"] == pb["underruns"],
              "dspd playback xruns %d, device underruns %d" % (final["xruns_playback"], pb["underruns"]))
        check(cap["overruns"] == 2, "device overruns %d, want 2" % cap["overruns"])
        check(len(xr["recent"]) == 2 and xr["resyncs"] == 2, "xruns %s" % xr)
        check(pb["gaps"] == 2, "device saw %d gaps, want 2 (one per resync)" % pb["gaps"])
        check(pb["mismatches"] == 0, "%d corrupt frames" % pb["mismatches"])
        check(abs(pb["latency_last"] - st["latency_frames"]) <= 8,
              "latency after recovery %d, configured %d" % (pb["latency_last"], st["latency_frames"]))
        for event, gap in zip(xr["recent"], pb["gap_list"]):
            # dspd estimates the loss from the clock; the device knows it
            print("    frames_lost %d, device gap %d" % (event["frames_lost"], gap["missing"]))
            # timestamps taken around snd_pcm_start; sanitizers slow it
            tolerance = 32 if Paths.quick else 4
            check(abs(event["frames_lost"] - gap["missing"]) <= tolerance,
                  "frames_lost %d vs device gap %d" % (event["frames_lost"], gap["missing"]))
            check(event["direction"] == "both" and event["cause"] == "xrun", str(event))
    finally:
        d.cleanup()


def s16_of_s32_counter(k, c):
    """What exact S32 -> float -> S16 makes of the S32 capture's counter
    (tests/alsa/README.md, "Counter encoding": 24-bit v in the top bits):
    v / 256 rounded to nearest, ties to even (rintf), saturated."""
    v = (k + c * 0x3C3C) & 0xFFFFFF
    v -= (v & 0x800000) << 1
    return max(-32768, min(32767, round(v / 256)))


def s32_counter_as_s16(channels, window=600):
    """Check a float32 recording of S16 playback fed from the S32 counter
    capture, frame by frame against s16_of_s32_counter.  The device's own
    checker cannot: it expects a 16-bit counter.  The counter's start is
    the one k (of the 257 that round to the first sample) that explains
    the next `window` frames; silence or a jump (an xrun) re-syncs the
    same way.  Returns (counter frames, mismatched frames, re-syncs); the
    first frame no counter explains counts with all after it as
    mismatched."""
    ys = [[int(round(x * 32768)) for x in ch] for ch in channels]
    n = len(ys[0])

    def explains(k, i):
        return all(ys[c][j] == s16_of_s32_counter(k + j - i, c)
                   for j in range(i, min(n, i + window)) for c in range(len(ys)))

    def sync(i):
        found = [k for k in range(ys[0][i] * 256 - 128, ys[0][i] * 256 + 129) if explains(k, i)]
        return found[0] if found else None

    counted = mismatched = resyncs = 0
    k = None
    for i in range(n):
        if all(ys[c][i] == 0 for c in range(len(ys))):
            k = None                        # silence: re-sync after it
            continue
        if k is None or any(ys[c][i] != s16_of_s32_counter(k, c) for c in range(len(ys))):
            resyncs += k is not None
            k = sync(i)
            if k is None:                   # nothing explains it from here on
                return counted, n - i, resyncs
        counted += 1
        k += 1
    return counted, mismatched, resyncs


def test_format_refused_with_supported_list():
    """A device that cannot do the asked format: a clear error naming what
    it supports, never garbage; "auto" picks and reports a native one."""
    d = Daemon("format", fmt="S32_LE",
               playback=device("dspdtest_s16only"))
    try:
        d.start(wait=False)
        rc = d.proc.wait(timeout=20)
        log = d.read_log()
        check(rc == 1, "exit status %d, want 1" % rc)
        check("cannot do format S32_LE" in log and "S16_LE" in log,
              "error does not say what the device supports:\n" + log)
    finally:
        d.cleanup()
    d = Daemon("format-auto", fmt="auto")
    d.cfg["playback"]["device"] = device("dspdtest_s16only", report=d.report_path,
                                         record=d.record_path)
    d.write_config(d.cfg)
    try:
        st = d.start().ctl("status")
        check(st["playback"]["format"] == "S16_LE", "auto chose %s" % st["playback"]["format"])
        check(st["capture"]["format"] == "S32_LE", "auto chose %s" % st["capture"]["format"])
        time.sleep(1)
        fc = d.stop()
        # S32 capture counter keeps 24 bits; S16 keeps the top 16, rounded:
        # every frame of the recording must be exactly that, so a wrong
        # conversion is a mismatch; only an xrun may make the counter jump
        counted, mismatched, resyncs = s32_counter_as_s16(read_f32(d.record_path, 2))
        print("  S32 -> S16: %d frames exact, %d mismatched, %d re-syncs"
              % (counted, mismatched, resyncs))
        check(mismatched == 0 and counted >= 48000 // 2
              and resyncs <= fc["xruns_capture"] + fc["xruns_playback"],
              "S32 -> S16: %d frames exact, %d mismatched, %d re-syncs, final counters %s"
              % (counted, mismatched, resyncs, fc))
    finally:
        d.cleanup()


def test_gain_change_is_exact_and_click_free():
    """`dspctl set gain -6` while a sine plays: the recorded output level
    drops by 6.0 +- 0.05 dB and no sample step exceeds what the sine and the
    20 ms ramp allow."""
    d = Daemon("gain", fmt="FLOAT_LE", period=256, periods=8)
    d.cfg["capture"]["device"] = device("dspdtest_sine")
    d.cfg["playback"]["device"] = device(report=d.report_path, record=d.record_path)
    d.write_config(d.cfg)
    try:
        d.start()
        time.sleep(1.0)
        out = d.ctl("set", "gain", "-6")
        check(abs(out["db"] + 6.0) < 1e-9, "gain.set answered %s" % out)
        check(d.ctl("get", "gain")["db"] == -6.0, "get gain")
        time.sleep(1.0)
        lv = d.ctl("levels")
        d.stop()
    finally:
        d.kill()
    try:
        left = read_f32(d.record_path, 2)[0]
        rate = 48000
        amp = 10 ** (-6 / 20)
        # find the ramp: the first sample whose magnitude exceeds the new level
        start = next(i for i in range(len(left)) if abs(left[i]) > 1e-6)
        body = left[start:]
        before, after = body[rate // 4: rate // 2], body[-rate // 2:]
        # peaks, not RMS: a gap (an xrun on a loaded machine) would lower an
        # RMS; the 1 kHz sine repeats every 48 frames, so its sampled peak is
        # the same before and after
        delta = 20 * math.log10(max(abs(v) for v in after) / max(abs(v) for v in before))
        check(abs(delta + 6.0) <= 0.05, "level changed by %.3f dB, want -6.0 +- 0.05" % delta)
        # a 1 kHz sine steps at most 2 A sin(pi f / fs) per sample; the ramp
        # may add at most A * (1 - 10^(-6/20)) / ramp_frames
        ramp_frames = 0.020 * rate
        allowed = 2 * amp * __import__("math").sin(__import__("math").pi * 1000 / rate) \
            + amp * (1 - 10 ** (-6 / 20)) / ramp_frames + 1e-6
        worst = max_step(body)
        print("    level change %.4f dB; largest step %.5f (allowed %.5f)" % (delta, worst, allowed))
        check(worst <= allowed, "largest step %.5f > %.5f allowed: a click" % (worst, allowed))
        pb = lv["playback"][0]
        check(abs(lv["capture"][0]["peak_dbfs"] + 6.0) < 0.1, "capture peak %s" % lv["capture"][0])
        check(abs(pb["peak_dbfs"] + 12.0) < 0.1, "playback peak %s" % pb)
        check(abs(pb["rms_dbfs"] + 15.01) < 0.1, "playback rms %s" % pb)
    finally:
        d.cleanup()


def test_mute_and_clip_counters():
    """Mute ramps to digital silence; +12 dB on a -6 dBFS sine saturates
    and is counted as clipped on playback, never wrapped."""
    d = Daemon("mute", fmt="S16_LE", period=256, periods=8)
    d.cfg["capture"]["device"] = device("dspdtest_sine")
    d.cfg["playback"]["device"] = device(report=d.report_path, record=d.record_path)
    d.write_config(d.cfg)
    try:
        d.start()
        time.sleep(0.5)
        d.ctl("set", "gain", "+12")
        time.sleep(0.5)
        lv = d.ctl("levels")
        check(lv["playback"][0]["clipped"] > 0, "no clip counted: %s" % lv["playback"][0])
        d.ctl("set", "mute", "on")
        time.sleep(0.5)
        d.ctl("levels")
        time.sleep(0.4)
        lv = d.ctl("levels")
        check(lv["playback"][0]["peak_dbfs"] <= -199, "muted output %s" % lv["playback"][0])
        check(d.ctl("get", "gain")["mute"] is True, "mute not reported")
        d.stop()
        left = read_f32(d.record_path, 2)[0]
        check(max(left) <= 32767 / 32768 and min(left) >= -1.0, "output wrapped")
        check(max(left) == 32767 / 32768, "saturation never reached full scale")
    finally:
        d.cleanup()


def test_runs_without_privileges():
    """As an unprivileged user SCHED_FIFO is refused: dspd runs on, says so
    in status and in the log."""
    d = Daemon("unpriv", user=65534)
    d.cfg["realtime"] = {"mlock": True, "priority": 70}
    d.write_config(d.cfg)
    try:
        st = d.start().ctl("status")
        check(st["rt"] is False, "rt reported %s" % st["rt"])
        # ASan intercepts mlockall() as a no-op that succeeds: only the
        # plain build can see the refusal
        check(Paths.quick or st["mlock"] is False, "mlock reported %s" % st["mlock"])
        time.sleep(1)
        d.stop()
        check("SCHED_FIFO priority 70 refused" in d.log, "no warning:\n" + d.log)
        check(Paths.quick or "mlockall refused" in d.log, "no mlock warning:\n" + d.log)
        check(d.report()["playback"]["gaps"] == 0, "gaps without RT")
    finally:
        d.cleanup()


def test_rt_when_root():
    """As root, the audio thread really is SCHED_FIFO."""
    if os.geteuid() != 0:
        return "skipped: not root"
    d = Daemon("rt")
    try:
        st = d.start().ctl("status")
        check(st["rt"] is True and st["rt_priority"] == 70, "rt %s" % st["rt"])
        tid = None
        for t in os.listdir("/proc/%d/task" % d.proc.pid):
            with open("/proc/%d/task/%s/comm" % (d.proc.pid, t)) as f:
                if f.read().strip() == "dspd-rt":
                    tid = t
        check(tid is not None, "no dspd-rt thread")
        with open("/proc/%d/task/%s/stat" % (d.proc.pid, tid)) as f:
            policy = int(f.read().rsplit(")", 1)[1].split()[38])
        check(policy == 1, "scheduling policy %d, want SCHED_FIFO (1)" % policy)
        d.stop()
    finally:
        d.cleanup()
