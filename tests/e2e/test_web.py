"""test_web.py - the web page served by dspd (the "http" section): the page
in a real headless Chromium driven through chromedriver (webdriver.py), and
the HTTP protocol's limits with plain sockets.

The browser test is skipped, saying why, only when chromium or
chromedriver is missing (tests/install-deps.sh installs both)."""

import http.client
import json
import os
import socket
import subprocess
import time

from harness import (ROOT, Daemon, Failure, Paths, check, device, lane_fir, raw_request)
import webdriver

TOKEN = "s3cret-token-0123456789abcdef"
WEB_ROOT = os.path.join(ROOT, "web")
ARTIFACTS = os.path.join(ROOT, "build", "test-artifacts")
PAGE_FILES = ["/", "/app.js", "/app.css"]
PAGE_LIMIT = 200 * 1000


def web_daemon(name, max_clients=None, token=True, pipeline=None):
    """dspd on the test device with a 1 kHz -6 dBFS sine, a pipeline of a
    gain and a peq, and the web page on a free loopback port."""
    d = Daemon(name, fmt="FLOAT_LE", period=1024, periods=4)
    d.cfg["capture"]["device"] = device("dspdtest_sine")
    d.cfg["playback"]["device"] = device(report=d.report_path)
    d.port = webdriver.free_port()
    d.cfg["http"] = {"listen": "127.0.0.1:%d" % d.port, "root": WEB_ROOT}
    if token:
        path = os.path.join(d.dir, "token")
        with open(path, "w") as f:
            f.write("  %s\n" % TOKEN)        # white space around it is trimmed
        os.chmod(path, 0o600)
        d.cfg["http"]["token_file"] = path
    if max_clients:
        d.cfg["http"]["max_clients"] = max_clients
    d.cfg["pipeline"] = pipeline or [
        {"type": "gain", "name": "pre", "db": -1.0},
        {"type": "peq", "name": "eq", "bands": [
            {"kind": "peaking", "freq": 1000, "q": 1.4, "gain_db": 4.0},
            {"kind": "highpass", "freq": 40, "q": 0.707},
            {"kind": "lowshelf", "freq": 200, "q": 0.7, "gain_db": -3.0}]},
    ]
    d.write_config(d.cfg)
    return d


def request(port, method, path, body=None, headers=None, host=None, timeout=5):
    """One HTTP request sent as given (the path is not normalised): status,
    headers (lower-case names), body."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        c.putheader("Host", host or "127.0.0.1:%d" % port)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def rpc(port, method, params=None, token=None, rid=1):
    """POST /rpc: HTTP status and the JSON answer."""
    body = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        body["params"] = params
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    status, _, data = request(port, "POST", "/rpc", json.dumps(body).encode(), headers)
    return status, json.loads(data)


def socket_rpc(d, method, params=None):
    req = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        req["params"] = params
    answer = raw_request(d.socket, (json.dumps(req) + "\n").encode(), timeout=20)[0]
    return answer


def open_stream(port, rcvbuf=None):
    """A raw GET /events; returns the socket and the status line (what
    came after it is in s.rest)."""
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
    head = b""
    while b"\r\n" not in head:
        chunk = s.recv(1 if rcvbuf else 4096)
        if not chunk:
            break
        head += chunk
    line, _, rest = head.partition(b"\r\n")
    s_rest[s.fileno()] = rest
    return s, line.decode(errors="replace")


s_rest = {}


# ---- the page in Chromium ----

def page_rate(b, seconds=3.0):
    """Level events a second the page received (their seq numbers)."""
    s0 = b.run("return window.dspd.lastLevels.seq")
    t0 = time.monotonic()
    time.sleep(seconds)
    s1 = b.run("return window.dspd.lastLevels.seq")
    return (s1 - s0) / (time.monotonic() - t0)


def close_to(a, b, tol):
    return a is not None and b is not None and abs(a - b) <= tol


def check_plot(b, d, block=None):
    """The curve the page drew is pipeline.response's, point for point."""
    params = {"points": 256}
    if block:
        params["block"] = block
    b.wait_for("window.dspd.plotData && window.dspd.plotData.block === %s"
               % json.dumps(block), what="the plot of %s" % (block or "the pipeline"))
    drawn = b.run("return window.dspd.plotData")
    ref = socket_rpc(d, "pipeline.response", params)["result"]
    curves = ref["channels"]
    if block:
        curves = next(x for x in ref["blocks"] if x["name"] == block)["channels"]
    check(len(drawn["freqs"]) == len(ref["freqs"]) == 256,
          "plotted %d frequencies, pipeline.response has %d" % (len(drawn["freqs"]), len(ref["freqs"])))
    check(all(abs(x - y) <= 1e-9 * max(1, abs(y)) for x, y in zip(drawn["freqs"], ref["freqs"])),
          "plotted frequencies differ from pipeline.response's")
    check([c["channel"] for c in drawn["channels"]] == [c["channel"] for c in curves],
          "plotted channels %s, pipeline.response %s" % (
              [c["channel"] for c in drawn["channels"]], [c["channel"] for c in curves]))
    worst = 0.0
    for dc, rc in zip(drawn["channels"], curves):
        for x, y in zip(dc["db"], rc["db"]):
            check((x is None) == (y is None), "a null point differs")
            if x is not None:
                worst = max(worst, abs(x - y))
    check(worst <= 1e-9, "plotted dB differ from pipeline.response by %.3g" % worst)
    # the plot is of this pipeline: the peq's +4 dB peak at 1 kHz is there
    k = min(range(256), key=lambda i: abs(ref["freqs"][i] - 1000))
    peak = drawn["channels"][0]["db"][k]
    want = 4.0 if block == "eq" else 3.0
    check(abs(peak - want) < 0.6, "the curve at %.0f Hz is %.2f dB, want about %.1f" % (
        ref["freqs"][k], peak, want))
    print("    plot of %s: %d points x %d channels equal to pipeline.response; %.2f dB at 1 kHz"
          % (block or "the pipeline", len(drawn["freqs"]), len(drawn["channels"]), peak))


