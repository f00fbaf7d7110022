"""Shared helpers for the browser tests: a headless Chromium, the servers under
test, and small API calls used to find shows and seats no other test touches."""

import json
import os
import threading
import urllib.request
import uuid

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ.get("MARQUEE_URL", "http://127.0.0.1:8080").rstrip("/")
SHORT_TTL_BASE = os.environ.get("MARQUEE_SHORT_TTL_URL", "").rstrip("/")
PASSWORD = "browser-test-password"

_lock = threading.Lock()
_used_shows = set()


def browser(width=1280, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")),
                              options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait(driver, seconds=10):
    return WebDriverWait(driver, seconds)


def get_json(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return json.load(response)


def fresh_show(base=BASE, min_available=40):
    """A show starting tomorrow or later that no other test in this run has used."""
    for city in ("mumbai", "bengaluru", "london"):
        for movie in get_json(base, f"/api/v1/movies?city={city}")["movies"]:
            venues = get_json(base, f"/api/v1/movies/{movie['id']}/showtimes?city={city}")["venues"]
            for venue in venues:
                for show in venue["shows"]:
                    if show["available_seats"] < min_available:
                        continue
                    with _lock:
                        if show["id"] in _used_shows:
                            continue
                        _used_shows.add(show["id"])
                    return {"id": show["id"], "movie": movie["id"], "city": city}
    raise AssertionError("no unused show with free seats found")


def available_seats(base, show_id, count, row=None):
    """`count` available seats next to each other in one row."""
    seats = get_json(base, f"/api/v1/shows/{show_id}/seats")["seats"]
    rows = {}
    for seat in seats:
        rows.setdefault(seat["row"], []).append(seat)
    for name, row_seats in sorted(rows.items()):
        if row and name != row:
            continue
        free = [s for s in sorted(row_seats, key=lambda s: s["x"]) if s["status"] == "available"]
        if len(free) >= count:
            return [s["id"] for s in free[:count]]
    raise AssertionError(f"no {count} free seats in show {show_id}")


def register(driver, base=BASE, next_path="/"):
    """Creates a new account through the register page; returns its e-mail."""
    email = f"browser-{uuid.uuid4().hex[:10]}@example.com"
    driver.get(f"{base}/register?next={next_path}")
    form = wait(driver).until(EC.presence_of_element_located((By.ID, "register-form")))
    form.find_element(By.NAME, "name").send_keys("Browser Tester")
    form.find_element(By.NAME, "email").send_keys(email)
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "logout-form")))
    return email


def seat(driver, seat_id):
    return driver.find_element(By.CSS_SELECTOR, f'#seat-map .seat[data-seat-id="{seat_id}"]')


def click_seat(driver, seat_id):
    element = seat(driver, seat_id)
    # SVG <g> elements are clicked through script: Selenium's native click needs a box in view.
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'});", element)
    driver.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}));", element)
    return element


def pay(driver, number, expiry="12/30", cvc="123"):
    number_field = wait(driver).until(EC.visibility_of_element_located((By.ID, "card-number")))
    number_field.clear()
    number_field.send_keys(number)
    expiry_field = driver.find_element(By.ID, "card-expiry")
    expiry_field.clear()
    expiry_field.send_keys(expiry)
    cvc_field = driver.find_element(By.ID, "card-cvc")
    cvc_field.clear()
    cvc_field.send_keys(cvc)
    driver.find_element(By.ID, "pay-button").click()


def hold_seats(driver, base, show_id, seat_ids):
    """Opens the seat map, picks the seats, holds them and waits for the checkout page."""
    driver.get(f"{base}/shows/{show_id}")
    wait(driver).until(EC.presence_of_element_located((By.ID, "seat-map")))
    for seat_id in seat_ids:
        click_seat(driver, seat_id)
    driver.find_element(By.ID, "hold-button").click()
    wait(driver).until(EC.url_contains("/checkout/"))
