// Connected clients: who is connected to the broker now (the policy plugin's
// connections table, Registry::connected_clients()), kept live by the
// server's "connections" frames (sent at start and whenever the set changes).

import {fetchList} from "./api.js";
import {$, certId, clear, dateTime, el, empty, fromUnix, table} from "./dom.js";

export function mountConnectionsPage(live) {
  const body = $("connections-body");
  const error = $("connections-error");
  const summary = $("connections-summary");
  let connections = null;

  function render() {
    clear(body);
    const list = connections || [];
    const devices = list.filter((c) => !c.service).length;
    summary.textContent = `${devices} device${devices === 1 ? "" : "s"} connected` +
      (list.length > devices ? `, and ${list.length - devices} of the local cloud's own clients` : "") + ".";
    if (list.length === 0) {
      body.append(empty("Nobody is connected to the broker.", "connections-empty"));
      return;
    }
    const sorted = [...list].sort((a, b) => Number(!!a.service) - Number(!!b.service) ||
                                            String(a.clientId).localeCompare(String(b.clientId)));
    body.append(table("Connected clients", ["Client ID", "Certificate", "Thing", "Connected since"], sorted.map((c) =>
      el("tr", {dataset: {testid: "connection-row", clientId: c.clientId, certificateId: c.certificateId || ""}},
        el("td", {}, el("code", {dataset: {testid: "connection-client"}}, c.clientId),
           c.service ? el("span", {class: "badge", title: "mos-cloud's own connection"}, "service") : null),
        el("td", {}, certId(c.certificateId, "connection-cert")),
        el("td", {}, c.thingName ? c.thingName : el("span", {class: "muted"}, "—")),
        el("td", {class: "nowrap"}, dateTime(fromUnix(c.connectedAt))))), "connections-table"));
  }

  async function load() {
    const list = await fetchList("connections", "connections", error);
    if (!list) return;
    connections = list;
    render();
  }

  live.on("connections", (frame) => {
    connections = frame.connections || [];
    render();
  });
  return {load};
}
