// The console's live channel: one WebSocket to GET /console/api/live
// (CONSOLE_CONTRACT "Live"), JSON text frames both ways. Requests carry an
// "id" that the server echoes in its reply, so a reply finds its caller even
// when messages arrive in between. When the socket closes the channel
// reconnects with exponential back-off (0.5 s doubling to 15 s, +-25 %
// jitter so tabs restarted together do not knock at the same instant).

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
const REPLY_TIMEOUT_MS = 10000;
// The largest message mos-cloud takes from a WebSocket client (HttpLimits
// max_ws_message in cloud/server/http_server.h); a bigger one closes the
// channel (1009). A payload within AWS's 128 KiB can still exceed it once
// JSON-escaped (every '"' doubles, a control character becomes \u00XX).
export const MAX_FRAME_BYTES = 256 * 1024;
const encoder = new TextEncoder();

export class Live {
  constructor(url) {
    this.url = url;
    this.ws = null;
    this.wanted = false;
    this.attempt = 0;
    this.timer = null;
    this.retryAt = 0;
    this.nextId = 1;
    this.pending = new Map();  // id -> {resolve, reject, timer}
    this.handlers = new Map();  // event type -> [fn]
    this.state = "off";
  }

  // Events: "state" (state, retryAt), "open", "closed", and the server's frame
  // types "message", "connections", "denial", "certificate", "error".
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(fn);
  }

  emit(type, ...args) {
    for (const fn of this.handlers.get(type) || []) {
      try {
        fn(...args);
      } catch (e) {
        console.error(`live: a "${type}" handler failed`, e);
      }
    }
  }

  setState(state) {
    this.state = state;
    this.emit("state", state, this.retryAt);
  }

  start() {
    if (this.wanted) return;
    this.wanted = true;
    this.attempt = 0;
    this.connect();
  }

  stop() {
    this.wanted = false;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "logged out");
    this.failPending("The live channel is closed.");
    this.setState("off");
  }

  retryNow() {
    if (!this.wanted || this.ws) return;
    clearTimeout(this.timer);
    this.connect();
  }

  connect() {
    this.setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.setState("connected");
      this.emit("open");
    });
    ws.addEventListener("message", (event) => {
      if (this.ws === ws) this.receive(event.data);
    });
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.failPending("The live channel closed before the server answered; try again once it is back.");
      if (!this.wanted) return;
      this.scheduleReconnect();
      this.emit("closed");
    });
  }

  scheduleReconnect() {
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempt);
    this.attempt += 1;
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.retryAt = Date.now() + delay;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.wanted && !this.ws) this.connect();
    }, delay);
    this.setState("reconnecting");
  }

  receive(text) {
    // When the frame reached the page, on the wall clock (sub-millisecond):
    // bench/console_latency.sh compares it with the publisher's send time.
    const receivedAt = performance.timeOrigin + performance.now();
    let frame;
    try {
      frame = JSON.parse(text);
    } catch (e) {
      console.warn("live: a frame that is not JSON", text);
      return;
    }
    if (!frame || typeof frame !== "object") return;
    frame.receivedAt = receivedAt;
    if (frame.id !== undefined && this.pending.has(frame.id)) {
      const p = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      clearTimeout(p.timer);
      if (frame.type === "error") p.reject(new Error(frame.message || "The server refused the request."));
      else p.resolve(frame);
      return;
    }
    if (typeof frame.type === "string") this.emit(frame.type, frame);
  }

  // Sends {op, ...fields, id}; resolves with the server's reply, rejects with
  // the server's error message (e.g. an invalid topic filter).
  request(op, fields) {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject(new Error("The live channel is not connected; wait until the header says \"Live: connected\"."));
        return;
      }
      const id = this.nextId++;
      const frame = JSON.stringify({op, ...fields, id});
      const size = encoder.encode(frame).length;
      if (size > MAX_FRAME_BYTES) {
        reject(new Error(`This message takes ${size} bytes on the console's WebSocket once JSON-escaped; ` +
                         `the console's limit is ${MAX_FRAME_BYTES}. Publish it with mosquitto_pub instead.`));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`The console server did not answer "${op}" within ${REPLY_TIMEOUT_MS / 1000} s.`));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, {resolve, reject, timer});
      this.ws.send(frame);
    });
  }

  failPending(message) {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(message));
    }
    this.pending.clear();
  }
}
