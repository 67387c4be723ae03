"""The console in a real headless Chromium against a live `wrpc-gateway demo`.

Each test drives the page as a person would (through the testability
contract: `[data-function]` panels, `textarea[data-args]`,
`[data-action=invoke]`, `[data-output]`, `[data-status]`), and every test
ends with no console error and no Content-Security-Policy violation beyond
those it expects."""

import base64
import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import DEADLINE, Demo, args, browser, field, invoke, open_console, panel, type_into, wait

GREETER = "wrpc-gateway:demo/greeter@0.1.0"
TYPES = "wrpc-gateway:demo/types@0.1.0"
BLOBS = "wrpc-gateway:demo/blobs@0.1.0"
KEYVALUE = "wrpc-gateway:demo/keyvalue@0.1.0"


@pytest.fixture(scope="module")
def demo():
    d = Demo()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def downloads():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


@pytest.fixture(scope="module")
def driver(downloads):
    d = browser(downloads=downloads)
    yield d
    d.quit()


@pytest.fixture
def expected_errors():
    """Console messages a test provokes on purpose (e.g. a 400 it asks for)."""
    return []


@pytest.fixture
def page(driver, demo, expected_errors):
    driver.get_log("browser")  # what earlier tests left
    open_console(driver, demo.base)
    yield driver
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    unexpected = [m for m in errors if not any(x in m for x in expected_errors)]
    assert unexpected == [], f"console errors: {unexpected}"
    assert driver.execute_script("return window.__cspViolations") == [], "CSP violations"


def curl_command(driver, p):
    p.find_element(By.CSS_SELECTOR, "[data-action=curl]").click()
    out = p.find_element(By.CSS_SELECTOR, "[data-curl]")
    wait(driver, lambda d: out.is_displayed() and out.text.startswith("curl "), "no curl command shown")
    return out.get_attribute("textContent")


def visible_functions(driver):
    return {e.get_attribute("data-function")
            for e in driver.find_elements(By.CSS_SELECTOR, "details[data-function]") if e.is_displayed()}


def test_lists_every_function_with_signature_and_docs_and_filters_them(page, demo):
    # Forwards are listed too (with a `forward` prefix, no WIT alias); the
    # console shows functions only.
    everything = json.loads(demo.get("/functions")[2])
    listed = [f for f in everything if "forward" not in f]
    assert any("forward" in f for f in everything)
    keys = {f"{f['instance']}/{f['alias']}" for f in listed}
    assert len(keys) == len(listed) > 20
    assert visible_functions(page) == keys
    hello = page.find_element(By.CSS_SELECTOR, f'[data-function="{GREETER}/hello"] summary').text
    assert "func(name: string) -> string" in hello
    assert "Returns a greeting for `name`." in hello
    # Grouped by instance, each under its heading.
    for f in listed:
        section = page.find_element(By.CSS_SELECTOR, f'details[data-function="{f["instance"]}/{f["alias"]}"]') \
            .find_element(By.XPATH, "./ancestor::section[1]")
        assert section.get_attribute("data-instance") == f["instance"]
    # Links to the gateway's other endpoints.
    hrefs = {a.get_attribute("href") for a in page.find_elements(By.CSS_SELECTOR, "header nav a")}
    assert {demo.base + p for p in ("/functions", "/openapi.json", "/metrics")} <= hrefs

    search = page.find_element(By.CSS_SELECTOR, "[data-search]")
    search.send_keys("echo-rec")
    wait(page, lambda d: visible_functions(d) == {f"{TYPES}/echo-record"}, "the filter did not narrow to echo-record")
    search.clear()
    search.send_keys("stream<u8>")
    wait(page, lambda d: visible_functions(d) == {f"{BLOBS}/{n}" for n in ("upload", "download", "echo")},
         "the filter does not search signatures")
    search.clear()
    search.send_keys(" ")  # an input event; nothing to filter by
    wait(page, lambda d: visible_functions(d) == keys, "clearing the filter did not show every function")


