import { api, formatMoney } from "./api.js";

// The seat picker: click or keyboard (arrows move, Enter/Space pick), a
// selection panel with the total, "Hold seats", and live status from the
// server over a WebSocket (server-sent events if that fails).
const map = document.getElementById("seat-map");
const showId = map.dataset.showId;
const currency = map.dataset.currency;
const maxSeats = Number(map.dataset.maxSeats) || 10;
let version = Number(map.dataset.version);
const seats = new Map([...map.querySelectorAll(".seat")].map((el) => [el.dataset.seatId, el]));
const grid = [...seats.values()].map((el) => ({ el, x: Number(el.dataset.gx), y: Number(el.dataset.gy) }));
const selected = new Set();
const holdButton = document.getElementById("hold-button");
const message = document.getElementById("hold-message");
const panelSeats = document.getElementById("selection-seats");
const panelTotal = document.getElementById("selection-total");
const availableCount = document.getElementById("seats-available");

function setStatus(el, status) {
  el.dataset.status = status;
  el.setAttribute("aria-label", `${el.dataset.label}, ${el.getAttribute("aria-pressed") === "true" ? "selected" : status}`);
  if (status !== "available" && selected.has(el.dataset.seatId)) {
    selected.delete(el.dataset.seatId);
    el.setAttribute("aria-pressed", "false");
    flash([el.dataset.seatId]);
    say(`Seat ${el.dataset.seatId} was just taken by someone else.`);
    render();
  }
}

function say(text, extra) {
  message.hidden = !text;
  message.textContent = text ?? "";
  if (extra) message.append(extra);
}

function flash(ids) {
  for (const id of ids) {
    const el = seats.get(id);
    if (!el) continue;
    el.classList.remove("is-flash");
    void el.getBoundingClientRect();
    el.classList.add("is-flash");
  }
}

function render() {
  const list = [...selected].map((id) => seats.get(id));
  const total = list.reduce((sum, el) => sum + Number(el.dataset.price), 0);
  panelSeats.innerHTML = "";
  if (list.length === 0) {
    panelSeats.textContent = `Pick up to ${maxSeats} seats on the map.`;
  } else {
    const strong = document.createElement("strong");
    strong.textContent = list.map((el) => el.dataset.seatId).join(", ");
    panelSeats.append(strong, ` · ${list.length} seat${list.length === 1 ? "" : "s"}`);
  }
  panelTotal.textContent = list.length ? formatMoney(total, currency) : "—";
  holdButton.disabled = list.length === 0;
  holdButton.textContent = list.length ? `Hold ${list.length} seat${list.length === 1 ? "" : "s"} · ${formatMoney(total, currency)}` : "Hold seats";
  availableCount.textContent = [...seats.values()].filter((el) => el.dataset.status === "available").length;
}

function toggle(el) {
  const id = el.dataset.seatId;
  if (selected.has(id)) {
    selected.delete(id);
    el.setAttribute("aria-pressed", "false");
  } else {
    if (el.dataset.status !== "available") { say(`Seat ${id} is not available.`); flash([id]); return; }
    if (selected.size >= maxSeats) { say(`You can hold up to ${maxSeats} seats at a time.`); return; }
    selected.add(id);
    el.setAttribute("aria-pressed", "true");
  }
  el.setAttribute("aria-label", `${el.dataset.label}, ${selected.has(id) ? "selected" : el.dataset.status}`);
  for (const other of seats.values()) other.classList.remove("is-suggested");
  say(null);
  render();
}

// Roving focus: one seat is in the tab order; arrows move to the nearest seat that way.
let focused = grid.find((s) => s.el.dataset.status === "available")?.el ?? grid[0]?.el;
if (focused) focused.tabIndex = 0;
function focusSeat(el) {
  if (!el) return;
  if (focused) focused.tabIndex = -1;
  focused = el;
  el.tabIndex = 0;
  el.focus();
}
function neighbour(el, dx, dy) {
  const x = Number(el.dataset.gx), y = Number(el.dataset.gy);
  let best = null, bestScore = Infinity;
  for (const s of grid) {
    const ax = s.x - x, ay = s.y - y;
    const along = dx !== 0 ? ax * dx : ay * dy;
    const across = dx !== 0 ? Math.abs(ay) : Math.abs(ax);
    if (along <= 0) continue;
    const score = along + across * 4;
    if (score < bestScore) { bestScore = score; best = s.el; }
  }
  return best;
}

