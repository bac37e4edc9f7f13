// Policies: each policy's default version, its document pretty-printed, and
// its targets (the certificates it is attached to).

import {fetchList} from "./api.js";
import {$, certId, certIdFromArn, clear, el, empty} from "./dom.js";

export function mountPoliciesPage() {
  const body = $("policies-body");
  const error = $("policies-error");

  async function load() {
    const policies = await fetchList("policies", "policies", error);
    if (!policies) return;
    clear(body);
    if (policies.length === 0) {
      body.append(empty("No policies yet. `mos aws-iot-setup` creates mos-default (allow iot:* on *).", "policies-empty"));
      return;
    }
    for (const p of policies) {
      const targets = p.targets || [];
      body.append(el("article", {class: "card policy", dataset: {testid: "policy-card", policy: p.name}},
        el("h2", {}, p.name),
        el("p", {class: "muted small arn"}, p.arn || ""),
        el("p", {}, `Default version: ${p.defaultVersionId ?? "?"}`),
        el("h3", {}, `Targets (${targets.length})`),
        targets.length === 0 ? el("p", {class: "muted"}, "Attached to no certificate.")
          : el("ul", {class: "plain", dataset: {testid: "policy-targets"}},
               targets.map((arn) => el("li", {}, certId(certIdFromArn(arn))))),
        el("h3", {}, "Document"),
        el("pre", {class: "payload", dataset: {testid: "policy-document"}, tabindex: "0",
                   "aria-label": `Policy document of ${p.name}`},
           typeof p.document === "string" ? p.document : JSON.stringify(p.document, null, 2))));
    }
  }

  return {load};
}