def test_hello_through_the_form_fields(page):
    p = panel(page, f"{GREETER}/hello")
    type_into(field(p, "/name"), "world")
    wait(page, lambda d: args(p) == {"name": "world"}, "the JSON editor did not follow the form")
    code, state, output = invoke(page, p)
    assert (code, state, output) == ("200", "done", '"Hello, world!"')
    status = p.find_element(By.CSS_SELECTOR, "[data-status]").text
    assert "200 OK" in status and " ms" in status
    assert p.find_element(By.CSS_SELECTOR, "[data-request-id]").text.startswith("X-Request-Id: ")


def test_record_through_the_json_editor(page):
    p = panel(page, f"{TYPES}/echo-record")
    type_into(p.find_element(By.CSS_SELECTOR, "textarea[data-args]"), '{"p": {"x": 3, "y": -4}}')
    # The form follows the editor.
    wait(page, lambda d: (field(p, "/p/x").get_attribute("value"), field(p, "/p/y").get_attribute("value")) == ("3", "-4"),
         "the form did not follow the JSON editor")
    code, state, output = invoke(page, p)
    assert (code, state) == ("200", "done")
    assert json.loads(output) == {"x": 3, "y": -4}


def test_u64_extremes_stay_exact(page):
    p = panel(page, f"{TYPES}/echo-u64")
    type_into(field(p, "/n"), "18446744073709551615")
    wait(page, lambda d: "18446744073709551615" in p.find_element(By.CSS_SELECTOR, "textarea[data-args]").get_attribute("value"),
         "the editor rounded a u64")
    assert invoke(page, p) == ("200", "done", "18446744073709551615")


def test_invalid_argument_marks_the_field_it_names(page, demo, expected_errors):
    # Chromium logs every 4xx answer to fetch; these two are asked for.
    expected_errors += [f"{demo.base}/invoke/{TYPES}/echo-record - Failed to load resource: the server responded with a status of 400",
                        f"{demo.base}/invoke/{TYPES}/echo-variant - Failed to load resource: the server responded with a status of 400"]
    p = panel(page, f"{TYPES}/echo-record")
    type_into(field(p, "/p/y"), "two")
    code, state, output = invoke(page, p)
    assert (code, state) == ("400", "failed")
    body = json.loads(output)
    assert body["code"] == "invalid_argument" and body["details"]["path"] == "/p/y"
    wait(page, lambda d: field(p, "/p/y").get_attribute("aria-invalid") == "true", "the field was not marked")
    assert field(p, "/p/x").get_attribute("aria-invalid") is None
    error = p.find_element(By.CSS_SELECTOR, '[data-field="/p/y"] [data-error]')
    assert error.is_displayed() and "/p/y" in error.text
    # Typing again clears the mark.
    type_into(field(p, "/p/y"), "2")
    wait(page, lambda d: field(p, "/p/y").get_attribute("aria-invalid") is None, "the mark stayed after an edit")

    # A pointer into a variant's payload: the tuple element in `val`.
    v = panel(page, f"{TYPES}/echo-variant")
    type_into(v.find_element(By.CSS_SELECTOR, "textarea[data-args]"), '{"s": {"tag": "rectangle", "val": [1.5, "wide"]}}')
    wait(page, lambda d: len(v.find_elements(By.CSS_SELECTOR, '[data-pointer="/s/val/1"]')) == 1, "the form did not show the case")
    code, _, output = invoke(page, v)
    assert code == "400" and json.loads(output)["details"]["path"] == "/s/val/1"
    wait(page, lambda d: field(v, "/s/val/1").get_attribute("aria-invalid") == "true", "the payload field was not marked")


