// What the session view and the stream view share: the header (title, a line of details, the
// status badge), the facts list and the alert box. Each view passes its own elements.

import { h } from "./dom.js";

/** The header: ``head`` holds the ``title``, ``meta`` and ``status`` elements. */
export function renderHead(head, { title, tooltip, meta, status }) {
  head.title.textContent = title;
  head.title.title = tooltip;
  head.meta.textContent = meta.join(" · ");
  head.status.hidden = false;
  head.status.textContent = status;
  head.status.dataset.status = status;
}

/** The header of something that could not be read. */
export function renderUnavailable(head, title) {
  head.title.textContent = title;
  head.meta.textContent = "";
  head.status.hidden = true;
}

/** ``[term, value]`` pairs as the ``<dl>``'s rows. */
export function renderFactList(list, facts) {
  list.replaceChildren(...facts.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))));
}

/** Say ``message`` in the view's alert box. */
export function showAlert(box, message) {
  box.replaceChildren(h("span", {}, message));
  box.hidden = false;
}
