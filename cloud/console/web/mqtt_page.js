// The MQTT test client, the local twin of the AWS IoT console's "MQTT test
// client" page: subscribe to topic filters, publish, and watch messages
// arrive (newest first). It talks to the broker through mos-cloud's one
// console connection (client id mos-cloud-console, checked by the policy
// plugin like any device), over the live channel.

import {$, clear, clockTime, el, fromUnix} from "./dom.js";
import {displayPayload, MAX_PAYLOAD_BYTES, payloadBytes, payloadTooLarge} from "./payload.js";

const MAX_SHOWN = 500;          // messages kept in the list; older ones leave it
const MAX_BUFFERED = 5000;      // messages kept while paused
const PAYLOAD_PREVIEW = 16384;  // characters shown before "Show all"

export function mountMqttPage(live) {
  const subs = new Map();  // filter -> {qos, error}
  let paused = false;
  let buffered = [];
  let droppedWhilePaused = 0;

  const subForm = $("sub-form");
  const subFilter = $("sub-filter");
  const subQos = $("sub-qos");
  const subError = $("sub-error");
  const subList = $("sub-list");
  const pubForm = $("pub-form");
  const pubTopic = $("pub-topic");
  const pubPayload = $("pub-payload");
  const pubQos = $("pub-qos");
  const pubRetain = $("pub-retain");
  const pubSize = $("pub-size");
  const pubError = $("pub-error");
  const pubStatus = $("pub-status");
  const msgList = $("msg-list");
  const pauseButton = $("msg-pause");
  const clearButton = $("msg-clear");
  const pausedNote = $("msg-paused");
  const countNote = $("msg-count");

  function renderSubs() {
    clear(subList);
    if (subs.size === 0) {
      subList.append(el("li", {class: "empty"}, "No subscriptions yet."));
      return;
    }
    for (const [filter, sub] of subs) {
      subList.append(el("li", {class: "sub", dataset: {testid: "sub-item", filter}},
        el("code", {class: "topic"}, filter),
        el("span", {class: "badge"}, `QoS ${sub.qos}`),
        sub.error ? el("span", {class: "error inline", role: "alert"}, sub.error) : null,
        el("button", {type: "button", class: "small secondary", dataset: {testid: "sub-unsubscribe"},
                      "aria-label": `Unsubscribe from ${filter}`, onclick: () => unsubscribe(filter)},
           "Unsubscribe")));
    }
  }

  async function subscribe(filter, qos) {
    const reply = await live.request("subscribe", {filter, qos});
    subs.set(filter, {qos: typeof reply.qos === "number" ? reply.qos : qos, error: ""});
    renderSubs();
  }

  async function unsubscribe(filter) {
    subError.textContent = "";
    try {
      await live.request("unsubscribe", {filter});
    } catch (e) {
      subError.textContent = e.message;
      return;
    }
    subs.delete(filter);
    renderSubs();
    subFilter.focus();
  }

  subForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    subError.textContent = "";
    const filter = subFilter.value;
    if (filter === "") {
      subError.textContent = "Enter a topic filter, e.g. /response or devices/+/status.";
      subFilter.focus();
      return;
    }
    try {
      await subscribe(filter, Number(subQos.value));
    } catch (e) {
      subError.textContent = e.message;  // the server's reason, e.g. "'#' must be the last level"
    }
  });

  // The socket came (back): the server knows nothing of this tab's filters.
  live.on("open", async () => {
    for (const [filter, sub] of [...subs]) {
      try {
        await subscribe(filter, sub.qos);
      } catch (e) {
        subs.set(filter, {qos: sub.qos, error: `Not subscribed again after reconnecting: ${e.message}`});
        renderSubs();
      }
    }
  });

  // An error nobody asked for: the broker dropped one of this tab's
  // subscriptions (e.g. the console's policy changed), or the server could
  // not read a frame. Shown where the person looks for it.
  live.on("error", (frame) => {
    const message = frame.message || "The console server reported an error.";
    if (frame.op === "subscribe" && typeof frame.filter === "string" && subs.has(frame.filter)) {
      subs.set(frame.filter, {qos: subs.get(frame.filter).qos, error: message});
      renderSubs();
    } else {
      subError.textContent = message;
    }
  });

  function updateSize() {
    const n = payloadBytes(pubPayload.value);
    pubSize.textContent = `${n.toLocaleString("en-US")} of ${MAX_PAYLOAD_BYTES.toLocaleString("en-US")} bytes`;
    pubSize.classList.toggle("over", n > MAX_PAYLOAD_BYTES);
    if (n <= MAX_PAYLOAD_BYTES && pubError.dataset.reason === "size") pubError.textContent = "";
  }
  pubPayload.addEventListener("input", updateSize);
  updateSize();

  pubForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    pubError.textContent = "";
    pubError.dataset.reason = "";
    pubStatus.textContent = "";
    const topic = pubTopic.value;
    if (topic === "") {
      pubError.textContent = "Enter a topic name, e.g. /request.";
      pubTopic.focus();
      return;
    }
    const payload = pubPayload.value;
    const tooLarge = payloadTooLarge(payload);
    if (tooLarge) {  // refused here: such a message would only be dropped by the broker
      pubError.textContent = tooLarge;
      pubError.dataset.reason = "size";
      return;
    }
    try {
      await live.request("publish", {topic, payload, qos: Number(pubQos.value), retain: pubRetain.checked});
      pubStatus.textContent = `Published to ${topic} at ${clockTime(new Date())}.`;
    } catch (e) {
      pubError.textContent = e.message;
    }
  });

  function messageItem(m) {
    const shown = displayPayload(m);
    const pre = el("pre", {class: "payload", dataset: {testid: "msg-payload"}});
    if (shown.text.length > PAYLOAD_PREVIEW) {
      pre.textContent = shown.text.slice(0, PAYLOAD_PREVIEW);
      const more = el("button", {type: "button", class: "small secondary", dataset: {testid: "msg-show-all"}},
                      `Show all ${shown.text.length.toLocaleString("en-US")} characters`);
      more.addEventListener("click", () => {
        pre.textContent = shown.text;
        more.remove();
      });
      return item(m, shown, pre, more);
    }
    pre.textContent = shown.text;
    return item(m, shown, pre, null);
  }

  function item(m, shown, pre, more) {
    const at = fromUnix(m.time) || new Date(m.receivedAt);
    return el("li", {class: "msg", dataset: {testid: "msg-item", topic: m.topic, receivedAt: String(m.receivedAt)}},
      el("div", {class: "msg-head"},
        el("code", {class: "topic", dataset: {testid: "msg-topic"}}, m.topic),
        el("time", {datetime: at.toISOString(), dataset: {testid: "msg-time"}}, clockTime(at)),
        el("span", {class: "badge"}, `QoS ${m.qos ?? 0}`),
        m.retain ? el("span", {class: "badge"}, "retained") : null,
        shown.json ? el("span", {class: "badge json"}, "JSON") : null,
        shown.binary ? el("span", {class: "badge"}, "binary") : null),
      pre, more);
  }

  function show(messages) {  // oldest first in, newest first on the page
    if (messages.length === 0) return;
    const empty = msgList.querySelector(".empty");
    if (empty) empty.remove();
    const fragment = document.createDocumentFragment();
    for (let i = messages.length - 1; i >= 0; i--) fragment.append(messageItem(messages[i]));
    msgList.prepend(fragment);
    while (msgList.children.length > MAX_SHOWN) msgList.lastElementChild.remove();
    countNote.textContent = `${msgList.children.length} shown`;
  }

  function showEmpty() {
    clear(msgList);
    msgList.append(el("li", {class: "empty"}, "Messages on your subscriptions appear here, newest first."));
    countNote.textContent = "";
  }

  function renderPaused() {
    pauseButton.setAttribute("aria-pressed", String(paused));
    pauseButton.textContent = paused ? `Resume (${buffered.length + droppedWhilePaused})` : "Pause";
    pausedNote.textContent = !paused ? ""
      : `Paused: ${buffered.length + droppedWhilePaused} new message${buffered.length + droppedWhilePaused === 1 ? "" : "s"} waiting` +
        (droppedWhilePaused ? ` (${droppedWhilePaused} oldest dropped)` : "");
  }

  live.on("message", (m) => {
    if (paused) {
      buffered.push(m);
      if (buffered.length > MAX_BUFFERED) {
        buffered.shift();
        droppedWhilePaused += 1;
      }
      renderPaused();
      return;
    }
    show([m]);
  });

  pauseButton.addEventListener("click", () => {
    paused = !paused;
    if (!paused) {
      show(buffered);
      buffered = [];
      droppedWhilePaused = 0;
    }
    renderPaused();
  });

  clearButton.addEventListener("click", () => {
    buffered = [];
    droppedWhilePaused = 0;
    showEmpty();
    renderPaused();
  });

  renderSubs();
  showEmpty();
  renderPaused();

  return {
    reset() {  // logged out: this tab's subscriptions are gone with its socket
      subs.clear();
      buffered = [];
      paused = false;
      droppedWhilePaused = 0;
      renderSubs();
      showEmpty();
      renderPaused();
    },
  };
}