def test_web_page_in_chromium():
    """Headless Chromium loads the page from dspd: the meters follow the
    test signal at >= 20 updates/s and agree with `dspctl levels`; the
    plotted curve is pipeline.response's (whole pipeline and one block);
    the gain slider and mute change the daemon with the token, and without
    it the change is refused; the page weighs < 200 kB and makes no
    request to another origin.  Screenshot: build/test-artifacts/web.png."""
    why = webdriver.missing()
    if why:
        return "skipped: " + why
    d = web_daemon("web")
    b = None
    try:
        d.start()
        origin = "http://127.0.0.1:%d" % d.port
        b = webdriver.Browser(d.dir)
        b.performance_log()                      # the browser's own start-up
        # -- read-only: no token --
        b.get(origin + "/")
        b.wait_for("window.dspd && window.dspd.meterUpdates > 5 && window.dspd.lastLevels",
                   what="the meters")
        check(b.run("return document.getElementById('gain').disabled"),
              "the gain slider is enabled without a token")
        refused = b.run_async("const done = arguments[0];"
                              "window.dspd.rpc('gain.set', {db: -20}).then("
                              "r => done({ok: r}), e => done({code: e.code, message: e.message}));")
        check(refused.get("code") == -32001 and "read-only" in refused.get("message", ""),
              "gain.set without the token: %s" % refused)
        check(d.ctl("get", "gain")["db"] == 0.0, "the gain changed without the token")
        # -- the meters: rate, values against dspctl levels --
        rate = page_rate(b)
        print("    level events in the browser: %.1f/s" % rate)
        check(rate >= 20, "the page got %.1f level events/s (want >= 20)" % rate)
        drawn0 = b.run("return window.dspd.meterUpdates")
        time.sleep(0.5)
        check(b.run("return window.dspd.meterUpdates") > drawn0, "the meters are not redrawn")
        lv = d.ctl("levels")
        page = b.run("return window.dspd.lastLevels")
        for tap in ("capture", "playback"):
            for ch in (0, 1):
                p, c = page[tap][ch]["peak_dbfs"], lv[tap][ch]["peak_dbfs"]
                check(close_to(p, c, 0.5), "%s %d: page %s dBFS, dspctl levels %s" % (tap, ch, p, c))
        check(close_to(page["capture"][0]["peak_dbfs"], -6.0, 0.3), "capture peak %s" % page["capture"][0])
        # -- the plot --
        methods = socket_rpc(d, "hello")["result"]["methods"]
        if "pipeline.response" in methods:
            check_plot(b, d)
            el = b._s("POST", "/element", {"using": "css selector", "value": "#pipeline li[data-name=eq]"})
            b._s("POST", "/element/%s/click" % list(el.values())[0], {})
            check_plot(b, d, block="eq")
        else:
            err = b.wait_for("window.dspd.responseError", what="the plot's message")
            check("no pipeline.response" in err, "the page says %r without the method" % err)
            print("    NOTE: this dspd has no pipeline.response: the plot comparison did not run")
        # -- with the token (from the URL fragment): the slider by keyboard --
        b.get(origin + "/#token=" + TOKEN)
        b.wait_for("!document.getElementById('gain').disabled", what="the slider enabled by the token")
        check(b.run("return location.hash") == "", "the token stays in the URL")
        el = b._s("POST", "/element", {"using": "css selector", "value": "#gain"})
        gain_el = list(el.values())[0]
        b._s("POST", "/element/%s/value" % gain_el, {"text": "\ue012" * 20})  # 20 x Left: -10 dB
        deadline = time.monotonic() + 10
        while d.ctl("get", "gain")["db"] != -10.0 and time.monotonic() < deadline:
            time.sleep(0.1)
        check(d.ctl("get", "gain")["db"] == -10.0, "the slider left the gain at %s" % d.ctl("get", "gain"))
        # the playback meters follow the new gain (-3 dBFS - 10 dB)
        b.wait_for("Math.abs(window.dspd.lastLevels.playback[0].peak_dbfs + 13) < 0.5",
                   what="the playback meter at -13 dBFS")
        el = b._s("POST", "/element", {"using": "css selector", "value": "#mute"})
        mute_el = list(el.values())[0]
        b._s("POST", "/element/%s/click" % mute_el, {})
        deadline = time.monotonic() + 5
        while not d.ctl("status")["gain"]["mute"] and time.monotonic() < deadline:
            time.sleep(0.1)
        check(d.ctl("status")["gain"]["mute"], "the mute box did not mute")
        b._s("POST", "/element/%s/click" % mute_el, {})
        b.wait_for("window.dspd.lastStatus && window.dspd.lastStatus.gain.mute === false",
                   what="unmuted")
        time.sleep(1.2)                          # a status event after the change
        png = os.path.join(ARTIFACTS, "web.png")
        size = b.screenshot(png)
        print("    screenshot %s (%d bytes)" % (png, size))
        # -- no other origin: Chrome's network log and the page's entries --
        urls = [m["params"]["request"]["url"] for m in b.performance_log()
                if m["method"] == "Network.requestWillBeSent"]
        entries = b.run("return performance.getEntries().filter(e => e.entryType === "
                        "'resource' || e.entryType === 'navigation').map(e => e.name)")
        web = [u for u in urls + entries if u.split(":")[0] in ("http", "https", "ws", "wss")]
        check(len(web) >= 5, "too few requests seen: %s" % web)
        foreign = [u for u in web if not u.startswith(origin + "/")]
        check(not foreign, "requests to another origin: %s" % foreign)
        print("    %d requests, all to %s" % (len(web), origin))
        # -- the page's weight --
        total = 0
        for path in PAGE_FILES:
            status, _, body = request(d.port, "GET", path)
            check(status == 200, "GET %s: %d" % (path, status))
            total += len(body)
        print("    page weight %d bytes" % total)
        check(total < PAGE_LIMIT, "the page weighs %d bytes (limit %d)" % (total, PAGE_LIMIT))
        d.stop()
    finally:
        if b:
            b.close()
        d.cleanup()


