"""The player's volume (issue 17, items 5 and 6): the master gain linked to
an ALSA volume element (volume.control / element / mute_element), named
faders (dspctl set gain NAME DB) and the volume ceiling (volume.max_db).

The link runs against the rig's snd_ctl_ext control device "dspdtest"
(tests/alsa/README.md, mode "mixer": a volume element with a 0.5 dB
DB_SCALE from -60 dB and a switch; the control-file command
`cset NAME VALUE` writes an element as a player does).  The ctl is defined
here, in an extra ALSA configuration, from the plugin of build/alsa (or
$DSPD_TEST_CTL_PLUGIN); without the rig's ctl in that plugin the link
tests are skipped.  Named faders and the ceiling need no ctl.

Latencies are printed so that the closing notes can quote them (goal:
each way within 20 ms)."""
import json
import os
import socket
import subprocess
import time

from harness import ROOT, Daemon, Failure, check

VOLUME = "Master Playback Volume"
SWITCH = "Master Playback Switch"


def plugin_path():
    return os.environ.get("DSPD_TEST_CTL_PLUGIN") or os.path.join(
        ROOT, "build", "alsa", "libasound_module_pcm_dspdtest.so")


def rig_has_ctl():
    p = plugin_path()
    if not os.path.exists(p):
        return False
    out = subprocess.run(["nm", "-D", p], capture_output=True, text=True).stdout
    return "_snd_ctl_dspdtest_open" in out


class LinkDaemon(Daemon):
    """A Daemon whose ALSA configuration adds ctl.dspdtest_vol (mode
    mixer, volume and switch) with its own control file."""

    def __init__(self, name, volume=None, **kw):
        super().__init__(name, **kw)
        self.ctl_control = os.path.join(self.dir, "mixer.ctl")
        self.alsa_extra = os.path.join(self.dir, "ctl.conf")
        with open(self.alsa_extra, "w") as f:
            f.write('ctl_type.dspdtest { lib "%s" }\n' % plugin_path())
            f.write('ctl.dspdtest_vol { type dspdtest mode "mixer" volume "%s" '
                    'switch "%s" control "%s" }\n' % (VOLUME, SWITCH, self.ctl_control))
            f.write('ctl.dspdtest_novol { type dspdtest mode "mixer" }\n')
        self.cfg["volume"] = volume or {}
        self.write_config(self.cfg)

    def env(self):
        env = super().env()
        env["ALSA_CONFIG_PATH"] += ":" + self.alsa_extra
        return env

    def cset(self, name, value, timeout=2.0):
        """A player writes the element; returns once the rig took it."""
        tmp = self.ctl_control + ".tmp"
        with open(tmp, "w") as f:
            f.write("cset %s %d\n" % (name, value))
        os.rename(tmp, self.ctl_control)
        deadline = time.monotonic() + timeout
        while os.path.exists(self.ctl_control):
            check(time.monotonic() < deadline, "the rig did not take cset %s %d" % (name, value))
            time.sleep(0.0005)


