import { api, newKey } from "./api.js";

// Cancelling: the refund amount is on the page before the user confirms.
const button = document.getElementById("confirm-cancel");
button?.addEventListener("click", async () => {
  const id = document.getElementById("booking").dataset.bookingId;
  button.disabled = true;
  button.textContent = "Cancelling…";
  const { status, data } = await api("POST", `/api/v1/bookings/${encodeURIComponent(id)}/cancel`, undefined,
    { "Idempotency-Key": newKey() });
  if (status === 200) { location.reload(); return; }
  const message = document.getElementById("cancel-message");
  message.hidden = false;
  message.textContent = data?.detail ?? "The booking could not be cancelled.";
  button.disabled = false;
});
