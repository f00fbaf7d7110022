import { api } from "./api.js";

// City and filters apply at once; the city is remembered by the server in a cookie.
document.getElementById("city")?.addEventListener("change", (event) => {
  localStorage.setItem("marquee.city", event.target.value);
  event.target.form.submit();
});
for (const id of ["genre", "language"]) {
  document.getElementById(id)?.addEventListener("change", (event) => event.target.form.submit());
}

// Search as you type, forgiving typos (the API does the matching).
const input = document.getElementById("search");
const results = document.getElementById("search-results");
let timer = null;
let latest = 0;

function escapeHTML(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

async function search() {
  const query = input.value.trim();
  if (query.length === 0) { results.hidden = true; results.innerHTML = ""; return; }
  const ticket = ++latest;
  const city = input.dataset.city;
  const { status, data } = await api("GET", `/api/v1/movies?q=${encodeURIComponent(query)}&city=${encodeURIComponent(city)}`);
  if (ticket !== latest) return;
  if (status !== 200) { results.innerHTML = `<p>${escapeHTML(data?.detail ?? "Search failed")}</p>`; results.hidden = false; return; }
  const movies = data.movies.slice(0, 8);
  results.innerHTML = movies.length === 0
    ? `<p>Nothing playing matches “${escapeHTML(query)}”.</p>`
    : movies.map((m) => `<a role="option" href="/movies/${encodeURIComponent(m.id)}?city=${encodeURIComponent(city)}&date=${input.dataset.date}">
        <span>${escapeHTML(m.title)}</span><small>${escapeHTML(m.language)} · ${escapeHTML(m.genres.join(", "))}</small></a>`).join("");
  results.hidden = false;
}

input?.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 180); });
input?.addEventListener("keydown", (event) => {
  if (event.key === "ArrowDown") { results.querySelector("a")?.focus(); event.preventDefault(); }
  if (event.key === "Escape") { results.hidden = true; }
});
results?.addEventListener("keydown", (event) => {
  const links = [...results.querySelectorAll("a")];
  const at = links.indexOf(document.activeElement);
  if (event.key === "ArrowDown" && at < links.length - 1) { links[at + 1].focus(); event.preventDefault(); }
  if (event.key === "ArrowUp") { (at > 0 ? links[at - 1] : input).focus(); event.preventDefault(); }
  if (event.key === "Escape") { results.hidden = true; input.focus(); }
});
document.addEventListener("click", (event) => {
  if (!event.target.closest(".search")) results.hidden = true;
});
