// Certificates: the registry's certificates with their status, subject,
// validity, things and policies, and the buttons AWS's console has on a
// certificate: activate, deactivate, revoke (UpdateCertificate's rules: a
// revoked certificate stays revoked). The broker's policy plugin drops a
// connected client whose certificate stops being ACTIVE, so revoking a
// device's certificate takes it off the Connected clients page live.

import {api, fetchList} from "./api.js";
import {$, certId, clear, dateTime, el, empty, fromUnix, table} from "./dom.js";
import {confirmAction} from "./dialog.js";

const ACTIONS = [
  {status: "ACTIVE", label: "Activate", testid: "cert-activate", enabled: (s) => s === "INACTIVE"},
  {status: "INACTIVE", label: "Deactivate", testid: "cert-deactivate", enabled: (s) => s === "ACTIVE"},
  {status: "REVOKED", label: "Revoke", testid: "cert-revoke", enabled: (s) => s !== "REVOKED", danger: true},
];

export function mountCertificatesPage(live) {
  const body = $("certs-body");
  const error = $("certs-error");
  const status = $("certs-status");
  let certs = [];
  let loaded = false;  // live updates before the first load would show a partial list

  async function load() {
    const list = await fetchList("certificates", "certificates", error);
    if (!list) return;
    certs = list;
    loaded = true;
    render();
  }

  function render(focus) {
    clear(body);
    if (certs.length === 0) {
      body.append(empty("No certificates yet. `mos aws-iot-setup` makes one for a device.", "certs-empty"));
      return;
    }
    body.append(table("Certificates", ["Certificate ID", "Status", "Subject", "Valid", "Things", "Policies", "Actions"],
                      certs.map(row), "certs-table"));
    if (focus) {
      const button = body.querySelector(`tr[data-cert-id="${CSS.escape(focus.id)}"] [data-testid="${focus.testid}"]`);
      const fallback = body.querySelector(`tr[data-cert-id="${CSS.escape(focus.id)}"] button:not([disabled])`);
      (button && !button.disabled ? button : fallback)?.focus();
    }
  }

  function row(c) {
    const from = dateTime(fromUnix(c.notBefore));
    const to = dateTime(fromUnix(c.notAfter));
    const validity = from && to ? el("span", {title: `${from} to ${to}`}, `${from.slice(0, 10)} → ${to.slice(0, 10)}`) : "";
    return el("tr", {dataset: {testid: "cert-row", certId: c.id, status: c.status}},
      el("td", {}, certId(c.id)),
      el("td", {}, el("span", {class: `badge status-${String(c.status).toLowerCase()}`,
                               dataset: {testid: "cert-status"}}, c.status)),
      el("td", {class: "wrap"}, c.subject || ""),
      el("td", {}, validity),
      el("td", {}, (c.things || []).join(", ")),
      el("td", {}, (c.policies || []).join(", ")),
      el("td", {}, el("div", {class: "actions"}, ACTIONS.map((a) =>
        el("button", {type: "button", class: a.danger ? "small danger" : "small secondary",
                      dataset: {testid: a.testid}, disabled: !a.enabled(c.status),
                      "aria-label": `${a.label} certificate ${c.id}`,
                      onclick: () => change(c, a)}, a.label)))));
  }

  async function change(c, action) {
    error.textContent = "";
    status.textContent = "";
    if (action.status === "REVOKED") {
      const things = (c.things || []).length ? ` Devices using it (${c.things.join(", ")}) are disconnected.` : "";
      const ok = await confirmAction("Revoke this certificate?",
        `Certificate ${c.id} will be REVOKED: nothing can connect with it any more, and a revoked ` +
        `certificate cannot be activated again.${things}`, "Revoke");
      if (!ok) return;
    }
    try {
      const updated = await api(`certificates/${encodeURIComponent(c.id)}/status`,
                                {method: "POST", body: {status: action.status}});
      upsert(updated, {id: c.id, testid: action.testid});
      status.textContent = `Certificate ${c.id.slice(0, 10)}… is now ${updated.status}.`;
    } catch (e) {
      error.textContent = e.message;
    }
  }

  function upsert(cert, focus) {
    if (!loaded || !cert || !cert.id) return;
    const i = certs.findIndex((c) => c.id === cert.id);
    if (i >= 0) certs[i] = cert;
    else certs.push(cert);
    render(focus);
  }

  live.on("certificate", (frame) => upsert(frame.certificate));
  return {load};
}