# ---- the protocol ----

def test_web_protocol_limits():
    """The page's files only (no path from a URL reaches the file system),
    with their types and the security headers, never CORS; POST /rpc's body
    limit, bad JSON, content type, wrong token, methods that need a
    connection, batches; the Host check; other methods refused."""
    d = web_daemon("web-proto")
    try:
        d.start()
        port = d.port
        for path, ctype in (("/", "text/html"), ("/index.html", "text/html"),
                            ("/app.js", "text/javascript"), ("/app.css", "text/css")):
            status, h, body = request(port, "GET", path, headers={"Origin": "http://evil.example"})
            check(status == 200 and h["content-type"].startswith(ctype), "GET %s: %d %s" % (path, status, h))
            check("default-src 'self'" in h.get("content-security-policy", ""), "no CSP on %s" % path)
            check(h.get("x-content-type-options") == "nosniff", "no nosniff on %s" % path)
            check("access-control-allow-origin" not in h, "a CORS header on %s" % path)
            check(h.get("cache-control") == "no-cache" and h.get("etag"), "caching headers %s" % h)
            with open(os.path.join(WEB_ROOT, "index.html" if path == "/" else path[1:]), "rb") as f:
                check(body == f.read(), "GET %s is not the file" % path)
        status, h, _ = request(port, "GET", "/app.js")
        status, _, body = request(port, "GET", "/app.js", headers={"If-None-Match": h["etag"]})
        check(status == 304 and body == b"", "If-None-Match: %d" % status)
        # traversal and other files: 404, nothing read
        for path in ("/../etc/passwd", "/..%2f..%2fetc%2fpasswd", "/%2e%2e/%2e%2e/etc/passwd",
                     "//etc/passwd", "/app.js/../../../etc/passwd", "/./app.js", "/APP.JS",
                     "/web/index.html", "/index.html%00.js", "/dspd.conf", "/token", "/.git/config",
                     "/etc/passwd", "/app.js/"):
            status, _, body = request(port, "GET", path)
            check(status in (400, 404) and b"root:" not in body and TOKEN.encode() not in body,
                  "GET %s: %d %r" % (path, status, body[:80]))
        status, _, _ = request(port, "GET", "/app.js?v=2")
        check(status == 200, "a query string: %d" % status)
        # methods
        # (libevent answers 501 to the methods it was not told to allow)
        for method, path, want in (("PUT", "/", 501), ("DELETE", "/rpc", 501),
                                   ("GET", "/rpc", 405), ("POST", "/", 405),
                                   ("OPTIONS", "/rpc", 501)):
            status, h, _ = request(port, method, path, body=b"" if method != "GET" else None)
            check(status == want and "access-control-allow-origin" not in h,
                  "%s %s: %d (want %d)" % (method, path, status, want))
        # the Host check (DNS rebinding): only the loopback names
        for host in ("evil.example:%d" % port, "evil.example", "127.0.0.1:1", "127.0.0.1.evil.example:%d" % port):
            status, _, _ = request(port, "GET", "/", host=host)
            check(status == 421, "Host %s: %d" % (host, status))
        for host in ("localhost:%d" % port, "127.0.0.1:%d" % port):
            status, _, _ = request(port, "GET", "/", host=host)
            check(status == 200, "Host %s: %d" % (host, status))
        # POST /rpc
        status, a = rpc(port, "status")
        check(status == 200 and a["result"]["state"] == "running", "status over HTTP: %s" % a)
        status, a = rpc(port, "hello")
        check(a["result"]["read_only"] is True, "hello without a token: %s" % a)
        status, a = rpc(port, "hello", token=TOKEN)
        check(a["result"]["read_only"] is False, "hello with the token: %s" % a)
        status, a = rpc(port, "gain.set", {"db": -4}, token="wrong-token-0123456789")
        check(status == 401 and a["error"]["code"] == -32001, "a wrong token: %d %s" % (status, a))
        status, a = rpc(port, "gain.set", {"db": -4}, token=TOKEN[:-1])
        check(status == 401, "a token one character short: %d" % status)
        status, a = rpc(port, "gain.set", {"db": -4})
        check(a["error"]["code"] == -32001 and "read-only" in a["error"]["data"]["reason"],
              "gain.set without a token: %s" % a)
        check(d.ctl("get", "gain")["db"] == 0.0, "the gain changed without the right token")
        status, a = rpc(port, "gain.set", {"db": -4}, token=TOKEN)
        check(a.get("result", {}).get("db") == -4.0, "gain.set with the token: %s" % a)
        check(d.ctl("get", "gain")["db"] == -4.0, "gain.set over HTTP did not apply")
        for m, p in (("subscribe", {"topics": ["levels"]}), ("record", {"tap": "capture", "seconds": 1}),
                     ("unsubscribe", {"topics": ["levels"]})):
            status, a = rpc(port, m, p, token=TOKEN)
            check(a["error"]["code"] == -32600 and "not available over HTTP" in a["error"]["data"]["reason"],
                  "%s over HTTP: %s" % (m, a))
        status, a = rpc(port, "no.such.method")
        check(a["error"]["code"] == -32601, "unknown method: %s" % a)
        js = {"Content-Type": "application/json"}
        status, _, body = request(port, "POST", "/rpc", b'{"jsonrpc":"2.0","id":1,"method":', js)
        check(status == 400 and json.loads(body)["error"]["code"] == -32700, "bad JSON: %d %s" % (status, body))
        status, _, body = request(port, "POST", "/rpc", b'[{"jsonrpc":"2.0","id":1,"method":"status"}]', js)
        check(status == 400 and json.loads(body)["error"]["code"] == -32600, "a batch: %d %s" % (status, body))
        status, _, body = request(port, "POST", "/rpc", b'{"jsonrpc":"2.0","method":"status"}', js)
        check(status == 204 and body == b"", "a notification: %d %r" % (status, body))
        status, _, body = request(port, "POST", "/rpc", b'{"jsonrpc":"2.0","id":1,"method":"status"}',
                                  {"Content-Type": "text/plain"})
        check(status == 415, "text/plain: %d" % status)
        big = b'{"jsonrpc":"2.0","id":1,"method":"status","params":{"x":"' + b"a" * 70000 + b'"}}'
        try:
            status, _, _ = request(port, "POST", "/rpc", big, js)
        except (ConnectionError, http.client.HTTPException):
            status = "closed"
        check(status in (413, "closed"), "a 70 kB body: %s" % status)
        status, _, _ = request(port, "GET", "/", headers={"X-Big": "a" * 10000})
        check(status in (400, 413, 431), "10 kB of headers: %d" % status)
        # still serving, nothing lost
        status, a = rpc(port, "status")
        check(status == 200 and a["result"]["state"] == "running", "after the abuse: %s" % a)
        # every connection closed by its client is forgotten
        deadline = time.monotonic() + 5
        while d.ctl("status")["http"]["connections"] and time.monotonic() < deadline:
            time.sleep(0.1)
        check(d.ctl("status")["http"]["connections"] == 0,
              "connections left after their clients closed: %s" % d.ctl("status")["http"])
        d.stop()
    finally:
        d.cleanup()


