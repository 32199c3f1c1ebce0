"""The independent side of test_response.py, run by /usr/bin/python3 (numpy
and scipy): filters designed here from the RBJ cookbook and
scipy.signal.butter, their responses by scipy.signal.sosfreqz /
group_delay; a rendered impulse response's DTFT by numpy.  Reads a JSON
job on stdin, writes the curves as JSON: {"db": [..], "phase_deg": [..],
"group_delay_ms": [..]} per curve (None where |H| is 0)."""

import json
import sys

import numpy as np
from scipy import signal


def rbj(kind, f0, rate, q=None, gain_db=0.0):
    """One section (b0, b1, b2, 1, a1, a2) from Robert Bristow-Johnson's
    Audio EQ Cookbook."""
    A = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * f0 / rate
    c, s = np.cos(w0), np.sin(w0)
    alpha = s / (2 * q)
    if kind == "lowpass":
        b, a = [(1 - c) / 2, 1 - c, (1 - c) / 2], [1 + alpha, -2 * c, 1 - alpha]
    elif kind == "highpass":
        b, a = [(1 + c) / 2, -(1 + c), (1 + c) / 2], [1 + alpha, -2 * c, 1 - alpha]
    elif kind == "bandpass":
        b, a = [alpha, 0, -alpha], [1 + alpha, -2 * c, 1 - alpha]
    elif kind == "notch":
        b, a = [1, -2 * c, 1], [1 + alpha, -2 * c, 1 - alpha]
    elif kind == "allpass":
        b, a = [1 - alpha, -2 * c, 1 + alpha], [1 + alpha, -2 * c, 1 - alpha]
    elif kind == "peaking":
        b, a = [1 + alpha * A, -2 * c, 1 - alpha * A], [1 + alpha / A, -2 * c, 1 - alpha / A]
    elif kind == "lowshelf":
        r = 2 * np.sqrt(A) * alpha
        b = [A * ((A + 1) - (A - 1) * c + r), 2 * A * ((A - 1) - (A + 1) * c),
             A * ((A + 1) - (A - 1) * c - r)]
        a = [(A + 1) + (A - 1) * c + r, -2 * ((A - 1) + (A + 1) * c), (A + 1) + (A - 1) * c - r]
    elif kind == "highshelf":
        r = 2 * np.sqrt(A) * alpha
        b = [A * ((A + 1) + (A - 1) * c + r), -2 * A * ((A - 1) + (A + 1) * c),
             A * ((A + 1) + (A - 1) * c - r)]
        a = [(A + 1) - (A - 1) * c + r, 2 * ((A - 1) - (A + 1) * c), (A + 1) - (A - 1) * c - r]
    elif kind in ("lowpass1", "highpass1"):
        # the analog 1/(s+1) or s/(s+1), bilinear, pre-warped at f0
        k = np.tan(w0 / 2)
        if kind == "lowpass1":
            b, a = [k, k, 0], [k + 1, k - 1, 0]
        else:
            b, a = [1, -1, 0], [k + 1, k - 1, 0]
    else:
        raise ValueError(kind)
    return np.concatenate([np.array(b) / a[0], np.array(a) / a[0]])


def geq_sections(bands, resolution, rate):
    out = []
    half = 10 ** ((3.0 if resolution == "octave" else 1.0) / 20)
    q = 1 / (half - 1 / half)
    for i, g in enumerate(bands):
        k = -15 + 3 * i if resolution == "octave" else -17 + i
        f = 1000 * 10 ** (k / 10)
        if f < rate / 2:
            out.append(rbj("peaking", f, rate, q, g))
    return out


def block_sos(b, rate):
    """A filter block's sections, designed here."""
    t = b["type"]
    if t == "biquad":
        return [rbj(b["kind"], b["freq"], rate, b.get("q", 1 / np.sqrt(2)), b.get("gain_db", 0.0))]
    if t == "peq":
        return [rbj(x["kind"], x["freq"], rate, x.get("q", 1 / np.sqrt(2)), x.get("gain_db", 0.0))
                for x in b["bands"]]
    if t == "geq":
        return geq_sections(b["bands"], b.get("resolution", "third"), rate)
    if t == "butterworth":
        return list(signal.butter(b["order"], b["freq"], fs=rate, output="sos",
                                  btype="low" if b["kind"] == "lowpass" else "high"))
    if t == "linkwitz_riley":
        half = signal.butter(b["order"] // 2, b["freq"], btype="low" if b["kind"] == "lowpass" else "high",
                             fs=rate, output="sos")
        return list(half) * 2   # a Linkwitz-Riley filter is a Butterworth squared
    raise ValueError(t)


def sos_response(sos, freqs, rate):
    """H by sosfreqz, group delay (samples) as the sum of each section's."""
    sos = np.array(sos)
    _, h = signal.sosfreqz(sos, worN=freqs, fs=rate)
    gd = np.zeros(len(freqs))
    for sec in sos:
        _, g = signal.group_delay((sec[:3], sec[3:]), w=freqs, fs=rate)
        gd += g
    return h, gd


def dtft(x, freqs, rate):
    """H and group delay (samples) of a finite response x by its DTFT and
    that of n x[n]: gd = Re(sum n x e^-jwn / H)."""
    n = np.arange(len(x))
    h = np.empty(len(freqs), complex)
    hn = np.empty(len(freqs), complex)
    for i, f in enumerate(freqs):
        e = np.exp(-2j * np.pi * f / rate * n)
        h[i] = x @ e
        hn[i] = (n * x) @ e
    with np.errstate(divide="ignore", invalid="ignore"):
        gd = np.real(hn / h)
    return h, gd


def curves(h, gd, rate):
    mag = np.abs(h)
    out = {"db": [], "phase_deg": [], "group_delay_ms": []}
    for i in range(len(h)):
        if mag[i] == 0:
            for k in out:
                out[k].append(None)
            continue
        out["db"].append(20 * np.log10(mag[i]))
        out["phase_deg"].append(float(np.angle(h[i], deg=True)))
        out["group_delay_ms"].append(float(gd[i] * 1000 / rate))
    return out


def main():
    job = json.load(sys.stdin)
    rate, freqs = job["rate"], np.array(job["freqs"], float)
    if job["kind"] == "sos":
        h, gd = sos_response(block_sos(job["block"], rate), freqs, rate)
        h = h * job.get("gain", 1.0)
        gd = gd + job.get("delay", 0.0)
        h = h * np.exp(-2j * np.pi * freqs / rate * job.get("delay", 0.0))
        print(json.dumps(curves(h, gd, rate)))
    elif job["kind"] == "render":
        x = np.fromfile(job["file"], dtype="<f4").reshape(-1, job["channels"]).astype(float)
        x = x[job.get("skip", 0):]
        print(json.dumps([curves(*dtft(x[:, c], freqs, rate), rate) for c in range(job["channels"])]))
    elif job["kind"] == "fir":
        taps = np.array(job["taps"], dtype=np.float32).astype(float)
        h, gd = dtft(taps, freqs, rate)
        d = job.get("delay", 0.0)
        print(json.dumps(curves(h * np.exp(-2j * np.pi * freqs / rate * d), gd + d, rate)))


if __name__ == "__main__":
    main()