def test_stream_rows_render_as_they_arrive(page):
    p = panel(page, f"{BLOBS}/count")
    # 3.4 MB of NDJSON: more than any buffer between the socket and the
    # page holds, so the body reaches the page in several reads.
    n = 500_000
    type_into(field(p, "/n"), str(n))
    # Every time rows land on the page: how many there are, and whether the body was still open.
    page.execute_script("""
        const panel = arguments[0];
        const status = panel.querySelector('[data-status]');
        window.__seen = [];
        new MutationObserver(() => {
          const list = panel.querySelector('[data-rows]');
          if (list) window.__seen.push([Number(list.getAttribute('data-count')), status.getAttribute('data-state')]);
        }).observe(panel.querySelector('[data-output]'), {childList: true, subtree: true});
    """, p)
    code, state, _ = invoke(page, p)
    assert (code, state) == ("200", "done")
    seen = page.execute_script("return window.__seen")
    live = [count for count, s in seen if s == "streaming" and 0 < count < n]
    assert len(live) >= 2, f"rows did not appear while the stream was open: {seen[:5]}"
    assert live == sorted(live)
    rows = p.find_element(By.CSS_SELECTOR, "[data-rows]")
    assert rows.get_attribute("data-count") == str(n)
    assert rows.find_elements(By.CSS_SELECTOR, "[data-row]")[-1].text == str(n)
    assert f"{n} rows" in p.find_element(By.CSS_SELECTOR, "[data-status]").text


def test_stream_u8_result_is_offered_as_a_download(page, downloads):
    p = panel(page, f"{BLOBS}/download")
    type_into(field(p, "/n"), "1000")
    assert invoke(page, p)[:2] == ("200", "done")
    link = p.find_element(By.CSS_SELECTOR, "[data-download-link]")
    assert link.text == "Download 1000 bytes" and link.get_attribute("href").startswith("blob:")
    link.click()
    saved = downloads / "download.bin"
    wait(page, lambda d: saved.exists() and saved.stat().st_size == 1000, "the download did not arrive")
    assert saved.read_bytes() == bytes(i % 251 for i in range(1000))


def test_bytes_as_text_and_from_a_file(page):
    p = panel(page, f"{TYPES}/echo-bytes")
    type_into(field(p, "/b"), "hi there")
    wait(page, lambda d: args(p) == {"b": base64.b64encode(b"hi there").decode()}, "text was not sent as base64")
    assert invoke(page, p)[2] == json.dumps(base64.b64encode(b"hi there").decode())

    u = panel(page, f"{BLOBS}/upload")
    data = bytes(range(256)) * 40
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(data)
        f.flush()
        Select(u.find_element(By.CSS_SELECTOR, "[data-bytes-mode]")).select_by_value("file")
        u.find_element(By.CSS_SELECTOR, 'input[type=file][data-pointer="/data"]').send_keys(f.name)
        wait(page, lambda d: args(u) == {"data": base64.b64encode(data).decode()}, "the file was not read")
    code, _, output = invoke(page, u)
    assert code == "200"
    assert json.loads(output) == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_a_handle_from_a_result_is_pasted_into_a_method(page):
    """A resource handle field is a text box for the token a result gave."""
    opener = panel(page, f"{KEYVALUE}/open")
    type_into(field(opener, "/identifier"), "console")
    code, _, output = invoke(page, opener)
    assert code == "200"
    token = json.loads(output)["val"]
    setter = panel(page, f"{KEYVALUE}/bucket.set")
    handle = field(setter, "/self")
    assert handle.get_attribute("placeholder") == "a handle, as a result gave it"
    type_into(handle, token)
    type_into(field(setter, "/key"), "k")
    type_into(field(setter, "/value"), "v")
    wait(page, lambda d: args(setter) == {"self": token, "key": "k", "value": "dg=="}, "the form did not write the handle as given")
    assert invoke(page, setter)[:2] == ("200", "done")
    getter = panel(page, f"{KEYVALUE}/bucket.get")
    type_into(field(getter, "/self"), token)
    type_into(field(getter, "/key"), "k")
    assert json.loads(invoke(page, getter)[2]) == {"tag": "ok", "val": "dg=="}


