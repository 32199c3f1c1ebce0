"""EBU R128 loudness of a tap (libebur128 on the control thread).  A 1 kHz
sine of peak amplitude A in both stereo channels measures 20*log10(A) LUFS:
BS.1770's -0.691 dB offset cancels the K-weighting's gain at 1 kHz."""

import time

from harness import Daemon, check, device, raw_request


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
        d.stop()
        check(d.report()["playback"]["frames"] > 0, "nothing played")
    finally:
        d.cleanup()