def test_web_event_stream_limits():
    """GET /events: status first, then levels at 25/s; http.max_clients
    streams at most (the next gets 503, a closed one frees its place); a
    client that does not read is closed once its unsent output passes the
    limit, and the daemon goes on."""
    d = web_daemon("web-sse", max_clients=2)
    streams = []
    try:
        d.start()
        s, line = open_stream(d.port)
        streams.append(s)
        check(" 200 " in line, "GET /events: %s" % line)
        data = s_rest.pop(s.fileno(), b"")
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2.0:
            data += s.recv(65536)
        n = data.count(b"event: levels")
        check(b"text/event-stream" in data and b"event: status" in data, "no status event: %r" % data[:300])
        check(n >= 40, "%d level events in 2 s (want about 50)" % n)
        s2, line = open_stream(d.port)
        streams.append(s2)
        check(" 200 " in line, "the second stream: %s" % line)
        s3, line = open_stream(d.port)
        check(" 503 " in line, "a third stream over max_clients 2: %s" % line)
        h = d.ctl("status")["http"]
        check(h["streams"] == 2 and h["max_clients"] == 2 and h["listen"] == "127.0.0.1:%d" % d.port
              and h["token"] is True, "status.http: %s" % h)
        s3.close()
        status, a = rpc(d.port, "status")
        check(status == 200, "a request while the streams are full: %d" % status)
        streams.pop().close()
        deadline = time.monotonic() + 5
        while True:
            s4, line = open_stream(d.port)
            if " 200 " in line or time.monotonic() > deadline:
                break
            s4.close()
            time.sleep(0.2)
        streams.append(s4)
        check(" 200 " in line, "a place freed by a closed stream: %s" % line)
        for s in streams:
            s.close()
        streams = []
        # at most 4 x max_clients + 16 connections that sent a request
        cap = d.ctl("status")["http"]["max_connections"]
        check(cap == 4 * 2 + 16, "max_connections %d" % cap)
        for i in range(cap + 1):
            c = socket.create_connection(("127.0.0.1", d.port))
            c.settimeout(5)
            streams.append(c)
            c.sendall(b"GET /app.css HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % d.port)
            line = c.recv(64).split(b"\r\n")[0]
            if i < cap:
                check(b" 200 " in line, "connection %d: %r" % (i, line))
        # refused with 503, or shut down at its accept (http_accept.c)
        check(b" 503 " in line or line == b"", "connection %d over the cap: %r" % (cap + 1, line))
        check(d.ctl("status")["http"]["connections_refused"] >= 1, "connections_refused")
        for s in streams:
            s.close()
        streams = []
        deadline = time.monotonic() + 5
        while d.ctl("status")["http"]["connections"] and time.monotonic() < deadline:
            time.sleep(0.1)
        check(d.ctl("status")["http"]["connections"] == 0,
              "connections left after their clients closed: %s" % d.ctl("status")["http"])
        # a client that never reads: closed by the daemon
        time.sleep(0.5)
        slow, line = open_stream(d.port, rcvbuf=4096)
        check(" 200 " in line, "the slow stream: %s" % line)
        closed = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not closed:
            time.sleep(2)
            # a second stream is accepted only once the slow one is gone
            s5, line = open_stream(d.port)
            s6, line6 = open_stream(d.port)
            closed = " 200 " in line and " 200 " in line6
            s5.close()
            s6.close()
        waited = 60 - (deadline - time.monotonic())
        slow.close()
        check(closed, "a stream that never reads was not closed within 60 s")
        print("    a stream that never reads closed after about %.0f s" % waited)
        st = d.ctl("status")
        check(st["state"] == "running", "dspd after the slow client")
        check(st["http"]["streams_closed_slow"] >= 1 and st["http"]["streams_refused"] >= 1,
              "status.http: %s" % st["http"])
        deadline = time.monotonic() + 15          # the probes' idle ones time out
        while d.ctl("status")["http"]["connections"] and time.monotonic() < deadline:
            time.sleep(0.2)
        check(d.ctl("status")["http"]["connections"] == 0, "connections left: %s" % d.ctl("status")["http"])
        d.stop()
    finally:
        for s in streams:
            s.close()
        d.cleanup()


def test_web_config():
    """http's keys are checked, naming the key; the section is the file's
    alone (config.load over the socket may not change it); a page root
    that cannot be read stops dspd with a message."""
    d = web_daemon("web-cfg")
    try:
        for key, value, what in (("listen", "8080", "/http/listen"),
                                 ("listen", "example.com:80", "/http/listen"),
                                 ("listen", "127.0.0.1:0", "/http/listen"),
                                 ("listen", "[::1]:99999", "/http/listen"),
                                 ("max_clients", 0, "/http/max_clients"),
                                 ("root", "web", "/http/root"),
                                 ("token_file", "", "/http/token_file"),
                                 ("bogus", 1, "/http/bogus")):
            cfg = json.loads(json.dumps(d.cfg))
            cfg["http"][key] = value
            path = os.path.join(d.dir, "bad.conf")
            with open(path, "w") as f:
                json.dump(cfg, f)
            p = subprocess.run([Paths.dspd, "--check-config", "-c", path],
                               capture_output=True, text=True, env=d.env())
            check(p.returncode != 0 and what in p.stderr,
                  "http.%s = %r: rc %d, %s" % (key, value, p.returncode, p.stderr))
        d.start()
        cfg = json.loads(json.dumps(d.cfg))
        cfg["http"]["listen"] = "0.0.0.0:%d" % d.port
        a = socket_rpc(d, "config.load", {"config": cfg})
        check("error" in a and "/http" in json.dumps(a["error"]), "config.load changing http: %s" % a)
        cfg["http"] = dict(d.cfg["http"])
        del cfg["http"]
        a = socket_rpc(d, "config.load", {"config": cfg})
        check("result" in a, "config.load without the http section keeps it: %s" % a)
        status, _, _ = request(d.port, "GET", "/")
        check(status == 200, "the page after config.load: %d" % status)
        check("readable by every user" not in d.read_log(), "a warning for a 0600 token")
        # SIGHUP with another http section: applies when dspd restarts
        import signal
        d.cfg["http"]["max_clients"] = 5
        d.write_config(d.cfg)
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "http: changes only when dspd restarts" not in d.read_log() and time.monotonic() < deadline:
            time.sleep(0.1)
        check("http: changes only when dspd restarts" in d.read_log(), "SIGHUP with a new http:\n"
              + d.read_log()[-600:])
        check(d.ctl("status")["http"]["max_clients"] == 16, "http changed by SIGHUP")
        status, _, _ = request(d.port, "GET", "/")
        check(status == 200, "the page after SIGHUP: %d" % status)
        d.stop()
        d.cfg["http"]["root"] = os.path.join(d.dir, "no-such-dir")
        d.write_config(d.cfg)
        d.start(wait=False)
        rc = d.proc.wait(timeout=20)
        d.proc = None
        log = d.read_log()
        check(rc != 0 and "http.root" in log, "a missing root: rc %d, %s" % (rc, log[-500:]))
        # a port already taken: dspd stops, naming http.listen
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        d.cfg["http"]["root"] = WEB_ROOT
        d.cfg["http"]["listen"] = "127.0.0.1:%d" % taken.getsockname()[1]
        d.write_config(d.cfg)
        d.start(wait=False)
        rc = d.proc.wait(timeout=20)
        d.proc = None
        taken.close()
        log = d.read_log()
        check(rc != 0 and "http.listen" in log and "in use" in log, "a port in use: rc %d, %s" % (rc, log[-500:]))
        d.cfg["http"]["listen"] = "127.0.0.1:%d" % d.port
        # a token anyone may read: dspd says so, and runs
        d.cfg["http"]["root"] = WEB_ROOT
        d.write_config(d.cfg)
        os.chmod(d.cfg["http"]["token_file"], 0o644)
        d.start()
        check("readable by every user" in d.read_log(), "no warning of a world-readable token")
        h = d.ctl("status")["http"]
        check(h["memory_bound_bytes"] >= h["max_connections"] * (8192 + 65536), "status.http %s" % h)
        d.stop()
    finally:
        d.cleanup()


def test_web_socket_activation():
    """The socket of units/dspd-http.socket as systemd-socket-activate
    passes it (FileDescriptorName=http): dspd serves the page on it, binds
    nothing for http.listen, and keeps the Host check of a loopback
    address."""
    import shutil
    import signal
    if not shutil.which("systemd-socket-activate"):
        return "skipped: systemd-socket-activate not installed"
    import configparser
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str
    cp.read(os.path.join(ROOT, "units", "dspd-http.socket"))
    unit = cp["Socket"]
    check(unit["ListenStream"] == "127.0.0.1:8080" and unit["FileDescriptorName"] == "http"
          and unit["Service"] == "dspd.service", "dspd-http.socket: %s" % dict(unit))
    d = web_daemon("web-activation")
    port = webdriver.free_port()
    proc = None
    try:
        cmd = ["systemd-socket-activate", "-l", "127.0.0.1:%d" % port,
               "--fdname=" + unit["FileDescriptorName"],
               "-E", "ALSA_CONFIG_PATH=" + d.env()["ALSA_CONFIG_PATH"],
               Paths.dspd, "-c", d.config_path]
        log = open(os.path.join(d.dir, "dspd.log"), "w")
        proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        status = None
        while status != 200 and time.monotonic() < deadline:   # the first connection starts dspd
            try:
                status, _, _ = request(port, "GET", "/", timeout=30)
            except OSError:
                time.sleep(0.1)
        check(status == 200, "GET / on the passed socket: %s" % status)
        status, a = rpc(port, "hello", token=TOKEN)
        check(status == 200 and a["result"]["read_only"] is False, "hello: %s" % a)
        status, _, _ = request(port, "GET", "/", host="evil.example:%d" % port)
        check(status == 421, "the Host check on the passed socket: %d" % status)
        try:
            request(d.port, "GET", "/", timeout=2)
            check(False, "dspd also bound http.listen")
        except ConnectionRefusedError:
            pass
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(timeout=15) == 0, "dspd exit status %s" % proc.returncode)
        proc = None
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        d.cleanup()


