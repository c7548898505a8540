#!/usr/bin/env python3
"""Drives the real kiosk (`passbox serve` on 127.0.0.1) in headless Chromium
(Debian's chromium + chromium-driver, through selenium), as an operator would:

    kiosk_browser.py BASE_URL USER PASSWORD SCREENSHOT_DIR

sign in -> pick "delivery" -> live progress -> ACCEPTED -> Admit with a reason ->
the receipt; then "tampered" -> REJECTED with file.unlisted, file.mismatch and
file.missing; then the hostile-named entry, whose name must show as text. Also checks
that no console error mentions the Content-Security-Policy (no inline script).
Exits non-zero with a message on the first thing that is not as expected.
"""
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

base, user, password, shots = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
HOSTILE = "<img src=x onerror=alert(1)>"
os.makedirs(shots, exist_ok=True)

options = Options()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400"):
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 60)


def fail(message):
    driver.save_screenshot(os.path.join(shots, "kiosk-failure.png"))
    print("FAIL: " + message + "\nURL: " + driver.current_url + "\n" + driver.find_element(By.TAG_NAME, "body").text[:2000])
    sys.exit(1)


def shot(name):
    driver.save_screenshot(os.path.join(shots, "kiosk-" + name + ".png"))


def pick(name):
    driver.get(base + "/")
    for button in driver.find_elements(By.CSS_SELECTOR, "button.source"):
        if button.find_element(By.CSS_SELECTOR, ".name").text == name:
            button.click()
            wait.until(EC.staleness_of(button))
            return
    fail("no source named %r on the start page" % name)


def verdict():
    element = wait.until(EC.presence_of_element_located((By.ID, "verdict")))
    return element.text.strip()


try:
    driver.get(base + "/")
    if "/signin" not in driver.current_url:
        fail("not sent to the sign-in page")
    shot("1-signin")
    driver.find_element(By.NAME, "name").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit].big").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "ul.sources")))
    shot("2-sources")

    # The demo delivery: progress (SSE), then ACCEPTED.
    pick("delivery")
    try:
        wait.until(EC.url_contains("/scan/"))
    except Exception:
        fail("picking a source did not start a scan")
    v = verdict()
    if v != "ACCEPTED":
        fail("the demo delivery shows %r, not ACCEPTED" % v)
    shot("3-accepted")
    driver.find_element(By.ID, "reason").send_keys("WO-4711 etcher firmware update")
    driver.find_element(By.ID, "admit").click()
    receipt = wait.until(EC.presence_of_element_located((By.ID, "receipt")))
    if "payloadType" not in receipt.text:
        fail("the receipt page shows no DSSE envelope")
    shot("4-receipt")

    # The tampered copy: REJECTED with its three reasons, no Admit button.
    pick("tampered")
    v = verdict()
    if v != "REJECTED":
        fail("the tampered copy shows %r, not REJECTED" % v)
    text = driver.find_element(By.TAG_NAME, "body").text
    for code in ("file.unlisted", "file.mismatch", "file.missing"):
        if code not in text:
            fail("the rejection does not name " + code)
    if driver.find_elements(By.ID, "admit"):
        fail("a rejected delivery offers Admit")
    shot("5-rejected")

    # A hostile name shows as text, and no element was injected.
    driver.get(base + "/")
    names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "button.source .name")]
    if HOSTILE not in names:
        fail("the hostile name is not shown as text: %r" % names)
    if driver.find_elements(By.CSS_SELECTOR, "main img"):
        fail("the hostile name became an element")
    shot("6-hostile-name")

    # History lists the decisions (from the inventory) under the audit log's state.
    driver.get(base + "/history")
    state = driver.find_element(By.ID, "audit-state").text
    if "intact" not in state:
        fail("history does not show the audit log as intact: %r" % state)
    rows = driver.find_element(By.ID, "deliveries").text
    if "accepted" not in rows or "rejected" not in rows or "etcher-ctrl" not in rows:
        fail("history does not list the decisions from the inventory: %r" % rows[:500])
    shot("7-history")

    # A past decision from the inventory: the rejected scan, with its findings.
    rejected_row = [r for r in driver.find_elements(By.CSS_SELECTOR, "#deliveries tr") if "rejected" in r.text][0]
    rejected_row.find_element(By.CSS_SELECTOR, "a[href^='/history/decision/']").click()
    findings = driver.find_element(By.ID, "findings").text
    if "REJECTED" not in driver.find_element(By.ID, "verdict").text or "file.mismatch" not in findings:
        fail("the past decision page does not show the rejected verdict and its findings: %r" % findings[:300])
    shot("8-past-decision")

    csp_errors = [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]
    if csp_errors:
        fail("CSP violations: %r" % csp_errors)
    print("OK: signed in, ACCEPTED + admitted + receipt, REJECTED with three reasons, hostile name escaped")
finally:
    driver.quit()
