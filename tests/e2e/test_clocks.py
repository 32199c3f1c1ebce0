"""Two devices, two clocks (dspd.conf(5) "TWO CLOCKS"): the paced test
device runs its capture clock some ppm off its playback clock, faster than
real time (tests/alsa/README.md: SPEED, CAPTURE_PPM, `ppm` command), and
dspd's rate adjustment must keep the capture -> playback latency on its
target with zero xruns, converge on the offset, absorb steps of it, carry
the capture's signal at the capture's speed, and convert fixed ratios.

Device time is what the devices count: status.frames.played / rate while
nothing is lost.  Figures are printed so that the closing notes can quote
them."""
import json
import math
import socket
import time

from harness import Daemon, Paths, check, read_f32

RATE = 48000


def clock_device(control=None, report=None, record=None, signal="sine", speed=1,
                 capture_ppm=0.0, playback_ppm=0.0):
    """A dspdtest device string; both streams must name the same clocks."""
    args = ['SIGNAL="%s"' % signal, "SPEED=%g" % speed,
            "CAPTURE_PPM=%g" % capture_ppm, "PLAYBACK_PPM=%g" % playback_ppm]
    for key, path in (("CONTROL", control), ("REPORT", report), ("RECORD", record)):
        if path:
            args.append('%s="%s"' % (key, path))
    return "dspdtest:" + ",".join(args)


# At SPEED times real time a buffer lasts SPEED times less: deep buffers
# keep the host's scheduling hiccups (10-30 ms here, more under load) out of
# the figures: 8 x 8192 frames leave 5 periods of margin, 85 ms of real time
# at SPEED 10.
SPEED = 10
PERIOD = 8192
PERIODS = 8


def speed():
    return 4 if Paths.quick else SPEED     # sanitizer builds run slower


def clocks_daemon(name, speed, capture_ppm, rate_adjust=True, period=PERIOD, periods=PERIODS,
                  capture_rate=None, record=False, extra=None):
    d = Daemon(name, fmt="FLOAT_LE", period=period, periods=periods)
    clocks = dict(speed=speed, capture_ppm=capture_ppm)
    d.cfg["capture"]["device"] = clock_device(control=d.control_path, **clocks)
    d.cfg["playback"]["device"] = clock_device(
        report=d.report_path, record=d.record_path if record else None, **clocks)
    if capture_rate:
        d.cfg["capture"]["rate"] = capture_rate
    d.cfg["rate_adjust"] = {"enabled": rate_adjust}
    d.cfg.update(extra or {})
    d.write_config(d.cfg)
    return d


