"""webdriver.py - headless Chromium driven through chromedriver's W3C
WebDriver HTTP protocol with urllib alone (no selenium): start, open a page,
run a script, take a screenshot, read the performance log.

Used by test_web.py."""

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def missing():
    """Why the browser test cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.exists(path) or shutil.which(os.path.basename(path))):
            return "%s not installed (tests/install-deps.sh installs chromium and " \
                   "chromium-driver)" % path
    return None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class WebDriverError(Exception):
    pass


class Browser:
    """One chromedriver and one headless Chromium session."""

    def __init__(self, workdir, width=1200, height=1500):
        self.port = free_port()
        self.log_path = os.path.join(workdir, "chromedriver.log")
        self.log = open(self.log_path, "w")
        driver = shutil.which("chromedriver") or CHROMEDRIVER
        self.proc = subprocess.Popen([driver, "--port=%d" % self.port],
                                     stdout=self.log, stderr=self.log)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.monotonic() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except (OSError, WebDriverError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise WebDriverError("chromedriver did not start")
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": shutil.which("chromium") or CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--no-first-run",
                         "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--disable-default-apps", "--disable-extensions",
                         "--user-data-dir=" + os.path.join(workdir, "chromium"),
                         "--window-size=%d,%d" % (width, height)],
            },
            "goog:loggingPrefs": {"performance": "ALL", "browser": "ALL"},
        }}}
        try:
            self.session = self._call("POST", "/session", caps, timeout=60)["sessionId"]
        except Exception:
            self.close()
            raise

    def _call(self, method, path, body=None, timeout=30):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                answer = json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            try:
                answer = json.loads(e.read().decode())
            except ValueError:
                raise WebDriverError("%s %s: HTTP %d" % (method, path, e.code))
            raise WebDriverError("%s %s: %s" % (method, path, answer.get("value")))
        value = answer.get("value")
        if "sessionId" in answer and isinstance(value, dict):
            value.setdefault("sessionId", answer["sessionId"])
        return value

    def _s(self, method, path, body=None, timeout=30):
        return self._call(method, "/session/%s%s" % (self.session, path), body, timeout)

    def get(self, url):
        self._s("POST", "/url", {"url": url}, timeout=60)

    def run(self, script, *args):
        """The value of a synchronous script (its `return`)."""
        return self._s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def run_async(self, script, *args):
        """A script that calls arguments[arguments.length - 1](value)."""
        return self._s("POST", "/execute/async", {"script": script, "args": list(args)},
                       timeout=60)

    def wait_for(self, expression, timeout=15.0, what=None):
        """Poll a JavaScript expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.run("return (" + expression + ");")
            if v:
                return v
            if time.monotonic() > deadline:
                raise WebDriverError("timed out waiting for %s" % (what or expression))
            time.sleep(0.1)

    def screenshot(self, path):
        png = base64.b64decode(self._s("GET", "/screenshot"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(png)
        return len(png)

    def performance_log(self):
        """Chrome's DevTools events since the last call (goog:loggingPrefs)."""
        entries = self._s("POST", "/se/log", {"type": "performance"})
        return [json.loads(e["message"])["message"] for e in entries]

    def close(self):
        if getattr(self, "session", None):
            try:
                self._s("DELETE", "", timeout=20)
            except Exception:
                pass
            self.session = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
