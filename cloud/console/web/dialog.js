// A confirmation in the page's own <dialog> (modal, Escape cancels, focus
// stays inside), rather than window.confirm(): it can say what will happen in
// the console's words and is keyboard- and screen-reader-friendly.

import {$} from "./dom.js";

export function confirmAction(title, text, okLabel) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  const ok = $("confirm-ok");
  ok.textContent = okLabel;
  return new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener("close", done);
      resolve(dialog.returnValue === "ok");
    };
    dialog.returnValue = "";
    dialog.addEventListener("close", done);
    dialog.showModal();
    $("confirm-cancel").focus();  // the safe choice has the focus
  });
}
