"""What a user of ``nst web`` waits for, measured in a headless Chromium (Debian's chromium + chromium-driver).

* start: seconds from starting ``nst web`` until the page renders in the
  browser (a screenshot that is not blank); bar: < 20 s;
* Fast: seconds from the click on Stylize until the result image is shown, content
  1024x768 (Tübingen) and The Starry Night;
* Optimize: seconds from the click until the result at 256 px (the page's default size and options).

    python benchmarks/web_browser.py [--content C] [--style S] [--screenshot docs/web.png]

``--screenshot`` saves the page (Fast tab, with its result) as a PNG, quantized to keep it small.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np
from common import add_pair_arguments
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from web_common import nst_web


def chromium() -> webdriver.Chrome:
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1400"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def wait(predicate, timeout: float = 600):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit("timed out")


def result_shown(driver, prefix: str, before: str | None = None):
    imgs = driver.find_elements(By.CSS_SELECTOR, f"#{prefix}-result img")
    src = imgs[0].get_attribute("src") if imgs else None
    return src if src and src != before else None


def status(driver, prefix: str) -> str:
    boxes = driver.find_elements(By.CSS_SELECTOR, f"#{prefix}-status textarea")
    return boxes[0].get_attribute("value") if boxes else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_pair_arguments(ap)
    ap.add_argument("--screenshot", type=Path, default=None)
    a = ap.parse_args()
    driver = chromium()
    try:
        t0 = time.perf_counter()
        with nst_web() as (url, serve_s, _):
            driver.get(url)
            wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#fast-run"))
            while np.asarray(Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("L")).std() < 2:
                time.sleep(0.05)
            start_s = time.perf_counter() - t0
            print(f"start: page served after {serve_s:.1f} s, rendered (non-blank screenshot) after {start_s:.1f} s")

            driver.find_element(By.CSS_SELECTOR, "#fast-content input[type=file]").send_keys(str(a.content.resolve()))
            driver.find_element(By.CSS_SELECTOR, "#fast-style input[type=file]").send_keys(str(a.style.resolve()))
            wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#fast-content img, #fast-style img")) >= 2)
            for label, runs in (("first run (loads the network)", 1), ("warm", 3)):
                times = []
                for _ in range(runs):
                    before = result_shown(driver, "fast")
                    t = time.perf_counter()
                    driver.find_element(By.CSS_SELECTOR, "#fast-run").click()
                    wait(lambda: result_shown(driver, "fast", before))
                    times.append(time.perf_counter() - t)
                print(f"Fast, click to result, {status(driver, 'fast')}, {label}: "
                      + ", ".join(f"{s:.2f} s" for s in times))
            if a.screenshot:
                driver.execute_script("window.scrollTo(0, 0)")
                shot = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
                shot.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(a.screenshot, optimize=True)
                print(f"wrote {a.screenshot} ({a.screenshot.stat().st_size // 1024} KB)")

            tab = next(b for b in driver.find_elements(By.CSS_SELECTOR, "button[role=tab]")
                       if b.text.strip() == "Optimize")
            tab.click()
            wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#transfer-run"))
            driver.find_element(By.CSS_SELECTOR, "#transfer-content input[type=file]").send_keys(
                str(a.content.resolve()))
            driver.find_element(By.CSS_SELECTOR, "#transfer-style input[type=file]").send_keys(str(a.style.resolve()))
            wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#transfer-content img, #transfer-style img")) >= 2)
            t = time.perf_counter()
            driver.find_element(By.CSS_SELECTOR, "#transfer-run").click()
            first = wait(lambda: "iteration" in status(driver, "transfer")) and time.perf_counter() - t
            wait(lambda: status(driver, "transfer").startswith("done"), timeout=1800)
            print(f"Optimize 256 px, click to first iterate shown {first:.1f} s, to result "
                  f"{time.perf_counter() - t:.1f} s ({status(driver, 'transfer')})")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
