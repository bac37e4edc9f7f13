// Denials: why the broker refused someone (the policy plugin records each
// denial with the deciding reason in the registry), newest first, live.
// The same list as `mos cloud denials`, filterable by client id or certificate.

import {fetchList} from "./api.js";
import {$, certId, clear, dateTime, el, empty, fromUnix, table} from "./dom.js";

const MAX_SHOWN = 500;

export function mountDenialsPage(live) {
  const body = $("denials-body");
  const error = $("denials-error");
  const form = $("denials-filter");
  const clientInput = $("denials-client");
  const certInput = $("denials-cert");
  let denials = null;
  let filter = {clientId: "", certificateId: ""};

  function matches(d) {
    return (!filter.clientId || d.clientId === filter.clientId) &&
           (!filter.certificateId || d.certificateId === filter.certificateId);
  }

  function render() {
    clear(body);
    if (!denials || denials.length === 0) {
      body.append(empty(filter.clientId || filter.certificateId ? "No denials match the filter."
        : "No denials: the broker has refused nothing so far.", "denials-empty"));
      return;
    }
    body.append(table("Denials", ["Time", "Action", "Client ID", "Certificate", "Resource", "Reason"], denials.map((d) =>
      el("tr", {dataset: {testid: "denial-row", denialId: String(d.id), clientId: d.clientId ?? "",
                          certificateId: d.certificateId ?? ""}},
        el("td", {class: "nowrap"}, dateTime(fromUnix(d.time))),
        el("td", {}, el("code", {}, d.action)),
        el("td", {}, el("code", {}, d.clientId)),
        el("td", {}, certId(d.certificateId)),
        el("td", {class: "wrap"}, el("code", {}, d.resource)),
        el("td", {class: "wrap"}, d.reason))), "denials-table"));
  }

  async function load() {
    const q = new URLSearchParams({limit: "100"});
    if (filter.clientId) q.set("clientId", filter.clientId);
    if (filter.certificateId) q.set("certificateId", filter.certificateId);
    const list = await fetchList(`denials?${q}`, "denials", error);
    if (!list) return;
    denials = list;
    render();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    filter = {clientId: clientInput.value.trim(), certificateId: certInput.value.trim()};
    load();
  });
  form.addEventListener("reset", () => {
    filter = {clientId: "", certificateId: ""};
    setTimeout(load);  // after the inputs are cleared
  });

  live.on("denial", (frame) => {
    const d = frame.denial;
    if (denials === null || !d || !matches(d) || denials.some((x) => x.id === d.id)) return;
    denials.unshift(d);
    if (denials.length > MAX_SHOWN) denials.length = MAX_SHOWN;
    render();
  });
  return {load};
}