class Probe:
    """`status` on one connection: the clocks' figures against device time."""

    def __init__(self, d):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(d.socket)
        self.sock.settimeout(5.0)
        self.buf = b""
        self.rows = []          # (device seconds, status)

    def status(self):
        self.sock.sendall(b'{"jsonrpc":"2.0","id":1,"method":"status"}\n')
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            check(chunk, "dspd closed the control connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        st = json.loads(line)["result"]
        t = st["frames"]["played"] / RATE
        self.rows.append((t, st))
        return t, st

    def run_until(self, device_s, every=0.2):
        while True:
            t, st = self.status()
            check(st["xruns"]["capture"] == 0 and st["xruns"]["playback"] == 0,
                  "xruns at %.0f s device time: %s" % (t, st["xruns"]))
            if t >= device_s:
                return st
            time.sleep(every)

    def window(self, t0, t1):
        return [st["clocks"] for t, st in self.rows if t0 <= t <= t1 and st["clocks"]["updates"]]

    def close(self):
        self.sock.close()


def level_band(rows):
    dev = [c["level_frames"] - c["target_frames"] for c in rows]
    return min(dev), max(dev)


def drift_stats(rows):
    ppm = [c["drift_ppm"] for c in rows]
    return sum(ppm) / len(ppm), min(ppm), max(ppm)


def drift_median(rows):
    """The correction over a short window, robust to the one sample a
    preemption kicks (see drift_band)."""
    ppm = sorted(c["drift_ppm"] for c in rows)
    n = len(ppm)
    return (ppm[(n - 1) // 2] + ppm[n // 2]) / 2


def middle(values):
    """The range of the middle 96 % of values (at least the extreme one
    dropped at each end).  At speed 10 a preemption of the RT thread
    between its two delay reads (a few microseconds apart) is ten times
    as long in device time: a 30 us one shows ~15 frames of false level
    and kicks the correction by tens of ppm for one status sample - the
    VM's, not the loop's (the extremes are printed)."""
    v = sorted(values)
    cut = max(1, len(v) // 50)
    return v[cut], v[len(v) - 1 - cut]


def drift_band(rows):
    return middle(c["drift_ppm"] for c in rows)


def level_middle(rows):
    return middle(c["level_frames"] - c["target_frames"] for c in rows)


def device_clean(d):
    r = d.report()
    check(r["capture"]["overruns"] == 0 and r["playback"]["underruns"] == 0,
          "device xruns: %s %s" % (r["capture"], r["playback"]))
    return r


def test_capture_300ppm_fast_for_ten_minutes_then_steps():
    """+300 ppm for 10 min of device time (2 min under --quick), then a
    step to +500 ppm and back to +300: zero xruns anywhere, the measured
    drift converges on the offset, the level stays in a band around its
    target, each step moves it by a bounded amount."""
    long_s = 60 if Paths.quick else 600
    settle_s = 30 if Paths.quick else 60
    step_s = 35 if Paths.quick else 90
    # speed 5, not 10: a preemption between the loop's two delay reads
    # shows as device time x speed of false level, and at 10 one reading
    # pushed a step's excursion to 32 frames in CI (design bound 14)
    d = clocks_daemon("clocks300", min(speed(), 5), 300.0)
    try:
        d.start()
        st = d.ctl("status")
        c = st["clocks"]
        check(c["rate_adjust"] and c["capture_rate"] == RATE and c["quality"] == "medium",
              "status.clocks: %s" % c)
        check(st["latency_frames"] == (PERIODS - 1) * PERIOD + round(c["resampler_delay_frames"]),
              "latency %s with resampler delay %s" % (st["latency_frames"], c["resampler_delay_frames"]))
        p = Probe(d)
        p.run_until(long_s)
        settled = p.window(settle_s, long_s)
        mean, lo, hi = drift_stats(settled)
        mid_lo, mid_hi = drift_band(settled)
        band = level_middle(settled)
        print("  +300 ppm, %d s device: drift mean %.3f ppm (96 %% of %d samples %.1f..%.1f, "
              "all %.1f..%.1f), level - target %.1f..%.1f frames after %d s (all %.1f..%.1f); "
              "whole run %.1f..%.1f"
              % (long_s, mean, len(settled), mid_lo, mid_hi, lo, hi, band[0], band[1], settle_s,
                 *level_band(settled), *level_band(p.window(0, long_s))))
        check(abs(mean - 300.0) < 1.0, "mean drift %.3f ppm, want 300 +- 1" % mean)
        # a sanitizer build's delay reads take longer, so a preemption
        # lands between them more often, over fewer samples
        spread = 35 if Paths.quick else 20
        check(mid_lo > 300 - spread and mid_hi < 300 + spread,
              "drift in 96 %% of the samples %.1f..%.1f ppm, want 300 +- %d"
              % (mid_lo, mid_hi, spread))
        check(-16 <= band[0] and band[1] <= 16, "level band (96 %% of samples) %.1f..%.1f frames"
              % band)

        for target_ppm in (500.0, 300.0):
            t_step = p.status()[0]
            d.device_command("ppm capture %g" % target_ppm)
            p.run_until(t_step + step_s)
            during = p.window(t_step, t_step + step_s)
            after = p.window(t_step + step_s - 10, t_step + step_s)
            band = level_middle(during)
            drift = drift_median(after)
            print("  step to %+.0f ppm at %.0f s: level - target %.1f..%.1f frames (all "
                  "%.1f..%.1f), drift %.3f ppm %d s later (median)"
                  % (target_ppm, t_step, band[0], band[1], *level_band(during), drift, step_s))
            check(-24 <= band[0] and band[1] <= 24, "level excursion (96 %% of samples) "
                  "%.1f..%.1f frames" % band)
            check(abs(drift - target_ppm) < 2.0, "drift %.3f ppm after the step to %g"
                  % (drift, target_ppm))
        p.close()
        r = device_clean(d)
        check(r["clock"]["ppm_changes"] == 2, "device clock: %s" % r["clock"])
        fin = d.stop()
        check(fin["xruns_capture"] == 0 and fin["xruns_playback"] == 0 and fin["dropped"] == 0,
              "final counters %s" % fin)
    finally:
        d.cleanup()


def run_offset(name, ppm, rate_adjust, device_s, periods=PERIODS):
    """dspd at a capture offset of ppm for device_s device seconds; returns
    (xruns, the clocks' last windows, device report)."""
    d = clocks_daemon(name, speed(), ppm, rate_adjust=rate_adjust, periods=periods)
    try:
        d.start()
        p = Probe(d)
        while True:
            t, st = p.status()
            xruns = st["xruns"]["capture"] + st["xruns"]["playback"]
            if t >= device_s or (not rate_adjust and xruns):
                break
            time.sleep(0.2)
        rows = p.window(device_s - 20, device_s) if rate_adjust else []
        p.close()
        rep = d.report()
        d.stop()
        return xruns, rows, rep
    finally:
        d.cleanup()


def test_thousand_ppm_both_ways_and_without_adjustment():
    """+-1000 ppm with rate_adjust: zero xruns, drift found.  A capture
    5000 ppm slow without it drains the playback buffer into an underrun
    within about 70 s of device time (the measurement can fail)."""
    if Paths.quick:
        return "skipped: the release run covers it; sanitizer builds run the long test"
    device_s = 90
    for ppm in (1000.0, -1000.0):
        xruns, rows, rep = run_offset("clocks%+d" % ppm, ppm, True, device_s)
        drift = drift_median(rows)
        print("  %+.0f ppm: %d xruns, drift %.3f ppm (median of %d samples; mean %.3f), "
              "level - target %.1f..%.1f" % (ppm, xruns, drift, len(rows), drift_stats(rows)[0],
                                              *level_band(rows)))
        check(xruns == 0 and rep["capture"]["overruns"] == 0 and rep["playback"]["underruns"] == 0,
              "xruns at %+g ppm: %d, device %s %s" % (ppm, xruns, rep["capture"], rep["playback"]))
        # the relative offset of the two clocks: (1 + c) / (1 + p) - 1
        check(abs(drift - ppm) < 2.0, "drift %.3f ppm at %+g ppm" % (drift, ppm))
    xruns, _, rep = run_offset("clocksoff", -5000.0, False, 150, periods=4)
    print("  -5000 ppm without rate_adjust: %d xrun(s) within 150 s device time" % xruns)
    check(xruns >= 1, "no xrun without rate adjustment: the test could not fail")


def tone_fit(x, freq, rate):
    """Least-squares a*sin + b*cos at freq: (amplitude, phase, residual rms)."""
    w = 2 * math.pi * freq / rate
    ss = sc = cc = xs = xc = 0.0
    for i, v in enumerate(x):
        s, c = math.sin(w * i), math.cos(w * i)
        ss += s * s
        sc += s * c
        cc += c * c
        xs += v * s
        xc += v * c
    det = ss * cc - sc * sc
    a = (xs * cc - xc * sc) / det
    b = (xc * ss - xs * sc) / det
    res = 0.0
    for i, v in enumerate(x):
        e = v - a * math.sin(w * i) - b * math.cos(w * i)
        res += e * e
    return math.hypot(a, b), math.atan2(b, a), math.sqrt(res / len(x))


def measured_frequency(x, nominal, rate, gap_s=1.0, seg_s=0.25):
    """The tone's frequency from its phase advance between two segments
    gap_s apart (unambiguous within +-1/(2 gap_s) Hz of nominal)."""
    n, gap = int(seg_s * rate), int(gap_s * rate)
    _, p0, _ = tone_fit(x[:n], nominal, rate)
    _, p1, _ = tone_fit(x[gap:gap + n], nominal, rate)
    d = p1 - p0 - 2 * math.pi * nominal * gap / rate
    d = (d + math.pi) % (2 * math.pi) - math.pi
    return nominal + d * rate / (2 * math.pi * gap)


def thdn_db(x, nominal, rate):
    """THD+N of a 0.1 s segment against the tone fitted at the segment's
    own frequency (the loop's few ppm of wander are not distortion)."""
    n = rate // 10
    freq = measured_frequency(x[:n], nominal, rate, gap_s=0.05, seg_s=0.05)
    amp, _, res = tone_fit(x[:n], freq, rate)
    return amp, 20 * math.log10(res / (amp / math.sqrt(2)))


def test_output_carries_the_capture_clock():
    """A 1 kHz sine captured +300 ppm fast comes out at 1000.3 Hz of the
    playback clock once converged (no frame lost or repeated on the way:
    a clean tone, THD+N measured)."""
    d = clocks_daemon("clockstone", speed(), 300.0, record=True)
    try:
        d.start()
        p = Probe(d)
        p.run_until(40 if Paths.quick else 60)
        p.close()
        d.stop()
        left = read_f32(d.record_path, 2)[0]
        tail = left[-int(3 * RATE):]
        # the phase advance over 2.5 s: the loop's wander from one status
        # sample to the next averages out (over 1 s a preempted delay read
        # under TSan moved the tone 13 ppm)
        freq = measured_frequency(tail, 1000.3, RATE, gap_s=2.5)
        amp, thdn = thdn_db(tail, 1000.0, RATE)
        # sanitizer builds: the correction's band is 300 +- 35 ppm, not +- 20
        tolerance = 0.02 if Paths.quick else 0.01
        print("  tone out %.4f Hz (want 1000.3000 +- %.2f), amplitude %.2f dBFS, THD+N %.1f dB"
              % (freq, tolerance, 20 * math.log10(amp), thdn))
        check(abs(freq - 1000.3) < tolerance, "tone at %.4f Hz, want 1000.3 +- %.2f"
              % (freq, tolerance))
        check(abs(20 * math.log10(amp) + 6.0) < 0.05, "amplitude %.3f dBFS" % (20 * math.log10(amp)))
        check(thdn < -85.0, "THD+N %.1f dB" % thdn)   # measured -96..-114
    finally:
        d.cleanup()


def test_fixed_ratio_44100_to_48000():
    """capture.rate 44100 into a 48 kHz pipeline and playback, no rate
    adjustment: 1 kHz stays 1 kHz, clean, no xrun; status says how."""
    d = clocks_daemon("clocks441", 4, 0.0, rate_adjust=False, capture_rate=44100,
                      periods=6, record=True)
    try:
        d.start()
        st = d.ctl("status")
        c = st["clocks"]
        check(c["capture_rate"] == 44100 and c["playback_rate"] == RATE and not c["rate_adjust"]
              and abs(c["ratio"] - 48000 / 44100) < 1e-9, "status.clocks %s" % c)
        check(st["capture"]["rate"] == 44100 and st["capture"]["period_frames"] == 7526
              and st["playback"]["period_frames"] == PERIOD, "streams %s %s"
              % (st["capture"], st["playback"]))
        p = Probe(d)
        p.run_until(20)
        band = level_band(p.window(5, 20))
        p.close()
        device_clean(d)
        fin = d.stop()
        check(fin["xruns_capture"] == 0 and fin["xruns_playback"] == 0, "counters %s" % fin)
        left = read_f32(d.record_path, 2)[0]
        tail = left[-int(3 * RATE):]
        freq = measured_frequency(tail, 1000.0, RATE)
        amp, thdn = thdn_db(tail, 1000.0, RATE)
        print("  44100 -> 48000: tone %.4f Hz, %.2f dBFS, THD+N %.1f dB, level - target %.1f..%.1f"
              % (freq, 20 * math.log10(amp), thdn, *band))
        check(abs(freq - 1000.0) < 0.005, "tone at %.4f Hz" % freq)
        check(abs(20 * math.log10(amp) + 6.0) < 0.05, "amplitude %.3f dBFS" % (20 * math.log10(amp)))
        check(thdn < -90.0, "THD+N %.1f dB" % thdn)
        # Without adjustment nothing pulls the level back to the target, so
        # where it sits is set by the start's phase (a slow start under TSan
        # put it at +7.6 frames); what a fixed ratio must not do is move.
        check(band[1] - band[0] <= 6, "a fixed ratio's level moved %.1f..%.1f" % band)
        check(-32 <= band[0] and band[1] <= 32, "a fixed ratio's level sits at %.1f..%.1f" % band)
    finally:
        d.cleanup()
