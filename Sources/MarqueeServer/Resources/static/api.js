// Calls to the JSON API from our pages: the session cookie goes along, and
// every change carries the page's CSRF token.
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

export async function api(method, path, body, headers = {}) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: {
      "Accept": "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(method === "GET" ? {} : { "X-CSRF-Token": csrf }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  return { status: response.status, data };
}

export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + Math.random().toString(36).slice(2);
}

export function formatMoney(amount, currency) {
  try {
    return new Intl.NumberFormat(currency === "INR" ? "en-IN" : "en-GB", {
      style: "currency", currency, minimumFractionDigits: amount % 100 === 0 ? 0 : 2,
    }).format(amount / 100);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency}`;
  }
}
