#!/usr/bin/env python3
"""Opens an HTML report in headless Chromium (Debian's chromium + chromium-driver,
driven by selenium) and prints how long it took to draw, as JSON; saves a screenshot.

    render_html.py REPORT.html SCREENSHOT.png

Draw time: from navigation start to the load event plus the first animation frame
after it (the page has no scripts of its own; the timing is read by the driver).
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

report, screenshot = sys.argv[1], sys.argv[2]
options = Options()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1600"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    started = time.monotonic()
    driver.get("file://" + report)
    # The load event has fired when get() returns; wait for the next frame too.
    driver.execute_async_script("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));")
    wall = (time.monotonic() - started) * 1000
    timing = driver.execute_script("const t = performance.getEntriesByType('navigation')[0]; return [t.domContentLoadedEventEnd, t.loadEventEnd];")
    driver.save_screenshot(screenshot)
    print(json.dumps({"wallMs": round(wall), "domContentLoadedMs": round(timing[0]), "loadMs": round(timing[1]),
                      "title": driver.title}))
finally:
    driver.quit()
