"""docs/console.png: the console against a live demo, after a call made
through its form. Run by scripts/console-screenshot.sh; never edited by hand."""

import sys
from pathlib import Path

from harness import ROOT, Demo, browser, field, invoke, open_console, panel, type_into

out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/console.png"
demo = Demo()
driver = browser(1280, 900)
try:
    open_console(driver, demo.base)
    hello = panel(driver, "wrpc-gateway:demo/greeter@0.1.0/hello")
    type_into(field(hello, "/name"), "world")
    code, state, output = invoke(driver, hello)
    if (code, state, output) != ("200", "done", '"Hello, world!"'):
        raise SystemExit(f"the call in the screenshot failed: {code} {state} {output}")
    driver.execute_script("window.scrollTo(0, 0)")
    out.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(out))
    print(f"wrote {out}")
finally:
    driver.quit()
    demo.stop()