def test_form_kinds_write_the_json_mapping(page):
    flags = panel(page, f"{TYPES}/echo-flags")
    for name in ("read", "execute"):
        flags.find_element(By.CSS_SELECTOR, f'[data-pointer="/p"] input[value="{name}"]').click()
    wait(page, lambda d: args(flags) == {"p": ["read", "execute"]}, "flags")

    enum = panel(page, f"{TYPES}/echo-enum")
    Select(field(enum, "/c")).select_by_value("blue")
    wait(page, lambda d: args(enum) == {"c": "blue"}, "enum")

    option = panel(page, f"{TYPES}/echo-option")
    Select(field(option, "/o")).select_by_value("some")
    wait(page, lambda d: args(option) == {"o": {"tag": "some", "val": None}}, "option<option<u32>>: some(none)")
    option.find_element(By.CSS_SELECTOR, '[data-pointer="/o"] ~ .payload [data-none]').click()
    type_into(field(option, "/o/val"), "7")
    wait(page, lambda d: args(option) == {"o": {"tag": "some", "val": 7}}, "option<option<u32>>: some(some(7))")
    assert json.loads(invoke(page, option)[2]) == {"tag": "some", "val": 7}

    lst = panel(page, f"{TYPES}/echo-list")
    lst.find_element(By.CSS_SELECTOR, '[data-pointer="/l"] > [data-action=add]').click()
    type_into(field(lst, "/l/1/x"), "5")
    wait(page, lambda d: args(lst) == {"l": [{"x": 0, "y": 0}, {"x": 5, "y": 0}]}, "list: add a row")
    lst.find_element(By.CSS_SELECTOR, '[data-pointer="/l"] > .item [data-action=remove]').click()
    wait(page, lambda d: args(lst) == {"l": [{"x": 5, "y": 0}]}, "list: remove the first row")

    result = panel(page, f"{TYPES}/echo-result")
    Select(field(result, "/r")).select_by_value("err")
    type_into(field(result, "/r/val"), "9")
    wait(page, lambda d: args(result) == {"r": {"tag": "err", "val": 9}}, "result")
    assert json.loads(invoke(page, result)[2]) == {"tag": "err", "val": 9}


def test_copy_as_curl_runs_in_a_shell(page):
    def run(command, cwd=None):
        done = subprocess.run(["bash", "-c", command], capture_output=True, timeout=DEADLINE, cwd=cwd)
        assert done.returncode == 0, done.stderr
        return done.stdout

    p = panel(page, f"{GREETER}/hello")
    type_into(field(p, "/name"), "world")
    wait(page, lambda d: args(p) == {"name": "world"}, "form → JSON")
    assert run(curl_command(page, p)) == b'"Hello, world!"'
    # Quotes and dollars reach the gateway as typed.
    type_into(field(p, "/name"), "it's $HOME")
    wait(page, lambda d: args(p) == {"name": "it's $HOME"}, "form → JSON")
    assert json.loads(run(curl_command(page, p))) == "Hello, it's $HOME!"

    c = panel(page, f"{BLOBS}/count")
    type_into(field(c, "/n"), "3")
    wait(page, lambda d: args(c) == {"n": 3}, "form → JSON")
    assert run(curl_command(page, c)) == b"1\n2\n3\n"

    d = panel(page, f"{BLOBS}/download")
    type_into(field(d, "/n"), "300")
    wait(page, lambda dr: args(d) == {"n": 300}, "form → JSON")
    with tempfile.TemporaryDirectory() as tmp:
        run(curl_command(page, d), cwd=tmp)
        assert (Path(tmp) / "download.bin").read_bytes() == bytes(i % 251 for i in range(300))


def test_content_security_policy_is_strict_and_enforced(page, demo, expected_errors):
    for path in ("/", "/console/app.js", "/console/app.css"):
        _, headers, _ = demo.get(path)
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
    # The check that guards every test works: an inline script is refused and seen.
    expected_errors.append("Content Security Policy directive")
    page.execute_script("const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.append(s);")
    wait(page, lambda d: d.execute_script("return window.__cspViolations.length") == 1, "no CSP violation seen")
    assert page.execute_script("return window.__ran") is None
    page.execute_script("window.__cspViolations = []")
