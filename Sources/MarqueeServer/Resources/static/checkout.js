import { api, newKey } from "./api.js";

// The countdown counts from the seconds the server said were left when the
// page was made, so it is right after a reload and whatever the device clock says.
const box = document.getElementById("checkout");
const holdId = box.dataset.holdId;
const deadline = performance.now() + Number(box.dataset.secondsLeft) * 1000;
const countdown = document.getElementById("countdown");
const form = document.getElementById("pay-form");
const payButton = document.getElementById("pay-button");
const payLabel = payButton.textContent;
const message = document.getElementById("pay-message");
const expired = document.getElementById("hold-expired");

function showExpired() {
  clearInterval(timer);
  countdown.textContent = "0:00";
  expired.hidden = false;
  form.hidden = true;
  payButton.disabled = true;
}

function tick() {
  const left = Math.max(0, Math.round((deadline - performance.now()) / 1000));
  countdown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  countdown.parentElement.classList.toggle("is-urgent", left <= 60);
  if (left === 0) showExpired();
}
const timer = setInterval(tick, 250);
tick();

function fail(text) {
  message.hidden = false;
  message.textContent = text;
  payButton.disabled = false;
  payButton.textContent = payLabel;
}

// Format as the user types: groups of four digits, and MM/YY.
document.getElementById("card-number").addEventListener("input", (event) => {
  const digits = event.target.value.replace(/\D/g, "").slice(0, 19);
  event.target.value = digits.replace(/(.{4})/g, "$1 ").trim();
});
document.getElementById("card-expiry").addEventListener("input", (event) => {
  const digits = event.target.value.replace(/\D/g, "").slice(0, 4);
  event.target.value = digits.length > 2 ? `${digits.slice(0, 2)}/${digits.slice(2)}` : digits;
});

const reasons = {
  card_declined: "Your card was declined. Try another card; your seats are still held.",
  insufficient_funds: "The card has insufficient funds. Try another card; your seats are still held.",
};

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  message.hidden = true;
  const number = document.getElementById("card-number").value.replace(/\s/g, "");
  const [month, year] = document.getElementById("card-expiry").value.split("/").map((part) => Number(part));
  const cvc = document.getElementById("card-cvc").value.trim();
  if (!/^\d{12,19}$/.test(number)) return fail("Enter the card number.");
  if (!month || !year) return fail("Enter the expiry as MM/YY.");
  payButton.disabled = true;
  payButton.textContent = "Paying…";
  // The card goes to the payment provider, which gives back a token.
  const card = await api("POST", "/sandbox/psp/tokens", {
    card_number: number, exp_month: month, exp_year: year < 100 ? 2000 + year : year, cvc,
  });
  if (card.status !== 201) return fail(card.data?.detail ? `Card: ${card.data.detail}` : "The card was not accepted.");
  // One key per attempt: a retry of this request is answered once, a new card is a new attempt.
  const { status, data } = await api("POST", "/api/v1/bookings",
    { hold_id: holdId, payment: { token: card.data.token } }, { "Idempotency-Key": newKey() });
  if (status === 201) {
    location.href = `/bookings/${encodeURIComponent(data.booking_id)}?new=1`;
  } else if (status === 402) {
    fail(reasons[data?.decline_reason] ?? data?.detail ?? "The payment was declined. Try another card.");
  } else if (status === 410) {
    showExpired();
  } else if (status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
  } else {
    fail(data?.detail ?? "Something went wrong. You have not been charged; please try again.");
  }
});
