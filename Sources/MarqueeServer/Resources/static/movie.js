// "Nearest first": ask the browser where we are and sort venues by distance.
const button = document.getElementById("near-me");
button?.addEventListener("click", () => {
  if (!navigator.geolocation) { button.textContent = "Location unavailable"; return; }
  button.textContent = "Finding you…";
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const url = new URL(location.href);
      url.searchParams.set("near", `${position.coords.latitude.toFixed(4)},${position.coords.longitude.toFixed(4)}`);
      location.href = url.toString();
    },
    () => { button.textContent = "Location not shared"; },
    { timeout: 8000 },
  );
});