class Conn:
    """One raw connection: fast requests for the latency figures."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.file = self.sock.makefile("rb")
        self.id = 0

    def call(self, method, params=None):
        self.id += 1
        req = {"jsonrpc": "2.0", "id": self.id, "method": method}
        if params is not None:
            req["params"] = params
        self.sock.sendall((json.dumps(req) + "\n").encode())
        while True:
            msg = json.loads(self.file.readline())
            if msg.get("id") == self.id:
                return msg

    def result(self, method, params=None):
        msg = self.call(method, params)
        check("result" in msg, "%s: %s" % (method, msg))
        return msg["result"]

    def close(self):
        self.sock.close()


def wait_for(what, fn, timeout=2.0):
    """Polls fn until true; returns the seconds it took."""
    t0 = time.monotonic()
    while not fn():
        check(time.monotonic() - t0 < timeout, "timed out waiting for " + what)
        time.sleep(0.0005)
    return time.monotonic() - t0


def value_for(db):
    return round((db + 60.0) / 0.5)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def link_daemon(name, **volume):
    vol = {"control": "dspdtest_vol", "element": VOLUME, "mute_element": SWITCH}
    vol.update(volume)
    return LinkDaemon(name, volume=vol)


def test_volume_link_both_ways():
    if not rig_has_ctl():
        return "skipped: the rig's ctl (_snd_ctl_dspdtest_open) is not in %s" % plugin_path()
    d = link_daemon("vlink")
    try:
        d.start()
        vl = d.ctl("status")["volume_link"]
        check(vl["state"] == "linked", "not linked: %s" % vl)
        c = Conn(d.socket)
        to_gain, to_elem = [], []
        for i in range(20):
            v = 20 + 4 * i
            d.cset(VOLUME, v)
            to_gain.append(wait_for("gain %g" % (-60 + 0.5 * v), lambda: abs(
                c.result("gain.get")["db"] - (-60 + 0.5 * v)) < 1e-6))
            db = -37.3 + i
            t0 = time.monotonic()
            c.result("gain.set", {"db": db})
            wait_for("element %d" % value_for(db),
                     lambda: c.result("status")["volume_link"]["value"] == value_for(db))
            to_elem.append(time.monotonic() - t0)
            # the echo of our own write did not quantize the gain
            check(c.result("gain.get")["db"] == round(db, 2), "gain quantized: %s" % c.result("gain.get"))
        print("volume link: element -> gain median %.1f ms max %.1f ms; gain -> element "
              "median %.1f ms max %.1f ms" % (1e3 * median(to_gain), 1e3 * max(to_gain),
                                              1e3 * median(to_elem), 1e3 * max(to_elem)))
        check(max(to_gain) < 0.05 and max(to_elem) < 0.05, "a way took more than 50 ms")
        # the mute switch both ways
        d.cset(SWITCH, 0)
        wait_for("mute", lambda: c.result("gain.get")["mute"] is True)
        c.result("mute.set", {"mute": False})
        d.cset(SWITCH, 1)     # what the player sees now; no change, no event effect
        check(c.result("gain.get")["mute"] is False, "unmute lost")
        c.close()
        check(d.ctl("status")["state"] == "running", "audio stopped")
        d.stop()
    finally:
        d.cleanup()


def test_volume_link_alternating():
    """1000 alternating writes from both sides end consistent, and nothing
    moves afterwards (no oscillation)."""
    if not rig_has_ctl():
        return "skipped: the rig's ctl is not built"
    d = link_daemon("vlalt")
    try:
        d.start()
        c = Conn(d.socket)
        for i in range(500):
            d.cset(VOLUME, (i * 37) % 121)
            c.result("gain.set", {"db": -60.0 + ((i * 53) % 600) / 10.0})
        time.sleep(0.2)
        vl1 = c.result("status")["volume_link"]
        g1 = c.result("gain.get")
        check(vl1["state"] == "linked", "link lost: %s" % vl1)
        check(value_for(g1["db"]) == vl1["value"] or abs(-60 + 0.5 * vl1["value"] - g1["db"]) < 1e-6,
              "inconsistent: gain %s, element %s" % (g1, vl1))
        time.sleep(0.5)
        vl2 = c.result("status")["volume_link"]
        check(vl2["followed"] == vl1["followed"] and vl2["written"] == vl1["written"]
              and c.result("gain.get")["db"] == g1["db"], "still moving: %s -> %s" % (vl1, vl2))
        print("alternating: %d followed, %d written, final %.2f dB / value %d"
              % (vl2["followed"], vl2["written"], g1["db"], vl2["value"]))
        c.close()
        d.stop()
    finally:
        d.cleanup()


def test_volume_link_errors():
    """A missing device, or an element a plugin ctl cannot create: an
    error in status and the log, audio keeps playing."""
    cases = [("hw:99", "cannot open the control device")]
    if rig_has_ctl():
        cases.append(("dspdtest_novol", "cannot add user elements"))
    for control, text in cases:
        d = LinkDaemon("vlerr", volume={"control": control, "element": "DSPD Volume"})
        try:
            d.start()
            st = d.ctl("status")
            vl = st["volume_link"]
            check(vl["state"] == "error" and text in vl["last_error"], "%s: %s" % (control, vl))
            played = st["frames"]["played"]
            time.sleep(0.3)
            st = d.ctl("status")
            check(st["state"] == "running" and st["frames"]["played"] > played,
                  "audio stopped: %s" % st["state"])
            d.stop()
            check(text in d.log, "not in the log: " + text)
        finally:
            d.cleanup()


def test_volume_link_ceiling():
    if not rig_has_ctl():
        return "skipped: the rig's ctl is not built"
    d = link_daemon("vlceil", max_db=-20)
    try:
        d.start()
        d.cset(VOLUME, 120)                    # 0 dB at the element
        c = Conn(d.socket)
        wait_for("clamped gain", lambda: c.result("gain.get")["db"] == -20.0)
        c.close()
        d.stop()
    finally:
        d.cleanup()


def test_named_fader():
    d = Daemon("fader", extra={"pipeline": [{"type": "gain", "name": "sub", "db": -3},
                                            {"type": "meter", "name": "m"}]})
    try:
        d.start()
        r = d.ctl("set", "gain", "sub", "-12.5")
        check(r["block"] == "sub" and r["db"] == -12.5 and r["change"]["class"] == "parameters",
              "set: %s" % r)
        check(d.ctl("get", "gain", "sub") == {"block": "sub", "db": -12.5, "mute": False}, "get")
        text = d.ctl("get", "gain", "sub", json_out=False).stdout
        check(text.strip() == "sub: -12.5 dB", "rendered: %r" % text)
        # the running configuration says the same, and the master is untouched
        cfg = d.ctl("call", "config.get")
        blocks = cfg.get("config", cfg).get("pipeline", [])
        check(any(b.get("name") == "sub" and b.get("db") == -12.5 for b in blocks),
              "config.get: %s" % blocks)
        check(d.ctl("get", "gain")["db"] == 0.0, "master moved")
        p = d.ctl("set", "gain", "m", "-3", expect_rc=None, json_out=False)
        check(p.returncode != 0 and "no gain block named" in p.stderr, "meter: %s" % p.stderr)
        p = d.ctl("set", "gain", "sub", "-3", "--ramp", "5", expect_rc=None, json_out=False)
        check(p.returncode == 2, "--ramp with a block: rc %d" % p.returncode)
        d.stop()
    finally:
        d.cleanup()


def test_volume_ceiling():
    d = Daemon("ceiling", extra={"volume": {"max_db": -6},
                                 "pipeline": [{"type": "gain", "name": "g", "db": -10}]})
    try:
        d.start()
        check(d.ctl("status")["gain"]["max_db"] == -6.0, "status shows no ceiling")
        for args in (("set", "gain", "-3"), ("set", "gain", "g", "0")):
            p = d.ctl(*args, expect_rc=None, json_out=False)
            check(p.returncode != 0 and "ceiling" in p.stderr, "%s: %s" % (args, p.stderr))
        g = d.ctl("get", "gain")
        check(g["db"] == -6.0, "the file's 0 dB not lowered to the ceiling: %s" % g)
        d.ctl("set", "gain", "-8")
        d.ctl("adjust", "gain", "+5")              # a knob: clamped
        check(d.ctl("get", "gain")["db"] == -6.0, "adjust not clamped")
        check(d.ctl("set", "gain", "-6")["db"] == -6.0, "at the ceiling refused")
        d.stop()
    finally:
        d.cleanup()