map.addEventListener("click", (event) => {
  const el = event.target.closest(".seat");
  if (!el) return;
  focusSeat(el);
  toggle(el);
});
map.addEventListener("keydown", (event) => {
  const el = event.target.closest(".seat");
  if (!el) return;
  const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  if (moves[event.key]) {
    focusSeat(neighbour(el, ...moves[event.key]) ?? el);
    event.preventDefault();
  } else if (event.key === "Enter" || event.key === " ") {
    toggle(el);
    event.preventDefault();
  }
});

holdButton.addEventListener("click", async () => {
  if (selected.size === 0) return;
  holdButton.disabled = true;
  holdButton.textContent = "Holding…";
  const ids = [...selected];
  const { status, data } = await api("POST", `/api/v1/shows/${encodeURIComponent(showId)}/holds`, { seat_ids: ids });
  if (status === 201) {
    location.href = `/checkout/${encodeURIComponent(data.hold_id)}`;
    return;
  }
  render();
  if (status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
  } else if (status === 409 && data?.code === "seats_unavailable") {
    for (const id of data.unavailable_seats ?? []) {
      const el = seats.get(id);
      if (el) setStatus(el, "held");
    }
    flash(data.unavailable_seats ?? []);
    const suggestion = data.suggested_seats ?? [];
    if (suggestion.length) {
      for (const id of suggestion) seats.get(id)?.classList.add("is-suggested");
      const take = document.createElement("button");
      take.type = "button";
      take.className = "button button-small";
      take.textContent = `Take ${suggestion.join(", ")} instead`;
      take.addEventListener("click", () => {
        for (const id of [...selected]) { selected.delete(id); seats.get(id)?.setAttribute("aria-pressed", "false"); }
        for (const id of suggestion) { const el = seats.get(id); if (el?.dataset.status === "available") { selected.add(id); el.setAttribute("aria-pressed", "true"); } }
        for (const el of seats.values()) el.classList.remove("is-suggested");
        say(null);
        render();
      });
      say(`Sorry, ${(data.unavailable_seats ?? []).join(", ")} just went. Seats together nearby: `, take);
    } else {
      say(`Sorry, ${(data.unavailable_seats ?? []).join(", ")} just went. Pick other seats.`);
    }
  } else if (status === 409 && data?.code === "hold_exists") {
    const link = document.createElement("a");
    link.href = `/checkout/${encodeURIComponent(data.hold_id)}`;
    link.textContent = "Go to checkout";
    say("You already hold seats for this show. ", link);
  } else {
    say(data?.detail ?? "Something went wrong; please try again.");
  }
});

// Live status.
const liveState = document.getElementById("live-state");
const liveText = document.getElementById("live-text");
function apply(message) {
  if (message.type === "snapshot") {
    for (const seat of message.seats) { const el = seats.get(seat.id); if (el && el.dataset.status !== seat.status) setStatus(el, seat.status); }
  } else if (message.version > version) {
    for (const change of message.changes) { const el = seats.get(change.seat_id); if (el) setStatus(el, change.status); }
  } else {
    return;
  }
  version = message.version;
  render();
}
function live(on) {
  liveState.classList.toggle("is-live", on);
  liveText.textContent = on ? "Live seat availability" : "Reconnecting…";
}

let failures = 0;
function connectSocket() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/v1/shows/${encodeURIComponent(showId)}/live?since=${version}`);
  let opened = false;
  socket.onopen = () => { opened = true; failures = 0; live(true); };
  socket.onmessage = (event) => apply(JSON.parse(event.data));
  socket.onclose = () => {
    live(false);
    failures += opened ? 0 : 1;
    if (failures >= 2) { connectEvents(); return; }
    setTimeout(connectSocket, Math.min(8000, 500 * 2 ** failures));
  };
}
function connectEvents() {
  const source = new EventSource(`/api/v1/shows/${encodeURIComponent(showId)}/events?since=${version}`);
  source.onopen = () => live(true);
  source.onerror = () => live(false);
  source.addEventListener("snapshot", (event) => apply(JSON.parse(event.data)));
  source.addEventListener("delta", (event) => apply(JSON.parse(event.data)));
}
if ("WebSocket" in window) connectSocket(); else connectEvents();
render();

// On a narrow screen the map scrolls sideways: start at its middle, where the best seats are.
const scroller = map.closest(".seat-scroll");
if (scroller && scroller.scrollWidth > scroller.clientWidth) {
  scroller.scrollLeft = (scroller.scrollWidth - scroller.clientWidth) / 2;
}
