// Payloads as the MQTT test client shows and checks them.

// AWS IoT Core's message broker limit: "The message payload can't exceed
// 128 KB" ("AWS IoT Core endpoints and quotas", message broker limits); the
// local cloud enforces the same 131072 bytes (cloud/README.md, Broker limits).
export const MAX_PAYLOAD_BYTES = 131072;

const encoder = new TextEncoder();

export function payloadBytes(text) {
  return encoder.encode(text).length;
}

// null when the payload may be published, else why not (the server's words).
export function payloadTooLarge(text) {
  const n = payloadBytes(text);
  if (n <= MAX_PAYLOAD_BYTES) return null;
  return `The payload is ${n} bytes; AWS IoT Core's limit is ${MAX_PAYLOAD_BYTES} bytes.`;
}

// A received message's payload for display: {text, json}. Pretty-printed
// when it is strict JSON (RFC 8259, what JSON.parse accepts): the seed's
// {gpio: {pin: 2, state: 0}} has bare keys, which the device's relaxed
// reader takes but JSON does not, so it is shown exactly as sent. A payload
// that is not UTF-8 comes base64-encoded (payloadBase64) and is shown as hex.
export function displayPayload(message) {
  if (typeof message.payload === "string") {
    const text = message.payload;
    const trimmed = text.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        return {text: JSON.stringify(JSON.parse(text), null, 2), json: true};
      } catch (e) {
        // not strict JSON: shown as sent
      }
    }
    return {text, json: false};
  }
  if (typeof message.payloadBase64 === "string") {
    return {text: hexDump(message.payloadBase64), json: false, binary: true};
  }
  return {text: "", json: false};
}

function hexDump(base64) {
  let bytes;
  try {
    bytes = atob(base64);
  } catch (e) {
    return "(binary payload the page could not decode)";
  }
  const shown = Math.min(bytes.length, 4096);
  const hex = [];
  for (let i = 0; i < shown; i++) hex.push(bytes.charCodeAt(i).toString(16).padStart(2, "0"));
  const lines = [];
  for (let i = 0; i < hex.length; i += 16) lines.push(hex.slice(i, i + 16).join(" "));
  const more = bytes.length > shown ? `\n… ${bytes.length - shown} more bytes` : "";
  return `(binary, ${bytes.length} bytes)\n${lines.join("\n")}${more}`;
}
