"""The web app in a real browser: headless Chromium against a running Marquee
(MARQUEE_URL; MARQUEE_SHORT_TTL_URL for a server whose holds last seconds)."""

import time
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from support import (BASE, SHORT_TTL_BASE, available_seats, browser, click_seat, fresh_show, get_json, hold_seats,
                     pay, register, seat, wait)


class WebAppTests(unittest.TestCase):
    def setUp(self):
        self.driver = browser()
        self.addCleanup(self.driver.quit)

    def test_a_buyer_goes_from_the_home_page_to_tickets_with_a_sandbox_card(self):
        driver = self.driver
        register(driver)
        show = fresh_show()
        day = get_json(BASE, f"/api/v1/shows/{show['id']}")["local_starts_at"][:10]
        driver.get(f"{BASE}/?city={show['city']}")
        # Pick the show's day on the date strip, then the movie's card, then the showtime.
        wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, f".date-strip a[data-date='{day}']"))).click()
        wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, f".date-strip a.is-selected[data-date='{day}']")))
        driver.find_element(By.CSS_SELECTOR, f"a.movie-card[href^='/movies/{show['movie']}?']").click()
        link = wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, f"a.showtime[href='/shows/{show['id']}']")))
        self.assertIn("left", link.find_element(By.CSS_SELECTOR, ".seats-left").text)
        link.click()
        wait(driver).until(EC.presence_of_element_located((By.ID, "seat-map")))
        seats = available_seats(BASE, show["id"], 2)
        for seat_id in seats:
            element = click_seat(driver, seat_id)
            self.assertEqual(element.get_attribute("aria-pressed"), "true")
        self.assertIn(seats[0], driver.find_element(By.ID, "selection-seats").text)
        self.assertNotEqual(driver.find_element(By.ID, "selection-total").text, "—")
        driver.find_element(By.ID, "hold-button").click()
        wait(driver).until(EC.url_contains("/checkout/"))
        self.assertRegex(driver.find_element(By.ID, "countdown").text, r"^\d+:\d\d$")
        pay(driver, "4242 4242 4242 4242")
        wait(driver, 20).until(EC.url_contains("/bookings/"))
        reference = driver.find_element(By.ID, "booking-reference").text
        self.assertRegex(reference, r"^[A-Z0-9]{6,}$")
        self.assertEqual(driver.find_element(By.ID, "booking-status").text.lower(), "confirmed")
        tickets = driver.find_elements(By.CSS_SELECTOR, ".ticket img.qr")
        self.assertEqual(len(tickets), 2)
        wait(driver).until(lambda d: all(d.execute_script("return arguments[0].naturalWidth", t) > 0 for t in tickets))
        # And it is in "My bookings".
        driver.find_element(By.ID, "nav-bookings").click()
        wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.booking-link")))
        self.assertIn(reference, driver.page_source)

    def test_a_declined_card_is_shown_inline_and_another_card_then_pays(self):
        driver = self.driver
        register(driver)
        show = fresh_show()
        hold_seats(driver, BASE, show["id"], available_seats(BASE, show["id"], 1))
        checkout_url = driver.current_url
        pay(driver, "4000 0000 0000 0002")
        message = wait(driver).until(EC.visibility_of_element_located((By.ID, "pay-message")))
        self.assertIn("declined", message.text.lower())
        self.assertEqual(driver.current_url, checkout_url)
        pay(driver, "4242 4242 4242 4242")
        wait(driver, 20).until(EC.url_contains("/bookings/"))
        self.assertEqual(len(driver.find_elements(By.CSS_SELECTOR, ".ticket")), 1)

    def test_a_hold_in_one_browser_shows_up_in_another_within_two_seconds(self):
        holder = self.driver
        watcher = browser()
        self.addCleanup(watcher.quit)
        register(holder)
        show = fresh_show()
        seat_id = available_seats(BASE, show["id"], 1)[0]
        watcher.get(f"{BASE}/shows/{show['id']}")
        wait(watcher).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#live-state.is-live")))
        self.assertEqual(seat(watcher, seat_id).get_attribute("data-status"), "available")
        hold_seats(holder, BASE, show["id"], [seat_id])
        started = time.monotonic()
        wait(watcher, 2).until(lambda d: seat(d, seat_id).get_attribute("data-status") == "held")
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertIn("held", seat(watcher, seat_id).get_attribute("aria-label"))

    def test_seats_can_be_chosen_and_held_with_the_keyboard_alone(self):
        driver = self.driver
        register(driver)
        show = fresh_show()
        driver.get(f"{BASE}/shows/{show['id']}")
        wait(driver).until(EC.presence_of_element_located((By.ID, "seat-map")))
        first = driver.find_element(By.CSS_SELECTOR, "#seat-map .seat[tabindex='0']")
        # Tab from the page into the map lands on the one seat in the tab order.
        body = driver.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)
        for _ in range(40):
            if driver.switch_to.active_element == first:
                break
            driver.switch_to.active_element.send_keys(Keys.TAB)
        self.assertEqual(driver.switch_to.active_element, first)
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
        second = driver.switch_to.active_element
        self.assertNotEqual(second, first)
        second.send_keys(Keys.SPACE)
        pressed = driver.find_elements(By.CSS_SELECTOR, "#seat-map .seat[aria-pressed='true']")
        self.assertEqual({e.get_attribute("data-seat-id") for e in pressed},
                         {first.get_attribute("data-seat-id"), second.get_attribute("data-seat-id")})
        self.assertNotEqual(driver.find_element(By.ID, "selection-total").text, "—")
        # Arrow down moves to another row.
        second.send_keys(Keys.ARROW_DOWN)
        self.assertNotEqual(driver.switch_to.active_element.get_attribute("data-gy"), second.get_attribute("data-gy"))
        # Tab leaves the map for the panel; the hold button is reachable and works with Enter.
        for _ in range(10):
            driver.switch_to.active_element.send_keys(Keys.TAB)
            if driver.switch_to.active_element.get_attribute("id") == "hold-button":
                break
        self.assertEqual(driver.switch_to.active_element.get_attribute("id"), "hold-button")
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait(driver).until(EC.url_contains("/checkout/"))

    def test_someone_not_signed_in_is_sent_to_sign_in_and_comes_back(self):
        driver = self.driver
        show = fresh_show()
        driver.get(f"{BASE}/shows/{show['id']}")
        wait(driver).until(EC.presence_of_element_located((By.ID, "seat-map")))
        click_seat(driver, available_seats(BASE, show["id"], 1)[0])
        driver.find_element(By.ID, "hold-button").click()
        wait(driver).until(EC.url_contains("/login?next="))
        form = driver.find_element(By.ID, "login-form")
        form.find_element(By.NAME, "email").send_keys("demo@marquee.test")
        form.find_element(By.NAME, "password").send_keys("demo-password")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(driver).until(EC.url_contains(f"/shows/{show['id']}"))
        self.assertTrue(driver.find_elements(By.ID, "logout-form"))

    def test_the_checkout_page_says_when_the_hold_has_run_out(self):
        self.assertTrue(SHORT_TTL_BASE, "set MARQUEE_SHORT_TTL_URL to a server started with --hold-ttl 8")
        driver = self.driver
        register(driver, SHORT_TTL_BASE)
        show = fresh_show(SHORT_TTL_BASE)
        hold_seats(driver, SHORT_TTL_BASE, show["id"], available_seats(SHORT_TTL_BASE, show["id"], 1))
        expired = wait(driver, 20).until(EC.visibility_of_element_located((By.ID, "hold-expired")))
        self.assertIn("run out", expired.text)
        self.assertFalse(driver.find_element(By.ID, "pay-button").is_displayed())
        back = driver.find_element(By.ID, "back-to-seats")
        self.assertTrue(back.get_attribute("href").endswith(f"/shows/{show['id']}"))
        # After a reload the page still knows: no countdown restarting from ten minutes.
        driver.refresh()
        wait(driver).until(EC.visibility_of_element_located((By.ID, "hold-expired")))


if __name__ == "__main__":
    unittest.main()
