"""A live `wrpc-gateway demo` and a headless Chromium: what the console's
browser tests and its screenshot script drive."""

import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("WRPC_GATEWAY_BIN", str(ROOT / ".build/debug/wrpc-gateway"))
# The longest any one wait may take. Generous: a loaded 2-core machine may
# run a build beside the browser; a wait ends as soon as its condition holds.
DEADLINE = float(os.environ.get("CONSOLE_TEST_DEADLINE", "90"))

# Installed before any page script runs: CSP violations, whatever reports them.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


class Demo:
    """`wrpc-gateway demo` on an ephemeral loopback port, read from what it prints."""

    def __init__(self, *flags):
        self.proc = subprocess.Popen(
            [BIN, "demo", "--listen", "127.0.0.1:0", "--log-level", "error", *flags],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = queue.Queue()
        self.output = []

        def pump():
            for line in self.proc.stdout:
                self.output.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        end = time.monotonic() + DEADLINE
        while True:
            try:
                line = lines.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError("the demo announced no address in time: " + "".join(self.output))
            if line is None:
                raise RuntimeError("the demo exited: " + "".join(self.output))
            m = re.search(r"the gateway on (http://[^\s,]+)", line)
            if m:
                self.base = m.group(1).rstrip(".")
                return

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=DEADLINE) as r:
            return r.status, dict(r.headers), r.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def browser(width=1280, height=900, downloads=None):
    """Debian's Chromium, headless, through Debian's chromedriver (no driver
    download); files the page offers are saved into `downloads`."""
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--hide-scrollbars"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options,
                              service=Service(os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")))
    driver.set_page_load_timeout(DEADLINE)
    driver.set_script_timeout(DEADLINE)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER})
    if downloads:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def wait(driver, condition, message, deadline=DEADLINE):
    """Polls `condition(driver)` until it is truthy; fails with `message` at the deadline."""
    return WebDriverWait(driver, deadline, poll_frequency=0.05).until(condition, message)


def open_console(driver, base):
    driver.get(base + "/")
    wait(driver, lambda d: d.execute_script("return document.body.hasAttribute('data-ready')"),
         "the console did not finish loading")


# The console's testability contract: a panel per function, its JSON editor,
# Invoke, the output and the status.

def panel(driver, key):
    """The function's panel, opened."""
    p = driver.find_element(By.CSS_SELECTOR, f'details[data-function="{key}"]')
    if p.get_attribute("open") is None:
        p.find_element(By.CSS_SELECTOR, "summary").click()
        wait(driver, lambda d: p.get_attribute("open") is not None, f"{key} did not open")
    return p


def field(p, pointer):
    return p.find_element(By.CSS_SELECTOR, f'[data-pointer="{pointer}"]')


def type_into(el, text):
    el.clear()
    el.send_keys(text)


def args(p):
    return json.loads(p.find_element(By.CSS_SELECTOR, "textarea[data-args]").get_attribute("value"))


def invoke(driver, p):
    """Clicks Invoke and waits for the answer's end; returns (status code, state, output text)."""
    status = p.find_element(By.CSS_SELECTOR, "[data-status]")
    calls = str(int(status.get_attribute("data-calls") or 0) + 1)
    p.find_element(By.CSS_SELECTOR, "[data-action=invoke]").click()
    wait(driver, lambda d: status.get_attribute("data-calls") == calls
         and status.get_attribute("data-state") in ("done", "failed"), "the call did not end")
    return status.get_attribute("data-code"), status.get_attribute("data-state"), \
        p.find_element(By.CSS_SELECTOR, "[data-output]").text
