// Things: the registry's things, their attributes and attached certificates
// (principals), as ListThings + ListThingPrincipals show them.

import {fetchList} from "./api.js";
import {$, certId, certIdFromArn, clear, el, empty, table} from "./dom.js";

export function mountThingsPage() {
  const body = $("things-body");
  const error = $("things-error");

  async function load() {
    const things = await fetchList("things", "things", error);
    if (!things) return;
    clear(body);
    if (things.length === 0) {
      body.append(empty("No things yet. `mos aws-iot-setup` creates one named after the device.", "things-empty"));
      return;
    }
    body.append(table("Things", ["Name", "Attributes", "Certificates"], things.map((t) =>
      el("tr", {dataset: {testid: "thing-row", thing: t.name}},
        el("td", {}, el("strong", {}, t.name), el("div", {class: "muted small arn"}, t.arn || "")),
        el("td", {}, attributes(t.attributes)),
        el("td", {}, (t.principals || []).length === 0 ? el("span", {class: "muted"}, "none")
          : el("ul", {class: "plain"}, t.principals.map((arn) => el("li", {}, certId(certIdFromArn(arn)))))))),
      "things-table"));
  }

  function attributes(attrs) {
    const entries = Object.entries(attrs || {});
    if (entries.length === 0) return el("span", {class: "muted"}, "none");
    return el("dl", {class: "attrs"}, entries.map(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
  }

  return {load};
}