def test_web_deferred_answer():
    """A change whose pipeline is built off the loop (FIR taps past
    CTL_BUILD_ASYNC_TAPS) answers its POST /rpc when the build is done; a
    client that leaves before that does not stop it, and dspd goes on."""
    d = web_daemon("web-deferred")
    try:
        d.start()
        port = d.port
        cfg = json.loads(json.dumps(d.cfg))
        del cfg["http"]                          # the file's stays
        cfg["pipeline"] = d.cfg["pipeline"] + [lane_fir(d, 0, 40000, 0.001)]
        t0 = time.monotonic()
        status, a = rpc(port, "config.load", {"config": cfg}, token=TOKEN)
        check(status == 200 and "result" in a and a["id"] == 1, "config.load over HTTP: %d %s" % (status, a))
        names = [b["name"] for b in socket_rpc(d, "pipeline.list")["result"]["blocks"]]
        check("lane0" in names, "the FIR block is not running: %s" % names)
        check("building the pipeline off the event loop" in d.read_log(),
              "the change was not built off the loop (no deferred answer):\n" + d.read_log()[-800:])
        print("    config.load with 40000 taps answered over HTTP in %.2f s" % (time.monotonic() - t0))
        # the same change again, and the client gone before the answer
        cfg["pipeline"] = d.cfg["pipeline"] + [lane_fir(d, 1, 40000, 0.001)]
        body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "config.load",
                           "params": {"config": cfg}}).encode()
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s"
                  % (port, TOKEN.encode(), len(body), body))
        s.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            names = [b["name"] for b in socket_rpc(d, "pipeline.list")["result"]["blocks"]]
            if "lane1" in names:
                break
            time.sleep(0.2)
        check("lane1" in names, "the change of a client that left did not apply: %s" % names)
        check(d.read_log().count("building the pipeline off the event loop") == 2,
              "the second change was not built off the loop")
        status, a = rpc(port, "status")
        check(status == 200 and a["result"]["http"]["streams"] == 0, "after: %s" % a)
        d.stop()
    finally:
        d.cleanup()


