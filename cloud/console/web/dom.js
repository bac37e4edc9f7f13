// DOM helpers for the console page. Every piece of data (topics, payloads,
// client ids, certificate subjects, policy documents) reaches the page through
// these, and they only ever set textContent and attributes: never innerHTML,
// so a payload like <img src=x onerror=...> is shown as the text it is.

// el("li", {class: "x", dataset: {testid: "y"}, onclick: f}, child, "text", ...)
// builds an element; strings become text nodes, null/undefined/false are skipped.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "text") {
      node.textContent = String(value);
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node) {
  node.replaceChildren();
}

export function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no element #${id}`);
  return node;
}

// Unix time to a Date. The API gives seconds for registry times (notBefore,
// connectedAt) and milliseconds for events (message and denial "time"); no
// date this console shows is before 1973 in ms or after 5138 in s, so the
// magnitude tells them apart.
export function fromUnix(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  return new Date(value < 1e11 ? value * 1000 : value);
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

// 14:03:07.412 (local time): message lists, where the order within a second matters.
export function clockTime(date) {
  if (!date) return "";
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

// 2026-12-01 14:03:07 (local time).
export function dateTime(date) {
  if (!date) return "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
         `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

// A certificate id (64 hex digits, AWS's SHA-256 of the DER) shown short, the
// full id on hover (title) and to screen readers (aria-label).
export function certId(id, testid) {
  if (!id) return el("span", {class: "muted"}, "—");
  const short = id.length > 12 ? `${id.slice(0, 10)}…` : id;
  return el("code", {class: "cert-id", title: id, "aria-label": `certificate ${id}`,
                     dataset: testid ? {testid, full: id} : {full: id}}, short);
}

// The id from a certificate ARN (arn:aws:iot:REGION:ACCOUNT:cert/ID).
export function certIdFromArn(arn) {
  const i = String(arn).lastIndexOf("cert/");
  return i >= 0 ? String(arn).slice(i + 5) : String(arn);
}

// A table with a header row; rows are <tr> elements. A wrapper scrolls
// sideways in a narrow window instead of squeezing the columns.
export function table(caption, headers, rows, testid) {
  return el("div", {class: "table-wrap"},
    el("table", {dataset: {testid}},
      el("caption", {class: "visually-hidden"}, caption),
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, rows)));
}

export function empty(text, testid) {
  return el("p", {class: "empty", dataset: testid ? {testid} : undefined}, text);
}
