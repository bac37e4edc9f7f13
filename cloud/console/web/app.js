// The mos web console: the local twin of the AWS IoT console, served by
// mos-cloud under /console (CONSOLE_CONTRACT). This file wires the pieces:
// the session (log in with the local cloud's access key), the pages and the
// hash router, and the live channel's state in the header.

import {api, setLoggedOutHandler} from "./api.js";
import {$, el} from "./dom.js";
import {Live} from "./live.js";
import {mountMqttPage} from "./mqtt_page.js";
import {mountThingsPage} from "./things_page.js";
import {mountCertificatesPage} from "./certificates_page.js";
import {mountPoliciesPage} from "./policies_page.js";
import {mountConnectionsPage} from "./connections_page.js";
import {mountDenialsPage} from "./denials_page.js";

const live = new Live(`${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/console/api/live`);
const mqtt = mountMqttPage(live);
const pages = {
  mqtt: null,
  things: mountThingsPage(),
  certificates: mountCertificatesPage(live),
  policies: mountPoliciesPage(),
  connections: mountConnectionsPage(live),
  denials: mountDenialsPage(live),
};
let loggedIn = false;

// --- routing: #/mqtt, #/things, ... (links, so the keyboard and the back button work)

function currentPage() {
  const name = location.hash.replace(/^#\/?/, "");
  return Object.hasOwn(pages, name) ? name : "mqtt";
}

function route(moveFocus) {
  if (!loggedIn) return;
  const name = currentPage();
  for (const section of document.querySelectorAll("[data-page]")) section.hidden = section.dataset.page !== name;
  for (const link of document.querySelectorAll("nav a[data-nav]")) {
    if (link.dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (pages[name]) pages[name].load();
  if (moveFocus) document.querySelector(`[data-page="${name}"] h1`)?.focus();
}
window.addEventListener("hashchange", () => route(true));
// The link of the page already shown changes no hash: reload its data.
for (const link of document.querySelectorAll("nav a[data-nav]")) {
  link.addEventListener("click", () => {
    if (link.dataset.nav === currentPage()) route(false);
  });
}

// --- session

function showLogin(message) {
  loggedIn = false;
  live.stop();
  mqtt.reset();
  $("app").hidden = true;
  $("logout").hidden = true;
  $("session-info").textContent = "";
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("login-key").focus();
}

function showApp(session) {
  loggedIn = true;
  $("login").hidden = true;
  $("login-error").textContent = "";
  $("login-secret").value = "";
  $("app").hidden = false;
  $("logout").hidden = false;
  $("session-info").textContent = `${session.accessKeyId} · ${session.region} · account ${session.accountId}`;
  live.start();
  route(false);
}

setLoggedOutHandler(() => {
  if (loggedIn) showLogin("Your session ended (it expired or was logged out); log in again.");
});

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = $("login-submit");
  $("login-error").textContent = "";
  button.disabled = true;
  try {
    const session = await api("login", {method: "POST", body: {
      accessKeyId: $("login-key").value.trim(), secretAccessKey: $("login-secret").value}});
    showApp(session);
  } catch (e) {
    $("login-error").textContent = e.message;  // the server's words, e.g. "Wrong access key ID or secret ..."
    $("login-secret").select();
  } finally {
    button.disabled = false;
  }
});

$("logout").addEventListener("click", async () => {
  try {
    await api("logout", {method: "POST"});
  } catch (e) {
    // logged out here either way; the cookie dies with the server's session
  }
  showLogin("You are logged out.");
});

// --- the live channel's state in the header

const LIVE_TEXT = {
  off: "Live: off",
  connecting: "Live: connecting…",
  connected: "Live: connected",
};
let countdown = null;

function renderLive(state, retryAt) {
  const node = $("live-state");
  node.dataset.state = state;
  clearInterval(countdown);
  $("live-retry").hidden = state !== "reconnecting";
  if (state !== "reconnecting") {
    node.textContent = LIVE_TEXT[state] || `Live: ${state}`;
    return;
  }
  // The countdown is for the eyes: a screen reader hears the state change
  // once, not a new number every second.
  const count = el("span", {"aria-hidden": "true"});
  node.replaceChildren("Live: disconnected, retrying", count);
  const tick = () => {
    count.textContent = ` in ${Math.max(0, Math.ceil((retryAt - Date.now()) / 1000))} s`;
  };
  tick();
  countdown = setInterval(tick, 1000);
}
live.on("state", renderLive);
$("live-retry").addEventListener("click", () => live.retryNow());
window.addEventListener("online", () => live.retryNow());

// A closed socket may mean the session is gone (the upgrade then answers 401,
// which a WebSocket cannot show): ask, and go back to the login if so.
live.on("closed", () => {
  api("session").catch((e) => {
    if (e.status === 401 && loggedIn) showLogin("Your session ended (it expired or was logged out); log in again.");
  });
});

// --- start

(async () => {
  renderLive("off", 0);
  try {
    showApp(await api("session"));
  } catch (e) {
    showLogin(e.status === 401 ? "" : e.message);
  }
})();