def test_web_idle_and_slow_connections_bounded():
    """Connections that never finish a request hold nothing for long:
    past 4 x max_clients + 16 sockets the newest are shut down at once
    (dspd's descriptors stay for the control socket), and one that sends
    its headers a line at a time (evhttp's timeout restarts with every
    byte) is closed HTTP_REQUEST_S (20 s) after its accept; an event
    stream open as long is not."""
    d = web_daemon("web-slow", max_clients=1)         # 20 sockets at most
    try:
        d.start()
        port, pid = d.port, d.proc.pid
        base = len(os.listdir("/proc/%d/fd" % pid))
        stream, line = open_stream(port)
        check(" 200 " in line, "GET /events: %s" % line)
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
        time.sleep(1.5)                                # a sweep
        fds = len(os.listdir("/proc/%d/fd" % pid))
        check(fds <= base + 20 + 2, "200 idle connections hold %d descriptors "
              "(%d before)" % (fds, base))
        t0 = time.monotonic()
        check(d.ctl("status")["state"] == "running", "status")
        check(time.monotonic() - t0 < 1.0, "status took %.2f s" % (time.monotonic() - t0))
        for s in idle:
            s.close()
        time.sleep(1.5)
        status, _, _ = request(port, "GET", "/")
        check(status == 200, "GET / after the idle ones left: %d" % status)
        slow = []
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET / HTTP/1.1\r\n")
            slow.append(s)
        t0 = time.monotonic()
        closed = set()
        while time.monotonic() - t0 < 30 and len(closed) < len(slow):
            time.sleep(2)
            for i, s in enumerate(slow):
                try:
                    s.sendall(b"X-Slow: %d\r\n" % i)
                except OSError:
                    closed.add(i)
        took = time.monotonic() - t0
        check(len(closed) == 3, "connections sending a header line every 2 s "
              "still open after %.0f s" % took)
        check(took >= 15, "slow connections closed after %.1f s, before HTTP_REQUEST_S" % took)
        stream.settimeout(3)
        check(stream.recv(4096), "the event stream was closed with the slow connections")
        status, a = rpc(port, "status")
        check(a["result"]["http"]["connections_closed_slow"] == 3 and
              a["result"]["http"]["connections_refused"] >= 200 - 20,
              "status.http %s" % a["result"]["http"])
        print("    200 idle connections: %d descriptors; header dribblers closed after %.0f s"
              % (fds - base, took))
        stream.close()
        d.stop()
    finally:
        d.cleanup()


