"""Screenshots of every page at phone (360 px) and desktop (1280 px) width, for
looking at them and for docs/screenshots. Usage: MARQUEE_URL=… python3 screenshots.py [DIR]"""

import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from support import BASE, available_seats, browser, click_seat, fresh_show, get_json, pay, register, wait


def full_height(driver, width):
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 2400)")
    driver.set_window_size(width, max(700, height))


def shoot(driver, directory, name, width):
    full_height(driver, width)
    driver.save_screenshot(os.path.join(directory, f"{name}-{width}.png"))


def main(directory):
    os.makedirs(directory, exist_ok=True)
    show = fresh_show()
    for width in (1280, 360):
        driver = browser(width, 900)
        try:
            driver.get(f"{BASE}/register")
            shoot(driver, directory, "register", width)
            driver.get(f"{BASE}/login")
            shoot(driver, directory, "login", width)
            register(driver)
            driver.get(f"{BASE}/?city={show['city']}")
            wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.movie-card")))
            shoot(driver, directory, "home", width)
            day = get_json(BASE, f"/api/v1/shows/{show['id']}")["local_starts_at"][:10]
            driver.get(f"{BASE}/movies/{show['movie']}?city={show['city']}&date={day}")
            shoot(driver, directory, "movie", width)
            seats = available_seats(BASE, show["id"], 2)
            driver.set_window_size(width, 900)
            driver.get(f"{BASE}/shows/{show['id']}")
            wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#live-state.is-live")))
            for seat_id in seats:
                click_seat(driver, seat_id)
            driver.execute_script("window.scrollTo(0, 0)")
            shoot(driver, directory, "seatmap", width)
            driver.find_element(By.ID, "hold-button").click()
            wait(driver).until(EC.url_contains("/checkout/"))
            shoot(driver, directory, "checkout", width)
            pay(driver, "4242 4242 4242 4242")
            wait(driver, 20).until(EC.url_contains("/bookings/"))
            wait(driver).until(lambda d: all(
                d.execute_script("return arguments[0].naturalWidth", img) > 0
                for img in d.find_elements(By.CSS_SELECTOR, "img.qr")))
            shoot(driver, directory, "booking", width)
            driver.get(f"{BASE}/bookings")
            shoot(driver, directory, "bookings", width)
        finally:
            driver.quit()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SCREENSHOT_DIR", "docs/screenshots"))
