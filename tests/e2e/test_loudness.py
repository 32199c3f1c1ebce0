"""EBU R128 loudness of a tap (libebur128 on the control thread).  A 1 kHz
sine of peak amplitude A in both stereo channels measures 20*log10(A) LUFS:
BS.1770's -0.691 dB offset cancels the K-weighting's gain at 1 kHz."""

import math
import time

from harness import Daemon, check, device, raw_request, read_f32, rms_db


def call(d, method):
    reply = raw_request(d.socket, b'{"jsonrpc":"2.0","id":1,"method":"%s"}\n' % method.encode())[0]
    return reply


def test_loudness_of_a_sine_on_both_taps():
    d = Daemon("loudness", period=256, periods=8)
    d.cfg["capture"]["device"] = device("dspdtest_sine")
    d.cfg["volume"] = {"db": -6.0}
    d.cfg["loudness"] = {"tap": "playback"}
    d.write_config(d.cfg)
    try:
        d.start()
        time.sleep(3.5)
        r = call(d, "loudness")["result"]
        print("    %s" % r)
        # -6 dBFS sine, -6 dB volume: -12 LUFS
        check(abs(r["momentary_lufs"] + 12.0) < 0.1, "momentary %s" % r["momentary_lufs"])
        check(abs(r["short_term_lufs"] + 12.0) < 0.1, "short-term %s" % r["short_term_lufs"])
        check(abs(r["integrated_lufs"] + 12.0) < 0.1, "integrated %s" % r["integrated_lufs"])
        check(r["range_lu"] < 0.5, "a steady tone has no loudness range: %s" % r["range_lu"])
        check(all(abs(p + 12.04) < 0.1 for p in r["sample_peak_dbfs"]), "peaks %s" % r["sample_peak_dbfs"])
        check(r["seconds"] > 3.0, "measured %s s" % r["seconds"])
        j = d.ctl("loudness")
        check(abs(j["integrated_lufs"] + 12.0) < 0.1, "dspctl --json loudness: %s" % j)
        human = d.ctl("loudness", json_out=False).stdout
        check("integrated:" in human and "LUFS" in human, "dspctl loudness: %r" % human)
        r = call(d, "loudness.reset")["result"]
        check(r["seconds"] < 0.1, "reset kept %s s" % r["seconds"])
        d.stop()
    finally:
        d.cleanup()
    d = Daemon("loudness-off")
    try:
        d.start()
        err = call(d, "loudness")["error"]
        check(err["code"] == -32000 and "off" in err["data"]["reason"], "metering off: %s" % err)
        d.stop()
    finally:
        d.cleanup()


def test_meter_blocks_tap_any_point():
    """"meter" blocks are level taps inside the pipeline: before and after
    a -6 dB gain on a -6 dBFS sine they read -6/-12 dBFS peak and
    -9/-15 dBFS RMS, in `levels` and in `pipeline.list`."""
    d = Daemon("meter-taps", period=256, periods=8)
    d.cfg["capture"]["device"] = device("dspdtest_sine")
    d.cfg["playback"]["device"] = device(report=d.report_path, record=d.record_path)
    d.cfg["pipeline"] = [{"type": "meter", "name": "pre"},
                         {"type": "gain", "name": "trim", "db": -6.0},
                         {"type": "meter", "name": "post", "channels": [1], "window_ms": 100}]
    d.write_config(d.cfg)
    try:
        d.start()
        time.sleep(1.5)
        taps = d.ctl("levels")["taps"]
        pre, post = taps["pre"], taps["post"]
        check([c["channel"] for c in pre] == [0, 1] and [c["channel"] for c in post] == [1],
              "tap channels %s" % taps)
        for c in pre:
            check(abs(c["peak_dbfs"] + 6.0) < 0.2 and abs(c["rms_dbfs"] + 9.03) < 0.2, "pre %s" % c)
        check(abs(post[0]["peak_dbfs"] + 12.0) < 0.2 and abs(post[0]["rms_dbfs"] + 15.05) < 0.2,
              "post %s" % post)
        blocks = d.ctl("pipeline")["blocks"]
        check(blocks[2]["name"] == "post" and "levels" in blocks[2], "pipeline.list %s" % blocks[2])
        fc = d.stop()
        # the meters must not touch the audio: what played is the 1 kHz
        # sine through the -6 dB gain alone: -12 dBFS peak, -15.01 dBFS RMS,
        # and every sample on the sine (x[n-1] + x[n+1] = 2 cos(w) x[n]),
        # so no altered, rectified or missing sample (the first 0.5 s and
        # the last 0.3 s hold the start and the stop).  An xrun (a loaded
        # machine) adds silence and a fade-in: then only the peak counts.
        xruns = fc["xruns_capture"] + fc["xruns_playback"]
        two_cos = 2 * math.cos(2 * math.pi * 1000 / 48000)
        for c, x in enumerate(read_f32(d.record_path, 2)):
            mid = x[24000:len(x) - 14400]
            check(len(mid) >= 24000, "only %d frames played" % len(x))
            peak = 20 * math.log10(max(abs(v) for v in mid))
            rms = rms_db(mid)
            off = [abs(mid[i - 1] + mid[i + 1] - two_cos * mid[i]) for i in range(1, len(mid) - 1)]
            breaks = sum(e >= 1e-5 for e in off)
            print("  played channel %d: peak %.3f dBFS, RMS %.3f dBFS, off the sine by %.2g at "
                  "most, %d breaks, %d xruns" % (c, peak, rms, max(off), breaks, xruns))
            check(abs(peak + 12.0) < 0.02 and (xruns or (abs(rms + 15.01) < 0.02 and not breaks)),
                  "played channel %d: peak %.3f dBFS, RMS %.3f dBFS, %d samples off the sine "
                  "(at most %.2g), %d xruns" % (c, peak, rms, breaks, max(off), xruns))
    finally:
        d.cleanup()