def test_web_sigterm_during_deferred_response():
    """SIGTERM while a pipeline.response asked over HTTP is computed off
    the loop (a long FIR of a proposed configuration): dspd exits cleanly
    (the job's answer is not sent to the HTTP request already freed: an
    ASan daemon reported a use after free here)."""
    d = web_daemon("web-term-resp")
    try:
        ir = os.path.join(d.dir, "long.f32")
        import array
        import random
        rnd = random.Random(1)
        with open(ir, "wb") as f:
            array.array("f", [rnd.uniform(-1e-3, 1e-3) for _ in range(262144)]).tofile(f)
        os.chmod(ir, 0o644)
        d.cfg["control"]["ir_dirs"] = [d.dir]
        d.write_config(d.cfg)
        d.start()
        cfg = json.loads(json.dumps(d.cfg))
        del cfg["http"]
        cfg["pipeline"] = cfg["pipeline"] + [{"type": "fir", "name": "long", "path": ir,
                                              "format": "f32le"}]
        body = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "pipeline.response",
                           "params": {"config": cfg, "points": 2000, "blocks": True}}).encode()
        s = socket.create_connection(("127.0.0.1", d.port))
        s.sendall(b"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (d.port, len(body), body))
        time.sleep(0.3)
        busy = socket_rpc(d, "pipeline.response", {"config": cfg})
        check("busy" in json.dumps(busy), "the job was not running when SIGTERM came: %s" % busy)
        d.stop(timeout=60)                     # exit status 0, no sanitizer report
        s.close()
    finally:
        d.cleanup()


def test_web_eq_file_not_read_out():
    """A peq "file" (or fir "graphic_eq") a client names is read only if
    the client could read it itself: an EQ file's lines are quoted in
    errors, and http.token_file sits beside the config file (an allowed
    directory by default), so a read-only HTTP client naming it in
    pipeline.response's or config.validate's proposal would read the
    token out (it did) and gain the control role."""
    d = web_daemon("web-eq-leak")
    try:
        d.start()
        token_file = d.cfg["http"]["token_file"]
        cfg = json.loads(json.dumps(d.cfg))
        del cfg["http"]
        cfg["pipeline"] = [{"type": "peq", "name": "e", "file": token_file}]
        for method, params in (("pipeline.response", {"config": cfg, "points": 2}),
                               ("config.validate", {"config": cfg})):
            status, a = rpc(d.port, method, params)
            text = json.dumps(a)
            check(TOKEN not in text, "%s over HTTP read the token out: %s" % (method, text))
            check("not readable by this client" in text, "%s: %s" % (method, text))
        # the rule is the client's own access: root on the socket may
        status, a = rpc(d.port, "config.validate", {"config": cfg}, token=TOKEN)
        check("not readable by this client" in json.dumps(a), "HTTP with the token: %s" % a)
        a = socket_rpc(d, "config.validate", {"config": cfg})
        check("line 1" in json.dumps(a) and "not readable" not in json.dumps(a),
              "root on the socket: %s" % a)
        d.stop()
    finally:
        d.cleanup()
